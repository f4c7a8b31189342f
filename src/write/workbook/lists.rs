//! The sheets a township prints and signs (SPEC v3 corrections.csv and
//! register.csv, issue 16 items 4 and 5): the back-pay and recovery lists
//! (补发清单, 追缴清单) grouped by village with subtotals, the register
//! (整改台账) grouped by where each item stands, and the month's report
//! (月报) per village — each with a title, a repeated header row, a grand
//! total and a signature block, printed A4 landscape one page wide. And
//! the bank's upload sheet (代发) of the back-pay, a workbook of its own.
//!
//! Money is summed in integer fen and written as numbers formatted `0.00`
//! (exact below 10^13 yuan, [`sheet::money_number`]); ids, accounts and
//! region codes are text cells; a text cell is never a formula, so text
//! that starts like one is shown as typed and never run.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::Path;

use rust_xlsxwriter::{
    ColNum, Color, Format, FormatAlign, FormatBorder, IgnoreError, RowNum, Workbook, XlsxError,
};

use super::names::region_title;
use super::names::{code_name, program_name, sheet_names, Lang};
use super::sheet::{self, Cell, Cuts, Formats, Limits, Table, TableSpec, Written};
use super::{guarded, properties, xlsx_error, ZIP_LEVEL};
use crate::domain::regions::Regions;
use crate::domain::register::{ItemStatus, Register};
use crate::domain::{Code, Finding, Money, Period, PeriodRange, Program};
use crate::engine::corrections::{Correction, CorrectionKind};
use crate::engine::{Context, Reconciliation};

/// Per village (region as the lines carry it): households and persons
/// paid in the run's label month (see [`gather_paid`]).
pub type PaidCounts = BTreeMap<Box<str>, Paid>;

/// Households and persons paid in one village in the label month.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Paid {
    pub households: u64,
    pub persons: u64,
}

/// Adds one part's lines of `month` to `counts`: a dibao line with money
/// paid is one household of its enrolment's household_size persons (1
/// when the payee is not enrolled), a tekun line with money paid one
/// household of one person (分散供养 is paid per person). Temporary
/// assistance and the price subsidy go to the same households, or once,
/// and are not counted again.
pub fn gather_paid(
    counts: &mut PaidCounts,
    context: &Context<'_>,
    reconciliation: &Reconciliation,
    month: Period,
) {
    for line in reconciliation.lines.iter() {
        if line.period != month || line.figures().paid.fen() <= 0 {
            continue;
        }
        let persons = match (line.program, line.label()) {
            (Program::Dibao, crate::engine::Label::Enrolment(index)) => u64::from(
                context.case.enrolments[index as usize]
                    .household_size
                    .max(1),
            ),
            (Program::Dibao | Program::Tekun, _) => 1,
            _ => continue,
        };
        let (_, region) = context.label_text(line.label());
        let entry = match counts.get_mut(region) {
            Some(entry) => entry,
            None => counts.entry(region.into()).or_default(),
        };
        entry.households += 1;
        entry.persons += persons;
    }
}

/// The name of the upload workbook, beside report.xlsx.
pub const UPLOAD: &str = "backpay-upload.xlsx";

/// Most characters of a 摘要 before it is shortened to its first and last
/// month: banks' memo fields are short (often 30 to 60 characters).
const MEMO_CHARS: usize = 30;

/// `2024年7-8月低保补发`: the months of a back-pay and its program, as a
/// bank's 摘要 (memo) says what a credit is for. Runs of months in one
/// year share the year (`2024年1-2月、4月`); a run over a new year names
/// both (`2023年12月-2024年1月`). Longer than a memo holds: the first and
/// last month and how many months (`2023年1月至2024年9月低保补发(共12个月)`).
pub fn upload_memo(correction: &Correction, lang: Lang) -> String {
    let program = program_name(correction.program, lang);
    if lang == Lang::En {
        let months: Vec<String> = correction.periods.iter().map(ToString::to_string).collect();
        return format!("{program} back pay {}", months.join(", "));
    }
    let mut parts: Vec<String> = Vec::new();
    let mut year: Option<u32> = None;
    for range in &correction.periods {
        let (first, last) = (range.first, range.last);
        let part = if first.year() != last.year() {
            format!(
                "{}年{}月-{}年{}月",
                first.year(),
                first.month(),
                last.year(),
                last.month()
            )
        } else {
            let months = if first == last {
                format!("{}月", first.month())
            } else {
                format!("{}-{}月", first.month(), last.month())
            };
            if year == Some(first.year()) {
                months
            } else {
                format!("{}年{months}", first.year())
            }
        };
        year = Some(last.year());
        parts.push(part);
    }
    let memo = format!("{}{program}补发", parts.join("、"));
    if memo.chars().count() <= MEMO_CHARS {
        return memo;
    }
    let (Some(first), Some(last)) = (correction.periods.first(), correction.periods.last()) else {
        return memo;
    };
    format!(
        "{}年{}月至{}年{}月{program}补发(共{}个月)",
        first.first.year(),
        first.first.month(),
        last.last.year(),
        last.last.month(),
        correction.lines
    )
}

/// Column titles of the upload sheet: the bank's 代发 layout.
fn upload_titles(lang: Lang) -> [&'static str; 6] {
    lang.pick(
        ["序号", "姓名", "身份证号", "账号", "金额", "摘要"],
        ["No.", "Name", "ID number", "Account", "Amount", "Memo"],
    )
}

/// What the upload workbook holds: rows written, and back-pay left out of
/// it for want of an account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UploadCounts {
    pub rows: u64,
    pub fen: i128,
    pub without_account: u64,
}

/// The back-pay rows a bank can take: those with an account.
fn uploadable(corrections: &[Correction]) -> impl Iterator<Item = &Correction> {
    corrections
        .iter()
        .filter(|row| row.kind == CorrectionKind::Backpay && !row.account.is_empty())
}

/// Writes backpay-upload.xlsx: one sheet, the header in row 1 and one row
/// per back-pay (corrections.csv's `backpay` rows that have an account, in
/// its order) — 序号, 姓名, 身份证号, 账号, 金额, 摘要 — and nothing
/// else: no title, no totals row, so that a bank's 代发 import takes it.
/// Ids and accounts are text cells (leading zeros and all 18 or 19 digits
/// kept); amounts are numbers formatted `0.00`.
pub fn write_upload(
    out: impl Write + Send,
    scratch: &Path,
    corrections: &[Correction],
    lang: Lang,
) -> io::Result<UploadCounts> {
    let mut counts = UploadCounts::default();
    guarded(|| {
        let mut workbook = super::sheet::new_workbook(scratch).map_err(xlsx_error)?;
        workbook.set_zip_compression_level(ZIP_LEVEL);
        workbook.set_properties(&properties(
            lang.pick("补发代发数据", "Back pay for the bank"),
            lang,
        ));
        let formats = Formats::new();
        let mut cuts = Cuts::default();
        let titles = upload_titles(lang);
        let spec = TableSpec {
            name: lang.pick("代发", "Upload"),
            titles: &titles,
            max_widths: &[6, 16, 20, 24, 14, 40],
            id_columns: &[2, 3],
            fit_width: true,
            print_columns: None,
        };
        let mut table = Table::new(
            &mut workbook,
            &formats,
            spec,
            Limits::from_environment(),
            &mut cuts,
        )
        .map_err(xlsx_error)?;
        for correction in uploadable(corrections) {
            counts.rows += 1;
            let fen = i128::from(correction.amount.fen());
            counts.fen += fen;
            let memo = upload_memo(correction, lang);
            table
                .push(&[
                    Cell::Count(counts.rows),
                    Cell::Text(&correction.name),
                    Cell::Id(&correction.id_number),
                    Cell::Id(&correction.account),
                    Cell::Money(Some(fen)),
                    Cell::Text(&memo),
                ])
                .map_err(xlsx_error)?;
        }
        table.finish().map_err(xlsx_error)?;
        workbook.save_to_writer(out).map_err(xlsx_error)
    })?;
    counts.without_account = corrections
        .iter()
        .filter(|row| row.kind == CorrectionKind::Backpay && row.account.is_empty())
        .count() as u64;
    Ok(counts)
}

/// The formats of the printed sheets: ruled cells, bold totals.
pub struct PrintFormats {
    title: Format,
    note: Format,
    header: Format,
    text: Format,
    /// Text wrapped in a row made taller for it.
    wrapped: Format,
    id: Format,
    money: Format,
    money_text: Format,
    count: Format,
    rate: Format,
    group: Format,
    total: Format,
    total_money: Format,
    total_count: Format,
    total_rate: Format,
    sign: Format,
}

impl PrintFormats {
    pub fn new() -> PrintFormats {
        let ruled = || {
            Format::new()
                .set_border(FormatBorder::Thin)
                .set_align(FormatAlign::VerticalCenter)
        };
        let bold = || ruled().set_bold();
        PrintFormats {
            title: Format::new()
                .set_bold()
                .set_font_size(16)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            note: Format::new()
                .set_align(FormatAlign::Left)
                .set_align(FormatAlign::Top)
                .set_text_wrap(),
            header: bold()
                .set_background_color(Color::RGB(0xD9E1F2))
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_text_wrap(),
            text: ruled(),
            wrapped: ruled().set_text_wrap(),
            id: ruled().set_num_format("@"),
            money: ruled().set_num_format("0.00"),
            money_text: ruled().set_align(FormatAlign::Right),
            count: ruled().set_num_format("0"),
            rate: ruled().set_num_format("0.00%"),
            group: bold().set_background_color(Color::RGB(0xF2F2F2)),
            total: bold().set_background_color(Color::RGB(0xF2F2F2)),
            total_money: bold()
                .set_background_color(Color::RGB(0xF2F2F2))
                .set_num_format("0.00"),
            total_count: bold()
                .set_background_color(Color::RGB(0xF2F2F2))
                .set_num_format("0"),
            total_rate: bold()
                .set_background_color(Color::RGB(0xF2F2F2))
                .set_num_format("0.00%"),
            sign: Format::new().set_align(FormatAlign::Left),
        }
    }
}

impl Default for PrintFormats {
    fn default() -> PrintFormats {
        PrintFormats::new()
    }
}

/// Body rows, or a subtotal/total row (bold, shaded).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Body,
    Total,
}

/// One printed table: a title, lines of notes, a header row (repeated on
/// every page), its rows, and what follows them. A table longer than a
/// sheet holds goes on in `名称 (2)` with the title and header again.
struct Print<'w> {
    workbook: &'w mut Workbook,
    formats: &'w PrintFormats,
    limits: Limits,
    cuts: &'w mut Cuts,
    name: String,
    title: String,
    notes: Vec<String>,
    titles: Vec<String>,
    max_widths: &'w [usize],
    id_columns: &'w [ColNum],
    sheet: usize,
    row: RowNum,
    header_row: RowNum,
    first_data_row: RowNum,
    widths: Vec<usize>,
    written: Written,
    buffer: String,
    /// The row being written wraps its text cells.
    wrap: bool,
}

/// Most lines a row of a printed list is made tall for.
const MAX_ROW_LINES: usize = 8;

impl<'w> Print<'w> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        sheets: &'w mut PrintSheets<'_>,
        name: &str,
        title: String,
        notes: Vec<String>,
        titles: Vec<String>,
        max_widths: &'w [usize],
        id_columns: &'w [ColNum],
    ) -> Result<Print<'w>, XlsxError> {
        let widths = titles
            .iter()
            .map(|title| sheet::display_width(title).min(12))
            .collect();
        let mut print = Print {
            workbook: &mut *sheets.workbook,
            formats: sheets.formats,
            limits: sheets.limits,
            cuts: &mut *sheets.cuts,
            name: name.to_string(),
            title,
            notes,
            titles,
            max_widths,
            id_columns,
            sheet: 0,
            row: 0,
            header_row: 0,
            first_data_row: 0,
            widths,
            written: Vec::new(),
            buffer: String::new(),
            wrap: false,
        };
        print.start_sheet()?;
        Ok(print)
    }

    fn columns(&self) -> ColNum {
        self.titles.len() as ColNum
    }

    fn start_sheet(&mut self) -> Result<(), XlsxError> {
        let name = match self.written.len() {
            0 => self.name.clone(),
            count => format!("{} ({})", self.name, count + 1),
        };
        let last = self.columns() - 1;
        let formats = self.formats;
        let worksheet = super::sheet::add_streamed_worksheet(self.workbook)?;
        worksheet.set_name(&name)?;
        worksheet.merge_range(0, 0, 0, last, &self.title, &formats.title)?;
        worksheet.set_row_height(0, 28.0)?;
        let mut row: RowNum = 1;
        let width: usize = self.max_widths.iter().map(|width| width + 2).sum();
        for note in &self.notes {
            worksheet.merge_range(row, 0, row, last, note, &formats.note)?;
            let lines = sheet::wrapped_lines(note, (width * 11 / 10).max(20));
            if lines > 1 {
                worksheet.set_row_height(row, sheet::row_height_points(lines) + 2.0)?;
            }
            row += 1;
        }
        for (column, title) in self.titles.iter().enumerate() {
            worksheet.write_string_with_format(row, column as ColNum, title, &formats.header)?;
        }
        worksheet.set_row_height(row, 30.0)?;
        self.header_row = row;
        self.first_data_row = row + 1;
        self.row = row + 1;
        self.sheet = self.workbook.worksheets().len() - 1;
        self.written.push((name, 0));
        Ok(())
    }

    /// Room for one more row, or a new sheet (never before a row of the
    /// current one: each sheet holds at least one).
    fn room(&mut self) -> Result<(), XlsxError> {
        if self.row >= self.limits.rows.max(self.first_data_row + 1) {
            self.finish_sheet()?;
            self.start_sheet()?;
        }
        Ok(())
    }

    /// Writes one row of cells from column 0.
    fn row(&mut self, cells: &[Cell<'_>], style: Style) -> Result<(), XlsxError> {
        self.room()?;
        let row = self.row;
        // A text wider than its column wraps, its row as tall as its lines:
        // a printed list shows every month of a back-pay.
        let lines = cells
            .iter()
            .enumerate()
            .map(|(column, cell)| match cell {
                Cell::Text(text) => {
                    let most = self.max_widths.get(column).copied().unwrap_or(30);
                    sheet::wrapped_lines(text, most)
                }
                _ => 1,
            })
            .max()
            .unwrap_or(1)
            .min(MAX_ROW_LINES);
        self.wrap = lines > 1;
        if self.wrap {
            self.workbook
                .worksheet_from_index(self.sheet)?
                .set_row_height(row, sheet::row_height_points(lines))?;
        }
        for (column, cell) in cells.iter().enumerate() {
            let width = self.cell(row, column as ColNum, *cell, style)?;
            if let Some(widest) = self.widths.get_mut(column) {
                *widest = (*widest).max(width);
            }
        }
        if style == Style::Body {
            self.written.last_mut().expect("a sheet was started").1 += 1;
        }
        self.wrap = false;
        self.row += 1;
        Ok(())
    }

    /// A total row: `label` across the first `span` columns, then `cells`.
    fn total(&mut self, label: &str, span: ColNum, cells: &[Cell<'_>]) -> Result<(), XlsxError> {
        self.room()?;
        let row = self.row;
        let formats = self.formats;
        let label = sheet::show_bidi_controls(label);
        let worksheet = self.workbook.worksheet_from_index(self.sheet)?;
        if span > 1 {
            worksheet.merge_range(row, 0, row, span - 1, &label, &formats.total)?;
        } else {
            worksheet.write_string_with_format(row, 0, label.as_ref(), &formats.total)?;
        }
        for (offset, cell) in cells.iter().enumerate() {
            self.cell(row, span + offset as ColNum, *cell, Style::Total)?;
        }
        self.row += 1;
        Ok(())
    }

    /// A heading of a group across the whole table.
    fn group(&mut self, text: &str) -> Result<(), XlsxError> {
        self.room()?;
        let row = self.row;
        let last = self.columns() - 1;
        let formats = self.formats;
        let worksheet = self.workbook.worksheet_from_index(self.sheet)?;
        worksheet.merge_range(row, 0, row, last, text, &formats.group)?;
        self.row += 1;
        Ok(())
    }

    /// A line of text across the table, unruled (a note under it).
    fn line(&mut self, text: &str) -> Result<(), XlsxError> {
        self.room()?;
        let row = self.row;
        let last = self.columns() - 1;
        let formats = self.formats;
        let shown = sheet::show_bidi_controls(text);
        let limit = self.limits.cell;
        let text = match sheet::fit_cell(&shown, limit, &mut self.buffer) {
            Some(cut) => {
                self.cuts.cells_cut += 1;
                cut.to_string()
            }
            None => shown.into_owned(),
        };
        let lines = sheet::wrapped_lines(&text, (self.table_width() * 11 / 10).max(20));
        let worksheet = self.workbook.worksheet_from_index(self.sheet)?;
        if last > 0 {
            worksheet.merge_range(row, 0, row, last, &text, &formats.note)?;
        } else {
            worksheet.write_string_with_format(row, 0, &text, &formats.note)?;
        }
        if lines > 1 {
            worksheet.set_row_height(row, sheet::row_height_points(lines) + 2.0)?;
        }
        self.row += 1;
        Ok(())
    }

    /// Each column's width in characters, as [`finish_sheet`] sets it.
    ///
    /// [`finish_sheet`]: Self::finish_sheet
    fn column_widths(&self) -> Vec<usize> {
        self.widths
            .iter()
            .enumerate()
            .map(|(column, width)| {
                let most = self.max_widths.get(column).copied().unwrap_or(30);
                (*width).clamp(4, most) + 2
            })
            .collect()
    }

    /// The table's width in characters.
    fn table_width(&self) -> usize {
        self.column_widths().iter().sum()
    }

    fn skip(&mut self) {
        self.row += 1;
    }

    /// 制表人、审核人、负责人 and 日期 lines, spread over the width.
    fn signatures(&mut self, lang: Lang) -> Result<(), XlsxError> {
        self.skip();
        self.room()?;
        let labels = lang.pick(
            [
                "制表人：__________",
                "审核人：__________",
                "负责人：__________",
                "日期：______年____月____日",
            ],
            [
                "Prepared by: __________",
                "Checked by: __________",
                "Approved by: __________",
                "Date: ____-____-____",
            ],
        );
        let columns = self.columns();
        let row = self.row;
        let formats = self.formats;
        let worksheet = self.workbook.worksheet_from_index(self.sheet)?;
        // Four spans as even as the columns allow.
        let spans = columns.max(4);
        for (index, label) in labels.iter().enumerate() {
            let first = (index as ColNum * spans) / 4;
            let last = ((index as ColNum + 1) * spans) / 4 - 1;
            let (first, last) = (first.min(columns - 1), last.min(columns - 1));
            if last > first {
                worksheet.merge_range(row, first, row, last, label, &formats.sign)?;
            } else {
                worksheet.write_string_with_format(row, first, *label, &formats.sign)?;
            }
        }
        worksheet.set_row_height(row, 24.0)?;
        self.row += 1;
        Ok(())
    }

    /// Writes one cell; returns its display width.
    fn cell(
        &mut self,
        row: RowNum,
        column: ColNum,
        cell: Cell<'_>,
        style: Style,
    ) -> Result<usize, XlsxError> {
        let formats = self.formats;
        let total = style == Style::Total;
        let limit = self.limits.cell;
        let sheet = self.sheet;
        match cell {
            Cell::Text(text)
            | Cell::Id(text)
            | Cell::Severity(_, text)
            | Cell::Header(text)
            | Cell::RightText(text)
            | Cell::Wrapped(text) => {
                let format = match (cell, total) {
                    (_, true) => &formats.total,
                    (Cell::Text(_), false) if self.wrap => &formats.wrapped,
                    (Cell::Wrapped(_), false) => &formats.wrapped,
                    (Cell::Id(_), _) => &formats.id,
                    (Cell::RightText(_), _) => &formats.money_text,
                    (Cell::Header(_), _) => &formats.header,
                    _ => &formats.text,
                };
                let shown = sheet::show_bidi_controls(text);
                let text = match sheet::fit_cell(&shown, limit, &mut self.buffer) {
                    Some(cut) => {
                        self.cuts.cells_cut += 1;
                        cut
                    }
                    None => &shown,
                };
                let worksheet = self.workbook.worksheet_from_index(sheet)?;
                if text.is_empty() {
                    worksheet.write_blank(row, column, format)?;
                } else {
                    worksheet.write_string_with_format(row, column, text, format)?;
                }
                Ok(sheet::display_width(text))
            }
            Cell::Money(None) | Cell::Rate("") => {
                let format = if total { &formats.total } else { &formats.text };
                let worksheet = self.workbook.worksheet_from_index(sheet)?;
                worksheet.write_blank(row, column, format)?;
                Ok(0)
            }
            Cell::Money(Some(fen)) => {
                let worksheet = self.workbook.worksheet_from_index(sheet)?;
                let formats_used = if total {
                    (&formats.total_money, &formats.total)
                } else {
                    (&formats.money, &formats.money_text)
                };
                let (width, as_text) =
                    sheet::write_money(worksheet, (row, column), fen, formats_used)?;
                self.cuts.money_as_text += u64::from(as_text);
                Ok(width)
            }
            Cell::Count(count) => {
                let format = if total {
                    &formats.total_count
                } else {
                    &formats.count
                };
                let worksheet = self.workbook.worksheet_from_index(sheet)?;
                worksheet.write_number_with_format(row, column, count as f64, format)?;
                Ok(count.to_string().len())
            }
            Cell::Rate(text) => {
                let format = if total {
                    &formats.total_rate
                } else {
                    &formats.rate
                };
                let worksheet = self.workbook.worksheet_from_index(sheet)?;
                match text.parse::<f64>() {
                    Ok(rate) => worksheet.write_number_with_format(row, column, rate, format)?,
                    Err(_) => worksheet.write_blank(row, column, format)?,
                };
                Ok(8)
            }
        }
    }

    /// Widths and the print setup of the current sheet.
    fn finish_sheet(&mut self) -> Result<(), XlsxError> {
        let widths = self.column_widths();
        let header_row = self.header_row;
        let (first, last) = (self.first_data_row, self.row.saturating_sub(1));
        let id_columns = self.id_columns;
        let title = self.title.replace('&', "&&");
        let worksheet = self.workbook.worksheet_from_index(self.sheet)?;
        for (column, width) in widths.into_iter().enumerate() {
            worksheet.set_column_width(column as ColNum, width as f64)?;
        }
        worksheet
            .set_paper_size(sheet::A4)
            .set_landscape()
            .set_print_fit_to_pages(1, 0)
            .set_print_center_horizontally(true)
            .set_margins(0.5, 0.5, 0.6, 0.6, 0.3, 0.3)
            .set_repeat_rows(header_row, header_row)?
            .set_header(format!("&L&8{title}"))
            .set_footer("&C&P / &N");
        if last >= first {
            for &column in id_columns {
                worksheet.ignore_error_range(
                    first,
                    column,
                    last,
                    column,
                    IgnoreError::NumberStoredAsText,
                )?;
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Written, XlsxError> {
        self.finish_sheet()?;
        Ok(self.written)
    }
}

/// What every printed sheet is written with.
pub struct PrintSheets<'w> {
    pub workbook: &'w mut Workbook,
    pub formats: &'w PrintFormats,
    pub limits: Limits,
    pub cuts: &'w mut Cuts,
    pub lang: Lang,
    /// regions.csv's names, shown for the codes.
    pub regions: &'w crate::domain::regions::Regions,
}

/// What the printed sheets are made of.
pub struct ListInputs<'a> {
    /// corrections.csv's rows, in its order.
    pub corrections: &'a [Correction],
    /// Sorted as in findings.csv (the codes behind each correction).
    pub findings: &'a [Finding],
    /// The register after this run.
    pub register: &'a Register,
    /// The run's label: its window's last month.
    pub label: Period,
    pub window: PeriodRange,
    /// Per (region, program, period): Σ E and Σ min(P, E) and Σ P.
    pub month_money: BTreeMap<&'a str, MonthMoney>,
    pub paid: &'a PaidCounts,
}

/// One village's money in the label month, over every program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MonthMoney {
    pub expected: i128,
    pub delivered: i128,
    pub paid: i128,
}

fn month_text(period: Period, lang: Lang) -> String {
    lang.pick(
        format!("{}年{}月", period.year(), period.month()),
        period.to_string(),
    )
}

fn window_text(window: PeriodRange, lang: Lang) -> String {
    if window.first == window.last {
        month_text(window.first, lang)
    } else {
        lang.pick(
            format!(
                "{}—{}",
                month_text(window.first, lang),
                month_text(window.last, lang)
            ),
            format!("{}..{}", window.first, window.last),
        )
    }
}

/// A village as the sheets show it: its name from regions.csv, else its
/// code; `(无区划)` when empty.
fn village<'a>(region: &'a str, regions: &'a Regions, lang: Lang) -> &'a str {
    if region.is_empty() {
        lang.pick("(无区划)", "(no region)")
    } else {
        regions.display(region)
    }
}

/// The finding codes behind each (id_number, program) of one kind.
fn codes_of(
    findings: &[Finding],
    kind: CorrectionKind,
) -> BTreeMap<(&str, Program), BTreeSet<Code>> {
    let mut codes: BTreeMap<(&str, Program), BTreeSet<Code>> = BTreeMap::new();
    for finding in findings {
        if CorrectionKind::of(finding) != Some(kind) {
            continue;
        }
        if let Some(program) = finding.program {
            codes
                .entry((&finding.id_number, program))
                .or_default()
                .insert(finding.code);
        }
    }
    codes
}

/// The 补发清单 or 追缴清单 sheet: corrections.csv's rows of one kind by
/// village, each village's subtotal, the grand total and the signatures.
pub fn write_corrections_list(
    sheets: &mut PrintSheets<'_>,
    inputs: &ListInputs<'_>,
    kind: CorrectionKind,
) -> Result<Written, XlsxError> {
    let lang = sheets.lang;
    let regions = sheets.regions;
    let names = sheet_names(lang);
    let backpay = kind == CorrectionKind::Backpay;
    let (name, what) = if backpay {
        (names.backpay, lang.pick("补发", "back pay"))
    } else {
        (names.recover, lang.pick("追缴", "recovery"))
    };
    let title = lang.pick(
        format!(
            "社会救助资金{what}清单（{}）",
            window_text(inputs.window, lang)
        ),
        format!(
            "Social assistance {what} list, {}",
            window_text(inputs.window, lang)
        ),
    );
    let notes = vec![lang.pick(
        if backpay {
            "单位：元。补发金额为未发放月份的应发金额与少发月份的差额（应发−实发）之和，与 corrections.csv 的 backpay 行一致；按村(社区)分组小计。".to_string()
        } else {
            "单位：元。追缴金额为多发、违规发放（比对排除对象、退出后、未纳入保障）月份的多付金额之和，与 corrections.csv 的 recover 行一致；花名册该行无法读取的待更正后再定，不列入。按村(社区)分组小计。".to_string()
        },
        if backpay {
            "Yuan. Back pay is the amount due of months not paid plus the shortfall (due − paid) of months paid short, as corrections.csv's backpay rows; subtotals per village.".to_string()
        } else {
            "Yuan. Recovery is what was overpaid or paid improperly (excluded, after exit, not enrolled), as corrections.csv's recover rows; lines whose roster row cannot be read wait for it and are not listed. Subtotals per village.".to_string()
        },
    )];
    let mut titles: Vec<String> = lang
        .pick(
            [
                "序号",
                "区划代码(村/社区)",
                "姓名",
                "身份证号",
                "项目",
                "所属期",
                "月数",
                "问题类型",
            ],
            [
                "No.",
                "Region (village)",
                "Name",
                "ID number",
                "Program",
                "Months",
                "Lines",
                "Finding",
            ],
        )
        .iter()
        .map(|title| region_title(title, !regions.is_empty()).to_string())
        .collect();
    titles.push(if backpay {
        lang.pick("补发金额(元)", "Back pay (yuan)").to_string()
    } else {
        lang.pick("追缴金额(元)", "To recover (yuan)").to_string()
    });
    if backpay {
        titles.push(lang.pick("账号", "Account").to_string());
    }
    titles.push(lang.pick("备注", "Note").to_string());
    let max_widths: &[usize] = if backpay {
        &[5, 14, 10, 20, 10, 24, 5, 16, 12, 22, 22]
    } else {
        &[5, 14, 10, 20, 10, 24, 5, 24, 12, 24]
    };
    let id_columns: &[ColNum] = if backpay { &[1, 3, 9] } else { &[1, 3] };
    let codes = codes_of(inputs.findings, kind);
    let mut print = Print::new(sheets, name, title, notes, titles, max_widths, id_columns)?;
    let no_account = lang.pick(
        "无账号，未列入代发数据",
        "No account: not in the upload file",
    );
    let rows: Vec<&Correction> = inputs
        .corrections
        .iter()
        .filter(|row| row.kind == kind)
        .collect();
    let mut total = 0i128;
    let mut villages = 0u64;
    let mut index = 0;
    while index < rows.len() {
        let region = &rows[index].region;
        let end = index
            + rows[index..]
                .iter()
                .take_while(|row| row.region == *region)
                .count();
        villages += 1;
        let mut subtotal = 0i128;
        for (number, row) in rows[index..end].iter().enumerate() {
            let fen = i128::from(row.amount.fen());
            subtotal += fen;
            let months = super::super::corrections::periods_text(row).replace(';', "、");
            let code_names = codes
                .get(&(row.id_number.as_ref(), row.program))
                .map(|codes| {
                    codes
                        .iter()
                        .map(|code| code_name(*code, lang))
                        .collect::<Vec<_>>()
                        .join(lang.pick("、", ", "))
                })
                .unwrap_or_default();
            let mut cells = vec![
                Cell::Count(number as u64 + 1),
                Cell::Id(village(region, regions, lang)),
                Cell::Text(&row.name),
                Cell::Id(&row.id_number),
                Cell::Text(program_name(row.program, lang)),
                Cell::Text(&months),
                Cell::Count(row.lines as u64),
                Cell::Text(&code_names),
                Cell::Money(Some(fen)),
            ];
            if backpay {
                cells.push(Cell::Id(&row.account));
                cells.push(Cell::Text(if row.account.is_empty() {
                    no_account
                } else {
                    ""
                }));
            } else {
                cells.push(Cell::Text(""));
            }
            print.row(&cells, Style::Body)?;
        }
        total += subtotal;
        let label = lang.pick(
            format!(
                "{} 小计（{} 人次）",
                village(region, regions, lang),
                end - index
            ),
            format!(
                "{} subtotal ({} rows)",
                village(region, regions, lang),
                end - index
            ),
        );
        let mut cells = vec![Cell::Money(Some(subtotal))];
        cells.extend(std::iter::repeat_n(
            Cell::Text(""),
            if backpay { 2 } else { 1 },
        ));
        print.total(&label, 8, &cells)?;
        index = end;
    }
    if rows.is_empty() {
        print.line(lang.pick(
            &format!("本次对账无{what}。"),
            &format!("This run finds no {what}."),
        ))?;
    }
    let label = lang.pick(
        format!("合计（{villages} 个村(社区)，{} 人次）", rows.len()),
        format!("Total ({villages} villages, {} rows)", rows.len()),
    );
    let mut cells = vec![Cell::Money(Some(total))];
    cells.extend(std::iter::repeat_n(
        Cell::Text(""),
        if backpay { 2 } else { 1 },
    ));
    print.total(&label, 8, &cells)?;
    if backpay {
        let missing = rows.iter().filter(|row| row.account.is_empty()).count();
        if missing > 0 {
            print.line(&lang.pick(
                format!("其中 {missing} 人次无账号，未列入代发数据（{UPLOAD}），请核实账号后另行发放。"),
                format!("{missing} rows have no account and are not in the upload file ({UPLOAD}); check their accounts first."),
            ))?;
        }
    }
    print.signatures(lang)?;
    print.finish()
}

/// Which group of the 整改台账 sheet an item belongs to this run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RegisterGroup {
    /// Not closed, not yet due.
    Open,
    /// Not closed, past its due month.
    Overdue,
    /// Closed by this run.
    ClosedNow,
    /// Found again after it was closed, and not closed since: possibly a
    /// rectification reported but not made (可能虚假整改).
    Reopened,
}

impl RegisterGroup {
    /// The group of an item at `label`; `None` for an item closed by an
    /// earlier run (not listed).
    pub fn of(item: &crate::domain::register::Item, label: Period) -> Option<RegisterGroup> {
        let status = item.status_at(label);
        if status == ItemStatus::Closed {
            return (item.closed_in == Some(label)).then_some(RegisterGroup::ClosedNow);
        }
        if item.reopened > 0 {
            return Some(RegisterGroup::Reopened);
        }
        Some(match status {
            ItemStatus::Overdue => RegisterGroup::Overdue,
            _ => RegisterGroup::Open,
        })
    }

    fn heading(self, lang: Lang) -> &'static str {
        match self {
            RegisterGroup::Open => lang.pick("一、未整改（未到整改期限）", "1. Open (not yet due)"),
            RegisterGroup::Overdue => lang.pick(
                "二、逾期未整改（已过整改期限）",
                "2. Overdue (past the due month)",
            ),
            RegisterGroup::ClosedNow => lang.pick(
                "三、本次销号（本次对账复核未再发现，销号月份为本月）",
                "3. Closed by this run (checked again and not found)",
            ),
            RegisterGroup::Reopened => lang.pick(
                "四、销号后再次发现（可能虚假整改，请重点核查）",
                "4. Found again after closing (possible false rectification: check closely)",
            ),
        }
    }
}

/// The office's columns every printed register shows, filled from the
/// register's columns of the same name (empty to write in by hand when
/// the register has none).
const OFFICE_COLUMNS: [&str; 4] = ["整改措施", "责任人", "追回金额", "备注"];

/// The office's column headed 追回金额 (money recovered).
const RECOVERED_COLUMN: &str = "追回金额";

fn code_text(code: &str, lang: Lang) -> String {
    match Code::ALL.iter().find(|known| known.name() == code) {
        Some(known) => code_name(*known, lang).to_string(),
        None => code.to_string(),
    }
}

fn program_text(program: &str, lang: Lang) -> String {
    match Program::parse(program) {
        Some(known) => program_name(known, lang).to_string(),
        None => program.to_string(),
    }
}

fn status_text(status: ItemStatus, lang: Lang) -> &'static str {
    lang.pick(status.chinese(), status.name())
}

/// The 整改台账 sheet: the register after this run, its items grouped as
/// open, overdue, closed by this run and found again after closing, with
/// the office's own columns.
pub fn write_register_sheet(
    sheets: &mut PrintSheets<'_>,
    inputs: &ListInputs<'_>,
) -> Result<Written, XlsxError> {
    let lang = sheets.lang;
    let regions = sheets.regions;
    let label = inputs.label;
    let register = inputs.register;
    // The office's columns shown: the four usual ones, then any other.
    let mut office: Vec<&str> = OFFICE_COLUMNS.to_vec();
    for column in &register.office_columns {
        if !office.contains(&column.as_ref()) {
            office.push(column);
        }
    }
    let position: Vec<Option<usize>> = office
        .iter()
        .map(|name| {
            register
                .office_columns
                .iter()
                .position(|column| column.as_ref() == *name)
        })
        .collect();
    let mut grouped: BTreeMap<RegisterGroup, Vec<&crate::domain::register::Item>> = BTreeMap::new();
    let mut closed_before = 0u64;
    for item in &register.items {
        match RegisterGroup::of(item, label) {
            Some(group) => grouped.entry(group).or_default().push(item),
            None => closed_before += 1,
        }
    }
    let title = lang.pick(
        format!("整改台账（截至{}）", month_text(label, lang)),
        format!("Rectification register as at {label}"),
    );
    let count = |group: RegisterGroup| grouped.get(&group).map_or(0, Vec::len);
    let notes = vec![
        lang.pick(
            format!(
                "未整改 {} 项，逾期 {} 项，本次销号 {} 项，销号后再次发现 {} 项；此前已销号的 {} 项不再列出（见 register.csv）。",
                count(RegisterGroup::Open),
                count(RegisterGroup::Overdue),
                count(RegisterGroup::ClosedNow),
                count(RegisterGroup::Reopened),
                closed_before
            ),
            format!(
                "{} open, {} overdue, {} closed by this run, {} found again after closing; {} items closed by earlier runs are not listed (see register.csv).",
                count(RegisterGroup::Open),
                count(RegisterGroup::Overdue),
                count(RegisterGroup::ClosedNow),
                count(RegisterGroup::Reopened),
                closed_before
            ),
        ),
        lang.pick(
            "整改措施、责任人、追回金额、备注等列由经办单位填写，下次对账时用 --register 带入，原样保留。".to_string(),
            "The office's columns (measures, responsible, recovered, note) are kept cell for cell when the register is given to the next run with --register.".to_string(),
        ),
    ];
    let mut titles: Vec<String> = lang
        .pick(
            [
                "问题编号",
                "状态",
                "问题类型",
                "区划代码(村/社区)",
                "姓名",
                "身份证号",
                "项目",
                "所属期",
                "涉及金额(元)",
                "首次发现",
                "整改期限",
                "提示",
            ],
            [
                "Item",
                "Status",
                "Finding",
                "Region (village)",
                "Name",
                "ID number",
                "Program",
                "Month",
                "Amount (yuan)",
                "First found",
                "Due",
                "Flag",
            ],
        )
        .iter()
        .map(|title| region_title(title, !regions.is_empty()).to_string())
        .collect();
    titles.extend(office.iter().map(ToString::to_string));
    let mut max_widths = vec![12, 7, 22, 13, 8, 19, 8, 17, 10, 8, 8, 22];
    max_widths.extend(std::iter::repeat_n(16, office.len()));
    let max_widths: &[usize] = &max_widths;
    let mut print = Print::new(
        sheets,
        sheet_names(lang).register,
        title,
        notes,
        titles,
        max_widths,
        &[0, 3, 5],
    )?;
    for group in [
        RegisterGroup::Open,
        RegisterGroup::Overdue,
        RegisterGroup::ClosedNow,
        RegisterGroup::Reopened,
    ] {
        let items = grouped.get(&group).map_or(&[][..], Vec::as_slice);
        print.group(&lang.pick(
            format!("{}  {} 项", group.heading(lang), items.len()),
            format!("{}: {} items", group.heading(lang), items.len()),
        ))?;
        for item in items {
            let number = item.item.to_string();
            let month = |period: Option<Period>| period.map(|p| p.to_string()).unwrap_or_default();
            let first = month(Some(item.first_found));
            let due = month(Some(item.due));
            let flag = if item.reopened > 0 {
                lang.pick(
                    format!("可能虚假整改(再现{}次)", item.reopened),
                    format!(
                        "possible false rectification (found again {} times after closing)",
                        item.reopened
                    ),
                )
            } else {
                String::new()
            };
            let amount = match Money::parse(&item.values.amount) {
                Ok(money) if !item.values.amount.is_empty() => {
                    Cell::Money(Some(i128::from(money.fen())))
                }
                _ => Cell::RightText(&item.values.amount),
            };
            let code = code_text(&item.values.code, lang);
            let program = program_text(&item.values.program, lang);
            let mut cells = vec![
                Cell::Id(&number),
                Cell::Text(status_text(item.status_at(label), lang)),
                Cell::Text(&code),
                Cell::Id(village(&item.values.region, regions, lang)),
                Cell::Text(&item.values.name),
                Cell::Id(&item.values.id_number),
                Cell::Text(&program),
                Cell::Text(&item.values.period),
                amount,
                Cell::Text(&first),
                Cell::Text(&due),
                Cell::Text(&flag),
            ];
            for index in &position {
                let value = index
                    .and_then(|index| item.office.get(index))
                    .map_or("", AsRef::as_ref);
                cells.push(Cell::Text(value));
            }
            print.row(&cells, Style::Body)?;
        }
    }
    print.signatures(lang)?;
    print.finish()
}

/// One village's line of the 月报 sheet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MonthRow {
    pub paid: Paid,
    pub money: MonthMoney,
    pub new: u64,
    pub open: u64,
    pub overdue: u64,
    pub closed: u64,
    pub reopened: u64,
    /// Σ of the office's 追回金额 cells that are money, fen.
    pub recovered: i128,
}

/// A 追回金额 cell that is not money.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotMoney {
    pub item: String,
    pub region: String,
    pub cell: String,
}

/// The 月报's rows per village (region text order) and the 追回金额 cells
/// that are not money. A register item counts where it stands at the
/// label: new (first found by this run), open, overdue, closed by this
/// run, found again after closing; its 追回金额 adds to its village's
/// money recovered so far.
pub fn month_rows(inputs: &ListInputs<'_>) -> (BTreeMap<String, MonthRow>, Vec<NotMoney>) {
    let label = inputs.label;
    let mut rows: BTreeMap<String, MonthRow> = BTreeMap::new();
    for (region, money) in &inputs.month_money {
        rows.entry(region.to_string()).or_default().money = *money;
    }
    for (region, paid) in inputs.paid {
        rows.entry(region.to_string()).or_default().paid = *paid;
    }
    let recovered_column = inputs
        .register
        .office_columns
        .iter()
        .position(|column| column.trim() == RECOVERED_COLUMN);
    let mut not_money = Vec::new();
    for item in &inputs.register.items {
        let group = RegisterGroup::of(item, label);
        let cell = recovered_column
            .and_then(|index| item.office.get(index))
            .map(|cell| cell.trim())
            .unwrap_or("");
        let recovered = if cell.is_empty() {
            None
        } else {
            match Money::parse(cell) {
                Ok(money) => Some(i128::from(money.fen())),
                Err(_) => {
                    not_money.push(NotMoney {
                        item: item.item.to_string(),
                        region: item.values.region.to_string(),
                        cell: cell.to_string(),
                    });
                    None
                }
            }
        };
        if group.is_none() && recovered.is_none() {
            continue;
        }
        let row = rows.entry(item.values.region.to_string()).or_default();
        row.recovered += recovered.unwrap_or(0);
        if item.first_found == label && item.closed_in.is_none() && item.reopened == 0 {
            row.new += 1;
        }
        match group {
            Some(RegisterGroup::ClosedNow) => row.closed += 1,
            Some(group) => {
                match item.status_at(label) {
                    ItemStatus::Overdue => row.overdue += 1,
                    _ => row.open += 1,
                }
                if group == RegisterGroup::Reopened {
                    row.reopened += 1;
                }
            }
            None => {}
        }
    }
    (rows, not_money)
}

/// The 月报 sheet: per village, in the run's label month, households and
/// persons paid, E and P, the delivery rate, the register's items by where
/// they stand and the money recovered; a 合计 row; the 追回金额 cells
/// that are not money listed below.
pub fn write_month_report(
    sheets: &mut PrintSheets<'_>,
    inputs: &ListInputs<'_>,
) -> Result<Written, XlsxError> {
    let lang = sheets.lang;
    let regions = sheets.regions;
    let label = inputs.label;
    let (rows, not_money) = month_rows(inputs);
    let title = lang.pick(
        format!("社会救助资金对账月报（{}）", month_text(label, lang)),
        format!("Monthly reconciliation report, {label}"),
    );
    let notes = vec![lang.pick(
        format!(
            "报告月份为本次对账窗口（{}）的最后一个月，与整改台账的月份一致。金额单位：元。",
            window_text(inputs.window, lang)
        ),
        format!(
            "The report's month is the last month of the run's window ({}), the register's month. Amounts in yuan.",
            window_text(inputs.window, lang)
        ),
    )];
    let titles: Vec<String> = lang
        .pick(
            [
                "区划代码(村/社区)",
                "发放户数",
                "发放人数",
                "应发(E)",
                "实发(P)",
                "足额发放率",
                "本月新发现问题",
                "未整改",
                "逾期未整改",
                "本月销号",
                "其中销号后再次发现",
                "累计追回金额",
            ],
            [
                "Region (village)",
                "Households paid",
                "Persons paid",
                "Due (E)",
                "Paid (P)",
                "Delivery rate",
                "New items",
                "Open",
                "Overdue",
                "Closed this month",
                "Of which found again",
                "Recovered so far",
            ],
        )
        .iter()
        .map(|title| region_title(title, !regions.is_empty()).to_string())
        .collect();
    let max_widths = [14, 9, 9, 12, 12, 10, 9, 8, 8, 8, 10, 12];
    let mut print = Print::new(
        sheets,
        sheet_names(lang).monthly,
        title,
        notes,
        titles,
        &max_widths,
        &[0],
    )?;
    let mut total = MonthRow::default();
    for (region, row) in &rows {
        let rate = super::super::tables::rate(row.money.delivered, row.money.expected);
        print.row(
            &[
                Cell::Id(village(region, regions, lang)),
                Cell::Count(row.paid.households),
                Cell::Count(row.paid.persons),
                Cell::Money(Some(row.money.expected)),
                Cell::Money(Some(row.money.paid)),
                Cell::Rate(&rate),
                Cell::Count(row.new),
                Cell::Count(row.open),
                Cell::Count(row.overdue),
                Cell::Count(row.closed),
                Cell::Count(row.reopened),
                Cell::Money(Some(row.recovered)),
            ],
            Style::Body,
        )?;
        total.paid.households += row.paid.households;
        total.paid.persons += row.paid.persons;
        total.money.expected += row.money.expected;
        total.money.delivered += row.money.delivered;
        total.money.paid += row.money.paid;
        total.new += row.new;
        total.open += row.open;
        total.overdue += row.overdue;
        total.closed += row.closed;
        total.reopened += row.reopened;
        total.recovered += row.recovered;
    }
    let rate = super::super::tables::rate(total.money.delivered, total.money.expected);
    print.total(
        lang.pick("合计", "Total"),
        1,
        &[
            Cell::Count(total.paid.households),
            Cell::Count(total.paid.persons),
            Cell::Money(Some(total.money.expected)),
            Cell::Money(Some(total.money.paid)),
            Cell::Rate(&rate),
            Cell::Count(total.new),
            Cell::Count(total.open),
            Cell::Count(total.overdue),
            Cell::Count(total.closed),
            Cell::Count(total.reopened),
            Cell::Money(Some(total.recovered)),
        ],
    )?;
    print.skip();
    let explanations: &[&str] = lang.pick(
        &[
            "说明：",
            "1. 发放户数、发放人数：本月实发金额大于 0 的低保户（按户主计一户，人数取花名册的家庭人口）和特困供养人员（每人计一户一人）；临时救助、价格临时补贴不另计户数。",
            "2. 应发、实发：本月各项目合计，与 summary.csv 该月各行之和一致；足额发放率 = Σmin(实发, 应发) ÷ Σ应发。",
            "3. 问题项数取自本次对账后的整改台账：本月新发现 = 本月首次发现；未整改、逾期未整改按本月状态计（含销号后再次发现的）；本月销号 = 本次对账复核后销号。",
            "4. 累计追回金额：整改台账“追回金额”列中可识别为金额的单元格之和（经办单位填写，截至本月累计）；无法识别为金额的单元格列在下方，未计入。",
        ],
        &[
            "Notes:",
            "1. Households and persons paid: dibao households paid more than 0 this month (one per head, persons from the roster's household size) and tekun persons (one household of one each); temporary assistance and the price subsidy add no households.",
            "2. Due and paid: this month over every program, as summary.csv's rows of the month add up; delivery rate = Σ min(paid, due) ÷ Σ due.",
            "3. Items from the register after this run: new = first found this month; open and overdue as they stand this month (items found again included); closed = closed by this run.",
            "4. Recovered so far: the sum of the register's 追回金额 cells that read as money (the office's entries, to date); cells that do not are listed below and not counted.",
        ],
    );
    for line in explanations {
        print.line(line)?;
    }
    if !not_money.is_empty() {
        print.skip();
        print.line(&lang.pick(
            format!(
                "整改台账“追回金额”列中无法识别为金额的单元格（{} 个，未计入合计，请更正为如 1200.00 的金额）：",
                not_money.len()
            ),
            format!(
                "Cells of the register's 追回金额 column that are not money ({}, not counted; write an amount such as 1200.00):",
                not_money.len()
            ),
        ))?;
        for entry in &not_money {
            print.line(&lang.pick(
                format!(
                    "问题编号 {}，区划 {}：“{}”",
                    entry.item,
                    village(&entry.region, regions, lang),
                    entry.cell
                ),
                format!(
                    "item {}, region {}: “{}”",
                    entry.item,
                    village(&entry.region, regions, lang),
                    entry.cell
                ),
            ))?;
        }
    }
    print.signatures(lang)?;
    print.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn correction(periods: &[&str], program: Program) -> Correction {
        let periods: Vec<PeriodRange> = periods
            .iter()
            .map(|text| PeriodRange::parse(text).expect("a range"))
            .collect();
        let lines = periods.iter().map(|range| range.months().count()).sum();
        Correction {
            kind: CorrectionKind::Backpay,
            id_number: "110101197103150052".into(),
            name: "孙五".into(),
            region: "110101".into(),
            program,
            periods,
            lines,
            amount: Money::from_fen(60_000),
            account: "0062220000000004".into(),
        }
    }

    #[test]
    fn a_memo_names_the_months_and_the_program() {
        let memo = |periods: &[&str], program| upload_memo(&correction(periods, program), Lang::Zh);
        assert_eq!(
            memo(&["2024-07..2024-08"], Program::Dibao),
            "2024年7-8月低保补发"
        );
        assert_eq!(memo(&["2024-06"], Program::Tekun), "2024年6月特困供养补发");
        assert_eq!(
            memo(&["2024-01..2024-02", "2024-04"], Program::Dibao),
            "2024年1-2月、4月低保补发"
        );
        assert_eq!(
            memo(&["2023-12..2024-01", "2024-03"], Program::PriceSubsidy),
            "2023年12月-2024年1月、3月价格临时补贴补发"
        );
        assert_eq!(
            memo(&["2023-11", "2024-02"], Program::Dibao),
            "2023年11月、2024年2月低保补发"
        );
        // Too long for a bank's memo: first and last month, and how many.
        assert_eq!(
            memo(
                &["2023-01", "2023-03", "2023-05", "2023-07", "2023-09", "2024-09"],
                Program::Dibao
            ),
            "2023年1月至2024年9月低保补发(共6个月)"
        );
        assert_eq!(
            upload_memo(&correction(&["2024-07..2024-08"], Program::Dibao), Lang::En),
            "Dibao back pay 2024-07..2024-08"
        );
    }

    fn item(
        number: u32,
        first: &str,
        due: &str,
        closed_in: Option<&str>,
        reopened: u32,
        recovered: &str,
    ) -> crate::domain::register::Item {
        let period = |text: &str| Period::parse(text).expect("a period");
        crate::domain::register::Item {
            item: crate::domain::register::ItemNumber {
                label: period(first),
                number,
            },
            values: crate::domain::register::ItemValues {
                code: "SHORTFALL".into(),
                region: "110101".into(),
                ..Default::default()
            },
            first_found: period(first),
            last_found: Some(period(first)),
            due: period(due),
            closed: closed_in.is_some(),
            closed_in: closed_in.map(period),
            reopened,
            key: format!("K{number}").into(),
            office: vec!["".into(), recovered.into()],
            period: None,
        }
    }

    /// Each item counts in one group where it stands at the label; the
    /// office's 追回金额 adds up as money, and a cell that is not money is
    /// listed, not counted and not fatal.
    #[test]
    fn register_items_count_where_they_stand_and_recovered_money_adds_up() {
        let label = Period::parse("2024-06").expect("a period");
        let register = Register {
            items: vec![
                item(1, "2024-06", "2024-08", None, 0, ""),
                item(2, "2024-03", "2024-05", None, 0, "1,200.50"),
                item(3, "2024-03", "2024-05", Some("2024-06"), 0, "50"),
                item(4, "2024-02", "2024-04", Some("2024-03"), 0, "30.00"),
                item(5, "2024-02", "2024-04", None, 2, "约300元"),
            ],
            office_columns: vec!["备注".into(), " 追回金额 ".into()],
        };
        let groups: Vec<Option<RegisterGroup>> = register
            .items
            .iter()
            .map(|item| RegisterGroup::of(item, label))
            .collect();
        assert_eq!(
            groups,
            [
                Some(RegisterGroup::Open),
                Some(RegisterGroup::Overdue),
                Some(RegisterGroup::ClosedNow),
                None,
                Some(RegisterGroup::Reopened),
            ]
        );
        let paid = PaidCounts::new();
        let inputs = ListInputs {
            corrections: &[],
            findings: &[],
            register: &register,
            label,
            window: PeriodRange::parse("2024-04..2024-06").expect("a range"),
            month_money: BTreeMap::new(),
            paid: &paid,
        };
        let (rows, not_money) = month_rows(&inputs);
        let row = &rows["110101"];
        assert_eq!((row.new, row.open, row.overdue), (1, 1, 2));
        assert_eq!((row.closed, row.reopened), (1, 1));
        assert_eq!(row.recovered, 120_050 + 5_000 + 3_000);
        assert_eq!(
            not_money,
            [NotMoney {
                item: "202402-0005".into(),
                region: "110101".into(),
                cell: "约300元".into(),
            }]
        );
    }
}

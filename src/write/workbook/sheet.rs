//! One table of a workbook written row by row into constant-memory sheets,
//! within Excel's limits: a table longer than a sheet continues on
//! `台账 (2)`, `台账 (3)` …; a text longer than a cell holds is cut and
//! counted; money too large to show exactly as a number is written as
//! text and counted. Nothing is dropped without [`Cuts`] saying so, and
//! the 说明 sheet states every cut.

use rust_xlsxwriter::{
    ColNum, Color, Format, FormatAlign, FormatBorder, IgnoreError, RowNum, Workbook, Worksheet,
    XlsxError,
};

use crate::domain::Severity;

/// A new workbook whose long sheets ([`add_streamed_worksheet`]) keep
/// their rows in scratch files in `scratch` (anonymous, gone when closed),
/// so a province's ledger is written in bounded memory.
pub fn new_workbook(scratch: &std::path::Path) -> Result<Workbook, XlsxError> {
    let mut workbook = Workbook::new();
    if !cfg!(target_family = "wasm") {
        workbook.set_tempdir(scratch)?;
    }
    Ok(workbook)
}

/// A sheet written row by row in constant memory (its rows go to a scratch
/// file) — except in WebAssembly (the page of web/), which has no files:
/// there it is an ordinary sheet, held in memory, with the same cells.
pub fn add_streamed_worksheet(workbook: &mut Workbook) -> Result<&mut Worksheet, XlsxError> {
    if cfg!(target_family = "wasm") {
        Ok(workbook.add_worksheet())
    } else {
        workbook.add_worksheet_with_constant_memory()
    }
}

/// Rows of one sheet, the header included (Excel 2007 and later).
pub const EXCEL_MAX_ROWS: u32 = 1_048_576;
/// Characters (UTF-16 units) one cell holds.
pub const EXCEL_MAX_CELL: usize = 32_767;
/// Columns of one sheet.
pub const EXCEL_MAX_COLUMNS: u32 = 16_384;

/// Excel's paper size number for A4.
pub const A4: u8 = 9;

/// The largest amount, in fen, written as a number: below 10^13 yuan an
/// amount has at most 15 significant digits (13 before the point, 2
/// after), which an IEEE double holds and Excel shows back exactly. Above,
/// it is written as its two-decimal text. (The engine's cell limit is
/// 10^10 yuan; only run totals could ever come near.)
pub const MAX_EXACT_FEN: i128 = 1_000_000_000_000_000 - 1;

/// The limits a workbook is written within. Debug builds read
/// `DUIZHANG_XLSX_ROWS` (data rows per sheet) and `DUIZHANG_XLSX_CELL`
/// (characters per cell) so that tests can reach the limits with small
/// cases; release builds always use Excel's.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Data rows per sheet, below the header.
    pub rows: u32,
    pub cell: usize,
}

impl Limits {
    pub fn excel() -> Limits {
        Limits {
            rows: EXCEL_MAX_ROWS - 1,
            cell: EXCEL_MAX_CELL,
        }
    }

    #[cfg(not(debug_assertions))]
    pub fn from_environment() -> Limits {
        Limits::excel()
    }

    #[cfg(debug_assertions)]
    pub fn from_environment() -> Limits {
        let mut limits = Limits::excel();
        let read = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|value| value.trim().parse::<usize>().ok())
        };
        if let Some(rows) = read("DUIZHANG_XLSX_ROWS") {
            limits.rows = u32::try_from(rows)
                .unwrap_or(limits.rows)
                .clamp(1, limits.rows);
        }
        if let Some(cell) = read("DUIZHANG_XLSX_CELL") {
            limits.cell = cell.clamp(16, EXCEL_MAX_CELL);
        }
        limits
    }
}

/// The formats every sheet uses, made once per workbook.
pub struct Formats {
    pub header: Format,
    pub text: Format,
    /// Text that looks like a number (ids, accounts): stored as text and
    /// formatted `@`, so a later edit keeps it text too.
    pub id: Format,
    pub money: Format,
    /// Money too large to be exact as a number: its text, right-aligned.
    pub money_text: Format,
    pub rate: Format,
    pub count: Format,
    pub severity: [Format; 3],
    pub title: Format,
    pub bold: Format,
    /// A paragraph: wrapped, at the top of its (merged) cell.
    pub paragraph: Format,
    /// A table's long text, wrapped; at the bottom of the row like every
    /// other cell of it, so a row's cells line up.
    pub wrapped: Format,
}

impl Formats {
    pub fn new() -> Formats {
        let severity = |fill: u32, font: u32| {
            Format::new()
                .set_background_color(Color::RGB(fill))
                .set_font_color(Color::RGB(font))
                .set_align(FormatAlign::Center)
        };
        Formats {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xD9E1F2))
                .set_border_bottom(FormatBorder::Thin)
                .set_align(FormatAlign::Center),
            text: Format::new(),
            id: Format::new().set_num_format("@"),
            money: Format::new().set_num_format("0.00"),
            money_text: Format::new().set_align(FormatAlign::Right),
            rate: Format::new().set_num_format("0.00%"),
            count: Format::new().set_num_format("0"),
            severity: [
                severity(0xDDEBF7, 0x1F4E78),
                severity(0xFFEB9C, 0x9C5700),
                severity(0xFFC7CE, 0x9C0006),
            ],
            title: Format::new().set_bold().set_font_size(14),
            bold: Format::new().set_bold(),
            paragraph: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            wrapped: Format::new().set_text_wrap(),
        }
    }

    pub fn severity(&self, severity: Severity) -> &Format {
        &self.severity[severity as usize]
    }
}

impl Default for Formats {
    fn default() -> Formats {
        Formats::new()
    }
}

/// One cell of a row.
#[derive(Clone, Copy, Debug)]
pub enum Cell<'a> {
    Text(&'a str),
    /// An id_number or account: always text, never a number.
    Id(&'a str),
    /// Money in fen; `None` is an empty cell.
    Money(Option<i128>),
    Count(u64),
    /// A rate as summary.csv writes it (`0.9583`, four decimals); empty
    /// when there is none.
    Rate(&'a str),
    Severity(Severity, &'a str),
    /// A column title beside the table (the 汇总 sheet's side table).
    Header(&'a str),
    /// Text in a money column (`待核定`): right-aligned like the amounts.
    RightText(&'a str),
    /// Long text (an explanation, the evidence) wrapped within its column,
    /// so a printed page keeps the column narrow and the text whole.
    Wrapped(&'a str),
}

/// What had to be cut to fit Excel, for the 说明 sheet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cuts {
    /// Text cells cut to the cell limit.
    pub cells_cut: u64,
    /// Amounts written as text (too large to be exact as numbers).
    pub money_as_text: u64,
}

/// The height of one line of 11-point text, in points.
const LINE_HEIGHT_POINTS: f64 = 15.0;

/// How many lines `text` takes wrapped in a column `width` characters
/// wide (a CJK character counts two).
pub fn wrapped_lines(text: &str, width: usize) -> usize {
    display_width(text).div_ceil(width.max(1)).max(1)
}

/// The height in points of a row of `lines` lines of 11-point text: a
/// spreadsheet does not grow a row for its wrapped text on opening a file.
pub fn row_height_points(lines: usize) -> f64 {
    LINE_HEIGHT_POINTS * lines as f64
}
/// A wrapped cell's row grows to at most this many lines (Excel's row
/// height ends at 409 points).
const MAX_WRAPPED_LINES: usize = 27;

/// Texts of one table: its sheet name and column titles.
pub struct TableSpec<'s> {
    pub name: &'s str,
    pub titles: &'s [&'s str],
    /// Widest a column is made, in characters.
    pub max_widths: &'s [usize],
    /// Columns holding ids or accounts (text that looks like a number).
    pub id_columns: &'s [ColNum],
    /// Printed landscape, the header row on every page; `fit_width`: all
    /// columns scaled onto one page's width.
    pub fit_width: bool,
    /// Only the first this many columns print (the rest are for the
    /// screen): a table too wide for legible print puts what a printout
    /// needs first.
    pub print_columns: Option<ColNum>,
}

/// The sheets one table was written on: (name, data rows).
pub type Written = Vec<(String, u64)>;

/// A table being written, one row at a time, on one or more sheets.
pub struct Table<'w, 's> {
    workbook: &'w mut Workbook,
    formats: &'w Formats,
    spec: TableSpec<'s>,
    limits: Limits,
    cuts: &'w mut Cuts,
    /// The current sheet's index in the workbook.
    sheet: usize,
    /// The table's first sheet's index.
    first_sheet: usize,
    /// The next row to write on the current sheet (the header is row 0).
    row: RowNum,
    widths: Vec<usize>,
    written: Written,
    /// Scratch for cut text.
    buffer: String,
}

impl<'w, 's> Table<'w, 's> {
    pub fn new(
        workbook: &'w mut Workbook,
        formats: &'w Formats,
        spec: TableSpec<'s>,
        limits: Limits,
        cuts: &'w mut Cuts,
    ) -> Result<Table<'w, 's>, XlsxError> {
        let mut table = Table {
            workbook,
            formats,
            widths: spec
                .titles
                .iter()
                .map(|title| display_width(title))
                .collect(),
            spec,
            limits,
            cuts,
            sheet: 0,
            first_sheet: 0,
            row: 0,
            written: Vec::new(),
            buffer: String::new(),
        };
        table.start_sheet()?;
        Ok(table)
    }

    fn sheet_name(&self) -> String {
        match self.written.len() {
            0 => self.spec.name.to_string(),
            count => format!("{} ({})", self.spec.name, count + 1),
        }
    }

    fn start_sheet(&mut self) -> Result<(), XlsxError> {
        let name = self.sheet_name();
        let worksheet = add_streamed_worksheet(self.workbook)?;
        worksheet.set_name(&name)?;
        for (column, title) in self.spec.titles.iter().enumerate() {
            worksheet.write_string_with_format(
                0,
                column as ColNum,
                *title,
                &self.formats.header,
            )?;
        }
        self.sheet = self.workbook.worksheets().len() - 1;
        if self.written.is_empty() {
            self.first_sheet = self.sheet;
        }
        self.written.push((name, 0));
        self.row = 1;
        Ok(())
    }

    /// The sheet being written.
    pub fn worksheet(&mut self) -> Result<&mut Worksheet, XlsxError> {
        self.workbook.worksheet_from_index(self.sheet)
    }

    /// The table's first sheet.
    pub fn first_worksheet(&mut self) -> Result<&mut Worksheet, XlsxError> {
        self.workbook.worksheet_from_index(self.first_sheet)
    }

    /// How many sheets the table has started.
    pub fn sheet_count(&self) -> usize {
        self.written.len()
    }

    /// Writes cells beyond the table's columns on the next row, which then
    /// holds no row of the table.
    pub fn side_only(&mut self, extra: &[(ColNum, Cell<'_>)]) -> Result<(), XlsxError> {
        let row = self.row;
        for (column, cell) in extra {
            self.write_cell(row, *column, *cell)?;
        }
        self.row += 1;
        Ok(())
    }

    /// The row the next [`push`](Self::push) writes on the current sheet.
    pub fn next_row(&self) -> RowNum {
        self.row
    }

    /// Writes one row; a full sheet is finished and the row goes on the
    /// next. `extra` cells (column, cell) go on the same sheet row beyond
    /// the table's columns (the 汇总 sheet's side table).
    pub fn push(&mut self, cells: &[Cell<'_>]) -> Result<(), XlsxError> {
        self.push_with(cells, &[])
    }

    pub fn push_with(
        &mut self,
        cells: &[Cell<'_>],
        extra: &[(ColNum, Cell<'_>)],
    ) -> Result<(), XlsxError> {
        debug_assert_eq!(cells.len(), self.spec.titles.len());
        if self.row > self.limits.rows {
            self.finish_sheet()?;
            self.start_sheet()?;
        }
        let row = self.row;
        // A wrapped cell makes its row as tall as its lines: spreadsheets
        // do not grow a row on opening a file, and a printed row of one
        // line's height shows wrapped text over its neighbours. Set before
        // the row's cells (constant-memory mode writes a row once).
        let lines = cells
            .iter()
            .enumerate()
            .map(|(column, cell)| match cell {
                Cell::Wrapped(text) => {
                    let room = self.spec.max_widths.get(column).copied().unwrap_or(40);
                    wrapped_lines(text, room).min(MAX_WRAPPED_LINES)
                }
                _ => 1,
            })
            .max()
            .unwrap_or(1);
        if lines > 1 {
            self.worksheet()?
                .set_row_height(row, row_height_points(lines))?;
        }
        for (column, cell) in cells.iter().enumerate() {
            let width = self.write_cell(row, column as ColNum, *cell)?;
            let widest = &mut self.widths[column];
            *widest = (*widest).max(width);
        }
        for (column, cell) in extra {
            self.write_cell(row, *column, *cell)?;
        }
        self.row += 1;
        self.written.last_mut().expect("a sheet was started").1 += 1;
        Ok(())
    }

    /// Writes one cell; returns its display width.
    fn write_cell(
        &mut self,
        row: RowNum,
        column: ColNum,
        cell: Cell<'_>,
    ) -> Result<usize, XlsxError> {
        let formats = self.formats;
        let limit = self.limits.cell;
        let sheet = self.sheet;
        match cell {
            Cell::Text(text)
            | Cell::Id(text)
            | Cell::Severity(_, text)
            | Cell::Header(text)
            | Cell::RightText(text)
            | Cell::Wrapped(text) => {
                let format = match cell {
                    Cell::Id(_) => &formats.id,
                    Cell::Wrapped(_) => &formats.wrapped,
                    Cell::Severity(severity, _) => formats.severity(severity),
                    Cell::Header(_) => &formats.header,
                    Cell::RightText(_) => &formats.money_text,
                    _ => &formats.text,
                };
                let shown = show_bidi_controls(text);
                let text = match fit_cell(&shown, limit, &mut self.buffer) {
                    Some(cut) => {
                        self.cuts.cells_cut += 1;
                        cut
                    }
                    None => &shown,
                };
                let worksheet = self.workbook.worksheet_from_index(sheet)?;
                if text.is_empty() {
                    if matches!(cell, Cell::Id(_)) {
                        worksheet.write_blank(row, column, format)?;
                    }
                } else if matches!(cell, Cell::Text(_)) {
                    // No format to look up: plain text is most cells.
                    worksheet.write_string(row, column, text)?;
                } else {
                    worksheet.write_string_with_format(row, column, text, format)?;
                }
                Ok(display_width(text))
            }
            Cell::Money(None) => Ok(0),
            Cell::Money(Some(fen)) => {
                let worksheet = self.workbook.worksheet_from_index(sheet)?;
                let (width, as_text) = write_money(
                    worksheet,
                    (row, column),
                    fen,
                    (&formats.money, &formats.money_text),
                )?;
                self.cuts.money_as_text += u64::from(as_text);
                Ok(width)
            }
            Cell::Count(count) => {
                let worksheet = self.workbook.worksheet_from_index(sheet)?;
                // Counts of rows and findings stay far below 2^53.
                worksheet.write_number_with_format(row, column, count as f64, &formats.count)?;
                Ok(count.to_string().len())
            }
            Cell::Rate(text) => {
                if let Ok(rate) = text.parse::<f64>() {
                    let worksheet = self.workbook.worksheet_from_index(sheet)?;
                    worksheet.write_number_with_format(row, column, rate, &formats.rate)?;
                }
                Ok(8)
            }
        }
    }

    /// Column widths, the autofilter, the frozen header and the "number
    /// stored as text" marks of the current sheet.
    fn finish_sheet(&mut self) -> Result<(), XlsxError> {
        // The header is row 0, data rows 1..=n.
        let last_row = self.written.last().map_or(0, |(_, rows)| *rows) as RowNum;
        let columns = self.spec.titles.len() as ColNum;
        let widths = self.column_widths();
        let id_columns = self.spec.id_columns;
        let fit_width = self.spec.fit_width;
        let print_columns = self.spec.print_columns;
        // Every printed page says which sheet it is and which page: a
        // stack of printouts is read out of order.
        let name = self
            .written
            .last()
            .map_or_else(String::new, |(name, _)| name.replace('&', "&&"));
        let worksheet = self.worksheet()?;
        for (column, width) in widths.into_iter().enumerate() {
            worksheet.set_column_width(column as ColNum, width)?;
        }
        worksheet.autofilter(0, 0, last_row, columns - 1)?;
        worksheet.set_freeze_panes(1, 0)?;
        worksheet
            .set_landscape()
            .set_paper_size(A4)
            .set_header(format!("&L&9{name}"))
            .set_footer("&C&9&P / &N")
            .set_repeat_rows(0, 0)?;
        if fit_width {
            worksheet.set_print_fit_to_pages(1, 0);
            // Narrow margins: every millimetre of width is type size.
            worksheet.set_margins(0.25, 0.25, 0.5, 0.5, 0.2, 0.2);
        }
        if let Some(printed) = print_columns {
            worksheet.set_print_area(0, 0, last_row.max(1), printed.min(columns) - 1)?;
        }
        if last_row >= 1 {
            for &column in id_columns {
                worksheet.ignore_error_range(
                    1,
                    column,
                    last_row,
                    column,
                    IgnoreError::NumberStoredAsText,
                )?;
            }
        }
        Ok(())
    }

    /// Each column's width (in Excel's character units) as the sheet gets
    /// it: the widest text written, capped, never narrower than its title.
    fn column_widths(&self) -> Vec<f64> {
        self.widths
            .iter()
            .enumerate()
            .map(|(column, width)| {
                // The cap never cuts the column's own title: English
                // titles are longer than the Chinese the caps were set by.
                let title = self
                    .spec
                    .titles
                    .get(column)
                    .map_or(0, |title| display_width(title));
                let most = self
                    .spec
                    .max_widths
                    .get(column)
                    .copied()
                    .unwrap_or(40)
                    .max(title);
                (*width).clamp(6, most) as f64 + 2.0
            })
            .collect()
    }

    /// The width in pixels of the table's columns as written so far (what
    /// a chart must not exceed to print within them): Excel draws a column
    /// of width w at 7w + 5 pixels (Calibri 11).
    pub fn width_pixels(&self) -> u32 {
        self.column_widths()
            .iter()
            .map(|width| (width * 7.0).round() as u32 + 5)
            .sum()
    }

    /// Finishes the last sheet; returns the sheets written with their rows.
    pub fn finish(mut self) -> Result<Written, XlsxError> {
        self.finish_sheet()?;
        Ok(self.written)
    }
}

/// Writes an amount in fen into a cell: the exact number in `number`'s
/// format, or — too large to be exact as a number — its text in `text`'s,
/// right-aligned. Returns the text's width and whether it went as text
/// (counted on 说明 as cut to fit Excel).
pub fn write_money(
    worksheet: &mut rust_xlsxwriter::Worksheet,
    (row, column): (RowNum, ColNum),
    fen: i128,
    (number, text): (&Format, &Format),
) -> Result<(usize, bool), XlsxError> {
    let written = crate::domain::money::format_fen_total(fen);
    let as_text = match money_number(fen) {
        Some(value) => {
            worksheet.write_number_with_format(row, column, value, number)?;
            false
        }
        None => {
            worksheet.write_string_with_format(row, column, &written, text)?;
            true
        }
    };
    Ok((written.len(), as_text))
}

/// An amount in fen as the number Excel stores, when that is exact.
///
/// Why this is exact: `fen as f64` is exact below 2^53; one IEEE division
/// by 100 then gives the double nearest to `fen / 100` — the same double
/// that parsing the two-decimal text (`"1290.50"`) gives, and the one
/// Excel gets back from the shortest text written into the file. A decimal
/// of at most 15 significant digits survives the round trip text → nearest
/// double → 15 digits, so an amount below 10^13 yuan ([`MAX_EXACT_FEN`])
/// shows exactly as the CSV writes it. Beyond that: `None`, write text.
pub fn money_number(fen: i128) -> Option<f64> {
    (fen.abs() <= MAX_EXACT_FEN).then(|| fen as f64 / 100.0)
}

/// Is `character` a bidirectional control: an embedding, override or
/// isolate (U+202A–U+202E, U+2066–U+2069) or a direction mark (U+200E,
/// U+200F, U+061C)? Invisible, they reorder what a reader sees (a name
/// holding U+202E shows its characters after it backwards).
pub fn is_bidi_control(character: char) -> bool {
    matches!(
        character,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// `text` with each bidirectional control shown as `<U+202E>`
/// (docs/spec-readings.md): a workbook is read by people, and the text of
/// a case is shown in it as typed, never reordered by a character nobody
/// sees. Text without one (nearly all) is returned as it is, after one
/// byte search: every such control is encoded from 0xD8 or 0xE2.
pub fn show_bidi_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if memchr::memchr2(0xD8, 0xE2, text.as_bytes()).is_none() || !text.chars().any(is_bidi_control)
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 16);
    for character in text.chars() {
        if is_bidi_control(character) {
            shown.push_str(&format!("<U+{:04X}>", u32::from(character)));
        } else {
            shown.push(character);
        }
    }
    std::borrow::Cow::Owned(shown)
}

/// `text` cut to `limit` UTF-16 units with a marker, or `None` when it
/// fits.
pub fn fit_cell<'b>(text: &str, limit: usize, buffer: &'b mut String) -> Option<&'b str> {
    const MARK: &str = "…[截断/cut]";
    if text.len() <= limit || text.encode_utf16().count() <= limit {
        return None;
    }
    let room = limit - MARK.encode_utf16().count();
    buffer.clear();
    let mut used = 0;
    for character in text.chars() {
        used += character.len_utf16();
        if used > room {
            break;
        }
        buffer.push(character);
    }
    buffer.push_str(MARK);
    Some(buffer.as_str())
}

/// Columns a text takes in a spreadsheet: wide (CJK, full-width) characters
/// two, others one.
pub fn display_width(text: &str) -> usize {
    text.chars()
        .map(|character| if is_wide(character) { 2 } else { 1 })
        .sum()
}

fn is_wide(character: char) -> bool {
    matches!(u32::from(character),
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

#[cfg(test)]
mod tests {

    /// Bidirectional controls are shown, never obeyed: `<U+202E>` in the
    /// cell instead of an invisible reordering of the name after it.
    #[test]
    fn bidi_controls_in_a_cell_are_shown_not_obeyed() {
        assert_eq!(show_bidi_controls("张三"), "张三");
        assert!(matches!(
            show_bidi_controls("王芳 ·—"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            show_bidi_controls("张\u{202E}三丰\u{202C}"),
            "张<U+202E>三丰<U+202C>"
        );
        for control in [
            '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
            '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        ] {
            let shown = show_bidi_controls(&format!("a{control}b")).into_owned();
            assert_eq!(shown, format!("a<U+{:04X}>b", u32::from(control)));
        }
        // Neighbours that are no bidi controls stay.
        for kept in ['\u{200D}', '\u{2065}', '\u{206A}', '\u{061B}', '\u{2029}'] {
            let text = format!("a{kept}b");
            assert_eq!(show_bidi_controls(&text), text.as_str());
        }
    }

    use super::*;

    #[test]
    fn two_decimal_amounts_are_the_doubles_their_text_parses_to() {
        for fen in [
            0i128,
            1,
            5,
            10,
            129_050,
            -15_000,
            33_333,
            1_000_000_000_000,
            123_456_789_012_345,
            MAX_EXACT_FEN,
            -MAX_EXACT_FEN,
        ] {
            let text = crate::domain::money::format_fen_total(fen);
            let parsed: f64 = text.parse().expect("a number");
            assert_eq!(money_number(fen), Some(parsed), "{text}");
            // And it shows back as the same 15 significant digits.
            assert_eq!(format!("{:.2}", parsed), text);
        }
        assert_eq!(money_number(MAX_EXACT_FEN + 1), None);
    }

    #[test]
    fn long_text_is_cut_at_a_character_with_a_mark() {
        let mut buffer = String::new();
        assert_eq!(fit_cell("short", 32, &mut buffer), None);
        let long = "低保".repeat(40);
        let cut = fit_cell(&long, 32, &mut buffer).expect("cut").to_string();
        assert!(cut.encode_utf16().count() <= 32, "{cut}");
        assert!(cut.starts_with("低保低保") && cut.ends_with("…[截断/cut]"));
        // Characters outside the BMP count two units and are never split.
        let wide = "𠀀".repeat(40);
        let cut = fit_cell(&wide, 32, &mut buffer).expect("cut").to_string();
        assert!(cut.encode_utf16().count() <= 32);
        assert!(cut
            .trim_end_matches("…[截断/cut]")
            .chars()
            .all(|c| c == '𠀀'));
    }

    #[test]
    fn chinese_counts_two_columns() {
        assert_eq!(display_width("吴丽"), 4);
        assert_eq!(display_width("510104"), 6);
    }
}

//! report.xlsx (`reconcile --report`) and the public notice (`notice`):
//! workbooks for the finance staff and auditors who live in Excel and WPS.
//!
//! The report is built from the same rows the CSV files hold — the sorted
//! findings, the summary totals, run.json's counts, and the ledger lines
//! spilled part by part ([`ledger`]) — so an in-memory and a partitioned
//! run give the same bytes, whatever `--threads` is. Large sheets are
//! written in rust_xlsxwriter's constant-memory mode (one row in memory,
//! the rest in an anonymous scratch file), so memory stays bounded on a
//! province. Every document property is fixed (no clock is read), and the
//! zip entries carry rust_xlsxwriter's fixed 1980-01-01 time: the same
//! inputs give the same file, byte for byte.

mod cases;
mod ledger;
mod lists;
mod names;
mod notice;
mod sheet;
mod whatif;
mod words;
pub use words::{explain, month_zh};

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use rust_xlsxwriter::{
    Chart, ChartMarker, ChartType, ColNum, DocProperties, ExcelDateTime, Workbook, Worksheet,
    XlsxError,
};

use super::report::RunStats;
use super::tables::{self, SummaryGroups};
use crate::domain::regions::Regions;
use crate::domain::{Code, Finding, Period, Severity};
use crate::engine::{Context, Reconciliation};

pub use ledger::LedgerSpill;
pub use lists::{upload_memo, write_upload, UploadCounts, UPLOAD};
use names::{case_titles, cause_name, finding_titles, ledger_titles, summary_titles};
pub use names::{
    code_advice, code_name, program_name, region_title, severity_name, sheet_names, stage_name,
    status_name, Lang,
};
pub use notice::{
    withhold_numbers, write_notice, LeftOutRow, NoticeCounts, NoticeFrame, NoticeRow,
};
use sheet::{Cell, Cuts, Formats, Limits, Table, TableSpec, Written};
pub use whatif::write_whatif_workbook;

/// A region's town (乡镇/街道): the first 9 characters of its code. China's
/// 12-digit division codes (统计用区划代码) are province 2, prefecture 2,
/// county 3… more exactly 2+2+2 for the county, 3 for the township and 3
/// for the village; a code shorter than 9 characters is its own town.
pub const TOWN_DIGITS: usize = 9;

/// Most series one Excel chart holds.
const MAX_CHART_SERIES: usize = 255;

/// Rows the chart takes at the top of the 汇总 sheet's side area.
const CHART_ROWS: u32 = 19;

/// The first column of the 汇总 sheet's town table (one blank column
/// after the summary's twelve).
const TOWN_COLUMN: ColNum = 13;

/// The creation time written into every workbook: fixed, so that the same
/// inputs give the same bytes (it is no statement about when the file was
/// made; the 说明 sheet names the run by its window and input hashes).
fn fixed_creation_time() -> ExcelDateTime {
    ExcelDateTime::from_ymd(2000, 1, 1).expect("a valid date")
}

/// Deflate level of the workbook's zip: on a 300,000-line ledger level 3
/// wrote the report in 7.3 s and 14.8 MB, level 6 (the default) in 10.4 s
/// and 11.9 MB, level 1 in 6.7 s and 21.4 MB.
const ZIP_LEVEL: u8 = 3;

fn properties(title: &str, lang: Lang) -> DocProperties {
    DocProperties::new()
        .set_title(title)
        .set_author("duizhang")
        .set_company("")
        .set_comment(lang.pick(
            "由 duizhang 生成；同样的输入总是生成同样的文件。",
            "Made by duizhang; the same inputs always give the same file.",
        ))
        .set_creation_datetime(&fixed_creation_time())
}

fn xlsx_error(error: XlsxError) -> io::Error {
    match error {
        XlsxError::IoError(error) => error,
        other => io::Error::other(other.to_string()),
    }
}

/// Runs `work`, turning a panic inside rust_xlsxwriter into an error.
///
/// rust_xlsxwriter writes a constant-memory sheet's rows to its scratch
/// file with `expect`/`unwrap`, so a full disk panics there instead of
/// returning an error. duizhang never panics on I/O: such a panic is
/// caught (and kept off stderr) and becomes the error returned here;
/// any other panic goes on as a panic.
fn guarded<T>(work: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    static FROM_XLSXWRITER: AtomicBool = AtomicBool::new(false);
    let previous = Arc::new(std::panic::take_hook());
    let forward = Arc::clone(&previous);
    std::panic::set_hook(Box::new(move |info| {
        let inside = info
            .location()
            .is_some_and(|location| location.file().contains("rust_xlsxwriter"));
        if inside {
            FROM_XLSXWRITER.store(true, Ordering::SeqCst);
        } else {
            forward(info);
        }
    }));
    FROM_XLSXWRITER.store(false, Ordering::SeqCst);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
    std::panic::set_hook(Box::new(move |info| previous(info)));
    match outcome {
        Ok(result) => result,
        Err(payload) if FROM_XLSXWRITER.load(Ordering::SeqCst) => {
            let said = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("unknown error");
            Err(io::Error::other(format!(
                "the workbook's sheet data could not be written to its scratch file (is the disk full?): {said}"
            )))
        }
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// The workbook of a run being gathered: its ledger lines are spilled as
/// each part is written; the rest comes at [`finish`](Report::finish).
pub struct Report {
    lang: Lang,
    limits: Limits,
    scratch: std::path::PathBuf,
    spill: LedgerSpill,
    /// Households and persons paid per village in the run's label month.
    paid: lists::PaidCounts,
    /// regions.csv's names, shown for the codes.
    regions: std::sync::Arc<Regions>,
}

/// What the workbook is made of besides the ledger: the same values the
/// CSV files and run.json are rendered from.
pub struct ReportInputs<'a> {
    pub stats: &'a RunStats,
    pub summary: &'a SummaryGroups,
    pub given: [bool; 3],
    /// Sorted as in findings.csv.
    pub findings: &'a [Finding],
    /// corrections.csv's rows, in its order.
    pub corrections: &'a [crate::engine::corrections::Correction],
    /// The register after this run, and the run's label (the window's
    /// last month).
    pub register: &'a crate::domain::register::Register,
    pub label: Period,
}

impl Report {
    /// `scratch`: a folder for anonymous scratch files (OUT_DIR).
    /// `regions`: the names shown for region codes (regions.csv).
    pub fn new(lang: Lang, scratch: &Path, regions: std::sync::Arc<Regions>) -> io::Result<Report> {
        Ok(Report {
            regions,
            lang,
            limits: Limits::from_environment(),
            scratch: scratch.to_path_buf(),
            spill: LedgerSpill::new(scratch)?,
            paid: lists::PaidCounts::new(),
        })
    }

    /// Adds one part's ledger lines.
    pub fn add(
        &mut self,
        context: &Context<'_>,
        reconciliation: &Reconciliation,
    ) -> io::Result<()> {
        lists::gather_paid(
            &mut self.paid,
            context,
            reconciliation,
            reconciliation.window.last,
        );
        self.spill.add(context, reconciliation)
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The folder of the workbook's scratch files (OUT_DIR).
    pub fn scratch(&self) -> &Path {
        &self.scratch
    }

    /// Builds the workbook and writes it to `out`.
    pub fn finish(self, out: impl Write + Send, inputs: &ReportInputs<'_>) -> io::Result<()> {
        guarded(move || self.build(inputs)?.save_to_writer(out).map_err(xlsx_error))
    }

    fn build(self, inputs: &ReportInputs<'_>) -> io::Result<Workbook> {
        let lang = self.lang;
        let names = sheet_names(lang);
        let mut workbook = sheet::new_workbook(&self.scratch).map_err(xlsx_error)?;
        workbook.set_zip_compression_level(ZIP_LEVEL);
        workbook.set_properties(&properties(
            lang.pick(
                "社会救助资金对账报告",
                "Social assistance reconciliation report",
            ),
            lang,
        ));
        let formats = Formats::new();
        // 说明 first (in memory, filled last: it states what the others hold).
        workbook
            .add_worksheet()
            .set_name(names.about)
            .map_err(xlsx_error)?;
        let regions = self.regions.clone();
        let mut sheets = Sheets {
            workbook: &mut workbook,
            formats: &formats,
            limits: self.limits,
            cuts: Cuts::default(),
            lang,
            regions: &regions,
        };
        let mut written: Vec<(&'static str, Written)> = Vec::new();
        let (summary, chart_notes) = write_summary(&mut sheets, inputs).map_err(xlsx_error)?;
        written.push((
            lang.pick("按区划、项目、月份汇总", "per region, program and month"),
            summary,
        ));
        let findings = write_findings(&mut sheets, inputs.findings).map_err(xlsx_error)?;
        written.push((lang.pick("每行一个问题", "one row per finding"), findings));
        let cases = write_cases(&mut sheets, inputs.findings).map_err(xlsx_error)?;
        written.push((
            lang.pick(
                "同一人、项目、问题合并为案件",
                "findings folded per person, program and code",
            ),
            cases,
        ));
        let ledger = write_ledger(&mut sheets, self.spill)?;
        written.push((
            lang.pick(
                "按村(社区)、人员、月份的台账",
                "ledger by village, person and month",
            ),
            ledger,
        ));
        let print_formats = lists::PrintFormats::new();
        let mut month_money: BTreeMap<&str, lists::MonthMoney> = BTreeMap::new();
        for ((region, _, period), totals) in inputs.summary.iter() {
            if *period == inputs.label {
                let money = month_money.entry(region).or_default();
                money.expected += totals.expected;
                money.delivered += totals.delivered;
                money.paid += totals.paid;
            }
        }
        let list_inputs = lists::ListInputs {
            corrections: inputs.corrections,
            findings: inputs.findings,
            register: inputs.register,
            label: inputs.label,
            window: inputs.stats.window,
            month_money,
            paid: &self.paid,
        };
        let mut print = lists::PrintSheets {
            workbook: &mut *sheets.workbook,
            formats: &print_formats,
            limits: sheets.limits,
            cuts: &mut sheets.cuts,
            lang,
            regions: &regions,
        };
        let month = lists::write_month_report(&mut print, &list_inputs).map_err(xlsx_error)?;
        written.push((
            lang.pick(
                "报告月份按村(社区)：发放户数人数、应发实发、问题整改和追回金额",
                "the report's month per village: households and persons paid, due and paid, register items and money recovered",
            ),
            month,
        ));
        let backpay = lists::write_corrections_list(
            &mut print,
            &list_inputs,
            crate::engine::corrections::CorrectionKind::Backpay,
        )
        .map_err(xlsx_error)?;
        written.push((
            lang.pick(
                "补发清单，按村(社区)小计，可打印签字",
                "back pay by village with subtotals, to print and sign",
            ),
            backpay,
        ));
        let recover = lists::write_corrections_list(
            &mut print,
            &list_inputs,
            crate::engine::corrections::CorrectionKind::Recover,
        )
        .map_err(xlsx_error)?;
        written.push((
            lang.pick(
                "追缴清单，按村(社区)小计，可打印签字",
                "recovery by village with subtotals, to print and sign",
            ),
            recover,
        ));
        let register = lists::write_register_sheet(&mut print, &list_inputs).map_err(xlsx_error)?;
        written.push((
            lang.pick(
                "整改台账：未整改、逾期、本次销号、销号后再次发现",
                "the register: open, overdue, closed by this run, found again",
            ),
            register,
        ));
        let cuts = sheets.cuts;
        let about = workbook.worksheet_from_index(0).map_err(xlsx_error)?;
        write_about(about, &formats, inputs, &written, &cuts, &chart_notes, lang)
            .map_err(xlsx_error)?;
        Ok(workbook)
    }
}

/// What every table of the report is written with.
struct Sheets<'w> {
    workbook: &'w mut Workbook,
    formats: &'w Formats,
    limits: Limits,
    cuts: Cuts,
    lang: Lang,
    regions: &'w Regions,
}

impl Sheets<'_> {
    fn table<'t, 's>(&'t mut self, spec: TableSpec<'s>) -> Result<Table<'t, 's>, XlsxError> {
        Table::new(
            self.workbook,
            self.formats,
            spec,
            self.limits,
            &mut self.cuts,
        )
    }
}

fn money_cell(fen: i128) -> Cell<'static> {
    Cell::Money(Some(fen))
}

/// The 汇总 sheet: summary.csv's rows, and beside them each town's
/// delivery rate by month with a line chart of it. Returns the sheets
/// written and notes on what the chart could not show.
fn write_summary(
    sheets: &mut Sheets<'_>,
    inputs: &ReportInputs<'_>,
) -> Result<(Written, Vec<String>), XlsxError> {
    let lang = sheets.lang;
    let limits = sheets.limits;
    let names = sheet_names(lang);
    let titles = summary_titles(lang).map(|title| region_title(title, !sheets.regions.is_empty()));
    let rows = tables::sorted_summary(inputs.summary);
    let window = inputs.stats.window;
    // Town × month: Σ min(P, E) and Σ E over every program.
    let mut towns: BTreeMap<&str, TownMonths> = BTreeMap::new();
    for ((region, _, period), totals) in &rows {
        let town = town_of(region);
        let cell = towns.entry(town).or_default().entry(*period).or_default();
        cell.0 += totals.delivered;
        cell.1 += totals.expected;
    }
    towns.retain(|_, months| months.values().any(|(_, expected)| *expected > 0));
    let mut notes = Vec::new();
    let months: Vec<Period> = window.months().collect();
    let room = (sheet::EXCEL_MAX_COLUMNS as usize) - usize::from(TOWN_COLUMN) - 1;
    let shown_months = &months[..months.len().min(room)];
    if shown_months.len() < months.len() {
        notes.push(lang.pick(
            format!("汇总表右侧的乡镇发放率表只列出前 {} 个月（Excel 每表最多 16384 列）；各月数字见左侧汇总表。", shown_months.len()),
            format!("The town table beside the summary shows the first {} months only (Excel has 16,384 columns); every month is in the summary table.", shown_months.len()),
        ));
    }
    let town_rows = usize::try_from(limits.rows.saturating_sub(CHART_ROWS + 1)).unwrap_or(0);
    let shown_towns: Vec<(&str, &TownMonths)> = towns
        .iter()
        .map(|(town, months)| (*town, months))
        .take(town_rows)
        .collect();
    if shown_towns.len() < towns.len() {
        notes.push(lang.pick(
            format!(
                "乡镇发放率表只列出前 {} 个乡镇（一张表的行数有限）。",
                shown_towns.len()
            ),
            format!(
                "The town table lists the first {} towns only (a sheet's rows are limited).",
                shown_towns.len()
            ),
        ));
    }
    // The side table, by sheet row: a title, a header of months, a row per town.
    let rate_texts: Vec<Vec<String>> = shown_towns
        .iter()
        .map(|(_, by_month)| {
            shown_months
                .iter()
                .map(|month| {
                    by_month
                        .get(month)
                        .map(|(delivered, expected)| tables::rate(*delivered, *expected))
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    let month_texts: Vec<String> = shown_months.iter().map(Period::to_string).collect();
    let town_labels: Vec<&str> = shown_towns
        .iter()
        .map(|(town, _)| {
            if town.is_empty() {
                lang.pick("(无区划)", "(no region)")
            } else {
                sheets.regions.display(town)
            }
        })
        .collect();
    let side_title = lang.pick(
        "各乡镇(街道)按月足额发放率",
        "Delivery rate by month per town",
    );
    let town_header = lang.pick("乡镇(街道)", "Town");
    let side_row = |row: u32| -> Vec<(ColNum, Cell<'_>)> {
        let mut cells = Vec::new();
        if row == CHART_ROWS {
            cells.push((TOWN_COLUMN, Cell::Text(side_title)));
        } else if row == CHART_ROWS + 1 {
            cells.push((TOWN_COLUMN, Cell::Header(town_header)));
            for (offset, month) in month_texts.iter().enumerate() {
                cells.push((TOWN_COLUMN + 1 + offset as ColNum, Cell::Header(month)));
            }
        } else if row > CHART_ROWS + 1 {
            let index = (row - CHART_ROWS - 2) as usize;
            if let Some(rates) = rate_texts.get(index) {
                cells.push((TOWN_COLUMN, Cell::Id(town_labels[index])));
                for (offset, rate) in rates.iter().enumerate() {
                    cells.push((TOWN_COLUMN + 1 + offset as ColNum, Cell::Rate(rate)));
                }
            }
        }
        cells
    };
    let side_rows = if shown_towns.is_empty() {
        0
    } else {
        CHART_ROWS + 2 + shown_towns.len() as u32
    };

    let spec = TableSpec {
        name: names.summary,
        titles: &titles,
        max_widths: &[14, 14, 9, 10, 16, 16, 16, 16, 14, 14, 14, 10],
        id_columns: &[0],
        // One page wide; on the first sheet only the summary's twelve
        // columns print (the print area below): the towns' table and
        // chart beside it are read on screen, and printed they left the
        // last columns alone on dozens of pages.
        fit_width: true,
        print_columns: None,
    };
    let given = inputs.given;
    let sheets_regions = sheets.regions;
    let mut table = sheets.table(spec)?;
    let mut first_sheet = true;
    for ((region, program, period), totals) in &rows {
        let period_text = period.to_string();
        let rate = tables::rate(totals.delivered, totals.expected);
        let stage = |index: usize, total: i128| Cell::Money(given[index].then_some(total));
        let cells = [
            Cell::Id(sheets_regions.display(region)),
            Cell::Text(program_name(*program, lang)),
            Cell::Text(&period_text),
            Cell::Count(totals.lines),
            money_cell(totals.expected),
            stage(0, totals.allocated),
            stage(1, totals.transferred),
            money_cell(totals.paid),
            money_cell(totals.shortfall),
            money_cell(totals.overpaid),
            money_cell(totals.improper),
            Cell::Rate(&rate),
        ];
        let row = table.next_row();
        // The side table lives on the first sheet only.
        first_sheet = table.sheet_count() == 1 && row <= limits.rows;
        if first_sheet && row < side_rows {
            table.push_with(&cells, &side_row(row))?;
        } else {
            table.push(&cells)?;
        }
    }
    // A blank row, then the totals of every row above (each yuan once:
    // the rows are disjoint), so a printed 汇总 ends in its sum.
    let mut grand = tables::Totals::default();
    for (_, totals) in &rows {
        grand.merge(totals);
    }
    let on_first_sheet = |table: &Table<'_, '_>| first_sheet && table.sheet_count() == 1;
    if !rows.is_empty() {
        let row = table.next_row();
        let side = if on_first_sheet(&table) && row < side_rows {
            side_row(row)
        } else {
            Vec::new()
        };
        table.side_only(&side)?;
        let row = table.next_row();
        let rate = tables::rate(grand.delivered, grand.expected);
        let mut cells: Vec<(ColNum, Cell<'_>)> = vec![
            (0, Cell::Text(lang.pick("合计", "Total"))),
            (3, Cell::Count(grand.lines)),
            (4, money_cell(grand.expected)),
            (5, Cell::Money(given[0].then_some(grand.allocated))),
            (6, Cell::Money(given[1].then_some(grand.transferred))),
            (7, money_cell(grand.paid)),
            (8, money_cell(grand.shortfall)),
            (9, money_cell(grand.overpaid)),
            (10, money_cell(grand.improper)),
            (11, Cell::Rate(&rate)),
        ];
        if on_first_sheet(&table) && row < side_rows {
            cells.extend(side_row(row));
        }
        table.side_only(&cells)?;
    }
    if first_sheet && table.sheet_count() == 1 {
        while table.next_row() < side_rows {
            let row = table.next_row();
            table.side_only(&side_row(row))?;
        }
    }
    if !shown_towns.is_empty() {
        let mut chart = Chart::new(ChartType::Line);
        chart.title().set_name(side_title);
        chart.x_axis().set_name(lang.pick("所属期", "Month"));
        chart
            .y_axis()
            .set_name(lang.pick("足额发放率", "Delivery rate"))
            .set_num_format("0%")
            .set_max(1.0);
        chart.set_width(760).set_height((CHART_ROWS - 2) * 20);
        let sheet_name = names.summary;
        let last_column = TOWN_COLUMN + shown_months.len() as ColNum;
        for (index, _) in shown_towns.iter().enumerate().take(MAX_CHART_SERIES) {
            let row = CHART_ROWS + 2 + index as u32;
            chart
                .add_series()
                .set_name((sheet_name, row, TOWN_COLUMN))
                .set_categories((
                    sheet_name,
                    CHART_ROWS + 1,
                    TOWN_COLUMN + 1,
                    CHART_ROWS + 1,
                    last_column,
                ))
                .set_values((sheet_name, row, TOWN_COLUMN + 1, row, last_column))
                .set_marker(ChartMarker::new().set_automatic());
        }
        if shown_towns.len() > MAX_CHART_SERIES {
            notes.push(lang.pick(
                format!("图表只画出前 {MAX_CHART_SERIES} 个乡镇（Excel 每个图表最多 {MAX_CHART_SERIES} 个系列）；全部乡镇见图表下方的表。"),
                format!("The chart draws the first {MAX_CHART_SERIES} towns (an Excel chart holds at most {MAX_CHART_SERIES} series); every town is in the table below it."),
            ));
        }
        // The chart for the printout: below the table, inside the printed
        // columns, on a page of its own (the one beside the towns' table
        // is for the screen and does not print). Only when the table fits
        // its first sheet: below a continued table is nowhere to look.
        let printed_chart_row = (table.sheet_count() == 1).then(|| table.next_row() + 1);
        // A little narrower than the printed columns: a chart wider than
        // them is cut at the print area's edge, not scaled.
        let printed_width = table.width_pixels().saturating_sub(20).max(400);
        let worksheet: &mut Worksheet = table.first_worksheet()?;
        worksheet.insert_chart(1, TOWN_COLUMN, &chart)?;
        if let Some(row) = printed_chart_row {
            let mut printed = chart.clone();
            printed
                .set_width(printed_width)
                .set_height(printed_width * PRINTED_CHART_HEIGHT_PER_MILLE / 1000);
            worksheet.insert_chart(row, 0, &printed)?;
            worksheet.set_page_breaks(&[row])?;
        }
        // Rows 1..=1,048,576 (Excel's last), columns A..L: printed as $A:$L.
        worksheet.set_print_area(0, 0, 1_048_575, TOWN_COLUMN - 2)?;
        worksheet.set_column_width(TOWN_COLUMN, 14)?;
        for offset in 0..shown_months.len() {
            worksheet.set_column_width(TOWN_COLUMN + 1 + offset as ColNum, 9)?;
        }
    }
    Ok((table.finish()?, notes))
}

/// The printed copy of 汇总's chart is as wide as the twelve printed
/// columns and this many thousandths of that high: a landscape A4 page's
/// proportions, inside its margins.
const PRINTED_CHART_HEIGHT_PER_MILLE: u32 = 620;

/// A town's Σ min(P, E) and Σ E per month.
type TownMonths = BTreeMap<Period, (i128, i128)>;

/// The town of a region code (see [`TOWN_DIGITS`]).
pub fn town_of(region: &str) -> &str {
    match region.char_indices().nth(TOWN_DIGITS) {
        Some((end, _)) => &region[..end],
        None => region,
    }
}

/// The 问题清单 sheet: findings.csv row for row.
fn write_findings(sheets: &mut Sheets<'_>, findings: &[Finding]) -> Result<Written, XlsxError> {
    let lang = sheets.lang;
    let regions = sheets.regions;
    let titles = finding_titles(lang).map(|title| region_title(title, !sheets.regions.is_empty()));
    let spec = TableSpec {
        name: sheet_names(lang).findings,
        titles: &titles,
        // The printed eleven narrow enough for a legible A4 page, the long
        // texts wrapped; the rest as wide as their contents.
        max_widths: &[
            16, 6, 19, 8, 13, 8, 9, 11, 30, 22, 18, 22, 12, 12, 12, 12, 10, 20, 24,
        ],
        id_columns: &[2, 4, 11],
        fit_width: true,
        print_columns: Some(names::FINDING_PRINTED_COLUMNS),
    };
    let mut table = sheets.table(spec)?;
    for finding in findings {
        let figures = finding.figures;
        let fen = |money: Option<crate::domain::Money>| money.map(|money| i128::from(money.fen()));
        let period = finding
            .period
            .map(|period| period.to_string())
            .unwrap_or_default();
        let severity = finding.code.severity();
        table.push(&[
            Cell::Text(code_name(finding.code, lang)),
            Cell::Severity(severity, severity_name(severity, lang)),
            Cell::Id(&finding.id_number),
            Cell::Text(&finding.name),
            Cell::Id(regions.display(&finding.region)),
            Cell::Text(
                finding
                    .program
                    .map(|program| program_name(program, lang))
                    .unwrap_or_default(),
            ),
            Cell::Wrapped(&period),
            Cell::Money(fen(finding.amount)),
            Cell::Wrapped(&words::explain(finding, lang)),
            Cell::Wrapped(code_advice(finding.code, lang)),
            Cell::Wrapped(&finding.sources),
            Cell::Id(&finding.account),
            Cell::Money(fen(figures.and_then(|figures| figures.expected))),
            Cell::Money(fen(figures.and_then(|figures| figures.allocated))),
            Cell::Money(fen(figures.and_then(|figures| figures.transferred))),
            Cell::Money(fen(figures.map(|figures| figures.paid))),
            Cell::Text(
                finding
                    .stage
                    .map(|stage| stage_name(stage, lang))
                    .unwrap_or_default(),
            ),
            Cell::Text(
                finding
                    .cause
                    .map(|cause| cause_name(cause, lang))
                    .unwrap_or_default(),
            ),
            Cell::Text(finding.code.name()),
        ])?;
    }
    table.finish()
}

/// The 问题汇总 sheet: one row per case.
fn write_cases(sheets: &mut Sheets<'_>, findings: &[Finding]) -> Result<Written, XlsxError> {
    let lang = sheets.lang;
    let regions = sheets.regions;
    let titles = case_titles(lang).map(|title| region_title(title, !sheets.regions.is_empty()));
    let spec = TableSpec {
        name: sheet_names(lang).cases,
        titles: &titles,
        // Narrow enough to print one page wide at about 9 pt; the finding's
        // name, the months and the advice wrap.
        max_widths: &[19, 8, 13, 8, 14, 6, 18, 8, 12, 24, 26],
        id_columns: &[0, 2],
        fit_width: true,
        print_columns: None,
    };
    let mut table = sheets.table(spec)?;
    for case in cases::fold(findings) {
        let first = case.first;
        let severity = first.code.severity();
        table.push(&[
            Cell::Id(&first.id_number),
            Cell::Text(&first.name),
            Cell::Id(regions.display(&first.region)),
            Cell::Text(
                first
                    .program
                    .map(|program| program_name(program, lang))
                    .unwrap_or_default(),
            ),
            Cell::Wrapped(code_name(first.code, lang)),
            Cell::Severity(severity, severity_name(severity, lang)),
            Cell::Wrapped(&case.months),
            Cell::Count(case.count),
            Cell::Money(case.amount),
            Cell::Text(first.code.name()),
            Cell::Wrapped(code_advice(first.code, lang)),
        ])?;
    }
    table.finish()
}

/// The 台账 sheets: the ledger merged by village, person, program, month.
fn write_ledger(sheets: &mut Sheets<'_>, spill: LedgerSpill) -> io::Result<Written> {
    let lang = sheets.lang;
    let regions = sheets.regions;
    let titles = ledger_titles(lang).map(|title| region_title(title, !sheets.regions.is_empty()));
    let spec = TableSpec {
        name: sheet_names(lang).ledger,
        titles: &titles,
        max_widths: &[16, 20, 12, 12, 9, 12, 12, 12, 12, 10],
        id_columns: &[0, 1],
        fit_width: true,
        print_columns: None,
    };
    let expected_lines = spill.lines();
    let mut merge = spill.merge()?;
    let mut table = sheets.table(spec).map_err(xlsx_error)?;
    let mut written = 0u64;
    let mut period = String::new();
    // Each village starts a printed page (the township files each
    // village's pages apart); past Excel's limit of breaks a sheet, each
    // town does. The first sheet only: a continuation sheet is a
    // province's, read on screen.
    let mut village_breaks: Vec<u32> = Vec::new();
    let mut town_breaks: Vec<u32> = Vec::new();
    let mut previous: Option<String> = None;
    // Each village ends in its subtotal and the ledger in its total, so a
    // printed village's pages add up on their own.
    let mut village = LedgerSums::default();
    let mut grand = LedgerSums::default();
    while let Some(row) = merge.next_row()? {
        match &previous {
            Some(region) if region[..] == row.region[..] => {}
            Some(region) => {
                let label = village_label(region, regions, lang);
                push_ledger_sums(&mut table, Some(&label), &village, lang).map_err(xlsx_error)?;
                village = LedgerSums::default();
                if table.sheet_count() == 1 {
                    village_breaks.push(table.next_row());
                    if town_of(region) != town_of(&row.region) {
                        town_breaks.push(table.next_row());
                    }
                }
                previous = Some(row.region.to_string());
            }
            None => previous = Some(row.region.to_string()),
        }
        village.add(&row.figures, row.paid);
        grand.add(&row.figures, row.paid);
        period.clear();
        period.push_str(&row.period().to_string());
        let fen = |amount: Option<i64>| amount.map(i128::from);
        table
            .push(&[
                Cell::Id(regions.display(&row.region)),
                Cell::Id(&row.id_number),
                Cell::Text(&row.name),
                Cell::Text(program_name(row.program(), lang)),
                Cell::Text(&period),
                Cell::Money(fen(row.figures[0])),
                Cell::Money(fen(row.figures[1])),
                Cell::Money(fen(row.figures[2])),
                Cell::Money(Some(i128::from(row.paid))),
                Cell::Text(status_name(row.status(), lang)),
            ])
            .map_err(xlsx_error)?;
        written += 1;
    }
    assert_eq!(
        written, expected_lines,
        "every ledger line reaches the workbook"
    );
    if let Some(region) = &previous {
        let label = village_label(region, regions, lang);
        push_ledger_sums(&mut table, Some(&label), &village, lang).map_err(xlsx_error)?;
        push_ledger_sums(&mut table, None, &grand, lang).map_err(xlsx_error)?;
    }
    assert_eq!(grand.lines, written, "the total counts every line once");
    let mut breaks = if village_breaks.len() <= MAX_PAGE_BREAKS {
        village_breaks
    } else {
        town_breaks
    };
    breaks.truncate(MAX_PAGE_BREAKS);
    if !breaks.is_empty() {
        table
            .first_worksheet()
            .map_err(xlsx_error)?
            .set_page_breaks(&breaks)
            .map_err(xlsx_error)?;
    }
    table.finish().map_err(xlsx_error)
}

/// Σ E (known), A, T, P of ledger lines, in fen, and how many lines.
#[derive(Default)]
struct LedgerSums {
    lines: u64,
    expected: i128,
    allocated: i128,
    transferred: i128,
    paid: i128,
    /// Whether any line had an A, a T: a stage not given stays blank.
    given: [bool; 2],
}

impl LedgerSums {
    fn add(&mut self, figures: &[Option<i64>; 3], paid: i64) {
        self.lines += 1;
        self.expected += i128::from(figures[0].unwrap_or(0));
        for (stage, figure) in figures[1..].iter().enumerate() {
            if let Some(fen) = figure {
                self.given[stage] = true;
                if stage == 0 {
                    self.allocated += i128::from(*fen);
                } else {
                    self.transferred += i128::from(*fen);
                }
            }
        }
        self.paid += i128::from(paid);
    }
}

/// `东风村` (or its code, or `(无区划)`) for a village's subtotal.
fn village_label(region: &str, regions: &Regions, lang: Lang) -> String {
    if region.is_empty() {
        lang.pick("(无区划)", "(no region)").to_string()
    } else {
        regions.display(region).to_string()
    }
}

/// A subtotal (of `village`) or the total row of 台账: the label and the
/// line count in the first column, Σ E, A, T, P under their columns.
fn push_ledger_sums(
    table: &mut Table<'_, '_>,
    village: Option<&str>,
    sums: &LedgerSums,
    lang: Lang,
) -> Result<(), XlsxError> {
    let lines = sums.lines;
    let text = match village {
        Some(label) => lang.pick(
            format!("{label} 小计（{lines} 行）"),
            format!("{label} subtotal ({lines} lines)"),
        ),
        None => lang.pick(
            format!("合计（{lines} 行）"),
            format!("Total ({lines} lines)"),
        ),
    };
    table.push(&[
        Cell::Text(&text),
        Cell::Text(""),
        Cell::Text(""),
        Cell::Text(""),
        Cell::Text(""),
        Cell::Money(Some(sums.expected)),
        Cell::Money(sums.given[0].then_some(sums.allocated)),
        Cell::Money(sums.given[1].then_some(sums.transferred)),
        Cell::Money(Some(sums.paid)),
        Cell::Text(""),
    ])
}

/// Most manual page breaks Excel keeps on one sheet.
const MAX_PAGE_BREAKS: usize = 1023;

/// The 说明 sheet: what the run read and found, the policy, the sheets and
/// their rows, what had to be cut, and how to read the workbook.
fn write_about(
    sheet: &mut Worksheet,
    formats: &Formats,
    inputs: &ReportInputs<'_>,
    sheets: &[(&str, Written)],
    cuts: &Cuts,
    chart_notes: &[String],
    lang: Lang,
) -> Result<(), XlsxError> {
    let stats = inputs.stats;
    let mut about = About {
        sheet,
        formats,
        row: 0,
    };
    let window = stats.window;
    let months = window.last.index() - window.first.index() + 1;
    let title = lang.pick(
        "社会救助资金对账报告",
        "Social assistance reconciliation report",
    );
    about.put(&[Cell::Text(title)], Some(&formats.title))?;
    let made_by = format!(
        "duizhang {} · {}",
        env!("CARGO_PKG_VERSION"),
        lang.pick(
            "同样的输入总是生成同样的文件；本报告与同一目录下的 findings.csv、ledger.csv、summary.csv、run.json 出自同一次运行。",
            "the same inputs always give the same file; this workbook comes from the same run as findings.csv, ledger.csv, summary.csv and run.json beside it."
        )
    );
    about.paragraph(&made_by)?;
    about.skip();

    let window_text = format!(
        "{}..{} ({} {})",
        window.first,
        window.last,
        months,
        lang.pick("个月", "months")
    );
    let findings = inputs.findings;
    let by_severity = |severity: Severity| {
        findings
            .iter()
            .filter(|finding| finding.code.severity() == severity)
            .count() as u64
    };
    let bold = Some(&formats.bold);
    about.put(
        &[
            Cell::Text(lang.pick("运行窗口", "Run window")),
            Cell::Text(&window_text),
        ],
        bold,
    )?;
    about.put(
        &[
            Cell::Text(lang.pick("台账行数", "Ledger lines")),
            Cell::Count(stats.ledger_lines() as u64),
        ],
        bold,
    )?;
    about.put(
        &[
            Cell::Text(lang.pick("问题总数", "Findings")),
            Cell::Count(findings.len() as u64),
        ],
        bold,
    )?;
    for severity in [Severity::High, Severity::Medium, Severity::Low] {
        let label = format!(
            "  {}{}",
            lang.pick("严重程度：", "severity "),
            severity_name(severity, lang)
        );
        about.put(
            &[Cell::Text(&label), Cell::Count(by_severity(severity))],
            None,
        )?;
    }
    about.skip();

    about.put(
        &[Cell::Text(lang.pick("金额合计(元)", "Totals (yuan)"))],
        bold,
    )?;
    let totals_titles = [
        lang.pick("应发", "Due (E)"),
        lang.pick("拨付", "Allocated (A)"),
        lang.pick("划拨", "Transferred (T)"),
        lang.pick("实发", "Paid (P)"),
    ];
    for (index, label) in totals_titles.iter().enumerate() {
        let given = index == 0 || index == 3 || stats.given[index - 1];
        let value = if given {
            Cell::Money(Some(stats.money[index]))
        } else {
            Cell::Text(lang.pick("(未提供该文件)", "(file not given)"))
        };
        about.put(&[Cell::Text(label), value], None)?;
    }
    // The money to put right, each yuan once (corrections.csv: per
    // person and program), where findings' amounts overlap.
    if let Some(corrections) = &stats.corrections {
        let money = |text: &str| {
            crate::domain::Money::parse(text)
                .map(|money| Cell::Money(Some(i128::from(money.fen()))))
                .unwrap_or(Cell::RightText(""))
        };
        about.put(
            &[
                Cell::Text(lang.pick("应补发(补发清单合计)", "Back pay owed (corrections)")),
                money(&corrections.backpay),
            ],
            None,
        )?;
        about.put(
            &[
                Cell::Text(lang.pick("应追缴(追缴清单合计)", "To recover (corrections)")),
                money(&corrections.recover),
            ],
            None,
        )?;
        about.put(
            &[Cell::Text(lang.pick(
                "问题金额不可相加：同一笔钱可能既是少发又是拨付不符、既是多发又是重复发放。应补发、应追缴按人、按项目只计一次；问题汇总只合计发放结果类问题(少发、未发放、多发、违规发放)的金额，资金链不符、重复发放、账户与户名等问题只计条数。",
                "Findings' amounts do not add up: the same yuan can be a shortfall and an allocation mismatch, an overpayment and a duplicate payment. Back pay and recovery count each yuan once, per person and program; Findings by case sums only the outcomes of lines (shortfall, missing, overpaid, improper), and counts money-trail, duplicate, account and name findings without summing them.",
            ))],
            None,
        )?;
    }
    about.skip();

    about.put(&[Cell::Text(lang.pick("输入文件", "Input files"))], bold)?;
    let file_titles = [
        lang.pick("文件", "File"),
        lang.pick("数据行数", "Rows"),
        lang.pick("编码", "Encoding"),
        lang.pick("无法读取", "Unreadable"),
        lang.pick("重复记录", "Repeated"),
        lang.pick("窗口外", "Outside window"),
        "SHA-256",
    ];
    about.put(&file_titles.map(Cell::Text), Some(&formats.header))?;
    for (id, report) in &stats.files {
        let input = stats.inputs.get(*id);
        let outside = stats.window_counts.get(id).map(|&(_, outside)| outside);
        let mut name = input.name.to_string();
        match report.sheets.as_slice() {
            [] => {}
            [sheet] => name.push_str(&match lang {
                Lang::Zh => format!(
                    "（工作表“{}”，表头在第 {} 行）",
                    sheet.name, sheet.header_row
                ),
                Lang::En => format!(
                    " (sheet {}, header in row {})",
                    sheet.name, sheet.header_row
                ),
            }),
            sheets => name.push_str(&format!(
                " ({} {})",
                lang.pick("工作表", "sheets"),
                sheets
                    .iter()
                    .map(|sheet| sheet.name.as_ref())
                    .collect::<Vec<_>>()
                    .join(lang.pick("、", ", "))
            )),
        }
        about.put(
            &[
                Cell::Text(&name),
                Cell::Count(report.rows),
                Cell::Text(report.encoding),
                Cell::Count(report.bad),
                Cell::Count(report.duplicate),
                outside.map_or(Cell::Text(""), Cell::Count),
                Cell::Id(&report.sha256),
            ],
            None,
        )?;
    }
    // The settings read beside the case files.
    for name in &stats.settings_files {
        // columns.toml is the one TOML among them (regions.csv the other).
        let what = if name.to_ascii_lowercase().ends_with(".toml") {
            lang.pick(
                format!("{name}（本地表头与标准列的对照，已按其读取）"),
                format!("{name} (the local headers of the columns, read by it)"),
            )
        } else {
            lang.pick(
                format!(
                    "{name}（区划名称 {} 个：各表按名称显示村、乡镇）",
                    stats.regions
                ),
                format!(
                    "{name} ({} region names: the sheets show villages and towns by name)",
                    stats.regions
                ),
            )
        };
        about.put(&[Cell::Text(&what)], None)?;
    }
    about.skip();

    about.put(
        &[Cell::Text(lang.pick("问题分类统计", "Findings by code"))],
        bold,
    )?;
    let code_titles = [
        lang.pick("问题代码", "Code"),
        lang.pick("问题类型", "Finding"),
        lang.pick("严重程度", "Severity"),
        lang.pick("条数", "Count"),
    ];
    about.put(&code_titles.map(Cell::Text), Some(&formats.header))?;
    for code in Code::ALL {
        let count = findings
            .iter()
            .filter(|finding| finding.code == code)
            .count() as u64;
        let severity = code.severity();
        about.put(
            &[
                Cell::Text(code.name()),
                Cell::Text(code_name(code, lang)),
                Cell::Severity(severity, severity_name(severity, lang)),
                Cell::Count(count),
            ],
            None,
        )?;
    }
    about.skip();

    about.put(
        &[Cell::Text(
            lang.pick("政策参数 (policy.toml)", "Policy (policy.toml)"),
        )],
        bold,
    )?;
    let policy = &stats.policy;
    let unit = |rounding: crate::domain::Rounding| -> String {
        match lang {
            Lang::Zh => match rounding.name() {
                "fen" => "分".to_string(),
                "jiao" => "角".to_string(),
                "yuan" => "元".to_string(),
                other => other.to_string(),
            },
            Lang::En => rounding.name().to_string(),
        }
    };
    let exclusive = policy
        .exclusive
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|program| program_name(*program, lang))
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect::<Vec<_>>()
        .join(lang.pick("；", ", "));
    let stacking = match (lang, policy.topup_stacking.name()) {
        (Lang::Zh, "highest") => "取最高一项".to_string(),
        (Lang::Zh, "sum") => "各项累加".to_string(),
        (_, other) => other.to_string(),
    };
    // The setting in words, then its key in policy.toml (what to edit).
    let policy_rows: [(&str, &str, String); 9] = [
        (
            lang.pick("每月发放截止日", "Payment deadline, day of month"),
            "payment_deadline_day",
            policy.payment_deadline_day.to_string(),
        ),
        (
            lang.pick(
                "低保金额取整单位(四舍五入)",
                "Dibao amounts rounded half-up to",
            ),
            "rounding",
            unit(policy.rounding),
        ),
        (
            lang.pick("允许误差(元)", "Tolerance (yuan)"),
            "tolerance",
            policy.tolerance.to_string(),
        ),
        (
            lang.pick("不得同时享受的项目", "Programs one may not hold together"),
            "exclusive",
            exclusive,
        ),
        (
            lang.pick(
                "派生标准取整单位(四舍五入)",
                "Derived standards rounded half-up to",
            ),
            "item_rounding",
            unit(policy.item_rounding),
        ),
        (
            lang.pick("分类施保加发方式", "Top-ups for several categories"),
            "topup_stacking",
            stacking,
        ),
        (
            lang.pick("渐退期(月)", "Phase-out months"),
            "phase_out_months",
            policy.phase_out_months.to_string(),
        ),
        (
            lang.pick(
                "户主死亡后保留待遇(月)",
                "Months kept after the head's death",
            ),
            "deceased_grace_months",
            policy.deceased_grace_months.to_string(),
        ),
        (
            lang.pick("整改期限(月)", "Months to rectify a register item"),
            "rectify_months",
            policy.rectify_months.to_string(),
        ),
    ];
    for (words, key, value) in &policy_rows {
        about.put(
            &[Cell::Text(words), Cell::Text(value), Cell::Text(key)],
            None,
        )?;
    }
    about.skip();

    about.put(&[Cell::Text(lang.pick("本工作簿", "This workbook"))], bold)?;
    about.put(
        &[
            Cell::Text(lang.pick("工作表", "Sheet")),
            Cell::Text(lang.pick("数据行数", "Rows")),
            Cell::Text(lang.pick("内容", "Holds")),
        ],
        Some(&formats.header),
    )?;
    for (what, written) in sheets {
        for (name, rows) in written {
            about.put(
                &[Cell::Text(name), Cell::Count(*rows), Cell::Text(what)],
                None,
            )?;
        }
    }
    about.skip();

    about.put(
        &[Cell::Text(
            lang.pick("超出 Excel 限制的处理", "Excel's limits"),
        )],
        bold,
    )?;
    for note in limit_notes(sheets, cuts, chart_notes, lang) {
        about.paragraph(&note)?;
    }
    about.skip();

    about.put(
        &[Cell::Text(
            lang.pick("如何阅读", "How to read this workbook"),
        )],
        bold,
    )?;
    for line in reading_guide(lang) {
        about.paragraph(line)?;
    }
    let sheet = about.sheet;
    for (column, width) in ABOUT_WIDTHS.iter().enumerate() {
        sheet.set_column_width(column as ColNum, *width as f64)?;
    }
    sheet
        .set_paper_size(sheet::A4)
        .set_landscape()
        .set_header(format!(
            "&L&9{}",
            sheet_names(lang).about.replace('&', "&&")
        ))
        .set_footer("&C&9&P / &N")
        .set_print_fit_to_pages(1, 0);
    Ok(())
}

/// What had to be cut or continued to fit Excel, in words; "none" when
/// nothing was.
fn limit_notes(
    sheets: &[(&str, Written)],
    cuts: &Cuts,
    chart_notes: &[String],
    lang: Lang,
) -> Vec<String> {
    let mut notes: Vec<String> = Vec::new();
    for (_, written) in sheets {
        if written.len() > 1 {
            let names: Vec<&str> = written.iter().map(|(name, _)| name.as_str()).collect();
            notes.push(lang.pick(
                format!(
                    "{} 超过一张工作表的行数上限，续写在 {}，没有删减。",
                    names[0],
                    names[1..].join("、")
                ),
                format!(
                    "{} is longer than one sheet holds and continues on {}; nothing was left out.",
                    names[0],
                    names[1..].join(", ")
                ),
            ));
        }
    }
    if cuts.cells_cut > 0 {
        notes.push(lang.pick(
            format!("{} 个单元格的文字超过 32767 个字符，已截断并以“…[截断/cut]”标出；完整内容见 CSV 文件。", cuts.cells_cut),
            format!("{} cells held more than 32,767 characters and were cut, marked “…[截断/cut]”; the CSV files hold them whole.", cuts.cells_cut),
        ));
    }
    if cuts.money_as_text > 0 {
        notes.push(lang.pick(
            format!("{} 个金额达到 10^13 元以上，无法以数字精确保存，已作为文字写入。", cuts.money_as_text),
            format!("{} amounts of 10^13 yuan or more cannot be exact as numbers and were written as text.", cuts.money_as_text),
        ));
    }
    notes.extend(chart_notes.iter().cloned());
    if notes.is_empty() {
        notes.push(
            lang.pick(
                "无：全部内容完整写入。",
                "None: everything is written whole.",
            )
            .to_string(),
        );
    }
    notes
}

/// The 说明 sheet being written, one row after another.
struct About<'s> {
    sheet: &'s mut Worksheet,
    formats: &'s Formats,
    row: u32,
}

/// Columns a paragraph of the 说明 sheet spans, and their width in
/// characters (as set at the end of [`write_about`]).
const ABOUT_WIDTHS: [usize; 7] = [25, 22, 10, 10, 10, 12, 66];
const ABOUT_COLUMNS: ColNum = ABOUT_WIDTHS.len() as ColNum;
const ABOUT_WIDTH: usize = 25 + 22 + 10 + 10 + 10 + 12 + 66;

impl About<'_> {
    fn skip(&mut self) {
        self.row += 1;
    }

    /// A line of text across the sheet's columns, wrapped, its row as tall
    /// as its lines.
    fn paragraph(&mut self, text: &str) -> Result<(), XlsxError> {
        let lines = sheet::wrapped_lines(text, ABOUT_WIDTH - 10);
        self.sheet.merge_range(
            self.row,
            0,
            self.row,
            ABOUT_COLUMNS - 1,
            text,
            &self.formats.paragraph,
        )?;
        self.sheet
            .set_row_height(self.row, sheet::row_height_points(lines) + 2.0)?;
        self.row += 1;
        Ok(())
    }

    /// Writes one row of cells; `format` for its text cells.
    fn put(
        &mut self,
        cells: &[Cell<'_>],
        format: Option<&rust_xlsxwriter::Format>,
    ) -> Result<(), XlsxError> {
        let formats = self.formats;
        let row = self.row;
        for (column, cell) in cells.iter().enumerate() {
            let column = column as ColNum;
            match *cell {
                Cell::Text(text)
                | Cell::Id(text)
                | Cell::Severity(_, text)
                | Cell::Header(text)
                | Cell::RightText(text)
                | Cell::Wrapped(text) => {
                    if text.is_empty() {
                        continue;
                    }
                    let chosen = match (*cell, format) {
                        (Cell::Severity(severity, _), _) => formats.severity(severity),
                        (Cell::Id(_), _) => &formats.id,
                        (Cell::Header(_), _) => &formats.header,
                        (Cell::RightText(_), _) => &formats.money_text,
                        (_, Some(format)) => format,
                        _ => &formats.text,
                    };
                    self.sheet.write_string_with_format(
                        row,
                        column,
                        sheet::show_bidi_controls(text),
                        chosen,
                    )?;
                }
                Cell::Money(Some(fen)) => match sheet::money_number(fen) {
                    Some(number) => {
                        self.sheet
                            .write_number_with_format(row, column, number, &formats.money)?;
                    }
                    None => {
                        let text = crate::domain::money::format_fen_total(fen);
                        self.sheet.write_string_with_format(
                            row,
                            column,
                            text,
                            &formats.money_text,
                        )?;
                    }
                },
                Cell::Money(None) | Cell::Rate(_) => {}
                Cell::Count(count) => {
                    self.sheet.write_number_with_format(
                        row,
                        column,
                        count as f64,
                        &formats.count,
                    )?;
                }
            }
        }
        self.row += 1;
        Ok(())
    }
}

fn reading_guide(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::Zh => &[
            "汇总：按区划、项目、月份统计笔数、应发(E)、拨付(A)、划拨(T)、实发(P)、少发、多发、违规发放和足额发放率(Σmin(实发,应发)÷Σ应发)，与 summary.csv 一致。",
            "汇总表右侧：各乡镇(街道)按月的足额发放率及折线图；乡镇取区划代码的前 9 位，合计全部项目；没有应发金额的乡镇不列入。",
            "问题清单：每行一个问题，与 findings.csv 逐行一致；可用表头筛选。严重程度“高”涉及资金安全(少发、未发放、多发、违规发放、重复发放等)，“中”需核实，“低”为提示。",
            "“依据(文件:行)”列出原始文件和行号，例如 payouts.csv:17，可在原表中直接核对。",
            "问题汇总：同一人、同一项目、同一类问题合并为一个案件；连续月份合并为区间(如 2024-01..2024-12)，断开的月份用“, ”分隔；列出问题条数；涉及金额只合计发放结果类问题(少发、未发放、多发、违规发放)，其他问题的金额已含在其中，只计条数。",
            "台账：按村(社区)区划代码、身份证号、项目、月份列出每月应发、拨付、划拨、实发和状态，供乡镇(街道)留存备查；每村末行为该村小计(身份证号一栏为空)，表末为合计，打印时每村另起一页。",
            "金额单位为元，保留两位小数，与 CSV 文件完全一致；身份证号、账号、区划代码以文本保存，不会变成科学计数法。",
            "月报：报告月份(运行窗口的最后一个月，与整改台账的月份一致)按村(社区)列出发放户数和人数、应发、实发、足额发放率、新发现/未整改/逾期/本月销号的问题项数和整改台账“追回金额”列的累计金额；无法识别为金额的单元格列在表下。",
            "补发清单、追缴清单：与 corrections.csv 逐行一致，按村(社区)分组小计，末行合计，下方为制表人、审核人、负责人、日期签字栏，A4 横向按一页宽打印。补发的银行代发数据另存为同一目录下的 backpay-upload.xlsx(只有一张表，无合计行)。",
            "整改台账：本次对账后的台账，分为未整改、逾期未整改、本次销号、销号后再次发现(可能虚假整改)四组，含整改措施、责任人、追回金额、备注等经办单位填写的列；此前已销号的不再列出。",
        ],
        Lang::En => &[
            "Summary: per region, program and month: lines, due (E), allocated (A), transferred (T), paid (P), shortfall, overpaid, improper and the delivery rate (Σ min(P, E) ÷ Σ E), as in summary.csv.",
            "Beside it: each town's delivery rate by month, with a line chart; a town is the first 9 digits of the region code, all programs together; towns with nothing due are not listed.",
            "Findings: one row per finding, as findings.csv row for row; filter with the header. High severity is money at stake (shortfall, missing, overpaid, improper or duplicate payments…), medium asks for a check, low is a note.",
            "“Sources” names the input file and line behind each finding, e.g. payouts.csv:17, to open in the original table.",
            "Findings by case: one person, program and kind of finding make one case; consecutive months are merged into ranges (2024-01..2024-12), gaps separated by “, ”; with the number of findings; the amount is summed for the outcomes of lines only (shortfall, missing, overpaid, improper), whose money the other findings repeat.",
            "Ledger: every month's due, allocated, transferred and paid amounts and status by village (region code), person and month, as the township keeps it; each village ends in its subtotal (the ID column empty) and starts a printed page, and the sheet ends in the total.",
            "Amounts are yuan with two decimals, exactly as in the CSV files; ID numbers, accounts and region codes are stored as text, never in scientific notation.",
            "Monthly: the report's month (the window's last, the register's month) per village: households and persons paid, due, paid, delivery rate, register items new, open, overdue and closed this month, and the sum of the register's 追回金额 column; cells there that are not money are listed under the table.",
            "Back pay and Recovery: corrections.csv row for row, by village with subtotals, a total and lines to sign, printed A4 landscape one page wide. The bank's upload of the back pay is backpay-upload.xlsx beside this workbook (one sheet, no totals row).",
            "Register: the register after this run in four groups: open, overdue, closed by this run, found again after closing (possible false rectification), with the office's columns; items closed by earlier runs are not listed.",
        ],
    }
}

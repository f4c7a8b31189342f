//! The public notice (公示) of one month: per village, the dibao and tekun
//! recipients' names, household sizes and monthly amounts, as the 2021
//! 最低生活保障审核确认办法 (art. 24) asks villages and communities to
//! post — and nothing more: no ID number, no account. A second sheet, for
//! the office and not for posting, lists every enrolled person left out
//! of it and why, so that nobody is dropped unseen.

use std::io::{self, Write};
use std::path::Path;

use rust_xlsxwriter::{ColNum, Workbook};

use super::names::{left_out_titles, notice_titles, program_name, region_title, sheet_names, Lang};
use super::sheet::{Cell, Cuts, Formats, Limits, Table, TableSpec};
use super::{guarded, properties, xlsx_error};
use crate::domain::{Period, Program};

/// One line of the notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoticeRow<'a> {
    pub region: &'a str,
    pub program: Program,
    pub name: &'a str,
    pub household_size: u32,
    /// E for the month in fen; `None` when a standard it needs is missing.
    pub amount: Option<i64>,
}

/// One enrolled person (or an unreadable roster row) left out of the
/// notice, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftOutRow<'a> {
    /// The roster row (`roster.csv:14`, `roster.xlsx:17`).
    pub source: String,
    /// Empty when the row could not be read.
    pub region: &'a str,
    pub program: Option<Program>,
    pub name: &'a str,
    /// Why, in words; any long number in it (an ID number or an account
    /// quoted from a bad row) is withheld when written.
    pub reason: String,
}

/// Digits (and an ID number's `X`) in a row, from which on a number in a
/// reason is withheld: ID numbers have 15 or 18 characters and bank
/// accounts 16 to 19, while the numbers a reason otherwise quotes
/// (amounts, months, household sizes, line numbers) stay far shorter.
const WITHHELD_NUMBER_CHARS: usize = 10;

/// `text` with every run of [`WITHHELD_NUMBER_CHARS`] or more digits (or
/// `X`) replaced by `withheld`: the notice holds no ID number or account,
/// on any sheet.
pub fn withhold_numbers(text: &str, withheld: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= WITHHELD_NUMBER_CHARS {
            out.push_str(withheld);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for character in text.chars() {
        if character.is_ascii_digit() || character == 'X' || character == 'x' {
            run.push(character);
        } else {
            flush(&mut run, &mut out);
            out.push(character);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Most manual page breaks an Excel sheet holds.
const MAX_PAGE_BREAKS: usize = 1023;

/// What the notice holds, for the console.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoticeCounts {
    pub villages: usize,
    pub dibao: usize,
    pub tekun: usize,
    /// Rows whose amount could not be computed (a standard is missing).
    pub pending: usize,
    /// Rows whose amount is 0.00 (income at or above the line).
    pub zero: usize,
}

/// What the notice says beside its list: who posts it, from which day
/// and for how long, and the supervision telephone (policy.toml's
/// `[notice]` and `notice --posted`). Left blank, to be written in by
/// hand, where not given.
pub struct NoticeFrame<'a> {
    pub settings: &'a crate::case::NoticeSettings,
    pub posted: Option<crate::domain::Date>,
    /// regions.csv's names, shown for the village codes.
    pub regions: &'a crate::domain::regions::Regions,
}

/// `2024年7月5日`.
fn chinese_date(date: crate::domain::Date) -> String {
    let (year, month, day) = date.year_month_day();
    format!("{year}年{month}月{day}日")
}

/// The lines under the list on 公示期, the supervision telephone and the
/// body that posts it.
fn frame_lines(frame: &NoticeFrame<'_>, lang: Lang) -> Vec<String> {
    let days = frame.settings.days;
    let period = match frame.posted {
        Some(posted) => {
            let last = crate::domain::Date::from_days(posted.days() + days as i32 - 1);
            lang.pick(
                format!(
                    "公示期：{}至{}（{days}天）。",
                    chinese_date(posted),
                    chinese_date(last)
                ),
                format!("Posted from {posted} to {last} ({days} days)."),
            )
        }
        None => lang.pick(
            format!("公示期：____年__月__日至____年__月__日（{days}天）。"),
            format!("Posted from ____-__-__ to ____-__-__ ({days} days)."),
        ),
    };
    let phone = frame.settings.phone.as_deref().unwrap_or("______________");
    let issuer = frame
        .settings
        .issuer
        .as_deref()
        .unwrap_or("______________（盖章）");
    let posted = frame.posted.map_or_else(
        || lang.pick("____年__月__日".to_string(), "____-__-__".to_string()),
        |date| lang.pick(chinese_date(date), date.to_string()),
    );
    vec![
        period,
        lang.pick(
            format!("监督电话：{phone}"),
            format!("Supervision telephone: {phone}"),
        ),
        lang.pick(
            format!("发布单位：{issuer}"),
            format!("Posted by: {issuer}"),
        ),
        lang.pick(format!("发布日期：{posted}"), format!("Date: {posted}")),
    ]
}

/// Writes the notice for `period` to `out`; `rows` in any order (they are
/// sorted here by village, then program, keeping their order within).
/// `left_out` (in the order given) make the second sheet.
pub fn write_notice(
    out: impl Write + Send,
    scratch: &Path,
    period: Period,
    rows: &mut [NoticeRow<'_>],
    left_out: &[LeftOutRow<'_>],
    frame: &NoticeFrame<'_>,
    lang: Lang,
) -> io::Result<NoticeCounts> {
    rows.sort_by(|a, b| a.region.cmp(b.region).then(a.program.cmp(&b.program)));
    let mut counts = NoticeCounts::default();
    guarded(|| {
        let mut workbook = super::sheet::new_workbook(scratch).map_err(xlsx_error)?;
        let title = lang.pick(
            format!(
                "最低生活保障、特困人员救助供养对象公示（{}年{}月）",
                period.year(),
                period.month()
            ),
            format!("Public notice: dibao and tekun recipients, {period}"),
        );
        workbook.set_properties(&properties(&title, lang));
        let formats = Formats::new();
        let mut cuts = Cuts::default();
        let titles =
            notice_titles(lang).map(|title| region_title(title, !frame.regions.is_empty()));
        let spec = TableSpec {
            name: sheet_names(lang).notice,
            titles: &titles,
            max_widths: &[6, 18, 14, 14, 8, 14, 30],
            id_columns: &[1],
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
        let pending = lang.pick("待核定", "pending");
        let pending_note = lang.pick(
            "本月保障标准缺失，金额核定后另行公布",
            "This month's standard is missing; the amount follows once set",
        );
        let zero_note = lang.pick(
            "按核定收入本月补助为零，待复核",
            "No amount this month on the assessed income; under review",
        );
        let mut breaks = Vec::new();
        let mut number = 0u64;
        let mut previous: Option<&str> = None;
        for row in rows.iter() {
            if previous != Some(row.region) {
                if previous.is_some() && table.sheet_count() == 1 {
                    breaks.push(table.next_row());
                }
                counts.villages += 1;
                number = 0;
                previous = Some(row.region);
            }
            number += 1;
            match row.program {
                Program::Dibao => counts.dibao += 1,
                _ => counts.tekun += 1,
            }
            // A row that is not an amount to pay carries why, on the
            // posted sheet itself.
            let (amount, note) = match row.amount {
                Some(0) => {
                    counts.zero += 1;
                    (Cell::Money(Some(0)), zero_note)
                }
                Some(fen) => (Cell::Money(Some(i128::from(fen))), ""),
                None => {
                    counts.pending += 1;
                    (Cell::RightText(pending), pending_note)
                }
            };
            table
                .push(&[
                    Cell::Count(number),
                    Cell::Id(frame.regions.display(row.region)),
                    Cell::Text(program_name(row.program, lang)),
                    Cell::Text(row.name),
                    Cell::Count(u64::from(row.household_size)),
                    amount,
                    Cell::Text(note),
                ])
                .map_err(xlsx_error)?;
        }
        let totals = lang.pick(
            format!(
                "合计：{} 个村(社区)，低保 {} 户，特困供养 {} 人。",
                counts.villages, counts.dibao, counts.tekun
            ),
            format!(
                "In all: {} villages, {} dibao households, {} tekun persons.",
                counts.villages, counts.dibao, counts.tekun
            ),
        );
        let basis = lang.pick(
            "依据《最低生活保障审核确认办法》第二十四条公示。公示内容不含身份证号码、银行账号等个人信息。",
            "Posted under art. 24 of the 2021 dibao review and confirmation rules. It holds no ID number, bank account or other personal data.",
        );
        let objections = lang.pick(
            "如有异议，请在公示期内向所在乡镇(街道)或县级民政部门反映。金额为本月应发金额(元)；“待核定”表示该月保障标准缺失，须核实后确定。",
            "Objections go to the township or the county civil affairs office during the notice period. Amounts are this month's entitlement in yuan; “pending” means a standard is missing and must be settled first.",
        );
        table.side_only(&[]).map_err(xlsx_error)?;
        let frame_lines = frame_lines(frame, lang);
        let mut lines: Vec<&str> = vec![totals.as_str(), basis, objections];
        lines.extend(frame_lines.iter().map(String::as_str));
        for line in lines {
            table
                .side_only(&[(0 as ColNum, Cell::Text(line))])
                .map_err(xlsx_error)?;
        }
        let worksheet = table.first_worksheet().map_err(xlsx_error)?;
        breaks.truncate(MAX_PAGE_BREAKS);
        if !breaks.is_empty() {
            worksheet.set_page_breaks(&breaks).map_err(xlsx_error)?;
        }
        worksheet
            .set_header(format!("&C&\"-,Bold\"&14{}", title.replace('&', "&&")))
            .set_footer(lang.pick("&C第 &P 页，共 &N 页", "&CPage &P of &N"))
            .set_print_fit_to_pages(1, 0);
        table.finish().map_err(xlsx_error)?;
        write_left_out(&mut workbook, &formats, left_out, frame.regions, lang)?;
        // A notice is posted on paper: portrait, whatever tables default to.
        for worksheet in workbook.worksheets_mut() {
            worksheet.set_portrait();
        }
        workbook.save_to_writer(out).map_err(xlsx_error)
    })?;
    Ok(counts)
}

/// The second sheet: every enrolled person left out of the notice, and why.
fn write_left_out(
    workbook: &mut Workbook,
    formats: &Formats,
    left_out: &[LeftOutRow<'_>],
    regions: &crate::domain::regions::Regions,
    lang: Lang,
) -> io::Result<()> {
    let mut cuts = Cuts::default();
    let titles = left_out_titles(lang).map(|title| region_title(title, !regions.is_empty()));
    let spec = TableSpec {
        name: sheet_names(lang).left_out,
        titles: &titles,
        max_widths: &[6, 16, 18, 14, 8, 80],
        id_columns: &[2],
        fit_width: true,
        print_columns: None,
    };
    let mut table = Table::new(
        workbook,
        formats,
        spec,
        Limits::from_environment(),
        &mut cuts,
    )
    .map_err(xlsx_error)?;
    let withheld = lang.pick("[号码不公示]", "[number withheld]");
    for (number, row) in left_out.iter().enumerate() {
        let source = &row.source;
        let reason = withhold_numbers(&row.reason, withheld);
        table
            .push(&[
                Cell::Count(number as u64 + 1),
                Cell::Text(source),
                Cell::Id(regions.display(row.region)),
                Cell::Text(
                    row.program
                        .map_or("", |program| program_name(program, lang)),
                ),
                Cell::Text(row.name),
                Cell::Text(&reason),
            ])
            .map_err(xlsx_error)?;
    }
    let none = lang.pick(
        "无：名册中所有本月在保的低保、特困对象均已列入公示。",
        "None: every dibao and tekun enrolment of the roster covering the month is in the notice.",
    );
    let purpose = lang.pick(
        "本表供乡镇(街道)和民政部门核对，不张贴公示；原因中的身份证号码、银行账号不显示。",
        "For the township and the civil affairs office to check; not to be posted. ID numbers and accounts in the reasons are withheld.",
    );
    table.side_only(&[]).map_err(xlsx_error)?;
    if left_out.is_empty() {
        table
            .side_only(&[(0 as ColNum, Cell::Text(none))])
            .map_err(xlsx_error)?;
    }
    table
        .side_only(&[(0 as ColNum, Cell::Text(purpose))])
        .map_err(xlsx_error)?;
    table.finish().map_err(xlsx_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The notice holds no ID number or account, on its second sheet
    /// either: a reason quoting one from a bad row withholds it.
    #[test]
    fn long_numbers_in_a_reason_are_withheld() {
        assert_eq!(
            withhold_numbers(
                "column id_number: \"51010419490328020X\": expected …; account 6217034259542900",
                "[w]"
            ),
            "column id_number: \"[w]\": expected …; account [w]"
        );
        // Amounts, months, sizes and lines stay.
        let kept =
            "household_size \"1001\": expected 1 to 1000; 2024-07; 1450.00; roster.csv:123456789";
        assert_eq!(withhold_numbers(kept, "[w]"), kept);
    }
}

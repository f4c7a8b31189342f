//! whatif.xlsx (`whatif --report`): what a proposed raise would cost, for
//! the budget office. Three sheets: the change per town and month with a
//! chart (按乡镇测算), whatif.csv row for row (测算明细), and the persons whose
//! amounts rise most (增幅最大的对象), so the largest changes can be checked
//! by hand. Built from the engine's rows only; same inputs, same bytes.

use std::collections::BTreeMap;
use std::io::{self, Write};

use rust_xlsxwriter::{Chart, ChartType, ColNum, Workbook};

use super::names::region_title;
use super::sheet::{write_money, Cell, Cuts, Formats, Limits, Table, TableSpec};
use super::{guarded, program_name, properties, town_of, xlsx_error, Lang, MAX_CHART_SERIES};
use crate::domain::regions::Regions;
use crate::domain::{Period, PeriodRange};
use crate::engine::whatif::{Whatif, MAX_LISTED_GAINS};

/// Most months the town sheet shows as columns (ten years): a longer
/// window is in 测算明细 whole.
const MAX_TOWN_MONTHS: usize = 120;

/// Writes whatif.xlsx for `whatif` over `window`.
pub fn write_whatif_workbook(
    out: impl Write + Send,
    scratch: &std::path::Path,
    window: PeriodRange,
    whatif: &Whatif<'_>,
    regions: &Regions,
    lang: Lang,
) -> io::Result<()> {
    guarded(|| {
        let mut workbook = super::sheet::new_workbook(scratch).map_err(xlsx_error)?;
        let title = lang.pick(
            format!("提标测算（{} 至 {}）", window.first, window.last),
            format!(
                "Cost of the proposed standards, {} to {}",
                window.first, window.last
            ),
        );
        workbook.set_properties(&properties(&title, lang));
        let formats = Formats::new();
        write_towns(
            &mut workbook,
            &formats,
            window,
            whatif,
            regions,
            &title,
            lang,
        )?;
        write_rows(&mut workbook, &formats, whatif, regions, lang)?;
        write_gains(&mut workbook, &formats, whatif, regions, lang)?;
        workbook.save_to_writer(out).map_err(xlsx_error)
    })
}

/// 按乡镇测算: one row per town, one column per month (the change, 元),
/// a total column and a total row; a chart of each town's change by month
/// beneath.
fn write_towns(
    workbook: &mut Workbook,
    formats: &Formats,
    window: PeriodRange,
    whatif: &Whatif<'_>,
    regions: &Regions,
    title: &str,
    lang: Lang,
) -> io::Result<()> {
    let months: Vec<Period> = window.months().take(MAX_TOWN_MONTHS).collect();
    let mut towns: BTreeMap<&str, Vec<i128>> = BTreeMap::new();
    let mut unknown_lines = 0u64;
    for row in &whatif.rows {
        unknown_lines += row.unknown;
        let changes = towns
            .entry(town_of(row.region))
            .or_insert_with(|| vec![0; months.len()]);
        if let Some(position) = months.iter().position(|month| *month == row.period) {
            changes[position] += row.change_fen();
        }
    }
    let name = lang.pick("按乡镇测算", "By town");
    let worksheet = workbook.add_worksheet();
    worksheet.set_name(name).map_err(xlsx_error)?;
    worksheet
        .write_string_with_format(0, 0, title, &formats.title)
        .map_err(xlsx_error)?;
    let note = lang.pick(
        "每格为该乡镇该月按新标准与现行标准计算的应发金额之差（元）；乡镇为区划代码前 9 位。无法计算的对象不计入金额，见“测算明细”的“无法计算”列。",
        "Each cell: the month's expected amounts under the proposed standards minus under today's, in yuan; a town is the first 9 characters of the region code. Lines that cannot be computed are left out of the sums: see the column “unknown” on the detail sheet.",
    );
    worksheet.write_string(1, 0, note).map_err(xlsx_error)?;
    let header_row = 3u32;
    worksheet
        .write_string_with_format(
            header_row,
            0,
            lang.pick("乡镇(街道)", "Town"),
            &formats.header,
        )
        .map_err(xlsx_error)?;
    for (index, month) in months.iter().enumerate() {
        worksheet
            .write_string_with_format(
                header_row,
                1 + index as ColNum,
                month.to_string(),
                &formats.header,
            )
            .map_err(xlsx_error)?;
    }
    let total_column = 1 + months.len() as ColNum;
    worksheet
        .write_string_with_format(
            header_row,
            total_column,
            lang.pick("合计", "Total"),
            &formats.header,
        )
        .map_err(xlsx_error)?;
    let money =
        |worksheet: &mut rust_xlsxwriter::Worksheet, row: u32, column: ColNum, fen: i128| {
            write_money(
                worksheet,
                (row, column),
                fen,
                (&formats.money, &formats.money_text),
            )
            .map(|_| ())
            .map_err(xlsx_error)
        };
    let mut column_totals = vec![0i128; months.len()];
    let mut row = header_row;
    for (town, changes) in &towns {
        row += 1;
        worksheet
            .write_string_with_format(row, 0, regions.display(town), &formats.id)
            .map_err(xlsx_error)?;
        for (index, change) in changes.iter().enumerate() {
            money(worksheet, row, 1 + index as ColNum, *change)?;
            column_totals[index] += change;
        }
        money(worksheet, row, total_column, changes.iter().sum())?;
    }
    let last_town_row = row;
    row += 1;
    worksheet
        .write_string_with_format(row, 0, lang.pick("合计", "Total"), &formats.bold)
        .map_err(xlsx_error)?;
    for (index, total) in column_totals.iter().enumerate() {
        money(worksheet, row, 1 + index as ColNum, *total)?;
    }
    money(worksheet, row, total_column, column_totals.iter().sum())?;
    let mut notes: Vec<String> = Vec::new();
    if window.months().count() > MAX_TOWN_MONTHS {
        notes.push(lang.pick(
            format!("窗口超过 {MAX_TOWN_MONTHS} 个月：本表只列前 {MAX_TOWN_MONTHS} 个月，全部月份见“测算明细”。"),
            format!("The window is longer than {MAX_TOWN_MONTHS} months: this table shows the first {MAX_TOWN_MONTHS}; every month is on the detail sheet."),
        ));
    }
    if unknown_lines > 0 {
        notes.push(lang.pick(
            format!("{unknown_lines} 条对象月份因缺少标准无法计算，未计入金额。"),
            format!("{unknown_lines} lines cannot be computed for a missing standard and are left out of the sums."),
        ));
    }
    if towns.len() > MAX_CHART_SERIES {
        notes.push(lang.pick(
            format!("图表只画出前 {MAX_CHART_SERIES} 个乡镇（Excel 每个图表最多 {MAX_CHART_SERIES} 个系列）。"),
            format!("The chart draws the first {MAX_CHART_SERIES} towns (an Excel chart holds at most {MAX_CHART_SERIES} series)."),
        ));
    }
    for note in &notes {
        row += 1;
        worksheet.write_string(row, 0, note).map_err(xlsx_error)?;
    }
    worksheet.set_column_width(0, 14).map_err(xlsx_error)?;
    for index in 0..=months.len() {
        worksheet
            .set_column_width(1 + index as ColNum, 11)
            .map_err(xlsx_error)?;
    }
    if !towns.is_empty() && !months.is_empty() {
        let mut chart = Chart::new(ChartType::Column);
        chart.title().set_name(lang.pick(
            "各乡镇每月增加金额（元）",
            "Change per town and month (yuan)",
        ));
        chart.x_axis().set_name(lang.pick("所属期", "Month"));
        chart
            .y_axis()
            .set_name(lang.pick("元", "Yuan"))
            .set_num_format("0");
        chart.set_width(760).set_height(360);
        let last_month_column = months.len() as ColNum;
        for town_row in (header_row + 1..=last_town_row).take(MAX_CHART_SERIES) {
            chart
                .add_series()
                .set_name((name, town_row, 0))
                .set_categories((name, header_row, 1, header_row, last_month_column))
                .set_values((name, town_row, 1, town_row, last_month_column));
        }
        worksheet
            .insert_chart(row + 2, 0, &chart)
            .map_err(xlsx_error)?;
    }
    worksheet
        .set_landscape()
        .set_paper_size(9)
        .set_print_fit_to_pages(1, 0)
        .set_header(format!("&L&9{}", name.replace('&', "&&")))
        .set_footer("&C&9&P / &N")
        .set_repeat_rows(header_row, header_row)
        .map_err(xlsx_error)?;
    Ok(())
}

/// 测算明细: whatif.csv row for row, Chinese titles.
fn write_rows(
    workbook: &mut Workbook,
    formats: &Formats,
    whatif: &Whatif<'_>,
    regions: &Regions,
    lang: Lang,
) -> io::Result<()> {
    let mut cuts = Cuts::default();
    let titles = if lang == Lang::Zh {
        [
            "区划代码",
            "项目",
            "所属期",
            "对象月数",
            "现行标准应发",
            "新标准应发",
            "增加金额",
            "无法计算",
        ]
    } else {
        [
            "Region",
            "Program",
            "Month",
            "Lines",
            "Expected today",
            "Expected proposed",
            "Change",
            "Unknown",
        ]
    };
    let spec = TableSpec {
        name: lang.pick("测算明细", "Detail"),
        titles: &titles.map(|title| region_title(title, !regions.is_empty())),
        max_widths: &[14, 14, 9, 9, 14, 14, 14, 9],
        id_columns: &[0],
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
    for row in &whatif.rows {
        let period = row.period.to_string();
        table
            .push(&[
                Cell::Id(regions.display(row.region)),
                Cell::Text(program_name(row.program, lang)),
                Cell::Text(&period),
                Cell::Count(row.lines),
                Cell::Money(Some(row.expected_fen)),
                Cell::Money(Some(row.proposed_fen)),
                Cell::Money(Some(row.change_fen())),
                Cell::Count(row.unknown),
            ])
            .map_err(xlsx_error)?;
    }
    table.finish().map_err(xlsx_error)?;
    Ok(())
}

/// 增幅最大的对象: the persons whose amounts rise most over the window.
fn write_gains(
    workbook: &mut Workbook,
    formats: &Formats,
    whatif: &Whatif<'_>,
    regions: &Regions,
    lang: Lang,
) -> io::Result<()> {
    let mut cuts = Cuts::default();
    let titles = if lang == Lang::Zh {
        [
            "序号",
            "身份证号",
            "姓名",
            "区划代码",
            "对象月数",
            "现行标准应发",
            "增加金额",
        ]
    } else {
        [
            "No.",
            "ID number",
            "Name",
            "Region",
            "Lines",
            "Expected today",
            "Change",
        ]
    };
    let spec = TableSpec {
        name: lang.pick("增幅最大的对象", "Largest gains"),
        titles: &titles.map(|title| region_title(title, !regions.is_empty())),
        max_widths: &[6, 20, 14, 14, 9, 14, 14],
        id_columns: &[1, 3],
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
    for (index, gain) in whatif.gains.iter().enumerate() {
        table
            .push(&[
                Cell::Count(index as u64 + 1),
                Cell::Id(gain.id_number),
                Cell::Text(gain.name),
                Cell::Id(regions.display(gain.region)),
                Cell::Count(gain.lines),
                Cell::Money(Some(gain.expected_fen)),
                Cell::Money(Some(gain.change_fen)),
            ])
            .map_err(xlsx_error)?;
    }
    table.side_only(&[]).map_err(xlsx_error)?;
    let note = lang.pick(
        format!("按窗口内增加金额从大到小排列，最多列出 {MAX_LISTED_GAINS} 人；金额相同按身份证号排列。"),
        format!("By the rise over the window, largest first, at most {MAX_LISTED_GAINS} persons; equal rises by ID number."),
    );
    table
        .side_only(&[(0 as ColNum, Cell::Text(&note))])
        .map_err(xlsx_error)?;
    table.finish().map_err(xlsx_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_town_is_the_first_nine_characters_of_a_region() {
        assert_eq!(town_of("110101001001"), "110101001");
        assert_eq!(town_of("110101"), "110101");
        assert_eq!(town_of(""), "");
    }
}

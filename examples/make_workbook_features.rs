//! Makes `fixtures/workbooks/features.xlsx`: one workbook with every
//! kind of cell and sheet the workbook readers handle — numbers, dates in
//! built-in, custom and Chinese formats, durations, booleans, formulas
//! with saved values (number, text, error), rich and escaped text, merged
//! ranges, a hidden and a very hidden sheet, a chart sheet. Its `.xls`
//! twin is LibreOffice's conversion of it, committed beside it:
//!
//! ```text
//! cargo run --example make_workbook_features
//! soffice --headless --convert-to xls --outdir fixtures/workbooks \
//!     fixtures/workbooks/features.xlsx
//! ```
//!
//! tests/workbooks.rs reads both with our readers and with calamine and
//! compares them cell for cell.

use rust_xlsxwriter::{Chart, ChartType, ExcelDateTime, Format, Workbook, Worksheet};

fn main() -> Result<(), rust_xlsxwriter::XlsxError> {
    let mut workbook = Workbook::new();
    let mut data = Worksheet::new();
    data.set_name("数据")?;
    data.merge_range(0, 0, 0, 5, "2024年7月 代发明细", &Format::new())?;
    for (column, title) in ["编号", "姓名", "金额", "日期", "月份", "备注"]
        .iter()
        .enumerate()
    {
        data.write_string(1, column as u16, *title)?;
    }
    let formats = [
        Format::new().set_num_format_index(14),
        Format::new().set_num_format("yyyy-mm-dd"),
        Format::new().set_num_format("yyyy\"年\"m\"月\""),
        Format::new().set_num_format("yyyy/m/d h:mm"),
        Format::new().set_num_format("[h]:mm"),
        Format::new().set_num_format("0.00"),
        Format::new().set_num_format("#,##0.00_);[Red](#,##0.00)"),
        Format::new().set_num_format("@"),
    ];
    let values = [
        44013.0,
        45474.0,
        45474.75,
        45_474.999_999_9,
        1.5,
        1140.5,
        -0.1,
        1.0e21,
    ];
    for (index, (format, value)) in formats.iter().zip(values).enumerate() {
        let row = index as u32 + 2;
        data.write_string(row, 0, format!("P{}", index + 1))?;
        data.write_string(
            row,
            1,
            [
                "张一",
                "陈一",
                "李_x000D_四",
                "王 五 ",
                "赵六",
                "钱七",
                "孙八",
                "周九",
            ][index],
        )?;
        data.write_number(
            row,
            2,
            [
                1200.0,
                600.5,
                0.1 + 0.2,
                440981000000000000.0,
                15.0,
                1e-7,
                123456789.125,
                0.0,
            ][index],
        )?;
        data.write_number_with_format(row, 3, value, format)?;
        data.write_datetime_with_format(
            row,
            4,
            ExcelDateTime::from_ymd(2024, 1 + index as u8, 1)?,
            &Format::new().set_num_format("yyyy-mm"),
        )?;
    }
    data.write_boolean(10, 0, true)?;
    data.write_boolean(10, 1, false)?;
    data.write_formula(10, 2, "=C3+C4")?;
    data.set_formula_result(10, 2, "1800.5");
    data.write_formula(10, 3, "=\"a\"&\"b\"")?;
    data.set_formula_result(10, 3, "ab");
    data.write_formula(10, 4, "=1/0")?;
    data.set_formula_result(10, 4, "#DIV/0!");
    data.write_rich_string(
        10,
        5,
        &[(&Format::new().set_bold(), "粗"), (&Format::new(), "体")],
    )?;
    data.merge_range(12, 1, 13, 2, "合并", &Format::new())?;
    data.write_string(15, 7, "far right")?;
    data.write_string(16, 0, "")?;
    workbook.push_worksheet(data);

    let mut hidden = Worksheet::new();
    hidden.set_name("隐藏")?;
    hidden.write_string(0, 0, "hidden")?;
    hidden.set_hidden(true);
    workbook.push_worksheet(hidden);

    let mut very_hidden = Worksheet::new();
    very_hidden.set_name("VeryHidden")?;
    very_hidden.write_number(3, 3, 42.0)?;
    very_hidden.set_very_hidden(true);
    workbook.push_worksheet(very_hidden);

    let mut chart_sheet = Worksheet::new_chartsheet();
    chart_sheet.set_name("图表")?;
    let mut chart = Chart::new(ChartType::Column);
    chart.add_series().set_values("='数据'!$C$3:$C$6");
    chart_sheet.insert_chart(0, 0, &chart)?;
    workbook.push_worksheet(chart_sheet);

    let mut last = Worksheet::new();
    last.set_name("Last")?;
    last.write_string(0, 0, "end")?;
    workbook.push_worksheet(last);

    workbook.save("fixtures/workbooks/features.xlsx")
}

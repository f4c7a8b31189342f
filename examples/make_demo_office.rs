//! Makes `fixtures/demo-office/` from `fixtures/demo/`: the same county as
//! a finance office holds it — a roster workbook behind a cover sheet with
//! title rows, the bank's payout workbook with date and number cells, a
//! GBK allocations file with Chinese headers, and a transfers file in fen
//! that columns.toml explains. Same people, same money: reconciling it
//! gives the demo's findings (tests/office.rs compares them one by one).
//!
//! `cargo run --example make_demo_office` (writes fixtures/demo-office/
//! and the spreadsheet fixtures); `cargo run --release --example
//! make_demo_office -- CASE OUT` converts any generated case (to time
//! reading workbooks against CSV).

use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

/// Rows above the roster's header on its sheet (title, unit, 制表单位).
pub const ROSTER_TITLE_ROWS: u32 = 3;
/// Rows above the payouts' header (the bank's title).
pub const PAYOUT_TITLE_ROWS: u32 = 1;

type Table = (Vec<String>, Vec<Vec<String>>);

fn read_csv(path: &Path) -> Table {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let header = reader
        .headers()
        .expect("a header")
        .iter()
        .map(String::from)
        .collect();
    let rows = reader
        .records()
        .map(|record| record.expect("a record").iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|column| column == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

fn period_parts(text: &str) -> Option<(u16, u8)> {
    let (year, month) = text.split_once('-')?;
    if year.len() != 4 || month.len() != 2 || text.len() != 7 {
        return None;
    }
    Some((year.parse().ok()?, month.parse().ok()?))
}

fn chinese_month(text: &str) -> String {
    match period_parts(text) {
        Some((year, month)) => format!("{year}年{month}月"),
        None => text.to_string(),
    }
}

fn chinese_range(text: &str) -> String {
    match text.split_once("..") {
        Some((first, last)) => format!("{}至{}", chinese_month(first), chinese_month(last)),
        None => chinese_month(text),
    }
}

fn program_name(program: &str, region: &str) -> String {
    match program {
        "dibao" if region.starts_with("510104001") => "城市低保".into(),
        "dibao" => "农村低保".into(),
        "tekun" => "特困供养".into(),
        "temp" => "临时救助".into(),
        "price_subsidy" => "价格临时补贴".into(),
        other => other.into(),
    }
}

/// A plain amount (`1800.00`, `1650.005`) as a number; anything else stays
/// text, so a bad cell stays the same bad cell.
fn amount_number(text: &str) -> Option<f64> {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || byte == b'.')
        && text.bytes().filter(|&byte| byte == b'.').count() <= 1;
    if !plain {
        return None;
    }
    text.parse().ok()
}

/// The 15-digit form of a valid ID of someone born in the 1900s.
fn old_form(id: &str) -> Option<String> {
    let valid = duizhang::domain::id_number::is_valid(id);
    (valid && &id[6..8] == "19").then(|| format!("{}{}", &id[..6], &id[8..17]))
}

fn write_text(sheet: &mut Worksheet, row: u32, column: u16, text: &str) {
    if !text.is_empty() {
        sheet.write_string(row, column, text).expect("write");
    }
}

fn month_cell(sheet: &mut Worksheet, row: u32, column: u16, text: &str, format: &Format) {
    match period_parts(text) {
        Some((year, month)) => {
            let date = ExcelDateTime::from_ymd(year, month, 1).expect("a date");
            sheet
                .write_datetime_with_format(row, column, &date, format)
                .expect("write");
        }
        None => write_text(sheet, row, column, text),
    }
}

fn new_workbook() -> Workbook {
    let mut workbook = Workbook::new();
    let when = ExcelDateTime::from_ymd(2025, 1, 2).expect("a date");
    workbook.set_properties(
        &DocProperties::new()
            .set_author("duizhang demo")
            .set_creation_datetime(&when),
    );
    workbook
}

fn roster(demo: &Path, out: &Path) {
    let (header, rows) = read_csv(&demo.join("roster.csv"));
    let get = |row: &[String], name: &str| row[column(&header, name)].clone();
    let mut workbook = new_workbook();
    let month = Format::new().set_num_format("yyyy-mm");
    let cover = workbook.add_worksheet();
    cover.set_name("封面").expect("name");
    cover
        .write_string(2, 1, "2024年城乡低保、特困供养对象花名册")
        .expect("write");
    cover.write_string(4, 1, "某县民政局 编").expect("write");
    let sheet = workbook.add_worksheet();
    sheet.set_name("花名册").expect("name");
    sheet
        .write_string(0, 0, "2024年城乡低保、特困供养对象花名册")
        .expect("write");
    sheet
        .write_string(1, 0, "制表单位：某县民政局")
        .expect("write");
    sheet.write_string(2, 0, "单位：元、人").expect("write");
    let columns = [
        "序号",
        "属地",
        "救助证编号",
        "姓  名",
        "身份证号码",
        "户编号",
        "救助类别",
        "保障人数",
        "人均收入（元）",
        "刚性支出",
        "护理等级",
        "供养方式",
        "批准金额",
        "起始保障年月",
        "截止保障年月",
        "银行账号",
        "开户银行",
        "保障档次",
        "分类施保类别",
        "渐退起始年月",
        "备注",
    ];
    let top = ROSTER_TITLE_ROWS;
    for (at, name) in columns.iter().enumerate() {
        sheet.write_string(top, at as u16, *name).expect("write");
    }
    for (index, row) in rows.iter().enumerate() {
        let line = top + 1 + index as u32;
        let region = get(row, "region");
        sheet
            .write_number(line, 0, (index + 1) as f64)
            .expect("write");
        write_text(sheet, line, 1, &region);
        write_text(sheet, line, 2, &get(row, "enrolment_id"));
        write_text(sheet, line, 3, &get(row, "name"));
        let id = get(row, "id_number");
        let id = match old_form(&id) {
            Some(old) if index % 7 == 3 => old,
            _ => id,
        };
        write_text(sheet, line, 4, &id);
        write_text(sheet, line, 5, &get(row, "household_id"));
        write_text(sheet, line, 6, &program_name(&get(row, "program"), &region));
        match get(row, "household_size").parse::<f64>() {
            Ok(size) => sheet
                .write_number(line, 7, size)
                .map(|_| ())
                .expect("write"),
            Err(_) => write_text(sheet, line, 7, &get(row, "household_size")),
        }
        for (at, name) in [
            (8, "per_capita_income"),
            (9, "deductions"),
            (12, "approved_amount"),
        ] {
            let value = get(row, name);
            match amount_number(&value) {
                Some(number) => sheet
                    .write_number(line, at, number)
                    .map(|_| ())
                    .expect("write"),
                None => write_text(sheet, line, at, &value),
            }
        }
        let care = match get(row, "care_level").as_str() {
            "self" => "全自理".to_string(),
            "semi" => "半护理".to_string(),
            "full" => "全护理".to_string(),
            other => other.to_string(),
        };
        write_text(sheet, line, 10, &care);
        let mode = match get(row, "support_mode").as_str() {
            "dispersed" => "分散供养".to_string(),
            "centralized" => "集中供养".to_string(),
            other => other.to_string(),
        };
        write_text(sheet, line, 11, &mode);
        // Months typed into Excel became date cells on most rows; some
        // were typed as text.
        for (at, name) in [
            (13, "start_period"),
            (14, "end_period"),
            (19, "phase_out_from"),
        ] {
            let value = get(row, name);
            if index % 5 == 2 {
                write_text(sheet, line, at, &chinese_month(&value));
            } else {
                month_cell(sheet, line, at, &value, &month);
            }
        }
        write_text(sheet, line, 15, &get(row, "account"));
        if !get(row, "account").is_empty() {
            write_text(sheet, line, 16, "农村信用社");
        }
        write_text(sheet, line, 17, &get(row, "tier"));
        write_text(sheet, line, 18, &get(row, "categories"));
    }
    workbook.save(out.join("roster.xlsx")).expect("save");
}

/// The bank's payout workbooks: payouts.xlsx from payouts.csv, and one
/// workbook a month, `payouts/2024-07.xlsx`, from each monthly file of a
/// case generated with `--v3` (SPEC v3: the bank sends one file a month).
fn payouts(demo: &Path, out: &Path) {
    let roster = read_csv(&demo.join("roster.csv"));
    if !demo.join("payouts.csv").exists() {
        // The workbook of a case made before the demo's payouts were split.
        let _ = std::fs::remove_file(out.join("payouts.xlsx"));
    }
    if demo.join("payouts.csv").exists() {
        payout_workbook(
            &demo.join("payouts.csv"),
            &roster,
            &out.join("payouts.xlsx"),
        );
    }
    let monthly = demo.join("payouts");
    if monthly.is_dir() {
        std::fs::create_dir_all(out.join("payouts")).expect("create payouts/");
        let mut names: Vec<String> = std::fs::read_dir(&monthly)
            .expect("list payouts/")
            .map(|entry| {
                entry
                    .expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|name| name.ends_with(".csv"))
            .collect();
        names.sort();
        for name in names {
            let book = format!("{}.xlsx", name.trim_end_matches(".csv"));
            payout_workbook(
                &monthly.join(&name),
                &roster,
                &out.join("payouts").join(book),
            );
        }
    }
}

fn payout_workbook(csv: &Path, roster: &Table, target: &Path) {
    let (header, rows) = read_csv(csv);
    let get = |row: &[String], name: &str| row[column(&header, name)].clone();
    let (roster_header, roster_rows) = roster;
    let region_of = |id: &str| {
        roster_rows
            .iter()
            .find(|row| row[column(roster_header, "id_number")] == id)
            .map(|row| row[column(roster_header, "region")].clone())
            .unwrap_or_default()
    };
    let mut workbook = new_workbook();
    let month = Format::new().set_num_format("yyyy年m月");
    let day = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = workbook.add_worksheet();
    sheet.set_name("代发结果").expect("name");
    sheet
        .write_string(0, 0, "2024年社会救助资金代发结果明细")
        .expect("write");
    let columns = [
        "代理编号",
        "客户姓名",
        "证件号码",
        "账号",
        "救助类别",
        "所属年月",
        "交易金额",
        "入账日期",
        "处理结果",
    ];
    let top = PAYOUT_TITLE_ROWS;
    for (at, name) in columns.iter().enumerate() {
        sheet.write_string(top, at as u16, *name).expect("write");
    }
    for (index, row) in rows.iter().enumerate() {
        let line = top + 1 + index as u32;
        write_text(sheet, line, 0, &get(row, "payout_id"));
        write_text(sheet, line, 1, &get(row, "name"));
        write_text(sheet, line, 2, &get(row, "id_number"));
        write_text(sheet, line, 3, &get(row, "account"));
        let id = get(row, "id_number");
        write_text(
            sheet,
            line,
            4,
            &program_name(&get(row, "program"), &region_of(&id)),
        );
        let period = get(row, "period");
        if period.contains("..") {
            write_text(sheet, line, 5, &chinese_range(&period));
        } else if index % 3 == 0 {
            write_text(sheet, line, 5, &period.replace('-', ""));
        } else {
            month_cell(sheet, line, 5, &period, &month);
        }
        let amount = get(row, "amount");
        match amount_number(&amount) {
            Some(number) => sheet
                .write_number(line, 6, number)
                .map(|_| ())
                .expect("write"),
            None => write_text(sheet, line, 6, &amount),
        }
        let paid_on = get(row, "paid_on");
        let parts: Vec<&str> = paid_on.split('-').collect();
        match parts.as_slice() {
            [year, month_, day_] if paid_on.len() == 10 => {
                let date = ExcelDateTime::from_ymd(
                    year.parse().expect("year"),
                    month_.parse().expect("month"),
                    day_.parse().expect("day"),
                )
                .expect("a date");
                sheet
                    .write_datetime_with_format(line, 7, &date, &day)
                    .expect("write");
            }
            _ => write_text(sheet, line, 7, &paid_on),
        }
        let status = match get(row, "status").as_str() {
            "paid" if index % 2 == 0 => "成功".to_string(),
            "paid" => "已入账".to_string(),
            "failed" => "失败".to_string(),
            "returned" => "退回".to_string(),
            other => other.to_string(),
        };
        write_text(sheet, line, 8, &status);
    }
    workbook.save(target).expect("save");
}

fn csv_line(cells: &[String]) -> String {
    cells
        .iter()
        .map(|cell| {
            if cell.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", cell.replace('"', "\"\""))
            } else {
                cell.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn allocations(demo: &Path, out: &Path) {
    let (header, rows) = read_csv(&demo.join("allocations.csv"));
    let get = |row: &[String], name: &str| row[column(&header, name)].clone();
    let mut text = String::from("指标编号,身份证号码,救助类别,所属年月,金额\r\n");
    for (index, row) in rows.iter().enumerate() {
        let id = get(row, "id_number");
        // The finance system puts ' before long numbers to keep them text.
        let id = if index % 4 == 1 { format!("'{id}") } else { id };
        let period = get(row, "period");
        let period = match period.split_once("..") {
            Some((first, last)) => {
                format!("{}-{}", first.replace('-', "."), last.replace('-', "."))
            }
            None => period.replace('-', "."),
        };
        let program = program_name(&get(row, "program"), "510104001");
        text.push_str(&csv_line(&[
            get(row, "allocation_id"),
            id,
            if program == "城市低保" {
                "低保".into()
            } else {
                program
            },
            period,
            get(row, "amount"),
        ]));
        text.push_str("\r\n");
    }
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable, "allocations are GBK text");
    std::fs::write(out.join("allocations.csv"), bytes).expect("write");
}

fn transfers(demo: &Path, out: &Path) {
    let (header, rows) = read_csv(&demo.join("transfers.csv"));
    let get = |row: &[String], name: &str| row[column(&header, name)].clone();
    let mut text = String::from("划拨流水号,身份证号,项目,所属期,本次划拨(分),划拨日期\n");
    for (index, row) in rows.iter().enumerate() {
        let amount = get(row, "amount");
        let fen = match amount.split_once('.') {
            Some((yuan, fen)) if fen.len() == 2 => format!("{}{fen}", yuan.trim_start_matches('0'))
                .trim_start_matches('0')
                .to_string(),
            _ => amount.clone(),
        };
        let date = get(row, "transferred_on");
        let date = match date.split('-').collect::<Vec<_>>().as_slice() {
            [year, month, day] => format!(
                "{year}/{}/{}",
                month.trim_start_matches('0'),
                day.trim_start_matches('0')
            ),
            _ => date.clone(),
        };
        // An exporter's trailing tab after the ID number.
        let id = get(row, "id_number");
        let id = if index % 5 == 4 {
            format!("{id}\t")
        } else {
            id
        };
        text.push_str(&csv_line(&[
            get(row, "transfer_id"),
            id,
            get(row, "program"),
            get(row, "period"),
            if fen.is_empty() { "0".into() } else { fen },
            date,
        ]));
        text.push('\n');
    }
    std::fs::write(out.join("transfers.csv"), text).expect("write");
    std::fs::write(
        out.join("columns.toml"),
        "# The bank's transfer file gives amounts in fen under its own header.\n[transfers.columns]\namount = { header = \"本次划拨(分)\", unit = \"fen\" }\n",
    )
    .expect("write");
}

fn relatives(demo: &Path, out: &Path) {
    let (header, rows) = read_csv(&demo.join("relatives.csv"));
    let get = |row: &[String], name: &str| row[column(&header, name)].clone();
    let mut text = String::from("身份证号码,工作人员,关系,是否备案\n");
    for row in &rows {
        let filed = match get(row, "filed").as_str() {
            "yes" => "是".to_string(),
            "no" => "否".to_string(),
            other => other.to_string(),
        };
        text.push_str(&csv_line(&[
            get(row, "id_number"),
            get(row, "staff_name"),
            get(row, "relation"),
            filed,
        ]));
        text.push('\n');
    }
    std::fs::write(out.join("relatives.csv"), text).expect("write");
}

/// Writes the office demo from `demo` into `out`.
pub fn make(demo: &Path, out: &Path) {
    std::fs::create_dir_all(out).expect("create the folder");
    roster(demo, out);
    payouts(demo, out);
    allocations(demo, out);
    transfers(demo, out);
    relatives(demo, out);
    for name in ["standards.csv", "exclusions.csv", "policy.toml"] {
        std::fs::copy(demo.join(name), out.join(name)).expect("copy");
    }
    // SPEC v3's registers, as other departments and the office send them.
    for name in ["members.csv", "watchlist.csv"] {
        if demo.join(name).exists() {
            std::fs::copy(demo.join(name), out.join(name)).expect("copy");
        }
    }
}

/// The workbooks of the spreadsheet fixtures: fixtures/office/bad_cells
/// (the bad cells a spreadsheet makes) and the workbook errors of
/// fixtures/errors/.
pub fn make_fixtures(root: &Path) {
    let day = Format::new().set_num_format("yyyy-mm-dd");
    let month = Format::new().set_num_format("yyyy-mm");
    // fixtures/office/bad_cells/payouts.xlsx
    let mut workbook = new_workbook();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "代发结果").expect("write");
    for (at, name) in [
        "代理编号",
        "证件号码",
        "救助类别",
        "所属年月",
        "交易金额",
        "入账日期",
        "处理结果",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(1, at as u16, *name).expect("write");
    }
    let july = ExcelDateTime::from_ymd(2020, 7, 1).expect("a date");
    let paid = ExcelDateTime::from_ymd(2020, 7, 5).expect("a date");
    // Row 3: an old 15-digit ID as a number (exact), a month as a date
    // cell, the amount a number, the day a date cell: all read.
    sheet.write_string(2, 0, "P1").expect("write");
    sheet.write_number(2, 1, 440981850101123.0).expect("write");
    sheet.write_string(2, 2, "低保").expect("write");
    sheet
        .write_datetime_with_format(2, 3, &july, &month)
        .expect("write");
    sheet.write_number(2, 4, 600.0).expect("write");
    sheet
        .write_datetime_with_format(2, 5, &paid, &day)
        .expect("write");
    sheet.write_string(2, 6, "成功").expect("write");
    // Row 4: an 18-digit ID Excel turned into a number.
    sheet.write_string(3, 0, "P2").expect("write");
    sheet.write_number(3, 1, 4.40981e17).expect("write");
    sheet.write_string(3, 2, "低保").expect("write");
    sheet.write_string(3, 3, "2020-07").expect("write");
    sheet.write_number(3, 4, 600.0).expect("write");
    // Row 5: October typed as 2020.10, which Excel keeps as 2020.1.
    sheet.write_string(4, 0, "P3").expect("write");
    sheet
        .write_string(4, 1, "110101198001010010")
        .expect("write");
    sheet.write_string(4, 2, "低保").expect("write");
    sheet.write_number(4, 3, 2020.1).expect("write");
    sheet.write_number(4, 4, 1200.0).expect("write");
    // Row 6: a month as the number 2020.08 (read), an amount with three
    // decimals (a sum that is not exact).
    sheet.write_string(5, 0, "P4").expect("write");
    sheet
        .write_string(5, 1, "110101198001010010")
        .expect("write");
    sheet.write_string(5, 2, "低保").expect("write");
    sheet.write_number(5, 3, 2020.08).expect("write");
    sheet.write_number(5, 4, 1140.005).expect("write");
    // Row 7: a date where the amount should be.
    sheet.write_string(6, 0, "P5").expect("write");
    sheet
        .write_string(6, 1, "110101198001010010")
        .expect("write");
    sheet.write_string(6, 2, "低保").expect("write");
    sheet.write_string(6, 3, "2020年8月").expect("write");
    sheet
        .write_datetime_with_format(6, 4, &paid, &day)
        .expect("write");
    // Row 8: text in exponent form, as a CSV saved from Excel has it.
    sheet.write_string(7, 0, "P6").expect("write");
    sheet.write_string(7, 1, "1.10101E+17").expect("write");
    sheet.write_string(7, 2, "低保").expect("write");
    sheet.write_string(7, 3, "2020-07").expect("write");
    sheet.write_number(7, 4, 600.0).expect("write");
    // Row 9: a back-pay range in words, an apostrophe kept from an export.
    sheet.write_string(8, 0, "P7").expect("write");
    sheet
        .write_string(8, 1, "'110101198001010010")
        .expect("write");
    sheet.write_string(8, 2, "城市低保").expect("write");
    sheet
        .write_string(8, 3, "2020年7月至2020年8月")
        .expect("write");
    sheet.write_number(8, 4, 2400.0).expect("write");
    sheet.write_string(8, 6, "已入账").expect("write");
    workbook
        .save(root.join("fixtures/office/bad_cells/payouts.xlsx"))
        .expect("save");

    sheet_fixtures(root);

    // fixtures/errors/sheet_no_header/roster.xlsx: the roster's header
    // lacks the ID column on every sheet.
    let mut workbook = new_workbook();
    let sheet = workbook.add_worksheet();
    sheet.set_name("花名册").expect("name");
    sheet.write_string(0, 0, "2020年低保花名册").expect("write");
    for (at, name) in ["救助证编号", "姓名", "属地", "救助类别", "起始保障年月"]
        .iter()
        .enumerate()
    {
        sheet.write_string(2, at as u16, *name).expect("write");
    }
    workbook
        .save(root.join("fixtures/errors/sheet_no_header/roster.xlsx"))
        .expect("save");

    // fixtures/errors/sheet_too_wide/payouts.xlsx: a stray value in
    // column AMK, past the 1024 columns a case file may have.
    let mut workbook = new_workbook();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Sheet1").expect("name");
    for (at, name) in ["payout_id", "id_number", "program", "period", "amount"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, at as u16, *name).expect("write");
    }
    sheet.write_string(5, 1024, "x").expect("write");
    workbook
        .save(root.join("fixtures/errors/sheet_too_wide/payouts.xlsx"))
        .expect("save");
}

/// Writes a header and rows of text cells (an empty text: no cell).
fn write_rows(sheet: &mut Worksheet, first_row: u32, rows: &[&[&str]]) {
    for (row, cells) in rows.iter().enumerate() {
        for (column, text) in cells.iter().enumerate() {
            write_text(sheet, first_row + row as u32, column as u16, text);
        }
    }
}

/// The sheets offices make that a reader must not read wrong
/// (fixtures/office/merged, hidden_sheet, hidden_sheet_named,
/// month_sheets): merged cells, a hidden sheet before the visible one, a
/// bank workbook with a sheet per month.
fn sheet_fixtures(root: &Path) {
    let office = root.join("fixtures/office");
    let merge = Format::new();
    // merged/roster.xlsx: two enrolments share a merged 截止保障年月 (and a
    // merged 属地): both end in 2020-03.
    let mut workbook = new_workbook();
    let sheet = workbook.add_worksheet();
    sheet.set_name("花名册").expect("name");
    write_rows(
        sheet,
        0,
        &[
            &[
                "救助证编号",
                "身份证号码",
                "姓名",
                "属地",
                "救助类别",
                "保障人数",
                "人均收入",
                "起始保障年月",
                "截止保障年月",
            ],
            &[
                "E1",
                "110101198001010010",
                "张一",
                "",
                "低保",
                "1",
                "0",
                "2020-01",
                "",
            ],
            &[
                "E2",
                "110101199002020020",
                "李二",
                "",
                "低保",
                "1",
                "0",
                "2020-01",
                "",
            ],
        ],
    );
    sheet
        .merge_range(1, 3, 2, 3, "110101", &merge)
        .expect("merge");
    sheet
        .merge_range(1, 8, 2, 8, "2020-03", &merge)
        .expect("merge");
    workbook
        .save(office.join("merged/roster.xlsx"))
        .expect("save");
    // merged/payouts.xlsx: an amount merged over two rows (both bad), and
    // a program merged over four (given to each).
    let mut workbook = new_workbook();
    let sheet = workbook.add_worksheet();
    sheet.set_name("代发").expect("name");
    write_rows(
        sheet,
        0,
        &[
            &["代理编号", "证件号码", "救助类别", "所属年月", "交易金额"],
            &["P1", "110101198001010010", "低保", "2020-01", "600"],
            &["P2", "110101199002020020", "低保", "2020-01", "600"],
            &["P3", "110101198001010010", "低保", "2020-02", ""],
            &["P4", "110101199002020020", "低保", "2020-02", ""],
            &["P5", "110101198001010010", "", "2020-03", "600"],
            &["P6", "110101199002020020", "", "2020-03", "600"],
            &["P7", "110101198001010010", "", "2020-04", "600"],
            &["P8", "110101199002020020", "", "2020-04", "600"],
        ],
    );
    sheet.merge_range(3, 4, 4, 4, "600", &merge).expect("merge");
    sheet
        .merge_range(5, 2, 8, 2, "低保", &merge)
        .expect("merge");
    workbook
        .save(office.join("merged/payouts.xlsx"))
        .expect("save");

    // hidden_sheet(_named)/payouts.xlsx: a hidden sheet of old figures
    // before the visible one the bank paid by.
    for case in ["hidden_sheet", "hidden_sheet_named"] {
        let mut workbook = new_workbook();
        let header: &[&str] = &["代理编号", "证件号码", "救助类别", "所属年月", "交易金额"];
        let old = workbook.add_worksheet();
        old.set_name("旧表").expect("name");
        write_rows(
            old,
            0,
            &[
                header,
                &["P1", "110101198001010010", "低保", "2020-01", "300"],
                &["P2", "110101198001010010", "低保", "2020-02", "300"],
            ],
        );
        old.set_hidden(true);
        let paid = workbook.add_worksheet();
        paid.set_name("代发结果").expect("name");
        write_rows(
            paid,
            0,
            &[
                &["2020年代发结果"],
                header,
                &["P1", "110101198001010010", "低保", "2020-01", "600"],
                &["P2", "110101198001010010", "低保", "2020-02", "600"],
            ],
        );
        paid.set_active(true);
        workbook
            .save(office.join(case).join("payouts.xlsx"))
            .expect("save");
    }

    // month_sheets/payouts.xlsx: a sheet per month, a title row above each
    // header, a payout id exported again in the second month, and a
    // summary sheet that is no table of payouts.
    let mut workbook = new_workbook();
    let header: &[&str] = &["代理编号", "证件号码", "救助类别", "所属年月", "交易金额"];
    let january = workbook.add_worksheet();
    january.set_name("1月").expect("name");
    write_rows(
        january,
        0,
        &[
            &["2020年1月代发"],
            header,
            &["P1", "110101198001010010", "低保", "2020-01", "600"],
        ],
    );
    let february = workbook.add_worksheet();
    february.set_name("2月").expect("name");
    write_rows(
        february,
        0,
        &[
            &["2020年2月代发"],
            header,
            &["P2", "110101198001010010", "低保", "2020-02", "600"],
            &["P1", "110101198001010010", "低保", "2020-02", "600"],
        ],
    );
    let summary = workbook.add_worksheet();
    summary.set_name("汇总").expect("name");
    write_rows(
        summary,
        0,
        &[&["月份", "笔数", "金额"], &["1月", "1", "600"]],
    );
    workbook
        .save(office.join("month_sheets/payouts.xlsx"))
        .expect("save");

    // fixtures/errors/sheet_hidden_only/payouts.xlsx: the only sheet with
    // the payouts is hidden, behind a visible cover sheet.
    let mut workbook = new_workbook();
    let cover = workbook.add_worksheet();
    cover.set_name("说明").expect("name");
    write_rows(cover, 0, &[&["本表由银行导出"]]);
    let data = workbook.add_worksheet();
    data.set_name("数据").expect("name");
    write_rows(
        data,
        0,
        &[
            &["代理编号", "证件号码", "救助类别", "所属年月", "交易金额"],
            &["P1", "110101198001010010", "低保", "2020-01", "600"],
        ],
    );
    data.set_hidden(true);
    workbook
        .save(root.join("fixtures/errors/sheet_hidden_only/payouts.xlsx"))
        .expect("save");
}

#[allow(dead_code)]
fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    if let [case, out] = arguments.as_slice() {
        make(Path::new(case), Path::new(out));
        println!("wrote {out}");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("fixtures/demo-office");
    make(&root.join("fixtures/demo"), &out);
    make_fixtures(root);
    println!("wrote {} and the spreadsheet fixtures", out.display());
}

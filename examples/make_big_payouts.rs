//! Turns a generated case's payouts.csv into a 20-column payouts.xlsx, as
//! a bank's export: the payout columns (amounts as numbers, payment days
//! as date cells, text in shared strings as Excel writes it) and eleven
//! more columns a bank adds (branch, serial number, remarks). For timing
//! and measuring the workbook reader on a large legitimate workbook:
//!
//! ```text
//! duizhang generate /tmp/big --households 32000
//! cargo run --release --example make_big_payouts -- /tmp/big /tmp/big-xlsx
//! /usr/bin/time -v target/release/duizhang check /tmp/big-xlsx
//! ```

use std::path::Path;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let [case, out] = arguments.as_slice() else {
        eprintln!("usage: make_big_payouts CASE OUT");
        std::process::exit(2);
    };
    let (case, out) = (Path::new(case), Path::new(out));
    std::fs::create_dir_all(out).expect("makes the output folder");
    for entry in std::fs::read_dir(case).expect("lists the case") {
        let path = entry.expect("an entry").path();
        let name = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        if name != "payouts.csv" && path.is_file() {
            std::fs::copy(&path, out.join(&name)).expect("copies");
        }
    }
    let mut reader = csv::Reader::from_path(case.join("payouts.csv")).expect("reads payouts.csv");
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(String::from)
        .collect();
    let extra = [
        "branch",
        "teller",
        "serial",
        "batch",
        "channel",
        "remark",
        "checked_by",
        "fee",
        "currency",
        "voucher",
        "note",
    ];
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("代发明细").expect("a name");
    let day = Format::new().set_num_format("yyyy-mm-dd");
    for (column, title) in header.iter().map(String::as_str).chain(extra).enumerate() {
        sheet.write_string(0, column as u16, title).expect("writes");
    }
    let mut rows = 0u32;
    for (index, record) in reader.records().enumerate() {
        let record = record.expect("a record");
        let row = index as u32 + 1;
        for (column, (name, value)) in header.iter().zip(record.iter()).enumerate() {
            let column = column as u16;
            match name.as_str() {
                "amount" => sheet
                    .write_number(row, column, value.parse::<f64>().expect("an amount"))
                    .map(|_| ()),
                "paid_on" if !value.is_empty() => {
                    let date = ExcelDateTime::parse_from_str(value).expect("a date");
                    sheet
                        .write_datetime_with_format(row, column, &date, &day)
                        .map(|_| ())
                }
                _ => sheet.write_string(row, column, value).map(|_| ()),
            }
            .expect("writes");
        }
        let base = header.len() as u16;
        let serial = u64::from(row) * 7919 % 1_000_003;
        sheet
            .write_string(row, base, format!("支行{:02}", row % 48))
            .expect("writes");
        sheet
            .write_string(row, base + 1, format!("T{:04}", row % 977))
            .expect("writes");
        sheet
            .write_number(row, base + 2, serial as f64)
            .expect("writes");
        sheet
            .write_string(row, base + 3, format!("B2024{:03}", row / 5000))
            .expect("writes");
        sheet
            .write_string(row, base + 4, ["柜面", "网银", "批量"][(row % 3) as usize])
            .expect("writes");
        sheet
            .write_string(
                row,
                base + 5,
                if row.is_multiple_of(11) {
                    "补发"
                } else {
                    "正常"
                },
            )
            .expect("writes");
        sheet
            .write_string(row, base + 6, format!("复核{}", row % 13))
            .expect("writes");
        sheet.write_number(row, base + 7, 0.0).expect("writes");
        sheet.write_string(row, base + 8, "CNY").expect("writes");
        sheet
            .write_string(row, base + 9, format!("V{serial:07}"))
            .expect("writes");
        sheet.write_string(row, base + 10, "").expect("writes");
        rows = row;
    }
    workbook.save(out.join("payouts.xlsx")).expect("saves");
    println!(
        "wrote {} ({rows} payouts, {} columns)",
        out.join("payouts.xlsx").display(),
        header.len() + extra.len()
    );
}

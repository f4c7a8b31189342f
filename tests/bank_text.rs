//! A bank's text export as it comes (docs/formats.md, "How the CSV files
//! are read"): title lines above the header of a `.txt` are passed over as
//! in a workbook, and a `.csv` whose header turns up below a title is
//! refused saying so. fixtures/bank-text/title-lines: payouts.txt opens
//! with `某某银行代发明细` and `导出日期：2024-02-01`, then the tab-separated
//! header on line 3 and P1 on line 4 (400.00 of 500.00 due: one SHORTFALL,
//! checked by hand).

mod common;

use common::{csv_rows, out_dir, read, reconcile, repository};

fn case() -> std::path::PathBuf {
    repository().join("fixtures/bank-text/title-lines")
}

#[test]
fn a_txt_exports_title_lines_are_passed_over_and_its_lines_cited_as_they_are() {
    let out = out_dir("bank-text-title");
    let run = reconcile(&case(), &out, &["--quiet"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (header, findings) = csv_rows(&read(&out.join("findings.csv")));
    let sources = header.iter().position(|title| title == "sources").unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0][0], "SHORTFALL");
    assert_eq!(findings[0][sources], "payouts.txt:4;roster.csv:2");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_duizhang"))
        .args(["check", "--lang", "en"])
        .arg(case())
        .output()
        .expect("runs");
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains("payouts.txt: utf-8, tab-separated, header on line 3 (the 2 title lines above passed over); 1 rows"),
        "{said}"
    );
}

#[test]
fn a_csv_with_a_title_above_its_header_is_refused_saying_where_the_header_is() {
    let case_copy = out_dir("bank-text-csv-case");
    std::fs::create_dir_all(&case_copy).expect("a folder");
    for file in ["roster.csv", "standards.csv"] {
        std::fs::copy(case().join(file), case_copy.join(file)).expect("copied");
    }
    std::fs::write(
        case_copy.join("payouts.csv"),
        "某某银行代发明细\npayout_id,id_number,program,period,amount\nP1,110101198001010010,dibao,2020-01,400.00\n",
    )
    .expect("written");
    let run = reconcile(&case_copy, &out_dir("bank-text-csv"), &["--quiet"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("payouts.csv:1: missing required columns")
            && run.stderr.contains("the header is on line 2, below what looks like a title: a .csv file's header must be its first line"),
        "{}",
        run.stderr
    );
}

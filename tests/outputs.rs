//! What a run writes for a spreadsheet to open: text from the case that
//! starts like a formula is written as text.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use common::{csv_rows, out_dir, read};

fn reconcile(case: &Path, out: &Path, extra: &[&str], faults: &str) -> Output {
    assert!(faults.is_empty());
    Command::new(env!("CARGO_BIN_EXE_duizhang"))
        .arg("reconcile")
        .arg(case)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("the duizhang binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// SPEC v2 §6: text read from the case that a spreadsheet would run as a
/// formula is written after `'` in every CSV output; money keeps its
/// minus sign; rows stay sorted on the values as read (`=1` after the
/// digits, though `'` sorts before them).
#[test]
fn text_that_starts_like_a_formula_is_written_as_text_in_every_csv_output() {
    let case = out_dir("outputs-formula-case");
    std::fs::create_dir_all(&case).expect("create");
    let files = [
        (
            "roster.csv",
            "enrolment_id,id_number,name,household_id,region,program,household_size,per_capita_income,start_period,end_period,account\n\
             D1,110101198001010010,\"=HYPERLINK(\"\"http://x\"\",\"\"a\"\")\",,-5101,dibao,1,0,2021-01,2021-01,62220001\n\
             D2,110101198001010029,＝1+1,,+5101,dibao,1,0,2021-01,2021-01,\n",
        ),
        (
            "standards.csv",
            "region,program,item,effective_from,amount\n*,dibao,standard,2021-01,500.00\n",
        ),
        (
            "payouts.csv",
            "payout_id,id_number,program,period,amount,name,account\n\
             P1,110101198001010010,dibao,2021-01,500.00,@SUM(A1),-62220001\n\
             P2,=1,dibao,2021-01,100.00,,\n\
             P3,110101198001010029,dibao,2021-01,400.00,,\n",
        ),
        (
            "allocations.csv",
            "allocation_id,id_number,program,period,amount\n\
             A1,110101198001010010,dibao,2021-01,400.00\n\
             A2,110101198001010029,dibao,2021-01,500.00\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(case.join(name), text).expect("write");
    }
    let out = out_dir("outputs-formula");
    let run = reconcile(&case, &out, &[], "");
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let text_columns = [
        "id_number",
        "name",
        "region",
        "account",
        "detail",
        "sources",
    ];
    let money_columns = [
        "amount",
        "expected",
        "allocated",
        "transferred",
        "paid",
        "shortfall",
        "overpaid",
        "improper",
    ];
    let mut marked = BTreeSet::new();
    for file in ["findings.csv", "ledger.csv", "summary.csv"] {
        let (header, rows) = csv_rows(&read(&out.join(file)));
        for row in &rows {
            for (column, cell) in header.iter().zip(row) {
                let first = cell.chars().next();
                assert!(
                    !matches!(
                        first,
                        Some('=' | '+' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠')
                    ) && (first != Some('-') || money_columns.contains(&column.as_str())),
                    "{file}: {column} {cell:?} would run as a formula"
                );
                if text_columns.contains(&column.as_str()) && cell.starts_with('\'') {
                    marked.insert(format!("{file}:{column}:{cell}"));
                }
                if money_columns.contains(&column.as_str()) && !cell.is_empty() {
                    assert!(
                        cell.trim_start_matches('-')
                            .replace('.', "")
                            .bytes()
                            .all(|b| b.is_ascii_digit()),
                        "{file}: {column} {cell:?} is not a number"
                    );
                }
            }
        }
        if file != "summary.csv" {
            let id = header
                .iter()
                .position(|name| name == "id_number")
                .expect("id_number");
            let last = rows.last().expect("rows");
            assert_eq!(
                last[id], "'=1",
                "{file}: rows are sorted on the values as read"
            );
        }
    }
    for expected in [
        "findings.csv:id_number:'=1",
        "findings.csv:account:'-62220001",
        "findings.csv:name:'=HYPERLINK(\"http://x\",\"a\")",
        "findings.csv:name:'＝1+1",
        "findings.csv:region:'-5101",
        "ledger.csv:id_number:'=1",
        "ledger.csv:region:'+5101",
        "summary.csv:region:'-5101",
        "summary.csv:region:'+5101",
    ] {
        assert!(
            marked.contains(expected),
            "{expected} not among {marked:#?}"
        );
    }
    let findings = read(&out.join("findings.csv"));
    assert!(
        findings.contains("ALLOCATION_MISMATCH,medium,110101198001010010,")
            && findings.contains(",-100.00,"),
        "{findings}"
    );
    // Quoting applies after the mark, as usual.
    assert!(
        findings.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"a\"\")\""),
        "{findings}"
    );
}

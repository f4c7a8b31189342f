//! regions.csv (docs/formats.md, "Region names"), on the hand-made case
//! fixtures/regions/names-in-roster. Its roster's 属地 column holds:
//!
//! - 张一 `东风村`: regions.csv names one village so, 510104001001; the row
//!   is read with that code;
//! - 李二 `510104001002`: a code, kept; the workbooks show 前进村;
//! - 王三 `新华村`: two villages of two towns bear the name: the row is a
//!   BAD_RECORD in column region saying to write the code, and P3 is
//!   PAID_NOT_ENROLLED with the cause roster_row_unreadable;
//! - 赵四 `西山村`: regions.csv has no such name: BAD_RECORD, and P4 alike.
//!
//! Expected, checked by hand: ledger lines of D1 (510104001001, paid in
//! full) and D2 (510104001002, SHORTFALL 100.00); two BAD_RECORDs
//! (roster.csv:4 and :5) and two PAID_NOT_ENROLLED.

mod common;

use std::path::{Path, PathBuf};

use calamine::{open_workbook, Data, Reader, Xlsx};
use common::{csv_rows, out_dir, read, reconcile, repository};

fn case() -> PathBuf {
    repository().join("fixtures/regions/names-in-roster")
}

/// A copy of the case, without regions.csv when `regions` is false, or
/// with `regions` as its text.
fn copy_with(name: &str, regions: Option<&str>) -> PathBuf {
    let copy = out_dir(name);
    std::fs::create_dir_all(&copy).expect("a folder");
    for file in ["roster.csv", "standards.csv", "payouts.csv"] {
        std::fs::copy(case().join(file), copy.join(file)).expect("copied");
    }
    if let Some(text) = regions {
        std::fs::write(copy.join("regions.csv"), text).expect("written");
    }
    copy
}

fn sheet(path: &Path, name: &str) -> Vec<Vec<String>> {
    let mut workbook: Xlsx<_> = open_workbook(path).expect("a workbook");
    let range = workbook.worksheet_range(name).expect("the sheet");
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

#[test]
fn names_in_the_roster_are_read_as_codes_and_the_workbook_shows_names() {
    let out = out_dir("regions-names");
    let run = reconcile(&case(), &out, &["--report", "--quiet"]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let (_, ledger) = csv_rows(&read(&out.join("ledger.csv")));
    let regions: Vec<(&str, &str)> = ledger
        .iter()
        .map(|row| (row[0].as_str(), row[2].as_str()))
        .collect();
    assert_eq!(
        regions,
        [
            ("110101198001010010", "510104001001"),
            ("110101198001010029", "510104001002"),
            ("110101198001010037", ""),
            ("110101198001010045", ""),
        ]
    );

    let (header, findings) = csv_rows(&read(&out.join("findings.csv")));
    let detail = header.iter().position(|title| title == "detail").unwrap();
    let codes: Vec<(&str, &str)> = findings
        .iter()
        .map(|row| (row[0].as_str(), row[2].as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("SHORTFALL", "110101198001010029"),
            ("BAD_RECORD", "110101198001010037"),
            ("PAID_NOT_ENROLLED", "110101198001010037"),
            ("BAD_RECORD", "110101198001010045"),
            ("PAID_NOT_ENROLLED", "110101198001010045"),
        ]
    );
    assert_eq!(
        findings[1][detail],
        "column region: \"新华村\": regions.csv gives this name to 2 regions (510104001003, 510104002003); write the code of the one meant"
    );
    assert!(
        findings[3][detail].starts_with("column region: \"西山村\": expected a region code"),
        "{}",
        findings[3][detail]
    );

    // The workbook shows the villages by name, under a title that says so.
    let report = out.join("report.xlsx");
    let ledger_sheet = sheet(&report, "台账");
    let header_row = ledger_sheet
        .iter()
        .position(|row| row.iter().any(|cell| cell == "村(社区)"))
        .expect("the ledger's header names the village column");
    let villages: Vec<&str> = ledger_sheet[header_row + 1..]
        .iter()
        .filter(|row| row.get(1).is_some_and(|id| id.starts_with("1101")))
        .map(|row| row[0].as_str())
        .collect();
    // The two persons whose roster rows could not be read have no region.
    assert_eq!(villages, ["", "", "东风村", "前进村"], "{ledger_sheet:?}");
    let summary = sheet(&report, "汇总");
    assert!(
        summary
            .iter()
            .any(|row| row.first().is_some_and(|cell| cell == "东风村")),
        "{summary:?}"
    );
    // 说明 names regions.csv among the files read.
    let about = sheet(&report, "说明");
    assert!(
        about
            .iter()
            .flatten()
            .any(|cell| cell.starts_with("regions.csv（区划名称 5 个")),
        "{about:?}"
    );
    // The town of both villages, in the rate table beside the summary.
    assert!(
        summary.iter().flatten().any(|cell| cell == "红星镇"),
        "{summary:?}"
    );
}

#[test]
fn the_notice_names_the_villages() {
    let out = out_dir("regions-notice");
    std::fs::create_dir_all(&out).expect("a folder");
    let notice = out.join("公示.xlsx");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_duizhang"))
        .arg("notice")
        .arg(case())
        .args(["--period", "2024年1月", "--out"])
        .arg(&notice)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let mut workbook: Xlsx<_> = open_workbook(&notice).expect("a workbook");
    let first = workbook.sheet_names()[0].clone();
    let cells: Vec<String> = workbook
        .worksheet_range(&first)
        .expect("the notice")
        .cells()
        .map(|(_, _, cell)| cell.to_string())
        .collect();
    assert!(cells.iter().any(|cell| cell == "东风村"), "{cells:?}");
    assert!(cells.iter().any(|cell| cell == "前进村"), "{cells:?}");
    assert!(
        !cells.iter().any(|cell| cell == "510104001001"),
        "{cells:?}"
    );
}

#[test]
fn whatif_names_the_towns_and_villages() {
    let proposed = out_dir("regions-whatif-proposed");
    std::fs::create_dir_all(&proposed).expect("a folder");
    let standards = proposed.join("proposed.csv");
    std::fs::write(
        &standards,
        "region,program,item,effective_from,amount\n*,dibao,standard,2024-01,600.00\n",
    )
    .expect("written");
    let out = out_dir("regions-whatif");
    let run = common::whatif(
        &case(),
        &out,
        &[
            "--standards".to_string(),
            standards.display().to_string(),
            "--report".to_string(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let towns = sheet(&out.join("whatif.xlsx"), "按乡镇测算");
    assert!(
        towns.iter().flatten().any(|cell| cell == "红星镇"),
        "{towns:?}"
    );
    let rows = sheet(&out.join("whatif.xlsx"), "测算明细");
    assert!(
        rows.iter().flatten().any(|cell| cell == "东风村"),
        "{rows:?}"
    );
    assert!(
        rows.iter().flatten().any(|cell| cell == "区划名称"),
        "{rows:?}"
    );
}

#[test]
fn without_regions_csv_nothing_changes() {
    let copy = copy_with("regions-none-case", None);
    let out = out_dir("regions-none");
    let run = reconcile(&copy, &out, &["--report", "--quiet"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (_, ledger) = csv_rows(&read(&out.join("ledger.csv")));
    let regions: Vec<&str> = ledger.iter().map(|row| row[2].as_str()).collect();
    assert_eq!(regions, ["东风村", "510104001002", "新华村", "西山村"]);
    let ledger_sheet = sheet(&out.join("report.xlsx"), "台账");
    assert!(ledger_sheet
        .iter()
        .any(|row| row.iter().any(|cell| cell == "区划代码(村/社区)")));
}

#[test]
fn a_bad_regions_csv_stops_the_run_naming_every_row() {
    let copy = copy_with(
        "regions-bad-case",
        Some("区划代码,名称\n510104001001,东风村\n51010400100X,前进村\n510104001001,东方村\n"),
    );
    let out = out_dir("regions-bad");
    let run = reconcile(&copy, &out, &["--quiet"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("regions.csv:3:1: 2 problem(s) in the region names")
            && run.stderr.contains("line 3, column 1: code \"51010400100X\"")
            && run
                .stderr
                .contains("line 4, column 1: code 510104001001 is named \"东方村\" here and \"东风村\" on line 2"),
        "{}",
        run.stderr
    );
    assert!(!out.join("findings.csv").exists(), "nothing is written");
}

/// regions.csv is read whole before the case: a link to a device (which
/// would never end) is refused, as a case file would be.
#[cfg(unix)]
#[test]
fn a_regions_csv_that_is_a_device_is_refused() {
    let copy = copy_with("regions-device-case", None);
    std::os::unix::fs::symlink("/dev/zero", copy.join("regions.csv")).expect("a link");
    let out = out_dir("regions-device");
    let run = reconcile(&copy, &out, &["--quiet"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("regions.csv: this is a device, a pipe or a folder, not a regular file"),
        "{}",
        run.stderr
    );
}

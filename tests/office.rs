//! Office files: workbooks, Chinese headers and values, columns.toml, the
//! office forms of months, dates and ID numbers — and `duizhang check`.
//!
//! The office demo (fixtures/demo-office/, made from fixtures/demo/ by
//! `cargo run --example make_demo_office`) must give the CSV demo's
//! findings one by one, its evidence mapped to the workbooks' rows.

mod common;

#[path = "../examples/make_demo_office.rs"]
mod make_demo_office;

use std::path::Path;

use common::{cases, compare_contract, out_dir, read, reconcile, repository};

/// `roster.csv:N` is `roster.xlsx:N+3` (three title rows above the
/// header), `payouts.csv:N` is `payouts.xlsx:N+1` and a monthly
/// `payouts/2024-07.csv:N` is `payouts/2024-07.xlsx:N+1` (the bank's title
/// row); the other files keep their lines.
fn to_office_evidence(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(".csv:") {
        let before = &rest[..at];
        // The file's name runs back to the separator before it.
        let start = before
            .rfind([',', ';', '"', ' ', '('])
            .map_or(0, |separator| separator + 1);
        let name = &before[start..];
        let offset = match name {
            "roster" => Some(make_demo_office::ROSTER_TITLE_ROWS),
            "payouts" => Some(make_demo_office::PAYOUT_TITLE_ROWS),
            _ if name.starts_with("payouts/") => Some(make_demo_office::PAYOUT_TITLE_ROWS),
            _ => None,
        };
        let after = &rest[at + ".csv:".len()..];
        let Some(offset) = offset else {
            out.push_str(&rest[..at + ".csv:".len()]);
            rest = after;
            continue;
        };
        out.push_str(before);
        out.push_str(".xlsx:");
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let line: u32 = after[..digits].parse().expect("a line number");
        out.push_str(&(line + offset).to_string());
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines.sort();
    lines
}

#[test]
fn the_office_demo_gives_the_csv_demos_findings_with_evidence_in_the_workbooks() {
    let demo = repository().join("fixtures/demo");
    let office = repository().join("fixtures/demo-office");
    let (csv_out, office_out) = (out_dir("office-demo-csv"), out_dir("office-demo-xlsx"));
    let run = reconcile(&demo, &csv_out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = reconcile(&office, &office_out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.lines().next(),
        Some("对账期间2024年1月至2024年12月：台账4458行，发现问题256条（高116条，中137条，低3条）")
    );
    let expected = sorted_lines(&to_office_evidence(&read(&csv_out.join("findings.csv"))));
    let found = sorted_lines(&read(&office_out.join("findings.csv")));
    assert_eq!(expected.len(), found.len());
    for (expected, found) in expected.iter().zip(&found) {
        assert_eq!(expected, found);
    }
    for same in ["ledger.csv", "summary.csv"] {
        assert_eq!(
            read(&csv_out.join(same)),
            read(&office_out.join(same)),
            "{same}"
        );
    }
    let report: serde_json::Value =
        serde_json::from_str(&read(&office_out.join("run.json"))).expect("run.json");
    let files = &report["files"];
    assert_eq!(files["roster.xlsx"]["sheet"], "花名册");
    assert_eq!(files["roster.xlsx"]["header_row"], 4);
    assert_eq!(files["roster.xlsx"]["encoding"], "xlsx");
    assert!(
        files["roster.xlsx"]["id_numbers_upgraded"]
            .as_u64()
            .unwrap_or(0)
            > 0
    );
    // The bank's monthly workbooks (the demo's payouts/2024-MM.csv).
    for month in 1..=12 {
        let book = &files[format!("payouts/2024-{month:02}.xlsx")];
        assert_eq!(book["sheet"], "代发结果");
        assert_eq!(book["header_row"], 2);
    }
    assert!(files.get("payouts.xlsx").is_none());
    assert_eq!(
        files["members.csv"]["rows"],
        read(&demo.join("members.csv")).lines().count() - 1
    );
    assert_eq!(files["allocations.csv"]["encoding"], "gb18030");
    assert!(files.get("roster.csv").is_none());
}

#[test]
fn the_committed_office_demo_is_what_the_example_makes() {
    let made = out_dir("office-demo-made");
    make_demo_office::make(&repository().join("fixtures/demo"), &made);
    let committed = repository().join("fixtures/demo-office");
    // The files, and those of the payouts/ sub-folder (monthly workbooks).
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&committed).expect("lists") {
        let name = std::path::PathBuf::from(entry.expect("an entry").file_name());
        match committed.join(&name).is_dir() {
            true => {
                for inner in std::fs::read_dir(committed.join(&name)).expect("lists") {
                    names.push(name.join(inner.expect("an entry").file_name()));
                }
            }
            false => names.push(name),
        }
    }
    assert!(names.len() > 12);
    for name in names {
        assert_eq!(
            std::fs::read(committed.join(&name)).expect("reads"),
            std::fs::read(made.join(&name)).expect("made"),
            "{name:?} differs from what `cargo run --example make_demo_office` makes"
        );
    }
}

#[test]
fn a_partitioned_run_of_the_office_demo_gives_the_same_bytes() {
    let office = repository().join("fixtures/demo-office");
    let (whole, parts) = (out_dir("office-whole"), out_dir("office-parts"));
    assert_eq!(reconcile(&office, &whole, &[]).code, 0);
    let run = reconcile(&office, &parts, &["--memory-limit", "1M"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("按人分"), "{}", run.stdout);
    for file in ["findings.csv", "ledger.csv", "summary.csv", "run.json"] {
        assert_eq!(read(&whole.join(file)), read(&parts.join(file)), "{file}");
    }
}

/// fixtures/office/: hand-checked cases of office forms and of the bad
/// cells a spreadsheet makes, with expected findings and ledgers.
#[test]
fn office_cases_reproduce_their_hand_checked_findings() {
    let mut failures = Vec::new();
    for case in cases("office") {
        let name = case
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let out = out_dir(&format!("office-{name}"));
        let run = reconcile(&case, &out, &[]);
        if run.code != 0 {
            failures.push(format!("{name}: exit {}: {}", run.code, run.stderr));
            continue;
        }
        for (output, expected) in [
            ("findings.csv", "expected-findings.csv"),
            ("ledger.csv", "expected-ledger.csv"),
        ] {
            if let Some(difference) =
                compare_contract(&read(&case.join(expected)), &read(&out.join(output)))
            {
                failures.push(format!("{name} {output}:\n{difference}"));
            }
        }
        // The same bytes in partitions of persons (sheets, merges and all).
        let parts = out_dir(&format!("office-{name}-parts"));
        let run = reconcile(&case, &parts, &["--memory-limit", "1K"]);
        if run.code != 0 {
            failures.push(format!(
                "{name} in partitions: exit {}: {}",
                run.code, run.stderr
            ));
            continue;
        }
        for output in ["findings.csv", "ledger.csv", "summary.csv", "run.json"] {
            if read(&out.join(output)) != read(&parts.join(output)) {
                failures.push(format!("{name}: {output} differs in partitions"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn check(case: &Path, extra: &[&str]) -> (i32, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_duizhang"))
        .arg("check")
        .arg(case)
        .args(extra)
        .output()
        .expect("runs");
    (
        output.status.code().expect("exited"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn check_reports_each_file_and_the_missing_standards_and_writes_nothing() {
    let office = repository().join("fixtures/demo-office");
    let before: Vec<_> = std::fs::read_dir(&office).expect("lists").collect();
    let (code, stdout, stderr) = check(&office, &["--lang", "en"]);
    assert_eq!(code, 0, "{stderr}");
    for expected in [
        "roster.xlsx: xlsx, sheet \"花名册\", header in row 4; 300 rows, 1 bad, 1 repeated record ids",
        "id_number ← 身份证号码",
        "start_period ← 起始保障年月",
        "bad roster.xlsx:183: column per_capita_income: \"1200元\"",
        "payouts/2024-01.xlsx: xlsx, sheet \"代发结果\", header in row 2",
        "payouts/2024-05.xlsx: xlsx, sheet \"代发结果\", header in row 2; 274 rows, 0 bad, 1 repeated record ids",
        "members: 695 members in 222 households",
        "amount ← 本次划拨(分) (in fen)",
        "allocations.csv: gb18030",
        "window 2024-01..2024-12",
        "no standard: region 520102003004, tekun care_self, months 2024-01..2024-12 (1 enrolment, first roster.xlsx:71)",
        "a run would work: 2 bad rows, 12 months without a standard",
    ] {
        assert!(stdout.contains(expected), "{expected:?} not in:\n{stdout}");
    }
    // By default the same report in Chinese; the reader's own words about
    // a bad row are quoted as it wrote them.
    let (code, stdout, stderr) = check(&office, &[]);
    assert_eq!(code, 0, "{stderr}");
    for expected in [
        "roster.xlsx：xlsx，工作表“花名册”，表头在第4行；300行，无法读取1行，记录编号重复1行",
        "id_number ← 身份证号码",
        "无法读取 roster.xlsx:183：column per_capita_income: \"1200元\"",
        "payouts/2024-01.xlsx：xlsx，工作表“代发结果”，表头在第2行",
        "家庭成员：222户共695人",
        "对账期间 2024-01..2024-12",
        "缺少标准：区划520102003004，特困供养 care_self，2024-01..2024-12（1条在册记录，首条 roster.xlsx:71）",
        "可以运行：2行无法读取，12个月缺少标准",
    ] {
        assert!(stdout.contains(expected), "{expected:?} not in:\n{stdout}");
    }
    let after: Vec<_> = std::fs::read_dir(&office).expect("lists").collect();
    assert_eq!(
        before.len(),
        after.len(),
        "check wrote into the case folder"
    );
    // A case a run cannot read: exit 2 with the reason.
    let (code, _, stderr) = check(&repository().join("fixtures/errors/missing_column"), &[]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with("duizhang: error: "), "{stderr}");
}

#[test]
fn the_office_evidence_mapping_moves_only_roster_and_payout_lines() {
    assert_eq!(
        to_office_evidence(
            "a,roster.csv:2;payouts.csv:17;transfers.csv:9,\"repeats roster.csv:10\""
        ),
        "a,roster.xlsx:5;payouts.xlsx:18;transfers.csv:9,\"repeats roster.xlsx:13\""
    );
    assert_eq!(
        to_office_evidence(
            "b,payouts/2024-04.csv:232;payouts/2024-05.csv:9,\"repeats payouts/2024-04.csv:232; members.csv:4\""
        ),
        "b,payouts/2024-04.xlsx:233;payouts/2024-05.xlsx:10,\"repeats payouts/2024-04.xlsx:233; members.csv:4\""
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// The office forms never panic, and what they read prints back to the
    /// contract's form of the same value (as fuzz/fuzz_targets/values.rs).
    #[test]
    fn office_value_forms_never_panic_and_read_back(text in "\\PC{0,24}|[0-9年月日至.\\-/ ~:T+eE]{0,24}") {
        use duizhang::domain::{id_number, Date, Money, Period, PeriodRange, Unit};
        if let Some(period) = Period::parse_any(&text) {
            proptest::prop_assert_eq!(Period::parse(&period.to_string()), Some(period));
        }
        if let Ok(range) = PeriodRange::parse_any(&text) {
            proptest::prop_assert!(range.first <= range.last);
            proptest::prop_assert_eq!(PeriodRange::parse(&range.to_string()), Ok(range));
        }
        if let Some(date) = Date::parse_any(&text) {
            proptest::prop_assert_eq!(Date::parse(&date.to_string()), Some(date));
        }
        if let Ok(money) = Money::parse_in(&text, Unit::Fen) {
            proptest::prop_assert_eq!(Money::parse(&money.to_string()), Ok(money));
        }
        if let Some(upgraded) = id_number::upgrade_15(&text) {
            proptest::prop_assert!(id_number::is_valid(&upgraded));
        }
        let _ = id_number::is_scientific(&text);
        let _ = duizhang::read::columns::parse(&text);
    }
}

/// A damaged workbook is an error naming the file, never a panic: every
/// byte of a small workbook is changed in turn, and random runs of bytes.
#[test]
fn damaged_workbooks_are_refused_never_a_panic() {
    use duizhang::domain::Format;
    use duizhang::read::sheet;
    let good = std::fs::read(repository().join("fixtures/office/bad_cells/payouts.xlsx"))
        .expect("the fixture");
    assert!(sheet::read(&good, Format::Xlsx).is_ok());
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..600 {
        let mut bytes = good.clone();
        let changes = 1 + (next() % 8) as usize;
        for _ in 0..changes {
            let at = (next() as usize) % bytes.len();
            bytes[at] = next() as u8;
        }
        if round % 3 == 0 {
            bytes.truncate((next() as usize) % bytes.len());
        }
        // Either read or refused: what matters is that it returns.
        let _ = sheet::read(&bytes, Format::Xlsx);
        let _ = sheet::read(&bytes, Format::Xls);
    }
}

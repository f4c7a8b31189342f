//! `duizhang whatif` as the budget office runs it (SPEC v3 §6.2): a bad or
//! contradictory proposal stops it with a located message and writes
//! nothing; its outputs are placed whole, beside reconcile's without
//! touching them; whatif.xlsx agrees with whatif.csv.

mod common;

use std::path::{Path, PathBuf};

use common::{out_dir, read, reconcile, repository, whatif};

fn case23() -> PathBuf {
    repository().join("fixtures/spec-examples/case23")
}

fn window() -> Vec<String> {
    ["--from", "2024-01", "--to", "2024-04"]
        .map(String::from)
        .to_vec()
}

/// A proposal file `name` holding `text`, in a folder of its own.
fn proposal(name: &str, text: &str) -> PathBuf {
    let folder = out_dir(&format!("whatif-proposal-{name}"));
    std::fs::create_dir_all(&folder).expect("a folder");
    let path = folder.join("proposed.csv");
    std::fs::write(&path, text).expect("written");
    path
}

fn run_with(proposed: &Path, out: &Path, extra: &[&str]) -> common::Run {
    let mut arguments = vec!["--standards".to_string(), proposed.display().to_string()];
    arguments.extend(window());
    arguments.extend(extra.iter().map(|argument| argument.to_string()));
    whatif(&case23(), out, &arguments)
}

#[test]
fn every_unreadable_proposed_row_is_named_with_its_line_and_column_and_nothing_is_written() {
    let proposed = proposal(
        "bad",
        "region,program,item,effective_from,amount\n\
         *,dibao,standard,2024-03,abc\n\
         *,dibao,standard,2024-04,700.00\n\
         *,dibao,nonsense,2024-05,700.00\n",
    );
    let out = out_dir("whatif-bad");
    let run = run_with(&proposed, &out, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("proposed.csv:2"), "{}", run.stderr);
    assert!(run.stderr.contains("column amount"), "{}", run.stderr);
    assert!(run.stderr.contains("\"abc\""), "{}", run.stderr);
    assert!(run.stderr.contains("proposed.csv:4"), "{}", run.stderr);
    assert!(run.stderr.contains("column item"), "{}", run.stderr);
    assert!(!run.stderr.contains("proposed.csv:3"), "{}", run.stderr);
    assert!(!out.join("whatif.csv").exists());
}

#[test]
fn two_proposed_rows_that_contradict_each_other_stop_it() {
    let proposed = proposal(
        "ambiguous",
        "region,program,item,effective_from,amount\n\
         *,dibao,standard,2024-03,650.00\n\
         *,dibao,standard,2024-03,660.00\n",
    );
    let out = out_dir("whatif-ambiguous");
    let run = run_with(&proposed, &out, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("proposed.csv:3"), "{}", run.stderr);
    assert!(run.stderr.contains("ambiguous"), "{}", run.stderr);
    assert!(!out.join("whatif.csv").exists());
}

#[test]
fn a_proposal_equal_to_the_case_changes_nothing() {
    let proposed = case23().join("standards.csv");
    let out = out_dir("whatif-same");
    let run = run_with(&proposed, &out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = read(&out.join("whatif.csv"));
    let (header, rows) = common::csv_rows(&text);
    let change = header
        .iter()
        .position(|title| title == "change")
        .expect("change");
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|row| row[change] == "0.00"), "{text}");
}

#[test]
fn whatif_leaves_reconciles_outputs_alone_and_takes_its_own_workbook_away_when_not_asked() {
    let out = out_dir("whatif-beside-reconcile");
    assert_eq!(reconcile(&case23(), &out, &[]).code, 0);
    let findings = read(&out.join("findings.csv"));
    let proposed = case23().join("proposed-standards.csv");
    let run = run_with(&proposed, &out, &["--report"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(out.join("whatif.xlsx").is_file());
    assert_eq!(read(&out.join("findings.csv")), findings);
    assert_eq!(
        read(&out.join("whatif.csv")),
        read(&case23().join("expected-whatif.csv"))
    );
    // reconcile into the same folder keeps whatif's files, as whatif kept its.
    assert_eq!(reconcile(&case23(), &out, &[]).code, 0);
    assert!(out.join("whatif.csv").is_file() && out.join("whatif.xlsx").is_file());
    // A later whatif without --report takes its earlier workbook away.
    let run = run_with(&proposed, &out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!out.join("whatif.xlsx").exists());
    assert!(out.join("findings.csv").is_file());
    let names: Vec<String> = std::fs::read_dir(&out)
        .expect("listed")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(names.is_empty(), "nothing left behind: {names:?}");
}

#[test]
fn whatif_never_writes_inside_the_case() {
    let proposed = case23().join("proposed-standards.csv");
    let inside = case23().join("whatif-out");
    let run = run_with(&proposed, &inside, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!inside.exists());
}

#[test]
fn the_same_inputs_give_the_same_workbook_byte_for_byte() {
    let proposed = case23().join("proposed-standards.csv");
    let first = out_dir("whatif-bytes-1");
    let second = out_dir("whatif-bytes-2");
    assert_eq!(run_with(&proposed, &first, &["--report"]).code, 0);
    assert_eq!(run_with(&proposed, &second, &["--report"]).code, 0);
    assert!(
        std::fs::read(first.join("whatif.xlsx")).expect("read")
            == std::fs::read(second.join("whatif.xlsx")).expect("read")
    );
}

#[test]
fn the_workbook_holds_whatif_csv_row_for_row_and_the_towns_total_its_change() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let proposed = case23().join("proposed-standards.csv");
    let out = out_dir("whatif-workbook");
    assert_eq!(run_with(&proposed, &out, &["--report"]).code, 0);
    let (_, rows) = common::csv_rows(&read(&out.join("whatif.csv")));
    let mut workbook: Xlsx<_> = open_workbook(out.join("whatif.xlsx")).expect("opens");
    assert_eq!(
        workbook.sheet_names(),
        ["按乡镇测算", "测算明细", "增幅最大的对象"]
    );
    let detail = workbook
        .worksheet_range("测算明细")
        .expect("the detail sheet");
    let cell_text = |cell: &Data| match cell {
        Data::Float(number) => format!("{number:.2}"),
        Data::Int(number) => number.to_string(),
        other => other.to_string(),
    };
    let detail_rows: Vec<Vec<String>> = detail
        .rows()
        .skip(1)
        .map(|row| row.iter().map(cell_text).collect())
        .collect();
    assert_eq!(detail_rows.len(), rows.len());
    for (sheet_row, csv_row) in detail_rows.iter().zip(&rows) {
        assert_eq!(sheet_row[0], csv_row[0]);
        assert_eq!(sheet_row[2], csv_row[2]);
        // expected, proposed, change: the same money.
        assert_eq!(&sheet_row[4..7], &csv_row[4..7]);
    }
    let change_fen: i64 = rows
        .iter()
        .map(|row| {
            let (yuan, fen) = row[6].split_once('.').expect("two decimals");
            yuan.parse::<i64>().expect("yuan") * 100 + fen.parse::<i64>().expect("fen")
        })
        .sum();
    let towns = workbook
        .worksheet_range("按乡镇测算")
        .expect("the town sheet");
    let total_row = towns
        .rows()
        .find(|row| row.first().is_some_and(|cell| *cell == "合计"))
        .expect("a total row");
    let grand_total = total_row
        .iter()
        .rev()
        .find(|cell| !matches!(cell, Data::Empty))
        .expect("the grand total");
    assert_eq!(
        cell_text(grand_total),
        format!("{}.{:02}", change_fen / 100, change_fen % 100)
    );
    let gains = workbook
        .worksheet_range("增幅最大的对象")
        .expect("the gains sheet");
    let first = gains.rows().nth(1).expect("a person");
    assert_eq!(first[1].to_string(), "110101197303150014");
    assert_eq!(cell_text(&first[6]), "210.00");
}

#[test]
fn unreadable_case_rows_are_said_and_the_case_costed_against_itself_changes_nothing() {
    let demo = repository().join("fixtures/demo");
    let out = out_dir("whatif-demo");
    let run = whatif(
        &demo,
        &out,
        &[
            "--standards".to_string(),
            demo.join("standards.csv").display().to_string(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The demo's roster has a row that cannot be read (roster.csv:180).
    assert!(
        run.stderr
            .contains("1 row(s) of the roster, standards or exclusions cannot be read"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("应发合计变化0.00元"), "{}", run.stdout);
}

//! What a run writes for a spreadsheet to open, and on the console, when
//! things go wrong: text from the case that starts like a formula is
//! written as text; a closed or full stdout/stderr is never a panic.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{csv_rows, out_dir, read, repository};

fn duizhang() -> Command {
    Command::new(env!("CARGO_BIN_EXE_duizhang"))
}

fn reconcile(case: &Path, out: &Path, extra: &[&str], faults: &str) -> Output {
    assert!(faults.is_empty());
    duizhang()
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

/// A pipe whose reader is gone: `duizhang … | head -0`.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Stdio::from(writer)
}

fn full_device() -> Stdio {
    Stdio::from(
        std::fs::File::options()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full"),
    )
}

fn status_with(arguments: &[&str], stdout: Stdio, stderr: Stdio) -> std::process::ExitStatus {
    duizhang()
        .args(arguments)
        .stdout(stdout)
        .stderr(stderr)
        .status()
        .expect("the duizhang binary runs")
}

/// The summary is a courtesy: a closed or full stdout changes neither the
/// files written nor the exit status (0, or 1 with --fail-on), and never
/// panics (exit 101).
#[test]
fn a_closed_or_full_stdout_keeps_the_exit_status() {
    let case = repository().join("fixtures/codes/SHORTFALL");
    let case = case.to_str().expect("UTF-8 path");
    let out = out_dir("outputs-closed-stdout");
    let out_text = out.to_str().expect("UTF-8 path");
    for (name, stdout) in [
        ("closed pipe", closed_pipe as fn() -> Stdio),
        ("/dev/full", full_device),
    ] {
        let run = status_with(
            &["reconcile", case, "--out", out_text],
            stdout(),
            Stdio::null(),
        );
        assert_eq!(run.code(), Some(0), "stdout on a {name}");
        let run = status_with(
            &["reconcile", case, "--out", out_text, "--fail-on", "high"],
            stdout(),
            Stdio::null(),
        );
        assert_eq!(run.code(), Some(1), "stdout on a {name}, --fail-on high");
        let generated = out_dir("outputs-closed-generate");
        let run = status_with(
            &[
                "generate",
                generated.to_str().expect("UTF-8"),
                "--households",
                "3",
            ],
            stdout(),
            Stdio::null(),
        );
        assert_eq!(run.code(), Some(0), "generate, stdout on a {name}");
    }
    assert!(read(&out.join("findings.csv")).starts_with("code,severity,"));
}

/// An error, or --timings, on a stderr that cannot take it: still exit
/// 2 (or the run's status), never a panic.
#[test]
fn a_full_or_closed_stderr_keeps_the_exit_status() {
    let out = out_dir("outputs-full-stderr");
    let out_text = out.to_str().expect("UTF-8 path");
    let missing = repository().join("fixtures/no-such-case");
    let missing = missing.to_str().expect("UTF-8 path");
    let case = repository().join("fixtures/codes/SHORTFALL");
    let case = case.to_str().expect("UTF-8 path");
    for (name, stderr) in [
        ("closed pipe", closed_pipe as fn() -> Stdio),
        ("/dev/full", full_device),
    ] {
        let run = status_with(
            &["reconcile", missing, "--out", out_text],
            Stdio::null(),
            stderr(),
        );
        assert_eq!(run.code(), Some(2), "an error on a {name}");
        let run = status_with(
            &["reconcile", case, "--out", out_text, "--timings"],
            full_device(),
            stderr(),
        );
        assert_eq!(run.code(), Some(0), "--timings on a {name}");
    }
}

//! Data-driven: every case folder under fixtures/ is run through the real
//! binary. spec-examples and codes carry hand-checked expected findings and
//! ledgers; every fixture's full outputs are also snapshotted with insta.

mod common;

use std::path::Path;

use common::{cases, compare_contract, out_dir, read, reconcile};

/// Runs one case and checks it against expected-findings.csv and
/// expected-ledger.csv; returns the outputs for the snapshot.
fn check_expected(group: &str, case: &Path) -> Result<String, String> {
    let name = case
        .file_name()
        .expect("a folder name")
        .to_string_lossy()
        .into_owned();
    let out = out_dir(&format!("{group}-{name}"));
    let run = reconcile(case, &out, &[]);
    if run.code != 0 {
        return Err(format!("{group}/{name}: exit {}: {}", run.code, run.stderr));
    }
    let mut problems = Vec::new();
    for (output, expected) in [
        ("findings.csv", "expected-findings.csv"),
        ("ledger.csv", "expected-ledger.csv"),
    ] {
        if let Some(difference) =
            compare_contract(&read(&case.join(expected)), &read(&out.join(output)))
        {
            problems.push(format!("{group}/{name} {output}:\n{difference}"));
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    Ok(snapshot_text(&out, true))
}

fn snapshot_text(out: &Path, with_ledger: bool) -> String {
    let mut text = String::new();
    for file in ["findings.csv", "ledger.csv", "summary.csv", "run.json"] {
        if file == "ledger.csv" && !with_ledger {
            continue;
        }
        text.push_str(&format!("=== {file}\n{}", read(&out.join(file))));
    }
    text
}

fn run_group(group: &str) {
    let mut failures = Vec::new();
    for case in cases(group) {
        match check_expected(group, &case) {
            Ok(text) => {
                let name = format!(
                    "{group}__{}",
                    case.file_name().expect("a name").to_string_lossy()
                );
                insta::assert_snapshot!(name, text);
            }
            Err(problem) => failures.push(problem),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn spec_examples_reproduce_exactly() {
    run_group("spec-examples");
}

#[test]
fn one_case_per_finding_code_reproduces_its_hand_checked_findings() {
    let codes: Vec<String> = cases("codes")
        .iter()
        .map(|case| {
            case.file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    for code in duizhang::domain::Code::ALL {
        assert!(
            codes.iter().any(|name| name == code.name()),
            "fixtures/codes/{} is missing",
            code.name()
        );
    }
    run_group("codes");
}

/// SPEC v2's local rules, one hand-checked case each (fixtures/rules/),
/// with the bad inputs they bring.
#[test]
fn one_case_per_local_rule_reproduces_its_hand_checked_findings() {
    let rules: Vec<String> = cases("rules")
        .iter()
        .map(|case| {
            case.file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    for rule in [
        "tier",
        "topup",
        "topup_sum",
        "derived_tekun",
        "price_subsidy_share",
        "item_rounding",
        "phase_out",
        "deceased_grace",
        "bad_standards",
    ] {
        assert!(
            rules.iter().any(|name| name == rule),
            "fixtures/rules/{rule} is missing"
        );
    }
    run_group("rules");
}

#[test]
fn demo_case_has_every_finding_code() {
    let case = common::repository().join("fixtures/demo");
    let out = out_dir("demo");
    let run = reconcile(&case, &out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let findings = read(&out.join("findings.csv"));
    for code in duizhang::domain::Code::ALL {
        assert!(
            findings
                .lines()
                .any(|line| line.starts_with(&format!("{},", code.name()))),
            "the demo has no {} finding",
            code.name()
        );
    }
    insta::assert_snapshot!("demo", snapshot_text(&out, false));
}

/// Every fatal error names its place exactly: expected-error.txt holds
/// the whole error line as printed after `duizhang: error: ` (`$CASE`
/// standing for the case folder's path), location and message both.
#[test]
fn error_cases_exit_2_naming_file_line_and_column() {
    let mut failures = Vec::new();
    for case in cases("errors") {
        let out = out_dir("error-case");
        let run = reconcile(&case, &out, &[]);
        let expected = read(&case.join("expected-error.txt"))
            .trim_end()
            .replace("$CASE", &case.display().to_string());
        let name = case
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let errors: Vec<&str> = run
            .stderr
            .lines()
            .filter_map(|line| line.strip_prefix("duizhang: error: "))
            .collect();
        if run.code != 2 || errors != [expected.as_str()] {
            failures.push(format!(
                "{name}: exit {}, errors {errors:?}; expected exit 2 and {expected:?}",
                run.code
            ));
        }
        if run.stderr.contains("panicked") || run.stderr.contains("RUST_BACKTRACE") {
            failures.push(format!("{name}: panicked: {}", run.stderr));
        }
        if out.join("findings.csv").exists() {
            failures.push(format!(
                "{name}: wrote outputs although the run could not be done"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

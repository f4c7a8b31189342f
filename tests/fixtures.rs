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
    // SPEC v3: where given, the whole file but the columns SPEC leaves free.
    for (output, expected) in [
        ("corrections.csv", "expected-corrections.csv"),
        ("register.csv", "expected-register.csv"),
    ] {
        if !case.join(expected).exists() {
            continue;
        }
        if let Some(difference) = common::compare_except(
            &read(&case.join(expected)),
            &read(&out.join(output)),
            &["name", "region"],
        ) {
            problems.push(format!("{group}/{name} {output}:\n{difference}"));
        }
    }
    // SPEC v3 §6.2: a case with whatif-args.txt is also costed by
    // `whatif`, and whatif.csv compared whole.
    if case.join("whatif-args.txt").exists() {
        let whatif_out = out_dir(&format!("{group}-{name}-whatif"));
        let run = common::whatif(
            case,
            &whatif_out,
            &common::arguments_in(case, "whatif-args.txt"),
        );
        if run.code != 0 {
            problems.push(format!(
                "{group}/{name} whatif: exit {}: {}",
                run.code, run.stderr
            ));
        } else if let Some(difference) = common::compare_except(
            &read(&case.join("expected-whatif.csv")),
            &read(&whatif_out.join("whatif.csv")),
            &[],
        ) {
            problems.push(format!("{group}/{name} whatif.csv:\n{difference}"));
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    Ok(snapshot_text(&out, true))
}

/// The outputs as one text. run.json's `version` is left out: a release
/// must not rewrite every snapshot.
fn snapshot_text(out: &Path, with_ledger: bool) -> String {
    let mut text = String::new();
    for file in ["findings.csv", "ledger.csv", "summary.csv", "run.json"] {
        if file == "ledger.csv" && !with_ledger {
            continue;
        }
        let content = read(&out.join(file));
        let content = content.replace(
            &format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION")),
            "\"version\": \"[version]\"",
        );
        text.push_str(&format!("=== {file}\n{content}"));
    }
    text
}

/// One case of a group with expected outputs: the hand-checked contract
/// columns, then every output in full against its snapshot.
fn check_expected_case(group: &str, name: &str) {
    let case = common::repository().join("fixtures").join(group).join(name);
    match check_expected(group, &case) {
        Ok(text) => insta::assert_snapshot!(format!("{group}__{name}"), text),
        Err(problem) => panic!("{problem}"),
    }
}

// One test per fixture folder, made by build.rs: `spec_examples::case13`,
// `codes::shortfall`, `rules::tier`, `errors::missing_file`, …
include!(concat!(env!("OUT_DIR"), "/fixture_tests.rs"));

/// The folder names of a fixture group, sorted.
fn case_names(group: &str) -> Vec<String> {
    cases(group)
        .iter()
        .map(|case| {
            case.file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// Every worked example of the contract is here (each runs as its own
/// test, `spec_examples::caseNN`).
#[test]
fn every_spec_example_is_a_fixture() {
    let names: Vec<String> = case_names("spec-examples");
    let expected: Vec<String> = (1..=25).map(|number| format!("case{number:02}")).collect();
    assert_eq!(names, expected);
}

#[test]
fn every_finding_code_has_a_hand_checked_fixture() {
    let codes: Vec<String> = case_names("codes");
    for code in duizhang::domain::Code::ALL {
        assert!(
            codes.iter().any(|name| name == code.name()),
            "fixtures/codes/{} is missing",
            code.name()
        );
    }
}

/// SPEC v2's local rules, one hand-checked case each (fixtures/rules/),
/// with the bad inputs they bring; each runs as `rules::<name>`. The
/// group holds other hand-checked rule cases too (`watchlist_only`:
/// POSSIBLY_MISSED with a watchlist and no members.csv).
#[test]
fn every_local_rule_has_a_hand_checked_fixture() {
    let rules: Vec<String> = case_names("rules");
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
/// standing for the case folder's path), location and message both; the
/// run exits 2 and writes no output.
fn check_error_case(group: &str, name: &str) {
    let case = common::repository().join("fixtures").join(group).join(name);
    let out = out_dir(&format!("{group}-{name}"));
    let run = reconcile(&case, &out, &[]);
    let expected = read(&case.join("expected-error.txt"))
        .trim_end()
        .replace("$CASE", &case.display().to_string());
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter_map(|line| line.strip_prefix("duizhang: error: "))
        .collect();
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
        "{name}: panicked: {}",
        run.stderr
    );
    assert_eq!(run.code, 2, "{name}: {}", run.stderr);
    assert_eq!(errors, [expected.as_str()], "{name}");
    assert!(
        !out.join("findings.csv").exists(),
        "{name}: wrote outputs although the run could not be done"
    );
}

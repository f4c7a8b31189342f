//! A rectification register over three runs (SPEC v3 §6.1), as an office
//! keeps it: June's run opens four items; the office writes its measures
//! into the register (re-saved with a BOM and CRLF, as a spreadsheet
//! does) and September's run, given it, closes what the back-pay repaired
//! and the re-assessed income, keeps the unpaid June month overdue and
//! opens August's; December's run, over September to December only,
//! carries the earlier line items (their months are outside its window)
//! instead of closing them, and reopens the income item found again — a
//! possible false rectification (虚假整改). Each expected register was
//! checked by hand against §6.1's table.

mod common;

use std::path::{Path, PathBuf};

use common::{compare_except, csv_rows, out_dir, read, reconcile, repository};

fn step(name: &str) -> PathBuf {
    repository().join("fixtures/register-cycle").join(name)
}

/// Runs one step and checks its register.csv whole.
fn run_step(name: &str, register: Option<&Path>) -> PathBuf {
    let case = step(name);
    let out = out_dir(&format!("register-cycle-{name}"));
    let register_text = register.map(|path| path.display().to_string());
    let extra: Vec<&str> = match &register_text {
        Some(path) => vec!["--register", path.as_str()],
        None => vec![],
    };
    let run = reconcile(&case, &out, &extra);
    assert_eq!(run.code, 0, "{name}: {}", run.stderr);
    if let Some(difference) = compare_except(
        &read(&case.join("expected-register.csv")),
        &read(&out.join("register.csv")),
        &[],
    ) {
        panic!("{name} register.csv:\n{difference}");
    }
    out
}

/// Items of a register by status.
fn statuses(register: &Path) -> Vec<(String, String)> {
    let (header, rows) = csv_rows(&read(register));
    let item = header
        .iter()
        .position(|title| title == "item")
        .expect("item");
    let status = header
        .iter()
        .position(|title| title == "status")
        .expect("status");
    rows.iter()
        .map(|row| (row[item].clone(), row[status].clone()))
        .collect()
}

#[test]
fn three_monthly_runs_close_carry_and_reopen_items() {
    let june = run_step("1-2024-06", None);
    // The office's copy is June's register with its own four columns.
    let office = repository().join("fixtures/register-cycle/office-register-2024-06.csv");
    let office_text = read(&office);
    let office_text = office_text
        .trim_start_matches('\u{feff}')
        .replace("\r\n", "\n");
    assert!(
        compare_except(
            &office_text,
            &read(&june.join("register.csv")),
            &["整改措施", "责任人", "追回金额", "备注"]
        )
        .is_none(),
        "the office's register is June's, with its own columns added"
    );
    let september = run_step("2-2024-09", Some(&office));
    assert_eq!(
        statuses(&september.join("register.csv")),
        [
            ("202406-0001", "closed"),
            ("202406-0002", "closed"),
            ("202406-0003", "overdue"),
            ("202406-0004", "closed"),
            ("202409-0001", "open"),
        ]
        .map(|(item, status)| (item.to_string(), status.to_string()))
    );
    let december = run_step("3-2024-12", Some(&september.join("register.csv")));
    assert_eq!(
        statuses(&december.join("register.csv")),
        [
            ("202406-0001", "closed"),
            ("202406-0002", "closed"),
            ("202406-0003", "overdue"),
            ("202406-0004", "overdue"),
            ("202409-0001", "overdue"),
            ("202412-0001", "open"),
        ]
        .map(|(item, status)| (item.to_string(), status.to_string()))
    );
    // run.json counts the transitions of the last run.
    let run: serde_json::Value =
        serde_json::from_str(&read(&december.join("run.json"))).expect("run.json");
    let register = &run["register"];
    assert_eq!(register["items"], 6, "{register}");
    assert_eq!(register["reopened"], 1, "{register}");
    assert_eq!(register["new"], 1, "{register}");
    assert_eq!(register["closed_now"], 0, "{register}");
    assert_eq!(
        (&register["open"], &register["overdue"], &register["closed"]),
        (&1.into(), &3.into(), &2.into()),
        "{register}"
    );
}

//! The rectification register (SPEC v3 §6.1) as a user meets it: written
//! by every run, carried on with `--register`, and an office's edits never
//! replaced unawares.

mod common;

use common::{out_dir, read, reconcile, repository};

fn shortfall() -> std::path::PathBuf {
    repository().join("fixtures/codes/SHORTFALL")
}

#[test]
fn a_register_edited_in_out_dir_is_never_replaced_unawares() {
    let out = out_dir("register-guard");
    let first = reconcile(&shortfall(), &out, &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let written = read(&out.join("register.csv"));
    assert!(written.starts_with("item,status,code,"), "{written}");
    // The same run again into the same folder: the register is as written.
    let again = reconcile(&shortfall(), &out, &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);

    // The office adds its measures in a column of its own.
    let edited = written.replacen("key\n", "key,整改措施\n", 1).replace(
        &format!("{}\n", written.lines().nth(1).expect("an item")),
        &format!("{},已补发\n", written.lines().nth(1).expect("an item")),
    );
    std::fs::write(out.join("register.csv"), &edited).expect("write");
    let refused = reconcile(&shortfall(), &out, &[]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("register.csv: this register.csv was changed")
            && refused.stderr.contains("--register")
            && refused.stderr.contains("--new-register"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        read(&out.join("register.csv")),
        edited,
        "nothing was replaced"
    );

    // Carried on: the office's column is kept cell for cell.
    let register = out.join("register.csv");
    let carried = reconcile(
        &shortfall(),
        &out,
        &["--register", register.to_str().expect("UTF-8")],
    );
    assert_eq!(carried.code, 0, "{}", carried.stderr);
    let now = read(&out.join("register.csv"));
    assert!(now
        .lines()
        .next()
        .expect("a header")
        .ends_with(",key,整改措施"));
    assert!(
        now.lines().nth(1).expect("an item").ends_with(",已补发"),
        "{now}"
    );

    // Or replaced, knowingly.
    std::fs::write(out.join("register.csv"), &edited).expect("write");
    let replaced = reconcile(&shortfall(), &out, &["--new-register"]);
    assert_eq!(replaced.code, 0, "{}", replaced.stderr);
    assert_eq!(read(&out.join("register.csv")), written);
}

#[test]
fn a_register_of_a_later_run_stops_the_run_and_writes_nothing() {
    let out = out_dir("register-later");
    let earlier = out_dir("register-later-input").join("register.csv");
    std::fs::create_dir_all(earlier.parent().expect("a folder")).expect("create");
    std::fs::write(
        &earlier,
        "item,status,key,first_found,due,last_found\n209901-0001,open,BAD_RECORD|x.csv:2,2099-01,2099-02,2099-01\n",
    )
    .expect("write");
    let run = reconcile(
        &shortfall(),
        &out,
        &["--register", earlier.to_str().expect("UTF-8")],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("209901-0001") && run.stderr.contains("later run"),
        "{}",
        run.stderr
    );
    assert!(!out.join("findings.csv").exists(), "nothing is written");
}

#[test]
fn a_register_that_cannot_be_read_stops_the_run_before_reading_the_case() {
    let out = out_dir("register-bad");
    let earlier = out_dir("register-bad-input").join("register.csv");
    std::fs::create_dir_all(earlier.parent().expect("a folder")).expect("create");
    std::fs::write(
        &earlier,
        "item,status,key,first_found,due\n202406-0001,done,K,2024-06,2024-07\n",
    )
    .expect("write");
    let run = reconcile(
        &shortfall(),
        &out,
        &["--register", earlier.to_str().expect("UTF-8")],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "register.csv:2:2: \"done\" is not a status; expected open, overdue or closed"
        ),
        "{}",
        run.stderr
    );
    let missing = reconcile(
        &shortfall(),
        &out,
        &["--register", "/nonexistent/register.csv"],
    );
    assert_eq!(missing.code, 2, "{}", missing.stderr);
}

#[test]
fn check_counts_a_registers_items_by_status_and_refuses_a_bad_one() {
    let out = out_dir("register-check");
    assert_eq!(reconcile(&shortfall(), &out, &[]).code, 0);
    let register = out.join("register.csv");
    let check = |register: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_duizhang"))
            .arg("check")
            .arg(shortfall())
            .arg("--register")
            .arg(register)
            .output()
            .expect("runs")
    };
    let output = check(&register);
    assert_eq!(output.status.code(), Some(0));
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains("截至2020-01共1项：未整改1项，逾期0项，已销号0项"),
        "{said}"
    );
    std::fs::write(&register, "item,status\n").expect("write");
    let output = check(&register);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("lacks the columns key, first_found, due")
    );
}

/// register.xlsx (written with --report) is read back by --register as
/// register.csv is: the same register comes of either.
#[test]
fn the_register_workbook_reads_back_as_the_register_csv() {
    let out = out_dir("register-xlsx");
    assert_eq!(reconcile(&shortfall(), &out, &["--report"]).code, 0);
    assert!(out.join("register.xlsx").exists());
    let from_csv = out_dir("register-xlsx-csv");
    let from_xlsx = out_dir("register-xlsx-xlsx");
    for (target, input) in [(&from_csv, "register.csv"), (&from_xlsx, "register.xlsx")] {
        let path = out.join(input);
        let run = reconcile(
            &shortfall(),
            target,
            &["--register", path.to_str().expect("UTF-8")],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    assert_eq!(
        read(&from_csv.join("register.csv")),
        read(&from_xlsx.join("register.csv"))
    );
    assert_eq!(
        read(&from_csv.join("register.csv")),
        read(&out.join("register.csv"))
    );
}

//! The binary as users run it: exit codes, determinism across thread counts
//! and row orders, encodings, and whole-file outputs.

mod common;

use std::path::Path;
use std::process::Command;

use common::{csv_rows, out_dir, read, reconcile, repository};

const OUTPUTS: [&str; 4] = ["findings.csv", "ledger.csv", "summary.csv", "run.json"];

fn demo() -> std::path::PathBuf {
    repository().join("fixtures/demo")
}

#[test]
fn thread_count_does_not_change_a_byte() {
    let one = out_dir("threads-1");
    let two = out_dir("threads-2");
    assert_eq!(reconcile(&demo(), &one, &["--threads", "1"]).code, 0);
    assert_eq!(reconcile(&demo(), &two, &["--threads", "2"]).code, 0);
    for file in OUTPUTS {
        assert!(
            read(&one.join(file)) == read(&two.join(file)),
            "{file} differs between 1 and 2 threads"
        );
    }
}

/// Copies a case with every CSV's data rows in reverse order (those of a
/// kind's sub-folder too, `payouts/2024-07.csv`; the files keep their
/// names, so their order).
fn reversed_copy(case: &Path, target: &Path) {
    std::fs::create_dir_all(target).expect("create the copy");
    for entry in std::fs::read_dir(case).expect("read the case") {
        let path = entry.expect("an entry").path();
        let name = path.file_name().expect("a name").to_owned();
        if path.is_dir() {
            reversed_copy(&path, &target.join(name));
            continue;
        }
        let text = read(&path);
        let reordered = if path.extension().is_some_and(|extension| extension == "csv") {
            let mut lines: Vec<&str> = text.lines().collect();
            let header = lines.remove(0);
            lines.reverse();
            format!("{header}\n{}\n", lines.join("\n"))
        } else {
            text
        };
        std::fs::write(target.join(name), reordered).expect("write the copy");
    }
}

/// Rows with the columns that name line numbers removed, sorted.
fn without_line_numbers(text: &str, dropped: &[&str]) -> Vec<Vec<String>> {
    let (header, rows) = csv_rows(text);
    let keep: Vec<usize> = (0..header.len())
        .filter(|&column| !dropped.contains(&header[column].as_str()))
        .collect();
    let mut projected: Vec<Vec<String>> = rows
        .iter()
        .map(|row| keep.iter().map(|&column| row[column].clone()).collect())
        .collect();
    projected.sort();
    projected
}

#[test]
fn row_order_does_not_change_the_results() {
    let reversed_case = out_dir("demo-reversed-case");
    reversed_copy(&demo(), &reversed_case);
    let forward = out_dir("order-forward");
    let backward = out_dir("order-backward");
    assert_eq!(reconcile(&demo(), &forward, &[]).code, 0);
    assert_eq!(reconcile(&reversed_case, &backward, &[]).code, 0);
    let findings = |folder: &Path| {
        without_line_numbers(&read(&folder.join("findings.csv")), &["sources", "detail"])
    };
    assert_eq!(findings(&forward), findings(&backward));
    for file in ["ledger.csv", "summary.csv"] {
        assert_eq!(
            read(&forward.join(file)),
            read(&backward.join(file)),
            "{file}"
        );
    }
}

#[test]
fn fail_on_sets_exit_status_1_only_for_that_severity_or_higher() {
    let low_only = repository().join("fixtures/codes/LATE_PAYMENT");
    assert_eq!(reconcile(&low_only, &out_dir("fail-none"), &[]).code, 0);
    assert_eq!(
        reconcile(&low_only, &out_dir("fail-high"), &["--fail-on", "high"]).code,
        0
    );
    assert_eq!(
        reconcile(&low_only, &out_dir("fail-medium"), &["--fail-on", "medium"]).code,
        0
    );
    assert_eq!(
        reconcile(&low_only, &out_dir("fail-low"), &["--fail-on", "low"]).code,
        1
    );
    let high = repository().join("fixtures/codes/SHORTFALL");
    assert_eq!(
        reconcile(&high, &out_dir("fail-high-2"), &["--fail-on", "high"]).code,
        1
    );
    let bad = reconcile(&high, &out_dir("fail-bad"), &["--fail-on", "severe"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn help_explains_the_run_for_a_finance_officer() {
    let output = Command::new(env!("CARGO_BIN_EXE_duizhang"))
        .args(["reconcile", "--help"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for phrase in [
        "CASE_DIR",
        "--out",
        "--from",
        "--to",
        "--threads",
        "--fail-on",
        "findings.csv",
        "ledger.csv",
    ] {
        assert!(help.contains(phrase), "--help lacks {phrase}:\n{help}");
    }
    let missing = Command::new(env!("CARGO_BIN_EXE_duizhang"))
        .arg("reconcile")
        .output()
        .expect("runs");
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn gbk_bank_files_read_like_utf8() {
    let case = repository().join("fixtures/codes/NAME_MISMATCH");
    let gbk_case = out_dir("gbk-case");
    std::fs::create_dir_all(&gbk_case).expect("create");
    for file in ["roster.csv", "standards.csv", "payouts.csv"] {
        let text = read(&case.join(file));
        let bytes = if file == "payouts.csv" {
            let (encoded, _, unmappable) = encoding_rs::GBK.encode(&text);
            assert!(!unmappable);
            encoded.into_owned()
        } else {
            text.into_bytes()
        };
        std::fs::write(gbk_case.join(file), bytes).expect("write");
    }
    let utf8 = out_dir("gbk-utf8");
    let gbk = out_dir("gbk-gbk");
    assert_eq!(reconcile(&case, &utf8, &[]).code, 0);
    assert_eq!(reconcile(&gbk_case, &gbk, &[]).code, 0);
    assert_eq!(
        read(&utf8.join("findings.csv")),
        read(&gbk.join("findings.csv"))
    );
    assert!(read(&gbk.join("run.json")).contains("\"encoding\": \"gb18030\""));
}

#[test]
fn outputs_replace_old_files_whole_and_leave_no_temporary_files() {
    let out = out_dir("atomic");
    std::fs::create_dir_all(&out).expect("create");
    std::fs::write(out.join("findings.csv"), "stale").expect("write");
    assert_eq!(
        reconcile(&repository().join("fixtures/codes/SHORTFALL"), &out, &[]).code,
        0
    );
    assert!(read(&out.join("findings.csv")).starts_with("code,severity,"));
    let names: Vec<String> = std::fs::read_dir(&out)
        .expect("read")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "corrections.csv",
            "findings.csv",
            "ledger.csv",
            "register.csv",
            "run.json",
            "summary.csv"
        ]
    );
}

#[test]
fn run_json_accounts_for_every_row() {
    let out = out_dir("run-json");
    assert_eq!(
        reconcile(
            &repository().join("fixtures/spec-examples/case12"),
            &out,
            &[]
        )
        .code,
        0
    );
    let report: serde_json::Value =
        serde_json::from_str(&read(&out.join("run.json"))).expect("valid JSON");
    let payouts = &report["files"]["payouts.csv"];
    let rows = payouts["rows"].as_u64().expect("rows");
    let accounted = [
        "bad_records",
        "duplicate_records",
        "outside_window",
        "inside_window",
    ]
    .iter()
    .map(|key| payouts[key].as_u64().expect(key))
    .sum::<u64>();
    assert_eq!(rows, 17);
    assert_eq!(rows, accounted);
    assert_eq!(report["skipped_outside_window"], 1);
    assert_eq!(report["window"]["from"], "2020-01");
    assert_eq!(report["findings_by_code"]["BAD_RECORD"], 8);
    assert_eq!(
        report["files"]["roster.csv"]["sha256"]
            .as_str()
            .map(str::len),
        Some(64)
    );
}

#[test]
fn generate_is_deterministic_for_a_seed() {
    let generate = |folder: &Path, seed: &str| {
        let status = Command::new(env!("CARGO_BIN_EXE_duizhang"))
            .args([
                "generate",
                folder.to_str().expect("utf-8 path"),
                "--households",
                "40",
                "--seed",
                seed,
                "--anomaly",
                "0.5",
            ])
            .status()
            .expect("runs");
        assert!(status.success());
    };
    let first = out_dir("generate-a");
    let second = out_dir("generate-b");
    let other = out_dir("generate-c");
    generate(&first, "9");
    generate(&second, "9");
    generate(&other, "10");
    for file in [
        "roster.csv",
        "payouts.csv",
        "allocations.csv",
        "transfers.csv",
    ] {
        assert_eq!(read(&first.join(file)), read(&second.join(file)), "{file}");
    }
    assert_ne!(
        read(&first.join("payouts.csv")),
        read(&other.join("payouts.csv"))
    );
    let run = reconcile(&first, &out_dir("generate-run"), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn chunked_parsing_gives_the_same_case_as_whole_files() {
    use duizhang::read::{read_case_with, ReadOptions};
    for case in [demo(), repository().join("fixtures/spec-examples/case12")] {
        let whole = read_case_with(&case, &ReadOptions::default()).expect("reads");
        let chunked = read_case_with(
            &case,
            &ReadOptions {
                chunk_bytes: 97,
                ..ReadOptions::default()
            },
        )
        .expect("reads");
        let window = duizhang::engine::window(&whole, None, None).expect("a window");
        let one = duizhang::engine::reconcile(&whole, window);
        let two = duizhang::engine::reconcile(&chunked, window);
        assert_eq!(
            duizhang::write::findings_csv(&one.findings),
            duizhang::write::findings_csv(&two.findings),
            "{}",
            case.display()
        );
        // Record indices differ with the chunking; what is written may not.
        assert_eq!(
            duizhang::write::ledger_csv(&duizhang::engine::Context::new(&whole, window), &one),
            duizhang::write::ledger_csv(&duizhang::engine::Context::new(&chunked, window), &two),
        );
        let rows = |case: &duizhang::case::Case| {
            case.files
                .iter()
                .map(|(kind, report)| (*kind, report.rows, report.bad, report.duplicate))
                .collect::<Vec<_>>()
        };
        assert_eq!(rows(&whole), rows(&chunked));
    }
}

/// A run cut into partitions of persons (forced by a tiny --memory-limit)
/// writes the same bytes as an in-memory run: for every fixture, including
/// repeated record ids across persons (spec case12) and shared accounts.
#[test]
fn partitioned_runs_write_the_same_bytes_as_in_memory_runs() {
    let mut cases: Vec<std::path::PathBuf> = common::cases("spec-examples");
    cases.extend(common::cases("codes"));
    cases.push(demo());
    let mut partitioned_somewhere = false;
    for case in cases {
        let name = case
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let whole = out_dir(&format!("memory-whole-{name}"));
        let parts = out_dir(&format!("memory-parts-{name}"));
        let limit = if name == "demo" { "300K" } else { "1K" };
        assert_eq!(reconcile(&case, &whole, &[]).code, 0, "{name}");
        let run = reconcile(&case, &parts, &["--memory-limit", limit]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        partitioned_somewhere |= run.stdout.contains("按人分");
        for file in OUTPUTS {
            assert!(
                read(&whole.join(file)) == read(&parts.join(file)),
                "{name}: {file} differs between an in-memory and a partitioned run"
            );
        }
    }
    assert!(
        partitioned_somewhere,
        "no run was partitioned: the test tests nothing"
    );
}

/// SPEC v2 §3: a window taken from the records that spans more than 120
/// months is refused the same way whether the case is read whole or in
/// partitions (whose scan keeps the line of each bound), naming the
/// record with the mistyped period.
#[test]
fn a_too_long_default_window_is_refused_alike_in_memory_and_in_partitions() {
    let case = repository().join("fixtures/errors/window_too_long");
    let whole = reconcile(&case, &out_dir("window-whole"), &[]);
    let parts = reconcile(&case, &out_dir("window-parts"), &["--memory-limit", "1K"]);
    assert_eq!(whole.code, 2, "{}", whole.stderr);
    assert_eq!(parts.code, 2, "{}", parts.stderr);
    assert_eq!(whole.stderr, parts.stderr);
    assert!(
        whole
            .stderr
            .contains("its first month 2020-01 was set by payouts.csv:2")
            && whole
                .stderr
                .contains("its last month 9999-12 was set by payouts.csv:4"),
        "{}",
        whole.stderr
    );
    let given = reconcile(
        &case,
        &out_dir("window-given"),
        &["--from", "2020-01", "--to", "2030-12"],
    );
    // Both bounds given: longer than 120 months runs.
    assert_eq!(given.code, 0, "{}", given.stderr);
    assert!(
        given.stdout.contains("对账期间2020年1月至2030年12月"),
        "{}",
        given.stdout
    );
}

/// SHARED_ACCOUNT when one person is paid into many accounts (as under a
/// placeholder ID number): the account another person shares is found
/// among them, and only that one, also when an account comes back after
/// others.
#[test]
fn a_person_paid_into_many_accounts_shares_only_the_account_another_uses() {
    let case = out_dir("many-accounts-case");
    std::fs::create_dir_all(&case).expect("a case folder");
    let (many, other) = ("110101198001010010", "110101198001010029");
    std::fs::write(
        case.join("roster.csv"),
        format!(
            "enrolment_id,id_number,name,household_id,region,program,household_size,per_capita_income,start_period,account\n\
             D1,{many},张一,H1,110101,dibao,1,0,2020-01,62220000\n\
             D2,{other},张二,H2,110101,dibao,1,0,2020-01,62229999\n"
        ),
    )
    .expect("roster");
    std::fs::write(
        case.join("standards.csv"),
        "region,program,item,effective_from,amount\n*,dibao,standard,2020-01,500.00\n",
    )
    .expect("standards");
    let mut payouts = String::from("payout_id,id_number,program,period,amount,account\n");
    for account in 0..40 {
        payouts.push_str(&format!(
            "P{account},{many},dibao,2020-01,1.00,6222{account:04}\n"
        ));
    }
    // The other person's one payout, into the 31st of those accounts.
    payouts.push_str(&format!("Q1,{other},dibao,2020-01,500.00,62220030\n"));
    // And the first person's sixth account once more, after the others.
    payouts.push_str(&format!("P40,{many},dibao,2020-01,1.00,62220005\n"));
    std::fs::write(case.join("payouts.csv"), payouts).expect("payouts");

    for (name, extra) in [
        ("many-accounts", &[][..]),
        ("many-accounts-parts", &["--memory-limit", "1K"][..]),
    ] {
        let out = out_dir(name);
        let run = reconcile(&case, &out, extra);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let (header, rows) = csv_rows(&read(&out.join("findings.csv")));
        let column = |name: &str| header.iter().position(|cell| cell == name).expect(name);
        let shared: Vec<&Vec<String>> = rows
            .iter()
            .filter(|row| row[column("code")] == "SHARED_ACCOUNT")
            .collect();
        assert_eq!(shared.len(), 1, "{shared:?}");
        assert_eq!(shared[0][column("account")], "62220030", "{shared:?}");
        assert_eq!(
            shared[0][column("sources")],
            "payouts.csv:32;payouts.csv:42",
            "{shared:?}"
        );
    }
}

/// `duizhang check` writes nothing but its report: a report that cannot
/// be written (stdout on a full disk, or a closed pipe) is a check not
/// done — exit 2, said on stderr — never a silent exit 0.
#[test]
fn check_exits_2_when_its_report_cannot_be_written() {
    use std::process::Stdio;
    let case = repository().join("fixtures/codes/SHORTFALL");
    let full = || {
        Stdio::from(
            std::fs::File::options()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full"),
        )
    };
    let closed = || {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        Stdio::from(writer)
    };
    for (name, stdout) in [
        ("/dev/full", full as fn() -> Stdio),
        ("a closed pipe", closed),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_duizhang"))
            .arg("check")
            .arg(&case)
            .stdout(stdout())
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains("duizhang: error: the report could not be written"),
            "{name}: {stderr}"
        );
    }
    let output = Command::new(env!("CARGO_BIN_EXE_duizhang"))
        .arg("check")
        .arg(&case)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("可以运行"));
}

/// `duizhang generate` never overwrites a case by a mistyped path: a
/// folder holding anything is refused (exit 2, nothing written) unless
/// --force is given; an absent or empty folder is fine.
#[test]
fn generate_refuses_a_folder_that_is_not_empty_unless_forced() {
    let generate = |folder: &Path, extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_duizhang"))
            .arg("generate")
            .arg(folder)
            .args(["--households", "5", "--seed", "3"])
            .args(extra)
            .output()
            .expect("runs")
    };
    let case = out_dir("generate-in-use");
    std::fs::create_dir_all(&case).expect("a folder");
    let first = generate(&case, &[]);
    assert_eq!(first.status.code(), Some(0), "an empty folder");
    let roster = read(&case.join("roster.csv"));
    std::fs::write(case.join("roster.csv"), "a real roster").expect("write");
    let again = generate(&case, &[]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("not empty") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(read(&case.join("roster.csv")), "a real roster");
    let other = out_dir("generate-in-use-other");
    std::fs::create_dir_all(&other).expect("a folder");
    std::fs::write(other.join("notes.txt"), "mine").expect("write");
    let refused = generate(&other, &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("notes.txt"));
    assert!(!other.join("roster.csv").exists());
    let forced = generate(&case, &["--force"]);
    assert_eq!(forced.status.code(), Some(0));
    assert_eq!(read(&case.join("roster.csv")), roster);
    let help = Command::new(env!("CARGO_BIN_EXE_duizhang"))
        .args(["generate", "--help"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&help.stdout).contains("--force"));
}

/// OUT_DIR never lies inside the case folder (`..` and links resolved):
/// duizhang never writes where its inputs are.
#[test]
fn reconcile_refuses_an_out_dir_inside_the_case_folder() {
    let root = out_dir("reconcile-inside-case");
    let case = root.join("case");
    std::fs::create_dir_all(&case).expect("a case folder");
    for entry in std::fs::read_dir(repository().join("fixtures/codes/SHORTFALL")).expect("list") {
        let path = entry.expect("an entry").path();
        std::fs::copy(&path, case.join(path.file_name().expect("a name"))).expect("copy");
    }
    let link = root.join("link");
    std::os::unix::fs::symlink(&case, &link).expect("a link");
    let before: Vec<_> = std::fs::read_dir(&case).expect("list").collect();
    for out in [
        case.clone(),
        case.join("out"),
        root.join("x/../case/out"),
        link.join("out"),
    ] {
        let run = reconcile(&case, &out, &[]);
        assert_eq!(run.code, 2, "{}: {}", out.display(), run.stderr);
        assert!(
            run.stderr.contains("inside the case folder"),
            "{}",
            run.stderr
        );
    }
    assert_eq!(
        std::fs::read_dir(&case).expect("list").count(),
        before.len()
    );
    let run = reconcile(&case, &root.join("out"), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn with_bom_every_csv_output_begins_with_the_mark_and_is_otherwise_the_same() {
    const MARK: &[u8] = b"\xEF\xBB\xBF";
    let plain = out_dir("bom-plain");
    let marked = out_dir("bom-marked");
    assert_eq!(reconcile(&demo(), &plain, &[]).code, 0);
    assert_eq!(reconcile(&demo(), &marked, &["--bom"]).code, 0);
    for file in [
        "findings.csv",
        "ledger.csv",
        "summary.csv",
        "register.csv",
        "corrections.csv",
    ] {
        let plain_bytes = std::fs::read(plain.join(file)).expect("read");
        let marked_bytes = std::fs::read(marked.join(file)).expect("read");
        assert!(!plain_bytes.starts_with(MARK), "{file} without --bom");
        assert_eq!(
            marked_bytes.strip_prefix(MARK),
            Some(plain_bytes.as_slice()),
            "{file}: the mark, then the same bytes"
        );
    }
    assert!(!std::fs::read(marked.join("run.json"))
        .expect("read")
        .starts_with(MARK));
    // The register as written (mark included) is what run.json hashes: a
    // second run into the folder sees it unedited, and it is read back.
    let again = reconcile(&demo(), &marked, &["--bom"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let register = marked.join("register.csv");
    let carried = out_dir("bom-carried");
    let run = reconcile(
        &demo(),
        &carried,
        &["--register", register.to_str().expect("a UTF-8 path")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read(carried.join("register.csv")).expect("read"),
        std::fs::read(plain.join("register.csv")).expect("read"),
        "the same register carried on: every item found again, nothing else"
    );
}

#[test]
fn check_says_a_case_is_not_fit_to_run_when_most_rows_of_a_file_cannot_be_read() {
    let case = out_dir("check-unfit-case");
    std::fs::create_dir_all(&case).expect("a folder");
    std::fs::write(
        case.join("roster.csv"),
        "enrolment_id,id_number,name,region,program,household_size,per_capita_income,start_period\n\
         D1,110101197203150017,孙一,110101,dibao,1,100.00,2024-01\n",
    )
    .expect("written");
    std::fs::write(
        case.join("standards.csv"),
        "region,program,item,effective_from,amount\n*,dibao,standard,2024-01,600.00\n",
    )
    .expect("written");
    // A bank's amounts in a European form: every row unreadable.
    let mut payouts = String::from("payout_id,id_number,program,period,amount\n");
    for month in 1..=12 {
        payouts.push_str(&format!(
            "P{month},110101197203150017,dibao,2024-{month:02},\"500,00\"\n"
        ));
    }
    std::fs::write(case.join("payouts.csv"), payouts).expect("written");
    // No record read, so no window: the unreadable file is the reason given.
    let output = Command::new(env!("CARGO_BIN_EXE_duizhang"))
        .arg("check")
        .arg(&case)
        .output()
        .expect("runs");
    let said = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert!(
        said.contains("not fit to run: payouts.csv: 12 of 12 rows cannot be read (100%)"),
        "{said}"
    );
    // With the window given, the whole report, then why it is not fit.
    let output = Command::new(env!("CARGO_BIN_EXE_duizhang"))
        .arg("check")
        .arg(&case)
        .args(["--from", "2024-01", "--to", "2024-12"])
        .output()
        .expect("runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{report}");
    assert!(
        report.contains("不宜运行：payouts.csv：12行中有12行无法读取（100%）"),
        "{report}"
    );
    assert!(report.contains("无法读取 payouts.csv:2"), "{report}");
    // The same in English.
    let output = Command::new(env!("CARGO_BIN_EXE_duizhang"))
        .arg("check")
        .arg(&case)
        .args(["--from", "2024-01", "--to", "2024-12", "--lang", "en"])
        .output()
        .expect("runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{report}");
    assert!(
        report.contains("not fit to run: payouts.csv: 12 of 12 rows cannot be read (100%)"),
        "{report}"
    );
    // The per-file report is printed before it.
    assert!(report.contains("bad payouts.csv:2"), "{report}");
}

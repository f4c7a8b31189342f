//! Inputs as they come from county finance offices and banks — other line
//! ends, encodings and separators, broken quotes, stray bytes, odd names —
//! run through the real binary: each either reads like the clean file, or
//! costs only its own rows (BAD_RECORD), or stops the run naming the place.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{out_dir, read, reconcile, repository};

/// fixtures/demo with the bank's monthly files (payouts/2024-MM.csv)
/// joined into one payouts.csv, their rows in the order SPEC v3 reads them
/// (so the same case): these tests change the bytes of one payouts file.
/// Made once per run of this test binary.
fn demo() -> PathBuf {
    static JOINED: OnceLock<PathBuf> = OnceLock::new();
    JOINED
        .get_or_init(|| {
            let source = repository().join("fixtures/demo");
            let target = out_dir("inputs-demo-joined");
            std::fs::create_dir_all(&target).expect("create the copy");
            let mut payouts = String::new();
            for entry in std::fs::read_dir(&source).expect("read the demo") {
                let path = entry.expect("an entry").path();
                let name = path.file_name().expect("a name").to_owned();
                if path.is_dir() {
                    continue;
                }
                std::fs::copy(&path, target.join(name)).expect("copy");
            }
            let mut months: Vec<PathBuf> = std::fs::read_dir(source.join("payouts"))
                .expect("the demo's monthly payout files")
                .map(|entry| entry.expect("an entry").path())
                .collect();
            months.sort();
            for month in months {
                let text = read(&month);
                let (header, rows) = text.split_once('\n').expect("a header");
                if payouts.is_empty() {
                    payouts.push_str(header);
                    payouts.push('\n');
                }
                payouts.push_str(rows);
            }
            std::fs::write(target.join("payouts.csv"), payouts).expect("write payouts.csv");
            target
        })
        .clone()
}

/// Copies every file of `case` into `target`, passing each CSV's bytes
/// through `change(name, bytes)`.
fn copy_case(case: &Path, target: &Path, change: impl Fn(&str, Vec<u8>) -> Vec<u8>) {
    let _ = std::fs::remove_dir_all(target);
    std::fs::create_dir_all(target).expect("create the copy");
    for entry in std::fs::read_dir(case).expect("read the case") {
        let path = entry.expect("an entry").path();
        let name = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let bytes = std::fs::read(&path).expect("read");
        let bytes = if name.ends_with(".csv") {
            change(&name, bytes)
        } else {
            bytes
        };
        std::fs::write(target.join(&name), bytes).expect("write the copy");
    }
}

/// A copy of fixtures/codes/SHORTFALL to change.
fn shortfall_copy(name: &str) -> PathBuf {
    let case = out_dir(name);
    copy_case(
        &repository().join("fixtures/codes/SHORTFALL"),
        &case,
        |_, bytes| bytes,
    );
    case
}

/// `text` with each line end replaced by the next of `ends`, in turn.
fn with_line_ends(bytes: Vec<u8>, ends: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    let mut turn = 0;
    for byte in bytes {
        if byte == b'\n' {
            out.extend_from_slice(ends[turn % ends.len()]);
            turn += 1;
        } else {
            out.push(byte);
        }
    }
    out
}

fn report(out: &Path) -> serde_json::Value {
    serde_json::from_str(&read(&out.join("run.json"))).expect("valid JSON")
}

/// The findings.csv rows whose code is `code`.
fn findings_of(out: &Path, code: &str) -> Vec<String> {
    read(&out.join("findings.csv"))
        .lines()
        .filter(|line| line.starts_with(&format!("{code},")))
        .map(String::from)
        .collect()
}

/// Runs the demo and `case`, each to the end; returns their output folders.
fn run_beside_demo(name: &str, case: &Path) -> (PathBuf, PathBuf) {
    let clean = out_dir(&format!("{name}-clean"));
    let out = out_dir(&format!("{name}-out"));
    assert_eq!(reconcile(&demo(), &clean, &[]).code, 0);
    let run = reconcile(case, &out, &[]);
    assert_eq!(run.code, 0, "{name}: {}", run.stderr);
    (clean, out)
}

/// The one BAD_RECORD row of findings.csv whose evidence is `source`.
fn bad_record_at(out: &Path, source: &str) -> String {
    let rows: Vec<String> = findings_of(out, "BAD_RECORD")
        .into_iter()
        .filter(|line| line.ends_with(&format!(",{source}")))
        .collect();
    assert_eq!(rows.len(), 1, "BAD_RECORD at {source}: {rows:?}");
    rows.into_iter().next().expect("one row")
}

#[test]
fn crlf_cr_and_mixed_line_ends_give_the_same_findings_and_ledger_as_lf() {
    let lf = out_dir("ends-lf");
    assert_eq!(reconcile(&demo(), &lf, &[]).code, 0);
    let variants: [(&str, &[&[u8]]); 3] = [
        ("crlf", &[b"\r\n"]),
        ("cr", &[b"\r"]),
        ("mixed", &[b"\n", b"\r\n", b"\r"]),
    ];
    for (name, ends) in variants {
        let case = out_dir(&format!("ends-{name}-case"));
        copy_case(&demo(), &case, |_, bytes| with_line_ends(bytes, ends));
        for extra in [&[][..], &["--memory-limit", "300K"][..]] {
            let out = out_dir(&format!("ends-{name}-out"));
            let run = reconcile(&case, &out, extra);
            assert_eq!(run.code, 0, "{name}: {}", run.stderr);
            for file in ["findings.csv", "ledger.csv", "summary.csv"] {
                assert!(
                    read(&lf.join(file)) == read(&out.join(file)),
                    "{name} {extra:?}: {file} differs from the LF run"
                );
            }
            let (lf_files, files) = (&report(&lf)["files"], &report(&out)["files"]);
            for kind in ["payouts.csv", "roster.csv", "allocations.csv"] {
                for count in ["rows", "bad_records", "duplicate_records"] {
                    assert_eq!(
                        lf_files[kind][count], files[kind][count],
                        "{name} {kind} {count}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_gbk_row_in_a_utf8_file_is_one_bad_record_and_every_other_name_stays_readable() {
    let case = out_dir("gbk-row-case");
    // Line 100 of payouts.csv, typed in GBK into the UTF-8 export.
    copy_case(&demo(), &case, |name, bytes| {
        if name != "payouts.csv" {
            return bytes;
        }
        let text = String::from_utf8(bytes).expect("the demo is UTF-8");
        let mut lines: Vec<Vec<u8>> = text.lines().map(|line| line.as_bytes().to_vec()).collect();
        let (encoded, _, unmappable) =
            encoding_rs::GBK.encode(text.lines().nth(99).expect("line 100"));
        assert!(!unmappable);
        lines[99] = encoded.into_owned();
        let mut out = lines.join(&b'\n');
        out.push(b'\n');
        out
    });
    let (clean, out) = run_beside_demo("gbk-row", &case);
    let payouts = &report(&out)["files"]["payouts.csv"];
    assert_eq!(payouts["encoding"], "utf-8");
    assert_eq!(
        payouts["bad_records"].as_u64(),
        report(&clean)["files"]["payouts.csv"]["bad_records"]
            .as_u64()
            .map(|bad| bad + 1)
    );
    let bad = bad_record_at(&out, "payouts.csv:100");
    assert!(
        bad.contains("GBK") && bad.contains("re-save the file as UTF-8"),
        "{bad}"
    );
    let findings = read(&out.join("findings.csv"));
    assert!(!findings.contains('\u{FFFD}'), "a name was decoded wrongly");
    // The rest of the run is the clean run's, less what line 100 was.
    let names = |text: &str| {
        text.lines()
            .filter(|line| line.contains("NAME_MISMATCH"))
            .count()
    };
    assert!(names(&findings) >= names(&read(&clean.join("findings.csv"))) - 1);
}

/// Rewrites a CSV with tabs between fields (quoting where needed).
fn tab_separated(bytes: &[u8]) -> String {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b'\t')
        .flexible(true)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for record in reader.byte_records() {
        writer
            .write_byte_record(&record.expect("a record"))
            .expect("write");
    }
    String::from_utf8(writer.into_inner().expect("flush")).expect("utf-8")
}

#[test]
fn excel_unicode_text_in_utf16_with_tabs_reads_like_the_csv() {
    let case = out_dir("utf16-case");
    copy_case(&demo(), &case, |name, bytes| {
        let text = tab_separated(&bytes);
        let (mark, big_endian) = match name {
            "payouts.csv" | "allocations.csv" => ([0xFF, 0xFE], false),
            "roster.csv" => ([0xFE, 0xFF], true),
            // Tab-separated UTF-8 too.
            _ => return text.into_bytes(),
        };
        let mut out = mark.to_vec();
        for unit in text.encode_utf16() {
            out.extend(if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    });
    let (clean, out) = run_beside_demo("utf16", &case);
    for file in ["findings.csv", "ledger.csv", "summary.csv"] {
        assert!(
            read(&clean.join(file)) == read(&out.join(file)),
            "{file} differs from the comma-separated UTF-8 run"
        );
    }
    let files = &report(&out)["files"];
    assert_eq!(files["payouts.csv"]["encoding"], "utf-16le");
    assert_eq!(files["roster.csv"]["encoding"], "utf-16be");
    assert_eq!(files["transfers.csv"]["encoding"], "utf-8");
    for kind in ["payouts.csv", "roster.csv", "transfers.csv"] {
        assert_eq!(files[kind]["delimiter"], "tab", "{kind}");
    }
    assert!(report(&clean)["files"]["payouts.csv"]
        .get("delimiter")
        .is_none());
}

/// The demo with a quote opened and never closed in the name cell of
/// payouts.csv line 100, and, for good measure, a bell character in an
/// unknown column of line 200 and line ends of every kind.
fn broken_demo(name: &str) -> PathBuf {
    let case = out_dir(name);
    copy_case(&demo(), &case, |name, bytes| {
        if name != "payouts.csv" {
            return bytes;
        }
        let text = String::from_utf8(bytes).expect("utf-8");
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        lines[0].push_str(",备注");
        for (index, line) in lines.iter_mut().enumerate().skip(1) {
            line.push_str(if index == 199 { ",\u{7}" } else { "," });
        }
        let fields: Vec<&str> = lines[99].split(',').collect();
        let mut broken = fields.clone();
        let name = format!("\"{}", fields[5]);
        broken[5] = &name;
        lines[99] = broken.join(",");
        with_line_ends(
            format!("{}\n", lines.join("\n")).into_bytes(),
            &[b"\n", b"\r\n", b"\r"],
        )
    });
    case
}

#[test]
fn an_unclosed_quote_costs_one_bad_record_and_the_rows_after_it_are_read() {
    let case = broken_demo("unclosed-case");
    let (clean, out) = run_beside_demo("unclosed", &case);
    let (before, after) = (
        &report(&clean)["files"]["payouts.csv"],
        &report(&out)["files"]["payouts.csv"],
    );
    assert_eq!(before["rows"], after["rows"], "every row is still counted");
    assert_eq!(
        before["bad_records"].as_u64().map(|bad| bad + 2),
        after["bad_records"].as_u64()
    );
    let unclosed = bad_record_at(&out, "payouts.csv:100");
    assert!(
        unclosed.contains("column name: a quote opens this cell"),
        "{unclosed}"
    );
    let bell = bad_record_at(&out, "payouts.csv:200");
    assert!(
        bell.contains("column 备注: \"\"\\u{7}\"\": holds the control character U+0007"),
        "{bell}"
    );
    // Payouts after line 100 are all still there: the paid totals differ
    // by the two bad rows' amounts only.
    let paid = |out: &Path| {
        report(out)["totals"]["paid"]
            .as_str()
            .expect("paid")
            .parse::<f64>()
            .expect("a number")
    };
    let lost = paid(&clean) - paid(&out);
    assert!((0.0..5000.0).contains(&lost), "{lost}");
    assert!(!read(&out.join("findings.csv")).contains('\u{7}'));
}

#[test]
fn chunks_of_a_few_bytes_read_a_broken_file_as_whole_chunks_do() {
    use duizhang::read::{read_case_with, ReadOptions};
    let case = broken_demo("chunk-broken-case");
    let whole = read_case_with(&case, &ReadOptions::default()).expect("reads");
    let window = duizhang::engine::window(&whole, None, None).expect("a window");
    let one = duizhang::engine::reconcile(&whole, window);
    for chunk_bytes in [1, 7, 4096] {
        let chunked = read_case_with(
            &case,
            &ReadOptions {
                chunk_bytes,
                ..ReadOptions::default()
            },
        )
        .expect("reads");
        let two = duizhang::engine::reconcile(&chunked, window);
        assert_eq!(
            duizhang::write::findings_csv(&one.findings),
            duizhang::write::findings_csv(&two.findings),
            "chunks of {chunk_bytes} bytes"
        );
        assert_eq!(
            duizhang::write::ledger_csv(&duizhang::engine::Context::new(&whole, window), &one),
            duizhang::write::ledger_csv(&duizhang::engine::Context::new(&chunked, window), &two),
        );
    }
}

#[test]
fn a_cell_over_64_kib_is_a_bad_record_quoted_only_in_part() {
    let case = out_dir("long-cell-case");
    copy_case(
        &repository().join("fixtures/codes/SHORTFALL"),
        &case,
        |name, mut bytes| {
            if name == "payouts.csv" {
                bytes.extend(b"P9,110101198001010010,dibao,2020-03,");
                bytes.extend(std::iter::repeat_n(b'7', 200_000));
                bytes.push(b'\n');
            }
            bytes
        },
    );
    let out = out_dir("long-cell-out");
    let run = reconcile(&case, &out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bad = findings_of(&out, "BAD_RECORD");
    assert_eq!(bad.len(), 1);
    assert!(
        bad[0].contains("the cell is 200000 bytes long"),
        "{}",
        &bad[0][..300]
    );
    assert!(bad[0].contains('…'));
    assert!(
        bad[0].len() < 600,
        "the value is quoted whole: {} bytes",
        bad[0].len()
    );
}

#[test]
fn case_file_names_match_whatever_their_case_and_other_files_are_listed() {
    let fixture = repository().join("fixtures/codes/ALLOCATION_MISMATCH");
    let case = out_dir("names-case");
    copy_case(&fixture, &case, |_, bytes| bytes);
    std::fs::rename(case.join("allocations.csv"), case.join("Allocations.csv")).expect("rename");
    std::fs::rename(case.join("payouts.csv"), case.join("PAYOUTS.CSV")).expect("rename");
    std::fs::write(case.join("payouts (1).csv"), "stray").expect("write");
    let (plain, named) = (out_dir("names-plain"), out_dir("names-out"));
    assert_eq!(reconcile(&fixture, &plain, &[]).code, 0);
    let run = reconcile(&case, &named, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // SPEC v3: evidence and run.json name each file as found on disk.
    for file in ["ledger.csv", "summary.csv"] {
        assert_eq!(read(&plain.join(file)), read(&named.join(file)), "{file}");
    }
    assert_eq!(
        read(&plain.join("findings.csv"))
            .replace("allocations.csv:", "Allocations.csv:")
            .replace("payouts.csv:", "PAYOUTS.CSV:"),
        read(&named.join("findings.csv"))
    );
    let report = report(&named);
    assert!(report["files"]["Allocations.csv"].is_object());
    assert!(report["files"]["PAYOUTS.CSV"].is_object());
    assert!(report["files"]["roster.csv"].is_object());
    assert!(report["files"].get("allocations.csv").is_none());
    assert_eq!(
        report["unused_files"],
        serde_json::json!([
            "args.txt",
            "expected-findings.csv",
            "expected-ledger.csv",
            "payouts (1).csv"
        ])
    );
    assert!(
        run.stderr.contains("duizhang: warning: ") && run.stderr.contains("\"payouts (1).csv\""),
        "{}",
        run.stderr
    );
}

#[test]
fn two_files_whose_names_differ_only_in_case_stop_the_run_naming_both() {
    let case = shortfall_copy("clash-case");
    std::fs::copy(case.join("payouts.csv"), case.join("Payouts.csv")).expect("copy");
    if std::fs::read_dir(&case).expect("list").count() < 7 {
        return; // a file system that ignores case: only one file is there
    }
    let out = out_dir("clash-out");
    let run = reconcile(&case, &out, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let error = run
        .stderr
        .lines()
        .find(|line| line.starts_with("duizhang: error: "))
        .expect("an error line");
    assert!(
        error.ends_with("Payouts.csv: this file and payouts.csv differ only in upper and lower case, and both would be read as payouts.csv; keep one"),
        "{error}"
    );
}

#[cfg(unix)]
#[test]
fn a_named_pipe_named_like_a_case_file_stops_the_run_without_blocking() {
    let case = shortfall_copy("fifo-case");
    std::fs::remove_file(case.join("payouts.csv")).expect("remove");
    let made = std::process::Command::new("mkfifo")
        .arg(case.join("payouts.csv"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let out = out_dir("fifo-out");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_duizhang"))
        .arg("reconcile")
        .arg(&case)
        .arg("--out")
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the run blocked on the named pipe");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("read stderr");
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("payouts.csv: this is a named pipe, not a regular file"),
        "{stderr}"
    );
}

/// A partitioned run reads every file again per partition; a file changed
/// after the first pass (here: between the scan and a partition) stops the
/// run naming it, whether its size, its time of change or only its bytes
/// differ.
#[test]
fn a_file_changed_during_a_partitioned_run_stops_it_naming_the_file() {
    use duizhang::read::{scan, CaseFolder, ReadOptions};
    type Change = fn(&Path);
    let changes: [(&str, Change, &str); 4] = [
        (
            "longer",
            |path| {
                let mut bytes = std::fs::read(path).expect("read");
                bytes.extend(b"P9,110101198001010010,dibao,2020-03,1.00\n");
                std::fs::write(path, bytes).expect("write");
            },
            "its size went from",
        ),
        (
            "touched",
            |path| {
                let file = std::fs::File::options()
                    .write(true)
                    .open(path)
                    .expect("open");
                let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
                file.set_modified(later).expect("set the time");
            },
            "it was modified",
        ),
        (
            "same size and time",
            |path| {
                let before = std::fs::metadata(path)
                    .expect("metadata")
                    .modified()
                    .expect("time");
                let mut bytes = std::fs::read(path).expect("read");
                let at = bytes
                    .iter()
                    .rposition(|byte| (b'1'..=b'8').contains(byte))
                    .expect("a digit");
                bytes[at] += 1;
                std::fs::write(path, bytes).expect("write");
                let file = std::fs::File::options()
                    .write(true)
                    .open(path)
                    .expect("open");
                file.set_modified(before).expect("set the time back");
            },
            "its contents are not the same",
        ),
        (
            "removed",
            |path| std::fs::remove_file(path).expect("remove"),
            "it was removed",
        ),
    ];
    for (name, change, what) in changes {
        let case = shortfall_copy(&format!("changed-{name}"));
        let folder = CaseFolder::open(&case).expect("lists");
        let options = ReadOptions {
            release_input: true,
            ..ReadOptions::default()
        };
        let scanned = scan::scan(&folder, &options).expect("scans");
        let partitions = scan::partitions(&scanned.sample, 1, &scanned.repeats, &scanned.inputs);
        let partition = std::sync::Arc::new(partitions.into_iter().next().expect("a partition"));
        let read = |folder: &CaseFolder| {
            duizhang::read::read_case_in(
                folder,
                &ReadOptions {
                    partition: Some(partition.clone()),
                    ..options.clone()
                },
            )
        };
        assert!(read(&folder).is_ok(), "{name}: unchanged files read");
        change(&case.join("payouts.csv"));
        let error = read(&folder).err().map(|error| error.to_string());
        let expected = format!(
            "{}: the file changed during the run ({what}",
            case.join("payouts.csv").display()
        );
        assert!(
            error
                .as_deref()
                .is_some_and(|error| error.starts_with(&expected)),
            "{name}: {error:?}"
        );
    }
}

/// Partitions but the last trust the scan's SHA-256 and compare size and
/// time only; the last hashes again. So a change that keeps both is read
/// by a middle partition but still stops the run before anything is
/// placed.
#[test]
fn only_the_last_partition_hashes_and_it_catches_a_change_that_kept_size_and_time() {
    use duizhang::read::{scan, CaseFolder, Partition, ReadOptions};
    let case = shortfall_copy("changed-between-partitions");
    let folder = CaseFolder::open(&case).expect("lists");
    let options = ReadOptions {
        release_input: true,
        ..ReadOptions::default()
    };
    let scanned = scan::scan(&folder, &options).expect("scans");
    let sample: Vec<Box<str>> = vec!["110101198001010010".into(), "999".into()];
    let partitions = scan::partitions(&sample, 2, &scanned.repeats, &scanned.inputs);
    assert_eq!(partitions.len(), 2);
    assert_eq!(
        partitions
            .iter()
            .map(|part| part.hash_inputs)
            .collect::<Vec<_>>(),
        [false, true]
    );
    let path = case.join("payouts.csv");
    let before = std::fs::metadata(&path)
        .expect("metadata")
        .modified()
        .expect("time");
    let mut bytes = std::fs::read(&path).expect("read");
    let at = bytes
        .iter()
        .rposition(|byte| (b'1'..=b'8').contains(byte))
        .expect("a digit");
    bytes[at] += 1;
    std::fs::write(&path, bytes).expect("write");
    std::fs::File::options()
        .write(true)
        .open(&path)
        .expect("open")
        .set_modified(before)
        .expect("set the time back");
    let read = |partition: Partition| {
        duizhang::read::read_case_in(
            &folder,
            &ReadOptions {
                partition: Some(std::sync::Arc::new(partition)),
                ..options.clone()
            },
        )
        .err()
        .map(|error| error.to_string())
    };
    let mut partitions = partitions.into_iter();
    assert_eq!(read(partitions.next().expect("first")), None);
    let error = read(partitions.next().expect("last"));
    assert!(
        error
            .as_deref()
            .is_some_and(|error| error.contains("its contents are not the same")),
        "{error:?}"
    );
}

/// One line paid millions of times the largest cell would pass what exact
/// 64-bit fen hold: the run stops naming the file (exit 2), in memory and
/// in partitions alike, instead of panicking on the sum.
#[test]
fn money_no_case_can_hold_stops_the_run_instead_of_overflowing() {
    let case = shortfall_copy("too-much-money");
    let mut payouts = String::from("payout_id,id_number,program,period,amount\n");
    for number in 0..10_001 {
        payouts.push_str(&format!(
            "P{number},110101198001010010,dibao,2020-01,10000000000\n"
        ));
    }
    std::fs::write(case.join("payouts.csv"), payouts).expect("write payouts.csv");
    for extra in [&[][..], &["--memory-limit", "1K"][..]] {
        let out = out_dir("too-much-money-out");
        let run = reconcile(&case, &out, extra);
        assert_eq!(run.code, 2, "{extra:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(
                "payouts.csv: the amounts in this file add up to 100010000000000.00 yuan, more than the 100000000000000.00 any case can hold"
            ),
            "{extra:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

/// Bytes a GBK (GB18030) or UTF-16 file cannot read are never made into a
/// name or an id: the row is a BAD_RECORD, and the others are read.
#[test]
fn undecodable_bytes_in_a_gbk_or_utf16_file_make_their_row_a_bad_record() {
    let case = shortfall_copy("undecodable-gbk");
    let mut payouts = b"payout_id,id_number,program,period,amount,name\n".to_vec();
    // 张一 in GBK; then a row with a stray 0xFF in the id and a cut-off
    // four-byte sequence as the name.
    payouts.extend_from_slice(b"P1,110101198001010010,dibao,2020-01,400.00,\xD5\xC5\xD2\xBB\n");
    payouts.extend_from_slice(b"P2,11010119800101002\xFF9,dibao,2020-01,123,\x81\x30\n");
    std::fs::write(case.join("payouts.csv"), &payouts).expect("write payouts.csv");
    let out = out_dir("undecodable-gbk-out");
    let run = reconcile(&case, &out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(report(&out)["files"]["payouts.csv"]["encoding"], "gb18030");
    let detail = bad_record_at(&out, "payouts.csv:3");
    assert!(detail.contains("not gb18030 text"), "{detail}");
    let findings = read(&out.join("findings.csv"));
    assert!(!findings.contains('\u{FFFD}'), "{findings}");
    assert!(
        findings_of(&out, "PAID_NOT_ENROLLED").is_empty(),
        "{findings}"
    );

    // UTF-16LE with a lone surrogate in an id.
    let case = shortfall_copy("undecodable-utf16");
    let text = "payout_id,id_number,program,period,amount\nP1,110101198001010010,dibao,2020-01,400.00\nP2,1101011980010100X9,dibao,2020-01,5\n";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        // The `X` of the second id becomes a lone high surrogate.
        let unit = if unit == u16::from(b'X') {
            0xD800
        } else {
            unit
        };
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    std::fs::write(case.join("payouts.csv"), &bytes).expect("write payouts.csv");
    let out = out_dir("undecodable-utf16-out");
    let run = reconcile(&case, &out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let detail = bad_record_at(&out, "payouts.csv:3");
    assert!(detail.contains("not utf-16le text"), "{detail}");
    assert!(!read(&out.join("findings.csv")).contains('\u{FFFD}'));
}

/// A finding's detail names at most ten items and quotes at most 200
/// characters of a value, however many payouts or however long a name.
#[test]
fn finding_details_stay_short_whatever_the_input() {
    let case = shortfall_copy("long-details");
    let long_name = "名".repeat(5_000);
    let mut payouts = String::from("payout_id,id_number,program,period,amount,name,account\n");
    for number in 0..25 {
        payouts.push_str(&format!(
            "P{number:02},110101198001010010,dibao,2020-01,20.00,{long_name},6222{number:04}\n"
        ));
    }
    std::fs::write(case.join("payouts.csv"), payouts).expect("write payouts.csv");
    let out = out_dir("long-details-out");
    let run = reconcile(&case, &out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let duplicate = findings_of(&out, "DUPLICATE_PAYMENT");
    assert_eq!(duplicate.len(), 1, "{duplicate:?}");
    assert!(
        duplicate[0].contains("25 payouts of 20.00: P00, P01")
            && duplicate[0].contains("… +15 more"),
        "{}",
        duplicate[0]
    );
    for finding in read(&out.join("findings.csv")).lines() {
        assert!(finding.chars().count() < 12_000, "{}", &finding[..200]);
    }
    let names = findings_of(&out, "NAME_MISMATCH");
    assert!(!names.is_empty());
    for name in names {
        // The name column holds the roster's name; the detail quotes the
        // bank's name cut to 200 characters.
        assert!(name.contains('…'), "{}", &name[..100]);
    }
}

/// A quoted cell longer than the cell limit whose quote closes on its own
/// line is that cell over the limit — a BAD_RECORD naming its column —
/// not a quote never closed reported in the row's last column; the rows
/// after it are read.
#[test]
fn a_closed_quoted_cell_over_the_limit_is_a_bad_record_in_its_own_column() {
    let case = shortfall_copy("inputs-long-quoted-cell");
    let payouts = read(&case.join("payouts.csv"));
    let mut lines: Vec<String> = payouts.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let id_column = header
        .iter()
        .position(|name| *name == "payout_id")
        .expect("payout_id");
    let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
    cells[id_column] = format!("\"{}\"", "P".repeat(70_000));
    lines[1] = cells.join(",");
    std::fs::write(case.join("payouts.csv"), lines.join("\n") + "\n").expect("write");
    let out = out_dir("inputs-long-quoted-cell-out");
    // The case's one payout is the bad row: the window is given.
    let run = reconcile(&case, &out, &["--from", "2020-01", "--to", "2020-03"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bad = findings_of(&out, "BAD_RECORD");
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(
        bad[0].contains("column payout_id: ")
            && bad[0].contains("the cell is 70000 bytes long")
            && !bad[0].contains("never closed")
            && bad[0].ends_with("payouts.csv:2"),
        "{}",
        &bad[0][bad[0].len().saturating_sub(400)..]
    );
    assert_eq!(
        report(&out)["files"]["payouts.csv"]["rows"].as_u64(),
        Some(lines.len() as u64 - 1)
    );
}

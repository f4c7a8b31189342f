//! The distributed run's Rust side without Spark: every fixture's files
//! read once for their facts, then again into person rows laid out by the
//! driver's ranges of id_number (each row's bucket naming its partition),
//! each partition sorted by id_number as Spark sorts it, cut into small
//! parts at person boundaries, reconciled by workers and written by the
//! driver in partition order — byte for byte the CLI's outputs. (The
//! Spark runner itself is tested in python/tests/, by `./test`.)

mod common;

use std::path::Path;

use common::{case_arguments, cases, out_dir, reconcile};
use duizhang::distributed::{self, Deduper, Driver, Piece, Row, Worker};
use duizhang::domain::FileKind;

/// One person row as `read_file` hands it out.
type OwnedRow = (String, u8, u64, Vec<u8>);

/// The bucket values of the partitions, in partition order, as the Spark
/// runner finds them (any distinct values: these are out of order on
/// purpose).
const BUCKETS: [i32; 4] = [17, 3, 42, 8];

/// Runs `case` the distributed way into `out`, persons cut into parts of
/// at least `rows_per_part` rows; `Err` with the message a run stops with.
#[allow(dead_code)]
fn run_distributed(case: &Path, out: &Path, rows_per_part: usize) -> Result<(), String> {
    run_distributed_with(case, out, rows_per_part, false, None)
}

/// Dedupers the key rows are spread over, by key, as Spark's shuffle
/// spreads them.
const DEDUPERS: u128 = 3;

/// As [`run_distributed`]; `bom`: the CLI's `--bom`; `split_bytes`: read
/// the stage kinds in pieces as the Spark runner does (each file alone,
/// text files larger than this cut into ranges), else one task per kind.
fn run_distributed_with(
    case: &Path,
    out: &Path,
    rows_per_part: usize,
    bom: bool,
    split_bytes: Option<u64>,
) -> Result<(), String> {
    let args = case_arguments(case);
    let flag = |name: &str| {
        args.iter()
            .position(|arg| arg == name)
            .map(|at| args[at + 1].as_str())
    };
    let (mut driver, _warnings) = Driver::open(
        case,
        out,
        flag("--from"),
        flag("--to"),
        flag("--register").map(Path::new),
        args.iter().any(|arg| arg == "--new-register"),
    )
    .map_err(|error| error.to_string())?;
    driver.set_bom(bom);
    let pieces: Vec<Piece> = match split_bytes {
        None => distributed::FILE_TASKS.map(Piece::Kind).to_vec(),
        Some(split_bytes) => surveyed_pieces(&mut driver, case, split_bytes),
    };
    let mut dedupers: Vec<Deduper> = (0..DEDUPERS).map(|_| Deduper::default()).collect();
    for piece in &pieces {
        let facts = distributed::read_piece(
            case,
            piece,
            None,
            &mut |_, _, _, _| {},
            &mut |tag, key, value| {
                dedupers[(key % DEDUPERS) as usize]
                    .push(tag, key, value)
                    .unwrap()
            },
        );
        driver.add_facts(&facts)?;
    }
    if driver.needs_dedupe() {
        for deduper in dedupers {
            driver.add_deduped(&deduper.finish())?;
        }
    }
    let plan = driver.plan().map_err(|error| error.to_string())?;
    let layout = driver.layout(&BUCKETS);
    let layout = distributed::Layout::decode(&layout)?;
    let worker = Worker::new(case, &plan)?;
    let mut partitions: Vec<Vec<OwnedRow>> = vec![Vec::new(); BUCKETS.len()];
    for piece in &pieces {
        let facts = distributed::read_piece(
            case,
            piece,
            Some(&layout),
            &mut |key, row, position, payload| {
                let bucket = layout.bucket(key);
                let partition = BUCKETS
                    .iter()
                    .position(|value| *value == bucket)
                    .expect("a known bucket");
                partitions[partition].push((key.to_string(), row, position, payload.to_vec()));
            },
            &mut |_, _, _| panic!("key rows come from the first reading only"),
        );
        assert_eq!(distributed::facts_error(&facts), Ok(None));
    }
    for mut rows in partitions {
        // As Spark sorts a partition: by key, then row kind and position.
        rows.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
        let mut start = 0;
        while start < rows.len() {
            let mut end = (start + rows_per_part).min(rows.len());
            while end < rows.len() && rows[end].0 == rows[end - 1].0 {
                end += 1;
            }
            let part: Vec<Row<'_>> = rows[start..end]
                .iter()
                .map(|(key, kind, position, payload)| Row {
                    id_number: key,
                    kind: *kind,
                    position: *position,
                    payload,
                })
                .collect();
            driver
                .add_part(&worker.reconcile(&part)?)
                .map_err(|error| error.to_string())?;
            start = end;
        }
    }
    driver.finish().map_err(|error| error.to_string())?;
    Ok(())
}

/// The pieces the driver cuts the case into once each large text file is
/// surveyed at `split_bytes`, as the Spark runner does.
fn surveyed_pieces(driver: &mut Driver, case: &Path, split_bytes: u64) -> Vec<Piece> {
    for file in driver.to_survey(split_bytes) {
        driver
            .add_survey(&distributed::survey(case, file, split_bytes))
            .unwrap();
    }
    let pieces = driver.pieces();
    pieces
        .iter()
        .map(|piece| Piece::decode(piece).unwrap())
        .collect()
}

fn check(case: &Path, rows_per_part: usize) {
    check_with(case, rows_per_part, None);
}

/// As [`check`], the stage kinds read in pieces of `split_bytes`.
fn check_with(case: &Path, rows_per_part: usize, split_bytes: Option<u64>) {
    let name = format!(
        "distributed-{}-{}-{rows_per_part}-{split_bytes:?}",
        case.parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy(),
        case.file_name().unwrap().to_string_lossy()
    );
    let cli_out = out_dir(&format!("{name}-cli"));
    let out = out_dir(&name);
    let cli = reconcile(case, &cli_out, &[]);
    if case_arguments(case).iter().any(|arg| arg == "--threads") {
        return;
    }
    let result = run_distributed_with(case, &out, rows_per_part, false, split_bytes);
    if cli.code == 2 {
        let message = result.expect_err("the CLI stopped; the distributed run must too");
        let errors: Vec<&str> = cli
            .stderr
            .lines()
            .filter_map(|line| line.strip_prefix("duizhang: error: "))
            .collect();
        assert_eq!(errors, [message.as_str()], "{}", case.display());
        return;
    }
    result.unwrap_or_else(|error| panic!("{}: {error}", case.display()));
    for file in ["findings.csv", "ledger.csv", "summary.csv", "run.json"] {
        assert!(
            std::fs::read(cli_out.join(file)).unwrap() == std::fs::read(out.join(file)).unwrap(),
            "{}: {file} differs from the CLI's",
            case.display()
        );
    }
}

#[test]
fn every_fixture_is_byte_identical_to_the_cli() {
    for group in ["spec-examples", "codes", "rules", "office", "errors"] {
        for case in cases(group) {
            check(&case, 1);
        }
    }
}

/// Every stage kind read in pieces: each file alone, every text file cut
/// into ranges of a record each (split at one byte) or of a few hundred
/// bytes — repeats across pieces, bounds, shared accounts and each file's
/// counts come out as the CLI's.
#[test]
fn every_fixture_read_in_pieces_is_byte_identical_to_the_cli() {
    for group in ["spec-examples", "codes", "rules", "office", "errors"] {
        for case in cases(group) {
            check_with(&case, 1, Some(1));
            check_with(&case, 7, Some(300));
        }
    }
}

#[test]
fn the_demo_in_parts_of_any_size() {
    let demo = common::repository().join("fixtures").join("demo");
    for rows_per_part in [1, 97, 1_000_000] {
        check(&demo, rows_per_part);
    }
    check(
        &common::repository().join("fixtures").join("demo-office"),
        500,
    );
    for split_bytes in [1, 4096, 50_000] {
        check_with(&demo, 1000, Some(split_bytes));
    }
}

/// A copy of the SHORTFALL fixture (to change files in) and a driver that
/// has every file's facts from a first reading.
fn shortfall_copy_read_for_facts(name: &str) -> (std::path::PathBuf, Driver) {
    let case = out_dir(&format!("{name}-case"));
    std::fs::create_dir_all(&case).unwrap();
    let source = common::repository().join("fixtures/codes/SHORTFALL");
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, case.join(path.file_name().unwrap())).unwrap();
    }
    let out = out_dir(&format!("{name}-out"));
    let (mut driver, _) = Driver::open(&case, &out, None, None, None, false).unwrap();
    for kind in distributed::FILE_TASKS {
        let facts = distributed::read_file(&case, kind, None, &mut |_, _, _, _| {});
        driver.add_facts(&facts).unwrap();
    }
    (case, driver)
}

#[test]
fn a_standards_file_changed_after_the_first_pass_stops_the_run() {
    let (case, mut driver) = shortfall_copy_read_for_facts("distributed-changed");
    let plan = driver.plan().unwrap();
    assert!(Worker::new(&case, &plan).is_ok());
    let standards = case.join("standards.csv");
    let mut text = std::fs::read_to_string(&standards).unwrap();
    text.push_str("*,temp,standard,2030-01,1.00\n");
    std::fs::write(&standards, text).unwrap();
    let error = Worker::new(&case, &plan).err().expect("the change is seen");
    assert!(
        error.ends_with(
            "standards.csv: the input changed during the run: its contents are not the same"
        ) || error.contains("its contents are not the same"),
        "{error}"
    );
}

#[test]
fn with_bom_the_distributed_run_writes_the_clis_bytes() {
    let case = common::repository().join("fixtures/spec-examples/case21");
    let cli_out = out_dir("distributed-bom-cli");
    let cli = reconcile(&case, &cli_out, &["--bom"]);
    assert_eq!(cli.code, 0, "{}", cli.stderr);
    let out = out_dir("distributed-bom");
    run_distributed_with(&case, &out, 1, true, None).expect("the distributed run");
    for file in [
        "findings.csv",
        "ledger.csv",
        "summary.csv",
        "register.csv",
        "corrections.csv",
        "run.json",
    ] {
        assert!(
            std::fs::read(cli_out.join(file)).unwrap() == std::fs::read(out.join(file)).unwrap(),
            "{file} differs from the CLI's"
        );
    }
}

/// The rows of `case` per partition of the layout over `buckets`.
fn rows_per_partition(case: &Path, buckets: &[i32]) -> Vec<usize> {
    let out = out_dir("distributed-layout-out");
    let (mut driver, _) = Driver::open(case, &out, None, None, None, false).unwrap();
    for kind in distributed::FILE_TASKS {
        let facts = distributed::read_file(case, kind, None, &mut |_, _, _, _| {});
        driver.add_facts(&facts).unwrap();
    }
    driver.plan().unwrap();
    let layout = distributed::Layout::decode(&driver.layout(buckets)).unwrap();
    let mut counts = vec![0; buckets.len()];
    let mut bucket_of_key = std::collections::HashMap::new();
    for kind in distributed::FILE_TASKS {
        distributed::read_file(case, kind, Some(&layout), &mut |key, _, _, _| {
            let bucket = layout.bucket(key);
            // A person's rows all go to one partition.
            assert_eq!(
                *bucket_of_key.entry(key.to_string()).or_insert(bucket),
                bucket
            );
            counts[buckets.iter().position(|value| *value == bucket).unwrap()] += 1;
        });
    }
    counts
}

#[test]
fn the_ranges_of_persons_hold_about_as_many_rows_each() {
    let demo = common::repository().join("fixtures/demo");
    let counts = rows_per_partition(&demo, &[5, 6, 7, 8]);
    let (least, most) = (*counts.iter().min().unwrap(), *counts.iter().max().unwrap());
    assert!(least > 0, "{counts:?}");
    // Whole persons and a sample of every row: not exact, but even.
    assert!(most * 10 <= least * 13, "{counts:?}");
    // One partition takes every row.
    let total: usize = counts.iter().sum();
    assert_eq!(rows_per_partition(&demo, &[99]), vec![total]);
}

#[test]
fn a_file_changed_between_the_two_readings_stops_the_run() {
    let (case, mut driver) = shortfall_copy_read_for_facts("distributed-reread");
    driver.plan().unwrap();
    let layout = distributed::Layout::decode(&driver.layout(&[1, 2])).unwrap();
    let payouts = case.join("payouts.csv");
    let unchanged = distributed::read_file(
        &case,
        duizhang::domain::FileKind::Payouts,
        Some(&layout),
        &mut |_, _, _, _| {},
    );
    assert_eq!(distributed::facts_error(&unchanged), Ok(None));
    let mut text = std::fs::read_to_string(&payouts).unwrap();
    text.push('\n');
    std::fs::write(&payouts, text).unwrap();
    let mut rows = 0;
    let facts = distributed::read_file(
        &case,
        duizhang::domain::FileKind::Payouts,
        Some(&layout),
        &mut |_, _, _, _| rows += 1,
    );
    let error = distributed::facts_error(&facts)
        .unwrap()
        .expect("the change is seen");
    assert!(
        error.contains("payouts.csv") && error.contains("its contents are not the same"),
        "{error}"
    );
    assert_eq!(rows, 0, "no row of a changed file is handed on");
}

/// A copy of the demo whose stage files are as banks and offices make
/// them: CRLF and CR line ends, a byte-order mark, a name holding a quoted
/// line break, a quote never closed, a record id repeated within a file
/// and across files, a tab-separated file, a GBK file with a byte that is
/// no GBK. Read in pieces of every size, each is the CLI's.
#[test]
fn text_files_cut_into_ranges_read_as_the_cli_reads_them_whole() {
    let case = out_dir("distributed-ranges-case");
    let demo = common::repository().join("fixtures").join("demo");
    copy_folder(&demo, &case);
    let rewrite = |name: &str, change: &dyn Fn(String) -> Vec<u8>| {
        let path = case.join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, change(text)).unwrap();
    };
    rewrite("payouts/2024-01.csv", &|text| {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        // A name with a quoted line break, and a quote never closed.
        lines[3] = lines[3].replacen(",朱涛,", ",\"朱\r\n涛\",", 1);
        lines[6] = lines[6].replacen(",", ",\"", 1);
        // The first row's payout_id again, here and in the next month.
        let repeat = lines[1].clone();
        lines.insert(9, repeat);
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(lines.join("\r\n").into_bytes());
        bytes.extend(b"\r\n");
        bytes
    });
    let first_row = std::fs::read_to_string(case.join("payouts/2024-01.csv"))
        .unwrap()
        .split("\r\n")
        .nth(1)
        .unwrap()
        .to_string();
    rewrite("payouts/2024-03.csv", &|text| {
        format!("{text}{first_row}\n").into_bytes()
    });
    rewrite("allocations.csv", &|text| {
        text.replace('\n', "\r").into_bytes()
    });
    rewrite("payouts/2024-02.csv", &|text| {
        text.replace(',', "\t").into_bytes()
    });
    // GBK with CRLF line ends and a byte that is no GBK in one row: cut
    // into ranges by its decoded text's lines.
    rewrite("transfers.csv", &|text| {
        let mut bytes = encoding_rs::GBK
            .encode(&text.replace('\n', "\r\n"))
            .0
            .into_owned();
        let fourth_row = bytes
            .windows(2)
            .enumerate()
            .filter(|(_, pair)| *pair == b"\r\n")
            .nth(3)
            .map(|(at, _)| at + 2)
            .unwrap();
        bytes.insert(fourth_row + 1, 0xFF);
        bytes
    });
    let cli_out = out_dir("distributed-ranges-cli");
    let cli = reconcile(&case, &cli_out, &[]);
    assert_eq!(cli.code, 0, "{}", cli.stderr);
    let findings = std::fs::read_to_string(cli_out.join("findings.csv")).unwrap();
    assert!(
        findings.contains("DUPLICATE_RECORD"),
        "the repeats are findings"
    );
    assert!(
        findings.contains("BAD_RECORD"),
        "the quote never closed is one"
    );
    // Every stage file is cut, the GBK one too.
    let (mut driver, _) = Driver::open(
        &case,
        &out_dir("distributed-ranges-pieces"),
        None,
        None,
        None,
        false,
    )
    .unwrap();
    let pieces = surveyed_pieces(&mut driver, &case, 100);
    for kind in [FileKind::Allocations, FileKind::Transfers] {
        let ranges = pieces
            .iter()
            .filter(|piece| {
                matches!(piece, Piece::File { range: Some(_), .. }) && piece.kind() == kind
            })
            .count();
        assert!(ranges > 3, "{kind:?} cut into {ranges} ranges");
    }
    for split_bytes in [1, 100, 2_000] {
        let out = out_dir(&format!("distributed-ranges-{split_bytes}"));
        run_distributed_with(&case, &out, 50, false, Some(split_bytes))
            .unwrap_or_else(|error| panic!("split at {split_bytes}: {error}"));
        for file in ["findings.csv", "ledger.csv", "summary.csv", "run.json"] {
            assert!(
                std::fs::read(cli_out.join(file)).unwrap()
                    == std::fs::read(out.join(file)).unwrap(),
                "split at {split_bytes}: {file} differs from the CLI's"
            );
        }
    }
}

/// A range's bytes changed between the survey and a reading stop the run
/// as the CLI says a changed input does.
#[test]
fn a_range_changed_after_the_survey_stops_the_run() {
    let case = out_dir("distributed-range-changed-case");
    copy_folder(&common::repository().join("fixtures").join("demo"), &case);
    let out = out_dir("distributed-range-changed-out");
    let (mut driver, _) = Driver::open(&case, &out, None, None, None, false).unwrap();
    let pieces = surveyed_pieces(&mut driver, &case, 1000);
    let (target, path) = pieces
        .iter()
        .find_map(|piece| match piece {
            Piece::File {
                range: Some((range, _)),
                ..
            } if range.start > range.header_end => Some((piece.clone(), range.start)),
            _ => None,
        })
        .map(|(piece, start)| {
            let path = case.join("allocations.csv");
            let mut bytes = std::fs::read(&path).unwrap();
            // One digit of an amount in the range, same length.
            let at = (start as usize..bytes.len())
                .find(|&at| bytes[at] == b'.')
                .unwrap()
                - 1;
            bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
            (piece, (path, bytes))
        })
        .expect("allocations.csv is cut into ranges");
    let read = || {
        let facts = distributed::read_piece(
            &case,
            &target,
            None,
            &mut |_, _, _, _| {},
            &mut |_, _, _| {},
        );
        distributed::facts_error(&facts).unwrap()
    };
    assert_eq!(read(), None);
    std::fs::write(&path.0, &path.1).unwrap();
    let message = read().expect("an error");
    assert!(
        message.contains("allocations.csv") && message.contains("not the same"),
        "{message}"
    );
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_folder(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// A range of a text file read alone gives the records of its part of the
/// whole file, each on its own line — however many chunks the range is
/// parsed in (a range's chunks count lines from the range's first line,
/// not from its header's).
#[test]
fn a_range_read_alone_keeps_the_lines_of_the_whole_file() {
    use duizhang::read::text::TextRange;
    use duizhang::read::{read_one_file, CaseFolder, ReadOptions};
    let case = common::repository().join("fixtures").join("demo");
    let folder = CaseFolder::open(&case).unwrap();
    let (file, _) = folder.files_of(FileKind::Allocations).next().unwrap();
    let bytes = std::fs::read(case.join("allocations.csv")).unwrap();
    let line_start = |line: usize| {
        bytes
            .iter()
            .enumerate()
            .filter(|(_, byte)| **byte == b'\n')
            .nth(line - 2)
            .map(|(at, _)| at as u64 + 1)
            .unwrap()
    };
    let range = TextRange {
        header_end: line_start(2),
        start: line_start(50),
        end: line_start(400),
        first_line: 50,
        check_rows: false,
        gb18030: false,
        undecodable: false,
    };
    let lines_of = |case: &duizhang::case::Case| -> Vec<(u32, String)> {
        let stage = case.allocations.as_ref().unwrap();
        stage
            .iter()
            .map(|(_, record)| (record.line, stage.record_id(record).to_string()))
            .collect()
    };
    let whole = read_one_file(&folder, file, None, &ReadOptions::default()).unwrap();
    let expected: Vec<(u32, String)> = lines_of(&whole)
        .into_iter()
        .filter(|(line, _)| (50..400).contains(line))
        .collect();
    assert_eq!(expected.len(), 350);
    for chunk_bytes in [64, 1_000, 8 << 20] {
        let options = ReadOptions {
            chunk_bytes,
            ..ReadOptions::default()
        };
        let alone = read_one_file(&folder, file, Some(&range), &options).unwrap();
        assert_eq!(lines_of(&alone), expected, "chunks of {chunk_bytes} bytes");
    }
}

/// A repeat read in one piece whose first occurrence is a row of a
/// workbook read from several sheets, in another piece: its evidence names
/// the sheet (`payouts/a.xlsx:1月:3`), as the CLI's does.
#[test]
fn a_repeat_of_a_row_in_another_pieces_workbook_names_its_sheet() {
    let fixture = common::repository().join("fixtures/office/month_sheets");
    let case = out_dir("distributed-sheet-repeat-case");
    std::fs::create_dir_all(case.join("payouts")).unwrap();
    for name in ["roster.csv", "standards.csv"] {
        std::fs::copy(fixture.join(name), case.join(name)).unwrap();
    }
    std::fs::copy(fixture.join("payouts.xlsx"), case.join("payouts/a.xlsx")).unwrap();
    std::fs::write(
        case.join("payouts/b.csv"),
        "payout_id,id_number,program,period,amount\nP1,110101198001010010,dibao,2020-03,500.00\n",
    )
    .unwrap();
    let cli_out = out_dir("distributed-sheet-repeat-cli");
    reconcile(&case, &cli_out, &[]);
    let findings = std::fs::read_to_string(cli_out.join("findings.csv")).unwrap();
    assert!(
        findings.contains("payouts/a.xlsx:1月:3;payouts/b.csv:2"),
        "{findings}"
    );
    for split_bytes in [1, 10_000] {
        check_with(&case, 1, Some(split_bytes));
    }
}

/// A file read in ranges whose amounts add up to more than one file may
/// hold: each range alone is under the limit, the file is not. The CLI
/// stops with the file's total; so does the run in pieces (before, each
/// range was checked alone and the run went on).
#[test]
fn a_file_over_the_money_limit_stops_the_run_when_read_in_ranges() {
    let case = out_dir("distributed-too-much-money-case");
    copy_folder(&common::repository().join("fixtures").join("demo"), &case);
    let path = case.join("payouts").join("2024-01.csv");
    let mut text = std::fs::read_to_string(&path).unwrap();
    // Rows of the largest amount one cell may hold (10^10 yuan): one more
    // than 10^16 fen takes.
    let rows = usize::try_from(
        duizhang::read::MAX_FILE_TOTAL_FEN / i128::from(duizhang::domain::money::MAX_CELL_FEN),
    )
    .unwrap()
        + 1;
    for number in 0..rows {
        text.push_str(&format!(
            "X{number:09},510104195207030009,dibao,2024-01,10000000000.00,朱涛,6217456427920352,2024-01-04,paid\n"
        ));
    }
    std::fs::write(&path, &text).unwrap();
    let cli = reconcile(&case, &out_dir("distributed-too-much-money-cli"), &[]);
    assert_eq!(cli.code, 2, "{}", cli.stderr);
    assert!(
        cli.stderr.contains("payouts/2024-01.csv"),
        "the CLI names the file: {}",
        cli.stderr
    );
    // About 80 ranges of 10,000 bytes: each far under the limit.
    let pieces = {
        let (mut driver, _) = Driver::open(
            &case,
            &out_dir("distributed-too-much-money-pieces"),
            None,
            None,
            None,
            false,
        )
        .unwrap();
        surveyed_pieces(&mut driver, &case, 10_000)
    };
    let cut = file_number(&case, "payouts/2024-01.csv");
    let ranges = pieces
        .iter()
        .filter(|piece| matches!(piece, Piece::File { file, range: Some(_), .. } if file.0 == cut))
        .count();
    assert!(ranges > 50, "the file is cut into ranges: {ranges}");
    check_with(&case, 1000, Some(10_000));
}

/// The number of the case's file `name` (its place in the folder's list).
fn file_number(case: &Path, name: &str) -> u16 {
    let folder = duizhang::read::CaseFolder::open(case).unwrap();
    let index = folder
        .files()
        .iter()
        .position(|file| file.name.as_str() == name)
        .unwrap();
    u16::try_from(index).unwrap()
}

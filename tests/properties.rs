//! Property tests of the invariants: money is conserved, and neither the
//! thread count nor the order of rows changes the results.

use std::path::Path;

use proptest::prelude::*;

use duizhang::domain::{Money, Period};
use duizhang::engine::{self, Context};
use duizhang::write::{findings_csv, ledger_csv, summary_csv};

const IDS: [&str; 4] = [
    "110101198001010010",
    "110101198001010029",
    "110101198001010037",
    "11010119800101007X",
];
const PROGRAMS: [&str; 4] = ["dibao", "tekun", "temp", "price_subsidy"];
const STATUSES: [&str; 4] = ["paid", "paid", "failed", "returned"];

#[derive(Clone, Debug)]
struct Record {
    person: usize,
    program: usize,
    first_month: u32,
    months: u32,
    fen: i64,
    status: usize,
    day: u32,
}

#[derive(Clone, Debug)]
struct Enrolment {
    person: usize,
    program: usize,
    start: u32,
    length: Option<u32>,
    income_yuan: u32,
    size: u32,
}

fn record() -> impl Strategy<Value = Record> {
    (
        0..4usize,
        0..4usize,
        1..=6u32,
        prop_oneof![4 => Just(1u32), 1 => 2..=3u32],
        1..200_000i64,
        0..4usize,
        1..=28u32,
    )
        .prop_map(
            |(person, program, first_month, months, fen, status, day)| Record {
                person,
                program,
                first_month,
                months,
                fen,
                status,
                day,
            },
        )
}

fn enrolment() -> impl Strategy<Value = Enrolment> {
    (
        0..4usize,
        0..3usize,
        1..=6u32,
        proptest::option::of(0..6u32),
        0..700u32,
        1..=4u32,
    )
        .prop_map(
            |(person, program, start, length, income_yuan, size)| Enrolment {
                person,
                program,
                start,
                length,
                income_yuan,
                size,
            },
        )
}

fn period(month: u32) -> String {
    format!("2020-{month:02}")
}

/// A record's period, or its range when it spans months (capped at December).
fn periods_of(record: &Record) -> String {
    let last = (record.first_month + record.months - 1).min(12);
    if last == record.first_month {
        period(record.first_month)
    } else {
        format!("{}..{}", period(record.first_month), period(last))
    }
}

fn stage_csv(header: &str, records: &[Record], with_extras: bool) -> String {
    let mut text = format!("{header}\n");
    for (index, record) in records.iter().enumerate() {
        let periods = periods_of(record);
        text.push_str(&format!(
            "R{index},{},{},{periods},{}",
            IDS[record.person],
            PROGRAMS[record.program],
            Money::from_fen(record.fen)
        ));
        if with_extras {
            text.push_str(&format!(
                ",2020-{:02}-{:02},{}",
                record.first_month, record.day, STATUSES[record.status]
            ));
        }
        text.push('\n');
    }
    text
}

fn write_case(folder: &Path, enrolments: &[Enrolment], payouts: &[Record], allocations: &[Record]) {
    std::fs::create_dir_all(folder).unwrap();
    let mut roster = String::from("enrolment_id,id_number,name,household_id,region,program,household_size,per_capita_income,deductions,care_level,support_mode,approved_amount,start_period,end_period,account\n");
    for (index, enrolment) in enrolments.iter().enumerate() {
        let end = enrolment
            .length
            .map(|length| period((enrolment.start + length).min(12)))
            .unwrap_or_default();
        let line = match enrolment.program {
            0 => format!(
                "E{index},{},某,,110101,dibao,{},{}.00,,,,,{},{end},",
                IDS[enrolment.person],
                enrolment.size,
                enrolment.income_yuan,
                period(enrolment.start)
            ),
            1 => format!(
                "E{index},{},某,,110101,tekun,,,,semi,,,{},{end},",
                IDS[enrolment.person],
                period(enrolment.start)
            ),
            _ => format!(
                "E{index},{},某,,110101,temp,,,,,,{}.50,{},,",
                IDS[enrolment.person],
                enrolment.income_yuan,
                period(enrolment.start)
            ),
        };
        roster.push_str(&line);
        roster.push('\n');
    }
    std::fs::write(folder.join("roster.csv"), roster).unwrap();
    std::fs::write(
        folder.join("standards.csv"),
        "region,program,item,effective_from,amount\n*,dibao,standard,2020-01,500.00\n*,dibao,standard,2020-04,550.00\n*,dibao,floor,2020-01,30.00\n*,dibao,price_subsidy,2020-01,10.00\n*,tekun,basic,2020-01,800.00\n*,tekun,care_semi,2020-01,300.00\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("payouts.csv"),
        stage_csv(
            "payout_id,id_number,program,period,amount,paid_on,status",
            payouts,
            true,
        ),
    )
    .unwrap();
    std::fs::write(
        folder.join("allocations.csv"),
        stage_csv(
            "allocation_id,id_number,program,period,amount",
            allocations,
            false,
        ),
    )
    .unwrap();
}

/// The three CSV outputs, rendered with `threads` workers.
fn outputs(folder: &Path, threads: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>, engine::Reconciliation) {
    outputs_with(folder, threads, 8 << 20)
}

/// As [`outputs`], stage files parsed in chunks of about `chunk_bytes`.
fn outputs_with(
    folder: &Path,
    threads: usize,
    chunk_bytes: usize,
) -> (Vec<u8>, Vec<u8>, Vec<u8>, engine::Reconciliation) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let options = duizhang::read::ReadOptions {
            chunk_bytes,
            ..duizhang::read::ReadOptions::default()
        };
        let case = duizhang::read::read_case_with(folder, &options).unwrap();
        let window = engine::window(&case, None, None).unwrap();
        let reconciliation = engine::reconcile(&case, window);
        let context = Context::new(&case, window);
        (
            findings_csv(&reconciliation.findings),
            ledger_csv(&context, &reconciliation),
            summary_csv(&context, &reconciliation),
            reconciliation,
        )
    })
}

/// Findings, ledger and row counts of `folder` read in chunks of about
/// `chunk_bytes`; the error's text when it cannot be read or has no window.
fn read_back(folder: &Path, chunk_bytes: usize) -> Result<(Vec<u8>, Vec<u8>, String), String> {
    let options = duizhang::read::ReadOptions {
        chunk_bytes,
        ..duizhang::read::ReadOptions::default()
    };
    let case =
        duizhang::read::read_case_with(folder, &options).map_err(|error| error.to_string())?;
    let window = engine::window(&case, None, None).map_err(|error| error.to_string())?;
    let reconciliation = engine::reconcile(&case, window);
    let counts = format!(
        "{:?}",
        case.files
            .iter()
            .map(|(kind, report)| (*kind, report.rows, report.bad, report.duplicate))
            .collect::<Vec<_>>()
    );
    Ok((
        findings_csv(&reconciliation.findings),
        ledger_csv(&Context::new(&case, window), &reconciliation),
        counts,
    ))
}

/// Bytes that trouble a CSV reader: quotes, separators, line ends of every
/// kind, control characters, a C1 control, bytes that are not UTF-8.
const MANGLES: [&[u8]; 12] = [
    b"\"",
    b",",
    b"\n",
    b"\r",
    b"\r\n",
    b"\t",
    b"\x00",
    b"\x07",
    "\u{85}".as_bytes(),
    b"\xff",
    b"\xd5\xc5",
    b"\"\"",
];

fn folder(name: &str) -> std::path::PathBuf {
    let folder = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&folder);
    folder
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Σ P over the ledger equals the paid in-window payouts, computed here
    /// independently of the engine; likewise Σ A.
    #[test]
    fn money_is_conserved(
        enrolments in proptest::collection::vec(enrolment(), 0..6),
        payouts in proptest::collection::vec(record(), 1..14),
        allocations in proptest::collection::vec(record(), 0..8),
    ) {
        let case = folder("property-conservation");
        write_case(&case, &enrolments, &payouts, &allocations);
        let (_, _, _, reconciliation) = outputs(&case, 1);
        let window = reconciliation.window;
        let inside = |record: &Record| {
            let first = Period::from_year_month(2020, record.first_month).unwrap();
            let last = Period::from_year_month(2020, (record.first_month + record.months - 1).min(12)).unwrap();
            window.first <= first && last <= window.last
        };
        let paid: i64 = payouts.iter().filter(|record| inside(record) && STATUSES[record.status] == "paid").map(|record| record.fen).sum();
        let allocated: i64 = allocations.iter().filter(|record| inside(record)).map(|record| record.fen).sum();
        let ledger_paid: i64 = reconciliation.lines.iter().map(|line| line.figures().paid.fen()).sum();
        let ledger_allocated: i64 = reconciliation.lines.iter().map(|line| line.figures().allocated.unwrap_or_default().fen()).sum();
        prop_assert_eq!(ledger_paid, paid);
        prop_assert_eq!(ledger_allocated, allocated);
        // Every ledger line has money or an entitlement to show.
        for line in reconciliation.lines.iter() {
            let figures = line.figures();
            prop_assert!(figures.expected != Some(Money::ZERO) || !figures.paid.is_zero()
                || !figures.allocated.unwrap_or_default().is_zero());
        }
    }

    /// One thread or two: the same bytes.
    #[test]
    fn thread_count_is_invisible(
        enrolments in proptest::collection::vec(enrolment(), 0..6),
        payouts in proptest::collection::vec(record(), 1..14),
        allocations in proptest::collection::vec(record(), 0..6),
    ) {
        let case = folder("property-threads");
        write_case(&case, &enrolments, &payouts, &allocations);
        let one = outputs(&case, 1);
        let two = outputs(&case, 2);
        prop_assert_eq!(&one.0, &two.0);
        prop_assert_eq!(&one.1, &two.1);
        prop_assert_eq!(&one.2, &two.2);
        // Parsing in chunks of a few rows changes nothing either.
        let chunked = outputs_with(&case, 2, 64);
        prop_assert_eq!(&one.0, &chunked.0);
        prop_assert_eq!(&one.1, &chunked.1);
        prop_assert_eq!(&one.2, &chunked.2);
    }

    /// Reversing the payout rows changes line numbers only: the ledger is
    /// identical and so are the findings once sources and details are set aside.
    #[test]
    fn row_order_is_invisible(
        enrolments in proptest::collection::vec(enrolment(), 0..6),
        payouts in proptest::collection::vec(record(), 1..14),
    ) {
        let forward = folder("property-order-forward");
        let backward = folder("property-order-backward");
        write_case(&forward, &enrolments, &payouts, &[]);
        let mut reversed = payouts.clone();
        reversed.reverse();
        // Keep each record's id with the record, so only the order changes.
        write_case(&backward, &enrolments, &[], &[]);
        let mut text = String::from("payout_id,id_number,program,period,amount,paid_on,status\n");
        let forward_text = stage_csv("payout_id,id_number,program,period,amount,paid_on,status", &payouts, true);
        let mut lines: Vec<&str> = forward_text.lines().skip(1).collect();
        lines.reverse();
        text.push_str(&lines.join("\n"));
        text.push('\n');
        std::fs::write(backward.join("payouts.csv"), text).unwrap();
        let one = outputs(&forward, 1);
        let two = outputs(&backward, 1);
        prop_assert_eq!(&one.1, &two.1);
        prop_assert_eq!(&one.2, &two.2);
        let strip = |findings: &[duizhang::domain::Finding]| {
            let mut rows: Vec<String> = findings.iter().map(|finding| {
                format!("{}|{}|{:?}|{:?}|{}|{:?}|{:?}|{:?}|{:?}", finding.code.name(), finding.id_number, finding.program,
                    finding.period, finding.account, finding.amount, finding.figures, finding.stage, finding.cause)
            }).collect();
            rows.sort();
            rows
        };
        prop_assert_eq!(strip(&one.3.findings), strip(&two.3.findings));
    }

    /// Stray quotes, separators, line ends, control characters and bytes
    /// that are not UTF-8, anywhere in payouts.csv: the run never panics,
    /// and chunks of a few bytes read the file exactly as one chunk does.
    #[test]
    fn mangled_files_read_alike_in_any_chunking(
        payouts in proptest::collection::vec(record(), 1..10),
        mangles in proptest::collection::vec((0..1000usize, 0..MANGLES.len()), 0..12),
        chunk_bytes in 1..64usize,
    ) {
        let case = folder("property-mangled");
        write_case(&case, &[], &payouts, &[]);
        let path = case.join("payouts.csv");
        let mut bytes = std::fs::read(&path).unwrap();
        for (place, mangle) in mangles {
            let at = place % (bytes.len() + 1);
            bytes.splice(at..at, MANGLES[mangle].iter().copied());
        }
        std::fs::write(&path, &bytes).unwrap();
        let whole = read_back(&case, 8 << 20);
        let chunked = read_back(&case, chunk_bytes);
        prop_assert_eq!(&whole, &chunked);
        if whole.is_ok() {
            // run.json asserts every row is accounted for.
            let case_read = duizhang::read::read_case(&case).unwrap();
            let window = engine::window(&case_read, None, None).unwrap();
            let mut reconciliation = engine::reconcile(&case_read, window);
            let out = folder("property-mangled-out");
            let out_dir = duizhang::write::OutDir::prepare(&out).unwrap();
            let mut sink = duizhang::write::OutputSink::create(out_dir, &case_read, &reconciliation, None, None, false).unwrap();
            sink.add(&case_read, &reconciliation).unwrap();
            sink.finish(std::mem::take(&mut reconciliation.findings)).unwrap();
            let findings = std::fs::read(out.join("findings.csv")).unwrap();
            prop_assert!(!findings.contains(&0), "a NUL byte reached findings.csv");
        }
    }
}

/// A richer case for the partitioned-run property: shared accounts,
/// repeated record ids, transfers, back-pay ranges, exclusions and the
/// local rules of SPEC v2 (tiers, top-ups, phase-out, grace after a death).
#[derive(Clone, Debug)]
struct RichRecord {
    record: Record,
    /// Index into a small pool: several persons share some accounts.
    account: usize,
    /// Repeat the id of the record before (a DUPLICATE_RECORD).
    repeat_id: bool,
}

fn rich_record() -> impl Strategy<Value = RichRecord> {
    (
        record(),
        0..5usize,
        prop_oneof![9 => Just(false), 1 => Just(true)],
    )
        .prop_map(|(record, account, repeat_id)| RichRecord {
            record,
            account,
            repeat_id,
        })
}

#[derive(Clone, Debug)]
struct RichEnrolment {
    enrolment: Enrolment,
    household: usize,
    /// 0: none, 1: tier a, 2: categories, 3: both.
    rules: usize,
    phase_out_from: Option<u32>,
}

fn rich_enrolment() -> impl Strategy<Value = RichEnrolment> {
    (
        enrolment(),
        0..3usize,
        0..4usize,
        proptest::option::of(1..=8u32),
    )
        .prop_map(
            |(enrolment, household, rules, phase_out_from)| RichEnrolment {
                enrolment,
                household,
                rules,
                phase_out_from,
            },
        )
}

const ACCOUNTS: [&str; 5] = ["6217000011", "6217000022", "6217 0000 33", "", "6217000011"];

fn rich_stage_csv(header: &str, records: &[RichRecord], payouts: bool) -> String {
    let mut text = format!("{header}\n");
    let mut id = 0;
    for record in records {
        if !record.repeat_id || id == 0 {
            id += 1;
        }
        let inner = &record.record;
        let periods = periods_of(inner);
        text.push_str(&format!(
            "R{id},{},{},{periods},{}",
            IDS[inner.person],
            PROGRAMS[inner.program],
            Money::from_fen(inner.fen)
        ));
        let date = format!("2020-{:02}-{:02}", inner.first_month, inner.day);
        if payouts {
            text.push_str(&format!(
                ",{date},{},某,{}",
                STATUSES[inner.status], ACCOUNTS[record.account]
            ));
        } else {
            text.push_str(&format!(",{date}"));
        }
        text.push('\n');
    }
    text
}

fn write_rich_case(
    folder: &Path,
    enrolments: &[RichEnrolment],
    payouts: &[RichRecord],
    transfers: &[RichRecord],
    deaths: &[(usize, u32)],
) {
    std::fs::create_dir_all(folder).unwrap();
    let mut roster = String::from("enrolment_id,id_number,name,household_id,region,program,household_size,per_capita_income,deductions,care_level,support_mode,approved_amount,start_period,end_period,account,tier,categories,phase_out_from\n");
    for (index, rich) in enrolments.iter().enumerate() {
        let enrolment = &rich.enrolment;
        let end = enrolment
            .length
            .map(|length| period((enrolment.start + length).min(12)))
            .unwrap_or_default();
        let id = IDS[enrolment.person];
        let household = format!("H{}", rich.household);
        let account = ACCOUNTS[(enrolment.person + rich.household) % ACCOUNTS.len()];
        let line = match enrolment.program {
            0 => {
                let tier = if rich.rules & 1 == 1 { "a" } else { "" };
                let categories = if rich.rules & 2 == 2 {
                    ["elderly", "elderly+ill", "ill;elderly", "ill"]
                        [(enrolment.size as usize - 1) % 4]
                } else {
                    ""
                };
                let categories = if categories.contains(';') && enrolment.size < 2 {
                    "ill"
                } else {
                    categories
                };
                let phase_out = rich
                    .phase_out_from
                    .filter(|from| *from >= enrolment.start)
                    .map(period)
                    .unwrap_or_default();
                format!(
                    "E{index},{id},某,{household},110101,dibao,{},{}.00,,,,,{},{end},{account},{tier},{categories},{phase_out}",
                    enrolment.size,
                    enrolment.income_yuan,
                    period(enrolment.start)
                )
            }
            1 => format!(
                "E{index},{id},某,{household},110101,tekun,,,,semi,,,{},{end},{account},,,",
                period(enrolment.start)
            ),
            _ => format!(
                "E{index},{id},某,{household},110101,temp,,,,,,{}.50,{},,{account},,,",
                enrolment.income_yuan,
                period(enrolment.start)
            ),
        };
        roster.push_str(&line);
        roster.push('\n');
    }
    std::fs::write(folder.join("roster.csv"), roster).unwrap();
    std::fs::write(
        folder.join("standards.csv"),
        "region,program,item,effective_from,amount\n*,dibao,standard,2020-01,500.00\n*,dibao,standard,2020-04,550.00\n*,dibao,floor,2020-01,1/10\n*,dibao,tier_a,2020-01,70%\n*,dibao,topup_elderly,2020-01,10%\n*,dibao,topup_ill,2020-03,1/6\n*,dibao,price_subsidy,2020-01,2%\n*,tekun,basic,2020-01,130%\n*,tekun,min_wage,2020-01,1800.00\n*,tekun,care_semi,2020-01,1/6\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("policy.toml"),
        "phase_out_months = 2\ndeceased_grace_months = 2\ntopup_stacking = \"sum\"\nitem_rounding = \"jiao\"\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("payouts.csv"),
        rich_stage_csv(
            "payout_id,id_number,program,period,amount,paid_on,status,name,account",
            payouts,
            true,
        ),
    )
    .unwrap();
    std::fs::write(
        folder.join("transfers.csv"),
        rich_stage_csv(
            "transfer_id,id_number,program,period,amount,transferred_on",
            transfers,
            false,
        ),
    )
    .unwrap();
    let mut exclusions = String::from("id_number,reason,from_period\n");
    for (person, month) in deaths {
        exclusions.push_str(&format!("{},deceased,{}\n", IDS[*person], period(*month)));
    }
    std::fs::write(folder.join("exclusions.csv"), exclusions).unwrap();
}

/// `duizhang reconcile CASE --out OUT EXTRA…`; the exit status.
fn run_binary(case: &Path, out: &Path, extra: &[&str]) -> (i32, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_duizhang"))
        .arg("reconcile")
        .arg(case)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// A run cut into partitions of persons (a tiny --memory-limit) writes
    /// the same four files, byte for byte, as a run in memory.
    #[test]
    fn partitioned_runs_are_in_memory_runs(
        enrolments in proptest::collection::vec(rich_enrolment(), 0..7),
        payouts in proptest::collection::vec(rich_record(), 1..16),
        transfers in proptest::collection::vec(rich_record(), 0..10),
        deaths in proptest::collection::vec((0..4usize, 1..=12u32), 0..3),
    ) {
        let case = folder("property-partitions-case");
        write_rich_case(&case, &enrolments, &payouts, &transfers, &deaths);
        let whole = folder("property-partitions-whole");
        let parts = folder("property-partitions-parts");
        let (code, said) = run_binary(&case, &whole, &[]);
        prop_assert_eq!(code, 0, "{}", said);
        let (code, said) = run_binary(&case, &parts, &["--memory-limit", "1K"]);
        prop_assert_eq!(code, 0, "{}", said);
        prop_assert!(said.contains("按人分"), "not partitioned: {}", said);
        for file in ["findings.csv", "ledger.csv", "summary.csv", "run.json"] {
            let a = std::fs::read(whole.join(file)).unwrap();
            let b = std::fs::read(parts.join(file)).unwrap();
            prop_assert!(a == b, "{} differs between in-memory and partitioned runs", file);
        }
    }
}

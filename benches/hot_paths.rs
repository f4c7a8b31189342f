//! Criterion benches of the hot paths: reading (CSV → records), the
//! entitlement arithmetic, range settlement, and reconciliation of a whole
//! generated county. End-to-end figures against DuckDB: benches/compare.py
//! and BENCHMARKS.md.
//!
//! Run: `cargo bench --bench hot_paths`.

use std::hint::black_box;

/// The allocator the binary runs with: figures of allocation-heavy paths
/// (the register) are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use duizhang::domain::{Amount, Item, Money, Period, Rounding, Share};
use duizhang::engine::standards::StandardsTable;

/// A generated county of `households`, written once per bench run.
fn county(households: u64) -> std::path::PathBuf {
    let folder = std::env::temp_dir().join(format!("duizhang-bench-{households}"));
    if !folder.join("payouts.csv").exists() {
        let config = duizhang::generate::GenerateConfig {
            households,
            seed: 11,
            year: 2024,
            anomaly_per_mille: 50,
            // A folder left half-written by a bench stopped early.
            force: true,
            v3: false,
        };
        duizhang::generate::generate(&folder, &config).expect("generate the bench case");
    }
    folder
}

fn reading(c: &mut Criterion) {
    let folder = county(5_000);
    let bytes = duizhang::read::input_bytes(&folder);
    let mut group = c.benchmark_group("read");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(20);
    group.bench_function("read_case 5k households", |b| {
        b.iter(|| black_box(duizhang::read::read_case(&folder).expect("reads")))
    });
    group.finish();
}

fn reconciling(c: &mut Criterion) {
    let folder = county(5_000);
    let case = duizhang::read::read_case(&folder).expect("reads");
    let window = duizhang::engine::window(&case, None, None).expect("a window");
    let records: usize = [&case.payouts]
        .into_iter()
        .chain(case.allocations.as_ref())
        .chain(case.transfers.as_ref())
        .map(|file| file.len())
        .sum();
    let mut group = c.benchmark_group("reconcile");
    group.throughput(Throughput::Elements(records as u64));
    group.sample_size(20);
    group.bench_function("reconcile 5k households", |b| {
        b.iter(|| black_box(duizhang::engine::reconcile(&case, window)))
    });
    group.finish();
}

fn standard_row(item: Item, name: &str, amount: Amount) -> duizhang::case::StandardRow {
    duizhang::case::StandardRow {
        source: duizhang::domain::Source::new(duizhang::domain::FileKind::Standards, 2),
        region: "".into(),
        program: duizhang::domain::Program::Dibao,
        item,
        name: name.into(),
        effective_from: Period::from_year_month(2020, 1).expect("a period"),
        amount,
    }
}

fn arithmetic(c: &mut Criterion) {
    let mut enrolment = duizhang::case::Enrolment {
        source: duizhang::domain::Source::new(duizhang::domain::FileKind::Roster, 2),
        person: duizhang::case::PersonId(0),
        enrolment_id: "D1".into(),
        name: "冯一".into(),
        household_id: "".into(),
        region: "510104001001".into(),
        program: duizhang::domain::Program::Dibao,
        household_size: 3,
        per_capita_income: Money::from_fen(25_000),
        deductions: Money::from_fen(9_000),
        care_level: None,
        centralized: false,
        approved_amount: Money::ZERO,
        start: Period::from_year_month(2020, 1).expect("a period"),
        end: None,
        phase_out_from: None,
        last_covered: None,
        account: "".into(),
        local_rules: None,
    };
    let share = |text: &str| Amount::Share(Share::parse(text).expect("a share").expect("a share"));
    let table = StandardsTable::new(
        &[
            standard_row(Item::Standard, "", Amount::Money(Money::from_fen(65_000))),
            standard_row(Item::Floor, "", Amount::Money(Money::from_fen(6_000))),
            standard_row(Item::Tier, "b", share("70%")),
            standard_row(Item::Topup, "elderly70", share("10%")),
            standard_row(Item::Topup, "disabled", share("1/6")),
        ],
        Rounding::Fen,
    );
    let region = table.resolve("510104001001");
    let policy = duizhang::case::Policy {
        rounding: Rounding::Yuan,
        ..duizhang::case::Policy::default()
    };
    let month = Period::from_year_month(2024, 7).expect("a period");
    c.bench_function("dibao_entitlement", |b| {
        b.iter(|| {
            duizhang::engine::entitlement::dibao_entitlement(
                black_box(&enrolment),
                &table.in_force(&region, black_box(month)),
                &policy,
            )
        })
    });
    enrolment.local_rules = Some(Box::new(duizhang::case::LocalRules {
        tier: Some("b".into()),
        members: vec![
            vec!["elderly70".into(), "disabled".into()],
            vec!["elderly70".into()],
        ],
    }));
    c.bench_function("dibao_entitlement tier and top-ups (derived)", |b| {
        b.iter(|| {
            duizhang::engine::entitlement::dibao_entitlement(
                black_box(&enrolment),
                &table.in_force(&region, black_box(month)),
                &policy,
            )
        })
    });
    let expected = [Money::from_fen(129_000); 12];
    let applied = [Money::from_fen(114_000); 12];
    c.bench_function("settle_range 12 months", |b| {
        b.iter(|| {
            duizhang::engine::settle::settle_range(
                black_box(Money::from_fen(180_000)),
                &expected,
                &applied,
            )
        })
    });
    c.bench_function("Money::parse", |b| {
        b.iter(|| Money::parse(black_box("1290.50")))
    });
}

/// A register.csv of `items` items as an office keeps it: every status,
/// the office's four columns filled in.
fn register_text(items: u32) -> Vec<u8> {
    let mut text = String::from("item,status,code,severity,id_number,name,region,program,period,amount,first_found,last_found,due,closed_in,reopened,key,整改措施,责任人,追回金额,备注\n");
    for number in 0..items {
        let month = number % 12 + 1;
        let id_number = format!("1101011972{:08}", number);
        let (status, closed_in) = match number % 3 {
            0 => ("open", ""),
            1 => ("overdue", ""),
            _ => ("closed", "2024-12"),
        };
        text.push_str(&format!(
            "2024{month:02}-{:04},{status},MISSING_PAYMENT,high,{id_number},孙{number},110101001001,dibao,2024-{month:02},500.00,2024-{month:02},2024-{month:02},2025-{month:02},{closed_in},0,OUTCOME|{id_number}|dibao|2024-{month:02},补发,张会计,100.00,\n",
            number / 12 + 1
        ));
    }
    text.into_bytes()
}

fn register(c: &mut Criterion) {
    use duizhang::domain::Format;
    let bytes = register_text(50_000);
    let label = Period::parse("2024-12").expect("a period");
    let window = duizhang::domain::PeriodRange {
        first: Period::parse("2024-01").expect("a period"),
        last: label,
    };
    let mut group = c.benchmark_group("register");
    group.throughput(Throughput::Elements(50_000));
    group.sample_size(20);
    // The bar: a register of 50,000 items read and written in
    // under 0.3 s — read, carried on by a run that found nothing, written.
    group.bench_function("read, carry and write 50k items", |b| {
        b.iter(|| {
            let earlier = duizhang::read::register::parse_register(
                "register.csv",
                Format::Csv,
                bytes.clone(),
            )
            .expect("reads");
            let (next, _) = duizhang::engine::register::next_register(
                Some(earlier),
                Vec::new(),
                label,
                window,
                2,
            );
            black_box(duizhang::write::register::register_csv(&next, label))
        })
    });
    group.finish();
}

criterion_group!(benches, reading, reconciling, arithmetic, register);
criterion_main!(benches);

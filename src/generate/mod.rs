//! `duizhang generate`: a realistic synthetic county case in SPEC format,
//! with anomalies of every finding kind at a chosen rate. Deterministic for a
//! seed (its own SplitMix64, so the output never changes with a dependency).
//!
//! Households are written as they are made, so memory stays flat at any size.

mod people;

use std::io::{BufWriter, Write};
use std::path::Path;

use crate::domain::{Money, Period};
use crate::error::FatalError;
use people::{id_number, person_name, Random};

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenerateConfig {
    pub households: u64,
    pub seed: u64,
    pub year: u32,
    /// Share of households given one anomaly, 0–1, in thousandths.
    pub anomaly_per_mille: u32,
}

/// What was written, for the terminal.
#[derive(Debug, Default)]
pub struct GenerateSummary {
    pub persons: u64,
    pub rows: [u64; 7],
    pub anomalies: u64,
}

const FILES: [&str; 7] = [
    "roster.csv",
    "standards.csv",
    "allocations.csv",
    "transfers.csv",
    "payouts.csv",
    "exclusions.csv",
    "relatives.csv",
];
const ROSTER: usize = 0;
const STANDARDS: usize = 1;
const ALLOCATIONS: usize = 2;
const TRANSFERS: usize = 3;
const PAYOUTS: usize = 4;
const EXCLUSIONS: usize = 5;
const RELATIVES: usize = 6;

/// The kinds of anomaly planted; each leads to one or more finding codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Anomaly {
    MissingPayment,
    Shortfall,
    Overpayment,
    DuplicatePayment,
    PaidAfterExit,
    PaidNotEnrolled,
    PaidToExcluded,
    NoStandard,
    AllocationShort,
    TransferShort,
    PayoutShort,
    DuplicateEnrolment,
    IncomeAboveStandard,
    UnfiledRelative,
    SharedAccount,
    AccountMismatch,
    NameMismatch,
    LatePayment,
    InvalidId,
    DuplicateRecord,
    BadRecord,
    NoBackPay,
}

const ANOMALIES: [Anomaly; 22] = [
    Anomaly::MissingPayment,
    Anomaly::Shortfall,
    Anomaly::Overpayment,
    Anomaly::DuplicatePayment,
    Anomaly::PaidAfterExit,
    Anomaly::PaidNotEnrolled,
    Anomaly::PaidToExcluded,
    Anomaly::NoStandard,
    Anomaly::AllocationShort,
    Anomaly::TransferShort,
    Anomaly::PayoutShort,
    Anomaly::DuplicateEnrolment,
    Anomaly::IncomeAboveStandard,
    Anomaly::UnfiledRelative,
    Anomaly::SharedAccount,
    Anomaly::AccountMismatch,
    Anomaly::NameMismatch,
    Anomaly::LatePayment,
    Anomaly::InvalidId,
    Anomaly::DuplicateRecord,
    Anomaly::BadRecord,
    Anomaly::NoBackPay,
];

/// Standards of the generated county (yuan): the dibao standard is raised
/// from July, decided in September, and back-paid as a range in September.
const DIBAO_STANDARD: i64 = 60_000;
const DIBAO_STANDARD_RAISED: i64 = 65_000;
const DIBAO_FLOOR: i64 = 6_000;
const DIBAO_PRICE_SUBSIDY: i64 = 1_550;
const TEKUN_BASIC: i64 = 80_000;
const TEKUN_BASIC_TOWN_ONE: i64 = 85_000;
const TEKUN_CARE: [i64; 3] = [10_000, 30_000, 60_000];
const TEKUN_PRICE_SUBSIDY: i64 = 2_000;
const RAISE_MONTH: u32 = 7;
/// The price-linkage subsidy (价格临时补贴) is paid only in months when the
/// CPI trigger is on: here January–March and November–December.
const SUBSIDY_MONTHS: [(u32, bool); 3] = [(1, true), (4, false), (11, true)];

fn subsidy_active(month: u32) -> bool {
    SUBSIDY_MONTHS
        .iter()
        .rev()
        .find(|(from, _)| *from <= month)
        .is_some_and(|(_, active)| *active)
}
const BACK_PAY_MONTH: u32 = 9;

const COUNTY: &str = "510104";
const TOWNS: u32 = 5;
const VILLAGES_PER_TOWN: u32 = 8;
/// Outside the county's standards: enrolments here have NO_STANDARD.
const FOREIGN_REGION: &str = "520102003004";

struct Writers {
    files: Vec<BufWriter<std::fs::File>>,
    rows: [u64; 7],
}

impl Writers {
    fn row(&mut self, file: usize, text: std::fmt::Arguments<'_>) -> std::io::Result<()> {
        self.rows[file] += 1;
        self.files[file].write_fmt(text)?;
        self.files[file].write_all(b"\n")
    }
}

/// One beneficiary as the generator plans them.
struct Plan {
    id: String,
    name: String,
    household_id: String,
    region: String,
    account: String,
    household_size: i64,
    income_fen: i64,
    deductions_fen: i64,
    care: usize,
    centralized: bool,
    start: u32,
    end: Option<u32>,
}

fn money(fen: i64) -> Money {
    Money::from_fen(fen)
}

impl Plan {
    fn dibao_fen(&self, standard: i64) -> i64 {
        let gap = self.household_size * (standard - self.income_fen) + self.deductions_fen;
        if gap <= 0 {
            0
        } else {
            gap.max(self.household_size * DIBAO_FLOOR)
        }
    }

    fn tekun_fen(&self) -> i64 {
        let basic = if self.region.starts_with(&format!("{COUNTY}001")) {
            TEKUN_BASIC_TOWN_ONE
        } else {
            TEKUN_BASIC
        };
        basic + TEKUN_CARE[self.care]
    }
}

pub fn generate(folder: &Path, config: &GenerateConfig) -> Result<GenerateSummary, FatalError> {
    let output_error = |path: &Path| {
        let location = crate::error::Location::path(path);
        move |source| FatalError::Output { location, source }
    };
    std::fs::create_dir_all(folder).map_err(output_error(folder))?;
    let mut files = Vec::new();
    for name in FILES {
        let path = folder.join(name);
        files.push(BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(&path).map_err(output_error(&path))?,
        ));
    }
    let mut writers = Writers {
        files,
        rows: [0; 7],
    };
    let mut summary = GenerateSummary::default();
    write_case(&mut writers, config, &mut summary).map_err(output_error(folder))?;
    for file in &mut writers.files {
        file.flush().map_err(output_error(folder))?;
    }
    let policy = folder.join("policy.toml");
    std::fs::write(
        &policy,
        "# Generated policy: the defaults, written out.\npayment_deadline_day = 10\nrounding = \"fen\"\ntolerance = \"0.00\"\nexclusive = [[\"dibao\", \"tekun\"]]\n",
    )
    .map_err(output_error(&policy))?;
    // Header rows are not data rows.
    summary.rows = writers.rows.map(|rows| rows - 1);
    Ok(summary)
}

fn write_case(
    out: &mut Writers,
    config: &GenerateConfig,
    summary: &mut GenerateSummary,
) -> std::io::Result<()> {
    let year = config.year;
    let period =
        |month: u32| Period::from_year_month(year, month).expect("generated months are periods");
    let mut random = Random::new(config.seed);

    out.row(ROSTER, format_args!("enrolment_id,id_number,name,household_id,region,program,household_size,per_capita_income,deductions,care_level,support_mode,approved_amount,start_period,end_period,account"))?;
    out.row(
        STANDARDS,
        format_args!("region,program,item,effective_from,amount"),
    )?;
    out.row(
        ALLOCATIONS,
        format_args!("allocation_id,id_number,program,period,amount"),
    )?;
    out.row(
        TRANSFERS,
        format_args!("transfer_id,id_number,program,period,amount,transferred_on"),
    )?;
    out.row(
        PAYOUTS,
        format_args!("payout_id,id_number,program,period,amount,name,account,paid_on,status"),
    )?;
    out.row(EXCLUSIONS, format_args!("id_number,reason,from_period"))?;
    out.row(
        RELATIVES,
        format_args!("id_number,staff_name,relation,filed"),
    )?;

    let first = period(1);
    let raise = period(RAISE_MONTH);
    for (region, program, item, from, fen) in [
        ("*", "dibao", "standard", first, DIBAO_STANDARD - 5_000),
        (COUNTY, "dibao", "standard", first, DIBAO_STANDARD),
        (COUNTY, "dibao", "standard", raise, DIBAO_STANDARD_RAISED),
        (COUNTY, "dibao", "floor", first, DIBAO_FLOOR),
        ("*", "tekun", "basic", first, TEKUN_BASIC),
        (
            &format!("{COUNTY}001"),
            "tekun",
            "basic",
            first,
            TEKUN_BASIC_TOWN_ONE,
        ),
        (COUNTY, "tekun", "care_self", first, TEKUN_CARE[0]),
        (COUNTY, "tekun", "care_semi", first, TEKUN_CARE[1]),
        (COUNTY, "tekun", "care_full", first, TEKUN_CARE[2]),
    ] {
        out.row(
            STANDARDS,
            format_args!("{region},{program},{item},{from},{}", money(fen)),
        )?;
    }
    for (month, active) in SUBSIDY_MONTHS {
        for (program, fen) in [
            ("dibao", DIBAO_PRICE_SUBSIDY),
            ("tekun", TEKUN_PRICE_SUBSIDY),
        ] {
            let amount = if active { fen } else { 0 };
            let from = period(month);
            out.row(
                STANDARDS,
                format_args!("{COUNTY},{program},price_subsidy,{from},{}", money(amount)),
            )?;
        }
    }

    let mut record = 0u64;
    let mut next_id = |prefix: char| {
        record += 1;
        format!("{prefix}{record:09}")
    };
    let mut previous_account = String::new();
    let mut person_sequence = 0u64;
    let months_in_year = 12;

    for household in 0..config.households {
        let town = 1 + random.below(u64::from(TOWNS)) as u32;
        let village = 1 + random.below(u64::from(VILLAGES_PER_TOWN)) as u32;
        let anomaly = if random.below(1000) < u64::from(config.anomaly_per_mille) {
            // Round robin, so every kind appears once in each 22 anomalies.
            let kind = ANOMALIES[(summary.anomalies % ANOMALIES.len() as u64) as usize];
            summary.anomalies += 1;
            Some(kind)
        } else {
            None
        };
        let mut region = format!("{COUNTY}{town:03}{village:03}");
        if anomaly == Some(Anomaly::NoStandard) {
            region = FOREIGN_REGION.to_string();
        }
        person_sequence += 1;
        let mut id = id_number(&mut random, &region[..6], person_sequence);
        if anomaly == Some(Anomaly::InvalidId) {
            // Same digits, wrong check character.
            let last = id.pop().expect("18 characters");
            id.push(if last == '0' { '1' } else { '0' });
        }
        let name = person_name(&mut random);
        let kind = random.below(100);
        let (program, household_size) = match kind {
            0..=69 => ("dibao", 1 + random.below(5) as i64),
            70..=89 => ("tekun", 1),
            _ => ("temp", 1),
        };
        // Planted anomalies sit on dibao households (tekun for NO_STANDARD:
        // the foreign region has a dibao standard but no tekun care standard),
        // so each one shows up as the finding it is meant to cause.
        let (program, household_size) = match anomaly {
            Some(Anomaly::NoStandard) => ("tekun", 1),
            Some(_) => ("dibao", household_size.max(1)),
            None => (program, household_size),
        };
        let start_month = if random.below(10) == 0 {
            1 + random.below(6) as u32
        } else {
            1
        };
        let mut plan = Plan {
            id: id.clone(),
            name: name.clone(),
            household_id: format!("H{household:08}"),
            region: region.clone(),
            account: format!("6217{:012}", random.below(1_000_000_000_000)),
            household_size: if program == "dibao" {
                household_size
            } else {
                1
            },
            income_fen: random.below(45) as i64 * 1_000,
            deductions_fen: if random.below(4) == 0 {
                random.below(20) as i64 * 500
            } else {
                0
            },
            care: random.below(3) as usize,
            centralized: program == "tekun" && random.below(8) == 0,
            start: start_month,
            end: None,
        };
        if plan.centralized {
            plan.account = format!("INST{town:03}");
            plan.name = format!(
                "{}镇敬老院",
                ["城关", "东山", "西河", "南坝", "北岭"][(town - 1) as usize]
            );
        }
        if anomaly == Some(Anomaly::IncomeAboveStandard) {
            plan.income_fen = DIBAO_STANDARD + 5_000;
        }
        if anomaly == Some(Anomaly::PaidAfterExit) {
            plan.end = Some(8);
        }
        if anomaly == Some(Anomaly::SharedAccount) && !previous_account.is_empty() {
            plan.account = previous_account.clone();
        }
        if !plan.centralized {
            previous_account = plan.account.clone();
        }
        summary.persons += 1;

        let temp_amount = 50_000 + random.below(20) as i64 * 10_000;
        let temp_month = 1 + random.below(12) as u32;
        let enrolment_id = next_id('E');
        if anomaly != Some(Anomaly::PaidNotEnrolled) {
            let (size, income, deductions, care, mode, approved, start) = match program {
                "dibao" => (
                    plan.household_size.to_string(),
                    money(plan.income_fen).to_string(),
                    if plan.deductions_fen > 0 {
                        money(plan.deductions_fen).to_string()
                    } else {
                        String::new()
                    },
                    String::new(),
                    String::new(),
                    String::new(),
                    period(plan.start),
                ),
                "tekun" => (
                    String::new(),
                    String::new(),
                    String::new(),
                    ["self", "semi", "full"][plan.care].to_string(),
                    if plan.centralized {
                        "centralized"
                    } else {
                        "dispersed"
                    }
                    .to_string(),
                    String::new(),
                    period(plan.start),
                ),
                _ => (
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    money(temp_amount).to_string(),
                    period(temp_month),
                ),
            };
            let end = plan
                .end
                .map(|month| period(month).to_string())
                .unwrap_or_default();
            let amount_cell = if anomaly == Some(Anomaly::BadRecord) && program == "dibao" {
                // A typing slip: the income has a thousands separator.
                "\"1,200.00\"".to_string()
            } else {
                income.clone()
            };
            out.row(
                ROSTER,
                format_args!(
                    "{enrolment_id},{},{},{},{},{program},{size},{amount_cell},{deductions},{care},{mode},{approved},{start},{end},{}",
                    plan.id, plan.name, plan.household_id, plan.region, plan.account
                ),
            )?;
            if anomaly == Some(Anomaly::DuplicateEnrolment) {
                out.row(
                    ROSTER,
                    format_args!(
                        "{},{},{},{},{},dibao,{size},{amount_cell},{deductions},,,,{},,{}",
                        next_id('E'),
                        plan.id,
                        plan.name,
                        plan.household_id,
                        plan.region,
                        period(6),
                        plan.account
                    ),
                )?;
            }
            if anomaly == Some(Anomaly::DuplicateRecord) {
                // The same enrolment keyed in twice.
                out.row(
                    ROSTER,
                    format_args!(
                        "{enrolment_id},{},{},{},{},{program},{size},{income},{deductions},{care},{mode},{approved},{start},{end},{}",
                        plan.id, plan.name, plan.household_id, plan.region, plan.account
                    ),
                )?;
            }
        }
        if anomaly == Some(Anomaly::UnfiledRelative) || random.below(200) == 0 {
            let filed = if anomaly == Some(Anomaly::UnfiledRelative) {
                "no"
            } else {
                "yes"
            };
            let staff = person_name(&mut random);
            out.row(
                RELATIVES,
                format_args!(
                    "{},{staff},{},{filed}",
                    plan.id,
                    ["配偶", "子女", "兄弟姐妹", "父母"][random.below(4) as usize]
                ),
            )?;
        }
        let excluded_from = (anomaly == Some(Anomaly::PaidToExcluded)).then_some(10);
        if let Some(month) = excluded_from {
            out.row(
                EXCLUSIONS,
                format_args!("{},deceased,{}", plan.id, period(month)),
            )?;
        }

        // The money trail, month by month.
        let months: Vec<u32> = match program {
            "temp" => vec![temp_month],
            _ => (plan.start..=months_in_year).collect(),
        };
        let anomaly_month = 2 + random.below(10) as u32;
        for &month in &months {
            let this = period(month);
            let (expected, old_expected) = match program {
                "dibao" => {
                    let standard = if month >= RAISE_MONTH {
                        DIBAO_STANDARD_RAISED
                    } else {
                        DIBAO_STANDARD
                    };
                    (plan.dibao_fen(standard), plan.dibao_fen(DIBAO_STANDARD))
                }
                "tekun" => (plan.tekun_fen(), plan.tekun_fen()),
                _ => (temp_amount, temp_amount),
            };
            let expected = if anomaly == Some(Anomaly::IncomeAboveStandard) {
                30_000
            } else {
                expected
            };
            let old_expected = if anomaly == Some(Anomaly::IncomeAboveStandard) {
                30_000
            } else {
                old_expected
            };
            // Before the raise was decided (September) months were paid at the old standard.
            let decided = !(RAISE_MONTH..BACK_PAY_MONTH).contains(&month);
            let mut paid = if decided { expected } else { old_expected };
            let mut allocated = paid;
            let mut transferred = paid;
            let at_anomaly = month == anomaly_month || (program == "temp" && month == temp_month);
            let mut skip_payout = false;
            let mut extra_payout = false;
            let mut late = false;
            let mut account = plan.account.clone();
            let mut bank_name = plan.name.clone();
            if at_anomaly {
                match anomaly {
                    Some(Anomaly::MissingPayment) => skip_payout = true,
                    Some(Anomaly::Shortfall) => paid -= paid / 4,
                    Some(Anomaly::Overpayment) => paid += 10_000,
                    Some(Anomaly::DuplicatePayment) => extra_payout = true,
                    Some(Anomaly::AllocationShort) => {
                        allocated -= 5_000.min(allocated / 2);
                        transferred = allocated;
                        paid = allocated;
                    }
                    Some(Anomaly::TransferShort) => {
                        transferred -= 5_000.min(transferred / 2);
                        paid = transferred;
                    }
                    Some(Anomaly::PayoutShort) => paid -= 3_000.min(paid / 2),
                    Some(Anomaly::AccountMismatch) if !plan.centralized => {
                        account = format!("6228{:012}", random.below(1_000_000_000_000))
                    }
                    Some(Anomaly::NameMismatch) if !plan.centralized => {
                        bank_name = person_name(&mut random)
                    }
                    Some(Anomaly::LatePayment) => late = true,
                    _ => {}
                }
            }
            if paid <= 0 {
                continue;
            }
            out.row(
                ALLOCATIONS,
                format_args!(
                    "{},{},{program},{this},{}",
                    next_id('A'),
                    plan.id,
                    money(allocated)
                ),
            )?;
            out.row(
                TRANSFERS,
                format_args!(
                    "{},{},{program},{this},{},{year}-{month:02}-01",
                    next_id('T'),
                    plan.id,
                    money(transferred)
                ),
            )?;
            if !skip_payout {
                let day = 3 + random.below(6);
                let paid_on = if late {
                    format!("{year}-{month:02}-25")
                } else {
                    format!("{year}-{month:02}-{day:02}")
                };
                let payout_id = next_id('P');
                out.row(
                    PAYOUTS,
                    format_args!(
                        "{payout_id},{},{program},{this},{},{bank_name},{account},{paid_on},paid",
                        plan.id,
                        money(paid)
                    ),
                )?;
                if extra_payout {
                    out.row(
                        PAYOUTS,
                        format_args!(
                            "{},{},{program},{this},{},{bank_name},{account},{paid_on},paid",
                            next_id('P'),
                            plan.id,
                            money(paid)
                        ),
                    )?;
                }
                if anomaly == Some(Anomaly::DuplicateRecord) && at_anomaly {
                    out.row(PAYOUTS, format_args!("{payout_id},{},{program},{this},{},{bank_name},{account},{paid_on},paid", plan.id, money(paid)))?;
                }
                if anomaly == Some(Anomaly::BadRecord) && at_anomaly {
                    out.row(
                        PAYOUTS,
                        format_args!(
                            "{},{},{program},{this},{}.005,{bank_name},{account},{paid_on},paid",
                            next_id('P'),
                            plan.id,
                            paid / 100
                        ),
                    )?;
                }
                if random.below(50) == 0 {
                    // A transfer the bank bounced, then paid again: no finding.
                    out.row(
                        PAYOUTS,
                        format_args!(
                            "{},{},{program},{this},{},{bank_name},{account},{paid_on},failed",
                            next_id('P'),
                            plan.id,
                            money(paid)
                        ),
                    )?;
                }
            }
            if program != "temp" && subsidy_active(month) {
                let subsidy = match program {
                    "dibao" if expected > 0 && anomaly != Some(Anomaly::IncomeAboveStandard) => {
                        DIBAO_PRICE_SUBSIDY * plan.household_size
                    }
                    "dibao" => 0,
                    _ => TEKUN_PRICE_SUBSIDY,
                };
                if subsidy > 0 && plan.region != FOREIGN_REGION {
                    out.row(
                        ALLOCATIONS,
                        format_args!(
                            "{},{},price_subsidy,{this},{}",
                            next_id('A'),
                            plan.id,
                            money(subsidy)
                        ),
                    )?;
                    out.row(
                        TRANSFERS,
                        format_args!(
                            "{},{},price_subsidy,{this},{},{year}-{month:02}-01",
                            next_id('T'),
                            plan.id,
                            money(subsidy)
                        ),
                    )?;
                    out.row(
                        PAYOUTS,
                        format_args!("{},{},price_subsidy,{this},{},{bank_name},{account},{year}-{month:02}-05,paid", next_id('P'), plan.id, money(subsidy)),
                    )?;
                }
            }
        }
        // Back-pay of the raise for July and August, as one range record.
        if program == "dibao"
            && anomaly != Some(Anomaly::NoBackPay)
            && anomaly != Some(Anomaly::IncomeAboveStandard)
        {
            let covered: Vec<u32> = (RAISE_MONTH..BACK_PAY_MONTH)
                .filter(|month| months.contains(month))
                .collect();
            let back_pay: i64 = covered
                .iter()
                .map(|_| plan.dibao_fen(DIBAO_STANDARD_RAISED) - plan.dibao_fen(DIBAO_STANDARD))
                .sum();
            if back_pay > 0 {
                let range = format!(
                    "{}..{}",
                    period(covered[0]),
                    period(*covered.last().expect("not empty"))
                );
                out.row(
                    ALLOCATIONS,
                    format_args!(
                        "{},{},dibao,{range},{}",
                        next_id('A'),
                        plan.id,
                        money(back_pay)
                    ),
                )?;
                out.row(
                    TRANSFERS,
                    format_args!(
                        "{},{},dibao,{range},{},{year}-{BACK_PAY_MONTH:02}-15",
                        next_id('T'),
                        plan.id,
                        money(back_pay)
                    ),
                )?;
                out.row(
                    PAYOUTS,
                    format_args!(
                        "{},{},dibao,{range},{},{},{},{year}-{BACK_PAY_MONTH:02}-20,paid",
                        next_id('P'),
                        plan.id,
                        money(back_pay),
                        plan.name,
                        plan.account
                    ),
                )?;
            }
        }
    }
    Ok(())
}

//! A household's money trail: each month's allocation, transfer and payout
//! with its price subsidy, the anomaly planted in its month, and the
//! back-pay of the raise as one range record per stage.

use std::fmt::Display;
use std::io;

use super::anomaly::Anomaly;
use super::county::{County, Knowledge, BACK_PAY_MONTH, RAISE_MONTH};
use super::files::{CaseFiles, RecordIds};
use super::household::Household;
use super::people::{person_name, Random};
use crate::domain::{FileKind, Money, PeriodRange, Program};

/// One month's amounts at the three stages, and how the bank paid.
struct MonthTrail {
    allocated: Money,
    transferred: Money,
    paid: Money,
    bank_name: String,
    account: String,
    skip_payout: bool,
    pay_twice: bool,
    repeat_payout_id: bool,
    /// v3: the payout exported again in the next month's bank file.
    re_export: bool,
    bad_amount: bool,
    late: bool,
}

/// The month as the office ran it: the amount due as it knew the
/// standards, changed by the anomaly planted in this month, if any.
fn run_month(household: &Household, due: Money, month: u32, random: &mut Random) -> MonthTrail {
    let mut trail = MonthTrail {
        allocated: due,
        transferred: due,
        paid: due,
        bank_name: household.bank_name.clone(),
        account: household.account.clone(),
        skip_payout: false,
        pay_twice: false,
        repeat_payout_id: false,
        re_export: false,
        bad_amount: false,
        late: false,
    };
    let anomaly = match household.anomaly {
        Some(anomaly) if month == household.anomaly_month => anomaly,
        _ => return trail,
    };
    let part = |amount: Money, fen: i64| Money::from_fen(fen.min(amount.fen() / 2));
    match anomaly {
        Anomaly::MissingPayment => trail.skip_payout = true,
        Anomaly::Shortfall => trail.paid -= Money::from_fen(due.fen() / 4),
        Anomaly::Overpayment => trail.paid += Money::from_yuan(100),
        Anomaly::DuplicatePayment => trail.pay_twice = true,
        Anomaly::AllocationShort => {
            trail.allocated -= part(due, 5_000);
            trail.transferred = trail.allocated;
            trail.paid = trail.allocated;
        }
        Anomaly::TransferShort => {
            trail.transferred -= part(due, 5_000);
            trail.paid = trail.transferred;
        }
        Anomaly::PayoutShort => trail.paid -= part(due, 3_000),
        Anomaly::AccountMismatch if !household.centralized => {
            trail.account = format!("6228{:012}", random.below(1_000_000_000_000));
        }
        Anomaly::NameMismatch if !household.centralized => trail.bank_name = person_name(random),
        Anomaly::LatePayment => trail.late = true,
        Anomaly::DuplicateRecord => trail.repeat_payout_id = true,
        Anomaly::ReExported => trail.re_export = true,
        Anomaly::BadRecord => trail.bad_amount = true,
        _ => {}
    }
    trail
}

/// Whom the bank credits: its name and account.
struct Payee<'a> {
    name: &'a str,
    account: &'a str,
}

/// The records of one person, program and period (or range of periods).
struct LineRecords<'a> {
    out: &'a mut CaseFiles,
    ids: &'a mut RecordIds,
    person: &'a str,
    program: Program,
    period: PeriodRange,
    /// The month the bank paid in (1–12): with `--v3`, the payout file the
    /// rows go to.
    bank_month: u32,
}

impl LineRecords<'_> {
    /// An allocation and a transfer.
    fn stages(&mut self, allocated: Money, transferred: Money, on: &str) -> io::Result<()> {
        let (person, program, period) = (self.person, self.program.name(), self.period);
        let allocation_id = self.ids.next('A');
        self.out.row(
            FileKind::Allocations,
            format_args!("{allocation_id},{person},{program},{period},{allocated}"),
        )?;
        let transfer_id = self.ids.next('T');
        self.out.row(
            FileKind::Transfers,
            format_args!("{transfer_id},{person},{program},{period},{transferred},{on}"),
        )
    }

    /// A new payout of `amount`, paid; returns its id.
    fn pay(
        &mut self,
        amount: &dyn Display,
        payee: &Payee<'_>,
        paid_on: &str,
    ) -> io::Result<String> {
        self.pay_with_status(amount, payee, paid_on, "paid")
    }

    fn pay_with_status(
        &mut self,
        amount: &dyn Display,
        payee: &Payee<'_>,
        paid_on: &str,
        status: &str,
    ) -> io::Result<String> {
        let payout_id = self.ids.next('P');
        self.payout(&payout_id, amount, payee, paid_on, status)?;
        Ok(payout_id)
    }

    fn payout(
        &mut self,
        payout_id: &str,
        amount: &dyn Display,
        payee: &Payee<'_>,
        paid_on: &str,
        status: &str,
    ) -> io::Result<()> {
        let (person, program, period) = (self.person, self.program.name(), self.period);
        let (name, account) = (payee.name, payee.account);
        self.out.payout(
            self.bank_month,
            format_args!(
                "{payout_id},{person},{program},{period},{amount},{name},{account},{paid_on},{status}"
            ),
        )
    }
}

/// Writes `month` of a household's benefit and its price subsidy.
pub fn write_month(
    out: &mut CaseFiles,
    ids: &mut RecordIds,
    random: &mut Random,
    county: &County,
    household: &Household,
    month: u32,
) -> io::Result<()> {
    let due = household.amount(county, month, Knowledge::WhenPaid);
    let trail = run_month(household, due, month, random);
    if !trail.paid.is_positive() {
        return Ok(());
    }
    let period = county.period(month);
    let transferred_on = format!("{period}-01");
    let mut records = LineRecords {
        out,
        ids,
        person: &household.id,
        program: household.program,
        period: PeriodRange::single(period),
        bank_month: month,
    };
    records.stages(trail.allocated, trail.transferred, &transferred_on)?;
    if !trail.skip_payout {
        write_payouts(&mut records, random, &trail)?;
    }
    if household.program == Program::Temp || household.is_foreign() {
        return Ok(());
    }
    let subsidy = household.price_subsidy(county, month, Knowledge::WhenPaid);
    if subsidy.is_positive() {
        records.program = Program::PriceSubsidy;
        records.stages(subsidy, subsidy, &transferred_on)?;
        let payee = Payee {
            name: &trail.bank_name,
            account: &trail.account,
        };
        records.pay(&subsidy, &payee, &format!("{period}-05"))?;
    }
    Ok(())
}

/// The month's benefit payout, and those the anomaly adds: the same line
/// paid twice, the same payout keyed twice, a slip of three decimals; now
/// and then a transfer the bank bounced (then paid): no finding.
fn write_payouts(
    records: &mut LineRecords<'_>,
    random: &mut Random,
    trail: &MonthTrail,
) -> io::Result<()> {
    let period = records.period.first;
    let day = 3 + random.below(6);
    let paid_on = match trail.late {
        true => format!("{period}-25"),
        false => format!("{period}-{day:02}"),
    };
    let payee = Payee {
        name: &trail.bank_name,
        account: &trail.account,
    };
    let paid = &trail.paid;
    let payout_id = records.pay(paid, &payee, &paid_on)?;
    if trail.pay_twice {
        records.pay(paid, &payee, &paid_on)?;
    }
    if trail.repeat_payout_id {
        records.payout(&payout_id, paid, &payee, &paid_on, "paid")?;
    }
    if trail.re_export {
        // The same row again, in the next month's file: the bank's export
        // of that month overlapped the one before.
        let month = records.bank_month;
        records.bank_month = month + 1;
        records.payout(&payout_id, paid, &payee, &paid_on, "paid")?;
        records.bank_month = month;
    }
    if trail.bad_amount {
        let slip = format!("{}.005", trail.paid.fen() / 100);
        records.pay(&slip, &payee, &paid_on)?;
    }
    if random.below(50) == 0 {
        records.pay_with_status(paid, &payee, &paid_on, "failed")?;
    }
    Ok(())
}

/// The raise decided in September, back-paid for the months paid before
/// at the old standards: one range record per stage, the sum of each
/// month's difference, so every month of it comes out exact.
pub fn write_back_pay(
    out: &mut CaseFiles,
    ids: &mut RecordIds,
    county: &County,
    household: &Household,
) -> io::Result<()> {
    let forgotten = matches!(
        household.anomaly,
        Some(Anomaly::NoBackPay | Anomaly::IncomeAboveStandard)
    );
    if household.program == Program::Temp || forgotten {
        return Ok(());
    }
    let paid = household.paid_months();
    let months: Vec<u32> = (RAISE_MONTH..BACK_PAY_MONTH)
        .filter(|month| paid.contains(month) && household.is_due(*month, &county.policy))
        .collect();
    let (Some(&first), Some(&last)) = (months.first(), months.last()) else {
        return Ok(());
    };
    assert_eq!(
        months.len() as u32,
        last - first + 1,
        "back-paid months run on"
    );
    let back_pay: Money = months
        .iter()
        .map(|&month| {
            household.amount(county, month, Knowledge::Final)
                - household.amount(county, month, Knowledge::WhenPaid)
        })
        .sum();
    if !back_pay.is_positive() {
        return Ok(());
    }
    let decided = county.period(BACK_PAY_MONTH);
    let mut records = LineRecords {
        out,
        ids,
        person: &household.id,
        program: household.program,
        period: PeriodRange {
            first: county.period(first),
            last: county.period(last),
        },
        bank_month: BACK_PAY_MONTH,
    };
    records.stages(back_pay, back_pay, &format!("{decided}-15"))?;
    let payee = Payee {
        name: &household.bank_name,
        account: &household.account,
    };
    records.pay(&back_pay, &payee, &format!("{decided}-20"))?;
    Ok(())
}

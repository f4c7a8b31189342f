//! The money to put right (SPEC v3 §6 corrections.csv): per person and
//! program, the back-pay owed (补发: the E of every MISSING_PAYMENT line,
//! the E − P of every SHORTFALL line) and the money to recover (追缴: the
//! outcome amounts of OVERPAYMENT, PAID_TO_EXCLUDED, PAID_AFTER_EXIT and
//! PAID_NOT_ENROLLED lines, but not a line whose roster row could not be
//! read: it waits for the row to be corrected). Pure: made from the run's
//! line outcomes, so every run mode gives the same.

use crate::domain::{Cause, Code, Finding, Money, Period, PeriodRange, Program};

/// 补发 or 追缴.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CorrectionKind {
    Backpay,
    Recover,
}

impl CorrectionKind {
    pub fn name(self) -> &'static str {
        match self {
            CorrectionKind::Backpay => "backpay",
            CorrectionKind::Recover => "recover",
        }
    }

    pub fn chinese(self) -> &'static str {
        match self {
            CorrectionKind::Backpay => "补发",
            CorrectionKind::Recover => "追缴",
        }
    }

    /// The kind of money a line outcome asks to put right, if any.
    pub fn of(finding: &Finding) -> Option<CorrectionKind> {
        match finding.code {
            Code::MissingPayment | Code::Shortfall => Some(CorrectionKind::Backpay),
            Code::Overpayment | Code::PaidToExcluded => Some(CorrectionKind::Recover),
            Code::PaidAfterExit | Code::PaidNotEnrolled
                if finding.cause != Some(Cause::RosterRowUnreadable) =>
            {
                Some(CorrectionKind::Recover)
            }
            _ => None,
        }
    }
}

/// One row of corrections.csv.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Correction {
    pub kind: CorrectionKind,
    pub id_number: Box<str>,
    /// Of the finding on the latest line.
    pub name: Box<str>,
    pub region: Box<str>,
    pub program: Program,
    /// The lines' months as runs of consecutive months.
    pub periods: Vec<PeriodRange>,
    pub lines: usize,
    pub amount: Money,
    /// Back-pay: the account of the enrolment the latest line's finding
    /// names its person by (spaces removed); empty for recovery.
    pub account: Box<str>,
}

/// The corrections of a run's findings (any order), sorted by (kind,
/// region, id_number, program); only rows with an amount above 0.
pub fn corrections_of(findings: &[Finding]) -> Vec<Correction> {
    let mut lines: Vec<(CorrectionKind, &Finding)> = findings
        .iter()
        .filter_map(|finding| {
            let kind = CorrectionKind::of(finding)?;
            let period = finding.period?;
            debug_assert!(period.is_single(), "a line outcome is of one month");
            Some((kind, finding))
        })
        .collect();
    lines.sort_by(|(kind_a, a), (kind_b, b)| {
        (kind_a, &a.id_number, a.program, a.period.map(|p| p.first)).cmp(&(
            kind_b,
            &b.id_number,
            b.program,
            b.period.map(|p| p.first),
        ))
    });
    let mut corrections = Vec::new();
    for group in lines.chunk_by(|(kind_a, a), (kind_b, b)| {
        kind_a == kind_b && a.id_number == b.id_number && a.program == b.program
    }) {
        let (kind, latest) = *group.last().expect("a group holds a line");
        let amount = group
            .iter()
            .map(|(_, finding)| finding.amount.unwrap_or(Money::ZERO))
            .fold(Money::ZERO, |sum, amount| sum + amount);
        if !amount.is_positive() {
            continue;
        }
        let months: Vec<Period> = group
            .iter()
            .filter_map(|(_, finding)| finding.period.map(|period| period.first))
            .collect();
        corrections.push(Correction {
            kind,
            id_number: latest.id_number.clone(),
            name: latest.name.clone(),
            region: latest.region.clone(),
            program: latest.program.expect("a line outcome has a program"),
            periods: runs(&months),
            lines: group.len(),
            amount,
            account: match kind {
                CorrectionKind::Backpay => latest.label_account.clone(),
                CorrectionKind::Recover => Box::from(""),
            },
        });
    }
    corrections.sort_by(|a, b| {
        (a.kind, &a.region, &a.id_number, a.program).cmp(&(
            b.kind,
            &b.region,
            &b.id_number,
            b.program,
        ))
    });
    corrections
}

/// Sorted distinct months as runs of consecutive months.
fn runs(months: &[Period]) -> Vec<PeriodRange> {
    let mut runs: Vec<PeriodRange> = Vec::new();
    for &month in months {
        match runs.last_mut() {
            Some(run) if run.last == month => {}
            Some(run) if run.last.next() == month => run.last = month,
            _ => runs.push(PeriodRange::single(month)),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(code: Code, id: &str, period: &str, amount: i64) -> Finding {
        let mut finding = Finding::new(code, id);
        finding.program = Some(Program::Dibao);
        finding.period = PeriodRange::parse(period).ok();
        finding.amount = Some(Money::from_yuan(amount));
        finding.region = "110101".into();
        finding.label_account = "6222".into();
        finding
    }

    #[test]
    fn back_pay_and_recovery_per_person_and_program_in_runs_of_months() {
        let mut unreadable = line(Code::PaidNotEnrolled, "B", "2024-02", 70);
        unreadable.cause = Some(Cause::RosterRowUnreadable);
        let findings = vec![
            line(Code::MissingPayment, "A", "2024-01", 500),
            line(Code::Shortfall, "A", "2024-02", 50),
            line(Code::MissingPayment, "A", "2024-04", 500),
            line(Code::Overpayment, "A", "2024-05", 20),
            line(Code::PaidToExcluded, "A", "2024-06", 500),
            line(Code::DuplicatePayment, "A", "2024-06", 500),
            line(Code::AllocationMismatch, "A", "2024-06", 500),
            unreadable,
            line(Code::PaidAfterExit, "B", "2024-03", 30),
        ];
        let corrections = corrections_of(&findings);
        assert_eq!(corrections.len(), 3);
        let backpay = &corrections[0];
        assert_eq!(backpay.kind, CorrectionKind::Backpay);
        assert_eq!(backpay.amount, Money::from_yuan(1050));
        assert_eq!(backpay.lines, 3);
        assert_eq!(
            backpay.periods,
            vec![
                PeriodRange::parse("2024-01..2024-02").expect("a range"),
                PeriodRange::parse("2024-04").expect("a month")
            ]
        );
        assert_eq!(&*backpay.account, "6222");
        let recover_a = &corrections[1];
        assert_eq!(
            (
                recover_a.kind,
                recover_a.amount,
                recover_a.lines,
                &*recover_a.account
            ),
            (CorrectionKind::Recover, Money::from_yuan(520), 2, "")
        );
        // B: the unreadable roster row's line waits; the other is recovered.
        let recover_b = &corrections[2];
        assert_eq!(
            (recover_b.amount, recover_b.lines),
            (Money::from_yuan(30), 1)
        );
    }
}

//! What a line's figures mean (SPEC §5): its outcome, the amount at stake,
//! where a shortfall began and why, and the money-trail mismatches. Each
//! rule is one pure function of the line's facts; `person` turns the
//! verdicts into findings with names, regions and sources.

use super::ledger::LineStatus;
use crate::domain::{Cause, Code, LineFigures, Money, Period, Stage};

/// What the outcome of one line depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineFacts {
    pub covered: bool,
    pub excluded: bool,
    /// `None`: a required standard is not in force (NO_STANDARD).
    pub expected: Option<Money>,
    pub paid: Money,
    /// The person held an enrolment serving this program that ended
    /// before the line's month (PAID_AFTER_EXIT rather than NOT_ENROLLED).
    pub exited_before: bool,
}

/// SPEC §5's line outcome, chosen in its order: the ledger status, and the
/// outcome finding's code when there is one (an excluded line that was not
/// paid is `excluded` without a finding).
pub fn line_outcome(facts: LineFacts, tolerance: Money) -> (LineStatus, Option<Code>) {
    let paid = facts.paid;
    if facts.excluded && paid.is_positive() {
        return (LineStatus::Excluded, Some(Code::PaidToExcluded));
    }
    if !facts.covered && paid.is_positive() {
        return if facts.exited_before {
            (LineStatus::AfterExit, Some(Code::PaidAfterExit))
        } else {
            (LineStatus::NotEnrolled, Some(Code::PaidNotEnrolled))
        };
    }
    if facts.excluded {
        return (LineStatus::Excluded, None);
    }
    if !facts.covered {
        return (LineStatus::Ok, None);
    }
    match facts.expected {
        None => (LineStatus::NoStandard, Some(Code::NoStandard)),
        Some(expected) if expected.is_positive() && paid.is_zero() => {
            (LineStatus::Missing, Some(Code::MissingPayment))
        }
        Some(expected) if paid.is_positive() && paid < expected - tolerance => {
            (LineStatus::Shortfall, Some(Code::Shortfall))
        }
        Some(expected) if paid > expected + tolerance => {
            (LineStatus::Over, Some(Code::Overpayment))
        }
        Some(_) => (LineStatus::Ok, None),
    }
}

/// The first stage that fell short (MISSING_PAYMENT, SHORTFALL): a stage
/// whose file was not given is `None` and is passed over.
pub fn short_stage(
    expected: Money,
    allocated: Option<Money>,
    transferred: Option<Money>,
    tolerance: Money,
) -> Stage {
    if allocated.is_some_and(|allocated| allocated < expected - tolerance) {
        return Stage::Allocation;
    }
    let allocated_or_expected = allocated.unwrap_or(expected);
    if transferred
        .is_some_and(|transferred| transferred < allocated_or_expected.min(expected) - tolerance)
    {
        return Stage::Transfer;
    }
    Stage::Payout
}

/// `standard_raise_not_applied` (SPEC §5): walking back q = m − 1, m − 2, …,
/// E recomputed with every standards look-up made for q (`expected_at`)
/// first differs from E at m; the cause holds when that E is known and the
/// payment matches it within the tolerance. `starts` are the months, latest
/// first and none after m, where some look-up can change: E is constant
/// between them, so only the month before each needs computing.
pub fn raise_cause(
    period: Period,
    paid: Money,
    tolerance: Money,
    starts: impl Iterator<Item = Period>,
    expected_at: impl Fn(Period) -> Option<Money>,
) -> Option<Cause> {
    let current = expected_at(period)?;
    for start in starts {
        debug_assert!(start <= period, "starts run back from the line's month");
        let earlier = start.previous()?;
        match expected_at(earlier) {
            None => return None,
            Some(expected) if expected != current => {
                return ((paid - expected).abs() <= tolerance)
                    .then_some(Cause::StandardRaiseNotApplied);
            }
            Some(_) => {}
        }
    }
    None
}

/// ALLOCATION_MISMATCH: A − E beyond the tolerance (E = 0 when not covered
/// or excluded); no verdict for an unknown E or without allocations.csv.
pub fn allocation_mismatch(figures: LineFigures, tolerance: Money) -> Option<(Code, Money)> {
    let difference = figures.allocated? - figures.expected?;
    (difference.abs() > tolerance).then_some((Code::AllocationMismatch, difference))
}

/// TRANSFER_MISMATCH: T − A beyond the tolerance; both files given.
pub fn transfer_mismatch(figures: LineFigures, tolerance: Money) -> Option<(Code, Money)> {
    let difference = figures.transferred? - figures.allocated?;
    (difference.abs() > tolerance).then_some((Code::TransferMismatch, difference))
}

/// PAYOUT_MISMATCH: P − T beyond the tolerance; transfers.csv given.
pub fn payout_mismatch(figures: LineFigures, tolerance: Money) -> Option<(Code, Money)> {
    let difference = figures.paid - figures.transferred?;
    (difference.abs() > tolerance).then_some((Code::PayoutMismatch, difference))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yuan(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn period(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    fn facts(covered: bool, excluded: bool, expected: Option<&str>, paid: &str) -> LineFacts {
        LineFacts {
            covered,
            excluded,
            expected: expected.map(yuan),
            paid: yuan(paid),
            exited_before: false,
        }
    }

    #[test]
    fn outcomes_follow_the_spec_order() {
        let zero = Money::ZERO;
        let outcome = |facts| line_outcome(facts, zero);
        // Excluded and paid wins over everything, covered or not.
        assert_eq!(
            outcome(facts(false, true, Some("0"), "10")),
            (LineStatus::Excluded, Some(Code::PaidToExcluded))
        );
        assert_eq!(
            outcome(facts(true, true, Some("0"), "0")),
            (LineStatus::Excluded, None)
        );
        let mut after = facts(false, false, Some("0"), "10");
        assert_eq!(
            outcome(after),
            (LineStatus::NotEnrolled, Some(Code::PaidNotEnrolled))
        );
        after.exited_before = true;
        assert_eq!(
            outcome(after),
            (LineStatus::AfterExit, Some(Code::PaidAfterExit))
        );
        assert_eq!(
            outcome(facts(true, false, None, "10")),
            (LineStatus::NoStandard, Some(Code::NoStandard))
        );
        assert_eq!(
            outcome(facts(true, false, Some("100"), "0")),
            (LineStatus::Missing, Some(Code::MissingPayment))
        );
        assert_eq!(
            outcome(facts(true, false, Some("100"), "60")),
            (LineStatus::Shortfall, Some(Code::Shortfall))
        );
        assert_eq!(
            outcome(facts(true, false, Some("100"), "160")),
            (LineStatus::Over, Some(Code::Overpayment))
        );
        assert_eq!(
            outcome(facts(true, false, Some("100"), "100")),
            (LineStatus::Ok, None)
        );
    }

    #[test]
    fn tolerance_bounds_are_inclusive_and_missing_is_literal() {
        let tolerance = yuan("1.00");
        let outcome = |paid| line_outcome(facts(true, false, Some("100"), paid), tolerance).0;
        assert_eq!(outcome("99.00"), LineStatus::Ok);
        assert_eq!(outcome("98.99"), LineStatus::Shortfall);
        assert_eq!(outcome("101.00"), LineStatus::Ok);
        assert_eq!(outcome("101.01"), LineStatus::Over);
        // MISSING_PAYMENT ignores the tolerance: E > 0 and nothing paid.
        let small = line_outcome(facts(true, false, Some("0.50"), "0"), tolerance);
        assert_eq!(small.0, LineStatus::Missing);
    }

    #[test]
    fn the_short_stage_is_the_first_that_fell_short() {
        let e = yuan("100");
        let z = Money::ZERO;
        assert_eq!(
            short_stage(e, Some(yuan("90")), Some(yuan("100")), z),
            Stage::Allocation
        );
        assert_eq!(
            short_stage(e, Some(yuan("100")), Some(yuan("90")), z),
            Stage::Transfer
        );
        // T above A but A short: allocation; T compared with min(A, E).
        assert_eq!(
            short_stage(e, Some(yuan("80")), Some(yuan("100")), z),
            Stage::Allocation
        );
        assert_eq!(short_stage(e, None, Some(yuan("90")), z), Stage::Transfer);
        assert_eq!(short_stage(e, None, None, z), Stage::Payout);
        assert_eq!(
            short_stage(e, Some(yuan("99")), None, yuan("1")),
            Stage::Payout
        );
    }

    #[test]
    fn the_raise_cause_walks_back_to_the_first_different_entitlement() {
        // E: 1080 in January, 1100 from February (care), 1165 from March.
        let expected_at = |month: Period| match month.to_string().as_str() {
            "2021-01" => Some(yuan("1080")),
            "2021-02" => Some(yuan("1100")),
            "2021-03" => Some(yuan("1165")),
            _ => None,
        };
        let starts = || [period("2021-03"), period("2021-02"), period("2021-01")].into_iter();
        let march = period("2021-03");
        let cause = |paid| raise_cause(march, yuan(paid), Money::ZERO, starts(), expected_at);
        assert_eq!(cause("1100"), Some(Cause::StandardRaiseNotApplied));
        assert_eq!(cause("1080"), None, "only the latest change counts");
        let february = period("2021-02");
        let starts_feb = [period("2021-02"), period("2021-01")].into_iter();
        assert_eq!(
            raise_cause(february, yuan("1080"), Money::ZERO, starts_feb, expected_at),
            Some(Cause::StandardRaiseNotApplied)
        );
        // A change that leaves E unchanged is walked past.
        let flat = |month: Period| (month >= period("2021-01")).then(|| yuan("500"));
        let none = raise_cause(march, yuan("500"), Money::ZERO, starts(), flat);
        assert_eq!(none, None, "E never differs before it becomes unknown");
        // An item first in force at m: E unknown the month before → no cause.
        let new_item = |month: Period| (month >= march).then(|| yuan("550"));
        assert_eq!(
            raise_cause(march, yuan("500"), Money::ZERO, starts(), new_item),
            None
        );
        // Within the tolerance of the old E.
        assert_eq!(
            raise_cause(march, yuan("1099.50"), yuan("0.50"), starts(), expected_at),
            Some(Cause::StandardRaiseNotApplied)
        );
    }

    #[test]
    fn money_trail_compares_only_the_files_given() {
        let figures = LineFigures {
            expected: Some(yuan("100")),
            allocated: Some(yuan("90")),
            transferred: Some(yuan("95")),
            paid: yuan("95"),
        };
        let zero = Money::ZERO;
        assert_eq!(
            allocation_mismatch(figures, zero),
            Some((Code::AllocationMismatch, Money::ZERO - yuan("10")))
        );
        assert_eq!(
            transfer_mismatch(figures, zero),
            Some((Code::TransferMismatch, yuan("5")))
        );
        assert_eq!(payout_mismatch(figures, zero), None);
        assert_eq!(allocation_mismatch(figures, yuan("10")), None);
        let unknown = LineFigures {
            expected: None,
            ..figures
        };
        assert_eq!(allocation_mismatch(unknown, zero), None);
        let no_files = LineFigures {
            allocated: None,
            transferred: None,
            ..figures
        };
        assert_eq!(transfer_mismatch(no_files, zero), None);
        assert_eq!(payout_mismatch(no_files, zero), None);
    }
}

//! The line rules (SPEC §5): a line's outcome — one of seven codes,
//! chosen in the spec's order — with where a shortfall began and why, and
//! the three money-trail mismatches. Each verdict is a pure function of
//! the line's facts or figures; [`judge_outcome`] and
//! [`money_trail_finding`] word them as findings of a person's line.

use crate::domain::source::sources_text;
use crate::domain::{
    Cause, Code, Detail, Finding, LineFigures, Money, Period, Program, Source, Stage, TrailPair,
};
use crate::engine::exclusion::exclusion_class;
use crate::engine::ledger::{outcome_amount, LineStatus};
use crate::engine::person::{LineKey, LineState, Person};

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
pub fn allocation_mismatch(figures: LineFigures, tolerance: Money) -> Option<Money> {
    let difference = figures.allocated? - figures.expected?;
    (difference.abs() > tolerance).then_some(difference)
}

/// TRANSFER_MISMATCH: T − A beyond the tolerance; both files given.
pub fn transfer_mismatch(figures: LineFigures, tolerance: Money) -> Option<Money> {
    let difference = figures.transferred? - figures.allocated?;
    (difference.abs() > tolerance).then_some(difference)
}

/// PAYOUT_MISMATCH: P − T beyond the tolerance; transfers.csv given.
pub fn payout_mismatch(figures: LineFigures, tolerance: Money) -> Option<Money> {
    let difference = figures.paid - figures.transferred?;
    (difference.abs() > tolerance).then_some(difference)
}

/// The line's outcome (SPEC §5): pushes its finding, when it has one, and
/// returns the ledger status. The finding's amount is the one summary.csv
/// adds up ([`outcome_amount`]); a shortfall also says where it began and,
/// when it can, why.
pub fn judge_outcome(
    person: &Person<'_>,
    key: LineKey,
    state: &LineState,
    figures: LineFigures,
    findings: &mut Vec<Finding>,
) -> LineStatus {
    let (program, period) = key;
    let basis = &state.basis;
    let paid = figures.paid;
    let tolerance = person.context.case.policy.tolerance;
    let facts = LineFacts {
        covered: basis.covered,
        excluded: basis.excluded,
        expected: basis.expected,
        paid,
        exited_before: !basis.covered
            && paid.is_positive()
            && person.exited_before(program, period),
    };
    let (status, code) = line_outcome(facts, tolerance);
    let Some(code) = code else {
        return status;
    };
    let mut finding = person.line_finding(code, key, state);
    finding.amount = (code != Code::NoStandard).then(|| outcome_amount(status, figures));
    finding.detail = match code {
        Code::MissingPayment | Code::Shortfall => {
            let expected = figures.expected.expect("a shortfall has a known E");
            finding.stage = Some(short_stage(
                expected,
                figures.allocated,
                figures.transferred,
                tolerance,
            ));
            finding.cause = line_raise_cause(person, key, state, paid);
            Detail::ExpectedPaid { expected, paid }
        }
        Code::PaidToExcluded => {
            let class = exclusion_class(program);
            let reasons: Vec<Box<str>> = person
                .exclusions
                .iter()
                .filter(|(_, starts)| starts[class].is_some_and(|start| start <= period))
                .map(|(exclusion, _)| exclusion.reason.clone())
                .collect();
            Detail::PaidWhileExcluded { paid, reasons }
        }
        Code::PaidAfterExit | Code::PaidNotEnrolled if !person.unreadable_roster.is_empty() => {
            // SPEC v3: the money may well be due; the row to correct is
            // named beside the payment.
            finding.cause = Some(Cause::RosterRowUnreadable);
            let mut sources: Vec<Source> = person.line_sources(key, state);
            sources.extend(person.unreadable_roster.iter().map(|(_, source)| *source));
            finding.sources = sources_text(&mut sources, &person.context.case.inputs);
            let rows: Vec<Box<str>> = person
                .unreadable_roster
                .iter()
                .map(|(_, source)| person.context.case.inputs.cite(*source).to_string().into())
                .collect();
            let said = if code == Code::PaidAfterExit {
                exit_detail(person, program, period, paid)
            } else {
                Detail::PaidNotEnrolled { paid, program }
            };
            Detail::RosterRowUnreadable {
                said: Box::new(said),
                rows,
            }
        }
        Code::PaidAfterExit => exit_detail(person, program, period, paid),
        Code::PaidNotEnrolled => Detail::PaidNotEnrolled { paid, program },
        Code::NoStandard => Detail::NoStandard { program, period },
        Code::Overpayment => Detail::ExpectedPaid {
            expected: figures.expected.unwrap_or_default(),
            paid,
        },
        _ => unreachable!("{} is not a line outcome", code.name()),
    };
    findings.push(finding);
    status
}

/// `standard_raise_not_applied` for a dibao or tekun line (SPEC §5),
/// walking back E of the line's primary enrolment.
fn line_raise_cause(
    person: &Person<'_>,
    (program, period): LineKey,
    state: &LineState,
    paid: Money,
) -> Option<Cause> {
    if !matches!(program, Program::Dibao | Program::Tekun) {
        return None;
    }
    let primary = state.basis.primary[0]?;
    raise_cause(
        period,
        paid,
        person.context.case.policy.tolerance,
        person.context.standards.starts_through(period),
        |standards_period| person.entitlement(primary, standards_period),
    )
}

/// PAID_AFTER_EXIT's words: which enrolment ended when, and whether a
/// phase-out (SPEC v2) ended it.
fn exit_detail(person: &Person<'_>, program: Program, period: Period, paid: Money) -> Detail {
    let ended = person
        .enrolments
        .iter()
        .map(|(_, enrolment)| *enrolment)
        .filter(|enrolment| {
            crate::engine::person::serves(enrolment, program) && enrolment.ended_before(period)
        })
        .max_by_key(|enrolment| enrolment.span().last);
    match ended {
        Some(enrolment) => {
            let last = enrolment.span().last;
            let phase_out_from = enrolment
                .phase_out_from
                .filter(|_| enrolment.end.is_none_or(|end| last < end));
            Detail::PaidAfterEnded {
                paid,
                enrolment_id: enrolment.enrolment_id.clone(),
                program: enrolment.program,
                last,
                phase_out_from,
            }
        }
        None => Detail::PaidAfterProgram { paid, program },
    }
}

/// The finding of a money-trail rule that held on a line: `difference` is
/// what the rule returned.
pub fn money_trail_finding(
    person: &Person<'_>,
    code: Code,
    key: LineKey,
    state: &LineState,
    difference: Money,
) -> Finding {
    let pair = match code {
        Code::AllocationMismatch => TrailPair::AllocatedExpected,
        Code::TransferMismatch => TrailPair::TransferredAllocated,
        Code::PayoutMismatch => TrailPair::PaidTransferred,
        _ => unreachable!("{} is not a money-trail code", code.name()),
    };
    let mut finding = person.line_finding(code, key, state);
    finding.amount = Some(difference);
    finding.detail = Detail::Differ { pair, difference };
    finding
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
            Some(Money::ZERO - yuan("10"))
        );
        assert_eq!(transfer_mismatch(figures, zero), Some(yuan("5")));
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

    use crate::case::{Case, StandardRow};
    use crate::domain::{Amount, Item, PeriodRange, Stage};
    use crate::engine::testing::{self, dibao, exclusion, payout, tekun, Record, FIRST};

    /// Every line of person 0 judged as a reconciliation judges it: the
    /// (period, status) of each line with anything due or moved, and the
    /// outcome findings.
    fn judged(case: &Case, window: &str) -> (Vec<(String, LineStatus)>, Vec<Finding>) {
        testing::with_person(case, window, 0, |person| {
            let mut statuses = Vec::new();
            let mut findings = Vec::new();
            for &(key, ref state) in person.lines() {
                if Person::is_empty(state) {
                    continue;
                }
                let figures = person.figures(state);
                let status = judge_outcome(person, key, state, figures, &mut findings);
                statuses.push((format!("{} {}", key.0.name(), key.1), status));
            }
            (statuses, findings)
        })
    }

    /// SPEC §5 MISSING_PAYMENT: a covered month with E > 0 and nothing
    /// paid — E at stake, the stage `payout` (no other file given), the
    /// roster row the evidence; the paid month is `ok`, and the
    /// price_subsidy line of a dibao household is a line of its own.
    #[test]
    fn a_covered_month_without_a_payment_is_missing() {
        let case = testing::case(
            1,
            vec![dibao(0, 2, "2020-01", None)],
            &[payout(0, 2, "2020-01", "500")],
        );
        let (statuses, findings) = judged(&case, "2020-01..2020-02");
        assert_eq!(
            statuses,
            [
                ("dibao 2020-01".to_string(), LineStatus::Ok),
                ("dibao 2020-02".to_string(), LineStatus::Missing),
                ("price_subsidy 2020-01".to_string(), LineStatus::Missing),
                ("price_subsidy 2020-02".to_string(), LineStatus::Missing),
            ]
        );
        let finding = &findings[0];
        assert_eq!(finding.code, Code::MissingPayment);
        assert_eq!(&*finding.id_number, FIRST);
        assert_eq!((&*finding.name, &*finding.region), ("张一", "110101"));
        assert_eq!(finding.program, Some(Program::Dibao));
        assert_eq!(finding.period, PeriodRange::parse("2020-02").ok());
        assert_eq!(finding.amount, Some(yuan("500")));
        assert_eq!(finding.stage, Some(Stage::Payout));
        assert_eq!(finding.cause, None);
        assert_eq!(finding.detail, "expected 500.00, paid 0.00");
        assert_eq!(finding.sources, "roster.csv:2");
        assert_eq!(
            finding.figures,
            Some(LineFigures {
                expected: Some(yuan("500")),
                allocated: None,
                transferred: None,
                paid: Money::ZERO,
            })
        );
        assert_eq!(findings[1].amount, Some(yuan("20")), "price_subsidy E");
    }

    /// SPEC §5 SHORTFALL with `standard_raise_not_applied`: the standard
    /// rose in 2020-02 and the month was paid the old E.
    #[test]
    fn a_month_paid_at_the_old_standard_is_a_shortfall_with_its_cause() {
        let mut case = testing::case(
            1,
            vec![tekun(0, 2, "2020-01", None)],
            &[
                Record {
                    program: Program::Tekun,
                    ..payout(0, 2, "2020-02", "900")
                },
                Record {
                    program: Program::Tekun,
                    ..payout(0, 3, "2020-03", "700")
                },
            ],
        );
        case.standards.push(StandardRow {
            source: crate::domain::Source::new(crate::domain::FileKind::Standards, 7),
            region: "".into(),
            program: Program::Tekun,
            item: Item::Basic,
            name: "".into(),
            effective_from: period("2020-02"),
            amount: Amount::Money(yuan("850")),
        });
        let (_, findings) = judged(&case, "2020-02..2020-03");
        let shortfalls: Vec<(String, Option<Money>, Option<Cause>, &str)> = findings
            .iter()
            .filter(|finding| finding.program == Some(Program::Tekun))
            .map(|finding| {
                assert_eq!(finding.code, Code::Shortfall);
                (
                    finding.period.expect("a period").to_string(),
                    finding.amount,
                    finding.cause,
                    &*finding.sources,
                )
            })
            .collect();
        assert_eq!(
            shortfalls,
            [
                (
                    "2020-02".to_string(),
                    Some(yuan("50")),
                    Some(Cause::StandardRaiseNotApplied),
                    "payouts.csv:2;roster.csv:2"
                ),
                (
                    "2020-03".to_string(),
                    Some(yuan("250")),
                    None,
                    "payouts.csv:3;roster.csv:2"
                ),
            ]
        );
    }

    /// SPEC §5: paid while excluded, after the enrolment ended, with no
    /// enrolment at all, or more than due — each its own outcome, P (or
    /// P − E) at stake.
    #[test]
    fn money_paid_where_nothing_or_less_was_due_is_an_outcome_of_its_own() {
        let mut case = testing::case(
            1,
            vec![dibao(0, 2, "2020-01", Some("2020-02"))],
            &[
                payout(0, 2, "2020-01", "600"),
                payout(0, 3, "2020-03", "500"),
                Record {
                    program: Program::Temp,
                    ..payout(0, 4, "2020-02", "300")
                },
            ],
        );
        let (statuses, findings) = judged(&case, "2020-01..2020-03");
        let texts: Vec<String> = findings
            .iter()
            .map(|finding| finding.detail.to_string())
            .collect();
        let outcomes: Vec<(Code, Option<Money>, &str)> = findings
            .iter()
            .zip(&texts)
            .filter(|(finding, _)| finding.program != Some(Program::PriceSubsidy))
            .map(|(finding, text)| (finding.code, finding.amount, text.as_str()))
            .collect();
        assert_eq!(
            outcomes,
            [
                (
                    Code::Overpayment,
                    Some(yuan("100")),
                    "expected 500.00, paid 600.00"
                ),
                (
                    Code::MissingPayment,
                    Some(yuan("500")),
                    "expected 500.00, paid 0.00"
                ),
                (
                    Code::PaidAfterExit,
                    Some(yuan("500")),
                    "paid 500.00 after enrolment D2 (dibao) ended in 2020-02"
                ),
                (
                    Code::PaidNotEnrolled,
                    Some(yuan("300")),
                    "paid 300.00 with no temp enrolment"
                ),
            ]
        );
        assert!(statuses.contains(&("dibao 2020-03".to_string(), LineStatus::AfterExit)));

        case.exclusions = vec![exclusion(0, 2, "vehicle", "2020-01")];
        let (_, findings) = judged(&case, "2020-01..2020-01");
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].code, Code::PaidToExcluded);
        assert_eq!(findings[0].amount, Some(yuan("600")));
        assert_eq!(findings[0].detail, "paid 600.00 while excluded (vehicle)");
        assert_eq!(findings[0].sources, "payouts.csv:2;roster.csv:2");
    }

    /// SPEC §5 NO_STANDARD: a required standard missing makes E unknown —
    /// a finding without an amount, whether or not money moved.
    #[test]
    fn a_missing_standard_is_no_standard_without_an_amount() {
        let mut full_care = tekun(0, 2, "2020-01", None);
        full_care.care_level = Some(crate::domain::CareLevel::Full);
        let case = testing::case(1, vec![full_care], &[]);
        let (statuses, findings) = judged(&case, "2020-01");
        assert!(statuses.contains(&("tekun 2020-01".to_string(), LineStatus::NoStandard)));
        let finding = findings
            .iter()
            .find(|finding| finding.program == Some(Program::Tekun))
            .expect("the tekun line's finding");
        assert_eq!(finding.code, Code::NoStandard);
        assert_eq!(finding.amount, None);
        assert_eq!(finding.detail, "no standard in force for tekun in 2020-01");
    }

    /// SPEC §5's money trail on a line: A − E with allocations.csv given;
    /// its own finding, keyed by the line, the difference at stake.
    #[test]
    fn an_allocation_other_than_due_is_a_money_trail_finding() {
        let mut case = testing::case(
            1,
            vec![dibao(0, 2, "2020-01", None)],
            &[payout(0, 2, "2020-01", "500")],
        );
        case.allocations = Some(testing::stage_file_of(
            crate::domain::FileKind::Allocations,
            &[Record {
                id: "A",
                payee: None,
                ..payout(0, 2, "2020-01", "400")
            }],
        ));
        testing::with_person(&case, "2020-01", 0, |person| {
            let key = (Program::Dibao, period("2020-01"));
            let state = person.line(key);
            let figures = person.figures(state);
            let difference = allocation_mismatch(figures, Money::ZERO).expect("A ≠ E");
            let finding =
                money_trail_finding(person, Code::AllocationMismatch, key, state, difference);
            assert_eq!(finding.amount, Some(Money::ZERO - yuan("100")));
            assert_eq!(finding.detail, "allocated and expected differ by -100.00");
            assert_eq!(
                finding.sources,
                "allocations.csv:2;payouts.csv:2;roster.csv:2"
            );
            assert_eq!(
                finding.figures.and_then(|figures| figures.allocated),
                Some(yuan("400"))
            );
        });
    }

    /// A window of thousands of years makes its lines in work in
    /// proportion to them (a regression: each month's line was inserted
    /// among the lines already made, moving them all — quadratic in the
    /// months). Here every month 0001-01..9999-12 is a line of two
    /// programs and their price_subsidy, with a range payout over a
    /// thousand years on top.
    #[test]
    fn lines_of_a_long_window_are_made_in_linear_work() {
        let case = testing::case(
            1,
            vec![dibao(0, 2, "0001-01", None), tekun(0, 3, "0001-01", None)],
            &[
                Record {
                    program: Program::Temp,
                    ..payout(0, 2, "3000-01..3999-12", "1000")
                },
                payout(0, 3, "0001-01", "500"),
            ],
        );
        testing::with_person(&case, "0001-01..9999-12", 0, |person| {
            let months = 9999 * 12;
            let lines = person.lines().len();
            assert_eq!(lines, 3 * months + 12_000);
            assert!(
                person.lines_moved <= 3 * lines,
                "{} lines moved or made for {lines} lines",
                person.lines_moved
            );
        });
    }
}

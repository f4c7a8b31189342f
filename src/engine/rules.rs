//! The record- and person-level finding rules of SPEC §5, and the
//! exclusion's effective start of §4, each one small pure function that
//! says whether (and where) its rule holds. `person` wraps a verdict into a
//! finding with the person's name, region and the sources behind it.

use crate::case::{Enrolment, Exclusion, Policy, StageRecord};
use crate::domain::{Date, Money, Period, PeriodRange, Program};

/// Exclusion reasons that record a death (SPEC v2 §4), matched after
/// trimming, ASCII letters case-insensitively.
const DEATH_REASONS: [&str; 3] = ["deceased", "死亡", "去世"];

pub fn is_death(reason: &str) -> bool {
    let reason = reason.trim();
    DEATH_REASONS
        .iter()
        .any(|death| reason.eq_ignore_ascii_case(death))
}

/// The first month an exclusion row bars a line of `program` (SPEC v2 §4):
/// its `from_period`, except that after a death a dibao or price_subsidy
/// line of a household of more than one person (`household_size` of the
/// person's primary dibao enrolment covering `from_period`) keeps its
/// benefit for `deceased_grace_months`. `None` when the grace runs past the
/// last period there is (9999-12): no month of any window is barred.
pub fn exclusion_start(
    exclusion: &Exclusion,
    program: Program,
    primary_dibao_household_size: Option<u32>,
    policy: &Policy,
) -> Option<Period> {
    let graced = is_death(&exclusion.reason)
        && matches!(program, Program::Dibao | Program::PriceSubsidy)
        && primary_dibao_household_size.is_some_and(|size| size > 1);
    if !graced || policy.deceased_grace_months == 0 {
        return Some(exclusion.from);
    }
    let last = Period::from_year_month(9999, 12).expect("9999-12 is a period");
    let index = exclusion.from.index() + policy.deceased_grace_months;
    (index <= last.index()).then(|| Period::from_index(index))
}

/// DUPLICATE_ENROLMENT: two enrolments of one person cover a common
/// period of the window, in the same program (dibao or tekun) or in two
/// programs the policy makes exclusive. Returns the program (when shared)
/// and the first common period.
pub fn duplicate_enrolment(
    first: &Enrolment,
    second: &Enrolment,
    policy: &Policy,
    window: PeriodRange,
) -> Option<(Option<Program>, Period)> {
    let same =
        first.program == second.program && matches!(first.program, Program::Dibao | Program::Tekun);
    if !same && !policy.are_exclusive(first.program, second.program) {
        return None;
    }
    let common = first.span().intersect(second.span())?.intersect(window)?;
    Some((same.then_some(first.program), common.first))
}

/// ENROLLED_WHILE_EXCLUDED: the first period of the window the enrolment
/// covers at or after the exclusion's effective start.
pub fn enrolled_while_excluded(
    enrolment: &Enrolment,
    effective_start: Period,
    window: PeriodRange,
) -> Option<Period> {
    let span = enrolment.span();
    let barred = PeriodRange {
        first: effective_start.max(span.first),
        last: span.last,
    };
    (barred.first <= barred.last)
        .then_some(barred)?
        .intersect(window)
        .map(|common| common.first)
}

/// INCOME_ABOVE_STANDARD: the first covered period of the window in which
/// a dibao enrolment's gap is ≤ 0, with the standard and the gap; months
/// without a standard are passed over.
pub fn income_above_standard(
    enrolment: &Enrolment,
    window: PeriodRange,
    standard_at: impl Fn(Period) -> Option<Money>,
) -> Option<(Period, Money, Money)> {
    debug_assert_eq!(enrolment.program, Program::Dibao);
    enrolment
        .span()
        .intersect(window)?
        .months()
        .find_map(|period| {
            let standard = standard_at(period)?;
            let gap = super::entitlement::dibao_gap(enrolment, standard);
            (!gap.is_positive()).then_some((period, standard, gap))
        })
}

/// LATE_PAYMENT: a single-period payout paid after day
/// `payment_deadline_day` of its month (clamped to the month's end).
/// Returns the deadline it missed. A payout without `paid_on` is never late.
pub fn late_payment(record: &StageRecord, payment_deadline_day: u32) -> Option<Date> {
    if !record.periods.is_single() {
        return None;
    }
    let paid_on = record.date()?;
    let deadline = Date::deadline(record.periods.first, payment_deadline_day);
    (paid_on > deadline).then_some(deadline)
}

/// ACCOUNT_MISMATCH: the payout's account (white space removed) differs
/// from every non-empty registered account; no verdict when none is
/// registered or the payout names no account.
pub fn account_mismatch<'r>(account: &str, registered: impl Iterator<Item = &'r str>) -> bool {
    if account.is_empty() {
        return false;
    }
    let mut registered = registered.filter(|registered| !registered.is_empty());
    match registered.next() {
        None => false,
        Some(first) => first != account && registered.all(|registered| registered != account),
    }
}

/// NAME_MISMATCH: the bank's name differs from the roster name of every
/// covering enrolment, all white space removed on both sides; no verdict
/// when the payout has no name or no enrolment covers it.
pub fn name_mismatch<'r>(bank_name: &str, roster_names: impl Iterator<Item = &'r str>) -> bool {
    let bank_name = without_whitespace(bank_name);
    if bank_name.is_empty() {
        return false;
    }
    let mut roster_names = roster_names.peekable();
    roster_names.peek().is_some()
        && roster_names.all(|roster| without_whitespace(roster) != bank_name)
}

pub fn without_whitespace(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(char::is_whitespace) {
        std::borrow::Cow::Owned(
            text.chars()
                .filter(|character| !character.is_whitespace())
                .collect(),
        )
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// DUPLICATE_PAYMENT: groups of two or more in-window `paid` single-period
/// payouts of one line with the same amount. `singles` are such payouts of
/// one person; they are sorted here, and each group is returned in file
/// order (their ids differ: repeated ids were set aside while reading).
pub fn duplicate_payments<'s, 'r>(
    singles: &'s mut [&'r StageRecord],
) -> Vec<&'s [&'r StageRecord]> {
    singles.sort_by_key(|record| {
        (
            record.program,
            record.periods.first,
            record.amount,
            record.line,
        )
    });
    singles
        .chunk_by(|a, b| {
            (a.program, a.periods.first, a.amount) == (b.program, b.periods.first, b.amount)
        })
        .filter(|group| group.len() >= 2)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::PersonId;
    use crate::domain::{Money, Status};

    fn period(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    fn window(first: &str, last: &str) -> PeriodRange {
        PeriodRange {
            first: period(first),
            last: period(last),
        }
    }

    fn enrolment(program: Program, start: &str, end: Option<&str>, size: u32) -> Enrolment {
        Enrolment {
            source: crate::domain::Source::new(crate::domain::FileKind::Roster, 2),
            person: PersonId(0),
            enrolment_id: "E1".into(),
            name: "冯一".into(),
            household_id: "".into(),
            region: "110101".into(),
            program,
            household_size: size,
            per_capita_income: Money::from_yuan(100),
            deductions: Money::ZERO,
            care_level: None,
            centralized: false,
            approved_amount: Money::ZERO,
            start: period(start),
            end: end.map(period),
            phase_out_from: None,
            last_covered: end.map(period),
            account: "".into(),
            local_rules: None,
        }
    }

    fn exclusion(reason: &str, from: &str) -> Exclusion {
        Exclusion {
            person: PersonId(0),
            source: crate::domain::Source::new(crate::domain::FileKind::Exclusions, 2),
            reason: reason.into(),
            from: period(from),
        }
    }

    fn payout(program: Program, month: &str, amount: i64, line: u32) -> StageRecord {
        StageRecord::new(
            program,
            Status::Paid,
            PeriodRange::single(period(month)),
            Money::from_yuan(amount),
            None,
            line,
        )
    }

    #[test]
    fn a_death_in_a_larger_household_starts_after_the_grace() {
        let policy = Policy {
            deceased_grace_months: 3,
            ..Policy::default()
        };
        let death = exclusion(" 死亡 ", "2021-03");
        let start = |program, size| exclusion_start(&death, program, size, &policy);
        assert_eq!(start(Program::Dibao, Some(2)), Some(period("2021-06")));
        assert_eq!(
            start(Program::PriceSubsidy, Some(2)),
            Some(period("2021-06"))
        );
        // A one-person household, a tekun line, no dibao enrolment: no grace.
        assert_eq!(start(Program::Dibao, Some(1)), Some(period("2021-03")));
        assert_eq!(start(Program::Tekun, Some(2)), Some(period("2021-03")));
        assert_eq!(start(Program::Dibao, None), Some(period("2021-03")));
        // A grace past 9999-12 bars no month at all (9999-12 is still paid).
        let late = exclusion("deceased", "9999-11");
        assert_eq!(
            exclusion_start(&late, Program::Dibao, Some(2), &policy),
            None
        );
        assert_eq!(
            exclusion_start(&late, Program::Tekun, Some(2), &policy),
            Some(period("9999-11"))
        );
        // Other reasons never have a grace; `Deceased` matches any case.
        let moved = exclusion("vehicle", "2021-03");
        assert_eq!(
            exclusion_start(&moved, Program::Dibao, Some(2), &policy),
            Some(period("2021-03"))
        );
        assert!(is_death("Deceased") && is_death("去世") && !is_death("deceased later"));
        // The national default is no grace.
        assert_eq!(
            exclusion_start(&death, Program::Dibao, Some(2), &Policy::default()),
            Some(period("2021-03"))
        );
    }

    #[test]
    fn duplicate_enrolments_need_a_common_period_in_the_window() {
        let policy = Policy::default();
        let first = enrolment(Program::Dibao, "2021-01", Some("2021-06"), 1);
        let second = enrolment(Program::Dibao, "2021-04", None, 1);
        let all = window("2021-01", "2021-12");
        assert_eq!(
            duplicate_enrolment(&first, &second, &policy, all),
            Some((Some(Program::Dibao), period("2021-04")))
        );
        assert_eq!(
            duplicate_enrolment(&first, &second, &policy, window("2021-07", "2021-12")),
            None
        );
        let tekun = enrolment(Program::Tekun, "2021-02", None, 1);
        assert_eq!(
            duplicate_enrolment(&first, &tekun, &policy, all),
            Some((None, period("2021-02")))
        );
        let temp = enrolment(Program::Temp, "2021-02", None, 1);
        assert_eq!(duplicate_enrolment(&temp, &temp, &policy, all), None);
    }

    #[test]
    fn enrolled_while_excluded_starts_at_the_later_of_start_and_exclusion() {
        let dibao = enrolment(Program::Dibao, "2021-01", Some("2021-06"), 1);
        let all = window("2021-01", "2021-12");
        assert_eq!(
            enrolled_while_excluded(&dibao, period("2021-03"), all),
            Some(period("2021-03"))
        );
        assert_eq!(
            enrolled_while_excluded(&dibao, period("2020-03"), all),
            Some(period("2021-01"))
        );
        assert_eq!(
            enrolled_while_excluded(&dibao, period("2021-07"), all),
            None
        );
        assert_eq!(
            enrolled_while_excluded(&dibao, period("2021-03"), window("2021-05", "2021-12")),
            Some(period("2021-05"))
        );
    }

    #[test]
    fn income_above_standard_finds_the_first_month_at_or_above_the_line() {
        let household = enrolment(Program::Dibao, "2021-01", None, 1);
        let standard = |month: Period| match month.month() {
            1 => None,
            2 => Some(Money::from_yuan(150)),
            _ => Some(Money::from_yuan(90)),
        };
        assert_eq!(
            income_above_standard(&household, window("2021-01", "2021-04"), standard),
            Some((
                period("2021-03"),
                Money::from_yuan(90),
                Money::ZERO - Money::from_yuan(10)
            ))
        );
        assert_eq!(
            income_above_standard(&household, window("2021-01", "2021-02"), standard),
            None
        );
    }

    #[test]
    fn late_is_after_the_deadline_day_and_single_periods_only() {
        let mut paid = payout(Program::Dibao, "2021-02", 100, 2);
        assert_eq!(late_payment(&paid, 31), None, "no paid_on, never late");
        paid.set_date(Date::parse("2021-02-28"));
        assert_eq!(late_payment(&paid, 31), None, "day 31 clamps to the 28th");
        paid.set_date(Date::parse("2021-03-01"));
        assert_eq!(late_payment(&paid, 31), Date::parse("2021-02-28"));
        paid.periods.last = period("2021-03");
        assert_eq!(late_payment(&paid, 31), None, "a range is never late");
    }

    #[test]
    fn accounts_and_names_mismatch_only_against_something_registered() {
        assert!(account_mismatch("62220002", ["", "62220001"].into_iter()));
        assert!(!account_mismatch(
            "62220001",
            ["62220009", "62220001"].into_iter()
        ));
        assert!(!account_mismatch("62220002", ["", ""].into_iter()));
        assert!(!account_mismatch("", ["62220001"].into_iter()));
        assert!(name_mismatch("张 三", ["李四"].into_iter()));
        assert!(!name_mismatch("张\u{3000}三", ["张三 "].into_iter()));
        assert!(!name_mismatch("张三", std::iter::empty()));
        assert!(!name_mismatch(" ", ["李四"].into_iter()));
    }

    #[test]
    fn duplicate_payments_group_same_line_same_amount() {
        let a = payout(Program::Dibao, "2021-01", 100, 5);
        let b = payout(Program::Dibao, "2021-01", 100, 3);
        let c = payout(Program::Dibao, "2021-01", 90, 4);
        let d = payout(Program::Dibao, "2021-02", 100, 6);
        let mut singles = vec![&a, &b, &c, &d];
        let groups = duplicate_payments(&mut singles);
        assert_eq!(groups.len(), 1);
        let lines: Vec<u32> = groups[0].iter().map(|record| record.line).collect();
        assert_eq!(lines, [3, 5]);
    }
}

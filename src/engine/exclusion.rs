//! Exclusions (SPEC §4): the first month an exclusions.csv row bars a
//! line — its `from_period`, or after a death in a larger household the
//! month the grace ends (SPEC v2) — and which lines share one start.

use crate::case::{Exclusion, Policy};
use crate::domain::{Period, Program};

/// Exclusions bar dibao and price_subsidy lines from one effective start
/// and tekun and temp lines from another (SPEC v2 §4: the grace after a
/// death applies to the first kind only).
pub fn exclusion_class(program: Program) -> usize {
    match program {
        Program::Dibao | Program::PriceSubsidy => 0,
        Program::Tekun | Program::Temp => 1,
    }
}

/// The programs whose class ([`exclusion_class`]) is 0 and 1: an
/// exclusion's start is worked out for each.
pub const CLASS_PROGRAMS: [Program; 2] = [Program::Dibao, Program::Tekun];

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::PersonId;

    fn period(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    fn exclusion(reason: &str, from: &str) -> Exclusion {
        Exclusion {
            person: PersonId(0),
            source: crate::domain::Source::new(crate::domain::FileKind::Exclusions, 2),
            reason: reason.into(),
            from: period(from),
        }
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
    fn each_program_is_in_the_class_of_its_program_in_class_programs() {
        for program in Program::ALL {
            let class = exclusion_class(program);
            assert_eq!(exclusion_class(CLASS_PROGRAMS[class]), class);
        }
    }
}

//! Entitlement arithmetic (SPEC §4): dibao gap and floor, tekun sum.
//! Exact fen arithmetic; the one rounding is half-up to the policy's unit.

use crate::case::Enrolment;
use crate::domain::{Money, Rounding};

/// `household_size × (standard − per_capita_income) + deductions`.
pub fn dibao_gap(enrolment: &Enrolment, standard: Money) -> Money {
    let per_person = standard - enrolment.per_capita_income;
    let household = per_person
        .checked_times(i64::from(enrolment.household_size))
        .expect("household size ≤ 1000 and cell limits keep this in range");
    household + enrolment.deductions
}

/// dibao E: 0 above the line (`gap ≤ 0`), else
/// `round_half_up(max(gap, household_size × floor))`.
pub fn dibao_entitlement(
    enrolment: &Enrolment,
    standard: Money,
    floor: Money,
    rounding: Rounding,
) -> Money {
    let gap = dibao_gap(enrolment, standard);
    if !gap.is_positive() {
        return Money::ZERO;
    }
    let minimum = floor
        .checked_times(i64::from(enrolment.household_size))
        .expect("household size ≤ 1000 and cell limits keep this in range");
    gap.max(minimum).round_half_up(rounding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::PersonId;
    use crate::domain::{Period, Program};

    fn household(size: u32, income: &str, deductions: &str) -> Enrolment {
        Enrolment {
            line: 2,
            person: PersonId(0),
            enrolment_id: "D1".into(),
            name: "冯一".into(),
            household_id: "".into(),
            region: "110101".into(),
            program: Program::Dibao,
            household_size: size,
            per_capita_income: Money::parse(income).unwrap(),
            deductions: Money::parse(deductions).unwrap(),
            care_level: None,
            centralized: false,
            approved_amount: Money::ZERO,
            start: Period::parse("2020-01").unwrap(),
            end: None,
            account: "".into(),
        }
    }

    fn yuan(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    #[test]
    fn spec_section_7_examples() {
        // gap = 3 × 350 + 90 = 1140.00
        let family = household(3, "250.00", "90.00");
        assert_eq!(
            dibao_entitlement(&family, yuan("600"), yuan("60"), Rounding::Fen),
            yuan("1140.00")
        );
        // gap = 30.00 < 3 × 60 = 180.00 → the floor
        let near_line = household(3, "590.00", "0");
        assert_eq!(dibao_gap(&near_line, yuan("600")), yuan("30.00"));
        assert_eq!(
            dibao_entitlement(&near_line, yuan("600"), yuan("60"), Rounding::Fen),
            yuan("180.00")
        );
        // The raise: 650 from 2020-07 → 1290.00
        assert_eq!(
            dibao_entitlement(&family, yuan("650"), yuan("60"), Rounding::Fen),
            yuan("1290.00")
        );
    }

    #[test]
    fn above_the_line_earns_nothing_even_with_a_floor() {
        let family = household(2, "650.00", "40.00");
        assert_eq!(dibao_gap(&family, yuan("600")), Money::ZERO - yuan("60"));
        assert_eq!(
            dibao_entitlement(&family, yuan("600"), yuan("100"), Rounding::Fen),
            Money::ZERO
        );
        let exactly_on_the_line = household(1, "600.00", "0");
        assert_eq!(
            dibao_entitlement(
                &exactly_on_the_line,
                yuan("600"),
                yuan("100"),
                Rounding::Fen
            ),
            Money::ZERO
        );
    }

    #[test]
    fn deductions_can_turn_a_negative_difference_positive() {
        let family = household(1, "610.00", "20.00");
        assert_eq!(
            dibao_entitlement(&family, yuan("600"), yuan("100"), Rounding::Fen),
            yuan("100.00")
        );
        assert_eq!(dibao_gap(&family, yuan("600")), yuan("10.00"));
    }

    #[test]
    fn rounding_modes_apply_half_up_to_the_entitlement() {
        let family = household(1, "149.50", "0");
        assert_eq!(
            dibao_entitlement(&family, yuan("600"), yuan("0"), Rounding::Yuan),
            yuan("451")
        );
        assert_eq!(
            dibao_entitlement(&family, yuan("600"), yuan("0"), Rounding::Jiao),
            yuan("450.5")
        );
        assert_eq!(
            dibao_entitlement(&family, yuan("600"), yuan("0"), Rounding::Fen),
            yuan("450.50")
        );
        let cents = household(1, "149.55", "0");
        assert_eq!(
            dibao_entitlement(&cents, yuan("600"), yuan("0"), Rounding::Jiao),
            yuan("450.5")
        );
        let cents = household(1, "149.54", "0");
        assert_eq!(
            dibao_entitlement(&cents, yuan("600"), yuan("0"), Rounding::Jiao),
            yuan("450.5")
        );
        let cents = household(1, "149.56", "0");
        assert_eq!(
            dibao_entitlement(&cents, yuan("600"), yuan("0"), Rounding::Jiao),
            yuan("450.4")
        );
    }
}

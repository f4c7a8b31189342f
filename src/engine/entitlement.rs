//! Entitlement arithmetic (SPEC §4): what one enrolment is due in one
//! month, given the standards in force then. Pure functions of the
//! enrolment, the policy and a [`StandardsAt`] view; exact fen arithmetic,
//! the one rounding half-up (四舍五入) to the policy's unit, named where done.

use super::standards::{Slot, StandardsAt};
use crate::case::{Enrolment, LocalRules, Policy, TopupStacking};
use crate::domain::{CareLevel, Item, Money};

/// `household_size × (standard − per_capita_income) + deductions`.
pub fn dibao_gap(enrolment: &Enrolment, standard: Money) -> Money {
    let per_person = standard - enrolment.per_capita_income;
    let household = per_person
        .checked_times(i64::from(enrolment.household_size))
        .expect("household size ≤ 1000 and cell limits keep this in range");
    household + enrolment.deductions
}

fn times_household(amount: Money, enrolment: &Enrolment) -> Money {
    amount
        .checked_times(i64::from(enrolment.household_size))
        .expect("household size ≤ 1000 and share limits keep this in range")
}

/// dibao E (SPEC §4): 0 above the line (`gap ≤ 0`, whatever the tier and
/// categories); else `round_half_up(base + top-ups)`, where base is
/// `household_size × tier_<T>` for a tiered household, else
/// `max(gap, household_size × floor)`. `None` when a required standard —
/// `standard`, the tier's, a listed category's — is not in force.
pub fn dibao_entitlement(
    enrolment: &Enrolment,
    standards: &impl StandardsAt,
    policy: &Policy,
) -> Option<Money> {
    let standard = standards.amount(Slot::DIBAO_STANDARD)?;
    let gap = dibao_gap(enrolment, standard);
    if !gap.is_positive() {
        return Some(Money::ZERO);
    }
    let rules = enrolment.local_rules.as_deref();
    let base = match rules.and_then(|rules| rules.tier.as_deref()) {
        // The tier sets only the amount: no floor, no deductions.
        Some(tier) => times_household(standards.named(Item::Tier, tier)?, enrolment),
        None => {
            let floor = standards.amount(Slot::DIBAO_FLOOR).unwrap_or(Money::ZERO);
            gap.max(times_household(floor, enrolment))
        }
    };
    let top_ups = match rules {
        Some(rules) => top_ups(rules, standards, policy.topup_stacking)?,
        None => Money::ZERO,
    };
    Some((base + top_ups).round_half_up(policy.rounding))
}

/// Σ over the listed members of each member's top-up: the largest of its
/// categories' amounts, or their sum. Every category's item is required.
pub fn top_ups(
    rules: &LocalRules,
    standards: &impl StandardsAt,
    stacking: TopupStacking,
) -> Option<Money> {
    let mut total = Money::ZERO;
    for categories in &rules.members {
        let mut member = Money::ZERO;
        for category in categories {
            let amount = standards.named(Item::Topup, category)?;
            member = match stacking {
                TopupStacking::Highest => member.max(amount),
                TopupStacking::Sum => member + amount,
            };
        }
        total += member;
    }
    Some(total)
}

/// tekun E: `basic + care_<level>`; `None` when either is not in force.
pub fn tekun_entitlement(care_level: CareLevel, standards: &impl StandardsAt) -> Option<Money> {
    let basic = standards.amount(Slot::TEKUN_BASIC)?;
    let care = standards.amount(care_slot(care_level))?;
    Some(basic + care)
}

pub fn care_slot(level: CareLevel) -> Slot {
    match level {
        CareLevel::SelfCare => Slot::TEKUN_CARE_SELF,
        CareLevel::Semi => Slot::TEKUN_CARE_SEMI,
        CareLevel::Full => Slot::TEKUN_CARE_FULL,
    }
}

/// The dibao part of a price_subsidy line: `price_subsidy × household_size`
/// below the line, 0 above it; `None` when the dibao standard is not in
/// force, so whether the household is above the line cannot be told.
pub fn dibao_price_subsidy(enrolment: &Enrolment, standards: &impl StandardsAt) -> Option<Money> {
    let standard = standards.amount(Slot::DIBAO_STANDARD)?;
    if !dibao_gap(enrolment, standard).is_positive() {
        return Some(Money::ZERO);
    }
    let per_person = standards
        .amount(Slot::DIBAO_PRICE_SUBSIDY)
        .unwrap_or(Money::ZERO);
    Some(times_household(per_person, enrolment))
}

/// The tekun part of a price_subsidy line: one person's `price_subsidy`,
/// 0 when none is in force (an optional item).
pub fn tekun_price_subsidy(standards: &impl StandardsAt) -> Money {
    standards
        .amount(Slot::TEKUN_PRICE_SUBSIDY)
        .unwrap_or(Money::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::PersonId;
    use crate::domain::{Period, Program, Rounding};

    /// Standards as a test states them: fixed slots and named items.
    #[derive(Default)]
    struct Fixed {
        amounts: Vec<(Slot, Money)>,
        named: Vec<(Item, &'static str, Money)>,
    }

    impl Fixed {
        fn with(mut self, slot: Slot, amount: &str) -> Fixed {
            self.amounts.push((slot, yuan(amount)));
            self
        }

        fn named(mut self, item: Item, name: &'static str, amount: &str) -> Fixed {
            self.named.push((item, name, yuan(amount)));
            self
        }
    }

    impl StandardsAt for Fixed {
        fn amount(&self, slot: Slot) -> Option<Money> {
            self.amounts
                .iter()
                .find(|(at, _)| *at == slot)
                .map(|(_, amount)| *amount)
        }

        fn named(&self, item: Item, name: &str) -> Option<Money> {
            self.named
                .iter()
                .find(|(at, named, _)| *at == item && *named == name)
                .map(|(_, _, amount)| *amount)
        }
    }

    fn standard(amount: &str, floor: &str) -> Fixed {
        Fixed::default()
            .with(Slot::DIBAO_STANDARD, amount)
            .with(Slot::DIBAO_FLOOR, floor)
    }

    fn household(size: u32, income: &str, deductions: &str) -> Enrolment {
        Enrolment {
            source: crate::domain::Source::new(crate::domain::FileKind::Roster, 2),
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
            phase_out_from: None,
            last_covered: None,
            account: "".into(),
            local_rules: None,
        }
    }

    fn with_rules(mut enrolment: Enrolment, tier: Option<&str>, members: &[&[&str]]) -> Enrolment {
        enrolment.local_rules = Some(Box::new(LocalRules {
            tier: tier.map(Box::from),
            members: members
                .iter()
                .map(|member| member.iter().map(|&name| Box::from(name)).collect())
                .collect(),
        }));
        enrolment
    }

    fn yuan(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn policy(rounding: Rounding) -> Policy {
        Policy {
            rounding,
            ..Policy::default()
        }
    }

    fn dibao(enrolment: &Enrolment, standards: &Fixed) -> Option<Money> {
        dibao_entitlement(enrolment, standards, &Policy::default())
    }

    #[test]
    fn spec_section_7_examples() {
        // gap = 3 × 350 + 90 = 1140.00
        let family = household(3, "250.00", "90.00");
        assert_eq!(
            dibao(&family, &standard("600", "60")),
            Some(yuan("1140.00"))
        );
        // gap = 30.00 < 3 × 60 = 180.00 → the floor
        let near_line = household(3, "590.00", "0");
        assert_eq!(dibao_gap(&near_line, yuan("600")), yuan("30.00"));
        assert_eq!(
            dibao(&near_line, &standard("600", "60")),
            Some(yuan("180.00"))
        );
        // The raise: 650 from 2020-07 → 1290.00
        assert_eq!(
            dibao(&family, &standard("650", "60")),
            Some(yuan("1290.00"))
        );
    }

    #[test]
    fn spec_section_7_tier_example() {
        // standard 600.00, tier_B = 70% (420.00), household of 3 in tier B.
        let standards = standard("600", "0").named(Item::Tier, "b", "420.00");
        let tiered = with_rules(household(3, "100.00", "0"), Some("b"), &[]);
        assert_eq!(dibao(&tiered, &standards), Some(yuan("1260.00")));
        // Above the line: E = 0, whatever the tier.
        let above = with_rules(household(3, "650.00", "0"), Some("b"), &[]);
        assert_eq!(dibao(&above, &standards), Some(Money::ZERO));
        // Above the line with a tier that has no standard: still 0, known.
        let unknown_tier = with_rules(household(1, "700.00", "0"), Some("c"), &[]);
        assert_eq!(dibao(&unknown_tier, &standards), Some(Money::ZERO));
        // Below the line the tier's item is required.
        let missing = with_rules(household(1, "100.00", "0"), Some("c"), &[]);
        assert_eq!(dibao(&missing, &standards), None);
    }

    #[test]
    fn a_tier_ignores_floor_and_deductions_in_its_amount_but_not_in_the_test() {
        // income above the standard, but deductions bring the gap above 0.
        let standards = standard("620", "500").named(Item::Tier, "b", "434.00");
        let tiered = with_rules(household(2, "630.00", "100.00"), Some("b"), &[]);
        assert_eq!(dibao(&tiered, &standards), Some(yuan("868.00")));
    }

    #[test]
    fn spec_section_7_top_up_example() {
        let standards = standard("600", "0")
            .named(Item::Topup, "elderly70", "60.00")
            .named(Item::Topup, "disabled", "120.00");
        let family = with_rules(
            household(2, "400.00", "0"),
            None,
            &[&["elderly70", "disabled"], &["elderly70"]],
        );
        assert_eq!(dibao(&family, &standards), Some(yuan("580.00")));
        let summed = Policy {
            topup_stacking: TopupStacking::Sum,
            ..Policy::default()
        };
        assert_eq!(
            dibao_entitlement(&family, &standards, &summed),
            Some(yuan("640.00"))
        );
        // A category without a standard makes E unknown below the line.
        let unknown = with_rules(household(1, "100.00", "0"), None, &[&["ill"]]);
        assert_eq!(dibao(&unknown, &standards), None);
    }

    #[test]
    fn spec_section_7_derived_tekun_example() {
        // basic = 130% of 600 = 780, care_full = 1/3 of 1800 = 600.
        let standards = Fixed::default()
            .with(Slot::TEKUN_BASIC, "780.00")
            .with(Slot::TEKUN_CARE_FULL, "600.00");
        assert_eq!(
            tekun_entitlement(CareLevel::Full, &standards),
            Some(yuan("1380.00"))
        );
        assert_eq!(tekun_entitlement(CareLevel::Semi, &standards), None);
    }

    #[test]
    fn above_the_line_earns_nothing_even_with_a_floor() {
        let family = household(2, "650.00", "40.00");
        assert_eq!(dibao_gap(&family, yuan("600")), Money::ZERO - yuan("60"));
        assert_eq!(dibao(&family, &standard("600", "100")), Some(Money::ZERO));
        let exactly_on_the_line = household(1, "600.00", "0");
        assert_eq!(
            dibao(&exactly_on_the_line, &standard("600", "100")),
            Some(Money::ZERO)
        );
        // … and no price subsidy either.
        let subsidy = standard("600", "0").with(Slot::DIBAO_PRICE_SUBSIDY, "20");
        assert_eq!(dibao_price_subsidy(&family, &subsidy), Some(Money::ZERO));
        let below = household(2, "100.00", "0");
        assert_eq!(dibao_price_subsidy(&below, &subsidy), Some(yuan("40")));
        assert_eq!(dibao_price_subsidy(&below, &Fixed::default()), None);
        assert_eq!(tekun_price_subsidy(&Fixed::default()), Money::ZERO);
    }

    #[test]
    fn deductions_can_turn_a_negative_difference_positive() {
        let family = household(1, "610.00", "20.00");
        assert_eq!(
            dibao(&family, &standard("600", "100")),
            Some(yuan("100.00"))
        );
        assert_eq!(dibao_gap(&family, yuan("600")), yuan("10.00"));
    }

    #[test]
    fn rounding_modes_apply_half_up_to_the_entitlement() {
        let at = |income: &str, rounding: Rounding| {
            dibao_entitlement(
                &household(1, income, "0"),
                &standard("600", "0"),
                &policy(rounding),
            )
            .unwrap()
        };
        assert_eq!(at("149.50", Rounding::Yuan), yuan("451"));
        assert_eq!(at("149.50", Rounding::Jiao), yuan("450.5"));
        assert_eq!(at("149.50", Rounding::Fen), yuan("450.50"));
        assert_eq!(at("149.55", Rounding::Jiao), yuan("450.5"));
        assert_eq!(at("149.54", Rounding::Jiao), yuan("450.5"));
        assert_eq!(at("149.56", Rounding::Jiao), yuan("450.4"));
        // Top-ups are added before the one rounding: 660 + 206.6 → 867.
        let standards = standard("620", "0").named(Item::Topup, "elderly70", "103.30");
        let family = with_rules(
            household(3, "400.00", "0"),
            None,
            &[&["elderly70"], &["elderly70"]],
        );
        assert_eq!(
            dibao_entitlement(&family, &standards, &policy(Rounding::Yuan)),
            Some(yuan("867"))
        );
    }
}

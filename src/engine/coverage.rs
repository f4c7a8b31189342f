//! Which standards a case lacks (`duizhang check`): for every dibao and
//! tekun enrolment, the months of its span inside the window whose
//! standards the entitlement needs — dibao `standard` and the tier and
//! categories the roster names; tekun `basic` and the person's care
//! level — looked up as reconciling looks them up. A pure function of the
//! case and the window.

use std::collections::BTreeMap;

use super::context::Context;
use super::entitlement::care_slot;
use super::standards::{Slot, StandardsAt};
use crate::case::Case;
use crate::domain::{Item, Period, PeriodRange, Program};

/// One standard missing for one region and program, over some months.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandardGap {
    pub region: Box<str>,
    pub program: Program,
    /// As standards.csv names the item: `standard`, `care_semi`,
    /// `tier_b`, `topup_elderly70`.
    pub item: String,
    /// The months without it, as runs of consecutive months.
    pub months: Vec<PeriodRange>,
    /// How many enrolments need it in those months.
    pub enrolments: usize,
    /// The first roster row (file order) that needs it.
    pub first_row: crate::domain::Source,
}

/// Every (region, program, item) some enrolment needs in some month of
/// `window` (its covered months only) without a standard in force, sorted
/// by region, program and item.
pub fn missing_standards(case: &Case, window: PeriodRange) -> Vec<StandardGap> {
    let context = Context::new(case, window);
    type Key = (Box<str>, Program, String);
    let mut gaps: BTreeMap<Key, (Vec<Period>, Vec<crate::domain::Source>)> = BTreeMap::new();
    for (index, enrolment) in case.enrolments.iter().enumerate() {
        if !matches!(enrolment.program, Program::Dibao | Program::Tekun) {
            continue;
        }
        let Some(months) = enrolment.span().intersect(window) else {
            continue;
        };
        let index = index as u32;
        for period in months.months() {
            let standards = context.standards_at(index, period);
            let mut missing: Vec<String> = Vec::new();
            match enrolment.program {
                Program::Dibao => {
                    if standards.amount(Slot::DIBAO_STANDARD).is_none() {
                        missing.push("standard".into());
                    }
                    if let Some(rules) = enrolment.local_rules.as_deref() {
                        if let Some(tier) = rules.tier.as_deref() {
                            if standards.named(Item::Tier, tier).is_none() {
                                missing.push(format!("tier_{tier}"));
                            }
                        }
                        for category in rules.members.iter().flatten() {
                            let name = format!("topup_{category}");
                            if standards.named(Item::Topup, category).is_none()
                                && !missing.contains(&name)
                            {
                                missing.push(name);
                            }
                        }
                    }
                }
                _ => {
                    if standards.amount(Slot::TEKUN_BASIC).is_none() {
                        missing.push("basic".into());
                    }
                    if let Some(level) = enrolment.care_level {
                        if standards.amount(care_slot(level)).is_none() {
                            missing.push(format!("care_{}", level.name()));
                        }
                    }
                }
            }
            for item in missing {
                let entry = gaps
                    .entry((enrolment.region.clone(), enrolment.program, item))
                    .or_default();
                entry.0.push(period);
                if entry.1.last() != Some(&enrolment.source) {
                    entry.1.push(enrolment.source);
                }
            }
        }
    }
    gaps.into_iter()
        .map(|((region, program, item), (mut months, mut lines))| {
            months.sort_unstable();
            months.dedup();
            lines.sort_unstable();
            lines.dedup();
            StandardGap {
                region,
                program,
                item,
                months: runs(&months),
                enrolments: lines.len(),
                first_row: lines[0],
            }
        })
        .collect()
}

/// Sorted distinct months as runs of consecutive months.
fn runs(months: &[Period]) -> Vec<PeriodRange> {
    let mut runs: Vec<PeriodRange> = Vec::new();
    for &month in months {
        match runs.last_mut() {
            Some(run) if run.last.next() == month => run.last = month,
            _ => runs.push(PeriodRange::single(month)),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Enrolment, PersonId, StandardRow};
    use crate::domain::{Amount, CareLevel, Money};

    fn period(text: &str) -> Period {
        Period::parse(text).expect("a period")
    }

    fn enrolment(line: u32, region: &str, program: Program) -> Enrolment {
        Enrolment {
            source: crate::domain::Source::new(crate::domain::FileKind::Roster, line),
            person: PersonId(0),
            enrolment_id: format!("E{line}").into(),
            name: "".into(),
            household_id: "".into(),
            region: region.into(),
            program,
            household_size: 1,
            per_capita_income: Money::ZERO,
            deductions: Money::ZERO,
            care_level: (program == Program::Tekun).then_some(CareLevel::Semi),
            centralized: false,
            approved_amount: Money::ZERO,
            start: period("2020-01"),
            end: Some(period("2020-12")),
            phase_out_from: None,
            last_covered: Some(period("2020-12")),
            account: "".into(),
            local_rules: None,
        }
    }

    fn row(region: &str, program: Program, item: Item, from: &str) -> StandardRow {
        StandardRow {
            source: crate::domain::Source::new(crate::domain::FileKind::Standards, 2),
            region: region.into(),
            program,
            item,
            name: "".into(),
            effective_from: period(from),
            amount: Amount::Money(Money::from_yuan(600)),
        }
    }

    #[test]
    fn months_without_a_needed_standard_are_named_by_region_program_and_item() {
        let mut case = Case {
            enrolments: vec![
                enrolment(2, "5101", Program::Dibao),
                enrolment(3, "5101", Program::Dibao),
                enrolment(4, "5102", Program::Tekun),
                enrolment(5, "5102", Program::Temp),
            ],
            ..Case::default()
        };
        let mut tiered = enrolment(6, "5101", Program::Dibao);
        tiered.local_rules = Some(Box::new(crate::case::LocalRules {
            tier: Some("b".into()),
            members: vec![vec!["elderly".into()]],
        }));
        case.enrolments.push(tiered);
        case.standards = vec![
            row("5101", Program::Dibao, Item::Standard, "2020-04"),
            row("", Program::Tekun, Item::Basic, "2020-01"),
        ];
        let window = PeriodRange {
            first: period("2020-01"),
            last: period("2020-06"),
        };
        let gaps = missing_standards(&case, window);
        let summary: Vec<(String, &str, String, usize)> = gaps
            .iter()
            .map(|gap| {
                (
                    format!("{} {}", gap.region, gap.program.name()),
                    gap.item.as_str(),
                    gap.months
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                    gap.enrolments,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "5101 dibao".into(),
                    "standard",
                    "2020-01..2020-03".into(),
                    3
                ),
                ("5101 dibao".into(), "tier_b", "2020-01..2020-06".into(), 1),
                (
                    "5101 dibao".into(),
                    "topup_elderly",
                    "2020-01..2020-06".into(),
                    1
                ),
                (
                    "5102 tekun".into(),
                    "care_semi",
                    "2020-01..2020-06".into(),
                    1
                ),
            ]
        );
        assert_eq!(gaps[0].first_row.line, 2);
        assert_eq!(
            runs(&[period("2020-01"), period("2020-02"), period("2020-05")]),
            [
                PeriodRange {
                    first: period("2020-01"),
                    last: period("2020-02")
                },
                PeriodRange::single(period("2020-05"))
            ]
        );
    }
}

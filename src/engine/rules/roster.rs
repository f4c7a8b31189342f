//! The rules on a person's roster rows (SPEC §5): DUPLICATE_ENROLMENT,
//! ENROLLED_WHILE_EXCLUDED, INCOME_ABOVE_STANDARD and
//! UNFILED_STAFF_RELATIVE, each keyed by the id_number. Each verdict is a
//! small pure function of the enrolments and the window; the `check_`
//! functions word it as findings about the person.

use crate::case::{Enrolment, Policy, Relative};
use crate::domain::source::sources_text;
use crate::domain::{Code, Detail, Finding, Money, Period, PeriodRange, Program, Source};
use crate::engine::entitlement::dibao_gap;
use crate::engine::exclusion::exclusion_class;
use crate::engine::ledger::Label;
use crate::engine::person::Person;
use crate::engine::standards::{Slot, StandardsAt};

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
            let gap = dibao_gap(enrolment, standard);
            (!gap.is_positive()).then_some((period, standard, gap))
        })
}

/// DUPLICATE_ENROLMENT: one finding per overlapping pair, about the
/// earlier enrolment (primary order); `program` when both share it.
pub fn check_duplicate_enrolments(person: &Person<'_>, findings: &mut Vec<Finding>) {
    let window = person.context.window;
    let case = person.context.case;
    for (position, &(first_index, first)) in person.enrolments.iter().enumerate() {
        for &(second_index, second) in &person.enrolments[position + 1..] {
            let Some((program, period)) = duplicate_enrolment(first, second, &case.policy, window)
            else {
                continue;
            };
            let earlier = if first.primary_order(second).is_le() {
                first_index
            } else {
                second_index
            };
            let mut finding = person.enrolment_finding(Code::DuplicateEnrolment, earlier, period);
            finding.program = program;
            finding.detail = Detail::DuplicateEnrolment {
                first: first.enrolment_id.clone(),
                first_program: first.program,
                second: second.enrolment_id.clone(),
                second_program: second.program,
                period,
            };
            finding.sources = sources_text(&mut vec![first.source, second.source], &case.inputs);
            // The register keys a pair by its two enrolment ids in text order.
            let mut ids = [first.enrolment_id.clone(), second.enrolment_id.clone()];
            ids.sort();
            finding.subject = ids.to_vec();
            findings.push(finding);
        }
    }
}

/// ENROLLED_WHILE_EXCLUDED: one per (enrolment, exclusion row), from the
/// exclusion's effective start for the enrolment's program.
pub fn check_enrolled_while_excluded(person: &Person<'_>, findings: &mut Vec<Finding>) {
    let window = person.context.window;
    let case = person.context.case;
    for &(index, enrolment) in &person.enrolments {
        for (exclusion, starts) in &person.exclusions {
            let Some(start) = starts[exclusion_class(enrolment.program)] else {
                continue;
            };
            let Some(period) = enrolled_while_excluded(enrolment, start, window) else {
                continue;
            };
            let mut finding = person.enrolment_finding(Code::EnrolledWhileExcluded, index, period);
            finding.detail = Detail::EnrolledWhileExcluded {
                enrolment_id: enrolment.enrolment_id.clone(),
                period,
                from: exclusion.from,
                reason: exclusion.reason.clone(),
                effective: (start != exclusion.from).then_some(start),
            };
            finding.sources =
                sources_text(&mut vec![enrolment.source, exclusion.source], &case.inputs);
            // The register keys it by the enrolment and the exclusion row.
            finding.subject = vec![
                enrolment.enrolment_id.clone(),
                exclusion.reason.trim().into(),
                exclusion.from.to_string().into(),
            ];
            findings.push(finding);
        }
    }
}

/// INCOME_ABOVE_STANDARD: one per dibao enrolment whose gap is ≤ 0 in a
/// covered month of the window.
pub fn check_income_above_standard(person: &Person<'_>, findings: &mut Vec<Finding>) {
    let context = person.context;
    for &(index, enrolment) in &person.enrolments {
        if enrolment.program != Program::Dibao {
            continue;
        }
        let standard_at = |period| {
            context
                .standards_at(index, period)
                .amount(Slot::DIBAO_STANDARD)
        };
        let Some((period, standard, gap)) =
            income_above_standard(enrolment, context.window, standard_at)
        else {
            continue;
        };
        let mut finding = person.enrolment_finding(Code::IncomeAboveStandard, index, period);
        finding.detail = Detail::IncomeAboveStandard {
            enrolment_id: enrolment.enrolment_id.clone(),
            income: enrolment.per_capita_income,
            standard,
            gap,
        };
        finding.sources = context.case.inputs.cite(enrolment.source).to_string();
        finding.subject = vec![enrolment.enrolment_id.clone()];
        findings.push(finding);
    }
}

/// UNFILED_STAFF_RELATIVE: one per person enrolled in the window (any
/// enrolment overlapping it) with an unfiled relatives.csv row; labelled
/// as the earliest such enrolment, evidence the rows on both sides.
pub fn check_unfiled_staff_relative(person: &Person<'_>, findings: &mut Vec<Finding>) {
    let case = person.context.case;
    let unfiled: Vec<&Relative> = person
        .relatives
        .iter()
        .map(|&index| &case.relatives[index as usize])
        .filter(|relative| !relative.filed)
        .collect();
    if unfiled.is_empty() {
        return;
    }
    let window = person.context.window;
    let enrolled: Vec<&(u32, &Enrolment)> = person
        .enrolments
        .iter()
        .filter(|(_, enrolment)| enrolment.span().intersect(window).is_some())
        .collect();
    let Some(earliest) = enrolled.iter().min_by(|a, b| a.1.primary_order(b.1)) else {
        return;
    };
    let mut finding = person.labelled(Code::UnfiledStaffRelative, Label::Enrolment(earliest.0));
    let staff = unfiled
        .iter()
        .map(|relative| (relative.staff_name.clone(), relative.relation.clone()))
        .collect();
    finding.detail = Detail::UnfiledRelative { staff };
    let mut sources: Vec<Source> = unfiled.iter().map(|relative| relative.source).collect();
    sources.extend(enrolled.iter().map(|(_, enrolment)| enrolment.source));
    finding.sources = sources_text(&mut sources, &case.inputs);
    findings.push(finding);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::PersonId;
    use crate::engine::testing::{self, dibao, exclusion, relative, tekun, yuan, FIRST};

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
            source: Source::new(crate::domain::FileKind::Roster, 2),
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

    /// SPEC §5 DUPLICATE_ENROLMENT: two dibao enrolments overlapping in the
    /// window — one finding per pair, about the earlier one, period the
    /// first common month, the shared program; dibao and tekun are
    /// exclusive by default: no program.
    #[test]
    fn overlapping_enrolments_make_one_finding_per_pair() {
        let mut case = testing::case(
            1,
            vec![
                dibao(0, 3, "2020-03", None),
                dibao(0, 2, "2020-01", Some("2020-06")),
                tekun(0, 4, "2020-05", None),
            ],
            &[],
        );
        case.enrolments[0].name = "张二".into();
        let findings =
            testing::person_findings(check_duplicate_enrolments, &case, "2020-01..2020-12", 0);
        let summary: Vec<(Option<Program>, String, &str, &str)> = findings
            .iter()
            .map(|finding| {
                assert_eq!(finding.code, Code::DuplicateEnrolment);
                assert_eq!(&*finding.id_number, FIRST);
                (
                    finding.program,
                    finding.period.expect("a period").to_string(),
                    &*finding.name,
                    &*finding.sources,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                // D3 and D2: about D2, which starts first.
                (
                    Some(Program::Dibao),
                    "2020-03".to_string(),
                    "张一",
                    "roster.csv:2;roster.csv:3"
                ),
                (
                    None,
                    "2020-05".to_string(),
                    "张二",
                    "roster.csv:3;roster.csv:4"
                ),
                (
                    None,
                    "2020-05".to_string(),
                    "张一",
                    "roster.csv:2;roster.csv:4"
                ),
            ]
        );
        assert_eq!(
            findings[0].detail,
            "enrolments D3 (dibao) and D2 (dibao) both cover 2020-03"
        );
    }

    /// SPEC §4–§5 ENROLLED_WHILE_EXCLUDED: from the exclusion's effective
    /// start — after a death in a larger household, once the grace ends
    /// (dibao), at once for tekun.
    #[test]
    fn an_enrolment_running_into_an_exclusion_is_found_per_exclusion_row() {
        let mut household = dibao(0, 2, "2020-01", None);
        household.household_size = 2;
        let mut case = testing::case(1, vec![household, tekun(0, 3, "2020-01", None)], &[]);
        case.exclusions = vec![exclusion(0, 2, "死亡", "2020-04")];
        case.policy.deceased_grace_months = 3;
        let findings =
            testing::person_findings(check_enrolled_while_excluded, &case, "2020-01..2020-12", 0);
        assert_eq!(findings.len(), 2, "{findings:?}");
        assert_eq!(findings[0].program, Some(Program::Dibao));
        assert_eq!(findings[0].period, PeriodRange::parse("2020-07").ok());
        assert_eq!(
            findings[0].detail,
            "enrolment D2 covers 2020-07 but the person is excluded from 2020-04 (死亡, effective 2020-07 after the grace months)"
        );
        assert_eq!(findings[0].sources, "exclusions.csv:2;roster.csv:2");
        assert_eq!(findings[1].program, Some(Program::Tekun));
        assert_eq!(findings[1].period, PeriodRange::parse("2020-04").ok());
        assert_eq!(
            findings[1].detail,
            "enrolment T3 covers 2020-04 but the person is excluded from 2020-04 (死亡)"
        );
        // An exclusion after the window: nothing.
        let findings =
            testing::person_findings(check_enrolled_while_excluded, &case, "2020-01..2020-03", 0);
        assert!(findings.is_empty(), "{findings:?}");
    }

    /// SPEC §5 INCOME_ABOVE_STANDARD: the first covered month of the window
    /// with gap ≤ 0, one per dibao enrolment.
    #[test]
    fn a_household_at_or_above_the_line_is_found_once() {
        let mut household = dibao(0, 2, "2020-01", None);
        household.per_capita_income = yuan("500");
        let mut below = dibao(0, 3, "2020-01", None);
        below.per_capita_income = yuan("499.99");
        let case = testing::case(1, vec![household, below], &[]);
        let findings =
            testing::person_findings(check_income_above_standard, &case, "2020-01..2020-12", 0);
        assert_eq!(findings.len(), 1, "{findings:?}");
        let finding = &findings[0];
        assert_eq!(finding.code, Code::IncomeAboveStandard);
        assert_eq!(finding.program, Some(Program::Dibao));
        assert_eq!(finding.period, PeriodRange::parse("2020-01").ok());
        assert_eq!(finding.amount, None);
        assert_eq!(
            finding.detail,
            "enrolment D2: per-capita income 500.00 against standard 500.00 leaves gap 0.00"
        );
        assert_eq!(finding.sources, "roster.csv:2");
    }

    /// SPEC §5 UNFILED_STAFF_RELATIVE: enrolled in the window and in
    /// relatives.csv with filed = no; one per person; a filed row or no
    /// enrolment in the window is no finding.
    #[test]
    fn an_enrolled_unfiled_relative_is_found_once() {
        let mut case = testing::case(
            2,
            vec![
                tekun(0, 3, "2020-01", None),
                dibao(0, 2, "2020-01", None),
                dibao(1, 4, "2019-01", Some("2019-12")),
            ],
            &[],
        );
        case.relatives = vec![
            relative(0, 2, false),
            relative(0, 3, true),
            relative(0, 4, false),
            relative(1, 5, false),
        ];
        let findings =
            testing::person_findings(check_unfiled_staff_relative, &case, "2020-01..2020-12", 0);
        assert_eq!(findings.len(), 1, "{findings:?}");
        let finding = &findings[0];
        assert_eq!(finding.code, Code::UnfiledStaffRelative);
        assert_eq!(finding.program, None);
        assert_eq!(finding.period, None);
        assert_eq!((&*finding.name, &*finding.region), ("张一", "110101"));
        assert_eq!(
            finding.detail,
            "relative of 王科长 (配偶), 王科长 (配偶), not filed for separate review"
        );
        assert_eq!(
            finding.sources,
            "relatives.csv:2;relatives.csv:4;roster.csv:2;roster.csv:3"
        );
        let second =
            testing::person_findings(check_unfiled_staff_relative, &case, "2020-01..2020-12", 1);
        assert!(second.is_empty(), "not enrolled in the window: {second:?}");
    }
}

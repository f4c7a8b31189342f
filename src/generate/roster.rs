//! A household's roster rows and its lines in the registers (exclusions,
//! staff relatives).

use std::io;

use super::anomaly::Anomaly;
use super::county::County;
use super::files::{CaseFiles, RecordIds};
use super::household::Household;
use super::people::{person_name, Random};
use crate::domain::{CareLevel, FileKind, Program};

/// The program-specific cells of a roster row, from household_size to
/// end_period, then tier, categories and phase_out_from.
fn program_cells(
    household: &Household,
    county: &County,
    income: &str,
    start: u32,
) -> (String, String) {
    let period = |month: u32| county.period(month).to_string();
    let end = household.end.map(period).unwrap_or_default();
    let start = period(start);
    match household.program {
        Program::Dibao => {
            let assessment = &household.assessment;
            let deductions = match assessment.deductions.is_zero() {
                true => String::new(),
                false => assessment.deductions.to_string(),
            };
            let tier = assessment.tier.map(|tier| tier.name()).unwrap_or_default();
            let phase_out = household.phase_out_from.map(period).unwrap_or_default();
            (
                format!(
                    "{},{income},{deductions},,,,{start},{end}",
                    assessment.household_size
                ),
                format!("{tier},{},{phase_out}", categories(household)),
            )
        }
        Program::Tekun => {
            let care = match household.care {
                CareLevel::SelfCare => "self",
                CareLevel::Semi => "semi",
                CareLevel::Full => "full",
            };
            let mode = match household.centralized {
                true => "centralized",
                false => "dispersed",
            };
            (format!(",,,{care},{mode},,{start},{end}"), ",,".into())
        }
        Program::Temp => (format!(",,,,,{},{start},", household.approved), ",,".into()),
        Program::PriceSubsidy => unreachable!("nobody is enrolled in price_subsidy"),
    }
}

/// `elderly70+disabled;ill`: members by `;`, a member's categories by `+`.
fn categories(household: &Household) -> String {
    let mut text = String::new();
    for (index, member) in household.assessment.members.iter().enumerate() {
        if index > 0 {
            text.push(';');
        }
        for (place, category) in member.iter().enumerate() {
            if place > 0 {
                text.push('+');
            }
            text.push_str(category.name());
        }
    }
    text
}

/// The enrolment row, and the anomalies that live on the roster: a second
/// enrolment, the same row keyed twice, an income typed with a separator.
pub fn write_roster(
    out: &mut CaseFiles,
    ids: &mut RecordIds,
    county: &County,
    household: &Household,
) -> io::Result<()> {
    let enrolment_id = ids.next('E');
    if household.anomaly == Some(Anomaly::PaidNotEnrolled) {
        return Ok(());
    }
    let income = household.assessment.per_capita_income.to_string();
    let typed_income = match household.anomaly {
        // Money with a unit written after it: not money in any reading
        // (thousands separators are read since SPEC v3).
        Some(Anomaly::BadRecord) => "1200元".to_string(),
        _ => income.clone(),
    };
    let person = format!(
        "{},{},{},{}",
        household.id, household.name, household.household_id, household.region
    );
    let program = household.program.name();
    let account = &household.account;
    let (cells, rules) = program_cells(household, county, &typed_income, household.start);
    out.row(
        FileKind::Roster,
        format_args!("{enrolment_id},{person},{program},{cells},{account},{rules}"),
    )?;
    if household.anomaly == Some(Anomaly::DuplicateEnrolment) {
        // The same household enrolled again from June.
        let (again, _) = program_cells(household, county, &typed_income, 6);
        out.row(
            FileKind::Roster,
            format_args!(
                "{},{person},{program},{again},{account},{rules}",
                ids.next('E')
            ),
        )?;
    }
    if household.anomaly == Some(Anomaly::DuplicateRecord) {
        // The same enrolment keyed in twice.
        let (cells, _) = program_cells(household, county, &income, household.start);
        out.row(
            FileKind::Roster,
            format_args!("{enrolment_id},{person},{program},{cells},{account},{rules}"),
        )?;
    }
    Ok(())
}

/// exclusions.csv and relatives.csv rows of the household.
pub fn write_registers(
    out: &mut CaseFiles,
    random: &mut Random,
    county: &County,
    household: &Household,
) -> io::Result<()> {
    let unfiled = household.anomaly == Some(Anomaly::UnfiledRelative);
    if unfiled || random.below(200) == 0 {
        let filed = if unfiled { "no" } else { "yes" };
        let staff = person_name(random);
        let relation = ["配偶", "子女", "兄弟姐妹", "父母"][random.below(4) as usize];
        out.row(
            FileKind::Relatives,
            format_args!("{},{staff},{relation},{filed}", household.id),
        )?;
    }
    if let Some(exclusion) = &household.exclusion {
        out.row(
            FileKind::Exclusions,
            format_args!(
                "{},{},{}",
                household.id,
                exclusion.reason,
                county.period(exclusion.from)
            ),
        )?;
    }
    Ok(())
}

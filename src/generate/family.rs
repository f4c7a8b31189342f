//! SPEC v3 on a generated household (`--v3`): its members (members.csv),
//! the leads other departments hold on its people (watchlist.csv), and the
//! v3 anomalies planted on them. Everything here is drawn from a random
//! stream of its own, so `--v3` moves none of the v2 draws: the roster,
//! standards and money of a household are drawn the same way with it.

use std::io;

use super::anomaly::Anomaly;
use super::county::County;
use super::files::CaseFiles;
use super::household::{death_reason, Exclusion, Household, LAST_MONTH};
use super::people::{id_number, person_name, Random};
use crate::domain::{FileKind, Program};

/// Id sequences are handed out in blocks of the case's household count:
/// block 0 the heads (the v2 ids), blocks 1–4 the other members of a
/// household of up to five, block 5 the unenrolled persons of leads. Ids
/// of distinct sequences are distinct, so a member is never someone else.
const ID_BLOCKS: u64 = 6;
const LEAD_BLOCK: u64 = 5;

/// Ids stay distinct up to this many households with `--v3`.
pub const MAX_HOUSEHOLDS: u64 = super::people::DISTINCT_IDS / ID_BLOCKS;

/// Per thousand plain dibao and tekun households: one of their people is
/// on another department's list (a disability card, large medical costs).
/// The office has them covered already: a lead that gives no finding.
const LEAD_PER_MILLE: u64 = 80;

/// What other departments' lists say, as their exports word it.
const LEAD_SOURCES: [(&str, &str); 6] = [
    ("残联", "一级残疾"),
    ("残联", "二级残疾"),
    ("医保", "自付医疗费 8.3万"),
    ("医保", "自付医疗费 5.6万"),
    ("防返贫监测", "因病致贫风险"),
    ("防返贫监测", "突发严重困难"),
];

/// Relations of members other than the head (户主).
const RELATIONS: [&str; 4] = ["配偶", "子女", "父母", "孙子女"];

pub struct Member {
    pub id: String,
    pub name: String,
    pub relation: &'static str,
}

/// A dibao household's people as the office registered them.
pub struct Family {
    /// Head first; as many as the roster's household size (none for a
    /// household with no readable dibao roster row of its own).
    members: Vec<Member>,
    /// How many of `members` members.csv lists: all of them, or one fewer
    /// when a member moved away (HOUSEHOLD_SIZE_MISMATCH).
    listed: usize,
    /// A member besides the head who died (MEMBER_EXCLUDED): which, and
    /// the exclusions.csv row that says so.
    deceased: Option<(usize, Exclusion)>,
}

/// Plans the members of the `index`-th of `households` households, and the
/// v3 anomaly on them, if any.
pub fn plan(
    household: &Household,
    index: u64,
    households: u64,
    id_salt: u64,
    random: &mut Random,
    grace_months: u32,
) -> Family {
    let mut family = Family {
        members: Vec::new(),
        listed: 0,
        deceased: None,
    };
    // Members are the dibao office's register; a household paid with no
    // roster row of its own has none.
    if household.program != Program::Dibao || household.anomaly == Some(Anomaly::PaidNotEnrolled) {
        return family;
    }
    family.members.push(Member {
        id: household.id.clone(),
        name: household.name.clone(),
        relation: "户主",
    });
    let area = &household.region[..6];
    for block in 1..u64::from(household.assessment.household_size) {
        family.members.push(Member {
            id: id_number(id_salt, area, households * block + index),
            name: person_name(random),
            relation: RELATIONS[random.below(RELATIONS.len() as u64) as usize],
        });
    }
    family.listed = family.members.len();
    match household.anomaly {
        Some(Anomaly::HouseholdSizeMismatch) => family.listed -= 1,
        Some(Anomaly::MemberExcluded) => {
            // Dead early enough that the grace months (which SPEC v3 adds
            // for a member whatever the household size) end in the year.
            assert!(grace_months + 2 <= LAST_MONTH, "a death month is left");
            let which = 1 + random.below(family.members.len() as u64 - 1) as usize;
            let from = 2 + random.below(u64::from(LAST_MONTH - grace_months - 1)) as u32;
            family.deceased = Some((
                which,
                Exclusion {
                    reason: death_reason(random),
                    from,
                    grace: grace_months,
                },
            ));
        }
        _ => {}
    }
    family
}

/// The household's members.csv rows, and the exclusions.csv row of a
/// member who died.
pub fn write_members(
    out: &mut CaseFiles,
    county: &County,
    household: &Household,
    family: &Family,
) -> io::Result<()> {
    for member in &family.members[..family.listed] {
        out.row(
            FileKind::Members,
            format_args!(
                "{},{},{},{}",
                household.household_id, member.id, member.name, member.relation
            ),
        )?;
    }
    if let Some((which, exclusion)) = &family.deceased {
        out.row(
            FileKind::Exclusions,
            format_args!(
                "{},{},{}",
                family.members[*which].id,
                exclusion.reason,
                county.period(exclusion.from)
            ),
        )?;
    }
    Ok(())
}

/// The household's watchlist.csv row, if any: now and then a lead on one
/// of its people in a month the office covers them (no finding), and for
/// POSSIBLY_MISSED a lead on a person of the village enrolled nowhere.
#[allow(clippy::too_many_arguments)]
pub fn write_leads(
    out: &mut CaseFiles,
    random: &mut Random,
    county: &County,
    household: &Household,
    family: &Family,
    index: u64,
    households: u64,
    id_salt: u64,
) -> io::Result<()> {
    if household.anomaly == Some(Anomaly::PossiblyMissed) {
        let id = id_number(
            id_salt,
            &household.region[..6],
            households * LEAD_BLOCK + index,
        );
        let name = person_name(random);
        return write_lead(
            out,
            random,
            county,
            household,
            &id,
            &name,
            household.anomaly_month,
        );
    }
    let covered_here = matches!(household.program, Program::Dibao | Program::Tekun)
        && household.anomaly.is_none()
        && !household.is_foreign();
    if !covered_here || random.below(1000) >= LEAD_PER_MILLE {
        return Ok(());
    }
    // A month the enrolment covers (the phase-out and a closed roster row
    // shorten it), so the lead's person is covered in it.
    let policy = &county.policy;
    let covered: Vec<u32> = (1..=LAST_MONTH)
        .filter(|&month| household.covers(month, policy))
        .collect();
    let Some(&first) = covered.first() else {
        return Ok(());
    };
    let month = first + random.below(covered.len() as u64) as u32;
    debug_assert!(household.covers(month, policy), "covered months run on");
    let (id, name) = match family.members[..family.listed].len() {
        0 => (&household.id, &household.name),
        listed => {
            let member = &family.members[random.below(listed as u64) as usize];
            (&member.id, &member.name)
        }
    };
    write_lead(out, random, county, household, id, name, month)
}

fn write_lead(
    out: &mut CaseFiles,
    random: &mut Random,
    county: &County,
    household: &Household,
    id: &str,
    name: &str,
    month: u32,
) -> io::Result<()> {
    let (source, reason) = LEAD_SOURCES[random.below(LEAD_SOURCES.len() as u64) as usize];
    // Not every department keys in the region.
    let region = match random.below(4) {
        0 => "",
        _ => household.region.as_str(),
    };
    out.row(
        FileKind::Watchlist,
        format_args!(
            "{id},{name},{region},{source},{reason},{}",
            county.period(month)
        ),
    )
}

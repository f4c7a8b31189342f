//! One household as the generator plans it: who and where, the program and
//! assessment, the year's events (phase-out, the head's death) and the
//! anomaly planted on it, if any. A plan is made, written and dropped
//! before the next, so memory stays flat at any size.

use std::ops::RangeInclusive;

use super::anomaly::Anomaly;
use super::county::{
    Assessment, Category, County, Knowledge, Tier, BACK_PAY_MONTH, COUNTY, FOREIGN_REGION,
    RAISE_MONTH, SEAT_TOWN, TOWNS, TOWN_NAMES, VILLAGES_PER_TOWN,
};
use super::people::{id_number, person_name, Random};
use crate::case::Policy;
use crate::domain::{CareLevel, Money, Program};

/// Months of the generated year.
pub const LAST_MONTH: u32 = 12;
/// Largest household (dibao counts persons, tekun and temp are one).
pub const MAX_HOUSEHOLD_SIZE: u64 = 5;
/// At most this many members of a household are listed for top-ups.
const MAX_TOP_UP_MEMBERS: u64 = 2;

/// Per thousand plain dibao households: entering phase-out this year, and
/// losing their head.
const PHASE_OUT_PER_MILLE: u64 = 50;
const DEATH_PER_MILLE: u64 = 20;
/// Per hundred rural dibao households paid by a tier, and per hundred
/// dibao households with members in a top-up category.
const TIERED_PERCENT: u64 = 40;
const TOP_UP_PERCENT: u64 = 25;

/// How an exclusion names a death (SPEC v2 §4 knows all three).
pub const DEATH_REASONS: [&str; 3] = ["deceased", "死亡", "去世"];
/// Data cross-checks (数据比对) that end a benefit at once.
const OTHER_REASONS: [&str; 4] = ["public_employee", "vehicle", "business", "property"];

/// An exclusions.csv row and, for the deceased head of a family, the grace
/// months the engine adds before it takes effect.
pub struct Exclusion {
    pub reason: &'static str,
    pub from: u32,
    pub grace: u32,
}

impl Exclusion {
    pub fn effective_from(&self) -> u32 {
        self.from + self.grace
    }
}

/// The year's event of a plain household, which the office handles right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    None,
    PhaseOut,
    DeathAlone,
    DeathWithFamily,
}

pub struct Household {
    pub anomaly: Option<Anomaly>,
    pub program: Program,
    /// The town whose standards the office pays by (1-based).
    pub town: u32,
    /// The region on the roster: a village of `town`, or a foreign code.
    pub region: String,
    pub id: String,
    pub name: String,
    pub household_id: String,
    pub account: String,
    /// Whom the bank credits: the person, or a care institution.
    pub bank_name: String,
    pub assessment: Assessment,
    pub care: CareLevel,
    pub centralized: bool,
    /// temp: the one-off amount approved.
    pub approved: Money,
    /// First payable month (temp: its only month).
    pub start: u32,
    /// The roster's end_period, as a month that may pass December.
    pub end: Option<u32>,
    pub phase_out_from: Option<u32>,
    pub exclusion: Option<Exclusion>,
    /// The last month the office pays.
    pub last_paid: u32,
    pub anomaly_month: u32,
}

impl Household {
    /// Whether the enrolment covers `month` (SPEC v2 §4: the phase-out
    /// shortens the span).
    pub fn covers(&self, month: u32, policy: &Policy) -> bool {
        let phase_out_end = self
            .phase_out_from
            .map_or(u32::MAX, |from| from + policy.phase_out_months - 1);
        self.start <= month && month <= self.end.unwrap_or(u32::MAX).min(phase_out_end)
    }

    /// Covered and not excluded: money for `month` is due.
    pub fn is_due(&self, month: u32, policy: &Policy) -> bool {
        self.covers(month, policy)
            && self
                .exclusion
                .as_ref()
                .is_none_or(|exclusion| month < exclusion.effective_from())
    }

    pub fn paid_months(&self) -> RangeInclusive<u32> {
        self.start..=self.last_paid
    }

    pub fn is_foreign(&self) -> bool {
        self.region == FOREIGN_REGION
    }

    /// What the office pays for `month`, knowing the standards decided by
    /// then or all of them: the entitlement of the town it pays by.
    pub fn amount(&self, county: &County, month: u32, knowledge: Knowledge) -> Money {
        let schedule = county.schedule(self.town, month, knowledge);
        let amount = match self.program {
            // Paid a flat amount although the income is above the line.
            Program::Dibao if self.anomaly == Some(Anomaly::IncomeAboveStandard) => {
                Some(Money::from_yuan(300))
            }
            Program::Dibao => schedule.dibao(&self.assessment, &county.policy),
            Program::Tekun => schedule.tekun(self.care),
            Program::Temp => Some(self.approved),
            Program::PriceSubsidy => unreachable!("nobody is enrolled in price_subsidy"),
        };
        amount.expect("the county's towns have every standard their households need")
    }

    /// The price subsidy paid with `month`'s benefit (0 while the trigger
    /// is off, and above the line).
    pub fn price_subsidy(&self, county: &County, month: u32, knowledge: Knowledge) -> Money {
        let schedule = county.schedule(self.town, month, knowledge);
        match self.program {
            Program::Dibao => schedule
                .dibao_price_subsidy(&self.assessment)
                .expect("the county's towns have a dibao standard"),
            Program::Tekun => schedule.tekun_price_subsidy(),
            Program::Temp | Program::PriceSubsidy => Money::ZERO,
        }
    }
}

/// What the rule mix of a case came to, for the terminal and the docs.
#[derive(Clone, Copy, Debug, Default)]
pub struct RuleMix {
    pub tiered: [u64; Tier::ALL.len()],
    pub with_top_ups: u64,
    pub phase_outs: u64,
    pub deceased_alone: u64,
    pub deceased_with_family: u64,
    pub tekun: u64,
}

impl RuleMix {
    pub fn count(&mut self, household: &Household) {
        if let Some(tier) = household.assessment.tier {
            self.tiered[tier as usize] += 1;
        }
        self.with_top_ups += u64::from(!household.assessment.members.is_empty());
        self.phase_outs += u64::from(household.phase_out_from.is_some());
        if let Some(exclusion) = &household.exclusion {
            if DEATH_REASONS.contains(&exclusion.reason) {
                match household.assessment.household_size {
                    1 => self.deceased_alone += 1,
                    _ => self.deceased_with_family += 1,
                }
            }
        }
        self.tekun += u64::from(household.program == Program::Tekun);
    }
}

/// Makes households one after another; remembers only counters and the
/// last account (for SHARED_ACCOUNT).
pub struct Planner {
    id_salt: u64,
    /// `--v3`: the v3 anomalies join the round robin.
    v3: bool,
    anomalies: u64,
    deaths: u64,
    previous_account: String,
}

impl Planner {
    pub fn new(random: &mut Random, v3: bool) -> Planner {
        Planner {
            id_salt: random.next(),
            v3,
            anomalies: 0,
            deaths: 0,
            previous_account: String::new(),
        }
    }

    pub fn anomalies(&self) -> u64 {
        self.anomalies
    }

    /// What every id of the case is drawn with (members' and leads' too).
    pub fn id_salt(&self) -> u64 {
        self.id_salt
    }

    pub fn household(
        &mut self,
        random: &mut Random,
        index: u64,
        anomaly_per_mille: u32,
        policy: &Policy,
    ) -> Household {
        let town = 1 + random.below(u64::from(TOWNS)) as u32;
        let village = 1 + random.below(u64::from(VILLAGES_PER_TOWN)) as u32;
        let anomaly = (random.below(1000) < u64::from(anomaly_per_mille)).then(|| {
            self.anomalies += 1;
            Anomaly::nth(self.anomalies - 1, self.v3)
        });
        let program = anomaly.map_or_else(|| draw_program(random), Anomaly::program);
        let event = match anomaly {
            None if program == Program::Dibao => self.draw_event(random),
            _ => Event::None,
        };
        let region = match anomaly {
            Some(Anomaly::NoStandard) => FOREIGN_REGION.to_string(),
            _ => format!("{COUNTY}{town:03}{village:03}"),
        };
        let mut household = Household {
            anomaly,
            program,
            town,
            id: id_number(self.id_salt, &region[..6], index),
            region,
            name: person_name(random),
            household_id: format!("H{index:08}"),
            account: format!("6217{:012}", random.below(1_000_000_000_000)),
            bank_name: String::new(),
            assessment: draw_assessment(random, program, town, event, anomaly),
            care: [CareLevel::SelfCare, CareLevel::Semi, CareLevel::Full][random.below(3) as usize],
            centralized: program == Program::Tekun && random.below(8) == 0,
            approved: Money::from_yuan(500 + random.below(20) as i64 * 100),
            start: draw_start(random, program, anomaly),
            end: None,
            phase_out_from: None,
            exclusion: None,
            last_paid: LAST_MONTH,
            anomaly_month: 2 + random.below(10) as u32,
        };
        household.bank_name = household.name.clone();
        if program == Program::Temp {
            household.last_paid = household.start;
        }
        if household.centralized {
            // Paid to the care institution's account, in its name.
            household.account = format!("INST{town:03}");
            household.bank_name = format!("{}镇敬老院", TOWN_NAMES[(town - 1) as usize]);
        }
        plan_event(&mut household, event, random, policy);
        if let Some(anomaly) = anomaly {
            self.plant(&mut household, anomaly, random, policy);
        }
        if !household.centralized {
            self.previous_account = household.account.clone();
        }
        household
    }

    /// A plain dibao household's event; deaths alternate between a person
    /// living alone and the head of a family, so both show in small cases.
    fn draw_event(&mut self, random: &mut Random) -> Event {
        let draw = random.below(1000);
        if draw < PHASE_OUT_PER_MILLE {
            Event::PhaseOut
        } else if draw < PHASE_OUT_PER_MILLE + DEATH_PER_MILLE {
            self.deaths += 1;
            if self.deaths % 2 == 1 {
                Event::DeathAlone
            } else {
                Event::DeathWithFamily
            }
        } else {
            Event::None
        }
    }

    /// Changes the plan so that the anomaly shows as its finding.
    fn plant(
        &mut self,
        household: &mut Household,
        anomaly: Anomaly,
        random: &mut Random,
        policy: &Policy,
    ) {
        match anomaly {
            Anomaly::InvalidId => {
                // Same digits, wrong check character.
                let last = household.id.pop().expect("18 characters");
                household.id.push(if last == '0' { '1' } else { '0' });
            }
            Anomaly::IncomeAboveStandard => {
                household.assessment.per_capita_income = Money::from_yuan(700);
                household.assessment.deductions = Money::ZERO;
            }
            Anomaly::PaidAfterExit => household.end = Some(8),
            Anomaly::SharedAccount if !self.previous_account.is_empty() => {
                household.account = self.previous_account.clone();
            }
            Anomaly::PaidToExcluded => {
                household.exclusion = Some(Exclusion {
                    reason: OTHER_REASONS[random.below(OTHER_REASONS.len() as u64) as usize],
                    from: 10,
                    grace: 0,
                });
            }
            Anomaly::PaidPastPhaseOut => {
                // Ends in August to October; paid on to December.
                let from = 3 + random.below(3) as u32;
                assert!(from + policy.phase_out_months - 1 < LAST_MONTH);
                household.phase_out_from = Some(from);
            }
            Anomaly::PaidAfterDeath | Anomaly::PaidPastGrace => {
                // The benefit ends from September on, after the back-paid
                // months; the roster is never closed and the bank pays on.
                let grace = match anomaly {
                    Anomaly::PaidPastGrace => policy.deceased_grace_months,
                    _ => 0,
                };
                let effective = BACK_PAY_MONTH
                    + random.below(u64::from(LAST_MONTH - BACK_PAY_MONTH + 1)) as u32;
                assert!(effective > grace + household.start);
                household.exclusion = Some(Exclusion {
                    reason: death_reason(random),
                    from: effective - grace,
                    grace,
                });
            }
            _ => {}
        }
    }
}

pub fn death_reason(random: &mut Random) -> &'static str {
    DEATH_REASONS[random.below(DEATH_REASONS.len() as u64) as usize]
}

fn draw_program(random: &mut Random) -> Program {
    match random.below(100) {
        0..=69 => Program::Dibao,
        70..=89 => Program::Tekun,
        _ => Program::Temp,
    }
}

/// Most enrolments run all year; one in ten starts in the first half.
/// Anomalies sit on households enrolled all year, so the month they are
/// planted in is always paid.
fn draw_start(random: &mut Random, program: Program, anomaly: Option<Anomaly>) -> u32 {
    if program == Program::Temp {
        return 1 + random.below(u64::from(LAST_MONTH)) as u32;
    }
    if anomaly.is_none() && random.below(10) == 0 {
        1 + random.below(6) as u32
    } else {
        1
    }
}

/// dibao: size, income and deductions; a tier in the rural towns (by
/// income) and members with top-up categories, at realistic rates.
fn draw_assessment(
    random: &mut Random,
    program: Program,
    town: u32,
    event: Event,
    anomaly: Option<Anomaly>,
) -> Assessment {
    let household_size = match (program, event, anomaly) {
        (Program::Dibao, Event::DeathAlone, _) | (_, _, Some(Anomaly::PaidAfterDeath)) => 1,
        // A household of two or more: a family (the head's death, or v3: a
        // member's death or departure needs someone besides the head).
        (Program::Dibao, Event::DeathWithFamily, _)
        | (
            _,
            _,
            Some(Anomaly::PaidPastGrace | Anomaly::MemberExcluded | Anomaly::HouseholdSizeMismatch),
        ) => 2 + random.below(MAX_HOUSEHOLD_SIZE - 1) as u32,
        (Program::Dibao, ..) => 1 + random.below(MAX_HOUSEHOLD_SIZE) as u32,
        _ => 1,
    };
    let mut assessment = Assessment {
        household_size,
        per_capita_income: Money::from_yuan(random.below(45) as i64 * 10),
        deductions: match random.below(4) {
            0 => Money::from_yuan(random.below(20) as i64 * 5),
            _ => Money::ZERO,
        },
        tier: None,
        members: Vec::new(),
    };
    if program != Program::Dibao {
        return assessment;
    }
    if town != SEAT_TOWN && random.below(100) < TIERED_PERCENT {
        assessment.tier = Some(Tier::for_income(assessment.per_capita_income));
    }
    if random.below(100) < TOP_UP_PERCENT {
        let listed = (1 + random.below(MAX_TOP_UP_MEMBERS)).min(u64::from(household_size));
        assessment.members = (0..listed).map(|_| draw_categories(random)).collect();
    }
    assessment
}

/// One member's categories: one, or (one in five) two of them.
fn draw_categories(random: &mut Random) -> Vec<Category> {
    let count = Category::ALL.len() as u64;
    let first = random.below(count) as usize;
    let mut categories = vec![Category::ALL[first]];
    if random.below(5) == 0 {
        let second = (first + 1 + random.below(count - 1) as usize) % count as usize;
        categories.push(Category::ALL[second]);
        categories.sort_by_key(|category| *category as usize);
    }
    categories
}

/// Sets the roster, exclusion and payments of a plain household's event,
/// handled as the rules say: the phase-out paid to its last month; a death
/// closing the enrolment at once, or after the grace months for a family.
fn plan_event(household: &mut Household, event: Event, random: &mut Random, policy: &Policy) {
    // Events start after the first month, so something was paid before.
    let first = household.start + 1;
    if event == Event::None || first > LAST_MONTH {
        return;
    }
    let mut month = first + random.below(u64::from(LAST_MONTH - first + 1)) as u32;
    let months_paid_from_event = match event {
        Event::PhaseOut => policy.phase_out_months,
        Event::DeathWithFamily => policy.deceased_grace_months,
        _ => 0,
    };
    if month + months_paid_from_event == RAISE_MONTH + 1 && month < LAST_MONTH {
        // Ending in July would leave one month to back-pay, and a one-month
        // back-pay is a single-period payout made after the deadline
        // (LATE_PAYMENT): end a month later, so plain households stay clean.
        month += 1;
    }
    match event {
        Event::PhaseOut => {
            household.phase_out_from = Some(month);
            household.last_paid = (month + policy.phase_out_months - 1).min(LAST_MONTH);
        }
        Event::DeathAlone | Event::DeathWithFamily => {
            let grace = months_paid_from_event;
            // The office closes the enrolment when the benefit ends.
            let last = month + grace - 1;
            household.end = Some(last);
            household.last_paid = last.min(LAST_MONTH);
            household.exclusion = Some(Exclusion {
                reason: death_reason(random),
                from: month,
                grace,
            });
        }
        Event::None => {}
    }
}

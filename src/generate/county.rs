//! The generated county: its regions, its standards table (money and, SPEC
//! v2, shares of other standards), its policy, and the standards in force
//! for a town and month — resolved here by the generator itself, the way
//! SPEC §2's look-up says, so that what it pays can be checked against
//! what the engine recomputes.

use crate::case::{Policy, TopupStacking};
use crate::domain::{Amount, CareLevel, Item, Money, Period, Program, Rounding, Share};

pub const COUNTY: &str = "510104";
pub const TOWNS: u32 = 5;
pub const VILLAGES_PER_TOWN: u32 = 8;
pub const TOWN_NAMES: [&str; TOWNS as usize] = ["城关", "东山", "西河", "南坝", "北岭"];
/// Town 1 is the county seat (城关镇); towns 2–5 are rural, where dibao is
/// paid in tiers (分档).
pub const SEAT_TOWN: u32 = 1;
/// Outside the county's standards: a tekun enrolment keyed in with this
/// region has no care standard (NO_STANDARD).
pub const FOREIGN_REGION: &str = "520102003004";

/// The dibao standard (and with it every share of it, and the money tier
/// D) is raised from July; the raise is decided in September and July and
/// August are back-paid then as one range record (提标补发).
pub const RAISE_MONTH: u32 = 7;
pub const BACK_PAY_MONTH: u32 = 9;
/// The minimum wage (the base of tekun care) rises from April, known in
/// time: care is paid at the new level from April on.
const WAGE_RAISE_MONTH: u32 = 4;
/// The price-linkage subsidy (价格临时补贴) is paid only while the CPI
/// trigger is on: January–March and November–December.
const SUBSIDY_OFF_MONTH: u32 = 4;
const SUBSIDY_ON_AGAIN_MONTH: u32 = 11;

/// dibao payment tiers (分档) of the rural towns: three shares of the
/// standard and one fixed amount raised in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    A,
    B,
    C,
    D,
}

impl Tier {
    pub const ALL: [Tier; 4] = [Tier::A, Tier::B, Tier::C, Tier::D];

    pub fn name(self) -> &'static str {
        match self {
            Tier::A => "A",
            Tier::B => "B",
            Tier::C => "C",
            Tier::D => "D",
        }
    }

    /// The county assesses the tier by income: the poorer, the higher.
    pub fn for_income(income: Money) -> Tier {
        match income.fen() {
            0..=10_000 => Tier::A,
            10_001..=25_000 => Tier::B,
            25_001..=35_000 => Tier::C,
            _ => Tier::D,
        }
    }
}

/// Classified top-up categories (分类施保), per qualifying member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    Elderly70,
    Disabled,
    Ill,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Elderly70, Category::Disabled, Category::Ill];

    pub fn name(self) -> &'static str {
        match self {
            Category::Elderly70 => "elderly70",
            Category::Disabled => "disabled",
            Category::Ill => "ill",
        }
    }
}

/// Where a standards row applies: its region prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Everywhere,
    Countywide,
    SeatTown,
}

impl Scope {
    fn prefix(self) -> &'static str {
        match self {
            Scope::Everywhere => "",
            Scope::Countywide => COUNTY,
            Scope::SeatTown => "510104001",
        }
    }

    fn written(self) -> &'static str {
        match self {
            Scope::Everywhere => "*",
            scope => scope.prefix(),
        }
    }
}

/// A standards item, with the tier or category of the named families.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Named {
    Plain(Item),
    Tier(Tier),
    Topup(Category),
}

impl Named {
    fn item(self) -> Item {
        match self {
            Named::Plain(item) => item,
            Named::Tier(_) => Item::Tier,
            Named::Topup(_) => Item::Topup,
        }
    }
}

/// One standards.csv row, and the month the county decided it (a raise
/// decided after it takes effect is back-paid).
struct StandardRow {
    scope: Scope,
    program: Program,
    item: Named,
    from: u32,
    amount: Amount,
    decided: u32,
}

const fn row(
    scope: Scope,
    program: Program,
    item: Named,
    from: u32,
    amount: Amount,
) -> StandardRow {
    StandardRow {
        scope,
        program,
        item,
        from,
        amount,
        decided: from,
    }
}

const fn yuan(yuan: i64) -> Amount {
    Amount::Money(Money::from_yuan(yuan))
}

const fn percent(whole: u64) -> Amount {
    Amount::Share(Share::Percent {
        hundredths: whole * 100,
    })
}

const fn percent_hundredths(hundredths: u64) -> Amount {
    Amount::Share(Share::Percent { hundredths })
}

const fn fraction(numerator: u64, denominator: u64) -> Amount {
    Amount::Share(Share::Fraction {
        numerator,
        denominator,
    })
}

const fn decided_in(mut row: StandardRow, month: u32) -> StandardRow {
    row.decided = month;
    row
}

use Program::{Dibao, Tekun};
use Scope::{Countywide, Everywhere, SeatTown};

/// The county's standards.csv, in the order written. Shares are of the
/// dibao standard, care shares of the minimum wage (SPEC v2 §2).
#[rustfmt::skip]
const STANDARDS: [StandardRow; 25] = [
    row(Everywhere, Dibao, Named::Plain(Item::Standard), 1, yuan(550)),
    row(Countywide, Dibao, Named::Plain(Item::Standard), 1, yuan(600)),
    decided_in(row(Countywide, Dibao, Named::Plain(Item::Standard), RAISE_MONTH, yuan(650)), BACK_PAY_MONTH),
    row(Countywide, Dibao, Named::Plain(Item::Floor), 1, yuan(60)),
    row(Countywide, Dibao, Named::Tier(Tier::A), 1, percent(80)),
    row(Countywide, Dibao, Named::Tier(Tier::B), 1, percent(60)),
    row(Countywide, Dibao, Named::Tier(Tier::C), 1, fraction(1, 3)),
    row(Countywide, Dibao, Named::Tier(Tier::D), 1, yuan(150)),
    decided_in(row(Countywide, Dibao, Named::Tier(Tier::D), RAISE_MONTH, yuan(170)), BACK_PAY_MONTH),
    row(Countywide, Dibao, Named::Topup(Category::Elderly70), 1, percent(10)),
    row(Countywide, Dibao, Named::Topup(Category::Disabled), 1, percent(20)),
    row(Countywide, Dibao, Named::Topup(Category::Ill), 1, percent(30)),
    row(Countywide, Dibao, Named::Plain(Item::PriceSubsidy), 1, percent_hundredths(250)),
    row(Countywide, Dibao, Named::Plain(Item::PriceSubsidy), SUBSIDY_OFF_MONTH, yuan(0)),
    row(Countywide, Dibao, Named::Plain(Item::PriceSubsidy), SUBSIDY_ON_AGAIN_MONTH, percent_hundredths(250)),
    row(Everywhere, Tekun, Named::Plain(Item::Basic), 1, percent(130)),
    // The county seat pays its own fixed basic standard, which does not
    // follow the dibao raise.
    row(SeatTown, Tekun, Named::Plain(Item::Basic), 1, yuan(850)),
    row(Countywide, Tekun, Named::Plain(Item::MinWage), 1, yuan(2100)),
    row(Countywide, Tekun, Named::Plain(Item::MinWage), WAGE_RAISE_MONTH, yuan(2180)),
    row(Countywide, Tekun, Named::Plain(Item::CareSelf), 1, fraction(1, 10)),
    row(Countywide, Tekun, Named::Plain(Item::CareSemi), 1, fraction(1, 6)),
    row(Countywide, Tekun, Named::Plain(Item::CareFull), 1, fraction(1, 3)),
    row(Countywide, Tekun, Named::Plain(Item::PriceSubsidy), 1, percent_hundredths(350)),
    row(Countywide, Tekun, Named::Plain(Item::PriceSubsidy), SUBSIDY_OFF_MONTH, yuan(0)),
    row(Countywide, Tekun, Named::Plain(Item::PriceSubsidy), SUBSIDY_ON_AGAIN_MONTH, percent_hundredths(350)),
];

/// The county's policy.toml: derived amounts to the jiao, top-ups by the
/// highest category (就高), six months of phase-out, and the national
/// three months of grace after the death of a household's head.
pub fn policy() -> Policy {
    Policy {
        payment_deadline_day: 10,
        rounding: Rounding::Fen,
        tolerance: Money::ZERO,
        exclusive: vec![vec![Program::Dibao, Program::Tekun]],
        item_rounding: Rounding::Jiao,
        topup_stacking: TopupStacking::Highest,
        phase_out_months: 6,
        deceased_grace_months: 3,
        rectify_months: 1,
        notice: crate::case::NoticeSettings::default(),
    }
}

pub fn policy_toml(policy: &Policy) -> String {
    let exclusive: Vec<String> = policy
        .exclusive
        .iter()
        .map(|group| {
            let names: Vec<String> = group
                .iter()
                .map(|program| format!("\"{}\"", program.name()))
                .collect();
            format!("[{}]", names.join(", "))
        })
        .collect();
    format!(
        "# The generated county's policy (SPEC §2).\n\
         payment_deadline_day = {}\n\
         rounding = \"{}\"\n\
         tolerance = \"{}\"\n\
         exclusive = [{}]\n\
         item_rounding = \"{}\"\n\
         topup_stacking = \"{}\"\n\
         phase_out_months = {}\n\
         deceased_grace_months = {}\n",
        policy.payment_deadline_day,
        policy.rounding.name(),
        policy.tolerance,
        exclusive.join(", "),
        policy.item_rounding.name(),
        policy.topup_stacking.name(),
        policy.phase_out_months,
        policy.deceased_grace_months,
    )
}

/// standards.csv rows as text (`region,program,item,month,amount`), the
/// month to be written as a period of the case's year.
pub fn standards_rows() -> impl Iterator<Item = (String, u32, Amount)> {
    STANDARDS.iter().map(|row| {
        let item = match row.item {
            Named::Plain(item) => item.name().to_string(),
            Named::Tier(tier) => format!("tier_{}", tier.name()),
            Named::Topup(category) => format!("topup_{}", category.name()),
        };
        let head = format!("{},{},{item}", row.scope.written(), row.program.name());
        (head, row.from, row.amount)
    })
}

/// The standards in force for one town and month, derived amounts
/// resolved to money; `None`: no row (or no base for a share).
#[derive(Clone, Copy, Debug, Default)]
pub struct Schedule {
    pub dibao_standard: Option<Money>,
    pub floor: Option<Money>,
    pub tiers: [Option<Money>; Tier::ALL.len()],
    pub top_ups: [Option<Money>; Category::ALL.len()],
    pub dibao_price_subsidy: Option<Money>,
    pub tekun_basic: Option<Money>,
    /// By care level: self, semi, full.
    pub care: [Option<Money>; 3],
    pub tekun_price_subsidy: Option<Money>,
}

/// Which standards a payment knows: those decided by the month it is made
/// (a payment for month m is made in m), or all of them (the engine's view
/// and the back-pay's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Knowledge {
    WhenPaid,
    Final,
}

/// SPEC §2's look-up over the county's table: rows of the program and item
/// whose region is a prefix of `region`, in effect by `month` and decided
/// by `known_by`; the longest prefix, then the latest; a share applied to
/// its base, looked up the same way, half-up to `item_rounding`.
fn look_up(
    region: &str,
    program: Program,
    item: Named,
    month: u32,
    known_by: u32,
    item_rounding: Rounding,
) -> Option<Money> {
    let row = STANDARDS
        .iter()
        .filter(|row| {
            row.program == program
                && row.item == item
                && row.from <= month
                && row.decided <= known_by
                && region.starts_with(row.scope.prefix())
        })
        .max_by_key(|row| (row.scope.prefix().len(), row.from))?;
    match row.amount {
        Amount::Money(money) => Some(money),
        Amount::Share(share) => {
            let (base_program, base_item) =
                Item::base(program, item.item()).expect("the two base items are written as money");
            let base = look_up(
                region,
                base_program,
                Named::Plain(base_item),
                month,
                known_by,
                item_rounding,
            )?;
            Some(share.of(base, item_rounding))
        }
    }
}

/// A dibao household as the entitlement formula sees it.
pub struct Assessment {
    pub household_size: u32,
    pub per_capita_income: Money,
    pub deductions: Money,
    pub tier: Option<Tier>,
    /// Each listed member's categories.
    pub members: Vec<Vec<Category>>,
}

impl Assessment {
    fn times_size(&self, amount: Money) -> Money {
        amount
            .checked_times(i64::from(self.household_size))
            .expect("household sizes are at most a few persons")
    }

    fn gap(&self, standard: Money) -> Money {
        self.times_size(standard - self.per_capita_income) + self.deductions
    }
}

impl Schedule {
    fn resolve(region: &str, month: u32, known_by: u32, item_rounding: Rounding) -> Schedule {
        let find = |program, item| look_up(region, program, item, month, known_by, item_rounding);
        Schedule {
            dibao_standard: find(Dibao, Named::Plain(Item::Standard)),
            floor: find(Dibao, Named::Plain(Item::Floor)),
            tiers: Tier::ALL.map(|tier| find(Dibao, Named::Tier(tier))),
            top_ups: Category::ALL.map(|category| find(Dibao, Named::Topup(category))),
            dibao_price_subsidy: find(Dibao, Named::Plain(Item::PriceSubsidy)),
            tekun_basic: find(Tekun, Named::Plain(Item::Basic)),
            care: [Item::CareSelf, Item::CareSemi, Item::CareFull]
                .map(|item| find(Tekun, Named::Plain(item))),
            tekun_price_subsidy: find(Tekun, Named::Plain(Item::PriceSubsidy)),
        }
    }

    /// SPEC v2 §4 dibao: 0 above the line; else the tier's amount (or the
    /// gap, at least the floor) per person plus each listed member's
    /// top-up, the sum rounded half-up to `rounding`.
    pub fn dibao(&self, household: &Assessment, policy: &Policy) -> Option<Money> {
        let gap = household.gap(self.dibao_standard?);
        if !gap.is_positive() {
            return Some(Money::ZERO);
        }
        let base = match household.tier {
            Some(tier) => household.times_size(self.tiers[tier as usize]?),
            None => gap.max(household.times_size(self.floor.unwrap_or(Money::ZERO))),
        };
        let mut top_ups = Money::ZERO;
        for member in &household.members {
            let mut amount = Money::ZERO;
            for &category in member {
                let top_up = self.top_ups[category as usize]?;
                amount = match policy.topup_stacking {
                    TopupStacking::Highest => amount.max(top_up),
                    TopupStacking::Sum => amount + top_up,
                };
            }
            top_ups += amount;
        }
        Some((base + top_ups).round_half_up(policy.rounding))
    }

    /// tekun: basic + care of the person's level.
    pub fn tekun(&self, care: CareLevel) -> Option<Money> {
        let care = match care {
            CareLevel::SelfCare => self.care[0],
            CareLevel::Semi => self.care[1],
            CareLevel::Full => self.care[2],
        };
        Some(self.tekun_basic? + care?)
    }

    /// The dibao household's price subsidy: per person, none above the line.
    pub fn dibao_price_subsidy(&self, household: &Assessment) -> Option<Money> {
        let standard = self.dibao_standard?;
        if !household.gap(standard).is_positive() {
            return Some(Money::ZERO);
        }
        Some(household.times_size(self.dibao_price_subsidy.unwrap_or(Money::ZERO)))
    }

    pub fn tekun_price_subsidy(&self) -> Money {
        self.tekun_price_subsidy.unwrap_or(Money::ZERO)
    }
}

/// The county's standards resolved once for every town, month and
/// knowledge, so a household's month costs an index, not a look-up.
pub struct County {
    pub policy: Policy,
    year: u32,
    schedules: Vec<Schedule>,
}

const MONTHS: u32 = 12;

impl County {
    pub fn new(year: u32) -> County {
        let policy = policy();
        let mut schedules = Vec::with_capacity((TOWNS * MONTHS * 2) as usize);
        for town in 1..=TOWNS {
            // No row is finer than a town, so one village stands for all.
            let region = format!("{COUNTY}{town:03}001");
            for month in 1..=MONTHS {
                for known_by in [month, MONTHS] {
                    schedules.push(Schedule::resolve(
                        &region,
                        month,
                        known_by,
                        policy.item_rounding,
                    ));
                }
            }
        }
        County {
            policy,
            year,
            schedules,
        }
    }

    /// The period of `month` of the case's year; months past 12 run into
    /// the next year (an enrolment closed after the grace months).
    pub fn period(&self, month: u32) -> Period {
        let january = Period::from_year_month(self.year, 1).expect("a four-digit year");
        Period::from_index(january.index() + month - 1)
    }

    /// The standards of `town` (1-based) for `month` (1–12).
    pub fn schedule(&self, town: u32, month: u32, knowledge: Knowledge) -> &Schedule {
        assert!((1..=TOWNS).contains(&town) && (1..=MONTHS).contains(&month));
        let known = usize::from(knowledge == Knowledge::Final);
        &self.schedules[(((town - 1) * MONTHS + (month - 1)) * 2) as usize + known]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yuan_text(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    #[test]
    fn no_two_rows_share_region_program_item_and_month() {
        for (index, first) in STANDARDS.iter().enumerate() {
            for second in &STANDARDS[index + 1..] {
                assert!(
                    !(first.scope == second.scope
                        && first.program == second.program
                        && first.item == second.item
                        && first.from == second.from),
                    "an ambiguous pair of standards rows"
                );
            }
            // A row is decided when it takes effect or later, within the year.
            assert!(first.from <= first.decided && first.decided <= MONTHS);
            // One village stands for its town: no row may be finer.
            assert!(first.scope.prefix().len() <= 9);
        }
    }

    #[test]
    fn derived_amounts_follow_their_bases_at_jiao() {
        let county = County::new(2024);
        let rural_november = county.schedule(3, 11, Knowledge::Final);
        assert_eq!(rural_november.dibao_standard, Some(yuan_text("650")));
        // 1/3 of 650.00 = 216.666… → 216.70 at jiao, half-up.
        assert_eq!(
            rural_november.tiers[Tier::C as usize],
            Some(yuan_text("216.70"))
        );
        assert_eq!(
            rural_november.tiers[Tier::D as usize],
            Some(yuan_text("170"))
        );
        // 2.5% of 650.00 = 16.25 → 16.30; 3.5% = 22.75 → 22.80.
        assert_eq!(rural_november.dibao_price_subsidy, Some(yuan_text("16.30")));
        assert_eq!(rural_november.tekun_price_subsidy, Some(yuan_text("22.80")));
        assert_eq!(rural_november.tekun_basic, Some(yuan_text("845")));
        // 1/6 of 2180.00 = 363.333… → 363.30; 1/3 → 726.70.
        assert_eq!(rural_november.care[1], Some(yuan_text("363.30")));
        assert_eq!(rural_november.care[2], Some(yuan_text("726.70")));
        // Before the raise was decided, July is paid at the old standard.
        let july_when_paid = county.schedule(3, 7, Knowledge::WhenPaid);
        assert_eq!(july_when_paid.dibao_standard, Some(yuan_text("600")));
        assert_eq!(
            july_when_paid.tiers[Tier::D as usize],
            Some(yuan_text("150"))
        );
        assert_eq!(july_when_paid.tekun_basic, Some(yuan_text("780")));
        // The seat's own basic is money, whatever the standard.
        assert_eq!(
            county.schedule(SEAT_TOWN, 11, Knowledge::Final).tekun_basic,
            Some(yuan_text("850"))
        );
        // No subsidy while the trigger is off.
        assert_eq!(
            county.schedule(3, 7, Knowledge::Final).dibao_price_subsidy,
            Some(Money::ZERO)
        );
    }

    #[test]
    fn the_spec_top_up_example() {
        // SPEC §7: standard 600, elderly70 10%, disabled 20%, household of
        // 2 at 400.00, `elderly70+disabled;elderly70` → 580.00 (highest).
        let county = County::new(2024);
        let january = county.schedule(2, 1, Knowledge::Final);
        let household = Assessment {
            household_size: 2,
            per_capita_income: yuan_text("400"),
            deductions: Money::ZERO,
            tier: None,
            members: vec![
                vec![Category::Elderly70, Category::Disabled],
                vec![Category::Elderly70],
            ],
        };
        assert_eq!(january.dibao(&household, &policy()), Some(yuan_text("580")));
        let sum = Policy {
            topup_stacking: TopupStacking::Sum,
            ..policy()
        };
        assert_eq!(january.dibao(&household, &sum), Some(yuan_text("640")));
    }
}

//! Standards look-up (SPEC §2): longest region prefix that has a row in
//! force, then the latest `effective_from` within it. Derived amounts
//! (SPEC v2: `130%`, `1/6`) are resolved here and nowhere else: the row's
//! share is applied to its base, looked up for the same region and period,
//! and rounded half-up to `item_rounding` — every consumer sees money.

use rustc_hash::FxHashMap;

use crate::case::StandardRow;
use crate::domain::{Amount, Item, Money, Period, Program, Rounding};

/// One (program, item[, name]) a standard can be for, as a dense index.
/// The items every case may have come first; tier and top-up items are
/// numbered after them, in name order, as the standards file names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot(u32);

impl Slot {
    pub const DIBAO_STANDARD: Slot = Slot(0);
    pub const DIBAO_FLOOR: Slot = Slot(1);
    pub const DIBAO_PRICE_SUBSIDY: Slot = Slot(2);
    pub const TEKUN_BASIC: Slot = Slot(3);
    pub const TEKUN_CARE_SELF: Slot = Slot(4);
    pub const TEKUN_CARE_SEMI: Slot = Slot(5);
    pub const TEKUN_CARE_FULL: Slot = Slot(6);
    pub const TEKUN_MIN_WAGE: Slot = Slot(7);
    pub const TEKUN_PRICE_SUBSIDY: Slot = Slot(8);
    /// How many slots are not named.
    const FIXED: usize = 9;

    /// The slot of an item that has no name (every item but tier_/topup_).
    pub fn fixed(program: Program, item: Item) -> Option<Slot> {
        let slot = match (program, item) {
            (Program::Dibao, Item::Standard) => Slot::DIBAO_STANDARD,
            (Program::Dibao, Item::Floor) => Slot::DIBAO_FLOOR,
            (Program::Dibao, Item::PriceSubsidy) => Slot::DIBAO_PRICE_SUBSIDY,
            (Program::Tekun, Item::Basic) => Slot::TEKUN_BASIC,
            (Program::Tekun, Item::CareSelf) => Slot::TEKUN_CARE_SELF,
            (Program::Tekun, Item::CareSemi) => Slot::TEKUN_CARE_SEMI,
            (Program::Tekun, Item::CareFull) => Slot::TEKUN_CARE_FULL,
            (Program::Tekun, Item::MinWage) => Slot::TEKUN_MIN_WAGE,
            (Program::Tekun, Item::PriceSubsidy) => Slot::TEKUN_PRICE_SUBSIDY,
            _ => return None,
        };
        Some(slot)
    }

    fn index(self) -> usize {
        self.0 as usize
    }
}

/// The rows of one (region prefix, slot), sorted by `effective_from`.
struct Group {
    region: Box<str>,
    rows: Vec<(Period, Amount)>,
}

impl Group {
    /// The row in force at `period`: the latest `effective_from ≤ period`.
    fn at(&self, period: Period) -> Option<Amount> {
        let after = self.rows.partition_point(|(from, _)| *from <= period);
        after.checked_sub(1).map(|index| self.rows[index].1)
    }
}

/// All standards, grouped by slot and region prefix.
pub struct StandardsTable {
    /// Per slot, its groups, longest prefix first.
    slots: Vec<Vec<Group>>,
    /// Per slot, the slot a share of it is taken of (SPEC v2 §2).
    bases: Vec<Option<Slot>>,
    /// dibao `tier_<T>` and `topup_<C>` slots by folded name.
    tiers: FxHashMap<Box<str>, Slot>,
    topups: FxHashMap<Box<str>, Slot>,
    /// Every distinct `effective_from`, ascending: the only months where a
    /// look-up's result can change.
    starts: Vec<Period>,
    item_rounding: Rounding,
}

/// The groups that apply to one region, per slot, longest prefix first.
/// Resolved once per distinct region so each look-up is a few binary searches.
#[derive(Clone, Debug, Default)]
pub struct RegionStandards {
    slots: Vec<Box<[u32]>>,
}

impl StandardsTable {
    /// `item_rounding`: the unit derived amounts are rounded to (policy.toml).
    pub fn new(rows: &[StandardRow], item_rounding: Rounding) -> StandardsTable {
        let mut names: Vec<(Item, &str)> = rows
            .iter()
            .filter(|row| matches!(row.item, Item::Tier | Item::Topup))
            .map(|row| (row.item, row.name.as_ref()))
            .collect();
        names.sort_unstable();
        names.dedup();
        let mut tiers: FxHashMap<Box<str>, Slot> = FxHashMap::default();
        let mut topups: FxHashMap<Box<str>, Slot> = FxHashMap::default();
        for (offset, &(item, name)) in names.iter().enumerate() {
            let slot = Slot(u32::try_from(Slot::FIXED + offset).expect("few named items"));
            match item {
                Item::Tier => tiers.insert(name.into(), slot),
                _ => topups.insert(name.into(), slot),
            };
        }
        let slot_of = |row: &StandardRow| -> Slot {
            Slot::fixed(row.program, row.item).unwrap_or_else(|| match row.item {
                Item::Tier => tiers[row.name.as_ref()],
                _ => topups[row.name.as_ref()],
            })
        };
        let count = Slot::FIXED + names.len();
        let mut by_key: FxHashMap<(Slot, &str), Vec<(Period, Amount)>> = FxHashMap::default();
        let mut bases = vec![None; count];
        for row in rows {
            let slot = slot_of(row);
            bases[slot.index()] = Item::base(row.program, row.item)
                .map(|(program, item)| Slot::fixed(program, item).expect("bases are fixed items"));
            by_key
                .entry((slot, &row.region))
                .or_default()
                .push((row.effective_from, row.amount));
        }
        let mut slots: Vec<Vec<Group>> = (0..count).map(|_| Vec::new()).collect();
        for ((slot, region), mut rows) in by_key {
            // The reader dropped repeats and refused ambiguous rows, so
            // effective_from is distinct within a group.
            rows.sort_unstable_by_key(|(from, _)| *from);
            debug_assert!(rows.windows(2).all(|pair| pair[0].0 < pair[1].0));
            slots[slot.index()].push(Group {
                region: region.into(),
                rows,
            });
        }
        for groups in &mut slots {
            // Longest prefix first; ties cannot happen (one group per region).
            groups.sort_by(|a, b| {
                b.region
                    .len()
                    .cmp(&a.region.len())
                    .then_with(|| a.region.cmp(&b.region))
            });
        }
        let mut starts: Vec<Period> = rows.iter().map(|row| row.effective_from).collect();
        starts.sort_unstable();
        starts.dedup();
        StandardsTable {
            slots,
            bases,
            tiers,
            topups,
            starts,
            item_rounding,
        }
    }

    /// The slot of a dibao tier or top-up named `name` (folded); `None`
    /// when standards.csv has no row for it.
    pub fn named(&self, item: Item, name: &str) -> Option<Slot> {
        match item {
            Item::Tier => self.tiers.get(name).copied(),
            Item::Topup => self.topups.get(name).copied(),
            _ => None,
        }
    }

    pub fn resolve(&self, region: &str) -> RegionStandards {
        let slots = self
            .slots
            .iter()
            .map(|groups| {
                groups
                    .iter()
                    .enumerate()
                    .filter(|(_, group)| region.starts_with(group.region.as_ref()))
                    .map(|(index, _)| {
                        u32::try_from(index).expect("fewer than 4 billion standard regions")
                    })
                    .collect()
            })
            .collect();
        RegionStandards { slots }
    }

    /// SPEC §2 look-up: among the prefixes with a row in force at `period`,
    /// the longest; within it the latest row. A share is resolved against
    /// its base for the same region and period; without the base it is not
    /// found either.
    pub fn lookup(&self, region: &RegionStandards, slot: Slot, period: Period) -> Option<Money> {
        let groups = &self.slots[slot.index()];
        let amount = region.slots[slot.index()]
            .iter()
            .find_map(|&group| groups[group as usize].at(period))?;
        match amount {
            Amount::Money(money) => Some(money),
            Amount::Share(share) => {
                let base_slot = self.bases[slot.index()].expect("a share's item has a base");
                let base = self.lookup(region, base_slot, period)?;
                Some(share.of(base, self.item_rounding))
            }
        }
    }

    /// The standards of `region` in force at `period`, as entitlements
    /// read them.
    pub fn in_force<'t>(&'t self, region: &'t RegionStandards, period: Period) -> InForce<'t> {
        InForce {
            table: self,
            region,
            period,
        }
    }

    /// Does some row take effect in `period` (so that a look-up may give
    /// another amount than in the month before)?
    pub fn takes_effect_in(&self, period: Period) -> bool {
        self.starts.binary_search(&period).is_ok()
    }

    /// The months at which some look-up can change, latest first, up to
    /// and including `period`: SPEC §5's raise cause walks back over them.
    pub fn starts_through(&self, period: Period) -> impl Iterator<Item = Period> + '_ {
        let end = self.starts.partition_point(|start| *start <= period);
        self.starts[..end].iter().rev().copied()
    }
}

/// The standards in force for one region and month, derived amounts
/// already resolved to money (see [`StandardsTable::lookup`]). `None`: no row.
pub trait StandardsAt {
    fn amount(&self, slot: Slot) -> Option<Money>;
    /// A dibao `tier_<T>` or `topup_<C>` by folded name.
    fn named(&self, item: Item, name: &str) -> Option<Money>;
}

/// One region's standards at one month: what an entitlement is computed from.
pub struct InForce<'t> {
    table: &'t StandardsTable,
    region: &'t RegionStandards,
    period: Period,
}

impl StandardsAt for InForce<'_> {
    fn amount(&self, slot: Slot) -> Option<Money> {
        self.table.lookup(self.region, slot, self.period)
    }

    fn named(&self, item: Item, name: &str) -> Option<Money> {
        let slot = self.table.named(item, name)?;
        self.table.lookup(self.region, slot, self.period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Share;

    /// A row; a tier or top-up amount is written `name amount`.
    fn row(region: &str, program: Program, item: Item, from: &str, amount: &str) -> StandardRow {
        let (name, amount) = match item {
            Item::Tier | Item::Topup => amount.split_once(' ').expect("name amount"),
            _ => ("", amount),
        };
        StandardRow {
            source: crate::domain::Source::new(crate::domain::FileKind::Standards, 1),
            region: if region == "*" {
                "".into()
            } else {
                region.into()
            },
            program,
            item,
            name: name.into(),
            effective_from: Period::parse(from).unwrap(),
            amount: match Share::parse(amount).unwrap() {
                Some(share) => Amount::Share(share),
                None => Amount::Money(Money::parse(amount).unwrap()),
            },
        }
    }

    fn period(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    fn yuan(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    /// SPEC spec-examples case01's standards.
    fn case01() -> StandardsTable {
        use Item::*;
        use Program::*;
        StandardsTable::new(
            &[
                row("*", Dibao, Standard, "2019-01", "500"),
                row("*", Dibao, Standard, "2020-03", "700"),
                row("5101", Dibao, Standard, "2020-01", "600"),
                row("510104", Dibao, Standard, "2020-04", "650"),
                row("51010400", Dibao, Standard, "2020-06", "900"),
                row("5102", Dibao, Standard, "2019-01", "999"),
            ],
            Rounding::Fen,
        )
    }

    #[test]
    fn longest_prefix_with_a_row_in_force_wins() {
        let table = case01();
        let region = table.resolve("510104001001");
        let at = |text| table.lookup(&region, Slot::DIBAO_STANDARD, period(text));
        // `*` has a later row (2020-03) but 5101 is longer and in force.
        assert_eq!(at("2020-03"), Some(Money::from_yuan(600)));
        assert_eq!(at("2020-04"), Some(Money::from_yuan(650)));
        // 51010400 starts 2020-06: skipped before, wins from then on.
        assert_eq!(at("2020-05"), Some(Money::from_yuan(650)));
        assert_eq!(at("2020-06"), Some(Money::from_yuan(900)));
        // Before 5101's first row only `*` applies.
        assert_eq!(at("2019-12"), Some(Money::from_yuan(500)));
        assert_eq!(at("2018-12"), None);
        let other = table.resolve("520100");
        assert_eq!(
            table.lookup(&other, Slot::DIBAO_STANDARD, period("2020-03")),
            Some(Money::from_yuan(700))
        );
        assert_eq!(
            table.lookup(&other, Slot::DIBAO_FLOOR, period("2020-03")),
            None
        );
    }

    #[test]
    fn starts_walk_back_from_a_period() {
        let table = case01();
        let starts: Vec<String> = table
            .starts_through(period("2020-04"))
            .map(|start| start.to_string())
            .collect();
        assert_eq!(starts, ["2020-04", "2020-03", "2020-01", "2019-01"]);
    }

    #[test]
    fn a_share_is_resolved_against_its_base_in_the_same_region_and_month() {
        use Item::*;
        use Program::*;
        // SPEC case15: a `*` share against the enrolment region's standard.
        let table = StandardsTable::new(
            &[
                row("51", Dibao, Standard, "2021-01", "600.00"),
                row("5102", Dibao, Standard, "2021-01", "620.00"),
                row("*", Dibao, Floor, "2021-01", "1/3"),
                row("*", Dibao, Tier, "2021-01", "b 70%"),
                row("*", Tekun, Item::PriceSubsidy, "2021-01", "5%"),
                row("*", Tekun, MinWage, "2021-01", "1800"),
                row("*", Tekun, MinWage, "2021-02", "1850"),
                row("*", Tekun, CareSemi, "2021-01", "1/6"),
            ],
            Rounding::Jiao,
        );
        let january = period("2021-01");
        let region = table.resolve("510201");
        // 1/3 × 620 = 206.666… → 206.7 at jiao.
        assert_eq!(
            table.lookup(&region, Slot::DIBAO_FLOOR, january),
            Some(yuan("206.7"))
        );
        let tier = table.named(Tier, "b").expect("tier b has rows");
        assert_eq!(table.lookup(&region, tier, january), Some(yuan("434")));
        assert_eq!(table.named(Tier, "c"), None);
        // No dibao standard for 5201: the share has no base, so none.
        let elsewhere = table.resolve("520100");
        assert_eq!(
            table.lookup(&elsewhere, Slot::TEKUN_PRICE_SUBSIDY, january),
            None
        );
        // Care follows the minimum wage: 1/6 × 1850 = 308.333… → 308.3.
        assert_eq!(
            table.lookup(&elsewhere, Slot::TEKUN_CARE_SEMI, period("2021-02")),
            Some(yuan("308.3"))
        );
    }
}

//! Standards look-up (SPEC §2): longest region prefix that has a row in
//! force, then the latest `effective_from` within it.

use rustc_hash::FxHashMap;

use crate::case::StandardRow;
use crate::domain::{Item, Money, Period, Program};

/// (program, item) pairs a standard can be for, as a dense slot number.
const SLOTS: usize = 14;

fn slot(program: Program, item: Item) -> usize {
    let program_offset = match program {
        Program::Dibao => 0,
        Program::Tekun => 7,
        Program::PriceSubsidy | Program::Temp => {
            unreachable!("standards exist only for dibao and tekun")
        }
    };
    program_offset + item as usize
}

/// The rows of one (region prefix, program, item), sorted by `effective_from`.
struct Group {
    region: Box<str>,
    rows: Vec<(Period, Money)>,
}

impl Group {
    /// The row in force at `period`: the latest `effective_from ≤ period`.
    fn at(&self, period: Period) -> Option<Money> {
        let after = self.rows.partition_point(|(from, _)| *from <= period);
        after.checked_sub(1).map(|index| self.rows[index].1)
    }
}

/// All standards, grouped by slot and region prefix.
pub struct StandardsTable {
    slots: Vec<Vec<Group>>,
}

/// The groups that apply to one region, per slot, longest prefix first.
/// Resolved once per distinct region so each look-up is a few binary searches.
#[derive(Clone, Debug, Default)]
pub struct RegionStandards {
    slots: [Vec<u32>; SLOTS],
}

impl StandardsTable {
    pub fn new(rows: &[StandardRow]) -> StandardsTable {
        let mut by_key: FxHashMap<(usize, &str), Vec<(Period, Money)>> = FxHashMap::default();
        for row in rows {
            by_key
                .entry((slot(row.program, row.item), &row.region))
                .or_default()
                .push((row.effective_from, row.amount));
        }
        let mut slots: Vec<Vec<Group>> = (0..SLOTS).map(|_| Vec::new()).collect();
        for ((slot, region), mut rows) in by_key {
            rows.sort_unstable();
            slots[slot].push(Group {
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
        StandardsTable { slots }
    }

    pub fn resolve(&self, region: &str) -> RegionStandards {
        let mut resolved = RegionStandards::default();
        for (slot, groups) in self.slots.iter().enumerate() {
            resolved.slots[slot] = groups
                .iter()
                .enumerate()
                .filter(|(_, group)| region.starts_with(group.region.as_ref()))
                .map(|(index, _)| {
                    u32::try_from(index).expect("fewer than 4 billion standard regions")
                })
                .collect();
        }
        resolved
    }

    /// SPEC §2 look-up: among the prefixes with a row in force at `period`,
    /// the longest; within it the latest row.
    pub fn lookup(
        &self,
        region: &RegionStandards,
        program: Program,
        item: Item,
        period: Period,
    ) -> Option<Money> {
        let slot = slot(program, item);
        region.slots[slot]
            .iter()
            .find_map(|&group| self.slots[slot][group as usize].at(period))
    }

    /// The value the look-up returned before its latest change, walking back
    /// from `period` (SPEC §5 `standard_raise_not_applied`). `None` when the
    /// value never changed (or no row applies earlier).
    pub fn value_before_latest_change(
        &self,
        region: &RegionStandards,
        program: Program,
        item: Item,
        period: Period,
    ) -> Option<Money> {
        let current = self.lookup(region, program, item, period)?;
        let slot = slot(program, item);
        // The look-up can only change where some applicable row starts.
        let mut starts: Vec<Period> = region.slots[slot]
            .iter()
            .flat_map(|&group| {
                self.slots[slot][group as usize]
                    .rows
                    .iter()
                    .map(|(from, _)| *from)
            })
            .filter(|from| *from <= period)
            .collect();
        starts.sort_unstable_by(|a, b| b.cmp(a));
        starts.dedup();
        for start in starts {
            let earlier = start.previous()?;
            match self.lookup(region, program, item, earlier) {
                Some(value) if value != current => return Some(value),
                Some(_) => continue,
                None => return None,
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(region: &str, program: Program, item: Item, from: &str, amount: &str) -> StandardRow {
        StandardRow {
            line: 0,
            region: if region == "*" {
                "".into()
            } else {
                region.into()
            },
            program,
            item,
            effective_from: Period::parse(from).unwrap(),
            amount: Money::parse(amount).unwrap(),
        }
    }

    fn period(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    /// SPEC spec-examples case01's standards.
    fn case01() -> StandardsTable {
        use Item::*;
        use Program::*;
        StandardsTable::new(&[
            row("*", Dibao, Standard, "2019-01", "500"),
            row("*", Dibao, Standard, "2020-03", "700"),
            row("5101", Dibao, Standard, "2020-01", "600"),
            row("510104", Dibao, Standard, "2020-04", "650"),
            row("51010400", Dibao, Standard, "2020-06", "900"),
            row("5102", Dibao, Standard, "2019-01", "999"),
        ])
    }

    #[test]
    fn longest_prefix_with_a_row_in_force_wins() {
        let table = case01();
        let region = table.resolve("510104001001");
        let at = |text| table.lookup(&region, Program::Dibao, Item::Standard, period(text));
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
            table.lookup(&other, Program::Dibao, Item::Standard, period("2020-03")),
            Some(Money::from_yuan(700))
        );
        assert_eq!(
            table.lookup(&other, Program::Dibao, Item::Floor, period("2020-03")),
            None
        );
    }

    #[test]
    fn value_before_the_latest_change_crosses_prefixes() {
        let table = case01();
        let region = table.resolve("510104001001");
        let before = |text| {
            table.value_before_latest_change(&region, Program::Dibao, Item::Standard, period(text))
        };
        assert_eq!(before("2020-04"), Some(Money::from_yuan(600)));
        assert_eq!(before("2020-05"), Some(Money::from_yuan(600)));
        assert_eq!(before("2020-03"), Some(Money::from_yuan(500)));
        assert_eq!(before("2019-05"), None);
    }
}

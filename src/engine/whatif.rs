//! What a proposed raise would cost (SPEC v3 §6.2): every line that is
//! covered and not excluded in the window, its E under the case's
//! standards and under the case's standards with the proposed rows laid
//! over them, summed per (region, program, period). E is computed by the
//! same `Person::basis` the reconciliation uses, so a raise moves every
//! derived amount with it (tekun's `130%` basic, a `5%` price subsidy, a
//! household that a higher line makes eligible). Pure.

use std::collections::BTreeMap;

use super::context::Context;
use super::person::{serves, Person};
use super::persons::{per_person, roster_groupings, Bundle};
use crate::case::{Case, StandardRow};
use crate::domain::{Period, PeriodRange, Program};

/// One row of whatif.csv.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhatifRow<'a> {
    /// The region the line's findings would carry (SPEC §5).
    pub region: &'a str,
    pub program: Program,
    pub period: Period,
    /// Every covered, not excluded line: zero and unknown ones included.
    pub lines: u64,
    /// Σ E, in fen, over the lines where both E are known.
    pub expected_fen: i128,
    pub proposed_fen: i128,
    /// Lines where either E is unknown (a standard missing).
    pub unknown: u64,
}

impl WhatifRow<'_> {
    pub fn change_fen(&self) -> i128 {
        self.proposed_fen - self.expected_fen
    }
}

/// A standards row's key: a proposed row with a case row's key replaces
/// it (region as written, `*` as the empty prefix; program; item with its
/// folded tier or category name; effective_from).
fn key(row: &StandardRow) -> (&str, Program, crate::domain::Item, &str, Period) {
    (
        row.region.as_ref(),
        row.program,
        row.item,
        row.name.as_ref(),
        row.effective_from,
    )
}

/// The case's standards with `proposed` laid over them: every case row
/// whose key a proposed row has is replaced; the other proposed rows are
/// added.
pub fn proposed_standards(case_rows: &[StandardRow], proposed: &[StandardRow]) -> Vec<StandardRow> {
    let replaced: rustc_hash::FxHashSet<_> = proposed.iter().map(key).collect();
    let mut rows: Vec<StandardRow> = case_rows
        .iter()
        .filter(|row| !replaced.contains(&key(row)))
        .cloned()
        .collect();
    let kept = rows.len();
    rows.extend(proposed.iter().cloned());
    debug_assert!(kept + proposed.len() == rows.len());
    debug_assert!(kept <= case_rows.len());
    rows
}

/// Per-task sums, keyed (region, program, period), and the persons'
/// gains.
#[derive(Default)]
struct Part<'a> {
    sums: BTreeMap<(&'a str, Program, Period), Sum>,
    gains: Vec<Gain<'a>>,
}

/// What a raise would change for one person over the window: Σ (proposed
/// − expected) over their lines where both are known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gain<'a> {
    pub id_number: &'a str,
    /// Name and region of the person's first costed line (SPEC §5 label).
    pub name: &'a str,
    pub region: &'a str,
    pub lines: u64,
    pub expected_fen: i128,
    pub change_fen: i128,
}

/// Most persons listed as gaining most (whatif.xlsx): enough for an office
/// to check the largest changes by hand.
pub const MAX_LISTED_GAINS: usize = 200;

/// whatif.csv's rows and the persons who gain most.
pub struct Whatif<'a> {
    pub rows: Vec<WhatifRow<'a>>,
    /// Persons whose amounts rise, the largest rise first (then id_number),
    /// at most [`MAX_LISTED_GAINS`].
    pub gains: Vec<Gain<'a>>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Sum {
    lines: u64,
    expected_fen: i128,
    proposed_fen: i128,
    unknown: u64,
}

/// The cost of `proposed` (the whole standards table a raise would leave:
/// see [`proposed_standards`]) in `window`, sorted by (region, program,
/// period). The derived `Ord` of `Program` is its name's text order.
pub fn whatif<'a>(case: &'a Case, proposed: &[StandardRow], window: PeriodRange) -> Whatif<'a> {
    let now = Context::new(case, window);
    let raised = Context::with_standards(case, window, proposed);
    let (enrolments, exclusions) = roster_groupings(case);
    let parts = per_person(case.people.len(), |person, part: &mut Part<'a>| {
        let bundle = Bundle::roster_only(person, &enrolments, &exclusions);
        let today = Person::new(&now, &bundle);
        let after = Person::new(&raised, &bundle);
        let mut periods: Vec<Period> = Vec::new();
        let mut gain: Option<Gain<'a>> = None;
        for program in Program::ALL {
            periods.clear();
            for (_, enrolment) in &today.enrolments {
                if !serves(enrolment, program) {
                    continue;
                }
                if let Some(span) = enrolment.span().intersect(window) {
                    periods.extend(span.months());
                }
            }
            periods.sort_unstable();
            periods.dedup();
            for &period in &periods {
                let basis = today.basis(program, period);
                if !basis.covered || basis.excluded {
                    continue;
                }
                let raised_basis = after.basis(program, period);
                debug_assert_eq!(basis.covered, raised_basis.covered);
                debug_assert_eq!(basis.primary, raised_basis.primary);
                let label = today.label(program, period, Some(&basis));
                let (name, region) = now.label_text(label);
                let sum = part.sums.entry((region, program, period)).or_default();
                sum.lines += 1;
                let gain = gain.get_or_insert(Gain {
                    id_number: case.people.id_number(person),
                    name,
                    region,
                    lines: 0,
                    expected_fen: 0,
                    change_fen: 0,
                });
                match (basis.expected, raised_basis.expected) {
                    (Some(expected), Some(raised)) => {
                        sum.expected_fen += i128::from(expected.fen());
                        sum.proposed_fen += i128::from(raised.fen());
                        gain.lines += 1;
                        gain.expected_fen += i128::from(expected.fen());
                        gain.change_fen += i128::from(raised.fen()) - i128::from(expected.fen());
                    }
                    _ => sum.unknown += 1,
                }
            }
        }
        if let Some(gain) = gain.filter(|gain| gain.change_fen > 0) {
            part.gains.push(gain);
        }
    });
    let mut total: BTreeMap<(&'a str, Program, Period), Sum> = BTreeMap::new();
    let mut gains: Vec<Gain<'a>> = Vec::new();
    for part in parts {
        gains.extend(part.gains);
        for (key, sum) in part.sums {
            let into = total.entry(key).or_default();
            into.lines += sum.lines;
            into.expected_fen += sum.expected_fen;
            into.proposed_fen += sum.proposed_fen;
            into.unknown += sum.unknown;
        }
    }
    // The largest rise first; equal rises in id_number order, so the list
    // is the same whatever the threads.
    gains.sort_unstable_by(|a, b| {
        b.change_fen
            .cmp(&a.change_fen)
            .then_with(|| a.id_number.cmp(b.id_number))
    });
    gains.truncate(MAX_LISTED_GAINS);
    let rows = total
        .into_iter()
        .map(|((region, program, period), sum)| {
            debug_assert!(sum.unknown <= sum.lines);
            WhatifRow {
                region,
                program,
                period,
                lines: sum.lines,
                expected_fen: sum.expected_fen,
                proposed_fen: sum.proposed_fen,
                unknown: sum.unknown,
            }
        })
        .collect();
    Whatif { rows, gains }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Amount, Item, Money, Source};

    fn row(region: &str, item: Item, from: &str, yuan: i64) -> StandardRow {
        StandardRow {
            source: Source::default(),
            region: region.into(),
            program: Program::Dibao,
            item,
            name: "".into(),
            effective_from: Period::parse(from).expect("a period"),
            amount: Amount::Money(Money::from_yuan(yuan)),
        }
    }

    #[test]
    fn a_proposed_row_with_a_case_rows_key_replaces_it_and_the_others_are_added() {
        let case = [
            row("", Item::Standard, "2024-01", 600),
            row("110102", Item::Standard, "2024-01", 550),
        ];
        let proposed = [
            row("", Item::Standard, "2024-03", 650),
            row("110102", Item::Standard, "2024-01", 580),
        ];
        let merged = proposed_standards(&case, &proposed);
        let amounts: Vec<(String, String, String)> = merged
            .iter()
            .map(|row| {
                (
                    row.region.to_string(),
                    row.effective_from.to_string(),
                    row.amount.to_string(),
                )
            })
            .collect();
        assert_eq!(
            amounts,
            [
                ("".into(), "2024-01".into(), "600.00".into()),
                ("".into(), "2024-03".into(), "650.00".into()),
                ("110102".into(), "2024-01".into(), "580.00".into()),
            ]
        );
    }
}

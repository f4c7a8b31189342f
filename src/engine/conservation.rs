//! Nothing is lost: every stage record read is counted as inside or
//! outside the window, and the ledger holds exactly the in-window money
//! read (payouts: `paid` only) — counted from the files, independently of
//! the persons, and asserted against what the persons' lines add up to.

use rayon::prelude::*;

use super::ledger::Ledger;
use crate::case::Case;
use crate::domain::{LineFigures, Money, PeriodRange, Stage};

/// Per stage ([`Stage::ALL`] order), what the files hold.
pub struct RecordCounts {
    /// Records counted: in the window (payouts: all statuses).
    pub inside_window: [u64; 3],
    /// Records skipped as outside the window.
    pub outside_window: [u64; 3],
    /// In-window money read in fen (payouts: `paid` only).
    pub money: [i128; 3],
}

/// Counts and sums every stage record of `case` against `window`.
pub fn count_records(case: &Case, window: PeriodRange) -> RecordCounts {
    let mut counts = RecordCounts {
        inside_window: [0; 3],
        outside_window: [0; 3],
        money: [0; 3],
    };
    for stage in Stage::ALL {
        let Some(file) = case.stage(stage) else {
            continue;
        };
        let (inside, outside, money) = file
            .chunks()
            .par_iter()
            .flat_map_iter(|chunk| chunk.records.iter())
            .fold(
                || (0u64, 0u64, 0i128),
                |(inside, outside, money), record| {
                    if !window.contains_range(record.periods) {
                        (inside, outside + 1, money)
                    } else if stage != Stage::Payout || record.is_paid() {
                        (inside + 1, outside, money + i128::from(record.amount.fen()))
                    } else {
                        (inside + 1, outside, money)
                    }
                },
            )
            .reduce(|| (0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
        counts.inside_window[stage.index()] = inside;
        counts.outside_window[stage.index()] = outside;
        counts.money[stage.index()] = money;
    }
    counts
}

/// Asserts that the ledger's A, T and P and the persons' own sums
/// (`money_in`, per stage in fen) both equal the in-window money read.
pub fn assert_ledger_holds_the_money_read(
    lines: &Ledger,
    money_in: [i128; 3],
    counts: &RecordCounts,
) {
    let in_ledger = |pick: fn(&LineFigures) -> Money| -> i128 {
        lines
            .par_iter()
            .map(|line| i128::from(pick(&line.figures()).fen()))
            .sum()
    };
    let ledger_money = [
        in_ledger(|figures| figures.allocated.unwrap_or_default()),
        in_ledger(|figures| figures.transferred.unwrap_or_default()),
        in_ledger(|figures| figures.paid),
    ];
    assert_eq!(
        ledger_money, counts.money,
        "ledger money (A, T, P) must equal the in-window money read"
    );
    assert_eq!(
        money_in, counts.money,
        "per-person money must add up to the file totals"
    );
}

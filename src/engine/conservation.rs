//! Nothing is lost: every stage record read is counted as inside or
//! outside the window, and the ledger holds exactly the in-window money
//! read (payouts: `paid` only) — counted from the files, independently of
//! the persons, and asserted against what the persons' lines add up to.

use rayon::prelude::*;

use super::ledger::Ledger;
use crate::case::Case;
use crate::domain::{LineFigures, Money, PeriodRange, Stage};

/// What the stage files hold.
pub struct RecordCounts {
    /// Per stage file read, in file order: records counted in the window
    /// (payouts: all statuses) and records skipped as outside it.
    pub window_counts: Vec<WindowCount>,
    /// Per stage ([`Stage::ALL`] order): in-window money read in fen
    /// (payouts: `paid` only).
    pub money: [i128; 3],
}

/// One stage file's records inside and outside the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WindowCount {
    pub file: crate::domain::FileId,
    pub inside: u64,
    pub outside: u64,
}

/// Counts and sums every stage record of `case` against `window`, chunk
/// by chunk in parallel (a chunk holds one file's rows).
pub fn count_records(case: &Case, window: PeriodRange) -> RecordCounts {
    let mut counts = RecordCounts {
        window_counts: Vec::new(),
        money: [0; 3],
    };
    for stage in Stage::ALL {
        let Some(file) = case.stage(stage) else {
            continue;
        };
        let per_chunk: Vec<(WindowCount, i128)> = file
            .chunks()
            .par_iter()
            .map(|chunk| {
                let mut count = WindowCount {
                    file: chunk.file,
                    ..WindowCount::default()
                };
                let mut money = 0i128;
                for record in &chunk.records {
                    if !window.contains_range(record.periods) {
                        count.outside += 1;
                    } else {
                        count.inside += 1;
                        if stage != Stage::Payout || record.is_paid() {
                            money += i128::from(record.amount.fen());
                        }
                    }
                }
                (count, money)
            })
            .collect();
        for (count, money) in per_chunk {
            counts.money[stage.index()] += money;
            match counts.window_counts.last_mut() {
                Some(last) if last.file == count.file => {
                    last.inside += count.inside;
                    last.outside += count.outside;
                }
                _ => counts.window_counts.push(count),
            }
        }
    }
    counts.window_counts.sort_by_key(|count| count.file);
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

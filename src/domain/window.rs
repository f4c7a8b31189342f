//! The run window's bounds (SPEC §3): which records set them, and why a
//! window cannot be made. The rule that picks the window is the engine's
//! (`engine::window_from_bounds`); the reader's scan of a partitioned run
//! gathers the same bounds.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{FileKind, Period, PeriodRange, Source};

/// SPEC v2 §3: most months (counted inclusively) a window with a bound
/// taken from the records may span. One mistyped period (`9999-12`) must
/// not stretch a run over centuries; `--from` and `--to` allow any length.
pub const MAX_DEFAULT_WINDOW_MONTHS: u32 = 120;

/// The smallest and largest period of the stage records read, and the
/// first record in file order that set each (named when a window taken
/// from them is too long).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bounds {
    pub periods: PeriodRange,
    pub first_set_by: Source,
    pub last_set_by: Source,
}

impl Bounds {
    pub fn of(periods: PeriodRange, source: Source) -> Bounds {
        Bounds {
            periods,
            first_set_by: source,
            last_set_by: source,
        }
    }

    /// Widens the bounds to a record's periods. Of records with the same
    /// extreme period the one first in file order names it, whatever the
    /// order they come in (a scan meets them in hash order).
    pub fn include(&mut self, periods: PeriodRange, source: Source) {
        // File order is compared only on a tie, which in-memory runs meet
        // in file order anyway.
        let comes_before = |current: Source| file_order(source) < file_order(current);
        if periods.first < self.periods.first
            || periods.first == self.periods.first && comes_before(self.first_set_by)
        {
            self.periods.first = periods.first;
            self.first_set_by = source;
        }
        if periods.last > self.periods.last
            || periods.last == self.periods.last && comes_before(self.last_set_by)
        {
            self.periods.last = periods.last;
            self.last_set_by = source;
        }
        debug_assert!(self.periods.first <= self.periods.last);
    }

    /// The bounds of two sets of records together: the same, whatever
    /// the order the sets were read in (the one first in file order names
    /// a tied extreme), so pieces read in parallel may be merged in any
    /// order.
    pub fn merge(mut self, other: Bounds) -> Bounds {
        let before =
            |candidate: Source, current: Source| file_order(candidate) < file_order(current);
        if other.periods.first < self.periods.first
            || other.periods.first == self.periods.first
                && before(other.first_set_by, self.first_set_by)
        {
            self.periods.first = other.periods.first;
            self.first_set_by = other.first_set_by;
        }
        if other.periods.last > self.periods.last
            || other.periods.last == self.periods.last
                && before(other.last_set_by, self.last_set_by)
        {
            self.periods.last = other.periods.last;
            self.last_set_by = other.last_set_by;
        }
        debug_assert!(self.periods.first <= self.periods.last);
        self
    }

    /// Adds one record to optional bounds.
    pub fn including(bounds: Option<Bounds>, periods: PeriodRange, source: Source) -> Bounds {
        match bounds {
            None => Bounds::of(periods, source),
            Some(mut bounds) => {
                bounds.include(periods, source);
                bounds
            }
        }
    }
}

/// "File order" across the stage files is the money trail's order
/// (allocations, transfers, payouts), then the files of a kind in name
/// order, then the sheet and the line.
fn file_order(source: Source) -> (u8, Source) {
    let file = match source.kind {
        FileKind::Allocations => 0,
        FileKind::Transfers => 1,
        FileKind::Payouts => 2,
        other => unreachable!("{} sets no window bound", other.file_name()),
    };
    (file, source)
}

/// Why no window can be made (exit 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WindowError {
    /// A window with a bound taken from the records is longer than
    /// [`MAX_DEFAULT_WINDOW_MONTHS`]; the records that set the bounds
    /// taken from them, as evidence cites them (`payouts.csv:17`).
    TooLong {
        window: PeriodRange,
        months: u32,
        first_set_by: Option<String>,
        last_set_by: Option<String>,
    },
    /// `--from` after `--to`, one of them taken from the records.
    Empty { first: Period, last: Period },
    /// No record to take a bound from, and a flag missing.
    Unknown,
}

impl fmt::Display for WindowError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WindowError::TooLong {
                window,
                months,
                first_set_by,
                last_set_by,
            } => {
                let (window, months) = (*window, *months);
                let mut set_by = Vec::with_capacity(2);
                if let Some(source) = first_set_by {
                    set_by.push(format!("its first month {} was set by {source}", window.first));
                }
                if let Some(source) = last_set_by {
                    set_by.push(format!("its last month {} was set by {source}", window.last));
                }
                write!(
                    formatter,
                    "the run window {window} spans {months} months, more than {MAX_DEFAULT_WINDOW_MONTHS} for a window taken from the records: {}; is a period mistyped there? Correct it, or give --from and --to to run over a longer window",
                    set_by.join(" and ")
                )
            }
            WindowError::Empty { first, last } => write!(
                formatter,
                "the run window {first}..{last} is empty: --from must not be after --to (a bound not given is taken from the records)"
            ),
            WindowError::Unknown => formatter.write_str(
                "no allocation, transfer or payout record could be read, so the run window is unknown; give --from and --to",
            ),
        }
    }
}

impl std::error::Error for WindowError {}

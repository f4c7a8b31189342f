//! The run window (SPEC §3): the flags, or the records' extreme periods.

use rayon::prelude::*;

use crate::case::Case;
use crate::domain::window::{Bounds, WindowError, MAX_DEFAULT_WINDOW_MONTHS};
use crate::domain::{InputFiles, Period, PeriodRange, Stage};

/// SPEC §3: a bound not given is the smallest (largest) period of any
/// stage record that was read, whatever its status, ranges expanded.
pub fn window(
    case: &Case,
    from: Option<Period>,
    to: Option<Period>,
) -> Result<PeriodRange, WindowError> {
    // Chunk by chunk in parallel: merged bounds name the same records
    // whatever the order (`Bounds::merge`).
    let bounds = Stage::ALL
        .par_iter()
        .filter_map(|&stage| case.stage(stage))
        .flat_map(|file| {
            file.chunks().par_iter().filter_map(move |chunk| {
                chunk.records.iter().fold(None, |bounds, record| {
                    Some(Bounds::including(
                        bounds,
                        record.periods,
                        file.source(record),
                    ))
                })
            })
        })
        .reduce_with(Bounds::merge);
    window_from_bounds(bounds, from, to, &case.inputs)
}

/// SPEC §3 from the records' bounds (`None`: no record) and the flags.
pub fn window_from_bounds(
    bounds: Option<Bounds>,
    from: Option<Period>,
    to: Option<Period>,
    files: &InputFiles,
) -> Result<PeriodRange, WindowError> {
    let first = from.or(bounds.map(|bounds| bounds.periods.first));
    let last = to.or(bounds.map(|bounds| bounds.periods.last));
    match (first, last) {
        (Some(first), Some(last)) if first <= last => {
            let window = PeriodRange { first, last };
            let months = last.index() - first.index() + 1;
            let defaulted = from.is_none() || to.is_none();
            if defaulted && months > MAX_DEFAULT_WINDOW_MONTHS {
                let bounds = bounds.expect("a bound not given comes from the records");
                return Err(WindowError::TooLong {
                    window,
                    months,
                    first_set_by: from
                        .is_none()
                        .then(|| files.cite(bounds.first_set_by).to_string()),
                    last_set_by: to
                        .is_none()
                        .then(|| files.cite(bounds.last_set_by).to_string()),
                });
            }
            Ok(window)
        }
        (Some(first), Some(last)) => Err(WindowError::Empty { first, last }),
        _ => Err(WindowError::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{FileKind, Source};

    fn periods(text: &str) -> PeriodRange {
        PeriodRange::parse(text).expect("a period or range")
    }

    fn payout(line: u32) -> Source {
        Source::new(FileKind::Payouts, line)
    }

    /// SPEC v2 §3: one mistyped period must not stretch a run over
    /// centuries; the message names the records to look at.
    #[test]
    fn a_default_window_over_120_months_is_refused_naming_the_records_that_set_it() {
        let mut bounds = Bounds::of(periods("2020-01"), payout(2));
        bounds.include(periods("9999-12"), payout(4));
        let error =
            window_from_bounds(Some(bounds), None, None, &InputFiles::canonical()).unwrap_err();
        assert!(matches!(error, WindowError::TooLong { months: 95_760, .. }));
        let message = error.to_string();
        assert!(
            message.contains("its first month 2020-01 was set by payouts.csv:2")
                && message.contains("its last month 9999-12 was set by payouts.csv:4")
                && message.contains("--from and --to"),
            "{message}"
        );
        // Only a bound taken from the records is named, and either one
        // defaulted is enough to refuse.
        let from = Period::parse("2020-01");
        let message = window_from_bounds(Some(bounds), from, None, &InputFiles::canonical())
            .unwrap_err()
            .to_string();
        assert!(!message.contains("first month"), "{message}");
        assert!(message.contains("payouts.csv:4"), "{message}");
        let to = Period::parse("9999-12");
        let message = window_from_bounds(Some(bounds), None, to, &InputFiles::canonical())
            .unwrap_err()
            .to_string();
        assert!(message.contains("payouts.csv:2") && !message.contains("last month"));
        // Both given: any length runs.
        assert_eq!(
            window_from_bounds(Some(bounds), from, to, &InputFiles::canonical()).unwrap(),
            periods("2020-01..9999-12")
        );
    }

    #[test]
    fn a_default_window_of_exactly_120_months_runs() {
        let bounds = Bounds::of(periods("2021-01..2030-12"), payout(2));
        assert_eq!(MAX_DEFAULT_WINDOW_MONTHS, 120);
        assert_eq!(
            window_from_bounds(Some(bounds), None, None, &InputFiles::canonical()).unwrap(),
            periods("2021-01..2030-12")
        );
        let bounds = Bounds::of(periods("2021-01..2031-01"), payout(2));
        assert!(matches!(
            window_from_bounds(Some(bounds), None, None, &InputFiles::canonical()),
            Err(WindowError::TooLong { months: 121, .. })
        ));
    }

    /// Of records with the same extreme period, the first in file order
    /// (allocations, transfers, payouts; then line) names it, in whatever
    /// order they are met.
    #[test]
    fn a_bound_is_named_by_the_first_record_in_file_order_that_set_it() {
        let records = [
            (periods("2020-03..2031-05"), payout(9)),
            (periods("2031-05"), payout(3)),
            (periods("2020-03"), Source::new(FileKind::Transfers, 7)),
            (periods("2020-03"), Source::new(FileKind::Allocations, 8)),
            (periods("2025-01"), payout(2)),
        ];
        for rotation in 0..records.len() {
            let mut bounds: Option<Bounds> = None;
            for (periods, source) in records.iter().cycle().skip(rotation).take(records.len()) {
                bounds = Some(Bounds::including(bounds, *periods, *source));
            }
            let bounds = bounds.expect("records");
            assert_eq!(bounds.periods, periods("2020-03..2031-05"));
            assert_eq!(bounds.first_set_by, Source::new(FileKind::Allocations, 8));
            assert_eq!(bounds.last_set_by, payout(3));
        }
        // Read in pieces (chunks, in parallel) and merged in any grouping:
        // the same bounds.
        for split in 1..records.len() {
            let piece = |records: &[(PeriodRange, Source)]| {
                records.iter().fold(None, |bounds, (periods, source)| {
                    Some(Bounds::including(bounds, *periods, *source))
                })
            };
            let (left, right) = (piece(&records[..split]), piece(&records[split..]));
            let (left, right) = (left.expect("a record"), right.expect("a record"));
            for merged in [left.merge(right), right.merge(left)] {
                assert_eq!(merged.periods, periods("2020-03..2031-05"));
                assert_eq!(merged.first_set_by, Source::new(FileKind::Allocations, 8));
                assert_eq!(merged.last_set_by, payout(3));
            }
        }
    }
}

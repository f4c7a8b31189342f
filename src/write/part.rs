//! A part of a run rendered where it was reconciled (a Spark task) and
//! added to the [`OutputSink`](super::OutputSink) elsewhere (the driver):
//! its ledger rows as bytes, its summary totals and its run.json counts,
//! the same values [`OutputSink::add`](super::OutputSink::add) takes from
//! a `Case` and its `Reconciliation`.

use crate::case::Case;
use crate::domain::{Period, Program};
use crate::engine::{Context, Reconciliation};

use super::report::RunStats;
use super::tables::{self, Totals};

/// One reconciled part, rendered.
#[derive(Clone, Debug, Default)]
pub struct RenderedPart {
    /// ledger.csv's rows of the part, without the header.
    pub ledger: Vec<u8>,
    summary: Vec<(tables::SummaryKeyText, Totals)>,
    window_counts: Vec<crate::engine::WindowCount>,
    money: [i128; 4],
    ledger_lines: u64,
}

impl RenderedPart {
    /// Renders `reconciliation` of `case` as [`super::OutputSink::add`] would.
    pub fn render(case: &Case, reconciliation: &Reconciliation) -> RenderedPart {
        let context = Context::new(case, reconciliation.window);
        let mut ledger = Vec::new();
        tables::write_ledger_rows(&mut ledger, &context, reconciliation)
            .expect("writing to memory cannot fail");
        let summary = tables::summary_groups(&context, reconciliation)
            .into_iter()
            .map(|((region, program, period), totals)| ((region.into(), program, period), totals))
            .collect();
        // The counts as the sink gathers them, files left out: a part's
        // case carries no file reports.
        let mut stats = RunStats::new(case, reconciliation);
        stats.add(case, reconciliation);
        RenderedPart {
            ledger,
            summary,
            window_counts: stats.window_counts(),
            money: stats.money,
            ledger_lines: stats.ledger_lines() as u64,
        }
    }

    /// The part as bytes (see [`RenderedPart::decode`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_u64(out, self.ledger.len() as u64);
        out.extend_from_slice(&self.ledger);
        put_u64(out, self.summary.len() as u64);
        for ((region, program, period), totals) in &self.summary {
            put_u64(out, region.len() as u64);
            out.extend_from_slice(region.as_bytes());
            out.push(program.index() as u8);
            put_u64(out, u64::from(period.index()));
            put_u64(out, totals.lines);
            for value in [
                totals.expected,
                totals.allocated,
                totals.transferred,
                totals.paid,
                totals.shortfall,
                totals.overpaid,
                totals.improper,
                totals.delivered,
            ] {
                out.extend_from_slice(&value.to_le_bytes());
            }
        }
        put_u64(out, self.window_counts.len() as u64);
        for count in &self.window_counts {
            put_u64(out, u64::from(count.file.0));
            put_u64(out, count.inside);
            put_u64(out, count.outside);
        }
        for value in self.money {
            out.extend_from_slice(&value.to_le_bytes());
        }
        put_u64(out, self.ledger_lines);
    }

    /// Reads a part written by [`RenderedPart::encode`] from the front of
    /// `bytes`; returns it and the bytes after it, `None` when malformed.
    pub fn decode(bytes: &[u8]) -> Option<(RenderedPart, &[u8])> {
        let mut input = bytes;
        let length = usize::try_from(take_u64(&mut input)?).ok()?;
        let ledger = take(&mut input, length)?.to_vec();
        let groups = usize::try_from(take_u64(&mut input)?).ok()?;
        let mut summary = Vec::with_capacity(groups.min(1 << 20));
        for _ in 0..groups {
            let length = usize::try_from(take_u64(&mut input)?).ok()?;
            let region: Box<str> = std::str::from_utf8(take(&mut input, length)?).ok()?.into();
            let program = *Program::ALL.get(usize::from(*take(&mut input, 1)?.first()?))?;
            let period = Period::from_index(u32::try_from(take_u64(&mut input)?).ok()?);
            let lines = take_u64(&mut input)?;
            let mut values = [0i128; 8];
            for value in &mut values {
                *value = i128::from_le_bytes(take(&mut input, 16)?.try_into().ok()?);
            }
            let [expected, allocated, transferred, paid, shortfall, overpaid, improper, delivered] =
                values;
            summary.push((
                (region, program, period),
                Totals {
                    lines,
                    expected,
                    allocated,
                    transferred,
                    paid,
                    shortfall,
                    overpaid,
                    improper,
                    delivered,
                },
            ));
        }
        let files = usize::try_from(take_u64(&mut input)?).ok()?;
        let mut window_counts =
            Vec::with_capacity(files.min(crate::domain::source::MAX_INPUT_FILES));
        for _ in 0..files {
            window_counts.push(crate::engine::WindowCount {
                file: crate::domain::FileId(u16::try_from(take_u64(&mut input)?).ok()?),
                inside: take_u64(&mut input)?,
                outside: take_u64(&mut input)?,
            });
        }
        let mut money = [0i128; 4];
        for value in &mut money {
            *value = i128::from_le_bytes(take(&mut input, 16)?.try_into().ok()?);
        }
        let ledger_lines = take_u64(&mut input)?;
        let part = RenderedPart {
            ledger,
            summary,
            window_counts,
            money,
            ledger_lines,
        };
        Some((part, input))
    }
}

fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn take<'b>(input: &mut &'b [u8], length: usize) -> Option<&'b [u8]> {
    if input.len() < length {
        return None;
    }
    let (head, rest) = input.split_at(length);
    *input = rest;
    Some(head)
}

fn take_u64(input: &mut &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(take(input, 8)?.try_into().ok()?))
}

impl super::OutputSink {
    /// Adds the next part, rendered elsewhere: as [`super::OutputSink::add`]
    /// with the part's case and reconciliation.
    pub fn add_rendered(&mut self, part: &RenderedPart) -> Result<(), crate::error::FatalError> {
        use std::io::Write;
        self.ledger
            .write_all(&part.ledger)
            .map_err(super::output_error(&self.out.path().join(super::LEDGER)))?;
        tables::merge_summary(
            &mut self.summary,
            part.summary
                .iter()
                .map(|((region, program, period), totals)| {
                    ((region.as_ref(), *program, *period), *totals)
                })
                .collect(),
        );
        self.stats
            .add_counts(&part.window_counts, part.money, part.ledger_lines as usize);
        Ok(())
    }
}

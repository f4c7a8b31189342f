//! A part of a run rendered where it was reconciled (a Spark task) and
//! added to the [`OutputSink`](super::OutputSink) elsewhere (the driver):
//! its ledger rows as bytes, its summary totals and its run.json counts,
//! the same values [`OutputSink::add`](super::OutputSink::add) takes from
//! a `Case` and its `Reconciliation`.

use crate::case::Case;
use crate::engine::{Context, Reconciliation};

use super::report::RunStats;
use super::tables::{self, Totals};

/// One reconciled part, rendered (serde: what a Spark task hands the
/// driver).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct RenderedPart {
    /// ledger.csv's rows of the part, without the header (as one run of
    /// bytes on the wire, not a sequence of numbers).
    #[serde(with = "serde_bytes")]
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

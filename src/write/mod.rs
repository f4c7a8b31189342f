//! The output edge: findings.csv, ledger.csv, summary.csv and run.json,
//! each written whole (temp file in OUT_DIR, then rename).

mod render;
mod report;
mod tables;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::case::Case;
use crate::engine::{Context, Reconciliation};
use crate::error::FatalError;

pub use tables::{
    findings_csv, ledger_csv, summary_csv, write_findings, write_ledger, write_summary,
};

/// The four outputs of a run made of one or more parts (one for an
/// in-memory run; partitions of persons in id_number order otherwise): the
/// ledger streams out part by part; findings, summary totals and run.json
/// counts are gathered and written by [`finish`]. Every file is first
/// written beside its target (OUT_DIR, created if missing) and all four are
/// renamed into place only when complete, so no reader ever sees a
/// half-written report.
///
/// [`finish`]: OutputSink::finish
pub struct OutputSink {
    folder: PathBuf,
    staged: Vec<(PathBuf, PathBuf)>,
    ledger: std::io::BufWriter<std::fs::File>,
    summary: rustc_hash::FxHashMap<
        (Box<str>, crate::domain::Program, crate::domain::Period),
        tables::Totals,
    >,
    stats: report::RunStats,
    given: [bool; 3],
}

fn output_error(path: &Path) -> impl Fn(std::io::Error) -> FatalError {
    let location = crate::error::Location::path(path);
    move |source| FatalError::Output {
        location: location.clone(),
        source,
    }
}

impl OutputSink {
    /// `case` and `reconciliation` give the window, policy and which stage
    /// files were given; any part of the run will do.
    pub fn create(
        folder: &Path,
        case: &Case,
        reconciliation: &Reconciliation,
    ) -> Result<OutputSink, FatalError> {
        std::fs::create_dir_all(folder).map_err(output_error(folder))?;
        let ledger_temporary = temporary_path(folder, "ledger.csv");
        let file =
            std::fs::File::create(&ledger_temporary).map_err(output_error(&ledger_temporary))?;
        let mut ledger = std::io::BufWriter::with_capacity(1 << 20, file);
        tables::write_ledger_header(&mut ledger).map_err(output_error(&ledger_temporary))?;
        Ok(OutputSink {
            folder: folder.to_path_buf(),
            staged: vec![(ledger_temporary, folder.join("ledger.csv"))],
            ledger,
            summary: rustc_hash::FxHashMap::default(),
            stats: report::RunStats::new(case, reconciliation),
            given: reconciliation.given,
        })
    }

    /// Adds the next part: its ledger lines (after every earlier part's in
    /// id_number order), its summary totals and its counts.
    pub fn add(&mut self, case: &Case, reconciliation: &Reconciliation) -> Result<(), FatalError> {
        let context = Context::new(case, reconciliation.window);
        let ledger_path = self.staged[0].0.clone();
        tables::write_ledger_rows(&mut self.ledger, &context, reconciliation)
            .map_err(output_error(&ledger_path))?;
        tables::merge_summary(
            &mut self.summary,
            tables::summary_groups(&context, reconciliation),
        );
        self.stats.add(case, reconciliation);
        Ok(())
    }

    pub fn ledger_lines(&self) -> usize {
        self.stats.ledger_lines()
    }

    /// Writes findings.csv (all parts' findings, sorted here), summary.csv
    /// and run.json, then renames all four into place. Returns the sorted
    /// findings.
    pub fn finish(
        mut self,
        mut findings: Vec<crate::domain::Finding>,
    ) -> Result<Vec<crate::domain::Finding>, FatalError> {
        use rayon::prelude::*;
        findings.par_sort_by(crate::domain::Finding::output_order);
        let result = (|| {
            let ledger_path = self.staged[0].0.clone();
            let file = self
                .ledger
                .into_inner()
                .map_err(|error| output_error(&ledger_path)(error.into_error()))?;
            file.sync_all().map_err(output_error(&ledger_path))?;
            type Render<'r> = Box<dyn Fn(&mut dyn Write) -> std::io::Result<()> + 'r>;
            let summary = tables::render_summary(&self.summary, self.given);
            let run = self.stats.render(&findings);
            let outputs: [(&str, Render<'_>); 3] = [
                (
                    "findings.csv",
                    Box::new(|out| write_findings(out, &findings)),
                ),
                ("summary.csv", Box::new(|out| out.write_all(&summary))),
                ("run.json", Box::new(|out| out.write_all(&run))),
            ];
            for (name, render) in &outputs {
                let temporary = temporary_path(&self.folder, name);
                self.staged
                    .push((temporary.clone(), self.folder.join(name)));
                let file = std::fs::File::create(&temporary).map_err(output_error(&temporary))?;
                let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
                render(&mut writer).map_err(output_error(&temporary))?;
                let file = writer
                    .into_inner()
                    .map_err(|error| output_error(&temporary)(error.into_error()))?;
                file.sync_all().map_err(output_error(&temporary))?;
            }
            Ok(())
        })();
        if let Err(error) = result {
            for (temporary, _) in &self.staged {
                let _ = std::fs::remove_file(temporary);
            }
            return Err(error);
        }
        for (temporary, target) in &self.staged {
            std::fs::rename(temporary, target).map_err(output_error(target))?;
        }
        Ok(findings)
    }
}

fn temporary_path(folder: &Path, name: &str) -> PathBuf {
    folder.join(format!(".{name}.{}.tmp", std::process::id()))
}

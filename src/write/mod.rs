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

pub use report::run_json;
pub use tables::{
    findings_csv, ledger_csv, summary_csv, write_findings, write_ledger, write_summary,
};

/// Writes the four outputs into `folder` (created if missing). Every file is
/// first written beside its target and renamed into place only when all
/// four are complete, so no reader ever sees a half-written report.
pub fn write_outputs(
    folder: &Path,
    case: &Case,
    reconciliation: &Reconciliation,
) -> Result<(), FatalError> {
    let output_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FatalError::Output { path, source }
    };
    std::fs::create_dir_all(folder).map_err(output_error(folder))?;
    let context = Context::new(case, reconciliation.window);
    type Render<'r> = Box<dyn Fn(&mut dyn Write) -> std::io::Result<()> + 'r>;
    let outputs: [(&str, Render<'_>); 4] = [
        (
            "findings.csv",
            Box::new(|out| write_findings(out, &reconciliation.findings)),
        ),
        (
            "ledger.csv",
            Box::new(|out| write_ledger(out, &context, reconciliation)),
        ),
        (
            "summary.csv",
            Box::new(|out| write_summary(out, &context, reconciliation)),
        ),
        (
            "run.json",
            Box::new(|out| out.write_all(&run_json(case, reconciliation))),
        ),
    ];
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let result = (|| {
        for (name, render) in &outputs {
            let target = folder.join(name);
            let temporary = folder.join(format!(".{name}.{}.tmp", std::process::id()));
            staged.push((temporary.clone(), target));
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
        for (temporary, _) in &staged {
            let _ = std::fs::remove_file(temporary);
        }
        return Err(error);
    }
    for (temporary, target) in staged {
        std::fs::rename(&temporary, &target).map_err(output_error(&target))?;
    }
    Ok(())
}

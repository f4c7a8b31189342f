//! The output edge: findings.csv, ledger.csv, summary.csv and run.json,
//! each written whole (temp file in OUT_DIR, then rename).

mod report;
mod tables;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::case::Case;
use crate::engine::{Context, Reconciliation};
use crate::error::FatalError;

pub use report::run_json;
pub use tables::{findings_csv, ledger_csv, summary_csv};

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
    let contents: [(&str, Vec<u8>); 4] = [
        ("findings.csv", findings_csv(&reconciliation.findings)),
        ("ledger.csv", ledger_csv(&context, reconciliation)),
        ("summary.csv", summary_csv(&context, reconciliation)),
        ("run.json", run_json(case, reconciliation)),
    ];
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (name, bytes) in &contents {
        let target = folder.join(name);
        let temporary = folder.join(format!(".{name}.{}.tmp", std::process::id()));
        let mut file = std::fs::File::create(&temporary).map_err(output_error(&temporary))?;
        file.write_all(bytes).map_err(output_error(&temporary))?;
        file.sync_all().map_err(output_error(&temporary))?;
        staged.push((temporary, target));
    }
    for (temporary, target) in staged {
        std::fs::rename(&temporary, &target).map_err(output_error(&target))?;
    }
    Ok(())
}

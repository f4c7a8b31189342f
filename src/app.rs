//! Wires the edges and the core for one run: read → reconcile → write.

use crate::cli::RunConfig;
use crate::domain::{Code, Severity};
use crate::engine::{self, Reconciliation};
use crate::error::FatalError;

/// What a finished run reports back to the CLI.
pub struct RunSummary {
    /// The case as read, returned so the caller decides when to free it.
    pub case: crate::case::Case,
    pub reconciliation: Reconciliation,
    /// 0, or 1 when `--fail-on` found a finding that severe.
    pub exit_code: u8,
}

pub fn run(config: &RunConfig) -> Result<RunSummary, FatalError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = config.threads {
        builder = builder.num_threads(threads);
    }
    let pool = builder.build().map_err(|error| {
        FatalError::BadArgument(format!("cannot start worker threads: {error}"))
    })?;
    pool.install(|| {
        let mut progress = crate::progress::Progress::new(config.quiet, config.timings);
        let input_bytes = crate::read::input_bytes(&config.case_dir);
        let options = crate::read::ReadOptions {
            progress: Some(progress.reading(input_bytes)),
            ..crate::read::ReadOptions::default()
        };
        let case = crate::read::read_case_with(&config.case_dir, &options)?;
        progress.phase("read", "reconciling");
        let window = engine::window(&case, config.from, config.to)?;
        let reconciliation = engine::reconcile(&case, window);
        progress.phase("reconcile", "writing");
        crate::write::write_outputs(&config.out_dir, &case, &reconciliation)?;
        progress.finish("write", input_bytes);
        let failed = config.fail_on.is_some_and(|threshold| {
            reconciliation
                .findings
                .iter()
                .any(|finding| finding.code.severity() >= threshold)
        });
        Ok(RunSummary {
            case,
            reconciliation,
            exit_code: u8::from(failed),
        })
    })
}

/// One paragraph for the terminal: window, lines, findings by severity.
pub fn describe(config: &RunConfig, summary: &RunSummary) -> String {
    let reconciliation = &summary.reconciliation;
    let count = |severity: Severity| {
        reconciliation
            .findings
            .iter()
            .filter(|finding| finding.code.severity() == severity)
            .count()
    };
    let mut by_code: Vec<(Code, usize)> = Code::ALL
        .iter()
        .map(|&code| {
            (
                code,
                reconciliation
                    .findings
                    .iter()
                    .filter(|finding| finding.code == code)
                    .count(),
            )
        })
        .filter(|(_, count)| *count > 0)
        .collect();
    by_code.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let codes: Vec<String> = by_code
        .iter()
        .map(|(code, count)| format!("{} {count}", code.name()))
        .collect();
    format!(
        "window {}..{}: {} ledger lines, {} findings (high {}, medium {}, low {}){}{}\nwrote findings.csv, ledger.csv, summary.csv, run.json to {}",
        reconciliation.window.first,
        reconciliation.window.last,
        reconciliation.lines.len(),
        reconciliation.findings.len(),
        count(Severity::High),
        count(Severity::Medium),
        count(Severity::Low),
        if codes.is_empty() { "" } else { "\n  " },
        codes.join(", "),
        config.out_dir.display()
    )
}

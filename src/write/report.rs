//! run.json (SPEC §6): the window, every input with its row count and
//! SHA-256, what was skipped, the totals and the findings by code.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::case::Case;
use crate::domain::money::format_fen_total;
use crate::domain::{Code, FileKind, Stage};
use crate::engine::Reconciliation;

#[derive(Serialize)]
struct RunReport<'a> {
    tool: &'static str,
    version: &'static str,
    window: Window,
    policy: Policy,
    files: BTreeMap<&'static str, FileEntry<'a>>,
    skipped_outside_window: u64,
    totals: Totals,
    findings_total: usize,
    findings_by_code: BTreeMap<&'static str, usize>,
}

#[derive(Serialize)]
struct Window {
    from: String,
    to: String,
    months: u32,
}

#[derive(Serialize)]
struct Policy {
    payment_deadline_day: u32,
    rounding: &'static str,
    tolerance: String,
    exclusive: Vec<Vec<&'static str>>,
}

#[derive(Serialize)]
struct FileEntry<'a> {
    rows: u64,
    sha256: &'a str,
    encoding: &'a str,
    bad_records: u64,
    duplicate_records: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    outside_window: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inside_window: Option<u64>,
}

#[derive(Serialize)]
struct Totals {
    ledger_lines: usize,
    expected: String,
    allocated: Option<String>,
    transferred: Option<String>,
    paid: String,
}

pub fn run_json(case: &Case, reconciliation: &Reconciliation) -> Vec<u8> {
    let stage_of = |kind: FileKind| match kind {
        FileKind::Allocations => Some(Stage::Allocation),
        FileKind::Transfers => Some(Stage::Transfer),
        FileKind::Payouts => Some(Stage::Payout),
        _ => None,
    };
    let files = case
        .files
        .iter()
        .map(|(kind, report)| {
            let stage = stage_of(*kind);
            let entry = FileEntry {
                rows: report.rows,
                sha256: &report.sha256,
                encoding: report.encoding,
                bad_records: report.bad,
                duplicate_records: report.duplicate,
                outside_window: stage.map(|stage| reconciliation.outside_window[stage.index()]),
                inside_window: stage.map(|stage| reconciliation.inside_window[stage.index()]),
            };
            // Every data row is accounted for: bad, repeated, or read.
            if let Some(stage) = stage {
                assert_eq!(
                    report.rows,
                    report.bad
                        + report.duplicate
                        + reconciliation.outside_window[stage.index()]
                        + reconciliation.inside_window[stage.index()],
                    "{}: rows must equal bad + duplicate + outside + inside the window",
                    kind.file_name()
                );
            }
            (kind.file_name(), entry)
        })
        .collect();
    let sum = |pick: fn(&crate::domain::LineFigures) -> Option<crate::domain::Money>| -> i128 {
        reconciliation
            .lines
            .iter()
            .filter_map(|line| pick(&line.figures))
            .map(|amount| i128::from(amount.fen()))
            .sum()
    };
    let mut findings_by_code: BTreeMap<&'static str, usize> =
        Code::ALL.iter().map(|code| (code.name(), 0)).collect();
    for finding in &reconciliation.findings {
        *findings_by_code
            .get_mut(finding.code.name())
            .expect("every code is listed") += 1;
    }
    let window = reconciliation.window;
    let report = RunReport {
        tool: "duizhang",
        version: env!("CARGO_PKG_VERSION"),
        window: Window {
            from: window.first.to_string(),
            to: window.last.to_string(),
            months: window.last.index() - window.first.index() + 1,
        },
        policy: Policy {
            payment_deadline_day: case.policy.payment_deadline_day,
            rounding: case.policy.rounding.name(),
            tolerance: case.policy.tolerance.to_string(),
            exclusive: case
                .policy
                .exclusive
                .iter()
                .map(|group| group.iter().map(|program| program.name()).collect())
                .collect(),
        },
        files,
        skipped_outside_window: reconciliation.outside_window.iter().sum(),
        totals: Totals {
            ledger_lines: reconciliation.lines.len(),
            expected: format_fen_total(sum(|figures| figures.expected)),
            allocated: reconciliation.given[0]
                .then(|| format_fen_total(sum(|figures| figures.allocated))),
            transferred: reconciliation.given[1]
                .then(|| format_fen_total(sum(|figures| figures.transferred))),
            paid: format_fen_total(sum(|figures| Some(figures.paid))),
        },
        findings_total: reconciliation.findings.len(),
        findings_by_code,
    };
    let mut bytes = serde_json::to_vec_pretty(&report).expect("run.json serialises");
    bytes.push(b'\n');
    bytes
}

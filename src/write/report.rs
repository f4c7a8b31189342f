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
    /// Files in the case folder that are no case file (left out when none).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    unused_files: &'a [String],
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
    item_rounding: &'static str,
    topup_stacking: &'static str,
    phase_out_months: u32,
    deceased_grace_months: u32,
}

#[derive(Serialize)]
struct FileEntry<'a> {
    /// The file's name in the folder, when not spelled as the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    file_name: Option<&'a str>,
    rows: u64,
    sha256: &'a str,
    encoding: &'a str,
    /// `tab` for a tab-separated file; left out for the comma.
    #[serde(skip_serializing_if = "Option::is_none")]
    delimiter: Option<&'a str>,
    /// A workbook: the sheet read and the row of its header.
    #[serde(skip_serializing_if = "Option::is_none")]
    sheet: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    header_row: Option<u32>,
    bad_records: u64,
    duplicate_records: u64,
    /// Rows whose 15-digit ID number was upgraded (left out when none).
    #[serde(skip_serializing_if = "is_zero")]
    id_numbers_upgraded: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    outside_window: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inside_window: Option<u64>,
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

#[derive(Serialize)]
struct Totals {
    ledger_lines: usize,
    expected: String,
    allocated: Option<String>,
    transferred: Option<String>,
    paid: String,
}

/// What run.json reports, gathered from one or more reconciled parts of a
/// case (partitions of persons) and rendered once.
#[derive(Clone, Debug)]
pub struct RunStats {
    pub(super) window: crate::domain::PeriodRange,
    pub(super) policy: crate::case::Policy,
    pub(super) given: [bool; 3],
    pub(super) files: BTreeMap<FileKind, crate::case::FileReport>,
    pub(super) unused_files: Vec<String>,
    /// Each file's format: a workbook is listed by its own name.
    pub(super) formats: crate::domain::Formats,
    pub(super) outside_window: [u64; 3],
    pub(super) inside_window: [u64; 3],
    /// Σ E (known), Σ A, Σ T, Σ P in fen.
    pub(super) money: [i128; 4],
    ledger_lines: usize,
}

impl RunStats {
    pub fn new(case: &Case, reconciliation: &Reconciliation) -> RunStats {
        RunStats {
            window: reconciliation.window,
            policy: case.policy.clone(),
            given: reconciliation.given,
            files: BTreeMap::new(),
            unused_files: case.unused_files.clone(),
            formats: case.formats,
            outside_window: [0; 3],
            inside_window: [0; 3],
            money: [0; 4],
            ledger_lines: 0,
        }
    }

    /// Adds one part: its files' counts and its ledger's totals.
    pub fn add(&mut self, case: &Case, reconciliation: &Reconciliation) {
        for (kind, report) in &case.files {
            let entry = self
                .files
                .entry(*kind)
                .or_insert_with(|| crate::case::FileReport {
                    sha256: report.sha256.clone(),
                    encoding: report.encoding,
                    delimiter: report.delimiter,
                    name_on_disk: report.name_on_disk.clone(),
                    sheet: report.sheet.clone(),
                    header_row: report.header_row,
                    ..crate::case::FileReport::default()
                });
            entry.rows += report.rows;
            entry.id_numbers_upgraded += report.id_numbers_upgraded;
            entry.bad += report.bad;
            entry.duplicate += report.duplicate;
        }
        for stage in Stage::ALL {
            self.outside_window[stage.index()] += reconciliation.outside_window[stage.index()];
            self.inside_window[stage.index()] += reconciliation.inside_window[stage.index()];
        }
        let fen = |amount: Option<crate::domain::Money>| {
            amount.map_or(0, |amount| i128::from(amount.fen()))
        };
        for line in reconciliation.lines.iter() {
            let figures = line.figures();
            self.money[0] += fen(figures.expected);
            self.money[1] += fen(figures.allocated);
            self.money[2] += fen(figures.transferred);
            self.money[3] += fen(Some(figures.paid));
        }
        self.ledger_lines += reconciliation.lines.len();
    }

    pub fn ledger_lines(&self) -> usize {
        self.ledger_lines
    }

    /// Adds the counts of a part rendered elsewhere ([`super::RenderedPart`]).
    pub(super) fn add_counts(
        &mut self,
        outside_window: [u64; 3],
        inside_window: [u64; 3],
        money: [i128; 4],
        ledger_lines: usize,
    ) {
        for stage in 0..3 {
            self.outside_window[stage] += outside_window[stage];
            self.inside_window[stage] += inside_window[stage];
        }
        for (sum, part) in self.money.iter_mut().zip(money) {
            *sum += part;
        }
        self.ledger_lines += ledger_lines;
    }

    pub fn render(&self, findings: &[crate::domain::Finding]) -> Vec<u8> {
        let stage_of = |kind: FileKind| match kind {
            FileKind::Allocations => Some(Stage::Allocation),
            FileKind::Transfers => Some(Stage::Transfer),
            FileKind::Payouts => Some(Stage::Payout),
            _ => None,
        };
        let files = self
            .files
            .iter()
            .map(|(kind, report)| {
                let stage = stage_of(*kind);
                let entry = FileEntry {
                    file_name: report.name_on_disk.as_deref(),
                    rows: report.rows,
                    sha256: &report.sha256,
                    encoding: report.encoding,
                    delimiter: report.delimiter,
                    sheet: report.sheet.as_deref(),
                    header_row: report.header_row,
                    bad_records: report.bad,
                    duplicate_records: report.duplicate,
                    id_numbers_upgraded: report.id_numbers_upgraded,
                    outside_window: stage.map(|stage| self.outside_window[stage.index()]),
                    inside_window: stage.map(|stage| self.inside_window[stage.index()]),
                };
                // Every data row is accounted for: bad, repeated, or read.
                if let Some(stage) = stage {
                    assert_eq!(
                        report.rows,
                        report.bad
                            + report.duplicate
                            + self.outside_window[stage.index()]
                            + self.inside_window[stage.index()],
                        "{}: rows must equal bad + duplicate + outside + inside the window",
                        kind.file_name()
                    );
                }
                (kind.name_in(self.formats.get(*kind)), entry)
            })
            .collect();
        let mut findings_by_code: BTreeMap<&'static str, usize> =
            Code::ALL.iter().map(|code| (code.name(), 0)).collect();
        for finding in findings {
            *findings_by_code
                .get_mut(finding.code.name())
                .expect("every code is listed") += 1;
        }
        let window = self.window;
        let report = RunReport {
            tool: "duizhang",
            version: env!("CARGO_PKG_VERSION"),
            window: Window {
                from: window.first.to_string(),
                to: window.last.to_string(),
                months: window.last.index() - window.first.index() + 1,
            },
            policy: Policy {
                payment_deadline_day: self.policy.payment_deadline_day,
                rounding: self.policy.rounding.name(),
                tolerance: self.policy.tolerance.to_string(),
                exclusive: self
                    .policy
                    .exclusive
                    .iter()
                    .map(|group| group.iter().map(|program| program.name()).collect())
                    .collect(),
                item_rounding: self.policy.item_rounding.name(),
                topup_stacking: self.policy.topup_stacking.name(),
                phase_out_months: self.policy.phase_out_months,
                deceased_grace_months: self.policy.deceased_grace_months,
            },
            files,
            unused_files: &self.unused_files,
            skipped_outside_window: self.outside_window.iter().sum(),
            totals: Totals {
                ledger_lines: self.ledger_lines,
                expected: format_fen_total(self.money[0]),
                allocated: self.given[0].then(|| format_fen_total(self.money[1])),
                transferred: self.given[1].then(|| format_fen_total(self.money[2])),
                paid: format_fen_total(self.money[3]),
            },
            findings_total: findings.len(),
            findings_by_code,
        };
        let mut bytes = serde_json::to_vec_pretty(&report).expect("run.json serialises");
        bytes.push(b'\n');
        bytes
    }
}

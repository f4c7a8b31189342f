//! run.json (SPEC §6): the window, every input with its row count and
//! SHA-256, what was skipped, the totals and the findings by code.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::case::Case;
use crate::domain::money::format_fen_total;
use crate::domain::{Code, FileId, FileKind, InputFiles};
use crate::engine::{Reconciliation, WindowCount};

#[derive(Serialize)]
struct RunReport<'a> {
    tool: &'static str,
    version: &'static str,
    window: Window,
    policy: Policy,
    files: BTreeMap<&'a str, FileEntry<'a>>,
    /// Files in the case folder that are no case file (left out when none).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    unused_files: &'a [String],
    skipped_outside_window: u64,
    totals: Totals,
    findings_total: usize,
    findings_by_code: BTreeMap<&'static str, usize>,
    /// register.csv as written (its SHA-256 lets the next run see that an
    /// office edited it) and its items by status.
    #[serde(skip_serializing_if = "Option::is_none")]
    register: Option<&'a RegisterNote>,
    /// corrections.csv: rows and money of each kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    corrections: Option<&'a CorrectionsNote>,
}

/// What run.json says of corrections.csv.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CorrectionsNote {
    pub backpay_rows: usize,
    pub backpay: String,
    pub recover_rows: usize,
    pub recover: String,
}

/// What run.json says of the register written.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RegisterNote {
    pub sha256: String,
    pub items: usize,
    pub open: usize,
    pub overdue: usize,
    pub closed: usize,
    pub new: usize,
    pub reopened: usize,
    pub closed_now: usize,
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
    rectify_months: u32,
}

#[derive(Serialize)]
struct FileEntry<'a> {
    rows: u64,
    sha256: &'a str,
    encoding: &'a str,
    /// `tab` for a tab-separated file; left out for the comma.
    #[serde(skip_serializing_if = "Option::is_none")]
    delimiter: Option<&'a str>,
    /// A workbook read from one sheet: the sheet and the row of its header.
    #[serde(skip_serializing_if = "Option::is_none")]
    sheet: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    header_row: Option<u32>,
    /// A workbook read from several sheets: each one, in workbook order.
    #[serde(skip_serializing_if = "<[SheetEntry<'_>]>::is_empty")]
    sheets: Vec<SheetEntry<'a>>,
    /// Merged cells over the data rows, and what was made of them.
    #[serde(skip_serializing_if = "<[&str]>::is_empty")]
    merged_cells: Vec<&'a str>,
    /// Hidden sheets that hold the file's columns, not read.
    #[serde(skip_serializing_if = "<[Box<str>]>::is_empty")]
    hidden_sheets_not_read: &'a [Box<str>],
    bad_records: u64,
    duplicate_records: u64,
    /// Summary and signature lines under the table, skipped (SPEC v3).
    #[serde(skip_serializing_if = "is_zero")]
    summary_rows: u64,
    /// Rows whose 15-digit ID number was upgraded (left out when none).
    #[serde(skip_serializing_if = "is_zero")]
    id_numbers_upgraded: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    outside_window: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inside_window: Option<u64>,
}

#[derive(Serialize)]
struct SheetEntry<'a> {
    sheet: &'a str,
    header_row: u32,
    rows: u64,
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
    pub(super) files: BTreeMap<FileId, crate::case::FileReport>,
    pub(super) unused_files: Vec<String>,
    /// columns.toml and regions.csv as found, and how many regions the
    /// latter names.
    pub(super) settings_files: Vec<String>,
    pub(super) regions: usize,
    /// The files as evidence names them.
    pub(super) inputs: InputFiles,
    /// Per stage file: records inside and outside the window.
    pub(super) window_counts: BTreeMap<FileId, (u64, u64)>,
    /// Σ E (known), Σ A, Σ T, Σ P in fen.
    pub(super) money: [i128; 4],
    ledger_lines: usize,
    pub(super) register: Option<RegisterNote>,
    pub(super) corrections: Option<CorrectionsNote>,
}

impl RunStats {
    pub fn new(case: &Case, reconciliation: &Reconciliation) -> RunStats {
        RunStats {
            window: reconciliation.window,
            policy: case.policy.clone(),
            given: reconciliation.given,
            files: BTreeMap::new(),
            unused_files: case.unused_files.clone(),
            settings_files: case.settings_files.clone(),
            regions: case.regions.len(),
            inputs: case.inputs.clone(),
            window_counts: BTreeMap::new(),
            money: [0; 4],
            ledger_lines: 0,
            register: None,
            corrections: None,
        }
    }

    /// Notes the corrections written: rows and money of each kind.
    pub(super) fn note_corrections(
        &mut self,
        corrections: &[crate::engine::corrections::Correction],
    ) {
        use crate::engine::corrections::CorrectionKind;
        let of = |kind: CorrectionKind| {
            let rows: Vec<_> = corrections.iter().filter(|row| row.kind == kind).collect();
            let fen: i128 = rows.iter().map(|row| i128::from(row.amount.fen())).sum();
            (rows.len(), format_fen_total(fen))
        };
        let (backpay_rows, backpay) = of(CorrectionKind::Backpay);
        let (recover_rows, recover) = of(CorrectionKind::Recover);
        self.corrections = Some(CorrectionsNote {
            backpay_rows,
            backpay,
            recover_rows,
            recover,
        });
    }

    /// Notes the register written: its bytes' SHA-256 and its items.
    pub(super) fn note_register(
        &mut self,
        register: &crate::domain::register::Register,
        transitions: crate::engine::register::Transitions,
        bytes: &[u8],
    ) {
        use crate::domain::register::ItemStatus;
        let label = self.window.last;
        let count = |status: ItemStatus| {
            register
                .items
                .iter()
                .filter(|item| item.status_at(label) == status)
                .count()
        };
        self.register = Some(RegisterNote {
            sha256: {
                use sha2::Digest;
                sha2::Sha256::digest(bytes)
                    .iter()
                    .map(|byte| format!("{byte:02x}"))
                    .collect()
            },
            items: register.items.len(),
            open: count(ItemStatus::Open),
            overdue: count(ItemStatus::Overdue),
            closed: count(ItemStatus::Closed),
            new: transitions.new,
            reopened: transitions.reopened,
            closed_now: transitions.closed,
        });
    }

    /// Adds one part: its files' counts and its ledger's totals.
    pub fn add(&mut self, case: &Case, reconciliation: &Reconciliation) {
        // The sheets of a workbook are named once every part is read.
        self.inputs = case.inputs.clone();
        for (id, report) in &case.files {
            let entry = self
                .files
                .entry(*id)
                .or_insert_with(|| crate::case::FileReport {
                    sha256: report.sha256.clone(),
                    encoding: report.encoding,
                    delimiter: report.delimiter,
                    hidden_not_read: report.hidden_not_read.clone(),
                    ..crate::case::FileReport::default()
                });
            entry.rows += report.rows;
            entry.id_numbers_upgraded += report.id_numbers_upgraded;
            entry.bad += report.bad;
            entry.duplicate += report.duplicate;
            entry.summary_rows += report.summary_rows;
            for sheet in &report.sheets {
                match entry
                    .sheets
                    .iter_mut()
                    .find(|known| known.index == sheet.index)
                {
                    Some(known) => known.rows += sheet.rows,
                    None => entry.sheets.push(sheet.clone()),
                }
            }
        }
        self.add_window_counts(&reconciliation.window_counts);
        let fen = |amount: Option<crate::domain::Money>| {
            amount.map_or(0, |amount| i128::from(amount.fen()))
        };
        // Each part summed on its own thread (3 million lines a county-year).
        use rayon::prelude::*;
        let money = reconciliation
            .lines
            .parts()
            .par_iter()
            .map(|part| {
                let mut money = [0i128; 4];
                for line in part {
                    let figures = line.figures();
                    money[0] += fen(figures.expected);
                    money[1] += fen(figures.allocated);
                    money[2] += fen(figures.transferred);
                    money[3] += fen(Some(figures.paid));
                }
                money
            })
            .reduce(
                || [0i128; 4],
                |left, right| std::array::from_fn(|index| left[index] + right[index]),
            );
        for (total, part) in self.money.iter_mut().zip(money) {
            *total += part;
        }
        self.ledger_lines += reconciliation.lines.len();
    }

    pub fn ledger_lines(&self) -> usize {
        self.ledger_lines
    }

    fn add_window_counts(&mut self, counts: &[WindowCount]) {
        for count in counts {
            let entry = self.window_counts.entry(count.file).or_default();
            entry.0 += count.inside;
            entry.1 += count.outside;
        }
    }

    /// The window counts gathered, per file.
    pub(super) fn window_counts(&self) -> Vec<WindowCount> {
        self.window_counts
            .iter()
            .map(|(&file, &(inside, outside))| WindowCount {
                file,
                inside,
                outside,
            })
            .collect()
    }

    /// Adds the counts of a part rendered elsewhere ([`super::RenderedPart`]).
    pub(super) fn add_counts(
        &mut self,
        window_counts: &[WindowCount],
        money: [i128; 4],
        ledger_lines: usize,
    ) {
        self.add_window_counts(window_counts);
        for (sum, part) in self.money.iter_mut().zip(money) {
            *sum += part;
        }
        self.ledger_lines += ledger_lines;
    }

    pub fn render(&self, findings: &[crate::domain::Finding]) -> Vec<u8> {
        let is_stage = |kind: FileKind| {
            matches!(
                kind,
                FileKind::Allocations | FileKind::Transfers | FileKind::Payouts
            )
        };
        let files = self
            .files
            .iter()
            .map(|(id, report)| {
                let input = self.inputs.get(*id);
                let counts = is_stage(input.kind)
                    .then(|| self.window_counts.get(id).copied().unwrap_or_default());
                let single = match report.sheets.as_slice() {
                    [sheet] => Some(sheet),
                    _ => None,
                };
                let entry = FileEntry {
                    rows: report.rows,
                    sha256: &report.sha256,
                    encoding: report.encoding,
                    delimiter: report.delimiter,
                    sheet: single.map(|sheet| sheet.name.as_ref()),
                    header_row: single.map(|sheet| sheet.header_row),
                    sheets: if report.sheets.len() > 1 {
                        report
                            .sheets
                            .iter()
                            .map(|sheet| SheetEntry {
                                sheet: &sheet.name,
                                header_row: sheet.header_row,
                                rows: sheet.rows,
                            })
                            .collect()
                    } else {
                        Vec::new()
                    },
                    merged_cells: report
                        .sheets
                        .iter()
                        .flat_map(|sheet| sheet.merges.iter().map(AsRef::as_ref))
                        .collect(),
                    hidden_sheets_not_read: &report.hidden_not_read,
                    bad_records: report.bad,
                    duplicate_records: report.duplicate,
                    summary_rows: report.summary_rows,
                    id_numbers_upgraded: report.id_numbers_upgraded,
                    outside_window: counts.map(|(_, outside)| outside),
                    inside_window: counts.map(|(inside, _)| inside),
                };
                // Every data row is accounted for: bad, repeated, or read.
                if let Some((inside, outside)) = counts {
                    assert_eq!(
                        report.rows,
                        report.bad + report.duplicate + outside + inside,
                        "{}: rows must equal bad + duplicate + outside + inside the window",
                        input.name
                    );
                }
                (input.name.as_ref(), entry)
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
                rectify_months: self.policy.rectify_months,
            },
            files,
            unused_files: &self.unused_files,
            skipped_outside_window: self
                .window_counts
                .values()
                .map(|(_, outside)| outside)
                .sum(),
            totals: Totals {
                ledger_lines: self.ledger_lines,
                expected: format_fen_total(self.money[0]),
                allocated: self.given[0].then(|| format_fen_total(self.money[1])),
                transferred: self.given[1].then(|| format_fen_total(self.money[2])),
                paid: format_fen_total(self.money[3]),
            },
            findings_total: findings.len(),
            findings_by_code,
            register: self.register.as_ref(),
            corrections: self.corrections.as_ref(),
        };
        let mut bytes = serde_json::to_vec_pretty(&report).expect("run.json serialises");
        bytes.push(b'\n');
        bytes
    }
}

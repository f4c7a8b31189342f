//! The output edge: findings.csv, ledger.csv, summary.csv, register.csv,
//! corrections.csv and run.json, and with `--report` report.xlsx,
//! register.xlsx and backpay-upload.xlsx, placed in OUT_DIR all or none
//! ([`publish`]); and the public notice of `duizhang notice` ([`workbook`]).

pub mod corrections;
mod destination;
mod part;
mod publish;
pub mod register;
mod render;
mod report;
mod tables;
mod whatif;
pub mod workbook;

use std::io::Write;

use crate::case::Case;
use crate::engine::{Context, Reconciliation};
use crate::error::FatalError;

pub use destination::{Destination, MemoryOutput, MemoryOutputs, Output};
pub use part::RenderedPart;
pub use publish::{refuse_inside_case, OutDir, WHATIF_OUTPUTS};
pub use tables::{
    findings_csv, ledger_csv, summary_csv, write_findings, write_ledger, write_summary,
};

/// Where the public notice goes.
pub enum NoticeTarget<'t> {
    /// A file, written whole ([`publish::publish_file`]: never over a
    /// link, a folder or a device, written unseen and put in place in one
    /// step).
    File(&'t std::path::Path),
    /// Memory (the page of web/): `bytes` is left as it was when writing
    /// fails.
    Memory(&'t mut Vec<u8>),
}

/// Writes the public notice (公示) of `period` to `target`, with the
/// enrolled persons `left_out` of it on a second sheet. Returns what the
/// notice holds.
pub fn write_notice(
    target: NoticeTarget<'_>,
    period: crate::domain::Period,
    rows: &mut [workbook::NoticeRow<'_>],
    left_out: &[workbook::LeftOutRow<'_>],
    frame: &workbook::NoticeFrame<'_>,
    lang: workbook::Lang,
) -> Result<workbook::NoticeCounts, FatalError> {
    match target {
        NoticeTarget::File(path) => publish::publish_file(path, |file, scratch| {
            let mut writer = std::io::BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
            let counts =
                workbook::write_notice(&mut writer, scratch, period, rows, left_out, frame, lang)?;
            writer.flush()?;
            Ok(counts)
        }),
        NoticeTarget::Memory(bytes) => {
            let scratch = destination::memory_scratch_dir();
            let mut written = std::io::Cursor::new(Vec::new());
            let counts =
                workbook::write_notice(&mut written, &scratch, period, rows, left_out, frame, lang)
                    .map_err(|source| FatalError::Output {
                        location: crate::error::Location::file("notice.xlsx"),
                        source,
                    })?;
            *bytes = written.into_inner();
            Ok(counts)
        }
    }
}

/// whatif.csv, and with `--report` whatif.xlsx (SPEC v3 §6.2).
pub const WHATIF_CSV: &str = "whatif.csv";
pub const WHATIF_XLSX: &str = "whatif.xlsx";

/// Writes `whatif`'s outputs into `out` and places them together: a
/// whatif.xlsx of an earlier run not asked for now is taken away with
/// them, and reconcile's outputs in the same folder are left alone.
pub fn write_whatif(
    out: impl Into<Destination>,
    window: crate::domain::PeriodRange,
    whatif: &crate::engine::whatif::Whatif<'_>,
    regions: &crate::domain::regions::Regions,
    report: Option<workbook::Lang>,
    bom: bool,
) -> Result<(), FatalError> {
    let mut out = out.into();
    let mut files = Vec::new();
    files.push(write_output(&mut out, WHATIF_CSV, |writer| {
        if bom {
            writer.write_all(BOM)?;
        }
        whatif::write_whatif_csv(writer, &whatif.rows)
    })?);
    if let Some(lang) = report {
        let scratch = out.scratch_dir()?;
        files.push(write_output(&mut out, WHATIF_XLSX, |writer| {
            workbook::write_whatif_workbook(writer, &scratch, window, whatif, regions, lang)
        })?);
    }
    out.publish(files)
}

/// Writes output `name` whole through `render` (buffered), flushes it to
/// disk and returns it, ready to be placed with the others.
fn write_output(
    out: &mut Destination,
    name: &'static str,
    render: impl FnOnce(&mut std::io::BufWriter<Output>) -> std::io::Result<()>,
) -> Result<Output, FatalError> {
    let path = out.path().join(name);
    let file = out.create(name)?;
    let mut writer = std::io::BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
    render(&mut writer).map_err(output_error(&path))?;
    let mut file = writer
        .into_inner()
        .map_err(|error| output_error(&path)(error.into_error()))?;
    out.complete(&mut file)?;
    Ok(file)
}

/// Bytes buffered per output before a write to its file.
const WRITE_BUFFER_BYTES: usize = 1 << 20;

/// The output streamed part by part; the other three are written at the end.
const LEDGER: &str = "ledger.csv";

/// The workbook of `--report`.
pub const REPORT: &str = "report.xlsx";

/// The four outputs of a run made of one or more parts (one for an
/// in-memory run; partitions of persons in id_number order otherwise): the
/// ledger streams out part by part; findings, summary totals and run.json
/// counts are gathered and written by [`finish`], which then places all
/// four at once: no reader ever sees a half-written report, or a report
/// of this run beside one of the previous run.
///
/// [`finish`]: OutputSink::finish
pub struct OutputSink {
    out: Destination,
    ledger: std::io::BufWriter<Output>,
    summary: rustc_hash::FxHashMap<
        (Box<str>, crate::domain::Program, crate::domain::Period),
        tables::Totals,
    >,
    stats: report::RunStats,
    given: [bool; 3],
    /// With `--report`: the workbook, its ledger gathered part by part.
    report: Option<workbook::Report>,
    /// The register of an earlier run (`--register`), carried on at the end.
    earlier_register: Option<crate::domain::register::Register>,
    /// `--bom`: every CSV output begins with [`BOM`].
    bom: bool,
}

/// UTF-8's byte-order mark: Excel and WPS read a CSV file that begins
/// with it as UTF-8 on a double-click (without it, as the local code page).
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The rectification register of a run (SPEC v3 §6.1).
pub const REGISTER: &str = "register.csv";

/// The money to put right (SPEC v3 §6).
pub const CORRECTIONS: &str = "corrections.csv";

/// The register as a workbook, written with `--report`.
pub const REGISTER_XLSX: &str = "register.xlsx";

/// An error while writing an output, before anything is placed.
fn output_error(path: &std::path::Path) -> impl Fn(std::io::Error) -> FatalError {
    let path = path.to_path_buf();
    move |source| publish::nothing_replaced(&path, source)
}

impl OutputSink {
    /// `case` and `reconciliation` give the window, policy and which stage
    /// files were given; any part of the run will do. `report`: also write
    /// report.xlsx, in that language.
    pub fn create(
        out: impl Into<Destination>,
        case: &Case,
        reconciliation: &Reconciliation,
        report: Option<workbook::Lang>,
        earlier_register: Option<crate::domain::register::Register>,
        bom: bool,
    ) -> Result<OutputSink, FatalError> {
        let mut out = out.into();
        let ledger_path = out.path().join(LEDGER);
        let file = out.create(LEDGER)?;
        let mut ledger = std::io::BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
        if bom {
            ledger.write_all(BOM).map_err(output_error(&ledger_path))?;
        }
        tables::write_ledger_header(&mut ledger).map_err(output_error(&ledger_path))?;
        let report = match report {
            Some(lang) => {
                let scratch = out.scratch_dir()?;
                let report_path = out.path().join(REPORT);
                Some(
                    workbook::Report::new(lang, &scratch, case.regions.clone())
                        .map_err(output_error(&report_path))?,
                )
            }
            None => None,
        };
        Ok(OutputSink {
            out,
            ledger,
            summary: rustc_hash::FxHashMap::default(),
            stats: report::RunStats::new(case, reconciliation),
            given: reconciliation.given,
            report,
            earlier_register,
            bom,
        })
    }

    /// Adds the next part: its ledger lines (after every earlier part's in
    /// id_number order), its summary totals and its counts.
    pub fn add(&mut self, case: &Case, reconciliation: &Reconciliation) -> Result<(), FatalError> {
        let context = Context::new(case, reconciliation.window);
        tables::write_ledger_rows(&mut self.ledger, &context, reconciliation)
            .map_err(output_error(&self.out.path().join(LEDGER)))?;
        tables::merge_summary(
            &mut self.summary,
            tables::summary_groups(&context, reconciliation),
        );
        if let Some(report) = &mut self.report {
            report
                .add(&context, reconciliation)
                .map_err(output_error(&self.out.path().join(REPORT)))?;
        }
        self.stats.add(case, reconciliation);
        Ok(())
    }

    pub fn ledger_lines(&self) -> usize {
        self.stats.ledger_lines()
    }

    /// Writes findings.csv (all parts' findings, sorted here), summary.csv,
    /// run.json and with `--report` report.xlsx, then places them all.
    /// Returns the sorted findings.
    pub fn finish(
        self,
        mut findings: Vec<crate::domain::Finding>,
    ) -> Result<Vec<crate::domain::Finding>, FatalError> {
        use rayon::prelude::*;
        findings.par_sort_by(crate::domain::Finding::output_order);
        let OutputSink {
            mut out,
            ledger,
            summary,
            mut stats,
            given,
            report,
            earlier_register,
            bom,
        } = self;
        // The register after this run, labelled by the window's last month.
        let window = stats.window;
        let label = window.last;
        if let Some(earlier) = &earlier_register {
            crate::engine::register::check_label(earlier, label).map_err(|item| {
                FatalError::Register {
                    location: crate::error::Location::file("--register"),
                    message: format!(
                        "the earlier register holds item {item} last found or closed after {label}, this run's month: it is the register of a later run; give the register of this month or an earlier one"
                    ),
                }
            })?;
        }
        let found = crate::engine::register::found_of(&findings);
        let (register, transitions) = crate::engine::register::next_register(
            earlier_register,
            found,
            label,
            window,
            stats.policy.rectify_months,
        );
        let mut register_bytes = register::register_csv(&register, label);
        if bom {
            register_bytes.splice(0..0, BOM.iter().copied());
        }
        stats.note_register(&register, transitions, &register_bytes);
        let corrections = crate::engine::corrections::corrections_of(&findings);
        stats.note_corrections(&corrections);
        let corrections_bytes = corrections::corrections_csv(&corrections);
        let ledger_path = out.path().join(LEDGER);
        let mut ledger = ledger
            .into_inner()
            .map_err(|error| output_error(&ledger_path)(error.into_error()))?;
        out.complete(&mut ledger)?;
        type Render<'r> = Box<dyn Fn(&mut (dyn Write + Send)) -> std::io::Result<()> + 'r>;
        let summary_groups = summary;
        let summary = tables::render_summary(&summary_groups, given);
        let run = stats.render(&findings);
        let outputs: [(&'static str, Render<'_>); 5] = [
            (
                "findings.csv",
                Box::new(|writer| write_findings(writer, &findings)),
            ),
            ("summary.csv", Box::new(|writer| writer.write_all(&summary))),
            (
                REGISTER,
                Box::new(|writer| writer.write_all(&register_bytes)),
            ),
            (
                CORRECTIONS,
                Box::new(|writer| writer.write_all(&corrections_bytes)),
            ),
            ("run.json", Box::new(|writer| writer.write_all(&run))),
        ];
        let mut files = vec![ledger];
        for (name, render) in &outputs {
            files.push(write_output(&mut out, name, |writer| {
                // The register's bytes carry their mark already (run.json's
                // SHA-256 is of the file as written); run.json is no CSV.
                if bom && *name != REGISTER && *name != "run.json" {
                    writer.write_all(BOM)?;
                }
                render(writer)
            })?);
        }
        drop(outputs);
        if report.is_some() {
            files.push(write_output(&mut out, REGISTER_XLSX, |writer| {
                register::write_register_xlsx(writer, &register, label)
            })?);
        }
        if let Some(report) = &report {
            // The bank's upload sheet of the back-pay, a workbook of its own.
            files.push(write_output(&mut out, workbook::UPLOAD, |writer| {
                workbook::write_upload(writer, report.scratch(), &corrections, report.lang())
                    .map(|_| ())
            })?);
        }
        if let Some(report) = report {
            let inputs = workbook::ReportInputs {
                stats: &stats,
                summary: &summary_groups,
                given,
                findings: &findings,
                corrections: &corrections,
                register: &register,
                label,
            };
            files.push(write_output(&mut out, REPORT, |writer| {
                report.finish(writer, &inputs)
            })?);
        }
        out.publish(files)?;
        Ok(findings)
    }
}

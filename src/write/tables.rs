//! The three CSV outputs (SPEC §6). Large tables are rendered in parallel
//! batches and streamed to the writer, so memory holds one batch at a time.

use std::io::Write;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use serde::{Deserialize, Serialize};

use super::render;
use crate::case::PersonId;
use crate::domain::{Finding, Money, Period, PeriodRange, Program, Stage};
use crate::engine::{Context, Label, LedgerLine, LineStatus, Reconciliation};

/// Rows rendered per parallel task, and per batch written.
const ROWS_PER_TASK: usize = 8192;
const TASKS_PER_BATCH: usize = 32;

/// Renders the rows of `parts` (in order) in parallel batches, writing
/// each batch in order — while the next one is rendered, so the threads
/// never wait on the write.
fn stream<'r, T: Sync + 'r>(
    out: &mut (dyn Write + Send),
    header: Option<&str>,
    parts: impl IntoIterator<Item = &'r [T]>,
    render_row: impl Fn(&mut Vec<u8>, &T) + Sync,
) -> std::io::Result<()> {
    stream_pieces(out, header, parts, |buffer, piece| {
        for row in piece {
            render_row(buffer, row);
            buffer.push(b'\n');
        }
    })
}

/// As [`stream`], rendering a piece of up to [`ROWS_PER_TASK`] rows at a
/// time (each row ending with a line end), so rows can share work.
fn stream_pieces<'r, T: Sync + 'r>(
    out: &mut (dyn Write + Send),
    header: Option<&str>,
    parts: impl IntoIterator<Item = &'r [T]>,
    render_piece: impl Fn(&mut Vec<u8>, &[T]) + Sync,
) -> std::io::Result<()> {
    if let Some(header) = header {
        out.write_all(header.as_bytes())?;
        out.write_all(b"\n")?;
    }
    let pieces: Vec<&[T]> = parts
        .into_iter()
        .flat_map(|part| part.chunks(ROWS_PER_TASK))
        .collect();
    let render = |batch: &[&[T]]| -> Vec<Vec<u8>> {
        batch
            .par_iter()
            .map(|piece| {
                let mut buffer = Vec::with_capacity(piece.len() * 112);
                render_piece(&mut buffer, piece);
                buffer
            })
            .collect()
    };
    let write = |out: &mut (dyn Write + Send), rendered: Vec<Vec<u8>>| -> std::io::Result<()> {
        for buffer in rendered {
            out.write_all(&buffer)?;
        }
        Ok(())
    };
    let mut pending: Option<Vec<Vec<u8>>> = None;
    for batch in pieces.chunks(TASKS_PER_BATCH) {
        let rendered = match pending.take() {
            None => render(batch),
            Some(previous) => {
                let (written, rendered) =
                    rayon::join(|| write(&mut *out, previous), || render(batch));
                written?;
                rendered
            }
        };
        pending = Some(rendered);
    }
    if let Some(previous) = pending {
        write(out, previous)?;
    }
    Ok(())
}

const FINDINGS_HEADER: &str = "code,severity,id_number,name,region,program,period,account,amount,expected,allocated,transferred,paid,stage,cause,detail,sources";

fn finding_row(out: &mut Vec<u8>, finding: &Finding) {
    let figures = finding.figures;
    render::Cells::new(out)
        .word(finding.code.name())
        .word(finding.code.severity().name())
        .text(&finding.id_number)
        .text(&finding.name)
        .text(&finding.region)
        .word(finding.program.map(Program::name).unwrap_or_default())
        .periods(finding.period)
        .text(&finding.account)
        .money(finding.amount)
        .money(figures.and_then(|figures| figures.expected))
        .money(figures.and_then(|figures| figures.allocated))
        .money(figures.and_then(|figures| figures.transferred))
        .money(figures.map(|figures| figures.paid))
        .word(finding.stage.map(Stage::name).unwrap_or_default())
        .word(finding.cause.map(|cause| cause.name()).unwrap_or_default())
        .text(&finding.detail.to_string())
        .text(&finding.sources);
}

pub fn write_findings(out: &mut (dyn Write + Send), findings: &[Finding]) -> std::io::Result<()> {
    stream(out, Some(FINDINGS_HEADER), [findings], finding_row)
}

const LEDGER_HEADER: &str =
    "id_number,name,region,program,period,expected,allocated,transferred,paid,status";

pub fn write_ledger_header(out: &mut dyn Write) -> std::io::Result<()> {
    out.write_all(LEDGER_HEADER.as_bytes())?;
    out.write_all(b"\n")
}

pub fn write_ledger(
    out: &mut (dyn Write + Send),
    context: &Context<'_>,
    reconciliation: &Reconciliation,
) -> std::io::Result<()> {
    write_ledger_header(out)?;
    write_ledger_rows(out, context, reconciliation)
}

/// The ledger rows of one part, without the header.
pub fn write_ledger_rows(
    out: &mut (dyn Write + Send),
    context: &Context<'_>,
    reconciliation: &Reconciliation,
) -> std::io::Result<()> {
    let people = &context.case.people;
    stream_pieces(
        out,
        None,
        reconciliation.lines.parts().iter().map(Vec::as_slice),
        |out, lines: &[LedgerLine]| {
            // A person's lines of one label (a dozen months, mostly) share
            // their first three cells: rendered once, then copied.
            let mut shared: Option<((PersonId, Label), std::ops::Range<usize>)> = None;
            for line in lines {
                let key = (line.person, line.label());
                match &shared {
                    Some((same, cells)) if *same == key => out.extend_from_within(cells.clone()),
                    _ => {
                        let start = out.len();
                        let (name, region) = context.label_text(line.label());
                        render::Cells::new(out)
                            .text(people.id_number(line.person))
                            .text(name)
                            .text(region);
                        out.push(b',');
                        shared = Some((key, start..out.len()));
                    }
                }
                let figures = line.figures();
                render::Cells::new(out)
                    .word(line.program.name())
                    .periods(Some(PeriodRange::single(line.period)))
                    .money(figures.expected)
                    .money(figures.allocated)
                    .money(figures.transferred)
                    .money(Some(figures.paid))
                    .word(line.status.name());
                out.push(b'\n');
            }
        },
    )
}

/// Totals of one summary.csv row.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Totals {
    pub(super) lines: u64,
    pub(super) expected: i128,
    pub(super) allocated: i128,
    pub(super) transferred: i128,
    pub(super) paid: i128,
    pub(super) shortfall: i128,
    pub(super) overpaid: i128,
    pub(super) improper: i128,
    /// Σ min(P, E) over lines with a known E.
    pub(super) delivered: i128,
}

impl Totals {
    fn add_line(&mut self, line: &LedgerLine) {
        let fen = |amount: Money| i128::from(amount.fen());
        let figures = line.figures();
        self.lines += 1;
        if let Some(expected) = figures.expected {
            self.expected += fen(expected);
            self.delivered += fen(figures.paid.min(expected).max(Money::ZERO));
        }
        self.allocated += fen(figures.allocated.unwrap_or_default());
        self.transferred += fen(figures.transferred.unwrap_or_default());
        self.paid += fen(figures.paid);
        let amount = fen(line.outcome_amount());
        match line.status {
            LineStatus::Missing | LineStatus::Shortfall => self.shortfall += amount,
            LineStatus::Over => self.overpaid += amount,
            LineStatus::Excluded | LineStatus::AfterExit | LineStatus::NotEnrolled => {
                self.improper += amount
            }
            LineStatus::NoStandard | LineStatus::Ok => {}
        }
    }

    pub(super) fn merge(&mut self, other: &Totals) {
        self.lines += other.lines;
        self.expected += other.expected;
        self.allocated += other.allocated;
        self.transferred += other.transferred;
        self.paid += other.paid;
        self.shortfall += other.shortfall;
        self.overpaid += other.overpaid;
        self.improper += other.improper;
        self.delivered += other.delivered;
    }
}

/// `numerator ÷ denominator` with 4 decimals, rounded half-up.
pub(super) fn rate(numerator: i128, denominator: i128) -> String {
    if denominator <= 0 {
        return String::new();
    }
    let scaled = (numerator * 20_000 + denominator) / (denominator * 2);
    format!("{}.{:04}", scaled / 10_000, scaled % 10_000)
}

/// (region rank, program, period): region ranks follow region text order,
/// the empty region (`None`) first, so sorting keys sorts the rows.
type SummaryKey = (Option<u32>, Program, Period);

/// (region, program, period) of a summary.csv row.
pub type SummaryRow<'c> = (&'c str, Program, Period);

/// summary.csv's rows of one reconciled part: (region, program, period)
/// and totals, in no particular order.
pub fn summary_groups<'c>(
    context: &Context<'c>,
    reconciliation: &Reconciliation,
) -> Vec<(SummaryRow<'c>, Totals)> {
    let groups: FxHashMap<SummaryKey, Totals> = reconciliation
        .lines
        .parts()
        .par_iter()
        .map(|part| {
            let mut groups: FxHashMap<SummaryKey, Totals> = FxHashMap::default();
            for line in part {
                let key = (context.region_rank(line.label()), line.program, line.period);
                groups.entry(key).or_default().add_line(line);
            }
            groups
        })
        .reduce(FxHashMap::default, |mut left, right| {
            for (key, totals) in right {
                left.entry(key).or_default().merge(&totals);
            }
            left
        });
    groups
        .into_iter()
        .map(|((region, program, period), totals)| {
            ((context.region_text(region), program, period), totals)
        })
        .collect()
}

/// Adds `groups` into `into`, keyed by region text.
pub fn merge_summary(
    into: &mut FxHashMap<(Box<str>, Program, Period), Totals>,
    groups: Vec<(SummaryRow<'_>, Totals)>,
) {
    for ((region, program, period), totals) in groups {
        into.entry((region.into(), program, period))
            .or_default()
            .merge(&totals);
    }
}

/// (region, program, period) of a summary.csv row, owned.
pub type SummaryKeyText = (Box<str>, Program, Period);

/// summary.csv's totals keyed by (region, program, period).
pub type SummaryGroups = FxHashMap<SummaryKeyText, Totals>;

/// The rows of summary.csv in its order: (region, program, period). The
/// workbook's 汇总 sheet takes the same rows.
pub(super) fn sorted_summary(groups: &SummaryGroups) -> Vec<(&SummaryKeyText, &Totals)> {
    let mut rows: Vec<_> = groups.iter().collect();
    rows.sort_unstable_by(|a, b| a.0.cmp(b.0));
    rows
}

/// Renders summary.csv from totals keyed by (region, program, period).
pub fn render_summary(groups: &SummaryGroups, given: [bool; 3]) -> Vec<u8> {
    let rows = sorted_summary(groups);
    let mut buffer = Vec::new();
    buffer.extend_from_slice(b"region,program,period,lines,expected,allocated,transferred,paid,shortfall,overpaid,improper,delivery_rate\n");
    for ((region, program, period), totals) in rows {
        let given_total = |stage: Stage, total: i128| given[stage.index()].then_some(total);
        render::Cells::new(&mut buffer)
            .text(region)
            .word(program.name())
            .periods(Some(PeriodRange::single(*period)))
            .unsigned(totals.lines)
            .total(Some(totals.expected))
            .total(given_total(Stage::Allocation, totals.allocated))
            .total(given_total(Stage::Transfer, totals.transferred))
            .total(Some(totals.paid))
            .total(Some(totals.shortfall))
            .total(Some(totals.overpaid))
            .total(Some(totals.improper))
            .word(&rate(totals.delivered, totals.expected));
        buffer.push(b'\n');
    }
    buffer
}

pub fn write_summary(
    out: &mut dyn Write,
    context: &Context<'_>,
    reconciliation: &Reconciliation,
) -> std::io::Result<()> {
    let mut groups = FxHashMap::default();
    merge_summary(&mut groups, summary_groups(context, reconciliation));
    out.write_all(&render_summary(&groups, reconciliation.given))
}

fn in_memory(write: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>) -> Vec<u8> {
    let mut bytes = Vec::new();
    write(&mut bytes).expect("writing to memory cannot fail");
    bytes
}

/// findings.csv as bytes (for tests and small cases).
pub fn findings_csv(findings: &[Finding]) -> Vec<u8> {
    in_memory(|out| write_findings(out, findings))
}

pub fn ledger_csv(context: &Context<'_>, reconciliation: &Reconciliation) -> Vec<u8> {
    in_memory(|out| write_ledger(out, context, reconciliation))
}

pub fn summary_csv(context: &Context<'_>, reconciliation: &Reconciliation) -> Vec<u8> {
    in_memory(|out| write_summary(out, context, reconciliation))
}

#[cfg(test)]
mod tests {
    use super::rate;

    #[test]
    fn delivery_rate_is_four_decimals_half_up() {
        assert_eq!(rate(1, 3), "0.3333");
        assert_eq!(rate(2, 3), "0.6667");
        assert_eq!(rate(5, 5), "1.0000");
        assert_eq!(rate(1, 80_000), "0.0000");
        assert_eq!(rate(1, 20_000), "0.0001");
        assert_eq!(rate(0, 0), "");
    }

    /// Rows of many batches, in parts of uneven sizes, come out in order:
    /// each batch is written while the next is rendered.
    #[test]
    fn streamed_rows_keep_their_order_across_batches_and_parts() {
        let rows_per_batch = super::ROWS_PER_TASK * super::TASKS_PER_BATCH;
        let rows: Vec<u32> = (0..u32::try_from(rows_per_batch * 3 + 5).unwrap()).collect();
        let parts: Vec<&[u32]> = vec![
            &rows[..1],
            &rows[1..rows_per_batch + 7],
            &rows[rows_per_batch + 7..],
        ];
        let mut written = Vec::new();
        super::stream(&mut written, Some("n"), parts, |out, row| {
            out.extend_from_slice(row.to_string().as_bytes());
        })
        .expect("writing to memory");
        let mut expected = String::from("n\n");
        for row in &rows {
            expected.push_str(&format!("{row}\n"));
        }
        assert!(written == expected.as_bytes(), "rows out of order");
    }

    /// A writer that fails on its second write.
    struct FailsLater(usize);

    impl std::io::Write for FailsLater {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += 1;
            if self.0 >= 2 {
                return Err(std::io::Error::other("disk full"));
            }
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_of_a_batch_ends_the_stream_with_its_error() {
        let rows: Vec<u32> = (0..u32::try_from(super::ROWS_PER_TASK * super::TASKS_PER_BATCH * 3)
            .unwrap())
            .collect();
        let error = super::stream(&mut FailsLater(0), None, [rows.as_slice()], |out, row| {
            out.extend_from_slice(row.to_string().as_bytes());
        })
        .expect_err("the second write fails");
        assert_eq!(error.to_string(), "disk full");
    }
}

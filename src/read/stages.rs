//! payouts.csv, allocations.csv, transfers.csv → stage records (SPEC §2).

use super::table::{optional, required, BadRecord, Column, LoadedFile, Problems, Row};
use super::FileOutcome;
use crate::case::{
    record_id_hash, DuplicateRecord, PersonId, StageChunk, StageRecord, TextArena, MAX_CHUNKS,
    MAX_CHUNK_RECORDS,
};
use crate::domain::{Program, Stage, Status};
use crate::error::{FatalError, Location};

const RECORD_ID: usize = 0;
const ID_NUMBER: usize = 1;
const PROGRAM: usize = 2;
const PERIOD: usize = 3;
const AMOUNT: usize = 4;
const NAME: usize = 5;
const ACCOUNT: usize = 6;
const DATE: usize = 7;
const STATUS: usize = 8;

/// A column a stage file does not have (SPEC §2 marks it "—"): no header cell
/// can be named this, so it is never found and its cells read as absent.
const ABSENT: Column = optional("\u{0}absent", &[]);

pub(crate) fn columns(stage: Stage) -> [Column; 9] {
    let (record_id, date) = match stage {
        Stage::Payout => (
            required(
                "payout_id",
                &[
                    "支付编号",
                    "代理编号",
                    "流水号",
                    "交易流水号",
                    "发放流水号",
                    "业务编号",
                ],
            ),
            optional(
                "paid_on",
                &["发放日期", "入账日期", "交易日期", "到账日期", "支付日期"],
            ),
        ),
        Stage::Allocation => (
            required(
                "allocation_id",
                &["拨付编号", "指标编号", "指标文号", "拨付流水号", "流水号"],
            ),
            ABSENT,
        ),
        Stage::Transfer => (
            required(
                "transfer_id",
                &["划拨编号", "划拨流水号", "流水号", "转账流水号"],
            ),
            optional("transferred_on", &["划拨日期", "转账日期", "拨付日期"]),
        ),
    };
    let is_payout = stage == Stage::Payout;
    [
        record_id,
        required("id_number", super::schema::ID_NUMBER_ALIASES),
        required("program", super::schema::PROGRAM_ALIASES),
        required("period", super::schema::PERIOD_ALIASES),
        required("amount", super::schema::AMOUNT_ALIASES).money(),
        if is_payout {
            optional("name", super::schema::NAME_ALIASES)
        } else {
            ABSENT
        },
        if is_payout {
            optional("account", super::schema::ACCOUNT_ALIASES)
        } else {
            ABSENT
        },
        date,
        if is_payout {
            optional(
                "status",
                &[
                    "状态",
                    "处理结果",
                    "处理状态",
                    "交易状态",
                    "发放状态",
                    "入账状态",
                ],
            )
        } else {
            ABSENT
        },
    ]
}

/// Reads a stage file in chunks, in parallel. Each chunk interns its own
/// people and keeps its own records and text; the chunks are never joined
/// (see [`StageFile`]). Repeated record ids are found afterwards by
/// [`deduplicate`], once persons are global.
pub fn read(
    file: &LoadedFile,
    stage: Stage,
    options: &super::ReadOptions,
) -> Result<Vec<FileOutcome<StageChunk>>, FatalError> {
    let columns = columns(stage);
    let bodies = super::table::read_bodies(file, &columns)?;
    let mut outcomes: Vec<FileOutcome<StageChunk>> = Vec::new();
    for body in &bodies {
        let reading = StageReading {
            file,
            stage,
            columns: &columns,
            body,
            options,
        };
        if file.workbook.is_some() {
            // A sheet's rows, cut by count; the chunks of all sheets are
            // numbered on.
            let chunks = exact_cuts(file, body.start, body.first_line, body.end, options)?;
            if outcomes.len() + chunks.len() > MAX_CHUNKS {
                return Err(FatalError::TooManyLines {
                    location: Location::line(file.name(), body.first_line),
                    limit: (MAX_CHUNKS * (MAX_CHUNK_RECORDS - 1)) as u64,
                });
            }
            let read = reading
                .chunks(&chunks, outcomes.len(), true)
                .into_iter()
                .map(|read| read.map(|(outcome, _)| outcome))
                .collect::<Result<Vec<FileOutcome<StageChunk>>, FatalError>>()?;
            outcomes.extend(read);
            continue;
        }
        outcomes = reading.text()?;
    }
    if outcomes.is_empty() {
        // A header and no rows: the file is read (SPEC v3), and reported.
        let body = bodies.first().expect("a file read has a header");
        let empty = super::table::Chunk {
            start: body.end,
            end: body.end,
            first_line: body.first_line,
            records: 0,
        };
        let (outcome, _) = read_chunk(file, stage, &columns, body, empty, 0, options)?;
        outcomes.push(outcome);
    }
    // Chunk by chunk in parallel: 3 million amounts summed on one thread
    // would hold up the file's end. Each chunk's report keeps its sum: a
    // range of a file read alone (the Spark runner) tells it to the driver,
    // which checks the file's total.
    let total_fen: i128 = {
        use rayon::prelude::*;
        outcomes
            .par_iter_mut()
            .map(|outcome| {
                let fen = money_total_fen(std::iter::once(&outcome.records));
                outcome.report.money_total_fen = fen;
                fen
            })
            .sum()
    };
    super::values::check_money_total(file.name(), total_fen)?;
    Ok(outcomes)
}

/// What reading the chunks of one stage file needs.
struct StageReading<'a> {
    file: &'a LoadedFile,
    stage: Stage,
    columns: &'a [Column; 9],
    body: &'a super::table::Body,
    options: &'a super::ReadOptions,
}

impl StageReading<'_> {
    /// Reads a text file's rows in chunks: first at the cuts the text
    /// check counted lines for, all chunks at once; from the first chunk
    /// that ran into its end (a quoted line break across the cut after it)
    /// or stops the run, again at cuts found by reading every record.
    fn text(&self) -> Result<Vec<FileOutcome<StageChunk>>, FatalError> {
        let (file, body, options) = (self.file, self.body, self.options);
        let guessed_chunks = chunks_at_pieces(file, body, options);
        let (mut outcomes, exact_from) = match &guessed_chunks {
            None => (Vec::new(), Some((body.start, body.first_line))),
            Some(chunks) => {
                let (kept, first_wrong) = self.at_guessed_cuts(chunks);
                let from = first_wrong.map(|wrong| (chunks[wrong].start, chunks[wrong].first_line));
                (kept, from)
            }
        };
        if let Some((start, first_line)) = exact_from {
            let mut chunks = exact_cuts(file, start, first_line, body.end, options)?;
            if outcomes.len() + chunks.len() > MAX_CHUNKS {
                // As the old way would: the whole file, cut exactly, is too long.
                outcomes.clear();
                chunks = split(file, body, options)?;
            }
            // Progress was told of these bytes already when chunks were guessed.
            let report = guessed_chunks.is_none();
            let rest = self
                .chunks(&chunks, outcomes.len(), report)
                .into_iter()
                .map(|read| read.map(|(outcome, _)| outcome))
                // The first error in file order, whichever thread met it first.
                .collect::<Result<Vec<FileOutcome<StageChunk>>, FatalError>>()?;
            outcomes.extend(rest);
        }
        Ok(outcomes)
    }

    /// Reads `chunks` cut by [`chunks_at_pieces`]: the outcomes of the
    /// chunks before the first that ran into its end (the cut after it is
    /// not a record boundary) or stops the run, and that chunk's index.
    /// From there the file is read again at exact cuts (an error is left to
    /// that reading, which gives it as a run that never guessed would).
    fn at_guessed_cuts(
        &self,
        chunks: &[super::table::Chunk],
    ) -> (Vec<FileOutcome<StageChunk>>, Option<usize>) {
        let mut kept = Vec::with_capacity(chunks.len());
        for (index, read) in self.chunks(chunks, 0, true).into_iter().enumerate() {
            match read {
                Ok((outcome, false)) => kept.push(outcome),
                Ok((_, true)) | Err(_) => return (kept, Some(index)),
            }
        }
        (kept, None)
    }

    /// Reads `chunks` in parallel, numbered from `first_number`: each
    /// chunk's outcome, and whether it ran into its end (see
    /// [`super::records::Scanner::ran_into_end`]).
    fn chunks(
        &self,
        chunks: &[super::table::Chunk],
        first_number: usize,
        report: bool,
    ) -> Vec<Result<(FileOutcome<StageChunk>, bool), FatalError>> {
        use rayon::prelude::*;
        let Self {
            file,
            stage,
            columns,
            body,
            options,
        } = *self;
        // Each chunk gives its pages of the mapped file back once parsed (a
        // page shared with the next chunk faults back in from the page
        // cache), so only the chunks in flight are resident, and no thread
        // waits for a batch to end before taking the next chunk.
        chunks
            .par_iter()
            .enumerate()
            .map(|(number, chunk)| {
                let number =
                    u16::try_from(first_number + number).expect("checked against MAX_CHUNKS");
                let read = read_chunk(file, stage, columns, body, *chunk, number, options)?;
                if report {
                    options.report(chunk.end - chunk.start, read.0.report.rows);
                }
                if options.release_input {
                    file.release(chunk.start, chunk.end);
                }
                Ok(read)
            })
            .collect()
    }
}

/// Chunks of about `options.chunk_bytes` cut where the pieces the text
/// was checked in end ([`LoadedFile::line_ends`]), without reading a
/// record: each cut's line is counted, and its count of line ends bounds
/// its records. A cut is a record boundary unless a quoted field holds a
/// line break there, which the chunk before it finds
/// ([`super::table::RowsRead::ran_into_end`]). `None` when the text was not
/// counted (a workbook, a decoded text) or a piece holds too many lines for
/// one chunk.
fn chunks_at_pieces(
    file: &LoadedFile,
    body: &super::table::Body,
    options: &super::ReadOptions,
) -> Option<Vec<super::table::Chunk>> {
    use super::table::Chunk;
    let length = file.bytes().len();
    // A range read alone counts its text's lines from its header, not
    // from the file's first line: its rows are cut by reading them.
    if file.workbook.is_some()
        || file.line_ends.is_empty()
        || body.end != length
        || file.rows_first_line.is_some()
    {
        return None;
    }
    let target = options.chunk_bytes.clamp(1, 1 << 31);
    // A last line without a line end is a record too.
    let max_lines = (MAX_CHUNK_RECORDS - 2) as u64;
    let mut chunks = Vec::new();
    let mut start = body.start;
    let mut first_line = body.first_line;
    // Line ends in the pieces taken since `start` (the first chunk's
    // include the header's: a bound is all that is needed).
    let mut lines = 0u64;
    let mut end_before = 0;
    let mut line_before = 1u64;
    for &(end, piece_lines) in &file.line_ends {
        let line_after = line_before + piece_lines;
        if end > start {
            if lines > 0 && lines + piece_lines > max_lines {
                chunks.push(Chunk {
                    start,
                    end: end_before,
                    first_line,
                    records: lines as usize,
                });
                (start, first_line, lines) = (end_before, line_before, 0);
            }
            lines += piece_lines;
            if lines > max_lines {
                return None;
            }
            if end - start >= target && end < length {
                chunks.push(Chunk {
                    start,
                    end,
                    first_line,
                    records: lines as usize,
                });
                (start, first_line, lines) = (end, line_after, 0);
            }
        }
        (end_before, line_before) = (end, line_after);
    }
    debug_assert_eq!(end_before, length, "the pieces cover the text");
    if start < length || chunks.is_empty() {
        chunks.push(Chunk {
            start,
            end: length,
            first_line,
            records: lines as usize + 1,
        });
    }
    (chunks.len() <= MAX_CHUNKS).then_some(chunks)
}

/// Cuts the rows of a stage file into chunks of about
/// `options.chunk_bytes` (see [`super::records::split_records`]), each of
/// fewer than [`MAX_CHUNK_RECORDS`] records, so a record's index is its
/// chunk and its place.
pub(crate) fn split(
    file: &LoadedFile,
    body: &super::table::Body,
    options: &super::ReadOptions,
) -> Result<Vec<super::table::Chunk>, FatalError> {
    let chunks = exact_cuts(file, body.start, body.first_line, body.end, options)?;
    if let Some(first_too_many) = chunks.get(MAX_CHUNKS) {
        return Err(FatalError::TooManyLines {
            location: Location::line(file.name(), first_too_many.first_line),
            limit: (MAX_CHUNKS * (MAX_CHUNK_RECORDS - 1)) as u64,
        });
    }
    Ok(chunks)
}

/// As [`split`], the rows from `start` (on line `first_line`) to `end`,
/// however many chunks they make.
fn exact_cuts(
    file: &LoadedFile,
    start: usize,
    first_line: u64,
    end: usize,
    options: &super::ReadOptions,
) -> Result<Vec<super::table::Chunk>, FatalError> {
    if let Some(workbook) = &file.workbook {
        // A workbook's rows: chunks of whole rows, by count.
        let per_chunk = (MAX_CHUNK_RECORDS - 1).min(1 << 16);
        let mut chunks = Vec::new();
        let mut start = start;
        while start < end {
            let chunk_end = (start + per_chunk).min(end);
            chunks.push(super::table::Chunk {
                start,
                end: chunk_end,
                first_line: u64::from(workbook.rows[start].line),
                records: chunk_end - start,
            });
            start = chunk_end;
        }
        return Ok(chunks);
    }
    debug_assert_eq!(end, file.bytes().len(), "a text's rows run to its end");
    super::table::split_records(
        file.bytes(),
        start,
        first_line,
        file.delimiter,
        // A chunk's text arena holds at most 4 GiB (u32 offsets).
        options.chunk_bytes.min(1 << 31),
        MAX_CHUNK_RECORDS - 1,
        |chunk| {
            if options.release_input {
                file.release(chunk.start, chunk.end);
            }
        },
    )
    .map_err(|too_long| FatalError::RowTooLong {
        location: Location::line(file.name(), too_long.line),
        limit: super::records::MAX_ROW_BYTES,
    })
}

/// Chunks parsed at once (per worker thread) when the input is released as
/// it is read.
const CHUNKS_PER_BATCH_PER_THREAD: usize = 2;

/// Calls `work(first chunk number, batch)` over `chunks`: all at once, or —
/// when `options.release_input` — in batches, giving each batch's pages of
/// the mapped file back to the kernel once parsed, so a file larger than
/// memory is never resident at once.
pub(crate) fn for_batches(
    file: &LoadedFile,
    chunks: &[super::table::Chunk],
    options: &super::ReadOptions,
    mut work: impl FnMut(usize, &[super::table::Chunk]) -> Result<(), FatalError>,
) -> Result<(), FatalError> {
    if !options.release_input {
        return work(0, chunks);
    }
    let per_batch = CHUNKS_PER_BATCH_PER_THREAD * rayon::current_num_threads();
    for (batch_number, batch) in chunks.chunks(per_batch).enumerate() {
        work(batch_number * per_batch, batch)?;
        if let (Some(first), Some(last)) = (batch.first(), batch.last()) {
            file.release(first.start, last.end);
        }
    }
    Ok(())
}

pub(crate) fn read_chunk(
    file: &LoadedFile,
    stage: Stage,
    columns: &[Column; 9],
    body: &super::table::Body,
    chunk: super::table::Chunk,
    number: u16,
    options: &super::ReadOptions,
) -> Result<(FileOutcome<StageChunk>, bool), FatalError> {
    let kind = stage.file_kind();
    debug_assert_eq!(kind, file.kind);
    let mut outcome = FileOutcome::new(file);
    // Sized once from what the split counted, so the hot loop never grows
    // them: a record per row at most, and no more text than the chunk's
    // bytes (the pages of the arena past its texts are never touched, so
    // they cost address space, not memory) — unless only one partition's
    // rows are kept, a small share of them.
    let (mut records, mut text): (Vec<StageRecord>, TextArena) = if options.partition.is_some() {
        (Vec::new(), TextArena::with_capacity(number, 0))
    } else {
        (
            Vec::with_capacity(chunk.records.min(MAX_CHUNK_RECORDS)),
            TextArena::with_capacity(number, text_capacity_bytes(file, chunk)),
        )
    };
    let mut id_hashes: Vec<u32> = Vec::with_capacity(records.capacity());
    let mut too_long: Option<u32> = None;
    let partition = options.partition.as_deref();
    let read = super::table::for_each_row_in(
        file,
        partition.map(|partition| (partition, ID_NUMBER)),
        body,
        chunk.start,
        chunk.end,
        chunk.first_line,
        |row| {
            if outcome.reject_unreadable(row, Some(ID_NUMBER)) {
                return;
            }
            match parse(row, columns, stage == Stage::Payout, &mut text) {
                Ok(Some(mut record)) => {
                    let (local, valid) = outcome
                        .people
                        .intern(row.cell(ID_NUMBER).expect("checked by parse"));
                    record.person = PersonId(local);
                    outcome.note_id(local, valid, row.source());
                    // A repeat found by the scan of the whole file (a
                    // partitioned run): its first occurrence may lie in
                    // another partition.
                    match partition.and_then(|partition| partition.first_of_repeat(row.source())) {
                        Some(first) => outcome.duplicates.push(DuplicateRecord {
                            kind,
                            first,
                            repeat: row.source(),
                            record_id: text.record_id(record.texts).into(),
                            person: record.person,
                            program: record.program,
                            periods: Some(record.periods),
                        }),
                        None => {
                            // Hashed while the id is in cache, for `deduplicate`.
                            id_hashes.push(record_id_hash(text.record_id(record.texts)));
                            records.push(record);
                        }
                    }
                }
                Ok(None) => {
                    too_long.get_or_insert(row.line);
                }
                Err(detail) => outcome
                    .bad
                    .push(BadRecord::new(row, Some(ID_NUMBER), detail)),
            }
        },
    )?;
    if let Some(line) = too_long {
        // Unreachable: cells are at most MAX_CELL_BYTES, which a text
        // reference holds, and `split` keeps a chunk's text under the
        // arena's 4 GiB.
        return Err(FatalError::RowTooLong {
            location: Location::line(file.name(), u64::from(line)),
            limit: super::records::MAX_ROW_BYTES,
        });
    }
    outcome.report.rows = read.rows;
    outcome.report.summary_rows = read.summary_rows;
    outcome.note_header(file, &[(body.sheet, read.rows)]);
    outcome.finish_counts();
    records.shrink_to_fit();
    if options.partition.is_some() {
        // A partition's arena grew as it went: give back what it did not use.
        // A whole file's arena was sized once; shrinking it would copy every
        // text, and the pages past its texts were never made resident.
        text.shrink_to_fit();
    }
    let chunk = StageChunk {
        file: file.id,
        sheet: body.sheet,
        records,
        text,
        id_hashes,
    };
    Ok((outcome.with(chunk), read.ran_into_end))
}

/// What a chunk's texts take at most: its bytes (a workbook's chunk spans
/// rows, not bytes: its cells' lengths).
fn text_capacity_bytes(file: &LoadedFile, chunk: super::table::Chunk) -> usize {
    match &file.workbook {
        None => chunk.end - chunk.start,
        Some(workbook) => workbook.rows[chunk.start..chunk.end]
            .iter()
            .flat_map(|row| {
                let first = row.first as usize;
                &workbook.cells[first..first + row.count as usize]
            })
            .map(|&(start, end)| (end - start) as usize + 4)
            .sum(),
    }
}

/// `Ok(None)` only when the text arena is full.
fn parse(
    row: &Row<'_>,
    columns: &[Column; 9],
    is_payout: bool,
    text: &mut TextArena,
) -> Result<Option<StageRecord>, String> {
    let mut problems = Problems::default();
    let record_id =
        super::values::required_text(row, RECORD_ID, columns[RECORD_ID].name, &mut problems);
    super::values::code_cell(row, RECORD_ID, columns[RECORD_ID].name, &mut problems);
    super::values::id_cell(row, ID_NUMBER, &mut problems);
    let program = match row.cell(PROGRAM) {
        None => {
            problems.missing("program");
            None
        }
        Some(value) => {
            let program = Program::parse(value);
            if program.is_none() {
                problems.add(
                    "program",
                    Some(value),
                    "expected dibao, tekun, temp or price_subsidy",
                );
            }
            program
        }
    };
    let periods = match row.cell(PERIOD) {
        None => {
            problems.missing("period");
            None
        }
        Some(value) => match super::values::range_value(row.kind(PERIOD), value) {
            Ok(periods) => Some(periods),
            Err(expected) => {
                problems.add("period", Some(value), expected);
                None
            }
        },
    };
    let amount = match row.cell(AMOUNT) {
        None => {
            problems.missing("amount");
            None
        }
        Some(value) => Some(super::values::money_at(
            row,
            AMOUNT,
            "amount",
            value,
            true,
            &mut problems,
        )),
    };
    let date = row.cell(DATE).and_then(|value| {
        let date = super::values::date_value(row.kind(DATE), value);
        if date.is_none() {
            problems.add(
                columns[DATE].name,
                Some(value),
                "expected a date YYYY-MM-DD (or YYYYMMDD, YYYY/MM/DD) that exists",
            );
        }
        date
    });
    super::values::code_cell(row, ACCOUNT, "account", &mut problems);
    let status = match row.cell(STATUS) {
        None => Status::Paid,
        Some(value) => Status::parse(value).unwrap_or_else(|| {
            problems.add("status", Some(value), "expected paid, failed or returned");
            Status::Paid
        }),
    };
    if !problems.is_empty() {
        return Err(problems.into_detail());
    }
    let (Some(record_id), Some(program), Some(periods), Some(amount)) =
        (record_id, program, periods, amount)
    else {
        unreachable!("every missing value was recorded as a problem");
    };
    let payee = is_payout.then(|| {
        (
            row.cell(NAME).unwrap_or_default(),
            row.cell(ACCOUNT).unwrap_or_default(),
        )
    });
    let Some(texts) = text.push(record_id, payee) else {
        return Ok(None);
    };
    let mut record = StageRecord::new(program, status, periods, amount, date, row.line);
    record.texts = texts;
    Ok(Some(record))
}

/// The amounts of the records of some chunks (repeats included, BAD rows
/// not), in fen.
pub(crate) fn money_total_fen<'c>(chunks: impl Iterator<Item = &'c StageChunk>) -> i128 {
    chunks
        .flat_map(|chunk| chunk.records.iter())
        .map(|record| i128::from(record.amount.fen()))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{text, CaseFolder, ReadOptions};

    /// `payouts.csv` holding `bytes`, checked in pieces of about `piece_bytes`.
    fn payouts(bytes: &[u8], piece_bytes: usize) -> (tempfile::TempDir, LoadedFile) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("payouts.csv"), bytes).expect("written");
        let folder = CaseFolder::open(dir.path()).expect("listed");
        let id = folder
            .first_of(crate::domain::FileKind::Payouts)
            .expect("present");
        let file = text::load(&folder, id, false, piece_bytes).expect("loaded");
        (dir, file)
    }

    /// What the outcomes say, independent of how the rows were chunked.
    fn said(outcomes: &[FileOutcome<StageChunk>]) -> Vec<String> {
        // Records, then BAD rows, each in file order whatever the chunks.
        let mut records = Vec::new();
        let mut bad = Vec::new();
        let mut rows = 0;
        for outcome in outcomes {
            let chunk = &outcome.records;
            for record in &chunk.records {
                records.push(format!(
                    "{} {} {:?} {} {:?} {:?} {:?}",
                    record.line,
                    chunk.text.record_id(record.texts),
                    chunk.text.payee(record.texts),
                    outcome.people.id_number(record.person.0),
                    record.amount,
                    record.periods,
                    record.date(),
                ));
            }
            for row in &outcome.bad {
                bad.push(format!("{:?} {} {}", row.source, row.id_number, row.detail));
            }
            rows += outcome.report.rows;
        }
        records.extend(bad);
        records.push(format!("rows {rows}"));
        records
    }

    /// The old way: cut by reading every record, then parsed; the outcome's
    /// text, or the error's.
    fn read_exactly(file: &LoadedFile, options: &ReadOptions) -> Result<Vec<String>, String> {
        let columns = columns(Stage::Payout);
        let body =
            super::super::table::read_header(file, &columns).map_err(|error| error.to_string())?;
        let reading = StageReading {
            file,
            stage: Stage::Payout,
            columns: &columns,
            body: &body,
            options,
        };
        let chunks = split(file, &body, options).map_err(|error| error.to_string())?;
        let outcomes = reading
            .chunks(&chunks, 0, false)
            .into_iter()
            .map(|read| read.map(|(outcome, _)| outcome))
            .collect::<Result<Vec<_>, FatalError>>()
            .map_err(|error| error.to_string())?;
        super::super::values::check_money_total(
            file.name(),
            money_total_fen(outcomes.iter().map(|outcome| &outcome.records)),
        )
        .map_err(|error| error.to_string())?;
        Ok(said(&outcomes))
    }

    /// Bits of rows that make cutting hard: quotes (doubled, inside a
    /// field, never closed), every line end, empty lines, GBK bytes in a
    /// UTF-8 file, tabs, stray separators.
    const PIECES: &[&str] = &[
        "P1",
        "110101198001010010",
        "dibao",
        "2024-01",
        "100",
        "1.5",
        ",",
        ",",
        ",",
        "\"",
        "\"\"",
        "\n",
        "\r",
        "\r\n",
        "\n\n",
        "王",
        "\u{FFFD}",
        "a",
        " ",
        "\t",
        "x\"y",
        "\"a\nb\"",
        "\"c\r\nd\"",
    ];

    fn awkward_file() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let row = prop_oneof![
            // A good row, perhaps with a quoted line break in its name.
            (0..30u32, 0..100u32, any::<bool>()).prop_map(|(person, amount, quoted)| format!(
                "P{person},11010119800101{:04},dibao,2024-01,{amount},{},6222",
                1000 + person,
                if quoted { "\"王\n芳\"" } else { "王芳" }
            )),
            // Anything.
            proptest::collection::vec(0..PIECES.len(), 0..12)
                .prop_map(|picks| picks.iter().map(|&pick| PIECES[pick]).collect::<String>()),
        ];
        (
            any::<bool>(),
            0..3usize,
            proptest::collection::vec(row, 1..25),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(bom, ending, rows, last_ended, gbk)| {
                let ending = ["\n", "\r\n", "\r"][ending];
                let mut text: Vec<u8> = Vec::new();
                if bom {
                    text.extend_from_slice(b"\xEF\xBB\xBF");
                }
                text.extend_from_slice(HEADER.trim_end().as_bytes());
                for (number, row) in rows.iter().enumerate() {
                    text.extend_from_slice(ending.as_bytes());
                    text.extend_from_slice(row.as_bytes());
                    if gbk && number == 1 {
                        // 王 in GBK: a row the UTF-8 file marks bad.
                        text.extend_from_slice(b"\xCD\xF5");
                    }
                }
                if last_ended {
                    text.extend_from_slice(ending.as_bytes());
                }
                text
            })
    }

    proptest::proptest! {
        /// Whatever the rows, reading at the guessed cuts gives what the
        /// old way gives — records, BAD rows, row count, or the error —
        /// and guessed cuts that are kept read alike.
        #[test]
        fn guessed_cuts_read_as_exact_cuts_whatever_the_rows(
            text in awkward_file(),
            chunk_bytes in proptest::sample::select(vec![1usize, 2, 3, 5, 11, 29, 80, 150, 1 << 20]),
        ) {
            let (_dir, file) = payouts(&text, chunk_bytes);
            let options = ReadOptions {
                chunk_bytes,
                ..ReadOptions::default()
            };
            let exact = read_exactly(&file, &options);
            let read = read(&file, Stage::Payout, &options)
                .map(|outcomes| said(&outcomes))
                .map_err(|error| error.to_string());
            proptest::prop_assert_eq!(&read, &exact);
        }
    }

    const HEADER: &str = "payout_id,id_number,program,period,amount,name,account\n";

    /// Rows with quoted line breaks (LF, CRLF, CR), doubled quotes, empty
    /// lines, a quote never closed and a row of too many fields.
    fn awkward_rows() -> String {
        let mut text = String::from(HEADER);
        for row in 0..40 {
            let id = format!("11010119800101{:04}", 1000 + row);
            let line = match row % 8 {
                0 => format!("P{row},{id},dibao,2024-01,100,\"王\n芳\",6222\n"),
                1 => format!("P{row},{id},dibao,2024-01,100,\"a\r\nb\"\"c\",6222\r\n"),
                2 => format!("P{row},{id},dibao,2024-01,100,\"x\ry\",6222\r"),
                3 => format!("\nP{row},{id},dibao,2024-01,100,李四,6222\n\r\n"),
                4 => format!("P{row},{id},dibao,2024-01,100,\"never closed,6222\n"),
                5 => format!("P{row},{id},dibao,2024-01,100,赵六,6222,extra\n"),
                _ => format!("P{row},{id},dibao,2024-01,{row}.5,钱七,6222\n"),
            };
            text.push_str(&line);
        }
        text
    }

    /// Plain rows are read at guessed cuts; the awkward ones put a quoted
    /// line break across some cut at every small size and are read again
    /// at exact cuts (at 1 MiB, whole). Guessed cuts kept over BAD rows:
    /// the property below.
    #[test]
    fn rows_cut_at_piece_ends_read_as_rows_cut_by_reading_every_record() {
        let plain: String =
            std::iter::once(HEADER.to_string())
                .chain((0..60).map(|row| {
                    format!("P{row},1101011980010{:05},tekun,2024-02,7,王芳,62\r\n", row)
                }))
                .collect();
        let awkward = awkward_rows();
        let mut guessed_plain = 0;
        let mut fell_back_awkward = 0;
        for (name, text) in [("plain", &plain), ("awkward", &awkward)] {
            for chunk_bytes in [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 1 << 20] {
                let (_dir, file) = payouts(text.as_bytes(), chunk_bytes);
                let options = ReadOptions {
                    chunk_bytes,
                    ..ReadOptions::default()
                };
                let columns = columns(Stage::Payout);
                let body = super::super::table::read_header(&file, &columns).expect("a header");
                let reading = StageReading {
                    file: &file,
                    stage: Stage::Payout,
                    columns: &columns,
                    body: &body,
                    options: &options,
                };
                let exact_chunks = split(&file, &body, &options).expect("split");
                let exact: Vec<FileOutcome<StageChunk>> = reading
                    .chunks(&exact_chunks, 0, false)
                    .into_iter()
                    // (An exact chunk may still say it ran into its end: a quote
                    // never closed looks for its close up to the chunk's end.)
                    .map(|read| read.expect("read").0)
                    .collect();
                let guessed_chunks =
                    chunks_at_pieces(&file, &body, &options).expect("the text was counted");
                // Each cut's line: one more than the line ends before it.
                for chunk in &guessed_chunks[1..] {
                    let before = &text.as_bytes()[..chunk.start];
                    let line_ends = before
                        .iter()
                        .enumerate()
                        .filter(|&(at, &byte)| {
                            byte == b'\n' || byte == b'\r' && text.as_bytes()[at + 1] != b'\n'
                        })
                        .count() as u64;
                    assert_eq!(chunk.first_line, line_ends + 1, "{name} {chunk_bytes}");
                }
                match reading.at_guessed_cuts(&guessed_chunks) {
                    (guessed, None) => {
                        assert_eq!(said(&guessed), said(&exact), "{name} in {chunk_bytes}");
                        if name == "plain" && guessed_chunks.len() > 1 {
                            guessed_plain += 1;
                        }
                    }
                    (kept, Some(wrong)) => {
                        assert_eq!(name, "awkward", "plain rows never cross a cut");
                        assert_eq!(
                            kept.len(),
                            wrong,
                            "the chunks before the first wrong one kept"
                        );
                        fell_back_awkward += 1;
                    }
                }
                let read = read(&file, Stage::Payout, &options).expect("read");
                assert_eq!(said(&read), said(&exact), "{name} in {chunk_bytes}");
            }
        }
        assert!(guessed_plain >= 10, "{guessed_plain}");
        assert!(fell_back_awkward >= 5, "{fell_back_awkward}");
    }

    #[test]
    fn a_cut_between_a_carriage_return_and_its_line_feed_is_never_made() {
        let text = format!("{HEADER}P1,110101198001010010,dibao,2024-01,1,a,1\r\nP2,110101198001010029,dibao,2024-01,1,b,2\r\n");
        for piece_bytes in 1..text.len() {
            let (_dir, file) = payouts(text.as_bytes(), piece_bytes);
            for &(end, _) in &file.line_ends {
                assert!(
                    end == text.len() || text.as_bytes()[end - 1] == b'\n',
                    "a piece ends at {end}"
                );
            }
        }
    }
}

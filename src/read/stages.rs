//! payouts.csv, allocations.csv, transfers.csv → stage records (SPEC §2).

use super::table::{optional, required, BadRecord, Column, LoadedFile, Problems, Row};
use super::FileOutcome;
use crate::case::{
    DuplicateRecord, PersonId, StageChunk, StageFile, StageRecord, TextArena, CHUNK_INDEX_BITS,
    MAX_CHUNKS, MAX_CHUNK_RECORDS,
};
use crate::domain::{FileKind, Program, Stage, Status};
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
        required("id_number", super::ID_NUMBER_ALIASES),
        required("program", super::PROGRAM_ALIASES),
        required("period", super::PERIOD_ALIASES),
        required("amount", super::AMOUNT_ALIASES).money(),
        if is_payout {
            optional("name", super::NAME_ALIASES)
        } else {
            ABSENT
        },
        if is_payout {
            optional("account", super::ACCOUNT_ALIASES)
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
    use rayon::prelude::*;
    let columns = columns(stage);
    let body = super::table::read_header(file, &columns)?;
    let chunks = split(file, &body, options)?;
    // Each chunk gives its pages of the mapped file back once parsed (a
    // page shared with the next chunk faults back in from the page cache),
    // so only the chunks in flight are resident, and no thread waits for
    // a batch to end before taking the next chunk.
    let results: Vec<Result<FileOutcome<StageChunk>, FatalError>> = chunks
        .par_iter()
        .enumerate()
        .map(|(number, chunk)| {
            let number = u16::try_from(number).expect("checked against MAX_CHUNKS above");
            let outcome = read_chunk(file, stage, &columns, &body.header, *chunk, number, options)?;
            options.report(chunk.end - chunk.start, outcome.report.rows);
            if options.release_input {
                file.release(chunk.start, chunk.end);
            }
            Ok(outcome)
        })
        .collect();
    // The first error in file order, whichever thread met it first.
    let outcomes = results
        .into_iter()
        .collect::<Result<Vec<FileOutcome<StageChunk>>, FatalError>>()?;
    super::check_money_total(
        stage.file_kind(),
        money_total_fen(outcomes.iter().map(|outcome| &outcome.records)),
    )?;
    Ok(outcomes)
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
    let name = file.name();
    if let Some(workbook) = &file.workbook {
        // A workbook's rows: chunks of whole rows, by count.
        let per_chunk = (MAX_CHUNK_RECORDS - 1).min(1 << 16);
        let mut chunks = Vec::new();
        let mut start = body.start;
        while start < body.end {
            let end = (start + per_chunk).min(body.end);
            chunks.push(super::table::Chunk {
                start,
                end,
                first_line: u64::from(workbook.rows[start].line),
                records: end - start,
            });
            start = end;
        }
        return Ok(chunks);
    }
    let chunks = super::table::split_records(
        file.bytes(),
        body.start,
        body.first_line,
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
        location: Location::line(name, too_long.line),
        limit: super::records::MAX_ROW_BYTES,
    })?;
    if let Some(first_too_many) = chunks.get(MAX_CHUNKS) {
        return Err(FatalError::TooManyLines {
            location: Location::line(name, first_too_many.first_line),
            limit: (MAX_CHUNKS * (MAX_CHUNK_RECORDS - 1)) as u64,
        });
    }
    Ok(chunks)
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
    header: &super::table::Header,
    chunk: super::table::Chunk,
    number: u16,
    options: &super::ReadOptions,
) -> Result<FileOutcome<StageChunk>, FatalError> {
    let kind = stage.file_kind();
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
    let mut too_long: Option<u32> = None;
    let partition = options.partition.as_deref();
    let rows = super::table::for_each_row_in(
        file,
        partition.map(|partition| (partition, ID_NUMBER)),
        header,
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
                    outcome.note_id(local, valid, row.line);
                    // A repeat found by the scan of the whole file (a
                    // partitioned run): its first occurrence may lie in
                    // another partition.
                    match partition
                        .and_then(|partition| partition.first_line_of_repeat(kind, row.line))
                    {
                        Some(first_line) => outcome.duplicates.push(DuplicateRecord {
                            file: kind,
                            first_line,
                            repeat_line: row.line,
                            record_id: text.record_id(record.texts).into(),
                            person: record.person,
                            program: record.program,
                            periods: Some(record.periods),
                        }),
                        None => records.push(record),
                    }
                }
                Ok(None) => {
                    too_long.get_or_insert(row.line);
                }
                Err(detail) => outcome
                    .bad
                    .push(BadRecord::new(row, kind, Some(ID_NUMBER), detail)),
            }
        },
    )?;
    if let Some(line) = too_long {
        // Unreachable: cells are at most MAX_CELL_BYTES, which a text
        // reference holds, and `split` keeps a chunk's text under the
        // arena's 4 GiB.
        return Err(FatalError::RowTooLong {
            location: Location::line(kind.file_name(), u64::from(line)),
            limit: super::records::MAX_ROW_BYTES,
        });
    }
    outcome.report.rows = rows;
    outcome.note_header(file);
    outcome.finish_counts();
    records.shrink_to_fit();
    text.shrink_to_fit();
    Ok(outcome.with(StageChunk { records, text }))
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

/// Keeps the first occurrence of each record id and returns the repeats
/// (SPEC §5 DUPLICATE_RECORD: window or not; BAD rows claim no id), in
/// file order.
///
/// Sorts one `u64` per record — a 32-bit hash of its id above its index —
/// rather than filling a hash map of the ids: 8 bytes a record instead of
/// about 40, no rehashing as the map grows, and the sort runs on every
/// thread. Records whose hashes are equal are compared by their text, so a
/// collision of two different ids only costs a comparison.
pub fn deduplicate(file: &mut StageFile, kind: FileKind) -> Vec<DuplicateRecord> {
    use rayon::prelude::*;
    let mut keys: Vec<u64> = Vec::with_capacity(file.len());
    keys.par_extend(
        file.chunks()
            .par_iter()
            .enumerate()
            .flat_map_iter(|(number, chunk)| {
                let base = (number as u32) << CHUNK_INDEX_BITS;
                chunk
                    .records
                    .iter()
                    .enumerate()
                    .map(move |(place, record)| {
                        let hash = xxhash_rust::xxh3::xxh3_64(
                            chunk.text.record_id(record.texts).as_bytes(),
                        );
                        (hash >> 32) << 32 | u64::from(base | place as u32)
                    })
            }),
    );
    assert_eq!(keys.len(), file.len(), "one key per record");
    keys.par_sort_unstable();
    // (repeat index, index of the first record with its id), in runs of
    // equal hashes; within a run indices rise, so the first of each text
    // is the earliest in the file.
    let mut repeats: Vec<(u32, u32)> = Vec::new();
    let mut run_start = 0;
    while run_start < keys.len() {
        let hash = keys[run_start] >> 32;
        let run_end = run_start
            + keys[run_start..]
                .iter()
                .take_while(|&&key| key >> 32 == hash)
                .count();
        if run_end - run_start > 1 {
            let run = &keys[run_start..run_end];
            for (position, &key) in run.iter().enumerate().skip(1) {
                let index = key as u32;
                let text = file.record_id(file.record(index));
                let first = run[..position]
                    .iter()
                    .map(|&earlier| earlier as u32)
                    .find(|&earlier| file.record_id(file.record(earlier)) == text);
                if let Some(first) = first {
                    repeats.push((index, first));
                }
            }
        }
        run_start = run_end;
    }
    drop(keys);
    repeats.sort_unstable();
    let duplicates: Vec<DuplicateRecord> = repeats
        .iter()
        .map(|&(index, first)| {
            let record = file.record(index);
            DuplicateRecord {
                file: kind,
                first_line: file.record(first).line,
                repeat_line: record.line,
                record_id: file.record_id(record).into(),
                person: record.person,
                program: record.program,
                periods: Some(record.periods),
            }
        })
        .collect();
    // Indices rise in file order, so the repeats of each chunk are a run.
    for (number, chunk) in file.chunks_mut().iter_mut().enumerate() {
        let base = (number as u32) << CHUNK_INDEX_BITS;
        let mut place = 0u32;
        let mut pending = repeats
            .iter()
            .map(|&(index, _)| index)
            .filter(|&index| index >> CHUNK_INDEX_BITS == number as u32)
            .peekable();
        if pending.peek().is_none() {
            continue;
        }
        chunk.records.retain(|_| {
            let index = base | place;
            place += 1;
            if pending.peek() == Some(&index) {
                pending.next();
                false
            } else {
                true
            }
        });
    }
    duplicates
}

/// `Ok(None)` only when the text arena is full.
fn parse(
    row: &Row<'_>,
    columns: &[Column; 9],
    is_payout: bool,
    text: &mut TextArena,
) -> Result<Option<StageRecord>, String> {
    let mut problems = Problems::default();
    let record_id = super::required_text(row, RECORD_ID, columns[RECORD_ID].name, &mut problems);
    super::code_cell(row, RECORD_ID, columns[RECORD_ID].name, &mut problems);
    super::id_cell(row, ID_NUMBER, &mut problems);
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
        Some(value) => match super::range_value(row.kind(PERIOD), value) {
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
        Some(value) => Some(super::money_at(
            row,
            AMOUNT,
            "amount",
            value,
            true,
            &mut problems,
        )),
    };
    let date = row.cell(DATE).and_then(|value| {
        let date = super::date_value(row.kind(DATE), value);
        if date.is_none() {
            problems.add(
                columns[DATE].name,
                Some(value),
                "expected a date YYYY-MM-DD (or YYYYMMDD, YYYY/MM/DD) that exists",
            );
        }
        date
    });
    super::code_cell(row, ACCOUNT, "account", &mut problems);
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

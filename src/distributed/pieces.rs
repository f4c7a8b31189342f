//! The files of a stage kind read by many tasks: each file alone, and a
//! large UTF-8 text file in byte ranges (SPEC v3's monthly files, or one
//! national bank file). What one task cannot know alone — which record id
//! repeats one in another task's rows, the window's bounds without the
//! repeats, the accounts paid to two persons in different tasks — is found
//! by [`Deduper`] from small key rows, spread over tasks by key.
//!
//! 1. [`survey`]: one task per large text file reads it whole once: its
//!    SHA-256, its encoding, and its rows cut at record boundaries by the
//!    reader's own record scanner (quotes, line ends of every kind), each
//!    range with its first line and the SHA-256 of its bytes.
//! 2. [`Piece`]s: a stage kind given as several files, or with a file cut
//!    into ranges, is read one piece per task (`read_piece`); every other
//!    kind by one task, as before.
//! 3. The first reading of a piece hands out a key row per record (its
//!    id's hash, its place and periods) and per (account, person) paid;
//!    [`Deduper`] takes the rows of a share of the keys and returns the
//!    repeats, the bounds of the first occurrences and the shared accounts.
//! 4. The second reading drops the repeats the driver lists and hands out
//!    their DUPLICATE_RECORD findings as rows of the repeat's person.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::{decode, encode, malformed, source_at};
use crate::case::{Case, DuplicateRecord};
use crate::domain::window::Bounds;
use crate::domain::{FileId, FileKind, PeriodRange, Source, Stage};
use crate::error::FatalError;
use crate::read::text::TextRange;
use crate::read::{CaseFolder, ReadOptions};

/// What one reading task reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Piece {
    /// Every file of a kind: the kind's repeats are found inside the task.
    Kind(FileKind),
    /// One file of a stage kind read alone, or a range of it with the
    /// SHA-256 of the range's bytes as the survey found them: the kind's
    /// repeats are found across its pieces ([`Deduper`]).
    File {
        kind: FileKind,
        file: FileId,
        range: Option<(TextRange, Box<str>)>,
    },
}

impl Piece {
    pub fn kind(&self) -> FileKind {
        match self {
            Piece::Kind(kind) | Piece::File { kind, .. } => *kind,
        }
    }

    /// Where the piece lies in its kind's files: the driver reports the
    /// error of the first piece in file order, as the CLI reports a file's
    /// first error.
    pub(super) fn order(&self) -> (FileKind, u16, u64) {
        match self {
            Piece::Kind(kind) => (*kind, 0, 0),
            Piece::File { kind, file, range } => (
                *kind,
                file.0,
                range.as_ref().map_or(0, |(range, _)| range.start),
            ),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }

    pub fn decode(bytes: &[u8]) -> Result<Piece, String> {
        decode(bytes)
    }
}

/// The stage whose records a file of `kind` holds.
pub(super) fn stage_of(kind: FileKind) -> Option<Stage> {
    Stage::ALL
        .into_iter()
        .find(|stage| stage.file_kind() == kind)
}

// ---------------------------------------------------------------- survey

/// What the survey of one text file found ([`survey`] →
/// `Driver::add_survey`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Survey {
    pub file: FileId,
    /// The whole file's SHA-256, which run.json reports.
    pub sha256: Box<str>,
    /// Its rows in ranges cut at record boundaries, each with the SHA-256
    /// of its bytes; empty when the file is read whole (a single range, a
    /// text not UTF-8, or a file whose reading stops the run — the error
    /// is the first reading's to report).
    pub ranges: Vec<(TextRange, Box<str>)>,
}

/// Reads text file `file` of the case whole and cuts its rows into ranges
/// of about `split_bytes` at record boundaries (the reader's own record
/// scanner finds them: a quoted line break is never a cut), each with its
/// first line and the SHA-256 of its bytes. The file's encoding is decided
/// on the whole of it, as a whole run decides it; UTF-8 and GB18030 (GBK)
/// text is cut (UTF-16 and workbooks are read whole). A GB18030 file's
/// rows are cut in its decoded text and each cut found again in its bytes
/// by its line: a line end is never part of a GB18030 character.
pub fn survey(case_dir: &std::path::Path, file: u16, split_bytes: u64) -> Vec<u8> {
    let file = FileId(file);
    let survey = CaseFolder::open(case_dir)
        .ok()
        .filter(|folder| file.index() < folder.files().len())
        .and_then(|folder| survey_file(&folder, file, split_bytes).ok())
        .unwrap_or_else(|| Survey {
            file,
            sha256: Box::from(""),
            ranges: Vec::new(),
        });
    encode(&survey)
}

fn survey_file(folder: &CaseFolder, id: FileId, split_bytes: u64) -> Result<Survey, FatalError> {
    use crate::read::{stages, table};
    use rayon::prelude::*;
    let not_cut = |sha256: String| Survey {
        file: id,
        sha256: sha256.into(),
        ranges: Vec::new(),
    };
    let stage = stage_of(folder.file(id).kind).ok_or_else(|| {
        FatalError::Distributed("only a stage file is cut into ranges".to_string())
    })?;
    let options = ReadOptions::default();
    let file = table::load(folder, id, false, options.chunk_bytes)?;
    let gb18030 = file.encoding == "gb18030";
    if file.workbook.is_some() || !(file.encoding == "utf-8" || gb18030) {
        return Ok(not_cut(file.sha256(false)));
    }
    let columns = stages::columns(stage);
    let cutting = ReadOptions {
        // Chunks no larger than a range, so ranges come near their size.
        chunk_bytes: usize::try_from(split_bytes)
            .unwrap_or(usize::MAX)
            .clamp(1, options.chunk_bytes),
        ..options
    };
    let (sha256, cut) = rayon::join(
        || file.sha256(false),
        || -> Result<_, FatalError> {
            let body = table::read_header(&file, &columns)?;
            let chunks = stages::split(&file, &body, &cutting)?;
            Ok((body, chunks))
        },
    );
    let Ok((body, chunks)) = cut else {
        return Ok(not_cut(sha256));
    };
    // Offsets of `bytes()`, which skips a byte-order mark; ranges are in
    // the file's bytes. A decoded file's cuts are found by their lines.
    let bom = file.text_offset() as u64;
    let original = file.original();
    let starts: Vec<u64> = if gb18030 {
        let mut lines: Vec<u64> = chunks.iter().map(|chunk| chunk.first_line).collect();
        lines.insert(0, body.first_line);
        let starts = line_starts(original, &lines);
        if starts.len() != lines.len() {
            return Ok(not_cut(sha256));
        }
        starts
    } else {
        std::iter::once(body.start as u64 + bom)
            .chain(chunks.iter().map(|chunk| chunk.start as u64 + bom))
            .collect()
    };
    let header_end = starts[0];
    let file_end = original.len() as u64;
    let mut ranges: Vec<TextRange> = Vec::new();
    for (index, chunk) in chunks.iter().enumerate() {
        let start = starts[index + 1];
        let end = starts.get(index + 2).copied().unwrap_or(file_end);
        match ranges.last_mut() {
            Some(last) if last.end - last.start < split_bytes => {
                debug_assert_eq!(last.end, start, "chunks follow each other");
                last.end = end;
            }
            _ => ranges.push(TextRange {
                header_end,
                start,
                end,
                first_line: chunk.first_line,
                check_rows: file.check_rows,
                gb18030,
                undecodable: file.undecodable,
            }),
        }
    }
    debug_assert!(ranges.last().is_none_or(|last| last.end == file_end));
    if ranges.len() < 2 {
        return Ok(not_cut(sha256));
    }
    let ranges = ranges
        .into_par_iter()
        .map(|range| {
            let (start, end) = (range.start as usize, range.end as usize);
            let sha256 = crate::read::table::sha256_hex(&original[start..end]);
            (range, Box::from(sha256.as_str()))
        })
        .collect();
    Ok(Survey {
        file: id,
        sha256: sha256.into(),
        ranges,
    })
}

/// Where each of `lines` (ascending, counted from 1) begins in `bytes`:
/// after as many line ends before it (LF, CR, or CRLF as one), as the
/// reader counts them. Fewer offsets than lines when the text ends first.
fn line_starts(bytes: &[u8], lines: &[u64]) -> Vec<u64> {
    debug_assert!(lines.windows(2).all(|pair| pair[0] <= pair[1]));
    let mut starts = Vec::with_capacity(lines.len());
    let (mut line, mut at) = (1u64, 0usize);
    for &wanted in lines {
        while line < wanted {
            let Some(offset) = memchr::memchr2(b'\n', b'\r', &bytes[at..]) else {
                return starts;
            };
            let end = at + offset;
            at = if bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n') {
                end + 2
            } else {
                end + 1
            };
            line += 1;
        }
        starts.push(at as u64);
    }
    starts
}

// ---------------------------------------------------------------- keys

/// Key rows: a stage record (`KEY_RECORD[stage]`: key = its id's hash,
/// value = its position above its periods) or an account paid to a person
/// (`KEY_PAYEE`: key = the account's hash, value = the id_number's hash).
/// The first reading's facts travel beside them as `KEY_FACTS`, the
/// deduper's as `KEY_DEDUPED`.
pub const KEY_FACTS: u8 = 0;
pub const KEY_RECORD: [u8; 3] = [1, 2, 3];
pub const KEY_PAYEE: u8 = 4;
pub const KEY_DEDUPED: u8 = 5;

/// Takes one key row: (tag, key, value).
pub type EmitKey<'e> = dyn FnMut(u8, u128, u128) + 'e;

/// A record id's 128-bit hash: the repeats of a kind are the records
/// whose ids hash alike (two distinct ids of a national year colliding
/// has odds of about 1 in 10^20).
fn id_hash(text: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(text.as_bytes())
}

fn record_value(position: u64, periods: PeriodRange) -> u128 {
    let first = periods.first.index();
    let span = periods.last.index() - first;
    u128::from(position) << 64 | u128::from(first) << 32 | u128::from(span)
}

/// Hands out the key rows of a piece's records as read, its repeats
/// within the piece included: every record that is not a BAD_RECORD.
pub(super) fn emit_keys(case: &Case, stage: Stage, keys: &mut EmitKey<'_>) {
    let tag = KEY_RECORD[stage.index()];
    let Some(file) = case.stage(stage) else {
        return;
    };
    let mut payees: rustc_hash::FxHashSet<(u128, u128)> = rustc_hash::FxHashSet::default();
    for (_, record) in file.iter() {
        let position = super::position_of(file.source(record));
        keys(
            tag,
            id_hash(file.record_id(record)),
            record_value(position, record.periods),
        );
        let account = file.account(record);
        if stage == Stage::Payout && record.is_paid() && !account.is_empty() {
            let person = id_hash(case.people.id_number(record.person));
            if payees.insert((crate::engine::account_hash(account), person)) {
                keys(KEY_PAYEE, crate::engine::account_hash(account), person);
            }
        }
    }
    for repeat in &case.duplicate_records {
        let periods = repeat.periods.expect("a stage record's repeat has periods");
        keys(
            tag,
            id_hash(&repeat.record_id),
            record_value(super::position_of(repeat.repeat), periods),
        );
    }
}

/// What the deduper found in its share of the keys ([`Deduper::finish`] →
/// `Driver::add_deduped`).
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Deduped {
    /// SPEC §3's bounds of the first occurrences.
    pub bounds: Option<Bounds>,
    /// (repeat, first occurrence).
    pub repeats: Vec<(Source, Source)>,
    /// Accounts `paid` payouts of two or more persons went into.
    pub candidates: Vec<u128>,
}

/// Finds repeats, bounds and shared accounts in the key rows of one share
/// of the keys (all rows of a key come to the same deduper).
#[derive(Default)]
pub struct Deduper {
    records: [Vec<(u128, u128)>; 3],
    payees: Vec<(u128, u128)>,
}

impl Deduper {
    /// Takes one key row; facts rows are not the deduper's.
    pub fn push(&mut self, tag: u8, key: u128, value: u128) -> Result<(), String> {
        match tag {
            1..=3 => self.records[usize::from(tag - 1)].push((key, value)),
            KEY_PAYEE => self.payees.push((key, value)),
            KEY_FACTS | KEY_DEDUPED => {}
            _ => return Err(malformed()),
        }
        Ok(())
    }

    /// The repeats (the first occurrence of an id is the first in file
    /// order: its position is the least), the bounds of the first
    /// occurrences and the shared accounts, as bytes.
    pub fn finish(mut self) -> Vec<u8> {
        use rayon::prelude::*;
        let mut deduped = Deduped::default();
        for (stage, records) in Stage::ALL.into_iter().zip(&mut self.records) {
            let kind = stage.file_kind();
            // Sorted by key, then position: each id's rows in file order.
            records.par_sort_unstable();
            for group in records.chunk_by(|a, b| a.0 == b.0) {
                let (first, value) = unpack(kind, group[0].1);
                deduped.bounds = Some(Bounds::including(deduped.bounds, value, first));
                for &(_, later) in &group[1..] {
                    deduped.repeats.push((unpack(kind, later).0, first));
                }
            }
        }
        self.payees.par_sort_unstable();
        self.payees.dedup();
        for group in self.payees.chunk_by(|a, b| a.0 == b.0) {
            if group.len() > 1 {
                deduped.candidates.push(group[0].0);
            }
        }
        encode(&deduped)
    }
}

/// A record key's value as its source and periods.
fn unpack(kind: FileKind, value: u128) -> (Source, PeriodRange) {
    let position = (value >> 64) as u64;
    let first = (value >> 32) as u32;
    let span = value as u32;
    let periods = PeriodRange {
        first: crate::domain::Period::from_index(first),
        last: crate::domain::Period::from_index(first + span),
    };
    (source_at(kind, position), periods)
}

// ---------------------------------------------------------------- repeats

/// The second reading of a piece: its records that repeat an id (in this
/// piece or another) set aside, each with the first occurrence the
/// deduper found, as DUPLICATE_RECORD evidence.
pub(super) fn apply_repeats(
    case: &mut Case,
    stage: Stage,
    repeats: &FxHashMap<Source, Source>,
) -> Result<(), String> {
    // Found inside the piece: their first occurrence may lie in an earlier one.
    for repeat in &mut case.duplicate_records {
        repeat.first = *repeats.get(&repeat.repeat).ok_or_else(malformed)?;
    }
    let kind = stage.file_kind();
    let file = match stage {
        Stage::Allocation => case.allocations.as_mut(),
        Stage::Transfer => case.transfers.as_mut(),
        Stage::Payout => Some(&mut case.payouts),
    };
    let Some(file) = file else {
        return Ok(());
    };
    let mut found = Vec::new();
    for chunk in file.chunks_mut() {
        let (file_id, sheet, text) = (chunk.file, chunk.sheet, &chunk.text);
        chunk.records.retain(|record| {
            let source = Source::in_file(kind, file_id, sheet, record.line);
            match repeats.get(&source) {
                Some(&first) => {
                    found.push(DuplicateRecord {
                        kind,
                        first,
                        repeat: source,
                        record_id: text.record_id(record.texts).into(),
                        person: record.person,
                        program: record.program,
                        periods: Some(record.periods),
                    });
                    false
                }
                None => true,
            }
        });
    }
    case.duplicate_records.extend(found);
    case.duplicate_records.sort_by_key(|repeat| repeat.repeat);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_begins_after_as_many_line_ends_of_any_kind() {
        let text = b"h\r\na\rb\n\nc";
        assert_eq!(line_starts(text, &[1, 2, 3, 3, 4, 5]), [0, 3, 5, 5, 7, 8]);
        assert_eq!(line_starts(text, &[5, 6]), [8], "no line 6");
        assert_eq!(line_starts(b"", &[1]), [0]);
    }

    #[test]
    fn the_first_of_each_id_counts_and_sets_the_bounds_whatever_the_order_keys_come_in() {
        let period = |text: &str| crate::domain::Period::parse(text).expect("a period");
        let range = |first: &str, last: &str| PeriodRange {
            first: period(first),
            last: period(last),
        };
        let at = |line: u32| Source::in_file(FileKind::Payouts, FileId(2), 0, line);
        let rows = [
            // "P1" on lines 9 and 3: line 3 counts, its range sets the start.
            (
                id_hash("P1"),
                record_value(
                    super::super::position_of(at(9)),
                    range("2019-01", "2019-01"),
                ),
            ),
            (
                id_hash("P2"),
                record_value(
                    super::super::position_of(at(5)),
                    range("2020-02", "2020-04"),
                ),
            ),
            (
                id_hash("P1"),
                record_value(
                    super::super::position_of(at(3)),
                    range("2020-01", "2020-01"),
                ),
            ),
        ];
        let mut outcomes = Vec::new();
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
            let mut deduper = Deduper::default();
            for index in order {
                let (key, value) = rows[index];
                deduper.push(KEY_RECORD[2], key, value).unwrap();
            }
            deduper.push(KEY_PAYEE, 7, 1).unwrap();
            deduper.push(KEY_PAYEE, 7, 1).unwrap();
            deduper.push(KEY_PAYEE, 8, 1).unwrap();
            deduper.push(KEY_PAYEE, 8, 2).unwrap();
            let deduped: Deduped = decode(&deduper.finish()).unwrap();
            outcomes.push(format!("{deduped:?}"));
            assert_eq!(deduped.repeats, [(at(9), at(3))]);
            let bounds = deduped.bounds.expect("bounds");
            assert_eq!(
                bounds.periods,
                range("2020-01", "2020-04"),
                "the repeat's 2019-01 is left out"
            );
            assert_eq!((bounds.first_set_by, bounds.last_set_by), (at(3), at(5)));
            assert_eq!(deduped.candidates, [8], "account 7 paid one person twice");
        }
        assert!(outcomes.windows(2).all(|pair| pair[0] == pair[1]));
        assert_eq!(Deduper::default().push(9, 0, 0), Err(malformed()));
    }
}

//! A run spread over many machines (the Spark runner in python/), in plain
//! types: no Arrow, no Python here.
//!
//! 1. [`read_piece`]: one task per piece — a file kind whole, or one file
//!    or byte range of a stage kind ([`Piece`]; `pieces.rs` says how a
//!    kind is cut and how its repeats are found across the pieces) —
//!    reads it with the crate's own reader and hands out its records as
//!    *person rows* — (id_number, row kind, line, payload) — plus its
//!    facts: each file's run.json report, the window bounds it sets, its
//!    BAD_RECORD and DUPLICATE_RECORD findings (made by the engine), and
//!    for payouts the accounts paid to two or more persons.
//! 2. [`Driver`]: gathers the facts, makes the window (SPEC §3) and the
//!    context every worker needs ([`Driver::plan`]).
//! 3. [`Worker::reconcile`]: rows of whole persons, sorted by id_number,
//!    become a `Case` of those persons, reconciled by
//!    `engine::reconcile_with(.., SharedAccounts::Collect(..))` exactly as a
//!    partition of a partitioned run, and rendered ([`RenderedPart`]).
//! 4. [`Driver::add_part`] streams the parts, in id_number order, into
//!    the one [`OutputSink`]; [`Driver::finish`] judges SHARED_ACCOUNT from
//!    the collected account uses and places the four files, all or none.
//!
//! Rows without an id_number are BAD_RECORDs: they never become person
//! rows, so no task receives them all.
//!
//! Every message — a row's payload, a piece's facts, the plan, a part — is
//! postcard (a compact binary serde format, stable since its 1.0) of
//! serde-derived types: the domain's values and the case's records derive
//! `Serialize`/`Deserialize` themselves, and the few shapes of the wire
//! only are here (a stage record's row, a file's facts, the plan, a part).
//! Python passes them on as opaque bytes.

mod pieces;

use std::borrow::Cow;
use std::path::Path;

pub use pieces::{survey, Deduper, EmitKey, Piece, KEY_DEDUPED, KEY_FACTS, KEY_PAYEE, KEY_RECORD};

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::case::{
    Case, Enrolment, Exclusion, FileReport, People, PersonId, Policy, Relative, StageChunk,
    StageFile, StageRecord, StandardRow, TextArena,
};
use crate::domain::window::Bounds;
use crate::domain::{
    Code, Date, FileId, FileKind, Finding, InputFiles, Money, Period, PeriodRange, Program, Source,
    Stage, Status,
};
use crate::engine::{self, AccountUse, Reconciliation, SharedAccounts};
use crate::error::FatalError;
use crate::read::{CaseFolder, ReadOptions};
use crate::write::{OutDir, OutputSink, RenderedPart};

/// Row kinds: the roster's enrolments, the three stage files (in
/// [`Stage::ALL`] order), exclusions, relatives, and the rows naming an
/// id_number that fails its check (INVALID_ID_NUMBER's evidence).
pub const ROW_ENROLMENT: u8 = 0;
pub const ROW_STAGE: [u8; 3] = [1, 2, 3];
pub const ROW_EXCLUSION: u8 = 4;
pub const ROW_RELATIVE: u8 = 5;
pub const ROW_INVALID_ID: u8 = 6;
/// v3: a roster row that could not be read, by the person its id_number
/// cell names (a payment to them names the row).
pub const ROW_UNREADABLE_ROSTER: u8 = 7;
/// A DUPLICATE_RECORD finding made by the second reading of a piece
/// ([`Piece::File`]), by the repeat's person: the worker passes it on.
pub const ROW_FINDING: u8 = 8;

/// The files read by a task each; policy.toml is read by the driver (and
/// beside the roster, whose coverage depends on it).
pub const FILE_TASKS: [FileKind; 9] = [
    FileKind::Allocations,
    FileKind::Exclusions,
    FileKind::Members,
    FileKind::Payouts,
    FileKind::Relatives,
    FileKind::Roster,
    FileKind::Standards,
    FileKind::Transfers,
    FileKind::Watchlist,
];

/// Takes one person row: (id_number, row kind, position, payload). The
/// position orders the rows of one kind as the files are read: the file's
/// number, the sheet and the line ([`position_of`]).
pub type Emit<'e> = dyn FnMut(&str, u8, u64, &[u8]) + 'e;

/// A row's position: file number, sheet and line in one sortable number.
/// File numbers are the same in every task: each lists the case folder.
pub fn position_of(source: Source) -> u64 {
    u64::from(source.file.0) << 48 | u64::from(source.sheet) << 32 | u64::from(source.line)
}

/// The row of `kind` at `position` ([`position_of`]).
fn source_at(kind: FileKind, position: u64) -> Source {
    Source::in_file(
        kind,
        FileId((position >> 48) as u16),
        (position >> 32) as u16,
        position as u32,
    )
}

/// The files every task of the per-person pass reads again.
const REREAD: [FileKind; 2] = [FileKind::Policy, FileKind::Standards];

/// A file kind by its number ([`FileKind::ALL`]'s order).
pub fn file_kind(number: u8) -> Option<FileKind> {
    FileKind::ALL.get(usize::from(number)).copied()
}

// ---------------------------------------------------------------- codec

// What passes between the tasks is postcard (a compact, stable binary
// serde format) of the types below and of the domain's own values, which
// derive serde. Every message is made and read by this module, so a
// malformed one is a bug or a mix of builds: it stops the run with one
// message, never a panic.

fn malformed() -> String {
    "a row or part passed between the Spark tasks is malformed".to_string()
}

/// `value` as bytes.
fn encode(value: &impl Serialize) -> Vec<u8> {
    postcard::to_allocvec(value).expect("serializing to memory cannot fail")
}

/// `value` as bytes appended to `out` (a person row's payload, whose
/// buffer is used again for the next row).
fn encode_into(value: &impl Serialize, out: &mut Vec<u8>) {
    out.clear();
    *out =
        postcard::to_extend(value, std::mem::take(out)).expect("serializing to memory cannot fail");
}

/// The value `bytes` hold, every byte of them.
fn decode<'b, T: Deserialize<'b>>(bytes: &'b [u8]) -> Result<T, String> {
    match postcard::take_from_bytes(bytes) {
        Ok((value, [])) => Ok(value),
        _ => Err(malformed()),
    }
}

/// A stage record as a person row carries it (its person and line are
/// the row's).
#[derive(Serialize, Deserialize)]
struct StageRow<'r> {
    program: Program,
    status: Status,
    periods: PeriodRange,
    amount: Money,
    date: Option<Date>,
    record_id: &'r str,
    /// Payouts only: the payee; empty for other stages.
    name: &'r str,
    account: &'r str,
}

/// What run.json says about a file, as a file task tells the driver (the
/// columns found are for `duizhang check` only, and are not told).
#[derive(Serialize, Deserialize)]
struct Report<'r> {
    file: FileId,
    rows: u64,
    bad: u64,
    duplicate: u64,
    summary_rows: u64,
    sha256: &'r str,
    encoding: &'r str,
    delimiter: Option<&'r str>,
    /// Each sheet read: (its place, name, header row, rows, merges).
    #[serde(borrow)]
    sheets: Vec<(u16, &'r str, u32, u64, Vec<&'r str>)>,
    #[serde(borrow)]
    hidden_not_read: Vec<&'r str>,
    id_numbers_upgraded: u64,
    /// A stage file's (or range's) amounts in fen: the driver checks a
    /// file read in ranges against the limit on one file's money.
    money_total_fen: i128,
}

impl<'r> Report<'r> {
    fn of(file: FileId, report: &'r FileReport) -> Report<'r> {
        Report {
            file,
            rows: report.rows,
            bad: report.bad,
            duplicate: report.duplicate,
            summary_rows: report.summary_rows,
            sha256: &report.sha256,
            encoding: report.encoding,
            delimiter: report.delimiter,
            sheets: report
                .sheets
                .iter()
                .map(|sheet| {
                    (
                        sheet.index,
                        sheet.name.as_ref(),
                        sheet.header_row,
                        sheet.rows,
                        sheet.merges.iter().map(AsRef::as_ref).collect(),
                    )
                })
                .collect(),
            hidden_not_read: report.hidden_not_read.iter().map(AsRef::as_ref).collect(),
            id_numbers_upgraded: report.id_numbers_upgraded,
            money_total_fen: report.money_total_fen,
        }
    }

    fn into_report(self) -> (FileId, FileReport) {
        let report = FileReport {
            rows: self.rows,
            bad: self.bad,
            duplicate: self.duplicate,
            summary_rows: self.summary_rows,
            sha256: self.sha256.to_string(),
            encoding: static_name(self.encoding),
            delimiter: self.delimiter.map(static_name),
            sheets: self
                .sheets
                .into_iter()
                .map(
                    |(index, name, header_row, rows, merges)| crate::case::SheetReport {
                        index,
                        name: name.into(),
                        header_row,
                        rows,
                        columns: Vec::new(),
                        merges: merges.into_iter().map(Box::from).collect(),
                    },
                )
                .collect(),
            hidden_not_read: self.hidden_not_read.into_iter().map(Box::from).collect(),
            id_numbers_upgraded: self.id_numbers_upgraded,
            money_total_fen: self.money_total_fen,
            columns: Vec::new(),
            // Told by `check` only, which the Spark runner does not run.
            header_line: 0,
        };
        (self.file, report)
    }
}

/// A `&'static str` of a file report (an encoding's or separator's name):
/// the names a reader gives are few, so the driver keeps each once.
fn static_name(name: &str) -> &'static str {
    use std::sync::Mutex;
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut names = NAMES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(known) = names.iter().find(|known| **known == name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.push(leaked);
    leaked
}

/// What one file's task tells the driver: [`read_file`] →
/// [`Driver::add_facts`].
#[derive(Serialize, Deserialize)]
struct Facts<'f> {
    piece: Piece,
    /// The file's facts, or the message of the error that stops the run.
    #[serde(borrow)]
    read: Result<FileFacts<'f>, String>,
}

#[derive(Serialize, Deserialize)]
struct FileFacts<'f> {
    /// The report of each of the kind's files.
    #[serde(borrow)]
    reports: Vec<Report<'f>>,
    /// SPEC §3's bounds of the file's records.
    bounds: Option<Bounds>,
    /// Its BAD_RECORD and DUPLICATE_RECORD findings.
    findings: Vec<Finding>,
    /// Payouts: the hashes of the accounts paid to two or more persons.
    candidates: Vec<u128>,
    /// Every `sample_stride`-th key of the rows, in the order emitted.
    #[serde(borrow)]
    sample: Vec<Cow<'f, str>>,
    sample_stride: u64,
}

/// What every worker needs to know of the whole run: [`Driver::plan`] →
/// [`Worker::new`].
#[derive(Serialize, Deserialize)]
struct Plan<'p> {
    window: PeriodRange,
    /// Were allocations and transfers given?
    given: [bool; 2],
    /// The files of [`REREAD`] the file tasks saw and their SHA-256,
    /// which each worker compares with what it reads.
    #[serde(borrow)]
    seen: Vec<(FileId, &'p str)>,
    /// The sheet names of the workbooks read from several sheets, which
    /// evidence names.
    #[serde(borrow)]
    sheet_names: Vec<(FileId, Vec<&'p str>)>,
    /// SHARED_ACCOUNT's candidate accounts, sorted.
    candidates: Vec<u128>,
}

/// One reconciled part: [`Worker::reconcile`] → [`Driver::add_part`].
#[derive(Serialize, Deserialize)]
struct Part<'p> {
    /// Its first and last id_number (`None`: a part without persons).
    first: Option<Cow<'p, str>>,
    last: Option<Cow<'p, str>>,
    rendered: Cow<'p, RenderedPart>,
    findings: Cow<'p, [Finding]>,
    /// SHARED_ACCOUNT's uses of the candidate accounts.
    account_uses: Cow<'p, [(Box<str>, AccountUse)]>,
}

// ---------------------------------------------------------------- files

/// Reads `kind`'s file of the case in `case_dir` as a whole run reads it,
/// hands each record to `emit` as a person row (id_number, row kind, line,
/// payload), and returns the file's facts for [`Driver::add_facts`] — or
/// the error that stops the run, which the driver reports.
///
/// A run reads each file twice: first for its facts alone (`layout`
/// `None`, `emit` discarding the rows), then, once the driver has cut the
/// shuffle's ranges ([`Driver::layout`]), for its rows. The second reading
/// checks that the file is the one the first read: it stops with the
/// CLI's "input changed" error otherwise.
pub fn read_file(
    case_dir: &Path,
    kind: FileKind,
    layout: Option<&Layout>,
    emit: &mut Emit<'_>,
) -> Vec<u8> {
    read_piece(
        case_dir,
        &Piece::Kind(kind),
        layout,
        emit,
        &mut |_, _, _| {},
    )
}

/// As [`read_file`], one piece of the case ([`Driver::pieces`]): a whole
/// kind, or one file of a stage kind or a range of it. The first reading
/// of a [`Piece::File`] also hands each record's key row to `keys` (for
/// the [`Deduper`]); its facts then leave the kind's repeats, bounds and
/// shared accounts to the deduper. Its second reading drops the repeats
/// the layout lists and emits their DUPLICATE_RECORD findings as
/// [`ROW_FINDING`] rows.
pub fn read_piece(
    case_dir: &Path,
    piece: &Piece,
    layout: Option<&Layout>,
    emit: &mut Emit<'_>,
    keys: &mut EmitKey<'_>,
) -> Vec<u8> {
    let kind = piece.kind();
    let stage = pieces::stage_of(kind);
    let whole_kind = matches!(piece, Piece::Kind(_));
    let mut case = CaseFolder::open(case_dir)
        .and_then(|folder| read_piece_case(&folder, piece, layout))
        .map_err(|error| error.to_string());
    // A piece's second reading: its repeats set aside, their findings
    // handed on by person.
    if let (Ok(read), Some(stage), false, Some(layout)) = (&mut case, stage, whole_kind, layout) {
        match pieces::apply_repeats(read, stage, &layout.repeat_map) {
            Ok(()) => {
                // The first occurrence may be a row of another piece's
                // workbook: evidence names its sheet as the whole run does.
                for (file, names) in &layout.sheet_names {
                    if file.index() < read.inputs.len() {
                        read.inputs.set_sheet_names(*file, names.clone());
                    }
                }
                let findings = engine::record_findings(read, |code| code == Code::DuplicateRecord);
                let mut payload = Vec::new();
                for finding in &findings {
                    encode_into(finding, &mut payload);
                    emit(&finding.id_number, ROW_FINDING, 0, &payload);
                }
            }
            Err(message) => case = Err(message),
        }
    }
    let read = match &case {
        Err(message) => Err(message.clone()),
        Ok(case) => {
            if let (Some(stage), false, None) = (stage, whole_kind, layout) {
                pieces::emit_keys(case, stage, keys);
            }
            // The first reading samples the keys; the second has its
            // ranges already.
            let sampling = layout.is_none();
            let mut sample = KeySample::default();
            let mut facts = emit_rows(case, kind, &mut |key, row, position, payload| {
                if sampling {
                    sample.add(key);
                }
                emit(key, row, position, payload);
            });
            if !whole_kind {
                // The deduper's, across the kind's pieces.
                facts.bounds = None;
                facts.candidates.clear();
                facts
                    .findings
                    .retain(|finding| finding.code == Code::BadRecord);
                for report in &mut facts.reports {
                    report.duplicate = 0;
                }
            }
            facts.sample_stride = sample.stride;
            facts.sample = sample.keys.into_iter().map(Cow::Owned).collect();
            Ok(facts)
        }
    };
    encode(&Facts {
        piece: piece.clone(),
        read,
    })
}

/// The case of a piece, checked (second reading) to be what the first
/// reading read.
fn read_piece_case(
    folder: &CaseFolder,
    piece: &Piece,
    layout: Option<&Layout>,
) -> Result<Case, FatalError> {
    match piece {
        Piece::Kind(kind) => {
            let case = read_case_file(folder, *kind)?;
            if let Some(layout) = layout {
                layout.check_unchanged(folder, &case, |file| folder.file(*file).kind == *kind)?;
            }
            Ok(case)
        }
        Piece::File { file, range, .. } => {
            if file.index() >= folder.files().len() {
                return Err(FatalError::InputChanged {
                    location: crate::error::Location::path(folder.dir()),
                    what: "a file was added or removed".to_string(),
                });
            }
            let case = crate::read::read_one_file(
                folder,
                *file,
                range.as_ref().map(|(range, _)| range),
                &ReadOptions::default(),
            )?;
            match range {
                // Both readings compare the range with the survey's.
                Some((_, sha256)) => {
                    let now = case.files.iter().find(|(id, _)| id == file);
                    if now.is_none_or(|(_, report)| report.sha256 != sha256.as_ref()) {
                        return Err(FatalError::InputChanged {
                            location: folder.location(*file),
                            what: "its contents are not the same".to_string(),
                        });
                    }
                }
                None => {
                    if let Some(layout) = layout {
                        layout.check_unchanged(folder, &case, |id| id == file)?;
                    }
                }
            }
            Ok(case)
        }
    }
}

/// The error a file task's facts carry, if its reading failed.
pub fn facts_error(facts: &[u8]) -> Result<Option<String>, String> {
    let facts: Facts<'_> = decode(facts)?;
    Ok(facts.read.err())
}

/// Keys sampled from the rows a file task emits, for the driver to cut
/// the shuffle's ranges at: every `stride`-th row, the stride doubling
/// (every other key dropped) whenever twice [`SAMPLE_KEYS`] are kept — so
/// a file of any size sends at most that many, each standing for
/// `stride` rows.
struct KeySample {
    keys: Vec<String>,
    stride: u64,
    rows: u64,
}

/// Keys a file task keeps at least (until its rows run out), at most twice
/// as many: 16,384 over 1,000 partitions put about 16 sampled keys in each,
/// within a few percent of an even cut.
const SAMPLE_KEYS: usize = 8192;

impl Default for KeySample {
    fn default() -> KeySample {
        KeySample {
            keys: Vec::new(),
            stride: 1,
            rows: 0,
        }
    }
}

impl KeySample {
    fn add(&mut self, key: &str) {
        if self.rows.is_multiple_of(self.stride) {
            self.keys.push(key.to_string());
            if self.keys.len() == 2 * SAMPLE_KEYS {
                let mut index = 0;
                self.keys.retain(|_| {
                    index += 1;
                    index % 2 == 1
                });
                self.stride *= 2;
            }
        }
        self.rows += 1;
        debug_assert!(self.keys.len() < 2 * SAMPLE_KEYS);
    }
}

/// How the second reading of each file lays its rows out for the
/// shuffle ([`Driver::layout`] → [`read_file`]): the id_numbers the
/// ranges of persons are cut at, the value of the bucket column that
/// sends a row to each range's partition, and every file's SHA-256 as the
/// first reading found it.
#[derive(Serialize, Deserialize)]
pub struct Layout {
    /// Sorted; range `i` holds the keys from `boundaries[i - 1]` (or the
    /// least) up to, not including, `boundaries[i]` (or beyond the last).
    boundaries: Vec<Box<str>>,
    /// One per range: the bucket value of range `i`'s rows.
    buckets: Vec<i32>,
    seen: Vec<(FileId, Box<str>)>,
    /// The kinds read in pieces: each repeat's row and its first
    /// occurrence's, as the deduper found them.
    repeats: Vec<(Source, Source)>,
    /// The sheet names of the workbooks read from several sheets: a
    /// repeat's evidence may name a row of another piece's workbook.
    sheet_names: Vec<(FileId, Vec<Box<str>>)>,
    #[serde(skip)]
    repeat_map: FxHashMap<Source, Source>,
}

impl Layout {
    pub fn decode(bytes: &[u8]) -> Result<Layout, String> {
        let mut layout: Layout = decode(bytes)?;
        layout.repeat_map = layout.repeats.iter().copied().collect();
        Ok(layout)
    }

    /// The bucket value of the rows of the person `key`: its range's.
    pub fn bucket(&self, key: &str) -> i32 {
        let range = self
            .boundaries
            .partition_point(|boundary| boundary.as_ref() <= key);
        self.buckets[range]
    }

    /// The CLI's "input changed" error when a file `read` names is not
    /// the one the first reading read (or was added or removed since).
    fn check_unchanged(
        &self,
        folder: &CaseFolder,
        case: &Case,
        read: impl Fn(&FileId) -> bool,
    ) -> Result<(), FatalError> {
        let now: Vec<(FileId, &str)> = case
            .files
            .iter()
            .filter(|(file, _)| read(file))
            .map(|(file, report)| (*file, report.sha256.as_str()))
            .collect();
        let seen: Vec<(FileId, &str)> = self
            .seen
            .iter()
            .filter(|(file, _)| file.index() < folder.files().len() && read(file))
            .map(|(file, sha256)| (*file, sha256.as_ref()))
            .collect();
        same_files(folder, &seen, &now)
    }
}

/// The CLI's "input changed" error unless the files read `now` are those
/// `seen` before (each with its SHA-256, in file order), naming the first
/// that differs — or the folder, when a file was added or removed past the
/// end of the listing.
fn same_files(
    folder: &CaseFolder,
    seen: &[(FileId, &str)],
    now: &[(FileId, &str)],
) -> Result<(), FatalError> {
    if now == seen {
        return Ok(());
    }
    let changed = seen
        .iter()
        .zip(now)
        .find(|(seen, now)| seen != now)
        .map(|((file, _), _)| *file)
        .or_else(|| now.get(seen.len()).map(|(file, _)| *file))
        .or_else(|| seen.get(now.len()).map(|(file, _)| *file));
    let (location, what) = match changed {
        Some(file) if file.index() < folder.files().len() => (
            folder.location(file),
            "its contents are not the same, or it was added or removed",
        ),
        _ => (
            crate::error::Location::path(folder.dir()),
            "a file was added or removed",
        ),
    };
    Err(FatalError::InputChanged {
        location,
        what: what.to_string(),
    })
}

/// The case of `kind`'s file alone (the roster with policy.toml, which
/// decides its coverage).
fn read_case_file(folder: &CaseFolder, kind: FileKind) -> Result<Case, FatalError> {
    let kinds: &[FileKind] = if kind == FileKind::Roster {
        &[FileKind::Roster, FileKind::Policy]
    } else {
        std::slice::from_ref(&kind)
    };
    crate::read::read_files_in(folder, kinds, &ReadOptions::default())
}

/// Hands every record of `case` (read from `kind`'s file) to `emit` and
/// returns the file's facts.
fn emit_rows<'c>(case: &'c Case, kind: FileKind, emit: &mut Emit<'_>) -> FileFacts<'c> {
    let id = |person: PersonId| case.people.id_number(person);
    let mut payload = Vec::new();
    for enrolment in &case.enrolments {
        encode_into(enrolment, &mut payload);
        emit(
            id(enrolment.person),
            ROW_ENROLMENT,
            position_of(enrolment.source),
            &payload,
        );
    }
    let mut bounds: Option<Bounds> = None;
    let mut candidates = Vec::new();
    for stage in Stage::ALL {
        let Some(file) = case.stage(stage).filter(|_| stage.file_kind() == kind) else {
            continue;
        };
        let mut payees: FxHashMap<u128, (PersonId, bool)> = FxHashMap::default();
        for (_, record) in file.iter() {
            let row = StageRow {
                program: record.program,
                status: record.status,
                periods: record.periods,
                amount: record.amount,
                date: record.date(),
                record_id: file.record_id(record),
                name: file.payee_name(record),
                account: file.account(record),
            };
            encode_into(&row, &mut payload);
            let source = file.source(record);
            emit(
                id(record.person),
                ROW_STAGE[stage.index()],
                position_of(source),
                &payload,
            );
            // SPEC §3's bounds, as `engine::window` takes them.
            bounds = Some(Bounds::including(bounds, record.periods, source));
            // SHARED_ACCOUNT's candidates, as the scan of a partitioned run
            // finds them: accounts `paid` payouts of two persons went into.
            let account = file.account(record);
            if stage == Stage::Payout && record.is_paid() && !account.is_empty() {
                let entry = payees
                    .entry(engine::account_hash(account))
                    .or_insert((record.person, false));
                entry.1 |= entry.0 != record.person;
            }
        }
        candidates.extend(
            payees
                .into_iter()
                .filter(|(_, (_, shared))| *shared)
                .map(|(account, _)| account),
        );
    }
    for exclusion in &case.exclusions {
        encode_into(exclusion, &mut payload);
        emit(
            id(exclusion.person),
            ROW_EXCLUSION,
            position_of(exclusion.source),
            &payload,
        );
    }
    for relative in &case.relatives {
        encode_into(relative, &mut payload);
        emit(
            id(relative.person),
            ROW_RELATIVE,
            position_of(relative.source),
            &payload,
        );
    }
    for (person, source) in &case.invalid_id_evidence {
        encode_into(source, &mut payload);
        emit(id(*person), ROW_INVALID_ID, position_of(*source), &payload);
    }
    for bad in &case.bad_records {
        if bad.source.kind == FileKind::Roster && !bad.id_number.is_empty() {
            emit(
                &bad.id_number,
                ROW_UNREADABLE_ROSTER,
                position_of(bad.source),
                &[],
            );
        }
    }
    let reports = case
        .files
        .iter()
        .filter(|(file, _)| case.inputs.get(*file).kind == kind)
        .map(|(file, report)| Report::of(*file, report))
        .collect();
    // BAD_RECORD and DUPLICATE_RECORD need no other record; a file's
    // INVALID_ID_NUMBER evidence goes with the persons' rows instead, as
    // every file adds to it.
    let findings = engine::record_findings(case, |code| {
        matches!(code, Code::BadRecord | Code::DuplicateRecord)
    });
    FileFacts {
        reports,
        bounds,
        findings,
        candidates,
        sample: Vec::new(),
        sample_stride: 1,
    }
}

// ---------------------------------------------------------------- driver

/// `--from`/`--to` as the CLI reads them.
fn period_flag(flag: &str, value: Option<&str>) -> Result<Option<Period>, FatalError> {
    value
        .map(|text| {
            Period::parse(text.trim()).ok_or_else(|| {
                FatalError::BadArgument(format!(
                    "{flag} {:?}: expected a period YYYY-MM (or YYYYMM), e.g. 2020-07",
                    crate::error::excerpt(text)
                ))
            })
        })
        .transpose()
}

/// The run at the driver: facts in, plan out, parts in, files placed.
pub struct Driver {
    folder: CaseFolder,
    out: Option<OutDir>,
    from: Option<Period>,
    to: Option<Period>,
    policy: Policy,
    /// The error that stops the run: the first piece's in
    /// [`FileKind::ALL`] order, then file order, as the CLI's reader
    /// reports it.
    error: Option<((FileKind, u16, u64), String)>,
    /// The text files surveyed for cutting into ranges.
    surveys: Vec<pieces::Survey>,
    /// The stage kinds read in pieces ([`Driver::pieces`]).
    piecewise: Vec<FileKind>,
    /// Their repeats (repeat, first occurrence), from the dedupers.
    repeats: Vec<(Source, Source)>,
    reports: Vec<(FileId, FileReport)>,
    bounds: Option<Bounds>,
    findings: Vec<Finding>,
    candidates: FxHashSet<u128>,
    /// The file tasks' samples of keys, each with the rows it stands for.
    samples: Vec<(Box<str>, u64)>,
    /// Every file's SHA-256 as the first reading found it: taken from the
    /// reports when the run is planned (they go to the outputs then).
    digests: Vec<(FileId, Box<str>)>,
    uses: Vec<(Box<str>, AccountUse)>,
    sink: Option<OutputSink>,
    window: Option<PeriodRange>,
    last_id: Option<Box<str>>,
    /// The files as evidence names them, once planned.
    inputs: InputFiles,
    /// `--register`: the earlier register, carried on at the end.
    earlier_register: Option<crate::domain::register::Register>,
    /// `--bom`: the CSV outputs begin with a UTF-8 byte-order mark.
    bom: bool,
}

/// What a finished distributed run reports.
pub struct Finished {
    pub window: PeriodRange,
    pub ledger_lines: usize,
    pub findings: Vec<Finding>,
}

impl Driver {
    /// As the CLI starts a run: the flags checked, OUT_DIR locked and
    /// checked, the case folder listed, policy.toml read. Returns the
    /// driver and the folder's warnings.
    /// `register` and `new_register` are the CLI's `--register` and
    /// `--new-register` (SPEC v3 §6.1): the earlier register is read here,
    /// before any case file, and an edited register.csv in OUT_DIR stops
    /// the run unless one of them is given.
    pub fn open(
        case_dir: &Path,
        out_dir: &Path,
        from: Option<&str>,
        to: Option<&str>,
        register: Option<&Path>,
        new_register: bool,
    ) -> Result<(Driver, Vec<String>), FatalError> {
        let from = period_flag("--from", from)?;
        let to = period_flag("--to", to)?;
        if let (Some(first), Some(last)) = (from, to) {
            if first > last {
                return Err(FatalError::BadArgument(format!(
                    "--from {first} is after --to {last}; the window would be empty"
                )));
            }
        }
        crate::write::refuse_inside_case(case_dir, out_dir, "--out")?;
        let out = OutDir::prepare(out_dir)?;
        let earlier_register = match register {
            Some(path) => Some(crate::read::register::read_register(path)?),
            None => {
                if !new_register {
                    crate::write::register::check_not_edited(out_dir)?;
                }
                None
            }
        };
        let folder = CaseFolder::open(case_dir)?;
        let warnings = folder.warnings();
        let mut driver = Driver {
            folder,
            out: Some(out),
            from,
            to,
            policy: Policy::default(),
            error: None,
            surveys: Vec::new(),
            piecewise: Vec::new(),
            repeats: Vec::new(),
            reports: Vec::new(),
            bounds: None,
            findings: Vec::new(),
            candidates: FxHashSet::default(),
            samples: Vec::new(),
            digests: Vec::new(),
            uses: Vec::new(),
            sink: None,
            window: None,
            last_id: None,
            inputs: InputFiles::default(),
            earlier_register,
            bom: false,
        };
        match crate::read::read_files_in(
            &driver.folder,
            &[FileKind::Policy],
            &ReadOptions::default(),
        ) {
            Ok(case) => {
                driver.policy = case.policy;
                driver.reports.extend(case.files);
            }
            Err(error) => driver.note_error((FileKind::Policy, 0, 0), error.to_string()),
        }
        Ok((driver, warnings))
    }

    /// The CLI's `--bom`: the CSV outputs begin with a UTF-8 byte-order
    /// mark. Given before [`Driver::plan`], which starts the outputs.
    pub fn set_bom(&mut self, bom: bool) {
        assert!(self.sink.is_none(), "the outputs are not started yet");
        self.bom = bom;
    }

    fn note_error(&mut self, order: (FileKind, u16, u64), message: String) {
        if self.error.as_ref().is_none_or(|(first, _)| order < *first) {
            self.error = Some((order, message));
        }
    }

    /// The text files of the stage kinds larger than `split_bytes`, by
    /// number: each is surveyed by a task ([`survey`] →
    /// [`Driver::add_survey`]) before [`Driver::pieces`].
    pub fn to_survey(&self, split_bytes: u64) -> Vec<u16> {
        let stages: Vec<FileKind> = Stage::ALL.iter().map(|stage| stage.file_kind()).collect();
        self.folder
            .files()
            .iter()
            .enumerate()
            .filter(|(_, file)| stages.contains(&file.kind) && !file.format.is_spreadsheet())
            .map(|(index, _)| FileId(index as u16))
            .filter(|id| self.folder.size_bytes(*id) > split_bytes)
            .map(|id| id.0)
            .collect()
    }

    /// Adds a survey ([`survey`]).
    pub fn add_survey(&mut self, survey: &[u8]) -> Result<(), String> {
        let survey: pieces::Survey = decode(survey)?;
        if survey.file.index() >= self.folder.files().len() {
            return Err(malformed());
        }
        self.surveys.push(survey);
        Ok(())
    }

    /// What the reading tasks read, one piece each: a stage kind given as
    /// several files, or with a file the survey cut into ranges, one piece
    /// per file or range ([`Piece::File`]); every other kind whole
    /// ([`Piece::Kind`]). [`Driver::needs_dedupe`] tells whether any kind
    /// is read in pieces.
    pub fn pieces(&mut self) -> Vec<Vec<u8>> {
        let mut pieces = Vec::new();
        self.piecewise.clear();
        for kind in FILE_TASKS {
            let files: Vec<FileId> = self.folder.files_of(kind).map(|(id, _)| id).collect();
            let cut = |id: FileId| {
                self.surveys
                    .iter()
                    .find(|survey| survey.file == id)
                    .filter(|survey| !survey.ranges.is_empty())
            };
            let piecewise = pieces::stage_of(kind).is_some()
                && (files.len() > 1 || files.iter().any(|id| cut(*id).is_some()));
            if !piecewise {
                pieces.push(Piece::Kind(kind).encode());
                continue;
            }
            self.piecewise.push(kind);
            for file in files {
                match cut(file) {
                    Some(survey) => pieces.extend(survey.ranges.iter().map(|range| {
                        Piece::File {
                            kind,
                            file,
                            range: Some(range.clone()),
                        }
                        .encode()
                    })),
                    None => pieces.push(
                        Piece::File {
                            kind,
                            file,
                            range: None,
                        }
                        .encode(),
                    ),
                }
            }
        }
        pieces
    }

    /// Some kind is read in pieces: the first reading's key rows go to
    /// dedupers ([`Deduper`] → [`Driver::add_deduped`]).
    pub fn needs_dedupe(&self) -> bool {
        !self.piecewise.is_empty()
    }

    /// Each extreme with the record that set it: ties go to the first in
    /// file order, whatever order tasks report in.
    fn merge_bounds(&mut self, bounds: Option<Bounds>) {
        if let Some(bounds) = bounds {
            self.bounds = Some(match self.bounds {
                Some(known) => known.merge(bounds),
                None => bounds,
            });
        }
    }

    /// Adds what one deduper found ([`Deduper::finish`]).
    pub fn add_deduped(&mut self, deduped: &[u8]) -> Result<(), String> {
        let deduped: pieces::Deduped = decode(deduped)?;
        self.merge_bounds(deduped.bounds);
        self.repeats.extend(deduped.repeats);
        self.candidates.extend(deduped.candidates);
        Ok(())
    }

    /// Adds one reading task's facts ([`read_piece`]).
    pub fn add_facts(&mut self, facts: &[u8]) -> Result<(), String> {
        let facts: Facts<'_> = decode(facts)?;
        let read = match facts.read {
            Ok(read) => read,
            Err(message) => {
                self.note_error(facts.piece.order(), message);
                return Ok(());
            }
        };
        for report in read.reports {
            let (file, mut report) = report.into_report();
            if let Piece::File {
                range: Some(_),
                file: piece_file,
                ..
            } = &facts.piece
            {
                // A range's report: the counts of its rows; the file's
                // SHA-256 is the survey's.
                if *piece_file != file {
                    return Err(malformed());
                }
                let survey = self.surveys.iter().find(|survey| survey.file == file);
                report.sha256 = survey.ok_or_else(malformed)?.sha256.to_string();
            }
            match self.reports.iter_mut().find(|(known, _)| *known == file) {
                Some((_, known)) => {
                    known.rows += report.rows;
                    known.bad += report.bad;
                    known.duplicate += report.duplicate;
                    known.summary_rows += report.summary_rows;
                    known.id_numbers_upgraded += report.id_numbers_upgraded;
                    known.money_total_fen += report.money_total_fen;
                }
                None => self.reports.push((file, report)),
            }
        }
        let stride = read.sample_stride;
        self.samples.extend(
            read.sample
                .into_iter()
                .map(|key| (Box::from(key.as_ref()), stride)),
        );
        self.merge_bounds(read.bounds);
        self.findings.extend(read.findings);
        self.candidates.extend(read.candidates);
        Ok(())
    }

    /// Once every file's facts are in: the window, the outputs begun, and
    /// the context each worker needs ([`Worker::new`]).
    pub fn plan(&mut self) -> Result<Vec<u8>, FatalError> {
        // A file read in ranges: each range was checked against the limit
        // on one file's money alone; the file's total (its report sums its
        // ranges') is checked here, as the CLI checks it once the whole
        // file is read — after any error of its rows, hence last in the
        // file's order. A file read whole was checked by its task.
        let too_much: Vec<_> = self
            .reports
            .iter()
            .filter_map(|(file, report)| {
                let listed = self.folder.file(*file);
                crate::read::values::check_money_total(listed.name.as_str(), report.money_total_fen)
                    .err()
                    .map(|error| ((listed.kind, file.0, u64::MAX), error.to_string()))
            })
            .collect();
        for (order, message) in too_much {
            self.note_error(order, message);
        }
        if let Some((_, message)) = self.error.take() {
            return Err(FatalError::Distributed(message));
        }
        self.reports.sort_by_key(|(file, _)| *file);
        // The kinds read in pieces: each file's repeats, as the deduper
        // found them across the pieces.
        self.repeats.sort_unstable();
        for (repeat, _) in &self.repeats {
            let report = self
                .reports
                .iter_mut()
                .find(|(file, _)| *file == repeat.file)
                .ok_or_else(|| FatalError::Distributed(malformed()))?;
            report.1.duplicate += 1;
        }
        self.digests = self
            .reports
            .iter()
            .map(|(file, report)| (*file, Box::from(report.sha256.as_str())))
            .collect();
        // The files as evidence names them: a workbook read from several
        // sheets names the sheet.
        let mut inputs = self.folder.input_files();
        for (file, report) in &self.reports {
            if report.sheets.len() > 1 {
                let last = report
                    .sheets
                    .iter()
                    .map(|sheet| usize::from(sheet.index))
                    .max()
                    .unwrap_or(0);
                let mut names: Vec<Box<str>> = vec![Box::from(""); last + 1];
                for sheet in &report.sheets {
                    names[usize::from(sheet.index)] = sheet.name.clone();
                }
                inputs.set_sheet_names(*file, names);
            }
        }
        let window = engine::window_from_bounds(self.bounds, self.from, self.to, &inputs)?;
        let given = |kind: FileKind| self.folder.has(kind);
        let given = [given(FileKind::Allocations), given(FileKind::Transfers)];
        // Every worker reads these two kinds again: it checks they are the same.
        let seen: Vec<(FileId, String)> = self
            .reports
            .iter()
            .filter(|(file, _)| REREAD.contains(&inputs.get(*file).kind))
            .map(|(file, report)| (*file, report.sha256.clone()))
            .collect();
        let header = Case {
            policy: self.policy.clone(),
            files: std::mem::take(&mut self.reports),
            unused_files: self.folder.unused_files().to_vec(),
            inputs: inputs.clone(),
            regions: self.folder.regions().clone(),
            settings_files: self.folder.settings_files().to_vec(),
            ..Case::default()
        };
        // The outputs begin as a run's with no person: the parts follow.
        let nothing = Reconciliation::empty(window, [given[0], given[1], true]);
        let out = self.out.take().expect("a run is planned once");
        let mut sink = OutputSink::create(
            out,
            &header,
            &nothing,
            None,
            self.earlier_register.take(),
            self.bom,
        )?;
        sink.add(&header, &nothing)?;
        self.sink = Some(sink);
        self.window = Some(window);
        let mut candidates: Vec<u128> = self.candidates.iter().copied().collect();
        candidates.sort_unstable();
        let seen: Vec<(FileId, &str)> = seen
            .iter()
            .map(|(file, sha256)| (*file, sha256.as_str()))
            .collect();
        let sheet_names: Vec<(FileId, Vec<&str>)> = inputs
            .iter()
            .filter(|(_, file)| !file.sheet_names.is_empty())
            .map(|(id, file)| (id, file.sheet_names.iter().map(AsRef::as_ref).collect()))
            .collect();
        let plan = encode(&Plan {
            window,
            given,
            seen,
            sheet_names,
            candidates,
        });
        self.inputs = inputs;
        Ok(plan)
    }

    /// How the second reading of the files lays out its rows
    /// ([`read_file`]): `buckets` holds, for each partition of persons in
    /// order, the bucket value the shuffle sends to it. The ranges are cut
    /// at the weighted quantiles of the file tasks' samples of keys, as
    /// Spark's range partitioning cuts at those of its own sample, so the
    /// partitions hold about as many rows each; a person's rows all fall
    /// in one range. Fewer ranges than buckets when the sample has fewer
    /// distinct keys (the last partitions stay empty).
    pub fn layout(&self, buckets: &[i32]) -> Vec<u8> {
        assert!(!buckets.is_empty(), "at least one partition");
        assert!(self.sink.is_some(), "laid out once the run is planned");
        let mut samples: Vec<(&str, u64)> = self
            .samples
            .iter()
            .map(|(key, weight)| (key.as_ref(), *weight))
            .collect();
        samples.sort_unstable();
        let total: u64 = samples.iter().map(|(_, weight)| weight).sum();
        let ranges = buckets.len() as u64;
        let mut boundaries: Vec<Box<str>> = Vec::with_capacity(buckets.len() - 1);
        let mut so_far = 0u64;
        let mut next = 1u64;
        for (key, weight) in samples {
            // The range `next` begins at the first key past its share.
            while next < ranges && so_far >= total * next / ranges {
                if boundaries.last().is_none_or(|last| last.as_ref() < key) {
                    boundaries.push(Box::from(key));
                }
                next += 1;
            }
            so_far += weight;
        }
        assert!(boundaries.len() < buckets.len());
        assert!(boundaries.windows(2).all(|pair| pair[0] < pair[1]));
        encode(&Layout {
            buckets: buckets[..boundaries.len() + 1].to_vec(),
            boundaries,
            seen: self.digests.clone(),
            repeats: self.repeats.clone(),
            sheet_names: self
                .inputs
                .iter()
                .filter(|(_, file)| !file.sheet_names.is_empty())
                .map(|(id, file)| (id, file.sheet_names.clone()))
                .collect(),
            repeat_map: FxHashMap::default(),
        })
    }

    /// Adds the next part of the run ([`Worker::reconcile`]); parts come
    /// in id_number order.
    pub fn add_part(&mut self, part: &[u8]) -> Result<(), FatalError> {
        let problem = |message: String| FatalError::Distributed(message);
        let part: Part<'_> = decode(part).map_err(problem)?;
        if let (Some(first), Some(before)) = (&part.first, &self.last_id) {
            if first.as_ref() <= before.as_ref() {
                return Err(problem(format!(
                    "parts came out of id_number order ({first:?} after {before:?}): partition the rows by range of id_number"
                )));
            }
        }
        if let Some(last) = part.last {
            self.last_id = Some(last.into());
        }
        self.findings.extend(part.findings.into_owned());
        self.uses.extend(part.account_uses.into_owned());
        self.sink
            .as_mut()
            .expect("parts come after the plan")
            .add_rendered(&part.rendered)
    }

    /// Judges SHARED_ACCOUNT from every part's account uses (the function
    /// a partitioned run uses), writes findings.csv, summary.csv and
    /// run.json and places all four files.
    pub fn finish(mut self) -> Result<Finished, FatalError> {
        let mut findings = std::mem::take(&mut self.findings);
        findings.extend(engine::shared_account_findings_from_uses(
            engine::group_account_uses(std::mem::take(&mut self.uses)),
            &self.inputs,
        ));
        // The household rules over the roster, members, exclusions and
        // leads, read whole here: a household's members are other persons.
        if self.folder.has(FileKind::Members) || self.folder.has(FileKind::Watchlist) {
            let case = crate::read::read_files_in(
                &self.folder,
                &engine::HOUSEHOLD_KINDS,
                &ReadOptions::default(),
            )?;
            findings.extend(engine::household_findings(
                &case,
                self.window.expect("planned"),
            ));
        }
        let sink = self
            .sink
            .take()
            .expect("a run is planned before it finishes");
        let ledger_lines = sink.ledger_lines();
        let findings = sink.finish(findings)?;
        Ok(Finished {
            window: self.window.expect("planned"),
            ledger_lines,
            findings,
        })
    }
}

impl Finished {
    /// The most severe finding's severity (`--fail-on`); `None`: no finding.
    pub fn highest_severity(&self) -> Option<crate::domain::Severity> {
        self.findings
            .iter()
            .map(|finding| finding.code.severity())
            .max()
    }

    /// One line for the terminal: window, lines, findings by severity.
    pub fn describe(&self) -> String {
        crate::domain::run_headline(self.window, self.ledger_lines, &self.findings)
    }
}

// ---------------------------------------------------------------- worker

/// What every worker task knows of the whole case.
pub struct Worker {
    standards: Vec<StandardRow>,
    policy: Policy,
    inputs: InputFiles,
    window: PeriodRange,
    given: [bool; 2],
    candidates: FxHashSet<u128>,
}

/// One person row borrowed from the task's input.
#[derive(Clone, Copy)]
pub struct Row<'r> {
    pub id_number: &'r str,
    pub kind: u8,
    /// The row's place in its kind's files ([`position_of`]).
    pub position: u64,
    pub payload: &'r [u8],
}

impl Worker {
    /// Reads the standards and policy.toml of `case_dir` (every part needs
    /// them) and takes the driver's plan ([`Driver::plan`]).
    pub fn new(case_dir: &Path, plan: &[u8]) -> Result<Worker, String> {
        let folder = CaseFolder::open(case_dir).map_err(|error| error.to_string())?;
        let case = crate::read::read_files_in(&folder, &REREAD, &ReadOptions::default())
            .map_err(|error| error.to_string())?;
        let plan: Plan<'_> = decode(plan)?;
        let now: Vec<(FileId, &str)> = case
            .files
            .iter()
            .filter(|(file, _)| REREAD.contains(&case.inputs.get(*file).kind))
            .map(|(file, report)| (*file, report.sha256.as_str()))
            .collect();
        same_files(&folder, &plan.seen, &now).map_err(|error| error.to_string())?;
        let mut inputs = folder.input_files();
        for (file, names) in &plan.sheet_names {
            if file.index() >= inputs.len() {
                return Err(malformed());
            }
            inputs.set_sheet_names(*file, names.iter().map(|name| Box::from(*name)).collect());
        }
        let (window, given) = (plan.window, plan.given);
        let candidates: FxHashSet<u128> = plan.candidates.into_iter().collect();
        Ok(Worker {
            standards: case.standards,
            policy: case.policy,
            inputs,
            window,
            given,
            candidates,
        })
    }

    /// Reconciles the persons of `rows` — every row of each of them —
    /// and returns the part for [`Driver::add_part`].
    pub fn reconcile(&self, rows: &[Row<'_>]) -> Result<Vec<u8>, String> {
        let mut order: Vec<u32> = (0..rows.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| {
            let (a, b) = (&rows[a as usize], &rows[b as usize]);
            (a.id_number, a.kind, a.position).cmp(&(b.id_number, b.kind, b.position))
        });
        let mut ids: Vec<Box<str>> = Vec::new();
        let mut enrolments = Vec::new();
        let mut stages: [StageBuilder; 3] = Default::default();
        let mut exclusions = Vec::new();
        let mut relatives = Vec::new();
        let mut invalid_id_evidence = Vec::new();
        let mut unreadable_roster = Vec::new();
        let mut passed_on: Vec<Finding> = Vec::new();
        // Stage rows wait, to be pushed in the order of their files: a
        // kind given as several files (payouts/2024-01.csv, …) has each
        // person's rows in every file, and a stage file's chunks must come
        // in file order (StageFile::from_chunks).
        let mut stage_rows: Vec<(u64, u32, PersonId)> = Vec::new();
        for &index in &order {
            let row = rows[index as usize];
            if row.kind == ROW_FINDING {
                passed_on.push(decode(row.payload)?);
                continue;
            }
            if ids.last().is_none_or(|last| last.as_ref() != row.id_number) {
                ids.push(row.id_number.into());
            }
            let person = PersonId(ids.len() as u32 - 1);
            match row.kind {
                ROW_ENROLMENT => {
                    let mut enrolment: Enrolment = decode(row.payload)?;
                    enrolment.person = person;
                    enrolment.source = source_at(FileKind::Roster, row.position);
                    enrolments.push(enrolment);
                }
                1..=3 => stage_rows.push((row.position, index, person)),
                ROW_EXCLUSION => {
                    let mut exclusion: Exclusion = decode(row.payload)?;
                    exclusion.person = person;
                    exclusion.source = source_at(FileKind::Exclusions, row.position);
                    exclusions.push(exclusion);
                }
                ROW_RELATIVE => {
                    let mut relative: Relative = decode(row.payload)?;
                    relative.person = person;
                    relative.source = source_at(FileKind::Relatives, row.position);
                    relatives.push(relative);
                }
                ROW_INVALID_ID => invalid_id_evidence.push((person, decode(row.payload)?)),
                ROW_UNREADABLE_ROSTER => {
                    unreadable_roster.push((person, source_at(FileKind::Roster, row.position)));
                }
                _ => return Err(malformed()),
            }
        }
        stage_rows.sort_unstable_by_key(|&(position, index, _)| (position, index));
        for (position, index, person) in stage_rows {
            let row = rows[index as usize];
            let stage_row: StageRow<'_> = decode(row.payload)?;
            let stage = Stage::ALL[usize::from(row.kind - 1)];
            let source = source_at(stage.file_kind(), position);
            stages[usize::from(row.kind - 1)].push(&stage_row, source, person)?;
        }
        let [allocations, transfers, payouts] = stages;
        let case = Case {
            people: People { id_numbers: ids },
            enrolments,
            standards: self.standards.clone(),
            payouts: payouts.finish(FileKind::Payouts)?,
            allocations: if self.given[0] {
                Some(allocations.finish(FileKind::Allocations)?)
            } else {
                None
            },
            transfers: if self.given[1] {
                Some(transfers.finish(FileKind::Transfers)?)
            } else {
                None
            },
            exclusions,
            relatives,
            policy: self.policy.clone(),
            invalid_id_evidence,
            unreadable_roster,
            inputs: self.inputs.clone(),
            ..Case::default()
        };
        let reconciliation = engine::reconcile_with(
            &case,
            self.window,
            SharedAccounts::Collect(&self.candidates),
        );
        let rendered = RenderedPart::render(&case, &reconciliation);
        let findings: Cow<'_, [Finding]> = if passed_on.is_empty() {
            Cow::Borrowed(&reconciliation.findings)
        } else {
            passed_on.extend(reconciliation.findings.iter().cloned());
            Cow::Owned(passed_on)
        };
        Ok(encode(&Part {
            first: case
                .people
                .id_numbers
                .first()
                .map(|id| Cow::Borrowed(id.as_ref())),
            last: case
                .people
                .id_numbers
                .last()
                .map(|id| Cow::Borrowed(id.as_ref())),
            rendered: Cow::Borrowed(&rendered),
            findings,
            account_uses: Cow::Borrowed(&reconciliation.account_uses),
        }))
    }
}

/// Builds a stage file's chunks as rows arrive, in order.
#[derive(Default)]
struct StageBuilder {
    chunks: Vec<StageChunk>,
}

impl StageBuilder {
    fn push(&mut self, row: &StageRow<'_>, source: Source, person: PersonId) -> Result<(), String> {
        let line = source.line;
        // A chunk per file and sheet, as reading makes them.
        let full = self.chunks.last().is_none_or(|chunk| {
            chunk.records.len() >= crate::case::MAX_CHUNK_RECORDS
                || (chunk.file, chunk.sheet) != (source.file, source.sheet)
        });
        if full {
            let number = u16::try_from(self.chunks.len()).map_err(|_| malformed())?;
            self.chunks.push(StageChunk {
                file: source.file,
                sheet: source.sheet,
                records: Vec::new(),
                text: TextArena::with_capacity(number, 0),
                id_hashes: Vec::new(),
            });
        }
        let chunk = self.chunks.last_mut().expect("a chunk was made");
        // Only payouts have a payee; a payout without name or account
        // reads the same either way (both empty).
        let payee =
            (!row.name.is_empty() || !row.account.is_empty()).then_some((row.name, row.account));
        let mut record = StageRecord::new(
            row.program,
            row.status,
            row.periods,
            row.amount,
            row.date,
            line,
        );
        record.person = person;
        record.texts = chunk
            .text
            .push(row.record_id, payee)
            .ok_or_else(malformed)?;
        chunk.records.push(record);
        Ok(())
    }

    fn finish(self, kind: FileKind) -> Result<StageFile, String> {
        StageFile::from_chunks(kind, self.chunks).ok_or_else(malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::LocalRules;
    use crate::domain::{CareLevel, LineFigures, Source};

    fn period(text: &str) -> Period {
        Period::parse(text).expect("a period")
    }

    /// A person row's payload carries every field of the record but its
    /// person and line, which travel beside it; the worker sets them.
    #[test]
    fn an_enrolment_row_comes_back_as_it_was_read() {
        let enrolment = Enrolment {
            source: Source::new(FileKind::Roster, 14),
            person: PersonId(3),
            enrolment_id: "D14".into(),
            name: "张三".into(),
            household_id: "H7".into(),
            region: "110101001".into(),
            program: Program::Tekun,
            household_size: 3,
            per_capita_income: Money::from_fen(12_345),
            deductions: Money::from_fen(-5),
            care_level: Some(CareLevel::Semi),
            centralized: true,
            approved_amount: Money::ZERO,
            start: period("2020-01"),
            end: Some(period("2021-06")),
            phase_out_from: Some(period("2021-01")),
            last_covered: Some(period("2021-03")),
            account: "6222000011112222".into(),
            local_rules: Some(Box::new(LocalRules {
                tier: Some("b".into()),
                members: vec![vec!["elderly70".into(), "disabled".into()], Vec::new()],
            })),
        };
        let mut payload = Vec::new();
        encode_into(&enrolment, &mut payload);
        let back: Enrolment = decode(&payload).expect("a well-formed row");
        assert_eq!(
            (back.person, back.source),
            (PersonId(0), Source::default()),
            "not carried"
        );
        assert_eq!(
            format!("{back:?}"),
            format!(
                "{:?}",
                Enrolment {
                    person: PersonId(0),
                    source: Source::default(),
                    ..enrolment
                }
            )
        );
        // A payload used again for a shorter row holds only that row.
        let exclusion = Exclusion {
            person: PersonId(1),
            source: Source::new(FileKind::Exclusions, 2),
            reason: "死亡".into(),
            from: period("2020-03"),
        };
        encode_into(&exclusion, &mut payload);
        let back: Exclusion = decode(&payload).expect("a well-formed row");
        assert_eq!((&*back.reason, back.from), ("死亡", period("2020-03")));
    }

    /// The messages between the tasks: what goes in comes out, and bytes
    /// cut short, or with bytes after the message, are an error naming the
    /// problem — never a panic, never a message read from part of them.
    #[test]
    fn a_malformed_message_is_an_error_not_a_panic() {
        let mut finding = Finding::new(Code::Shortfall, "110101198001010010");
        finding.program = Some(Program::Dibao);
        finding.period = PeriodRange::parse("2020-01..2020-03").ok();
        finding.amount = Some(Money::from_fen(5_000));
        finding.figures = Some(LineFigures {
            expected: Some(Money::from_fen(50_000)),
            allocated: None,
            transferred: Some(Money::from_fen(45_000)),
            paid: Money::from_fen(45_000),
        });
        finding.stage = Some(Stage::Transfer);
        finding.cause = Some(crate::domain::Cause::StandardRaiseNotApplied);
        finding.detail = crate::domain::Detail::Reader("expected 500.00, paid 450.00".into());
        finding.sources = "payouts.xlsx:7;roster.csv:2".into();
        let source = Source::new(FileKind::Payouts, 7);
        let facts = Facts {
            piece: Piece::Kind(FileKind::Payouts),
            read: Ok(FileFacts {
                reports: Vec::new(),
                bounds: Some(Bounds::of(PeriodRange::single(period("2020-01")), source)),
                findings: vec![finding.clone()],
                candidates: vec![u128::MAX, 7],
                sample: vec![Cow::Borrowed("110101199001011237")],
                sample_stride: 2,
            }),
        };
        let bytes = encode(&facts);
        let back: Facts<'_> = decode(&bytes).expect("well formed");
        let read = back.read.expect("facts, not an error");
        assert_eq!(read.findings, [finding]);
        assert_eq!(read.candidates, [u128::MAX, 7]);
        assert_eq!(
            (read.sample, read.sample_stride),
            (vec![Cow::Borrowed("110101199001011237")], 2)
        );
        assert_eq!(read.bounds.map(|bounds| bounds.first_set_by), Some(source));
        for cut in 0..bytes.len() {
            assert_eq!(decode::<Facts<'_>>(&bytes[..cut]).err(), Some(malformed()));
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode::<Facts<'_>>(&longer).err(), Some(malformed()));
        let row = StageRow {
            program: Program::PriceSubsidy,
            status: Status::Returned,
            periods: PeriodRange::single(period("2020-02")),
            amount: Money::from_fen(1),
            date: Date::parse("2020-02-29"),
            record_id: "P9",
            name: "",
            account: "",
        };
        let bytes = encode(&row);
        let back: StageRow<'_> = decode(&bytes).expect("well formed");
        assert_eq!(
            (back.record_id, back.date),
            ("P9", Date::parse("2020-02-29"))
        );
        assert!(decode::<StageRow<'_>>(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn a_key_sample_keeps_evenly_spaced_keys_and_never_more_than_twice_its_size() {
        let mut sample = KeySample::default();
        let rows = 5 * SAMPLE_KEYS as u64 + 123;
        for row in 0..rows {
            sample.add(&format!("{row:08}"));
        }
        assert_eq!(sample.rows, rows);
        assert_eq!(sample.stride, 4);
        assert!(sample.keys.len() >= SAMPLE_KEYS && sample.keys.len() < 2 * SAMPLE_KEYS);
        for (index, key) in sample.keys.iter().enumerate() {
            assert_eq!(*key, format!("{:08}", index as u64 * sample.stride));
        }
        let mut small = KeySample::default();
        small.add("only");
        assert_eq!((small.keys, small.stride), (vec!["only".to_string()], 1));
    }
}

//! The input edge: a case folder's bytes → a typed [`Case`] plus the
//! BAD_RECORD, DUPLICATE_RECORD and INVALID_ID_NUMBER evidence found while
//! reading. Nothing downstream parses text.

pub mod columns;
pub mod folder;
pub mod people;
pub mod policy;
pub mod records;
pub mod registers;
pub mod roster;
pub mod scan;
pub mod workbook;
/// The workbook reader under its former name (tests and tools use it).
pub use workbook as sheet;
pub mod stages;
pub mod standards;
pub mod table;
pub mod text;

use std::path::Path;

use rayon::prelude::*;

use crate::case::{Case, DuplicateRecord, FileReport, PersonId};
use crate::domain::{id_number, Date, FileKind, Money, Period, PeriodRange, Stage, Unit};
use crate::error::{FatalError, Location};
pub use folder::{CaseFolder, Fingerprint};
use people::LocalPeople;
use table::{BadRecord, LoadedFile, Problems, Row};
use workbook::CellKind;

const ID_NUMBER_ALIASES: &[&str] = &[
    "身份证号",
    "身份证号码",
    "公民身份号码",
    "公民身份证号",
    "公民身份证号码",
    "身份证",
    "证件号码",
    "证件号",
    "身份号码",
];
const ACCOUNT_ALIASES: &[&str] = &[
    "账号",
    "银行账号",
    "卡号",
    "银行卡号",
    "账户",
    "银行账户",
    "收款账号",
    "存折号",
    "一卡通账号",
    "社保卡号",
];
const NAME_ALIASES: &[&str] = &[
    "姓名",
    "户名",
    "客户姓名",
    "收款人",
    "收款人姓名",
    "户主姓名",
];
const REGION_ALIASES: &[&str] = &[
    "区划代码",
    "行政区划代码",
    "属地",
    "所属区划",
    "区划",
    "行政区划",
];
const PROGRAM_ALIASES: &[&str] = &[
    "项目",
    "救助类别",
    "救助项目",
    "保障类别",
    "救助类型",
    "发放项目",
    "资金类别",
    "类别",
];
const PERIOD_ALIASES: &[&str] = &[
    "所属期",
    "所属月份",
    "所属年月",
    "发放年月",
    "发放月份",
    "发放期间",
    "所属期间",
    "补发期间",
];
const AMOUNT_ALIASES: &[&str] = &[
    "金额",
    "发放金额",
    "交易金额",
    "实发金额",
    "发放合计",
    "合计金额",
    "拨付金额",
    "划拨金额",
    "指标金额",
];

/// Every column of `kind`'s file: its SPEC name and whether it is money
/// (columns.toml names these).
pub(crate) fn columns_of(kind: FileKind) -> Vec<(&'static str, bool)> {
    let names = |columns: &[table::Column]| -> Vec<(&'static str, bool)> {
        columns
            .iter()
            .filter(|column| !column.name.starts_with('\u{0}'))
            .map(|column| (column.name, column.money))
            .collect()
    };
    match kind {
        FileKind::Roster => names(&roster::COLUMNS),
        FileKind::Standards => names(&standards::COLUMNS),
        FileKind::Payouts => names(&stages::columns(Stage::Payout)),
        FileKind::Allocations => names(&stages::columns(Stage::Allocation)),
        FileKind::Transfers => names(&stages::columns(Stage::Transfer)),
        FileKind::Exclusions => names(&registers::EXCLUSION_COLUMNS),
        FileKind::Relatives => names(&registers::RELATIVE_COLUMNS),
        FileKind::Policy => Vec::new(),
    }
}

/// What reading one file produced besides its records.
pub struct FileOutcome<T> {
    pub kind: FileKind,
    pub people: LocalPeople,
    /// (local person, line) of rows whose id_number fails the check.
    pub evidence: Vec<(u32, u32)>,
    pub bad: Vec<BadRecord>,
    /// `person` holds the local number until [`read_case`] remaps it.
    pub duplicates: Vec<DuplicateRecord>,
    pub report: FileReport,
    pub records: T,
}

impl FileOutcome<()> {
    fn new(file: &LoadedFile) -> FileOutcome<()> {
        FileOutcome {
            kind: file.kind,
            people: LocalPeople::default(),
            evidence: Vec::new(),
            bad: Vec::new(),
            duplicates: Vec::new(),
            report: FileReport {
                encoding: file.encoding,
                delimiter: file.delimiter_name(),
                ..FileReport::default()
            },
            records: (),
        }
    }

    /// Makes a row that cannot be read as text — a quote never closed,
    /// bytes that are not UTF-8, a control character, a cell too long, more
    /// or fewer fields than the header (SPEC §2) — a BAD_RECORD; true when
    /// it did, and the row is to be left out.
    fn reject_unreadable(&mut self, row: &Row<'_>, id_column: Option<usize>) -> bool {
        let Some(fault) = row.fault() else {
            return false;
        };
        self.bad
            .push(BadRecord::new(row, self.kind, id_column, fault.to_owned()));
        true
    }

    fn note_id(&mut self, local: u32, valid: bool, line: u32) {
        if !valid {
            self.evidence.push((local, line));
        }
    }

    fn finish_counts(&mut self) {
        self.report.bad = self.bad.len() as u64;
        self.report.duplicate = self.duplicates.len() as u64;
        self.report.id_numbers_upgraded = self.people.upgraded;
    }

    /// Copies where the header was found (a workbook's sheet and row; the
    /// columns, for `duizhang check`) into the report.
    fn note_header(&mut self, file: &LoadedFile) {
        if let Some(found) = file.header_found.get() {
            if file.workbook.is_some() {
                self.report.sheet = found.sheet.clone();
                self.report.header_row = u32::try_from(found.line).ok();
            }
            self.report.columns = found.columns.clone();
        }
    }

    fn with<T>(self, records: T) -> FileOutcome<T> {
        FileOutcome {
            kind: self.kind,
            people: self.people,
            evidence: self.evidence,
            bad: self.bad,
            duplicates: self.duplicates,
            report: self.report,
            records,
        }
    }
}

/// Most money one file may add up to: 100 trillion yuan (10^16 fen), some
/// thousand times a year of a country's social assistance. A single cell
/// is capped (`Money::parse`), but a file of millions of capped cells
/// could pass what 64-bit fen hold when one line adds them up; a file over
/// this is a typing or export slip, and the run stops rather than round or
/// wrap. Any sum of one file's amounts then fits an `i64` many times over.
pub const MAX_FILE_TOTAL_FEN: i128 = 10_000_000_000_000_000;

/// Stops the run when one file's amounts (stage amounts; the roster's
/// approved temp amounts) add up to more than [`MAX_FILE_TOTAL_FEN`].
pub(crate) fn check_money_total(kind: FileKind, total_fen: i128) -> Result<(), FatalError> {
    if total_fen <= MAX_FILE_TOTAL_FEN {
        return Ok(());
    }
    Err(FatalError::TooMuchMoney {
        location: crate::error::Location::file(kind.file_name()),
        total: crate::domain::money::format_fen_total(total_fen),
        limit: crate::domain::money::format_fen_total(MAX_FILE_TOTAL_FEN),
    })
}

/// Wanted column `column`'s money cell, in the column's unit.
#[inline]
fn money_at(
    row: &Row<'_>,
    column: usize,
    name: &str,
    value: &str,
    positive: bool,
    problems: &mut Problems,
) -> Money {
    money_cell_in(
        name,
        value,
        row.unit(column),
        row.kind(column),
        positive,
        problems,
    )
}

/// A money cell in `unit`; a spreadsheet's number arrives as its shortest
/// decimal, so more than two decimals (a sum that is not exact) is refused
/// like typed text.
fn money_cell_in(
    column: &str,
    value: &str,
    unit: Unit,
    kind: CellKind,
    positive: bool,
    problems: &mut Problems,
) -> Money {
    if kind == CellKind::Date {
        problems.add(
            column,
            Some(value),
            "the cell is a date; expected an amount",
        );
        return Money::ZERO;
    }
    match Money::parse_in(value, unit) {
        Ok(amount) if positive && !amount.is_positive() => {
            problems.add(column, Some(value), "expected an amount greater than 0");
            amount
        }
        Ok(amount) => amount,
        Err(error) => {
            problems.add(column, Some(value), error.describe());
            Money::ZERO
        }
    }
}

/// The row's id_number (SPEC §1), required. An ID number a spreadsheet
/// turned into a number — a number cell of other than 15 digits, or text
/// in exponent form (`4.40981E+17`) — has lost its last digits: the row is
/// a BAD_RECORD saying so. An old 15-digit number is upgraded when it is
/// interned ([`id_number::normalise`]).
#[inline]
fn id_cell<'r>(row: &Row<'r>, column: usize, problems: &mut Problems) -> Option<&'r str> {
    let Some(value) = row.cell(column) else {
        problems.missing("id_number");
        return None;
    };
    let converted = match row.kind(column) {
        CellKind::Number => !id_number::is_old_form(value),
        _ => id_number::is_scientific(value),
    };
    if converted {
        problems.add(
            "id_number",
            Some(value),
            "Excel converted this ID number to a number, so its last digits are lost; format the column as text (or re-export it as text) and give the 18 characters again",
        );
        return None;
    }
    Some(value)
}

/// A code kept as text (a record id, an account): a spreadsheet number of
/// 16 digits or more has lost its last digits, as an ID number does.
#[inline]
fn code_cell(row: &Row<'_>, column: usize, name: &str, problems: &mut Problems) {
    // Only a spreadsheet's number cell is looked at: a CSV cell is not
    // read twice.
    if row.kind(column) != CellKind::Number {
        return;
    }
    if let Some(value) = row
        .cell(column)
        .filter(|value| value.bytes().filter(u8::is_ascii_digit).count() > 15)
    {
        problems.add(
            name,
            Some(value),
            "Excel converted this number, so its digits past the 15th are lost; format the column as text (or re-export it as text) and give it again",
        );
    }
}

/// `2020.1` typed into a spreadsheet as a number: was it January (2020.1)
/// or October (2020.10)? The number cannot say.
fn ambiguous_month(kind: CellKind, value: &str) -> bool {
    kind == CellKind::Number
        && value.len() == 6
        && value.as_bytes()[4] == b'.'
        && value.ends_with('1')
        && value[..4].bytes().all(|byte| byte.is_ascii_digit())
}

const AMBIGUOUS_MONTH: &str = "a spreadsheet stored this month as a number, which was typed either as YYYY.1 (January) or YYYY.10 (October); format the column as text and give the month as YYYY-MM";

/// A period cell of any form (docs/formats.md); a date cell is its month.
fn period_value(kind: CellKind, value: &str) -> Result<Period, &'static str> {
    // The contract's forms first, exactly as before office forms existed.
    if kind == CellKind::Text {
        if let Some(period) = Period::parse(value) {
            return Ok(period);
        }
    }
    if kind == CellKind::Date {
        return Date::parse(value)
            .map(Date::period)
            .ok_or("expected a period YYYY-MM (or YYYYMM)");
    }
    if ambiguous_month(kind, value) {
        return Err(AMBIGUOUS_MONTH);
    }
    Period::parse_any(value).ok_or("expected a period YYYY-MM (or YYYYMM)")
}

/// A period or range cell of any form; a date cell is its month.
#[inline]
fn range_value(kind: CellKind, value: &str) -> Result<PeriodRange, &'static str> {
    if kind == CellKind::Text {
        if let Ok(range) = PeriodRange::parse(value) {
            return Ok(range);
        }
    }
    if kind == CellKind::Date || ambiguous_month(kind, value) {
        return period_value(kind, value).map(PeriodRange::single);
    }
    PeriodRange::parse_any(value)
}

/// A date cell of any form; a date-time's time of day is left out.
#[inline]
fn date_value(kind: CellKind, value: &str) -> Option<Date> {
    if kind == CellKind::Date {
        return Date::parse(value);
    }
    Date::parse(value).or_else(|| Date::parse_any(value))
}

/// A cell that must be filled; records the problem when it is not.
fn required_text<'r>(
    row: &Row<'r>,
    column: usize,
    name: &str,
    problems: &mut Problems,
) -> Option<&'r str> {
    let cell = row.cell(column);
    if cell.is_none() {
        problems.missing(name);
    }
    cell
}

fn required_period(
    row: &Row<'_>,
    column: usize,
    name: &str,
    problems: &mut Problems,
) -> Option<Period> {
    match row.cell(column) {
        None => {
            problems.missing(name);
            None
        }
        Some(value) => match period_value(row.kind(column), value) {
            Ok(period) => Some(period),
            Err(expected) => {
                problems.add(name, Some(value), expected);
                None
            }
        },
    }
}

enum Parsed {
    Roster(FileOutcome<Vec<crate::case::Enrolment>>),
    Standards(FileOutcome<Vec<crate::case::StandardRow>>),
    /// One outcome per chunk of the file, in file order.
    Stage(Stage, Vec<FileOutcome<crate::case::StageChunk>>),
    Exclusions(FileOutcome<Vec<crate::case::Exclusion>>),
    Relatives(FileOutcome<Vec<crate::case::Relative>>),
    Policy(crate::case::Policy, FileReport),
    Absent,
}

fn read_one(
    folder: &CaseFolder,
    kind: FileKind,
    options: &ReadOptions,
) -> Result<Parsed, FatalError> {
    if kind == FileKind::Policy {
        return read_policy(folder, options);
    }
    let Some(file) = text::load(folder, kind, options.release_input, options.chunk_bytes)? else {
        options.check_unchanged(folder, kind, None)?;
        return Ok(Parsed::Absent);
    };
    // A partition but the last takes the file's SHA-256 from the scan and
    // checks its size and time of change only: hashing every file again per
    // partition cost a tenth of a partitioned run. The last partition hashes
    // again, so a change that kept the size and the time is still caught
    // before any output is placed.
    let scanned = options
        .partition
        .as_ref()
        .filter(|partition| !partition.hash_inputs)
        .and_then(|partition| partition.scanned(kind));
    let (sha256, parsed) = match scanned {
        Some(seen) => (seen.sha256.clone(), parse_file(&file, kind, options)),
        None => rayon::join(
            || file.sha256(options.release_input),
            || parse_file(&file, kind, options),
        ),
    };
    options.check_unchanged(folder, kind, Some((&file.fingerprint, &sha256)))?;
    still_as_opened(folder, kind, &file.fingerprint)?;
    let mut parsed = parsed?;
    parsed.set_sha256(&sha256);
    Ok(parsed)
}

/// Stops the run when a file read (and hashed) is no longer the size and
/// time of change it had when opened: another program wrote to it while
/// the run read it, so what was read may be neither version. (A file cut
/// short under the memory map ends the run at once instead: main.rs.)
fn still_as_opened(
    folder: &CaseFolder,
    kind: FileKind,
    opened: &Fingerprint,
) -> Result<(), FatalError> {
    let Some(path) = folder.path(kind) else {
        return Ok(());
    };
    let what = match std::fs::metadata(path) {
        Err(_) => "it was removed".to_string(),
        Ok(now) => match change(opened, &Fingerprint::of(&now)) {
            Some(what) => what,
            None => return Ok(()),
        },
    };
    Err(input_changed(folder, kind, what))
}

/// How a file's size or time of last change moved, if it did.
fn change(before: &Fingerprint, now: &Fingerprint) -> Option<String> {
    if before.size != now.size {
        Some(format!(
            "its size went from {} to {} bytes",
            before.size, now.size
        ))
    } else if before.modified != now.modified {
        Some("it was modified".to_string())
    } else {
        None
    }
}

fn input_changed(folder: &CaseFolder, kind: FileKind, what: String) -> FatalError {
    let path = folder
        .path(kind)
        .map_or_else(|| folder.dir().join(kind.file_name()), Path::to_path_buf);
    FatalError::InputChanged {
        location: Location::path(&path),
        what,
    }
}

fn read_policy(folder: &CaseFolder, options: &ReadOptions) -> Result<Parsed, FatalError> {
    let Some(opened) = folder.open_file(FileKind::Policy)? else {
        options.check_unchanged(folder, FileKind::Policy, None)?;
        return Ok(Parsed::Absent);
    };
    let fingerprint = opened.fingerprint.clone();
    let bytes = opened.read_all()?;
    let sha256 = table::sha256_hex(&bytes);
    options.check_unchanged(folder, FileKind::Policy, Some((&fingerprint, &sha256)))?;
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes)).map_err(
        |error| FatalError::Policy {
            location: Location::cell(FileKind::Policy.file_name(), 1, 1),
            message: format!("the file is not UTF-8 text ({error}); re-save it as UTF-8"),
        },
    )?;
    let policy = policy::parse(text)?;
    let report = FileReport {
        rows: 0,
        sha256,
        encoding: "utf-8",
        ..FileReport::default()
    };
    Ok(Parsed::Policy(policy, report))
}

impl Parsed {
    fn set_sha256(&mut self, sha256: &str) {
        let reports: Vec<&mut FileReport> = match self {
            Parsed::Roster(outcome) => vec![&mut outcome.report],
            Parsed::Standards(outcome) => vec![&mut outcome.report],
            Parsed::Stage(_, outcomes) => outcomes
                .iter_mut()
                .map(|outcome| &mut outcome.report)
                .collect(),
            Parsed::Exclusions(outcome) => vec![&mut outcome.report],
            Parsed::Relatives(outcome) => vec![&mut outcome.report],
            Parsed::Policy(_, report) => vec![report],
            Parsed::Absent => Vec::new(),
        };
        for report in reports {
            report.sha256 = sha256.to_string();
        }
    }
}

fn parse_file(
    file: &LoadedFile,
    kind: FileKind,
    options: &ReadOptions,
) -> Result<Parsed, FatalError> {
    Ok(match kind {
        FileKind::Roster => {
            let outcome = roster::read(file, options.partition.as_deref())?;
            options.report(file.bytes().len(), outcome.report.rows);
            Parsed::Roster(outcome)
        }
        FileKind::Standards => Parsed::Standards(standards::read(file)?),
        FileKind::Payouts => {
            Parsed::Stage(Stage::Payout, stages::read(file, Stage::Payout, options)?)
        }
        FileKind::Allocations => Parsed::Stage(
            Stage::Allocation,
            stages::read(file, Stage::Allocation, options)?,
        ),
        FileKind::Transfers => Parsed::Stage(
            Stage::Transfer,
            stages::read(file, Stage::Transfer, options)?,
        ),
        FileKind::Exclusions => Parsed::Exclusions(registers::read_exclusions(
            file,
            options.partition.as_deref(),
        )?),
        FileKind::Relatives => Parsed::Relatives(registers::read_relatives(
            file,
            options.partition.as_deref(),
        )?),
        FileKind::Policy => unreachable!("policy.toml is handled above"),
    })
}

/// Per-outcome bookkeeping split off a [`FileOutcome`] before its records
/// are remapped to global person ids.
struct Bookkeeping {
    kind: FileKind,
    evidence: Vec<(u32, u32)>,
    bad: Vec<BadRecord>,
    duplicates: Vec<DuplicateRecord>,
    report: FileReport,
}

/// Collects outcomes; each gets the index of its local people table.
#[derive(Default)]
struct Collector {
    locals: Vec<LocalPeople>,
    books: Vec<Bookkeeping>,
}

impl Collector {
    fn take<T>(&mut self, outcome: FileOutcome<T>) -> (usize, T) {
        let index = self.locals.len();
        self.locals.push(outcome.people);
        self.books.push(Bookkeeping {
            kind: outcome.kind,
            evidence: outcome.evidence,
            bad: outcome.bad,
            duplicates: outcome.duplicates,
            report: outcome.report,
        });
        (index, outcome.records)
    }
}

/// One partition of a run too large for memory: the persons whose
/// id_number lies in `[low, high)` (an open end where `None`). Rows without
/// an id_number belong to the first partition.
#[derive(Debug, Default)]
pub struct Partition {
    pub low: Option<Box<str>>,
    pub high: Option<Box<str>>,
    /// Repeated record ids found by scanning whole files: (file, line of
    /// the repeat) → line of the first occurrence.
    pub repeats: rustc_hash::FxHashMap<(FileKind, u32), u32>,
    /// Every input file as the scan read it: a partition reads the same.
    pub inputs: std::sync::Arc<Vec<(FileKind, SeenFile)>>,
    /// Hash the files again (the last partition); the others compare size
    /// and time of change with the scan's.
    pub hash_inputs: bool,
}

/// What the first pass of a partitioned run saw of an input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenFile {
    pub fingerprint: Fingerprint,
    pub sha256: String,
}

impl Partition {
    pub fn is_first(&self) -> bool {
        self.low.is_none()
    }

    /// Does this partition own a row whose id_number cell is `cell`?
    pub fn owns(&self, cell: Option<&str>) -> bool {
        let Some(cell) = cell else {
            return self.is_first();
        };
        let id = crate::domain::id_number::normalise(cell);
        self.low.as_deref().is_none_or(|low| low <= id.as_ref())
            && self.high.as_deref().is_none_or(|high| id.as_ref() < high)
    }

    /// What the scan saw of `kind`'s file.
    fn scanned(&self, kind: FileKind) -> Option<&SeenFile> {
        self.inputs
            .iter()
            .find(|(seen_kind, _)| *seen_kind == kind)
            .map(|(_, seen)| seen)
    }

    pub fn first_line_of_repeat(&self, file: FileKind, line: u32) -> Option<u32> {
        self.repeats.get(&(file, line)).copied()
    }

    /// Stops the run when `kind` is not the file the scan read: `now` is
    /// the file as opened and hashed now (`None`: absent), compared for
    /// presence, size, time of last change and SHA-256.
    fn check_unchanged(
        &self,
        folder: &CaseFolder,
        kind: FileKind,
        now: Option<(&Fingerprint, &str)>,
    ) -> Result<(), FatalError> {
        let what = match (self.scanned(kind), now) {
            (None, None) => return Ok(()),
            (Some(_), None) => "it was removed".to_string(),
            (None, Some(_)) => "it was added".to_string(),
            (Some(before), Some((now, sha256))) => {
                match (change(&before.fingerprint, now), before.sha256 != sha256) {
                    (Some(what), _) => what,
                    (None, true) => "its contents are not the same".to_string(),
                    (None, false) => return Ok(()),
                }
            }
        };
        Err(input_changed(folder, kind, what))
    }
}

/// Told (bytes, rows) after each chunk or file is parsed; called from
/// worker threads. The CLI's progress bar listens here.
pub type ReadProgress = std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>;

/// How a case is read; the defaults suit every case.
#[derive(Clone)]
pub struct ReadOptions {
    /// Stage files are parsed in chunks of about this many bytes, in
    /// parallel; text files are checked in pieces of at most this many
    /// (and at most 4 MiB), whose ends the chunks are cut at.
    pub chunk_bytes: usize,
    pub progress: Option<ReadProgress>,
    /// Read only this partition's persons (a run larger than memory).
    pub partition: Option<std::sync::Arc<Partition>>,
    /// Give a stage file's pages back to the kernel as it is parsed.
    pub release_input: bool,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            chunk_bytes: 8 << 20,
            progress: None,
            partition: None,
            release_input: false,
        }
    }
}

impl ReadOptions {
    /// In a partition of a run larger than memory, see
    /// [`Partition::check_unchanged`]; otherwise nothing to check.
    fn check_unchanged(
        &self,
        folder: &CaseFolder,
        kind: FileKind,
        now: Option<(&Fingerprint, &str)>,
    ) -> Result<(), FatalError> {
        match &self.partition {
            Some(partition) => partition.check_unchanged(folder, kind, now),
            None => Ok(()),
        }
    }

    pub(crate) fn report(&self, bytes: usize, rows: u64) {
        if let Some(progress) = &self.progress {
            progress(bytes as u64, rows);
        }
    }
}

/// The size of the case's input files, for progress and throughput.
pub fn input_bytes(folder: &Path) -> u64 {
    CaseFolder::open(folder).map_or(0, |folder| folder.input_bytes())
}

/// Reads every file of the case folder: files in parallel, and each stage
/// file in parallel chunks.
pub fn read_case(folder: &Path) -> Result<Case, FatalError> {
    read_case_with(folder, &ReadOptions::default())
}

pub fn read_case_with(folder: &Path, options: &ReadOptions) -> Result<Case, FatalError> {
    read_case_in(&CaseFolder::open(folder)?, options)
}

/// As [`read_case_with`], the folder already listed.
pub fn read_case_in(folder: &CaseFolder, options: &ReadOptions) -> Result<Case, FatalError> {
    read_files_in(folder, &FileKind::ALL, options)
}

/// As [`read_case_in`], reading only the files of `kinds`: a case holding
/// those files alone, read exactly as a whole run reads them (the Spark
/// runner reads each file in a task of its own). Give
/// [`FileKind::Policy`] with the roster: its coverage depends on it.
pub fn read_files_in(
    folder: &CaseFolder,
    kinds: &[FileKind],
    options: &ReadOptions,
) -> Result<Case, FatalError> {
    // The largest files first, so that the small ones fill the threads at
    // the end instead of one large file's last chunks running alone.
    let mut wanted: Vec<(u64, FileKind)> = FileKind::ALL
        .iter()
        .filter(|kind| kinds.contains(kind))
        .map(|&kind| {
            let size_bytes = folder
                .path(kind)
                .and_then(|path| std::fs::metadata(path).ok())
                .map_or(0, |metadata| metadata.len());
            (size_bytes, kind)
        })
        .collect();
    wanted.sort_by_key(|&(size_bytes, kind)| (std::cmp::Reverse(size_bytes), kind));
    let mut results: Vec<(FileKind, Result<Parsed, FatalError>)> = wanted
        .par_iter()
        .map(|&(_, kind)| (kind, read_one(folder, kind, options)))
        .collect();
    // Back in FileKind::ALL order: the first error named is the same
    // whatever the sizes, and so is everything built below.
    results.sort_by_key(|&(kind, _)| kind);
    let mut parsed = Vec::with_capacity(results.len());
    for (_, result) in results {
        parsed.push(result?);
    }

    let mut case = Case {
        unused_files: folder.unused_files().to_vec(),
        formats: folder.formats(),
        ..Case::default()
    };
    let mut collector = Collector::default();
    let mut roster = None;
    let mut exclusions = None;
    let mut relatives = None;
    let mut stage_chunks: Vec<(Stage, Vec<(usize, crate::case::StageChunk)>)> = Vec::new();
    let mut policy_report = None;
    for item in parsed {
        match item {
            Parsed::Roster(outcome) => roster = Some(collector.take(outcome)),
            Parsed::Standards(mut outcome) => {
                // Every partition needs the standards; only the first one
                // counts their rows and reports their problems.
                if options
                    .partition
                    .as_ref()
                    .is_some_and(|partition| !partition.is_first())
                {
                    outcome.bad.clear();
                    outcome.report.rows = 0;
                    outcome.report.bad = 0;
                }
                case.standards = collector.take(outcome).1;
            }
            Parsed::Stage(stage, outcomes) => {
                let chunks = outcomes
                    .into_iter()
                    .map(|outcome| collector.take(outcome))
                    .collect();
                stage_chunks.push((stage, chunks));
            }
            Parsed::Exclusions(outcome) => exclusions = Some(collector.take(outcome)),
            Parsed::Relatives(outcome) => relatives = Some(collector.take(outcome)),
            Parsed::Policy(policy, report) => {
                case.policy = policy;
                policy_report = Some(report);
            }
            Parsed::Absent => {}
        }
    }

    let (people, maps) = people::merge(collector.locals);
    case.people = people;
    let remap = |map: &[PersonId], local: PersonId| map[local.index()];
    if let Some((index, mut enrolments)) = roster {
        for enrolment in &mut enrolments {
            enrolment.person = remap(&maps[index], enrolment.person);
            // Coverage depends on policy.toml, read beside the roster.
            enrolment.apply_phase_out(case.policy.phase_out_months);
        }
        case.enrolments = enrolments;
    }
    if let Some((index, mut rows)) = exclusions {
        for exclusion in &mut rows {
            exclusion.person = remap(&maps[index], exclusion.person);
        }
        case.exclusions = rows;
    }
    if let Some((index, mut rows)) = relatives {
        for relative in &mut rows {
            relative.person = remap(&maps[index], relative.person);
        }
        case.relatives = rows;
    }
    // Remap, join and deduplicate the stage files, each on its own thread.
    let joined: Vec<(Stage, crate::case::StageFile, Vec<DuplicateRecord>)> = stage_chunks
        .into_par_iter()
        .map(|(stage, chunks)| {
            let chunks: Vec<crate::case::StageChunk> = chunks
                .into_par_iter()
                .map(|(index, mut chunk)| {
                    let map = &maps[index];
                    for record in &mut chunk.records {
                        record.person = remap(map, record.person);
                    }
                    chunk
                })
                .collect();
            let mut file = crate::case::StageFile::from_chunks(chunks)
                .expect("chunks are numbered in order and sized to fit");
            let duplicates = stages::deduplicate(&mut file, stage.file_kind());
            Ok((stage, file, duplicates))
        })
        .collect::<Result<_, FatalError>>()?;
    let mut stage_duplicates: Vec<(FileKind, Vec<DuplicateRecord>)> = Vec::new();
    for (stage, file, duplicates) in joined {
        stage_duplicates.push((stage.file_kind(), duplicates));
        match stage {
            Stage::Payout => case.payouts = file,
            Stage::Allocation => case.allocations = Some(file),
            Stage::Transfer => case.transfers = Some(file),
        }
    }

    let mut reports: std::collections::BTreeMap<FileKind, FileReport> =
        std::collections::BTreeMap::new();
    for (index, book) in collector.books.into_iter().enumerate() {
        let map = &maps[index];
        for (local, line) in book.evidence {
            case.invalid_id_evidence.push((
                map[local as usize],
                folder.formats().source(book.kind, line),
            ));
        }
        for mut duplicate in book.duplicates {
            duplicate.person = remap(map, duplicate.person);
            case.duplicate_records.push(duplicate);
        }
        let report = reports.entry(book.kind).or_insert_with(|| FileReport {
            sha256: book.report.sha256.clone(),
            encoding: book.report.encoding,
            delimiter: book.report.delimiter,
            name_on_disk: folder.name_on_disk(book.kind).map(Into::into),
            sheet: book.report.sheet.clone(),
            header_row: book.report.header_row,
            columns: book.report.columns.clone(),
            ..FileReport::default()
        });
        report.rows += book.report.rows;
        report.id_numbers_upgraded += book.report.id_numbers_upgraded;
        report.bad += book.report.bad;
        report.duplicate += book.report.duplicate;
        case.bad_records.extend(book.bad);
    }
    for (kind, duplicates) in stage_duplicates {
        reports
            .get_mut(&kind)
            .expect("a stage file that was read has a report")
            .duplicate += duplicates.len() as u64;
        case.duplicate_records.extend(duplicates);
    }
    if let Some(mut report) = policy_report {
        report.name_on_disk = folder.name_on_disk(FileKind::Policy).map(Into::into);
        reports.insert(FileKind::Policy, report);
    }
    case.files = reports.into_iter().collect();
    Ok(case)
}

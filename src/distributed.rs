//! A run spread over many machines (the Spark runner in python/), in plain
//! types: no Arrow, no Python here.
//!
//! 1. [`read_file`]: one task per input file reads it with the crate's own
//!    reader and hands out its records as *person rows* — (id_number,
//!    row kind, line, payload) — plus the file's facts: its run.json
//!    report, the window bounds it sets, its BAD_RECORD and
//!    DUPLICATE_RECORD findings (made by the engine), and for payouts the
//!    accounts paid to two or more persons.
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

use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::case::{
    BadRecord, Case, Enrolment, Exclusion, FileReport, LocalRules, People, PersonId, Policy,
    Relative, StageChunk, StageFile, StageRecord, StandardRow, TextArena,
};
use crate::domain::window::Bounds;
use crate::domain::{
    CareLevel, Code, Date, FileId, FileKind, Finding, InputFiles, Money, Period, PeriodRange,
    Program, Source, Stage, Status,
};
use crate::engine::{self, AccountUse, SharedAccounts};
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

/// The files read by a task each; policy.toml is read by the driver (and
/// beside the roster, whose coverage depends on it).
pub const FILE_TASKS: [FileKind; 7] = [
    FileKind::Allocations,
    FileKind::Exclusions,
    FileKind::Payouts,
    FileKind::Relatives,
    FileKind::Roster,
    FileKind::Standards,
    FileKind::Transfers,
];

/// Takes one person row: (id_number, row kind, position, payload). The
/// position orders the rows of one kind as the files are read: the file's
/// number, the sheet and the line ([`position_of`]).
pub type Emit<'e> = dyn FnMut(&str, u8, u64, &[u8]) + 'e;

/// A row's position: file number, sheet and line in one sortable number.
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

#[derive(Default)]
struct Enc(Vec<u8>);

impl Enc {
    fn u8(&mut self, value: u8) {
        self.0.push(value);
    }
    fn u32(&mut self, value: u32) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }
    fn u64(&mut self, value: u64) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }
    fn i64(&mut self, value: i64) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }
    fn i128(&mut self, value: i128) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }
    fn bool(&mut self, value: bool) {
        self.u8(u8::from(value));
    }
    fn str(&mut self, value: &str) {
        self.u32(u32::try_from(value.len()).expect("a text under 4 GiB"));
        self.0.extend_from_slice(value.as_bytes());
    }
    fn bytes(&mut self, value: &[u8]) {
        self.u64(value.len() as u64);
        self.0.extend_from_slice(value);
    }
    fn opt<T>(&mut self, value: Option<T>, put: impl FnOnce(&mut Enc, T)) {
        match value {
            None => self.u8(0),
            Some(value) => {
                self.u8(1);
                put(self, value);
            }
        }
    }
    fn period(&mut self, period: Period) {
        self.u32(period.index());
    }
    fn range(&mut self, range: PeriodRange) {
        self.period(range.first);
        self.period(range.last);
    }
    fn money(&mut self, money: Money) {
        self.i64(money.fen());
    }
    fn source(&mut self, source: Source) {
        self.u8(source.kind as u8);
        self.u64(position_of(source));
    }
}

struct Dec<'b>(&'b [u8]);

type Got<T> = Result<T, String>;

fn malformed() -> String {
    "a row or part passed between the Spark tasks is malformed".to_string()
}

impl<'b> Dec<'b> {
    fn take(&mut self, length: usize) -> Got<&'b [u8]> {
        if self.0.len() < length {
            return Err(malformed());
        }
        let (head, rest) = self.0.split_at(length);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Got<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Got<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().map_err(|_| malformed())?,
        ))
    }
    fn u64(&mut self) -> Got<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().map_err(|_| malformed())?,
        ))
    }
    fn i64(&mut self) -> Got<i64> {
        Ok(i64::from_le_bytes(
            self.take(8)?.try_into().map_err(|_| malformed())?,
        ))
    }
    fn i128(&mut self) -> Got<i128> {
        Ok(i128::from_le_bytes(
            self.take(16)?.try_into().map_err(|_| malformed())?,
        ))
    }
    fn bool(&mut self) -> Got<bool> {
        Ok(self.u8()? != 0)
    }
    fn str(&mut self) -> Got<&'b str> {
        let length = self.u32()? as usize;
        std::str::from_utf8(self.take(length)?).map_err(|_| malformed())
    }
    fn boxed(&mut self) -> Got<Box<str>> {
        Ok(self.str()?.into())
    }
    fn bytes(&mut self) -> Got<&'b [u8]> {
        let length = usize::try_from(self.u64()?).map_err(|_| malformed())?;
        self.take(length)
    }
    fn opt<T>(&mut self, get: impl FnOnce(&mut Dec<'b>) -> Got<T>) -> Got<Option<T>> {
        match self.u8()? {
            0 => Ok(None),
            _ => get(self).map(Some),
        }
    }
    fn period(&mut self) -> Got<Period> {
        Ok(Period::from_index(self.u32()?))
    }
    fn range(&mut self) -> Got<PeriodRange> {
        Ok(PeriodRange {
            first: self.period()?,
            last: self.period()?,
        })
    }
    fn money(&mut self) -> Got<Money> {
        Ok(Money::from_fen(self.i64()?))
    }
    fn program(&mut self) -> Got<Program> {
        Program::ALL
            .get(usize::from(self.u8()?))
            .copied()
            .ok_or_else(malformed)
    }
    fn file_kind(&mut self) -> Got<FileKind> {
        file_kind(self.u8()?).ok_or_else(malformed)
    }
    fn source(&mut self) -> Got<Source> {
        let kind = self.file_kind()?;
        Ok(source_at(kind, self.u64()?))
    }
}

const STATUSES: [Status; 3] = [Status::Paid, Status::Failed, Status::Returned];
const CARE_LEVELS: [CareLevel; 3] = [CareLevel::SelfCare, CareLevel::Semi, CareLevel::Full];

fn position<T: PartialEq>(all: &[T], value: &T) -> u8 {
    all.iter()
        .position(|known| known == value)
        .expect("every value is listed") as u8
}

fn pick<T: Copy>(all: &[T], number: u8) -> Got<T> {
    all.get(usize::from(number)).copied().ok_or_else(malformed)
}

fn put_finding(enc: &mut Enc, finding: &Finding) {
    enc.u8(position(&Code::ALL, &finding.code));
    enc.str(&finding.id_number);
    enc.str(&finding.name);
    enc.str(&finding.region);
    enc.opt(finding.program, |enc, program| {
        enc.u8(program.index() as u8)
    });
    enc.opt(finding.period, Enc::range);
    enc.str(&finding.account);
    enc.opt(finding.amount, Enc::money);
    enc.opt(finding.figures, |enc, figures| {
        enc.opt(figures.expected, Enc::money);
        enc.opt(figures.allocated, Enc::money);
        enc.opt(figures.transferred, Enc::money);
        enc.money(figures.paid);
    });
    enc.opt(finding.stage, |enc, stage| enc.u8(stage.index() as u8));
    enc.bool(finding.cause.is_some());
    enc.str(&finding.detail);
    enc.str(&finding.sources);
}

fn get_finding(dec: &mut Dec<'_>) -> Got<Finding> {
    let code = pick(&Code::ALL, dec.u8()?)?;
    let mut finding = Finding::new(code, dec.str()?);
    finding.name = dec.boxed()?;
    finding.region = dec.boxed()?;
    finding.program = dec.opt(Dec::program)?;
    finding.period = dec.opt(Dec::range)?;
    finding.account = dec.boxed()?;
    finding.amount = dec.opt(Dec::money)?;
    finding.figures = dec.opt(|dec| {
        Ok(crate::domain::LineFigures {
            expected: dec.opt(Dec::money)?,
            allocated: dec.opt(Dec::money)?,
            transferred: dec.opt(Dec::money)?,
            paid: dec.money()?,
        })
    })?;
    finding.stage = dec.opt(|dec| pick(&Stage::ALL, dec.u8()?))?;
    finding.cause = dec
        .bool()?
        .then_some(crate::domain::Cause::StandardRaiseNotApplied);
    // (The codec's cause is rewritten with serde by the engine branch.)
    finding.detail = dec.str()?.to_string();
    finding.sources = dec.str()?.to_string();
    Ok(finding)
}

fn put_findings(enc: &mut Enc, findings: &[Finding]) {
    enc.u64(findings.len() as u64);
    for finding in findings {
        put_finding(enc, finding);
    }
}

fn get_findings(dec: &mut Dec<'_>) -> Got<Vec<Finding>> {
    let count = dec.u64()?;
    (0..count).map(|_| get_finding(dec)).collect()
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

fn put_report(enc: &mut Enc, report: &FileReport) {
    enc.u64(report.rows);
    enc.u64(report.bad);
    enc.u64(report.duplicate);
    enc.str(&report.sha256);
    enc.str(report.encoding);
    enc.opt(report.delimiter, |enc, delimiter| enc.str(delimiter));
    enc.u64(report.summary_rows);
    enc.u64(report.sheets.len() as u64);
    for sheet in &report.sheets {
        enc.u32(u32::from(sheet.index));
        enc.str(&sheet.name);
        enc.u32(sheet.header_row);
        enc.u64(sheet.rows);
        enc.u64(sheet.merges.len() as u64);
        for merge in &sheet.merges {
            enc.str(merge);
        }
    }
    enc.u64(report.hidden_not_read.len() as u64);
    for name in &report.hidden_not_read {
        enc.str(name);
    }
    enc.u64(report.id_numbers_upgraded);
}

fn get_report(dec: &mut Dec<'_>) -> Got<FileReport> {
    Ok(FileReport {
        rows: dec.u64()?,
        bad: dec.u64()?,
        duplicate: dec.u64()?,
        sha256: dec.str()?.to_string(),
        encoding: static_name(dec.str()?),
        delimiter: dec.opt(|dec| Ok(static_name(dec.str()?)))?,
        summary_rows: dec.u64()?,
        sheets: (0..dec.u64()?)
            .map(|_| {
                Ok(crate::case::SheetReport {
                    index: u16::try_from(dec.u32()?).map_err(|_| malformed())?,
                    name: dec.boxed()?,
                    header_row: dec.u32()?,
                    rows: dec.u64()?,
                    columns: Vec::new(),
                    merges: (0..dec.u64()?)
                        .map(|_| dec.boxed())
                        .collect::<Got<Vec<Box<str>>>>()?,
                })
            })
            .collect::<Got<Vec<crate::case::SheetReport>>>()?,
        hidden_not_read: (0..dec.u64()?)
            .map(|_| dec.boxed())
            .collect::<Got<Vec<Box<str>>>>()?,
        id_numbers_upgraded: dec.u64()?,
        columns: Vec::new(),
    })
}

fn put_enrolment(enc: &mut Enc, enrolment: &Enrolment) {
    enc.str(&enrolment.enrolment_id);
    enc.str(&enrolment.name);
    enc.str(&enrolment.household_id);
    enc.str(&enrolment.region);
    enc.u8(enrolment.program.index() as u8);
    enc.u32(enrolment.household_size);
    enc.money(enrolment.per_capita_income);
    enc.money(enrolment.deductions);
    enc.opt(enrolment.care_level, |enc, level| {
        enc.u8(position(&CARE_LEVELS, &level));
    });
    enc.bool(enrolment.centralized);
    enc.money(enrolment.approved_amount);
    enc.period(enrolment.start);
    enc.opt(enrolment.end, Enc::period);
    enc.opt(enrolment.phase_out_from, Enc::period);
    enc.opt(enrolment.last_covered, Enc::period);
    enc.str(&enrolment.account);
    enc.opt(enrolment.local_rules.as_deref(), |enc, rules| {
        enc.opt(rules.tier.as_deref(), |enc, tier| enc.str(tier));
        enc.u32(rules.members.len() as u32);
        for member in &rules.members {
            enc.u32(member.len() as u32);
            for category in member {
                enc.str(category);
            }
        }
    });
}

fn get_enrolment(dec: &mut Dec<'_>, source: Source, person: PersonId) -> Got<Enrolment> {
    Ok(Enrolment {
        source,
        person,
        enrolment_id: dec.boxed()?,
        name: dec.boxed()?,
        household_id: dec.boxed()?,
        region: dec.boxed()?,
        program: dec.program()?,
        household_size: dec.u32()?,
        per_capita_income: dec.money()?,
        deductions: dec.money()?,
        care_level: dec.opt(|dec| pick(&CARE_LEVELS, dec.u8()?))?,
        centralized: dec.bool()?,
        approved_amount: dec.money()?,
        start: dec.period()?,
        end: dec.opt(Dec::period)?,
        phase_out_from: dec.opt(Dec::period)?,
        last_covered: dec.opt(Dec::period)?,
        account: dec.boxed()?,
        local_rules: dec.opt(|dec| {
            let tier = dec.opt(Dec::boxed)?;
            let members = (0..dec.u32()?)
                .map(|_| (0..dec.u32()?).map(|_| dec.boxed()).collect())
                .collect::<Got<Vec<Vec<Box<str>>>>>()?;
            Ok(Box::new(LocalRules { tier, members }))
        })?,
    })
}

fn put_stage_record(enc: &mut Enc, file: &StageFile, record: &StageRecord) {
    enc.u8(record.program.index() as u8);
    enc.u8(position(&STATUSES, &record.status));
    enc.range(record.periods);
    enc.money(record.amount);
    enc.opt(record.date(), |enc, date| enc.str(&date.to_string()));
    enc.str(file.record_id(record));
    enc.str(file.payee_name(record));
    enc.str(file.account(record));
}

/// Builds a stage's chunks as rows arrive, in order: a chunk per file and
/// sheet, as reading makes them.
#[derive(Default)]
struct StageBuilder {
    chunks: Vec<StageChunk>,
}

impl StageBuilder {
    fn push(&mut self, dec: &mut Dec<'_>, source: Source, person: PersonId) -> Got<()> {
        let line = source.line;
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
        let program = dec.program()?;
        let status = pick(&STATUSES, dec.u8()?)?;
        let periods = dec.range()?;
        let amount = dec.money()?;
        let date = dec.opt(|dec| Date::parse(dec.str()?).ok_or_else(malformed))?;
        let record_id = dec.str()?;
        let name = dec.str()?;
        let account = dec.str()?;
        // Only payouts have a payee; a payout without name or account
        // reads the same either way (both empty).
        let payee = (!name.is_empty() || !account.is_empty()).then_some((name, account));
        let mut record = StageRecord::new(program, status, periods, amount, date, line);
        record.person = person;
        record.texts = chunk.text.push(record_id, payee).ok_or_else(malformed)?;
        chunk.records.push(record);
        Ok(())
    }

    fn finish(self, kind: FileKind) -> Got<StageFile> {
        StageFile::from_chunks(kind, self.chunks).ok_or_else(malformed)
    }
}

// ---------------------------------------------------------------- files

/// What one file's task tells the driver (besides its person rows).
struct FileFacts {
    /// The report of each file of the kind.
    reports: Vec<(FileId, FileReport)>,
    bounds: Option<Bounds>,
    findings: Vec<Finding>,
    candidates: Vec<u128>,
}

/// Reads `kind`'s file of the case in `case_dir` as a whole run reads it,
/// hands each record to `emit` as a person row (id_number, row kind, line,
/// payload), and returns the file's facts for [`Driver::add_facts`] — or
/// the error that stops the run, which the driver reports.
pub fn read_file(case_dir: &Path, kind: FileKind, emit: &mut Emit<'_>) -> Vec<u8> {
    let mut enc = Enc::default();
    enc.u8(kind as u8);
    match read_file_facts(case_dir, kind, emit) {
        Ok(facts) => {
            enc.u8(0);
            enc.u64(facts.reports.len() as u64);
            for (file, report) in &facts.reports {
                enc.u32(u32::from(file.0));
                put_report(&mut enc, report);
            }
            enc.opt(facts.bounds, |enc, bounds| {
                enc.range(bounds.periods);
                enc.source(bounds.first_set_by);
                enc.source(bounds.last_set_by);
            });
            put_findings(&mut enc, &facts.findings);
            enc.u64(facts.candidates.len() as u64);
            for account in facts.candidates {
                enc.i128(account as i128);
            }
        }
        Err(error) => {
            enc.u8(1);
            enc.str(&error.to_string());
        }
    }
    enc.0
}

fn read_file_facts(
    case_dir: &Path,
    kind: FileKind,
    emit: &mut Emit<'_>,
) -> Result<FileFacts, FatalError> {
    let folder = CaseFolder::open(case_dir)?;
    let kinds: &[FileKind] = if kind == FileKind::Roster {
        &[FileKind::Roster, FileKind::Policy]
    } else {
        std::slice::from_ref(&kind)
    };
    let case = crate::read::read_files_in(&folder, kinds, &ReadOptions::default())?;
    let id = |person: PersonId| case.people.id_number(person);
    let mut payload = Enc::default();
    for enrolment in &case.enrolments {
        payload.0.clear();
        put_enrolment(&mut payload, enrolment);
        emit(
            id(enrolment.person),
            ROW_ENROLMENT,
            position_of(enrolment.source),
            &payload.0,
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
            payload.0.clear();
            put_stage_record(&mut payload, file, record);
            let source = file.source(record);
            emit(
                id(record.person),
                ROW_STAGE[stage.index()],
                position_of(source),
                &payload.0,
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
        payload.0.clear();
        payload.str(&exclusion.reason);
        payload.period(exclusion.from);
        emit(
            id(exclusion.person),
            ROW_EXCLUSION,
            position_of(exclusion.source),
            &payload.0,
        );
    }
    for relative in &case.relatives {
        payload.0.clear();
        payload.str(&relative.staff_name);
        payload.str(&relative.relation);
        payload.bool(relative.filed);
        emit(
            id(relative.person),
            ROW_RELATIVE,
            position_of(relative.source),
            &payload.0,
        );
    }
    for (person, source) in &case.invalid_id_evidence {
        payload.0.clear();
        payload.source(*source);
        emit(
            id(*person),
            ROW_INVALID_ID,
            position_of(*source),
            &payload.0,
        );
    }
    let reports: Vec<(FileId, FileReport)> = case
        .files
        .iter()
        .filter(|(file, _)| case.inputs.get(*file).kind == kind)
        .cloned()
        .collect();
    let findings = record_findings(&case);
    Ok(FileFacts {
        reports,
        bounds,
        findings,
        candidates,
    })
}

/// The BAD_RECORD and DUPLICATE_RECORD findings of a file, made by the
/// engine from a case that holds only them (they need no other record).
fn record_findings(case: &Case) -> Vec<Finding> {
    let mut ids: Vec<&str> = case
        .duplicate_records
        .iter()
        .map(|duplicate| case.people.id_number(duplicate.person))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let duplicate_records = case
        .duplicate_records
        .iter()
        .map(|duplicate| {
            let rank = ids
                .binary_search(&case.people.id_number(duplicate.person))
                .expect("every id is listed");
            crate::case::DuplicateRecord {
                person: PersonId(rank as u32),
                ..duplicate.clone()
            }
        })
        .collect();
    let only: Case = Case {
        people: People {
            id_numbers: ids.iter().map(|id| Box::from(*id)).collect(),
        },
        bad_records: case.bad_records.iter().map(BadRecord::clone).collect(),
        duplicate_records,
        inputs: case.inputs.clone(),
        ..Case::default()
    };
    let any = Period::from_year_month(2000, 1).expect("a period");
    engine::reconcile_with(
        &only,
        PeriodRange::single(any),
        SharedAccounts::Collect(&FxHashSet::default()),
    )
    .findings
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
    /// The error that stops the run: the first file's in [`FileKind::ALL`]
    /// order, as the CLI's reader reports it.
    error: Option<(FileKind, String)>,
    reports: Vec<(FileId, FileReport)>,
    bounds: Option<Bounds>,
    findings: Vec<Finding>,
    candidates: FxHashSet<u128>,
    uses: Vec<(Box<str>, AccountUse)>,
    sink: Option<OutputSink>,
    window: Option<PeriodRange>,
    last_id: Option<Box<str>>,
    /// The files as evidence names them, once planned.
    inputs: InputFiles,
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
    pub fn open(
        case_dir: &Path,
        out_dir: &Path,
        from: Option<&str>,
        to: Option<&str>,
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
        let out = OutDir::prepare(out_dir)?;
        let folder = CaseFolder::open(case_dir)?;
        let warnings = folder.warnings();
        let mut driver = Driver {
            folder,
            out: Some(out),
            from,
            to,
            policy: Policy::default(),
            error: None,
            reports: Vec::new(),
            bounds: None,
            findings: Vec::new(),
            candidates: FxHashSet::default(),
            uses: Vec::new(),
            sink: None,
            window: None,
            last_id: None,
            inputs: InputFiles::default(),
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
            Err(error) => driver.note_error(FileKind::Policy, error.to_string()),
        }
        Ok((driver, warnings))
    }

    fn note_error(&mut self, kind: FileKind, message: String) {
        if self.error.as_ref().is_none_or(|(first, _)| kind < *first) {
            self.error = Some((kind, message));
        }
    }

    /// Adds one file task's facts ([`read_file`]).
    pub fn add_facts(&mut self, facts: &[u8]) -> Result<(), String> {
        let mut dec = Dec(facts);
        let kind = dec.file_kind()?;
        if dec.u8()? != 0 {
            let message = dec.str()?.to_string();
            self.note_error(kind, message);
            return Ok(());
        }
        for _ in 0..dec.u64()? {
            let file = FileId(u16::try_from(dec.u32()?).map_err(|_| malformed())?);
            self.reports.push((file, get_report(&mut dec)?));
        }
        if let Some((periods, first, last)) =
            dec.opt(|dec| Ok((dec.range()?, dec.source()?, dec.source()?)))?
        {
            // Each extreme with the record that set it: ties go to the
            // first in file order, whatever order files come in.
            let at = |period| PeriodRange::single(period);
            let bounds = Bounds::including(self.bounds, at(periods.first), first);
            self.bounds = Some(Bounds::including(Some(bounds), at(periods.last), last));
        }
        self.findings.extend(get_findings(&mut dec)?);
        for _ in 0..dec.u64()? {
            self.candidates.insert(dec.i128()? as u128);
        }
        Ok(())
    }

    /// Once every file's facts are in: the window, the outputs begun, and
    /// the context each worker needs ([`Worker::new`]).
    pub fn plan(&mut self) -> Result<Vec<u8>, FatalError> {
        if let Some((_, message)) = self.error.take() {
            return Err(FatalError::Distributed(message));
        }
        self.reports.sort_by_key(|(file, _)| *file);
        // The files as evidence names them: the workbooks read from several
        // sheets name the sheet.
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
        // Every worker reads these two again: it checks they are the same.
        let seen: Vec<Vec<(FileId, String)>> = REREAD
            .iter()
            .map(|kind| {
                self.reports
                    .iter()
                    .filter(|(file, _)| inputs.get(*file).kind == *kind)
                    .map(|(file, report)| (*file, report.sha256.clone()))
                    .collect()
            })
            .collect();
        let header = Case {
            policy: self.policy.clone(),
            files: std::mem::take(&mut self.reports),
            unused_files: self.folder.unused_files().to_vec(),
            inputs: inputs.clone(),
            allocations: given[0].then(StageFile::default),
            transfers: given[1].then(StageFile::default),
            ..Case::default()
        };
        let empty =
            engine::reconcile_with(&header, window, SharedAccounts::Collect(&self.candidates));
        let out = self.out.take().expect("a run is planned once");
        let mut sink = OutputSink::create(out, &header, &empty, None, None)?;
        sink.add(&header, &empty)?;
        self.sink = Some(sink);
        self.window = Some(window);
        let mut enc = Enc::default();
        enc.range(window);
        enc.bool(given[0]);
        enc.bool(given[1]);
        for files in &seen {
            enc.u64(files.len() as u64);
            for (file, sha256) in files {
                enc.u32(u32::from(file.0));
                enc.str(sha256);
            }
        }
        let named: Vec<(FileId, &[Box<str>])> = inputs
            .iter()
            .filter(|(_, file)| !file.sheet_names.is_empty())
            .map(|(id, file)| (id, file.sheet_names.as_slice()))
            .collect();
        enc.u64(named.len() as u64);
        for (file, names) in named {
            enc.u32(u32::from(file.0));
            enc.u64(names.len() as u64);
            for name in names {
                enc.str(name);
            }
        }
        self.inputs = inputs;
        let mut candidates: Vec<u128> = self.candidates.iter().copied().collect();
        candidates.sort_unstable();
        enc.u64(candidates.len() as u64);
        for account in candidates {
            enc.i128(account as i128);
        }
        Ok(enc.0)
    }

    /// Adds the next part of the run ([`Worker::reconcile`]); parts come
    /// in id_number order.
    pub fn add_part(&mut self, part: &[u8]) -> Result<(), FatalError> {
        let problem = |message: String| FatalError::Distributed(message);
        let mut dec = Dec(part);
        let first = dec.opt(Dec::boxed).map_err(problem)?;
        let last = dec.opt(Dec::boxed).map_err(problem)?;
        if let (Some(first), Some(before)) = (&first, &self.last_id) {
            if first <= before {
                return Err(problem(format!(
                    "parts came out of id_number order ({first:?} after {before:?}): partition the rows by range of id_number"
                )));
            }
        }
        if last.is_some() {
            self.last_id = last;
        }
        let (rendered, rest) = RenderedPart::decode(dec.bytes().map_err(problem)?)
            .ok_or_else(|| problem(malformed()))?;
        if !rest.is_empty() {
            return Err(problem(malformed()));
        }
        self.findings
            .extend(get_findings(&mut dec).map_err(problem)?);
        for _ in 0..dec.u64().map_err(problem)? {
            let account = dec.boxed().map_err(problem)?;
            let id_number = dec.boxed().map_err(problem)?;
            let households = (0..dec.u64().map_err(problem)?)
                .map(|_| dec.boxed())
                .collect::<Got<Vec<Box<str>>>>()
                .map_err(problem)?;
            let amount_fen = dec.i128().map_err(problem)?;
            let lines = (0..dec.u64().map_err(problem)?)
                .map(|_| dec.source())
                .collect::<Got<Vec<Source>>>()
                .map_err(problem)?;
            self.uses.push((
                account,
                AccountUse {
                    id_number,
                    households,
                    amount_fen,
                    lines,
                },
            ));
        }
        self.sink
            .as_mut()
            .expect("parts come after the plan")
            .add_rendered(&rendered)
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
        let mut dec = Dec(plan);
        let window = dec.range()?;
        let given = [dec.bool()?, dec.bool()?];
        for kind in REREAD {
            let seen: Vec<(FileId, String)> = (0..dec.u64()?)
                .map(|_| {
                    let file = FileId(u16::try_from(dec.u32()?).map_err(|_| malformed())?);
                    Ok((file, dec.str()?.to_string()))
                })
                .collect::<Got<_>>()?;
            let now: Vec<(FileId, &str)> = case
                .files
                .iter()
                .filter(|(file, _)| case.inputs.get(*file).kind == kind)
                .map(|(file, report)| (*file, report.sha256.as_str()))
                .collect();
            let changed = seen.len() != now.len()
                || seen
                    .iter()
                    .zip(&now)
                    .any(|((a, sha_a), (b, sha_b))| a != b || sha_a != sha_b);
            if !changed {
                continue;
            }
            let what = if seen.len() < now.len() {
                "it was added"
            } else if seen.len() > now.len() {
                "it was removed"
            } else {
                "its contents are not the same"
            };
            let location = seen
                .iter()
                .zip(&now)
                .find(|((a, sha_a), (b, sha_b))| a != b || sha_a != sha_b)
                .map(|((file, _), _)| folder.location(*file))
                .unwrap_or_else(|| {
                    crate::error::Location::path(&folder.dir().join(kind.file_name()))
                });
            return Err(FatalError::InputChanged {
                location,
                what: what.to_string(),
            }
            .to_string());
        }
        let mut inputs = folder.input_files();
        for _ in 0..dec.u64()? {
            let file = FileId(u16::try_from(dec.u32()?).map_err(|_| malformed())?);
            let names = (0..dec.u64()?)
                .map(|_| dec.boxed())
                .collect::<Got<Vec<Box<str>>>>()?;
            if file.index() >= inputs.len() {
                return Err(malformed());
            }
            inputs.set_sheet_names(file, names);
        }
        let candidates = (0..dec.u64()?)
            .map(|_| dec.i128().map(|account| account as u128))
            .collect::<Got<FxHashSet<u128>>>()?;
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
        for &index in &order {
            let row = rows[index as usize];
            if ids.last().is_none_or(|last| last.as_ref() != row.id_number) {
                ids.push(row.id_number.into());
            }
            let person = PersonId(ids.len() as u32 - 1);
            let mut dec = Dec(row.payload);
            match row.kind {
                ROW_ENROLMENT => enrolments.push(get_enrolment(
                    &mut dec,
                    source_at(FileKind::Roster, row.position),
                    person,
                )?),
                1..=3 => {
                    let stage = Stage::ALL[usize::from(row.kind - 1)];
                    stages[usize::from(row.kind - 1)].push(
                        &mut dec,
                        source_at(stage.file_kind(), row.position),
                        person,
                    )?
                }
                ROW_EXCLUSION => exclusions.push(Exclusion {
                    person,
                    source: source_at(FileKind::Exclusions, row.position),
                    reason: dec.boxed()?,
                    from: dec.period()?,
                }),
                ROW_RELATIVE => relatives.push(Relative {
                    person,
                    source: source_at(FileKind::Relatives, row.position),
                    staff_name: dec.boxed()?,
                    relation: dec.boxed()?,
                    filed: dec.bool()?,
                }),
                ROW_INVALID_ID => invalid_id_evidence.push((person, dec.source()?)),
                _ => return Err(malformed()),
            }
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
            inputs: self.inputs.clone(),
            ..Case::default()
        };
        let reconciliation = engine::reconcile_with(
            &case,
            self.window,
            SharedAccounts::Collect(&self.candidates),
        );
        let rendered = RenderedPart::render(&case, &reconciliation);
        let mut enc = Enc::default();
        enc.opt(case.people.id_numbers.first(), |enc, id| enc.str(id));
        enc.opt(case.people.id_numbers.last(), |enc, id| enc.str(id));
        let mut part = Vec::new();
        rendered.encode(&mut part);
        enc.bytes(&part);
        put_findings(&mut enc, &reconciliation.findings);
        enc.u64(reconciliation.account_uses.len() as u64);
        for (account, account_use) in &reconciliation.account_uses {
            enc.str(account);
            enc.str(&account_use.id_number);
            enc.u64(account_use.households.len() as u64);
            for household in &account_use.households {
                enc.str(household);
            }
            enc.i128(account_use.amount_fen);
            enc.u64(account_use.lines.len() as u64);
            for source in &account_use.lines {
                enc.source(*source);
            }
        }
        Ok(enc.0)
    }
}

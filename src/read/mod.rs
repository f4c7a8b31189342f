//! The input edge: a case folder's bytes → a typed [`Case`] plus the
//! BAD_RECORD, DUPLICATE_RECORD and INVALID_ID_NUMBER evidence found while
//! reading. Nothing downstream parses text.

pub mod people;
pub mod policy;
pub mod registers;
pub mod roster;
pub mod stages;
pub mod standards;
pub mod table;

use std::path::Path;

use rayon::prelude::*;

use crate::case::{Case, DuplicateRecord, FileReport, PersonId};
use crate::domain::{FileKind, Money, Period, Source, Stage};
use crate::error::FatalError;
use people::LocalPeople;
use table::{BadRecord, LoadedFile, Problems, Row};

const ID_NUMBER_ALIASES: &[&str] = &["身份证号", "身份证号码", "公民身份号码"];
const ACCOUNT_ALIASES: &[&str] = &["账号", "银行账号", "卡号"];

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
                sha256: file.sha256.clone(),
                encoding: file.encoding,
                ..FileReport::default()
            },
            records: (),
        }
    }

    fn note_id(&mut self, local: u32, valid: bool, line: u32) {
        if !valid {
            self.evidence.push((local, line));
        }
    }

    fn finish_counts(&mut self) {
        self.report.bad = self.bad.len() as u64;
        self.report.duplicate = self.duplicates.len() as u64;
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

/// A money cell; `positive` demands > 0 (stage amounts), else ≥ 0.
fn money_cell(column: &str, value: &str, positive: bool, problems: &mut Problems) -> Money {
    match Money::parse(value) {
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
        Some(value) => {
            let period = Period::parse(value);
            if period.is_none() {
                problems.add(name, Some(value), "expected a period YYYY-MM (or YYYYMM)");
            }
            period
        }
    }
}

enum Parsed {
    Roster(FileOutcome<Vec<crate::case::Enrolment>>),
    Standards(FileOutcome<Vec<crate::case::StandardRow>>),
    Stage(Stage, FileOutcome<crate::case::StageFile>),
    Exclusions(FileOutcome<Vec<crate::case::Exclusion>>),
    Relatives(FileOutcome<Vec<crate::case::Relative>>),
    Policy(crate::case::Policy, FileReport),
    Absent,
}

fn read_one(folder: &Path, kind: FileKind) -> Result<Parsed, FatalError> {
    if kind == FileKind::Policy {
        let path = folder.join(kind.file_name());
        return match std::fs::read(&path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Parsed::Absent),
            Err(source) => Err(FatalError::Unreadable { path, source }),
            Ok(bytes) => {
                use sha2::Digest;
                let sha256 = sha2::Sha256::digest(&bytes)
                    .iter()
                    .map(|byte| format!("{byte:02x}"))
                    .collect();
                let text =
                    std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes))
                        .map_err(|error| FatalError::Policy {
                            line: 1,
                            column: 1,
                            message: format!("the file is not UTF-8 text ({error})"),
                        })?;
                let policy = policy::parse(text)?;
                let report = FileReport {
                    rows: 0,
                    sha256,
                    encoding: "utf-8",
                    ..FileReport::default()
                };
                Ok(Parsed::Policy(policy, report))
            }
        };
    }
    let Some(file) = table::load(folder, kind)? else {
        return Ok(Parsed::Absent);
    };
    Ok(match kind {
        FileKind::Roster => Parsed::Roster(roster::read(&file)?),
        FileKind::Standards => Parsed::Standards(standards::read(&file)?),
        FileKind::Payouts => Parsed::Stage(Stage::Payout, stages::read(&file, Stage::Payout)?),
        FileKind::Allocations => {
            Parsed::Stage(Stage::Allocation, stages::read(&file, Stage::Allocation)?)
        }
        FileKind::Transfers => {
            Parsed::Stage(Stage::Transfer, stages::read(&file, Stage::Transfer)?)
        }
        FileKind::Exclusions => Parsed::Exclusions(registers::read_exclusions(&file)?),
        FileKind::Relatives => Parsed::Relatives(registers::read_relatives(&file)?),
        FileKind::Policy => unreachable!("policy.toml is handled above"),
    })
}

/// Per-file bookkeeping split off a [`FileOutcome`] before its records are
/// remapped to global person ids.
struct Bookkeeping {
    kind: FileKind,
    evidence: Vec<(u32, u32)>,
    bad: Vec<BadRecord>,
    duplicates: Vec<DuplicateRecord>,
    report: FileReport,
}

fn split<T>(
    outcome: FileOutcome<T>,
    locals: &mut Vec<LocalPeople>,
    books: &mut Vec<Bookkeeping>,
) -> T {
    locals.push(outcome.people);
    books.push(Bookkeeping {
        kind: outcome.kind,
        evidence: outcome.evidence,
        bad: outcome.bad,
        duplicates: outcome.duplicates,
        report: outcome.report,
    });
    outcome.records
}

/// Reads every file of the case folder (in parallel, one file per task).
pub fn read_case(folder: &Path) -> Result<Case, FatalError> {
    if !folder.is_dir() {
        return Err(FatalError::BadArgument(format!(
            "{}: not a folder; CASE_DIR must be the folder holding roster.csv, standards.csv and payouts.csv",
            folder.display()
        )));
    }
    let results: Vec<Result<Parsed, FatalError>> = FileKind::ALL
        .par_iter()
        .map(|&kind| read_one(folder, kind))
        .collect();
    let mut parsed = Vec::with_capacity(results.len());
    for result in results {
        parsed.push(result?);
    }

    let mut case = Case::default();
    let mut locals = Vec::new();
    let mut books = Vec::new();
    // Which `locals` entry each person-bearing payload uses.
    let mut roster_index = None;
    let mut stage_indices: Vec<(Stage, usize)> = Vec::new();
    let mut exclusions_index = None;
    let mut relatives_index = None;
    for item in parsed {
        match item {
            Parsed::Roster(outcome) => {
                roster_index = Some(locals.len());
                case.enrolments = split(outcome, &mut locals, &mut books);
            }
            Parsed::Standards(outcome) => {
                // Standards rows name no person; keep the local table aligned.
                let position = locals.len();
                case.standards = split(outcome, &mut locals, &mut books);
                debug_assert_eq!(position + 1, locals.len());
            }
            Parsed::Stage(stage, outcome) => {
                stage_indices.push((stage, locals.len()));
                let file = split(outcome, &mut locals, &mut books);
                match stage {
                    Stage::Payout => case.payouts = file,
                    Stage::Allocation => case.allocations = Some(file),
                    Stage::Transfer => case.transfers = Some(file),
                }
            }
            Parsed::Exclusions(outcome) => {
                exclusions_index = Some(locals.len());
                case.exclusions = split(outcome, &mut locals, &mut books);
            }
            Parsed::Relatives(outcome) => {
                relatives_index = Some(locals.len());
                case.relatives = split(outcome, &mut locals, &mut books);
            }
            Parsed::Policy(policy, report) => {
                case.policy = policy;
                case.files.push((FileKind::Policy, report));
            }
            Parsed::Absent => {}
        }
    }

    let (people, maps) = people::merge(locals);
    case.people = people;
    let remap = |map: &[PersonId], local: PersonId| map[local.index()];
    if let Some(index) = roster_index {
        for enrolment in &mut case.enrolments {
            enrolment.person = remap(&maps[index], enrolment.person);
        }
    }
    for &(stage, index) in &stage_indices {
        let file = match stage {
            Stage::Payout => &mut case.payouts,
            Stage::Allocation => case.allocations.as_mut().expect("read above"),
            Stage::Transfer => case.transfers.as_mut().expect("read above"),
        };
        let map = &maps[index];
        file.records
            .par_iter_mut()
            .for_each(|record| record.person = remap(map, record.person));
    }
    if let Some(index) = exclusions_index {
        for exclusion in &mut case.exclusions {
            exclusion.person = remap(&maps[index], exclusion.person);
        }
    }
    if let Some(index) = relatives_index {
        for relative in &mut case.relatives {
            relative.person = remap(&maps[index], relative.person);
        }
    }
    for (index, book) in books.into_iter().enumerate() {
        let map = &maps[index];
        for (local, line) in book.evidence {
            case.invalid_id_evidence
                .push((map[local as usize], Source::new(book.kind, line)));
        }
        for mut duplicate in book.duplicates {
            duplicate.person = remap(map, duplicate.person);
            case.duplicate_records.push(duplicate);
        }
        case.bad_records.extend(book.bad);
        case.files.push((book.kind, book.report));
    }
    case.files.sort_by_key(|(kind, _)| *kind);
    Ok(case)
}

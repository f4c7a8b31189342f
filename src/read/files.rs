//! Reading one input file: loaded, hashed beside the parse, parsed by its
//! kind's reader, and checked to be unchanged when done.

use super::partition::still_as_opened;
use super::table::LoadedFile;
use super::{policy, registers, roster, stages, standards, text};
use super::{CaseFolder, FileOutcome, ReadOptions};
use crate::case::FileReport;
use crate::domain::{FileId, FileKind, Stage};
use crate::error::{FatalError, Location};

/// What one file gave.
pub(crate) enum Parsed {
    Roster(FileOutcome<Vec<crate::case::Enrolment>>),
    Standards(FileOutcome<Vec<crate::case::StandardRow>>),
    /// One outcome per chunk of the file, in file order.
    Stage(Stage, Vec<FileOutcome<crate::case::StageChunk>>),
    Exclusions(FileOutcome<Vec<crate::case::Exclusion>>),
    Relatives(FileOutcome<Vec<crate::case::Relative>>),
    Members(FileOutcome<Vec<crate::case::Member>>),
    Leads(FileOutcome<Vec<crate::case::Lead>>),
    Policy(crate::case::Policy, FileReport),
}

/// Reads file `id` of the folder.
pub(crate) fn read_file(
    folder: &CaseFolder,
    id: FileId,
    options: &ReadOptions,
) -> Result<Parsed, FatalError> {
    let kind = folder.file(id).kind;
    if kind == FileKind::Policy {
        return read_policy(folder, id, options);
    }
    let file = text::load(folder, id, options.release_input, options.chunk_bytes)?;
    // A partition but the last takes the file's SHA-256 from the scan and
    // checks its size and time of change only: hashing every file again per
    // partition cost a tenth of a partitioned run. The last partition hashes
    // again, so a change that kept the size and the time is still caught
    // before any output is placed.
    let scanned = options
        .partition
        .as_ref()
        .filter(|partition| !partition.hash_inputs)
        .and_then(|partition| partition.scanned(id));
    let (sha256, parsed) = match scanned {
        Some(seen) => (seen.sha256.clone(), parse_file(&file, options)),
        None => rayon::join(
            || file.sha256(options.release_input),
            || parse_file(&file, options),
        ),
    };
    options.check_unchanged(folder, id, (&file.fingerprint, &sha256))?;
    still_as_opened(folder, id, &file.fingerprint)?;
    let mut parsed = parsed?;
    parsed.set_sha256(&sha256);
    Ok(parsed)
}

/// Reads a range of text file `id` alone ([`text::load_range`]); its
/// report's SHA-256 is the range's.
pub(crate) fn read_file_range(
    folder: &CaseFolder,
    id: FileId,
    range: &text::TextRange,
    options: &ReadOptions,
) -> Result<Parsed, FatalError> {
    let (file, sha256) = text::load_range(folder, id, range, options.chunk_bytes)?;
    let parsed = parse_file(&file, options);
    still_as_opened(folder, id, &file.fingerprint)?;
    let mut parsed = parsed?;
    parsed.set_sha256(&sha256);
    Ok(parsed)
}

fn read_policy(
    folder: &CaseFolder,
    id: FileId,
    options: &ReadOptions,
) -> Result<Parsed, FatalError> {
    let opened = folder.open_file(id)?;
    let fingerprint = opened.fingerprint.clone();
    let bytes = opened.read_all()?;
    let sha256 = super::table::sha256_hex(&bytes);
    options.check_unchanged(folder, id, (&fingerprint, &sha256))?;
    let name = folder.file(id).name.as_str();
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes)).map_err(
        |error| FatalError::Policy {
            location: Location::cell(name, 1, 1),
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
            Parsed::Members(outcome) => vec![&mut outcome.report],
            Parsed::Leads(outcome) => vec![&mut outcome.report],
            Parsed::Policy(_, report) => vec![report],
        };
        for report in reports {
            report.sha256 = sha256.to_string();
        }
    }
}

fn parse_file(file: &LoadedFile, options: &ReadOptions) -> Result<Parsed, FatalError> {
    Ok(match file.kind {
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
        FileKind::Members => {
            Parsed::Members(registers::read_members(file, options.partition.as_deref())?)
        }
        FileKind::Watchlist => Parsed::Leads(registers::read_watchlist(
            file,
            options.partition.as_deref(),
        )?),
        FileKind::Policy => unreachable!("policy.toml is read by read_policy"),
    })
}

//! The files' outcomes put together into one [`Case`]: each kind's files in
//! name order behave as one file of that kind (SPEC v3) — their persons
//! interned once, their records in file order, a record id repeated in any
//! of them a repeat — and one report per file.

use rayon::prelude::*;

use super::files::Parsed;
use super::people::{self, LocalPeople};
use super::table::BadRecord;
use super::{repeats, CaseFolder, FileOutcome, ReadOptions};
use crate::case::{
    Case, DuplicateRecord, Enrolment, Exclusion, FileReport, Lead, Member, PersonId, Relative,
    StageChunk, StageFile, MAX_CHUNKS,
};
use crate::domain::{FileId, FileKind, Source, Stage};
use crate::error::{FatalError, Location};

/// Per-outcome bookkeeping split off a [`FileOutcome`] before its records
/// are remapped to global person ids.
struct Bookkeeping {
    file: FileId,
    evidence: Vec<(u32, Source)>,
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
            file: outcome.file,
            evidence: outcome.evidence,
            bad: outcome.bad,
            duplicates: outcome.duplicates,
            report: outcome.report,
        });
        (index, outcome.records)
    }
}

/// Puts the files read, in [`FileId`] order, together.
pub(crate) fn assemble(
    folder: &CaseFolder,
    parsed: Vec<(FileId, Parsed)>,
    options: &ReadOptions,
) -> Result<Case, FatalError> {
    debug_assert!(parsed.windows(2).all(|pair| pair[0].0 < pair[1].0));
    let mut case = Case {
        unused_files: folder.unused_files().to_vec(),
        inputs: folder.input_files(),
        regions: folder.regions().clone(),
        settings_files: folder.settings_files().to_vec(),
        ..Case::default()
    };
    let mut collector = Collector::default();
    let mut roster: Vec<(usize, Vec<Enrolment>)> = Vec::new();
    let mut exclusions: Vec<(usize, Vec<Exclusion>)> = Vec::new();
    let mut relatives: Vec<(usize, Vec<Relative>)> = Vec::new();
    let mut members: Vec<(usize, Vec<Member>)> = Vec::new();
    let mut leads: Vec<(usize, Vec<Lead>)> = Vec::new();
    let mut stage_chunks: Vec<(Stage, Vec<(usize, StageChunk)>)> = Stage::ALL
        .iter()
        .map(|&stage| (stage, Vec::new()))
        .collect();
    let mut policy_report = None;
    for (id, item) in parsed {
        match item {
            Parsed::Roster(outcome) => roster.push(collector.take(outcome)),
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
                    outcome.report.summary_rows = 0;
                    for sheet in &mut outcome.report.sheets {
                        sheet.rows = 0;
                    }
                }
                case.standards.extend(collector.take(outcome).1);
            }
            Parsed::Stage(stage, outcomes) => {
                let (_, chunks) = stage_chunks
                    .iter_mut()
                    .find(|(each, _)| *each == stage)
                    .expect("every stage is listed");
                chunks.extend(outcomes.into_iter().map(|outcome| collector.take(outcome)));
            }
            Parsed::Exclusions(outcome) => exclusions.push(collector.take(outcome)),
            Parsed::Relatives(outcome) => relatives.push(collector.take(outcome)),
            Parsed::Members(outcome) => members.push(collector.take(outcome)),
            Parsed::Leads(outcome) => leads.push(collector.take(outcome)),
            Parsed::Policy(policy, report) => {
                case.policy = policy;
                policy_report = Some((id, report));
            }
        }
    }

    let (people, maps) = people::merge(collector.locals);
    case.people = people;
    let remap = |map: &[PersonId], local: PersonId| map[local.index()];
    let mut found_repeats: Vec<DuplicateRecord> = Vec::new();
    for (index, enrolments) in roster {
        for mut enrolment in enrolments {
            enrolment.person = remap(&maps[index], enrolment.person);
            // Coverage depends on policy.toml, read beside the roster.
            enrolment.apply_phase_out(case.policy.phase_out_months);
            case.enrolments.push(enrolment);
        }
    }
    // First occurrence counts across the roster's files (a partitioned run
    // set the scan's repeats aside already: none is left to find here).
    found_repeats.extend(repeats::enrolment_repeats(&mut case.enrolments));
    for (index, rows) in exclusions {
        case.exclusions
            .extend(rows.into_iter().map(|mut exclusion| {
                exclusion.person = remap(&maps[index], exclusion.person);
                exclusion
            }));
    }
    for (index, rows) in relatives {
        case.relatives.extend(rows.into_iter().map(|mut relative| {
            relative.person = remap(&maps[index], relative.person);
            relative
        }));
    }
    for (index, rows) in members {
        case.members.extend(rows.into_iter().map(|mut member| {
            member.person = remap(&maps[index], member.person);
            member
        }));
    }
    for (index, rows) in leads {
        case.leads.extend(rows.into_iter().map(|mut lead| {
            lead.person = remap(&maps[index], lead.person);
            lead
        }));
    }
    // Remap, renumber, join and deduplicate each stage's files, each stage
    // on its own thread.
    let given: Vec<bool> = stage_chunks
        .iter()
        .map(|(stage, _)| folder.has(stage.file_kind()))
        .collect();
    let joined: Vec<(Stage, StageFile, Vec<DuplicateRecord>)> = stage_chunks
        .into_par_iter()
        .zip(given)
        .filter(|(_, given)| *given)
        .map(|((stage, chunks), _)| {
            let kind = stage.file_kind();
            if chunks.len() > MAX_CHUNKS {
                return Err(FatalError::TooManyLines {
                    location: Location::file(kind.stem()),
                    limit: (MAX_CHUNKS * (crate::case::MAX_CHUNK_RECORDS - 1)) as u64,
                });
            }
            let chunks: Vec<StageChunk> = chunks
                .into_par_iter()
                .enumerate()
                .map(|(number, (index, mut chunk))| {
                    let map = &maps[index];
                    for record in &mut chunk.records {
                        record.person = remap(map, record.person);
                    }
                    chunk.renumber(u16::try_from(number).expect("checked against MAX_CHUNKS"));
                    chunk
                })
                .collect();
            let mut file = StageFile::from_chunks(kind, chunks)
                .expect("chunks are numbered in order and sized to fit");
            let duplicates = repeats::deduplicate(&mut file);
            Ok((stage, file, duplicates))
        })
        .collect::<Result<_, FatalError>>()?;
    for (stage, file, duplicates) in joined {
        found_repeats.extend(duplicates);
        match stage {
            Stage::Payout => case.payouts = file,
            Stage::Allocation => case.allocations = Some(file),
            Stage::Transfer => case.transfers = Some(file),
        }
    }
    if !folder.has(FileKind::Payouts) {
        case.payouts = StageFile::from_chunks(FileKind::Payouts, Vec::new()).expect("empty");
    }

    let mut reports: std::collections::BTreeMap<FileId, FileReport> =
        std::collections::BTreeMap::new();
    for (index, book) in collector.books.into_iter().enumerate() {
        let map = &maps[index];
        for (local, source) in book.evidence {
            case.invalid_id_evidence.push((map[local as usize], source));
        }
        for mut duplicate in book.duplicates {
            duplicate.person = remap(map, duplicate.person);
            case.duplicate_records.push(duplicate);
        }
        let report = reports.entry(book.file).or_insert_with(|| FileReport {
            sha256: book.report.sha256.clone(),
            encoding: book.report.encoding,
            delimiter: book.report.delimiter,
            columns: book.report.columns.clone(),
            hidden_not_read: book.report.hidden_not_read.clone(),
            header_line: book.report.header_line,
            ..FileReport::default()
        });
        report.rows += book.report.rows;
        report.id_numbers_upgraded += book.report.id_numbers_upgraded;
        report.bad += book.report.bad;
        report.duplicate += book.report.duplicate;
        report.summary_rows += book.report.summary_rows;
        report.money_total_fen += book.report.money_total_fen;
        for sheet in book.report.sheets {
            match report
                .sheets
                .iter_mut()
                .find(|known| known.index == sheet.index)
            {
                Some(known) => known.rows += sheet.rows,
                None => report.sheets.push(sheet),
            }
        }
        case.bad_records.extend(book.bad);
    }
    for duplicate in &found_repeats {
        reports
            .get_mut(&duplicate.repeat.file)
            .expect("a file with a repeat was read")
            .duplicate += 1;
    }
    case.duplicate_records.extend(found_repeats);
    // SPEC v3: the roster rows that could not be read, by the person their
    // id_number cell names (when any other row names that person).
    case.unreadable_roster = case
        .bad_records
        .iter()
        .filter(|bad| bad.source.kind == FileKind::Roster && !bad.id_number.is_empty())
        .filter_map(|bad| {
            let rank = case
                .people
                .id_numbers
                .binary_search_by(|id| id.as_ref().cmp(&bad.id_number))
                .ok()?;
            Some((PersonId(rank as u32), bad.source))
        })
        .collect();
    case.unreadable_roster.sort_unstable();
    if let Some((id, report)) = policy_report {
        reports.insert(id, report);
    }
    for (&id, report) in &mut reports {
        report.sheets.sort_by_key(|sheet| sheet.index);
        // A workbook read from more than one sheet: evidence names the sheet.
        if report.sheets.len() > 1 {
            let last = report
                .sheets
                .last()
                .map_or(0, |sheet| usize::from(sheet.index));
            let mut names: Vec<Box<str>> = vec![Box::from(""); last + 1];
            for sheet in &report.sheets {
                names[usize::from(sheet.index)] = sheet.name.clone();
            }
            case.inputs.set_sheet_names(id, names);
        }
    }
    case.files = reports.into_iter().collect();
    Ok(case)
}

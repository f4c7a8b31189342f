//! The first pass of a run larger than memory: reads every person-bearing
//! file once, keeping only what must be known about the whole case before
//! any partition is reconciled — the default window, the repeated record
//! ids (whose first occurrence may lie in another partition), and a sample
//! of id_numbers to cut the persons into partitions of similar size.

use rustc_hash::FxHashMap;

use super::repeats::{digest_repeats, Digest, Parts};
use super::table::{self, LoadedFile};
use super::{stages, CaseFolder, Partition, ReadOptions, SeenFile};
use crate::domain::{FileId, FileKind, PeriodRange, Source, Stage};
use crate::error::FatalError;

/// Every this-many stage records, one id_number goes into the sample.
const SAMPLE_EVERY: usize = 64;

pub struct Scan {
    /// Smallest and largest period of any stage record read (ranges
    /// expanded, BAD rows and repeats left out), and the records that set
    /// them: SPEC §3's default window.
    pub bounds: Option<crate::domain::window::Bounds>,
    /// The repeat's row → its first occurrence's row, across each kind's
    /// files.
    pub repeats: FxHashMap<Source, Source>,
    /// Sorted, with repeats: the partition boundaries are its quantiles.
    pub sample: Vec<Box<str>>,
    /// Every input file present, as read: size, time of last change and
    /// SHA-256. Each partition checks it reads the same files.
    pub inputs: Vec<(FileId, SeenFile)>,
    /// Accounts (by [`crate::domain::account::account_hash`]) that `paid` payouts
    /// of two or more persons went into: the only ones SHARED_ACCOUNT
    /// needs to look at across partitions.
    pub shared_account_candidates: rustc_hash::FxHashSet<u128>,
}

pub fn scan(folder: &CaseFolder, options: &ReadOptions) -> Result<Scan, FatalError> {
    let mut result = Scan {
        bounds: None,
        repeats: FxHashMap::default(),
        sample: Vec::new(),
        inputs: Vec::new(),
        shared_account_candidates: rustc_hash::FxHashSet::default(),
    };
    let whole = ReadOptions {
        partition: None,
        progress: None,
        ..options.clone()
    };
    for (id, _) in folder.files_of(FileKind::Policy) {
        let opened = folder.open_file(id)?;
        let fingerprint = opened.fingerprint.clone();
        let sha256 = table::sha256_hex(&opened.read_all()?);
        result.inputs.push((
            id,
            SeenFile {
                fingerprint,
                sha256,
            },
        ));
    }
    for kind in [
        FileKind::Standards,
        FileKind::Exclusions,
        FileKind::Relatives,
        FileKind::Members,
        FileKind::Watchlist,
    ] {
        for (id, _) in folder.files_of(kind) {
            let file = table::load(folder, id, true, options.chunk_bytes)?;
            result.inputs.push((id, seen(&file, file.sha256(true))));
        }
    }
    // Enrolment ids repeat across the roster's files in file order.
    let mut enrolments = Vec::new();
    for (id, _) in folder.files_of(FileKind::Roster) {
        let file = table::load(folder, id, true, options.chunk_bytes)?;
        result.inputs.push((id, seen(&file, file.sha256(true))));
        let outcome = super::roster::read(&file, None)?;
        for enrolment in outcome.records.iter().step_by(SAMPLE_EVERY / 4) {
            result
                .sample
                .push(outcome.people.id_number(enrolment.person.0).into());
        }
        enrolments.extend(outcome.records);
        crate::memory::give_back_freed_memory();
    }
    for duplicate in super::repeats::enrolment_repeats(&mut enrolments) {
        result.repeats.insert(duplicate.repeat, duplicate.first);
    }
    drop(enrolments);
    crate::memory::give_back_freed_memory();
    for stage in Stage::ALL {
        let kind = stage.file_kind();
        let mut digests: Vec<Digest> = Vec::new();
        let mut parts = Parts::default();
        // Account → the first person paid into it, and whether another was.
        let mut payees: FxHashMap<u128, (Box<str>, bool)> = FxHashMap::default();
        for (id, _) in folder.files_of(kind) {
            let file = table::load(folder, id, true, options.chunk_bytes)?;
            let (sha256, scanned) = rayon::join(
                || file.sha256(true),
                || {
                    scan_stage_file(
                        &file,
                        stage,
                        &whole,
                        &mut StageScan {
                            digests: &mut digests,
                            parts: &mut parts,
                            payees: &mut payees,
                            sample: &mut result.sample,
                        },
                    )
                },
            );
            scanned?;
            result.inputs.push((id, seen(&file, sha256)));
            crate::memory::give_back_freed_memory();
        }
        result.shared_account_candidates.extend(
            payees
                .into_iter()
                .filter(|(_, (_, shared))| *shared)
                .map(|(account, _)| account),
        );
        let (bounds, repeats) = (&mut result.bounds, &mut result.repeats);
        digest_repeats(
            &mut digests,
            |first| {
                let (start, span) = first.periods();
                let periods = PeriodRange {
                    first: crate::domain::Period::from_index(start),
                    last: crate::domain::Period::from_index(start + span),
                };
                *bounds = Some(crate::domain::window::Bounds::including(
                    *bounds,
                    periods,
                    parts.source(kind, first),
                ));
            },
            |first, repeat| {
                repeats.insert(parts.source(kind, repeat), parts.source(kind, first));
            },
        );
        drop(digests);
        crate::memory::give_back_freed_memory();
    }
    result.inputs.sort_by_key(|(id, _)| *id);
    result.sample.sort_unstable();
    Ok(result)
}

fn seen(file: &LoadedFile, sha256: String) -> SeenFile {
    SeenFile {
        fingerprint: file.fingerprint.clone(),
        sha256,
    }
}

/// What the scan of a stage's files gathers across them.
struct StageScan<'a> {
    digests: &'a mut Vec<Digest>,
    parts: &'a mut Parts,
    /// Account → the first person paid into it, and whether another was.
    payees: &'a mut FxHashMap<u128, (Box<str>, bool)>,
    sample: &'a mut Vec<Box<str>>,
}

/// Reads one file of a stage whole, in chunks, keeping a [`Digest`] of
/// each record, a sample of id_numbers and the accounts paid into.
fn scan_stage_file(
    file: &LoadedFile,
    stage: Stage,
    options: &ReadOptions,
    into: &mut StageScan<'_>,
) -> Result<(), FatalError> {
    use rayon::prelude::*;
    let columns = stages::columns(stage);
    let mut money_fen: i128 = 0;
    for body in table::read_bodies(file, &columns)? {
        let part =
            into.parts
                .number(file.id, body.sheet)
                .ok_or_else(|| FatalError::TooManyLines {
                    location: crate::error::Location::file(file.name()),
                    limit: super::repeats::MAX_PARTS as u64,
                })?;
        let chunks = stages::split(file, &body, options)?;
        // Records ≤ lines; a chunk has fewer than MAX_CHUNK_RECORDS records, and
        // all but the last end where the next begins: reserve once, so the
        // vector never doubles.
        let lines: u64 = chunks
            .last()
            .map_or(0, |last| last.first_line - body.first_line)
            + crate::case::MAX_CHUNK_RECORDS as u64;
        into.digests.reserve(usize::try_from(lines).unwrap_or(0));
        stages::for_batches(file, &chunks, options, |_, batch| {
            type Payee = (u128, Box<str>);
            /// One chunk's digests, sampled id_numbers and payees.
            type ChunkScan = (Vec<Digest>, Vec<Box<str>>, Vec<Payee>, i128);
            let parsed: Vec<ChunkScan> = batch
                .par_iter()
                .map(|chunk| {
                    // Cut by `split` at record boundaries: whether a chunk looked
                    // past its end (a quote never closed near it) changes nothing.
                    let (outcome, _) =
                        stages::read_chunk(file, stage, &columns, &body, *chunk, 0, options)?;
                    let chunk_money = stages::money_total_fen(std::iter::once(&outcome.records));
                    let chunk_records = &outcome.records.records;
                    let digests = chunk_records
                        .iter()
                        .map(|record| {
                            Digest::new(
                                outcome.records.text.record_id(record.texts),
                                part,
                                record.line,
                                record.periods.first.index(),
                                record.periods.last.index() - record.periods.first.index(),
                            )
                        })
                        .collect();
                    let sample = chunk_records
                        .iter()
                        .step_by(SAMPLE_EVERY)
                        .map(|record| Box::<str>::from(outcome.people.id_number(record.person.0)))
                        .collect();
                    // Distinct (account, person) in a row: payouts come person by person.
                    let mut payees: Vec<Payee> = Vec::new();
                    if stage == Stage::Payout {
                        let mut previous: Option<(&str, u32)> = None;
                        for record in chunk_records.iter().filter(|record| record.is_paid()) {
                            let account = outcome.records.text.payee(record.texts).1;
                            if account.is_empty() || previous == Some((account, record.person.0)) {
                                continue;
                            }
                            previous = Some((account, record.person.0));
                            payees.push((
                                crate::domain::account::account_hash(account),
                                outcome.people.id_number(record.person.0).into(),
                            ));
                        }
                    }
                    Ok((digests, sample, payees, chunk_money))
                })
                .collect::<Result<_, FatalError>>()?;
            for (chunk_digests, sample, chunk_payees, chunk_money) in parsed {
                money_fen += chunk_money;
                into.digests.extend(chunk_digests);
                into.sample.extend(sample);
                for (account, person) in chunk_payees {
                    let entry = into
                        .payees
                        .entry(account)
                        .or_insert((person.clone(), false));
                    entry.1 |= entry.0 != person;
                }
            }
            Ok(())
        })?;
    }
    super::values::check_money_total(file.name(), money_fen)
}

/// Cuts the sorted `sample` into `count` partitions of about equal size.
pub fn partitions(
    sample: &[Box<str>],
    count: usize,
    repeats: &FxHashMap<Source, Source>,
    inputs: &[(FileId, SeenFile)],
) -> Vec<Partition> {
    let inputs = std::sync::Arc::new(inputs.to_vec());
    let mut bounds: Vec<Box<str>> = (1..count)
        .filter_map(|index| sample.get(index * sample.len() / count).cloned())
        .collect();
    bounds.dedup();
    let mut partitions = Vec::with_capacity(bounds.len() + 1);
    let mut low: Option<Box<str>> = None;
    for bound in bounds {
        partitions.push(Partition {
            low: low.replace(bound.clone()),
            high: Some(bound),
            repeats: repeats.clone(),
            inputs: inputs.clone(),
            hash_inputs: false,
        });
    }
    partitions.push(Partition {
        low,
        high: None,
        repeats: repeats.clone(),
        inputs,
        hash_inputs: true,
    });
    partitions
}

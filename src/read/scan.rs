//! The first pass of a run larger than memory: reads every person-bearing
//! file once, keeping only what must be known about the whole case before
//! any partition is reconciled — the default window, the repeated record
//! ids (whose first occurrence may lie in another partition), and a sample
//! of id_numbers to cut the persons into partitions of similar size.

use rustc_hash::FxHashMap;

use super::table::{self, LoadedFile};
use super::{stages, CaseFolder, Partition, ReadOptions, SeenFile};
use crate::domain::{FileKind, PeriodRange, Stage};
use crate::error::FatalError;

/// Every this-many stage records, one id_number goes into the sample.
const SAMPLE_EVERY: usize = 64;

pub struct Scan {
    /// Smallest and largest period of any stage record read (ranges
    /// expanded, BAD rows and repeats left out), and the records that set
    /// them: SPEC §3's default window.
    pub bounds: Option<crate::domain::window::Bounds>,
    pub repeats: FxHashMap<(FileKind, u32), u32>,
    /// Sorted, with repeats: the partition boundaries are its quantiles.
    pub sample: Vec<Box<str>>,
    /// Every input file present, as read: size, time of last change and
    /// SHA-256. Each partition checks it reads the same files.
    pub inputs: Vec<(FileKind, SeenFile)>,
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
    if let Some(opened) = folder.open_file(FileKind::Policy)? {
        let fingerprint = opened.fingerprint.clone();
        let sha256 = table::sha256_hex(&opened.read_all()?);
        result.inputs.push((
            FileKind::Policy,
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
    ] {
        if let Some(file) = table::load(folder, kind, true, options.chunk_bytes)? {
            result.inputs.push((kind, seen(&file, file.sha256(true))));
        }
    }
    if let Some(file) = table::load(folder, FileKind::Roster, true, options.chunk_bytes)? {
        result
            .inputs
            .push((FileKind::Roster, seen(&file, file.sha256(true))));
        let outcome = super::roster::read(&file, None)?;
        for duplicate in &outcome.duplicates {
            result.repeats.insert(
                (FileKind::Roster, duplicate.repeat_line),
                duplicate.first_line,
            );
        }
        for enrolment in outcome.records.iter().step_by(SAMPLE_EVERY / 4) {
            result
                .sample
                .push(outcome.people.id_number(enrolment.person.0).into());
        }
        drop(outcome);
        crate::memory::give_back_freed_memory();
    }
    for stage in Stage::ALL {
        let kind = stage.file_kind();
        let Some(file) = table::load(folder, kind, true, options.chunk_bytes)? else {
            continue;
        };
        let (sha256, scanned) = rayon::join(
            || file.sha256(true),
            || scan_stage_file(&file, stage, &whole, &mut result),
        );
        scanned?;
        result.inputs.push((kind, seen(&file, sha256)));
        crate::memory::give_back_freed_memory();
    }
    result.sample.sort_unstable();
    Ok(result)
}

fn seen(file: &LoadedFile, sha256: String) -> SeenFile {
    SeenFile {
        fingerprint: file.fingerprint.clone(),
        sha256,
    }
}

/// What the scan keeps of one stage record: 24 bytes, sorted by hash.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Digest {
    /// 96 bits of the record id's XXH3-128.
    hash: [u32; 3],
    line: u32,
    first: u32,
    /// Months after `first`: any range fits, so the bounds it sets (and
    /// names, when the window is too long) are exact.
    span: u32,
}

const _: () = assert!(std::mem::size_of::<Digest>() == 24);

/// Record ids are compared by 96 bits of their XXH3-128 hash: a false
/// repeat would need two distinct ids of one file to collide, odds below
/// 1 in 10^11 even for a billion records. Digests are sorted rather than
/// hashed into a map: 24 bytes a record, and sorting runs in parallel.
fn scan_stage_file(
    file: &LoadedFile,
    stage: Stage,
    options: &ReadOptions,
    result: &mut Scan,
) -> Result<(), FatalError> {
    use rayon::prelude::*;
    let kind = stage.file_kind();
    let columns = stages::columns(stage);
    let body = table::read_header(file, &columns)?;
    let chunks = stages::split(file, &body, options)?;
    // Records ≤ lines; a chunk has fewer than MAX_CHUNK_RECORDS records, and
    // all but the last end where the next begins: reserve once, so the
    // vector never doubles.
    let lines: u64 = chunks
        .last()
        .map_or(0, |last| last.first_line - body.first_line)
        + crate::case::MAX_CHUNK_RECORDS as u64;
    let mut digests: Vec<Digest> = Vec::with_capacity(usize::try_from(lines).unwrap_or(0));
    // Account → the first person paid into it, and whether another was.
    let mut payees: FxHashMap<u128, (Box<str>, bool)> = FxHashMap::default();
    let mut money_fen: i128 = 0;
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
                    stages::read_chunk(file, stage, &columns, &body.header, *chunk, 0, options)?;
                let chunk_money = stages::money_total_fen(std::iter::once(&outcome.records));
                let chunk_records = &outcome.records.records;
                let digests = chunk_records
                    .iter()
                    .map(|record| {
                        let record_id = outcome.records.text.record_id(record.texts);
                        let hash = xxhash_rust::xxh3::xxh3_128(record_id.as_bytes());
                        Digest {
                            hash: [
                                (hash >> 96) as u32,
                                (hash >> 64) as u32,
                                (hash >> 32) as u32,
                            ],
                            line: record.line,
                            first: record.periods.first.index(),
                            span: record.periods.last.index() - record.periods.first.index(),
                        }
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
            digests.extend(chunk_digests);
            result.sample.extend(sample);
            for (account, person) in chunk_payees {
                let entry = payees.entry(account).or_insert((person.clone(), false));
                entry.1 |= entry.0 != person;
            }
        }
        Ok(())
    })?;
    super::check_money_total(kind, money_fen)?;
    result.shared_account_candidates.extend(
        payees
            .into_iter()
            .filter(|(_, (_, shared))| *shared)
            .map(|(account, _)| account),
    );
    // Equal hashes are one record id; the smallest line is its first
    // occurrence, every other line a repeat.
    digests.par_sort_unstable();
    for group in digests.chunk_by(|a, b| a.hash == b.hash) {
        let first = group[0];
        for repeat in &group[1..] {
            result.repeats.insert((kind, repeat.line), first.line);
        }
        let periods = PeriodRange {
            first: crate::domain::Period::from_index(first.first),
            last: crate::domain::Period::from_index(first.first + first.span),
        };
        result.bounds = Some(crate::domain::window::Bounds::including(
            result.bounds,
            periods,
            crate::domain::Source::in_format(kind, file.format, first.line),
        ));
    }
    Ok(())
}

/// Cuts the sorted `sample` into `count` partitions of about equal size.
pub fn partitions(
    sample: &[Box<str>],
    count: usize,
    repeats: &FxHashMap<(FileKind, u32), u32>,
    inputs: &[(FileKind, SeenFile)],
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

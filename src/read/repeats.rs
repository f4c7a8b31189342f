//! Which record repeats another (SPEC §5 DUPLICATE_RECORD): the first
//! occurrence of a record id counts, in the order of the kind's files (by
//! name, SPEC v3), then sheet and line; every later row with that id is a
//! repeat, window or not, and does not count. A BAD_RECORD row claims no
//! id. Decided here for every reading of a case: the roster's enrolment
//! ids, a stage's record ids when the case is read whole
//! ([`deduplicate`]), and both when a run larger than memory scans each
//! kind's files first ([`Digest`]).

use rustc_hash::FxHashMap;

use crate::case::{
    record_id_hash, DuplicateRecord, Enrolment, StageChunk, StageFile, CHUNK_INDEX_BITS,
};
use crate::domain::{FileKind, Source};

/// Keeps the first enrolment of each enrolment_id, in the order given
/// (the roster's files in name order, each in row order), and returns the
/// repeats in that order.
pub fn enrolment_repeats(enrolments: &mut Vec<Enrolment>) -> Vec<DuplicateRecord> {
    debug_assert!(
        enrolments
            .windows(2)
            .all(|pair| pair[0].source <= pair[1].source),
        "enrolments come in file order"
    );
    let mut first_row: FxHashMap<&str, Source> = FxHashMap::default();
    let mut keep = vec![true; enrolments.len()];
    let mut repeats = Vec::new();
    for (index, enrolment) in enrolments.iter().enumerate() {
        match first_row.get(enrolment.enrolment_id.as_ref()) {
            Some(&first) => {
                keep[index] = false;
                repeats.push(DuplicateRecord {
                    kind: FileKind::Roster,
                    first,
                    repeat: enrolment.source,
                    record_id: enrolment.enrolment_id.clone(),
                    person: enrolment.person,
                    program: enrolment.program,
                    periods: None,
                });
            }
            None => {
                first_row.insert(&enrolment.enrolment_id, enrolment.source);
            }
        }
    }
    drop(first_row);
    let mut keep = keep.into_iter();
    enrolments.retain(|_| keep.next().expect("one flag per enrolment"));
    repeats
}

/// Keeps the first occurrence of each record id and returns the repeats
/// (SPEC §5 DUPLICATE_RECORD: window or not; BAD rows claim no id), in
/// file order.
///
/// Sorts one `u64` per record — a 32-bit hash of its id above its index —
/// rather than filling a hash map of the ids: 8 bytes a record instead of
/// about 40, and no rehashing as the map grows. Records whose hashes are
/// equal are compared by their text, so a collision of two different ids
/// only costs a comparison.
pub fn deduplicate(file: &mut StageFile) -> Vec<DuplicateRecord> {
    use rayon::prelude::*;
    file.chunks_mut().par_iter_mut().for_each(|chunk| {
        if chunk.id_hashes.len() != chunk.records.len() {
            let text = &chunk.text;
            chunk.id_hashes = chunk
                .records
                .iter()
                .map(|record| record_id_hash(text.record_id(record.texts)))
                .collect();
        }
    });
    let keys = sorted_id_keys(file.chunks());
    assert_eq!(keys.len(), file.len(), "one key per record");
    for chunk in file.chunks_mut() {
        chunk.id_hashes = Vec::new();
    }
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
                kind: file.kind(),
                first: file.source(file.record(first)),
                repeat: file.source(record),
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

/// Buckets the sort of [`sorted_id_keys`] starts with: by the top bits of
/// the hash, so a bucket holds a few dozen keys of a file of millions.
const KEY_BUCKET_BITS: u32 = 16;

/// Every record's key — its id's hash (`id_hashes`) above its index —
/// sorted. A counting sort on the hash's top bits (the hashes are uniform,
/// so the buckets are even), then each small bucket sorted on its own in
/// parallel: cheaper than a comparison sort of the whole, whose every pass
/// goes through memory.
fn sorted_id_keys(chunks: &[StageChunk]) -> Vec<u64> {
    use rayon::prelude::*;
    let buckets = 1usize << KEY_BUCKET_BITS;
    let bucket_of = |hash: u32| (hash >> (32 - KEY_BUCKET_BITS)) as usize;
    let mut starts = vec![0usize; buckets + 1];
    for chunk in chunks {
        for &hash in &chunk.id_hashes {
            starts[bucket_of(hash) + 1] += 1;
        }
    }
    for bucket in 0..buckets {
        starts[bucket + 1] += starts[bucket];
    }
    let total = starts[buckets];
    let mut keys = vec![0u64; total];
    let mut next = starts.clone();
    for (number, chunk) in chunks.iter().enumerate() {
        let base = (number as u32) << CHUNK_INDEX_BITS;
        for (place, &hash) in chunk.id_hashes.iter().enumerate() {
            let slot = &mut next[bucket_of(hash)];
            keys[*slot] = u64::from(hash) << 32 | u64::from(base | place as u32);
            *slot += 1;
        }
    }
    let mut pieces: Vec<&mut [u64]> = Vec::with_capacity(buckets);
    let mut rest: &mut [u64] = &mut keys;
    for bucket in 0..buckets {
        let (piece, after) = rest.split_at_mut(starts[bucket + 1] - starts[bucket]);
        pieces.push(piece);
        rest = after;
    }
    debug_assert!(rest.is_empty());
    pieces
        .par_iter_mut()
        .with_min_len(1 << 10)
        .for_each(|piece| piece.sort_unstable());
    debug_assert!(keys.is_sorted());
    keys
}

/// What the first pass of a run larger than memory keeps of one record to
/// find repeated ids across a kind's files: 24 bytes, sorted.
///
/// Record ids are compared by 80 bits of their XXH3-128 hash: a false
/// repeat would need two distinct ids of one kind to collide, odds of
/// about 1 in 10^9 for a hundred million records (n² / 2^81). Digests
/// are sorted rather than hashed into a map: 24 bytes a record, and
/// sorting runs in parallel. Sorted, equal hashes are one id and its
/// rows in file order, the first of them the first occurrence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Digest {
    hash_high: u64,
    hash_low: u16,
    /// The (file, sheet) the row is in, numbered in file order
    /// ([`Parts`]).
    part: u16,
    line: u32,
    /// The record's first period (its index) and its months after that:
    /// any range fits, so the bounds it sets are exact.
    first: u32,
    span: u32,
}

const _: () = assert!(std::mem::size_of::<Digest>() == 24);

impl Digest {
    pub fn new(record_id: &str, part: u16, line: u32, first: u32, span: u32) -> Digest {
        let hash = xxhash_rust::xxh3::xxh3_128(record_id.as_bytes());
        Digest {
            hash_high: (hash >> 64) as u64,
            hash_low: (hash >> 48) as u16,
            part,
            line,
            first,
            span,
        }
    }

    fn same_id(&self, other: &Digest) -> bool {
        (self.hash_high, self.hash_low) == (other.hash_high, other.hash_low)
    }

    /// The record's first period and its months after it.
    pub fn periods(&self) -> (u32, u32) {
        (self.first, self.span)
    }
}

/// The (file, sheet) parts of a kind's files in file order, numbered for
/// [`Digest::part`].
#[derive(Debug, Default)]
pub struct Parts {
    parts: Vec<(crate::domain::FileId, u16)>,
}

/// Most (file, sheet) parts of one kind a run larger than memory reads.
pub const MAX_PARTS: usize = u16::MAX as usize;

impl Parts {
    /// The number of `(file, sheet)`, added after the others; `None` past
    /// [`MAX_PARTS`].
    pub fn number(&mut self, file: crate::domain::FileId, sheet: u16) -> Option<u16> {
        if let Some(last) = self.parts.last() {
            debug_assert!(*last <= (file, sheet), "parts come in file order");
            if *last == (file, sheet) {
                return Some((self.parts.len() - 1) as u16);
            }
        }
        if self.parts.len() >= MAX_PARTS {
            return None;
        }
        self.parts.push((file, sheet));
        Some((self.parts.len() - 1) as u16)
    }

    pub fn source(&self, kind: FileKind, digest: &Digest) -> Source {
        let (file, sheet) = self.parts[usize::from(digest.part)];
        Source::in_file(kind, file, sheet, digest.line)
    }
}

/// Sorts `digests` and calls `first(digest)` for the first occurrence of
/// each record id and `repeat(first, repeat)` for every repeat.
pub fn digest_repeats(
    digests: &mut [Digest],
    mut first: impl FnMut(&Digest),
    mut repeat: impl FnMut(&Digest, &Digest),
) {
    use rayon::prelude::*;
    digests.par_sort_unstable();
    for group in digests.chunk_by(|a, b| a.same_id(b)) {
        first(&group[0]);
        for later in &group[1..] {
            repeat(&group[0], later);
        }
    }
}

//! Interning id_numbers: each file interns locally (files are read in
//! parallel), then [`merge`] gives every distinct id_number its global rank.

use rustc_hash::FxHashMap;

use crate::case::{People, PersonId};
use crate::domain::id_number;

/// One file's distinct id_numbers, in first-seen order.
#[derive(Default)]
pub struct LocalPeople {
    index: FxHashMap<Box<str>, u32>,
    id_numbers: Vec<Box<str>>,
    valid: Vec<bool>,
}

impl LocalPeople {
    /// The local number of `raw` (normalised first) and whether it passes the
    /// check-character test.
    pub fn intern(&mut self, raw: &str) -> (u32, bool) {
        let normalised = id_number::normalise(raw);
        if let Some(&local) = self.index.get(normalised.as_ref()) {
            return (local, self.valid[local as usize]);
        }
        let local =
            u32::try_from(self.id_numbers.len()).expect("fewer than 4 billion people in one file");
        let valid = id_number::is_valid(&normalised);
        let boxed: Box<str> = normalised.into();
        self.index.insert(boxed.clone(), local);
        self.id_numbers.push(boxed);
        self.valid.push(valid);
        (local, valid)
    }
}

/// Sorts and deduplicates the id_numbers of all files; returns the global
/// table and, per file, the map from local number to `PersonId`.
pub fn merge(files: Vec<LocalPeople>) -> (People, Vec<Vec<PersonId>>) {
    let mut all: Vec<Box<str>> = files
        .iter()
        .flat_map(|file| file.id_numbers.iter().cloned())
        .collect();
    all.sort_unstable();
    all.dedup();
    let maps = files
        .iter()
        .map(|file| {
            file.id_numbers
                .iter()
                .map(|id| {
                    let rank = all
                        .binary_search(id)
                        .expect("every local id_number is in the merged table");
                    PersonId(u32::try_from(rank).expect("fewer than 4 billion people"))
                })
                .collect()
        })
        .collect();
    (People { id_numbers: all }, maps)
}

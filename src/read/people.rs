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
    /// Rows whose ID number was an old 15-digit one, upgraded.
    pub upgraded: u64,
    /// The cell last interned and its answer: a person's rows usually
    /// follow one another (files are exported sorted by person or
    /// account), so most rows skip normalising and the hash look-up.
    last: Option<(String, u32, bool)>,
}

impl LocalPeople {
    /// The local number of `raw` (normalised first) and whether it passes the
    /// check-character test.
    pub fn intern(&mut self, raw: &str) -> (u32, bool) {
        if raw.len() == 15 && id_number::is_old_form(raw) {
            self.upgraded += 1;
        }
        if let Some((last, local, valid)) = &self.last {
            if last == raw {
                return (*local, *valid);
            }
        }
        let (local, valid) = self.intern_new(raw);
        let last = self.last.get_or_insert_with(|| (String::new(), 0, false));
        last.0.clear();
        last.0.push_str(raw);
        (last.1, last.2) = (local, valid);
        (local, valid)
    }

    fn intern_new(&mut self, raw: &str) -> (u32, bool) {
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

impl LocalPeople {
    pub fn id_number(&self, local: u32) -> &str {
        &self.id_numbers[local as usize]
    }
}

/// Sorts and deduplicates the id_numbers of all files (or file chunks);
/// returns the global table and, per input, the map from local number to
/// `PersonId`.
pub fn merge(files: Vec<LocalPeople>) -> (People, Vec<Vec<PersonId>>) {
    use rayon::prelude::*;
    let mut distinct: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    for file in &files {
        distinct.extend(file.id_numbers.iter().map(|id| id.as_ref()));
    }
    let mut all: Vec<&str> = distinct.into_iter().collect();
    all.par_sort_unstable();
    let rank: FxHashMap<&str, PersonId> = all
        .iter()
        .enumerate()
        .map(|(rank, id)| {
            (
                *id,
                PersonId(u32::try_from(rank).expect("fewer than 4 billion people")),
            )
        })
        .collect();
    let maps = files
        .par_iter()
        .map(|file| file.id_numbers.iter().map(|id| rank[id.as_ref()]).collect())
        .collect();
    let id_numbers = all.iter().map(|id| Box::<str>::from(*id)).collect();
    drop(rank);
    (People { id_numbers }, maps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_cell_gets_the_same_person_and_the_upgrade_is_counted_per_row() {
        let mut people = LocalPeople::default();
        let old_form = "110101800101001"; // 15 digits: upgraded to 18
        let first = people.intern(old_form);
        assert_eq!(people.intern(old_form), first);
        let other = people.intern("220101199001010011");
        assert_ne!(other.0, first.0);
        assert_eq!(people.intern(old_form), first);
        assert_eq!(people.upgraded, 3);
        assert_eq!(people.id_numbers.len(), 2);
        assert_eq!(people.id_number(first.0).len(), 18);
    }
}

//! Interning id_numbers: each file interns locally (files are read in
//! parallel), then [`merge`] gives every distinct id_number its global rank.
//!
//! An id_number of the standard form — 17 digits and a digit or `X`, as
//! nearly all are — is kept as a number ([`code`]) that sorts as its text
//! does: interning and merging them hash and sort plain integers, and no
//! text is stored per person until the merged table is made. Any other
//! text is kept as text, and merged into the same order.

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use crate::case::{People, PersonId};
use crate::domain::id_number;

/// Characters of a standard-form id_number.
const STANDARD_LENGTH: usize = 18;

/// A local key with this bit set is an index into [`LocalPeople`]'s other
/// texts; without it, a [`code`]. (Codes stay below 1.1 × 10^18 < 2^60.)
const OTHER_BIT: u64 = 1 << 63;

/// The code of a standard-form id_number: its 17 digits as a number, times
/// 11, plus its last character (a digit, or 10 for `X`). Two codes compare
/// as their texts do: same length, digit by digit, and `X` after `9`.
fn code(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.len() != STANDARD_LENGTH {
        return None;
    }
    let mut number: u64 = 0;
    for &byte in &bytes[..STANDARD_LENGTH - 1] {
        if !byte.is_ascii_digit() {
            return None;
        }
        number = number * 10 + u64::from(byte - b'0');
    }
    let last = match bytes[STANDARD_LENGTH - 1] {
        digit @ b'0'..=b'9' => u64::from(digit - b'0'),
        b'X' => 10,
        _ => return None,
    };
    Some(number * 11 + last)
}

/// The text of a [`code`].
fn decode(code: u64) -> [u8; STANDARD_LENGTH] {
    let mut text = [0u8; STANDARD_LENGTH];
    let last = (code % 11) as u8;
    text[STANDARD_LENGTH - 1] = if last == 10 { b'X' } else { b'0' + last };
    let mut number = code / 11;
    for place in (0..STANDARD_LENGTH - 1).rev() {
        text[place] = b'0' + (number % 10) as u8;
        number /= 10;
    }
    debug_assert_eq!(number, 0, "a code holds 17 digits");
    text
}

fn decoded(code: u64) -> String {
    let text = decode(code);
    std::str::from_utf8(&text)
        .expect("a decoded id_number is ASCII")
        .to_owned()
}

/// One file's distinct id_numbers, in first-seen order.
#[derive(Default)]
pub struct LocalPeople {
    /// Per local number: a [`code`], or [`OTHER_BIT`] and an index into
    /// `others`.
    keys: Vec<u64>,
    valid: Vec<bool>,
    coded: FxHashMap<u64, u32>,
    others: Vec<Box<str>>,
    other_index: FxHashMap<Box<str>, u32>,
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
        let next = u32::try_from(self.keys.len()).expect("fewer than 4 billion people in one file");
        let key = match code(&normalised) {
            Some(code) => {
                let local = *self.coded.entry(code).or_insert(next);
                if local != next {
                    return (local, self.valid[local as usize]);
                }
                code
            }
            None => {
                if let Some(&local) = self.other_index.get(normalised.as_ref()) {
                    return (local, self.valid[local as usize]);
                }
                let index = self.others.len() as u64;
                let boxed: Box<str> = normalised.as_ref().into();
                self.other_index.insert(boxed.clone(), next);
                self.others.push(boxed);
                OTHER_BIT | index
            }
        };
        let valid = id_number::is_valid(&normalised);
        self.keys.push(key);
        self.valid.push(valid);
        (next, valid)
    }

    /// The id_number of a local number, normalised.
    pub fn id_number(&self, local: u32) -> Cow<'_, str> {
        let key = self.keys[local as usize];
        if key & OTHER_BIT == 0 {
            Cow::Owned(decoded(key))
        } else {
            Cow::Borrowed(&self.others[(key & !OTHER_BIT) as usize])
        }
    }
}

/// Sorts and deduplicates the id_numbers of all files (or file chunks);
/// returns the global table and, per input, the map from local number to
/// `PersonId`.
pub fn merge(files: Vec<LocalPeople>) -> (People, Vec<Vec<PersonId>>) {
    use rayon::prelude::*;
    // The distinct codes and other texts, each sorted.
    let mut codes: Vec<u64> = files
        .par_iter()
        .flat_map_iter(|file| file.keys.iter().copied().filter(|key| key & OTHER_BIT == 0))
        .collect();
    codes.par_sort_unstable();
    codes.dedup();
    let mut texts: Vec<&str> = files
        .iter()
        .flat_map(|file| file.others.iter().map(AsRef::as_ref))
        .collect();
    texts.par_sort_unstable();
    texts.dedup();

    // Both lists merged in text order: a code's rank and a text's rank.
    let total = codes.len() + texts.len();
    assert!(u32::try_from(total).is_ok(), "fewer than 4 billion people");
    let mut code_ranks: Vec<u32> = Vec::with_capacity(codes.len());
    let mut text_ranks: Vec<u32> = Vec::with_capacity(texts.len());
    let mut order: Vec<Result<u64, &str>> = Vec::with_capacity(total);
    let (mut next_code, mut next_text) = (0, 0);
    while next_code < codes.len() || next_text < texts.len() {
        let take_code = match (codes.get(next_code), texts.get(next_text)) {
            (Some(&code), Some(text)) => decode(code).as_slice() < text.as_bytes(),
            (Some(_), None) => true,
            _ => false,
        };
        let rank = order.len() as u32;
        if take_code {
            code_ranks.push(rank);
            order.push(Ok(codes[next_code]));
            next_code += 1;
        } else {
            text_ranks.push(rank);
            order.push(Err(texts[next_text]));
            next_text += 1;
        }
    }
    let rank_of = |file: &LocalPeople, key: u64| -> PersonId {
        let rank = if key & OTHER_BIT == 0 {
            code_ranks[codes.binary_search(&key).expect("every code was merged")]
        } else {
            let text: &str = &file.others[(key & !OTHER_BIT) as usize];
            text_ranks[texts.binary_search(&text).expect("every text was merged")]
        };
        PersonId(rank)
    };
    let maps = files
        .par_iter()
        .map(|file| file.keys.iter().map(|&key| rank_of(file, key)).collect())
        .collect();
    let id_numbers = order
        .par_iter()
        .map(|entry| match entry {
            Ok(code) => decoded(*code).into_boxed_str(),
            Err(text) => Box::<str>::from(*text),
        })
        .collect();
    drop(order);
    drop(texts);
    // Each file's tables freed on its own thread.
    files.into_par_iter().for_each(drop);
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
        assert_eq!(people.keys.len(), 2);
        assert_eq!(people.id_number(first.0).len(), 18);
    }

    #[test]
    fn a_code_sorts_as_its_text_and_decodes_to_it() {
        let texts = [
            "000000000000000000",
            "000000000000000009",
            "00000000000000000X",
            "000000000000000010",
            "110101199001010011",
            "11010119900101001X",
            "110101199001010020",
            "99999999999999999X",
        ];
        for pair in texts.windows(2) {
            assert!(pair[0] < pair[1], "the list is in text order");
            let (first, second) = (code(pair[0]).unwrap(), code(pair[1]).unwrap());
            assert!(first < second, "{} sorts before {}", pair[0], pair[1]);
        }
        for text in texts {
            let code = code(text).unwrap();
            assert!(code < OTHER_BIT, "a code leaves the flag bit free");
            assert_eq!(decoded(code), text);
        }
        for other in [
            "11010119900101001x", // normalised before coding, never coded
            "1101011990010100111",
            "11010119900101001",
            "11010119900101001Y",
            "1101011990 1010011",
            "",
        ] {
            assert_eq!(code(other), None, "{other:?} is kept as text");
        }
    }

    #[test]
    fn merging_ranks_coded_and_other_ids_together_in_text_order() {
        let mut first = LocalPeople::default();
        let mut second = LocalPeople::default();
        // Texts that are not of the standard form sort among the coded ones.
        let in_first = ["220101199001010011", "1101", "99X", "110101199001010011"];
        let in_second = ["2201011990010100", "110101199001010011", "", "99X"];
        let first_locals: Vec<u32> = in_first.iter().map(|id| first.intern(id).0).collect();
        let second_locals: Vec<u32> = in_second.iter().map(|id| second.intern(id).0).collect();
        assert_eq!(first.id_number(first_locals[2]), "99X");
        let (people, maps) = merge(vec![first, second]);
        let mut expected: Vec<&str> = in_first.iter().chain(&in_second).copied().collect();
        expected.sort_unstable();
        expected.dedup();
        let merged: Vec<&str> = people.id_numbers.iter().map(AsRef::as_ref).collect();
        assert_eq!(merged, expected);
        for (locals, ids, map) in [
            (&first_locals, &in_first, &maps[0]),
            (&second_locals, &in_second, &maps[1]),
        ] {
            for (local, id) in locals.iter().zip(ids.iter()) {
                assert_eq!(people.id_number(map[*local as usize]), *id);
            }
        }
    }
}

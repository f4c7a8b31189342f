//! The case's names of its regions (regions.csv, optional): a 12-digit
//! village code or a 9-digit town code with the name a township office
//! knows it by. Pure look-ups; reading the file is `read::regions`.

use std::collections::BTreeMap;

/// What a region name stands for, looked up in [`Regions`].
#[derive(Debug, PartialEq, Eq)]
pub enum NameLookup<'r> {
    /// One code has this name.
    One(&'r str),
    /// No code has it.
    Unknown,
    /// Several codes have it (the same village name in two towns).
    Several(Vec<&'r str>),
}

/// Codes and their names, both ways. Empty when the case has no
/// regions.csv: then every look-up finds nothing and every sheet shows the
/// codes as before.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Regions {
    names: BTreeMap<Box<str>, Box<str>>,
    codes_by_name: BTreeMap<Box<str>, Vec<Box<str>>>,
}

impl Regions {
    /// From (code, name) pairs, each code once (the reader checks).
    pub fn new(pairs: impl IntoIterator<Item = (Box<str>, Box<str>)>) -> Regions {
        let mut regions = Regions::default();
        for (code, name) in pairs {
            regions
                .codes_by_name
                .entry(name.clone())
                .or_default()
                .push(code.clone());
            let previous = regions.names.insert(code, name);
            debug_assert!(previous.is_none(), "a code is named once");
        }
        for codes in regions.codes_by_name.values_mut() {
            codes.sort();
        }
        regions
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// The name of `code`, when regions.csv gives one.
    pub fn name_of(&self, code: &str) -> Option<&str> {
        self.names.get(code).map(AsRef::as_ref)
    }

    /// `code` as a person reads it: its name, else the code itself.
    pub fn display<'a>(&'a self, code: &'a str) -> &'a str {
        self.name_of(code).unwrap_or(code)
    }

    /// The code(s) named `name` (white space around it ignored).
    pub fn code_of(&self, name: &str) -> NameLookup<'_> {
        match self.codes_by_name.get(name.trim()) {
            None => NameLookup::Unknown,
            Some(codes) if codes.len() == 1 => NameLookup::One(&codes[0]),
            Some(codes) => NameLookup::Several(codes.iter().map(AsRef::as_ref).collect()),
        }
    }
}

/// True when a region cell holds a code (digits), not a name.
pub fn is_code(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions() -> Regions {
        Regions::new([
            ("510104001001".into(), "东风村".into()),
            ("510104001".into(), "红星镇".into()),
            ("510104002003".into(), "新华村".into()),
            ("510104003003".into(), "新华村".into()),
        ])
    }

    #[test]
    fn names_map_to_codes_once_or_say_why_not() {
        let regions = regions();
        assert_eq!(regions.code_of(" 东风村 "), NameLookup::One("510104001001"));
        assert_eq!(regions.code_of("西山村"), NameLookup::Unknown);
        assert_eq!(
            regions.code_of("新华村"),
            NameLookup::Several(vec!["510104002003", "510104003003"])
        );
        assert_eq!(regions.display("510104001"), "红星镇");
        assert_eq!(regions.display("510104009009"), "510104009009");
        assert!(is_code(" 510104001001") && !is_code("东风村") && !is_code(""));
    }
}

//! Where a fact came from: `file:line`, the evidence an inspector asks for.

use std::fmt;

/// An input file of the case. Declared in the alphabetical order of the file
/// names, so sorting sources sorts "by file name then line" (SPEC §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    Allocations,
    Exclusions,
    Payouts,
    Policy,
    Relatives,
    Roster,
    Standards,
    Transfers,
}

impl FileKind {
    pub const ALL: [FileKind; 8] = [
        FileKind::Allocations,
        FileKind::Exclusions,
        FileKind::Payouts,
        FileKind::Policy,
        FileKind::Relatives,
        FileKind::Roster,
        FileKind::Standards,
        FileKind::Transfers,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            FileKind::Allocations => "allocations.csv",
            FileKind::Exclusions => "exclusions.csv",
            FileKind::Payouts => "payouts.csv",
            FileKind::Policy => "policy.toml",
            FileKind::Relatives => "relatives.csv",
            FileKind::Roster => "roster.csv",
            FileKind::Standards => "standards.csv",
            FileKind::Transfers => "transfers.csv",
        }
    }

    pub fn is_required(self) -> bool {
        matches!(
            self,
            FileKind::Roster | FileKind::Standards | FileKind::Payouts
        )
    }
}

/// One physical line of one input file (1-based, the header is line 1; a
/// record spanning several lines is named by its first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Source {
    pub file: FileKind,
    pub line: u32,
}

impl Source {
    pub fn new(file: FileKind, line: u32) -> Source {
        Source { file, line }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}:{}", self.file.file_name(), self.line)
    }
}

/// At most this many sources are listed in a finding; the rest are counted.
pub const MAX_LISTED_SOURCES: usize = 20;

/// The `sources` cell: distinct entries sorted by file then line, joined by
/// `;`, at most [`MAX_LISTED_SOURCES`] then `;…+N`.
pub fn sources_text(sources: &mut Vec<Source>) -> String {
    sources.sort_unstable();
    sources.dedup();
    let mut text = String::with_capacity(sources.len().min(MAX_LISTED_SOURCES) * 16);
    for (index, source) in sources.iter().take(MAX_LISTED_SOURCES).enumerate() {
        if index > 0 {
            text.push(';');
        }
        use fmt::Write;
        write!(text, "{source}").expect("writing to a String cannot fail");
    }
    if sources.len() > MAX_LISTED_SOURCES {
        use fmt::Write;
        write!(text, ";…+{}", sources.len() - MAX_LISTED_SOURCES)
            .expect("writing to a String cannot fail");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_sorted_distinct_and_capped() {
        let mut sources = vec![
            Source::new(FileKind::Transfers, 9),
            Source::new(FileKind::Payouts, 17),
            Source::new(FileKind::Payouts, 17),
        ];
        assert_eq!(sources_text(&mut sources), "payouts.csv:17;transfers.csv:9");
        let mut many: Vec<Source> = (2..=25)
            .map(|line| Source::new(FileKind::Payouts, line))
            .collect();
        let text = sources_text(&mut many);
        assert!(text.ends_with("payouts.csv:21;…+4"), "{text}");
    }
}

//! Where a fact came from: `file:line`, the evidence an inspector asks for.

use serde::{Deserialize, Serialize};

use std::fmt;

/// An input file of the case. Declared in the alphabetical order of the file
/// names, so sorting sources sorts "by file name then line" (SPEC §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

    /// The name without its extension: `roster`.
    pub fn stem(self) -> &'static str {
        let name = self.file_name();
        &name[..name.rfind('.').expect("every name has an extension")]
    }

    /// The file's name in `format` (`roster.xlsx`); policy.toml has one.
    pub fn name_in(self, format: Format) -> &'static str {
        if self == FileKind::Policy {
            return self.file_name();
        }
        macro_rules! names {
            ($($kind:ident $stem:literal),*) => {
                match (self, format) {
                    $(
                        (FileKind::$kind, Format::Csv) => concat!($stem, ".csv"),
                        (FileKind::$kind, Format::Txt) => concat!($stem, ".txt"),
                        (FileKind::$kind, Format::Xlsx) => concat!($stem, ".xlsx"),
                        (FileKind::$kind, Format::Xlsm) => concat!($stem, ".xlsm"),
                        (FileKind::$kind, Format::Xls) => concat!($stem, ".xls"),
                    )*
                    (FileKind::Policy, _) => "policy.toml",
                }
            };
        }
        names!(
            Allocations "allocations",
            Exclusions "exclusions",
            Payouts "payouts",
            Relatives "relatives",
            Roster "roster",
            Standards "standards",
            Transfers "transfers"
        )
    }

    pub fn is_required(self) -> bool {
        matches!(
            self,
            FileKind::Roster | FileKind::Standards | FileKind::Payouts
        )
    }
}

/// What a case file is: delimited text (SPEC's CSV, or a bank's `.txt`
/// export) or a spreadsheet workbook. Evidence names the file by it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum Format {
    #[default]
    Csv,
    Txt,
    Xlsx,
    Xlsm,
    Xls,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Csv,
        Format::Txt,
        Format::Xlsx,
        Format::Xlsm,
        Format::Xls,
    ];

    /// The extension, lower case, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Txt => "txt",
            Format::Xlsx => "xlsx",
            Format::Xlsm => "xlsm",
            Format::Xls => "xls",
        }
    }

    pub fn is_spreadsheet(self) -> bool {
        matches!(self, Format::Xlsx | Format::Xlsm | Format::Xls)
    }
}

/// The format of each case file read (CSV where none was given).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Formats([Format; FileKind::ALL.len()]);

impl Formats {
    pub fn get(&self, kind: FileKind) -> Format {
        self.0[kind as usize]
    }

    pub fn set(&mut self, kind: FileKind, format: Format) {
        self.0[kind as usize] = format;
    }

    /// `file:line` of `kind`'s file as it was given.
    pub fn source(&self, kind: FileKind, line: u32) -> Source {
        Source::in_format(kind, self.get(kind), line)
    }
}

/// One physical line of one input file (1-based, the header is line 1; a
/// record spanning several lines is named by its first), or the row of a
/// spreadsheet as the spreadsheet numbers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Source {
    pub file: FileKind,
    /// Sorts after `file`: a case has one file per kind, so sources still
    /// sort by file name then line.
    pub format: Format,
    pub line: u32,
}

impl Source {
    /// A line of a CSV file.
    pub fn new(file: FileKind, line: u32) -> Source {
        Source::in_format(file, Format::Csv, line)
    }

    pub fn in_format(file: FileKind, format: Format, line: u32) -> Source {
        Source { file, format, line }
    }

    /// The file's name as evidence cites it: `roster.csv`, `roster.xlsx`.
    pub fn file_name(&self) -> &'static str {
        self.file.name_in(self.format)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}:{}", self.file_name(), self.line)
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

    #[test]
    fn a_spreadsheet_source_names_the_workbook() {
        let mut formats = Formats::default();
        formats.set(FileKind::Roster, Format::Xlsx);
        let mut sources = vec![
            formats.source(FileKind::Roster, 14),
            formats.source(FileKind::Payouts, 3),
        ];
        assert_eq!(sources_text(&mut sources), "payouts.csv:3;roster.xlsx:14");
        assert_eq!(FileKind::Transfers.name_in(Format::Xls), "transfers.xls");
        assert_eq!(FileKind::Policy.name_in(Format::Xlsx), "policy.toml");
        assert_eq!(FileKind::Allocations.stem(), "allocations");
    }
}

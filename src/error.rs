//! Errors that stop a run (exit status 2). Each carries one [`Location`] —
//! the file, and where it can the line and column — and says what was
//! expected and how to put it right.

use std::fmt;
use std::num::NonZeroU64;
use std::path::Path;

/// Where a fatal error is: `file:line:column`, the parts not known left
/// out. Lines and columns are 1-based, so a zero cannot be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// A case file's name (`payouts.csv`) or, for an error about the file
    /// itself (missing, unreadable), its path.
    pub file: String,
    pub line: Option<NonZeroU64>,
    /// A CSV file's field, or a character of policy.toml's line, 1-based;
    /// only with a line.
    pub column: Option<NonZeroU64>,
}

impl Location {
    pub fn file(file: impl Into<String>) -> Location {
        Location {
            file: file.into(),
            line: None,
            column: None,
        }
    }

    pub fn path(path: &Path) -> Location {
        Location::file(path.display().to_string())
    }

    /// `file:line`; a line of 0 (there is none) is left out.
    pub fn line(file: impl Into<String>, line: u64) -> Location {
        Location {
            line: NonZeroU64::new(line),
            ..Location::file(file)
        }
    }

    /// `file:line:column`; zeros are left out.
    pub fn cell(file: impl Into<String>, line: u64, column: u64) -> Location {
        Location {
            column: NonZeroU64::new(column),
            ..Location::line(file, line)
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(formatter, ":{line}")?;
            if let Some(column) = self.column {
                write!(formatter, ":{column}")?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FatalError {
    #[error("{location}: required file is missing; a case folder must hold roster.csv, standards.csv and payouts.csv")]
    MissingFile { location: Location },

    #[error("{location}: cannot read the file: {source}")]
    Unreadable {
        location: Location,
        source: std::io::Error,
    },

    #[error("{location}: this is {what}, not a regular file; a case file must be the exported file itself")]
    NotRegularFile {
        location: Location,
        what: &'static str,
    },

    #[error("{location}: this file and {other} differ only in upper and lower case, and both would be read as {name}; keep one")]
    NameClash {
        location: Location,
        other: String,
        name: &'static str,
    },

    /// One kind given twice, in two formats (`roster.csv`, `roster.xlsx`).
    #[error("{location}: this file and {other} would both be read as the {kind} file; keep one of them in the case folder (each kind is one file: .csv, .txt, .xlsx or .xls)")]
    TwoFiles {
        location: Location,
        other: String,
        kind: &'static str,
    },

    /// A workbook that cannot be opened or taken apart.
    #[error("{location}: cannot read the workbook: {message}; open it in Excel or WPS and save it again (as .xlsx), or save the sheet as CSV UTF-8")]
    Workbook { location: Location, message: String },

    /// A workbook past a limit of `src/read/workbook/limits.rs`.
    #[error("{location}: {what}")]
    SheetTooLarge { location: Location, what: String },

    /// A file named as a workbook that is none (a web page, CSV text), or
    /// a workbook duizhang does not read (password-protected, Excel 95):
    /// the message says what the file is and what to do.
    #[error("{location}: {message}")]
    NotAWorkbook { location: Location, message: String },

    /// A damaged workbook, at its place in a sheet (a row given twice).
    #[error("{location}: {what}")]
    WorkbookDamaged { location: Location, what: String },

    /// No sheet of a workbook has the file's header within its first rows.
    #[error("{location}: {message}")]
    NoHeaderRow { location: Location, message: String },

    /// columns.toml: an unknown kind, column or field, or a bad value.
    #[error("{location}: {message}")]
    Columns { location: Location, message: String },

    #[error("{location}: the file is empty; expected a header row naming the columns")]
    NoHeader { location: Location },

    /// `header`: the header's cells, and why the header may not be where
    /// it was looked for (`; the header is on line 2…`) when known.
    #[error("{location}: missing required column{plural} {columns}; the header has: {header}")]
    MissingColumns {
        location: Location,
        plural: &'static str,
        columns: String,
        header: String,
    },

    /// A wanted column given twice, by its name or an alias.
    #[error("{location}: {message}; give the column once")]
    DuplicateColumn { location: Location, message: String },

    #[error("{location}: the header has more than {limit} columns; a case file has a few dozen at most — is this the right file?")]
    TooManyColumns { location: Location, limit: usize },

    #[error("{location}: the header is longer than {limit} bytes without ending; expected one header row naming the columns — is this a CSV file?")]
    HeaderTooLong { location: Location, limit: usize },

    #[error("{location}: this row is longer than {limit} bytes without ending; a row of a case file is far shorter — check that the file is a CSV export, and close any quote left open")]
    RowTooLong { location: Location, limit: usize },

    /// A header cell that cannot name a column: a control character, bytes
    /// that are not text in the file's encoding, a quote never closed.
    #[error("{location}: {message}")]
    BadHeader { location: Location, message: String },

    #[error("{location}: the file has more than {limit} lines; split the case by region")]
    TooManyLines { location: Location, limit: u64 },

    /// One file's amounts add up to more than any case holds (and than
    /// exact 64-bit sums allow).
    #[error("{location}: the amounts in this file add up to {total} yuan, more than the {limit} any case can hold; look for amounts exported with extra digits (or in fen where yuan are expected)")]
    TooMuchMoney {
        location: Location,
        total: String,
        limit: String,
    },

    /// A partitioned run found a file different from what its first pass read.
    #[error("{location}: the file changed during the run ({what}); run again when nothing writes to the case folder")]
    InputChanged { location: Location, what: String },

    /// Two rows with the same region, program, item and effective_from but
    /// different amounts; the message names both lines.
    #[error("{location}: {message}")]
    AmbiguousStandards { location: Location, message: String },

    /// `whatif --standards`: proposed rows that cannot be read (every one
    /// is named: a proposal is taken whole or not at all).
    #[error("{location}: {message}")]
    ProposedStandards { location: Location, message: String },

    #[error("{location}: {message}")]
    Policy { location: Location, message: String },

    /// regions.csv: a row that names no code, or a code named twice.
    #[error("{location}: {message}")]
    Regions { location: Location, message: String },

    /// An earlier rectification register that cannot be read (SPEC v3 §6.1).
    #[error("{location}: {message}")]
    Register { location: Location, message: String },

    #[error("{0}")]
    BadArgument(String),

    /// A run spread over several processes (the Spark runner): the error
    /// one of its tasks met, as that task's message says it.
    #[error("{0}")]
    Distributed(String),

    /// SPEC §3: the run window cannot be made (too long when taken from
    /// the records, empty, or unknown); says which records set it.
    #[error("{0}")]
    Window(#[from] crate::domain::window::WindowError),

    #[error("{location}: cannot write the output: {source}")]
    Output {
        location: Location,
        source: std::io::Error,
    },
}

impl FatalError {
    /// Where the error is, when it is about a place (arguments are not).
    pub fn location(&self) -> Option<&Location> {
        match self {
            FatalError::MissingFile { location }
            | FatalError::Unreadable { location, .. }
            | FatalError::NotRegularFile { location, .. }
            | FatalError::NameClash { location, .. }
            | FatalError::TwoFiles { location, .. }
            | FatalError::Workbook { location, .. }
            | FatalError::SheetTooLarge { location, .. }
            | FatalError::NotAWorkbook { location, .. }
            | FatalError::WorkbookDamaged { location, .. }
            | FatalError::NoHeaderRow { location, .. }
            | FatalError::Columns { location, .. }
            | FatalError::NoHeader { location }
            | FatalError::MissingColumns { location, .. }
            | FatalError::DuplicateColumn { location, .. }
            | FatalError::TooManyColumns { location, .. }
            | FatalError::HeaderTooLong { location, .. }
            | FatalError::RowTooLong { location, .. }
            | FatalError::BadHeader { location, .. }
            | FatalError::TooManyLines { location, .. }
            | FatalError::InputChanged { location, .. }
            | FatalError::TooMuchMoney { location, .. }
            | FatalError::AmbiguousStandards { location, .. }
            | FatalError::Policy { location, .. }
            | FatalError::ProposedStandards { location, .. }
            | FatalError::Register { location, .. }
            | FatalError::Regions { location, .. }
            | FatalError::Output { location, .. } => Some(location),
            FatalError::BadArgument(_) | FatalError::Distributed(_) | FatalError::Window(_) => None,
        }
    }
}

pub use crate::domain::text::{excerpt, MAX_QUOTED_CHARS};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_leave_out_what_is_not_known_and_never_say_line_0() {
        assert_eq!(Location::file("payouts.csv").to_string(), "payouts.csv");
        assert_eq!(
            Location::line("payouts.csv", 7).to_string(),
            "payouts.csv:7"
        );
        assert_eq!(
            Location::cell("payouts.csv", 1, 6).to_string(),
            "payouts.csv:1:6"
        );
        assert_eq!(Location::line("payouts.csv", 0).to_string(), "payouts.csv");
        assert_eq!(
            Location::cell("payouts.csv", 3, 0).to_string(),
            "payouts.csv:3"
        );
        let big = u64::from(u32::MAX) + 5;
        assert_eq!(
            Location::line("payouts.csv", big).to_string(),
            format!("payouts.csv:{big}")
        );
    }

    #[test]
    fn quoted_values_are_cut_to_200_characters() {
        assert_eq!(excerpt("short"), "short");
        let long = "值".repeat(10_000);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), MAX_QUOTED_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt(&"a".repeat(200)), "a".repeat(200));
    }
}

//! Errors that stop a run (exit status 2). Each names the file, and where it
//! can the line and column, and says what was expected.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum FatalError {
    #[error("{path}: required file is missing; a case folder must hold roster.csv, standards.csv and payouts.csv")]
    MissingFile { path: PathBuf },

    #[error("{path}: cannot read the file: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{file}:1: the file is empty; expected a header row naming the columns")]
    NoHeader { file: &'static str },

    #[error("{file}:1: missing required column{plural} {columns}; the header has: {header}")]
    MissingColumns {
        file: &'static str,
        plural: &'static str,
        columns: String,
        header: String,
    },

    #[error("{file}:1:{column}: column \"{name}\" appears twice in the header (also column {first_column}); keep one")]
    DuplicateColumn {
        file: &'static str,
        name: String,
        column: usize,
        first_column: usize,
    },

    #[error("{file}:{line}: the CSV cannot be read: {message}")]
    Malformed {
        file: &'static str,
        line: u64,
        message: String,
    },

    /// Two rows with the same region, program, item and effective_from but
    /// different amounts; the message names both lines.
    #[error("standards.csv:{second_line}: {message}")]
    AmbiguousStandards { second_line: u32, message: String },

    #[error("policy.toml:{line}:{column}: {message}")]
    Policy {
        line: usize,
        column: usize,
        message: String,
    },

    #[error("{0}")]
    BadArgument(String),

    /// SPEC v2 §3: a window with a bound taken from the records spans more
    /// than `limit` months; `set_by` names the records that set the bounds.
    #[error("the run window {window} spans {months} months, more than {limit} for a window taken from the records: {set_by}; is a period mistyped there? Correct it, or give --from and --to to run over a longer window")]
    WindowTooLong {
        window: crate::domain::PeriodRange,
        months: u32,
        limit: u32,
        set_by: String,
    },

    #[error("{path}: cannot write the output: {source}")]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
}

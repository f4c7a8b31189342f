//! The spec's vocabulary (SPEC §1): money, periods, ids, programs, findings.
//! Pure values with parsing and formatting; no I/O.

pub mod account;
pub mod detail;
pub mod finding;
pub mod id_number;
pub mod money;
pub mod period;
pub mod program;
pub mod regions;
pub mod register;
pub mod share;
pub mod source;
pub mod text;
pub mod window;

pub use detail::{Detail, TrailPair};
pub use finding::{run_headline, Cause, Code, Finding, LineFigures, Severity};
pub use money::{Money, Rounding, Unit};
pub use period::{Date, Period, PeriodRange};
pub use program::{CareLevel, Item, Program, Stage, Status};
pub use share::{Amount, Share};
pub use source::{FileId, FileKind, Format, InputFile, InputFiles, Source};

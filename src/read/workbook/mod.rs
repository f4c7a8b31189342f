//! Spreadsheet workbooks (`.xlsx`, `.xlsm`, `.xls`) as rows of cells, read
//! by readers of our own: `.xlsx` with the zip crate and quick-xml
//! ([`xlsx`]), `.xls` (BIFF8) from its compound file ([`cfb`], [`xls`]).
//! Every cell becomes text the CSV rules read the same way, and keeps its
//! kind: a number or a date typed into Excel is read as what it is
//! (docs/spec-readings.md, "Spreadsheets").
//!
//! The readers are bounded ([`limits`]): every part is read as a stream
//! through a byte limit, nothing is allocated from a count the file
//! declares, and a hostile workbook is a clear error naming the part or
//! the sheet and the limit. What the file is comes from its bytes, not its
//! name ([`sniff`]): a web page or CSV text saved as `.xlsx` says so.

mod build;
mod cell;
mod cfb;
pub mod limits;
mod sniff;
mod xls;
mod xlsx;

pub use limits::{
    HEADER_SEARCH_ROWS, MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, MAX_WORKBOOK_BYTES,
    MAX_WORKBOOK_TEXT_BYTES,
};

use crate::domain::Format;

/// What a spreadsheet cell held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CellKind {
    /// Text (or an empty cell).
    #[default]
    Text,
    /// A number: its text is the shortest decimal that reads back as the
    /// same double (`1140`, `1140.5`, `440981000000000000`).
    Number,
    /// A date or date-time cell: its text is the day, `YYYY-MM-DD`.
    Date,
    /// TRUE or FALSE.
    Bool,
    /// An error value (`#N/A`, `#REF!`): a formula that failed.
    Error,
    /// A duration (`[h]:mm`), or a date before 0001 or after 9999.
    NotADate,
    /// A formula whose value was never saved (the file was written by a
    /// program that does not calculate): its text is empty.
    NoValue,
}

/// One row of a sheet that holds a value: cells `first..first + count` of
/// [`Workbook::cells`], one per column from A to its last value.
#[derive(Clone, Copy, Debug)]
pub struct SheetRow {
    /// The row number the spreadsheet shows (1-based).
    pub line: u32,
    pub first: u32,
    pub count: u32,
}

/// Whether a sheet's tab is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Visibility {
    #[default]
    Visible,
    /// Hidden; Excel's Unhide shows it.
    Hidden,
    /// Hidden so that only a macro or the file's XML can show it.
    VeryHidden,
}

/// What a sheet is. Only worksheets hold cells; the others are listed
/// with no rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SheetKind {
    #[default]
    Worksheet,
    Chart,
    /// An Excel 4.0 macro sheet, or (in `.xls`) a VBA module.
    Macro,
    Dialog,
}

/// Cells merged into one: rows as [`SheetRow::line`] numbers them
/// (1-based, as Excel shows them), columns 0-based; first ≤ last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MergedRange {
    pub first_row: u32,
    pub last_row: u32,
    pub first_column: u32,
    pub last_column: u32,
}

#[derive(Clone, Debug)]
pub struct Sheet {
    pub name: String,
    /// Its rows in [`Workbook::rows`].
    pub rows: std::ops::Range<usize>,
    pub visibility: Visibility,
    pub kind: SheetKind,
    /// Its merged ranges, in the file's order.
    pub merged: Vec<MergedRange>,
}

/// Every sheet of a workbook, in the workbook's order, rows that hold a
/// value only.
#[derive(Debug, Default)]
pub struct Workbook {
    /// Every cell's text; a shared string's text is here once, and every
    /// cell that holds it points at it.
    pub text: Vec<u8>,
    /// Each cell's text in `text`.
    pub cells: Vec<(u32, u32)>,
    pub kinds: Vec<CellKind>,
    pub rows: Vec<SheetRow>,
    pub sheets: Vec<Sheet>,
}

/// Why a workbook cannot be read.
#[derive(Debug)]
pub enum WorkbookError {
    /// Not a workbook (a web page, CSV text, an XML spreadsheet), or one
    /// duizhang does not read (password-protected, Excel 95 and older):
    /// the whole message, saying what the file is and what to do.
    Refused(String),
    /// A damaged workbook: which part, and what is wrong with it.
    Unreadable(String),
    /// A part of the workbook past a limit.
    PartTooLarge { part: String, what: String },
    /// A value beyond the limits: (sheet, row, column), 1-based.
    TooLarge {
        sheet: String,
        row: u64,
        column: u64,
        what: String,
    },
    /// Damage at a place in a sheet (a row or a cell given twice): the
    /// sheet, the 1-based row and column (0 when the whole row).
    Damaged {
        sheet: String,
        row: u64,
        column: u64,
        what: String,
    },
}

/// `0` → `A`, `27` → `AB`: the column as the spreadsheet names it.
pub fn column_letters(column: u32) -> String {
    let mut letters = Vec::new();
    let mut rest = u64::from(column) + 1;
    while rest > 0 {
        let digit = (rest - 1) % 26;
        letters.push(b'A' + digit as u8);
        rest = (rest - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// Reads every sheet of the workbook in `bytes`, whatever its name says
/// (`_named`: the bytes decide, so an `.xlsx` saved with an `.xls` name is
/// read as what it is). A panic inside a reader — which no input should
/// reach; it is the last line of defence — is an unreadable workbook,
/// never a crash.
pub fn read(bytes: &[u8], _named: Format) -> Result<Workbook, WorkbookError> {
    quiet_panics_here();
    QUIET.with(|quiet| quiet.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_unguarded(bytes)));
    QUIET.with(|quiet| quiet.set(false));
    match result {
        Ok(result) => result,
        Err(_) => Err(WorkbookError::Unreadable(PANIC_GUARD_MESSAGE.into())),
    }
}

/// What [`read`] says when its panic guard caught a panic (tests and the
/// fuzz targets check that no input reaches it).
pub const PANIC_GUARD_MESSAGE: &str = "the workbook is damaged (it could not be taken apart)";

fn read_unguarded(bytes: &[u8]) -> Result<Workbook, WorkbookError> {
    let workbook = match sniff::sniff(bytes)? {
        sniff::Container::Zip => xlsx::read(bytes)?,
        sniff::Container::Compound => xls::read(bytes)?,
    };
    workbook.check();
    Ok(workbook)
}

impl Workbook {
    /// The invariants the rest of `read/` relies on.
    fn check(&self) {
        assert_eq!(self.cells.len(), self.kinds.len());
        let mut rows = 0;
        for sheet in &self.sheets {
            assert_eq!(sheet.rows.start, rows);
            rows = sheet.rows.end;
            let mut previous = 0;
            for row in &self.rows[sheet.rows.clone()] {
                assert!(row.line > previous && row.line <= MAX_SHEET_ROWS);
                assert!(row.count >= 1 && row.count <= MAX_SHEET_COLUMNS);
                previous = row.line;
            }
            for merged in &sheet.merged {
                assert!(merged.first_row >= 1 && merged.first_row <= merged.last_row);
                assert!(merged.first_column <= merged.last_column);
            }
        }
        assert_eq!(rows, self.rows.len());
        if let Some(last) = self.rows.last() {
            assert_eq!((last.first + last.count) as usize, self.cells.len());
        }
        debug_assert!(self
            .cells
            .iter()
            .all(|&(start, end)| start <= end && end as usize <= self.text.len()));
        debug_assert!(std::str::from_utf8(&self.text).is_ok());
    }
}

thread_local! {
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A panic inside [`read`] is turned into an error, so it must not print
/// a panic message either; every other panic prints as before.
fn quiet_panics_here() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_named_as_the_spreadsheet_names_them() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(1023), "AMJ");
        assert_eq!(column_letters(16383), "XFD");
    }

    #[test]
    fn anything_but_a_workbook_is_refused_never_a_panic() {
        for bytes in [
            &b""[..],
            b"PK\x03\x04garbage",
            b"not a workbook at all",
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 truncated",
            b"\x00\x01\x02\x03binary",
        ] {
            for format in [Format::Xlsx, Format::Xls] {
                assert!(
                    matches!(
                        read(bytes, format),
                        Err(WorkbookError::Unreadable(_) | WorkbookError::Refused(_))
                    ),
                    "{bytes:?}"
                );
            }
        }
    }
}

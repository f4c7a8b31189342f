//! Spreadsheet workbooks (`.xlsx`, `.xlsm`, `.xls`) as rows of cells,
//! read with calamine. Every cell becomes text the CSV rules read the
//! same way, and keeps its kind: a number or a date typed into Excel is
//! read as what it is (docs/spec-readings.md, "Spreadsheets").

use std::io::Cursor;

use calamine::{DataRef, Reader};

use crate::domain::{Date, Format};

/// Rows a sheet may have (Excel's own limit); a row number past it stops
/// the run.
pub const MAX_SHEET_ROWS: u32 = 1 << 20;
/// Columns a sheet may use: as many as a CSV header may have.
pub const MAX_SHEET_COLUMNS: u32 = super::records::MAX_COLUMNS as u32;
/// Text of all cells of a workbook, in bytes (offsets are 32-bit).
pub const MAX_WORKBOOK_TEXT_BYTES: usize = 1 << 30;
/// Size of a workbook file: a county's roster is a few megabytes.
pub const MAX_WORKBOOK_BYTES: u64 = 512 << 20;
/// The header is looked for in a sheet's first this-many rows.
pub const HEADER_SEARCH_ROWS: u32 = 20;

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

#[derive(Clone, Debug)]
pub struct Sheet {
    pub name: String,
    /// Its rows in [`Workbook::rows`].
    pub rows: std::ops::Range<usize>,
    pub visibility: Visibility,
    /// Its merged cells.
    pub merges: Vec<Merge>,
}

/// Whether a sheet shows in the spreadsheet program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Visibility {
    #[default]
    Visible,
    /// Hidden (the user can unhide it).
    Hidden,
    /// Hidden so that only a macro can show it.
    VeryHidden,
}

/// A range of merged cells: rows as the spreadsheet numbers them (1-based,
/// as [`SheetRow::line`]), columns from 0 (A), both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Merge {
    pub first_row: u32,
    pub last_row: u32,
    pub first_column: u32,
    pub last_column: u32,
}

/// Every sheet of a workbook, rows that hold a value only.
#[derive(Debug, Default)]
pub struct Workbook {
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
    /// Not a workbook calamine can open, or a damaged one.
    Unreadable(String),
    /// A value beyond the limits: (sheet, row, column), 1-based.
    TooLarge {
        sheet: String,
        row: u64,
        column: u64,
        what: String,
    },
}

struct Builder {
    workbook: Workbook,
}

impl Builder {
    /// Adds one sheet from its cells `(row, column, text, kind)`,
    /// 0-based, in any order.
    fn sheet(
        &mut self,
        name: &str,
        mut cells: Vec<(u32, u32, String, CellKind)>,
        visibility: Visibility,
        merges: Vec<Merge>,
    ) -> Result<(), WorkbookError> {
        cells.sort_unstable_by_key(|&(row, column, ..)| (row, column));
        let first_row = self.workbook.rows.len();
        let mut index = 0;
        while index < cells.len() {
            let row = cells[index].0;
            let end = cells[index..]
                .iter()
                .position(|cell| cell.0 != row)
                .map_or(cells.len(), |offset| index + offset);
            let width = cells[end - 1].1 + 1;
            let first = u32::try_from(self.workbook.cells.len())
                .map_err(|_| self.too_large(name, row, 0))?;
            let mut column = 0;
            for (_, at, text, kind) in &cells[index..end] {
                while column < *at {
                    self.push("", CellKind::Text, name, row)?;
                    column += 1;
                }
                if column > *at {
                    // The same cell given twice: the later one stands.
                    continue;
                }
                self.push(text, *kind, name, row)?;
                column += 1;
            }
            self.workbook.rows.push(SheetRow {
                line: row + 1,
                first,
                count: width,
            });
            index = end;
        }
        self.workbook.sheets.push(Sheet {
            name: name.to_string(),
            rows: first_row..self.workbook.rows.len(),
            visibility,
            merges,
        });
        Ok(())
    }

    fn push(
        &mut self,
        text: &str,
        kind: CellKind,
        sheet: &str,
        row: u32,
    ) -> Result<(), WorkbookError> {
        let start = self.workbook.text.len();
        if start + text.len() > MAX_WORKBOOK_TEXT_BYTES {
            return Err(WorkbookError::TooLarge {
                sheet: sheet.to_string(),
                row: u64::from(row) + 1,
                column: 1,
                what: format!(
                    "the workbook holds more than {MAX_WORKBOOK_TEXT_BYTES} bytes of text"
                ),
            });
        }
        self.workbook.text.extend_from_slice(text.as_bytes());
        self.workbook
            .cells
            .push((start as u32, self.workbook.text.len() as u32));
        self.workbook.kinds.push(kind);
        Ok(())
    }

    fn too_large(&self, sheet: &str, row: u32, column: u32) -> WorkbookError {
        WorkbookError::TooLarge {
            sheet: sheet.to_string(),
            row: u64::from(row) + 1,
            column: u64::from(column) + 1,
            what: "the workbook has more cells than duizhang reads".into(),
        }
    }
}

/// Checks a cell's place against the limits.
fn place(sheet: &str, row: u32, column: u32) -> Result<(), WorkbookError> {
    if row >= MAX_SHEET_ROWS {
        return Err(WorkbookError::TooLarge {
            sheet: sheet.to_string(),
            row: u64::from(row) + 1,
            column: u64::from(column) + 1,
            what: format!(
                "a value in row {}, past the {MAX_SHEET_ROWS} rows a sheet may have",
                u64::from(row) + 1
            ),
        });
    }
    if column >= MAX_SHEET_COLUMNS {
        return Err(WorkbookError::TooLarge {
            sheet: sheet.to_string(),
            row: u64::from(row) + 1,
            column: u64::from(column) + 1,
            what: format!(
                "a value in column {}, past the {MAX_SHEET_COLUMNS} columns a case file may have; delete what stands there",
                column_letters(column)
            ),
        });
    }
    Ok(())
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

/// The text and kind of a number: the shortest decimal that reads back as
/// the same double, never in exponent form.
fn number(value: f64) -> (String, CellKind) {
    if value.is_finite() {
        (format!("{value}"), CellKind::Number)
    } else {
        (format!("{value}"), CellKind::Error)
    }
}

/// A date-time cell's day.
fn date_of(value: &calamine::ExcelDateTime) -> (String, CellKind) {
    if value.is_duration() || !value.as_f64().is_finite() {
        return (format!("{}", value.as_f64()), CellKind::NotADate);
    }
    let serial = value.as_f64();
    if !(0.0..2_958_466.0).contains(&serial) {
        return (format!("{serial}"), CellKind::NotADate);
    }
    let (year, month, day, ..) = value.to_ymd_hms_milli();
    match Date::from_ymd(u32::from(year), u32::from(month), u32::from(day)) {
        Some(date) => (date.to_string(), CellKind::Date),
        None => (format!("{serial}"), CellKind::NotADate),
    }
}

fn cell_of(value: &DataRef<'_>) -> Option<(String, CellKind)> {
    Some(match value {
        DataRef::Empty => return None,
        DataRef::String(text) => (text.clone(), CellKind::Text),
        DataRef::SharedString(text) => ((*text).to_string(), CellKind::Text),
        DataRef::Int(value) => (value.to_string(), CellKind::Number),
        DataRef::Float(value) => number(*value),
        DataRef::Bool(value) => (
            (if *value { "TRUE" } else { "FALSE" }).to_string(),
            CellKind::Bool,
        ),
        DataRef::DateTime(value) => date_of(value),
        DataRef::DateTimeIso(text) => match text.get(..10).and_then(Date::parse) {
            Some(date) => (date.to_string(), CellKind::Date),
            None => (text.clone(), CellKind::NotADate),
        },
        DataRef::DurationIso(text) => (text.clone(), CellKind::NotADate),
        DataRef::Error(error) => (error.to_string(), CellKind::Error),
    })
}

fn data_of(value: &calamine::Data) -> Option<(String, CellKind)> {
    use calamine::Data;
    Some(match value {
        Data::Empty => return None,
        Data::String(text) => (text.clone(), CellKind::Text),
        Data::Int(value) => (value.to_string(), CellKind::Number),
        Data::Float(value) => number(*value),
        Data::Bool(value) => (
            (if *value { "TRUE" } else { "FALSE" }).to_string(),
            CellKind::Bool,
        ),
        Data::DateTime(value) => date_of(value),
        Data::DateTimeIso(text) => match text.get(..10).and_then(Date::parse) {
            Some(date) => (date.to_string(), CellKind::Date),
            None => (text.clone(), CellKind::NotADate),
        },
        Data::DurationIso(text) => (text.clone(), CellKind::NotADate),
        Data::Error(error) => (error.to_string(), CellKind::Error),
    })
}

/// Reads every sheet of the workbook in `bytes`. A panic inside the
/// workbook library (a damaged file it did not expect) is an unreadable
/// workbook, never a crash.
pub fn read(bytes: &[u8], format: Format) -> Result<Workbook, WorkbookError> {
    quiet_panics_here();
    QUIET.with(|quiet| quiet.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_unguarded(bytes, format)
    }));
    QUIET.with(|quiet| quiet.set(false));
    match result {
        Ok(result) => result,
        Err(_) => Err(WorkbookError::Unreadable(
            "the workbook is damaged (it could not be taken apart)".into(),
        )),
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

fn unreadable(error: impl std::fmt::Display) -> WorkbookError {
    WorkbookError::Unreadable(error.to_string())
}

fn read_unguarded(bytes: &[u8], format: Format) -> Result<Workbook, WorkbookError> {
    let mut builder = Builder {
        workbook: Workbook::default(),
    };
    match format {
        Format::Xls => {
            let mut workbook = calamine::Xls::new(Cursor::new(bytes)).map_err(unreadable)?;
            let metadata = workbook.sheets_metadata().to_vec();
            for name in workbook.sheet_names() {
                let visibility = visibility_of(&metadata, &name);
                #[allow(deprecated)]
                let merges = merges_of(workbook.worksheet_merge_cells(&name).unwrap_or_default());
                let range = workbook.worksheet_range(&name).map_err(unreadable)?;
                let (top, left) = range.start().unwrap_or((0, 0));
                let mut cells = Vec::new();
                for (row, column, value) in range.used_cells() {
                    let (row, column) = (top + row as u32, left + column as u32);
                    if let Some((text, kind)) = data_of(value) {
                        place(&name, row, column)?;
                        cells.push((row, column, text, kind));
                    }
                }
                builder.sheet(&name, cells, visibility, merges)?;
            }
        }
        _ => {
            let mut workbook = calamine::Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
            let metadata = workbook.sheets_metadata().to_vec();
            for name in workbook.sheet_names() {
                let visibility = visibility_of(&metadata, &name);
                #[allow(deprecated)]
                let merges = match workbook.worksheet_merge_cells(&name) {
                    Some(Ok(merges)) => merges_of(merges),
                    Some(Err(error)) => return Err(unreadable(error)),
                    None => Vec::new(),
                };
                let mut reader = match workbook.worksheet_cells_reader(&name) {
                    Ok(reader) => reader,
                    // A chart sheet or a dialog sheet holds no cells.
                    Err(calamine::XlsxError::NotAWorksheet(_)) => continue,
                    Err(error) => return Err(unreadable(error)),
                };
                let mut cells = Vec::new();
                while let Some(cell) = reader.next_cell().map_err(unreadable)? {
                    let (row, column) = cell.get_position();
                    if let Some((text, kind)) = cell_of(cell.get_value()) {
                        place(&name, row, column)?;
                        cells.push((row, column, text, kind));
                    }
                }
                drop(reader);
                builder.sheet(&name, cells, visibility, merges)?;
            }
        }
    }
    Ok(builder.workbook)
}

fn visibility_of(metadata: &[calamine::Sheet], name: &str) -> Visibility {
    match metadata
        .iter()
        .find(|sheet| sheet.name == name)
        .map(|sheet| sheet.visible)
    {
        Some(calamine::SheetVisible::Hidden) => Visibility::Hidden,
        Some(calamine::SheetVisible::VeryHidden) => Visibility::VeryHidden,
        _ => Visibility::Visible,
    }
}

fn merges_of(dimensions: Vec<calamine::Dimensions>) -> Vec<Merge> {
    dimensions
        .into_iter()
        .filter(|merge| merge.start.0 <= merge.end.0 && merge.start.1 <= merge.end.1)
        .map(|merge| Merge {
            first_row: merge.start.0 + 1,
            last_row: merge.end.0 + 1,
            first_column: merge.start.1,
            last_column: merge.end.1,
        })
        .collect()
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
    fn numbers_are_their_shortest_decimal() {
        assert_eq!(number(1140.0).0, "1140");
        assert_eq!(number(1140.5).0, "1140.5");
        assert_eq!(number(0.1 + 0.2).0, "0.30000000000000004");
        assert_eq!(number(4.40981e17).0, "440981000000000000");
        assert_eq!(number(1e21).0, "1000000000000000000000");
        assert_eq!(number(-5.0).0, "-5");
        assert_eq!(number(f64::NAN).1, CellKind::Error);
    }

    #[test]
    fn anything_but_a_workbook_is_unreadable_never_a_panic() {
        for bytes in [
            &b""[..],
            b"PK\x03\x04garbage",
            b"not a workbook at all",
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 truncated",
        ] {
            for format in [Format::Xlsx, Format::Xls] {
                assert!(
                    matches!(read(bytes, format), Err(WorkbookError::Unreadable(_))),
                    "{bytes:?}"
                );
            }
        }
    }
}

//! Puts the cells the readers find into a [`Workbook`], row by row: the
//! limits on places, text and cells, and a cell given twice.

use super::limits::{
    MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, MAX_WORKBOOK_CELLS, MAX_WORKBOOK_TEXT_BYTES,
};
use super::{
    column_letters, CellKind, MergedRange, Sheet, SheetKind, SheetRow, Visibility, Workbook,
    WorkbookError,
};

/// A cell of the row being read: its column (0-based), its text's place
/// in [`Workbook::text`] and its kind.
#[derive(Clone, Copy, Debug)]
pub struct Pending {
    pub column: u32,
    pub start: u32,
    pub end: u32,
    pub kind: CellKind,
}

#[derive(Default)]
pub struct Builder {
    pub workbook: Workbook,
    /// The row being read, in any column order.
    row: Vec<Pending>,
    /// Where the sheet being read begins in [`Workbook::rows`].
    sheet_start: usize,
}

impl Builder {
    /// Appends text and returns its place; past
    /// [`MAX_WORKBOOK_TEXT_BYTES`] the workbook is too large (`line`: the
    /// 1-based row being read, for the message).
    pub fn text(
        &mut self,
        bytes: &[u8],
        sheet: &str,
        line: u32,
    ) -> Result<(u32, u32), WorkbookError> {
        let start = self.workbook.text.len();
        self.workbook.text.extend_from_slice(bytes);
        self.text_written(start, sheet, line)
    }

    /// The place of text written to [`Workbook::text`] from `start`.
    pub fn text_written(
        &self,
        start: usize,
        sheet: &str,
        line: u32,
    ) -> Result<(u32, u32), WorkbookError> {
        let end = self.workbook.text.len();
        if end > MAX_WORKBOOK_TEXT_BYTES {
            return Err(WorkbookError::TooLarge {
                sheet: sheet.to_string(),
                row: u64::from(line),
                column: 1,
                what: format!("the workbook holds more than {MAX_WORKBOOK_TEXT_BYTES} bytes of text; save the sheet as CSV UTF-8 instead"),
            });
        }
        Ok((start as u32, end as u32))
    }

    /// Adds a cell holding a value to the row being read, after checking
    /// its place against the limits (`line` 1-based, `column` 0-based).
    pub fn cell(
        &mut self,
        sheet: &str,
        line: u32,
        column: u32,
        place: (u32, u32),
        kind: CellKind,
    ) -> Result<(), WorkbookError> {
        debug_assert!(line >= 1);
        if line > MAX_SHEET_ROWS {
            return Err(WorkbookError::TooLarge {
                sheet: sheet.to_string(),
                row: u64::from(line),
                column: u64::from(column) + 1,
                what: format!(
                    "a value in row {line}, past the {MAX_SHEET_ROWS} rows a sheet may have"
                ),
            });
        }
        if column >= MAX_SHEET_COLUMNS {
            return Err(WorkbookError::TooLarge {
                sheet: sheet.to_string(),
                row: u64::from(line),
                column: u64::from(column) + 1,
                what: format!(
                    "a value in column {}, past the {MAX_SHEET_COLUMNS} columns a case file may have; delete what stands there",
                    column_letters(column)
                ),
            });
        }
        self.row.push(Pending {
            column,
            start: place.0,
            end: place.1,
            kind,
        });
        Ok(())
    }

    /// Ends row `line` (1-based): its cells, from column A to its last
    /// value, become a [`SheetRow`]; a row without a value is left out. Rows
    /// must come in increasing order (the readers check).
    pub fn end_row(&mut self, sheet: &str, line: u32) -> Result<(), WorkbookError> {
        if self.row.is_empty() {
            return Ok(());
        }
        debug_assert!(self.workbook.rows[self.sheet_start..]
            .last()
            .is_none_or(|last| last.line < line));
        if !self.row.is_sorted_by_key(|cell| cell.column) {
            self.row.sort_by_key(|cell| cell.column);
        }
        if let Some(pair) = self
            .row
            .windows(2)
            .find(|pair| pair[0].column == pair[1].column)
        {
            let column = pair[0].column;
            return Err(WorkbookError::Damaged {
                sheet: sheet.to_string(),
                row: u64::from(line),
                column: u64::from(column) + 1,
                what: format!(
                    "cell {}{line} is given twice in the sheet, so which value it holds cannot be known; the file was not saved by Excel or WPS: open it in Excel or WPS and save it again",
                    column_letters(column)
                ),
            });
        }
        let width = self.row.last().expect("a row with cells").column + 1;
        assert!(width <= MAX_SHEET_COLUMNS);
        if self.workbook.cells.len() + width as usize > MAX_WORKBOOK_CELLS {
            return Err(WorkbookError::TooLarge {
                sheet: sheet.to_string(),
                row: u64::from(line),
                column: 1,
                what: format!(
                    "the workbook has more than {MAX_WORKBOOK_CELLS} cells (the empty ones left of a row's last value counted), more than duizhang reads; save the sheet as CSV UTF-8 instead"
                ),
            });
        }
        let first = self.workbook.cells.len() as u32;
        let mut column = 0;
        for cell in &self.row {
            while column < cell.column {
                self.workbook.cells.push((0, 0));
                self.workbook.kinds.push(CellKind::Text);
                column += 1;
            }
            self.workbook.cells.push((cell.start, cell.end));
            self.workbook.kinds.push(cell.kind);
            column += 1;
        }
        debug_assert_eq!(column, width);
        self.workbook.rows.push(SheetRow {
            line,
            first,
            count: width,
        });
        self.row.clear();
        Ok(())
    }

    /// Ends the sheet being read (its last row ended).
    pub fn end_sheet(
        &mut self,
        name: String,
        visibility: Visibility,
        kind: SheetKind,
        merged: Vec<MergedRange>,
    ) {
        assert!(self.row.is_empty(), "the sheet's last row was ended");
        self.workbook.sheets.push(Sheet {
            name,
            rows: self.sheet_start..self.workbook.rows.len(),
            visibility,
            kind,
            merged,
        });
        self.sheet_start = self.workbook.rows.len();
    }
}

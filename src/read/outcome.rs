//! What reading one file gives besides its records: its rows' people, the
//! evidence of invalid ID numbers, BAD_RECORD rows, repeats and the
//! file's report; and the collecting of those outcomes into one case.

use super::people::LocalPeople;
use super::table::{BadRecord, LoadedFile, Row};
use crate::case::SheetReport;
use crate::case::{DuplicateRecord, FileReport};
use crate::domain::{FileId, FileKind, Source};

/// What reading one file produced besides its records.
pub struct FileOutcome<T> {
    pub kind: FileKind,
    pub file: FileId,
    pub people: LocalPeople,
    /// (local person, row) of rows whose id_number fails the check.
    pub evidence: Vec<(u32, Source)>,
    pub bad: Vec<BadRecord>,
    /// `person` holds the local number until [`super::read_case`] remaps it.
    pub duplicates: Vec<DuplicateRecord>,
    pub report: FileReport,
    pub records: T,
}

impl FileOutcome<()> {
    pub(crate) fn new(file: &LoadedFile) -> FileOutcome<()> {
        FileOutcome {
            kind: file.kind,
            file: file.id,
            people: LocalPeople::default(),
            evidence: Vec::new(),
            bad: Vec::new(),
            duplicates: Vec::new(),
            report: FileReport {
                encoding: file.encoding,
                delimiter: file.delimiter_name(),
                ..FileReport::default()
            },
            records: (),
        }
    }

    /// Makes a row that cannot be read as text — a quote never closed,
    /// bytes that are not UTF-8, a control character, a cell too long, more
    /// or fewer fields than the header (SPEC §2) — a BAD_RECORD; true when
    /// it did, and the row is to be left out.
    pub(crate) fn reject_unreadable(&mut self, row: &Row<'_>, id_column: Option<usize>) -> bool {
        let Some(fault) = row.fault() else {
            return false;
        };
        self.bad
            .push(BadRecord::new(row, id_column, fault.to_owned()));
        true
    }

    pub(crate) fn note_id(&mut self, local: u32, valid: bool, source: Source) {
        if !valid {
            self.evidence.push((local, source));
        }
    }

    pub(crate) fn finish_counts(&mut self) {
        self.report.bad = self.bad.len() as u64;
        self.report.duplicate = self.duplicates.len() as u64;
        self.report.id_numbers_upgraded = self.people.upgraded;
    }

    /// Copies where the headers were found (a workbook's sheets and rows,
    /// with the rows read of each in `rows_by_sheet`; the columns, for
    /// `duizhang check`) into the report.
    pub(crate) fn note_header(&mut self, file: &LoadedFile, rows_by_sheet: &[(u16, u64)]) {
        let Some(found) = file.header_found.get() else {
            return;
        };
        if let Some(first) = found.first() {
            self.report.columns = first.columns.clone();
            self.report.hidden_not_read = first.hidden_not_read.clone();
            self.report.header_line = first.line;
        }
        if file.workbook.is_none() {
            return;
        }
        self.report.sheets = found
            .iter()
            .map(|header| {
                // A chunk of a stage file counts its own sheet's rows only.
                let rows = rows_by_sheet
                    .iter()
                    .find(|(sheet, _)| *sheet == header.sheet_index)
                    .map_or(0, |(_, rows)| *rows);
                SheetReport {
                    index: header.sheet_index,
                    name: header.sheet.clone().unwrap_or_default(),
                    header_row: u32::try_from(header.line).unwrap_or(u32::MAX),
                    rows,
                    columns: header.columns.clone(),
                    merges: header.merges.clone(),
                }
            })
            .collect();
    }

    pub(crate) fn with<T>(self, records: T) -> FileOutcome<T> {
        FileOutcome {
            kind: self.kind,
            file: self.file,
            people: self.people,
            evidence: self.evidence,
            bad: self.bad,
            duplicates: self.duplicates,
            report: self.report,
            records,
        }
    }
}

//! The findings of reading (SPEC §5): the reader sets aside the rows it
//! cannot read (BAD_RECORD), the repeated record ids (DUPLICATE_RECORD) and
//! the rows naming an id_number that fails its check (INVALID_ID_NUMBER);
//! the engine words them as findings. Each needs no other record, so a
//! file read alone (a Spark task) gives its own.

use crate::case::Case;
use crate::domain::source::sources_text;
use crate::domain::text::excerpt;
use crate::domain::{Code, Finding, Source};

/// BAD_RECORD: one per row that could not be read, keyed by its file:line.
pub fn bad_record_findings(case: &Case) -> Vec<Finding> {
    case.bad_records
        .iter()
        .map(|bad| {
            let mut finding = Finding::new(Code::BadRecord, &bad.id_number);
            finding.detail = bad.detail.clone();
            finding.sources = bad.source.to_string();
            finding
        })
        .collect()
}

/// DUPLICATE_RECORD: one per repeated row, its evidence the first
/// occurrence and the repeat.
pub fn duplicate_record_findings(case: &Case) -> Vec<Finding> {
    case.duplicate_records
        .iter()
        .map(|duplicate| {
            let mut finding = Finding::new(
                Code::DuplicateRecord,
                case.people.id_number(duplicate.person),
            );
            finding.program = Some(duplicate.program);
            finding.period = duplicate.periods;
            let first = case.formats.source(duplicate.file, duplicate.first_line);
            let repeat = case.formats.source(duplicate.file, duplicate.repeat_line);
            finding.detail = format!(
                "record id {} repeats {first}; the first occurrence counts",
                excerpt(&duplicate.record_id),
            );
            finding.sources = sources_text(&mut vec![first, repeat]);
            finding
        })
        .collect()
}

/// INVALID_ID_NUMBER: one per distinct id_number, its evidence every row
/// naming it.
pub fn invalid_id_number_findings(case: &Case) -> Vec<Finding> {
    let mut evidence = case.invalid_id_evidence.clone();
    evidence.sort_unstable();
    evidence
        .chunk_by(|a, b| a.0 == b.0)
        .map(|group| {
            let id_number = case.people.id_number(group[0].0);
            let mut finding = Finding::new(Code::InvalidIdNumber, id_number);
            finding.detail = format!(
                "{:?} is not 17 digits and a correct check character (GB 11643)",
                excerpt(id_number)
            );
            let mut sources: Vec<Source> = group.iter().map(|(_, source)| *source).collect();
            finding.sources = sources_text(&mut sources);
            finding
        })
        .collect()
}

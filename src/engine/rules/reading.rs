//! The findings of reading (SPEC §5): the reader sets aside the rows it
//! cannot read (BAD_RECORD), the repeated record ids (DUPLICATE_RECORD) and
//! the rows naming an id_number that fails its check (INVALID_ID_NUMBER);
//! the engine words them as findings. Each needs no other record, so a
//! file read alone (a Spark task) gives its own.

use crate::case::Case;
use crate::domain::source::sources_text;
use crate::domain::{Code, Detail, Finding, Source};

/// BAD_RECORD: one per row that could not be read, keyed by its file:line.
pub fn bad_record_findings(case: &Case) -> Vec<Finding> {
    case.bad_records
        .iter()
        .map(|bad| {
            let mut finding = Finding::new(Code::BadRecord, &bad.id_number);
            finding.detail = Detail::Reader(bad.detail.clone());
            finding.sources = case.inputs.cite(bad.source).to_string();
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
            let (first, repeat) = (duplicate.first, duplicate.repeat);
            finding.detail = Detail::DuplicateRecord {
                record_id: duplicate.record_id.clone(),
                first: case.inputs.cite(first).to_string().into(),
            };
            finding.sources = sources_text(&mut vec![first, repeat], &case.inputs);
            // The register keys a repeat by its record id and its row.
            finding.subject = vec![
                duplicate.record_id.clone(),
                case.inputs.cite(repeat).to_string().into(),
            ];
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
            finding.detail = Detail::InvalidIdNumber {
                id_number: id_number.into(),
            };
            let mut sources: Vec<Source> = group.iter().map(|(_, source)| *source).collect();
            finding.sources = sources_text(&mut sources, &case.inputs);
            finding
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{BadRecord, DuplicateRecord, PersonId};
    use crate::domain::{FileKind, Format, PeriodRange, Program};
    use crate::engine::testing::{self, FIRST, SECOND};

    /// SPEC §5 BAD_RECORD: keyed by file:line, the row's id_number if any,
    /// the reason as the reader worded it; no program or period.
    #[test]
    fn a_bad_row_is_named_by_its_file_and_line() {
        let mut case = testing::case(1, Vec::new(), &[]);
        case.bad_records = vec![BadRecord {
            source: Source::new(FileKind::Payouts, 7),
            id_number: FIRST.into(),
            detail: "amount \"12,5\": expected money".into(),
        }];
        let findings = bad_record_findings(&case);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.code, Code::BadRecord);
        assert_eq!(&*finding.id_number, FIRST);
        assert_eq!((finding.program, finding.period), (None, None));
        assert_eq!(finding.detail, "amount \"12,5\": expected money");
        assert_eq!(finding.sources, "payouts.csv:7");
    }

    /// SPEC §5 DUPLICATE_RECORD: one per repeated row, the repeat's
    /// id_number, program and period, evidence the first occurrence and
    /// the repeat, named as the file was given.
    #[test]
    fn a_repeated_record_id_names_both_rows() {
        let mut case = testing::case(2, Vec::new(), &[]);
        case.inputs = crate::domain::InputFiles::new(vec![crate::domain::InputFile {
            kind: FileKind::Payouts,
            name: "payouts.xlsx".into(),
            format: Format::Xlsx,
            sheet_names: Vec::new(),
        }]);
        let row = |line| Source::in_file(FileKind::Payouts, crate::domain::FileId(0), 0, line);
        case.duplicate_records = vec![DuplicateRecord {
            kind: FileKind::Payouts,
            first: row(3),
            repeat: row(9),
            record_id: "P3".into(),
            person: PersonId(1),
            program: Program::Dibao,
            periods: PeriodRange::parse("2020-01").ok(),
        }];
        let findings = duplicate_record_findings(&case);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.code, Code::DuplicateRecord);
        assert_eq!(&*finding.id_number, SECOND);
        assert_eq!(finding.program, Some(Program::Dibao));
        assert_eq!(finding.period, PeriodRange::parse("2020-01").ok());
        assert_eq!(
            finding.detail,
            "record id P3 repeats payouts.xlsx:3; the first occurrence counts"
        );
        assert_eq!(finding.sources, "payouts.xlsx:3;payouts.xlsx:9");
    }

    /// SPEC §5 INVALID_ID_NUMBER: one per distinct value, evidence every row
    /// naming it.
    #[test]
    fn an_invalid_id_number_is_one_finding_with_every_row() {
        let mut case = testing::case(2, Vec::new(), &[]);
        case.invalid_id_evidence = vec![
            (PersonId(1), Source::new(FileKind::Payouts, 4)),
            (PersonId(0), Source::new(FileKind::Roster, 2)),
            (PersonId(1), Source::new(FileKind::Roster, 5)),
        ];
        let findings = invalid_id_number_findings(&case);
        let summary: Vec<(&str, &str)> = findings
            .iter()
            .map(|finding| (&*finding.id_number, &*finding.sources))
            .collect();
        assert_eq!(
            summary,
            [
                (FIRST, "roster.csv:2"),
                (SECOND, "payouts.csv:4;roster.csv:5")
            ]
        );
        assert_eq!(
            findings[0].detail,
            format!("\"{FIRST}\" is not 17 digits and a correct check character (GB 11643)")
        );
    }
}

//! exclusions.csv (数据比对) and relatives.csv (近亲属备案), SPEC §2.

use super::table::{for_each_row, required, BadRecord, Column, LoadedFile, Problems};
use super::FileOutcome;
use crate::case::{Exclusion, PersonId, Relative};
use crate::domain::FileKind;
use crate::error::FatalError;

const EXCLUSION_COLUMNS: [Column; 3] = [
    required("id_number", super::ID_NUMBER_ALIASES),
    required("reason", &["原因"]),
    required("from_period", &["起始月份"]),
];

pub fn read_exclusions(
    file: &LoadedFile,
    partition: Option<&super::Partition>,
) -> Result<FileOutcome<Vec<Exclusion>>, FatalError> {
    let mut outcome = FileOutcome::new(file);
    let mut exclusions = Vec::new();
    let rows = for_each_row(
        file,
        partition.map(|partition| (partition, 0)),
        &EXCLUSION_COLUMNS,
        |row| {
            if outcome.reject_unreadable(row, Some(0)) {
                return;
            }
            let mut problems = Problems::default();
            let id = super::required_text(row, 0, "id_number", &mut problems);
            let reason = super::required_text(row, 1, "reason", &mut problems);
            let from = super::required_period(row, 2, "from_period", &mut problems);
            match (id, reason, from) {
                (Some(id), Some(reason), Some(from)) if problems.is_empty() => {
                    let (local, valid) = outcome.people.intern(id);
                    outcome.note_id(local, valid, row.line);
                    exclusions.push(Exclusion {
                        person: PersonId(local),
                        line: row.line,
                        reason: reason.into(),
                        from,
                    });
                }
                _ => outcome.bad.push(BadRecord::new(
                    row,
                    FileKind::Exclusions,
                    Some(0),
                    problems.into_detail(),
                )),
            }
        },
    )?;
    outcome.report.rows = rows;
    outcome.finish_counts();
    Ok(outcome.with(exclusions))
}

const RELATIVE_COLUMNS: [Column; 4] = [
    required("id_number", super::ID_NUMBER_ALIASES),
    required("staff_name", &["工作人员"]),
    required("relation", &["关系"]),
    required("filed", &["是否备案"]),
];

pub fn read_relatives(
    file: &LoadedFile,
    partition: Option<&super::Partition>,
) -> Result<FileOutcome<Vec<Relative>>, FatalError> {
    let mut outcome = FileOutcome::new(file);
    let mut relatives = Vec::new();
    let rows = for_each_row(
        file,
        partition.map(|partition| (partition, 0)),
        &RELATIVE_COLUMNS,
        |row| {
            if outcome.reject_unreadable(row, Some(0)) {
                return;
            }
            let mut problems = Problems::default();
            let id = super::required_text(row, 0, "id_number", &mut problems);
            let filed = match row.cell(3) {
                None => {
                    problems.missing("filed");
                    None
                }
                Some(value) if value.eq_ignore_ascii_case("yes") || value == "是" => Some(true),
                Some(value) if value.eq_ignore_ascii_case("no") || value == "否" => Some(false),
                Some(value) => {
                    problems.add("filed", Some(value), "expected yes or no");
                    None
                }
            };
            match (id, filed) {
                (Some(id), Some(filed)) if problems.is_empty() => {
                    let (local, valid) = outcome.people.intern(id);
                    outcome.note_id(local, valid, row.line);
                    relatives.push(Relative {
                        person: PersonId(local),
                        line: row.line,
                        staff_name: row.cell(1).unwrap_or_default().into(),
                        relation: row.cell(2).unwrap_or_default().into(),
                        filed,
                    });
                }
                _ => outcome.bad.push(BadRecord::new(
                    row,
                    FileKind::Relatives,
                    Some(0),
                    problems.into_detail(),
                )),
            }
        },
    )?;
    outcome.report.rows = rows;
    outcome.finish_counts();
    Ok(outcome.with(relatives))
}

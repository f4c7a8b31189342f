//! exclusions.csv (数据比对) and relatives.csv (近亲属备案), SPEC §2.

use super::table::{for_each_row, required, BadRecord, Column, LoadedFile, Problems};
use super::FileOutcome;
use crate::case::{Exclusion, PersonId, Relative};
use crate::error::FatalError;

pub(crate) const EXCLUSION_COLUMNS: [Column; 3] = [
    required("id_number", super::schema::ID_NUMBER_ALIASES),
    required("reason", &["原因", "比对结果", "问题类型", "疑点类型"]),
    required("from_period", &["起始月份", "起始年月", "发生年月"]),
];

pub fn read_exclusions(
    file: &LoadedFile,
    partition: Option<&super::Partition>,
) -> Result<FileOutcome<Vec<Exclusion>>, FatalError> {
    let mut outcome = FileOutcome::new(file);
    let mut exclusions = Vec::new();
    let counts = for_each_row(
        file,
        partition.map(|partition| (partition, 0)),
        &EXCLUSION_COLUMNS,
        |row| {
            if outcome.reject_unreadable(row, Some(0)) {
                return;
            }
            let mut problems = Problems::default();
            let id = super::values::id_cell(row, 0, &mut problems);
            let reason = super::values::required_text(row, 1, "reason", &mut problems);
            let from = super::values::required_period(row, 2, "from_period", &mut problems);
            match (id, reason, from) {
                (Some(id), Some(reason), Some(from)) if problems.is_empty() => {
                    let (local, valid) = outcome.people.intern(id);
                    outcome.note_id(local, valid, row.source());
                    exclusions.push(Exclusion {
                        person: PersonId(local),
                        source: row.source(),
                        reason: reason.into(),
                        from,
                    });
                }
                _ => outcome
                    .bad
                    .push(BadRecord::new(row, Some(0), problems.into_detail())),
            }
        },
    )?;
    outcome.report.rows = counts.rows;
    outcome.report.summary_rows = counts.summary_rows;
    outcome.note_header(file, &counts.by_sheet);
    outcome.finish_counts();
    Ok(outcome.with(exclusions))
}

pub(crate) const RELATIVE_COLUMNS: [Column; 4] = [
    required("id_number", super::schema::ID_NUMBER_ALIASES),
    required("staff_name", &["工作人员", "工作人员姓名", "干部姓名"]),
    required("relation", &["关系", "亲属关系", "与工作人员关系"]),
    required("filed", &["是否备案", "备案"]),
];

pub fn read_relatives(
    file: &LoadedFile,
    partition: Option<&super::Partition>,
) -> Result<FileOutcome<Vec<Relative>>, FatalError> {
    let mut outcome = FileOutcome::new(file);
    let mut relatives = Vec::new();
    let counts = for_each_row(
        file,
        partition.map(|partition| (partition, 0)),
        &RELATIVE_COLUMNS,
        |row| {
            if outcome.reject_unreadable(row, Some(0)) {
                return;
            }
            let mut problems = Problems::default();
            let id = super::values::id_cell(row, 0, &mut problems);
            let filed = match row.cell(3) {
                None => {
                    problems.missing("filed");
                    None
                }
                Some(value) => {
                    let filed = crate::domain::program::parse_filed(value);
                    if filed.is_none() {
                        problems.add("filed", Some(value), "expected yes or no");
                    }
                    filed
                }
            };
            match (id, filed) {
                (Some(id), Some(filed)) if problems.is_empty() => {
                    let (local, valid) = outcome.people.intern(id);
                    outcome.note_id(local, valid, row.source());
                    relatives.push(Relative {
                        person: PersonId(local),
                        source: row.source(),
                        staff_name: row.cell(1).unwrap_or_default().into(),
                        relation: row.cell(2).unwrap_or_default().into(),
                        filed,
                    });
                }
                _ => outcome
                    .bad
                    .push(BadRecord::new(row, Some(0), problems.into_detail())),
            }
        },
    )?;
    outcome.report.rows = counts.rows;
    outcome.report.summary_rows = counts.summary_rows;
    outcome.note_header(file, &counts.by_sheet);
    outcome.finish_counts();
    Ok(outcome.with(relatives))
}

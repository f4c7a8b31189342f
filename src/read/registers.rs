//! exclusions.csv (数据比对), relatives.csv (近亲属备案), and (SPEC v3)
//! members.csv (家庭成员) and watchlist.csv (比对线索): the person lists
//! beside the roster, SPEC §2.

use super::table::{for_each_row, optional, required, BadRecord, Column, LoadedFile, Problems};
use super::FileOutcome;
use crate::case::{Exclusion, Lead, Member, PersonId, Relative};
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

pub(crate) const MEMBER_COLUMNS: [Column; 4] = [
    required("household_id", &["户编号", "家庭编号", "户号"]),
    required("id_number", super::schema::ID_NUMBER_ALIASES),
    optional("name", &["姓名", "成员姓名", "家庭成员姓名"]),
    optional("relation", &["与户主关系", "家庭关系", "关系", "成员关系"]),
];

/// members.csv (SPEC v3): household_id and id_number in every row.
pub fn read_members(
    file: &LoadedFile,
    partition: Option<&super::Partition>,
) -> Result<FileOutcome<Vec<Member>>, FatalError> {
    let mut outcome = FileOutcome::new(file);
    let mut members = Vec::new();
    let counts = for_each_row(
        file,
        partition.map(|partition| (partition, 1)),
        &MEMBER_COLUMNS,
        |row| {
            if outcome.reject_unreadable(row, Some(1)) {
                return;
            }
            let mut problems = Problems::default();
            let household = super::values::required_text(row, 0, "household_id", &mut problems);
            super::values::code_cell(row, 0, "household_id", &mut problems);
            let id = super::values::id_cell(row, 1, &mut problems);
            match (household, id) {
                (Some(household), Some(id)) if problems.is_empty() => {
                    let (local, valid) = outcome.people.intern(id);
                    outcome.note_id(local, valid, row.source());
                    members.push(Member {
                        person: PersonId(local),
                        source: row.source(),
                        household_id: household.into(),
                        name: row.cell(2).unwrap_or_default().into(),
                        relation: row.cell(3).unwrap_or_default().into(),
                    });
                }
                _ => outcome
                    .bad
                    .push(BadRecord::new(row, Some(1), problems.into_detail())),
            }
        },
    )?;
    outcome.report.rows = counts.rows;
    outcome.report.summary_rows = counts.summary_rows;
    outcome.note_header(file, &counts.by_sheet);
    outcome.finish_counts();
    Ok(outcome.with(members))
}

pub(crate) const LEAD_COLUMNS: [Column; 6] = [
    required("id_number", super::schema::ID_NUMBER_ALIASES),
    optional("name", super::schema::NAME_ALIASES),
    optional("region", super::schema::REGION_ALIASES),
    required(
        "source",
        &[
            "来源",
            "线索来源",
            "数据来源",
            "比对来源",
            "来源部门",
            "部门",
        ],
    ),
    required(
        "reason",
        &["原因", "线索内容", "比对原因", "疑点", "疑点类型", "线索"],
    ),
    required(
        "period",
        &[
            "数据月份",
            "数据年月",
            "数据期间",
            "所属期",
            "所属月份",
            "所属年月",
        ],
    ),
];

/// watchlist.csv (SPEC v3): id_number, source, reason and a single period
/// in every row.
pub fn read_watchlist(
    file: &LoadedFile,
    partition: Option<&super::Partition>,
) -> Result<FileOutcome<Vec<Lead>>, FatalError> {
    let mut outcome = FileOutcome::new(file);
    let mut leads = Vec::new();
    let counts = for_each_row(
        file,
        partition.map(|partition| (partition, 0)),
        &LEAD_COLUMNS,
        |row| {
            if outcome.reject_unreadable(row, Some(0)) {
                return;
            }
            let mut problems = Problems::default();
            let id = super::values::id_cell(row, 0, &mut problems);
            let list = super::values::required_text(row, 3, "source", &mut problems);
            let reason = super::values::required_text(row, 4, "reason", &mut problems);
            let period = match row.cell(5) {
                None => {
                    problems.missing("period");
                    None
                }
                Some(value) => match super::values::range_value(row.kind(5), value) {
                    Ok(range) if range.is_single() => Some(range.first),
                    Ok(_) => {
                        problems.add(
                            "period",
                            Some(value),
                            "expected one month, the month the department's data are as of, not a range",
                        );
                        None
                    }
                    Err(expected) => {
                        problems.add("period", Some(value), expected);
                        None
                    }
                },
            };
            match (id, list, reason, period) {
                (Some(id), Some(list), Some(reason), Some(period)) if problems.is_empty() => {
                    let (local, valid) = outcome.people.intern(id);
                    outcome.note_id(local, valid, row.source());
                    leads.push(Lead {
                        person: PersonId(local),
                        source: row.source(),
                        name: row.cell(1).unwrap_or_default().into(),
                        region: row.cell(2).unwrap_or_default().into(),
                        list: list.into(),
                        reason: reason.into(),
                        period,
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
    Ok(outcome.with(leads))
}

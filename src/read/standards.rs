//! standards.csv → standard rows; ambiguous rows stop the run (SPEC §2).

use std::collections::BTreeMap;

use super::table::{for_each_row, required, BadRecord, Column, LoadedFile, Problems};
use super::FileOutcome;
use crate::case::StandardRow;
use crate::domain::{FileKind, Item, Period, Program};
use crate::error::{FatalError, Location};

const COLUMNS: [Column; 5] = [
    required("region", &["区划代码"]),
    required("program", &["项目"]),
    required("item", &["标准项目"]),
    required("effective_from", &["起始月份"]),
    required("amount", &["金额"]),
];

pub fn read(file: &LoadedFile) -> Result<FileOutcome<Vec<StandardRow>>, FatalError> {
    let mut outcome = FileOutcome::new(file);
    let mut rows_read: Vec<StandardRow> = Vec::new();
    let rows = for_each_row(file, None, &COLUMNS, |row| {
        if outcome.reject_unreadable(row, None) {
            return;
        }
        let mut problems = Problems::default();
        let region = row.cell(0);
        if region.is_none() {
            problems.missing("region");
        }
        let program = match row.cell(1) {
            None => {
                problems.missing("program");
                None
            }
            Some(value) => {
                let program = Program::parse(value)
                    .filter(|program| matches!(program, Program::Dibao | Program::Tekun));
                if program.is_none() {
                    problems.add("program", Some(value), "expected dibao or tekun");
                }
                program
            }
        };
        let item = match (row.cell(2), program) {
            (None, _) => {
                problems.missing("item");
                None
            }
            (Some(_), None) => None,
            (Some(value), Some(program)) => {
                let item = Item::parse(program, value);
                if item.is_none() {
                    let expected = match program {
                        Program::Dibao => "expected standard, floor or price_subsidy for dibao",
                        _ => "expected basic, care_self, care_semi, care_full or price_subsidy for tekun",
                    };
                    problems.add("item", Some(value), expected);
                }
                item
            }
        };
        let effective_from = super::required_period(row, 3, "effective_from", &mut problems);
        let amount = match row.cell(4) {
            None => {
                problems.missing("amount");
                None
            }
            Some(value) => Some(super::money_cell("amount", value, false, &mut problems)),
        };
        match (region, program, item, effective_from, amount) {
            (Some(region), Some(program), Some(item), Some(effective_from), Some(amount))
                if problems.is_empty() =>
            {
                rows_read.push(StandardRow {
                    line: row.line,
                    region: if region == "*" {
                        "".into()
                    } else {
                        region.into()
                    },
                    program,
                    item,
                    effective_from,
                    amount,
                });
            }
            _ => outcome.bad.push(BadRecord::new(
                row,
                FileKind::Standards,
                None,
                problems.into_detail(),
            )),
        }
    })?;
    outcome.report.rows = rows;

    // Same (region, program, item, effective_from): equal amounts are one
    // row said twice; different amounts make the file ambiguous.
    let mut seen: BTreeMap<(&str, Program, Item, Period), &StandardRow> = BTreeMap::new();
    let mut keep = vec![true; rows_read.len()];
    for (index, row) in rows_read.iter().enumerate() {
        let key = (
            row.region.as_ref(),
            row.program,
            row.item,
            row.effective_from,
        );
        match seen.get(&key) {
            None => {
                seen.insert(key, row);
            }
            Some(first) if first.amount == row.amount => keep[index] = false,
            Some(first) => {
                return Err(FatalError::AmbiguousStandards {
                    location: Location::line(FileKind::Standards.file_name(), u64::from(row.line)),
                    message: format!(
                        "ambiguous standards: region {}, program {}, item {}, effective_from {} has amount {} here but {} at standards.csv:{}; keep one row",
                        if row.region.is_empty() {
                            "*".into()
                        } else {
                            crate::error::excerpt(&row.region)
                        },
                        row.program.name(),
                        row.item.name(),
                        row.effective_from,
                        row.amount,
                        first.amount,
                        first.line
                    ),
                })
            }
        }
    }
    drop(seen);
    let mut keep = keep.into_iter();
    rows_read.retain(|_| keep.next().expect("one flag per row"));
    outcome.finish_counts();
    Ok(outcome.with(rows_read))
}

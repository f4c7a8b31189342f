//! standards.csv → standard rows; ambiguous rows stop the run (SPEC §2).

use std::collections::BTreeMap;

use super::table::{for_each_row, required, BadRecord, Column, LoadedFile, Problems};
use super::FileOutcome;
use crate::case::StandardRow;
use crate::domain::program::fold_rule_name;
use crate::domain::{Amount, Item, Period, Program, Share};
use crate::error::{FatalError, Location};

pub(crate) const COLUMNS: [Column; 5] = [
    required("region", &["区划代码", "行政区划代码", "属地", "区划"]),
    required("program", &["项目", "救助类别", "保障类别"]),
    required("item", &["标准项目", "标准类别"]),
    required(
        "effective_from",
        &["起始月份", "执行年月", "起始年月", "生效年月", "执行时间"],
    ),
    required("amount", &["金额", "标准", "标准金额"]).money(),
];

pub fn read(file: &LoadedFile) -> Result<FileOutcome<Vec<StandardRow>>, FatalError> {
    let mut outcome = FileOutcome::new(file);
    let mut rows_read: Vec<StandardRow> = Vec::new();
    let counts = for_each_row(file, None, &COLUMNS, |row| {
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
                        Program::Dibao => "expected standard, floor, price_subsidy, tier_<T> or topup_<C> for dibao (T and C without white space, comma, ; or +)",
                        _ => "expected basic, care_self, care_semi, care_full, min_wage or price_subsidy for tekun",
                    };
                    problems.add("item", Some(value), expected);
                }
                item.map(|(item, name)| (item, fold_rule_name(name)))
            }
        };
        let effective_from =
            super::values::required_period(row, 3, "effective_from", &mut problems);
        let amount = match row.cell(4) {
            None => {
                problems.missing("amount");
                None
            }
            Some(value) => amount_cell(
                value,
                (row.unit(4), row.kind(4)),
                program,
                item.as_ref().map(|(item, _)| *item),
                &mut problems,
            ),
        };
        match (region, program, item, effective_from, amount) {
            (
                Some(region),
                Some(program),
                Some((item, name)),
                Some(effective_from),
                Some(amount),
            ) if problems.is_empty() => {
                rows_read.push(StandardRow {
                    source: row.source(),
                    region: if region == "*" {
                        "".into()
                    } else {
                        region.into()
                    },
                    program,
                    item,
                    name,
                    effective_from,
                    amount,
                });
            }
            _ => outcome
                .bad
                .push(BadRecord::new(row, None, problems.into_detail())),
        }
    })?;
    outcome.report.rows = counts.rows;
    outcome.report.summary_rows = counts.summary_rows;

    // Same (region, program, item, effective_from): equal amounts are one
    // row said twice; different amounts make the file ambiguous.
    let mut seen: BTreeMap<(&str, Program, Item, &str, Period), &StandardRow> = BTreeMap::new();
    let mut keep = vec![true; rows_read.len()];
    for (index, row) in rows_read.iter().enumerate() {
        let key = (
            row.region.as_ref(),
            row.program,
            row.item,
            row.name.as_ref(),
            row.effective_from,
        );
        match seen.get(&key) {
            None => {
                seen.insert(key, row);
            }
            Some(first) if first.amount.same_as(row.amount) => keep[index] = false,
            Some(first) => {
                return Err(FatalError::AmbiguousStandards {
                    location: Location::line(file.name(), u64::from(row.source.line)),
                    message: format!(
                        "ambiguous standards: region {}, program {}, item {}, effective_from {} has amount {} here but {} at {}:{}; keep one row",
                        if row.region.is_empty() {
                            "*".into()
                        } else {
                            crate::error::excerpt(&row.region)
                        },
                        row.program.name(),
                        item_text(row),
                        row.effective_from,
                        row.amount,
                        first.amount,
                        file.name(),
                        first.source.line
                    ),
                })
            }
        }
    }
    drop(seen);
    let mut keep = keep.into_iter();
    rows_read.retain(|_| keep.next().expect("one flag per row"));
    outcome.note_header(file, &counts.by_sheet);
    outcome.finish_counts();
    Ok(outcome.with(rows_read))
}

/// An amount cell (SPEC v2 §2): money, `N%` or `a/b`; a share of dibao
/// `standard` or tekun `min_wage` — the bases themselves — is refused.
fn amount_cell(
    value: &str,
    (unit, kind): (crate::domain::Unit, super::workbook::CellKind),
    program: Option<Program>,
    item: Option<Item>,
    problems: &mut Problems,
) -> Option<Amount> {
    match Share::parse(value) {
        Ok(None) => Some(Amount::Money(super::values::money_cell_in(
            "amount", value, unit, kind, false, problems,
        ))),
        Ok(Some(share)) => {
            let is_base = matches!(
                (program, item),
                (Some(program), Some(item)) if Item::base(program, item).is_none()
            );
            if is_base {
                problems.add(
                    "amount",
                    Some(value),
                    "expected money: dibao standard and tekun min_wage are the bases that shares are taken of, so they cannot be shares",
                );
            }
            Some(Amount::Share(share))
        }
        Err(error) => {
            problems.add("amount", Some(value), error.describe());
            None
        }
    }
}

/// The item as standards.csv names it: `tier_b`, `care_self`.
fn item_text(row: &StandardRow) -> String {
    format!("{}{}", row.item.name(), row.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Money;

    fn problems_of(value: &str, program: Program, item: Item) -> (Option<Amount>, String) {
        let mut problems = Problems::default();
        let amount = amount_cell(
            value,
            (
                crate::domain::Unit::Yuan,
                super::super::workbook::CellKind::Text,
            ),
            Some(program),
            Some(item),
            &mut problems,
        );
        (amount, problems.into_detail())
    }

    #[test]
    fn a_share_on_a_base_item_is_refused() {
        let (_, detail) = problems_of("5%", Program::Dibao, Item::Standard);
        assert!(detail.contains("cannot be shares"), "{detail}");
        let (_, detail) = problems_of("1/2", Program::Tekun, Item::MinWage);
        assert!(detail.contains("cannot be shares"), "{detail}");
        let (amount, detail) = problems_of("130%", Program::Tekun, Item::Basic);
        assert!(detail.is_empty(), "{detail}");
        assert!(matches!(amount, Some(Amount::Share(_))));
        let (amount, detail) = problems_of("600.00", Program::Dibao, Item::Standard);
        assert!(detail.is_empty());
        assert_eq!(amount, Some(Amount::Money(Money::from_yuan(600))));
    }

    #[test]
    fn malformed_shares_say_what_was_expected() {
        let (_, detail) = problems_of("abc%", Program::Dibao, Item::Floor);
        assert!(detail.contains("expected a percentage"), "{detail}");
        let (_, detail) = problems_of("1/0", Program::Tekun, Item::CareSelf);
        assert!(
            detail.contains("denominator must be at least 1"),
            "{detail}"
        );
        let (_, detail) = problems_of("-600", Program::Dibao, Item::Standard);
        assert!(detail.contains("expected money"), "{detail}");
    }
}

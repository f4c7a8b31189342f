//! roster.csv → enrolments (SPEC §2).

use super::table::{
    for_each_row, optional, required, BadRecord, Column, LoadedFile, Problems, Row,
};
use super::FileOutcome;
use crate::case::{DuplicateRecord, Enrolment, LocalRules, PersonId};
use crate::domain::program::{fold_rule_name, is_rule_name, parse_support_mode};
use crate::domain::regions::{is_code, NameLookup, Regions};
use crate::domain::{CareLevel, FileKind, Money, Period, Program};
use crate::error::FatalError;

const ENROLMENT_ID: usize = 0;
const ID_NUMBER: usize = 1;
const NAME: usize = 2;
const HOUSEHOLD_ID: usize = 3;
const REGION: usize = 4;
const PROGRAM: usize = 5;
const HOUSEHOLD_SIZE: usize = 6;
const PER_CAPITA_INCOME: usize = 7;
const DEDUCTIONS: usize = 8;
const CARE_LEVEL: usize = 9;
const SUPPORT_MODE: usize = 10;
const APPROVED_AMOUNT: usize = 11;
const START_PERIOD: usize = 12;
const END_PERIOD: usize = 13;
const ACCOUNT: usize = 14;
const TIER: usize = 15;
const CATEGORIES: usize = 16;
const PHASE_OUT_FROM: usize = 17;

pub(crate) const COLUMNS: [Column; 18] = [
    required(
        "enrolment_id",
        &[
            "救助证编号",
            "救助证号",
            "低保证号",
            "低保证编号",
            "特困证号",
            "供养证号",
            "证号",
            "救助编号",
            "保障编号",
        ],
    ),
    required("id_number", super::schema::ID_NUMBER_ALIASES),
    required("name", &["姓名", "保障对象姓名", "救助对象姓名"]),
    optional("household_id", &["户编号", "家庭编号", "户号"]),
    required("region", super::schema::REGION_ALIASES),
    required("program", super::schema::PROGRAM_ALIASES),
    optional(
        "household_size",
        &["家庭人口", "保障人数", "保障人口", "家庭人数", "享受人数"],
    ),
    optional(
        "per_capita_income",
        &["人均收入", "家庭人均收入", "月人均收入"],
    )
    .money(),
    optional("deductions", &["扣减", "刚性支出", "扣减项", "就业成本"]).money(),
    optional(
        "care_level",
        &["护理等级", "照料护理等级", "自理能力", "护理级别"],
    ),
    optional("support_mode", &["供养方式", "供养形式"]),
    optional("approved_amount", &["批准金额", "救助金额", "审批金额"]).money(),
    required(
        "start_period",
        &[
            "起始月份",
            "起始保障年月",
            "起始年月",
            "保障起始年月",
            "享受起始年月",
            "开始年月",
        ],
    ),
    optional(
        "end_period",
        &[
            "终止月份",
            "截止保障年月",
            "截止年月",
            "终止年月",
            "保障截止年月",
            "停保年月",
        ],
    ),
    optional("account", super::schema::ACCOUNT_ALIASES),
    optional("tier", &["分档", "档次", "保障档次"]),
    optional("categories", &["分类施保", "分类施保类别"]),
    optional("phase_out_from", &["渐退起始月份", "渐退起始年月"]),
];

/// The region as a code: with regions.csv, a roster whose 属地 column holds
/// a village's name (东风村) is read as its code; a name regions.csv does
/// not hold, or holds under several codes, cannot be placed and the row is
/// a BAD_RECORD saying to write the code. Without regions.csv, or when the
/// cell holds digits, the cell is kept as written.
fn region_code(region: Box<str>, regions: &Regions, problems: &mut Problems) -> Box<str> {
    if regions.is_empty() || region.is_empty() || is_code(&region) {
        return region;
    }
    match regions.code_of(&region) {
        NameLookup::One(code) => code.into(),
        NameLookup::Unknown => {
            problems.add(
                "region",
                Some(&region),
                "expected a region code; regions.csv names no region so (write the code, or add the name to regions.csv)",
            );
            region
        }
        NameLookup::Several(codes) => {
            problems.add(
                "region",
                Some(&region),
                &format!(
                    "regions.csv gives this name to {} regions ({}); write the code of the one meant",
                    codes.len(),
                    crate::domain::text::listed(codes)
                ),
            );
            region
        }
    }
}

/// Largest household the engine accepts; a larger number is a typing error.
pub(super) const MAX_HOUSEHOLD_SIZE: u32 = 1000;

pub fn read(
    file: &LoadedFile,
    partition: Option<&super::Partition>,
) -> Result<FileOutcome<Vec<Enrolment>>, FatalError> {
    let mut outcome = FileOutcome::new(file);
    let mut enrolments: Vec<Enrolment> = Vec::new();
    let counts = for_each_row(
        file,
        partition.map(|partition| (partition, ID_NUMBER)),
        &COLUMNS,
        |row| {
            if outcome.reject_unreadable(row, Some(ID_NUMBER)) {
                return;
            }
            match parse(row, &file.regions) {
                Ok(mut enrolment) => {
                    let (local, valid) = outcome
                        .people
                        .intern(row.cell(ID_NUMBER).expect("checked by parse"));
                    enrolment.person = PersonId(local);
                    outcome.note_id(local, valid, row.source());
                    // In a partitioned run, a repeat found by the scan of the
                    // whole kind is set aside here: its first occurrence may
                    // belong to another partition.
                    match partition.and_then(|partition| partition.first_of_repeat(row.source())) {
                        Some(first) => outcome.duplicates.push(DuplicateRecord {
                            kind: FileKind::Roster,
                            first,
                            repeat: row.source(),
                            record_id: enrolment.enrolment_id.clone(),
                            person: enrolment.person,
                            program: enrolment.program,
                            periods: None,
                        }),
                        None => enrolments.push(enrolment),
                    }
                }
                Err(detail) => outcome
                    .bad
                    .push(BadRecord::new(row, Some(ID_NUMBER), detail)),
            }
        },
    )?;
    outcome.report.rows = counts.rows;
    outcome.report.summary_rows = counts.summary_rows;
    // Repeated enrolment_ids are found across all the roster's files, once
    // they are read (super::repeats).
    outcome.note_header(file, &counts.by_sheet);
    outcome.finish_counts();
    let approved: i128 = enrolments
        .iter()
        .map(|enrolment| i128::from(enrolment.approved_amount.fen()))
        .sum();
    super::values::check_money_total(file.name(), approved)?;
    Ok(outcome.with(enrolments))
}

fn parse(row: &Row<'_>, regions: &Regions) -> Result<Enrolment, String> {
    let mut problems = Problems::default();
    let text = |column: usize, problems: &mut Problems| -> Box<str> {
        match row.cell(column) {
            Some(value) => value.into(),
            None => {
                problems.missing(COLUMNS[column].name);
                "".into()
            }
        }
    };
    let enrolment_id = text(ENROLMENT_ID, &mut problems);
    super::values::code_cell(row, ENROLMENT_ID, "enrolment_id", &mut problems);
    super::values::id_cell(row, ID_NUMBER, &mut problems);
    let name = text(NAME, &mut problems);
    let region = region_code(text(REGION, &mut problems), regions, &mut problems);
    let program = match row.cell(PROGRAM) {
        None => {
            problems.missing("program");
            None
        }
        Some(value) => match Program::parse(value).filter(|program| program.is_enrollable()) {
            Some(program) => Some(program),
            None => {
                problems.add("program", Some(value), "expected dibao, tekun or temp");
                None
            }
        },
    };
    let start = super::values::required_period(row, START_PERIOD, "start_period", &mut problems);
    super::values::code_cell(row, ACCOUNT, "account", &mut problems);

    let mut enrolment = Enrolment {
        source: row.source(),
        person: PersonId(0),
        enrolment_id,
        name,
        household_id: row.cell(HOUSEHOLD_ID).unwrap_or_default().into(),
        region,
        program: program.unwrap_or(Program::Dibao),
        household_size: 1,
        per_capita_income: Money::ZERO,
        deductions: Money::ZERO,
        care_level: None,
        centralized: false,
        approved_amount: Money::ZERO,
        start: start.unwrap_or(Period::from_year_month(1, 1).expect("0001-01 is a period")),
        end: None,
        phase_out_from: None,
        last_covered: None,
        local_rules: None,
        account: row
            .cell(ACCOUNT)
            .map(|account| {
                account
                    .chars()
                    .filter(|character| !character.is_whitespace())
                    .collect::<String>()
            })
            .unwrap_or_default()
            .into(),
    };

    match program {
        Some(Program::Dibao) => {
            enrolment.household_size = match row.cell(HOUSEHOLD_SIZE) {
                None => {
                    problems.add("household_size", None, "a value is required for dibao");
                    1
                }
                Some(value) => match value.parse::<u32>() {
                    Ok(size)
                        if (1..=MAX_HOUSEHOLD_SIZE).contains(&size)
                            && value.bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        size
                    }
                    _ => {
                        problems.add(
                            "household_size",
                            Some(value),
                            "expected a whole number from 1 to 1000",
                        );
                        1
                    }
                },
            };
            enrolment.per_capita_income = match row.cell(PER_CAPITA_INCOME) {
                None => {
                    problems.add("per_capita_income", None, "a value is required for dibao");
                    Money::ZERO
                }
                Some(value) => super::values::money_at(
                    row,
                    PER_CAPITA_INCOME,
                    "per_capita_income",
                    value,
                    false,
                    &mut problems,
                ),
            };
            if let Some(value) = row.cell(DEDUCTIONS) {
                enrolment.deductions = super::values::money_at(
                    row,
                    DEDUCTIONS,
                    "deductions",
                    value,
                    false,
                    &mut problems,
                );
            }
            enrolment.local_rules =
                local_rules(row, enrolment.household_size, &mut problems).map(Box::new);
            if let Some(value) = row.cell(PHASE_OUT_FROM) {
                match super::values::period_value(row.kind(PHASE_OUT_FROM), value) {
                    Err(expected) => problems.add("phase_out_from", Some(value), expected),
                    Ok(from) if start.is_some_and(|start| from < start) => problems.add(
                        "phase_out_from",
                        Some(value),
                        "the phase-out begins before the enrolment's start_period",
                    ),
                    Ok(from) => enrolment.phase_out_from = Some(from),
                }
            }
        }
        Some(Program::Tekun) => {
            enrolment.care_level = match row.cell(CARE_LEVEL) {
                None => {
                    problems.add("care_level", None, "a value is required for tekun");
                    None
                }
                Some(value) => {
                    let level = CareLevel::parse(value);
                    if level.is_none() {
                        problems.add("care_level", Some(value), "expected self, semi or full");
                    }
                    level
                }
            };
            if let Some(value) = row.cell(SUPPORT_MODE) {
                match parse_support_mode(value) {
                    Some(centralized) => enrolment.centralized = centralized,
                    None => problems.add(
                        "support_mode",
                        Some(value),
                        "expected dispersed or centralized",
                    ),
                }
            }
        }
        Some(Program::Temp) => {
            enrolment.approved_amount = match row.cell(APPROVED_AMOUNT) {
                None => {
                    problems.add("approved_amount", None, "a value is required for temp");
                    Money::ZERO
                }
                Some(value) => super::values::money_at(
                    row,
                    APPROVED_AMOUNT,
                    "approved_amount",
                    value,
                    false,
                    &mut problems,
                ),
            };
        }
        Some(Program::PriceSubsidy) | None => {}
    }

    // SPEC §2: for temp, end_period is not read at all.
    if program != Some(Program::Temp) {
        if let Some(value) = row.cell(END_PERIOD) {
            match super::values::period_value(row.kind(END_PERIOD), value) {
                Err(expected) => problems.add("end_period", Some(value), expected),
                Ok(end) => {
                    if start.is_some_and(|start| end < start) {
                        problems.add(
                            "end_period",
                            Some(value),
                            "the enrolment ends before its start_period",
                        );
                    }
                    enrolment.end = Some(end);
                }
            }
        }
    }

    // Coverage until the policy's phase-out is applied at assembly.
    enrolment.last_covered = enrolment.end;
    if problems.is_empty() {
        Ok(enrolment)
    } else {
        Err(problems.into_detail())
    }
}

/// SPEC v2: a dibao row's `tier` and `categories`; `None` when neither is
/// given. Categories are one entry per qualifying member, separated by `;`,
/// a member's categories joined by `+`; at most `household_size` entries.
fn local_rules(row: &Row<'_>, household_size: u32, problems: &mut Problems) -> Option<LocalRules> {
    let tier_cell = row.cell(TIER);
    let categories_cell = row.cell(CATEGORIES);
    if tier_cell.is_none() && categories_cell.is_none() {
        return None;
    }
    let mut rules = LocalRules::default();
    if let Some(value) = tier_cell {
        if is_rule_name(value) {
            rules.tier = Some(fold_rule_name(value));
        } else {
            problems.add(
                "tier",
                Some(value),
                "expected a tier name without white space, comma, ; or +",
            );
        }
    }
    if let Some(value) = categories_cell {
        match parse_categories(value) {
            Err(expected) => problems.add("categories", Some(value), expected),
            Ok(members) if members.len() > household_size as usize => problems.add(
                "categories",
                Some(value),
                &format!(
                    "lists {} members but the household has {household_size} (household_size)",
                    members.len()
                ),
            ),
            Ok(members) => rules.members = members,
        }
    }
    Some(rules)
}

/// `elderly70+disabled;minor` → [[elderly70, disabled], [minor]], names
/// folded, a member's repeats dropped.
pub(super) fn parse_categories(value: &str) -> Result<Vec<Vec<Box<str>>>, &'static str> {
    value
        .split(';')
        .map(|entry| {
            let mut names: Vec<Box<str>> = Vec::new();
            for name in entry.split('+').map(str::trim) {
                if !is_rule_name(name) {
                    return Err(if entry.trim().is_empty() {
                        "an entry between ; is empty; list one entry per qualifying member, e.g. elderly70+disabled;minor"
                    } else {
                        "expected category names without white space or comma, joined by + within a member and ; between members"
                    });
                }
                let folded = fold_rule_name(name);
                if !names.contains(&folded) {
                    names.push(folded);
                }
            }
            Ok(names)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(members: &[&[&str]]) -> Vec<Vec<Box<str>>> {
        members
            .iter()
            .map(|member| member.iter().map(|&name| Box::from(name)).collect())
            .collect()
    }

    #[test]
    fn categories_are_members_of_names() {
        assert_eq!(
            parse_categories("ELDERLY70+Disabled;elderly70"),
            Ok(names(&[&["elderly70", "disabled"], &["elderly70"]]))
        );
        assert_eq!(
            parse_categories(" elderly70 + disabled ; minor "),
            Ok(names(&[&["elderly70", "disabled"], &["minor"]]))
        );
        // A category named twice for one member counts once.
        assert_eq!(parse_categories("ill+ILL"), Ok(names(&[&["ill"]])));
        // Full-width letters are not folded: Ｄ stays Ｄ.
        assert_eq!(parse_categories("Ｄ"), Ok(names(&[&["Ｄ"]])));
        for bad in ["a;;b", "a;", ";a", "a++b", "a+", "a b", "a,b", " ; "] {
            assert!(parse_categories(bad).is_err(), "{bad:?}");
        }
    }
}

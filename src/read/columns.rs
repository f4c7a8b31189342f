//! columns.toml (optional, in the case folder): a file kind's columns under
//! local headers, in fen, or given one value for every row.
//!
//! ```toml
//! [transfers.columns]
//! amount = { header = "划拨金额(分)", unit = "fen" }
//! [payouts]
//! sheet = ["1月", "2月"]      # the workbook's sheets to read (hidden ones too)
//! [payouts.columns]
//! program = { value = "dibao" }
//! ```
//!
//! An unknown kind, column or field, a value of the wrong kind, or a
//! `value` the column could not take on any row, stops the run naming the
//! key (or the value) with its line and column — taken from the TOML
//! parser's spans, never from a search of the text.

use std::path::Path;

use crate::domain::{FileKind, Unit};
use crate::error::{FatalError, Location};

/// What columns.toml says of one column of one kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub column: &'static str,
    /// The only header text that names the column (compared as headers
    /// are: trimmed, white space and letter case aside).
    pub header: Option<Box<str>>,
    /// The column's value on every row (the file lacks the column).
    pub value: Option<Box<str>>,
    pub unit: Option<Unit>,
    /// Where columns.toml writes `header`'s value: (line, column), for a
    /// message about a header the file lacks.
    pub header_at: Option<(u64, u64)>,
}

/// columns.toml, parsed: the settings of each kind.
#[derive(Clone, Debug, Default)]
pub struct ColumnsConfig {
    kinds: Vec<(FileKind, Vec<Setting>)>,
    /// The sheets to read of each kind's workbooks, when columns.toml
    /// names them (`sheet = "…"` or a list).
    sheets: Vec<(FileKind, Vec<Box<str>>)>,
}

impl ColumnsConfig {
    /// The sheets columns.toml names for `kind`'s workbooks, if any.
    pub fn sheets_of(&self, kind: FileKind) -> Option<&[Box<str>]> {
        self.sheets
            .iter()
            .find(|(other, _)| *other == kind)
            .map(|(_, sheets)| sheets.as_slice())
    }

    /// The settings for `kind`'s columns (none when not mentioned).
    pub fn of(&self, kind: FileKind) -> &[Setting] {
        self.kinds
            .iter()
            .find(|(other, _)| *other == kind)
            .map_or(&[], |(_, settings)| settings.as_slice())
    }
}

pub fn read(path: &Path) -> Result<ColumnsConfig, FatalError> {
    let bytes = std::fs::read(path).map_err(|source| FatalError::Unreadable {
        location: Location::path(path),
        source,
    })?;
    parse_bytes(super::folder::COLUMNS_FILE, &bytes)
}

/// columns.toml's bytes (UTF-8, a byte-order mark allowed).
pub fn parse_bytes(_name: &str, bytes: &[u8]) -> Result<ColumnsConfig, FatalError> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).map_err(
        |_| FatalError::Columns {
            location: Location::cell(super::folder::COLUMNS_FILE, 1, 1),
            message: "the file is not UTF-8 text; re-save it as UTF-8".into(),
        },
    )?;
    parse(text)
}

/// The columns each kind has, and which of them are money.
fn columns_of(kind: FileKind) -> Vec<(&'static str, bool)> {
    super::columns_of(kind)
}

/// What the row reader would say of `value` in `kind`'s `column` on every
/// row (in `unit`, for an amount): `None` when it reads it. The same
/// functions the row readers call decide, so a value refused here is one
/// that would have made every row a BAD_RECORD.
fn value_problem(kind: FileKind, column: &str, value: &str, unit: Unit) -> Option<String> {
    use super::sheet::CellKind;
    use crate::domain::program::{is_rule_name, parse_filed, parse_support_mode};
    use crate::domain::{CareLevel, Program, Share, Status};
    let text = CellKind::Text;
    let expected = |ok: bool, words: &str| (!ok).then(|| words.to_string());
    // As `money_cell_in` reads a text cell.
    let money = |positive: bool| match crate::domain::Money::parse_in(value, unit) {
        Ok(amount) if positive && !amount.is_positive() => {
            Some("expected an amount greater than 0".to_string())
        }
        Ok(_) => None,
        Err(error) => Some(error.describe().to_string()),
    };
    let period = || {
        super::values::period_value(text, value)
            .err()
            .map(String::from)
    };
    let stage = matches!(
        kind,
        FileKind::Payouts | FileKind::Allocations | FileKind::Transfers
    );
    match (kind, column) {
        (_, "program") if stage => expected(
            Program::parse(value).is_some(),
            "expected dibao, tekun, temp or price_subsidy",
        ),
        (_, "period") if stage => super::values::range_value(text, value)
            .err()
            .map(String::from),
        (_, "amount") if stage => money(true),
        (FileKind::Payouts, "paid_on") | (FileKind::Transfers, "transferred_on") => expected(
            super::values::date_value(text, value).is_some(),
            "expected a date YYYY-MM-DD (or YYYYMMDD, YYYY/MM/DD) that exists",
        ),
        (FileKind::Payouts, "status") => expected(
            Status::parse(value).is_some(),
            "expected paid, failed or returned",
        ),
        (FileKind::Roster, "program") => expected(
            Program::parse(value).is_some_and(|program| program.is_enrollable()),
            "expected dibao, tekun or temp",
        ),
        (FileKind::Roster, "start_period" | "end_period" | "phase_out_from")
        | (FileKind::Standards, "effective_from")
        | (FileKind::Exclusions, "from_period") => period(),
        (FileKind::Roster, "household_size") => expected(
            value.bytes().all(|byte| byte.is_ascii_digit())
                && value
                    .parse::<u32>()
                    .is_ok_and(|size| (1..=super::roster::MAX_HOUSEHOLD_SIZE).contains(&size)),
            "expected a whole number from 1 to 1000",
        ),
        (FileKind::Roster, "per_capita_income" | "deductions" | "approved_amount") => money(false),
        (FileKind::Roster, "care_level") => expected(
            CareLevel::parse(value).is_some(),
            "expected self, semi or full",
        ),
        (FileKind::Roster, "support_mode") => expected(
            parse_support_mode(value).is_some(),
            "expected dispersed or centralized",
        ),
        (FileKind::Roster, "tier") => expected(
            is_rule_name(value),
            "expected a tier name without white space, comma, ; or +",
        ),
        (FileKind::Roster, "categories") => super::roster::parse_categories(value)
            .err()
            .map(String::from),
        (FileKind::Standards, "program") => expected(
            Program::parse(value)
                .is_some_and(|program| matches!(program, Program::Dibao | Program::Tekun)),
            "expected dibao or tekun",
        ),
        (FileKind::Standards, "amount") => match Share::parse(value) {
            Ok(None) => money(false),
            Ok(Some(_)) => None,
            Err(error) => Some(error.describe().to_string()),
        },
        (FileKind::Relatives, "filed") => {
            expected(parse_filed(value).is_some(), "expected yes or no")
        }
        _ => None,
    }
}

pub fn parse(text: &str) -> Result<ColumnsConfig, FatalError> {
    let location = |offset: usize| {
        let (line, column) = super::policy::line_and_column(text, offset);
        Location::cell(super::folder::COLUMNS_FILE, line as u64, column as u64)
    };
    let at = |offset: usize, message: String| FatalError::Columns {
        location: location(offset),
        message,
    };
    let table: toml::Table = text.parse().map_err(|error: toml::de::Error| {
        at(
            error.span().map_or(0, |span| span.start),
            format!(
                "{}; expected tables like [payouts.columns] holding lines like amount = {{ header = \"交易金额\" }}",
                error.message().trim().replace('\n', "; ")
            ),
        )
    })?;
    let positions = super::policy::Positions::new(text);
    let known_kinds: Vec<&str> = FileKind::ALL
        .iter()
        .filter(|&&kind| kind != FileKind::Policy)
        .map(|kind| kind.stem())
        .collect();
    let mut config = ColumnsConfig::default();
    for (kind_key, tables) in &table {
        let kind_at = positions.key(&[kind_key]);
        let Some(kind) = FileKind::ALL
            .iter()
            .copied()
            .filter(|&kind| kind != FileKind::Policy)
            .find(|kind| kind.stem() == kind_key.as_str())
        else {
            return Err(at(
                kind_at,
                format!(
                    "unknown file kind {:?}; columns.toml names one of {}",
                    crate::error::excerpt(kind_key),
                    known_kinds.join(", ")
                ),
            ));
        };
        let not_a_table = |offset: usize, what: String| {
            at(
                offset,
                format!("{what} must be a table, e.g. [{}.columns] with lines like amount = {{ header = \"金额\" }}", kind.stem()),
            )
        };
        let Some(tables) = tables.as_table() else {
            return Err(not_a_table(kind_at, kind.stem().to_string()));
        };
        let columns_known = columns_of(kind);
        let mut settings = Vec::new();
        for (table_key, columns) in tables {
            let table_at = positions.key(&[kind_key, table_key]);
            if table_key == "sheet" {
                let names: Option<Vec<Box<str>>> = match columns {
                    toml::Value::String(name) => Some(vec![name.trim().into()]),
                    toml::Value::Array(names) => names
                        .iter()
                        .map(|name| name.as_str().map(|name| Box::from(name.trim())))
                        .collect(),
                    _ => None,
                };
                match names {
                    Some(names)
                        if !names.is_empty() && names.iter().all(|name| !name.is_empty()) =>
                    {
                        config.sheets.push((kind, names));
                    }
                    _ => {
                        return Err(at(
                            table_at,
                            format!(
                                "{}.sheet = {}: expected a sheet's name in quotes, or a list of them (sheet = [\"1月\", \"2月\"])",
                                kind.stem(),
                                crate::error::excerpt(&columns.to_string())
                            ),
                        ))
                    }
                }
                continue;
            }
            if table_key != "columns" {
                return Err(at(
                    table_at,
                    format!(
                        "unknown key {:?} under [{}]; the keys are sheet and [{}.columns]",
                        crate::error::excerpt(table_key),
                        kind.stem(),
                        kind.stem()
                    ),
                ));
            }
            let Some(columns) = columns.as_table() else {
                return Err(not_a_table(table_at, format!("{}.columns", kind.stem())));
            };
            for (column_key, fields) in columns {
                let column_at = positions.key(&[kind_key, table_key, column_key]);
                let Some(&(column, is_money)) = columns_known
                    .iter()
                    .find(|(name, _)| *name == column_key.as_str())
                else {
                    return Err(at(
                        column_at,
                        format!(
                            "{} has no column {:?}; its columns are {}",
                            kind.file_name(),
                            crate::error::excerpt(column_key),
                            columns_known
                                .iter()
                                .map(|(name, _)| *name)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                };
                let Some(fields) = fields.as_table() else {
                    return Err(at(
                        column_at,
                        format!(
                            "{}.{column} = {}: expected a table such as {{ header = \"金额\" }}, {{ value = \"dibao\" }} or {{ header = \"金额(分)\", unit = \"fen\" }}",
                            kind.stem(),
                            crate::error::excerpt(&fields.to_string())
                        ),
                    ));
                };
                let mut setting = Setting {
                    column,
                    header: None,
                    value: None,
                    unit: None,
                    header_at: None,
                };
                let (kind_name, table_name, column_name) =
                    (kind_key.as_str(), table_key.as_str(), column_key.as_str());
                fn path<'p>(parents: [&'p str; 3], field: &'p str) -> [&'p str; 4] {
                    [parents[0], parents[1], parents[2], field]
                }
                let parents = [kind_name, table_name, column_name];
                for (field, value) in fields {
                    let field_at = positions.key(&path(parents, field));
                    let text_of = |value: &toml::Value, what: &str| {
                        match value {
                        toml::Value::String(text) if !text.trim().is_empty() => {
                            if let Some(character) =
                                super::records::control_character(text.as_bytes())
                            {
                                Err(at(
                                    field_at,
                                    format!(
                                        "{}.{column}.{what} holds the control character U+{:04X}; remove it",
                                        kind.stem(),
                                        u32::from(character)
                                    ),
                                ))
                            } else {
                                Ok(Box::<str>::from(text.trim()))
                            }
                        }
                        other => Err(at(
                            field_at,
                            format!(
                                "{}.{column}.{what} = {}: expected text in quotes that is not empty",
                                kind.stem(),
                                crate::error::excerpt(&other.to_string())
                            ),
                        )),
                    }
                    };
                    match field.as_str() {
                        "header" => {
                            setting.header = Some(text_of(value, "header")?);
                            let (line, column) = super::policy::line_and_column(
                                text,
                                positions.value(&path(parents, field)),
                            );
                            setting.header_at = Some((line as u64, column as u64));
                        }
                        "value" => setting.value = Some(text_of(value, "value")?),
                        "unit" if is_money => {
                            setting.unit = Some(match value.as_str() {
                                Some(unit) if unit.eq_ignore_ascii_case("fen") || unit == "分" => {
                                    Unit::Fen
                                }
                                Some(unit) if unit.eq_ignore_ascii_case("yuan") || unit == "元" => {
                                    Unit::Yuan
                                }
                                _ => {
                                    return Err(at(
                                        field_at,
                                        format!(
                                            "{}.{column}.unit = {}: expected \"yuan\" or \"fen\"",
                                            kind.stem(),
                                            crate::error::excerpt(&value.to_string())
                                        ),
                                    ))
                                }
                            });
                        }
                        "unit" => {
                            return Err(at(
                                field_at,
                                format!(
                                    "{}.{column} is not money, so it has no unit; only amounts do",
                                    kind.stem()
                                ),
                            ))
                        }
                        other => {
                            return Err(at(
                                field_at,
                                format!(
                                "unknown field {:?} of {}.{column}; a column takes header, value{}",
                                crate::error::excerpt(other),
                                kind.stem(),
                                if is_money { " and unit" } else { "" }
                            ),
                            ))
                        }
                    }
                }
                if setting.header.is_some() && setting.value.is_some() {
                    return Err(at(
                        column_at,
                        format!(
                            "{}.{column} gives both header and value; a column is read from the file (header) or is the same on every row (value), not both",
                            kind.stem()
                        ),
                    ));
                }
                if let Some(value) = &setting.value {
                    let unit = setting.unit.unwrap_or_default();
                    if let Some(expected) = value_problem(kind, column, value, unit) {
                        return Err(at(
                            positions.value(&path(parents, "value")),
                            format!(
                                "{}.{column}.value = {:?}: {expected}; columns.toml gives this value to every row of {}, so no row could be read — correct it",
                                kind.stem(),
                                crate::error::excerpt(value),
                                kind.file_name()
                            ),
                        ));
                    }
                }
                if setting.header.is_none() && setting.value.is_none() && setting.unit.is_none() {
                    return Err(at(
                        column_at,
                        format!(
                            "{}.{column} says nothing; give header, value{}",
                            kind.stem(),
                            if is_money { " or unit" } else { "" }
                        ),
                    ));
                }
                settings.push(setting);
            }
        }
        config.kinds.push((kind, settings));
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        parse(text).expect_err("refused").to_string()
    }

    #[test]
    fn headers_units_and_values_are_read() {
        let config = parse(
            "[transfers.columns]\namount = { header = \"划拨金额(分)\", unit = \"fen\" }\n\n[payouts.columns]\nprogram = { value = \"dibao\" }\nperiod = { value = \"2024-07\" }\n",
        )
        .expect("reads");
        assert_eq!(
            config.of(FileKind::Transfers),
            [Setting {
                column: "amount",
                header: Some("划拨金额(分)".into()),
                value: None,
                unit: Some(Unit::Fen),
                header_at: Some((2, 21)),
            }]
        );
        assert_eq!(config.of(FileKind::Payouts).len(), 2);
        assert!(config.of(FileKind::Roster).is_empty());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named_with_their_line() {
        assert_eq!(
            error("[payout.columns]\namount = { header = \"x\" }\n"),
            "columns.toml:1:2: unknown file kind \"payout\"; columns.toml names one of allocations, exclusions, members, payouts, relatives, roster, standards, transfers, watchlist"
        );
        assert_eq!(
            error("[payouts.columns]\n\namout = { header = \"x\" }\n"),
            "columns.toml:3:1: payouts.csv has no column \"amout\"; its columns are payout_id, id_number, program, period, amount, name, account, paid_on, status"
        );
        assert!(error("[payouts.columns]\namount = { heading = \"x\" }\n")
            .starts_with("columns.toml:2:12: unknown field \"heading\" of payouts.amount"));
        assert!(error("[payouts.columns]\nname = { unit = \"fen\" }\n").contains("is not money"));
        assert!(error("[payouts.columns]\namount = { unit = \"jiao\" }\n")
            .contains("expected \"yuan\" or \"fen\""));
        assert!(error("[payouts.columns]\namount = { header = 5 }\n")
            .contains("expected text in quotes"));
        assert!(
            error("[payouts.columns]\namount = { header = \"a\", value = \"1\" }\n")
                .contains("not both")
        );
        assert!(error("[payouts.fields]\n").contains("[payouts.columns]"));
        assert!(error("[payouts.columns]\namount = \"x\"\n").starts_with("columns.toml:2:"));
        assert!(error("[payouts.columns\n").starts_with("columns.toml:1:"));
        assert!(
            error("[payouts.columns]\nprogram = { value = \"a\\u0007\" }\n")
                .contains("control character")
        );
    }

    /// Positions come from the parser's spans: a key written earlier
    /// inside a string, or in a dotted key or a table header, is found
    /// where it is, not where a text search would see it.
    #[test]
    fn positions_are_the_parsers_not_a_text_search() {
        // A text search found `amout = ` inside the string on line 3.
        assert!(error(
            "[payouts.columns]\nname = { header = \"\"\"\namout = 1\"\"\" }\namout = { unit = \"fen\" }\n"
        )
        .starts_with("columns.toml:4:1: payouts.csv has no column \"amout\""));
        assert_eq!(
            error("[payouts.columns]\nname = { header = \"x\" }\namount = { unit = \"jiao\" }\n"),
            "columns.toml:3:12: payouts.amount.unit = \"jiao\": expected \"yuan\" or \"fen\""
        );
        assert!(
            error("[payouts]\ncolumns.amout.header = \"x\"\n").starts_with("columns.toml:2:9: ")
        );
        assert!(
            error("payouts.columns.amount.heading = \"x\"\n").starts_with("columns.toml:1:24: ")
        );
    }

    /// A `value` no row could be read with is one error, at the value,
    /// saying what the column takes — not a BAD_RECORD on every row.
    #[test]
    fn a_value_no_row_could_take_is_refused_where_it_is_written() {
        assert_eq!(
            error("[payouts.columns]\nprogram = { value = \"低保金\" }\n"),
            "columns.toml:2:21: payouts.program.value = \"低保金\": expected dibao, tekun, temp or price_subsidy; columns.toml gives this value to every row of payouts.csv, so no row could be read — correct it"
        );
        for (text, expected) in [
            (
                "[payouts.columns]\nperiod = { value = \"July\" }",
                "payouts.period.value = \"July\": expected",
            ),
            (
                "[payouts.columns]\namount = { value = \"0\" }",
                "expected an amount greater than 0",
            ),
            (
                "[payouts.columns]\nstatus = { value = \"ok\" }",
                "expected paid, failed or returned",
            ),
            (
                "[payouts.columns]\npaid_on = { value = \"2024-02-30\" }",
                "that exists",
            ),
            (
                "[roster.columns]\nprogram = { value = \"price_subsidy\" }",
                "expected dibao, tekun or temp",
            ),
            (
                "[roster.columns]\nhousehold_size = { value = \"1001\" }",
                "from 1 to 1000",
            ),
            (
                "[roster.columns]\ncare_level = { value = \"some\" }",
                "expected self, semi or full",
            ),
            (
                "[standards.columns]\nprogram = { value = \"temp\" }",
                "expected dibao or tekun",
            ),
            (
                "[standards.columns]\namount = { value = \"1/0\" }",
                "standards.amount.value",
            ),
            (
                "[exclusions.columns]\nfrom_period = { value = \"2024\" }",
                "exclusions.from_period.value",
            ),
            (
                "[relatives.columns]\nfiled = { value = \"maybe\" }",
                "expected yes or no",
            ),
        ] {
            let message = error(text);
            assert!(
                message.starts_with("columns.toml:2:") && message.contains(expected),
                "{text}: {message}"
            );
        }
        // Values the rows would read are taken, in every form they take.
        for text in [
            "[payouts.columns]\nprogram = { value = \"低保\" }\nperiod = { value = \"2024年7月\" }\nstatus = { value = \"成功\" }",
            "[transfers.columns]\namount = { value = \"12345\", unit = \"fen\" }\ntransferred_on = { value = \"20240705\" }",
            "[roster.columns]\nprogram = { value = \"dibao\" }\nhousehold_size = { value = \"3\" }\nregion = { value = \"510104\" }",
            "[standards.columns]\namount = { value = \"130%\" }\neffective_from = { value = \"2024-01\" }",
            "[relatives.columns]\nfiled = { value = \"是\" }",
        ] {
            assert!(parse(text).is_ok(), "{text}: {}", error(text));
        }
    }
}

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
//! An unknown kind, column or field, or a value of the wrong kind, stops
//! the run naming the key and its line.

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

/// Where `key` is first written as a key at or after byte `from`: a bare
/// or quoted name followed by `=`, `.` or `]`. Falls back to `from`.
fn find_key(text: &str, key: &str, from: usize) -> usize {
    let from = from.min(text.len());
    for quoted in [key.to_string(), format!("\"{key}\"")] {
        let mut offset = from;
        while let Some(found) = text[offset..].find(quoted.as_str()) {
            let at = offset + found;
            let before = text[..at].chars().next_back();
            let after = text[at + quoted.len()..]
                .trim_start_matches([' ', '\t'])
                .chars()
                .next();
            let starts =
                before.is_none_or(|c| matches!(c, '[' | '.' | '{' | ',' | ' ' | '\t' | '\n'));
            let ends = after.is_some_and(|c| matches!(c, '=' | '.' | ']'));
            if starts && ends {
                return at;
            }
            offset = at + quoted.len();
        }
    }
    from
}

pub fn parse(text: &str) -> Result<ColumnsConfig, FatalError> {
    let at = |offset: usize, message: String| {
        let (line, column) = super::policy::line_and_column(text, offset);
        FatalError::Columns {
            location: Location::cell(super::folder::COLUMNS_FILE, line as u64, column as u64),
            message,
        }
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
    let known_kinds: Vec<&str> = FileKind::ALL
        .iter()
        .filter(|&&kind| kind != FileKind::Policy)
        .map(|kind| kind.stem())
        .collect();
    let mut config = ColumnsConfig::default();
    for (kind_key, tables) in &table {
        let kind_at = find_key(text, kind_key, 0);
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
            let table_at = find_key(text, table_key, kind_at);
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
                let column_at = find_key(text, column_key, table_at);
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
                };
                for (field, value) in fields {
                    let field_at = find_key(text, field, column_at);
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
                        "header" => setting.header = Some(text_of(value, "header")?),
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
}

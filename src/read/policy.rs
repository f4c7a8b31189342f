//! policy.toml (SPEC §2): defaults for missing keys, a fatal error for an
//! unknown key or a value of the wrong kind.

use crate::case::Policy;
use crate::domain::{Money, Program, Rounding};
use crate::error::{FatalError, Location};

/// `policy.toml:line:column`, the column counted in characters.
fn at(line: usize, column: usize) -> Location {
    Location::cell(
        crate::domain::FileKind::Policy.file_name(),
        line as u64,
        column as u64,
    )
}

const KEYS: [&str; 4] = ["payment_deadline_day", "rounding", "tolerance", "exclusive"];

pub fn parse(text: &str) -> Result<Policy, FatalError> {
    let table: toml::Table = text.parse().map_err(|error: toml::de::Error| {
        let (line, column) = error
            .span()
            .map(|span| line_and_column(text, span.start))
            .unwrap_or((1, 1));
        FatalError::Policy {
            location: at(line, column),
            message: error.message().trim().replace('\n', "; "),
        }
    })?;
    let mut policy = Policy::default();
    for (key, value) in &table {
        // Quoted in messages, cut to a readable length.
        let shown = crate::error::excerpt(&value.to_string()).into_owned();
        let shown_key = crate::error::excerpt(key);
        let at = |message: String| {
            let (line, column) = key_position(text, key);
            FatalError::Policy {
                location: at(line, column),
                message,
            }
        };
        match key.as_str() {
            "payment_deadline_day" => {
                policy.payment_deadline_day = value
                    .as_integer()
                    .filter(|day| (1..=31).contains(day))
                    .and_then(|day| u32::try_from(day).ok())
                    .ok_or_else(|| at(format!("payment_deadline_day = {shown}: expected a whole number of days from 1 to 31")))?;
            }
            "rounding" => {
                policy.rounding = value.as_str().and_then(Rounding::parse).ok_or_else(|| {
                    at(format!(
                        "rounding = {shown}: expected \"fen\", \"jiao\" or \"yuan\""
                    ))
                })?;
            }
            "tolerance" => {
                let amount = match value {
                    toml::Value::String(text) => Money::parse(text.trim()).ok(),
                    toml::Value::Integer(yuan) if (0..=10_000_000_000).contains(yuan) => {
                        Some(Money::from_yuan(*yuan))
                    }
                    _ => None,
                };
                policy.tolerance = amount.ok_or_else(|| {
                    at(format!("tolerance = {shown}: expected an amount in yuan ≥ 0 with at most two decimals, quoted, e.g. \"0.50\""))
                })?;
            }
            "exclusive" => {
                policy.exclusive = parse_exclusive(value)
                    .map_err(|problem| at(format!("exclusive = {shown}: {problem}")))?;
            }
            _ => {
                return Err(at(format!(
                    "unknown key \"{shown_key}\"; policy.toml knows only {}",
                    KEYS.join(", ")
                )));
            }
        }
    }
    Ok(policy)
}

fn parse_exclusive(value: &toml::Value) -> Result<Vec<Vec<Program>>, String> {
    let expected = "expected a list of lists of programs, e.g. [[\"dibao\", \"tekun\"]]";
    let groups = value.as_array().ok_or(expected)?;
    groups
        .iter()
        .map(|group| {
            group
                .as_array()
                .ok_or_else(|| expected.to_string())?
                .iter()
                .map(|program| {
                    program.as_str().and_then(Program::parse).ok_or_else(|| {
                        format!("{program} is not a program (dibao, tekun, temp, price_subsidy)")
                    })
                })
                .collect()
        })
        .collect()
}

fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |tail| tail.chars().count())
        + 1;
    (line, column)
}

/// Where `key` is written: the first line that starts with it.
fn key_position(text: &str, key: &str) -> (usize, usize) {
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key) {
            if rest.trim_start().starts_with('=') {
                return (index + 1, line.len() - trimmed.len() + 1);
            }
        }
    }
    (1, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_values() {
        assert_eq!(parse("").unwrap(), Policy::default());
        let policy = parse("rounding = \"yuan\"\ntolerance = \"1.00\"\npayment_deadline_day = 31\nexclusive = [[\"dibao\",\"tekun\",\"temp\"]]\n").unwrap();
        assert_eq!(policy.rounding, Rounding::Yuan);
        assert_eq!(policy.tolerance, Money::from_yuan(1));
        assert_eq!(policy.payment_deadline_day, 31);
        assert!(policy.are_exclusive(Program::Temp, Program::Dibao));
        assert!(!policy.are_exclusive(Program::Dibao, Program::Dibao));
    }

    #[test]
    fn unknown_key_names_its_line() {
        let error = parse("rounding = \"fen\"\n  tolerence = \"1\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("policy.toml:2:3: unknown key \"tolerence\""),
            "{error}"
        );
    }

    #[test]
    fn bad_values_are_fatal() {
        for text in [
            "rounding = \"cent\"",
            "payment_deadline_day = 0",
            "tolerance = \"-1\"",
            "exclusive = [[\"dibao\", \"x\"]]",
            "rounding = ",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
    }
}

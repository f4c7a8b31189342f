//! policy.toml (SPEC §2): defaults for missing keys, a fatal error for an
//! unknown key or a value of the wrong kind.

use crate::case::{Policy, TopupStacking, DECEASED_GRACE_MONTHS, PHASE_OUT_MONTHS, RECTIFY_MONTHS};
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

const KEYS: [&str; 10] = [
    "payment_deadline_day",
    "rounding",
    "tolerance",
    "exclusive",
    "item_rounding",
    "topup_stacking",
    "phase_out_months",
    "deceased_grace_months",
    "rectify_months",
    "notice",
];

/// The keys of the `[notice]` table.
const NOTICE_KEYS: [&str; 3] = ["issuer", "phone", "days"];

/// What each key accepts, as every message about it says.
fn accepts(key: &str) -> Option<String> {
    let months = |range: std::ops::RangeInclusive<u32>| {
        format!(
            "a whole number of months from {} to {}",
            range.start(),
            range.end()
        )
    };
    let words = match key {
        "payment_deadline_day" => "a whole number of days from 1 to 31".to_string(),
        "rounding" | "item_rounding" => "\"fen\", \"jiao\" or \"yuan\"".to_string(),
        "tolerance" => {
            "an amount in yuan ≥ 0 with at most two decimals, quoted, e.g. \"0.50\"".to_string()
        }
        "exclusive" => "a list of lists of programs, e.g. [[\"dibao\", \"tekun\"]]".to_string(),
        "topup_stacking" => "\"highest\" or \"sum\"".to_string(),
        "phase_out_months" => months(PHASE_OUT_MONTHS),
        "deceased_grace_months" => months(DECEASED_GRACE_MONTHS),
        "rectify_months" => months(RECTIFY_MONTHS),
        "notice" => "a table: [notice] with issuer = \"…\", phone = \"…\", days = 7".to_string(),
        _ => return None,
    };
    Some(words)
}

/// `key = value: expected …` for a known key.
fn refused(key: &str, shown: &str) -> String {
    format!(
        "{key} = {shown}: expected {}",
        accepts(key).expect("only known keys are refused")
    )
}

/// A whole number of months within `range`.
fn months(value: &toml::Value, range: std::ops::RangeInclusive<u32>) -> Option<u32> {
    value
        .as_integer()
        .and_then(|months| u32::try_from(months).ok())
        .filter(|months| range.contains(months))
}

pub fn parse(text: &str) -> Result<Policy, FatalError> {
    let table: toml::Table = text.parse().map_err(|error: toml::de::Error| {
        let (line, column) = error
            .span()
            .map(|span| line_and_column(text, span.start))
            .unwrap_or((1, 1));
        let mut message =
            crate::error::excerpt(&error.message().trim().replace('\n', "; ")).into_owned();
        // A value TOML itself cannot read (a number too large, say) is
        // still about a key: name it and what it accepts.
        let key = text
            .lines()
            .nth(line - 1)
            .and_then(|written| written.split_once('='))
            .map(|(key, _)| key.trim());
        if let Some((key, words)) = key.and_then(|key| accepts(key).map(|words| (key, words))) {
            message = format!("{key}: {message}; {key} accepts {words}");
        }
        FatalError::Policy {
            location: at(line, column),
            message,
        }
    })?;
    let positions = Positions::new(text);
    let mut policy = Policy::default();
    for (key, value) in &table {
        // Quoted in messages, cut to a readable length.
        let shown = crate::error::excerpt(&value.to_string()).into_owned();
        let shown_key = crate::error::excerpt(key);
        let at = |message: String| {
            let (line, column) = line_and_column(text, positions.key(&[key]));
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
                    .ok_or_else(|| at(refused(key, &shown)))?;
            }
            "rounding" => {
                policy.rounding = value
                    .as_str()
                    .and_then(Rounding::parse)
                    .ok_or_else(|| at(refused(key, &shown)))?;
            }
            "tolerance" => {
                let amount = match value {
                    toml::Value::String(text) => Money::parse(text.trim()).ok(),
                    toml::Value::Integer(yuan) if (0..=10_000_000_000).contains(yuan) => {
                        Some(Money::from_yuan(*yuan))
                    }
                    _ => None,
                };
                policy.tolerance = amount.ok_or_else(|| at(refused(key, &shown)))?;
            }
            "item_rounding" => {
                policy.item_rounding = value
                    .as_str()
                    .and_then(Rounding::parse)
                    .ok_or_else(|| at(refused(key, &shown)))?;
            }
            "topup_stacking" => {
                policy.topup_stacking = match value.as_str().map(str::trim) {
                    Some(text) if text.eq_ignore_ascii_case("highest") => TopupStacking::Highest,
                    Some(text) if text.eq_ignore_ascii_case("sum") => TopupStacking::Sum,
                    _ => return Err(at(refused(key, &shown))),
                };
            }
            "phase_out_months" => {
                policy.phase_out_months =
                    months(value, PHASE_OUT_MONTHS).ok_or_else(|| at(refused(key, &shown)))?;
            }
            "deceased_grace_months" => {
                policy.deceased_grace_months =
                    months(value, DECEASED_GRACE_MONTHS).ok_or_else(|| at(refused(key, &shown)))?;
            }
            "rectify_months" => {
                policy.rectify_months =
                    months(value, RECTIFY_MONTHS).ok_or_else(|| at(refused(key, &shown)))?;
            }
            "exclusive" => {
                policy.exclusive = parse_exclusive(value)
                    .map_err(|problem| at(format!("exclusive = {shown}: {problem}")))?;
            }
            "notice" => {
                let Some(table) = value.as_table() else {
                    return Err(at(refused(key, &shown)));
                };
                for (name, setting) in table {
                    let shown = crate::error::excerpt(&setting.to_string()).into_owned();
                    let at_setting = |message: String| {
                        let (line, column) = line_and_column(text, positions.key(&[key, name]));
                        FatalError::Policy {
                            location: self::at(line, column),
                            message,
                        }
                    };
                    let text_setting = || {
                        setting
                            .as_str()
                            .map(str::trim)
                            .filter(|text| !text.is_empty() && !text.chars().any(char::is_control))
                            .map(String::from)
                            .ok_or_else(|| {
                                at_setting(format!(
                                    "notice.{name} = {shown}: expected text in quotes, on one line"
                                ))
                            })
                    };
                    match name.as_str() {
                        "issuer" => policy.notice.issuer = Some(text_setting()?),
                        "phone" => policy.notice.phone = Some(text_setting()?),
                        "days" => {
                            policy.notice.days = months(setting, crate::case::NOTICE_DAYS)
                                .ok_or_else(|| {
                                    at_setting(format!(
                                        "notice.days = {shown}: expected a whole number of days from {} to {}",
                                        crate::case::NOTICE_DAYS.start(),
                                        crate::case::NOTICE_DAYS.end()
                                    ))
                                })?;
                        }
                        _ => {
                            return Err(at_setting(format!(
                                "unknown key \"{}\" in [notice]; it knows only {}",
                                crate::error::excerpt(name),
                                NOTICE_KEYS.join(", ")
                            )))
                        }
                    }
                }
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

pub(crate) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |tail| tail.chars().count())
        + 1;
    (line, column)
}

/// Where keys and values are written in a TOML text, from the spans of
/// the parser toml 0.8 itself uses (toml_edit): exact for keys in
/// `[table]` headers, dotted keys and inline tables alike.
pub(crate) struct Positions<'t> {
    document: Option<toml_edit::ImDocument<&'t str>>,
}

impl<'t> Positions<'t> {
    /// `text` must be TOML the `toml` crate accepted (it parses alike).
    pub(crate) fn new(text: &'t str) -> Positions<'t> {
        let document = toml_edit::ImDocument::parse(text).ok();
        debug_assert!(document.is_some(), "toml accepted the text");
        Positions { document }
    }

    /// The key `path` ends with and the item it names.
    fn find(&self, path: &[&str]) -> Option<(&toml_edit::Key, &toml_edit::Item)> {
        let (last, parents) = path.split_last()?;
        let mut table: &dyn toml_edit::TableLike = self.document.as_ref()?.as_table();
        for name in parents {
            table = table.get(name)?.as_table_like()?;
        }
        table.get_key_value(last)
    }

    /// Byte offset where the last key of `path` is written; where the
    /// nearest key above it is written when that one has no place (0: the
    /// text's start).
    pub(crate) fn key(&self, path: &[&str]) -> usize {
        (0..path.len())
            .rev()
            .find_map(|length| {
                self.find(&path[..=length])
                    .and_then(|(key, _)| key.span())
                    .map(|span| span.start)
            })
            .unwrap_or(0)
    }

    /// Byte offset where the value at `path` is written; its key's when
    /// the value has no place of its own.
    pub(crate) fn value(&self, path: &[&str]) -> usize {
        self.find(path)
            .and_then(|(_, item)| item.span())
            .map_or_else(|| self.key(path), |span| span.start)
    }
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
        let policy = parse("item_rounding = \"jiao\"\ntopup_stacking = \"sum\"\nphase_out_months = 24\ndeceased_grace_months = 3\n").unwrap();
        assert_eq!(policy.item_rounding, Rounding::Jiao);
        assert_eq!(policy.topup_stacking, TopupStacking::Sum);
        assert_eq!(policy.phase_out_months, 24);
        assert_eq!(policy.deceased_grace_months, 3);
    }

    #[test]
    fn a_value_toml_cannot_read_still_names_the_key_and_what_it_accepts() {
        let error = parse("phase_out_months = 99999999999999999999")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("policy.toml:1:")
                && error.contains("phase_out_months: ")
                && error
                    .ends_with("phase_out_months accepts a whole number of months from 1 to 24"),
            "{error}"
        );
        let error = parse("tolerance = 99999999999999999999")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("tolerance: ") && error.contains("quoted"),
            "{error}"
        );
    }

    #[test]
    fn long_values_are_cut_in_every_message() {
        for key in ["rounding", "item_rounding", "topup_stacking"] {
            let text = format!("{key} = \"{}\"", "x".repeat(1000));
            let error = parse(&text).unwrap_err().to_string();
            assert!(error.len() < 400 && error.contains('…'), "{key}: {error}");
        }
    }

    #[test]
    fn v2_values_out_of_range_name_the_key_and_the_range() {
        for (text, expected) in [
            ("phase_out_months = 0", "policy.toml:1:1: phase_out_months = 0: expected a whole number of months from 1 to 24"),
            ("phase_out_months = 25", "from 1 to 24"),
            ("phase_out_months = \"6\"", "from 1 to 24"),
            ("deceased_grace_months = 13", "deceased_grace_months = 13: expected a whole number of months from 0 to 12"),
            ("deceased_grace_months = -1", "from 0 to 12"),
            ("item_rounding = \"cent\"", "item_rounding = \"cent\": expected \"fen\", \"jiao\" or \"yuan\""),
            ("topup_stacking = \"max\"", "expected \"highest\" or \"sum\""),
        ] {
            let error = parse(text).unwrap_err().to_string();
            assert!(error.contains(expected), "{text}: {error}");
        }
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

    /// The key's place comes from the parser's spans: a line inside a
    /// multi-line string that looks like the key is not the key.
    #[test]
    fn a_key_is_named_where_the_parser_read_it() {
        let error =
            parse("tolerance = \"\"\"\nrounding = \"fen\"\n\"\"\"\n  rounding = \"cent\"\n")
                .unwrap_err()
                .to_string();
        assert!(
            error.starts_with("policy.toml:4:3: rounding = \"cent\""),
            "{error}"
        );
        let error = parse(
            "payment_deadline_day = 10\nx = \"\"\"\nrounding = 1\n\"\"\"\n   rounding = \"cent\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("policy.toml:5:4: rounding = \"cent\""),
            "{error}"
        );
        let error = parse("[limits]\ntolerance = \"1\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("policy.toml:1:2: unknown key \"limits\""),
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

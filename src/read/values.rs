//! Cell values as every case file reads them: money in its unit, ID
//! numbers a spreadsheet may have turned into numbers, codes, periods and
//! ranges of any accepted form, dates; and the limit on one file's money.

use super::table::{Problems, Row};
use super::workbook::CellKind;
use crate::domain::{id_number, Date, Money, Period, PeriodRange, Unit};
use crate::error::{FatalError, Location};

/// Most money one file may add up to: 100 trillion yuan (10^16 fen), some
/// thousand times a year of a country's social assistance. A single cell
/// is capped (`Money::parse`), but a file of millions of capped cells
/// could pass what 64-bit fen hold when one line adds them up; a file over
/// this is a typing or export slip, and the run stops rather than round or
/// wrap. Any sum of one file's amounts then fits an `i64` many times over.
pub const MAX_FILE_TOTAL_FEN: i128 = 10_000_000_000_000_000;

/// Stops the run when one file's amounts (stage amounts; the roster's
/// approved temp amounts) add up to more than [`MAX_FILE_TOTAL_FEN`].
pub(crate) fn check_money_total(file_name: &str, total_fen: i128) -> Result<(), FatalError> {
    if total_fen <= MAX_FILE_TOTAL_FEN {
        return Ok(());
    }
    Err(FatalError::TooMuchMoney {
        location: Location::file(file_name),
        total: crate::domain::money::format_fen_total(total_fen),
        limit: crate::domain::money::format_fen_total(MAX_FILE_TOTAL_FEN),
    })
}

/// Wanted column `column`'s money cell, in the column's unit.
#[inline]
pub(crate) fn money_at(
    row: &Row<'_>,
    column: usize,
    name: &str,
    value: &str,
    positive: bool,
    problems: &mut Problems,
) -> Money {
    money_cell_in(
        name,
        value,
        row.unit(column),
        row.kind(column),
        positive,
        problems,
    )
}

/// A money cell in `unit`; a spreadsheet's number arrives as its shortest
/// decimal, so more than two decimals (a sum that is not exact) is refused
/// like typed text.
pub(crate) fn money_cell_in(
    column: &str,
    value: &str,
    unit: Unit,
    kind: CellKind,
    positive: bool,
    problems: &mut Problems,
) -> Money {
    if kind == CellKind::Date {
        problems.add(
            column,
            Some(value),
            "the cell is a date; expected an amount",
        );
        return Money::ZERO;
    }
    match Money::parse_in(value, unit) {
        Ok(amount) if positive && !amount.is_positive() => {
            problems.add(column, Some(value), "expected an amount greater than 0");
            amount
        }
        Ok(amount) => amount,
        Err(error) => {
            problems.add(column, Some(value), error.describe());
            Money::ZERO
        }
    }
}

/// The row's id_number (SPEC §1), required. An ID number a spreadsheet
/// turned into a number — a number cell of other than 15 digits, or text
/// in exponent form (`4.40981E+17`) — has lost its last digits: the row is
/// a BAD_RECORD saying so. An old 15-digit number is upgraded when it is
/// interned ([`id_number::normalise`]).
#[inline]
pub(crate) fn id_cell<'r>(
    row: &Row<'r>,
    column: usize,
    problems: &mut Problems,
) -> Option<&'r str> {
    let Some(value) = row.cell(column) else {
        problems.missing("id_number");
        return None;
    };
    let converted = match row.kind(column) {
        CellKind::Number => !id_number::is_old_form(value),
        _ => id_number::is_scientific(value),
    };
    if converted {
        problems.add(
            "id_number",
            Some(value),
            "Excel converted this ID number to a number, so its last digits are lost; format the column as text (or re-export it as text) and give the 18 characters again",
        );
        return None;
    }
    Some(value)
}

/// A code kept as text (a record id, an account): a spreadsheet number of
/// 16 digits or more has lost its last digits, as an ID number does.
#[inline]
pub(crate) fn code_cell(row: &Row<'_>, column: usize, name: &str, problems: &mut Problems) {
    // Only a spreadsheet's number cell is looked at: a CSV cell is not
    // read twice.
    if row.kind(column) != CellKind::Number {
        return;
    }
    if let Some(value) = row
        .cell(column)
        .filter(|value| value.bytes().filter(u8::is_ascii_digit).count() > 15)
    {
        problems.add(
            name,
            Some(value),
            "Excel converted this number, so its digits past the 15th are lost; format the column as text (or re-export it as text) and give it again",
        );
    }
}

/// `2020.1` typed into a spreadsheet as a number: was it January (2020.1)
/// or October (2020.10)? The number cannot say.
pub(crate) fn ambiguous_month(kind: CellKind, value: &str) -> bool {
    kind == CellKind::Number
        && value.len() == 6
        && value.as_bytes()[4] == b'.'
        && value.ends_with('1')
        && value[..4].bytes().all(|byte| byte.is_ascii_digit())
}

const AMBIGUOUS_MONTH: &str = "a spreadsheet stored this month as a number, which was typed either as YYYY.1 (January) or YYYY.10 (October); format the column as text and give the month as YYYY-MM";

/// A period cell of any form (docs/formats.md); a date cell is its month.
pub(crate) fn period_value(kind: CellKind, value: &str) -> Result<Period, &'static str> {
    // The contract's forms first, exactly as before office forms existed.
    if kind == CellKind::Text {
        if let Some(period) = Period::parse(value) {
            return Ok(period);
        }
    }
    if kind == CellKind::Date {
        return Date::parse(value)
            .map(Date::period)
            .ok_or("expected a period YYYY-MM (or YYYYMM)");
    }
    if ambiguous_month(kind, value) {
        return Err(AMBIGUOUS_MONTH);
    }
    Period::parse_any(value).ok_or("expected a period YYYY-MM (or YYYYMM)")
}

/// A period or range cell of any form; a date cell is its month.
#[inline]
pub(crate) fn range_value(kind: CellKind, value: &str) -> Result<PeriodRange, &'static str> {
    if kind == CellKind::Text {
        if let Ok(range) = PeriodRange::parse(value) {
            return Ok(range);
        }
    }
    if kind == CellKind::Date || ambiguous_month(kind, value) {
        return period_value(kind, value).map(PeriodRange::single);
    }
    PeriodRange::parse_any(value)
}

/// A date cell of any form; a date-time's time of day is left out.
#[inline]
pub(crate) fn date_value(kind: CellKind, value: &str) -> Option<Date> {
    if kind == CellKind::Date {
        return Date::parse(value);
    }
    Date::parse(value).or_else(|| Date::parse_any(value))
}

/// A cell that must be filled; records the problem when it is not.
pub(crate) fn required_text<'r>(
    row: &Row<'r>,
    column: usize,
    name: &str,
    problems: &mut Problems,
) -> Option<&'r str> {
    let cell = row.cell(column);
    if cell.is_none() {
        problems.missing(name);
    }
    cell
}

pub(crate) fn required_period(
    row: &Row<'_>,
    column: usize,
    name: &str,
    problems: &mut Problems,
) -> Option<Period> {
    match row.cell(column) {
        None => {
            problems.missing(name);
            None
        }
        Some(value) => match period_value(row.kind(column), value) {
            Ok(period) => Some(period),
            Err(expected) => {
                problems.add(name, Some(value), expected);
                None
            }
        },
    }
}

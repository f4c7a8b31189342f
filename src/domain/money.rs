//! Money as an exact count of fen (分, 0.01 yuan) in an `i64`.
//!
//! SPEC §1: money is yuan with at most two decimals, never binary floating
//! point. Every amount the engine handles is a whole number of fen, so integer
//! arithmetic is exact; the only rounding (dibao entitlements, SPEC §4) is done
//! by [`Money::round_half_up`] and is named at the call site.

use serde::{Deserialize, Serialize};

use std::fmt;

/// Largest amount one input cell may hold: 10,000,000,000.00 yuan.
///
/// Why a limit: line and person sums stay far below `i64::MAX` fen
/// (92 trillion yuan) even with millions of records on one line, so the
/// checked arithmetic below can only fail on inputs that are not money at all.
pub const MAX_CELL_FEN: i64 = 1_000_000_000_000;

/// An exact amount in fen. May be negative (differences such as A − E).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money {
    fen: i64,
}

/// The unit dibao entitlements are rounded to (policy.toml `rounding`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Rounding {
    /// 0.01 yuan: no rounding is needed, amounts are already whole fen.
    #[default]
    Fen,
    /// 0.1 yuan (角).
    Jiao,
    /// 1 yuan (元).
    Yuan,
}

impl Rounding {
    pub fn parse(text: &str) -> Option<Rounding> {
        match text.trim().to_ascii_lowercase().as_str() {
            "fen" => Some(Rounding::Fen),
            "jiao" => Some(Rounding::Jiao),
            "yuan" => Some(Rounding::Yuan),
            _ => None,
        }
    }

    /// The unit in fen: 1, 10 or 100.
    pub fn unit_fen(self) -> i64 {
        match self {
            Rounding::Fen => 1,
            Rounding::Jiao => 10,
            Rounding::Yuan => 100,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Rounding::Fen => "fen",
            Rounding::Jiao => "jiao",
            Rounding::Yuan => "yuan",
        }
    }
}

/// Why a cell is not money.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoneyError {
    /// Not of the form `[+]digits[.d[d]]`.
    Malformed,
    /// More than two decimals (e.g. `12.345`).
    TooManyDecimals,
    /// Above [`MAX_CELL_FEN`].
    TooLarge,
    /// A cell in fen (`unit = "fen"`) that is not a whole number.
    NotWholeFen,
}

/// The unit a money column is written in: yuan (the contract's), or fen
/// (分), as some bank systems export amounts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Unit {
    #[default]
    Yuan,
    Fen,
}

impl Unit {
    pub fn name(self) -> &'static str {
        match self {
            Unit::Yuan => "yuan",
            Unit::Fen => "fen",
        }
    }
}

impl MoneyError {
    pub fn describe(self) -> &'static str {
        match self {
            MoneyError::Malformed => {
                "expected money in yuan: digits, optionally a point and one or two digits (e.g. 980.00 or 1,200.00); no minus sign or currency sign, and a thousands separator only between groups of three digits"
            }
            MoneyError::TooManyDecimals => "expected at most two decimals (fen)",
            MoneyError::TooLarge => "amount is larger than 10,000,000,000.00 yuan",
            MoneyError::NotWholeFen => {
                "expected a whole number of fen (分), e.g. 114000 for 1140.00 yuan: the column is in fen"
            }
        }
    }
}

impl Money {
    pub const ZERO: Money = Money { fen: 0 };

    pub const fn from_fen(fen: i64) -> Money {
        Money { fen }
    }

    pub const fn from_yuan(yuan: i64) -> Money {
        Money { fen: yuan * 100 }
    }

    pub const fn fen(self) -> i64 {
        self.fen
    }

    pub fn is_zero(self) -> bool {
        self.fen == 0
    }

    pub fn is_positive(self) -> bool {
        self.fen > 0
    }

    /// Parses money in `unit`: yuan as [`Money::parse`]; fen as a whole
    /// number (`114000` is 1140.00 yuan), with the same limit.
    #[inline]
    pub fn parse_in(text: &str, unit: Unit) -> Result<Money, MoneyError> {
        match unit {
            Unit::Yuan => Money::parse(text),
            Unit::Fen => Money::parse_fen(text),
        }
    }

    /// A whole number of fen (thousands separators as in yuan); cold, out
    /// of the CSV hot loop.
    #[cold]
    #[inline(never)]
    fn parse_fen(text: &str) -> Result<Money, MoneyError> {
        let digits = text.strip_prefix('+').unwrap_or(text);
        let ungrouped;
        let digits = if digits.bytes().all(|byte| byte.is_ascii_digit()) {
            digits
        } else {
            ungrouped = ungroup(digits.as_bytes()).ok_or(MoneyError::NotWholeFen)?;
            std::str::from_utf8(&ungrouped).expect("ASCII digits")
        };
        if digits.is_empty() {
            return Err(MoneyError::NotWholeFen);
        }
        let significant = digits.trim_start_matches('0');
        let yuan = match significant.len() {
            0..=2 => "0",
            length => &significant[..length - 2],
        };
        let fen = match significant.len() {
            0 => "00".to_string(),
            1 => format!("0{significant}"),
            length => significant[length - 2..].to_string(),
        };
        Money::parse(&format!("{yuan}.{fen}"))
    }

    /// Parses SPEC §1 money: `1234`, `1234.5`, `980.00`, `+12`, and (v3)
    /// with thousands separators as a spreadsheet writes them: `1,200.00`,
    /// `1，234，567.5`.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let bytes = text.as_bytes();
        let body = match bytes.first() {
            Some(b'+') => &bytes[1..],
            _ => bytes,
        };
        let (whole, fraction) = match body.iter().position(|&b| b == b'.') {
            Some(point) => (&body[..point], Some(&body[point + 1..])),
            None => (body, None),
        };
        let grouped;
        let whole = if whole.iter().all(u8::is_ascii_digit) {
            whole
        } else {
            grouped = ungroup(whole).ok_or(MoneyError::Malformed)?;
            &grouped[..]
        };
        if whole.is_empty() {
            return Err(MoneyError::Malformed);
        }
        let fraction = fraction.unwrap_or(b"00");
        if fraction.is_empty() || !fraction.iter().all(u8::is_ascii_digit) {
            return Err(MoneyError::Malformed);
        }
        if fraction.len() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        // Leading zeros are harmless; strip them so the length check below is
        // about magnitude only.
        let significant = match whole.iter().position(|&b| b != b'0') {
            Some(first) => &whole[first..],
            None => &whole[whole.len() - 1..],
        };
        if significant.len() > 11 {
            return Err(MoneyError::TooLarge);
        }
        let mut fen: i64 = 0;
        for &digit in significant {
            fen = fen * 10 + i64::from(digit - b'0');
        }
        fen *= 100;
        let mut cents = i64::from(fraction[0] - b'0') * 10;
        if fraction.len() == 2 {
            cents += i64::from(fraction[1] - b'0');
        }
        fen += cents;
        if fen > MAX_CELL_FEN {
            return Err(MoneyError::TooLarge);
        }
        Ok(Money { fen })
    }

    /// Rounds a non-negative amount half-up (四舍五入) to `rounding`'s unit.
    pub fn round_half_up(self, rounding: Rounding) -> Money {
        assert!(
            self.fen >= 0,
            "half-up rounding is only defined here for amounts ≥ 0"
        );
        let unit = rounding.unit_fen();
        Money {
            fen: (self.fen + unit / 2) / unit * unit,
        }
    }

    pub fn checked_times(self, factor: i64) -> Option<Money> {
        self.fen.checked_mul(factor).map(Money::from_fen)
    }

    pub fn abs(self) -> Money {
        Money {
            fen: self.fen.abs(),
        }
    }

    pub fn max(self, other: Money) -> Money {
        if self >= other {
            self
        } else {
            other
        }
    }

    pub fn min(self, other: Money) -> Money {
        if self <= other {
            self
        } else {
            other
        }
    }
}

/// The digits of a whole part written with thousands separators (SPEC v3):
/// `,` or the full-width `，` between groups of exactly three digits after a
/// first group of one to three (`1,200`, `12,345`, `1，234，567`). `None`
/// for a separator anywhere else (`1,20`, `1200,`, `,100`) or any other
/// character. Cold: the hot path reads plain digits.
#[cold]
#[inline(never)]
fn ungroup(whole: &[u8]) -> Option<Vec<u8>> {
    const FULL_WIDTH_COMMA: &[u8] = "，".as_bytes();
    let mut groups: Vec<&[u8]> = Vec::new();
    let mut rest = whole;
    loop {
        let comma = rest.iter().position(|&byte| byte == b',');
        let wide = rest
            .windows(FULL_WIDTH_COMMA.len())
            .position(|window| window == FULL_WIDTH_COMMA);
        let (end, width) = match (comma, wide) {
            (Some(comma), Some(wide)) if wide < comma => (wide, FULL_WIDTH_COMMA.len()),
            (Some(comma), _) => (comma, 1),
            (None, Some(wide)) => (wide, FULL_WIDTH_COMMA.len()),
            (None, None) => {
                groups.push(rest);
                break;
            }
        };
        groups.push(&rest[..end]);
        rest = &rest[end + width..];
    }
    let (first, later) = groups.split_first()?;
    let digits = |group: &[u8]| group.iter().all(u8::is_ascii_digit);
    let fits = !later.is_empty()
        && (1..=3).contains(&first.len())
        && digits(first)
        && later.iter().all(|group| group.len() == 3 && digits(group));
    fits.then(|| groups.concat())
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        Money {
            fen: self
                .fen
                .checked_add(other.fen)
                .expect("money sum beyond ±92 trillion yuan: the cell and file limits make this unreachable"),
        }
    }
}

impl std::ops::AddAssign for Money {
    fn add_assign(&mut self, other: Money) {
        *self = *self + other;
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, other: Money) -> Money {
        Money {
            fen: self.fen.checked_sub(other.fen).expect(
                "money difference beyond ±92 trillion yuan: the cell and file limits make this unreachable",
            ),
        }
    }
}

impl std::ops::SubAssign for Money {
    fn sub_assign(&mut self, other: Money) {
        *self = *self - other;
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |total, amount| total + amount)
    }
}

/// Always two decimals, a leading `-` for negatives: `-150.00`, `0.05`.
impl fmt::Display for Money {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_fen(formatter, i128::from(self.fen))
    }
}

/// Formats a wide total (run totals are summed in `i128` fen).
pub fn format_fen_total(fen: i128) -> String {
    struct Total(i128);
    impl fmt::Display for Total {
        fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_fen(formatter, self.0)
        }
    }
    Total(fen).to_string()
}

fn write_fen(formatter: &mut fmt::Formatter<'_>, fen: i128) -> fmt::Result {
    let sign = if fen < 0 { "-" } else { "" };
    let magnitude = fen.unsigned_abs();
    write!(
        formatter,
        "{sign}{}.{:02}",
        magnitude / 100,
        magnitude % 100
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_fen_are_whole_numbers_of_fen() {
        assert_eq!(
            Money::parse_in("114000", Unit::Fen),
            Ok(Money::from_fen(114000))
        );
        assert_eq!(Money::parse_in("+5", Unit::Fen), Ok(Money::from_fen(5)));
        assert_eq!(Money::parse_in("0", Unit::Fen), Ok(Money::ZERO));
        assert_eq!(Money::parse_in("007", Unit::Fen), Ok(Money::from_fen(7)));
        assert_eq!(
            Money::parse_in("1000000000000", Unit::Fen),
            Ok(Money::from_yuan(10_000_000_000))
        );
        assert_eq!(
            Money::parse_in("1000000000001", Unit::Fen),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(
            Money::parse_in("114,000", Unit::Fen),
            Ok(Money::from_fen(114000))
        );
        for bad in ["1140.5", "1140.00", "-5", "", "1,14", "1e5"] {
            assert_eq!(
                Money::parse_in(bad, Unit::Fen),
                Err(MoneyError::NotWholeFen),
                "{bad:?}"
            );
        }
        assert_eq!(
            Money::parse_in("1140.5", Unit::Yuan),
            Ok(Money::from_fen(114050))
        );
    }

    #[test]
    fn parses_the_spec_forms() {
        assert_eq!(Money::parse("1234"), Ok(Money::from_fen(123_400)));
        assert_eq!(Money::parse("1234.5"), Ok(Money::from_fen(123_450)));
        assert_eq!(Money::parse("980.00"), Ok(Money::from_fen(98_000)));
        assert_eq!(Money::parse("+500"), Ok(Money::from_fen(50_000)));
        assert_eq!(Money::parse("0"), Ok(Money::ZERO));
        assert_eq!(Money::parse("007.05"), Ok(Money::from_fen(705)));
    }

    /// SPEC v3: a spreadsheet's thousands separators, `,` or `，`, between
    /// groups of exactly three digits after a first group of one to three;
    /// anywhere else the cell is not money.
    #[test]
    fn thousands_separators_are_read_where_a_spreadsheet_puts_them() {
        for (text, fen) in [
            ("1,200.00", 120_000),
            ("12,345", 1_234_500),
            ("1，234，567.5", 123_456_750),
            ("+2,500", 250_000),
            ("1,000", 100_000),
            ("123,456,789.01", 12_345_678_901),
            ("1,234，567", 123_456_700),
        ] {
            assert_eq!(Money::parse(text), Ok(Money::from_fen(fen)), "{text:?}");
        }
        for text in [
            "1,20.00",
            "1200,",
            ",100",
            "1,2345",
            "1234,567",
            "1,,234",
            "1, 234",
            "1,234.5,6",
            "1,234,56",
            "，100",
            "1，23",
        ] {
            assert!(Money::parse(text).is_err(), "{text:?}");
        }
        assert_eq!(Money::parse("1,234.567"), Err(MoneyError::TooManyDecimals));
    }

    #[test]
    fn rejects_what_is_not_money() {
        for text in [
            "", "-5", "1,00", "¥5", "1.", ".5", "1e3", "abc", "+", "1.2.3", " 5",
        ] {
            assert_eq!(Money::parse(text), Err(MoneyError::Malformed), "{text:?}");
        }
        assert_eq!(Money::parse("12.345"), Err(MoneyError::TooManyDecimals));
        assert_eq!(Money::parse("10000000000.01"), Err(MoneyError::TooLarge));
        assert_eq!(
            Money::parse("10000000000.00"),
            Ok(Money::from_fen(MAX_CELL_FEN))
        );
        assert_eq!(
            Money::parse("99999999999999999999"),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn formats_two_decimals() {
        assert_eq!(Money::from_fen(0).to_string(), "0.00");
        assert_eq!(Money::from_fen(5).to_string(), "0.05");
        assert_eq!(Money::from_fen(-15_000).to_string(), "-150.00");
        assert_eq!(Money::from_fen(-5).to_string(), "-0.05");
        assert_eq!(format_fen_total(-123_456), "-1234.56");
    }

    #[test]
    fn rounds_half_up_to_the_named_unit() {
        let amount = Money::parse("450.50").unwrap();
        assert_eq!(
            amount.round_half_up(Rounding::Yuan),
            Money::parse("451").unwrap()
        );
        assert_eq!(
            Money::parse("450.49")
                .unwrap()
                .round_half_up(Rounding::Yuan),
            Money::parse("450").unwrap()
        );
        assert_eq!(
            Money::parse("450.45")
                .unwrap()
                .round_half_up(Rounding::Jiao),
            Money::parse("450.5").unwrap()
        );
        assert_eq!(
            Money::parse("450.44")
                .unwrap()
                .round_half_up(Rounding::Jiao),
            Money::parse("450.4").unwrap()
        );
        assert_eq!(
            Money::parse("450.44").unwrap().round_half_up(Rounding::Fen),
            Money::parse("450.44").unwrap()
        );
    }
}

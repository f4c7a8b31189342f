//! Derived standard amounts (SPEC v2 §2): a share of another standard,
//! written `N%` (N like money: `130%`, `+5.5%`) or `a/b` (`1/6`, `7/6`).
//!
//! A share is an exact ratio of whole numbers; applying it to a base is
//! the one place a derived amount is made, rounded half-up (四舍五入) to the
//! policy's `item_rounding`.

use std::fmt;

use super::money::{Money, Rounding};

/// Largest numerator or denominator of `a/b`: nine digits. Longer numbers
/// are typing slips, and the bound keeps every product below in `i128`.
pub const MAX_FRACTION_TERM: u64 = 999_999_999;

/// Largest share: 100 times its base (10000%). A standard a hundred times
/// another is a typing slip (`130` meant as money, say); the bound also keeps
/// a household's entitlement far inside `i64` fen (base ≤ 10^12 fen,
/// × 100 × 1000 members ≤ 10^17).
pub const MAX_SHARE_TIMES: u64 = 100;

/// A share of a base amount, as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Share {
    /// `N%`: N in hundredths of a percent (`5.5%` → 550).
    Percent { hundredths: u64 },
    /// `a/b`, b ≥ 1.
    Fraction { numerator: u64, denominator: u64 },
}

/// Why a standards amount is not money and not a share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareError {
    Percent,
    Fraction,
    ZeroDenominator,
    TooLarge,
}

impl ShareError {
    pub fn describe(self) -> &'static str {
        match self {
            ShareError::Percent => {
                "expected a percentage: digits, optionally a point and one or two digits, then % (e.g. 130% or 5.5%)"
            }
            ShareError::Fraction => {
                "expected a fraction a/b of whole numbers without sign, at most nine digits each (e.g. 1/6)"
            }
            ShareError::ZeroDenominator => "a fraction's denominator must be at least 1",
            ShareError::TooLarge => "a share may be at most 100 times its base (10000%)",
        }
    }
}

impl Share {
    /// Parses `N%` or `a/b`; `Ok(None)` when `text` is neither form (it is
    /// then read as money).
    pub fn parse(text: &str) -> Result<Option<Share>, ShareError> {
        if let Some(number) = text.strip_suffix('%') {
            let hundredths = Money::parse(number.trim_end())
                .map_err(|_| ShareError::Percent)?
                .fen();
            let share = Share::Percent {
                hundredths: u64::try_from(hundredths).map_err(|_| ShareError::Percent)?,
            };
            return share.checked().map(Some);
        }
        let Some((numerator, denominator)) = text.split_once('/') else {
            return Ok(None);
        };
        let term = |digits: &str| -> Result<u64, ShareError> {
            let digits = digits.trim();
            if digits.is_empty()
                || digits.len() > 9
                || !digits.bytes().all(|byte| byte.is_ascii_digit())
            {
                return Err(ShareError::Fraction);
            }
            digits.parse().map_err(|_| ShareError::Fraction)
        };
        let (numerator, denominator) = (term(numerator)?, term(denominator)?);
        if denominator == 0 {
            return Err(ShareError::ZeroDenominator);
        }
        Share::Fraction {
            numerator,
            denominator,
        }
        .checked()
        .map(Some)
    }

    fn checked(self) -> Result<Share, ShareError> {
        let (numerator, denominator) = self.ratio();
        debug_assert!(denominator >= 1);
        if numerator > denominator * u128::from(MAX_SHARE_TIMES) {
            return Err(ShareError::TooLarge);
        }
        Ok(self)
    }

    /// The exact value as (numerator, denominator), denominator ≥ 1.
    fn ratio(self) -> (u128, u128) {
        match self {
            Share::Percent { hundredths } => (u128::from(hundredths), 10_000),
            Share::Fraction {
                numerator,
                denominator,
            } => (u128::from(numerator), u128::from(denominator)),
        }
    }

    /// Shares compare by value (SPEC §2): `50%` equals `1/2`.
    pub fn same_value(self, other: Share) -> bool {
        let (a, b) = self.ratio();
        let (c, d) = other.ratio();
        a * d == c * b
    }

    /// `base × share`, rounded half-up (四舍五入) to `rounding`'s unit.
    /// The base is an amount ≥ 0 (standards are never negative).
    pub fn of(self, base: Money, rounding: Rounding) -> Money {
        assert!(
            !base.fen().is_negative(),
            "a share's base is a standard, never negative"
        );
        let (numerator, denominator) = self.ratio();
        let unit = u128::from(rounding.unit_fen().unsigned_abs());
        // round_half_up(x / unit) × unit with x = base × n / d:
        // ⌊(2·base·n + d·unit) / (2·d·unit)⌋ × unit, all in whole numbers.
        let base = u128::from(base.fen().unsigned_abs());
        let units = (2 * base * numerator + denominator * unit) / (2 * denominator * unit);
        let fen = units * unit;
        // base ≤ 10^12 fen and share ≤ 100 keep this far inside i64.
        Money::from_fen(i64::try_from(fen).expect("bounded by MAX_SHARE_TIMES × a money cell"))
    }
}

impl fmt::Display for Share {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Share::Percent { hundredths } => {
                let whole = hundredths / 100;
                match hundredths % 100 {
                    0 => write!(formatter, "{whole}%"),
                    part if part % 10 == 0 => write!(formatter, "{whole}.{}%", part / 10),
                    part => write!(formatter, "{whole}.{part:02}%"),
                }
            }
            Share::Fraction {
                numerator,
                denominator,
            } => write!(formatter, "{numerator}/{denominator}"),
        }
    }
}

/// A standards.csv amount: money as written, or a share of the item's base.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Amount {
    Money(Money),
    Share(Share),
}

impl Amount {
    /// Same amount in SPEC §2's sense: money as numbers, shares by kind
    /// (a share never equals money) and value.
    pub fn same_as(self, other: Amount) -> bool {
        match (self, other) {
            (Amount::Money(a), Amount::Money(b)) => a == b,
            (Amount::Share(a), Amount::Share(b)) => a.same_value(b),
            _ => false,
        }
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Amount::Money(money) => write!(formatter, "{money}"),
            Amount::Share(share) => write!(formatter, "{share}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(text: &str) -> Share {
        Share::parse(text).unwrap().unwrap()
    }

    fn yuan(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    #[test]
    fn parses_percentages_and_fractions() {
        assert_eq!(share("130%"), Share::Percent { hundredths: 13_000 });
        assert_eq!(share("+5.5%"), Share::Percent { hundredths: 550 });
        assert_eq!(
            share("7/6"),
            Share::Fraction {
                numerator: 7,
                denominator: 6
            }
        );
        assert_eq!(Share::parse("600.00"), Ok(None));
        assert_eq!(Share::parse("abc%"), Err(ShareError::Percent));
        assert_eq!(Share::parse("-5%"), Err(ShareError::Percent));
        assert_eq!(Share::parse("5.555%"), Err(ShareError::Percent));
        assert_eq!(Share::parse("1/0"), Err(ShareError::ZeroDenominator));
        assert_eq!(Share::parse("-1/6"), Err(ShareError::Fraction));
        assert_eq!(Share::parse("1.5/6"), Err(ShareError::Fraction));
        assert_eq!(Share::parse("1/"), Err(ShareError::Fraction));
        assert_eq!(Share::parse("1/6/7"), Err(ShareError::Fraction));
        assert_eq!(Share::parse("1234567890/1"), Err(ShareError::Fraction));
        assert_eq!(Share::parse("10001%"), Err(ShareError::TooLarge));
        assert_eq!(Share::parse("101/1"), Err(ShareError::TooLarge));
        assert!(Share::parse("10000%").is_ok());
    }

    #[test]
    fn applies_half_up_at_the_item_unit() {
        // SPEC: 1/6 of 1850.00 is 308.33 at fen, half-up; 1/3 is 616.67.
        assert_eq!(share("1/6").of(yuan("1850"), Rounding::Fen), yuan("308.33"));
        assert_eq!(share("1/3").of(yuan("1850"), Rounding::Fen), yuan("616.67"));
        assert_eq!(share("130%").of(yuan("600"), Rounding::Fen), yuan("780"));
        // 3% of 601.00 = 18.03 → 18 at yuan; 10% = 60.10 → 60; 15% = 90.15 → 90.
        assert_eq!(share("3%").of(yuan("601"), Rounding::Yuan), yuan("18"));
        assert_eq!(share("10%").of(yuan("601"), Rounding::Yuan), yuan("60"));
        assert_eq!(share("15%").of(yuan("601"), Rounding::Yuan), yuan("90"));
        // 1/6 of 620 = 103.333… → 103.3 at jiao; 12.5% of 620 = 77.50.
        assert_eq!(share("1/6").of(yuan("620"), Rounding::Jiao), yuan("103.3"));
        assert_eq!(
            share("+12.5%").of(yuan("620"), Rounding::Jiao),
            yuan("77.5")
        );
        // Exactly half a unit rounds up: 1/2 of 0.01 → 0.01; 1/4 of 0.02 → 0.01.
        assert_eq!(share("1/2").of(yuan("0.01"), Rounding::Fen), yuan("0.01"));
        assert_eq!(share("1/4").of(yuan("0.02"), Rounding::Fen), yuan("0.01"));
        assert_eq!(share("1/4").of(yuan("0.01"), Rounding::Fen), Money::ZERO);
        assert_eq!(share("0%").of(yuan("600"), Rounding::Fen), Money::ZERO);
        // The bound: 100 × the largest money cell still fits.
        assert_eq!(
            share("100/1").of(yuan("10000000000"), Rounding::Fen),
            Money::from_fen(100_000_000_000_000)
        );
    }

    #[test]
    fn shares_compare_by_value_and_never_equal_money() {
        assert!(share("50%").same_value(share("1/2")));
        assert!(share("2/4").same_value(share("1/2")));
        assert!(!share("1/3").same_value(share("33.33%")));
        assert!(Amount::Share(share("100%")).same_as(Amount::Share(share("1/1"))));
        assert!(!Amount::Share(share("100%")).same_as(Amount::Money(yuan("1"))));
        assert!(Amount::Money(yuan("5")).same_as(Amount::Money(yuan("5.00"))));
    }

    #[test]
    fn displays_as_written_in_normal_form() {
        for text in ["130%", "5.5%", "12.25%", "1/6", "0%"] {
            assert_eq!(share(text).to_string(), text);
        }
        assert_eq!(share("+5.50%").to_string(), "5.5%");
    }
}

//! Benefit months, ranges of them, and calendar dates (SPEC §1).

use std::fmt;

/// A benefit month as a month index: `year * 12 + (month - 1)`.
///
/// Ordering periods is ordering integers, and "the next month" is `+ 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period(u32);

impl Period {
    pub fn from_year_month(year: u32, month: u32) -> Option<Period> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        Some(Period(year * 12 + month - 1))
    }

    pub fn year(self) -> u32 {
        self.0 / 12
    }

    /// 1-based month of the year.
    pub fn month(self) -> u32 {
        self.0 % 12 + 1
    }

    pub fn index(self) -> u32 {
        self.0
    }

    /// The period of a month index from [`Period::index`].
    pub fn from_index(index: u32) -> Period {
        Period(index)
    }

    pub fn next(self) -> Period {
        Period(self.0 + 1)
    }

    pub fn previous(self) -> Option<Period> {
        self.0.checked_sub(1).map(Period)
    }

    /// Parses `YYYY-MM` or `YYYYMM`.
    pub fn parse(text: &str) -> Option<Period> {
        let bytes = text.as_bytes();
        let (year, month) = match bytes.len() {
            7 if bytes[4] == b'-' => (&bytes[..4], &bytes[5..]),
            6 => (&bytes[..4], &bytes[4..]),
            _ => return None,
        };
        Period::from_year_month(parse_digits(year)?, parse_digits(month)?)
    }

    /// Every period from `self` to `last`, both inclusive.
    pub fn through(self, last: Period) -> impl Iterator<Item = Period> {
        (self.0..=last.0).map(Period)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:04}-{:02}", self.year(), self.month())
    }
}

/// `first..last`, both inclusive, `first ≤ last`. A one-month range is a
/// single period in every respect (SPEC §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeriodRange {
    pub first: Period,
    pub last: Period,
}

impl PeriodRange {
    pub fn single(period: Period) -> PeriodRange {
        PeriodRange {
            first: period,
            last: period,
        }
    }

    pub fn is_single(self) -> bool {
        self.first == self.last
    }

    pub fn contains(self, period: Period) -> bool {
        self.first <= period && period <= self.last
    }

    pub fn contains_range(self, inner: PeriodRange) -> bool {
        self.first <= inner.first && inner.last <= self.last
    }

    pub fn months(self) -> impl Iterator<Item = Period> {
        self.first.through(self.last)
    }

    /// The common months of two ranges, if any.
    pub fn intersect(self, other: PeriodRange) -> Option<PeriodRange> {
        let first = self.first.max(other.first);
        let last = self.last.min(other.last);
        (first <= last).then_some(PeriodRange { first, last })
    }

    /// Parses a period or `A..B` (either end `YYYY-MM` or `YYYYMM`).
    pub fn parse(text: &str) -> Result<PeriodRange, &'static str> {
        // `find` on a char is a memchr; `split_once("..")` builds a
        // substring searcher per call, which shows in the read profile.
        let split = text
            .find('.')
            .filter(|&dot| text.as_bytes().get(dot + 1) == Some(&b'.'))
            .map(|dot| (&text[..dot], &text[dot + 2..]));
        match split {
            None => Period::parse(text)
                .map(PeriodRange::single)
                .ok_or("expected a period YYYY-MM (or YYYYMM), or a range YYYY-MM..YYYY-MM"),
            Some((first, last)) => {
                let first = Period::parse(first.trim());
                let last = Period::parse(last.trim());
                match (first, last) {
                    (Some(first), Some(last)) if first <= last => Ok(PeriodRange { first, last }),
                    (Some(_), Some(_)) => Err(
                        "range ends before it starts: the first period must not be after the last",
                    ),
                    _ => Err("expected a range YYYY-MM..YYYY-MM (either end also YYYYMM)"),
                }
            }
        }
    }
}

/// Normalised: `2020-07`, or `2020-07..2020-08` for a real range.
impl fmt::Display for PeriodRange {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_single() {
            write!(formatter, "{}", self.first)
        } else {
            write!(formatter, "{}..{}", self.first, self.last)
        }
    }
}

/// A calendar date as days from the common era (chrono's numbering), so a
/// record carries 4 bytes instead of a date struct.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

impl Date {
    /// Parses `YYYY-MM-DD`, `YYYYMMDD` or `YYYY/MM/DD`; the date must exist.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        let (year, month, day) = match bytes.len() {
            10 if (bytes[4] == b'-' && bytes[7] == b'-')
                || (bytes[4] == b'/' && bytes[7] == b'/') =>
            {
                (&bytes[..4], &bytes[5..7], &bytes[8..])
            }
            8 => (&bytes[..4], &bytes[4..6], &bytes[6..]),
            _ => return None,
        };
        Date::from_ymd(
            parse_digits(year)?,
            parse_digits(month)?,
            parse_digits(day)?,
        )
    }

    pub fn from_ymd(year: u32, month: u32, day: u32) -> Option<Date> {
        use chrono::Datelike;
        let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
        Some(Date(date.num_days_from_ce()))
    }

    /// The payment deadline of `period`: day `deadline_day` of its month, or
    /// the month's last day when the month is shorter (SPEC §5 LATE_PAYMENT).
    pub fn deadline(period: Period, deadline_day: u32) -> Date {
        let mut day = deadline_day.clamp(1, 31);
        loop {
            if let Some(date) = Date::from_ymd(period.year(), period.month(), day) {
                return date;
            }
            day -= 1;
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match chrono::NaiveDate::from_num_days_from_ce_opt(self.0) {
            Some(date) => write!(formatter, "{}", date.format("%Y-%m-%d")),
            None => write!(formatter, "day {}", self.0),
        }
    }
}

fn parse_digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        bytes
            .iter()
            .fold(0, |value, &digit| value * 10 + u32::from(digit - b'0')),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    #[test]
    fn parses_both_period_forms() {
        assert_eq!(period("2020-07"), period("202007"));
        assert_eq!(period("2020-07").to_string(), "2020-07");
        assert_eq!(period("2020-12").next(), period("2021-01"));
        for bad in [
            "2020-13",
            "2020-00",
            "2020-7",
            "20207",
            "2020/07",
            "",
            "abcd-ef",
            "2020-07-01",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn parses_ranges_and_normalises_one_month_ranges() {
        let range = PeriodRange::parse("202007..2020-08").unwrap();
        assert_eq!(range.to_string(), "2020-07..2020-08");
        assert_eq!(
            PeriodRange::parse("2021-02..2021-02").unwrap().to_string(),
            "2021-02"
        );
        assert!(PeriodRange::parse("2020-08..2020-07").is_err());
        assert!(PeriodRange::parse("2020-08..").is_err());
        assert!(PeriodRange::parse("2020-13").is_err());
    }

    #[test]
    fn parses_the_three_date_forms() {
        let date = Date::parse("2020-04-10").unwrap();
        assert_eq!(Date::parse("20200410"), Some(date));
        assert_eq!(Date::parse("2020/04/10"), Some(date));
        assert_eq!(date.to_string(), "2020-04-10");
        for bad in ["2020-02-30", "2020-4-10", "2020.04.10", "2020-04/10", ""] {
            assert_eq!(Date::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn deadline_is_clamped_to_the_month_end() {
        assert_eq!(
            Date::deadline(period("2021-02"), 31),
            Date::parse("2021-02-28").unwrap()
        );
        assert_eq!(
            Date::deadline(period("2020-02"), 31),
            Date::parse("2020-02-29").unwrap()
        );
        assert_eq!(
            Date::deadline(period("2020-04"), 10),
            Date::parse("2020-04-10").unwrap()
        );
    }
}

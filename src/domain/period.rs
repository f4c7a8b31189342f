//! Benefit months, ranges of them, and calendar dates (SPEC §1).

use serde::{Deserialize, Serialize};

use std::fmt;

/// A benefit month as a month index: `year * 12 + (month - 1)`.
///
/// Ordering periods is ordering integers, and "the next month" is `+ 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
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

    /// `months` later, at most 9999-12.
    pub fn plus_months(self, months: u32) -> Period {
        let last = Period::from_year_month(9999, 12).expect("9999-12 is a period");
        Period::from_index(self.index().saturating_add(months).min(last.index()))
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

    /// Parses every month form an office file uses: the contract's
    /// `YYYY-MM` and `YYYYMM`, and `YYYY-M`, `YYYY.MM`, `YYYY.M`,
    /// `YYYY/MM`, `YYYY/M`, `YYYY年M月` (`YYYY年MM月`, `…月份`). The
    /// contract's forms are tried first, so they cost what they did.
    pub fn parse_any(text: &str) -> Option<Period> {
        Period::parse(text).or_else(|| Period::parse_office(text))
    }

    /// The office forms alone; cold, out of the CSV hot loop.
    #[cold]
    #[inline(never)]
    fn parse_office(text: &str) -> Option<Period> {
        let (year, month) = split_year_month(text)?;
        Period::from_year_month(year, month)
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
        // A period is a few bytes: a plain loop finds the dot sooner than
        // `find` (a searcher set up per call) or `split_once("..")`, both
        // of which showed in the read profile.
        let split = text
            .bytes()
            .position(|byte| byte == b'.')
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

impl PeriodRange {
    /// As [`PeriodRange::parse`], with every month form of
    /// [`Period::parse_any`] at either end, and `..`, `至`, `到`, `~`,
    /// `～`, `—` or `-` between the two ends (`2020年7月至2020年8月`,
    /// `202007-202008`, `2020-07-2020-08`). A `-` splits the text only
    /// where both sides are months, and only when exactly one place does.
    pub fn parse_any(text: &str) -> Result<PeriodRange, &'static str> {
        let strict = PeriodRange::parse(text);
        if strict.is_ok() {
            return strict;
        }
        PeriodRange::parse_office(text, strict)
    }

    /// The office forms alone (`strict` is the contract's answer, kept for
    /// its message); cold, out of the CSV hot loop.
    #[cold]
    #[inline(never)]
    fn parse_office(
        text: &str,
        strict: Result<PeriodRange, &'static str>,
    ) -> Result<PeriodRange, &'static str> {
        if text.is_ascii() && !text.contains(['/', '-', '.']) {
            return strict;
        }
        let ends = |first: &str, last: &str| -> Result<PeriodRange, &'static str> {
            match (
                Period::parse_any(first.trim()),
                Period::parse_any(last.trim()),
            ) {
                (Some(first), Some(last)) if first <= last => Ok(PeriodRange { first, last }),
                (Some(_), Some(_)) => {
                    Err("range ends before it starts: the first period must not be after the last")
                }
                _ => Err("expected a range YYYY-MM..YYYY-MM (either end also YYYYMM)"),
            }
        };
        if let Some((first, last)) = text.split_once("..") {
            return ends(first, last);
        }
        for separator in ['至', '到', '~', '～', '—', '–'] {
            if let Some((first, last)) = text.split_once(separator) {
                return ends(first, last);
            }
        }
        if let Some(period) = Period::parse_any(text) {
            return Ok(PeriodRange::single(period));
        }
        // `-` is also inside `YYYY-MM`: split where both sides are months.
        let mut found = None;
        for (at, _) in text.match_indices('-') {
            let (first, last) = (&text[..at], &text[at + 1..]);
            if let (Some(_), Some(_)) = (
                Period::parse_any(first.trim()),
                Period::parse_any(last.trim()),
            ) {
                if found.is_some() {
                    return strict;
                }
                found = Some((first, last));
            }
        }
        match found {
            Some((first, last)) => ends(first, last),
            None => strict,
        }
    }
}

/// `2020.07`, `2020/7`, `2020-7`, `2020年7月` → (2020, 7); the year has
/// four digits, the month one or two.
fn split_year_month(text: &str) -> Option<(u32, u32)> {
    let text = text.trim();
    let (year, rest) = (text.get(..4)?, text.get(4..)?);
    let month = if let Some(rest) = rest.strip_prefix('年') {
        let rest = rest.trim_start();
        rest.strip_suffix("月份")
            .or_else(|| rest.strip_suffix('月'))?
            .trim_end()
    } else {
        let mut characters = rest.chars();
        match characters.next() {
            Some('-' | '/' | '.') => characters.as_str(),
            _ => return None,
        }
    };
    if !(1..=2).contains(&month.len()) {
        return None;
    }
    Some((
        parse_digits(year.as_bytes())?,
        parse_digits(month.as_bytes())?,
    ))
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Date(i32);

impl Date {
    /// The day number (days from the common era), for compact storage.
    pub fn days(self) -> i32 {
        self.0
    }

    /// The date of a day number [`Date::days`] gave.
    pub fn from_days(days: i32) -> Date {
        Date(days)
    }

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

    /// Parses every date form an office file uses: the contract's three,
    /// and `YYYY-M-D`, `YYYY/M/D`, `YYYY.M.D` (one or two digits, one
    /// separator throughout), `YYYY年M月D日`; a time of day after a space or
    /// `T` (`2020-07-05 14:30:00`, as bank systems export) is left out.
    pub fn parse_any(text: &str) -> Option<Date> {
        Date::parse(text).or_else(|| Date::parse_office(text))
    }

    /// The office forms alone; cold, out of the CSV hot loop.
    #[cold]
    #[inline(never)]
    fn parse_office(text: &str) -> Option<Date> {
        let text = text.trim();
        let date = match text.find([' ', 'T']) {
            Some(at) if is_time_of_day(text[at + 1..].trim()) => text[..at].trim_end(),
            _ => text,
        };
        if let Some(date) = Date::parse(date) {
            return Some(date);
        }
        let (year, rest) = (date.get(..4)?, date.get(4..)?);
        let (month, day) = if let Some(rest) = rest.strip_prefix('年') {
            let (month, day) = rest.split_once('月')?;
            let day = day.trim();
            (
                month.trim(),
                day.strip_suffix('日')
                    .or_else(|| day.strip_suffix('号'))?
                    .trim(),
            )
        } else {
            let separator = rest
                .chars()
                .next()
                .filter(|c| matches!(c, '-' | '/' | '.'))?;
            rest[1..].split_once(separator)?
        };
        if !(1..=2).contains(&month.len()) || !(1..=2).contains(&day.len()) {
            return None;
        }
        Date::from_ymd(
            parse_digits(year.as_bytes())?,
            parse_digits(month.as_bytes())?,
            parse_digits(day.as_bytes())?,
        )
    }

    /// The month this day falls in.
    /// (year, month, day of month).
    pub fn year_month_day(self) -> (u32, u32, u32) {
        use chrono::Datelike;
        let date = chrono::NaiveDate::from_num_days_from_ce_opt(self.0)
            .expect("a Date is made from a real day");
        (date.year() as u32, date.month(), date.day())
    }

    pub fn period(self) -> Period {
        use chrono::Datelike;
        let date = chrono::NaiveDate::from_num_days_from_ce_opt(self.0)
            .expect("a Date is made from a real day");
        Period::from_year_month(date.year() as u32, date.month())
            .expect("a Date's year is 1..=9999")
    }

    /// The day a spreadsheet's date serial number names (days since
    /// 1899-12-30, or 1904-01-01 in a 1904 workbook; a fraction is a time
    /// of day, left out); `None` outside 0001-01-01..=9999-12-31.
    pub fn from_serial(serial: f64, is_1904: bool) -> Option<Date> {
        if !serial.is_finite() {
            return None;
        }
        let days = serial.floor();
        if !(-1.0e6..=3.0e6).contains(&days) {
            return None;
        }
        let epoch = if is_1904 {
            chrono::NaiveDate::from_ymd_opt(1904, 1, 1)
        } else {
            chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
        }?;
        let date = epoch.checked_add_signed(chrono::TimeDelta::try_days(days as i64)?)?;
        use chrono::Datelike;
        Date::from_ymd(u32::try_from(date.year()).ok()?, date.month(), date.day())
    }

    pub fn from_ymd(year: u32, month: u32, day: u32) -> Option<Date> {
        use chrono::Datelike;
        // Years as periods have them (chrono has a year 0; a Date there
        // would have no month: `period` would fail).
        if !(1..=9999).contains(&year) {
            return None;
        }
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

/// `14:30`, `14:30:00`, `9:05:00.000`.
fn is_time_of_day(text: &str) -> bool {
    let mut parts = text.split(':');
    let hour = parts.next().unwrap_or_default();
    let minute = parts.next();
    let second = parts.next();
    let digits = |part: &str, most: usize| {
        (1..=most).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    };
    let second_ok = second.is_none_or(|second| {
        let (whole, fraction) = second.split_once('.').unwrap_or((second, "0"));
        digits(whole, 2) && digits(fraction, 6)
    });
    digits(hour, 2)
        && minute.is_some_and(|minute| digits(minute, 2))
        && second_ok
        && parts.next().is_none()
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
    /// Found by the fuzz smoke run (`values`, input `00000303`): a date
    /// of year 0 was made, whose month could not be (a panic in
    /// `Date::period`). Years are 1 to 9999, as for periods.
    #[test]
    fn a_date_outside_the_years_of_periods_is_no_date() {
        for text in [
            "00000303",
            "0000-03-03",
            "0000/03/03",
            "0000年3月3日",
            "0000.3.3",
        ] {
            assert_eq!(Date::parse_any(text), None, "{text}");
        }
        assert_eq!(Date::from_ymd(0, 1, 1), None);
        assert_eq!(Date::from_ymd(10_000, 1, 1), None);
        let first = Date::from_ymd(1, 1, 1).expect("0001-01-01");
        assert_eq!(first.period().to_string(), "0001-01");
        let last = Date::parse_any("99991231").expect("9999-12-31");
        assert_eq!(last.period().to_string(), "9999-12");
    }

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
    fn every_office_month_form_is_read() {
        let july = period("2020-07");
        for text in [
            "2020-07",
            "202007",
            "2020-7",
            "2020.07",
            "2020.7",
            "2020/07",
            "2020/7",
            "2020年7月",
            "2020年07月",
            "2020年 7月",
            "2020年7月份",
        ] {
            assert_eq!(Period::parse_any(text), Some(july), "{text:?}");
        }
        assert_eq!(Period::parse_any("2020.10"), Some(period("2020-10")));
        for bad in [
            "2020-13",
            "2020.0",
            "2020年13月",
            "2020年7",
            "20207",
            "2020-07-01",
            "2020.007",
            "2020年7月5日",
            "07/2020",
            "",
            "年月",
            "2020",
        ] {
            assert_eq!(Period::parse_any(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn every_office_range_form_is_read() {
        let range = PeriodRange::parse("2020-07..2020-08").unwrap();
        for text in [
            "2020-07..2020-08",
            "2020年7月至2020年8月",
            "2020年7月 至 2020年8月",
            "2020.07..2020.08",
            "2020.07-2020.08",
            "202007-202008",
            "2020-07-2020-08",
            "2020-7-2020-8",
            "2020/07~2020/08",
            "2020年7月～2020年8月",
            "2020年7月到2020年8月",
            "2020.07—2020.08",
        ] {
            assert_eq!(PeriodRange::parse_any(text), Ok(range), "{text:?}");
        }
        assert_eq!(
            PeriodRange::parse_any("2020年7月"),
            Ok(PeriodRange::single(period("2020-07")))
        );
        assert!(PeriodRange::parse_any("2020年8月至2020年7月")
            .unwrap_err()
            .contains("ends before"));
        for bad in [
            "2020-07-08",
            "2020年7月至",
            "至2020年8月",
            "2020-07--2020-08",
            "2020.07..",
            "2020-13..2020-14",
        ] {
            assert!(PeriodRange::parse_any(bad).is_err(), "{bad:?}");
        }
        // The contract's messages are kept word for word.
        assert_eq!(PeriodRange::parse_any("x"), PeriodRange::parse("x"));
    }

    #[test]
    fn every_office_date_form_is_read() {
        let date = Date::parse("2020-07-05").unwrap();
        for text in [
            "2020-07-05",
            "20200705",
            "2020/07/05",
            "2020/7/5",
            "2020-7-5",
            "2020.7.5",
            "2020.07.05",
            "2020年7月5日",
            "2020年07月05日",
            "2020年7月5号",
            "2020-07-05 14:30:00",
            "2020/7/5 9:05",
            "2020-07-05T14:30:00",
            "2020-07-05 14:30:00.000",
        ] {
            assert_eq!(Date::parse_any(text), Some(date), "{text:?}");
        }
        for bad in [
            "2020-02-30",
            "2020-7/5",
            "2020.7-5",
            "2020年7月",
            "2020-07-05 noon",
            "7/5/2020",
            "20200705 143000",
            "",
            "2020/007/05",
        ] {
            assert_eq!(Date::parse_any(bad), None, "{bad:?}");
        }
        assert_eq!(date.period(), period("2020-07"));
    }

    #[test]
    fn spreadsheet_serial_numbers_are_days() {
        // 44017 is 2020-07-05 in a 1900 workbook.
        assert_eq!(Date::from_serial(44017.0, false), Date::parse("2020-07-05"));
        assert_eq!(
            Date::from_serial(44017.75, false),
            Date::parse("2020-07-05")
        );
        assert_eq!(Date::from_serial(42555.0, true), Date::parse("2020-07-05"));
        assert_eq!(Date::from_serial(f64::NAN, false), None);
        assert_eq!(Date::from_serial(1.0e12, false), None);
        assert_eq!(Date::from_serial(-1.0e12, false), None);
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

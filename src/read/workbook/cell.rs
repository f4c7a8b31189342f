//! What a cell's stored value means: number formats that make a number a
//! date or a duration, the text a number or a date becomes, and Excel's
//! `_xHHHH_` escapes — the same for `.xlsx` and `.xls`, and as calamine
//! 0.38 read them, so every legitimate workbook reads as before.

use std::io::Write;

use super::CellKind;
use crate::domain::Date;

/// What a number format makes of a number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NumberFormat {
    #[default]
    Plain,
    /// A date, a time or a date-time.
    Date,
    /// A duration (`[h]:mm`).
    Duration,
}

/// What a custom number format (`yyyy-mm-dd`, `0.00`, `[h]:mm`) shows,
/// decided as calamine's `detect_custom_number_format` decides: only the
/// first section counts; quoted text, escaped and fill characters and
/// bracketed colours or conditions are not date letters; `[h]`, `[m]`,
/// `[s]` make a duration.
pub fn custom_format(format: &str) -> NumberFormat {
    let mut escaped = false;
    let mut quoted = false;
    let mut brackets = 0u8;
    let mut previous = ' ';
    let mut elapsed = false;
    let mut am_pm = false;
    for character in format.chars() {
        match (character, escaped, quoted, am_pm, brackets) {
            (_, true, ..) => escaped = false,
            // `\` escapes, `_` skips a width, `*` fills: the next
            // character is always literal.
            ('_' | '\\' | '*', ..) => escaped = true,
            ('"', _, true, _, _) => quoted = false,
            (_, _, true, _, _) => (),
            ('"', ..) => quoted = true,
            (';', ..) => return NumberFormat::Plain,
            ('[', ..) => brackets = brackets.saturating_add(1),
            (']', .., 1) if elapsed => return NumberFormat::Duration,
            (']', ..) => brackets = brackets.saturating_sub(1),
            ('a' | 'A', _, _, false, 0) => am_pm = true,
            ('p' | 'm' | '/' | 'P' | 'M', _, _, true, 0) => return NumberFormat::Date,
            ('d' | 'm' | 'h' | 'y' | 's' | 'D' | 'M' | 'H' | 'Y' | 'S', _, _, false, 0) => {
                return NumberFormat::Date
            }
            _ => {
                if !(elapsed && character.eq_ignore_ascii_case(&previous)) {
                    elapsed =
                        previous == '[' && matches!(character, 'm' | 'h' | 's' | 'M' | 'H' | 'S');
                }
            }
        }
        previous = character;
    }
    NumberFormat::Plain
}

/// What a built-in number format (by its id) shows: 14–22, 45 and 47 are
/// dates and times, 46 `[h]:mm:ss` a duration, and the East Asian ids
/// 27–36 and 50–58 dates.
pub fn builtin_format(id: u32) -> NumberFormat {
    match id {
        14..=22 | 27..=36 | 45 | 47 | 50..=58 => NumberFormat::Date,
        46 => NumberFormat::Duration,
        _ => NumberFormat::Plain,
    }
}

/// Writes the text of a number cell of format `format` to `text` and
/// returns its kind: a plain number is the shortest decimal that reads
/// back as the same double, never in exponent form; a date is its day
/// `YYYY-MM-DD`; a duration, or a date before 1900 or after 9999, is
/// `NotADate` with the number as text.
pub fn number(value: f64, format: NumberFormat, is_1904: bool, text: &mut Vec<u8>) -> CellKind {
    let kind = match format {
        NumberFormat::Plain if value.is_finite() => CellKind::Number,
        NumberFormat::Plain => CellKind::Error,
        NumberFormat::Duration => CellKind::NotADate,
        NumberFormat::Date => match serial_day(value, is_1904) {
            Some(date) => {
                write!(text, "{date}").expect("writing to a Vec cannot fail");
                return CellKind::Date;
            }
            None => CellKind::NotADate,
        },
    };
    write!(text, "{value}").expect("writing to a Vec cannot fail");
    kind
}

/// Greatest day a serial may name: 9999-12-31.
const MAX_SERIAL_DAYS_1900: u64 = 2_958_465;
const MAX_SERIAL_DAYS_1904: u64 = 2_957_003;

/// The day a date serial names, as Excel shows it: days since 1899-12-31
/// (with Excel's 1900-02-29, serial 60, which is no day), or since
/// 1904-01-01 in a 1904 workbook; a time that rounds to midnight is the
/// next day. `None` for a serial outside 0..2958466, and for serial 60.
pub fn serial_day(serial: f64, is_1904: bool) -> Option<Date> {
    if !(0.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let mut days = serial.floor() as u64;
    let seconds = serial.fract() * 86_400.0;
    let mut whole_seconds = seconds as u64;
    if ((seconds.fract() * 1000.0).round() as u64) == 1000 {
        whole_seconds += 1;
    }
    if whole_seconds == 86_400 {
        days += 1;
    }
    let (epoch, days) = if is_1904 {
        ((1904, 1, 1), days.min(MAX_SERIAL_DAYS_1904))
    } else {
        match days.min(MAX_SERIAL_DAYS_1900) {
            60 => return None,
            days @ 0..=59 => ((1899, 12, 31), days),
            days => ((1899, 12, 30), days),
        }
    };
    let epoch = Date::from_ymd(epoch.0, epoch.1, epoch.2)?;
    let days = i32::try_from(days).ok()?;
    let date = Date::from_days(epoch.days().checked_add(days)?);
    // A day number past 9999-12-31 would not print as a date.
    (date <= Date::from_ymd(9999, 12, 31)?).then_some(date)
}

/// Appends `original` to `text` with Excel's `_xHHHH_` escapes (a UTF-16
/// code unit, used for characters XML cannot hold) decoded as calamine
/// decodes them: a surrogate pair is one character, a lone surrogate is
/// U+FFFD, and `_x005F_` is the `_` that escapes a literal `_xHHHH_`.
pub fn unescape_into(original: &str, text: &mut Vec<u8>) {
    let bytes = original.as_bytes();
    let mut copied = 0;
    let mut index = 0;
    while let Some(offset) = memchr::memchr(b'_', &bytes[index..]) {
        let at = index + offset;
        let Some(unit) = escape_at(bytes, at) else {
            index = at + 1;
            continue;
        };
        text.extend_from_slice(&bytes[copied..at]);
        let mut next = at + ESCAPE_LENGTH;
        let character = match unit {
            0xD800..=0xDBFF => match escape_at(bytes, next) {
                Some(low @ 0xDC00..=0xDFFF) => {
                    next += ESCAPE_LENGTH;
                    let code =
                        0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                    char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
                }
                _ => char::REPLACEMENT_CHARACTER,
            },
            0xDC00..=0xDFFF => char::REPLACEMENT_CHARACTER,
            unit => char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER),
        };
        let mut encoded = [0u8; 4];
        text.extend_from_slice(character.encode_utf8(&mut encoded).as_bytes());
        copied = next;
        index = next;
    }
    text.extend_from_slice(&bytes[copied..]);
}

/// `_xHHHH_`.
const ESCAPE_LENGTH: usize = 7;

fn escape_at(bytes: &[u8], at: usize) -> Option<u16> {
    let escape = bytes.get(at..at + ESCAPE_LENGTH)?;
    if escape[0] != b'_' || escape[1] != b'x' || escape[6] != b'_' {
        return None;
    }
    let mut unit = 0u16;
    for &digit in &escape[2..6] {
        unit = unit * 16 + (digit as char).to_digit(16)? as u16;
    }
    Some(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(value: f64, format: NumberFormat, is_1904: bool) -> (String, CellKind) {
        let mut text = Vec::new();
        let kind = number(value, format, is_1904, &mut text);
        (String::from_utf8(text).unwrap(), kind)
    }

    #[test]
    fn numbers_are_their_shortest_decimal() {
        let plain = |value| text_of(value, NumberFormat::Plain, false).0;
        assert_eq!(plain(1140.0), "1140");
        assert_eq!(plain(1140.5), "1140.5");
        assert_eq!(plain(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(plain(4.40981e17), "440981000000000000");
        assert_eq!(plain(1e21), "1000000000000000000000");
        assert_eq!(plain(-5.0), "-5");
        assert_eq!(
            text_of(f64::NAN, NumberFormat::Plain, false).1,
            CellKind::Error
        );
    }

    #[test]
    fn date_serials_are_the_days_excel_shows() {
        let day = |serial, is_1904| serial_day(serial, is_1904).map(|date| date.to_string());
        assert_eq!(day(44017.0, false).as_deref(), Some("2020-07-05"));
        assert_eq!(day(44017.75, false).as_deref(), Some("2020-07-05"));
        assert_eq!(
            day(44_017.999_999_999, false).as_deref(),
            Some("2020-07-06")
        );
        assert_eq!(day(42555.0, true).as_deref(), Some("2020-07-05"));
        assert_eq!(day(0.0, false).as_deref(), Some("1899-12-31"));
        assert_eq!(day(1.0, false).as_deref(), Some("1900-01-01"));
        assert_eq!(day(59.0, false).as_deref(), Some("1900-02-28"));
        assert_eq!(day(60.0, false), None);
        assert_eq!(day(61.0, false).as_deref(), Some("1900-03-01"));
        assert_eq!(day(366.0, false).as_deref(), Some("1900-12-31"));
        assert_eq!(day(2_958_465.0, false).as_deref(), Some("9999-12-31"));
        assert_eq!(day(2_958_465.5, true).as_deref(), Some("9999-12-31"));
        assert_eq!(day(2_958_466.0, false), None);
        assert_eq!(day(-1.0, false), None);
        assert_eq!(day(f64::NAN, false), None);
        assert_eq!(
            text_of(60.0, NumberFormat::Date, false),
            ("60".into(), CellKind::NotADate)
        );
        assert_eq!(
            text_of(1.5, NumberFormat::Duration, false),
            ("1.5".into(), CellKind::NotADate)
        );
    }

    #[test]
    fn custom_formats_are_dates_as_excel_shows_them() {
        use NumberFormat::*;
        for (format, expected) in [
            ("DD/MM/YY", Date),
            ("yyyy-mm-dd", Date),
            ("yyyy\"年\"m\"月\"", Date),
            ("H:MM:SS;@", Date),
            ("m\"M\"d\"D\";@", Date),
            ("[h]:mm:ss", Duration),
            ("[h]", Duration),
            ("[ss]", Duration),
            ("[Blue]\\+[h]:mm;[Red]\\-[h]:mm;[Green][h]:mm", Duration),
            ("[>=100][Magenta].00", Plain),
            ("[>=100][Magenta]General", Plain),
            ("#,##0\\ [$\\u20bd-46D]", Plain),
            ("\"$\"#,##0_);[Red](\"$\"#,##0)", Plain),
            ("[$-404]e\"\\xfc\"m\"\\xfc\"d\"\\xfc\"", Date),
            ("0_ ;[Red]\\-0\\ ", Plain),
            ("\\Y000000", Plain),
            ("#,##0.0####\" YMD\"", Plain),
            ("ha/p\\\\m", Date),
            ("#,##0*y", Plain),
            ("*-yyyy-mm-dd", Date),
            ("0.00", Plain),
            ("@", Plain),
        ] {
            assert_eq!(custom_format(format), expected, "{format}");
        }
        assert_eq!(builtin_format(14), Date);
        assert_eq!(builtin_format(22), Date);
        assert_eq!(builtin_format(46), Duration);
        assert_eq!(builtin_format(49), Plain);
        assert_eq!(builtin_format(0), Plain);
    }

    #[test]
    fn excel_escapes_are_decoded_as_calamine_decodes_them() {
        let unescape = |text: &str| {
            let mut out = Vec::new();
            unescape_into(text, &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(unescape("a_x000D_b"), "a\rb");
        assert_eq!(unescape("_x005F_x000D_"), "_x000D_");
        assert_eq!(unescape("_xD83D__xDCF7_"), "\u{1F4F7}");
        assert_eq!(unescape("_xD83D_x"), "\u{FFFD}x");
        assert_eq!(unescape("_xDC00_"), "\u{FFFD}");
        assert_eq!(unescape("_x00G0_ _x12_"), "_x00G0_ _x12_");
        assert_eq!(unescape("plain_text_"), "plain_text_");
    }
}

//! Fast CSV rendering into byte buffers: money and periods without
//! `fmt`, quoting only when a field needs it, and text that a spreadsheet
//! would run as a formula written so that it stays text.

use crate::domain::{Money, Period, PeriodRange};

/// Appends `prefix` then `text` as one CSV field, quoted (around both) when
/// `text` holds a comma, quote or line break. `prefix` is ours and never
/// needs quoting.
fn field(out: &mut Vec<u8>, prefix: &str, text: &str) {
    debug_assert!(!prefix
        .bytes()
        .any(|byte| matches!(byte, b',' | b'"' | b'\n' | b'\r')));
    if text
        .bytes()
        .any(|byte| matches!(byte, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push(b'"');
        out.extend_from_slice(prefix.as_bytes());
        for byte in text.bytes() {
            if byte == b'"' {
                out.push(b'"');
            }
            out.push(byte);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(text.as_bytes());
    }
}

/// What a spreadsheet shows as text, whatever follows: Excel, WPS and
/// LibreOffice drop it from the cell and keep the rest as typed.
const TEXT_MARKER: &str = "'";

pub use crate::domain::text::starts_like_formula;

/// Appends a text value read from the case (or made from one) as one CSV
/// field: after [`TEXT_MARKER`] when it starts like a formula, so that a
/// spreadsheet shows it instead of running it; then quoted as usual.
pub fn text_field(out: &mut Vec<u8>, text: &str) {
    if starts_like_formula(text) {
        field(out, TEXT_MARKER, text);
    } else {
        field(out, "", text);
    }
}

fn digits(out: &mut Vec<u8>, value: u128) {
    const TEN_TO_19: u128 = 10_000_000_000_000_000_000;
    match u64::try_from(value) {
        // Nearly every amount fits 64 bits, whose division is far cheaper.
        Ok(small) => digits_u64(out, small),
        Err(_) => {
            digits(out, value / TEN_TO_19);
            let low = (value % TEN_TO_19) as u64;
            out.extend_from_slice(format!("{low:019}").as_bytes());
        }
    }
}

fn digits_u64(out: &mut Vec<u8>, mut value: u64) {
    let mut buffer = [0u8; 20];
    let mut position = buffer.len();
    loop {
        position -= 1;
        buffer[position] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&buffer[position..]);
}

/// Appends fen as yuan with two decimals: `-150.00`, `0.05`.
pub fn fen(out: &mut Vec<u8>, fen: i128) {
    if fen < 0 {
        out.push(b'-');
    }
    let magnitude = fen.unsigned_abs();
    // Nearly every amount fits 64 bits: 128-bit division is a call into
    // the runtime, which showed in the write profile (twice an amount).
    let cents = match u64::try_from(magnitude) {
        Ok(small) => {
            digits_u64(out, small / 100);
            (small % 100) as u8
        }
        Err(_) => {
            digits(out, magnitude / 100);
            (magnitude % 100) as u8
        }
    };
    out.push(b'.');
    out.push(b'0' + cents / 10);
    out.push(b'0' + cents % 10);
}

pub fn money(out: &mut Vec<u8>, amount: Money) {
    fen(out, i128::from(amount.fen()));
}

pub fn optional_money(out: &mut Vec<u8>, amount: Option<Money>) {
    if let Some(amount) = amount {
        money(out, amount);
    }
}

pub fn period(out: &mut Vec<u8>, period: Period) {
    let year = period.year();
    let month = period.month();
    out.extend_from_slice(&[
        b'0' + (year / 1000 % 10) as u8,
        b'0' + (year / 100 % 10) as u8,
        b'0' + (year / 10 % 10) as u8,
        b'0' + (year % 10) as u8,
        b'-',
        b'0' + (month / 10) as u8,
        b'0' + (month % 10) as u8,
    ]);
}

pub fn unsigned(out: &mut Vec<u8>, value: u64) {
    digits(out, u128::from(value));
}

/// One CSV row being rendered: each cell call puts the separator before
/// its cell, so a row reads as its list of columns.
pub struct Cells<'o> {
    out: &'o mut Vec<u8>,
    started: bool,
}

impl<'o> Cells<'o> {
    pub fn new(out: &'o mut Vec<u8>) -> Cells<'o> {
        Cells {
            out,
            started: false,
        }
    }

    fn next(&mut self) -> &mut Vec<u8> {
        if self.started {
            self.out.push(b',');
        }
        self.started = true;
        self.out
    }

    /// Free text (names, ids, regions, accounts, details, sources):
    /// marked as text when it starts like a formula, then quoted when it
    /// needs to be. Rows are sorted before this, on the values as read.
    pub fn text(&mut self, text: &str) -> &mut Self {
        text_field(self.next(), text);
        self
    }

    /// A fixed word of the spec (a code, program, status…): never quoted.
    pub fn word(&mut self, word: &str) -> &mut Self {
        self.next().extend_from_slice(word.as_bytes());
        self
    }

    pub fn money(&mut self, amount: Option<Money>) -> &mut Self {
        optional_money(self.next(), amount);
        self
    }

    /// A wide total in fen; empty when `None`.
    pub fn total(&mut self, fen_total: Option<i128>) -> &mut Self {
        let out = self.next();
        if let Some(total) = fen_total {
            fen(out, total);
        }
        self
    }

    /// A period, or a range `first..last`; empty when `None`.
    pub fn periods(&mut self, periods: Option<PeriodRange>) -> &mut Self {
        let out = self.next();
        if let Some(periods) = periods {
            period(out, periods.first);
            if !periods.is_single() {
                out.extend_from_slice(b"..");
                period(out, periods.last);
            }
        }
        self
    }

    pub fn unsigned(&mut self, value: u64) -> &mut Self {
        unsigned(self.next(), value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(render: impl Fn(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        render(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn renders_like_display() {
        for value in [
            0i64,
            5,
            -5,
            100,
            -15_000,
            123_456_789,
            i64::MAX,
            i64::MIN + 1,
        ] {
            let amount = Money::from_fen(value);
            assert_eq!(text(|out| money(out, amount)), amount.to_string());
        }
        // Sums past 64 bits take the 128-bit path.
        for value in [
            0i128,
            -1,
            99,
            i128::from(u64::MAX),
            i128::from(u64::MAX) + 1,
            -i128::from(u64::MAX) - 7,
            i128::MAX,
            i128::MIN + 1,
        ] {
            let magnitude = value.unsigned_abs();
            let sign = if value < 0 { "-" } else { "" };
            let expected = format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100);
            assert_eq!(text(|out| fen(out, value)), expected);
        }
        let july = Period::parse("2020-07").unwrap();
        assert_eq!(text(|out| period(out, july)), "2020-07");
        assert_eq!(text(|out| field(out, "", "a,b")), "\"a,b\"");
        assert_eq!(
            text(|out| field(out, "", "say \"hi\"")),
            "\"say \"\"hi\"\"\""
        );
        assert_eq!(text(|out| field(out, "", "钱\n一")), "\"钱\n一\"");
        assert_eq!(text(|out| field(out, "", "plain")), "plain");
        assert_eq!(text(|out| unsigned(out, 0)), "0");
    }

    /// SPEC v2 §6: a spreadsheet must not run text read from a case.
    #[test]
    fn text_that_starts_like_a_formula_is_written_as_text() {
        let cell = |value: &str| text(|out| text_field(out, value));
        assert_eq!(cell("=1"), "'=1");
        assert_eq!(cell("-62220001"), "'-62220001");
        assert_eq!(cell("+86 138"), "'+86 138");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("\rx"), "\"'\rx\"");
        assert_eq!(cell("＝1+1"), "'＝1+1");
        assert_eq!(cell("－5"), "'－5");
        // The marker goes inside the quotes, which apply as usual.
        assert_eq!(
            cell("=HYPERLINK(\"http://x\",\"a\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"a\"\")\""
        );
        assert_eq!(cell("=1,2"), "\"'=1,2\"");
        // Only the first character matters; ordinary text is unchanged.
        for plain in [
            "",
            "张三",
            "110101198001010010",
            "a=1",
            "'=1",
            " =1",
            "payouts.csv:7",
        ] {
            assert_eq!(cell(plain), text(|out| field(out, "", plain)), "{plain:?}");
        }
        assert_eq!(cell("a=1"), "a=1");
    }

    /// Money, periods, counts and codes are never marked: `-50.00` stays a
    /// number a spreadsheet can add up.
    #[test]
    fn negative_money_stays_a_number() {
        let mut out = Vec::new();
        Cells::new(&mut out)
            .money(Some(Money::from_fen(-5000)))
            .total(Some(-1))
            .word("SHORTFALL")
            .text("-1");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "-50.00,-0.01,SHORTFALL,'-1"
        );
    }
}

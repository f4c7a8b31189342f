//! Resident ID numbers (GB 11643), the person key in every file.

/// Trims (the cell is already trimmed) and upper-cases a trailing `x`; an
/// old 15-digit number is upgraded to its 18-character form
/// ([`upgrade_15`]).
#[inline]
pub fn normalise(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() == 15 {
        if let Some(upgraded) = upgrade_15(text) {
            return std::borrow::Cow::Owned(upgraded);
        }
    }
    if text.contains('x') {
        std::borrow::Cow::Owned(text.replace('x', "X"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARACTERS: [u8; 11] = *b"10X98765432";

/// True when `id` (normalised) is 17 digits and the correct check character.
/// Only the check character is verified, not the birth date (SPEC §5).
pub fn is_valid(id: &str) -> bool {
    let bytes = id.as_bytes();
    if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = bytes[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(&digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    bytes[17] == CHECK_CHARACTERS[(sum % 11) as usize]
}

/// True for an old (first-generation) ID number: 15 digits.
pub fn is_old_form(text: &str) -> bool {
    text.len() == 15 && text.bytes().all(|byte| byte.is_ascii_digit())
}

/// GB 11643's upgrade of a 15-digit number: `19` goes before the
/// two-digit birth year (the 7th digit) and the check character is
/// appended. `None` for anything but 15 digits.
pub fn upgrade_15(text: &str) -> Option<String> {
    if !is_old_form(text) {
        return None;
    }
    let mut id = String::with_capacity(18);
    id.push_str(&text[..6]);
    id.push_str("19");
    id.push_str(&text[6..]);
    let sum: u32 = id
        .bytes()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    id.push(char::from(CHECK_CHARACTERS[(sum % 11) as usize]));
    Some(id)
}

/// True for text a spreadsheet wrote for an ID number it had turned into
/// a number: scientific notation as Excel writes it, one digit before the
/// point (`4.40981E+17`, `4.40981e17`, `4E+17`), whose last digits are
/// lost.
#[inline]
pub fn is_scientific(text: &str) -> bool {
    // This runs on every ID number of every file: an ID number's second
    // character is a digit, which rules it out at once.
    if !matches!(text.as_bytes().get(1), Some(b'.' | b'e' | b'E')) {
        return false;
    }
    exponent_form(text)
}

#[cold]
#[inline(never)]
fn exponent_form(text: &str) -> bool {
    let Some(at) = text.bytes().position(|byte| byte | 0x20 == b'e') else {
        return false;
    };
    let (mantissa, exponent) = (&text[..at], &text[at + 1..]);
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    digits(whole) && digits(fraction) && digits(exponent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_character() {
        assert!(is_valid("11010519491231002X"));
        assert!(!is_valid("110108196711301866"));
        assert!(is_valid(&normalise("11010119800101007x")));
        assert!(is_valid("110101198001010010"));
        assert!(!is_valid("110101198001010011"));
        assert!(!is_valid("12345678901234567"));
        assert!(!is_valid("1101011980010100100"));
        assert!(!is_valid("11010119800101001A"));
        // The birth date is not checked: month 13, day 32 still passes.
        assert!(is_valid("110101199913320016"));
    }

    #[test]
    fn fifteen_digit_numbers_are_upgraded_by_gb_11643() {
        // 110105491231002 is the 15-digit form of 11010519491231002X.
        assert_eq!(
            upgrade_15("110105491231002").as_deref(),
            Some("11010519491231002X")
        );
        assert_eq!(normalise("110105491231002"), "11010519491231002X");
        assert!(is_valid(&normalise("440981850101123")));
        for not_old in ["11010549123100", "1101054912310021", "11010549123100x", ""] {
            assert_eq!(upgrade_15(not_old), None, "{not_old:?}");
        }
        assert_eq!(normalise("11010519491231002x"), "11010519491231002X");
    }

    #[test]
    fn scientific_notation_is_what_a_spreadsheet_made_of_a_number() {
        for text in ["4.40981E+17", "4.40981e17", "4E+17", "1.10105E17"] {
            assert!(is_scientific(text), "{text:?}");
        }
        for text in [
            "11010519491231002X",
            "4.40981",
            "E+17",
            "4.E+17",
            "4.4e+",
            "ex",
        ] {
            assert!(!is_scientific(text), "{text:?}");
        }
    }
}

//! Resident ID numbers (GB 11643), the person key in every file.

/// Trims (the cell is already trimmed) and upper-cases a trailing `x`.
pub fn normalise(text: &str) -> std::borrow::Cow<'_, str> {
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
}

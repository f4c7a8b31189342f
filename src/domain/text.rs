//! Text quoted back to the user: in messages, BAD_RECORD details and
//! finding details a value is cut, so a 10 MB cell is never repeated.

/// At most this many characters of a value are quoted in a message or a
/// detail; a longer value is cut and ends with `…`.
pub const MAX_QUOTED_CHARS: usize = 200;

/// At most this many items of a list are named in a finding's detail; the
/// rest are counted.
pub const MAX_LISTED_ITEMS: usize = 10;

/// `text`, cut to [`MAX_QUOTED_CHARS`] characters with `…` when longer.
pub fn excerpt(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        None => std::borrow::Cow::Borrowed(text),
        Some((cut, _)) => std::borrow::Cow::Owned(format!("{}…", &text[..cut])),
    }
}

/// `items` joined by `, `, each cut by [`excerpt`], at most
/// [`MAX_LISTED_ITEMS`] of them and then how many more (`…, +12 more`).
pub fn listed<'i>(items: impl IntoIterator<Item = &'i str>) -> String {
    let (mut text, count) = first_listed(items, ", ");
    if count > MAX_LISTED_ITEMS {
        text.push_str(&format!(", … +{} more", count - MAX_LISTED_ITEMS));
    }
    text
}

/// The first [`MAX_LISTED_ITEMS`] of `items`, each cut by [`excerpt`],
/// joined by `separator`; and how many items there were in all (a caller
/// in another language says the rest its own way).
pub fn first_listed<'i>(
    items: impl IntoIterator<Item = &'i str>,
    separator: &str,
) -> (String, usize) {
    let mut text = String::new();
    let mut count = 0usize;
    for item in items {
        count += 1;
        if count <= MAX_LISTED_ITEMS {
            if count > 1 {
                text.push_str(separator);
            }
            text.push_str(&excerpt(item));
        }
    }
    (text, count)
}

/// True when a spreadsheet program would read a cell starting like `text`
/// as a formula (SPEC v2 §6, OWASP "CSV Injection"): `=`, `+`, `-`, `@`, a
/// tab or a carriage return. The full-width forms `＝` `＋` `－` `＠` count
/// too: Chinese and Japanese input methods type them, and Excel and WPS in
/// those locales turn a cell that starts with one into a formula as if it
/// were its ASCII twin. Leading white space needs no rule: cells are
/// trimmed when read, and a spreadsheet takes ` =1` as text anyway.
pub fn starts_like_formula(text: &str) -> bool {
    matches!(
        text.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_and_long_lists_are_cut() {
        assert_eq!(excerpt("short"), "short");
        let long = "x".repeat(MAX_QUOTED_CHARS + 5);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), MAX_QUOTED_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(listed(["a", "b"]), "a, b");
        let many: Vec<String> = (0..13).map(|number| format!("P{number}")).collect();
        assert_eq!(
            listed(many.iter().map(String::as_str)),
            "P0, P1, P2, P3, P4, P5, P6, P7, P8, P9, … +3 more"
        );
    }
}

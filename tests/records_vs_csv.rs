//! records.rs says it reads quotes "as the `csv` crate reads them": this
//! differential property holds it to that. On texts both readers accept —
//! LF and CRLF line ends, fields closed in quotes with doubled quotes and
//! line breaks inside, empty fields, a quote inside an unquoted field,
//! UTF-8 text, with or without a last line end — the scanner and field
//! splitter of `duizhang::read::records` give the records and the fields
//! `csv::Reader` gives, each record ending where the csv crate ends it
//! (whose next record's position is one byte past the end of the one
//! before — after its line end's first byte, the rest of a CRLF and any
//! empty lines belonging to the next). Not the csv crate's line:
//! it counts neither line breaks inside quotes nor empty lines, where
//! duizhang cites physical lines (docs/spec-readings.md, 26).

use proptest::prelude::*;

use duizhang::read::records::{Fields, Scanner, MAX_ROW_BYTES};

/// One field as written: its text, and whether it is written in quotes
/// (always so when the text holds a comma, a quote at its start or a line
/// end, which need them).
#[derive(Clone, Debug)]
struct Field {
    text: String,
    quoted: bool,
}

/// Characters a field is made of: the ones that matter to CSV, white
/// space, ASCII and Chinese text, a character of four bytes.
const CHARACTERS: &[char] = &[
    ',', '"', '\n', '\r', ' ', '\t', 'a', 'Z', '0', '9', '.', '-', '\'', '张', '三', '·', '元',
    '\u{3000}', '😀',
];

fn field() -> impl Strategy<Value = Field> {
    (
        prop::collection::vec(prop::sample::select(CHARACTERS), 0..7),
        any::<bool>(),
    )
        .prop_map(|(characters, quoted)| {
            let text: String = characters.into_iter().collect();
            let needs_quotes = text.starts_with('"') || text.contains([',', '\n', '\r']);
            Field {
                quoted: quoted || needs_quotes,
                text,
            }
        })
}

/// A text of records: their fields, each record's line end (LF or CRLF),
/// and whether the last line end is left out.
fn text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((prop::collection::vec(field(), 1..6), any::<bool>()), 0..8),
        any::<bool>(),
    )
        .prop_map(|(records, last_line_end)| {
            let mut text = String::new();
            let count = records.len();
            for (index, (fields, crlf)) in records.into_iter().enumerate() {
                let written: Vec<String> = fields
                    .iter()
                    .map(|field| {
                        if field.quoted {
                            format!("\"{}\"", field.text.replace('"', "\"\""))
                        } else {
                            field.text.clone()
                        }
                    })
                    .collect();
                text.push_str(&written.join(","));
                if index + 1 < count || last_line_end {
                    text.push_str(if crlf { "\r\n" } else { "\n" });
                }
            }
            text
        })
}

/// (one byte past where the record before it ended, fields) of every
/// record, as records.rs reads `text`.
fn read_with_records(text: &str) -> Vec<(u64, Vec<String>)> {
    let bytes = text.as_bytes();
    let mut scanner = Scanner::new(bytes, 0, bytes.len(), 1, b',', MAX_ROW_BYTES);
    let mut fields = Fields::default();
    let mut records = Vec::new();
    let mut previous_end = 0;
    while let Some(span) = scanner.next_record().expect("no record is that long") {
        assert_eq!(span.unclosed, None, "every quote is closed: {text:?}");
        let raw = &text[span.start..span.end];
        let (cells, bounds) = fields.split_text(raw, b',', span.quoted);
        records.push((
            std::mem::replace(&mut previous_end, span.end as u64 + 1),
            bounds
                .iter()
                .map(|&(start, end)| cells[start as usize..end as usize].to_string())
                .collect(),
        ));
    }
    records
}

/// (its position's byte, fields) of every record, as the csv crate reads
/// `text`: no header, any number of fields a record.
fn read_with_csv(text: &str) -> Vec<(u64, Vec<String>)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|record| {
            let record = record.expect("the csv crate reads it");
            let start = record.position().expect("a position").byte();
            (start, record.iter().map(String::from).collect())
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn records_are_read_as_the_csv_crate_reads_them(text in text()) {
        let ours = read_with_records(&text);
        let theirs = read_with_csv(&text);
        prop_assert_eq!(ours, theirs, "{:?}", text);
    }

    /// The byte splitter and the text splitter give the same fields.
    #[test]
    fn fields_split_alike_as_bytes_and_as_text(text in text()) {
        let bytes = text.as_bytes();
        let mut scanner = Scanner::new(bytes, 0, bytes.len(), 1, b',', MAX_ROW_BYTES);
        let (mut as_bytes, mut as_text) = (Fields::default(), Fields::default());
        while let Some(span) = scanner.next_record().expect("fits") {
            let (cells, bounds) = as_bytes.split(&bytes[span.start..span.end], b',', span.quoted);
            let by_bytes: Vec<Vec<u8>> = bounds
                .iter()
                .map(|&(start, end)| cells[start as usize..end as usize].to_vec())
                .collect();
            let (cells, bounds) = as_text.split_text(&text[span.start..span.end], b',', span.quoted);
            let by_text: Vec<Vec<u8>> = bounds
                .iter()
                .map(|&(start, end)| cells.as_bytes()[start as usize..end as usize].to_vec())
                .collect();
            prop_assert_eq!(by_bytes, by_text);
        }
    }
}

/// The property's generator reaches what it claims: quoted line breaks,
/// doubled quotes, empty fields, CRLF, skipped empty lines.
#[test]
fn known_texts_are_read_alike() {
    for text in [
        "a,b\n1,\"x\r\ny\"\r\n\n\"\",,\"q\"\"\"\n",
        "\"张三\",\"a,b\"\r\n\r\n3,\"\"\"x\"",
        "x\"y,\"\"\"\"\n😀,",
        ",\n,,\n",
    ] {
        assert_eq!(read_with_records(text), read_with_csv(text), "{text:?}");
    }
}

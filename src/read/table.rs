//! The CSV layer shared by every input file: bytes → decoded text → rows of
//! trimmed cells with their physical line numbers (SPEC §2).

use std::borrow::Cow;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::domain::{id_number, FileKind, Source};
use crate::error::FatalError;

/// A file's bytes, decoded to UTF-8, with what run.json reports about it.
pub struct LoadedFile {
    pub kind: FileKind,
    pub text: Cow<'static, [u8]>,
    pub sha256: String,
    /// `utf-8`, or `gb18030` when the file was not UTF-8 (bank exports in
    /// GBK are decoded as GB18030, its superset).
    pub encoding: &'static str,
}

/// Reads `kind` from `folder`; `Ok(None)` for an optional file that is absent.
pub fn load(folder: &Path, kind: FileKind) -> Result<Option<LoadedFile>, FatalError> {
    let path = folder.join(kind.file_name());
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return if kind.is_required() {
                Err(FatalError::MissingFile { path })
            } else {
                Ok(None)
            };
        }
        Err(source) => return Err(FatalError::Unreadable { path, source }),
    };
    let sha256 = hex(&Sha256::digest(&bytes));
    let (text, encoding) = decode(bytes);
    Ok(Some(LoadedFile {
        kind,
        text,
        sha256,
        encoding,
    }))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        write!(text, "{byte:02x}").expect("writing to a String cannot fail");
    }
    text
}

/// UTF-8 (BOM stripped) as is; anything else is taken as GB18030.
fn decode(mut bytes: Vec<u8>) -> (Cow<'static, [u8]>, &'static str) {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    if std::str::from_utf8(&bytes).is_ok() {
        return (Cow::Owned(bytes), "utf-8");
    }
    let (decoded, _, _) = encoding_rs::GB18030.decode(&bytes);
    (Cow::Owned(decoded.into_owned().into_bytes()), "gb18030")
}

/// Column positions of the wanted names in a file's header.
pub struct Header {
    /// Position of each wanted column, in the order they were asked for.
    pub positions: Vec<Option<usize>>,
    pub field_count: usize,
}

/// A column the reader looks for: its name, whether the header must have it,
/// and other header spellings accepted for it.
pub struct Column {
    pub name: &'static str,
    pub required: bool,
    pub aliases: &'static [&'static str],
}

pub const fn required(name: &'static str, aliases: &'static [&'static str]) -> Column {
    Column {
        name,
        required: true,
        aliases,
    }
}

pub const fn optional(name: &'static str, aliases: &'static [&'static str]) -> Column {
    Column {
        name,
        required: false,
        aliases,
    }
}

fn header_key(cell: &[u8]) -> String {
    String::from_utf8_lossy(cell).trim().to_lowercase()
}

fn resolve_header(
    kind: FileKind,
    record: &csv::ByteRecord,
    columns: &[Column],
) -> Result<Header, FatalError> {
    let names: Vec<String> = record.iter().map(header_key).collect();
    for (position, name) in names.iter().enumerate() {
        if name.is_empty() {
            continue;
        }
        if let Some(first) = names[..position].iter().position(|other| other == name) {
            return Err(FatalError::DuplicateColumn {
                file: kind.file_name(),
                name: name.clone(),
                column: position + 1,
                first_column: first + 1,
            });
        }
    }
    let positions: Vec<Option<usize>> = columns
        .iter()
        .map(|column| {
            names
                .iter()
                .position(|name| name == column.name || column.aliases.contains(&name.as_str()))
        })
        .collect();
    let missing: Vec<&str> = columns
        .iter()
        .zip(&positions)
        .filter(|(column, position)| column.required && position.is_none())
        .map(|(column, _)| column.name)
        .collect();
    if !missing.is_empty() {
        return Err(FatalError::MissingColumns {
            file: kind.file_name(),
            plural: if missing.len() == 1 { "" } else { "s" },
            columns: missing.join(", "),
            header: names.join(", "),
        });
    }
    Ok(Header {
        positions,
        field_count: record.len(),
    })
}

/// One data row: trimmed cells by wanted-column index, and its line.
pub struct Row<'r> {
    record: &'r csv::ByteRecord,
    header: &'r Header,
    pub line: u32,
}

impl<'r> Row<'r> {
    /// The trimmed cell of wanted column `column`; `None` when the header
    /// lacks the column or the cell is empty (SPEC §2: empty means absent).
    pub fn cell(&self, column: usize) -> Option<&'r str> {
        let position = self.header.positions[column]?;
        let raw = self.record.get(position)?;
        // The whole file is valid UTF-8 (see `decode`), and fields split at
        // ASCII bytes, so this cannot fail; a failure reads as an empty cell
        // rather than a panic.
        let text = std::str::from_utf8(raw).ok()?.trim();
        (!text.is_empty()).then_some(text)
    }

    pub fn field_count_matches(&self) -> bool {
        self.record.len() == self.header.field_count
    }

    pub fn field_count(&self) -> usize {
        self.record.len()
    }

    pub fn expected_field_count(&self) -> usize {
        self.header.field_count
    }

    fn is_blank(&self) -> bool {
        self.record
            .iter()
            .all(|raw| std::str::from_utf8(raw).is_ok_and(|text| text.trim().is_empty()))
    }
}

/// Calls `visit` for every non-blank data row of `file`, in file order.
/// Returns the number of data rows visited.
pub fn for_each_row(
    file: &LoadedFile,
    columns: &[Column],
    mut visit: impl FnMut(&Row<'_>),
) -> Result<u64, FatalError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&file.text[..]);
    let mut record = csv::ByteRecord::new();
    let malformed = |error: csv::Error| FatalError::Malformed {
        file: file.kind.file_name(),
        line: error.position().map_or(0, |position| position.line()),
        message: error.to_string(),
    };
    if !reader.read_byte_record(&mut record).map_err(malformed)? {
        return Err(FatalError::NoHeader {
            file: file.kind.file_name(),
        });
    }
    let header = resolve_header(file.kind, &record, columns)?;
    let mut rows: u64 = 0;
    while reader.read_byte_record(&mut record).map_err(malformed)? {
        let line = record.position().map_or(0, |position| position.line());
        let row = Row {
            record: &record,
            header: &header,
            line: u32::try_from(line).unwrap_or(u32::MAX),
        };
        if row.is_blank() {
            continue;
        }
        rows += 1;
        visit(&row);
    }
    Ok(rows)
}

/// The problems of one row, gathered so a BAD_RECORD names all of them.
#[derive(Default)]
pub struct Problems {
    detail: String,
}

impl Problems {
    pub fn add(&mut self, column: &str, value: Option<&str>, expected: &str) {
        use std::fmt::Write;
        if !self.detail.is_empty() {
            self.detail.push_str("; ");
        }
        match value {
            Some(value) => write!(self.detail, "column {column}: {value:?}: {expected}"),
            None => write!(self.detail, "column {column}: {expected}"),
        }
        .expect("writing to a String cannot fail");
    }

    pub fn missing(&mut self, column: &str) {
        self.add(column, None, "a value is required");
    }

    pub fn is_empty(&self) -> bool {
        self.detail.is_empty()
    }

    pub fn into_detail(self) -> String {
        self.detail
    }
}

/// A row that cannot be read (SPEC §5 BAD_RECORD).
#[derive(Clone, Debug)]
pub struct BadRecord {
    pub source: Source,
    /// The row's id_number cell, normalised; empty when it has none.
    pub id_number: Box<str>,
    pub detail: String,
}

impl BadRecord {
    pub fn new(
        row: &Row<'_>,
        file: FileKind,
        id_column: Option<usize>,
        detail: String,
    ) -> BadRecord {
        BadRecord {
            source: Source::new(file, row.line),
            id_number: id_column
                .and_then(|column| row.cell(column))
                .map(|id| id_number::normalise(id).into_owned().into_boxed_str())
                .unwrap_or_default(),
            detail,
        }
    }

    pub fn wrong_field_count(row: &Row<'_>, file: FileKind, id_column: Option<usize>) -> BadRecord {
        let detail = format!(
            "the row has {} fields but the header has {}; check for a stray or missing comma or an unclosed quote",
            row.field_count(),
            row.expected_field_count()
        );
        BadRecord::new(row, file, id_column, detail)
    }
}

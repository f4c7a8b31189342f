//! The CSV layer shared by every input file: bytes → decoded text → rows of
//! trimmed cells with their physical line numbers (SPEC §2).

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::domain::{id_number, FileKind, Source};
use crate::error::FatalError;

/// A file's bytes as UTF-8, with what run.json reports about it.
pub struct LoadedFile {
    pub kind: FileKind,
    text: Text,
    /// `utf-8`, or `gb18030` when the file was not UTF-8 (bank exports in
    /// GBK are decoded as GB18030, its superset).
    pub encoding: &'static str,
}

enum Text {
    /// A file mapped into memory: no copy, and the kernel pages it in as the
    /// parser reads. `start` skips a byte-order mark.
    Mapped { map: memmap2::Mmap, start: usize },
    /// A small file read into memory.
    Owned { bytes: Vec<u8>, start: usize },
    /// A GB18030 file decoded to UTF-8, and the bytes as they were.
    Decoded {
        text: Vec<u8>,
        original: Box<dyn AsRef<[u8]> + Send + Sync>,
    },
}

impl LoadedFile {
    /// The text, UTF-8, without a byte-order mark.
    pub fn bytes(&self) -> &[u8] {
        match &self.text {
            Text::Mapped { map, start } => &map[*start..],
            Text::Owned { bytes, start } => &bytes[*start..],
            Text::Decoded { text, .. } => text,
        }
    }

    /// The file as it is on disk.
    fn original(&self) -> &[u8] {
        match &self.text {
            Text::Mapped { map, .. } => map,
            Text::Owned { bytes, .. } => bytes,
            Text::Decoded { original, .. } => (**original).as_ref(),
        }
    }

    /// Gives the pages of `bytes()[start..end]` back to the kernel (a mapped
    /// file only): they are read again from the page cache or disk if
    /// touched, so this bounds memory, not correctness.
    pub fn release(&self, start: usize, end: usize) {
        if let Text::Mapped { start: offset, .. } = &self.text {
            self.release_original(offset + start, offset + end);
        }
    }

    /// As [`LoadedFile::release`], in offsets of the file on disk.
    fn release_original(&self, start: usize, end: usize) {
        if let Text::Mapped { map, .. } = &self.text {
            let page = 4096;
            let from = start / page * page;
            let to = end.min(map.len());
            if to > from {
                // SAFETY: the map is a read-only private mapping of a file
                // nothing writes to during the run. Dropping its pages
                // changes no byte anyone can read: a later access, even a
                // concurrent one (the hash beside the parse), faults the
                // same bytes back in from the page cache or the file.
                let _ = unsafe {
                    map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, to - from)
                };
            }
        }
    }

    /// SHA-256 of the file as it is on disk, in hex. Run beside the parse:
    /// hashing is sequential and would otherwise hold up a large file.
    /// With `release`, hashes block by block and gives each block's pages
    /// back to the kernel behind it (a run larger than memory).
    pub fn sha256(&self, release: bool) -> String {
        if !release {
            return sha256_hex(self.original());
        }
        const BLOCK_BYTES: usize = 16 << 20;
        let original = self.original();
        let mut hasher = Sha256::new();
        for (index, block) in original.chunks(BLOCK_BYTES).enumerate() {
            hasher.update(block);
            let start = index * BLOCK_BYTES;
            self.release_original(start, start + block.len());
        }
        hex(&hasher.finalize())
    }
}

/// True when `bytes` is UTF-8; checked in parallel pieces split at line
/// feeds, which never occur inside a multi-byte character. With `release`,
/// a few pieces at a time, each group's pages given back once checked.
fn is_utf8(file: &LoadedFile, release: bool) -> bool {
    let bytes = file.bytes();
    use rayon::prelude::*;
    const PIECE_BYTES: usize = 4 << 20;
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let target = (start + PIECE_BYTES).min(bytes.len());
        let end = match memchr::memchr(b'\n', &bytes[target..]) {
            Some(offset) => target + offset + 1,
            None => bytes.len(),
        };
        pieces.push(&bytes[start..end]);
        start = end;
    }
    if !release {
        return pieces
            .par_iter()
            .all(|piece| std::str::from_utf8(piece).is_ok());
    }
    let base = bytes.as_ptr() as usize;
    pieces
        .chunks(2 * rayon::current_num_threads())
        .all(|group| {
            let valid = group
                .par_iter()
                .all(|piece| std::str::from_utf8(piece).is_ok());
            if let (Some(first), Some(last)) = (group.first(), group.last()) {
                let start = first.as_ptr() as usize - base;
                let end = last.as_ptr() as usize - base + last.len();
                file.release(start, end);
            }
            valid
        })
}

/// Reads `kind` from `folder`; `Ok(None)` for an optional file that is absent.
pub fn load(folder: &Path, kind: FileKind) -> Result<Option<LoadedFile>, FatalError> {
    load_with(folder, kind, false)
}

/// As [`load`]; with `release`, the pages checked are given back to the
/// kernel (a run larger than memory).
pub fn load_with(
    folder: &Path,
    kind: FileKind,
    release: bool,
) -> Result<Option<LoadedFile>, FatalError> {
    let path = folder.join(kind.file_name());
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return if kind.is_required() {
                Err(FatalError::MissingFile { path })
            } else {
                Ok(None)
            };
        }
        Err(source) => return Err(FatalError::Unreadable { path, source }),
    };
    let unreadable = |source| FatalError::Unreadable {
        path: path.clone(),
        source,
    };
    let length = file.metadata().map_err(unreadable)?.len();
    let mapped = length >= 1 << 16;
    let text = if mapped {
        // SAFETY: the map is read-only and lives as long as the parse. A case
        // folder is an export that nothing writes to during a run; were a
        // file truncated under us the process could fault, which is the
        // trade every mmap-based reader (ripgrep among them) makes for not
        // copying the file.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(unreadable)?;
        Text::Mapped { map, start: 0 }
    } else {
        let mut bytes = Vec::with_capacity(length as usize);
        std::io::Read::read_to_end(&mut { file }, &mut bytes).map_err(unreadable)?;
        Text::Owned { bytes, start: 0 }
    };
    let mut loaded = LoadedFile {
        kind,
        text,
        encoding: "utf-8",
    };
    let bom = if loaded.original().starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    match &mut loaded.text {
        Text::Mapped { start, .. } | Text::Owned { start, .. } => *start = bom,
        Text::Decoded { .. } => unreachable!("nothing is decoded yet"),
    }
    if !is_utf8(&loaded, release) {
        let (decoded, _, _) = encoding_rs::GB18030.decode(loaded.original());
        let text = decoded.into_owned().into_bytes();
        let original: Box<dyn AsRef<[u8]> + Send + Sync> = match loaded.text {
            Text::Mapped { map, .. } => Box::new(map),
            Text::Owned { bytes, .. } => Box::new(bytes),
            Text::Decoded { .. } => unreachable!("nothing is decoded yet"),
        };
        loaded.text = Text::Decoded { text, original };
        loaded.encoding = "gb18030";
    }
    Ok(Some(loaded))
}

/// SHA-256 of `bytes` in lower-case hex, as run.json reports it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        write!(text, "{byte:02x}").expect("writing to a String cannot fail");
    }
    text
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
        debug_assert!(std::str::from_utf8(raw).is_ok());
        // SAFETY: `load` checked the whole text is UTF-8 (or decoded it to
        // UTF-8), and the CSV reader only splits and unescapes at ASCII bytes
        // (`,` `"` CR LF), which never occur inside a multi-byte character,
        // so every field is UTF-8 too. Checking again per cell cost ~5% of
        // the read.
        let text = unsafe { std::str::from_utf8_unchecked(raw) }.trim();
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
    owner: Owner<'_>,
    columns: &[Column],
    visit: impl FnMut(&Row<'_>),
) -> Result<u64, FatalError> {
    let body = read_header(file, columns)?;
    for_each_row_in(
        file,
        owner,
        &body.header,
        body.start,
        file.bytes().len(),
        body.first_line,
        visit,
    )
}

/// A file's header and where its data rows begin.
pub struct Body {
    pub header: Header,
    /// Byte offset of the first data row.
    pub start: usize,
    /// Physical line number of the first data row.
    pub first_line: u64,
}

fn malformed(kind: FileKind, line_offset: u64) -> impl Fn(csv::Error) -> FatalError {
    move |error: csv::Error| FatalError::Malformed {
        file: kind.file_name(),
        line: error.position().map_or(0, |position| position.line()) + line_offset,
        message: error.to_string(),
    }
}

pub fn read_header(file: &LoadedFile, columns: &[Column]) -> Result<Body, FatalError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(file.bytes());
    let mut record = csv::ByteRecord::new();
    if !reader
        .read_byte_record(&mut record)
        .map_err(malformed(file.kind, 0))?
    {
        return Err(FatalError::NoHeader {
            file: file.kind.file_name(),
        });
    }
    let header = resolve_header(file.kind, &record, columns)?;
    let position = reader.position();
    Ok(Body {
        header,
        start: usize::try_from(position.byte()).expect("a mapped file fits in memory"),
        first_line: position.line(),
    })
}

/// Visits the rows in `file.bytes()[start..end]`, whose first physical line
/// is `first_line`. Returns the number of data rows visited.
/// In a partitioned run, the partition reading and the wanted-column index
/// of the id_number: rows of other partitions are passed over uncounted.
pub type Owner<'p> = Option<(&'p super::Partition, usize)>;

pub fn for_each_row_in(
    file: &LoadedFile,
    owner: Owner<'_>,
    header: &Header,
    start: usize,
    end: usize,
    first_line: u64,
    mut visit: impl FnMut(&Row<'_>),
) -> Result<u64, FatalError> {
    let line_offset = first_line - 1;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&file.bytes()[start..end]);
    let mut record = csv::ByteRecord::new();
    let mut rows: u64 = 0;
    while reader
        .read_byte_record(&mut record)
        .map_err(malformed(file.kind, line_offset))?
    {
        let line = record.position().map_or(0, |position| position.line()) + line_offset;
        let row = Row {
            record: &record,
            header,
            line: u32::try_from(line).unwrap_or(u32::MAX),
        };
        if row.is_blank() {
            continue;
        }
        if let Some((partition, id_column)) = owner {
            if !partition.owns(row.cell(id_column)) {
                continue;
            }
        }
        rows += 1;
        visit(&row);
    }
    Ok(rows)
}

/// A run of whole records: `bytes[start..end]`, first line `first_line`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub start: usize,
    pub end: usize,
    pub first_line: u64,
}

/// Splits `bytes[start..]` into chunks of about `target` bytes that end at
/// record boundaries, so each can be parsed on its own thread. A newline
/// inside a quoted field is not a boundary; quotes are read as the CSV
/// reader reads them (a quote opens a field only at its start).
pub fn split_records(
    bytes: &[u8],
    start: usize,
    first_line: u64,
    target: usize,
    max_lines: u64,
) -> Vec<Chunk> {
    split_records_then(bytes, start, first_line, target, max_lines, |_| {})
}

/// As [`split_records`], calling `closed` with each chunk as soon as its
/// end is known (a run larger than memory gives its pages back there).
pub fn split_records_then(
    bytes: &[u8],
    start: usize,
    first_line: u64,
    target: usize,
    max_lines: u64,
    mut closed: impl FnMut(&Chunk),
) -> Vec<Chunk> {
    let target = target.max(1);
    let mut chunks = Vec::new();
    let mut chunk_start = start;
    let mut chunk_line = first_line;
    let mut line = first_line;
    let mut in_quotes = false;
    let mut position = start;
    while let Some(found) = memchr::memchr2(b'"', b'\n', &bytes[position..]) {
        let at = position + found;
        if bytes[at] == b'\n' {
            line += 1;
            let full = at + 1 - chunk_start >= target || line - chunk_line >= max_lines;
            if !in_quotes && full && at + 1 < bytes.len() {
                let chunk = Chunk {
                    start: chunk_start,
                    end: at + 1,
                    first_line: chunk_line,
                };
                closed(&chunk);
                chunks.push(chunk);
                chunk_start = at + 1;
                chunk_line = line;
            }
            position = at + 1;
        } else if in_quotes {
            if bytes.get(at + 1) == Some(&b'"') {
                position = at + 2;
            } else {
                in_quotes = false;
                position = at + 1;
            }
        } else {
            let field_start = at == chunk_start || matches!(bytes[at - 1], b',' | b'\n' | b'\r');
            in_quotes = field_start;
            position = at + 1;
        }
    }
    if chunk_start < bytes.len() || chunks.is_empty() {
        chunks.push(Chunk {
            start: chunk_start,
            end: bytes.len(),
            first_line: chunk_line,
        });
    }
    chunks
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_end_at_record_boundaries_outside_quotes() {
        let text = b"a,b\n1,\"x\ny\"\n2,z\n3,\"q\"\"\n\"\n4,w\n";
        let chunks = split_records(text, 4, 2, 1, u64::MAX);
        let pieces: Vec<&[u8]> = chunks
            .iter()
            .map(|chunk| &text[chunk.start..chunk.end])
            .collect();
        assert_eq!(
            pieces,
            [&b"1,\"x\ny\"\n"[..], b"2,z\n", b"3,\"q\"\"\n\"\n", b"4,w\n"]
        );
        let lines: Vec<u64> = chunks.iter().map(|chunk| chunk.first_line).collect();
        assert_eq!(lines, [2, 4, 5, 7]);
        // A quote inside an unquoted field is a literal: it opens nothing.
        let literal = b"h\nab\"c\nd\n";
        let chunks = split_records(literal, 2, 2, 1, u64::MAX);
        assert_eq!(chunks.len(), 2);
        // A line limit splits too: at most two lines a chunk here.
        assert_eq!(split_records(b"h\na\nb\nc\nd\n", 2, 2, 1 << 20, 2).len(), 2);
        // One big chunk when the target is large; an empty body is one empty chunk.
        assert_eq!(split_records(text, 4, 2, 1 << 20, u64::MAX).len(), 1);
        assert_eq!(
            split_records(b"h\n", 2, 2, 8, u64::MAX),
            [Chunk {
                start: 2,
                end: 2,
                first_line: 2
            }]
        );
    }
}

//! A case file's bytes as UTF-8 text: mapped or read, its encoding decided
//! (UTF-8, GB18030, UTF-16 with a byte-order mark), its separator (comma,
//! or tab for Excel's "Unicode text"), and its SHA-256.

use sha2::{Digest, Sha256};

use super::folder::{CaseFolder, Content, Fingerprint};
use crate::domain::{FileId, FileKind, Format};
use crate::error::{FatalError, Location};

/// A file's bytes as UTF-8, with what run.json reports about it.
pub struct LoadedFile {
    pub kind: FileKind,
    /// Its number among the case's files.
    pub id: FileId,
    /// The name evidence cites: its path in the case folder as found.
    pub name: Box<str>,
    text: Text,
    /// `utf-8`, `gb18030` (bank exports in GBK are decoded as GB18030, its
    /// superset), `utf-16le` or `utf-16be`.
    pub encoding: &'static str,
    /// The text is UTF-8 but for a few lines: each row must be checked,
    /// and one that is not UTF-8 is a BAD_RECORD.
    pub check_rows: bool,
    /// Decoding (GB18030, UTF-16) met bytes that are not text in the
    /// file's encoding and put U+FFFD in their place: a row holding one is
    /// a BAD_RECORD, never a made-up name or id.
    pub undecodable: bool,
    /// `,` or `\t`.
    pub delimiter: u8,
    /// Size and time of last change when the file was opened.
    pub fingerprint: Fingerprint,
    /// CSV, a bank's .txt, or a workbook.
    pub format: Format,
    /// A workbook's sheets (`bytes()` is then empty).
    pub workbook: Option<Box<super::workbook::Workbook>>,
    /// What columns.toml says of this kind's columns.
    pub settings: std::sync::Arc<super::columns::ColumnsConfig>,
    /// The headers found: each one's sheet, row and columns (set when
    /// they are read; a workbook may have several sheets read).
    pub header_found: std::sync::OnceLock<Vec<HeaderFound>>,
    /// `bytes()` in pieces of a few MiB, each ending after a line end: each
    /// piece's end and how many line ends it holds (`\r\n` is one), counted
    /// when the text was checked — so a reader can cut the text at piece
    /// ends and know each cut's line. Empty when the text was decoded.
    pub line_ends: Vec<(usize, u64)>,
}

/// Where a file's header was found and what it named.
#[derive(Clone, Debug, Default)]
pub struct HeaderFound {
    pub sheet: Option<Box<str>>,
    /// The sheet's place in the workbook (0 for a text file).
    pub sheet_index: u16,
    pub line: u64,
    /// Merged cells over the data rows and what was made of them.
    pub merges: Vec<Box<str>>,
    /// (The first sheet read only.) The hidden sheets that hold the
    /// columns and were not read.
    pub hidden_not_read: Vec<Box<str>>,
    /// (SPEC column, header text or `= value`).
    pub columns: Vec<(&'static str, Box<str>)>,
}

impl LoadedFile {
    /// The name evidence gives the file: `roster.csv`, `payouts/2024-07.xlsx`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What columns.toml says of this file's columns.
    pub fn settings(&self) -> &[super::columns::Setting] {
        self.settings.of(self.kind)
    }
}

enum Text {
    /// A file mapped into memory: no copy, and the kernel pages it in as the
    /// parser reads. `start` skips a byte-order mark.
    Mapped { map: memmap2::Mmap, start: usize },
    /// A small file read into memory.
    Owned { bytes: Vec<u8>, start: usize },
    /// A file of a case given as byte buffers.
    Shared {
        bytes: std::sync::Arc<[u8]>,
        start: usize,
    },
    /// A file decoded to UTF-8, and the bytes as they were.
    Decoded {
        text: Vec<u8>,
        original: Box<dyn AsRef<[u8]> + Send + Sync>,
    },
}

impl LoadedFile {
    /// The text, UTF-8 (but, when `check_rows`, for some rows), without a
    /// byte-order mark.
    pub fn bytes(&self) -> &[u8] {
        if self.workbook.is_some() {
            return &[];
        }
        match &self.text {
            Text::Mapped { map, start } => &map[*start..],
            Text::Owned { bytes, start } => &bytes[*start..],
            Text::Shared { bytes, start } => &bytes[*start..],
            Text::Decoded { text, .. } => text,
        }
    }

    /// The file as it is on disk.
    fn original(&self) -> &[u8] {
        match &self.text {
            Text::Mapped { map, .. } => map,
            Text::Owned { bytes, .. } => bytes,
            Text::Shared { bytes, .. } => bytes,
            Text::Decoded { original, .. } => (**original).as_ref(),
        }
    }

    /// The separator's name for run.json when it is not the comma.
    pub fn delimiter_name(&self) -> Option<&'static str> {
        (self.delimiter == b'\t').then_some("tab")
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

/// Largest piece a text is checked in (see [`pieces`]).
pub const MAX_PIECE_BYTES: usize = 4 << 20;

/// `bytes` in pieces of about `piece_bytes` split after line ends (LF, CR or
/// CRLF, never between the two), which never occur inside a UTF-8 or
/// GB18030 character.
fn pieces(bytes: &[u8], piece_bytes: usize) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let target = (start + piece_bytes.max(1)).min(bytes.len());
        let end = match memchr::memchr2(b'\n', b'\r', &bytes[target..]) {
            Some(offset) => {
                let at = target + offset;
                if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') {
                    at + 2
                } else {
                    at + 1
                }
            }
            None => bytes.len(),
        };
        pieces.push(&bytes[start..end]);
        start = end;
    }
    pieces
}

/// Runs `check` over the pieces of `file.bytes()` in parallel; returns
/// each piece's end and result, in order. With `release`, a few pieces at
/// a time, each group's pages given back once checked.
fn over_pieces<T: Send>(
    file: &LoadedFile,
    release: bool,
    piece_bytes: usize,
    check: impl Fn(&[u8]) -> T + Sync,
) -> Vec<(usize, T)> {
    use rayon::prelude::*;
    let bytes = file.bytes();
    let base = bytes.as_ptr() as usize;
    let end_of = |piece: &[u8]| piece.as_ptr() as usize - base + piece.len();
    let pieces = pieces(bytes, piece_bytes);
    if !release {
        return pieces
            .par_iter()
            .map(|piece| (end_of(piece), check(piece)))
            .collect();
    }
    let mut results = Vec::with_capacity(pieces.len());
    for group in pieces.chunks(2 * rayon::current_num_threads()) {
        results.par_extend(group.par_iter().map(|piece| (end_of(piece), check(piece))));
        if let (Some(first), Some(last)) = (group.first(), group.last()) {
            file.release(first.as_ptr() as usize - base, end_of(last));
        }
    }
    results
}

/// Line ends in `piece` (LF, CR, or CRLF as one), which does not end
/// between a CR and its LF.
fn line_ends(piece: &[u8]) -> u64 {
    // memchr counts a byte with vector instructions.
    let feeds = memchr::memchr_iter(b'\n', piece).count();
    if memchr::memchr(b'\r', piece).is_none() {
        return feeds as u64;
    }
    let returns = memchr::memchr_iter(b'\r', piece).count();
    let pairs = memchr::memmem::find_iter(piece, b"\r\n").count();
    (feeds + returns - pairs) as u64
}

/// Lines (ended by LF, CR or CRLF) that hold a byte above 0x7F: how many
/// are UTF-8, and how many are not.
fn count_lines(piece: &[u8]) -> (u64, u64) {
    let (mut utf8, mut not_utf8) = (0, 0);
    for line in piece.split(|&byte| byte == b'\n' || byte == b'\r') {
        if line.is_ascii() {
            continue;
        }
        if std::str::from_utf8(line).is_ok() {
            utf8 += 1;
        } else {
            not_utf8 += 1;
        }
    }
    (utf8, not_utf8)
}

/// How a text that is not all UTF-8 is read.
#[derive(Debug, PartialEq, Eq)]
enum Reading {
    /// UTF-8; the rows that are not become BAD_RECORDs.
    Utf8WithBadRows,
    Gb18030,
}

/// The encoding rule (docs/spec-readings.md): of the lines holding a byte
/// above 0x7F, when more are UTF-8 than not, the file is UTF-8 with a few
/// bad rows (a GBK row pasted into a UTF-8 file); else it is GB18030.
fn decide(utf8_lines: u64, other_lines: u64) -> Reading {
    if utf8_lines > other_lines {
        Reading::Utf8WithBadRows
    } else {
        Reading::Gb18030
    }
}

/// The separator: tab when the first line has a tab and no comma (Excel's
/// "Unicode text"), else comma.
fn delimiter_of(text: &[u8]) -> u8 {
    let start = text
        .iter()
        .position(|&byte| byte != b'\n' && byte != b'\r')
        .unwrap_or(text.len());
    let window = &text[start..text.len().min(start + super::records::MAX_HEADER_BYTES)];
    let line = memchr::memchr2(b'\n', b'\r', window).map_or(window, |end| &window[..end]);
    if memchr::memchr(b'\t', line).is_some() && memchr::memchr(b',', line).is_none() {
        b'\t'
    } else {
        b','
    }
}

/// Reads `kind` from `folder`; `Ok(None)` for an optional file that is
/// absent. With `release`, the pages checked are given back to the kernel
/// (a run larger than memory). The text is checked in pieces of about
/// `piece_bytes` (at most [`MAX_PIECE_BYTES`]), whose ends a reader may
/// cut it at ([`LoadedFile::line_ends`]).
pub fn load(
    folder: &CaseFolder,
    id: FileId,
    release: bool,
    piece_bytes: usize,
) -> Result<LoadedFile, FatalError> {
    let piece_bytes = piece_bytes.clamp(1, MAX_PIECE_BYTES);
    let opened = folder.open_file(id)?;
    let listed = folder.file(id);
    let (kind, format) = (listed.kind, listed.format);
    if format.is_spreadsheet() {
        return load_workbook(folder, id, opened);
    }
    let unreadable = |source| FatalError::Unreadable {
        location: Location::path(&opened.path),
        source,
    };
    let length = opened.fingerprint.size;
    let text = match opened.content {
        Content::Memory(bytes) => Text::Shared { bytes, start: 0 },
        Content::Disk(file) if length >= 1 << 16 => {
            // SAFETY: the map is read-only and lives as long as the parse. A case
            // folder is an export that nothing writes to during a run; were a
            // file truncated under us the process could fault, which is the
            // trade every mmap-based reader (ripgrep among them) makes for not
            // copying the file.
            let map = unsafe { memmap2::Mmap::map(&file) }.map_err(unreadable)?;
            Text::Mapped { map, start: 0 }
        }
        Content::Disk(file) => {
            let mut bytes = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
            std::io::Read::read_to_end(&mut { file }, &mut bytes).map_err(unreadable)?;
            Text::Owned { bytes, start: 0 }
        }
    };
    let loaded = LoadedFile {
        kind,
        id,
        name: listed.name.as_str().into(),
        text,
        encoding: "utf-8",
        check_rows: false,
        undecodable: false,
        delimiter: b',',
        fingerprint: opened.fingerprint,
        format,
        workbook: None,
        settings: folder.columns().clone(),
        header_found: std::sync::OnceLock::new(),
        line_ends: Vec::new(),
    };
    Ok(decode(loaded, release, piece_bytes))
}

/// Decides a text file's encoding and separator (and checks or decodes it
/// to UTF-8, counting its lines).
fn decode(mut loaded: LoadedFile, release: bool, piece_bytes: usize) -> LoadedFile {
    let original = loaded.original();
    let utf16 = if original.starts_with(b"\xFF\xFE") {
        Some((encoding_rs::UTF_16LE, "utf-16le"))
    } else if original.starts_with(b"\xFE\xFF") {
        Some((encoding_rs::UTF_16BE, "utf-16be"))
    } else {
        None
    };
    if let Some((encoding, name)) = utf16 {
        let (decoded, undecodable) = encoding.decode_without_bom_handling(&original[2..]);
        let text = decoded.into_owned().into_bytes();
        loaded.undecodable = undecodable;
        loaded.text = Text::Decoded {
            text,
            original: into_original(loaded.text),
        };
        loaded.encoding = name;
    } else {
        let bom = original.starts_with(b"\xEF\xBB\xBF");
        if bom {
            match &mut loaded.text {
                Text::Mapped { start, .. }
                | Text::Owned { start, .. }
                | Text::Shared { start, .. } => *start = 3,
                Text::Decoded { .. } => unreachable!("nothing is decoded yet"),
            }
        }
        // One pass: each piece checked and its line ends counted.
        let checked = over_pieces(&loaded, release, piece_bytes, |piece| {
            (std::str::from_utf8(piece).is_ok(), line_ends(piece))
        });
        let valid = checked.iter().all(|(_, (valid, _))| *valid);
        loaded.line_ends = checked
            .into_iter()
            .map(|(end, (_, lines))| (end, lines))
            .collect();
        if !valid {
            let (utf8, other) = over_pieces(&loaded, release, piece_bytes, count_lines)
                .into_iter()
                .fold((0, 0), |total, (_, (utf8, other))| {
                    (total.0 + utf8, total.1 + other)
                });
            // A byte-order mark says UTF-8 whatever the lines say.
            if bom || decide(utf8, other) == Reading::Utf8WithBadRows {
                loaded.check_rows = true;
            } else {
                let (decoded, _, undecodable) = encoding_rs::GB18030.decode(loaded.original());
                let text = decoded.into_owned().into_bytes();
                loaded.undecodable = undecodable;
                loaded.text = Text::Decoded {
                    text,
                    original: into_original(loaded.text),
                };
                loaded.encoding = "gb18030";
                loaded.line_ends = Vec::new();
            }
        }
    }
    loaded.delimiter = delimiter_of(loaded.bytes());
    loaded
}

/// A file from outside the case folder (an earlier rectification register)
/// read as a case file is read: a workbook taken apart, a text decoded
/// (UTF-8 with or without a byte-order mark, GBK, UTF-16) whatever its
/// line ends. `name` is what messages call it.
pub fn load_bytes(name: &str, format: Format, bytes: Vec<u8>) -> Result<LoadedFile, FatalError> {
    let fingerprint = Fingerprint {
        size: bytes.len() as u64,
        modified: None,
    };
    let mut loaded = LoadedFile {
        kind: FileKind::Policy,
        id: FileId(u16::MAX),
        name: name.into(),
        text: Text::Owned { bytes, start: 0 },
        encoding: "utf-8",
        check_rows: false,
        undecodable: false,
        delimiter: b',',
        fingerprint,
        format,
        workbook: None,
        settings: std::sync::Arc::default(),
        header_found: std::sync::OnceLock::new(),
        line_ends: Vec::new(),
    };
    if format.is_spreadsheet() {
        let workbook = super::workbook::read(loaded.original(), format)
            .map_err(|error| workbook_error(error, name, Location::file(name)))?;
        loaded.encoding = format.extension();
        loaded.workbook = Some(Box::new(workbook));
        return Ok(loaded);
    }
    Ok(decode(loaded, false, MAX_PIECE_BYTES))
}

/// Reads a workbook whole and takes its sheets apart.
fn load_workbook(
    folder: &CaseFolder,
    id: FileId,
    opened: super::folder::OpenFile,
) -> Result<LoadedFile, FatalError> {
    let listed = folder.file(id);
    let (kind, format, name) = (listed.kind, listed.format, listed.name.as_str());
    if opened.fingerprint.size > super::workbook::MAX_WORKBOOK_BYTES {
        return Err(FatalError::SheetTooLarge {
            location: Location::path(&opened.path),
            what: format!(
                "the workbook is {} bytes, more than the {} a case file may have; save the sheet as CSV UTF-8 instead",
                opened.fingerprint.size,
                super::workbook::MAX_WORKBOOK_BYTES
            ),
        });
    }
    let path = opened.path.clone();
    let fingerprint = opened.fingerprint.clone();
    let bytes = opened.read_all()?;
    let workbook = super::workbook::read(&bytes, format)
        .map_err(|error| workbook_error(error, name, Location::path(&path)))?;
    Ok(LoadedFile {
        kind,
        id,
        name: name.into(),
        text: Text::Owned { bytes, start: 0 },
        encoding: format.extension(),
        check_rows: false,
        undecodable: false,
        delimiter: b',',
        fingerprint,
        format,
        workbook: Some(Box::new(workbook)),
        settings: folder.columns().clone(),
        header_found: std::sync::OnceLock::new(),
        line_ends: Vec::new(),
    })
}

/// The fatal error of a workbook that cannot be read: `location` names
/// the file, `name` its sheets' places.
fn workbook_error(
    error: super::workbook::WorkbookError,
    name: &str,
    location: Location,
) -> FatalError {
    use super::workbook::WorkbookError;
    match error {
        WorkbookError::Unreadable(message) => FatalError::Workbook { location, message },
        WorkbookError::Refused(message) => FatalError::NotAWorkbook { location, message },
        WorkbookError::PartTooLarge { part, what } => FatalError::SheetTooLarge {
            location,
            what: format!("part {part} of the workbook: {what}"),
        },
        WorkbookError::TooLarge {
            sheet,
            row,
            column,
            what,
        } => FatalError::SheetTooLarge {
            location: Location::cell(sheet_location(name, &sheet), row, column),
            what,
        },
        WorkbookError::Damaged {
            sheet,
            row,
            column,
            what,
        } => FatalError::WorkbookDamaged {
            location: Location::cell(sheet_location(name, &sheet), row, column),
            what,
        },
    }
}

/// How a fatal error names a sheet: `roster.xlsx (sheet 花名册)`.
pub fn sheet_location(file: &str, sheet: &str) -> String {
    format!("{file} (sheet {})", crate::error::excerpt(sheet))
}

fn into_original(text: Text) -> Box<dyn AsRef<[u8]> + Send + Sync> {
    match text {
        Text::Mapped { map, .. } => Box::new(map),
        Text::Owned { bytes, .. } => Box::new(bytes),
        Text::Shared { bytes, .. } => Box::new(bytes),
        Text::Decoded { original, .. } => original,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(bytes: &[u8]) -> LoadedFile {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("payouts.csv"), bytes).expect("write");
        let folder = CaseFolder::open(dir.path()).expect("lists");
        let id = folder.first_of(FileKind::Payouts).expect("present");
        load(&folder, id, false, MAX_PIECE_BYTES).expect("loads")
    }

    fn gbk(text: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(text).0.into_owned()
    }

    #[test]
    fn one_gbk_row_in_a_utf8_file_keeps_the_file_utf8() {
        let mut bytes = "id,name\n1,张三\n2,李四\n".as_bytes().to_vec();
        bytes.extend(gbk("3,王五\n"));
        bytes.extend("4,赵六\n".as_bytes());
        let file = load_text(&bytes);
        assert_eq!(file.encoding, "utf-8");
        assert!(file.check_rows);
        assert!(std::str::from_utf8(file.bytes()).is_err());
    }

    #[test]
    fn a_gbk_file_is_gb18030_even_when_a_line_happens_to_be_utf8() {
        // GBK 小 is D0 A1, which is also UTF-8 (U+0421).
        let mut bytes = gbk("id,name\n1,张三\n2,李四\n3,小\n");
        bytes.extend(b"4,plain\n");
        let file = load_text(&bytes);
        assert_eq!(file.encoding, "gb18030");
        assert!(!file.check_rows);
        assert_eq!(
            std::str::from_utf8(file.bytes()),
            Ok("id,name\n1,张三\n2,李四\n3,小\n4,plain\n")
        );
        assert_eq!(decide(1, 1), Reading::Gb18030);
        assert_eq!(decide(2, 1), Reading::Utf8WithBadRows);
    }

    #[test]
    fn utf16_with_a_byte_order_mark_is_decoded_and_named() {
        let text = "id\tname\r\n1\t张三\r\n";
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for unit in text.encode_utf16() {
            le.extend(unit.to_le_bytes());
            be.extend(unit.to_be_bytes());
        }
        for (bytes, name) in [(le, "utf-16le"), (be, "utf-16be")] {
            let file = load_text(&bytes);
            assert_eq!(file.encoding, name);
            assert_eq!(file.bytes(), text.as_bytes());
            assert_eq!(file.delimiter, b'\t');
            assert_eq!(file.delimiter_name(), Some("tab"));
        }
    }

    #[test]
    fn a_header_with_tabs_and_no_comma_is_tab_separated() {
        assert_eq!(delimiter_of(b"a\tb\tc\n1,2\t3\n"), b'\t');
        assert_eq!(delimiter_of(b"\r\n\na\tb\r\n"), b'\t');
        assert_eq!(delimiter_of(b"a,b\tc\n"), b',');
        assert_eq!(delimiter_of(b"a,b\n1\t2\n"), b',');
        assert_eq!(delimiter_of(b""), b',');
        assert_eq!(load_text(b"a,b\n").delimiter_name(), None);
    }
}

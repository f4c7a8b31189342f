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
    /// What regions.csv says (the roster reads region names by it).
    pub regions: std::sync::Arc<crate::domain::regions::Regions>,
    /// The headers found: each one's sheet, row and columns (set when
    /// they are read; a workbook may have several sheets read).
    pub header_found: std::sync::OnceLock<Vec<HeaderFound>>,
    /// `bytes()` in pieces of a few MiB, each ending after a line end: each
    /// piece's end and how many line ends it holds (`\r\n` is one), counted
    /// when the text was checked — so a reader can cut the text at piece
    /// ends and know each cut's line. Empty when the text was decoded.
    pub line_ends: Vec<(usize, u64)>,
    /// A range of a file read alone ([`load_range`]): the line its first
    /// row is on (its header's lines are the file's first).
    pub rows_first_line: Option<u64>,
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
    /// parser reads. `start` skips a byte-order mark. `utf8`: every byte
    /// from `start` on was checked to be UTF-8 (see [`LoadedFile::text`]).
    Mapped {
        map: Mapping,
        start: usize,
        utf8: bool,
    },
    /// A small file read into memory.
    Owned { bytes: Vec<u8>, start: usize },
    /// A small file read into memory and checked to be UTF-8 from `start`.
    Checked { text: String, start: usize },
    /// A file of a case given as byte buffers (not read from disk).
    /// `utf8`: every byte from `start` on was checked to be UTF-8.
    Shared {
        bytes: std::sync::Arc<[u8]>,
        start: usize,
        utf8: bool,
    },
    /// A file decoded to UTF-8, and the bytes as they were.
    Decoded {
        text: String,
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
            Text::Mapped { map, start, .. } => &map[*start..],
            Text::Owned { bytes, start } => &bytes[*start..],
            Text::Checked { text, start } => &text.as_bytes()[*start..],
            Text::Shared { bytes, start, .. } => &bytes[*start..],
            Text::Decoded { text, .. } => text.as_bytes(),
        }
    }

    /// [`LoadedFile::bytes`] as text, when all of it is UTF-8 (not
    /// `check_rows`, not a workbook): rows and cells are then slices of
    /// it, each slice's ends checked to fall between characters — never
    /// decoded again.
    pub fn text(&self) -> Option<&str> {
        if self.workbook.is_some() {
            return None;
        }
        match &self.text {
            Text::Mapped {
                map,
                start,
                utf8: true,
            } => {
                let bytes = &map[*start..];
                debug_assert!(bytes.len() > 1 << 20 || std::str::from_utf8(bytes).is_ok());
                // SAFETY: `utf8` is set only when every piece of these
                // bytes passed `str::from_utf8` (`load`); the pieces end
                // after a line end, so they join into UTF-8 too. Checking
                // again here would read the whole file a second time,
                // bringing back the pages already given back to the
                // kernel. That the bytes are still the ones checked rests
                // on the mapping's contract (see `load`): no other program
                // writes the file during the run.
                Some(unsafe { std::str::from_utf8_unchecked(bytes) })
            }
            Text::Shared {
                bytes,
                start,
                utf8: true,
            } => {
                let bytes = &bytes[*start..];
                debug_assert!(bytes.len() > 1 << 20 || std::str::from_utf8(bytes).is_ok());
                // SAFETY: `utf8` is set only when every piece of these
                // bytes passed `str::from_utf8` (`decode`), and the pieces
                // end after a line end, so they join into UTF-8 too; the
                // bytes behind an `Arc<[u8]>` cannot change.
                Some(unsafe { std::str::from_utf8_unchecked(bytes) })
            }
            Text::Mapped { utf8: false, .. }
            | Text::Shared { utf8: false, .. }
            | Text::Owned { .. } => None,
            Text::Checked { text, start } => Some(&text[*start..]),
            Text::Decoded { text, .. } => Some(text),
        }
    }

    /// Where [`LoadedFile::bytes`] begins in the file as on disk: past a
    /// UTF-8 byte-order mark (0 for a decoded text or a workbook).
    pub fn text_offset(&self) -> usize {
        match &self.text {
            Text::Mapped { start, .. }
            | Text::Owned { start, .. }
            | Text::Checked { start, .. }
            | Text::Shared { start, .. } => *start,
            Text::Decoded { .. } => 0,
        }
    }

    /// The file as it is on disk.
    pub(crate) fn original(&self) -> &[u8] {
        match &self.text {
            Text::Mapped { map, .. } => map,
            Text::Owned { bytes, .. } => bytes,
            Text::Checked { text, .. } => text.as_bytes(),
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

    /// As [`LoadedFile::release`], in offsets of the file on disk. Only
    /// unix systems are told: elsewhere (the page's WebAssembly has no
    /// mapped files at all) the pages stay until the map goes.
    #[cfg(not(unix))]
    fn release_original(&self, _start: usize, _end: usize) {}

    /// As [`LoadedFile::release`], in offsets of the file on disk.
    #[cfg(unix)]
    fn release_original(&self, start: usize, end: usize) {
        if let Text::Mapped { map, .. } = &self.text {
            let page = 4096;
            let from = start / page * page;
            let to = end.min(map.len());
            if to > from {
                // SAFETY: `from..to` lies inside the map. The map is a
                // read-only *shared* mapping of the file (memmap2's
                // `Mmap::map` maps MAP_SHARED), so MADV_DONTNEED drops
                // only this process's page-table entries: the pages stay
                // in the page cache, and a later access — even a
                // concurrent one (the hash beside the parse) — faults the
                // same bytes back in from it or from the file. (On a
                // private mapping with copied pages it would discard
                // them; this one has none: it is read-only.) Nothing
                // any reference points to changes.
                let _ = unsafe {
                    map.map.unchecked_advise_range(
                        memmap2::UncheckedAdvice::DontNeed,
                        from,
                        to - from,
                    )
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

/// A mapped file, named in [`MAPPINGS`] for as long as it is mapped, so
/// that a SIGBUS while reading it can say which file was cut short.
struct Mapping {
    map: memmap2::Mmap,
    slot: Option<usize>,
}

impl Mapping {
    fn new(map: memmap2::Mmap, path: &std::path::Path) -> Mapping {
        let slot = register_mapping(
            map.as_ptr() as usize,
            map.len(),
            path.as_os_str().as_encoded_bytes(),
        );
        Mapping { map, slot }
    }
}

impl std::ops::Deref for Mapping {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.map
    }
}

impl AsRef<[u8]> for Mapping {
    fn as_ref(&self) -> &[u8] {
        &self.map
    }
}

impl Drop for Mapping {
    /// The name goes before the map: nothing reads a map being dropped.
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            MAPPINGS[slot].release();
        }
    }
}

/// Most files named as mapped at once: a case has eight kinds of file and
/// reads them once each at a time (several Spark tasks in one process may
/// hold a few more). A mapping past this is not named: a SIGBUS there ends
/// the run with the message that names no file.
const MAX_NAMED_MAPPINGS: usize = 64;

/// Bytes of a mapped file's path kept for the message; a longer path is
/// cut (the file name is at its end, so the end is kept).
const MAPPING_NAME_BYTES: usize = 480;

/// One mapped file: where it is and its path. Every field is atomic, so
/// the SIGBUS handler reads it without a lock and without undefined
/// behaviour even while another thread fills or frees a slot.
struct MappingSlot {
    /// 0: free; [`CLAIMED`]: being filled or freed; else the map's start.
    start: std::sync::atomic::AtomicUsize,
    length_bytes: std::sync::atomic::AtomicUsize,
    name_bytes: std::sync::atomic::AtomicUsize,
    name: [std::sync::atomic::AtomicU8; MAPPING_NAME_BYTES],
}

/// A slot's start while its owner fills or frees it.
const CLAIMED: usize = usize::MAX;

impl MappingSlot {
    #[allow(clippy::declare_interior_mutable_const)]
    const FREE: MappingSlot = MappingSlot {
        start: std::sync::atomic::AtomicUsize::new(0),
        length_bytes: std::sync::atomic::AtomicUsize::new(0),
        name_bytes: std::sync::atomic::AtomicUsize::new(0),
        name: [const { std::sync::atomic::AtomicU8::new(0) }; MAPPING_NAME_BYTES],
    };

    fn release(&self) {
        use std::sync::atomic::Ordering;
        self.start.store(CLAIMED, Ordering::Release);
        self.length_bytes.store(0, Ordering::Relaxed);
        self.start.store(0, Ordering::Release);
    }
}

/// The files mapped now, for [`mapped_file_name`].
static MAPPINGS: [MappingSlot; MAX_NAMED_MAPPINGS] = [MappingSlot::FREE; MAX_NAMED_MAPPINGS];

/// Names the map at `start` (`length_bytes` long) as `name`; its slot, or
/// `None` when every slot is taken (or the map is empty).
fn register_mapping(start: usize, length_bytes: usize, name: &[u8]) -> Option<usize> {
    use std::sync::atomic::Ordering;
    if start == 0 || start == CLAIMED || length_bytes == 0 {
        return None;
    }
    let kept = &name[name.len().saturating_sub(MAPPING_NAME_BYTES)..];
    for (index, slot) in MAPPINGS.iter().enumerate() {
        if slot
            .start
            .compare_exchange(0, CLAIMED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            continue;
        }
        for (cell, &byte) in slot.name.iter().zip(kept) {
            cell.store(byte, Ordering::Relaxed);
        }
        slot.name_bytes.store(kept.len(), Ordering::Relaxed);
        slot.length_bytes.store(length_bytes, Ordering::Relaxed);
        slot.start.store(start, Ordering::Release);
        return Some(index);
    }
    None
}

/// Copies into `buffer` the path of the mapped file that holds `address`
/// and returns its length (0: no named mapping holds it). Async-signal-
/// safe: no lock, no allocation, only atomic loads — main.rs's SIGBUS
/// handler calls it with the faulting address.
pub fn mapped_file_name(address: usize, buffer: &mut [u8]) -> usize {
    use std::sync::atomic::Ordering;
    for slot in &MAPPINGS {
        let start = slot.start.load(Ordering::Acquire);
        if start == 0 || start == CLAIMED {
            continue;
        }
        let length_bytes = slot.length_bytes.load(Ordering::Relaxed);
        if address < start || address - start >= length_bytes {
            continue;
        }
        let name_bytes = slot
            .name_bytes
            .load(Ordering::Relaxed)
            .min(MAPPING_NAME_BYTES)
            .min(buffer.len());
        for (out, cell) in buffer.iter_mut().zip(&slot.name[..name_bytes]) {
            *out = cell.load(Ordering::Relaxed);
        }
        return name_bytes;
    }
    0
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

/// The separator: tab when the first line that has a tab or a comma has a
/// tab and no comma (Excel's "Unicode text"), else comma. Lines with
/// neither — a bank export's title above its header — are passed over, up
/// to the first [`HEADER_SEARCH_ROWS`](super::workbook::HEADER_SEARCH_ROWS).
fn delimiter_of(text: &[u8]) -> u8 {
    let mut rest = text;
    for _ in 0..super::workbook::HEADER_SEARCH_ROWS {
        let start = rest
            .iter()
            .position(|&byte| byte != b'\n' && byte != b'\r')
            .unwrap_or(rest.len());
        let window = &rest[start..rest.len().min(start + super::records::MAX_HEADER_BYTES)];
        let end = memchr::memchr2(b'\n', b'\r', window);
        let line = end.map_or(window, |end| &window[..end]);
        let tab = memchr::memchr(b'\t', line).is_some();
        let comma = memchr::memchr(b',', line).is_some();
        if tab || comma {
            return if tab && !comma { b'\t' } else { b',' };
        }
        match end {
            Some(end) => rest = &rest[start + end..],
            None => break,
        }
    }
    b','
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
        Content::Memory(bytes) => Text::Shared {
            bytes,
            start: 0,
            utf8: false,
        },
        Content::Disk(file) if length >= 1 << 16 => {
            // SAFETY: `Mmap::map` makes a read-only MAP_SHARED mapping: what
            // another program writes to the file while it is mapped shows
            // through at once, under the `&[u8]` this hands out, which Rust
            // assumes cannot change. The contract that makes this sound is the
            // one README states: nothing writes to the case folder during a
            // run (an export is a finished file). If something does anyway:
            // a file cut short takes the mapped pages past its new end away,
            // and touching them raises SIGBUS, which main.rs turns into exit 2
            // naming the file (`register_mapping` below), never into a read
            // of other memory; a change that keeps the length leaves every
            // slice in bounds (lengths come from the map, which never
            // shrinks) but may give bytes of neither version — the size and
            // time of change are checked again after the read, and in a
            // partitioned run the SHA-256 too, and either stops the run
            // (exit 2) before an output is placed. What cannot be caught is a
            // write that keeps size and time: the price of not copying a
            // multi-GB file, which every mmap-based reader (ripgrep among
            // them) pays alike. A private mapping would not be safer: Linux
            // shows another program's writes through the pages of a
            // MAP_PRIVATE mapping this process has not written either.
            let map = unsafe { memmap2::Mmap::map(&file) }.map_err(unreadable)?;
            Text::Mapped {
                map: Mapping::new(map, &opened.path),
                start: 0,
                utf8: false,
            }
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
        regions: folder.regions().clone(),
        header_found: std::sync::OnceLock::new(),
        line_ends: Vec::new(),
        rows_first_line: None,
    };
    // A file that is no CSV text at all (a binary, a video renamed
    // payouts.csv) is refused from its first line, before it is read,
    // checked or hashed whole.
    refuse_what_is_no_header(&loaded)?;
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
        let text = decoded.into_owned();
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
                Text::Checked { .. } | Text::Decoded { .. } => {
                    unreachable!("nothing is checked or decoded yet")
                }
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
                let text = decoded.into_owned();
                loaded.undecodable = undecodable;
                loaded.text = Text::Decoded {
                    text,
                    original: into_original(loaded.text),
                };
                loaded.encoding = "gb18030";
                loaded.line_ends = Vec::new();
            }
        } else {
            loaded.text = match loaded.text {
                Text::Mapped { map, start, .. } => Text::Mapped {
                    map,
                    start,
                    utf8: true,
                },
                Text::Shared { bytes, start, .. } => Text::Shared {
                    bytes,
                    start,
                    utf8: true,
                },
                // A small file: checked again whole, which costs nothing.
                Text::Owned { bytes, start } => match String::from_utf8(bytes) {
                    Ok(text) => Text::Checked { text, start },
                    Err(error) => Text::Owned {
                        bytes: error.into_bytes(),
                        start,
                    },
                },
                other => other,
            };
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
        regions: std::sync::Arc::default(),
        header_found: std::sync::OnceLock::new(),
        line_ends: Vec::new(),
        rows_first_line: None,
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

/// Bytes of a file's start looked at before it is read whole: the header
/// row's limit past any empty lines, and room for its line end.
const HEAD_BYTES_PAST_EMPTY_LINES: usize = super::records::MAX_HEADER_BYTES + 2;

/// Refuses a file whose first row cannot be a header in any encoding it
/// may be read in, looking at its first line only — so that a binary or a
/// video named like a case file is refused at once, not after its every
/// byte was checked, decoded and hashed. What is refused here would be
/// refused by the header check after the whole read too: no row end
/// within [`super::records::MAX_HEADER_BYTES`], more than
/// [`super::records::MAX_COLUMNS`] columns, or a cell holding a control
/// character below U+0020 (tab aside) or U+007F — bytes that mean those
/// characters in UTF-8 and GB18030 alike (neither uses them inside a
/// character), and in UTF-16, whose start is decoded to look. A header
/// that passes is read as before, the same messages included.
fn refuse_what_is_no_header(file: &LoadedFile) -> Result<(), FatalError> {
    use super::records::{control_character, Fields, Scanner, MAX_COLUMNS, MAX_HEADER_BYTES};
    let original = file.original();
    let decoded;
    let head: &[u8] = if let Some((encoding, rest)) = original
        .strip_prefix(b"\xFF\xFE")
        .map(|rest| (encoding_rs::UTF_16LE, rest))
        .or_else(|| {
            original
                .strip_prefix(b"\xFE\xFF")
                .map(|rest| (encoding_rs::UTF_16BE, rest))
        }) {
        // Two bytes a character of the header's limit and more: enough,
        // unless empty lines come first (then the look is inconclusive).
        let take = rest.len().min(4 * HEAD_BYTES_PAST_EMPTY_LINES) & !1;
        decoded = encoding.decode_without_bom_handling(&rest[..take]).0;
        decoded.as_bytes()
    } else {
        let text = original.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(original);
        let first = text
            .iter()
            .position(|&byte| byte != b'\n' && byte != b'\r')
            .unwrap_or(text.len());
        &text[..text.len().min(first + HEAD_BYTES_PAST_EMPTY_LINES)]
    };
    let delimiter = delimiter_of(head);
    let mut scanner = Scanner::new(head, 0, head.len(), 1, delimiter, MAX_HEADER_BYTES);
    let name = file.name();
    let span = match scanner.next_record() {
        Err(super::records::TooLong { line }) => {
            return Err(FatalError::HeaderTooLong {
                location: Location::line(name, line),
                limit: MAX_HEADER_BYTES,
            })
        }
        // Empty, or the look ran past what was taken: the whole read decides.
        Ok(None) => return Ok(()),
        Ok(Some(_)) if scanner.ran_into_end() => return Ok(()),
        Ok(Some(span)) => span,
    };
    let mut fields = Fields::default();
    let (cells, bounds) = fields.split(&head[span.start..span.end], delimiter, span.quoted);
    if bounds.len() > MAX_COLUMNS {
        return Err(FatalError::TooManyColumns {
            location: Location::cell(name, span.line, MAX_COLUMNS as u64 + 1),
            limit: MAX_COLUMNS,
        });
    }
    for (position, &(start, end)) in bounds.iter().enumerate() {
        let cell = &cells[start as usize..end as usize];
        // C0 and DEL only: a byte 0x80 or above may be part of a character.
        let Some(character) = control_character(cell).filter(|character| character.is_ascii())
        else {
            continue;
        };
        let text = match std::str::from_utf8(cell) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => encoding_rs::GB18030.decode(cell).0,
        };
        let hint = if character == '\0' {
            " (a file saved as UTF-16 without its byte-order mark reads like this: re-save it as CSV UTF-8; so does a file that is no CSV export at all, such as a workbook or a picture named like one)"
        } else {
            ""
        };
        return Err(FatalError::BadHeader {
            location: Location::cell(name, span.line, position as u64 + 1),
            message: format!(
                "the header cell {:?} holds the control character U+{:04X}, which a column name cannot hold; remove it{hint}",
                crate::error::excerpt(&text),
                u32::from(character)
            ),
        });
    }
    Ok(())
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
        regions: folder.regions().clone(),
        header_found: std::sync::OnceLock::new(),
        line_ends: Vec::new(),
        rows_first_line: None,
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

/// A byte range of a UTF-8 or GB18030 text file cut at record boundaries
/// by a reading of the whole file (the Spark runner's survey,
/// `distributed::survey`), to be read alone by [`load_range`]. Offsets are
/// in the file's bytes as on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TextRange {
    /// Where the header's lines (and any title lines above it) end and the
    /// rows begin.
    pub header_end: u64,
    pub start: u64,
    pub end: u64,
    /// The line the range's first row is on.
    pub first_line: u64,
    /// The whole file is UTF-8 but for some rows, each of which is checked
    /// (a BAD_RECORD when not UTF-8): so is each range of it.
    pub check_rows: bool,
    /// The whole file is GB18030 (GBK): each range is decoded as it; a
    /// line end is never part of a character there, so a range decodes
    /// to the same text as its place in the whole file.
    pub gb18030: bool,
    /// Decoding the whole file met bytes that are not GB18030: a row
    /// holding U+FFFD is a BAD_RECORD in every range, as in the whole.
    pub undecodable: bool,
}

/// A range of a text file as a file of its own: the file's header lines,
/// then the range's rows, which keep their lines
/// ([`LoadedFile::rows_first_line`]); its encoding and separator are those
/// the survey decided for the whole file. Returns the file and the SHA-256
/// of the range's bytes, which the caller compares with the survey's.
pub fn load_range(
    folder: &CaseFolder,
    id: FileId,
    range: &TextRange,
    piece_bytes: usize,
) -> Result<(LoadedFile, String), FatalError> {
    use std::io::{Read, Seek, SeekFrom};
    let opened = folder.open_file(id)?;
    let listed = folder.file(id);
    assert!(
        !listed.format.is_spreadsheet(),
        "only a text file is read in ranges"
    );
    assert!(range.header_end <= range.start && range.start <= range.end);
    let changed = || FatalError::InputChanged {
        location: folder.location(id),
        what: "its contents are not the same".to_string(),
    };
    if opened.fingerprint.size < range.end {
        return Err(changed());
    }
    let unreadable = |source| FatalError::Unreadable {
        location: Location::path(&opened.path),
        source,
    };
    let header_bytes = usize::try_from(range.header_end).map_err(|_| changed())?;
    let range_bytes = usize::try_from(range.end - range.start).map_err(|_| changed())?;
    let mut bytes = vec![0u8; header_bytes + range_bytes];
    match &opened.content {
        Content::Memory(whole) => {
            let (start, end) = (range.start as usize, range.end as usize);
            bytes[..header_bytes].copy_from_slice(&whole[..header_bytes]);
            bytes[header_bytes..].copy_from_slice(&whole[start..end]);
        }
        Content::Disk(file) => {
            let mut file = file;
            file.read_exact(&mut bytes[..header_bytes])
                .map_err(unreadable)?;
            file.seek(SeekFrom::Start(range.start))
                .map_err(unreadable)?;
            file.read_exact(&mut bytes[header_bytes..])
                .map_err(unreadable)?;
        }
    }
    let sha256 = sha256_hex(&bytes[header_bytes..]);
    let start = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut loaded = LoadedFile {
        kind: listed.kind,
        id,
        name: listed.name.as_str().into(),
        text: Text::Owned { bytes, start },
        encoding: "utf-8",
        check_rows: false,
        undecodable: false,
        delimiter: b',',
        fingerprint: opened.fingerprint,
        format: listed.format,
        workbook: None,
        settings: folder.columns().clone(),
        regions: folder.regions().clone(),
        header_found: std::sync::OnceLock::new(),
        line_ends: Vec::new(),
        rows_first_line: Some(range.first_line),
    };
    if range.gb18030 {
        let empty = Text::Owned {
            bytes: Vec::new(),
            start: 0,
        };
        let Text::Owned {
            bytes: original, ..
        } = std::mem::replace(&mut loaded.text, empty)
        else {
            unreachable!("made above")
        };
        let (decoded, _, _) = encoding_rs::GB18030.decode(&original);
        loaded.text = Text::Decoded {
            text: decoded.into_owned(),
            original: Box::new(original),
        };
        loaded.encoding = "gb18030";
        loaded.undecodable = range.undecodable;
        loaded.delimiter = delimiter_of(loaded.bytes());
        return Ok((loaded, sha256));
    }
    let checked = over_pieces(
        &loaded,
        false,
        piece_bytes.clamp(1, MAX_PIECE_BYTES),
        |piece| (std::str::from_utf8(piece).is_ok(), line_ends(piece)),
    );
    let valid = checked.iter().all(|(_, (valid, _))| *valid);
    loaded.line_ends = checked
        .into_iter()
        .map(|(end, (_, lines))| (end, lines))
        .collect();
    loaded.text = match loaded.text {
        Text::Owned { bytes, start } if valid => Text::Checked {
            text: String::from_utf8(bytes).expect("every piece is UTF-8"),
            start,
        },
        // The survey found the whole file UTF-8: a range that is not was
        // written to since.
        _ if !valid && !range.check_rows => return Err(changed()),
        other => other,
    };
    loaded.check_rows = range.check_rows;
    loaded.delimiter = delimiter_of(loaded.bytes());
    Ok((loaded, sha256))
}

fn into_original(text: Text) -> Box<dyn AsRef<[u8]> + Send + Sync> {
    match text {
        Text::Mapped { map, .. } => Box::new(map),
        Text::Owned { bytes, .. } => Box::new(bytes),
        Text::Checked { text, .. } => Box::new(text.into_bytes()),
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

    fn load_error(bytes: &[u8]) -> String {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("payouts.csv"), bytes).expect("write");
        let folder = CaseFolder::open(dir.path()).expect("lists");
        let id = folder.first_of(FileKind::Payouts).expect("present");
        match load(&folder, id, false, MAX_PIECE_BYTES) {
            Ok(_) => "loaded".into(),
            Err(error) => error.to_string(),
        }
    }

    /// A binary named like a case file is refused from its first line:
    /// the messages the header check gives, before the file is read whole.
    #[test]
    fn a_file_that_is_no_csv_text_is_refused_from_its_first_line() {
        // A video's start (MP4), then random-looking bytes.
        let mut video = b"\0\0\0 ftypisom\0\0\x02\0".to_vec();
        video.extend((0..200_000u32).map(|at| (at.wrapping_mul(2_654_435_761) >> 13) as u8));
        let error = load_error(&video);
        assert!(
            error.starts_with("payouts.csv:1:1: the header cell ")
                && error.contains("U+0000")
                && error.contains("no CSV export at all"),
            "{error}"
        );
        // An xlsx saved as payouts.csv (a ZIP archive).
        let error = load_error(b"PK\x03\x04\x14\0\x06\0\x08\0\0\0!\0");
        assert!(error.contains("U+0003"), "{error}");
        // No line end within the header's limit: too long, at its line.
        let mut long = b"\r\n\n".to_vec();
        long.extend(std::iter::repeat_n(b'a', 70_000));
        assert_eq!(
            load_error(&long),
            "payouts.csv:3: the header is longer than 65536 bytes without ending; expected one header row naming the columns — is this a CSV file?"
        );
        let wide = format!("{}\n", ",".repeat(1100));
        assert!(load_error(wide.as_bytes())
            .starts_with("payouts.csv:1:1025: the header has more than 1024 columns"));
        // GBK text with a control character: named in its encoding.
        let mut gbk = encoding_rs::GBK
            .encode("编号,金额\u{1}\n1,2\n")
            .0
            .into_owned();
        gbk.extend(std::iter::repeat_n(b'x', 70_000));
        let error = load_error(&gbk);
        assert!(
            error.starts_with("payouts.csv:1:2: the header cell \"金额\\u{1}\""),
            "{error}"
        );
        // UTF-16: its start decoded to look.
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "id\tna\u{7}me\r\n1\tx\r\n".encode_utf16() {
            utf16.extend(unit.to_le_bytes());
        }
        assert!(load_error(&utf16).starts_with("payouts.csv:1:2: the header cell \"na\\u{7}me\""));
        // Headers that pass are read as before; a tab is no control.
        assert_eq!(load_error(b"id\tname\n1\tx\n"), "loaded");
        assert_eq!(load_error(b"\n\n\"a\nb\",c\n1,2\n"), "loaded");
        assert_eq!(load_error(b""), "loaded");
    }

    /// A SIGBUS while reading a mapped file names it (main.rs): the map
    /// is found by address while the file is loaded, and no longer after.
    #[test]
    fn a_mapped_file_is_named_by_any_address_inside_it() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let bytes = "id,amount\n1,2\n".repeat(10_000);
        std::fs::write(dir.path().join("payouts.csv"), &bytes).expect("write");
        let folder = CaseFolder::open(dir.path()).expect("lists");
        let id = folder.first_of(FileKind::Payouts).expect("present");
        let file = load(&folder, id, false, MAX_PIECE_BYTES).expect("loads");
        assert!(matches!(file.text, Text::Mapped { .. }), "mapped");
        let start = file.original().as_ptr() as usize;
        let mut name = [0u8; 512];
        for offset in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            let length = mapped_file_name(start + offset, &mut name);
            let named = std::str::from_utf8(&name[..length]).expect("a path");
            assert!(named.ends_with("payouts.csv"), "{named:?}");
        }
        assert_eq!(mapped_file_name(start + bytes.len(), &mut name), 0);
        drop(file);
        assert_eq!(
            mapped_file_name(start, &mut name),
            0,
            "forgotten when unmapped"
        );
    }

    /// Rows are slices of the file's text once it is known to be UTF-8,
    /// whichever way it was read.
    #[test]
    fn a_utf8_text_is_given_as_str_whichever_way_it_was_read() {
        let small = load_text("\u{FEFF}id,name\n1,张三\n".as_bytes());
        assert_eq!(small.text(), Some("id,name\n1,张三\n"));
        let big = "id,name\n1,张三\n".repeat(10_000);
        let mapped = load_text(big.as_bytes());
        assert_eq!(mapped.text(), Some(big.as_str()));
        let decoded = load_text(&gbk("id,name\n1,张三\n2,李四\n"));
        assert_eq!(decoded.text(), Some("id,name\n1,张三\n2,李四\n"));
        let mut mixed = "id,name\n1,张三\n2,李四\n".as_bytes().to_vec();
        mixed.extend(gbk("3,王五\n"));
        assert_eq!(load_text(&mixed).text(), None, "checked row by row");
    }

    #[test]
    fn a_header_with_tabs_and_no_comma_is_tab_separated() {
        assert_eq!(delimiter_of(b"a\tb\tc\n1,2\t3\n"), b'\t');
        assert_eq!(delimiter_of(b"\r\n\na\tb\r\n"), b'\t');
        assert_eq!(delimiter_of(b"a,b\tc\n"), b',');
        assert_eq!(delimiter_of(b"a,b\n1\t2\n"), b',');
        assert_eq!(delimiter_of(b""), b',');
        // A bank export's title lines are passed over.
        assert_eq!(
            delimiter_of("代发明细\r\n日期\r\na\tb\r\n".as_bytes()),
            b'\t'
        );
        assert_eq!(delimiter_of("代发明细\n\na,b\tc\n".as_bytes()), b',');
        assert_eq!(load_text(b"a,b\n").delimiter_name(), None);
    }
}

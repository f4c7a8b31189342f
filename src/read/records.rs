//! The records of a CSV text (SPEC §2): where each row begins and ends, on
//! which physical line, and its fields. One scanner serves the header, the
//! rows, and the cutting of a file into chunks for parallel parsing, so all
//! three always agree.
//!
//! Lines end with LF, CRLF or a lone CR, in any mix; each is one physical
//! line. Quoting is RFC 4180's, read as the `csv` crate reads it: a quote
//! opens a quoted field only at the start of a field, `""` inside is one
//! quote, and after the closing quote the field goes on unquoted. Empty
//! lines are not rows.

/// Longest cell: a longer one makes its row a BAD_RECORD. (The bound of a
/// text reference, `u16`.)
pub const MAX_CELL_BYTES: usize = u16::MAX as usize;

/// Longest row, its line end left out; a longer one stops the run. Also
/// bounds how far the reader looks for the end of a row that never ends.
pub const MAX_ROW_BYTES: usize = 1 << 20;

/// Longest header row; a longer one stops the run.
pub const MAX_HEADER_BYTES: usize = 64 << 10;

/// Most columns in a header; more stop the run.
pub const MAX_COLUMNS: usize = 1024;

/// One record of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    /// End of the record's bytes; its line end is left out.
    pub end: usize,
    /// Where reading goes on: after the line end.
    pub next: usize,
    /// Physical line of the record's first byte.
    pub line: u64,
    /// Physical line at `next`.
    pub next_line: u64,
    /// A field begins with a quote: the fields must be unquoted.
    pub quoted: bool,
    /// The line where a quote opened that is never closed — not within
    /// [`MAX_CELL_BYTES`] of it (unless before that line ends: a one-line
    /// cell over the limit), nor before the end of the text. The record
    /// then ends with that line, and the next begins on the line after it.
    pub unclosed: Option<u64>,
}

impl Span {
    /// Physical line of the record's last byte.
    pub fn last_line(&self) -> u64 {
        if self.next > self.end {
            self.next_line - 1
        } else {
            self.next_line
        }
    }
}

/// A record longer than the scanner's limit, and the line it begins on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooLong {
    pub line: u64,
}

/// Reads `text[start..end]` record by record.
pub struct Scanner<'t> {
    text: &'t [u8],
    end: usize,
    position: usize,
    line: u64,
    delimiter: u8,
    limit: usize,
    /// A search for a record's end, a closing quote or a line end's second
    /// byte reached `end` while the text goes on: read whole, the text may
    /// hold other records there (see [`Scanner::ran_into_end`]).
    ran_into_end: bool,
}

enum Quote {
    /// Closed; the field goes on after this offset.
    Closed {
        after: usize,
        line: u64,
    },
    Unclosed,
}

/// Offset after the line end at `at` (`\r\n` is one line end).
fn after_line_end(text: &[u8], at: usize, end: usize) -> usize {
    if text[at] == b'\r' && at + 1 < end && text[at + 1] == b'\n' {
        at + 2
    } else {
        at + 1
    }
}

impl<'t> Scanner<'t> {
    /// Records of at most `limit` bytes of `text[start..end]`, whose first
    /// physical line is `first_line`.
    pub fn new(
        text: &'t [u8],
        start: usize,
        end: usize,
        first_line: u64,
        delimiter: u8,
        limit: usize,
    ) -> Scanner<'t> {
        Scanner {
            text,
            end,
            position: start,
            line: first_line,
            delimiter,
            limit,
            ran_into_end: false,
        }
    }

    /// Did reading `text[start..end]` look at where `end` cut the text
    /// short? When it did not, the records it gave are the ones a scanner
    /// of the whole text gives there, provided `start` begins a record in
    /// the whole text too; and the next record of the whole text begins
    /// at `end`. That is how chunks cut at guessed record boundaries are
    /// checked (`read::stages`).
    pub fn ran_into_end(&self) -> bool {
        self.ran_into_end
    }

    /// Notes a search that stopped at `end`, where the text goes on.
    fn stopped_at_end(&mut self) {
        self.ran_into_end |= self.end < self.text.len();
    }

    /// Offset after the line end at `at`, as [`after_line_end`]; notes a
    /// `\r` at `end` whose `\n` lies past it.
    fn after_line_end(&mut self, at: usize) -> usize {
        let next = after_line_end(self.text, at, self.end);
        if next == self.end && self.text[at] == b'\r' && self.text.get(next) == Some(&b'\n') {
            self.stopped_at_end();
        }
        next
    }

    /// The next record; `Ok(None)` at the end of the text.
    pub fn next_record(&mut self) -> Result<Option<Span>, TooLong> {
        let (text, end) = (self.text, self.end);
        // Empty lines are not records.
        while self.position < end && matches!(text[self.position], b'\n' | b'\r') {
            self.position = self.after_line_end(self.position);
            self.line += 1;
        }
        if self.position >= end {
            return Ok(None);
        }
        let start = self.position;
        let first_line = self.line;
        let hard = end.min(start.saturating_add(self.limit).saturating_add(1));
        let too_long = TooLong { line: first_line };
        let mut line = first_line;
        let mut quoted = false;
        let mut from = start;
        loop {
            let Some(found) = quote_or_line_end(&text[from..hard]) else {
                if hard < end {
                    return Err(too_long);
                }
                self.stopped_at_end();
                return Ok(Some(
                    self.finish(start, end, end, first_line, line, quoted, None),
                ));
            };
            let at = from + found;
            if text[at] != b'"' {
                let next = self.after_line_end(at);
                return Ok(Some(self.finish(
                    start,
                    at,
                    next,
                    first_line,
                    line + 1,
                    quoted,
                    None,
                )));
            }
            if at > start && text[at - 1] != self.delimiter {
                // A quote inside an unquoted field is a character like any other.
                from = at + 1;
                continue;
            }
            quoted = true;
            match self.quoted_field(at, hard, line).ok_or(too_long)? {
                Quote::Closed {
                    after,
                    line: after_line,
                } => {
                    from = after;
                    line = after_line;
                }
                Quote::Unclosed => {
                    let line_end = memchr::memchr2(b'\n', b'\r', &text[at..hard]);
                    // Closed after the cell limit but before its line
                    // ends: a one-line cell too long, whose row is a
                    // BAD_RECORD naming its column — not a quote never
                    // closed, which would name the row's last column.
                    let on_line = line_end.map_or(hard, |offset| at + offset);
                    if let Some(close) = self.closing_quote_before(at, on_line) {
                        from = close + 1;
                        continue;
                    }
                    // The row ends with the line the quote opened on.
                    return Ok(Some(match line_end {
                        Some(offset) => {
                            let line_end = at + offset;
                            let next = self.after_line_end(line_end);
                            self.finish(
                                start,
                                line_end,
                                next,
                                first_line,
                                line + 1,
                                true,
                                Some(line),
                            )
                        }
                        None if hard < end => return Err(too_long),
                        None => {
                            self.stopped_at_end();
                            self.finish(start, end, end, first_line, line, true, Some(line))
                        }
                    }));
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        &mut self,
        start: usize,
        end: usize,
        next: usize,
        line: u64,
        next_line: u64,
        quoted: bool,
        unclosed: Option<u64>,
    ) -> Span {
        self.position = next;
        self.line = next_line;
        Span {
            start,
            end,
            next,
            line,
            next_line,
            quoted,
            unclosed,
        }
    }

    /// The quote closing the one at `open` before `before` (a line end,
    /// or where the record must stop), read as [`Scanner::quoted_field`]
    /// reads one: `""` is a quote inside.
    fn closing_quote_before(&mut self, open: usize, before: usize) -> Option<usize> {
        let text = self.text;
        let mut from = open + 1;
        while from < before {
            let at = from + memchr::memchr(b'"', &text[from..before])?;
            if at + 1 == self.end {
                // Closed here, or doubled by a quote past the end.
                self.stopped_at_end();
                return Some(at);
            }
            if text[at + 1] != b'"' {
                return Some(at);
            }
            from = at + 2;
        }
        None
    }

    /// Finds the quote closing the one at `open`, on line `line`; `None`
    /// when the record reaches `hard` first and `hard` is the record limit.
    fn quoted_field(&mut self, open: usize, hard: usize, mut line: u64) -> Option<Quote> {
        let text = self.text;
        let cell_end = open + 1 + MAX_CELL_BYTES;
        let window = hard.min(cell_end);
        let mut from = open + 1;
        loop {
            let found = if from < window {
                memchr::memchr3(b'"', b'\n', b'\r', &text[from..window])
            } else {
                None
            };
            let Some(found) = found else {
                // Not closed within a cell's length, or before the end of
                // the text: never closed. Cut short by the record limit:
                // the record is too long.
                if window == self.end && window != cell_end {
                    self.stopped_at_end();
                }
                return (window == cell_end || window == self.end).then_some(Quote::Unclosed);
            };
            let at = from + found;
            if text[at] != b'"' {
                line += 1;
                from = self.after_line_end(at);
            } else if at + 1 == self.end {
                // Closed here, or doubled by a quote past the end.
                self.stopped_at_end();
                return Some(Quote::Closed {
                    after: at + 1,
                    line,
                });
            } else if text[at + 1] == b'"' {
                from = at + 2;
            } else {
                return Some(Quote::Closed {
                    after: at + 1,
                    line,
                });
            }
        }
    }
}

/// A run of whole records: `bytes[start..end]`, first line `first_line`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub start: usize,
    pub end: usize,
    pub first_line: u64,
    /// Records (rows) in it, as the split counted them.
    pub records: usize,
}

/// Splits `text[start..]` into chunks of about `target` bytes and at most
/// `max_records` records that end at record boundaries, so each can be
/// parsed on its own thread — by the same [`Scanner`] that cut them, so a
/// chunk reads as the whole text would. Calls `closed` with each chunk as
/// soon as its end is known (a run larger than memory gives its pages back
/// there). Fails on a record longer than [`MAX_ROW_BYTES`].
pub fn split_records(
    text: &[u8],
    start: usize,
    first_line: u64,
    delimiter: u8,
    target: usize,
    max_records: usize,
    mut closed: impl FnMut(&Chunk),
) -> Result<Vec<Chunk>, TooLong> {
    let target = target.max(1);
    let mut chunks = Vec::new();
    let mut scanner = Scanner::new(
        text,
        start,
        text.len(),
        first_line,
        delimiter,
        MAX_ROW_BYTES,
    );
    let mut chunk_start = start;
    let mut chunk_line = first_line;
    let mut records = 0;
    while let Some(span) = scanner.next_record()? {
        records += 1;
        let full = span.next - chunk_start >= target || records >= max_records;
        if full && span.next < text.len() {
            let chunk = Chunk {
                start: chunk_start,
                end: span.next,
                first_line: chunk_line,
                records,
            };
            closed(&chunk);
            chunks.push(chunk);
            chunk_start = span.next;
            chunk_line = span.next_line;
            records = 0;
        }
    }
    if chunk_start < text.len() || chunks.is_empty() {
        chunks.push(Chunk {
            start: chunk_start,
            end: text.len(),
            first_line: chunk_line,
            records,
        });
    }
    Ok(chunks)
}

/// Hands `visit` each sixteen bytes of `bytes` and their offset, the last
/// ones padded with `pad` to sixteen; the first answer it gives.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn first_in_blocks<T>(
    bytes: &[u8],
    pad: u8,
    mut visit: impl FnMut(&[u8; 16], usize) -> Option<T>,
) -> Option<T> {
    let mut blocks = bytes.chunks_exact(16);
    let mut base = 0;
    for block in &mut blocks {
        if let Some(answer) = visit(block.try_into().expect("sixteen bytes"), base) {
            return Some(answer);
        }
        base += 16;
    }
    let rest = blocks.remainder();
    if rest.is_empty() {
        return None;
    }
    let mut last = [pad; 16];
    last[..rest.len()].copy_from_slice(rest);
    visit(&last, base)
}

/// The first quote or line end in `bytes`, as `memchr3` finds it, but
/// sixteen bytes at a time without its start-up cost: a row ends within a
/// hundred bytes or so.
#[inline]
fn quote_or_line_end(bytes: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
            _mm_set1_epi8,
        };
        // SAFETY: SSE2 is part of every x86_64 processor. Each load reads
        // the sixteen bytes of the array it is given.
        let first = |block: &[u8; 16]| unsafe {
            let block = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
            let found = _mm_or_si128(
                _mm_cmpeq_epi8(block, _mm_set1_epi8(b'"' as i8)),
                _mm_or_si128(
                    _mm_cmpeq_epi8(block, _mm_set1_epi8(b'\n' as i8)),
                    _mm_cmpeq_epi8(block, _mm_set1_epi8(b'\r' as i8)),
                ),
            );
            let mask = _mm_movemask_epi8(found) as u32;
            (mask != 0).then(|| mask.trailing_zeros() as usize)
        };
        // Padded with spaces, which are neither.
        first_in_blocks(bytes, b' ', |block, base| {
            first(block).map(|offset| base + offset)
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    memchr::memchr3(b'"', b'\n', b'\r', bytes)
}

/// Calls `found` with each offset of `delimiter` in `raw`, in order. A row
/// is short (tens of bytes, a delimiter every few): sixteen bytes compared
/// at once and their matches walked bit by bit cost less than a search
/// started again after every field.
#[inline]
fn each_delimiter(raw: &[u8], delimiter: u8, mut found: impl FnMut(usize)) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
        };
        // SAFETY: SSE2 is part of every x86_64 processor. Each load reads
        // the sixteen bytes of the array it is given.
        let matches = |block: &[u8; 16]| unsafe {
            let bytes = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
            _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(delimiter as i8))) as u32
        };
        let mut walk = |mut mask: u32, base: usize| {
            while mask != 0 {
                found(base + mask.trailing_zeros() as usize);
                mask &= mask - 1;
            }
        };
        // Padded with a byte that is not the delimiter.
        first_in_blocks(raw, delimiter ^ 1, |block, base| {
            walk(matches(block), base);
            None::<()>
        });
    }
    #[cfg(not(target_arch = "x86_64"))]
    for at in memchr::memchr_iter(delimiter, raw) {
        found(at);
    }
}

/// The fields of one record, reused from record to record: no allocation
/// per row or cell.
#[derive(Default)]
pub struct Fields {
    bounds: Vec<(u32, u32)>,
    unquoted: Vec<u8>,
    unquoted_text: String,
}

/// Where a record's fields are unquoted into: bytes, or text when the
/// record is text — then every piece copied is a slice of it cut next to
/// an ASCII byte (a quote or the delimiter), so the result is text too,
/// with nothing decoded or checked again.
trait Unquoted {
    type Raw: ?Sized;
    fn raw_bytes(raw: &Self::Raw) -> &[u8];
    fn push_range(&mut self, raw: &Self::Raw, range: std::ops::Range<usize>);
    fn push_quote(&mut self);
    fn length(&self) -> usize;
}

impl Unquoted for Vec<u8> {
    type Raw = [u8];
    fn raw_bytes(raw: &[u8]) -> &[u8] {
        raw
    }
    fn push_range(&mut self, raw: &[u8], range: std::ops::Range<usize>) {
        self.extend_from_slice(&raw[range]);
    }
    fn push_quote(&mut self) {
        self.push(b'"');
    }
    fn length(&self) -> usize {
        self.len()
    }
}

impl Unquoted for String {
    type Raw = str;
    fn raw_bytes(raw: &str) -> &[u8] {
        raw.as_bytes()
    }
    fn push_range(&mut self, raw: &str, range: std::ops::Range<usize>) {
        // A checked slice: its ends lie next to ASCII bytes, so between
        // characters.
        self.push_str(&raw[range]);
    }
    fn push_quote(&mut self) {
        self.push('"');
    }
    fn length(&self) -> usize {
        self.len()
    }
}

/// Unquotes the fields of `raw` (RFC 4180, a quoted field never closed
/// running to the end) into `out`, their bounds into `bounds`.
fn unquote<B: Unquoted>(raw: &B::Raw, delimiter: u8, out: &mut B, bounds: &mut Vec<(u32, u32)>) {
    let bytes = B::raw_bytes(raw);
    let mut at = 0;
    loop {
        let field_start = out.length();
        if bytes.get(at) == Some(&b'"') {
            at += 1;
            loop {
                let Some(offset) = memchr::memchr(b'"', &bytes[at..]) else {
                    out.push_range(raw, at..bytes.len());
                    at = bytes.len();
                    break;
                };
                out.push_range(raw, at..at + offset);
                at += offset + 1;
                if bytes.get(at) == Some(&b'"') {
                    out.push_quote();
                    at += 1;
                } else {
                    break;
                }
            }
        }
        // The field unquoted, or what follows its closing quote.
        let rest_end =
            memchr::memchr(delimiter, &bytes[at..]).map_or(bytes.len(), |offset| at + offset);
        out.push_range(raw, at..rest_end);
        bounds.push((field_start as u32, out.length() as u32));
        if rest_end == bytes.len() {
            break;
        }
        at = rest_end + 1;
    }
}

impl Fields {
    /// Splits `raw` (one record, no line end, at most [`MAX_ROW_BYTES`])
    /// into fields. Returns the bytes the bounds index: `raw` itself, or,
    /// when a field is quoted, the fields unquoted. A quoted field never
    /// closed runs to the end of `raw`.
    pub fn split<'a>(
        &'a mut self,
        raw: &'a [u8],
        delimiter: u8,
        quoted: bool,
    ) -> (&'a [u8], &'a [(u32, u32)]) {
        self.bounds.clear();
        if !quoted {
            self.split_unquoted(raw, delimiter);
            return (raw, &self.bounds);
        }
        self.unquoted.clear();
        unquote(raw, delimiter, &mut self.unquoted, &mut self.bounds);
        (&self.unquoted, &self.bounds)
    }

    /// As [`Fields::split`], for a record that is text: the fields are
    /// text as well, and each cell a slice of it.
    #[inline]
    pub fn split_text<'a>(
        &'a mut self,
        raw: &'a str,
        delimiter: u8,
        quoted: bool,
    ) -> (&'a str, &'a [(u32, u32)]) {
        assert!(delimiter.is_ascii(), "fields are cut at an ASCII byte");
        self.bounds.clear();
        if !quoted {
            self.split_unquoted(raw.as_bytes(), delimiter);
            return (raw, &self.bounds);
        }
        self.unquoted_text.clear();
        unquote(raw, delimiter, &mut self.unquoted_text, &mut self.bounds);
        (&self.unquoted_text, &self.bounds)
    }

    #[inline]
    fn split_unquoted(&mut self, raw: &[u8], delimiter: u8) {
        let mut start = 0;
        each_delimiter(raw, delimiter, |at| {
            self.bounds.push((start as u32, at as u32));
            start = at + 1;
        });
        self.bounds.push((start as u32, raw.len() as u32));
    }
}

/// True when `bytes` may hold a control character (SPEC §2): a byte below
/// 0x20 (tab, CR and LF included), 0x7F, or 0xC2 (which leads U+0080–U+00BF
/// in UTF-8). Sixteen bytes at a time; [`control_character`] says for sure.
/// Every row passes here, so it must cost next to nothing.
#[inline]
pub fn may_hold_control(bytes: &[u8]) -> bool {
    #[cfg(target_arch = "x86_64")]
    return may_hold_control_sse2(bytes);
    #[cfg(not(target_arch = "x86_64"))]
    return may_hold_control_words(bytes);
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn may_hold_control_sse2(bytes: &[u8]) -> bool {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8, _mm_setzero_si128,
    };
    // SAFETY: SSE2 is part of every x86_64 processor. Each load reads 16
    // bytes inside `bytes` (whole blocks) or inside the local `last`.
    unsafe {
        let below = _mm_set1_epi8(0x1F);
        let delete = _mm_set1_epi8(0x7F);
        let lead = _mm_set1_epi8(0xC2_u8 as i8);
        let suspicious = |block: __m128i| {
            _mm_or_si128(
                _mm_cmpeq_epi8(_mm_min_epu8(block, below), block),
                _mm_or_si128(_mm_cmpeq_epi8(block, delete), _mm_cmpeq_epi8(block, lead)),
            )
        };
        let mut found = _mm_setzero_si128();
        let mut blocks = bytes.chunks_exact(16);
        for block in &mut blocks {
            found = _mm_or_si128(
                found,
                suspicious(_mm_loadu_si128(block.as_ptr().cast::<__m128i>())),
            );
        }
        let rest = blocks.remainder();
        if !rest.is_empty() {
            // Padded with spaces, which are not suspicious.
            let mut last = [b' '; 16];
            last[..rest.len()].copy_from_slice(rest);
            found = _mm_or_si128(
                found,
                suspicious(_mm_loadu_si128(last.as_ptr().cast::<__m128i>())),
            );
        }
        _mm_movemask_epi8(found) != 0
    }
}

/// As [`may_hold_control`], eight bytes at a time, on any processor.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline]
fn may_hold_control_words(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    #[inline(always)]
    fn has_zero(word: u64) -> bool {
        word.wrapping_sub(ONES) & !word & HIGHS != 0
    }
    #[inline(always)]
    fn suspicious(word: u64) -> bool {
        // A byte below 0x20; a byte equal to 0x7F or to 0xC2.
        (word.wrapping_sub(ONES * 0x20) & !word & HIGHS != 0)
            | has_zero(word ^ (ONES * 0x7F))
            | has_zero(word ^ (ONES * 0xC2))
    }
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        if suspicious(word) {
            return true;
        }
    }
    let rest = words.remainder();
    if rest.is_empty() {
        return false;
    }
    // Pad with spaces, which are not suspicious.
    let mut last = [b' '; 8];
    last[..rest.len()].copy_from_slice(rest);
    suspicious(u64::from_le_bytes(last))
}

/// The first control character in `cell` (UTF-8 text): U+0000–U+001F but
/// tab, CR and LF; U+007F; U+0080–U+009F.
pub fn control_character(cell: &[u8]) -> Option<char> {
    let mut bytes = cell.iter().copied().enumerate();
    while let Some((at, byte)) = bytes.next() {
        match byte {
            b'\t' | b'\n' | b'\r' => {}
            0x00..=0x1F | 0x7F => return Some(char::from(byte)),
            0xC2 => {
                if let Some(&next @ 0x80..=0x9F) = cell.get(at + 1) {
                    return char::from_u32(u32::from(next));
                }
                bytes.next();
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of every length 0..50 across the 16-byte blocks, `count` of
    /// each, their bytes drawn by `byte` from a scrambled number per place.
    fn scrambled_rows(count: u32, byte: impl Fn(u32) -> u8) -> Vec<Vec<u8>> {
        let mut rows = Vec::new();
        for length in 0..50u32 {
            for seed in 0..count {
                rows.push(
                    (0..length)
                        .map(|place| {
                            byte((seed.wrapping_mul(2_654_435_761) >> (place % 29)) ^ place)
                        })
                        .collect(),
                );
            }
        }
        rows
    }

    #[test]
    fn quotes_and_line_ends_are_found_where_memchr3_finds_them() {
        let rows = scrambled_rows(60, |pick| match pick % 23 {
            0 => b'"',
            1 => b'\n',
            2 => b'\r',
            3 => 0xE7,
            _ => b'a' + (pick % 26) as u8,
        });
        for raw in rows {
            assert_eq!(
                quote_or_line_end(&raw),
                memchr::memchr3(b'"', b'\n', b'\r', &raw),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn delimiters_are_found_where_a_byte_search_finds_them() {
        // Delimiters at every place, bytes above 0x7F (the compare is of
        // bytes, not signed).
        for delimiter in [b',', b'\t'] {
            let rows = scrambled_rows(40, |pick| match pick % 5 {
                0 => delimiter,
                1 => 0xE7,
                2 => delimiter ^ 1,
                _ => b'a' + (pick % 26) as u8,
            });
            for raw in rows {
                let mut found = Vec::new();
                each_delimiter(&raw, delimiter, |at| found.push(at));
                let searched: Vec<usize> = memchr::memchr_iter(delimiter, &raw).collect();
                assert_eq!(found, searched, "{raw:?}");
            }
        }
    }

    /// Every record of `text` from offset 0 as (first line, fields).
    fn records(text: &str) -> Vec<(u64, Vec<String>, Option<u64>)> {
        let bytes = text.as_bytes();
        let mut scanner = Scanner::new(bytes, 0, bytes.len(), 1, b',', MAX_ROW_BYTES);
        let mut fields = Fields::default();
        let mut out = Vec::new();
        while let Some(span) = scanner.next_record().expect("not too long") {
            let (unquoted, bounds) = fields.split(&bytes[span.start..span.end], b',', span.quoted);
            let cells = bounds
                .iter()
                .map(|&(start, end)| {
                    String::from_utf8(unquoted[start as usize..end as usize].to_vec())
                        .expect("utf-8")
                })
                .collect();
            out.push((span.line, cells, span.unclosed));
        }
        out
    }

    fn lines(text: &str) -> Vec<u64> {
        records(text).into_iter().map(|(line, _, _)| line).collect()
    }

    #[test]
    fn physical_line_numbers_for_lf_crlf_cr_and_mixed_line_ends() {
        assert_eq!(lines("h\na\nb\nc\n"), [1, 2, 3, 4]);
        assert_eq!(lines("h\r\na\r\nb\r\nc\r\n"), [1, 2, 3, 4]);
        assert_eq!(lines("h\ra\rb\rc\r"), [1, 2, 3, 4]);
        assert_eq!(lines("h\na\r\nb\rc"), [1, 2, 3, 4]);
        // Empty lines are no records but are lines; LF then CR is two lines.
        assert_eq!(lines("h\n\r\n\ra\n\rb"), [1, 4, 6]);
        // A record spanning lines is named by its first; the next counts on.
        assert_eq!(lines("h\r\n1,\"x\r\ny\"\r\n2,z\r\n"), [1, 2, 4]);
        assert_eq!(lines("h\r1,\"x\ry\rz\"\r2,z"), [1, 2, 5]);
    }

    #[test]
    fn fields_are_unquoted_as_rfc_4180_reads_them() {
        let read = records("a,\"b,c\",\"d\"\"e\",f\"g\"h,\"i\"j,\"\"\n");
        assert_eq!(read[0].1, ["a", "b,c", "d\"e", "f\"g\"h", "ij", ""]);
        let read = records(",\n\"\"\n");
        assert_eq!(read[0].1, ["", ""]);
        assert_eq!(read[1].1, [""]);
        assert_eq!(records("1,\"x\r\ny\"\n")[0].1, ["1", "x\r\ny"]);
    }

    #[test]
    fn an_unclosed_quote_takes_only_its_own_line() {
        let text = "h\n1,\"never closed,2\n3,ok\n4,ok";
        let read = records(text);
        assert_eq!(
            read.iter().map(|(line, _, _)| *line).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert_eq!(read[1].2, Some(2));
        assert_eq!(read[1].1, ["1", "never closed,2"]);
        assert_eq!(read[2].1, ["3", "ok"]);
        // Still open after a cell's length: never closed, though a quote
        // follows much later.
        let far = format!(
            "h\n1,\"x\n{}\n5,\"\n",
            "2,y\n".repeat(MAX_CELL_BYTES / 4 + 1)
        );
        let read = records(&far);
        assert_eq!(read[1].2, Some(2));
        assert_eq!(read[2].0, 3);
        assert_eq!(read.len(), 2 + MAX_CELL_BYTES / 4 + 1 + 1);
        // A quote opened on a later line of the record.
        let read = records("1,\"a\nb\",\"c\n2,d\n");
        assert_eq!(read[0].0, 1);
        assert_eq!(read[0].2, Some(2));
        assert_eq!(read[1].0, 3);
    }

    /// A quoted cell longer than the cell limit, closed on its own line,
    /// is a closed cell (its row a BAD_RECORD for that cell, in its
    /// column), not a quote never closed in the row's last column.
    #[test]
    fn a_closed_quoted_cell_over_the_limit_is_closed_in_its_own_column() {
        let long = "x".repeat(MAX_CELL_BYTES + 10);
        let text = format!("h1,h2,h3\n1,\"{long}\",3\n4,\"a\"\"{long}\"\r\n5,6,7");
        let read = records(&text);
        assert_eq!(read.len(), 4);
        assert_eq!(read[1].0, 2);
        assert_eq!(read[1].2, None, "closed");
        assert_eq!(read[1].1, ["1", long.as_str(), "3"]);
        assert_eq!(read[2].1, ["4", format!("a\"{long}").as_str()]);
        assert_eq!(read[2].2, None);
        assert_eq!(read[3], (4, vec!["5".into(), "6".into(), "7".into()], None));
        // Over the limit and past a line break: never closed, as before,
        // and the next line is read as the next row.
        let broken = format!("h\n1,\"{long}\nmore\"\n2,ok\n");
        let read = records(&broken);
        assert_eq!(read[1].2, Some(2));
        assert_eq!(read[2], (3, vec!["more\"".into()], None));
        // Read in chunks of any size, the same records.
        let whole = records(&text);
        for target in [1, 7, 100, 65_000, 70_000] {
            let chunks = split_records(text.as_bytes(), 9, 2, b',', target, usize::MAX, |_| {})
                .expect("fits");
            let mut pieced = vec![whole[0].clone()];
            let mut fields = Fields::default();
            for chunk in &chunks {
                let bytes = text.as_bytes();
                let mut scanner = Scanner::new(
                    bytes,
                    chunk.start,
                    chunk.end,
                    chunk.first_line,
                    b',',
                    MAX_ROW_BYTES,
                );
                while let Some(span) = scanner.next_record().expect("fits") {
                    let (unquoted, bounds) =
                        fields.split(&bytes[span.start..span.end], b',', span.quoted);
                    let cells = bounds
                        .iter()
                        .map(|&(s, e)| {
                            String::from_utf8_lossy(&unquoted[s as usize..e as usize]).into_owned()
                        })
                        .collect();
                    pieced.push((span.line, cells, span.unclosed));
                }
            }
            assert_eq!(pieced, whole, "target {target}");
        }
    }

    #[test]
    fn records_longer_than_the_limit_are_refused() {
        let long = format!("h\n{}\n", "x".repeat(100));
        let mut scanner = Scanner::new(long.as_bytes(), 0, long.len(), 1, b',', 50);
        assert!(scanner.next_record().is_ok());
        assert_eq!(scanner.next_record(), Err(TooLong { line: 2 }));
        let exact = format!("{}\n", "x".repeat(50));
        let mut scanner = Scanner::new(exact.as_bytes(), 0, exact.len(), 1, b',', 50);
        assert!(scanner.next_record().is_ok());
    }

    #[test]
    fn chunks_end_at_record_boundaries_outside_quotes() {
        let text = b"a,b\n1,\"x\ny\"\n2,z\n3,\"q\"\"\n\"\n4,w\n";
        let split = |text: &[u8], start, line, target, max| {
            split_records(text, start, line, b',', target, max, |_| {}).expect("fits")
        };
        let chunks = split(text, 4, 2, 1, usize::MAX);
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
        assert_eq!(split(literal, 2, 2, 1, usize::MAX).len(), 2);
        // A record limit splits too: at most two records a chunk here.
        assert_eq!(split(b"h\na\nb\nc\nd\n", 2, 2, 1 << 20, 2).len(), 2);
        // One big chunk when the target is large; an empty body is one empty chunk.
        assert_eq!(split(text, 4, 2, 1 << 20, usize::MAX).len(), 1);
        assert_eq!(
            split(b"h\n", 2, 2, 8, usize::MAX),
            [Chunk {
                start: 2,
                end: 2,
                first_line: 2,
                records: 0
            }]
        );
        // CRLF is never cut between its CR and its LF.
        let crlf = b"h\r\na\r\nb\r\n";
        let chunks = split(crlf, 3, 2, 1, usize::MAX);
        assert_eq!(chunks[0].end, 6);
        assert_eq!(chunks[1].first_line, 3);
    }

    #[test]
    fn chunks_read_as_the_whole_text_does_whatever_their_size() {
        let text = "h\r\n1,\"a\rb\"\n2,\"never\n3,x\r4,\"y\"\"z\"\r\n\r\n5,\"w\n6,\"q\nr\"\n7,\"";
        let whole = records(text);
        for target in 1..text.len() {
            let chunks = split_records(text.as_bytes(), 3, 2, b',', target, usize::MAX, |_| {})
                .expect("fits");
            let mut pieced = vec![whole[0].clone()];
            let mut fields = Fields::default();
            for chunk in &chunks {
                let bytes = text.as_bytes();
                let mut scanner = Scanner::new(
                    bytes,
                    chunk.start,
                    chunk.end,
                    chunk.first_line,
                    b',',
                    MAX_ROW_BYTES,
                );
                while let Some(span) = scanner.next_record().expect("fits") {
                    let (unquoted, bounds) =
                        fields.split(&bytes[span.start..span.end], b',', span.quoted);
                    let cells = bounds
                        .iter()
                        .map(|&(s, e)| {
                            String::from_utf8_lossy(&unquoted[s as usize..e as usize]).into_owned()
                        })
                        .collect();
                    pieced.push((span.line, cells, span.unclosed));
                }
            }
            assert_eq!(pieced, whole, "target {target}");
        }
    }

    #[test]
    fn control_characters_are_found_cheaply_and_exactly() {
        for clean in ["", "abc", "张三,1450.00", "阿里木·买买提", "a\tb", "x\r\ny"] {
            assert_eq!(control_character(clean.as_bytes()), None, "{clean:?}");
        }
        assert!(!may_hold_control(
            b"P000000004,510104194608180011,dibao,2024-01"
        ));
        assert!(!may_hold_control("郑玉兰,6217123335686875".as_bytes()));
        for (dirty, found) in [
            ("a\u{0}b", '\u{0}'),
            ("\u{7}", '\u{7}'),
            ("x\u{1b}", '\u{1b}'),
            ("del\u{7f}", '\u{7f}'),
            ("nel\u{85}", '\u{85}'),
            ("\u{9f}", '\u{9f}'),
            ("long text before the bell: \u{7}", '\u{7}'),
        ] {
            assert!(may_hold_control(dirty.as_bytes()), "{dirty:?}");
            assert_eq!(
                control_character(dirty.as_bytes()),
                Some(found),
                "{dirty:?}"
            );
        }
        // U+00A0..U+00BF share the lead byte but are not control characters.
        assert!(may_hold_control("·".as_bytes()));
        assert_eq!(control_character("· ¥".as_bytes()), None);
        // Every byte value at every place of blocks and tails.
        for length in [1, 7, 15, 16, 17, 31, 33, 64, 90] {
            for place in 0..length {
                for byte in 0..=255u8 {
                    let mut bytes = vec![b'a'; length];
                    bytes[place] = byte;
                    let expected = byte < 0x20 || byte == 0x7F || byte == 0xC2;
                    assert_eq!(
                        may_hold_control(&bytes),
                        expected,
                        "{byte:#x} at {place} of {length}"
                    );
                    assert_eq!(
                        may_hold_control_words(&bytes),
                        expected,
                        "{byte:#x} at {place} of {length}"
                    );
                }
            }
        }
    }
}

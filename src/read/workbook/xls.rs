//! `.xls` workbooks (BIFF8, Excel 97–2003): the `Workbook` stream of the
//! compound file is a run of records. The globals come first (formats,
//! the shared strings, the sheets' names and places); then each sheet is
//! read on its own from its place, one at a time, into the sparse
//! [`Workbook`]. Nothing is allocated from a count the file declares; a
//! column past BIFF8's 256 or a record shorter than its kind needs is
//! damage, named with the record and the sheet.

use std::collections::HashMap;

use super::build::Builder;
use super::cell::{builtin_format, custom_format, number, NumberFormat};
use super::cfb::Compound;
use super::limits::{
    MAX_MERGED_RANGES, MAX_SHARED_STRINGS, MAX_SHARED_STRINGS_BYTES, MAX_SHEETS,
    MAX_SHEET_CELL_ELEMENTS, MAX_STYLES, XLS_COLUMNS, XLS_ROWS,
};
use super::{
    column_letters, CellKind, MergedRange, SheetKind, Visibility, Workbook, WorkbookError,
};

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const CONTINUE: u16 = 0x003C;
const FILEPASS: u16 = 0x002F;
const DATEMODE: u16 = 0x0022;
const FORMAT: u16 = 0x041E;
const XF: u16 = 0x00E0;
const BOUNDSHEET: u16 = 0x0085;
const SST: u16 = 0x00FC;
const NUMBER: u16 = 0x0203;
const LABEL: u16 = 0x0204;
const RSTRING: u16 = 0x00D6;
const BOOLERR: u16 = 0x0205;
const STRING: u16 = 0x0207;
const RK: u16 = 0x027E;
const LABELSST: u16 = 0x00FD;
const MULRK: u16 = 0x00BD;
const MERGEDCELLS: u16 = 0x00E5;
const FORMULA: u16 = 0x0006;
/// BIFF8's version in a BOF record.
const BIFF8: u16 = 0x0600;

/// Cells one sheet may hold before its cells are put in order: every
/// place BIFF8 has (65,536 rows × 256 columns) once; more can only be
/// cells given twice.
const MAX_XLS_SHEET_CELLS: usize = (XLS_ROWS * XLS_COLUMNS) as usize;
const _: () = assert!(MAX_XLS_SHEET_CELLS as u64 <= MAX_SHEET_CELL_ELEMENTS);

fn damaged(what: impl std::fmt::Display) -> WorkbookError {
    WorkbookError::Unreadable(format!("the .xls workbook is damaged: {what}"))
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
}

/// A record, with the CONTINUE records that follow it.
struct Record<'s> {
    kind: u16,
    data: &'s [u8],
    continues: Vec<&'s [u8]>,
}

impl Record<'_> {
    /// Fails unless the record holds at least `bytes` bytes.
    fn need(&self, bytes: usize, what: &str) -> Result<(), WorkbookError> {
        if self.data.len() < bytes {
            return Err(damaged(format!(
                "a {what} record holds {} bytes, fewer than the {bytes} it needs",
                self.data.len()
            )));
        }
        Ok(())
    }
}

struct Records<'s> {
    stream: &'s [u8],
    at: usize,
}

impl<'s> Records<'s> {
    fn next(&mut self) -> Result<Option<Record<'s>>, WorkbookError> {
        let Some((kind, data)) = self.raw()? else {
            return Ok(None);
        };
        let mut continues = Vec::new();
        while self.stream.len() >= self.at + 4 && u16_at(self.stream, self.at) == CONTINUE {
            let (_, data) = self.raw()?.expect("a CONTINUE header is there");
            continues.push(data);
        }
        Ok(Some(Record {
            kind,
            data,
            continues,
        }))
    }

    fn raw(&mut self) -> Result<Option<(u16, &'s [u8])>, WorkbookError> {
        let rest = &self.stream[self.at..];
        if rest.is_empty() {
            return Ok(None);
        }
        if rest.len() < 4 {
            return Err(damaged("the stream ends inside a record's header"));
        }
        let kind = u16_at(rest, 0);
        let length = usize::from(u16_at(rest, 2));
        if rest.len() < 4 + length {
            return Err(damaged(format!(
                "record 0x{kind:04X} runs past the end of the stream"
            )));
        }
        self.at += 4 + length;
        Ok(Some((kind, &rest[4..4 + length])))
    }
}

/// Reads a string's bytes across a record and its CONTINUE records.
struct Pieces<'r, 's> {
    data: &'s [u8],
    rest: std::slice::Iter<'r, &'s [u8]>,
}

impl<'r, 's> Pieces<'r, 's> {
    fn of(record: &'r Record<'s>, from: usize) -> Pieces<'r, 's> {
        Pieces {
            data: &record.data[from.min(record.data.len())..],
            rest: record.continues.iter(),
        }
    }

    fn is_done(&mut self) -> bool {
        while self.data.is_empty() {
            match self.rest.next() {
                Some(next) => self.data = next,
                None => return true,
            }
        }
        false
    }

    fn byte(&mut self) -> Result<u8, WorkbookError> {
        if self.is_done() {
            return Err(damaged("a string runs past the end of its record"));
        }
        let byte = self.data[0];
        self.data = &self.data[1..];
        Ok(byte)
    }

    fn u16(&mut self) -> Result<u16, WorkbookError> {
        Ok(u16::from_le_bytes([self.byte()?, self.byte()?]))
    }

    fn u32(&mut self) -> Result<u32, WorkbookError> {
        Ok(u32::from_le_bytes([
            self.byte()?,
            self.byte()?,
            self.byte()?,
            self.byte()?,
        ]))
    }

    fn skip(&mut self, mut bytes: usize) -> Result<(), WorkbookError> {
        while bytes > 0 {
            if self.is_done() {
                return Err(damaged(
                    "a string's formatting runs past the end of its record",
                ));
            }
            let step = bytes.min(self.data.len());
            self.data = &self.data[step..];
            bytes -= step;
        }
        Ok(())
    }

    /// `count` characters, one byte each (`wide` false: the low byte of
    /// UTF-16) or two; where the characters go on in a CONTINUE record,
    /// its first byte says which again.
    fn characters(
        &mut self,
        count: usize,
        mut wide: bool,
        units: &mut Vec<u16>,
    ) -> Result<(), WorkbookError> {
        units.clear();
        while units.len() < count {
            if self.data.is_empty() {
                match self.rest.next() {
                    Some(next) if !next.is_empty() => {
                        wide = next[0] & 1 != 0;
                        self.data = &next[1..];
                    }
                    Some(_) => continue,
                    None => return Err(damaged("a string runs past the end of its record")),
                }
            }
            let wanted = count - units.len();
            if wide {
                let take = wanted.min(self.data.len() / 2);
                if take == 0 {
                    // An odd byte left: the characters go on in the next
                    // record.
                    self.data = &[];
                    continue;
                }
                units.extend(
                    self.data[..2 * take]
                        .chunks_exact(2)
                        .map(|unit| u16::from_le_bytes([unit[0], unit[1]])),
                );
                self.data = &self.data[2 * take..];
            } else {
                let take = wanted.min(self.data.len());
                units.extend(self.data[..take].iter().map(|&byte| u16::from(byte)));
                self.data = &self.data[take..];
            }
        }
        Ok(())
    }
}

/// UTF-16 units as UTF-8 appended to `text`; a lone surrogate is U+FFFD.
fn push_units(units: &[u16], text: &mut Vec<u8>) {
    let mut encoded = [0u8; 4];
    for character in char::decode_utf16(units.iter().copied()) {
        let character = character.unwrap_or(char::REPLACEMENT_CHARACTER);
        text.extend_from_slice(character.encode_utf8(&mut encoded).as_bytes());
    }
}

/// An `XLUnicodeString` (LABEL, STRING, FORMAT): a 16-bit count, a flags
/// byte, the characters.
fn unicode_string(
    record: &Record<'_>,
    from: usize,
    units: &mut Vec<u16>,
) -> Result<(), WorkbookError> {
    let mut pieces = Pieces::of(record, from);
    let count = usize::from(pieces.u16()?);
    let flags = pieces.byte()?;
    pieces.characters(count, flags & 1 != 0, units)
}

struct BoundSheet {
    position: usize,
    name: String,
    visibility: Visibility,
    kind: SheetKind,
}

struct Globals {
    is_1904: bool,
    /// Each cell format's number format, by XF index.
    formats: Vec<NumberFormat>,
    /// The shared strings' places in the workbook's text.
    strings: Vec<(u32, u32)>,
    sheets: Vec<BoundSheet>,
}

pub fn read(bytes: &[u8]) -> Result<Workbook, WorkbookError> {
    let compound = Compound::open(bytes)?;
    if compound.has("EncryptedPackage") {
        return Err(WorkbookError::Refused(
            "this workbook is password-protected (encrypted), so it cannot be read: open it in Excel or WPS, remove the password (File, Info, Protect Workbook), and save it".into(),
        ));
    }
    let Some(stream) = compound.stream("Workbook")? else {
        if compound.has("Book") {
            return Err(old_format());
        }
        return Err(WorkbookError::Unreadable(
            "the file is a compound file without a workbook in it (it may be a Word or another Office document, saved with a workbook's name)".into(),
        ));
    };
    drop(compound);
    let mut builder = Builder::default();
    let globals = read_globals(&stream, &mut builder)?;
    for sheet in &globals.sheets {
        read_sheet(&stream, sheet, &globals, &mut builder)?;
    }
    Ok(builder.workbook)
}

fn old_format() -> WorkbookError {
    WorkbookError::Refused(
        "this is an Excel 5.0/95 or older workbook, which duizhang does not read: open it in Excel or WPS and save it as .xlsx".into(),
    )
}

fn read_globals(stream: &[u8], builder: &mut Builder) -> Result<Globals, WorkbookError> {
    let mut records = Records { stream, at: 0 };
    let mut globals = Globals {
        is_1904: false,
        formats: Vec::new(),
        strings: Vec::new(),
        sheets: Vec::new(),
    };
    let mut custom: HashMap<u16, NumberFormat> = HashMap::new();
    let mut format_ids = Vec::new();
    let mut units = Vec::new();
    match records.next()? {
        Some(record) if record.kind == BOF => {
            record.need(2, "BOF")?;
            if u16_at(record.data, 0) != BIFF8 {
                return Err(old_format());
            }
        }
        _ => {
            return Err(damaged(
                "the workbook stream does not begin with a BOF record",
            ))
        }
    }
    loop {
        let Some(record) = records.next()? else {
            return Err(damaged("the workbook's globals have no EOF record"));
        };
        match record.kind {
            EOF => break,
            FILEPASS => {
                return Err(WorkbookError::Refused(
                    "this workbook is password-protected (encrypted), so it cannot be read: open it in Excel or WPS, remove the password (File, Info, Protect Workbook), and save it".into(),
                ))
            }
            DATEMODE => {
                record.need(2, "DATEMODE")?;
                globals.is_1904 = u16_at(record.data, 0) == 1;
            }
            FORMAT => {
                record.need(2, "FORMAT")?;
                let id = u16_at(record.data, 0);
                // Custom formats have these numbers (MS-XLS 2.4.126); a
                // record with another number is left out, as Excel does.
                if matches!(id, 5..=8 | 23..=26 | 41..=44 | 63..=66 | 164..=382) {
                    unicode_string(&record, 2, &mut units)?;
                    custom.insert(id, custom_format(&String::from_utf16_lossy(&units)));
                }
            }
            XF => {
                record.need(4, "XF")?;
                if format_ids.len() >= MAX_STYLES {
                    return Err(damaged(format!("it has more than {MAX_STYLES} cell formats")));
                }
                format_ids.push(u16_at(record.data, 2));
            }
            BOUNDSHEET => {
                if globals.sheets.len() >= MAX_SHEETS {
                    return Err(damaged(format!("it has more than {MAX_SHEETS} sheets")));
                }
                globals.sheets.push(bound_sheet(&record, &mut units)?);
            }
            SST => read_shared_strings(&record, builder, &mut globals.strings, &mut units)?,
            _ => {}
        }
    }
    globals.formats = format_ids
        .into_iter()
        .map(|id| {
            custom
                .get(&id)
                .copied()
                .unwrap_or_else(|| builtin_format(u32::from(id)))
        })
        .collect();
    Ok(globals)
}

fn bound_sheet(record: &Record<'_>, units: &mut Vec<u16>) -> Result<BoundSheet, WorkbookError> {
    record.need(8, "BOUNDSHEET")?;
    let position = u32_at(record.data, 0) as usize;
    let visibility = match record.data[4] & 0x3F {
        0 => Visibility::Visible,
        1 => Visibility::Hidden,
        2 => Visibility::VeryHidden,
        other => {
            return Err(damaged(format!(
                "a sheet's visibility is {other}, not 0, 1 or 2"
            )))
        }
    };
    let kind = match record.data[5] {
        0 => SheetKind::Worksheet,
        1 | 6 => SheetKind::Macro,
        2 => SheetKind::Chart,
        other => {
            return Err(damaged(format!(
                "a sheet's type is {other}, not 0, 1, 2 or 6"
            )))
        }
    };
    let mut pieces = Pieces::of(record, 6);
    let count = usize::from(pieces.byte()?);
    let flags = pieces.byte()?;
    pieces.characters(count, flags & 1 != 0, units)?;
    let mut name = String::from_utf16_lossy(units);
    name.retain(|character| character != '\0');
    Ok(BoundSheet {
        position,
        name,
        visibility,
        kind,
    })
}

/// The SST record: the shared strings, each an `XLUnicodeRichExtendedString`
/// that may go on in CONTINUE records. Its declared count is not used:
/// strings are read while the record lasts, up to the limits.
fn read_shared_strings(
    record: &Record<'_>,
    builder: &mut Builder,
    strings: &mut Vec<(u32, u32)>,
    units: &mut Vec<u16>,
) -> Result<(), WorkbookError> {
    record.need(8, "SST")?;
    let part = "the shared strings (SST record)";
    let mut pieces = Pieces::of(record, 8);
    let start_bytes = builder.workbook.text.len();
    while !pieces.is_done() {
        if strings.len() >= MAX_SHARED_STRINGS {
            return Err(WorkbookError::PartTooLarge {
                part: part.into(),
                what: format!("the workbook has more than {MAX_SHARED_STRINGS} different texts, more than duizhang reads; save the sheet as CSV UTF-8 instead"),
            });
        }
        let count = usize::from(pieces.u16()?);
        let flags = pieces.byte()?;
        let runs = if flags & 0x08 != 0 {
            usize::from(pieces.u16()?)
        } else {
            0
        };
        let extension = if flags & 0x04 != 0 {
            pieces.u32()? as usize
        } else {
            0
        };
        pieces.characters(count, flags & 1 != 0, units)?;
        let start = builder.workbook.text.len();
        push_units(units, &mut builder.workbook.text);
        if builder.workbook.text.len() - start_bytes > MAX_SHARED_STRINGS_BYTES {
            return Err(WorkbookError::PartTooLarge {
                part: part.into(),
                what: format!("the workbook's different texts hold more than {MAX_SHARED_STRINGS_BYTES} bytes, more than duizhang reads; save the sheet as CSV UTF-8 instead"),
            });
        }
        strings.push((start as u32, builder.workbook.text.len() as u32));
        pieces.skip(runs * 4)?;
        pieces.skip(extension)?;
    }
    Ok(())
}

/// A cell of a sheet before its cells are put in order.
#[derive(Clone, Copy)]
struct XlsCell {
    /// Row (0-based) above column.
    key: u32,
    start: u32,
    end: u32,
    kind: CellKind,
}

struct SheetReader<'g> {
    globals: &'g Globals,
    name: String,
    cells: Vec<XlsCell>,
    units: Vec<u16>,
}

impl SheetReader<'_> {
    fn place(&self, row: u16, column: u16) -> Result<u32, WorkbookError> {
        if u32::from(column) >= XLS_COLUMNS {
            return Err(WorkbookError::Damaged {
                sheet: self.name.clone(),
                row: u64::from(row) + 1,
                column: u64::from(column) + 1,
                what: format!(
                    "a cell in column {} (number {}), past the {XLS_COLUMNS} columns an .xls sheet has: the file is damaged; open it in Excel or WPS and save it again (as .xlsx)",
                    column_letters(u32::from(column)),
                    u32::from(column) + 1
                ),
            });
        }
        Ok(u32::from(row) << 8 | u32::from(column))
    }

    fn push(&mut self, key: u32, place: (u32, u32), kind: CellKind) -> Result<(), WorkbookError> {
        if self.cells.len() >= MAX_XLS_SHEET_CELLS {
            return Err(WorkbookError::Damaged {
                sheet: self.name.clone(),
                row: u64::from(key >> 8) + 1,
                column: 0,
                what: format!("the sheet has more than {MAX_XLS_SHEET_CELLS} cells, more than an .xls sheet has places: the file is damaged; open it in Excel or WPS and save it again (as .xlsx)"),
            });
        }
        self.cells.push(XlsCell {
            key,
            start: place.0,
            end: place.1,
            kind,
        });
        Ok(())
    }

    fn format(&self, index: u16) -> NumberFormat {
        self.globals
            .formats
            .get(usize::from(index))
            .copied()
            .unwrap_or_default()
    }

    fn number(
        &mut self,
        builder: &mut Builder,
        key: u32,
        value: f64,
        format: u16,
    ) -> Result<(), WorkbookError> {
        let start = builder.workbook.text.len();
        let kind = number(
            value,
            self.format(format),
            self.globals.is_1904,
            &mut builder.workbook.text,
        );
        let place = builder.text_written(start, &self.name, (key >> 8) + 1)?;
        self.push(key, place, kind)
    }

    fn text(
        &mut self,
        builder: &mut Builder,
        key: u32,
        text: &[u8],
        kind: CellKind,
    ) -> Result<(), WorkbookError> {
        let place = builder.text(text, &self.name, (key >> 8) + 1)?;
        self.push(key, place, kind)
    }

    fn units_text(&mut self, builder: &mut Builder, key: u32) -> Result<(), WorkbookError> {
        let start = builder.workbook.text.len();
        push_units(&self.units, &mut builder.workbook.text);
        let place = builder.text_written(start, &self.name, (key >> 8) + 1)?;
        self.push(key, place, CellKind::Text)
    }
}

/// `#N/A` and the other error values, by their BIFF8 code.
fn error_text(code: u8) -> Result<&'static str, WorkbookError> {
    Ok(match code {
        0x00 => "#NULL!",
        0x07 => "#DIV/0!",
        0x0F => "#VALUE!",
        0x17 => "#REF!",
        0x1D => "#NAME?",
        0x24 => "#NUM!",
        0x2A => "#N/A",
        0x2B => "#DATA!",
        other => {
            return Err(damaged(format!(
                "a cell holds the error code 0x{other:02X}, which Excel does not have"
            )))
        }
    })
}

/// An RK number: a 30-bit integer or the top of a double, maybe ×100.
fn rk_value(rk: u32) -> f64 {
    let hundredths = rk & 1 != 0;
    let value = if rk & 2 != 0 {
        let integer = i64::from((rk as i32) >> 2);
        if hundredths && integer % 100 != 0 {
            return integer as f64 / 100.0;
        }
        (if hundredths { integer / 100 } else { integer }) as f64
    } else {
        f64::from_bits(u64::from(rk & 0xFFFF_FFFC) << 32)
    };
    if hundredths && rk & 2 == 0 {
        value / 100.0
    } else {
        value
    }
}

fn read_sheet(
    stream: &[u8],
    sheet: &BoundSheet,
    globals: &Globals,
    builder: &mut Builder,
) -> Result<(), WorkbookError> {
    if sheet.kind != SheetKind::Worksheet {
        builder.end_sheet(sheet.name.clone(), sheet.visibility, sheet.kind, Vec::new());
        return Ok(());
    }
    if sheet.position >= stream.len() {
        return Err(damaged(format!(
            "sheet {:?} begins past the end of the workbook stream",
            sheet.name
        )));
    }
    let mut records = Records {
        stream,
        at: sheet.position,
    };
    let mut reader = SheetReader {
        globals,
        name: sheet.name.clone(),
        cells: Vec::new(),
        units: Vec::new(),
    };
    let mut merged = Vec::new();
    // The formula whose text value the next STRING record holds.
    let mut string_formula: Option<u32> = None;
    let mut depth = 0usize;
    match records.next()? {
        Some(record) if record.kind == BOF => {}
        _ => {
            return Err(damaged(format!(
                "sheet {:?} does not begin with a BOF record",
                sheet.name
            )))
        }
    }
    loop {
        let Some(record) = records.next()? else {
            return Err(damaged(format!("sheet {:?} has no EOF record", sheet.name)));
        };
        // An embedded chart's records, between its own BOF and EOF.
        if depth > 0 {
            match record.kind {
                BOF => depth += 1,
                EOF => depth -= 1,
                _ => {}
            }
            continue;
        }
        let data = record.data;
        match record.kind {
            EOF => break,
            BOF => depth = 1,
            NUMBER => {
                record.need(14, "NUMBER")?;
                let key = reader.place(u16_at(data, 0), u16_at(data, 2))?;
                let value = f64::from_le_bytes(data[6..14].try_into().expect("eight bytes"));
                reader.number(builder, key, value, u16_at(data, 4))?;
            }
            RK => {
                record.need(10, "RK")?;
                let key = reader.place(u16_at(data, 0), u16_at(data, 2))?;
                reader.number(builder, key, rk_value(u32_at(data, 6)), u16_at(data, 4))?;
            }
            MULRK => {
                record.need(6, "MULRK")?;
                let row = u16_at(data, 0);
                let first = u16_at(data, 2);
                let last = u16_at(data, data.len() - 2);
                let count = (data.len() - 6) / 6;
                if (data.len() - 6) % 6 != 0
                    || last < first
                    || usize::from(last - first) + 1 != count
                {
                    return Err(damaged(format!(
                        "a MULRK record of sheet {:?} does not hold the cells it says",
                        sheet.name
                    )));
                }
                for (offset, cell) in data[4..data.len() - 2].chunks_exact(6).enumerate() {
                    let key = reader.place(row, first + offset as u16)?;
                    reader.number(builder, key, rk_value(u32_at(cell, 2)), u16_at(cell, 0))?;
                }
            }
            LABEL | RSTRING => {
                record.need(6, "LABEL")?;
                let key = reader.place(u16_at(data, 0), u16_at(data, 2))?;
                unicode_string(&record, 6, &mut reader.units)?;
                reader.units_text(builder, key)?;
            }
            LABELSST => {
                record.need(10, "LABELSST")?;
                let key = reader.place(u16_at(data, 0), u16_at(data, 2))?;
                let index = u32_at(data, 6) as usize;
                let Some(&place) = globals.strings.get(index) else {
                    return Err(damaged(format!(
                        "cell {}{} of sheet {:?} refers to shared string {index}, but there are {}",
                        column_letters(key & 0xFF),
                        (key >> 8) + 1,
                        sheet.name,
                        globals.strings.len()
                    )));
                };
                reader.push(key, place, CellKind::Text)?;
            }
            BOOLERR => {
                record.need(8, "BOOLERR")?;
                let key = reader.place(u16_at(data, 0), u16_at(data, 2))?;
                let (text, kind) = match data[7] {
                    0 => (if data[6] != 0 { "TRUE" } else { "FALSE" }, CellKind::Bool),
                    1 => (error_text(data[6])?, CellKind::Error),
                    other => {
                        return Err(damaged(format!(
                            "a BOOLERR record's type is {other}, not 0 or 1"
                        )))
                    }
                };
                reader.text(builder, key, text.as_bytes(), kind)?;
            }
            FORMULA => {
                record.need(20, "FORMULA")?;
                if let Some(key) = string_formula.take() {
                    reader.text(builder, key, b"", CellKind::NoValue)?;
                }
                let key = reader.place(u16_at(data, 0), u16_at(data, 2))?;
                let value = &data[6..14];
                if value[6..8] == [0xFF, 0xFF] {
                    match value[0] {
                        0 => string_formula = Some(key),
                        1 => reader.text(
                            builder,
                            key,
                            if value[2] != 0 { b"TRUE" } else { b"FALSE" },
                            CellKind::Bool,
                        )?,
                        2 => reader.text(
                            builder,
                            key,
                            error_text(value[2])?.as_bytes(),
                            CellKind::Error,
                        )?,
                        3 => reader.text(builder, key, b"", CellKind::Text)?,
                        other => {
                            return Err(damaged(format!(
                                "a formula's value type is {other}, not 0 to 3"
                            )))
                        }
                    }
                } else {
                    let number = f64::from_le_bytes(value.try_into().expect("eight bytes"));
                    reader.number(builder, key, number, u16_at(data, 4))?;
                }
            }
            STRING => {
                if let Some(key) = string_formula.take() {
                    unicode_string(&record, 0, &mut reader.units)?;
                    reader.units_text(builder, key)?;
                }
            }
            MERGEDCELLS => read_merged(&record, &sheet.name, &mut merged)?,
            _ => {}
        }
    }
    if let Some(key) = string_formula.take() {
        reader.text(builder, key, b"", CellKind::NoValue)?;
    }
    let mut cells = std::mem::take(&mut reader.cells);
    cells.sort_by_key(|cell| cell.key);
    let mut row: Option<u32> = None;
    for (index, cell) in cells.iter().enumerate() {
        let (line, column) = ((cell.key >> 8) + 1, cell.key & 0xFF);
        if index > 0 && cells[index - 1].key == cell.key {
            return Err(WorkbookError::Damaged {
                sheet: sheet.name.clone(),
                row: u64::from(line),
                column: u64::from(column) + 1,
                what: format!(
                    "cell {}{line} is given twice in the sheet, so which value it holds cannot be known; the file was not saved by Excel or WPS: open it in Excel or WPS and save it again",
                    column_letters(column)
                ),
            });
        }
        if let Some(previous) = row.filter(|&previous| previous != line) {
            builder.end_row(&sheet.name, previous)?;
        }
        row = Some(line);
        builder.cell(&sheet.name, line, column, (cell.start, cell.end), cell.kind)?;
    }
    if let Some(line) = row {
        builder.end_row(&sheet.name, line)?;
    }
    builder.end_sheet(sheet.name.clone(), sheet.visibility, sheet.kind, merged);
    Ok(())
}

fn read_merged(
    record: &Record<'_>,
    sheet: &str,
    merged: &mut Vec<MergedRange>,
) -> Result<(), WorkbookError> {
    record.need(2, "MERGEDCELLS")?;
    let count = usize::from(u16_at(record.data, 0));
    if record.data.len() < 2 + 8 * count {
        return Err(damaged(format!(
            "a MERGEDCELLS record of sheet {sheet:?} is shorter than the {count} ranges it says"
        )));
    }
    for range in record.data[2..2 + 8 * count].chunks_exact(8) {
        let (first_row, last_row) = (u32::from(u16_at(range, 0)), u32::from(u16_at(range, 2)));
        let (first_column, last_column) =
            (u32::from(u16_at(range, 4)), u32::from(u16_at(range, 6)));
        if first_row > last_row || first_column > last_column || last_column >= XLS_COLUMNS {
            return Err(WorkbookError::Damaged {
                sheet: sheet.to_string(),
                row: u64::from(first_row) + 1,
                column: u64::from(first_column) + 1,
                what: format!(
                    "a merged range of rows {}–{} and columns {}–{} is not a range of an .xls sheet: the file is damaged; open it in Excel or WPS and save it again (as .xlsx)",
                    first_row + 1,
                    last_row + 1,
                    u64::from(first_column) + 1,
                    u64::from(last_column) + 1
                ),
            });
        }
        if merged.len() >= MAX_MERGED_RANGES {
            return Err(damaged(format!(
                "sheet {sheet:?} has more than {MAX_MERGED_RANGES} merged ranges"
            )));
        }
        merged.push(MergedRange {
            first_row: first_row + 1,
            last_row: last_row + 1,
            first_column,
            last_column,
        });
    }
    Ok(())
}

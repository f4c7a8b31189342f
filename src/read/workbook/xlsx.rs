//! `.xlsx` and `.xlsm` workbooks: a zip archive of XML parts. The package
//! relationships name the workbook part, its relationships name the
//! sheets, the shared strings and the styles. Every part is read as a
//! stream of XML events through a byte limit ([`Part`]), so an inflated
//! part is never held whole, and no XML event may be larger than
//! [`MAX_XML_EVENT_BYTES`]. Cells are read as calamine 0.38 read them (its
//! `XlsxCellReader` and `read_string`), so every legitimate workbook reads
//! as before.

use std::cell::Cell;
use std::collections::HashMap;
use std::io::{BufReader, Cursor, Read};
use std::rc::Rc;

use quick_xml::events::{BytesRef, BytesStart, Event};

use super::build::Builder;
use super::cell::{builtin_format, custom_format, number, unescape_into, NumberFormat};
use super::limits::{
    EXCEL_COLUMNS, MAX_MERGED_RANGES, MAX_SHARED_STRINGS, MAX_SHARED_STRINGS_BYTES,
    MAX_SHARED_STRINGS_PART_BYTES, MAX_SHEETS, MAX_SHEET_CELL_ELEMENTS, MAX_SHEET_NAME_BYTES,
    MAX_SHEET_PART_BYTES, MAX_SHEET_ROWS, MAX_SMALL_PART_BYTES, MAX_STRING_BYTES, MAX_STYLES,
    MAX_XML_EVENT_BYTES, MAX_ZIP_ENTRIES,
};
use super::{
    column_letters, CellKind, MergedRange, SheetKind, Visibility, Workbook, WorkbookError,
};
use crate::domain::Date;

type Archive<'b> = zip::ZipArchive<Cursor<&'b [u8]>>;

/// The buffer between the inflater and the XML reader.
const BUFFER_BYTES: usize = 64 << 10;

/// What stopped a part's stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tripped {
    /// The part inflated past its limit.
    Part,
    /// One XML event grew past [`MAX_XML_EVENT_BYTES`].
    Event,
}

/// Counts what a part inflates to: the whole part, and since the XML
/// reader last began an event.
#[derive(Default)]
struct Meter {
    total: Cell<u64>,
    since_event: Cell<u64>,
    tripped: Cell<Option<Tripped>>,
}

/// A part's inflated bytes, failing past the part's limit or past an
/// event's: the XML reader keeps a whole event in memory, so one event
/// can cost at most [`MAX_XML_EVENT_BYTES`] and the buffer.
struct Metered<R> {
    inner: R,
    meter: Rc<Meter>,
    limit: u64,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(out)?;
        let total = self.meter.total.get() + read as u64;
        let since_event = self.meter.since_event.get() + read as u64;
        self.meter.total.set(total);
        self.meter.since_event.set(since_event);
        let tripped = if total > self.limit {
            Tripped::Part
        } else if since_event > MAX_XML_EVENT_BYTES + BUFFER_BYTES as u64 {
            Tripped::Event
        } else {
            return Ok(read);
        };
        self.meter.tripped.set(Some(tripped));
        Err(std::io::Error::other("past a limit"))
    }
}

/// One XML part being read.
struct Part<'a> {
    reader: quick_xml::Reader<BufReader<Metered<Box<dyn Read + 'a>>>>,
    meter: Rc<Meter>,
    name: String,
    limit: u64,
}

impl<'a> Part<'a> {
    fn next<'x>(&mut self, buffer: &'x mut Vec<u8>) -> Result<Event<'x>, WorkbookError> {
        self.meter.since_event.set(0);
        buffer.clear();
        match self.reader.read_event_into(buffer) {
            Ok(event) => Ok(event),
            Err(error) => Err(self.error(error)),
        }
    }

    fn error(&self, error: quick_xml::Error) -> WorkbookError {
        match self.meter.tripped.get() {
            Some(Tripped::Part) => WorkbookError::PartTooLarge {
                part: self.name.clone(),
                what: format!(
                    "it inflates to more than {} bytes, more than a case file's workbook may hold; save the sheet as CSV UTF-8 instead",
                    self.limit
                ),
            },
            Some(Tripped::Event) => WorkbookError::PartTooLarge {
                part: self.name.clone(),
                what: format!(
                    "it holds an XML tag or text of more than {MAX_XML_EVENT_BYTES} bytes, which no workbook Excel or WPS saves has: the file is damaged"
                ),
            },
            _ => self.damaged(error),
        }
    }

    fn damaged(&self, what: impl std::fmt::Display) -> WorkbookError {
        WorkbookError::Unreadable(format!(
            "part {} of the .xlsx file is damaged: {what}",
            self.name
        ))
    }

    /// Reads past the end of the element `Start` began (`name`).
    fn skip(&mut self, buffer: &mut Vec<u8>, name: &str) -> Result<(), WorkbookError> {
        let mut depth = 1usize;
        loop {
            match self.next(buffer)? {
                Event::Start(start) if start.local_name().as_ref() == name => depth += 1,
                Event::End(end) if end.local_name().as_ref() == name => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Event::Eof => return Err(self.damaged(format!("it ends inside <{}>", name))),
                _ => {}
            }
        }
    }
}

/// Appends what an entity reference (`&amp;`, `&#x4E2D;`) stands for.
fn push_reference(reference: &BytesRef<'_>, out: &mut String) -> Result<(), String> {
    if let Some(text) = quick_xml::escape::resolve_xml_entity(reference) {
        out.push_str(text);
        return Ok(());
    }
    match reference.resolve_char_ref() {
        Ok(Some(character)) => {
            out.push(character);
            Ok(())
        }
        _ => Err(format!(
            "it holds &{};, which is no XML character",
            &**reference
        )),
    }
}

/// An attribute's raw value with its entities decoded (as calamine's
/// `decode_attr`).
fn unescaped(value: &str) -> Result<String, String> {
    quick_xml::escape::unescape(value)
        .map(std::borrow::Cow::into_owned)
        .map_err(|error| error.to_string())
}

/// An attribute's value, entities decoded.
fn attribute(start: &BytesStart<'_>, key: &str) -> Result<Option<String>, String> {
    for attribute in start.attributes().with_checks(false) {
        let attribute = attribute.map_err(|error| error.to_string())?;
        if attribute.key.as_ref() == key || attribute.key.local_name().as_ref() == key {
            return unescaped(&attribute.value).map(Some);
        }
    }
    Ok(None)
}

struct Package<'b> {
    archive: Archive<'b>,
    /// Each part's index, by its name in lower case with `/` separators.
    names: HashMap<String, usize>,
}

fn zip_damaged(error: impl std::fmt::Display) -> WorkbookError {
    WorkbookError::Unreadable(format!("the .xlsx file's zip archive is damaged ({error})"))
}

impl<'b> Package<'b> {
    fn open(bytes: &'b [u8]) -> Result<Package<'b>, WorkbookError> {
        let archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_damaged)?;
        if archive.len() > MAX_ZIP_ENTRIES {
            return Err(WorkbookError::PartTooLarge {
                part: "the zip archive".into(),
                what: format!(
                    "it holds {} parts, more than the {MAX_ZIP_ENTRIES} a workbook has: the file is damaged",
                    archive.len()
                ),
            });
        }
        let mut names = HashMap::with_capacity(archive.len());
        for index in 0..archive.len() {
            if let Some(Ok(name)) = archive.name_for_index(index) {
                names
                    .entry(name.replace('\\', "/").to_ascii_lowercase())
                    .or_insert(index);
            }
        }
        Ok(Package { archive, names })
    }

    fn has(&self, name: &str) -> bool {
        self.names.contains_key(&name.to_ascii_lowercase())
    }

    /// Part `name` as XML events; `None` when the archive lacks it.
    fn part(&mut self, name: &str, limit: u64) -> Result<Option<Part<'_>>, WorkbookError> {
        let Some(&index) = self.names.get(&name.to_ascii_lowercase()) else {
            return Ok(None);
        };
        let file = self.archive.by_index(index).map_err(|error| {
            WorkbookError::Unreadable(format!(
                "part {name} of the .xlsx file cannot be opened ({error})"
            ))
        })?;
        let meter = Rc::new(Meter::default());
        let metered = Metered {
            inner: Box::new(file) as Box<dyn Read + '_>,
            meter: Rc::clone(&meter),
            limit,
        };
        let mut reader =
            quick_xml::Reader::from_reader(BufReader::with_capacity(BUFFER_BYTES, metered));
        let config = reader.config_mut();
        config.trim_text(false);
        config.expand_empty_elements = false;
        config.check_end_names = false;
        config.check_comments = false;
        Ok(Some(Part {
            reader,
            meter,
            name: name.to_string(),
            limit,
        }))
    }
}

/// `target` of a relationship of part `source`, as a part name: relative
/// to the source's folder, `..` and `.` resolved; `/` at the start is the
/// package's root.
fn resolve(source: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        let folder = source.rfind('/').map_or("", |at| &source[..at]);
        folder.split('/').filter(|part| !part.is_empty()).collect()
    };
    for piece in target.split('/') {
        match piece {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            piece => parts.push(piece),
        }
    }
    parts.join("/")
}

/// The relationships part of part `source`: `xl/workbook.xml` →
/// `xl/_rels/workbook.xml.rels`.
fn relationships_of(source: &str) -> String {
    match source.rfind('/') {
        Some(at) => format!("{}/_rels/{}.rels", &source[..at], &source[at + 1..]),
        None => format!("_rels/{source}.rels"),
    }
}

/// A relationship: its target part and the last word of its type
/// (`worksheet`, `sharedStrings`, `officeDocument`…).
struct Relationship {
    target: String,
    kind: String,
}

fn read_relationships(
    package: &mut Package<'_>,
    name: &str,
    source: &str,
) -> Result<Option<HashMap<String, Relationship>>, WorkbookError> {
    let Some(mut part) = package.part(name, MAX_SMALL_PART_BYTES)? else {
        return Ok(None);
    };
    let mut buffer = Vec::new();
    let mut relationships = HashMap::new();
    loop {
        match part.next(&mut buffer)? {
            Event::Start(start) | Event::Empty(start)
                if start.local_name().as_ref() == "Relationship" =>
            {
                if relationships.len() >= MAX_ZIP_ENTRIES {
                    return Err(
                        part.damaged("it holds more relationships than the archive has parts")
                    );
                }
                let field = |key| attribute(&start, key).map_err(|error| part.damaged(error));
                let (Some(id), Some(target)) = (field("Id")?, field("Target")?) else {
                    continue;
                };
                if field("TargetMode")?.as_deref() == Some("External") {
                    continue;
                }
                let kind = field("Type")?.unwrap_or_default();
                let kind = kind.rsplit('/').next().unwrap_or_default().to_string();
                relationships.insert(
                    id,
                    Relationship {
                        target: resolve(source, &target),
                        kind,
                    },
                );
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(Some(relationships))
}

struct SheetEntry {
    name: String,
    visibility: Visibility,
    relationship: String,
}

struct WorkbookPart {
    sheets: Vec<SheetEntry>,
    is_1904: bool,
}

fn read_workbook_part(
    package: &mut Package<'_>,
    name: &str,
) -> Result<WorkbookPart, WorkbookError> {
    let Some(mut part) = package.part(name, MAX_SMALL_PART_BYTES)? else {
        return Err(WorkbookError::Unreadable(format!(
            "the .xlsx file has no workbook part ({name})"
        )));
    };
    let mut buffer = Vec::new();
    let mut workbook = WorkbookPart {
        sheets: Vec::new(),
        is_1904: false,
    };
    loop {
        match part.next(&mut buffer)? {
            Event::Start(start) | Event::Empty(start) => match start.local_name().as_ref() {
                "sheet" => {
                    if workbook.sheets.len() >= MAX_SHEETS {
                        return Err(WorkbookError::PartTooLarge {
                            part: name.to_string(),
                            what: format!(
                                "it lists more than {MAX_SHEETS} sheets: the file is damaged"
                            ),
                        });
                    }
                    let mut name = None;
                    let mut visibility = Visibility::Visible;
                    let mut relationship = None;
                    for attribute in start.attributes().with_checks(false) {
                        let attribute = attribute.map_err(|error| part.damaged(error))?;
                        let value =
                            || unescaped(&attribute.value).map_err(|error| part.damaged(error));
                        match attribute.key.as_ref() {
                            "name" => name = Some(value()?),
                            "state" => {
                                visibility = match &*value()? {
                                    "visible" => Visibility::Visible,
                                    "hidden" => Visibility::Hidden,
                                    "veryHidden" => Visibility::VeryHidden,
                                    other => {
                                        return Err(part.damaged(format!(
                                    "a sheet's state is {:?}, not visible, hidden or veryHidden",
                                    crate::error::excerpt(other)
                                )))
                                    }
                                }
                            }
                            _ if attribute.key.local_name().as_ref() == "id" => {
                                relationship = Some(value()?)
                            }
                            _ => {}
                        }
                    }
                    let name = name.unwrap_or_default();
                    if name.len() > MAX_SHEET_NAME_BYTES {
                        return Err(part.damaged(format!(
                            "a sheet's name is longer than {MAX_SHEET_NAME_BYTES} bytes"
                        )));
                    }
                    let Some(relationship) = relationship else {
                        return Err(part.damaged(format!(
                            "sheet {:?} names no part",
                            crate::error::excerpt(&name)
                        )));
                    };
                    workbook.sheets.push(SheetEntry {
                        name,
                        visibility,
                        relationship,
                    });
                }
                "workbookPr" => {
                    if let Some(value) =
                        attribute(&start, "date1904").map_err(|error| part.damaged(error))?
                    {
                        workbook.is_1904 = value == "1" || value == "true";
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(workbook)
}

/// Each cell format's number format, in `cellXfs` order.
fn read_styles(package: &mut Package<'_>, name: &str) -> Result<Vec<NumberFormat>, WorkbookError> {
    let Some(mut part) = package.part(name, MAX_SMALL_PART_BYTES)? else {
        return Ok(Vec::new());
    };
    let mut buffer = Vec::new();
    let mut custom: HashMap<u32, NumberFormat> = HashMap::new();
    let mut formats = Vec::new();
    let mut in_cell_formats = false;
    let mut in_number_formats = false;
    loop {
        let event = part.next(&mut buffer)?;
        let opens = matches!(event, Event::Start(_));
        match event {
            Event::Start(start) | Event::Empty(start) => match start.local_name().as_ref() {
                "numFmts" => in_number_formats = opens,
                // A differential format's `<numFmt>` (in `<dxfs>`) is not
                // one of the workbook's number formats.
                "numFmt" if in_number_formats => {
                    let field = |key| attribute(&start, key).map_err(|error| part.damaged(error));
                    if let (Some(id), Some(code)) = (field("numFmtId")?, field("formatCode")?) {
                        if custom.len() >= MAX_STYLES {
                            return Err(part
                                .damaged(format!("it has more than {MAX_STYLES} number formats")));
                        }
                        if let Ok(id) = id.parse::<u32>() {
                            custom.insert(id, custom_format(&code));
                        }
                    }
                }
                // `<cellXfs/>` is an empty list.
                "cellXfs" => in_cell_formats = opens,
                "xf" if in_cell_formats => {
                    if formats.len() >= MAX_STYLES {
                        return Err(
                            part.damaged(format!("it has more than {MAX_STYLES} cell formats"))
                        );
                    }
                    let id = attribute(&start, "numFmtId").map_err(|error| part.damaged(error))?;
                    formats.push(match id {
                        None => NumberFormat::Plain,
                        Some(id) => match id.parse::<u32>() {
                            Ok(id) => custom
                                .get(&id)
                                .copied()
                                .unwrap_or_else(|| builtin_format(id)),
                            Err(_) => NumberFormat::Plain,
                        },
                    });
                }
                _ => {}
            },
            Event::End(end) => match end.local_name().as_ref() {
                "cellXfs" => in_cell_formats = false,
                "numFmts" => in_number_formats = false,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(formats)
}

/// Reads a string item (`<si>`, `<is>`) to its end tag `closing`, as
/// calamine reads one: the text of every `<t>` outside a phonetic run
/// (`<rPh>`), each trimmed of ASCII white space unless it keeps its space
/// (`xml:space="preserve"`), `_xHHHH_` escapes decoded, appended to `out`.
fn read_string_item(
    part: &mut Part<'_>,
    buffer: &mut Vec<u8>,
    piece: &mut String,
    closing: &str,
    out: &mut Vec<u8>,
) -> Result<(), WorkbookError> {
    let start_bytes = out.len();
    let mut phonetic = 0usize;
    loop {
        match part.next(buffer)? {
            Event::Start(start) => match start.local_name().as_ref() {
                "rPh" => phonetic += 1,
                "t" if phonetic == 0 => {
                    let preserve = attribute(&start, "xml:space")
                        .map_err(|error| part.damaged(error))?
                        .as_deref()
                        == Some("preserve");
                    piece.clear();
                    loop {
                        match part.next(buffer)? {
                            Event::Text(text) => piece.push_str(&text.xml10_content()),
                            Event::CData(text) => piece.push_str(&text.xml10_content()),
                            Event::GeneralRef(reference) => push_reference(&reference, piece)
                                .map_err(|error| part.damaged(error))?,
                            Event::End(end) if end.local_name().as_ref() == "t" => break,
                            Event::Eof => return Err(part.damaged("it ends inside a text")),
                            _ => {}
                        }
                        if piece.len() > MAX_STRING_BYTES {
                            return Err(long_text(part));
                        }
                    }
                    let text = if preserve {
                        piece.as_str()
                    } else {
                        piece.trim_matches([' ', '\t', '\r', '\n'])
                    };
                    unescape_into(text, out);
                    if out.len() - start_bytes > MAX_STRING_BYTES {
                        return Err(long_text(part));
                    }
                }
                _ => {}
            },
            Event::End(end) => match end.local_name().as_ref() {
                "rPh" => phonetic = phonetic.saturating_sub(1),
                name if name == closing => return Ok(()),
                _ => {}
            },
            Event::Eof => return Err(part.damaged("it ends inside a text")),
            _ => {}
        }
    }
}

fn long_text(part: &Part<'_>) -> WorkbookError {
    part.damaged(format!(
        "it holds a text of more than {MAX_STRING_BYTES} bytes, longer than the 32,767 characters a cell of Excel holds"
    ))
}

/// The shared strings, appended to the workbook's text: their places.
fn read_shared_strings(
    package: &mut Package<'_>,
    name: &str,
    builder: &mut Builder,
) -> Result<Vec<(u32, u32)>, WorkbookError> {
    let Some(mut part) = package.part(name, MAX_SHARED_STRINGS_PART_BYTES)? else {
        return Ok(Vec::new());
    };
    let mut buffer = Vec::new();
    let mut piece = String::new();
    // Never reserved from the part's `count` or `uniqueCount`.
    let mut strings = Vec::new();
    let start_bytes = builder.workbook.text.len();
    loop {
        match part.next(&mut buffer)? {
            Event::Start(start) if start.local_name().as_ref() == "si" => {
                if strings.len() >= MAX_SHARED_STRINGS {
                    return Err(WorkbookError::PartTooLarge {
                        part: part.name.clone(),
                        what: format!("it holds more than {MAX_SHARED_STRINGS} texts, more than duizhang reads; save the sheet as CSV UTF-8 instead"),
                    });
                }
                let start = builder.workbook.text.len();
                read_string_item(
                    &mut part,
                    &mut buffer,
                    &mut piece,
                    "si",
                    &mut builder.workbook.text,
                )?;
                if builder.workbook.text.len() - start_bytes > MAX_SHARED_STRINGS_BYTES {
                    return Err(WorkbookError::PartTooLarge {
                        part: part.name.clone(),
                        what: format!("its texts hold more than {MAX_SHARED_STRINGS_BYTES} bytes, more than duizhang reads; save the sheet as CSV UTF-8 instead"),
                    });
                }
                strings.push((start as u32, builder.workbook.text.len() as u32));
            }
            Event::Empty(start) if start.local_name().as_ref() == "si" => {
                if strings.len() >= MAX_SHARED_STRINGS {
                    return Err(WorkbookError::PartTooLarge {
                        part: part.name.clone(),
                        what: format!("it holds more than {MAX_SHARED_STRINGS} texts, more than duizhang reads; save the sheet as CSV UTF-8 instead"),
                    });
                }
                strings.push((0, 0));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(strings)
}

pub fn read(bytes: &[u8]) -> Result<Workbook, WorkbookError> {
    let mut package = Package::open(bytes)?;
    let Some(root) = read_relationships(&mut package, "_rels/.rels", "")? else {
        if package.has("mimetype") && package.has("content.xml") {
            return Err(WorkbookError::Refused(
                "this is an OpenDocument spreadsheet (.ods), not an Excel workbook: open it in Excel, WPS or LibreOffice and save it as .xlsx, or save the sheet as CSV".into(),
            ));
        }
        return Err(WorkbookError::Unreadable(
            "the .xlsx file has no package relationships (_rels/.rels): it is a zip archive, but not a workbook".into(),
        ));
    };
    let mut documents: Vec<&Relationship> = root
        .values()
        .filter(|relationship| relationship.kind == "officeDocument")
        .collect();
    documents.sort_by(|a, b| a.target.cmp(&b.target));
    let Some(document) = documents
        .first()
        .map(|relationship| relationship.target.clone())
    else {
        return Err(WorkbookError::Unreadable(
            "the .xlsx file's package relationships name no workbook part".into(),
        ));
    };
    if document.to_ascii_lowercase().ends_with(".bin") {
        return Err(WorkbookError::Refused(
            "this is an Excel binary workbook (.xlsb), which duizhang does not read: open it in Excel or WPS and save it as .xlsx".into(),
        ));
    }
    let relationships = read_relationships(&mut package, &relationships_of(&document), &document)?
        .unwrap_or_default();
    let workbook_part = read_workbook_part(&mut package, &document)?;
    let folder = document
        .rfind('/')
        .map_or("", |at| &document[..=at])
        .to_string();
    let part_of = |kind: &str, default: &str| {
        let mut named: Vec<&String> = relationships
            .values()
            .filter(|relationship| relationship.kind == kind)
            .map(|relationship| &relationship.target)
            .collect();
        named.sort();
        named
            .first()
            .map_or_else(|| format!("{folder}{default}"), |target| (*target).clone())
    };
    let styles = part_of("styles", "styles.xml");
    let shared_strings = part_of("sharedStrings", "sharedStrings.xml");
    let formats = read_styles(&mut package, &styles)?;
    let mut builder = Builder::default();
    let strings = read_shared_strings(&mut package, &shared_strings, &mut builder)?;
    let context = Context {
        strings,
        formats,
        is_1904: workbook_part.is_1904,
    };
    for sheet in workbook_part.sheets {
        let Some(relationship) = relationships.get(&sheet.relationship) else {
            return Err(WorkbookError::Unreadable(format!(
                "sheet {:?} names relationship {:?}, which {} lacks",
                crate::error::excerpt(&sheet.name),
                crate::error::excerpt(&sheet.relationship),
                relationships_of(&document)
            )));
        };
        let kind = match relationship.kind.as_str() {
            "worksheet" => SheetKind::Worksheet,
            "chartsheet" => SheetKind::Chart,
            "dialogsheet" => SheetKind::Dialog,
            "macrosheet" | "xlIntlMacrosheet" | "xlMacrosheet" => SheetKind::Macro,
            other => {
                return Err(WorkbookError::Unreadable(format!(
                    "sheet {:?} is of an unknown type ({:?})",
                    crate::error::excerpt(&sheet.name),
                    crate::error::excerpt(other)
                )))
            }
        };
        if kind != SheetKind::Worksheet {
            builder.end_sheet(sheet.name, sheet.visibility, kind, Vec::new());
            continue;
        }
        let target = relationship.target.clone();
        let Some(part) = package.part(&target, MAX_SHEET_PART_BYTES)? else {
            return Err(WorkbookError::Unreadable(format!(
                "sheet {:?} is missing from the .xlsx file (its part {target} is not in the archive)",
                crate::error::excerpt(&sheet.name)
            )));
        };
        let merged = SheetReader {
            part,
            context: &context,
            builder: &mut builder,
            sheet: &sheet.name,
            buffer: Vec::with_capacity(1024),
            value: String::new(),
            piece: String::new(),
            constants: Constants::default(),
        }
        .read()?;
        builder.end_sheet(sheet.name, sheet.visibility, kind, merged);
    }
    Ok(builder.workbook)
}

/// A cell's value: its text's place and its kind.
type Value = ((u32, u32), CellKind);

/// What every sheet's cells are read with.
struct Context {
    /// The shared strings' places in the workbook's text.
    strings: Vec<(u32, u32)>,
    formats: Vec<NumberFormat>,
    is_1904: bool,
}

/// Places of texts many cells hold, written once.
#[derive(Default)]
struct Constants {
    truth: Option<(u32, u32)>,
    falsehood: Option<(u32, u32)>,
}

struct SheetReader<'p, 'c> {
    part: Part<'p>,
    context: &'c Context,
    builder: &'c mut Builder,
    sheet: &'c str,
    buffer: Vec<u8>,
    /// A cell's `<v>`.
    value: String,
    /// A `<t>` being read.
    piece: String,
    constants: Constants,
}

/// A cell's attributes.
struct CellTag {
    /// 1-based row and 0-based column, from `r`.
    place: Option<(u32, u32)>,
    style: Option<usize>,
    kind: CellType,
    /// The cell said `t="n"`, rather than giving no type.
    typed: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CellType {
    Number,
    Shared,
    Bool,
    Error,
    Date,
    FormulaText,
    Inline,
}

/// A cell reference (`B7`): 1-based row, 0-based column; `None` past
/// Excel's columns or with no row.
fn cell_reference(reference: &[u8]) -> Option<(u64, u32)> {
    let letters = reference
        .iter()
        .take_while(|byte| byte.is_ascii_alphabetic())
        .count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let mut column = 0u32;
    for &letter in &reference[..letters] {
        column = column * 26 + u32::from(letter.to_ascii_uppercase() - b'A') + 1;
    }
    let row = row_number(&reference[letters..])?;
    (column <= EXCEL_COLUMNS).then_some((row, column - 1))
}

/// A row number: 1 to 10 digits, not 0.
fn row_number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let row = digits
        .iter()
        .fold(0u64, |row, &digit| row * 10 + u64::from(digit - b'0'));
    (row >= 1).then_some(row)
}

impl SheetReader<'_, '_> {
    fn damaged(&self, row: u64, column: u64, what: String) -> WorkbookError {
        WorkbookError::Damaged {
            sheet: self.sheet.to_string(),
            row,
            column,
            what,
        }
    }

    /// Reads the sheet's rows into the builder; returns its merged ranges.
    fn read(mut self) -> Result<Vec<MergedRange>, WorkbookError> {
        let mut merged = Vec::new();
        loop {
            let mut buffer = std::mem::take(&mut self.buffer);
            let event = self.part.next(&mut buffer)?;
            let in_data = match event {
                Event::Start(start) if start.local_name().as_ref() == "sheetData" => true,
                Event::Start(start) | Event::Empty(start)
                    if start.local_name().as_ref() == "mergeCell" =>
                {
                    let reference =
                        attribute(&start, "ref").map_err(|error| self.part.damaged(error))?;
                    merged.push(
                        self.merged_range(reference.as_deref().unwrap_or_default(), merged.len())?,
                    );
                    false
                }
                Event::Eof => {
                    self.buffer = buffer;
                    break;
                }
                _ => false,
            };
            self.buffer = buffer;
            if in_data {
                self.read_rows()?;
            }
        }
        Ok(merged)
    }

    fn merged_range(&self, reference: &str, count: usize) -> Result<MergedRange, WorkbookError> {
        if count >= MAX_MERGED_RANGES {
            return Err(self.damaged(0, 0, format!("the sheet has more than {MAX_MERGED_RANGES} merged ranges, more than duizhang reads")));
        }
        let (first, last) = reference.split_once(':').unwrap_or((reference, reference));
        let (first, last) = (
            cell_reference(first.as_bytes()),
            cell_reference(last.as_bytes()),
        );
        match (first, last) {
            (Some((first_row, first_column)), Some((last_row, last_column)))
                if first_row <= last_row && first_column <= last_column && last_row <= u64::from(MAX_SHEET_ROWS) =>
            {
                Ok(MergedRange {
                    first_row: first_row as u32,
                    last_row: last_row as u32,
                    first_column,
                    last_column,
                })
            }
            _ => Err(self.damaged(
                first.map_or(0, |(row, _)| row),
                0,
                format!(
                    "the merged range {:?} is not a range of a sheet: the file is damaged; open it in Excel or WPS and save it again",
                    crate::error::excerpt(reference)
                ),
            )),
        }
    }

    /// Reads `<sheetData>` to its end.
    fn read_rows(&mut self) -> Result<(), WorkbookError> {
        // The row being read (1-based), and the last row begun.
        let mut row: Option<u32> = None;
        let mut last_row = 0u32;
        let mut column = 0u32;
        let mut elements = 0u64;
        loop {
            let mut buffer = std::mem::take(&mut self.buffer);
            let event = self.part.next(&mut buffer)?;
            let (start, empty) = match event {
                Event::Start(start) => (start, false),
                Event::Empty(start) => (start, true),
                Event::End(end) => {
                    match end.local_name().as_ref() {
                        "row" => {
                            if let Some(line) = row.take() {
                                self.builder.end_row(self.sheet, line)?;
                            }
                        }
                        "sheetData" => {
                            self.buffer = buffer;
                            if let Some(line) = row.take() {
                                self.builder.end_row(self.sheet, line)?;
                            }
                            return Ok(());
                        }
                        _ => {}
                    }
                    self.buffer = buffer;
                    continue;
                }
                Event::Eof => return Err(self.part.damaged("it ends inside <sheetData>")),
                _ => {
                    self.buffer = buffer;
                    continue;
                }
            };
            match start.local_name().as_ref() {
                "row" => {
                    if let Some(line) = row.take() {
                        self.builder.end_row(self.sheet, line)?;
                    }
                    let line = match attribute(&start, "r").map_err(|error| self.part.damaged(error))? {
                        Some(number) => row_number(number.as_bytes()).ok_or_else(|| {
                            self.damaged(
                                u64::from(last_row) + 1,
                                0,
                                format!(
                                    "a row is numbered {:?}, which is no row number: the file is damaged; open it in Excel or WPS and save it again",
                                    crate::error::excerpt(&number)
                                ),
                            )
                        })?,
                        None => u64::from(last_row) + 1,
                    };
                    if line > u64::from(MAX_SHEET_ROWS) {
                        return Err(WorkbookError::TooLarge {
                            sheet: self.sheet.to_string(),
                            row: line,
                            column: 1,
                            what: format!("a row numbered {line}, past the {MAX_SHEET_ROWS} rows a sheet may have"),
                        });
                    }
                    let line = line as u32;
                    if line <= last_row {
                        let what = if line == last_row {
                            format!("row {line} is given twice in the sheet, so which values it holds cannot be known; the file was not saved by Excel or WPS: open it in Excel or WPS and save it again")
                        } else {
                            format!("row {line} comes after row {last_row}: the sheet's rows are out of order, so the file was not saved by Excel or WPS; open it in Excel or WPS and save it again")
                        };
                        return Err(self.damaged(u64::from(line), 0, what));
                    }
                    last_row = line;
                    column = 0;
                    if !empty {
                        row = Some(line);
                    }
                }
                "c" => {
                    elements += 1;
                    if elements > MAX_SHEET_CELL_ELEMENTS {
                        return Err(WorkbookError::TooLarge {
                            sheet: self.sheet.to_string(),
                            row: u64::from(row.unwrap_or(last_row)),
                            column: u64::from(column) + 1,
                            what: format!(
                                "the sheet has more than {MAX_SHEET_CELL_ELEMENTS} cells (empty ones counted), more than duizhang reads; delete the empty cells, or save the sheet as CSV UTF-8"
                            ),
                        });
                    }
                    let tag = self.cell_tag(&start, row.unwrap_or(last_row))?;
                    let Some(line) = row else {
                        return Err(self.damaged(u64::from(last_row), 0, "a cell stands outside any row: the file is damaged; open it in Excel or WPS and save it again".into()));
                    };
                    if let Some((at_row, at_column)) = tag.place {
                        if at_row != line {
                            return Err(self.damaged(
                                u64::from(line),
                                u64::from(at_column) + 1,
                                format!(
                                    "cell {}{at_row} stands inside row {line}: the file is damaged; open it in Excel or WPS and save it again",
                                    column_letters(at_column)
                                ),
                            ));
                        }
                        column = at_column;
                    }
                    if column >= EXCEL_COLUMNS {
                        return Err(self.damaged(u64::from(line), 0, format!("a cell of row {line} stands past column XFD, the last a sheet has: the file is damaged")));
                    }
                    self.buffer = buffer;
                    if !empty {
                        self.read_cell(&tag, line, column)?;
                    }
                    column += 1;
                    continue;
                }
                _ => {
                    if !empty {
                        let name = start.local_name().as_ref().to_string();
                        self.buffer = buffer;
                        let mut buffer = std::mem::take(&mut self.buffer);
                        self.part.skip(&mut buffer, &name)?;
                        self.buffer = buffer;
                        continue;
                    }
                }
            }
            self.buffer = buffer;
        }
    }

    fn cell_tag(&self, start: &BytesStart<'_>, line: u32) -> Result<CellTag, WorkbookError> {
        let mut tag = CellTag {
            place: None,
            style: None,
            kind: CellType::Number,
            typed: false,
        };
        for attribute in start.attributes().with_checks(false) {
            let attribute = attribute.map_err(|error| self.part.damaged(error))?;
            match attribute.key.as_ref() {
                "r" => {
                    let (row, column) = cell_reference(attribute.value.as_bytes()).ok_or_else(|| {
                        self.damaged(
                            u64::from(line),
                            0,
                            format!(
                                "{:?} is not a cell of a sheet: the file is damaged; open it in Excel or WPS and save it again",
                                crate::error::excerpt(&attribute.value)
                            ),
                        )
                    })?;
                    let row = u32::try_from(row).unwrap_or(u32::MAX);
                    tag.place = Some((row, column));
                }
                // As calamine: a style that is no number is style 0.
                "s" => tag.style = Some(attribute.value.parse().unwrap_or(0)),
                "t" => {
                    tag.typed = true;
                    tag.kind = match &*attribute.value {
                        "n" => CellType::Number,
                        "s" => CellType::Shared,
                        "b" => CellType::Bool,
                        "e" => CellType::Error,
                        "d" => CellType::Date,
                        "str" => CellType::FormulaText,
                        "inlineStr" | "is" => CellType::Inline,
                        other => {
                            return Err(self.damaged(
                                u64::from(line),
                                0,
                                format!("a cell's type is {:?}, which Excel does not have: the file is damaged", crate::error::excerpt(other)),
                            ))
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(tag)
    }

    /// Reads a cell's children to `</c>` and adds its value.
    fn read_cell(&mut self, tag: &CellTag, line: u32, column: u32) -> Result<(), WorkbookError> {
        let mut formula = false;
        let mut has_value = false;
        let mut inline: Option<(u32, u32)> = None;
        self.value.clear();
        loop {
            let mut buffer = std::mem::take(&mut self.buffer);
            let event = self.part.next(&mut buffer)?;
            match event {
                Event::Start(start) => match start.local_name().as_ref() {
                    "v" => {
                        has_value = true;
                        self.buffer = buffer;
                        self.read_value()?;
                        continue;
                    }
                    "f" => {
                        formula = true;
                        self.part.skip(&mut buffer, "f")?;
                    }
                    "is" => {
                        let start_bytes = self.builder.workbook.text.len();
                        read_string_item(
                            &mut self.part,
                            &mut buffer,
                            &mut self.piece,
                            "is",
                            &mut self.builder.workbook.text,
                        )?;
                        inline = Some(self.builder.text_written(start_bytes, self.sheet, line)?);
                    }
                    name => {
                        let name = name.to_string();
                        self.part.skip(&mut buffer, &name)?;
                    }
                },
                Event::Empty(start) => match start.local_name().as_ref() {
                    "v" => has_value = true,
                    "f" => formula = true,
                    "is" => inline = Some((0, 0)),
                    _ => {}
                },
                Event::End(end) if end.local_name().as_ref() == "c" => {
                    self.buffer = buffer;
                    break;
                }
                Event::Eof => return Err(self.part.damaged("it ends inside a cell")),
                _ => {}
            }
            self.buffer = buffer;
        }
        let value = if let Some(place) = inline {
            Some((place, CellKind::Text))
        } else if has_value && tag.kind != CellType::Inline {
            self.value_of(tag, line, column)?
        } else {
            None
        };
        let (place, kind) = match value {
            Some(value) => value,
            None if formula => ((0, 0), CellKind::NoValue),
            None => return Ok(()),
        };
        self.builder.cell(self.sheet, line, column, place, kind)
    }

    /// Reads `<v>`'s text (entities decoded) into `value`.
    fn read_value(&mut self) -> Result<(), WorkbookError> {
        let mut buffer = std::mem::take(&mut self.buffer);
        loop {
            match self.part.next(&mut buffer)? {
                Event::Text(text) => self.value.push_str(&text.xml10_content()),
                Event::CData(text) => self.value.push_str(&text.xml10_content()),
                Event::GeneralRef(reference) => push_reference(&reference, &mut self.value)
                    .map_err(|error| self.part.damaged(error))?,
                Event::End(end) if end.local_name().as_ref() == "v" => break,
                Event::Eof => return Err(self.part.damaged("it ends inside a value")),
                _ => {}
            }
            if self.value.len() > MAX_STRING_BYTES {
                return Err(long_text(&self.part));
            }
        }
        self.buffer = buffer;
        Ok(())
    }

    /// The cell's value from its `<v>` and type; `None` when it holds none.
    fn value_of(
        &mut self,
        tag: &CellTag,
        line: u32,
        column: u32,
    ) -> Result<Option<Value>, WorkbookError> {
        let value = self.value.as_str();
        let at = || format!("cell {}{line}", column_letters(column));
        Ok(Some(match tag.kind {
            CellType::Shared => {
                if value.is_empty() {
                    return Ok(None);
                }
                let index = value.parse::<usize>().ok();
                let Some(&place) = index.and_then(|index| self.context.strings.get(index)) else {
                    return Err(self.damaged(
                        u64::from(line),
                        u64::from(column) + 1,
                        format!(
                            "{} refers to shared text {:?}, but the workbook has {} shared texts: the file is damaged; open it in Excel or WPS and save it again",
                            at(),
                            crate::error::excerpt(value),
                            self.context.strings.len()
                        ),
                    ));
                };
                (place, CellKind::Text)
            }
            CellType::Bool => {
                let truth = match value.trim() {
                    "" => return Ok(None),
                    "1" => true,
                    "0" => false,
                    other if other.eq_ignore_ascii_case("true") => true,
                    other if other.eq_ignore_ascii_case("false") => false,
                    other => {
                        return Err(self.damaged(
                            u64::from(line),
                            u64::from(column) + 1,
                            format!(
                                "{} is a TRUE/FALSE cell holding {:?}: the file is damaged",
                                at(),
                                crate::error::excerpt(other)
                            ),
                        ))
                    }
                };
                (self.constant(truth, line)?, CellKind::Bool)
            }
            CellType::Error => {
                let value = self.value.clone();
                (
                    self.builder.text(value.as_bytes(), self.sheet, line)?,
                    CellKind::Error,
                )
            }
            CellType::Date => {
                let value = self.value.clone();
                match value.get(..10).and_then(Date::parse) {
                    Some(date) => (
                        self.builder
                            .text(date.to_string().as_bytes(), self.sheet, line)?,
                        CellKind::Date,
                    ),
                    None => (
                        self.builder.text(value.as_bytes(), self.sheet, line)?,
                        CellKind::NotADate,
                    ),
                }
            }
            CellType::FormulaText => {
                let start = self.builder.workbook.text.len();
                unescape_into(&self.value, &mut self.builder.workbook.text);
                (
                    self.builder.text_written(start, self.sheet, line)?,
                    CellKind::Text,
                )
            }
            CellType::Inline => return Ok(None),
            CellType::Number => {
                if value.is_empty() {
                    return Ok(None);
                }
                match value.parse::<f64>() {
                    Ok(number_value) => {
                        let format = match tag.style {
                            None => Some(NumberFormat::Plain),
                            Some(style) => self.context.formats.get(style).copied(),
                        }
                        .unwrap_or_default();
                        let start = self.builder.workbook.text.len();
                        let kind = number(
                            number_value,
                            format,
                            self.context.is_1904,
                            &mut self.builder.workbook.text,
                        );
                        (self.builder.text_written(start, self.sheet, line)?, kind)
                    }
                    // A value that is no number, in a cell of no type, is
                    // its text (calamine); with `t="n"` it is damage.
                    Err(_) if !tag.typed => {
                        let value = self.value.clone();
                        (
                            self.builder.text(value.as_bytes(), self.sheet, line)?,
                            CellKind::Text,
                        )
                    }
                    Err(_) => {
                        return Err(self.damaged(
                            u64::from(line),
                            u64::from(column) + 1,
                            format!(
                                "{} is a number cell holding {:?}: the file is damaged",
                                at(),
                                crate::error::excerpt(value)
                            ),
                        ))
                    }
                }
            }
        }))
    }

    /// `TRUE` or `FALSE`, written once.
    fn constant(&mut self, truth: bool, line: u32) -> Result<(u32, u32), WorkbookError> {
        let slot = if truth {
            self.constants.truth
        } else {
            self.constants.falsehood
        };
        if let Some(place) = slot {
            return Ok(place);
        }
        let place = self
            .builder
            .text(if truth { b"TRUE" } else { b"FALSE" }, self.sheet, line)?;
        if truth {
            self.constants.truth = Some(place);
        } else {
            self.constants.falsehood = Some(place);
        }
        Ok(place)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in parts {
            writer
                .start_file(*name, zip::write::SimpleFileOptions::default())
                .expect("starts a part");
            std::io::Write::write_all(&mut writer, data).expect("writes");
        }
        writer.finish().expect("finishes").into_inner()
    }

    fn read_all(package: &mut Package<'_>, name: &str, limit: u64) -> Result<usize, WorkbookError> {
        let mut part = package.part(name, limit)?.expect("the part");
        let mut buffer = Vec::new();
        let mut events = 0;
        while !matches!(part.next(&mut buffer)?, Event::Eof) {
            events += 1;
        }
        Ok(events)
    }

    #[test]
    fn a_part_past_its_limit_stops_the_read_naming_the_part() {
        let xml = format!("<a>{}</a>", "<b/>".repeat(100_000));
        let bytes = archive(&[("xl/big.xml", xml.as_bytes())]);
        let mut package = Package::open(&bytes).expect("opens");
        assert_eq!(
            read_all(&mut package, "xl/big.xml", 1 << 20).expect("reads"),
            100_002
        );
        match read_all(&mut package, "XL/BIG.XML", 100_000) {
            Err(WorkbookError::PartTooLarge { part, what }) => {
                assert_eq!(part, "XL/BIG.XML");
                assert!(
                    what.starts_with("it inflates to more than 100000 bytes"),
                    "{what}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn relationship_targets_resolve_as_part_names() {
        assert_eq!(
            resolve("xl/workbook.xml", "worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(
            resolve("xl/workbook.xml", "/xl/worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(
            resolve("xl/workbook.xml", "../xl/./sheet.xml"),
            "xl/sheet.xml"
        );
        assert_eq!(resolve("", "xl/workbook.xml"), "xl/workbook.xml");
        assert_eq!(
            relationships_of("xl/workbook.xml"),
            "xl/_rels/workbook.xml.rels"
        );
        assert_eq!(relationships_of("book.xml"), "_rels/book.xml.rels");
    }

    #[test]
    fn cell_references_are_bounded_by_excel() {
        assert_eq!(cell_reference(b"A1"), Some((1, 0)));
        assert_eq!(cell_reference(b"xfd1048576"), Some((1_048_576, 16_383)));
        assert_eq!(cell_reference(b"XFE1"), None);
        assert_eq!(cell_reference(b"AAAA1"), None);
        assert_eq!(cell_reference(b"A0"), None);
        assert_eq!(cell_reference(b"A"), None);
        assert_eq!(cell_reference(b"1"), None);
        assert_eq!(cell_reference(b"A12345678901"), None);
    }
}

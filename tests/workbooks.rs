//! The workbook readers (src/read/workbook/): every workbook under
//! fixtures/ and workbooks made here read cell for cell as calamine 0.38
//! read them (the reader they replace, kept as a dev-dependency for this
//! comparison); hostile workbooks, built here, are refused with a clear
//! error quickly and within bounds; the new information (visibility,
//! merged ranges, formulas without a saved value) is there.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use calamine::Reader;
use common::repository;
use duizhang::domain::Format;
use duizhang::read::workbook::{self, CellKind, MergedRange, SheetKind, Visibility, WorkbookError};

type Cells = Vec<(String, Vec<(u32, Vec<(String, CellKind)>)>)>;

// ---------------------------------------------------------------------
// calamine, as src/read/sheet.rs used it before our readers

fn calamine_number(value: f64) -> (String, CellKind) {
    if value.is_finite() {
        (format!("{value}"), CellKind::Number)
    } else {
        (format!("{value}"), CellKind::Error)
    }
}

fn calamine_date(value: &calamine::ExcelDateTime) -> (String, CellKind) {
    if value.is_duration() || !value.as_f64().is_finite() {
        return (format!("{}", value.as_f64()), CellKind::NotADate);
    }
    let serial = value.as_f64();
    if !(0.0..2_958_466.0).contains(&serial) {
        return (format!("{serial}"), CellKind::NotADate);
    }
    let (year, month, day, ..) = value.to_ymd_hms_milli();
    match duizhang::domain::Date::from_ymd(u32::from(year), u32::from(month), u32::from(day)) {
        Some(date) => (date.to_string(), CellKind::Date),
        None => (format!("{serial}"), CellKind::NotADate),
    }
}

fn calamine_data(value: &calamine::Data) -> Option<(String, CellKind)> {
    use calamine::Data;
    Some(match value {
        Data::Empty => return None,
        Data::String(text) => (text.clone(), CellKind::Text),
        Data::Int(value) => (value.to_string(), CellKind::Number),
        Data::Float(value) => calamine_number(*value),
        Data::Bool(value) => (
            (if *value { "TRUE" } else { "FALSE" }).to_string(),
            CellKind::Bool,
        ),
        Data::DateTime(value) => calamine_date(value),
        Data::DateTimeIso(text) => match text.get(..10).and_then(duizhang::domain::Date::parse) {
            Some(date) => (date.to_string(), CellKind::Date),
            None => (text.clone(), CellKind::NotADate),
        },
        Data::DurationIso(text) => (text.clone(), CellKind::NotADate),
        Data::Error(error) => (error.to_string(), CellKind::Error),
    })
}

fn calamine_ref(value: &calamine::DataRef<'_>) -> Option<(String, CellKind)> {
    use calamine::DataRef;
    let owned = match value {
        DataRef::Empty => calamine::Data::Empty,
        DataRef::String(text) => calamine::Data::String(text.clone()),
        DataRef::SharedString(text) => calamine::Data::String((*text).to_string()),
        DataRef::Int(value) => calamine::Data::Int(*value),
        DataRef::Float(value) => calamine::Data::Float(*value),
        DataRef::Bool(value) => calamine::Data::Bool(*value),
        DataRef::DateTime(value) => calamine::Data::DateTime(*value),
        DataRef::DateTimeIso(text) => calamine::Data::DateTimeIso(text.clone()),
        DataRef::DurationIso(text) => calamine::Data::DurationIso(text.clone()),
        DataRef::Error(error) => calamine::Data::Error(error.clone()),
    };
    calamine_data(&owned)
}

/// Rows of cells `(row, column, text, kind)`, as the old builder made
/// them: sorted, from column A to the row's last value.
fn rows_of(mut cells: Vec<(u32, u32, String, CellKind)>) -> Vec<(u32, Vec<(String, CellKind)>)> {
    cells.sort_by_key(|&(row, column, ..)| (row, column));
    let mut rows: Vec<(u32, Vec<(String, CellKind)>)> = Vec::new();
    for (row, column, text, kind) in cells {
        if rows.last().is_none_or(|last| last.0 != row + 1) {
            rows.push((row + 1, Vec::new()));
        }
        let cells = &mut rows.last_mut().expect("a row").1;
        while (cells.len() as u32) < column {
            cells.push((String::new(), CellKind::Text));
        }
        cells.push((text, kind));
    }
    rows
}

/// The worksheets' cells as calamine reads them, and the old reader's
/// limits on a value's place.
fn calamine_cells(bytes: &[u8]) -> Result<Cells, String> {
    let sheets = calamine_sheets(bytes)?;
    for (name, rows) in &sheets {
        for (line, cells) in rows {
            if *line > workbook::MAX_SHEET_ROWS
                || cells.len() > workbook::MAX_SHEET_COLUMNS as usize
            {
                return Err(format!("sheet {name} row {line}: past the limits"));
            }
        }
    }
    Ok(sheets)
}

fn calamine_sheets(bytes: &[u8]) -> Result<Cells, String> {
    let mut sheets = Vec::new();
    if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        let mut workbook =
            calamine::Xls::new(std::io::Cursor::new(bytes)).map_err(|error| error.to_string())?;
        let worksheets: Vec<String> = workbook
            .sheets_metadata()
            .iter()
            .filter(|sheet| sheet.typ == calamine::SheetType::WorkSheet)
            .map(|sheet| sheet.name.clone())
            .collect();
        for name in worksheets {
            let range = workbook
                .worksheet_range(&name)
                .map_err(|error| error.to_string())?;
            let (top, left) = range.start().unwrap_or((0, 0));
            let mut cells = Vec::new();
            for (row, column, value) in range.used_cells() {
                if let Some((text, kind)) = calamine_data(value) {
                    cells.push((top + row as u32, left + column as u32, text, kind));
                }
            }
            sheets.push((name, rows_of(cells)));
        }
    } else {
        let mut workbook =
            calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(|error| error.to_string())?;
        for name in workbook.sheet_names() {
            let mut reader = match workbook.worksheet_cells_reader(&name) {
                Ok(reader) => reader,
                Err(calamine::XlsxError::NotAWorksheet(_)) => continue,
                Err(error) => return Err(error.to_string()),
            };
            let mut cells = Vec::new();
            while let Some(cell) = reader.next_cell().map_err(|error| error.to_string())? {
                let (row, column) = cell.get_position();
                if let Some((text, kind)) = calamine_ref(cell.get_value()) {
                    cells.push((row, column, text, kind));
                }
            }
            drop(reader);
            sheets.push((name, rows_of(cells)));
        }
    }
    Ok(sheets)
}

/// The worksheets' cells as our readers read them.
fn our_cells(workbook: &workbook::Workbook) -> Cells {
    workbook
        .sheets
        .iter()
        .filter(|sheet| sheet.kind == SheetKind::Worksheet)
        .map(|sheet| {
            let rows = workbook.rows[sheet.rows.clone()]
                .iter()
                .map(|row| {
                    let range = row.first as usize..(row.first + row.count) as usize;
                    let cells = workbook.cells[range.clone()]
                        .iter()
                        .zip(&workbook.kinds[range])
                        .map(|(&(start, end), &kind)| {
                            (
                                String::from_utf8(
                                    workbook.text[start as usize..end as usize].to_vec(),
                                )
                                .expect("UTF-8"),
                                kind,
                            )
                        })
                        .collect();
                    (row.line, cells)
                })
                .collect();
            (sheet.name.clone(), rows)
        })
        .collect()
}

/// Every sheet's name, visibility and kind as calamine reads them.
fn calamine_sheet_list(bytes: &[u8]) -> Vec<(String, Visibility, SheetKind)> {
    let metadata = if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        calamine::Xls::new(std::io::Cursor::new(bytes))
            .expect("opens")
            .sheets_metadata()
            .to_vec()
    } else {
        calamine::Xlsx::new(std::io::Cursor::new(bytes))
            .expect("opens")
            .sheets_metadata()
            .to_vec()
    };
    metadata
        .into_iter()
        .map(|sheet| {
            let visibility = match sheet.visible {
                calamine::SheetVisible::Visible => Visibility::Visible,
                calamine::SheetVisible::Hidden => Visibility::Hidden,
                calamine::SheetVisible::VeryHidden => Visibility::VeryHidden,
            };
            let kind = match sheet.typ {
                calamine::SheetType::WorkSheet => SheetKind::Worksheet,
                calamine::SheetType::ChartSheet => SheetKind::Chart,
                calamine::SheetType::DialogSheet => SheetKind::Dialog,
                calamine::SheetType::MacroSheet | calamine::SheetType::Vba => SheetKind::Macro,
            };
            (sheet.name, visibility, kind)
        })
        .collect()
}

fn assert_same_as_calamine(name: &str, bytes: &[u8]) -> workbook::Workbook {
    let ours =
        workbook::read(bytes, Format::Xlsx).unwrap_or_else(|error| panic!("{name}: {error:?}"));
    let sheets: Vec<(String, Visibility, SheetKind)> = ours
        .sheets
        .iter()
        .map(|sheet| (sheet.name.clone(), sheet.visibility, sheet.kind))
        .collect();
    assert_eq!(sheets, calamine_sheet_list(bytes), "{name}: the sheets");
    let theirs = calamine_cells(bytes).unwrap_or_else(|error| panic!("{name}: calamine: {error}"));
    let mine = our_cells(&ours);
    assert_eq!(mine.len(), theirs.len(), "{name}: sheets");
    for ((our_name, our_rows), (their_name, their_rows)) in mine.iter().zip(&theirs) {
        assert_eq!(our_name, their_name, "{name}");
        assert_eq!(
            our_rows.len(),
            their_rows.len(),
            "{name} sheet {our_name}: rows"
        );
        for (ours, theirs) in our_rows.iter().zip(their_rows) {
            assert_eq!(ours, theirs, "{name} sheet {our_name}");
        }
    }
    ours
}

fn workbook_files(folder: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(folder).expect("lists") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            workbook_files(&path, found);
        } else if matches!(
            path.extension().and_then(|extension| extension.to_str()),
            Some("xlsx" | "xlsm" | "xls")
        ) {
            found.push(path);
        }
    }
}

#[test]
fn every_fixture_workbook_reads_cell_for_cell_as_calamine_read_it() {
    let mut files = Vec::new();
    workbook_files(&repository().join("fixtures"), &mut files);
    files.sort();
    let mut compared = 0;
    for path in &files {
        let bytes = std::fs::read(path).expect("reads");
        let name = path.display().to_string();
        match calamine_cells(&bytes) {
            Ok(_) => {
                assert_same_as_calamine(&name, &bytes);
                compared += 1;
            }
            // The one fixture that is text named .xlsx: refused by both.
            Err(_) => assert!(workbook::read(&bytes, Format::Xlsx).is_err(), "{name}"),
        }
    }
    assert!(compared >= 8, "{compared} of {files:?}");
}

#[test]
fn workbooks_made_here_read_cell_for_cell_as_calamine_reads_them() {
    use rust_xlsxwriter::{Format as Style, Workbook as Writer};
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let styles = [
        Style::new(),
        Style::new().set_num_format_index(14),
        Style::new().set_num_format_index(22),
        Style::new().set_num_format_index(46),
        Style::new().set_num_format("yyyy\"年\"m\"月\"d\"日\""),
        Style::new().set_num_format("0.00_);[Red]\\(0.00\\)"),
        Style::new().set_num_format("[$-804]aaaa"),
        Style::new().set_num_format("mm:ss.0"),
    ];
    for constant_memory in [false, true] {
        let mut writer = Writer::new();
        let sheet = if constant_memory {
            writer
                .add_worksheet_with_constant_memory()
                .expect("a temporary file")
        } else {
            writer.add_worksheet()
        };
        for row in 0..400u32 {
            for column in 0..12u16 {
                let choice = next() % 10;
                let value = f64::from_bits(next());
                let number = match next() % 4 {
                    0 => (next() % 3_000_000) as f64 / 100.0,
                    1 => (next() % 100_000) as f64 + (next() % 86_400) as f64 / 86_400.0,
                    2 if value.is_finite() => value,
                    _ => -((next() % 1000) as f64) / 7.0,
                };
                match choice {
                    0 => continue,
                    1 => sheet
                        .write_string(
                            row,
                            column,
                            format!(
                                "文本{}_x00{:02X}_ {}",
                                next() % 100,
                                next() % 256,
                                next() % 7
                            ),
                        )
                        .map(|_| ()),
                    2 => sheet
                        .write_boolean(row, column, next() % 2 == 0)
                        .map(|_| ()),
                    3 => sheet
                        .write_string(
                            row,
                            column,
                            ["", " ", "  lead", "trail  ", "a\r\nb", "&<>\"'"]
                                [(next() % 6) as usize],
                        )
                        .map(|_| ()),
                    _ => sheet
                        .write_number_with_format(
                            row,
                            column,
                            number,
                            &styles[(next() % styles.len() as u64) as usize],
                        )
                        .map(|_| ()),
                }
                .expect("writes");
            }
        }
        let bytes = writer.save_to_buffer().expect("saves");
        assert_same_as_calamine(
            &format!("made here, constant memory {constant_memory}"),
            &bytes,
        );
    }
}

// ---------------------------------------------------------------------
// What the readers add: sheets' visibility and kind, merged ranges

#[test]
fn sheets_say_whether_they_are_hidden_and_what_they_are_in_both_formats() {
    let folder = repository().join("fixtures/workbooks");
    for file in ["features.xlsx", "features-libreoffice.xlsx", "features.xls"] {
        let bytes = std::fs::read(folder.join(file)).expect("reads");
        let workbook = assert_same_as_calamine(file, &bytes);
        let sheets: Vec<(&str, Visibility, SheetKind)> = workbook
            .sheets
            .iter()
            .map(|sheet| (sheet.name.as_str(), sheet.visibility, sheet.kind))
            .collect();
        if file != "features.xlsx" {
            // LibreOffice keeps no very hidden sheet nor chart sheet: the
            // sheets are compared with calamine's list above.
            assert_eq!(
                sheets
                    .iter()
                    .filter(|sheet| sheet.1 != Visibility::Visible)
                    .count(),
                2,
                "{file}"
            );
        } else {
            assert_eq!(
                sheets,
                [
                    ("数据", Visibility::Visible, SheetKind::Worksheet),
                    ("隐藏", Visibility::Hidden, SheetKind::Worksheet),
                    ("VeryHidden", Visibility::VeryHidden, SheetKind::Worksheet),
                    ("图表", Visibility::Visible, SheetKind::Chart),
                    ("Last", Visibility::Visible, SheetKind::Worksheet),
                ],
                "{file}"
            );
        }
        let data = &workbook.sheets[0];
        let mut merged = data.merged.clone();
        merged.sort_by_key(|range| (range.first_row, range.first_column));
        assert_eq!(
            merged,
            [
                MergedRange {
                    first_row: 1,
                    last_row: 1,
                    first_column: 0,
                    last_column: 5
                },
                MergedRange {
                    first_row: 13,
                    last_row: 14,
                    first_column: 1,
                    last_column: 2
                },
            ],
            "{file}"
        );
        assert!(
            workbook.sheets[3].rows.is_empty(),
            "{file}: the chart sheet holds no cells"
        );
    }
}

// ---------------------------------------------------------------------
// Hand-made workbooks: a small zip writer, and deflate streams that
// inflate to gigabytes.

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[derive(Default)]
struct Zip {
    out: Vec<u8>,
    central: Vec<u8>,
    count: u16,
}

impl Zip {
    fn stored(mut self, name: &str, data: &[u8]) -> Zip {
        self.raw(name, 0, data, crc32(data), data.len() as u32);
        self
    }

    fn raw(&mut self, name: &str, method: u16, data: &[u8], crc: u32, size: u32) {
        let offset = self.out.len() as u32;
        let mut header = Vec::new();
        for (field, bytes) in [
            (0x0403_4b50u32, 4),
            (20, 2),
            (0, 2),
            (u32::from(method), 2),
            (0, 2),
            (0x21, 2),
            (crc, 4),
            (data.len() as u32, 4),
            (size, 4),
            (name.len() as u32, 2),
            (0, 2),
        ] {
            header.extend_from_slice(&field.to_le_bytes()[..bytes]);
        }
        self.out.extend_from_slice(&header);
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(data);
        for (field, bytes) in [
            (0x0201_4b50u32, 4),
            (20, 2),
            (20, 2),
            (0, 2),
            (u32::from(method), 2),
            (0, 2),
            (0x21, 2),
            (crc, 4),
            (data.len() as u32, 4),
            (size, 4),
            (name.len() as u32, 2),
            (0, 2),
            (0, 2),
            (0, 2),
            (0, 2),
            (0, 4),
            (offset, 4),
        ] {
            self.central
                .extend_from_slice(&field.to_le_bytes()[..bytes]);
        }
        self.central.extend_from_slice(name.as_bytes());
        self.count += 1;
    }

    fn finish(mut self) -> Vec<u8> {
        let offset = self.out.len() as u32;
        let size = self.central.len() as u32;
        self.out.extend_from_slice(&self.central);
        for (field, bytes) in [
            (0x0605_4b50u32, 4),
            (0, 2),
            (0, 2),
            (u32::from(self.count), 2),
            (u32::from(self.count), 2),
            (size, 4),
            (offset, 4),
            (0, 2),
        ] {
            self.out.extend_from_slice(&field.to_le_bytes()[..bytes]);
        }
        self.out
    }
}

const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const RELATIONSHIPS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// A workbook of the package's parts around `sheets` (name, state, XML)
/// and, when given, shared strings; the sheets' XML is stored as given.
fn package(sheets: &[(&str, &str, &[u8])], shared_strings: Option<&[u8]>) -> Zip {
    let mut relationships = String::new();
    let mut listed = String::new();
    for (index, (name, state, _)) in sheets.iter().enumerate() {
        relationships.push_str(&format!(
            "<Relationship Id=\"rId{index}\" Type=\"{RELATIONSHIPS}/worksheet\" Target=\"worksheets/sheet{index}.xml\"/>"
        ));
        listed.push_str(&format!(
            "<sheet name=\"{name}\" sheetId=\"{}\" state=\"{state}\" r:id=\"rId{index}\"/>",
            index + 1
        ));
    }
    relationships.push_str(&format!("<Relationship Id=\"rIdS\" Type=\"{RELATIONSHIPS}/sharedStrings\" Target=\"sharedStrings.xml\"/>"));
    let mut zip = Zip::default()
        .stored(
            "_rels/.rels",
            format!("<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"{RELATIONSHIPS}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>").as_bytes(),
        )
        .stored(
            "xl/_rels/workbook.xml.rels",
            format!("<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">{relationships}</Relationships>").as_bytes(),
        )
        .stored(
            "xl/workbook.xml",
            format!("<workbook xmlns=\"{MAIN}\" xmlns:r=\"{RELATIONSHIPS}\"><sheets>{listed}</sheets></workbook>").as_bytes(),
        );
    for (index, (_, _, xml)) in sheets.iter().enumerate() {
        zip = zip.stored(&format!("xl/worksheets/sheet{index}.xml"), xml);
    }
    if let Some(xml) = shared_strings {
        zip = zip.stored("xl/sharedStrings.xml", xml);
    }
    zip
}

fn sheet_xml(data: &str) -> Vec<u8> {
    format!("<worksheet xmlns=\"{MAIN}\"><sheetData>{data}</sheetData></worksheet>").into_bytes()
}

fn one_sheet(data: &str) -> Vec<u8> {
    package(&[("Sheet1", "visible", &sheet_xml(data))], None).finish()
}

/// A raw deflate stream (fixed Huffman codes) of `prefix`, then `pattern`
/// repeated to `total` bytes in all: some 13 bits per 258 bytes.
fn deflate_bomb(prefix: &[u8], pattern: &[u8], total: u64) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        buffer: u64,
        count: u32,
    }
    impl Bits {
        fn put(&mut self, value: u32, bits: u32) {
            self.buffer |= u64::from(value) << self.count;
            self.count += bits;
            while self.count >= 8 {
                self.out.push(self.buffer as u8);
                self.buffer >>= 8;
                self.count -= 8;
            }
        }
        fn code(&mut self, code: u32, bits: u32) {
            self.put(code.reverse_bits() >> (32 - bits), bits);
        }
        fn literal(&mut self, byte: u8) {
            if byte < 144 {
                self.code(0x30 + u32::from(byte), 8);
            } else {
                self.code(0x190 + u32::from(byte) - 144, 9);
            }
        }
    }
    const BASES: [u32; 30] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
        2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
    ];
    let distance = pattern.len() as u32;
    let code = BASES
        .iter()
        .rposition(|&base| base <= distance)
        .expect("a distance code");
    let extra = if code < 4 { 0 } else { (code as u32 - 2) / 2 };
    let mut bits = Bits {
        out: Vec::new(),
        buffer: 0,
        count: 0,
    };
    bits.put(1, 1);
    bits.put(1, 2);
    for &byte in prefix.iter().chain(pattern) {
        bits.literal(byte);
    }
    let mut written = (prefix.len() + pattern.len()) as u64;
    while written + 258 <= total {
        bits.code(0xC5, 8);
        bits.code(code as u32, 5);
        bits.put(distance - BASES[code], extra);
        written += 258;
    }
    bits.code(0, 7);
    bits.put(0, 7);
    bits.out
}

/// A workbook whose part `name` inflates to `total` bytes of `prefix`
/// then `pattern` repeated (its checksum is never reached).
fn bomb(name: &str, prefix: &[u8], pattern: &[u8], total: u64) -> Vec<u8> {
    let mut zip = if name == "xl/sharedStrings.xml" {
        package(&[("Sheet1", "visible", &sheet_xml(""))], None)
    } else {
        package_without_sheets_parts(&[("Sheet1", "visible")])
    };
    let data = deflate_bomb(prefix, pattern, total);
    let total = u32::try_from(total).expect("under 4 GiB");
    zip.raw(name, 8, &data, 0, total);
    zip.finish()
}

/// The package's parts naming sheets whose parts are not written.
fn package_without_sheets_parts(sheets: &[(&str, &str)]) -> Zip {
    let full = package(
        &sheets
            .iter()
            .map(|&(name, state)| (name, state, &b""[..]))
            .collect::<Vec<_>>(),
        None,
    );
    // Rebuild without the sheet parts: only the first three entries.
    let mut zip = Zip::default();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(full.finish())).expect("a zip");
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).expect("an entry");
        let name = file.name().expect("a name").to_string();
        if name.starts_with("xl/worksheets/") {
            continue;
        }
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut data).expect("reads");
        zip = zip.stored(&name, &data);
    }
    zip
}

fn too_large(result: Result<workbook::Workbook, WorkbookError>) -> String {
    match result {
        Err(WorkbookError::PartTooLarge { part, what }) => format!("{part}: {what}"),
        Err(WorkbookError::TooLarge {
            sheet,
            row,
            column,
            what,
        }) => format!("{sheet}:{row}:{column}: {what}"),
        other => panic!("not too large: {other:?}"),
    }
}

// ---------------------------------------------------------------------
// Hostile .xlsx

#[test]
fn shared_strings_inflating_past_the_limit_stop_at_the_limit() {
    let mut text = b"<si><t>".to_vec();
    text.extend(std::iter::repeat_n(b'x', 4096));
    text.extend_from_slice(b"</t></si>");
    let bytes = bomb(
        "xl/sharedStrings.xml",
        format!("<sst xmlns=\"{MAIN}\">").as_bytes(),
        &text,
        3_500_000_000,
    );
    assert!(bytes.len() < 64 << 20, "{} bytes", bytes.len());
    let started = Instant::now();
    let message = too_large(workbook::read(&bytes, Format::Xlsx));
    assert!(
        message.starts_with("xl/sharedStrings.xml: its texts hold more than 268435456 bytes"),
        "{message}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn shared_strings_past_their_count_stop_at_the_limit() {
    let bytes = bomb(
        "xl/sharedStrings.xml",
        format!("<sst xmlns=\"{MAIN}\">").as_bytes(),
        b"<si/>",
        1_000_000_000,
    );
    let message = too_large(workbook::read(&bytes, Format::Xlsx));
    assert!(
        message.starts_with("xl/sharedStrings.xml: it holds more than 16777216 texts"),
        "{message}"
    );
}

#[test]
fn an_absurd_unique_count_is_never_taken_as_a_capacity() {
    let strings = format!("<sst xmlns=\"{MAIN}\" count=\"10000000000000\" uniqueCount=\"10000000000000\"><si><t>姓名</t></si></sst>");
    let bytes = package(
        &[(
            "Sheet1",
            "visible",
            &sheet_xml("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>"),
        )],
        Some(strings.as_bytes()),
    )
    .finish();
    let workbook = workbook::read(&bytes, Format::Xlsx).expect("reads");
    assert_eq!(
        our_cells(&workbook)[0].1,
        [(1, vec![("姓名".to_string(), CellKind::Text)])]
    );
}

#[test]
fn gigabytes_of_empty_cells_stop_at_the_cell_limit_fast() {
    let mut row = b"<row>".to_vec();
    for _ in 0..1000 {
        row.extend_from_slice(b"<c/>");
    }
    row.extend_from_slice(b"</row>");
    let prefix = format!("<worksheet xmlns=\"{MAIN}\"><sheetData>");
    let bytes = bomb(
        "xl/worksheets/sheet0.xml",
        prefix.as_bytes(),
        &row,
        4_000_000_000,
    );
    assert!(bytes.len() < 64 << 20, "{} bytes", bytes.len());
    // Some 130 MB of XML is read, not 4 GB: about a second in a release
    // build (the bound leaves room for a test build on a busy machine).
    let started = Instant::now();
    let message = too_large(workbook::read(&bytes, Format::Xlsx));
    assert!(
        message.contains("the sheet has more than 33554432 cells (empty ones counted)"),
        "{message}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn one_xml_text_of_gigabytes_stops_at_the_event_limit() {
    let prefix = format!("<sst xmlns=\"{MAIN}\"><si><t>");
    let bytes = bomb(
        "xl/sharedStrings.xml",
        prefix.as_bytes(),
        b"abcdefgh",
        2_000_000_000,
    );
    let message = too_large(workbook::read(&bytes, Format::Xlsx));
    assert!(
        message.contains("an XML tag or text of more than 4194304 bytes"),
        "{message}"
    );
}

fn damaged(result: Result<workbook::Workbook, WorkbookError>) -> (String, u64, u64, String) {
    match result {
        Err(WorkbookError::Damaged {
            sheet,
            row,
            column,
            what,
        }) => (sheet, row, column, what),
        other => panic!("not damaged at a place: {other:?}"),
    }
}

#[test]
fn a_row_given_twice_is_an_error_at_that_row_not_a_silent_choice() {
    let (sheet, row, _, what) = damaged(workbook::read(
        &one_sheet("<row r=\"2\"><c r=\"A2\"><v>1</v></c></row><row r=\"3\"><c r=\"A3\"><v>2</v></c></row><row r=\"3\"><c r=\"B3\"><v>3</v></c></row>"),
        Format::Xlsx,
    ));
    assert_eq!((sheet.as_str(), row), ("Sheet1", 3));
    assert!(
        what.starts_with("row 3 is given twice in the sheet"),
        "{what}"
    );
    let (_, row, _, what) = damaged(workbook::read(
        &one_sheet("<row r=\"5\"><c r=\"A5\"><v>1</v></c></row><row r=\"4\"><c r=\"A4\"><v>2</v></c></row>"),
        Format::Xlsx,
    ));
    assert_eq!(row, 4);
    assert!(what.starts_with("row 4 comes after row 5"), "{what}");
    let (_, row, column, what) = damaged(workbook::read(
        &one_sheet("<row r=\"2\"><c r=\"B2\"><v>1</v></c><c r=\"B2\"><v>2</v></c></row>"),
        Format::Xlsx,
    ));
    assert_eq!((row, column), (2, 2));
    assert!(what.starts_with("cell B2 is given twice"), "{what}");
    let (_, row, _, what) = damaged(workbook::read(
        &one_sheet("<row r=\"2\"><c r=\"B5\"><v>1</v></c></row>"),
        Format::Xlsx,
    ));
    assert_eq!(row, 2);
    assert!(what.starts_with("cell B5 stands inside row 2"), "{what}");
}

#[test]
fn cells_out_of_column_order_in_a_row_are_put_in_order() {
    let workbook = workbook::read(
        &one_sheet("<row r=\"1\"><c r=\"C1\"><v>3</v></c><c r=\"A1\"><v>1</v></c></row>"),
        Format::Xlsx,
    )
    .expect("reads");
    let texts: Vec<String> = our_cells(&workbook)[0].1[0]
        .1
        .iter()
        .map(|cell| cell.0.clone())
        .collect();
    assert_eq!(texts, ["1", "", "3"]);
}

#[test]
fn merged_ranges_and_hidden_sheets_are_read_and_a_malformed_range_is_damage() {
    let sheet = format!(
        "<worksheet xmlns=\"{MAIN}\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>x</t></is></c></row></sheetData><mergeCells count=\"2\"><mergeCell ref=\"A2:A3\"/><mergeCell ref=\"B1:D1\"/></mergeCells></worksheet>"
    );
    let bytes = package(
        &[
            ("shown", "visible", sheet.as_bytes()),
            ("gone", "hidden", &sheet_xml("")),
            ("deep", "veryHidden", &sheet_xml("")),
        ],
        None,
    )
    .finish();
    let workbook = workbook::read(&bytes, Format::Xlsx).expect("reads");
    assert_eq!(
        workbook.sheets[0].merged,
        [
            MergedRange {
                first_row: 2,
                last_row: 3,
                first_column: 0,
                last_column: 0
            },
            MergedRange {
                first_row: 1,
                last_row: 1,
                first_column: 1,
                last_column: 3
            }
        ]
    );
    let visibility: Vec<Visibility> = workbook
        .sheets
        .iter()
        .map(|sheet| sheet.visibility)
        .collect();
    assert_eq!(
        visibility,
        [
            Visibility::Visible,
            Visibility::Hidden,
            Visibility::VeryHidden
        ]
    );
    for reference in ["A3:A2", "B1:A1", "A0:B2", "XFE1:XFE2", "A1:B", "1A"] {
        let sheet = format!("<worksheet xmlns=\"{MAIN}\"><sheetData/><mergeCells><mergeCell ref=\"{reference}\"/></mergeCells></worksheet>");
        let bytes = package(&[("Sheet1", "visible", sheet.as_bytes())], None).finish();
        let (_, _, _, what) = damaged(workbook::read(&bytes, Format::Xlsx));
        assert!(
            what.contains("is not a range of a sheet"),
            "{reference}: {what}"
        );
    }
}

#[test]
fn a_formula_without_a_saved_value_is_no_value_not_an_empty_cell() {
    let workbook = workbook::read(
        &one_sheet("<row r=\"1\"><c r=\"A1\"><f>1+1</f></c><c r=\"B1\" t=\"str\"><f>A1&amp;\"x\"</f></c><c r=\"C1\"><f>1+1</f><v>2</v></c><c r=\"D1\"><f t=\"shared\" si=\"0\"/></c></row>"),
        Format::Xlsx,
    )
    .expect("reads");
    let cells = &our_cells(&workbook)[0].1[0].1;
    let kinds: Vec<CellKind> = cells.iter().map(|cell| cell.1).collect();
    assert_eq!(
        kinds,
        [
            CellKind::NoValue,
            CellKind::NoValue,
            CellKind::Number,
            CellKind::NoValue
        ]
    );
    assert!(cells[0].0.is_empty());
}

#[test]
fn the_cell_kinds_of_hand_written_xml_read_as_calamine_reads_them() {
    let strings = format!(
        "<sst xmlns=\"{MAIN}\"><si><t xml:space=\"preserve\"> a </t></si><si><r><t>粗</t></r><r><t>体</t></r><rPh><t>ふりがな</t></rPh></si><si><t>  trimmed\n</t></si><si><t>_x0041__x005F_x0042_</t></si><si/></sst>"
    );
    let data = "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c><c r=\"C1\" t=\"s\"><v>2</v></c><c r=\"D1\" t=\"s\"><v>3</v></c><c r=\"E1\" t=\"s\"><v>4</v></c></row>\
        <row r=\"2\"><c t=\"b\"><v>1</v></c><c t=\"b\"><v>0</v></c><c t=\"e\"><v>#N/A</v></c><c t=\"d\"><v>2024-07-05T10:00:00</v></c><c t=\"str\"><v>a_x000D_b</v></c><c t=\"inlineStr\"><is><t>in&amp;line</t></is></c><c><v>not a number</v></c><c><v>1e3</v></c></row>\
        <row r=\"4\"><c r=\"C4\"><v>-0.5</v></c><c r=\"D4\" t=\"n\"><v></v></c><c r=\"E4\" t=\"s\"><v></v></c></row>";
    let bytes = package(
        &[("Sheet1", "visible", &sheet_xml(data))],
        Some(strings.as_bytes()),
    )
    .finish();
    assert_same_as_calamine("hand-written", &bytes);
}

#[test]
fn a_workbook_is_read_as_what_its_bytes_are_whatever_its_name() {
    let xlsx =
        std::fs::read(repository().join("fixtures/office/bad_cells/payouts.xlsx")).expect("reads");
    let xls = std::fs::read(repository().join("fixtures/office/xls/payouts.xls")).expect("reads");
    let as_named = our_cells(&workbook::read(&xlsx, Format::Xlsx).expect("reads"));
    assert_eq!(
        our_cells(&workbook::read(&xlsx, Format::Xls).expect("reads")),
        as_named
    );
    let as_named = our_cells(&workbook::read(&xls, Format::Xls).expect("reads"));
    assert_eq!(
        our_cells(&workbook::read(&xls, Format::Xlsx).expect("reads")),
        as_named
    );
}

fn refused(result: Result<workbook::Workbook, WorkbookError>) -> String {
    match result {
        Err(WorkbookError::Refused(message)) => message,
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn html_csv_and_xml_spreadsheets_named_xlsx_say_what_they_are() {
    let html = "<html><head><meta charset=\"utf-8\"></head><body><table><tr><td>姓名</td></tr></table></body></html>";
    assert!(refused(workbook::read(html.as_bytes(), Format::Xlsx))
        .starts_with("this file holds a web page (HTML), not a workbook"));
    assert!(refused(workbook::read(
        b"name,amount\n\xd5\xc5\xc8\xfd,100\n",
        Format::Xls
    ))
    .starts_with("this file holds plain text"));
    let xml = "<?xml version=\"1.0\"?><?mso-application progid=\"Excel.Sheet\"?><Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\"/>";
    assert!(refused(workbook::read(xml.as_bytes(), Format::Xls)).contains("XML spreadsheet"));
}

#[test]
fn a_web_page_named_payouts_xlsx_stops_the_run_saying_what_to_do() {
    let case = common::out_dir("workbook-html-case");
    std::fs::create_dir_all(&case).expect("makes the case folder");
    for file in ["roster.csv", "standards.csv"] {
        std::fs::copy(
            repository().join("fixtures/office/bad_cells").join(file),
            case.join(file),
        )
        .expect("copies");
    }
    std::fs::write(
        case.join("payouts.xlsx"),
        "<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>",
    )
    .expect("writes");
    let out = common::out_dir("workbook-html-out");
    let run = common::reconcile(&case, &out, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("payouts.xlsx: this file holds a web page (HTML), not a workbook — many systems' 'export to Excel' write one: open it in Excel or WPS and save it as .xlsx, or save the table as CSV"),
        "{}",
        run.stderr
    );
}

/// The bad_cells case with its payouts workbook's sheet XML changed.
fn bad_cells_with(change: impl Fn(&str) -> String, name: &str) -> PathBuf {
    let source = repository().join("fixtures/office/bad_cells");
    let case = common::out_dir(name);
    std::fs::create_dir_all(&case).expect("makes the case folder");
    for file in ["roster.csv", "standards.csv"] {
        std::fs::copy(source.join(file), case.join(file)).expect("copies");
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(
        std::fs::read(source.join("payouts.xlsx")).expect("reads"),
    ))
    .expect("a zip");
    let mut zip = Zip::default();
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).expect("an entry");
        let name = file.name().expect("a name").to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut data).expect("reads");
        if name == "xl/worksheets/sheet1.xml" {
            data = change(std::str::from_utf8(&data).expect("UTF-8")).into_bytes();
        }
        zip = zip.stored(&name, &data);
    }
    std::fs::write(case.join("payouts.xlsx"), zip.finish()).expect("writes");
    case
}

#[test]
fn a_formula_without_a_saved_value_is_a_bad_record_saying_to_save_the_workbook() {
    let case = bad_cells_with(
        |xml| xml.replace("<c r=\"E3\"><v>600</v></c>", "<c r=\"E3\"><f>100*6</f></c>"),
        "workbook-novalue-case",
    );
    let out = common::out_dir("workbook-novalue-out");
    let run = common::reconcile(&case, &out, &[]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let findings = common::read(&out.join("findings.csv"));
    let line = findings
        .lines()
        .find(|line| line.ends_with("payouts.xlsx:3"))
        .unwrap_or_else(|| panic!("no finding at payouts.xlsx:3:\n{findings}"));
    assert!(line.starts_with("BAD_RECORD,"), "{line}");
    assert!(
        line.contains("column amount: this cell's formula has no saved value: open the workbook in Excel or WPS and save it so the values are stored"),
        "{line}"
    );
}

#[test]
fn a_row_given_twice_stops_the_run_naming_the_sheet_and_row() {
    let case = bad_cells_with(
        |xml| {
            let row = &xml[xml.find("<row r=\"4\"").expect("row 4")..];
            let row = &row[..row.find("</row>").expect("its end") + 6];
            xml.replacen(row, &format!("{row}{row}"), 1)
        },
        "workbook-twice-case",
    );
    let run = common::reconcile(&case, &common::out_dir("workbook-twice-out"), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("payouts.xlsx (sheet Sheet1):4: row 4 is given twice in the sheet"),
        "{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------
// Hostile .xls: changed copies of fixtures/office/xls/payouts.xls

fn xls_fixture() -> Vec<u8> {
    std::fs::read(repository().join("fixtures/office/xls/payouts.xls")).expect("reads")
}

/// Where the first record of `kind` with `length` begins in the file.
fn record_at(bytes: &[u8], kind: u16, length: u16) -> usize {
    let header = [kind.to_le_bytes(), length.to_le_bytes()].concat();
    bytes
        .windows(4)
        .position(|window| window == header)
        .expect("the record")
}

#[test]
fn an_xls_cell_past_column_256_is_damage_not_gigabytes() {
    let mut bytes = xls_fixture();
    let at = record_at(&bytes, 0x00FD, 10);
    bytes[at + 6..at + 8].copy_from_slice(&40_000u16.to_le_bytes());
    let started = Instant::now();
    let (sheet, row, column, what) = damaged(workbook::read(&bytes, Format::Xls));
    assert_eq!(sheet, "代发明细");
    assert!(row >= 1 && column == 40_001, "{row} {column}");
    assert!(
        what.contains("past the 256 columns an .xls sheet has"),
        "{what}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn an_xls_cell_with_a_format_past_the_formats_reads_as_a_plain_number() {
    let mut bytes = xls_fixture();
    let at = record_at(&bytes, 0x027E, 10);
    bytes[at + 8..at + 10].copy_from_slice(&0xFFFFu16.to_le_bytes());
    let workbook = workbook::read(&bytes, Format::Xls).expect("reads");
    assert!(workbook.kinds.contains(&CellKind::Number));
}

#[test]
fn a_password_protected_or_old_xls_is_refused_saying_what_to_do() {
    // CODEPAGE (0x0042) turned into FILEPASS (0x002F).
    let mut bytes = xls_fixture();
    let at = record_at(&bytes, 0x0042, 2);
    bytes[at..at + 2].copy_from_slice(&0x002Fu16.to_le_bytes());
    assert!(refused(workbook::read(&bytes, Format::Xls)).contains("password-protected"));
    // The globals' BOF says BIFF5.
    let mut bytes = xls_fixture();
    let at = record_at(&bytes, 0x0809, 16);
    bytes[at + 4..at + 6].copy_from_slice(&0x0500u16.to_le_bytes());
    assert!(refused(workbook::read(&bytes, Format::Xls)).contains("Excel 5.0/95 or older"));
    // The Workbook stream renamed EncryptedPackage: an encrypted .xlsx.
    let mut bytes = xls_fixture();
    let name: Vec<u8> = "Workbook"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let at = bytes
        .windows(name.len())
        .position(|window| window == name)
        .expect("the entry");
    let encrypted: Vec<u8> = "EncryptedPackage\0"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    bytes[at..at + encrypted.len()].copy_from_slice(&encrypted);
    bytes[at + 0x40..at + 0x42].copy_from_slice(&(encrypted.len() as u16).to_le_bytes());
    assert!(refused(workbook::read(&bytes, Format::Xlsx)).contains("password-protected"));
}

#[test]
fn random_changes_to_an_xls_end_in_a_workbook_or_a_clear_error_quickly() {
    let good = xls_fixture();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut read = 0;
    for round in 0..2000 {
        let mut bytes = good.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() as usize) % bytes.len();
            bytes[at] = next() as u8;
        }
        if round % 7 == 0 {
            bytes.truncate((next() as usize) % bytes.len());
        }
        let started = Instant::now();
        match workbook::read(&bytes, Format::Xls) {
            Ok(workbook) => {
                read += 1;
                assert!(workbook.cells.len() <= 65_536 * 256, "round {round}");
            }
            Err(WorkbookError::Unreadable(message)) => {
                assert!(
                    message != workbook::PANIC_GUARD_MESSAGE,
                    "round {round}: the panic guard was reached"
                )
            }
            Err(_) => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "round {round}: {:?}",
            started.elapsed()
        );
    }
    assert!(read > 0);
}

#[test]
fn random_changes_to_an_xlsx_never_reach_the_panic_guard() {
    let good = std::fs::read(repository().join("fixtures/workbooks/features-libreoffice.xlsx"))
        .expect("reads");
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..600 {
        let mut bytes = good.clone();
        for _ in 0..1 + next() % 8 {
            let at = (next() as usize) % bytes.len();
            bytes[at] = next() as u8;
        }
        let started = Instant::now();
        if let Err(WorkbookError::Unreadable(message)) = workbook::read(&bytes, Format::Xlsx) {
            assert!(
                message != workbook::PANIC_GUARD_MESSAGE,
                "round {round}: the panic guard was reached"
            );
        }
        assert!(started.elapsed() < Duration::from_secs(2), "round {round}");
    }
}

/// A zip64 end record claiming a billion parts far past the file's end.
fn zip_claiming(parts: u64, directory_start: u64) -> Vec<u8> {
    let mut bytes = Zip::default().stored("a", b"x").finish();
    // Drop the honest end record and write lying ones.
    bytes.truncate(bytes.len() - 22);
    let record = bytes.len() as u64;
    let mut push =
        |value: u64, width: usize| bytes.extend_from_slice(&value.to_le_bytes()[..width]);
    for (value, width) in [
        (0x0606_4b50, 4),
        (44, 8),
        (45, 2),
        (45, 2),
        (0, 4),
        (0, 4),
        (parts, 8),
        (parts, 8),
        (parts * 46, 8),
        (directory_start, 8),
        (0x0706_4b50, 4),
        (0, 4),
        (record, 8),
        (1, 4),
        (0x0605_4b50, 4),
        (0, 2),
        (0, 2),
        (0xFFFF, 2),
        (0xFFFF, 2),
        (0xFFFF_FFFF, 4),
        (0xFFFF_FFFF, 4),
        (0, 2),
    ] {
        push(value, width);
    }
    bytes
}

#[test]
fn a_zip_claiming_a_billion_parts_is_refused_not_an_abort() {
    for (parts, start) in [
        (1 << 30, 1 << 31),
        (1 << 20, 1 << 40),
        (u64::MAX / 64, u64::MAX / 2),
    ] {
        let bytes = zip_claiming(parts, start);
        match workbook::read(&bytes, Format::Xlsx) {
            Err(WorkbookError::Unreadable(message)) => {
                assert_ne!(message, workbook::PANIC_GUARD_MESSAGE);
            }
            other => panic!("{other:?}"),
        }
    }
}

//! The CSV layer shared by every input file: a header resolved to the
//! wanted columns, and data rows of trimmed cells with their physical line
//! numbers (SPEC §2). A row that cannot be read as text — a quote never
//! closed, bytes that are not UTF-8, a control character, a cell too long,
//! the wrong number of fields — carries its fault, and becomes a
//! BAD_RECORD in one place ([`super::FileOutcome::reject_unreadable`]).

use super::columns::Setting;
use super::records::{
    control_character, may_hold_control, Fields, Scanner, Span, TooLong, MAX_CELL_BYTES,
    MAX_COLUMNS, MAX_HEADER_BYTES, MAX_ROW_BYTES,
};
pub use super::records::{split_records, Chunk};
pub use super::text::HeaderFound;
pub use super::text::{load, sha256_hex, LoadedFile};
use super::workbook::{CellKind, SheetKind, SheetRow, Visibility, Workbook, HEADER_SEARCH_ROWS};
use crate::domain::{id_number, FileId, FileKind, Source, Unit};
use crate::error::{excerpt, FatalError, Location};

/// Column positions of the wanted names in a file's header.
pub struct Header {
    /// Position of each wanted column, in the order they were asked for.
    pub positions: Vec<Option<usize>>,
    pub field_count: usize,
    /// What a BAD_RECORD calls each column: the wanted column's name, else
    /// the header's text.
    labels: Vec<Box<str>>,
    /// The unit of each wanted column (money columns only differ).
    units: Vec<Unit>,
    /// A wanted column columns.toml gives one value for every row.
    fixed: Vec<Option<Box<str>>>,
    /// The wanted column of the id_number, if the file has one.
    id_column: Option<usize>,
}

/// SPEC v3: what a summary or signature line under a table begins with
/// (totals and counts, and the names of who made and checked the table).
pub const SUMMARY_WORDS: [&str; 10] = [
    "合计",
    "总计",
    "小计",
    "共计",
    "笔数",
    "制表",
    "审核",
    "复核",
    "负责人",
    "经办",
];

impl Header {
    fn label(&self, position: usize) -> std::borrow::Cow<'_, str> {
        match self.labels.get(position) {
            Some(label) => std::borrow::Cow::Borrowed(label),
            None => std::borrow::Cow::Owned((position + 1).to_string()),
        }
    }

    /// The unit wanted column `column` is written in.
    pub fn unit(&self, column: usize) -> Unit {
        self.units.get(column).copied().unwrap_or_default()
    }
}

/// A column the reader looks for: its name, whether the header must have it,
/// and other header spellings accepted for it.
pub struct Column {
    pub name: &'static str,
    pub required: bool,
    pub aliases: &'static [&'static str],
    /// An amount: may be given in fen (a header ending `(分)`, or
    /// columns.toml's `unit = "fen"`).
    pub money: bool,
}

pub const fn required(name: &'static str, aliases: &'static [&'static str]) -> Column {
    Column {
        name,
        required: true,
        aliases,
        money: false,
    }
}

pub const fn optional(name: &'static str, aliases: &'static [&'static str]) -> Column {
    Column {
        name,
        required: false,
        aliases,
        money: false,
    }
}

impl Column {
    /// The same column, an amount.
    pub const fn money(self) -> Column {
        Column {
            money: true,
            ..self
        }
    }

    fn is_named(&self, key: &str) -> bool {
        key == self.name || self.aliases.contains(&key)
    }
}

/// A header cell as columns are matched against it: lower case, white
/// space removed (`姓  名` is `姓名`), and without a last `(…)`/`（…）`,
/// which is kept apart as the unit (`发放金额（元）`).
struct Key {
    whole: String,
    bare: String,
    unit: Option<String>,
}

impl Key {
    fn of(text: &str) -> Key {
        let whole: String = text
            .chars()
            .filter(|character| !character.is_whitespace())
            .collect::<String>()
            .to_lowercase();
        let (bare, unit) = match whole
            .strip_suffix(')')
            .and_then(|rest| rest.rsplit_once('('))
            .or_else(|| {
                whole
                    .strip_suffix('）')
                    .and_then(|rest| rest.rsplit_once('（'))
            }) {
            Some((bare, unit)) if !bare.is_empty() => (bare.to_string(), Some(unit.to_string())),
            _ => (whole.clone(), None),
        };
        Key { whole, bare, unit }
    }
}

/// How one wanted column is found: by its name and aliases, or only by the
/// header columns.toml gives; or not at all, its value given.
fn names_column(column: &Column, setting: Option<&Setting>, key: &Key) -> bool {
    match setting {
        Some(Setting { value: Some(_), .. }) => false,
        Some(Setting {
            header: Some(header),
            ..
        }) => key.whole == Key::of(header).whole,
        _ => column.is_named(&key.whole) || key.unit.is_some() && column.is_named(&key.bare),
    }
}

fn setting_of<'s>(settings: &'s [Setting], column: &Column) -> Option<&'s Setting> {
    settings
        .iter()
        .find(|setting| setting.column == column.name)
}

/// Does the row `texts` hold every required column? (A spreadsheet's
/// header is the first row that does.) Returns how many it holds.
fn required_found(texts: &[&str], columns: &[Column], settings: &[Setting]) -> (usize, usize) {
    let keys: Vec<Key> = texts.iter().map(|text| Key::of(text)).collect();
    let mut found = 0;
    let mut wanted = 0;
    for column in columns.iter().filter(|column| column.required) {
        let setting = setting_of(settings, column);
        if setting.is_some_and(|setting| setting.value.is_some()) {
            continue;
        }
        wanted += 1;
        if keys.iter().any(|key| names_column(column, setting, key)) {
            found += 1;
        }
    }
    (found, wanted)
}

/// Each wanted column found: its SPEC name and the header text (or
/// `= value`) that gave it.
type FoundColumns = Vec<(&'static str, Box<str>)>;

/// Checks the header's cells and finds the wanted columns. `texts` are
/// the cells trimmed, already known to be UTF-8 without control characters.
/// `file` names the file (and sheet) in an error.
fn resolve_header(
    file: &str,
    line: u64,
    texts: &[&str],
    columns: &[Column],
    settings: &[Setting],
) -> Result<(Header, FoundColumns), FatalError> {
    let keys: Vec<String> = texts.iter().map(|text| text.to_lowercase()).collect();
    let matched: Vec<Key> = texts.iter().map(|text| Key::of(text)).collect();
    let mut positions = Vec::with_capacity(columns.len());
    let mut units = Vec::with_capacity(columns.len());
    let mut fixed = Vec::with_capacity(columns.len());
    let mut found = Vec::new();
    for column in columns {
        let setting = setting_of(settings, column);
        let mut named = matched
            .iter()
            .enumerate()
            .filter(|(_, key)| names_column(column, setting, key))
            .map(|(position, _)| position);
        let first = named.next();
        if let (Some(first), Some(second)) = (first, named.next()) {
            let message = if keys[first] == keys[second] {
                format!(
                    "column \"{}\" appears twice in the header (also column {})",
                    excerpt(&keys[second]),
                    first + 1
                )
            } else {
                format!(
                    "columns {} (\"{}\") and {} (\"{}\") both give {}",
                    first + 1,
                    excerpt(texts[first]),
                    second + 1,
                    excerpt(texts[second]),
                    column.name
                )
            };
            return Err(FatalError::DuplicateColumn {
                location: Location::cell(file, line, second as u64 + 1),
                message,
            });
        }
        if let Some(value) = setting.and_then(|setting| setting.value.as_deref()) {
            if let Some(position) = matched
                .iter()
                .position(|key| names_column(column, None, key))
            {
                return Err(FatalError::DuplicateColumn {
                    location: Location::cell(file, line, position as u64 + 1),
                    message: format!(
                        "columns.toml gives {} the value {:?} for every row, but column {} (\"{}\") gives it too",
                        column.name,
                        excerpt(value),
                        position + 1,
                        excerpt(texts[position])
                    ),
                });
            }
            found.push((column.name, format!("= {value}").into_boxed_str()));
        }
        let mut unit = setting.and_then(|setting| setting.unit).unwrap_or_default();
        if let Some(position) = first {
            found.push((column.name, excerpt(texts[position]).into()));
            let written = matched[position].unit.as_deref();
            if column.money && setting.and_then(|setting| setting.unit).is_none() {
                unit = match written {
                    None | Some("元" | "yuan" | "rmb" | "人民币") => Unit::Yuan,
                    Some("分" | "fen") => Unit::Fen,
                    Some(other)
                        if setting
                            .and_then(|setting| setting.header.as_ref())
                            .is_some() =>
                    {
                        // The header columns.toml names, whatever its
                        // parentheses say: yuan unless it says fen.
                        let _ = other;
                        Unit::Yuan
                    }
                    Some(other) => {
                        return Err(FatalError::BadHeader {
                            location: Location::cell(file, line, position as u64 + 1),
                            message: format!(
                                "the header \"{}\" gives {} in {:?}, a unit duizhang does not read; give amounts in 元 (yuan) or 分 (fen), or say the unit in columns.toml",
                                excerpt(texts[position]),
                                column.name,
                                excerpt(other)
                            ),
                        });
                    }
                };
            }
        }
        if unit == Unit::Fen {
            if let Some(last) = found.last_mut().filter(|(name, _)| *name == column.name) {
                last.1 = format!("{} (in fen)", last.1).into();
            }
        }
        positions.push(first);
        units.push(unit);
        fixed.push(setting.and_then(|setting| setting.value.clone()));
    }
    // One header cell naming two columns (columns.toml can make one):
    // which it is cannot be known.
    for (index, position) in positions.iter().enumerate() {
        let Some(position) = position else { continue };
        if let Some(other) = positions[index + 1..]
            .iter()
            .position(|other| other == &Some(*position))
        {
            return Err(FatalError::DuplicateColumn {
                location: Location::cell(file, line, *position as u64 + 1),
                message: format!(
                    "column {} (\"{}\") would give both {} and {}",
                    position + 1,
                    excerpt(texts[*position]),
                    columns[index].name,
                    columns[index + 1 + other].name
                ),
            });
        }
    }
    // A header columns.toml names that no cell reads: the file is not laid
    // out as columns.toml says (a typo there, or another export), and the
    // column's usual names are not looked for — say so, not merely that
    // the column is missing.
    if let Some((column, header, at)) =
        columns
            .iter()
            .zip(&positions)
            .find_map(|(column, position)| {
                let setting = setting_of(settings, column)?;
                let header = setting.header.as_deref()?;
                position
                    .is_none()
                    .then_some((column, header, setting.header_at))
            })
    {
        let cells: Vec<String> = texts
            .iter()
            .map(|text| format!("{:?}", excerpt(text)))
            .collect();
        let (at_line, at_column) = at.unwrap_or((1, 1));
        return Err(FatalError::Columns {
            location: Location::line(file, line),
            message: format!(
                "no column {}: {}:{at_line}:{at_column} says it is headed {:?}, and no header cell reads {:?}; the header's cells are {} — correct the header in columns.toml, or remove it there to find the column by its usual names",
                column.name,
                super::folder::COLUMNS_FILE,
                excerpt(header),
                excerpt(header),
                excerpt(&cells.join(", "))
            ),
        });
    }
    let missing: Vec<&str> = columns
        .iter()
        .zip(&positions)
        .zip(&fixed)
        .filter(|((column, position), fixed)| {
            column.required && position.is_none() && fixed.is_none()
        })
        .map(|((column, _), _)| column.name)
        .collect();
    if !missing.is_empty() {
        return Err(FatalError::MissingColumns {
            location: Location::line(file, line),
            plural: if missing.len() == 1 { "" } else { "s" },
            columns: missing.join(", "),
            header: excerpt(&keys.join(", ")).into_owned(),
        });
    }
    let mut labels: Vec<Box<str>> = texts
        .iter()
        .enumerate()
        .map(|(position, text)| {
            if text.is_empty() {
                format!("{} (no name in the header)", position + 1).into()
            } else {
                excerpt(text).into()
            }
        })
        .collect();
    for (column, position) in columns.iter().zip(&positions) {
        if let Some(position) = position {
            labels[*position] = column.name.into();
        }
    }
    let id_column = columns.iter().position(|column| column.name == "id_number");
    Ok((
        Header {
            positions,
            field_count: texts.len(),
            labels,
            units,
            fixed,
            id_column,
        },
        found,
    ))
}

/// A file's header and where its data rows begin: one for a text file,
/// one per sheet read for a workbook.
pub struct Body {
    pub header: Header,
    /// The sheet (workbook order); 0 for a text file.
    pub sheet: u16,
    /// Byte offset of the first data row (a workbook: its index in
    /// [`Workbook::rows`]).
    pub start: usize,
    /// Physical line number of the first data row.
    pub first_line: u64,
    /// Where the data rows end: the text's length, or the sheet's last row.
    pub end: usize,
    /// A sheet's merged cells over its data rows: per row (sorted), what
    /// the merge does to it.
    pub merges: Vec<(u32, MergeAction)>,
}

/// Reads the header of a file: a text file's (see [`read_header`]), or
/// the header of each sheet of a workbook that is read (see
/// [`read_sheet_headers`]), in workbook order.
pub fn read_bodies(file: &LoadedFile, columns: &[Column]) -> Result<Vec<Body>, FatalError> {
    match &file.workbook {
        Some(workbook) => read_sheet_headers(file, workbook, columns),
        None => Ok(vec![read_header(file, columns)?]),
    }
}

/// Reads a text file's header: the first row that is not empty — or, in a
/// bank's `.txt` export, the first of its first [`HEADER_SEARCH_ROWS`]
/// rows that names the columns, title lines above it passed over as in a
/// workbook. Stops the run when it cannot name the columns: empty, too
/// long, too many columns, a control character or bytes that are not text
/// in a cell, a quote never closed, a wanted column given twice or a
/// required one missing (a `.csv` whose header turns up on a later line
/// is told so).
pub fn read_header(file: &LoadedFile, columns: &[Column]) -> Result<Body, FatalError> {
    assert!(file.workbook.is_none(), "a workbook's headers: read_bodies");
    let name = file.name();
    let text = file.bytes();
    let mut scanner = Scanner::new(text, 0, text.len(), 1, file.delimiter, MAX_HEADER_BYTES);
    let searched = if file.format == crate::domain::Format::Txt {
        HEADER_SEARCH_ROWS
    } else {
        1
    };
    let mut first_error: Option<FatalError> = None;
    let mut tried = 0u32;
    loop {
        let attempt = header_attempt(file, &mut scanner, columns);
        tried += 1;
        match attempt {
            Ok(Some((span, header, found))) => {
                let _ = file.header_found.set(vec![HeaderFound {
                    sheet: None,
                    sheet_index: 0,
                    line: span.line,
                    merges: Vec::new(),
                    hidden_not_read: Vec::new(),
                    columns: found,
                }]);
                // A range of a file read alone: its rows keep the
                // file's lines.
                let first_line = file.rows_first_line.unwrap_or(span.next_line);
                return Ok(Body {
                    header,
                    sheet: 0,
                    merges: Vec::new(),
                    start: span.next,
                    first_line,
                    end: text.len(),
                });
            }
            // No more rows: the first problem found, or that there is no header.
            Ok(None) => {
                return Err(first_error.unwrap_or_else(|| FatalError::NoHeader {
                    location: Location::line(name, 1),
                }))
            }
            Err(error) => {
                let error = first_error.get_or_insert(error);
                // A header longer than the limit ends the search: the
                // scanner cannot go on past it.
                if tried >= searched || matches!(error, FatalError::HeaderTooLong { .. }) {
                    let mut error = first_error.expect("set above");
                    if searched == 1 {
                        csv_title_hint(file, columns, &mut error);
                    }
                    return Err(error);
                }
            }
        }
    }
}

/// One row read as the header: `Ok(None)` when the text has no more rows.
#[allow(clippy::type_complexity)]
fn header_attempt(
    file: &LoadedFile,
    scanner: &mut Scanner<'_>,
    columns: &[Column],
) -> Result<Option<(super::records::Span, Header, Vec<(&'static str, Box<str>)>)>, FatalError> {
    let name = file.name();
    let text = file.bytes();
    let span = match scanner.next_record() {
        Ok(Some(span)) => span,
        Ok(None) => return Ok(None),
        Err(TooLong { line }) => {
            return Err(FatalError::HeaderTooLong {
                location: Location::line(name, line),
                limit: MAX_HEADER_BYTES,
            })
        }
    };
    let mut fields = Fields::default();
    let (cells, bounds) = fields.split(&text[span.start..span.end], file.delimiter, span.quoted);
    if let Some(opened) = span.unclosed {
        // The cell never closed is the last of the row as cut.
        return Err(FatalError::BadHeader {
            location: Location::cell(name, opened, bounds.len() as u64),
            message: "a quote opens this header cell and is never closed; close it or remove it"
                .into(),
        });
    }
    if bounds.len() > MAX_COLUMNS {
        return Err(FatalError::TooManyColumns {
            location: Location::cell(name, span.line, MAX_COLUMNS as u64 + 1),
            limit: MAX_COLUMNS,
        });
    }
    let mut texts = Vec::with_capacity(bounds.len());
    for (position, &(start, end)) in bounds.iter().enumerate() {
        let cell = &cells[start as usize..end as usize];
        let location = || Location::cell(name, span.line, position as u64 + 1);
        let Ok(cell_text) = std::str::from_utf8(cell) else {
            return Err(FatalError::BadHeader {
                location: location(),
                message: "the header is not UTF-8 text, though most of the file is; it may be GBK: re-save the file as UTF-8".into(),
            });
        };
        header_cell_clean(cell, cell_text, location)?;
        texts.push(cell_text.trim());
    }
    let (header, found) = resolve_header(name, span.line, &texts, columns, file.settings())?;
    Ok(Some((span, header, found)))
}

/// A `.csv` whose first line lacks columns that a later one of its first
/// [`HEADER_SEARCH_ROWS`] lines names: its first lines are a title, which a
/// `.csv` may not have (its header is line 1, as SPEC says). The error says
/// so and how to mend it.
fn csv_title_hint(file: &LoadedFile, columns: &[Column], error: &mut FatalError) {
    let FatalError::MissingColumns { header: hint, .. } = error else {
        return;
    };
    let text = file.bytes();
    let mut scanner = Scanner::new(text, 0, text.len(), 1, file.delimiter, MAX_HEADER_BYTES);
    let _first = scanner.next_record();
    for _ in 1..HEADER_SEARCH_ROWS {
        match header_attempt(file, &mut scanner, columns) {
            Ok(Some((span, ..))) => {
                hint.push_str(&format!(
                    "; the header is on line {}, below what looks like a title: a .csv file's header must be its first line — delete the lines above it, or name the file .txt (a bank's text export, read past title lines)",
                    span.line
                ));
                return;
            }
            Ok(None) | Err(FatalError::HeaderTooLong { .. }) => return,
            Err(_) => {}
        }
    }
}

/// A header cell must not hold a control character.
fn header_cell_clean(
    cell: &[u8],
    cell_text: &str,
    location: impl Fn() -> Location,
) -> Result<(), FatalError> {
    if let Some(character) = control_character(cell) {
        let hint = if character == '\0' {
            " (a file saved as UTF-16 without its byte-order mark reads like this: re-save it as CSV UTF-8)"
        } else {
            ""
        };
        return Err(FatalError::BadHeader {
            location: location(),
            message: format!(
                "the header cell {:?} holds the control character U+{:04X}, which a column name cannot hold; remove it{hint}",
                excerpt(cell_text),
                u32::from(character)
            ),
        });
    }
    Ok(())
}

/// The headers of a workbook (docs/spec-readings.md). The sheets that may
/// be read are the visible worksheets — or exactly the ones columns.toml
/// names (`sheet = …`), hidden or not. Of those, every sheet with a row
/// among its first [`HEADER_SEARCH_ROWS`] that holds every required column
/// is read, in workbook order, as one file (a bank's sheet per month):
/// that row is its header, and the rows above it are titles. None: the run
/// stops naming the closest row, and a hidden sheet that would have done.
fn read_sheet_headers(
    file: &LoadedFile,
    workbook: &Workbook,
    columns: &[Column],
) -> Result<Vec<Body>, FatalError> {
    let settings = file.settings();
    let named = file.settings.sheets_of(file.kind);
    if let Some(named) = named {
        for name in named {
            if !workbook
                .sheets
                .iter()
                .any(|sheet| sheet.name.trim() == name.as_ref())
            {
                return Err(FatalError::NoHeaderRow {
                    location: Location::file(file.name()),
                    message: format!(
                        "columns.toml names the sheet {:?} for {}, and the workbook has no sheet of that name; its sheets are {}",
                        excerpt(name),
                        file.kind.stem(),
                        sheet_list(workbook)
                    ),
                });
            }
        }
    }
    let mut closest: Option<Closest<'_>> = None;
    let mut hidden_with_header: Vec<&str> = Vec::new();
    let mut bodies = Vec::new();
    let mut found = Vec::new();
    for (sheet_number, sheet) in workbook.sheets.iter().enumerate() {
        // Chart, macro and dialog sheets hold no table.
        if sheet.kind != SheetKind::Worksheet {
            continue;
        }
        let wanted = match named {
            Some(named) => named.iter().any(|name| name.as_ref() == sheet.name.trim()),
            None => sheet.visibility == Visibility::Visible,
        };
        let Some((index, row, texts)) = header_row_of(
            workbook,
            sheet,
            columns,
            settings,
            wanted.then_some(&mut closest),
        ) else {
            if named.is_some() && wanted {
                return Err(FatalError::NoHeaderRow {
                    location: Location::file(super::text::sheet_location(file.name(), &sheet.name)),
                    message: format!(
                        "columns.toml names this sheet for {}, and none of its first {HEADER_SEARCH_ROWS} rows holds the columns {} needs ({})",
                        file.kind.stem(),
                        file.kind.file_name(),
                        needed_columns(columns, settings).join(", ")
                    ),
                });
            }
            continue;
        };
        if !wanted {
            hidden_with_header.push(&sheet.name);
            continue;
        }
        let sheet_index = u16::try_from(sheet_number).map_err(|_| FatalError::SheetTooLarge {
            location: Location::file(file.name()),
            what: format!("the workbook has more than {} sheets", u16::MAX),
        })?;
        let file_name = super::text::sheet_location(file.name(), &sheet.name);
        if texts.len() > MAX_COLUMNS {
            return Err(FatalError::TooManyColumns {
                location: Location::cell(file_name, u64::from(row.line), MAX_COLUMNS as u64 + 1),
                limit: MAX_COLUMNS,
            });
        }
        for (position, &(start, end)) in sheet_cells(workbook, row).iter().enumerate() {
            let cell = &workbook.text[start as usize..end as usize];
            header_cell_clean(cell, texts[position], || {
                Location::cell(file_name.clone(), u64::from(row.line), position as u64 + 1)
            })?;
        }
        let (header, columns_found) =
            resolve_header(&file_name, u64::from(row.line), &texts, columns, settings)?;
        let (merges, merges_said) = merge_rules(workbook, sheet, row.line, &header, columns);
        found.push(HeaderFound {
            sheet: Some(sheet.name.as_str().into()),
            sheet_index,
            line: u64::from(row.line),
            merges: merges_said,
            hidden_not_read: Vec::new(),
            columns: columns_found,
        });
        bodies.push(Body {
            header,
            sheet: sheet_index,
            start: index + 1,
            first_line: u64::from(row.line) + 1,
            end: sheet.rows.end,
            merges,
        });
    }
    if !bodies.is_empty() {
        if let Some(first) = found.first_mut() {
            first.hidden_not_read = hidden_with_header.iter().map(|&name| name.into()).collect();
        }
        let _ = file.header_found.set(found);
        return Ok(bodies);
    }
    let needed = needed_columns(columns, settings);
    let hidden = if hidden_with_header.is_empty() {
        String::new()
    } else {
        format!(
            "; the hidden sheet{} {} {} them, and hidden sheets are not read: unhide it in Excel or WPS, or name it in columns.toml ([{}] sheet = {:?})",
            if hidden_with_header.len() == 1 { "" } else { "s" },
            hidden_with_header
                .iter()
                .map(|name| format!("{:?}", excerpt(name)))
                .collect::<Vec<_>>()
                .join(", "),
            if hidden_with_header.len() == 1 { "has" } else { "have" },
            file.kind.stem(),
            hidden_with_header[0]
        )
    };
    let message = match closest {
        Some((_, sheet, line, missing)) => format!(
            "no sheet has a header row holding the columns {} needs ({}) within its first {HEADER_SEARCH_ROWS} rows; the closest is sheet {:?} row {line}, which lacks {} (docs/formats.md lists the headers accepted for each column; columns.toml can name others){hidden}",
            file.kind.file_name(),
            needed.join(", "),
            excerpt(sheet),
            missing.join(", ")
        ),
        None => format!(
            "no sheet has a header row holding the columns {} needs ({}) within its first {HEADER_SEARCH_ROWS} rows; the workbook's sheets ({}) are empty there{hidden}",
            file.kind.file_name(),
            needed.join(", "),
            sheet_list(workbook)
        ),
    };
    Err(FatalError::NoHeaderRow {
        location: Location::file(file.name()),
        message,
    })
}

/// The required columns the header must name (those columns.toml gives
/// no value for).
fn needed_columns(columns: &[Column], settings: &[Setting]) -> Vec<&'static str> {
    columns
        .iter()
        .filter(|column| column.required)
        .filter(|column| setting_of(settings, column).is_none_or(|setting| setting.value.is_none()))
        .map(|column| column.name)
        .collect()
}

/// The workbook's sheets as a message lists them, hidden ones said so.
fn sheet_list(workbook: &Workbook) -> String {
    if workbook.sheets.is_empty() {
        return "none".into();
    }
    workbook
        .sheets
        .iter()
        .filter(|sheet| sheet.kind == SheetKind::Worksheet)
        .map(|sheet| match sheet.visibility {
            Visibility::Visible => format!("{:?}", excerpt(&sheet.name)),
            _ => format!("{:?} (hidden)", excerpt(&sheet.name)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The row nearest to a header so far: the required columns it holds, its
/// sheet and line, and the columns it lacks.
type Closest<'w> = (usize, &'w str, u32, Vec<String>);

/// The header row of `sheet`: its index in [`Workbook::rows`], the row and
/// its trimmed texts; `None` when none of its first rows holds every
/// required column. Notes the closest row in `closest` when given.
fn header_row_of<'w>(
    workbook: &'w Workbook,
    sheet: &'w super::workbook::Sheet,
    columns: &[Column],
    settings: &[Setting],
    mut closest: Option<&mut Option<Closest<'w>>>,
) -> Option<(usize, SheetRow, Vec<&'w str>)> {
    for index in sheet.rows.clone() {
        let row = workbook.rows[index];
        if row.line > HEADER_SEARCH_ROWS {
            break;
        }
        let texts: Vec<&str> = sheet_cells(workbook, row)
            .iter()
            .map(|&(start, end)| {
                std::str::from_utf8(&workbook.text[start as usize..end as usize])
                    .expect("a workbook's text is UTF-8")
                    .trim()
            })
            .collect();
        let (found, wanted) = required_found(&texts, columns, settings);
        if found >= wanted {
            return Some((index, row, texts));
        }
        if let Some(closest) = closest.as_deref_mut() {
            if closest.as_ref().is_none_or(|(best, ..)| found > *best) {
                let keys: Vec<Key> = texts.iter().map(|text| Key::of(text)).collect();
                let missing = columns
                    .iter()
                    .filter(|column| column.required)
                    .filter(|column| {
                        let setting = setting_of(settings, column);
                        setting.is_none_or(|setting| setting.value.is_none())
                            && !keys.iter().any(|key| names_column(column, setting, key))
                    })
                    .map(|column| match setting_of(settings, column) {
                        Some(Setting {
                            header: Some(header),
                            header_at: Some((at_line, at_column)),
                            ..
                        }) => format!(
                            "{} ({}:{at_line}:{at_column} says it is headed {:?}, and no cell of that row reads it)",
                            column.name,
                            super::folder::COLUMNS_FILE,
                            excerpt(header)
                        ),
                        _ => column.name.to_string(),
                    })
                    .collect();
                *closest = Some((found, &sheet.name, row.line, missing));
            }
        }
    }
    None
}

/// What a merged range of cells over a sheet's data rows does to the rows
/// it spans (docs/spec-readings.md, "Merged cells").
#[derive(Clone, Debug)]
pub enum MergeAction {
    /// The merge's value (the text of its top-left cell) stands in this
    /// wanted column of every row it spans: a month, a region, a program
    /// written once for several rows.
    Copy {
        column: usize,
        cell: (u32, u32),
        kind: CellKind,
    },
    /// The row is a BAD_RECORD: copying would invent money, a person, a
    /// record or an account for the rows below the first.
    Bad(Box<str>),
}

/// Is a wanted column one whose value a merge may not give to several
/// rows: money, a person's ID number, a record's id, an account?
fn never_copied(column: &Column) -> bool {
    column.money
        || matches!(
            column.name,
            "id_number"
                | "account"
                | "enrolment_id"
                | "payout_id"
                | "allocation_id"
                | "transfer_id"
        )
}

/// The merges of `sheet` over the data rows below the header row
/// `header_line`: per spanned row and wanted column, what is done (sorted
/// by row), and one sentence each for run.json and `duizhang check`.
fn merge_rules(
    workbook: &Workbook,
    sheet: &super::workbook::Sheet,
    header_line: u32,
    header: &Header,
    columns: &[Column],
) -> (Vec<(u32, MergeAction)>, Vec<Box<str>>) {
    let mut rules = Vec::new();
    let mut said = Vec::new();
    for merge in &sheet.merged {
        if merge.last_row <= header_line || merge.first_row == merge.last_row {
            // Above the table (titles), or within one row: nothing to share.
            continue;
        }
        let covered: Vec<(usize, usize)> = header
            .positions
            .iter()
            .enumerate()
            .filter_map(|(wanted, position)| Some((wanted, (*position)?)))
            .filter(|&(_, position)| {
                (merge.first_column as usize..=merge.last_column as usize).contains(&position)
            })
            .collect();
        if covered.is_empty() {
            continue;
        }
        let first = merge.first_row.max(header_line + 1);
        let rows = format!(
            "rows {}–{} of sheet {:?}",
            merge.first_row.max(header_line + 1),
            merge.last_row,
            excerpt(&sheet.name)
        );
        let names: Vec<&str> = covered
            .iter()
            .map(|&(wanted, _)| columns[wanted].name)
            .collect();
        let copy = covered.len() == 1
            && covered[0].1 == merge.first_column as usize
            && !never_copied(&columns[covered[0].0])
            && merge.first_row > header_line;
        if copy {
            let (wanted, position) = covered[0];
            let source = workbook.rows[sheet.rows.clone()]
                .iter()
                .find(|row| row.line == merge.first_row)
                .and_then(|row| {
                    (position < row.count as usize).then(|| {
                        let at = row.first as usize + position;
                        (workbook.cells[at], workbook.kinds[at])
                    })
                });
            let (cell, kind) = source.unwrap_or(((0, 0), CellKind::Text));
            for line in merge.first_row + 1..=merge.last_row {
                rules.push((
                    line,
                    MergeAction::Copy {
                        column: wanted,
                        cell,
                        kind,
                    },
                ));
            }
            said.push(
                format!(
                    "{}: column {} merged; the value of row {} given to each row",
                    rows, names[0], merge.first_row
                )
                .into(),
            );
        } else {
            let why: Box<str> = format!(
                "column {}: the cell is merged over {rows}, and a merged {} cannot say which row it belongs to; unmerge the cells and give each row its own value",
                names.join(", "),
                if covered.len() > 1 {
                    "range of several columns".to_string()
                } else {
                    names[0].to_string()
                }
            )
            .into();
            for line in first..=merge.last_row {
                rules.push((line, MergeAction::Bad(why.clone())));
            }
            said.push(
                format!(
                    "{}: column {} merged; each row it spans is a BAD_RECORD",
                    rows,
                    names.join(", ")
                )
                .into(),
            );
        }
    }
    rules.sort_by_key(|(line, _)| *line);
    (rules, said)
}

fn sheet_cells(workbook: &Workbook, row: SheetRow) -> &[(u32, u32)] {
    &workbook.cells[row.first as usize..(row.first + row.count) as usize]
}

/// One data row: trimmed cells by wanted-column index, and its line.
pub struct Row<'r> {
    /// The bytes `bounds` index: the row as read, or its fields unquoted.
    text: &'r [u8],
    bounds: &'r [(u32, u32)],
    /// A spreadsheet row: what each cell held (number, date, text…).
    kinds: Option<&'r [CellKind]>,
    header: &'r Header,
    pub line: u32,
    /// The file, sheet and kind, for the row's evidence.
    file: FileId,
    sheet: u16,
    kind: FileKind,
    /// `text` as text, when every cell is UTF-8 (the whole text was
    /// checked or decoded, or this row was): cells are slices of it.
    utf8_text: Option<&'r str>,
    /// The file's encoding, when decoding put U+FFFD into this row.
    undecodable: Option<&'static str>,
    fault: Option<String>,
}

/// `text` without white space at either end, as `str::trim`; a cell that
/// begins and ends with a visible ASCII character — nearly every cell of a
/// stage file — is returned as it is, without decoding characters.
#[inline]
fn trim(text: &str) -> &str {
    let bytes = text.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// What a formula cell whose value was never saved is told (a workbook
/// written by a program that stores formulas without calculating them).
pub const NO_SAVED_VALUE: &str = "this cell's formula has no saved value: open the workbook in Excel or WPS and save it so the values are stored";

/// U+FFFD in UTF-8: what decoding writes for bytes it cannot read.
const REPLACEMENT_CHARACTER: &[u8] = "\u{FFFD}".as_bytes();

impl<'r> Row<'r> {
    /// Where the row is: its file, sheet and line.
    pub fn source(&self) -> Source {
        Source::in_file(self.kind, self.file, self.sheet, self.line)
    }

    fn raw(&self, position: usize) -> Option<&'r [u8]> {
        let &(start, end) = self.bounds.get(position)?;
        Some(&self.text[start as usize..end as usize])
    }

    /// The cell at `position` as text; `None` in a row that is not UTF-8
    /// when the cell is not either.
    #[inline]
    fn text_of(&self, position: usize) -> Option<&'r str> {
        let &(start, end) = self.bounds.get(position)?;
        match self.utf8_text {
            // Bounds lie next to ASCII bytes (`,` tab `"` CR LF), so
            // between characters: a checked slice, no decoding.
            Some(text) => {
                let cell = text.get(start as usize..end as usize);
                debug_assert!(cell.is_some(), "cells end between characters");
                cell
            }
            None => std::str::from_utf8(&self.text[start as usize..end as usize]).ok(),
        }
    }

    /// The trimmed cell of wanted column `column`, without the `'` an
    /// exporter puts before a number to keep it text; `None` when the
    /// header lacks the column, the cell is empty (SPEC §2: empty means
    /// absent) or, in a row that is not UTF-8, not UTF-8. A column
    /// columns.toml gives a value has that value.
    #[inline]
    pub fn cell(&self, column: usize) -> Option<&'r str> {
        let Some(position) = self.header.positions[column] else {
            return self.fixed(column);
        };
        let mut text = trim(self.text_of(position)?);
        if text.as_bytes().first() == Some(&b'\'') {
            text = text[1..].trim_start();
        }
        (!text.is_empty()).then_some(text)
    }

    /// The value columns.toml gives a column the file lacks.
    #[cold]
    fn fixed(&self, column: usize) -> Option<&'r str> {
        self.header.fixed[column].as_deref()
    }

    /// What the cell of wanted column `column` held in a spreadsheet
    /// (text for a CSV file, and for a value columns.toml gives).
    #[inline]
    pub fn kind(&self, column: usize) -> CellKind {
        // A CSV row: every cell is text, nothing to look up.
        let Some(kinds) = self.kinds else {
            return CellKind::Text;
        };
        match self.header.positions[column] {
            Some(position) => kinds.get(position).copied().unwrap_or_default(),
            None => CellKind::Text,
        }
    }

    /// The unit of wanted column `column`.
    #[inline]
    pub fn unit(&self, column: usize) -> Unit {
        self.header.unit(column)
    }

    /// As [`Row::cell`], and `None` when the cell holds a control
    /// character or bytes its encoding could not read: what may be written
    /// to an output from a faulty row.
    pub fn clean_cell(&self, column: usize) -> Option<&'r str> {
        self.cell(column).filter(|text| {
            control_character(text.as_bytes()).is_none()
                && !(self.undecodable.is_some() && text.contains('\u{FFFD}'))
        })
    }

    /// Why the row cannot be read, if it cannot.
    pub fn fault(&self) -> Option<&str> {
        self.fault.as_deref()
    }

    /// A summary or signature line under a table (SPEC v3): its first
    /// non-empty cell begins with one of [`SUMMARY_WORDS`] and its
    /// id_number cell is empty (or the file has none). Such a line is
    /// skipped and counted, never a BAD_RECORD. The first cell is looked
    /// at first: a data row's is nearly always an ASCII id, one byte.
    fn is_summary_line(&self) -> bool {
        let first = (0..self.bounds.len()).find_map(|position| {
            self.bounds.get(position)?;
            match self.text_of(position) {
                None => Some(None),
                Some(text) => {
                    let text = trim(text);
                    (!text.is_empty()).then_some(Some(text))
                }
            }
        });
        let Some(Some(first)) = first else {
            return false;
        };
        if first.as_bytes()[0] < 0x80 || !SUMMARY_WORDS.iter().any(|word| first.starts_with(word)) {
            return false;
        }
        self.header
            .id_column
            .is_none_or(|column| self.cell(column).is_none())
    }

    fn is_blank(&self) -> bool {
        (0..self.bounds.len()).all(|position| {
            self.text_of(position)
                .is_some_and(|text| trim(text).is_empty())
        })
    }

    /// A control character in the cell at `position` (looked for when
    /// `controls`), or the cell past the length limit.
    fn cell_text_problems(
        &self,
        position: usize,
        cell: &'r [u8],
        controls: bool,
        problems: &mut Problems,
    ) {
        let value = || self.text_of(position).unwrap_or_default();
        if controls {
            if let Some(character) = control_character(cell) {
                problems.add(
                    &self.header.label(position),
                    Some(value()),
                    &format!(
                        "holds the control character U+{:04X}, which a cell may not hold; remove it",
                        u32::from(character)
                    ),
                );
            }
        }
        if cell.len() > MAX_CELL_BYTES {
            problems.add(
                &self.header.label(position),
                Some(value()),
                &format!(
                    "the cell is {} bytes long; a cell holds at most {MAX_CELL_BYTES} bytes",
                    cell.len()
                ),
            );
        }
    }

    /// What is wrong with a spreadsheet row: a control character or too
    /// long a cell anywhere, an error value (`#N/A`) or a time span where
    /// a wanted column is.
    fn sheet_fault(&self) -> Option<String> {
        let kinds = self.kinds.unwrap_or_default();
        let mut problems = Problems::default();
        for position in 0..self.bounds.len() {
            let Some(cell) = self.raw(position) else {
                continue;
            };
            let value = || self.text_of(position).unwrap_or_default();
            self.cell_text_problems(position, cell, true, &mut problems);
            let wanted = || self.header.positions.contains(&Some(position));
            match kinds.get(position) {
                Some(CellKind::Error) if wanted() => problems.add(
                    &self.header.label(position),
                    Some(value()),
                    "the cell holds a spreadsheet error (a formula that failed); put the value itself there",
                ),
                Some(CellKind::NotADate) if wanted() => problems.add(
                    &self.header.label(position),
                    Some(value()),
                    "the cell holds a time span or a date outside 0001–9999, not a value this column takes",
                ),
                Some(CellKind::NoValue) if wanted() => problems.add(
                    &self.header.label(position),
                    None,
                    NO_SAVED_VALUE,
                ),
                _ => {}
            }
        }
        (!problems.is_empty()).then(|| problems.into_detail())
    }

    /// What is wrong with the row as text, before its field count.
    fn text_fault(&self, span: &Span, raw: &[u8]) -> Option<String> {
        let last = self.bounds.len().saturating_sub(1);
        if let Some(opened) = span.unclosed {
            let on_line = if opened == span.line {
                String::new()
            } else {
                format!(" on line {opened}")
            };
            return Some(format!(
                "column {}: a quote opens this cell{on_line} and is never closed (no closing quote within {MAX_CELL_BYTES} bytes, nor before the end of the file), so the row ends with that line and the next line is read as a row; close the quote or remove it",
                self.header.label(last)
            ));
        }
        if self.utf8_text.is_none() {
            return Some(
                "the row is not UTF-8 text, though the rest of the file is; it may have been typed or pasted in as GBK: re-save the file as UTF-8 (Excel: Save As, CSV UTF-8)"
                    .into(),
            );
        }
        if let Some(encoding) = self.undecodable {
            return Some(format!(
                "the row holds bytes that are not {encoding} text (they cannot be read as any character); the export may be damaged or in another encoding: re-save the file as UTF-8"
            ));
        }
        let controls = may_hold_control(raw);
        let long = raw.len() > MAX_CELL_BYTES;
        if !controls && !long {
            return None;
        }
        let mut problems = Problems::default();
        for position in 0..self.bounds.len() {
            let Some(cell) = self.raw(position) else {
                continue;
            };
            // A cell can pass the limit only when the row does (`long`).
            self.cell_text_problems(position, cell, controls, &mut problems);
        }
        (!problems.is_empty()).then(|| problems.into_detail())
    }

    fn field_count_fault(&self, span: &Span, delimiter: u8) -> String {
        let separator = if delimiter == b'\t' { "tab" } else { "comma" };
        let mut detail = format!(
            "the row has {} fields but the header has {}; check for a stray or missing {separator} or an unclosed quote",
            self.bounds.len(),
            self.header.field_count
        );
        let last_line = span.last_line();
        if last_line > span.line {
            use std::fmt::Write;
            write!(
                detail,
                " (the row runs from line {} to line {last_line}: a quoted cell holds line breaks)",
                span.line
            )
            .expect("writing to a String cannot fail");
        }
        detail
    }
}

/// Calls `visit` for every non-blank data row of `file`, in file order
/// (a workbook: every sheet read, in workbook order). Returns the number of
/// data rows visited, and of each sheet.
pub fn for_each_row(
    file: &LoadedFile,
    owner: Owner<'_>,
    columns: &[Column],
    mut visit: impl FnMut(&Row<'_>),
) -> Result<RowCounts, FatalError> {
    let mut counts = RowCounts::default();
    for body in read_bodies(file, columns)? {
        let read = for_each_row_in(
            file,
            owner,
            &body,
            body.start,
            body.end,
            body.first_line,
            &mut visit,
        )?;
        debug_assert!(!read.ran_into_end, "the rows end where the text ends");
        counts.rows += read.rows;
        counts.summary_rows += read.summary_rows;
        counts.by_sheet.push((body.sheet, read.rows));
    }
    Ok(counts)
}

/// What [`for_each_row`] counted.
#[derive(Clone, Debug, Default)]
pub struct RowCounts {
    pub rows: u64,
    /// Summary and signature lines skipped (SPEC v3).
    pub summary_rows: u64,
    /// (sheet, data rows) of each sheet read.
    pub by_sheet: Vec<(u16, u64)>,
}

/// What [`for_each_row_in`] read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowsRead {
    /// Data rows visited.
    pub rows: u64,
    /// Summary and signature lines skipped (SPEC v3), not data rows.
    pub summary_rows: u64,
    /// The rows were cut from a longer text, and reading them looked past
    /// their end ([`super::records::Scanner::ran_into_end`]): they may not
    /// be the rows the whole text holds there.
    pub ran_into_end: bool,
}

/// In a partitioned run, the partition reading and the wanted-column index
/// of the id_number: rows of other partitions are passed over uncounted.
pub type Owner<'p> = Option<(&'p super::Partition, usize)>;

/// Visits the rows in `file.bytes()[start..end]`, whose first physical line
/// is `first_line` (a workbook: its rows `start..end`). Returns the number
/// of data rows visited, and whether `end` cut a record short.
pub fn for_each_row_in(
    file: &LoadedFile,
    owner: Owner<'_>,
    body: &Body,
    start: usize,
    end: usize,
    first_line: u64,
    mut visit: impl FnMut(&Row<'_>),
) -> Result<RowsRead, FatalError> {
    let header = &body.header;
    if let Some(workbook) = &file.workbook {
        let mut rows: u64 = 0;
        let mut summary_rows: u64 = 0;
        // A row a merge spans gets its cells here: the row's, with the
        // merge's value put in.
        let (mut merged_bounds, mut merged_kinds): (Vec<(u32, u32)>, Vec<CellKind>) =
            (Vec::new(), Vec::new());
        // A workbook's text is made from Rust strings: checked once here,
        // its cells are slices of it.
        let workbook_text = std::str::from_utf8(&workbook.text).ok();
        debug_assert!(workbook_text.is_some(), "a workbook's text is UTF-8");
        for &sheet_row in &workbook.rows[start..end] {
            let range = sheet_row.first as usize..(sheet_row.first + sheet_row.count) as usize;
            let actions = merge_actions(&body.merges, sheet_row.line);
            let mut merge_fault: Option<String> = None;
            let (bounds, kinds): (&[(u32, u32)], &[CellKind]) = if actions.is_empty() {
                (&workbook.cells[range.clone()], &workbook.kinds[range])
            } else {
                merged_bounds.clear();
                merged_bounds.extend_from_slice(&workbook.cells[range.clone()]);
                merged_kinds.clear();
                merged_kinds.extend_from_slice(&workbook.kinds[range]);
                for (_, action) in actions {
                    match action {
                        MergeAction::Copy { column, cell, kind } => {
                            let Some(position) = body.header.positions[*column] else {
                                continue;
                            };
                            if merged_bounds.len() <= position {
                                merged_bounds.resize(position + 1, (0, 0));
                                merged_kinds.resize(position + 1, CellKind::Text);
                            }
                            merged_bounds[position] = *cell;
                            merged_kinds[position] = *kind;
                        }
                        MergeAction::Bad(why) => {
                            merge_fault.get_or_insert_with(String::new).push_str(why);
                        }
                    }
                }
                (&merged_bounds, &merged_kinds)
            };
            let mut row = Row {
                text: &workbook.text,
                bounds,
                kinds: Some(kinds),
                header,
                line: sheet_row.line,
                file: file.id,
                sheet: body.sheet,
                kind: file.kind,
                utf8_text: workbook_text,
                undecodable: None,
                fault: None,
            };
            let fault = match (row.sheet_fault(), merge_fault) {
                (None, merged) => merged,
                (fault, None) => fault,
                (Some(fault), Some(merged)) => Some(format!("{merged}; {fault}")),
            };
            if fault.is_none() && row.is_blank() {
                continue;
            }
            row.fault = fault;
            if let Some((partition, id_column)) = owner {
                if !partition.owns(row.cell(id_column)) {
                    continue;
                }
            }
            if row.is_summary_line() {
                summary_rows += 1;
                continue;
            }
            rows += 1;
            visit(&row);
        }
        return Ok(RowsRead {
            rows,
            summary_rows,
            ran_into_end: false,
        });
    }
    let name = file.name();
    let text = file.bytes();
    // The whole text, when it is UTF-8: each row is a checked slice of it.
    let whole_text = file.text();
    debug_assert!(
        whole_text.is_some() || file.check_rows,
        "a text that is not UTF-8 whole is checked row by row"
    );
    let mut scanner = Scanner::new(text, start, end, first_line, file.delimiter, MAX_ROW_BYTES);
    let mut fields = Fields::default();
    let mut rows: u64 = 0;
    let mut summary_rows: u64 = 0;
    loop {
        let span = match scanner.next_record() {
            Ok(Some(span)) => span,
            Ok(None) => break,
            Err(TooLong { line }) => {
                return Err(FatalError::RowTooLong {
                    location: Location::line(name, line),
                    limit: MAX_ROW_BYTES,
                })
            }
        };
        let line = u32::try_from(span.line).map_err(|_| FatalError::TooManyLines {
            location: Location::line(name, span.line),
            limit: u64::from(u32::MAX),
        })?;
        let raw = &text[span.start..span.end];
        // A record starts and ends next to a line end (or the text's
        // ends), so between characters: `get` never fails on a text.
        let raw_text = match whole_text {
            Some(whole) => whole.get(span.start..span.end),
            None => std::str::from_utf8(raw).ok(),
        };
        let utf8 = raw_text.is_some();
        let undecodable = (file.undecodable
            && memchr::memmem::find(raw, REPLACEMENT_CHARACTER).is_some())
        .then_some(file.encoding);
        let (cells, utf8_text, bounds) = match raw_text {
            Some(raw_text) => {
                let (cells, bounds) = fields.split_text(raw_text, file.delimiter, span.quoted);
                (cells.as_bytes(), Some(cells), bounds)
            }
            None => {
                let (cells, bounds) = fields.split(raw, file.delimiter, span.quoted);
                (cells, None, bounds)
            }
        };
        let mut row = Row {
            text: cells,
            bounds,
            kinds: None,
            header,
            line,
            file: file.id,
            sheet: body.sheet,
            kind: file.kind,
            utf8_text,
            undecodable,
            fault: None,
        };
        // Another partition's row is passed over before its faults are
        // looked for: whose it is depends on its id cell alone.
        if let Some((partition, id_column)) = owner {
            if !partition.owns(row.cell(id_column)) {
                continue;
            }
        }
        let fault = row.text_fault(&span, raw);
        if fault.is_none() && row.is_blank() {
            continue;
        }
        if span.unclosed.is_none() && row.is_summary_line() {
            summary_rows += 1;
            continue;
        }
        row.fault = if row.bounds.len() == header.field_count {
            fault
        } else {
            match fault {
                None => Some(row.field_count_fault(&span, file.delimiter)),
                // A quote never closed, or bytes that are not text, explain
                // the count; anything else is said beside it.
                Some(fault) if span.unclosed.is_some() || !utf8 || undecodable.is_some() => {
                    Some(fault)
                }
                Some(fault) => Some(format!(
                    "{fault}; {}",
                    row.field_count_fault(&span, file.delimiter)
                )),
            }
        };
        rows += 1;
        visit(&row);
    }
    Ok(RowsRead {
        rows,
        summary_rows,
        ran_into_end: scanner.ran_into_end(),
    })
}

/// What the merges of a sheet do to the row on `line`.
fn merge_actions(merges: &[(u32, MergeAction)], line: u32) -> &[(u32, MergeAction)] {
    if merges.is_empty() {
        return &[];
    }
    let start = merges.partition_point(|(at, _)| *at < line);
    let end = start + merges[start..].partition_point(|(at, _)| *at == line);
    &merges[start..end]
}

/// The problems of one row, gathered so a BAD_RECORD names all of them.
#[derive(Default)]
pub struct Problems {
    detail: String,
}

impl Problems {
    /// Adds a problem with `column`; `value`, when given, is quoted (cut to
    /// [`crate::error::MAX_QUOTED_CHARS`] characters, control characters
    /// escaped).
    pub fn add(&mut self, column: &str, value: Option<&str>, expected: &str) {
        use std::fmt::Write;
        if !self.detail.is_empty() {
            self.detail.push_str("; ");
        }
        match value {
            Some(value) => write!(
                self.detail,
                "column {column}: {:?}: {expected}",
                excerpt(value)
            ),
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

pub use crate::case::BadRecord;

/// A BAD_RECORD is made here, where its row is known; the case holds it.
impl BadRecord {
    pub fn new(row: &Row<'_>, id_column: Option<usize>, detail: String) -> BadRecord {
        BadRecord {
            source: row.source(),
            id_number: id_column
                .and_then(|column| row.clean_cell(column))
                .map(|id| id_number::normalise(id).into_owned().into_boxed_str())
                .unwrap_or_default(),
            detail,
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_quick_trim_trims_as_str_trim_does() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\ta\r",
            "王芳",
            " 王芳\u{3000}",
            "\u{3000}",
            "1,5",
            "x\u{a0}",
            "\u{85}y",
            "ab",
            "'1",
            "张三\u{3000}",
            "\u{a0}1.00",
            "张\u{2003}",
            "\t2024-07\r",
            "\u{feff}x",
            "é",
            "\u{2028}",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }
    use super::*;

    const COLUMNS: [Column; 3] = [
        required("id_number", &["身份证号"]),
        required("amount", &["金额"]),
        optional("name", &[]),
    ];

    fn file_of(bytes: &[u8]) -> (tempfile::TempDir, LoadedFile) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("payouts.csv"), bytes).expect("write");
        let folder = super::super::folder::CaseFolder::open(dir.path()).expect("lists");
        let id = folder.first_of(FileKind::Payouts).expect("present");
        let file = load(&folder, id, false, super::super::text::MAX_PIECE_BYTES).expect("loads");
        (dir, file)
    }

    /// (line, cells of the wanted columns, fault) of every row.
    fn rows(bytes: &[u8]) -> Vec<(u32, Vec<Option<String>>, Option<String>)> {
        let (_dir, file) = file_of(bytes);
        let mut out = Vec::new();
        for_each_row(&file, None, &COLUMNS, |row| {
            out.push((
                row.line,
                (0..COLUMNS.len())
                    .map(|column| row.cell(column).map(String::from))
                    .collect(),
                row.fault().map(String::from),
            ))
        })
        .expect("reads");
        out
    }

    /// The error of loading the file (which refuses a header that can be
    /// no header from the file's first line) or of reading its header.
    fn header_error(bytes: &[u8]) -> FatalError {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("payouts.csv"), bytes).expect("write");
        let folder = super::super::folder::CaseFolder::open(dir.path()).expect("lists");
        let id = folder.first_of(FileKind::Payouts).expect("present");
        let file = match load(&folder, id, false, super::super::text::MAX_PIECE_BYTES) {
            Ok(file) => file,
            Err(error) => return error,
        };
        match read_header(&file, &COLUMNS) {
            Ok(_) => panic!("the header was accepted"),
            Err(error) => error,
        }
    }

    #[test]
    fn a_column_given_twice_by_name_or_alias_is_fatal_naming_both() {
        let error = header_error(b"id_number,amount,name,Amount\n");
        assert_eq!(
            error.to_string(),
            "payouts.csv:1:4: column \"amount\" appears twice in the header (also column 2); give the column once"
        );
        let error = header_error("amount,id_number,金额\n".as_bytes());
        assert_eq!(
            error.to_string(),
            "payouts.csv:1:3: columns 1 (\"amount\") and 3 (\"金额\") both give amount; give the column once"
        );
        let error = header_error("身份证号,amount,id_number\n".as_bytes());
        assert!(
            matches!(error, FatalError::DuplicateColumn { .. }),
            "{error}"
        );
    }

    #[test]
    fn no_header_names_two_columns_of_one_file() {
        for kind in FileKind::ALL {
            let columns: Vec<(&str, Vec<&str>)> = match kind {
                FileKind::Roster => &super::super::roster::COLUMNS[..],
                FileKind::Standards => &super::super::standards::COLUMNS[..],
                FileKind::Exclusions => &super::super::registers::EXCLUSION_COLUMNS[..],
                FileKind::Relatives => &super::super::registers::RELATIVE_COLUMNS[..],
                _ => &[],
            }
            .iter()
            .map(|column| (column.name, column.aliases.to_vec()))
            .chain(
                [
                    crate::domain::Stage::Payout,
                    crate::domain::Stage::Allocation,
                    crate::domain::Stage::Transfer,
                ]
                .into_iter()
                .filter(|stage| stage.file_kind() == kind)
                .flat_map(super::super::stages::columns)
                .map(|column| (column.name, column.aliases.to_vec())),
            )
            .collect();
            let mut seen: Vec<(&str, &str)> = Vec::new();
            for (name, aliases) in columns.iter().filter(|(name, _)| !name.starts_with('\0')) {
                for header in std::iter::once(name).chain(aliases.iter()) {
                    let key = Key::of(header).whole;
                    if let Some((_, other)) = seen.iter().find(|(seen_key, _)| **seen_key == *key) {
                        panic!(
                            "{}: {header:?} names both {other} and {name}",
                            kind.file_name()
                        );
                    }
                    seen.push((Box::leak(key.into_boxed_str()), name));
                }
            }
        }
    }

    #[test]
    fn a_header_columns_toml_gives_two_columns_is_fatal() {
        let settings = [
            Setting {
                column: "amount",
                header: Some("户名".into()),
                value: None,
                unit: None,
                header_at: None,
            },
            Setting {
                column: "name",
                header: Some("户名".into()),
                value: None,
                unit: None,
                header_at: None,
            },
        ];
        let columns = [
            required("id_number", &[]),
            required("amount", &[]).money(),
            optional("name", &[]),
        ];
        let Err(error) = resolve_header(
            "payouts.csv",
            1,
            &["id_number", "户名"],
            &columns,
            &settings,
        ) else {
            panic!("accepted");
        };
        assert_eq!(
            error.to_string(),
            "payouts.csv:1:2: column 2 (\"户名\") would give both amount and name; give the column once"
        );
    }

    #[test]
    fn headers_are_matched_with_white_space_and_units_aside() {
        let columns = [
            required("id_number", &["身份证号码"]),
            required("amount", &["交易金额"]).money(),
            optional("name", &["姓名"]),
        ];
        let (header, found) = resolve_header(
            "payouts.csv",
            1,
            &["身份证 号码", "交易金额(分)", "姓  名"],
            &columns,
            &[],
        )
        .expect("resolves");
        assert_eq!(header.positions, [Some(0), Some(1), Some(2)]);
        assert_eq!(header.unit(1), Unit::Fen);
        assert_eq!(found[1], ("amount", "交易金额(分) (in fen)".into()));
        let (header, _) = resolve_header(
            "payouts.csv",
            1,
            &["身份证号码", "交易金额（元）"],
            &columns,
            &[],
        )
        .expect("resolves");
        assert_eq!(header.unit(1), Unit::Yuan);
        let error = resolve_header(
            "payouts.csv",
            1,
            &["身份证号码", "交易金额(万元)"],
            &columns,
            &[],
        )
        .err()
        .expect("refused");
        assert!(matches!(error, FatalError::BadHeader { .. }), "{error}");
        // Parentheses on a column that is not money are a note.
        let (header, _) = resolve_header(
            "payouts.csv",
            1,
            &["身份证号码(18位)", "交易金额"],
            &columns,
            &[],
        )
        .expect("resolves");
        assert_eq!(header.positions[0], Some(0));
    }

    #[test]
    fn unknown_columns_may_share_a_name() {
        let read = rows("id_number,备注,amount,备注\n1,a,2,b\n".as_bytes());
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].2, None);
    }

    #[test]
    fn header_limits_and_control_characters_stop_the_run() {
        let wide = format!("id_number,amount,{}\n", vec!["x"; MAX_COLUMNS].join(","));
        let error = header_error(wide.as_bytes());
        assert!(
            matches!(error, FatalError::TooManyColumns { .. }),
            "{error}"
        );
        assert!(
            error.to_string().starts_with("payouts.csv:1:1025: "),
            "{error}"
        );
        let long = format!("id_number,amount,{}\n", "x".repeat(MAX_HEADER_BYTES));
        let error = header_error(long.as_bytes());
        assert!(matches!(error, FatalError::HeaderTooLong { .. }), "{error}");
        let error = header_error(b"\n\nid_number,am\x07ount\n");
        assert_eq!(
            error.to_string(),
            "payouts.csv:3:2: the header cell \"am\\u{7}ount\" holds the control character U+0007, which a column name cannot hold; remove it"
        );
        let error = header_error(b"id_number,\"amount\n1,2\n");
        assert!(matches!(error, FatalError::BadHeader { .. }), "{error}");
    }

    #[test]
    fn control_characters_make_the_row_a_bad_record_in_any_column() {
        let read = rows(b"id_number,amount,extra\n1,2\x00,x\n3,4,y\x1b\n5,6,z\n");
        assert_eq!(read.len(), 3);
        let fault = read[0].2.as_deref().expect("a fault");
        assert_eq!(
            fault,
            "column amount: \"2\\0\": holds the control character U+0000, which a cell may not hold; remove it"
        );
        assert!(read[1]
            .2
            .as_deref()
            .expect("a fault")
            .starts_with("column extra: "));
        assert_eq!(read[2].2, None);
        // Tabs in a comma file, and the middle dot, are fine.
        let read = rows("id_number,amount\n1\t,阿·买\n".as_bytes());
        assert_eq!(read[0].2, None);
    }

    #[test]
    fn an_unclosed_quote_is_one_bad_record_and_the_rows_after_it_are_read() {
        let read = rows(b"id_number,amount\n1,\"2\n3,4\n5,6\n");
        assert_eq!(read.iter().map(|row| row.0).collect::<Vec<_>>(), [2, 3, 4]);
        assert!(read[0]
            .2
            .as_deref()
            .expect("a fault")
            .contains("never closed"));
        assert_eq!(read[0].1[0].as_deref(), Some("1"));
        assert_eq!(read[1].2, None);
        assert_eq!(read[2].1[1].as_deref(), Some("6"));
    }

    #[test]
    fn a_cell_over_the_limit_is_that_rows_bad_record_with_its_value_cut() {
        let text = format!(
            "id_number,amount\n1,{}\n3,4\n",
            "9".repeat(MAX_CELL_BYTES + 1)
        );
        let read = rows(text.as_bytes());
        let fault = read[0].2.as_deref().expect("a fault");
        assert!(fault.contains("at most 65535 bytes"), "{fault}");
        assert!(fault.len() < 400, "{fault}");
        assert!(fault.contains('…'));
        assert_eq!(read[1].2, None);
    }

    #[test]
    fn a_gbk_row_in_a_utf8_file_is_a_bad_record_saying_so() {
        let mut bytes = "id_number,amount,name\n1,2,张三\n2,3,李四\n"
            .as_bytes()
            .to_vec();
        bytes.extend(encoding_rs::GBK.encode("3,4,王五\n").0.iter());
        let read = rows(&bytes);
        assert_eq!(read.len(), 3);
        assert_eq!(read[1].1[2].as_deref(), Some("李四"));
        let fault = read[2].2.as_deref().expect("a fault");
        assert!(
            fault.contains("GBK") && fault.contains("re-save"),
            "{fault}"
        );
        assert_eq!(read[2].1[0].as_deref(), Some("3"));
    }

    #[test]
    fn a_line_past_what_a_source_can_name_stops_the_run_never_saturating() {
        let (_dir, file) = file_of(b"id_number,amount\n1,2\n\n3,4\n");
        let body = read_header(&file, &COLUMNS).expect("a header");
        // As if the rows began on the last line a u32 can number.
        let first_line = u64::from(u32::MAX);
        let mut lines = Vec::new();
        let error = for_each_row_in(
            &file,
            None,
            &body,
            body.start,
            file.bytes().len(),
            first_line,
            |row| lines.push(row.line),
        )
        .expect_err("line 4294967297 cannot be named");
        assert_eq!(lines, [u32::MAX]);
        assert_eq!(
            error.to_string(),
            "payouts.csv:4294967297: the file has more than 4294967295 lines; split the case by region"
        );
    }

    #[test]
    fn a_wrong_field_count_across_lines_names_the_lines() {
        let read = rows(b"id_number,amount\n1,\"a\nb\",c\n");
        let fault = read[0].2.as_deref().expect("a fault");
        assert!(fault.contains("from line 2 to line 3"), "{fault}");
    }
}

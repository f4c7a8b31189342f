//! An earlier rectification register (SPEC v3 §6.1), given with
//! `--register`: register.csv as a run wrote it, re-saved by Excel or WPS
//! (GBK, a byte-order mark, periods as they write them), or register.xlsx.
//! Read as any case file is read; every problem that would make the
//! register's items unknowable stops the run, named by file, line and
//! column, before anything is written.

use std::path::Path;

use super::records::{Fields, Scanner, MAX_COLUMNS, MAX_ROW_BYTES};
use super::table::LoadedFile;
use crate::domain::register::{Item, ItemNumber, ItemStatus, ItemValues, Register, ENGINE_COLUMNS};
use crate::domain::{Date, Format, Period, PeriodRange};
use crate::error::{excerpt, FatalError, Location};

/// The engine columns an earlier register must have.
const REQUIRED: [&str; 5] = ["item", "status", "key", "first_found", "due"];

/// A register larger than this is not a township's or a county's: the
/// file is refused before it is read whole.
pub const MAX_REGISTER_BYTES: u64 = 256 << 20;

/// Reads the register at `path`.
pub fn read_register(path: &Path) -> Result<Register, FatalError> {
    let location = || Location::path(path);
    let metadata = std::fs::metadata(path).map_err(|source| FatalError::Unreadable {
        location: location(),
        source,
    })?;
    if !metadata.is_file() {
        return Err(FatalError::NotRegularFile {
            location: location(),
            what: if metadata.is_dir() {
                "a folder"
            } else {
                "something else"
            },
        });
    }
    if metadata.len() > MAX_REGISTER_BYTES {
        return Err(FatalError::Register {
            location: location(),
            message: format!(
                "the register is {} bytes, more than the {MAX_REGISTER_BYTES} a register may have",
                metadata.len()
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(|source| FatalError::Unreadable {
        location: location(),
        source,
    })?;
    parse_register_named(&path.display().to_string(), bytes)
}

/// Reads a register from its bytes, in the format its `name`'s extension
/// says (CSV when none is known): `register.xlsx` as a workbook.
pub fn parse_register_named(name: &str, bytes: Vec<u8>) -> Result<Register, FatalError> {
    let format = Path::new(name)
        .extension()
        .and_then(|extension| extension.to_str())
        .and_then(|extension| {
            Format::ALL
                .iter()
                .copied()
                .find(|format| format.extension().eq_ignore_ascii_case(extension))
        })
        .unwrap_or(Format::Csv);
    if bytes.len() as u64 > MAX_REGISTER_BYTES {
        return Err(FatalError::Register {
            location: Location::file(name),
            message: format!(
                "the register is {} bytes, more than the {MAX_REGISTER_BYTES} a register may have",
                bytes.len()
            ),
        });
    }
    parse_register(name, format, bytes)
}

/// Reads a register from its bytes; `name` is what messages call it.
pub fn parse_register(name: &str, format: Format, bytes: Vec<u8>) -> Result<Register, FatalError> {
    let file = super::text::load_bytes(name, format, bytes)?;
    let rows = raw_rows(&file)?;
    let mut rows = rows.into_iter();
    let Some(header) = rows.next() else {
        return Err(FatalError::Register {
            location: Location::line(name, 1),
            message: "the register is empty; expected a header row (item, status, …, key) as register.csv writes it".into(),
        });
    };
    let mut columns: Vec<Option<usize>> = vec![None; ENGINE_COLUMNS.len()];
    let mut office: Vec<(usize, Box<str>)> = Vec::new();
    let header_line = header.line;
    for (position, cell) in header.cells().enumerate() {
        let text = cell.trim();
        match ENGINE_COLUMNS.iter().position(|column| *column == text) {
            Some(engine) => {
                if let Some(first) = columns[engine] {
                    return Err(FatalError::Register {
                        location: Location::cell(name, header_line, position as u64 + 1),
                        message: format!(
                            "the column {text} appears twice in the header (also column {}); keep one",
                            first + 1
                        ),
                    });
                }
                columns[engine] = Some(position);
            }
            None => office.push((position, cell.into())),
        }
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|column| {
            columns[ENGINE_COLUMNS
                .iter()
                .position(|engine| engine == column)
                .expect("a required column is an engine column")]
            .is_none()
        })
        .collect();
    if !missing.is_empty() {
        return Err(FatalError::Register {
            location: Location::line(name, header_line),
            message: format!(
                "the register lacks the column{} {}; its header has: {}. Give the register.csv (or register.xlsx) a run wrote, with its columns as they were",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                excerpt(&header.cells().collect::<Vec<_>>().join(", "))
            ),
        });
    }
    let column = |engine: &str| {
        columns[ENGINE_COLUMNS
            .iter()
            .position(|column| *column == engine)
            .expect("an engine column")]
    };
    let mut register = Register {
        items: Vec::new(),
        office_columns: office.iter().map(|(_, name)| name.clone()).collect(),
    };
    let mut numbers: rustc_hash::FxHashMap<ItemNumber, u64> = rustc_hash::FxHashMap::default();
    let mut keys: rustc_hash::FxHashMap<Box<str>, u64> = rustc_hash::FxHashMap::default();
    for cells in rows {
        let line = cells.line;
        let cell = |engine: &str| -> &str {
            column(engine)
                .and_then(|position| cells.get(position))
                .map_or("", str::trim)
        };
        let at = |engine: &str| {
            Location::cell(
                name,
                line,
                column(engine).map_or(0, |position| position as u64 + 1),
            )
        };
        let fail = |engine: &str, message: String| FatalError::Register {
            location: at(engine),
            message,
        };
        let item = ItemNumber::parse(cell("item")).ok_or_else(|| {
            fail(
                "item",
                format!(
                    "{:?} is not an item number; expected YYYYMM-NNNN as the run wrote it (202406-0001)",
                    excerpt(cell("item"))
                ),
            )
        })?;
        if let Some(first) = numbers.insert(item, line) {
            return Err(fail(
                "item",
                format!("the item {item} is given twice (also on line {first}); keep one"),
            ));
        }
        let status = ItemStatus::parse(cell("status")).ok_or_else(|| {
            fail(
                "status",
                format!(
                    "{:?} is not a status; expected open, overdue or closed",
                    excerpt(cell("status"))
                ),
            )
        })?;
        let key: Box<str> = cell("key").into();
        if key.is_empty() {
            return Err(fail(
                "key",
                "the item has no key; every item has one".into(),
            ));
        }
        if let Some(first) = keys.insert(key.clone(), line) {
            return Err(fail(
                "key",
                format!(
                    "the key {:?} is given twice (also on line {first}): one problem is one item",
                    excerpt(&key)
                ),
            ));
        }
        let label = |engine: &str, required: bool| -> Result<Option<Period>, FatalError> {
            let text = cell(engine);
            if text.is_empty() {
                if required {
                    return Err(fail(engine, format!("the item has no {engine}")));
                }
                return Ok(None);
            }
            month_of(text).map(Some).ok_or_else(|| {
                fail(
                    engine,
                    format!(
                        "{:?} is not a month; expected YYYY-MM (or YYYYMM, 2024年6月)",
                        excerpt(text)
                    ),
                )
            })
        };
        let first_found = label("first_found", true)?.expect("required");
        let last_found = label("last_found", false)?;
        let due = label("due", true)?.expect("required");
        let closed_in = label("closed_in", false)?;
        let period_text = cell("period");
        let period = if period_text.is_empty() {
            None
        } else {
            Some(range_of(period_text).ok_or_else(|| {
                fail(
                    "period",
                    format!(
                        "{:?} is not a period; expected YYYY-MM or YYYY-MM..YYYY-MM",
                        excerpt(period_text)
                    ),
                )
            })?)
        };
        let reopened = match cell("reopened") {
            "" => 0,
            text => text.parse::<u32>().map_err(|_| {
                fail(
                    "reopened",
                    format!("{:?} is not a whole number of times", excerpt(text)),
                )
            })?,
        };
        let values = ItemValues {
            code: unmark(cell("code")).into(),
            severity: unmark(cell("severity")).into(),
            id_number: unmark(cell("id_number")).into(),
            name: unmark(cell("name")).into(),
            region: unmark(cell("region")).into(),
            program: unmark(cell("program")).into(),
            period: period.map_or(Box::from(""), |period| period.to_string().into()),
            amount: cell("amount").into(),
        };
        register.items.push(Item {
            item,
            values,
            first_found,
            last_found,
            due,
            closed: status == ItemStatus::Closed,
            closed_in,
            reopened,
            key: unmark(&key).into(),
            office: office
                .iter()
                .map(|(position, _)| unmark(cells.get(*position).unwrap_or("")).into())
                .collect(),
            period,
        });
    }
    register.items.sort_by_key(|item| item.item);
    Ok(register)
}

/// A cell as register.csv wrote it, less the `'` written before text that
/// starts like a formula (SPEC v2): one leading `'` is taken off when the
/// character after it is one that rule marks, so a register read and
/// written again is unchanged and an office's `'0012` stays as it is.
fn unmark(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if crate::domain::text::starts_like_formula(rest) => rest,
        _ => cell,
    }
}

/// A label or month as a spreadsheet may have re-written it: `2024-06`,
/// `202406`, `2024年6月`, `2024/6`, a date (`2024/6/1`, `2024-06-01`), or
/// Excel's English `Jun-24`.
fn month_of(text: &str) -> Option<Period> {
    Period::parse(text)
        .or_else(|| Period::parse_any(text))
        .or_else(|| Date::parse_any(text).map(Date::period))
        .or_else(|| english_month(text))
}

/// `Jun-24`, `24-Jun`, `Jun-2024`: how Excel in an English locale writes a
/// month it took for a date.
fn english_month(text: &str) -> Option<Period> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let (a, b) = text.split_once(['-', ' '])?;
    let (month, year) = if a.chars().all(|c| c.is_ascii_digit()) {
        (b, a)
    } else {
        (a, b)
    };
    let month = MONTHS
        .iter()
        .position(|name| month.len() >= 3 && month[..3].eq_ignore_ascii_case(name))?;
    let year: u32 = year.parse().ok()?;
    let year = match year {
        0..=99 => 2000 + year,
        1000..=9999 => year,
        _ => return None,
    };
    Period::from_year_month(year, month as u32 + 1)
}

/// A period or range in any of those forms.
fn range_of(text: &str) -> Option<PeriodRange> {
    if let Ok(range) = PeriodRange::parse(text).or_else(|_| PeriodRange::parse_any(text)) {
        return Some(range);
    }
    month_of(text).map(PeriodRange::single)
}

/// One row of a register file: its line and its cells' text, kept in one
/// string (two allocations a row, not one per cell: an office's register
/// of 50,000 items is read in a blink).
struct RawRow {
    line: u64,
    text: String,
    /// Each cell's byte range in `text`.
    bounds: Vec<(u32, u32)>,
}

impl RawRow {
    fn new(line: u64) -> RawRow {
        RawRow {
            line,
            text: String::new(),
            bounds: Vec::new(),
        }
    }

    fn push(&mut self, cell: &str) {
        let start = u32::try_from(self.text.len()).expect("a row is shorter than MAX_ROW_BYTES");
        self.text.push_str(cell);
        let end = u32::try_from(self.text.len()).expect("a row is shorter than MAX_ROW_BYTES");
        self.bounds.push((start, end));
    }

    fn get(&self, position: usize) -> Option<&str> {
        self.bounds
            .get(position)
            .map(|&(start, end)| &self.text[start as usize..end as usize])
    }

    fn cells(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.bounds.len()).filter_map(|position| self.get(position))
    }

    fn is_blank(&self) -> bool {
        self.cells().all(|cell| cell.trim().is_empty())
    }
}

/// Every row of a register file as its cells (a workbook: its first sheet
/// that has a row holding `item` and `key`), with its line; blank rows
/// left out. A quote never closed or a row past the limit stops the run.
fn raw_rows(file: &LoadedFile) -> Result<Vec<RawRow>, FatalError> {
    let name = file.name();
    let mut rows = Vec::new();
    if let Some(workbook) = &file.workbook {
        let text = |start: u32, end: u32| {
            std::str::from_utf8(&workbook.text[start as usize..end as usize])
                .expect("a workbook's text is UTF-8")
        };
        let sheet = workbook.sheets.iter().find(|sheet| {
            workbook.rows[sheet.rows.clone()].iter().any(|row| {
                let cells = &workbook.cells[row.first as usize..(row.first + row.count) as usize];
                let has = |wanted: &str| cells.iter().any(|&(s, e)| text(s, e).trim() == wanted);
                has("item") && has("key")
            })
        });
        let Some(sheet) = sheet.or(workbook.sheets.first()) else {
            return Ok(rows);
        };
        let mut header_seen = false;
        for row in &workbook.rows[sheet.rows.clone()] {
            let mut cells = RawRow::new(u64::from(row.line));
            for &(start, end) in
                &workbook.cells[row.first as usize..(row.first + row.count) as usize]
            {
                cells.push(text(start, end));
            }
            if !header_seen && !cells.cells().any(|cell| cell.trim() == "item") {
                continue;
            }
            header_seen = true;
            if cells.is_blank() {
                continue;
            }
            rows.push(cells);
        }
        return Ok(rows);
    }
    let text = file.bytes();
    let mut scanner = Scanner::new(text, 0, text.len(), 1, file.delimiter, MAX_ROW_BYTES);
    let mut fields = Fields::default();
    loop {
        let span = match scanner.next_record() {
            Ok(Some(span)) => span,
            Ok(None) => break,
            Err(too_long) => {
                return Err(FatalError::RowTooLong {
                    location: Location::line(name, too_long.line),
                    limit: MAX_ROW_BYTES,
                })
            }
        };
        let (cells, bounds) =
            fields.split(&text[span.start..span.end], file.delimiter, span.quoted);
        if let Some(opened) = span.unclosed {
            return Err(FatalError::Register {
                location: Location::cell(name, opened, bounds.len() as u64),
                message: "a quote opens this cell and is never closed; close it or remove it"
                    .into(),
            });
        }
        if bounds.len() > MAX_COLUMNS {
            return Err(FatalError::TooManyColumns {
                location: Location::cell(name, span.line, MAX_COLUMNS as u64 + 1),
                limit: MAX_COLUMNS,
            });
        }
        let mut row = RawRow::new(span.line);
        row.text.reserve(cells.len());
        row.bounds.reserve(bounds.len());
        for (position, &(start, end)) in bounds.iter().enumerate() {
            let cell = &cells[start as usize..end as usize];
            let Ok(cell) = std::str::from_utf8(cell) else {
                return Err(FatalError::Register {
                    location: Location::cell(name, span.line, position as u64 + 1),
                    message: "the cell is not text in the register's encoding; re-save the register as UTF-8".into(),
                });
            };
            if file.undecodable && cell.contains('\u{FFFD}') {
                return Err(FatalError::Register {
                    location: Location::cell(name, span.line, position as u64 + 1),
                    message: format!(
                        "the cell holds bytes that are not {} text; re-save the register as UTF-8",
                        file.encoding
                    ),
                });
            }
            row.push(cell);
        }
        if row.is_blank() {
            continue;
        }
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "item,status,code,severity,id_number,name,region,program,period,amount,first_found,last_found,due,closed_in,reopened,key,整改措施,责任人\n";

    fn parse(text: &str) -> Result<Register, String> {
        parse_register("register.csv", Format::Csv, text.as_bytes().to_vec())
            .map_err(|error| error.to_string())
    }

    #[test]
    fn a_register_as_a_run_wrote_it_is_read_with_the_office_columns() {
        let register = parse(&format!(
            "{HEADER}202406-0001,open,SHORTFALL,high,110101198001010010,张一,110101,dibao,2024-03,50.00,2024-06,2024-06,2024-07,,0,OUTCOME|110101198001010010|dibao|2024-03,补发,'=李四\n\
             202406-0002,closed,LATE_PAYMENT,low,110101198001010010,张一,110101,dibao,2024-04,50.00,2024-06,2024-06,2024-07,2024-09,1,LATE_PAYMENT|P9,,'0012\n"
        ))
        .expect("reads");
        assert_eq!(
            register.office_columns,
            [Box::from("整改措施"), "责任人".into()]
        );
        let first = &register.items[0];
        assert_eq!(first.item.to_string(), "202406-0001");
        assert_eq!(&*first.office[1], "=李四", "a formula mark is taken off");
        let second = &register.items[1];
        assert_eq!(second.closed_in, Period::parse("2024-09"));
        assert_eq!(second.reopened, 1);
        assert_eq!(&*second.office[1], "'0012", "an office's apostrophe stays");
    }

    #[test]
    fn a_register_re_saved_by_a_spreadsheet_is_read() {
        // GBK, CRLF, periods as Excel writes them, columns in another order.
        let text = "key,item,status,first_found,due,last_found,closed_in,备注\r\n\
                    OUTCOME|1|dibao|2024-03,202406-0001,open,2024年6月,Jul-24,2024/6/1,,说明\r\n";
        let (bytes, _, _) = encoding_rs::GBK.encode(text);
        let register =
            parse_register("register.csv", Format::Csv, bytes.into_owned()).expect("reads");
        let item = &register.items[0];
        assert_eq!(
            item.first_found,
            Period::parse("2024-06").expect("a period")
        );
        assert_eq!(item.due, Period::parse("2024-07").expect("a period"));
        assert_eq!(item.last_found, Period::parse("2024-06"));
        assert_eq!(&*item.office[0], "说明");
        assert_eq!(item.reopened, 0);
    }

    #[test]
    fn what_makes_a_register_unknowable_stops_the_run_naming_the_cell() {
        let row =
            "202406-0001,open,SHORTFALL,high,1,,,dibao,2024-03,,2024-06,2024-06,2024-07,,0,K1,,";
        for (text, expected) in [
            (
                "item,status,first_found,due\n".to_string(),
                "lacks the column key",
            ),
            (
                format!("{HEADER}{row}\n{row}\n"),
                "register.csv:3:1: the item 202406-0001 is given twice (also on line 2)",
            ),
            (
                format!(
                    "{HEADER}{row}\n{}\n",
                    row.replace("202406-0001", "202406-0002")
                ),
                "register.csv:3:16: the key \"K1\" is given twice",
            ),
            (
                format!("{HEADER}{}\n", row.replace(",open,", ",fixed,")),
                "register.csv:2:2: \"fixed\" is not a status",
            ),
            (
                format!("{HEADER}{}\n", row.replace("202406-0001", "2024-06-1")),
                "register.csv:2:1: \"2024-06-1\" is not an item number",
            ),
            (
                format!("{HEADER}{}\n", row.replace(",2024-07,", ",soon,")),
                "register.csv:2:13: \"soon\" is not a month",
            ),
            (
                format!("{HEADER}{}\n", row.replace(",0,K1", ",once,K1")),
                "register.csv:2:15: \"once\" is not a whole number",
            ),
            (
                format!("{HEADER}{}\n", row.replace(",2024-03,", ",March,")),
                "register.csv:2:9: \"March\" is not a period",
            ),
            (
                "item,status,key,first_found,due,key\n".to_string(),
                "register.csv:1:6: the column key appears twice",
            ),
        ] {
            let error = parse(&text).expect_err(expected);
            assert!(error.contains(expected), "{error}\n  expected {expected}");
        }
    }

    #[test]
    fn english_months_are_read() {
        assert_eq!(english_month("Jun-24"), Period::parse("2024-06"));
        assert_eq!(english_month("24-Jun"), Period::parse("2024-06"));
        assert_eq!(english_month("Sep-2024"), Period::parse("2024-09"));
        assert_eq!(english_month("June"), None);
    }
}

//! register.csv (SPEC v3 §6.1): the rectification register after this
//! run, one row per item sorted by number, the office's own columns last
//! and cell for cell.

use std::io::Write;

use super::render::Cells;
use crate::domain::register::{Item, Register};
use crate::domain::{Money, Period};

/// The engine's columns, then the office's.
pub fn header(register: &Register) -> Vec<u8> {
    let mut out = Vec::new();
    let mut cells = Cells::new(&mut out);
    for column in crate::domain::register::ENGINE_COLUMNS {
        cells.word(column);
    }
    for column in &register.office_columns {
        cells.text(column);
    }
    out.push(b'\n');
    out
}

/// Writes register.csv: every item, its status as at `label`.
pub fn write_register(
    writer: &mut dyn Write,
    register: &Register,
    label: Period,
) -> std::io::Result<()> {
    writer.write_all(&header(register))?;
    let mut out = Vec::with_capacity(256);
    for item in &register.items {
        out.clear();
        row(&mut out, item, label);
        writer.write_all(&out)?;
    }
    Ok(())
}

/// `202406-0001` without `fmt` (a register of 50,000 items is written
/// row by row); the number has at least four digits, at most six.
fn item_number_text(item: crate::domain::register::ItemNumber, buffer: &mut [u8; 13]) -> &str {
    let year = item.label.year();
    let month = item.label.month();
    let digits = if item.number >= 100_000 {
        6
    } else if item.number >= 10_000 {
        5
    } else {
        4
    };
    let head = [
        b'0' + (year / 1000 % 10) as u8,
        b'0' + (year / 100 % 10) as u8,
        b'0' + (year / 10 % 10) as u8,
        b'0' + (year % 10) as u8,
        b'0' + (month / 10) as u8,
        b'0' + (month % 10) as u8,
        b'-',
    ];
    buffer[..7].copy_from_slice(&head);
    let mut number = item.number;
    for position in (7..7 + digits).rev() {
        buffer[position] = b'0' + (number % 10) as u8;
        number /= 10;
    }
    debug_assert_eq!(number, 0, "at most MAX_ITEM_NUMBER");
    std::str::from_utf8(&buffer[..7 + digits]).expect("ASCII digits")
}

fn row(out: &mut Vec<u8>, item: &Item, label: Period) {
    let mut number = [0u8; 13];
    let mut cells = Cells::new(out);
    cells
        .word(item_number_text(item.item, &mut number))
        .word(item.status_at(label).name())
        .text(&item.values.code)
        .text(&item.values.severity)
        .text(&item.values.id_number)
        .text(&item.values.name)
        .text(&item.values.region)
        .text(&item.values.program)
        .periods(item.period);
    // An amount as the engine wrote it is money and stays unmarked; what
    // an office typed there in its place is text, marked like any text.
    match Money::parse(&item.values.amount) {
        Ok(amount) if !item.values.amount.is_empty() => cells.money(Some(amount)),
        _ => cells.text(&item.values.amount),
    };
    let month = |cells: &mut Cells<'_>, period: Option<Period>| {
        cells.periods(period.map(crate::domain::PeriodRange::single));
    };
    month(&mut cells, Some(item.first_found));
    month(&mut cells, item.last_found);
    month(&mut cells, Some(item.due));
    month(&mut cells, item.closed_in);
    cells.unsigned(u64::from(item.reopened)).text(&item.key);
    for cell in &item.office {
        cells.text(cell);
    }
    out.push(b'\n');
}

/// register.xlsx (with `--report`): register.csv as one plain table for an
/// office that edits in Excel or WPS — SPEC's column names, every cell
/// text, so that the spreadsheet keeps `2024-06` and `202406-0001` as
/// typed instead of making dates and numbers of them. `--register` reads
/// it back as it reads register.csv.
pub fn write_register_xlsx(
    out: impl Write + Send,
    register: &Register,
    label: Period,
) -> std::io::Result<()> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
    let error = |error: rust_xlsxwriter::XlsxError| std::io::Error::other(error.to_string());
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_title("整改台账 register")
            .set_author("duizhang")
            .set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1).map_err(error)?),
    );
    let text = Format::new().set_num_format("@");
    let header = Format::new().set_bold().set_num_format("@");
    let sheet = workbook.add_worksheet();
    sheet.set_name("register").map_err(error)?;
    // A string cell is never a formula: the values go in as they are,
    // without register.csv's `'` marks.
    let names: Vec<&str> = crate::domain::register::ENGINE_COLUMNS
        .iter()
        .copied()
        .chain(register.office_columns.iter().map(AsRef::as_ref))
        .collect();
    for (column, name) in names.iter().enumerate() {
        sheet
            .write_string_with_format(0, column as u16, *name, &header)
            .map_err(error)?;
    }
    for (index, item) in register.items.iter().enumerate() {
        let row = u32::try_from(index + 1)
            .ok()
            .filter(|row| *row < 1 << 20)
            .ok_or_else(|| std::io::Error::other("a register of more rows than a sheet holds"))?;
        for (column, cell) in raw_row(item, label).iter().enumerate() {
            if !cell.is_empty() {
                sheet
                    .write_string_with_format(row, column as u16, cell.as_str(), &text)
                    .map_err(error)?;
            }
        }
    }
    let columns = crate::domain::register::ENGINE_COLUMNS.len() + register.office_columns.len();
    for column in 0..columns.min(1024) {
        sheet
            .set_column_format(column as u16, &text)
            .map_err(error)?;
    }
    sheet.set_freeze_panes(1, 1).map_err(error)?;
    workbook.save_to_writer(out).map_err(error)
}

/// Stops a run that would replace a register.csv in `out_dir` that an
/// office edited after the run that wrote it (run.json records the SHA-256
/// of what was written): the office's work is never silently replaced.
/// `--register` carries it on; `--new-register` replaces it knowingly.
pub fn check_not_edited(out_dir: &std::path::Path) -> Result<(), crate::error::FatalError> {
    let path = out_dir.join(super::REGISTER);
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(());
    };
    let written: Option<String> = std::fs::read(out_dir.join("run.json"))
        .ok()
        .and_then(|run| serde_json::from_slice::<serde_json::Value>(&run).ok())
        .and_then(|run| run["register"]["sha256"].as_str().map(str::to_string));
    let now: String = {
        use sha2::Digest;
        sha2::Sha256::digest(&bytes)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    };
    if written.as_deref() == Some(now.as_str()) {
        return Ok(());
    }
    Err(crate::error::FatalError::Register {
        location: crate::error::Location::path(&path),
        message: format!(
            "this register.csv {} since the run that wrote it, and this run would replace it: give it with --register {} to carry its items and the office's columns on, or --new-register to start a new register",
            if written.is_some() { "was changed" } else { "was not written by a run into this folder (run.json does not name it)" },
            path.display()
        ),
    })
}

/// An item's cells as text, in the columns' order, unmarked.
fn raw_row(item: &Item, label: Period) -> Vec<String> {
    let month = |period: Option<Period>| period.map_or(String::new(), |period| period.to_string());
    let mut cells = vec![
        item.item.to_string(),
        item.status_at(label).name().to_string(),
        item.values.code.to_string(),
        item.values.severity.to_string(),
        item.values.id_number.to_string(),
        item.values.name.to_string(),
        item.values.region.to_string(),
        item.values.program.to_string(),
        item.period
            .map_or(String::new(), |period| period.to_string()),
        item.values.amount.to_string(),
        month(Some(item.first_found)),
        month(item.last_found),
        month(Some(item.due)),
        month(item.closed_in),
        item.reopened.to_string(),
        item.key.to_string(),
    ];
    cells.extend(item.office.iter().map(ToString::to_string));
    cells
}

/// register.csv's bytes (tests, and the page that offers it).
pub fn register_csv(register: &Register, label: Period) -> Vec<u8> {
    let mut out = Vec::new();
    write_register(&mut out, register, label).expect("writing to memory cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_number_is_written_as_its_display_says() {
        for number in [1, 12, 9999, 10_000, 999_999] {
            let item = ItemNumber {
                label: Period::parse("2024-06").expect("a period"),
                number,
            };
            let mut buffer = [0u8; 13];
            assert_eq!(item_number_text(item, &mut buffer), item.to_string());
        }
    }
    use crate::domain::register::{ItemNumber, ItemValues};

    #[test]
    fn an_item_is_written_in_the_columns_read_back() {
        let june = Period::parse("2024-06").expect("a period");
        let register = Register {
            items: vec![Item {
                item: ItemNumber {
                    label: june,
                    number: 1,
                },
                values: ItemValues {
                    code: "SHORTFALL".into(),
                    severity: "high".into(),
                    id_number: "1".into(),
                    name: "=HYPERLINK(1)".into(),
                    region: "110101".into(),
                    program: "dibao".into(),
                    period: "2024-03".into(),
                    amount: "50.00".into(),
                },
                first_found: june,
                last_found: Some(june),
                due: Period::parse("2024-07").expect("a period"),
                closed: false,
                closed_in: None,
                reopened: 0,
                key: "OUTCOME|1|dibao|2024-03".into(),
                office: vec!["-5".into(), "'0012".into()],
                period: crate::domain::PeriodRange::parse("2024-03").ok(),
            }],
            office_columns: vec!["追回金额".into(), "备注".into()],
        };
        let text = String::from_utf8(register_csv(&register, june)).expect("UTF-8");
        assert_eq!(
            text,
            "item,status,code,severity,id_number,name,region,program,period,amount,first_found,last_found,due,closed_in,reopened,key,追回金额,备注\n\
             202406-0001,open,SHORTFALL,high,1,'=HYPERLINK(1),110101,dibao,2024-03,50.00,2024-06,2024-06,2024-07,,0,OUTCOME|1|dibao|2024-03,'-5,'0012\n"
        );
    }
}

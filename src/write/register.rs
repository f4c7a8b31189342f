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

fn row(out: &mut Vec<u8>, item: &Item, label: Period) {
    let mut cells = Cells::new(out);
    cells
        .word(&item.item.to_string())
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

/// register.csv's bytes (tests, and the page that offers it).
pub fn register_csv(register: &Register, label: Period) -> Vec<u8> {
    let mut out = Vec::new();
    write_register(&mut out, register, label).expect("writing to memory cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
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

//! corrections.csv (SPEC v3 §6): the money to put right, one row per
//! (kind, id_number, program).

use std::io::Write;

use super::render::Cells;
use crate::engine::corrections::Correction;

pub const HEADER: &str = "kind,id_number,name,region,program,periods,lines,amount,account\n";

/// Writes corrections.csv.
pub fn write_corrections(
    writer: &mut dyn Write,
    corrections: &[Correction],
) -> std::io::Result<()> {
    writer.write_all(HEADER.as_bytes())?;
    let mut out = Vec::with_capacity(256);
    for correction in corrections {
        out.clear();
        let mut cells = Cells::new(&mut out);
        cells
            .word(correction.kind.name())
            .text(&correction.id_number)
            .text(&correction.name)
            .text(&correction.region)
            .word(correction.program.name())
            .word(&periods_text(correction))
            .unsigned(correction.lines as u64)
            .money(Some(correction.amount))
            .text(&correction.account);
        out.push(b'\n');
        writer.write_all(&out)?;
    }
    Ok(())
}

/// `2024-01..2024-02;2024-04`: the runs of months, joined by `;`.
pub fn periods_text(correction: &Correction) -> String {
    correction
        .periods
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(";")
}

/// corrections.csv's bytes.
pub fn corrections_csv(corrections: &[Correction]) -> Vec<u8> {
    let mut out = Vec::new();
    write_corrections(&mut out, corrections).expect("writing to memory cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Money, PeriodRange, Program};
    use crate::engine::corrections::CorrectionKind;

    #[test]
    fn a_correction_is_a_row_with_its_runs_of_months() {
        let correction = Correction {
            kind: CorrectionKind::Backpay,
            id_number: "110101198001010010".into(),
            name: "-张一".into(),
            region: "110101".into(),
            program: Program::Dibao,
            periods: vec![
                PeriodRange::parse("2024-01..2024-02").expect("a range"),
                PeriodRange::parse("2024-04").expect("a month"),
            ],
            lines: 3,
            amount: Money::from_fen(105_000),
            account: "6222".into(),
        };
        assert_eq!(
            String::from_utf8(corrections_csv(&[correction])).expect("UTF-8"),
            format!("{HEADER}backpay,110101198001010010,'-张一,110101,dibao,2024-01..2024-02;2024-04,3,1050.00,6222\n")
        );
    }
}

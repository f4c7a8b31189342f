//! whatif.csv (SPEC v3 §6.2): per (region, program, period), the lines
//! costed and E today and under the proposed standards.

use std::io::Write;

use super::render::Cells;
use crate::engine::whatif::WhatifRow;

pub const HEADER: &str = "region,program,period,lines,expected,proposed,change,unknown\n";

/// Writes whatif.csv.
pub fn write_whatif_csv(writer: &mut dyn Write, rows: &[WhatifRow<'_>]) -> std::io::Result<()> {
    writer.write_all(HEADER.as_bytes())?;
    let mut out = Vec::with_capacity(128);
    for row in rows {
        out.clear();
        let period = row.period.to_string();
        let mut cells = Cells::new(&mut out);
        cells
            .text(row.region)
            .word(row.program.name())
            .word(&period)
            .unsigned(row.lines)
            .total(Some(row.expected_fen))
            .total(Some(row.proposed_fen))
            .total(Some(row.change_fen()))
            .unsigned(row.unknown);
        out.push(b'\n');
        writer.write_all(&out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Program;

    #[test]
    fn a_row_has_its_sums_with_two_decimals_and_a_negative_change_signed() {
        let row = WhatifRow {
            region: "=110101",
            program: Program::PriceSubsidy,
            period: crate::domain::Period::parse("2024-03").expect("a period"),
            lines: 4,
            expected_fen: 6_000,
            proposed_fen: 5_950,
            unknown: 1,
        };
        let mut out = Vec::new();
        write_whatif_csv(&mut out, &[row]).expect("written");
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            format!("{HEADER}'=110101,price_subsidy,2024-03,4,60.00,59.50,-0.50,1\n")
        );
    }
}

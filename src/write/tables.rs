//! The three CSV outputs (SPEC §6), rendered to bytes.

use std::collections::BTreeMap;

use crate::domain::{Finding, Money, Period, Program, Stage};
use crate::engine::{Context, LineStatus, Reconciliation};

fn money(amount: Option<Money>) -> String {
    amount.map(|amount| amount.to_string()).unwrap_or_default()
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new())
}

fn finish(writer: csv::Writer<Vec<u8>>) -> Vec<u8> {
    writer.into_inner().expect("writing to memory cannot fail")
}

const WRITE_OK: &str = "writing to memory cannot fail";

pub fn findings_csv(findings: &[Finding]) -> Vec<u8> {
    let mut out = writer();
    out.write_record([
        "code",
        "severity",
        "id_number",
        "name",
        "region",
        "program",
        "period",
        "account",
        "amount",
        "expected",
        "allocated",
        "transferred",
        "paid",
        "stage",
        "cause",
        "detail",
        "sources",
    ])
    .expect(WRITE_OK);
    for finding in findings {
        let figures = finding.figures;
        out.write_record([
            finding.code.name(),
            finding.code.severity().name(),
            &finding.id_number,
            &finding.name,
            &finding.region,
            finding.program.map(Program::name).unwrap_or_default(),
            &finding
                .period
                .map(|period| period.to_string())
                .unwrap_or_default(),
            &finding.account,
            &money(finding.amount),
            &money(figures.and_then(|figures| figures.expected)),
            &money(figures.and_then(|figures| figures.allocated)),
            &money(figures.and_then(|figures| figures.transferred)),
            &money(figures.map(|figures| figures.paid)),
            finding.stage.map(Stage::name).unwrap_or_default(),
            finding.cause.map(|cause| cause.name()).unwrap_or_default(),
            &finding.detail,
            &finding.sources,
        ])
        .expect(WRITE_OK);
    }
    finish(out)
}

pub fn ledger_csv(context: &Context<'_>, reconciliation: &Reconciliation) -> Vec<u8> {
    let people = &context.case.people;
    let mut out = writer();
    out.write_record([
        "id_number",
        "name",
        "region",
        "program",
        "period",
        "expected",
        "allocated",
        "transferred",
        "paid",
        "status",
    ])
    .expect(WRITE_OK);
    for line in &reconciliation.lines {
        let (name, region) = context.label_text(line.label);
        let figures = line.figures;
        out.write_record([
            people.id_number(line.person),
            name,
            region,
            line.program.name(),
            &line.period.to_string(),
            &money(figures.expected),
            &money(figures.allocated),
            &money(figures.transferred),
            &figures.paid.to_string(),
            line.status.name(),
        ])
        .expect(WRITE_OK);
    }
    finish(out)
}

#[derive(Default)]
struct Totals {
    lines: u64,
    expected: i128,
    allocated: i128,
    transferred: i128,
    paid: i128,
    shortfall: i128,
    overpaid: i128,
    improper: i128,
    delivered: i128,
}

fn fen(amount: Money) -> i128 {
    i128::from(amount.fen())
}

/// `numerator ÷ denominator` with 4 decimals, rounded half-up.
fn rate(numerator: i128, denominator: i128) -> String {
    if denominator <= 0 {
        return String::new();
    }
    let scaled = (numerator * 20_000 + denominator) / (denominator * 2);
    format!("{}.{:04}", scaled / 10_000, scaled % 10_000)
}

pub fn summary_csv(context: &Context<'_>, reconciliation: &Reconciliation) -> Vec<u8> {
    let mut groups: BTreeMap<(&str, Program, Period), Totals> = BTreeMap::new();
    for line in &reconciliation.lines {
        let (_, region) = context.label_text(line.label);
        let totals = groups
            .entry((region, line.program, line.period))
            .or_default();
        let figures = line.figures;
        totals.lines += 1;
        if let Some(expected) = figures.expected {
            totals.expected += fen(expected);
            totals.delivered += fen(figures.paid.min(expected).max(Money::ZERO));
        }
        totals.allocated += fen(figures.allocated.unwrap_or_default());
        totals.transferred += fen(figures.transferred.unwrap_or_default());
        totals.paid += fen(figures.paid);
        let amount = fen(line.outcome_amount);
        match line.status {
            LineStatus::Missing | LineStatus::Shortfall => totals.shortfall += amount,
            LineStatus::Over => totals.overpaid += amount,
            LineStatus::Excluded | LineStatus::AfterExit | LineStatus::NotEnrolled => {
                totals.improper += amount
            }
            LineStatus::NoStandard | LineStatus::Ok => {}
        }
    }
    let total = crate::domain::money::format_fen_total;
    let given = reconciliation.given;
    let mut out = writer();
    out.write_record([
        "region",
        "program",
        "period",
        "lines",
        "expected",
        "allocated",
        "transferred",
        "paid",
        "shortfall",
        "overpaid",
        "improper",
        "delivery_rate",
    ])
    .expect(WRITE_OK);
    for ((region, program, period), totals) in &groups {
        out.write_record([
            *region,
            program.name(),
            &period.to_string(),
            &totals.lines.to_string(),
            &total(totals.expected),
            &if given[Stage::Allocation.index()] {
                total(totals.allocated)
            } else {
                String::new()
            },
            &if given[Stage::Transfer.index()] {
                total(totals.transferred)
            } else {
                String::new()
            },
            &total(totals.paid),
            &total(totals.shortfall),
            &total(totals.overpaid),
            &total(totals.improper),
            &rate(totals.delivered, totals.expected),
        ])
        .expect(WRITE_OK);
    }
    finish(out)
}

#[cfg(test)]
mod tests {
    use super::rate;

    #[test]
    fn delivery_rate_is_four_decimals_half_up() {
        assert_eq!(rate(1, 3), "0.3333");
        assert_eq!(rate(2, 3), "0.6667");
        assert_eq!(rate(5, 5), "1.0000");
        assert_eq!(rate(1, 80_000), "0.0000");
        assert_eq!(rate(1, 20_000), "0.0001");
        assert_eq!(rate(0, 0), "");
    }
}

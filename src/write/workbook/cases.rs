//! 问题汇总: findings folded into cases. An auditor works on a case — one
//! person, one program, one kind of problem — not on its 36 monthly rows.

use crate::domain::{Code, Finding, Period, PeriodRange, Program};

/// One case: the findings of one (id_number, program, code).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case<'f> {
    /// The first finding of the case (in findings.csv order): its person,
    /// name, region, program and code.
    pub first: &'f Finding,
    /// How many findings the case folds.
    pub count: u64,
    /// Σ amount in fen; `None` when no finding of the case has an amount.
    pub amount: Option<i128>,
    /// The months of its findings as ranges (`2024-01..2024-03, 2024-05`);
    /// empty when none has a month.
    pub months: String,
}

/// The key a finding is folded by. Findings without an id_number (a
/// shared account, an unreadable row without one) are cases of their own:
/// `index` keeps them apart.
type Key<'f> = (&'f str, Option<Program>, Code, usize);

fn key(index: usize, finding: &Finding) -> Key<'_> {
    let own = if finding.id_number.is_empty() {
        index
    } else {
        0
    };
    (&finding.id_number, finding.program, finding.code, own)
}

/// Folds findings (sorted as in findings.csv) into cases, sorted by
/// (id_number, program, code) — cases without an id_number first, in
/// findings.csv order.
pub fn fold(findings: &[Finding]) -> Vec<Case<'_>> {
    let mut order: Vec<usize> = (0..findings.len()).collect();
    // Stable: within a case, findings keep findings.csv order (by month).
    order.sort_by(|&a, &b| {
        let (ka, kb) = (key(a, &findings[a]), key(b, &findings[b]));
        ka.0.cmp(kb.0)
            .then_with(|| ka.1.map(Program::name).cmp(&kb.1.map(Program::name)))
            .then_with(|| ka.2.cmp(&kb.2))
            .then_with(|| ka.3.cmp(&kb.3))
    });
    let mut cases = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let first_key = key(order[start], &findings[order[start]]);
        let mut end = start + 1;
        while end < order.len() && key(order[end], &findings[order[end]]) == first_key {
            end += 1;
        }
        let members = order[start..end].iter().map(|&index| &findings[index]);
        let mut amount: Option<i128> = None;
        let mut periods = Vec::new();
        for finding in members {
            // Only a line's outcome is money at stake that adds up: the
            // same yuan is also a money-trail mismatch or a payout-level
            // finding (a duplicate's money is its month's overpayment), so
            // those are counted, not summed.
            if let (Some(money), true) = (finding.amount, is_money_at_stake(finding.code)) {
                *amount.get_or_insert(0) += i128::from(money.fen());
            }
            periods.extend(finding.period);
        }
        cases.push(Case {
            first: &findings[order[start]],
            count: (end - start) as u64,
            amount,
            months: month_ranges(&periods),
        });
        start = end;
    }
    cases
}

/// Codes whose amounts 问题汇总 sums: the line outcomes (one a line, so
/// no yuan twice). Others are counted only.
pub fn is_money_at_stake(code: crate::domain::Code) -> bool {
    crate::engine::register::is_line_outcome(code)
}

/// The months of `periods` merged into ranges: consecutive months make one
/// range `first..last`, a gap starts another; ranges are joined by `, `.
pub fn month_ranges(periods: &[PeriodRange]) -> String {
    let mut spans: Vec<(Period, Period)> = periods
        .iter()
        .map(|range| (range.first, range.last))
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<(Period, Period)> = Vec::new();
    for (first, last) in spans {
        match merged.last_mut() {
            Some((_, end)) if first.index() <= end.index() + 1 => *end = (*end).max(last),
            _ => merged.push((first, last)),
        }
    }
    merged
        .iter()
        .map(|&(first, last)| PeriodRange { first, last }.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Money;

    fn range(text: &str) -> PeriodRange {
        PeriodRange::parse(text).expect("a period or range")
    }

    #[test]
    fn consecutive_months_merge_and_gaps_split() {
        let months: Vec<PeriodRange> = [
            "2024-03",
            "2024-01",
            "2024-02",
            "2024-05",
            "2024-07..2024-08",
            "2024-09",
            "2024-02",
        ]
        .iter()
        .map(|text| range(text))
        .collect();
        assert_eq!(
            month_ranges(&months),
            "2024-01..2024-03, 2024-05, 2024-07..2024-09"
        );
        assert_eq!(
            month_ranges(&[range("2023-12"), range("2024-01")]),
            "2023-12..2024-01"
        );
        assert_eq!(month_ranges(&[]), "");
    }

    fn finding(code: Code, id: &str, period: &str, fen: i64) -> Finding {
        let mut finding = Finding::new(code, id);
        finding.program = Some(Program::Dibao);
        finding.period = Some(range(period));
        finding.amount = Some(Money::from_fen(fen));
        finding
    }

    #[test]
    fn a_case_counts_its_findings_and_sums_only_the_money_at_stake() {
        let mut findings = vec![
            finding(Code::Shortfall, "A", "2024-01", 100),
            finding(Code::AllocationMismatch, "A", "2024-01", -100),
            finding(Code::Shortfall, "A", "2024-02", 150),
            finding(Code::Shortfall, "A", "2024-04", 50),
            finding(Code::Shortfall, "B", "2024-01", 7),
        ];
        let mut shared = Finding::new(Code::SharedAccount, "");
        shared.amount = Some(Money::from_fen(5));
        findings.insert(0, shared.clone());
        findings.insert(1, shared);
        let cases = fold(&findings);
        let summary: Vec<(&str, Code, u64, Option<i128>, &str)> = cases
            .iter()
            .map(|case| {
                (
                    case.first.id_number.as_ref(),
                    case.first.code,
                    case.count,
                    case.amount,
                    case.months.as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                // Counted, not summed: their money is a line's outcome too.
                ("", Code::SharedAccount, 1, None, ""),
                ("", Code::SharedAccount, 1, None, ""),
                ("A", Code::AllocationMismatch, 1, None, "2024-01"),
                (
                    "A",
                    Code::Shortfall,
                    3,
                    Some(300),
                    "2024-01..2024-02, 2024-04"
                ),
                ("B", Code::Shortfall, 1, Some(7), "2024-01"),
            ]
        );
    }
}

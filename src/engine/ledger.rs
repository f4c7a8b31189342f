//! The ledger (SPEC §6 ledger.csv): one packed line per (person, program,
//! month) with anything due or moved, its status, and the money at stake
//! in its status — the one amount findings.csv and summary.csv both use.

use rayon::prelude::*;

use crate::case::PersonId;
use crate::domain::{LineFigures, Money, Period, Program};

/// Where a line's (or finding's) `name` and `region` come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    /// An enrolment (index into `case.enrolments`): its name and region.
    Enrolment(u32),
    /// A payout (index into `case.payouts.records`): its name, no region.
    Payout(u32),
    None,
}

/// ledger.csv `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LineStatus {
    Excluded,
    AfterExit,
    NotEnrolled,
    Missing,
    Shortfall,
    Over,
    NoStandard,
    Ok,
}

impl LineStatus {
    pub fn name(self) -> &'static str {
        match self {
            LineStatus::Excluded => "excluded",
            LineStatus::AfterExit => "after_exit",
            LineStatus::NotEnrolled => "not_enrolled",
            LineStatus::Missing => "missing",
            LineStatus::Shortfall => "shortfall",
            LineStatus::Over => "over",
            LineStatus::NoStandard => "no_standard",
            LineStatus::Ok => "ok",
        }
    }
}

/// The money at stake in a line's outcome — the outcome finding's
/// `amount`, and what summary.csv adds up as shortfall, overpaid and
/// improper. 0 for a line without an outcome finding.
pub fn outcome_amount(status: LineStatus, figures: LineFigures) -> Money {
    let expected = figures.expected.unwrap_or_default();
    match status {
        LineStatus::Missing => expected,
        LineStatus::Shortfall => expected - figures.paid,
        LineStatus::Over => figures.paid - expected,
        LineStatus::Excluded | LineStatus::AfterExit | LineStatus::NotEnrolled => figures.paid,
        LineStatus::NoStandard | LineStatus::Ok => Money::ZERO,
    }
}

/// One row of ledger.csv: a line with E, A, T or P not zero, or E unknown.
/// Packed into 48 bytes (a county-year has millions): the four figures as
/// fen with a mark for "none", the label as a kind and an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LedgerLine {
    /// E, A, T, P in fen; [`NO_FIGURE`] for a figure that is not given.
    figures_fen: [i64; 4],
    pub person: PersonId,
    pub period: Period,
    label_index: u32,
    label_kind: u8,
    pub program: Program,
    pub status: LineStatus,
}

/// A figure not given (E unknown, no A or T file): no amount a line can
/// hold, as lines sum amounts of at most [`crate::domain::money::MAX_CELL_FEN`]
/// each over files whose totals the reader bounds.
const NO_FIGURE: i64 = i64::MIN;

const _: () = assert!(std::mem::size_of::<LedgerLine>() == 48);

impl LedgerLine {
    pub fn new(
        person: PersonId,
        program: Program,
        period: Period,
        figures: LineFigures,
        status: LineStatus,
        label: Label,
    ) -> LedgerLine {
        let pack = |figure: Option<Money>| {
            let fen = figure.map_or(NO_FIGURE, Money::fen);
            assert!(
                figure.is_none() || fen != NO_FIGURE,
                "a line's figure is never the no-figure mark"
            );
            fen
        };
        let (label_kind, label_index) = match label {
            Label::None => (0, 0),
            Label::Enrolment(index) => (1, index),
            Label::Payout(index) => (2, index),
        };
        LedgerLine {
            figures_fen: [
                pack(figures.expected),
                pack(figures.allocated),
                pack(figures.transferred),
                pack(Some(figures.paid)),
            ],
            person,
            period,
            label_index,
            label_kind,
            program,
            status,
        }
    }

    /// E, A, T and P.
    pub fn figures(&self) -> LineFigures {
        let unpack = |fen: i64| (fen != NO_FIGURE).then(|| Money::from_fen(fen));
        LineFigures {
            expected: unpack(self.figures_fen[0]),
            allocated: unpack(self.figures_fen[1]),
            transferred: unpack(self.figures_fen[2]),
            paid: Money::from_fen(self.figures_fen[3]),
        }
    }

    /// Where the line's name and region come from.
    pub fn label(&self) -> Label {
        match self.label_kind {
            0 => Label::None,
            1 => Label::Enrolment(self.label_index),
            _ => Label::Payout(self.label_index),
        }
    }

    /// The outcome finding's amount (0 when none): what summary.csv adds up
    /// as shortfall, overpaid or improper — the same function that filled
    /// the finding's `amount` ([`outcome_amount`]).
    pub fn outcome_amount(&self) -> Money {
        outcome_amount(self.status, self.figures())
    }
}

/// The ledger lines of a run in (id_number, program, period) order, kept in
/// the parts the parallel tasks made: joining them would copy every line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    parts: Vec<Vec<LedgerLine>>,
}

impl Ledger {
    /// The lines of the parallel tasks, in person order.
    pub(super) fn from_parts(parts: Vec<Vec<LedgerLine>>) -> Ledger {
        Ledger { parts }
    }

    pub fn len(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(Vec::is_empty)
    }

    pub fn iter(&self) -> impl Iterator<Item = &LedgerLine> {
        self.parts.iter().flatten()
    }

    pub fn par_iter(&self) -> impl ParallelIterator<Item = &LedgerLine> {
        self.parts.par_iter().flat_map_iter(|part| part.iter())
    }

    pub fn parts(&self) -> &[Vec<LedgerLine>] {
        &self.parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yuan(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    #[test]
    fn the_outcome_amount_is_the_money_at_stake() {
        let figures = |expected: Option<&str>, paid: &str| LineFigures {
            expected: expected.map(yuan),
            allocated: None,
            transferred: None,
            paid: yuan(paid),
        };
        assert_eq!(
            outcome_amount(LineStatus::Missing, figures(Some("100"), "0")),
            yuan("100")
        );
        assert_eq!(
            outcome_amount(LineStatus::Shortfall, figures(Some("100"), "60")),
            yuan("40")
        );
        assert_eq!(
            outcome_amount(LineStatus::Over, figures(Some("100"), "160")),
            yuan("60")
        );
        assert_eq!(
            outcome_amount(LineStatus::AfterExit, figures(Some("0"), "70")),
            yuan("70")
        );
        assert_eq!(
            outcome_amount(LineStatus::Excluded, figures(Some("0"), "0")),
            Money::ZERO
        );
        assert_eq!(
            outcome_amount(LineStatus::NoStandard, figures(None, "70")),
            Money::ZERO
        );
        assert_eq!(
            outcome_amount(LineStatus::Ok, figures(Some("70"), "70")),
            Money::ZERO
        );
    }
}

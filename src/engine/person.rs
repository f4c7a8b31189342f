//! One person as the rules see them (SPEC §4): their enrolments and the
//! exclusions' effective starts, their lines — each (program, month) with
//! the basis of its E (from `entitlement`) and what each stage put into
//! it, ranges settled (`settle`) — the evidence behind each line, and the
//! payouts the payout rules look at. It also words what every finding
//! about the person shares: its name and region, its key, its sources.
//! No rule is decided here: `rules` does that. Pure: reads the case,
//! returns values.

use super::context::Context;
use super::entitlement::{
    dibao_entitlement, dibao_price_subsidy, tekun_entitlement, tekun_price_subsidy,
};
use super::exclusion::{exclusion_class, exclusion_start, CLASS_PROGRAMS};
use super::ledger::{Label, LedgerLine, LineStatus};
use super::persons::Bundle;
use super::settle::settle_range;
use crate::case::{Enrolment, Exclusion, PersonId, StageRecord};
use crate::domain::source::sources_text;
use crate::domain::{
    Code, Finding, LineFigures, Money, Period, PeriodRange, Program, Source, Stage,
};

/// What a line's entitlement rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Basis {
    pub covered: bool,
    pub excluded: bool,
    /// `None`: a required standard is missing (NO_STANDARD).
    pub expected: Option<Money>,
    /// The primary enrolment(s): dibao/tekun one, price_subsidy the dibao
    /// and the tekun one; temp none (all temp enrolments of the month count).
    pub primary: [Option<u32>; 2],
}

/// One line of the person: its basis, and per stage the amount applied.
#[derive(Clone, Copy, Debug)]
pub struct LineState {
    pub basis: Basis,
    pub sums: [Money; 3],
    /// The latest entry of the line's evidence (see [`Person::evidence`]),
    /// plus one; 0: none.
    evidence: u32,
}

/// A line of this person: (program, period).
pub type LineKey = (Program, Period);

/// A payout the payout rules look at: in the window and `paid`.
pub struct Payout<'a> {
    /// Index into `case.payouts`.
    pub index: u32,
    pub record: &'a StageRecord,
    /// Its row, as evidence names it.
    pub source: Source,
    /// The account paid into, white space removed; empty: none given.
    pub account: &'a str,
    /// SPEC §5: the person has a centralized tekun enrolment covering any
    /// of its periods — the money goes to a care institution's account
    /// and name, which many residents share.
    pub institutional: bool,
}

/// One person's enrolments, exclusions, lines and evidence.
pub struct Person<'a> {
    pub context: &'a Context<'a>,
    pub person: PersonId,
    pub id_number: &'a str,
    /// (index in case.enrolments, enrolment), in file order.
    pub enrolments: Vec<(u32, &'a Enrolment)>,
    /// Each exclusion row with its effective start per exclusion class
    /// (`None`: a grace past 9999-12 bars nothing).
    pub exclusions: Vec<(&'a Exclusion, [Option<Period>; 2])>,
    /// Per exclusion class, the earliest effective start.
    excluded_from: [Option<Period>; 2],
    /// The label of a finding with no covering enrolment: the person's
    /// earliest enrolment, else their first payout.
    fallback_label: Label,
    /// Indices of all the person's payouts (any status, any period) and
    /// relatives.csv rows.
    pub payouts: &'a [u32],
    pub relatives: &'a [u32],
    /// v3: the person's roster rows that could not be read.
    pub unreadable_roster: &'a [(PersonId, Source)],
    /// The person's lines sorted by key (a handful: a sorted vector beats a
    /// tree here). Made in bulk (`add_lines`), never one by one in the
    /// middle: a window of thousands of years makes as many lines, and
    /// inserting each would move all the lines after it.
    lines: Vec<(LineKey, LineState)>,
    /// The stage records applied to the lines, for findings' evidence: a
    /// list per line (each entry its source and the line's previous entry
    /// plus one), so a line's evidence is read without looking at another
    /// line's.
    evidence: Vec<(Source, u32)>,
    /// Lines moved or made while the lines were built: the work the
    /// regression test of long windows bounds.
    #[cfg(test)]
    pub lines_moved: usize,
}

/// Does `enrolment` pay for lines of `program`? price_subsidy is earned
/// through dibao and tekun enrolments (SPEC §4).
pub fn serves(enrolment: &Enrolment, program: Program) -> bool {
    match program {
        Program::PriceSubsidy => matches!(enrolment.program, Program::Dibao | Program::Tekun),
        _ => enrolment.program == program,
    }
}

impl<'a> Person<'a> {
    /// The person's enrolments and exclusions; no lines yet.
    pub fn new(context: &'a Context<'a>, bundle: &Bundle<'a>) -> Person<'a> {
        let case = context.case;
        let enrolments: Vec<(u32, &Enrolment)> = bundle
            .enrolments
            .iter()
            .map(|&index| (index, &case.enrolments[index as usize]))
            .collect();
        let fallback_label = enrolments
            .iter()
            .min_by(|a, b| a.1.primary_order(b.1))
            .map(|(index, _)| Label::Enrolment(*index))
            .or_else(|| {
                bundle.records[Stage::Payout.index()]
                    .first()
                    .map(|&index| Label::Payout(index))
            })
            .unwrap_or(Label::None);
        let mut person = Person {
            context,
            person: bundle.person,
            id_number: case.people.id_number(bundle.person),
            enrolments,
            exclusions: Vec::with_capacity(bundle.exclusions.len()),
            excluded_from: [None, None],
            fallback_label,
            payouts: bundle.records[Stage::Payout.index()],
            relatives: bundle.relatives,
            unreadable_roster: {
                let rows = &case.unreadable_roster;
                let start = rows.partition_point(|(person, _)| *person < bundle.person);
                let end =
                    start + rows[start..].partition_point(|(person, _)| *person == bundle.person);
                &rows[start..end]
            },
            lines: Vec::new(),
            evidence: Vec::new(),
            #[cfg(test)]
            lines_moved: 0,
        };
        for &index in bundle.exclusions {
            let exclusion = &case.exclusions[index as usize];
            // The household a death is judged by: the person's primary
            // dibao enrolment covering the exclusion's from_period.
            let household_size = person
                .primary(Program::Dibao, exclusion.from)
                .map(|primary| person.enrolment(primary).household_size);
            let starts = CLASS_PROGRAMS
                .map(|program| exclusion_start(exclusion, program, household_size, &case.policy));
            for (earliest, start) in person.excluded_from.iter_mut().zip(starts) {
                *earliest = match (*earliest, start) {
                    (Some(earliest), Some(start)) => Some(earliest.min(start)),
                    (earliest, start) => earliest.or(start),
                };
            }
            person.exclusions.push((exclusion, starts));
        }
        person
    }

    /// Makes the person's lines: every covered month of the window, paid
    /// or not, and every line a stage record in the window goes to, with
    /// the stages' amounts. Returns per stage the money read (in the
    /// window; payouts: `paid` only).
    pub fn add_lines(&mut self, records: [&[u32]; 3]) -> [Money; 3] {
        // One piece of evidence per record in the window: sized once
        // rather than grown a few times for every person.
        self.evidence
            .reserve(records.iter().map(|stage| stage.len()).sum());
        self.add_covered_lines();
        let mut money_in = [Money::ZERO; 3];
        for stage in Stage::ALL {
            if self.context.given[stage.index()] {
                money_in[stage.index()] = self.apply_stage(stage, records[stage.index()]);
            }
        }
        money_in
    }

    /// The primary enrolment of `program` covering `period` (SPEC §4).
    /// Asked for every line made (a few times each): inlined where it is
    /// asked, its loop over a person's one or two enrolments is short.
    #[inline]
    pub fn primary(&self, program: Program, period: Period) -> Option<u32> {
        self.enrolments
            .iter()
            .filter(|(_, enrolment)| enrolment.program == program && enrolment.covers(period))
            .min_by(|a, b| a.1.primary_order(b.1))
            .map(|(index, _)| *index)
    }

    pub fn enrolment(&self, index: u32) -> &'a Enrolment {
        &self.context.case.enrolments[index as usize]
    }

    /// The temp enrolments starting in `period`: temp covers its start
    /// month only.
    pub fn temps_starting(&self, period: Period) -> impl Iterator<Item = &(u32, &'a Enrolment)> {
        self.enrolments.iter().filter(move |(_, enrolment)| {
            enrolment.program == Program::Temp && enrolment.start == period
        })
    }

    /// E of a dibao or tekun enrolment with every standard looked up for
    /// `standards_period` — the line's month, or an earlier one when the
    /// raise cause walks back.
    pub fn entitlement(&self, index: u32, standards_period: Period) -> Option<Money> {
        let enrolment = self.enrolment(index);
        let standards = self.context.standards_at(index, standards_period);
        match enrolment.program {
            Program::Dibao => dibao_entitlement(enrolment, &standards, &self.context.case.policy),
            Program::Tekun => tekun_entitlement(
                enrolment
                    .care_level
                    .expect("a tekun enrolment that was read has a care level"),
                &standards,
            ),
            Program::Temp | Program::PriceSubsidy => {
                unreachable!("temp and price_subsidy have no standards of their own")
            }
        }
    }

    /// price_subsidy E: Σ over the primary dibao and tekun enrolment of
    /// their parts; unknown when the dibao standard is.
    fn price_subsidy(
        &self,
        dibao: Option<u32>,
        tekun: Option<u32>,
        period: Period,
    ) -> Option<Money> {
        let mut total = Money::ZERO;
        if let Some(index) = dibao {
            let standards = self.context.standards_at(index, period);
            total += dibao_price_subsidy(self.enrolment(index), &standards)?;
        }
        if let Some(index) = tekun {
            total += tekun_price_subsidy(&self.context.standards_at(index, period));
        }
        Some(total)
    }

    fn is_excluded(&self, program: Program, period: Period) -> bool {
        self.excluded_from[exclusion_class(program)].is_some_and(|from| from <= period)
    }

    /// What the line of `program` in `period` rests on: coverage,
    /// exclusion, E and the primary enrolments.
    pub fn basis(&self, program: Program, period: Period) -> Basis {
        self.basis_after(program, period, None)
    }

    /// As [`Person::basis`]; `before` is the basis of the same program's
    /// line in some earlier month. When that month is the one before and
    /// nothing E rests on has changed — the primary enrolments, coverage,
    /// exclusion, and no standards row taking effect in `period` (E reads
    /// the standards, whose look-ups change only where a row takes
    /// effect) — its E is this month's too, and the standards are not
    /// looked up again: most lines are one more month of the line before.
    fn basis_after(
        &self,
        program: Program,
        period: Period,
        before: Option<(Period, &Basis)>,
    ) -> Basis {
        let excluded = self.is_excluded(program, period);
        let mut basis = Basis {
            covered: false,
            excluded,
            expected: Some(Money::ZERO),
            primary: [None, None],
        };
        let unchanged = |basis: &Basis| {
            before
                .filter(|(month, earlier)| {
                    month.next() == period
                        && earlier.primary == basis.primary
                        && earlier.covered == basis.covered
                        && earlier.excluded == basis.excluded
                        && !self.context.standards.takes_effect_in(period)
                })
                .map(|(_, earlier)| earlier.expected)
        };
        match program {
            Program::Dibao | Program::Tekun => {
                basis.primary[0] = self.primary(program, period);
                basis.covered = basis.primary[0].is_some();
                if let (Some(primary), false) = (basis.primary[0], excluded) {
                    basis.expected = match unchanged(&basis) {
                        Some(expected) => expected,
                        None => self.entitlement(primary, period),
                    };
                }
            }
            Program::Temp => {
                basis.covered = self.temps_starting(period).next().is_some();
                if basis.covered && !excluded {
                    basis.expected = Some(
                        self.temps_starting(period)
                            .map(|(_, enrolment)| enrolment.approved_amount)
                            .sum(),
                    );
                }
            }
            Program::PriceSubsidy => {
                let dibao = self.primary(Program::Dibao, period);
                let tekun = self.primary(Program::Tekun, period);
                basis.primary = [dibao, tekun];
                basis.covered = dibao.is_some() || tekun.is_some();
                if basis.covered && !excluded {
                    basis.expected = match unchanged(&basis) {
                        Some(expected) => expected,
                        None => self.price_subsidy(dibao, tekun, period),
                    };
                }
            }
        }
        debug_assert!(
            before.is_none() || basis == self.basis_after(program, period, None),
            "E taken from the month before is the one computed"
        );
        basis
    }

    /// The position of the line `key`, if it was made.
    fn find(&self, key: LineKey) -> Option<usize> {
        self.lines.binary_search_by_key(&key, |(key, _)| *key).ok()
    }

    /// Makes the lines of `keys` (sorted here; repeats and lines already
    /// made are allowed) in one merge: work in proportion to the lines,
    /// however many are added and wherever they go.
    fn make_lines(&mut self, keys: &mut Vec<LineKey>) {
        keys.sort_unstable();
        keys.dedup();
        let existing = std::mem::take(&mut self.lines);
        let mut merged = Vec::with_capacity(existing.len() + keys.len());
        let mut existing = existing.into_iter().peekable();
        for &key in keys.iter() {
            while let Some(line) = existing.next_if(|(made, _)| *made < key) {
                merged.push(line);
            }
            if existing.peek().is_some_and(|(made, _)| *made == key) {
                continue;
            }
            // The line before in key order: the same program's, maybe
            // the month before.
            let before = merged
                .last()
                .filter(|((program, _), _)| *program == key.0)
                .map(|((_, month), state)| (*month, &state.basis));
            let state = LineState {
                basis: self.basis_after(key.0, key.1, before),
                sums: [Money::ZERO; 3],
                evidence: 0,
            };
            merged.push((key, state));
        }
        merged.extend(existing);
        debug_assert!(merged.windows(2).all(|pair| pair[0].0 < pair[1].0));
        #[cfg(test)]
        {
            self.lines_moved += merged.len();
        }
        self.lines = merged;
    }

    /// Every covered period of the window is a line, paid or not.
    fn add_covered_lines(&mut self) {
        let window = self.context.window;
        let mut keys: Vec<LineKey> = Vec::new();
        // Program by program in key order: with one enrolment per program,
        // as most persons have, the keys come sorted.
        for program in Program::ALL {
            for (_, enrolment) in &self.enrolments {
                if !serves(enrolment, program) {
                    continue;
                }
                if let Some(span) = enrolment.span().intersect(window) {
                    keys.extend(span.months().map(|period| (program, period)));
                }
            }
        }
        if !keys.is_empty() {
            self.make_lines(&mut keys);
        }
    }

    /// Adds `amount` of `stage` from the record at `source` to the line at
    /// `position`, with the record as its evidence.
    fn add_to_line(&mut self, position: usize, stage: Stage, amount: Money, source: Source) {
        let state = &mut self.lines[position].1;
        state.sums[stage.index()] += amount;
        self.evidence.push((source, state.evidence));
        state.evidence =
            u32::try_from(self.evidence.len()).expect("fewer than 4 billion records a person");
    }

    /// Adds one stage's in-window records to the lines: single periods
    /// first, then ranges in (date, record id) order. Returns the money read.
    fn apply_stage(&mut self, stage: Stage, records: &[u32]) -> Money {
        let context = self.context;
        let file = context.case.stage(stage).expect("applied only when given");
        let window = context.window;
        let counted = |record: &&StageRecord| {
            window.contains_range(record.periods) && (stage != Stage::Payout || record.is_paid())
        };
        let source = |record: &StageRecord| file.source(record);
        let mut money_in = Money::ZERO;
        let mut ranges: Vec<&StageRecord> = Vec::new();
        // Single-period records whose line is not made yet: made together
        // with the ranges' lines, in one merge.
        let mut unlined: Vec<&StageRecord> = Vec::new();
        for record in records
            .iter()
            .map(|&index| file.record(index))
            .filter(counted)
        {
            money_in += record.amount;
            if record.periods.is_single() {
                match self.find((record.program, record.periods.first)) {
                    Some(position) => {
                        self.add_to_line(position, stage, record.amount, source(record))
                    }
                    None => unlined.push(record),
                }
            } else {
                ranges.push(record);
            }
        }
        if !unlined.is_empty() || !ranges.is_empty() {
            let mut missing: Vec<LineKey> = unlined
                .iter()
                .map(|record| (record.program, record.periods.first))
                .collect();
            for record in &ranges {
                self.missing_lines(record.program, record.periods, &mut missing);
            }
            if !missing.is_empty() {
                self.make_lines(&mut missing);
            }
            for record in unlined {
                let position = self
                    .find((record.program, record.periods.first))
                    .expect("the line was just made");
                self.add_to_line(position, stage, record.amount, source(record));
            }
        }
        // SPEC §4: by date (undated last), then record id as text.
        ranges.sort_by(|a, b| {
            (a.date().is_none(), a.date())
                .cmp(&(b.date().is_none(), b.date()))
                .then_with(|| file.record_id(a).cmp(file.record_id(b)))
        });
        for record in ranges {
            // The range's lines, made above, lie side by side.
            let first = self
                .find((record.program, record.periods.first))
                .expect("a range's lines were made");
            let months = (record.periods.last.index() - record.periods.first.index()) as usize + 1;
            let lines = &self.lines[first..first + months];
            debug_assert_eq!(lines[months - 1].0, (record.program, record.periods.last));
            let expected: Vec<Money> = lines
                .iter()
                .map(|(_, state)| state.basis.expected.unwrap_or(Money::ZERO))
                .collect();
            let applied: Vec<Money> = lines
                .iter()
                .map(|(_, state)| state.sums[stage.index()])
                .collect();
            let shares = settle_range(record.amount, &expected, &applied);
            for (offset, share) in shares.into_iter().enumerate() {
                if share.is_positive() {
                    self.add_to_line(first + offset, stage, share, source(record));
                } else {
                    self.lines[first + offset].1.sums[stage.index()] += share;
                }
            }
        }
        money_in
    }

    /// Adds to `missing` the months of `periods` that have no line of
    /// `program` yet.
    fn missing_lines(&self, program: Program, periods: PeriodRange, missing: &mut Vec<LineKey>) {
        let mut position = self
            .lines
            .partition_point(|(key, _)| *key < (program, periods.first));
        for period in periods.months() {
            if self
                .lines
                .get(position)
                .is_some_and(|(key, _)| *key == (program, period))
            {
                position += 1;
            } else {
                missing.push((program, period));
            }
        }
    }

    /// The lines, in key order.
    pub fn lines(&self) -> &[(LineKey, LineState)] {
        &self.lines
    }

    /// The line `key`, which a record or a covering enrolment made.
    pub fn line(&self, key: LineKey) -> &LineState {
        let position = self
            .find(key)
            .expect("the line was made before it is judged");
        &self.lines[position].1
    }

    /// The sources of the stage records applied to a line.
    pub fn evidence(&self, state: &LineState) -> impl Iterator<Item = Source> + '_ {
        let mut next = state.evidence;
        std::iter::from_fn(move || {
            let (source, previous) = *self.evidence.get(next.checked_sub(1)? as usize)?;
            next = previous;
            Some(source)
        })
    }

    /// E, A, T and P of a line (A and T `None` when their file was not
    /// given).
    pub fn figures(&self, state: &LineState) -> LineFigures {
        let given = self.context.given;
        LineFigures {
            expected: state.basis.expected,
            allocated: given[Stage::Allocation.index()]
                .then_some(state.sums[Stage::Allocation.index()]),
            transferred: given[Stage::Transfer.index()]
                .then_some(state.sums[Stage::Transfer.index()]),
            paid: state.sums[Stage::Payout.index()],
        }
    }

    /// Is a line with nothing due and nothing moved, left out of the ledger.
    pub fn is_empty(state: &LineState) -> bool {
        state.basis.expected == Some(Money::ZERO) && state.sums.iter().all(|sum| sum.is_zero())
    }

    /// The ledger line of a judged line, whose figures are `figures`.
    pub fn ledger_line(
        &self,
        (program, period): LineKey,
        state: &LineState,
        figures: LineFigures,
        status: LineStatus,
    ) -> LedgerLine {
        debug_assert_eq!(figures, self.figures(state));
        LedgerLine::new(
            self.person,
            program,
            period,
            figures,
            status,
            self.label(program, period, Some(&state.basis)),
        )
    }

    /// The in-window `paid` payout records of the person (with their
    /// indices), in file order.
    pub fn paid_payout_records(&self) -> impl Iterator<Item = (u32, &'a StageRecord)> + '_ {
        let payouts = &self.context.case.payouts;
        let window = self.context.window;
        self.payouts
            .iter()
            .map(move |&index| (index, payouts.record(index)))
            .filter(move |(_, record)| record.is_paid() && window.contains_range(record.periods))
    }

    /// The in-window `paid` payouts of the person, in file order, as the
    /// payout rules see them.
    pub fn paid_payouts(&self) -> impl Iterator<Item = Payout<'a>> + '_ {
        let case = self.context.case;
        self.paid_payout_records().map(move |(index, record)| {
            let institutional = self.is_institutional(record);
            Payout {
                index,
                record,
                source: case.payouts.source(record),
                // An institutional payout's account is the institution's:
                // no rule reads it.
                account: if institutional {
                    ""
                } else {
                    case.payouts.account(record)
                },
                institutional,
            }
        })
    }

    /// A payout is institutional when the person has a centralized tekun
    /// enrolment covering any of its periods (SPEC §5).
    fn is_institutional(&self, record: &StageRecord) -> bool {
        self.enrolments.iter().any(|(_, enrolment)| {
            enrolment.program == Program::Tekun
                && enrolment.centralized
                && enrolment.span().intersect(record.periods).is_some()
        })
    }

    /// The enrolments covering a payout's line(s) (SPEC §5, for
    /// ACCOUNT_MISMATCH and NAME_MISMATCH): of its program (price_subsidy:
    /// dibao and tekun), covering any of its periods.
    pub fn covering(
        &self,
        record: &'a StageRecord,
    ) -> impl Iterator<Item = &'a Enrolment> + Clone + '_ {
        self.enrolments
            .iter()
            .map(|(_, enrolment)| *enrolment)
            .filter(move |enrolment| {
                serves(enrolment, record.program)
                    && enrolment.span().intersect(record.periods).is_some()
            })
    }

    /// Region and name of a line (SPEC §5): the primary covering enrolment,
    /// else the person's earliest enrolment, else their first payout.
    pub fn label(&self, program: Program, period: Period, basis: Option<&Basis>) -> Label {
        let primary = match program {
            Program::Temp => self
                .temps_starting(period)
                .min_by(|a, b| a.1.primary_order(b.1))
                .map(|(index, _)| *index),
            _ => match basis {
                Some(basis) => basis.primary[0].or(basis.primary[1]),
                None => match program {
                    Program::PriceSubsidy => self
                        .primary(Program::Dibao, period)
                        .or_else(|| self.primary(Program::Tekun, period)),
                    _ => self.primary(program, period),
                },
            },
        };
        primary.map_or(self.fallback_label, Label::Enrolment)
    }

    /// A finding about the person with the name and region of `label`.
    pub fn labelled(&self, code: Code, label: Label) -> Finding {
        let mut finding = Finding::new(code, self.id_number);
        let (name, region) = self.context.label_text(label);
        finding.name = name.into();
        finding.region = region.into();
        // The account a back-pay is paid into (SPEC v3 corrections.csv):
        // the one of the enrolment the finding names the person by.
        if let Label::Enrolment(index) = label {
            finding.label_account = self.context.case.enrolments[index as usize].account.clone();
        }
        finding
    }

    /// A finding about one of the person's enrolments, in `period`.
    pub fn enrolment_finding(&self, code: Code, index: u32, period: Period) -> Finding {
        let mut finding = self.labelled(code, Label::Enrolment(index));
        finding.program = Some(self.enrolment(index).program);
        finding.period = Some(PeriodRange::single(period));
        finding
    }

    /// A finding about one payout record: labelled as its (first) line,
    /// its period as given, a range staying a range.
    pub fn payout_finding(&self, code: Code, record: &StageRecord) -> Finding {
        let label = self.label(record.program, record.periods.first, None);
        let mut finding = self.labelled(code, label);
        finding.program = Some(record.program);
        finding.period = Some(record.periods);
        // The register keys a payout's finding by the payout (SPEC §6.1).
        finding.subject = vec![self.context.case.payouts.record_id(record).into()];
        finding
    }

    /// Roster rows a line's entitlement rests on.
    fn roster_sources(&self, program: Program, period: Period, basis: &Basis) -> Vec<Source> {
        let mut sources: Vec<Source> = basis
            .primary
            .iter()
            .flatten()
            .map(|&index| self.enrolment(index).source)
            .collect();
        if program == Program::Temp {
            sources.extend(
                self.temps_starting(period)
                    .map(|(_, enrolment)| enrolment.source),
            );
        }
        sources
    }

    /// A finding keyed by a line: labelled as the line, with its figures,
    /// its records and the roster rows its E rests on as evidence.
    pub fn line_finding(
        &self,
        code: Code,
        (program, period): LineKey,
        state: &LineState,
    ) -> Finding {
        let mut finding = self.labelled(code, self.label(program, period, Some(&state.basis)));
        finding.program = Some(program);
        finding.period = Some(PeriodRange::single(period));
        finding.figures = Some(self.figures(state));
        let mut sources = self.line_sources((program, period), state);
        finding.sources = sources_text(&mut sources, &self.context.case.inputs);
        finding
    }

    /// A line's evidence: its stage records and the roster rows its E
    /// rests on.
    pub fn line_sources(&self, (program, period): LineKey, state: &LineState) -> Vec<Source> {
        let mut sources: Vec<Source> = self.evidence(state).collect();
        sources.extend(self.roster_sources(program, period, &state.basis));
        sources
    }

    /// Did the person hold an enrolment in this program that ended before
    /// `period`? (price_subsidy: in dibao or tekun.)
    pub fn exited_before(&self, program: Program, period: Period) -> bool {
        self.enrolments
            .iter()
            .any(|(_, enrolment)| serves(enrolment, program) && enrolment.ended_before(period))
    }
}

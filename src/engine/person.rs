//! One person's reconciliation (SPEC §4–§5): the person's lines with what
//! each is due and what each stage put into it, then every finding about
//! the person. The arithmetic and the rules live in `entitlement`,
//! `settle`, `outcome` and `rules`; this module gathers one person's
//! records for them and turns their verdicts into findings with names,
//! regions and sources. Pure: reads the case, returns values.

use super::entitlement::{
    dibao_entitlement, dibao_price_subsidy, tekun_entitlement, tekun_price_subsidy, StandardsAt,
};
use super::outcome::{self, LineFacts};
use super::rules;
use super::settle::settle_range;
use super::standards::Slot;
use super::{Context, Label, LedgerLine, LineStatus};
use crate::case::{Enrolment, Exclusion, PersonId, Relative, StageRecord};
use crate::domain::source::sources_text;
use crate::domain::text::{excerpt, listed};
use crate::domain::{
    Code, FileKind, Finding, LineFigures, Money, Period, PeriodRange, Program, Source, Stage,
};

/// Indices (into the case's vectors) of everything known about one person.
pub struct Bundle<'a> {
    pub person: PersonId,
    pub enrolments: &'a [u32],
    pub exclusions: &'a [u32],
    pub relatives: &'a [u32],
    /// Per stage, all of the person's records (any status, any period).
    pub records: [&'a [u32]; 3],
}

/// What one person contributes to the run.
#[derive(Default)]
pub struct PersonOutput {
    pub lines: Vec<LedgerLine>,
    pub findings: Vec<Finding>,
    /// Payout indices that take part in the SHARED_ACCOUNT check.
    pub shared_account_payouts: Vec<u32>,
    /// Of those, each where the person's account changes (the first, and
    /// each into another account than the payout before): what the check
    /// compares to find accounts paid to several persons. A person is paid
    /// into one account month after month, so these are far fewer; a
    /// person's account met again is folded when they are sorted.
    pub account_representatives: Vec<AccountKey>,
    /// Per stage, the in-window amounts read (payouts: `paid` only) in fen,
    /// to check that the ledger holds exactly this money.
    pub money_in: [i128; 3],
}

/// A person's account, as the SHARED_ACCOUNT check first compares it:
/// by a hash taken here, where the account's text is at hand, so that
/// finding the accounts paid to several persons reads no text (looking
/// up records and texts in a large case costs more than hashing them).
#[derive(Clone, Copy, Debug)]
pub struct AccountKey {
    /// xxh3 of the account's text.
    pub hash: u64,
    pub person: PersonId,
    /// A payout of the person into the account.
    pub payout: u32,
}

/// What a line's entitlement rests on.
#[derive(Clone, Copy)]
struct Basis {
    covered: bool,
    excluded: bool,
    /// `None`: a required standard is missing (NO_STANDARD).
    expected: Option<Money>,
    /// The primary enrolment(s): dibao/tekun one, price_subsidy the dibao
    /// and the tekun one; temp none (all temp enrolments of the month count).
    primary: [Option<u32>; 2],
}

struct LineState {
    basis: Basis,
    sums: [Money; 3],
}

/// A line of this person: (program, period).
type LineKey = (Program, Period);

/// Exclusions bar dibao and price_subsidy lines from one effective start
/// and tekun and temp lines from another (SPEC v2 §4: the grace after a
/// death applies to the first kind only).
fn exclusion_class(program: Program) -> usize {
    match program {
        Program::Dibao | Program::PriceSubsidy => 0,
        Program::Tekun | Program::Temp => 1,
    }
}

struct Run<'a> {
    context: &'a Context<'a>,
    person: PersonId,
    id_number: &'a str,
    /// (index in case.enrolments, enrolment), in file order.
    enrolments: Vec<(u32, &'a Enrolment)>,
    /// Each exclusion row with its effective start per exclusion class
    /// (`None`: a grace past 9999-12 bars nothing).
    exclusions: Vec<(&'a Exclusion, [Option<Period>; 2])>,
    /// Per exclusion class, the earliest effective start.
    excluded_from: [Option<Period>; 2],
    fallback_label: Label,
    /// The person's lines sorted by key (a handful: a sorted vector beats a
    /// tree here).
    lines: Vec<(LineKey, LineState)>,
    /// The stage records applied to each line, for findings' evidence.
    evidence: Vec<(LineKey, Source)>,
}

/// Reconciles one person, appending their lines, findings and SHARED_ACCOUNT
/// candidates to `output` (one output serves a run of persons).
pub fn reconcile_person(context: &Context<'_>, bundle: &Bundle<'_>, output: &mut PersonOutput) {
    let mut run = Run::new(context, bundle);
    let first_line = output.lines.len();
    let mut money_in = [Money::ZERO; 3];

    run.add_covered_lines();
    for stage in Stage::ALL {
        if context.given[stage.index()] {
            money_in[stage.index()] = run.apply_stage(stage, bundle.records[stage.index()]);
        }
    }
    run.judge_lines(output);
    let payouts = bundle.records[Stage::Payout.index()];
    run.check_duplicate_payments(payouts, output);
    run.check_payouts(payouts, output);
    run.check_duplicate_enrolments(output);
    run.check_enrolled_while_excluded(output);
    run.check_income_above_standard(output);
    run.check_relatives(bundle.relatives, output);

    // The person's ledger lines hold exactly the money read, stage by stage.
    for stage in Stage::ALL {
        let in_ledger: Money = output.lines[first_line..]
            .iter()
            .map(|line| match stage {
                Stage::Allocation => line.figures().allocated.unwrap_or_default(),
                Stage::Transfer => line.figures().transferred.unwrap_or_default(),
                Stage::Payout => line.figures().paid,
            })
            .sum();
        assert_eq!(
            in_ledger,
            money_in[stage.index()],
            "{}: {} money in the ledger differs from the records read",
            run.id_number,
            stage.name()
        );
        output.money_in[stage.index()] += i128::from(money_in[stage.index()].fen());
    }
}

/// The lines a public notice (公示) considers for one person at `period`:
/// the primary dibao and the primary tekun enrolment covering it, with
/// that line's E exactly as the ledger computes it (`None`: a required
/// standard is missing) and whether the line is excluded (then it is not
/// shown, and its E is not computed). Dibao first.
pub fn notice_lines(
    context: &Context<'_>,
    bundle: &Bundle<'_>,
    period: Period,
) -> Vec<(u32, Option<Money>, bool)> {
    let run = Run::new(context, bundle);
    [Program::Dibao, Program::Tekun]
        .into_iter()
        .filter_map(|program| {
            let basis = run.basis(program, period);
            let primary = basis.primary[0]?;
            let expected = if basis.excluded { None } else { basis.expected };
            Some((primary, expected, basis.excluded))
        })
        .collect()
}

/// Does `enrolment` pay for lines of `program`? price_subsidy is earned
/// through dibao and tekun enrolments (SPEC §4).
fn serves(enrolment: &Enrolment, program: Program) -> bool {
    match program {
        Program::PriceSubsidy => matches!(enrolment.program, Program::Dibao | Program::Tekun),
        _ => enrolment.program == program,
    }
}

impl<'a> Run<'a> {
    fn new(context: &'a Context<'a>, bundle: &Bundle<'_>) -> Run<'a> {
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
        let mut run = Run {
            context,
            person: bundle.person,
            id_number: case.people.id_number(bundle.person),
            enrolments,
            exclusions: Vec::with_capacity(bundle.exclusions.len()),
            excluded_from: [None, None],
            fallback_label,
            lines: Vec::new(),
            evidence: Vec::new(),
        };
        for &index in bundle.exclusions {
            let exclusion = &case.exclusions[index as usize];
            // The household a death is judged by: the person's primary
            // dibao enrolment covering the exclusion's from_period.
            let household_size = run
                .primary(Program::Dibao, exclusion.from)
                .map(|primary| run.enrolment(primary).household_size);
            let start =
                |program| rules::exclusion_start(exclusion, program, household_size, &case.policy);
            let starts = [start(Program::Dibao), start(Program::Tekun)];
            for (earliest, start) in run.excluded_from.iter_mut().zip(starts) {
                *earliest = match (*earliest, start) {
                    (Some(earliest), Some(start)) => Some(earliest.min(start)),
                    (earliest, start) => earliest.or(start),
                };
            }
            run.exclusions.push((exclusion, starts));
        }
        run
    }

    /// The primary enrolment of `program` covering `period` (SPEC §4).
    fn primary(&self, program: Program, period: Period) -> Option<u32> {
        self.enrolments
            .iter()
            .filter(|(_, enrolment)| enrolment.program == program && enrolment.covers(period))
            .min_by(|a, b| a.1.primary_order(b.1))
            .map(|(index, _)| *index)
    }

    fn enrolment(&self, index: u32) -> &'a Enrolment {
        &self.context.case.enrolments[index as usize]
    }

    fn temps_starting(&self, period: Period) -> impl Iterator<Item = &(u32, &'a Enrolment)> {
        self.enrolments.iter().filter(move |(_, enrolment)| {
            enrolment.program == Program::Temp && enrolment.start == period
        })
    }

    /// E of a dibao or tekun enrolment with every standard looked up for
    /// `standards_period` — the line's month, or an earlier one when the
    /// raise cause walks back.
    fn entitlement(&self, index: u32, standards_period: Period) -> Option<Money> {
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

    fn basis(&self, program: Program, period: Period) -> Basis {
        let excluded = self.is_excluded(program, period);
        let mut basis = Basis {
            covered: false,
            excluded,
            expected: Some(Money::ZERO),
            primary: [None, None],
        };
        match program {
            Program::Dibao | Program::Tekun => {
                basis.primary[0] = self.primary(program, period);
                basis.covered = basis.primary[0].is_some();
                if let (Some(primary), false) = (basis.primary[0], excluded) {
                    basis.expected = self.entitlement(primary, period);
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
                    basis.expected = self.price_subsidy(dibao, tekun, period);
                }
            }
        }
        basis
    }

    fn line(&mut self, program: Program, period: Period) -> &mut LineState {
        let key = (program, period);
        let position = match self.lines.binary_search_by_key(&key, |(key, _)| *key) {
            Ok(position) => position,
            Err(position) => {
                let basis = self.basis(program, period);
                let state = LineState {
                    basis,
                    sums: [Money::ZERO; 3],
                };
                self.lines.insert(position, (key, state));
                position
            }
        };
        &mut self.lines[position].1
    }

    fn existing_line(&self, program: Program, period: Period) -> &LineState {
        let position = self
            .lines
            .binary_search_by_key(&(program, period), |(key, _)| *key)
            .expect("the line was made before it is judged");
        &self.lines[position].1
    }

    /// Every covered period of the window is a line, paid or not.
    fn add_covered_lines(&mut self) {
        let window = self.context.window;
        let spans: Vec<(Program, PeriodRange)> = self
            .enrolments
            .iter()
            .filter_map(|(_, enrolment)| {
                enrolment
                    .span()
                    .intersect(window)
                    .map(|span| (enrolment.program, span))
            })
            .collect();
        for (program, span) in spans {
            for period in span.months() {
                self.line(program, period);
                if matches!(program, Program::Dibao | Program::Tekun) {
                    self.line(Program::PriceSubsidy, period);
                }
            }
        }
    }

    /// Adds one stage's in-window records to the lines: single periods
    /// first, then ranges in (date, record id) order. Returns the money read.
    fn apply_stage(&mut self, stage: Stage, records: &[u32]) -> Money {
        let file = self
            .context
            .case
            .stage(stage)
            .expect("applied only when given");
        let window = self.context.window;
        let counted = |record: &&StageRecord| {
            window.contains_range(record.periods) && (stage != Stage::Payout || record.is_paid())
        };
        let kind = stage.file_kind();
        let mut money_in = Money::ZERO;
        let mut ranges: Vec<&StageRecord> = Vec::new();
        for record in records
            .iter()
            .map(|&index| file.record(index))
            .filter(counted)
        {
            money_in += record.amount;
            if record.periods.is_single() {
                let line = self.line(record.program, record.periods.first);
                line.sums[stage.index()] += record.amount;
                self.evidence.push((
                    (record.program, record.periods.first),
                    self.context.case.formats.source(kind, record.line),
                ));
            } else {
                ranges.push(record);
            }
        }
        // SPEC §4: by date (undated last), then record id as text.
        ranges.sort_by(|a, b| {
            (a.date().is_none(), a.date())
                .cmp(&(b.date().is_none(), b.date()))
                .then_with(|| file.record_id(a).cmp(file.record_id(b)))
        });
        for record in ranges {
            let months: Vec<Period> = record.periods.months().collect();
            let mut expected = Vec::with_capacity(months.len());
            let mut applied = Vec::with_capacity(months.len());
            for &period in &months {
                let line = self.line(record.program, period);
                expected.push(line.basis.expected.unwrap_or(Money::ZERO));
                applied.push(line.sums[stage.index()]);
            }
            let shares = settle_range(record.amount, &expected, &applied);
            for (period, share) in months.into_iter().zip(shares) {
                self.line(record.program, period).sums[stage.index()] += share;
                if share.is_positive() {
                    self.evidence.push((
                        (record.program, period),
                        self.context.case.formats.source(kind, record.line),
                    ));
                }
            }
        }
        money_in
    }

    /// Region and name of a line (SPEC §5): the primary covering enrolment,
    /// else the person's earliest enrolment, else their first payout.
    fn label(&self, program: Program, period: Period, basis: Option<&Basis>) -> Label {
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

    fn labelled(&self, code: Code, label: Label) -> Finding {
        let mut finding = Finding::new(code, self.id_number);
        let (name, region) = self.context.label_text(label);
        finding.name = name.into();
        finding.region = region.into();
        finding
    }

    /// A finding about one of the person's enrolments.
    fn enrolment_finding(&self, code: Code, index: u32, period: Period) -> Finding {
        let mut finding = self.labelled(code, Label::Enrolment(index));
        finding.program = Some(self.enrolment(index).program);
        finding.period = Some(PeriodRange::single(period));
        finding
    }

    /// Roster rows a line's entitlement rests on.
    fn roster_sources(&self, program: Program, period: Period, basis: &Basis) -> Vec<Source> {
        let mut sources: Vec<Source> = basis
            .primary
            .iter()
            .flatten()
            .map(|&index| self.enrolment(index).source(&self.context.case.formats))
            .collect();
        if program == Program::Temp {
            sources.extend(
                self.temps_starting(period)
                    .map(|(_, enrolment)| enrolment.source(&self.context.case.formats)),
            );
        }
        sources
    }

    fn line_finding(
        &self,
        code: Code,
        (program, period): LineKey,
        state: &LineState,
        figures: LineFigures,
    ) -> Finding {
        let mut finding = self.labelled(code, self.label(program, period, Some(&state.basis)));
        finding.program = Some(program);
        finding.period = Some(PeriodRange::single(period));
        finding.figures = Some(figures);
        let mut sources: Vec<Source> = self
            .evidence
            .iter()
            .filter(|(key, _)| *key == (program, period))
            .map(|(_, source)| *source)
            .collect();
        sources.extend(self.roster_sources(program, period, &state.basis));
        finding.sources = sources_text(&mut sources);
        finding
    }

    /// Did the person hold an enrolment in this program that ended before
    /// `period`? (price_subsidy: in dibao or tekun.)
    fn exited_before(&self, program: Program, period: Period) -> bool {
        self.enrolments
            .iter()
            .any(|(_, enrolment)| serves(enrolment, program) && enrolment.ended_before(period))
    }

    /// PAID_AFTER_EXIT's words: which enrolment ended when, and whether a
    /// phase-out (SPEC v2) ended it.
    fn exit_detail(&self, program: Program, period: Period, paid: Money) -> String {
        let ended = self
            .enrolments
            .iter()
            .map(|(_, enrolment)| *enrolment)
            .filter(|enrolment| serves(enrolment, program) && enrolment.ended_before(period))
            .max_by_key(|enrolment| enrolment.span().last);
        match ended {
            Some(enrolment) => {
                let last = enrolment.span().last;
                let phase_out = match enrolment.phase_out_from {
                    Some(from) if enrolment.end.is_none_or(|end| last < end) => {
                        format!(" (phase-out from {from})")
                    }
                    _ => String::new(),
                };
                format!(
                    "paid {paid} after enrolment {} ({}) ended in {last}{phase_out}",
                    excerpt(&enrolment.enrolment_id),
                    enrolment.program.name()
                )
            }
            None => format!("paid {paid} after the {} enrolment ended", program.name()),
        }
    }

    fn figures(&self, state: &LineState) -> LineFigures {
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

    /// Every line with E, A, T or P not zero (or E unknown) goes to the
    /// ledger with its outcome; outcome and money-trail findings follow.
    fn judge_lines(&self, output: &mut PersonOutput) {
        let tolerance = self.context.case.policy.tolerance;
        for &(key, ref state) in &self.lines {
            let (program, period) = key;
            let basis = &state.basis;
            let figures = self.figures(state);
            let all_zero =
                basis.expected == Some(Money::ZERO) && state.sums.iter().all(|sum| sum.is_zero());
            if all_zero {
                continue;
            }
            let paid = figures.paid;
            let facts = LineFacts {
                covered: basis.covered,
                excluded: basis.excluded,
                expected: basis.expected,
                paid,
                exited_before: !basis.covered
                    && paid.is_positive()
                    && self.exited_before(program, period),
            };
            let (status, code) = outcome::line_outcome(facts, tolerance);
            if let Some(code) = code {
                let finding = self.outcome_finding(code, status, key, state, figures);
                output.findings.push(finding);
            }
            for rule in [
                outcome::allocation_mismatch,
                outcome::transfer_mismatch,
                outcome::payout_mismatch,
            ] {
                if let Some((code, difference)) = rule(figures, tolerance) {
                    let mut finding = self.line_finding(code, key, state, figures);
                    finding.amount = Some(difference);
                    finding.detail = trail_detail(code, difference);
                    output.findings.push(finding);
                }
            }
            output.lines.push(LedgerLine::new(
                self.person,
                program,
                period,
                figures,
                status,
                self.label(program, period, Some(basis)),
            ));
        }
    }

    /// The outcome finding of a line: its amount is the one summary.csv
    /// adds up ([`outcome::outcome_amount`]); a shortfall also says where
    /// it began and, when it can, why.
    fn outcome_finding(
        &self,
        code: Code,
        status: LineStatus,
        key: LineKey,
        state: &LineState,
        figures: LineFigures,
    ) -> Finding {
        let (program, period) = key;
        let paid = figures.paid;
        let mut finding = self.line_finding(code, key, state, figures);
        finding.amount =
            (code != Code::NoStandard).then(|| outcome::outcome_amount(status, figures));
        finding.detail = match code {
            Code::MissingPayment | Code::Shortfall => {
                let expected = figures.expected.expect("a shortfall has a known E");
                let tolerance = self.context.case.policy.tolerance;
                finding.stage = Some(outcome::short_stage(
                    expected,
                    figures.allocated,
                    figures.transferred,
                    tolerance,
                ));
                finding.cause = self.raise_cause(key, &state.basis, paid);
                format!("expected {expected}, paid {paid}")
            }
            Code::PaidToExcluded => {
                let class = exclusion_class(program);
                let reasons: Vec<&str> = self
                    .exclusions
                    .iter()
                    .filter(|(_, starts)| starts[class].is_some_and(|start| start <= period))
                    .map(|(exclusion, _)| exclusion.reason.as_ref())
                    .collect();
                format!("paid {paid} while excluded ({})", listed(reasons))
            }
            Code::PaidAfterExit => self.exit_detail(program, period, paid),
            Code::PaidNotEnrolled => format!("paid {paid} with no {} enrolment", program.name()),
            Code::NoStandard => {
                format!("no standard in force for {} in {period}", program.name())
            }
            Code::Overpayment => format!(
                "expected {}, paid {paid}",
                figures.expected.unwrap_or_default()
            ),
            _ => unreachable!("{} is not a line outcome", code.name()),
        };
        finding
    }

    /// `standard_raise_not_applied` for a dibao or tekun line (SPEC §5).
    fn raise_cause(
        &self,
        (program, period): LineKey,
        basis: &Basis,
        paid: Money,
    ) -> Option<crate::domain::Cause> {
        if !matches!(program, Program::Dibao | Program::Tekun) {
            return None;
        }
        let primary = basis.primary[0]?;
        outcome::raise_cause(
            period,
            paid,
            self.context.case.policy.tolerance,
            self.context.standards.starts_through(period),
            |standards_period| self.entitlement(primary, standards_period),
        )
    }

    fn in_window_paid<'r>(
        &self,
        records: &'r [u32],
    ) -> impl Iterator<Item = (u32, &'a StageRecord)> + 'r
    where
        'a: 'r,
    {
        let payouts = &self.context.case.payouts;
        let window = self.context.window;
        records
            .iter()
            .map(move |&index| (index, payouts.record(index)))
            .filter(move |(_, record)| record.is_paid() && window.contains_range(record.periods))
    }

    /// DUPLICATE_PAYMENT: same line, same amount, different payout ids.
    fn check_duplicate_payments(&self, records: &[u32], output: &mut PersonOutput) {
        let mut singles: Vec<&StageRecord> = self
            .in_window_paid(records)
            .map(|(_, record)| record)
            .filter(|record| record.periods.is_single())
            .collect();
        for group in rules::duplicate_payments(&mut singles) {
            let (program, period, amount) =
                (group[0].program, group[0].periods.first, group[0].amount);
            let state = self.existing_line(program, period);
            let key = (program, period);
            let mut finding =
                self.line_finding(Code::DuplicatePayment, key, state, self.figures(state));
            let repeats = i64::try_from(group.len() - 1).expect("group size fits i64");
            finding.amount = Some(
                amount
                    .checked_times(repeats)
                    .expect("bounded by the line's paid sum"),
            );
            let mut sources: Vec<Source> = group
                .iter()
                .map(|record| {
                    self.context
                        .case
                        .formats
                        .source(FileKind::Payouts, record.line)
                })
                .collect();
            finding.sources = sources_text(&mut sources);
            let ids: Vec<&str> = group
                .iter()
                .map(|record| self.context.case.payouts.record_id(record))
                .collect();
            finding.detail = format!("{} payouts of {amount}: {}", group.len(), listed(ids));
            output.findings.push(finding);
        }
    }

    /// LATE_PAYMENT, ACCOUNT_MISMATCH and NAME_MISMATCH per in-window paid
    /// payout; collects SHARED_ACCOUNT candidates.
    fn check_payouts(&self, records: &[u32], output: &mut PersonOutput) {
        let case = self.context.case;
        let payouts = &case.payouts;
        // The account of the person's previous payout: a person is paid
        // into one account month after month, so only a change is kept.
        let mut previous_account: Option<&str> = None;
        for (index, record) in self.in_window_paid(records) {
            let source = self
                .context
                .case
                .formats
                .source(FileKind::Payouts, record.line);
            let payout_finding = |code: Code| {
                let label = self.label(record.program, record.periods.first, None);
                let mut finding = self.labelled(code, label);
                finding.program = Some(record.program);
                finding.period = Some(record.periods);
                finding
            };

            if let Some(deadline) = rules::late_payment(record, case.policy.payment_deadline_day) {
                let mut finding = payout_finding(Code::LatePayment);
                finding.amount = Some(record.amount);
                finding.sources = source.to_string();
                let paid_on = record.date().expect("a late payout has a date");
                finding.detail = format!("paid on {paid_on}, deadline {deadline}");
                output.findings.push(finding);
            }

            if self.is_institutional(record) {
                continue;
            }
            // The enrolments covering the payout's line(s); nothing is
            // collected unless a finding is made (this runs per payout).
            let covering = || {
                self.enrolments
                    .iter()
                    .map(|(_, enrolment)| *enrolment)
                    .filter(|enrolment| {
                        serves(enrolment, record.program)
                            && enrolment.span().intersect(record.periods).is_some()
                    })
            };
            let evidence = |finding: &mut Finding| {
                let mut sources: Vec<Source> = covering()
                    .map(|enrolment| enrolment.source(&self.context.case.formats))
                    .collect();
                sources.push(source);
                finding.sources = sources_text(&mut sources);
            };

            let account = payouts.account(record);
            if !account.is_empty() {
                output.shared_account_payouts.push(index);
                if previous_account != Some(account) {
                    previous_account = Some(account);
                    output.account_representatives.push(AccountKey {
                        hash: xxhash_rust::xxh3::xxh3_64(account.as_bytes()),
                        person: self.person,
                        payout: index,
                    });
                }
            }
            let registered = || covering().map(|enrolment| enrolment.account.as_ref());
            if rules::account_mismatch(account, registered()) {
                let registered_accounts = listed(registered().filter(|text| !text.is_empty()));
                let mut finding = payout_finding(Code::AccountMismatch);
                finding.account = account.into();
                finding.amount = Some(record.amount);
                finding.detail = format!(
                    "paid into {}; registered: {registered_accounts}",
                    excerpt(account)
                );
                evidence(&mut finding);
                output.findings.push(finding);
            }

            let bank_name = payouts.payee_name(record);
            let roster_names = || covering().map(|enrolment| enrolment.name.as_ref());
            if rules::name_mismatch(bank_name, roster_names()) {
                let names = listed(roster_names());
                let mut finding = payout_finding(Code::NameMismatch);
                finding.detail = format!("bank name {:?}; roster: {names}", excerpt(bank_name));
                evidence(&mut finding);
                output.findings.push(finding);
            }
        }
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

    /// DUPLICATE_ENROLMENT: one finding per overlapping pair.
    fn check_duplicate_enrolments(&self, output: &mut PersonOutput) {
        let window = self.context.window;
        let policy = &self.context.case.policy;
        for (position, &(first_index, first)) in self.enrolments.iter().enumerate() {
            for &(second_index, second) in &self.enrolments[position + 1..] {
                let Some((program, period)) =
                    rules::duplicate_enrolment(first, second, policy, window)
                else {
                    continue;
                };
                let earlier = if first.primary_order(second).is_le() {
                    first_index
                } else {
                    second_index
                };
                let mut finding = self.enrolment_finding(Code::DuplicateEnrolment, earlier, period);
                finding.program = program;
                finding.detail = format!(
                    "enrolments {} ({}) and {} ({}) both cover {period}",
                    excerpt(&first.enrolment_id),
                    first.program.name(),
                    excerpt(&second.enrolment_id),
                    second.program.name(),
                );
                finding.sources = sources_text(&mut vec![
                    first.source(&self.context.case.formats),
                    second.source(&self.context.case.formats),
                ]);
                output.findings.push(finding);
            }
        }
    }

    /// ENROLLED_WHILE_EXCLUDED: one per (enrolment, exclusion row).
    fn check_enrolled_while_excluded(&self, output: &mut PersonOutput) {
        let window = self.context.window;
        for &(index, enrolment) in &self.enrolments {
            for (exclusion, starts) in &self.exclusions {
                let Some(start) = starts[exclusion_class(enrolment.program)] else {
                    continue;
                };
                let Some(period) = rules::enrolled_while_excluded(enrolment, start, window) else {
                    continue;
                };
                let mut finding =
                    self.enrolment_finding(Code::EnrolledWhileExcluded, index, period);
                let grace = if start == exclusion.from {
                    String::new()
                } else {
                    format!(", effective {start} after the grace months")
                };
                finding.detail = format!(
                    "enrolment {} covers {period} but the person is excluded from {} ({}{grace})",
                    excerpt(&enrolment.enrolment_id),
                    exclusion.from,
                    excerpt(&exclusion.reason)
                );
                finding.sources = sources_text(&mut vec![
                    enrolment.source(&self.context.case.formats),
                    self.context
                        .case
                        .formats
                        .source(FileKind::Exclusions, exclusion.line),
                ]);
                output.findings.push(finding);
            }
        }
    }

    /// INCOME_ABOVE_STANDARD: one per dibao enrolment.
    fn check_income_above_standard(&self, output: &mut PersonOutput) {
        let window = self.context.window;
        for &(index, enrolment) in &self.enrolments {
            if enrolment.program != Program::Dibao {
                continue;
            }
            let standard_at = |period| {
                self.context
                    .standards_at(index, period)
                    .amount(Slot::DIBAO_STANDARD)
            };
            let Some((period, standard, gap)) =
                rules::income_above_standard(enrolment, window, standard_at)
            else {
                continue;
            };
            let mut finding = self.enrolment_finding(Code::IncomeAboveStandard, index, period);
            finding.detail = format!(
                "enrolment {}: per-capita income {} against standard {standard} leaves gap {gap}",
                excerpt(&enrolment.enrolment_id),
                enrolment.per_capita_income
            );
            finding.sources = enrolment.source(&self.context.case.formats).to_string();
            output.findings.push(finding);
        }
    }

    /// UNFILED_STAFF_RELATIVE: enrolled in the window and an unfiled relative.
    fn check_relatives(&self, relatives: &[u32], output: &mut PersonOutput) {
        let unfiled: Vec<&Relative> = relatives
            .iter()
            .map(|&index| &self.context.case.relatives[index as usize])
            .filter(|relative| !relative.filed)
            .collect();
        if unfiled.is_empty() {
            return;
        }
        let window = self.context.window;
        let enrolled: Vec<&(u32, &Enrolment)> = self
            .enrolments
            .iter()
            .filter(|(_, enrolment)| enrolment.span().intersect(window).is_some())
            .collect();
        let Some(earliest) = enrolled.iter().min_by(|a, b| a.1.primary_order(b.1)) else {
            return;
        };
        let mut finding = self.labelled(Code::UnfiledStaffRelative, Label::Enrolment(earliest.0));
        let staff: Vec<String> = unfiled
            .iter()
            .map(|relative| {
                format!(
                    "{} ({})",
                    excerpt(&relative.staff_name),
                    excerpt(&relative.relation)
                )
            })
            .collect();
        finding.detail = format!(
            "relative of {}, not filed for separate review",
            listed(staff.iter().map(String::as_str))
        );
        let mut sources: Vec<Source> = unfiled
            .iter()
            .map(|relative| {
                self.context
                    .case
                    .formats
                    .source(FileKind::Relatives, relative.line)
            })
            .collect();
        sources.extend(
            enrolled
                .iter()
                .map(|(_, enrolment)| enrolment.source(&self.context.case.formats)),
        );
        finding.sources = sources_text(&mut sources);
        output.findings.push(finding);
    }
}

fn trail_detail(code: Code, difference: Money) -> String {
    let what = match code {
        Code::AllocationMismatch => "allocated and expected",
        Code::TransferMismatch => "transferred and allocated",
        Code::PayoutMismatch => "paid and transferred",
        _ => unreachable!("{} is not a money-trail code", code.name()),
    };
    format!("{what} differ by {difference}")
}

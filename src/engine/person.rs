//! One person's reconciliation (SPEC §4–§5): coverage, entitlement, stage
//! amounts with range settlement, the line outcome, the money trail, and the
//! payout- and person-level checks. Pure: reads the case, returns values.

use super::entitlement::{dibao_entitlement, dibao_gap};
use super::settle::settle_range;
use super::{Context, Label, LedgerLine, LineStatus};
use crate::case::{Enrolment, Exclusion, PersonId, Relative, StageRecord};
use crate::domain::source::sources_text;
use crate::domain::{
    Cause, Code, Date, FileKind, Finding, Item, LineFigures, Money, Period, PeriodRange, Program,
    Source, Stage,
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
    /// Per stage, the in-window amounts read (payouts: `paid` only) in fen,
    /// to check that the ledger holds exactly this money.
    pub money_in: [i128; 3],
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

struct Run<'a> {
    context: &'a Context<'a>,
    person: PersonId,
    id_number: &'a str,
    /// (index in case.enrolments, enrolment), in file order.
    enrolments: Vec<(u32, &'a Enrolment)>,
    exclusions: Vec<&'a Exclusion>,
    excluded_from: Option<Period>,
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
    let case = context.case;
    let enrolments: Vec<(u32, &Enrolment)> = bundle
        .enrolments
        .iter()
        .map(|&index| (index, &case.enrolments[index as usize]))
        .collect();
    let exclusions: Vec<&Exclusion> = bundle
        .exclusions
        .iter()
        .map(|&index| &case.exclusions[index as usize])
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
        excluded_from: exclusions.iter().map(|exclusion| exclusion.from).min(),
        enrolments,
        exclusions,
        fallback_label,
        lines: Vec::new(),
        evidence: Vec::new(),
    };
    let first_line = output.lines.len();
    let mut money_in = [Money::ZERO; 3];

    run.add_covered_lines();
    for stage in Stage::ALL {
        if context.given[stage.index()] {
            money_in[stage.index()] = run.apply_stage(stage, bundle.records[stage.index()]);
        }
    }
    run.judge_lines(output);
    run.check_duplicate_payments(bundle.records[Stage::Payout.index()], output);
    run.check_payouts(bundle.records[Stage::Payout.index()], output);
    run.check_enrolments(output);
    run.check_relatives(bundle.relatives, output);

    // The person's ledger lines hold exactly the money read, stage by stage.
    for stage in Stage::ALL {
        let in_ledger: Money = output.lines[first_line..]
            .iter()
            .map(|line| match stage {
                Stage::Allocation => line.figures.allocated.unwrap_or_default(),
                Stage::Transfer => line.figures.transferred.unwrap_or_default(),
                Stage::Payout => line.figures.paid,
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

/// Does `enrolment` pay for lines of `program`? price_subsidy is earned
/// through dibao and tekun enrolments (SPEC §4).
fn serves(enrolment: &Enrolment, program: Program) -> bool {
    match program {
        Program::PriceSubsidy => matches!(enrolment.program, Program::Dibao | Program::Tekun),
        _ => enrolment.program == program,
    }
}

fn without_whitespace(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(char::is_whitespace) {
        std::borrow::Cow::Owned(
            text.chars()
                .filter(|character| !character.is_whitespace())
                .collect(),
        )
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

impl<'a> Run<'a> {
    fn standards_lookup(
        &self,
        enrolment: u32,
        program: Program,
        item: Item,
        period: Period,
    ) -> Option<Money> {
        let region = self.context.region_standards(enrolment);
        self.context.standards.lookup(region, program, item, period)
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

    /// dibao E of one enrolment at `period`; `None` without a standard.
    fn dibao_amount(&self, index: u32, period: Period) -> Option<Money> {
        let enrolment = self.enrolment(index);
        let standard = self.standards_lookup(index, Program::Dibao, Item::Standard, period)?;
        let floor = self
            .standards_lookup(index, Program::Dibao, Item::Floor, period)
            .unwrap_or(Money::ZERO);
        Some(dibao_entitlement(
            enrolment,
            standard,
            floor,
            self.context.case.policy.rounding,
        ))
    }

    fn tekun_amount(&self, index: u32, period: Period) -> Option<Money> {
        let enrolment = self.enrolment(index);
        let basic = self.standards_lookup(index, Program::Tekun, Item::Basic, period)?;
        let level = enrolment
            .care_level
            .expect("a tekun enrolment that was read has a care level");
        let care = self.standards_lookup(index, Program::Tekun, Item::care(level), period)?;
        Some(basic + care)
    }

    fn basis(&self, program: Program, period: Period) -> Basis {
        let excluded = self.excluded_from.is_some_and(|from| from <= period);
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
                    basis.expected = match program {
                        Program::Dibao => self.dibao_amount(primary, period),
                        _ => self.tekun_amount(primary, period),
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
                    basis.expected = self.price_subsidy(dibao, tekun, period);
                }
            }
        }
        basis
    }

    /// Σ price_subsidy × persons over the primary dibao and tekun enrolment.
    /// A dibao household above the line earns none; without its dibao
    /// standard the gap is unknown, and so is this E.
    fn price_subsidy(
        &self,
        dibao: Option<u32>,
        tekun: Option<u32>,
        period: Period,
    ) -> Option<Money> {
        let mut total = Money::ZERO;
        if let Some(index) = dibao {
            let enrolment = self.enrolment(index);
            let standard = self.standards_lookup(index, Program::Dibao, Item::Standard, period)?;
            if dibao_gap(enrolment, standard).is_positive() {
                let per_person = self
                    .standards_lookup(index, Program::Dibao, Item::PriceSubsidy, period)
                    .unwrap_or(Money::ZERO);
                total += per_person
                    .checked_times(i64::from(enrolment.household_size))
                    .expect("household size ≤ 1000 keeps this in range");
            }
        }
        if let Some(index) = tekun {
            total += self
                .standards_lookup(index, Program::Tekun, Item::PriceSubsidy, period)
                .unwrap_or(Money::ZERO);
        }
        Some(total)
    }

    fn line(&mut self, program: Program, period: Period) -> &mut LineState {
        let key = (program, period);
        let position = match self.lines.binary_search_by_key(&key, |(key, _)| *key) {
            Ok(position) => position,
            Err(position) => {
                let basis = self.basis(program, period);
                self.lines.insert(
                    position,
                    (
                        key,
                        LineState {
                            basis,
                            sums: [Money::ZERO; 3],
                        },
                    ),
                );
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
        let kind = super::stage_file_kind(stage);
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
                    Source::new(kind, record.line),
                ));
            } else {
                ranges.push(record);
            }
        }
        // SPEC §4: by date (undated last), then record id as text.
        ranges.sort_by(|a, b| {
            (a.date.is_none(), a.date)
                .cmp(&(b.date.is_none(), b.date))
                .then_with(|| file.text(a.record_id).cmp(file.text(b.record_id)))
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
                    self.evidence
                        .push(((record.program, period), Source::new(kind, record.line)));
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

    /// Roster rows a line's entitlement rests on.
    fn roster_sources(&self, program: Program, period: Period, basis: &Basis) -> Vec<Source> {
        let mut sources: Vec<Source> = basis
            .primary
            .iter()
            .flatten()
            .map(|&index| self.enrolment(index).source())
            .collect();
        if program == Program::Temp {
            sources.extend(
                self.temps_starting(period)
                    .map(|(_, enrolment)| enrolment.source()),
            );
        }
        sources
    }

    fn line_finding(
        &self,
        code: Code,
        program: Program,
        period: Period,
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

    /// The first stage that fell short (SPEC §5).
    fn short_stage(&self, expected: Money, allocated: Money, transferred: Money) -> Stage {
        let tolerance = self.context.case.policy.tolerance;
        let given = self.context.given;
        if given[Stage::Allocation.index()] && allocated < expected - tolerance {
            return Stage::Allocation;
        }
        let allocated_or_expected = if given[Stage::Allocation.index()] {
            allocated
        } else {
            expected
        };
        if given[Stage::Transfer.index()]
            && transferred < allocated_or_expected.min(expected) - tolerance
        {
            return Stage::Transfer;
        }
        Stage::Payout
    }

    /// `standard_raise_not_applied`: P matches E recomputed with the standard
    /// item's value from before its latest change.
    fn raise_cause(
        &self,
        program: Program,
        period: Period,
        basis: &Basis,
        paid: Money,
    ) -> Option<Cause> {
        let primary = basis.primary[0]?;
        let region = self.context.region_standards(primary);
        let standards = &self.context.standards;
        let old_expected = match program {
            Program::Dibao => {
                let old = standards.value_before_latest_change(
                    region,
                    Program::Dibao,
                    Item::Standard,
                    period,
                )?;
                let floor = standards
                    .lookup(region, Program::Dibao, Item::Floor, period)
                    .unwrap_or(Money::ZERO);
                dibao_entitlement(
                    self.enrolment(primary),
                    old,
                    floor,
                    self.context.case.policy.rounding,
                )
            }
            Program::Tekun => {
                let old = standards.value_before_latest_change(
                    region,
                    Program::Tekun,
                    Item::Basic,
                    period,
                )?;
                let level = self.enrolment(primary).care_level?;
                old + standards.lookup(region, Program::Tekun, Item::care(level), period)?
            }
            Program::Temp | Program::PriceSubsidy => return None,
        };
        ((paid - old_expected).abs() <= self.context.case.policy.tolerance)
            .then_some(Cause::StandardRaiseNotApplied)
    }

    fn judge_lines(&self, output: &mut PersonOutput) {
        let given = self.context.given;
        let tolerance = self.context.case.policy.tolerance;
        for &((program, period), ref state) in &self.lines {
            let basis = &state.basis;
            let [allocated, transferred, paid] = state.sums;
            let all_zero = basis.expected == Some(Money::ZERO)
                && allocated.is_zero()
                && transferred.is_zero()
                && paid.is_zero();
            if all_zero {
                continue;
            }
            let figures = LineFigures {
                expected: basis.expected,
                allocated: given[Stage::Allocation.index()].then_some(allocated),
                transferred: given[Stage::Transfer.index()].then_some(transferred),
                paid,
            };
            let mut line = LedgerLine {
                person: self.person,
                program,
                period,
                figures,
                status: LineStatus::Ok,
                label: self.label(program, period, Some(basis)),
            };

            // Line outcome: at most one, in SPEC §5 order.
            let outcome: Option<(Code, LineStatus, Option<Money>)> = if basis.excluded
                && paid.is_positive()
            {
                Some((Code::PaidToExcluded, LineStatus::Excluded, Some(paid)))
            } else if !basis.covered && paid.is_positive() {
                if self.exited_before(program, period) {
                    Some((Code::PaidAfterExit, LineStatus::AfterExit, Some(paid)))
                } else {
                    Some((Code::PaidNotEnrolled, LineStatus::NotEnrolled, Some(paid)))
                }
            } else if basis.covered && !basis.excluded {
                match basis.expected {
                    None => Some((Code::NoStandard, LineStatus::NoStandard, None)),
                    Some(expected) if expected.is_positive() && paid.is_zero() => {
                        Some((Code::MissingPayment, LineStatus::Missing, Some(expected)))
                    }
                    Some(expected) if paid.is_positive() && paid < expected - tolerance => Some((
                        Code::Shortfall,
                        LineStatus::Shortfall,
                        Some(expected - paid),
                    )),
                    Some(expected) if paid > expected + tolerance => {
                        Some((Code::Overpayment, LineStatus::Over, Some(paid - expected)))
                    }
                    Some(_) => None,
                }
            } else {
                None
            };
            match outcome {
                Some((code, status, amount)) => {
                    line.status = status;
                    let mut finding = self.line_finding(code, program, period, state, figures);
                    finding.amount = amount;
                    if let (Code::MissingPayment | Code::Shortfall, Some(expected)) =
                        (code, basis.expected)
                    {
                        finding.stage = Some(self.short_stage(expected, allocated, transferred));
                        finding.cause = self.raise_cause(program, period, basis, paid);
                        finding.detail = format!("expected {expected}, paid {paid}");
                    } else {
                        finding.detail = match code {
                            Code::PaidToExcluded => {
                                let reasons: Vec<&str> = self
                                    .exclusions
                                    .iter()
                                    .filter(|exclusion| exclusion.from <= period)
                                    .map(|exclusion| exclusion.reason.as_ref())
                                    .collect();
                                format!("paid {paid} while excluded ({})", reasons.join(", "))
                            }
                            Code::PaidAfterExit => {
                                format!("paid {paid} after the {} enrolment ended", program.name())
                            }
                            Code::PaidNotEnrolled => {
                                format!("paid {paid} with no {} enrolment", program.name())
                            }
                            Code::NoStandard => {
                                format!("no standard in force for {} in {period}", program.name())
                            }
                            Code::Overpayment => format!(
                                "expected {}, paid {paid}",
                                basis.expected.unwrap_or_default()
                            ),
                            _ => String::new(),
                        };
                    }
                    output.findings.push(finding);
                }
                None if basis.excluded => line.status = LineStatus::Excluded,
                None => {}
            }

            // Money trail (SPEC §5), each only when both files compared exist.
            let mut trail = |code: Code, difference: Money, what: &str| {
                if difference.abs() > tolerance {
                    let mut finding = self.line_finding(code, program, period, state, figures);
                    finding.amount = Some(difference);
                    finding.detail = format!("{what} differ by {difference}");
                    output.findings.push(finding);
                }
            };
            if given[Stage::Allocation.index()] {
                if let Some(expected) = basis.expected {
                    trail(
                        Code::AllocationMismatch,
                        allocated - expected,
                        "allocated and expected",
                    );
                }
                if given[Stage::Transfer.index()] {
                    trail(
                        Code::TransferMismatch,
                        transferred - allocated,
                        "transferred and allocated",
                    );
                }
            }
            if given[Stage::Transfer.index()] {
                trail(
                    Code::PayoutMismatch,
                    paid - transferred,
                    "paid and transferred",
                );
            }
            output.lines.push(line);
        }
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
        singles.sort_by_key(|record| {
            (
                record.program,
                record.periods.first,
                record.amount,
                record.line,
            )
        });
        for group in singles.chunk_by(|a, b| {
            (a.program, a.periods.first, a.amount) == (b.program, b.periods.first, b.amount)
        }) {
            if group.len() < 2 {
                continue;
            }
            let (program, period, amount) =
                (group[0].program, group[0].periods.first, group[0].amount);
            let state = self.existing_line(program, period);
            let mut finding = self.line_finding(
                Code::DuplicatePayment,
                program,
                period,
                state,
                self.figures(state),
            );
            let repeats = i64::try_from(group.len() - 1).expect("group size fits i64");
            finding.amount = Some(
                amount
                    .checked_times(repeats)
                    .expect("bounded by the line's paid sum"),
            );
            let mut sources: Vec<Source> = group
                .iter()
                .map(|record| Source::new(FileKind::Payouts, record.line))
                .collect();
            finding.sources = sources_text(&mut sources);
            let ids: Vec<&str> = group
                .iter()
                .map(|record| self.context.case.payouts.text(record.record_id))
                .collect();
            finding.detail = format!("{} payouts of {amount}: {}", group.len(), ids.join(", "));
            output.findings.push(finding);
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

    /// LATE_PAYMENT, ACCOUNT_MISMATCH, NAME_MISMATCH; collects SHARED_ACCOUNT
    /// candidates.
    fn check_payouts(&self, records: &[u32], output: &mut PersonOutput) {
        let case = self.context.case;
        let payouts = &case.payouts;
        for (index, record) in self.in_window_paid(records) {
            let source = Source::new(FileKind::Payouts, record.line);
            let payout_finding = |code: Code| {
                let label = self.label(record.program, record.periods.first, None);
                let mut finding = self.labelled(code, label);
                finding.program = Some(record.program);
                finding.period = Some(record.periods);
                finding
            };

            if record.periods.is_single() {
                if let Some(paid_on) = record.date {
                    let deadline =
                        Date::deadline(record.periods.first, case.policy.payment_deadline_day);
                    if paid_on > deadline {
                        let mut finding = payout_finding(Code::LatePayment);
                        finding.amount = Some(record.amount);
                        finding.sources = source.to_string();
                        finding.detail = format!("paid on {paid_on}, deadline {deadline}");
                        output.findings.push(finding);
                    }
                }
            }

            let institutional = self.enrolments.iter().any(|(_, enrolment)| {
                enrolment.program == Program::Tekun
                    && enrolment.centralized
                    && enrolment.span().intersect(record.periods).is_some()
            });
            if institutional {
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
                let mut sources: Vec<Source> = covering().map(Enrolment::source).collect();
                sources.push(source);
                finding.sources = sources_text(&mut sources);
            };

            let account = payouts.text(record.account);
            if !account.is_empty() {
                output.shared_account_payouts.push(index);
                let mut registered = covering()
                    .map(|enrolment| enrolment.account.as_ref())
                    .filter(|registered| !registered.is_empty());
                let mismatch = match registered.next() {
                    None => false,
                    Some(first) => {
                        first != account && registered.all(|registered| registered != account)
                    }
                };
                if mismatch {
                    let registered: Vec<&str> = covering()
                        .map(|enrolment| enrolment.account.as_ref())
                        .filter(|registered| !registered.is_empty())
                        .collect();
                    let mut finding = payout_finding(Code::AccountMismatch);
                    finding.account = account.into();
                    finding.amount = Some(record.amount);
                    finding.detail =
                        format!("paid into {account}; registered: {}", registered.join(", "));
                    evidence(&mut finding);
                    output.findings.push(finding);
                }
            }

            let name = without_whitespace(payouts.text(record.name));
            let mut roster = covering().peekable();
            if !name.is_empty()
                && roster.peek().is_some()
                && roster.all(|enrolment| without_whitespace(&enrolment.name) != name)
            {
                let roster_names: Vec<&str> = covering()
                    .map(|enrolment| enrolment.name.as_ref())
                    .collect();
                let mut finding = payout_finding(Code::NameMismatch);
                finding.detail = format!(
                    "bank name {:?}; roster: {}",
                    payouts.text(record.name),
                    roster_names.join(", ")
                );
                evidence(&mut finding);
                output.findings.push(finding);
            }
        }
    }

    /// DUPLICATE_ENROLMENT, ENROLLED_WHILE_EXCLUDED, INCOME_ABOVE_STANDARD.
    fn check_enrolments(&self, output: &mut PersonOutput) {
        let window = self.context.window;
        let policy = &self.context.case.policy;
        for (position, &(first_index, first)) in self.enrolments.iter().enumerate() {
            for &(second_index, second) in &self.enrolments[position + 1..] {
                let same = first.program == second.program
                    && matches!(first.program, Program::Dibao | Program::Tekun);
                if !same && !policy.are_exclusive(first.program, second.program) {
                    continue;
                }
                let Some(common) = first
                    .span()
                    .intersect(second.span())
                    .and_then(|common| common.intersect(window))
                else {
                    continue;
                };
                let earlier = if first.primary_order(second).is_le() {
                    first_index
                } else {
                    second_index
                };
                let mut finding =
                    self.labelled(Code::DuplicateEnrolment, Label::Enrolment(earlier));
                finding.program = same.then_some(first.program);
                finding.period = Some(PeriodRange::single(common.first));
                finding.detail = format!(
                    "enrolments {} ({}) and {} ({}) both cover {}",
                    first.enrolment_id,
                    first.program.name(),
                    second.enrolment_id,
                    second.program.name(),
                    common.first
                );
                finding.sources = sources_text(&mut vec![first.source(), second.source()]);
                output.findings.push(finding);
            }
        }

        for &(index, enrolment) in &self.enrolments {
            for exclusion in &self.exclusions {
                let excluded = PeriodRange {
                    first: exclusion.from,
                    last: enrolment.span().last,
                };
                let Some(common) = enrolment
                    .span()
                    .intersect(excluded)
                    .and_then(|common| common.intersect(window))
                else {
                    continue;
                };
                let mut finding =
                    self.labelled(Code::EnrolledWhileExcluded, Label::Enrolment(index));
                finding.program = Some(enrolment.program);
                finding.period = Some(PeriodRange::single(common.first));
                finding.detail = format!(
                    "enrolment {} covers {} but the person is excluded from {} ({})",
                    enrolment.enrolment_id, common.first, exclusion.from, exclusion.reason
                );
                finding.sources = sources_text(&mut vec![
                    enrolment.source(),
                    Source::new(FileKind::Exclusions, exclusion.line),
                ]);
                output.findings.push(finding);
            }
        }

        for &(index, enrolment) in &self.enrolments {
            if enrolment.program != Program::Dibao {
                continue;
            }
            let Some(span) = enrolment.span().intersect(window) else {
                continue;
            };
            let above = span.months().find_map(|period| {
                let standard =
                    self.standards_lookup(index, Program::Dibao, Item::Standard, period)?;
                let gap = dibao_gap(enrolment, standard);
                (!gap.is_positive()).then_some((period, standard, gap))
            });
            if let Some((period, standard, gap)) = above {
                let mut finding = self.labelled(Code::IncomeAboveStandard, Label::Enrolment(index));
                finding.program = Some(Program::Dibao);
                finding.period = Some(PeriodRange::single(period));
                finding.detail = format!(
                    "enrolment {}: per-capita income {} against standard {} leaves gap {gap}",
                    enrolment.enrolment_id, enrolment.per_capita_income, standard
                );
                finding.sources = enrolment.source().to_string();
                output.findings.push(finding);
            }
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
            .map(|relative| format!("{} ({})", relative.staff_name, relative.relation))
            .collect();
        finding.detail = format!(
            "relative of {}, not filed for separate review",
            staff.join(", ")
        );
        let mut sources: Vec<Source> = unfiled
            .iter()
            .map(|relative| Source::new(FileKind::Relatives, relative.line))
            .collect();
        sources.extend(enrolled.iter().map(|(_, enrolment)| enrolment.source()));
        finding.sources = sources_text(&mut sources);
        output.findings.push(finding);
    }
}

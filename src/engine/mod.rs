//! The pure core: a [`Case`] and a window request in, ledger lines and
//! findings out. No I/O, no clock. Work is partitioned by person and run in
//! parallel; the outputs come back in person order, so thread count cannot
//! change them.

pub mod coverage;
pub mod entitlement;
pub mod outcome;
pub mod person;
pub mod rules;
pub mod settle;
pub mod standards;

use rayon::prelude::*;

use crate::case::{Case, PersonId};
use crate::domain::source::sources_text;
use crate::domain::text::{excerpt, listed};
use crate::domain::{
    Code, FileKind, Finding, LineFigures, Money, Period, PeriodRange, Program, Source, Stage,
};
use person::{reconcile_person, Bundle, PersonOutput};
use standards::{InForce, RegionStandards, StandardsTable};

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
    /// the finding's `amount` ([`outcome::outcome_amount`]).
    pub fn outcome_amount(&self) -> Money {
        outcome::outcome_amount(self.status, self.figures())
    }
}

/// The ledger lines of a run in (id_number, program, period) order, kept in
/// the parts the parallel tasks made: joining them would copy every line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    parts: Vec<Vec<LedgerLine>>,
}

impl Ledger {
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

/// Shared, read-only inputs of every person's reconciliation.
pub struct Context<'a> {
    pub case: &'a Case,
    pub standards: StandardsTable,
    /// Resolved standards per distinct region, and each enrolment's entry.
    resolved: Vec<RegionStandards>,
    /// Distinct enrolment regions in text order; `enrolment_region` ranks
    /// each enrolment's region in it.
    regions: Vec<&'a str>,
    enrolment_region: Vec<u32>,
    pub window: PeriodRange,
    /// Per stage: was its file given?
    pub given: [bool; 3],
}

impl<'a> Context<'a> {
    pub fn new(case: &'a Case, window: PeriodRange) -> Context<'a> {
        let standards = StandardsTable::new(&case.standards, case.policy.item_rounding);
        let mut regions: Vec<&str> = case
            .enrolments
            .iter()
            .map(|enrolment| enrolment.region.as_ref())
            .collect();
        regions.sort_unstable();
        regions.dedup();
        let resolved: Vec<RegionStandards> = regions
            .par_iter()
            .map(|region| standards.resolve(region))
            .collect();
        let enrolment_region = case
            .enrolments
            .iter()
            .map(|enrolment| {
                let position = regions
                    .binary_search(&enrolment.region.as_ref())
                    .expect("every region was collected");
                u32::try_from(position).expect("fewer than 4 billion regions")
            })
            .collect();
        Context {
            case,
            standards,
            resolved,
            regions,
            enrolment_region,
            window,
            given: [case.allocations.is_some(), case.transfers.is_some(), true],
        }
    }

    pub fn region_standards(&self, enrolment: u32) -> &RegionStandards {
        &self.resolved[self.enrolment_region[enrolment as usize] as usize]
    }

    /// The standards in force for an enrolment's region at `period`.
    pub fn standards_at(&self, enrolment: u32, period: Period) -> InForce<'_> {
        self.standards
            .in_force(self.region_standards(enrolment), period)
    }

    /// The rank of a label's region among all regions (text order); `None`
    /// for the empty region, which sorts first.
    pub fn region_rank(&self, label: Label) -> Option<u32> {
        match label {
            Label::Enrolment(index) => Some(self.enrolment_region[index as usize]),
            Label::Payout(_) | Label::None => None,
        }
    }

    pub fn region_text(&self, rank: Option<u32>) -> &'a str {
        rank.map_or("", |rank| self.regions[rank as usize])
    }

    /// (name, region) of a label.
    pub fn label_text(&self, label: Label) -> (&'a str, &'a str) {
        match label {
            Label::Enrolment(index) => {
                let enrolment = &self.case.enrolments[index as usize];
                (&enrolment.name, &enrolment.region)
            }
            Label::Payout(index) => {
                let payouts = &self.case.payouts;
                (payouts.payee_name(payouts.record(index)), "")
            }
            Label::None => ("", ""),
        }
    }
}

/// Records of one collection grouped by person (a CSR index): stable, so
/// each person's records stay in file order.
struct Grouping {
    offsets: Vec<u32>,
    order: Vec<u32>,
}

impl Grouping {
    /// Groups the `(index, person)` pairs by person, each group in the
    /// order given.
    fn new(people: usize, items: impl Iterator<Item = (u32, PersonId)> + Clone) -> Grouping {
        let mut offsets = vec![0u32; people + 1];
        for (_, person) in items.clone() {
            offsets[person.index() + 1] += 1;
        }
        for index in 0..people {
            offsets[index + 1] += offsets[index];
        }
        let mut next = offsets.clone();
        let mut order = vec![0u32; offsets[people] as usize];
        for (index, person) in items {
            let slot = &mut next[person.index()];
            order[*slot as usize] = index;
            *slot += 1;
        }
        Grouping { offsets, order }
    }

    /// As [`Grouping::new`] for a dense collection (index = position).
    fn dense(people: usize, persons: impl Iterator<Item = PersonId> + Clone) -> Grouping {
        Grouping::new(
            people,
            persons.enumerate().map(|(index, person)| {
                (
                    u32::try_from(index).expect("fewer than 4 billion records"),
                    person,
                )
            }),
        )
    }

    fn of(&self, person: PersonId) -> &[u32] {
        &self.order
            [self.offsets[person.index()] as usize..self.offsets[person.index() + 1] as usize]
    }
}

/// Persons reconciled by one parallel task.
const PERSONS_PER_TASK: usize = 1024;

/// Records (and enrolments) per file whose loads are started ahead for
/// each person: a dozen months of one person lie in a few cache lines.
const PREFETCH_RECORDS: usize = 8;

/// Everything the writers need.
pub struct Reconciliation {
    pub window: PeriodRange,
    /// Sorted by (id_number, program, period).
    pub lines: Ledger,
    /// Sorted in SPEC §6 order.
    pub findings: Vec<Finding>,
    /// Per stage: records skipped as outside the window.
    pub outside_window: [u64; 3],
    /// Per stage: records counted (in the window; payouts: all statuses).
    pub inside_window: [u64; 3],
    pub given: [bool; 3],
    /// With [`SharedAccounts::Collect`]: (account, use) per account and person.
    pub account_uses: Vec<(Box<str>, AccountUse)>,
}

pub use crate::domain::window::{Bounds, WindowError, MAX_DEFAULT_WINDOW_MONTHS};

/// SPEC §3: a bound not given is the smallest (largest) period of any
/// stage record that was read, whatever its status, ranges expanded.
pub fn window(
    case: &Case,
    from: Option<Period>,
    to: Option<Period>,
) -> Result<PeriodRange, WindowError> {
    // Chunk by chunk in parallel: merged bounds name the same records
    // whatever the order (`Bounds::merge`).
    let bounds = Stage::ALL
        .par_iter()
        .filter_map(|&stage| case.stage(stage).map(|file| (stage.file_kind(), file)))
        .flat_map(|(kind, file)| {
            file.chunks().par_iter().filter_map(move |chunk| {
                chunk.records.iter().fold(None, |bounds, record| {
                    Some(Bounds::including(
                        bounds,
                        record.periods,
                        case.formats.source(kind, record.line),
                    ))
                })
            })
        })
        .reduce_with(Bounds::merge);
    window_from_bounds(bounds, from, to)
}

/// SPEC §3 from the records' bounds (`None`: no record) and the flags.
pub fn window_from_bounds(
    bounds: Option<Bounds>,
    from: Option<Period>,
    to: Option<Period>,
) -> Result<PeriodRange, WindowError> {
    let first = from.or(bounds.map(|bounds| bounds.periods.first));
    let last = to.or(bounds.map(|bounds| bounds.periods.last));
    match (first, last) {
        (Some(first), Some(last)) if first <= last => {
            let window = PeriodRange { first, last };
            let months = last.index() - first.index() + 1;
            let defaulted = from.is_none() || to.is_none();
            if defaulted && months > MAX_DEFAULT_WINDOW_MONTHS {
                let bounds = bounds.expect("a bound not given comes from the records");
                return Err(WindowError::TooLong {
                    window,
                    months,
                    first_set_by: from.is_none().then_some(bounds.first_set_by),
                    last_set_by: to.is_none().then_some(bounds.last_set_by),
                });
            }
            Ok(window)
        }
        (Some(first), Some(last)) => Err(WindowError::Empty { first, last }),
        _ => Err(WindowError::Unknown),
    }
}

#[cfg(test)]
mod window_tests {
    use super::*;

    fn periods(text: &str) -> PeriodRange {
        PeriodRange::parse(text).expect("a period or range")
    }

    fn payout(line: u32) -> Source {
        Source::new(FileKind::Payouts, line)
    }

    /// SPEC v2 §3: one mistyped period must not stretch a run over
    /// centuries; the message names the records to look at.
    #[test]
    fn a_default_window_over_120_months_is_refused_naming_the_records_that_set_it() {
        let mut bounds = Bounds::of(periods("2020-01"), payout(2));
        bounds.include(periods("9999-12"), payout(4));
        let error = window_from_bounds(Some(bounds), None, None).unwrap_err();
        assert!(matches!(error, WindowError::TooLong { months: 95_760, .. }));
        let message = error.to_string();
        assert!(
            message.contains("its first month 2020-01 was set by payouts.csv:2")
                && message.contains("its last month 9999-12 was set by payouts.csv:4")
                && message.contains("--from and --to"),
            "{message}"
        );
        // Only a bound taken from the records is named, and either one
        // defaulted is enough to refuse.
        let from = Period::parse("2020-01");
        let message = window_from_bounds(Some(bounds), from, None)
            .unwrap_err()
            .to_string();
        assert!(!message.contains("first month"), "{message}");
        assert!(message.contains("payouts.csv:4"), "{message}");
        let to = Period::parse("9999-12");
        let message = window_from_bounds(Some(bounds), None, to)
            .unwrap_err()
            .to_string();
        assert!(message.contains("payouts.csv:2") && !message.contains("last month"));
        // Both given: any length runs.
        assert_eq!(
            window_from_bounds(Some(bounds), from, to).unwrap(),
            periods("2020-01..9999-12")
        );
    }

    #[test]
    fn a_default_window_of_exactly_120_months_runs() {
        let bounds = Bounds::of(periods("2021-01..2030-12"), payout(2));
        assert_eq!(MAX_DEFAULT_WINDOW_MONTHS, 120);
        assert_eq!(
            window_from_bounds(Some(bounds), None, None).unwrap(),
            periods("2021-01..2030-12")
        );
        let bounds = Bounds::of(periods("2021-01..2031-01"), payout(2));
        assert!(matches!(
            window_from_bounds(Some(bounds), None, None),
            Err(WindowError::TooLong { months: 121, .. })
        ));
    }

    /// Of records with the same extreme period, the first in file order
    /// (allocations, transfers, payouts; then line) names it, in whatever
    /// order they are met.
    #[test]
    fn a_bound_is_named_by_the_first_record_in_file_order_that_set_it() {
        let records = [
            (periods("2020-03..2031-05"), payout(9)),
            (periods("2031-05"), payout(3)),
            (periods("2020-03"), Source::new(FileKind::Transfers, 7)),
            (periods("2020-03"), Source::new(FileKind::Allocations, 8)),
            (periods("2025-01"), payout(2)),
        ];
        for rotation in 0..records.len() {
            let mut bounds: Option<Bounds> = None;
            for (periods, source) in records.iter().cycle().skip(rotation).take(records.len()) {
                bounds = Some(Bounds::including(bounds, *periods, *source));
            }
            let bounds = bounds.expect("records");
            assert_eq!(bounds.periods, periods("2020-03..2031-05"));
            assert_eq!(bounds.first_set_by, Source::new(FileKind::Allocations, 8));
            assert_eq!(bounds.last_set_by, payout(3));
        }
        // Read in pieces (chunks, in parallel) and merged in any grouping:
        // the same bounds.
        for split in 1..records.len() {
            let piece = |records: &[(PeriodRange, Source)]| {
                records.iter().fold(None, |bounds, (periods, source)| {
                    Some(Bounds::including(bounds, *periods, *source))
                })
            };
            let (left, right) = (piece(&records[..split]), piece(&records[split..]));
            let (left, right) = (left.expect("a record"), right.expect("a record"));
            for merged in [left.merge(right), right.merge(left)] {
                assert_eq!(merged.periods, periods("2020-03..2031-05"));
                assert_eq!(merged.first_set_by, Source::new(FileKind::Allocations, 8));
                assert_eq!(merged.last_set_by, payout(3));
            }
        }
    }
}

#[cfg(test)]
mod shared_account_tests {
    use super::*;
    use person::AccountKey;

    fn key(hash: u64, person: u32, payout: u32) -> AccountKey {
        AccountKey {
            hash,
            person: PersonId(person),
            payout,
        }
    }

    /// SHARED_ACCOUNT's first step compares hashes; where several persons
    /// share one, the texts decide — two accounts with one hash are not
    /// one account.
    #[test]
    fn accounts_paid_to_several_persons_are_found_by_text_behind_the_hash() {
        // Payout index → account text.
        let accounts = [
            "6222000011112222", // 0: persons 0 and 2
            "6222000033334444", // 1: person 1 only, same hash as 0 and 3
            "6222000011112222", // 2
            "6222000055556666", // 3: person 3 only, hash shared with 0
            "6222000077778888", // 4: person 4 only
            "6222000099990000", // 5: persons 5 and 6
            "6222000099990000", // 6
        ];
        let mut keys = vec![
            key(7, 3, 3),
            key(7, 2, 2),
            key(7, 1, 1),
            key(7, 0, 0),
            // Person 1's account met again (after a change of account).
            key(7, 1, 1),
            key(9, 4, 4),
            key(11, 5, 5),
            key(11, 6, 6),
        ];
        let (shared, involved) =
            accounts_paid_to_several(&mut keys, 8, |payout| accounts[payout as usize]);
        let mut shared: Vec<&str> = shared.into_iter().collect();
        shared.sort_unstable();
        assert_eq!(shared, ["6222000011112222", "6222000099990000"]);
        assert_eq!(
            involved,
            [true, false, true, false, false, true, true, false]
        );
        // A hash of one person only, however often, is never looked up.
        let mut keys = vec![key(1, 0, 0), key(2, 1, 1), key(3, 1, 2), key(2, 1, 1)];
        let (shared, involved) = accounts_paid_to_several(&mut keys, 2, |_| -> &str {
            panic!("no text is read when no hash is shared")
        });
        assert!(shared.is_empty());
        assert_eq!(involved, [false, false]);
    }
}

/// One enrolment a public notice (公示) lists for one month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoticeLine {
    /// Index into `case.enrolments`: the primary dibao or tekun enrolment.
    pub enrolment: u32,
    /// E of the line for that month, as ledger.csv's `expected` shows it;
    /// `None` when a required standard is missing (NO_STANDARD), or the
    /// line is excluded.
    pub expected: Option<Money>,
    /// The person is excluded that month (exclusions.csv, the grace after
    /// a death applied): the notice leaves the line out, saying why.
    pub excluded: bool,
}

/// The lines a public notice (公示, 2021 低保审核确认办法 art. 24) lists for
/// `period`: per person, the primary dibao and the primary tekun enrolment
/// covering the month, with E computed by the same function the
/// reconciliation uses, and whether the line is excluded (SPEC §4, the
/// death grace included: such a line is left out of the notice).
/// In person (id_number) order, dibao before tekun. Pure, like the rest of
/// the engine.
pub fn notice_lines(case: &Case, period: Period) -> Vec<NoticeLine> {
    let context = Context::new(case, PeriodRange::single(period));
    let people = case.people.len();
    let (enrolments, exclusions) = roster_groupings(case);
    let parts = per_person(people, |person, lines: &mut Vec<NoticeLine>| {
        let bundle = Bundle {
            person,
            enrolments: enrolments.of(person),
            exclusions: exclusions.of(person),
            relatives: &[],
            records: [&[], &[], &[]],
        };
        lines.extend(
            person::notice_lines(&context, &bundle, period)
                .into_iter()
                .map(|(enrolment, expected, excluded)| NoticeLine {
                    enrolment,
                    expected,
                    excluded,
                }),
        );
    });
    parts.into_iter().flatten().collect()
}

/// The case's enrolments and exclusions grouped by person.
fn roster_groupings(case: &Case) -> (Grouping, Grouping) {
    let people = case.people.len();
    let enrolments = Grouping::dense(
        people,
        case.enrolments.iter().map(|enrolment| enrolment.person),
    );
    let exclusions = Grouping::dense(
        people,
        case.exclusions.iter().map(|exclusion| exclusion.person),
    );
    (enrolments, exclusions)
}

/// Visits every person in parallel tasks of [`PERSONS_PER_TASK`]
/// consecutive persons, each task filling one output: the outputs come
/// back in person order, whatever the thread count.
fn per_person<T: Default + Send>(people: usize, visit: impl Fn(PersonId, &mut T) + Sync) -> Vec<T> {
    let tasks = people.div_ceil(PERSONS_PER_TASK);
    (0..tasks)
        .into_par_iter()
        .map(|task| {
            let mut output = T::default();
            for index in task * PERSONS_PER_TASK..people.min((task + 1) * PERSONS_PER_TASK) {
                let person = PersonId(u32::try_from(index).expect("fewer than 4 billion people"));
                visit(person, &mut output);
            }
            output
        })
        .collect()
}

/// How SHARED_ACCOUNT is judged: it looks across persons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SharedAccounts<'a> {
    /// The case holds every person: judge here.
    Decide,
    /// The case is one partition of persons: return the account uses, to
    /// be judged once every partition is done ([`shared_account_findings_from_uses`]),
    /// for the accounts whose hash ([`account_hash`]) is in the set: those a
    /// scan of the whole payouts file saw paid to two or more persons.
    Collect(&'a rustc_hash::FxHashSet<u128>),
}

pub use crate::domain::account::account_hash;

/// The payouts of one person into one account (SHARED_ACCOUNT's input).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountUse {
    pub id_number: Box<str>,
    /// The person's non-empty household ids, sorted, distinct.
    pub households: Vec<Box<str>>,
    pub amount_fen: i128,
    /// The payouts' rows, named as the payouts file was given.
    pub lines: Vec<Source>,
}

/// Reconciles the whole case inside `window`.
pub fn reconcile(case: &Case, window: PeriodRange) -> Reconciliation {
    reconcile_with(case, window, SharedAccounts::Decide)
}

pub fn reconcile_with(
    case: &Case,
    window: PeriodRange,
    shared_accounts: SharedAccounts<'_>,
) -> Reconciliation {
    let context = Context::new(case, window);
    let people = case.people.len();
    // Each grouping is one sequential counting sort: the five run side by
    // side.
    let empty = crate::case::StageFile::default();
    let (stage_groupings, ((enrolments, exclusions), relatives)) = rayon::join(
        || {
            Stage::ALL
                .par_iter()
                .map(|&stage| {
                    let file = case.stage(stage).unwrap_or(&empty);
                    Grouping::new(
                        people,
                        file.iter().map(|(index, record)| (index, record.person)),
                    )
                })
                .collect::<Vec<Grouping>>()
        },
        || {
            rayon::join(
                || roster_groupings(case),
                || {
                    Grouping::dense(
                        people,
                        case.relatives.iter().map(|relative| relative.person),
                    )
                },
            )
        },
    );

    // Persons in runs of PERSONS_PER_TASK: one output per run keeps the
    // allocations few and the collected order the person order.
    let stage_files: Vec<Option<&crate::case::StageFile>> =
        Stage::ALL.iter().map(|&stage| case.stage(stage)).collect();
    // Loads started ahead of use (a hint: see `case::prefetch`): the records
    // and enrolments of the person after next but one, and the payout texts
    // of the person after next, whose records have arrived by then.
    let prefetch = |person: usize| {
        let records_of = PersonId(u32::try_from(person + 4).unwrap_or(u32::MAX));
        if records_of.index() < people {
            for (grouping, file) in stage_groupings.iter().zip(&stage_files) {
                if let Some(file) = file {
                    for &index in grouping.of(records_of).iter().take(PREFETCH_RECORDS) {
                        file.prefetch_record(index);
                    }
                }
            }
            for &index in enrolments.of(records_of).iter().take(PREFETCH_RECORDS) {
                crate::case::prefetch(&case.enrolments[index as usize]);
            }
        }
        let texts_of = PersonId(u32::try_from(person + 2).unwrap_or(u32::MAX));
        if texts_of.index() < people {
            let payouts = &case.payouts;
            for &index in stage_groupings[Stage::Payout.index()]
                .of(texts_of)
                .iter()
                .take(PREFETCH_RECORDS)
            {
                payouts.prefetch_texts(payouts.record(index));
            }
        }
    };
    let outputs: Vec<PersonOutput> = per_person(people, |person, output| {
        prefetch(person.index());
        let bundle = Bundle {
            person,
            enrolments: enrolments.of(person),
            exclusions: exclusions.of(person),
            relatives: relatives.of(person),
            records: [
                stage_groupings[0].of(person),
                stage_groupings[1].of(person),
                stage_groupings[2].of(person),
            ],
        };
        reconcile_person(&context, &bundle, output);
    });

    let mut lines = Ledger {
        parts: Vec::with_capacity(outputs.len()),
    };
    let mut findings = Vec::new();
    let mut shared_account_payouts = Vec::new();
    let mut account_representatives = Vec::new();
    let mut money_in = [0i128; 3];
    for output in outputs {
        lines.parts.push(output.lines);
        findings.extend(output.findings);
        shared_account_payouts.extend(output.shared_account_payouts);
        account_representatives.extend(output.account_representatives);
        for stage in Stage::ALL {
            money_in[stage.index()] += output.money_in[stage.index()];
        }
    }

    // Count and sum every stage record read, independently of the persons.
    let mut outside_window = [0u64; 3];
    let mut inside_window = [0u64; 3];
    let mut money_read = [0i128; 3];
    for stage in Stage::ALL {
        let Some(file) = case.stage(stage) else {
            continue;
        };
        let (inside, outside, money) = file
            .chunks()
            .par_iter()
            .flat_map_iter(|chunk| chunk.records.iter())
            .fold(
                || (0u64, 0u64, 0i128),
                |(inside, outside, money), record| {
                    if !window.contains_range(record.periods) {
                        (inside, outside + 1, money)
                    } else if stage != Stage::Payout || record.is_paid() {
                        (inside + 1, outside, money + i128::from(record.amount.fen()))
                    } else {
                        (inside + 1, outside, money)
                    }
                },
            )
            .reduce(|| (0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
        inside_window[stage.index()] = inside;
        outside_window[stage.index()] = outside;
        money_read[stage.index()] = money;
    }
    // Nothing is lost: the ledger holds every in-window (paid) amount read.
    let in_ledger = |pick: fn(&LineFigures) -> Money| -> i128 {
        lines
            .par_iter()
            .map(|line| i128::from(pick(&line.figures()).fen()))
            .sum()
    };
    let ledger_money = [
        in_ledger(|figures| figures.allocated.unwrap_or_default()),
        in_ledger(|figures| figures.transferred.unwrap_or_default()),
        in_ledger(|figures| figures.paid),
    ];
    assert_eq!(
        ledger_money, money_read,
        "ledger money (A, T, P) must equal the in-window money read"
    );
    assert_eq!(
        money_in, money_read,
        "per-person money must add up to the file totals"
    );

    let mut account_uses = Vec::new();
    match shared_accounts {
        SharedAccounts::Decide => findings.extend(shared_account_findings(
            &context,
            &enrolments,
            account_representatives,
            shared_account_payouts,
        )),
        SharedAccounts::Collect(candidates) => {
            shared_account_payouts.retain(|&index| {
                let account = case.payouts.account(case.payouts.record(index));
                candidates.contains(&account_hash(account))
            });
            account_uses = collect_account_uses(&context, &enrolments, &shared_account_payouts)
        }
    }
    findings.extend(record_findings(case));
    findings.par_sort_by(Finding::output_order);

    Reconciliation {
        window,
        lines,
        findings,
        outside_window,
        inside_window,
        given: context.given,
        account_uses,
    }
}

/// SHARED_ACCOUNT (SPEC §5): one account, paid to two or more people who
/// do not all share one household. The rule itself is in
/// [`shared_account_findings_from_uses`], which partitioned runs use too;
/// this finds the accounts worth handing it.
fn shared_account_findings(
    context: &Context<'_>,
    enrolments: &Grouping,
    mut representatives: Vec<person::AccountKey>,
    candidates: Vec<u32>,
) -> Vec<Finding> {
    let case = context.case;
    let payouts = &case.payouts;
    let account_of = |index: u32| payouts.account(payouts.record(index));
    // Most accounts are paid to one person only. The persons' accounts
    // (each where it changes), sorted by hash, show the few hashes that several
    // persons share; only those accounts' texts are read and compared
    // (two accounts may share a hash), and only their payouts gathered.
    let (shared, involved) =
        accounts_paid_to_several(&mut representatives, case.people.len(), account_of);
    if shared.is_empty() {
        return Vec::new();
    }
    // Every person paid into a shared account has a representative payout
    // into it: only their payouts need their account looked up.
    let (shared, involved) = (&shared, &involved);
    let candidates: Vec<u32> = candidates
        .par_chunks(1 << 16)
        .flat_map_iter(|piece| {
            piece.iter().copied().filter(move |&index| {
                involved[payouts.record(index).person.index()] && shared.contains(account_of(index))
            })
        })
        .collect();
    shared_account_findings_from_uses(group_account_uses(collect_account_uses(
        context,
        enrolments,
        &candidates,
    )))
}

/// The accounts paid to two or more persons, and who those persons are
/// (by `PersonId`, of `people`), from the persons' accounts (`keys`, a
/// person's account once or more; sorted here by hash and person). `account_of` gives a payout's
/// account: it is asked only for hashes that several persons share.
fn accounts_paid_to_several<'t>(
    keys: &mut [person::AccountKey],
    people: usize,
    account_of: impl Fn(u32) -> &'t str,
) -> (rustc_hash::FxHashSet<&'t str>, Vec<bool>) {
    keys.par_sort_unstable_by_key(|key| (key.hash, key.person));
    let mut shared: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    let mut involved = vec![false; people];
    for run in keys.chunk_by(|a, b| a.hash == b.hash) {
        // Sorted by person within the run: one person only, or several.
        if run[0].person == run[run.len() - 1].person {
            continue;
        }
        // Two accounts may share a hash: compare their texts.
        let mut uses: Vec<(&str, PersonId)> = run
            .iter()
            .map(|key| (account_of(key.payout), key.person))
            .collect();
        uses.sort_unstable();
        uses.dedup();
        for account in uses.chunk_by(|a, b| a.0 == b.0) {
            if account.len() >= 2 {
                shared.insert(account[0].0);
                for &(_, person) in account {
                    involved[person.index()] = true;
                }
            }
        }
    }
    (shared, involved)
}

/// Gathers account uses (of one run, or of every partition) by account.
pub fn group_account_uses(
    uses: impl IntoIterator<Item = (Box<str>, AccountUse)>,
) -> std::collections::BTreeMap<Box<str>, Vec<AccountUse>> {
    let mut grouped: std::collections::BTreeMap<Box<str>, Vec<AccountUse>> =
        std::collections::BTreeMap::new();
    for (account, account_use) in uses {
        grouped.entry(account).or_default().push(account_use);
    }
    grouped
}

/// The SHARED_ACCOUNT finding: `ids` are the distinct persons paid into
/// `account`, sorted; `sources` the payouts.
fn shared_account_finding(
    account: &str,
    ids: &[&str],
    amount: Money,
    sources: &mut Vec<Source>,
) -> Finding {
    let mut finding = Finding::new(Code::SharedAccount, "");
    finding.account = account.into();
    finding.amount = Some(amount);
    finding.detail = format!(
        "{} people paid into {}: {}",
        ids.len(),
        excerpt(account),
        listed(ids.iter().copied())
    );
    finding.sources = sources_text(sources);
    finding
}

fn households_of<'c>(case: &'c Case, enrolments: &Grouping, person: PersonId) -> Vec<&'c str> {
    let mut households: Vec<&str> = enrolments
        .of(person)
        .iter()
        .map(|&index| case.enrolments[index as usize].household_id.as_ref())
        .filter(|household| !household.is_empty())
        .collect();
    households.sort_unstable();
    households.dedup();
    households
}

/// One [`AccountUse`] per (account, person) of the SHARED_ACCOUNT candidates.
fn collect_account_uses(
    context: &Context<'_>,
    enrolments: &Grouping,
    candidates: &[u32],
) -> Vec<(Box<str>, AccountUse)> {
    let case = context.case;
    let payouts = &case.payouts;
    let mut position: rustc_hash::FxHashMap<(&str, PersonId), usize> =
        rustc_hash::FxHashMap::default();
    let mut uses: Vec<(Box<str>, AccountUse)> = Vec::new();
    for &index in candidates {
        let record = payouts.record(index);
        let account = payouts.account(record);
        let slot = *position.entry((account, record.person)).or_insert_with(|| {
            uses.push((
                account.into(),
                AccountUse {
                    id_number: case.people.id_number(record.person).into(),
                    households: households_of(case, enrolments, record.person)
                        .into_iter()
                        .map(Box::from)
                        .collect(),
                    amount_fen: 0,
                    lines: Vec::new(),
                },
            ));
            uses.len() - 1
        });
        uses[slot].1.amount_fen += i128::from(record.amount.fen());
        uses[slot]
            .1
            .lines
            .push(case.formats.source(FileKind::Payouts, record.line));
    }
    uses
}

/// SHARED_ACCOUNT from the uses of every partition, keyed by account.
pub fn shared_account_findings_from_uses(
    uses: std::collections::BTreeMap<Box<str>, Vec<AccountUse>>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (account, mut uses) in uses {
        uses.sort_by(|a, b| a.id_number.cmp(&b.id_number));
        uses.dedup_by(|later, earlier| {
            if later.id_number == earlier.id_number {
                earlier.amount_fen += later.amount_fen;
                earlier.lines.append(&mut later.lines);
                true
            } else {
                false
            }
        });
        if uses.len() < 2 {
            continue;
        }
        let mut shared: Vec<&Box<str>> = uses[0].households.iter().collect();
        for other in &uses[1..] {
            shared.retain(|household| other.households.contains(household));
        }
        if !shared.is_empty() {
            continue;
        }
        let total: i128 = uses.iter().map(|account_use| account_use.amount_fen).sum();
        let amount = Money::from_fen(
            i64::try_from(total).expect("an account's total fits 92 trillion yuan"),
        );
        let ids: Vec<&str> = uses
            .iter()
            .map(|account_use| account_use.id_number.as_ref())
            .collect();
        let mut sources: Vec<Source> = uses
            .iter()
            .flat_map(|account_use| account_use.lines.iter().copied())
            .collect();
        let finding = shared_account_finding(&account, &ids, amount, &mut sources);
        findings.push(finding);
    }
    findings
}

/// BAD_RECORD, DUPLICATE_RECORD and INVALID_ID_NUMBER, found while reading.
fn record_findings(case: &Case) -> Vec<Finding> {
    let mut findings = Vec::new();
    for bad in &case.bad_records {
        let mut finding = Finding::new(Code::BadRecord, &bad.id_number);
        finding.detail = bad.detail.clone();
        finding.sources = bad.source.to_string();
        findings.push(finding);
    }
    for duplicate in &case.duplicate_records {
        let mut finding = Finding::new(
            Code::DuplicateRecord,
            case.people.id_number(duplicate.person),
        );
        finding.program = Some(duplicate.program);
        finding.period = duplicate.periods;
        finding.detail = format!(
            "record id {} repeats {}; the first occurrence counts",
            excerpt(&duplicate.record_id),
            case.formats.source(duplicate.file, duplicate.first_line),
        );
        finding.sources = sources_text(&mut vec![
            case.formats.source(duplicate.file, duplicate.first_line),
            case.formats.source(duplicate.file, duplicate.repeat_line),
        ]);
        findings.push(finding);
    }
    let mut evidence = case.invalid_id_evidence.clone();
    evidence.sort_unstable();
    for group in evidence.chunk_by(|a, b| a.0 == b.0) {
        let id_number = case.people.id_number(group[0].0);
        let mut finding = Finding::new(Code::InvalidIdNumber, id_number);
        finding.detail = format!(
            "{:?} is not 17 digits and a correct check character (GB 11643)",
            excerpt(id_number)
        );
        let mut sources: Vec<Source> = group.iter().map(|(_, source)| *source).collect();
        finding.sources = sources_text(&mut sources);
        findings.push(finding);
    }
    findings
}

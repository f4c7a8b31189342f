//! The pure core: a [`Case`] and a window in, ledger lines and findings
//! out. No I/O, no clock. This module is the order of the steps; each
//! step lives in the module named for what it holds. Work is partitioned
//! by person and run in parallel; the outputs come back in person order,
//! so thread count cannot change them.

pub mod conservation;
pub mod context;
pub mod corrections;
pub mod coverage;
pub mod entitlement;
pub mod exclusion;
pub mod ledger;
pub mod person;
pub mod persons;
pub mod reconciliation;
pub mod register;
pub mod rules;
pub mod settle;
pub mod standards;
#[cfg(test)]
mod testing;
pub mod whatif;
pub mod window;

use rayon::prelude::*;

use crate::case::Case;
use crate::domain::{Code, Finding, Money, Period, PeriodRange, Program, Stage};
use person::Person;
use persons::{per_person, roster_groupings, Bundle, Groupings};
use rules::shared_account::{self, Candidates};

pub use crate::domain::account::account_hash;
pub use crate::domain::window::{Bounds, WindowError, MAX_DEFAULT_WINDOW_MONTHS};
pub use conservation::WindowCount;
pub use context::Context;
pub use ledger::{Label, Ledger, LedgerLine, LineStatus};
pub use reconciliation::Reconciliation;
pub use rules::shared_account::{
    group_account_uses, shared_account_findings_from_uses, AccountUse, SharedAccounts,
};
pub use window::{window, window_from_bounds};

/// Reconciles the whole case inside `window`.
pub fn reconcile(case: &Case, window: PeriodRange) -> Reconciliation {
    reconcile_with(case, window, SharedAccounts::Decide)
}

/// Reconciles `case` inside `window`, judging SHARED_ACCOUNT or collecting
/// its account uses as `shared_accounts` says.
pub fn reconcile_with(
    case: &Case,
    window: PeriodRange,
    shared_accounts: SharedAccounts<'_>,
) -> Reconciliation {
    // Side by side: the groupings are a few counting sorts, fewer than
    // the threads can share alone.
    let (context, groupings) = rayon::join(|| Context::new(case, window), || Groupings::new(case));

    // 1. Every person, in parallel runs of persons.
    let outputs: Vec<PersonOutput> = per_person(case.people.len(), |person, output| {
        groupings.prefetch(case, person);
        reconcile_person(&context, &groupings.bundle(person), output);
    });
    let mut parts = Vec::with_capacity(outputs.len());
    let mut findings = Vec::new();
    let mut candidates = Candidates::default();
    let mut money_in = [0i128; 3];
    for mut output in outputs {
        parts.push(output.lines);
        findings.extend(output.findings);
        candidates.append(&mut output.candidates);
        for stage in Stage::ALL {
            money_in[stage.index()] += output.money_in[stage.index()];
        }
    }
    let lines = Ledger::from_parts(parts);

    // 2. Nothing is lost: the ledger holds every in-window (paid) amount
    // read, counted from the files independently of the persons.
    let counts = conservation::count_records(case, window);
    conservation::assert_ledger_holds_the_money_read(&lines, money_in, &counts);

    // 3. Across persons: SHARED_ACCOUNT; and over households and leads
    // (SPEC v3) when this is the whole case — a part of a run leaves them
    // to one pass over the whole roster (`household_findings`).
    let whole_case = matches!(shared_accounts, SharedAccounts::Decide);
    let (shared, account_uses) = shared_account::judge_or_collect(
        &context,
        &groupings.enrolments,
        shared_accounts,
        candidates,
    );
    findings.extend(shared);
    if whole_case {
        findings.extend(household_findings(case, window));
    }

    // 4. What reading found.
    findings.extend(record_findings(case, |_| true));
    findings.par_sort_by(Finding::output_order);

    Reconciliation {
        window,
        lines,
        findings,
        window_counts: counts.window_counts,
        given: context.given,
        account_uses,
    }
}

/// The kinds a run in parts reads whole for [`household_findings`]; none
/// when the case has neither members.csv nor watchlist.csv (then no
/// household rule can find anything).
pub const HOUSEHOLD_KINDS: [crate::domain::FileKind; 5] = [
    crate::domain::FileKind::Roster,
    crate::domain::FileKind::Policy,
    crate::domain::FileKind::Members,
    crate::domain::FileKind::Exclusions,
    crate::domain::FileKind::Watchlist,
];

/// MEMBER_EXCLUDED, HOUSEHOLD_SIZE_MISMATCH and POSSIBLY_MISSED of a case
/// holding the whole roster, members.csv, exclusions.csv and
/// watchlist.csv (a run in parts reads those whole for this).
pub fn household_findings(case: &Case, window: PeriodRange) -> Vec<Finding> {
    // Every finding of these rules names a members.csv or a watchlist.csv
    // row: without both files there is nothing to look up.
    if case.members.is_empty() && case.leads.is_empty() {
        return Vec::new();
    }
    let households = rules::households::Households::of(case);
    rules::HOUSEHOLD_RULES
        .iter()
        .flat_map(|rule| rule(&households, window))
        .collect()
}

/// What one task of persons contributes to the run.
#[derive(Default)]
struct PersonOutput {
    lines: Vec<LedgerLine>,
    findings: Vec<Finding>,
    /// What SHARED_ACCOUNT compares across persons.
    candidates: Candidates,
    /// Per stage, the in-window amounts read (payouts: `paid` only) in fen,
    /// to check that the ledger holds exactly this money.
    money_in: [i128; 3],
}

/// One person, in the order of the steps: their lines, then each line's
/// outcome and money trail, the person rules, the payout rules and the
/// SHARED_ACCOUNT notes, each rule called through the table
/// ([`rules::RULES`]). Appends to `output` (one serves a run of persons).
fn reconcile_person(context: &Context<'_>, bundle: &Bundle<'_>, output: &mut PersonOutput) {
    let mut person = Person::new(context, bundle);
    let money_in = person.add_lines(bundle.records);
    let first_line = output.lines.len();
    let tolerance = context.case.policy.tolerance;

    // Every line with E, A, T or P not zero (or E unknown) goes to the
    // ledger with its outcome; outcome and money-trail findings follow.
    for &(key, ref state) in person.lines() {
        if Person::is_empty(state) {
            continue;
        }
        let figures = person.figures(state);
        let status = rules::line::judge_outcome(&person, key, state, figures, &mut output.findings);
        for (code, rule) in rules::MONEY_TRAIL_RULES {
            if let Some(difference) = rule(figures, tolerance) {
                let finding =
                    rules::line::money_trail_finding(&person, code, key, state, difference);
                output.findings.push(finding);
            }
        }
        output
            .lines
            .push(person.ledger_line(key, state, figures, status));
    }
    for rule in rules::PERSON_RULES {
        rule(&person, &mut output.findings);
    }
    let mut previous_account = None;
    for payout in person.paid_payouts() {
        for rule in rules::PAYOUT_RULES {
            rule(&person, &payout, &mut output.findings);
        }
        shared_account::note_payout(
            &person,
            &payout,
            &mut previous_account,
            &mut output.candidates,
        );
    }

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
            person.id_number,
            stage.name()
        );
        output.money_in[stage.index()] += i128::from(money_in[stage.index()].fen());
    }
}

/// The findings of reading (BAD_RECORD, DUPLICATE_RECORD,
/// INVALID_ID_NUMBER, [`rules::READING_RULES`]) whose code `wanted`
/// takes, in no particular order: they need no other record, so a file
/// read alone gives its own.
pub fn record_findings(case: &Case, wanted: impl Fn(Code) -> bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (code, rule) in rules::READING_RULES {
        if wanted(code) {
            findings.extend(rule(case));
        }
    }
    findings
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
        let bundle = Bundle::roster_only(person, &enrolments, &exclusions);
        let person = Person::new(&context, &bundle);
        for program in [Program::Dibao, Program::Tekun] {
            let basis = person.basis(program, period);
            // An excluded line is returned marked (it is not shown, and its
            // E is not computed): the notice lists who it leaves out.
            if let Some(enrolment) = basis.primary[0] {
                lines.push(NoticeLine {
                    enrolment,
                    expected: if basis.excluded { None } else { basis.expected },
                    excluded: basis.excluded,
                });
            }
        }
    });
    parts.into_iter().flatten().collect()
}

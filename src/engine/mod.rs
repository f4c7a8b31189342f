//! The pure core: a [`Case`] and a window in, ledger lines and findings
//! out. No I/O, no clock. This module is the order of the steps; each
//! step lives in the module named for what it holds. Work is partitioned
//! by person and run in parallel; the outputs come back in person order,
//! so thread count cannot change them.

pub mod conservation;
pub mod context;
pub mod coverage;
pub mod entitlement;
pub mod ledger;
pub mod outcome;
pub mod person;
pub mod persons;
pub mod reading;
pub mod reconciliation;
pub mod rules;
pub mod settle;
pub mod shared_account;
pub mod standards;
pub mod window;

use rayon::prelude::*;

use crate::case::Case;
use crate::domain::{Finding, Money, Period, PeriodRange, Stage};
use person::{reconcile_person, Bundle, PersonOutput};
use persons::{per_person, roster_groupings, Groupings};

pub use crate::domain::account::account_hash;
pub use crate::domain::window::{Bounds, WindowError, MAX_DEFAULT_WINDOW_MONTHS};
pub use context::Context;
pub use ledger::{Label, Ledger, LedgerLine, LineStatus};
pub use reconciliation::Reconciliation;
pub use shared_account::{
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
    let context = Context::new(case, window);
    let groupings = Groupings::new(case);

    // 1. Every person, in parallel runs of persons.
    let outputs: Vec<PersonOutput> = per_person(case.people.len(), |person, output| {
        groupings.prefetch(case, person);
        let bundle = Bundle {
            person,
            enrolments: groupings.enrolments.of(person),
            exclusions: groupings.exclusions.of(person),
            relatives: groupings.relatives.of(person),
            records: [
                groupings.stages[0].of(person),
                groupings.stages[1].of(person),
                groupings.stages[2].of(person),
            ],
        };
        reconcile_person(&context, &bundle, output);
    });
    let mut parts = Vec::with_capacity(outputs.len());
    let mut findings = Vec::new();
    let mut candidates = shared_account::Candidates::default();
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

    // 3. Across persons: SHARED_ACCOUNT.
    let (shared, account_uses) = shared_account::judge_or_collect(
        &context,
        &groupings.enrolments,
        shared_accounts,
        candidates,
    );
    findings.extend(shared);

    // 4. What reading found.
    findings.extend(record_findings(case, |_| true));
    findings.par_sort_by(Finding::output_order);

    Reconciliation {
        window,
        lines,
        findings,
        outside_window: counts.outside_window,
        inside_window: counts.inside_window,
        given: context.given,
        account_uses,
    }
}

/// The findings of reading (BAD_RECORD, DUPLICATE_RECORD,
/// INVALID_ID_NUMBER) whose code `wanted` takes, in no particular order:
/// they need no other record, so a file read alone gives its own.
pub fn record_findings(case: &Case, wanted: impl Fn(crate::domain::Code) -> bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (code, rule) in [
        (
            crate::domain::Code::BadRecord,
            reading::bad_record_findings as fn(&Case) -> Vec<Finding>,
        ),
        (
            crate::domain::Code::DuplicateRecord,
            reading::duplicate_record_findings,
        ),
        (
            crate::domain::Code::InvalidIdNumber,
            reading::invalid_id_number_findings,
        ),
    ] {
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
    /// `None` when a required standard is missing (NO_STANDARD).
    pub expected: Option<Money>,
}

/// The lines a public notice (公示, 2021 低保审核确认办法 art. 24) lists for
/// `period`: per person, the primary dibao and the primary tekun enrolment
/// covering the month whose line is not excluded (SPEC §4, the death grace
/// included), with E computed by the same function the reconciliation uses.
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
                .map(|(enrolment, expected)| NoticeLine {
                    enrolment,
                    expected,
                }),
        );
    });
    parts.into_iter().flatten().collect()
}

//! The finding rules of SPEC §5 and their table.
//!
//! [`RULES`] names, for every finding code, its severity, its key, the
//! step of a run that makes it and the function that decides it; the
//! engine calls the rules through it (the slices below are taken from it
//! when the crate is compiled), docs/formats.md's list of codes and
//! ARCHITECTURE.md's table are checked against it, and a test checks that
//! it holds every [`Code`] exactly once. A new rule is a row here and a
//! function in the module of what it looks at:
//!
//! - `line` — a line's outcome (one of seven codes, in SPEC order) and
//!   the money trail;
//! - `payouts` — each in-window `paid` payout, and duplicate payments;
//! - `roster` — the person's enrolments, exclusions and relatives;
//! - `shared_account` — across persons;
//! - `households` — across a household's persons, and other departments'
//!   leads (SPEC v3), over the whole case;
//! - `reading` — the rows the reader set aside.
//!
//! A rule's verdict is a small pure function with its unit tests; its
//! `check_` function words the verdict as findings with the name, region
//! and sources [`Person`] gives.

pub mod households;
pub mod line;
pub mod payouts;
pub mod reading;
pub mod roster;
pub mod shared_account;

use crate::case::Case;
use crate::domain::{Code, Finding, LineFigures, Money, Severity};
use crate::engine::person::{Payout, Person};

/// A rule over one person: pushes its findings about them.
pub type PersonRule = for<'a> fn(&Person<'a>, &mut Vec<Finding>);

/// A rule over one in-window `paid` payout of a person.
pub type PayoutRule = for<'a> fn(&Person<'a>, &Payout<'a>, &mut Vec<Finding>);

/// A money-trail rule: the difference at stake in a line's figures, when
/// beyond the tolerance.
pub type MoneyTrailRule = fn(LineFigures, Money) -> Option<Money>;

/// The findings of one kind the reader's records make.
pub type ReadingRule = fn(&Case) -> Vec<Finding>;

/// A rule over the whole case's households and leads, in a window.
pub type HouseholdRule =
    fn(&households::Households<'_>, crate::domain::PeriodRange) -> Vec<Finding>;

/// The step of a run that makes a code's findings.
#[derive(Clone, Copy)]
pub enum Producer {
    /// The reader set the rows aside; the engine words them
    /// (`engine::record_findings`).
    Reading(ReadingRule),
    /// A line's outcome: at most one per line, chosen in SPEC §5's order
    /// by [`line::line_outcome`] and worded by [`line::judge_outcome`].
    LineOutcome,
    /// Per line with anything due or moved.
    MoneyTrail(MoneyTrailRule),
    /// Per person.
    Person(PersonRule),
    /// Per in-window `paid` payout of a person.
    Payout(PayoutRule),
    /// Across persons, once every person (in every part of a run) is done.
    AcrossPersons,
    /// Over the whole case's roster, members, exclusions and leads, once
    /// (a run in parts reads those files whole for them).
    Households(HouseholdRule),
}

impl Producer {
    /// The step's name, as ARCHITECTURE.md's table gives it.
    pub fn name(self) -> &'static str {
        match self {
            Producer::Reading(_) => "reading",
            Producer::LineOutcome => "line outcome",
            Producer::MoneyTrail(_) => "money trail",
            Producer::Person(_) => "person",
            Producer::Payout(_) => "payout",
            Producer::AcrossPersons => "across persons",
            Producer::Households(_) => "households",
        }
    }
}

/// What identifies a finding (SPEC §5, "key").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// (id_number, program, period): a line; the finding carries the
    /// line's E, A, T and P.
    Line,
    /// The person's id_number.
    IdNumber,
    /// One payout record.
    Payout,
    /// The account.
    Account,
    /// One repeated record.
    Record,
    /// The row's file:line.
    FileLine,
    /// A watchlist row: (id_number, source, period).
    Lead,
    /// (enrolment, member, exclusion row).
    MemberExclusion,
    /// One enrolment.
    Enrolment,
}

impl Key {
    pub fn name(self) -> &'static str {
        match self {
            Key::Line => "line",
            Key::IdNumber => "id_number",
            Key::Payout => "payout",
            Key::Account => "account",
            Key::Record => "record",
            Key::FileLine => "file:line",
            Key::Lead => "watchlist row",
            Key::MemberExclusion => "(enrolment, member, exclusion row)",
            Key::Enrolment => "enrolment",
        }
    }
}

/// One row of the table.
#[derive(Clone, Copy)]
pub struct Rule {
    pub code: Code,
    pub severity: Severity,
    pub key: Key,
    pub producer: Producer,
    /// The function that decides it (checked by the compiler), as the
    /// docs name it.
    pub function: &'static str,
    /// What a finding means, in docs/formats.md's words.
    pub means: &'static str,
}

/// A row: the function is named once, used and quoted.
macro_rules! rule {
    ($code:ident, $severity:ident, $key:ident, $producer:ident($function:path), $means:literal) => {
        Rule {
            code: Code::$code,
            severity: Severity::$severity,
            key: Key::$key,
            producer: Producer::$producer($function),
            function: stringify!($function),
            means: $means,
        }
    };
    ($code:ident, $severity:ident, $key:ident, $producer:ident => $function:path, $means:literal) => {
        Rule {
            code: Code::$code,
            severity: Severity::$severity,
            key: Key::$key,
            producer: Producer::$producer,
            function: {
                let _decided_by = $function;
                stringify!($function)
            },
            means: $means,
        }
    };
}

/// Every finding code, in SPEC §5's order.
pub const RULES: [Rule; 25] = [
    rule!(PaidToExcluded, High, Line, LineOutcome => line::line_outcome,
        "paid in a month the person was excluded"),
    rule!(PaidAfterExit, High, Line, LineOutcome => line::line_outcome,
        "paid after the enrolment (or its phase-out) ended"),
    rule!(PaidNotEnrolled, High, Line, LineOutcome => line::line_outcome,
        "paid without any enrolment in the program"),
    rule!(NoStandard, Medium, Line, LineOutcome => line::line_outcome,
        "a standard the entitlement needs is not in force"),
    rule!(MissingPayment, High, Line, LineOutcome => line::line_outcome,
        "something was due and nothing was paid"),
    rule!(Shortfall, High, Line, LineOutcome => line::line_outcome,
        "paid less than due (beyond the tolerance)"),
    rule!(Overpayment, High, Line, LineOutcome => line::line_outcome,
        "paid more than due (beyond the tolerance)"),
    rule!(
        AllocationMismatch,
        Medium,
        Line,
        MoneyTrail(line::allocation_mismatch),
        "allocated ≠ due"
    ),
    rule!(
        TransferMismatch,
        Medium,
        Line,
        MoneyTrail(line::transfer_mismatch),
        "transferred ≠ allocated"
    ),
    rule!(
        PayoutMismatch,
        Medium,
        Line,
        MoneyTrail(line::payout_mismatch),
        "paid ≠ transferred"
    ),
    rule!(
        DuplicatePayment,
        High,
        Line,
        Person(payouts::check_duplicate_payments),
        "the same month paid twice with the same amount"
    ),
    rule!(
        DuplicateEnrolment,
        Medium,
        IdNumber,
        Person(roster::check_duplicate_enrolments),
        "two enrolments overlap (same program, or exclusive programs)"
    ),
    rule!(
        EnrolledWhileExcluded,
        Medium,
        IdNumber,
        Person(roster::check_enrolled_while_excluded),
        "an enrolment runs into an excluded month"
    ),
    rule!(
        IncomeAboveStandard,
        Medium,
        IdNumber,
        Person(roster::check_income_above_standard),
        "a dibao household's assessment puts it above the line"
    ),
    rule!(
        UnfiledStaffRelative,
        Medium,
        IdNumber,
        Person(roster::check_unfiled_staff_relative),
        "a relative of staff is enrolled and the case was not filed"
    ),
    rule!(SharedAccount, High, Account,
        AcrossPersons => shared_account::shared_account_findings_from_uses,
        "one account paid for people of different households"),
    rule!(
        AccountMismatch,
        Medium,
        Payout,
        Payout(payouts::check_account_mismatch),
        "paid into an account other than the registered one"
    ),
    rule!(
        NameMismatch,
        Low,
        Payout,
        Payout(payouts::check_name_mismatch),
        "the bank's name differs from the roster's"
    ),
    rule!(
        LatePayment,
        Low,
        Payout,
        Payout(payouts::check_late_payment),
        "paid after the deadline day"
    ),
    rule!(
        InvalidIdNumber,
        Low,
        IdNumber,
        Reading(reading::invalid_id_number_findings),
        "an id number fails its check character"
    ),
    rule!(
        DuplicateRecord,
        Medium,
        Record,
        Reading(reading::duplicate_record_findings),
        "a record id repeats in its file"
    ),
    rule!(
        PossiblyMissed,
        Medium,
        Lead,
        Households(households::possibly_missed),
        "another department lists a person who is not enrolled (漏保 lead)"
    ),
    rule!(
        MemberExcluded,
        Medium,
        MemberExclusion,
        Households(households::member_excluded),
        "a household is paid for a member who is excluded"
    ),
    rule!(
        HouseholdSizeMismatch,
        Medium,
        Enrolment,
        Households(households::household_size_mismatch),
        "household_size differs from the members listed"
    ),
    rule!(
        BadRecord,
        High,
        FileLine,
        Reading(reading::bad_record_findings),
        "a row that cannot be read"
    ),
];

/// The kinds of producer that have a slice of their rules, as numbers a
/// `const fn` can compare.
const READING: u8 = 0;
const MONEY_TRAIL: u8 = 1;
const PERSON: u8 = 2;
const PAYOUT: u8 = 3;
const HOUSEHOLDS: u8 = 4;
const NO_SLICE: u8 = 5;

const fn kind(producer: &Producer) -> u8 {
    match producer {
        Producer::Reading(_) => READING,
        Producer::MoneyTrail(_) => MONEY_TRAIL,
        Producer::Person(_) => PERSON,
        Producer::Payout(_) => PAYOUT,
        Producer::Households(_) => HOUSEHOLDS,
        Producer::LineOutcome | Producer::AcrossPersons => NO_SLICE,
    }
}

/// How many rows of [`RULES`] are of `wanted` kind.
const fn count(wanted: u8) -> usize {
    let mut count = 0;
    let mut row = 0;
    while row < RULES.len() {
        if kind(&RULES[row].producer) == wanted {
            count += 1;
        }
        row += 1;
    }
    count
}

/// A placeholder the slices below start from; every entry is replaced.
fn no_person_rule(_: &Person<'_>, _: &mut Vec<Finding>) {}

fn no_payout_rule(_: &Person<'_>, _: &Payout<'_>, _: &mut Vec<Finding>) {}

fn no_money_trail_rule(_: LineFigures, _: Money) -> Option<Money> {
    None
}

fn no_reading_rule(_: &Case) -> Vec<Finding> {
    Vec::new()
}

fn no_household_rule(
    _: &households::Households<'_>,
    _: crate::domain::PeriodRange,
) -> Vec<Finding> {
    Vec::new()
}

/// The household rules of [`RULES`], in its order.
pub const HOUSEHOLD_RULES: [HouseholdRule; count(HOUSEHOLDS)] = {
    let mut rules = [no_household_rule as HouseholdRule; count(HOUSEHOLDS)];
    let (mut row, mut next) = (0, 0);
    while row < RULES.len() {
        if let Producer::Households(rule) = RULES[row].producer {
            rules[next] = rule;
            next += 1;
        }
        row += 1;
    }
    rules
};

/// The person rules of [`RULES`], in its order.
pub const PERSON_RULES: [PersonRule; count(PERSON)] = {
    let mut rules = [no_person_rule as PersonRule; count(PERSON)];
    let (mut row, mut next) = (0, 0);
    while row < RULES.len() {
        if let Producer::Person(rule) = RULES[row].producer {
            rules[next] = rule;
            next += 1;
        }
        row += 1;
    }
    rules
};

/// The payout rules of [`RULES`], in its order.
pub const PAYOUT_RULES: [PayoutRule; count(PAYOUT)] = {
    let mut rules = [no_payout_rule as PayoutRule; count(PAYOUT)];
    let (mut row, mut next) = (0, 0);
    while row < RULES.len() {
        if let Producer::Payout(rule) = RULES[row].producer {
            rules[next] = rule;
            next += 1;
        }
        row += 1;
    }
    rules
};

/// The money-trail rules of [`RULES`] with their codes, in its order.
pub const MONEY_TRAIL_RULES: [(Code, MoneyTrailRule); count(MONEY_TRAIL)] = {
    let mut rules = [(
        Code::AllocationMismatch,
        no_money_trail_rule as MoneyTrailRule,
    ); count(MONEY_TRAIL)];
    let (mut row, mut next) = (0, 0);
    while row < RULES.len() {
        if let Producer::MoneyTrail(rule) = RULES[row].producer {
            rules[next] = (RULES[row].code, rule);
            next += 1;
        }
        row += 1;
    }
    rules
};

/// The reading rules of [`RULES`] with their codes, in its order.
pub const READING_RULES: [(Code, ReadingRule); count(READING)] = {
    let mut rules = [(Code::BadRecord, no_reading_rule as ReadingRule); count(READING)];
    let (mut row, mut next) = (0, 0);
    while row < RULES.len() {
        if let Producer::Reading(rule) = RULES[row].producer {
            rules[next] = (RULES[row].code, rule);
            next += 1;
        }
        row += 1;
    }
    rules
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_exactly_one_row() {
        for code in Code::ALL {
            let rows = RULES.iter().filter(|rule| rule.code == code).count();
            assert_eq!(rows, 1, "{} has {rows} rows", code.name());
        }
        assert_eq!(RULES.len(), Code::ALL.len());
        assert_eq!(
            PERSON_RULES.len()
                + PAYOUT_RULES.len()
                + MONEY_TRAIL_RULES.len()
                + READING_RULES.len()
                + HOUSEHOLD_RULES.len(),
            RULES
                .iter()
                .filter(|rule| !matches!(
                    rule.producer,
                    Producer::LineOutcome | Producer::AcrossPersons
                ))
                .count(),
            "each rule function is called through one slice"
        );
    }

    /// The severity findings.csv writes (`Code::severity`) is the table's.
    #[test]
    fn the_table_s_severities_are_the_ones_written() {
        for rule in &RULES {
            assert_eq!(rule.severity, rule.code.severity(), "{}", rule.code.name());
        }
    }

    /// The seven outcome rows are exactly the codes `line_outcome` chooses
    /// among.
    #[test]
    fn the_line_outcome_rows_are_the_codes_line_outcome_chooses() {
        use crate::domain::Money;
        let mut chosen = Vec::new();
        for covered in [false, true] {
            for excluded in [false, true] {
                for exited_before in [false, true] {
                    for expected in [None, Some(Money::ZERO), Some(Money::from_yuan(100))] {
                        for paid in [0, 50, 100, 150] {
                            let facts = line::LineFacts {
                                covered,
                                excluded,
                                expected,
                                paid: Money::from_yuan(paid),
                                exited_before,
                            };
                            chosen.extend(line::line_outcome(facts, Money::ZERO).1);
                        }
                    }
                }
            }
        }
        chosen.sort();
        chosen.dedup();
        let mut rows: Vec<Code> = RULES
            .iter()
            .filter(|rule| matches!(rule.producer, Producer::LineOutcome))
            .map(|rule| rule.code)
            .collect();
        rows.sort();
        assert_eq!(chosen, rows);
    }

    /// The rows of a markdown table whose header row is `header`: its
    /// cells, trimmed, without the leading and trailing `|`.
    fn table_rows(text: &str, header: &str) -> Vec<Vec<String>> {
        let mut lines = text.lines().skip_while(|line| line.trim() != header);
        assert!(lines.next().is_some(), "no table headed {header}");
        lines
            .skip(1)
            .take_while(|line| line.starts_with('|'))
            .map(|line| {
                line.trim()
                    .trim_matches('|')
                    .split('|')
                    .map(|cell| cell.trim().to_string())
                    .collect()
            })
            .collect()
    }

    fn document(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{name}: {error}"))
    }

    /// docs/formats.md lists every code with its severity and meaning, in
    /// the table's order.
    #[test]
    fn the_docs_list_of_codes_is_the_table() {
        // The fourth column, 处理建议, is the writers' (tests/docs.rs).
        let rows: Vec<Vec<String>> = table_rows(
            &document("docs/formats.md"),
            "| code | severity | means | 处理建议 (what to do, who) |",
        )
        .into_iter()
        .map(|row| row.into_iter().take(3).collect())
        .collect();
        let expected: Vec<Vec<String>> = RULES
            .iter()
            .map(|rule| {
                vec![
                    rule.code.name().to_string(),
                    rule.severity.name().to_string(),
                    rule.means.to_string(),
                ]
            })
            .collect();
        assert_eq!(rows, expected);
    }

    /// ARCHITECTURE.md shows the table as it is.
    #[test]
    fn the_architecture_shows_the_table() {
        let rows = table_rows(
            &document("ARCHITECTURE.md"),
            "| code | severity | key | made by | function |",
        );
        let expected: Vec<Vec<String>> = RULES
            .iter()
            .map(|rule| {
                vec![
                    rule.code.name().to_string(),
                    rule.severity.name().to_string(),
                    rule.key.name().to_string(),
                    rule.producer.name().to_string(),
                    format!("`{}`", rule.function),
                ]
            })
            .collect();
        assert_eq!(rows, expected);
    }

    /// Every code has its hand-checked case among the fixtures, which the
    /// binary is run on (tests/fixtures.rs).
    #[test]
    fn every_code_has_a_fixture() {
        for rule in &RULES {
            let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/codes")
                .join(rule.code.name());
            assert!(folder.is_dir(), "no fixture {}", folder.display());
        }
    }
}

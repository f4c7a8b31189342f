//! The payout rules (SPEC §5): per in-window `paid` payout LATE_PAYMENT,
//! ACCOUNT_MISMATCH and NAME_MISMATCH, and per person DUPLICATE_PAYMENT.
//! Each verdict is a small pure function of the record and what it is
//! compared with; the `check_` functions word it as a finding about the
//! person.

use crate::case::StageRecord;
use crate::domain::source::sources_text;
use crate::domain::{Code, Date, Detail, Finding, Period, Source};
use crate::engine::person::{Payout, Person};

/// LATE_PAYMENT: a single-period payout paid after its month's deadline
/// (`deadline_of`: day `payment_deadline_day` of the month, clamped to the
/// month's end, [`Date::deadline`]). Returns the deadline it missed. A
/// payout without `paid_on` is never late.
pub fn late_payment(record: &StageRecord, deadline_of: impl Fn(Period) -> Date) -> Option<Date> {
    if !record.periods.is_single() {
        return None;
    }
    let paid_on = record.date()?;
    let deadline = deadline_of(record.periods.first);
    (paid_on > deadline).then_some(deadline)
}

/// ACCOUNT_MISMATCH: the payout's account (white space removed) differs
/// from every non-empty registered account; no verdict when none is
/// registered or the payout names no account.
pub fn account_mismatch<'r>(account: &str, registered: impl Iterator<Item = &'r str>) -> bool {
    if account.is_empty() {
        return false;
    }
    let mut registered = registered.filter(|registered| !registered.is_empty());
    match registered.next() {
        None => false,
        Some(first) => first != account && registered.all(|registered| registered != account),
    }
}

/// NAME_MISMATCH: the bank's name differs from the roster name of every
/// covering enrolment, all white space removed on both sides; no verdict
/// when the payout has no name or no enrolment covers it.
pub fn name_mismatch<'r>(
    bank_name: &str,
    roster_names: impl Iterator<Item = &'r str> + Clone,
) -> bool {
    // Most bank names are the roster's as written: equal before white
    // space is removed, equal after — the answer without decoding either.
    if roster_names.clone().any(|roster| roster == bank_name) {
        return false;
    }
    let bank_name = without_whitespace(bank_name);
    if bank_name.is_empty() {
        return false;
    }
    let mut roster_names = roster_names.peekable();
    roster_names.peek().is_some()
        && roster_names.all(|roster| without_whitespace(roster) != bank_name)
}

pub fn without_whitespace(text: &str) -> std::borrow::Cow<'_, str> {
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

/// DUPLICATE_PAYMENT: groups of two or more in-window `paid` single-period
/// payouts of one line with the same amount. `singles` are such payouts of
/// one person; they are sorted here, and each group is returned in file
/// order (their ids differ: repeated ids were set aside while reading).
pub fn duplicate_payments<'s, 'r>(
    singles: &'s mut [&'r StageRecord],
) -> Vec<&'s [&'r StageRecord]> {
    singles.sort_by_key(|record| {
        (
            record.program,
            record.periods.first,
            record.amount,
            record.line,
        )
    });
    singles
        .chunk_by(|a, b| {
            (a.program, a.periods.first, a.amount) == (b.program, b.periods.first, b.amount)
        })
        .filter(|group| group.len() >= 2)
        .collect()
}

/// LATE_PAYMENT of one payout: its amount at stake, its row the evidence.
pub fn check_late_payment(person: &Person<'_>, payout: &Payout<'_>, findings: &mut Vec<Finding>) {
    let Some(deadline) = late_payment(payout.record, |period| person.context.deadline(period))
    else {
        return;
    };
    let mut finding = person.payout_finding(Code::LatePayment, payout.record);
    finding.amount = Some(payout.record.amount);
    finding.sources = person.context.case.inputs.cite(payout.source).to_string();
    let paid_on = payout.record.date().expect("a late payout has a date");
    finding.detail = Detail::LatePayment { paid_on, deadline };
    findings.push(finding);
}

/// ACCOUNT_MISMATCH of one payout (not institutional): the account paid
/// into and the accounts registered; evidence the covering roster rows
/// and the payout.
pub fn check_account_mismatch(
    person: &Person<'_>,
    payout: &Payout<'_>,
    findings: &mut Vec<Finding>,
) {
    if payout.institutional {
        return;
    }
    let registered = || {
        person
            .covering(payout.record)
            .map(|enrolment| enrolment.account.as_ref())
    };
    if !account_mismatch(payout.account, registered()) {
        return;
    }
    let registered_accounts = registered()
        .filter(|text| !text.is_empty())
        .map(Box::from)
        .collect();
    let mut finding = person.payout_finding(Code::AccountMismatch, payout.record);
    finding.account = payout.account.into();
    finding.amount = Some(payout.record.amount);
    finding.detail = Detail::AccountMismatch {
        account: payout.account.into(),
        registered: registered_accounts,
    };
    finding.sources = covering_evidence(person, payout);
    findings.push(finding);
}

/// NAME_MISMATCH of one payout (not institutional): the bank's name and
/// the roster's; evidence the covering roster rows and the payout.
pub fn check_name_mismatch(person: &Person<'_>, payout: &Payout<'_>, findings: &mut Vec<Finding>) {
    if payout.institutional {
        return;
    }
    let bank_name = person.context.case.payouts.payee_name(payout.record);
    let roster_names = || {
        person
            .covering(payout.record)
            .map(|enrolment| enrolment.name.as_ref())
    };
    if !name_mismatch(bank_name, roster_names()) {
        return;
    }
    let roster = roster_names().map(Box::from).collect();
    let mut finding = person.payout_finding(Code::NameMismatch, payout.record);
    finding.detail = Detail::NameMismatch {
        bank_name: bank_name.into(),
        roster,
    };
    finding.sources = covering_evidence(person, payout);
    findings.push(finding);
}

/// The roster rows of the enrolments covering a payout, and the payout's.
fn covering_evidence(person: &Person<'_>, payout: &Payout<'_>) -> String {
    let mut sources: Vec<Source> = person
        .covering(payout.record)
        .map(|enrolment| enrolment.source)
        .collect();
    sources.push(payout.source);
    sources_text(&mut sources, &person.context.case.inputs)
}

/// DUPLICATE_PAYMENT: one finding per group of the person's in-window
/// `paid` single-period payouts of one line with one amount, keyed by the
/// line; its amount the repeats, its evidence the group's payouts.
pub fn check_duplicate_payments(person: &Person<'_>, findings: &mut Vec<Finding>) {
    let case = person.context.case;
    let mut singles: Vec<&StageRecord> = person
        .paid_payout_records()
        .map(|(_, record)| record)
        .filter(|record| record.periods.is_single())
        .collect();
    for group in duplicate_payments(&mut singles) {
        let (program, period, amount) = (group[0].program, group[0].periods.first, group[0].amount);
        let key = (program, period);
        let mut finding = person.line_finding(Code::DuplicatePayment, key, person.line(key));
        let repeats = i64::try_from(group.len() - 1).expect("group size fits i64");
        finding.amount = Some(
            amount
                .checked_times(repeats)
                .expect("bounded by the line's paid sum"),
        );
        let mut sources: Vec<Source> = group
            .iter()
            .map(|record| case.payouts.source(record))
            .collect();
        finding.sources = sources_text(&mut sources, &case.inputs);
        // The register keys a duplicate by its line and the payouts' amount.
        finding.subject = vec![amount.to_string().into()];
        let ids = group
            .iter()
            .map(|record| Box::from(case.payouts.record_id(record)))
            .collect();
        finding.detail = Detail::DuplicatePayment { amount, ids };
        findings.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Money, Period, PeriodRange, Program, Status};
    use crate::engine::testing::{self, dibao, payout, tekun, Record, FIRST};

    fn period(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    fn paid_record(program: Program, month: &str, amount: i64, line: u32) -> StageRecord {
        StageRecord::new(
            program,
            Status::Paid,
            PeriodRange::single(period(month)),
            Money::from_yuan(amount),
            None,
            line,
        )
    }

    #[test]
    fn late_is_after_the_deadline_day_and_single_periods_only() {
        let mut paid = paid_record(Program::Dibao, "2021-02", 100, 2);
        assert_eq!(
            late_payment(&paid, |period| Date::deadline(period, 31)),
            None,
            "no paid_on, never late"
        );
        paid.set_date(Date::parse("2021-02-28"));
        assert_eq!(
            late_payment(&paid, |period| Date::deadline(period, 31)),
            None,
            "day 31 clamps to the 28th"
        );
        paid.set_date(Date::parse("2021-03-01"));
        assert_eq!(
            late_payment(&paid, |period| Date::deadline(period, 31)),
            Date::parse("2021-02-28")
        );
        paid.periods.last = period("2021-03");
        assert_eq!(
            late_payment(&paid, |period| Date::deadline(period, 31)),
            None,
            "a range is never late"
        );
    }

    #[test]
    fn accounts_and_names_mismatch_only_against_something_registered() {
        assert!(account_mismatch("62220002", ["", "62220001"].into_iter()));
        assert!(!account_mismatch(
            "62220001",
            ["62220009", "62220001"].into_iter()
        ));
        assert!(!account_mismatch("62220002", ["", ""].into_iter()));
        assert!(!account_mismatch("", ["62220001"].into_iter()));
        assert!(name_mismatch("张 三", ["李四"].into_iter()));
        assert!(!name_mismatch("张\u{3000}三", ["张三 "].into_iter()));
        assert!(!name_mismatch("张三", std::iter::empty()));
        assert!(!name_mismatch(" ", ["李四"].into_iter()));
        // Equal as written: a match, white space or not.
        assert!(!name_mismatch("张三", ["李四", "张三"].into_iter()));
        assert!(!name_mismatch(" ", [" "].into_iter()));
        assert!(!name_mismatch("", [""].into_iter()));
    }

    #[test]
    fn duplicate_payments_group_same_line_same_amount() {
        let a = paid_record(Program::Dibao, "2021-01", 100, 5);
        let b = paid_record(Program::Dibao, "2021-01", 100, 3);
        let c = paid_record(Program::Dibao, "2021-01", 90, 4);
        let d = paid_record(Program::Dibao, "2021-02", 100, 6);
        let mut singles = vec![&a, &b, &c, &d];
        let groups = duplicate_payments(&mut singles);
        assert_eq!(groups.len(), 1);
        let lines: Vec<u32> = groups[0].iter().map(|record| record.line).collect();
        assert_eq!(lines, [3, 5]);
    }

    fn late(line: u32, month: &'static str, paid_on: &'static str) -> Record {
        Record {
            date: Some(paid_on),
            ..payout(0, line, month, "500")
        }
    }

    /// SPEC §5 LATE_PAYMENT: paid after the deadline day (10 by default)
    /// of the payout's month; the payout's amount, its row the evidence.
    #[test]
    fn a_payout_after_the_deadline_day_is_late() {
        let case = testing::case(
            1,
            vec![dibao(0, 2, "2020-01", None)],
            &[
                late(2, "2020-01", "2020-01-10"),
                late(3, "2020-02", "2020-02-11"),
                Record {
                    status: Status::Failed,
                    ..late(4, "2020-03", "2020-03-20")
                },
            ],
        );
        let findings = testing::payout_findings(check_late_payment, &case, "2020-01..2020-03", 0);
        assert_eq!(findings.len(), 1, "{findings:?}");
        let finding = &findings[0];
        assert_eq!(finding.code, Code::LatePayment);
        assert_eq!(&*finding.id_number, FIRST);
        assert_eq!((&*finding.name, &*finding.region), ("张一", "110101"));
        assert_eq!(finding.program, Some(Program::Dibao));
        assert_eq!(finding.period, PeriodRange::parse("2020-02").ok());
        assert_eq!(finding.amount, Some(Money::from_yuan(500)));
        assert_eq!(finding.detail, "paid on 2020-02-11, deadline 2020-02-10");
        assert_eq!(finding.sources, "payouts.csv:3");
        assert_eq!(
            finding.figures, None,
            "a payout finding has no line figures"
        );
    }

    /// SPEC §5 ACCOUNT_MISMATCH: against the non-empty accounts of the
    /// enrolments covering the payout; none registered, or an institutional
    /// payout (centralized tekun), is no finding.
    #[test]
    fn an_account_other_than_every_registered_one_is_a_mismatch() {
        let mut registered = dibao(0, 2, "2020-01", None);
        registered.account = "6222000011112222".into();
        let paid_into = |line, month, account| Record {
            payee: Some(("张一", account)),
            ..payout(0, line, month, "500")
        };
        let case = testing::case(
            1,
            vec![registered],
            &[
                paid_into(2, "2020-01", "6222000011112222"),
                paid_into(3, "2020-02", "6222000099999999"),
                paid_into(4, "2020-03", ""),
            ],
        );
        let findings =
            testing::payout_findings(check_account_mismatch, &case, "2020-01..2020-03", 0);
        assert_eq!(findings.len(), 1, "{findings:?}");
        let finding = &findings[0];
        assert_eq!(finding.code, Code::AccountMismatch);
        assert_eq!(&*finding.account, "6222000099999999");
        assert_eq!(finding.amount, Some(Money::from_yuan(500)));
        assert_eq!(finding.period, PeriodRange::parse("2020-02").ok());
        assert_eq!(
            finding.detail,
            "paid into 6222000099999999; registered: 6222000011112222"
        );
        assert_eq!(finding.sources, "payouts.csv:3;roster.csv:2");

        // An institutional payout: the institution's account.
        let mut centralized = tekun(0, 2, "2020-01", None);
        centralized.centralized = true;
        centralized.account = "6222000011112222".into();
        let case = testing::case(
            1,
            vec![centralized],
            &[Record {
                program: Program::Tekun,
                ..paid_into(3, "2020-02", "6222000099999999")
            }],
        );
        let findings =
            testing::payout_findings(check_account_mismatch, &case, "2020-01..2020-03", 0);
        assert!(findings.is_empty(), "{findings:?}");
    }

    /// SPEC §5 NAME_MISMATCH: the bank's name against the roster names of
    /// the covering enrolments, white space removed; no amount.
    #[test]
    fn a_bank_name_other_than_the_roster_name_is_a_mismatch() {
        let named = |line, month, name| Record {
            payee: Some((name, "")),
            ..payout(0, line, month, "500")
        };
        let case = testing::case(
            1,
            vec![dibao(0, 2, "2020-01", None)],
            &[
                named(2, "2020-01", "张 一"),
                named(3, "2020-02", "李四"),
                named(4, "2020-03", ""),
                // Not covered by any dibao enrolment: nothing to compare.
                Record {
                    program: Program::Temp,
                    ..named(5, "2020-03", "李四")
                },
            ],
        );
        let findings = testing::payout_findings(check_name_mismatch, &case, "2020-01..2020-03", 0);
        assert_eq!(findings.len(), 1, "{findings:?}");
        let finding = &findings[0];
        assert_eq!(finding.code, Code::NameMismatch);
        assert_eq!(finding.amount, None);
        assert_eq!(finding.detail, "bank name \"李四\"; roster: 张一");
        assert_eq!(finding.sources, "payouts.csv:3;roster.csv:2");
    }

    /// SPEC §5 DUPLICATE_PAYMENT: two or more `paid` single-period payouts
    /// of one line with one amount; keyed by the line with its figures;
    /// (n − 1) × amount; evidence the group. A failed payout, another
    /// amount or a range takes no part.
    #[test]
    fn payouts_of_one_line_with_one_amount_are_duplicates() {
        let case = testing::case(
            1,
            vec![dibao(0, 2, "2020-01", None)],
            &[
                payout(0, 2, "2020-01", "500"),
                payout(0, 3, "2020-01", "500"),
                payout(0, 4, "2020-01", "500"),
                payout(0, 5, "2020-01", "200"),
                Record {
                    status: Status::Returned,
                    ..payout(0, 6, "2020-02", "500")
                },
                payout(0, 7, "2020-02", "500"),
                payout(0, 8, "2020-02..2020-03", "500"),
            ],
        );
        let findings =
            testing::person_findings(check_duplicate_payments, &case, "2020-01..2020-03", 0);
        assert_eq!(findings.len(), 1, "{findings:?}");
        let finding = &findings[0];
        assert_eq!(finding.code, Code::DuplicatePayment);
        assert_eq!(finding.period, PeriodRange::parse("2020-01").ok());
        assert_eq!(finding.amount, Some(Money::from_yuan(1000)));
        assert_eq!(finding.detail, "3 payouts of 500.00: P2, P3, P4");
        assert_eq!(finding.sources, "payouts.csv:2;payouts.csv:3;payouts.csv:4");
        let figures = finding.figures.expect("a line finding has its figures");
        assert_eq!(figures.expected, Some(Money::from_yuan(500)));
        assert_eq!(figures.paid, Money::from_yuan(1700));
    }
}

//! SHARED_ACCOUNT (SPEC §5), the one rule that looks across persons: one
//! account paid to two or more persons who do not all share one household.
//! Each person's reconciliation notes its payouts' accounts
//! ([`Candidates`]); once every person is done, the accounts several
//! persons were paid into are found by hash, their uses gathered
//! ([`AccountUse`]) and judged by [`shared_account_findings_from_uses`] —
//! the function a partitioned or distributed run hands the uses of every
//! part to.

use rayon::prelude::*;

use serde::{Deserialize, Serialize};

use crate::case::{Case, PersonId};
use crate::domain::source::sources_text;
use crate::domain::{Code, Detail, Finding, InputFiles, Money, Source};
use crate::engine::context::Context;
use crate::engine::person::{Payout, Person};
use crate::engine::persons::Grouping;

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

use crate::domain::account::account_hash;

/// The payouts of one person into one account (SHARED_ACCOUNT's input;
/// serde: what a part of a distributed run passes on).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountUse {
    pub id_number: Box<str>,
    /// The person's non-empty household ids, sorted, distinct.
    pub households: Vec<Box<str>>,
    pub amount_fen: i128,
    /// The payouts' rows, named as the payouts file was given.
    pub lines: Vec<Source>,
}

/// A person's account, as the SHARED_ACCOUNT check first compares it:
/// by a hash taken where the account's text is at hand, so that finding
/// the accounts paid to several persons reads no text (looking up records
/// and texts in a large case costs more than hashing them).
#[derive(Clone, Copy, Debug)]
pub struct AccountKey {
    /// xxh3 of the account's text.
    pub hash: u64,
    pub person: PersonId,
    /// A payout of the person into the account.
    pub payout: u32,
}

/// What persons' reconciliations note for SHARED_ACCOUNT.
#[derive(Debug, Default)]
pub struct Candidates {
    /// Payout indices that take part in the check: in-window `paid`
    /// payouts, not institutional, into a non-empty account.
    pub payouts: Vec<u32>,
    /// Of those, each where the person's account changes (the first, and
    /// each into another account than the payout before): what the check
    /// compares to find accounts paid to several persons. A person is paid
    /// into one account month after month, so these are far fewer; a
    /// person's account met again is folded when they are sorted.
    pub representatives: Vec<AccountKey>,
}

impl Candidates {
    pub fn append(&mut self, other: &mut Candidates) {
        self.payouts.append(&mut other.payouts);
        self.representatives.append(&mut other.representatives);
    }
}

/// Notes one in-window `paid` payout of a person for SHARED_ACCOUNT
/// (institutional payouts and payouts into no account take no part).
/// `previous_account` is the account of the person's previous payout: a
/// person is paid into one account month after month, so only a change
/// is kept as a representative.
pub fn note_payout<'a>(
    person: &Person<'a>,
    payout: &Payout<'a>,
    previous_account: &mut Option<&'a str>,
    candidates: &mut Candidates,
) {
    if payout.institutional || payout.account.is_empty() {
        return;
    }
    candidates.payouts.push(payout.index);
    if *previous_account != Some(payout.account) {
        *previous_account = Some(payout.account);
        candidates.representatives.push(AccountKey {
            hash: xxhash_rust::xxh3::xxh3_64(payout.account.as_bytes()),
            person: person.person,
            payout: payout.index,
        });
    }
}

/// SHARED_ACCOUNT once every person is done: with
/// [`SharedAccounts::Decide`] its findings; with
/// [`SharedAccounts::Collect`] the uses of the candidate accounts, to be
/// judged with the other parts'.
pub fn judge_or_collect(
    context: &Context<'_>,
    enrolments: &Grouping,
    shared_accounts: SharedAccounts<'_>,
    mut candidates: Candidates,
) -> (Vec<Finding>, Vec<(Box<str>, AccountUse)>) {
    let case = context.case;
    match shared_accounts {
        SharedAccounts::Decide => (
            shared_account_findings(
                context,
                enrolments,
                candidates.representatives,
                candidates.payouts,
            ),
            Vec::new(),
        ),
        SharedAccounts::Collect(accounts) => {
            candidates.payouts.retain(|&index| {
                let account = case.payouts.account(case.payouts.record(index));
                accounts.contains(&account_hash(account))
            });
            (
                Vec::new(),
                collect_account_uses(context, enrolments, &candidates.payouts),
            )
        }
    }
}

/// SHARED_ACCOUNT (SPEC §5): one account, paid to two or more people who
/// do not all share one household. The rule itself is in
/// [`shared_account_findings_from_uses`], which partitioned runs use too;
/// this finds the accounts worth handing it.
fn shared_account_findings(
    context: &Context<'_>,
    enrolments: &Grouping,
    mut representatives: Vec<AccountKey>,
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
    shared_account_findings_from_uses(
        group_account_uses(collect_account_uses(context, enrolments, &candidates)),
        &context.case.inputs,
    )
}

/// The accounts paid to two or more persons, and who those persons are
/// (by `PersonId`, of `people`), from the persons' accounts (`keys`, a
/// person's account once or more; sorted here by hash and person). `account_of` gives a payout's
/// account: it is asked only for hashes that several persons share.
fn accounts_paid_to_several<'t>(
    keys: &mut [AccountKey],
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
    files: &InputFiles,
) -> Finding {
    let mut finding = Finding::new(Code::SharedAccount, "");
    finding.account = account.into();
    finding.amount = Some(amount);
    finding.detail = Detail::SharedAccount {
        account: account.into(),
        ids: ids.iter().map(|&id| Box::from(id)).collect(),
    };
    finding.sources = sources_text(sources, files);
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
        uses[slot].1.lines.push(payouts.source(record));
    }
    uses
}

/// SHARED_ACCOUNT from the uses of every partition, keyed by account.
pub fn shared_account_findings_from_uses(
    uses: std::collections::BTreeMap<Box<str>, Vec<AccountUse>>,
    files: &InputFiles,
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
        let finding = shared_account_finding(&account, &ids, amount, &mut sources, files);
        findings.push(finding);
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// SHARED_ACCOUNT (SPEC §5) over three persons: one account paid to two
    /// persons of no common household is one finding (id_number empty, the
    /// sum paid into it, every payout as evidence); one paid to two persons
    /// of one household, or an institutional payout, is none. A partition
    /// that collects the uses gets the same finding once they are judged.
    #[test]
    fn an_account_paid_to_persons_of_different_households_is_shared() {
        use crate::domain::Program;
        use crate::engine::persons::Groupings;
        use crate::engine::testing::{self, dibao, payout, tekun, Record, FIRST, SECOND};

        let into = |person, line, account| Record {
            payee: Some(("张一", account)),
            ..payout(person, line, "2020-01", "500")
        };
        let mut first = dibao(0, 2, "2020-01", None);
        first.household_id = "H1".into();
        let mut second = dibao(1, 3, "2020-01", None);
        second.household_id = "H2".into();
        let mut third = dibao(2, 4, "2020-01", None);
        third.household_id = "H2".into();
        let mut institution = tekun(2, 5, "2020-02", None);
        institution.centralized = true;
        let case = testing::case(
            3,
            vec![first, second, third, institution],
            &[
                into(0, 2, "A"),
                into(1, 3, "A"),
                into(1, 4, "B"),
                into(2, 5, "B"),
                Record {
                    program: Program::Tekun,
                    periods: "2020-02",
                    ..into(2, 6, "A")
                },
            ],
        );
        let window = testing::range("2020-01..2020-02");
        let context = Context::new(&case, window);
        let groupings = Groupings::new(&case);
        let mut candidates = Candidates::default();
        for person in 0..3 {
            testing::with_person(&case, "2020-01..2020-02", person, |person| {
                let mut previous = None;
                for payout in person.paid_payouts() {
                    note_payout(person, &payout, &mut previous, &mut candidates);
                }
            });
        }
        assert_eq!(
            candidates.payouts.len(),
            4,
            "the institutional payout takes no part"
        );
        let collected = Candidates {
            payouts: candidates.payouts.clone(),
            representatives: candidates.representatives.clone(),
        };
        let (findings, uses) = judge_or_collect(
            &context,
            &groupings.enrolments,
            SharedAccounts::Decide,
            candidates,
        );
        assert!(uses.is_empty());
        assert_eq!(findings.len(), 1, "{findings:?}");
        let finding = &findings[0];
        assert_eq!(finding.code, Code::SharedAccount);
        assert_eq!(&*finding.id_number, "");
        assert_eq!(&*finding.account, "A");
        assert_eq!(finding.amount, Some(Money::from_yuan(1000)));
        assert_eq!(
            finding.detail,
            format!("2 people paid into A: {FIRST}, {SECOND}")
        );
        assert_eq!(finding.sources, "payouts.csv:2;payouts.csv:3");

        let every_account: rustc_hash::FxHashSet<u128> =
            ["A", "B"].into_iter().map(account_hash).collect();
        let (none, uses) = judge_or_collect(
            &context,
            &groupings.enrolments,
            SharedAccounts::Collect(&every_account),
            collected,
        );
        assert!(none.is_empty());
        assert_eq!(
            shared_account_findings_from_uses(group_account_uses(uses), &InputFiles::canonical()),
            findings
        );
    }
}

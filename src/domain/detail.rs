//! What a finding says, as data. The engine hands the facts over; findings.csv
//! writes them in their one stable English form (`Display`, the `detail`
//! column, which scripts and the register read), and the writing edge renders
//! them in words a person acts on, in Chinese or English
//! (`write::words`). Keeping the facts, not a sentence, is what lets the
//! report speak Chinese without a second engine path.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::money::Money;
use super::period::{Date, Period};
use super::program::Program;
use super::text::{excerpt, listed};

/// Which two stages of the money trail disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrailPair {
    /// ALLOCATION_MISMATCH: A against E.
    AllocatedExpected,
    /// TRANSFER_MISMATCH: T against A.
    TransferredAllocated,
    /// PAYOUT_MISMATCH: P against T.
    PaidTransferred,
}

/// The facts behind one finding's explanation, one variant per kind of
/// sentence. Text fields hold what the input said (cut to length when
/// written, never here).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Detail {
    #[default]
    Empty,
    /// BAD_RECORD: the reader's own account of the row's problems.
    Reader(String),
    /// MISSING_PAYMENT, SHORTFALL, OVERPAYMENT.
    ExpectedPaid { expected: Money, paid: Money },
    /// PAID_TO_EXCLUDED.
    PaidWhileExcluded { paid: Money, reasons: Vec<Box<str>> },
    /// PAID_NOT_ENROLLED.
    PaidNotEnrolled { paid: Money, program: Program },
    /// PAID_AFTER_EXIT with the enrolment that ended.
    PaidAfterEnded {
        paid: Money,
        enrolment_id: Box<str>,
        program: Program,
        last: Period,
        phase_out_from: Option<Period>,
    },
    /// PAID_AFTER_EXIT with no enrolment of the line's program found ended.
    PaidAfterProgram { paid: Money, program: Program },
    /// PAID_AFTER_EXIT or PAID_NOT_ENROLLED of a person whose roster row
    /// could not be read (`rows` cited as `file:line`).
    RosterRowUnreadable {
        said: Box<Detail>,
        rows: Vec<Box<str>>,
    },
    /// NO_STANDARD.
    NoStandard { program: Program, period: Period },
    /// ALLOCATION_MISMATCH, TRANSFER_MISMATCH, PAYOUT_MISMATCH.
    Differ { pair: TrailPair, difference: Money },
    /// DUPLICATE_ENROLMENT.
    DuplicateEnrolment {
        first: Box<str>,
        first_program: Program,
        second: Box<str>,
        second_program: Program,
        period: Period,
    },
    /// ENROLLED_WHILE_EXCLUDED; `effective` the month the exclusion takes
    /// effect when grace months put it after `from`.
    EnrolledWhileExcluded {
        enrolment_id: Box<str>,
        period: Period,
        from: Period,
        reason: Box<str>,
        effective: Option<Period>,
    },
    /// INCOME_ABOVE_STANDARD.
    IncomeAboveStandard {
        enrolment_id: Box<str>,
        income: Money,
        standard: Money,
        gap: Money,
    },
    /// UNFILED_STAFF_RELATIVE: (staff name, relation) per unfiled row.
    UnfiledRelative { staff: Vec<(Box<str>, Box<str>)> },
    /// DUPLICATE_RECORD; `first` the first occurrence cited `file:line`.
    DuplicateRecord {
        record_id: Box<str>,
        first: Box<str>,
    },
    /// INVALID_ID_NUMBER.
    InvalidIdNumber { id_number: Box<str> },
    /// MEMBER_EXCLUDED.
    MemberExcluded {
        household: Box<str>,
        name: Box<str>,
        member_id: Box<str>,
        from: Period,
        reason: Box<str>,
    },
    /// HOUSEHOLD_SIZE_MISMATCH.
    HouseholdSizeMismatch {
        enrolment_id: Box<str>,
        size: u64,
        listed: u64,
        household: Box<str>,
    },
    /// POSSIBLY_MISSED.
    PossiblyMissed {
        list: Box<str>,
        reason: Box<str>,
        month: Period,
    },
    /// LATE_PAYMENT.
    LatePayment { paid_on: Date, deadline: Date },
    /// ACCOUNT_MISMATCH; `registered` the non-empty registered accounts.
    AccountMismatch {
        account: Box<str>,
        registered: Vec<Box<str>>,
    },
    /// NAME_MISMATCH; `roster` the names of the covering roster rows.
    NameMismatch {
        bank_name: Box<str>,
        roster: Vec<Box<str>>,
    },
    /// DUPLICATE_PAYMENT: the repeated payouts' ids, each of `amount`.
    DuplicatePayment { amount: Money, ids: Vec<Box<str>> },
    /// SHARED_ACCOUNT: the id numbers paid into one account.
    SharedAccount {
        account: Box<str>,
        ids: Vec<Box<str>>,
    },
}

/// `(name, relation)` pairs as `name (relation)`, each part cut to length.
pub fn staff_texts(staff: &[(Box<str>, Box<str>)]) -> Vec<String> {
    staff
        .iter()
        .map(|(name, relation)| format!("{} ({})", excerpt(name), excerpt(relation)))
        .collect()
}

fn boxed(items: &[Box<str>]) -> impl Iterator<Item = &str> {
    items.iter().map(AsRef::as_ref)
}

/// The machine form: the `detail` column of findings.csv.
impl fmt::Display for Detail {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Detail::Empty => Ok(()),
            Detail::Reader(text) => out.write_str(text),
            Detail::ExpectedPaid { expected, paid } => write!(out, "expected {expected}, paid {paid}"),
            Detail::PaidWhileExcluded { paid, reasons } => {
                write!(out, "paid {paid} while excluded ({})", listed(boxed(reasons)))
            }
            Detail::PaidNotEnrolled { paid, program } => {
                write!(out, "paid {paid} with no {} enrolment", program.name())
            }
            Detail::PaidAfterEnded {
                paid,
                enrolment_id,
                program,
                last,
                phase_out_from,
            } => {
                write!(
                    out,
                    "paid {paid} after enrolment {} ({}) ended in {last}",
                    excerpt(enrolment_id),
                    program.name()
                )?;
                match phase_out_from {
                    Some(from) => write!(out, " (phase-out from {from})"),
                    None => Ok(()),
                }
            }
            Detail::PaidAfterProgram { paid, program } => {
                write!(out, "paid {paid} after the {} enrolment ended", program.name())
            }
            Detail::RosterRowUnreadable { said, rows } => write!(
                out,
                "{said}; the person's roster row {} could not be read: correct it, and the payment may be due",
                listed(boxed(rows))
            ),
            Detail::NoStandard { program, period } => {
                write!(out, "no standard in force for {} in {period}", program.name())
            }
            Detail::Differ { pair, difference } => {
                let what = match pair {
                    TrailPair::AllocatedExpected => "allocated and expected",
                    TrailPair::TransferredAllocated => "transferred and allocated",
                    TrailPair::PaidTransferred => "paid and transferred",
                };
                write!(out, "{what} differ by {difference}")
            }
            Detail::DuplicateEnrolment {
                first,
                first_program,
                second,
                second_program,
                period,
            } => write!(
                out,
                "enrolments {} ({}) and {} ({}) both cover {period}",
                excerpt(first),
                first_program.name(),
                excerpt(second),
                second_program.name(),
            ),
            Detail::EnrolledWhileExcluded {
                enrolment_id,
                period,
                from,
                reason,
                effective,
            } => {
                write!(
                    out,
                    "enrolment {} covers {period} but the person is excluded from {from} ({}",
                    excerpt(enrolment_id),
                    excerpt(reason)
                )?;
                if let Some(start) = effective {
                    write!(out, ", effective {start} after the grace months")?;
                }
                out.write_str(")")
            }
            Detail::IncomeAboveStandard {
                enrolment_id,
                income,
                standard,
                gap,
            } => write!(
                out,
                "enrolment {}: per-capita income {income} against standard {standard} leaves gap {gap}",
                excerpt(enrolment_id)
            ),
            Detail::UnfiledRelative { staff } => {
                let staff = staff_texts(staff);
                write!(
                    out,
                    "relative of {}, not filed for separate review",
                    listed(staff.iter().map(String::as_str))
                )
            }
            Detail::DuplicateRecord { record_id, first } => write!(
                out,
                "record id {} repeats {first}; the first occurrence counts",
                excerpt(record_id)
            ),
            Detail::InvalidIdNumber { id_number } => write!(
                out,
                "{:?} is not 17 digits and a correct check character (GB 11643)",
                excerpt(id_number)
            ),
            Detail::MemberExcluded {
                household,
                name,
                member_id,
                from,
                reason,
            } => {
                write!(out, "household {}: member {}", excerpt(household), excerpt(name))?;
                if name.is_empty() {
                    out.write_str(member_id)?;
                } else {
                    write!(out, " ({member_id})")?;
                }
                write!(
                    out,
                    " is excluded from {from} ({}), and the household is still paid for them",
                    excerpt(reason)
                )
            }
            Detail::HouseholdSizeMismatch {
                enrolment_id,
                size,
                listed,
                household,
            } => write!(
                out,
                "enrolment {} is paid for a household of {size}, and members.csv lists {listed} members of household {}",
                excerpt(enrolment_id),
                excerpt(household)
            ),
            Detail::PossiblyMissed {
                list,
                reason,
                month,
            } => write!(
                out,
                "{} lists the person ({}) as of {month}, and they are neither enrolled in dibao or tekun nor a member of an enrolled household then: a lead for a home visit",
                excerpt(list),
                excerpt(reason)
            ),
            Detail::LatePayment { paid_on, deadline } => {
                write!(out, "paid on {paid_on}, deadline {deadline}")
            }
            Detail::AccountMismatch {
                account,
                registered,
            } => write!(
                out,
                "paid into {}; registered: {}",
                excerpt(account),
                listed(boxed(registered))
            ),
            Detail::NameMismatch { bank_name, roster } => write!(
                out,
                "bank name {:?}; roster: {}",
                excerpt(bank_name),
                listed(boxed(roster))
            ),
            Detail::DuplicatePayment { amount, ids } => write!(
                out,
                "{} payouts of {amount}: {}",
                ids.len(),
                listed(boxed(ids))
            ),
            Detail::SharedAccount { account, ids } => write!(
                out,
                "{} people paid into {}: {}",
                ids.len(),
                excerpt(account),
                listed(boxed(ids))
            ),
        }
    }
}

/// A detail equals the machine form it writes (what tests and the register
/// compare).
impl PartialEq<&str> for Detail {
    fn eq(&self, other: &&str) -> bool {
        self.to_string().as_str() == *other
    }
}

impl PartialEq<String> for Detail {
    fn eq(&self, other: &String) -> bool {
        self.to_string().as_str() == other.as_str()
    }
}

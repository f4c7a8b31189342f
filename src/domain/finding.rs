//! Findings: the 25 codes of SPEC §5 and one row of findings.csv.

use serde::{Deserialize, Serialize};

use super::detail::Detail;
use super::money::Money;
use super::period::PeriodRange;
use super::program::{Program, Stage};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            _ => None,
        }
    }
}

/// Every finding code. Declared in the alphabetical order of the code text,
/// so the derived `Ord` is the order findings.csv sorts codes by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Code {
    AccountMismatch,
    AllocationMismatch,
    BadRecord,
    DuplicateEnrolment,
    DuplicatePayment,
    DuplicateRecord,
    EnrolledWhileExcluded,
    HouseholdSizeMismatch,
    IncomeAboveStandard,
    InvalidIdNumber,
    LatePayment,
    MemberExcluded,
    MissingPayment,
    NameMismatch,
    NoStandard,
    Overpayment,
    PaidAfterExit,
    PaidNotEnrolled,
    PaidToExcluded,
    PayoutMismatch,
    PossiblyMissed,
    SharedAccount,
    Shortfall,
    TransferMismatch,
    UnfiledStaffRelative,
}

impl Code {
    pub const ALL: [Code; 25] = [
        Code::AccountMismatch,
        Code::AllocationMismatch,
        Code::BadRecord,
        Code::DuplicateEnrolment,
        Code::DuplicatePayment,
        Code::DuplicateRecord,
        Code::EnrolledWhileExcluded,
        Code::HouseholdSizeMismatch,
        Code::IncomeAboveStandard,
        Code::InvalidIdNumber,
        Code::LatePayment,
        Code::MemberExcluded,
        Code::MissingPayment,
        Code::NameMismatch,
        Code::NoStandard,
        Code::Overpayment,
        Code::PaidAfterExit,
        Code::PaidNotEnrolled,
        Code::PaidToExcluded,
        Code::PayoutMismatch,
        Code::PossiblyMissed,
        Code::SharedAccount,
        Code::Shortfall,
        Code::TransferMismatch,
        Code::UnfiledStaffRelative,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Code::AccountMismatch => "ACCOUNT_MISMATCH",
            Code::AllocationMismatch => "ALLOCATION_MISMATCH",
            Code::BadRecord => "BAD_RECORD",
            Code::DuplicateEnrolment => "DUPLICATE_ENROLMENT",
            Code::DuplicatePayment => "DUPLICATE_PAYMENT",
            Code::DuplicateRecord => "DUPLICATE_RECORD",
            Code::EnrolledWhileExcluded => "ENROLLED_WHILE_EXCLUDED",
            Code::HouseholdSizeMismatch => "HOUSEHOLD_SIZE_MISMATCH",
            Code::IncomeAboveStandard => "INCOME_ABOVE_STANDARD",
            Code::InvalidIdNumber => "INVALID_ID_NUMBER",
            Code::LatePayment => "LATE_PAYMENT",
            Code::MemberExcluded => "MEMBER_EXCLUDED",
            Code::MissingPayment => "MISSING_PAYMENT",
            Code::NameMismatch => "NAME_MISMATCH",
            Code::NoStandard => "NO_STANDARD",
            Code::Overpayment => "OVERPAYMENT",
            Code::PaidAfterExit => "PAID_AFTER_EXIT",
            Code::PaidNotEnrolled => "PAID_NOT_ENROLLED",
            Code::PaidToExcluded => "PAID_TO_EXCLUDED",
            Code::PayoutMismatch => "PAYOUT_MISMATCH",
            Code::PossiblyMissed => "POSSIBLY_MISSED",
            Code::SharedAccount => "SHARED_ACCOUNT",
            Code::Shortfall => "SHORTFALL",
            Code::TransferMismatch => "TRANSFER_MISMATCH",
            Code::UnfiledStaffRelative => "UNFILED_STAFF_RELATIVE",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Code::PaidToExcluded
            | Code::PaidAfterExit
            | Code::PaidNotEnrolled
            | Code::MissingPayment
            | Code::Shortfall
            | Code::Overpayment
            | Code::DuplicatePayment
            | Code::SharedAccount
            | Code::BadRecord => Severity::High,
            Code::NoStandard
            | Code::AllocationMismatch
            | Code::TransferMismatch
            | Code::PayoutMismatch
            | Code::DuplicateEnrolment
            | Code::EnrolledWhileExcluded
            | Code::IncomeAboveStandard
            | Code::UnfiledStaffRelative
            | Code::AccountMismatch
            | Code::DuplicateRecord
            | Code::PossiblyMissed
            | Code::MemberExcluded
            | Code::HouseholdSizeMismatch => Severity::Medium,
            Code::NameMismatch | Code::LatePayment | Code::InvalidIdNumber => Severity::Low,
        }
    }
}

/// Why a line fell short, when the engine can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cause {
    /// Paid at the standard in force before the latest raise (SPEC §5).
    StandardRaiseNotApplied,
    /// v3: paid to a person whose roster row could not be read (a
    /// BAD_RECORD): the money may well be due, once the row is corrected.
    RosterRowUnreadable,
}

impl Cause {
    pub fn name(self) -> &'static str {
        match self {
            Cause::StandardRaiseNotApplied => "standard_raise_not_applied",
            Cause::RosterRowUnreadable => "roster_row_unreadable",
        }
    }
}

/// E, A, T, P of a line, for findings keyed by a line. `None` is an unknown E
/// or a stage whose file was not given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineFigures {
    pub expected: Option<Money>,
    pub allocated: Option<Money>,
    pub transferred: Option<Money>,
    pub paid: Money,
}

/// One row of findings.csv (serde: what the Spark runner's tasks pass on).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: Code,
    pub id_number: Box<str>,
    pub name: Box<str>,
    pub region: Box<str>,
    pub program: Option<Program>,
    pub period: Option<PeriodRange>,
    pub account: Box<str>,
    pub amount: Option<Money>,
    pub figures: Option<LineFigures>,
    pub stage: Option<Stage>,
    pub cause: Option<Cause>,
    /// What the finding says, as facts: findings.csv writes its English
    /// machine form, the report renders it for a person.
    pub detail: Detail,
    /// The formatted `sources` cell (see [`super::source::sources_text`]).
    pub sources: String,
    /// What identifies the finding beyond its code, person, program and
    /// period, as the rectification register keys it (SPEC v3 §6.1): the
    /// payout id, the enrolment ids, the exclusion's reason and month, the
    /// repeated record's id and row… Not written to findings.csv.
    pub subject: Vec<Box<str>>,
    /// The account (spaces removed) of the enrolment whose name and region
    /// the finding carries; empty when none (SPEC v3 corrections.csv takes
    /// a back-pay's account from it). Not written to findings.csv.
    pub label_account: Box<str>,
}

impl Finding {
    /// A finding with only its code and key person filled; the rule fills the rest.
    pub fn new(code: Code, id_number: &str) -> Finding {
        Finding {
            code,
            id_number: id_number.into(),
            name: "".into(),
            region: "".into(),
            program: None,
            period: None,
            account: "".into(),
            amount: None,
            figures: None,
            stage: None,
            cause: None,
            detail: Detail::Empty,
            sources: String::new(),
            subject: Vec::new(),
            label_account: "".into(),
        }
    }

    /// SPEC §6 order: (id_number, program, period, code, sources), all as
    /// text; the remaining columns break ties so the order is total.
    pub fn output_order(&self, other: &Finding) -> std::cmp::Ordering {
        self.id_number
            .cmp(&other.id_number)
            .then_with(|| {
                self.program
                    .map(Program::name)
                    .cmp(&other.program.map(Program::name))
            })
            .then_with(|| self.period.cmp(&other.period))
            .then_with(|| self.code.cmp(&other.code))
            .then_with(|| self.sources.cmp(&other.sources))
            .then_with(|| self.account.cmp(&other.account))
            .then_with(|| self.amount.cmp(&other.amount))
            .then_with(|| self.detail.to_string().cmp(&other.detail.to_string()))
    }
}

/// The first line a run prints: its window, ledger lines and findings by
/// severity (the CLI and the Spark runner alike).
pub fn run_headline(
    window: super::PeriodRange,
    ledger_lines: usize,
    findings: &[Finding],
) -> String {
    let count = |severity: Severity| {
        findings
            .iter()
            .filter(|finding| finding.code.severity() == severity)
            .count()
    };
    format!(
        "window {}..{}: {} ledger lines, {} findings (high {}, medium {}, low {})",
        window.first,
        window.last,
        ledger_lines,
        findings.len(),
        count(Severity::High),
        count(Severity::Medium),
        count(Severity::Low),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_enum_order_is_text_order() {
        let names: Vec<&str> = Code::ALL.iter().map(|code| code.name()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        let mut codes = Code::ALL;
        codes.sort();
        assert_eq!(codes, Code::ALL);
    }
}

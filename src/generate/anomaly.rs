//! The anomalies the generator plants, one per chosen household, each
//! meant to cause a known finding.

use crate::domain::Program;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anomaly {
    MissingPayment,
    Shortfall,
    Overpayment,
    DuplicatePayment,
    /// The roster ends in August; the bank pays on (PAID_AFTER_EXIT).
    PaidAfterExit,
    PaidNotEnrolled,
    /// A data cross-check (public employee, vehicle…) the office missed.
    PaidToExcluded,
    NoStandard,
    AllocationShort,
    TransferShort,
    PayoutShort,
    DuplicateEnrolment,
    IncomeAboveStandard,
    UnfiledRelative,
    SharedAccount,
    AccountMismatch,
    NameMismatch,
    LatePayment,
    InvalidId,
    DuplicateRecord,
    BadRecord,
    NoBackPay,
    /// v2: paid on after the phase-out's last month (PAID_AFTER_EXIT).
    PaidPastPhaseOut,
    /// v2: a one-person household paid on after its member's death
    /// (PAID_TO_EXCLUDED).
    PaidAfterDeath,
    /// v2: a family paid on after the head's death and the grace months
    /// (PAID_TO_EXCLUDED).
    PaidPastGrace,
}

impl Anomaly {
    pub const ALL: [Anomaly; 25] = [
        Anomaly::MissingPayment,
        Anomaly::Shortfall,
        Anomaly::Overpayment,
        Anomaly::DuplicatePayment,
        Anomaly::PaidAfterExit,
        Anomaly::PaidNotEnrolled,
        Anomaly::PaidToExcluded,
        Anomaly::NoStandard,
        Anomaly::AllocationShort,
        Anomaly::TransferShort,
        Anomaly::PayoutShort,
        Anomaly::DuplicateEnrolment,
        Anomaly::IncomeAboveStandard,
        Anomaly::UnfiledRelative,
        Anomaly::SharedAccount,
        Anomaly::AccountMismatch,
        Anomaly::NameMismatch,
        Anomaly::LatePayment,
        Anomaly::InvalidId,
        Anomaly::DuplicateRecord,
        Anomaly::BadRecord,
        Anomaly::NoBackPay,
        Anomaly::PaidPastPhaseOut,
        Anomaly::PaidAfterDeath,
        Anomaly::PaidPastGrace,
    ];

    /// The `count`-th anomaly of a case: round robin, so every kind appears
    /// once in each run of 25.
    pub fn nth(count: u64) -> Anomaly {
        Anomaly::ALL[(count % Anomaly::ALL.len() as u64) as usize]
    }

    /// Anomalies sit on dibao households, so each shows as the finding it
    /// is meant to cause; NO_STANDARD on tekun (the foreign region has a
    /// dibao standard, under `*`, but no care standard).
    pub fn program(self) -> Program {
        match self {
            Anomaly::NoStandard => Program::Tekun,
            _ => Program::Dibao,
        }
    }
}

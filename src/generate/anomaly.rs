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
    /// v3: another department's lead names a person in the village who is
    /// enrolled nowhere (POSSIBLY_MISSED).
    PossiblyMissed,
    /// v3: a member other than the head died; the household is still paid
    /// at its old size (MEMBER_EXCLUDED).
    MemberExcluded,
    /// v3: a member moved away and is gone from members.csv; the roster
    /// still pays the old household size (HOUSEHOLD_SIZE_MISMATCH).
    HouseholdSizeMismatch,
    /// v3: the bank exports a month's payout again in the next month's
    /// file: the same record id in two files (DUPLICATE_RECORD).
    ReExported,
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

    /// The kinds planted only with `--v3`: they need members.csv,
    /// watchlist.csv or payouts in several files.
    pub const V3: [Anomaly; 4] = [
        Anomaly::PossiblyMissed,
        Anomaly::MemberExcluded,
        Anomaly::HouseholdSizeMismatch,
        Anomaly::ReExported,
    ];

    /// The `count`-th anomaly of a case: round robin, so every kind appears
    /// once in each run of 25 (29 with `--v3`). Without `--v3` the order is
    /// the one cases were always generated with.
    pub fn nth(count: u64, v3: bool) -> Anomaly {
        let kinds = Anomaly::ALL.len() + if v3 { Anomaly::V3.len() } else { 0 };
        let index = (count % kinds as u64) as usize;
        match Anomaly::ALL.get(index) {
            Some(&anomaly) => anomaly,
            None => Anomaly::V3[index - Anomaly::ALL.len()],
        }
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

//! What a reconciliation gives the writers.

use super::ledger::Ledger;
use super::shared_account::AccountUse;
use crate::domain::{Finding, PeriodRange};

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

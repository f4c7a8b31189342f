//! What a reconciliation gives the writers.

use super::ledger::Ledger;
use super::rules::shared_account::AccountUse;
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
    /// With [`SharedAccounts::Collect`](super::SharedAccounts::Collect):
    /// (account, use) per account and person.
    pub account_uses: Vec<(Box<str>, AccountUse)>,
}

impl Reconciliation {
    /// The reconciliation of a case without persons or records: what a
    /// run's outputs begin from before its parts are added (the Spark
    /// driver's). `given`: per stage, was its file given?
    pub fn empty(window: PeriodRange, given: [bool; 3]) -> Reconciliation {
        Reconciliation {
            window,
            lines: Ledger::default(),
            findings: Vec::new(),
            outside_window: [0; 3],
            inside_window: [0; 3],
            given,
            account_uses: Vec::new(),
        }
    }
}

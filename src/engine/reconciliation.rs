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
    /// Per stage file read, in file order: records counted in the window
    /// (payouts: all statuses), and records skipped as outside it.
    pub window_counts: Vec<super::conservation::WindowCount>,
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
            window_counts: Vec::new(),
            given,
            account_uses: Vec::new(),
        }
    }
}

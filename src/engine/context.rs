//! What every person's reconciliation reads: the case, the window, the
//! standards resolved once per region, and the names and regions lines
//! and findings are labelled with.

use rayon::prelude::*;

use super::ledger::Label;
use super::standards::{InForce, RegionStandards, StandardsTable};
use crate::case::Case;
use crate::domain::{Date, Period, PeriodRange};

/// Shared, read-only inputs of every person's reconciliation.
pub struct Context<'a> {
    pub case: &'a Case,
    pub standards: StandardsTable,
    /// Resolved standards per distinct region, and each enrolment's entry.
    resolved: Vec<RegionStandards>,
    /// Distinct enrolment regions in text order; `enrolment_region` ranks
    /// each enrolment's region in it.
    regions: Vec<&'a str>,
    enrolment_region: Vec<u32>,
    pub window: PeriodRange,
    /// Per stage: was its file given?
    pub given: [bool; 3],
    /// LATE_PAYMENT's deadline in each month of the window, in order:
    /// looked up for every paid payout rather than made again each time.
    deadlines: Vec<Date>,
}

impl<'a> Context<'a> {
    pub fn new(case: &'a Case, window: PeriodRange) -> Context<'a> {
        Context::with_standards(case, window, &case.standards)
    }

    /// As [`Context::new`], the entitlements computed under `standards`
    /// instead of the case's own (`whatif`: a proposed raise).
    pub fn with_standards(
        case: &'a Case,
        window: PeriodRange,
        standards: &[crate::case::StandardRow],
    ) -> Context<'a> {
        let standards = StandardsTable::new(standards, case.policy.item_rounding);
        // In parallel: a run makes a context twice (reconciling, writing),
        // and 200,000 enrolments' regions sorted on one thread hold up the
        // other.
        let mut regions: Vec<&str> = case
            .enrolments
            .par_iter()
            .map(|enrolment| enrolment.region.as_ref())
            .collect();
        regions.par_sort_unstable();
        regions.dedup();
        let resolved: Vec<RegionStandards> = regions
            .par_iter()
            .map(|region| standards.resolve(region))
            .collect();
        let enrolment_region = case
            .enrolments
            .par_iter()
            .map(|enrolment| {
                let position = regions
                    .binary_search(&enrolment.region.as_ref())
                    .expect("every region was collected");
                u32::try_from(position).expect("fewer than 4 billion regions")
            })
            .collect();
        Context {
            case,
            standards,
            resolved,
            regions,
            enrolment_region,
            window,
            given: [case.allocations.is_some(), case.transfers.is_some(), true],
            deadlines: window
                .months()
                .map(|period| Date::deadline(period, case.policy.payment_deadline_day))
                .collect(),
        }
    }

    /// The payment deadline of `period` (SPEC §5 LATE_PAYMENT): day
    /// `payment_deadline_day` of the month, clamped to its end.
    pub fn deadline(&self, period: Period) -> Date {
        let day = self.case.policy.payment_deadline_day;
        let deadline = period
            .index()
            .checked_sub(self.window.first.index())
            .and_then(|offset| self.deadlines.get(offset as usize).copied())
            .unwrap_or_else(|| Date::deadline(period, day));
        debug_assert_eq!(deadline, Date::deadline(period, day));
        deadline
    }

    pub fn region_standards(&self, enrolment: u32) -> &RegionStandards {
        &self.resolved[self.enrolment_region[enrolment as usize] as usize]
    }

    /// The standards in force for an enrolment's region at `period`.
    pub fn standards_at(&self, enrolment: u32, period: Period) -> InForce<'_> {
        self.standards
            .in_force(self.region_standards(enrolment), period)
    }

    /// The rank of a label's region among all regions (text order); `None`
    /// for the empty region, which sorts first.
    pub fn region_rank(&self, label: Label) -> Option<u32> {
        match label {
            Label::Enrolment(index) => Some(self.enrolment_region[index as usize]),
            Label::Payout(_) | Label::None => None,
        }
    }

    pub fn region_text(&self, rank: Option<u32>) -> &'a str {
        rank.map_or("", |rank| self.regions[rank as usize])
    }

    /// (name, region) of a label.
    pub fn label_text(&self, label: Label) -> (&'a str, &'a str) {
        match label {
            Label::Enrolment(index) => {
                let enrolment = &self.case.enrolments[index as usize];
                (&enrolment.name, &enrolment.region)
            }
            Label::Payout(index) => {
                let payouts = &self.case.payouts;
                (payouts.payee_name(payouts.record(index)), "")
            }
            Label::None => ("", ""),
        }
    }
}

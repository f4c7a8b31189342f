//! The rectification register's vocabulary (整改台账, SPEC v3 §6.1): item
//! numbers, statuses, and the items and register as read and written. The
//! transitions from run to run are `engine::register`'s.

use super::{Period, PeriodRange};

/// The engine's columns, in the order register.csv writes them.
pub const ENGINE_COLUMNS: [&str; 16] = [
    "item",
    "status",
    "code",
    "severity",
    "id_number",
    "name",
    "region",
    "program",
    "period",
    "amount",
    "first_found",
    "last_found",
    "due",
    "closed_in",
    "reopened",
    "key",
];

/// An item's number: the label of the run that first found it and a
/// number, written `YYYYMM-NNNN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemNumber {
    pub label: Period,
    pub number: u32,
}

/// Most items one label may number: four digits are written, and a month
/// with more problems than that is not one register.
pub const MAX_ITEM_NUMBER: u32 = 999_999;

impl ItemNumber {
    /// `202406-0001`; the number has at least four digits.
    pub fn parse(text: &str) -> Option<ItemNumber> {
        let (label, number) = text.split_once('-')?;
        if label.len() != 6 || !label.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        if number.len() < 4 || number.len() > 6 || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let label = Period::parse(label)?;
        let number: u32 = number.parse().ok()?;
        (number >= 1).then_some(ItemNumber { label, number })
    }
}

impl std::fmt::Display for ItemNumber {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{:04}{:02}-{:04}",
            self.label.year(),
            self.label.month(),
            self.number
        )
    }
}

/// An item's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemStatus {
    /// 未整改: found, not yet due.
    Open,
    /// 逾期: found and past its due month.
    Overdue,
    /// 已销号: a later run looked again and did not find it.
    Closed,
}

impl ItemStatus {
    pub fn name(self) -> &'static str {
        match self {
            ItemStatus::Open => "open",
            ItemStatus::Overdue => "overdue",
            ItemStatus::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<ItemStatus> {
        match text.trim().to_ascii_lowercase().as_str() {
            "open" => Some(ItemStatus::Open),
            "overdue" => Some(ItemStatus::Overdue),
            "closed" => Some(ItemStatus::Closed),
            _ => None,
        }
    }

    /// 未整改, 逾期, 已销号.
    pub fn chinese(self) -> &'static str {
        match self {
            ItemStatus::Open => "未整改",
            ItemStatus::Overdue => "逾期",
            ItemStatus::Closed => "已销号",
        }
    }
}

/// What an item says of its problem, as the latest run that found it
/// wrote its finding (`name`, `region` as findings.csv has them); text as
/// written, since an earlier register is read back as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemValues {
    pub code: Box<str>,
    pub severity: Box<str>,
    pub id_number: Box<str>,
    pub name: Box<str>,
    pub region: Box<str>,
    pub program: Box<str>,
    /// `YYYY-MM`, `YYYY-MM..YYYY-MM`, or empty.
    pub period: Box<str>,
    /// Two decimals, or empty.
    pub amount: Box<str>,
}

/// One item of the register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub item: ItemNumber,
    pub values: ItemValues,
    pub first_found: Period,
    pub last_found: Option<Period>,
    pub due: Period,
    /// Closed (已销号): a run re-checked it and did not find it — as the
    /// earlier register's `status` says, or this run closed it.
    pub closed: bool,
    pub closed_in: Option<Period>,
    pub reopened: u32,
    pub key: Box<str>,
    /// The office's own columns (整改措施, 责任人, 追回金额, 备注…), cell for
    /// cell, in [`Register::office_columns`] order.
    pub office: Vec<Box<str>>,
    /// When the earlier register holds a period this run cannot read (it
    /// then keeps the item as it is): `period` as a range.
    pub period: Option<PeriodRange>,
}

impl Item {
    /// Closed when closed, else overdue when `label` is after its due
    /// month, else open.
    pub fn status_at(&self, label: Period) -> ItemStatus {
        if self.closed {
            ItemStatus::Closed
        } else if label > self.due {
            ItemStatus::Overdue
        } else {
            ItemStatus::Open
        }
    }
}

/// A register: its items sorted by number, and the office's columns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Register {
    pub items: Vec<Item>,
    pub office_columns: Vec<Box<str>>,
}

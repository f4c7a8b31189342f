//! What the case files' columns are called: the header spellings shared by
//! several files, and every kind's columns for columns.toml.

use super::{registers, roster, stages, standards, table};
use crate::domain::{FileKind, Stage};

pub(crate) const ID_NUMBER_ALIASES: &[&str] = &[
    "身份证号",
    "身份证号码",
    "公民身份号码",
    "公民身份证号",
    "公民身份证号码",
    "身份证",
    "证件号码",
    "证件号",
    "身份号码",
];
pub(crate) const ACCOUNT_ALIASES: &[&str] = &[
    "账号",
    "银行账号",
    "卡号",
    "银行卡号",
    "账户",
    "银行账户",
    "收款账号",
    "存折号",
    "一卡通账号",
    "社保卡号",
];
pub(crate) const NAME_ALIASES: &[&str] = &[
    "姓名",
    "户名",
    "客户姓名",
    "收款人",
    "收款人姓名",
    "户主姓名",
];
pub(crate) const REGION_ALIASES: &[&str] = &[
    "区划代码",
    "行政区划代码",
    "属地",
    "所属区划",
    "区划",
    "行政区划",
];
pub(crate) const PROGRAM_ALIASES: &[&str] = &[
    "项目",
    "救助类别",
    "救助项目",
    "保障类别",
    "救助类型",
    "发放项目",
    "资金类别",
    "类别",
];
pub(crate) const PERIOD_ALIASES: &[&str] = &[
    "所属期",
    "所属月份",
    "所属年月",
    "发放年月",
    "发放月份",
    "发放期间",
    "所属期间",
    "补发期间",
];
pub(crate) const AMOUNT_ALIASES: &[&str] = &[
    "金额",
    "发放金额",
    "交易金额",
    "实发金额",
    "发放合计",
    "合计金额",
    "拨付金额",
    "划拨金额",
    "指标金额",
];

/// Every column of `kind`'s file with every header it is found under
/// besides its SPEC name (the docs list them all; a test checks).
pub fn headers_of(kind: FileKind) -> Vec<(&'static str, &'static [&'static str])> {
    let headers = |columns: &[table::Column]| -> Vec<(&'static str, &'static [&'static str])> {
        columns
            .iter()
            .filter(|column| !column.name.starts_with('\u{0}'))
            .map(|column| (column.name, column.aliases))
            .collect()
    };
    match kind {
        FileKind::Roster => headers(&roster::COLUMNS),
        FileKind::Standards => headers(&standards::COLUMNS),
        FileKind::Payouts => headers(&stages::columns(Stage::Payout)),
        FileKind::Allocations => headers(&stages::columns(Stage::Allocation)),
        FileKind::Transfers => headers(&stages::columns(Stage::Transfer)),
        FileKind::Exclusions => headers(&registers::EXCLUSION_COLUMNS),
        FileKind::Relatives => headers(&registers::RELATIVE_COLUMNS),
        FileKind::Members => headers(&registers::MEMBER_COLUMNS),
        FileKind::Watchlist => headers(&registers::LEAD_COLUMNS),
        FileKind::Policy => Vec::new(),
    }
}

/// Every column of `kind`'s file: its SPEC name and whether it is money
/// (columns.toml names these).
pub(crate) fn columns_of(kind: FileKind) -> Vec<(&'static str, bool)> {
    let names = |columns: &[table::Column]| -> Vec<(&'static str, bool)> {
        columns
            .iter()
            .filter(|column| !column.name.starts_with('\u{0}'))
            .map(|column| (column.name, column.money))
            .collect()
    };
    match kind {
        FileKind::Roster => names(&roster::COLUMNS),
        FileKind::Standards => names(&standards::COLUMNS),
        FileKind::Payouts => names(&stages::columns(Stage::Payout)),
        FileKind::Allocations => names(&stages::columns(Stage::Allocation)),
        FileKind::Transfers => names(&stages::columns(Stage::Transfer)),
        FileKind::Exclusions => names(&registers::EXCLUSION_COLUMNS),
        FileKind::Relatives => names(&registers::RELATIVE_COLUMNS),
        FileKind::Members => names(&registers::MEMBER_COLUMNS),
        FileKind::Watchlist => names(&registers::LEAD_COLUMNS),
        FileKind::Policy => Vec::new(),
    }
}

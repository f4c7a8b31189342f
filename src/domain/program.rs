//! The spec's enumerations: programs, stages, care levels, statuses.

use serde::{Deserialize, Serialize};

/// A benefit program. Declared in the alphabetical order of its name, so the
/// derived `Ord` is the text order the outputs are sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Program {
    Dibao,
    PriceSubsidy,
    Tekun,
    Temp,
}

impl Program {
    pub const ALL: [Program; 4] = [
        Program::Dibao,
        Program::PriceSubsidy,
        Program::Tekun,
        Program::Temp,
    ];

    pub fn parse(text: &str) -> Option<Program> {
        let program = if text.eq_ignore_ascii_case("dibao") {
            Program::Dibao
        } else if text.eq_ignore_ascii_case("tekun") {
            Program::Tekun
        } else if text.eq_ignore_ascii_case("temp") {
            Program::Temp
        } else if text.eq_ignore_ascii_case("price_subsidy") {
            Program::PriceSubsidy
        } else {
            return Program::parse_chinese(text);
        };
        Some(program)
    }

    /// The names office files use (docs/formats.md lists them). Cold: kept
    /// out of the CSV hot loop, whose values are the English names.
    #[cold]
    #[inline(never)]
    fn parse_chinese(text: &str) -> Option<Program> {
        Some(match text {
            "低保"
            | "城市低保"
            | "农村低保"
            | "城乡低保"
            | "最低生活保障"
            | "城市最低生活保障"
            | "农村最低生活保障" => Program::Dibao,
            "特困"
            | "特困供养"
            | "特困人员"
            | "特困人员救助供养"
            | "城市特困"
            | "农村特困"
            | "农村五保"
            | "五保"
            | "五保供养" => Program::Tekun,
            "临时救助" | "临救" => Program::Temp,
            "价格临时补贴" | "临时价补" | "价补" | "价格补贴" => {
                Program::PriceSubsidy
            }
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Program::Dibao => "dibao",
            Program::PriceSubsidy => "price_subsidy",
            Program::Tekun => "tekun",
            Program::Temp => "temp",
        }
    }

    /// Roster enrolments exist for these; price_subsidy is earned through
    /// dibao or tekun.
    pub fn is_enrollable(self) -> bool {
        self != Program::PriceSubsidy
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// The three records of the money trail, in the order money flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Stage {
    Allocation,
    Transfer,
    Payout,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Allocation, Stage::Transfer, Stage::Payout];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Allocation => "allocation",
            Stage::Transfer => "transfer",
            Stage::Payout => "payout",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// The file that holds this stage's records.
    pub fn file_kind(self) -> super::FileKind {
        match self {
            Stage::Allocation => super::FileKind::Allocations,
            Stage::Transfer => super::FileKind::Transfers,
            Stage::Payout => super::FileKind::Payouts,
        }
    }
}

/// tekun care level (照料护理等级).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CareLevel {
    SelfCare,
    Semi,
    Full,
}

impl CareLevel {
    pub fn parse(text: &str) -> Option<CareLevel> {
        if text.eq_ignore_ascii_case("self") {
            Some(CareLevel::SelfCare)
        } else if text.eq_ignore_ascii_case("semi") {
            Some(CareLevel::Semi)
        } else if text.eq_ignore_ascii_case("full") {
            Some(CareLevel::Full)
        } else {
            match text {
                "全自理" | "自理" | "生活自理" | "具备生活自理能力" => {
                    Some(CareLevel::SelfCare)
                }
                "半护理" | "半失能" | "半自理" | "部分失能" | "部分丧失生活自理能力" => {
                    Some(CareLevel::Semi)
                }
                "全护理" | "全失能" | "完全失能" | "不能自理" | "完全丧失生活自理能力" => {
                    Some(CareLevel::Full)
                }
                _ => None,
            }
        }
    }
}

/// tekun support mode (供养方式): `Some(true)` for centralized (集中供养,
/// paid to an institution), `Some(false)` for dispersed (分散供养).
pub fn parse_support_mode(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("centralized") {
        return Some(true);
    }
    if text.eq_ignore_ascii_case("dispersed") {
        return Some(false);
    }
    match text {
        "集中供养" | "集中" => Some(true),
        "分散供养" | "分散" => Some(false),
        _ => None,
    }
}

/// relatives.csv `filed`: yes/no in any case, 是/否, 已备案/未备案.
pub fn parse_filed(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("yes") {
        return Some(true);
    }
    if text.eq_ignore_ascii_case("no") {
        return Some(false);
    }
    match text {
        "是" | "已备案" => Some(true),
        "否" | "未备案" => Some(false),
        _ => None,
    }
}

impl CareLevel {
    /// The contract's name of the level.
    pub fn name(self) -> &'static str {
        match self {
            CareLevel::SelfCare => "self",
            CareLevel::Semi => "semi",
            CareLevel::Full => "full",
        }
    }
}

/// Payout status; only `Paid` is money delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    Paid,
    Failed,
    Returned,
}

impl Status {
    pub fn parse(text: &str) -> Option<Status> {
        if text.eq_ignore_ascii_case("paid") {
            Some(Status::Paid)
        } else if text.eq_ignore_ascii_case("failed") {
            Some(Status::Failed)
        } else if text.eq_ignore_ascii_case("returned") {
            Some(Status::Returned)
        } else {
            Status::parse_chinese(text)
        }
    }

    /// 成功, 失败, 退回 and their kin; cold, like [`Program::parse`]'s.
    #[cold]
    #[inline(never)]
    fn parse_chinese(text: &str) -> Option<Status> {
        match text {
            "成功" | "已入账" | "入账成功" | "发放成功" | "已发放" | "交易成功" | "已支付"
            | "支付成功" | "处理成功" => Some(Status::Paid),
            "失败" | "入账失败" | "发放失败" | "交易失败" | "支付失败" | "处理失败" => {
                Some(Status::Failed)
            }
            "退回" | "已退回" | "退票" | "退汇" | "已退票" => Some(Status::Returned),
            _ => None,
        }
    }
}

/// A standards.csv item (SPEC §2). `Tier` and `Topup` are families: the
/// row names the tier or category (`tier_B`, `topup_elderly70`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Item {
    Standard,
    Floor,
    Tier,
    Topup,
    Basic,
    CareSelf,
    CareSemi,
    CareFull,
    MinWage,
    PriceSubsidy,
}

impl Item {
    /// The item, if it is one the program has, with the tier or category
    /// name for `tier_<T>` and `topup_<C>` (as written; compare it folded
    /// with [`fold_rule_name`]). `None` also for a name that is empty or
    /// holds a forbidden character.
    pub fn parse(program: Program, text: &str) -> Option<(Item, &str)> {
        let named = |prefix: &str| -> Option<&str> {
            let head = text.get(..prefix.len())?;
            let name = &text[prefix.len()..];
            (head.eq_ignore_ascii_case(prefix) && is_rule_name(name)).then_some(name)
        };
        if let Some(name) = named("tier_") {
            return (program == Program::Dibao).then_some((Item::Tier, name));
        }
        if let Some(name) = named("topup_") {
            return (program == Program::Dibao).then_some((Item::Topup, name));
        }
        let item = match text.to_ascii_lowercase().as_str() {
            "standard" => Item::Standard,
            "floor" => Item::Floor,
            "basic" => Item::Basic,
            "care_self" => Item::CareSelf,
            "care_semi" => Item::CareSemi,
            "care_full" => Item::CareFull,
            "min_wage" => Item::MinWage,
            "price_subsidy" => Item::PriceSubsidy,
            _ => return None,
        };
        let fits = match program {
            Program::Dibao => matches!(item, Item::Standard | Item::Floor | Item::PriceSubsidy),
            Program::Tekun => matches!(
                item,
                Item::Basic
                    | Item::CareSelf
                    | Item::CareSemi
                    | Item::CareFull
                    | Item::MinWage
                    | Item::PriceSubsidy
            ),
            Program::Temp | Program::PriceSubsidy => false,
        };
        fits.then_some((item, ""))
    }

    pub fn name(self) -> &'static str {
        match self {
            Item::Standard => "standard",
            Item::Floor => "floor",
            Item::Tier => "tier_",
            Item::Topup => "topup_",
            Item::Basic => "basic",
            Item::CareSelf => "care_self",
            Item::CareSemi => "care_semi",
            Item::CareFull => "care_full",
            Item::MinWage => "min_wage",
            Item::PriceSubsidy => "price_subsidy",
        }
    }

    pub fn care(level: CareLevel) -> Item {
        match level {
            CareLevel::SelfCare => Item::CareSelf,
            CareLevel::Semi => Item::CareSemi,
            CareLevel::Full => Item::CareFull,
        }
    }

    /// The item a share of this one is taken of (SPEC v2 §2): tekun care →
    /// tekun `min_wage`; every other item → dibao `standard`. `None` for
    /// the two bases themselves, which must be money.
    pub fn base(program: Program, item: Item) -> Option<(Program, Item)> {
        match (program, item) {
            (Program::Dibao, Item::Standard) | (Program::Tekun, Item::MinWage) => None,
            (Program::Tekun, Item::CareSelf | Item::CareSemi | Item::CareFull) => {
                Some((Program::Tekun, Item::MinWage))
            }
            _ => Some((Program::Dibao, Item::Standard)),
        }
    }
}

/// A tier or category name (SPEC v2 §2): one or more characters other than
/// white space, `,`, `;` and `+`.
pub fn is_rule_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|character| character.is_whitespace() || matches!(character, ',' | ';' | '+'))
}

/// Tier and category names compare case-insensitively, ASCII letters only
/// (a full-width `Ｄ` is not `d`).
pub fn fold_rule_name(name: &str) -> Box<str> {
    name.to_ascii_lowercase().into_boxed_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_order_is_text_order() {
        let mut names: Vec<&str> = Program::ALL.iter().map(|program| program.name()).collect();
        let before = names.clone();
        names.sort();
        assert_eq!(names, before);
    }

    #[test]
    fn enums_match_case_insensitively() {
        assert_eq!(Program::parse("DiBao"), Some(Program::Dibao));
        assert_eq!(Program::parse("Price_Subsidy"), Some(Program::PriceSubsidy));
        assert_eq!(Status::parse("PAID"), Some(Status::Paid));
        assert_eq!(Status::parse("cancelled"), None);
        assert_eq!(Item::parse(Program::Dibao, "basic"), None);
        assert_eq!(
            Item::parse(Program::Tekun, "Care_Semi"),
            Some((Item::CareSemi, ""))
        );
    }

    #[test]
    fn office_names_of_programs_levels_modes_and_statuses() {
        for (text, program) in [
            ("城市低保", Program::Dibao),
            ("农村低保", Program::Dibao),
            ("低保", Program::Dibao),
            ("特困供养", Program::Tekun),
            ("特困", Program::Tekun),
            ("农村五保", Program::Tekun),
            ("临时救助", Program::Temp),
            ("价格临时补贴", Program::PriceSubsidy),
            ("临时价补", Program::PriceSubsidy),
        ] {
            assert_eq!(Program::parse(text), Some(program), "{text}");
        }
        assert_eq!(Program::parse("低保户"), None);
        for (text, level) in [
            ("全自理", CareLevel::SelfCare),
            ("半护理", CareLevel::Semi),
            ("半失能", CareLevel::Semi),
            ("全护理", CareLevel::Full),
            ("全失能", CareLevel::Full),
        ] {
            assert_eq!(CareLevel::parse(text), Some(level), "{text}");
        }
        assert_eq!(parse_support_mode("分散供养"), Some(false));
        assert_eq!(parse_support_mode("集中供养"), Some(true));
        assert_eq!(parse_support_mode("CENTRALIZED"), Some(true));
        assert_eq!(parse_support_mode("居家"), None);
        for (text, status) in [
            ("成功", Status::Paid),
            ("已入账", Status::Paid),
            ("失败", Status::Failed),
            ("退回", Status::Returned),
            ("退票", Status::Returned),
        ] {
            assert_eq!(Status::parse(text), Some(status), "{text}");
        }
        assert_eq!(Status::parse("处理中"), None);
        assert_eq!(parse_filed("是"), Some(true));
        assert_eq!(parse_filed("No"), Some(false));
        assert_eq!(parse_filed("maybe"), None);
    }

    #[test]
    fn named_items_and_their_bases() {
        assert_eq!(
            Item::parse(Program::Dibao, "TIER_B"),
            Some((Item::Tier, "B"))
        );
        assert_eq!(
            Item::parse(Program::Dibao, "topup_elderly70"),
            Some((Item::Topup, "elderly70"))
        );
        for bad in [
            "tier_",
            "topup_a b",
            "tier_a+b",
            "topup_a;b",
            "tier_a,b",
            "tier",
        ] {
            assert_eq!(Item::parse(Program::Dibao, bad), None, "{bad}");
        }
        assert_eq!(Item::parse(Program::Tekun, "tier_B"), None);
        assert_eq!(Item::parse(Program::Dibao, "min_wage"), None);
        assert_eq!(
            Item::parse(Program::Tekun, "Min_Wage"),
            Some((Item::MinWage, ""))
        );
        assert_eq!(Item::base(Program::Dibao, Item::Standard), None);
        assert_eq!(Item::base(Program::Tekun, Item::MinWage), None);
        assert_eq!(
            Item::base(Program::Tekun, Item::CareFull),
            Some((Program::Tekun, Item::MinWage))
        );
        assert_eq!(
            Item::base(Program::Tekun, Item::Basic),
            Some((Program::Dibao, Item::Standard))
        );
        assert_eq!(
            Item::base(Program::Tekun, Item::PriceSubsidy),
            Some((Program::Dibao, Item::Standard))
        );
        assert_eq!(&*fold_rule_name("ELDERLY70"), "elderly70");
        assert_ne!(&*fold_rule_name("Ｄ"), &*fold_rule_name("ｄ"));
    }
}

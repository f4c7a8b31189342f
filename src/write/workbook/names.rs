//! The words of the workbooks in both languages: sheet names, column
//! titles, and the names of the finding codes, programs, stages, statuses
//! and severities (docs/formats.md lists them).

use crate::domain::{Cause, Code, Program, Severity, Stage};
use crate::engine::LineStatus;

/// The language of a workbook: Chinese (the default) or English.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// `zh` or `en`, as `--lang` takes them.
    pub fn parse(text: &str) -> Option<Lang> {
        match text.trim().to_ascii_lowercase().as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The Chinese or the English of a pair.
    pub fn pick<T>(self, zh: T, en: T) -> T {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// The name of a finding code in the workbook: official Chinese terms, or
/// short English ones. Every code has one (a test checks all 25).
pub fn code_name(code: Code, lang: Lang) -> &'static str {
    let (zh, en) = match code {
        Code::PaidToExcluded => ("违规发放(比对排除对象)", "Paid while excluded"),
        Code::PaidAfterExit => ("违规发放(已退出保障)", "Paid after exit"),
        Code::PaidNotEnrolled => ("违规发放(未纳入保障)", "Paid, not enrolled"),
        Code::NoStandard => ("保障标准缺失", "No standard in force"),
        Code::MissingPayment => ("未发放", "Missing payment"),
        Code::Shortfall => ("少发", "Shortfall"),
        Code::Overpayment => ("多发", "Overpayment"),
        Code::AllocationMismatch => ("资金拨付与应发不符", "Allocation differs from due"),
        Code::TransferMismatch => ("资金划拨与拨付不符", "Transfer differs from allocation"),
        Code::PayoutMismatch => ("银行发放与划拨不符", "Payout differs from transfer"),
        Code::DuplicatePayment => ("重复发放", "Duplicate payment"),
        Code::DuplicateEnrolment => ("重复享受(重复纳入保障)", "Duplicate enrolment"),
        Code::EnrolledWhileExcluded => ("比对排除对象仍在保", "Enrolled while excluded"),
        Code::IncomeAboveStandard => ("家庭收入超过保障标准", "Income above standard"),
        Code::UnfiledStaffRelative => ("工作人员近亲属未备案", "Unfiled staff relative"),
        Code::SharedAccount => ("多人共用发放账户", "Shared account"),
        Code::AccountMismatch => ("发放账户与登记不符", "Account differs from register"),
        Code::NameMismatch => ("户名与登记姓名不符", "Name differs from register"),
        Code::LatePayment => ("未按时发放", "Late payment"),
        Code::InvalidIdNumber => ("身份证号码校验错误", "Invalid ID number"),
        Code::DuplicateRecord => ("重复记录", "Duplicate record"),
        Code::BadRecord => ("数据无法读取", "Unreadable record"),
        Code::PossiblyMissed => ("疑似漏保", "Possibly missed (lead)"),
        Code::MemberExcluded => (
            "家庭成员不符合条件仍计入",
            "Member excluded, household still paid",
        ),
        Code::HouseholdSizeMismatch => ("保障人数与家庭成员不符", "Household size mismatch"),
    };
    lang.pick(zh, en)
}

/// What to do about a finding of `code`, and who does it (处理建议): the
/// next step a township office takes, printed beside every finding and
/// case. The docs' code table says the same.
pub fn code_advice(code: Code, lang: Lang) -> &'static str {
    let (zh, en) = match code {
        Code::PaidToExcluded => (
            "核实比对结果；属实的停发并追回违规发放资金（乡镇经办，县民政局审核）",
            "Check the data match; if it holds, stop payment and recover the money (township, county civil affairs)",
        ),
        Code::PaidAfterExit => (
            "停止发放，追回退出后发放的资金，核查退出是否已通知代发银行（乡镇经办）",
            "Stop payment, recover what was paid after exit, check the bank was told of the exit (township)",
        ),
        Code::PaidNotEnrolled => (
            "核实是否漏录花名册：在保的补录，不在保的追回资金（乡镇经办，县民政局）",
            "Check whether the roster misses the person: add them if enrolled, else recover the money (township, county)",
        ),
        Code::NoStandard => (
            "补录当月保障标准，核定后补发或追缴差额（县民政局）",
            "Enter the month's standard, then pay or recover the difference (county civil affairs)",
        ),
        Code::MissingPayment => (
            "查明未发原因（账户、退票），确认应发的及时补发（乡镇经办，代发银行）",
            "Find why nothing was paid (account, returned transfer) and pay what is due (township, paying bank)",
        ),
        Code::Shortfall => (
            "查明少发原因（是否未执行提标），按应发金额补发差额（乡镇经办，县财政）",
            "Find why less was paid (a raise not applied?) and pay the difference (township, county finance)",
        ),
        Code::Overpayment => (
            "查明多发原因，追回多发金额或在以后的发放中扣回（乡镇经办）",
            "Find why more was paid and recover it, or deduct it from later payments (township)",
        ),
        Code::AllocationMismatch => (
            "核对资金拨付文件与应发金额，调整拨付（县财政、县民政局）",
            "Compare the allocation with what is due and adjust it (county finance, civil affairs)",
        ),
        Code::TransferMismatch => (
            "核对划拨凭证与拨付金额（县财政，代发银行）",
            "Compare the transfer voucher with the allocation (county finance, paying bank)",
        ),
        Code::PayoutMismatch => (
            "向代发银行核对入账结果，查明差额去向（代发银行，乡镇经办）",
            "Check the credits with the paying bank and trace the difference (paying bank, township)",
        ),
        Code::DuplicatePayment => (
            "核实是否重复入账，追回重复发放的金额（乡镇经办，代发银行）",
            "Check for a double credit and recover the repeated amount (township, paying bank)",
        ),
        Code::DuplicateEnrolment => (
            "核查重复纳入，保留一项，追回重复享受的资金（乡镇经办，县民政局）",
            "Check the double enrolment, keep one, recover what was paid twice (township, county)",
        ),
        Code::EnrolledWhileExcluded => (
            "核实比对结果，属实的办理停保或退出手续（乡镇经办）",
            "Check the data match; if it holds, suspend or end the enrolment (township)",
        ),
        Code::IncomeAboveStandard => (
            "重新核定家庭收入，不符合条件的按程序退出（乡镇经办，县民政局）",
            "Assess the household's income again; end the enrolment if no longer eligible (township, county)",
        ),
        Code::UnfiledStaffRelative => (
            "补办近亲属备案，复核其保障资格（乡镇，县民政局）",
            "File the relative as the rules require and review the eligibility (township, county)",
        ),
        Code::SharedAccount => (
            "核实账户归属，不同家庭共用的账户逐一变更为本人账户（乡镇经办，代发银行）",
            "Check who holds the account; move each household to an account of its own (township, paying bank)",
        ),
        Code::AccountMismatch => (
            "核实发放账户，改为登记的本人账户或更新登记（乡镇经办，代发银行）",
            "Check the account paid into; use the registered one or update the register (township, paying bank)",
        ),
        Code::NameMismatch => (
            "核对户名与花名册姓名，更正登记或账户（乡镇经办，代发银行）",
            "Compare the account holder's name with the roster and correct one of them (township, paying bank)",
        ),
        Code::LatePayment => (
            "查明延迟原因，按规定时限发放（乡镇经办，代发银行）",
            "Find the cause of the delay and pay on time from now on (township, paying bank)",
        ),
        Code::InvalidIdNumber => (
            "核对身份证件，更正身份证号码（乡镇经办）",
            "Check the ID card and correct the number (township)",
        ),
        Code::DuplicateRecord => (
            "核对重复的记录编号，删除重复导出的行（报送数据的单位）",
            "Check the repeated record id and remove the row exported twice (whoever sent the file)",
        ),
        Code::BadRecord => (
            "按说明修正该行数据后重新对账（报送数据的单位）",
            "Correct the row as the detail says and reconcile again (whoever sent the file)",
        ),
        Code::PossiblyMissed => (
            "入户核查，符合条件的引导申请纳入保障（村（社区），乡镇）",
            "Visit the household; if eligible, help them apply (village, township)",
        ),
        Code::MemberExcluded => (
            "核减死亡或不符合条件的成员，重新核定保障金额，追回多发部分（乡镇经办）",
            "Remove the member, assess the amount again and recover what was overpaid (township)",
        ),
        Code::HouseholdSizeMismatch => (
            "核对家庭成员信息，更正保障人数并重新核定金额（乡镇经办）",
            "Check the household's members, correct the size and assess the amount again (township)",
        ),
    };
    lang.pick(zh, en)
}

pub fn program_name(program: Program, lang: Lang) -> &'static str {
    let (zh, en) = match program {
        Program::Dibao => ("低保", "Dibao"),
        Program::Tekun => ("特困供养", "Tekun"),
        Program::Temp => ("临时救助", "Temporary assistance"),
        Program::PriceSubsidy => ("价格临时补贴", "Price subsidy"),
    };
    lang.pick(zh, en)
}

pub fn severity_name(severity: Severity, lang: Lang) -> &'static str {
    let (zh, en) = match severity {
        Severity::High => ("高", "high"),
        Severity::Medium => ("中", "medium"),
        Severity::Low => ("低", "low"),
    };
    lang.pick(zh, en)
}

/// A region column's title when regions.csv gives the names the column
/// then shows (`named`): 区划代码 no longer, but the village or region.
pub fn region_title(title: &'static str, named: bool) -> &'static str {
    match title {
        "区划代码" if named => "区划名称",
        "区划代码(村/社区)" if named => "村(社区)",
        "Region code (village)" if named => "Village",
        other => other,
    }
}

/// Where a shortfall began (findings.csv `stage`).
pub fn stage_name(stage: Stage, lang: Lang) -> &'static str {
    let (zh, en) = match stage {
        Stage::Allocation => ("资金拨付", "allocation"),
        Stage::Transfer => ("资金划拨", "transfer"),
        Stage::Payout => ("银行发放", "payout"),
    };
    lang.pick(zh, en)
}

pub fn cause_name(cause: Cause, lang: Lang) -> &'static str {
    match cause {
        Cause::StandardRaiseNotApplied => {
            lang.pick("提标后仍按原标准发放", "standard raise not applied")
        }
        Cause::RosterRowUnreadable => lang.pick("花名册该行无法读取", "roster row unreadable"),
    }
}

/// A ledger line's status (ledger.csv `status`).
pub fn status_name(status: LineStatus, lang: Lang) -> &'static str {
    let (zh, en) = match status {
        LineStatus::Ok => ("正常", "ok"),
        LineStatus::Missing => ("未发放", "missing"),
        LineStatus::Shortfall => ("少发", "shortfall"),
        LineStatus::Over => ("多发", "over"),
        LineStatus::Excluded => ("比对排除", "excluded"),
        LineStatus::AfterExit => ("退出后发放", "after exit"),
        LineStatus::NotEnrolled => ("未纳入保障", "not enrolled"),
        LineStatus::NoStandard => ("标准缺失", "no standard"),
    };
    lang.pick(zh, en)
}

/// Sheet names (at most 31 characters; a continuation adds ` (2)`).
pub struct SheetNames {
    pub about: &'static str,
    pub summary: &'static str,
    pub findings: &'static str,
    pub cases: &'static str,
    pub ledger: &'static str,
    pub notice: &'static str,
    /// The notice's second sheet: who is left out of it, and why.
    pub left_out: &'static str,
    /// The printed lists of report.xlsx: back pay, recovery, the register
    /// and the month's report.
    pub backpay: &'static str,
    pub recover: &'static str,
    pub register: &'static str,
    pub monthly: &'static str,
}

pub fn sheet_names(lang: Lang) -> SheetNames {
    match lang {
        Lang::Zh => SheetNames {
            about: "说明",
            summary: "汇总",
            findings: "问题清单",
            cases: "问题汇总",
            ledger: "台账",
            notice: "公示",
            left_out: "未列入公示",
            backpay: "补发清单",
            recover: "追缴清单",
            register: "整改台账",
            monthly: "月报",
        },
        Lang::En => SheetNames {
            about: "About",
            summary: "Summary",
            findings: "Findings",
            cases: "Findings by case",
            ledger: "Ledger",
            notice: "Notice",
            left_out: "Not in the notice",
            backpay: "Back pay",
            recover: "Recovery",
            register: "Register",
            monthly: "Monthly",
        },
    }
}

/// Column titles of the 汇总 sheet (summary.csv's columns).
pub fn summary_titles(lang: Lang) -> [&'static str; 12] {
    match lang {
        Lang::Zh => [
            "区划代码",
            "项目",
            "所属期",
            "笔数",
            "应发",
            "拨付",
            "划拨",
            "实发",
            "少发",
            "多发",
            "违规发放",
            "足额发放率",
        ],
        Lang::En => [
            "Region",
            "Program",
            "Month",
            "Lines",
            "Due (E)",
            "Allocated (A)",
            "Transferred (T)",
            "Paid (P)",
            "Shortfall",
            "Overpaid",
            "Improper",
            "Delivery rate",
        ],
    }
}

/// The columns of 问题清单 that print (the first ones).
pub const FINDING_PRINTED_COLUMNS: u16 = 11;

/// Column titles of the 问题清单 sheet (findings.csv's columns, the code's
/// name first and the code itself last). The first
/// [`FINDING_PRINTED_COLUMNS`] are what a printout needs — who, what, how
/// much, what to do, the evidence — and print at a legible size; the
/// figures behind them follow, for the screen.
pub fn finding_titles(lang: Lang) -> [&'static str; 19] {
    match lang {
        Lang::Zh => [
            "问题类型",
            "严重程度",
            "身份证号",
            "姓名",
            "区划代码",
            "项目",
            "所属期",
            "涉及金额",
            "说明",
            "处理建议",
            "依据(文件:行)",
            "账号",
            "应发",
            "拨付",
            "划拨",
            "实发",
            "问题环节",
            "原因",
            "问题代码",
        ],
        Lang::En => [
            "Finding",
            "Severity",
            "ID number",
            "Name",
            "Region",
            "Program",
            "Month",
            "Amount",
            "Detail",
            "What to do",
            "Sources (file:line)",
            "Account",
            "Due (E)",
            "Allocated (A)",
            "Transferred (T)",
            "Paid (P)",
            "Stage",
            "Cause",
            "Code",
        ],
    }
}

/// Column titles of the 问题汇总 sheet.
pub fn case_titles(lang: Lang) -> [&'static str; 11] {
    match lang {
        Lang::Zh => [
            "身份证号",
            "姓名",
            "区划代码",
            "项目",
            "问题类型",
            "严重程度",
            "所属期",
            "问题条数",
            "涉及金额合计",
            "问题代码",
            "处理建议",
        ],
        Lang::En => [
            "ID number",
            "Name",
            "Region",
            "Program",
            "Finding",
            "Severity",
            "Months",
            "Findings",
            "Total amount",
            "Code",
            "What to do",
        ],
    }
}

/// Column titles of the 台账 sheet (ledger.csv's columns, village first).
pub fn ledger_titles(lang: Lang) -> [&'static str; 10] {
    match lang {
        Lang::Zh => [
            "区划代码(村/社区)",
            "身份证号",
            "姓名",
            "项目",
            "所属期",
            "应发",
            "拨付",
            "划拨",
            "实发",
            "状态",
        ],
        Lang::En => [
            "Region (village)",
            "ID number",
            "Name",
            "Program",
            "Month",
            "Due (E)",
            "Allocated (A)",
            "Transferred (T)",
            "Paid (P)",
            "Status",
        ],
    }
}

/// Column titles of the notice's second sheet (未列入公示).
pub fn left_out_titles(lang: Lang) -> [&'static str; 6] {
    match lang {
        Lang::Zh => [
            "序号",
            "名册行",
            "区划代码(村/社区)",
            "项目",
            "姓名",
            "未列入公示的原因",
        ],
        Lang::En => [
            "No.",
            "Roster row",
            "Region code (village)",
            "Program",
            "Name",
            "Why it is not in the notice",
        ],
    }
}

/// Column titles of the notice (公示).
pub fn notice_titles(lang: Lang) -> [&'static str; 7] {
    match lang {
        Lang::Zh => [
            "序号",
            "区划代码(村/社区)",
            "项目",
            "姓名",
            "家庭人口",
            "月保障金额(元)",
            "备注",
        ],
        Lang::En => [
            "No.",
            "Region (village)",
            "Program",
            "Name",
            "Household size",
            "Monthly amount (yuan)",
            "Note",
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code has a distinct name in each language.
    #[test]
    fn every_code_has_a_distinct_name_in_both_languages() {
        for lang in [Lang::Zh, Lang::En] {
            let mut names: Vec<&str> = Code::ALL
                .iter()
                .map(|&code| code_name(code, lang))
                .collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), Code::ALL.len(), "{lang:?}");
        }
        assert_eq!(code_name(Code::Shortfall, Lang::Zh), "少发");
        assert_eq!(code_name(Code::MissingPayment, Lang::Zh), "未发放");
        assert_eq!(code_name(Code::Overpayment, Lang::Zh), "多发");
        assert_eq!(
            code_name(Code::PaidToExcluded, Lang::Zh),
            "违规发放(比对排除对象)"
        );
    }

    #[test]
    fn sheet_names_fit_excel_with_a_continuation_number() {
        for lang in [Lang::Zh, Lang::En] {
            let names = sheet_names(lang);
            for name in [
                names.about,
                names.summary,
                names.findings,
                names.cases,
                names.ledger,
                names.notice,
                names.left_out,
                names.backpay,
                names.recover,
                names.register,
                names.monthly,
            ] {
                assert!(name.chars().count() + " (9999)".len() <= 31, "{name}");
            }
        }
    }
}

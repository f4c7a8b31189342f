//! A finding's explanation in the words a person reads (report.xlsx's 说明
//! column, and wherever a person reads a finding): rendered here, at the
//! writing edge, from the facts the engine hands over ([`Detail`]).
//! English is the machine form itself (findings.csv's `detail`); Chinese
//! says the same facts the way a township office writes them, money in 元
//! and months as 2024年7月.

use std::fmt::Write;

use crate::domain::text::{excerpt, first_listed, MAX_LISTED_ITEMS};
use crate::domain::{Code, Date, Detail, Finding, Period, TrailPair};

use super::names::{program_name, Lang};

/// The explanation of `finding` in `lang`.
pub fn explain(finding: &Finding, lang: Lang) -> String {
    match lang {
        Lang::En => finding.detail.to_string(),
        Lang::Zh => chinese(finding.code, &finding.detail),
    }
}

/// `2024年7月`.
pub fn month_zh(period: Period) -> String {
    format!("{}年{}月", period.year(), period.month())
}

/// `2024年7月11日`.
fn day_zh(date: Date) -> String {
    let (year, month, day) = date.year_month_day();
    format!("{year}年{month}月{day}日")
}

/// Items joined by `、`, each cut to length, at most
/// [`MAX_LISTED_ITEMS`] of them and then how many more (`…等12项`).
fn listed_zh<'i>(items: impl IntoIterator<Item = &'i str>) -> String {
    let (mut text, count) = first_listed(items, "、");
    if count > MAX_LISTED_ITEMS {
        write!(text, "等共{count}项").expect("writing to a String cannot fail");
    }
    text
}

fn boxed(items: &[Box<str>]) -> impl Iterator<Item = &str> {
    items.iter().map(AsRef::as_ref)
}

fn program(program: crate::domain::Program) -> &'static str {
    program_name(program, Lang::Zh)
}

fn chinese(code: Code, detail: &Detail) -> String {
    match detail {
        Detail::Empty => String::new(),
        Detail::Reader(text) => {
            format!("此行无法读取，请按以下所述改正来源文件后重新对账：{text}")
        }
        Detail::ExpectedPaid { expected, paid } => {
            if code == Code::Overpayment {
                format!(
                    "应发{expected}元，实发{paid}元，多发{}元",
                    (*paid - *expected).abs()
                )
            } else {
                format!(
                    "应发{expected}元，实发{paid}元，少发{}元",
                    (*expected - *paid).abs()
                )
            }
        }
        Detail::PaidWhileExcluded { paid, reasons } => format!(
            "此人已属不得享受情形（{}），仍发放{paid}元",
            listed_zh(boxed(reasons))
        ),
        Detail::PaidNotEnrolled { paid, program: which } => {
            format!("花名册中没有此人的{}在册记录，却发放{paid}元", program(*which))
        }
        Detail::PaidAfterEnded {
            paid,
            enrolment_id,
            program: which,
            last,
            phase_out_from,
        } => {
            let mut text = format!(
                "{}在册记录{}已于{}终止",
                program(*which),
                excerpt(enrolment_id),
                month_zh(*last)
            );
            if let Some(from) = phase_out_from {
                write!(text, "（自{}起渐退）", month_zh(*from))
                    .expect("writing to a String cannot fail");
            }
            write!(text, "，之后仍发放{paid}元").expect("writing to a String cannot fail");
            text
        }
        Detail::PaidAfterProgram { paid, program: which } => {
            format!("此人的{}在册记录已终止，之后仍发放{paid}元", program(*which))
        }
        Detail::RosterRowUnreadable { said, rows } => format!(
            "{}；此人在花名册中的行{}无法读取：改正该行后重新对账，这笔钱可能是应发的",
            chinese(code, said),
            listed_zh(boxed(rows))
        ),
        Detail::NoStandard { program: which, period } => format!(
            "{}没有有效的{}保障标准，无法核定应发金额：请补录该月标准",
            month_zh(*period),
            program(*which)
        ),
        Detail::Differ { pair, difference } => {
            let what = match pair {
                TrailPair::AllocatedExpected => "拨付金额与应发金额",
                TrailPair::TransferredAllocated => "划拨金额与拨付金额",
                TrailPair::PaidTransferred => "银行发放金额与划拨金额",
            };
            format!("{what}相差{difference}元")
        }
        Detail::DuplicateEnrolment {
            first,
            first_program,
            second,
            second_program,
            period,
        } => format!(
            "在册记录{}（{}）与{}（{}）同时覆盖{}",
            excerpt(first),
            program(*first_program),
            excerpt(second),
            program(*second_program),
            month_zh(*period)
        ),
        Detail::EnrolledWhileExcluded {
            enrolment_id,
            period,
            from,
            reason,
            effective,
        } => {
            let mut text = format!(
                "在册记录{}覆盖{}，但此人自{}起属不得享受情形（{}",
                excerpt(enrolment_id),
                month_zh(*period),
                month_zh(*from),
                excerpt(reason)
            );
            if let Some(start) = effective {
                write!(text, "，过渡期后自{}起生效", month_zh(*start))
                    .expect("writing to a String cannot fail");
            }
            text.push('）');
            text
        }
        Detail::IncomeAboveStandard {
            enrolment_id,
            income,
            standard,
            gap,
        } => format!(
            "在册记录{}：家庭月人均收入{income}元，不低于当月保障标准{standard}元（补差{gap}元），已不符合低保条件：请复核收入",
            excerpt(enrolment_id)
        ),
        Detail::UnfiledRelative { staff } => {
            let staff: Vec<String> = staff
                .iter()
                .map(|(name, relation)| format!("{}（{}）", excerpt(name), excerpt(relation)))
                .collect();
            format!(
                "系经办人员{}的近亲属，未按规定备案",
                listed_zh(staff.iter().map(String::as_str))
            )
        }
        Detail::DuplicateRecord { record_id, first } => format!(
            "记录编号{}与{first}重复，以首次出现的一行为准",
            excerpt(record_id)
        ),
        Detail::InvalidIdNumber { id_number } => format!(
            "身份证号码“{}”不是17位数字加正确的校验位（GB 11643）",
            excerpt(id_number)
        ),
        Detail::MemberExcluded {
            household,
            name,
            member_id,
            from,
            reason,
        } => {
            let who = if name.is_empty() {
                member_id.to_string()
            } else {
                format!("{}（{member_id}）", excerpt(name))
            };
            format!(
                "户{}的成员{who}自{}起属不得享受情形（{}），该户仍按含此人的人数发放",
                excerpt(household),
                month_zh(*from),
                excerpt(reason)
            )
        }
        Detail::HouseholdSizeMismatch {
            enrolment_id,
            size,
            listed,
            household,
        } => format!(
            "在册记录{}按{size}人户发放，家庭成员表中户{}只列{listed}人",
            excerpt(enrolment_id),
            excerpt(household)
        ),
        Detail::PossiblyMissed {
            list,
            reason,
            month,
        } => format!(
            "{}将此人列入（{}，{}），当月此人既不在低保、特困在册，也不是在册家庭的成员：请入户核查",
            excerpt(list),
            excerpt(reason),
            month_zh(*month)
        ),
        Detail::LatePayment { paid_on, deadline } => format!(
            "{}发放，晚于规定的发放截止日{}",
            day_zh(*paid_on),
            day_zh(*deadline)
        ),
        Detail::AccountMismatch {
            account,
            registered,
        } => {
            let registered = if registered.is_empty() {
                "（未登记）".to_string()
            } else {
                listed_zh(boxed(registered))
            };
            format!(
                "款项打入账户{}，花名册登记的账户为{registered}",
                excerpt(account)
            )
        }
        Detail::NameMismatch { bank_name, roster } => format!(
            "银行户名“{}”，花名册姓名为{}",
            excerpt(bank_name),
            listed_zh(boxed(roster))
        ),
        Detail::DuplicatePayment { amount, ids } => format!(
            "同一月份重复发放{}笔，每笔{amount}元：{}",
            ids.len(),
            listed_zh(boxed(ids))
        ),
        Detail::SharedAccount { account, ids } => format!(
            "{}人的款项打入同一账户{}：{}",
            ids.len(),
            excerpt(account),
            listed_zh(boxed(ids))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Money, Program};

    fn finding(code: Code, detail: Detail) -> Finding {
        let mut finding = Finding::new(code, "110101198001010010");
        finding.detail = detail;
        finding
    }

    fn yuan(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn period(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    #[test]
    fn a_shortfall_says_what_was_due_paid_and_missing() {
        let shortfall = finding(
            Code::Shortfall,
            Detail::ExpectedPaid {
                expected: yuan("500.00"),
                paid: yuan("450.00"),
            },
        );
        assert_eq!(
            explain(&shortfall, Lang::Zh),
            "应发500.00元，实发450.00元，少发50.00元"
        );
        assert_eq!(
            explain(&shortfall, Lang::En),
            "expected 500.00, paid 450.00"
        );
        let over = finding(
            Code::Overpayment,
            Detail::ExpectedPaid {
                expected: yuan("500.00"),
                paid: yuan("800.00"),
            },
        );
        assert_eq!(
            explain(&over, Lang::Zh),
            "应发500.00元，实发800.00元，多发300.00元"
        );
    }

    #[test]
    fn an_unreadable_roster_row_wraps_what_the_payment_was() {
        let said = Detail::PaidAfterEnded {
            paid: yuan("600.00"),
            enrolment_id: "E1".into(),
            program: Program::Dibao,
            last: period("2024-03"),
            phase_out_from: Some(period("2024-01")),
        };
        let finding = finding(
            Code::PaidAfterExit,
            Detail::RosterRowUnreadable {
                said: Box::new(said),
                rows: vec!["roster.xlsx:14".into()],
            },
        );
        assert_eq!(
            explain(&finding, Lang::Zh),
            "低保在册记录E1已于2024年3月终止（自2024年1月起渐退），之后仍发放600.00元；\
             此人在花名册中的行roster.xlsx:14无法读取：改正该行后重新对账，这笔钱可能是应发的"
        );
        assert_eq!(
            explain(&finding, Lang::En),
            "paid 600.00 after enrolment E1 (dibao) ended in 2024-03 (phase-out from 2024-01); \
             the person's roster row roster.xlsx:14 could not be read: correct it, and the payment may be due"
        );
    }

    #[test]
    fn long_lists_are_cut_and_counted() {
        let ids: Vec<Box<str>> = (1..=12).map(|n| format!("P{n}").into()).collect();
        let finding = finding(
            Code::DuplicatePayment,
            Detail::DuplicatePayment {
                amount: yuan("100.00"),
                ids,
            },
        );
        let text = explain(&finding, Lang::Zh);
        assert!(
            text.starts_with("同一月份重复发放12笔，每笔100.00元：P1、P2、"),
            "{text}"
        );
        assert!(text.ends_with("P10等共12项"), "{text}");
    }

    #[test]
    fn dates_and_months_are_written_the_chinese_way() {
        let late = finding(
            Code::LatePayment,
            Detail::LatePayment {
                paid_on: Date::parse("2024-07-11").unwrap(),
                deadline: Date::parse("2024-07-10").unwrap(),
            },
        );
        assert_eq!(
            explain(&late, Lang::Zh),
            "2024年7月11日发放，晚于规定的发放截止日2024年7月10日"
        );
    }
}

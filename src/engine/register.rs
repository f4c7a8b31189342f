//! The rectification register (整改台账, SPEC v3 §6.1): each run's
//! problems as items carried from run to run — found, still open, overdue,
//! closed when a later run that looks again no longer finds them (对账销号),
//! and reopened when a closed one comes back (possible 虚假整改). Pure: the
//! earlier register and this run's findings in, the new register out.

#[cfg(test)]
use crate::domain::register::ItemStatus;
use crate::domain::register::{Item, ItemNumber, ItemValues, Register};
use crate::domain::{Code, Finding, Period, PeriodRange};

/// One problem this run found: its key and values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub key: Box<str>,
    pub values: ItemValues,
    /// The finding's period, for the re-check of a later run.
    pub period: Option<PeriodRange>,
}

/// How an item changed in this run, for the register's sheet and the
/// monthly report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Transitions {
    pub new: usize,
    pub still_open: usize,
    pub reopened: usize,
    pub closed: usize,
    pub kept: usize,
}

/// Is an item of this key word checked by a run only when its period lies
/// inside the run's window (the problems of a line or a payout), or by
/// every run (those judged over the whole window or file)?
fn checked_by_period(word: &str) -> bool {
    matches!(
        word,
        "OUTCOME"
            | "ALLOCATION_MISMATCH"
            | "TRANSFER_MISMATCH"
            | "PAYOUT_MISMATCH"
            | "DUPLICATE_PAYMENT"
            | "ACCOUNT_MISMATCH"
            | "NAME_MISMATCH"
            | "LATE_PAYMENT"
            | "POSSIBLY_MISSED"
    )
}

/// The first field of a key: the code, or `OUTCOME`.
fn key_word(key: &str) -> &str {
    let mut end = 0;
    let bytes = key.as_bytes();
    while end < bytes.len() && bytes[end] != b'|' {
        end += 1;
    }
    &key[..end]
}

/// Is `item` looked at again by a run over `window`?
fn rechecked(item: &Item, window: PeriodRange) -> bool {
    if !checked_by_period(key_word(&item.key)) {
        return true;
    }
    item.period
        .is_some_and(|period| window.first <= period.first && period.last <= window.last)
}

/// The register after a run labelled `label` over `window` that found
/// `found` (in findings.csv order; one key found twice is one item, the
/// first giving its values), from the `earlier` register (`None`: the
/// first run). Items already in the earlier register keep their numbers;
/// new items take the numbers after the largest one held for `label`.
pub fn next_register(
    earlier: Option<Register>,
    found: Vec<Found>,
    label: Period,
    window: PeriodRange,
    rectify_months: u32,
) -> (Register, Transitions) {
    assert!(
        window.last == label,
        "a run is labelled by its window's last month"
    );
    // Taken, not copied: an office's register of 50,000 items is carried
    // on in place.
    let mut register = earlier.unwrap_or_default();
    let mut transitions = Transitions::default();
    let mut index: rustc_hash::FxHashMap<Box<str>, usize> = register
        .items
        .iter()
        .enumerate()
        .map(|(position, item)| (item.key.clone(), position))
        .collect();
    debug_assert_eq!(index.len(), register.items.len(), "keys are unique");
    let mut next_number = register
        .items
        .iter()
        .filter(|item| item.item.label == label)
        .map(|item| item.item.number)
        .max()
        .unwrap_or(0);
    let mut seen = vec![false; register.items.len()];
    let office_width = register.office_columns.len();
    for problem in found {
        match index.get(&problem.key) {
            Some(&position) if position < seen.len() => {
                if seen[position] {
                    continue;
                }
                seen[position] = true;
                let item = &mut register.items[position];
                if item.closed {
                    item.reopened += 1;
                    item.closed = false;
                    item.closed_in = None;
                    transitions.reopened += 1;
                } else {
                    transitions.still_open += 1;
                }
                item.values = problem.values;
                item.period = problem.period;
                item.last_found = Some(label);
            }
            // Found twice in this run: the first gave the item.
            Some(_) => {}
            None => {
                next_number += 1;
                let item = Item {
                    item: ItemNumber {
                        label,
                        number: next_number,
                    },
                    values: problem.values,
                    first_found: label,
                    last_found: Some(label),
                    due: label.plus_months(rectify_months),
                    closed: false,
                    closed_in: None,
                    reopened: 0,
                    key: problem.key.clone(),
                    office: vec![Box::from(""); office_width],
                    period: problem.period,
                };
                index.insert(problem.key, register.items.len());
                register.items.push(item);
                transitions.new += 1;
            }
        }
    }
    for (position, item) in register.items.iter_mut().enumerate().take(seen.len()) {
        if seen[position] || item.closed {
            continue;
        }
        if rechecked(item, window) {
            item.closed = true;
            item.closed_in = Some(label);
            transitions.closed += 1;
        } else {
            transitions.kept += 1;
        }
    }
    register.items.sort_by_key(|item| item.item);
    (register, transitions)
}

/// An earlier register is of this run's month or before: `Err` with the
/// first item last found or closed after `label` (SPEC §6.1: the register
/// of a later run stops the run).
pub fn check_label(earlier: &Register, label: Period) -> Result<(), ItemNumber> {
    match earlier.items.iter().find(|item| {
        item.last_found.is_some_and(|found| found > label)
            || item.closed_in.is_some_and(|closed| closed > label)
    }) {
        Some(item) => Err(item.item),
        None => Ok(()),
    }
}

/// Escapes one field of a key: `\` → `\\`, `|` → `\|`.
pub fn escape_key_field(field: &str, into: &mut String) {
    for character in field.chars() {
        if matches!(character, '\\' | '|') {
            into.push('\\');
        }
        into.push(character);
    }
}

/// The key of a finding (SPEC §6.1): its code — `OUTCOME` for a line
/// outcome — and the fields that identify it, each escaped, joined by `|`.
pub fn key_of(finding: &Finding) -> Box<str> {
    let word = if is_line_outcome(finding.code) {
        "OUTCOME"
    } else {
        finding.code.name()
    };
    let mut key = String::from(word);
    for field in key_fields(finding) {
        key.push('|');
        escape_key_field(&field, &mut key);
    }
    key.into()
}

/// The seven line outcomes of SPEC §5.
pub fn is_line_outcome(code: Code) -> bool {
    matches!(
        code,
        Code::PaidToExcluded
            | Code::PaidAfterExit
            | Code::PaidNotEnrolled
            | Code::NoStandard
            | Code::MissingPayment
            | Code::Shortfall
            | Code::Overpayment
    )
}

/// The key fields after the code (SPEC §6.1's table).
fn key_fields(finding: &Finding) -> Vec<String> {
    let line = || {
        vec![
            finding.id_number.to_string(),
            finding
                .program
                .map_or(String::new(), |program| program.name().to_string()),
            finding
                .period
                .map_or(String::new(), |period| period.to_string()),
        ]
    };
    let subject = || finding.subject.iter().map(ToString::to_string);
    match finding.code {
        code if is_line_outcome(code) => line(),
        Code::AllocationMismatch | Code::TransferMismatch | Code::PayoutMismatch => line(),
        Code::DuplicatePayment => line().into_iter().chain(subject()).collect(),
        Code::UnfiledStaffRelative | Code::InvalidIdNumber => {
            vec![finding.id_number.to_string()]
        }
        Code::SharedAccount => vec![finding.account.to_string()],
        Code::BadRecord => vec![finding.sources.to_string()],
        _ => subject().collect(),
    }
}

/// The values an item keeps of a finding.
pub fn values_of(finding: &Finding) -> ItemValues {
    ItemValues {
        code: finding.code.name().into(),
        severity: finding.code.severity().name().into(),
        id_number: finding.id_number.clone(),
        name: finding.name.clone(),
        region: finding.region.clone(),
        program: finding
            .program
            .map_or(Box::from(""), |program| program.name().into()),
        period: finding
            .period
            .map_or(Box::from(""), |period| period.to_string().into()),
        amount: finding
            .amount
            .map_or(Box::from(""), |amount| amount.to_string().into()),
    }
}

/// This run's findings as register problems, in findings.csv order.
pub fn found_of(findings: &[Finding]) -> Vec<Found> {
    use rayon::prelude::*;
    findings
        .par_iter()
        .map(|finding| Found {
            key: key_of(finding),
            values: values_of(finding),
            period: finding.period,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(text: &str) -> Period {
        Period::parse(text).expect("a period")
    }

    fn range(text: &str) -> PeriodRange {
        PeriodRange::parse(text).expect("a range")
    }

    fn found(key: &str, period: Option<&str>) -> Found {
        Found {
            key: key.into(),
            values: ItemValues {
                code: "SHORTFALL".into(),
                period: period.unwrap_or_default().into(),
                ..ItemValues::default()
            },
            period: period.map(range),
        }
    }

    #[test]
    fn item_numbers_read_and_write_as_label_and_four_digits() {
        let item = ItemNumber::parse("202406-0001").expect("an item");
        assert_eq!(item.label, period("2024-06"));
        assert_eq!(item.number, 1);
        assert_eq!(item.to_string(), "202406-0001");
        assert_eq!(
            ItemNumber {
                label: period("2024-06"),
                number: 12_345
            }
            .to_string(),
            "202406-12345"
        );
        for bad in [
            "2024-06-0001",
            "202406-1",
            "202413-0001",
            "202406-0000",
            "x",
            "",
        ] {
            assert!(ItemNumber::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn keys_escape_backslashes_and_bars() {
        let mut key = String::new();
        escape_key_field("vehicle|car\\van", &mut key);
        assert_eq!(key, "vehicle\\|car\\\\van");
    }

    /// SPEC §6.1's table, row by row.
    #[test]
    fn a_register_carries_items_through_every_transition() {
        let june = period("2024-06");
        let first_window = range("2024-01..2024-06");
        let (first, transitions) = next_register(
            None,
            vec![
                found("OUTCOME|A|dibao|2024-03", Some("2024-03")),
                found("OUTCOME|B|dibao|2024-04", Some("2024-04")),
                found("OUTCOME|A|dibao|2024-03", Some("2024-03")),
                found("UNFILED_STAFF_RELATIVE|C", None),
            ],
            june,
            first_window,
            1,
        );
        assert_eq!(transitions.new, 3);
        let numbers: Vec<String> = first
            .items
            .iter()
            .map(|item| item.item.to_string())
            .collect();
        assert_eq!(numbers, ["202406-0001", "202406-0002", "202406-0003"]);
        assert!(first.items.iter().all(|item| item.due == period("2024-07")));
        assert_eq!(first.items[0].status_at(june), ItemStatus::Open);

        // September, over 2024-01..2024-09: A still found, B fixed (its
        // period is inside the window: closed), C not found (every run
        // re-checks it: closed), D new.
        let september = period("2024-09");
        let (second, transitions) = next_register(
            Some(first.clone()),
            vec![
                found("OUTCOME|A|dibao|2024-03", Some("2024-03")),
                found("OUTCOME|D|dibao|2024-08", Some("2024-08")),
            ],
            september,
            range("2024-01..2024-09"),
            1,
        );
        assert_eq!(
            transitions,
            Transitions {
                new: 1,
                still_open: 1,
                reopened: 0,
                closed: 2,
                kept: 0
            }
        );
        let a = &second.items[0];
        assert_eq!(a.status_at(september), ItemStatus::Overdue);
        assert_eq!(a.last_found, Some(september));
        assert_eq!(second.items[1].closed_in, Some(september));
        assert_eq!(second.items[3].item.to_string(), "202409-0001");

        // December over 2024-09..2024-12: A's period is before the window,
        // so it is carried, not closed; B comes back: reopened, overdue at
        // once (its first_found and due are kept).
        let december = period("2024-12");
        let (third, transitions) = next_register(
            Some(second.clone()),
            vec![found("OUTCOME|B|dibao|2024-04", Some("2024-04"))],
            december,
            range("2024-09..2024-12"),
            1,
        );
        assert_eq!(transitions.reopened, 1);
        assert_eq!(transitions.kept, 2, "A and D: periods before the window");
        let a = &third.items[0];
        assert_eq!(a.closed_in, None);
        assert_eq!(a.status_at(december), ItemStatus::Overdue);
        let b = &third.items[1];
        assert_eq!((b.reopened, b.closed_in), (1, None));
        assert_eq!(b.first_found, june);
        assert_eq!(b.status_at(december), ItemStatus::Overdue);
        // D's period 2024-08 is before the window too: kept open.
        assert_eq!(third.items[3].closed_in, None);
        // C stays closed as it was.
        assert_eq!(third.items[2].closed_in, Some(september));
    }

    #[test]
    fn a_month_run_again_numbers_after_the_items_of_its_label() {
        let june = period("2024-06");
        let window = range("2024-06..2024-06");
        let (first, _) = next_register(
            None,
            vec![found("BAD_RECORD|a.csv:2", None)],
            june,
            window,
            1,
        );
        let (again, _) = next_register(
            Some(first.clone()),
            vec![
                found("BAD_RECORD|a.csv:2", None),
                found("BAD_RECORD|a.csv:3", None),
            ],
            june,
            window,
            1,
        );
        let numbers: Vec<String> = again
            .items
            .iter()
            .map(|item| item.item.to_string())
            .collect();
        assert_eq!(numbers, ["202406-0001", "202406-0002"]);
    }
}

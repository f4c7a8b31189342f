//! Small hand-built cases for the engine's unit tests: a few persons,
//! their enrolments, standards and stage records, and the person as the
//! rules see them.

use super::context::Context;
use super::person::Person;
use super::persons::Groupings;
use crate::case::{
    Case, Enrolment, Exclusion, PersonId, Relative, StageChunk, StageFile, StageRecord,
    StandardRow, TextArena,
};
use crate::domain::{
    Amount, CareLevel, Date, FileKind, Finding, Item, Money, Period, PeriodRange, Program, Source,
    Stage, Status,
};

/// The persons of a test case, in id_number order: `PersonId(0)` is
/// [`FIRST`], `PersonId(1)` [`SECOND`].
pub const FIRST: &str = "110101198001010010";
pub const SECOND: &str = "110101198001010029";
pub const THIRD: &str = "110101198001010037";

pub fn period(text: &str) -> Period {
    Period::parse(text).expect("a period")
}

pub fn range(text: &str) -> PeriodRange {
    PeriodRange::parse(text).expect("a period or range")
}

pub fn yuan(text: &str) -> Money {
    Money::parse(text).expect("money")
}

/// A dibao enrolment of `person` (household of one, no income, region
/// 110101, named 张一), roster line `line`.
pub fn dibao(person: u32, line: u32, start: &str, end: Option<&str>) -> Enrolment {
    Enrolment {
        source: Source::new(FileKind::Roster, line),
        person: PersonId(person),
        enrolment_id: format!("D{line}").into(),
        name: "张一".into(),
        household_id: "".into(),
        region: "110101".into(),
        program: Program::Dibao,
        household_size: 1,
        per_capita_income: Money::ZERO,
        deductions: Money::ZERO,
        care_level: None,
        centralized: false,
        approved_amount: Money::ZERO,
        start: period(start),
        end: end.map(period),
        phase_out_from: None,
        last_covered: end.map(period),
        account: "".into(),
        local_rules: None,
    }
}

/// A dispersed tekun enrolment of `person`, self-care.
pub fn tekun(person: u32, line: u32, start: &str, end: Option<&str>) -> Enrolment {
    Enrolment {
        enrolment_id: format!("T{line}").into(),
        program: Program::Tekun,
        care_level: Some(CareLevel::SelfCare),
        ..dibao(person, line, start, end)
    }
}

/// Standards in force everywhere from 2020-01: dibao standard 500, tekun
/// basic 800 and self-care 100; price subsidies of 20 (dibao, a person)
/// and 30 (tekun).
pub fn standards() -> Vec<StandardRow> {
    let row = |line, program, item, amount: &str| StandardRow {
        source: Source::new(FileKind::Standards, line),
        region: "".into(),
        program,
        item,
        name: "".into(),
        effective_from: period("2020-01"),
        amount: Amount::Money(yuan(amount)),
    };
    vec![
        row(2, Program::Dibao, Item::Standard, "500"),
        row(3, Program::Tekun, Item::Basic, "800"),
        row(4, Program::Tekun, Item::CareSelf, "100"),
        row(5, Program::Dibao, Item::PriceSubsidy, "20"),
        row(6, Program::Tekun, Item::PriceSubsidy, "30"),
    ]
}

/// One stage record as a test gives it.
pub struct Record {
    pub person: u32,
    pub line: u32,
    pub id: &'static str,
    pub program: Program,
    pub status: Status,
    pub periods: &'static str,
    pub amount: &'static str,
    pub date: Option<&'static str>,
    /// Payouts: the payee's name and account.
    pub payee: Option<(&'static str, &'static str)>,
}

/// A `paid` dibao payout of `person` for `periods`, no date, payee 张一
/// into no account.
pub fn payout(person: u32, line: u32, periods: &'static str, amount: &'static str) -> Record {
    Record {
        person,
        line,
        id: "P",
        program: Program::Dibao,
        status: Status::Paid,
        periods,
        amount,
        date: None,
        payee: Some(("张一", "")),
    }
}

/// A payouts file of `records`, in the order given (its file order).
pub fn stage_file(records: &[Record]) -> StageFile {
    stage_file_of(FileKind::Payouts, records)
}

/// A `kind` file of `records`, in the order given (its file order).
pub fn stage_file_of(kind: FileKind, records: &[Record]) -> StageFile {
    let mut chunk = StageChunk {
        file: kind.canonical_id(),
        sheet: 0,
        records: Vec::new(),
        text: TextArena::with_capacity(0, 0),
        id_hashes: Vec::new(),
    };
    for given in records {
        let mut record = StageRecord::new(
            given.program,
            given.status,
            range(given.periods),
            yuan(given.amount),
            given.date.map(|date| Date::parse(date).expect("a date")),
            given.line,
        );
        record.person = PersonId(given.person);
        let id = format!("{}{}", given.id, given.line);
        record.texts = chunk.text.push(&id, given.payee).expect("fits");
        chunk.records.push(record);
    }
    StageFile::from_chunks(kind, vec![chunk]).expect("one small chunk")
}

/// A case of `persons` (of [`FIRST`], [`SECOND`], [`THIRD`]) with the
/// [`standards`] and the given rows; no allocations or transfers.
pub fn case(persons: usize, enrolments: Vec<Enrolment>, payouts: &[Record]) -> Case {
    Case {
        people: crate::case::People {
            id_numbers: [FIRST, SECOND, THIRD][..persons]
                .iter()
                .map(|id| Box::from(*id))
                .collect(),
        },
        enrolments,
        standards: standards(),
        payouts: stage_file(payouts),
        ..Case::default()
    }
}

pub fn exclusion(person: u32, line: u32, reason: &str, from: &str) -> Exclusion {
    Exclusion {
        person: PersonId(person),
        source: Source::new(FileKind::Exclusions, line),
        reason: reason.into(),
        from: period(from),
    }
}

pub fn relative(person: u32, line: u32, filed: bool) -> Relative {
    Relative {
        person: PersonId(person),
        source: Source::new(FileKind::Relatives, line),
        staff_name: "王科长".into(),
        relation: "配偶".into(),
        filed,
    }
}

/// Builds person `person` of `case` in `window` as a reconciliation does
/// (lines, stages applied) and hands it to `look`.
pub fn with_person<R>(
    case: &Case,
    window: &str,
    person: u32,
    look: impl FnOnce(&Person<'_>) -> R,
) -> R {
    let context = Context::new(case, range(window));
    let groupings = Groupings::new(case);
    let bundle = groupings.bundle(PersonId(person));
    let mut built = Person::new(&context, &bundle);
    let money_in = built.add_lines(bundle.records);
    for stage in Stage::ALL {
        let in_lines: Money = built
            .lines()
            .iter()
            .map(|(_, state)| state.sums[stage.index()])
            .sum();
        assert_eq!(
            in_lines,
            money_in[stage.index()],
            "the lines hold the money read"
        );
    }
    look(&built)
}

/// The findings a person rule makes about person `person`.
pub fn person_findings(
    rule: super::rules::PersonRule,
    case: &Case,
    window: &str,
    person: u32,
) -> Vec<Finding> {
    with_person(case, window, person, |person| {
        let mut findings = Vec::new();
        rule(person, &mut findings);
        findings
    })
}

/// The findings a payout rule makes about person `person`'s in-window
/// `paid` payouts.
pub fn payout_findings(
    rule: super::rules::PayoutRule,
    case: &Case,
    window: &str,
    person: u32,
) -> Vec<Finding> {
    with_person(case, window, person, |person| {
        let mut findings = Vec::new();
        for payout in person.paid_payouts() {
            rule(person, &payout, &mut findings);
        }
        findings
    })
}

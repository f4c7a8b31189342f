//! report.xlsx (`reconcile --report`) and the public notice (`notice`),
//! read back with calamine: every sheet holds what the CSV files hold,
//! ids stay text, the bytes do not depend on threads or partitions, the
//! five outputs are placed all or none, and the notice names no id.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use calamine::{open_workbook, Data, Reader, Xlsx};
use common::{csv_rows, out_dir, read, repository};
use duizhang::domain::{Code, Program};
use duizhang::engine::LineStatus;
use duizhang::write::workbook::{
    code_advice, code_name, program_name, sheet_names, status_name, Lang,
};

fn duizhang() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_duizhang"));
    command
        .env_remove("DUIZHANG_FAULTS")
        .env_remove("DUIZHANG_XLSX_ROWS")
        .env_remove("DUIZHANG_XLSX_CELL");
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("the duizhang binary runs")
}

fn reconcile(case: &Path, out: &Path, extra: &[&str]) -> Output {
    run(duizhang()
        .arg("reconcile")
        .arg(case)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra))
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn demo() -> PathBuf {
    repository().join("fixtures/demo")
}

/// Every sheet's cells, by absolute row and column from A1.
fn sheets(path: &Path) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut workbook: Xlsx<_> =
        open_workbook(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    workbook
        .sheet_names()
        .into_iter()
        .map(|name| {
            let range = workbook.worksheet_range(&name).expect("a worksheet");
            let rows = match range.end() {
                None => Vec::new(),
                Some((last_row, last_column)) => (0..=last_row)
                    .map(|row| {
                        (0..=last_column)
                            .map(|column| {
                                range
                                    .get_value((row, column))
                                    .cloned()
                                    .unwrap_or(Data::Empty)
                            })
                            .collect()
                    })
                    .collect(),
            };
            (name, rows)
        })
        .collect()
}

fn sheet<'s>(all: &'s [(String, Vec<Vec<Data>>)], name: &str) -> &'s [Vec<Data>] {
    &all.iter()
        .find(|(sheet, _)| sheet == name)
        .unwrap_or_else(|| panic!("no sheet {name}"))
        .1
}

/// Rows of a table sheet below its header, as many columns as its header.
fn table(rows: &[Vec<Data>]) -> Vec<Vec<Data>> {
    let width = rows[0]
        .iter()
        .take_while(|cell| !matches!(cell, Data::Empty))
        .count();
    rows[1..]
        .iter()
        .take_while(|row| row[..width].iter().any(|cell| !matches!(cell, Data::Empty)))
        .map(|row| row[..width].to_vec())
        .collect()
}

fn text(cell: &Data) -> String {
    match cell {
        Data::String(text) => text.clone(),
        Data::Empty => String::new(),
        other => panic!("expected text, found {other:?}"),
    }
}

fn number(cell: &Data) -> Option<f64> {
    match cell {
        Data::Float(value) => Some(*value),
        Data::Int(value) => Some(*value as f64),
        Data::Empty => None,
        other => panic!("expected a number, found {other:?}"),
    }
}

/// A CSV text cell as read back: without the `'` that keeps a formula-like
/// value text in a CSV (a workbook's text cell needs none).
fn unmarked(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest)
            if rest.starts_with(['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠']) =>
        {
            rest.to_string()
        }
        _ => cell.to_string(),
    }
}

/// A CSV money or rate cell as the number a spreadsheet holds.
fn csv_number(cell: &str) -> Option<f64> {
    (!cell.is_empty()).then(|| {
        cell.parse()
            .unwrap_or_else(|_| panic!("{cell:?} is not a number"))
    })
}

fn code(name: &str) -> Code {
    *Code::ALL
        .iter()
        .find(|code| code.name() == name)
        .unwrap_or_else(|| panic!("code {name}"))
}

fn program(name: &str) -> Option<Program> {
    (!name.is_empty()).then(|| Program::parse(name).unwrap_or_else(|| panic!("program {name}")))
}

fn program_text(name: &str, lang: Lang) -> String {
    program(name)
        .map(|program| program_name(program, lang).to_string())
        .unwrap_or_default()
}

fn status(name: &str) -> LineStatus {
    [
        LineStatus::Excluded,
        LineStatus::AfterExit,
        LineStatus::NotEnrolled,
        LineStatus::Missing,
        LineStatus::Shortfall,
        LineStatus::Over,
        LineStatus::NoStandard,
        LineStatus::Ok,
    ]
    .into_iter()
    .find(|status| status.name() == name)
    .unwrap_or_else(|| panic!("status {name}"))
}

fn fen(cell: &str) -> i64 {
    let (whole, cents) = cell.split_once('.').expect("two decimals");
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    sign * (whole.trim_start_matches('-').parse::<i64>().unwrap() * 100
        + cents.parse::<i64>().unwrap())
}

/// The demo reconciled with --report once, for the tests that only read it.
fn demo_report(lang: &str) -> PathBuf {
    let out = out_dir(&format!("report-demo-{lang}"));
    let output = reconcile(&demo(), &out, &["--report", "--lang", lang]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    assert!(said(&output).contains("report.xlsx"), "{}", said(&output));
    out
}

#[test]
fn every_sheet_holds_what_the_csv_files_hold() {
    let out = demo_report("zh");
    let all = sheets(&out.join("report.xlsx"));
    let names: Vec<&str> = all.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "说明",
            "汇总",
            "问题清单",
            "问题汇总",
            "台账",
            "月报",
            "补发清单",
            "追缴清单",
            "整改台账"
        ]
    );
    let lang = Lang::Zh;

    // 问题清单 = findings.csv, row for row.
    let (_, findings) = csv_rows(&read(&out.join("findings.csv")));
    let rows = table(sheet(&all, "问题清单"));
    assert_eq!(rows.len(), findings.len());
    for (index, (row, csv)) in rows.iter().zip(&findings).enumerate() {
        let context = format!("问题清单 row {}", index + 2);
        let finding_code = code(&csv[0]);
        assert_eq!(text(&row[0]), code_name(finding_code, lang), "{context}");
        // The printed columns first (who, what, how much, what to do, the
        // evidence), the figures behind them after.
        assert_eq!(text(&row[18]), csv[0], "{context}");
        assert_eq!(text(&row[9]), code_advice(finding_code, lang), "{context}");
        for (column, csv_column) in [(2, 2), (3, 3), (4, 4), (11, 7), (10, 16)] {
            assert_eq!(
                text(&row[column]),
                unmarked(&csv[csv_column]),
                "{context} column {column}"
            );
        }
        // 说明 says findings.csv's detail in Chinese: never the English
        // machine form, never empty when the detail is not.
        let explanation = text(&row[8]);
        assert_eq!(explanation.is_empty(), csv[15].is_empty(), "{context}");
        if !csv[15].is_empty() {
            assert!(
                explanation
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{context}: {explanation}"
            );
            assert_ne!(explanation, unmarked(&csv[15]), "{context}");
        }
        assert_eq!(text(&row[5]), program_text(&csv[5], lang), "{context}");
        assert_eq!(text(&row[6]), csv[6], "{context}");
        for (column, csv_column) in [(7, 8), (12, 9), (13, 10), (14, 11), (15, 12)] {
            assert_eq!(
                number(&row[column]),
                csv_number(&csv[csv_column]),
                "{context} column {column}"
            );
        }
        // The id is text, never a number (no 4.40981E+17).
        assert!(
            matches!(row[2], Data::String(_)) || csv[2].is_empty(),
            "{context}: {:?}",
            row[2]
        );
    }

    // 汇总 = summary.csv.
    let (_, summary) = csv_rows(&read(&out.join("summary.csv")));
    let rows = table(sheet(&all, "汇总"));
    assert_eq!(rows.len(), summary.len());
    for (index, (row, csv)) in rows.iter().zip(&summary).enumerate() {
        let context = format!("汇总 row {}", index + 2);
        assert_eq!(text(&row[0]), unmarked(&csv[0]), "{context}");
        assert_eq!(text(&row[1]), program_text(&csv[1], lang), "{context}");
        assert_eq!(text(&row[2]), csv[2], "{context}");
        for column in 3..12 {
            assert_eq!(
                number(&row[column]),
                csv_number(&csv[column]),
                "{context} column {column}"
            );
        }
    }

    // 台账 = ledger.csv, by village, person, program and month.
    let (_, mut ledger) = csv_rows(&read(&out.join("ledger.csv")));
    ledger.sort_by(|a, b| (&a[2], &a[0], &a[3], &a[4]).cmp(&(&b[2], &b[0], &b[3], &b[4])));
    let all_rows = table(sheet(&all, "台账"));
    // Each village ends in a subtotal row (no ID number) of its lines'
    // E, A, T, P; the sheet ends in the total of all of them.
    let mut village_fen = [0i64; 4];
    let mut total_fen = [0i64; 4];
    let mut subtotals = 0;
    for row in &all_rows {
        let amounts: Vec<i64> = (5..9)
            .map(|column| number(&row[column]).map_or(0, |yuan| (yuan * 100.0).round() as i64))
            .collect();
        if matches!(row[1], Data::Empty) {
            let label = text(&row[0]);
            if label.starts_with("合计（") {
                assert_eq!(label, format!("合计（{} 行）", ledger.len()));
                assert_eq!(amounts, total_fen, "the total of 台账");
            } else {
                assert!(label.contains(" 小计（"), "{label}");
                assert_eq!(amounts, village_fen, "{label}");
                subtotals += 1;
                village_fen = [0; 4];
            }
            continue;
        }
        for (sum, amount) in village_fen.iter_mut().zip(&amounts) {
            *sum += amount;
        }
        for (sum, amount) in total_fen.iter_mut().zip(&amounts) {
            *sum += amount;
        }
    }
    let villages: std::collections::BTreeSet<&str> =
        ledger.iter().map(|row| row[2].as_str()).collect();
    assert_eq!(subtotals, villages.len());
    assert!(text(&all_rows[all_rows.len() - 1][0]).starts_with("合计（"));
    let rows: Vec<&Vec<Data>> = all_rows
        .iter()
        .filter(|row| !matches!(row[1], Data::Empty))
        .collect();
    assert_eq!(rows.len(), ledger.len());
    for (index, (row, csv)) in rows.iter().zip(&ledger).enumerate() {
        let context = format!("台账 row {}", index + 2);
        assert_eq!(text(&row[0]), unmarked(&csv[2]), "{context}");
        assert!(matches!(row[1], Data::String(_)), "{context}: {:?}", row[1]);
        assert_eq!(text(&row[1]), unmarked(&csv[0]), "{context}");
        assert_eq!(text(&row[2]), unmarked(&csv[1]), "{context}");
        assert_eq!(text(&row[3]), program_text(&csv[3], lang), "{context}");
        assert_eq!(text(&row[4]), csv[4], "{context}");
        for column in 5..9 {
            assert_eq!(
                number(&row[column]),
                csv_number(&csv[column]),
                "{context} column {column}"
            );
        }
        assert_eq!(
            text(&row[9]),
            status_name(status(&csv[9]), lang),
            "{context}"
        );
    }

    // 问题汇总: counts and totals are sums over findings.csv per case.
    let rows = table(sheet(&all, "问题汇总"));
    let expected = cases_of(&findings);
    assert_eq!(rows.len(), expected.len());
    for (index, (row, case)) in rows.iter().zip(&expected).enumerate() {
        let context = format!("问题汇总 row {}", index + 2);
        assert_eq!(text(&row[0]), unmarked(&case.id_number), "{context}");
        assert_eq!(
            text(&row[3]),
            program_text(&case.program, lang),
            "{context}"
        );
        assert_eq!(text(&row[9]), case.code, "{context}");
        assert_eq!(
            text(&row[10]),
            duizhang::write::workbook::code_advice(code(&case.code), lang),
            "{context}"
        );
        assert_eq!(
            text(&row[4]),
            code_name(code(&case.code), lang),
            "{context}"
        );
        assert_eq!(text(&row[6]), case.months, "{context}");
        assert_eq!(number(&row[7]), Some(case.count as f64), "{context}");
        assert_eq!(
            number(&row[8]),
            case.amount.map(|fen| fen as f64 / 100.0),
            "{context}"
        );
    }

    // 说明 names the window, every input file with its SHA-256, the counts.
    let about: Vec<String> = sheet(&all, "说明")
        .iter()
        .flatten()
        .filter_map(|cell| match cell {
            Data::String(text) => Some(text.clone()),
            Data::Float(value) => Some(value.to_string()),
            _ => None,
        })
        .collect();
    let run: serde_json::Value =
        serde_json::from_str(&read(&out.join("run.json"))).expect("run.json");
    for (file, entry) in run["files"].as_object().expect("files") {
        assert!(about.contains(file), "说明 lacks {file}");
        let sha = entry["sha256"].as_str().expect("a hash");
        assert!(
            about.iter().any(|cell| cell == sha),
            "说明 lacks {file}'s SHA-256"
        );
    }
    assert!(about
        .iter()
        .any(|cell| cell.starts_with("2024-01..2024-12")));
    assert!(about.contains(&findings.len().to_string()));
    // The chart is a real Excel chart.
    let bytes = std::fs::read(out.join("report.xlsx")).expect("report.xlsx");
    assert!(
        contains(&bytes, b"xl/charts/chart1.xml"),
        "no chart in the workbook"
    );
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// One expected row of 问题汇总, computed here from findings.csv alone.
struct ExpectedCase {
    id_number: String,
    program: String,
    code: String,
    count: u64,
    amount: Option<i64>,
    months: String,
}

/// Months (`YYYY-MM` or `A..B`) merged into ranges, the long way round:
/// every month listed, then runs of consecutive months.
fn merged_months(periods: &[&str]) -> String {
    let index = |text: &str| {
        let (year, month) = text.split_once('-').expect("YYYY-MM");
        year.parse::<i32>().unwrap() * 12 + month.parse::<i32>().unwrap() - 1
    };
    let name = |index: i32| format!("{:04}-{:02}", index / 12, index % 12 + 1);
    let mut months: Vec<i32> = Vec::new();
    for period in periods.iter().filter(|period| !period.is_empty()) {
        let (first, last) = period.split_once("..").unwrap_or((period, period));
        months.extend(index(first)..=index(last));
    }
    months.sort_unstable();
    months.dedup();
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < months.len() {
        let mut end = start;
        while end + 1 < months.len() && months[end + 1] == months[end] + 1 {
            end += 1;
        }
        ranges.push(if start == end {
            name(months[start])
        } else {
            format!("{}..{}", name(months[start]), name(months[end]))
        });
        start = end + 1;
    }
    ranges.join(", ")
}

/// Cases per (id_number, program, code), sorted so; findings without an
/// id_number are a case each, first, in file order.
fn cases_of(findings: &[Vec<String>]) -> Vec<ExpectedCase> {
    let mut groups: BTreeMap<(String, String, String, usize), Vec<&Vec<String>>> = BTreeMap::new();
    for (index, row) in findings.iter().enumerate() {
        let own = if row[2].is_empty() { index } else { 0 };
        groups
            .entry((row[2].clone(), row[5].clone(), row[0].clone(), own))
            .or_default()
            .push(row);
    }
    groups
        .into_iter()
        .map(|((id_number, program, code, _), rows)| {
            // Only the outcomes of lines are summed: the other codes'
            // money is an outcome's too (counted, not summed).
            const LINE_OUTCOMES: [&str; 7] = [
                "PAID_TO_EXCLUDED",
                "PAID_AFTER_EXIT",
                "PAID_NOT_ENROLLED",
                "NO_STANDARD",
                "MISSING_PAYMENT",
                "SHORTFALL",
                "OVERPAYMENT",
            ];
            let amounts: Vec<i64> = rows
                .iter()
                .filter(|row| !row[8].is_empty() && LINE_OUTCOMES.contains(&row[0].as_str()))
                .map(|row| fen(&row[8]))
                .collect();
            let periods: Vec<&str> = rows.iter().map(|row| row[6].as_str()).collect();
            ExpectedCase {
                id_number,
                program,
                code,
                count: rows.len() as u64,
                amount: (!amounts.is_empty()).then(|| amounts.iter().sum()),
                months: merged_months(&periods),
            }
        })
        .collect()
}

#[test]
fn sheet_names_and_titles_follow_the_language() {
    let case = repository().join("fixtures/codes/SHORTFALL");
    for (lang, flag) in [(Lang::Zh, "zh"), (Lang::En, "en")] {
        let out = out_dir(&format!("report-lang-{flag}"));
        let output = reconcile(&case, &out, &["--report", "--lang", flag]);
        assert_eq!(output.status.code(), Some(0), "{}", said(&output));
        let all = sheets(&out.join("report.xlsx"));
        let names = sheet_names(lang);
        let found: Vec<&str> = all.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            found,
            [
                names.about,
                names.summary,
                names.findings,
                names.cases,
                names.ledger,
                names.monthly,
                names.backpay,
                names.recover,
                names.register
            ]
        );
        let findings = table(sheet(&all, names.findings));
        assert_eq!(text(&findings[0][0]), code_name(Code::Shortfall, lang));
        // 说明 / Explanation: the same facts in the workbook's language.
        let (_, csv) = csv_rows(&read(&out.join("findings.csv")));
        let explanation = text(&findings[0][8]);
        match lang {
            Lang::Zh => assert_eq!(explanation, "应发500.00元，实发400.00元，少发100.00元"),
            Lang::En => assert_eq!(explanation, csv[0][15]),
        }
    }
    assert_eq!(code_name(Code::Shortfall, Lang::En), "Shortfall");
    // --lang alone: the printed summary in English, and no workbook.
    let alone = out_dir("report-lang-alone");
    let output = reconcile(&case, &alone, &["--lang", "en"]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    assert!(
        said(&output).starts_with("window 2020-01..2020-01: 1 ledger lines"),
        "{}",
        said(&output)
    );
    assert!(!alone.join("report.xlsx").exists());
}

#[test]
fn the_workbook_is_the_same_bytes_for_any_thread_count_and_in_partitions() {
    let runs: [(&str, &[&str]); 3] = [
        ("threads1", &["--threads", "1"]),
        ("threads2", &["--threads", "2"]),
        ("parts", &["--memory-limit", "300K"]),
    ];
    let mut bytes = Vec::new();
    for (name, extra) in runs {
        let out = out_dir(&format!("report-same-{name}"));
        let mut arguments = vec!["--report"];
        arguments.extend_from_slice(extra);
        let output = reconcile(&demo(), &out, &arguments);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", said(&output));
        if name == "parts" {
            assert!(said(&output).contains("按人分"), "{}", said(&output));
        }
        bytes.push(std::fs::read(out.join("report.xlsx")).expect("report.xlsx"));
    }
    assert!(
        bytes[0] == bytes[1],
        "--threads 1 and 2 give different workbooks"
    );
    assert!(
        bytes[0] == bytes[2],
        "a partitioned run gives a different workbook"
    );
}

/// A small case of one dibao household (E = 600.00) paid short in
/// 2024-01, 2024-02 and 2024-04 and in full in 2024-03: one case with two
/// ranges.
fn gap_case() -> PathBuf {
    let case = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-gap-case");
    let _ = std::fs::remove_dir_all(&case);
    std::fs::create_dir_all(&case).expect("a case folder");
    let write = |name: &str, text: &str| std::fs::write(case.join(name), text).expect("write");
    write(
        "roster.csv",
        "enrolment_id,id_number,name,region,program,household_size,per_capita_income,start_period\n\
         E1,110101198001010010,张三,110101001001,dibao,1,0,2024-01\n",
    );
    write(
        "standards.csv",
        "region,program,item,effective_from,amount\n*,dibao,standard,2024-01,600\n",
    );
    write(
        "payouts.csv",
        "payout_id,id_number,program,period,amount\n\
         P1,110101198001010010,dibao,2024-01,500\n\
         P2,110101198001010010,dibao,2024-02,500\n\
         P3,110101198001010010,dibao,2024-03,600\n\
         P4,110101198001010010,dibao,2024-04,500\n",
    );
    case
}

#[test]
fn a_case_with_a_gap_shows_its_months_as_ranges() {
    let out = out_dir("report-gap");
    let output = reconcile(&gap_case(), &out, &["--report"]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    let all = sheets(&out.join("report.xlsx"));
    let cases = table(sheet(&all, "问题汇总"));
    assert_eq!(cases.len(), 1, "{cases:?}");
    let case = &cases[0];
    assert_eq!(text(&case[0]), "110101198001010010");
    assert_eq!(text(&case[4]), "少发");
    assert_eq!(text(&case[6]), "2024-01..2024-02, 2024-04");
    assert_eq!(number(&case[7]), Some(3.0));
    assert_eq!(number(&case[8]), Some(300.0));
    assert_eq!(
        merged_months(&["2024-01", "2024-02", "2024-04"]),
        "2024-01..2024-02, 2024-04"
    );
}

#[test]
fn tables_longer_than_a_sheet_continue_and_long_text_is_cut_and_said() {
    let out = out_dir("report-limits");
    let output = run(duizhang()
        .env("DUIZHANG_XLSX_ROWS", "1000")
        .env("DUIZHANG_XLSX_CELL", "40")
        .arg("reconcile")
        .arg(demo())
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--report"]));
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    let all = sheets(&out.join("report.xlsx"));
    let names: Vec<&str> = all.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "说明",
            "汇总",
            "汇总 (2)",
            "问题清单",
            "问题汇总",
            "台账",
            "台账 (2)",
            "台账 (3)",
            "台账 (4)",
            "台账 (5)",
            "月报",
            "补发清单",
            "追缴清单",
            "整改台账"
        ]
    );
    let (_, ledger) = csv_rows(&read(&out.join("ledger.csv")));
    let mut rows = 0;
    for name in ["台账", "台账 (2)", "台账 (3)", "台账 (4)", "台账 (5)"] {
        let part = table(sheet(&all, name));
        assert!(part.len() <= 1000, "{name}: {}", part.len());
        // Without the subtotal and total rows (no ID number).
        let part: Vec<_> = part
            .into_iter()
            .filter(|row| !matches!(row[1], Data::Empty))
            .collect();
        assert_eq!(
            text(&sheet(&all, name)[0][0]),
            "区划代码(村/社区)",
            "{name} has its header"
        );
        rows += part.len();
    }
    assert_eq!(rows, ledger.len(), "no ledger row is dropped");
    let about: Vec<String> = sheet(&all, "说明")
        .iter()
        .flatten()
        .filter_map(|cell| match cell {
            Data::String(text) => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert!(
        about.iter().any(|line| line.contains("台账 超过一张工作表的行数上限") && line.contains("台账 (5)")),
        "{about:?}"
    );
    assert!(
        about.iter().any(|line| line.contains("已截断")),
        "{about:?}"
    );
    let findings = table(sheet(&all, "问题清单"));
    assert!(findings
        .iter()
        .flatten()
        .any(|cell| text_of(cell).ends_with("…[截断/cut]")));
    assert!(findings
        .iter()
        .flatten()
        .all(|cell| text_of(cell).encode_utf16().count() <= 40));
}

fn text_of(cell: &Data) -> String {
    match cell {
        Data::String(text) => text.clone(),
        _ => String::new(),
    }
}

fn notice(case: &Path, period: &str, out: &Path, extra: &[&str]) -> Output {
    run(duizhang()
        .arg("notice")
        .arg(case)
        .args(["--period", period, "--out"])
        .arg(out)
        .args(extra))
}

#[test]
fn the_notice_names_no_id_and_shows_the_ledger_amounts() {
    let out = out_dir("notice-demo");
    let file = out.join("notice-2024-07.xlsx");
    let output = notice(&demo(), "2024-07", &file, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    let all = sheets(&file);
    // The notice, and the sheet of those left out of it.
    assert_eq!(all.len(), 2);
    // No id_number (nor account) of the case anywhere in any cell.
    let (header, roster) = csv_rows(&read(&demo().join("roster.csv")));
    let id_column = header
        .iter()
        .position(|name| name == "id_number")
        .expect("id_number");
    let account_column = header
        .iter()
        .position(|name| name == "account")
        .expect("account");
    let mut secrets: Vec<&str> = roster.iter().map(|row| row[id_column].as_str()).collect();
    secrets.extend(
        roster
            .iter()
            .map(|row| row[account_column].as_str())
            .filter(|account| !account.is_empty()),
    );
    for (_, rows) in &all {
        for cell in rows.iter().flatten() {
            let value = match cell {
                Data::String(text) => text.clone(),
                Data::Float(value) => format!("{value}"),
                Data::Int(value) => value.to_string(),
                _ => continue,
            };
            for secret in &secrets {
                assert!(
                    !value.contains(secret),
                    "the notice shows {secret} in {value:?}"
                );
            }
            let longest_digits = value
                .split(|character: char| !character.is_ascii_digit())
                .map(str::len)
                .max()
                .unwrap_or(0);
            assert!(
                longest_digits < 15,
                "a long number in the notice: {value:?}"
            );
        }
    }
    // Every amount is the ledger's expected for that line in 2024-07.
    let reconciled = out_dir("notice-demo-ledger");
    assert_eq!(reconcile(&demo(), &reconciled, &[]).status.code(), Some(0));
    let (_, ledger) = csv_rows(&read(&reconciled.join("ledger.csv")));
    let mut due: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    for row in ledger.iter().filter(|row| row[4] == "2024-07") {
        let listed = matches!(
            row[9].as_str(),
            "ok" | "missing" | "shortfall" | "over" | "no_standard"
        );
        if listed && (row[3] == "dibao" || row[3] == "tekun") {
            due.entry((
                row[2].clone(),
                row[1].clone(),
                program_text(&row[3], Lang::Zh),
            ))
            .or_default()
            .push(row[5].clone());
        }
    }
    let rows = table(&all[0].1);
    let mut zero = 0;
    for row in &rows {
        let key = (text(&row[1]), text(&row[3]), text(&row[2]));
        let amount = match &row[5] {
            Data::String(pending) => {
                assert_eq!(pending, "待核定");
                String::new()
            }
            cell => format!("{:.2}", number(cell).expect("an amount")),
        };
        if amount == "0.00" && !due.contains_key(&key) {
            zero += 1; // above the line: nothing due, so no ledger line
            continue;
        }
        let amounts = due
            .get_mut(&key)
            .unwrap_or_else(|| panic!("{key:?} is not due in 2024-07"));
        let position = amounts
            .iter()
            .position(|expected| *expected == amount)
            .unwrap_or_else(|| panic!("{key:?}: {amount} is not the ledger's {amounts:?}"));
        amounts.remove(position);
    }
    assert!(
        due.values().all(Vec::is_empty),
        "lines due but not in the notice: {due:?}"
    );
    assert!(
        rows.len() > 200 && zero < 5,
        "{} rows, {zero} at zero",
        rows.len()
    );
}

#[test]
fn a_notice_with_a_bad_period_exits_2_and_writes_nothing() {
    let out = out_dir("notice-bad");
    let file = out.join("notice.xlsx");
    for period in ["2024-13", "July", ""] {
        let output = notice(&demo(), period, &file, &[]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{period:?}: {}",
            said(&output)
        );
        assert!(said(&output).contains("--period"), "{}", said(&output));
        assert!(!file.exists());
    }
    // A case that cannot be read: exit 2 too.
    let output = notice(
        &repository().join("fixtures/errors/missing_file"),
        "2024-07",
        &file,
        &[],
    );
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    assert!(!file.exists());
}

const OUTPUTS: [&str; 9] = [
    "findings.csv",
    "ledger.csv",
    "summary.csv",
    "register.csv",
    "corrections.csv",
    "run.json",
    "report.xlsx",
    "register.xlsx",
    "backpay-upload.xlsx",
];

fn outputs(folder: &Path) -> BTreeMap<&'static str, Vec<u8>> {
    OUTPUTS
        .iter()
        .filter_map(|name| {
            std::fs::read(folder.join(name))
                .ok()
                .map(|bytes| (*name, bytes))
        })
        .collect()
}

/// A failure at any step of writing or placing leaves all nine outputs as
/// they were; a run without --report takes an earlier report.xlsx away
/// with the rest, and puts it back when it fails.
#[test]
fn the_nine_outputs_are_placed_all_or_none() {
    let case = repository().join("fixtures/codes/SHORTFALL");
    let out = out_dir("report-all-or-none");
    // The previous run: nine outputs of the whole window.
    assert_eq!(reconcile(&case, &out, &["--report"]).status.code(), Some(0));
    let previous = outputs(&out);
    assert_eq!(previous.len(), 9);
    for (extra, expect_report) in [(&["--report", "--lang", "en"][..], true), (&[][..], false)] {
        let mut step = 1;
        loop {
            let output = run(duizhang()
                .env("DUIZHANG_FAULTS", format!("fail={step}"))
                .arg("reconcile")
                .arg(&case)
                .arg("--out")
                .arg(&out)
                .arg("--quiet")
                .args(extra));
            if output.status.success() {
                break;
            }
            assert_eq!(
                output.status.code(),
                Some(2),
                "fail={step}: {}",
                said(&output)
            );
            assert!(
                outputs(&out) == previous,
                "{extra:?} fail={step}: the outputs changed: {}",
                said(&output)
            );
            step += 1;
            assert!(step < 100, "the run never finished");
        }
        assert!(step > 10, "{extra:?}: only {step} steps were tried");
        let now = outputs(&out);
        assert_eq!(now.contains_key("report.xlsx"), expect_report, "{extra:?}");
        if expect_report {
            assert!(
                now["report.xlsx"] != previous["report.xlsx"],
                "the English report replaced the Chinese one"
            );
            // Back to the previous run for the next round.
            assert_eq!(reconcile(&case, &out, &["--report"]).status.code(), Some(0));
            assert!(outputs(&out) == previous);
        }
    }
    // The last success may have been a failed removal of the staging
    // folder (the outputs were placed); the next start removes it.
    assert_eq!(reconcile(&case, &out, &[]).status.code(), Some(0));
    assert!(!out.join("report.xlsx").exists());
    assert!(!out.join("backpay-upload.xlsx").exists());
    let left: Vec<String> = std::fs::read_dir(&out)
        .expect("a folder")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| !OUTPUTS.contains(&name.as_str()))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Nobody enrolled is dropped from the notice unseen: its second sheet
/// lists every enrolled person left out with the reason — an unreadable
/// roster row (also named in a warning on stderr) by its file:line, an
/// excluded person by the exclusion — and none of them is in the notice.
#[test]
fn the_notice_lists_everyone_it_leaves_out_and_warns_of_unreadable_roster_rows() {
    let out = out_dir("notice-left-out");
    let file = out.join("notice.xlsx");
    // December: exclusions of the autumn are in force (earlier ones ended
    // their enrolments, which then cover the month no more).
    let output = notice(&demo(), "2024-12", &file, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("duizhang: warning: roster.csv:180: the roster row cannot be read, so it is not in the notice"),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("名在册人员未列入，原因见公示后的工作表")
    );
    let all = sheets(&file);
    assert_eq!(all[1].0, sheet_names(Lang::Zh).left_out);
    let notice_rows = table(&all[0].1);
    let left_out = table(&all[1].1);
    let bad = left_out
        .iter()
        .find(|row| text(&row[1]) == "roster.csv:180")
        .expect("the unreadable roster row is listed");
    assert!(
        text(&bad[5]).contains("cannot be read") && text(&bad[5]).contains("1,200.00"),
        "{bad:?}"
    );
    let excluded: Vec<&Vec<Data>> = left_out
        .iter()
        .filter(|row| text(&row[5]).starts_with("excluded from "))
        .collect();
    assert!(!excluded.is_empty(), "the demo excludes people in 2024-12");
    for row in &excluded {
        assert!(text(&row[5]).contains("exclusions.csv:"), "{row:?}");
        assert!(!text(&row[4]).is_empty(), "a name: {row:?}");
        let key = (text(&row[2]), text(&row[3]), text(&row[4]));
        assert!(
            !notice_rows
                .iter()
                .any(|shown| (text(&shown[1]), text(&shown[2]), text(&shown[3])) == key),
            "{key:?} is both in the notice and left out of it"
        );
    }
    // Numbered, each with a roster row and a reason.
    for (index, row) in left_out.iter().enumerate() {
        assert_eq!(number(&row[0]), Some(index as f64 + 1.0));
        assert!(text(&row[1]).starts_with("roster.csv:"), "{row:?}");
        assert!(!text(&row[5]).is_empty(), "{row:?}");
    }
    // A case that leaves nobody out says so.
    let clean = out_dir("notice-left-out-none");
    let output = notice(
        &repository().join("fixtures/spec-examples/case01"),
        "2020-01",
        &clean.join("notice.xlsx"),
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    let all = sheets(&clean.join("notice.xlsx"));
    assert!(
        all[1]
            .1
            .iter()
            .flatten()
            .any(|cell| text_or_empty(cell).starts_with("无")),
        "{:?}",
        all[1].1
    );
}

fn text_or_empty(cell: &Data) -> String {
    match cell {
        Data::String(text) => text.clone(),
        _ => String::new(),
    }
}

/// A copy of a small case in a fresh folder, with a previous notice
/// beside it; returns (case, folder of the notice).
fn case_copy(name: &str) -> (PathBuf, PathBuf) {
    let root = out_dir(name);
    let case = root.join("case");
    std::fs::create_dir_all(&case).expect("a case folder");
    for entry in
        std::fs::read_dir(repository().join("fixtures/spec-examples/case01")).expect("list")
    {
        let path = entry.expect("an entry").path();
        std::fs::copy(&path, case.join(path.file_name().expect("a name"))).expect("copy");
    }
    (case, root)
}

/// `notice --out` never writes into the case folder: not over a case
/// file (it would replace the roster it was made from), nor beside one,
/// however the path reaches the folder (`..`, a link to it).
#[test]
fn a_notice_is_never_written_inside_the_case_folder() {
    let (case, root) = case_copy("notice-inside-case");
    let roster = std::fs::read(case.join("roster.csv")).expect("the roster");
    let link = root.join("link-to-case");
    std::os::unix::fs::symlink(&case, &link).expect("a link to the case");
    for out in [
        case.join("roster.csv"),
        case.join("notice.xlsx"),
        case.join("new/notice.xlsx"),
        root.join("elsewhere/../case/notice.xlsx"),
        link.join("notice.xlsx"),
        case.join("."),
    ] {
        let output = notice(&case, "2020-01", &out, &[]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}: {}",
            out.display(),
            said(&output)
        );
        assert!(
            said(&output).contains("inside the case folder"),
            "{}",
            said(&output)
        );
    }
    assert_eq!(
        std::fs::read(case.join("roster.csv")).expect("the roster"),
        roster
    );
    let mut names: Vec<String> = std::fs::read_dir(&case)
        .expect("list")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "args.txt",
            "expected-findings.csv",
            "expected-ledger.csv",
            "payouts.csv",
            "roster.csv",
            "standards.csv"
        ]
    );
    assert!(!root.join("elsewhere").exists());
    // Beside the case folder is fine.
    let output = notice(&case, "2020-01", &root.join("notice.xlsx"), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
}

/// `notice --out` replaces only a regular file, whole: a link, a pipe, a
/// socket or a device there is refused (exit 2) and left as it was —
/// never written through, never replaced by a file, and a pipe never
/// opened (it would block).
#[test]
fn a_notice_never_replaces_a_link_a_pipe_a_socket_or_a_device() {
    let (case, root) = case_copy("notice-special-targets");
    let elsewhere = root.join("elsewhere.txt");
    std::fs::write(&elsewhere, b"not to be touched").expect("write");
    let link = root.join("link.xlsx");
    std::os::unix::fs::symlink(&elsewhere, &link).expect("a link");
    let pipe = root.join("pipe.xlsx");
    let made = Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let socket = root.join("socket.xlsx");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("a socket");
    let mut targets = vec![
        (link.clone(), "a symbolic link"),
        (pipe.clone(), "not a regular file"),
        (socket.clone(), "not a regular file"),
    ];
    // A device node where one can be made (as root): a copy of /dev/null.
    let device = root.join("device.xlsx");
    let made_device = Command::new("mknod")
        .arg(&device)
        .args(["c", "1", "3"])
        .status()
        .is_ok_and(|status| status.success());
    if made_device {
        targets.push((device.clone(), "not a regular file"));
    }
    for (target, what) in &targets {
        let before = std::fs::symlink_metadata(target).expect("there");
        let output = notice(&case, "2020-01", target, &[]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}: {}",
            target.display(),
            said(&output)
        );
        assert!(said(&output).contains(what), "{}", said(&output));
        assert!(
            said(&output).contains("nothing was replaced"),
            "{}",
            said(&output)
        );
        let after = std::fs::symlink_metadata(target).expect("still there");
        assert_eq!(
            before.file_type(),
            after.file_type(),
            "{}",
            target.display()
        );
        use std::os::unix::fs::MetadataExt;
        assert_eq!(before.ino(), after.ino(), "{}", target.display());
    }
    assert_eq!(
        std::fs::read(&elsewhere).expect("read"),
        b"not to be touched"
    );
    // Nothing was left beside them.
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .expect("list")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    let mut expected = vec![
        "case",
        "elsewhere.txt",
        "link.xlsx",
        "pipe.xlsx",
        "socket.xlsx",
    ];
    if made_device {
        expected.insert(1, "device.xlsx");
    }
    assert_eq!(names, expected);
}

/// Bidirectional controls in a name are shown as `<U+202E>` in the
/// notice and in report.xlsx — a reader sees what was typed, never a
/// name reordered by an invisible character — while the CSV outputs keep
/// the bytes as read, to be matched with the inputs.
#[test]
fn bidi_controls_in_a_name_are_shown_in_the_workbooks_not_obeyed() {
    let (case, root) = case_copy("notice-bidi");
    let roster = std::fs::read_to_string(case.join("roster.csv")).expect("the roster");
    let (header, rows) = csv_rows(&roster);
    let name_column = header.iter().position(|name| name == "name").expect("name");
    let original = rows[0][name_column].clone();
    let disguised = format!("{original}\u{202E}\u{2066}x\u{200F}");
    let replaced = roster.replacen(&original, &disguised, 1);
    std::fs::write(case.join("roster.csv"), replaced).expect("write");
    let file = root.join("notice.xlsx");
    let output = notice(&case, "2020-01", &file, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    let shown = format!("{original}<U+202E><U+2066>x<U+200F>");
    let notice_cells: Vec<String> = sheets(&file)[0]
        .1
        .iter()
        .flatten()
        .map(text_or_empty)
        .collect();
    assert!(notice_cells.contains(&shown), "{notice_cells:?}");
    assert!(!notice_cells.iter().any(|cell| cell.contains('\u{202E}')));
    let out = root.join("out");
    let output = reconcile(&case, &out, &["--report"]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    let report_cells: Vec<String> = sheets(&out.join("report.xlsx"))
        .iter()
        .flat_map(|(_, rows)| rows.iter().flatten().map(text_or_empty))
        .collect();
    assert!(
        report_cells.iter().any(|cell| cell.contains(&shown)),
        "the ledger shows the name"
    );
    assert!(!report_cells.iter().any(|cell| cell.contains('\u{202E}')));
    assert!(
        read(&out.join("ledger.csv")).contains(&disguised),
        "CSV as read"
    );
}

/// Runs a spec example with its args.txt (paths in it relative to the
/// example) and `--report`; returns the output folder.
fn spec_example_report(name: &str) -> PathBuf {
    report_of(
        &repository().join("fixtures/spec-examples").join(name),
        name,
    )
}

/// Runs the case in `case` as [`spec_example_report`] does.
fn report_of(case: &Path, tag: &str) -> PathBuf {
    let out = out_dir(&format!("lists-{tag}"));
    let args = read(&case.join("args.txt"));
    let output = run(duizhang()
        .current_dir(case)
        .arg("reconcile")
        .arg(".")
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .arg("--report")
        .args(args.split_whitespace()));
    assert_eq!(output.status.code(), Some(0), "{tag}: {}", said(&output));
    out
}

fn fen_of(cell: &Data) -> i64 {
    (number(cell).expect("an amount") * 100.0).round() as i64
}

/// The rows of a printed list from its header row (the row whose first
/// cell is `first_title`) to the first empty row.
fn printed(rows: &[Vec<Data>], first_title: &str) -> (Vec<String>, Vec<Vec<Data>>) {
    let at = rows
        .iter()
        .position(|row| matches!(&row[0], Data::String(text) if text == first_title))
        .unwrap_or_else(|| panic!("no header {first_title}"));
    let header: Vec<String> = rows[at]
        .iter()
        .map(|cell| match cell {
            Data::String(text) => text.clone(),
            _ => String::new(),
        })
        .filter(|title| !title.is_empty())
        .collect();
    let body = rows[at + 1..]
        .iter()
        .take_while(|row| row.iter().any(|cell| !matches!(cell, Data::Empty)))
        .map(|row| row[..header.len()].to_vec())
        .collect();
    (header, body)
}

/// The 补发清单 and 追缴清单 sheets hold corrections.csv's rows of their
/// kind in its order, grouped by village with each village's subtotal and
/// the grand total equal to the CSV's sums, ids as text, and the lines to
/// sign; backpay-upload.xlsx is the bank's sheet of the back-pay with an
/// account and nothing else.
#[test]
fn the_lists_and_the_upload_sheet_add_up_to_corrections_csv() {
    for name in ["case21", "case22", "case24"] {
        let out = spec_example_report(name);
        let (_, corrections) = csv_rows(&read(&out.join("corrections.csv")));
        let all = sheets(&out.join("report.xlsx"));
        let names = sheet_names(Lang::Zh);
        for (kind, sheet_name) in [("backpay", names.backpay), ("recover", names.recover)] {
            let expected: Vec<&Vec<String>> =
                corrections.iter().filter(|row| row[0] == kind).collect();
            let rows = sheet(&all, sheet_name);
            assert!(
                text(&rows[0][0]).starts_with("社会救助资金"),
                "{name} {sheet_name}: the title"
            );
            let (header, body) = printed(rows, "序号");
            assert_eq!(header[3], "身份证号");
            let mut listed = Vec::new();
            let mut village_sum = 0i64;
            let mut villages: Vec<(String, i64)> = Vec::new();
            let mut total = None;
            for row in &body {
                match &row[0] {
                    Data::Float(_) | Data::Int(_) => {
                        listed.push(row.clone());
                        village_sum += fen_of(&row[8]);
                    }
                    Data::String(label) if label.contains("小计") => {
                        assert_eq!(fen_of(&row[8]), village_sum, "{name}: {label}");
                        villages.push((label.clone(), village_sum));
                        village_sum = 0;
                    }
                    Data::String(label) if label.starts_with("本次对账无") => {
                        assert!(expected.is_empty(), "{name}: {label}");
                    }
                    Data::String(label) if label.starts_with("合计") => {
                        total = Some(fen_of(&row[8]));
                        break;
                    }
                    other => panic!("{name} {sheet_name}: an unexpected row {other:?}"),
                }
            }
            let csv_total: i64 = expected.iter().map(|row| fen(&row[7])).sum();
            assert_eq!(total, Some(csv_total), "{name} {sheet_name}: the total");
            assert_eq!(listed.len(), expected.len(), "{name} {sheet_name}");
            for (row, csv) in listed.iter().zip(&expected) {
                assert_eq!(text(&row[2]), unmarked(&csv[2]), "{name}: the name");
                assert!(matches!(row[3], Data::String(_)), "the id is text");
                assert_eq!(text(&row[3]), csv[1], "{name}: the id");
                assert_eq!(text(&row[4]), program_text(&csv[4], Lang::Zh));
                assert_eq!(text(&row[5]), csv[5].replace(';', "、"));
                assert_eq!(number(&row[6]), csv_number(&csv[6]));
                assert_eq!(fen_of(&row[8]) as f64 / 100.0, csv_number(&csv[7]).unwrap());
                let region = if csv[3].is_empty() {
                    "(无区划)"
                } else {
                    &csv[3]
                };
                assert_eq!(text(&row[1]), region);
                if kind == "backpay" {
                    assert_eq!(text(&row[9]), csv[8], "{name}: the account");
                }
            }
            // One subtotal per village, in the CSV's region order.
            let mut regions: Vec<&str> = expected.iter().map(|row| row[3].as_str()).collect();
            regions.dedup();
            assert_eq!(villages.len(), regions.len(), "{name} {sheet_name}");
            let signed = rows.iter().any(|row| {
                row.iter()
                    .any(|cell| matches!(cell, Data::String(text) if text.starts_with("制表人")))
            });
            assert!(signed, "{name} {sheet_name}: the signature lines");
        }

        // The bank's sheet: one sheet, its header, one row per back-pay
        // with an account, no totals row.
        let upload = sheets(&out.join("backpay-upload.xlsx"));
        assert_eq!(upload.len(), 1, "{name}: one sheet");
        let rows = &upload[0].1;
        assert_eq!(
            rows[0].iter().map(text).collect::<Vec<_>>(),
            ["序号", "姓名", "身份证号", "账号", "金额", "摘要"]
        );
        let banked: Vec<&Vec<String>> = corrections
            .iter()
            .filter(|row| row[0] == "backpay" && !row[8].is_empty())
            .collect();
        assert_eq!(rows.len(), banked.len() + 1, "{name}: no totals row");
        for (index, (row, csv)) in rows[1..].iter().zip(&banked).enumerate() {
            assert_eq!(number(&row[0]), Some(index as f64 + 1.0));
            assert_eq!(text(&row[1]), unmarked(&csv[2]));
            assert!(matches!(row[2], Data::String(_)) && matches!(row[3], Data::String(_)));
            assert_eq!(text(&row[2]), csv[1]);
            assert_eq!(text(&row[3]), csv[8]);
            assert_eq!(number(&row[4]), csv_number(&csv[7]));
            assert!(text(&row[5]).ends_with("补发"), "{:?}", row[5]);
        }
    }
    // The months and program of a back-pay make its 摘要.
    let out = spec_example_report("case21");
    let upload = sheets(&out.join("backpay-upload.xlsx"));
    let memos: Vec<String> = upload[0].1[1..].iter().map(|row| text(&row[5])).collect();
    assert_eq!(memos, ["2024年2月特困供养补发", "2024年1-2月、4月低保补发"]);
    // An account with a leading zero and 19 digits stays as written.
    let upload = sheets(&spec_example_report("case24").join("backpay-upload.xlsx"));
    assert_eq!(text(&upload[0].1[1][3]), "62220001");
    assert_eq!(text(&upload[0].1[1][5]), "2024年2-3月价格临时补贴补发");
}

/// 整改台账 lists the register after the run by where each item stands —
/// open, overdue, closed by this run, found again after closing (marked
/// 可能虚假整改) — with the office's columns as the register holds them;
/// items closed by earlier runs are counted, not listed.
#[test]
fn the_register_sheet_groups_items_and_flags_the_ones_found_again() {
    let out = spec_example_report("case22");
    let (header, register) = csv_rows(&read(&out.join("register.csv")));
    let column = |name: &str| header.iter().position(|title| title == name).unwrap();
    let all = sheets(&out.join("report.xlsx"));
    let rows = sheet(&all, sheet_names(Lang::Zh).register);
    assert_eq!(text(&rows[0][0]), "整改台账（截至2024年6月）");
    let (titles, body) = printed(rows, "问题编号");
    for office in ["整改措施", "责任人", "追回金额", "备注"] {
        assert!(titles.iter().any(|title| title == office), "{office}");
    }
    let office = |name: &str| titles.iter().position(|title| title == name).unwrap();
    let mut group = String::new();
    let mut listed: BTreeMap<String, (String, Vec<Data>)> = BTreeMap::new();
    for row in &body {
        let first = text(&row[0]);
        if first.starts_with(['一', '二', '三', '四']) {
            group = first;
        } else {
            listed.insert(first, (group.clone(), row.clone()));
        }
    }
    let mut closed_before = 0;
    for item in &register {
        let number = &item[column("item")];
        let status = &item[column("status")];
        let closed_in = &item[column("closed_in")];
        if status == "closed" && closed_in != "2024-06" {
            closed_before += 1;
            assert!(!listed.contains_key(number), "{number} was closed before");
            continue;
        }
        let (group, row) = &listed[number];
        let reopened: u32 = item[column("reopened")].parse().unwrap();
        let expected_group = if status == "closed" {
            "三、本次销号"
        } else if reopened > 0 {
            "四、销号后再次发现"
        } else if status == "overdue" {
            "二、逾期未整改"
        } else {
            "一、未整改"
        };
        assert!(group.starts_with(expected_group), "{number}: {group}");
        assert_eq!(
            text(&row[11]).contains("可能虚假整改"),
            reopened > 0,
            "{number}"
        );
        for name in ["整改措施", "责任人", "追回金额", "备注"] {
            assert_eq!(text(&row[office(name)]), unmarked(&item[column(name)]));
        }
        assert_eq!(text(&row[5]), item[column("id_number")]);
    }
    assert_eq!(closed_before, 1);
    // The reopened DUPLICATE_ENROLMENT item of SPEC's case22.
    assert_eq!(
        listed["202403-0003"].0,
        "四、销号后再次发现（可能虚假整改，请重点核查）  1 项"
    );
    // The office's formula-like text is a text cell, shown as typed.
    assert_eq!(
        text(&listed["202312-0001"].1[office("整改措施")]),
        "=重新核定收入"
    );
}

/// 月报: per village in the label month, E and P as summary.csv's rows of
/// that month add up, the register's items where they stand, and the
/// office's 追回金额 read as money; a cell that is not money is listed
/// under the table and the run goes on.
#[test]
fn the_month_report_adds_up_and_lists_recovered_cells_that_are_not_money() {
    let copy = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("case22-with-recovered");
    let _ = std::fs::remove_dir_all(&copy);
    for (recovered, expect_fen, listed) in [("50.00", 5000, false), ("约50元", 0, true)] {
        let _ = std::fs::remove_dir_all(&copy);
        std::fs::create_dir_all(&copy).expect("a folder");
        let example = repository().join("fixtures/spec-examples/case22");
        for entry in std::fs::read_dir(&example).expect("the example") {
            let entry = entry.expect("an entry");
            std::fs::copy(entry.path(), copy.join(entry.file_name())).expect("a copy");
        }
        let before = read(&copy.join("before-register.csv"));
        assert!(before.contains(",张会计,50.00,"));
        let before = before.replace(",张会计,50.00,", &format!(",张会计,{recovered},"));
        std::fs::write(copy.join("before-register.csv"), before).expect("write");
        let out = report_of(&copy, "case22-copy");
        let all = sheets(&out.join("report.xlsx"));
        let rows = sheet(&all, sheet_names(Lang::Zh).monthly);
        assert_eq!(text(&rows[0][0]), "社会救助资金对账月报（2024年6月）");
        let (titles, body) = printed(rows, "区划代码(村/社区)");
        assert_eq!(titles.len(), 12);
        let total = body
            .iter()
            .find(|row| text(&row[0]) == "合计")
            .expect("a total row");
        let (_, summary) = csv_rows(&read(&out.join("summary.csv")));
        let month: Vec<&Vec<String>> = summary.iter().filter(|row| row[2] == "2024-06").collect();
        let expected: i64 = month.iter().map(|row| fen(&row[4])).sum();
        let paid: i64 = month.iter().map(|row| fen(&row[7])).sum();
        assert_eq!(fen_of(&total[3]), expected);
        assert_eq!(fen_of(&total[4]), paid);
        assert_eq!(fen_of(&total[11]), expect_fen, "{recovered}");
        // The register's items of the month: SPEC case22's register.
        let (header, register) = csv_rows(&read(&out.join("register.csv")));
        let column = |name: &str| header.iter().position(|title| title == name).unwrap();
        let count = |test: &dyn Fn(&Vec<String>) -> bool| {
            register.iter().filter(|row| test(row)).count() as f64
        };
        assert_eq!(
            number(&total[7]),
            Some(count(&|row| row[column("status")] == "open"))
        );
        assert_eq!(
            number(&total[8]),
            Some(count(&|row| row[column("status")] == "overdue"))
        );
        assert_eq!(
            number(&total[9]),
            Some(count(&|row| row[column("closed_in")] == "2024-06"))
        );
        assert_eq!(
            number(&total[6]),
            Some(count(&|row| row[column("first_found")] == "2024-06"
                && row[column("reopened")] == "0"
                && row[column("closed_in")].is_empty()))
        );
        let noted = rows.iter().any(|row| {
            row.iter().any(
                |cell| matches!(cell, Data::String(text) if text.contains("“约50元”") && text.contains("202402-0001")),
            )
        });
        assert_eq!(noted, listed, "{recovered}");
    }
}

/// A printed list longer than a sheet holds goes on in `补发清单 (2)` …,
/// each with its title and header; no row is lost and the total stays.
#[test]
fn a_printed_list_longer_than_a_sheet_goes_on() {
    let case = repository().join("fixtures/spec-examples/case21");
    let out = out_dir("lists-continued");
    let output = run(duizhang()
        .env("DUIZHANG_XLSX_ROWS", "5")
        .current_dir(&case)
        .arg("reconcile")
        .arg(".")
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--report"])
        .args(read(&case.join("args.txt")).split_whitespace()));
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    let all = sheets(&out.join("report.xlsx"));
    let continued: Vec<&(String, Vec<Vec<Data>>)> = all
        .iter()
        .filter(|(name, _)| name.starts_with("追缴清单"))
        .collect();
    assert!(
        continued.len() > 1,
        "{:?}",
        all.iter().map(|(name, _)| name).collect::<Vec<_>>()
    );
    let (_, corrections) = csv_rows(&read(&out.join("corrections.csv")));
    let expected: i64 = corrections
        .iter()
        .filter(|row| row[0] == "recover")
        .map(|row| fen(&row[7]))
        .sum();
    let mut listed = 0;
    let mut sum = 0;
    let mut total = None;
    for (_, rows) in &continued {
        assert!(text(&rows[0][0]).starts_with("社会救助资金追缴清单"));
        let (_, body) = printed(rows, "序号");
        for row in body {
            match &row[0] {
                Data::Float(_) => {
                    listed += 1;
                    sum += fen_of(&row[8]);
                }
                Data::String(label) if label.starts_with("合计") => total = Some(fen_of(&row[8])),
                _ => {}
            }
        }
    }
    assert_eq!(
        listed,
        corrections.iter().filter(|row| row[0] == "recover").count()
    );
    assert_eq!((sum, total), (expected, Some(expected)));
}

/// The demo copied (sub-folders too), with `policy_tail` added to its
/// policy.toml.
fn demo_with_policy(name: &str, policy_tail: &str) -> PathBuf {
    let case = out_dir(name);
    let copy = |from: &Path, to: &Path| {
        std::fs::create_dir_all(to).expect("a folder");
        for entry in std::fs::read_dir(from).expect("listed") {
            let path = entry.expect("an entry").path();
            if path.is_file() {
                std::fs::copy(&path, to.join(path.file_name().expect("a name"))).expect("copied");
            }
        }
    };
    copy(&demo(), &case);
    copy(&demo().join("payouts"), &case.join("payouts"));
    let policy = case.join("policy.toml");
    let mut text = read(&policy);
    text.push_str(policy_tail);
    std::fs::write(&policy, text).expect("written");
    case
}

#[test]
fn the_notice_states_its_posting_period_issuer_and_telephone_and_notes_rows_without_an_amount() {
    let case = demo_with_policy(
        "notice-frame-case",
        "\n[notice]\nissuer = \"某某镇人民政府\"\nphone = \"0851-1234567\"\ndays = 10\n",
    );
    let out = out_dir("notice-frame");
    let file = out.join("notice.xlsx");
    // The month in the office's own form.
    let output = notice(&case, "2024年7月", &file, &["--posted", "2024-07-25"]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    let all = sheets(&file);
    let first_cells = |rows: &[Vec<Data>]| -> Vec<String> {
        rows.iter()
            .filter_map(|row| match &row[0] {
                Data::String(line) => Some(line.clone()),
                _ => None,
            })
            .collect()
    };
    let lines = first_cells(&all[0].1);
    for expected in [
        "公示期：2024年7月25日至2024年8月3日（10天）。",
        "监督电话：0851-1234567",
        "发布单位：某某镇人民政府",
        "发布日期：2024年7月25日",
    ] {
        assert!(
            lines.iter().any(|line| line == expected),
            "{expected} in {lines:?}"
        );
    }
    // Every row without an amount to pay says why, on the posted sheet.
    let rows = table(&all[0].1);
    let pending: Vec<&Vec<Data>> = rows
        .iter()
        .filter(|row| matches!(&row[5], Data::String(text) if text == "待核定"))
        .collect();
    assert!(!pending.is_empty(), "the demo has a missing standard");
    for row in rows.iter() {
        let without_amount = matches!(&row[5], Data::String(_)) || number(&row[5]) == Some(0.0);
        assert_eq!(without_amount, !text(&row[6]).is_empty(), "{row:?}");
    }
    // The same notice without --posted leaves the dates to be written in.
    let blank = out.join("notice-blank.xlsx");
    assert_eq!(notice(&case, "2024-07", &blank, &[]).status.code(), Some(0));
    let blank_lines = first_cells(&sheets(&blank)[0].1);
    assert!(blank_lines
        .iter()
        .any(|line| line == "公示期：____年__月__日至____年__月__日（10天）。"));
}

#[test]
fn a_notice_for_a_month_no_enrolment_covers_is_refused() {
    let out = out_dir("notice-uncovered");
    let file = out.join("notice.xlsx");
    let output = notice(&demo(), "2000-01", &file, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    assert!(
        said(&output).contains("no dibao or tekun enrolment"),
        "{}",
        said(&output)
    );
    assert!(!file.exists());
    // A month past every record is posted, with a warning.
    let output = notice(&demo(), "2030-01", &file, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    assert!(
        said(&output).contains("the case's records end in 2024-12"),
        "{}",
        said(&output)
    );
}

#[test]
fn a_notice_setting_policy_toml_does_not_know_is_a_located_error() {
    let case = demo_with_policy(
        "notice-bad-policy-case",
        "\n[notice]\nissuer = \"某某镇\"\nfax = \"1\"\n",
    );
    let out = out_dir("notice-bad-policy");
    let output = notice(&case, "2024-07", &out.join("notice.xlsx"), &[]);
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    let message = said(&output);
    assert!(message.contains("policy.toml:"), "{message}");
    assert!(
        message.contains("unknown key \"fax\" in [notice]"),
        "{message}"
    );
}

#[test]
fn the_about_sheet_names_each_workbook_with_its_sheet_and_header_row_and_the_policy_in_words() {
    let out = out_dir("about-office");
    let case = repository().join("fixtures/demo-office");
    let output = reconcile(&case, &out, &["--report"]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    let all = sheets(&out.join("report.xlsx"));
    let about = &all[0].1;
    let first: Vec<String> = about
        .iter()
        .filter_map(|row| match &row[0] {
            Data::String(text) => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert!(
        first.contains(&"roster.xlsx（工作表“花名册”，表头在第 4 行）".to_string()),
        "{first:?}"
    );
    // Each setting in words, its value, and the key to edit in policy.toml.
    let rectify = about
        .iter()
        .find(|row| matches!(&row[0], Data::String(text) if text == "整改期限(月)"))
        .expect("the rectify_months row");
    assert_eq!(text_of(&rectify[2]), "rectify_months");
    let rounding = about
        .iter()
        .find(|row| matches!(&row[0], Data::String(text) if text == "派生标准取整单位(四舍五入)"))
        .expect("the item_rounding row");
    assert_eq!(text_of(&rounding[1]), "角");
}

#[test]
fn the_about_sheet_gives_the_money_to_put_right_once_from_corrections() {
    let case = repository().join("fixtures/spec-examples/case21");
    let out = out_dir("about-corrections");
    let mut arguments: Vec<String> = common::case_arguments(&case);
    arguments.push("--report".into());
    let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
    let output = reconcile(&case, &out, &arguments);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    let (header, rows) = csv_rows(&read(&out.join("corrections.csv")));
    let kind = header.iter().position(|name| name == "kind").expect("kind");
    let amount = header
        .iter()
        .position(|name| name == "amount")
        .expect("amount");
    let total = |wanted: &str| -> f64 {
        rows.iter()
            .filter(|row| row[kind] == wanted)
            .map(|row| row[amount].parse::<f64>().expect("money"))
            .sum()
    };
    let all = sheets(&out.join("report.xlsx"));
    let about = &all[0].1;
    let value = |label: &str| -> f64 {
        let row = about
            .iter()
            .find(|row| matches!(&row[0], Data::String(text) if text == label))
            .unwrap_or_else(|| panic!("no {label} row"));
        number(&row[1]).expect("an amount")
    };
    assert!(total("backpay") > 0.0 && total("recover") > 0.0);
    assert!((value("应补发(补发清单合计)") - total("backpay")).abs() < 0.001);
    assert!((value("应追缴(追缴清单合计)") - total("recover")).abs() < 0.001);
}

#[test]
fn every_sheet_prints_one_page_wide_with_its_name_and_page_numbers() {
    use std::io::Read;
    // A folder of its own: demo_report's is shared by other tests.
    let out = out_dir("report-print-settings");
    let output = reconcile(&demo(), &out, &["--report"]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    let file = std::fs::File::open(out.join("report.xlsx")).expect("the workbook");
    let mut archive = zip::ZipArchive::new(file).expect("a zip");
    let mut part = |name: &str| -> String {
        let mut text = String::new();
        archive
            .by_name(name)
            .unwrap_or_else(|error| panic!("{name}: {error}"))
            .read_to_string(&mut text)
            .expect("UTF-8 XML");
        text
    };
    let workbook = part("xl/workbook.xml");
    let sheets = workbook.matches("<sheet ").count();
    assert!(sheets >= 9, "{workbook}");
    for index in 1..=sheets {
        let xml = part(&format!("xl/worksheets/sheet{index}.xml"));
        assert!(
            xml.contains("<pageSetUpPr fitToPage=\"1\"/>"),
            "sheet{index}: not fitted"
        );
        assert!(
            xml.contains("fitToHeight=\"0\""),
            "sheet{index}: not one page wide"
        );
        assert!(xml.contains("paperSize=\"9\""), "sheet{index}: not A4");
        assert!(xml.contains("&amp;P"), "sheet{index}: no page number");
        assert!(xml.contains("<oddHeader>"), "sheet{index}: no header");
    }
    // 台账 starts each village on a page of its own.
    let names: Vec<&str> = workbook
        .split("<sheet ")
        .skip(1)
        .map(|sheet| {
            sheet
                .split("name=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("")
        })
        .collect();
    let ledger_index = names.iter().position(|name| *name == "台账").expect("台账") + 1;
    let ledger = part(&format!("xl/worksheets/sheet{ledger_index}.xml"));
    let villages: std::collections::BTreeSet<String> = csv_rows(&read(&out.join("ledger.csv")))
        .1
        .iter()
        .map(|row| row[2].clone())
        .collect();
    assert!(
        ledger.contains(&format!("<rowBreaks count=\"{}\"", villages.len() - 1)),
        "one break before each village but the first ({} villages)",
        villages.len()
    );
    // 汇总 prints its own twelve columns, not the towns' table beside it.
    assert!(
        workbook.contains("Print_Area\" localSheetId=\"1\">汇总!$A:$L</definedName>"),
        "{workbook}"
    );
    // 汇总's chart prints on a page of its own below the table (a copy of
    // the one beside the towns' table, which is outside the print area).
    let summary = part("xl/worksheets/sheet2.xml");
    assert!(
        summary.contains("<rowBreaks count=\"1\""),
        "no page break before the printed chart"
    );
    assert!(!part("xl/charts/chart2.xml").is_empty(), "no printed chart");
    // 问题清单 prints its first eleven columns (who, what, how much, what to
    // do, the evidence) at a legible size, narrow margins, its long texts
    // wrapped in rows grown to hold them.
    assert!(
        workbook.contains("Print_Area\" localSheetId=\"2\">问题清单!$A$1:$K$"),
        "{workbook}"
    );
    let findings = part("xl/worksheets/sheet3.xml");
    assert!(findings.contains("<pageMargins left=\"0.25\" right=\"0.25\""));
    assert!(
        findings.contains("customHeight=\"1\""),
        "no row grown for its wrapped text"
    );
}

#[test]
fn the_summary_sheet_ends_in_the_totals_of_its_rows() {
    let out = out_dir("report-summary-totals");
    let output = reconcile(&demo(), &out, &["--report"]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    let all = sheets(&out.join("report.xlsx"));
    let summary_sheet = sheet(&all, "汇总");
    let data_rows = table(summary_sheet).len();
    // The header, the rows, a blank row, then 合计.
    let totals = &summary_sheet[data_rows + 2];
    assert_eq!(text(&totals[0]), "合计");
    let (_, summary) = csv_rows(&read(&out.join("summary.csv")));
    let column_fen = |column: usize| -> i64 {
        summary
            .iter()
            .map(|row| {
                let (yuan, fen) = row[column].split_once('.').expect("money");
                yuan.parse::<i64>().expect("yuan") * 100 + fen.parse::<i64>().expect("fen")
            })
            .sum()
    };
    let lines: f64 = summary
        .iter()
        .map(|row| row[3].parse::<f64>().expect("a count"))
        .sum();
    assert_eq!(number(&totals[3]), Some(lines));
    for column in [4, 5, 6, 7, 8, 9, 10] {
        let sheet_fen = (number(&totals[column]).expect("an amount") * 100.0).round() as i64;
        assert_eq!(sheet_fen, column_fen(column), "column {column}");
    }
}

#[test]
fn in_english_no_column_is_narrower_than_its_title() {
    use std::io::Read;
    let out = out_dir("report-english-widths");
    let output = reconcile(&demo(), &out, &["--report", "--lang", "en"]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    let all = sheets(&out.join("report.xlsx"));
    let file = std::fs::File::open(out.join("report.xlsx")).expect("the workbook");
    let mut archive = zip::ZipArchive::new(file).expect("a zip");
    for (index, (name, rows)) in all.iter().enumerate() {
        if !["Findings", "Findings by case", "Ledger"].contains(&name.as_str()) {
            continue;
        }
        let mut xml = String::new();
        archive
            .by_name(&format!("xl/worksheets/sheet{}.xml", index + 1))
            .expect("the sheet")
            .read_to_string(&mut xml)
            .expect("UTF-8");
        // `<col min="1" max="3" width="…"/>`: one element for a run of
        // columns of the same width.
        let mut widths: Vec<f64> = Vec::new();
        for col in xml.split("<col ").skip(1) {
            let attribute = |key: &str| -> f64 {
                col.split(&format!("{key}=\""))
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .and_then(|value| value.parse().ok())
                    .expect("an attribute")
            };
            let (first, last, width) = (attribute("min"), attribute("max"), attribute("width"));
            widths.resize(last as usize, 0.0);
            for column in first as usize..=last as usize {
                widths[column - 1] = width;
            }
        }
        for (column, title) in rows[0].iter().enumerate() {
            let title = text(title);
            if title.is_empty() {
                continue;
            }
            assert!(
                widths[column] >= title.chars().count() as f64,
                "{name}: column {title:?} is {} wide",
                widths[column]
            );
        }
    }
}

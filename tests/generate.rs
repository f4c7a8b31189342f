//! `duizhang generate`: every SPEC v2 rule is planted (read back from the
//! roster, standards and policy it wrote); a case without planted
//! anomalies reconciles without a single finding, so the generator pays
//! every local rule exactly as the engine recomputes it; and the planted v2
//! anomalies show as the findings they are meant to cause. With `--v3`
//! the same, with members.csv, watchlist.csv and monthly payout files, and
//! the v3 anomalies among the planted ones.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{csv_rows, out_dir, read, reconcile};

fn generate(folder: &Path, households: &str, seed: &str, anomaly: &str, extra: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_duizhang"))
        .args(["generate", folder.to_str().expect("utf-8 path")])
        .args(["--households", households, "--seed", seed])
        .args(["--anomaly", anomaly])
        .args(extra)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CSV file's rows as maps from column name to cell.
fn table(path: &Path) -> Vec<HashMap<String, String>> {
    let (header, rows) = csv_rows(&read(path));
    rows.into_iter()
        .map(|row| header.iter().cloned().zip(row).collect())
        .collect()
}

fn is_share(amount: &str) -> bool {
    amount.ends_with('%') || amount.contains('/')
}

const DEATH_REASONS: [&str; 3] = ["deceased", "死亡", "去世"];

/// The v2 rules as the generated files state them.
fn assert_every_v2_rule_is_present(case: &Path) {
    let standards = table(&case.join("standards.csv"));
    let rows_of = |item: &str| -> Vec<&HashMap<String, String>> {
        standards
            .iter()
            .filter(|row| row["item"].starts_with(item))
            .collect()
    };
    let tier_is_share: HashMap<String, bool> = rows_of("tier_")
        .iter()
        .map(|row| (row["item"][5..].to_string(), is_share(&row["amount"])))
        .collect();
    let money_tier_rows = rows_of("tier_")
        .iter()
        .filter(|row| !is_share(&row["amount"]))
        .count();
    assert!(money_tier_rows >= 2, "a money tier raised in place");
    assert!(rows_of("topup_")
        .iter()
        .all(|row| row["amount"].ends_with('%')));
    assert!(rows_of("basic").iter().any(|row| row["amount"] == "130%"));
    assert!(rows_of("care_")
        .iter()
        .all(|row| row["amount"].contains('/')));
    assert!(rows_of("min_wage").len() >= 2, "the minimum wage is raised");
    assert!(rows_of("price_subsidy")
        .iter()
        .any(|row| row["amount"].ends_with('%')));

    let policy = read(&case.join("policy.toml"));
    for key in [
        "topup_stacking",
        "phase_out_months",
        "deceased_grace_months",
    ] {
        assert!(policy.contains(key), "policy.toml sets {key}");
    }
    assert!(policy.contains("item_rounding = \"jiao\""));
    assert!(!policy.contains("deceased_grace_months = 0"));

    let roster = table(&case.join("roster.csv"));
    let dibao: Vec<_> = roster
        .iter()
        .filter(|row| row["program"] == "dibao")
        .collect();
    let tiers: Vec<bool> = dibao
        .iter()
        .filter(|row| !row["tier"].is_empty())
        .map(|row| tier_is_share[&row["tier"]])
        .collect();
    assert!(
        tiers.contains(&true) && tiers.contains(&false),
        "tiers as shares and as money"
    );
    let categories: Vec<&str> = dibao.iter().map(|row| row["categories"].as_str()).collect();
    assert!(categories.iter().any(|cell| cell.contains('+')));
    assert!(categories.iter().any(|cell| cell.contains(';')));
    assert!(dibao.iter().any(|row| !row["phase_out_from"].is_empty()));
    assert!(roster.iter().any(|row| row["program"] == "tekun"));

    let sizes: HashMap<&str, &str> = dibao
        .iter()
        .map(|row| (row["id_number"].as_str(), row["household_size"].as_str()))
        .collect();
    let deceased_sizes: Vec<&str> = table(&case.join("exclusions.csv"))
        .iter()
        .filter(|row| DEATH_REASONS.contains(&row["reason"].as_str()))
        .filter_map(|row| sizes.get(row["id_number"].as_str()).copied())
        .collect();
    assert!(
        deceased_sizes.contains(&"1"),
        "a deceased head living alone"
    );
    assert!(
        deceased_sizes.iter().any(|size| *size != "1"),
        "a deceased head of a family"
    );
}

/// Generates a case, checks its rules, reconciles it; returns both folders.
fn generate_and_reconcile(
    name: &str,
    households: &str,
    seed: &str,
    anomaly: &str,
    extra: &[&str],
) -> (PathBuf, PathBuf) {
    let case = out_dir(name);
    generate(&case, households, seed, anomaly, extra);
    assert_every_v2_rule_is_present(&case);
    let out = out_dir(&format!("{name}-run"));
    let run = reconcile(&case, &out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (case, out)
}

#[test]
fn a_case_without_anomalies_has_every_v2_rule_and_no_finding() {
    let (case, out) = generate_and_reconcile("generate-plain", "400", "3", "0", &[]);
    for v3_file in ["members.csv", "watchlist.csv", "payouts"] {
        assert!(!case.join(v3_file).exists(), "{v3_file} only with --v3");
    }
    let findings = read(&out.join("findings.csv"));
    assert_eq!(
        findings.lines().count(),
        1,
        "no finding at all:\n{findings}"
    );
    let ledger = table(&out.join("ledger.csv"));
    assert!(ledger.len() > 4000);
    assert!(ledger.iter().all(|line| line["status"] == "ok"));
}

/// The v3 files of a generated case: every dibao household's members, as
/// many as its roster's household size (the head among them), leads, and
/// the payouts in twelve monthly files instead of payouts.csv.
fn assert_the_v3_files_are_written(case: &Path, year: &str) {
    assert!(!case.join("payouts.csv").exists());
    let months: Vec<String> = (1..=12)
        .map(|month| format!("{year}-{month:02}.csv"))
        .collect();
    let mut files: Vec<String> = std::fs::read_dir(case.join("payouts"))
        .expect("a payouts folder")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    assert_eq!(files, months);
    for month in &months {
        let rows = table(&case.join("payouts").join(month));
        assert!(
            rows.iter()
                .all(|row| row["paid_on"].starts_with(&month[..7])),
            "payouts/{month} holds the payouts the bank made that month"
        );
    }
    let members = table(&case.join("members.csv"));
    let mut listed: HashMap<&str, Vec<&str>> = HashMap::new();
    for member in &members {
        listed
            .entry(member["household_id"].as_str())
            .or_default()
            .push(member["id_number"].as_str());
    }
    assert!(!listed.is_empty());
    for row in table(&case.join("roster.csv")) {
        if row["program"] != "dibao" {
            continue;
        }
        let ids = &listed[row["household_id"].as_str()];
        assert!(
            ids.contains(&row["id_number"].as_str()),
            "the head is listed"
        );
        assert_eq!(ids.len().to_string(), row["household_size"]);
    }
    let leads = table(&case.join("watchlist.csv"));
    assert!(!leads.is_empty());
    assert!(leads.iter().all(|lead| !lead["source"].is_empty()));
}

#[test]
fn a_v3_case_without_anomalies_has_every_v2_rule_and_no_finding() {
    let (case, out) = generate_and_reconcile("generate-plain-v3", "400", "3", "0", &["--v3"]);
    assert_the_v3_files_are_written(&case, "2024");
    let findings = read(&out.join("findings.csv"));
    assert_eq!(
        findings.lines().count(),
        1,
        "no finding at all:\n{findings}"
    );
    let ledger = table(&out.join("ledger.csv"));
    assert!(ledger.len() > 4000);
    assert!(ledger.iter().all(|line| line["status"] == "ok"));
    // The leads are covered: they name enrolled heads and listed members.
    let report: serde_json::Value =
        serde_json::from_str(&read(&out.join("run.json"))).expect("run.json");
    assert!(report["files"]["watchlist.csv"]["rows"].as_u64() > Some(0));
}

/// `YYYY-MM` plus `months`.
fn add_months(period: &str, months: u32) -> String {
    let year: u32 = period[..4].parse().expect("a year");
    let month: u32 = period[5..7].parse().expect("a month");
    let index = year * 12 + month - 1 + months;
    format!("{:04}-{:02}", index / 12, index % 12 + 1)
}

/// The codes SPEC v3 added, which need members.csv or watchlist.csv.
const V3_CODES: [&str; 3] = [
    "POSSIBLY_MISSED",
    "MEMBER_EXCLUDED",
    "HOUSEHOLD_SIZE_MISMATCH",
];

#[test]
fn planted_v2_anomalies_show_as_their_findings() {
    let (case, out) = generate_and_reconcile("generate-anomalies", "150", "4", "0.5", &[]);
    let findings = table(&out.join("findings.csv"));
    for code in duizhang::domain::Code::ALL {
        if V3_CODES.contains(&code.name()) {
            continue;
        }
        assert!(
            findings
                .iter()
                .any(|finding| finding["code"] == code.name()),
            "no {} finding",
            code.name()
        );
    }
    assert_v2_rule_anomalies(&case, &findings);
}

/// With `--v3` every finding code shows, the v3 ones included, and the
/// payout re-exported in the next month's file is a DUPLICATE_RECORD
/// naming both files.
#[test]
fn planted_v2_and_v3_anomalies_show_as_their_findings() {
    let (case, out) = generate_and_reconcile("generate-anomalies-v3", "150", "4", "0.5", &["--v3"]);
    let findings = table(&out.join("findings.csv"));
    for code in duizhang::domain::Code::ALL {
        assert!(
            findings
                .iter()
                .any(|finding| finding["code"] == code.name()),
            "no {} finding",
            code.name()
        );
    }
    let re_exported = findings.iter().any(|finding| {
        let sources: Vec<&str> = finding["sources"].split(';').collect();
        let file = |source: &str| source.rsplit_once(':').map(|(file, _)| file.to_string());
        finding["code"] == "DUPLICATE_RECORD"
            && sources.len() == 2
            && sources.iter().all(|source| source.starts_with("payouts/"))
            && file(sources[0]) != file(sources[1])
    });
    assert!(re_exported, "a payout repeated in two monthly files");
    // A dead member's household: the member is not the enrolled head.
    let heads: Vec<String> = table(&case.join("roster.csv"))
        .into_iter()
        .map(|row| row["id_number"].clone())
        .collect();
    let member_excluded = findings
        .iter()
        .filter(|finding| finding["code"] == "MEMBER_EXCLUDED")
        .collect::<Vec<_>>();
    assert!(member_excluded
        .iter()
        .all(|finding| heads.contains(&finding["id_number"])));
    assert_v2_rule_anomalies(&case, &findings);
}

/// The v2 rules' anomalies: paid past the phase-out, and paid after a
/// death — at once for a person alone, after the grace months for a
/// family.
fn assert_v2_rule_anomalies(case: &Path, findings: &[HashMap<String, String>]) {
    let policy = read(&case.join("policy.toml"));
    let months = |key: &str| -> u32 {
        let line = policy
            .lines()
            .find(|line| line.starts_with(key))
            .expect(key);
        line.split('=')
            .nth(1)
            .expect("a value")
            .trim()
            .parse()
            .expect("months")
    };
    let roster = table(&case.join("roster.csv"));
    let dibao: HashMap<&str, &HashMap<String, String>> = roster
        .iter()
        .filter(|row| row["program"] == "dibao")
        .map(|row| (row["id_number"].as_str(), row))
        .collect();
    // The dibao months of one person with a finding of `code`.
    let periods = |code: &str, id: &str| -> Vec<String> {
        findings
            .iter()
            .filter(|finding| {
                finding["code"] == code
                    && finding["id_number"] == id
                    && finding["program"] == "dibao"
            })
            .map(|finding| finding["period"].clone())
            .collect()
    };
    // Found from `from` on, and never before it.
    let found = |code: &str, id: &str, from: &str| {
        let periods = periods(code, id);
        !periods.is_empty() && periods.iter().all(|period| period.as_str() >= from)
    };
    // Paid after the phase-out's last month.
    let phase_out_months = months("phase_out_months");
    assert!(dibao.values().any(|row| {
        let from = &row["phase_out_from"];
        !from.is_empty()
            && found(
                "PAID_AFTER_EXIT",
                &row["id_number"],
                &add_months(from, phase_out_months),
            )
    }));
    // Paid after a death: at once alone, after the grace months in a family.
    let grace = months("deceased_grace_months");
    let mut paid_after_death = (false, false);
    for exclusion in table(&case.join("exclusions.csv")) {
        let Some(head) = dibao.get(exclusion["id_number"].as_str()) else {
            continue;
        };
        if !DEATH_REASONS.contains(&exclusion["reason"].as_str()) {
            continue;
        }
        let alone = head["household_size"] == "1";
        let effective = add_months(&exclusion["from_period"], if alone { 0 } else { grace });
        if found("PAID_TO_EXCLUDED", &head["id_number"], &effective) {
            match alone {
                true => paid_after_death.0 = true,
                false => paid_after_death.1 = true,
            }
        }
    }
    assert_eq!(paid_after_death, (true, true));
}

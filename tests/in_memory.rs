//! A run into memory — a case given as named byte buffers, every output
//! kept in memory (what the page of web/ does) — writes the same bytes as
//! the CLI writes to OUT_DIR, for every fixture case, with and without
//! `--report`; and a case the CLI refuses is refused alike.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Parser;
use common::repository;
use duizhang::cli::{Cli, Command};

/// Every file under `case`, named by its path relative to it with `/`;
/// `None` when the case holds a link or a special file (an error of the
/// file system that named buffers cannot show).
fn entries_of(case: &Path) -> Option<Vec<(String, Arc<[u8]>)>> {
    fn walk(root: &Path, folder: &Path, into: &mut Vec<(String, Arc<[u8]>)>) -> Option<()> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(folder)
            .expect("a fixture folder")
            .map(|entry| entry.expect("an entry").path())
            .collect();
        paths.sort();
        for path in paths {
            let kind = std::fs::symlink_metadata(&path)
                .expect("listed")
                .file_type();
            if kind.is_dir() {
                walk(root, &path, into)?;
            } else if !kind.is_file() {
                return None;
            } else {
                let name = path
                    .strip_prefix(root)
                    .expect("under the case")
                    .to_string_lossy()
                    .replace('\\', "/");
                into.push((name, Arc::from(std::fs::read(&path).expect("readable"))));
            }
        }
        Some(())
    }
    let mut entries = Vec::new();
    walk(case, case, &mut entries)?;
    Some(entries)
}

/// The case folders every output group of the fixtures holds.
fn fixture_cases() -> Vec<PathBuf> {
    let mut cases = Vec::new();
    for group in [
        "spec-examples",
        "codes",
        "rules",
        "office",
        "regions",
        "bank-text",
        "errors",
    ] {
        if repository().join("fixtures").join(group).is_dir() {
            cases.extend(
                common::cases(group)
                    .into_iter()
                    .filter(|case| case.join("roster.csv").exists() || has_roster(case)),
            );
        }
    }
    cases.push(repository().join("fixtures/demo"));
    cases.push(repository().join("fixtures/demo-office"));
    cases
}

fn has_roster(case: &Path) -> bool {
    std::fs::read_dir(case)
        .map(|entries| {
            entries.filter_map(Result::ok).any(|entry| {
                entry
                    .file_name()
                    .to_string_lossy()
                    .to_lowercase()
                    .starts_with("roster")
            })
        })
        .unwrap_or(false)
}

/// The outputs of a CLI run in `out`, by name.
fn written(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(out)
        .expect("OUT_DIR")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            (
                path.file_name()
                    .expect("a name")
                    .to_string_lossy()
                    .into_owned(),
                std::fs::read(&path).expect("readable"),
            )
        })
        .collect();
    files.sort();
    files
}

fn compare(case: &Path, extra: &[&str]) {
    let Some(entries) = entries_of(case) else {
        return;
    };
    let name = case
        .strip_prefix(repository())
        .unwrap_or(case)
        .display()
        .to_string();
    let out = common::out_dir(&format!(
        "in-memory-{}{}",
        name.replace('/', "-"),
        extra.join("")
    ));
    let cli = common::reconcile(case, &out, extra);
    let mut arguments: Vec<String> = vec![
        "duizhang".into(),
        "reconcile".into(),
        case.display().to_string(),
        "--out".into(),
        out.display().to_string(),
    ];
    arguments.extend(common::case_arguments(case));
    arguments.extend(extra.iter().map(|argument| argument.to_string()));
    let Command::Reconcile(args) = Cli::try_parse_from(&arguments)
        .expect("the fixture's arguments parse")
        .command
    else {
        unreachable!("a reconcile");
    };
    let memory = args.into_config().and_then(|config| {
        let register = config
            .register
            .as_deref()
            .map(duizhang::read::register::read_register)
            .transpose()?;
        let folder = duizhang::read::CaseFolder::from_entries(entries)?;
        duizhang::app::run_into_memory(&config, &folder, register)
    });
    match (cli.code, memory) {
        (2, Err(_)) => {}
        (2, Ok(_)) => panic!(
            "{name}: the CLI stopped ({}) but the run into memory did not",
            cli.stderr
        ),
        (_, Err(error)) => panic!("{name}: the CLI ran but the run into memory stopped: {error}"),
        (code, Ok(run)) => {
            assert_eq!(
                i32::from(run.summary.exit_code),
                code,
                "{name}: exit status"
            );
            let mut kept: Vec<(String, Vec<u8>)> = run
                .outputs
                .into_iter()
                .map(|output| (output.name.to_string(), output.bytes))
                .collect();
            kept.sort();
            let on_disk = written(&out);
            let names = |files: &[(String, Vec<u8>)]| -> Vec<String> {
                files.iter().map(|(name, _)| name.clone()).collect()
            };
            assert_eq!(
                names(&kept),
                names(&on_disk),
                "{name} {extra:?}: the outputs"
            );
            for ((output, bytes), (_, expected)) in kept.iter().zip(&on_disk) {
                assert!(
                    bytes == expected,
                    "{name} {extra:?}: {output} differs from the CLI's ({} bytes against {})",
                    bytes.len(),
                    expected.len()
                );
            }
        }
    }
}

#[test]
fn a_run_into_memory_writes_the_cli_bytes_for_every_fixture() {
    let cases = fixture_cases();
    assert!(cases.len() > 40, "the fixtures are found");
    for case in &cases {
        compare(case, &[]);
    }
}

#[test]
fn a_run_into_memory_writes_the_cli_workbooks_and_csv_with_a_bom() {
    for case in [
        repository().join("fixtures/demo"),
        repository().join("fixtures/demo-office"),
        repository().join("fixtures/spec-examples/case22"),
    ] {
        compare(&case, &["--report"]);
        compare(&case, &["--bom", "--lang", "en", "--fail-on", "high"]);
    }
}

//! Helpers shared by the integration tests: run the real binary on a case
//! folder and read what it wrote.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The case folders under `fixtures/<group>/`, sorted by name.
pub fn cases(group: &str) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(repository().join("fixtures").join(group))
        .unwrap_or_else(|error| panic!("fixtures/{group}: {error}"))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "fixtures/{group} holds no cases");
    cases
}

pub fn case_arguments(case: &Path) -> Vec<String> {
    arguments_in(case, "args.txt")
}

/// The arguments written in `file` of `case`; a path they name relative
/// to the case folder (`--register before-register.csv`) made whole.
pub fn arguments_in(case: &Path, file: &str) -> Vec<String> {
    std::fs::read_to_string(case.join(file))
        .unwrap_or_default()
        .split_whitespace()
        .map(|argument| {
            if !argument.starts_with('-') && case.join(argument).is_file() {
                case.join(argument).to_string_lossy().into_owned()
            } else {
                argument.to_string()
            }
        })
        .collect()
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `duizhang reconcile CASE --out OUT ARGS…`.
pub fn reconcile(case: &Path, out: &Path, extra: &[&str]) -> Run {
    let mut arguments = case_arguments(case);
    arguments.extend(extra.iter().map(|argument| argument.to_string()));
    run_command("reconcile", case, out, &arguments)
}

/// Runs `duizhang COMMAND CASE --out OUT ARGS…`.
fn run_command(command: &str, case: &Path, out: &Path, arguments: &[String]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_duizhang"))
        .arg(command)
        .arg(case)
        .arg("--out")
        .arg(out)
        .args(arguments)
        .output()
        .expect("the duizhang binary runs");
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `duizhang whatif CASE --out OUT ARGS…`.
pub fn whatif(case: &Path, out: &Path, arguments: &[String]) -> Run {
    run_command("whatif", case, out, arguments)
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Rows of a CSV file as (header, rows of cells).
pub fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = reader
        .headers()
        .expect("a header")
        .iter()
        .map(String::from)
        .collect();
    let rows = reader
        .records()
        .map(|record| {
            record
                .expect("a CSV record")
                .iter()
                .map(String::from)
                .collect()
        })
        .collect();
    (header, rows)
}

/// Projects `actual` onto the columns of `expected` (the contract columns)
/// and compares row by row. `sources` is compared where the expected row
/// gives one, and always for BAD_RECORD and DUPLICATE_RECORD, whose key it
/// is. Returns a readable difference, or `None` when they agree.
pub fn compare_contract(expected: &str, actual: &str) -> Option<String> {
    let (expected_header, expected_rows) = csv_rows(expected);
    let (actual_header, actual_rows) = csv_rows(actual);
    let positions: Vec<usize> = expected_header
        .iter()
        .map(|column| {
            actual_header
                .iter()
                .position(|name| name == column)
                .unwrap_or_else(|| panic!("output lacks column {column}"))
        })
        .collect();
    let code_column = expected_header.iter().position(|name| name == "code");
    let sources_column = expected_header.iter().position(|name| name == "sources");
    let project = |row: &Vec<String>, expected_row: Option<&Vec<String>>| -> Vec<String> {
        positions
            .iter()
            .enumerate()
            .map(|(column, &position)| {
                let value = row[position].clone();
                if Some(column) == sources_column {
                    let keyed = code_column.is_some_and(|code| {
                        matches!(
                            row[positions[code]].as_str(),
                            "BAD_RECORD" | "DUPLICATE_RECORD"
                        )
                    });
                    let given =
                        expected_row.is_some_and(|expected_row| !expected_row[column].is_empty());
                    if !keyed && !given {
                        return String::new();
                    }
                }
                value
            })
            .collect()
    };
    let mut differences = Vec::new();
    for index in 0..expected_rows.len().max(actual_rows.len()) {
        let expected_row = expected_rows.get(index);
        let actual_row = actual_rows.get(index).map(|row| project(row, expected_row));
        if expected_row != actual_row.as_ref() {
            differences.push(format!(
                "row {}:\n  expected {}\n  actual   {}",
                index + 2,
                expected_row
                    .map(|row| row.join(","))
                    .unwrap_or_else(|| "(none)".into()),
                actual_row
                    .map(|row| row.join(","))
                    .unwrap_or_else(|| "(none)".into())
            ));
        }
    }
    (!differences.is_empty()).then(|| differences.join("\n"))
}

/// Compares two whole CSV files cell for cell but for the columns named
/// in `free` (SPEC's examples leave `name` and `region` free in
/// corrections.csv and register.csv); the expected file's columns may be
/// in any order. `None` when they agree.
pub fn compare_except(expected: &str, actual: &str, free: &[&str]) -> Option<String> {
    let (expected_header, expected_rows) = csv_rows(expected);
    let (actual_header, actual_rows) = csv_rows(actual);
    let mut differences = Vec::new();
    for column in &actual_header {
        if !expected_header.contains(column) {
            differences.push(format!("column {column} is not expected"));
        }
    }
    let positions: Vec<(usize, Option<usize>)> = expected_header
        .iter()
        .enumerate()
        .filter(|(_, column)| !free.contains(&column.as_str()))
        .map(|(at, column)| (at, actual_header.iter().position(|name| name == column)))
        .collect();
    for index in 0..expected_rows.len().max(actual_rows.len()) {
        let expected_row = expected_rows.get(index);
        let actual_row = actual_rows.get(index);
        let project = |row: &Vec<String>, actual: bool| -> Vec<String> {
            positions
                .iter()
                .map(|&(expected_at, actual_at)| {
                    let at = if actual { actual_at } else { Some(expected_at) };
                    at.and_then(|at| row.get(at).cloned())
                        .unwrap_or_else(|| "(missing)".into())
                })
                .collect()
        };
        let expected_cells = expected_row.map(|row| project(row, false));
        let actual_cells = actual_row.map(|row| project(row, true));
        if expected_cells != actual_cells {
            differences.push(format!(
                "row {}:\n  expected {}\n  actual   {}",
                index + 2,
                expected_cells.map_or_else(|| "(none)".into(), |row| row.join(",")),
                actual_cells.map_or_else(|| "(none)".into(), |row| row.join(","))
            ));
        }
    }
    (!differences.is_empty()).then(|| differences.join("\n"))
}

/// A fresh output folder under the target directory.
pub fn out_dir(name: &str) -> PathBuf {
    let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&folder);
    folder
}

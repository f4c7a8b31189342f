//! Makes one `#[test]` per fixture folder for tests/fixtures.rs, so a case
//! fails on its own, runs alone (`cargo test --test fixtures case13`) and
//! never hides the cases after it. Nothing here touches the library.

use std::fmt::Write as _;
use std::path::Path;

/// Fixture groups and the checker each case of the group is run by.
const GROUPS: [(&str, &str); 4] = [
    ("spec-examples", "check_expected_case"),
    ("codes", "check_expected_case"),
    ("rules", "check_expected_case"),
    ("errors", "check_error_case"),
];

fn main() {
    println!("cargo::rerun-if-changed=fixtures");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut tests = String::new();
    for (group, checker) in GROUPS {
        let folder = fixtures.join(group);
        println!("cargo::rerun-if-changed=fixtures/{group}");
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut cases: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|entry| entry.path().is_dir())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        cases.sort();
        writeln!(tests, "mod {} {{\n    use super::*;\n", identifier(group))
            .expect("writing to a String cannot fail");
        for case in cases {
            writeln!(
                tests,
                "    #[test]\n    fn {}() {{\n        {checker}({group:?}, {case:?});\n    }}\n",
                identifier(&case)
            )
            .expect("writing to a String cannot fail");
        }
        tests.push_str("}\n\n");
    }
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out).join("fixture_tests.rs"), tests)
        .expect("the generated tests can be written");
}

/// A folder name as a test name: `ALLOCATION_MISMATCH` → `allocation_mismatch`,
/// `spec-examples` → `spec_examples`.
fn identifier(name: &str) -> String {
    let mut identifier: String = name
        .chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() {
                character.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !identifier.starts_with(|character: char| character.is_ascii_alphabetic()) {
        identifier.insert_str(0, "case_");
    }
    identifier
}

//! The layering ARCHITECTURE.md describes, checked on the source: each
//! top-level module may name only the modules below it. A pure core
//! (`engine`) that reached into the reader, or a reader that reached into
//! the application, would pass every other test and still be a tangle.
//!
//! Also: no `println!`/`eprintln!` (they panic on a closed or full stream,
//! see main.rs) and no `dbg!` anywhere in src/.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Module → the modules it may name (`crate::X`). `app` and the binary
/// wire everything and are not listed.
const ALLOWED: [(&str, &[&str]); 11] = [
    ("domain", &[]),
    ("memory", &[]),
    ("case", &["domain"]),
    ("error", &["domain"]),
    ("engine", &["case", "domain"]),
    ("read", &["case", "domain", "error", "memory"]),
    ("write", &["case", "domain", "engine", "error"]),
    ("generate", &["case", "domain", "error"]),
    ("progress", &["domain", "read"]),
    ("cli", &["domain", "error", "generate", "write"]),
    (
        "distributed",
        &["case", "domain", "engine", "error", "read", "write"],
    ),
];

fn source_files(folder: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(folder).expect("src/ can be listed") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            source_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

/// The file's top-level module (`src/read/table.rs`: `read`).
fn module_of(src: &Path, file: &Path) -> String {
    let parts: Vec<String> = file
        .strip_prefix(src)
        .expect("under src/")
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    parts[0].trim_end_matches(".rs").to_string()
}

/// The crate-level modules a line of code names as `crate::X`. (Paths
/// that climb with `super::` stay inside a module in this code base; the
/// project writes cross-module paths from `crate::`.)
fn named_modules(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    for prefix in ["crate::"] {
        let mut rest = code;
        while let Some(found) = rest.find(prefix) {
            let before = rest[..found].chars().last();
            let after = &rest[found + prefix.len()..];
            rest = after;
            if before.is_some_and(|character| character.is_alphanumeric() || character == '_') {
                continue;
            }
            let name: String = after
                .chars()
                .take_while(|character| character.is_alphanumeric() || *character == '_')
                .collect();
            if !name.is_empty() && name != "super" {
                names.push(name);
            }
        }
    }
    names
}

#[test]
fn each_module_names_only_the_layers_below_it() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    files.sort();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.into_iter().collect();
    let mut violations = Vec::new();
    let mut seen_modules = std::collections::BTreeSet::new();
    for file in &files {
        let module = module_of(&src, file);
        seen_modules.insert(module.clone());
        let Some(may_name) = allowed.get(module.as_str()) else {
            continue;
        };
        let text = std::fs::read_to_string(file).expect("a source file");
        for (number, line) in text.lines().enumerate() {
            // Comments may mention anything; code may not.
            let code = line.split("//").next().unwrap_or_default();
            for name in named_modules(code) {
                if name != module && !may_name.contains(&name.as_str()) {
                    violations.push(format!(
                        "{}:{}: `{module}` names `{name}`, which it may not (allowed: {may_name:?})",
                        file.strip_prefix(&src).expect("under src/").display(),
                        number + 1
                    ));
                }
            }
        }
    }
    // Every top-level module is placed in a layer (or is the wiring).
    for module in &seen_modules {
        assert!(
            allowed.contains_key(module.as_str())
                || ["app", "main", "lib"].contains(&module.as_str()),
            "src/{module} is in no layer: add it to ALLOWED here and to ARCHITECTURE.md"
        );
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_checker_sees_crate_paths() {
    assert_eq!(named_modules("use crate::read::table;"), ["read"]);
    assert_eq!(
        named_modules("let x = crate::app::run(crate::cli::y);"),
        ["app", "cli"]
    );
    assert_eq!(
        named_modules("use super::table::Row;"),
        Vec::<String>::new()
    );
    assert_eq!(named_modules("my_crate::read"), Vec::<String>::new());
}

#[test]
fn no_console_macro_that_panics_on_a_closed_stream() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a source file");
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            // Named in parts, so that this checker is not itself a match.
            for name in ["println", "eprintln", "print", "eprint", "dbg"] {
                let banned = format!("{name}!(");
                let at = code.find(&banned);
                let part_of_a_name = at.is_some_and(|at| {
                    code[..at]
                        .chars()
                        .last()
                        .is_some_and(|character| character.is_alphanumeric() || character == '_')
                });
                if at.is_some() && !part_of_a_name {
                    found.push(format!("{}:{}: {banned}", file.display(), number + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "use writeln! on a locked stream and handle its error instead:\n{}",
        found.join("\n")
    );
}

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

/// The engine's own modules: `src/engine/NAME.rs` or `src/engine/NAME/`.
fn engine_modules(engine: &Path) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(engine)
        .expect("src/engine/ can be listed")
        .map(|entry| entry.expect("an entry").path())
        .filter_map(|path| {
            let name = path.file_name()?.to_string_lossy().into_owned();
            if path.is_dir() {
                Some(name)
            } else {
                name.strip_suffix(".rs")
                    .filter(|stem| *stem != "mod")
                    .map(str::to_string)
            }
        })
        .collect()
}

/// Inside the engine, `mod.rs` is the order of the steps and nothing the
/// other modules use: each module names only other modules (`super::x::…`
/// from a file of src/engine/, `crate::engine::x::…` from deeper), never
/// an item of mod.rs, and the modules form no cycle (a review found
/// `entitlement` and `standards` naming each other). Test code is left
/// out, and so is the test-only `testing` module.
#[test]
fn the_engine_s_modules_name_no_item_of_mod_rs_and_form_no_cycle() {
    let engine = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/engine");
    let modules = engine_modules(&engine);
    let mut files = Vec::new();
    source_files(&engine, &mut files);
    files.sort();
    let mut uses: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    let mut violations = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&engine).expect("under src/engine/");
        let top = module_of(&engine, file);
        if top == "mod" || top == "testing" {
            continue;
        }
        // A file directly in src/engine/ reaches its siblings by `super::`.
        let prefixes: &[&str] = if relative.components().count() == 1 {
            &["super::", "crate::engine::"]
        } else {
            &["crate::engine::"]
        };
        let text = std::fs::read_to_string(file).expect("a source file");
        let code_lines = text
            .lines()
            .take_while(|line| line.trim() != "#[cfg(test)]");
        for (number, line) in code_lines.enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for prefix in prefixes {
                let mut rest = code;
                while let Some(found) = rest.find(prefix) {
                    let before = rest[..found].chars().last();
                    rest = &rest[found + prefix.len()..];
                    if before.is_some_and(|character| {
                        character.is_alphanumeric() || character == '_' || character == ':'
                    }) {
                        continue;
                    }
                    // `use super::{a, b}`: each name in the braces.
                    let names: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
                        group
                            .split('}')
                            .next()
                            .unwrap_or_default()
                            .split(',')
                            .map(|name| {
                                name.trim()
                                    .split("::")
                                    .next()
                                    .unwrap_or_default()
                                    .to_string()
                            })
                            .filter(|name| !name.is_empty())
                            .collect()
                    } else {
                        vec![rest
                            .chars()
                            .take_while(|character| {
                                character.is_alphanumeric() || *character == '_'
                            })
                            .collect()]
                    };
                    for name in names {
                        if name == "self" || name == "super" {
                            continue;
                        }
                        if modules.contains(&name) {
                            if name != top {
                                uses.entry(top.clone()).or_default().insert(name);
                            }
                        } else {
                            violations.push(format!(
                                "src/engine/{}:{}: `{prefix}{name}` names an item of engine/mod.rs",
                                relative.display(),
                                number + 1
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    // No cycle: take away, again and again, the modules that use no
    // module left.
    let mut left: std::collections::BTreeSet<String> = modules
        .iter()
        .filter(|module| *module != "testing")
        .cloned()
        .collect();
    loop {
        let free: Vec<String> = left
            .iter()
            .filter(|module| {
                uses.get(*module)
                    .is_none_or(|named| named.iter().all(|name| !left.contains(name)))
            })
            .cloned()
            .collect();
        if free.is_empty() {
            break;
        }
        for module in free {
            left.remove(&module);
        }
    }
    assert!(
        left.is_empty(),
        "these engine modules name each other in a cycle: {left:?} ({uses:?})"
    );
    // The check sees what it must: person names the modules it builds on.
    let person = uses.get("person").expect("person names other modules");
    assert!(
        person.contains("context") && person.contains("entitlement"),
        "{person:?}"
    );
}

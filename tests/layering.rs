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

/// How deep the file's module lies below the crate root: `src/app.rs`
/// and `src/read/mod.rs` 1, `src/read/table.rs` 2 (`lib.rs`, `main.rs`: 0).
fn depth_of(src: &Path, file: &Path) -> usize {
    let parts: Vec<String> = file
        .strip_prefix(src)
        .expect("under src/")
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    let last = parts.last().expect("a file name");
    match last.as_str() {
        "lib.rs" | "main.rs" if parts.len() == 1 => 0,
        "mod.rs" => parts.len() - 1,
        _ => parts.len(),
    }
}

/// `code` with comments, string and character literals blanked out
/// (spaces, line ends kept), so that neither a path in a message nor a
/// brace in a string is taken for code.
fn blank_literals(code: &str) -> String {
    let characters: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let mut at = 0;
    let blank = |character: char| if character == '\n' { '\n' } else { ' ' };
    while at < characters.len() {
        let character = characters[at];
        let next = characters.get(at + 1).copied();
        if character == '/' && next == Some('/') {
            while at < characters.len() && characters[at] != '\n' {
                out.push(' ');
                at += 1;
            }
        } else if character == '/' && next == Some('*') {
            while at < characters.len()
                && !(characters[at] == '*' && characters.get(at + 1) == Some(&'/'))
            {
                out.push(blank(characters[at]));
                at += 1;
            }
            out.push_str("  ");
            at += 2;
        } else if character == '"' {
            out.push(' ');
            at += 1;
            while at < characters.len() && characters[at] != '"' {
                if characters[at] == '\\' {
                    out.push(' ');
                    at += 1;
                }
                if at < characters.len() {
                    out.push(blank(characters[at]));
                    at += 1;
                }
            }
            out.push(' ');
            at += 1;
        } else if character == '\'' && (characters.get(at + 2) == Some(&'\'') || next == Some('\\'))
        {
            // A character literal ('{', '\n'); a lifetime ('a) is left.
            out.push(' ');
            at += 1;
            while at < characters.len() && characters[at] != '\'' {
                if characters[at] == '\\' {
                    out.push(' ');
                    at += 1;
                }
                out.push(' ');
                at += 1;
            }
            out.push(' ');
            at += 1;
        } else {
            out.push(character);
            at += 1;
        }
    }
    out
}

fn is_word(character: char) -> bool {
    character.is_alphanumeric() || character == '_'
}

/// The first identifier of each item of the `{…}` group that starts at
/// `text[0]`, at the group's own level: `{domain::Money, read::{a, b}}`
/// gives `domain` and `read`.
fn group_heads(text: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expecting = false;
    let mut current = String::new();
    for character in text.chars() {
        match character {
            '{' => {
                depth += 1;
                if depth == 1 {
                    expecting = true;
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    if !current.is_empty() {
                        heads.push(std::mem::take(&mut current));
                    }
                    break;
                }
            }
            ',' if depth == 1 => {
                if !current.is_empty() {
                    heads.push(std::mem::take(&mut current));
                }
                expecting = true;
            }
            character if depth == 1 && expecting => {
                if is_word(character) {
                    current.push(character);
                } else if !current.is_empty() {
                    heads.push(std::mem::take(&mut current));
                    expecting = false;
                }
            }
            _ => {}
        }
    }
    heads.retain(|head| head != "self" && head != "super");
    heads
}

/// The crate-level modules `code` (a whole file, `depth` below the crate
/// root) names, with the line of each: `crate::X`, the items of a
/// `crate::{X, Y::…}` group, and `super::…::X` (or a group) climbing to
/// the crate root — `super::super::X` from `src/read/table.rs`, or from a
/// `mod tests { … }` one level deeper, three `super::`.
fn named_modules_in(code: &str, depth: usize) -> Vec<(usize, String)> {
    let code = blank_literals(code);
    let characters: Vec<(usize, char)> = code.char_indices().collect();
    let line_of = |offset: usize| code[..offset].matches('\n').count() + 1;
    // Inline modules (`mod tests {`): the brace depth each opened at.
    let mut open_modules: Vec<usize> = Vec::new();
    let mut braces = 0usize;
    let mut names = Vec::new();
    let mut index = 0;
    while index < characters.len() {
        let (offset, character) = characters[index];
        let rest = &code[offset..];
        let boundary =
            index == 0 || !is_word(characters[index - 1].1) && characters[index - 1].1 != ':';
        match character {
            '{' => braces += 1,
            '}' => {
                braces = braces.saturating_sub(1);
                if open_modules.last() == Some(&braces) {
                    open_modules.pop();
                }
            }
            _ => {}
        }
        if boundary && rest.starts_with("mod ") {
            let after = rest[4..].trim_start();
            let name_length = after
                .chars()
                .take_while(|&c| is_word(c))
                .map(char::len_utf8)
                .sum::<usize>();
            if name_length > 0 && after[name_length..].trim_start().starts_with('{') {
                open_modules.push(braces);
            }
        }
        if boundary && (rest.starts_with("crate::") || rest.starts_with("super::")) {
            let mut climbed = 0;
            let mut tail = rest;
            let from_root = if tail.starts_with("crate::") {
                tail = &tail["crate::".len()..];
                true
            } else {
                while let Some(after) = tail.strip_prefix("super::") {
                    climbed += 1;
                    tail = after;
                }
                depth + open_modules.len() == climbed
            };
            if from_root {
                let line = line_of(offset);
                if tail.starts_with('{') {
                    names.extend(group_heads(tail).into_iter().map(|name| (line, name)));
                } else {
                    let name: String = tail.chars().take_while(|&c| is_word(c)).collect();
                    if !name.is_empty() && name != "super" && name != "self" {
                        names.push((line, name));
                    }
                }
            }
            // Past the whole path prefix, so `super::super::` counts once.
            let skipped = rest.len() - tail.len();
            while index < characters.len() && characters[index].0 < offset + skipped {
                index += 1;
            }
            continue;
        }
        index += 1;
    }
    names
}

/// The crate-level modules a line of code names as `crate::X` (a file of
/// one line at the crate's second level).
fn named_modules(code: &str) -> Vec<String> {
    named_modules_in(code, 2)
        .into_iter()
        .map(|(_, name)| name)
        .collect()
}

/// Every name `module`'s file (`depth` deep) may not name, as messages.
fn violations(file: &str, module: &str, depth: usize, text: &str) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.into_iter().collect();
    let Some(may_name) = allowed.get(module) else {
        return Vec::new();
    };
    named_modules_in(text, depth)
        .into_iter()
        .filter(|(_, name)| name != module && !may_name.contains(&name.as_str()))
        .map(|(line, name)| {
            format!(
                "{file}:{line}: `{module}` names `{name}`, which it may not (allowed: {may_name:?})"
            )
        })
        .collect()
}

#[test]
fn each_module_names_only_the_layers_below_it() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    files.sort();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.into_iter().collect();
    let mut found = Vec::new();
    let mut seen_modules = std::collections::BTreeSet::new();
    for file in &files {
        let module = module_of(&src, file);
        seen_modules.insert(module.clone());
        let text = std::fs::read_to_string(file).expect("a source file");
        let name = file
            .strip_prefix(&src)
            .expect("under src/")
            .display()
            .to_string();
        found.extend(violations(&name, &module, depth_of(&src, file), &text));
    }
    // Every top-level module is placed in a layer (or is the wiring).
    for module in &seen_modules {
        assert!(
            allowed.contains_key(module.as_str())
                || ["app", "main", "lib"].contains(&module.as_str()),
            "src/{module} is in no layer: add it to ALLOWED here and to ARCHITECTURE.md"
        );
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
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

/// Groups, `super::super::` climbing to the root, and what only looks
/// like a path (a message, a comment) are read as the compiler reads them.
#[test]
fn the_checker_sees_groups_and_paths_that_climb_to_the_root() {
    assert_eq!(
        named_modules("use crate::{domain::Money, read::{table, text}, write};"),
        ["domain", "read", "write"]
    );
    assert_eq!(
        named_modules("use crate::{\n    engine,\n    app::{run, check},\n    self,\n};"),
        ["engine", "app"]
    );
    // src/read/table.rs is two deep: two `super::` reach the root.
    assert_eq!(
        named_modules_in("use super::super::write::OutDir;", 2),
        [(1, "write".to_string())]
    );
    assert_eq!(
        named_modules_in("let _ = super::super::{app, cli};", 2),
        [(1, "app".to_string()), (1, "cli".to_string())]
    );
    assert!(named_modules_in("use super::table;", 2).is_empty());
    assert!(
        named_modules_in("use super::super::super::x;", 2).is_empty(),
        "past the root"
    );
    // A `mod tests { … }` is one deeper: there, two `super::` stay in `read`.
    let tests = "fn f() {}\nmod tests {\n    use super::super::folder::CaseFolder;\n    fn g() { super::super::super::app::run(); }\n}\nuse super::super::engine;\n";
    assert_eq!(
        named_modules_in(tests, 2),
        [(4, "app".to_string()), (6, "engine".to_string())]
    );
    // From src/read/mod.rs (one deep), one `super::` is the root.
    assert_eq!(
        named_modules_in("use super::app;", 1),
        [(1, "app".to_string())]
    );
    // Paths in strings and comments are no code; braces in them count not.
    assert!(named_modules_in(
        "let m = \"crate::app\"; // crate::cli\n/* super::super::x */",
        2
    )
    .is_empty());
    assert_eq!(
        named_modules_in(
            "let b = '{';\nlet s = \"{{\";\nmod inner { }\nuse super::super::app;",
            2
        ),
        [(4, "app".to_string())]
    );
}

/// The extended checker catches what the first one missed: a layer
/// violation written as a group, or by climbing with `super::super::`.
#[test]
fn a_violation_in_a_group_or_by_super_is_caught() {
    let grouped = violations(
        "engine/mod.rs",
        "engine",
        1,
        "use crate::{case::Case, read::table};\n",
    );
    assert_eq!(grouped.len(), 1, "{grouped:?}");
    assert!(
        grouped[0].starts_with("engine/mod.rs:1: `engine` names `read`"),
        "{grouped:?}"
    );
    let climbed = violations(
        "engine/person.rs",
        "engine",
        2,
        "use super::Context;\nfn f() { let _ = super::super::write::OutDir::prepare; }\n",
    );
    assert_eq!(climbed.len(), 1, "{climbed:?}");
    assert!(
        climbed[0].starts_with("engine/person.rs:2: `engine` names `write`"),
        "{climbed:?}"
    );
    let nested = violations(
        "read/table.rs",
        "read",
        2,
        "mod tests {\n    use super::super::super::{app, domain};\n}\n",
    );
    assert_eq!(nested.len(), 1, "{nested:?}");
    assert!(nested[0].contains("`read` names `app`"), "{nested:?}");
    // Allowed names pass.
    assert!(violations(
        "read/text.rs",
        "read",
        2,
        "use crate::{domain::FileKind, error::FatalError};\nuse super::super::case::Case;\n"
    )
    .is_empty());
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

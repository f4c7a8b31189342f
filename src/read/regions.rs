//! regions.csv (optional): the names of the case's region codes, so that
//! the workbooks show villages and towns by name and a roster whose 属地
//! column holds names can be read (docs/formats.md, "Region names").
//!
//! Two columns, found by their header: the code (区划代码, 代码, code,
//! region) and the name (名称, 区划名称, 村名, name); UTF-8 (a byte-order
//! mark allowed) or GB18030. Every problem of the file is reported at once,
//! and the run stops: a wrong name would put money under the wrong village.

use std::path::Path;

use crate::domain::regions::{is_code, Regions};
use crate::error::{FatalError, Location};

/// The file name `regions.csv` (matched without regard to case).
pub const REGIONS_FILE: &str = "regions.csv";

/// Headers of the code column, compared without case and surrounding space.
pub const CODE_HEADERS: [&str; 5] = ["区划代码", "行政区划代码", "代码", "code", "region"];
/// Headers of the name column.
pub const NAME_HEADERS: [&str; 5] = ["名称", "区划名称", "村名", "村(社区)名称", "name"];

/// At most this many rows: a country has some 700,000 villages.
pub const MAX_REGIONS: usize = 1_000_000;

/// At most this many problems are listed; the rest are counted.
const MAX_LISTED_PROBLEMS: usize = 20;

/// At most this many bytes: a million regions of some forty bytes each.
pub const MAX_REGIONS_BYTES: u64 = 64 << 20;

pub fn read(path: &Path) -> Result<Regions, FatalError> {
    use std::io::Read;
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| REGIONS_FILE.to_string());
    let unreadable = |source| FatalError::Unreadable {
        location: Location::path(path),
        source,
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let metadata = file.metadata().map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(FatalError::NotRegularFile {
            location: Location::path(path),
            what: "a device, a pipe or a folder",
        });
    }
    // Read no more than the limit and one byte, whatever the size said.
    let mut bytes = Vec::new();
    file.take(MAX_REGIONS_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_REGIONS_BYTES {
        return Err(error(
            &name,
            1,
            1,
            format!(
                "the file is larger than {} MiB; a case needs only its own regions",
                MAX_REGIONS_BYTES >> 20
            ),
        ));
    }
    parse_bytes(&name, &bytes)
}

fn error(name: &str, line: u64, column: u64, message: String) -> FatalError {
    FatalError::Regions {
        location: Location::cell(name, line, column),
        message,
    }
}

/// regions.csv's bytes, cited as `name`.
pub fn parse_bytes(name: &str, bytes: &[u8]) -> Result<Regions, FatalError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text: std::borrow::Cow<'_, str> = match std::str::from_utf8(bytes) {
        Ok(text) => text.into(),
        Err(_) => {
            let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
            if had_errors {
                return Err(error(
                    name,
                    1,
                    1,
                    "the file is neither UTF-8 nor GB18030 text; re-save it as CSV (UTF-8)".into(),
                ));
            }
            text
        }
    };
    let mut lines = text.split('\n').enumerate().map(|(index, line)| {
        (
            index as u64 + 1,
            fields(line.strip_suffix('\r').unwrap_or(line)),
        )
    });
    let (header_line, header) = loop {
        match lines.next() {
            None => {
                return Err(error(
                    name,
                    1,
                    1,
                    "the file is empty; expected a header 区划代码,名称 and a row per region"
                        .into(),
                ))
            }
            Some((_, cells)) if cells.iter().all(|cell| cell.trim().is_empty()) => continue,
            Some(found) => break found,
        }
    };
    let find = |headers: &[&str]| {
        header.iter().position(|cell| {
            let cell = cell.trim();
            headers
                .iter()
                .any(|candidate| cell.eq_ignore_ascii_case(candidate))
        })
    };
    let (Some(code_column), Some(name_column)) = (find(&CODE_HEADERS), find(&NAME_HEADERS)) else {
        return Err(error(
            name,
            header_line,
            1,
            format!(
                "expected a header naming the code column ({}) and the name column ({}); found {:?}",
                CODE_HEADERS.join(", "),
                NAME_HEADERS.join(", "),
                header
            ),
        ));
    };
    let mut problems: Vec<(u64, u64, String)> = Vec::new();
    let mut pairs: Vec<(Box<str>, Box<str>, u64)> = Vec::new();
    for (line, record) in lines {
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if pairs.len() >= MAX_REGIONS {
            return Err(error(
                name,
                line,
                1,
                format!("more than {MAX_REGIONS} regions; a case needs only its own"),
            ));
        }
        let cell = |column: usize| record.get(column).map_or("", |cell| cell.trim());
        let (code, region_name) = (cell(code_column), cell(name_column));
        if !is_code(code) {
            problems.push((
                line,
                code_column as u64 + 1,
                format!(
                    "code {:?}: expected a region code of digits (510104001001)",
                    crate::domain::text::excerpt(code)
                ),
            ));
            continue;
        }
        if region_name.is_empty() {
            problems.push((
                line,
                name_column as u64 + 1,
                format!("code {code}: the name is empty"),
            ));
            continue;
        }
        pairs.push((code.into(), region_name.into(), line));
    }
    pairs.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.cmp(&b.2)));
    for pair in pairs.windows(2) {
        let ((code, first_name, first_line), (_, second_name, line)) = (
            (&pair[0].0, &pair[0].1, pair[0].2),
            (&pair[1].0, &pair[1].1, pair[1].2),
        );
        if pair[0].0 == pair[1].0 && first_name != second_name {
            problems.push((
                line,
                code_column as u64 + 1,
                format!(
                    "code {code} is named {second_name:?} here and {first_name:?} on line {first_line}; give each code one name"
                ),
            ));
        }
    }
    if !problems.is_empty() {
        problems.sort();
        let (line, column, _) = problems[0];
        let mut listed: Vec<String> = problems
            .iter()
            .take(MAX_LISTED_PROBLEMS)
            .map(|(line, column, message)| format!("line {line}, column {column}: {message}"))
            .collect();
        if problems.len() > MAX_LISTED_PROBLEMS {
            listed.push(format!(
                "… and {} more",
                problems.len() - MAX_LISTED_PROBLEMS
            ));
        }
        return Err(error(
            name,
            line,
            column,
            format!(
                "{} problem(s) in the region names: {}",
                problems.len(),
                listed.join("; ")
            ),
        ));
    }
    pairs.dedup_by(|a, b| a.0 == b.0);
    Ok(Regions::new(
        pairs.into_iter().map(|(code, name, _)| (code, name)),
    ))
}

/// The cells of one line: comma-separated, a cell in double quotes may
/// hold commas and doubled quotes (a region name needs no line break).
fn fields(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut characters = line.chars().peekable();
    while let Some(character) = characters.next() {
        match (character, quoted) {
            ('"', true) if characters.peek() == Some(&'"') => {
                characters.next();
                cell.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if cell.trim().is_empty() => {
                cell.clear();
                quoted = true;
            }
            (',', false) => cells.push(std::mem::take(&mut cell)),
            (character, _) => cell.push(character),
        }
    }
    cells.push(cell);
    cells
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::regions::NameLookup;

    #[test]
    fn reads_chinese_headers_in_utf8_or_gb18030() {
        let text = "\u{feff}区划代码,名称\n510104001,红星镇\n510104001001,东风村\n\n";
        let regions = parse_bytes("regions.csv", text.as_bytes()).unwrap();
        assert_eq!(regions.len(), 2);
        assert_eq!(regions.name_of("510104001001"), Some("东风村"));
        let (gbk, _, _) = encoding_rs::GB18030.encode("代码,村名\n510104001001,东风村\n");
        let regions = parse_bytes("regions.csv", &gbk).unwrap();
        assert_eq!(regions.code_of("东风村"), NameLookup::One("510104001001"));
    }

    #[test]
    fn every_problem_is_named_by_line_and_column() {
        let text =
            "code,name\n5101x,东风村\n510104001001,\n510104001002,新华村\n510104001002,新化村\n";
        let error = parse_bytes("regions.csv", text.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("regions.csv:2:1: 3 problem(s)"),
            "{error}"
        );
        assert!(
            error.contains("line 2, column 1: code \"5101x\""),
            "{error}"
        );
        assert!(
            error.contains("line 3, column 2: code 510104001001: the name is empty"),
            "{error}"
        );
        assert!(
            error.contains("line 5, column 1: code 510104001002 is named \"新化村\" here and \"新华村\" on line 4"),
            "{error}"
        );
    }

    #[test]
    fn quoted_cells_keep_their_commas() {
        assert_eq!(
            fields(r#"510104001001,"东风村,一组", "a ""b"""#),
            ["510104001001", "东风村,一组", "a \"b\""]
        );
    }

    #[test]
    fn a_header_without_the_two_columns_is_refused() {
        let error = parse_bytes("regions.csv", "a,b\n1,2\n".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("expected a header naming the code column"),
            "{error}"
        );
    }
}

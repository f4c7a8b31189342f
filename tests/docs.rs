//! The documentation says what the reader does: every header a case file's
//! column is found under is listed in docs/formats.md, so an office can
//! look up the header its own file uses.

mod common;

use duizhang::domain::FileKind;

#[test]
fn every_header_the_reader_accepts_is_in_the_formats_document() {
    let formats = common::read(&common::repository().join("docs/formats.md"));
    let mut missing = Vec::new();
    for kind in FileKind::ALL {
        for (name, aliases) in duizhang::read::schema::headers_of(kind) {
            for header in std::iter::once(&name).chain(aliases.iter()) {
                if !formats.contains(header) {
                    missing.push(format!("{} {name}: {header}", kind.file_name()));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "headers the reader accepts but docs/formats.md does not list:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_finding_codes_advice_is_in_the_formats_document() {
    use duizhang::write::workbook::{code_advice, Lang};
    let formats = common::read(&common::repository().join("docs/formats.md"));
    for code in duizhang::domain::Code::ALL {
        let advice = code_advice(code, Lang::Zh);
        assert!(
            formats
                .lines()
                .any(|line| line.starts_with(&format!("| {} |", code.name()))
                    && line.contains(advice)),
            "docs/formats.md's code table lacks {}'s 处理建议: {advice}",
            code.name()
        );
    }
}

//! What a file named `.xlsx` or `.xls` really holds, from its first bytes:
//! a zip archive (`.xlsx`, `.xlsm`), a compound file (`.xls`, or an
//! encrypted `.xlsx`), or something many systems' "export to Excel" write
//! instead — a web page, CSV text, an XML spreadsheet — which is refused
//! saying what it is and what to do.

use super::WorkbookError;

/// The container a workbook's bytes are.
#[derive(Debug, PartialEq, Eq)]
pub enum Container {
    /// A zip archive: `.xlsx` or `.xlsm`.
    Zip,
    /// A compound file: `.xls` (or an encrypted `.xlsx`).
    Compound,
}

const ZIP: &[u8] = b"PK\x03\x04";
/// An empty zip archive: no local file header, only the end record.
const EMPTY_ZIP: &[u8] = b"PK\x05\x06";
const COMPOUND: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// How far into a text file the markers of a web page or an XML
/// spreadsheet are looked for.
const SNIFF_BYTES: usize = 4096;

pub fn sniff(bytes: &[u8]) -> Result<Container, WorkbookError> {
    if bytes.starts_with(ZIP) || bytes.starts_with(EMPTY_ZIP) {
        return Ok(Container::Zip);
    }
    if bytes.starts_with(COMPOUND) {
        return Ok(Container::Compound);
    }
    if bytes.is_empty() {
        return Err(WorkbookError::Unreadable("the file is empty".into()));
    }
    let head = text_head(bytes);
    let Some(head) = head else {
        return Err(WorkbookError::Unreadable(
            "the file is neither an .xlsx workbook (a zip archive) nor an .xls workbook (a compound file); it may be damaged, or another kind of file".into(),
        ));
    };
    let lower = head.to_ascii_lowercase();
    let trimmed = lower.trim_start();
    if trimmed.starts_with("<?xml")
        && lower.contains("urn:schemas-microsoft-com:office:spreadsheet")
    {
        return Err(WorkbookError::Refused(
            "this file holds an XML spreadsheet (Excel 2003 XML), not a workbook: open it in Excel or WPS and save it as .xlsx, or save the table as CSV".into(),
        ));
    }
    if ["<html", "<table", "<!doctype"]
        .iter()
        .any(|marker| lower.contains(marker))
    {
        return Err(WorkbookError::Refused(
            "this file holds a web page (HTML), not a workbook — many systems' 'export to Excel' write one: open it in Excel or WPS and save it as .xlsx, or save the table as CSV".into(),
        ));
    }
    if trimmed.starts_with('<') {
        return Err(WorkbookError::Refused(
            "this file holds XML or markup text, not a workbook: open it in Excel or WPS and save it as .xlsx, or save the table as CSV".into(),
        ));
    }
    Err(WorkbookError::Refused(
        "this file holds plain text (comma- or tab-separated values, as many systems' 'export to Excel' write), not a workbook: rename it to .csv (or .txt for a bank's export) so it is read as CSV, or open it in Excel or WPS and save it as .xlsx".into(),
    ))
}

/// The first bytes of a text file as text (UTF-8 with or without a byte
/// order mark, UTF-16 with one, or GB18030); `None` when they hold bytes
/// no text has (NUL, or control characters other than tab and line ends).
fn text_head(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let text: String = if let Some(rest) = head.strip_prefix(b"\xFF\xFE") {
        encoding_rs::UTF_16LE
            .decode_without_bom_handling(rest)
            .0
            .into_owned()
    } else if let Some(rest) = head.strip_prefix(b"\xFE\xFF") {
        encoding_rs::UTF_16BE
            .decode_without_bom_handling(rest)
            .0
            .into_owned()
    } else {
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        match std::str::from_utf8(head) {
            Ok(text) => text.to_string(),
            // A cut at SNIFF_BYTES may split the last character.
            Err(error) if error.error_len().is_none() => {
                String::from_utf8_lossy(&head[..error.valid_up_to()]).into_owned()
            }
            Err(_) => encoding_rs::GB18030
                .decode_without_bom_handling(head)
                .0
                .into_owned(),
        }
    };
    let binary = text.chars().any(|character| {
        character.is_control() && !matches!(character, '\t' | '\n' | '\r' | '\u{c}')
    });
    (!binary).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(bytes: &[u8]) -> String {
        match sniff(bytes) {
            Err(WorkbookError::Refused(message)) => message,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_bytes_decide_what_a_workbook_is() {
        assert_eq!(sniff(b"PK\x03\x04rest").unwrap(), Container::Zip);
        assert_eq!(
            sniff(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest").unwrap(),
            Container::Compound
        );
        assert!(
            refusal(b"<html><body><table><tr><td>1</td></tr></table>").contains("web page (HTML)")
        );
        assert!(refusal(b"  <!DOCTYPE html>\n<HTML>").contains("web page (HTML)"));
        assert!(
            refusal("\u{FEFF}<table border=1><tr><td>姓名</td>".as_bytes())
                .contains("web page (HTML)")
        );
        let utf16: Vec<u8> = b"\xFF\xFE"
            .iter()
            .copied()
            .chain("<table>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert!(refusal(&utf16).contains("web page (HTML)"));
        assert!(refusal(b"<?xml version=\"1.0\"?>\n<?mso-application progid=\"Excel.Sheet\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\">").contains("XML spreadsheet"));
        assert!(refusal(b"name,id_number\n\xd5\xc5\xc8\xfd,1\n").contains("plain text"));
        assert!(refusal(b"a\tb\r\n1\t2\r\n").contains("plain text"));
        assert!(matches!(sniff(b""), Err(WorkbookError::Unreadable(_))));
        assert!(matches!(
            sniff(b"\x00\x01\x02binary"),
            Err(WorkbookError::Unreadable(_))
        ));
    }
}

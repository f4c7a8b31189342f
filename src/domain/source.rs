//! Where a fact came from: `file:line`, the evidence an inspector asks for.

use serde::{Deserialize, Serialize};

use std::fmt;

/// An input file of the case. Declared in the alphabetical order of the file
/// names, so sorting sources sorts "by file name then line" (SPEC §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FileKind {
    Allocations,
    Exclusions,
    /// v3: household members (家庭成员).
    Members,
    Payouts,
    Policy,
    Relatives,
    Roster,
    Standards,
    Transfers,
    /// v3: other departments' leads (比对线索).
    Watchlist,
}

impl FileKind {
    pub const ALL: [FileKind; 10] = [
        FileKind::Allocations,
        FileKind::Exclusions,
        FileKind::Members,
        FileKind::Payouts,
        FileKind::Policy,
        FileKind::Relatives,
        FileKind::Roster,
        FileKind::Standards,
        FileKind::Transfers,
        FileKind::Watchlist,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            FileKind::Allocations => "allocations.csv",
            FileKind::Exclusions => "exclusions.csv",
            FileKind::Members => "members.csv",
            FileKind::Payouts => "payouts.csv",
            FileKind::Policy => "policy.toml",
            FileKind::Relatives => "relatives.csv",
            FileKind::Roster => "roster.csv",
            FileKind::Standards => "standards.csv",
            FileKind::Transfers => "transfers.csv",
            FileKind::Watchlist => "watchlist.csv",
        }
    }

    /// The name without its extension: `roster`.
    pub fn stem(self) -> &'static str {
        let name = self.file_name();
        &name[..name.rfind('.').expect("every name has an extension")]
    }

    /// The file's name in `format` (`roster.xlsx`); policy.toml has one.
    pub fn name_in(self, format: Format) -> &'static str {
        if self == FileKind::Policy {
            return self.file_name();
        }
        macro_rules! names {
            ($($kind:ident $stem:literal),*) => {
                match (self, format) {
                    $(
                        (FileKind::$kind, Format::Csv) => concat!($stem, ".csv"),
                        (FileKind::$kind, Format::Txt) => concat!($stem, ".txt"),
                        (FileKind::$kind, Format::Xlsx) => concat!($stem, ".xlsx"),
                        (FileKind::$kind, Format::Xlsm) => concat!($stem, ".xlsm"),
                        (FileKind::$kind, Format::Xls) => concat!($stem, ".xls"),
                    )*
                    (FileKind::Policy, _) => "policy.toml",
                }
            };
        }
        names!(
            Allocations "allocations",
            Exclusions "exclusions",
            Members "members",
            Payouts "payouts",
            Relatives "relatives",
            Roster "roster",
            Standards "standards",
            Transfers "transfers",
            Watchlist "watchlist"
        )
    }

    pub fn is_required(self) -> bool {
        matches!(
            self,
            FileKind::Roster | FileKind::Standards | FileKind::Payouts
        )
    }
}

/// What a case file is: delimited text (SPEC's CSV, or a bank's `.txt`
/// export) or a spreadsheet workbook. Evidence names the file by it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum Format {
    #[default]
    Csv,
    Txt,
    Xlsx,
    Xlsm,
    Xls,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Csv,
        Format::Txt,
        Format::Xlsx,
        Format::Xlsm,
        Format::Xls,
    ];

    /// The extension, lower case, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Txt => "txt",
            Format::Xlsx => "xlsx",
            Format::Xlsm => "xlsm",
            Format::Xls => "xls",
        }
    }

    pub fn is_spreadsheet(self) -> bool {
        matches!(self, Format::Xlsx | Format::Xlsm | Format::Xls)
    }
}

/// An input file of the case: its number in the case's list of files
/// ([`InputFiles`]), which is sorted by the names evidence cites, so
/// ordering file numbers orders file names.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct FileId(pub u16);

impl FileId {
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// One physical line of one input file (1-based, the header is line 1; a
/// record spanning several lines is named by its first), or the row of a
/// spreadsheet as the spreadsheet numbers it, on its sheet.
///
/// Sources sort by file name, then sheet (workbook order), then line
/// (SPEC §6): file numbers follow the names. (serde: a distributed run
/// numbers files the same in every task: they are listed from the folder.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Source {
    pub file: FileId,
    /// The sheet of a workbook, in workbook order; 0 for a text file.
    pub sheet: u16,
    pub line: u32,
    /// The kind of `file` (a function of it: never changes the order).
    pub kind: FileKind,
}

/// A placeholder: no file's line (line 0 names no row); what a value
/// read from a Spark row holds until its row's position is put in.
impl Default for Source {
    fn default() -> Source {
        Source::in_file(FileKind::Roster, FileId(0), 0, 0)
    }
}

impl Source {
    pub fn in_file(kind: FileKind, file: FileId, sheet: u16, line: u32) -> Source {
        Source {
            file,
            sheet,
            line,
            kind,
        }
    }

    /// A line of `kind`'s file in the canonical list of files (one CSV file
    /// a kind, named as SPEC v1 names them: [`InputFiles::canonical`]) —
    /// for cases built in code and tests.
    pub fn new(kind: FileKind, line: u32) -> Source {
        Source::in_file(kind, FileKind::canonical_id(kind), 0, line)
    }
}

impl FileKind {
    /// The file number of `kind`'s file in [`InputFiles::canonical`].
    pub fn canonical_id(self) -> FileId {
        FileId(self as u16)
    }
}

/// What is known of one input file: its kind, the name evidence cites,
/// its format, and — for a workbook read from several sheets — the names
/// of its sheets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFile {
    pub kind: FileKind,
    /// The path relative to the case folder, with `/`, exactly as found on
    /// disk (`payouts/2024-07.csv`, `Transfers.csv`).
    pub name: Box<str>,
    pub format: Format,
    /// A workbook read from more than one sheet: the name of every sheet in
    /// workbook order, and evidence names `FILE:SHEET:ROW`; empty for a
    /// text file or a workbook read from one sheet (`FILE:ROW`).
    pub sheet_names: Vec<Box<str>>,
}

/// Most input files a case may have (a [`FileId`] is 16 bits; a year of
/// daily bank files per kind is a few thousand).
pub const MAX_INPUT_FILES: usize = u16::MAX as usize;

/// The input files of a case, in the order of their names (code points).
/// The default is [`InputFiles::canonical`]: what a case built in code
/// (a test's) names its sources by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFiles {
    files: Vec<InputFile>,
}

impl Default for InputFiles {
    fn default() -> InputFiles {
        InputFiles::canonical()
    }
}

impl InputFiles {
    /// `files` must be sorted by name, at most [`MAX_INPUT_FILES`].
    pub fn new(files: Vec<InputFile>) -> InputFiles {
        assert!(files.len() <= MAX_INPUT_FILES, "checked when listed");
        assert!(
            files.windows(2).all(|pair| pair[0].name < pair[1].name),
            "files are listed in the order of their names, each once"
        );
        InputFiles { files }
    }

    /// One CSV file a kind, named as SPEC v1 names them, numbered as
    /// [`FileKind::canonical_id`] (the kinds' names are in alphabetical
    /// order).
    pub fn canonical() -> InputFiles {
        InputFiles::new(
            FileKind::ALL
                .iter()
                .map(|&kind| InputFile {
                    kind,
                    name: kind.file_name().into(),
                    format: Format::Csv,
                    sheet_names: Vec::new(),
                })
                .collect(),
        )
    }

    pub fn get(&self, file: FileId) -> &InputFile {
        &self.files[file.index()]
    }

    /// Sets the sheet names of a workbook read from several sheets.
    pub fn set_sheet_names(&mut self, file: FileId, names: Vec<Box<str>>) {
        self.files[file.index()].sheet_names = names;
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Every file with its number, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &InputFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(index, file)| (FileId(index as u16), file))
    }

    /// The files of `kind`, in name order: the order their rows are read in.
    pub fn of_kind(&self, kind: FileKind) -> impl Iterator<Item = (FileId, &InputFile)> {
        self.iter().filter(move |(_, file)| file.kind == kind)
    }

    /// The name of `source`'s file and sheet as evidence cites them:
    /// `payouts/2024-07.csv`, `payouts.xlsx:2月`.
    pub fn file_label(&self, source: Source) -> std::borrow::Cow<'_, str> {
        let file = self.get(source.file);
        match file.sheet_names.get(usize::from(source.sheet)) {
            Some(sheet) => std::borrow::Cow::Owned(format!("{}:{sheet}", file.name)),
            None => std::borrow::Cow::Borrowed(&file.name),
        }
    }

    /// `source` as evidence cites it: `payouts/2024-07.csv:5`,
    /// `payouts.xlsx:2月:14`.
    pub fn cite(&self, source: Source) -> Cited<'_> {
        Cited {
            files: self,
            source,
        }
    }
}

/// A source with the names to write it: see [`InputFiles::cite`].
pub struct Cited<'a> {
    files: &'a InputFiles,
    source: Source,
}

impl fmt::Display for Cited<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.files.get(self.source.file);
        formatter.write_str(&file.name)?;
        if let Some(sheet) = file.sheet_names.get(usize::from(self.source.sheet)) {
            write!(formatter, ":{sheet}")?;
        }
        write!(formatter, ":{}", self.source.line)
    }
}

/// At most this many sources are listed in a finding; the rest are counted.
pub const MAX_LISTED_SOURCES: usize = 20;

/// The `sources` cell: distinct entries sorted by file then line, joined by
/// `;`, at most [`MAX_LISTED_SOURCES`] then `;…+N`.
pub fn sources_text(sources: &mut Vec<Source>, files: &InputFiles) -> String {
    sources.sort_unstable();
    sources.dedup();
    let mut text = String::with_capacity(sources.len().min(MAX_LISTED_SOURCES) * 16);
    for (index, source) in sources.iter().take(MAX_LISTED_SOURCES).enumerate() {
        if index > 0 {
            text.push(';');
        }
        use fmt::Write;
        write!(text, "{}", files.cite(*source)).expect("writing to a String cannot fail");
    }
    if sources.len() > MAX_LISTED_SOURCES {
        use fmt::Write;
        write!(text, ";…+{}", sources.len() - MAX_LISTED_SOURCES)
            .expect("writing to a String cannot fail");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_sorted_distinct_and_capped() {
        let files = InputFiles::canonical();
        let mut sources = vec![
            Source::new(FileKind::Transfers, 9),
            Source::new(FileKind::Payouts, 17),
            Source::new(FileKind::Payouts, 17),
        ];
        assert_eq!(
            sources_text(&mut sources, &files),
            "payouts.csv:17;transfers.csv:9"
        );
        let mut many: Vec<Source> = (2..=25)
            .map(|line| Source::new(FileKind::Payouts, line))
            .collect();
        let text = sources_text(&mut many, &files);
        assert!(text.ends_with("payouts.csv:21;…+4"), "{text}");
    }

    fn file(kind: FileKind, name: &str, format: Format) -> InputFile {
        InputFile {
            kind,
            name: name.into(),
            format,
            sheet_names: Vec::new(),
        }
    }

    #[test]
    fn sources_name_files_as_found_and_sort_by_those_names() {
        // `Transfers.csv` sorts before the lower-case names, and a kind's
        // file before its sub-folder (`.` before `/`).
        let mut files = InputFiles::new(vec![
            file(FileKind::Transfers, "Transfers.csv", Format::Csv),
            file(FileKind::Payouts, "payouts.csv", Format::Csv),
            file(FileKind::Payouts, "payouts/2024-07.csv", Format::Csv),
            file(FileKind::Payouts, "payouts/2024-08.xlsx", Format::Xlsx),
            file(FileKind::Roster, "roster.xlsx", Format::Xlsx),
        ]);
        files.set_sheet_names(FileId(3), vec!["1月".into(), "2月".into()]);
        let mut sources = vec![
            Source::in_file(FileKind::Roster, FileId(4), 1, 14),
            Source::in_file(FileKind::Payouts, FileId(3), 1, 3),
            Source::in_file(FileKind::Payouts, FileId(3), 0, 9),
            Source::in_file(FileKind::Payouts, FileId(2), 0, 5),
            Source::in_file(FileKind::Payouts, FileId(1), 0, 7),
            Source::in_file(FileKind::Transfers, FileId(0), 0, 7),
        ];
        assert_eq!(
            sources_text(&mut sources, &files),
            "Transfers.csv:7;payouts.csv:7;payouts/2024-07.csv:5;\
             payouts/2024-08.xlsx:1月:9;payouts/2024-08.xlsx:2月:3;roster.xlsx:14"
        );
        assert_eq!(files.of_kind(FileKind::Payouts).count(), 3);
        assert_eq!(
            files.file_label(Source::in_file(FileKind::Payouts, FileId(3), 1, 3)),
            "payouts/2024-08.xlsx:2月"
        );
        assert_eq!(FileKind::Transfers.name_in(Format::Xls), "transfers.xls");
        assert_eq!(FileKind::Policy.name_in(Format::Xlsx), "policy.toml");
        assert_eq!(FileKind::Allocations.stem(), "allocations");
    }

    #[test]
    fn the_canonical_files_are_one_csv_a_kind_in_name_order() {
        let files = InputFiles::canonical();
        for kind in FileKind::ALL {
            assert_eq!(files.get(kind.canonical_id()).kind, kind);
            assert_eq!(&*files.get(kind.canonical_id()).name, kind.file_name());
        }
    }
}

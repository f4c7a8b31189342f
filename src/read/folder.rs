//! The case folder: which of its files is which case file (names matched
//! without regard to upper and lower case), which files are not read, and
//! opening a case file only when it is a regular file.

use std::path::{Path, PathBuf};

use crate::domain::{FileKind, Format};
use crate::error::{FatalError, Location};

/// A case folder as listed once at the start of a run.
#[derive(Clone, Debug)]
pub struct CaseFolder {
    dir: PathBuf,
    /// The file found for each kind, in [`FileKind::ALL`] order, and its
    /// format.
    found: [Option<(PathBuf, String, Format)>; FileKind::ALL.len()],
    unused: Vec<String>,
    /// columns.toml, read when the folder is listed.
    columns: std::sync::Arc<super::columns::ColumnsConfig>,
}

/// The file name `columns.toml` (optional): local headers for the case
/// files' columns.
pub const COLUMNS_FILE: &str = "columns.toml";

/// The case file `name` is, and its format: a kind's stem with `.csv`,
/// `.txt`, `.xlsx`, `.xlsm` or `.xls` (policy.toml: `.toml`), any case.
fn kind_of(name: &str) -> Option<(FileKind, Format)> {
    let (stem, extension) = name.rsplit_once('.')?;
    let kind = FileKind::ALL
        .iter()
        .copied()
        .find(|kind| kind.stem().eq_ignore_ascii_case(stem))?;
    if kind == FileKind::Policy {
        return extension
            .eq_ignore_ascii_case("toml")
            .then_some((kind, Format::Csv));
    }
    let format = Format::ALL
        .iter()
        .copied()
        .find(|format| format.extension().eq_ignore_ascii_case(extension))?;
    Some((kind, format))
}

fn slot(kind: FileKind) -> usize {
    FileKind::ALL
        .iter()
        .position(|&other| other == kind)
        .expect("every kind is listed")
}

impl CaseFolder {
    /// Lists `dir`. Two files whose names differ only in case and name the
    /// same case file stop the run: which one is meant cannot be known.
    pub fn open(dir: &Path) -> Result<CaseFolder, FatalError> {
        if !dir.is_dir() {
            return Err(FatalError::BadArgument(format!(
                "{}: not a folder; CASE_DIR must be the folder holding roster.csv, standards.csv and payouts.csv",
                dir.display()
            )));
        }
        let unreadable = |source| FatalError::Unreadable {
            location: Location::path(dir),
            source,
        };
        let mut names: Vec<(String, bool)> = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(unreadable)? {
            let entry = entry.map_err(unreadable)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
            names.push((name, is_dir));
        }
        names.sort();
        let mut found: [Option<(PathBuf, String, Format)>; FileKind::ALL.len()] =
            Default::default();
        let mut unused = Vec::new();
        let mut columns_file: Option<PathBuf> = None;
        for (name, is_dir) in names {
            if !is_dir && name.eq_ignore_ascii_case(COLUMNS_FILE) {
                if let Some(first) = &columns_file {
                    return Err(FatalError::NameClash {
                        location: Location::path(first),
                        other: name,
                        name: COLUMNS_FILE,
                    });
                }
                columns_file = Some(dir.join(&name));
                continue;
            }
            let kind = if is_dir { None } else { kind_of(&name) };
            match kind {
                Some((kind, format)) => {
                    let place = &mut found[slot(kind)];
                    if let Some((first, _, first_format)) = place {
                        if *first_format != format {
                            return Err(FatalError::TwoFiles {
                                location: Location::path(first),
                                other: name,
                                kind: kind.stem(),
                            });
                        }
                        return Err(FatalError::NameClash {
                            location: Location::path(first),
                            other: name,
                            name: kind.name_in(format),
                        });
                    }
                    *place = Some((dir.join(&name), name, format));
                }
                // Sub-folders and hidden files (`.DS_Store`, editors' lock
                // files) are not case files anyone meant to give.
                None if is_dir || name.starts_with('.') => {}
                None => unused.push(name),
            }
        }
        let columns = match &columns_file {
            Some(path) => super::columns::read(path)?,
            None => super::columns::ColumnsConfig::default(),
        };
        Ok(CaseFolder {
            dir: dir.to_path_buf(),
            found,
            unused,
            columns: std::sync::Arc::new(columns),
        })
    }

    /// What columns.toml says (nothing when there is none).
    pub fn columns(&self) -> &std::sync::Arc<super::columns::ColumnsConfig> {
        &self.columns
    }

    /// The format `kind`'s file was given in (CSV when absent).
    pub fn format(&self, kind: FileKind) -> Format {
        self.found[slot(kind)]
            .as_ref()
            .map_or(Format::Csv, |(_, _, format)| *format)
    }

    /// The formats of every case file given.
    pub fn formats(&self) -> crate::domain::Formats {
        let mut formats = crate::domain::Formats::default();
        for kind in FileKind::ALL {
            formats.set(kind, self.format(kind));
        }
        formats
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file given for `kind`, if any.
    pub fn path(&self, kind: FileKind) -> Option<&Path> {
        self.found[slot(kind)]
            .as_ref()
            .map(|(path, _, _)| path.as_path())
    }

    /// The file's name as it is in the folder, when it is not spelled
    /// exactly as evidence names it (`Allocations.csv`, `Roster.XLSX`).
    pub fn name_on_disk(&self, kind: FileKind) -> Option<&str> {
        self.found[slot(kind)]
            .as_ref()
            .filter(|(_, name, format)| *name != kind.name_in(*format))
            .map(|(_, name, _)| name.as_str())
    }

    /// Files in the folder that are no case file, sorted by name.
    pub fn unused_files(&self) -> &[String] {
        &self.unused
    }

    /// What a run tells the user about the folder before reading it.
    pub fn warnings(&self) -> Vec<String> {
        if self.unused.is_empty() {
            return Vec::new();
        }
        let names: Vec<String> = self.unused.iter().map(|name| format!("{name:?}")).collect();
        vec![format!(
            "{}: not read: {} (a case file is named {}; a name that differs only in case is read too, and each may be .xlsx, .xls or .txt instead of .csv)",
            self.dir.display(),
            crate::error::excerpt(&names.join(", ")),
            FileKind::ALL.map(FileKind::file_name).join(", ")
        )]
    }

    /// The size of the case's input files, for progress and throughput.
    pub fn input_bytes(&self) -> u64 {
        FileKind::ALL
            .iter()
            .filter_map(|&kind| self.path(kind))
            .filter_map(|path| std::fs::metadata(path).ok())
            .map(|metadata| metadata.len())
            .sum()
    }

    /// Opens `kind`'s file if it is a regular file; `Ok(None)` for an
    /// optional file that is absent. The check comes before opening: a
    /// named pipe would block the open, a device never end.
    pub fn open_file(&self, kind: FileKind) -> Result<Option<OpenFile>, FatalError> {
        let Some(path) = self.path(kind) else {
            return if kind.is_required() {
                Err(FatalError::MissingFile {
                    location: Location::path(&self.dir.join(kind.file_name())),
                })
            } else {
                Ok(None)
            };
        };
        let location = || Location::path(path);
        let unreadable = |source| FatalError::Unreadable {
            location: location(),
            source,
        };
        let metadata = match std::fs::metadata(path) {
            Ok(metadata) => metadata,
            // A link whose file does not exist: listed, but nothing to read.
            Err(error)
                if error.kind() == std::io::ErrorKind::NotFound
                    && std::fs::symlink_metadata(path)
                        .is_ok_and(|link| link.file_type().is_symlink()) =>
            {
                return Err(FatalError::NotRegularFile {
                    location: location(),
                    what: "a link to a file that does not exist",
                });
            }
            // Listed when the run began, gone now.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(FatalError::InputChanged {
                    location: location(),
                    what: "it was removed".into(),
                });
            }
            Err(source) => return Err(unreadable(source)),
        };
        regular(&metadata.file_type(), path)?;
        let file = std::fs::File::open(path).map_err(unreadable)?;
        // The file opened, not the name looked at: it may have been replaced.
        let metadata = file.metadata().map_err(unreadable)?;
        regular(&metadata.file_type(), path)?;
        Ok(Some(OpenFile {
            file,
            fingerprint: Fingerprint::of(&metadata),
            path: path.to_path_buf(),
        }))
    }
}

fn regular(kind: &std::fs::FileType, path: &Path) -> Result<(), FatalError> {
    if kind.is_file() {
        return Ok(());
    }
    #[cfg(unix)]
    let what = {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            "a named pipe"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_dir() {
            "a folder"
        } else {
            "something else"
        }
    };
    #[cfg(not(unix))]
    let what = if kind.is_dir() {
        "a folder"
    } else {
        "something else"
    };
    Err(FatalError::NotRegularFile {
        location: Location::path(path),
        what,
    })
}

/// A case file opened for reading.
pub struct OpenFile {
    pub file: std::fs::File,
    pub fingerprint: Fingerprint,
    pub path: PathBuf,
}

impl OpenFile {
    /// The whole file (a small one: policy.toml).
    pub fn read_all(self) -> Result<Vec<u8>, FatalError> {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut { self.file }, &mut bytes).map_err(|source| {
            FatalError::Unreadable {
                location: Location::path(&self.path),
                source,
            }
        })?;
        Ok(bytes)
    }
}

/// What says a file is still the one read before: its size and time of
/// last change (and, kept beside it, its SHA-256).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    pub size: u64,
    pub modified: Option<std::time::SystemTime>,
}

impl Fingerprint {
    pub fn of(metadata: &std::fs::Metadata) -> Fingerprint {
        Fingerprint {
            size: metadata.len(),
            modified: metadata.modified().ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder_with(names: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary folder");
        for name in names {
            std::fs::write(dir.path().join(name), "x\n").expect("write");
        }
        dir
    }

    #[test]
    fn case_file_names_match_whatever_their_case() {
        let dir = folder_with(&["Allocations.csv", "ROSTER.CSV", "payouts.csv", "notes.txt"]);
        let folder = CaseFolder::open(dir.path()).expect("lists");
        assert!(folder
            .path(FileKind::Allocations)
            .is_some_and(|path| path.ends_with("Allocations.csv")));
        assert_eq!(folder.name_on_disk(FileKind::Roster), Some("ROSTER.CSV"));
        assert_eq!(folder.name_on_disk(FileKind::Payouts), None);
        assert_eq!(folder.unused_files(), ["notes.txt"]);
        assert_eq!(folder.warnings().len(), 1);
    }

    #[test]
    fn a_case_file_may_be_a_workbook_or_a_text_export() {
        assert_eq!(
            kind_of("roster.xlsx"),
            Some((FileKind::Roster, Format::Xlsx))
        );
        assert_eq!(
            kind_of("Payouts.XLS"),
            Some((FileKind::Payouts, Format::Xls))
        );
        assert_eq!(
            kind_of("payouts.txt"),
            Some((FileKind::Payouts, Format::Txt))
        );
        assert_eq!(
            kind_of("roster.xlsm"),
            Some((FileKind::Roster, Format::Xlsm))
        );
        assert_eq!(
            kind_of("policy.toml"),
            Some((FileKind::Policy, Format::Csv))
        );
        assert_eq!(kind_of("policy.csv"), None);
        assert_eq!(kind_of("roster.ods"), None);
        assert_eq!(kind_of("roster"), None);
        let dir = folder_with(&["roster.xlsx", "payouts.csv", "standards.csv"]);
        let folder = CaseFolder::open(dir.path()).expect("lists");
        assert_eq!(folder.format(FileKind::Roster), Format::Xlsx);
        assert_eq!(folder.name_on_disk(FileKind::Roster), None);
        assert_eq!(
            folder.formats().source(FileKind::Roster, 4).to_string(),
            "roster.xlsx:4"
        );
        let dir = folder_with(&["roster.csv", "Roster.xlsx"]);
        let error = CaseFolder::open(dir.path()).expect_err("two rosters");
        assert!(matches!(error, FatalError::TwoFiles { .. }), "{error}");
        assert!(error.to_string().contains("Roster.xlsx"), "{error}");
    }

    #[test]
    fn two_names_for_one_case_file_stop_the_run() {
        let dir = folder_with(&["payouts.csv", "Payouts.csv"]);
        let Err(error) = CaseFolder::open(dir.path()) else {
            // A file system that ignores case holds only one of them.
            return;
        };
        let message = error.to_string();
        assert!(message.contains("Payouts.csv"), "{message}");
        assert!(message.contains("payouts.csv"), "{message}");
        assert!(matches!(error, FatalError::NameClash { .. }));
    }

    #[test]
    fn hidden_files_and_sub_folders_are_not_reported_unused() {
        let dir = folder_with(&[".DS_Store", "roster.csv"]);
        std::fs::create_dir(dir.path().join("old")).expect("create");
        let folder = CaseFolder::open(dir.path()).expect("lists");
        assert!(folder.unused_files().is_empty());
        assert!(folder.warnings().is_empty());
    }
}

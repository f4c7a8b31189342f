//! The case folder: which of its files is which case file (names matched
//! without regard to upper and lower case), the files of a kind given in a
//! sub-folder of its name (SPEC v3), which files are not read, and opening
//! a case file only when it is a regular file.
//!
//! A case may also be given as named byte buffers instead of a folder
//! ([`CaseFolder::from_entries`]): the same listing rules, the same reading.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::domain::source::MAX_INPUT_FILES;
use crate::domain::{FileId, FileKind, Format, InputFile, InputFiles};
use crate::error::{FatalError, Location};

/// One input file of the case, as listed.
#[derive(Clone, Debug)]
pub struct ListedFile {
    pub kind: FileKind,
    /// The path relative to the case folder with `/`, exactly as found:
    /// the name evidence cites (`payouts/2024-07.csv`, `Transfers.csv`).
    pub name: String,
    pub format: Format,
    place: Place,
}

#[derive(Clone, Debug)]
enum Place {
    Disk(PathBuf),
    /// The index of its entry in [`CaseFolder::entries`].
    Memory(usize),
}

/// A case given as byte buffers: (name, bytes) of each file.
pub type Entries = Arc<Vec<(String, Arc<[u8]>)>>;

/// A case folder as listed once at the start of a run.
#[derive(Clone, Debug)]
pub struct CaseFolder {
    dir: PathBuf,
    /// Every input file (policy.toml included), sorted by name: a file's
    /// index is its [`FileId`].
    files: Vec<ListedFile>,
    /// A case given as byte buffers: (name, bytes).
    entries: Option<Entries>,
    unused: Vec<String>,
    /// columns.toml, read when the folder is listed.
    columns: Arc<super::columns::ColumnsConfig>,
    /// regions.csv, read when the folder is listed (empty when none).
    regions: Arc<crate::domain::regions::Regions>,
    /// The names of columns.toml and regions.csv as found, when given.
    settings_files: Vec<String>,
}

/// The file name `columns.toml` (optional): local headers for the case
/// files' columns.
pub const COLUMNS_FILE: &str = "columns.toml";

pub use super::regions::REGIONS_FILE;

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
    let format = format_of(extension)?;
    Some((kind, format))
}

fn format_of(extension: &str) -> Option<Format> {
    Format::ALL
        .iter()
        .copied()
        .find(|format| format.extension().eq_ignore_ascii_case(extension))
}

/// The kind whose sub-folder `name` is (SPEC v3: `payouts/`); policy.toml
/// and standards are one file each.
fn kind_of_folder(name: &str) -> Option<FileKind> {
    FileKind::ALL
        .iter()
        .copied()
        .filter(|kind| !matches!(kind, FileKind::Policy | FileKind::Standards))
        .find(|kind| kind.stem().eq_ignore_ascii_case(name))
}

/// The format of a file in a kind's sub-folder, if it is read: CSV
/// (SPEC v3) and workbooks. A bank's `.txt` export is read at the top of
/// the folder but not in a sub-folder, where SPEC v3 reads only `.csv`
/// (a `readme.txt` there must not be read): rename it `.csv`.
fn format_in_folder(name: &str) -> Option<Format> {
    let (_, extension) = name.rsplit_once('.')?;
    format_of(extension).filter(|format| *format != Format::Txt)
}

/// Hidden files (`.DS_Store`) and the lock files Excel and WPS leave
/// beside an open workbook (`~$payouts.xlsx`): nobody meant them as data.
fn is_hidden_or_lock(name: &str) -> bool {
    name.starts_with('.') || name.starts_with("~$")
}

/// What a folder entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryType {
    File,
    Folder,
    /// A device, pipe, socket, or a link to nothing.
    Other,
}

/// One entry of a listing: the case folder's own entries, or a kind's
/// sub-folder's (`name` then holds `payouts/…`).
struct Entry {
    name: String,
    entry_type: EntryType,
    place: Place,
}

/// How the entries of a case divide into case files, sub-folders of a
/// kind, columns.toml and files not read.
struct Listing {
    files: Vec<ListedFile>,
    folders: Vec<(FileKind, String, Place)>,
    columns: Option<(String, Place)>,
    regions: Option<(String, Place)>,
    unused: Vec<String>,
}

/// Sorts the top-level `entries` of a case (by name, code points).
fn list_top(mut entries: Vec<Entry>) -> Result<Listing, FatalError> {
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let mut listing = Listing {
        files: Vec::new(),
        folders: Vec::new(),
        columns: None,
        regions: None,
        unused: Vec::new(),
    };
    for entry in entries {
        let name = entry.name;
        if entry.entry_type == EntryType::Folder {
            if let Some(kind) = kind_of_folder(&name) {
                if let Some((_, first, place)) =
                    listing.folders.iter().find(|(other, ..)| *other == kind)
                {
                    return Err(FatalError::NameClash {
                        location: place_location(place, first),
                        other: format!("{name}/"),
                        name: kind.stem(),
                    });
                }
                listing.folders.push((kind, name, entry.place));
                continue;
            }
            if kind_of(&name).is_some()
                || name.eq_ignore_ascii_case(COLUMNS_FILE)
                || name.eq_ignore_ascii_case(REGIONS_FILE)
            {
                // `payouts.csv/`: whatever it holds, the case file is not there.
                return Err(FatalError::NotRegularFile {
                    location: place_location(&entry.place, &name),
                    what: "a folder (the several files of one kind go into a folder named for the kind, without an extension: payouts/)",
                });
            }
            // Other sub-folders (`old/`) are nobody's case files.
            continue;
        }
        if name.eq_ignore_ascii_case(COLUMNS_FILE) {
            if let Some((first, place)) = &listing.columns {
                return Err(FatalError::NameClash {
                    location: place_location(place, first),
                    other: name,
                    name: COLUMNS_FILE,
                });
            }
            listing.columns = Some((name, entry.place));
            continue;
        }
        if name.eq_ignore_ascii_case(REGIONS_FILE) {
            if let Some((first, place)) = &listing.regions {
                return Err(FatalError::NameClash {
                    location: place_location(place, first),
                    other: name,
                    name: REGIONS_FILE,
                });
            }
            listing.regions = Some((name, entry.place));
            continue;
        }
        match kind_of(&name) {
            Some((kind, format)) => {
                if let Some(first) = listing.files.iter().find(|file| file.kind == kind) {
                    if first.format != format {
                        return Err(FatalError::TwoFiles {
                            location: place_location(&first.place, &first.name),
                            other: name,
                            kind: kind.stem(),
                        });
                    }
                    return Err(FatalError::NameClash {
                        location: place_location(&first.place, &first.name),
                        other: name,
                        name: kind.name_in(format),
                    });
                }
                // A device or a pipe named roster.csv is refused when opened.
                listing.files.push(ListedFile {
                    kind,
                    name,
                    format,
                    place: entry.place,
                });
            }
            None if name.starts_with('.') => {}
            None => listing.unused.push(name),
        }
    }
    Ok(listing)
}

/// The entries of `kind`'s sub-folder `folder` (names `folder/…`): its
/// CSV files and workbooks, in name order; the rest not read.
fn list_folder(
    kind: FileKind,
    mut entries: Vec<Entry>,
    listing: &mut Listing,
) -> Result<(), FatalError> {
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    for entry in entries {
        let base = entry.name.rsplit('/').next().unwrap_or_default();
        if base.starts_with('.') {
            continue;
        }
        match (entry.entry_type, format_in_folder(base)) {
            (EntryType::File, Some(format)) if !is_hidden_or_lock(base) => {
                listing.files.push(ListedFile {
                    kind,
                    name: entry.name,
                    format,
                    place: entry.place,
                });
            }
            (EntryType::Folder, _) => listing.unused.push(format!("{}/", entry.name)),
            _ => listing.unused.push(entry.name),
        }
    }
    Ok(())
}

fn place_location(place: &Place, name: &str) -> Location {
    match place {
        Place::Disk(path) => Location::path(path),
        Place::Memory(_) => Location::file(name),
    }
}

/// The entries of the folder `dir` (links followed), named `prefix` + name.
fn disk_entries(dir: &Path, prefix: &str) -> Result<Vec<Entry>, FatalError> {
    let unreadable = |source| FatalError::Unreadable {
        location: Location::path(dir),
        source,
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let path = entry.path();
        let entry_type = match std::fs::metadata(&path) {
            Ok(metadata) if metadata.is_dir() => EntryType::Folder,
            Ok(metadata) if metadata.is_file() => EntryType::File,
            _ => EntryType::Other,
        };
        entries.push(Entry {
            name: format!("{prefix}{}", entry.file_name().to_string_lossy()),
            entry_type,
            place: Place::Disk(path),
        });
    }
    Ok(entries)
}

impl CaseFolder {
    /// Lists `dir` and the sub-folders of the kinds in it. Two files whose
    /// names differ only in case and name the same case file stop the run:
    /// which one is meant cannot be known.
    pub fn open(dir: &Path) -> Result<CaseFolder, FatalError> {
        if !dir.is_dir() {
            return Err(FatalError::BadArgument(format!(
                "{}: not a folder; CASE_DIR must be the folder holding roster.csv, standards.csv and payouts.csv",
                dir.display()
            )));
        }
        let mut listing = list_top(disk_entries(dir, "")?)?;
        for (kind, name, place) in std::mem::take(&mut listing.folders) {
            let Place::Disk(path) = &place else {
                unreachable!("a folder on disk")
            };
            let entries = disk_entries(path, &format!("{name}/"))?;
            list_folder(kind, entries, &mut listing)?;
        }
        let columns = match &listing.columns {
            Some((_, Place::Disk(path))) => super::columns::read(path)?,
            _ => super::columns::ColumnsConfig::default(),
        };
        let regions = match &listing.regions {
            Some((_, Place::Disk(path))) => super::regions::read(path)?,
            _ => crate::domain::regions::Regions::default(),
        };
        CaseFolder::from_listing(dir.to_path_buf(), listing, None, columns, regions)
    }

    /// A case given as named byte buffers — what a folder would hold, each
    /// named by its path in the folder with `/` (`payouts/2024-07.xlsx`) —
    /// listed by the same rules as a folder. Names with a `/` are in a
    /// sub-folder; one nested deeper is not read.
    pub fn from_entries(entries: Vec<(String, Arc<[u8]>)>) -> Result<CaseFolder, FatalError> {
        let entries = Arc::new(entries);
        let mut top: Vec<Entry> = Vec::new();
        let mut folders: Vec<(String, Vec<Entry>)> = Vec::new();
        for (index, (name, _)) in entries.iter().enumerate() {
            let name = name.trim_start_matches("./");
            match name.split_once('/') {
                None => top.push(Entry {
                    name: name.to_string(),
                    entry_type: EntryType::File,
                    place: Place::Memory(index),
                }),
                Some((folder, rest)) => {
                    let entry = Entry {
                        name: name.to_string(),
                        entry_type: if rest.contains('/') {
                            EntryType::Folder
                        } else {
                            EntryType::File
                        },
                        place: Place::Memory(index),
                    };
                    match folders.iter_mut().find(|(name, _)| name == folder) {
                        Some((_, list)) => list.push(entry),
                        None => folders.push((folder.to_string(), vec![entry])),
                    }
                }
            }
        }
        for (folder, _) in &folders {
            top.push(Entry {
                name: folder.clone(),
                entry_type: EntryType::Folder,
                place: Place::Memory(usize::MAX),
            });
        }
        let mut listing = list_top(top)?;
        for (kind, name, _) in std::mem::take(&mut listing.folders) {
            let mut inside: Vec<Entry> = folders
                .iter_mut()
                .find(|(folder, _)| *folder == name)
                .map(|(_, list)| std::mem::take(list))
                .unwrap_or_default();
            // A deeper path stands for its first folder, listed once.
            let mut seen_folders: Vec<String> = Vec::new();
            inside.retain_mut(|entry| {
                if entry.entry_type != EntryType::Folder {
                    return true;
                }
                let depth2: Vec<&str> = entry.name.splitn(3, '/').collect();
                let folder = format!("{}/{}", depth2[0], depth2[1]);
                if seen_folders.contains(&folder) {
                    return false;
                }
                seen_folders.push(folder.clone());
                entry.name = folder;
                true
            });
            list_folder(kind, inside, &mut listing)?;
        }
        let columns = match &listing.columns {
            Some((name, Place::Memory(index))) => {
                super::columns::parse_bytes(name, &entries[*index].1)?
            }
            _ => super::columns::ColumnsConfig::default(),
        };
        let regions = match &listing.regions {
            Some((name, Place::Memory(index))) => {
                super::regions::parse_bytes(name, &entries[*index].1)?
            }
            _ => crate::domain::regions::Regions::default(),
        };
        CaseFolder::from_listing(PathBuf::new(), listing, Some(entries), columns, regions)
    }

    /// A folder holding only the file at `path`, read as a file of `kind`
    /// under `columns` (a case's columns.toml) and cited by its name as
    /// given: `whatif --standards PROPOSED.csv` reads the proposed
    /// standards exactly as a case's standards.csv is read.
    pub fn single_file(
        kind: FileKind,
        path: &Path,
        columns: Arc<super::columns::ColumnsConfig>,
    ) -> Result<CaseFolder, FatalError> {
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let format = name
            .rsplit_once('.')
            .and_then(|(_, extension)| format_of(extension))
            .ok_or_else(|| {
                FatalError::BadArgument(format!(
                    "{}: not a file duizhang reads; give a .csv, .txt, .xlsx, .xlsm or .xls file",
                    path.display()
                ))
            })?;
        if !path.is_file() {
            return Err(FatalError::BadArgument(format!(
                "{}: no such file",
                path.display()
            )));
        }
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(CaseFolder {
            dir,
            files: vec![ListedFile {
                kind,
                name,
                format,
                place: Place::Disk(path.to_path_buf()),
            }],
            entries: None,
            unused: Vec::new(),
            columns,
            regions: Arc::default(),
            settings_files: Vec::new(),
        })
    }

    fn from_listing(
        dir: PathBuf,
        mut listing: Listing,
        entries: Option<Entries>,
        columns: super::columns::ColumnsConfig,
        regions: crate::domain::regions::Regions,
    ) -> Result<CaseFolder, FatalError> {
        listing.files.sort_by(|a, b| a.name.cmp(&b.name));
        listing.unused.sort();
        if listing.files.len() > MAX_INPUT_FILES {
            return Err(FatalError::BadArgument(format!(
                "{}: the case holds {} files to read, more than the {MAX_INPUT_FILES} a run reads; join some of them",
                dir.display(),
                listing.files.len()
            )));
        }
        // Sorted and each name once (a memory case could name one twice).
        if let Some(pair) = listing
            .files
            .windows(2)
            .find(|pair| pair[0].name == pair[1].name)
        {
            return Err(FatalError::BadArgument(format!(
                "{}: given twice",
                pair[0].name
            )));
        }
        let settings_files = [&listing.columns, &listing.regions]
            .into_iter()
            .flatten()
            .map(|(name, _)| name.clone())
            .collect();
        Ok(CaseFolder {
            dir,
            files: listing.files,
            entries,
            unused: listing.unused,
            columns: Arc::new(columns),
            regions: Arc::new(regions),
            settings_files,
        })
    }

    /// What columns.toml says (nothing when there is none).
    pub fn columns(&self) -> &Arc<super::columns::ColumnsConfig> {
        &self.columns
    }

    /// What regions.csv says (nothing when there is none).
    pub fn regions(&self) -> &Arc<crate::domain::regions::Regions> {
        &self.regions
    }

    /// columns.toml and regions.csv, by the names found, when given.
    pub fn settings_files(&self) -> &[String] {
        &self.settings_files
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every input file, sorted by name: the `n`th is `FileId(n)`.
    pub fn files(&self) -> &[ListedFile] {
        &self.files
    }

    pub fn file(&self, id: FileId) -> &ListedFile {
        &self.files[id.index()]
    }

    /// The files of `kind`, in name order: the order their rows are read.
    pub fn files_of(&self, kind: FileKind) -> impl Iterator<Item = (FileId, &ListedFile)> {
        self.files
            .iter()
            .enumerate()
            .filter(move |(_, file)| file.kind == kind)
            .map(|(index, file)| (FileId(index as u16), file))
    }

    /// The first file of `kind`, in name order.
    pub fn first_of(&self, kind: FileKind) -> Option<FileId> {
        self.files_of(kind).next().map(|(id, _)| id)
    }

    /// Is `kind` given (a file, or a sub-folder with a file read)?
    pub fn has(&self, kind: FileKind) -> bool {
        self.files_of(kind).next().is_some()
    }

    /// The input files as evidence names them (sheet names are added when
    /// the workbooks are read).
    pub fn input_files(&self) -> InputFiles {
        InputFiles::new(
            self.files
                .iter()
                .map(|file| InputFile {
                    kind: file.kind,
                    name: file.name.as_str().into(),
                    format: file.format,
                    sheet_names: Vec::new(),
                })
                .collect(),
        )
    }

    /// The file on disk (`None` for a case given as byte buffers).
    pub fn path(&self, id: FileId) -> Option<&Path> {
        match &self.file(id).place {
            Place::Disk(path) => Some(path),
            Place::Memory(_) => None,
        }
    }

    /// Where an error about the file itself is: its path on disk, or its
    /// name.
    pub fn location(&self, id: FileId) -> Location {
        let file = self.file(id);
        place_location(&file.place, &file.name)
    }

    /// Files and folders in the case that are not read, sorted by name (a
    /// folder's name ends in `/`).
    pub fn unused_files(&self) -> &[String] {
        &self.unused
    }

    /// Stops the run when a required kind (roster, standards, payouts) is
    /// not given.
    pub fn check_required(&self, kinds: &[FileKind]) -> Result<(), FatalError> {
        for &kind in kinds {
            if kind.is_required() && !self.has(kind) {
                return Err(FatalError::MissingFile {
                    location: Location::path(&self.dir.join(kind.file_name())),
                });
            }
        }
        Ok(())
    }

    /// What a run tells the user about the folder before reading it.
    pub fn warnings(&self) -> Vec<String> {
        if self.unused.is_empty() {
            return Vec::new();
        }
        let names: Vec<String> = self.unused.iter().map(|name| format!("{name:?}")).collect();
        // A folder from named buffers (the page of web/) has no path to
        // name: the sentence then starts with what was not read.
        let place = if self.dir.as_os_str().is_empty() {
            String::new()
        } else {
            format!("{}: ", self.dir.display())
        };
        vec![format!(
            "{place}not read: {} (a case file is named {}; a name that differs only in case is read too, and each may be .xlsx, .xls or .txt instead of .csv; a kind's several files go into a folder named for it, payouts/, as .csv or workbooks)",
            crate::error::excerpt(&names.join(", ")),
            FileKind::ALL.map(FileKind::file_name).join(", ")
        )]
    }

    /// The size of the case's input files, for progress and throughput.
    pub fn input_bytes(&self) -> u64 {
        (0..self.files.len())
            .map(|index| self.size_bytes(FileId(index as u16)))
            .sum()
    }

    /// The size of one input file (0 when it cannot be looked at).
    pub fn size_bytes(&self, id: FileId) -> u64 {
        match &self.file(id).place {
            Place::Disk(path) => std::fs::metadata(path).map_or(0, |metadata| metadata.len()),
            Place::Memory(index) => self
                .entries
                .as_ref()
                .map_or(0, |entries| entries[*index].1.len() as u64),
        }
    }

    /// Opens file `id` if it is a regular file. The check comes before
    /// opening: a named pipe would block the open, a device never end.
    pub fn open_file(&self, id: FileId) -> Result<OpenFile, FatalError> {
        let path = match &self.file(id).place {
            Place::Disk(path) => path,
            Place::Memory(index) => {
                let bytes = self.entries.as_ref().expect("a memory case")[*index]
                    .1
                    .clone();
                return Ok(OpenFile {
                    fingerprint: Fingerprint {
                        size: bytes.len() as u64,
                        modified: None,
                    },
                    content: Content::Memory(bytes),
                    path: PathBuf::from(&self.file(id).name),
                });
            }
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
        Ok(OpenFile {
            content: Content::Disk(file),
            fingerprint: Fingerprint::of(&metadata),
            path: path.to_path_buf(),
        })
    }

    /// The size and time of change of file `id` now, or why it cannot be
    /// looked at (removed). A case given as byte buffers never changes.
    pub fn fingerprint_now(&self, id: FileId) -> Result<Fingerprint, String> {
        match &self.file(id).place {
            Place::Disk(path) => std::fs::metadata(path)
                .map(|metadata| Fingerprint::of(&metadata))
                .map_err(|_| "it was removed".to_string()),
            Place::Memory(_) => Ok(Fingerprint {
                size: self.size_bytes(id),
                modified: None,
            }),
        }
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
    pub content: Content,
    pub fingerprint: Fingerprint,
    /// Its path, or its name in a case given as byte buffers.
    pub path: PathBuf,
}

/// What an opened case file reads from.
pub enum Content {
    Disk(std::fs::File),
    Memory(Arc<[u8]>),
}

impl OpenFile {
    /// The whole file (a small one: policy.toml).
    pub fn read_all(self) -> Result<Vec<u8>, FatalError> {
        let file = match self.content {
            Content::Memory(bytes) => return Ok(bytes.to_vec()),
            Content::Disk(file) => file,
        };
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut { file }, &mut bytes).map_err(|source| {
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
            let path = dir.path().join(name);
            if let Some(name) = name.strip_suffix('/') {
                std::fs::create_dir_all(dir.path().join(name)).expect("create");
                continue;
            }
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("create");
            std::fs::write(path, "x\n").expect("write");
        }
        dir
    }

    fn names(folder: &CaseFolder, kind: FileKind) -> Vec<&str> {
        folder
            .files_of(kind)
            .map(|(_, file)| file.name.as_str())
            .collect()
    }

    #[test]
    fn case_file_names_match_whatever_their_case_and_are_cited_as_found() {
        let dir = folder_with(&["Allocations.csv", "ROSTER.CSV", "payouts.csv", "notes.txt"]);
        let folder = CaseFolder::open(dir.path()).expect("lists");
        assert_eq!(names(&folder, FileKind::Allocations), ["Allocations.csv"]);
        assert_eq!(names(&folder, FileKind::Roster), ["ROSTER.CSV"]);
        assert_eq!(folder.unused_files(), ["notes.txt"]);
        assert_eq!(folder.warnings().len(), 1);
        // Sorted by name: `A…` and `R…` before `p…`.
        let all: Vec<&str> = folder
            .files()
            .iter()
            .map(|file| file.name.as_str())
            .collect();
        assert_eq!(all, ["Allocations.csv", "ROSTER.CSV", "payouts.csv"]);
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
        let (id, roster) = folder.files_of(FileKind::Roster).next().expect("a roster");
        assert_eq!(roster.format, Format::Xlsx);
        assert_eq!(
            folder
                .input_files()
                .cite(crate::domain::Source::in_file(FileKind::Roster, id, 0, 4))
                .to_string(),
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
    fn hidden_files_and_other_sub_folders_are_not_reported_unused() {
        let dir = folder_with(&[".DS_Store", "roster.csv", "old/"]);
        let folder = CaseFolder::open(dir.path()).expect("lists");
        assert!(folder.unused_files().is_empty());
        assert!(folder.warnings().is_empty());
    }

    /// SPEC v3: a kind's files in a sub-folder of its name, in code-point
    /// order of their names, after `KIND.csv`; lock files, hidden files,
    /// nested folders and anything but CSV files and workbooks not read.
    #[test]
    fn a_kind_may_be_several_files_in_a_folder_of_its_name() {
        let dir = folder_with(&[
            "payouts.csv",
            "payouts/2024-03.csv",
            "payouts/2024-03-fix.csv",
            "payouts/2024-02.xlsx",
            "payouts/readme.txt",
            "payouts/~$2024-03.csv",
            "payouts/.DS_Store",
            "payouts/archive/2023-12.csv",
            "Transfers.csv",
            "allocations/~$2024.csv",
            "Exclusions/2024.CSV",
        ]);
        let folder = CaseFolder::open(dir.path()).expect("lists");
        assert_eq!(
            names(&folder, FileKind::Payouts),
            [
                "payouts.csv",
                "payouts/2024-02.xlsx",
                "payouts/2024-03-fix.csv",
                "payouts/2024-03.csv"
            ]
        );
        assert_eq!(names(&folder, FileKind::Transfers), ["Transfers.csv"]);
        assert_eq!(
            names(&folder, FileKind::Exclusions),
            ["Exclusions/2024.CSV"]
        );
        // A folder with no file read: the kind is not given.
        assert!(!folder.has(FileKind::Allocations));
        assert_eq!(
            folder.unused_files(),
            [
                "allocations/~$2024.csv",
                "payouts/archive/",
                "payouts/readme.txt",
                "payouts/~$2024-03.csv"
            ]
        );
        let ids: Vec<FileId> = folder
            .files_of(FileKind::Payouts)
            .map(|(id, _)| id)
            .collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn a_folder_named_as_a_case_file_stops_the_run() {
        let dir = folder_with(&["roster.csv", "relatives.csv/"]);
        let error = CaseFolder::open(dir.path()).expect_err("a folder");
        assert!(
            matches!(error, FatalError::NotRegularFile { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("relatives.csv"), "{error}");
    }

    #[test]
    fn two_folders_for_one_kind_stop_the_run() {
        let dir = folder_with(&["payouts/a.csv", "Payouts/b.csv"]);
        let Err(error) = CaseFolder::open(dir.path()) else {
            return; // a file system that ignores case
        };
        assert!(matches!(error, FatalError::NameClash { .. }), "{error}");
    }

    #[test]
    fn a_case_of_byte_buffers_is_listed_as_a_folder_would_be() {
        let entry = |name: &str| (name.to_string(), Arc::<[u8]>::from(&b"x\n"[..]));
        let folder = CaseFolder::from_entries(vec![
            entry("roster.csv"),
            entry("payouts/2024-02.csv"),
            entry("payouts/2024-01.csv"),
            entry("payouts/old/2023.csv"),
            entry("payouts/old/2022.csv"),
            entry("notes.docx"),
        ])
        .expect("lists");
        assert_eq!(
            names(&folder, FileKind::Payouts),
            ["payouts/2024-01.csv", "payouts/2024-02.csv"]
        );
        assert_eq!(folder.unused_files(), ["notes.docx", "payouts/old/"]);
        let (id, _) = folder.files_of(FileKind::Roster).next().expect("a roster");
        let opened = folder.open_file(id).expect("opens");
        assert_eq!(opened.read_all().expect("reads"), b"x\n");
    }
}

//! How a case is read: the options, and — for a run larger than memory —
//! the partition of persons being read, with what the first pass saw of
//! every file, so that each partition reads the same files or stops.

use super::folder::{CaseFolder, Fingerprint};
use crate::domain::{FileId, Source};
use crate::error::{FatalError, Location};

/// One partition of a run too large for memory: the persons whose
/// id_number lies in `[low, high)` (an open end where `None`). Rows without
/// an id_number belong to the first partition.
#[derive(Debug, Default)]
pub struct Partition {
    pub low: Option<Box<str>>,
    pub high: Option<Box<str>>,
    /// Repeated record ids found by scanning each kind's files whole: the
    /// repeat's row → its first occurrence's row.
    pub repeats: rustc_hash::FxHashMap<Source, Source>,
    /// Every input file as the scan read it: a partition reads the same.
    pub inputs: std::sync::Arc<Vec<(FileId, SeenFile)>>,
    /// Hash the files again (the last partition); the others compare size
    /// and time of change with the scan's.
    pub hash_inputs: bool,
}

/// What the first pass of a partitioned run saw of an input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenFile {
    pub fingerprint: Fingerprint,
    pub sha256: String,
}

impl Partition {
    pub fn is_first(&self) -> bool {
        self.low.is_none()
    }

    /// Does this partition own a row whose id_number cell is `cell`?
    pub fn owns(&self, cell: Option<&str>) -> bool {
        let Some(cell) = cell else {
            return self.is_first();
        };
        let id = crate::domain::id_number::normalise(cell);
        self.low.as_deref().is_none_or(|low| low <= id.as_ref())
            && self.high.as_deref().is_none_or(|high| id.as_ref() < high)
    }

    /// What the scan saw of file `id`.
    pub(crate) fn scanned(&self, id: FileId) -> Option<&SeenFile> {
        self.inputs
            .iter()
            .find(|(seen, _)| *seen == id)
            .map(|(_, seen)| seen)
    }

    /// The first occurrence of the record id the row `repeat` repeats, when
    /// the scan found it repeated.
    pub fn first_of_repeat(&self, repeat: Source) -> Option<Source> {
        self.repeats.get(&repeat).copied()
    }

    /// Stops the run when file `id` is not the file the scan read: `now`
    /// is the file as opened and hashed now, compared for size, time of
    /// last change and SHA-256.
    fn check_unchanged(
        &self,
        folder: &CaseFolder,
        id: FileId,
        now: (&Fingerprint, &str),
    ) -> Result<(), FatalError> {
        let (now, sha256) = now;
        let what = match self.scanned(id) {
            None => "it was added".to_string(),
            Some(before) => match (change(&before.fingerprint, now), before.sha256 != sha256) {
                (Some(what), _) => what,
                (None, true) => "its contents are not the same".to_string(),
                (None, false) => return Ok(()),
            },
        };
        Err(input_changed(folder, id, what))
    }
}

/// Told (bytes, rows) after each chunk or file is parsed; called from
/// worker threads. The CLI's progress bar listens here.
pub type ReadProgress = std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>;

/// How a case is read; the defaults suit every case.
#[derive(Clone)]
pub struct ReadOptions {
    /// Stage files are parsed in chunks of about this many bytes, in
    /// parallel; text files are checked in pieces of at most this many
    /// (and at most 4 MiB), whose ends the chunks are cut at.
    pub chunk_bytes: usize,
    pub progress: Option<ReadProgress>,
    /// Read only this partition's persons (a run larger than memory).
    pub partition: Option<std::sync::Arc<Partition>>,
    /// Give a stage file's pages back to the kernel as it is parsed.
    pub release_input: bool,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            chunk_bytes: 8 << 20,
            progress: None,
            partition: None,
            release_input: false,
        }
    }
}

impl ReadOptions {
    /// In a partition of a run larger than memory, see
    /// [`Partition::check_unchanged`]; otherwise nothing to check.
    pub(crate) fn check_unchanged(
        &self,
        folder: &CaseFolder,
        id: FileId,
        now: (&Fingerprint, &str),
    ) -> Result<(), FatalError> {
        match &self.partition {
            Some(partition) => partition.check_unchanged(folder, id, now),
            None => Ok(()),
        }
    }

    pub(crate) fn report(&self, bytes: usize, rows: u64) {
        if let Some(progress) = &self.progress {
            progress(bytes as u64, rows);
        }
    }
}

/// Stops the run when a file read (and hashed) is no longer the size and
/// time of change it had when opened: another program wrote to it while
/// the run read it, so what was read may be neither version. (A file cut
/// short under the memory map ends the run at once instead: main.rs.)
pub(crate) fn still_as_opened(
    folder: &CaseFolder,
    id: FileId,
    opened: &Fingerprint,
) -> Result<(), FatalError> {
    let what = match folder.fingerprint_now(id) {
        Err(what) => what,
        Ok(now) => match change(opened, &now) {
            Some(what) => what,
            None => return Ok(()),
        },
    };
    Err(input_changed(folder, id, what))
}

/// How a file's size or time of last change moved, if it did.
fn change(before: &Fingerprint, now: &Fingerprint) -> Option<String> {
    if before.size != now.size {
        Some(format!(
            "its size went from {} to {} bytes",
            before.size, now.size
        ))
    } else if before.modified != now.modified {
        Some("it was modified".to_string())
    } else {
        None
    }
}

fn input_changed(folder: &CaseFolder, id: FileId, what: String) -> FatalError {
    let location: Location = folder.location(id);
    FatalError::InputChanged { location, what }
}

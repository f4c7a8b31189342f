//! The input edge: a case folder's bytes → a typed [`Case`] plus the
//! BAD_RECORD, DUPLICATE_RECORD and INVALID_ID_NUMBER evidence found while
//! reading. Nothing downstream parses text.
//!
//! This module only orders the steps: list the folder ([`folder`]), read
//! every file in parallel ([`files`]: loaded by [`text`], parsed by its
//! kind's reader), and put the outcomes together ([`assemble`]). The
//! helpers live in files named for what they hold.

mod assemble;
pub mod columns;
mod files;
pub mod folder;
mod outcome;
pub mod partition;
pub mod people;
pub mod policy;
pub mod records;
pub mod regions;
pub mod register;
pub mod registers;
pub mod repeats;
pub mod roster;
pub mod scan;
pub mod schema;
pub mod stages;
pub mod standards;
pub mod table;
pub mod text;
pub mod values;
pub mod workbook;
/// The workbook reader under its former name (tests and tools use it).
pub use workbook as sheet;

use std::path::Path;

use rayon::prelude::*;

use crate::case::Case;
use crate::domain::{FileId, FileKind};
use crate::error::FatalError;
pub use folder::{CaseFolder, Fingerprint};
pub use outcome::FileOutcome;
pub use partition::{Partition, ReadOptions, ReadProgress, SeenFile};
pub(crate) use schema::columns_of;
pub use values::MAX_FILE_TOTAL_FEN;

/// The size of the case's input files, for progress and throughput.
pub fn input_bytes(folder: &Path) -> u64 {
    CaseFolder::open(folder).map_or(0, |folder| folder.input_bytes())
}

/// Reads every file of the case folder: files in parallel, and each stage
/// file in parallel chunks.
pub fn read_case(folder: &Path) -> Result<Case, FatalError> {
    read_case_with(folder, &ReadOptions::default())
}

pub fn read_case_with(folder: &Path, options: &ReadOptions) -> Result<Case, FatalError> {
    read_case_in(&CaseFolder::open(folder)?, options)
}

/// As [`read_case_with`], the folder already listed.
pub fn read_case_in(folder: &CaseFolder, options: &ReadOptions) -> Result<Case, FatalError> {
    read_files_in(folder, &FileKind::ALL, options)
}

/// One file of a case read alone, or one range of a text file
/// ([`text::TextRange`]): a case holding its records only, read as a whole
/// run reads them (the Spark runner's tasks each read one). Its repeated
/// record ids are those repeated within what was read.
pub fn read_one_file(
    folder: &CaseFolder,
    id: FileId,
    range: Option<&text::TextRange>,
    options: &ReadOptions,
) -> Result<Case, FatalError> {
    let parsed = match range {
        None => files::read_file(folder, id, options)?,
        Some(range) => files::read_file_range(folder, id, range, options)?,
    };
    assemble::assemble(folder, vec![(id, parsed)], options)
}

/// As [`read_case_in`], reading only the files of `kinds`: a case holding
/// those files alone, read exactly as a whole run reads them (the Spark
/// runner reads each kind in a task of its own). Give
/// [`FileKind::Policy`] with the roster: its coverage depends on it.
pub fn read_files_in(
    folder: &CaseFolder,
    kinds: &[FileKind],
    options: &ReadOptions,
) -> Result<Case, FatalError> {
    folder.check_required(kinds)?;
    // The largest files first, so that the small ones fill the threads at
    // the end instead of one large file's last chunks running alone.
    let mut wanted: Vec<(u64, FileId)> = folder
        .files()
        .iter()
        .enumerate()
        .filter(|(_, file)| kinds.contains(&file.kind))
        .map(|(index, _)| {
            let id = FileId(u16::try_from(index).expect("at most MAX_INPUT_FILES"));
            (folder.size_bytes(id), id)
        })
        .collect();
    wanted.sort_by_key(|&(size_bytes, id)| (std::cmp::Reverse(size_bytes), id));
    let mut results: Vec<(FileId, Result<files::Parsed, FatalError>)> = wanted
        .par_iter()
        .map(|&(_, id)| (id, files::read_file(folder, id, options)))
        .collect();
    // Back in name order: the first error named is the same whatever the
    // sizes, and so is everything built from the outcomes.
    results.sort_by_key(|&(id, _)| id);
    let mut parsed = Vec::with_capacity(results.len());
    for (id, result) in results {
        parsed.push((id, result?));
    }
    assemble::assemble(folder, parsed, options)
}

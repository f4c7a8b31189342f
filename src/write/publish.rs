//! Placing the outputs in OUT_DIR all or nothing (ARCHITECTURE.md,
//! "Outputs are written whole"): the four CSV and JSON files, and
//! report.xlsx when `--report` asks for it. A run without `--report` takes
//! an earlier run's report.xlsx away in the same step (it is "retired":
//! moved into the staging folder like a replaced file), so that OUT_DIR
//! never shows a workbook of another run beside this run's files.
//!
//! 1. A run locks OUT_DIR (`flock`) from its start to its end, so two runs
//!    never place files in one folder at once, and first finishes what a
//!    killed run left there (below).
//! 2. Each output is written into an anonymous file in OUT_DIR (Linux
//!    `O_TMPFILE`): it has no name, so nothing can be planted at it, and a
//!    run killed while writing leaves nothing behind. Where the file
//!    system has no anonymous files, into a staging folder made for the
//!    run (`mkdir`, a random name, mode 0700, never through a link).
//! 3. When all four are complete and on disk, every target is checked —
//!    absent, or a regular file — before anything is placed.
//! 4. The four are linked into the staging folder, and a manifest naming
//!    each with its inode is written and flushed: the commit point.
//! 5. Each file is swapped with its target (`renameat2(RENAME_EXCHANGE)`),
//!    so the previous file lands in the staging folder and can be put
//!    back; a failure at any step puts back every file already placed.
//!    Without exchange (another OS, a file system that lacks it) the
//!    previous file is first renamed into the staging folder, then the new
//!    one into place.
//! 6. OUT_DIR is flushed, and the staging folder (now holding the previous
//!    files) removed.
//!
//! A run killed between 4 and 6 leaves the staging folder with its
//! manifest: the next run's start places whatever new file is still in it
//! (the killed run had finished every file) and removes it. One killed
//! before 4 leaves at most a staging folder without a manifest, which the
//! next start removes. Only entries this module makes are ever removed:
//! staging folders by their name pattern, and in them only the names it
//! writes.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::FatalError;

/// Every output, in the order they are placed: the six every run writes
/// ([`REQUIRED_OUTPUTS`]), then the workbooks of `--report`.
pub const OUTPUT_NAMES: [&str; 9] = [
    "findings.csv",
    "ledger.csv",
    "summary.csv",
    "register.csv",
    "corrections.csv",
    "run.json",
    "report.xlsx",
    "register.xlsx",
    "backpay-upload.xlsx",
];

/// The outputs every run places.
const REQUIRED_OUTPUTS: usize = 6;

/// The outputs one command writes into its OUT_DIR: the first `required`
/// are placed by every run of it; the others (its workbooks) when asked
/// for, and an earlier one not asked for is taken away with the rest.
/// Another command's outputs in the same folder are never touched.
pub struct OutputSet {
    pub names: &'static [&'static str],
    pub required: usize,
}

/// `reconcile`'s outputs.
pub const RECONCILE_OUTPUTS: OutputSet = OutputSet {
    names: &OUTPUT_NAMES,
    required: REQUIRED_OUTPUTS,
};

/// `whatif`'s outputs (SPEC v3 §6.2): whatif.csv, and with `--report`
/// whatif.xlsx.
pub const WHATIF_OUTPUTS: OutputSet = OutputSet {
    names: &["whatif.csv", "whatif.xlsx"],
    required: 1,
};

/// Every command's outputs: a staging folder left by any of them is
/// finished or removed by the next run of any.
const OUTPUT_SETS: [&OutputSet; 2] = [&RECONCILE_OUTPUTS, &WHATIF_OUTPUTS];

/// Every name any command writes.
fn all_output_names() -> impl Iterator<Item = &'static str> {
    OUTPUT_SETS
        .into_iter()
        .flat_map(|set| set.names.iter().copied())
}

/// A manifest line's inode for an output the run retires (takes away)
/// instead of placing.
const RETIRED: &str = "-";

/// A staging folder's name: this prefix and [`STAGING_RANDOM_CHARS`]
/// random letters and digits (62^12 ≈ 3×10^21 names: not guessable, and
/// `mkdir` fails rather than follow anything planted at one).
const STAGING_PREFIX: &str = ".duizhang-staging-";
const STAGING_RANDOM_CHARS: usize = 12;

/// The manifest in a staging folder: one `name inode` line per output,
/// then [`MANIFEST_END`]. Present and complete = committed.
const MANIFEST: &str = ".commit";
const MANIFEST_END: &str = "end";

/// Suffix of a previous output moved aside where exchange is unavailable.
const ASIDE_SUFFIX: &str = ".old";

/// An output being written: an anonymous file, or a file in the staging
/// folder. Nobody else can reach it by a name until it is placed.
pub struct OutputFile {
    name: &'static str,
    file: File,
    /// Bytes written so far, and up to where the background flush has
    /// been asked to take them (see [`FLUSH_BEHIND_BYTES`]).
    written_bytes: u64,
    flush_requested_bytes: u64,
    flusher: Option<Flusher>,
    /// The first error of a background flush, returned by
    /// [`OutDir::complete`] (a write that succeeded must not report it:
    /// a writer would write the same bytes again).
    flush_error: Option<io::Error>,
    /// No more flushing behind: it could not start (no thread or handle to
    /// spare) or it failed; the final flush writes the rest, as it would
    /// without flushing behind.
    flush_behind_off: bool,
    /// The final flush of a completed output, running on a thread of its
    /// own while the next output is rendered; [`OutDir::publish`] waits
    /// for it (and hears its error) before anything is placed.
    final_flush: Option<std::thread::JoinHandle<io::Result<()>>>,
}

/// Every this many bytes written, an output is flushed to disk on a thread
/// of its own while the run goes on. On a virtual disk the flush before
/// placing costs time in proportion to the bytes not yet flushed (0.4 s
/// for a 264 MB ledger here, even with the kernel's write-back started
/// early): flushed behind the writing, it finds only the last piece left.
const FLUSH_BEHIND_BYTES: u64 = 32 << 20;

/// The thread that flushes an output behind its writing. Requests that
/// come while it flushes are folded into its next flush.
struct Flusher {
    requests: std::sync::mpsc::SyncSender<()>,
    thread: std::thread::JoinHandle<io::Result<()>>,
}

impl Flusher {
    fn start(file: &File) -> io::Result<Flusher> {
        // The same open file: a flush covers what any handle wrote.
        let file = file.try_clone()?;
        let (requests, received) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("flush-behind".into())
            .spawn(move || {
                while received.recv().is_ok() {
                    file.sync_data()?;
                }
                Ok(())
            })?;
        Ok(Flusher { requests, thread })
    }

    /// Ends the thread and returns the first error of its flushes. It must
    /// be heard: the kernel reports a failed write-back to one flush of an
    /// open file only, so the final flush might not see it again.
    fn finish(self) -> io::Result<()> {
        drop(self.requests);
        self.thread
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the flush-behind thread panicked")))
    }
}

impl OutputFile {
    fn new(name: &'static str, file: File) -> OutputFile {
        OutputFile {
            name,
            file,
            written_bytes: 0,
            flush_requested_bytes: 0,
            flusher: None,
            flush_error: None,
            flush_behind_off: false,
            final_flush: None,
        }
    }

    /// Counts bytes written and asks for a flush behind them every
    /// [`FLUSH_BEHIND_BYTES`]. Never fails: flushing behind only saves
    /// time, and its errors wait for [`OutDir::complete`].
    fn wrote(&mut self, bytes: usize) {
        self.written_bytes += bytes as u64;
        if self.flush_behind_off
            || self.written_bytes - self.flush_requested_bytes < FLUSH_BEHIND_BYTES
        {
            return;
        }
        self.flush_requested_bytes = self.written_bytes;
        let flusher = match &self.flusher {
            Some(flusher) => flusher,
            None => match Flusher::start(&self.file) {
                Ok(flusher) => self.flusher.insert(flusher),
                Err(_) => {
                    self.flush_behind_off = true;
                    return;
                }
            },
        };
        // Full: a flush is already asked for, and will cover these bytes.
        // Gone: the thread stopped on an error, kept for `complete`.
        if let Err(std::sync::mpsc::TrySendError::Disconnected(())) = flusher.requests.try_send(())
        {
            let joined = self.flusher.take().map_or(Ok(()), Flusher::finish);
            self.flush_error = self.flush_error.take().or(joined.err());
            self.flush_behind_off = true;
        }
    }

    /// Stops flushing behind the writing; the first error a background
    /// flush met, if any.
    fn finish_flushing_behind(&mut self) -> io::Result<()> {
        let joined = self.flusher.take().map_or(Ok(()), Flusher::finish);
        match self.flush_error.take() {
            Some(error) => Err(error),
            None => joined,
        }
    }

    /// Starts the final flush on a thread of its own; flushes here when no
    /// thread or file handle can be had.
    fn start_final_flush(&mut self) -> io::Result<()> {
        assert!(self.flusher.is_none(), "flushing behind has stopped");
        assert!(self.final_flush.is_none(), "an output is flushed once");
        let started = self.file.try_clone().and_then(|file| {
            std::thread::Builder::new()
                .name("final-flush".into())
                .spawn(move || file.sync_all())
        });
        match started {
            Ok(thread) => {
                self.final_flush = Some(thread);
                Ok(())
            }
            Err(_) => self.file.sync_all(),
        }
    }

    /// Waits for the final flush started by [`OutDir::complete`]; its
    /// error, if any.
    fn finish_final_flush(&mut self) -> io::Result<()> {
        self.final_flush.take().map_or(Ok(()), |thread| {
            thread
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the final flush's thread panicked")))
        })
    }
}

impl Drop for OutputFile {
    /// An output given up (the run failed) waits for its flushes in
    /// flight, so no thread holds the file after it is gone.
    fn drop(&mut self) {
        let _ = self.finish_flushing_behind();
        let _ = self.finish_final_flush();
    }
}

impl io::Write for OutputFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = self.file.write(bytes)?;
        self.wrote(written);
        Ok(written)
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)?;
        self.wrote(bytes.len());
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// How one output was placed, so that it can be put back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Placed {
    /// Swapped with the previous file, which is now in the staging folder.
    Exchanged,
    /// Renamed into place; `aside`: the previous file was first renamed
    /// into the staging folder.
    Moved { aside: bool },
    /// An output this run does not write, taken away: the previous file
    /// was renamed into the staging folder.
    Retired,
}

/// OUT_DIR of one run, locked for as long as this lives.
pub struct OutDir {
    path: PathBuf,
    /// The outputs of the command writing here.
    set: &'static OutputSet,
    /// Held open for the run: its `flock` keeps other runs out.
    _lock: Option<File>,
    /// Anonymous files (`O_TMPFILE`) can be made in OUT_DIR and linked.
    anonymous: bool,
    /// `renameat2(RENAME_EXCHANGE)` works here (until it first fails as
    /// unsupported).
    exchange: bool,
    staging: Option<PathBuf>,
    /// Leave the staging folder: placing failed and could not be undone,
    /// and its manifest lets the next run finish placing.
    keep_staging: bool,
    faults: Faults,
}

fn output_error(path: &Path, source: io::Error) -> FatalError {
    FatalError::Output {
        location: crate::error::Location::path(path),
        source,
    }
}

/// An error before any output was placed: says that nothing was replaced.
pub fn nothing_replaced(path: &Path, source: io::Error) -> FatalError {
    output_error(
        path,
        explained(
            source,
            "nothing was replaced: the previous outputs are as they were",
        ),
    )
}

/// An error before a single output file ([`publish_file`]) was placed.
fn file_not_replaced(path: &Path, source: io::Error) -> FatalError {
    output_error(
        path,
        explained(
            source,
            "nothing was replaced: a previous file there is as it was",
        ),
    )
}

/// `source` with words on what happened and what to do, same kind.
fn explained(source: io::Error, words: &str) -> io::Error {
    io::Error::new(source.kind(), format!("{source}; {words}"))
}

fn refusal(words: String) -> io::Error {
    io::Error::new(io::ErrorKind::AlreadyExists, words)
}

impl OutDir {
    /// Creates OUT_DIR if missing, locks it, finishes or removes what a
    /// killed run left, and checks that the four targets can be replaced
    /// and that files can be made there — before any input is read, so a
    /// long run does not fail only at its end.
    pub fn prepare(path: &Path) -> Result<OutDir, FatalError> {
        OutDir::prepare_for(path, &RECONCILE_OUTPUTS)
    }

    /// As [`OutDir::prepare`], for the outputs of `set`.
    pub fn prepare_for(path: &Path, set: &'static OutputSet) -> Result<OutDir, FatalError> {
        let faults = Faults::from_environment();
        if path.exists() && !path.is_dir() {
            return Err(nothing_replaced(
                path,
                refusal(
                    "it is a file, not a folder; choose another --out, or move the file away"
                        .into(),
                ),
            ));
        }
        std::fs::create_dir_all(path).map_err(|error| nothing_replaced(path, error))?;
        let lock = sys::lock(path).map_err(|error| nothing_replaced(path, error))?;
        let mut out = OutDir {
            path: path.to_path_buf(),
            set,
            _lock: lock,
            anonymous: false,
            exchange: !faults.no_exchange,
            staging: None,
            keep_staging: false,
            faults,
        };
        out.recover()?;
        out.check_targets()?;
        let cannot_write = |error: io::Error| {
            output_error(
                path,
                explained(
                    error,
                    "duizhang makes its files in OUT_DIR before placing them; choose a folder you may write to with --out — nothing was replaced",
                ),
            )
        };
        out.anonymous =
            !out.faults.no_anonymous && sys::anonymous_files_work(path).map_err(cannot_write)?;
        if !out.anonymous {
            // Files will go to a staging folder: check now that one can be
            // made, and make it only when the first output is written.
            let probe = make_staging(path).map_err(cannot_write)?;
            std::fs::remove_dir(&probe).map_err(|error| output_error(&probe, error))?;
        }
        Ok(out)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A new, empty output `name` (one of the set's names).
    pub fn create(&mut self, name: &'static str) -> Result<OutputFile, FatalError> {
        assert!(self.set.names.contains(&name), "{name} is not an output");
        let target = self.path.join(name);
        self.faults
            .step("create")
            .map_err(|error| nothing_replaced(&target, error))?;
        let file = if self.anonymous {
            sys::anonymous_file(&self.path)
        } else {
            let staging = self.staging()?;
            File::options()
                .write(true)
                .create_new(true)
                .open(staging.join(name))
        };
        let file = file.map_err(|error| nothing_replaced(&target, error))?;
        Ok(OutputFile::new(name, file))
    }

    /// Where an output's scratch files go (the workbook's ledger spill and
    /// sheet data): OUT_DIR itself where anonymous files can be made there
    /// (nothing is ever seen or left), else the run's staging folder,
    /// removed with everything in it that this module names — a scratch
    /// file there is unlinked as soon as it is made.
    pub fn scratch_dir(&mut self) -> Result<PathBuf, FatalError> {
        if self.anonymous {
            Ok(self.path.clone())
        } else {
            self.staging()
        }
    }

    /// Starts flushing a finished output to disk: on a thread of its own,
    /// so that the flushes of the outputs overlap each other and the
    /// rendering of the next (the virtual disk takes 20–60 ms for each);
    /// [`OutDir::publish`] waits for them all before placing anything.
    pub fn complete(&mut self, file: &mut OutputFile) -> Result<(), FatalError> {
        let target = self.path.join(file.name);
        file.finish_flushing_behind()
            .and_then(|()| self.faults.step("flush"))
            .and_then(|()| file.start_final_flush())
            .map_err(|error| nothing_replaced(&target, error))
    }

    /// Places all outputs at once (see the module's steps): the four
    /// every run writes and, when given, report.xlsx; an earlier
    /// report.xlsx that this run does not replace is retired with them. On
    /// an error every output already placed (or retired) has been put
    /// back, unless the error says otherwise.
    pub fn publish(mut self, mut files: Vec<OutputFile>) -> Result<(), FatalError> {
        // Every output on disk before any is placed (see `complete`).
        for file in &mut files {
            let target = self.path.join(file.name);
            file.finish_final_flush()
                .map_err(|error| nothing_replaced(&target, error))?;
        }
        let mut names: Vec<&str> = files.iter().map(|file| file.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), files.len(), "publish takes each output once");
        assert!(
            self.set.names[..self.set.required]
                .iter()
                .all(|name| names.contains(name)),
            "publish takes the outputs every run writes"
        );
        self.check_targets()?;
        // Outputs this run does not write whose previous file is there.
        let mut retire = Vec::new();
        for &name in self.set.names {
            if !names.contains(&name) {
                let target = self.path.join(name);
                if target_exists(&target).map_err(|error| nothing_replaced(&target, error))? {
                    retire.push(name);
                }
            }
        }
        let staging = self.staging()?;
        let commit = |out: &mut OutDir| -> io::Result<()> {
            let mut manifest = String::new();
            for name in &retire {
                manifest.push_str(&format!("{name} {RETIRED}\n"));
            }
            for file in &files {
                let staged = staging.join(file.name);
                if out.anonymous {
                    out.faults.step("link")?;
                    sys::link_anonymous(&file.file, &staged)?;
                }
                let inode = sys::inode(&staged)?;
                if let Some(written) = sys::inode_of_file(&file.file)? {
                    assert_eq!(
                        inode,
                        written,
                        "{}: the staged name is the file written",
                        staged.display()
                    );
                }
                manifest.push_str(&format!("{} {inode}\n", file.name));
            }
            manifest.push_str(MANIFEST_END);
            manifest.push('\n');
            out.faults.step("flush staging")?;
            sys::sync_directory(&staging)?;
            out.faults.step("manifest")?;
            let mut file = File::options()
                .write(true)
                .create_new(true)
                .open(staging.join(MANIFEST))?;
            io::Write::write_all(&mut file, manifest.as_bytes())?;
            file.sync_all()?;
            out.faults.step("flush manifest")?;
            sys::sync_directory(&staging)
        };
        commit(&mut self).map_err(|error| nothing_replaced(&self.path, error))?;
        // Committed: from here an interrupted run is finished by the next.
        let mut placed: Vec<(&str, Placed)> = Vec::with_capacity(self.set.names.len());
        for &name in self.set.names {
            let how = if names.contains(&name) {
                self.place(&staging, name)
            } else if retire.contains(&name) {
                self.retire(&staging, name)
            } else {
                continue;
            };
            match how {
                Ok(how) => placed.push((name, how)),
                Err(error) => return Err(self.undo(&staging, &placed, name, error)),
            }
        }
        let flushed = self
            .faults
            .step("flush OUT_DIR")
            .and_then(|()| sys::sync_directory(&self.path));
        if let Err(error) = flushed {
            return Err(self.undo(&staging, &placed, "", error));
        }
        assert_eq!(placed.len(), files.len() + retire.len());
        drop(files);
        // The staging folder now holds the previous outputs. A failure to
        // remove it changes no output; the next run's start removes it.
        if self.faults.step("remove staging").is_ok() {
            remove_staging(&staging);
        }
        self.staging = None;
        Ok(())
    }

    /// Puts back the outputs placed so far, after `error` while placing
    /// `failed` (empty: after all were placed).
    fn undo(
        &mut self,
        staging: &Path,
        placed: &[(&str, Placed)],
        failed: &str,
        error: io::Error,
    ) -> FatalError {
        let path = if failed.is_empty() {
            self.path.clone()
        } else {
            self.path.join(failed)
        };
        let mut stuck = Vec::new();
        for (name, how) in placed.iter().rev() {
            if let Err(undo_error) = self.unplace(staging, name, *how) {
                stuck.push(format!("{name}: {undo_error}"));
            }
        }
        if stuck.is_empty() && !self.keep_staging {
            return nothing_replaced(&path, error);
        }
        // What is in place cannot be told from here; the manifest can:
        // the next run places the rest of this run's outputs.
        self.keep_staging = true;
        output_error(
            &path,
            explained(
                error,
                &format!(
                    "some outputs were in place and could not be put back{}; the next run into this folder finishes placing this run's outputs, kept in {}",
                    if stuck.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", stuck.join("; "))
                    },
                    staging.display()
                ),
            ),
        )
    }

    /// Refuses targets that are not absent or a regular file (a folder, a
    /// link, a device…): duizhang replaces files whole and never writes
    /// through a link. Checked before anything is placed.
    fn check_targets(&self) -> Result<(), FatalError> {
        for name in self.set.names {
            let target = self.path.join(name);
            target_exists(&target).map_err(|error| nothing_replaced(&target, error))?;
        }
        Ok(())
    }

    /// The run's staging folder, made on first use.
    fn staging(&mut self) -> Result<PathBuf, FatalError> {
        if let Some(staging) = &self.staging {
            return Ok(staging.clone());
        }
        self.faults
            .step("make staging folder")
            .and_then(|()| make_staging(&self.path))
            .map(|staging| self.staging.insert(staging).clone())
            .map_err(|error| nothing_replaced(&self.path, error))
    }

    /// Places `name` from the staging folder.
    fn place(&mut self, staging: &Path, name: &str) -> io::Result<Placed> {
        let source = staging.join(name);
        let target = self.path.join(name);
        let exists = target_exists(&target)?;
        if self.exchange {
            self.faults.step("place")?;
            let done = if exists {
                sys::exchange(&source, &target)?
            } else {
                sys::rename_no_replace(&source, &target)?
            };
            if done {
                let swapped_in = std::fs::symlink_metadata(&source);
                if exists && !swapped_in.is_ok_and(|metadata| metadata.is_file()) {
                    // The target was changed into something else since it
                    // was checked: give it back untouched.
                    if !sys::exchange(&source, &target).unwrap_or(false) {
                        self.keep_staging = true;
                    }
                    return Err(refusal(format!(
                        "{} changed while the outputs were being placed; run again",
                        target.display()
                    )));
                }
                return Ok(if exists {
                    Placed::Exchanged
                } else {
                    Placed::Moved { aside: false }
                });
            }
            // Not supported here: rename instead, from now on.
            self.exchange = false;
        }
        let aside = staging.join(format!("{name}{ASIDE_SUFFIX}"));
        if exists {
            self.faults.step("move aside")?;
            std::fs::rename(&target, &aside)?;
        }
        let moved = self
            .faults
            .step("place")
            .and_then(|()| std::fs::rename(&source, &target));
        if let Err(error) = moved {
            if exists {
                if let Err(back) = std::fs::rename(&aside, &target) {
                    // The previous file stays aside; the manifest is the
                    // record the next run finishes placing from.
                    self.keep_staging = true;
                    return Err(explained(
                        error,
                        &format!("the previous {name} could not be moved back ({back})"),
                    ));
                }
            }
            return Err(error);
        }
        Ok(Placed::Moved { aside: exists })
    }

    /// Takes an output this run does not write away from OUT_DIR: into the
    /// staging folder, removed with it once every output is placed.
    fn retire(&mut self, staging: &Path, name: &str) -> io::Result<Placed> {
        let target = self.path.join(name);
        let aside = staging.join(format!("{name}{ASIDE_SUFFIX}"));
        if !target_exists(&target)? || aside.exists() {
            // Gone already (a killed run had retired it): nothing to do.
            return Ok(Placed::Retired);
        }
        self.faults.step("retire")?;
        std::fs::rename(&target, &aside)?;
        Ok(Placed::Retired)
    }

    /// Puts back what [`place`](Self::place) or [`retire`](Self::retire) did.
    fn unplace(&mut self, staging: &Path, name: &str, how: Placed) -> io::Result<()> {
        let source = staging.join(name);
        let target = self.path.join(name);
        self.faults.step("put back")?;
        match how {
            Placed::Exchanged => {
                if !sys::exchange(&source, &target)? {
                    return Err(io::Error::other("exchange stopped working"));
                }
            }
            Placed::Moved { aside } => {
                std::fs::rename(&target, &source)?;
                if aside {
                    self.faults.step("put back aside")?;
                    std::fs::rename(staging.join(format!("{name}{ASIDE_SUFFIX}")), &target)?;
                }
            }
            Placed::Retired => {
                let aside = staging.join(format!("{name}{ASIDE_SUFFIX}"));
                if aside.exists() {
                    std::fs::rename(aside, &target)?;
                }
            }
        }
        Ok(())
    }

    /// Finishes what killed runs left in OUT_DIR: each staging folder with
    /// a complete manifest has its new files that are still there placed;
    /// every staging folder is then removed, and so are the temporary
    /// files of earlier duizhang builds (`.findings.csv.1234.tmp`).
    /// Runs under the lock, so no staging folder here is in use.
    fn recover(&mut self) -> Result<(), FatalError> {
        let entries =
            std::fs::read_dir(&self.path).map_err(|error| nothing_replaced(&self.path, error))?;
        let mut stale = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|error| output_error(&self.path, error))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let kind = entry
                .file_type()
                .map_err(|error| output_error(&entry.path(), error))?;
            if is_staging_name(name) && kind.is_dir() {
                stale.push(entry.path());
            } else if is_legacy_temporary_name(name) && kind.is_file() {
                std::fs::remove_file(entry.path())
                    .map_err(|error| output_error(&entry.path(), error))?;
            }
        }
        // At most one of them holds a manifest: a run finishes any staging
        // folder here before it makes its own, under the lock, and stops
        // (exit 2) if it cannot. (Without locks, two runs at once into one
        // folder could break this; see ARCHITECTURE.md.)
        stale.sort();
        for staging in stale {
            if let Some(inodes) = read_manifest(&staging) {
                for (name, inode) in inodes {
                    let staged = staging.join(name);
                    let Some(inode) = inode else {
                        // Retired by the killed run: take it away if it
                        // is still there.
                        self.retire(&staging, name)
                            .map_err(|error| output_error(&self.path.join(name), error))?;
                        continue;
                    };
                    if sys::inode(&staged).ok() == Some(inode) {
                        self.place(&staging, name).map_err(|error| {
                            output_error(
                                &self.path.join(name),
                                explained(
                                    error,
                                    &format!(
                                        "an earlier run was stopped while placing its outputs and they cannot be put in place from {}; move {} away and run again",
                                        staging.display(),
                                        self.path.join(name).display()
                                    ),
                                ),
                            )
                        })?;
                    }
                }
                sys::sync_directory(&self.path).map_err(|error| output_error(&self.path, error))?;
            }
            remove_staging(&staging);
        }
        Ok(())
    }
}

/// `path` made absolute, its links and `..` resolved component by
/// component: what exists by the file system (links followed), what does
/// not yet as written (it holds no link to follow). `None` without a
/// current folder to start a relative path from.
fn resolved(path: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let mut resolved = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => resolved.push(component),
            Component::CurDir => {}
            // `resolved` is canonical wherever it exists, so its parent
            // is the folder `..` leads to.
            Component::ParentDir => {
                resolved.pop();
            }
            Component::Normal(name) => {
                resolved.push(name);
                if let Ok(canonical) = resolved.canonicalize() {
                    resolved = canonical;
                }
            }
        }
    }
    Some(resolved)
}

/// Refuses an output inside the case folder: duizhang never writes where
/// its inputs are (a notice named `roster.xlsx` there would replace the
/// roster it was made from, and files left in the folder change what the
/// next run lists). `..` and links are resolved first, in both paths.
/// `what` names the flag (`--out`). A case folder that cannot be resolved
/// (it does not exist) is left to the reader to report.
pub fn refuse_inside_case(case_dir: &Path, output: &Path, what: &str) -> Result<(), FatalError> {
    let Ok(case) = case_dir.canonicalize() else {
        return Ok(());
    };
    let Some(target) = resolved(output) else {
        return Ok(());
    };
    if target.starts_with(&case) {
        return Err(FatalError::BadArgument(format!(
            "{what} {}: it is inside the case folder {} (as {}); duizhang never writes into the folder it reads — choose a place outside it",
            output.display(),
            case_dir.display(),
            target.display()
        )));
    }
    Ok(())
}

/// One output at a path the user names (the public notice of `duizhang
/// notice`), placed by the rules of OUT_DIR's outputs: refused when the
/// path is a link, a folder, a device, a pipe or a socket; written unseen
/// (an anonymous file in its folder — or, where the file system has none,
/// a file in a fresh staging folder there); flushed; then put in place in
/// one step (exchanged with the previous file, or renamed where there was
/// none), so a reader sees the previous file or the new one, never a
/// half-written one and never a temporary name. An error before that step
/// leaves the previous file as it was. A run killed in the instant of
/// placing may leave a hidden `.duizhang-staging-…` folder beside it.
///
/// `write` gets the file and a folder for scratch files (rust_xlsxwriter's
/// sheet data), which vanish or are removed with the staging folder.
pub fn publish_file<T>(
    path: &Path,
    write: impl FnOnce(&mut File, &Path) -> io::Result<T>,
) -> Result<T, FatalError> {
    let mut faults = Faults::from_environment();
    let refused = |error: io::Error| file_not_replaced(path, error);
    let Some(file_name) = path.file_name().map(std::ffi::OsStr::to_owned) else {
        return Err(refused(refusal(
            "it names no file; give a file name such as notice.xlsx".into(),
        )));
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    target_exists(path).map_err(refused)?;
    std::fs::create_dir_all(&folder).map_err(refused)?;
    let anonymous = !faults.no_anonymous && sys::anonymous_files_work(&folder).map_err(refused)?;
    let mut staging = StagingFolder { path: None };
    let (mut file, scratch) = if anonymous {
        faults.step("create").map_err(refused)?;
        (
            sys::anonymous_file(&folder).map_err(refused)?,
            folder.clone(),
        )
    } else {
        let made = staging.make(&folder, &mut faults).map_err(refused)?;
        faults.step("create").map_err(refused)?;
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(made.join(&file_name))
            .map_err(refused)?;
        (file, made)
    };
    let written = write(&mut file, &scratch).map_err(refused)?;
    faults
        .step("flush")
        .and_then(|()| file.sync_all())
        .map_err(refused)?;
    // Checked again: the target may have changed while the file was written.
    let exists = target_exists(path).map_err(refused)?;
    let made = staging.make(&folder, &mut faults).map_err(refused)?;
    let staged = made.join(&file_name);
    if anonymous {
        faults
            .step("link")
            .and_then(|()| sys::link_anonymous(&file, &staged))
            .map_err(refused)?;
    }
    drop(file);
    let placed = place_one(path, &staged, exists, &mut faults, &mut staging)?;
    let flushed = faults
        .step("flush folder")
        .and_then(|()| sys::sync_directory(&folder));
    if let Err(error) = flushed {
        // Put the previous file back, as reconcile's outputs are.
        return Err(match unplace_one(path, &staged, placed, &mut faults) {
            Ok(()) => file_not_replaced(path, error),
            Err(back) => {
                staging.path = None;
                output_error(
                    path,
                    explained(
                        error,
                        &format!(
                            "the new file is in place and the previous one could not be put back ({back}); it is kept in {}",
                            made.display()
                        ),
                    ),
                )
            }
        });
    }
    if faults.step("remove staging").is_err() {
        // Left for whoever finds it: it holds only the previous file.
        staging.path = None;
    }
    Ok(written)
}

/// A staging folder made for one file, removed with what duizhang put in
/// it when dropped.
struct StagingFolder {
    path: Option<PathBuf>,
}

impl StagingFolder {
    fn make(&mut self, folder: &Path, faults: &mut Faults) -> io::Result<PathBuf> {
        if let Some(path) = &self.path {
            return Ok(path.clone());
        }
        faults.step("make staging folder")?;
        let made = make_staging(folder)?;
        Ok(self.path.insert(made).clone())
    }
}

impl Drop for StagingFolder {
    fn drop(&mut self) {
        let Some(staging) = self.path.take() else {
            return;
        };
        // Only the file placed from here, the previous one it replaced,
        // and scratch files (`.tmpXXXXXX`) are ever in it.
        if let Ok(entries) = std::fs::read_dir(&staging) {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|kind| kind.is_file()) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let _ = std::fs::remove_dir(&staging);
    }
}

/// How [`place_one`] put a file in place, so that it can be put back.
#[derive(Clone, Debug)]
enum PlacedOne {
    /// Swapped with the previous file, which is now where the new one was.
    Exchanged,
    /// Renamed into place; `aside`: where the previous file was moved.
    Moved { aside: Option<PathBuf> },
}

/// Puts `staged` at `target` in one step: exchanged with the previous
/// file (then in `staged`'s place, removed with the staging folder), or
/// renamed where there was none; where exchange is missing, the previous
/// file is first renamed aside and put back on an error.
fn place_one(
    target: &Path,
    staged: &Path,
    exists: bool,
    faults: &mut Faults,
    staging: &mut StagingFolder,
) -> Result<PlacedOne, FatalError> {
    let refused = |error: io::Error| file_not_replaced(target, error);
    faults.step("place").map_err(refused)?;
    if !faults.no_exchange {
        let done = if exists {
            sys::exchange(staged, target).map_err(refused)?
        } else {
            sys::rename_no_replace(staged, target).map_err(refused)?
        };
        if done {
            let swapped_in = std::fs::symlink_metadata(staged);
            if exists && !swapped_in.is_ok_and(|metadata| metadata.is_file()) {
                // Changed into something else since it was checked: give
                // it back untouched.
                let _ = sys::exchange(staged, target);
                return Err(refused(refusal(format!(
                    "{} changed while the file was being placed; run again",
                    target.display()
                ))));
            }
            return Ok(if exists {
                PlacedOne::Exchanged
            } else {
                PlacedOne::Moved { aside: None }
            });
        }
    }
    let aside = staged.with_extension(format!(
        "{}{ASIDE_SUFFIX}",
        staged
            .extension()
            .map(|extension| extension.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    if exists {
        std::fs::rename(target, &aside).map_err(refused)?;
    }
    if let Err(error) = std::fs::rename(staged, target) {
        if exists {
            if let Err(back) = std::fs::rename(&aside, target) {
                // The previous file stays in the staging folder, kept.
                staging.path = None;
                return Err(output_error(
                    target,
                    explained(
                        error,
                        &format!(
                            "the previous file could not be moved back ({back}); it is {}",
                            aside.display()
                        ),
                    ),
                ));
            }
        }
        return Err(refused(error));
    }
    Ok(PlacedOne::Moved {
        aside: exists.then_some(aside),
    })
}

/// Undoes [`place_one`]: the previous file back at `target` (or none
/// there, as before), the new one back at `staged`.
fn unplace_one(
    target: &Path,
    staged: &Path,
    placed: PlacedOne,
    faults: &mut Faults,
) -> io::Result<()> {
    faults.step("put back")?;
    match placed {
        PlacedOne::Exchanged => {
            if !sys::exchange(staged, target)? {
                return Err(io::Error::other("exchange stopped working"));
            }
        }
        PlacedOne::Moved { aside } => {
            std::fs::rename(target, staged)?;
            if let Some(aside) = aside {
                std::fs::rename(aside, target)?;
            }
        }
    }
    Ok(())
}

impl Drop for OutDir {
    /// A run that stops before placing its outputs takes its staging
    /// folder with it (anonymous files vanish when closed).
    fn drop(&mut self) {
        if let Some(staging) = self.staging.take() {
            if !self.keep_staging {
                remove_staging(&staging);
            }
        }
    }
}

/// True when `target` is a regular file, false when absent; an error for
/// anything else.
fn target_exists(target: &Path) -> io::Result<bool> {
    match std::fs::symlink_metadata(target) {
        Ok(metadata) if metadata.is_file() => Ok(true),
        Ok(metadata) => {
            let what = if metadata.is_dir() {
                "a folder"
            } else if metadata.file_type().is_symlink() {
                "a symbolic link"
            } else {
                "not a regular file"
            };
            Err(refusal(format!(
                "it is {what}, which duizhang does not replace (it replaces its outputs whole and never writes through a link); move it away or choose another --out"
            )))
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error),
    }
}

fn make_staging(folder: &Path) -> io::Result<PathBuf> {
    let staging = tempfile::Builder::new()
        .prefix(STAGING_PREFIX)
        .rand_bytes(STAGING_RANDOM_CHARS)
        .tempdir_in(folder)?;
    Ok(staging.keep())
}

fn is_staging_name(name: &str) -> bool {
    name.strip_prefix(STAGING_PREFIX).is_some_and(|random| {
        random.len() == STAGING_RANDOM_CHARS
            && random.bytes().all(|byte| byte.is_ascii_alphanumeric())
    })
}

/// `.findings.csv.1234.tmp`: what earlier duizhang builds wrote beside a
/// target (a predictable name, which they opened without `O_EXCL`).
fn is_legacy_temporary_name(name: &str) -> bool {
    all_output_names().any(|output| {
        name.strip_prefix('.')
            .and_then(|rest| rest.strip_prefix(output))
            .and_then(|rest| rest.strip_prefix('.'))
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|byte| byte.is_ascii_digit()))
    })
}

/// The manifest's (name, inode) pairs, `None` for an output retired
/// rather than placed; `None` when absent or incomplete (the run was
/// stopped before its commit point). A complete manifest names the four
/// outputs every run writes, each output at most once.
fn read_manifest(staging: &Path) -> Option<Vec<(&'static str, Option<u64>)>> {
    let text = std::fs::read_to_string(staging.join(MANIFEST)).ok()?;
    let mut lines: Vec<&str> = text.lines().collect();
    if lines.pop() != Some(MANIFEST_END) || lines.len() > all_output_names().count() {
        return None;
    }
    let entries: Vec<(&'static str, Option<u64>)> = lines
        .iter()
        .map(|line| {
            let (name, inode) = line.split_once(' ')?;
            let name = all_output_names().find(|output| *output == name)?;
            let inode = match inode {
                RETIRED => None,
                inode => Some(inode.parse().ok()?),
            };
            Some((name, inode))
        })
        .collect::<Option<_>>()?;
    let mut names: Vec<&str> = entries.iter().map(|(name, _)| *name).collect();
    names.sort_unstable();
    names.dedup();
    // One command's outputs, those it always writes placed.
    let complete = names.len() == entries.len()
        && OUTPUT_SETS.iter().any(|set| {
            entries.iter().all(|(entry, _)| set.names.contains(entry))
                && set.names[..set.required].iter().all(|name| {
                    entries
                        .iter()
                        .any(|(entry, inode)| entry == name && inode.is_some())
                })
        });
    complete.then_some(entries)
}

/// Removes a staging folder: only the names this module writes there,
/// then the folder if that left it empty. Errors are left for the next
/// run's start, which tries again.
fn remove_staging(staging: &Path) {
    for name in all_output_names() {
        let _ = std::fs::remove_file(staging.join(name));
        let _ = std::fs::remove_file(staging.join(format!("{name}{ASIDE_SUFFIX}")));
    }
    let _ = std::fs::remove_file(staging.join(MANIFEST));
    // Scratch files (`tempfile`'s `.tmpXXXXXX`, unlinked when made) that a
    // run killed in that instant left.
    if let Ok(entries) = std::fs::read_dir(staging) {
        for entry in entries.flatten() {
            let scratch = entry
                .file_name()
                .to_str()
                .is_some_and(|name| name.starts_with(".tmp"));
            if scratch && entry.file_type().is_ok_and(|kind| kind.is_file()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let _ = std::fs::remove_dir(staging);
}

/// Test-only fault injection, in debug builds only (release builds read
/// no variable and never fail on purpose): `DUIZHANG_FAULTS` is a
/// comma-separated list of `fail=N` (the N-th file-system step returns an
/// error; may be given more than once), `kill=N` (the process kills
/// itself with SIGKILL at the N-th step), `no-anonymous` (write into a
/// staging folder as where `O_TMPFILE` is missing) and `no-exchange`
/// (place by rename as where `RENAME_EXCHANGE` is missing).
#[derive(Debug, Default)]
#[cfg_attr(not(debug_assertions), allow(dead_code))]
struct Faults {
    steps: u32,
    fail_at: Vec<u32>,
    kill_at: Option<u32>,
    no_anonymous: bool,
    no_exchange: bool,
}

impl Faults {
    #[cfg(not(debug_assertions))]
    fn from_environment() -> Faults {
        Faults::default()
    }

    #[cfg(debug_assertions)]
    fn from_environment() -> Faults {
        let mut faults = Faults::default();
        let plan = std::env::var("DUIZHANG_FAULTS").unwrap_or_default();
        for item in plan
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            match item.split_once('=') {
                Some(("fail", step)) => faults.fail_at.extend(step.parse::<u32>().ok()),
                Some(("kill", step)) => faults.kill_at = step.parse().ok(),
                None if item == "no-anonymous" => faults.no_anonymous = true,
                None if item == "no-exchange" => faults.no_exchange = true,
                _ => panic!("DUIZHANG_FAULTS: unknown item {item:?}"),
            }
        }
        faults
    }

    #[cfg(not(debug_assertions))]
    fn step(&mut self, _what: &str) -> io::Result<()> {
        Ok(())
    }

    /// Counts one step that changes the file system; fails or kills the
    /// process at a planned one.
    #[cfg(debug_assertions)]
    fn step(&mut self, what: &str) -> io::Result<()> {
        self.steps += 1;
        if self.kill_at == Some(self.steps) {
            sys::kill_self();
        }
        if self.fail_at.contains(&self.steps) {
            return Err(io::Error::other(format!(
                "injected fault at step {} ({what})",
                self.steps
            )));
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
mod sys {
    //! Linux: anonymous files, exchange, no-replace rename, `flock` — by
    //! rustix's system calls, which need no unsafe code here.

    use std::fs::File;
    use std::io;
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::MetadataExt;
    use std::path::Path;

    use rustix::fs::{AtFlags, FlockOperation, Mode, OFlags, RenameFlags, CWD};
    use rustix::io::Errno;

    /// Errors of `renameat2` that mean "this kernel or file system cannot
    /// do that flag".
    fn rename_unsupported(error: Errno) -> bool {
        matches!(error, Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP)
    }

    /// Errors of `open(O_TMPFILE)` that mean "no anonymous files here" (an
    /// old kernel sees a directory opened for writing: EISDIR).
    fn anonymous_unsupported(error: &io::Error) -> bool {
        [Errno::INVAL, Errno::OPNOTSUPP, Errno::ISDIR]
            .iter()
            .any(|errno| error.raw_os_error() == Some(errno.raw_os_error()))
    }

    /// An anonymous file in `folder`: no name until linked, gone when
    /// closed. Mode 0666 less the umask, as `File::create` gives.
    pub fn anonymous_file(folder: &Path) -> io::Result<File> {
        let descriptor = rustix::fs::open(
            folder,
            OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o666),
        )?;
        Ok(File::from(descriptor))
    }

    /// Whether anonymous files can be made in `folder` and given a name:
    /// the kernel and file system support `O_TMPFILE`, and /proc is there
    /// to link one. An error when `folder` is not writable.
    pub fn anonymous_files_work(folder: &Path) -> io::Result<bool> {
        match anonymous_file(folder) {
            Ok(file) => Ok(std::fs::symlink_metadata(proc_path(&file)).is_ok()),
            Err(error) if anonymous_unsupported(&error) => Ok(false),
            Err(error) => Err(error),
        }
    }

    fn proc_path(file: &File) -> String {
        format!("/proc/self/fd/{}", file.as_raw_fd())
    }

    /// Gives an anonymous file the name `target` (which must not exist).
    pub fn link_anonymous(file: &File, target: &Path) -> io::Result<()> {
        rustix::fs::linkat(CWD, proc_path(file), CWD, target, AtFlags::SYMLINK_FOLLOW)?;
        Ok(())
    }

    fn rename2(from: &Path, to: &Path, flags: RenameFlags) -> io::Result<bool> {
        // rustix makes the system call itself, so an older C library
        // without a renameat2 wrapper does not matter.
        match rustix::fs::renameat_with(CWD, from, CWD, to, flags) {
            Ok(()) => Ok(true),
            Err(error) if rename_unsupported(error) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// Swaps two names atomically; `false` where that is not supported.
    pub fn exchange(first: &Path, second: &Path) -> io::Result<bool> {
        rename2(first, second, RenameFlags::EXCHANGE)
    }

    /// Renames `from` to `to`, failing if `to` exists; `false` where that
    /// is not supported.
    pub fn rename_no_replace(from: &Path, to: &Path) -> io::Result<bool> {
        rename2(from, to, RenameFlags::NOREPLACE)
    }

    /// Locks `folder` against other duizhang runs for as long as the
    /// returned file is open. `None` where the file system has no locks
    /// (some network file systems): the run goes on unlocked.
    pub fn lock(folder: &Path) -> io::Result<Option<File>> {
        let directory = File::open(folder)?;
        match rustix::fs::flock(&directory, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(Some(directory)),
            Err(Errno::WOULDBLOCK) => Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "another duizhang run is writing into this folder; wait for it to finish or choose another --out",
            )),
            Err(_) => Ok(None),
        }
    }

    pub fn sync_directory(folder: &Path) -> io::Result<()> {
        File::open(folder)?.sync_all()
    }

    pub fn inode(path: &Path) -> io::Result<u64> {
        Ok(std::fs::symlink_metadata(path)?.ino())
    }

    pub fn inode_of_file(file: &File) -> io::Result<Option<u64>> {
        Ok(Some(file.metadata()?.ino()))
    }

    #[cfg(debug_assertions)]
    pub fn kill_self() {
        let _ =
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
    }
}

#[cfg(not(target_os = "linux"))]
mod sys {
    //! Elsewhere: a staging folder and renames. The set is still placed
    //! all or nothing on failure (previous files are moved aside, then put
    //! back); a run killed while placing is finished by the next run only
    //! where inodes can be read (Unix).

    use std::fs::File;
    use std::io;
    use std::path::Path;

    pub fn anonymous_file(_folder: &Path) -> io::Result<File> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "no anonymous files",
        ))
    }

    pub fn anonymous_files_work(_folder: &Path) -> io::Result<bool> {
        Ok(false)
    }

    pub fn link_anonymous(_file: &File, _target: &Path) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "no anonymous files",
        ))
    }

    pub fn exchange(_first: &Path, _second: &Path) -> io::Result<bool> {
        Ok(false)
    }

    pub fn rename_no_replace(_from: &Path, _to: &Path) -> io::Result<bool> {
        Ok(false)
    }

    pub fn lock(_folder: &Path) -> io::Result<Option<File>> {
        Ok(None)
    }

    pub fn sync_directory(folder: &Path) -> io::Result<()> {
        #[cfg(unix)]
        return File::open(folder)?.sync_all();
        #[cfg(not(unix))]
        {
            let _ = folder;
            Ok(())
        }
    }

    #[cfg(unix)]
    pub fn inode(path: &Path) -> io::Result<u64> {
        use std::os::unix::fs::MetadataExt;
        Ok(std::fs::symlink_metadata(path)?.ino())
    }

    #[cfg(not(unix))]
    pub fn inode(_path: &Path) -> io::Result<u64> {
        Ok(0)
    }

    pub fn inode_of_file(_file: &File) -> io::Result<Option<u64>> {
        Ok(None)
    }

    #[cfg(debug_assertions)]
    pub fn kill_self() {
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_this_module_makes_are_taken_for_its_own() {
        assert!(is_staging_name(".duizhang-staging-a1B2c3D4e5F6"));
        assert!(!is_staging_name(".duizhang-staging-a1B2c3D4e5F"));
        assert!(!is_staging_name(".duizhang-staging-a1B2c3D4e5F6x"));
        assert!(!is_staging_name(".duizhang-staging-a1B2c3D4e5.6"));
        assert!(!is_staging_name("duizhang-staging-a1B2c3D4e5F6"));
        assert!(is_legacy_temporary_name(".findings.csv.1234.tmp"));
        assert!(is_legacy_temporary_name(".run.json.7.tmp"));
        assert!(!is_legacy_temporary_name(".findings.csv..tmp"));
        assert!(!is_legacy_temporary_name(".notes.csv.1234.tmp"));
        assert!(!is_legacy_temporary_name("findings.csv.1234.tmp"));
        assert!(!is_legacy_temporary_name(".findings.csv.12a.tmp"));
    }

    /// A large output is flushed behind its writing; what it wrote is
    /// what the file holds once complete.
    #[test]
    fn a_large_output_is_flushed_behind_its_writing() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let mut out = OutDir::prepare(folder.path()).expect("OUT_DIR");
        let mut output = out.create("ledger.csv").expect("an output");
        let piece: Vec<u8> = (0..1u32 << 20).map(|at| (at % 251) as u8).collect();
        let pieces = (FLUSH_BEHIND_BYTES >> 20) as usize + 3;
        for _ in 0..pieces {
            io::Write::write_all(&mut output, &piece).expect("written");
        }
        assert!(
            output.flusher.is_some(),
            "flushing behind from the first 32 MiB"
        );
        out.complete(&mut output).expect("flushed");
        assert!(output.flusher.is_none());
        let mut file = output.file.try_clone().expect("a handle");
        io::Seek::seek(&mut file, io::SeekFrom::Start(0)).expect("seek");
        let mut written = Vec::new();
        io::Read::read_to_end(&mut file, &mut written).expect("read back");
        assert_eq!(written.len(), pieces << 20);
        assert!(written
            .chunks(1 << 20)
            .all(|chunk| chunk == piece.as_slice()));
    }

    /// The kernel reports a failed write-back to one flush only: an error
    /// of a background flush must stop the run, not be lost.
    #[test]
    #[cfg(target_os = "linux")]
    fn an_error_of_a_background_flush_is_returned() {
        // Flushing /dev/null fails (EINVAL), as a flush of a failing disk would.
        let file = File::options()
            .write(true)
            .open("/dev/null")
            .expect("/dev/null");
        let mut output = OutputFile::new("ledger.csv", file);
        let piece = vec![b'x'; 1 << 20];
        // Writes succeed (a writer would repeat a write that failed after
        // its bytes were taken); the error waits for the output's end.
        for _ in 0..4 * (FLUSH_BEHIND_BYTES >> 20) {
            io::Write::write_all(&mut output, &piece).expect("the write itself succeeds");
        }
        let error = output
            .finish_flushing_behind()
            .expect_err("the failed flush is reported");
        assert_eq!(error.raw_os_error(), Some(libc::EINVAL));
        assert!(output.finish_flushing_behind().is_ok(), "reported once");
    }

    #[test]
    fn an_incomplete_manifest_is_not_a_commit() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let staging = folder.path();
        assert_eq!(read_manifest(staging), None);
        let complete = "findings.csv 1\nledger.csv 2\nsummary.csv 3\nregister.csv 6\ncorrections.csv 7\nrun.json 4\nend\n";
        for cut in 0..complete.len() - 1 {
            std::fs::write(staging.join(MANIFEST), &complete[..cut]).expect("write");
            assert_eq!(read_manifest(staging), None, "{:?}", &complete[..cut]);
        }
        std::fs::write(staging.join(MANIFEST), complete).expect("write");
        assert_eq!(
            read_manifest(staging),
            Some(vec![
                ("findings.csv", Some(1)),
                ("ledger.csv", Some(2)),
                ("summary.csv", Some(3)),
                ("register.csv", Some(6)),
                ("corrections.csv", Some(7)),
                ("run.json", Some(4))
            ])
        );
        // With the workbook placed, or an earlier one retired.
        let with_report = "findings.csv 1\nledger.csv 2\nsummary.csv 3\nregister.csv 6\ncorrections.csv 7\nrun.json 4\nreport.xlsx 5\nend\n";
        std::fs::write(staging.join(MANIFEST), with_report).expect("write");
        assert_eq!(
            read_manifest(staging).map(|entries| entries.last().copied()),
            Some(Some(("report.xlsx", Some(5))))
        );
        let retired = "report.xlsx -\nfindings.csv 1\nledger.csv 2\nsummary.csv 3\nregister.csv 6\ncorrections.csv 7\nrun.json 4\nend\n";
        std::fs::write(staging.join(MANIFEST), retired).expect("write");
        assert_eq!(
            read_manifest(staging).map(|entries| entries[0]),
            Some(("report.xlsx", None))
        );
        // A name twice, or a required output retired, is no commit.
        for broken in [
            "findings.csv 1\nfindings.csv 1\nledger.csv 2\nsummary.csv 3\nrun.json 4\nend\n",
            "findings.csv -\nledger.csv 2\nsummary.csv 3\nrun.json 4\nend\n",
        ] {
            std::fs::write(staging.join(MANIFEST), broken).expect("write");
            assert_eq!(read_manifest(staging), None, "{broken:?}");
        }
        // whatif's outputs are a commit of their own; mixed with
        // reconcile's they are no commit of either.
        let whatif = "whatif.xlsx -\nwhatif.csv 8\nend\n";
        std::fs::write(staging.join(MANIFEST), whatif).expect("write");
        assert_eq!(
            read_manifest(staging),
            Some(vec![("whatif.xlsx", None), ("whatif.csv", Some(8))])
        );
        for broken in [
            "whatif.xlsx 9\nend\n",
            "whatif.csv 8\nfindings.csv 1\nledger.csv 2\nsummary.csv 3\nregister.csv 6\ncorrections.csv 7\nrun.json 4\nend\n",
        ] {
            std::fs::write(staging.join(MANIFEST), broken).expect("write");
            assert_eq!(read_manifest(staging), None, "{broken:?}");
        }
    }
}

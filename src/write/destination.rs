//! Where a command's outputs go: OUT_DIR on disk, placed all or none by
//! [`publish`](super::publish), or memory — the page of web/, which has no
//! files and hands the bytes to the browser — kept whole and handed back
//! only when every output is written. Both are written by the same
//! renderers, so the bytes are the same.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::publish::{OutDir, OutputFile};
use crate::error::FatalError;

/// One output written to memory: its file name and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryOutput {
    pub name: &'static str,
    pub bytes: Vec<u8>,
}

/// The outputs of a command run into memory, filled when the command has
/// written them all (never a part of them: a failed run leaves it empty).
#[derive(Clone, Debug, Default)]
pub struct MemoryOutputs {
    placed: Arc<Mutex<Vec<MemoryOutput>>>,
}

impl MemoryOutputs {
    pub fn new() -> MemoryOutputs {
        MemoryOutputs::default()
    }

    /// The outputs placed, in the order they were written; empty until a
    /// command has finished.
    pub fn take(&self) -> Vec<MemoryOutput> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<MemoryOutput>> {
        // A panic while holding the lock leaves a list that is still whole.
        self.placed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Where a workbook written into memory keeps its scratch files: the
/// system's temporary folder (anonymous files, gone when closed), or none
/// in WebAssembly, whose workbooks keep every sheet in memory.
pub fn memory_scratch_dir() -> PathBuf {
    if cfg!(target_family = "wasm") {
        PathBuf::new()
    } else {
        std::env::temp_dir()
    }
}

/// Where the outputs of one command go.
pub enum Destination {
    Disk(OutDir),
    Memory(MemoryOutputs),
}

impl From<OutDir> for Destination {
    fn from(out: OutDir) -> Destination {
        Destination::Disk(out)
    }
}

impl From<MemoryOutputs> for Destination {
    fn from(outputs: MemoryOutputs) -> Destination {
        Destination::Memory(outputs)
    }
}

/// An output being written.
pub enum Output {
    File(OutputFile),
    Memory(MemoryOutput),
}

impl io::Write for Output {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self {
            Output::File(file) => file.write(bytes),
            Output::Memory(output) => {
                output.bytes.extend_from_slice(bytes);
                Ok(bytes.len())
            }
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Output::File(file) => file.write_all(bytes),
            Output::Memory(output) => {
                output.bytes.extend_from_slice(bytes);
                Ok(())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::File(file) => file.flush(),
            Output::Memory(_) => Ok(()),
        }
    }
}

impl Destination {
    /// OUT_DIR, or an empty path for memory: errors then name the output
    /// alone.
    pub fn path(&self) -> &Path {
        match self {
            Destination::Disk(out) => out.path(),
            Destination::Memory(_) => Path::new(""),
        }
    }

    /// A new, empty output `name`.
    pub fn create(&mut self, name: &'static str) -> Result<Output, FatalError> {
        match self {
            Destination::Disk(out) => out.create(name).map(Output::File),
            Destination::Memory(_) => Ok(Output::Memory(MemoryOutput {
                name,
                bytes: Vec::new(),
            })),
        }
    }

    /// Where an output's scratch files go: OUT_DIR's (see
    /// [`OutDir::scratch_dir`]), or for memory the system's temporary
    /// folder (anonymous files, gone when closed; WebAssembly makes none).
    pub fn scratch_dir(&mut self) -> Result<PathBuf, FatalError> {
        match self {
            Destination::Disk(out) => out.scratch_dir(),
            Destination::Memory(_) => Ok(memory_scratch_dir()),
        }
    }

    /// A finished output: flushed to disk, or kept.
    pub fn complete(&mut self, output: &mut Output) -> Result<(), FatalError> {
        match (self, output) {
            (Destination::Disk(out), Output::File(file)) => out.complete(file),
            (Destination::Memory(_), Output::Memory(_)) => Ok(()),
            _ => unreachable!("an output is completed where it was created"),
        }
    }

    /// Places all outputs at once.
    pub fn publish(self, outputs: Vec<Output>) -> Result<(), FatalError> {
        match self {
            Destination::Disk(out) => out.publish(
                outputs
                    .into_iter()
                    .map(|output| match output {
                        Output::File(file) => file,
                        Output::Memory(_) => unreachable!("a file output on disk"),
                    })
                    .collect(),
            ),
            Destination::Memory(memory) => {
                let written: Vec<MemoryOutput> = outputs
                    .into_iter()
                    .map(|output| match output {
                        Output::Memory(output) => output,
                        Output::File(_) => unreachable!("a memory output in memory"),
                    })
                    .collect();
                *memory.lock() = written;
                Ok(())
            }
        }
    }
}

//! The 台账 sheet's rows: the ledger by village (region), person, program
//! and month, from any number of parts, in bounded memory.
//!
//! As each part of a run is written (the one part of an in-memory run, or
//! each partition of persons), its ledger lines are sorted by region —
//! stably, so (id_number, program, period) order stays within a region —
//! and appended to an anonymous scratch file as one sorted *run*. At the
//! end the runs are merged on (region, id_number, program, period), which
//! is unique per line, so the rows come out in one total order whatever
//! the parts were: an in-memory and a partitioned run give the same rows.
//! Memory: one read buffer per run (their sum bounded by
//! [`MERGE_BUFFER_BYTES`]) and one line per run in the merge heap.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufWriter, Write};

use rayon::prelude::*;

use crate::domain::{Money, Period, Program};
use crate::engine::{Context, LedgerLine, LineStatus, Reconciliation};

/// Lines encoded per parallel task, and tasks per batch written.
const LINES_PER_TASK: usize = 8192;
const TASKS_PER_BATCH: usize = 32;

/// Read buffers of all runs together, while merging.
const MERGE_BUFFER_BYTES: usize = 64 << 20;
const MIN_RUN_BUFFER: usize = 4 << 10;
const MAX_RUN_BUFFER: usize = 1 << 20;

/// One ledger row as the 台账 sheet shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub region: String,
    pub id_number: String,
    pub name: String,
    pub program: u8,
    pub period: u32,
    /// E, A, T (`None`: unknown E, or a stage file not given) and P, fen.
    pub figures: [Option<i64>; 3],
    pub paid: i64,
    pub status: u8,
}

impl Row {
    pub fn program(&self) -> Program {
        Program::ALL[usize::from(self.program)]
    }

    pub fn period(&self) -> Period {
        Period::from_index(self.period)
    }

    pub fn status(&self) -> LineStatus {
        STATUSES[usize::from(self.status)]
    }

    fn order(&self, other: &Row) -> Ordering {
        self.region
            .cmp(&other.region)
            .then_with(|| self.id_number.cmp(&other.id_number))
            .then_with(|| self.program.cmp(&other.program))
            .then_with(|| self.period.cmp(&other.period))
    }
}

const STATUSES: [LineStatus; 8] = [
    LineStatus::Excluded,
    LineStatus::AfterExit,
    LineStatus::NotEnrolled,
    LineStatus::Missing,
    LineStatus::Shortfall,
    LineStatus::Over,
    LineStatus::NoStandard,
    LineStatus::Ok,
];

fn status_code(status: LineStatus) -> u8 {
    STATUSES
        .iter()
        .position(|known| *known == status)
        .expect("every status is listed") as u8
}

/// Where the spilled runs are kept: an anonymous scratch file, or memory
/// in WebAssembly (the page of web/), which has no files.
enum SpillWriter {
    File(BufWriter<File>),
    Memory(Vec<u8>),
}

impl SpillWriter {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            SpillWriter::File(writer) => writer.write_all(bytes),
            SpillWriter::Memory(kept) => {
                kept.extend_from_slice(bytes);
                Ok(())
            }
        }
    }

    fn into_store(self) -> io::Result<SpillStore> {
        match self {
            SpillWriter::File(writer) => writer
                .into_inner()
                .map(SpillStore::File)
                .map_err(|error| error.into_error()),
            SpillWriter::Memory(kept) => Ok(SpillStore::Memory(kept)),
        }
    }
}

/// The spilled runs, read back while merging.
enum SpillStore {
    File(File),
    Memory(Vec<u8>),
}

impl SpillStore {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        match self {
            SpillStore::File(file) => read_at(file, buffer, offset),
            SpillStore::Memory(kept) => {
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(kept.len());
                let count = buffer.len().min(kept.len() - start);
                buffer[..count].copy_from_slice(&kept[start..start + count]);
                Ok(count)
            }
        }
    }
}

/// The ledger lines of a run, spilled part by part to a scratch file.
pub struct LedgerSpill {
    writer: SpillWriter,
    /// Byte ranges of the sorted runs, one per part.
    runs: Vec<(u64, u64)>,
    position: u64,
    lines: u64,
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}

fn encode(out: &mut Vec<u8>, context: &Context<'_>, line: &LedgerLine) {
    let (name, region) = context.label_text(line.label());
    put_text(out, region);
    put_text(out, context.case.people.id_number(line.person));
    put_text(out, name);
    out.push(line.program.index() as u8);
    out.extend_from_slice(&line.period.index().to_le_bytes());
    let figures = line.figures();
    let known = [figures.expected, figures.allocated, figures.transferred];
    let mut flags = 0u8;
    for (bit, amount) in known.iter().enumerate() {
        if amount.is_some() {
            flags |= 1 << bit;
        }
    }
    out.push(flags);
    for amount in known {
        out.extend_from_slice(&amount.map_or(0, Money::fen).to_le_bytes());
    }
    out.extend_from_slice(&figures.paid.fen().to_le_bytes());
    out.push(status_code(line.status));
}

impl LedgerSpill {
    /// A spill into an anonymous file in `folder` (gone when closed); in
    /// WebAssembly, into memory.
    pub fn new(folder: &std::path::Path) -> io::Result<LedgerSpill> {
        let writer = if cfg!(target_family = "wasm") {
            SpillWriter::Memory(Vec::new())
        } else {
            SpillWriter::File(BufWriter::with_capacity(
                1 << 20,
                tempfile::tempfile_in(folder)?,
            ))
        };
        Ok(LedgerSpill {
            writer,
            runs: Vec::new(),
            position: 0,
            lines: 0,
        })
    }

    /// Appends one part's lines as one run sorted by region (then, as the
    /// ledger is, by id_number, program and period).
    pub fn add(
        &mut self,
        context: &Context<'_>,
        reconciliation: &Reconciliation,
    ) -> io::Result<()> {
        let mut lines: Vec<&LedgerLine> = reconciliation.lines.iter().collect();
        // Stable: the ledger's order stays within each region. Ranks
        // follow region text order, the empty region first.
        lines.par_sort_by_key(|line| context.region_rank(line.label()));
        let start = self.position;
        for batch in lines.chunks(LINES_PER_TASK * TASKS_PER_BATCH) {
            let encoded: Vec<Vec<u8>> = batch
                .par_chunks(LINES_PER_TASK)
                .map(|piece| {
                    let mut out = Vec::with_capacity(piece.len() * 96);
                    for line in piece {
                        encode(&mut out, context, line);
                    }
                    out
                })
                .collect();
            for bytes in encoded {
                self.writer.write_all(&bytes)?;
                self.position += bytes.len() as u64;
            }
        }
        self.lines += lines.len() as u64;
        self.runs.push((start, self.position));
        Ok(())
    }

    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// The rows of every run merged in (region, id_number, program,
    /// period) order.
    pub fn merge(self) -> io::Result<Merge> {
        let file = self.writer.into_store()?;
        let runs = self.runs.len().max(1);
        let buffer = (MERGE_BUFFER_BYTES / runs).clamp(MIN_RUN_BUFFER, MAX_RUN_BUFFER);
        let mut readers: Vec<RunReader> = self
            .runs
            .iter()
            .map(|&(start, end)| RunReader::new(start, end, buffer))
            .collect();
        let mut heap = BinaryHeap::with_capacity(readers.len());
        for (run, reader) in readers.iter_mut().enumerate() {
            if let Some(row) = reader.next(&file)? {
                heap.push(Head { row, run });
            }
        }
        Ok(Merge {
            file,
            readers,
            heap,
        })
    }
}

/// The smallest row of one run, in the merge heap (a min-heap by row
/// order; runs break ties, though rows never tie).
struct Head {
    row: Row,
    run: usize,
}

impl PartialEq for Head {
    fn eq(&self, other: &Head) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Head) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Head {
    fn cmp(&self, other: &Head) -> Ordering {
        other
            .row
            .order(&self.row)
            .then_with(|| other.run.cmp(&self.run))
    }
}

/// Rows of all runs in order.
pub struct Merge {
    file: SpillStore,
    readers: Vec<RunReader>,
    heap: BinaryHeap<Head>,
}

impl Merge {
    pub fn next_row(&mut self) -> io::Result<Option<Row>> {
        let Some(Head { row, run }) = self.heap.pop() else {
            return Ok(None);
        };
        if let Some(next) = self.readers[run].next(&self.file)? {
            debug_assert!(row.order(&next) == Ordering::Less, "a run is sorted");
            self.heap.push(Head { row: next, run });
        }
        Ok(Some(row))
    }
}

/// Reads one run's records through its own buffer, at its own offset.
struct RunReader {
    position: u64,
    end: u64,
    buffer: Vec<u8>,
    start: usize,
    filled: usize,
}

impl RunReader {
    fn new(start: u64, end: u64, capacity: usize) -> RunReader {
        RunReader {
            position: start,
            end,
            buffer: vec![0; capacity],
            start: 0,
            filled: 0,
        }
    }

    /// Makes `count` bytes available at `self.start`.
    fn ensure(&mut self, file: &SpillStore, count: usize) -> io::Result<()> {
        if self.filled - self.start >= count {
            return Ok(());
        }
        self.buffer.copy_within(self.start..self.filled, 0);
        self.filled -= self.start;
        self.start = 0;
        if self.buffer.len() < count {
            self.buffer.resize(count, 0);
        }
        while self.filled < count {
            let room = (self.buffer.len() - self.filled) as u64;
            let want = room.min(self.end - self.position) as usize;
            if want == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the workbook's ledger scratch file ended early",
                ));
            }
            let read = file.read_at(
                &mut self.buffer[self.filled..self.filled + want],
                self.position,
            )?;
            if read == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the workbook's ledger scratch file ended early",
                ));
            }
            self.filled += read;
            self.position += read as u64;
        }
        Ok(())
    }

    fn take(&mut self, file: &SpillStore, count: usize) -> io::Result<&[u8]> {
        self.ensure(file, count)?;
        let bytes = &self.buffer[self.start..self.start + count];
        self.start += count;
        Ok(bytes)
    }

    fn number<const N: usize>(&mut self, file: &SpillStore) -> io::Result<[u8; N]> {
        let bytes = self.take(file, N)?;
        Ok(bytes.try_into().expect("N bytes"))
    }

    fn text(&mut self, file: &SpillStore, into: &mut String) -> io::Result<()> {
        let length = u32::from_le_bytes(self.number::<4>(file)?) as usize;
        let bytes = self.take(file, length)?;
        into.clear();
        into.push_str(std::str::from_utf8(bytes).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "the workbook's ledger scratch file holds text that is not UTF-8",
            )
        })?);
        Ok(())
    }

    fn next(&mut self, file: &SpillStore) -> io::Result<Option<Row>> {
        if self.start == self.filled && self.position == self.end {
            return Ok(None);
        }
        let mut row = Row::default();
        self.text(file, &mut row.region)?;
        self.text(file, &mut row.id_number)?;
        self.text(file, &mut row.name)?;
        row.program = self.number::<1>(file)?[0];
        row.period = u32::from_le_bytes(self.number::<4>(file)?);
        let flags = self.number::<1>(file)?[0];
        for (bit, figure) in row.figures.iter_mut().enumerate() {
            let amount = i64::from_le_bytes(self.number::<8>(file)?);
            *figure = (flags & (1 << bit) != 0).then_some(amount);
        }
        row.paid = i64::from_le_bytes(self.number::<8>(file)?);
        row.status = self.number::<1>(file)?[0];
        if usize::from(row.program) >= Program::ALL.len()
            || usize::from(row.status) >= STATUSES.len()
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the workbook's ledger scratch file is damaged",
            ));
        }
        Ok(Some(row))
    }
}

#[cfg(unix)]
fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buffer, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buffer, offset)
}

/// No file to read in the page of web/ (WebAssembly): its spill is kept in
/// memory and never read through here.
#[cfg(not(any(unix, windows)))]
fn read_at(_file: &File, _buffer: &mut [u8], _offset: u64) -> io::Result<usize> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no files to read back on this platform",
    ))
}

//! The case's CSV files as the generator writes them: one buffered writer
//! per file kind, rows counted, record ids handed out in order.

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::domain::FileKind;

/// The CSV files of a generated case (policy.toml is written whole).
pub const CSV_FILES: [FileKind; 7] = [
    FileKind::Roster,
    FileKind::Standards,
    FileKind::Allocations,
    FileKind::Transfers,
    FileKind::Payouts,
    FileKind::Exclusions,
    FileKind::Relatives,
];

/// Each file is written through a buffer this large: few system calls,
/// and memory fixed whatever the number of households.
const BUFFER_BYTES: usize = 1 << 20;

fn header(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Roster => {
            "enrolment_id,id_number,name,household_id,region,program,household_size,per_capita_income,deductions,care_level,support_mode,approved_amount,start_period,end_period,account,tier,categories,phase_out_from"
        }
        FileKind::Standards => "region,program,item,effective_from,amount",
        FileKind::Allocations => "allocation_id,id_number,program,period,amount",
        FileKind::Transfers => "transfer_id,id_number,program,period,amount,transferred_on",
        FileKind::Payouts => {
            "payout_id,id_number,program,period,amount,name,account,paid_on,status"
        }
        FileKind::Exclusions => "id_number,reason,from_period",
        FileKind::Relatives => "id_number,staff_name,relation,filed",
        FileKind::Members => "household_id,id_number,name,relation",
        FileKind::Watchlist => "id_number,name,region,source,reason,period",
        FileKind::Policy => unreachable!("policy.toml is not a CSV file"),
    }
}

fn slot(kind: FileKind) -> usize {
    CSV_FILES
        .iter()
        .position(|&file| file == kind)
        .expect("a CSV file of the generated case")
}

/// Data rows written per file (headers not counted).
#[derive(Clone, Copy, Debug, Default)]
pub struct FileRows([u64; CSV_FILES.len()]);

impl FileRows {
    pub fn get(&self, kind: FileKind) -> u64 {
        self.0[slot(kind)]
    }
}

pub struct CaseFiles {
    writers: Vec<BufWriter<File>>,
    rows: FileRows,
}

impl CaseFiles {
    /// Creates every file in `folder` and writes its header.
    pub fn create(folder: &Path) -> Result<CaseFiles, (std::path::PathBuf, io::Error)> {
        let mut writers = Vec::with_capacity(CSV_FILES.len());
        for kind in CSV_FILES {
            let path = folder.join(kind.file_name());
            let file = File::create(&path).map_err(|error| (path.clone(), error))?;
            let mut writer = BufWriter::with_capacity(BUFFER_BYTES, file);
            writeln!(writer, "{}", header(kind)).map_err(|error| (path, error))?;
            writers.push(writer);
        }
        Ok(CaseFiles {
            writers,
            rows: FileRows::default(),
        })
    }

    pub fn row(&mut self, kind: FileKind, text: fmt::Arguments<'_>) -> io::Result<()> {
        let slot = slot(kind);
        self.rows.0[slot] += 1;
        let writer = &mut self.writers[slot];
        writer.write_fmt(text)?;
        writer.write_all(b"\n")
    }

    /// Flushes every file; returns the rows written.
    pub fn finish(mut self) -> io::Result<FileRows> {
        for writer in &mut self.writers {
            writer.flush()?;
        }
        Ok(self.rows)
    }
}

/// Record ids: a letter and nine digits from one counter shared by every
/// file, so ids tell the order records were made in.
#[derive(Default)]
pub struct RecordIds {
    made: u64,
}

impl RecordIds {
    pub fn next(&mut self, prefix: char) -> String {
        self.made += 1;
        format!("{prefix}{:09}", self.made)
    }
}

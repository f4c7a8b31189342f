//! The case's CSV files as the generator writes them: one buffered writer
//! per file kind (with `--v3`, one per month of the bank's payout files),
//! rows counted, record ids handed out in order.

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::domain::FileKind;

/// The CSV files of a generated case (policy.toml is written whole); the
/// last two only with `--v3`.
pub const CSV_FILES: [FileKind; 9] = [
    FileKind::Roster,
    FileKind::Standards,
    FileKind::Allocations,
    FileKind::Transfers,
    FileKind::Payouts,
    FileKind::Exclusions,
    FileKind::Relatives,
    FileKind::Members,
    FileKind::Watchlist,
];

/// The kinds SPEC v3 added, written only with `--v3`.
const V3_FILES: [FileKind; 2] = [FileKind::Members, FileKind::Watchlist];

/// How the bank's payouts are laid out on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// payouts.csv, the other kinds' files, as SPEC v2 knows them.
    V2,
    /// SPEC v3: also members.csv and watchlist.csv, and the payouts as the
    /// bank sends them, one file a month (`payouts/2024-07.csv`) for the
    /// twelve months of the case's `year`.
    V3 { year: u32 },
}

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

/// The months of a year: one payout file each with `--v3`.
const MONTHS: u32 = 12;

pub struct CaseFiles {
    /// By slot; `None` for a kind this layout does not write (members and
    /// watchlist without `--v3`, payouts.csv with it).
    writers: Vec<Option<BufWriter<File>>>,
    /// `--v3`: the bank's payout file of each month, January first.
    monthly_payouts: Vec<BufWriter<File>>,
    rows: FileRows,
}

type CreateError = (std::path::PathBuf, io::Error);

/// Creates `path` and writes its header.
fn create_file(path: std::path::PathBuf, kind: FileKind) -> Result<BufWriter<File>, CreateError> {
    let file = File::create(&path).map_err(|error| (path.clone(), error))?;
    let mut writer = BufWriter::with_capacity(BUFFER_BYTES, file);
    writeln!(writer, "{}", header(kind)).map_err(|error| (path, error))?;
    Ok(writer)
}

impl CaseFiles {
    /// Creates every file of `layout` in `folder` and writes its header.
    pub fn create(folder: &Path, layout: Layout) -> Result<CaseFiles, CreateError> {
        let mut writers = Vec::with_capacity(CSV_FILES.len());
        let mut monthly_payouts = Vec::new();
        for kind in CSV_FILES {
            let written = match layout {
                Layout::V2 => !V3_FILES.contains(&kind),
                Layout::V3 { .. } => kind != FileKind::Payouts,
            };
            writers.push(match written {
                true => Some(create_file(folder.join(kind.file_name()), kind)?),
                false => None,
            });
        }
        if let Layout::V3 { year } = layout {
            let sub_folder = folder.join(FileKind::Payouts.stem());
            std::fs::create_dir_all(&sub_folder).map_err(|error| (sub_folder.clone(), error))?;
            for month in 1..=MONTHS {
                let period =
                    crate::domain::Period::from_year_month(year, month).expect("a four-digit year");
                let path = sub_folder.join(format!("{period}.csv"));
                monthly_payouts.push(create_file(path, FileKind::Payouts)?);
            }
        }
        Ok(CaseFiles {
            writers,
            monthly_payouts,
            rows: FileRows::default(),
        })
    }

    /// A row of `kind`'s file; payouts go through [`CaseFiles::payout`].
    pub fn row(&mut self, kind: FileKind, text: fmt::Arguments<'_>) -> io::Result<()> {
        let slot = slot(kind);
        self.rows.0[slot] += 1;
        let writer = self.writers[slot]
            .as_mut()
            .expect("the generator writes only the kinds of its layout");
        writer.write_fmt(text)?;
        writer.write_all(b"\n")
    }

    /// A payout row, in payouts.csv or (`--v3`) in the file of the month
    /// the bank paid it in, `bank_month` (1–12).
    pub fn payout(&mut self, bank_month: u32, text: fmt::Arguments<'_>) -> io::Result<()> {
        if self.monthly_payouts.is_empty() {
            return self.row(FileKind::Payouts, text);
        }
        self.rows.0[slot(FileKind::Payouts)] += 1;
        assert!((1..=MONTHS).contains(&bank_month), "a month of the year");
        let writer = &mut self.monthly_payouts[(bank_month - 1) as usize];
        writer.write_fmt(text)?;
        writer.write_all(b"\n")
    }

    /// Flushes every file; returns the rows written.
    pub fn finish(mut self) -> io::Result<FileRows> {
        for writer in self.writers.iter_mut().flatten() {
            writer.flush()?;
        }
        for writer in &mut self.monthly_payouts {
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

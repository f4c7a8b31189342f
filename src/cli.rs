//! Command-line flags, turned into a validated [`RunConfig`].

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::domain::{Period, Severity};
use crate::error::FatalError;

#[derive(Debug, Parser)]
#[command(
    name = "duizhang",
    version,
    about = "对账 — checks that social-assistance money reached the people it was meant for, in full, on time, and nobody else",
    long_about = "对账 — checks that social-assistance money (低保 dibao, 特困 tekun, 临时救助 temp, price subsidies) \
reached the people it was meant for, in full, on time, and nobody else.\n\n\
It recomputes every beneficiary's entitlement per program and month from the roster and the \
benefit standards in force (raises applied retroactively included), matches what finance \
allocated, what reached the bank and what the bank paid, and lists every break with the \
file:line rows that prove it.\n\n\
Exit status: 0 the run finished; 1 it finished and --fail-on found a finding that severe; \
2 the run could not be done (the message names the file, line and column)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Reconcile one case folder and write findings.csv, ledger.csv,
    /// summary.csv, register.csv, corrections.csv and run.json (and with
    /// --report the workbooks) into OUT_DIR.
    #[command(long_about = "Reconcile one case folder.\n\n\
CASE_DIR holds roster.csv, standards.csv and payouts.csv, and optionally allocations.csv, \
transfers.csv, exclusions.csv, relatives.csv, members.csv, watchlist.csv and policy.toml (UTF-8 or GBK \
CSV with a header row). A kind given as several files goes into a sub-folder named for it \
(payouts/2024-01.csv …), read in name order. Each data file may instead be the office's workbook \
(roster.xlsx, payouts.xls, …: the header is found below any title rows, every visible sheet that has \
it is read) or a bank's .txt export; Chinese headers and values are read, and an optional columns.toml \
names other headers (docs/formats.md).\n\n\
OUT_DIR receives six files, placed together when all are complete: a run that fails or is \
stopped leaves the previous ones as they were (one stopped while placing them is finished by \
the next run), and other files in OUT_DIR are never touched. OUT_DIR must lie outside CASE_DIR (duizhang never \
writes into the folder it reads). The six files:\n  \
findings.csv     every problem found, with the source rows behind it\n  \
ledger.csv       per person, program and month: expected, allocated, transferred, paid, status\n  \
summary.csv      per region, program and month: totals and the delivery rate\n  \
register.csv     the rectification register (整改台账), carried on from --register\n  \
corrections.csv  the money to put right: back pay (补发) and recovery (追缴) per person and program\n  \
run.json         the window, input row counts and SHA-256 hashes, totals, findings by code\n\n\
Text from the case that a spreadsheet would run as a formula (starting with = + - @) is \
written after a ' so that Excel and WPS show it as text; --bom starts every CSV with UTF-8's \
byte-order mark so that they open right on a double-click.\n\n\
With --report, OUT_DIR also receives report.xlsx, register.xlsx and backpay-upload.xlsx, placed \
together with the six: report.xlsx's sheets are 说明 (the run, its inputs and counts, how to read \
it), 汇总 (summary.csv with a chart of each town's delivery rate by month), 问题清单 (findings.csv row \
for row, Chinese names, severity coloured, what to do), 问题汇总 (findings folded per person, program \
and code, months as ranges), 台账 (the ledger by village, person and month), 月报, 补发清单, 追缴清单 and \
整改台账; English with --lang en. A run without --report takes earlier workbooks away with the rest, \
so that they never sit beside another run's files.\n\n\
Without --from and --to the window runs from the earliest to the latest month of any record, \
at most 120 months; give both for a longer run.")]
    Reconcile(ReconcileArgs),

    /// Write the public notice (公示) of one month: per village, the dibao
    /// and tekun recipients' names, household sizes and monthly amounts,
    /// without ID numbers or accounts.
    #[command(
        long_about = "Write the public notice (公示) of one month as a workbook.\n\n\
The 2021 最低生活保障审核确认办法 (art. 24) asks villages and communities to post the names, \
household sizes and amounts of those who receive dibao. The notice lists, per village (region \
code), every dibao and tekun enrolment covering PERIOD whose person is not excluded that month, \
with its name, household size and the monthly amount duizhang computes for PERIOD (the expected \
amount of ledger.csv). It holds no ID number and no account. An amount whose standard is missing \
shows as pending (待核定); such rows, and rows at 0.00, say why in a 备注 column. Under the list: the counts, \
where to object, the 公示期 (from --posted, for policy.toml's [notice] days, default 7), the supervision \
telephone and the issuing body ([notice] phone and issuer; blanks to fill in by hand where not given). \
PERIOD may be written as offices write months (2024-07, 202407, 2024年7月); a month no enrolment covers \
is refused.\n\n\
A second sheet, for the office and not for posting, lists every enrolled person left out of \
the notice and why: excluded that month, a repeated roster row, or a roster row that cannot be \
read (each such row is also named in a warning on stderr).\n\n\
FILE is written as reconcile writes its outputs: never inside CASE_DIR (links and .. resolved), \
never over a link, a folder, a device or a pipe, and whole — written unseen beside FILE and put \
in place in one step when complete, so a reader sees the previous file or the new one.\n\n\
Exit status: 0 written; 2 it could not be (a bad --period, a case that cannot be read, a FILE \
inside CASE_DIR or that cannot be written; the message says which)."
    )]
    Notice(NoticeArgs),

    /// What a proposed raise of the standards would cost: per region,
    /// program and month, the expected amounts today and under the
    /// proposal (whatif.csv in OUT_DIR).
    #[command(long_about = "What a proposed raise of the standards would cost.\n\n\
PROPOSED is a standards file in the layout of the case's standards.csv (its columns.toml applies). \
Its rows are laid over the case's: a proposed row with the same region (as written), program, item \
and effective_from as case rows replaces them, any other is added. For every line of the window \
that is enrolled and not excluded (every program), duizhang computes the expected amount under the \
case's standards and under the proposed ones — with everything derived from them: tekun's basic \
given as a share of the dibao standard, price subsidies, households a higher line makes eligible.\n\n\
OUT_DIR receives whatif.csv: per region, program and month with at least one such line: lines, \
expected, proposed, change (proposed − expected), unknown (lines whose amount cannot be computed \
under either, for a missing standard: counted here and left out of both sums). With --report also \
whatif.xlsx (the change per town and month with a chart, and the households that gain most), \
placed together with whatif.csv. Outputs are placed as reconcile places its own: whole, never \
inside CASE_DIR; reconcile's outputs in the same OUT_DIR are left alone.\n\n\
Without --from and --to the window runs from the earliest to the latest month of any record; give \
both when the case has no payment records.\n\n\
Exit status: 0 written; 2 not (a proposed row that cannot be read or that contradicts another, a \
case that cannot be read, an OUT_DIR that cannot be written; the message says which, with file, \
line and column).")]
    Whatif(WhatifArgs),

    /// Write a synthetic county case (SPEC format) with anomalies of every
    /// finding kind, to try the tool or to benchmark it at any size.
    #[command(
        long_about = "Write a synthetic county case (SPEC format) with anomalies of every finding kind, \
to try the tool or to benchmark it at any size. The same seed gives the same files, byte for byte.\n\n\
OUT_DIR is created if missing. A folder that already holds anything (an existing case above all) \
is refused, so that a mistyped path never overwrites a case; --force writes into it anyway, \
replacing the case files there and leaving other files alone.\n\n\
Exit status: 0 written; 2 it could not be (a bad argument, a folder in use without --force, a \
file that cannot be written)."
    )]
    Generate(GenerateArgs),

    /// Read and check a case folder without reconciling it: each file's
    /// encoding, sheet, header row, columns and bad rows, and the months
    /// whose standards are missing. Writes nothing.
    #[command(
        long_about = "Read and check a case folder without reconciling it, and write nothing.\n\n\
For each file: its encoding (or workbook sheet and header row), the header each column was found \
under, its rows, and its bad rows with the first reasons. Then, per region and program, the months \
of the run window (the enrolments' covered months only) that lack a standard the entitlement needs: \
dibao standard and the tiers and top-ups the roster names, tekun basic and the care levels used.\n\n\
Exit status: 0 a run would work (bad rows and missing standards are listed: a run reports them as \
BAD_RECORD and NO_STANDARD findings); 2 it would not, with the reason, or the report could not be \
written to standard output (a full disk, a closed pipe), or the case is not fit to run: a file with at \
least 10 rows that cannot be read, more than one in ten of its rows, is read wrongly as a whole (the \
report is printed and its last line names the files)."
    )]
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The case folder to check.
    #[arg(value_name = "CASE_DIR")]
    pub case_dir: PathBuf,

    /// First month of the run window, YYYY-MM (default: from the records).
    #[arg(long, value_name = "PERIOD")]
    pub from: Option<String>,

    /// Last month of the run window, YYYY-MM (default: from the records).
    #[arg(long, value_name = "PERIOD")]
    pub to: Option<String>,

    /// Also check an earlier rectification register (as `reconcile
    /// --register` would read it) and count its items by status.
    #[arg(long, value_name = "FILE")]
    pub register: Option<PathBuf>,

    /// Language of the report: zh (Chinese, the default) or en. The
    /// reader's own words about a bad row stay as it wrote them.
    #[arg(long, value_enum, value_name = "LANG", default_value = "zh")]
    pub lang: LangArg,
}

/// `--from`/`--to`: a period YYYY-MM or YYYYMM.
fn period_flag(flag: &str, value: Option<String>) -> Result<Option<Period>, FatalError> {
    value
        .map(|text| {
            Period::parse(text.trim()).ok_or_else(|| {
                FatalError::BadArgument(format!(
                    "{flag} {:?}: expected a period YYYY-MM (or YYYYMM), e.g. 2020-07",
                    crate::error::excerpt(&text)
                ))
            })
        })
        .transpose()
}

/// A check's settings, checked.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    pub case_dir: PathBuf,
    pub from: Option<Period>,
    pub to: Option<Period>,
    pub register: Option<PathBuf>,
    pub lang: crate::write::workbook::Lang,
}

impl CheckArgs {
    pub fn into_config(self) -> Result<CheckConfig, FatalError> {
        let period = period_flag;
        Ok(CheckConfig {
            case_dir: self.case_dir,
            from: period("--from", self.from)?,
            to: period("--to", self.to)?,
            register: self.register,
            lang: self.lang.lang(),
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Folder to write the case into (created if missing).
    #[arg(value_name = "OUT_DIR")]
    pub out_dir: PathBuf,

    /// Number of households (each one beneficiary with a year of records).
    #[arg(long, value_name = "N")]
    pub households: u64,

    /// Random seed; the same seed gives byte-identical files.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// Benefit year of the records.
    #[arg(long, value_name = "Y", default_value_t = 2024)]
    pub year: u32,

    /// Share of households given one planted anomaly, from 0 to 1.
    #[arg(long, value_name = "RATE", default_value = "0.05")]
    pub anomaly: String,

    /// Write into OUT_DIR although it is not empty, replacing the case
    /// files there (without it, a folder holding anything is refused).
    #[arg(long)]
    pub force: bool,

    /// Also SPEC v3: members.csv (every dibao household's members),
    /// watchlist.csv (other departments' leads) and the payouts as the
    /// bank's monthly files payouts/YYYY-MM.csv instead of payouts.csv;
    /// with anomalies, also unenrolled leads (POSSIBLY_MISSED), a member's
    /// death still paid for (MEMBER_EXCLUDED), a household size the members
    /// disagree with (HOUSEHOLD_SIZE_MISMATCH) and a payout re-exported in
    /// the next month's file (DUPLICATE_RECORD).
    #[arg(long)]
    pub v3: bool,
}

impl GenerateArgs {
    pub fn into_config(self) -> Result<crate::generate::GenerateConfig, FatalError> {
        let anomaly_per_mille = parse_rate(&self.anomaly).ok_or_else(|| {
            FatalError::BadArgument(format!("--anomaly {:?}: expected a share from 0 to 1 with at most three decimals, e.g. 0.05", self.anomaly))
        })?;
        if !(1000..=9998).contains(&self.year) {
            return Err(FatalError::BadArgument(format!(
                "--year {}: expected a four-digit year",
                self.year
            )));
        }
        Ok(crate::generate::GenerateConfig {
            households: self.households,
            seed: self.seed,
            year: self.year,
            anomaly_per_mille,
            force: self.force,
            v3: self.v3,
        })
    }
}

/// `4G`, `512M`, `64K`, `1.5G`, or a number of bytes; binary units.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let upper = text.to_ascii_uppercase();
    let trimmed = upper.strip_suffix('B').unwrap_or(&upper);
    let (number, unit): (&str, u64) = match trimmed.chars().last()? {
        'K' => (&trimmed[..trimmed.len() - 1], 1 << 10),
        'M' => (&trimmed[..trimmed.len() - 1], 1 << 20),
        'G' => (&trimmed[..trimmed.len() - 1], 1 << 30),
        'T' => (&trimmed[..trimmed.len() - 1], 1 << 40),
        _ => (trimmed, 1),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty()
        || !whole.bytes().all(|byte| byte.is_ascii_digit())
        || !fraction.bytes().all(|byte| byte.is_ascii_digit())
        || fraction.len() > 3
    {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    let thousandths: u64 = format!("{fraction:0<3}").parse().ok()?;
    let bytes = whole
        .checked_mul(unit)?
        .checked_add(thousandths.checked_mul(unit)? / 1000)?;
    (bytes > 0).then_some(bytes)
}

/// Three quarters of the machine's memory (from /proc/meminfo), or 8 GiB
/// where that cannot be read.
pub fn default_memory_limit() -> u64 {
    let total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
                .map(|kilobytes| kilobytes * 1024)
        });
    total.map_or(8 << 30, |bytes| bytes / 4 * 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4G"), Some(4 << 30));
        assert_eq!(parse_size("512m"), Some(512 << 20));
        assert_eq!(parse_size("1.5GB"), Some(3 << 29));
        assert_eq!(parse_size("20000000"), Some(20_000_000));
        assert_eq!(parse_size("1M"), Some(1 << 20));
        assert_eq!(parse_size("0"), None);
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size(""), None);
        assert_eq!(parse_rate("0.05"), Some(50));
        assert_eq!(parse_rate("1"), Some(1000));
        assert_eq!(parse_rate("1.5"), None);
    }
}

/// `0.05` → 50 (per mille); at most three decimals, at most 1.
fn parse_rate(text: &str) -> Option<u32> {
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if whole.is_empty() && fraction.is_empty() || fraction.len() > 3 {
        return None;
    }
    if !whole
        .bytes()
        .chain(fraction.bytes())
        .all(|byte| byte.is_ascii_digit())
    {
        return None;
    }
    let whole: u32 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction: u32 = format!("{fraction:0<3}").parse().ok()?;
    let per_mille = whole.checked_mul(1000)?.checked_add(fraction)?;
    (per_mille <= 1000).then_some(per_mille)
}

#[derive(Debug, clap::Args)]
pub struct ReconcileArgs {
    /// The case folder to read.
    #[arg(value_name = "CASE_DIR")]
    pub case_dir: PathBuf,

    /// Folder to write the outputs into (created if missing).
    #[arg(long, value_name = "OUT_DIR")]
    pub out: PathBuf,

    /// First month of the run, YYYY-MM (default: the earliest month of any
    /// record; a window taken from the records may span at most 120 months).
    #[arg(long, value_name = "PERIOD")]
    pub from: Option<String>,

    /// Last month of the run, YYYY-MM (default: the latest month of any record).
    #[arg(long, value_name = "PERIOD")]
    pub to: Option<String>,

    /// Worker threads (default: one per CPU core). Outputs are identical for any count.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Exit with status 1 when a finding of this severity or higher is found.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Memory the run may use, e.g. 4G or 512M (default: three quarters of
    /// this machine's memory). A case that needs more is reconciled in
    /// partitions of persons, reading the files again for each; the
    /// outputs are the same byte for byte. Reading needs some memory
    /// whatever the limit (about 200 MB for a 700 MB case): a lower limit
    /// is exceeded.
    #[arg(long, value_name = "SIZE")]
    pub memory_limit: Option<String>,

    /// No progress bar (it is shown only when stderr is a terminal anyway).
    #[arg(long)]
    pub quiet: bool,

    /// Print how long each phase took, and the throughput, to stderr.
    #[arg(long)]
    pub timings: bool,

    /// Also write report.xlsx: the summary with a chart, the findings, the
    /// findings folded into cases, and the ledger by village, for Excel and
    /// WPS. Placed together with the four other outputs.
    #[arg(long)]
    pub report: bool,

    /// Language of what a person reads: report.xlsx (with --report) and
    /// the summary printed at the end; zh (Chinese, the default) or en.
    /// The CSV outputs are the same in both.
    #[arg(long, value_enum, value_name = "LANG")]
    pub lang: Option<LangArg>,

    /// The rectification register (整改台账) of an earlier run, to carry on:
    /// its items keep their numbers and the office's columns, close when
    /// this run no longer finds them, reopen when they come back
    /// (register.csv or register.xlsx as a run wrote it, or re-saved by
    /// Excel or WPS). Without it the register starts anew.
    #[arg(long, value_name = "FILE")]
    pub register: Option<PathBuf>,

    /// Start a new register although OUT_DIR holds a register.csv edited
    /// since the run that wrote it (which a run otherwise refuses to
    /// replace).
    #[arg(long, conflicts_with = "register")]
    pub new_register: bool,

    /// Write the CSV outputs with a UTF-8 byte-order mark, so that Excel
    /// and WPS open them right on a double-click (without it they take
    /// the Chinese text for the local code page). A spreadsheet still
    /// turns long ID numbers in any CSV into numbers: report.xlsx keeps
    /// them as text.
    #[arg(long)]
    pub bom: bool,
}

/// The language of a workbook.
#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum LangArg {
    /// Chinese (中文): sheet names, titles and finding names.
    #[default]
    Zh,
    /// English.
    En,
}

impl LangArg {
    pub fn lang(self) -> crate::write::workbook::Lang {
        match self {
            LangArg::Zh => crate::write::workbook::Lang::Zh,
            LangArg::En => crate::write::workbook::Lang::En,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct NoticeArgs {
    /// The case folder to read.
    #[arg(value_name = "CASE_DIR")]
    pub case_dir: PathBuf,

    /// The month of the notice: YYYY-MM, YYYYMM, 2024年7月, 2024/7 …
    #[arg(long, value_name = "PERIOD")]
    pub period: String,

    /// The day the notice is posted, YYYY-MM-DD (or 2024年7月5日): the
    /// notice then states its 公示期, from that day for policy.toml's
    /// `[notice] days` (7 unless set). Without it the dates are left
    /// blank to be written in by hand.
    #[arg(long, value_name = "DATE")]
    pub posted: Option<String>,

    /// The workbook to write, e.g. notice-2024-07.xlsx (replaced whole; its
    /// folder is created if missing).
    #[arg(long, value_name = "FILE.xlsx")]
    pub out: PathBuf,

    /// Language of the workbook: zh (Chinese, the default) or en.
    #[arg(long, value_enum, value_name = "LANG", default_value = "zh")]
    pub lang: LangArg,
}

/// A notice run's settings, checked.
#[derive(Debug, Clone)]
pub struct NoticeConfig {
    pub case_dir: PathBuf,
    pub period: Period,
    pub posted: Option<crate::domain::Date>,
    pub out: PathBuf,
    pub lang: crate::write::workbook::Lang,
}

impl NoticeArgs {
    pub fn into_config(self) -> Result<NoticeConfig, FatalError> {
        let period = Period::parse_any(self.period.trim()).ok_or_else(|| {
            FatalError::BadArgument(format!(
                "--period {:?}: expected a month, e.g. 2024-07, 202407 or 2024年7月",
                crate::error::excerpt(&self.period)
            ))
        })?;
        let posted = self
            .posted
            .as_deref()
            .map(|text| {
                crate::domain::Date::parse_any(text.trim()).ok_or_else(|| {
                    FatalError::BadArgument(format!(
                        "--posted {:?}: expected a date, e.g. 2024-07-05 or 2024年7月5日",
                        crate::error::excerpt(text)
                    ))
                })
            })
            .transpose()?;
        Ok(NoticeConfig {
            case_dir: self.case_dir,
            period,
            posted,
            out: self.out,
            lang: self.lang.lang(),
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct WhatifArgs {
    /// The case folder to read.
    #[arg(value_name = "CASE_DIR")]
    pub case_dir: PathBuf,

    /// The proposed standards (a standards.csv, or the office's workbook).
    #[arg(long, value_name = "PROPOSED")]
    pub standards: PathBuf,

    /// Folder to write whatif.csv into (created if missing; outside CASE_DIR).
    #[arg(long, value_name = "OUT_DIR")]
    pub out: PathBuf,

    /// First month, YYYY-MM (default: the earliest month of any record).
    #[arg(long, value_name = "PERIOD")]
    pub from: Option<String>,

    /// Last month, YYYY-MM (default: the latest month of any record).
    #[arg(long, value_name = "PERIOD")]
    pub to: Option<String>,

    /// Also write whatif.xlsx: the change per town and month with a chart,
    /// and the households that gain most.
    #[arg(long)]
    pub report: bool,

    /// Language of whatif.xlsx and of the summary printed: zh (Chinese,
    /// the default) or en.
    #[arg(long, value_enum, value_name = "LANG", default_value = "zh")]
    pub lang: LangArg,

    /// Write whatif.csv with a UTF-8 byte-order mark (as reconcile --bom).
    #[arg(long)]
    pub bom: bool,
}

/// A whatif run's settings, checked.
#[derive(Debug, Clone)]
pub struct WhatifConfig {
    pub case_dir: PathBuf,
    pub standards: PathBuf,
    pub out_dir: PathBuf,
    pub from: Option<Period>,
    pub to: Option<Period>,
    pub report: Option<crate::write::workbook::Lang>,
    /// The language of the printed summary (and of whatif.xlsx).
    pub lang: crate::write::workbook::Lang,
    pub bom: bool,
}

impl WhatifArgs {
    pub fn into_config(self) -> Result<WhatifConfig, FatalError> {
        let period = period_flag;
        Ok(WhatifConfig {
            case_dir: self.case_dir,
            standards: self.standards,
            out_dir: self.out,
            from: period("--from", self.from)?,
            to: period("--to", self.to)?,
            report: self.report.then(|| self.lang.lang()),
            lang: self.lang.lang(),
            bom: self.bom,
        })
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FailOn {
    Low,
    Medium,
    High,
}

/// A reconcile run's settings, checked.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub case_dir: PathBuf,
    pub out_dir: PathBuf,
    pub from: Option<Period>,
    pub to: Option<Period>,
    pub threads: Option<usize>,
    pub fail_on: Option<Severity>,
    pub memory_limit_bytes: u64,
    pub quiet: bool,
    pub timings: bool,
    /// With `--report`: report.xlsx in this language.
    pub report: Option<crate::write::workbook::Lang>,
    /// `--lang`: the language of the printed summary (and of the report).
    pub lang: crate::write::workbook::Lang,
    /// `--register`: the earlier register to carry on.
    pub register: Option<PathBuf>,
    /// `--new-register`: replace an edited register.csv in OUT_DIR.
    pub new_register: bool,
    /// `--bom`: the CSV outputs begin with a UTF-8 byte-order mark.
    pub bom: bool,
}

/// Upper bound on `--threads`: more than this is a typing error.
const MAX_THREADS: usize = 1024;

impl ReconcileArgs {
    pub fn into_config(self) -> Result<RunConfig, FatalError> {
        let period = period_flag;
        let from = period("--from", self.from)?;
        let to = period("--to", self.to)?;
        if let (Some(first), Some(last)) = (from, to) {
            if first > last {
                return Err(FatalError::BadArgument(format!(
                    "--from {first} is after --to {last}; the window would be empty"
                )));
            }
        }
        if let Some(threads) = self.threads {
            if !(1..=MAX_THREADS).contains(&threads) {
                return Err(FatalError::BadArgument(format!(
                    "--threads {threads}: expected a whole number from 1 to {MAX_THREADS}"
                )));
            }
        }
        Ok(RunConfig {
            case_dir: self.case_dir,
            out_dir: self.out,
            from,
            to,
            threads: self.threads,
            memory_limit_bytes: match &self.memory_limit {
                Some(text) => parse_size(text).ok_or_else(|| {
                    FatalError::BadArgument(format!(
                        "--memory-limit {:?}: expected a size such as 4G, 512M or 1500000000 (bytes)",
                        crate::error::excerpt(text)
                    ))
                })?,
                None => default_memory_limit(),
            },
            quiet: self.quiet,
            timings: self.timings,
            register: self.register,
            new_register: self.new_register,
            bom: self.bom,
            report: self
                .report
                .then(|| self.lang.unwrap_or_default().lang()),
            lang: self.lang.unwrap_or_default().lang(),
            fail_on: self.fail_on.map(|level| match level {
                FailOn::Low => Severity::Low,
                FailOn::Medium => Severity::Medium,
                FailOn::High => Severity::High,
            }),
        })
    }
}

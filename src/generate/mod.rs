//! `duizhang generate`: a realistic synthetic county case in SPEC format,
//! with the local rules of SPEC v2 at realistic rates and anomalies of
//! every finding kind at a chosen rate. Deterministic for a seed (its own
//! SplitMix64, so the output never changes with a dependency).
//!
//! With `--v3` it also writes SPEC v3's members.csv and watchlist.csv,
//! the payouts as the bank's monthly files (`payouts/2024-07.csv`), and
//! plants the v3 anomalies too; without it the files are those it always
//! wrote, byte for byte.
//!
//! The generator pays every household what SPEC v2 says it is due,
//! computed here independently of the engine (`county`), so a household
//! without a planted anomaly gives no finding. Households are planned,
//! written and dropped one at a time, so memory stays flat at any size.

mod anomaly;
mod county;
mod family;
mod files;
mod household;
mod people;
mod roster;
mod trail;

use std::path::Path;

use crate::error::FatalError;
use county::County;
use files::{CaseFiles, Layout, RecordIds};
use household::Planner;
use people::Random;

pub use files::FileRows;
pub use household::RuleMix;

/// Ids stay distinct up to this many households (one person each).
pub const MAX_HOUSEHOLDS: u64 = people::DISTINCT_IDS;
/// With `--v3` members and leads take ids too: fewer households.
pub const MAX_HOUSEHOLDS_V3: u64 = family::MAX_HOUSEHOLDS;

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenerateConfig {
    pub households: u64,
    pub seed: u64,
    pub year: u32,
    /// Share of households given one anomaly, 0–1, in thousandths.
    pub anomaly_per_mille: u32,
    /// Write into a folder that is not empty (`--force`), replacing the
    /// case files there; without it such a folder is refused, so that an
    /// existing case is never overwritten by a mistyped path.
    pub force: bool,
    /// `--v3`: members.csv, watchlist.csv, monthly payout files and the v3
    /// anomalies (SPEC v3).
    pub v3: bool,
}

/// What was written, for the terminal.
#[derive(Debug, Default)]
pub struct GenerateSummary {
    pub persons: u64,
    pub rows: FileRows,
    pub anomalies: u64,
    pub mix: RuleMix,
}

pub fn generate(folder: &Path, config: &GenerateConfig) -> Result<GenerateSummary, FatalError> {
    let (most, with) = match config.v3 {
        true => (MAX_HOUSEHOLDS_V3, " with --v3"),
        false => (MAX_HOUSEHOLDS, ""),
    };
    if config.households > most {
        return Err(FatalError::BadArgument(format!(
            "--households {}: at most {most}{with} (ids would repeat)",
            config.households
        )));
    }
    let output_error = |path: &Path| {
        let location = crate::error::Location::path(path);
        move |source| FatalError::Output { location, source }
    };
    if !config.force {
        refuse_a_folder_in_use(folder)?;
    }
    std::fs::create_dir_all(folder).map_err(output_error(folder))?;
    if config.force {
        remove_payouts_and_v3_files(folder)?;
    }
    let layout = match config.v3 {
        true => Layout::V3 { year: config.year },
        false => Layout::V2,
    };
    let mut files =
        CaseFiles::create(folder, layout).map_err(|(path, source)| FatalError::Output {
            location: crate::error::Location::path(&path),
            source,
        })?;
    let county = County::new(config.year);
    let mut summary = GenerateSummary::default();
    write_case(&mut files, &county, config, &mut summary).map_err(output_error(folder))?;
    summary.rows = files.finish().map_err(output_error(folder))?;
    let policy = folder.join("policy.toml");
    std::fs::write(&policy, county::policy_toml(&county.policy)).map_err(output_error(&policy))?;
    Ok(summary)
}

/// `--force`: the files of the kinds one layout writes and the other does
/// not (payouts.csv, the monthly payout files, members.csv,
/// watchlist.csv), which the engine would otherwise read with the new case
/// — a v2 case written over a v3 one must not keep its members, nor a v3
/// case another year's payout files. Only `.csv` files are removed from
/// payouts/, and the folder only when that leaves it empty.
fn remove_payouts_and_v3_files(folder: &Path) -> Result<(), FatalError> {
    let remove = |path: &Path| match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(FatalError::Output {
            location: crate::error::Location::path(path),
            source: error,
        }),
        _ => Ok(()),
    };
    for kind in [
        crate::domain::FileKind::Payouts,
        crate::domain::FileKind::Members,
        crate::domain::FileKind::Watchlist,
    ] {
        remove(&folder.join(kind.file_name()))?;
    }
    let monthly = folder.join(crate::domain::FileKind::Payouts.stem());
    let Ok(entries) = std::fs::read_dir(&monthly) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_csv = path.extension().is_some_and(|extension| extension == "csv");
        if is_csv && entry.file_type().is_ok_and(|kind| kind.is_file()) {
            remove(&path)?;
        }
    }
    // Left in place when it holds anything else.
    let _ = std::fs::remove_dir(&monthly);
    Ok(())
}

/// Refuses a folder that holds anything: it may be a real case (or other
/// files) that generating would overwrite. An absent or empty folder is
/// fine.
fn refuse_a_folder_in_use(folder: &Path) -> Result<(), FatalError> {
    let mut entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        // Not a folder, or not readable: creating it says why.
        Err(_) => return Ok(()),
    };
    let Some(first) = entries.next() else {
        return Ok(());
    };
    let first = first
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .unwrap_or_default();
    let case_file = ["roster.csv", "standards.csv", "payouts.csv", "payouts"]
        .iter()
        .any(|name| folder.join(name).exists());
    Err(FatalError::BadArgument(format!(
        "{}: the folder is not empty ({}); generate writes a new case only into an empty or new folder — choose another folder, or give --force to replace the case files in it",
        folder.display(),
        if case_file {
            "it holds a case".to_string()
        } else {
            format!("it holds {:?} and maybe more", crate::error::excerpt(&first))
        }
    )))
}

/// Mixed into the seed for the v3 random stream (any fixed number).
const V3_STREAM: u64 = 0x5633_5633_5633_5633;

fn write_case(
    out: &mut CaseFiles,
    county: &County,
    config: &GenerateConfig,
    summary: &mut GenerateSummary,
) -> std::io::Result<()> {
    for (head, month, amount) in county::standards_rows() {
        let from = county.period(month);
        out.row(
            crate::domain::FileKind::Standards,
            format_args!("{head},{from},{amount}"),
        )?;
    }
    let mut random = Random::new(config.seed);
    let mut planner = Planner::new(&mut random, config.v3);
    // v3's own draws, so that the v2 draws stay where they were.
    let mut v3_random = Random::new(config.seed ^ V3_STREAM);
    let mut ids = RecordIds::default();
    for index in 0..config.households {
        let household =
            planner.household(&mut random, index, config.anomaly_per_mille, &county.policy);
        roster::write_roster(out, &mut ids, county, &household)?;
        roster::write_registers(out, &mut random, county, &household)?;
        if config.v3 {
            let (households, salt) = (config.households, planner.id_salt());
            let grace = county.policy.deceased_grace_months;
            let family = family::plan(&household, index, households, salt, &mut v3_random, grace);
            family::write_members(out, county, &household, &family)?;
            family::write_leads(
                out,
                &mut v3_random,
                county,
                &household,
                &family,
                index,
                households,
                salt,
            )?;
        }
        for month in household.paid_months() {
            trail::write_month(out, &mut ids, &mut random, county, &household, month)?;
        }
        trail::write_back_pay(out, &mut ids, county, &household)?;
        summary.persons += 1;
        summary.mix.count(&household);
    }
    summary.anomalies = planner.anomalies();
    Ok(())
}

//! `duizhang generate`: a realistic synthetic county case in SPEC format,
//! with the local rules of SPEC v2 at realistic rates and anomalies of
//! every finding kind at a chosen rate. Deterministic for a seed (its own
//! SplitMix64, so the output never changes with a dependency).
//!
//! The generator pays every household what SPEC v2 says it is due,
//! computed here independently of the engine (`county`), so a household
//! without a planted anomaly gives no finding. Households are planned,
//! written and dropped one at a time, so memory stays flat at any size.

mod anomaly;
mod county;
mod files;
mod household;
mod people;
mod roster;
mod trail;

use std::path::Path;

use crate::error::FatalError;
use county::County;
use files::{CaseFiles, RecordIds};
use household::Planner;
use people::Random;

pub use files::FileRows;
pub use household::RuleMix;

/// Ids stay distinct up to this many households (one person each).
pub const MAX_HOUSEHOLDS: u64 = people::DISTINCT_IDS;

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
    if config.households > MAX_HOUSEHOLDS {
        return Err(FatalError::BadArgument(format!(
            "--households {}: at most {MAX_HOUSEHOLDS} (ids would repeat)",
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
    let mut files = CaseFiles::create(folder).map_err(|(path, source)| FatalError::Output {
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
    let case_file = ["roster.csv", "standards.csv", "payouts.csv"]
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
    let mut planner = Planner::new(&mut random);
    let mut ids = RecordIds::default();
    for index in 0..config.households {
        let household =
            planner.household(&mut random, index, config.anomaly_per_mille, &county.policy);
        roster::write_roster(out, &mut ids, county, &household)?;
        roster::write_registers(out, &mut random, county, &household)?;
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

//! The page's commands in plain Rust (no JavaScript types), so that they
//! are tested natively against the CLI: options in, outputs as named bytes
//! out.

use std::sync::Arc;

use clap::Parser;
use duizhang::cli::{Cli, Command};
use duizhang::error::FatalError;
use duizhang::write::workbook::Lang;
use serde::Deserialize;

/// The most input the page reads, all files together; past this the CLI
/// (which maps files, uses every core and runs in partitions) is the tool.
/// A page's WebAssembly memory is at most 4 GiB; a 20,000-household
/// county-year of 72 MB peaked at 299 MiB (about 4 times its input), and a
/// hostile 395 MB payouts file of repeated rows ran out of memory.
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

/// The options of one command, as `window.duizhang` takes them: the CLI's
/// flags by name.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    pub from: Option<String>,
    pub to: Option<String>,
    #[serde(default)]
    pub report: bool,
    pub lang: Option<String>,
    #[serde(default)]
    pub bom: bool,
    pub fail_on: Option<String>,
    pub period: Option<String>,
    pub posted: Option<String>,
}

/// The files of one case and the earlier register, as named buffers.
pub struct Input {
    pub files: Vec<(String, Arc<[u8]>)>,
    pub register: Option<(String, Vec<u8>)>,
}

/// What a command gave.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Each output: its file name and bytes, in the order written.
    pub outputs: Vec<(String, Vec<u8>)>,
    /// What the CLI prints when it finishes (its summary, or check's
    /// report).
    pub headline: String,
    /// Warnings, as the CLI prints them on stderr.
    pub messages: Vec<String>,
    /// 0, or 1 when `fail_on` found a finding that severe.
    pub exit: u8,
    /// For the page's tables: the findings with their Chinese (or
    /// English) names, as JSON.
    pub details_json: String,
    /// Every output in one .zip, in `outputs`' order.
    pub bundle: Option<Vec<u8>>,
}

/// An error that stops a command (the CLI's exit 2).
#[derive(Debug)]
pub struct PageError {
    pub message: String,
    /// `FILE:LINE:COLUMN` when the error has a place.
    pub location: Option<String>,
    /// `check`'s report when the case is not fit to run.
    pub report: Option<String>,
}

impl From<FatalError> for PageError {
    fn from(error: FatalError) -> PageError {
        PageError {
            message: error.to_string(),
            location: error.location().map(ToString::to_string),
            report: None,
        }
    }
}

fn bad_option(message: String) -> PageError {
    PageError {
        message,
        location: None,
        report: None,
    }
}

/// Refuses input past [`MAX_INPUT_BYTES`], before it is read.
pub fn check_size(total_bytes: u64) -> Result<(), PageError> {
    if total_bytes > MAX_INPUT_BYTES {
        return Err(bad_option(format!(
            "the files come to {} MB, more than the {} MB this page reads; run the duizhang command on this case instead (it reads any size) / 所选文件共{} MB，超过网页版上限{} MB，请改用 duizhang 命令行程序",
            total_bytes >> 20,
            MAX_INPUT_BYTES >> 20,
            total_bytes >> 20,
            MAX_INPUT_BYTES >> 20
        )));
    }
    Ok(())
}

/// `options` as JSON (`{}` for none).
pub fn parse_options(options: &str) -> Result<Options, PageError> {
    let text = if options.trim().is_empty() {
        "{}"
    } else {
        options
    };
    serde_json::from_str(text).map_err(|error| {
        bad_option(format!(
            "the options are not understood ({error}); expected an object with from, to, report, lang, bom, fail_on, period or posted"
        ))
    })
}

/// The CLI's flags for `options`, parsed by the CLI's own parser: the same
/// checks and the same messages.
fn parse_cli(command: &str, options: &Options, extra: &[&str]) -> Result<Command, PageError> {
    let mut args: Vec<String> = vec!["duizhang".into(), command.into(), "case".into()];
    let mut flag = |name: &str, value: &Option<String>| {
        if let Some(value) = value {
            args.push(format!("--{name}"));
            args.push(value.clone());
        }
    };
    flag("from", &options.from);
    flag("to", &options.to);
    flag("lang", &options.lang);
    flag("fail-on", &options.fail_on);
    flag("period", &options.period);
    flag("posted", &options.posted);
    if options.report {
        args.push("--report".into());
    }
    if options.bom {
        args.push("--bom".into());
    }
    args.extend(extra.iter().map(|text| text.to_string()));
    let cli = Cli::try_parse_from(&args)
        .map_err(|error| bad_option(error.render().to_string().trim().to_string()))?;
    Ok(cli.command)
}

/// Refuses options the command does not take (the CLI would too).
fn only(options: &Options, command: &str, allowed: &[&str]) -> Result<(), PageError> {
    let given = [
        ("from", options.from.is_some()),
        ("to", options.to.is_some()),
        ("report", options.report),
        ("lang", options.lang.is_some()),
        ("bom", options.bom),
        ("fail_on", options.fail_on.is_some()),
        ("period", options.period.is_some()),
        ("posted", options.posted.is_some()),
    ];
    for (name, present) in given {
        if present && !allowed.contains(&name) {
            return Err(bad_option(format!(
                "{command} takes no option {name}; it takes {}",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}

fn register_of(
    register: Option<(String, Vec<u8>)>,
) -> Result<Option<(String, duizhang::domain::register::Register)>, PageError> {
    register
        .map(|(name, bytes)| {
            let register = duizhang::read::register::parse_register_named(&name, bytes)?;
            Ok((name, register))
        })
        .transpose()
}

/// `reconcile` of `input` into memory.
pub fn reconcile(input: Input, options: &Options) -> Result<Outcome, PageError> {
    only(
        options,
        "reconcile",
        &["from", "to", "report", "lang", "bom", "fail_on"],
    )?;
    let Command::Reconcile(args) = parse_cli("reconcile", options, &["--out", "out"])? else {
        unreachable!("parsed as reconcile");
    };
    let config = args.into_config()?;
    // The register first, as the CLI reads it: a bad one stops the run
    // before the case is read.
    let register = register_of(input.register)?.map(|(_, register)| register);
    let folder = duizhang::read::CaseFolder::from_entries(input.files)?;
    let run = duizhang::app::run_into_memory(&config, &folder, register)?;
    let headline = without_where_written(&duizhang::app::describe(&config, &run.summary));
    let details_json = findings_json(&run.summary.findings, config.lang, &folder);
    let outputs: Vec<(String, Vec<u8>)> = run
        .outputs
        .into_iter()
        .map(|output| (output.name.to_string(), output.bytes))
        .collect();
    let bundle = Some(zip_of(&outputs).map_err(|error| {
        bad_option(format!(
            "the outputs could not be put into one .zip: {error}"
        ))
    })?);
    Ok(Outcome {
        outputs,
        headline,
        messages: run.warnings,
        exit: run.summary.exit_code,
        details_json,
        bundle,
    })
}

/// `check` of `input`: its report as the headline, no outputs. A case not
/// fit to run is an error carrying the report (the CLI's exit 2).
pub fn check(input: Input, options: &Options) -> Result<Outcome, PageError> {
    only(options, "check", &["from", "to", "lang"])?;
    let Command::Check(args) = parse_cli("check", options, &[])? else {
        unreachable!("parsed as check");
    };
    let config = args.into_config()?;
    let register = register_of(input.register)?;
    let folder = duizhang::read::CaseFolder::from_entries(input.files)?;
    let report = duizhang::app::check_in(&folder, &config, register)?;
    if let Some(unfit) = report.unfit {
        return Err(PageError {
            message: unfit,
            location: None,
            report: Some(report.text),
        });
    }
    Ok(Outcome {
        headline: report.text,
        messages: folder.warnings(),
        details_json: "{}".into(),
        ..Outcome::default()
    })
}

/// `notice` of `input` for `options.period`: one workbook,
/// `notice-YYYY-MM.xlsx`.
pub fn notice(input: Input, options: &Options) -> Result<Outcome, PageError> {
    only(options, "notice", &["period", "posted", "lang"])?;
    if input.register.is_some() {
        return Err(bad_option(
            "notice takes no option register; it takes period, posted, lang".into(),
        ));
    }
    if options.period.is_none() {
        return Err(bad_option(
            "notice needs period, the month to post (e.g. \"2024-07\")".into(),
        ));
    }
    let Command::Notice(args) = parse_cli("notice", options, &["--out", "notice.xlsx"])? else {
        unreachable!("parsed as notice");
    };
    let config = args.into_config()?;
    let folder = duizhang::read::CaseFolder::from_entries(input.files)?;
    let case = duizhang::read::read_case_in(&folder, &duizhang::read::ReadOptions::default())?;
    let mut bytes = Vec::new();
    let mut messages = folder.warnings();
    let summary = duizhang::app::notice_of(
        &case,
        &config,
        duizhang::write::NoticeTarget::Memory(&mut bytes),
        &mut messages,
    )?;
    let name = format!("notice-{}.xlsx", config.period);
    Ok(Outcome {
        headline: without_where_written(&duizhang::app::describe_notice(&config, &summary)),
        outputs: vec![(name, bytes)],
        messages,
        details_json: "{}".into(),
        ..Outcome::default()
    })
}

/// The CLI's summary without its last line, which says where the files
/// were written (`已写入 … 位于 OUT`): the page offers them for download.
fn without_where_written(summary: &str) -> String {
    match summary.rsplit_once('\n') {
        Some((before, _)) => before.to_string(),
        None => summary.to_string(),
    }
}

/// Every output in one .zip, stored as it is (deflating a county's ledger
/// in the page costs more than its download from memory saves) and dated
/// 1980-01-01, zip's default: the same bytes for the same outputs.
fn zip_of(outputs: &[(String, Vec<u8>)]) -> zip::result::ZipResult<Vec<u8>> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in outputs {
        writer.start_file(name.as_str(), options)?;
        writer.write_all(bytes)?;
    }
    Ok(writer.finish()?.into_inner())
}

/// The findings as the page's table shows them.
fn findings_json(
    findings: &[duizhang::domain::Finding],
    lang: Lang,
    folder: &duizhang::read::CaseFolder,
) -> String {
    use duizhang::write::workbook::{code_advice, code_name, program_name, severity_name};
    let regions = folder.regions();
    let rows: Vec<serde_json::Value> = findings
        .iter()
        .map(|finding| {
            let severity = finding.code.severity();
            serde_json::json!({
                "code": finding.code.name(),
                "code_name": code_name(finding.code, lang),
                "severity": severity.name(),
                "severity_name": severity_name(severity, lang),
                "region": &*finding.region,
                "region_name": regions.name_of(&finding.region).unwrap_or(&finding.region),
                "id_number": &*finding.id_number,
                "name": &*finding.name,
                "program": finding.program.map(|program| program_name(program, lang)),
                "period": finding.period.map(|period| period.to_string()),
                "amount": finding.amount.map(|amount| amount.to_string()),
                "explain": duizhang::write::workbook::explain(finding, lang),
                "advice": code_advice(finding.code, lang),
                "sources": &finding.sources,
            })
        })
        .collect();
    serde_json::json!({ "findings": rows }).to_string()
}

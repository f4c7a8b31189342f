//! Wires the edges and the core for one run: read → reconcile → write.

use std::io::Write;

use crate::cli::RunConfig;
use crate::domain::Code;
use crate::engine;
use crate::error::FatalError;

/// What a finished run reports back to the CLI.
pub struct RunSummary {
    pub window: crate::domain::PeriodRange,
    pub ledger_lines: usize,
    /// Sorted as in findings.csv.
    pub findings: Vec<crate::domain::Finding>,
    /// How many partitions of persons the run was made in (1: in memory).
    pub partitions: usize,
    /// The case as read (in-memory runs), so the caller decides when to
    /// free it.
    pub case: Option<crate::case::Case>,
    /// 0, or 1 when `--fail-on` found a finding that severe.
    pub exit_code: u8,
}

/// Peak memory of an in-memory run per byte of input, as a fraction
/// (numerator, denominator): measured on generated cases at about 1.3
/// (922 MB for 702 MB of CSV), with a margin: a partition is sized to need
/// about half the limit, leaving the rest for what every partition shares
/// (mapped input in flight, findings, account uses). With a limit of a
/// third of the in-memory peak (308 MB) the 702 MB case runs in 6
/// partitions.
const MEMORY_PER_INPUT_BYTE: (u64, u64) = (5, 2);

/// Most partitions a run is cut into.
const MAX_PARTITIONS: u64 = 4096;

/// How many partitions of persons keep a run's memory under the limit.
pub fn partitions_for(input_bytes: u64, memory_limit_bytes: u64) -> usize {
    let (numerator, denominator) = MEMORY_PER_INPUT_BYTE;
    let need = input_bytes.saturating_mul(numerator) / denominator;
    need.div_ceil(memory_limit_bytes.max(1))
        .clamp(1, MAX_PARTITIONS) as usize
}

pub fn run(config: &RunConfig) -> Result<RunSummary, FatalError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = config.threads {
        builder = builder.num_threads(threads);
    }
    let pool = builder.build().map_err(|error| {
        FatalError::BadArgument(format!("cannot start worker threads: {error}"))
    })?;
    // Before any input is read: OUT_DIR is outside the case folder; lock
    // it, finish what a killed run left there, and check that the outputs
    // can be placed, so that an hour-long run does not fail only at its end.
    crate::write::refuse_inside_case(&config.case_dir, &config.out_dir, "--out")?;
    let out = crate::write::OutDir::prepare(&config.out_dir)?;
    // The earlier register, read before the case: a register that cannot
    // be read stops the run before an hour of reading. An edited
    // register.csv in OUT_DIR is never replaced unawares.
    let earlier_register = match &config.register {
        Some(path) => Some(crate::read::register::read_register(path)?),
        None => {
            if !config.new_register {
                crate::write::register::check_not_edited(&config.out_dir)?;
            }
            None
        }
    };
    pool.install(|| {
        let folder = crate::read::CaseFolder::open(&config.case_dir)?;
        for warning in folder.warnings() {
            // A warning that cannot be written (stderr closed or full)
            // changes nothing about the run: `eprintln!` would panic.
            let _ = writeln!(std::io::stderr(), "duizhang: warning: {warning}");
        }
        let input_bytes = folder.input_bytes();
        let partitions = partitions_for(input_bytes, config.memory_limit_bytes);
        let mut summary = if partitions <= 1 {
            let progress = crate::progress::Progress::new(config.quiet, config.timings);
            run_in_memory(
                config,
                out.into(),
                &folder,
                input_bytes,
                earlier_register,
                Some(progress),
            )?
        } else {
            run_partitioned(
                config,
                out,
                &folder,
                input_bytes,
                partitions,
                earlier_register,
            )?
        };
        summary.exit_code = exit_code(config, &summary.findings);
        Ok(summary)
    })
}

/// 1 when `--fail-on` finds a finding that severe, else 0.
fn exit_code(config: &RunConfig, findings: &[crate::domain::Finding]) -> u8 {
    let failed = config.fail_on.is_some_and(|threshold| {
        findings
            .iter()
            .any(|finding| finding.code.severity() >= threshold)
    });
    u8::from(failed)
}

/// What a run into memory gave: the summary, the outputs as files, and the
/// folder's warnings (which a run on disk prints to stderr).
pub struct MemoryRun {
    pub summary: RunSummary,
    pub outputs: Vec<crate::write::MemoryOutput>,
    pub warnings: Vec<String>,
}

/// `reconcile` on a case given as a listed folder — from disk or from
/// named byte buffers (`CaseFolder::from_entries`, the page of web/) —
/// with every output written into memory instead of OUT_DIR, by the same
/// readers, engine and renderers as a run on disk, so the bytes are the
/// same. Always in memory (no partitions), on the current rayon pool, with
/// no progress shown. `config`'s paths are not used.
pub fn run_into_memory(
    config: &RunConfig,
    folder: &crate::read::CaseFolder,
    earlier_register: Option<crate::domain::register::Register>,
) -> Result<MemoryRun, FatalError> {
    let outputs = crate::write::MemoryOutputs::new();
    let input_bytes = folder.input_bytes();
    let mut summary = run_in_memory(
        config,
        outputs.clone().into(),
        folder,
        input_bytes,
        earlier_register,
        None,
    )?;
    summary.exit_code = exit_code(config, &summary.findings);
    Ok(MemoryRun {
        summary,
        outputs: outputs.take(),
        warnings: folder.warnings(),
    })
}

fn run_in_memory(
    config: &RunConfig,
    out: crate::write::Destination,
    folder: &crate::read::CaseFolder,
    input_bytes: u64,
    earlier_register: Option<crate::domain::register::Register>,
    mut progress: Option<crate::progress::Progress>,
) -> Result<RunSummary, FatalError> {
    let options = crate::read::ReadOptions {
        progress: progress
            .as_mut()
            .map(|progress| progress.reading(input_bytes)),
        // The mapped input is given back to the kernel as it is parsed and
        // hashed: only the chunks in flight are resident, so the peak is the
        // case's records, not the records and the files beside them.
        release_input: true,
        ..crate::read::ReadOptions::default()
    };
    let case = crate::read::read_case_in(folder, &options)?;
    if let Some(progress) = &mut progress {
        progress.phase("read", "reconciling");
    }
    let window = engine::window(&case, config.from, config.to)?;
    let mut reconciliation = engine::reconcile(&case, window);
    if let Some(progress) = &mut progress {
        progress.phase("reconcile", "writing");
    }
    let mut sink = crate::write::OutputSink::create(
        out,
        &case,
        &reconciliation,
        config.report,
        earlier_register,
        config.bom,
    )?;
    sink.add(&case, &reconciliation)?;
    let findings = sink.finish(std::mem::take(&mut reconciliation.findings))?;
    if let Some(progress) = progress {
        progress.finish("write", input_bytes);
    }
    Ok(RunSummary {
        window,
        ledger_lines: reconciliation.lines.len(),
        findings,
        partitions: 1,
        case: Some(case),
        exit_code: 0,
    })
}

/// A run larger than memory: a first pass finds what must be known of the
/// whole case (window, repeated record ids, where to cut), then each
/// partition of persons (an id_number range) is read, reconciled and
/// written in turn; SHARED_ACCOUNT, the one check across persons, is
/// judged at the end. The outputs are byte-identical to an in-memory run.
fn run_partitioned(
    config: &RunConfig,
    out: crate::write::OutDir,
    folder: &crate::read::CaseFolder,
    input_bytes: u64,
    partitions: usize,
    earlier_register: Option<crate::domain::register::Register>,
) -> Result<RunSummary, FatalError> {
    let mut earlier_register = Some(earlier_register);
    use std::sync::Arc;
    let mut progress = crate::progress::Progress::new(config.quiet, config.timings);
    let report = progress.reading(input_bytes * (partitions as u64 + 1));
    let base = crate::read::ReadOptions {
        progress: Some(report),
        release_input: true,
        ..crate::read::ReadOptions::default()
    };
    let scan = crate::read::scan::scan(folder, &base)?;
    let window =
        engine::window_from_bounds(scan.bounds, config.from, config.to, &folder.input_files())?;
    let parts =
        crate::read::scan::partitions(&scan.sample, partitions, &scan.repeats, &scan.inputs);
    let candidates = scan.shared_account_candidates;
    progress.phase("scan", "reconciling partitions");
    let mut out = Some(out);
    let mut sink: Option<crate::write::OutputSink> = None;
    let mut findings = Vec::new();
    let mut uses = Vec::new();
    // The files as evidence names them: a partition's (they hold the sheet
    // names of the workbooks read, the same in every partition).
    let mut inputs = folder.input_files();
    let count = parts.len();
    for partition in parts {
        let options = crate::read::ReadOptions {
            partition: Some(Arc::new(partition)),
            ..base.clone()
        };
        // Each partition checks its files are still the ones scanned.
        let case = crate::read::read_case_in(folder, &options)?;
        let reconciliation =
            engine::reconcile_with(&case, window, engine::SharedAccounts::Collect(&candidates));
        let sink = match &mut sink {
            Some(sink) => sink,
            None => sink.insert(crate::write::OutputSink::create(
                out.take().expect("the first partition takes OUT_DIR"),
                &case,
                &reconciliation,
                config.report,
                earlier_register
                    .take()
                    .expect("the first partition takes the register"),
                config.bom,
            )?),
        };
        sink.add(&case, &reconciliation)?;
        findings.extend(reconciliation.findings);
        uses.extend(reconciliation.account_uses);
        inputs = case.inputs.clone();
        drop(case);
        crate::memory::give_back_freed_memory();
    }
    findings.extend(engine::shared_account_findings_from_uses(
        engine::group_account_uses(uses),
        &inputs,
    ));
    findings.extend(household_findings_whole(folder, &base, window)?);
    progress.phase("partitions", "writing");
    let sink = sink.expect("a run has at least one partition");
    let ledger_lines = sink.ledger_lines();
    let findings = sink.finish(findings)?;
    progress.finish("write", input_bytes);
    Ok(RunSummary {
        window,
        ledger_lines,
        findings,
        partitions: count,
        case: None,
        exit_code: 0,
    })
}

/// A run in parts: the household rules over the roster, members,
/// exclusions and leads read whole (a household's members are other
/// persons, in other parts). Nothing to read without members.csv or
/// watchlist.csv.
fn household_findings_whole(
    folder: &crate::read::CaseFolder,
    base: &crate::read::ReadOptions,
    window: crate::domain::PeriodRange,
) -> Result<Vec<crate::domain::Finding>, FatalError> {
    use crate::domain::FileKind;
    if !folder.has(FileKind::Members) && !folder.has(FileKind::Watchlist) {
        return Ok(Vec::new());
    }
    let options = crate::read::ReadOptions {
        partition: None,
        progress: None,
        ..base.clone()
    };
    let case = crate::read::read_files_in(folder, &engine::HOUSEHOLD_KINDS, &options)?;
    Ok(engine::household_findings(&case, window))
}

/// One paragraph for the terminal: window, lines, findings by severity.
pub fn describe(config: &RunConfig, summary: &RunSummary) -> String {
    let mut by_code: Vec<(Code, usize)> = Code::ALL
        .iter()
        .map(|&code| {
            (
                code,
                summary
                    .findings
                    .iter()
                    .filter(|finding| finding.code == code)
                    .count(),
            )
        })
        .filter(|(_, count)| *count > 0)
        .collect();
    by_code.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if config.lang == crate::write::workbook::Lang::Zh {
        return describe_zh(config, summary, &by_code);
    }
    let codes: Vec<String> = by_code
        .iter()
        .map(|(code, count)| format!("{} {count}", code.name()))
        .collect();
    format!(
        "{}{}{}\nwrote findings.csv, ledger.csv, summary.csv, register.csv, corrections.csv, run.json{} to {}{}",
        crate::domain::run_headline(summary.window, summary.ledger_lines, &summary.findings),
        if codes.is_empty() { "" } else { "\n  " },
        codes.join(", "),
        if config.report.is_some() {
            ", report.xlsx, register.xlsx, backpay-upload.xlsx"
        } else {
            ""
        },
        config.out_dir.display(),
        if summary.partitions > 1 {
            format!(
                " ({} partitions of persons, to stay under --memory-limit)",
                summary.partitions
            )
        } else {
            String::new()
        }
    )
}

/// [`describe`] in Chinese: the same facts, the findings by their
/// Chinese names.
fn describe_zh(config: &RunConfig, summary: &RunSummary, by_code: &[(Code, usize)]) -> String {
    use crate::domain::Severity;
    use crate::write::workbook::{code_name, Lang};
    let count = |severity: Severity| {
        summary
            .findings
            .iter()
            .filter(|finding| finding.code.severity() == severity)
            .count()
    };
    let month = crate::write::workbook::month_zh;
    let window = if summary.window.first == summary.window.last {
        month(summary.window.first)
    } else {
        format!(
            "{}至{}",
            month(summary.window.first),
            month(summary.window.last)
        )
    };
    let codes: Vec<String> = by_code
        .iter()
        .map(|(code, count)| format!("{} {count}", code_name(*code, Lang::Zh)))
        .collect();
    format!(
        "对账期间{window}：台账{}行，发现问题{}条（高{}条，中{}条，低{}条）{}{}\n已写入 findings.csv、ledger.csv、summary.csv、register.csv、corrections.csv、run.json{}，位于 {}{}",
        summary.ledger_lines,
        summary.findings.len(),
        count(Severity::High),
        count(Severity::Medium),
        count(Severity::Low),
        if codes.is_empty() { "" } else { "\n  " },
        codes.join("，"),
        if config.report.is_some() {
            "、report.xlsx、register.xlsx、backpay-upload.xlsx"
        } else {
            ""
        },
        config.out_dir.display(),
        if summary.partitions > 1 {
            format!(
                "（为不超过 --memory-limit，按人分{}批计算）",
                summary.partitions
            )
        } else {
            String::new()
        }
    )
}

/// What `duizhang notice` did, for the terminal, in `--lang`'s language.
pub fn describe_notice(config: &crate::cli::NoticeConfig, summary: &NoticeSummary) -> String {
    let counts = &summary.counts;
    let zh = config.lang == crate::write::workbook::Lang::Zh;
    let mut text = if zh {
        format!(
            "{}公示：{}个村（社区），低保{}户，特困{}人",
            crate::write::workbook::month_zh(config.period),
            counts.villages,
            counts.dibao,
            counts.tekun
        )
    } else {
        format!(
            "notice {}: {} villages, {} dibao households, {} tekun persons",
            config.period, counts.villages, counts.dibao, counts.tekun
        )
    };
    if counts.pending > 0 {
        text.push_str(&if zh {
            format!("（{}个金额待核定：缺少保障标准）", counts.pending)
        } else {
            format!(
                " ({} amounts pending: a standard is missing)",
                counts.pending
            )
        });
    }
    if summary.left_out > 0 {
        text.push_str(&if zh {
            format!(
                "；{}名在册人员未列入，原因见公示后的工作表",
                summary.left_out
            )
        } else {
            format!(
                "; {} enrolled left out, with the reason, on the sheet after the notice",
                summary.left_out
            )
        });
    }
    if zh {
        format!("{text}\n已写入 {}", config.out.display())
    } else {
        format!("{text}\nwrote {}", config.out.display())
    }
}

/// What `duizhang whatif` did, for the terminal, in `--lang`'s language.
pub fn describe_whatif(config: &crate::cli::WhatifConfig, summary: &WhatifSummary) -> String {
    let zh = config.lang == crate::write::workbook::Lang::Zh;
    let change = crate::domain::money::format_fen_total(summary.change_fen);
    let csv = config.out_dir.join("whatif.csv");
    let window = summary.window;
    if zh {
        format!(
            "提标测算 {}..{}：新标准{}行；测算{}条{}，应发合计变化{}元\n已写入 {}{}",
            window.first,
            window.last,
            summary.proposed_rows,
            summary.lines,
            if summary.unknown > 0 {
                format!("（{}条无法计算：缺少保障标准）", summary.unknown)
            } else {
                String::new()
            },
            change,
            csv.display(),
            if config.report.is_some() {
                "、whatif.xlsx"
            } else {
                ""
            }
        )
    } else {
        format!(
            "whatif {}..{}: {} proposed standards rows; {} lines costed{}, change {} in all\nwrote {}{}",
            window.first,
            window.last,
            summary.proposed_rows,
            summary.lines,
            if summary.unknown > 0 {
                format!(" ({} unknown: a standard is missing)", summary.unknown)
            } else {
                String::new()
            },
            change,
            csv.display(),
            if config.report.is_some() { " and whatif.xlsx" } else { "" }
        )
    }
}

/// What `duizhang notice` wrote.
pub struct NoticeSummary {
    pub counts: crate::write::workbook::NoticeCounts,
    /// Enrolled persons (and unreadable roster rows) left out of the
    /// notice, listed on its second sheet.
    pub left_out: usize,
}

/// `duizhang notice`: reads the case, computes each covering dibao and
/// tekun enrolment's amount for the month with the engine, and writes the
/// notice workbook whole — never inside the case folder, never over a
/// link or a device. Every enrolled person it leaves out (excluded that
/// month, an unreadable or repeated roster row) is listed on its second
/// sheet with the reason; each unreadable roster row is also named in a
/// warning on stderr.
pub fn notice(config: &crate::cli::NoticeConfig) -> Result<NoticeSummary, FatalError> {
    crate::write::refuse_inside_case(&config.case_dir, &config.out, "--out")?;
    let case = crate::read::read_case_with(&config.case_dir, &crate::read::ReadOptions::default())?;
    let mut warnings = Vec::new();
    let summary = notice_of(
        &case,
        config,
        crate::write::NoticeTarget::File(&config.out),
        &mut warnings,
    );
    for warning in warnings {
        // A warning that cannot be written changes nothing about the run.
        let _ = writeln!(std::io::stderr(), "duizhang: warning: {warning}");
    }
    summary
}

/// The notice of `config.period` for a case already read, written to
/// `target`; what a clerk should know (unreadable roster rows, a month
/// past the records) is added to `warnings`. `config`'s paths are not used.
pub fn notice_of(
    case: &crate::case::Case,
    config: &crate::cli::NoticeConfig,
    target: crate::write::NoticeTarget<'_>,
    warnings: &mut Vec<String>,
) -> Result<NoticeSummary, FatalError> {
    use crate::domain::{FileKind, Program};
    use crate::write::workbook::{LeftOutRow, NoticeRow};
    let lines = engine::notice_lines(case, config.period);
    if lines.is_empty() {
        // A month no enrolment covers is a typing error (2030-01 for
        // 2023-01), not an empty notice to post.
        let mut covered: Option<crate::domain::PeriodRange> = None;
        for enrolment in case
            .enrolments
            .iter()
            .filter(|enrolment| matches!(enrolment.program, Program::Dibao | Program::Tekun))
        {
            let span = enrolment.span();
            covered = Some(match covered {
                None => span,
                Some(range) => crate::domain::PeriodRange {
                    first: range.first.min(span.first),
                    last: range.last.max(span.last),
                },
            });
        }
        return Err(FatalError::BadArgument(match covered {
            Some(range) => format!(
                "--period {}: no dibao or tekun enrolment of the roster covers that month (they cover {}..{}); give a month they cover",
                config.period,
                range.first,
                if range.last.year() == 9999 { "now".to_string() } else { range.last.to_string() }
            ),
            None => format!(
                "--period {}: the roster holds no dibao or tekun enrolment that could be read, so there is nobody to post",
                config.period
            ),
        }));
    }
    let mut rows: Vec<NoticeRow<'_>> = Vec::with_capacity(lines.len());
    let mut left_out: Vec<(crate::domain::Source, LeftOutRow<'_>)> = Vec::new();
    let cite = |source: crate::domain::Source| case.inputs.cite(source).to_string();
    let mut shown: rustc_hash::FxHashSet<(crate::case::PersonId, Program)> =
        rustc_hash::FxHashSet::default();
    for line in &lines {
        let enrolment = &case.enrolments[line.enrolment as usize];
        if !line.excluded {
            shown.insert((enrolment.person, enrolment.program));
            rows.push(NoticeRow {
                region: &enrolment.region,
                program: enrolment.program,
                name: &enrolment.name,
                household_size: enrolment.household_size,
                amount: line.expected.map(crate::domain::Money::fen),
            });
            continue;
        }
        // The exclusion that bars the month: the earliest in force.
        let exclusion = case
            .exclusions
            .iter()
            .filter(|exclusion| exclusion.person == enrolment.person)
            .filter(|exclusion| exclusion.from <= config.period)
            .min_by_key(|exclusion| (exclusion.from, exclusion.source));
        let reason = match exclusion {
            Some(exclusion) => format!(
                "excluded from {} ({}: {})",
                exclusion.from,
                cite(exclusion.source),
                crate::error::excerpt(&exclusion.reason)
            ),
            None => "excluded that month (exclusions.csv)".to_string(),
        };
        left_out.push((
            enrolment.source,
            LeftOutRow {
                source: cite(enrolment.source),
                region: &enrolment.region,
                program: Some(enrolment.program),
                name: &enrolment.name,
                reason,
            },
        ));
    }
    for bad in case
        .bad_records
        .iter()
        .filter(|bad| bad.source.kind == FileKind::Roster)
    {
        // Nothing of the row can be trusted, so not whether it covers the
        // month either: it is listed whatever its months.
        warnings.push(format!(
            "{}: the roster row cannot be read, so it is not in the notice ({})",
            cite(bad.source),
            bad.detail
        ));
        left_out.push((
            bad.source,
            LeftOutRow {
                source: cite(bad.source),
                region: "",
                program: None,
                name: "",
                reason: format!("the row cannot be read: {}", bad.detail),
            },
        ));
    }
    for repeat in case.duplicate_records.iter().filter(|repeat| {
        repeat.kind == FileKind::Roster
            && matches!(repeat.program, Program::Dibao | Program::Tekun)
            && !shown.contains(&(repeat.person, repeat.program))
    }) {
        let first = case
            .enrolments
            .iter()
            .find(|enrolment| enrolment.source == repeat.first);
        left_out.push((
            repeat.repeat,
            LeftOutRow {
            source: cite(repeat.repeat),
            region: first.map_or("", |enrolment| &enrolment.region),
            program: Some(repeat.program),
            name: first.map_or("", |enrolment| &enrolment.name),
            reason: format!(
                "its enrolment_id {} was given before, at {}: only that row is read (DUPLICATE_RECORD), and the person has no {} line in the notice",
                crate::error::excerpt(&repeat.record_id),
                cite(repeat.first),
                repeat.program.name()
            ),
        },
        ));
    }
    left_out.sort_by_key(|(source, _)| *source);
    let left_out: Vec<LeftOutRow<'_>> = left_out.into_iter().map(|(_, row)| row).collect();
    // A month past every record is allowed (a notice is posted before the
    // month is paid) but said: 2030-01 for 2023-01 is a typing error the
    // roster's open-ended enrolments would not catch.
    if let Ok(records) = engine::window(case, None, None) {
        if !records.contains(config.period) && config.period > records.last.plus_months(3) {
            warnings.push(format!(
                "--period {}: the case's records end in {}; the notice lists the roster as it stands, with the standards in force in {}",
                config.period,
                records.last,
                config.period
            ));
        }
    }
    let frame = crate::write::workbook::NoticeFrame {
        settings: &case.policy.notice,
        posted: config.posted,
        regions: &case.regions,
    };
    let counts = crate::write::write_notice(
        target,
        config.period,
        &mut rows,
        &left_out,
        &frame,
        config.lang,
    )?;
    Ok(NoticeSummary {
        counts,
        left_out: left_out.len(),
    })
}

/// `duizhang check`: reads the case as a run would, and says what it
/// found — per file the encoding (a workbook's sheet and header row), the
/// header each column was found under, rows and bad rows; then the window
/// and the months whose standards are missing. `Err` when a run would stop.
pub fn check(config: &crate::cli::CheckConfig) -> Result<CheckReport, FatalError> {
    let folder = crate::read::CaseFolder::open(&config.case_dir)?;
    // The register is read before the case (a bad one stops the check
    // first), as a run reads it.
    let register = match &config.register {
        Some(path) => Some((
            path.display().to_string(),
            crate::read::register::read_register(path)?,
        )),
        None => None,
    };
    check_in(&folder, config, register)
}

/// [`check`] of a listed folder (from disk or from named byte buffers, the
/// page of web/), with the earlier register already read and the name it
/// is called by. `config.case_dir` and `config.register` are not used.
pub fn check_in(
    folder: &crate::read::CaseFolder,
    config: &crate::cli::CheckConfig,
    register: Option<(String, crate::domain::register::Register)>,
) -> Result<CheckReport, FatalError> {
    use std::fmt::Write as _;
    let mut text = String::new();
    let line = |text: &mut String, value: std::fmt::Arguments<'_>| {
        text.write_fmt(value)
            .expect("writing to a String cannot fail");
        text.push('\n');
    };
    let zh = config.lang == crate::write::workbook::Lang::Zh;
    // A line in the report's language: both are written where they are
    // said, so the two never drift apart.
    let say =
        |text: &mut String, chinese: std::fmt::Arguments<'_>, english: std::fmt::Arguments<'_>| {
            line(text, if zh { chinese } else { english })
        };
    for warning in folder.warnings() {
        say(
            &mut text,
            format_args!("提示：{warning}"),
            format_args!("warning: {warning}"),
        );
    }
    let case = crate::read::read_case_in(folder, &crate::read::ReadOptions::default())?;
    // A file most of whose rows cannot be read is read wrongly (amounts
    // in another form, the wrong sheet, a shifted header): a run would
    // "work" and report every row as BAD_RECORD. Say it is not fit.
    // (name, bad rows, rows, share in per cent) of each such file.
    let unfit_files: Vec<(&str, u64, u64, u64)> = case
        .files
        .iter()
        .filter(|(_, report)| is_unfit(report.rows, report.bad))
        .map(|(id, report)| {
            let share = report.bad * 100 / report.rows.max(1);
            (&*case.inputs.get(*id).name, report.bad, report.rows, share)
        })
        .collect();
    let unfit_in = |zh: bool| -> Vec<String> {
        unfit_files
            .iter()
            .map(|(name, bad, rows, share)| {
                if zh {
                    format!("{name}：{rows}行中有{bad}行无法读取（{share}%）")
                } else {
                    format!("{name}: {bad} of {rows} rows cannot be read ({share}%)")
                }
            })
            .collect()
    };
    let unfit = unfit_in(zh);
    for name in folder.settings_files() {
        if name.eq_ignore_ascii_case(crate::read::folder::REGIONS_FILE) {
            let count = folder.regions().len();
            say(
                &mut text,
                format_args!("{name}：{count}个区划名称"),
                format_args!("{name}: {count} region names"),
            );
        } else {
            say(
                &mut text,
                format_args!("{name}：已读取"),
                format_args!("{name}: read"),
            );
        }
    }
    let window = match engine::window(&case, config.from, config.to) {
        Ok(window) => window,
        // No record could be read, so no window: the unreadable file is
        // the reason to give (an exit-2 message: English, as they all are).
        Err(error) if !unfit.is_empty() => {
            let files = unfit_in(false);
            return Err(FatalError::BadArgument(format!(
                "not fit to run: {}; {error}",
                files.join("; ")
            )));
        }
        Err(error) => return Err(error.into()),
    };
    // The files of each kind given as several (SPEC v3).
    for kind in crate::domain::FileKind::ALL {
        let count = case.inputs.of_kind(kind).count();
        if count > 1 {
            say(
                &mut text,
                format_args!("{}：{count}个文件，按以下顺序合并读取", kind.stem()),
                format_args!("{}: {count} files, read in this order as one", kind.stem()),
            );
        }
    }
    for (id, report) in &case.files {
        let input = case.inputs.get(*id);
        let name = &input.name;
        let mut how = report.encoding.to_string();
        if let Some(delimiter) = report.delimiter {
            if zh {
                how.push_str(&format!("，{delimiter}分隔"));
            } else {
                how.push_str(&format!(", {delimiter}-separated"));
            }
        }
        if report.sheets.is_empty() && report.header_line > 1 {
            let line = report.header_line;
            if zh {
                how.push_str(&format!(
                    "，表头在第{line}行（其上{}行标题已略过）",
                    line - 1
                ));
            } else {
                how.push_str(&format!(
                    ", header on line {line} (the {} title line{} above passed over)",
                    line - 1,
                    if line == 2 { "" } else { "s" }
                ));
            }
        }
        if let [sheet] = report.sheets.as_slice() {
            if zh {
                how.push_str(&format!(
                    "，工作表“{}”，表头在第{}行",
                    sheet.name, sheet.header_row
                ));
            } else {
                how.push_str(&format!(
                    ", sheet {:?}, header in row {}",
                    sheet.name, sheet.header_row
                ));
            }
        }
        if input.kind == crate::domain::FileKind::Policy {
            say(
                &mut text,
                format_args!("{name}：已读取"),
                format_args!("{name}: read"),
            );
            continue;
        }
        let upgraded = report.id_numbers_upgraded;
        say(
            &mut text,
            format_args!(
                "{name}：{how}；{}行，无法读取{}行，记录编号重复{}行{}",
                report.rows,
                report.bad,
                report.duplicate,
                if upgraded > 0 {
                    format!("，{upgraded}个15位旧身份证号已升为18位")
                } else {
                    String::new()
                }
            ),
            format_args!(
                "{name}: {how}; {} rows, {} bad, {} repeated record ids{}",
                report.rows,
                report.bad,
                report.duplicate,
                if upgraded > 0 {
                    format!(", {upgraded} old 15-digit ID numbers upgraded")
                } else {
                    String::new()
                }
            ),
        );
        let columns: Vec<String> = report
            .columns
            .iter()
            .map(|(column, header)| {
                if header.as_ref() == *column {
                    column.to_string()
                } else {
                    format!("{column} ← {header}")
                }
            })
            .collect();
        if report.sheets.len() > 1 {
            for sheet in &report.sheets {
                say(
                    &mut text,
                    format_args!(
                        "  工作表“{}”：表头在第{}行，{}行",
                        sheet.name, sheet.header_row, sheet.rows
                    ),
                    format_args!(
                        "  sheet {:?}: header in row {}, {} rows",
                        sheet.name, sheet.header_row, sheet.rows
                    ),
                );
            }
        }
        say(
            &mut text,
            format_args!("  列：{}", columns.join("，")),
            format_args!("  columns: {}", columns.join(", ")),
        );
        for note in report.sheets.iter().flat_map(|sheet| sheet.merges.iter()) {
            say(
                &mut text,
                format_args!("  合并单元格：{note}"),
                format_args!("  merged cells: {note}"),
            );
        }
        for hidden in &report.hidden_not_read {
            let stem = input.kind.stem();
            say(&mut text, format_args!(
                        "  隐藏工作表“{hidden}”也有这些列，未读取（取消隐藏，或在 columns.toml 中指定：[{stem}] sheet = {hidden:?}）"
                    ), format_args!(
                        "  hidden sheet {hidden:?} holds the columns too and is not read (unhide it, or name it in columns.toml: [{stem}] sheet = {hidden:?})"
                    ));
        }
        let bad: Vec<&crate::case::BadRecord> = case
            .bad_records
            .iter()
            .filter(|bad| bad.source.file == *id)
            .collect();
        for bad in bad.iter().take(3) {
            let cited = case.inputs.cite(bad.source);
            say(
                &mut text,
                format_args!("  无法读取 {cited}：{}", bad.detail),
                format_args!("  bad {cited}: {}", bad.detail),
            );
        }
        if bad.len() > 3 {
            say(
                &mut text,
                format_args!("  ……另有{}行无法读取", bad.len() - 3),
                format_args!("  … and {} more bad rows", bad.len() - 3),
            );
        }
    }
    let bound_taken = config.from.is_none() || config.to.is_none();
    say(
        &mut text,
        format_args!(
            "对账期间 {}..{}{}",
            window.first,
            window.last,
            if bound_taken {
                "（未给出的起止月份取自记录）"
            } else {
                ""
            }
        ),
        format_args!(
            "window {}..{}{}",
            window.first,
            window.last,
            if bound_taken {
                " (a bound not given is taken from the records)"
            } else {
                ""
            }
        ),
    );
    let gaps = engine::coverage::missing_standards(&case, window);
    if gaps.is_empty() {
        say(
            &mut text,
            format_args!("标准：每条低保、特困在册记录覆盖的每个月都有所需的标准"),
            format_args!("standards: every covered month of every dibao and tekun enrolment has the standards it needs"),
        );
    }
    for gap in &gaps {
        let months: Vec<String> = gap.months.iter().map(ToString::to_string).collect();
        if zh {
            use crate::write::workbook::{code_name, program_name, Lang};
            line(
                &mut text,
                format_args!(
                    "缺少标准：区划{}，{} {}，{}（{}条在册记录，首条 {}）；对账时这些月份报“{}”",
                    if gap.region.is_empty() {
                        "（空）"
                    } else {
                        &gap.region
                    },
                    program_name(gap.program, Lang::Zh),
                    gap.item,
                    months.join("、"),
                    gap.enrolments,
                    case.inputs.cite(gap.first_row),
                    code_name(Code::NoStandard, Lang::Zh)
                ),
            );
            continue;
        }
        line(
            &mut text,
            format_args!(
                "no standard: region {}, {} {}, months {} ({} enrolment{}, first {}); a run reports those months NO_STANDARD",
                if gap.region.is_empty() { "(empty)" } else { &gap.region },
                gap.program.name(),
                gap.item,
                months.join(", "),
                gap.enrolments,
                if gap.enrolments == 1 { "" } else { "s" },
                case.inputs.cite(gap.first_row)
            ),
        );
    }
    if !case.members.is_empty() {
        let mut households: Vec<(&str, &str)> = case
            .members
            .iter()
            .map(|member| {
                (
                    member.household_id.as_ref(),
                    case.people.id_number(member.person),
                )
            })
            .collect();
        households.sort_unstable();
        households.dedup();
        let count = {
            let mut ids: Vec<&str> = households.iter().map(|(household, _)| *household).collect();
            ids.dedup();
            ids.len()
        };
        let tenths = households.len() * 10 / count.max(1);
        say(
            &mut text,
            format_args!(
                "家庭成员：{}户共{}人（平均每户{}.{}人）",
                count,
                households.len(),
                tenths / 10,
                tenths % 10
            ),
            format_args!(
                "members: {} members in {count} households ({}.{} a household)",
                households.len(),
                tenths / 10,
                tenths % 10
            ),
        );
    }
    if !case.leads.is_empty() {
        let mut sources: Vec<(&str, usize)> = Vec::new();
        for lead in &case.leads {
            match sources
                .iter_mut()
                .find(|(source, _)| *source == lead.list.as_ref())
            {
                Some((_, count)) => *count += 1,
                None => sources.push((&lead.list, 1)),
            }
        }
        sources.sort_unstable();
        let inside = case
            .leads
            .iter()
            .filter(|lead| window.contains(lead.period))
            .count();
        let by_source: Vec<String> = sources
            .iter()
            .map(|(source, count)| format!("{source} {count}"))
            .collect();
        say(
            &mut text,
            format_args!(
                "线索：{}条（其中对账期间内{inside}条），按来源：{}",
                case.leads.len(),
                by_source.join("，")
            ),
            format_args!(
                "leads: {} ({inside} of them in the window), by source: {}",
                case.leads.len(),
                by_source.join(", ")
            ),
        );
    }
    if let Some((path, register)) = &register {
        use crate::domain::register::ItemStatus;
        let count = |status: ItemStatus| {
            register
                .items
                .iter()
                .filter(|item| item.status_at(window.last) == status)
                .count()
        };
        say(&mut text, format_args!(
                    "整改台账 {}：截至{}共{}项：未整改{}项，逾期{}项，已销号{}项；办公室填写的列：{}",
                    path,
                    window.last,
                    register.items.len(),
                    count(ItemStatus::Open),
                    count(ItemStatus::Overdue),
                    count(ItemStatus::Closed),
                    if register.office_columns.is_empty() {
                        "无".to_string()
                    } else {
                        register.office_columns.join("，")
                    }
                ), format_args!(
                "register {}: {} items as at {}: {} open, {} overdue, {} closed; the office's columns: {}",
                path,
                register.items.len(),
                window.last,
                count(ItemStatus::Open),
                count(ItemStatus::Overdue),
                count(ItemStatus::Closed),
                if register.office_columns.is_empty() {
                    "none".to_string()
                } else {
                    register.office_columns.join(", ")
                }
            ));
        if let Err(item) = crate::engine::register::check_label(register, window.last) {
            return Err(FatalError::Register {
                location: crate::error::Location::file(path.as_str()),
                message: format!(
                    "item {item} was last found or closed after {}, this window's last month: it is the register of a later run",
                    window.last
                ),
            });
        }
    }
    let bad: usize = case.bad_records.len();
    let months_without = gaps
        .iter()
        .flat_map(|gap| gap.months.iter())
        .map(|range| (range.last.index() - range.first.index() + 1) as usize)
        .sum::<usize>();
    if !unfit.is_empty() && zh {
        line(
            &mut text,
            format_args!(
                "不宜运行：{}。一个文件至少有{UNFIT_MIN_BAD_ROWS}行无法读取、且超过其行数的{UNFIT_SHARE_DENOMINATOR}分之一时，是整个文件的读法有误——请看上面列出的无法读取的行，改正文件（或 columns.toml）后再检查",
                unfit.join("；")
            ),
        );
        text.pop();
        return Ok(CheckReport {
            text,
            unfit: Some(unfit.join("；")),
        });
    }
    if !unfit.is_empty() {
        line(
            &mut text,
            format_args!(
                "not fit to run: {}; a file with at least {UNFIT_MIN_BAD_ROWS} rows that cannot be read, more than one in {UNFIT_SHARE_DENOMINATOR} of its rows, is read wrongly as a whole — see its bad rows above, fix the file (or columns.toml) and check again",
                unfit.join("; ")
            ),
        );
        text.pop();
        return Ok(CheckReport {
            text,
            unfit: Some(unfit.join("; ")),
        });
    }
    say(
        &mut text,
        format_args!("可以运行：{bad}行无法读取，{months_without}个月缺少标准"),
        format_args!(
            "a run would work: {} bad rows, {} months without a standard",
            bad, months_without
        ),
    );
    text.pop();
    Ok(CheckReport { text, unfit: None })
}

/// `check`'s report, and whether the case is fit to run.
pub struct CheckReport {
    pub text: String,
    /// Why not (exit 2), naming each file whose bad rows pass the bound.
    pub unfit: Option<String>,
}

/// A file is read wrongly as a whole, not a few bad rows, when at least
/// this many of its rows cannot be read…
pub const UNFIT_MIN_BAD_ROWS: u64 = 10;
/// …and they are more than one in this many of its rows.
pub const UNFIT_SHARE_DENOMINATOR: u64 = 10;

fn is_unfit(rows: u64, bad: u64) -> bool {
    bad >= UNFIT_MIN_BAD_ROWS && bad * UNFIT_SHARE_DENOMINATOR > rows
}

/// What `duizhang whatif` reports back.
pub struct WhatifSummary {
    pub window: crate::domain::PeriodRange,
    /// Rows of whatif.csv.
    pub rows: usize,
    /// Lines costed, and those whose amount is unknown.
    pub lines: u64,
    pub unknown: u64,
    /// Σ change over the rows, in fen.
    pub change_fen: i128,
    pub proposed_rows: usize,
}

/// `duizhang whatif` (SPEC v3 §6.2): reads the case and the proposed
/// standards (the case's columns.toml applies to both), lays the proposal
/// over the case's standards and writes whatif.csv (and with `--report`
/// whatif.xlsx) into OUT_DIR, whole. A proposed row that cannot be read
/// stops it: a raise priced without one of its rows would be a wrong
/// figure that looks right.
pub fn whatif(config: &crate::cli::WhatifConfig) -> Result<WhatifSummary, FatalError> {
    use crate::domain::FileKind;
    crate::write::refuse_inside_case(&config.case_dir, &config.out_dir, "--out")?;
    let out = crate::write::OutDir::prepare_for(&config.out_dir, &crate::write::WHATIF_OUTPUTS)?;
    let folder = crate::read::CaseFolder::open(&config.case_dir)?;
    for warning in folder.warnings() {
        let _ = writeln!(std::io::stderr(), "duizhang: warning: {warning}");
    }
    let options = crate::read::ReadOptions::default();
    let case = crate::read::read_case_in(&folder, &options)?;
    // A roster or standards row that cannot be read is left out of the
    // costing: a budget figure must not hide that.
    let unreadable = case
        .bad_records
        .iter()
        .filter(|bad| {
            matches!(
                bad.source.kind,
                FileKind::Roster | FileKind::Standards | FileKind::Exclusions
            )
        })
        .count();
    if unreadable > 0 {
        let _ = writeln!(
            std::io::stderr(),
            "duizhang: warning: {unreadable} row(s) of the roster, standards or exclusions cannot be read and are left out of the costing; `duizhang check` lists them"
        );
    }
    let proposal_folder = crate::read::CaseFolder::single_file(
        FileKind::Standards,
        &config.standards,
        folder.columns().clone(),
    )?;
    let proposal = crate::read::read_files_in(&proposal_folder, &[FileKind::Standards], &options)?;
    if let Some(first) = proposal.bad_records.first() {
        let mut message = format!(
            "{} proposed row{} cannot be read, and a raise is costed with all of its rows or not at all:",
            proposal.bad_records.len(),
            if proposal.bad_records.len() == 1 { "" } else { "s" }
        );
        for bad in &proposal.bad_records {
            message.push_str(&format!(
                "\n  {}: {}",
                proposal.inputs.cite(bad.source),
                bad.detail
            ));
        }
        message.push_str("\nFix these rows (or remove them) and run whatif again.");
        return Err(FatalError::ProposedStandards {
            location: crate::error::Location::file(
                proposal_folder.file(first.source.file).name.clone(),
            ),
            message,
        });
    }
    let window = engine::window(&case, config.from, config.to)?;
    let standards = engine::whatif::proposed_standards(&case.standards, &proposal.standards);
    let whatif = engine::whatif::whatif(&case, &standards, window);
    crate::write::write_whatif(
        out,
        window,
        &whatif,
        &case.regions,
        config.report,
        config.bom,
    )?;
    let rows = &whatif.rows;
    Ok(WhatifSummary {
        window,
        rows: rows.len(),
        lines: rows.iter().map(|row| row.lines).sum(),
        unknown: rows.iter().map(|row| row.unknown).sum(),
        change_fen: rows.iter().map(|row| row.change_fen()).sum(),
        proposed_rows: proposal.standards.len(),
    })
}

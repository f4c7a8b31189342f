//! The `duizhang` binary: parse flags, run, print, exit 0/1/2.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use duizhang::cli::{Cli, Command};
use duizhang::error::FatalError;

/// Reports a run that could not be done: exit status 2, whether or not
/// the message can be written (stderr may be closed or on a full device).
fn fail(error: &FatalError) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "duizhang: error: {error}");
    ExitCode::from(2)
}

/// Prints the console summary of a finished run. The run's result is the
/// files it wrote, and its exit status says how it went; the summary is a
/// courtesy, so a stdout that is closed (`| head -0`) or full (/dev/full)
/// changes neither. A closed pipe is the reader's choice and passes
/// silently; any other failure is noted on stderr (if that works).
fn print_summary(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let printed = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
    if let Err(error) = printed {
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = writeln!(
                std::io::stderr(),
                "duizhang: note: the summary could not be printed ({error}); the run finished and its exit status stands"
            );
        }
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Reconcile(args) => {
            let outcome = args.into_config().and_then(|config| {
                let summary = duizhang::app::run(&config)?;
                Ok((config, summary))
            });
            match outcome {
                Ok((config, summary)) => {
                    print_summary(&duizhang::app::describe(&config, &summary));
                    let code = ExitCode::from(summary.exit_code);
                    // The process ends here: freeing millions of records one
                    // by one would only delay the exit.
                    std::mem::forget(summary.case);
                    std::mem::forget(summary.findings);
                    code
                }
                Err(error) => fail(&error),
            }
        }
        Command::Check(args) => {
            match args
                .into_config()
                .and_then(|config| duizhang::app::check(&config))
            {
                Ok(report) => {
                    print_summary(&report);
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&error),
            }
        }
        Command::Generate(args) => {
            let folder = args.out_dir.clone();
            let outcome = args
                .into_config()
                .and_then(|config| duizhang::generate::generate(&folder, &config));
            match outcome {
                Ok(summary) => {
                    use duizhang::domain::FileKind;
                    let rows = |kind| summary.rows.get(kind);
                    let mix = &summary.mix;
                    print_summary(&format!(
                        "wrote {} people ({} with a planted anomaly): {} roster, {} allocation, {} transfer, {} payout rows to {}\nlocal rules: {} dibao households in tiers (A {}, B {}, C {}, D {}), {} with top-ups, {} in phase-out, {} deceased heads ({} living alone), {} tekun on derived standards",
                        summary.persons,
                        summary.anomalies,
                        rows(FileKind::Roster),
                        rows(FileKind::Allocations),
                        rows(FileKind::Transfers),
                        rows(FileKind::Payouts),
                        folder.display(),
                        mix.tiered.iter().sum::<u64>(),
                        mix.tiered[0],
                        mix.tiered[1],
                        mix.tiered[2],
                        mix.tiered[3],
                        mix.with_top_ups,
                        mix.phase_outs,
                        mix.deceased_alone + mix.deceased_with_family,
                        mix.deceased_alone,
                        mix.tekun
                    ));
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&error),
            }
        }
    }
}

/// mimalloc reuses freed memory instead of returning it to the kernel and
/// faulting it in again, which glibc's allocator does for large buffers.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// Prints the report of `duizhang check`, which is its whole result: a
/// report that cannot be written (a full disk, a closed pipe) is a run
/// that could not be done — exit 2, said on stderr when it can be.
fn print_report(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(
                std::io::stderr(),
                "duizhang: error: the report could not be written to standard output ({error}); nothing else was written"
            );
            ExitCode::from(2)
        }
    }
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

/// The message a run killed by SIGBUS leaves: large case files are read
/// through a memory map, and a file another program cuts short while the
/// run reads it takes the mapped pages away (the partitioned run, which
/// checks every file, and the read's own checks catch the other changes).
/// The file is named when the faulting address lies in a mapped case file
/// (`read::text::mapped_file_name`), which it nearly always does.
const TRUNCATED_INPUT_BEFORE_NAME: &[u8] = b"duizhang: error: ";
const TRUNCATED_INPUT_AFTER_NAME: &[u8] = b": the file became shorter while it was being read (another program cut it short or replaced it); no output was replaced: run again when nothing writes to the case folder\n";
const TRUNCATED_INPUT: &[u8] = b"duizhang: error: a case file became shorter while it was being read (another program cut it short or replaced it); no output was replaced: run again when nothing writes to the case folder\n";

/// Room for the name of the file cut short, on the handler's stack.
const TRUNCATED_NAME_BYTES: usize = 512;

#[cfg(unix)]
extern "C" fn on_bus_error(
    _signal: libc::c_int,
    information: *mut libc::siginfo_t,
    _context: *mut libc::c_void,
) {
    let mut name = [0u8; TRUNCATED_NAME_BYTES];
    let length = if information.is_null() {
        0
    } else {
        // SAFETY: the kernel passes a valid siginfo_t to a handler
        // installed with SA_SIGINFO; for SIGBUS its si_addr is the
        // faulting address.
        let address = unsafe { (*information).si_addr() } as usize;
        duizhang::read::text::mapped_file_name(address, &mut name)
    };
    let write = |bytes: &[u8]| {
        // SAFETY: write(2) is async-signal-safe; the buffer is valid for
        // the length given.
        unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
    };
    if length == 0 {
        write(TRUNCATED_INPUT);
    } else {
        write(TRUNCATED_INPUT_BEFORE_NAME);
        write(&name[..length]);
        write(TRUNCATED_INPUT_AFTER_NAME);
    }
    // SAFETY: _exit(2) is async-signal-safe and takes no pointer.
    unsafe { libc::_exit(2) };
}

/// A truncated mapped input ends the run with exit 2 and a message, not a
/// crash. Nothing is half-placed then: outputs are anonymous files until
/// the last step, and the kernel drops them (and OUT_DIR's lock) on exit.
fn catch_truncated_inputs() {
    #[cfg(unix)]
    // SAFETY: installs a handler for SIGBUS with an empty mask and
    // SA_SIGINFO, whose signature `on_bus_error` has; the handler only
    // calls async-signal-safe functions and reads atomics.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_bus_error as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}

fn main() -> ExitCode {
    catch_truncated_inputs();
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
        Command::Notice(args) => {
            let outcome = args.into_config().and_then(|config| {
                let summary = duizhang::app::notice(&config)?;
                Ok((config, summary))
            });
            match outcome {
                Ok((config, summary)) => {
                    print_summary(&duizhang::app::describe_notice(&config, &summary));
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&error),
            }
        }
        Command::Whatif(args) => {
            let outcome = args.into_config().and_then(|config| {
                let summary = duizhang::app::whatif(&config)?;
                Ok((config, summary))
            });
            match outcome {
                Ok((config, summary)) => {
                    print_summary(&duizhang::app::describe_whatif(&config, &summary));
                    ExitCode::SUCCESS
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
                    let printed = print_report(&report.text);
                    match report.unfit {
                        // The report is the answer; the status says a run
                        // should not be made as the case stands.
                        Some(_) if printed == ExitCode::SUCCESS => ExitCode::from(2),
                        _ => printed,
                    }
                }
                Err(error) => fail(&error),
            }
        }
        Command::Generate(args) => {
            let folder = args.out_dir.clone();
            let v3 = args.v3;
            let outcome = args
                .into_config()
                .and_then(|config| duizhang::generate::generate(&folder, &config));
            match outcome {
                Ok(summary) => {
                    use duizhang::domain::FileKind;
                    let rows = |kind| summary.rows.get(kind);
                    let mix = &summary.mix;
                    // Said only with --v3, so the v2 summary stays as it was.
                    let v3_rows = match v3 {
                        true => format!(
                            "\nv3: {} member rows, {} leads, payouts in monthly files under payouts/",
                            rows(FileKind::Members),
                            rows(FileKind::Watchlist)
                        ),
                        false => String::new(),
                    };
                    print_summary(&format!(
                        "wrote {} people ({} with a planted anomaly): {} roster, {} allocation, {} transfer, {} payout rows to {}\nlocal rules: {} dibao households in tiers (A {}, B {}, C {}, D {}), {} with top-ups, {} in phase-out, {} deceased heads ({} living alone), {} tekun on derived standards{v3_rows}",
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

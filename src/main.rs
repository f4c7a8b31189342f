//! The `duizhang` binary: parse flags, run, print, exit 0/1/2.

use std::process::ExitCode;

use clap::Parser;
use duizhang::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Reconcile(args) => {
            let outcome = args.into_config().and_then(|config| {
                let summary = duizhang::app::run(&config)?;
                Ok((config, summary))
            });
            match outcome {
                Ok((config, summary)) => {
                    println!("{}", duizhang::app::describe(&config, &summary));
                    ExitCode::from(summary.exit_code)
                }
                Err(error) => {
                    eprintln!("duizhang: error: {error}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

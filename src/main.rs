//! The `why429` binary: parse the command line, run it, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = why429::cli::Cli::parse();
    match why429::cli::run(cli) {
        Ok(outcome) => outcome.into(),
        Err(why429::cli::Failure(message)) => {
            eprintln!("why429: {}", why429::render::plain(&message));
            ExitCode::from(2)
        }
    }
}

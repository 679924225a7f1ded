//! The command line: clap definitions and dispatch to one file per subcommand.
//!
//! Owns argument parsing, turning arguments into library settings (`common`), exit codes and
//! where output goes. The doc comments here are the `--help` text. It must not analyze
//! anything itself: subcommands call the library.

pub mod analyze;
pub mod check;
pub mod common;
pub mod diff;
pub mod profiles;
pub mod sanitize;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Explain HTTP 429s in browser HAR captures against the API's documented rate-limit layers.
#[derive(Debug, Parser)]
#[command(name = "why429", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyze captures: timeline, layers, every 429 explained, findings, verdict.
    Analyze(analyze::Args),
    /// Batch-check captures in CI: gates (--fail-on), baselines, shards; exit 1 when a gate fails.
    Check(check::Args),
    /// Compare two JSON reports (what `check --baseline` would report), without gating.
    Diff(diff::DiffArgs),
    /// Join JSON reports of shards into one.
    Merge(diff::MergeArgs),
    /// List built-in limit profiles, show one, or check a profile file.
    Profiles(profiles::Args),
    /// Write a copy of a capture that is safe to post publicly and gives the same analysis.
    Sanitize(sanitize::Args),
    /// Print the JSON Schema of `--format json` reports.
    Schema,
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Everything read, every gate passed.
    Clean = 0,
    /// A gate failed (`check`), or a sanitized copy analyzes differently (`sanitize`).
    GateFailed = 1,
    /// Usage error or an input that could not be read.
    InputError = 2,
}

impl From<Outcome> for ExitCode {
    fn from(o: Outcome) -> Self {
        ExitCode::from(o as u8)
    }
}

/// A failure that ends the run with exit code 2 and a message on stderr.
#[derive(Debug)]
pub struct Failure(pub String);

impl<E: std::error::Error> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

/// Runs the command line.
pub fn run(cli: Cli) -> Result<Outcome, Failure> {
    match cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Check(args) => check::run(args),
        Command::Diff(args) => diff::diff(args),
        Command::Merge(args) => diff::merge(args),
        Command::Profiles(args) => profiles::run(args),
        Command::Sanitize(args) => sanitize::run(args),
        Command::Schema => {
            let schema = crate::report::Report::schema();
            let text = serde_json::to_string_pretty(&schema)?;
            common::write_stdout(text.as_bytes())?;
            common::write_stdout(b"\n")?;
            Ok(Outcome::Clean)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}

//! `why429 diff` and `why429 merge`: compare two JSON reports, or join shard reports.

use std::path::PathBuf;

use crate::check;
use crate::render::{self, Format, Style};

use super::check::read_report;
use super::common;
use super::{Failure, Outcome};

/// `diff` arguments.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The earlier JSON report.
    #[arg(value_name = "BASE.json")]
    base: PathBuf,
    /// The later JSON report.
    #[arg(value_name = "NEW.json")]
    new: PathBuf,
    /// Rise of a layer's peak utilization, in percentage points, reported as a regression.
    #[arg(long, value_name = "POINTS", default_value_t = 20.0)]
    max_increase: f64,
}

/// Runs `diff`: prints what changed, never gates.
pub fn diff(args: DiffArgs) -> Result<Outcome, Failure> {
    let base = read_report(&args.base)?;
    let new = read_report(&args.new)?;
    let changes = check::compare(&base, &new, args.max_increase);
    let mut out = String::new();
    if changes.is_empty() {
        out.push_str("no change\n");
    }
    for c in &changes {
        let tag = if c.regression { "regression" } else { "change" };
        out.push_str(&format!(
            "{tag}: {}: {}\n",
            render::plain(&c.path),
            render::plain(&c.message)
        ));
    }
    let regressions = changes.iter().filter(|c| c.regression).count();
    out.push_str(&format!(
        "{} before, {} now: {}, {}\n",
        render::plural(base.captures.len() as u64, "capture"),
        new.captures.len(),
        render::plural(changes.len() as u64, "change"),
        render::plural(regressions as u64, "regression")
    ));
    common::write_stdout(out.as_bytes())?;
    Ok(Outcome::Clean)
}

/// `merge` arguments.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// JSON reports of `check --shard K/N --format json` (or `analyze --format json`).
    #[arg(required = true, value_name = "REPORT.json")]
    reports: Vec<PathBuf>,
}

/// Runs `merge`: one JSON report with every capture, in path order.
pub fn merge(args: MergeArgs) -> Result<Outcome, Failure> {
    let reports = args
        .reports
        .iter()
        .map(read_report)
        .collect::<Result<Vec<_>, _>>()?;
    let merged = check::merge(reports);
    let mut buf = Vec::new();
    render::renderer(Format::Json, Style::default()).render(&merged, &mut buf)?;
    common::write_stdout(&buf)?;
    Ok(Outcome::Clean)
}

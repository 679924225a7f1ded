//! `why429 analyze`: the full report of one or more captures.

use std::io::IsTerminal;

use clap::ValueEnum;

use crate::batch;
use crate::ingest;
use crate::render::{self, Format, Style};
use crate::report::{self, Disclosure, Report};

use super::common::{self, AnalysisArgs, ColorChoice, InputArgs};
use super::{Failure, Outcome};

/// Output formats of `analyze`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AnalyzeFormat {
    /// Tables for a terminal.
    Terminal,
    /// The JSON contract (see `why429 schema`).
    Json,
}

impl From<AnalyzeFormat> for Format {
    fn from(f: AnalyzeFormat) -> Format {
        match f {
            AnalyzeFormat::Terminal => Format::Terminal,
            AnalyzeFormat::Json => Format::Json,
        }
    }
}

/// `analyze` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    analysis: AnalysisArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "terminal")]
    format: AnalyzeFormat,
    /// Colour: auto (terminal and no NO_COLOR), always, never.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// Show concrete paths (with ids) and correlation ids of throttled requests.
    #[arg(long)]
    show_ids: bool,
    /// Show OAuth client ids read from JWT claims.
    #[arg(long)]
    show_client_ids: bool,
}

/// Runs `analyze`.
pub fn run(args: Args) -> Result<Outcome, Failure> {
    let read = args.input.read_options();
    let settings = args.analysis.settings(read)?;
    let inputs = args.input.inputs()?;
    let (sources, mut errors) = ingest::discover(&inputs, read.limits);
    let results = batch::analyze_all(&sources, &settings, &|| {});
    let disclosure = Disclosure {
        show_ids: args.show_ids,
        show_client_ids: args.show_client_ids,
    };
    let mut captures = Vec::new();
    for r in results {
        match r {
            Ok(a) => captures.push(report::build(&a, disclosure)),
            Err(e) => errors.push(e),
        }
    }
    for e in &errors {
        eprintln!("why429: {}", render::plain(&e.to_string()));
    }
    let report = Report::new(captures, &errors);
    let style = Style {
        color: common::use_color(args.color) && args.format == AnalyzeFormat::Terminal,
        width: 100,
    };
    let mut buf = Vec::new();
    render::renderer(args.format.into(), style).render(&report, &mut buf)?;
    common::write_stdout(&buf)?;
    let _ = std::io::stderr().is_terminal();
    Ok(if errors.is_empty() {
        Outcome::Clean
    } else {
        Outcome::InputError
    })
}

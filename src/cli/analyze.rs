//! `why429 analyze`: the full report of one or more captures, on stdout or as files.

use std::path::{Path, PathBuf};

use clap::ValueEnum;

use crate::batch;
use crate::ingest;
use crate::render::{self, Format, Style, chart};
use crate::report::{self, CaptureReport, Disclosure, Report};

use super::common::{self, AnalysisArgs, ColorChoice, InputArgs, ServerLogArgs};
use super::{Failure, Outcome};

/// Output formats of `analyze`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AnalyzeFormat {
    /// Tables for a terminal.
    Terminal,
    /// The JSON contract (see `why429 schema`).
    Json,
    /// GitHub/Discourse Markdown with a plain-text summary on top.
    Markdown,
    /// One self-contained HTML file with inline charts.
    Html,
    /// JUnit XML.
    Junit,
}

impl From<AnalyzeFormat> for Format {
    fn from(f: AnalyzeFormat) -> Format {
        match f {
            AnalyzeFormat::Terminal => Format::Terminal,
            AnalyzeFormat::Json => Format::Json,
            AnalyzeFormat::Markdown => Format::Markdown,
            AnalyzeFormat::Html => Format::Html,
            AnalyzeFormat::Junit => Format::Junit,
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
    #[command(flatten)]
    server: ServerLogArgs,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "terminal")]
    format: AnalyzeFormat,
    /// Write report.md, report.html, report.json, timeline.png and timeline.svg into DIR (one
    /// folder per capture when there are several) instead of printing a report.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Colour: auto (terminal and no NO_COLOR), always, never.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// Show concrete paths (with ids) and correlation ids of throttled requests.
    #[arg(long)]
    show_ids: bool,
    /// Show OAuth client ids read from JWT claims and, for traffic a --server-log names, the
    /// client and user ids, user agents and IP addresses the log gives.
    #[arg(long)]
    show_client_ids: bool,
    /// List every 429 in the terminal report (by default the first 12, then counts by endpoint
    /// and cause).
    #[arg(long)]
    all_throttles: bool,
    /// List every row of every table in the terminal report (throttles, layers, endpoints,
    /// clients, findings, skipped entries).
    #[arg(long)]
    all_rows: bool,
}

/// Runs `analyze`.
pub fn run(args: Args) -> Result<Outcome, Failure> {
    let read = args.input.read_options();
    let mut settings = args.analysis.settings(read)?;
    let log_errors = args.server.read_into(&mut settings);
    settings.correlation_ids = args.show_ids || !settings.server_logs.is_empty();
    let inputs = args.input.inputs()?;
    let (sources, mut errors) = ingest::discover(&inputs, read.limits);
    errors.extend(log_errors);
    let results = batch::analyze_all(&sources, &settings, &|| {});
    let disclosure = Disclosure {
        show_ids: args.show_ids,
        show_client_ids: args.show_client_ids,
    };
    let mut captures = Vec::new();
    for r in results {
        match r {
            Ok(a) => captures.push(report::build_owned(a, disclosure)),
            Err(e) => errors.push(e),
        }
    }
    for e in &errors {
        eprintln!("why429: {}", render::plain(&e.to_string()));
    }
    if let Some(dir) = &args.out {
        let written = write_out(dir, &captures)?;
        let mut listing = String::new();
        for p in written {
            listing.push_str(&render::plain(&p.display().to_string()));
            listing.push('\n');
        }
        common::write_stdout(listing.as_bytes())?;
    } else {
        let report = Report::new(captures, &errors);
        let style = Style {
            color: common::use_color(args.color) && args.format == AnalyzeFormat::Terminal,
            width: common::terminal_width(),
            all_throttles: args.all_throttles,
            all_rows: args.all_rows,
        };
        common::render_stdout(&*render::renderer(args.format.into(), style), &report)?;
    }
    Ok(if errors.is_empty() {
        Outcome::Clean
    } else {
        Outcome::InputError
    })
}

/// A folder name from a capture's path: letters, digits, `.`, `-`, `_` only.
fn folder_name(path: &str) -> String {
    let s: String = path
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_matches(|c| c == '.' || c == '_').to_string();
    if s.is_empty() { "capture".into() } else { s }
}

/// Writes the report files of every capture; returns the paths written.
pub fn write_out(dir: &Path, captures: &[CaptureReport]) -> Result<Vec<PathBuf>, Failure> {
    let mut written = Vec::new();
    let mut used: Vec<String> = Vec::new();
    for c in captures {
        let target = if captures.len() == 1 {
            dir.to_path_buf()
        } else {
            let mut name = folder_name(&c.path);
            let base = name.clone();
            let mut k = 2;
            while used.contains(&name) {
                name = format!("{base}-{k}");
                k += 1;
            }
            used.push(name.clone());
            dir.join(name)
        };
        std::fs::create_dir_all(&target)
            .map_err(|e| Failure(format!("{}: cannot create: {}", target.display(), e.kind())))?;
        let one = Report::new(vec![c.clone()], &[]);
        let mut files: Vec<(&str, Vec<u8>)> = Vec::new();
        for (name, format) in [
            ("report.md", Format::Markdown),
            ("report.html", Format::Html),
            ("report.json", Format::Json),
        ] {
            let mut buf = Vec::new();
            render::renderer(format, Style::default()).render(&one, &mut buf)?;
            files.push((name, buf));
        }
        files.push(("timeline.png", chart::png(&c.timeline)?));
        files.push(("timeline.svg", chart::svg(&c.timeline)?.into_bytes()));
        for (name, bytes) in files {
            let p = target.join(name);
            std::fs::write(&p, bytes)
                .map_err(|e| Failure(format!("{}: cannot write: {}", p.display(), e.kind())))?;
            written.push(p);
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_plain() {
        assert_eq!(folder_name("a/b c.har"), "a_b_c.har");
        assert_eq!(folder_name("x.zip!in/y.har"), "x.zip_in_y.har");
        assert_eq!(folder_name("../.."), "capture");
    }
}

//! `why429 check`: batch-check captures in CI, gate the build, catch regressions.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::batch;
use crate::check::{self, Gate};
use crate::ingest;
use crate::render::{self, Format, Style};
use crate::report::{self, Disclosure, Report};

use super::common::{self, AnalysisArgs, ColorChoice, InputArgs, ServerLogArgs};
use super::{Failure, Outcome};

/// Output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// One line per capture with its gates.
    Text,
    /// The JSON report, with each capture's gates and changes.
    Json,
    /// JUnit XML: one testsuite per capture, a testcase per gate, budget and 429.
    Junit,
    /// GitHub Actions annotations, and a job summary when GITHUB_STEP_SUMMARY is set.
    Github,
}

/// `check` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    analysis: AnalysisArgs,
    #[command(flatten)]
    server: ServerLogArgs,
    /// Fail (exit 1) when: 429 (any 429), unexplained (a 429 not caused by the capture's own
    /// traffic), hidden-traffic, undocumented-limit, a finding kind (e.g. retry-after-ignored),
    /// or utilization>=N% (a layer's peak reached N % of its limit). Repeatable. Default: 429.
    #[arg(long = "fail-on", value_name = "COND", value_parser = Gate::parse)]
    fail_on: Vec<Gate>,
    /// A JSON report of an earlier run (`analyze --format json` or `check --format json`):
    /// fail on new 429s, new throttle causes, or a layer's utilization rising too much.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Largest rise of a layer's peak utilization, in percentage points, before it counts as a
    /// regression against the baseline.
    #[arg(long, value_name = "POINTS", default_value_t = 20.0)]
    max_increase: f64,
    /// Analyze only every N-th capture starting at the K-th (1-based, in path order), to split
    /// a corpus across CI machines; join the JSON reports with `why429 merge`.
    #[arg(long, value_name = "K/N", value_parser = check::parse_shard)]
    shard: Option<(usize, usize)>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: CheckFormat,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Colour: auto, always, never.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
}

/// Most bytes of a GitHub job summary (GitHub refuses more than 1 MiB per step).
const SUMMARY_CAP: usize = 1 << 20;

/// Reads a JSON report written by an earlier run.
pub fn read_report(path: &PathBuf) -> Result<Report, Failure> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure(format!("{}: cannot read: {}", path.display(), e.kind())))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Failure(format!(
            "{}:{}:{}: not a why429 JSON report ({}): write it with `why429 analyze --format json` or `why429 check --format json`",
            path.display(),
            e.line(),
            e.column(),
            e.classify_name()
        ))
    })
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "read error",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "unexpected fields",
            serde_json::error::Category::Eof => "file ends early",
        }
    }
}

/// Runs `check`.
pub fn run(args: Args) -> Result<Outcome, Failure> {
    let read = args.input.read_options();
    let mut settings = args.analysis.settings(read)?;
    let log_errors = args.server.read_into(&mut settings);
    let baseline = args.baseline.as_ref().map(read_report).transpose()?;
    let gates = if args.fail_on.is_empty() {
        vec![Gate::Any429]
    } else {
        args.fail_on.clone()
    };
    let inputs = args.input.inputs()?;
    let (mut sources, mut errors) = ingest::discover(&inputs, read.limits);
    errors.extend(log_errors);
    sources.sort_by(|a, b| a.relative.cmp(&b.relative).then(a.name.cmp(&b.name)));
    if let Some((k, n)) = args.shard {
        sources = check::shard(sources, k, n);
    }
    let show_progress =
        !args.quiet && args.format == CheckFormat::Text && std::io::stderr().is_terminal();
    let bar = if show_progress {
        let b =
            ProgressBar::with_draw_target(Some(sources.len() as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} captures {elapsed}") {
            b.set_style(style);
        }
        b
    } else {
        ProgressBar::hidden()
    };
    let results = batch::analyze_all(&sources, &settings, &|| bar.inc(1));
    bar.finish_and_clear();
    let mut captures = Vec::new();
    for r in results {
        match r {
            Ok(a) => captures.push(report::build(&a, Disclosure::default())),
            Err(e) => errors.push(e),
        }
    }
    for c in &mut captures {
        c.gates = gates.iter().map(|g| g.check(c)).collect();
    }
    let mut report = Report::new(captures, &errors);
    let mut missing = Vec::new();
    if let Some(base) = &baseline {
        for change in check::compare(base, &report, args.max_increase) {
            match report.captures.iter_mut().find(|c| c.path == change.path) {
                Some(c) => c.changes.push(change),
                None => missing.push(change),
            }
        }
    }
    let format = match args.format {
        CheckFormat::Text => Format::Gates,
        CheckFormat::Json => Format::Json,
        CheckFormat::Junit => Format::Junit,
        CheckFormat::Github => Format::Github,
    };
    let style = Style {
        color: common::use_color(args.color) && args.format == CheckFormat::Text,
        width: 100,
    };
    let mut buf = Vec::new();
    render::renderer(format, style).render(&report, &mut buf)?;
    for m in &missing {
        if args.format == CheckFormat::Text {
            buf.extend_from_slice(
                format!("note: {}: {}\n", render::plain(&m.path), m.message).as_bytes(),
            );
        }
    }
    common::write_stdout(&buf)?;
    if args.format == CheckFormat::Github
        && let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY")
    {
        append_summary(&PathBuf::from(path), &report)?;
    }
    if args.format != CheckFormat::Text {
        for e in &errors {
            eprintln!("why429: {}", render::plain(&e.to_string()));
        }
    }
    let failed = report
        .captures
        .iter()
        .any(|c| c.gates.iter().any(|g| !g.passed) || c.changes.iter().any(|ch| ch.regression));
    Ok(if !errors.is_empty() {
        Outcome::InputError
    } else if failed {
        Outcome::GateFailed
    } else {
        Outcome::Clean
    })
}

/// Appends a Markdown summary to the GitHub job summary file, kept under 1 MiB.
fn append_summary(path: &PathBuf, report: &Report) -> Result<(), Failure> {
    let mut md = String::from(
        "## why429\n\n| capture | result | 429s | gates and changes |\n|---|---|---:|---|\n",
    );
    for c in &report.captures {
        let bad: Vec<String> = c
            .gates
            .iter()
            .filter(|g| !g.passed)
            .map(|g| format!("`{}`: {}", g.gate, render::markdown::escape(&g.message)))
            .chain(
                c.changes
                    .iter()
                    .filter(|ch| ch.regression)
                    .map(|ch| format!("regression: {}", render::markdown::escape(&ch.message))),
            )
            .collect();
        md.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            render::markdown::escape(&c.path),
            if bad.is_empty() { "pass" } else { "**fail**" },
            c.throttles.len(),
            if bad.is_empty() {
                "-".into()
            } else {
                bad.join("<br>")
            }
        ));
    }
    for e in &report.errors {
        md.push_str(&format!(
            "| {} | **unreadable** | - | {} |\n",
            render::markdown::escape(&e.source),
            render::markdown::escape(&e.message)
        ));
    }
    if md.len() > SUMMARY_CAP - 200 {
        let mut cut = SUMMARY_CAP - 200;
        while !md.is_char_boundary(cut) {
            cut -= 1;
        }
        let cut = md[..cut].rfind('\n').unwrap_or(0);
        md.truncate(cut);
        md.push_str("\n\n… summary truncated to stay under GitHub's 1 MiB limit: see the JSON report artifact.\n");
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            Failure(format!(
                "{}: cannot write the job summary: {}",
                path.display(),
                e.kind()
            ))
        })?;
    f.write_all(md.as_bytes()).map_err(|e| {
        Failure(format!(
            "{}: cannot write the job summary: {}",
            path.display(),
            e.kind()
        ))
    })
}

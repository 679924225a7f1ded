//! `why429 check`: batch-check captures in CI, gate the build, catch regressions.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

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
    /// 'utilization>=N%' (a layer's peak reached N % of its limit; quote it in a shell), new (a
    /// 429 the --baseline does not have), or none (never fail on findings; unreadable input
    /// still exits 2). Repeatable. Default: 429.
    #[arg(long = "fail-on", value_name = "COND", value_parser = Gate::parse)]
    fail_on: Vec<Gate>,
    /// A JSON report of an earlier run (`analyze --format json` or `check --format json`):
    /// fail on new 429s, new throttle causes, or a layer's utilization rising too much (with
    /// --fail-on new or none, these changes are reported without failing the run).
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
    // reports of a check show no ids: correlation ids serve only a server log's join
    settings.correlation_ids = !settings.server_logs.is_empty();
    shell_cut_hint();
    let baseline = args.baseline.as_ref().map(read_report).transpose()?;
    let gates = if args.fail_on.is_empty() {
        vec![Gate::Any429]
    } else {
        args.fail_on.clone()
    };
    if gates.contains(&Gate::None) && gates.len() > 1 {
        return Err(Failure(
            "--fail-on none cannot be combined with other conditions: drop one".into(),
        ));
    }
    if gates.contains(&Gate::New) && baseline.is_none() {
        return Err(Failure(
            "--fail-on new compares with a baseline: add --baseline FILE (the JSON report of an \
             earlier run, from `check --format json`)"
                .into(),
        ));
    }
    // with `new` or `none`, only the gates decide; the baseline's changes are shown
    let changes_gate = !gates.iter().any(|g| matches!(g, Gate::New | Gate::None));
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
            Ok(a) => captures.push(report::build_owned(a, Disclosure::default())),
            Err(e) => errors.push(e),
        }
    }
    for c in &mut captures {
        c.gates = gates
            .iter()
            .map(|g| g.check_with(c, baseline.as_ref()))
            .collect();
    }
    let mut report = Report::new(captures, &errors);
    let mut missing = Vec::new();
    if let Some(base) = &baseline {
        for mut change in check::compare(base, &report, args.max_increase) {
            change.regression &= changes_gate;
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
        ..Style::default()
    };
    let mut buf = Vec::new();
    match args.format {
        CheckFormat::Github | CheckFormat::Junit => {
            // CI tools resolve files from the repository root and compare test names across
            // runs: name inputs that way, never by an absolute path
            let files: BTreeMap<String, String> = report
                .captures
                .iter()
                .map(|c| c.source.clone())
                .chain(report.errors.iter().map(|e| e.source.clone()))
                .filter_map(|s| repository_path(&s).map(|rel| (s, rel)))
                .collect();
            let mut shown = report.clone();
            for e in &mut shown.errors {
                if let Some(rel) = files.get(&e.source) {
                    e.source = rel.clone();
                }
            }
            if args.format == CheckFormat::Github {
                render::Render::render(&render::github::Github { files }, &shown, &mut buf)?;
            } else {
                render::renderer(format, style).render(&shown, &mut buf)?;
            }
        }
        _ => render::renderer(format, style).render(&report, &mut buf)?,
    }
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

/// git's top level for a folder: the nearest folder up from it that holds `.git`.
fn git_top(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// An input as given (`dir/x.har`, `/abs/x.zip!in.har`) as a path from the root of the
/// repository it is in, with `/` separators, the way CI annotations name files: the
/// repository of the working directory when the file is in it, else the file's own
/// repository, else the working directory. `None` for `<stdin>` and files under none of them.
pub fn repository_path(source: &str) -> Option<String> {
    let (file, member) = match source.split_once('!') {
        Some((f, m)) if Path::new(f).is_file() => (f, Some(m)),
        _ => (source, None),
    };
    let abs = Path::new(file).canonicalize().ok()?;
    let cwd = std::env::current_dir().ok()?;
    let cwd = cwd.canonicalize().unwrap_or(cwd);
    let root = [git_top(&cwd), abs.parent().and_then(git_top), Some(cwd)]
        .into_iter()
        .flatten()
        .find(|r| abs.starts_with(r))?;
    let rel = abs
        .strip_prefix(&root)
        .ok()?
        .to_string_lossy()
        .replace('\\', "/");
    Some(match member {
        Some(m) => format!("{rel}!{m}"),
        None => rel,
    })
}

/// A condition such as `utilization>=80%` left unquoted is cut by the shell: `>=80%` becomes
/// a redirection that creates a file named `=80%` (and sends the report into it). When
/// standard output is such a file in the working directory, or one was created moments ago,
/// say so on standard error.
fn shell_cut_hint() {
    let Ok(entries) = std::fs::read_dir(".") else {
        return;
    };
    let looks_cut = |name: &str| {
        let n = name.trim_start_matches('=');
        n.len() > 1
            && n.ends_with('%')
            && n[..n.len() - 1]
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.')
    };
    let stdout_id = stdout_file_id();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !looks_cut(&name) {
            continue;
        }
        let Ok(meta) = e.metadata() else { continue };
        let fresh = meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|age| age.as_secs() < 10);
        if fresh || (stdout_id.is_some() && stdout_id == file_id(&meta)) {
            eprintln!(
                "why429: hint: a file named `{}` is in the working directory: an unquoted \
                 condition such as utilization>=80% is cut by the shell, which writes the \
                 output to that file; quote it: --fail-on 'utilization>=80%'",
                render::plain(&name)
            );
            return;
        }
    }
}

#[cfg(unix)]
fn file_id(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

#[cfg(unix)]
fn stdout_file_id() -> Option<(u64, u64)> {
    use std::os::fd::AsFd;
    let fd = std::io::stdout().as_fd().try_clone_to_owned().ok()?;
    let meta = std::fs::File::from(fd).metadata().ok()?;
    if meta.is_file() { file_id(&meta) } else { None }
}

#[cfg(not(unix))]
fn stdout_file_id() -> Option<(u64, u64)> {
    None
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

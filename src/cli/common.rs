//! Options shared by the subcommands and their conversion into library settings.
//!
//! Owns reading `--profile` files, `--openapi`, the fingerprint key (`--fingerprint-key` or
//! `WHY429_FINGERPRINT_KEY`, else random per run), size caps, `--server-log` (read through
//! `batch`), colour choice, and writing to stdout so that a closed pipe ends the run quietly. The only place the CLI reads the
//! environment.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::batch::{self, Settings};
use crate::error::InputError;
use crate::ingest::{CaptureSource, Input, Limits, ReadOptions};
use crate::normalize::serverlog::FormatChoice;
use crate::normalize::{FingerprintKey, openapi};
use crate::profiles::{self, Profile};
use crate::render::Render;
use crate::report::Report;

use super::Failure;

/// Inputs and how to read them.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// HAR files, directories (searched recursively for *.har, *.har.gz, *.zip), archives, or
    /// `-` for standard input.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Analyze the complete entries of a truncated or damaged capture instead of failing.
    #[arg(long)]
    pub partial: bool,
    /// Largest capture accepted after decompression (e.g. 512M, 4G).
    #[arg(long, value_name = "SIZE", default_value = "4G", value_parser = parse_size)]
    pub max_bytes: u64,
    /// Most HAR files taken from one archive.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_files: usize,
}

/// How to interpret the captures.
#[derive(Debug, Args)]
pub struct AnalysisArgs {
    /// Limit profile: a built-in name (`why429 profiles` lists them) or a TOML file. Repeat to
    /// combine. Default: chosen by the captures' hosts.
    #[arg(long = "profile", value_name = "NAME|FILE")]
    pub profiles: Vec<String>,
    /// Override one layer's number for this run, e.g. rest.bucket.capacity=80 or
    /// rest.bucket.rate=20/s (keys as in a profile file; an empty VALUE removes the key).
    /// Repeatable. Reports say the layer was set on the command line.
    #[arg(long = "set", value_name = "LAYER.KEY=VALUE")]
    pub sets: Vec<String>,
    /// OpenAPI 3 / Swagger 2 document (JSON) whose paths name the endpoint templates.
    #[arg(long, value_name = "FILE")]
    pub openapi: Option<PathBuf>,
    /// Key for token fingerprints, so they are stable across runs (else random per run).
    /// Also read from WHY429_FINGERPRINT_KEY.
    #[arg(
        long,
        value_name = "KEY",
        env = "WHY429_FINGERPRINT_KEY",
        hide_env_values = true
    )]
    pub fingerprint_key: Option<String>,
    /// Count CORS preflights towards every layer, as if the API did (a what-if; the layer
    /// table's "if preflights counted" column shows the same without the flag).
    #[arg(long)]
    pub count_preflights: bool,
    /// Evaluate a pacing policy of your own: comma-separated `in-flight=K`,
    /// `spacing=DURATION`, `retry-after` or `no-retry`, `scope=endpoint|token|client|user|capture`
    /// (e.g. --what-if 'in-flight=1,spacing=600ms').
    #[arg(long, value_name = "POLICY")]
    pub what_if: Option<String>,
}

/// Server-side logs read beside the captures.
#[derive(Debug, Args)]
pub struct ServerLogArgs {
    /// A server's log of the same minutes: a file, a .gz file, or a directory (every file in
    /// it, recursively). Repeatable. Read: why429's generic JSON Lines, nginx and Apache access
    /// logs, Envoy/Istio JSON access logs, Genesys Cloud usage query results. Tokens in it are
    /// fingerprinted with the report's key; no line is ever printed.
    #[arg(long = "server-log", value_name = "FILE")]
    pub server_logs: Vec<PathBuf>,
    /// Format of every --server-log (default: recognised per file from its first lines):
    /// generic, nginx[:LOG_FORMAT], nginx-json[:LOG_FORMAT], apache[:LOGFORMAT], envoy,
    /// genesys-usage[:day|week|month], or an nginx log_format / Apache LogFormat string.
    #[arg(
        long,
        value_name = "FORMAT",
        value_parser = FormatChoice::parse,
        requires = "server_logs"
    )]
    pub server_log_format: Option<FormatChoice>,
}

impl ServerLogArgs {
    /// Reads the logs into `settings.server_logs` (tokens keyed with `settings.key`); returns
    /// the files that could not be read.
    pub fn read_into(&self, settings: &mut Settings) -> Vec<InputError> {
        if self.server_logs.is_empty() {
            return Vec::new();
        }
        let choice = self.server_log_format.clone().unwrap_or_default();
        let (logs, errors) = batch::read_server_logs(
            &self.server_logs,
            &choice,
            &settings.key,
            settings.read.limits,
        );
        settings.server_logs = logs;
        errors
    }
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Parses `4G`, `512M`, `100K`, `1000`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => return Err(format!("unknown unit `{c}`: use K, M, G or T")),
            };
            (&s[..i], m)
        }
        _ => (s, 1),
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 512M, 4G)"))?;
    n.checked_mul(mult)
        .filter(|v| *v > 0)
        .ok_or_else(|| format!("`{s}` is out of range"))
}

impl InputArgs {
    /// Reading options.
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            partial: self.partial,
            limits: Limits {
                max_bytes: self.max_bytes,
                max_files: self.max_files,
            },
        }
    }

    /// The inputs, with `-` read from stdin (once).
    pub fn inputs(&self) -> Result<Vec<Input>, Failure> {
        let mut out = Vec::new();
        let mut stdin_used = false;
        for p in &self.inputs {
            if p.as_os_str() == "-" {
                if stdin_used {
                    return Err(Failure(
                        "`-` (standard input) can be given only once".into(),
                    ));
                }
                stdin_used = true;
                out.push(
                    CaptureSource::read_stdin(self.read_options().limits)
                        .map_err(|e| Failure(e.to_string()))?,
                );
            } else {
                out.push(Input::Path(p.clone()));
            }
        }
        Ok(out)
    }
}

/// Loads `--profile` values: built-in names or TOML files.
pub fn load_profiles(names: &[String]) -> Result<Vec<Profile>, Failure> {
    let mut out = Vec::new();
    for n in names {
        if let Some(p) = profiles::builtin_named(n) {
            out.push(p);
            continue;
        }
        let path = PathBuf::from(n);
        if !path.exists() {
            return Err(Failure(format!(
                "no built-in profile `{n}` and no such file: built-ins are {}",
                profiles::builtin_names().join(", ")
            )));
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Failure(format!("{n}: cannot read: {}", e.kind())))?;
        out.push(profiles::parse::parse(n, &text)?);
    }
    profiles::check_combined(&out)?;
    Ok(out)
}

impl AnalysisArgs {
    /// Library settings.
    pub fn settings(&self, read: ReadOptions) -> Result<Settings, Failure> {
        let openapi = match &self.openapi {
            None => None,
            Some(p) => {
                let bytes = std::fs::read(p)
                    .map_err(|e| Failure(format!("{}: cannot read: {}", p.display(), e.kind())))?;
                Some(
                    openapi::templates(&bytes)
                        .map_err(|e| Failure(format!("{}: {}", p.display(), e.0)))?,
                )
            }
        };
        let key = match &self.fingerprint_key {
            Some(k) if !k.is_empty() => FingerprintKey::from_passphrase(k),
            _ => {
                let mut bytes = [0u8; 32];
                getrandom::fill(&mut bytes).map_err(|_| {
                    Failure(
                        "no system randomness for the fingerprint key: pass --fingerprint-key"
                            .into(),
                    )
                })?;
                FingerprintKey(bytes)
            }
        };
        let mut chosen = load_profiles(&self.profiles)?;
        let mut builtins = profiles::builtin();
        apply_sets(&self.sets, &mut chosen, &mut builtins)?;
        let what_if = match &self.what_if {
            None => None,
            Some(p) => {
                Some(crate::plan::parse_policy(p).map_err(|e| Failure(format!("--what-if: {e}")))?)
            }
        };
        let mut settings = Settings::new(key, chosen, builtins).map_err(Failure)?;
        settings.read = read;
        settings.openapi = openapi;
        settings.count_preflights = self.count_preflights;
        settings.what_if = what_if;
        Ok(settings)
    }
}

/// Applies `--set` overrides to the profiles named with `--profile`, or, without any, to the
/// built-in profiles a capture's hosts may choose.
pub fn apply_sets(
    sets: &[String],
    chosen: &mut [Profile],
    builtins: &mut [Profile],
) -> Result<(), Failure> {
    if sets.is_empty() {
        return Ok(());
    }
    let overrides = sets
        .iter()
        .map(|s| profiles::overrides::parse_override(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure)?;
    if chosen.is_empty() {
        profiles::overrides::apply(
            builtins,
            &overrides,
            "the built-in profiles (no --profile given)",
        )
    } else {
        profiles::overrides::apply(chosen, &overrides, "the profiles given with --profile")
    }
    .map_err(Failure)
}

/// Whether to colour stdout.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
        }
    }
}

/// Columns for terminal output: the terminal's width when stdout is one, else `COLUMNS`, else
/// 100; never under 60.
pub fn terminal_width() -> u16 {
    let measured = io::stdout()
        .is_terminal()
        .then(terminal_size::terminal_size)
        .flatten()
        .map(|(w, _)| w.0);
    let columns = || {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|v| v.trim().parse::<u16>().ok())
            .filter(|&w| w > 0)
    };
    measured
        .or_else(columns)
        .unwrap_or(100)
        .max(crate::render::terminal::MIN_WIDTH)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    stdout_outcome(out.write_all(bytes).and_then(|_| out.flush()))
}

/// Renders a report straight to stdout through a buffer, so the formats that write as they go
/// (JSON, Markdown) never hold a large report twice, once as a `Report` and
/// once as its text; a closed pipe ends the run quietly.
pub fn render_stdout(renderer: &dyn Render, report: &Report) -> Result<(), Failure> {
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    stdout_outcome(renderer.render(report, &mut out).and_then(|_| out.flush()))
}

/// What a write to stdout means for the run: a closed pipe is the reader's choice.
fn stdout_outcome(written: io::Result<()>) -> Result<(), Failure> {
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure(format!("cannot write output: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("512m"), Ok(512 << 20));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12X").is_err());
        assert!(parse_size("99999999999T").is_err());
    }
}

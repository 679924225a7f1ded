//! Running the pipeline: one capture, or many in parallel with a deterministic order.
//!
//! Owns `analyze_one` (read and normalize a capture, then the pure stages of `analysis`) and
//! `analyze_all` (rayon over captures, results in input order whatever the thread timing).
//! `sanitize_one` streams a capture through a `sanitize::Plan` into a writer.
//! `read_server_logs` streams every `--server-log` file through the pure log reader, files in
//! parallel. With `ingest`, the only stage that touches files and threads; it must not render.

use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

pub use crate::analysis::{Analysis, Settings, analyze_built};
use crate::error::{InputError, InputErrorKind, Location};
use crate::ingest::{self, CaptureSource, Limits};
use crate::model::ServerLog;
use crate::normalize::serverlog::{FormatChoice, LogReader};
use crate::normalize::{self, Builder, FingerprintKey};
use crate::sanitize;

/// Reads and normalizes one capture (without choosing profiles).
pub fn read_capture(
    source: &CaptureSource,
    settings: &Settings,
) -> Result<(Builder, ingest::LogMeta), InputError> {
    let mut builder = Builder::new();
    if !settings.correlation_ids {
        builder.skip_correlation_ids();
    }
    let (key, costs) = (&settings.key, &settings.costs);
    let meta = ingest::read(
        source,
        settings.read,
        |_, _, entry| normalize::draft(entry, key, costs),
        |parsed| builder.push(parsed),
    )?;
    Ok((builder, meta))
}

/// Analyzes one capture. A capture whose every entry is unusable is an input error (there is
/// nothing to analyze), unless `--partial` asks for whatever can be had.
pub fn analyze_one(source: &CaptureSource, settings: &Settings) -> Result<Analysis, InputError> {
    let (builder, meta) = read_capture(source, settings)?;
    let analysis = analyze_built(builder, &meta, source, settings);
    let c = &analysis.capture;
    match c.skipped.first() {
        Some(first) if c.requests.is_empty() && !settings.read.partial => Err(InputError::new(
            InputErrorKind::NoUsableEntry,
            &source.name,
            Some(Location::Index { index: first.entry }),
            match c.entries {
                1 => format!("the only entry cannot be used: {}", first.reason),
                n => format!(
                    "none of the {n} entries can be used (the first one: {})",
                    first.reason
                ),
            },
            "the capture is damaged or was edited: re-export it, or pass --partial to see every \
             skipped entry and why",
        )),
        _ => Ok(analysis),
    }
}

/// Analyzes many captures in parallel; results come back in the order of `sources`.
pub fn analyze_all(
    sources: &[CaptureSource],
    settings: &Settings,
    progress: &(dyn Fn() + Sync),
) -> Vec<Result<Analysis, InputError>> {
    sources
        .par_iter()
        .map(|s| {
            let r = analyze_one(s, settings);
            progress();
            r
        })
        .collect()
}

/// A sanitized copy written by `sanitize_one`.
#[derive(Debug)]
pub struct Sanitized {
    /// The analysis of the original.
    pub analysis: Analysis,
    /// What was removed or replaced, by kind.
    pub removed: sanitize::raw::Removed,
}

/// Why `sanitize_one` stopped.
#[derive(Debug)]
pub enum SanitizeError {
    /// The capture could not be read.
    Input(InputError),
    /// The output could not be written.
    Output(std::io::Error),
}

/// Writes a copy of one capture that is safe to share (see `sanitize`) to `out`: analyzes the
/// original, plans every stand-in, then streams the entries through the plan in file order.
pub fn sanitize_one(
    source: &CaptureSource,
    settings: &Settings,
    options: &sanitize::Options,
    out: &mut dyn std::io::Write,
) -> Result<Sanitized, SanitizeError> {
    use sanitize::raw::{Kind, Removed};
    let analysis = analyze_one(source, settings).map_err(SanitizeError::Input)?;
    let plan = sanitize::Plan::new(&analysis, options).with_costs(settings.costs.clone());
    let mut removed = plan.planned().clone();
    let c = &analysis.capture;
    removed.add(Kind::Pages, u64::from(c.pages));
    removed.add(Kind::Comments, u64::from(c.log_fields));
    let mut written: Result<(), std::io::Error> = out.write_all(plan.head().as_bytes());
    let mut first = true;
    ingest::read(
        source,
        settings.read,
        |index, json, _| {
            let mut r = Removed::default();
            let entry = plan.entry(index, json, &mut r);
            (
                serde_json::to_vec(&entry).unwrap_or_else(|_| b"{}".to_vec()),
                r,
            )
        },
        |parsed| {
            let bytes = match parsed {
                ingest::Parsed::Entry(_, (bytes, r)) => {
                    removed.merge(&r);
                    bytes
                }
                ingest::Parsed::Unusable(_, _) => {
                    removed.add(Kind::UnusableEntries, 1);
                    b"{}".to_vec()
                }
            };
            if written.is_ok() {
                let sep: &[u8] = if first { b"" } else { b",\n" };
                first = false;
                written = out.write_all(sep).and_then(|_| out.write_all(&bytes));
            }
        },
    )
    .map_err(SanitizeError::Input)?;
    written
        .and_then(|_| out.write_all(plan.tail().as_bytes()))
        .and_then(|_| out.flush())
        .map_err(SanitizeError::Output)?;
    Ok(Sanitized { analysis, removed })
}

/// Reads one server-log file: its bytes streamed through `normalize::serverlog::LogReader`.
pub fn read_server_log(
    file: &CaptureSource,
    choice: &FormatChoice,
    key: &FingerprintKey,
    limits: Limits,
) -> Result<ServerLog, InputError> {
    let mut reader = LogReader::new(&file.name, choice.clone(), key);
    ingest::serverlog::stream(file, limits, &mut |bytes| reader.feed(bytes))?;
    reader.finish()
}

/// Reads every file of the `--server-log` paths (directories expanded), files in parallel.
/// Logs come back in path order; files that cannot be read, or are not logs, as errors.
pub fn read_server_logs(
    paths: &[PathBuf],
    choice: &FormatChoice,
    key: &FingerprintKey,
    limits: Limits,
) -> (Vec<Arc<ServerLog>>, Vec<InputError>) {
    let (files, mut errors) = ingest::serverlog::discover(paths);
    let results: Vec<Result<ServerLog, InputError>> = files
        .par_iter()
        .map(|f| read_server_log(f, choice, key, limits))
        .collect();
    let mut logs = Vec::new();
    for r in results {
        match r {
            Ok(log) => logs.push(Arc::new(log)),
            Err(e) => errors.push(e),
        }
    }
    (logs, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_logs_are_read_in_path_order_with_their_errors() {
        let dir = tempfile::tempdir().unwrap();
        let line = r#"{"time": "2026-11-28T03:06:37.043Z", "method": "GET", "path": "/a"}"#;
        for name in ["b.log", "a.log"] {
            std::fs::write(dir.path().join(name), format!("{line}\n")).unwrap();
        }
        std::fs::write(dir.path().join("c.har"), r#"{"log": {"entries": []}}"#).unwrap();
        let (logs, errors) = read_server_logs(
            &[dir.path().to_path_buf()],
            &FormatChoice::Auto,
            &FingerprintKey::from_passphrase("batch"),
            Limits::default(),
        );
        assert_eq!(logs.len(), 2);
        assert!(logs[0].source.ends_with("a.log"));
        assert!(logs[1].source.ends_with("b.log"));
        assert_eq!(errors.len(), 1);
        assert!(errors[0].source.ends_with("c.har"));
        assert!(errors[0].problem.contains("HAR capture"));
    }
}

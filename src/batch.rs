//! Running the pipeline: one capture, or many in parallel with a deterministic order.
//!
//! Owns `analyze_one` (read and normalize a capture, then the pure stages of `analysis`) and
//! `analyze_all` (rayon over captures, results in input order whatever the thread timing).
//! `sanitize_one` streams a capture through a `sanitize::Plan` into a writer. With `ingest`,
//! the only stage that touches files and threads; it must not render.

use rayon::prelude::*;

pub use crate::analysis::{Analysis, Settings, analyze_built};
use crate::error::{InputError, InputErrorKind, Location};
use crate::ingest::{self, CaptureSource};
use crate::normalize::{self, Builder};
use crate::sanitize;

/// Reads and normalizes one capture (without choosing profiles).
pub fn read_capture(
    source: &CaptureSource,
    settings: &Settings,
) -> Result<(Builder, ingest::LogMeta), InputError> {
    let mut builder = Builder::new();
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

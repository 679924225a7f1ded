//! Stage 1 — ingest: HAR bytes in, one parsed entry at a time out.
//!
//! Owns finding inputs (`source`), framing the document without building it in memory
//! (`scan`) and the lenient serde mirror of an entry (`har`). `read` drives the three: it
//! streams a capture, parses each entry frame with a caller-supplied `map` (which may run on
//! several threads) and hands the results to `fold` in file order. Damaged JSON inside an entry
//! becomes an `InputError` with the file position (or a skipped entry with `--partial`). It must
//! not interpret what entries mean: that is `normalize`.

pub mod har;
pub mod scan;
pub mod source;

pub use scan::{LogMeta, NameVersion};
pub use source::{CaptureSource, Input, Limits, discover};

use crate::error::{InputError, InputErrorKind, Location};
use har::{Entry, EntryProblem};

/// How to read a capture.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOptions {
    /// Analyze what is complete in a damaged file instead of failing.
    pub partial: bool,
    /// Size caps.
    pub limits: Limits,
}

/// The result of mapping one entry frame.
pub enum Parsed<T> {
    /// The entry was read and mapped.
    Entry(u32, T),
    /// The entry is valid JSON but not usable; the reason (never capture text).
    Unusable(u32, String),
}

/// Entries parsed per batch handed to `map` (bounded memory, room for parallelism).
const BATCH: usize = 256;

/// Reads one capture: calls `map` on each parsed entry (possibly in parallel), then `fold` on
/// each result in file order.
pub fn read<T, M, F>(
    source: &CaptureSource,
    options: ReadOptions,
    map: M,
    mut fold: F,
) -> Result<LogMeta, InputError>
where
    T: Send,
    M: Fn(u32, &Entry<'_>) -> T + Sync,
    F: FnMut(Parsed<T>),
{
    source.with_reader(options.limits, |reader| {
        let mut pending: Vec<scan::Frame> = Vec::with_capacity(BATCH);
        let mut damage: Option<InputError> = None;
        let mut skipped_damaged: Vec<(u32, String)> = Vec::new();
        let flush = |pending: &mut Vec<scan::Frame>,
                         damage: &mut Option<InputError>,
                         skipped: &mut Vec<(u32, String)>,
                         fold: &mut F| {
            let results = map_batch(pending, &map);
            for (frame, result) in pending.iter().zip(results) {
                match result {
                    Ok(t) => fold(Parsed::Entry(frame.index, t)),
                    Err(EntryProblem::Shape(reason)) => {
                        fold(Parsed::Unusable(frame.index, reason))
                    }
                    Err(EntryProblem::Syntax {
                        what: "a number out of range",
                        ..
                    }) => {
                        fold(Parsed::Unusable(
                            frame.index,
                            "entry holds a number out of range".into(),
                        ))
                    }
                    Err(EntryProblem::Syntax { line, column, what }) => {
                        let reason = format!("entry is not valid JSON ({what})");
                        if options.partial {
                            skipped.push((frame.index, reason.clone()));
                            fold(Parsed::Unusable(frame.index, reason));
                        } else if damage.is_none() {
                            let (l, c) = frame.file_position(line, column);
                            *damage = Some(InputError::new(
                                InputErrorKind::Syntax {
                                    complete: frame.index,
                                },
                                &source.name,
                                Some(Location::Entry {
                                    index: frame.index,
                                    line: l,
                                    column: c,
                                }),
                                format!("invalid JSON in entry {}: {what}", frame.index),
                                "the file is damaged here: re-export the capture, or pass --partial to skip this entry and analyze the others".to_string(),
                            ));
                        }
                    }
                }
            }
            pending.clear();
        };
        let meta = scan::scan(reader, &source.name, options.partial, &mut |frame| {
            if damage.is_some() {
                return;
            }
            pending.push(frame);
            if pending.len() >= BATCH {
                flush(&mut pending, &mut damage, &mut skipped_damaged, &mut fold);
            }
        });
        // a framing error wins over a damaged entry found earlier only if it came first
        if let Some(d) = damage {
            return Err(d);
        }
        let mut meta = meta?;
        flush(&mut pending, &mut damage, &mut skipped_damaged, &mut fold);
        if let Some(d) = damage {
            return Err(d);
        }
        if !skipped_damaged.is_empty() && meta.partial.is_none() {
            meta.partial = Some(format!(
                "{} damaged entries skipped (--partial)",
                skipped_damaged.len()
            ));
        }
        Ok(meta)
    })
}

fn map_batch<T: Send, M>(frames: &[scan::Frame], map: &M) -> Vec<Result<T, EntryProblem>>
where
    M: Fn(u32, &Entry<'_>) -> T + Sync,
{
    use rayon::prelude::*;
    let one = |f: &scan::Frame| har::parse_entry(&f.bytes).map(|e| map(f.index, &e));
    if frames.len() >= 32 {
        frames.par_iter().map(one).collect()
    } else {
        frames.iter().map(one).collect()
    }
}

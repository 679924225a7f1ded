//! Stage 1 — ingest: HAR bytes in, one parsed entry at a time out.
//!
//! Owns finding inputs (`source`), framing the document without building it in memory
//! (`scan`), the lenient serde mirror of an entry (`har`) and streaming server logs from disk
//! into their pure reader (`serverlog`). `read` drives the three: it
//! streams a capture, parses each entry frame with a caller-supplied `map` (which may run on
//! several threads) and hands the results to `fold` in file order. Damaged JSON inside an entry
//! becomes an `InputError` with the file position (or a skipped entry with `--partial`). It must
//! not interpret what entries mean: that is `normalize`.

pub mod har;
pub mod scan;
pub mod serverlog;
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

/// Reads one capture: calls `map` on each parsed entry (possibly in parallel) with its index,
/// its JSON text (strings over 64 KiB cut short) and its lenient parse, then `fold` on each
/// result in file order.
pub fn read<T, M, F>(
    source: &CaptureSource,
    options: ReadOptions,
    map: M,
    mut fold: F,
) -> Result<LogMeta, InputError>
where
    T: Send,
    M: Fn(u32, &[u8], &Entry<'_>) -> T + Sync,
    F: FnMut(Parsed<T>),
{
    source.with_reader(options.limits, |reader| {
        // the framer runs on its own thread and hands over batches, so framing and parsing
        // overlap; the bounded channel keeps memory at a few batches
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<scan::Frame>>(4);
        std::thread::scope(|scope| {
            let framer = scope.spawn(move || {
                let mut batch: Vec<scan::Frame> = Vec::with_capacity(BATCH);
                let mut open = true;
                let meta = scan::scan(reader, &source.name, options.partial, &mut |frame| {
                    if !open {
                        return;
                    }
                    batch.push(frame);
                    if batch.len() >= BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        // the receiver stops listening once the file is known to be damaged
                        open = tx.send(full).is_ok();
                    }
                });
                if open && !batch.is_empty() {
                    let _ = tx.send(batch);
                }
                meta
            });
            let mut damage: Option<InputError> = None;
            let mut skipped_damaged = 0usize;
            for batch in rx.iter() {
                let results = map_batch(&batch, &map);
                for (frame, result) in batch.iter().zip(results) {
                    match classify(frame, result, options.partial, &source.name) {
                        Outcome::Fold(p) => fold(p),
                        Outcome::Skipped(p) => {
                            skipped_damaged += 1;
                            fold(p)
                        }
                        Outcome::Damaged(e) => {
                            damage = Some(e);
                            break;
                        }
                    }
                }
                if damage.is_some() {
                    break; // dropping the receiver ends the framer early
                }
            }
            drop(rx);
            let meta = framer.join().unwrap_or_else(|_| {
                Err(InputError::new(
                    InputErrorKind::Io,
                    &source.name,
                    None,
                    "the reader stopped unexpectedly",
                    "try again; if it persists, report it with the capture's size and producer",
                ))
            });
            // damage inside an entry came before any later framing problem
            if let Some(d) = damage {
                return Err(d);
            }
            let mut meta = meta?;
            if skipped_damaged > 0 && meta.partial.is_none() {
                meta.partial = Some(format!(
                    "{} skipped (--partial)",
                    crate::model::plural(skipped_damaged as u64, "damaged entry")
                ));
            }
            Ok(meta)
        })
    })
}

/// What to do with one mapped frame.
enum Outcome<T> {
    /// Hand it to `fold`.
    Fold(Parsed<T>),
    /// A damaged entry skipped under `--partial` (also folded).
    Skipped(Parsed<T>),
    /// The file is damaged here.
    Damaged(InputError),
}

fn classify<T>(
    frame: &scan::Frame,
    result: Result<T, EntryProblem>,
    partial: bool,
    source: &str,
) -> Outcome<T> {
    match result {
        Ok(t) => Outcome::Fold(Parsed::Entry(frame.index, t)),
        Err(EntryProblem::Shape(reason)) => Outcome::Fold(Parsed::Unusable(frame.index, reason)),
        Err(EntryProblem::Syntax {
            what: "a number out of range",
            ..
        }) => Outcome::Fold(Parsed::Unusable(
            frame.index,
            "entry holds a number out of range".into(),
        )),
        Err(EntryProblem::Syntax { line, column, what }) => {
            if partial {
                return Outcome::Skipped(Parsed::Unusable(
                    frame.index,
                    format!("entry is not valid JSON ({what})"),
                ));
            }
            let (l, c) = frame.file_position(line, column);
            Outcome::Damaged(InputError::new(
                InputErrorKind::Syntax {
                    complete: frame.index,
                },
                source,
                Some(Location::Entry {
                    index: frame.index,
                    line: l,
                    column: c,
                }),
                format!("invalid JSON in entry {}: {what}", frame.index),
                "the file is damaged here: re-export the capture, or pass --partial to skip this entry and analyze the others",
            ))
        }
    }
}

fn map_batch<T: Send, M>(frames: &[scan::Frame], map: &M) -> Vec<Result<T, EntryProblem>>
where
    M: Fn(u32, &[u8], &Entry<'_>) -> T + Sync,
{
    use rayon::prelude::*;
    let one = |f: &scan::Frame| har::parse_entry(&f.bytes).map(|e| map(f.index, &f.bytes, &e));
    if frames.len() >= 32 {
        frames.par_iter().map(one).collect()
    } else {
        frames.iter().map(one).collect()
    }
}

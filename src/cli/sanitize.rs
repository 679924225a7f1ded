//! `why429 sanitize`: write a copy of a capture that is safe to post publicly.
//!
//! Owns choosing the output (a file written atomically, `.gz` compressed, or stdout), refusing
//! to overwrite the input, printing what was removed (counts by kind, never values) and
//! checking that the copy gives the same analysis as the original.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::batch::{self, SanitizeError};
use crate::ingest::{self, Input};
use crate::normalize::FingerprintKey;
use crate::render;
use crate::sanitize::{self, verify};

use super::common::{AnalysisArgs, InputArgs};
use super::{Failure, Outcome};

/// `sanitize` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    analysis: AnalysisArgs,
    /// Where to write the sanitized HAR (`-` for standard output; a `.gz` name compresses).
    #[arg(short, long, value_name = "OUTPUT")]
    output: PathBuf,
    /// Keep ids in paths as they are instead of replacing them with pseudonyms.
    #[arg(long)]
    keep_ids: bool,
    /// Skip checking that the sanitized capture gives the same analysis.
    #[arg(long)]
    no_verify: bool,
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Runs `sanitize`.
pub fn run(args: Args) -> Result<Outcome, Failure> {
    let read = args.input.read_options();
    let settings = args.analysis.settings(read)?;
    let inputs = args.input.inputs()?;
    let (sources, errors) = ingest::discover(&inputs, read.limits);
    if let Some(e) = errors.into_iter().next() {
        return Err(Failure(e.to_string()));
    }
    let source = match sources.as_slice() {
        [one] => one,
        [] => return Err(Failure("no capture found in the input".into())),
        many => {
            return Err(Failure(format!(
                "sanitize takes one capture, the input holds {}: extract the one to share",
                many.len()
            )));
        }
    };
    let to_stdout = args.output.as_os_str() == "-";
    if !to_stdout {
        // the capture chosen (a directory's only HAR, an archive) and every named input
        let named = inputs.iter().filter_map(|i| match i {
            Input::Path(p) => Some(p.as_path()),
            Input::Stdin(_) | Input::Spooled(_) => None,
        });
        if source
            .file()
            .into_iter()
            .chain(named)
            .any(|p| same_file(p, &args.output))
        {
            return Err(Failure(format!(
                "{}: the output is the input; choose another file name",
                render::plain(&args.output.display().to_string())
            )));
        }
    }
    let gz = args
        .output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    // stand-ins never use the fingerprint key of reports: a fresh key per copy
    let mut key = [0u8; 32];
    getrandom::fill(&mut key)
        .map_err(|_| Failure("no system randomness for the stand-ins' key".into()))?;
    let options = sanitize::Options {
        keep_ids: args.keep_ids,
        key: FingerprintKey(key),
    };

    // write into memory, then to its place: verification reads it back, and a half-written
    // file never replaces a good one
    let mut buffer = Vec::new();
    let result = if gz {
        let mut enc = flate2::write::GzEncoder::new(&mut buffer, flate2::Compression::default());
        let r = batch::sanitize_one(source, &settings, &options, &mut enc);
        enc.finish()
            .map_err(|e| Failure(format!("cannot compress: {}", e.kind())))?;
        r
    } else {
        batch::sanitize_one(source, &settings, &options, &mut buffer)
    };
    let bytes = Arc::new(buffer);
    let done = match result {
        Ok(d) => d,
        Err(SanitizeError::Input(e)) => return Err(Failure(e.to_string())),
        Err(SanitizeError::Output(e)) => {
            return Err(Failure(format!("cannot write output: {}", e.kind())));
        }
    };

    let mut differences = Vec::new();
    if !args.no_verify {
        let (copies, errs) = ingest::discover(&[Input::Stdin(bytes.clone())], read.limits);
        match (copies.first(), errs.first()) {
            (Some(copy), None) => match batch::analyze_one(copy, &settings) {
                Ok(again) => differences = verify::differences(&done.analysis, &again),
                Err(e) => differences.push(format!("the copy cannot be read back: {}", e.problem)),
            },
            (_, Some(e)) => {
                differences.push(format!("the copy cannot be read back: {}", e.problem))
            }
            (None, None) => differences.push("the copy holds no capture".into()),
        }
    }

    if to_stdout {
        // unlike a report, a copy cut short by a closed pipe is not a copy
        let mut out = std::io::stdout().lock();
        out.write_all(&bytes)
            .and_then(|_| out.flush())
            .map_err(|e| {
                Failure(format!(
                    "standard output closed before the copy was written ({})",
                    e.kind()
                ))
            })?;
    } else {
        write_atomically(&args.output, &bytes)?;
    }
    let c = &done.analysis.capture;
    let mut msg = format!(
        "why429: wrote {}: {} ({}, {} unusable)\n",
        if to_stdout {
            "standard output".to_string()
        } else {
            render::plain(&args.output.display().to_string())
        },
        render::plural(c.entries, "entry"),
        render::plural(c.requests.len() as u64, "request"),
        c.skipped.len()
    );
    if done.removed.0.is_empty() {
        msg.push_str("  nothing needed removing\n");
    } else {
        msg.push_str("  removed or replaced:\n");
        for (kind, n) in &done.removed.0 {
            msg.push_str(&format!("  {n:>9}  {}\n", kind.label_for(*n)));
        }
    }
    msg.push_str(
        "  kept: times, durations, methods, hosts, statuses, rate-limit numbers, Retry-After, \
         preflight markers\n",
    );
    if args.keep_ids {
        msg.push_str("  ids in paths were kept (--keep-ids): check them before posting\n");
    }
    let outcome = if args.no_verify {
        Outcome::Clean
    } else if differences.is_empty() {
        msg.push_str(&format!(
            "  verified: the copy gives the same analysis ({})\n",
            verify::compared(&done.analysis)
        ));
        Outcome::Clean
    } else {
        msg.push_str(&format!(
            "  warning: the copy analyzes differently: {}\n  \
             the copy is safe to share but may not show the same problem; please report this\n",
            differences.join("; ")
        ));
        Outcome::GateFailed
    };
    eprint!("{msg}");
    Ok(outcome)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let fail = |e: std::io::Error| {
        Failure(format!(
            "{}: cannot write: {}",
            render::plain(&path.display().to_string()),
            e.kind()
        ))
    };
    // a new file with a unique name, never following a link planted at a guessable name
    let mut tmp = tempfile::Builder::new()
        .prefix(".why429-")
        .suffix(".partial")
        .tempfile_in(&dir)
        .map_err(fail)?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

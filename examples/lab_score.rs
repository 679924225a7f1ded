//! Scores why429 on lab recordings against their expected answers (`<s>.expect.jsonl`).
//!
//! The accuracy tests score the committed labs with the same code; this scores any folder, e.g.
//! a batch just drawn by `scripts/lab/draw.sh`:
//!
//!     cargo run --release --example lab_score -- DIR [DIR ...] [--wrong N]
//!
//! Each recording (scenario × producer) is scored once with its own profile.

#[path = "../tests/integration/scoring.rs"]
mod scoring;

use std::path::PathBuf;
use std::sync::Arc;

use why429::batch::{self, Settings};
use why429::ingest::{self, Input, ReadOptions};
use why429::normalize::FingerprintKey;
use why429::profiles;

fn main() {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut wrong = 3usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--wrong" => wrong = args.next().and_then(|n| n.parse().ok()).unwrap_or(3),
            _ => dirs.push(PathBuf::from(a)),
        }
    }
    if dirs.is_empty() {
        eprintln!("usage: lab_score DIR [DIR ...] [--wrong N]");
        std::process::exit(2);
    }
    let mut scores = Vec::new();
    for dir in &dirs {
        for (scenario, producer, har, expect, profile) in scoring::recordings(dir) {
            let text = std::fs::read_to_string(&profile)
                .unwrap_or_else(|e| panic!("{}: {e}", profile.display()));
            let p = profiles::parse::parse(&profile.display().to_string(), &text)
                .unwrap_or_else(|e| panic!("{e}"));
            let settings = Settings {
                read: ReadOptions::default(),
                key: FingerprintKey::from_passphrase("lab score"),
                openapi: None,
                chosen: vec![p],
                builtins: profiles::builtin(),
                count_preflights: false,
                server_logs: Vec::new(),
                what_if: None,
            };
            let (sources, errors) =
                ingest::discover(&[Input::Path(har.clone())], settings.read.limits);
            if let Some(e) = errors.into_iter().next() {
                eprintln!("{e}");
                continue;
            }
            let a = match batch::analyze_one(&sources[0], &settings) {
                Ok(a) => a,
                Err(e) => {
                    eprintln!("{e}");
                    continue;
                }
            };
            let expected = scoring::expectations(&expect);
            scores.push(scoring::score(&scenario, &producer, &a, &expected));
        }
    }
    let _ = Arc::new(());
    print!("{}", scoring::report(&scores, wrong));
}

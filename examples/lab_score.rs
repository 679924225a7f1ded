//! Scores why429 on lab recordings against their expected answers (`<s>.expect.jsonl`).
//!
//! The accuracy tests score the committed labs with the same code; this scores any folder, e.g.
//! a batch just drawn by `scripts/lab/draw.sh`:
//!
//!     cargo run --release --example lab_score -- DIR [DIR ...] [--wrong N]
//!
//! Each recording (scenario × producer) is scored once with its own profile.

// each program uses a part of the shared scorer
#[allow(dead_code)]
#[path = "../tests/integration/scoring.rs"]
mod scoring;

use std::path::PathBuf;

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
        scores.extend(scoring::score_dir(dir, &Default::default()));
    }
    print!("{}", scoring::report(&scores, wrong));
}

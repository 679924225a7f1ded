//! Ablation: what each diagnosis rule adds, measured on the labs.
//!
//! Scores every lab recording with all rules, then once with each refutation rule and each
//! preference rule switched off, and prints the change in right causes (macro), right layers
//! and right kinds. A rule that changes nothing on any lab is a candidate for removal; one
//! whose removal helps is suspect.
//!
//!     cargo run --release --example ablation -- [DIR ...]     (default: the committed labs)

// each program uses a part of the shared scorer
#[allow(dead_code)]
#[path = "../tests/integration/scoring.rs"]
mod scoring;

use std::path::PathBuf;

use why429::diagnose::{Preference, Refutation, Rules};

fn rate((total, right): (usize, usize)) -> f64 {
    if total == 0 {
        1.0
    } else {
        right as f64 / total as f64
    }
}

fn measure(dirs: &[PathBuf], rules: &Rules) -> (f64, f64, f64, f64) {
    let mut scores = Vec::new();
    for d in dirs {
        scores.extend(scoring::score_dir(d, rules));
    }
    let m = scoring::summarize(&scores);
    (
        m.macro_cause,
        rate(m.visible),
        rate(m.hidden),
        rate(m.undocumented),
    )
}

fn main() {
    let mut dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        dirs = vec![root.join("lab"), root.join("lab-gateway")];
    }
    let all = measure(&dirs, &Rules::default());
    let pct = |x: f64| format!("{:.1} %", 100.0 * x);
    let delta = |x: f64, y: f64| format!("{:+.1}", 100.0 * (x - y));
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>9}",
        "rule switched off", "causes", "visible", "hidden", "kinds"
    );
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>9}",
        "(none)",
        pct(all.0),
        pct(all.1),
        pct(all.2),
        pct(all.3)
    );
    let mut rows: Vec<(String, Rules)> = Refutation::RULES
        .iter()
        .map(|r| {
            (
                format!("refute: {r}"),
                Rules {
                    off_refutations: vec![r],
                    ..Rules::default()
                },
            )
        })
        .collect();
    rows.extend(Preference::ALL.iter().map(|p| {
        (
            format!("prefer: {}", p.rule()),
            Rules {
                off_preferences: vec![*p],
                ..Rules::default()
            },
        )
    }));
    for (name, rules) in rows {
        let m = measure(&dirs, &rules);
        println!(
            "{:<34} {:>9} {:>9} {:>9} {:>9}",
            name,
            delta(m.0, all.0),
            delta(m.1, all.1),
            delta(m.2, all.2),
            delta(m.3, all.3)
        );
    }
}

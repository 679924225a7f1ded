//! Accuracy against server-side truth: every throttle of every lab recording is scored against
//! the answer its lab computed from the server's own log (`<s>.expect.jsonl`).
//!
//! Two labs: `fixtures/lab` (a Genesys-style API with layered windows and concurrency) and
//! `fixtures/lab-gateway` (real nginx `limit_req`/`limit_conn` and a governor GCRA decided
//! every throttle). Each recording (scenario × producer: Playwright, chrome-har, DevTools-style
//! sanitized) counts once. The floors are the project's accuracy bar: right causes on at least
//! 97 % macro over recordings and 80 % in every scenario, the right layer on 99 % of
//! visible-traffic and 95 % of hidden-traffic throttles, the right kind on 95 % of undocumented
//! ones, and 95 % of causes on sanitized recordings.

use std::path::Path;

use super::scoring::{self, Score};
use super::support;

fn score_lab(dir: &Path) -> Vec<Score> {
    let mut scores = Vec::new();
    for (scenario, producer, har, expect, profile) in scoring::recordings(dir) {
        let settings = support::settings(vec![support::profile(&profile)]);
        let a =
            support::analyze(&har, &settings).unwrap_or_else(|e| panic!("{}: {e}", har.display()));
        scores.push(scoring::score(
            &scenario,
            &producer,
            &a,
            &scoring::expectations(&expect),
        ));
    }
    scores
}

fn rate((total, right): (usize, usize)) -> f64 {
    if total == 0 {
        1.0
    } else {
        right as f64 / total as f64
    }
}

fn assert_floors(name: &str, scores: &[Score]) {
    let report = scoring::report(scores, 4);
    println!("{name}:\n{report}");
    let m = scoring::summarize(scores);
    assert!(m.recordings > 0, "{name}: no recording with throttles");
    assert!(
        m.macro_cause >= 0.97,
        "{name}: fewer than 97 % right causes (macro):\n{report}"
    );
    assert!(
        m.worst_scenario.1 >= 0.80,
        "{name}: a scenario under 80 % right causes:\n{report}"
    );
    assert!(
        rate(m.visible) >= 0.99,
        "{name}: visible-traffic layers under 99 %:\n{report}"
    );
    assert!(
        rate(m.hidden) >= 0.95,
        "{name}: hidden-traffic layers under 95 %:\n{report}"
    );
    assert!(
        rate(m.undocumented) >= 0.95,
        "{name}: undocumented kinds under 95 %:\n{report}"
    );
    assert!(
        m.sanitized_cause >= 0.95,
        "{name}: sanitized recordings under 95 % right causes:\n{report}"
    );
}

#[test]
fn layered_lab_throttles_are_explained_like_the_server_says() {
    assert_floors("fixtures/lab", &score_lab(&support::fixtures().join("lab")));
}

#[test]
fn real_limiter_throttles_are_explained_like_the_limiter_says() {
    assert_floors(
        "fixtures/lab-gateway",
        &score_lab(&support::fixtures().join("lab-gateway")),
    );
}

#[test]
fn every_throttle_the_server_logged_for_the_browser_is_in_every_recording() {
    for dir in ["lab", "lab-gateway"] {
        for s in score_lab(&support::fixtures().join(dir)) {
            assert!(
                !s.wrong.iter().any(|w| w.contains("were not found")),
                "{dir}/{}.{}: {:?}",
                s.scenario,
                s.producer,
                s.wrong
            );
        }
    }
}

//! A spent counter without a window states how many, not of what: the capture tells whether
//! it counts requests in flight (its own count in flight splits the throttles at that number,
//! and the waits the server states stay steady) or requests in a span of time (the waits count
//! down as the span frees).

use serde_json::Value;
use why429::batch::Analysis;
use why429::diagnose::{Cause, LimitKind};

use super::support::{self, Entry};

/// One generous documented layer, which the capture never comes near.
const PROFILE: &str = r#"
name = "generous"
hosts = ["api.example.test"]
[[layer]]
name = "per.user"
limit = 1000
window = "60s"
per = ["user"]
"#;

/// A POST at `ms` taking `took` ms, answered `status`; a throttle reports a spent counter of 1
/// and Retry-After `wait` seconds.
fn entry(ms: u64, took: u64, status: u16, wait: u64) -> Value {
    let e = Entry::new(ms, "/v1/reports")
        .method("POST")
        .took(took)
        .status(status);
    if status != 429 {
        return e.json();
    }
    e.header("x-ratelimit-limit", 1)
        .header("x-ratelimit-remaining", 0)
        .header("retry-after", wait)
        .json()
}

/// Six rounds: a 2 s report admitted, then four attempts while it runs, refused with the
/// Retry-After `wait(k)` gives the k-th of them.
fn analyze(wait: impl Fn(u64) -> u64) -> Analysis {
    let mut entries = Vec::new();
    for round in 0..6u64 {
        let start = round * 2600;
        entries.push(entry(start, 2000, 200, 0));
        for k in 0..4 {
            entries.push(entry(start + 300 + k * 400, 5, 429, wait(k)));
        }
    }
    support::analyze_entries("stated-kind", entries, PROFILE)
}

fn kinds(a: &Analysis) -> Vec<Option<LimitKind>> {
    let throttles = &a.diagnosis.throttles;
    assert_eq!(throttles.len(), 24);
    assert!(
        throttles
            .iter()
            .all(|t| t.cause() == Cause::UndocumentedLimit),
        "{:?}",
        throttles.iter().map(|t| t.cause()).collect::<Vec<_>>()
    );
    throttles.iter().map(|t| t.kind()).collect()
}

#[test]
fn a_counter_of_one_that_refuses_while_a_request_runs_counts_requests_in_flight() {
    let a = analyze(|_| 1);
    assert!(
        kinds(&a).iter().all(|k| *k == Some(LimitKind::Concurrency)),
        "{:?}",
        kinds(&a)
    );
    // the evidence says what the capture shows: the split by the count in flight
    let t = &a.diagnosis.throttles[0];
    let evidence = support::evidence(&a, t).join(" ");
    assert!(
        evidence.contains("in flight with a request splits"),
        "{evidence}"
    );
}

#[test]
fn waits_counting_down_are_a_clock_s_not_requests_in_flight() {
    // 4, 3, 2, 1 s, 400 ms apart: a wait counting down, as a window's or a penalty's does;
    // read by the longest wait as before: a few seconds, a burst limit
    let a = analyze(|k| 4 - k);
    assert!(
        kinds(&a).iter().all(|k| *k == Some(LimitKind::Burst)),
        "{:?}",
        kinds(&a)
    );
}

//! A Retry-After that stands still is a constant the server sends: its length says nothing
//! about the window of the layer that refused, so it rules no layer out. One that counts down
//! inside itself is a clock, and a wait longer than a layer can ask for rules that layer out.
//! A wait nothing shows to be either leaves a layer the capture's own requests exceed.

use serde_json::Value;
use why429::batch::Analysis;
use why429::diagnose::Cause;

use super::support::{self, Entry};

/// Five requests per 10 s per user, documented.
const PROFILE: &str = r#"
name = "five-per-ten"
hosts = ["api.example.test"]
[[layer]]
name = "per.user"
limit = 5
window = "10s"
per = ["user"]
"#;

/// Four rounds 12 s apart: five requests admitted in the first 400 ms, then three throttles
/// 3.5 s apart with the Retry-After `wait` gives at their millisecond (all longer than 10 s).
fn analyze(wait: impl Fn(u64) -> u64) -> Analysis {
    analyze_apart((12_000, 3500), wait)
}

/// The same, the rounds and each round's throttles `(round, gap)` ms apart.
fn analyze_apart((round_ms, gap): (u64, u64), wait: impl Fn(u64) -> u64) -> Analysis {
    let mut entries: Vec<Value> = Vec::new();
    for round in 0..4u64 {
        let start = round * round_ms;
        for k in 0..5 {
            entries.push(Entry::new(start + k * 100, "/v1/items").json());
        }
        for k in 0..3 {
            let ms = start + 1000 + k * gap;
            entries.push(
                Entry::new(ms, "/v1/items")
                    .status(429)
                    .header("retry-after", wait(ms))
                    .json(),
            );
        }
    }
    support::analyze_entries("still-wait", entries, PROFILE)
}

fn causes(a: &Analysis) -> Vec<Cause> {
    assert_eq!(a.diagnosis.throttles.len(), 12);
    a.diagnosis.throttles.iter().map(|t| t.cause()).collect()
}

#[test]
fn a_constant_wait_longer_than_the_window_leaves_the_layer_the_capture_fills() {
    let a = analyze(|_| 30);
    assert!(
        causes(&a).iter().all(|c| *c == Cause::VisibleTraffic),
        "{:?}",
        causes(&a)
    );
    assert!(a.diagnosis.throttles.iter().all(|t| t.layer() == Some(0)));
}

#[test]
fn a_wait_counting_down_past_the_window_rules_the_layer_out() {
    // a clock running to one instant a minute in, in whole seconds rounded up
    let a = analyze(|ms| (60_000 - ms).div_ceil(1000));
    assert!(
        causes(&a).iter().all(|c| *c != Cause::VisibleTraffic),
        "{:?}",
        causes(&a)
    );
}

#[test]
fn a_long_wait_nothing_shows_to_be_a_clock_leaves_the_layer_the_capture_exceeds() {
    // a 12 s wait, rounds 15 s apart and each round's throttles 50 ms apart: no two throttles
    // inside one wait are far enough apart to show it standing still, and it does not count
    // down; the capture's own five requests fill the layer at every throttle
    let a = analyze_apart((15_000, 50), |_| 12);
    assert!(
        causes(&a).iter().all(|c| *c == Cause::VisibleTraffic),
        "{:?}",
        causes(&a)
    );
    assert!(a.diagnosis.throttles.iter().all(|t| t.layer() == Some(0)));
}

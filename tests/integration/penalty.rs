//! A documented penalty refuses every request of the partition for its length after the layer
//! refuses one, whatever the count: a counter with room on a throttle inside the penalty does
//! not rule the layer out; without a documented penalty it does.

use serde_json::Value;
use why429::batch::Analysis;
use why429::diagnose::Cause;

use super::support::{self, Entry};

/// Five requests per 10 s per user; `penalty` appended to the layer.
fn profile(penalty: &str) -> String {
    format!(
        r#"
name = "five-per-ten"
hosts = ["api.example.test"]
[[layer]]
name = "per.user"
limit = 5
window = "10s"
per = ["user"]
{penalty}
"#
    )
}

/// A request at `ms` whose response reports the layer's counter with `remaining` left.
fn entry(ms: u64, status: u16, remaining: u64) -> Value {
    let e = Entry::new(ms, "/v1/items")
        .status(status)
        .header("x-ratelimit-limit", 5)
        .header("x-ratelimit-remaining", remaining);
    if status == 429 {
        e.header("retry-after", 5).json()
    } else {
        e.json()
    }
}

/// Two admitted requests, then a throttle with `first` remaining on the counter (0: traffic
/// from elsewhere filled the layer), then throttles 2 and 4 s later whose counter has room.
fn analyze_with(penalty: &str, first: u64) -> Analysis {
    let entries = vec![
        entry(0, 200, 4),
        entry(500, 200, 3),
        entry(1000, 429, first),
        entry(3000, 429, 2),
        entry(5000, 429, 2),
    ];
    support::analyze_entries("penalty", entries, &profile(penalty))
}

fn analyze(penalty: &str) -> Analysis {
    analyze_with(penalty, 0)
}

fn causes(a: &Analysis) -> Vec<(Cause, Option<usize>)> {
    a.diagnosis
        .throttles
        .iter()
        .map(|t| (t.cause(), t.layer()))
        .collect()
}

#[test]
fn a_counter_with_room_inside_a_documented_penalty_leaves_the_layer_in() {
    let a = analyze(r#"penalty = "20s""#);
    let c = causes(&a);
    assert_eq!(c.len(), 3);
    assert!(
        c.iter()
            .all(|&(cause, layer)| cause == Cause::HiddenTraffic && layer == Some(0)),
        "{c:?}"
    );
}

#[test]
fn a_counter_with_room_rules_out_a_layer_without_a_penalty() {
    let a = analyze("");
    let c = causes(&a);
    assert_eq!(c[0], (Cause::HiddenTraffic, Some(0)), "{c:?}");
    assert!(c[1..].iter().all(|&(_, layer)| layer.is_none()), "{c:?}");
}

#[test]
fn a_counter_with_room_after_the_penalty_has_passed_rules_the_layer_out_again() {
    // a 3 s penalty from the throttle at 1 s covers the one at 3 s, not the one at 5 s
    let a = analyze(r#"penalty = "3s""#);
    let c = causes(&a);
    assert_eq!(c[1], (Cause::HiddenTraffic, Some(0)), "{c:?}");
    assert_eq!(c[2].1, None, "{c:?}");
}

#[test]
fn a_throttle_refused_while_the_layer_had_room_opens_no_penalty() {
    // the first throttle's counter has room too: another limit refused it
    let a = analyze_with(r#"penalty = "20s""#, 2);
    let c = causes(&a);
    assert!(c.iter().all(|&(_, layer)| layer.is_none()), "{c:?}");
}

//! A layer whose documentation is silent on refused attempts: the server's counters on later
//! successes say whether it charged them — a count below the capture's own attempts means it
//! did not (traffic from elsewhere only adds) — and nothing is concluded otherwise.

use serde_json::Value;
use why429::batch::Analysis;
use why429::diagnose::findings::FindingKind;

use super::support::{self, Entry};

/// 5 requests per 10 s per user; the documentation does not say whether refusals count.
const PROFILE: &str = r#"
name = "silent"
hosts = ["api.example.test"]
[[layer]]
name = "per.user"
limit = 5
window = "10s"
per = ["user"]
"#;

/// A GET at `ms` answered `status`, its response reporting `used` of 5.
fn entry(ms: u64, status: u16, used: u64) -> Value {
    Entry::new(ms, "/v1/items")
        .status(status)
        .header("x-ratelimit-limit", 5)
        .header("x-ratelimit-remaining", 5u64.saturating_sub(used))
        .header("x-ratelimit-used", used)
        .json()
}

/// Five successes a second apart, three refused attempts, then three successes once the first
/// leaves the window, whose counters report `later` (for each of them).
fn analyze(later: u64) -> Analysis {
    let mut entries: Vec<Value> = (0..5).map(|k| entry(k * 1000, 200, k + 1)).collect();
    entries.extend([4500, 5000, 5500].map(|ms| entry(ms, 429, 5)));
    entries.extend([10_100, 11_100, 12_100].map(|ms| entry(ms, 200, later)));
    support::analyze_entries("silent", entries, PROFILE)
}

fn uncounted(a: &Analysis) -> bool {
    a.diagnosis
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::RefusalsUncounted)
}

#[test]
fn a_count_below_the_capture_s_own_attempts_shows_refusals_are_not_charged() {
    // the window then holds 4 admitted requests and the 3 refused ones: the server counts 5
    // with the new request, not 8
    let a = analyze(5);
    let layer = &a.profiles[0].layers[0];
    assert_eq!(layer.count_rejected, Some(false));
    assert_eq!(layer.refusals_read, Some((3, 3)));
    assert!(uncounted(&a), "{:?}", a.diagnosis.findings);
}

#[test]
fn a_count_that_holds_the_refusals_concludes_nothing() {
    // 8: the refusals were charged — or traffic from elsewhere filled the same room
    let a = analyze(8);
    assert_eq!(a.profiles[0].layers[0].count_rejected, None);
    assert!(!uncounted(&a));
}

#[test]
fn a_count_below_the_admitted_requests_says_nothing_of_refusals() {
    // 2: fewer than even the 4 admitted requests the window holds — the server's window is not
    // the replay's (another anchor or partition), which says nothing of how it counts refusals
    let a = analyze(2);
    assert_eq!(a.profiles[0].layers[0].count_rejected, None);
    assert!(!uncounted(&a));
}

//! Users behind tokens that name none: the server's counters tell them apart, and the 429 is
//! explained on each user's own traffic.

use serde_json::Value;
use why429::diagnose::Cause;

use super::support::{self, Entry};

const PROFILE: &str = r#"
name = "two-users"
hosts = ["api.example.test"]
[[layer]]
name = "per.user"
limit = 20
window = "60s"
per = ["user"]
"#;

/// A request of `token` at `ms`, answered `status` with the per-user counter at `count`.
fn entry(ms: u64, token: &str, status: u16, count: u64) -> Value {
    Entry::new(ms, "/v1/items")
        .token(token)
        .status(status)
        .header("x-ratelimit-limit", 20)
        .header("x-ratelimit-remaining", 20u64.saturating_sub(count))
        .json()
}

#[test]
fn a_second_user_throttled_by_traffic_from_elsewhere_is_not_blamed_on_the_first() {
    // two opaque tokens take turns for 15 s; the server counts each apart, and the second
    // user's counter also holds 5 requests from outside the capture: its 16th request is
    // refused with 15 of its own in the window
    let mut entries = Vec::new();
    for k in 0..15u64 {
        entries.push(entry(k * 1000, "opaque-token-a", 200, k + 1));
        entries.push(entry(k * 1000 + 500, "opaque-token-b", 200, k + 6));
    }
    entries.push(entry(15_500, "opaque-token-b", 429, 21));
    let a = support::analyze_entries("two-users", entries, PROFILE);

    assert_eq!(a.capture.users.len(), 2);
    let told = a.capture.users_told_apart.as_ref().expect("told apart");
    assert_eq!(told.layer, "per.user");
    let finding = a
        .diagnosis
        .findings
        .iter()
        .find(|f| f.kind.as_str() == "users-told-apart")
        .expect("a finding says so");
    assert!(
        finding
            .message
            .contains("user-1 (client-1), user-2 (client-2)"),
        "{}",
        finding.message
    );
    // as one user the 30 requests would fill the budget of 20; as the server counts, the
    // second user's 15 leave room for 5 more: traffic from elsewhere filled it
    let [t] = &a.diagnosis.throttles[..] else {
        panic!("one throttle")
    };
    assert_eq!(t.cause(), Cause::HiddenTraffic);
}

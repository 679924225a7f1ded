//! Users behind tokens that name none: the server's counters tell them apart, and the 429 is
//! explained on each user's own traffic.

use serde_json::{Value, json};
use why429::diagnose::Cause;

use super::support;

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
    json!({
        "startedDateTime": format!("2026-03-02T10:00:{:02}.{:03}Z", ms / 1000, ms % 1000),
        "time": 20,
        "request": {
            "method": "GET", "url": "https://api.example.test/v1/items", "httpVersion": "HTTP/2",
            "headers": [{"name": "authorization", "value": format!("Bearer {token}")}],
            "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0
        },
        "response": {
            "status": status, "statusText": "", "httpVersion": "HTTP/2",
            "headers": [
                {"name": "x-ratelimit-limit", "value": "20"},
                {"name": "x-ratelimit-remaining", "value": 20u64.saturating_sub(count).to_string()}
            ],
            "cookies": [], "content": {"size": 0, "mimeType": "application/json", "text": "{}"},
            "redirectURL": "", "headersSize": -1, "bodySize": 0
        },
        "cache": {},
        "timings": {"send": 0, "wait": 20, "receive": 0}
    })
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
    let har = json!({"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "entries": entries}});
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two-users.har");
    std::fs::write(&path, serde_json::to_vec(&har).unwrap()).unwrap();
    let profile = why429::profiles::parse::parse("two-users.toml", PROFILE).unwrap();
    let a = support::analyze(&path, &support::settings(vec![profile])).unwrap();

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

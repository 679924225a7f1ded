//! A throttle of an API the profile documents that no documented layer counts was refused by a
//! limit the documentation does not state; without a profile for the API the capture cannot
//! tell what refused it.

use why429::batch::Analysis;
use why429::diagnose::Cause;
use why429::diagnose::rank::Reason;

use super::support::{self, Entry};

/// The profile documents one limit on writes only; `host` is the host it covers.
fn profile(host: &str) -> String {
    format!(
        r#"
name = "writes-only"
hosts = ["{host}"]
[[layer]]
name = "writes"
limit = 100
window = "60s"
per = ["user"]
method = "POST"
"#
    )
}

/// Reads, the last two refused.
fn analyze(host: &str) -> Analysis {
    let entries = (0..6u64)
        .map(|k| {
            Entry::new(k * 200, "/v1/items")
                .status(if k >= 4 { 429 } else { 200 })
                .json()
        })
        .collect();
    support::analyze_entries("uncounted", entries, &profile(host))
}

#[test]
fn a_throttle_no_documented_layer_counts_is_an_undocumented_limit() {
    let a = analyze("api.example.test");
    let throttles = &a.diagnosis.throttles;
    assert_eq!(throttles.len(), 2);
    for t in throttles {
        assert_eq!(t.cause(), Cause::UndocumentedLimit, "{:?}", t.explanation);
        assert_eq!(t.confidence.reason, Reason::NoDocumentedLayer);
    }
}

#[test]
fn without_documentation_for_the_api_the_cause_stays_unknown() {
    let a = analyze("other.example.test");
    let throttles = &a.diagnosis.throttles;
    assert_eq!(throttles.len(), 2);
    assert!(throttles.iter().all(|t| t.cause() == Cause::Unknown));
}

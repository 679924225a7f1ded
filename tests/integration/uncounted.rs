//! A throttle of an API the profile documents that no documented layer counts by its method or
//! path was refused by a limit the documentation does not state; without a profile for the
//! API, or where a layer leaves it out only for what the capture may not show, the capture
//! cannot tell what refused it.

use why429::batch::Analysis;
use why429::diagnose::rank::{Level, Reason};
use why429::diagnose::{Cause, LimitKind};

use super::support::{self, Entry};

/// One documented limit on writes; `host` is the host the profile covers, `more` more layers.
fn profile(host: &str, more: &str) -> String {
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
{more}
"#
    )
}

/// Reads, the last two refused with a 2 s wait.
fn analyze(host: &str, more: &str) -> Analysis {
    let entries = (0..6u64)
        .map(|k| {
            let e = Entry::new(k * 200, "/v1/items");
            if k >= 4 {
                e.status(429).header("retry-after", 2).json()
            } else {
                e.json()
            }
        })
        .collect();
    support::analyze_entries("uncounted", entries, &profile(host, more))
}

#[test]
fn a_throttle_no_documented_layer_counts_is_an_undocumented_limit() {
    let a = analyze("api.example.test", "");
    let throttles = &a.diagnosis.throttles;
    assert_eq!(throttles.len(), 2);
    for t in throttles {
        assert_eq!(t.cause(), Cause::UndocumentedLimit, "{:?}", t.explanation);
        assert_eq!(t.confidence.reason, Reason::NoDocumentedLayer);
        assert_eq!(t.confidence.level, Level::Low);
        // a 2 s wait is a short window's
        assert_eq!(t.kind(), Some(LimitKind::Burst));
    }
}

#[test]
fn without_documentation_for_the_api_the_cause_stays_unknown() {
    let a = analyze("other.example.test", "");
    let throttles = &a.diagnosis.throttles;
    assert_eq!(throttles.len(), 2);
    assert!(throttles.iter().all(|t| t.cause() == Cause::Unknown));
}

#[test]
fn a_layer_leaving_it_out_for_what_the_capture_may_not_show_leaves_it_unknown() {
    // reads of pages of up to 25, and the capture's reads name no page size
    let pages = r#"
[[layer]]
name = "small.pages"
limit = 10
window = "60s"
per = ["user"]
method = "GET"
page_size = [1, 25]
"#;
    let a = analyze("api.example.test", pages);
    let throttles = &a.diagnosis.throttles;
    assert_eq!(throttles.len(), 2);
    assert!(
        throttles.iter().all(|t| t.cause() == Cause::Unknown),
        "{:?}",
        throttles.iter().map(|t| t.explanation).collect::<Vec<_>>()
    );
}

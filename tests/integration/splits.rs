//! A split of a caller's throttles from its successes by how busy the caller was is no
//! evidence of an undocumented limit when the throttles all fall on the requests one documented
//! layer counts: that layer's own requests split them as cleanly.

use serde_json::Value;
use why429::batch::Analysis;
use why429::diagnose::Cause;

use super::support::{self, Entry};

/// Documented: POSTs to /v1/jobs, 5 per 10 s per user; nothing else is limited.
const PROFILE: &str = r#"
name = "jobs"
hosts = ["api.example.test"]
[[layer]]
name = "jobs.post"
limit = 5
window = "10s"
per = ["user"]
method = "POST"
template = "/v1/jobs"
"#;

/// A GET of an item (answered 200) or a POST of a job (answered 429) at `ms`.
fn entry(ms: u64, post: bool) -> Value {
    if post {
        Entry::new(ms, "/v1/jobs").method("POST").status(429).json()
    } else {
        Entry::new(ms, format!("/v1/items/{}", ms % 5)).json()
    }
}

fn analyze() -> Analysis {
    // six bursts of three item GETs then two job POSTs (all refused), between quiet GETs: the
    // POSTs come with 3 admitted GETs within a second, except the first, which comes after two
    let mut entries = Vec::new();
    for b in 0..6u64 {
        let t = b * 6000;
        let posts: &[u64] = if b == 0 { &[60, 120] } else { &[90, 120] };
        for k in 0..5u64 {
            entries.push(entry(t + 30 * k, posts.contains(&(30 * k))));
        }
        entries.push(entry(t + 3000, false));
    }
    support::analyze_entries("jobs", entries, PROFILE)
}

#[test]
fn throttles_that_all_fall_on_one_layer_s_requests_are_that_layer_s() {
    let a = analyze();
    assert_eq!(a.diagnosis.throttles.len(), 12);
    let names = why429::diagnose::prose::Names::new(&a.capture, &a.profiles, &a.evaluation);
    for t in &a.diagnosis.throttles {
        let r = &a.capture.requests[t.request as usize];
        assert_eq!(t.cause(), Cause::HiddenTraffic, "{:?}", t.explanation);
        // the busy-caller split was weighed and answered by the layer's own requests
        let against: Vec<String> = t
            .ranked
            .iter()
            .flat_map(|alt| alt.candidate.against.iter())
            .map(|s| why429::diagnose::prose::signal(&names, s, r))
            .collect();
        assert!(
            against
                .iter()
                .any(|s| s.contains("jobs.post counts 12 of the 12 throttles")),
            "{against:?} {:?}",
            t.ranked
                .iter()
                .map(|x| (&x.candidate.explanation, x.below_because))
                .collect::<Vec<_>>()
        );
    }
}

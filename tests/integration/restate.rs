//! A documented layer whose budget the server states in other numbers: the capture is replayed
//! with the server's budget, and a 429 is explained by it — hidden traffic where the capture
//! cannot reach it, an undocumented limit where only the server's budget (not the documented
//! one) is reached — unless the capture refutes the statement.

use serde_json::{Value, json};
use why429::batch::Analysis;
use why429::diagnose::findings::FindingKind;
use why429::diagnose::{Cause, Explanation, Throttle};
use why429::model::time;

use super::support::{self, Entry};

/// Documented: 10 requests per 10 s per user.
const PROFILE: &str = r#"
name = "stated"
hosts = ["api.example.test"]
[[layer]]
name = "per.user"
limit = 10
window = "10s"
per = ["user"]
"#;

/// The server's own account of the budget: 4 requests per 10 s.
const STATES_4: &str = r#"{"message":"Rate limit exceeded the maximum [4] requests within [10] seconds","code":"too.many.requests","status":429}"#;

/// A GET at `ms` answered `status` (a 429 with `STATES_4`), with `headers` on the response.
fn entry(ms: u64, status: u16, headers: &[(&str, &str)]) -> Value {
    let text = if status == 429 { STATES_4 } else { "{}" };
    let mut e = Entry::new(ms, format!("/v1/items/{}", ms % 7))
        .status(status)
        .text(text);
    for (name, value) in headers {
        e = e.header(name, value);
    }
    e.header("content-type", "application/json").json()
}

/// Successes at these milliseconds, then a 429 at `throttle_ms`.
fn capture(successes: &[u64], throttle_ms: u64) -> Vec<Value> {
    let mut e: Vec<Value> = successes.iter().map(|&ms| entry(ms, 200, &[])).collect();
    e.push(entry(throttle_ms, 429, &[]));
    e
}

fn analyze(entries: Vec<Value>) -> Analysis {
    support::analyze_entries("stated", entries, PROFILE)
}

fn evidence(a: &Analysis, t: &Throttle) -> Vec<String> {
    support::evidence(a, t)
}

fn restated(a: &Analysis) -> bool {
    a.diagnosis
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::BudgetRestated)
}

#[test]
fn a_budget_the_capture_cannot_reach_is_filled_from_elsewhere_on_the_restated_layer() {
    // two of the capture's requests in the window: not 4, let alone 10
    let a = analyze(capture(&[0, 1000], 2000));
    assert!(restated(&a), "{:?}", a.diagnosis.findings);
    assert_eq!(
        a.profiles[0].layers[0].limit(),
        4,
        "replayed with the server's budget"
    );
    assert_eq!(
        a.profiles[0].layers[0].restated.map(|r| r.documented),
        Some(10)
    );
    let t = &a.diagnosis.throttles[0];
    assert_eq!(t.cause(), Cause::HiddenTraffic, "{:?}", evidence(&a, t));
    match t.explanation {
        Explanation::Hidden { at_least, .. } => {
            assert_eq!(at_least, 2, "4 stated, 2 in the capture")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        evidence(&a, t)
            .iter()
            .any(|e| e.contains("states the budget of per.user as 4 / 10 s")
                && e.contains("documentation gives 10")),
        "{:?}",
        evidence(&a, t)
    );
    // the report shows both budgets
    let report = why429::report::build(&a, Default::default());
    let layer = &report.layers[0];
    assert_eq!((layer.limit, layer.documented_limit), (4, Some(10)));
    assert_eq!(layer.budget_label, "4 / 10 s (documented 10)");
}

#[test]
fn a_budget_the_capture_reaches_only_as_stated_is_an_undocumented_limit() {
    // four admitted requests in the window: the server's 4 refuse the fifth, the documented 10
    // would not
    let a = analyze(capture(&[0, 500, 1000, 1500], 2000));
    assert!(restated(&a));
    let t = &a.diagnosis.throttles[0];
    assert_eq!(t.cause(), Cause::UndocumentedLimit, "{:?}", evidence(&a, t));
    assert_eq!(
        (t.limit, t.window),
        (Some(4), Some(10 * time::SECOND)),
        "in the server's numbers"
    );
    let e = evidence(&a, t);
    assert!(
        e.iter()
            .any(|s| s.contains("body states a limit of 4 requests within 10 s")),
        "{e:?}"
    );
    assert!(
        e.iter().any(|s| s.contains("documentation gives 10")),
        "{e:?}"
    );
    assert!(
        !e.iter().any(|s| s.contains("at least 0")),
        "the replay reaches it: {e:?}"
    );
}

#[test]
fn a_looser_stated_budget_restates_nothing() {
    // "20 within 10 s" against a documented 10: what the server admitted cannot contradict a
    // looser budget, so the documentation stands
    let mut e = capture(&[0, 1000], 2000);
    let last = e.last_mut().unwrap();
    last["response"]["content"]["text"] = json!(
        r#"{"message":"Rate limit exceeded the maximum [20] requests within [10] seconds","code":"too.many.requests","status":429}"#
    );
    let a = analyze(e);
    assert!(!restated(&a), "{:?}", a.diagnosis.findings);
    assert_eq!(a.profiles[0].layers[0].limit(), 10);
}

#[test]
fn a_counter_with_the_layer_s_window_restates_it_too() {
    // draft RateLimit headers on the successes: a policy of 4 per 10 s
    let policy = [
        ("ratelimit-policy", "4;w=10"),
        ("ratelimit", "limit=4, remaining=2, reset=8"),
    ];
    let mut e: Vec<Value> = [0u64, 1000]
        .iter()
        .map(|&ms| entry(ms, 200, &policy))
        .collect();
    let mut throttle = entry(2000, 429, &[]);
    throttle["response"]["content"]["text"] = json!("{}");
    e.push(throttle);
    let a = analyze(e);
    let r = a.profiles[0].layers[0]
        .restated
        .expect("restated by the counters");
    assert_eq!(
        (a.profiles[0].layers[0].limit(), r.by_counter, r.by_body),
        (4, 2, 0)
    );
}

#[test]
fn more_admitted_requests_than_the_stated_budget_refute_the_restatement() {
    // seven admitted in the window: the server did not enforce 4 on this layer's partition
    let a = analyze(capture(&[0, 300, 600, 900, 1200, 1500, 1800], 2000));
    assert!(!restated(&a), "{:?}", a.diagnosis.findings);
    assert_eq!(
        a.profiles[0].layers[0].limit(),
        10,
        "the documentation stands"
    );
    assert_eq!(
        a.diagnosis.throttles[0].cause(),
        Cause::UndocumentedLimit,
        "a limit the body states that no layer has"
    );
}

#[test]
fn a_counter_stating_the_documented_budget_keeps_the_documentation() {
    // a success reports the documented 10 (no window): the server says the layer is as
    // documented, so the body's 4 is another limit's
    let mut e = vec![
        entry(
            0,
            200,
            &[("x-ratelimit-limit", "10"), ("x-ratelimit-remaining", "9")],
        ),
        entry(1000, 200, &[]),
    ];
    e.push(entry(2000, 429, &[]));
    let a = analyze(e);
    assert!(!restated(&a), "{:?}", a.diagnosis.findings);
    assert_eq!(a.profiles[0].layers[0].limit(), 10);
}

#[test]
fn a_budget_two_layers_could_have_goes_to_the_one_another_budget_does_not_take() {
    // a bucket refilled at 0.4/s refills 4 in 10 s and 40 in 100 s: a policy of 4 per 10 s
    // could be either layer's, one of 40 per 100 s only the bucket's
    let two = format!(
        "{PROFILE}{}",
        r#"
[[layer]]
name = "bucket"
algorithm = "token-bucket"
capacity = 100
rate = "0.4/s"
"#
    );
    let small = [
        ("ratelimit-policy", "4;w=10"),
        ("ratelimit", "limit=4, remaining=2, reset=8"),
    ];
    let large = [
        ("ratelimit-policy", "40;w=100"),
        ("ratelimit", "limit=40, remaining=37, reset=90"),
    ];
    let entries = |with_large: bool| {
        let mut e = vec![entry(0, 200, &small), entry(1000, 200, &small)];
        if with_large {
            e.push(entry(1500, 200, &large));
        }
        e.push(entry(1800, 200, &[]));
        let mut throttle = entry(2000, 429, &[]);
        throttle["response"]["content"]["text"] = json!("{}");
        e.push(throttle);
        e
    };
    let limits = |a: &Analysis| {
        a.profiles[0]
            .layers
            .iter()
            .map(|l| (l.limit(), l.restated.is_some()))
            .collect::<Vec<_>>()
    };
    // the small policy alone tells neither layer
    let a = support::analyze_entries("stated", entries(false), &two);
    assert_eq!(limits(&a), [(10, false), (100, false)]);
    // the large one takes the bucket: the small one is the per-user layer's, by elimination
    // only (the server states the budget, not whose it is)
    let a = support::analyze_entries("stated", entries(true), &two);
    assert_eq!(limits(&a), [(4, true), (40, true)]);
    let settled: Vec<bool> = a.profiles[0]
        .layers
        .iter()
        .filter_map(|l| l.restated.map(|r| r.settled))
        .collect();
    assert_eq!(settled, [true, false]);
    // a counter without a window stating the per-user layer's documented 10 keeps it as
    // documented, though only a budget it shares was stated for it (and the bucket's
    // documented budget confirms the bucket): nothing is left to settle on
    let mut e = entries(false);
    e[2] = entry(
        1800,
        200,
        &[("x-ratelimit-limit", "10"), ("x-ratelimit-remaining", "9")],
    );
    e.push(entry(1900, 200, &[("ratelimit-policy", "100;w=250")]));
    let a = support::analyze_entries("stated", e, &two);
    assert_eq!(limits(&a), [(10, false), (100, false)]);
}

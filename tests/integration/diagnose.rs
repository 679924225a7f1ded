//! Diagnosis on small captures written here, one behaviour each: what the 429 body states
//! decides between a documented layer and an undocumented limit.

use serde_json::{Value, json};
use why429::batch::Analysis;
use why429::diagnose::prose::{self, Names};
use why429::diagnose::{Cause, LimitKind, Throttle};
use why429::model::time;

use super::support;

/// One request: milliseconds after the first, status, 429 body text.
struct Call {
    at_ms: i64,
    status: u16,
    body: Option<&'static str>,
}

fn ok(at_ms: i64) -> Call {
    Call {
        at_ms,
        status: 200,
        body: None,
    }
}

fn throttled(at_ms: i64, body: &'static str) -> Call {
    Call {
        at_ms,
        status: 429,
        body: Some(body),
    }
}

fn entry(c: &Call, i: usize) -> Value {
    let start = format!(
        "2026-03-02T10:00:{:02}.{:03}Z",
        c.at_ms / 1000,
        c.at_ms % 1000
    );
    let mut headers = vec![json!({"name": "content-type", "value": "application/json"})];
    if c.status == 429 {
        headers.push(json!({"name": "retry-after", "value": "1"}));
    }
    json!({
        "startedDateTime": start,
        "time": 20,
        "request": {
            "method": "GET",
            "url": format!("https://api.mypurecloud.com/api/v2/users/{:08}-0000-4000-8000-000000000000", i % 3),
            "httpVersion": "HTTP/2",
            "headers": [{"name": "authorization", "value": "bearer tokenAAAAAAAAAAAAAAAAAAAAAA"}],
            "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0
        },
        "response": {
            "status": c.status, "statusText": "", "httpVersion": "HTTP/2",
            "headers": headers, "cookies": [],
            "content": {"size": 0, "mimeType": "application/json", "text": c.body.unwrap_or("{}")},
            "redirectURL": "", "headersSize": -1, "bodySize": 0
        },
        "cache": {},
        "timings": {"send": 0, "wait": 20, "receive": 0}
    })
}

fn analyze(calls: &[Call]) -> Analysis {
    let har = json!({"log": {
        "version": "1.2",
        "creator": {"name": "WebInspector", "version": "537.36"},
        "entries": calls.iter().enumerate().map(|(i, c)| entry(c, i)).collect::<Vec<_>>()
    }});
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capture.har");
    std::fs::write(&path, serde_json::to_vec(&har).unwrap()).unwrap();
    support::analyze(&path, &support::settings(Vec::new())).unwrap()
}

/// A throttle's evidence as the report prints it.
fn evidence(a: &Analysis, t: &Throttle) -> Vec<String> {
    let names = Names::new(&a.capture, &a.profiles, &a.evaluation);
    let r = &a.capture.requests[t.request as usize];
    t.evidence
        .iter()
        .map(|s| prose::signal(&names, s, r))
        .collect()
}

const SHORT: &str = r#"{"message":"Rate limit exceeded the maximum [3] requests within [1] seconds","code":"too.many.requests","status":429}"#;
const DOCUMENTED: &str = r#"{"message":"Rate limit exceeded the maximum [300] requests within [60] seconds","code":"too.many.requests","status":429}"#;

#[test]
fn a_limit_the_body_states_but_no_layer_documents_is_an_undocumented_limit_of_its_window() {
    let a = analyze(&[
        ok(0),
        ok(40),
        ok(80),
        throttled(120, SHORT),
        throttled(160, SHORT),
        throttled(200, SHORT),
        throttled(240, SHORT),
    ]);
    assert_eq!(a.diagnosis.throttles.len(), 4);
    for t in &a.diagnosis.throttles {
        assert_eq!(t.cause(), Cause::UndocumentedLimit, "{:?}", evidence(&a, t));
        // a stated window of 1 s is a burst limit
        assert_eq!(t.kind(), Some(LimitKind::Burst));
        assert_eq!((t.limit, t.window), (Some(3), Some(time::SECOND)));
        assert_eq!(
            t.visible,
            Some(3),
            "the three admitted GETs are in the window"
        );
        assert!(
            evidence(&a, t)
                .iter()
                .any(|e| e.contains("states a limit of 3 requests within 1 s")),
            "{:?}",
            evidence(&a, t)
        );
    }
    let verdict = a.diagnosis.verdict.paragraph();
    assert!(verdict.contains("3 requests within 1 s"), "{verdict}");
}

#[test]
fn a_stated_limit_the_capture_cannot_reach_says_how_much_came_from_elsewhere() {
    let a = analyze(&[ok(0), throttled(300, SHORT)]);
    let t = &a.diagnosis.throttles[0];
    assert_eq!(
        (t.cause(), t.kind()),
        (Cause::UndocumentedLimit, Some(LimitKind::Burst))
    );
    assert_eq!(t.visible, Some(1));
    assert!(
        evidence(&a, t)
            .iter()
            .any(|e| e.contains("only 1 admitted request ") && e.contains("at least 2 more")),
        "{:?}",
        evidence(&a, t)
    );
}

#[test]
fn a_stated_limit_that_a_layer_documents_blames_that_layer() {
    let a = analyze(&[ok(0), ok(100), throttled(200, DOCUMENTED)]);
    let t = &a.diagnosis.throttles[0];
    assert_eq!(t.cause(), Cause::HiddenTraffic, "{:?}", evidence(&a, t));
    assert_ne!(t.kind(), Some(LimitKind::Rate));
    assert_eq!(t.limit, Some(300));
    assert_eq!(t.hidden_at_least(), Some(298));
}

/// Every number the diagnosis decides with is named in `diagnose/thresholds.rs`: no other file
/// of `src/diagnose/` compares with a literal other than 0 or 1 outside its tests.
#[test]
fn diagnosis_thresholds_are_named_once() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/diagnose");
    let literal = regex::Regex::new(
        r"(?:^|[^<>=-])(<=|>=|==|<|>)\s*-?(\d+(\.\d+)?)\b|\b(\d+(\.\d+)?)\s*\*\s*[a-z_]+\s*(<=|>=|<|>)",
    )
    .unwrap();
    let strings = regex::Regex::new(r#""([^"\\]|\\.)*""#).unwrap();
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() == "thresholds.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for (n, line) in code.lines().enumerate() {
            let line = line.split("//").next().unwrap();
            let stripped = strings.replace_all(line, "\"\"");
            for c in literal.captures_iter(&stripped) {
                let v = c.get(2).or(c.get(4)).unwrap().as_str();
                if !matches!(v, "0" | "1" | "0.0" | "1.0") {
                    found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "threshold literals outside thresholds.rs:\n{}",
        found.join("\n")
    );
}

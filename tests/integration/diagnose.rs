//! Diagnosis on small captures written here, one behaviour each: what the 429 body states
//! decides between a documented layer and an undocumented limit.

use serde_json::{Value, json};
use why429::batch::Analysis;
use why429::diagnose::{Cause, Explanation, LimitKind, Scope, Throttle};
use why429::model::time;

use super::support;

/// One request: milliseconds after the first, status, 429 body text.
struct Call {
    at_ms: i64,
    status: u16,
    body: Option<&'static str>,
    /// `inin-ratelimit-count` of `org.user.rate.per.minute` (3000 / 60 s) on the response.
    count: Option<u64>,
}

fn ok(at_ms: i64) -> Call {
    Call {
        at_ms,
        status: 200,
        body: None,
        count: None,
    }
}

/// A success whose response carries the user budget's counter.
fn counted(at_ms: i64, count: u64) -> Call {
    Call {
        count: Some(count),
        ..ok(at_ms)
    }
}

fn throttled(at_ms: i64, body: &'static str) -> Call {
    Call {
        at_ms,
        status: 429,
        body: Some(body),
        count: None,
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
    if let Some(n) = c.count {
        headers.push(json!({"name": "inin-ratelimit-count", "value": n.to_string()}));
        headers.push(json!({"name": "inin-ratelimit-allowed", "value": "3000"}));
        headers.push(json!({"name": "inin-ratelimit-reset", "value": "40"}));
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

fn evidence(a: &Analysis, t: &Throttle) -> Vec<String> {
    support::evidence(a, t)
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

/// A body states numbers, not an algorithm: with fixed windows of 1 s, five requests of the
/// caller within one second (three at the end of one window, two at the start of the next)
/// leave "3 per 1 s" able to count the whole caller; six others around a success within a
/// second rule that scope out whatever the algorithm, leaving only the per-record scope (the
/// calls cycle over three records).
#[test]
fn a_stated_limit_is_refuted_only_by_more_than_any_algorithm_with_its_numbers_admits() {
    let scope = |a: &Analysis| match a.diagnosis.throttles[0].explanation {
        Explanation::Undocumented {
            stated: Some(why429::diagnose::StatedBy::Body),
            scope,
            limit: Some(3),
            ..
        } => scope,
        other => panic!("not the stated limit: {other:?}"),
    };
    let fixed_windows = analyze(&[
        ok(500),
        ok(600),
        ok(700),
        ok(1000),
        ok(1100),
        ok(1200),
        throttled(1300, SHORT),
    ]);
    assert_eq!(scope(&fixed_windows), Some(Scope::Caller));
    let too_many = analyze(&[
        ok(0),
        ok(100),
        ok(200),
        ok(300),
        ok(400),
        ok(500),
        ok(600),
        throttled(700, SHORT),
    ]);
    assert_eq!(scope(&too_many), Some(Scope::Resource));
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

/// Response headers of every entry of a HAR file: (entry, lower-case name, value).
fn response_headers(path: &std::path::Path) -> Vec<(usize, String, String)> {
    let bytes = std::fs::read(path).unwrap();
    let text = if path.extension().is_some_and(|e| e == "gz") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut s)
            .unwrap();
        s
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let Ok(v) = serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}')) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, e) in v["log"]["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        for h in e["response"]["headers"].as_array().into_iter().flatten() {
            if let (Some(n), Some(val)) = (h["name"].as_str(), h["value"].as_str()) {
                out.push((k, n.to_ascii_lowercase(), val.to_string()));
            }
        }
    }
    out
}

/// Every header value a report quotes (`Name: value` in backticks) is the value the HAR holds:
/// on the throttle's own response when the sentence says so, else on some response.
#[test]
fn quoted_header_values_equal_the_har_s() {
    let quote = regex::Regex::new(r"`([A-Za-z0-9-]+): ([^`]*)`").unwrap();
    let settings = support::partial(support::settings(Vec::new()));
    let mut quoted = 0;
    for path in support::every_capture() {
        let Ok(a) = support::analyze(&path, &settings) else {
            continue;
        };
        let report = why429::report::build(&a, Default::default());
        let headers = response_headers(&path);
        let mut sentences: Vec<(Option<u32>, String)> = Vec::new();
        for t in &report.throttles {
            for s in t.evidence.iter().chain(&t.against) {
                sentences.push((Some(t.entry), s.clone()));
            }
            for alt in &t.alternatives {
                for s in alt.supporting.iter().chain(&alt.against) {
                    sentences.push((Some(t.entry), s.clone()));
                }
            }
        }
        let v = &report.verdict_parts;
        for s in v.evidence.iter().chain(&v.other_explanations) {
            sentences.push((None, s.clone()));
        }
        for (entry, s) in sentences {
            for c in quote.captures_iter(&s) {
                let (name, value) = (c[1].to_ascii_lowercase(), c[2].to_string());
                let own = s.contains("on the 429") || s.contains(" throttle:");
                let found = headers.iter().any(|(k, n, val)| {
                    *n == name && *val == value && (!own || entry.is_none_or(|e| e as usize == *k))
                });
                assert!(
                    found,
                    "{}: `{name}: {value}` is quoted but not in the HAR{}: {s}",
                    path.display(),
                    if own { " on that response" } else { "" }
                );
                quoted += 1;
            }
        }
    }
    assert!(
        quoted > 0,
        "no capture quotes a header: the test checks nothing"
    );
}

/// `unknown` only when every explanation is refuted, or when nothing documented counts the
/// request and no undocumented limit has positive evidence.
#[test]
fn no_throttle_is_unknown_while_a_documented_explanation_stands() {
    let mut unknowns = 0;
    let mut throttles = 0;
    let mut check = |a: &Analysis| {
        for t in &a.diagnosis.throttles {
            throttles += 1;
            if t.cause() != Cause::Unknown {
                continue;
            }
            unknowns += 1;
            assert!(
                t.ranked
                    .iter()
                    .all(|r| r.candidate.explanation.layer().is_none()),
                "entry {}: unknown while a documented explanation is unrefuted",
                a.capture.requests[t.request as usize].entry
            );
        }
    };
    let settings = support::partial(support::settings(Vec::new()));
    for path in support::every_capture() {
        if let Ok(a) = support::analyze(&path, &settings) {
            check(&a);
        }
    }
    for lab in ["lab", "lab-gateway"] {
        for (_, _, har, _, profile) in super::scoring::recordings(&support::fixtures().join(lab)) {
            let a = support::analyze(&har, &support::settings(vec![support::profile(&profile)]))
                .unwrap();
            check(&a);
        }
    }
    assert!(throttles > 1000, "{throttles}");
    println!("{unknowns} of {throttles} throttles unknown");
}

/// The verdict ranks explanations exactly as the throttle it speaks for does: its headline is
/// that throttle's explanation, and its other explanations are that throttle's alternatives
/// and refutations, in the same order.
#[test]
fn the_verdict_ranks_like_the_evidence() {
    let settings = support::partial(support::settings(Vec::new()));
    let mut checked = 0;
    for path in support::every_capture() {
        let Ok(a) = support::analyze(&path, &settings) else {
            continue;
        };
        let report = why429::report::build(&a, Default::default());
        let v = &report.verdict_parts;
        if report.throttles.is_empty() {
            continue;
        }
        let in_verdict: Vec<&str> = v
            .other_explanations
            .iter()
            .map(|s| s.split(" — ").next().unwrap())
            .collect();
        let speaks_for = report.throttles.iter().find(|t| {
            let ranked: Vec<&str> = t
                .alternatives
                .iter()
                .map(|x| x.explanation.as_str())
                .chain(t.ruled_out.iter().take(2).map(|x| x.explanation.as_str()))
                .collect();
            v.headline.contains(&t.explanation) && ranked == in_verdict
        });
        assert!(
            speaks_for.is_some(),
            "{}: no throttle ranks as the verdict does:\n{v:#?}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 20, "{checked}");
}

#[test]
fn an_undocumented_burst_is_sought_where_the_throttle_had_company() {
    const PLAIN: &str =
        r#"{"message":"Too many requests","code":"too.many.requests","status":429}"#;
    // records cycle over three ids: the throttle's own record saw nothing else; its endpoint
    // saw two requests within a second before it, and a later success saw more, so no count
    // splits them cleanly in any scope
    let a = analyze(&[ok(0), ok(200), throttled(400, PLAIN), ok(600), ok(800)]);
    let t = &a.diagnosis.throttles[0];
    let burst = t
        .ranked
        .iter()
        .map(|r| &r.candidate)
        .chain(&t.refuted)
        .find_map(|c| match c.explanation {
            Explanation::Undocumented {
                kind: LimitKind::Burst,
                scope,
                ..
            } => Some((scope, c.refuted.as_ref().map(|r| r.rule()))),
            _ => None,
        })
        .expect("an undocumented burst candidate");
    assert_ne!(burst.0, Some(Scope::Resource), "{burst:?}");
    assert_ne!(burst.1, Some("nothing-around"), "{burst:?}");
}

#[test]
fn a_counter_with_room_just_before_a_throttle_demotes_outside_traffic_on_its_layer() {
    const PLAIN: &str =
        r#"{"message":"Too many requests","code":"too.many.requests","status":429}"#;
    let room = |gap_ms: i64| {
        let a = analyze(&[
            ok(0),
            ok(300),
            counted(600, 3),
            throttled(600 + gap_ms, PLAIN),
        ]);
        let t = &a.diagnosis.throttles[0];
        let user = t
            .ranked
            .iter()
            .map(|r| &r.candidate)
            .find(|c| match c.explanation {
                Explanation::Hidden { layer, .. } => {
                    let le = &a.evaluation.layers[layer];
                    a.profiles[le.profile].layers[le.layer].name == "org.user.rate.per.minute"
                }
                _ => false,
            })
            .expect("outside traffic on the user budget");
        user.against.iter().find_map(|s| match s {
            why429::diagnose::signal::Signal::RoomAtTheMoment { room, between, .. } => {
                Some((*room, *between))
            }
            _ => None,
        })
    };
    // 30 ms after the server counted 3 of 3000, nothing of the capture's in between
    assert_eq!(room(30), Some((3000 - 3, 0)));
    // two seconds later, traffic from elsewhere had time to fill it
    assert_eq!(room(2000), None);
}

//! Secret canaries: unique markers planted in every sensitive place of a capture must never
//! reach any output — any format, any `--out` file, stderr, or an error message — in clear,
//! base64, percent-encoded, escaped, re-cased or as a 10-character prefix. A marker-free twin
//! of the capture must give the same analysis, so redaction cannot pass by dropping data.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use serde_json::{Value, json};

use super::cli::why429;

/// Markers by the place they are planted.
pub struct Canaries {
    markers: BTreeMap<&'static str, String>,
}

impl Canaries {
    /// Markers derived from `seed`.
    pub fn new(seed: u64) -> Self {
        Canaries::with_places(seed, &HAR_PLACES)
    }

    /// Markers derived from `seed` for the given places.
    pub fn with_places(seed: u64, places: &[&'static str]) -> Self {
        let mut x = seed;
        let markers = places
            .iter()
            .enumerate()
            .map(|(i, p)| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                // the place number first, so even 10-character prefixes are unique
                (*p, format!("CNRY{i:02}{:016x}", x))
            })
            .collect();
        Canaries { markers }
    }

    /// The marker planted in `place`.
    pub fn m(&self, place: &str) -> &str {
        &self.markers[place]
    }
}

/// The sensitive places of a HAR capture.
const HAR_PLACES: [&str; 47] = [
    "auth-opaque",
    "auth-jwt-client",
    "auth-jwt-sub",
    "auth-jwt-email",
    "cookie-header",
    "cookie-name",
    "cookie-value",
    "set-cookie",
    "resp-cookie",
    "api-key",
    "custom-token",
    "query-name",
    "query-value",
    "query-token",
    "fragment",
    "path-id",
    "post-text",
    "post-param",
    "resp-body",
    "body-429-message",
    "body-429-code",
    "body-429-key",
    "redirect-url",
    "location",
    "entry-comment",
    "page-title",
    "log-comment",
    "server-ip",
    "initiator-url",
    "websocket",
    "correlation-id",
    "creator-comment",
    "proxy-auth",
    "www-authenticate",
    "custom-field",
    // server-chosen names in rate-limit headers and bodies
    "ietf-policy-name",
    "ietf-partition-key",
    "discord-bucket",
    "github-resource",
    "ms-throttle-information",
    "jira-reason",
    "stripe-reason",
    "salesforce-app",
    "violated-policy",
    "hubspot-policy",
    "google-quota-limit",
    "graphql-code",
];

fn jwt(payload: &Value) -> String {
    let e = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.c2lnbmF0dXJl",
        e(&json!({"alg": "RS256", "typ": "JWT"})),
        e(payload)
    )
}

/// A capture with 429s, preflights and two clients, with a canary in every sensitive place.
/// With `twin`, every canary is replaced by a marker-free string of the same length.
/// A capture with every marker planted (`twin`: the same capture with neutral values).
pub fn capture(c: &Canaries, twin: bool) -> String {
    let host = "api.mypurecloud.ie";
    let jwt_token = jwt(&json!({
        "client_id": c.m("auth-jwt-client"),
        "sub": c.m("auth-jwt-sub"),
        "email": format!("{}@example.com", c.m("auth-jwt-email")),
    }));
    let mut entries = Vec::new();
    let t0 = 1_767_000_000_000i64; // ms
    for i in 0..24 {
        let jwt_client = i % 3 == 0;
        let auth = if jwt_client {
            format!("Bearer {jwt_token}")
        } else {
            format!("Bearer {}", c.m("auth-opaque"))
        };
        let status = if (6..14).contains(&i) && i % 2 == 0 {
            429
        } else {
            200
        };
        let start = t0 + i as i64 * 150;
        let path = format!("/api/v2/users/{}{i}/queues", c.m("path-id"));
        let url = format!(
            "https://{host}{path}?{}={}&access_token={}#{}",
            c.m("query-name"),
            c.m("query-value"),
            c.m("query-token"),
            c.m("fragment")
        );
        let body_429 = json!({
            "message": format!("Rate limit exceeded the maximum [300] requests within [60] seconds {}", c.m("body-429-message")),
            "code": c.m("body-429-code"),
            "status": 429,
            "limit": {"key": c.m("body-429-key"), "namespace": "platform.api", "value": 300},
            "contextId": c.m("correlation-id"),
        });
        let text = match (status, i) {
            (429, 8) => json!({
                "type": "https://iana.org/assignments/http-problem-types#quota-exceeded",
                "title": format!("quota {}", c.m("body-429-message")),
                "status": 429,
                "violated-policies": [c.m("violated-policy"), "hourly"],
            })
            .to_string(),
            (429, 10) => json!({
                "status": "error",
                "message": c.m("body-429-message"),
                "errorType": "RATE_LIMIT",
                "policyName": c.m("hubspot-policy"),
                "correlationId": c.m("correlation-id"),
            })
            .to_string(),
            (429, 12) => json!({"error": {
                "code": 429,
                "status": "RESOURCE_EXHAUSTED",
                "message": c.m("body-429-message"),
                "details": [{
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "RATE_LIMIT_EXCEEDED",
                    "metadata": {"quota_limit": c.m("google-quota-limit"), "quota_limit_value": "300"},
                }],
            }})
            .to_string(),
            (429, _) => body_429.to_string(),
            (_, 3) => json!({
                "data": null,
                "errors": [{"message": c.m("resp-body"), "extensions": {"code": c.m("graphql-code")}}],
            })
            .to_string(),
            _ => json!({"entities": [], "secret": c.m("resp-body")}).to_string(),
        };
        let mut resp_headers = vec![
            json!({"name": "content-type", "value": "application/json"}),
            json!({"name": "inin-correlation-id", "value": c.m("correlation-id")}),
            json!({"name": "set-cookie", "value": format!("session={}; Path=/; HttpOnly", c.m("set-cookie"))}),
            json!({"name": "location", "value": format!("https://{host}/next?code={}", c.m("location"))}),
            json!({"name": "www-authenticate", "value": format!("Bearer realm=\"{}\"", c.m("www-authenticate"))}),
            json!({"name": "inin-ratelimit-count", "value": (i + 1).to_string()}),
            json!({"name": "inin-ratelimit-allowed", "value": "300"}),
            json!({"name": "inin-ratelimit-reset", "value": "60"}),
        ];
        if status == 429 {
            resp_headers.push(json!({"name": "retry-after", "value": "1"}));
        }
        // server-chosen names in other dialects' headers: policies, partition keys, buckets
        let pk = base64::engine::general_purpose::STANDARD.encode(c.m("ietf-partition-key"));
        let extra: Vec<(&str, String)> = match i % 6 {
            0 => vec![
                (
                    "ratelimit-policy",
                    format!("\"{}\";q=300;w=60;pk=:{pk}:", c.m("ietf-policy-name")),
                ),
                (
                    "ratelimit",
                    format!(
                        "\"{}\";r={};t=30;pk=:{pk}:",
                        c.m("ietf-policy-name"),
                        299 - i
                    ),
                ),
            ],
            1 => vec![
                ("x-ratelimit-limit", "5".into()),
                ("x-ratelimit-remaining", "4".into()),
                ("x-ratelimit-reset-after", "1.5".into()),
                ("x-ratelimit-bucket", c.m("discord-bucket").into()),
            ],
            2 => vec![
                ("x-ratelimit-limit", "5000".into()),
                ("x-ratelimit-remaining", "4990".into()),
                ("x-ratelimit-resource", c.m("github-resource").into()),
            ],
            3 => vec![
                (
                    "x-ms-throttle-information",
                    c.m("ms-throttle-information").into(),
                ),
                ("x-ms-throttle-limit-percentage", "0.9".into()),
                (
                    "sforce-limit-info",
                    format!(
                        "api-usage=18/5000, per-app-api-usage=17/250(appName={})",
                        c.m("salesforce-app")
                    ),
                ),
            ],
            4 => vec![("ratelimit-reason", c.m("jira-reason").into())],
            _ => vec![("stripe-rate-limited-reason", c.m("stripe-reason").into())],
        };
        for (name, value) in extra {
            resp_headers.push(json!({"name": name, "value": value}));
        }
        if i == 5 {
            entries.push(json!({
                "startedDateTime": chrono_ms(start - 40),
                "time": 20,
                "request": {"method": "OPTIONS", "url": url, "httpVersion": "h2", "headers": [
                    {"name": ":authority", "value": host},
                    {"name": "access-control-request-method", "value": "GET"},
                    {"name": "access-control-request-headers", "value": "authorization"},
                ], "cookies": [], "queryString": [], "headersSize": -1, "bodySize": 0},
                "response": {"status": 204, "headers": [{"name": "access-control-max-age", "value": "0"}], "content": {"size": 0}},
                "timings": {"send": 1, "wait": 18, "receive": 1},
                "_initiator": {"type": "preflight", "url": format!("https://{host}/{}", c.m("initiator-url"))},
            }));
        }
        entries.push(json!({
            "startedDateTime": chrono_ms(start),
            "time": if status == 429 { 30 } else { 120 },
            "comment": c.m("entry-comment"),
            "serverIPAddress": format!("10.0.0.1-{}", c.m("server-ip")),
            "_initiator": {"type": "script", "url": format!("https://app.example.com/{}", c.m("initiator-url"))},
            "_custom": c.m("custom-field"),
            "_webSocketMessages": [{"type": "send", "time": 1.0, "opcode": 1, "data": c.m("websocket")}],
            "request": {
                "method": "GET",
                "url": url,
                "httpVersion": "h2",
                "headers": [
                    {"name": ":authority", "value": host},
                    {"name": "authorization", "value": auth},
                    {"name": "cookie", "value": format!("sid={}", c.m("cookie-header"))},
                    {"name": "x-api-key", "value": c.m("api-key")},
                    {"name": "x-custom-token", "value": c.m("custom-token")},
                    {"name": "proxy-authorization", "value": format!("Basic {}", c.m("proxy-auth"))},
                ],
                "cookies": [{"name": c.m("cookie-name"), "value": c.m("cookie-value")}],
                "queryString": [{"name": c.m("query-name"), "value": c.m("query-value")}],
                "postData": {"mimeType": "application/json", "text": json!({"p": c.m("post-text")}).to_string(),
                             "params": [{"name": "p", "value": c.m("post-param")}]},
                "headersSize": -1,
                "bodySize": 0,
            },
            "response": {
                "status": status,
                "statusText": "",
                "httpVersion": "h2",
                "headers": resp_headers,
                "cookies": [{"name": "session", "value": c.m("resp-cookie")}],
                "content": {"size": text.len(), "mimeType": "application/json", "text": text},
                "redirectURL": format!("https://{host}/cb#access_token={}", c.m("redirect-url")),
            },
            "timings": {"send": 1, "wait": 100, "receive": 19},
            "cache": {},
        }));
    }
    let har = json!({"log": {
        "version": "1.2",
        "creator": {"name": "WebInspector", "version": "537.36", "comment": c.m("creator-comment")},
        "comment": c.m("log-comment"),
        "pages": [{"id": "page_1", "title": c.m("page-title"), "startedDateTime": chrono_ms(t0 - 1000), "pageTimings": {}}],
        "entries": entries,
    }});
    let mut text = serde_json::to_string_pretty(&har).unwrap();
    if twin {
        for m in c.markers.values() {
            let neutral: String = m
                .chars()
                .enumerate()
                .map(|(i, ch)| {
                    if i < 4 {
                        'Z'
                    } else if ch.is_ascii_digit() {
                        '7'
                    } else {
                        ch
                    }
                })
                .collect();
            text = text.replace(m.as_str(), &neutral);
        }
    }
    text
}

fn chrono_ms(ms: i64) -> String {
    why429::model::time::rfc3339_utc(ms * 1000)
}

/// Every form in which a marker must not appear.
fn variants(marker: &str) -> Vec<String> {
    let b64 = |s: &str| {
        [
            base64::engine::general_purpose::STANDARD.encode(s),
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(s),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s),
        ]
    };
    let mut v = vec![
        marker.to_string(),
        marker.to_ascii_lowercase(),
        marker.to_ascii_uppercase(),
        marker[..10].to_string(),
        marker[..10].to_ascii_lowercase(),
        percent_encoding::utf8_percent_encode(marker, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
        serde_json::to_string(marker).unwrap(),
        marker.chars().map(|c| format!("&#{};", c as u32)).collect(),
    ];
    v.extend(b64(marker));
    v
}

/// Fails if `bytes` hold any form of a marker not `allowed`.
pub fn scan(what: &str, bytes: &[u8], c: &Canaries, allowed: &[&str]) {
    let text = String::from_utf8_lossy(bytes);
    for (place, m) in &c.markers {
        if allowed.contains(place) {
            continue;
        }
        for v in variants(m) {
            assert!(
                !text.contains(&v),
                "{what} leaks the {place} canary (as `{v}`)"
            );
        }
    }
}

fn run(args: &[&str], input: &Path) -> std::process::Output {
    why429().args(args).arg(input).output().unwrap()
}

#[test]
fn no_output_of_any_format_contains_a_canary() {
    let c = Canaries::new(0x5eed);
    let dir = tempfile::tempdir().unwrap();
    let har = dir.path().join("canary.har");
    std::fs::write(&har, capture(&c, false)).unwrap();
    for format in ["terminal", "json", "markdown", "html", "junit"] {
        let out = run(&["analyze", "--color", "always", "--format", format], &har);
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        scan(&format!("--format {format} stdout"), &out.stdout, &c, &[]);
        scan(&format!("--format {format} stderr"), &out.stderr, &c, &[]);
    }
    // every server-chosen name was read (as a `Sensitive` symbol), so the scans cover them:
    // IETF policy, Discord bucket, GitHub resource, Graph information, Salesforce app, Jira
    // and Stripe reasons, two violated policies, HubSpot policy, Google quota limit
    let a = super::support::analyze(&har, &super::support::settings(Vec::new())).unwrap();
    assert_eq!(a.capture.policies.len(), 11);
    // the capture really was analyzed: 429s explained, clients grouped
    let json: Value =
        serde_json::from_slice(&run(&["analyze", "--format", "json"], &har).stdout).unwrap();
    assert_eq!(
        json["captures"][0]["throttles"].as_array().unwrap().len(),
        4
    );
    assert_eq!(json["captures"][0]["clients"].as_array().unwrap().len(), 2);
    // --out files
    let out_dir = dir.path().join("out");
    let out = why429()
        .args(["analyze", "--out"])
        .arg(&out_dir)
        .arg(&har)
        .output()
        .unwrap();
    assert!(out.status.success());
    scan("--out listing", &out.stdout, &c, &[]);
    for f in [
        "report.md",
        "report.html",
        "report.json",
        "timeline.svg",
        "timeline.png",
    ] {
        scan(f, &std::fs::read(out_dir.join(f)).unwrap(), &c, &[]);
    }
    // The PNG's text is pixels; it is drawn by the same code as the SVG, whose labels are
    // text, so the SVG scan above covers every label the PNG shows.
    let svg = std::fs::read_to_string(out_dir.join("timeline.svg")).unwrap();
    assert!(
        svg.contains("client-1") && svg.contains("/api/v2/"),
        "the SVG holds the chart's labels as text"
    );
    // opting in to ids shows paths and correlation ids, and still no credential or body
    let out = run(
        &[
            "analyze",
            "--format",
            "json",
            "--show-ids",
            "--show-client-ids",
        ],
        &har,
    );
    scan(
        "--show-ids --show-client-ids",
        &out.stdout,
        &c,
        &["path-id", "correlation-id", "auth-jwt-client"],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(c.m("auth-jwt-client")));
}

#[test]
fn error_messages_contain_no_canary() {
    let c = Canaries::new(0xbad);
    let text = capture(&c, false);
    let dir = tempfile::tempdir().unwrap();
    // cut the file right after each of several markers, and damage it inside an entry
    for place in [
        "auth-opaque",
        "cookie-header",
        "post-text",
        "resp-body",
        "page-title",
        "query-value",
    ] {
        let at = text.find(c.m(place)).unwrap() + c.m(place).len();
        let cut = dir.path().join(format!("cut-{place}.har"));
        std::fs::write(&cut, &text[..at]).unwrap();
        let out = run(&["analyze"], &cut);
        assert_eq!(out.status.code(), Some(2));
        scan(&format!("truncated after {place}"), &out.stderr, &c, &[]);
        scan(&format!("truncated after {place}"), &out.stdout, &c, &[]);
        let broken = dir.path().join(format!("broken-{place}.har"));
        std::fs::write(&broken, format!("{}\u{1}{}", &text[..at], &text[at..])).unwrap();
        // damage inside an entry is an error; in parts that are skipped (pages) it is not read
        let out = run(&["analyze", "--format", "json"], &broken);
        assert!(matches!(out.status.code(), Some(0 | 2)), "{place}");
        scan(&format!("damaged after {place}"), &out.stderr, &c, &[]);
        scan(
            &format!("damaged after {place} (json)"),
            &out.stdout,
            &c,
            &[],
        );
        let out = run(&["analyze", "--partial", "--format", "json"], &broken);
        scan(&format!("--partial after {place}"), &out.stdout, &c, &[]);
        scan(&format!("--partial after {place}"), &out.stderr, &c, &[]);
    }
}

#[test]
fn a_marker_free_twin_gives_the_same_analysis() {
    let c = Canaries::new(0x7717);
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.har"), dir.path().join("b.har"));
    std::fs::write(&a, capture(&c, false)).unwrap();
    std::fs::write(&b, capture(&c, true)).unwrap();
    // token fingerprints differ between the twins (the tokens differ): mask them
    let token = regex::Regex::new("token [0-9a-f]{12}").unwrap();
    let view = |p: &Path| -> Value {
        let out = run(&["analyze", "--format", "json"], p).stdout;
        let masked = token.replace_all(std::str::from_utf8(&out).unwrap(), "token <fingerprint>");
        let v: Value = serde_json::from_str(&masked).unwrap();
        let cap = &v["captures"][0];
        json!({
            "throttles": cap["throttles"],
            "findings": cap["findings"],
            "layers": cap["layers"],
            "endpoints": cap["endpoints"],
            "clients": cap["clients"].as_array().unwrap().iter().map(|c| json!([c["label"], c["requests"], c["tokens"]])).collect::<Vec<_>>(),
            "verdict": cap["verdict"],
        })
    };
    assert_eq!(view(&a), view(&b));
}

#[test]
fn check_and_diff_outputs_contain_no_canary() {
    let c = Canaries::new(0xc4ec);
    let dir = tempfile::tempdir().unwrap();
    let har = dir.path().join("canary.har");
    std::fs::write(&har, capture(&c, false)).unwrap();
    let summary = dir.path().join("step-summary.md");
    for format in ["text", "json", "junit", "github"] {
        let out = why429()
            .args(["check", "--quiet", "--color", "always", "--format", format])
            .args(["--fail-on", "429", "--fail-on", "utilization>=1%"])
            .env("GITHUB_STEP_SUMMARY", &summary)
            .arg(&har)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{format}: the 429s fail the gate: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        scan(
            &format!("check --format {format} stdout"),
            &out.stdout,
            &c,
            &[],
        );
        scan(
            &format!("check --format {format} stderr"),
            &out.stderr,
            &c,
            &[],
        );
    }
    let written = std::fs::read(&summary).unwrap();
    assert!(!written.is_empty(), "the job summary was written");
    scan("GITHUB_STEP_SUMMARY", &written, &c, &[]);

    // a baseline from the marker-free twin, then the canary capture against it
    let twin = dir.path().join("twin.har");
    std::fs::write(&twin, capture(&c, true)).unwrap();
    let base = dir.path().join("base.json");
    let out = run(&["analyze", "--format", "json"], &twin);
    std::fs::write(&base, &out.stdout).unwrap();
    let new = dir.path().join("new.json");
    std::fs::write(&new, run(&["analyze", "--format", "json"], &har).stdout).unwrap();
    let out = why429().arg("diff").arg(&base).arg(&new).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    scan("diff stdout", &out.stdout, &c, &[]);
    scan("diff stderr", &out.stderr, &c, &[]);
    let out = why429()
        .args(["check", "--quiet", "--format", "json", "--baseline"])
        .arg(&base)
        .arg(&har)
        .output()
        .unwrap();
    scan("check --baseline stdout", &out.stdout, &c, &[]);
    scan("check --baseline stderr", &out.stderr, &c, &[]);
}

/// The sensitive places of a server log joined to a capture.
const JOIN_PLACES: [&str; 9] = [
    "log-token",
    "log-client-a",
    "log-client-b",
    "log-user",
    "log-user-agent",
    "log-ip",
    "log-path-id",
    "log-correlation",
    "log-client-name",
];

/// What `--show-client-ids` may print of a joined log: the senders' ids, user agents and
/// addresses — never tokens, paths or correlation ids.
const SHOWN_WITH_CLIENT_IDS: [&str; 5] = [
    "log-client-a",
    "log-client-b",
    "log-user",
    "log-user-agent",
    "log-ip",
];

#[test]
fn a_server_log_joined_to_the_capture_leaks_nothing_it_names_the_senders_by_label() {
    let c = Canaries::with_places(0x701e, &JOIN_PLACES);
    let lab = super::support::fixtures().join("lab");
    let s = "t04_background_tabs_exhaust_user";
    let har = lab.join(format!("{s}.har"));
    let profile = lab.join(format!("{s}.profile.toml"));
    // the lab's log with every value of the background traffic (which the join names) replaced
    // by a canary; the browser's own lines keep the values the capture shares with them
    let mut text = String::new();
    let mut n = 0;
    for line in std::fs::read_to_string(lab.join(format!("{s}.server.jsonl")))
        .unwrap()
        .lines()
    {
        let mut v: Value = serde_json::from_str(line).unwrap();
        let o = v.as_object_mut().unwrap();
        // one user for the browser and the background alike, as in the lab
        if o.contains_key("user") {
            o.insert("user".into(), json!(c.m("log-user")));
        }
        if o.get("user_agent")
            .and_then(Value::as_str)
            .is_some_and(|ua| ua.contains("lab background"))
        {
            n += 1;
            let client = if o["client"] == "client-gc-web-ui" {
                c.m("log-client-a")
            } else {
                c.m("log-client-b")
            };
            o.insert("client".into(), json!(client));
            o.insert("client_name".into(), json!(c.m("log-client-name")));
            o.insert(
                "token".into(),
                json!(format!("{}-{client}", c.m("log-token"))),
            );
            o.insert("user_agent".into(), json!(c.m("log-user-agent")));
            o.insert("ip".into(), json!(format!("203.0.113.9-{}", c.m("log-ip"))));
            o.insert(
                "correlation_id".into(),
                json!(format!("{}-{n}", c.m("log-correlation"))),
            );
            let path = o["path"]
                .as_str()
                .unwrap()
                .replace("user-zanele", c.m("log-path-id"));
            o.insert("path".into(), json!(path));
        }
        text.push_str(&v.to_string());
        text.push('\n');
    }
    assert!(n > 100, "background lines: {n}");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.jsonl");
    std::fs::write(&log, &text).unwrap();
    let base = |extra: &[&str]| {
        let mut cmd = why429();
        let (command, extra) = match extra.first() {
            Some(&"check") => ("check", &extra[1..]),
            _ => ("analyze", extra),
        };
        cmd.arg(command)
            .args(extra)
            .arg("--profile")
            .arg(&profile)
            .arg("--server-log")
            .arg(&log)
            .arg(&har);
        cmd.output().unwrap()
    };
    for args in [
        vec!["--format", "terminal", "--color", "always"],
        vec!["--format", "json"],
        vec!["--format", "json", "--show-ids"],
        vec!["--format", "markdown"],
        vec!["--format", "html"],
        vec!["--format", "junit"],
        vec!["check", "--format", "github"],
        vec!["check", "--format", "json"],
    ] {
        let out = base(&args);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        scan(&format!("{args:?} stdout"), &out.stdout, &c, &[]);
        scan(&format!("{args:?} stderr"), &out.stderr, &c, &[]);
        // not by dropping the join: the senders are there, by label
        if args == ["--format", "json"] {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            let by = &v["captures"][0]["throttles"][0]["hidden_by"];
            assert_eq!(by.as_array().map(Vec::len), Some(2), "{args:?}: {by}");
            assert!(by[0]["client"].as_str().unwrap().starts_with("log-client-"));
        }
    }
    // with --show-client-ids the senders' ids, user agents and addresses appear, nothing else
    let out = base(&["--format", "json", "--show-client-ids", "--show-ids"]);
    scan(
        "--show-client-ids stdout",
        &out.stdout,
        &c,
        &SHOWN_WITH_CLIENT_IDS,
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    for place in SHOWN_WITH_CLIENT_IDS {
        assert!(
            shown.contains(c.m(place)),
            "--show-client-ids omits {place}"
        );
    }
    // the capture's own token, which the log shares, is in no output either
    for args in [
        vec!["--format", "json", "--show-client-ids"],
        vec!["--format", "markdown"],
    ] {
        let out = base(&args);
        assert!(!String::from_utf8_lossy(&out.stdout).contains("tok-phonemon-zanele"));
    }
}

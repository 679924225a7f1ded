//! Server logs end to end: every bundled sample read in its format, the same requests
//! whatever the format, tokens and correlation ids that match the capture's own, the CLI's
//! header line, JSON report and errors, and secret canaries planted in every field of every
//! format, which must reach no output, no error and no problem message.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};
use why429::batch;
use why429::ingest::Limits;
use why429::model::{Granularity, LimiterKind, ServerLog, ServerLogFormat, time::SECOND};
use why429::normalize::FingerprintKey;
use why429::normalize::serverlog::{FormatChoice, UsageGranularity};

use super::canary::{Canaries, scan};
use super::cli::why429;
use super::support;

fn dir() -> PathBuf {
    support::fixtures().join("serverlogs")
}

fn key() -> FingerprintKey {
    FingerprintKey::from_passphrase("why429 tests")
}

fn conf(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap()
}

fn read(name: &str, choice: FormatChoice) -> Arc<ServerLog> {
    let (mut logs, errors) =
        batch::read_server_logs(&[dir().join(name)], &choice, &key(), Limits::default());
    assert!(errors.is_empty(), "{name}: {errors:?}");
    assert_eq!(logs.len(), 1);
    logs.remove(0)
}

/// The per-request samples and how each is read.
fn per_request() -> Vec<(&'static str, FormatChoice, ServerLogFormat)> {
    vec![
        (
            "generic.jsonl",
            FormatChoice::Auto,
            ServerLogFormat::Generic,
        ),
        (
            "nginx-combined.log",
            FormatChoice::Auto,
            ServerLogFormat::Nginx,
        ),
        (
            "nginx-ratelimit.log",
            FormatChoice::parse(&conf("nginx-ratelimit.conf")).unwrap(),
            ServerLogFormat::Nginx,
        ),
        (
            "nginx-json.log",
            FormatChoice::parse(&conf("nginx-json.conf")).unwrap(),
            ServerLogFormat::NginxJson,
        ),
        (
            "nginx-json.log",
            FormatChoice::Auto,
            ServerLogFormat::NginxJson,
        ),
        (
            "apache-combined-D.log",
            FormatChoice::parse(&conf("apache-combined-D.conf")).unwrap(),
            ServerLogFormat::Apache,
        ),
        ("envoy.jsonl", FormatChoice::Auto, ServerLogFormat::Envoy),
        ("istio.jsonl", FormatChoice::Auto, ServerLogFormat::Envoy),
    ]
}

#[test]
fn every_sample_holds_the_same_requests_whatever_its_format() {
    let generic = read("generic.jsonl", FormatChoice::Auto);
    let shape = |log: &ServerLog| -> Vec<(String, String, Option<u16>)> {
        let mut v: Vec<_> = log
            .records
            .iter()
            .map(|r| {
                (
                    r.method.as_str().to_string(),
                    r.path.as_ref().unwrap().expose_for_computation().clone(),
                    r.status,
                )
            })
            .collect();
        v.sort();
        v
    };
    let expected = shape(&generic);
    assert_eq!(expected.len(), 56);
    for (name, choice, format) in per_request() {
        let log = read(name, choice);
        assert_eq!(log.format, format, "{name}");
        assert_eq!(log.granularity, Granularity::PerRequest, "{name}");
        assert_eq!(log.unparsed, 0, "{name}: {:?}", log.problems);
        assert_eq!(log.lines, 56, "{name}");
        assert_eq!(shape(&log), expected, "{name}");
        assert_eq!(log.throttled(), 4, "{name}");
        // arrival times: exact where the format logs them, else within the logged precision
        let starts: Vec<i64> = log.records.iter().map(|r| r.time).collect();
        let expected_starts: Vec<i64> = generic.records.iter().map(|r| r.time).collect();
        let mut a = starts.clone();
        let mut b = expected_starts.clone();
        a.sort();
        b.sort();
        // without a duration nginx's times are when each response was sent: up to the
        // longest request (6.3 s) late
        let slack = if log.notes.is_empty() { 0 } else { 7 * SECOND };
        for (x, y) in a.iter().zip(&b) {
            assert!(
                (x - y).abs() <= log.resolution + slack,
                "{name}: {x} vs {y} (resolution {})",
                log.resolution
            );
        }
    }
}

#[test]
fn format_details_survive_reading() {
    // nginx combined has no $request_time: times are when the line was written
    let combined = read("nginx-combined.log", FormatChoice::Auto);
    assert!(combined.detected);
    assert_eq!(combined.resolution, SECOND);
    assert!(combined.notes[0].contains("$request_time"));
    // the custom format logs the limiter and the duration
    let rl = read(
        "nginx-ratelimit.log",
        FormatChoice::parse(&conf("nginx-ratelimit.conf")).unwrap(),
    );
    assert!(rl.notes.is_empty());
    let rejected: Vec<_> = rl.records.iter().filter(|r| r.limiter.is_some()).collect();
    assert_eq!(rejected.len(), 56);
    assert_eq!(
        rl.records
            .iter()
            .filter(|r| r.limiter.unwrap().kind == LimiterKind::NginxRequests && r.throttled == 1)
            .count(),
        4
    );
    assert!(rl.records.iter().all(|r| r.duration.is_some()));
    // $msec beats $time_iso8601: millisecond precision
    let json = read(
        "nginx-json.log",
        FormatChoice::parse(&conf("nginx-json.conf")).unwrap(),
    );
    assert_eq!(json.resolution, why429::model::time::MILLISECOND);
    // Envoy's RL flag and Istio's local_rate_limited details
    for name in ["envoy.jsonl", "istio.jsonl"] {
        let log = read(name, FormatChoice::Auto);
        let limited = log
            .records
            .iter()
            .filter(|r| r.limiter.is_some_and(|l| l.kind == LimiterKind::Envoy))
            .count();
        assert_eq!(limited, 4, "{name}");
        assert!(
            log.records.iter().all(|r| r
                .host
                .as_ref()
                .is_some_and(|h| &**h.expose_for_computation() == "api.mypurecloud.de")),
            "{name}"
        );
    }
    // Apache's %t is the arrival: no note
    let apache = read(
        "apache-combined-D.log",
        FormatChoice::parse(&conf("apache-combined-D.conf")).unwrap(),
    );
    assert!(apache.notes.is_empty());
    assert!(apache.records.iter().all(|r| r.duration.is_some()));
}

#[test]
fn tokens_and_correlation_ids_match_the_captures_own() {
    let analysis = support::analyze(
        &support::fixtures().join("forum-thread.har"),
        &support::settings(Vec::new()),
    )
    .unwrap();
    let c = &analysis.capture;
    let capture_tokens: BTreeSet<&str> = c.tokens.iter().map(String::as_str).collect();
    let capture_correlations: BTreeSet<String> = c
        .requests
        .iter()
        .filter_map(|r| c.correlation(r))
        .map(|s| s.expose_for_computation().to_string())
        .collect();
    for (name, choice) in [
        ("generic.jsonl", FormatChoice::Auto),
        (
            "nginx-ratelimit.log",
            FormatChoice::parse(&conf("nginx-ratelimit.conf")).unwrap(),
        ),
        (
            "nginx-json.log",
            FormatChoice::parse(&conf("nginx-json.conf")).unwrap(),
        ),
    ] {
        let log = read(name, choice);
        let tokens: BTreeSet<String> = log
            .records
            .iter()
            .filter_map(|r| r.token.map(|t| t.short()))
            .collect();
        // the app's token (the capture's one client) and the UI's, which the capture lacks
        assert_eq!(tokens.len(), 2, "{name}");
        let shared: Vec<&String> = tokens
            .iter()
            .filter(|t| capture_tokens.contains(t.as_str()))
            .collect();
        assert_eq!(shared.len(), 1, "{name}: the capture's token is found");
        let matched = log
            .records
            .iter()
            .filter_map(|r| r.correlation.as_ref())
            .filter(|id| capture_correlations.contains(id.expose_for_computation()))
            .count();
        assert_eq!(
            matched, 27,
            "{name}: every request of the capture is in the log"
        );
    }
}

#[test]
fn the_usage_export_is_aggregated_per_day() {
    let log = read("genesys-usage.json", FormatChoice::Auto);
    assert_eq!(log.format, ServerLogFormat::GenesysUsage);
    assert_eq!(log.records.len(), 7);
    // every request but the 13 preflights, which carry no client
    assert_eq!(log.requests(), 43);
    assert_eq!(log.throttled(), 4);
    assert_eq!(
        log.granularity,
        Granularity::Aggregated {
            interval: 86_400 * SECOND
        }
    );
    assert!(log.notes[0].contains("read as Day"));
    assert!(
        log.records
            .iter()
            .all(|r| r.template.is_some() && r.path.is_none())
    );
    let named = read(
        "genesys-usage.json",
        FormatChoice::GenesysUsage(Some(UsageGranularity::Day)),
    );
    assert!(named.notes.is_empty());
}

#[test]
fn damaged_lines_are_listed_with_their_line_and_reason() {
    let log = read("generic-damaged.jsonl", FormatChoice::Auto);
    assert_eq!(log.records.len(), 4);
    assert_eq!(log.lines, 12);
    let problems: Vec<(u64, &str)> = log
        .problems
        .iter()
        .map(|p| (p.line, p.reason.as_str()))
        .collect();
    assert_eq!(
        problems,
        vec![
            (
                3,
                "the time has no zone (Z or ±hh:mm): it is not read as UTC"
            ),
            (4, "the line has no method"),
            (5, "the line is not valid JSON (at column 1)"),
            (6, "the status is not a number"),
            (10, "the path is neither /path nor an absolute URL"),
            (11, "the time is outside 1990–2200"),
            (12, "the line is JSON but not an object"),
        ]
    );
}

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out).expect("valid JSON on stdout")
}

#[test]
fn the_cli_reads_logs_beside_captures() {
    let forum = support::fixtures().join("forum-thread.har");
    // a directory: every file in it; the .conf files are not logs
    let out = why429()
        .args(["analyze", "--format", "json", "--server-log"])
        .arg(dir().join("generic-damaged.jsonl"))
        .arg("--server-log")
        .arg(dir().join("genesys-usage.json"))
        .arg(&forum)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out.stdout);
    let logs = &v["captures"][0]["server_logs"];
    assert_eq!(logs.as_array().unwrap().len(), 2);
    assert_eq!(logs[0]["format"], "generic");
    assert_eq!(logs[0]["records"], 4);
    assert_eq!(logs[0]["unparsed"], 7);
    assert_eq!(
        logs[0]["problems"][0],
        json!({"line": 3, "reason": "the time has no zone (Z or ±hh:mm): it is not read as UTC"})
    );
    assert_eq!(logs[1]["format"], "genesys-usage");
    assert_eq!(logs[1]["granularity"], "per day");
    assert_eq!(logs[1]["requests"], 43);
    // the report still matches its schema
    let schema = why429::report::Report::schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.validate(&v).is_ok());
    // the terminal header: one line per log (when the terminal is wide enough)
    let out = why429()
        .env("COLUMNS", "200")
        .args(["analyze", "--server-log-format"])
        .arg(conf("nginx-ratelimit.conf"))
        .arg("--server-log")
        .arg(dir().join("nginx-ratelimit.log"))
        .arg(&forum)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("server log "))
        .expect("a server log line");
    // nginx logs whole seconds: the first arrival is 22:29:49.959 or 22:29:50
    assert!(
        line.contains("nginx-ratelimit.log: nginx · per request · 56 requests, 4 throttled · 2025-03-27 22:29:")
            && line.ends_with("–22:33:17 UTC · 0 lines unparsed"),
        "{line}"
    );
    // without logs, reports are as before
    let out = why429()
        .args(["analyze", "--format", "json"])
        .arg(&forum)
        .output()
        .unwrap();
    assert!(
        json_of(&out.stdout)["captures"][0]
            .get("server_logs")
            .is_none()
    );
}

#[test]
fn the_cli_refuses_what_is_not_a_log() {
    let forum = support::fixtures().join("forum-thread.har");
    // the .conf files in the samples' folder are not logs: errors, the rest still read
    let out = why429()
        .args(["analyze", "--format", "json", "--server-log"])
        .arg(dir())
        .arg(&forum)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("apache-combined-D.conf"), "{stderr}");
    let v = json_of(&out.stdout);
    assert!(v["captures"][0]["server_logs"].as_array().unwrap().len() >= 8);
    // a HAR given as a log
    why429()
        .args(["analyze", "--server-log"])
        .arg(&forum)
        .arg(&forum)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "forum-thread.har: the file is a HAR capture, not a server log",
        ))
        .stderr(predicates::str::contains(
            "hint: pass captures as inputs and the server's log with --server-log",
        ));
    // a broken format string is a usage error before anything is read
    why429()
        .args([
            "analyze",
            "--server-log-format",
            "apache:%h %>s",
            "--server-log",
        ])
        .arg(dir().join("generic.jsonl"))
        .arg(&forum)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("the format logs no time"));
    // a format without a log
    why429()
        .args(["analyze", "--server-log-format", "envoy"])
        .arg(&forum)
        .assert()
        .code(2);
    // check takes them too
    why429()
        .args([
            "check",
            "--fail-on",
            "undocumented-limit",
            "--format",
            "json",
            "--server-log",
        ])
        .arg(dir().join("envoy.jsonl"))
        .arg(&forum)
        .assert()
        .code(1)
        .stdout(predicates::str::contains("\"server_logs\""));
}

/// Where markers are planted in server logs.
const PLACES: [&str; 14] = [
    "log-token",
    "log-cookie",
    "log-query-value",
    "log-user-agent",
    "log-ip",
    "log-forwarded",
    "log-correlation",
    "log-path-id",
    "log-user",
    "log-client",
    "log-client-name",
    "log-referer",
    "log-request-id",
    "log-org",
];

const NGINX_CANARY: &str = r#"log_format canary '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_cookie" "$http_authorization" "$http_x_forwarded_for" $request_id $upstream_http_inin_correlation_id $request_time';"#;
const NGINX_JSON_CANARY: &str = r#"log_format canary escape=json '{"t":"$time_iso8601","r":"$request","s":$status,"a":"$http_authorization","c":"$http_cookie","ua":"$http_user_agent","ip":"$remote_addr","xff":"$http_x_forwarded_for","rid":"$request_id","ref":"$http_referer"}';"#;
const APACHE_CANARY: &str = r#"%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\" \"%{Cookie}i\" \"%{Authorization}i\" %{X-Request-Id}i %D"#;

/// One log per format with every marker planted in every field the format has, good lines
/// and lines broken in every way (each still carrying markers), and the choice to read it.
fn canary_logs(c: &Canaries) -> Vec<(&'static str, String, String)> {
    let m = |p: &str| c.m(p).to_string();
    let path = format!(
        "/api/v2/users/{}/queues?secret={}",
        m("log-path-id"),
        m("log-query-value")
    );
    let auth = format!("Bearer {}", m("log-token"));
    let cookie = format!("sid={}", m("log-cookie"));
    let ua = format!("Mozilla/5.0 {}", m("log-user-agent"));
    let ip = format!("10.1.{}", m("log-ip"));
    let xff = format!("{}, 10.0.0.1", m("log-forwarded"));
    let referer = format!("https://app.example.com/{}", m("log-referer"));
    let mut out = Vec::new();

    // generic
    let g = |time: Value, method: &str, status: Value| {
        json!({"time": time, "method": method, "path": path, "status": status,
               "client": m("log-client"), "user": m("log-user"), "token": m("log-token"),
               "correlation_id": m("log-correlation"), "user_agent": ua, "ip": ip,
               "cookie": cookie, "referer": referer})
        .to_string()
    };
    let lines = [
        g(json!("2026-11-28T03:06:37.043Z"), "GET", json!(200)),
        g(json!("2026-11-28T03:06:38.043Z"), "PUT", json!(429)),
        g(
            json!(format!("2026-11-28T03:06:37 {}", m("log-user"))),
            "GET",
            json!(200),
        ),
        g(json!("2026-11-28T03:06:37"), "GET", json!(200)),
        g(
            json!("2026-11-28T03:06:37Z"),
            &format!("GET{}", m("log-client")),
            json!(200),
        ),
        g(json!("2026-11-28T03:06:37Z"), "GET", json!(m("log-ip"))),
        g(json!(m("log-correlation")), "GET", json!(200)),
        g(
            json!("2026-11-28T03:06:37Z"),
            "GET",
            json!({"x": m("log-token")}),
        )[..120]
            .to_string(),
        m("log-token"),
    ];
    out.push(("generic", lines.join("\n"), "generic".to_string()));

    // nginx text
    let n = |time: &str, request: &str, status: &str| {
        format!(
            r#"{ip} - {} [{time}] "{request}" {status} 12 "{referer}" "{ua}" "{cookie}" "{auth}" "{xff}" {} {} 0.041"#,
            m("log-user"),
            m("log-request-id"),
            m("log-correlation")
        )
    };
    let good_request = format!("GET {path} HTTP/1.1");
    let lines = [
        n("28/Nov/2026:03:06:37 +0000", &good_request, "200"),
        n(
            "28/Nov/2026:03:06:38 +0000",
            &format!("PUT {path} HTTP/1.1"),
            "429",
        ),
        n("28/Nov/2026:03:06:37", &good_request, "200"),
        n(&m("log-ip"), &good_request, "200"),
        n(
            "28/Nov/2026:03:06:37 +0000",
            &format!("{} {path} HTTP/1.1", m("log-client")),
            "200",
        ),
        n("28/Nov/2026:03:06:37 +0000", &m("log-path-id"), "200"),
        n("28/Nov/2026:03:06:37 +0000", &good_request, &m("log-user")),
        m("log-cookie"),
    ];
    out.push(("nginx", lines.join("\n"), NGINX_CANARY.to_string()));

    // nginx JSON
    let nj = |time: &str, request: &str, status: &str| {
        format!(
            r#"{{"t":"{time}","r":"{request}","s":{status},"a":"{auth}","c":"{cookie}","ua":"{ua}","ip":"{ip}","xff":"{xff}","rid":"{}","ref":"{referer}"}}"#,
            m("log-request-id")
        )
    };
    let lines = [
        nj("2026-11-28T03:06:37+00:00", &good_request, "200"),
        nj(
            "2026-11-28T03:06:38+00:00",
            &format!("PUT {path} HTTP/1.1"),
            "429",
        ),
        nj("2026-11-28T03:06:37", &good_request, "200"),
        nj(&m("log-ip"), &good_request, "200"),
        nj("2026-11-28T03:06:37+00:00", &m("log-path-id"), "200"),
        nj(
            "2026-11-28T03:06:37+00:00",
            &good_request,
            &format!("\"{}\"", m("log-user")),
        ),
        nj("2026-11-28T03:06:37+00:00", &good_request, &m("log-user")),
    ];
    out.push((
        "nginx-json",
        lines.join("\n"),
        NGINX_JSON_CANARY.to_string(),
    ));

    // Apache
    let a = |time: &str, request: &str, status: &str| {
        format!(
            r#"{ip} - {} [{time}] "{request}" {status} 12 "{referer}" "{ua}" "{cookie}" "{auth}" {} 41000"#,
            m("log-user"),
            m("log-request-id")
        )
    };
    let lines = [
        a("28/Nov/2026:03:06:37 +0000", &good_request, "200"),
        a(
            "28/Nov/2026:03:06:38 +0000",
            &format!("PUT {path} HTTP/1.1"),
            "429",
        ),
        a("28/Nov/2026:03:06:37", &good_request, "200"),
        a("28/Nov/2026:03:06:37 +0000", &m("log-path-id"), "200"),
        a("28/Nov/2026:03:06:37 +0000", &good_request, &m("log-user")),
    ];
    out.push((
        "apache",
        lines.join("\n"),
        format!("apache:{APACHE_CANARY}"),
    ));

    // Envoy
    let e = |time: Value, method: &str, code: Value| {
        json!({"start_time": time, "method": method, "path": path, "response_code": code,
               "response_flags": "-", "duration": 41, "x-forwarded-for": xff, "user-agent": ua,
               "x-request-id": m("log-request-id"), ":authority": m("log-referer"),
               "authorization": auth, "cookie": cookie,
               "downstream_remote_address": format!("{ip}:443")})
        .to_string()
    };
    let lines = [
        e(json!("2026-11-28T03:06:37.043Z"), "GET", json!(200)),
        e(json!("2026-11-28T03:06:38.043Z"), "PUT", json!(429)),
        e(json!("2026-11-28T03:06:37.043"), "GET", json!(200)),
        e(
            json!("2026-11-28T03:06:37.043Z"),
            &m("log-user"),
            json!(200),
        ),
        e(
            json!("2026-11-28T03:06:37.043Z"),
            "GET",
            json!(m("log-client")),
        ),
    ];
    out.push(("envoy", lines.join("\n"), "envoy".to_string()));

    // Genesys usage
    let row = |date: &str, requests: Value| {
        json!({"clientId": m("log-client"), "clientName": m("log-client-name"),
               "organizationId": m("log-org"), "userId": m("log-user"),
               "templateUri": "api/v2/users/{userId}/queues", "httpMethod": "GET",
               "status200": 3, "status429": 1, "status400": 1, "requests": requests, "date": date})
    };
    let doc = json!({"results": [
        row("2026-11-28T00:00:00Z", json!(4)),
        row("2026-11-29T00:00:00Z", json!(5)),
        row("2026-11-28T00:00:00", json!(4)),
        row(&m("log-client-name"), json!(4)),
        row("2026-11-28T00:00:00Z", json!(m("log-user"))),
        row("2026-11-28T00:00:00Z", json!(-4)),
    ], "queryStatus": "Complete", "cursors": {"after": m("log-token")}});
    out.push((
        "genesys-usage",
        serde_json::to_string_pretty(&doc).unwrap(),
        "genesys-usage".to_string(),
    ));
    out
}

#[test]
fn canaries_in_server_logs_reach_no_output_and_no_message() {
    let c = Canaries::with_places(0x10c5, &PLACES);
    let tmp = tempfile::tempdir().unwrap();
    let forum = support::fixtures().join("forum-thread.har");
    for (name, text, format) in canary_logs(&c) {
        // the reader: records hold the values only as Sensitive or fingerprints
        let choice = FormatChoice::parse(&format).unwrap();
        let log = why429::normalize::serverlog::read_bytes(
            "canary.log",
            text.as_bytes(),
            &choice,
            &key(),
            1000,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(log.records.len() >= 2, "{name}: {:?}", log.problems);
        assert!(log.unparsed >= 3, "{name}: {:?}", log.problems);
        assert!(log.records.iter().any(|r| r.throttled > 0), "{name}");
        scan(
            &format!("{name} problems"),
            format!("{:?}", log.problems).as_bytes(),
            &c,
            &[],
        );
        scan(
            &format!("{name} log (Debug)"),
            format!("{log:?}").as_bytes(),
            &c,
            &[],
        );
        // the tokens are there, as fingerprints
        if name != "genesys-usage" {
            assert!(log.records.iter().all(|r| r.token.is_some()), "{name}");
        }
        let file = tmp.path().join(format!("{name}.log"));
        std::fs::write(&file, &text).unwrap();
        for args in [
            vec!["analyze", "--format", "terminal", "--color", "always"],
            vec!["analyze", "--format", "json"],
            vec!["analyze", "--format", "markdown"],
            vec!["analyze", "--format", "html"],
            vec!["analyze", "--format", "junit"],
            vec![
                "analyze",
                "--format",
                "json",
                "--show-ids",
                "--show-client-ids",
            ],
            vec!["check", "--format", "json"],
            vec!["check", "--format", "github"],
        ] {
            let out = why429()
                .args(&args)
                .arg("--server-log")
                .arg(&file)
                .arg("--server-log-format")
                .arg(&format)
                .arg(&forum)
                .output()
                .unwrap();
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{name} {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            scan(&format!("{name} {args:?} stdout"), &out.stdout, &c, &[]);
            scan(&format!("{name} {args:?} stderr"), &out.stderr, &c, &[]);
        }
        // a log of which no line can be read: the error names the first reason, never a value
        let bad: String = text.lines().skip(2).collect::<Vec<_>>().join("\n");
        let bad_file = tmp.path().join(format!("{name}-bad.log"));
        std::fs::write(&bad_file, &bad).unwrap();
        let out = why429()
            .args(["analyze", "--format", "json", "--server-log"])
            .arg(&bad_file)
            .arg("--server-log-format")
            .arg(&format)
            .arg(&forum)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        if name != "genesys-usage" {
            assert!(
                String::from_utf8_lossy(&out.stderr).contains("none of the"),
                "{name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        scan(&format!("{name} unreadable stdout"), &out.stdout, &c, &[]);
        scan(&format!("{name} unreadable stderr"), &out.stderr, &c, &[]);
    }
}

/// Server-log inputs that once broke a property of the reader, kept as files (see
/// `fixtures/bad/README.md`): each replays the fuzz target's checks.
#[test]
fn every_past_server_log_finding_stays_fixed() {
    let mut n = 0;
    for entry in std::fs::read_dir(support::fixtures().join("bad")).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .is_some_and(|f| f.to_string_lossy().starts_with("serverlog-"))
        {
            super::serverlog_exercise::run(&std::fs::read(&path).unwrap());
            n += 1;
        }
    }
    assert!(n >= 1);
}

//! The log reader end to end: chunking, line caps, format choice and detection, refusals.

use std::sync::Arc;

use super::*;
use crate::error::InputErrorKind;
use crate::model::{Granularity, ServerLogFormat, time::SECOND};

fn key() -> FingerprintKey {
    FingerprintKey::from_passphrase("serverlog")
}

fn read(text: &str, choice: FormatChoice) -> Result<ServerLog, InputError> {
    read_bytes("test.log", text.as_bytes(), &choice, &key(), 4096)
}

const GENERIC: &str = concat!(
    r#"{"time": "2026-11-28T03:06:38.000Z", "method": "GET", "path": "/b", "status": 429, "user_agent": "UA-1"}"#,
    "\n",
    r#"{"time": "2026-11-28T03:06:37.000Z", "method": "GET", "path": "/a", "status": 200, "user_agent": "UA-1"}"#,
    "\n\n",
    r#"{"time": "2026-11-28T03:06:39.000Z", "method": "GET"}"#,
    "\n",
);

#[test]
fn records_are_sorted_and_problems_listed_with_their_line() {
    let log = read(GENERIC, FormatChoice::Auto).unwrap();
    assert_eq!(log.format, ServerLogFormat::Generic);
    assert!(log.detected);
    assert_eq!(log.granularity, Granularity::PerRequest);
    assert_eq!(log.lines, 4);
    assert_eq!(log.records.len(), 2);
    assert_eq!(log.records[0].line, 2);
    assert_eq!(log.records[1].line, 1);
    assert_eq!(log.unparsed, 1);
    assert_eq!(log.problems[0].line, 4);
    assert_eq!(log.problems[0].reason, "the line has no path");
    assert_eq!(log.requests(), 2);
    assert_eq!(log.throttled(), 1);
    assert_eq!(log.resolution, crate::model::time::MILLISECOND);
    // repeated text is stored once
    let a = log.records[0].user_agent.as_ref().unwrap();
    let b = log.records[1].user_agent.as_ref().unwrap();
    assert!(Arc::ptr_eq(
        a.expose_for_computation(),
        b.expose_for_computation()
    ));
}

#[test]
fn any_chunking_reads_the_same() {
    let mut text = String::new();
    for i in 0..400 {
        text.push_str(&format!(
            "203.0.113.{} - - [28/Nov/2026:03:{:02}:{:02} +0000] \"GET /api/v2/users/u{i} HTTP/1.1\" 200 612 \"-\" \"curl/8.5.0\"\r\n",
            i % 250,
            i / 60,
            i % 60
        ));
    }
    let whole = read_bytes(
        "a.log",
        text.as_bytes(),
        &FormatChoice::Auto,
        &key(),
        1 << 20,
    )
    .unwrap();
    assert_eq!(whole.records.len(), 400);
    assert_eq!(whole.format, ServerLogFormat::Nginx);
    assert!(whole.notes[0].contains("when nginx wrote each line"));
    assert_eq!(whole.resolution, SECOND);
    for chunk in [1, 3, 1000, 16 * 1024] {
        let log = read_bytes("a.log", text.as_bytes(), &FormatChoice::Auto, &key(), chunk).unwrap();
        assert_eq!(log, whole, "chunk {chunk}");
    }
}

#[test]
fn an_overlong_line_is_a_problem_and_the_next_lines_are_read() {
    let long = format!(
        r#"{{"time": "2026-11-28T03:06:37Z", "method": "GET", "path": "/{}"}}"#,
        "x".repeat(MAX_LINE)
    );
    let text = format!(
        "{}\n{long}\n{}\n",
        GENERIC.lines().nth(1).unwrap(),
        GENERIC.lines().next().unwrap()
    );
    let log = read_bytes(
        "a.log",
        text.as_bytes(),
        &FormatChoice::Generic,
        &key(),
        1000,
    )
    .unwrap();
    assert_eq!(log.records.len(), 2);
    assert_eq!(log.problems.len(), 1);
    assert_eq!(log.problems[0].line, 2);
    assert!(log.problems[0].reason.contains("longer than 64 KiB"));
    // and at the very end, without a final newline
    let log = read_bytes(
        "a.log",
        format!("{}\n{long}", GENERIC.lines().next().unwrap()).as_bytes(),
        &FormatChoice::Generic,
        &key(),
        777,
    )
    .unwrap();
    assert_eq!(log.problems[0].line, 2);
    assert_eq!(log.lines, 2);
}

#[test]
fn files_that_are_not_logs_are_errors_naming_the_file() {
    let cases: [(&[u8], InputErrorKind, &str); 7] = [
        (b"", InputErrorKind::Empty, "empty"),
        (b" \n\n", InputErrorKind::Empty, "empty"),
        (b"\xff\xfe{\0\"\0", InputErrorKind::Encoding, "UTF-16"),
        (
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            InputErrorKind::NotLog,
            "binary",
        ),
        (b"PK\x03\x04\x14\0", InputErrorKind::NotLog, "zip"),
        (
            br#"{"log": {"version": "1.2", "entries": []}}"#,
            InputErrorKind::NotLog,
            "HAR",
        ),
        (b"hello\nworld\n", InputErrorKind::NotLog, "not recognised"),
    ];
    for (bytes, kind, words) in cases {
        let e = read_bytes("x.log", bytes, &FormatChoice::Auto, &key(), 64).unwrap_err();
        assert_eq!(e.kind, kind, "{e}");
        assert_eq!(e.source, "x.log");
        assert!(e.problem.contains(words), "{e}");
        assert!(!e.hint.is_empty());
    }
}

#[test]
fn a_log_of_which_no_line_can_be_read_is_an_error() {
    let e = read("garbage one\ngarbage two\n", FormatChoice::Nginx(None)).unwrap_err();
    assert_eq!(e.kind, InputErrorKind::NoUsableEntry);
    assert!(
        e.problem
            .starts_with("none of the 2 lines could be read as nginx"),
        "{e}"
    );
    assert!(e.problem.contains("does not match"));
    assert!(
        e.to_string()
            .starts_with("test.log:1:1: none of the 2 lines")
    );
}

#[test]
fn problems_are_capped_but_counted() {
    let mut text = String::from(GENERIC.lines().next().unwrap());
    text.push('\n');
    for _ in 0..1500 {
        text.push_str("{\"time\": 5}\n");
    }
    let log = read(&text, FormatChoice::Generic).unwrap();
    assert_eq!(log.unparsed, 1500);
    assert_eq!(
        log.problems.len(),
        crate::model::server::MAX_LISTED_PROBLEMS
    );
}

#[test]
fn a_bom_and_crlf_are_read_as_text() {
    let text = format!("\u{feff}{}", GENERIC.replace('\n', "\r\n"));
    let log = read(&text, FormatChoice::Auto).unwrap();
    assert_eq!(log.records.len(), 2);
}

#[test]
fn genesys_usage_documents_and_handles() {
    let export = super::genesys::tests::EXPORT;
    let log = read(export, FormatChoice::Auto).unwrap();
    assert_eq!(log.format, ServerLogFormat::GenesysUsage);
    assert_eq!(log.records.len(), 2);
    assert_eq!(log.requests(), 1237 + 18);
    assert_eq!(log.throttled(), 57 + 4);
    assert_eq!(
        log.granularity,
        Granularity::Aggregated {
            interval: 86_400 * SECOND
        }
    );
    assert!(log.notes[0].contains("read as Day"), "{:?}", log.notes);
    let log = read(
        export,
        FormatChoice::GenesysUsage(Some(UsageGranularity::Week)),
    )
    .unwrap();
    assert_eq!(log.granularity.label(), "per week");
    assert!(log.notes.is_empty());
    let running = export.replace("\"Complete\"", "\"Running\"");
    assert!(read(&running, FormatChoice::Auto).unwrap().notes[1].contains("not completed"));
    let e = read(
        r#"{"executionId": "0b1c", "resultsUri": "/api/v2/usage/query/0b1c/results"}"#,
        FormatChoice::Auto,
    )
    .unwrap_err();
    assert!(e.problem.contains("execution handle"), "{e}");
    // rows one per line
    let rows = concat!(
        r#"{"templateUri":"api/v2/users/me","httpMethod":"GET","requests":3,"status429":1,"date":"2026-11-28T00:00:00Z"}"#,
        "\n",
        r#"{"templateUri":"api/v2/users/me","httpMethod":"GET","requests":4,"date":"2026-11-29T00:00:00Z"}"#,
        "\n"
    );
    let log = read(rows, FormatChoice::Auto).unwrap();
    assert_eq!(log.requests(), 7);
    assert!(log.notes[0].contains("Day was told"));
}

#[test]
fn a_chosen_format_is_used_without_detection() {
    let line = r#"198.51.100.7 - - [28/Nov/2026:04:06:37 +0100] "GET /a HTTP/1.1" 200 5 "-" "x""#;
    let log = read(line, FormatChoice::Apache(None)).unwrap();
    assert_eq!(log.format, ServerLogFormat::Apache);
    assert!(!log.detected);
    assert!(log.notes.is_empty(), "Apache's %t is the arrival");
    assert_eq!(log.records[0].time, 1_795_835_197_000_000);
}

#[test]
fn debug_forms_show_no_log_text() {
    let line = br#"{"time": "2026-11-28T03:06:37Z", "method": "GET", "path": "/SECRETPATH", "token": "SECRETTOKEN"}"#;
    let k = key();
    let mut r = LogReader::new("x.log", FormatChoice::Generic, &k);
    r.feed(line).unwrap();
    assert!(!format!("{r:?}").contains("SECRET"));
    let mut d = fields::Draft::default();
    d.apply(&fields::Var::Authorization, "Bearer SECRETTOKEN")
        .unwrap();
    assert!(!format!("{d:?}").contains("SECRET"));
    let mut framer = genesys::Framer::new();
    let mut events = Vec::new();
    framer.feed(br#"{"results": [{"clientName": "SECRETCLIENT"#, &mut |e| {
        events.push(e)
    });
    assert!(!format!("{framer:?}").contains("SECRET"));
    let log = r.finish().unwrap();
    assert!(!format!("{log:?}").contains("SECRET"));
}

/// The access log of the lab's nginx gateway (`scripts/lab/gateway/gateway.py`: an
/// `escape=json` format whose keys are the variables' names) is recognised and read as it is.
#[test]
fn the_lab_gateways_nginx_log_is_read_by_variable_names() {
    let line = |msec: &str, status: &str, req: &str, conn: &str| {
        format!(
            r#"{{"msec":"{msec}","request_id":"900543085e2cc1f3ff518c8e6858fa94","request_method":"GET","request_uri":"/api/v2/users/me?x=1","status":"{status}","request_time":"0.043","limit_req_status":"{req}","limit_conn_status":"{conn}","connection":"2","connection_requests":"1","http_authorization":"Bearer tok-g02-agent","http_x_lab_source":"background","http_x_lab_client":"sync-job","http_origin":"","upstream_response_time":"0.043"}}"#
        )
    };
    let text = [
        line("1796135246.103", "200", "PASSED", ""),
        line("1796135246.203", "429", "REJECTED", ""),
        line("1796135246.303", "429", "PASSED", "REJECTED"),
    ]
    .join("\n");
    let log = read(&text, FormatChoice::Auto).unwrap();
    assert_eq!(log.format, ServerLogFormat::NginxJson);
    assert_eq!(log.records.len(), 3);
    assert!(
        log.notes.is_empty(),
        "$msec less $request_time is the arrival"
    );
    let r = &log.records[0];
    assert_eq!(r.time, 1_796_135_246_103_000 - 43_000);
    assert_eq!(
        r.token,
        crate::normalize::identity::identify(Some("Bearer tok-g02-agent"), None, None, &key())
            .token
    );
    assert_eq!(log.throttled(), 2);
    assert_eq!(
        log.records[2].limiter.map(|l| l.kind),
        Some(crate::model::LimiterKind::NginxConnections)
    );
}

//! Unit tests of the join: a capture and a log built here, through the public pipeline.

use std::sync::Arc;

use crate::batch::{self, Settings};
use crate::diagnose::Cause;
use crate::ingest::{self, Input};
use crate::model::time;
use crate::normalize::FingerprintKey;
use crate::normalize::serverlog::{FormatChoice, read_bytes};

const PROFILE: &str = r#"
name = "t"
hosts = ["api.example.com"]
[[layer]]
name = "per.user"
limit = 4
window = "3.5s"
per = ["user"]
"#;

/// Six GETs of one token a second apart from 00:00:00; the sixth refused.
fn har() -> Vec<u8> {
    let entries: Vec<String> = (0..6)
        .map(|k| {
            let status = if k == 5 { 429 } else { 200 };
            format!(
                r#"{{"startedDateTime":"2025-01-01T00:00:0{k}.000Z","time":300,
                "request":{{"method":"GET","url":"https://api.example.com/api/x/{k}",
                  "headers":[{{"name":"Authorization","value":"Bearer tok-mine"}}]}},
                "response":{{"status":{status},"headers":[]}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"log":{{"version":"1.2","entries":[{}]}}}}"#,
        entries.join(",")
    )
    .into_bytes()
}

/// The server's side: the six on a clock `shift_s` ahead (each arriving a little after the
/// browser started it, one 200 ms late), and four more of another client of user `other_user`.
fn log(shift_s: f64, other_user: &str) -> String {
    let t0 = 1_735_689_600.0 + shift_s;
    let lags = [0.002, 0.004, 0.200, 0.003, 0.001, 0.002];
    let mut out = String::new();
    for (k, lag) in lags.iter().enumerate() {
        let status = if k == 5 { 429 } else { 200 };
        out.push_str(&format!(
            "{{\"time\": {}, \"method\": \"GET\", \"path\": \"/api/x/{k}\", \"status\": {status}, \"client\": \"mine\", \"user\": \"u1\", \"token\": \"tok-mine\"}}\n",
            t0 + k as f64 + lag
        ));
    }
    for k in 0..4 {
        out.push_str(&format!(
            "{{\"time\": {}, \"method\": \"GET\", \"path\": \"/api/y\", \"status\": 200, \"client\": \"other\", \"user\": \"{other_user}\", \"token\": \"tok-other\"}}\n",
            t0 + 0.7 + k as f64
        ));
    }
    out
}

fn analyze(log_text: &str) -> batch::Analysis {
    let key = FingerprintKey::from_passphrase("join tests");
    let profile = crate::profiles::parse::parse("t.toml", PROFILE).unwrap();
    let server = read_bytes(
        "s.jsonl",
        log_text.as_bytes(),
        &FormatChoice::Generic,
        &key,
        4096,
    )
    .unwrap();
    let mut settings = Settings::new(key, vec![profile], Vec::new()).unwrap();
    settings.server_logs = vec![Arc::new(server)];
    let input = Input::Stdin(Arc::new(har()));
    let (sources, errors) = ingest::discover(&[input], settings.read.limits);
    assert!(errors.is_empty());
    batch::analyze_one(&sources[0], &settings).unwrap()
}

#[test]
fn records_match_by_time_across_a_clock_offset_despite_a_late_arrival() {
    let a = analyze(&log(7.5, "u1"));
    let j = a.join.as_ref().unwrap();
    assert_eq!(j.matched(), 6);
    assert_eq!(j.unmatched(), 4);
    // the least lag the pairs allow, not their median
    let off = j.offset.unwrap();
    assert!(
        (off - time::secs(7.501)).abs() <= time::MILLISECOND,
        "{off}"
    );
    assert!(j.matches.iter().all(Option::is_some));
}

#[test]
fn hidden_records_of_the_same_user_fill_the_window_and_are_named() {
    let a = analyze(&log(0.0, "u1"));
    let t = &a.diagnosis.throttles[0];
    assert_eq!(t.cause(), Cause::HiddenTraffic);
    assert_eq!(t.hidden_by.len(), 1);
    assert_eq!(t.hidden_by[0].requests, 3);
    let id = &a.join.as_ref().unwrap().identities[t.hidden_by[0].identity as usize];
    assert_eq!(id.client_label, "log-client-1");
    assert_eq!(id.user_label, a.capture.users[0].label);
    assert_eq!(t.server.as_ref().unwrap().proof, super::WindowProof::Full);
}

#[test]
fn records_of_another_user_leave_room_and_point_to_an_undocumented_limit() {
    let a = analyze(&log(0.0, "u2"));
    let t = &a.diagnosis.throttles[0];
    assert_eq!(t.cause(), Cause::UndocumentedLimit);
    assert!(t.hidden_by.is_empty());
    assert_eq!(t.server.as_ref().unwrap().proof, super::WindowProof::Room);
    assert!(t.refuted.iter().any(|c| matches!(
        c.refuted,
        Some(crate::diagnose::Refutation::ServerLogShowsRoom(_))
    )));
}

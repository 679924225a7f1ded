//! Naming hidden traffic against the lab truth: every lab recording whose server also saw
//! traffic outside the capture is analyzed with the server's own log (`<s>.server.jsonl`,
//! written from `<s>.truth.jsonl` by `scripts/lab/truth_to_log.py`), and every throttle's cause
//! and `hidden_by` are checked against answers computed here, independently, from the truth:
//! the refusing layer (lab) or zone (gateway) the truth names on the 429, its key, window and
//! cost, and the background requests that layer counted in the window that ended at the 429.
//!
//! A second pass drops the correlation ids and moves the server clock by 2.5 s, so records
//! must match by method, path and time, and the estimated offset must come out at 2.5 s.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use why429::batch::{self, Analysis};
use why429::ingest::Limits;
use why429::model::ServerLog;
use why429::normalize::serverlog::FormatChoice;
use why429::report::{self, Disclosure};

use super::scoring;
use super::support;

/// One lab recording: its scenario folder and name, the HAR, and the scenario's files.
struct Recording {
    dir: PathBuf,
    scenario: String,
    har: PathBuf,
}

impl Recording {
    fn file(&self, suffix: &str) -> PathBuf {
        self.dir.join(format!("{}.{suffix}", self.scenario))
    }
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Recordings (HARs with credentials: the Playwright and chrome-har ones) of every scenario
/// whose truth holds background traffic and a browser throttle.
fn recordings() -> Vec<Recording> {
    let mut out = Vec::new();
    for d in ["lab", "lab-gateway"] {
        let dir = support::fixtures().join(d);
        for (scenario, producer, har, _, _) in scoring::recordings(&dir) {
            if producer == "sanitized.har" {
                continue;
            }
            let truth = lines(&dir.join(format!("{scenario}.truth.jsonl")));
            let background = truth.iter().any(|l| l["source"] == "background");
            let throttled = truth.iter().any(|l| l["source"] == "browser" && refused(l));
            if background && throttled {
                out.push(Recording {
                    dir: dir.clone(),
                    scenario,
                    har,
                });
            }
        }
    }
    out
}

fn refused(l: &Value) -> bool {
    l["throttle"].as_bool().unwrap_or(false) || l["status"].as_u64() == Some(429)
}

/// The id a truth line and the capture share.
fn id_of(l: &Value) -> Option<&str> {
    l["correlation_id"].as_str().or(l["request_id"].as_str())
}

/// The hidden senders the truth says used the refusing window of `target`:
/// (client, user, requests), most first.
fn truth_hidden_by(cfg: &Value, truth: &[Value], target: &Value) -> Vec<(String, String, u64)> {
    let mut n: BTreeMap<(String, String), u64> = BTreeMap::new();
    let t = target["t"].as_f64().unwrap();
    if let Some(gw) = cfg["scenario_file"]["gateway"].as_object() {
        // gateway: the zone's bucket horizon, same Authorization, requests that used budget
        let zone_name = target["zone"].as_str();
        let h = if gw["kind"] == "governor" {
            let per = if gw.get("per").and_then(Value::as_str) == Some("minute") {
                60.0
            } else {
                1.0
            };
            let rate = gw["n"].as_f64().unwrap();
            gw.get("burst").and_then(Value::as_f64).unwrap_or(rate) * per / rate
        } else {
            let zone = gw["zones"]
                .as_array()
                .unwrap()
                .iter()
                .find(|z| z["name"].as_str() == zone_name)
                .unwrap();
            let rate: f64 = zone["rate"]
                .as_str()
                .unwrap()
                .trim_end_matches("r/s")
                .parse()
                .unwrap();
            (zone["burst"].as_f64().unwrap_or(0.0) + 1.0) / rate
        };
        for b in truth.iter().filter(|b| b["source"] == "background") {
            let used = if gw["kind"] == "governor" {
                !refused(b)
            } else {
                matches!(b["limit_req_status"].as_str(), Some("PASSED" | "DELAYED"))
            };
            let bt = b["t"].as_f64().unwrap();
            if used && b["authorization"] == target["authorization"] && t - h < bt && bt <= t {
                *n.entry((b["client"].as_str().unwrap().into(), "-".into()))
                    .or_default() += 1;
            }
        }
    } else {
        // lab: the refusing layer's key and window as the server's snapshot on the 429 says
        let layer = target["layer"].as_str().unwrap();
        let snap = |l: &Value| -> Option<Value> {
            l["layers"]
                .as_array()?
                .iter()
                .find(|s| s["layer"] == layer)
                .cloned()
        };
        let st = snap(target).unwrap();
        let w = st["window_s"].as_f64().unwrap();
        let start = if st["algorithm"] == "fixed" {
            t + st["reset_s"].as_f64().unwrap() - w - 0.001
        } else {
            t - w
        };
        for b in truth.iter().filter(|b| b["source"] == "background") {
            let bt = b["t"].as_f64().unwrap();
            if !(start < bt && bt <= t) {
                continue;
            }
            let counted = b["counted_in"]
                .as_array()
                .is_some_and(|c| c.iter().any(|x| x == layer));
            if let Some(s) = snap(b).filter(|s| counted && s["key"] == st["key"]) {
                *n.entry((
                    b["client"].as_str().unwrap().into(),
                    b["user"].as_str().unwrap_or("-").into(),
                ))
                .or_default() += s["cost"].as_u64().unwrap_or(1);
            }
        }
    }
    let mut v: Vec<(String, String, u64)> = n.into_iter().map(|((c, u), k)| (c, u, k)).collect();
    v.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    v
}

fn read_log(path: &Path, key: &why429::normalize::FingerprintKey) -> Vec<Arc<ServerLog>> {
    let (logs, errors) = batch::read_server_logs(
        &[path.to_path_buf()],
        &FormatChoice::Auto,
        key,
        Limits::default(),
    );
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    logs
}

fn analyze(rec: &Recording, log: &Path) -> Analysis {
    let mut s = support::settings(vec![support::profile(&rec.file("profile.toml"))]);
    s.server_logs = read_log(log, &s.key);
    support::analyze(&rec.har, &s).unwrap()
}

/// The committed log with correlation ids dropped and every time moved by `shift_s`, written
/// as epoch seconds (the generic form's other time notation).
fn shifted_log(original: &Path, shift_s: f64, out: &Path) {
    let mut text = String::new();
    for mut l in lines(original) {
        let t = chrono::DateTime::parse_from_rfc3339(l["time"].as_str().unwrap()).unwrap();
        let epoch = t.timestamp_micros() as f64 / 1e6 + shift_s;
        let o = l.as_object_mut().unwrap();
        o.remove("correlation_id");
        o.insert("time".into(), serde_json::json!(epoch));
        text.push_str(&serde_json::to_string(&l).unwrap());
        text.push('\n');
    }
    std::fs::write(out, text).unwrap();
}

/// Checks one analysis against the truth; returns (throttles, hidden-traffic throttles whose
/// `hidden_by` was exactly right).
fn check(rec: &Recording, a: &Analysis, what: &str) -> (usize, usize) {
    let truth = lines(&rec.file("truth.jsonl"));
    let cfg: Value =
        serde_json::from_str(&std::fs::read_to_string(rec.file("config.json")).unwrap()).unwrap();
    let expect = scoring::expectations(&rec.file("expect.jsonl"));
    let by_id: HashMap<&str, &Value> = truth.iter().filter_map(|l| Some((id_of(l)?, l))).collect();
    let shown = report::build(
        a,
        Disclosure {
            show_ids: true,
            show_client_ids: true,
        },
    );
    let labelled = report::build(a, Disclosure::default());
    let name = format!("{}/{} {what}", rec.scenario, rec.har.display());
    assert!(shown.join.is_some(), "{name}: no join in the report");
    let (mut throttles, mut hidden_right) = (0, 0);
    for (t, l) in shown.throttles.iter().zip(&labelled.throttles) {
        let id = t
            .correlation_id
            .as_deref()
            .expect("lab throttles carry an id");
        let Some(target) = by_id.get(id) else {
            continue;
        };
        let exp = &expect[id];
        throttles += 1;
        assert_eq!(
            (t.cause.as_str(), t.layer.as_deref()),
            (exp.cause.as_str(), exp.layer.as_deref()),
            "{name}: entry {} at {}",
            t.entry,
            t.started
        );
        if exp.cause != "hidden-traffic" {
            continue;
        }
        let want = truth_hidden_by(&cfg, &truth, target);
        assert!(!want.is_empty(), "{name}: the truth names no hidden sender");
        let got: Vec<(String, String, u64)> = t
            .hidden_by
            .iter()
            .map(|h| {
                let user = if cfg["scenario_file"]["gateway"].is_object() {
                    "-".to_string()
                } else {
                    h.user.clone()
                };
                (h.client.clone(), user, h.requests)
            })
            .collect();
        assert_eq!(got, want, "{name}: entry {} at {}", t.entry, t.started);
        // the proof: the records fill the window, and the confidence says so
        let w = t.server_window.as_ref().expect("a window the log covers");
        assert_eq!(w.proof, "full", "{name}: entry {}", t.entry);
        assert_eq!(t.confidence, "high", "{name}: entry {}", t.entry);
        // without --show-client-ids the same senders are labels, never the log's ids
        assert_eq!(
            l.hidden_by.iter().map(|h| h.requests).collect::<Vec<_>>(),
            want.iter().map(|w| w.2).collect::<Vec<_>>(),
            "{name}"
        );
        for h in &l.hidden_by {
            assert!(
                h.client == "-"
                    || h.client.starts_with("client-")
                    || h.client.starts_with("log-client-"),
                "{name}: {h:?}"
            );
            assert!(
                !want
                    .iter()
                    .any(|w| w.0 == h.client && !h.client.starts_with("client-")),
                "{name}: a raw client id without --show-client-ids: {h:?}"
            );
        }
        hidden_right += 1;
    }
    (throttles, hidden_right)
}

#[test]
fn every_hidden_sender_the_lab_truth_names_is_named_with_exact_counts() {
    let recs = recordings();
    assert!(
        recs.len() >= 16,
        "lab recordings with hidden traffic: {}",
        recs.len()
    );
    let (mut throttles, mut hidden) = (0, 0);
    for rec in &recs {
        let a = analyze(rec, &rec.file("server.jsonl"));
        let j = a.join.as_ref().unwrap();
        // every browser request of the truth that the HAR holds is matched
        assert!(j.matched() > 0, "{}", rec.scenario);
        let (t, h) = check(rec, &a, "with correlation ids");
        println!(
            "{} {}: {t} throttles, {h} hidden named; matched {}, unmatched {}, offset {:?} µs, tolerance {} µs",
            rec.scenario,
            rec.har.file_name().unwrap().to_string_lossy(),
            j.matched(),
            j.unmatched(),
            j.offset,
            j.tolerance
        );
        throttles += t;
        hidden += h;
    }
    println!("{throttles} throttles right, {hidden} hidden-traffic throttles named exactly");
    assert!(hidden >= 60, "hidden-traffic throttles checked: {hidden}");
}

#[test]
fn a_shifted_server_clock_without_correlation_ids_is_found_and_joined_by_time() {
    let tmp = tempfile::tempdir().unwrap();
    let shift = 2.5;
    for rec in recordings() {
        let log = tmp.path().join(format!("{}.jsonl", rec.scenario));
        shifted_log(&rec.file("server.jsonl"), shift, &log);
        let a = analyze(&rec, &log);
        let j = a.join.as_ref().unwrap();
        let offset = j.offset.expect("an offset from the pairs") as f64 / 1e6;
        assert!(
            (offset - shift).abs() < 0.05,
            "{}: offset {offset} s for a clock {shift} s ahead",
            rec.scenario
        );
        assert_eq!(j.logs[0].by_correlation, 0);
        check(&rec, &a, "shifted, by time");
    }
}

#[test]
fn a_log_of_other_minutes_says_it_does_not_overlap_and_names_nobody() {
    let tmp = tempfile::tempdir().unwrap();
    let rec = recordings().into_iter().next().unwrap();
    // a day later: beyond the clock skew the join searches
    let log = tmp.path().join("later.jsonl");
    shifted_log(&rec.file("server.jsonl"), 86_400.0, &log);
    let a = analyze(&rec, &log);
    let r = report::build(&a, Disclosure::default());
    let j = r.join.unwrap();
    assert_eq!(j.matched, 0);
    assert_eq!(j.logs[0].overlap, "none");
    assert!(
        j.logs[0]
            .note
            .as_deref()
            .unwrap()
            .contains("does not overlap")
    );
    assert!(r.throttles.iter().all(|t| t.hidden_by.is_empty()));
}

/// A log that begins after a throttle's window opened cannot show the window had room, so a
/// throttle may stay as undecided as without the log; it must never become less right.
#[test]
fn with_the_server_log_no_lab_throttle_is_explained_worse_than_without() {
    let (mut total, mut with, mut without) = (0, 0, 0);
    let mut wrong = Vec::new();
    for d in ["lab", "lab-gateway"] {
        let dir = support::fixtures().join(d);
        for (scenario, producer, har, expect, profile) in scoring::recordings(&dir) {
            let rec = Recording {
                dir: dir.clone(),
                scenario: scenario.clone(),
                har: har.clone(),
            };
            let exp = scoring::expectations(&expect);
            let mut s = support::settings(vec![support::profile(&profile)]);
            let before = scoring::score(
                &scenario,
                &producer,
                &support::analyze(&har, &s).unwrap(),
                &exp,
            );
            s.server_logs = read_log(&rec.file("server.jsonl"), &s.key);
            let after = scoring::score(
                &scenario,
                &producer,
                &support::analyze(&har, &s).unwrap(),
                &exp,
            );
            total += after.scored;
            with += after.cause_right;
            without += before.cause_right;
            for w in &after.wrong {
                wrong.push(format!("{scenario}.{producer}: {w}"));
                assert!(
                    before.wrong.contains(w),
                    "{scenario}.{producer}: wrong only with the server log: {w}"
                );
            }
        }
    }
    println!("causes right: {with} of {total} with the server log, {without} without");
    for w in &wrong {
        println!("  still wrong: {w}");
    }
    assert!(total > 1500, "{total}");
    assert!(with >= without, "{with} with the log, {without} without");
}

/// The server's log holds every request of the user's partitions and they leave room in every
/// documented layer, yet the server refused: that contradiction points to a limit the
/// documentation does not state, and the report says which window had room.
#[test]
fn a_refusal_the_documented_layers_had_room_for_points_to_an_undocumented_limit() {
    let rec = recordings()
        .into_iter()
        .find(|r| r.scenario.starts_with("t04_"))
        .unwrap();
    // the same log without the background clients: as if they had never sent anything
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("browser-only.jsonl");
    let browser: Vec<String> = std::fs::read_to_string(rec.file("server.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.contains("lab background"))
        .map(str::to_string)
        .collect();
    std::fs::write(&log, browser.join("\n")).unwrap();
    let a = analyze(&rec, &log);
    let r = report::build(&a, Disclosure::default());
    assert!(!r.throttles.is_empty());
    for t in &r.throttles {
        assert_eq!(t.cause, "undocumented-limit", "entry {}", t.entry);
        assert!(
            t.confidence_reason
                .contains("every documented layer had room"),
            "{}",
            t.confidence_reason
        );
        let w = t.server_window.as_ref().unwrap();
        assert_eq!(w.proof, "room");
        assert_eq!(w.hidden, 0);
        assert!(t.hidden_by.is_empty());
        assert!(
            t.ruled_out
                .iter()
                .any(|x| x.rule == "server-log-shows-room" && x.cause == "hidden-traffic"),
            "{:?}",
            t.ruled_out
        );
    }
}

/// An aggregated usage export (per day, per client and endpoint) holds the capture's own
/// requests in its counts: it names no hidden sender and matches nothing, and the report says
/// what it can prove.
#[test]
fn an_aggregated_usage_export_only_bounds_counts_and_says_so() {
    let mut s = support::settings(Vec::new());
    s.server_logs = read_log(
        &support::fixtures().join("serverlogs/genesys-usage.json"),
        &s.key,
    );
    let a = support::analyze(&support::fixtures().join("forum-thread.har"), &s).unwrap();
    let r = report::build(&a, Disclosure::default());
    let j = r.join.unwrap();
    assert_eq!((j.matched, j.unmatched), (0, 0));
    assert!(j.hidden.is_empty(), "{:?}", j.hidden);
    let note = j.logs[0].note.as_deref().unwrap();
    assert!(
        note.contains("aggregated per day") && note.contains("bound"),
        "{note}"
    );
    for t in &r.throttles {
        assert!(t.hidden_by.is_empty());
        // a day-long row cannot decide a minute's window either way
        if let Some(w) = &t.server_window {
            assert_ne!(w.proof, "room");
            assert_ne!(w.proof, "full");
        }
    }
}

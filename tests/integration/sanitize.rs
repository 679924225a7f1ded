//! `sanitize`: the copy gives the same analysis as the original on every fixture, carries no
//! secret (canary method), and the command refuses what it must.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use why429::batch::{self, Settings};
use why429::ingest::{self, Input};
use why429::normalize::FingerprintKey;
use why429::sanitize::{self, raw::Kind, verify};

use super::canary::{self, Canaries};
use super::cli::why429;
use super::support;

fn options(keep_ids: bool) -> sanitize::Options {
    sanitize::Options {
        keep_ids,
        key: FingerprintKey::from_passphrase("stand-ins of the tests"),
    }
}

fn sanitized(source: &ingest::CaptureSource, settings: &Settings, keep_ids: bool) -> Vec<u8> {
    let mut out = Vec::new();
    batch::sanitize_one(source, settings, &options(keep_ids), &mut out).unwrap();
    out
}

fn analyze_bytes(bytes: &[u8], settings: &Settings) -> batch::Analysis {
    let (sources, errors) = ingest::discover(
        &[Input::Stdin(Arc::new(bytes.to_vec()))],
        settings.read.limits,
    );
    assert!(errors.is_empty(), "{errors:?}");
    batch::analyze_one(&sources[0], settings).unwrap()
}

#[test]
fn the_copy_gives_the_same_analysis_on_every_fixture() {
    // partial: one public capture has no usable entry; it must survive sanitizing too
    let settings = support::partial(support::settings(Vec::new()));
    let mut checked = 0;
    for path in support::every_capture() {
        let (sources, errors) = ingest::discover(&[Input::Path(path.clone())], Default::default());
        if !errors.is_empty() {
            continue;
        }
        let Ok(original) = batch::analyze_one(&sources[0], &settings) else {
            assert!(path.ends_with("corrupt-truncated-not-json.har"), "{path:?}");
            continue;
        };
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for keep_ids in [false, true] {
            let copy = sanitized(&sources[0], &settings, keep_ids);
            let again = analyze_bytes(&copy, &settings);
            // the facts the property names, compared directly
            let throttles = |a: &batch::Analysis| -> Vec<(u32, String, Option<usize>)> {
                a.diagnosis
                    .throttles
                    .iter()
                    .map(|t| {
                        let r = &a.capture.requests[t.request as usize];
                        (r.entry, format!("{:?}", t.cause()), t.layer())
                    })
                    .collect()
            };
            assert_eq!(throttles(&original), throttles(&again), "{name}");
            assert_eq!(
                original.capture.requests.len(),
                again.capture.requests.len(),
                "{name}"
            );
            // and the whole report, less what a copy changes by design
            let (a, b) = (verify::comparable(&original), verify::comparable(&again));
            for (key, value) in a.as_object().unwrap() {
                assert_eq!(
                    value, &b[key],
                    "{name} (keep_ids {keep_ids}): `{key}` differs"
                );
            }
            assert_eq!(a, b, "{name}: the whole report");
        }
        checked += 1;
    }
    assert!(checked >= 100, "only {checked} fixtures checked");
}

#[test]
fn the_copy_of_the_canary_capture_holds_no_secret() {
    let c = Canaries::new(0x5a17);
    let dir = tempfile::tempdir().unwrap();
    let har = dir.path().join("canary.har");
    std::fs::write(&har, canary::capture(&c, false)).unwrap();
    let out = dir.path().join("shared.har");
    let run = why429()
        .args(["sanitize", "-o"])
        .arg(&out)
        .arg(&har)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr).to_string();
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let copy = std::fs::read(&out).unwrap();
    canary::scan("sanitized capture", &copy, &c, &[]);
    canary::scan("sanitize summary", &run.stderr, &c, &[]);
    assert!(
        stderr.contains("verified: the copy gives the same analysis"),
        "{stderr}"
    );
    // with --keep-ids only the id in the path may remain
    let run = why429()
        .args(["sanitize", "--keep-ids", "-o", "-"])
        .arg(&har)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    canary::scan("--keep-ids copy", &run.stdout, &c, &["path-id"]);
    assert!(String::from_utf8_lossy(&run.stdout).contains(c.m("path-id")));
}

#[test]
fn removals_are_counted_by_kind() {
    let settings = support::settings(Vec::new());
    let path = support::fixtures().join("forum-thread.har");
    let (sources, _) = ingest::discover(&[Input::Path(path)], Default::default());
    let mut out = Vec::new();
    let done = batch::sanitize_one(&sources[0], &settings, &options(false), &mut out).unwrap();
    let r = &done.removed;
    // the forum capture: 14 requests with a token, 4 throttles with a body, 3 ids in paths
    let c = &done.analysis.capture;
    let with_token = c.requests.iter().filter(|r| r.token.is_some()).count() as u64;
    assert_eq!(r.get(Kind::Credentials), with_token);
    let bodies = c
        .requests
        .iter()
        .filter(|r| r.throttle_body().is_some())
        .count() as u64;
    assert_eq!(r.get(Kind::ThrottleBodies), bodies);
    assert!(r.get(Kind::PathIds) > 0);
    assert!(r.get(Kind::OtherHeaders) > 0);
    assert_eq!(r.get(Kind::UnusableEntries), 0);
    // what was counted is gone from the copy
    let v: Value = serde_json::from_slice(&out).unwrap();
    for e in v["log"]["entries"].as_array().unwrap() {
        assert!(e.get("serverIPAddress").is_none());
        assert!(e["request"].get("postData").is_none());
        assert_eq!(e["request"]["cookies"], serde_json::json!([]));
        let url = e["request"]["url"].as_str().unwrap();
        assert!(!url.contains('#'));
        assert!(
            url.split_once('?')
                .is_none_or(|(_, q)| q.starts_with("pageSize="))
        );
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn the_command_refuses_to_overwrite_its_input_or_to_guess_a_capture() {
    let dir = tempfile::tempdir().unwrap();
    let forum = std::fs::read(support::fixtures().join("forum-thread.har")).unwrap();
    let har = write(dir.path(), "c.har", &forum);
    why429()
        .args(["sanitize", "-o"])
        .arg(&har)
        .arg(&har)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("the output is the input"));
    assert_eq!(
        std::fs::read(&har).unwrap(),
        forum,
        "the input is untouched"
    );
    // a folder holding one capture: the capture chosen is the input too
    std::fs::create_dir(dir.path().join("one")).unwrap();
    let inside = write(&dir.path().join("one"), "cap.har", &forum);
    why429()
        .args(["sanitize", "-o"])
        .arg(&inside)
        .arg(dir.path().join("one"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("the output is the input"));
    assert_eq!(
        std::fs::read(&inside).unwrap(),
        forum,
        "the input is untouched"
    );
    std::fs::create_dir(dir.path().join("two")).unwrap();
    write(&dir.path().join("two"), "a.har", &forum);
    write(&dir.path().join("two"), "b.har", &forum);
    why429()
        .args(["sanitize", "-o", "x.har"])
        .arg(dir.path().join("two"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("sanitize takes one capture"));
    why429()
        .args(["sanitize", "-o", "x.har"])
        .arg(dir.path().join("missing.har"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("missing.har"));
}

#[test]
fn a_gz_output_is_compressed_and_reads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("shared.har.gz");
    let run = why429()
        .args(["sanitize", "-o"])
        .arg(&out)
        .arg(support::fixtures().join("forum-thread.har"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "gzip magic");
    let json = why429()
        .args(["analyze", "--format", "json"])
        .arg(&out)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["captures"][0]["throttles"].as_array().unwrap().len(), 4);
    assert!(
        !dir.path().read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("partial")),
        "no temporary file is left behind"
    );
}

/// Markers in the fields a copy writes in some form (versions, producer fields, media types,
/// preflight headers, methods, rate-limit policy names, dates): none may survive.
#[test]
fn fields_the_copy_rewrites_carry_no_text_of_the_original() {
    let c = Canaries::new(0x0dd);
    let mut har: Value = serde_json::from_str(&canary::capture(&c, false)).unwrap();
    let marker = "CNRYXFIELD";
    for (i, e) in har["log"]["entries"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        let m = format!("{marker}{i:02}");
        e["request"]["httpVersion"] = Value::from(format!("HTTP/1.1 {m}"));
        e["response"]["httpVersion"] = Value::from(format!("h2-{m}"));
        for k in [
            "_fromCache",
            "_fetchType",
            "_initiator_type",
            "_resourceType",
        ] {
            e[k] = Value::from(format!("{m} cache"));
        }
        e["_initiator"] = serde_json::json!({"type": format!("{m}init")});
        e["response"]["_fulfilledBy"] = Value::from(format!("{m} (disk cache)"));
        e["response"]["content"]["mimeType"] = Value::from(format!("text/{m}+json"));
        let headers = e["response"]["headers"].as_array_mut().unwrap();
        headers.push(serde_json::json!({"name": "Content-Type", "value": format!("text/{m}")}));
        headers.push(serde_json::json!({"name": "RateLimit-Policy",
            "value": format!("\"{m}\";q=100;w=60;pk=:{m}:")}));
        headers.push(serde_json::json!({"name": "X-RateLimit-Limit", "value": format!("100 {m}")}));
        headers.push(
            serde_json::json!({"name": "Date", "value": format!("Thu, 27 Mar 2025 22:30:02 {m}")}),
        );
        e["request"]["headers"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"name": "Access-Control-Request-Headers",
                "value": format!("authorization, x-{m}")}));
        if i == 3 {
            e["request"]["method"] = Value::from(format!("{m}-verb"));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.har", har.to_string().as_bytes());
    let run = why429()
        .args(["sanitize", "-o", "-"])
        .arg(&input)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("verified"), "{stderr}");
    let copy = String::from_utf8_lossy(&run.stdout).to_ascii_uppercase();
    assert!(!copy.contains(marker), "a rewritten field kept its text");
    assert!(!stderr.to_ascii_uppercase().contains(marker));
    canary::scan("sanitized copy", &run.stdout, &c, &[]);
}

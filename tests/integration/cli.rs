//! The command line: inputs of every kind, exit codes and error messages.

use std::io::Write;

use assert_cmd::Command;
use predicates::prelude::*;

use super::support;

/// `why429` with a fixed fingerprint key and no colour.
pub fn why429() -> Command {
    let mut c = Command::cargo_bin("why429").unwrap();
    c.env("WHY429_FINGERPRINT_KEY", "cli tests")
        .env("NO_COLOR", "1");
    c
}

fn forum() -> std::path::PathBuf {
    support::fixtures().join("forum-thread.har")
}

fn json_of(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).expect("valid JSON on stdout")
}

/// The JSON report of `analyze --format json` with `extra` flags on the forum thread.
fn forum_json(extra: &[&str]) -> serde_json::Value {
    let out = why429()
        .args(["analyze", "--format", "json"])
        .args(extra)
        .arg(forum())
        .output()
        .unwrap();
    assert!(out.status.success());
    json_of(&out.stdout)
}

#[test]
fn analyze_prints_producer_span_clients_and_endpoints() {
    why429()
        .args(["analyze"])
        .arg(forum())
        .assert()
        .success()
        .stdout(predicate::str::contains("Chromium DevTools 537.36"))
        .stdout(predicate::str::contains("27 entries"))
        .stdout(predicate::str::contains("3 min 15 s"))
        .stdout(predicate::str::contains("client-1"))
        .stdout(predicate::str::contains("/api/v2/architect/ivrs/{ivrId}"))
        .stdout(predicate::str::contains("VERDICT"));
}

#[test]
fn throttles_carrying_correlation_ids_are_counted_without_showing_the_ids() {
    // analyze keeps no correlation ids without --server-log or --show-ids, yet the verdict
    // still says how many throttles carry one (the vendor's usage query is filtered by them)
    let v = forum_json(&[]);
    let c = &v["captures"][0];
    let confirm = c["verdict_parts"]["how_to_confirm"].as_array().unwrap();
    assert!(
        confirm
            .iter()
            .any(|s| s == "4 of the 4 throttles carry a correlation id in the capture"),
        "{confirm:?}"
    );
    assert!(c["throttles"][0]["correlation_id"].is_null());
    let v = forum_json(&["--show-ids"]);
    assert!(v["captures"][0]["throttles"][0]["correlation_id"].is_string());
}

#[test]
fn json_has_the_contract_fields() {
    let v = forum_json(&[]);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["tool"]["name"], "why429");
    let c = &v["captures"][0];
    assert!(c["source"].as_str().unwrap().ends_with("forum-thread.har"));
    assert_eq!(c["producer"], "Chromium DevTools 537.36");
    assert_eq!(c["entries"], 27);
    assert_eq!(c["skipped"], serde_json::json!([]));
    assert_eq!(c["clients"][0]["label"], "client-1");
    assert_eq!(c["clients"][0]["fingerprint"].as_str().unwrap().len(), 12);
    assert_eq!(c["profile"], "genesys-cloud");
}

#[test]
fn a_truncated_file_names_the_entry_and_offers_partial() {
    let full = std::fs::read(forum()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.har");
    std::fs::write(&cut, &full[..full.len() * 2 / 3]).unwrap();
    let out = why429().arg("analyze").arg(&cut).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("cut.har:"), "{err}");
    assert!(err.contains("the file ends inside entry"), "{err}");
    assert!(err.contains("--partial"), "{err}");
    // and --partial analyzes the complete entries
    let out = why429()
        .args(["analyze", "--partial", "--format", "json"])
        .arg(&cut)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out.stdout);
    let c = &v["captures"][0];
    assert!(c["entries"].as_u64().unwrap() > 10 && c["entries"].as_u64().unwrap() < 27);
    assert!(c["partial"].as_str().unwrap().contains("complete entries"));
}

#[test]
fn bom_gzip_zip_and_stdin_inputs_read_the_same_capture() {
    let full = std::fs::read(forum()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bom = dir.path().join("bom.har");
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(&full);
    std::fs::write(&bom, &with_bom).unwrap();
    let gz = dir.path().join("c.har.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&full).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let zip_path = dir.path().join("two.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        for name in ["a.har", "nested/b.har", "notes.txt"] {
            z.start_file(name, opts).unwrap();
            z.write_all(&full).unwrap();
        }
        z.finish().unwrap();
    }
    let count = |out: &std::process::Output| -> Vec<u64> {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json_of(&out.stdout)["captures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                c["throttles"].as_array().unwrap().len() as u64 * 1000
                    + c["entries"].as_u64().unwrap()
            })
            .collect()
    };
    let reference = count(
        &why429()
            .args(["analyze", "--format", "json"])
            .arg(forum())
            .output()
            .unwrap(),
    );
    for path in [&bom, &gz] {
        assert_eq!(
            count(
                &why429()
                    .args(["analyze", "--format", "json"])
                    .arg(path)
                    .output()
                    .unwrap()
            ),
            reference
        );
    }
    let zipped = why429()
        .args(["analyze", "--format", "json"])
        .arg(&zip_path)
        .output()
        .unwrap();
    assert_eq!(count(&zipped), vec![reference[0], reference[0]]);
    let v = json_of(&zipped.stdout);
    assert!(
        v["captures"][0]["source"]
            .as_str()
            .unwrap()
            .ends_with("two.zip!a.har")
    );
    assert!(
        v["captures"][1]["source"]
            .as_str()
            .unwrap()
            .ends_with("two.zip!nested/b.har")
    );
    let stdin = why429()
        .args(["analyze", "--format", "json", "-"])
        .write_stdin(full.clone())
        .output()
        .unwrap();
    assert_eq!(count(&stdin), reference);
    assert_eq!(json_of(&stdin.stdout)["captures"][0]["source"], "<stdin>");
}

#[test]
fn directories_are_searched_recursively_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("b/deeper")).unwrap();
    std::fs::create_dir_all(dir.path().join(".hidden")).unwrap();
    std::fs::copy(forum(), dir.path().join("b/deeper/z.har")).unwrap();
    std::fs::copy(forum(), dir.path().join("a.HAR")).unwrap();
    std::fs::copy(forum(), dir.path().join(".hidden/x.har")).unwrap();
    std::fs::write(dir.path().join(".gitignore"), "*.har\n").unwrap();
    std::fs::write(dir.path().join("readme.txt"), "not a capture").unwrap();
    let out = why429()
        .args(["analyze", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let v = json_of(&out.stdout);
    let paths: Vec<&str> = v["captures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec![".hidden/x.har", "a.HAR", "b/deeper/z.har"]);
}

#[test]
fn unreadable_inputs_exit_2_but_readable_ones_are_reported() {
    let out = why429()
        .args(["analyze", "--format", "json", "no-such-file.har"])
        .arg(forum())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v = json_of(&out.stdout);
    assert_eq!(v["captures"].as_array().unwrap().len(), 1);
    assert_eq!(v["errors"][0]["source"], "no-such-file.har");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no-such-file.har: cannot read"), "{err}");
}

#[test]
fn not_a_har_is_exit_2_with_location_and_hint() {
    why429()
        .arg("analyze")
        .arg(support::fixtures().join("public/corrupt-truncated-not-json.har"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "corrupt-truncated-not-json.har:2:1: not a HAR: `log` is an array",
        ))
        .stderr(predicate::str::contains("hint:"));
}

#[test]
fn usage_errors_exit_2_and_never_panic() {
    why429().arg("analyze").assert().code(2);
    why429()
        .args(["analyze", "--format", "yaml", "x.har"])
        .assert()
        .code(2);
    why429()
        .args(["analyze", "-", "-"])
        .write_stdin("{}")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("only once"));
    why429()
        .args(["analyze", "--profile", "nope"])
        .arg(forum())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no built-in profile `nope`"));
}

fn ivr_layer(json: &serde_json::Value) -> serde_json::Value {
    json["captures"][0]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "architect.ivrs.put.rate.per.minute")
        .unwrap()
        .clone()
}

#[test]
fn count_preflights_makes_every_layer_count_them() {
    let plain = why429()
        .args(["analyze", "--format", "json"])
        .arg(forum())
        .output()
        .unwrap();
    let l = ivr_layer(&json_of(&plain.stdout));
    assert_eq!(
        (l["peak"].clone(), l["peak_with_preflights"].clone()),
        (3.into(), 6.into())
    );
    assert_eq!(l["counts_preflight"], false);
    assert_eq!(l["headroom"], 97);

    let counted = why429()
        .args(["analyze", "--format", "json", "--count-preflights"])
        .arg(forum())
        .output()
        .unwrap();
    assert!(counted.status.success());
    let l = ivr_layer(&json_of(&counted.stdout));
    assert_eq!(l["peak"], 6, "the what-if peak becomes the peak");
    assert_eq!(l["counts_preflight"], true);
    assert_eq!(l["headroom"], 94);
}

#[test]
fn openapi_paths_name_the_templates() {
    let dir = tempfile::tempdir().unwrap();
    let entry = |path: &str, second: u32| {
        serde_json::json!({
            "startedDateTime": format!("2026-01-05T09:00:0{second}.000Z"),
            "time": 10,
            "request": {"method": "GET", "url": format!("https://shop.example.test{path}"),
                        "httpVersion": "HTTP/1.1", "headers": [], "queryString": [], "cookies": [],
                        "headersSize": -1, "bodySize": 0},
            "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                         "headers": [], "cookies": [], "content": {"size": 0, "mimeType": "text/plain"},
                         "redirectURL": "", "headersSize": -1, "bodySize": 0},
            "cache": {}, "timings": {"send": 0, "wait": 10, "receive": 0}
        })
    };
    let har = serde_json::json!({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"},
        "entries": [entry("/shelves/garden/books/alpha", 1), entry("/shelves/kitchen/books/beta", 2)]}});
    let har_path = dir.path().join("shop.har");
    std::fs::write(&har_path, har.to_string()).unwrap();
    let spec = serde_json::json!({"openapi": "3.0.0", "info": {"title": "shop", "version": "1"},
        "paths": {"/shelves/{shelf}/books/{title}": {"get": {}}}});
    let spec_path = dir.path().join("shop.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();

    let out = why429()
        .args(["analyze", "--format", "json", "--openapi"])
        .arg(&spec_path)
        .arg(&har_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out.stdout);
    let templates: Vec<&str> = v["captures"][0]["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["template"].as_str().unwrap())
        .collect();
    assert_eq!(templates, ["/shelves/{shelf}/books/{title}"]);

    why429()
        .args(["analyze", "--openapi"])
        .arg(&har_path)
        .arg(&har_path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("shop.har"));
}

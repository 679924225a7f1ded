//! "1 requests", "1 layers", "1 entries" appear nowhere: every renderer and message on every
//! bundled capture, and on small captures written here with exactly one request, throttle,
//! layer, client and finding.
//!
//! The diagnosis' own sentences (verdict, summary, evidence, finding messages) are blanked
//! before rendering: they are checked where they are written, and this test is about the
//! wording the renderers and commands add around them. Profile notes are the profile author's
//! prose and are blanked too.

use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::json;
use why429::check::Gate;
use why429::render::{self, Format, Style, chart};
use why429::report::{self, CaptureReport, Report};

use super::cli::why429;
use super::support;

/// Words ending in `s` that are not plurals.
const NOT_PLURALS: &[&str] = &[
    "ms", "is", "was", "has", "its", "this", "thus", "plus", "as",
];

fn wrong_plurals(text: &str) -> Vec<String> {
    let re = Regex::new(r"\b1 ([a-z][a-z-]*s)\b").unwrap();
    re.captures_iter(text)
        .filter(|c| !NOT_PLURALS.contains(&&c[1]))
        .map(|c| c[0].to_string())
        .collect()
}

fn assert_no_wrong_plural(what: &str, text: &str) {
    let bad = wrong_plurals(text);
    assert!(bad.is_empty(), "{what}: {bad:?}");
}

/// The report with the diagnosis' sentences replaced by a dash.
fn renderer_words_only(mut c: CaptureReport) -> CaptureReport {
    c.verdict = "-".into();
    c.summary = "-".into();
    for t in &mut c.throttles {
        t.evidence = vec!["-".into()];
        for a in &mut t.alternatives {
            a.supporting.clear();
            a.against.clear();
        }
    }
    for f in &mut c.findings {
        f.message = "-".into();
    }
    for l in &mut c.layers {
        // a profile's note is the profile author's prose ("the tier 1 figures are ...")
        l.note = None;
        if let Some(b) = &mut l.budget {
            b.evidence.clear();
        }
    }
    let gates = [Gate::Any429, Gate::Unexplained, Gate::Utilization(1.0)];
    c.gates = gates.iter().map(|g| g.check(&c)).collect();
    c
}

fn check_every_renderer(name: &str, c: CaptureReport) {
    let r = Report::new(vec![renderer_words_only(c)], &[]);
    for format in [
        Format::Terminal,
        Format::Markdown,
        Format::Html,
        Format::Junit,
        Format::Github,
        Format::Gates,
    ] {
        for width in [60, 80, 100] {
            let style = Style {
                width,
                ..Style::default()
            };
            let mut buf = Vec::new();
            render::renderer(format, style)
                .render(&r, &mut buf)
                .unwrap();
            assert_no_wrong_plural(
                &format!("{name} {format:?} at {width}"),
                &String::from_utf8(buf).unwrap(),
            );
        }
    }
    let svg = chart::svg(&r.captures[0].timeline).unwrap();
    assert_no_wrong_plural(&format!("{name} chart"), &svg);
}

#[test]
fn the_test_sees_wrong_plurals() {
    assert_eq!(
        wrong_plurals("1 requests, 1 layers"),
        ["1 requests", "1 layers"]
    );
    assert!(wrong_plurals("1 request, 2 layers, 11 entries, 1 ms, 1 × 429").is_empty());
}

#[test]
fn no_bundled_capture_gets_a_wrong_plural() {
    let settings = support::partial(support::settings(Vec::new()));
    for path in support::every_capture() {
        let Ok(a) = support::analyze(&path, &settings) else {
            continue;
        };
        check_every_renderer(
            &path.display().to_string(),
            report::build(&a, Default::default()),
        );
    }
}

/// A capture of `statuses.len()` GETs, 100 ms apart, one token, against `api.one.test`.
pub fn small_capture(statuses: &[u16]) -> serde_json::Value {
    let entries: Vec<serde_json::Value> = statuses
        .iter()
        .enumerate()
        .map(|(i, &status)| {
            let mut headers = vec![json!({"name": "content-type", "value": "application/json"})];
            if status == 429 {
                headers.push(json!({"name": "retry-after", "value": "30"}));
            }
            json!({
                "startedDateTime": format!(
                    "2026-03-02T10:{:02}:{:02}.{:03}Z",
                    i / 600,
                    (i / 10) % 60,
                    (i % 10) * 100
                ),
                "time": 20,
                "request": {
                    "method": "GET",
                    "url": "https://api.one.test/v1/items",
                    "httpVersion": "HTTP/2",
                    "headers": [{"name": "authorization", "value": "Bearer oneTokenAAAAAAAAAAAAAAAAAAAA"}],
                    "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0
                },
                "response": {
                    "status": status, "statusText": "", "httpVersion": "HTTP/2",
                    "headers": headers, "cookies": [],
                    "content": {"size": 2, "mimeType": "application/json", "text": "{}"},
                    "redirectURL": "", "headersSize": -1, "bodySize": 0
                },
                "cache": {},
                "timings": {"send": 0, "wait": 20, "receive": 0}
            })
        })
        .collect();
    json!({"log": {
        "version": "1.2",
        "creator": {"name": "WebInspector", "version": "537.36"},
        "entries": entries
    }})
}

/// A profile with one layer for `api.one.test`.
pub const ONE_LAYER: &str = r#"name = "one"
description = "one documented layer"
hosts = ["api.one.test"]

[[layer]]
name = "items.rate.per.minute"
limit = 1
window = "60s"
per = ["client"]
source = "https://docs.one.test/limits#items"
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn captures_with_one_of_everything_get_singulars() {
    let dir = tempfile::tempdir().unwrap();
    let profile_path = write(dir.path(), "one.toml", ONE_LAYER);
    let profile = support::profile(&profile_path);
    let cases: [(&str, &[u16]); 4] = [
        ("one-ok", &[200]),
        ("one-429", &[429]),
        ("ok-then-429", &[200, 429]),
        ("ok-429-ok", &[200, 429, 200]),
    ];
    // (a throttle, a layer with traffic, a finding, an endpoint): each seen alone somewhere
    let mut ones = (false, false, false, false);
    for (name, statuses) in cases {
        let har = write(
            dir.path(),
            &format!("captures/{name}.har"),
            &small_capture(statuses).to_string(),
        );
        for chosen in [vec![profile.clone()], Vec::new()] {
            let a = support::analyze(&har, &support::settings(chosen)).unwrap();
            let c = report::build(&a, Default::default());
            if name == "one-ok" {
                assert_eq!(c.requests, 1);
                assert_eq!(c.clients.len(), 1);
            }
            ones.0 |= c.throttles.len() == 1;
            ones.1 |= c.layers.iter().filter(|l| l.counted > 0).count() == 1;
            ones.2 |= c.findings.len() == 1;
            ones.3 |= c.endpoints.len() == 1;
            check_every_renderer(name, c);
        }
    }
    assert_eq!(ones, (true, true, true, true));
    // the commands' own messages: check, diff, sanitize, profiles check
    let one = dir.path().join("captures/one-429.har");
    let single = dir.path().join("single");
    std::fs::create_dir_all(&single).unwrap();
    std::fs::copy(&one, single.join("one-429.har")).unwrap();
    let mut texts = Vec::new();
    for format in ["text", "github", "junit"] {
        let out = why429()
            .args(["check", "--quiet", "--profile"])
            .arg(&profile_path)
            .args(["--format", format])
            .arg(&single)
            .output()
            .unwrap();
        texts.push(String::from_utf8(out.stdout).unwrap());
    }
    let base = dir.path().join("base.json");
    let out = why429()
        .args(["check", "--format", "json", "--profile"])
        .arg(&profile_path)
        .arg(&single)
        .output()
        .unwrap();
    std::fs::write(&base, &out.stdout).unwrap();
    let out = why429().arg("diff").arg(&base).arg(&base).output().unwrap();
    texts.push(String::from_utf8(out.stdout).unwrap());
    let out = why429()
        .arg("sanitize")
        .arg(&one)
        .arg("-o")
        .arg(dir.path().join("copy.har"))
        .output()
        .unwrap();
    texts.push(String::from_utf8(out.stderr).unwrap());
    let out = why429()
        .args(["profiles", "check"])
        .arg(&profile_path)
        .output()
        .unwrap();
    texts.push(String::from_utf8(out.stdout).unwrap());
    let mut all = texts.join("\n");
    // the diagnosis' sentences are not the commands' wording (see the module comment)
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&base).unwrap()).unwrap();
    let c = &v["captures"][0];
    let mut sentences: Vec<String> = vec![
        c["verdict"].as_str().unwrap().to_string(),
        c["summary"].as_str().unwrap().to_string(),
    ];
    for t in c["throttles"].as_array().unwrap() {
        for e in t["evidence"].as_array().unwrap() {
            sentences.push(e.as_str().unwrap().to_string());
        }
    }
    for f in c["findings"].as_array().unwrap() {
        sentences.push(f["message"].as_str().unwrap().to_string());
    }
    for s in sentences {
        for form in [s.clone(), render::junit::xml(&s), render::github::data(&s)] {
            all = all.replace(&form, "-");
        }
    }
    assert!(all.contains("1 capture before"), "{all}");
    assert!(all.contains("1 layer\n"), "{all}");
    assert!(all.contains("1 entry (1 request"), "{all}");
    assert_no_wrong_plural("commands", &all);
}

//! `why429 check`: exit codes, gates, baselines, formats and order under parallelism.

use std::path::{Path, PathBuf};

use predicates::prelude::*;

use super::cli::why429;
use super::support;

fn copy(from: &str, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(support::fixtures().join(from), to).unwrap();
}

/// A folder of captures without any 429 (`captures/`), with room for reports beside it.
struct Work {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Work {
    fn path(&self) -> PathBuf {
        self.root.join("captures")
    }
    fn file(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}

fn clean_dir() -> Work {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let c = root.join("captures");
    copy(
        "lab/t02_steady_wallboard_no_429.har",
        &c.join("wallboard.har"),
    );
    copy(
        "public/chrome-devtools-51-multipage.har",
        &c.join("pages/chrome.har"),
    );
    copy(
        "public/firefox-111-h3-cache.har",
        &c.join("pages/firefox.har"),
    );
    Work { _dir: dir, root }
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_clean_directory_passes() {
    let d = clean_dir();
    why429()
        .args(["check", "--quiet"])
        .arg(d.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "3 captures checked: 3 passed, 0 failed, 0 unreadable",
        ));
}

#[test]
fn a_capture_with_429s_fails_with_a_junit_failure() {
    let d = clean_dir();
    copy("forum-thread.har", &d.path().join("ivr/forum.har"));
    let out = why429()
        .args(["check", "--format", "junit"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.contains(r#"<testsuite name="ivr/forum.har""#), "{xml}");
    assert!(xml.contains(r#"<testcase classname="ivr/forum.har" name="gate 429" time="0">"#));
    assert!(xml.contains(r#"<failure type="gate" message="4 × 429: undocumented-limit ×4">"#));
    // the failure body carries the explanation too (GitLab shows the body)
    assert!(xml.contains("a split this clean arises by chance"), "{xml}");
    assert!(xml.contains(r#"<testsuite name="wallboard.har" tests="#));
}

#[test]
fn gates_can_be_chosen() {
    let d = tempfile::tempdir().unwrap();
    copy(
        "lab/t03_contact_sync_burst_app_user.har",
        &d.path().join("sync.har"),
    );
    let profile = support::fixtures().join("lab/t03_contact_sync_burst_app_user.profile.toml");
    let run = |gates: &[&str]| {
        let mut c = why429();
        c.args(["check", "--quiet", "--profile"]).arg(&profile);
        for g in gates {
            c.args(["--fail-on", g]);
        }
        c.arg(d.path()).output().unwrap()
    };
    // every 429 of this capture is the app's own traffic
    assert_eq!(run(&["unexplained"]).status.code(), Some(0));
    assert_eq!(
        run(&["hidden-traffic", "undocumented-limit"]).status.code(),
        Some(0)
    );
    assert_eq!(run(&["429"]).status.code(), Some(1));
    assert_eq!(run(&["utilization>=100%"]).status.code(), Some(1));
    assert_eq!(run(&["utilization>=500%"]).status.code(), Some(0));
    why429()
        .args(["check", "--fail-on", "sometimes"])
        .arg(d.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a gate"));
}

#[test]
fn a_corrupt_file_beside_good_ones_exits_2_and_the_good_ones_are_reported() {
    let d = clean_dir();
    copy(
        "public/corrupt-truncated-not-json.har",
        &d.path().join("broken.har"),
    );
    let out = why429()
        .args(["check", "--format", "json"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert_eq!(v["captures"].as_array().unwrap().len(), 3);
    assert!(
        v["errors"][0]["source"]
            .as_str()
            .unwrap()
            .ends_with("broken.har")
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a HAR"));
    // in text: READ line plus the summary
    why429()
        .args(["check", "--quiet"])
        .arg(d.path())
        .assert()
        .code(2)
        .stdout(predicate::str::contains("READ "))
        .stdout(predicate::str::contains("3 passed, 0 failed, 1 unreadable"));
}

#[test]
fn a_baseline_passes_against_itself_and_catches_new_429s() {
    let d = clean_dir();
    let base = d.file("base.json");
    let out = why429()
        .args(["check", "--format", "json"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    std::fs::write(&base, &out.stdout).unwrap();
    why429()
        .args([
            "check",
            "--quiet",
            "--fail-on",
            "utilization>=10000%",
            "--baseline",
        ])
        .arg(&base)
        .arg(d.path())
        .assert()
        .code(0);
    // the same capture path now holds a capture with 429s
    copy(
        "lab/t03_contact_sync_burst_app_user.har",
        &d.path().join("wallboard.har"),
    );
    why429()
        .args([
            "check",
            "--quiet",
            "--fail-on",
            "utilization>=10000%",
            "--baseline",
        ])
        .arg(&base)
        .arg(d.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "regression: 429s went from 0 to 10",
        ))
        .stdout(predicate::str::contains(
            "regression: new throttle cause: visible-traffic",
        ));
    // diff shows the same without gating
    let now = d.file("now.json");
    let out = why429()
        .args(["check", "--format", "json"])
        .arg(d.path())
        .output()
        .unwrap();
    std::fs::write(&now, &out.stdout).unwrap();
    why429()
        .arg("diff")
        .arg(&base)
        .arg(&now)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "regression: wallboard.har: 429s went from 0 to 10",
        ));
}

#[test]
fn github_annotations_are_escaped_and_the_summary_is_written() {
    let d = tempfile::tempdir().unwrap();
    // a path with characters workflow commands must escape
    copy("forum-thread.har", &d.path().join("a,b:c%d.har"));
    let summary = d.path().join("summary.md");
    let out = why429()
        .args(["check", "--format", "github"])
        .arg(d.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().find(|l| l.starts_with("::error ")).unwrap();
    assert!(
        line.starts_with("::error file=a%2Cb%3Ac%25d.har,title=why429 --fail-on 429::4 × 429"),
        "{line}"
    );
    assert!(text.contains("::warning file=a%2Cb%3Ac%25d.har,title=why429 parallel-burst::"));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("| a,b:c%d.har | **fail** | 4 |"), "{md}");
}

#[test]
fn annotations_stop_at_ten_per_level() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..12 {
        copy("forum-thread.har", &d.path().join(format!("c{i:02}.har")));
    }
    let out = why429()
        .args(["check", "--format", "github"])
        .arg(d.path())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().filter(|l| l.starts_with("::error ")).count(),
        10
    );
    assert!(text.contains("::notice title=why429::2 more errors not shown"));
}

fn paths(v: &serde_json::Value) -> Vec<String> {
    v["captures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn output_order_is_deterministic_under_parallelism() {
    let d = tempfile::tempdir().unwrap();
    // big and small captures mixed, so threads finish out of order
    let files = [
        ("z/forum.har", "forum-thread.har"),
        ("a/big.har", "public/chrome-har-capturer-0.10-cnn.har"),
        ("m/small.har", "public/insomnia-2022.1-single.har"),
        ("b/lab.har", "lab/t05_two_clients_share_user_budget.cdp.har"),
        ("c/edge.har", "public/edge-devtools-111-h3-fulfilledby.har"),
        ("a/tiny.har", "public/charles-4.6.3-single.har"),
    ];
    for (to, from) in files {
        copy(from, &d.path().join(to));
    }
    let mut expected: Vec<String> = files.iter().map(|(to, _)| to.to_string()).collect();
    expected.sort();
    let first = why429()
        .args(["check", "--format", "json"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(paths(&json(&first)), expected);
    for threads in ["1", "2", "8"] {
        let again = why429()
            .args(["check", "--format", "json"])
            .arg(d.path())
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert_eq!(again.stdout, first.stdout, "{threads} threads");
    }
}

#[test]
fn shards_split_a_corpus_and_merge_joins_them() {
    let d = clean_dir();
    copy("forum-thread.har", &d.path().join("ivr/forum.har"));
    let mut shard_reports: Vec<PathBuf> = Vec::new();
    let mut seen = Vec::new();
    for k in 1..=3 {
        let out = why429()
            .args(["check", "--format", "json", "--shard", &format!("{k}/3")])
            .arg(d.path())
            .output()
            .unwrap();
        let v = json(&out);
        seen.extend(paths(&v));
        let p = d.file(&format!("shard{k}.json"));
        std::fs::write(&p, &out.stdout).unwrap();
        shard_reports.push(p);
    }
    seen.sort();
    let full = why429()
        .args(["check", "--format", "json"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(seen, paths(&json(&full)));
    let merged = why429().arg("merge").args(&shard_reports).output().unwrap();
    assert!(merged.status.success());
    assert_eq!(paths(&json(&merged)), paths(&json(&full)));
    why429()
        .args(["check", "--shard", "4/3"])
        .arg(d.path())
        .assert()
        .code(2);
}

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

/// Every `name="…"` and `classname="…"` of a JUnit report, in order.
fn junit_names(xml: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"\b(?:class)?name="([^"]*)""#).unwrap();
    re.captures_iter(xml).map(|c| c[1].to_string()).collect()
}

#[test]
fn junit_names_are_the_same_across_runs_and_machines() {
    let d = clean_dir();
    // the forum thread has per-token layers, whose partitions a fingerprint would name
    copy("forum-thread.har", &d.path().join("ivr/forum.har"));
    copy(
        "lab/t05_two_clients_share_user_budget.cdp.har",
        &d.path().join("lab/two-clients.har"),
    );
    let run = |key: &str, cwd: &Path, input: &Path| {
        let out = why429()
            .current_dir(cwd)
            .env("WHY429_FINGERPRINT_KEY", key)
            .args(["check", "--format", "junit"])
            .arg(input)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stdout).unwrap()
    };
    // another key, another working directory, the input named another way
    let first = run("first machine", Path::new("/"), &d.path());
    let second = run("second machine", &d.root, Path::new("captures"));
    let names = junit_names(&first);
    assert!(names.iter().any(|n| n.contains("· token-1")), "{names:?}");
    assert_eq!(names, junit_names(&second));
    let root = d.root.display().to_string();
    assert!(names.iter().all(|n| !n.contains(&root)), "{names:?}");
}

#[test]
fn annotations_name_files_from_the_repository_root() {
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    copy("forum-thread.har", &repo.join("e2e/captures/forum.har"));
    let annotated = |cwd: &Path, input: &Path| {
        let out = why429()
            .current_dir(cwd)
            .args(["check", "--format", "github"])
            .arg(input)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines()
            .find(|l| l.starts_with("::error "))
            .unwrap()
            .to_string()
    };
    // inside a repository: relative to its top level, from any folder and however named,
    // even from outside it
    let expected = "::error file=e2e/captures/forum.har,title=why429 --fail-on 429::";
    assert!(
        annotated(&repo.join("e2e"), Path::new("captures")).starts_with(expected),
        "{}",
        annotated(&repo.join("e2e"), Path::new("captures"))
    );
    assert!(annotated(Path::new("/"), &repo.join("e2e/captures")).starts_with(expected));
    // outside one: relative to the working directory
    let plain = d.path().join("plain");
    copy("forum-thread.har", &plain.join("captures/forum.har"));
    let line = annotated(&plain, &plain.join("captures"));
    assert!(
        line.starts_with("::error file=captures/forum.har,"),
        "{line}"
    );
}

#[test]
fn fail_on_new_fails_only_on_429s_the_baseline_lacks() {
    let d = clean_dir();
    copy("forum-thread.har", &d.path().join("ivr/forum.har"));
    let base = d.file("base.json");
    let out = why429()
        .env("WHY429_FINGERPRINT_KEY", "the baseline's key")
        .args(["check", "--format", "json"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the forum thread has 429s");
    std::fs::write(&base, &out.stdout).unwrap();
    let gate = |extra: &[&str]| {
        let mut c = why429();
        c.args(["check", "--quiet", "--fail-on", "new", "--baseline"])
            .arg(&base)
            .args(extra)
            .arg(d.path());
        c.output().unwrap()
    };
    // the same 429s under another fingerprint key are not new
    let out = gate(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // a capture with 429s the baseline lacks fails, and only it
    copy(
        "lab/t03_contact_sync_burst_app_user.har",
        &d.path().join("sync/burst.har"),
    );
    let out = gate(&[]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("FAIL sync/burst.har"), "{text}");
    assert!(
        text.contains("--fail-on new: 10 429s not in the baseline: "),
        "{text}"
    );
    assert!(text.contains("PASS ivr/forum.har"), "{text}");
    // the baseline's own regressions are reported, not gated, with `new`
    assert!(text.contains("change: new capture with 10 × 429"), "{text}");
    // one more 429 in a known capture is new too: the 5th of its group
    let json = gate(&["--format", "json"]);
    let v = json_of(&json.stdout);
    let forum = v["captures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "ivr/forum.har")
        .unwrap()
        .clone();
    let mut fewer: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&base).unwrap()).unwrap();
    for c in fewer["captures"].as_array_mut().unwrap() {
        if c["path"] == "ivr/forum.har" {
            c["throttles"].as_array_mut().unwrap().pop();
        }
    }
    std::fs::write(&base, serde_json::to_vec(&fewer).unwrap()).unwrap();
    std::fs::remove_file(d.path().join("sync/burst.har")).unwrap();
    let out = gate(&[]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "--fail-on new: 1 429 not in the baseline: PUT /api/v2/architect/ivrs/{{ivrId}} (undocumented-limit, {}) ×1",
            forum["throttles"][0]["kind"].as_str().unwrap()
        )),
        "{text}"
    );
    assert_eq!(forum["throttles"].as_array().unwrap().len(), 4);
    // `new` needs a baseline
    why429()
        .args(["check", "--fail-on", "new"])
        .arg(d.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("add --baseline FILE"));
}

fn json_of(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn fail_on_none_never_fails_on_findings_but_still_on_unreadable_input() {
    let d = clean_dir();
    copy("forum-thread.har", &d.path().join("ivr/forum.har"));
    why429()
        .args(["check", "--quiet", "--fail-on", "none"])
        .arg(d.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("4 captures checked: 4 passed"));
    why429()
        .args(["check", "--fail-on", "none", "--fail-on", "429"])
        .arg(d.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be combined"));
    copy(
        "public/corrupt-truncated-not-json.har",
        &d.path().join("broken.har"),
    );
    why429()
        .args(["check", "--quiet", "--fail-on", "none"])
        .arg(d.path())
        .assert()
        .code(2)
        .stdout(predicate::str::contains("1 unreadable"));
}

#[test]
fn a_condition_cut_by_the_shell_gets_a_hint_to_quote_it() {
    let d = clean_dir();
    let bin = assert_cmd::cargo::cargo_bin("why429");
    let sh = |script: &str| {
        std::process::Command::new("sh")
            .current_dir(&d.root)
            .env("WHY429", &bin)
            .env("NO_COLOR", "1")
            .args(["-c", script])
            .output()
            .unwrap()
    };
    // the README's old recipe, unquoted: the shell passes `utilization` and creates `=80%`
    let out = sh(r#""$WHY429" check captures --fail-on utilization>=80%"#);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--fail-on 'utilization>=80%'"), "{err}");
    assert!(d.file("=80%").exists());
    std::fs::remove_file(d.file("=80%")).unwrap();
    // a condition that parses, with the rest taken as a redirection: the run says so
    let out = sh(r#""$WHY429" check captures --fail-on 429 >=80%"#);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("a file named `=80%`"), "{err}");
    assert!(err.contains("quote it"), "{err}");
    // quoted, it works and leaves no file
    std::fs::remove_file(d.file("=80%")).unwrap();
    let out = sh(r#""$WHY429" check captures --fail-on 'utilization>=80%'"#);
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8(out.stderr).unwrap().contains("hint"));
    assert!(!d.file("=80%").exists());
}

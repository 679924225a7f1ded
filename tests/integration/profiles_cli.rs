//! `why429 profiles` and `--set`: checking every built-in file, TOML to copy, the scaffold,
//! and one layer's numbers overridden from the command line.

use predicates::prelude::*;

use super::cli::why429;
use super::support;

fn builtin_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/profiles/builtin")
}

fn stdout_of(args: &[&str]) -> String {
    let out = why429().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "why429 {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A profile as parsed, without where it came from.
fn parsed(file: &str, text: &str) -> why429::profiles::Profile {
    let mut p = why429::profiles::parse::parse(file, text).unwrap();
    p.origin = String::new();
    p
}

#[test]
fn profiles_check_passes_on_every_builtin_file() {
    let mut files: Vec<_> = std::fs::read_dir(builtin_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), why429::profiles::builtin_names().len());
    for f in files {
        let p = why429::profiles::parse::parse("x", &std::fs::read_to_string(&f).unwrap()).unwrap();
        let layers = match p.layers.len() {
            1 => "1 layer".to_string(),
            n => format!("{n} layers"),
        };
        why429()
            .args(["profiles", "check"])
            .arg(&f)
            .assert()
            .success()
            .stdout(predicate::str::contains(format!(
                "ok — profile `{}`, {layers}\n",
                p.name
            )));
    }
}

#[test]
fn show_toml_prints_a_profile_that_parses_back_to_the_same() {
    for name in why429::profiles::builtin_names() {
        let text = stdout_of(&["profiles", "show", name, "--toml"]);
        // a built-in's file verbatim, comments included
        assert_eq!(text, why429::profiles::builtin_text(name).unwrap());
        let builtin = why429::profiles::builtin_named(name).unwrap();
        let mut again = parsed("copy.toml", &text);
        again.origin = builtin.origin.clone();
        assert_eq!(again, builtin, "{name}");
    }
    // a user's file: its own text
    let lab = support::fixtures().join("lab/t03_contact_sync_burst_app_user.profile.toml");
    let text = stdout_of(&["profiles", "show", lab.to_str().unwrap(), "--toml"]);
    let original = std::fs::read_to_string(&lab).unwrap();
    assert_eq!(text, original);
    assert_eq!(parsed("a", &text), parsed("b", &original));
    // an invalid file is refused with its location, not printed
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"x\"\n[[layer]]\nname = \"a\"\nlimit = \"ten\"\n",
    )
    .unwrap();
    why429()
        .args(["profiles", "show", "--toml"])
        .arg(&bad)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("bad.toml:4: `limit`"));
}

#[test]
fn profiles_new_writes_a_scaffold_profiles_check_accepts() {
    let text = stdout_of(&["profiles", "new", "acme-api"]);
    assert!(text.starts_with('#'));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("acme.toml");
    std::fs::write(&file, &text).unwrap();
    why429()
        .args(["profiles", "check"])
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains("profile `acme-api`, 7 layers"));
    why429()
        .args(["profiles", "new", " "])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the name is empty"));
}

#[test]
fn profiles_show_keeps_urls_whole() {
    for name in ["okta", "salesforce", "microsoft-graph", "genesys-cloud"] {
        let text = stdout_of(&["profiles", "show", name]);
        let p = why429::profiles::builtin_named(name).unwrap();
        for l in &p.layers {
            let src = l.source.as_deref().unwrap();
            assert!(text.contains(src), "{name}/{}: source broken", l.name);
        }
        let n = p.layers.len();
        assert!(text.contains(&format!("\n{n} layers:\n")), "{text}");
    }
    let one = stdout_of(&["profiles", "show", "discord"]);
    assert!(one.contains("\n1 layer:\n"), "{one}");
}

fn json_of(args: &[&str], capture: &std::path::Path) -> serde_json::Value {
    let out = why429().args(args).arg(capture).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn layer<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    json["captures"][0]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap()
}

#[test]
fn set_overrides_a_layer_and_the_report_says_so() {
    let forum = support::fixtures().join("forum-thread.har");
    let name = "architect.ivrs.put.rate.per.minute";
    let plain = json_of(&["analyze", "--format", "json"], &forum);
    assert_eq!(layer(&plain, name)["limit"], 100);
    assert!(layer(&plain, name).get("assumption").is_none());
    let set = format!("--set={name}.limit=2");
    let json = json_of(&["analyze", "--format", "json", &set], &forum);
    let l = layer(&json, name);
    assert_eq!(l["limit"], 2);
    assert_eq!(l["assumption"], "set on the command line: limit = 2");
    assert!(l["utilization"].as_f64().unwrap() > 1.0);
    // the terminal and Markdown reports show it too
    for format in ["terminal", "markdown"] {
        let out = why429()
            .args(["analyze", "--format", format, &set])
            .arg(&forum)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        // table cells wrap: read the words without the table's borders
        let words = text
            .replace(['│', '┆'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            words.contains("set on the command line: limit = 2"),
            "{format}: {text}"
        );
    }
    // the same flag on `check`
    why429()
        .args(["check", "--quiet", "--fail-on", "utilization>=100%", &set])
        .arg(&forum)
        .assert()
        .code(1);
    // a bucket's two numbers at once, on a profile given by file
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("gw.toml");
    std::fs::write(
        &profile,
        "name = \"gw\"\nhosts = [\"api.mypurecloud.de\"]\n[[layer]]\nname = \"rest.bucket\"\nalgorithm = \"leaky-bucket\"\ncapacity = 40\nrate = \"2/s\"\nassumption = \"Standard plan\"\nsource = \"https://example.com\"\n",
    )
    .unwrap();
    let json = json_of(
        &[
            "analyze",
            "--format",
            "json",
            "--profile",
            profile.to_str().unwrap(),
            "--set",
            "rest.bucket.capacity=80",
            "--set",
            "rest.bucket.rate=20/s",
        ],
        &forum,
    );
    let l = layer(&json, "rest.bucket");
    assert_eq!(l["limit"], 80);
    assert_eq!(
        l["assumption"],
        "set on the command line: capacity = 80, rate = 20/s (the profile assumed: Standard plan)"
    );
}

#[test]
fn set_mistakes_are_usage_errors_that_say_what_to_write() {
    let forum = support::fixtures().join("forum-thread.har");
    why429()
        .args(["analyze", "--set", "nope.limit=5"])
        .arg(&forum)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no layer `nope`"))
        .stderr(predicate::str::contains(
            "genesys-cloud: token.rate.per.minute, client.credentials.token.rate.per.minute",
        ));
    why429()
        .args([
            "analyze",
            "--profile",
            "github",
            "--set",
            "rest.bucket.capacity=5",
        ])
        .arg(&forum)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no layer `rest.bucket` in the profiles given with --profile",
        ))
        .stderr(predicate::str::contains(
            "github: primary.authenticated.per.hour",
        ));
    why429()
        .args(["analyze", "--set", "token.rate.per.minute.limit=lots"])
        .arg(&forum)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--set token.rate.per.minute.limit=lots: `limit`: ",
        ))
        .stderr(predicate::str::contains("a whole number"));
    why429()
        .args(["check", "--set", "token.rate.per.minute.window=soon"])
        .arg(&forum)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`window`"))
        .stderr(predicate::str::contains("\"60s\""));
    why429()
        .args(["analyze", "--set", "limit=5"])
        .arg(&forum)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected LAYER.KEY=VALUE"));
}

#[test]
fn the_toml_examples_in_the_documentation_parse() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for doc in ["README.md", "docs/profile-format.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        for (i, block) in text.split("```toml\n").skip(1).enumerate() {
            let block = block.split("```").next().unwrap();
            // layer-only examples are parsed inside a profile of their own
            let profile = if block.trim_start().starts_with("[[layer]]") {
                format!("name = \"example\"\n{block}")
            } else {
                block.to_string()
            };
            let p = why429::profiles::parse::parse(&format!("{doc} example {i}"), &profile)
                .unwrap_or_else(|e| panic!("{e}\n{profile}"));
            assert!(
                p.layers.iter().all(|l| l.source.is_some()),
                "{doc} example {i}"
            );
            seen += 1;
        }
    }
    assert!(seen >= 7, "only {seen} examples found");
}

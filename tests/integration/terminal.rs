//! The terminal report as a person sees it: it follows the width (`COLUMNS`), never cuts a name,
//! and stays short however many 429s a capture holds.

use std::path::Path;

use why429::render::{self, Format, Style};
use why429::report::{self, CaptureReport, Report};

use super::cli::why429;
use super::plurals::{ONE_LAYER, small_capture};
use super::support;

fn render(c: &CaptureReport, width: u16) -> String {
    let r = Report::new(vec![c.clone()], &[]);
    let mut buf = Vec::new();
    render::renderer(
        Format::Terminal,
        Style {
            width,
            ..Style::default()
        },
    )
    .render(&r, &mut buf)
    .unwrap();
    String::from_utf8(buf).unwrap()
}

/// A line longer than the width must be one word that cannot be broken (after any indent,
/// bullet or box border).
fn assert_fits(name: &str, text: &str, width: usize) {
    for line in text.lines() {
        if line.chars().count() <= width {
            continue;
        }
        let core = line
            .trim_matches(|c: char| c.is_whitespace() || "•│┆═".contains(c))
            .trim();
        assert!(
            !core.contains(' '),
            "{name}: {} columns at {width}: {line}",
            line.chars().count()
        );
    }
}

/// Names that must appear whole on one line.
fn names(c: &CaptureReport) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    let mut busy: Vec<_> = c.layers.iter().filter(|l| l.counted > 0).collect();
    busy.sort_by(|a, b| b.utilization.total_cmp(&a.utilization));
    v.extend(busy.iter().take(12).map(|l| l.name.clone()));
    v.extend(c.endpoints.iter().take(12).map(|e| e.template.clone()));
    for t in c.throttles.iter().take(12) {
        v.push(t.template.clone());
        v.extend(t.layer.clone());
    }
    for p in &c.profiles {
        v.push(p.origin.clone());
    }
    v.retain(|n| !n.contains(char::is_whitespace) && !n.chars().any(char::is_control));
    v
}

#[test]
fn every_capture_fits_the_width_without_a_cut_name() {
    let settings = support::partial(support::settings(Vec::new()));
    for path in support::every_capture() {
        let Ok(a) = support::analyze(&path, &settings) else {
            continue;
        };
        let c = report::build(&a, Default::default());
        let name = path.display().to_string();
        for width in [60u16, 80, 100, 160] {
            let text = render(&c, width);
            assert_fits(&name, &text, width as usize);
            for n in names(&c) {
                assert!(
                    text.lines().any(|l| l.contains(&n)),
                    "{name} at {width}: `{n}` is not whole on any line\n{text}"
                );
            }
        }
    }
}

#[test]
fn columns_sets_the_width_and_nothing_is_cut_at_80() {
    let out = why429()
        .env("COLUMNS", "80")
        .arg("analyze")
        .arg(support::fixtures().join("forum-thread.har"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_fits("forum thread", &text, 80);
    // the rule under the name is as wide as the terminal
    assert_eq!(text.lines().next().unwrap().chars().count(), 80);
    // the names comfy-table used to split
    assert!(text.contains("org.app.user.rate.per.minute"), "{text}");
    assert!(text.contains("/api/v2/architect/ivrs/{ivrId}"), "{text}");
    // never narrower than 60
    let out = why429()
        .env("COLUMNS", "20")
        .arg("analyze")
        .arg(support::fixtures().join("forum-thread.har"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().next().unwrap().chars().count(), 60);
}

#[test]
fn profiles_show_keeps_urls_whole() {
    let out = why429()
        .env("COLUMNS", "80")
        .args(["profiles", "show", "genesys-cloud"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_fits("profiles show", &text, 80);
    assert!(
        text.lines().any(|l| l.contains(
            "https://developer.genesys.cloud/routing/architect/#put-api-v2-architect-ivrs--ivrId-"
        )),
        "{text}"
    );
}

fn many_throttles(dir: &Path, n: usize) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut statuses = vec![200u16];
    statuses.extend(std::iter::repeat_n(429, n));
    let har = dir.join("many.har");
    std::fs::write(&har, small_capture(&statuses).to_string()).unwrap();
    let profile = dir.join("one.toml");
    std::fs::write(&profile, ONE_LAYER).unwrap();
    (har, profile)
}

#[test]
fn long_throttle_lists_are_capped_and_all_throttles_lists_them() {
    let d = tempfile::tempdir().unwrap();
    let (har, profile) = many_throttles(d.path(), 900);
    let run = |extra: &[&str]| {
        let out = why429()
            .env("COLUMNS", "80")
            .arg("analyze")
            .arg(&har)
            .arg("--profile")
            .arg(&profile)
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let short = run(&[]);
    assert!(
        short.lines().count() < 120,
        "{} lines",
        short.lines().count()
    );
    assert!(short.contains("THROTTLES (900)"));
    assert!(
        short.contains("all 900 429s by endpoint and cause:"),
        "{short}"
    );
    assert!(
        short.contains("888 more 429s not listed: --all-throttles lists every one"),
        "{short}"
    );
    let row = regex::Regex::new(r"^│\s+\d+ ┆").unwrap();
    assert_eq!(
        short.lines().filter(|l| row.is_match(l)).count(),
        12,
        "{short}"
    );
    let all = run(&["--all-throttles"]);
    assert!(!all.contains("not listed"), "{all}");
    for entry in 1..=900 {
        assert!(
            all.lines()
                .any(|l| l.starts_with(&format!("│ {entry:>5} ┆"))),
            "entry {entry} missing"
        );
    }
    assert_fits("--all-throttles", &all, 80);
}

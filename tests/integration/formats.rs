//! Every format renders for every fixture; the JSON matches its schema; the HTML is
//! self-contained; charts are legible images; golden outputs for the founding case.

use std::path::PathBuf;

use why429::batch::Analysis;
use why429::render::{self, Format, Style, chart};
use why429::report::{self, Report};

use super::support;

fn all_fixtures() -> Vec<PathBuf> {
    support::every_capture()
        .into_iter()
        .filter(|p| !p.ends_with("corrupt-truncated-not-json.har"))
        .collect()
}

fn analyses() -> Vec<(PathBuf, Analysis)> {
    // partial: one public capture has no usable entry; its report shows the skipped entry
    let settings = support::partial(support::settings(Vec::new()));
    all_fixtures()
        .into_iter()
        .map(|p| {
            let a = support::analyze(&p, &settings).unwrap();
            (p, a)
        })
        .collect()
}

fn render(report: &Report, format: Format) -> String {
    let mut buf = Vec::new();
    render::renderer(format, Style::default())
        .render(report, &mut buf)
        .unwrap();
    String::from_utf8(buf).unwrap()
}

fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    (w, h)
}

#[test]
fn every_format_renders_for_every_fixture_and_json_matches_the_schema() {
    let schema = Report::schema();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let mut n = 0;
    for (path, a) in analyses() {
        let r = Report::new(vec![report::build(&a, Default::default())], &[]);
        let name = path.display().to_string();
        for format in [
            Format::Terminal,
            Format::Markdown,
            Format::Html,
            Format::Junit,
        ] {
            assert!(!render(&r, format).is_empty(), "{name} {format:?}");
        }
        let json: serde_json::Value = serde_json::from_str(&render(&r, Format::Json)).unwrap();
        if let Err(e) = validator.validate(&json) {
            panic!("{name}: JSON does not match the schema: {e}");
        }
        let clipped = chart::clipped_texts(&r.captures[0].timeline);
        assert!(
            clipped.is_empty(),
            "{name}: chart texts cut at the edge: {clipped:?}"
        );
        let png = chart::png(&r.captures[0].timeline).unwrap();
        let (w, h) = png_size(&png);
        assert!(w >= 1200 && h >= 600, "{name}: {w}x{h}");
        assert!(
            chart::svg(&r.captures[0].timeline)
                .unwrap()
                .starts_with("<svg")
        );
        n += 1;
    }
    assert!(n > 60, "{n}");
}

#[test]
fn html_is_self_contained_with_a_content_security_policy() {
    for (path, a) in analyses().into_iter().take(12) {
        let r = Report::new(vec![report::build(&a, Default::default())], &[]);
        let html = render(&r, Format::Html);
        let name = path.display();
        assert!(html.starts_with("<!DOCTYPE html>"), "{name}");
        assert!(
            html.contains(
                r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none';"#
            ),
            "{name}"
        );
        assert!(!html.to_ascii_lowercase().contains("<script"), "{name}");
        for attr in [
            "src=\"http",
            "src='http",
            "@import",
            "url(http",
            "<link",
            "<img src=\"http",
        ] {
            assert!(!html.contains(attr), "{name} loads a resource: {attr}");
        }
    }
}

#[test]
fn markdown_has_a_short_plain_text_summary_after_the_verdict() {
    for (path, a) in analyses() {
        let r = Report::new(vec![report::build(&a, Default::default())], &[]);
        let md = render(&r, Format::Markdown);
        let lines: Vec<&str> = md.lines().collect();
        let start = lines
            .iter()
            .position(|l| *l == "```text")
            .unwrap_or_else(|| panic!("{}: no summary block", path.display()));
        let end = start + 1 + lines[start + 1..].iter().position(|l| *l == "```").unwrap();
        assert!(start > 0, "{}: the verdict comes first", path.display());
        assert!(
            end - start - 1 <= 25,
            "{}: {} summary lines",
            path.display(),
            end - start - 1
        );
        // the verdict stands in full above the block: the block does not repeat it
        assert!(
            !lines[start..end].iter().any(|l| l.starts_with("verdict")),
            "{}: the summary repeats the verdict",
            path.display()
        );
    }
}

#[test]
fn the_report_that_gives_the_analysis_up_is_the_same_report() {
    // `analyze` and `check` build with `build_owned`, which frees the counters and each
    // throttle's diagnosis as it goes; nothing it writes may differ from `build`'s
    let mut throttles = 0;
    // with ids shown too: paths and correlation ids come from the requests it keeps
    let shown = report::Disclosure {
        show_ids: true,
        show_client_ids: true,
    };
    for (k, ((path, a), (_, again))) in analyses().iter().zip(analyses()).enumerate() {
        let disclosure = if k % 2 == 0 {
            Default::default()
        } else {
            shown
        };
        let borrowed = report::build(a, disclosure);
        throttles += borrowed.throttles.len();
        assert!(
            borrowed == report::build_owned(again, disclosure),
            "{}",
            path.display()
        );
    }
    assert!(
        throttles > 100,
        "the bundled captures hold throttles to explain"
    );
}

#[test]
fn several_captures_keep_the_summary_under_25_lines() {
    let all: Vec<report::CaptureReport> = analyses()
        .iter()
        .take(20)
        .map(|(_, a)| report::build(a, Default::default()))
        .collect();
    let lines = why429::render::markdown::summary(&Report::new(all, &[]));
    assert!(lines.len() <= 25);
    assert!(lines.last().unwrap().contains("more capture"));
}

#[test]
fn hostile_strings_are_escaped_in_every_format() {
    // a path with markup and terminal escapes reaches templates; it must come out inert
    let har = std::fs::read_to_string(support::fixtures().join("forum-thread.har")).unwrap();
    let hostile = har.replace(
        "/api/v2/users/me",
        "/api/v2/users/<script>alert(1)<\\/script>|**x**`y`\\u001b[31m",
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("hostile.har");
    std::fs::write(&p, hostile).unwrap();
    let a = support::analyze(&p, &support::settings(Vec::new())).unwrap();
    let r = Report::new(vec![report::build(&a, Default::default())], &[]);
    let html = render(&r, Format::Html);
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("&lt;script&gt;"));
    let md = render(&r, Format::Markdown);
    assert!(!md.contains("<script>"));
    assert!(!render(&r, Format::Terminal).contains('\u{1b}'));
    let xml = render(&r, Format::Junit);
    assert!(!xml.contains("<script>"));
    assert!(
        !chart::svg(&r.captures[0].timeline)
            .unwrap()
            .contains("<script>")
    );
}

#[test]
fn golden_outputs_of_the_forum_thread() {
    let a = support::analyze(
        &support::fixtures().join("forum-thread.har"),
        &support::settings(Vec::new()),
    )
    .unwrap();
    let mut r = Report::new(vec![report::build(&a, Default::default())], &[]);
    r.captures[0].source = "forum-thread.har".into();
    r.tool.version = "VERSION".into();
    insta::assert_snapshot!("forum_terminal", render(&r, Format::Terminal));
    insta::assert_snapshot!("forum_markdown", render(&r, Format::Markdown));
    insta::assert_snapshot!("forum_json", render(&r, Format::Json));
    insta::assert_snapshot!("forum_junit", render(&r, Format::Junit));
}

#[test]
fn golden_json_of_lab_captures() {
    let lab = support::fixtures().join("lab");
    for s in [
        "t04_background_tabs_exhaust_user",
        "t07_hidden_per_second_burst",
        "t10_resource_limit_with_preflights",
    ] {
        let settings = support::settings(vec![support::profile(
            &lab.join(format!("{s}.profile.toml")),
        )]);
        let a = support::analyze(&lab.join(format!("{s}.cdp.har")), &settings).unwrap();
        let mut c = report::build(&a, Default::default());
        c.source = format!("{s}.cdp.har");
        c.profiles[0].origin = "lab profile".into();
        // the throttles and findings are the analysis; the rest is covered by the forum case
        let view = serde_json::json!({
            "throttles": c.throttles,
            "findings": c.findings,
            "verdict": c.verdict,
            "layers": c.layers.iter().map(|l| serde_json::json!({"name": l.name, "peak": l.peak, "peak_admitted": l.peak_admitted, "budget": l.budget})).collect::<Vec<_>>(),
        });
        insta::assert_snapshot!(
            format!("lab_{s}"),
            serde_json::to_string_pretty(&view).unwrap()
        );
    }
}

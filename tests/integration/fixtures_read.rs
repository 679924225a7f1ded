//! Every real capture is read with the right entry count, and its producer recognised.

use std::path::Path;

use serde_json::Value;
use why429::error::InputErrorKind;

use super::support;

/// The entry count a plain JSON parse finds (after the BOM and a JSONP wrapper).
fn plain_count(path: &Path) -> Option<usize> {
    let bytes = std::fs::read(path).unwrap();
    let mut text = String::from_utf8(bytes).ok()?;
    while let Some(rest) = text.strip_prefix('\u{feff}') {
        text = rest.to_string();
    }
    let trimmed = text.trim();
    let json = match trimmed.find('(') {
        Some(i) if !trimmed.starts_with('{') => trimmed[i + 1..]
            .trim_end_matches(';')
            .trim_end()
            .trim_end_matches(')'),
        _ => trimmed,
    };
    let v: Value = serde_json::from_str(json).ok()?;
    v["log"]["entries"].as_array().map(Vec::len)
}

fn hars(dir: &str) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(support::fixtures().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "har"))
        .collect();
    out.sort();
    out
}

#[test]
fn every_public_capture_has_the_entry_count_of_a_plain_parse() {
    // partial: one capture has no usable entry, which strict reading rejects (tested below)
    let settings = support::partial(support::settings(Vec::new()));
    let mut read = 0;
    for path in hars("public") {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        match plain_count(&path) {
            Some(expected) => {
                let a =
                    support::analyze(&path, &settings).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(a.capture.entries as usize, expected, "{name}");
                assert_eq!(
                    a.capture.requests.len() + a.capture.skipped.len(),
                    expected,
                    "{name}: every entry is a request or a skipped entry"
                );
                read += 1;
            }
            None => {
                let e = support::analyze(&path, &settings).unwrap_err();
                assert_eq!(name, "corrupt-truncated-not-json.har");
                assert_eq!(e.kind, InputErrorKind::NotHar, "{e}");
                assert!(
                    e.to_string().contains("corrupt-truncated-not-json.har:2:1"),
                    "{e}"
                );
            }
        }
    }
    assert_eq!(read, 37);
}

#[test]
fn every_lab_capture_has_the_entry_count_of_a_plain_parse() {
    let settings = support::settings(Vec::new());
    let files = hars("lab");
    assert!(files.len() >= 30);
    for path in files {
        let expected = plain_count(&path).unwrap();
        let a = support::analyze(&path, &settings).unwrap();
        assert_eq!(a.capture.entries as usize, expected, "{}", path.display());
        assert!(
            a.capture.skipped.is_empty(),
            "{}: {:?}",
            path.display(),
            a.capture.skipped
        );
    }
}

#[test]
fn a_capture_without_a_usable_entry_is_an_error_unless_partial() {
    let path = support::fixtures().join("public/unknown-missing-creator-ratelimit-headers.har");
    let e = support::analyze(&path, &support::settings(Vec::new())).unwrap_err();
    assert_eq!(e.kind, InputErrorKind::NoUsableEntry);
    let text = e.to_string();
    assert!(
        text.contains("unknown-missing-creator-ratelimit-headers.har: entry 0:"),
        "{text}"
    );
    assert!(text.contains("request.url is missing"), "{text}");
    assert!(text.contains("--partial"), "{text}");
    let a = support::analyze(&path, &support::partial(support::settings(Vec::new()))).unwrap();
    assert_eq!((a.capture.entries, a.capture.skipped.len()), (1, 1));
    assert!(a.capture.requests.is_empty());
}

#[test]
fn producers_are_recognised() {
    let settings = support::partial(support::settings(Vec::new()));
    for (file, producer) in [
        (
            "browsertime-1.0-chrome49-h2.har",
            "Browsertime 1.0 (Chrome 49.0.2623.87)",
        ),
        ("charles-4.6.3-single.har", "Charles Proxy 4.6.3"),
        (
            "chrome-devtools-114-h3-status0-304.har",
            "Chromium DevTools 537.36",
        ),
        (
            "chrome-har-1.3-chrome148.har",
            "chrome-har 1.3.0 (Chrome 148.0.7778.97)",
        ),
        (
            "chrome-har-capturer-0.10-cnn.har",
            "Chrome HAR Capturer 0.10.3",
        ),
        (
            "edge-devtools-111-h3-fulfilledby.har",
            "Chromium DevTools 537.36",
        ),
        ("fiddler-2.3-no-pages-key-bom.har", "Fiddler 2.3.0.0"),
        (
            "firebug-netexport-jsonp-harp.har",
            "Firebug 1.6 (Firefox 3.6.6)",
        ),
        (
            "firefox-111-h3-cache.har",
            "Firefox DevTools 111.0.1 (Firefox 111.0.1)",
        ),
        (
            "ie11-network-inspector-multipage.har",
            "Internet Explorer F12 11.0.9600.18315 (Internet Explorer 11.0.9600.18315)",
        ),
        ("insomnia-2022.1-single.har", "Insomnia 2022.1.1"),
        ("mitmproxy-websocket-messages.har", "mitmproxy 1.2.3"),
        (
            "playwright-1.32-failed-status-minus1.har",
            "Playwright 1.32.3 (Chromium 112.0.5615.29)",
        ),
        ("pollyjs-5.1-github-ratelimit-headers.har", "Polly.JS 5.1.1"),
        ("safari-16.3-webkit.har", "Safari Web Inspector 1.0"),
        (
            "unknown-missing-creator-ratelimit-headers.har",
            "unknown producer",
        ),
        (
            "webpagetest-2.17-redirect-retry-after.har",
            "WebPageTest 2.17 (Chrome 44.0.2403.157)",
        ),
        ("zap-devbuild-sequence.har", "OWASP ZAP"),
    ] {
        let a =
            support::analyze(&support::fixtures().join("public").join(file), &settings).unwrap();
        assert_eq!(a.capture.producer.label(), producer, "{file}");
    }
}

#[test]
fn producer_quirks_are_normalized() {
    let settings = support::settings(Vec::new());
    let public = support::fixtures().join("public");
    // Playwright's failed request: status -1 → no response
    let a = support::analyze(
        &public.join("playwright-1.32-failed-status-minus1.har"),
        &settings,
    )
    .unwrap();
    assert!(a.capture.requests.iter().any(|r| r.status == 0));
    // Firefox local offsets are converted to UTC and kept for display
    let a = support::analyze(&public.join("firefox-47-multipage.har"), &settings).unwrap();
    assert_ne!(a.capture.utc_offset_s(), 0);
    // out-of-order entries end up sorted, file order kept in `entry`
    let a = support::analyze(&public.join("chrome-har-capturer-0.10-cnn.har"), &settings).unwrap();
    assert!(
        a.capture
            .requests
            .windows(2)
            .all(|w| w[0].start <= w[1].start)
    );
    assert!(
        a.capture
            .requests
            .windows(2)
            .any(|w| w[0].entry > w[1].entry)
    );
    // HTTP/2 pseudo-headers give the host
    let a = support::analyze(&public.join("browsertime-1.0-chrome49-h2.har"), &settings).unwrap();
    assert!(
        a.capture
            .hosts
            .iter()
            .all(|h| !h.is_empty() && !h.contains(':'))
    );
    // GitHub rate-limit headers are read as numbers
    let a = support::analyze(
        &public.join("pollyjs-5.1-github-ratelimit-headers.har"),
        &settings,
    )
    .unwrap();
    let q = &a.capture.quotas_of(&a.capture.requests[0])[0];
    assert!(q.limit.is_some() && q.remaining.is_some());
    // the mitmproxy capture's Authorization becomes a client
    let a = support::analyze(
        &public.join("mitmproxy-sse-authorization-apikey.har"),
        &settings,
    )
    .unwrap();
    assert!(!a.capture.clients.is_empty());
}

#[test]
fn lab_and_forum_paths_group_into_templates() {
    let settings = support::settings(Vec::new());
    // the forum capture: three UUID paths, one template
    let a = support::analyze(&support::fixtures().join("forum-thread.har"), &settings).unwrap();
    let c = &a.capture;
    let puts: std::collections::BTreeSet<&str> = c
        .requests
        .iter()
        .filter(|r| r.method == why429::model::Method::Put)
        .map(|r| c.template(r))
        .collect();
    assert_eq!(
        puts.into_iter().collect::<Vec<_>>(),
        vec!["/api/v2/architect/ivrs/{ivrId}"]
    );
    // a lab capture without its profile: ids like sch-mon-7a2 are recognised by shape
    let a = support::analyze(
        &support::fixtures().join("lab/t01_forum_like_schedule_puts.har"),
        &settings,
    )
    .unwrap();
    let c = &a.capture;
    let templates: std::collections::BTreeSet<&str> =
        c.requests.iter().map(|r| c.template(r)).collect();
    assert!(
        templates.contains("/api/v2/architect/schedules/{scheduleId}"),
        "{templates:?}"
    );
    assert!(
        templates.contains("/api/v2/architect/schedules"),
        "{templates:?}"
    );
}

//! Hostile input: every class of damaged file is an input error that names the source, the
//! place and a next step, or (with `--partial`) an analysis of what is usable — never a panic,
//! a hang or unbounded memory. A property test damages real captures a thousand ways and runs
//! the whole pipeline, every renderer included, on each.

use std::io::Write;

use proptest::prelude::*;
use serde_json::Value;
use why429::error::{InputError, InputErrorKind};

use std::sync::Arc;

use why429::batch;
use why429::ingest::{self, Input};

use super::canary::{self, Canaries};
use super::exercise::{self, hostile_settings};
use super::support;

/// The one input error of a strict run (and checks the partial run does not panic either).
fn strict_error(bytes: &[u8]) -> InputError {
    let _ = exercise::run(bytes, &hostile_settings(true), false);
    let mut outcome = exercise::run(bytes, &hostile_settings(false), false);
    assert_eq!(outcome.analyzed, 0, "damaged input was analyzed");
    assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
    let e = outcome.errors.remove(0);
    assert!(e.source.starts_with("<stdin>"), "{e}");
    assert!(!e.hint.is_empty(), "{e}");
    e
}

fn small_capture() -> Vec<u8> {
    std::fs::read(support::fixtures().join("public/insomnia-2022.1-single.har")).unwrap()
}

/// The capture with `"time": <number>` of its first entry replaced by `value`.
fn with_time(value: &str) -> Vec<u8> {
    let text = String::from_utf8(small_capture()).unwrap();
    let at = text.find("\"time\":").expect("the fixture has a time");
    let end = at + text[at..].find([',', '}']).unwrap();
    format!("{}\"time\": {value}{}", &text[..at], &text[end..]).into_bytes()
}

#[test]
fn each_class_of_damage_names_the_place_and_a_next_step() {
    let good = small_capture();
    let text = String::from_utf8(good.clone()).unwrap();
    let utf16le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let utf16be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let mut invalid_utf8_bytes = good.clone();
    let at = text.find("GET").unwrap();
    invalid_utf8_bytes.splice(at + 1..at + 1, [0xFFu8]);
    let deep_entry = format!(
        "{{\"log\":{{\"entries\":[{{\"request\":{}{}}}]}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let deep_log = format!(
        "{{\"log\":{}1{}}}",
        "{\"a\":".repeat(100_000),
        "}".repeat(100_000)
    );
    let impossible_date = text.replacen("2023-03-30T04:39:18.981Z", "2023-02-30T25:61:00Z", 1);
    assert_ne!(
        impossible_date, text,
        "the fixture's date is where the test expects"
    );
    let cases: Vec<(&str, Vec<u8>, InputErrorKind, &str, bool)> = vec![
        ("empty", vec![], InputErrorKind::Empty, "empty", false),
        (
            "whitespace",
            b" \n\t ".to_vec(),
            InputErrorKind::Empty,
            "empty",
            false,
        ),
        (
            "{}",
            b"{}".to_vec(),
            InputErrorKind::NotHar,
            "no `log`",
            false,
        ),
        ("[]", b"[]".to_vec(), InputErrorKind::NotHar, "array", true),
        (
            "null",
            b"null".to_vec(),
            InputErrorKind::NotHar,
            "`null`",
            true,
        ),
        (
            "number",
            b"42".to_vec(),
            InputErrorKind::NotHar,
            "a number",
            true,
        ),
        (
            "binary junk",
            vec![0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00],
            InputErrorKind::NotHar,
            "binary data",
            true,
        ),
        (
            "UTF-16 LE",
            utf16le,
            InputErrorKind::Encoding,
            "UTF-16",
            true,
        ),
        (
            "UTF-16 BE",
            utf16be,
            InputErrorKind::Encoding,
            "UTF-16",
            true,
        ),
        (
            "invalid UTF-8",
            invalid_utf8_bytes,
            InputErrorKind::Syntax { complete: 0 },
            "invalid UTF-8",
            true,
        ),
        (
            "100,000 levels inside an entry",
            deep_entry.into_bytes(),
            InputErrorKind::Syntax { complete: 0 },
            "nesting deeper",
            true,
        ),
        (
            "100,000 levels around the entries",
            deep_log.into_bytes(),
            InputErrorKind::Syntax { complete: 0 },
            "nesting deeper",
            true,
        ),
        (
            "1e999999",
            with_time("1e999999"),
            InputErrorKind::NoUsableEntry,
            "number out of range",
            true,
        ),
        (
            "impossible date",
            impossible_date.into_bytes(),
            InputErrorKind::NoUsableEntry,
            "startedDateTime",
            true,
        ),
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            InputErrorKind::Truncated { complete: 0 },
            "ends inside entry 0",
            true,
        ),
    ];
    for (name, bytes, kind, says, located) in cases {
        let e = strict_error(&bytes);
        assert_eq!(e.kind, kind, "{name}: {e}");
        assert!(e.problem.contains(says), "{name}: {e}");
        assert_eq!(e.location.is_some(), located, "{name}: {e}");
    }
}

/// The request of a one-entry capture.
fn only_request(bytes: &[u8]) -> why429::model::Request {
    let settings = hostile_settings(false);
    let (sources, errors) = ingest::discover(
        &[Input::Stdin(Arc::new(bytes.to_vec()))],
        settings.read.limits,
    );
    assert!(errors.is_empty(), "{errors:?}");
    let a = batch::analyze_one(&sources[0], &settings).unwrap();
    assert_eq!(a.capture.requests.len(), 1);
    a.capture.requests[0].clone()
}

#[test]
fn numbers_out_of_range_in_timings_are_clamped_not_trusted() {
    const WEEK: i64 = 7 * 24 * 3600 * 1_000_000;
    let from_timings = only_request(&with_time("-1")).duration;
    assert!(
        (0..WEEK).contains(&from_timings),
        "-1 falls back to the timings"
    );
    assert_eq!(
        only_request(&with_time("1000000000000000000000000000000")).duration,
        WEEK
    );
    assert_eq!(only_request(&with_time("1e308")).duration, WEEK);
    assert_eq!(only_request(&with_time("-1e300")).duration, from_timings);
    // and the whole pipeline takes them
    for value in ["-1", "1000000000000000000000000000000", "-1e300", "1e308"] {
        let outcome = exercise::run(&with_time(value), &hostile_settings(false), false);
        assert_eq!(outcome.analyzed, 1, "time {value}: {:?}", outcome.errors);
    }
}

#[test]
fn a_double_bom_reads_like_a_single_one() {
    let mut bytes = b"\xEF\xBB\xBF\xEF\xBB\xBF".to_vec();
    bytes.extend(small_capture());
    let outcome = exercise::run(&bytes, &hostile_settings(false), false);
    assert_eq!(outcome.analyzed, 1, "{:?}", outcome.errors);
}

#[test]
fn truncation_at_every_byte_is_an_error_or_a_partial_analysis() {
    // five entries, so a cut can fall after complete ones
    let good =
        std::fs::read(support::fixtures().join("public/playwright-1.58-chromium130-no-pages.har"))
            .unwrap();
    let end = good.iter().rposition(|b| !b.is_ascii_whitespace()).unwrap();
    let mut partial_analyses = 0;
    for cut in 0..end {
        let bytes = &good[..cut];
        let strict = exercise::run(bytes, &hostile_settings(false), false);
        assert_eq!(strict.analyzed, 0, "cut at {cut} was analyzed as complete");
        let e = &strict.errors[0];
        assert!(
            cut == 0 || e.location.is_some() || e.kind == InputErrorKind::Empty,
            "cut at {cut}: {e}"
        );
        let partial = exercise::run(bytes, &hostile_settings(true), false);
        for c in &partial.captures {
            assert!(
                c.entries <= 5,
                "cut at {cut}: only complete entries are read"
            );
            assert_eq!(c.requests + c.skipped, c.entries as usize, "cut at {cut}");
            partial_analyses += 1;
        }
    }
    // cuts after the first complete entry give partial analyses
    assert!(
        partial_analyses > end / 2,
        "{partial_analyses} of {end} cuts"
    );
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn a_gzip_bomb_stops_at_the_stated_cap() {
    // 64 MiB of spaces after the start of a HAR compress to a few kilobytes
    let mut inflated = b"{\"log\": {\"entries\": [".to_vec();
    inflated.resize(64 << 20, b' ');
    let e = strict_error(&gzip(&inflated));
    assert_eq!(e.kind, InputErrorKind::TooLarge, "{e}");
    assert!(e.problem.contains("8 MiB cap"), "{e}");
    assert!(e.hint.contains("--max-bytes"), "{e}");
}

fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (name, bytes) in members {
        z.start_file(*name, opts).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap().into_inner()
}

#[test]
fn a_zip_bomb_stops_at_the_stated_caps() {
    // too many members: the cap on files is stated and adjustable
    let capture = small_capture();
    let names: Vec<String> = (0..40).map(|i| format!("c{i:02}.har")).collect();
    let many: Vec<(&str, &[u8])> = names
        .iter()
        .map(|n| (n.as_str(), capture.as_slice()))
        .collect();
    let e = strict_error(&zip(&many));
    assert_eq!(e.kind, InputErrorKind::TooLarge, "{e}");
    assert!(e.problem.contains("more than 16 HAR files"), "{e}");
    assert!(e.hint.contains("--max-files"), "{e}");
    // one member that inflates past the byte cap
    let mut inflated = b"{\"log\": {\"entries\": [".to_vec();
    inflated.resize(64 << 20, b' ');
    let e = strict_error(&zip(&[("bomb.har", &inflated)]));
    assert_eq!(e.kind, InputErrorKind::TooLarge, "{e}");
    assert!(e.hint.contains("--max-bytes"), "{e}");
}

/// One way to damage a capture.
#[derive(Clone, Debug)]
enum Damage {
    /// Cut the file at a fraction of its length.
    Truncate(f64),
    /// Overwrite bytes at fractions of the length.
    Overwrite(Vec<(f64, u8)>),
    /// Delete a range.
    Delete(f64, usize),
    /// Repeat a range in place.
    Duplicate(f64, usize),
    /// Insert a hostile token.
    Insert(f64, &'static str),
    /// Replace the n-th JSON value (any depth) with a value of another type or range.
    Replace(usize, Value),
    /// Replace the n-th JSON value with raw JSON text no Rust string can hold (a lone
    /// surrogate escape, an out-of-range number).
    ReplaceRaw(usize, &'static str),
}

const RAW_VALUES: [&str; 6] = [
    "\"\\ud800\"",
    "\"\\udfff tail\"",
    "1e999",
    "-0",
    "\"\\u0000\"",
    "123456789012345678901234567890",
];

const TOKENS: [&str; 14] = [
    "1e999999",
    "-1",
    "1000000000000000000000000000000",
    "null",
    "[]",
    "{}",
    "\"\\ud800\"",
    "\"2024-13-45T99:99:99Z\"",
    "\u{feff}",
    "\"",
    "\\",
    ",",
    "}]}",
    "\u{0}",
];

fn hostile_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(serde_json::json!(1e300)),
        Just(serde_json::json!(-1)),
        Just(serde_json::json!(u64::MAX)),
        "[\\PC]{0,12}".prop_map(Value::String),
        Just(Value::String("+275760-09-13T00:00:00.001Z".into())),
        Just(Value::String("1970-01-01T00:00:00Z".into())),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
        Just(serde_json::json!([{"name": 1, "value": null}])),
    ]
}

fn damage() -> impl Strategy<Value = Damage> {
    let f = 0.0..1.0f64;
    prop_oneof![
        f.clone().prop_map(Damage::Truncate),
        prop::collection::vec((f.clone(), any::<u8>()), 1..8).prop_map(Damage::Overwrite),
        (f.clone(), 1..400usize).prop_map(|(a, n)| Damage::Delete(a, n)),
        (f.clone(), 1..400usize).prop_map(|(a, n)| Damage::Duplicate(a, n)),
        (f, prop::sample::select(TOKENS.to_vec())).prop_map(|(a, t)| Damage::Insert(a, t)),
        (any::<usize>(), hostile_value()).prop_map(|(n, v)| Damage::Replace(n, v)),
        (any::<usize>(), hostile_value()).prop_map(|(n, v)| Damage::Replace(n, v)),
        (any::<usize>(), hostile_value()).prop_map(|(n, v)| Damage::Replace(n, v)),
        (any::<usize>(), prop::sample::select(RAW_VALUES.to_vec()))
            .prop_map(|(n, v)| Damage::ReplaceRaw(n, v)),
    ]
}

/// Visits every value of a document depth first, replacing the `n`-th (mod count).
fn replace_nth(doc: &mut Value, n: usize, with: Value) {
    fn count(v: &Value) -> usize {
        1 + match v {
            Value::Array(a) => a.iter().map(count).sum(),
            Value::Object(o) => o.values().map(count).sum(),
            _ => 0,
        }
    }
    fn walk(v: &mut Value, n: &mut usize, with: &mut Option<Value>) {
        if *n == 0 {
            if let Some(w) = with.take() {
                *v = w;
            }
            return;
        }
        *n -= 1;
        match v {
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, n, with)),
            Value::Object(o) => o.values_mut().for_each(|x| walk(x, n, with)),
            _ => {}
        }
    }
    let mut n = n % count(doc);
    walk(doc, &mut n, &mut Some(with));
}

/// Replaces the `n`-th value of the document between the outer braces (a BOM or a JSONP call
/// stay around it); `raw` swaps a marker string for raw JSON text afterwards.
fn replace_in(b: &mut Vec<u8>, n: usize, with: Value, raw: Option<(&str, &str)>) {
    let start = b.iter().position(|&c| c == b'{').unwrap();
    let end = b.iter().rposition(|&c| c == b'}').unwrap() + 1;
    let mut doc: Value = serde_json::from_slice(&b[start..end]).unwrap();
    replace_nth(&mut doc, n, with);
    let mut text = serde_json::to_string(&doc).unwrap();
    if let Some((marker, raw)) = raw {
        text = text.replace(&format!("\"{marker}\""), raw);
    }
    b.splice(start..end, text.into_bytes());
}

fn apply(base: &[u8], damage: &Damage) -> Vec<u8> {
    let at = |f: f64| ((base.len() as f64 * f) as usize).min(base.len());
    let mut b = base.to_vec();
    match damage {
        Damage::Truncate(f) => b.truncate(at(*f)),
        Damage::Overwrite(edits) => {
            for (f, byte) in edits {
                if let Some(slot) = b.get_mut(at(*f)) {
                    *slot = *byte;
                }
            }
        }
        Damage::Delete(f, n) => {
            let a = at(*f);
            b.drain(a..(a + n).min(b.len()));
        }
        Damage::Duplicate(f, n) => {
            let a = at(*f);
            let piece = b[a..(a + n).min(b.len())].to_vec();
            b.splice(a..a, piece);
        }
        Damage::Insert(f, token) => {
            b.splice(at(*f)..at(*f), token.bytes());
        }
        Damage::Replace(n, with) => replace_in(&mut b, *n, with.clone(), None),
        Damage::ReplaceRaw(n, raw) => {
            let marker = "why429-raw-value-marker";
            replace_in(&mut b, *n, Value::from(marker), Some((marker, raw)));
        }
    }
    b
}

/// Real captures of different producers, plus the canary capture (secrets everywhere).
fn bases() -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = [
        "public/insomnia-2022.1-single.har",
        "public/firefox-126-no-response-status0.har",
        "public/playwright-1.32-failed-status-minus1.har",
        "public/mitmproxy-sse-authorization-apikey.har",
        "public/chrome-devtools-114-post-utf8-bom.har",
        "public/pollyjs-5.1-github-ratelimit-headers.har",
        "public/firebug-netexport-jsonp-harp.har",
    ]
    .iter()
    .map(|p| {
        (
            p.to_string(),
            std::fs::read(support::fixtures().join(p)).unwrap(),
        )
    })
    .collect();
    v.push((
        "canary".into(),
        canary::capture(&Canaries::new(0xbad), false).into_bytes(),
    ));
    v
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1000,
        failure_persistence: Some(Box::new(
            prop::test_runner::FileFailurePersistence::WithSource("regressions"),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn damaged_real_captures_never_panic_and_never_leak(
        // the canary capture (index 7) a third of the time
        base in prop_oneof![2 => 0..7usize, 1 => Just(7usize)],
        damage in damage(),
        partial in any::<bool>(),
    ) {
        thread_local!(static BASES: Vec<(String, Vec<u8>)> = bases());
        let (name, bytes) = BASES.with(|b| b[base].clone());
        let damaged = apply(&bytes, &damage);
        let outcome = exercise::run(&damaged, &hostile_settings(partial), false);
        for e in &outcome.errors {
            prop_assert!(!e.problem.is_empty() && !e.hint.is_empty(), "{name}: {e}");
            if matches!(e.kind, InputErrorKind::Syntax { .. } | InputErrorKind::Truncated { .. }) {
                prop_assert!(e.location.is_some(), "{name}: {e}");
            }
        }
        // every input ends as an analysis or an error, and every entry of an analysis is a
        // request or a counted, reported skip
        prop_assert!(outcome.analyzed + outcome.errors.len() >= 1);
        for c in &outcome.captures {
            prop_assert_eq!(c.requests + c.skipped, c.entries as usize, "{}", name);
        }
        // replacing a value or cutting the file never moves a secret into a shown place (byte
        // edits can: deleting a `?` makes a query value part of the path)
        if name == "canary"
            && matches!(damage, Damage::Replace(..) | Damage::ReplaceRaw(..) | Damage::Truncate(_))
        {
            let c = Canaries::new(0xbad);
            for out in &outcome.outputs {
                canary::scan("damaged canary capture", out, &c, &[]);
            }
        }
    }
}

/// Inputs that once broke a property or crashed, kept as files (see `fixtures/bad/README.md`).
#[test]
fn every_past_finding_stays_fixed() {
    let dir = support::fixtures().join("bad");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let server_log = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("serverlog-"));
        // `dialects/` holds responses for the dialect round trip (tests/integration/dialects.rs)
        if path.is_dir() || path.extension().is_some_and(|e| e == "md") || server_log {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for partial in [false, true] {
            // panics (and failed sanitize round trips) fail the test
            exercise::run(&bytes, &hostile_settings(partial), true);
        }
        n += 1;
    }
    assert!(n >= 1);
}

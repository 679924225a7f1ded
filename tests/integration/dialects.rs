//! One capture per rate-limit dialect (`fixtures/dialects/`, built by
//! `scripts/dialect-fixtures.py` from each vendor's documented header and body formats): the
//! whole pipeline must read exactly the counters, retry delays, codes, stated numbers, names
//! and costs the generator wrote down, and point to the built-in profile of the vendor.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{Value, json};

use why429::model::{Capture, Exact, Quota, ResetForm, RetrySource, ThrottleScope, Unit};
use why429::normalize::CostSources;
use why429::normalize::dialects::{self, DIALECTS, code, dialect};

use super::support;

fn captures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(support::fixtures().join("dialects"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "har"))
        .collect();
    v.sort();
    v
}

fn form(f: ResetForm) -> &'static str {
    match f {
        ResetForm::DeltaSeconds => "delta-seconds",
        ResetForm::DeltaMillis => "delta-milliseconds",
        ResetForm::EpochSeconds => "epoch-seconds",
        ResetForm::EpochMillis => "epoch-milliseconds",
        ResetForm::HttpDate => "http-date",
        ResetForm::Iso8601 => "iso8601",
        ResetForm::Duration => "duration",
    }
}

fn scope(s: ThrottleScope) -> &'static str {
    match s {
        ThrottleScope::User => "user",
        ThrottleScope::Global => "global",
        ThrottleScope::Shared => "shared",
        ThrottleScope::Tenant => "tenant",
        ThrottleScope::Application => "application",
    }
}

fn name(c: &Capture, sym: u32) -> String {
    c.policies[sym as usize].expose_for_computation().clone()
}

fn quota(c: &Capture, q: &Quota) -> Value {
    let d = dialect(q.dialect);
    let exact: Vec<&str> = [
        (Exact::LIMIT, "limit"),
        (Exact::REMAINING, "remaining"),
        (Exact::RESET, "reset"),
        (Exact::USED, "used"),
    ]
    .iter()
    .filter(|(bit, _)| q.exact.has(*bit))
    .map(|(_, n)| *n)
    .collect();
    json!({
        "dialect": d.name,
        "axis": d.axes[q.axis as usize].name,
        "unit": match q.unit {
            Unit::Requests => "requests",
            Unit::Points => "points",
            Unit::Tokens => "tokens",
            Unit::Concurrent => "concurrent-requests",
            Unit::Bytes => "bytes",
        },
        "limit": q.limit.get(),
        "remaining": q.remaining.get(),
        "used": q.used.get(),
        "window_us": q.window.get(),
        "reset_us": q.reset.get(),
        "reset_form": q.reset_form.map(form),
        "exact": exact,
        "policy": q.policy.get().map(|p| name(c, p)),
        "refill": q.refill().map(|r| json!([r.amount, r.every])),
        "used_share": q.used_share(),
        "cost": q.cost(),
    })
}

/// What the pipeline read from one entry, in the generator's shape.
fn read_entry(c: &Capture, costs: &CostSources, entry: u32) -> Value {
    let r = c.requests.iter().find(|r| r.entry == entry).unwrap();
    let s = r.signals.as_deref().cloned().unwrap_or_default();
    let mut quotas: Vec<Value> = c.quotas_of(r).iter().map(|q| quota(c, q)).collect();
    quotas.sort_by_key(|v| v.to_string());
    let body = s.body.as_ref().map(|b| {
        json!({
            "dialect": b.dialect.map(|d| dialect(d).name),
            "code": b.code.map(|x| code(x).name),
            "unlisted": b.unlisted_code,
            "rate_limited": b.rate_limited,
            "limit": b.limit,
            "window_s": b.window_s,
            "retry_in_s": b.retry_in_s,
            "used": b.used,
            "requested": b.requested,
            "limit_value": b.limit_value,
            "limit_key": b.limit_key.map(|k| c.limit_keys[k as usize].expose_for_computation().clone()),
            "policies": b.policy.iter().chain(&b.more_policies).map(|p| name(c, *p)).collect::<Vec<_>>(),
            "scope": b.scope.map(scope),
        })
    });
    json!({
        "entry": entry,
        "status": r.status,
        "quotas": quotas,
        "retry": r.retry_after().map(|ra| json!({
            "seconds": ra.seconds,
            "source": match ra.source {
                RetrySource::Seconds => "seconds",
                RetrySource::HttpDate => "http-date",
                RetrySource::Millis => "millis",
                RetrySource::ResetAfter => "reset-after",
                RetrySource::Body => "body",
            },
        })),
        "body": body,
        "scope": s.scope.map(scope),
        "reason": s.reason.map(|x| json!({"dialect": dialect(x.dialect).name, "text": name(c, x.text)})),
        "refused_by": s.refused_by.map(|d| dialect(d).name),
        "near_limit": s.near_limit,
        "costs": s.costs.iter().map(|x| json!({
            "source": costs.get(x.source).unwrap().text(),
            "value": x.value,
        })).collect::<Vec<_>>(),
    })
}

/// Every cost field a dialect documents, as the profiles of those vendors would ask for them.
fn every_cost_source() -> CostSources {
    CostSources::new(DIALECTS.iter().flat_map(|d| d.costs.iter().copied())).unwrap()
}

#[test]
fn every_dialect_capture_reads_exactly_what_its_format_says() {
    let mut settings = support::settings(Vec::new());
    settings.costs = every_cost_source();
    let all = captures();
    assert!(all.len() >= 29, "{} captures", all.len());
    for path in all {
        let what = path.file_stem().unwrap().to_string_lossy().to_string();
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(path.with_extension("expected.json")).unwrap(),
        )
        .unwrap();
        let a = support::analyze(&path, &settings).unwrap();
        let c = &a.capture;
        assert!(c.skipped.is_empty(), "{what}: {:?}", c.skipped);
        for e in expected["entries"].as_array().unwrap() {
            let mut want = e.clone();
            let mut quotas = want["quotas"].as_array().unwrap().clone();
            quotas.sort_by_key(|v| v.to_string());
            want["quotas"] = quotas.into();
            let got = read_entry(c, &settings.costs, e["entry"].as_u64().unwrap() as u32);
            assert_eq!(
                got, want,
                "{what}, entry {}:\n got  {got}\n want {want}",
                e["entry"]
            );
        }
        // a recognised vendor dialect names its built-in profile
        let profiles: BTreeSet<&str> = c
            .requests
            .iter()
            .flat_map(|r| {
                c.quotas_of(r).iter().map(|q| q.dialect).chain(
                    r.signals
                        .as_deref()
                        .and_then(|s| s.body.as_ref())
                        .and_then(|b| b.dialect),
                )
            })
            .filter_map(dialects::profile_of)
            .collect();
        let want: BTreeSet<&str> = expected["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        assert_eq!(profiles, want, "{what}: profiles");
    }
}

#[test]
fn every_dialect_capture_survives_sanitize_with_the_same_signals() {
    // the copy is written by each dialect's own writer: it must read to the same signals
    let mut settings = support::settings(Vec::new());
    settings.costs = every_cost_source();
    for path in captures() {
        let what = path.file_stem().unwrap().to_string_lossy().to_string();
        let (sources, _) = why429::ingest::discover(
            &[why429::ingest::Input::Path(path.clone())],
            settings.read.limits,
        );
        let mut copy = Vec::new();
        let options = why429::sanitize::Options {
            keep_ids: false,
            key: why429::normalize::FingerprintKey::from_passphrase("dialects"),
        };
        let done = why429::batch::sanitize_one(&sources[0], &settings, &options, &mut copy)
            .unwrap_or_else(|e| panic!("{what}: {e:?}"));
        let original = &done.analysis.capture;
        let dir = tempfile::tempdir().unwrap();
        let copied = dir.path().join("copy.har");
        std::fs::write(&copied, &copy).unwrap();
        let again = support::analyze(&copied, &settings).unwrap();
        for r in &original.requests {
            let a = read_entry(original, &settings.costs, r.entry);
            let mut b = read_entry(&again.capture, &settings.costs, r.entry);
            // names are stand-ins in the copy: compare what they stand for by position
            for (x, y) in [("quotas", "policy")] {
                for (qa, qb) in a[x]
                    .as_array()
                    .unwrap()
                    .iter()
                    .zip(b[x].as_array_mut().unwrap().iter_mut())
                {
                    if !qa[y].is_null() {
                        assert!(qb[y].as_str().unwrap().starts_with("why429-policy-"));
                        qb[y] = qa[y].clone();
                    }
                }
            }
            if let (Some(pa), Some(pb)) = (a["body"].get("policies"), b["body"].get_mut("policies"))
            {
                assert_eq!(pa.as_array().unwrap().len(), pb.as_array().unwrap().len());
                *pb = pa.clone();
            }
            // the copy writes Retry-After as seconds, whatever the original's form
            if a["retry"]["source"] == "http-date" {
                b["retry"]["source"] = "http-date".into();
            }
            if !a["reason"].is_null() {
                b["reason"]["text"] = a["reason"]["text"].clone();
            }
            if !a["body"].is_null() && !a["body"]["limit_key"].is_null() {
                b["body"]["limit_key"] = a["body"]["limit_key"].clone();
            }
            assert_eq!(b, a, "{what}, entry {}", r.entry);
        }
    }
}

/// Responses that once broke the dialect round trip (`fixtures/bad/README.md`).
#[test]
fn every_past_dialect_finding_stays_fixed() {
    let dir = support::fixtures().join("bad").join("dialects");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        super::roundtrip::check(&std::fs::read(entry.unwrap().path()).unwrap());
        n += 1;
    }
    assert!(n >= 3);
}

/// A value `dialects::quote` offers to quote is in the capture, under that name, as written:
/// on every bundled capture.
#[test]
fn every_quotable_value_is_the_header_value_in_the_capture() {
    use why429::normalize::dialects::{Field, quote};
    let settings = support::partial(support::settings(Vec::new()));
    let mut quoted = 0;
    for path in support::every_capture() {
        // the plain JSON captures (not JSONP, BOM-prefixed or damaged ones)
        let Ok(har) = std::fs::read_to_string(&path)
            .map_err(|_| ())
            .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|_| ()))
        else {
            continue;
        };
        let Ok(a) = support::analyze(&path, &settings) else {
            continue;
        };
        for r in &a.capture.requests {
            let headers = &har["log"]["entries"][r.entry as usize]["response"]["headers"];
            for q in a.capture.quotas_of(r) {
                for field in [Field::Limit, Field::Remaining, Field::Used, Field::Reset] {
                    let Some((name, value)) = quote(q, field) else {
                        continue;
                    };
                    let found = headers.as_array().into_iter().flatten().any(|h| {
                        h["name"]
                            .as_str()
                            .is_some_and(|n| n.eq_ignore_ascii_case(name))
                            && h["value"].as_str().is_some_and(|v| v.trim() == value)
                    });
                    assert!(
                        found,
                        "{}: `{name}: {value}` is not in entry {}",
                        path.display(),
                        r.entry
                    );
                    quoted += 1;
                }
            }
        }
    }
    assert!(quoted >= 50, "only {quoted} values quotable");
}

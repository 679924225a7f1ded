//! Layer peaks against a brute-force count, and profile choice by host.

use std::collections::HashMap;

use why429::batch::Analysis;
use why429::model::{Method, Request};
use why429::profiles::{Anchor, Layer, Limiter, Partition};

use super::support;

/// What a lab profile's TOML says about one layer, read here without the profile parser.
struct Filter {
    hosts: Vec<String>,
    method: Option<String>,
    template: Option<String>,
}

fn filters(profile_toml: &std::path::Path) -> HashMap<String, Filter> {
    let doc: toml::Table = std::fs::read_to_string(profile_toml)
        .unwrap()
        .parse()
        .unwrap();
    let hosts: Vec<String> = doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_string())
        .collect();
    let mut out = HashMap::new();
    for layer in doc["layer"].as_array().unwrap() {
        let t = layer.as_table().unwrap();
        // the oracle below handles exactly what the lab profiles use
        for key in t.keys() {
            assert!(
                [
                    "name",
                    "limit",
                    "window",
                    "per",
                    "kind",
                    "algorithm",
                    "window_align",
                    "method",
                    "template",
                    "source",
                    "note"
                ]
                .contains(&key.as_str()),
                "{}: the brute-force count does not model `{key}`",
                profile_toml.display()
            );
        }
        out.insert(
            t["name"].as_str().unwrap().to_string(),
            Filter {
                hosts: hosts.clone(),
                method: t.get("method").map(|m| m.as_str().unwrap().to_string()),
                template: t.get("template").map(|m| m.as_str().unwrap().to_string()),
            },
        );
    }
    out
}

/// `/a/{x}/c` against `/a/b/c`, segment by segment.
fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

/// Whether a layer counts a request, written out independently of `evaluate` and `profiles`.
fn counted(a: &Analysis, f: &Filter, r: &Request) -> bool {
    let c = &a.capture;
    let path = *c.path(r).expose_for_computation();
    f.hosts.iter().any(|h| h == c.host(r))
        && r.status >= 100
        && !r.from_cache
        && !r.is_preflight
        && f.method.as_ref().is_none_or(|m| m == r.method.as_str())
        && f.template
            .as_ref()
            .is_none_or(|t| template_matches(t, path))
}

fn key(a: &Analysis, l: &Layer, r: &Request) -> Vec<String> {
    l.per
        .iter()
        .map(|p| match p {
            Partition::User => format!("u{}", r.user),
            Partition::Client => format!("c{:?}", r.client),
            Partition::Token => format!("t{:?}", r.token),
            Partition::Endpoint => format!("e{}{}", r.method.as_str(), a.capture.template(r)),
            Partition::Resource => format!("r{}{}", r.method.as_str(), r.path),
            Partition::Org => String::new(),
        })
        .collect()
}

/// The most requests of one partition within one window, by checking every pair.
fn brute_peak(a: &Analysis, f: &Filter, l: &Layer) -> u64 {
    let mut parts: HashMap<Vec<String>, Vec<&Request>> = HashMap::new();
    for r in a.capture.requests.iter().filter(|r| counted(a, f, r)) {
        parts.entry(key(a, l, r)).or_default().push(r);
    }
    let mut peak = 0;
    for reqs in parts.values() {
        for r in reqs {
            let n = match &l.limiter {
                Limiter::Concurrency { .. } => reqs
                    .iter()
                    .filter(|q| q.start <= r.start && r.start < q.end().max(q.start + 1))
                    .count(),
                Limiter::Window {
                    anchor: None,
                    window,
                    ..
                } => reqs
                    .iter()
                    .filter(|q| r.start - window < q.start && q.start <= r.start)
                    .count(),
                Limiter::Window {
                    anchor: Some(Anchor::Epoch),
                    window,
                    ..
                } => {
                    let ws = r.start.div_euclid(*window) * window;
                    reqs.iter()
                        .filter(|q| q.start >= ws && q.start <= r.start)
                        .count()
                }
                Limiter::Window {
                    anchor: Some(Anchor::FirstRequest),
                    window,
                    ..
                } => {
                    // replay the windows from the partition's first request
                    let mut ws = reqs[0].start;
                    for q in reqs.iter().take_while(|q| q.start <= r.start) {
                        if q.start >= ws + window {
                            ws = q.start;
                        }
                    }
                    reqs.iter()
                        .filter(|q| q.start >= ws && q.start <= r.start)
                        .count()
                }
                other => panic!("the lab has no {} layer", other.algorithm()),
            };
            peak = peak.max(n as u64);
        }
    }
    peak
}

#[test]
fn every_lab_layer_peak_equals_a_brute_force_count() {
    let lab = support::fixtures().join("lab");
    let mut checked = 0;
    for entry in std::fs::read_dir(&lab).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(scenario) = name.strip_suffix(".profile.toml") else {
            continue;
        };
        let settings = support::settings(vec![support::profile(&path)]);
        let filters = filters(&path);
        for variant in ["har", "cdp.har", "sanitized.har"] {
            let a =
                support::analyze(&lab.join(format!("{scenario}.{variant}")), &settings).unwrap();
            for le in &a.evaluation.layers {
                let l = &a.profiles[le.profile].layers[le.layer];
                assert_eq!(
                    le.peak,
                    brute_peak(&a, &filters[&l.name], l) as f64,
                    "{scenario}.{variant}: {}",
                    l.name
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 60, "{checked}");
}

#[test]
fn the_forum_thread_is_evaluated_against_genesys_cloud_by_host() {
    let a = support::analyze(
        &support::fixtures().join("forum-thread.har"),
        &support::settings(Vec::new()),
    )
    .unwrap();
    assert_eq!(a.profiles.len(), 1);
    assert_eq!(a.profiles[0].name, "genesys-cloud");
    let (i, le) = a
        .evaluation
        .layers
        .iter()
        .enumerate()
        .find(|(_, le)| {
            a.profiles[le.profile].layers[le.layer].name == "architect.ivrs.put.rate.per.minute"
        })
        .unwrap();
    let l = &a.profiles[le.profile].layers[le.layer];
    assert_eq!((l.limit(), l.window()), (100, 60_000_000));
    assert_eq!(le.peak, 3.0, "3 PUTs against 100/min");
    let report = why429::report::build(&a, Default::default());
    assert_eq!(report.layers[i].peak, 3);
    assert_eq!(
        report.layers[i].filter.as_deref(),
        Some("PUT /api/v2/architect/ivrs/{ivrId}")
    );
    // the what-if: preflights before the PUTs would double the count
    assert_eq!(report.layers[i].peak_with_preflights, 6);
    // the page's other requests are never counted: every counted request is on the API host
    for le in &a.evaluation.layers {
        for p in &le.partitions {
            assert_eq!(
                a.capture.host(&a.capture.requests[p.first as usize]),
                "api.mypurecloud.de"
            );
        }
        for v in &le.views {
            assert_eq!(
                a.capture.host(&a.capture.requests[v.request as usize]),
                "api.mypurecloud.de"
            );
        }
    }
    assert!(
        a.capture
            .requests
            .iter()
            .any(|r| r.method == Method::Options)
    );
}

#[test]
fn hosts_pick_profiles_and_generic_infers_layers_from_headers() {
    let settings = support::partial(support::settings(Vec::new()));
    // GitHub traffic is counted against the github profile
    let a = support::analyze(
        &support::fixtures().join("public/pollyjs-5.1-github-ratelimit-headers.har"),
        &settings,
    )
    .unwrap();
    assert_eq!(a.profiles[0].name, "github");
    // an unknown API announcing its budget gets inferred layers, marked as such
    let a = support::analyze(
        &support::fixtures().join("public/unknown-missing-creator-ratelimit-headers.har"),
        &settings,
    )
    .unwrap();
    assert_eq!(a.profiles[0].name, "generic");
    // lab captures on 127.0.0.1 carry inin-ratelimit headers: their budget is inferred
    let a = support::analyze(
        &support::fixtures().join("lab/t03_contact_sync_burst_app_user.har"),
        &settings,
    )
    .unwrap();
    assert_eq!(a.profiles[0].name, "generic");
    let inferred: Vec<(&str, u64)> = a.profiles[0]
        .layers
        .iter()
        .map(|l| (l.name.as_str(), l.limit()))
        .collect();
    assert!(a.profiles[0].layers.iter().all(|l| l.inferred));
    assert!(
        inferred.iter().any(|(_, limit)| *limit == 25),
        "{inferred:?}"
    );
}

/// The generic profile takes a budget's window only from what the headers define: `inin-*`
/// headers state a budget and a countdown to its reset, not a window, so windows end at the
/// resets the server announced; the layer counts only the endpoints whose responses carried
/// the headers, and a finding names the vendor profile to use.
#[test]
fn generic_windows_end_at_announced_resets_on_the_endpoints_that_carried_them() {
    let settings = support::partial(support::settings(Vec::new()));
    let a = support::analyze(
        &support::fixtures().join("lab/t03_contact_sync_burst_app_user.har"),
        &settings,
    )
    .unwrap();
    let carried: std::collections::BTreeSet<&str> = a
        .capture
        .requests
        .iter()
        .filter(|r| r.quotas_len > 0)
        .map(|r| a.capture.template(r))
        .collect();
    assert!(!carried.is_empty());
    for l in &a.profiles[0].layers {
        assert!(
            matches!(
                l.limiter,
                Limiter::Window {
                    anchor: Some(Anchor::Announced),
                    ..
                }
            ),
            "{}: no window is defined by inin-* headers",
            l.name
        );
        assert!(l.resets.windows(2).all(|w| w[0] < w[1]), "{}", l.name);
        assert!(!l.resets.is_empty());
        assert!(
            l.budget_label().ends_with("/ announced window"),
            "{}",
            l.budget_label()
        );
        let scoped: std::collections::BTreeSet<&str> =
            l.templates.iter().map(|t| t.as_str()).collect();
        assert!(scoped.is_subset(&carried), "{scoped:?} ⊄ {carried:?}");
    }
    let vendor: Vec<&str> = a
        .diagnosis
        .findings
        .iter()
        .filter(|f| f.kind.as_str() == "vendor-profile")
        .map(|f| f.advice.as_str())
        .collect();
    assert_eq!(vendor.len(), 1, "{vendor:?}");
    assert!(
        vendor[0].contains("--profile genesys-cloud"),
        "{}",
        vendor[0]
    );
    // with the vendor's profile chosen, the finding has nothing to add
    let genesys = why429::profiles::builtin_named("genesys-cloud").unwrap();
    let a = support::analyze(
        &support::fixtures().join("lab/t03_contact_sync_burst_app_user.har"),
        &support::partial(support::settings(vec![genesys])),
    )
    .unwrap();
    assert!(
        a.diagnosis
            .findings
            .iter()
            .all(|f| f.kind.as_str() != "vendor-profile")
    );
}

#[test]
fn several_profiles_combine() {
    let lab = support::fixtures().join("lab");
    let p1 = support::profile(&lab.join("t03_contact_sync_burst_app_user.profile.toml"));
    let github = why429::profiles::builtin_named("github").unwrap();
    let a = support::analyze(
        &lab.join("t03_contact_sync_burst_app_user.har"),
        &support::settings(vec![p1, github]),
    )
    .unwrap();
    assert_eq!(a.profiles.len(), 2);
    assert_eq!(
        a.evaluation.layers.len(),
        a.profiles.iter().map(|p| p.layers.len()).sum::<usize>()
    );
    // github's layers count nothing on the lab host
    assert!(
        a.evaluation
            .layers
            .iter()
            .filter(|le| le.profile == 1)
            .all(|le| le.counted == 0)
    );
}

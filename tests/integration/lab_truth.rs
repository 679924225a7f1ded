//! Scores every 429 of the lab captures against the server's ground truth.
//!
//! A HAR entry joins its truth line by `inin-correlation-id`. A truth layer with
//! `documented: false` expects `undocumented-limit`; a documented layer expects
//! `visible-traffic` when the browser's own counted requests in the window (the 429 itself
//! excluded) reach the limit, else `hidden-traffic`. The profile holds the documented layers
//! only (`fixtures/lab/*.profile.toml`).

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;
use why429::diagnose::Cause;

use super::support;

struct Expected {
    cause: Cause,
    layer: Option<String>,
}

fn expectations(truth: &Path) -> HashMap<String, Expected> {
    let lines: Vec<Value> = std::fs::read_to_string(truth)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut out = HashMap::new();
    for l in &lines {
        if l["status"] != 429 || l["source"] != "browser" {
            continue;
        }
        let layer = l["layer"].as_str().unwrap().to_string();
        let cid = l["correlation_id"].as_str().unwrap().to_string();
        if l["layer_documented"] == false {
            out.insert(
                cid,
                Expected {
                    cause: Cause::UndocumentedLimit,
                    layer: None,
                },
            );
            continue;
        }
        let snap = l["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["layer"] == layer.as_str())
            .unwrap();
        let key = &snap["key"];
        let limit = snap["limit"].as_u64().unwrap();
        let t = l["t"].as_f64().unwrap();
        let seq = l["seq"].as_u64().unwrap();
        let same = |q: &&Value| {
            q["source"] == "browser"
                && q["seq"].as_u64().unwrap() != seq
                && q["counted_in"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c == layer.as_str())
                && q["layers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s["layer"] == layer.as_str() && &s["key"] == key)
        };
        if snap["kind"] == "concurrency" {
            // the browser's own admitted requests in flight when this one arrived
            let visible = lines
                .iter()
                .filter(same)
                .filter(|q| q["t"].as_f64().unwrap() <= t && q["t_done"].as_f64().unwrap() > t)
                .count() as u64;
            let cause = if visible >= limit {
                Cause::VisibleTraffic
            } else {
                Cause::HiddenTraffic
            };
            out.insert(
                cid,
                Expected {
                    cause,
                    layer: Some(layer),
                },
            );
            continue;
        }
        let w = snap["window_s"].as_f64().unwrap();
        let from = match snap.get("algorithm").and_then(|a| a.as_str()) {
            // reset_s is rounded to the millisecond: widen by 20 ms so the request that
            // opened the window stays inside it
            Some("fixed") => t + snap["reset_s"].as_f64().unwrap() - w - 0.02,
            _ => t - w,
        };
        let visible = lines
            .iter()
            .filter(|q| {
                q["source"] == "browser"
                    && q["seq"].as_u64().unwrap() != seq
                    && q["t"].as_f64().unwrap() > from
                    && q["t"].as_f64().unwrap() <= t
                    && q["counted_in"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|c| c == layer.as_str())
                    && q["layers"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|s| s["layer"] == layer.as_str() && &s["key"] == key)
            })
            .count() as u64;
        let cause = if visible >= limit {
            Cause::VisibleTraffic
        } else {
            Cause::HiddenTraffic
        };
        out.insert(
            cid,
            Expected {
                cause,
                layer: Some(layer),
            },
        );
    }
    out
}

/// (right causes, total, right layers, visible expected, wrong cases)
fn score(har: &Path, truth: &Path, profile: &Path) -> (usize, usize, usize, usize, Vec<String>) {
    let expected = expectations(truth);
    let analysis =
        support::analyze(har, &support::settings(vec![support::profile(profile)])).unwrap();
    let c = &analysis.capture;
    let (mut right, mut total, mut right_layer, mut visible_total) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    for t in &analysis.diagnosis.throttles {
        let r = &c.requests[t.request as usize];
        let cid = c.correlation(r).unwrap().expose_for_computation().clone();
        let Some(exp) = expected.get(&cid) else {
            continue;
        };
        total += 1;
        let layer = t.layer().map(|l| {
            let le = &analysis.evaluation.layers[l];
            analysis.profiles[le.profile].layers[le.layer].name.clone()
        });
        if t.cause() == exp.cause {
            right += 1;
        } else {
            let names =
                why429::diagnose::prose::Names::new(c, &analysis.profiles, &analysis.evaluation);
            let ranked: Vec<String> = t
                .ranked
                .iter()
                .map(|h| {
                    format!(
                        "{} [{:?}] for: {:?} against: {:?}",
                        why429::diagnose::prose::explanation(&names, &h.candidate.explanation),
                        h.below_because,
                        h.candidate
                            .support
                            .iter()
                            .map(|s| why429::diagnose::prose::signal(&names, s, r))
                            .collect::<Vec<_>>(),
                        h.candidate
                            .against
                            .iter()
                            .map(|s| why429::diagnose::prose::signal(&names, s, r))
                            .collect::<Vec<_>>()
                    )
                })
                .chain(t.refuted.iter().map(|h| {
                    format!(
                        "RULED OUT {:?}: {:?}",
                        h.explanation,
                        h.refuted.as_ref().map(|x| x.rule())
                    )
                }))
                .collect();
            wrong.push(format!(
                "entry {} at {}: expected {:?} {:?}, got {:?} {:?}\n      {}",
                r.entry,
                why429::model::time::rfc3339_utc(r.start),
                exp.cause,
                exp.layer,
                t.cause(),
                layer,
                ranked.join("\n      ")
            ));
        }
        if exp.cause == Cause::VisibleTraffic {
            visible_total += 1;
            if t.cause() == Cause::VisibleTraffic && layer == exp.layer {
                right_layer += 1;
            }
        }
    }
    assert_eq!(
        total,
        expected.len(),
        "{}: every 429 the server logged for the browser must be in the capture and explained",
        har.display()
    );
    (right, total, right_layer, visible_total, wrong)
}

#[test]
fn lab_429s_are_explained_like_the_server_says() {
    let lab = support::fixtures().join("lab");
    let mut scenarios: Vec<String> = std::fs::read_dir(&lab)
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            n.strip_suffix(".truth.jsonl").map(str::to_string)
        })
        .collect();
    scenarios.sort();
    let (mut right, mut total, mut vis_ok, mut vis_total) = (0, 0, 0, 0);
    let (mut s_right, mut s_total) = (0, 0);
    let mut report = String::new();
    for s in &scenarios {
        let truth = lab.join(format!("{s}.truth.jsonl"));
        let profile = lab.join(format!("{s}.profile.toml"));
        for variant in ["har", "cdp.har", "sanitized.har"] {
            let har = lab.join(format!("{s}.{variant}"));
            let (r, t, vl, vt, wrong) = score(&har, &truth, &profile);
            report.push_str(&format!(
                "{s}.{variant}: {r}/{t} causes, {vl}/{vt} visible layers\n"
            ));
            for w in wrong.iter().take(4) {
                report.push_str(&format!("    {w}\n"));
            }
            if variant == "sanitized.har" {
                s_right += r;
                s_total += t;
            } else {
                right += r;
                total += t;
                vis_ok += vl;
                vis_total += vt;
            }
        }
    }
    report.push_str(&format!(
        "unsanitized: {right}/{total} causes ({:.1} %), {vis_ok}/{vis_total} visible layers; sanitized: {s_right}/{s_total} causes ({:.1} %)\n",
        100.0 * right as f64 / total.max(1) as f64,
        100.0 * s_right as f64 / s_total.max(1) as f64
    ));
    println!("{report}");
    assert!(total > 0);
    assert!(
        right * 100 >= total * 95,
        "fewer than 95 % right causes:\n{report}"
    );
    assert_eq!(
        vis_ok, vis_total,
        "a visible-traffic 429 blamed the wrong layer:\n{report}"
    );
}

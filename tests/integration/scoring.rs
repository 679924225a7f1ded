//! Scoring why429's explanations against a lab's expected answers (`<s>.expect.jsonl`).
//!
//! Shared by the accuracy tests and `examples/lab_score.rs` (which scores freshly drawn
//! batches), so both measure the same thing: each recording (scenario × producer) is scored
//! once, a throttle joins its expected answer by the response's correlation id, the cause is
//! checked for every throttle, the layer for visible- and hidden-traffic ones, the kind for
//! undocumented limits.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use why429::batch::{self, Analysis, Settings};
use why429::diagnose::{Cause, Rules};
use why429::ingest::{self, Input};
use why429::normalize::FingerprintKey;
use why429::profiles;

/// The answer expected for one throttle.
#[derive(Clone, Debug)]
pub struct Expected {
    /// `visible-traffic`, `hidden-traffic` or `undocumented-limit`.
    pub cause: String,
    /// The layer, for visible and hidden traffic.
    pub layer: Option<String>,
    /// The kind, for undocumented limits.
    pub kind: Option<String>,
}

/// Expected answers by correlation id.
pub fn expectations(path: &Path) -> HashMap<String, Expected> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("an expect line is JSON");
            let s = |k: &str| v[k].as_str().map(str::to_string);
            (
                s("id").expect("an expect line has an id"),
                Expected {
                    cause: s("cause").expect("an expect line has a cause"),
                    layer: s("layer"),
                    kind: s("kind"),
                },
            )
        })
        .collect()
}

/// The score of one recording.
#[derive(Clone, Debug, Default)]
pub struct Score {
    /// `t01_forum_like_schedule_puts`.
    pub scenario: String,
    /// `har`, `cdp.har` or `sanitized.har` (`.gz` dropped).
    pub producer: String,
    /// Throttles expected.
    pub expected: usize,
    /// Expected throttles found in the capture and explained.
    pub scored: usize,
    /// Right causes.
    pub cause_right: usize,
    /// Visible-traffic throttles, and those with the right layer.
    pub visible: (usize, usize),
    /// Hidden-traffic throttles, and those with the right layer.
    pub hidden: (usize, usize),
    /// Undocumented-limit throttles, and those with the right kind (and cause).
    pub undocumented: (usize, usize),
    /// What went wrong, one line per throttle.
    pub wrong: Vec<String>,
}

impl Score {
    /// Right causes over scored throttles (1 when there is nothing to score).
    pub fn cause_rate(&self) -> f64 {
        if self.scored == 0 {
            1.0
        } else {
            self.cause_right as f64 / self.scored as f64
        }
    }
}

/// The recordings of a scenario folder: (scenario, producer, HAR path, expect, profile).
pub fn recordings(dir: &Path) -> Vec<(String, String, PathBuf, PathBuf, PathBuf)> {
    let mut out = Vec::new();
    let mut expects: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".expect.jsonl"))
        .collect();
    expects.sort();
    for expect in expects {
        let name = expect.file_name().unwrap().to_string_lossy().into_owned();
        let scenario = name.trim_end_matches(".expect.jsonl").to_string();
        let profile = dir.join(format!("{scenario}.profile.toml"));
        for producer in ["har", "cdp.har", "sanitized.har"] {
            for suffix in ["", ".gz"] {
                let har = dir.join(format!("{scenario}.{producer}{suffix}"));
                if har.exists() {
                    out.push((
                        scenario.clone(),
                        producer.to_string(),
                        har,
                        expect.clone(),
                        profile.clone(),
                    ));
                }
            }
        }
    }
    out
}

/// Analyses one recording with its profile and the given diagnosis rules.
pub fn analyze(har: &Path, profile: &Path, rules: &Rules) -> Result<Analysis, String> {
    let text =
        std::fs::read_to_string(profile).map_err(|e| format!("{}: {e}", profile.display()))?;
    let p =
        profiles::parse::parse(&profile.display().to_string(), &text).map_err(|e| e.to_string())?;
    let mut settings = Settings::new(
        FingerprintKey::from_passphrase("lab score"),
        vec![p],
        profiles::builtin(),
    )?;
    settings.rules = rules.clone();
    let (sources, errors) =
        ingest::discover(&[Input::Path(har.to_path_buf())], settings.read.limits);
    if let Some(e) = errors.into_iter().next() {
        return Err(e.to_string());
    }
    batch::analyze_one(&sources[0], &settings).map_err(|e| e.to_string())
}

/// Scores every recording of a lab folder.
pub fn score_dir(dir: &Path, rules: &Rules) -> Vec<Score> {
    recordings(dir)
        .into_iter()
        .map(|(scenario, producer, har, expect, profile)| {
            let a = analyze(&har, &profile, rules).unwrap_or_else(|e| panic!("{e}"));
            score(&scenario, &producer, &a, &expectations(&expect))
        })
        .collect()
}

fn layer_name(a: &Analysis, idx: usize) -> String {
    let le = &a.evaluation.layers[idx];
    a.profiles[le.profile].layers[le.layer].name.clone()
}

/// Scores one analysed recording against its expected answers.
pub fn score(
    scenario: &str,
    producer: &str,
    a: &Analysis,
    expected: &HashMap<String, Expected>,
) -> Score {
    let mut s = Score {
        scenario: scenario.to_string(),
        producer: producer.to_string(),
        expected: expected.len(),
        ..Score::default()
    };
    let names = why429::diagnose::prose::Names::new(&a.capture, &a.profiles, &a.evaluation);
    for t in &a.diagnosis.throttles {
        let r = &a.capture.requests[t.request as usize];
        let Some(id) = a.capture.correlation(r) else {
            continue;
        };
        let Some(exp) = expected.get(*id.expose_for_computation()) else {
            continue;
        };
        s.scored += 1;
        let cause = t.cause().as_str();
        let layer = t.layer().map(|l| layer_name(a, l));
        let kind = t.kind().map(|k| k.as_str().to_string());
        let cause_ok = cause == exp.cause;
        s.cause_right += usize::from(cause_ok);
        let detail_ok = match exp.cause.as_str() {
            "visible-traffic" => {
                s.visible.0 += 1;
                let ok = cause_ok && layer == exp.layer;
                s.visible.1 += usize::from(ok);
                ok
            }
            "hidden-traffic" => {
                s.hidden.0 += 1;
                let ok = cause_ok && layer == exp.layer;
                s.hidden.1 += usize::from(ok);
                ok
            }
            "undocumented-limit" => {
                s.undocumented.0 += 1;
                let ok = cause_ok && kind == exp.kind;
                s.undocumented.1 += usize::from(ok);
                ok
            }
            _ => cause_ok,
        };
        if !(cause_ok && detail_ok) {
            let got = why429::diagnose::prose::explanation(&names, &t.explanation);
            s.wrong.push(format!(
                "entry {} at {}: expected {} {} {}, got {} {} {} — {} [{}]",
                r.entry,
                why429::model::time::rfc3339_utc(r.start),
                exp.cause,
                exp.layer.as_deref().unwrap_or("-"),
                exp.kind.as_deref().unwrap_or("-"),
                cause,
                layer.as_deref().unwrap_or("-"),
                kind.as_deref().unwrap_or("-"),
                got,
                t.decided_by.map(|p| p.rule()).unwrap_or("only one")
            ));
        }
    }
    // a throttle the server logged for the browser but the capture does not hold (or that
    // why429 did not take for a throttle) counts as wrong
    let missing = s.expected - s.scored;
    if missing > 0 {
        s.wrong.push(format!(
            "{missing} expected throttles were not found among the capture's throttles"
        ));
        s.scored += missing;
    }
    let _ = Cause::all();
    s
}

/// Totals over many recordings.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Recordings scored.
    pub recordings: usize,
    /// Mean of per-recording cause rates, over recordings with throttles.
    pub macro_cause: f64,
    /// Lowest per-scenario cause rate (over its recordings).
    pub worst_scenario: (String, f64),
    /// Visible-traffic throttles, right layers.
    pub visible: (usize, usize),
    /// Hidden-traffic throttles, right layers.
    pub hidden: (usize, usize),
    /// Undocumented-limit throttles, right kinds.
    pub undocumented: (usize, usize),
    /// Macro cause rate over sanitized recordings only.
    pub sanitized_cause: f64,
    /// Macro cause rate per producer.
    pub per_producer: Vec<(String, f64)>,
}

/// Summarises scores.
pub fn summarize(scores: &[Score]) -> Summary {
    let with: Vec<&Score> = scores.iter().filter(|s| s.expected > 0).collect();
    let mean = |v: &[&Score]| -> f64 {
        if v.is_empty() {
            1.0
        } else {
            v.iter().map(|s| s.cause_rate()).sum::<f64>() / v.len() as f64
        }
    };
    let mut per_scenario: HashMap<&str, Vec<&Score>> = HashMap::new();
    for s in &with {
        per_scenario.entry(&s.scenario).or_default().push(s);
    }
    let worst_scenario = per_scenario
        .iter()
        .map(|(k, v)| (k.to_string(), mean(v)))
        .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
        .unwrap_or_default();
    let add = |f: fn(&Score) -> (usize, usize)| {
        with.iter().fold((0, 0), |acc, s| {
            let x = f(s);
            (acc.0 + x.0, acc.1 + x.1)
        })
    };
    let producers = ["har", "cdp.har", "sanitized.har"];
    let per_producer = producers
        .iter()
        .map(|p| {
            let v: Vec<&Score> = with.iter().copied().filter(|s| s.producer == *p).collect();
            (p.to_string(), mean(&v))
        })
        .collect();
    let sanitized: Vec<&Score> = with
        .iter()
        .copied()
        .filter(|s| s.producer == "sanitized.har")
        .collect();
    Summary {
        recordings: with.len(),
        macro_cause: mean(&with),
        worst_scenario,
        visible: add(|s| s.visible),
        hidden: add(|s| s.hidden),
        undocumented: add(|s| s.undocumented),
        sanitized_cause: mean(&sanitized),
        per_producer,
    }
}

/// `12/13 (92.3 %)`.
pub fn ratio((total, right): (usize, usize)) -> String {
    if total == 0 {
        "0/0".into()
    } else {
        format!(
            "{right}/{total} ({:.1} %)",
            100.0 * right as f64 / total as f64
        )
    }
}

/// A report of scores, one line per recording with throttles, then the summary.
pub fn report(scores: &[Score], show_wrong: usize) -> String {
    let mut out = String::new();
    for s in scores.iter().filter(|s| s.expected > 0) {
        out.push_str(&format!(
            "{}.{}: {}/{} causes, visible layers {}, hidden layers {}, kinds {}\n",
            s.scenario,
            s.producer,
            s.cause_right,
            s.scored,
            ratio(s.visible),
            ratio(s.hidden),
            ratio(s.undocumented)
        ));
        for w in s.wrong.iter().take(show_wrong) {
            out.push_str(&format!("    {w}\n"));
        }
    }
    let m = summarize(scores);
    out.push_str(&format!(
        "macro cause {:.1} % over {} recordings (worst scenario {} at {:.1} %); visible layers {}; hidden layers {}; undocumented kinds {}; sanitized {:.1} %; per producer: {}\n",
        100.0 * m.macro_cause,
        m.recordings,
        m.worst_scenario.0,
        100.0 * m.worst_scenario.1,
        ratio(m.visible),
        ratio(m.hidden),
        ratio(m.undocumented),
        100.0 * m.sanitized_cause,
        m.per_producer
            .iter()
            .map(|(p, r)| format!("{p} {:.1} %", 100.0 * r))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out
}

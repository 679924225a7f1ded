//! CI gates and baseline comparisons over finished reports.
//!
//! Owns the `--fail-on` conditions (`429`, `unexplained`, a cause, a finding kind,
//! `utilization>=N%`, `new`, `none`), their evaluation on a `CaptureReport`, and comparing a
//! report with a baseline report (captures matched by path): new 429s, new throttle causes,
//! and layers whose peak utilization rose by more than a margin. A throttle is the same across
//! runs when its capture path, endpoint, cause, layer and ordinal among such throttles agree
//! (never its fingerprint, which depends on the run's key). Pure: reports in, results out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::diagnose::{Cause, FindingKind};
use crate::model::plural;
use crate::report::{CaptureReport, Change, GateResult, Report, ThrottleReport};

/// A `--fail-on` condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Gate {
    /// Any 429.
    Any429,
    /// Any throttle whose cause is not `visible-traffic`.
    Unexplained,
    /// Any throttle with this cause.
    Cause(Cause),
    /// Any finding of this kind.
    Finding(FindingKind),
    /// A layer's peak reached this share of its limit (percent).
    Utilization(f64),
    /// Any throttle the baseline does not have (needs `--baseline`).
    New,
    /// Never fail on what the captures show (unreadable input still fails).
    None,
}

impl Gate {
    /// Parses `429`, `unexplained`, `hidden-traffic`, `undocumented-limit`, a finding kind,
    /// `utilization>=80%`, `new` or `none`.
    pub fn parse(s: &str) -> Result<Gate, String> {
        let s = s.trim();
        if s == "429" {
            return Ok(Gate::Any429);
        }
        if s == "new" {
            return Ok(Gate::New);
        }
        if s == "none" {
            return Ok(Gate::None);
        }
        if (s.starts_with("utilization") || s.starts_with("util"))
            && !s.contains(">=")
            && !s.contains('=')
        {
            return Err(format!(
                "`{s}` is not a complete condition: an unquoted `utilization>=80%` is cut by the \
                 shell, which reads `>=80%` as a redirection to a file named `=80%`; quote it: \
                 --fail-on 'utilization>=80%'"
            ));
        }
        if s == "unexplained" {
            return Ok(Gate::Unexplained);
        }
        if let Some(c) = Cause::all().into_iter().find(|c| c.as_str() == s) {
            return Ok(Gate::Cause(c));
        }
        if let Some(k) = FindingKind::parse(s) {
            return Ok(Gate::Finding(k));
        }
        if let Some(rest) = s.strip_prefix("utilization>=") {
            let n: f64 = rest
                .trim_end_matches('%')
                .trim()
                .parse()
                .map_err(|_| format!("`{s}`: write utilization>=N% with a number N"))?;
            if !(0.0..=100_000.0).contains(&n) {
                return Err(format!("`{s}`: the percentage is out of range"));
            }
            return Ok(Gate::Utilization(n));
        }
        let kinds: Vec<&str> = FindingKind::all().iter().map(|k| k.as_str()).collect();
        Err(format!(
            "`{s}` is not a gate: use 429, unexplained, hidden-traffic, undocumented-limit, visible-traffic, unknown, utilization>=N% (quoted), new (with --baseline), none, or a finding kind ({})",
            kinds.join(", ")
        ))
    }

    /// Checks one capture (`new` finds every 429 new: see `check_with`).
    pub fn check(&self, c: &CaptureReport) -> GateResult {
        self.check_with(c, None)
    }

    /// Checks one capture against the baseline report, if any.
    pub fn check_with(&self, c: &CaptureReport, baseline: Option<&Report>) -> GateResult {
        let (passed, message) = match self {
            Gate::None => (
                true,
                "no condition: --fail-on none never fails on what the capture shows".to_string(),
            ),
            Gate::New => {
                let base = baseline.and_then(|b| b.captures.iter().find(|x| x.path == c.path));
                let new = new_throttles(c, base);
                (
                    new.is_empty(),
                    if new.is_empty() {
                        "no 429 that the baseline lacks".to_string()
                    } else {
                        format!(
                            "{} not in the baseline: {}",
                            plural(new.len() as u64, "429"),
                            groups(&new)
                        )
                    },
                )
            }
            Gate::Any429 => {
                let n = c.throttles.len();
                (
                    n == 0,
                    if n == 0 {
                        "no 429".to_string()
                    } else {
                        format!("{n} × 429: {}", causes(c))
                    },
                )
            }
            Gate::Unexplained => {
                let n = c
                    .throttles
                    .iter()
                    .filter(|t| t.cause != "visible-traffic")
                    .count();
                (
                    n == 0,
                    if n == 0 {
                        "every 429 is explained by traffic in the capture".to_string()
                    } else {
                        format!(
                            "{n} × 429 not explained by the capture's own traffic: {}",
                            causes(c)
                        )
                    },
                )
            }
            Gate::Cause(cause) => {
                let n = c
                    .throttles
                    .iter()
                    .filter(|t| t.cause == cause.as_str())
                    .count();
                (n == 0, format!("{n} × 429 caused by {}", cause.as_str()))
            }
            Gate::Finding(kind) => {
                let found: Vec<&str> = c
                    .findings
                    .iter()
                    .filter(|f| f.kind == kind.as_str())
                    .map(|f| f.message.as_str())
                    .collect();
                (
                    found.is_empty(),
                    match found.first() {
                        None => format!("no {}", kind.as_str()),
                        Some(m) => (*m).to_string(),
                    },
                )
            }
            Gate::Utilization(pct) => {
                let over: Vec<String> = c
                    .layers
                    .iter()
                    .filter(|l| l.utilization * 100.0 >= *pct)
                    .map(|l| {
                        format!(
                            "{} at {:.0} % ({} of {})",
                            l.name,
                            l.utilization * 100.0,
                            l.peak,
                            l.limit
                        )
                    })
                    .collect();
                (
                    over.is_empty(),
                    if over.is_empty() {
                        format!("every layer stayed under {pct} % of its budget")
                    } else {
                        format!("layers at or above {pct} %: {}", over.join("; "))
                    },
                )
            }
        };
        GateResult {
            gate: self.to_string(),
            passed,
            message,
        }
    }
}

impl fmt::Display for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gate::Any429 => f.write_str("429"),
            Gate::Unexplained => f.write_str("unexplained"),
            Gate::Cause(c) => f.write_str(c.as_str()),
            Gate::Finding(k) => f.write_str(k.as_str()),
            Gate::Utilization(p) => write!(f, "utilization>={p}%"),
            Gate::New => f.write_str("new"),
            Gate::None => f.write_str("none"),
        }
    }
}

/// `undocumented-limit ×3, visible-traffic ×1`.
fn causes(c: &CaptureReport) -> String {
    let mut n: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &c.throttles {
        *n.entry(t.cause.as_str()).or_default() += 1;
    }
    n.iter()
        .map(|(c, k)| format!("{c} ×{k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What makes throttles of a capture the same across runs: endpoint, cause and layer (or the
/// kind of an undocumented limit). With the capture's path and the ordinal among throttles of
/// the same group, it names a throttle without anything that changes between runs.
fn group_of(t: &ThrottleReport) -> (String, String, String) {
    (
        format!("{} {}", t.method, t.template),
        t.cause.clone(),
        t.layer.clone().or(t.kind.clone()).unwrap_or_default(),
    )
}

/// The throttles of `now` that `base` (the same capture in the baseline) does not have: in
/// each group, those past the baseline's count, in time order. Without a baseline capture,
/// every throttle is new.
pub fn new_throttles<'a>(
    now: &'a CaptureReport,
    base: Option<&CaptureReport>,
) -> Vec<&'a ThrottleReport> {
    let mut before: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for t in base.map(|b| b.throttles.as_slice()).unwrap_or_default() {
        *before.entry(group_of(t)).or_default() += 1;
    }
    let mut seen: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let mut out = Vec::new();
    for t in &now.throttles {
        let g = group_of(t);
        let ordinal = seen.entry(g.clone()).or_default();
        *ordinal += 1;
        if *ordinal > before.get(&g).copied().unwrap_or(0) {
            out.push(t);
        }
    }
    out
}

/// `PUT /x (undocumented-limit, concurrency) ×2; GET /y (visible-traffic, layer) ×1`.
fn groups(throttles: &[&ThrottleReport]) -> String {
    let mut n: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for t in throttles {
        *n.entry(group_of(t)).or_default() += 1;
    }
    n.iter()
        .map(|((endpoint, cause, layer), k)| {
            if layer.is_empty() {
                format!("{endpoint} ({cause}) ×{k}")
            } else {
                format!("{endpoint} ({cause}, {layer}) ×{k}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Compares reports; captures are matched by `path`. `max_increase` is in percentage points.
pub fn compare(base: &Report, new: &Report, max_increase: f64) -> Vec<Change> {
    let by_path = |r: &Report| -> BTreeMap<String, CaptureReport> {
        r.captures
            .iter()
            .map(|c| (c.path.clone(), c.clone()))
            .collect()
    };
    let (old, now) = (by_path(base), by_path(new));
    let mut out = Vec::new();
    for (path, c) in &now {
        let Some(b) = old.get(path) else {
            out.push(Change {
                path: path.clone(),
                regression: !c.throttles.is_empty(),
                message: if c.throttles.is_empty() {
                    "new capture, no 429".into()
                } else {
                    format!(
                        "new capture with {} × 429 ({})",
                        c.throttles.len(),
                        causes(c)
                    )
                },
            });
            continue;
        };
        if c.throttles.len() > b.throttles.len() {
            out.push(Change {
                path: path.clone(),
                regression: true,
                message: format!(
                    "429s went from {} to {} ({})",
                    b.throttles.len(),
                    c.throttles.len(),
                    causes(c)
                ),
            });
        } else if c.throttles.len() < b.throttles.len() {
            out.push(Change {
                path: path.clone(),
                regression: false,
                message: format!(
                    "429s went from {} to {}",
                    b.throttles.len(),
                    c.throttles.len()
                ),
            });
        }
        let before: BTreeSet<&str> = b.throttles.iter().map(|t| t.cause.as_str()).collect();
        for cause in c
            .throttles
            .iter()
            .map(|t| t.cause.as_str())
            .collect::<BTreeSet<_>>()
        {
            if !before.contains(cause) {
                out.push(Change {
                    path: path.clone(),
                    regression: true,
                    message: format!("new throttle cause: {cause}"),
                });
            }
        }
        let base_layers: BTreeMap<&str, f64> = b
            .layers
            .iter()
            .map(|l| (l.name.as_str(), l.utilization))
            .collect();
        for l in &c.layers {
            let before = base_layers.get(l.name.as_str()).copied().unwrap_or(0.0);
            let rise = (l.utilization - before) * 100.0;
            if rise > max_increase {
                out.push(Change {
                    path: path.clone(),
                    regression: true,
                    message: format!(
                        "{} peak utilization rose from {:.0} % to {:.0} % (+{rise:.0} points, more than {max_increase})",
                        l.name,
                        before * 100.0,
                        l.utilization * 100.0
                    ),
                });
            }
        }
    }
    for path in old.keys().filter(|p| !now.contains_key(*p)) {
        out.push(Change {
            path: path.clone(),
            regression: false,
            message: "capture missing from this run".into(),
        });
    }
    out
}

/// Keeps every `n`-th capture starting at the `k`-th (1-based), in path order.
pub fn shard<T>(items: Vec<T>, k: usize, n: usize) -> Vec<T> {
    items
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % n == k - 1)
        .map(|(_, t)| t)
        .collect()
}

/// Parses `K/N` with 1 ≤ K ≤ N.
pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}`: write K/N, e.g. 2/4"))?;
    let k: usize = k
        .trim()
        .parse()
        .map_err(|_| format!("`{s}`: K is not a number"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("`{s}`: N is not a number"))?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("`{s}`: K must be between 1 and N"));
    }
    Ok((k, n))
}

/// Joins shard reports into one: captures in path order, errors kept.
pub fn merge(reports: Vec<Report>) -> Report {
    let mut captures: Vec<CaptureReport> = Vec::new();
    let mut errors = Vec::new();
    for r in reports {
        captures.extend(r.captures);
        errors.extend(r.errors);
    }
    captures.sort_by(|a, b| a.path.cmp(&b.path));
    let mut merged = Report::new(captures, &[]);
    merged.errors = errors;
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gates_parse() {
        assert_eq!(Gate::parse("429"), Ok(Gate::Any429));
        assert_eq!(Gate::parse("utilization>=80%"), Ok(Gate::Utilization(80.0)));
        assert_eq!(
            Gate::parse("hidden-traffic"),
            Ok(Gate::Cause(Cause::HiddenTraffic))
        );
        assert_eq!(
            Gate::parse("retry-after-ignored"),
            Ok(Gate::Finding(FindingKind::RetryAfterIgnored))
        );
        assert!(Gate::parse("utilization>=lots").is_err());
        assert_eq!(Gate::parse("new"), Ok(Gate::New));
        assert_eq!(Gate::parse("none"), Ok(Gate::None));
        // what the shell leaves of an unquoted utilization>=80%
        assert!(Gate::parse("utilization").unwrap_err().contains("quote it"));
        assert!(Gate::parse("nope").unwrap_err().contains("not a gate"));
        assert_eq!(Gate::Utilization(80.0).to_string(), "utilization>=80%");
    }

    #[test]
    fn shards_cover_everything_once() {
        let all: Vec<usize> = (0..10).collect();
        let mut seen: Vec<usize> = (1..=3).flat_map(|k| shard(all.clone(), k, 3)).collect();
        seen.sort();
        assert_eq!(seen, all);
        assert_eq!(parse_shard("2/4"), Ok((2, 4)));
        assert!(parse_shard("0/4").is_err());
        assert!(parse_shard("5/4").is_err());
        assert!(parse_shard("x").is_err());
    }
}

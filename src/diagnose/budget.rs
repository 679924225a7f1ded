//! Inferred budgets: what a capture implies about each layer's real budget and window.
//!
//! Owns, per layer with traffic, the highest visible count that still succeeded and the lowest
//! at which a 429 came (next to the documented limit), and a guess at the window algorithm from
//! how Retry-After values line up: fixed windows send every caller to the same boundary, sliding
//! windows release one request at a time. Pure.

use crate::model::{Micros, time};
use crate::profiles::Kind;

use super::context::Ctx;

/// What the capture implies about one layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Budget {
    /// Index into `Evaluation::layers`.
    pub layer: usize,
    /// Highest count (admitted, in the window, itself included) at a successful request.
    pub highest_ok: Option<u64>,
    /// Lowest count (admitted before it, plus itself) at a 429.
    pub lowest_throttled: Option<u64>,
    /// `fixed` or `sliding`, when the 429s' Retry-After values say.
    pub algorithm_guess: Option<&'static str>,
    /// Why.
    pub evidence: Vec<String>,
}

/// Tolerance when comparing Retry-After-derived instants (Retry-After is rounded to seconds).
const RA_TOLERANCE: Micros = 1_500 * time::MILLISECOND;

/// One budget per layer that counted requests.
pub fn infer(cx: &Ctx<'_>) -> Vec<Budget> {
    let mut out = Vec::new();
    for (idx, le) in cx.eval.layers.iter().enumerate() {
        if le.counted == 0 {
            continue;
        }
        let layer = cx.layer(idx);
        let mut highest_ok: Option<u64> = None;
        let mut lowest_throttled: Option<u64> = None;
        // (429 time, instant Retry-After points to, oldest admitted + window)
        let mut releases: Vec<(Micros, Micros, Option<Micros>, usize)> = Vec::new();
        for (si, s) in le.series.iter().enumerate() {
            for k in 0..s.members.len() {
                if s.admitted[k] {
                    let c = s.admitted_counts[k] as u64;
                    highest_ok = Some(highest_ok.map_or(c, |h| h.max(c)));
                    continue;
                }
                let t = s.starts[k];
                let before = match layer.kind() {
                    Kind::Concurrency => (s.attempts[k] as u64).saturating_sub(1),
                    Kind::Rate => s.between(t - layer.window(), t).1,
                };
                let c = before + s.costs[k] as u64;
                lowest_throttled = Some(lowest_throttled.map_or(c, |l| l.min(c)));
                let r = &cx.capture.requests[s.members[k] as usize];
                if let (Some(ra), Kind::Rate) = (r.retry_after, layer.kind()) {
                    let lo = s.starts.partition_point(|&x| x <= t - layer.window());
                    let oldest = (lo..s.members.len())
                        .take_while(|&j| s.starts[j] <= t)
                        .find(|&j| s.admitted[j])
                        .map(|j| s.starts[j] + layer.window());
                    releases.push((t, r.end() + time::secs(ra.seconds), oldest, si));
                }
            }
        }
        let mut evidence = Vec::new();
        if let (Some(ok), Some(bad)) = (highest_ok, lowest_throttled) {
            evidence.push(format!(
                "successes at up to {ok} and 429s from {bad} in one window, against a documented {}",
                layer.budget_label()
            ));
        }
        let guess = guess_algorithm(&releases, &mut evidence, cx);
        out.push(Budget {
            layer: idx,
            highest_ok,
            lowest_throttled,
            algorithm_guess: guess,
            evidence,
        });
    }
    out
}

fn guess_algorithm(
    releases: &[(Micros, Micros, Option<Micros>, usize)],
    evidence: &mut Vec<String>,
    cx: &Ctx<'_>,
) -> Option<&'static str> {
    if releases.len() < 2 {
        return None;
    }
    // fixed: 429s at least 1 s apart, same partition, pointed at the same instant
    let mut shared = 0usize;
    let mut example: Option<(Micros, Micros, Micros)> = None;
    for (a, x) in releases.iter().enumerate() {
        for y in &releases[a + 1..] {
            if x.3 == y.3 && (y.0 - x.0).abs() >= time::SECOND && (y.1 - x.1).abs() <= RA_TOLERANCE
            {
                shared += 1;
                example.get_or_insert((x.0, y.0, x.1));
            }
        }
    }
    let sliding = releases
        .iter()
        .filter(|r| r.2.is_some_and(|o| (o - r.1).abs() <= RA_TOLERANCE))
        .count();
    if let Some((t1, t2, at)) = example.filter(|_| shared >= 1 && shared * 2 >= sliding) {
        evidence.push(format!(
            "429s at {} and {} were both told to retry at about {}: a fixed window ending there",
            cx.clock(t1),
            cx.clock(t2),
            cx.clock(at)
        ));
        return Some("fixed");
    }
    if sliding * 2 > releases.len() {
        evidence.push(format!(
            "{sliding} of {} 429s were told to retry when the oldest request left a sliding window",
            releases.len()
        ));
        return Some("sliding");
    }
    None
}

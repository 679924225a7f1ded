//! Inferred budgets: what a capture implies about each layer's real budget and window.
//!
//! Owns, per layer with traffic, the highest use that still succeeded and the lowest at which a
//! throttle came (next to the documented budget), and a guess at the window algorithm from how
//! Retry-After values line up: fixed windows send every caller to the same boundary, sliding
//! windows release one request at a time. Pure.

use crate::model::{Micros, time};
use crate::profiles::Limiter;

use super::context::Ctx;
use super::thresholds::{EDGE, RETRY_AFTER_ROUNDING};

/// What the capture implies about one layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Budget {
    /// Index into `Evaluation::layers`.
    pub layer: usize,
    /// Highest use (admitted requests charged, itself included) at a successful request.
    pub highest_ok: Option<u64>,
    /// Lowest use (admitted before it, plus itself) at a throttle.
    pub lowest_throttled: Option<u64>,
    /// `fixed` or `sliding`, when the throttles' Retry-After values say.
    pub algorithm_guess: Option<&'static str>,
    /// Why.
    pub evidence: Vec<String>,
}

/// Retry-After instants closer than this are "the same": rounding to whole seconds plus the
/// timing uncertainty.
const SAME_INSTANT: Micros = RETRY_AFTER_ROUNDING + EDGE;

/// One budget per layer that counted requests.
pub fn infer(cx: &Ctx<'_>) -> Vec<Budget> {
    let mut out = Vec::new();
    for (idx, le) in cx.eval.layers.iter().enumerate() {
        if le.counted == 0 {
            continue;
        }
        let layer = cx.layer(idx);
        let highest_ok = (le.peak_admitted > 0.0).then(|| le.peak_admitted.round() as u64);
        let lowest_throttled = le
            .views
            .iter()
            .map(|v| (v.admitted_only.level + v.cost as f64).round() as u64)
            .min();
        let mut evidence = Vec::new();
        if let (Some(ok), Some(bad)) = (highest_ok, lowest_throttled) {
            evidence.push(format!(
                "successes at a use of up to {ok} and throttles from {bad}, against {} {}",
                if layer.inferred {
                    "an announced"
                } else {
                    "a documented"
                },
                layer.budget_label()
            ));
        }
        // (throttle time, instant Retry-After points to, partition, sliding release)
        let releases: Vec<(Micros, Micros, u32, Micros)> = le
            .views
            .iter()
            .filter_map(|v| {
                let r = &cx.capture.requests[v.request as usize];
                let ra = r.retry_after()?;
                Some((
                    r.start,
                    r.end() + time::secs(ra.seconds),
                    v.partition,
                    v.admitted_only.free_at,
                ))
            })
            .collect();
        let guess = match layer.limiter {
            Limiter::Window { .. } => guess_algorithm(&releases, &mut evidence, cx),
            _ => None,
        };
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
    releases: &[(Micros, Micros, u32, Micros)],
    evidence: &mut Vec<String>,
    cx: &Ctx<'_>,
) -> Option<&'static str> {
    // an alignment needs two throttles
    if releases.len() <= 1 {
        return None;
    }
    // fixed: throttles at least 1 s apart, same partition, pointed at the same instant; pairs
    // are found in order of (partition, instant), so only neighbours within `SAME_INSTANT` are
    // compared, and the example is the pair that comes first in time
    let mut order: Vec<usize> = (0..releases.len()).collect();
    order.sort_by_key(|&k| (releases[k].2, releases[k].1));
    let mut shared = 0usize;
    let mut first_pair: Option<(usize, usize)> = None;
    for (n, &a) in order.iter().enumerate() {
        let x = releases[a];
        for &b in &order[n + 1..] {
            let y = releases[b];
            if y.2 != x.2 || y.1 - x.1 > SAME_INSTANT {
                break;
            }
            if (y.0 - x.0).abs() >= time::SECOND {
                shared += 1;
                let pair = (a.min(b), a.max(b));
                if first_pair.is_none_or(|p| pair < p) {
                    first_pair = Some(pair);
                }
            }
        }
    }
    let example = first_pair.map(|(a, b)| (releases[a].0, releases[b].0, releases[a].1));
    let sliding = releases
        .iter()
        .filter(|r| r.3 != Micros::MAX && (r.3 - r.1).abs() <= SAME_INSTANT)
        .count();
    // as many pairs pointing at one instant as releases fitting a sliding window
    if let Some((t1, t2, at)) = example.filter(|_| shared >= sliding.div_ceil(2)) {
        evidence.push(format!(
            "throttles at {} and {} were both told to retry at about {}: a fixed window ending there",
            cx.clock(t1),
            cx.clock(t2),
            cx.clock(at)
        ));
        return Some("fixed");
    }
    // most releases fit a sliding window
    if sliding > releases.len() / 2 {
        evidence.push(format!(
            "{sliding} of {} throttles were told to retry when the oldest request left a sliding window",
            releases.len()
        ));
        return Some("sliding");
    }
    None
}

//! The `generic` profile: layers inferred from the rate-limit headers a capture carries.
//!
//! Owns turning announced budgets (`RateLimit-Policy`, `RateLimit-Limit` / `X-RateLimit-Limit`,
//! `inin-ratelimit-allowed`) into layers marked `inferred`, counted only on the endpoints whose
//! responses announced them, over the window the dialect or policy states or else between the
//! resets the server announced; never over a window guessed from a countdown. Pure.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::{Capture, Micros, Sym, Unit, time};

use super::{Anchor, HostGlob, Layer, Limiter, Partition, PathFilter, Profile};

/// Reset headers state whole seconds, rounded either way, counted from the moment the response
/// left: announced resets closer than this are one reset.
const RESET_RESOLUTION: Micros = 1_500 * time::MILLISECOND;

/// What the responses announcing one budget showed.
#[derive(Default)]
struct Seen {
    hosts: Vec<String>,
    /// Templates of the requests whose responses carried the budget, in first-seen order.
    templates: Vec<Sym>,
    responses: u32,
    /// Instants at which the server said the counter resets.
    resets: Vec<Micros>,
    /// The longest time to a reset any response announced.
    longest_reset: Micros,
}

/// Budgets are told apart by family, limit, the window the dialect defines and the policy name
/// the server gave (GitHub's `x-ratelimit-resource`, an IETF policy name).
type Key = (&'static str, u64, Option<Micros>, Option<Sym>);

/// Infers layers from the capture's headers: one per announced budget of requests, counted on
/// the endpoints whose responses carried it. A window the dialect defines (or a policy states)
/// is used as is; without one, windows end at the resets the server announced. A budget with
/// neither gives no layer: nothing says which requests it counts together.
pub fn from_headers(capture: &Capture) -> Profile {
    let mut seen: BTreeMap<Key, Seen> = BTreeMap::new();
    for r in &capture.requests {
        // a budget announced twice on one response, with and without its window, is one
        let quotas = capture.quotas_of(r);
        let windowed: Vec<u64> = quotas
            .iter()
            .filter(|q| q.window.is_some())
            .filter_map(|q| q.limit.get())
            .collect();
        for q in quotas {
            // layers count requests: budgets of points or tokens need a cost this stage lacks
            let Some(limit) = q.limit.get().filter(|l| q.unit == Unit::Requests && *l > 0) else {
                continue;
            };
            if q.window.is_none() && windowed.contains(&limit) {
                continue;
            }
            let family = match (
                crate::normalize::dialects::dialect(q.dialect).name,
                q.window.get(),
            ) {
                (_, Some(_)) => "ratelimit-policy",
                ("genesys", None) => "inin-ratelimit",
                (_, None) => "x-ratelimit",
            };
            let s = seen
                .entry((family, limit, q.window.get(), q.policy.get()))
                .or_default();
            let host = capture.host(r);
            if !s.hosts.iter().any(|h| h == host) {
                s.hosts.push(host.to_string());
            }
            if !s.templates.contains(&r.template) {
                s.templates.push(r.template);
            }
            s.responses += 1;
            if let Some(reset) = q.reset.get() {
                s.resets.push(r.end().saturating_add(reset));
                s.longest_reset = s.longest_reset.max(reset);
            }
        }
    }
    let mut layers: Vec<Layer> = Vec::new();
    let mut hosts: Vec<String> = Vec::new();
    for ((family, limit, window, _), mut s) in seen {
        let Some(mut layer) = layer_for(family, limit, window, &mut s) else {
            continue;
        };
        if layers.iter().any(|l| l.name == layer.name) {
            layer.name = format!("{}.{}", layer.name, layers.len() + 1);
        }
        layer.per = match family {
            "inin-ratelimit" => vec![Partition::User, Partition::Client],
            _ => vec![Partition::Token],
        };
        layer.templates = s
            .templates
            .iter()
            .filter_map(|t| PathFilter::new(&capture.templates[*t as usize]))
            .collect();
        layer.source = Some(format!(
            "inferred from {family} headers on {}",
            crate::model::words::count(s.responses, "response", "responses")
        ));
        layer.inferred = true;
        layers.push(layer);
        for h in s.hosts {
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        }
    }
    Profile {
        name: "generic".into(),
        description: "Layers inferred from the rate-limit headers in the capture".into(),
        hosts: hosts.iter().filter_map(|h| HostGlob::new(h)).collect(),
        templates: Vec::new(),
        layers,
        verified: None,
        confirm: Vec::new(),
        hidden_sources: None,
        origin: super::INFERRED.into(),
        throttle_status: vec![429],
        throttle_codes: Vec::new(),
    }
}

/// The layer for one announced budget, or `None` when neither a window nor a reset says which
/// requests it counts together.
fn layer_for(family: &str, limit: u64, window: Option<Micros>, s: &mut Seen) -> Option<Layer> {
    let scope = format!(
        "counted on the {} whose responses carried it",
        crate::model::words::count(s.templates.len() as u32, "endpoint", "endpoints")
    );
    match window {
        Some(window) if window >= time::SECOND => {
            let mut layer = Layer::new(
                format!(
                    "inferred.{family}.{limit}.per.{}",
                    time::window_label(window).replace(' ', "")
                ),
                Limiter::Window {
                    limit,
                    window,
                    anchor: None,
                },
            );
            layer.note = Some(format!(
                "not documented: the server announced a budget of {limit} per {}; {scope}",
                time::window_label(window)
            ));
            Some(layer)
        }
        _ if !s.resets.is_empty() => {
            let resets = distinct_resets(std::mem::take(&mut s.resets));
            let mut layer = Layer::new(
                format!("inferred.{family}.{limit}.per.announced-window"),
                Limiter::Window {
                    limit,
                    // the horizon other stages read (charts, the join): the longest countdown
                    // announced; never shown as the window, never used to count
                    window: s.longest_reset.max(time::SECOND),
                    anchor: Some(Anchor::Announced),
                },
            );
            layer.note = Some(format!(
                "not documented: the server announced a budget of {limit} and when its counter resets, not how long its window is; windows end at the {} it announced; {scope}",
                crate::model::words::count(resets.len() as u32, "reset", "resets")
            ));
            layer.resets = Arc::from(resets);
            Some(layer)
        }
        _ => None,
    }
}

/// Announced reset instants, sorted, with those within `RESET_RESOLUTION` of the earliest of
/// their run merged into it (in place: one instant per response with the headers).
fn distinct_resets(mut resets: Vec<Micros>) -> Vec<Micros> {
    resets.sort_unstable();
    let mut run_start = None;
    resets.retain(|&t| {
        let keep = run_start.is_none_or(|s: Micros| t - s > RESET_RESOLUTION);
        if keep {
            run_start = Some(t);
        }
        keep
    });
    resets.shrink_to_fit();
    resets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resets_within_the_header_resolution_are_one() {
        let s = time::SECOND;
        assert_eq!(
            distinct_resets(vec![12 * s, 13 * s, 12 * s + 400_000, 30 * s, 25 * s]),
            vec![12 * s, 25 * s, 30 * s]
        );
    }
}

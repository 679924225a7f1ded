//! The `generic` profile: layers inferred from the rate-limit headers a capture carries.
//!
//! Owns turning announced budgets (`RateLimit-Policy`, `RateLimit-Limit` / `X-RateLimit-Limit`
//! with the window read from the reset, `inin-ratelimit-allowed`) into layers marked
//! `inferred`, counted only on the hosts that announced them. Pure.

use std::collections::BTreeMap;

use crate::model::{Capture, Micros, Unit, time};

use super::{HostGlob, Layer, Limiter, Partition, Profile};

/// Window lengths servers commonly use; an estimate snaps to the nearest one above it.
const NICE_WINDOWS_S: &[u64] = &[
    1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 86_400,
];

fn snap(seconds: f64) -> u64 {
    NICE_WINDOWS_S
        .iter()
        .copied()
        .find(|w| *w as f64 >= seconds * 0.95 - 1.0)
        .unwrap_or(86_400)
}

#[derive(Default)]
struct Seen {
    hosts: Vec<String>,
    responses: u32,
    longest_reset_s: f64,
    window_s: Option<f64>,
}

/// Infers layers from the capture's headers.
pub fn from_headers(capture: &Capture) -> Profile {
    // (family, limit, declared window) → what was seen
    let mut seen: BTreeMap<(&'static str, u64, Option<u64>), Seen> = BTreeMap::new();
    for r in &capture.requests {
        let host = capture.host(r).to_string();
        let mut note =
            |family: &'static str, limit: u64, window: Option<f64>, reset: Option<f64>| {
                let key = (family, limit, window.map(|w| w.round() as u64));
                let s = seen.entry(key).or_default();
                if !s.hosts.contains(&host) {
                    s.hosts.push(host.clone());
                }
                s.responses += 1;
                s.window_s = window;
                if let Some(x) = reset {
                    s.longest_reset_s = s.longest_reset_s.max(x);
                }
            };
        for q in r.quotas() {
            // layers count requests: budgets of points or tokens need a cost this stage lacks
            let Some(limit) = q.limit.filter(|_| q.unit == Unit::Requests) else {
                continue;
            };
            let reset = q.reset.map(time::as_secs);
            match (
                crate::normalize::dialects::dialect(q.dialect).name,
                q.window,
            ) {
                (_, Some(w)) => note("ratelimit-policy", limit, Some(time::as_secs(w)), None),
                ("genesys", None) => note("inin-ratelimit", limit, None, reset),
                (_, None) => note("x-ratelimit", limit, None, reset),
            }
        }
    }
    let mut layers = Vec::new();
    let mut hosts: Vec<String> = Vec::new();
    for ((family, limit, _), s) in &seen {
        if *limit == 0 {
            continue;
        }
        let window_s = match s.window_s {
            Some(w) if w >= 1.0 => w.round() as u64,
            _ if s.longest_reset_s > 0.0 => snap(s.longest_reset_s),
            _ => 60,
        };
        let per = match *family {
            "inin-ratelimit" => vec![Partition::User, Partition::Client],
            _ => vec![Partition::Token],
        };
        let how = match s.window_s {
            Some(_) => "the window it states".to_string(),
            None if s.longest_reset_s > 0.0 => format!(
                "a window of {} s estimated from the longest reset seen ({:.0} s)",
                window_s, s.longest_reset_s
            ),
            None => "no reset seen: a 60 s window is assumed".to_string(),
        };
        let mut layer = Layer::new(
            format!("inferred.{family}.{limit}.per.{window_s}s"),
            Limiter::Window {
                limit: *limit,
                window: window_s as Micros * time::SECOND,
                anchor: None,
            },
        );
        layer.per = per;
        layer.source = Some(format!(
            "inferred from {family} headers on {}",
            crate::model::words::count(s.responses, "response", "responses")
        ));
        layer.note = Some(format!(
            "not documented: the server announced a budget of {limit}; {how}"
        ));
        layer.inferred = true;
        layers.push(layer);
        for h in &s.hosts {
            if !hosts.contains(h) {
                hosts.push(h.clone());
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
        origin: "inferred".into(),
        throttle_status: vec![429],
        throttle_codes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapping() {
        assert_eq!(snap(59.3), 60);
        assert_eq!(snap(61.0), 60);
        assert_eq!(snap(70.0), 120);
        assert_eq!(snap(3599.0), 3600);
        assert_eq!(snap(0.2), 1);
    }
}

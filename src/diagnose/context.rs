//! Facts about a capture that every explanation and finding draws on, computed once.
//!
//! Owns the per-request measures that are not limit layers: how many requests of the same
//! endpoint and user were in flight together, how many of the same user and client started
//! within the last second, which request retried which, and how long an endpoint's successes
//! usually take. Pure.

use std::collections::HashMap;

use crate::evaluate::{Evaluation, window};
use crate::model::{Capture, Micros, Request, time};
use crate::profiles::{Layer, Profile};

/// HAR start times and arrival at the server differ by a few milliseconds.
const EDGE: Micros = 50 * time::MILLISECOND;

/// Short windows an undocumented burst limit is looked for in.
pub const BURST_WINDOWS: [Micros; 4] = [
    time::SECOND,
    2 * time::SECOND,
    5 * time::SECOND,
    10 * time::SECOND,
];

/// Who a burst limit may count: one record, one endpoint, or all of a caller's requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BurstScope {
    /// Same user, client, host, method and concrete path (per-record limits).
    Resource = 0,
    /// Same user, client, host, method and template.
    Endpoint = 1,
    /// Same user, client and host.
    Caller = 2,
}

impl BurstScope {
    /// Every scope, narrow first.
    pub const ALL: [BurstScope; 3] = [
        BurstScope::Resource,
        BurstScope::Endpoint,
        BurstScope::Caller,
    ];
}

/// How well a short-window count separates a group's successes from its 429s.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Separation {
    /// Lowest count (admitted within the window, plus itself) at any 429.
    pub threshold: u64,
    /// Successes that came at or above that count.
    pub violations: usize,
    /// Successes in the group.
    pub successes: usize,
    /// 429s in the group.
    pub throttled: usize,
}

/// Traffic requests grouped by a key, flattened: group `g` is `order[bounds[g]..bounds[g + 1]]`.
struct Groups {
    order: Vec<usize>,
    bounds: Vec<usize>,
}

impl Groups {
    fn by<'r, K: Ord>(reqs: &'r [Request], key: impl Fn(&'r Request) -> K) -> Groups {
        let mut order: Vec<usize> = (0..reqs.len()).filter(|&i| is_traffic(&reqs[i])).collect();
        // stable: within a group, time order is kept
        order.sort_by_key(|&i| key(&reqs[i]));
        let mut bounds = vec![0];
        for k in 1..order.len() {
            if key(&reqs[order[k]]) != key(&reqs[order[k - 1]]) {
                bounds.push(k);
            }
        }
        if !order.is_empty() {
            bounds.push(order.len());
        } else {
            bounds.clear();
        }
        Groups { order, bounds }
    }

    fn iter(&self) -> impl Iterator<Item = &[usize]> {
        self.bounds.windows(2).map(|w| &self.order[w[0]..w[1]])
    }
}

/// Precomputed measures over a capture.
pub struct Ctx<'a> {
    /// The capture.
    pub capture: &'a Capture,
    /// Active profiles.
    pub profiles: &'a [Profile],
    /// Window counts.
    pub eval: &'a Evaluation,
    /// Same user + method + template requests in flight at each request's start (itself
    /// included); 0 for requests outside these groups (preflights, no response, cache).
    pub in_flight: Vec<u32>,
    /// Of those, admitted ones other than the request itself.
    pub in_flight_admitted_others: Vec<u32>,
    /// Group (user, method, template) of each request for the in-flight measure
    /// (`u32::MAX` outside any group).
    pub flight_group: Vec<u32>,
    /// Per group: how well the admitted-in-flight count separates successes from 429s.
    pub flight_separations: Vec<Separation>,
    /// Per scope and window of `BURST_WINDOWS`: admitted requests of the request's group that
    /// may have started within the window (`t − w − 50 ms < q.start ≤ t + 50 ms`), the request
    /// itself excluded.
    pub burst_counts: [Vec<[u32; 4]>; 3],
    /// Per scope: the group of each request (`u32::MAX` outside any group).
    pub burst_group: [Vec<u32>; 3],
    /// Per scope, group and window: the separation of successes from 429s.
    pub separations: [Vec<[Separation; 4]>; 3],
    /// The next request of the same client, method and path (the retry, when there was one).
    pub next_same_resource: Vec<Option<u32>>,
    /// Median duration of an endpoint's successful responses, keyed by (method, template).
    pub success_median: HashMap<(String, u32), Micros>,
    /// Longest request duration in the capture.
    pub max_duration: Micros,
}

/// Whether a request takes part in the behavioural measures.
pub fn is_traffic(r: &Request) -> bool {
    !r.is_preflight && r.has_response() && !r.from_cache
}

impl<'a> Ctx<'a> {
    /// Computes every measure.
    pub fn new(capture: &'a Capture, profiles: &'a [Profile], eval: &'a Evaluation) -> Self {
        let n = capture.requests.len();
        let reqs = &capture.requests;
        let mut in_flight = vec![0u32; n];
        let mut in_flight_admitted_others = vec![0u32; n];
        let mut next_same_resource = vec![None; n];

        // groups of traffic requests, each in time order (requests are sorted by start)
        let by_endpoint = Groups::by(reqs, |r| (r.user, r.method.as_str(), r.template));
        let by_caller = Groups::by(reqs, |r| (r.user, r.client, r.host));
        let by_caller_endpoint = Groups::by(reqs, |r| {
            ((r.user, r.client, r.host), r.method.as_str(), r.template)
        });
        let by_caller_resource = Groups::by(reqs, |r| {
            ((r.user, r.client, r.host), r.method.as_str(), r.path)
        });
        let by_resource = Groups::by(reqs, |r| (r.client, r.method.as_str(), r.path));
        let mut flight_group = vec![u32::MAX; n];
        let mut flight_separations = Vec::new();
        for members in by_endpoint.iter() {
            let starts: Vec<Micros> = members.iter().map(|&i| reqs[i].start).collect();
            let ends: Vec<Micros> = members.iter().map(|&i| reqs[i].end()).collect();
            let all = window::in_flight(&starts, &ends);
            let (adm_s, adm_e): (Vec<Micros>, Vec<Micros>) = members
                .iter()
                .filter(|&&i| !reqs[i].is_throttle())
                .map(|&i| (reqs[i].start, reqs[i].end()))
                .unzip();
            let adm = window::covering(&starts, &adm_s, &adm_e);
            for (k, &i) in members.iter().enumerate() {
                in_flight[i] = all[k] as u32;
                let own = u64::from(!reqs[i].is_throttle());
                in_flight_admitted_others[i] = adm[k].saturating_sub(own) as u32;
                flight_group[i] = flight_separations.len() as u32;
            }
            let throttled = members.iter().filter(|&&i| reqs[i].is_throttle()).count();
            let threshold = members
                .iter()
                .filter(|&&i| reqs[i].is_throttle())
                .map(|&i| in_flight_admitted_others[i] as u64)
                .min()
                .unwrap_or(0);
            flight_separations.push(Separation {
                threshold,
                throttled,
                successes: members.len() - throttled,
                violations: members
                    .iter()
                    .filter(|&&i| {
                        !reqs[i].is_throttle() && in_flight_admitted_others[i] as u64 >= threshold
                    })
                    .count(),
            });
        }
        let mut burst_counts = [vec![[0u32; 4]; n], vec![[0u32; 4]; n], vec![[0u32; 4]; n]];
        let mut burst_group = [vec![u32::MAX; n], vec![u32::MAX; n], vec![u32::MAX; n]];
        let mut separations: [Vec<[Separation; 4]>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        for (scope, groups) in [
            (0usize, &by_caller_resource),
            (1usize, &by_caller_endpoint),
            (2usize, &by_caller),
        ] {
            for (g, members) in groups.iter().enumerate() {
                let adm_starts: Vec<Micros> = members
                    .iter()
                    .filter(|&&i| !reqs[i].is_throttle())
                    .map(|&i| reqs[i].start)
                    .collect();
                let cum = window::prefix_sums(&vec![1u32; adm_starts.len()]);
                // counts with the timing uncertainty on the hypothesis' side: a 429 counts what
                // may have been in its window, a success only what surely was
                let mut inner = vec![[0u32; 4]; members.len()];
                for (m, &i) in members.iter().enumerate() {
                    burst_group[scope][i] = g as u32;
                    let t = reqs[i].start;
                    let own = u64::from(!reqs[i].is_throttle());
                    for (k, w) in BURST_WINDOWS.iter().enumerate() {
                        let outer = window::cost_between(&adm_starts, &cum, t - w - EDGE, t + EDGE)
                            .saturating_sub(own);
                        let sure = window::cost_between(&adm_starts, &cum, t - w + EDGE, t)
                            .saturating_sub(own);
                        burst_counts[scope][i][k] = outer as u32;
                        inner[m][k] = sure as u32;
                    }
                }
                let mut sep = [Separation::default(); 4];
                for (k, s) in sep.iter_mut().enumerate() {
                    s.threshold = members
                        .iter()
                        .filter(|&&i| reqs[i].is_throttle())
                        .map(|&i| burst_counts[scope][i][k] as u64 + 1)
                        .min()
                        .unwrap_or(u64::MAX);
                    s.throttled = members.iter().filter(|&&i| reqs[i].is_throttle()).count();
                    s.successes = members.len() - s.throttled;
                    s.violations = members
                        .iter()
                        .zip(&inner)
                        .filter(|(i, c)| !reqs[**i].is_throttle() && c[k] as u64 + 1 >= s.threshold)
                        .count();
                }
                separations[scope].push(sep);
            }
        }
        for members in by_resource.iter() {
            for w in members.windows(2) {
                next_same_resource[w[0]] = Some(w[1] as u32);
            }
        }
        let mut durations: HashMap<(String, u32), Vec<Micros>> = HashMap::new();
        for r in reqs
            .iter()
            .filter(|r| is_traffic(r) && (200..400).contains(&r.status))
        {
            durations
                .entry((r.method.as_str().to_string(), r.template))
                .or_default()
                .push(r.duration);
        }
        let success_median = durations
            .into_iter()
            .map(|(k, mut v)| {
                v.sort_unstable();
                (k, v[v.len() / 2])
            })
            .collect();
        Ctx {
            capture,
            profiles,
            eval,
            in_flight,
            in_flight_admitted_others,
            flight_group,
            flight_separations,
            burst_counts,
            burst_group,
            separations,
            next_same_resource,
            success_median,
            max_duration: reqs.iter().map(|r| r.duration).max().unwrap_or(0),
        }
    }

    /// The layer behind an evaluation index.
    pub fn layer(&self, eval_index: usize) -> &'a Layer {
        let le = &self.eval.layers[eval_index];
        &self.profiles[le.profile].layers[le.layer]
    }

    /// `PUT /api/v2/architect/ivrs/{ivrId}`.
    pub fn endpoint(&self, r: &Request) -> String {
        format!("{} {}", r.method.as_str(), self.capture.template(r))
    }

    /// Local clock time of an instant, e.g. `23:30:02.546`.
    pub fn clock(&self, t: Micros) -> String {
        time::clock_local(t, self.capture.utc_offset_s())
    }

    /// Median success duration of a request's endpoint.
    pub fn typical_duration(&self, r: &Request) -> Option<Micros> {
        self.success_median
            .get(&(r.method.as_str().to_string(), r.template))
            .copied()
    }
}

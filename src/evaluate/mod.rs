//! Stage 3 — evaluate: for every layer × partition, how much budget was in use at each
//! counted request.
//!
//! Owns deciding which requests a layer counts (its profile's hosts, got a response, not served
//! from cache, method / path / credential / page-size filters, preflights only when counted),
//! splitting them into partitions, and the per-partition series: counts of all attempts (429s
//! included) and of admitted requests only, their peaks, the first breach, and requests in
//! flight for concurrency layers. Also the preflight what-if. Pure: no I/O, no clock; O(n log n).

pub mod meter;
pub mod window;

use std::collections::HashMap;

use crate::model::{Capture, Method, Micros, Request};
use crate::profiles::{Anchor, Kind, Layer, Limiter, Partition, Profile};

/// Options of an evaluation.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Count CORS preflights in every layer (the what-if).
    pub count_preflights: bool,
}

/// Which partition a request falls in: one value per dimension (`u32::MAX` when unused).
pub type PartitionKey = [u32; 5];

const UNUSED: u32 = u32::MAX;
const UNKNOWN: u32 = u32::MAX - 1;

/// One partition of one layer: its counted requests and the counts at each.
#[derive(Clone, Debug)]
pub struct Series {
    /// Partition key.
    pub key: PartitionKey,
    /// Indices into `Capture::requests`, in time order.
    pub members: Vec<u32>,
    /// Start of each member.
    pub starts: Vec<Micros>,
    /// Cost of each member (1 unless the layer prices methods).
    pub costs: Vec<u32>,
    /// Whether each member was admitted (not a 429).
    pub admitted: Vec<bool>,
    /// Count at each member over all attempts (in flight, for concurrency layers).
    pub attempts: Vec<u32>,
    /// Count at each member over admitted requests only (0 at a 429 for concurrency layers).
    pub admitted_counts: Vec<u32>,
    /// Prefix sums of costs over all attempts.
    pub cum_attempts: Vec<u64>,
    /// Prefix sums of costs over admitted requests.
    pub cum_admitted: Vec<u64>,
    /// Start of the window each member fell in (fixed windows only).
    pub window_opened: Vec<Micros>,
}

impl Series {
    /// Cost of attempts and of admitted requests with `from < start ≤ to`.
    pub fn between(&self, from: Micros, to: Micros) -> (u64, u64) {
        (
            window::cost_between(&self.starts, &self.cum_attempts, from, to),
            window::cost_between(&self.starts, &self.cum_admitted, from, to),
        )
    }

    /// Position of a request among the members.
    pub fn position(&self, request: u32) -> Option<usize> {
        self.members.iter().position(|&m| m == request)
    }
}

/// The evaluation of one layer.
#[derive(Clone, Debug)]
pub struct LayerEval {
    /// Index of the profile in the active set.
    pub profile: usize,
    /// Index of the layer in its profile.
    pub layer: usize,
    /// Partitions with at least one counted request, in order of first request.
    pub series: Vec<Series>,
    /// For each request of the capture: its member number across all series (in series
    /// order), or `NOT_COUNTED`; empty when the layer counted nothing.
    slots: Vec<u32>,
    /// First member number of each series.
    offsets: Vec<u32>,
    /// Most attempts within one window in any partition (or most in flight).
    pub peak: u64,
    /// When the peak happened.
    pub peak_at: Option<Micros>,
    /// Series holding the peak.
    pub peak_series: Option<usize>,
    /// Most admitted requests within one window in any partition.
    pub peak_admitted: u64,
    /// First request at which attempts exceeded the limit: (time, request index).
    pub first_breach: Option<(Micros, u32)>,
    /// Requests counted.
    pub counted: u32,
}

/// Every layer of every active profile, evaluated.
#[derive(Clone, Debug, Default)]
pub struct Evaluation {
    /// One per layer, profiles in order, layers in order.
    pub layers: Vec<LayerEval>,
}

const NOT_COUNTED: u32 = u32::MAX;

impl LayerEval {
    /// The (series, member) of a request, when the layer counted it.
    pub fn at(&self, request: usize) -> Option<(u32, u32)> {
        let slot = *self.slots.get(request)?;
        if slot == NOT_COUNTED {
            return None;
        }
        let s = self.offsets.partition_point(|&o| o <= slot) - 1;
        Some((s as u32, slot - self.offsets[s]))
    }
}

impl Evaluation {
    /// The evaluation of a layer by profile and layer index.
    pub fn get(&self, profile: usize, layer: usize) -> Option<&LayerEval> {
        self.layers
            .iter()
            .find(|l| l.profile == profile && l.layer == layer)
    }
}

/// Small method ids for partition keys.
fn method_id(m: &Method) -> u32 {
    match m {
        Method::Get => 0,
        Method::Head => 1,
        Method::Post => 2,
        Method::Put => 3,
        Method::Patch => 4,
        Method::Delete => 5,
        Method::Options => 6,
        Method::Connect => 7,
        Method::Trace => 8,
        Method::Other(_) => 9,
    }
}

/// The request whose identity, method and path a counted request is partitioned by: itself, or
/// for a preflight, the request it preceded.
fn identity_of(capture: &Capture, i: usize) -> &Request {
    let r = &capture.requests[i];
    match (r.is_preflight, r.pair) {
        (true, Some(p)) => &capture.requests[p as usize],
        _ => r,
    }
}

/// The partition key of a request in a layer.
pub fn partition_key(layer: &Layer, capture: &Capture, i: usize) -> PartitionKey {
    let r = &capture.requests[i];
    let who = identity_of(capture, i);
    let method = r
        .preflight_method
        .as_ref()
        .filter(|_| r.is_preflight)
        .unwrap_or(&r.method);
    let mut key = [UNUSED; 5];
    for p in &layer.per {
        match p {
            Partition::User => key[0] = who.user,
            Partition::Client => key[1] = who.client.unwrap_or(UNKNOWN),
            Partition::Token => key[2] = who.token.unwrap_or(UNKNOWN),
            Partition::Endpoint => key[3] = (r.template << 4) | method_id(method),
            Partition::Resource => key[4] = (r.path << 4) | method_id(method),
            Partition::Org => {}
        }
    }
    key
}

/// Whether a layer counts a request.
pub fn counts(
    layer: &Layer,
    covered_host: &[bool],
    capture: &Capture,
    i: usize,
    opts: Options,
) -> bool {
    let r = &capture.requests[i];
    if !covered_host[r.host as usize] || !r.has_response() || r.from_cache {
        return false;
    }
    let method = if r.is_preflight {
        if !(layer.counts_preflight || opts.count_preflights) {
            return false;
        }
        // a preflight is counted where the request it announces would be
        r.preflight_method.as_ref().unwrap_or(&r.method)
    } else {
        &r.method
    };
    let who = identity_of(capture, i);
    let path = capture.paths[r.path as usize].expose_for_computation();
    layer.accepts(who, path, method)
}

/// Evaluates every layer of the active profiles.
pub fn evaluate(capture: &Capture, profiles: &[Profile], opts: Options) -> Evaluation {
    let mut layers = Vec::new();
    for (pi, profile) in profiles.iter().enumerate() {
        let covered: Vec<bool> = capture.hosts.iter().map(|h| profile.covers(h)).collect();
        for (li, layer) in profile.layers.iter().enumerate() {
            layers.push(evaluate_layer(capture, layer, &covered, opts, pi, li));
        }
    }
    Evaluation { layers }
}

fn evaluate_layer(
    capture: &Capture,
    layer: &Layer,
    covered: &[bool],
    opts: Options,
    profile: usize,
    layer_index: usize,
) -> LayerEval {
    let n = capture.requests.len();
    let mut index: HashMap<PartitionKey, usize> = HashMap::new();
    let mut series: Vec<Series> = Vec::new();
    let mut at: Vec<Option<(u32, u32)>> = Vec::new();
    let mut counted = 0u32;
    for i in 0..n {
        if !counts(layer, covered, capture, i, opts) {
            continue;
        }
        if at.is_empty() {
            at = vec![None; n];
        }
        let slot = &mut at[i];
        counted += 1;
        let r = &capture.requests[i];
        let key = partition_key(layer, capture, i);
        let s = *index.entry(key).or_insert_with(|| {
            series.push(Series {
                key,
                members: Vec::new(),
                starts: Vec::new(),
                costs: Vec::new(),
                admitted: Vec::new(),
                attempts: Vec::new(),
                admitted_counts: Vec::new(),
                cum_attempts: Vec::new(),
                cum_admitted: Vec::new(),
                window_opened: Vec::new(),
            });
            series.len() - 1
        });
        let ser = &mut series[s];
        *slot = Some((s as u32, ser.members.len() as u32));
        ser.members.push(i as u32);
        ser.starts.push(r.start);
        ser.costs.push(layer.cost_of(&r.method));
        ser.admitted.push(!r.is_throttle());
    }
    // member numbers across series: 4 bytes per request instead of a (series, member) pair
    let mut offsets = Vec::with_capacity(series.len());
    let mut total = 0u32;
    for s in &series {
        offsets.push(total);
        total += s.members.len() as u32;
    }
    let slots: Vec<u32> = at
        .into_iter()
        .map(|x| x.map_or(NOT_COUNTED, |(s, m)| offsets[s as usize] + m))
        .collect();
    let mut eval = LayerEval {
        profile,
        layer: layer_index,
        series,
        slots,
        offsets,
        peak: 0,
        peak_at: None,
        peak_series: None,
        peak_admitted: 0,
        first_breach: None,
        counted,
    };
    for (si, s) in eval.series.iter_mut().enumerate() {
        fill_counts(s, layer, capture);
        if let Some(m) = window::argmax(&s.attempts)
            && s.attempts[m] as u64 > eval.peak
        {
            eval.peak = s.attempts[m] as u64;
            eval.peak_at = Some(s.starts[m]);
            eval.peak_series = Some(si);
        }
        if let Some(&a) = s.admitted_counts.iter().max() {
            eval.peak_admitted = eval.peak_admitted.max(a as u64);
        }
        if let Some(k) = s.attempts.iter().position(|&c| c as u64 > layer.limit()) {
            let candidate = (s.starts[k], s.members[k]);
            if eval.first_breach.is_none_or(|b| candidate < b) {
                eval.first_breach = Some(candidate);
            }
        }
    }
    eval
}

/// Counts as u32 (saturating): a count never needs more, and the series stay small.
fn narrow(v: Vec<u64>) -> Vec<u32> {
    v.into_iter()
        .map(|x| x.min(u32::MAX as u64) as u32)
        .collect()
}

/// The anchor of a fixed-window layer (`None` for every other limiter).
pub fn fixed_anchor(layer: &Layer) -> Option<Anchor> {
    match layer.limiter {
        Limiter::Window { anchor, .. } => anchor,
        _ => None,
    }
}

fn fill_counts(s: &mut Series, layer: &Layer, capture: &Capture) {
    let admitted_costs: Vec<u32> = s
        .costs
        .iter()
        .zip(&s.admitted)
        .map(|(c, ok)| if *ok { *c } else { 0 })
        .collect();
    s.cum_attempts = window::prefix_sums(&s.costs);
    s.cum_admitted = window::prefix_sums(&admitted_costs);
    match (layer.kind(), fixed_anchor(layer)) {
        (Kind::Concurrency, _) => {
            let ends: Vec<Micros> = s
                .members
                .iter()
                .map(|&m| capture.requests[m as usize].end())
                .collect();
            s.attempts = narrow(window::in_flight(&s.starts, &ends));
            // admitted only: the in-flight count among requests that were not rejected
            let (adm_starts, adm_ends): (Vec<Micros>, Vec<Micros>) = s
                .starts
                .iter()
                .zip(&ends)
                .zip(&s.admitted)
                .filter(|(_, ok)| **ok)
                .map(|((a, b), _)| (*a, *b))
                .unzip();
            let adm = window::in_flight(&adm_starts, &adm_ends);
            let mut k = 0;
            s.admitted_counts = s
                .admitted
                .iter()
                .map(|ok| {
                    if *ok {
                        k += 1;
                        adm[k - 1].min(u32::MAX as u64) as u32
                    } else {
                        0
                    }
                })
                .collect();
        }
        (Kind::Rate, None) => {
            s.attempts = narrow(window::sliding(&s.starts, &s.costs, layer.window()));
            s.admitted_counts = narrow(window::sliding(&s.starts, &admitted_costs, layer.window()));
        }
        (Kind::Rate, Some(anchor)) => {
            let aligned = anchor != Anchor::FirstRequest;
            let (a, opened) = window::fixed(&s.starts, &s.costs, layer.window(), aligned);
            s.attempts = narrow(a);
            s.window_opened = opened;
            s.admitted_counts =
                narrow(window::fixed(&s.starts, &admitted_costs, layer.window(), aligned).0);
        }
    }
}

/// Peaks of every layer if CORS preflights counted, evaluated one layer at a time so that only
/// one extra layer is held in memory; layers that already count them, or captures without
/// preflights, keep their peak.
pub fn preflight_what_if(
    capture: &Capture,
    profiles: &[Profile],
    base: &Evaluation,
) -> Vec<PreflightWhatIf> {
    let any = capture.requests.iter().any(|r| r.is_preflight);
    let opts = Options {
        count_preflights: true,
    };
    base.layers
        .iter()
        .enumerate()
        .map(|(i, le)| {
            let profile = &profiles[le.profile];
            let layer = &profile.layers[le.layer];
            let peak_with_preflights = if any && !layer.counts_preflight {
                let covered: Vec<bool> = capture.hosts.iter().map(|h| profile.covers(h)).collect();
                evaluate_layer(capture, layer, &covered, opts, le.profile, le.layer).peak
            } else {
                le.peak
            };
            PreflightWhatIf {
                layer: i,
                peak: le.peak,
                peak_with_preflights,
            }
        })
        .collect()
}

/// How counting preflights changes a layer's peak (the what-if).
#[derive(Clone, Debug, PartialEq)]
pub struct PreflightWhatIf {
    /// Index of the layer in `Evaluation::layers`.
    pub layer: usize,
    /// Peak as documented.
    pub peak: u64,
    /// Peak if preflights counted.
    pub peak_with_preflights: u64,
}

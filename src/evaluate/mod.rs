//! Stage 3 — evaluate: replay the capture's own requests through every layer's limiter.
//!
//! Owns deciding which requests a layer counts (its profile's hosts, got a response, not served
//! from cache, method / path / credential / page-size filters, preflights only when counted)
//! and their costs, splitting them into partitions, and replaying each partition in time
//! order through the layer's meter — once charging only admitted requests, once charging every
//! attempt, once letting the meter decide each attempt alone (from the partition's first
//! throttle on). It keeps, per layer, the peaks and first breach, and at every throttle the layer
//! counts a `View`: the budget the capture's traffic used, whether the replay refuses the
//! throttle too (exactly, or under the timing uncertainty of a HAR), the least hidden cost that
//! would have refused it, and when room would free. Memory is proportional to the partitions
//! and the throttles, not to the requests. Also the preflight what-if. Pure: no I/O, no clock.

pub mod meter;
pub mod refusals;
mod replay;
pub mod restate;
pub mod users;
pub mod window;

use std::collections::HashMap;

use crate::model::{Capture, Method, Micros, Request, Sym, time};
use crate::profiles::{Layer, Partition, Profile};

pub use replay::{Levels, levels, levels_of, visit_admitted_levels};

/// A request's arrival as the HAR tells it (`Request::arrival`: its start, plus the time the
/// browser held it where the producer records that) and its arrival at the server differ by a
/// few milliseconds (a median of 1–4 ms and up to tens under load, measured on the lab's
/// captures; Playwright's HAR leaves queueing out, which can add seconds): requests this close
/// to each other or to a window's edge may have reached the server in either order.
pub const EDGE: Micros = 50 * time::MILLISECOND;

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

/// What a limiter made of the capture's own traffic at one throttle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Replay {
    /// Budget the capture's traffic had in use just before the throttle.
    pub level: f64,
    /// The replay refuses the throttle at its recorded time.
    pub refused: bool,
    /// The replay refuses it once requests within `EDGE` of it, or of the window's start, are
    /// taken to have reached the server before it.
    pub refused_at_edge: bool,
    /// The least hidden cost that would have refused it at its recorded time.
    pub hidden_needed: u64,
    /// The least hidden cost under the timing uncertainty (≤ `hidden_needed`).
    pub hidden_needed_at_edge: u64,
    /// When the capture's traffic alone would have left room for it.
    pub free_at: Micros,
    /// A penalty opened by an earlier refusal in this replay still refused every request of
    /// the partition at its recorded time.
    pub penalized: bool,
}

impl Replay {
    /// Whether the capture's traffic explains the refusal, allowing for timing uncertainty.
    pub fn explains(&self) -> bool {
        self.refused || self.refused_at_edge
    }
}

/// One layer at one throttle it counts.
#[derive(Clone, Debug, PartialEq)]
pub struct View {
    /// Index into `Capture::requests`.
    pub request: u32,
    /// Index into the layer's `partitions`.
    pub partition: u32,
    /// The throttle's cost in this layer.
    pub cost: u64,
    /// The budget (limit or capacity).
    pub capacity: f64,
    /// Replayed with refused attempts using no budget.
    pub admitted_only: Replay,
    /// Replayed with every attempt using budget.
    pub with_refusals: Replay,
    /// Replayed alone: the layer's limiter, fed every attempt of the partition (retries
    /// included: they are the client's demand as sent), decides each itself and charges what
    /// it admits (and every attempt the HAR shows admitted): what would have happened without
    /// traffic from outside the capture, where refused attempts use no budget. A HAR cannot
    /// tell which throttles another layer refused before this one counted them, so all are
    /// fed: where another limit refused many, this replay can overcharge (it ranks below
    /// positive evidence for such a limit for that reason).
    pub alone: Replay,
    /// Admitted and all requests of the partition in the window before it (windows), or in the
    /// bucket's horizon (buckets), or in flight (concurrency), the throttle excluded.
    pub admitted_before: u64,
    /// All attempts, likewise.
    pub attempts_before: u64,
    /// Where the window in force opened (fixed windows).
    pub window_opened: Option<Micros>,
}

/// One partition of a layer.
#[derive(Clone, Debug, PartialEq)]
pub struct PartitionEval {
    /// Its key.
    pub key: PartitionKey,
    /// Index into `Capture::requests` of its first counted request.
    pub first: u32,
    /// Requests counted in it.
    pub requests: u32,
    /// Highest use, every attempt charged, the request itself included.
    pub peak: f64,
    /// When.
    pub peak_at: Option<Micros>,
    /// Highest use at an admitted request, only admitted requests charged.
    pub peak_admitted: f64,
}

/// The evaluation of one layer.
#[derive(Clone, Debug)]
pub struct LayerEval {
    /// Index of the profile in the active set.
    pub profile: usize,
    /// Index of the layer in its profile.
    pub layer: usize,
    /// Partitions with at least one counted request, in order of first request.
    pub partitions: Vec<PartitionEval>,
    /// The layer at each throttle it counts, by request index.
    pub views: Vec<View>,
    /// Highest use in any partition, every attempt charged.
    pub peak: f64,
    /// When.
    pub peak_at: Option<Micros>,
    /// The partition holding the peak.
    pub peak_partition: Option<usize>,
    /// Highest use at an admitted request.
    pub peak_admitted: f64,
    /// First request the replay of every attempt refuses: (time, request index).
    pub first_breach: Option<(Micros, u32)>,
    /// Requests counted.
    pub counted: u32,
    /// For a layer replayed with a budget the server states (`Layer::restated`): its views of
    /// the same throttles replayed with the documented budget instead (by request index), so a
    /// replay can be compared with the same replay at the documented budget; empty for every
    /// other layer.
    pub documented_views: Vec<View>,
}

impl LayerEval {
    /// The layer's view of a throttle, when it counts it.
    pub fn view(&self, request: usize) -> Option<&View> {
        view_of(&self.views, request)
    }

    /// A restated layer's view of a throttle replayed with the documented budget.
    pub fn documented_view(&self, request: usize) -> Option<&View> {
        view_of(&self.documented_views, request)
    }
}

/// The view of a throttle in views sorted by request index.
fn view_of(views: &[View], request: usize) -> Option<&View> {
    views
        .binary_search_by_key(&(request as u32), |v| v.request)
        .ok()
        .map(|i| &views[i])
}

/// Every layer of every active profile, evaluated.
#[derive(Clone, Debug, Default)]
pub struct Evaluation {
    /// One per layer, profiles in order, layers in order.
    pub layers: Vec<LayerEval>,
    /// The options it ran with (which requests its layers counted).
    pub opts: Options,
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
pub fn identity_of(capture: &Capture, i: usize) -> &Request {
    let r = &capture.requests[i];
    match (r.is_preflight, r.pair()) {
        (true, Some(p)) => &capture.requests[p as usize],
        _ => r,
    }
}

/// The partition key of a request in a layer.
pub fn partition_key(layer: &Layer, capture: &Capture, i: usize) -> PartitionKey {
    let r = &capture.requests[i];
    let who = identity_of(capture, i);
    let method = r
        .preflight_method()
        .filter(|_| r.is_preflight)
        .unwrap_or(&r.method);
    let mut key = [UNUSED; 5];
    for p in &layer.per {
        match p {
            Partition::User => key[0] = who.user,
            Partition::Client => key[1] = who.client.get().unwrap_or(UNKNOWN),
            Partition::Token => key[2] = who.token.get().unwrap_or(UNKNOWN),
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
    counts_with(
        layer,
        covered_host,
        capture,
        i,
        opts,
        &mut PathAnswers::asked_once(),
    )
}

/// `counts`, remembering the path filters' answers in `paths` (one `PathAnswers` per layer).
pub fn counts_with(
    layer: &Layer,
    covered_host: &[bool],
    capture: &Capture,
    i: usize,
    opts: Options,
    paths: &mut PathAnswers,
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
        r.preflight_method().unwrap_or(&r.method)
    } else {
        &r.method
    };
    let who = identity_of(capture, i);
    layer.accepts_besides_path(who, method) && paths.accepts(layer, capture, r.path)
}

/// A layer's path filters' answer per interned path, so each distinct path is matched once
/// (a day-long capture repeats a few thousand paths a million times).
#[derive(Default)]
pub struct PathAnswers {
    /// Per path: 0 not asked yet, 1 refused, 2 accepted.
    known: Vec<u8>,
    /// Ask the layer every time instead (a question about one request: a table as long as
    /// the capture's paths would cost more than it saves).
    once: bool,
}

impl PathAnswers {
    /// Answers for a single question, remembered nowhere.
    pub fn asked_once() -> Self {
        PathAnswers {
            known: Vec::new(),
            once: true,
        }
    }

    fn accepts(&mut self, layer: &Layer, capture: &Capture, path: Sym) -> bool {
        if layer.templates.is_empty() && layer.exclude.is_empty() {
            return true;
        }
        if self.once {
            return layer.accepts_path(capture.paths.get(path).expose_for_computation());
        }
        let k = path as usize;
        if self.known.len() <= k {
            self.known.resize(capture.paths.len().max(k + 1), 0);
        }
        if self.known[k] == 0 {
            let p = *capture.paths.get(path).expose_for_computation();
            self.known[k] = 1 + u8::from(layer.accepts_path(p));
        }
        self.known[k] == 2
    }
}

/// What a request costs in a layer: the cost its response reported when the layer reads one,
/// else the layer's price for its method.
pub fn cost(layer: &Layer, capture: &Capture, i: usize) -> u64 {
    let r = &capture.requests[i];
    if let Some(from) = &layer.cost.from
        && let Some(source) = capture.cost_sources.iter().position(|s| *s == from.spec())
        && let Some(reported) = r
            .signals
            .as_deref()
            .and_then(|s| s.costs.iter().find(|c| c.source as usize == source))
    {
        return reported.value.max(0.0).ceil() as u64;
    }
    layer.cost_of(&r.method) as u64
}

/// Hosts a profile covers, by host symbol.
pub fn covered(capture: &Capture, profile: &Profile) -> Vec<bool> {
    capture.hosts.iter().map(|h| profile.covers(h)).collect()
}

/// The requests a layer counts, grouped by partition in order of first request; each group in
/// time order.
pub(crate) fn partitions(
    capture: &Capture,
    profile: &Profile,
    layer: &Layer,
    opts: Options,
) -> Vec<(PartitionKey, Vec<u32>)> {
    let covered = covered(capture, profile);
    let mut index: HashMap<PartitionKey, usize> = HashMap::new();
    let mut groups: Vec<(PartitionKey, Vec<u32>)> = Vec::new();
    let mut paths = PathAnswers::default();
    for i in 0..capture.requests.len() {
        if !counts_with(layer, &covered, capture, i, opts, &mut paths) {
            continue;
        }
        let key = partition_key(layer, capture, i);
        let g = *index.entry(key).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[g].1.push(i as u32);
    }
    groups
}

/// Evaluates every layer of the active profiles.
pub fn evaluate(capture: &Capture, profiles: &[Profile], opts: Options) -> Evaluation {
    use rayon::prelude::*;
    let at: Vec<(usize, usize)> = profiles
        .iter()
        .enumerate()
        .flat_map(|(pi, p)| (0..p.layers.len()).map(move |li| (pi, li)))
        .collect();
    // layers replay independently: in parallel, in profile and layer order
    let layers = at
        .into_par_iter()
        .map(|(pi, li)| {
            let profile = &profiles[pi];
            let layer = &profile.layers[li];
            let mut eval = replay::layer(capture, profile, layer, opts, (pi, li));
            if let Some(r) = layer.restated {
                let mut documented = layer.clone();
                documented.limiter = layer.limiter.with_budget(r.documented);
                eval.documented_views =
                    replay::layer(capture, profile, &documented, opts, (pi, li)).views;
            }
            eval
        })
        .collect();
    Evaluation { layers, opts }
}

/// Peaks of every layer if CORS preflights counted, evaluated one layer at a time; layers that
/// already count them, or captures without preflights, keep their peak.
pub fn preflight_what_if(
    capture: &Capture,
    profiles: &[Profile],
    base: &Evaluation,
) -> Vec<PreflightWhatIf> {
    let any = capture.requests.iter().any(|r| r.is_preflight);
    let opts = Options {
        count_preflights: true,
    };
    use rayon::prelude::*;
    base.layers
        .par_iter()
        .enumerate()
        .map(|(i, le)| {
            let profile = &profiles[le.profile];
            let layer = &profile.layers[le.layer];
            let peak_with_preflights = if any && !layer.counts_preflight {
                replay::peak_only(capture, profile, layer, opts)
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
    pub peak: f64,
    /// Peak if preflights counted.
    pub peak_with_preflights: f64,
}

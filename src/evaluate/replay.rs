//! Replaying one layer: each partition's requests through three meters (admitted requests
//! charged; every attempt charged; the limiter deciding each attempt alone), in time order,
//! with a lagged copy for the timing uncertainty at throttles.
//!
//! Owns the loop every layer is evaluated with, the views taken at throttles, the peaks, and
//! the level series charts draw. Pure.

use crate::model::{Capture, Micros};
use crate::profiles::{Kind, Layer, Profile};

use super::meter::{self, Meter};
use super::{EDGE, LayerEval, Options, PartitionEval, Replay, View, cost, partitions};

/// One request of a partition during a replay.
#[derive(Clone, Copy)]
struct Step {
    request: u32,
    start: Micros,
    end: Micros,
    cost: u64,
    admitted: bool,
}

/// The partition's requests as the layer's server saw them: at their arrival (the HAR's start
/// plus any time the browser held them), in that order.
fn steps(capture: &Capture, layer: &Layer, members: &[u32]) -> Vec<Step> {
    ordered_steps(capture, layer, members).collect()
}

/// `steps` one at a time, for the replays that only walk forward: a day-long partition holds
/// a million members, and its steps (40 bytes each, and as much again to sort them) are held
/// as four-byte indices instead.
fn ordered_steps<'a>(
    capture: &'a Capture,
    layer: &'a Layer,
    members: &'a [u32],
) -> impl Iterator<Item = Step> + 'a {
    let arrival = |m: &u32| capture.requests[*m as usize].arrival();
    let order: std::borrow::Cow<'a, [u32]> = if members.is_sorted_by_key(arrival) {
        members.into()
    } else {
        let mut v = members.to_vec();
        // stable: requests arriving together keep the capture's order
        v.sort_by_key(arrival);
        v.into()
    };
    (0..order.len()).map(move |k| {
        let m = order[k];
        let r = &capture.requests[m as usize];
        Step {
            request: m,
            start: r.arrival(),
            end: r.end(),
            cost: cost(layer, capture, m as usize),
            admitted: !r.is_throttle(),
        }
    })
}

/// Admitted and all requests (counts, not costs) with `from < start ≤ to`, `k` excluded.
fn requests_between(steps: &[Step], k: usize, from: Micros, to: Micros) -> (u64, u64) {
    let lo = steps.partition_point(|s| s.start <= from);
    let hi = steps.partition_point(|s| s.start <= to);
    let mut admitted = 0;
    let mut all = 0;
    for (j, s) in steps.iter().enumerate().take(hi).skip(lo) {
        if j == k {
            continue;
        }
        all += 1;
        admitted += u64::from(s.admitted);
    }
    (admitted, all)
}

/// Requests in flight at `t`, `k` excluded.
fn in_flight(steps: &[Step], k: usize, t: Micros) -> (u64, u64) {
    let hi = steps.partition_point(|s| s.start <= t);
    let mut admitted = 0;
    let mut all = 0;
    for (j, s) in steps.iter().enumerate().take(hi) {
        if j != k && s.end.max(s.start + 1) > t {
            all += 1;
            admitted += u64::from(s.admitted);
        }
    }
    (admitted, all)
}

/// The replay of one meter at a throttle: exact, and with the lagged meter given every
/// neighbour within `EDGE` first.
fn at_throttle(
    exact: &mut dyn Meter,
    lagged: &dyn Meter,
    steps: &[Step],
    from: usize,
    k: usize,
    charge: impl Fn(&Step) -> bool,
) -> Replay {
    let s = steps[k];
    let t = s.start;
    let level = exact.level(t);
    let refused = !exact.admits(t, s.cost);
    let hidden_needed = exact.hidden_needed(t, s.cost);
    let free_at = exact.free_at(t, s.cost);
    let mut edge = lagged.clone_box();
    let early = t - EDGE;
    for (j, n) in steps.iter().enumerate().skip(from) {
        if n.start > t + EDGE {
            break;
        }
        if j != k {
            let charged = charge(n);
            edge.record(early, n.end, n.cost, n.admitted, charged);
        }
    }
    let refused_edge = !edge.admits(early, s.cost);
    Replay {
        level,
        refused,
        refused_at_edge: refused || refused_edge,
        hidden_needed,
        hidden_needed_at_edge: hidden_needed.min(edge.hidden_needed(early, s.cost)),
        free_at,
        penalized: exact.penalized(t),
    }
}

/// The replay of a meter deciding alone at a throttle: at its recorded time only (the timing
/// uncertainty is the other replays' business).
fn decided(alone: &mut dyn Meter, t: Micros, cost: u64, admits: bool) -> Replay {
    let hidden_needed = alone.hidden_needed(t, cost);
    Replay {
        level: alone.level(t),
        refused: !admits,
        refused_at_edge: !admits,
        hidden_needed,
        hidden_needed_at_edge: hidden_needed,
        free_at: alone.free_at(t, cost),
        penalized: alone.penalized(t),
    }
}

/// Evaluates one layer.
pub(super) fn layer(
    capture: &Capture,
    profile: &Profile,
    layer: &Layer,
    opts: Options,
    (profile_index, layer_index): (usize, usize),
) -> LayerEval {
    let mut eval = LayerEval {
        profile: profile_index,
        layer: layer_index,
        partitions: Vec::new(),
        views: Vec::new(),
        peak: 0.0,
        peak_at: None,
        peak_partition: None,
        peak_admitted: 0.0,
        first_breach: None,
        counted: 0,
        documented_views: Vec::new(),
    };
    let horizon = layer.window();
    for (p, (key, members)) in partitions(capture, profile, layer, opts)
        .into_iter()
        .enumerate()
    {
        let steps = steps(capture, layer, &members);
        eval.counted += steps.len() as u32;
        let mut part = PartitionEval {
            key,
            first: members[0],
            requests: steps.len() as u32,
            peak: 0.0,
            peak_at: None,
            peak_admitted: 0.0,
        };
        let mut adm = meter::for_layer(layer);
        let mut all = meter::for_layer(layer);
        let mut adm_lag = adm.clone_box();
        let mut all_lag = all.clone_box();
        // the meter deciding alone charges exactly what `adm` charges until it admits a
        // throttle: it starts there as a copy (partitions whose throttles the capture's own
        // admitted requests explain never need it)
        let mut alone: Option<Box<dyn Meter>> = None;
        let mut lagged = 0usize;
        for k in 0..steps.len() {
            let s = steps[k];
            let t = s.start;
            while lagged < k && steps[lagged].start <= t - EDGE {
                let l = steps[lagged];
                adm_lag.record(l.start, l.end, l.cost, l.admitted, l.admitted);
                all_lag.record(l.start, l.end, l.cost, l.admitted, true);
                lagged += 1;
            }
            let use_all = all.level(t) + s.cost as f64;
            if use_all > part.peak {
                part.peak = use_all;
                part.peak_at = Some(t);
            }
            if s.admitted {
                part.peak_admitted = part.peak_admitted.max(adm.level(t) + s.cost as f64);
            }
            if !all.admits(t, s.cost) && eval.first_breach.is_none_or(|(b, _)| t < b) {
                eval.first_breach = Some((t, s.request));
            }
            if !s.admitted && alone.is_none() && adm.admits(t, s.cost) {
                alone = Some(adm.clone_box());
            }
            let alone_admits = alone.as_mut().map(|m| m.admits(t, s.cost));
            if !s.admitted {
                let alone = match (alone.as_deref_mut(), alone_admits) {
                    (Some(m), Some(admits)) => decided(m, t, s.cost, admits),
                    // not apart from `adm` yet, which refuses it
                    _ => decided(&mut *adm, t, s.cost, false),
                };
                let (admitted_before, attempts_before) = match layer.kind() {
                    Kind::Concurrency => in_flight(&steps, k, t),
                    Kind::Rate => requests_between(&steps, k, t - horizon, t),
                };
                eval.views.push(View {
                    request: s.request,
                    partition: p as u32,
                    cost: s.cost,
                    capacity: adm.capacity(),
                    admitted_only: at_throttle(&mut *adm, &*adm_lag, &steps, lagged, k, |n| {
                        n.admitted
                    }),
                    with_refusals: at_throttle(&mut *all, &*all_lag, &steps, lagged, k, |_| true),
                    alone,
                    admitted_before,
                    attempts_before,
                    window_opened: adm.window_opened(t),
                });
            }
            adm.record(t, s.end, s.cost, s.admitted, s.admitted);
            all.record(t, s.end, s.cost, s.admitted, true);
            if let (Some(m), Some(admits)) = (alone.as_mut(), alone_admits) {
                let admitted = s.admitted || admits;
                m.record(t, s.end, s.cost, admitted, admitted);
            }
        }
        if part.peak > eval.peak {
            eval.peak = part.peak;
            eval.peak_at = part.peak_at;
            eval.peak_partition = Some(p);
        }
        eval.peak_admitted = eval.peak_admitted.max(part.peak_admitted);
        eval.partitions.push(part);
    }
    eval.views.sort_by_key(|v| v.request);
    eval
}

/// The peak of a layer (every attempt charged) without views.
pub(super) fn peak_only(capture: &Capture, profile: &Profile, layer: &Layer, opts: Options) -> f64 {
    let mut peak: f64 = 0.0;
    for (_, members) in partitions(capture, profile, layer, opts) {
        let mut all = meter::for_layer(layer);
        for s in ordered_steps(capture, layer, &members) {
            peak = peak.max(all.level(s.start) + s.cost as f64);
            all.record(s.start, s.end, s.cost, s.admitted, true);
        }
    }
    peak
}

/// The server's counter for a layer on its successes against the replay that charges every
/// attempt: (readings below that replay's count beyond `tolerance`, readings where charging
/// refused attempts changes the count by more than `tolerance`). Traffic from elsewhere only
/// adds to a count, so a server that counts fewer than the capture's own attempts is not
/// counting its refusals. A reading below even the admitted requests' count says the replay is
/// out of step with the server (another anchor, partition or reset), not how it counts
/// refusals: it is left out.
pub(super) fn refusal_readings(
    capture: &Capture,
    profile: &Profile,
    layer: &Layer,
    opts: Options,
    tolerance: f64,
) -> (usize, usize) {
    let (mut below, mut observed) = (0, 0);
    for (_, members) in partitions(capture, profile, layer, opts) {
        // without a refusal the two replays agree
        if !members
            .iter()
            .any(|&m| capture.requests[m as usize].is_throttle())
        {
            continue;
        }
        let mut adm = meter::for_layer(layer);
        let mut all = meter::for_layer(layer);
        for s in ordered_steps(capture, layer, &members) {
            let r = &capture.requests[s.request as usize];
            if s.admitted
                && let Some(used) = layer.reported_use(capture.quotas_of(r))
            {
                let used = used as f64;
                let with_refusals = all.level(s.start) + s.cost as f64;
                let admitted_only = adm.level(s.start) + s.cost as f64;
                if with_refusals - admitted_only > tolerance && used + tolerance >= admitted_only {
                    observed += 1;
                    below += usize::from(used < with_refusals - tolerance);
                }
            }
            adm.record(s.start, s.end, s.cost, s.admitted, s.admitted);
            all.record(s.start, s.end, s.cost, s.admitted, true);
        }
    }
    (below, observed)
}

/// The use of one partition of a layer over time, for charts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Levels {
    /// The budget.
    pub capacity: f64,
    /// (request arrival, use with every attempt charged, the request included).
    pub attempts: Vec<(Micros, f64)>,
    /// (request arrival, use with admitted requests charged, the request included).
    pub admitted: Vec<(Micros, f64)>,
    /// Index into `Capture::requests` of each point's request, in arrival order.
    pub requests: Vec<u32>,
}

/// Replays partition `partition` of a layer and returns its use at every request.
pub fn levels(
    capture: &Capture,
    profile: &Profile,
    layer: &Layer,
    partition: usize,
    opts: Options,
) -> Levels {
    let Some((_, members)) = partitions(capture, profile, layer, opts)
        .into_iter()
        .nth(partition)
    else {
        return Levels::default();
    };
    levels_of(capture, layer, &members)
}

/// Replays the requests `members` (one partition of a layer, in time order) and gives `visit`
/// each request and the layer's use at it with admitted requests charged, the request
/// included — `Levels::admitted` without holding it (a day-long partition has a million).
pub fn visit_admitted_levels(
    capture: &Capture,
    layer: &Layer,
    members: &[u32],
    mut visit: impl FnMut(u32, f64),
) {
    replay_levels(capture, layer, members, false, |s, admitted, _| {
        visit(s.request, admitted)
    });
}

/// Replays the requests `members` (one partition of a layer, in time order) and returns the
/// layer's use at every request.
pub fn levels_of(capture: &Capture, layer: &Layer, members: &[u32]) -> Levels {
    let mut out = Levels {
        capacity: meter::for_layer(layer).capacity(),
        ..Levels::default()
    };
    replay_levels(capture, layer, members, true, |s, admitted, attempts| {
        out.attempts.push((s.start, attempts.unwrap_or(admitted)));
        out.admitted.push((s.start, admitted));
        out.requests.push(s.request);
    });
    out
}

/// The replay behind `levels_of` and `visit_admitted_levels`: `visit` gets each step, the use
/// at it with admitted requests charged and, when `attempts` asks for it, with every attempt
/// charged (a second meter), the request included in both.
fn replay_levels(
    capture: &Capture,
    layer: &Layer,
    members: &[u32],
    attempts: bool,
    mut visit: impl FnMut(&Step, f64, Option<f64>),
) {
    let mut adm = meter::for_layer(layer);
    let mut all = attempts.then(|| meter::for_layer(layer));
    for s in ordered_steps(capture, layer, members) {
        let cost = s.cost as f64;
        let every = all.as_mut().map(|m| m.level(s.start) + cost);
        visit(&s, adm.level(s.start) + cost, every);
        adm.record(s.start, s.end, s.cost, s.admitted, s.admitted);
        if let Some(m) = all.as_mut() {
            m.record(s.start, s.end, s.cost, s.admitted, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::{MILLISECOND, SECOND};

    fn step(ms: i64, admitted: bool) -> Step {
        Step {
            request: 0,
            start: ms * MILLISECOND,
            end: ms * MILLISECOND + 10 * MILLISECOND,
            cost: 1,
            admitted,
        }
    }

    #[test]
    fn neighbours_within_the_edge_may_come_first() {
        // limit 2 per 10 s: two admitted at 0 and 5 s; the throttle at 9 s is refused exactly;
        // one admitted at 1 s and a throttle 20 ms before a request that was admitted:
        let layer = Layer::new(
            "l",
            crate::profiles::Limiter::Window {
                limit: 2,
                window: 10 * SECOND,
                anchor: None,
            },
        );
        let steps = vec![step(1000, true), step(9000, false), step(9020, true)];
        let mut exact = meter::for_layer(&layer);
        let lagged = meter::for_layer(&layer);
        exact.record(steps[0].start, steps[0].end, 1, true, true);
        let mut lag = lagged.clone_box();
        lag.record(steps[0].start, steps[0].end, 1, true, true);
        let r = at_throttle(&mut *exact, &*lag, &steps, 1, 1, |n| n.admitted);
        assert!(!r.refused, "one admitted request in the window, limit 2");
        assert!(
            r.refused_at_edge,
            "the request 20 ms later may have arrived first"
        );
        assert_eq!((r.hidden_needed, r.hidden_needed_at_edge), (1, 0));
        assert_eq!(r.free_at, 9000 * MILLISECOND);
    }

    #[test]
    fn a_partition_is_replayed_in_the_order_its_requests_reached_the_server() {
        // the first request the page issued waited 300 ms for a connection; the second left
        // at once and reached the server first
        let entries = [
            r#"{"startedDateTime":"2025-01-01T00:00:00.000Z","time":400,"request":{"method":"GET","url":"https://h/a"},"response":{"status":200},"timings":{"blocked":300,"send":0,"wait":100,"receive":0}}"#,
            r#"{"startedDateTime":"2025-01-01T00:00:00.100Z","time":100,"request":{"method":"GET","url":"https://h/b"},"response":{"status":429},"timings":{"blocked":0,"send":0,"wait":100,"receive":0}}"#,
        ];
        let c = crate::normalize::capture_of(crate::normalize::Builder::new(), &entries);
        assert_eq!(
            c.requests[0].arrival(),
            c.requests[0].start + 300 * MILLISECOND
        );
        let layer = Layer::new(
            "l",
            crate::profiles::Limiter::Window {
                limit: 1,
                window: 10 * SECOND,
                anchor: None,
            },
        );
        let s = steps(&c, &layer, &[0, 1]);
        assert_eq!((s[0].request, s[1].request), (1, 0));
        assert_eq!(s[1].start, c.requests[0].arrival());
        // the visited levels are the admitted levels the replay holds, in the same order
        let held = levels_of(&c, &layer, &[0, 1]);
        let mut visited = Vec::new();
        visit_admitted_levels(&c, &layer, &[0, 1], |m, level| visited.push((m, level)));
        let expected: Vec<(u32, f64)> = (held.requests.iter().copied())
            .zip(held.admitted.iter().map(|a| a.1))
            .collect();
        assert_eq!(visited, expected);
        assert_eq!(visited[0].0, 1);
    }

    #[test]
    fn the_limiter_deciding_alone_charges_the_attempts_it_would_have_admitted() {
        // 2 per 10 s; one success, then three throttles 1 s apart: traffic from elsewhere
        // refused the first (the capture's own admitted requests leave room), but had the
        // limiter decided the capture's attempts alone, it would have admitted that one and
        // refused the next
        let entry = |ms: u32, status: u16| {
            format!(
                r#"{{"startedDateTime":"2025-01-01T00:00:0{}.{:03}Z","time":10,"request":{{"method":"GET","url":"https://h/a"}},"response":{{"status":{status}}},"timings":{{"send":0,"wait":10,"receive":0}}}}"#,
                ms / 1000,
                ms % 1000
            )
        };
        let entries = [
            entry(0, 200),
            entry(1000, 429),
            entry(2000, 429),
            entry(3000, 429),
        ];
        let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
        let c = crate::normalize::capture_of(crate::normalize::Builder::new(), &refs);
        let profile = crate::profiles::parse::parse(
            "t.toml",
            "name = \"t\"\nhosts = [\"h\"]\n[[layer]]\nname = \"l\"\nlimit = 2\nwindow = \"10s\"\n",
        )
        .unwrap();
        let eval =
            crate::evaluate::evaluate(&c, std::slice::from_ref(&profile), Options::default());
        let views = &eval.layers[0].views;
        let at = |i: u32| views.iter().find(|v| v.request == i).unwrap();
        assert!(!at(1).admitted_only.refused && !at(1).alone.refused);
        assert!(
            !at(2).admitted_only.refused,
            "one admitted request in the window"
        );
        assert!(
            at(2).alone.refused,
            "alone, the first throttle would have been admitted"
        );
        assert_eq!(at(2).alone.level, 2.0);
        assert!(at(3).alone.refused && at(3).with_refusals.refused);
        // what it refuses it does not charge: the third throttle finds the two it admitted
        assert_eq!((at(3).alone.level, at(3).with_refusals.level), (2.0, 3.0));
    }

    #[test]
    fn counts_before_a_request_exclude_it() {
        let steps = vec![
            step(0, true),
            step(500, false),
            step(900, true),
            step(1000, false),
        ];
        assert_eq!(requests_between(&steps, 3, -1, 1000 * MILLISECOND), (2, 3));
        assert_eq!(in_flight(&steps, 3, 905 * MILLISECOND), (1, 1));
    }
}

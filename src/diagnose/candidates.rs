//! Candidate explanations of one throttle, each with the facts for and against it.
//!
//! Owns turning the replay and the capture's other facts into candidates: for every layer
//! that counts the throttle, visible traffic when its replay refuses the throttle (exactly, at
//! the edge of the timing uncertainty, or only if refusals use budget) and hidden traffic with
//! the least hidden cost otherwise; an undocumented concurrency and burst limit from the
//! best separation of the throttle's scope; a limit the body states that no counting layer
//! has. Signals are attached here, judged by `refute` and `rank`. Pure.

use crate::evaluate::{Replay, View};
use crate::join::WindowProof;
use crate::model::{Micros, Quota, Request, Unit, time};
use crate::normalize::dialects;
use crate::profiles::{Anchor, Kind, Layer, Limiter, Restated};

use super::context::{Ctx, Scope, is_traffic};
use super::separation::{self, Separation};
use super::signal::{Basis, Counter, Signal, StatedBy};
use super::thresholds::{
    COUNT_WINDOWS, COUNTER_TOLERANCE, EDGE, NEIGHBOUR, RETRY_AFTER_ROUNDING, SAME_CHANCE,
    SEPARATION_CHANCE, SEPARATION_MIN_RUNS, SEPARATION_MIN_THROTTLES, STATED_LIMIT_SLACK,
};
use super::{Candidate, Explanation, LimitKind};

/// Every layer counting request `i`, with its view.
pub fn views<'a>(cx: &'a Ctx<'_>, i: usize) -> Vec<(usize, &'a View)> {
    cx.eval
        .layers
        .iter()
        .enumerate()
        .filter_map(|(k, le)| le.view(i).map(|v| (k, v)))
        .collect()
}

/// The replay that the layer's documentation says applies; `None` for `count_rejected`
/// unknown means "refused attempts do not count" first.
fn primary(layer: &Layer, v: &View) -> Replay {
    match layer.count_rejected {
        Some(true) => v.with_refusals,
        _ => v.admitted_only,
    }
}

/// Whether the capture's own demand fills a layer replayed with another budget, allowing for
/// the timing uncertainty, in a replay no more generous than the one that explained the
/// throttle: the layer's own replay, or the limiter deciding every attempt itself where
/// refused attempts may use no budget (as `layer_candidates` allows it); every attempt
/// charged only where that is what explained it (a budget the server enforces lower refuses
/// many attempts, and charging them all fills any budget).
fn same_replay_explains(layer: &Layer, v: &View, basis: Basis) -> bool {
    primary(layer, v).explains()
        || alone_refuses(layer, v)
        || (basis == Basis::IfRefusalsCount && v.with_refusals.refused)
}

/// How the capture's own traffic refuses the throttle in layer `layer` (its view `v`), the
/// strongest basis first: the replay its documentation implies at the recorded times, then at
/// the edge of the timing; the server's arrival times (`arrival_full`: its log shows the
/// capture's own requests filling the layer); the limiter deciding the attempts alone; every
/// attempt charged where the documentation does not say whether refused ones are. `None`: the
/// capture's own traffic does not refuse it.
fn refusing_basis(layer: &Layer, v: &View, arrival_full: bool) -> Option<Basis> {
    let replay = primary(layer, v);
    if replay.refused {
        Some(Basis::Exact)
    } else if replay.refused_at_edge {
        Some(Basis::Edge)
    } else if arrival_full {
        Some(Basis::ServerArrival)
    } else if alone_refuses(layer, v) {
        Some(Basis::Alone)
    } else if layer.count_rejected.is_none() && v.with_refusals.refused {
        // at the recorded times only: charging refused attempts is already an assumption the
        // documentation does not make, and reordering the requests at the edge of the timing
        // on top of it leaves no fact of the capture's own behind the explanation
        Some(Basis::IfRefusalsCount)
    } else {
        None
    }
}

/// Whether the layer's limiter, deciding the capture's attempts alone, refuses the throttle,
/// where that replay is one the layer allows: refused attempts may use no budget.
fn alone_refuses(layer: &Layer, v: &View) -> bool {
    layer.count_rejected != Some(true) && v.alone.refused
}

/// The longest wait a layer can ask for (`None`: no bound, e.g. concurrency). A window frees
/// its oldest request within one window whatever was charged; a bucket that charges refused
/// attempts (or may: the documentation does not say) can be driven into debt by traffic
/// outside the capture, so only a bucket known not to charge them is bounded by one cost's
/// refill.
fn longest_wait(layer: &Layer, cost: u64) -> Option<Micros> {
    let base = match &layer.limiter {
        // the next reset is as far as the server announced; its windows' length is unknown
        Limiter::Window {
            anchor: Some(Anchor::Announced),
            ..
        } => None,
        Limiter::Window { window, .. } | Limiter::SlidingCounter { window, .. } => Some(*window),
        Limiter::Bucket { rate, .. } if layer.count_rejected == Some(false) => {
            Some(time::secs(cost as f64 / rate.per_second()))
        }
        Limiter::Bucket { .. } | Limiter::Concurrency { .. } => None,
    }?;
    Some(base + layer.penalty.unwrap_or(0))
}

/// What the capture's own traffic put in a layer's count at a throttle, the throttle included.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Visible {
    /// The least it certainly put there; `None` where the capture cannot fix it. A server
    /// counter at or below it proves the count holds nothing from outside the capture.
    least: Option<u64>,
    /// The most it can have put there. A server counter above it (and its tolerance) shows
    /// traffic from outside; between the two bounds a counter proves nothing either way.
    most: u64,
}

/// The bounds of what the capture put in a layer's count. A window that opens at a
/// partition's first request may have been opened by traffic outside the capture anywhere
/// within its horizon, so every attempt of the horizon may be in it and none certainly is (so
/// too for requests in flight); every other limiter's state is fixed by the replay (buckets
/// drain as they refill, counters and aligned windows start on the clock), refused attempts
/// charged as the documentation says, or either way when it does not.
fn visible_bounds(layer: &Layer, v: &View) -> Visible {
    let opened_by_traffic = matches!(
        layer.limiter,
        Limiter::Window {
            anchor: Some(Anchor::FirstRequest),
            ..
        } | Limiter::Concurrency { .. }
    );
    if opened_by_traffic {
        return Visible {
            least: None,
            most: v.attempts_before + v.cost,
        };
    }
    let (low, high) = match layer.count_rejected {
        Some(true) => (v.with_refusals.level, v.with_refusals.level),
        Some(false) => (v.admitted_only.level, v.admitted_only.level),
        None => {
            let (a, b) = (v.admitted_only.level, v.with_refusals.level);
            (a.min(b), a.max(b))
        }
    };
    let count = |level: f64, round: fn(f64) -> f64| {
        (round(level.max(0.0)) as u64).min(v.attempts_before) + v.cost
    };
    Visible {
        least: Some(count(low, f64::floor)),
        most: count(high, f64::ceil),
    }
}

/// Whether layer `k`'s documented penalty may be refusing throttle `i` (its view `v`): a
/// throttle of the same partition less than the penalty before it found the layer full — the
/// capture's own traffic filled it in the replay its documentation implies, or the server's
/// counter for the layer was spent. A limiter with a penalty refuses every request of the
/// partition for that long after it refuses one, whatever its count. (A throttle another
/// limit refused while the layer had room opened no penalty.)
fn penalty_may_refuse(cx: &Ctx<'_>, k: usize, v: &View, i: usize) -> bool {
    let layer = cx.layer(k);
    let Some(penalty) = layer.penalty else {
        return false;
    };
    let full = cx.full_throttles(k, || {
        let reqs = &cx.capture.requests;
        let mut out: Vec<(u32, Micros)> = cx.eval.layers[k]
            .views
            .iter()
            .filter(|w| {
                let j = w.request as usize;
                let counting: Vec<usize> = views(cx, j).into_iter().map(|(o, _)| o).collect();
                primary(layer, w).refused
                    || (layer.count_rejected.is_none() && w.with_refusals.refused)
                    || counter_for(cx, &reqs[j], k, &counting).is_some_and(|c| c.used >= c.limit)
            })
            .map(|w| (w.partition, reqs[w.request as usize].start))
            .collect();
        out.sort_unstable();
        out
    });
    let t = cx.capture.requests[i].start;
    // the first full throttle of the partition after the penalty's length before it
    let from = full.partition_point(|&e| e <= (v.partition, t - penalty));
    full.get(from)
        .is_some_and(|&(p, start)| p == v.partition && start < t)
}

/// The counter on a response that describes layer `k` and no other layer counting the
/// request (a counter shared by two layers' numbers says nothing about either).
fn counter_for(cx: &Ctx<'_>, r: &Request, k: usize, layers: &[usize]) -> Option<Counter> {
    let layer = cx.layer(k);
    let ambiguous = layers
        .iter()
        .filter(|&&o| o != k)
        .any(|&o| cx.layer(o).limit() == layer.limit());
    // a budget the layer has only because the other layers' were stated otherwise is the
    // server's number, not the layer's counter (an undocumented limit can have it as well)
    if ambiguous || layer.settled() {
        return None;
    }
    cx.capture
        .quotas_of(r)
        .iter()
        .find(|q| layer.described_by(q))
        .and_then(|q| {
            Some(Counter {
                quote: dialects::quote_use(q).map(Box::new),
                used: q.used_count()?,
                limit: q.limit.get()?,
            })
        })
}

/// Which of the capture's requests a look around throttle `i` in layer `k` takes in.
#[derive(Clone, Copy)]
enum Taking {
    /// Admitted requests only.
    Admitted,
    /// Refused ones too, unless the layer is known not to count them.
    AsCounted,
}

/// The requests other than throttle `i` that layer `k` counts in `i`'s partition and that
/// started within `from..=to`, in time order: what the layer can have counted around it.
fn partition_between<'c>(
    cx: &'c Ctx<'_>,
    i: usize,
    k: usize,
    (from, to): (Micros, Micros),
    taking: Taking,
) -> impl Iterator<Item = usize> + 'c {
    let le = &cx.eval.layers[k];
    let layer = cx.layer(k);
    let key = crate::evaluate::partition_key(layer, cx.capture, i);
    let covered = crate::evaluate::covered(cx.capture, &cx.profiles[le.profile]);
    let refused = match taking {
        Taking::Admitted => false,
        Taking::AsCounted => layer.count_rejected != Some(false),
    };
    let reqs = &cx.capture.requests;
    let first = reqs.partition_point(|p| p.start < from);
    (first..reqs.len())
        .take_while(move |&o| reqs[o].start <= to)
        .filter(move |&o| {
            let p = &reqs[o];
            o != i
                && p.has_response()
                && !p.from_cache
                && (refused || !p.is_throttle())
                && crate::evaluate::counts(layer, &covered, cx.capture, o, Default::default())
                && crate::evaluate::partition_key(layer, cx.capture, o) == key
        })
}

/// The latest admitted request before the throttle, in the same partition and window, whose
/// response carries layer `k`'s counter: (counter, when, requests visible in its window then).
fn earlier_counter(cx: &Ctx<'_>, i: usize, k: usize, layers: &[usize]) -> Option<Signal> {
    let le = &cx.eval.layers[k];
    let layer = cx.layer(k);
    if layer.kind() != Kind::Rate {
        return None;
    }
    let r = &cx.capture.requests[i];
    let part = le.view(i)?.partition;
    let key = le.partitions[part as usize].key;
    let from = r.start - layer.window();
    let reqs = &cx.capture.requests;
    let lo = reqs.partition_point(|q| q.start <= from);
    (lo..i).rev().find_map(|j| {
        let q = &reqs[j];
        if q.is_throttle() || !is_traffic(q) || q.quotas_len == 0 {
            return None;
        }
        if crate::evaluate::partition_key(layer, cx.capture, j) != key {
            return None;
        }
        let counter = counter_for(cx, q, k, layers)?;
        // the most admitted requests of the partition the server can have counted in its
        // window at that success, itself included: arrival times differ from the HAR's by up
        // to `EDGE`, at both ends of the window
        let around = (q.start - layer.window() - EDGE, q.start + EDGE);
        let visible = partition_between(cx, i, k, around, Taking::Admitted).count() as u64;
        Some(Signal::ServerCount {
            layer: k,
            counter,
            visible,
            at: q.start,
            on_throttle: false,
        })
    })
}

/// Room the server's count on an earlier success (`count`, from `earlier_counter`) left in
/// layer `k` at the throttle's moment: the success came within the timing uncertainty
/// (`NEIGHBOUR`) before it, and the count plus the capture's admitted requests of the partition
/// in between stays more than `COUNTER_TOLERANCE` under the limit. `None` otherwise.
fn room_at_the_moment(cx: &Ctx<'_>, i: usize, k: usize, count: &Signal) -> Option<Signal> {
    let Signal::ServerCount { counter, at, .. } = count else {
        return None;
    };
    let r = &cx.capture.requests[i];
    let gap = r.start - *at;
    // too long before it, or too little room even before the requests in between
    room_left(counter, 0, gap)?;
    // the most the layer can have counted between the success and the throttle: any request
    // it counts within the timing uncertainty of either, less the success itself
    let between = partition_between(cx, i, k, (*at - EDGE, r.start + EDGE), Taking::AsCounted)
        .count()
        .saturating_sub(1) as u64;
    let room = room_left(counter, between, gap)?;
    Some(Signal::RoomAtTheMoment {
        layer: k,
        counter: counter.clone(),
        at: *at,
        gap,
        between,
        room,
    })
}

/// The room a counter reported `gap` before a throttle leaves once `between` more requests
/// were admitted: `None` when the gap exceeds the timing uncertainty (`NEIGHBOUR`: traffic
/// from elsewhere had time), or the room is within `COUNTER_TOLERANCE` of none.
fn room_left(counter: &Counter, between: u64, gap: Micros) -> Option<u64> {
    if gap > NEIGHBOUR {
        return None;
    }
    let room = counter
        .limit
        .checked_sub(counter.used.saturating_add(between))?;
    (room > COUNTER_TOLERANCE).then_some(room)
}

/// Whether the throttle's body states the layer's budget.
fn body_states(r: &Request, layer: &Layer) -> bool {
    r.throttle_body()
        .is_some_and(|b| layer.states_budget(b.limit.or(b.limit_value), b.window_s.map(time::secs)))
}

/// Whether a spent counter on the throttle describes the layer's budget.
fn counter_states(quotas: &[Quota], layer: &Layer) -> bool {
    quotas.iter().any(|q| spent(q) && layer.described_by(q))
}

/// Whether the throttle's response states the layer's budget as the one that refused it: its
/// body, or a spent counter describing it.
fn states_restated(r: &Request, quotas: &[Quota], layer: &Layer) -> bool {
    body_states(r, layer) || counter_states(quotas, layer)
}

/// A layer the server enforces with a tighter budget than documented (`Layer::restated`),
/// which the capture's own traffic reaches while the documented budget would have admitted
/// the throttle: a limit the documentation does not state, in the server's own numbers.
fn tighter_than_documented(
    (r, quotas): (&Request, &[Quota]),
    (k, layer, rs): (usize, &Layer, Restated),
    basis: Basis,
    replay: Replay,
    v: &View,
) -> Candidate {
    let window = layer.window();
    // the 429's own response states it (its body, or a spent counter), or other responses did;
    // a counter names a limit the documentation does not state even where the layer holds the
    // budget by elimination only (`Restated::settled`): the layer's tighter budget and a limit
    // of its own are both undocumented, in the same numbers
    let by = if body_states(r, layer) {
        Some(StatedBy::Body)
    } else if counter_states(quotas, layer) {
        Some(StatedBy::Counter)
    } else {
        None
    };
    let mut c = Candidate::new(Explanation::Undocumented {
        kind: LimitKind::of_window(window),
        scope: None,
        limit: Some(layer.limit()),
        window: Some(window),
        stated: by,
    });
    if let Some(by) = by {
        c.support.push(Signal::StatesLimit {
            by,
            limit: Some(layer.limit()),
            window: Some(window),
            scope: None,
            // the capture's own use with this request: it reaches the stated budget
            visible: Some((replay.level + v.cost as f64).floor() as u64),
        });
    }
    c.support.push(Signal::Restated {
        layer: k,
        documented: rs.documented,
        statements: rs.by_body + rs.by_counter,
    });
    c.support.push(Signal::Replay {
        layer: k,
        admitted: v.admitted_before,
        attempts: v.attempts_before,
        level: replay.level,
        capacity: v.capacity,
        cost: v.cost,
        penalized: replay.penalized,
        refused: Some(basis),
        hidden_needed: replay.hidden_needed_at_edge,
    });
    c
}

/// Candidates on every layer counting the throttle.
fn layer_candidates(cx: &Ctx<'_>, i: usize, out: &mut Vec<Candidate>) {
    let r = &cx.capture.requests[i];
    let views = views(cx, i);
    let counting: Vec<usize> = views.iter().map(|(k, _)| *k).collect();
    let ra = r.retry_after().map(|x| x.seconds);
    let body = r.throttle_body();
    let key = body.and_then(|b| b.limit_key).map(|s| {
        cx.capture.limit_keys[s as usize]
            .expose_for_computation()
            .as_str()
    });
    let key_names_layer = key.is_some_and(|k| counting.iter().any(|&c| cx.layer(c).name == k));
    for &(k, v) in &views {
        let layer = cx.layer(k);
        let replay = primary(layer, v);
        let arrival_full = cx.join.and_then(|j| j.at(i, k)).is_some_and(|e| e.own_full);
        let explanation = match refusing_basis(layer, v, arrival_full) {
            Some(basis) => Explanation::Visible { layer: k, basis },
            None => Explanation::Hidden {
                layer: k,
                at_least: replay.hidden_needed_at_edge.max(1),
            },
        };
        let used_replay = match explanation {
            Explanation::Visible {
                basis: Basis::IfRefusalsCount,
                ..
            } => v.with_refusals,
            Explanation::Visible {
                basis: Basis::Alone,
                ..
            } => v.alone,
            _ => replay,
        };
        // a restated layer the capture fills only at the server's budget: the same replay at
        // the documented one would have admitted it, so what refused it is a limit the
        // documentation does not state (where only a replay charging attempts fills it, the
        // attempts may be another limit's refusals: the throttle's response must state the
        // layer's budget itself)
        if let (Explanation::Visible { basis, .. }, Some(rs)) = (explanation, layer.restated)
            && (!matches!(basis, Basis::Alone | Basis::IfRefusalsCount)
                || states_restated(r, cx.capture.quotas_of(r), layer))
            && !cx.eval.layers[k]
                .documented_view(i)
                .is_some_and(|dv| same_replay_explains(layer, dv, basis))
        {
            out.push(tighter_than_documented(
                (r, cx.capture.quotas_of(r)),
                (k, layer, rs),
                basis,
                used_replay,
                v,
            ));
            continue;
        }
        let mut c = Candidate::new(explanation);
        if let Some(rs) = layer.restated {
            c.support.push(Signal::Restated {
                layer: k,
                documented: rs.documented,
                statements: rs.by_body + rs.by_counter,
            });
        }
        let replay_signal = Signal::Replay {
            layer: k,
            admitted: v.admitted_before,
            attempts: v.attempts_before,
            level: used_replay.level,
            capacity: v.capacity,
            cost: v.cost,
            penalized: used_replay.penalized,
            refused: match explanation {
                Explanation::Visible { basis, .. } => Some(basis),
                _ => None,
            },
            hidden_needed: used_replay.hidden_needed_at_edge,
        };
        let visible = matches!(explanation, Explanation::Visible { .. });
        if visible {
            c.support.push(replay_signal);
        } else {
            // the replay admits it: a fact, neither for nor against hidden traffic
            c.support.push(replay_signal);
        }
        // the server's own counter on the throttle; where the layer's documented penalty may
        // still be refusing, a count with room says nothing of the layer (a penalty refuses
        // whatever the count)
        let boxed = || penalty_may_refuse(cx, k, v, i);
        if let Some(counter) = counter_for(cx, r, k, &counting) {
            let room = counter.used < counter.limit;
            let bounds = visible_bounds(layer, v);
            // hidden traffic shows when the count exceeds all the capture can account for, and
            // is ruled out only when the capture's own requests certainly fill the count
            let shows_hidden = counter.used > bounds.most + COUNTER_TOLERANCE;
            let no_hidden = bounds.least.filter(|l| counter.used <= *l);
            let s = Signal::ServerCount {
                layer: k,
                counter,
                visible: match no_hidden {
                    Some(least) if !visible => least,
                    _ => bounds.most,
                },
                at: r.start,
                on_throttle: true,
            };
            match (visible, room) {
                (_, true) if boxed() => {}
                (_, true) => c.against.push(s),
                (true, false) => c.support.push(s),
                (false, false) if shows_hidden => c.support.push(s),
                (false, false) if no_hidden.is_some() => c.against.push(s),
                // a count between what the capture certainly and possibly put in it
                (false, false) => {}
            }
        } else if !visible && let Some(s) = earlier_counter(cx, i, k, &counting) {
            let shows_hidden = matches!(&s, Signal::ServerCount { counter, visible, .. }
                if counter.used > visible + COUNTER_TOLERANCE);
            if shows_hidden {
                c.support.push(s);
            } else if !boxed() {
                let room = room_at_the_moment(cx, i, k, &s);
                c.against.push(s);
                c.against.extend(room);
            }
        }
        // Retry-After against when the capture's own traffic frees room
        if let Some(s) = ra {
            let longest = longest_wait(layer, v.cost);
            if let Some(l) = longest
                && time::secs(s) > l + RETRY_AFTER_ROUNDING + EDGE
            {
                // unless the wait stands still: a constant the server sends rules out no layer
                if !cx.wait_stands_still(k, i as u32) {
                    c.against.push(Signal::RetryAfterTooLong {
                        layer: k,
                        retry_after_s: s,
                        longest: l,
                        counts_down: cx.wait_counts_down(i),
                    });
                }
            } else if visible && used_replay.free_at != Micros::MAX {
                // the replay runs on the arrival clock
                let from_arrival = used_replay.free_at - r.arrival();
                let from_response = used_replay.free_at - r.end();
                let ra_us = time::secs(s);
                if ra_us >= from_response - EDGE
                    && ra_us <= from_arrival + RETRY_AFTER_ROUNDING + EDGE
                    && from_arrival > EDGE
                {
                    c.support.push(Signal::RetryAfterFits {
                        layer: k,
                        retry_after_s: s,
                        frees_in: from_arrival,
                    });
                }
            }
        }
        // what the body says
        if let Some(b) = body {
            if key == Some(layer.name.as_str()) {
                c.support.push(Signal::BodyNamesLayer { layer: k });
            } else if key.is_some() {
                c.against.push(if key_names_layer {
                    Signal::BodyNamesLayer {
                        layer: counting
                            .iter()
                            .copied()
                            .find(|&o| Some(cx.layer(o).name.as_str()) == key)
                            .unwrap_or(k),
                    }
                } else {
                    Signal::BodyNamesOther
                });
            } else if layer.states_budget(b.limit.or(b.limit_value), b.window_s.map(time::secs)) {
                c.support.push(Signal::BodyStatesLayer { layer: k });
            }
        }
        // what the server's own log shows of the layer's window
        if let Some(e) = cx.join.and_then(|j| j.at(i, k)) {
            let refusals = layer.count_rejected == Some(true);
            let s = Signal::ServerLog {
                layer: k,
                visible: if refusals {
                    v.attempts_before
                } else {
                    v.admitted_before
                },
                hidden: e.hidden,
                senders: e.by.len(),
                limit: e.limit,
                proof: e.proof,
            };
            match e.proof {
                WindowProof::Full => c.support.push(s),
                WindowProof::Room => c.against.push(s),
                WindowProof::Bounds { .. } | WindowProof::Uncovered => c.support.push(s),
            }
        }
        if !visible && let Some(s) = retry_failed_after_wait(cx, i) {
            c.support.push(s);
        }
        if !visible && let Some(s) = neighbour_admitted(cx, i, k) {
            c.against.push(s);
        }
        out.push(c);
    }
}

/// The next request of the same resource started after the full Retry-After and was
/// throttled again.
fn retry_failed_after_wait(cx: &Ctx<'_>, i: usize) -> Option<Signal> {
    let r = &cx.capture.requests[i];
    let ra = r.retry_after()?.seconds;
    let next = &cx.capture.requests[cx.next_same_resource[i]? as usize];
    let waited = next.start >= r.end() + time::secs(ra) - super::thresholds::RETRY_WAIT_SLACK;
    (waited && next.is_throttle()).then(|| Signal::RetryFailedAfterWait {
        first_s: ra,
        second_s: next.retry_after().map_or(0.0, |x| x.seconds),
    })
}

/// A limit the documentation does not state, evidenced by a count of the capture's own
/// requests (a split or a fitted bucket, not a stated limit), gets against it, on a throttle
/// whose retry was refused after a quiet wait and on that retry (`Ctx::quiet_wait_refused`),
/// the refusal: the count that split the throttles did not change during the wait, yet the
/// server's clock said room would come, so traffic the capture does not show took it. The
/// split still speaks for the scope's other throttles (one refusal in a hundred is the
/// exception, not the rule). A limit on requests in flight is left alone: its wait is no
/// clock.
fn quiet_wait_refused(cx: &Ctx<'_>, i: usize, out: &mut [Candidate]) {
    let own_count = |c: &Candidate| {
        matches!(
            c.explanation,
            Explanation::Undocumented {
                kind: LimitKind::Burst | LimitKind::Rate,
                ..
            }
        ) && rests_on_own_count(c)
            && c.support
                .iter()
                .any(|s| matches!(s, Signal::Separation { .. } | Signal::BucketFit { .. }))
    };
    if !out.iter().any(own_count) {
        return;
    }
    let Some((throttle, retry)) = cx.quiet_wait_refused(i as u32) else {
        return;
    };
    let ra = cx.capture.requests[throttle as usize].retry_after();
    let s = Signal::RetryRefusedAfterQuietWait {
        waited_s: ra.map_or(0.0, |ra| ra.seconds),
        throttle,
        retry,
    };
    for c in out.iter_mut().filter(|c| own_count(c)) {
        c.against.push(s.clone());
    }
}

/// An admitted request of the same partition of layer `k` within `NEIGHBOUR` of the
/// throttle: a sign the layer had room then.
fn neighbour_admitted(cx: &Ctx<'_>, i: usize, k: usize) -> Option<Signal> {
    cx.eval.layers[k].view(i)?;
    let r = &cx.capture.requests[i];
    let near = super::thresholds::NEIGHBOUR;
    partition_between(cx, i, k, (r.start - near, r.start + near), Taking::Admitted)
        .find(|&j| (200..400).contains(&cx.capture.requests[j].status))
        .map(|j| Signal::NeighbourAdmitted {
            layer: k,
            request: j as u32,
        })
}

/// The best undocumented limit on a count around the throttle (in flight, or started within a
/// short window), over scopes and windows; refuted by `refute` when no limit on that count
/// can be the cause.
fn separation_candidate(cx: &Ctx<'_>, i: usize, kind: LimitKind) -> Option<Candidate> {
    let req = i as u32;
    let throttled = |m: u32| cx.capture.requests[m as usize].is_throttle();
    let mut options: Vec<(Scope, Option<Micros>, &super::context::Grouping)> = Vec::new();
    for &scope in &cx.scopes {
        match kind {
            LimitKind::Concurrency => options.push((scope, None, &cx.concurrency[scope as usize])),
            _ => {
                for (w, g) in COUNT_WINDOWS.iter().zip(&cx.bursts[scope as usize]) {
                    options.push((scope, Some(*w), g));
                }
            }
        }
    }
    let tests = options.len();
    /// The best option so far.
    struct Best {
        feasible: bool,
        chance: f64,
        scope: Scope,
        window: Option<Micros>,
        sep: Option<separation::Separation>,
        possible: u32,
        /// The most others a success of the option surely had (when infeasible).
        busiest: u32,
    }
    let mut best: Option<Best> = None;
    for (scope, window, grouping) in options {
        let Some((group, around)) = grouping.at(req) else {
            continue;
        };
        // a count in a window: fixed windows and buckets let a success exceed the limit
        let slack = if window.is_some() {
            STATED_LIMIT_SLACK
        } else {
            1
        };
        let feasible = separation::feasible(group, around, throttled, slack);
        let sep = group.separation.filter(|s| around.possible >= s.limit);
        let chance = sep.map_or(1.0, |s| (s.chance * tests as f64).min(1.0));
        // an option with nothing around the throttle implies a limit of 0, which would refuse
        // everything: any option with company comes first
        let company = around.possible > 0;
        let better = best.as_ref().is_none_or(|b| {
            (company, feasible, -chance, std::cmp::Reverse(scope))
                > (
                    b.possible > 0,
                    b.feasible,
                    -b.chance,
                    std::cmp::Reverse(b.scope),
                )
        });
        if better {
            best = Some(Best {
                feasible,
                chance,
                scope,
                window,
                sep,
                possible: around.possible,
                busiest: separation::busiest_success(group, throttled).unwrap_or(0),
            });
        }
    }
    let Best {
        feasible,
        chance,
        scope,
        window,
        sep,
        possible,
        busiest,
    } = best?;
    // a limit of 0 would refuse everything: with nothing around, the capture bounds nothing
    let limit = sep
        .map(|s| s.limit as u64)
        .or(Some(possible as u64))
        .filter(|l| *l > 0);
    let kind = match (kind, window) {
        (LimitKind::Concurrency, _) => LimitKind::Concurrency,
        (_, Some(w)) => LimitKind::of_window(w),
        (k, None) => k,
    };
    let mut c = Candidate::new(Explanation::Undocumented {
        kind,
        scope: Some(scope),
        limit,
        window,
        stated: None,
    });
    c.support.push(Signal::Around {
        window,
        scope,
        possible,
    });
    if let Some(s) = sep {
        c.support.push(Signal::Separation {
            window,
            scope,
            limit: s.limit,
            explained: s.explained,
            runs: s.runs,
            cumulative: s.cumulative,
            throttled: s.throttled,
            successes: s.successes,
            chance,
            tried: tests,
        });
    }
    if !feasible {
        c.against.push(Signal::SuccessAsCrowded {
            window,
            scope,
            sure: busiest,
            possible,
        });
    }
    Some(c)
}

/// An undocumented bucket fitted to the throttle's group (`fit`): of the scopes whose fitted
/// bucket refuses this throttle, the one with the smallest chance (times the scopes tried).
fn bucket_candidate(cx: &Ctx<'_>, i: usize) -> Option<Candidate> {
    let req = i as u32;
    let mut best: Option<(f64, Scope, &super::fit::BucketFit)> = None;
    for &scope in &cx.scopes {
        let Some((f, k)) = cx.fit(scope, req) else {
            continue;
        };
        if f.explained.binary_search(&k).is_err() {
            continue;
        }
        let chance = (f.chance * cx.scopes.len() as f64).min(1.0);
        if best.is_none_or(|b| chance < b.0) {
            best = Some((chance, scope, f));
        }
    }
    let (chance, scope, f) = best?;
    // the budget in words: the capacity over the time it takes to refill, to the second; a
    // bucket refilling within a second as its rate per second
    let horizon = f.horizon();
    let (limit, window) = if !f.pinned {
        (f.capacity as u64, None)
    } else if horizon >= time::SECOND {
        let whole = (horizon + time::SECOND / 2) / time::SECOND * time::SECOND;
        (f.capacity as u64, Some(whole))
    } else {
        let per_second = f.rate_per_s.round() as u64;
        (per_second.max(f.capacity as u64), Some(time::SECOND))
    };
    let mut c = Candidate::new(Explanation::Undocumented {
        kind: window.map_or(LimitKind::Rate, LimitKind::of_window),
        scope: Some(scope),
        limit: Some(limit),
        window,
        stated: None,
    });
    c.support.push(Signal::BucketFit {
        scope,
        capacity: f.capacity,
        rate_per_s: f.rate_per_s,
        pinned: f.pinned,
        charged: f.charged,
        explained: f.explained.len(),
        throttled: f.throttled,
        successes: f.successes,
        chance,
        settled: f.settled,
        tried: cx.scopes.len(),
    });
    Some(c)
}

/// What a throttle's response states of the limit that refused it, when that is no layer
/// counting the request.
struct Statement {
    by: StatedBy,
    limit: Option<u64>,
    window_s: Option<f64>,
    /// The body names a limit (`limit.key`) that is no layer of the profile.
    key_new: bool,
    /// How long the counter stated it would take to reset (counters only).
    reset: Option<Micros>,
}

/// What the body states (numbers, or a `limit.key`) that no layer counting the throttle has.
fn body_statement(cx: &Ctx<'_>, r: &Request, views: &[(usize, &View)]) -> Option<Statement> {
    let b = r.throttle_body()?;
    let limit = b.limit.or(b.limit_value).filter(|&n| n > 0);
    let window_s = b
        .window_s
        .filter(|w| w.is_finite() && *w > 0.0 && *w <= 86_400.0);
    let key = b.limit_key.map(|s| {
        cx.capture.limit_keys[s as usize]
            .expose_for_computation()
            .as_str()
    });
    let key_documented = key.is_some_and(|k| views.iter().any(|(l, _)| cx.layer(*l).name == k));
    let numbers_documented = views
        .iter()
        .any(|(l, _)| cx.layer(*l).states_budget(limit, window_s.map(time::secs)));
    let numbers_new = limit.is_some() && !numbers_documented;
    let key_new = key.is_some() && !key_documented;
    if key_documented || !(numbers_new || key_new) {
        return None;
    }
    Some(Statement {
        by: StatedBy::Body,
        limit,
        window_s,
        key_new,
        reset: None,
    })
}

/// A counter of requests on the throttle that is spent and describes no layer counting it:
/// the server reports which budget refused the request, and the profile does not document it.
/// None when any counter on the throttle describes a counting layer (that layer's own counter
/// speaks for it); a layer whose budget was settled on it only because the other layers' were
/// stated otherwise does not speak for it (`StatedBy::SharedCounter`).
fn counter_statement(quotas: &[Quota], layers: &[&Layer]) -> Option<Statement> {
    let describes_one = |q: &Quota| layers.iter().any(|l| !l.settled() && l.described_by(q));
    if quotas.iter().any(|q| spent(q) && describes_one(q)) {
        return None;
    }
    let q = quotas
        .iter()
        .find(|q| q.unit == Unit::Requests && spent(q) && !describes_one(q))?;
    let shared = layers.iter().any(|l| l.described_by(q));
    Some(Statement {
        by: if shared {
            StatedBy::SharedCounter
        } else {
            StatedBy::Counter
        },
        limit: q.limit.get(),
        window_s: q.window.get().map(time::as_secs),
        key_new: false,
        reset: q.reset.get(),
    })
}

/// Whether a counter reports its budget used up (this request included).
fn spent(q: &Quota) -> bool {
    match (q.limit.get(), q.used_count()) {
        (Some(limit), Some(used)) => limit > 0 && used >= limit,
        _ => false,
    }
}

/// The clearest split at a limit of `n` that explains the throttle at `i`, among the groups
/// of the groupings given that `keep` accepts: its chance corrected for the groupings tried,
/// when under `SEPARATION_CHANCE` with at least `SEPARATION_MIN_THROTTLES` throttles explained,
/// and the position of its grouping among those given.
fn split_at<'g>(
    groupings: impl Iterator<Item = &'g super::context::Grouping>,
    tried: usize,
    keep: impl Fn(&super::context::Group) -> bool,
    i: usize,
    n: u64,
) -> Option<(f64, usize)> {
    groupings
        .enumerate()
        .filter_map(|(at, grouping)| {
            let (group, around) = grouping.at(i as u32)?;
            let s = group.separation?;
            let chance = s.chance * tried as f64;
            (keep(group)
                && u64::from(s.limit) == n
                && around.exact >= s.limit
                && chance < SEPARATION_CHANCE
                && s.explained >= SEPARATION_MIN_THROTTLES)
                .then_some((chance, at))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
}

/// Whether the count of admitted others in flight splits the throttles from the successes at
/// a limit of `n` (`split_at`), the waits they state not counting down
/// (`Group::waits_count_down`), with a
/// smaller chance than any count of requests started within a window has at that limit, each
/// corrected for the options its count tried as the separation candidates are (the scopes
/// tried in flight; those times `COUNT_WINDOWS` for started requests): the same split by both
/// counts goes to the count in flight, which fixes no window. The scope of that split when it
/// does.
fn splits_in_flight_at(cx: &Ctx<'_>, i: usize, n: u64) -> Option<Scope> {
    // a scope not tried has no groups: it splits nothing and is no option
    let in_flight = split_at(
        cx.concurrency.iter(),
        cx.scopes.len(),
        |g| !g.waits_count_down,
        i,
        n,
    );
    let started = split_at(
        cx.bursts.iter().flatten(),
        cx.scopes.len() * COUNT_WINDOWS.len(),
        |_| true,
        i,
        n,
    );
    let (f, at) = in_flight?;
    // `Ctx::concurrency` is indexed by scope, narrow first, as `Scope::ALL`
    started.is_none_or(|(w, _)| f < w).then(|| Scope::ALL[at])
}

/// A limit the throttle's response states (body numbers, a `limit.key`, or a spent counter)
/// that no layer counting the throttle has.
fn stated_candidate(cx: &Ctx<'_>, i: usize) -> Option<Candidate> {
    let r = &cx.capture.requests[i];
    let views = views(cx, i);
    let counting: Vec<&Layer> = views.iter().map(|(l, _)| cx.layer(*l)).collect();
    let Statement {
        by,
        limit,
        window_s,
        key_new,
        reset,
    } = body_statement(cx, r, &views)
        .or_else(|| counter_statement(cx.capture.quotas_of(r), &counting))?;
    let window = window_s.map(time::secs);
    // without a stated window, by the longest wait the server gave
    let wait = r.retry_after().and_then(|ra| ra.wait()).max(reset);
    // a statement without a window gives a number, not what it counts: requests in flight
    // (of the scope that splits them) where the capture's own count in flight splits the
    // throttles at that very number
    let in_flight = match (window, limit) {
        (None, Some(n)) => splits_in_flight_at(cx, i, n),
        _ => None,
    };
    let kind = match (window, in_flight) {
        (Some(w), _) => LimitKind::of_window(w),
        (None, Some(_)) => LimitKind::Concurrency,
        (None, None) => LimitKind::of_wait(wait).unwrap_or(LimitKind::Rate),
    };
    // which scopes the stated limit can count: none where a success surely had more admitted
    // others within one window's length than any algorithm with those numbers admits (it would
    // have refused it); the broadest such scope, and what the throttle had there
    let mut scope = in_flight;
    let mut visible = None;
    let mut crowded: Option<Signal> = None;
    if let (Some(n), Some(w)) = (limit, window) {
        for sc in Scope::ALL {
            let Some((busiest, around)) = cx.window_counts(sc, i as u32, w) else {
                continue;
            };
            if busiest.is_some_and(|b| b as u64 >= n.saturating_mul(STATED_LIMIT_SLACK)) {
                crowded.get_or_insert(Signal::SuccessAsCrowded {
                    window: Some(w),
                    scope: sc,
                    sure: busiest.unwrap_or(0),
                    possible: n.min(u32::MAX as u64) as u32,
                });
                break;
            }
            scope = Some(sc);
            visible = Some(around.possible as u64);
        }
    }
    let mut c = Candidate::new(Explanation::Undocumented {
        kind,
        scope,
        limit,
        window,
        stated: Some(by),
    });
    c.support.push(Signal::StatesLimit {
        by,
        limit,
        window,
        scope,
        visible,
    });
    // refuted at its narrowest scope only if no scope is left
    if scope.is_none()
        && let Some(s) = crowded
    {
        c.against.push(s);
    }
    if key_new {
        c.support.push(Signal::BodyNamesOther);
    }
    Some(c)
}

/// The chance of an undocumented candidate's own separation of its scope, before the
/// correction for the options tried, when it has one: a hypergeometric tail like the
/// documented layer's. A fitted bucket's chance is a rotation test's, bounded below by the
/// rotations tried, and is not compared with it.
fn split_chance(c: &Candidate) -> Option<f64> {
    c.support.iter().find_map(|s| match s {
        Signal::Separation { chance, tried, .. } => Some(chance / (*tried).max(1) as f64),
        _ => None,
    })
}

/// Whether a documented layer's split is cleaner than an undocumented candidate's own (not the
/// same split counted twice), or as clean where the candidate's split holds too few runs or the
/// layer splits by which requests it counts (`by_membership`).
fn cleaner(documented: &Separation, c: &Candidate, by_membership: bool) -> bool {
    // an equal split speaks against a split of too few runs (`SEPARATION_MIN_RUNS`): the
    // documented layer, filled by steady traffic on top, puts the throttles where it does;
    // and against any split a layer makes by its requests alone: the profile says which
    // requests it counts, and the throttles are those, whatever count the split puts on them
    let few_runs = c
        .support
        .iter()
        .any(|s| matches!(s, Signal::Separation { runs, .. } if *runs < SEPARATION_MIN_RUNS));
    matches!(
        c.explanation,
        Explanation::Undocumented { stated: None, .. }
    ) && split_chance(c).is_some_and(|chance| {
        if few_runs || by_membership {
            documented.chance <= chance * (1.0 + SAME_CHANCE)
        } else {
            documented.chance < chance * (1.0 - SAME_CHANCE)
        }
    })
}

/// A split of the throttle's scope points past the documented layers only where no layer that
/// traffic from outside the capture, or the capture's own refused attempts, could fill (a
/// hidden candidate, or visible traffic only when the replay decides alone or refusals count)
/// splits its own partition more cleanly by its own count: where one does, the undocumented
/// candidate gets that fact against it (`rank::positive` then takes its split for no
/// evidence). Splits by a count equally clean (the layer and the scope count the same
/// requests) leave the question to the rest of the evidence, unless the candidate's split holds
/// fewer than `SEPARATION_MIN_RUNS` runs of throttles; a split by which requests a layer counts
/// (a caller's throttles all on the layer, its successes not) speaks against the candidate when
/// it is as clean (`cleaner`). Asked of the candidates no rule refuted: a layer a counter or
/// Retry-After ruled out fills nothing.
pub fn documented_splits(cx: &Ctx<'_>, i: usize, out: &mut [Candidate]) {
    let req = i as u32;
    let hidden: Vec<usize> = out
        .iter()
        .filter_map(|c| match c.explanation {
            Explanation::Hidden { layer, .. }
            | Explanation::Visible {
                layer,
                basis: Basis::Alone | Basis::IfRefusalsCount,
            } => Some(layer),
            _ => None,
        })
        .collect();
    // the layers' splits replay their partitions: only for a split taken for evidence
    let mut splits: Option<Vec<(usize, bool, Separation)>> = None;
    for c in out.iter_mut() {
        if hidden.is_empty() || !super::rank::positive(c) {
            continue;
        }
        let splits = splits.get_or_insert_with(|| {
            hidden
                .iter()
                .filter_map(|&k| {
                    let v = cx.eval.layers[k].view(i)?;
                    let in_flight = matches!(cx.layer(k).limiter, Limiter::Concurrency { .. });
                    Some((k, in_flight, cx.documented_split(k, v.partition, req)?))
                })
                .collect()
        });
        // like with like: a count of requests in flight against a concurrency layer's, a count
        // of started requests (or a bucket) against a window's or a bucket's
        let in_flight = matches!(
            c.explanation,
            Explanation::Undocumented {
                kind: LimitKind::Concurrency,
                ..
            }
        );
        let cleanest = splits
            .iter()
            .filter(|s| s.1 == in_flight)
            .min_by(|a, b| a.2.chance.total_cmp(&b.2.chance));
        let Some(&(layer, _, split)) = cleanest else {
            continue;
        };
        if cleaner(&split, c, false) {
            c.against.push(Signal::DocumentedSplitsAsWell {
                layer,
                limit: split.limit,
                explained: split.explained,
                throttled: split.throttled,
                successes: split.successes,
                chance: split.chance,
            });
        }
    }
    // the layers' own requests (which they count, not how many): a split of a caller's (or a
    // user's) requests whose throttles all fall on one endpoint's documented layer is that
    // layer's split (within one endpoint or record, a layer counts every request or none)
    for c in out.iter_mut() {
        let Explanation::Undocumented {
            scope: Some(scope @ (Scope::Caller | Scope::User)),
            ..
        } = c.explanation
        else {
            continue;
        };
        if !super::rank::positive(c) {
            continue;
        }
        let cleanest = hidden
            .iter()
            .filter_map(|&k| Some((k, cx.membership_split(k, scope, req)?)))
            .min_by(|a, b| a.1.chance.total_cmp(&b.1.chance));
        if let Some((layer, split)) = cleanest
            && cleaner(&split, c, true)
        {
            c.against.push(Signal::LayerSplitsAsWell {
                layer,
                scope,
                explained: split.explained,
                throttled: split.throttled,
                successes_counted: split.crowded - split.explained,
                successes: split.successes,
                chance: split.chance,
            });
        }
    }
}

/// A split of time order is no evidence of a count: where every throttle an undocumented
/// candidate's split explains counted every earlier success of its scope, and no success came
/// after (`separation::cumulative`), the count is the scope's running total, and the split
/// says only that a budget ran out once and stayed out — which traffic from outside the
/// capture filling a documented layer explains as well, if one partition of that layer holds
/// the whole scope (`Scope::in_one_partition`: a budget per record cannot run out once for a
/// caller's many records). Marked only when every candidate with positive evidence has no more
/// than that: where any other evidence points past the documented layers (a count that rises
/// and falls, a bucket fit, a stated limit, the server's log), a limit the documentation does
/// not state stands, and which one is left to the clearest split. Asked of the candidates no
/// rule refuted: a hidden candidate a counter or Retry-After ruled out fills nothing. The layer
/// named is the one needing the fewest requests from elsewhere among those holding the scope.
pub fn time_order_splits<'a>(out: &mut [Candidate], layer_of: impl Fn(usize) -> &'a Layer) {
    let mut hidden: Vec<(u64, usize)> = out
        .iter()
        .filter_map(|c| match c.explanation {
            Explanation::Hidden { layer, at_least } => Some((at_least, layer)),
            _ => None,
        })
        .collect();
    if hidden.is_empty() {
        return;
    }
    hidden.sort_unstable();
    // per candidate: `None` without positive evidence, else the layer a hidden fill of the
    // whole scope would use — `None` inside where its evidence is more than time order, or
    // where no hidden candidate's layer holds its scope (its split then stays evidence)
    let fillers: Vec<Option<Option<usize>>> = out
        .iter()
        .map(|c| {
            super::rank::positive(c).then(|| {
                let scope = time_order_scope(c)?;
                hidden
                    .iter()
                    .find(|(_, k)| scope.in_one_partition(layer_of(*k)))
                    .map(|(_, k)| *k)
            })
        })
        .collect();
    if fillers.iter().any(|f| matches!(f, Some(None))) {
        return;
    }
    for (c, f) in out.iter_mut().zip(fillers) {
        if let Some(Some(layer)) = f {
            c.against.push(Signal::TimeOrderSplit { layer });
        }
    }
}

/// The scope of an undocumented candidate whose only evidence is a split of time order.
fn time_order_scope(c: &Candidate) -> Option<Scope> {
    if !rests_on_own_count(c) {
        return None;
    }
    c.support.iter().find_map(|s| match s {
        Signal::Separation {
            cumulative: true,
            scope,
            ..
        } => Some(*scope),
        _ => None,
    })
}

/// Whether an undocumented candidate's evidence can only be the capture's own count: no
/// statement of the limit, no restatement of a documented layer, no proof in the server's
/// log. The facts that take a split's evidence away (`quiet_wait_refused`,
/// `time_order_splits`) speak to such candidates alone.
fn rests_on_own_count(c: &Candidate) -> bool {
    matches!(
        c.explanation,
        Explanation::Undocumented { stated: None, .. }
    ) && !super::rank::log_proves(c)
        && !c
            .support
            .iter()
            .any(|s| matches!(s, Signal::Restated { .. }))
}

/// Every candidate explanation of the throttle at `i`.
pub fn generate(cx: &Ctx<'_>, i: usize) -> Vec<Candidate> {
    let mut out = Vec::new();
    layer_candidates(cx, i, &mut out);
    out.extend(stated_candidate(cx, i));
    out.extend(separation_candidate(cx, i, LimitKind::Concurrency));
    out.extend(separation_candidate(cx, i, LimitKind::Burst));
    // the capture's own traffic on a documented layer ranks above any undocumented limit: a
    // bucket is fitted only where no layer's replay refuses the throttle
    if !out
        .iter()
        .any(|c| matches!(c.explanation, Explanation::Visible { .. }))
    {
        out.extend(bucket_candidate(cx, i));
    }
    quiet_wait_refused(cx, i, &mut out);
    let r = &cx.capture.requests[i];
    if let Some(typ) = cx.typical_duration(r)
        && r.duration >= super::thresholds::HELD_AT_LEAST
        && r.duration >= super::thresholds::HELD_FACTOR * typ.max(1)
    {
        // a held throttle: a server that queued before refusing (a concurrency limiter or a
        // saturated budget alike): shown, not weighed
        for c in &mut out {
            if matches!(
                c.explanation,
                Explanation::Undocumented {
                    kind: LimitKind::Concurrency,
                    ..
                }
            ) {
                c.support.push(Signal::Held {
                    took: r.duration,
                    typical: typ,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::{BucketKind, Partition, Rate, Refill};

    fn bucket(count_rejected: Option<bool>) -> Layer {
        let mut l = Layer::new(
            "b",
            Limiter::Bucket {
                kind: BucketKind::Token,
                capacity: 10,
                rate: Rate {
                    amount: 2.0,
                    per: time::SECOND,
                },
                refill: Refill::Continuous,
                nginx: false,
                delay: None,
            },
        );
        l.count_rejected = count_rejected;
        l
    }

    fn window(anchor: Option<Anchor>) -> Layer {
        Layer::new(
            "w",
            Limiter::Window {
                limit: 10,
                window: 60 * time::SECOND,
                anchor,
            },
        )
    }

    fn replay(level: f64) -> Replay {
        Replay {
            level,
            refused: false,
            refused_at_edge: false,
            hidden_needed: 1,
            hidden_needed_at_edge: 1,
            free_at: Micros::MAX,
            penalized: false,
        }
    }

    fn view(admitted: f64, all: f64, attempts: u64) -> View {
        View {
            request: 0,
            partition: 0,
            cost: 1,
            capacity: 10.0,
            admitted_only: replay(admitted),
            with_refusals: replay(all),
            alone: replay(admitted),
            admitted_before: 0,
            attempts_before: attempts,
            window_opened: None,
        }
    }

    /// A replay's outcome only: (refused at the recorded time, refused at the edge of the
    /// timing).
    fn outcome((refused, edge): (bool, bool)) -> Replay {
        Replay {
            level: 0.0,
            refused,
            refused_at_edge: refused || edge,
            hidden_needed: 0,
            hidden_needed_at_edge: 0,
            free_at: 0,
            penalized: false,
        }
    }

    /// A view by the outcomes of its three replays: admitted requests charged, every attempt
    /// charged, the limiter deciding the attempts alone.
    fn deciding(admitted: (bool, bool), attempts: (bool, bool), alone: (bool, bool)) -> View {
        View {
            request: 0,
            partition: 0,
            cost: 1,
            capacity: 2.0,
            admitted_only: outcome(admitted),
            with_refusals: outcome(attempts),
            alone: outcome(alone),
            admitted_before: 0,
            attempts_before: 0,
            window_opened: None,
        }
    }

    #[test]
    fn a_spent_counter_that_no_counting_layer_has_states_an_undocumented_limit() {
        let throttle = |headers: &str| {
            format!(
                r#"{{"startedDateTime":"2025-01-01T00:00:00.000Z","time":10,"request":{{"method":"GET","url":"https://h/a"}},"response":{{"status":429,"headers":[{headers}]}},"timings":{{"send":0,"wait":10,"receive":0}}}}"#
            )
        };
        let counter = |limit: &str, remaining: &str| {
            throttle(&format!(
                r#"{{"name":"X-RateLimit-Limit{limit}"}},{{"name":"X-RateLimit-Remaining{remaining}"}}"#
            ))
        };
        let entries = [
            counter(r#"","value":"4"#, r#"","value":"0"#),
            counter(r#"","value":"4"#, r#"","value":"2"#),
            // tokens, not requests
            counter(r#"-Tokens","value":"4"#, r#"-Tokens","value":"0"#),
            // nothing remaining of a budget it does not state
            throttle(r#"{"name":"X-RateLimit-Remaining","value":"0"}"#),
        ];
        let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
        let c = crate::normalize::capture_of(crate::normalize::Builder::new(), &refs);
        let layer = |limit| {
            Layer::new(
                "l",
                Limiter::Window {
                    limit,
                    window: 60 * time::SECOND,
                    anchor: None,
                },
            )
        };
        let (other, same) = (layer(100), layer(4));
        let s = counter_statement(c.quotas_of(&c.requests[0]), &[&other])
            .expect("a spent counter of 4");
        assert_eq!(
            (s.by, s.limit, s.window_s),
            (StatedBy::Counter, Some(4), None)
        );
        // the counter of a layer counting the request speaks for that layer, not for another
        // limit; a counter with room states nothing
        assert!(counter_statement(c.quotas_of(&c.requests[0]), &[&other, &same]).is_none());
        assert!(counter_statement(c.quotas_of(&c.requests[1]), &[&other]).is_none());
        assert!(counter_statement(c.quotas_of(&c.requests[2]), &[&other]).is_none());
        assert!(counter_statement(c.quotas_of(&c.requests[3]), &[&other]).is_none());
        // a layer holding the budget only by elimination does not speak for the counter: the
        // budget is stated, whose it is stays open
        let mut settled = layer(4);
        settled.restated = Some(crate::profiles::Restated {
            documented: 10,
            by_body: 0,
            by_counter: 3,
            settled: true,
        });
        let s = counter_statement(c.quotas_of(&c.requests[0]), &[&other, &settled])
            .expect("a shared budget");
        assert_eq!((s.by, s.limit), (StatedBy::SharedCounter, Some(4)));
    }

    #[test]
    fn charging_refused_attempts_explains_only_at_the_recorded_times() {
        let no = (false, false);
        let yes = (true, false);
        let view = |admitted, attempts| deciding(admitted, attempts, no);
        let unknown = window(None);
        // the capture's admitted requests at their recorded times, then its limiter alone
        assert_eq!(
            refusing_basis(&unknown, &view(yes, yes), false),
            Some(Basis::Exact)
        );
        assert_eq!(
            refusing_basis(&unknown, &deciding(no, yes, yes), false),
            Some(Basis::Alone)
        );
        assert_eq!(
            refusing_basis(&unknown, &view(no, (true, false)), false),
            Some(Basis::IfRefusalsCount)
        );
        // charged attempts that fill the layer only if the server saw them in another order:
        // two assumptions, no fact
        assert_eq!(
            refusing_basis(&unknown, &view(no, (false, true)), false),
            None
        );
        // the admitted requests at the edge are a fact of the capture's own, and stronger
        assert_eq!(
            refusing_basis(&unknown, &view((false, true), (true, false)), false),
            Some(Basis::Edge)
        );
        // the server's arrival times come before any assumption about refused attempts
        assert_eq!(
            refusing_basis(&unknown, &view(no, (true, false)), true),
            Some(Basis::ServerArrival)
        );
        // a layer documented not to charge them never does
        let mut free = window(None);
        free.count_rejected = Some(false);
        assert_eq!(refusing_basis(&free, &view(no, (true, false)), false), None);
    }

    #[test]
    fn a_tighter_budget_is_compared_with_the_same_replay_at_the_documented_one() {
        // outcomes at the recorded times: admitted requests, the limiter alone, every attempt
        let view = |admitted, alone, attempts| {
            deciding((admitted, false), (attempts, false), (alone, false))
        };
        let layer = window(None);
        // charging every attempt fills the documented budget (the server refused many): that
        // replay speaks only for a throttle it explained itself
        let attempts_only = view(false, false, true);
        assert!(!same_replay_explains(&layer, &attempts_only, Basis::Exact));
        assert!(same_replay_explains(
            &layer,
            &attempts_only,
            Basis::IfRefusalsCount
        ));
        // admitted requests, or the limiter deciding every attempt, fill it whatever explained
        for v in [view(true, false, false), view(false, true, false)] {
            for basis in [
                Basis::Exact,
                Basis::Edge,
                Basis::Alone,
                Basis::IfRefusalsCount,
            ] {
                assert!(same_replay_explains(&layer, &v, basis));
            }
        }
        assert!(!same_replay_explains(
            &layer,
            &view(false, false, false),
            Basis::IfRefusalsCount
        ));
        // a layer known to charge refused attempts is replayed charging them: its limiter
        // deciding the attempts alone is no replay it allows
        let mut charging = window(None);
        charging.count_rejected = Some(true);
        assert!(!same_replay_explains(
            &charging,
            &view(false, true, false),
            Basis::Exact
        ));
        assert!(same_replay_explains(
            &charging,
            &view(false, false, true),
            Basis::Exact
        ));
    }

    #[test]
    fn a_split_of_time_order_is_no_evidence_where_a_hidden_fill_of_the_whole_scope_stands() {
        let per = |per: &[Partition]| {
            let mut l = window(None);
            l.per = per.to_vec();
            l
        };
        let layers = [
            per(&[Partition::User]),
            per(&[Partition::User, Partition::Resource]),
        ];
        let undocumented = |cumulative: bool| {
            let mut c = Candidate::new(Explanation::Undocumented {
                kind: LimitKind::Rate,
                scope: Some(Scope::Caller),
                limit: Some(25),
                window: Some(30 * time::SECOND),
                stated: None,
            });
            c.support.push(Signal::Separation {
                window: Some(30 * time::SECOND),
                scope: Scope::Caller,
                limit: 25,
                explained: 20,
                runs: 1,
                cumulative,
                throttled: 20,
                successes: 25,
                chance: 0.001,
                tried: 18,
            });
            c
        };
        let hidden = |layer: usize| {
            Candidate::new(Explanation::Hidden {
                layer,
                at_least: 22,
            })
        };
        let marked = |out: &mut Vec<Candidate>| {
            time_order_splits(out, |k| &layers[k]);
            out.iter()
                .filter(|c| {
                    c.against
                        .iter()
                        .any(|s| matches!(s, Signal::TimeOrderSplit { .. }))
                })
                .count()
        };
        // a per-user layer holds the caller's requests in one partition: its filling explains
        // one running out as well, and the split is no evidence
        let mut out = vec![hidden(0), undocumented(true)];
        assert!(super::super::rank::positive(&out[1]));
        assert_eq!(marked(&mut out), 1);
        assert!(!super::super::rank::positive(&out[1]));
        // a count that fell back somewhere is more than time order
        let mut out = vec![hidden(0), undocumented(false)];
        assert_eq!(marked(&mut out), 0);
        // another candidate's evidence beyond time order keeps an undocumented limit standing
        let mut out = vec![hidden(0), undocumented(true), undocumented(false)];
        assert_eq!(marked(&mut out), 0);
        // a budget per record cannot run out once for a caller's many records
        let mut out = vec![hidden(1), undocumented(true)];
        assert_eq!(marked(&mut out), 0);
        // nothing from outside the capture to fill a documented layer: nothing to compare
        let mut out = vec![undocumented(true)];
        assert_eq!(marked(&mut out), 0);
    }

    #[test]
    fn a_cleaner_documented_split_or_an_as_clean_one_over_one_run_speaks_against_a_split() {
        let sep = |chance: f64| Separation {
            limit: 3,
            throttled: 4,
            explained: 4,
            runs: 2,
            cumulative: false,
            successes: 8,
            members: 12,
            crowded: 4,
            chance,
        };
        let mut c = Candidate::new(Explanation::Undocumented {
            kind: LimitKind::Burst,
            scope: Some(Scope::Endpoint),
            limit: Some(3),
            window: Some(time::SECOND),
            stated: None,
        });
        // the scope's own split: 0.002, reported as 0.036 after 18 options tried
        c.support.push(Signal::Separation {
            window: Some(time::SECOND),
            scope: Scope::Endpoint,
            limit: 3,
            explained: 4,
            runs: 2,
            cumulative: false,
            throttled: 4,
            successes: 8,
            chance: 0.036,
            tried: 18,
        });
        assert!(cleaner(&sep(0.0001), &c, false));
        // the same split in one run of throttles: one filling, which the layer explains alike
        let mut one_run = Candidate::new(c.explanation);
        one_run.support = c.support.clone();
        if let Some(Signal::Separation { runs, .. }) = one_run.support.last_mut() {
            *runs = 1;
        }
        assert!(cleaner(&sep(0.036 / 18.0), &one_run, false));
        assert!(!cleaner(&sep(0.01), &one_run, false));
        // a fitted bucket's rotation chance is not a hypergeometric tail: not compared
        let mut fitted = Candidate::new(c.explanation);
        fitted.support.push(Signal::BucketFit {
            scope: Scope::Endpoint,
            capacity: 3,
            rate_per_s: 1.0,
            pinned: true,
            charged: false,
            explained: 4,
            throttled: 4,
            successes: 8,
            chance: 0.03,
            settled: true,
            tried: 3,
        });
        assert!(!cleaner(&sep(1e-9), &fitted, false));
        // the same split (the layer counts the scope's requests): no evidence either way
        assert!(!cleaner(&sep(0.036 / 18.0), &c, false));
        assert!(!cleaner(&sep(0.01), &c, false));
        // unless the layer splits by which requests it counts: the profile names those
        assert!(cleaner(&sep(0.036 / 18.0), &c, true));
        assert!(!cleaner(&sep(0.01), &c, true));
        // a limit the body states is not a split
        c.explanation = Explanation::Undocumented {
            kind: LimitKind::Burst,
            scope: Some(Scope::Endpoint),
            limit: Some(3),
            window: Some(time::SECOND),
            stated: Some(StatedBy::Body),
        };
        assert!(!cleaner(&sep(0.0001), &c, false));
    }

    #[test]
    fn a_counter_shows_room_at_the_throttle_s_moment_only_within_the_timing_uncertainty() {
        let c = Counter {
            quote: None,
            used: 32,
            limit: 83,
        };
        assert_eq!(room_left(&c, 0, 12 * time::MILLISECOND), Some(51));
        assert_eq!(room_left(&c, 10, NEIGHBOUR), Some(41));
        // long enough before it for traffic from elsewhere to have filled the room
        assert_eq!(room_left(&c, 0, NEIGHBOUR + 1), None);
        // the capture's own requests in between used the room (up to the tolerance)
        assert_eq!(room_left(&c, 50, 0), None);
        assert_eq!(room_left(&c, 60, 0), None);
        assert_eq!(room_left(&c, 49, 0), Some(2));
    }

    #[test]
    fn only_a_bucket_known_not_to_charge_refusals_bounds_retry_after() {
        // one request's refill at 2/s
        assert_eq!(
            longest_wait(&bucket(Some(false)), 1),
            Some(500 * time::MILLISECOND)
        );
        // charged refusals can drive a bucket into debt: no bound, documented or not
        assert_eq!(longest_wait(&bucket(Some(true)), 1), None);
        assert_eq!(longest_wait(&bucket(None), 1), None);
        // a window frees its oldest request within one window, whatever was charged
        assert_eq!(longest_wait(&window(None), 1), Some(60 * time::SECOND));
    }

    #[test]
    fn a_counter_is_bounded_by_the_replay_the_documentation_implies() {
        let v = view(3.2, 7.5, 20);
        // a bucket: its replayed level, refusals charged as documented (both ways if unknown)
        assert_eq!(visible_bounds(&bucket(Some(false)), &v).most, 4 + 1);
        assert_eq!(visible_bounds(&bucket(Some(true)), &v).most, 8 + 1);
        assert_eq!(visible_bounds(&bucket(None), &v).most, 8 + 1);
        // a clock-aligned or sliding window: its replayed count
        assert_eq!(visible_bounds(&window(Some(Anchor::Epoch)), &v).most, 8 + 1);
        // a window traffic outside the capture may have opened: every attempt of the horizon
        assert_eq!(
            visible_bounds(&window(Some(Anchor::FirstRequest)), &v).most,
            20 + 1
        );
        // never more than the attempts the capture made
        assert_eq!(
            visible_bounds(&bucket(None), &view(3.0, 30.0, 5)).most,
            5 + 1
        );
    }

    #[test]
    fn only_what_the_capture_certainly_counted_rules_out_hidden_traffic() {
        let v = view(3.2, 7.5, 20);
        // refusals charged or not: the lower of the two replays
        assert_eq!(visible_bounds(&bucket(None), &v).least, Some(3 + 1));
        assert_eq!(visible_bounds(&bucket(Some(true)), &v).least, Some(7 + 1));
        assert_eq!(
            visible_bounds(&window(Some(Anchor::Epoch)), &v).least,
            Some(3 + 1)
        );
        // a window traffic outside the capture may have opened fixes nothing
        assert_eq!(
            visible_bounds(&window(Some(Anchor::FirstRequest)), &v).least,
            None
        );
        for l in [bucket(None), bucket(Some(false)), window(None)] {
            let b = visible_bounds(&l, &v);
            assert!(b.least.unwrap() <= b.most);
        }
    }
}

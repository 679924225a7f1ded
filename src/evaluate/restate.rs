//! Budgets the server states for a documented layer in other numbers than the documentation.
//!
//! Owns one question: does the server say, on the responses a documented layer counts, that the
//! layer's budget is not the documented one? A throttle's body ("[4] requests within [2]
//! seconds") or a counter with a stated window (`RateLimit-Policy: q=4;w=2`) gives a budget; when
//! that budget is no counting layer's as documented, but is one rate layer's limiter with a
//! smaller count (the same window, or a bucket's horizon at its documented refill rate, to within
//! a second), the server is stating that layer's enforced budget. The capture is then replayed
//! with the server's numbers, since those decide. The statement is refuted — and the
//! documentation kept — when the server elsewhere states the documented budget, when the
//! statements disagree, or when the server admitted more of the capture's own requests than the
//! stated budget allows. A budget several layers could have goes, by elimination, to the one left
//! once statements only the others could have (or of their documented budgets) take them; such a
//! restatement is marked `settled`, since the server named the budget, not the layer. Inferred
//! layers (read from the same headers) are never restated. It reads the capture and the profiles
//! and returns the restatements; `apply` rewrites the layers. Pure: no I/O, no clock.

use std::collections::BTreeMap;

use crate::model::{Capture, Micros, Unit, time};
use crate::profiles::{Kind, Layer, Profile, Restated};

// the server's admitted requests may exceed a stated budget by one request before they refute
// it: the HAR knows arrivals to within `EDGE`, so a neighbour may land on either side of a
// window's edge or a refill (the tolerance the user split gives a counter)
use super::users::COUNT_TOLERANCE as ADMITTED_SLACK;
use super::{Options, PathAnswers, counts_with, covered, replay};

/// One layer's budget as the server states it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Restatement {
    /// Index of the profile in the active set.
    pub profile: usize,
    /// Index of the layer in its profile.
    pub layer: usize,
    /// The stated limit or capacity.
    pub budget: u64,
    /// The documented one, and where the server stated the other.
    pub restated: Restated,
}

/// What the responses a layer counts state of its budget.
#[derive(Default)]
struct Tally {
    /// Statements of the documented budget.
    confirmed: u32,
    /// Statements of another budget, by budget: (bodies, counters).
    other: BTreeMap<u64, (u32, u32)>,
    /// Of those, statements another layer could have made as well, given to this one because
    /// the others' budgets are taken (`settle`).
    settled: u32,
}

/// A budget a response states: (limit, window, by a throttle's body). A counter without a
/// window can confirm a documented budget but restates none.
type Statement = (u64, Option<Micros>, bool);

/// What a response states of its budgets.
fn statements(capture: &Capture, i: usize, out: &mut Vec<Statement>) {
    out.clear();
    let r = &capture.requests[i];
    if r.is_throttle()
        && let Some(b) = r.throttle_body()
        && let (Some(n), Some(w)) = (b.limit.or(b.limit_value), b.window_s)
        && w.is_finite()
        && w > 0.0
        && w <= 86_400.0
    {
        out.push((n, Some(time::secs(w)), true));
    }
    for q in capture.quotas_of(r) {
        if q.unit == Unit::Requests
            && let Some(n) = q.limit.get()
        {
            out.push((n, q.window.get(), false));
        }
    }
}

/// The layers of every profile whose budget the server states otherwise, with the stated
/// budget; inferred layers (read from the same headers) are never restated.
pub fn restate(capture: &Capture, profiles: &[Profile]) -> Vec<Restatement> {
    let opts = Options::default();
    let mut out = Vec::new();
    for (p, profile) in profiles.iter().enumerate() {
        let layers: Vec<&Layer> = profile.layers.iter().collect();
        if !layers.iter().any(|l| !l.inferred && l.kind() == Kind::Rate) {
            continue;
        }
        let covered = covered(capture, profile);
        let mut paths: Vec<PathAnswers> = layers.iter().map(|_| PathAnswers::default()).collect();
        let mut tallies: Vec<Tally> = layers.iter().map(|_| Tally::default()).collect();
        let mut shared = Shared::new();
        // statements with a window first (they can restate); counters without one only where
        // a layer has a restatement they could contradict, its own or one it may be settled on
        for windowed in [true, false] {
            let in_shared = |l: usize| shared.keys().any(|(_, ls)| ls.contains(&l));
            let open: Vec<bool> = tallies
                .iter()
                .enumerate()
                .map(|(l, t)| {
                    windowed || (t.confirmed == 0 && (!t.other.is_empty() || in_shared(l)))
                })
                .collect();
            if !open.contains(&true) {
                break;
            }
            let mut said = Vec::new();
            for i in 0..capture.requests.len() {
                statements(capture, i, &mut said);
                said.retain(|s| s.1.is_some() == windowed);
                if said.is_empty() {
                    continue;
                }
                // every layer counting it: a budget that is any of theirs is not another's
                let counting: Vec<usize> = (0..layers.len())
                    .filter(|&l| counts_with(layers[l], &covered, capture, i, opts, &mut paths[l]))
                    .collect();
                for &(n, w, body) in &said {
                    tally(&layers, &counting, (n, w, body), &mut tallies, &mut shared);
                }
            }
        }
        settle(shared, &mut tallies);
        for (l, t) in tallies.iter().enumerate() {
            if t.confirmed > 0 || t.other.len() != 1 {
                continue;
            }
            let Some((&budget, &(by_body, by_counter))) = t.other.iter().next() else {
                continue;
            };
            let layer = layers[l];
            let mut stated = layer.clone();
            stated.limiter = layer.limiter.with_budget(budget);
            // what the server let through: the highest use at an admitted request, only
            // admitted requests charged (the layer's own replay, run only for a restatement)
            if replay::layer(capture, profile, &stated, opts, (p, l)).peak_admitted
                > budget as f64 + ADMITTED_SLACK
            {
                continue;
            }
            out.push(Restatement {
                profile: p,
                layer: l,
                budget,
                restated: Restated {
                    documented: layer.limit(),
                    by_body,
                    by_counter,
                    settled: t.settled == by_body + by_counter,
                },
            });
        }
    }
    out
}

/// Statements of a budget several layers could have with another count, by (budget, those
/// layers): (bodies, counters).
type Shared = BTreeMap<(u64, Vec<usize>), (u32, u32)>;

/// Counts one statement on a response the `counting` layers count: it confirms the one layer
/// whose documented budget it is, or restates the one layer it can be with another count (a
/// budget several could have is kept aside in `shared` for `settle`).
fn tally(
    layers: &[&Layer],
    counting: &[usize],
    (n, w, body): Statement,
    tallies: &mut [Tally],
    shared: &mut Shared,
) {
    // a budget some counting layer has as documented is that layer's
    let documented: Vec<usize> = counting
        .iter()
        .copied()
        .filter(|&l| layers[l].states_budget(Some(n), w))
        .collect();
    if let [l] = documented[..] {
        tallies[l].confirmed += 1;
    }
    let Some(w) = w.filter(|_| documented.is_empty()) else {
        return;
    };
    let restated: Vec<usize> = counting
        .iter()
        .copied()
        .filter(|&l| !layers[l].inferred && layers[l].restated_as(n, w))
        .collect();
    // a budget two layers could have with another count tells neither, unless the others are
    // taken (`settle`)
    let e = match restated[..] {
        [] => return,
        [l] => tallies[l].other.entry(n).or_default(),
        _ => shared.entry((n, restated)).or_default(),
    };
    if body {
        e.0 += 1;
    } else {
        e.1 += 1;
    }
}

/// A budget several layers could have goes to the one left once the others are taken: a layer
/// whose documented budget was stated, or that statements only it could have restate to
/// another budget, has that budget — a server states one budget per layer. What is taken is
/// decided before any settling, so one settled budget does not take a layer for another.
fn settle(shared: Shared, tallies: &mut [Tally]) {
    // per layer: `None` while open (no statement, or budgets that disagree), else the budget
    // it has (`None` inside: the documented one)
    let taken: Vec<Option<Option<u64>>> = tallies
        .iter()
        .map(|t| match (t.confirmed, t.other.len()) {
            (0, 1) => Some(t.other.keys().next().copied()),
            (0, _) => None,
            _ => Some(None),
        })
        .collect();
    for ((n, layers), (bodies, counters)) in shared {
        let left: Vec<usize> = layers
            .into_iter()
            .filter(|&l| taken[l].is_none_or(|b| b == Some(n)))
            .collect();
        if let [l] = left[..] {
            let e = tallies[l].other.entry(n).or_default();
            e.0 += bodies;
            e.1 += counters;
            tallies[l].settled += bodies + counters;
        }
    }
}

/// Replays each restated layer with the server's budget, remembering the documented one.
pub fn apply(profiles: &mut [Profile], restatements: &[Restatement]) {
    for r in restatements {
        let layer = &mut profiles[r.profile].layers[r.layer];
        layer.limiter = layer.limiter.with_budget(r.budget);
        layer.restated = Some(r.restated);
    }
}

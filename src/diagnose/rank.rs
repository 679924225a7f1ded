//! Preference rules: the order of the explanations no rule refuted, and how sure the first is.
//!
//! Owns ranking by an ordered list of preferences, each a property of one candidate read from
//! its signals (the server names it; the capture's own traffic explains it; the replay is exact;
//! Retry-After fits; the server saw hidden traffic; a clean separation or a stated limit; …).
//! Candidates are compared preference by preference; the first preference on which two differ is
//! why the lower one is lower, and it is reported. Without positive evidence for a limit the
//! documentation does not state, hidden traffic on a documented layer ranks first. Pure.

use std::cmp::Ordering;

use crate::profiles::{Layer, Partition};

use super::context::Ctx;
use super::signal::{Basis, Signal, StatedBy};
use super::thresholds::{COUNTER_TOLERANCE, SEPARATION_CHANCE, SEPARATION_MIN_THROTTLES};
use super::{Candidate, Explanation, LimitKind, Ranked, Throttle};

/// A preference rule, in the order they are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Preference {
    /// The server names the layer: its counter on the throttle is over the limit, or the body's
    /// `limit.key` is the layer; for a limit the documentation does not state, a spent counter
    /// on the throttle that no documented layer counting it has.
    ServerNamesIt,
    /// The server's log proves it: the layer's window, with the requests the log holds from
    /// outside the capture, was full (or, for an undocumented limit, every documented layer
    /// had room).
    ServerLogProves,
    /// The capture's own traffic explains it (the replay refuses the throttle) without
    /// assuming what the documentation does not say about refused attempts.
    CapturesOwnTraffic,
    /// The replay refuses it at its recorded time, not only at the edge of the timing
    /// uncertainty or if refused attempts used budget.
    StrongerReplay,
    /// Retry-After equals when the capture's own traffic frees room in the layer.
    RetryAfterFits,
    /// The server's counter on an earlier response of the partition held more requests than the
    /// capture shows: hidden traffic was using the layer.
    ServerSawHidden,
    /// The server's counter on a success just before the throttle (within the timing
    /// uncertainty) left room in the layer beyond the capture's requests in between: traffic
    /// from elsewhere would have had to fill it in that gap.
    ServerShowedRoom,
    /// A clean separation, or a limit the response states (its body, or a spent counter no
    /// documented layer has), is positive evidence of a limit the documentation does not state.
    PositiveEvidence,
    /// The layer's limiter, deciding each of the capture's attempts itself as if no traffic
    /// came from elsewhere, refuses it: the capture's own demand would have been refused all
    /// the same. Below positive evidence for a limit the documentation does not state (the
    /// attempts that fill the layer in that replay may be ones that limit refused before they
    /// reached this layer), above everything weaker.
    AloneRefuses,
    /// The capture's own traffic explains it if refused attempts count, which the
    /// documentation does not say: below positive evidence for a limit it does not state (the
    /// refusals that fill the layer in that replay may be that limit's), above everything
    /// weaker.
    IfRefusalsCount,
    /// The body states the layer's numbers.
    BodyStatesIt,
    /// A retry after the full Retry-After was throttled again: the budget stayed in use.
    RetryPersisted,
    /// Without positive evidence for an undocumented limit, hidden traffic on a documented
    /// layer comes first.
    QuietCapture,
    /// No admitted request of the layer's partition came within the timing uncertainty of the
    /// throttle (which would show the layer had room).
    NoRoomSeen,
    /// Of the ways traffic outside the capture arises (the same token, another token of the
    /// same client, another client of the same user, other users), more fill this layer first.
    MostWaysToFill,
    /// Fewer hidden requests are needed.
    LeastHidden,
    /// A clearer separation (a smaller chance of being a coincidence).
    Clearer,
    /// A narrower layer (more filters and partition dimensions).
    MoreSpecific,
}

impl Preference {
    /// A short name (`server-names-it`), for reports and the ablation script.
    pub fn rule(self) -> &'static str {
        match self {
            Preference::ServerNamesIt => "server-names-it",
            Preference::ServerLogProves => "server-log-proves",
            Preference::CapturesOwnTraffic => "captures-own-traffic",
            Preference::StrongerReplay => "stronger-replay",
            Preference::RetryAfterFits => "retry-after-fits",
            Preference::ServerSawHidden => "server-saw-hidden",
            Preference::ServerShowedRoom => "server-showed-room",
            Preference::PositiveEvidence => "positive-evidence",
            Preference::AloneRefuses => "alone-refuses",
            Preference::IfRefusalsCount => "if-refusals-count",
            Preference::BodyStatesIt => "body-states-it",
            Preference::RetryPersisted => "retry-persisted",
            Preference::QuietCapture => "quiet-capture",
            Preference::NoRoomSeen => "no-room-seen",
            Preference::MostWaysToFill => "most-ways-to-fill",
            Preference::LeastHidden => "least-hidden",
            Preference::Clearer => "clearer",
            Preference::MoreSpecific => "more-specific",
        }
    }

    /// Every rule, in the order they are applied.
    pub const ALL: [Preference; 18] = [
        Preference::ServerNamesIt,
        Preference::ServerLogProves,
        Preference::CapturesOwnTraffic,
        Preference::StrongerReplay,
        Preference::RetryAfterFits,
        Preference::ServerSawHidden,
        Preference::ServerShowedRoom,
        Preference::PositiveEvidence,
        Preference::AloneRefuses,
        Preference::IfRefusalsCount,
        Preference::BodyStatesIt,
        Preference::RetryPersisted,
        Preference::QuietCapture,
        Preference::NoRoomSeen,
        Preference::MostWaysToFill,
        Preference::LeastHidden,
        Preference::Clearer,
        Preference::MoreSpecific,
    ];
}

/// How sure the first explanation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// Only a prior or a weak sign decided.
    Low,
    /// The capture's facts decided, but another explanation stays possible.
    Medium,
    /// The server's own numbers, or the only explanation left.
    High,
}

impl Level {
    /// `high`, `medium`, `low`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::High => "high",
            Level::Medium => "medium",
            Level::Low => "low",
        }
    }
}

/// Why the confidence is what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The server's counter or the body names the layer.
    ServerNamesIt,
    /// Every other explanation was refuted.
    OnlyOne,
    /// The replay of the capture's own requests refuses it.
    ReplayRefuses,
    /// The replay refuses it only at the edge of the timing uncertainty.
    ReplayAtEdge,
    /// The layer's limiter, deciding the capture's attempts alone, refuses it.
    AloneRefuses,
    /// The replay refuses it only if refused attempts used budget.
    IfRefusalsCount,
    /// The server's counter showed hidden traffic on the layer.
    ServerSawHidden,
    /// The body states the layer's numbers.
    BodyStatesIt,
    /// A clean separation or a stated limit.
    PositiveEvidence,
    /// Nothing but the ordering of equally possible explanations decided.
    PriorOnly,
    /// Every explanation was refuted, or nothing counts the request.
    NothingFits,
    /// The server's log shows the layer's window full with requests from outside the capture.
    ServerLogShowsFull,
    /// Replayed at their arrival times in the server's log, the capture's own requests refuse
    /// it.
    ServerArrivalRefuses,
    /// The server's log shows every documented layer counting it had room, yet it was refused.
    ServerLogShowsRoom,
    /// Every documented layer counting it is ruled out by a fact: what refused it is not
    /// documented, though the capture cannot size it.
    DocumentedRuledOut,
    /// The active profile documents the API but none of its layers counts the request: what
    /// refused it is not documented, though the capture cannot size it.
    NoDocumentedLayer,
}

/// The confidence of a throttle's explanation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Confidence {
    /// How sure.
    pub level: Level,
    /// Why.
    pub reason: Reason,
}

/// The layer behind an evaluation index.
type Layers<'a> = dyn Fn(usize) -> &'a Layer + 'a;

fn has(c: &Candidate, f: impl Fn(&Signal) -> bool) -> bool {
    c.support.iter().any(f)
}

/// Whether the server's own numbers name the candidate's explanation: its counter on the
/// throttle or the body's key names its layer, or a spent counter on the throttle that no
/// documented layer counting it has names a limit the documentation does not state.
fn server_names(c: &Candidate) -> bool {
    let layer = c.explanation.layer();
    has(c, |s| match *s {
        Signal::ServerCount {
            layer: l,
            on_throttle: true,
            ..
        }
        | Signal::BodyNamesLayer { layer: l } => Some(l) == layer,
        Signal::StatesLimit {
            by: StatedBy::Counter,
            ..
        } => layer.is_none(),
        _ => false,
    })
}

/// A candidate's value for one preference (higher ranks first).
fn value(layers: &Layers<'_>, c: &Candidate, p: Preference, ways: &[(usize, usize)]) -> f64 {
    let e = &c.explanation;
    let layer = e.layer();
    let b = |x: bool| if x { 1.0 } else { 0.0 };
    match p {
        Preference::ServerNamesIt => b(server_names(c)),
        Preference::ServerLogProves => b(log_proves(c)),
        Preference::CapturesOwnTraffic => b(matches!(e, Explanation::Visible { basis, .. }
            if !matches!(basis, Basis::IfRefusalsCount | Basis::Alone))),
        Preference::StrongerReplay => match e {
            Explanation::Visible { basis, .. } => match basis {
                Basis::Exact => 3.0,
                Basis::ServerArrival => 2.5,
                Basis::Edge => 2.0,
                // below positive evidence, with `AloneRefuses`
                Basis::Alone | Basis::IfRefusalsCount => 0.0,
            },
            _ => 0.0,
        },
        Preference::RetryAfterFits => b(has(c, |s| matches!(s, Signal::RetryAfterFits { .. }))),
        Preference::ServerSawHidden => b(saw_enough_hidden(c)),
        Preference::ServerShowedRoom => b(!c
            .against
            .iter()
            .any(|s| matches!(s, Signal::RoomAtTheMoment { .. }))),
        Preference::PositiveEvidence => evidence_strength(c),
        Preference::AloneRefuses => b(matches!(
            e,
            Explanation::Visible {
                basis: Basis::Alone,
                ..
            }
        )),
        Preference::IfRefusalsCount => b(matches!(
            e,
            Explanation::Visible {
                basis: Basis::IfRefusalsCount,
                ..
            }
        )),
        Preference::BodyStatesIt => b(has(c, |s| matches!(s, Signal::BodyStatesLayer { .. }))),
        Preference::RetryPersisted => b(matches!(e, Explanation::Hidden { .. })
            && has(c, |s| matches!(s, Signal::RetryFailedAfterWait { .. }))),
        Preference::QuietCapture => b(matches!(e, Explanation::Hidden { .. })),
        Preference::NoRoomSeen => b(!c
            .against
            .iter()
            .any(|s| matches!(s, Signal::NeighbourAdmitted { .. }))),
        Preference::MostWaysToFill => layer
            .and_then(|l| ways.iter().find(|(k, _)| *k == l))
            .map_or(0.0, |(_, n)| *n as f64),
        Preference::LeastHidden => match e {
            Explanation::Hidden { at_least, .. } => -(*at_least as f64),
            _ => 0.0,
        },
        Preference::Clearer => -chance(c),
        Preference::MoreSpecific => layer.map_or(0.0, |l| {
            let l = layers(l);
            let filters = u8::from(!l.templates.is_empty()) + u8::from(!l.methods.is_empty());
            filters as f64 * 100.0 + l.per.len() as f64 * 10.0 - (l.limit() as f64).ln_1p()
        }),
    }
}

/// Whether the server's log proves the candidate: its layer's window was full, or (for an
/// undocumented limit) the documented layers had room.
pub fn log_proves(c: &Candidate) -> bool {
    let layer = c.explanation.layer();
    c.support.iter().any(|s| match s {
        Signal::ServerLog {
            layer: l,
            proof: crate::join::WindowProof::Full,
            ..
        } => Some(*l) == layer,
        Signal::ServerLog {
            proof: crate::join::WindowProof::Room,
            ..
        } => layer.is_none(),
        _ => false,
    })
}

/// Whether the server's counter on an earlier success of the partition held at least as much
/// traffic from elsewhere as hidden traffic needs to have refused the throttle: a counter
/// that saw only a little shows hidden traffic exists, not that it filled the layer.
fn saw_enough_hidden(c: &Candidate) -> bool {
    let Explanation::Hidden { at_least, .. } = c.explanation else {
        return false;
    };
    has(c, |s| match s {
        Signal::ServerCount {
            on_throttle: false,
            counter,
            visible,
            ..
        } => counter.used.saturating_sub(*visible) + COUNTER_TOLERANCE >= at_least,
        _ => false,
    })
}

/// The chance of the candidate's separation or bucket fit (0 for a stated limit, 1 without
/// one).
fn chance(c: &Candidate) -> f64 {
    if matches!(
        c.explanation,
        Explanation::Undocumented {
            stated: Some(_),
            ..
        }
    ) {
        return 0.0;
    }
    c.support
        .iter()
        .find_map(|s| match s {
            Signal::Separation { chance, .. } => Some(*chance),
            // a chance the rotations stopped short of is only a lower bound: no clearer than
            // none
            Signal::BucketFit {
                chance, settled, ..
            } => Some(if *settled { *chance } else { 1.0 }),
            _ => None,
        })
        .unwrap_or(1.0)
}

/// How strongly the capture points to an undocumented limit: 2 when the capture's own traffic
/// reaches it (a limit the body states that the capture reaches, or a separation), 1 when the
/// body states a limit the capture does not reach (it exists, but traffic from elsewhere filled
/// it), 0 otherwise.
fn evidence_strength(c: &Candidate) -> f64 {
    if !positive(c) {
        return 0.0;
    }
    let stated_unreached = c.support.iter().any(|s| {
        matches!(s, Signal::StatesLimit { visible, limit, .. }
            if !matches!((visible, limit), (Some(v), Some(n)) if v >= n))
    });
    if stated_unreached { 1.0 } else { 2.0 }
}

/// Positive evidence for an undocumented limit: the response states it (or the server stated,
/// on other responses, a documented layer's tighter budget that only the capture reaches), or
/// a separation or a bucket fitted to the capture's own requests explains enough throttles
/// with a chance under `SEPARATION_CHANCE`, no documented layer's own count splits them more
/// cleanly (or as cleanly, over one run), nor the set of requests it counts as cleanly, no
/// retry of the throttle was refused after a quiet wait (`RetryRefusedAfterQuietWait`), and
/// the split is more than one of time order (`TimeOrderSplit`).
pub fn positive(c: &Candidate) -> bool {
    let documented_as_well = c.against.iter().any(|s| {
        matches!(
            s,
            Signal::DocumentedSplitsAsWell { .. }
                | Signal::LayerSplitsAsWell { .. }
                | Signal::RetryRefusedAfterQuietWait { .. }
                | Signal::TimeOrderSplit { .. }
        )
    });
    match c.explanation {
        Explanation::Undocumented {
            stated: Some(_), ..
        } => true,
        // the server stated a documented layer's enforced budget, which the capture reaches
        // only there (`candidates::tighter_than_documented`)
        Explanation::Undocumented { .. }
            if c.support
                .iter()
                .any(|s| matches!(s, Signal::Restated { .. })) =>
        {
            true
        }
        Explanation::Undocumented { .. } if log_proves(c) => true,
        Explanation::Undocumented { .. } if documented_as_well => false,
        Explanation::Undocumented { .. } => c.support.iter().any(|s| {
            matches!(s, Signal::Separation { chance, explained, .. }
                | Signal::BucketFit { chance, explained, settled: true, .. }
                if *chance < SEPARATION_CHANCE && *explained >= SEPARATION_MIN_THROTTLES)
        }),
        _ => false,
    }
}

/// Which partition dimensions traffic from outside the capture shares with the throttle, for
/// each way it arises: the same token; another token of the same client; another client of
/// the same user; another user.
const WAYS: [&[Partition]; 4] = [
    &[],
    &[Partition::Token],
    &[Partition::Token, Partition::Client],
    &[Partition::Token, Partition::Client, Partition::User],
];

/// For each hidden candidate's layer, how many ways of outside traffic fill it first (the
/// layer needing the fewest hidden requests among those that traffic reaches).
fn ways_to_fill(layers: &Layers<'_>, alive: &[Candidate]) -> Vec<(usize, usize)> {
    let hidden: Vec<(usize, u64)> = alive
        .iter()
        .filter_map(|c| match c.explanation {
            Explanation::Hidden { layer, at_least } => Some((layer, at_least)),
            _ => None,
        })
        .collect();
    let mut votes: Vec<(usize, usize)> = hidden.iter().map(|(l, _)| (*l, 0)).collect();
    for differs in WAYS {
        // traffic that differs in these dimensions reaches layers that do not partition by them
        let first = hidden
            .iter()
            .filter(|(l, _)| !layers(*l).per.iter().any(|p| differs.contains(p)))
            .min_by_key(|(_, n)| *n);
        if let Some((l, _)) = first
            && let Some(v) = votes.iter_mut().find(|(k, _)| k == l)
        {
            v.1 += 1;
        }
    }
    votes
}

fn compare(
    layers: &Layers<'_>,
    a: &Candidate,
    b: &Candidate,
    ways: &[(usize, usize)],
    off: &[Preference],
) -> (Ordering, Option<Preference>) {
    for p in Preference::ALL.into_iter().filter(|p| !off.contains(p)) {
        let (x, y) = (value(layers, a, p, ways), value(layers, b, p, ways));
        match y.total_cmp(&x) {
            Ordering::Equal => continue,
            o => return (o, Some(p)),
        }
    }
    (Ordering::Equal, None)
}

fn confidence(first: &Candidate, decided_by: Option<Preference>, alone: bool) -> Confidence {
    let (level, reason) = match first.explanation {
        _ if server_names(first) => (Level::High, Reason::ServerNamesIt),
        Explanation::Hidden { .. } if log_proves(first) => {
            (Level::High, Reason::ServerLogShowsFull)
        }
        Explanation::Undocumented { .. } if log_proves(first) => {
            (Level::Medium, Reason::ServerLogShowsRoom)
        }
        Explanation::Visible {
            basis: Basis::IfRefusalsCount,
            ..
        } => (Level::Low, Reason::IfRefusalsCount),
        // a replay that may charge attempts another limit refused: never more than medium
        Explanation::Visible {
            basis: Basis::Alone,
            ..
        } => (Level::Medium, Reason::AloneRefuses),
        _ if alone => (Level::High, Reason::OnlyOne),
        Explanation::Visible {
            basis: Basis::Exact,
            ..
        } => match decided_by {
            Some(Preference::RetryAfterFits) | None => (Level::High, Reason::ReplayRefuses),
            _ if has(first, |s| matches!(s, Signal::RetryAfterFits { .. })) => {
                (Level::High, Reason::ReplayRefuses)
            }
            _ => (Level::Medium, Reason::ReplayRefuses),
        },
        Explanation::Visible {
            basis: Basis::ServerArrival,
            ..
        } => (Level::High, Reason::ServerArrivalRefuses),
        Explanation::Visible { .. } => (Level::Medium, Reason::ReplayAtEdge),
        Explanation::Hidden { .. } if saw_enough_hidden(first) => {
            (Level::Medium, Reason::ServerSawHidden)
        }
        Explanation::Hidden { .. }
            if has(first, |s| matches!(s, Signal::BodyStatesLayer { .. })) =>
        {
            (Level::Medium, Reason::BodyStatesIt)
        }
        Explanation::Undocumented { .. } if positive(first) => {
            (Level::Medium, Reason::PositiveEvidence)
        }
        Explanation::Unknown => (Level::Low, Reason::NothingFits),
        _ => (Level::Low, Reason::PriorOnly),
    };
    Confidence { level, reason }
}

/// Orders the unrefuted candidates of the throttle at `i` and builds its explanation.
pub fn decide(cx: &Ctx<'_>, i: usize, alive: Vec<Candidate>, refuted: Vec<Candidate>) -> Throttle {
    let r = &cx.capture.requests[i];
    let layers = |k: usize| cx.layer(k);
    let ways = ways_to_fill(&layers, &alive);
    let mut ordered = alive;
    let off = &cx.rules.off_preferences;
    ordered.sort_by(|a, b| compare(&layers, a, b, &ways, off).0);
    let documented = ordered.iter().any(|c| c.explanation.layer().is_some());
    // without a documented explanation, an undocumented one needs positive evidence
    let unknown = ordered.is_empty() || (!documented && !positive(&ordered[0]));
    let mut ranked: Vec<Ranked> = Vec::with_capacity(ordered.len());
    for (k, c) in ordered.iter().enumerate() {
        let below_because = (k > 0)
            .then(|| compare(&layers, &ordered[k - 1], c, &ways, off).1)
            .flatten();
        ranked.push(Ranked {
            candidate: c.clone(),
            below_because,
        });
    }
    let decided_by = ranked.get(1).and_then(|x| x.below_because);
    let mut t = unexplained(
        i as u32,
        r.retry_after().map(|x| x.seconds),
        ranked,
        refuted,
    );
    if unknown {
        let counted = !super::candidates::views(cx, i).is_empty();
        if !counted && outside_every_layer(cx, r) {
            unsized_undocumented(&mut t, Reason::NoDocumentedLayer);
            return t;
        }
        if t.ranked.is_empty() && !counted {
            t.evidence.push(Signal::NoLayer);
        }
        if counted && !documented {
            eliminate(&mut t);
        }
        return t;
    }
    let first = &ordered[0];
    t.explanation = first.explanation;
    t.confidence = confidence(first, decided_by, ordered.len() == 1);
    t.decided_by = decided_by;
    t.evidence = first.support.clone();
    t.against = first.against.clone();
    fill_numbers(cx, &mut t, first);
    t
}

/// A throttle nothing explains yet, with what was weighed for it.
fn unexplained(
    request: u32,
    retry_after_s: Option<f64>,
    ranked: Vec<Ranked>,
    refuted: Vec<Candidate>,
) -> Throttle {
    Throttle {
        request,
        explanation: Explanation::Unknown,
        confidence: Confidence {
            level: Level::Low,
            reason: Reason::NothingFits,
        },
        decided_by: None,
        evidence: Vec::new(),
        against: Vec::new(),
        visible: None,
        limit: None,
        window: None,
        retry_after_s,
        ranked,
        refuted,
        hidden_by: Vec::new(),
        server: None,
    }
}

/// Every explanation ruled out while documented layers count the throttle: those layers did
/// not refuse it (a refutation is a fact about them), so a limit the documentation does not
/// state did, and none of the shapes tried fits. Not in flight together, since a concurrency
/// limit would have been tried on any request it had company for; a burst or a rate by the wait
/// the server asked for, as a window frees room within its length.
fn eliminate(t: &mut Throttle) {
    if !t.refuted.iter().any(|c| c.explanation.layer().is_some()) {
        return;
    }
    unsized_undocumented(t, Reason::DocumentedRuledOut);
}

/// Whether a profile documents the request's API and every layer of every such profile leaves
/// the request out by its method or path — what any HAR shows. A layer that leaves it out for
/// what the capture may not show (a credential a sanitized export removed, a page size not
/// read, a preflight's rules, a response that never came) may still count it.
fn outside_every_layer(cx: &Ctx<'_>, r: &crate::model::Request) -> bool {
    if r.is_preflight || !r.has_response() || r.from_cache {
        return false;
    }
    let host = cx.capture.host(r);
    let path = cx.capture.path(r);
    let path = path.expose_for_computation();
    let mut covering = cx.profiles.iter().filter(|p| p.covers(host)).peekable();
    covering.peek().is_some()
        && covering
            .flat_map(|p| &p.layers)
            .all(|l| !l.accepts_method(&r.method) || !l.accepts_path(path))
}

/// Blames a limit the documentation does not state that the capture cannot size, with low
/// confidence for `reason`: every documented layer counting the throttle ruled out, or none
/// counting it on an API the profile documents.
fn unsized_undocumented(t: &mut Throttle, reason: Reason) {
    t.explanation = Explanation::Undocumented {
        kind: unsized_kind(t.retry_after_s),
        scope: None,
        limit: None,
        window: None,
        stated: None,
    };
    t.confidence = Confidence {
        level: Level::Low,
        reason,
    };
}

/// The kind of a limit the capture cannot size, by the wait the server asked for (a rate when
/// it asked for none).
fn unsized_kind(retry_after_s: Option<f64>) -> LimitKind {
    let wait = retry_after_s
        .filter(|s| s.is_finite())
        .map(crate::model::time::secs);
    LimitKind::of_wait(wait).unwrap_or(LimitKind::Rate)
}

/// The numbers a report shows next to the cause: requests visible in the blamed budget, its
/// limit and window.
fn fill_numbers(cx: &Ctx<'_>, t: &mut Throttle, first: &Candidate) {
    match first.explanation {
        Explanation::Visible { layer, .. } | Explanation::Hidden { layer, .. } => {
            let l = cx.layer(layer);
            let refusals = l.count_rejected == Some(true)
                || matches!(
                    first.explanation,
                    Explanation::Visible {
                        basis: Basis::IfRefusalsCount | Basis::Alone,
                        ..
                    }
                );
            let v = cx.eval.layers[layer].view(t.request as usize);
            t.visible = v.map(|v| {
                if refusals {
                    v.attempts_before
                } else {
                    v.admitted_before
                }
            });
            t.limit = Some(l.limit());
            t.window = (l.kind() == crate::profiles::Kind::Rate).then(|| l.window());
        }
        Explanation::Undocumented { limit, window, .. } => {
            t.limit = limit;
            t.window = window;
            t.visible = first.support.iter().find_map(|s| match *s {
                Signal::StatesLimit { visible, .. } => visible,
                Signal::Around { possible, .. } => Some(possible as u64 + 1),
                _ => None,
            });
        }
        Explanation::Unknown => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::context::Scope;
    use crate::diagnose::signal::Counter;
    use crate::model::{Method, time};
    use crate::profiles::{Limiter, PathFilter};

    #[test]
    fn documented_layers_ruled_out_leave_a_limit_the_documentation_does_not_state() {
        let hidden = Candidate::new(Explanation::Hidden {
            layer: 0,
            at_least: 81,
        });
        let mut t = unexplained(0, Some(1.0), Vec::new(), vec![hidden.clone()]);
        eliminate(&mut t);
        assert!(matches!(
            t.explanation,
            Explanation::Undocumented {
                kind: LimitKind::Burst,
                limit: None,
                window: None,
                stated: None,
                ..
            }
        ));
        assert_eq!(t.confidence.reason, Reason::DocumentedRuledOut);
        // a wait longer than a burst's horizon points to a longer window
        let mut t = unexplained(0, Some(45.0), Vec::new(), vec![hidden]);
        eliminate(&mut t);
        assert!(matches!(
            t.explanation,
            Explanation::Undocumented {
                kind: LimitKind::Rate,
                ..
            }
        ));
        // no documented layer ruled out: nothing to conclude from
        let guess = Candidate::new(Explanation::Undocumented {
            kind: LimitKind::Concurrency,
            scope: None,
            limit: Some(1),
            window: None,
            stated: None,
        });
        let mut t = unexplained(0, Some(1.0), Vec::new(), vec![guess]);
        eliminate(&mut t);
        assert_eq!(t.explanation, Explanation::Unknown);
    }

    fn window(name: &str, limit: u64, per: &[Partition]) -> Layer {
        let mut l = Layer::new(
            name,
            Limiter::Window {
                limit,
                window: 60 * time::SECOND,
                anchor: None,
            },
        );
        l.per = per.to_vec();
        l
    }

    /// 0: per user+client 300/min; 1: per user 3000/min; 2: PUT /x/{id} per token 100/min;
    /// 3: per user 5000/min.
    fn layers() -> Vec<Layer> {
        let mut put = window("put", 100, &[Partition::Token]);
        put.methods = vec![Method::Put];
        put.templates = vec![PathFilter::new("/x/{id}").unwrap()];
        vec![
            window("app.user", 300, &[Partition::User, Partition::Client]),
            window("user", 3000, &[Partition::User]),
            put,
            window("user.big", 5000, &[Partition::User]),
        ]
    }

    fn visible(layer: usize, basis: Basis) -> Candidate {
        Candidate::new(Explanation::Visible { layer, basis })
    }

    fn hidden(layer: usize, at_least: u64) -> Candidate {
        Candidate::new(Explanation::Hidden { layer, at_least })
    }

    fn undocumented(chance: f64) -> Candidate {
        let mut c = Candidate::new(Explanation::Undocumented {
            kind: crate::diagnose::LimitKind::Concurrency,
            scope: Some(Scope::Endpoint),
            limit: Some(1),
            window: None,
            stated: None,
        });
        c.support.push(Signal::Separation {
            window: None,
            scope: Scope::Endpoint,
            limit: 1,
            explained: 3,
            runs: 3,
            cumulative: false,
            throttled: 3,
            successes: 9,
            chance,
            tried: 1,
        });
        c
    }

    /// Which of two candidates ranks first, and the rule that decided.
    fn winner(a: &Candidate, b: &Candidate) -> (usize, Option<Preference>) {
        let ls = layers();
        let get = |k: usize| &ls[k];
        let ways = ways_to_fill(&get, &[a.clone(), b.clone()]);
        match compare(&get, a, b, &ways, &[]) {
            (Ordering::Greater, p) => (1, p),
            (_, p) => (0, p),
        }
    }

    #[test]
    fn a_counter_on_the_throttle_beats_the_capture_s_own_traffic() {
        let mut h = hidden(1, 10);
        h.support.push(Signal::ServerCount {
            layer: 1,
            counter: Counter {
                quote: None,
                used: 3001,
                limit: 3000,
            },
            visible: 10,
            at: 0,
            on_throttle: true,
        });
        let v = visible(0, Basis::Exact);
        assert_eq!(winner(&v, &h), (1, Some(Preference::ServerNamesIt)));
    }

    #[test]
    fn the_capture_s_own_traffic_beats_hidden_traffic_and_exact_beats_edge() {
        assert_eq!(
            winner(&hidden(1, 5), &visible(0, Basis::Edge)),
            (1, Some(Preference::CapturesOwnTraffic))
        );
        assert_eq!(
            winner(&visible(1, Basis::Edge), &visible(0, Basis::Exact)),
            (1, Some(Preference::StrongerReplay))
        );
        assert_eq!(
            winner(
                &visible(1, Basis::IfRefusalsCount),
                &visible(0, Basis::Edge)
            ),
            (1, Some(Preference::CapturesOwnTraffic))
        );
    }

    #[test]
    fn the_capture_deciding_alone_yields_to_positive_evidence_and_beats_an_assumption() {
        assert_eq!(
            winner(&visible(0, Basis::Alone), &undocumented(0.001)),
            (1, Some(Preference::PositiveEvidence))
        );
        assert_eq!(
            winner(&hidden(1, 5), &visible(0, Basis::Alone)),
            (1, Some(Preference::AloneRefuses))
        );
        assert_eq!(
            winner(
                &visible(1, Basis::IfRefusalsCount),
                &visible(0, Basis::Alone)
            ),
            (1, Some(Preference::AloneRefuses))
        );
        // a replay of the capture's admitted requests alone is the stronger fact
        assert_eq!(
            winner(&visible(1, Basis::Alone), &visible(0, Basis::Edge)),
            (1, Some(Preference::CapturesOwnTraffic))
        );
    }

    #[test]
    fn a_spent_counter_naming_no_documented_layer_outranks_hidden_traffic_the_server_saw() {
        // hidden traffic on layer 1 needing 237 requests, with a counter on an earlier success
        let hidden_seen = |used: u64| {
            let mut h = hidden(1, 237);
            h.support.push(Signal::ServerCount {
                layer: 1,
                counter: Counter {
                    quote: None,
                    used,
                    limit: 249,
                },
                visible: 11,
                at: 0,
                on_throttle: false,
            });
            h
        };
        // a limit of 1 per 3 s the response states
        let stated = |by| {
            let mut c = Candidate::new(Explanation::Undocumented {
                kind: crate::diagnose::LimitKind::Burst,
                scope: Some(Scope::Endpoint),
                limit: Some(1),
                window: Some(3 * time::SECOND),
                stated: Some(by),
            });
            c.support.push(Signal::StatesLimit {
                by,
                limit: Some(1),
                window: Some(3 * time::SECOND),
                scope: Some(Scope::Endpoint),
                visible: Some(1),
            });
            c
        };
        let (h, u) = (hidden_seen(13), stated(StatedBy::Counter));
        assert_eq!(winner(&h, &u), (1, Some(Preference::ServerNamesIt)));
        // as a layer's own full counter does, it outranks the capture's own traffic on
        // another layer: servers report the limit that refused
        assert_eq!(
            winner(&visible(0, Basis::Exact), &u),
            (1, Some(Preference::ServerNamesIt))
        );
        assert_eq!(
            confidence(&u, Some(Preference::ServerNamesIt), false).reason,
            Reason::ServerNamesIt
        );
        // a body stating a limit is positive evidence: below a counter that saw as much hidden
        // traffic as the throttle needs, above one that saw a little
        let b = stated(StatedBy::Body);
        assert_eq!(winner(&h, &b), (1, Some(Preference::PositiveEvidence)));
        let full = hidden_seen(247);
        assert!(saw_enough_hidden(&full) && !saw_enough_hidden(&h));
        assert_eq!(winner(&full, &b), (0, Some(Preference::ServerSawHidden)));
    }

    #[test]
    fn a_replay_that_assumes_refusals_count_yields_to_positive_evidence_only() {
        // the capture's split outranks what the documentation does not say
        assert_eq!(
            winner(&visible(0, Basis::IfRefusalsCount), &undocumented(0.001)),
            (1, Some(Preference::PositiveEvidence))
        );
        // without positive evidence the assumption still beats an undocumented limit and
        // hidden traffic
        assert_eq!(
            winner(&undocumented(0.5), &visible(0, Basis::IfRefusalsCount)),
            (1, Some(Preference::IfRefusalsCount))
        );
        assert_eq!(
            winner(&hidden(1, 5), &visible(0, Basis::IfRefusalsCount)),
            (1, Some(Preference::IfRefusalsCount))
        );
    }

    #[test]
    fn retry_after_matching_the_replay_picks_the_layer() {
        let mut a = visible(1, Basis::Exact);
        a.support.push(Signal::RetryAfterFits {
            layer: 1,
            retry_after_s: 12.0,
            frees_in: 11_500_000,
        });
        assert_eq!(
            winner(&visible(0, Basis::Exact), &a),
            (1, Some(Preference::RetryAfterFits))
        );
    }

    #[test]
    fn hidden_traffic_the_server_counted_beats_a_separation() {
        let mut h = hidden(0, 200);
        h.support.push(Signal::ServerCount {
            layer: 0,
            counter: Counter {
                quote: None,
                used: 250,
                limit: 300,
            },
            visible: 40,
            at: 0,
            on_throttle: false,
        });
        assert_eq!(
            winner(&undocumented(0.001), &h),
            (1, Some(Preference::ServerSawHidden))
        );
    }

    #[test]
    fn room_the_server_showed_just_before_the_throttle_demotes_hidden_traffic() {
        let mut h = hidden(0, 200);
        h.against.push(Signal::RoomAtTheMoment {
            layer: 0,
            counter: Counter {
                quote: None,
                used: 100,
                limit: 300,
            },
            at: 0,
            gap: 12_000,
            between: 0,
            room: 200,
        });
        // no positive evidence for the undocumented limit, yet the quiet-capture prior no
        // longer decides: the server said the layer had room a moment before
        assert_eq!(
            winner(&h, &undocumented(0.5)),
            (1, Some(Preference::ServerShowedRoom))
        );
        // among hidden layers, the one the server did not show with room leads
        assert_eq!(
            winner(&h, &hidden(1, 2900)),
            (1, Some(Preference::ServerShowedRoom))
        );
    }

    #[test]
    fn a_bucket_fitted_to_the_capture_s_own_load_is_positive_evidence_when_not_a_coincidence() {
        let fitted = |chance: f64| {
            let mut c = Candidate::new(Explanation::Undocumented {
                kind: crate::diagnose::LimitKind::Burst,
                scope: Some(Scope::Caller),
                limit: Some(13),
                window: Some(2 * time::SECOND),
                stated: None,
            });
            c.support.push(Signal::BucketFit {
                scope: Scope::Caller,
                capacity: 13,
                rate_per_s: 6.5,
                charged: false,
                explained: 20,
                throttled: 22,
                successes: 60,
                chance,
                settled: true,
                pinned: true,
                tried: 1,
            });
            c
        };
        assert_eq!(
            winner(&hidden(0, 40), &fitted(0.03)),
            (1, Some(Preference::PositiveEvidence))
        );
        // a fit the rotated outcomes match as often is no evidence
        assert_eq!(
            winner(&fitted(0.3), &hidden(0, 40)),
            (1, Some(Preference::QuietCapture))
        );
        // against a window count's split, the less likely coincidence leads
        assert_eq!(
            winner(&undocumented(0.04), &fitted(0.03)),
            (1, Some(Preference::Clearer))
        );
    }

    #[test]
    fn positive_evidence_beats_an_unsupported_hidden_layer_and_quiet_captures_favour_hidden() {
        assert_eq!(
            winner(&hidden(0, 290), &undocumented(0.001)),
            (1, Some(Preference::PositiveEvidence))
        );
        // a split as likely as not is no evidence: hidden traffic on a documented layer first
        assert_eq!(
            winner(&undocumented(0.5), &hidden(0, 290)),
            (1, Some(Preference::QuietCapture))
        );
        assert_eq!(
            winner(&undocumented(0.01), &undocumented(0.001)),
            (1, Some(Preference::Clearer))
        );
        // a split a documented layer's own count makes more cleanly is no evidence
        let mut outdone = undocumented(0.001);
        outdone.against.push(Signal::DocumentedSplitsAsWell {
            layer: 0,
            limit: 20,
            explained: 3,
            throttled: 3,
            successes: 9,
            chance: 0.0001,
        });
        assert!(!positive(&outdone));
        assert_eq!(
            winner(&outdone, &hidden(0, 290)),
            (1, Some(Preference::QuietCapture))
        );
    }

    #[test]
    fn a_split_of_time_order_is_no_evidence_and_hidden_traffic_leads() {
        let mut split = undocumented(0.001);
        if let Some(Signal::Separation {
            runs, cumulative, ..
        }) = split.support.last_mut()
        {
            (*runs, *cumulative) = (1, true);
        }
        assert!(positive(&split));
        split.against.push(Signal::TimeOrderSplit { layer: 1 });
        assert!(!positive(&split));
        assert_eq!(
            winner(&split, &hidden(1, 290)),
            (1, Some(Preference::QuietCapture))
        );
    }

    #[test]
    fn a_retry_refused_after_a_quiet_wait_takes_a_split_for_no_evidence() {
        let mut refused = undocumented(0.001);
        refused.explanation = Explanation::Undocumented {
            kind: LimitKind::Rate,
            scope: Some(Scope::Endpoint),
            limit: Some(1),
            window: Some(30 * crate::model::time::SECOND),
            stated: None,
        };
        assert!(positive(&refused));
        refused.against.push(Signal::RetryRefusedAfterQuietWait {
            waited_s: 2.0,
            throttle: 0,
            retry: 1,
        });
        assert!(!positive(&refused));
        assert_eq!(
            winner(&refused, &hidden(0, 290)),
            (1, Some(Preference::QuietCapture))
        );
        // a limit the response states stays positive evidence whoever filled it
        let mut stated = refused.clone();
        stated.explanation = Explanation::Undocumented {
            kind: LimitKind::Rate,
            scope: None,
            limit: Some(10),
            window: None,
            stated: Some(StatedBy::Body),
        };
        assert!(positive(&stated));
    }

    #[test]
    fn what_the_body_states_and_a_failed_retry_favour_hidden_layers() {
        let mut b = hidden(1, 2900);
        b.support.push(Signal::BodyStatesLayer { layer: 1 });
        assert_eq!(
            winner(&hidden(0, 200), &b),
            (1, Some(Preference::BodyStatesIt))
        );
        let mut r = hidden(0, 200);
        r.support.push(Signal::RetryFailedAfterWait {
            first_s: 30.0,
            second_s: 28.0,
        });
        assert_eq!(
            winner(&undocumented(0.5), &r),
            (1, Some(Preference::RetryPersisted))
        );
    }

    #[test]
    fn among_hidden_layers_the_one_filled_first_in_more_ways_leads() {
        // traffic of the same token or client fills app.user (10 to go) first; traffic of
        // other clients of the user reaches only `user`
        assert_eq!(
            winner(&hidden(1, 100), &hidden(0, 10)),
            (1, Some(Preference::MostWaysToFill))
        );
        // a request of the layer admitted next to the throttle counts against it
        let mut near = hidden(0, 10);
        near.against.push(Signal::NeighbourAdmitted {
            layer: 0,
            request: 0,
        });
        assert_eq!(
            winner(&near, &hidden(1, 100)),
            (1, Some(Preference::NoRoomSeen))
        );
        // both per user: the same ways reach them, the one needing less leads
        assert_eq!(
            winner(&hidden(3, 4000), &hidden(1, 2900)).0,
            1,
            "3000/min needs fewer than 5000/min"
        );
    }

    #[test]
    fn equal_evidence_blames_the_narrower_layer() {
        assert_eq!(
            winner(&visible(1, Basis::Exact), &visible(2, Basis::Exact)),
            (1, Some(Preference::MoreSpecific))
        );
    }

    #[test]
    fn confidence_says_why() {
        let mut h = hidden(1, 10);
        h.support.push(Signal::BodyNamesLayer { layer: 1 });
        assert_eq!(confidence(&h, None, false).level, Level::High);
        assert_eq!(
            confidence(&visible(0, Basis::IfRefusalsCount), None, false).reason,
            Reason::IfRefusalsCount
        );
        assert_eq!(
            confidence(&hidden(0, 5), Some(Preference::MostWaysToFill), false),
            Confidence {
                level: Level::Low,
                reason: Reason::PriorOnly
            }
        );
        assert_eq!(
            confidence(&hidden(0, 5), None, true).reason,
            Reason::OnlyOne
        );
        assert_eq!(
            confidence(
                &undocumented(0.001),
                Some(Preference::PositiveEvidence),
                false
            )
            .level,
            Level::Medium
        );
    }
}

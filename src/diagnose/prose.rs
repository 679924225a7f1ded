//! Prose: every sentence a report shows about a throttle, rendered from typed values.
//!
//! Owns the wording of signals, explanations, refutations, preferences and confidence. It only
//! formats numbers it is handed (never recomputes one) and names only allow-listed things:
//! layer names, budgets, endpoint templates, client labels, times, counts, header names with
//! values the response wrote verbatim. Pure.

use crate::evaluate::Evaluation;
use crate::model::{Capture, Micros, Request, time};
use crate::profiles::{Anchor, Kind, Layer, Limiter, Profile};

use super::context::Scope;
use super::rank::{Confidence, Level, Preference, Reason};
use super::refute::Refutation;
use super::signal::{Basis, Counter, Signal, StatedBy};
use super::thresholds::NEIGHBOUR;
use super::{Explanation, LimitKind};
use crate::join::WindowProof;

/// What prose needs to name things.
#[derive(Clone, Copy)]
pub struct Names<'a> {
    /// The capture.
    pub capture: &'a Capture,
    /// Active profiles.
    pub profiles: &'a [Profile],
    /// The replays.
    pub eval: &'a Evaluation,
}

impl<'a> Names<'a> {
    /// Names over an analysis' parts.
    pub fn new(capture: &'a Capture, profiles: &'a [Profile], eval: &'a Evaluation) -> Self {
        Names {
            capture,
            profiles,
            eval,
        }
    }

    /// The layer behind an evaluation index.
    pub fn layer(&self, k: usize) -> &'a Layer {
        let le = &self.eval.layers[k];
        &self.profiles[le.profile].layers[le.layer]
    }

    fn clock(&self, t: Micros) -> String {
        time::clock_local(t, self.capture.utc_offset_s())
    }

    fn endpoint(&self, r: &Request) -> String {
        format!("{} {}", r.method.as_str(), self.capture.template(r))
    }

    /// `org.user.rate.per.minute (3000 / 60 s, per user)`.
    pub fn layer_label(&self, k: usize) -> String {
        let l = self.layer(k);
        format!(
            "{} ({}, per {})",
            l.name,
            l.budget_label(),
            l.partition_label()
        )
    }
}

/// Seconds without a trailing `.0`.
pub fn fmt_s(s: f64) -> String {
    time::number_label((s * 10.0).round() / 10.0)
}

/// A fitted rate per second to two significant digits: `6.5`, `0.13`, `12`.
fn fmt_rate(per_s: f64) -> String {
    if !(per_s.is_finite() && per_s > 0.0) {
        return time::number_label(0.0);
    }
    let scale = 10f64.powi(1 - per_s.log10().floor() as i32);
    time::number_label((per_s * scale).round() / scale)
}

pub use crate::model::words::count;

/// `inin-ratelimit-count: 26` when quotable, else `the server's counter (26 of 25)`.
fn counter_text(c: &Counter) -> String {
    match c.quote.as_deref() {
        Some((name, value)) => format!("`{name}: {value}`"),
        None => format!("the server's counter ({} of {})", c.used, c.limit),
    }
}

/// `requests to this endpoint by this caller`.
fn scope_text(scope: Scope) -> &'static str {
    match scope {
        Scope::Resource => "requests to the same record by this caller",
        Scope::Endpoint => "requests to this endpoint by this caller",
        Scope::Caller => "requests by this caller",
        Scope::User => "requests by this user (every client)",
    }
}

/// `to this endpoint by this caller`, to follow a count of requests.
fn scope_tail(scope: Scope) -> &'static str {
    match scope {
        Scope::Resource => "to the same record by this caller",
        Scope::Endpoint => "to this endpoint by this caller",
        Scope::Caller => "by this caller",
        Scope::User => "by this user (every client)",
    }
}

fn around_text(window: Option<Micros>) -> String {
    match window {
        None => "in flight".to_string(),
        Some(w) => format!("started within {}", time::window_label(w)),
    }
}

/// What the layer's replay measured, in its own terms. A window: the requests it admitted over
/// the window's length before the throttle (and the attempts, where more), then the use the
/// replay decided with — always for a fixed window (its current window, not the last window's
/// length), for a sliding window only where costs or charged attempts make the use exceed the
/// count; a window whose resets the server announced states the use alone, no length. Where
/// the throttle itself costs more than one, that cost too.
fn measured(l: &Layer, m: &Measured) -> String {
    let Measured {
        admitted,
        attempts,
        level,
        capacity,
        cost,
    } = *m;
    let costing = if cost > 1 {
        format!(", this request costing {cost}")
    } else {
        String::new()
    };
    match &l.limiter {
        // the longest countdown the server announced is no window length
        Limiter::Window {
            anchor: Some(Anchor::Announced),
            ..
        } => format!(
            "had {} of its {} in use {SINCE_ANNOUNCED}{costing}",
            time::number_label(level),
            time::number_label(capacity)
        ),
        Limiter::Window { anchor, .. } => {
            let counted = window_count(l, admitted, Some(attempts));
            // a sliding window's use differs from the count only by costs or charged attempts
            // (requests starting with the throttle, ordered after it, are counted but not yet
            // in use)
            if anchor.is_none() && level <= admitted as f64 {
                return format!("{counted}{costing}");
            }
            let span = if anchor.is_some() {
                "its current window"
            } else {
                "that window"
            };
            format!(
                "{counted}, {} of its {} in use in {span}{costing}",
                time::number_label(level),
                time::number_label(capacity)
            )
        }
        Limiter::SlidingCounter { .. } => format!(
            "estimated {} of its {} in use{costing}",
            time::number_label(level),
            time::number_label(capacity)
        ),
        Limiter::Bucket { .. } => format!(
            "held {} of {} in its bucket ({} admitted in the last {}){costing}",
            time::number_label(level),
            time::number_label(capacity),
            admitted,
            time::human_duration(l.window())
        ),
        Limiter::Concurrency { .. } => format!(
            "had {} in flight",
            count(admitted, "admitted request", "admitted requests")
        ),
    }
}

/// The span of a window whose resets the server announced: its longest countdown is no length.
const SINCE_ANNOUNCED: &str = "since the reset the server last announced";

/// A window's admitted requests (and `attempts`, where given and more) over its length before the
/// throttle; since the last announced reset for a window whose resets the server announced,
/// whose longest countdown is no length.
fn window_count(l: &Layer, admitted: u64, attempts: Option<u64>) -> String {
    let tried = match attempts {
        Some(n) if n > admitted => format!(" (of {})", count(n, "attempt", "attempts")),
        _ => String::new(),
    };
    let admitted = count(admitted, "admitted request", "admitted requests");
    match &l.limiter {
        Limiter::Window {
            anchor: Some(Anchor::Announced),
            ..
        } => format!("counted {admitted}{tried} {SINCE_ANNOUNCED}"),
        _ => format!(
            "counted {admitted}{tried} in the {} before it",
            time::window_label(l.window())
        ),
    }
}

/// The numbers of a layer's replay at a throttle that `measured` words.
struct Measured {
    admitted: u64,
    attempts: u64,
    level: f64,
    capacity: f64,
    /// What the throttle itself costs in the layer.
    cost: u64,
}

/// The penalty of a layer whose replay says one opened by an earlier refusal was still
/// running at the throttle (`Replay::penalized`).
fn penalty_running(l: &Layer, penalized: bool) -> Option<Micros> {
    l.penalty.filter(|_| penalized)
}

/// The capture's own traffic refusing the throttle at its recorded times (`Basis::Exact`):
/// `label` is the layer's, `m` the replay's numbers.
fn refused_exact(label: &str, l: &Layer, m: &Measured, penalized: bool) -> String {
    let what = measured(l, m);
    match penalty_running(l, penalized) {
        Some(p) => format!(
            "{label} {what}: the capture's own traffic had used up its budget earlier, and the penalty of {} that opened was still running",
            time::human_duration(p)
        ),
        None => format!("{label} {what}: the capture's own traffic used up its budget"),
    }
}

/// The layer's limiter, deciding the capture's attempts alone, refusing the throttle
/// (`Basis::Alone`): `m.level` is that lone limiter's use, the counts the capture's.
fn refused_alone(label: &str, l: &Layer, m: &Measured, penalized: bool) -> String {
    // the use it states is the lone limiter's, not the admitted requests'
    let what = match &l.limiter {
        Limiter::Window { .. } => window_count(l, m.admitted, None),
        _ => measured(l, m),
    };
    let penalty = penalty_running(l, penalized)
        .map(|p| {
            format!(
                "; the penalty of {} its earlier refusal opened was still running",
                time::human_duration(p)
            )
        })
        .unwrap_or_default();
    format!(
        "{label} {what}, of {}; its limiter, deciding each of them as if no traffic came from elsewhere, refuses this request all the same ({} of {} in use{penalty})",
        count(m.attempts, "attempt", "attempts"),
        time::number_label(m.level),
        time::number_label(m.capacity)
    )
}

/// One signal as a sentence.
pub fn signal(n: &Names<'_>, s: &Signal, throttle: &Request) -> String {
    match s {
        Signal::ServerLog {
            layer,
            visible,
            hidden,
            senders,
            limit,
            proof,
        } => {
            let l = n.layer(*layer);
            let outside = format!(
                "{} from outside the capture ({})",
                count(*hidden, "request", "requests"),
                count(*senders as u64, "sender", "senders")
            );
            match proof {
                WindowProof::Full => format!(
                    "the server's log shows {} full: {outside} beside the capture's {visible}; replayed together they refuse this request",
                    n.layer_label(*layer)
                ),
                WindowProof::Room => format!(
                    "the server's log holds every request {} counted in the window: the capture's {visible} and {outside}, under its limit of {limit}, yet the request was refused",
                    l.name
                ),
                WindowProof::Bounds { at_least, at_most } => format!(
                    "the server's aggregated log puts between {at_least} and {at_most} requests {} counted in the window: it cannot say whether the budget of {limit} was used up",
                    l.name
                ),
                WindowProof::Uncovered => format!(
                    "the server's log shows {outside} in {}'s window but does not cover all of it: it cannot show room",
                    l.name
                ),
            }
        }
        Signal::Replay {
            layer,
            admitted,
            attempts,
            level,
            capacity,
            cost,
            penalized,
            refused,
            hidden_needed,
        } => {
            let l = n.layer(*layer);
            let label = n.layer_label(*layer);
            let m = Measured {
                admitted: *admitted,
                attempts: *attempts,
                level: *level,
                capacity: *capacity,
                cost: *cost,
            };
            let what = measured(l, &m);
            match refused {
                Some(Basis::Exact) => refused_exact(&label, l, &m, *penalized),
                Some(Basis::Edge) => format!(
                    "{label} {what}; counting the requests within {} of it or of the window's start, whose order at the server is uncertain, its budget was used up",
                    time::human_duration(super::thresholds::EDGE)
                ),
                Some(Basis::ServerArrival) => format!(
                    "{label} {what} by the HAR's times; at the arrival times the server's log gives the capture's own requests, its budget was used up"
                ),
                Some(Basis::Alone) => refused_alone(&label, l, &m, *penalized),
                Some(Basis::IfRefusalsCount) => format!(
                    "{} counted {} in the window but only {} admitted: its budget was used up if refused attempts count",
                    n.layer_label(*layer),
                    count(*attempts, "attempt", "attempts"),
                    admitted
                ),
                None => format!(
                    "{} {what}: {} from outside the capture would be needed to refuse this request",
                    n.layer_label(*layer),
                    at_least(*hidden_needed, l)
                ),
            }
        }
        Signal::ServerCount {
            layer,
            counter,
            visible,
            at,
            on_throttle,
        } => {
            let name = &n.layer(*layer).name;
            let text = counter_text(counter);
            let when = if *on_throttle {
                format!("on the {}", status_word(throttle))
            } else {
                format!("on the success at {}", n.clock(*at))
            };
            if counter.used < counter.limit && *on_throttle {
                format!(
                    "{text} {when}: the server's counter for {name} still had room ({} of {})",
                    counter.used, counter.limit
                )
            } else if counter.used > visible + super::thresholds::COUNTER_TOLERANCE {
                format!(
                    "{text} {when}: the server counted {} in {name} where the capture's own requests account for at most {}, so at least {} came from elsewhere",
                    counter.used,
                    visible,
                    counter.used - visible
                )
            } else {
                format!(
                    "{text} {when}: the server counted {} in {name}, no more than the capture's own requests can account for ({visible}): no sign of traffic from elsewhere in it",
                    counter.used
                )
            }
        }
        Signal::RoomAtTheMoment {
            layer,
            counter,
            at,
            gap,
            between,
            room,
        } => format!(
            "{} on the success at {}, {} before it: {} had room for {} more after the capture's {} in between, so at least as many from elsewhere would have had to arrive in those {}",
            counter_text(counter),
            n.clock(*at),
            time::human_duration(*gap),
            n.layer(*layer).name,
            room,
            count(*between, "admitted request", "admitted requests"),
            time::human_duration(*gap)
        ),
        Signal::RetryAfterFits {
            layer,
            retry_after_s,
            frees_in,
        } => format!(
            "Retry-After {} s matches the {} until the capture's own requests leave room in {}",
            fmt_s(*retry_after_s),
            time::human_duration(*frees_in),
            n.layer(*layer).name
        ),
        Signal::RetryAfterTooLong {
            layer,
            retry_after_s,
            longest,
            ..
        } => format!(
            "Retry-After {} s is longer than {} can ask to wait ({})",
            fmt_s(*retry_after_s),
            n.layer(*layer).name,
            time::human_duration(*longest)
        ),
        Signal::BodyNamesLayer { layer } => format!(
            "the {} body names the limit `{}`",
            status_word(throttle),
            n.layer(*layer).name
        ),
        Signal::BodyNamesOther => format!(
            "the {} body names a limit that is not a layer of the active profile",
            status_word(throttle)
        ),
        Signal::BodyStatesLayer { layer } => {
            let l = n.layer(*layer);
            format!(
                "the {} body states the numbers of {} ({})",
                status_word(throttle),
                l.name,
                l.budget_label()
            )
        }
        Signal::Restated {
            layer,
            documented,
            statements,
        } => {
            let l = n.layer(*layer);
            format!(
                "the server states the budget of {} as {} ({}) where the documentation gives {documented}; the capture is replayed with the server's numbers",
                l.name,
                l.budget_label(),
                count(*statements as u64, "statement", "statements")
            )
        }
        Signal::StatesLimit {
            by,
            limit,
            window,
            scope,
            visible,
        } => {
            let stated = stated_text(*limit, *window);
            let mut s = match by {
                StatedBy::Body => format!(
                    "the {} body states {stated}, which no layer of the active profile counting this request documents",
                    status_word(throttle)
                ),
                StatedBy::Counter => format!(
                    "the server's counter on the {} reports {stated} used up, which no layer of the active profile counting this request documents",
                    status_word(throttle)
                ),
                StatedBy::SharedCounter => format!(
                    "the server's counter on the {} reports {stated} used up, which no layer of the active profile counting this request documents (a layer has that budget only because the server stated the others' otherwise)",
                    status_word(throttle)
                ),
            };
            // without a window, a scope is the one whose count in flight splits the throttles
            // at the stated number (`candidates::splits_in_flight_at`)
            if let (None, Some(sc)) = (window, scope) {
                s.push_str(&format!(
                    "; the count of admitted {} in flight with a request splits the throttles from the successes at that number, so it counts requests in flight",
                    scope_text(*sc)
                ));
            }
            if let (Some(v), Some(lim), Some(w), Some(sc)) = (visible, limit, window, scope) {
                let label = time::window_label(*w);
                if *v >= *lim {
                    s.push_str(&format!(
                        "; the capture shows {v} admitted {} in the {label} before it, enough to reach it",
                        scope_text(*sc)
                    ));
                } else {
                    s.push_str(&format!(
                        "; the capture shows only {} ({}) in the {label} before it, so at least {} more came from elsewhere or the limit counts more widely",
                        count(*v, "admitted request", "admitted requests"),
                        scope_text(*sc),
                        lim - v
                    ));
                }
            }
            s
        }
        Signal::Separation {
            window,
            scope,
            limit,
            explained,
            throttled,
            successes,
            chance,
            ..
        } => format!(
            "{explained} of the {} among {} came with ≥{} {} {}, and all {} with fewer: a split this clean arises by chance {} of the time",
            count(*throttled as u64, "throttle", "throttles"),
            scope_text(*scope),
            limit,
            if *limit == 1 { "other" } else { "others" },
            around_text(*window),
            count(*successes as u64, "success", "successes"),
            percent(*chance)
        ),
        Signal::LayerSplitsAsWell {
            layer,
            scope,
            explained,
            throttled,
            successes_counted,
            successes,
            chance,
        } => format!(
            "{} counts {explained} of the {} among {} and {successes_counted} of its {} (a chance of {}): the requests that layer counts split them at least as cleanly, so traffic from outside the capture filling it fits the split as well",
            n.layer(*layer).name,
            count(*throttled as u64, "throttle", "throttles"),
            scope_text(*scope),
            count(*successes as u64, "success", "successes"),
            percent(*chance)
        ),
        Signal::DocumentedSplitsAsWell {
            layer,
            limit,
            explained,
            throttled,
            successes,
            chance,
        } => format!(
            "{} splits at least as cleanly by its own count of the capture's admitted requests: {explained} of the {} of its partition came at ≥{limit}, all {} below (a chance of {}); traffic from outside the capture, or the capture's refused attempts, steadily on top of that count fit the split as well",
            n.layer(*layer).name,
            count(*throttled as u64, "throttle", "throttles"),
            count(*successes as u64, "success", "successes"),
            percent(*chance)
        ),
        Signal::TimeOrderSplit { layer } => format!(
            "every throttle its split explains counted every earlier success of its scope: that count is a running total, so the split says only that a budget ran out once and stayed out, which traffic from outside the capture filling {} explains as well",
            n.layer(*layer).name
        ),
        Signal::BucketFit {
            scope,
            capacity,
            rate_per_s,
            pinned,
            charged,
            explained,
            throttled,
            successes,
            chance,
            settled,
            ..
        } => format!(
            "replaying {} through a bucket of {} refilled at {}/s{}{}: it admits every one of the {} and refuses {explained} of the {}; the same outcomes rotated onto other requests of the group fit a bucket as well {}{} of the time (allowing for the scopes tried)",
            scope_text(*scope),
            count(*capacity as u64, "token", "tokens"),
            fmt_rate(*rate_per_s),
            if *pinned { "" } else { " or slower" },
            if *charged {
                ", refused attempts taking a token too"
            } else {
                ""
            },
            count(*successes as u64, "success", "successes"),
            count(*throttled as u64, "throttle", "throttles"),
            if *settled { "" } else { "at least " },
            percent(*chance)
        ),
        Signal::Around {
            window,
            scope,
            possible,
        } => format!(
            "{} {} {}",
            count(
                *possible as u64,
                "other admitted request",
                "other admitted requests"
            ),
            scope_tail(*scope),
            match (window, possible) {
                (None, 1) => "was in flight with it".to_string(),
                (None, _) => "were in flight with it".to_string(),
                (Some(w), _) => format!("started within {} before it", time::window_label(*w)),
            }
        ),
        Signal::SuccessAsCrowded {
            window,
            scope,
            sure,
            possible,
        } => match window {
            None => format!(
                "a success among {} had {} {} for sure, as many as this throttle had at most ({possible}): no limit on that count refuses one and admits the other",
                scope_text(*scope),
                count(*sure as u64, "other", "others"),
                around_text(*window)
            ),
            Some(_) => format!(
                "a success among {} had {} {} for sure, at least twice the {possible} this throttle had at most: no limit on that count, whatever its algorithm, refuses one and admits the other",
                scope_text(*scope),
                count(*sure as u64, "other", "others"),
                around_text(*window)
            ),
        },
        Signal::RetryFailedAfterWait { first_s, second_s } => format!(
            "a retry after the full Retry-After ({} s) was throttled again with Retry-After {} s: the budget stayed in use",
            fmt_s(*first_s),
            fmt_s(*second_s)
        ),
        Signal::RetryRefusedAfterQuietWait {
            waited_s,
            throttle: first,
            retry,
        } => {
            let (first, retry) = (
                &n.capture.requests[*first as usize],
                &n.capture.requests[*retry as usize],
            );
            let how = format!(
                "waited the full Retry-After ({} s, a wait that counts down across the endpoint's throttles) with nothing else of the capture sent to the host meanwhile, and was refused again: a limit counting only the capture's requests would have had room, so the count that splits the throttles is no evidence of one",
                fmt_s(*waited_s)
            );
            if retry.entry == throttle.entry {
                format!("it retried the throttle at {}, {how}", n.clock(first.start))
            } else {
                format!("its retry at {} {how}", n.clock(retry.start))
            }
        }
        Signal::NeighbourAdmitted { layer, request } => {
            let q = &n.capture.requests[*request as usize];
            format!(
                "{} counted in the same {} was admitted at {}, within {} of it: {} likely had room",
                n.endpoint(q),
                partition_word(n.layer(*layer)),
                n.clock(q.start),
                time::human_duration(NEIGHBOUR),
                n.layer(*layer).name
            )
        }
        Signal::Held { took, typical } => format!(
            "the {} took {}, against {} for this endpoint's successes: the server held it before refusing",
            status_word(throttle),
            time::human_duration(*took),
            time::human_duration(*typical)
        ),
        Signal::NoLayer => format!(
            "no layer of the active profile counts {} on {}: pass --profile for this API",
            n.endpoint(throttle),
            n.capture.host(throttle)
        ),
    }
}

fn partition_word(l: &Layer) -> String {
    if l.per.is_empty() {
        "capture".into()
    } else {
        format!("{} partition", l.partition_label())
    }
}

/// `at least 5 requests`, `at least 40 points`.
fn at_least(n: u64, l: &Layer) -> String {
    let unit = match l.unit {
        crate::model::Unit::Points => ("point", "points"),
        crate::model::Unit::Tokens => ("token", "tokens"),
        _ => ("request", "requests"),
    };
    format!("at least {}", count(n, unit.0, unit.1))
}

/// HTTP 429 Too Many Requests.
const TOO_MANY_REQUESTS: u16 = 429;

/// Chances below this are written as "less than 0.1 %".
const SMALLEST_PERCENT: f64 = 0.001;

/// `429`, or the status a profile declared a throttle (`503`, `200 THROTTLED`).
pub fn status_word(r: &Request) -> String {
    if r.status == TOO_MANY_REQUESTS {
        "429".into()
    } else {
        format!("{} throttle", r.status)
    }
}

fn percent(p: f64) -> String {
    if p < SMALLEST_PERCENT {
        "less than 0.1 %".into()
    } else {
        format!("{:.1} %", p * 100.0)
    }
}

/// `3 requests within 1 s`, `a limit of 300`, `a limit by name`.
fn stated_text(limit: Option<u64>, window: Option<Micros>) -> String {
    match (limit, window) {
        (Some(n), Some(w)) => format!(
            "a limit of {} within {}",
            count(n, "request", "requests"),
            time::window_label(w)
        ),
        (Some(n), None) => format!("a limit of {n}"),
        _ => "a limit by name".into(),
    }
}

/// An explanation in a phrase: `the capture's own traffic used up org.user.rate.per.minute
/// (3000 / 60 s, per user)`.
pub fn explanation(n: &Names<'_>, e: &Explanation) -> String {
    match e {
        Explanation::Visible { layer, basis } => {
            let tail = match basis {
                Basis::IfRefusalsCount => ", if refused attempts count against it",
                Basis::Alone => ", had its limiter decided the capture's attempts alone",
                _ => "",
            };
            format!(
                "the capture's own traffic used up {}{tail}",
                n.layer_label(*layer)
            )
        }
        Explanation::Hidden { layer, at_least: h } => format!(
            "traffic outside the capture used up {} ({} needed)",
            n.layer_label(*layer),
            at_least(*h, n.layer(*layer))
        ),
        Explanation::Undocumented {
            kind,
            scope,
            limit,
            window,
            stated,
        } => {
            let who = scope
                .map(|s| format!(" ({})", scope_text(s)))
                .unwrap_or_default();
            match (kind, stated, limit, window) {
                (_, Some(StatedBy::Body), l, w) => format!(
                    "a limit the documentation does not state, which the body gives as {}",
                    stated_text(*l, *w)
                ),
                (_, Some(StatedBy::Counter | StatedBy::SharedCounter), l, w) => format!(
                    "a limit the documentation does not state, which the server's counter gives as {}",
                    stated_text(*l, *w)
                ),
                (LimitKind::Concurrency, _, Some(l), _) => format!(
                    "a limit the documentation does not state: about {} in flight at once{who}",
                    l
                ),
                (LimitKind::Concurrency, _, None, _) => {
                    format!("a limit the documentation does not state, on requests in flight{who}")
                }
                (_, _, Some(l), Some(w)) => format!(
                    "a limit the documentation does not state: about {} per {}{who}",
                    count(*l, "request", "requests"),
                    time::window_label(*w)
                ),
                _ => format!(
                    "a {} limit the documentation does not state{who}",
                    kind.as_str()
                ),
            }
        }
        Explanation::Unknown => "the capture cannot tell which limit fired".into(),
    }
}

/// Why an explanation ranks below the one above it.
pub fn preference(p: Preference) -> &'static str {
    match p {
        Preference::ServerNamesIt => "the server's own counter or the body names another limit",
        Preference::ServerLogProves => "the server's log proves another explanation",
        Preference::CapturesOwnTraffic => "the capture's own traffic already explains the throttle",
        Preference::StrongerReplay => {
            "the replay of the capture refuses the throttle more surely on another layer"
        }
        Preference::RetryAfterFits => "Retry-After fits another layer's replay",
        Preference::ServerSawHidden => {
            "the server's counter showed traffic from elsewhere on another layer"
        }
        Preference::ServerShowedRoom => {
            "the server's counter on a success just before it showed room on that layer"
        }
        Preference::PositiveEvidence => {
            "the capture holds positive evidence for a limit the documentation does not state"
        }
        Preference::AloneRefuses => {
            "the capture's own attempts, decided by the layer's limiter alone, would have been refused all the same"
        }
        Preference::IfRefusalsCount => {
            "the capture's own traffic explains the throttle if refused attempts count"
        }
        Preference::BodyStatesIt => "the body states another layer's numbers",
        Preference::RetryPersisted => {
            "a retry after the full wait failed again, which fits a budget others keep using"
        }
        Preference::QuietCapture => {
            "nothing in the capture points to an undocumented limit, and traffic outside the capture on a documented layer explains it as well"
        }
        Preference::NoRoomSeen => {
            "another request the layer counts was admitted right next to the throttle"
        }
        Preference::MostWaysToFill => {
            "fewer kinds of outside traffic (other tabs, other apps of the user, other users) would fill this layer first"
        }
        Preference::LeastHidden => "it needs more requests from outside the capture",
        Preference::Clearer => "its separation is more likely a coincidence",
        Preference::MoreSpecific => "a narrower layer fits as well",
    }
}

/// Why an explanation was ruled out.
pub fn refutation(n: &Names<'_>, r: &Refutation, throttle: &Request) -> String {
    match r {
        Refutation::CounterHasRoom(s)
        | Refutation::CounterShowsNoHidden(s)
        | Refutation::RetryAfterTooLong(s)
        | Refutation::BodyNamesAnotherLayer(s)
        | Refutation::SuccessAsCrowded(s)
        | Refutation::ServerLogShowsRoom(s) => signal(n, s, throttle),
        Refutation::NothingAround => "no other request of its scope was around it".into(),
    }
}

/// `high: the server's own counter names the layer`.
pub fn confidence(c: Confidence) -> String {
    let why = match c.reason {
        Reason::ServerNamesIt => "the server's own counter or body names the layer",
        Reason::OnlyOne => "every other explanation is ruled out",
        Reason::ReplayRefuses => "replaying the capture's own requests refuses it",
        Reason::ReplayAtEdge => {
            "replaying the capture refuses it only within the timing uncertainty of a HAR"
        }
        Reason::AloneRefuses => {
            "the layer's limiter, deciding the capture's own attempts as if nothing came from elsewhere, refuses it, though the capture's admitted requests alone left room"
        }
        Reason::IfRefusalsCount => {
            "only if refused attempts count, which the documentation does not say"
        }
        Reason::ServerSawHidden => "the server's counter showed traffic from elsewhere",
        Reason::BodyStatesIt => "the body states the layer's numbers",
        Reason::PositiveEvidence => "the capture holds positive evidence for it",
        Reason::PriorOnly => "other explanations remain about as likely",
        Reason::NothingFits => "nothing in the capture decides it",
        Reason::ServerLogShowsFull => {
            "the server's log shows the window full with requests from outside the capture"
        }
        Reason::ServerArrivalRefuses => {
            "replaying the capture's own requests at their arrival times in the server's log refuses it"
        }
        Reason::ServerLogShowsRoom => {
            "the server's log shows every documented layer had room, yet the request was refused"
        }
        Reason::DocumentedRuledOut => {
            "every documented limit that counts it is ruled out, and no undocumented shape tried fits"
        }
        Reason::NoDocumentedLayer => {
            "the profile documents this API but no layer of it counts this request, and no undocumented shape tried fits"
        }
    };
    format!("{} confidence: {why}", c.level.as_str())
}

/// Whether a confidence is worth a caveat in a verdict.
pub fn is_weak(c: Confidence) -> bool {
    c.level == Level::Low
}

/// A limit's use in words for budgets: `100 / 60 s`, for concurrency `in flight`.
pub fn kind_word(l: &Layer) -> &'static str {
    match l.kind() {
        Kind::Rate => "rate",
        Kind::Concurrency => "concurrency",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(anchor: Option<Anchor>) -> Layer {
        Layer::new(
            "l",
            Limiter::Window {
                limit: 6,
                window: 10 * time::SECOND,
                anchor,
            },
        )
    }

    fn m(admitted: u64, attempts: u64, level: f64) -> Measured {
        Measured {
            admitted,
            attempts,
            level,
            capacity: 6.0,
            cost: 1,
        }
    }

    #[test]
    fn a_window_states_the_use_it_decided_with_where_it_is_not_the_admitted_count() {
        let sliding = window(None);
        assert_eq!(
            measured(&sliding, &m(3, 3, 3.0)),
            "counted 3 admitted requests in the 10 s before it"
        );
        // costs, and refused attempts charged: the count of requests is not the use
        assert_eq!(
            measured(&sliding, &m(1, 4, 8.0)),
            "counted 1 admitted request (of 4 attempts) in the 10 s before it, 8 of its 6 in use in that window"
        );
        // requests starting with the throttle are counted, not yet in use: no second number
        assert_eq!(
            measured(&sliding, &m(3, 3, 2.0)),
            "counted 3 admitted requests in the 10 s before it"
        );
        // a fixed window decides by its current window, not by the last window's length
        assert_eq!(
            measured(&window(Some(Anchor::Epoch)), &m(5, 5, 2.0)),
            "counted 5 admitted requests in the 10 s before it, 2 of its 6 in use in its current window"
        );
    }

    #[test]
    fn announced_windows_state_no_length() {
        let announced = window(Some(Anchor::Announced));
        assert_eq!(
            measured(&announced, &m(5, 5, 4.0)),
            "had 4 of its 6 in use since the reset the server last announced"
        );
        assert_eq!(
            refused_alone("l", &announced, &m(2, 5, 6.0), false),
            "l counted 2 admitted requests since the reset the server last announced, of 5 attempts; its limiter, deciding each of them as if no traffic came from elsewhere, refuses this request all the same (6 of 6 in use)"
        );
    }

    #[test]
    fn a_request_costing_more_than_one_says_so_where_its_cost_tips_the_budget() {
        let costly = Measured {
            cost: 2,
            ..m(5, 5, 5.0)
        };
        assert_eq!(
            refused_exact("l", &window(Some(Anchor::Epoch)), &costly, false),
            "l counted 5 admitted requests in the 10 s before it, 5 of its 6 in use in its current window, this request costing 2: the capture's own traffic used up its budget"
        );
    }

    #[test]
    fn a_running_penalty_is_worded_where_the_replay_says_so() {
        let mut l = window(None);
        l.penalty = Some(2 * time::SECOND);
        assert_eq!(
            refused_exact("l", &l, &m(1, 1, 1.0), true),
            "l counted 1 admitted request in the 10 s before it: the capture's own traffic had used up its budget earlier, and the penalty of 2.0 s that opened was still running"
        );
        assert_eq!(
            refused_exact("l", &l, &m(6, 6, 6.0), false),
            "l counted 6 admitted requests in the 10 s before it: the capture's own traffic used up its budget"
        );
        assert_eq!(
            refused_alone("l", &l, &m(1, 9, 0.0), true),
            "l counted 1 admitted request in the 10 s before it, of 9 attempts; its limiter, deciding each of them as if no traffic came from elsewhere, refuses this request all the same (0 of 6 in use; the penalty of 2.0 s its earlier refusal opened was still running)"
        );
    }

    #[test]
    fn a_penalty_is_worded_only_where_the_replay_says_it_was_running() {
        let mut l = window(None);
        assert_eq!(penalty_running(&l, true), None);
        l.penalty = Some(2 * time::SECOND);
        assert_eq!(penalty_running(&l, true), Some(2 * time::SECOND));
        assert_eq!(penalty_running(&l, false), None);
    }
}

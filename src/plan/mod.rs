//! Stage 4b — plan: the pacing that would have avoided the throttles, computed, not advised.
//!
//! Owns the what-if: the capture's own requests (each retry folded into the request it retried),
//! released when the client wanted them and sent under a client policy — at most K in flight,
//! at least S between starts, per scope, honouring Retry-After — through every documented layer
//! (less the budget traffic outside the capture was shown to use) and every undocumented limit
//! the diagnosis inferred. It predicts throttles and duration for each policy and recommends the
//! fastest with none, scoped as the limits require. Also evaluates a policy the user gives
//! (`--what-if`). Pure: no I/O, no clock.

pub mod limits;
pub mod simulate;
mod words;

use std::collections::HashMap;

use crate::diagnose::context::is_traffic;
use crate::diagnose::{Diagnosis, Explanation, Scope};
use crate::evaluate::{self, Evaluation};
use crate::model::{Capture, Micros, OptU32, Request, time};
use crate::profiles::{Kind, Partition, Profile};

pub use simulate::{Item, Policy, Run, Send};
pub use words::advice;

/// Whose requests a policy paces together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlanScope {
    /// One endpoint (method + template) of one caller.
    Endpoint,
    /// One access token.
    Token,
    /// One OAuth client of one user.
    Client,
    /// One user, every client.
    User,
    /// Every request of the capture.
    Capture,
}

impl PlanScope {
    /// `endpoint`, `token`, `client`, `user`, `capture`.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanScope::Endpoint => "endpoint",
            PlanScope::Token => "token",
            PlanScope::Client => "client",
            PlanScope::User => "user",
            PlanScope::Capture => "capture",
        }
    }

    /// Parses a scope name.
    pub fn parse(s: &str) -> Option<PlanScope> {
        [
            PlanScope::Endpoint,
            PlanScope::Token,
            PlanScope::Client,
            PlanScope::User,
            PlanScope::Capture,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }

    fn key(self, r: &Request) -> (u32, u32, u32, u32, u32) {
        let method = r
            .method
            .as_str()
            .bytes()
            .fold(7u32, |h, b| h.wrapping_mul(31) ^ b as u32);
        let client = r.client.get().unwrap_or(u32::MAX);
        let token = r.token.get().unwrap_or(u32::MAX);
        match self {
            PlanScope::Endpoint => (r.user, client, r.host, method, r.template),
            PlanScope::Token => (r.user, token, u32::MAX, u32::MAX, u32::MAX),
            PlanScope::Client => (r.user, client, r.host, u32::MAX, u32::MAX),
            PlanScope::User => (r.user, u32::MAX, u32::MAX, u32::MAX, u32::MAX),
            PlanScope::Capture => (u32::MAX, u32::MAX, u32::MAX, u32::MAX, u32::MAX),
        }
    }
}

/// A policy with its scope.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScopedPolicy {
    /// The policy.
    pub policy: Policy,
    /// Whose requests it paces together.
    pub scope: PlanScope,
}

/// The outcome of one policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The policy (`None` for the capture as it was sent).
    pub policy: Option<ScopedPolicy>,
    /// Throttles the limits predict.
    pub throttles: u32,
    /// From the first request to the last response.
    pub duration: Micros,
    /// Given by the user (`--what-if`).
    pub asked: bool,
}

/// Why a plan is not computed, or what it assumes.
#[derive(Clone, Debug, PartialEq)]
pub enum Caveat {
    /// Traffic outside the capture used budget the plan leaves to it: (layer index, units).
    BudgetLeftToOthers(usize, u64),
    /// Too many requests to search policies.
    TooLarge(usize),
}

/// The pacing plan of a capture.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Plan {
    /// The fastest policy with no predicted throttle, when one exists.
    pub recommended: Option<Outcome>,
    /// The capture as sent (retries included), through the same limits: how well the model
    /// reproduces what happened.
    pub as_captured: Option<Outcome>,
    /// Other policies tried, fastest first.
    pub alternatives: Vec<Outcome>,
    /// The capture's duration.
    pub captured_duration: Micros,
    /// Limits simulated (names).
    pub limits: Vec<String>,
    /// What the plan assumes.
    pub caveats: Vec<Caveat>,
    /// The recommended policy's sends, in time order: (request index, start, end, admitted).
    pub schedule: Vec<(u32, Micros, Micros, bool)>,
}

/// More requests than this are not planned (each policy is a full simulation).
pub const PLAN_MAX_REQUESTS: usize = 20_000;

/// In-flight caps tried, loosest first.
const IN_FLIGHT: [Option<u32>; 7] = [None, Some(8), Some(6), Some(4), Some(3), Some(2), Some(1)];

/// The scope a limit's partition calls for: the narrowest one the client controls that holds
/// every request the limit counts together.
fn scope_of_layer(per: &[Partition], filtered: bool) -> PlanScope {
    if filtered || per.contains(&Partition::Endpoint) || per.contains(&Partition::Resource) {
        PlanScope::Endpoint
    } else if per.contains(&Partition::Token) {
        PlanScope::Token
    } else if per.contains(&Partition::Client) {
        PlanScope::Client
    } else if per.contains(&Partition::User) {
        PlanScope::User
    } else {
        PlanScope::Capture
    }
}

/// The scope the throttles' explanations call for (the broadest of them).
fn scope(profiles: &[Profile], eval: &Evaluation, diagnosis: &Diagnosis) -> PlanScope {
    diagnosis
        .throttles
        .iter()
        .filter_map(|t| match t.explanation {
            Explanation::Visible { layer, .. } | Explanation::Hidden { layer, .. } => {
                let le = &eval.layers[layer];
                let l = &profiles[le.profile].layers[le.layer];
                Some(scope_of_layer(&l.per, l.is_filtered()))
            }
            Explanation::Undocumented { scope, .. } => Some(match scope {
                Some(Scope::Resource | Scope::Endpoint) => PlanScope::Endpoint,
                Some(Scope::User) => PlanScope::User,
                Some(Scope::Caller) | None => PlanScope::Client,
            }),
            Explanation::Unknown => None,
        })
        .max()
        .unwrap_or(PlanScope::Client)
}

/// The requests to send, each with when the client first wanted it: a retry of a throttle
/// (the next request of the same client, method and path) is folded into the request it
/// retried, so the last attempt stands for the request, released at the first attempt's time.
/// More than `most` requests: only how many (a day-long capture is not planned, and listing
/// its million requests to count them would hold 16 bytes more per request).
fn intended(capture: &Capture, most: usize) -> Result<Vec<(u32, Micros)>, usize> {
    let reqs = &capture.requests;
    let mut superseded = vec![false; reqs.len()];
    // when a retry's first attempt was wanted, for the retries only
    let mut first_wanted: HashMap<usize, Micros> = HashMap::new();
    // the last request of each (client, method, path) while it is a throttle: a day-long
    // capture has a path per request, and only the throttled ones can be retried
    let mut throttled_last: HashMap<(OptU32, &str, u32), usize> = HashMap::new();
    for (i, r) in reqs.iter().enumerate() {
        if !is_traffic(r) {
            continue;
        }
        let key = (r.client, r.method.as_str(), r.path);
        if let Some(p) = throttled_last.remove(&key) {
            superseded[p] = true;
            let first = first_wanted.remove(&p).unwrap_or(reqs[p].start);
            first_wanted.insert(i, first);
        }
        if r.is_throttle() {
            throttled_last.insert(key, i);
        }
    }
    let wanted = |i: usize| is_traffic(&reqs[i]) && !superseded[i];
    let count = (0..reqs.len()).filter(|&i| wanted(i)).count();
    if count > most {
        return Err(count);
    }
    Ok((0..reqs.len())
        .filter(|&i| wanted(i))
        .map(|i| {
            (
                i as u32,
                first_wanted.get(&i).copied().unwrap_or(reqs[i].start),
            )
        })
        .collect())
}

/// Median success duration per (method, template).
fn typical(capture: &Capture) -> HashMap<(String, u32), Micros> {
    let mut by: HashMap<(String, u32), Vec<Micros>> = HashMap::new();
    for r in capture
        .requests
        .iter()
        .filter(|r| is_traffic(r) && !r.is_throttle() && (200..400).contains(&r.status))
    {
        by.entry((r.method.as_str().to_string(), r.template))
            .or_default()
            .push(r.duration);
    }
    by.into_iter()
        .map(|(k, mut v)| {
            v.sort_unstable();
            (k, v[v.len() / 2])
        })
        .collect()
}

/// The plan's inputs for a set of requests.
struct Setup {
    items: Vec<Item>,
    parts: Vec<Vec<Option<u32>>>,
    costs: Vec<Vec<u64>>,
}

fn setup(
    capture: &Capture,
    profiles: &[Profile],
    eval: &Evaluation,
    sims: &[limits::SimLimit],
    wanted: &[(u32, Micros)],
    scope: PlanScope,
    refused_as_success: bool,
) -> Setup {
    let typical = typical(capture);
    let requests: Vec<u32> = wanted.iter().map(|(i, _)| *i).collect();
    let mut keys: HashMap<(u32, u32, u32, u32, u32), u32> = HashMap::new();
    let items: Vec<Item> = wanted
        .iter()
        .map(|&(i, release)| {
            let r = &capture.requests[i as usize];
            let duration = if r.is_throttle() && refused_as_success {
                typical
                    .get(&(r.method.as_str().to_string(), r.template))
                    .copied()
                    .unwrap_or(r.duration)
            } else {
                r.duration
            };
            let n = keys.len() as u32;
            Item {
                request: i,
                release,
                duration,
                scope: *keys.entry(scope.key(r)).or_insert(n),
            }
        })
        .collect();
    let parts = limits::partitions(sims, capture, profiles, eval, &requests);
    let costs = sims
        .iter()
        .map(|l| match l.keying {
            limits::Keying::Layer { eval: k } => {
                let le = &eval.layers[k];
                let layer = &profiles[le.profile].layers[le.layer];
                requests
                    .iter()
                    .map(|&i| evaluate::cost(layer, capture, i as usize))
                    .collect()
            }
            limits::Keying::Scope(_) => vec![1; requests.len()],
        })
        .collect();
    Setup {
        items,
        parts,
        costs,
    }
}

/// Spacings worth trying: each rate limit's budget spread evenly (window ÷ limit, or one
/// bucket refill), rounded up to the millisecond.
fn spacings(sims: &[limits::SimLimit]) -> Vec<Micros> {
    let mut out: Vec<Micros> = sims
        .iter()
        .filter(|l| l.layer.kind() == Kind::Rate)
        .filter_map(|l| l.layer.limiter.spacing())
        .map(|s| (s + time::MILLISECOND - 1) / time::MILLISECOND * time::MILLISECOND)
        .filter(|&s| s > 0)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn outcome(policy: Option<ScopedPolicy>, run: &Run, asked: bool) -> Outcome {
    Outcome {
        policy,
        throttles: run.throttles,
        duration: run.duration,
        asked,
    }
}

/// Plans a capture; `asked` is a policy the user wants evaluated.
pub fn plan(
    capture: &Capture,
    profiles: &[Profile],
    eval: &Evaluation,
    join: Option<&crate::join::Join>,
    diagnosis: &Diagnosis,
    asked: Option<ScopedPolicy>,
) -> Plan {
    let mut out = Plan {
        captured_duration: capture.span().map_or(0, |(a, b)| b - a),
        ..Plan::default()
    };
    if diagnosis.throttles.is_empty() && asked.is_none() {
        return out;
    }
    let sims = limits::collect(profiles, eval, join, diagnosis);
    out.limits = sims.iter().map(|l| l.layer.name.clone()).collect();
    for l in &sims {
        if let (limits::Keying::Layer { eval: k }, r) = (&l.keying, l.reserved)
            && r > 0
        {
            out.caveats.push(Caveat::BudgetLeftToOthers(*k, r));
        }
    }
    let requests = match intended(capture, PLAN_MAX_REQUESTS) {
        Ok(requests) => requests,
        Err(count) => {
            out.caveats.push(Caveat::TooLarge(count));
            return out;
        }
    };
    let scope = asked.map_or_else(|| self::scope(profiles, eval, diagnosis), |a| a.scope);
    // the capture as sent, through the same limits
    let sent: Vec<(u32, Micros)> = (0..capture.requests.len() as u32)
        .filter(|&i| is_traffic(&capture.requests[i as usize]))
        .map(|i| (i, capture.requests[i as usize].start))
        .collect();
    let s = setup(capture, profiles, eval, &sims, &sent, scope, false);
    let free = Policy {
        max_in_flight: None,
        min_spacing: None,
        honour_retry_after: false,
    };
    out.as_captured = Some(outcome(
        None,
        &simulate::run(&s.items, &sims, &s.parts, &s.costs, free),
        false,
    ));
    let s = setup(capture, profiles, eval, &sims, &requests, scope, true);
    let mut tried: Vec<(Outcome, Run)> = Vec::new();
    let mut policies: Vec<Policy> = Vec::new();
    for k in IN_FLIGHT {
        for sp in std::iter::once(None).chain(spacings(&sims).into_iter().map(Some)) {
            policies.push(Policy {
                max_in_flight: k,
                min_spacing: sp,
                honour_retry_after: true,
            });
        }
    }
    for p in policies {
        let run = simulate::run(&s.items, &sims, &s.parts, &s.costs, p);
        tried.push((
            outcome(Some(ScopedPolicy { policy: p, scope }), &run, false),
            run,
        ));
    }
    // fastest without a throttle; among equals, the fewest constraints
    let constraints = |o: &Outcome| {
        o.policy.map_or(0, |p| {
            u8::from(p.policy.max_in_flight.is_some()) + u8::from(p.policy.min_spacing.is_some())
        })
    };
    tried.sort_by(|a, b| {
        a.0.throttles
            .cmp(&b.0.throttles)
            .then(a.0.duration.cmp(&b.0.duration))
            .then(constraints(&a.0).cmp(&constraints(&b.0)))
    });
    if let Some((best, run)) = tried.first().filter(|(o, _)| o.throttles == 0) {
        out.recommended = Some(best.clone());
        out.schedule = run
            .sends
            .iter()
            .map(|x| (s.items[x.item as usize].request, x.at, x.end, x.admitted))
            .collect();
    }
    if let Some(a) = asked {
        let run = simulate::run(&s.items, &sims, &s.parts, &s.costs, a.policy);
        out.alternatives.push(outcome(Some(a), &run, true));
    }
    // for comparison: no pacing (retrying at Retry-After), and one request at a time
    for reference in [(None, None), (Some(1), None)] {
        let same = |o: &Outcome| {
            o.policy
                .is_some_and(|p| (p.policy.max_in_flight, p.policy.min_spacing) == reference)
        };
        if out.recommended.as_ref().is_some_and(same) {
            continue;
        }
        if let Some((o, _)) = tried.iter().find(|(o, _)| same(o)) {
            out.alternatives.push(o.clone());
        }
    }
    out
}

/// Parses a `--what-if` policy: comma-separated `in-flight=K`, `spacing=DURATION`,
/// `retry-after` (honour it) or `no-retry`, `scope=endpoint|token|client|user|capture`.
pub fn parse_policy(s: &str) -> Result<ScopedPolicy, String> {
    let mut p = ScopedPolicy {
        policy: Policy {
            max_in_flight: None,
            min_spacing: None,
            honour_retry_after: true,
        },
        scope: PlanScope::Client,
    };
    for part in s.split(',').map(str::trim).filter(|x| !x.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        match k.trim() {
            "in-flight" => {
                let n: u32 = v.trim().parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    format!(
                        "`{part}`: in-flight takes a whole number of at least 1, e.g. in-flight=2"
                    )
                })?;
                p.policy.max_in_flight = Some(n);
            }
            "spacing" => {
                let d = crate::profiles::parse::parse_window(v).ok_or_else(|| {
                    format!("`{part}`: spacing takes a duration, e.g. spacing=600ms or spacing=1s")
                })?;
                p.policy.min_spacing = Some(d);
            }
            "retry-after" => p.policy.honour_retry_after = true,
            "no-retry" => p.policy.honour_retry_after = false,
            "scope" => {
                p.scope = PlanScope::parse(v.trim()).ok_or_else(|| {
                    format!("`{part}`: scope is one of endpoint, token, client, user, capture")
                })?;
            }
            other => {
                return Err(format!(
                    "`{other}` is not part of a policy: use in-flight=K, spacing=DURATION, retry-after, no-retry, scope=endpoint|token|client|user|capture"
                ));
            }
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_and_name_their_mistakes() {
        let p = parse_policy("in-flight=1, spacing=600ms, scope=user").unwrap();
        assert_eq!(p.policy.max_in_flight, Some(1));
        assert_eq!(p.policy.min_spacing, Some(600 * time::MILLISECOND));
        assert_eq!(p.scope, PlanScope::User);
        assert!(p.policy.honour_retry_after);
        assert!(!parse_policy("no-retry").unwrap().policy.honour_retry_after);
        assert!(
            parse_policy("in-flight=0")
                .unwrap_err()
                .contains("at least 1")
        );
        assert!(
            parse_policy("spacing=soon")
                .unwrap_err()
                .contains("duration")
        );
        assert!(parse_policy("speed=11").unwrap_err().contains("`speed`"));
    }

    #[test]
    fn scopes_follow_the_partition() {
        assert_eq!(scope_of_layer(&[Partition::User], false), PlanScope::User);
        assert_eq!(
            scope_of_layer(&[Partition::User, Partition::Client], false),
            PlanScope::Client
        );
        assert_eq!(
            scope_of_layer(&[Partition::User], true),
            PlanScope::Endpoint
        );
        assert_eq!(scope_of_layer(&[], false), PlanScope::Capture);
    }
}

#[cfg(test)]
mod independent;

//! The pacing simulation: the capture's requests, released when the client wanted them, sent
//! under a client policy (at most K in flight, at least S between starts, per scope, retrying
//! at Retry-After), through every limit's meter.
//!
//! Owns the discrete-event loop: releases, finishes and wake-ups in time order, one FIFO queue
//! per scope key, meters per limit and partition deciding each start. Deterministic: ties keep
//! the order they were scheduled in. Pure.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use crate::evaluate::meter::Meter;
use crate::model::{Micros, time};

use super::limits::SimLimit;

/// A client policy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Policy {
    /// At most this many requests of a scope key in flight (`None`: no cap).
    pub max_in_flight: Option<u32>,
    /// At least this long between two starts of a scope key (`None`: none).
    pub min_spacing: Option<Micros>,
    /// Retry a refused request when the refusing limits free room.
    pub honour_retry_after: bool,
}

/// One request to send.
#[derive(Clone, Copy, Debug)]
pub struct Item {
    /// Index into `Capture::requests`.
    pub request: u32,
    /// When the client wanted to send it.
    pub release: Micros,
    /// How long it takes when admitted.
    pub duration: Micros,
    /// Its key in the policy's scope (dense).
    pub scope: u32,
}

/// A send the simulation made.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Send {
    /// Index into the items.
    pub item: u32,
    /// When it started.
    pub at: Micros,
    /// When it ended (its start, for a refusal).
    pub end: Micros,
    /// Whether every limit admitted it.
    pub admitted: bool,
}

/// The outcome of one policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Refusals the limits predict.
    pub throttles: u32,
    /// From the first release to the last end.
    pub duration: Micros,
    /// Every send, in time order.
    pub sends: Vec<Send>,
}

/// Retries of one request before the simulation gives up on it (a client that honours
/// Retry-After does not loop forever).
const MAX_RETRIES: u32 = 10;

/// A refusal whose limits never free room is retried after this long.
const RETRY_UNKNOWN: Micros = 60 * time::SECOND;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Release { item: u32, attempt: u32 },
    Finish { scope: u32 },
    Wake { scope: u32 },
}

#[derive(Default)]
struct ScopeState {
    queue: VecDeque<(u32, u32)>,
    last_start: Option<Micros>,
    in_flight: u32,
    wake_at: Option<Micros>,
}

/// Runs the items under a policy. `parts[l][item]` is the item's partition in limit `l` (or
/// `None`), `costs[l][item]` its cost there.
pub fn run(
    items: &[Item],
    limits: &[SimLimit],
    parts: &[Vec<Option<u32>>],
    costs: &[Vec<u64>],
    policy: Policy,
) -> Run {
    let mut events: BinaryHeap<Reverse<(Micros, u64, Event)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |events: &mut BinaryHeap<Reverse<(Micros, u64, Event)>>, t: Micros, e: Event| {
        seq += 1;
        events.push(Reverse((t, seq, e)));
    };
    for (k, it) in items.iter().enumerate() {
        push(
            &mut events,
            it.release,
            Event::Release {
                item: k as u32,
                attempt: 0,
            },
        );
    }
    let mut scopes: HashMap<u32, ScopeState> = HashMap::new();
    let mut meters: HashMap<(usize, u32), Box<dyn Meter>> = HashMap::new();
    let mut out = Run {
        throttles: 0,
        duration: 0,
        sends: Vec::new(),
    };
    let first = items.iter().map(|i| i.release).min().unwrap_or(0);
    let mut last = first;
    while let Some(Reverse((now, _, event))) = events.pop() {
        let scope = match event {
            Event::Release { item, attempt } => {
                let s = items[item as usize].scope;
                scopes
                    .entry(s)
                    .or_default()
                    .queue
                    .push_back((item, attempt));
                s
            }
            Event::Finish { scope } => {
                if let Some(st) = scopes.get_mut(&scope) {
                    st.in_flight = st.in_flight.saturating_sub(1);
                }
                scope
            }
            Event::Wake { scope } => {
                if let Some(st) = scopes.get_mut(&scope) {
                    st.wake_at = None;
                }
                scope
            }
        };
        // start what the policy allows now
        loop {
            let st = scopes.entry(scope).or_default();
            let Some(&(item, attempt)) = st.queue.front() else {
                break;
            };
            if policy.max_in_flight.is_some_and(|k| st.in_flight >= k) {
                break;
            }
            let earliest = match (st.last_start, policy.min_spacing) {
                (Some(l), Some(s)) => now.max(l + s),
                _ => now,
            };
            if earliest > now {
                if st.wake_at.is_none_or(|w| w > earliest) {
                    st.wake_at = Some(earliest);
                    push(&mut events, earliest, Event::Wake { scope });
                }
                break;
            }
            st.queue.pop_front();
            st.last_start = Some(now);
            let it = items[item as usize];
            // every limit counting it decides
            let mut refusing: Vec<(usize, u32)> = Vec::new();
            for (l, limit) in limits.iter().enumerate() {
                let Some(p) = parts[l][item as usize] else {
                    continue;
                };
                let m = meters.entry((l, p)).or_insert_with(|| limit.meter());
                if !m.admits(now, costs[l][item as usize]) {
                    refusing.push((l, p));
                }
            }
            let admitted = refusing.is_empty();
            let end = if admitted { now + it.duration } else { now };
            let mut retry_at: Micros = 0;
            for (l, limit) in limits.iter().enumerate() {
                let Some(p) = parts[l][item as usize] else {
                    continue;
                };
                let cost = costs[l][item as usize];
                let m = meters.entry((l, p)).or_insert_with(|| limit.meter());
                if refusing.contains(&(l, p)) {
                    let free = m.free_at(now, cost);
                    retry_at = retry_at.max(if free == Micros::MAX {
                        now + RETRY_UNKNOWN
                    } else {
                        free
                    });
                }
                let charged = admitted || limit.layer.count_rejected == Some(true);
                m.record(now, end, cost, admitted, charged);
            }
            out.sends.push(Send {
                item,
                at: now,
                end,
                admitted,
            });
            last = last.max(end);
            let st = scopes.entry(scope).or_default();
            if admitted {
                st.in_flight += 1;
                push(&mut events, end, Event::Finish { scope });
            } else {
                out.throttles += 1;
                if policy.honour_retry_after && attempt < MAX_RETRIES {
                    push(
                        &mut events,
                        retry_at.max(now + 1),
                        Event::Release {
                            item,
                            attempt: attempt + 1,
                        },
                    );
                }
            }
        }
    }
    out.duration = last - first;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::limits::Keying;
    use crate::profiles::{Layer, Limiter};

    fn limit(limiter: Limiter) -> SimLimit {
        SimLimit {
            keying: Keying::Scope(crate::diagnose::Scope::Caller),
            layer: Layer::new("l", limiter),
            reserved: 0,
        }
    }

    fn items(n: u32, release: Micros, duration: Micros) -> Vec<Item> {
        (0..n)
            .map(|k| Item {
                request: k,
                release,
                duration,
                scope: 0,
            })
            .collect()
    }

    fn everything(n: usize, limits: usize) -> (Vec<Vec<Option<u32>>>, Vec<Vec<u64>>) {
        (vec![vec![Some(0); n]; limits], vec![vec![1; n]; limits])
    }

    #[test]
    fn one_at_a_time_passes_a_concurrency_limit_of_one() {
        let l = [limit(Limiter::Concurrency {
            limit: 1,
            min_age: 0,
        })];
        let it = items(3, 0, time::SECOND);
        let (p, c) = everything(3, 1);
        let burst = run(
            &it,
            &l,
            &p,
            &c,
            Policy {
                max_in_flight: None,
                min_spacing: None,
                honour_retry_after: false,
            },
        );
        assert_eq!(burst.throttles, 2);
        let paced = run(
            &it,
            &l,
            &p,
            &c,
            Policy {
                max_in_flight: Some(1),
                min_spacing: None,
                honour_retry_after: true,
            },
        );
        assert_eq!((paced.throttles, paced.duration), (0, 3 * time::SECOND));
    }

    #[test]
    fn spacing_passes_a_window_and_retries_wait_for_room() {
        // 2 per 10 s: 4 requests at once
        let l = [limit(Limiter::Window {
            limit: 2,
            window: 10 * time::SECOND,
            anchor: None,
        })];
        let it = items(4, 0, 100 * time::MILLISECOND);
        let (p, c) = everything(4, 1);
        let retry = run(
            &it,
            &l,
            &p,
            &c,
            Policy {
                max_in_flight: None,
                min_spacing: None,
                honour_retry_after: true,
            },
        );
        // two refused at 0, retried when the window frees at 10 s
        assert_eq!(retry.throttles, 2);
        assert_eq!(retry.duration, 10 * time::SECOND + 100 * time::MILLISECOND);
        let spaced = run(
            &it,
            &l,
            &p,
            &c,
            Policy {
                max_in_flight: None,
                min_spacing: Some(5 * time::SECOND),
                honour_retry_after: true,
            },
        );
        assert_eq!(spaced.throttles, 0);
        assert_eq!(
            spaced.sends.iter().map(|s| s.at).collect::<Vec<_>>(),
            vec![0, 5, 10, 15]
                .into_iter()
                .map(|s| s * time::SECOND)
                .collect::<Vec<_>>()
        );
    }
}

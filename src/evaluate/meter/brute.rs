//! Brute-force limiters for property tests: every query recomputed from the whole history,
//! straight from each algorithm's definition, and the least hidden cost found by trying one
//! unseen request after another.

use crate::model::{Micros, time};
use crate::profiles::{Anchor, Limiter, Refill};

/// One recorded request.
#[derive(Clone, Copy, Debug)]
pub struct Event {
    pub t: Micros,
    pub end: Micros,
    pub cost: u64,
    pub charged: bool,
}

/// A history and the limiter it is judged by.
#[derive(Clone, Debug)]
pub struct Brute {
    pub limiter: Limiter,
    pub events: Vec<Event>,
}

impl Brute {
    pub fn new(limiter: Limiter) -> Self {
        Brute {
            limiter,
            events: Vec::new(),
        }
    }

    fn charged(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(|e| e.charged)
    }

    /// (level before a request at t, capacity).
    pub fn level(&self, t: Micros) -> (f64, f64) {
        match self.limiter {
            Limiter::Window {
                limit,
                window,
                anchor: None,
            } => (
                self.charged()
                    .filter(|e| t - window < e.t && e.t <= t)
                    .map(|e| e.cost)
                    .sum::<u64>() as f64,
                limit as f64,
            ),
            Limiter::Window {
                limit,
                window,
                anchor: Some(anchor),
            } => {
                let start = match anchor {
                    Anchor::Epoch => Some(t.div_euclid(window) * window),
                    Anchor::Calendar { offset_s } => {
                        let off = offset_s as Micros * time::SECOND;
                        Some((t + off).div_euclid(window) * window - off)
                    }
                    // announced resets are brute-forced in `announced.rs`'s own tests
                    Anchor::FirstRequest | Anchor::Announced => {
                        // replay the openings from the first charged request
                        let mut open: Option<Micros> = None;
                        for e in self.charged().filter(|e| e.t <= t) {
                            if open.is_none_or(|s| e.t >= s + window) {
                                open = Some(e.t);
                            }
                        }
                        open.filter(|s| t < s + window)
                    }
                };
                let used = match start {
                    Some(s) => self
                        .charged()
                        .filter(|e| e.t >= s && e.t <= t && e.t < s + window)
                        .map(|e| e.cost)
                        .sum::<u64>(),
                    None => 0,
                };
                (used as f64, limit as f64)
            }
            Limiter::SlidingCounter { limit, window, .. } => {
                let w = t.div_euclid(window);
                let count = |k: i64| -> f64 {
                    self.charged()
                        .filter(|e| e.t.div_euclid(window) == k && e.t <= t)
                        .map(|e| e.cost)
                        .sum::<u64>() as f64
                };
                let share = (window - (t - w * window)) as f64 / window as f64;
                (count(w - 1) * share + count(w), limit as f64)
            }
            Limiter::Bucket {
                capacity,
                rate,
                refill,
                nginx: false,
                ..
            } => {
                let cap = capacity as f64;
                let per_us = rate.per_second() / time::SECOND as f64;
                let refilled = |from: Micros, to: Micros| -> f64 {
                    match refill {
                        Refill::Continuous => (to - from) as f64 * per_us,
                        Refill::Interval(i) => {
                            (to.div_euclid(i) - from.div_euclid(i)) as f64 * per_us * i as f64
                        }
                    }
                };
                let mut tokens = cap;
                let mut last: Option<Micros> = None;
                for e in self.charged().filter(|e| e.t <= t) {
                    if let Some(l) = last {
                        tokens = (tokens + refilled(l, e.t)).min(cap);
                    }
                    tokens -= e.cost as f64;
                    last = Some(e.t);
                }
                if let Some(l) = last {
                    tokens = (tokens + refilled(l, t)).min(cap);
                }
                (cap - tokens, cap)
            }
            Limiter::Bucket {
                capacity,
                rate,
                nginx: true,
                ..
            } => {
                let amount = rate.amount.round() as i64;
                let rate_m = if rate.per == 60 * time::SECOND {
                    amount * 1000 / 60
                } else {
                    amount * 1000
                };
                let ms = |t: Micros| t.div_euclid(time::MILLISECOND);
                let mut state: Option<(i64, i64)> = None;
                for e in self.charged().filter(|e| e.t <= t) {
                    state = Some(match state {
                        None => (0, ms(e.t)),
                        Some((ex, last)) => (
                            (ex - rate_m * (ms(e.t) - last).max(0) / 1000 + 1000).max(0),
                            ms(e.t),
                        ),
                    });
                }
                let level = match state {
                    None => 0.0,
                    Some((ex, last)) => {
                        (ex - rate_m * (ms(t) - last).max(0) / 1000 + 1000).max(0) as f64 / 1000.0
                    }
                };
                (level, capacity as f64)
            }
            Limiter::Concurrency { limit, min_age } => (
                self.charged()
                    .filter(|e| e.t <= t && t < e.end.max(e.t + 1) && t - e.t >= min_age)
                    .map(|e| e.cost)
                    .sum::<u64>() as f64,
                limit as f64,
            ),
        }
    }

    pub fn admits(&self, t: Micros, cost: u64) -> bool {
        let (level, cap) = self.level(t);
        match self.limiter {
            Limiter::SlidingCounter {
                admit_equal: false, ..
            } => level + (cost as f64) < cap - 1e-9,
            Limiter::Bucket { nginx: true, .. } => level + 1.0 <= cap + 1e-9,
            _ => level + cost as f64 <= cap + 1e-9,
        }
    }

    /// The least number of unseen unit requests at `t`, each admitted, after which a request of
    /// `cost` at `t` is refused.
    pub fn hidden_needed(&self, t: Micros, cost: u64) -> u64 {
        let mut probe = self.clone();
        // unseen requests in flight must be old enough to count
        let start = match self.limiter {
            Limiter::Concurrency { min_age, .. } => t - min_age,
            _ => t,
        };
        for h in 0..10_000 {
            if !probe.admits(t, cost) {
                return h;
            }
            probe.events.push(Event {
                t: start,
                end: Micros::MAX / 2,
                cost: 1,
                charged: true,
            });
            probe.events.sort_by_key(|e| e.t);
        }
        u64::MAX
    }
}

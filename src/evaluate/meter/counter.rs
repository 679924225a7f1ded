//! Sliding counter: the previous fixed window's count, weighted by the share of it still
//! inside the sliding window, plus the current window's count.
//!
//! Owns the approximate sliding window of Kong's rate-limiting-advanced, Cloudflare and
//! HAProxy-style frequency counters. Whether an estimate that reaches the limit exactly is
//! admitted is not documented anywhere, so it is a setting. Pure.

use crate::model::Micros;

use super::{Meter, units_to_refuse};

/// A sliding counter over epoch-aligned windows.
#[derive(Clone, Debug)]
pub struct SlidingCounter {
    limit: u64,
    window: Micros,
    admit_equal: bool,
    /// Index of the current window (`floor(t / window)`).
    current: i64,
    /// Cost counted in the current and the previous window.
    cur: u64,
    prev: u64,
}

impl SlidingCounter {
    /// `limit` per `window`.
    pub fn new(limit: u64, window: Micros, admit_equal: bool) -> Self {
        SlidingCounter {
            limit,
            window: window.max(1),
            admit_equal,
            current: i64::MIN,
            cur: 0,
            prev: 0,
        }
    }

    fn roll(&mut self, t: Micros) {
        let w = t.div_euclid(self.window);
        if w != self.current {
            self.prev = if self.current != i64::MIN && w == self.current + 1 {
                self.cur
            } else {
                0
            };
            self.cur = 0;
            self.current = w;
        }
    }

    fn estimate(&mut self, t: Micros) -> f64 {
        self.roll(t);
        let elapsed = t - self.current * self.window;
        let share = (self.window - elapsed) as f64 / self.window as f64;
        self.prev as f64 * share + self.cur as f64
    }

    fn fits(&self, estimate: f64, cost: u64) -> bool {
        let after = estimate + cost as f64;
        if self.admit_equal {
            after <= self.limit as f64 + 1e-9
        } else {
            after < self.limit as f64 - 1e-9
        }
    }
}

impl Meter for SlidingCounter {
    fn level(&mut self, t: Micros) -> f64 {
        self.estimate(t)
    }

    fn capacity(&self) -> f64 {
        self.limit as f64
    }

    fn admits(&mut self, t: Micros, cost: u64) -> bool {
        let e = self.estimate(t);
        self.fits(e, cost)
    }

    fn hidden_needed(&mut self, t: Micros, cost: u64) -> u64 {
        let e = self.estimate(t);
        if !self.fits(e, cost) {
            return 0;
        }
        // unseen requests in the current window count fully
        let cap = if self.admit_equal {
            self.limit as f64
        } else {
            self.limit as f64 - 1e-6
        };
        units_to_refuse(e, cap, cost)
    }

    fn free_at(&mut self, t: Micros, cost: u64) -> Micros {
        if cost > self.limit || (!self.admit_equal && cost >= self.limit) {
            return Micros::MAX;
        }
        let e = self.estimate(t);
        if self.fits(e, cost) {
            return t;
        }
        // the estimate only falls while time passes: search the next two windows
        let (mut lo, mut hi) = (t, (self.current + 2) * self.window);
        let mut probe = self.clone();
        if !probe.admits(hi, cost) {
            return (self.current + 3) * self.window;
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            let mut p = self.clone();
            if p.admits(mid, cost) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }

    fn record(&mut self, t: Micros, _end: Micros, cost: u64, _admitted: bool, charged: bool) {
        self.roll(t);
        if charged {
            self.cur += cost;
        }
    }

    fn clone_box(&self) -> Box<dyn Meter> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::SECOND;

    #[test]
    fn the_previous_window_fades_out() {
        // limit 10 per 60 s; 8 in the window [0, 60), 2 at 60 s
        let mut m = SlidingCounter::new(10, 60 * SECOND, true);
        for _ in 0..8 {
            m.record(10 * SECOND, 0, 1, true, true);
        }
        for _ in 0..2 {
            m.record(60 * SECOND, 0, 1, true, true);
        }
        // at 75 s: 8 · 45/60 + 2 = 8
        assert!((m.level(75 * SECOND) - 8.0).abs() < 1e-9);
        assert!(m.admits(75 * SECOND, 2));
        assert!(!m.admits(75 * SECOND, 3));
        assert_eq!(m.hidden_needed(75 * SECOND, 1), 2);
        // 8 · (60 − e)/60 + 2 + 3 ≤ 10 once e ≥ 22.5 s
        assert_eq!(m.free_at(75 * SECOND, 3), 82_500_000);
        let mut strict = SlidingCounter::new(10, 60 * SECOND, false);
        for _ in 0..9 {
            strict.record(0, 0, 1, true, true);
        }
        assert!(
            !strict.admits(SECOND, 1),
            "9 + 1 reaches 10: refused when equal is not admitted"
        );
    }
}

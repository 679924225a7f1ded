//! Sliding window log: the cost of requests with `t − window < start ≤ t`, against a limit.
//!
//! Owns the exact window every sliding layer is counted with (the lab's server, Genesys-style
//! limits, most "N per minute" documentation). Pure.

use std::collections::VecDeque;

use crate::model::Micros;

use super::{Meter, units_to_refuse};

/// A sliding window log.
#[derive(Clone, Debug)]
pub struct Sliding {
    limit: u64,
    window: Micros,
    /// Charged requests still in the window: (start, cost).
    log: VecDeque<(Micros, u64)>,
    used: u64,
}

impl Sliding {
    /// `limit` per `window`.
    pub fn new(limit: u64, window: Micros) -> Self {
        Sliding {
            limit,
            window,
            log: VecDeque::new(),
            used: 0,
        }
    }

    fn expire(&mut self, t: Micros) {
        let from = t.saturating_sub(self.window);
        while let Some(&(s, c)) = self.log.front() {
            if s > from {
                break;
            }
            self.used -= c;
            self.log.pop_front();
        }
    }
}

impl Meter for Sliding {
    fn level(&mut self, t: Micros) -> f64 {
        self.expire(t);
        self.used as f64
    }

    fn capacity(&self) -> f64 {
        self.limit as f64
    }

    fn admits(&mut self, t: Micros, cost: u64) -> bool {
        self.expire(t);
        self.used + cost <= self.limit
    }

    fn hidden_needed(&mut self, t: Micros, cost: u64) -> u64 {
        let level = self.level(t);
        units_to_refuse(level, self.limit as f64, cost)
    }

    fn free_at(&mut self, t: Micros, cost: u64) -> Micros {
        self.expire(t);
        if cost > self.limit {
            return Micros::MAX;
        }
        let mut used = self.used;
        for &(s, c) in &self.log {
            if used + cost <= self.limit {
                break;
            }
            used -= c;
            // the request leaves the window once `t − window ≥ s`
            if used + cost <= self.limit {
                return (s + self.window).max(t);
            }
        }
        t
    }

    fn record(&mut self, t: Micros, _end: Micros, cost: u64, _admitted: bool, charged: bool) {
        self.expire(t);
        if charged {
            self.log.push_back((t, cost));
            self.used += cost;
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
    fn counts_the_open_interval_and_frees_when_the_oldest_leaves() {
        let mut m = Sliding::new(2, 10 * SECOND);
        m.record(0, 0, 1, true, true);
        m.record(SECOND, SECOND, 1, true, true);
        assert!(!m.admits(2 * SECOND, 1));
        assert_eq!(m.hidden_needed(2 * SECOND, 1), 0);
        assert_eq!(m.free_at(2 * SECOND, 1), 10 * SECOND);
        // at exactly t = 10 s the first request (start 0) is out: 10 − 10 < 0 is false
        assert!(m.admits(10 * SECOND, 1));
        let mut m = Sliding::new(5, 10 * SECOND);
        m.record(0, 0, 1, true, true);
        assert_eq!(m.hidden_needed(SECOND, 1), 4);
        m.record(0, 0, 1, false, false);
        assert_eq!(m.level(SECOND), 1.0, "uncharged refusals use no budget");
    }
}

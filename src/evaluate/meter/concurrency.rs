//! Concurrency: requests of a partition in flight at once, against a limit.
//!
//! Owns in-flight counting (`start ≤ t < end`; a request without a duration is in flight for
//! one microsecond) with an optional minimum age: only requests in flight for at least that
//! long count (Salesforce counts requests running 20 s or more). Pure.

use crate::model::Micros;

use super::{Meter, units_to_refuse};

/// Requests in flight.
#[derive(Clone, Debug)]
pub struct Concurrency {
    limit: u64,
    min_age: Micros,
    /// Charged requests that may still be in flight: (start, end, cost).
    active: Vec<(Micros, Micros, u64)>,
}

impl Concurrency {
    /// At most `limit` in flight, counting requests at least `min_age` old.
    pub fn new(limit: u64, min_age: Micros) -> Self {
        Concurrency {
            limit,
            min_age,
            active: Vec::new(),
        }
    }

    fn prune(&mut self, t: Micros) {
        self.active.retain(|&(_, end, _)| end > t);
    }

    fn counted(&self, t: Micros) -> impl Iterator<Item = &(Micros, Micros, u64)> {
        self.active
            .iter()
            .filter(move |&&(s, e, _)| s <= t && t < e && t - s >= self.min_age)
    }

    fn in_flight(&mut self, t: Micros) -> u64 {
        self.prune(t);
        self.counted(t).map(|&(_, _, c)| c).sum()
    }
}

impl Meter for Concurrency {
    fn level(&mut self, t: Micros) -> f64 {
        self.in_flight(t) as f64
    }

    fn capacity(&self) -> f64 {
        self.limit as f64
    }

    fn admits(&mut self, t: Micros, cost: u64) -> bool {
        self.in_flight(t) + cost <= self.limit
    }

    fn hidden_needed(&mut self, t: Micros, cost: u64) -> u64 {
        let level = self.in_flight(t) as f64;
        units_to_refuse(level, self.limit as f64, cost)
    }

    fn free_at(&mut self, t: Micros, cost: u64) -> Micros {
        if cost > self.limit {
            return Micros::MAX;
        }
        self.prune(t);
        // the count only falls when a request ends (it rises when one comes of age), so the
        // first instant with room is `t` or an end
        let mut candidates: Vec<Micros> = self.active.iter().map(|&(_, e, _)| e).collect();
        candidates.push(t);
        candidates.sort_unstable();
        for c in candidates.into_iter().filter(|&c| c >= t) {
            let used: u64 = self.counted(c).map(|&(_, _, n)| n).sum();
            if used + cost <= self.limit {
                return c;
            }
        }
        Micros::MAX
    }

    fn record(&mut self, t: Micros, end: Micros, cost: u64, _admitted: bool, charged: bool) {
        self.prune(t);
        if charged {
            self.active.push((t, end.max(t + 1), cost));
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
    fn counts_requests_in_flight_and_frees_at_the_first_end() {
        let mut m = Concurrency::new(2, 0);
        m.record(0, 5 * SECOND, 1, true, true);
        m.record(SECOND, 3 * SECOND, 1, true, true);
        assert!(!m.admits(2 * SECOND, 1));
        assert_eq!(m.free_at(2 * SECOND, 1), 3 * SECOND);
        assert!(m.admits(3 * SECOND, 1));
        assert_eq!(m.hidden_needed(4 * SECOND, 1), 1);
    }

    #[test]
    fn a_minimum_age_counts_only_long_requests() {
        // Salesforce: 25 long-running requests (≥ 20 s)
        let mut m = Concurrency::new(1, 20 * SECOND);
        m.record(0, 60 * SECOND, 1, true, true);
        assert!(m.admits(10 * SECOND, 1), "10 s old: not counted yet");
        assert!(!m.admits(25 * SECOND, 1));
    }
}

//! Fixed windows whose ends the server announced: a counter that restarts at the resets its
//! responses stated (`X-RateLimit-Reset`, `inin-ratelimit-reset`, …), for dialects that say
//! when the window ends but not how long it is.
//!
//! Owns counting between announced resets. The window in force at `t` runs from the last
//! announced reset at or before `t` to the next one; traffic the meter has not seen cannot move
//! those boundaries, so the least hidden cost is what fills the current window. Pure.

use std::sync::Arc;

use crate::model::Micros;

use super::{Meter, units_to_refuse};

/// A counter between announced resets.
#[derive(Clone, Debug)]
pub struct Announced {
    limit: u64,
    /// Sorted instants at which the server said its counter resets.
    ends: Arc<[Micros]>,
    /// The open window: (index of the window, cost used).
    open: Option<(usize, u64)>,
}

impl Announced {
    /// `limit` per window, windows ending at `ends` (sorted).
    pub fn new(limit: u64, ends: Arc<[Micros]>) -> Self {
        debug_assert!(ends.windows(2).all(|w| w[0] <= w[1]));
        Announced {
            limit,
            ends,
            open: None,
        }
    }

    /// The window holding `t`: how many announced resets are at or before it.
    fn index(&self, t: Micros) -> usize {
        self.ends.partition_point(|e| *e <= t)
    }

    fn used(&self, t: Micros) -> u64 {
        match self.open {
            Some((i, used)) if i == self.index(t) => used,
            _ => 0,
        }
    }
}

impl Meter for Announced {
    fn level(&mut self, t: Micros) -> f64 {
        self.used(t) as f64
    }

    fn capacity(&self) -> f64 {
        self.limit as f64
    }

    fn admits(&mut self, t: Micros, cost: u64) -> bool {
        self.used(t) + cost <= self.limit
    }

    fn hidden_needed(&mut self, t: Micros, cost: u64) -> u64 {
        units_to_refuse(self.used(t) as f64, self.limit as f64, cost)
    }

    fn free_at(&mut self, t: Micros, cost: u64) -> Micros {
        if cost > self.limit {
            return Micros::MAX;
        }
        if self.used(t) + cost <= self.limit {
            return t;
        }
        // past the last announced reset the window's end was never stated: no room is known
        // to free (never `t` itself, which `admits` has just refused)
        self.ends.get(self.index(t)).copied().unwrap_or(Micros::MAX)
    }

    fn record(&mut self, t: Micros, _end: Micros, cost: u64, _admitted: bool, charged: bool) {
        if !charged {
            return;
        }
        let i = self.index(t);
        let used = self.used(t);
        self.open = Some((i, used + cost));
    }

    fn window_opened(&mut self, t: Micros) -> Option<Micros> {
        let i = self.index(t);
        (i > 0).then(|| self.ends[i - 1])
    }

    fn clone_box(&self) -> Box<dyn Meter> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::SECOND;
    use proptest::prelude::*;

    #[test]
    fn the_counter_restarts_at_each_announced_reset() {
        let ends: Arc<[Micros]> = Arc::from([10 * SECOND, 22 * SECOND]);
        let mut m = Announced::new(2, ends);
        m.record(SECOND, SECOND, 1, true, true);
        m.record(2 * SECOND, 2 * SECOND, 1, true, true);
        assert!(
            !m.admits(9 * SECOND, 1),
            "two of two used before the reset at 10 s"
        );
        assert_eq!(m.free_at(9 * SECOND, 1), 10 * SECOND);
        assert!(
            m.admits(10 * SECOND, 1),
            "a reset at 10 s frees the budget at 10 s"
        );
        assert_eq!(m.window_opened(15 * SECOND), Some(10 * SECOND));
        assert_eq!(
            m.window_opened(5 * SECOND),
            None,
            "the first window's start was never stated"
        );
    }

    #[test]
    fn hidden_traffic_fills_only_the_current_window() {
        let ends: Arc<[Micros]> = Arc::from([10 * SECOND]);
        let mut m = Announced::new(5, ends);
        for k in 0..4 {
            m.record(k * SECOND, k * SECOND, 1, true, true);
        }
        // four of five used before 10 s: one hidden request fills it and refuses the next
        assert_eq!(m.hidden_needed(5 * SECOND, 1), 1);
        // after the reset the four no longer count
        assert_eq!(m.hidden_needed(11 * SECOND, 1), 5);
    }

    #[test]
    fn uncharged_attempts_use_no_budget() {
        let mut m = Announced::new(1, Arc::from([]));
        m.record(0, 0, 1, false, false);
        assert!(m.admits(SECOND, 1));
        m.record(SECOND, SECOND, 1, true, true);
        assert!(!m.admits(2 * SECOND, 1));
        assert_eq!(
            m.free_at(2 * SECOND, 1),
            Micros::MAX,
            "no reset announced: no end known"
        );
    }

    proptest! {
        /// Against a brute force: the level at any instant is the charged cost since the last
        /// announced reset at or before it.
        #[test]
        fn level_matches_a_brute_force(
            mut ends in proptest::collection::vec(0i64..100, 0..6),
            mut events in proptest::collection::vec((0i64..100, 1u64..4, any::<bool>()), 0..30),
            probe in 0i64..120,
        ) {
            ends.sort();
            events.sort_by_key(|e| e.0);
            let ends: Vec<Micros> = ends.into_iter().map(|e| e * SECOND).collect();
            let mut m = Announced::new(1000, Arc::from(ends.clone()));
            let probe = (probe * SECOND).max(events.last().map_or(0, |e| e.0 * SECOND));
            for &(t, cost, charged) in &events {
                m.record(t * SECOND, t * SECOND, cost, true, charged);
            }
            let opened = ends.iter().copied().filter(|e| *e <= probe).max();
            let brute: u64 = events
                .iter()
                .filter(|(t, _, c)| *c && opened.is_none_or(|o| t * SECOND >= o))
                .map(|e| e.1)
                .sum();
            prop_assert_eq!(m.level(probe), brute as f64);
        }
    }
}

//! Fixed windows: a counter that restarts at window boundaries, anchored at the partition's
//! first request, at multiples of the window since the epoch, or at calendar units.
//!
//! Owns fixed-window counting (Envoy's rate-limit service, Kong OSS, the lab's fixed layers).
//! With windows anchored at the first request, traffic the meter has not seen may have opened
//! the window at another moment, so the least hidden cost is taken over every possible opening.
//! Pure.

use crate::model::Micros;
use crate::profiles::Anchor;

use super::{Meter, Sliding, units_to_refuse};

/// A fixed-window counter.
#[derive(Clone, Debug)]
pub struct Fixed {
    limit: u64,
    window: Micros,
    anchor: Anchor,
    /// The open window: (start, cost used).
    open: Option<(Micros, u64)>,
    /// The same requests in a sliding log, for windows hidden traffic may have opened.
    sliding: Sliding,
}

impl Fixed {
    /// `limit` per `window`, windows starting at `anchor`.
    pub fn new(limit: u64, window: Micros, anchor: Anchor) -> Self {
        Fixed {
            limit,
            window,
            anchor,
            open: None,
            sliding: Sliding::new(limit, window),
        }
    }

    /// The start of the aligned window containing `t`.
    fn aligned(&self, t: Micros, offset_s: i32) -> Micros {
        let off = offset_s as Micros * crate::model::time::SECOND;
        let w = self.window.max(1);
        (t + off).div_euclid(w) * w - off
    }

    /// The window in force at `t` and its use, if one is open.
    fn current(&self, t: Micros) -> Option<(Micros, u64)> {
        let (start, used) = self.open?;
        let end = start.saturating_add(self.window);
        match self.anchor {
            // announced resets are counted by `Announced`; without them, openings are observed
            Anchor::FirstRequest | Anchor::Announced => (t < end).then_some((start, used)),
            Anchor::Epoch => (self.aligned(t, 0) == start).then_some((start, used)),
            Anchor::Calendar { offset_s } => {
                (self.aligned(t, offset_s) == start).then_some((start, used))
            }
        }
    }

    fn used(&self, t: Micros) -> u64 {
        self.current(t).map_or(0, |(_, u)| u)
    }
}

impl Meter for Fixed {
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
        let by_window = units_to_refuse(self.used(t) as f64, self.limit as f64, cost);
        match self.anchor {
            // a window opened by unseen traffic may hold every request of the last `window`
            Anchor::FirstRequest => by_window.min(self.sliding.hidden_needed(t, cost)),
            _ => by_window,
        }
    }

    fn free_at(&mut self, t: Micros, cost: u64) -> Micros {
        if cost > self.limit {
            return Micros::MAX;
        }
        match self.current(t) {
            Some((start, used)) if used + cost > self.limit => start + self.window,
            _ => t,
        }
    }

    fn record(&mut self, t: Micros, end: Micros, cost: u64, admitted: bool, charged: bool) {
        self.sliding.record(t, end, cost, admitted, charged);
        if !charged {
            return;
        }
        let (start, used) = match self.current(t) {
            Some(open) => open,
            None => {
                let start = match self.anchor {
                    Anchor::FirstRequest | Anchor::Announced => t,
                    Anchor::Epoch => self.aligned(t, 0),
                    Anchor::Calendar { offset_s } => self.aligned(t, offset_s),
                };
                (start, 0)
            }
        };
        self.open = Some((start, used + cost));
    }

    fn window_opened(&mut self, t: Micros) -> Option<Micros> {
        self.current(t).map(|(s, _)| s)
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
    fn windows_open_at_the_first_request_and_restart_after_the_end() {
        let mut m = Fixed::new(2, 10 * SECOND, Anchor::FirstRequest);
        m.record(3 * SECOND, 0, 1, true, true);
        m.record(4 * SECOND, 0, 1, true, true);
        assert!(!m.admits(12 * SECOND, 1));
        assert_eq!(m.free_at(5 * SECOND, 1), 13 * SECOND);
        assert_eq!(m.window_opened(12 * SECOND), Some(3 * SECOND));
        assert!(m.admits(13 * SECOND, 1));
        m.record(20 * SECOND, 0, 1, true, true);
        assert_eq!(m.window_opened(21 * SECOND), Some(20 * SECOND));
        assert_eq!(m.level(21 * SECOND), 1.0);
    }

    #[test]
    fn epoch_and_calendar_windows_are_aligned() {
        let mut m = Fixed::new(1, 60 * SECOND, Anchor::Epoch);
        m.record(61 * SECOND, 0, 1, true, true);
        assert!(!m.admits(119 * SECOND, 1));
        assert!(m.admits(120 * SECOND, 1));
        assert_eq!(m.window_opened(100 * SECOND), Some(60 * SECOND));
        // UTC+00:30: minutes still align, hours start at :30 UTC
        let mut h = Fixed::new(1, 3600 * SECOND, Anchor::Calendar { offset_s: 1800 });
        h.record(1900 * SECOND, 0, 1, true, true);
        assert_eq!(h.window_opened(1900 * SECOND), Some(1800 * SECOND));
        assert!(h.admits(5400 * SECOND, 1));
    }

    #[test]
    fn unseen_traffic_may_have_opened_the_window_elsewhere() {
        let mut m = Fixed::new(4, 10 * SECOND, Anchor::FirstRequest);
        // the window opened at 0 s holds four requests; the one at 10 s opens a new window
        m.record(0, 0, 1, true, true);
        for s in [8, 9, 9] {
            m.record(s * SECOND, 0, 1, true, true);
        }
        m.record(10 * SECOND, 0, 1, true, true);
        // as seen: 1 in the window opened at 10 s → 3 more to refuse; opened at 8 s by unseen
        // traffic, it would hold 4 → 0 more
        assert_eq!(m.hidden_needed(11 * SECOND, 1), 0);
        let mut e = Fixed::new(4, 10 * SECOND, Anchor::Epoch);
        for s in [0, 8, 9, 9, 10] {
            e.record(s * SECOND, 0, 1, true, true);
        }
        assert_eq!(e.hidden_needed(11 * SECOND, 1), 3);
    }
}

//! Penalty box: after a refusal the partition is refused for a fixed time.
//!
//! Owns the mitigation timeout of Cloudflare's rate-limiting rules and API (everything blocked
//! for five minutes once over the limit) around any other meter. Unseen traffic can trigger a
//! penalty too: the least hidden cost is then the cost that makes the inner limiter refuse one
//! unseen request at some moment within the penalty before the request. Pure.

use std::collections::VecDeque;

use crate::model::Micros;

use super::Meter;

/// A meter refused for `duration` after each refusal of its inner limiter.
#[derive(Clone)]
pub struct Penalty {
    inner: Box<dyn Meter>,
    duration: Micros,
    blocked_until: Micros,
    /// (time, unseen cost that would have triggered a penalty then), within `duration`.
    triggers: VecDeque<(Micros, u64)>,
}

impl Penalty {
    /// Wraps `inner` with a penalty of `duration`.
    pub fn new(inner: Box<dyn Meter>, duration: Micros) -> Self {
        Penalty {
            inner,
            duration,
            blocked_until: Micros::MIN,
            triggers: VecDeque::new(),
        }
    }

    fn prune(&mut self, t: Micros) {
        while let Some(&(s, _)) = self.triggers.front() {
            if s > t - self.duration {
                break;
            }
            self.triggers.pop_front();
        }
    }
}

impl Meter for Penalty {
    fn level(&mut self, t: Micros) -> f64 {
        self.inner.level(t)
    }

    fn capacity(&self) -> f64 {
        self.inner.capacity()
    }

    fn admits(&mut self, t: Micros, cost: u64) -> bool {
        t >= self.blocked_until && self.inner.admits(t, cost)
    }

    fn hidden_needed(&mut self, t: Micros, cost: u64) -> u64 {
        if t < self.blocked_until {
            return 0;
        }
        self.prune(t);
        let now = self.inner.hidden_needed(t, cost);
        // an unseen refused request (cost 1) after enough unseen admitted ones, earlier
        let trigger_now = self.inner.hidden_needed(t, 1) + 1;
        self.triggers
            .iter()
            .map(|&(_, h)| h)
            .chain([now, trigger_now])
            .min()
            .unwrap_or(now)
    }

    fn free_at(&mut self, t: Micros, cost: u64) -> Micros {
        let from = t.max(self.blocked_until);
        self.inner.free_at(from, cost)
    }

    fn record(&mut self, t: Micros, end: Micros, cost: u64, admitted: bool, charged: bool) {
        self.prune(t);
        if !admitted && t >= self.blocked_until && !self.inner.admits(t, cost) {
            self.blocked_until = t + self.duration;
        }
        self.inner.record(t, end, cost, admitted, charged);
        let trigger = self.inner.hidden_needed(t, 1) + 1;
        self.triggers.push_back((t, trigger));
    }

    fn window_opened(&mut self, t: Micros) -> Option<Micros> {
        self.inner.window_opened(t)
    }

    fn penalized(&self, t: Micros) -> bool {
        t < self.blocked_until
    }

    fn clone_box(&self) -> Box<dyn Meter> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::meter::Sliding;
    use crate::model::time::SECOND;

    #[test]
    fn a_refusal_blocks_the_partition_for_the_penalty() {
        let mut m = Penalty::new(Box::new(Sliding::new(2, 10 * SECOND)), 300 * SECOND);
        for s in 0..3 {
            let t = s * SECOND;
            let ok = m.admits(t, 1);
            m.record(t, t, 1, ok, ok);
        }
        // the third was refused at 2 s: blocked until 302 s although the window empties at 11 s
        assert!(m.penalized(20 * SECOND) && !m.penalized(302 * SECOND));
        assert!(!m.admits(20 * SECOND, 1));
        assert_eq!(m.hidden_needed(20 * SECOND, 1), 0);
        assert_eq!(m.free_at(20 * SECOND, 1), 302 * SECOND);
        assert!(m.admits(302 * SECOND, 1));
    }

    #[test]
    fn unseen_traffic_can_trigger_the_penalty_earlier() {
        let mut m = Penalty::new(Box::new(Sliding::new(5, 10 * SECOND)), 60 * SECOND);
        for s in 0..4 {
            m.record(s * SECOND, 0, 1, true, true);
        }
        // at 30 s the window is empty (5 unseen to refuse directly), but at 3 s, 1 unseen
        // admitted and 1 unseen refused would have started a penalty lasting until 63 s
        assert_eq!(m.hidden_needed(30 * SECOND, 1), 2);
    }
}

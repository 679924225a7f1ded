//! Token bucket, leaky bucket and GCRA: one admit rule for unit costs.
//!
//! Owns the bucket every token- and leaky-bucket limiter is replayed with (AWS API Gateway,
//! Envoy's local rate limit, Shopify REST, governor, redis-cell): it starts full, refills at a
//! rate up to its capacity (continuously, or in steps every interval), and admits a request
//! when it holds at least its cost. A leaky bucket's level is the capacity minus the tokens;
//! GCRA's theoretical arrival time is `(capacity − tokens) / rate` ahead. Refusals that use
//! budget may drive the bucket below empty. Pure.

use crate::model::{Micros, time};
use crate::profiles::{Rate, Refill};

use super::{Meter, units_to_refuse};

/// A token bucket.
#[derive(Clone, Debug)]
pub struct Bucket {
    capacity: f64,
    /// Tokens per microsecond.
    rate_us: f64,
    refill: Refill,
    tokens: f64,
    last: Option<Micros>,
}

impl Bucket {
    /// A full bucket of `capacity` refilled at `rate`.
    pub fn new(capacity: u64, rate: Rate, refill: Refill) -> Self {
        Bucket {
            capacity: capacity as f64,
            rate_us: rate.per_second() / time::SECOND as f64,
            refill,
            tokens: capacity as f64,
            last: None,
        }
    }

    /// Tokens at `t` (no state change).
    fn tokens_at(&self, t: Micros) -> f64 {
        let Some(last) = self.last else {
            return self.capacity;
        };
        let added = match self.refill {
            Refill::Continuous => (t - last).max(0) as f64 * self.rate_us,
            Refill::Interval(i) => {
                let i = i.max(1);
                let steps = t.div_euclid(i) - last.div_euclid(i);
                steps.max(0) as f64 * self.rate_us * i as f64
            }
        };
        (self.tokens + added).min(self.capacity)
    }

    fn advance(&mut self, t: Micros) {
        if self.last.is_some_and(|l| t < l) {
            return;
        }
        self.tokens = self.tokens_at(t);
        self.last = Some(t);
    }
}

impl Meter for Bucket {
    fn level(&mut self, t: Micros) -> f64 {
        self.advance(t);
        self.capacity - self.tokens
    }

    fn capacity(&self) -> f64 {
        self.capacity
    }

    fn admits(&mut self, t: Micros, cost: u64) -> bool {
        self.advance(t);
        self.tokens + 1e-9 >= cost as f64
    }

    fn hidden_needed(&mut self, t: Micros, cost: u64) -> u64 {
        let level = self.level(t);
        units_to_refuse(level, self.capacity, cost)
    }

    fn free_at(&mut self, t: Micros, cost: u64) -> Micros {
        if cost as f64 > self.capacity || self.rate_us <= 0.0 {
            return Micros::MAX;
        }
        self.advance(t);
        let missing = cost as f64 - self.tokens;
        if missing <= 1e-9 {
            return t;
        }
        match self.refill {
            Refill::Continuous => {
                // the first microsecond at which the tokens suffice, with `admits`' tolerance
                let mut at = t + (missing / self.rate_us).floor() as Micros;
                while self.tokens_at(at) + 1e-9 < cost as f64 {
                    at += 1;
                }
                while at > t && self.tokens_at(at - 1) + 1e-9 >= cost as f64 {
                    at -= 1;
                }
                at
            }
            Refill::Interval(i) => {
                let i = i.max(1);
                let per_step = self.rate_us * i as f64;
                let steps = (missing / per_step).ceil() as Micros;
                (t.div_euclid(i) + steps) * i
            }
        }
    }

    fn record(&mut self, t: Micros, _end: Micros, cost: u64, _admitted: bool, charged: bool) {
        self.advance(t);
        if charged {
            self.tokens -= cost as f64;
        }
    }

    fn clone_box(&self) -> Box<dyn Meter> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::{MILLISECOND, SECOND};

    fn rate(n: f64) -> Rate {
        Rate {
            amount: n,
            per: SECOND,
        }
    }

    /// Replays `n` requests at `t`, the limiter deciding; returns how many it admitted.
    fn burst(m: &mut Bucket, t: Micros, n: u64) -> u64 {
        let mut ok = 0;
        for _ in 0..n {
            let admitted = m.admits(t, 1);
            m.record(t, t, 1, admitted, admitted);
            ok += u64::from(admitted);
        }
        ok
    }

    #[test]
    fn aws_api_gateway_worked_example() {
        // B = 5000, r = 10,000/s; 5,000 requests in the first millisecond and 5,000 at
        // 101 ms → 6,000 admitted, 4,000 refused: 100 ms of refill is 1,000 tokens
        let mut m = Bucket::new(5000, rate(10_000.0), Refill::Continuous);
        let first = burst(&mut m, MILLISECOND, 5000);
        let second = burst(&mut m, 101 * MILLISECOND, 5000);
        assert_eq!((first + second, 10_000 - first - second), (6000, 4000));
    }

    #[test]
    fn interval_refills_come_in_steps() {
        let mut m = Bucket::new(2, rate(2.0), Refill::Interval(SECOND));
        assert_eq!(burst(&mut m, 100 * MILLISECOND, 3), 2);
        assert!(!m.admits(900 * MILLISECOND, 1));
        assert_eq!(m.free_at(900 * MILLISECOND, 1), SECOND);
        assert_eq!(burst(&mut m, SECOND, 3), 2);
    }

    #[test]
    fn hidden_cost_to_refuse_is_the_tokens_left() {
        let mut m = Bucket::new(11, rate(5.0), Refill::Continuous);
        assert_eq!(burst(&mut m, 0, 4), 4);
        // 7 tokens left: 7 unseen requests empty it
        assert_eq!(m.hidden_needed(0, 1), 7);
        // 200 ms later one more token
        assert_eq!(m.hidden_needed(200 * MILLISECOND, 1), 8);
        // refusals that use budget drive it below empty
        m.record(SECOND, SECOND, 20, false, true);
        assert!(m.level(SECOND) > 11.0);
        assert_eq!(m.free_at(SECOND, 1), SECOND + 2 * SECOND);
    }
}

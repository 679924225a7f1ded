//! nginx `limit_req`, exactly: a leaky bucket in integer milli-requests.
//!
//! Owns reproducing `ngx_http_limit_req_module.c` where exactness matters (a capture recorded
//! behind nginx): `rate=N r/s` is stored as N·1000 milli-requests per second and `N r/m` as
//! N·1000/60 with integer division (`1r/m` → 16), the excess leaks by `rate · ms / 1000`, a
//! request adds 1000, and it is refused when the excess would exceed `burst · 1000`. A refusal
//! changes nothing; a new key starts empty. `capacity` is `burst + 1`. Pure.

use crate::model::{Micros, time};
use crate::profiles::Rate;

use super::Meter;

/// nginx's limit_req state for one key.
#[derive(Clone, Debug)]
pub struct Nginx {
    /// Milli-requests per second.
    rate_m: i64,
    /// `burst · 1000`.
    burst_m: i64,
    excess: i64,
    /// Last update, ms (nginx keeps a millisecond clock).
    last_ms: Option<i64>,
}

impl Nginx {
    /// `capacity = burst + 1`, `rate` in whole requests per second or per minute.
    pub fn new(capacity: u64, rate: Rate) -> Self {
        let amount = rate.amount.round() as i64;
        let rate_m = if rate.per == 60 * time::SECOND {
            amount * 1000 / 60
        } else {
            amount * 1000
        };
        Nginx {
            rate_m: rate_m.max(1),
            burst_m: (capacity.saturating_sub(1) as i64).saturating_mul(1000),
            excess: 0,
            last_ms: None,
        }
    }

    /// Milliseconds since the last update, as nginx clamps them.
    fn elapsed_ms(&self, t: Micros, last: i64) -> i64 {
        let ms = t.div_euclid(time::MILLISECOND) - last;
        if ms < -60_000 {
            1
        } else if ms < 0 {
            0
        } else {
            ms
        }
    }

    /// The excess a request at `t` would bring the key to (`max(0, E − rate·ms/1000 + 1000)`),
    /// or `None` for a new key, which nginx admits with an excess of 0.
    fn next_excess(&self, t: Micros) -> Option<i64> {
        let last = self.last_ms?;
        let ms = self.elapsed_ms(t, last);
        Some((self.excess - self.rate_m * ms / 1000 + 1000).max(0))
    }
}

impl Meter for Nginx {
    /// In requests: what the key holds for a request at `t`, the phantom slot of nginx's first
    /// request included, so that a request passes when `level + 1 ≤ capacity`.
    fn level(&mut self, t: Micros) -> f64 {
        self.next_excess(t).map_or(0.0, |e| e as f64 / 1000.0)
    }

    fn capacity(&self) -> f64 {
        (self.burst_m / 1000 + 1) as f64
    }

    fn admits(&mut self, t: Micros, _cost: u64) -> bool {
        self.next_excess(t).is_none_or(|e| e <= self.burst_m)
    }

    fn hidden_needed(&mut self, t: Micros, _cost: u64) -> u64 {
        match self.next_excess(t) {
            // a new key: the first unseen request leaves it at 0, each next one adds 1000
            None => (self.burst_m / 1000 + 1) as u64,
            Some(e) if e > self.burst_m => 0,
            // each unseen request in the same millisecond adds 1000 while it passes
            Some(e) => ((self.burst_m - e) / 1000 + 1) as u64,
        }
    }

    fn free_at(&mut self, t: Micros, _cost: u64) -> Micros {
        let (Some(e), Some(last)) = (self.next_excess(t), self.last_ms) else {
            return t;
        };
        if e <= self.burst_m {
            return t;
        }
        // smallest whole ms after the last update with floor(rate·ms/1000) ≥ E + 1000 − burst
        let need = self.excess + 1000 - self.burst_m;
        let ms = (need * 1000 + self.rate_m - 1) / self.rate_m;
        ((last + ms) * time::MILLISECOND).max(t)
    }

    fn record(&mut self, t: Micros, _end: Micros, _cost: u64, _admitted: bool, charged: bool) {
        // nginx leaves its state untouched on a refusal; a charged refusal (count_rejected)
        // is modelled as an admitted one
        if !charged {
            return;
        }
        self.excess = self.next_excess(t).unwrap_or(0);
        self.last_ms = Some(t.div_euclid(time::MILLISECOND));
    }

    fn clone_box(&self) -> Box<dyn Meter> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(n: f64, per: Micros) -> Rate {
        Rate { amount: n, per }
    }

    #[test]
    fn nginx_burst_worked_example() {
        // limiters.md: rate=1r/s burst=5 nodelay, 7 requests in one millisecond → 6 admitted
        let mut m = Nginx::new(6, rate(1.0, time::SECOND));
        let mut admitted = 0;
        for _ in 0..7 {
            let ok = m.admits(5 * time::MILLISECOND, 1);
            m.record(5 * time::MILLISECOND, 0, 1, ok, ok);
            admitted += u32::from(ok);
        }
        assert_eq!(admitted, 6);
        // one request leaks out per second
        assert!(!m.admits(1004 * time::MILLISECOND, 1));
        assert!(m.admits(1005 * time::MILLISECOND, 1));
        assert_eq!(
            m.free_at(6 * time::MILLISECOND, 1),
            1005 * time::MILLISECOND
        );
    }

    #[test]
    fn per_minute_rates_use_integer_milli_requests() {
        // 1r/m is stored as 16 milli-requests per second, so a full request leaks out after
        // 62.5 s, not 60 s
        let mut m = Nginx::new(1, rate(1.0, 60 * time::SECOND));
        m.record(0, 0, 1, true, true);
        assert!(!m.admits(60 * time::SECOND, 1));
        assert!(m.admits(62_500 * time::MILLISECOND, 1));
        assert_eq!(m.free_at(time::SECOND, 1), 62_500 * time::MILLISECOND);
        assert_eq!(m.hidden_needed(62_500 * time::MILLISECOND, 1), 1);
    }

    #[test]
    fn hidden_requests_in_the_same_millisecond_fill_the_burst() {
        let mut m = Nginx::new(11, rate(5.0, time::SECOND));
        for _ in 0..4 {
            m.record(0, 0, 1, true, true);
        }
        // 4 in one millisecond: excess 3000, the next would bring it to 4000 of a burst of
        // 10000; 7 unseen requests take it to 10000 and the next is refused
        assert_eq!(m.level(0), 4.0);
        assert_eq!(m.hidden_needed(0, 1), 7);
        let mut fresh = Nginx::new(11, rate(5.0, time::SECOND));
        assert_eq!(fresh.hidden_needed(0, 1), 11);
    }
}

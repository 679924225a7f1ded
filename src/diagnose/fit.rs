//! Bucket fitting: the bucket (capacity, and the least refill rate at which it admits every
//! success of a group of requests) that refuses the most of the group's throttles, and how
//! often a bucket fits as well when the group's run of outcomes is rotated onto other requests.
//!
//! Owns the replay of a group's own requests through a hypothetical token bucket — the shape
//! of token buckets, leaky buckets and GCRA alike, which admit the same requests for the same
//! capacity and rate. A window count (`separation`) cannot see a bucket: a bucket remembers
//! load longer than any one window, so a success can have more others in a second than a
//! throttle did. Requests are replayed at the HAR's times: no timing slack, which would let
//! a bucket refilling about once per gap both admit and refuse every request; the
//! rotation test, not a tolerance, tells a fit from jitter. The test rotates rather than
//! shuffles: traffic from outside the capture refuses runs of requests while a layer stays
//! full, and a shuffle would break those runs apart and make any run look like a bucket; a
//! rotation keeps the runs and asks whether they sit where the group's own load is. The
//! bucket starts full, as after a quiet spell; a rotation that moves a throttle onto the
//! group's first requests therefore cannot fit, which favours the recorded outcomes somewhat
//! when a group opens with successes. Pure: no I/O, no clock, no randomness.

use crate::model::{Micros, time};

use super::thresholds::{
    FIT_MAX_CAPACITY, FIT_MAX_MEMBERS, FIT_RATES_PER_S, FIT_ROTATIONS, FIT_ROUNDING,
    SEPARATION_CHANCE, SEPARATION_MIN_THROTTLES,
};

/// The best bucket for one group.
#[derive(Clone, Debug, PartialEq)]
pub struct BucketFit {
    /// The capacity whose least admitting rate refuses the most throttles (the smallest such).
    pub capacity: u32,
    /// The least refill rate, per second, at which that capacity admits every success.
    pub rate_per_s: f64,
    /// Whether the successes set the rate: `false` when the slowest rate fitted
    /// (`FIT_RATES_PER_S`) already admits them all, so the capture bounds the budget but not
    /// how fast it refills.
    pub pinned: bool,
    /// Whether refused requests take a token too.
    pub charged: bool,
    /// Positions (in the group's members) of the throttles it refuses, ascending.
    pub explained: Vec<u32>,
    /// Throttles in the group.
    pub throttled: usize,
    /// Successes in the group.
    pub successes: usize,
    /// The chance that the group's outcomes, rotated onto other requests, fit a bucket at
    /// least as well (over every capacity, rate and both charging rules).
    pub chance: f64,
    /// Whether every rotation was tried: the rotations stop once the chance cannot be under
    /// `SEPARATION_CHANCE`, and `chance` is then a lower bound.
    pub settled: bool,
}

impl BucketFit {
    /// Time to refill from empty to full: the window a budget of `capacity` spreads over.
    pub fn horizon(&self) -> Micros {
        time::secs(self.capacity as f64 / self.rate_per_s)
    }
}

/// The bucket level just before each request (tokens available), for a bucket of `capacity`
/// starting full, refilled at `rate` per µs; a request takes a token when `takes(k)`.
fn levels<F: Fn(usize) -> bool>(
    starts: &[Micros],
    capacity: f64,
    rate: f64,
    takes: F,
) -> Levels<'_, F> {
    Levels {
        starts,
        capacity,
        rate,
        k: 0,
        tokens: capacity,
        last: starts.first().copied().unwrap_or(0),
        takes,
    }
}

struct Levels<'a, F> {
    starts: &'a [Micros],
    capacity: f64,
    rate: f64,
    k: usize,
    tokens: f64,
    last: Micros,
    takes: F,
}

impl<F: Fn(usize) -> bool> Iterator for Levels<'_, F> {
    type Item = f64;

    fn next(&mut self) -> Option<f64> {
        let &t = self.starts.get(self.k)?;
        self.tokens = (self.tokens + (t - self.last) as f64 * self.rate).min(self.capacity);
        self.last = t;
        let level = self.tokens;
        if (self.takes)(self.k) {
            self.tokens -= 1.0;
        }
        self.k += 1;
        Some(level)
    }
}

/// The throttles a bucket of `capacity` refilled at `rate` (per µs) refuses: a level short
/// of a token by more than the rounding of an exact least rate (`FIT_ROUNDING`).
fn refused(
    starts: &[Micros],
    throttled: &[bool],
    capacity: u32,
    rate: f64,
    charged: bool,
) -> Vec<u32> {
    levels(starts, capacity as f64, rate, |k| charged || !throttled[k])
        .zip(throttled)
        .enumerate()
        .filter(|(_, (level, t))| **t && *level < 1.0 - FIT_ROUNDING)
        .map(|(k, _)| k as u32)
        .collect()
}

/// The least rate (per µs) at which a bucket of each capacity `1..=most` admits every success,
/// or `None` for a capacity no rate up to `FIT_RATES_PER_S` serves.
///
/// A bucket starting full, refilled at ρ, taking a token for each consuming request (and
/// allowed into debt when refused attempts take one) holds before request `j` the least over
/// `i ≤ j` of `C + ρ·(t_j − t_i) − N[i, j)`, `N` counting the tokens taken from `i` up to `j`.
/// A success `j` therefore needs `ρ ≥ (N[i, j) + 1 − C) / (t_j − t_i)` for every earlier `i`:
/// the steepest line from the points `(t_i, N[0, i))` to `(t_j, N[0, j) + 1 − C)`, which
/// touches their lower convex hull. One pass over the requests serves every capacity.
fn least_rates(
    starts: &[Micros],
    throttled: &[bool],
    charged: bool,
    most: u32,
) -> Vec<Option<f64>> {
    let per_us = |per_s: f64| per_s / time::SECOND as f64;
    let (slowest, fastest) = (per_us(FIT_RATES_PER_S.0), per_us(FIT_RATES_PER_S.1));
    let mut need = vec![slowest; most as usize];
    let origin = starts.first().copied().unwrap_or(0);
    let mut hull: Vec<(f64, f64)> = Vec::new();
    let mut taken = 0.0;
    for (&start, &t) in starts.iter().zip(throttled) {
        let x = (start - origin) as f64;
        if !t {
            for (c, n) in need.iter_mut().enumerate() {
                let y = taken - c as f64; // N[0, j) + 1 − C, C = c + 1
                *n = n.max(steepest(&hull, x, y));
            }
        }
        push_lower(&mut hull, (x, taken));
        if charged || !t {
            taken += 1.0;
        }
    }
    need.into_iter()
        .map(|r| (r <= fastest).then_some(r))
        .collect()
}

/// Adds a point to a lower convex hull of points in increasing `x`; of points at one `x` only
/// the lowest (the first) matters to a line from the right.
fn push_lower(hull: &mut Vec<(f64, f64)>, p: (f64, f64)) {
    if hull.last().is_some_and(|l| l.0 >= p.0) {
        return;
    }
    while let [.., a, b] = hull[..] {
        // b on or above the segment from a to p: not on the lower hull
        if (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0) <= 0.0 {
            hull.pop();
        } else {
            break;
        }
    }
    hull.push(p);
}

/// The steepest slope from a hull point to `(x, y)`, to the right of (or level with) them all:
/// infinite when a point at the same `x` lies below it.
fn steepest(hull: &[(f64, f64)], x: f64, y: f64) -> f64 {
    let slope = |k: usize| {
        let (hx, hy) = hull[k];
        if x > hx {
            (y - hy) / (x - hx)
        } else if y > hy {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        }
    };
    if hull.is_empty() {
        return f64::NEG_INFINITY;
    }
    // along a lower hull, the slope to a point on its right rises to the tangent, then falls
    let (mut lo, mut hi) = (0, hull.len() - 1);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if slope(mid) < slope(mid + 1) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    slope(lo)
}

/// The bucket refusing the most throttles while admitting every success: for each capacity
/// (up to the group's size, at most `FIT_MAX_CAPACITY`) and both charging rules, the least
/// rate admitting the successes refuses the most throttles (a slower refill only lowers the
/// levels). Stops early once `enough` throttles are refused. (capacity, rate per second,
/// charged, refused).
fn best_bucket(starts: &[Micros], throttled: &[bool], enough: usize) -> (u32, f64, bool, Vec<u32>) {
    // refused attempts that take a token can call for a capacity above the successes' count
    let most = (starts.len() as u32).clamp(1, FIT_MAX_CAPACITY);
    let rates = [false, true].map(|charged| least_rates(starts, throttled, charged, most));
    let mut best = (0, 0.0, false, Vec::new());
    for capacity in 1..=most {
        for (charged, rates) in [false, true].into_iter().zip(&rates) {
            let Some(rate) = rates[capacity as usize - 1] else {
                continue;
            };
            let explained = refused(starts, throttled, capacity, rate, charged);
            if explained.len() > best.3.len() {
                best = (capacity, rate * time::SECOND as f64, charged, explained);
                if best.3.len() >= enough {
                    return best;
                }
            }
        }
    }
    best
}

/// Fits a bucket to a group: `starts` in time order, `throttled` alike. `None` without
/// `SEPARATION_MIN_THROTTLES` throttles and a success, when no bucket refuses that many, or for
/// a group over `FIT_MAX_MEMBERS` (its rotations would cost too much).
pub fn fit(starts: &[Micros], throttled: &[bool]) -> Option<BucketFit> {
    let n = starts.len();
    let throttles = throttled.iter().filter(|t| **t).count();
    if n > FIT_MAX_MEMBERS || throttles < SEPARATION_MIN_THROTTLES || throttles == n {
        return None;
    }
    let (capacity, rate_per_s, charged, explained) = best_bucket(starts, throttled, throttles);
    if explained.len() < SEPARATION_MIN_THROTTLES {
        return None;
    }
    // how often the same run of outcomes, rotated to other requests of the group, fits as
    // well: stop once the chance is surely not small
    let tries = FIT_ROTATIONS.min(n - 1);
    let chance = |as_good: usize| (as_good + 1) as f64 / (tries + 1) as f64;
    let mut labels = vec![false; n];
    let mut as_good = 0usize;
    let mut settled = true;
    for r in 0..tries {
        // rotations spread evenly over 1..n
        let offset = 1 + r * (n - 1) / tries;
        for (k, l) in labels.iter_mut().enumerate() {
            *l = throttled[(k + offset) % n];
        }
        if best_bucket(starts, &labels, explained.len()).3.len() >= explained.len() {
            as_good += 1;
            // the chance only grows from here: once it cannot be small, stop
            if chance(as_good) >= SEPARATION_CHANCE {
                settled = r + 1 == tries;
                break;
            }
        }
    }
    Some(BucketFit {
        capacity,
        rate_per_s,
        pinned: rate_per_s > FIT_RATES_PER_S.0,
        charged,
        explained,
        throttled: throttles,
        successes: n - throttles,
        chance: chance(as_good),
        settled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Micros = time::MILLISECOND;

    /// Whether a bucket of `capacity` at `rate` (per µs) admits every success, by replay.
    fn admits_all(
        starts: &[Micros],
        throttled: &[bool],
        capacity: u32,
        rate: f64,
        charged: bool,
    ) -> bool {
        levels(starts, capacity as f64, rate, |k| charged || !throttled[k])
            .zip(throttled)
            .all(|(level, &t)| t || level >= 1.0 - FIT_ROUNDING)
    }

    #[test]
    fn the_least_rates_are_the_least_that_admit_every_success_by_replay() {
        let mut g = Jitter(11);
        for case in 0..200 {
            let n = 5 + g.below(40);
            let mut t = 0;
            let starts: Vec<Micros> = (0..n)
                .map(|_| {
                    t += g.below(400) as Micros * MS;
                    t
                })
                .collect();
            let throttled: Vec<bool> = (0..n).map(|_| g.below(3) == 0).collect();
            for charged in [false, true] {
                let rates = least_rates(&starts, &throttled, charged, 8);
                for (c, r) in rates.iter().enumerate() {
                    let capacity = c as u32 + 1;
                    let Some(r) = *r else {
                        let fastest = FIT_RATES_PER_S.1 / time::SECOND as f64;
                        assert!(
                            !admits_all(&starts, &throttled, capacity, fastest, charged),
                            "case {case}: capacity {capacity} said unserved"
                        );
                        continue;
                    };
                    assert!(
                        admits_all(&starts, &throttled, capacity, r * (1.0 + 1e-9), charged),
                        "case {case}: capacity {capacity} rate {r} refuses a success"
                    );
                    let slowest = FIT_RATES_PER_S.0 / time::SECOND as f64;
                    if r > slowest * 1.001 {
                        assert!(
                            !admits_all(&starts, &throttled, capacity, r * 0.999, charged),
                            "case {case}: capacity {capacity}: a slower rate than {r} serves"
                        );
                    }
                }
            }
        }
    }

    /// A small fixed-seed generator (xorshift64*) for jittered times and random outcomes.
    struct Jitter(u64);

    impl Jitter {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
        }
    }

    /// Requests every `gap_ms` (give or take a few ms, as a browser sends them), refused by a
    /// bucket of `capacity` refilled at `rate_per_s` (refusals not charged), as a server
    /// would: the truth the fit should recover.
    fn through_bucket(
        n: usize,
        gap_ms: i64,
        capacity: f64,
        rate_per_s: f64,
    ) -> (Vec<Micros>, Vec<bool>) {
        let mut jitter = Jitter(7);
        let starts: Vec<Micros> = (0..n as i64)
            .map(|k| k * gap_ms * MS + jitter.below(5_000) as Micros)
            .collect();
        let rate = rate_per_s / time::SECOND as f64;
        let (mut tokens, mut last) = (capacity, 0);
        let throttled = starts
            .iter()
            .map(|&t| {
                tokens = (tokens + (t - last) as f64 * rate).min(capacity);
                last = t;
                if tokens >= 1.0 {
                    tokens -= 1.0;
                    false
                } else {
                    true
                }
            })
            .collect();
        (starts, throttled)
    }

    #[test]
    fn a_bucket_s_own_refusals_are_fitted_with_its_capacity_and_a_small_chance() {
        // 5 a second into a bucket of 6 refilled at 2/s: the first refusal after ~2 s
        let (starts, throttled) = through_bucket(60, 200, 6.0, 2.0);
        assert!(throttled.iter().filter(|t| **t).count() >= 10);
        let f = fit(&starts, &throttled).expect("a fit");
        assert_eq!(f.explained.len(), f.throttled, "{f:?}");
        assert_eq!(f.capacity, 6, "{f:?}");
        assert!((f.rate_per_s - 2.0).abs() < 0.02, "{f:?}");
        assert!(f.chance < 0.05, "{f:?}");
    }

    #[test]
    fn throttles_at_random_times_fit_no_better_than_chance() {
        // the same requests, throttles scattered with no regard to the load (positions drawn
        // once from a uniform generator): no bucket of the group's own traffic explains them
        let starts: Vec<Micros> = (0..60).map(|k| k * 200 * MS).collect();
        let at = [4, 9, 17, 22, 30, 33, 41, 50, 56];
        let throttled: Vec<bool> = (0..60).map(|k| at.contains(&k)).collect();
        match fit(&starts, &throttled) {
            None => {}
            Some(f) => assert!(f.chance >= 0.05, "{f:?}"),
        }
    }

    #[test]
    fn every_success_is_admitted_by_the_fitted_bucket() {
        let (starts, throttled) = through_bucket(40, 150, 4.0, 3.0);
        let f = fit(&starts, &throttled).unwrap();
        let rate = f.rate_per_s / time::SECOND as f64;
        assert!(admits_all(&starts, &throttled, f.capacity, rate, f.charged));
        // one less would refuse a success
        assert!(
            f.capacity == 1 || !admits_all(&starts, &throttled, f.capacity - 1, rate, f.charged)
        );
    }

    #[test]
    fn a_chance_the_rotations_stopped_short_of_is_marked_as_a_lower_bound() {
        // throttles scattered with no regard to the load: rotations fit as well soon
        let starts: Vec<Micros> = (0..60).map(|k| k * 200 * MS).collect();
        let at = [4, 9, 17, 22, 30, 33, 41, 50, 56];
        let throttled: Vec<bool> = (0..60).map(|k| at.contains(&k)).collect();
        if let Some(f) = fit(&starts, &throttled) {
            assert!(f.settled || f.chance >= SEPARATION_CHANCE, "{f:?}");
        }
        // the bucket's own refusals: every rotation is tried
        let (starts, throttled) = through_bucket(60, 200, 6.0, 2.0);
        assert!(fit(&starts, &throttled).unwrap().settled);
    }

    #[test]
    fn a_rate_the_successes_do_not_bound_is_not_pinned() {
        // two successes, then only throttles: a budget of two with no refill fits
        let starts: Vec<Micros> = (0..8).map(|k| k * 100 * MS).collect();
        let throttled = [false, false, true, true, true, true, true, true];
        let f = fit(&starts, &throttled).expect("a fit");
        assert!(!f.pinned, "{f:?}");
        assert_eq!(f.capacity, 2, "{f:?}");
        // the bucket's own refusals at 2/s: the rate is set by the successes
        let (starts, throttled) = through_bucket(60, 200, 6.0, 2.0);
        assert!(fit(&starts, &throttled).unwrap().pinned);
    }

    #[test]
    fn too_few_throttles_or_no_success_fit_nothing() {
        let starts: Vec<Micros> = (0..5).map(|k| k * MS).collect();
        assert_eq!(fit(&starts, &[false, false, false, false, true]), None);
        assert_eq!(fit(&starts, &[true; 5]), None);
    }

    #[test]
    fn the_horizon_is_the_time_to_refill_from_empty() {
        let f = BucketFit {
            capacity: 13,
            rate_per_s: 6.5,
            pinned: true,
            charged: false,
            explained: vec![],
            throttled: 0,
            successes: 0,
            chance: 1.0,
            settled: true,
        };
        assert_eq!(f.horizon(), 2 * time::SECOND);
    }
}

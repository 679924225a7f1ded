//! Limiters as meters: one partition's requests are replayed through a meter in time order,
//! and the meter says, at any instant, how much budget is in use, whether a request would be
//! admitted, when room frees, and the least hidden cost that would have made it refuse.
//!
//! Owns the `Meter` interface and the choice of implementation for a layer's limiter. Each
//! algorithm lives in its own file; adding one touches that file, `for_layer` here and the
//! profile parser. Callers (`evaluate`, the diagnosis, the pacing plan) read only what meters
//! report, never the algorithm. Pure: no I/O, no clock; requests arrive in time order.

mod announced;
mod bucket;
mod concurrency;
mod counter;
mod fixed;
mod nginx;
mod penalty;
mod sliding;

use crate::model::Micros;
use crate::profiles::{Anchor, Layer, Limiter};

pub use announced::Announced;
pub use bucket::Bucket;
pub use concurrency::Concurrency;
pub use counter::SlidingCounter;
pub use fixed::Fixed;
pub use nginx::Nginx;
pub use penalty::Penalty;
pub use sliding::Sliding;

/// A limiter replaying one partition. Times passed to a meter never decrease.
pub trait Meter: Send + Sync {
    /// Budget in use just before a request at `t` (expiries, refills and leaks applied), in the
    /// limiter's units: requests or points in the window, the bucket's level, requests in
    /// flight.
    fn level(&mut self, t: Micros) -> f64;

    /// The budget `level` is compared with: the limit, or the bucket's capacity.
    fn capacity(&self) -> f64;

    /// Whether a request of `cost` arriving at `t` would be admitted.
    fn admits(&mut self, t: Micros, cost: u64) -> bool;

    /// The least cost of requests the meter has not seen, arriving just before `t`, that would
    /// make it refuse a request of `cost` at `t`; 0 when it refuses already.
    fn hidden_needed(&mut self, t: Micros, cost: u64) -> u64;

    /// The earliest instant at or after `t` at which a request of `cost` would be admitted if
    /// nothing else arrived; `Micros::MAX` when never (a cost above the budget).
    fn free_at(&mut self, t: Micros, cost: u64) -> Micros;

    /// Records a request that arrived at `t` and ended at `end`: whether the limiter admitted
    /// it, and whether it used budget (admitted, or refused where refusals count).
    fn record(&mut self, t: Micros, end: Micros, cost: u64, admitted: bool, charged: bool);

    /// Where the window in force at `t` opened (fixed windows only).
    fn window_opened(&mut self, _t: Micros) -> Option<Micros> {
        None
    }

    /// Whether a penalty opened by an earlier refusal still refuses every request at `t`
    /// (`Penalty` only), whatever the budget in use.
    fn penalized(&self, _t: Micros) -> bool {
        false
    }

    /// A copy of the meter's state.
    fn clone_box(&self) -> Box<dyn Meter>;
}

impl Clone for Box<dyn Meter> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// A fresh meter for a layer's limiter (with its penalty, when it has one).
pub fn for_layer(layer: &Layer) -> Box<dyn Meter> {
    let inner: Box<dyn Meter> = match layer.limiter {
        Limiter::Window {
            limit,
            window,
            anchor: None,
        } => Box::new(Sliding::new(limit, window)),
        Limiter::Window {
            limit,
            anchor: Some(Anchor::Announced),
            ..
        } => Box::new(Announced::new(limit, layer.resets.clone())),
        Limiter::Window {
            limit,
            window,
            anchor: Some(anchor),
        } => Box::new(Fixed::new(limit, window, anchor)),
        Limiter::SlidingCounter {
            limit,
            window,
            admit_equal,
        } => Box::new(SlidingCounter::new(limit, window, admit_equal)),
        Limiter::Bucket {
            capacity,
            rate,
            nginx: true,
            ..
        } => Box::new(Nginx::new(capacity, rate)),
        Limiter::Bucket {
            capacity,
            rate,
            refill,
            ..
        } => Box::new(Bucket::new(capacity, rate, refill)),
        Limiter::Concurrency { limit, min_age } => Box::new(Concurrency::new(limit, min_age)),
    };
    match layer.penalty {
        Some(d) => Box::new(Penalty::new(inner, d)),
        None => inner,
    }
}

/// The least whole number of unit-cost hidden requests that brings `level` over `capacity` for
/// a request of `cost`, when a request is admitted while `level + cost ≤ capacity`.
pub(crate) fn units_to_refuse(level: f64, capacity: f64, cost: u64) -> u64 {
    let room = capacity - level - cost as f64;
    if room < 0.0 {
        0
    } else {
        // tiny tolerance: levels computed in floating point
        (room + 1e-9).floor() as u64 + 1
    }
}

#[cfg(test)]
pub(crate) mod brute;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::{BucketKind, Rate, Refill};
    use brute::{Brute, Event};
    use proptest::prelude::*;

    #[test]
    fn units_to_refuse_is_the_room_plus_one() {
        assert_eq!(units_to_refuse(3.0, 5.0, 1), 2);
        assert_eq!(units_to_refuse(5.0, 5.0, 1), 0);
        assert_eq!(units_to_refuse(4.0, 5.0, 1), 1);
        assert_eq!(units_to_refuse(1.5, 5.0, 1), 3);
        assert_eq!(units_to_refuse(0.0, 5.0, 6), 0);
    }

    fn limiter() -> impl Strategy<Value = Limiter> {
        let window = prop_oneof![Just(1_000_000i64), Just(2_500_000), Just(10_000_000)];
        let rate = prop_oneof![
            Just(Rate {
                amount: 1.0,
                per: 1_000_000
            }),
            Just(Rate {
                amount: 5.0,
                per: 1_000_000
            }),
            Just(Rate {
                amount: 30.0,
                per: 60_000_000
            }),
        ];
        prop_oneof![
            (1u64..8, window.clone()).prop_map(|(limit, window)| Limiter::Window {
                limit,
                window,
                anchor: None
            }),
            (
                1u64..8,
                window.clone(),
                prop_oneof![
                    Just(Anchor::Epoch),
                    Just(Anchor::FirstRequest),
                    Just(Anchor::Calendar { offset_s: 0 })
                ]
            )
                .prop_map(|(limit, window, a)| Limiter::Window {
                    limit,
                    window,
                    anchor: Some(a)
                }),
            (1u64..8, window.clone(), any::<bool>()).prop_map(|(limit, window, admit_equal)| {
                Limiter::SlidingCounter {
                    limit,
                    window,
                    admit_equal,
                }
            }),
            (
                1u64..8,
                rate.clone(),
                prop_oneof![Just(Refill::Continuous), Just(Refill::Interval(500_000))]
            )
                .prop_map(|(capacity, rate, refill)| Limiter::Bucket {
                    kind: BucketKind::Token,
                    capacity,
                    rate,
                    refill,
                    nginx: false,
                    delay: None
                }),
            (1u64..8, rate).prop_map(|(capacity, rate)| Limiter::Bucket {
                kind: BucketKind::Leaky,
                capacity,
                rate,
                refill: Refill::Continuous,
                nginx: true,
                delay: None
            }),
            (1u64..5, prop_oneof![Just(0i64), Just(700_000)])
                .prop_map(|(limit, min_age)| Limiter::Concurrency { limit, min_age }),
        ]
    }

    /// Steps: (gap before the request in µs, cost, duration, whether it is refused by others).
    fn steps() -> impl Strategy<Value = Vec<(i64, u64, i64, bool)>> {
        prop::collection::vec(
            (
                prop_oneof![Just(0i64), 0i64..2_000, 0i64..400_000, 0i64..3_000_000],
                1u64..3,
                0i64..2_000_000,
                prop::bool::weighted(0.2),
            ),
            1..40,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Every meter agrees with a brute-force replay of its definition on levels, decisions,
        /// the least hidden cost (found by adding unseen requests one by one) and when room frees.
        #[test]
        fn meters_agree_with_brute_force(limiter in limiter(), steps in steps(), charge_refused in any::<bool>()) {
            let layer = Layer::new("p", limiter.clone());
            let mut meter = for_layer(&layer);
            let mut brute = Brute::new(limiter.clone());
            let nginx = matches!(limiter, Limiter::Bucket { nginx: true, .. });
            let first_request = matches!(limiter, Limiter::Window { anchor: Some(Anchor::FirstRequest), .. });
            let mut t = 1_700_000_000_000_000i64;
            for (gap, cost, dur, refused_elsewhere) in steps {
                t += gap;
                let cost = if nginx { 1 } else { cost };
                let (level, cap) = brute.level(t);
                prop_assert!((meter.level(t) - level).abs() < 1e-6, "level {} vs {} at {}", meter.level(t), level, t);
                prop_assert!((meter.capacity() - cap).abs() < 1e-9);
                let admits = brute.admits(t, cost);
                prop_assert_eq!(meter.admits(t, cost), admits);
                let want = brute.hidden_needed(t, cost);
                let got = meter.hidden_needed(t, cost);
                if first_request {
                    prop_assert!(got <= want, "hidden {} > {}", got, want);
                } else {
                    prop_assert_eq!(got, want);
                }
                let free = meter.free_at(t, cost);
                if free != Micros::MAX && !first_request {
                    prop_assert!(free >= t);
                    prop_assert!(brute.admits(free, cost), "not admitted at free_at {}", free - t);
                    if free > t {
                        prop_assert!(!brute.admits(free - 1, cost), "admitted before free_at {}", free - t);
                    }
                }
                let admitted = admits && !refused_elsewhere;
                let charged = admitted || charge_refused;
                meter.record(t, t + dur, cost, admitted, charged);
                brute.events.push(Event { t, end: t + dur, cost, charged });
            }
        }
    }
}

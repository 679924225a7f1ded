//! The limits a pacing plan must respect: every documented layer, with the budget traffic
//! outside the capture was shown to use left to it, and every undocumented limit the diagnosis
//! inferred.
//!
//! Owns turning layers and explanations into simulated limits, each a meter factory with a way
//! to key a request into its partition. Pure.

use crate::diagnose::{Diagnosis, Explanation, LimitKind, Scope};
use crate::evaluate::{self, Evaluation, meter};
use crate::model::Capture;
use crate::profiles::{Layer, Limiter, Profile};

/// How a simulated limit keys requests.
#[derive(Clone, Debug, PartialEq)]
pub enum Keying {
    /// A documented layer: its partition key and its filters.
    Layer {
        /// Index into `Evaluation::layers`.
        eval: usize,
    },
    /// An undocumented limit over a scope.
    Scope(Scope),
}

/// One limit of the simulation.
#[derive(Clone, Debug)]
pub struct SimLimit {
    /// How requests are keyed.
    pub keying: Keying,
    /// The limiter, with the numbers the plan must respect.
    pub layer: Layer,
    /// Budget left for traffic outside the capture (already taken off `layer`).
    pub reserved: u64,
}

impl SimLimit {
    /// A fresh meter.
    pub fn meter(&self) -> Box<dyn meter::Meter> {
        meter::for_layer(&self.layer)
    }

    /// The limit's name (a layer name, or `undocumented … limit`).
    pub fn name(&self) -> &str {
        &self.layer.name
    }
}

/// Takes `reserved` units off a limiter's budget, keeping at least one.
fn reduce(limiter: &Limiter, reserved: u64) -> Limiter {
    let keep = |n: u64| n.saturating_sub(reserved).max(1);
    match *limiter {
        Limiter::Window {
            limit,
            window,
            anchor,
        } => Limiter::Window {
            limit: keep(limit),
            window,
            anchor,
        },
        Limiter::SlidingCounter {
            limit,
            window,
            admit_equal,
        } => Limiter::SlidingCounter {
            limit: keep(limit),
            window,
            admit_equal,
        },
        Limiter::Bucket {
            kind,
            capacity,
            rate,
            refill,
            nginx,
            delay,
        } => Limiter::Bucket {
            kind,
            capacity: keep(capacity),
            rate,
            refill,
            nginx,
            delay,
        },
        Limiter::Concurrency { limit, min_age } => Limiter::Concurrency {
            limit: keep(limit),
            min_age,
        },
    }
}

/// Every limit a plan must respect.
pub fn collect(
    profiles: &[Profile],
    eval: &Evaluation,
    join: Option<&crate::join::Join>,
    diagnosis: &Diagnosis,
) -> Vec<SimLimit> {
    let mut out = Vec::new();
    for (k, le) in eval.layers.iter().enumerate() {
        if le.counted == 0 {
            continue;
        }
        let layer = &profiles[le.profile].layers[le.layer];
        // traffic outside the capture used at least this much of the budget at a throttle
        let reserved = diagnosis
            .throttles
            .iter()
            .filter(|t| t.layer() == Some(k))
            .filter_map(|t| t.hidden_at_least())
            .max()
            .unwrap_or(0)
            // the server's log shows the hidden traffic's own busiest window: it shares the
            // budget whether or not it caused a throttle
            .max(join.map_or(0, |j| j.hidden_peak[k]));
        let mut l = layer.clone();
        l.limiter = reduce(&layer.limiter, reserved);
        out.push(SimLimit {
            keying: Keying::Layer { eval: k },
            layer: l,
            reserved,
        });
    }
    let mut seen: Vec<Explanation> = Vec::new();
    for t in &diagnosis.throttles {
        let Explanation::Undocumented {
            kind,
            scope,
            limit: Some(limit),
            window,
            ..
        } = t.explanation
        else {
            continue;
        };
        if seen.contains(&t.explanation) {
            continue;
        }
        seen.push(t.explanation);
        let limiter = match (kind, window) {
            (LimitKind::Concurrency, _) => Limiter::Concurrency {
                limit: limit.max(1),
                min_age: 0,
            },
            (_, Some(w)) => Limiter::Window {
                limit: limit.max(1),
                window: w,
                anchor: None,
            },
            (_, None) => continue,
        };
        out.push(SimLimit {
            keying: Keying::Scope(scope.unwrap_or(Scope::Caller)),
            layer: Layer::new(format!("undocumented {} limit", kind.as_str()), limiter),
            reserved: 0,
        });
    }
    out
}

/// For every request of `items`, its partition (dense index) in each limit, or `None` when the
/// limit does not count it: `out[limit][item]`.
pub fn partitions(
    limits: &[SimLimit],
    capture: &Capture,
    profiles: &[Profile],
    eval: &Evaluation,
    items: &[u32],
) -> Vec<Vec<Option<u32>>> {
    limits
        .iter()
        .map(|limit| {
            let mut index: std::collections::HashMap<Vec<u32>, u32> =
                std::collections::HashMap::new();
            let counted: Box<dyn Fn(usize) -> Option<Vec<u32>>> = match &limit.keying {
                Keying::Layer { eval: k } => {
                    let le = &eval.layers[*k];
                    let profile = &profiles[le.profile];
                    let layer = &profile.layers[le.layer];
                    let covered = evaluate::covered(capture, profile);
                    Box::new(move |i| {
                        evaluate::counts(layer, &covered, capture, i, evaluate::Options::default())
                            .then(|| evaluate::partition_key(layer, capture, i).to_vec())
                    })
                }
                Keying::Scope(scope) => {
                    let scope = *scope;
                    Box::new(move |i| {
                        let (u, c, h, m, p) = scope.group_key(&capture.requests[i]);
                        Some(vec![u, c.unwrap_or(u32::MAX), h, m, p])
                    })
                }
            };
            items
                .iter()
                .map(|&i| {
                    let key = counted(i as usize)?;
                    let n = index.len() as u32;
                    Some(*index.entry(key).or_insert(n))
                })
                .collect()
        })
        .collect()
}

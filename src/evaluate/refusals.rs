//! Whether a layer charges the capture's refused attempts, where the documentation does not
//! say and the server's counters do.
//!
//! Owns one question: a layer whose documentation is silent on refused attempts may charge
//! them or not, and the diagnosis must then weigh both. The server's counter on a success
//! settles it one way: traffic from outside the capture can only add to a count, so when the
//! server reports fewer requests than the capture's own attempts in the window — on enough
//! readings where the two replays differ — the layer does not charge them (whichever limit
//! refused them: a HAR cannot tell, and the replay that charges them charges all). The opposite
//! is never concluded (a count above the admitted requests can be traffic from elsewhere). It
//! reads the capture and the profiles; `apply` records the answer in the layers. Pure.

use rayon::prelude::*;

use crate::model::Capture;
use crate::profiles::{Kind, Profile};

use super::users::{COUNT_TOLERANCE, refutes};
use super::{Options, replay};

/// A layer the server's counters show not to charge refused attempts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uncounted {
    /// Index of the profile in the active set.
    pub profile: usize,
    /// Index of the layer in its profile.
    pub layer: usize,
    /// Readings below the count of the capture's own attempts.
    pub below: usize,
    /// Readings where charging refused attempts changes the count.
    pub observed: usize,
}

/// The layers, silent on refused attempts, whose server counters show they do not charge them.
pub fn infer(capture: &Capture, profiles: &[Profile]) -> Vec<Uncounted> {
    // only captures with both throttles and counters can tell
    let throttles = capture.requests.iter().any(|r| r.is_throttle());
    let counters = !capture.quotas.is_empty();
    if !(throttles && counters) {
        return Vec::new();
    }
    let asked: Vec<(usize, usize)> = profiles
        .iter()
        .enumerate()
        .flat_map(|(p, profile)| {
            profile
                .layers
                .iter()
                .enumerate()
                .filter(|(_, l)| l.count_rejected.is_none() && l.kind() == Kind::Rate)
                // only a layer some response reports a count for can be read
                .filter(|(_, l)| {
                    capture
                        .requests
                        .iter()
                        .any(|r| l.reported_use(capture.quotas_of(r)).is_some())
                })
                .map(move |(l, _)| (p, l))
        })
        .collect();
    // layers replay independently: in parallel, in profile and layer order
    asked
        .into_par_iter()
        .filter_map(|(p, l)| {
            let profile = &profiles[p];
            let (below, observed) = replay::refusal_readings(
                capture,
                profile,
                &profile.layers[l],
                Options::default(),
                COUNT_TOLERANCE,
            );
            refutes((below, observed)).then_some(Uncounted {
                profile: p,
                layer: l,
                below,
                observed,
            })
        })
        .collect()
}

/// Records in each layer that it does not charge refused attempts.
pub fn apply(profiles: &mut [Profile], uncounted: &[Uncounted]) {
    for u in uncounted {
        let layer = &mut profiles[u.profile].layers[u.layer];
        layer.count_rejected = Some(false);
        layer.refusals_read = Some((u.below as u32, u.observed as u32));
    }
}

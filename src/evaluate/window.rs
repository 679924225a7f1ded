//! Window arithmetic over one partition's time-sorted requests.
//!
//! Owns the exact definitions of the counts every report rests on: the sliding count at a
//! request (`r.start − W < q.start ≤ r.start`), the fixed-window count (windows opened by the
//! first counted request, or aligned to the epoch), and the number of requests in flight at a
//! request's start, and `Sweep`, the forward-only count they and the diagnosis's burst measures
//! are built on. All functions take sorted starts and return one count per request; ties
//! (requests starting in the same microsecond) always see each other. Pure, O(n) or O(n log n).

use crate::model::Micros;

/// Prefix sums of costs: `cum[i]` is the total cost of the first `i` requests.
pub fn prefix_sums(costs: &[u32]) -> Vec<u64> {
    let mut cum = Vec::with_capacity(costs.len() + 1);
    cum.push(0u64);
    let mut total = 0u64;
    for &c in costs {
        total += c as u64;
        cum.push(total);
    }
    cum
}

/// How many of a sorted list are at most a bound, for bounds that never decrease between
/// calls: one pass over the list for all of them, where a binary search per bound would cost a
/// logarithm each. Requests with `from < start ≤ to` are `to`'s count less `from`'s.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sweep(usize);

impl Sweep {
    /// Items of `sorted` at most `bound` (no smaller than any bound asked before).
    pub fn at_most(&mut self, sorted: &[Micros], bound: Micros) -> usize {
        while self.0 < sorted.len() && sorted[self.0] <= bound {
            self.0 += 1;
        }
        self.0
    }
}

/// Sliding-window count at each request: cost of `q` with `r.start − window < q.start ≤ r.start`.
pub fn sliding(starts: &[Micros], costs: &[u32], window: Micros) -> Vec<u64> {
    debug_assert!(starts.windows(2).all(|w| w[0] <= w[1]));
    let cum = prefix_sums(costs);
    let (mut lo, mut hi) = (Sweep::default(), Sweep::default());
    starts
        .iter()
        .map(|&t| cum[hi.at_most(starts, t)] - cum[lo.at_most(starts, t.saturating_sub(window))])
        .collect()
}

/// Fixed-window count at each request. Windows open at the first request and restart at the
/// first request at or after the end of the previous window; with `aligned`, windows are the
/// epoch-aligned intervals `[k·window, (k+1)·window)`. Returns the counts and, per request,
/// the start of its window.
pub fn fixed(
    starts: &[Micros],
    costs: &[u32],
    window: Micros,
    aligned: bool,
) -> (Vec<u64>, Vec<Micros>) {
    debug_assert!(starts.windows(2).all(|w| w[0] <= w[1]));
    let n = starts.len();
    let mut counts = vec![0u64; n];
    let mut opened = vec![0 as Micros; n];
    let mut i = 0;
    let mut win_start: Option<Micros> = None;
    let mut running = 0u64;
    while i < n {
        let t = starts[i];
        let ws = if aligned {
            t.div_euclid(window.max(1)) * window.max(1)
        } else {
            match win_start {
                Some(ws) if t < ws.saturating_add(window) => ws,
                _ => t,
            }
        };
        if win_start != Some(ws) {
            win_start = Some(ws);
            running = 0;
        }
        // a tie group shares one count
        let mut j = i;
        while j < n && starts[j] == t {
            running += costs[j] as u64;
            j += 1;
        }
        for k in i..j {
            counts[k] = running;
            opened[k] = ws;
        }
        i = j;
    }
    (counts, opened)
}

/// Requests in flight at each request's start: `q.start ≤ r.start < q.end`, where a request
/// with no duration is in flight for one microsecond (so it always counts itself).
pub fn in_flight(starts: &[Micros], ends: &[Micros]) -> Vec<u64> {
    covering(starts, starts, ends)
}

/// For each point, how many intervals `[start, end)` contain it. `starts` must be sorted;
/// `points` must be sorted too.
pub fn covering(points: &[Micros], starts: &[Micros], ends: &[Micros]) -> Vec<u64> {
    debug_assert!(points.windows(2).all(|w| w[0] <= w[1]));
    let mut sorted_ends: Vec<Micros> = starts
        .iter()
        .zip(ends)
        .map(|(&s, &e)| e.max(s.saturating_add(1)))
        .collect();
    sorted_ends.sort_unstable();
    let n = starts.len();
    let (mut started, mut ended) = (0usize, 0usize);
    points
        .iter()
        .map(|&t| {
            while started < n && starts[started] <= t {
                started += 1;
            }
            while ended < n && sorted_ends[ended] <= t {
                ended += 1;
            }
            (started - ended) as u64
        })
        .collect()
}

/// Index of the largest value (the first one on ties).
pub fn argmax<T: PartialOrd + Copy>(v: &[T]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, &x) in v.iter().enumerate() {
        if best.is_none_or(|b| x > v[b]) {
            best = Some(i);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn brute_sliding(starts: &[Micros], costs: &[u32], w: Micros) -> Vec<u64> {
        starts
            .iter()
            .map(|&t| {
                starts
                    .iter()
                    .zip(costs)
                    .filter(|(s, _)| t - w < **s && **s <= t)
                    .map(|(_, c)| *c as u64)
                    .sum()
            })
            .collect()
    }

    /// The fixed-window definition, written independently: walk requests, open a window at a
    /// request that falls outside the current one.
    fn brute_fixed(starts: &[Micros], costs: &[u32], w: Micros, aligned: bool) -> Vec<u64> {
        let mut windows: Vec<Micros> = Vec::new();
        for &t in starts {
            let ws = if aligned {
                t.div_euclid(w) * w
            } else {
                match windows.last() {
                    Some(&ws) if t < ws + w => ws,
                    _ => t,
                }
            };
            if windows.last() != Some(&ws) {
                windows.push(ws);
            }
        }
        starts
            .iter()
            .map(|&t| {
                let ws = *windows.iter().rev().find(|&&ws| ws <= t).unwrap();
                starts
                    .iter()
                    .zip(costs)
                    .filter(|(s, _)| **s >= ws && **s <= t && **s < ws + w)
                    .map(|(_, c)| *c as u64)
                    .sum()
            })
            .collect()
    }

    fn brute_in_flight(starts: &[Micros], ends: &[Micros]) -> Vec<u64> {
        starts
            .iter()
            .map(|&t| {
                starts
                    .iter()
                    .zip(ends)
                    .filter(|(s, e)| **s <= t && t < (**e).max(**s + 1))
                    .count() as u64
            })
            .collect()
    }

    fn series() -> impl Strategy<Value = (Vec<Micros>, Vec<u32>)> {
        prop::collection::vec((0i64..5_000, 1u32..6), 0..80).prop_map(|mut v| {
            v.sort_by_key(|x| x.0);
            v.into_iter().unzip()
        })
    }

    proptest! {
        #[test]
        fn sliding_matches_its_definition((starts, costs) in series(), w in 1i64..2_000) {
            prop_assert_eq!(sliding(&starts, &costs, w), brute_sliding(&starts, &costs, w));
        }

        #[test]
        fn a_wider_window_never_lowers_a_count((starts, costs) in series(), w in 1i64..2_000, extra in 0i64..2_000) {
            let narrow = sliding(&starts, &costs, w);
            let wide = sliding(&starts, &costs, w + extra);
            prop_assert!(narrow.iter().zip(&wide).all(|(a, b)| a <= b));
            for aligned in [false, true] {
                // fixed windows can split differently, but a count never exceeds the total
                let (f, _) = fixed(&starts, &costs, w, aligned);
                let total: u64 = costs.iter().map(|c| *c as u64).sum();
                prop_assert!(f.iter().all(|c| *c <= total));
            }
        }

        #[test]
        fn counts_never_exceed_the_partition((starts, costs) in series(), w in 1i64..10_000) {
            let total: u64 = costs.iter().map(|c| *c as u64).sum();
            prop_assert!(sliding(&starts, &costs, w).iter().all(|c| *c <= total));
            // and every request counts itself
            prop_assert!(sliding(&starts, &costs, w).iter().zip(&costs).all(|(c, own)| *c >= *own as u64));
        }

        #[test]
        fn fixed_matches_its_definition((starts, costs) in series(), w in 1i64..2_000, aligned in any::<bool>()) {
            prop_assert_eq!(fixed(&starts, &costs, w, aligned).0, brute_fixed(&starts, &costs, w, aligned));
        }

        #[test]
        fn in_flight_matches_its_definition((starts, _c) in series(), durs in prop::collection::vec(0i64..500, 80)) {
            let ends: Vec<Micros> = starts.iter().zip(&durs).map(|(s, d)| s + d).collect();
            prop_assert_eq!(in_flight(&starts, &ends), brute_in_flight(&starts, &ends));
        }

        #[test]
        fn sweeps_count_the_cost_a_filter_counts(
            (starts, costs) in series(),
            mut bounds in prop::collection::vec((-10i64..5_100, 0i64..3_000), 1..20),
        ) {
            // (a, a + len] for bounds whose both ends never decrease
            bounds.sort_unstable();
            let mut ends: Vec<Micros> = bounds.iter().map(|(a, len)| a + len).collect();
            for k in 1..ends.len() {
                ends[k] = ends[k].max(ends[k - 1]);
            }
            let cum = prefix_sums(&costs);
            let (mut from, mut to) = (Sweep::default(), Sweep::default());
            for ((a, _), b) in bounds.iter().zip(ends) {
                let want: u64 = starts.iter().zip(&costs).filter(|(s, _)| *a < **s && **s <= b).map(|(_, c)| *c as u64).sum();
                let got = cum[to.at_most(&starts, b)] - cum[from.at_most(&starts, *a)];
                prop_assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn sliding_edges_are_exclusive_then_inclusive() {
        // q exactly one window before r is out; ties are in
        let starts = [0, 100, 100, 200];
        assert_eq!(sliding(&starts, &[1, 1, 1, 1], 100), vec![1, 2, 2, 1]);
        assert_eq!(sliding(&starts, &[1, 1, 1, 1], 101), vec![1, 3, 3, 3]);
    }

    #[test]
    fn fixed_windows_restart_at_the_first_request_after_the_end() {
        let starts = [0, 50, 99, 100, 150, 260];
        let (c, opened) = fixed(&starts, &[1; 6], 100, false);
        assert_eq!(c, vec![1, 2, 3, 1, 2, 1]);
        assert_eq!(opened, vec![0, 0, 0, 100, 100, 260]);
        let (c, opened) = fixed(&[30, 120, 190, 210], &[1; 4], 100, true);
        assert_eq!(c, vec![1, 1, 2, 1]);
        assert_eq!(opened, vec![0, 100, 100, 200]);
    }

    #[test]
    fn in_flight_counts_overlaps() {
        // three parallel PUTs, the first quick, two held
        let starts = [0, 1, 2, 500];
        let ends = [243, 6_300, 6_330, 600];
        assert_eq!(in_flight(&starts, &ends), vec![1, 2, 3, 3]);
    }
}

//! Separations: does a count (requests in flight, or started within a short window) split a
//! group's throttles from its successes, and how likely is so clean a split by chance?
//!
//! Owns the statistics behind undocumented concurrency and burst limits. A limit of N refuses a
//! request when N admitted others are around it. Whether some limit on the count can explain a
//! throttle at all is judged against every possible timing (every success had fewer than N
//! surely around, the throttle at least N possibly); how strongly the capture points to one is
//! judged at the HAR's own times: the best N splits throttles (at least N around) from
//! successes (fewer), and the chance is the hypergeometric probability that at least that many
//! of the group's throttles land on requests that crowded if throttles fell on requests
//! regardless of the count. Pure.

use super::context::{Around, Group};

/// The best split of one group by one count, at the HAR's own times.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Separation {
    /// The limit: a request is refused once this many admitted others are around it.
    pub limit: u32,
    /// Throttles in the group.
    pub throttled: usize,
    /// Throttles with at least `limit` around (the ones it explains).
    pub explained: usize,
    /// Runs of throttles between two successes of the group that hold a throttle it explains:
    /// a limit, once full, refuses every request until it frees, so one run is one filling.
    /// (A split by membership counts each explained throttle as a run.)
    pub runs: usize,
    /// Whether the split is one of time order alone (`cumulative`): every throttle it explains
    /// counted every success of the group before it, and no success follows them.
    pub cumulative: bool,
    /// Successes in the group (all had fewer than `limit` surely around).
    pub successes: usize,
    /// Requests in the group.
    pub members: usize,
    /// Requests with at least `limit` around.
    pub crowded: usize,
    /// The chance of so clean a split if throttles fell on requests at random.
    pub chance: f64,
}

/// The highest count surely around any success of the group (`None` without successes).
pub fn busiest_success(group: &Group, _throttled: impl Fn(u32) -> bool) -> Option<u32> {
    group.busiest_success
}

/// Whether a limit on this count can explain a throttle at all: some limit is at or below the
/// throttle's possible count and such that every success's sure count stays under `slack`
/// times it (1 for a count in flight, which every algorithm bounds alike; more for a count in a
/// window, which fixed windows and buckets let exceed their limit).
pub fn feasible(
    group: &Group,
    around: Around,
    throttled: impl Fn(u32) -> bool,
    slack: u64,
) -> bool {
    around.possible >= 1
        && busiest_success(group, throttled)
            .is_none_or(|b| u64::from(around.possible) * slack > u64::from(b))
}

/// The split with the smallest chance, among limits every success stays under.
pub fn best(group: &Group, throttled: impl Fn(u32) -> bool) -> Option<Separation> {
    let floor = group.busiest_exact.map_or(1, |b| b + 1).max(1);
    let members = group.members.len();
    let is_throttle: Vec<bool> = group.members.iter().map(|m| throttled(*m)).collect();
    let throttle_counts: Vec<u32> = group
        .members
        .iter()
        .zip(&group.around)
        .filter(|(m, _)| throttled(**m))
        .map(|(_, a)| a.exact)
        .collect();
    let total = throttle_counts.len();
    let mut throttle_counts = throttle_counts;
    throttle_counts.sort_unstable();
    let mut all_counts: Vec<u32> = group.around.iter().map(|a| a.exact).collect();
    all_counts.sort_unstable();
    let mut limits: Vec<u32> = throttle_counts
        .iter()
        .copied()
        .filter(|&p| p >= floor)
        .collect();
    limits.dedup();
    let ln_fact = ln_factorials(members);
    // counts at or above `limit` in a sorted list
    let at_least =
        |sorted: &[u32], limit: u32| sorted.len() - sorted.partition_point(|&p| p < limit);
    limits
        .into_iter()
        .map(|limit| {
            let explained = at_least(&throttle_counts, limit);
            let crowded = at_least(&all_counts, limit);
            Separation {
                limit,
                throttled: total,
                explained,
                // counted for the chosen split only (below)
                runs: 0,
                cumulative: false,
                successes: members - total,
                members,
                crowded,
                chance: tail(&ln_fact, members, crowded, total, explained),
            }
        })
        .min_by(|a, b| {
            a.chance
                .total_cmp(&b.chance)
                .then(b.explained.cmp(&a.explained))
        })
        .map(|mut s| {
            s.runs = runs(&is_throttle, |k| group.around[k].exact >= s.limit);
            // (for a documented layer's split the counts are replay levels: unused there)
            s.cumulative = cumulative(&is_throttle, |k| group.around[k].exact, s.limit);
            s
        })
}

/// Runs of throttles among a group's members (time order, `is_throttle` per member) between
/// two successes that hold a throttle `explains` accepts (by position).
pub fn runs(is_throttle: &[bool], explains: impl Fn(usize) -> bool) -> usize {
    let mut runs = 0;
    let mut counted = false;
    for (k, &t) in is_throttle.iter().enumerate() {
        if !t {
            counted = false;
        } else if !counted && explains(k) {
            runs += 1;
            counted = true;
        }
    }
    runs
}

/// Whether the split at `limit` is one of time order: some throttle reaches it, every one
/// that does counted every success before it (by position, time order), and no success
/// follows the first — the count is the group's running total at every throttle it explains.
/// Throttles before that run, under the limit, are not its split's and do not matter.
pub fn cumulative(is_throttle: &[bool], count: impl Fn(usize) -> u32, limit: u32) -> bool {
    let mut before = 0u32;
    let mut any = false;
    for (k, &t) in is_throttle.iter().enumerate() {
        if !t {
            // a success after a throttle it explains: the count fell, which time cannot
            if any {
                return false;
            }
            before += 1;
        } else if count(k) >= limit {
            if count(k) != before {
                return false;
            }
            any = true;
        }
    }
    any
}

/// The split of a group by membership in a set (the requests a layer counts): `marked` of the
/// `members` are in it, `explained` of the `throttled` throttles among them; the chance that
/// at least that many throttles land in it if throttles fell on members regardless.
pub fn by_membership(
    members: usize,
    marked: usize,
    throttled: usize,
    explained: usize,
) -> Separation {
    Separation {
        limit: 0,
        throttled,
        explained,
        runs: explained,
        cumulative: false,
        successes: members - throttled,
        members,
        crowded: marked,
        chance: tail(
            &ln_factorials(members),
            members,
            marked,
            throttled,
            explained,
        ),
    }
}

fn ln_factorials(n: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(n + 1);
    out.push(0.0);
    let mut acc = 0.0;
    for k in 1..=n {
        acc += (k as f64).ln();
        out.push(acc);
    }
    out
}

fn ln_choose(f: &[f64], n: usize, k: usize) -> f64 {
    f[n] - f[k] - f[n - k]
}

/// P(X ≥ x) for X hypergeometric: `draws` drawn from `n` of which `marked` are marked.
fn tail(f: &[f64], n: usize, marked: usize, draws: usize, x: usize) -> f64 {
    if x == 0 {
        return 1.0;
    }
    let top = draws.min(marked);
    if x > top {
        return 0.0;
    }
    let denom = ln_choose(f, n, draws);
    (x..=top)
        .filter(|&j| draws - j <= n - marked)
        .map(|j| (ln_choose(f, marked, j) + ln_choose(f, n - marked, draws - j) - denom).exp())
        .sum::<f64>()
        .min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A group whose members from `first_throttle` on are throttles.
    fn group(arounds: &[(u32, u32)], first_throttle: usize) -> Group {
        Group {
            members: (0..arounds.len() as u32).collect(),
            around: arounds
                .iter()
                .map(|&(sure, possible)| Around {
                    sure,
                    exact: possible,
                    possible,
                })
                .collect(),
            busiest_success: arounds[..first_throttle].iter().map(|a| a.0).max(),
            busiest_exact: arounds[..first_throttle].iter().map(|a| a.1).max(),
            separation: None,
            waits_count_down: false,
        }
    }

    #[test]
    fn a_split_of_time_order_is_told_from_a_count_that_falls() {
        // S S S T T: each throttle counted the three successes before it
        let t = [false, false, false, true, true];
        let counts = [0, 1, 2, 3, 3];
        assert!(cumulative(&t, |k| counts[k], 3));
        // a window that let the first success go: the count fell, time did not
        assert!(!cumulative(&t, |k| [0, 1, 2, 2, 3][k], 2));
        // a success after a throttle it explains
        let t = [false, false, true, false, true];
        assert!(!cumulative(&t, |k| [0, 1, 2, 2, 3][k], 2));
        // no throttle reaches the limit: no split at all
        assert!(!cumulative(&[false, true], |_| 0, 1));
        // a throttle under the limit before the run does not matter
        let t = [false, true, false, true];
        assert!(cumulative(&t, |k| [0, 0, 1, 2][k], 2));
    }

    #[test]
    fn runs_are_counted_between_successes_and_only_where_a_throttle_is_explained() {
        // S T T S T S T T T: three runs of throttles
        let t = [false, true, true, false, true, false, true, true, true];
        assert_eq!(runs(&t, |_| true), 3);
        // the middle run explains none of its throttles; the last run explains one
        assert_eq!(runs(&t, |k| k == 1 || k == 8), 2);
        assert_eq!(runs(&t, |_| false), 0);
        // throttles before the first success are a run too
        assert_eq!(runs(&[true, true, false], |_| true), 1);
    }

    #[test]
    fn hypergeometric_tail() {
        let f = ln_factorials(10);
        // 4 draws from 10 of which 6 are marked: all 4 marked with chance C(6,4)/C(10,4)
        assert!((tail(&f, 10, 6, 4, 4) - 15.0 / 210.0).abs() < 1e-12);
        assert_eq!(tail(&f, 10, 6, 4, 0), 1.0);
        assert_eq!(tail(&f, 10, 2, 4, 3), 0.0);
    }

    #[test]
    fn a_membership_split_is_the_same_hypergeometric_tail() {
        // 12 requests, 4 in the set, all 4 throttles among them: 1 / C(12, 4)
        let s = by_membership(12, 4, 4, 4);
        assert!((s.chance - 1.0 / 495.0).abs() < 1e-9);
        assert_eq!((s.successes, s.crowded, s.limit), (8, 4, 0));
        // the set holds every request: no split at all
        assert_eq!(by_membership(12, 12, 4, 4).chance, 1.0);
    }

    #[test]
    fn a_clean_split_is_unlikely_by_chance() {
        // 12 requests: 8 alone and admitted, 4 throttled with another in flight
        let mut a = vec![(0, 0); 8];
        a.extend([(0, 1), (1, 1), (0, 2), (1, 2)]);
        let g = group(&a, 8);
        let throttled = |m: u32| m >= 8;
        let s = best(&g, throttled).unwrap();
        assert_eq!((s.limit, s.explained, s.crowded, s.runs), (1, 4, 4, 1));
        // all 4 throttles on the only 4 crowded requests: 1 / C(12, 4)
        assert!((s.chance - 1.0 / 495.0).abs() < 1e-9);
        assert!(feasible(
            &g,
            Around {
                sure: 0,
                exact: 1,
                possible: 1
            },
            throttled,
            1
        ));
    }

    #[test]
    fn in_a_window_a_success_may_be_crowded_up_to_what_any_algorithm_admits() {
        // a success surely had 3 others within the window; the throttle at most 2: a sliding
        // window of 2 would have refused the success, fixed windows or a bucket of 2 need not
        let g = group(&[(3, 3), (0, 2)], 1);
        let throttled = |m: u32| m >= 1;
        let around = Around {
            sure: 0,
            exact: 2,
            possible: 2,
        };
        assert!(!feasible(&g, around, throttled, 1));
        let slack = crate::diagnose::thresholds::STATED_LIMIT_SLACK;
        assert!(feasible(&g, around, throttled, slack));
        // 4 is more than any of them admits with a limit of 2
        let g = group(&[(4, 4), (0, 2)], 1);
        assert!(!feasible(&g, around, throttled, slack));
    }

    #[test]
    fn a_success_as_crowded_as_a_throttle_rules_the_limit_out() {
        // a success surely had 2 others in flight; the throttles had at most 2
        let g = group(&[(2, 2), (0, 0), (0, 2), (1, 1)], 2);
        let throttled = |m: u32| m >= 2;
        assert!(best(&g, throttled).is_none());
        assert!(!feasible(
            &g,
            Around {
                sure: 0,
                exact: 2,
                possible: 2
            },
            throttled,
            1
        ));
        assert!(feasible(
            &g,
            Around {
                sure: 0,
                exact: 3,
                possible: 3
            },
            throttled,
            1
        ));
    }
}

//! Facts about a capture that every explanation and finding draws on, computed once.
//!
//! Owns the measures that are not documented layers: how many requests of the same scope were
//! in flight together or started within a short window — surely, and possibly given the
//! timing uncertainty of a HAR —, which request retried which, whether the waits a group's
//! throttles state count down, and how long an endpoint's successes usually take. Pure.

use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::evaluate::{Evaluation, window};
use crate::model::{Capture, Micros, Request, time};
use crate::profiles::{Layer, Partition, Profile};

use super::separation::{self, Separation};
use super::thresholds::{
    COUNT_WINDOWS, EDGE, RETRY_AFTER_ROUNDING, RETRY_WAIT_SLACK, STILL_WAIT_GAP, STILL_WAIT_PEERS,
};

/// Who an undocumented limit may count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Same user, client, host, method and concrete path (per-record limits).
    Resource = 0,
    /// Same user, client, host, method and template.
    Endpoint = 1,
    /// Same user, client and host.
    Caller = 2,
    /// Same user and host, whichever client (a per-user limit counts the user's apps
    /// together). Tried only where a user sent a host, from several clients, traffic that
    /// holds a throttle (`users_of_several_clients`), and only those users' groups are kept:
    /// elsewhere its groups are the callers'.
    User = 3,
}

impl Scope {
    /// Every scope, narrow first.
    pub const ALL: [Scope; 4] = [Scope::Resource, Scope::Endpoint, Scope::Caller, Scope::User];

    /// The key requests of one group share.
    pub fn group_key(self, r: &Request) -> GroupKey {
        let method = r.method.id();
        match self {
            Scope::Resource => (r.user, r.client.get(), r.host, method, r.path),
            Scope::Endpoint => (r.user, r.client.get(), r.host, method, r.template | 1 << 31),
            Scope::Caller => (r.user, r.client.get(), r.host, u32::MAX, u32::MAX),
            Scope::User => (r.user, None, r.host, u32::MAX, u32::MAX),
        }
    }

    /// Whether one partition of `layer` holds every request of a group of this scope, and the
    /// layer counts them all (given that it counts one): its partition dimensions are ones the
    /// scope fixes (never the token: a caller may hold several), and its filters only look at
    /// what the scope fixes — the method below a caller, the concrete path for a record;
    /// never the page size, which the query sets request by request.
    pub fn in_one_partition(self, layer: &Layer) -> bool {
        let fixed = layer.per.iter().all(|p| match p {
            Partition::User | Partition::Org => true,
            Partition::Client => self <= Scope::Caller,
            Partition::Token => false,
            Partition::Endpoint => self <= Scope::Endpoint,
            Partition::Resource => self == Scope::Resource,
        });
        let methods = self <= Scope::Endpoint || layer.methods.is_empty();
        // path filters match concrete paths: one template's paths may fall either side
        let paths =
            self == Scope::Resource || (layer.templates.is_empty() && layer.exclude.is_empty());
        let rest = layer.credential.is_none() && layer.page_size.is_none();
        fixed && methods && paths && rest
    }
}

/// What the requests of one group of a scope share (`Scope::group_key`): user, client, host,
/// method and path or template (`u32::MAX` where the scope does not look).
pub type GroupKey = (u32, Option<u32>, u32, u32, u32);

/// Admitted requests of a request's group around it, the request itself excluded: those that
/// surely were there when it reached the server, those there by the HAR's own times, and those
/// that possibly were.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Around {
    /// Surely, whatever the timing uncertainty.
    pub sure: u32,
    /// At the HAR's times as recorded (ties in capture order).
    pub exact: u32,
    /// Possibly, within the timing uncertainty.
    pub possible: u32,
}

impl Around {
    /// A count known exactly (a replay's, without timing uncertainty).
    pub fn exactly(n: u32) -> Self {
        Around {
            sure: n,
            exact: n,
            possible: n,
        }
    }
}

/// One group of requests for a separation: its members (indices into `Capture::requests`) and
/// what was around each.
#[derive(Clone, Debug, Default)]
pub struct Group {
    /// Members, in time order.
    pub members: Vec<u32>,
    /// Around each member, same order.
    pub around: Vec<Around>,
    /// The most admitted others some success surely had around it (`None` without successes):
    /// the most any one success had, or one less than the most successes surely together
    /// (in flight at one instant, or started within one window) — the last of those to reach
    /// the server had all the others around it.
    pub busiest_success: Option<u32>,
    /// The most admitted others any success had at the HAR's own times.
    pub busiest_exact: Option<u32>,
    /// The group's best split of throttles from successes (`separation::best`), computed once
    /// for all of its throttles.
    pub separation: Option<Separation>,
    /// Whether the waits its throttles state count down (`waits_count_down`): measured for
    /// the groups of requests in flight that split, where a limit on requests in flight is in
    /// question; false elsewhere.
    pub waits_count_down: bool,
}

/// The most successes surely in flight at one instant: each is surely at the server from
/// `EDGE` after its start to `EDGE` before its end.
fn most_together_in_flight(spans: &[(Micros, Micros)]) -> u32 {
    let mut events: Vec<(Micros, i32)> = Vec::with_capacity(spans.len() * 2);
    for &(s, e) in spans {
        let (a, b) = (s + EDGE, e - EDGE);
        if a < b {
            events.push((a, 1));
            events.push((b, -1));
        }
    }
    // an end before a start at the same instant: half-open intervals
    events.sort_unstable_by_key(|&(t, d)| (t, d));
    let (mut now, mut most) = (0i32, 0i32);
    for (_, d) in events {
        now += d;
        most = most.max(now);
    }
    most as u32
}

/// The most successes whose starts lie within `w − 2·EDGE` of each other: surely within one
/// window of length `w` at the server.
fn most_together_in_window(starts: &[Micros], w: Micros) -> u32 {
    let span = w - 2 * EDGE;
    if span < 0 {
        return starts.len().min(1) as u32;
    }
    let mut lo = 0;
    let mut most = 0;
    for hi in 0..starts.len() {
        while starts[hi] - starts[lo] > span {
            lo += 1;
        }
        most = most.max(hi - lo + 1);
    }
    most as u32
}

fn busiest(around: &[Around], members: &[u32], reqs: &[Request], together: u32) -> Option<u32> {
    let single = members
        .iter()
        .zip(around)
        .filter(|(m, _)| !reqs[**m as usize].is_throttle())
        .map(|(_, a)| a.sure)
        .max()?;
    Some(single.max(together.saturating_sub(1)))
}

/// The most admitted others any success had at the HAR's own times.
fn busiest_exact(
    around: &[Around],
    members: &[u32],
    throttled: impl Fn(u32) -> bool,
) -> Option<u32> {
    members
        .iter()
        .zip(around)
        .filter(|(m, _)| !throttled(**m))
        .map(|(_, a)| a.exact)
        .max()
}

/// Groups by scope, and each throttle's group. Once a group's separation and busiest success
/// are known, only its throttles' counts are kept (in `of`): diagnosis memory follows the
/// throttles, not the requests.
#[derive(Clone, Debug, Default)]
pub struct Grouping {
    /// The groups (`around` emptied; `members` kept only where stated windows need them).
    pub groups: Vec<Group>,
    /// Per throttle, by request index: its group, its position in the group's members (in
    /// the shared `bare` group, in the group it was measured in: only groupings that keep no
    /// members have one, and their readers ask for the group and `Around` alone), and
    /// what was around it (a sorted list: a map's spare room, times twenty-one groupings of
    /// tens of thousands of throttles, was most of a day-long capture's diagnosis).
    of: Vec<(u32, (u32, u32, Around))>,
    /// The one group standing for every group without members kept, a success or a split
    /// (a polling UI's record paths make tens of thousands of groups of one throttle each).
    bare: Option<u32>,
}

impl Grouping {
    /// The group and what was around a throttle.
    pub fn at(&self, request: u32) -> Option<(&Group, Around)> {
        let (g, _, around) = self.of_throttle(request)?;
        Some((&self.groups[g as usize], around))
    }

    /// A throttle's group, position in it and what was around it.
    fn of_throttle(&self, request: u32) -> Option<(u32, u32, Around)> {
        let at = self.of.binary_search_by_key(&request, |e| e.0).ok()?;
        Some(self.of[at].1)
    }

    /// Orders the throttles for lookup once every group is in.
    fn finish(mut self) -> Self {
        self.of.sort_unstable_by_key(|e| e.0);
        self.of.shrink_to_fit();
        self
    }

    /// Keeps the throttles' counts of the group just built and drops the per-member ones
    /// (and, unless `keep_members`, the members).
    fn push(&mut self, mut group: Group, reqs: &[Request], keep_members: bool) {
        let bare = !keep_members
            && group.busiest_success.is_none()
            && group.busiest_exact.is_none()
            && group.separation.is_none()
            && !group.waits_count_down;
        let g = match self.bare {
            Some(g) if bare => g,
            _ => self.groups.len() as u32,
        };
        for (k, (&i, &a)) in group.members.iter().zip(&group.around).enumerate() {
            if reqs[i as usize].is_throttle() {
                self.of.push((i, (g, k as u32, a)));
            }
        }
        if bare && self.bare.is_some() {
            return;
        }
        if bare {
            self.bare = Some(g);
        }
        group.around = Vec::new();
        if !keep_members {
            group.members = Vec::new();
        }
        self.groups.push(group);
    }
}

/// A documented layer partition's split by its own count (`Ctx::documented_split`).
#[derive(Clone, Debug)]
struct DocumentedSplit {
    split: Separation,
    /// (request, admitted count before it) of every throttled member, by request index: only
    /// throttles are explained, and a day-long partition has a million members.
    counts: Vec<(u32, u32)>,
}

impl DocumentedSplit {
    /// The best split of `members` (time order) by the count each had around it, as a
    /// replay gives it (sure, exact and possible all equal).
    fn of_around(
        members: Vec<u32>,
        around: Vec<Around>,
        throttled: impl Fn(u32) -> bool,
    ) -> Option<Self> {
        let busiest = busiest_exact(&around, &members, &throttled);
        let mut counts: Vec<(u32, u32)> = (members.iter().copied())
            .zip(around.iter().map(|a| a.exact))
            .filter(|&(m, _)| throttled(m))
            .collect();
        counts.sort_unstable();
        let group = Group {
            members,
            around,
            busiest_success: busiest,
            busiest_exact: busiest,
            separation: None,
            waits_count_down: false,
        };
        let split = separation::best(&group, throttled)?;
        Some(DocumentedSplit { split, counts })
    }

    /// The split, when it puts `request` (a throttle) among the throttles it explains.
    fn covering(&self, request: u32) -> Option<Separation> {
        let at = self.counts.binary_search_by_key(&request, |c| c.0).ok()?;
        (self.counts[at].1 >= self.split.limit).then_some(self.split)
    }
}

/// Precomputed measures over a capture.
pub struct Ctx<'a> {
    /// The capture.
    pub capture: &'a Capture,
    /// Active profiles.
    pub profiles: &'a [Profile],
    /// The replays.
    pub eval: &'a Evaluation,
    /// Same user, method and template requests in flight at each request's start (itself
    /// included); 0 outside these groups (preflights, no response, cache).
    pub in_flight: Vec<u32>,
    /// The scopes an undocumented limit is looked for in (`Scope::ALL`, less `Scope::User`
    /// where its groups are the callers'): each is one more option of the searches' multiple
    /// testing.
    pub scopes: Vec<Scope>,
    /// In flight together, per scope (groups by `Scope::group_key`; none for a scope not in
    /// `scopes`).
    pub concurrency: [Grouping; 4],
    /// The bucket fitted to each group of `concurrency` (same order), per scope, fitted when
    /// first asked (`fit`).
    fits: [Vec<OnceLock<Option<super::fit::BucketFit>>>; 4],
    /// Started within each of `COUNT_WINDOWS` before, per scope.
    pub bursts: [[Grouping; 6]; 4],
    /// The next request of the same client, method and path (the retry, when there was one).
    pub next_same_resource: Vec<Option<u32>>,
    /// The throttles taking part in a refusal after a quiet wait, as sorted (request,
    /// throttle, retry), found when first asked (`quiet_wait_refused`).
    quiet_refusals: OnceLock<Vec<(u32, u32, u32)>>,
    /// The endpoint groups whose throttles' stated waits count down (`clock_waits`), found
    /// when first asked.
    ticking: OnceLock<Vec<GroupKey>>,
    /// Median duration of an endpoint's successful responses, keyed by (method, template).
    pub success_median: HashMap<(String, u32), Micros>,
    /// Longest request duration in the capture.
    pub max_duration: Micros,
    /// The throttles whose Retry-After stands still in their partition of each layer
    /// (evaluation index; sorted request indices), found when first asked (`wait_stands_still`).
    still_waits: Vec<OnceLock<Vec<u32>>>,
    /// The throttles that found each layer full (evaluation index; sorted (partition, start)),
    /// found when first asked (`full_throttles`).
    full: Vec<OnceLock<Vec<(u32, Micros)>>>,
    /// The rules in force.
    pub rules: super::Rules,
    /// The server's records of the same minutes, joined to the capture (with `--server-log`).
    pub join: Option<&'a crate::join::Join>,
    /// Window counts for windows bodies state, computed when first asked:
    /// (scope, group, window) → group.
    stated: Mutex<HashMap<(Scope, u32, Micros), Group>>,
    /// The split of each documented layer partition's throttles from its successes by the
    /// layer's own count of the capture's admitted requests, computed when first asked:
    /// (evaluation index, partition) → split.
    documented: Mutex<HashMap<(usize, u32), Option<DocumentedSplit>>>,
    /// The members of every partition of a layer (evaluation index), gathered in one pass
    /// when `documented_split` first asks about the layer.
    partitions: Mutex<HashMap<usize, Vec<std::sync::Arc<[u32]>>>>,
    /// How the requests a layer counts split a scope group, computed when first asked:
    /// (evaluation index, scope, group) → split.
    memberships: Mutex<HashMap<(usize, Scope, u32), Option<Separation>>>,
    /// Each layer's path filters' answers, for `membership_split` (locked after
    /// `memberships`).
    path_answers: Mutex<HashMap<usize, crate::evaluate::PathAnswers>>,
}

/// Whether a request takes part in the behavioural measures.
pub fn is_traffic(r: &Request) -> bool {
    !r.is_preflight && r.has_response() && !r.from_cache
}

/// Visits the traffic requests grouped by a key, each group in time order, without holding
/// more than one group: a day-long capture has a group per path.
fn for_each_group<K: Ord + Copy>(
    reqs: &[Request],
    key: impl Fn(&Request) -> K,
    mut visit: impl FnMut(&[u32]),
) {
    // keys computed once and sorted by arrival at the server, the index as the tie-break:
    // within a group, the server's order
    let mut order: Vec<(K, Micros, u32)> = (0..reqs.len() as u32)
        .filter(|&i| is_traffic(&reqs[i as usize]))
        .map(|i| (key(&reqs[i as usize]), reqs[i as usize].arrival(), i))
        .collect();
    order.sort_unstable();
    let mut group: Vec<u32> = Vec::new();
    let mut last: Option<K> = None;
    for (k, _, i) in order {
        if last != Some(k) {
            if !group.is_empty() {
                visit(&group);
            }
            group.clear();
            last = Some(k);
        }
        group.push(i);
    }
    if !group.is_empty() {
        visit(&group);
    }
}

/// The groups of traffic requests by a key that hold a throttle (the only ones a separation
/// is measured in), each in time order.
fn throttled_groups<K: Ord + Copy>(reqs: &[Request], key: impl Fn(&Request) -> K) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    for_each_group(reqs, key, |g| {
        if g.iter().any(|&i| reqs[i as usize].is_throttle()) {
            out.push(g.to_vec());
        }
    });
    out
}

/// The users (with the host) whose traffic to a host holds a throttle and came from several
/// clients (requests without one do not count), sorted: where `Scope::User` differs from
/// `Scope::Caller`. The one unidentified user (every request whose token names no user) is
/// one user here as in the layers' partitions: its opaque tokens are often one person's
/// sessions. One pass, so captures without such a user pay nothing more.
fn users_of_several_clients(capture: &Capture) -> Vec<(u32, u32)> {
    // per (user, host): a client seen, whether another was, whether a throttle was
    let mut seen: HashMap<(u32, u32), (u32, bool, bool)> = HashMap::new();
    for r in capture.requests.iter().filter(|r| is_traffic(r)) {
        let Some(client) = r.client.get() else {
            continue;
        };
        let e = seen
            .entry((r.user, r.host))
            .or_insert((client, false, false));
        e.1 |= e.0 != client;
        e.2 |= r.is_throttle();
    }
    let mut out: Vec<(u32, u32)> = seen
        .into_iter()
        .filter(|(_, (_, several, throttled))| *several && *throttled)
        .map(|(k, _)| k)
        .collect();
    out.sort_unstable();
    out
}

/// In-flight counts within each group: admitted others surely in flight at a member's arrival
/// (started `EDGE` before it, ending `EDGE` after) and possibly (overlapping within `EDGE`),
/// in groups that hold a throttle (`throttled_groups`).
fn concurrency_grouping(capture: &Capture, groups: Vec<Vec<u32>>) -> Grouping {
    let reqs = &capture.requests;
    let mut out = Grouping::default();
    for members in groups {
        let starts: Vec<Micros> = members
            .iter()
            .map(|&i| reqs[i as usize].arrival())
            .collect();
        let longest = members
            .iter()
            .map(|&i| reqs[i as usize].duration)
            .max()
            .unwrap_or(0);
        let mut around = Vec::with_capacity(members.len());
        for (k, &i) in members.iter().enumerate() {
            let r = &reqs[i as usize];
            let t = r.arrival();
            let mut a = Around::default();
            let from = starts.partition_point(|&s| s < t - longest - 2 * EDGE - 1);
            for (j, &q) in members.iter().enumerate().skip(from) {
                let q = &reqs[q as usize];
                if j == k || q.is_throttle() {
                    continue;
                }
                let end = q.end().max(q.arrival() + 1);
                if q.arrival() > t + EDGE {
                    break;
                }
                if q.arrival() <= t - EDGE && end > t + EDGE {
                    a.sure += 1;
                }
                if j < k && end > t {
                    a.exact += 1;
                }
                if end > t - EDGE {
                    a.possible += 1;
                }
            }
            around.push(a);
        }
        let spans: Vec<(Micros, Micros)> = members
            .iter()
            .map(|&i| &reqs[i as usize])
            .filter(|q| !q.is_throttle())
            .map(|q| (q.arrival(), q.end()))
            .collect();
        let busiest_success = busiest(&around, &members, reqs, most_together_in_flight(&spans));
        let busiest_exact = busiest_exact(&around, &members, |m| reqs[m as usize].is_throttle());
        // members stay: stated windows are counted over them later (`window_counts`)
        let mut group = with_separation(
            Group {
                members,
                around,
                busiest_success,
                busiest_exact,
                separation: None,
                waits_count_down: false,
            },
            reqs,
        );
        group.waits_count_down = waits_count_down(&group, capture);
        out.push(group, reqs, true);
    }
    out.finish()
}

/// Short-window counts within one group: admitted others surely in `(t − w, t)` at the server,
/// at the HAR's own times, and possibly there.
fn burst_group(reqs: &[Request], members: &[u32], w: Micros) -> Group {
    let adm: Vec<Micros> = members
        .iter()
        .map(|&i| &reqs[i as usize])
        .filter(|q| !q.is_throttle())
        .map(|q| q.arrival())
        .collect();
    let mut around = Vec::with_capacity(members.len());
    // admitted members before each member, in capture order (ties resolved by it)
    let mut admitted_before = 0u64;
    // members come in time order, so every bound below only moves forward: one sweep each
    // instead of a binary search per member (a million-request group, six windows, four
    // scopes)
    let mut sure_from = window::Sweep::default();
    let mut sure_to = window::Sweep::default();
    let mut possible_from = window::Sweep::default();
    let mut possible_to = window::Sweep::default();
    let mut older = window::Sweep::default();
    for &i in members {
        let r = &reqs[i as usize];
        let t = r.arrival();
        let own = u64::from(!r.is_throttle());
        // admitted starts in (from, to]: those ≤ to less those ≤ from
        let sure = sure_to
            .at_most(&adm, t - EDGE)
            .saturating_sub(sure_from.at_most(&adm, t - w + EDGE)) as u64;
        let possible = (possible_to
            .at_most(&adm, t + EDGE)
            .saturating_sub(possible_from.at_most(&adm, t - w - EDGE))
            as u64)
            .saturating_sub(own);
        // admitted before it in capture order with start in (t − w, t]
        let exact = admitted_before.saturating_sub(older.at_most(&adm, t - w) as u64);
        around.push(Around {
            sure: sure as u32,
            exact: exact as u32,
            possible: possible as u32,
        });
        admitted_before += own;
    }
    let busiest_success = busiest(&around, members, reqs, most_together_in_window(&adm, w));
    let busiest_exact = busiest_exact(&around, members, |m| reqs[m as usize].is_throttle());
    with_separation(
        Group {
            members: members.to_vec(),
            around,
            busiest_success,
            busiest_exact,
            separation: None,
            waits_count_down: false,
        },
        reqs,
    )
}

/// The group with its best separation filled in.
fn with_separation(mut group: Group, reqs: &[Request]) -> Group {
    group.separation = separation::best(&group, |m| reqs[m as usize].is_throttle());
    group
}

/// The wait a response states: its Retry-After, else a counter's time to reset.
fn stated_wait(capture: &Capture, r: &Request) -> Option<Micros> {
    r.retry_after()
        .and_then(|ra| ra.wait())
        .or_else(|| capture.quotas_of(r).iter().find_map(|q| q.reset.get()))
}

/// Whether the waits stated by a group's throttles (that splits) spread wider than
/// `RETRY_AFTER_ROUNDING`. A limit on requests in flight frees when one of them completes,
/// which the server cannot know in advance, so the wait it states does not count down; waits
/// that do are a clock's: a window or a penalty. All of the group's throttles count, not only
/// those its split explains: a clock's countdown shows across the group, while the few
/// throttles one split explains may share one wait. A throttle of another limit in the group
/// can only make the waits count down, which keeps a limit on requests in flight out of
/// question: the cautious side.
fn waits_count_down(group: &Group, capture: &Capture) -> bool {
    if group.separation.is_none() {
        return false;
    }
    counts_down(
        group
            .members
            .iter()
            .map(|&m| &capture.requests[m as usize])
            .filter(|r| r.is_throttle())
            .filter_map(|r| stated_wait(capture, r)),
    )
}

/// Whether waits spread wider than `RETRY_AFTER_ROUNDING`: a clock counting down, where a
/// constant would not move.
fn counts_down(mut waits: impl Iterator<Item = Micros>) -> bool {
    let Some(first) = waits.next() else {
        return false;
    };
    let (low, high) = waits.fold((first, first), |(lo, hi), w| (lo.min(w), hi.max(w)));
    high - low > RETRY_AFTER_ROUNDING
}

/// The throttles of a layer (its `views`) whose Retry-After stands still: two throttles of one
/// partition answered at least `STILL_WAIT_GAP` apart (and the timing uncertainty at both
/// ends), the later inside the wait the earlier advised, stating the same wait within
/// `RETRY_AFTER_ROUNDING`. A clock counting down to one instant would have stated a wait
/// shorter by the gap; a wait that does not move is a constant. `throttles` are (partition,
/// request) pairs; the answer is sorted request indices. Each throttle is compared with at most
/// `STILL_WAIT_PEERS` later ones (a day of throttles under an hour-long wait stays linear).
fn still_waits(capture: &Capture, throttles: impl Iterator<Item = (u32, u32)>) -> Vec<u32> {
    let reqs = &capture.requests;
    // (partition, answered at, wait, request), in time order within each partition
    let mut waits: Vec<(u32, Micros, Micros, u32)> = throttles
        .filter_map(|(partition, request)| {
            let r = &reqs[request as usize];
            let wait = r.retry_after()?.wait()?;
            Some((partition, r.end(), wait, request))
        })
        .collect();
    waits.sort_unstable();
    let gap = STILL_WAIT_GAP + 2 * EDGE;
    let mut still = vec![false; waits.len()];
    for (a, &(p, at, wait, _)) in waits.iter().enumerate() {
        // the later answers of the same partition at least the gap after it
        let from = a + waits[a..].partition_point(|e| (e.0, e.1) < (p, at + gap));
        for b in from..waits.len().min(from + STILL_WAIT_PEERS) {
            let (q, later, other, _) = waits[b];
            if q != p || later >= at + wait {
                break;
            }
            if (other - wait).abs() <= RETRY_AFTER_ROUNDING {
                still[a] = true;
                still[b] = true;
            }
        }
    }
    let mut out: Vec<u32> = (waits.iter().zip(&still))
        .filter(|(_, s)| **s)
        .map(|(w, _)| w.3)
        .collect();
    out.sort_unstable();
    out
}

/// The endpoint groups whose throttles state waits (Retry-After, else a counter's reset)
/// spreading wider than `RETRY_AFTER_ROUNDING`: a clock counting down to when the limiter
/// frees room, where a constant wait would not move. Sorted keys.
fn clock_waits(capture: &Capture) -> Vec<GroupKey> {
    let mut waits: Vec<(GroupKey, Micros)> = capture
        .requests
        .iter()
        .filter(|r| r.is_throttle())
        .filter_map(|r| Some((Scope::Endpoint.group_key(r), stated_wait(capture, r)?)))
        .collect();
    waits.sort_unstable();
    waits
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|g| counts_down(g.iter().map(|w| w.1)))
        .map(|g| g[0].0)
        .collect()
}

/// Short-window counts within each group, groups that hold a throttle (`throttled_groups`).
fn burst_grouping(reqs: &[Request], groups: &[Vec<u32>], w: Micros) -> Grouping {
    let mut out = Grouping::default();
    for members in groups {
        out.push(burst_group(reqs, members, w), reqs, false);
    }
    out.finish()
}

/// What a quiet wait asks of a throttle's host, read at each throttle in one pass over the
/// capture: how many traffic requests of the host started before it, and the latest end and
/// arrival among them. Held per throttle, not per request.
#[derive(Clone, Copy, Debug)]
struct HostMark {
    before: u32,
    latest_end: Micros,
    latest_arrival: Micros,
}

impl HostMark {
    const NONE: HostMark = HostMark {
        before: 0,
        latest_end: Micros::MIN,
        latest_arrival: Micros::MIN,
    };

    /// The mark at every throttle, by request index.
    fn at_throttles(reqs: &[Request]) -> Vec<(u32, HostMark)> {
        let mut hosts: HashMap<u32, HostMark> = HashMap::new();
        let mut out = Vec::new();
        for (k, q) in reqs.iter().enumerate() {
            let mark = hosts.entry(q.host).or_insert(HostMark::NONE);
            if q.is_throttle() {
                out.push((k as u32, *mark));
            }
            if is_traffic(q) {
                mark.before += 1;
                mark.latest_end = mark.latest_end.max(q.end());
                mark.latest_arrival = mark.latest_arrival.max(q.arrival());
            }
        }
        out
    }

    /// Whether, between throttle `r` (marked `self`) and its retry (marked `retry_mark`),
    /// nothing else of the host started, nothing started before the throttle was still in
    /// flight when the retry started, and nothing started before it reached the server later
    /// than it possibly did (a request queued in the browser may have used room after the
    /// throttle's refusal).
    fn quiet(&self, r: &Request, retry_mark: &HostMark, retry: &Request) -> bool {
        let between = (retry_mark.before).saturating_sub(self.before + u32::from(is_traffic(r)));
        between == 0 && self.latest_end <= retry.start && self.latest_arrival < r.arrival() - EDGE
    }
}

impl<'a> Ctx<'a> {
    /// Computes every measure.
    pub fn new(capture: &'a Capture, profiles: &'a [Profile], eval: &'a Evaluation) -> Self {
        let n = capture.requests.len();
        let reqs = &capture.requests;
        let mut in_flight = vec![0u32; n];
        let mut next_same_resource = vec![None; n];

        for_each_group(
            reqs,
            |r| (r.user, r.method.id(), r.template),
            |members| {
                let starts: Vec<Micros> = members
                    .iter()
                    .map(|&i| reqs[i as usize].arrival())
                    .collect();
                let ends: Vec<Micros> = members.iter().map(|&i| reqs[i as usize].end()).collect();
                for (k, c) in window::in_flight(&starts, &ends).into_iter().enumerate() {
                    in_flight[members[k] as usize] = c as u32;
                }
            },
        );
        // a user's group is a caller's unless it holds several clients: only those are kept,
        // and the scope is tried only where one holds a throttle
        let users = users_of_several_clients(capture);
        let scopes: Vec<Scope> = Scope::ALL
            .into_iter()
            .filter(|&s| s != Scope::User || !users.is_empty())
            .collect();
        let scoped: Vec<Vec<Vec<u32>>> = Scope::ALL
            .iter()
            .map(|&s| {
                if !scopes.contains(&s) {
                    return Vec::new();
                }
                let mut groups = throttled_groups(reqs, |r| s.group_key(r));
                if s == Scope::User {
                    groups.retain(|g| {
                        let r = &reqs[g[0] as usize];
                        users.binary_search(&(r.user, r.host)).is_ok()
                    });
                }
                groups
            })
            .collect();
        // every scope and window is measured on its own: in parallel, then put in place
        let (concurrency, bursts) = rayon::join(
            || {
                let mut c: Vec<Grouping> = scoped
                    .par_iter()
                    .map(|g| concurrency_grouping(capture, g.clone()))
                    .collect();
                std::array::from_fn::<_, 4, _>(|_| c.remove(0))
            },
            || {
                let mut b: Vec<Grouping> = (0..Scope::ALL.len() * COUNT_WINDOWS.len())
                    .into_par_iter()
                    .map(|n| {
                        let (s, k) = (n / COUNT_WINDOWS.len(), n % COUNT_WINDOWS.len());
                        burst_grouping(reqs, &scoped[s], COUNT_WINDOWS[k])
                    })
                    .collect();
                std::array::from_fn(|_| std::array::from_fn(|_| b.remove(0)))
            },
        );
        let fits = std::array::from_fn(|s| {
            std::iter::repeat_with(OnceLock::new)
                .take(concurrency[s].groups.len())
                .collect()
        });
        for_each_group(
            reqs,
            |r| (r.client.get(), r.method.id(), r.path),
            |members| {
                for w in members.windows(2) {
                    next_same_resource[w[0] as usize] = Some(w[1]);
                }
            },
        );
        // keyed by borrowed method names while collecting: one owned key per endpoint
        let mut durations: HashMap<(&str, u32), Vec<Micros>> = HashMap::new();
        for r in reqs
            .iter()
            .filter(|r| is_traffic(r) && (200..400).contains(&r.status) && !r.is_throttle())
        {
            durations
                .entry((r.method.as_str(), r.template))
                .or_default()
                .push(r.duration);
        }
        let success_median = durations
            .into_iter()
            .map(|((m, t), mut v)| {
                v.sort_unstable();
                ((m.to_string(), t), v[v.len() / 2])
            })
            .collect();
        Ctx {
            capture,
            profiles,
            eval,
            in_flight,
            scopes,
            concurrency,
            fits,
            bursts,
            next_same_resource,
            quiet_refusals: OnceLock::new(),
            ticking: OnceLock::new(),
            success_median,
            max_duration: reqs.iter().map(|r| r.duration).max().unwrap_or(0),
            still_waits: std::iter::repeat_with(OnceLock::new)
                .take(eval.layers.len())
                .collect(),
            full: std::iter::repeat_with(OnceLock::new)
                .take(eval.layers.len())
                .collect(),
            rules: super::Rules::default(),
            join: None,
            stated: Mutex::new(HashMap::new()),
            documented: Mutex::new(HashMap::new()),
            partitions: Mutex::new(HashMap::new()),
            memberships: Mutex::new(HashMap::new()),
            path_answers: Mutex::new(HashMap::new()),
        }
    }

    /// The retry of throttle `i` (the next request of the same user, client, host, method and path)
    /// when it started after the full Retry-After, the waits of the throttle's endpoint count down
    /// (`wait_counts_down`: the server computed them from its limiter's state), nothing else the
    /// capture sent to the host started between the two, was still in flight when the retry started
    /// or may have reached the server after the throttle (`HostMark`), and it was refused again,
    /// stating a wait no longer (beyond rounding) than the first: a longer one may be another
    /// limit's. A limiter deciding by the capture's requests alone, having told the caller when
    /// room would come and then seen nothing more from the capture, would have admitted it:
    /// whatever filled it again came from elsewhere.
    fn retry_refused_after_quiet_wait(&self, marks: &[(u32, HostMark)], i: usize) -> Option<u32> {
        let reqs = &self.capture.requests;
        let r = &reqs[i];
        let j = self.next_same_resource[i]? as usize;
        let retry = &reqs[j];
        let same = Scope::Resource.group_key(retry) == Scope::Resource.group_key(r);
        let wait = r.retry_after()?.wait()?;
        let due = r.end() + wait;
        // a request of an unknown caller is taken for the retry only when it came when the
        // wait was over, as a client's timer sends it
        let retried = r.client.get().is_some() || retry.start <= due + RETRY_WAIT_SLACK;
        let waited = same && retry.start >= due && retried;
        let no_longer =
            || stated_wait(self.capture, retry).is_none_or(|w| w <= wait + RETRY_AFTER_ROUNDING);
        let refused = waited && retry.is_throttle() && no_longer() && self.wait_counts_down(i);
        // a limit the documentation does not state may count any caller the capture holds
        let mark = |k: usize| {
            let at = marks.binary_search_by_key(&(k as u32), |m| m.0).ok()?;
            Some(marks[at].1)
        };
        (refused && mark(i)?.quiet(r, &mark(j)?, retry)).then_some(j as u32)
    }

    /// The refusal after a quiet wait (`retry_refused_after_quiet_wait`) that throttle
    /// `request` takes part in, as the throttle whose wait promised room or as the retry
    /// refused after it: (throttle, retry). The pairs are found once, from one pass over the
    /// capture that marks each throttle's host (`HostMark`).
    pub fn quiet_wait_refused(&self, request: u32) -> Option<(u32, u32)> {
        let pairs = self.quiet_refusals.get_or_init(|| {
            let reqs = &self.capture.requests;
            let marks = HostMark::at_throttles(reqs);
            let mut v: Vec<(u32, u32, u32)> = (0..reqs.len())
                .into_par_iter()
                .filter(|&i| reqs[i].is_throttle())
                .filter_map(|i| Some((i as u32, self.retry_refused_after_quiet_wait(&marks, i)?)))
                .flat_map_iter(|(i, j)| [(i, i, j), (j, i, j)])
                .collect();
            v.sort_unstable();
            v
        });
        let at = pairs.partition_point(|e| e.0 < request);
        pairs.get(at).filter(|e| e.0 == request).map(|e| (e.1, e.2))
    }

    /// Whether the waits the throttles of request `i`'s endpoint group state count down (a
    /// limiter's clock, not a constant the server sends); the groups are found when first
    /// asked.
    pub fn wait_counts_down(&self, i: usize) -> bool {
        let key = Scope::Endpoint.group_key(&self.capture.requests[i]);
        self.ticking
            .get_or_init(|| clock_waits(self.capture))
            .binary_search(&key)
            .is_ok()
    }

    /// Whether the Retry-After of throttle `request` is shown to stand still in its partition
    /// of layer `k` (`still_waits`): a constant the server sends, whose length says nothing
    /// about the layer's window.
    pub fn wait_stands_still(&self, k: usize, request: u32) -> bool {
        self.still_waits[k]
            .get_or_init(|| {
                let views = &self.eval.layers[k].views;
                still_waits(self.capture, views.iter().map(|v| (v.partition, v.request)))
            })
            .binary_search(&request)
            .is_ok()
    }

    /// The throttles that found layer `k` full, as sorted (partition, start), from `find`
    /// when first asked (what "full" means is the caller's: the replay and the counters).
    pub fn full_throttles(
        &self,
        k: usize,
        find: impl FnOnce() -> Vec<(u32, Micros)>,
    ) -> &[(u32, Micros)] {
        self.full[k].get_or_init(find)
    }

    /// The bucket fitted to the `scope` group of throttle `request`, and the throttle's
    /// position in it; fitted once per group, when first asked.
    pub fn fit(&self, scope: Scope, request: u32) -> Option<(&super::fit::BucketFit, u32)> {
        let grouping = &self.concurrency[scope as usize];
        let (g, k, _) = grouping.of_throttle(request)?;
        let fit = self.fits[scope as usize][g as usize].get_or_init(|| {
            let reqs = &self.capture.requests;
            let members = &grouping.groups[g as usize].members;
            let starts: Vec<Micros> = members
                .iter()
                .map(|&i| reqs[i as usize].arrival())
                .collect();
            let throttled: Vec<bool> = members
                .iter()
                .map(|&i| reqs[i as usize].is_throttle())
                .collect();
            super::fit::fit(&starts, &throttled)
        });
        Some((fit.as_ref()?, k))
    }

    /// Counts within window `w` around throttle `request` in its `scope` group: the most some
    /// success surely had, and what the throttle had (`None` when it is in no group).
    pub fn window_counts(
        &self,
        scope: Scope,
        request: u32,
        w: Micros,
    ) -> Option<(Option<u32>, Around)> {
        let grouping = &self.concurrency[scope as usize];
        let (g, k, _) = grouping.of_throttle(request)?;
        // a panic elsewhere leaves the cache's entries whole: each is inserted complete
        let mut cache = self.stated.lock().unwrap_or_else(|e| e.into_inner());
        let group = cache.entry((scope, g, w)).or_insert_with(|| {
            burst_group(
                &self.capture.requests,
                &grouping.groups[g as usize].members,
                w,
            )
        });
        Some((group.busiest_success, group.around[k as usize]))
    }

    /// How cleanly layer `k`'s own count of the capture's admitted requests (its meter replayed
    /// over `partition`, each request itself excluded) splits the partition's throttles from
    /// its successes (`separation::best` on that count), when the split covers throttle
    /// `request`. A split this clean is what traffic from outside the capture, arriving
    /// steadily on top of the layer's visible count, produces as well.
    pub fn documented_split(&self, k: usize, partition: u32, request: u32) -> Option<Separation> {
        let key = (k, partition);
        let mut cache = self.documented.lock().unwrap_or_else(|e| e.into_inner());
        let entry = cache
            .entry(key)
            .or_insert_with(|| self.split_documented(k, partition));
        entry.as_ref()?.covering(request)
    }

    fn split_documented(&self, k: usize, partition: u32) -> Option<DocumentedSplit> {
        let le = &self.eval.layers[k];
        let profile = &self.profiles[le.profile];
        let layer = &profile.layers[le.layer];
        let members = {
            let mut all = self.partitions.lock().unwrap_or_else(|e| e.into_inner());
            let of_layer = all.entry(k).or_insert_with(|| {
                crate::evaluate::partitions(self.capture, profile, layer, self.eval.opts)
                    .into_iter()
                    .map(|(_, m)| m.into())
                    .collect()
            });
            // shared, not copied: a day-long partition has a million members
            of_layer.get(partition as usize)?.clone()
        };
        let mut order = Vec::with_capacity(members.len());
        let mut before = Vec::with_capacity(members.len());
        crate::evaluate::visit_admitted_levels(self.capture, layer, &members, |m, level| {
            let cost = crate::evaluate::cost(layer, self.capture, m as usize) as f64;
            order.push(m);
            before.push(Around::exactly((level - cost).max(0.0).floor() as u32));
        });
        drop(members);
        let reqs = &self.capture.requests;
        DocumentedSplit::of_around(order, before, |m| reqs[m as usize].is_throttle())
    }

    /// How membership in layer `k` (the requests it counts) splits the throttles of
    /// `request`'s group in `scope` from its successes (`separation::by_membership`): a layer
    /// that counts the throttles and not the successes explains a split of the group by its
    /// own requests, whatever count an undocumented limit would put on them.
    pub fn membership_split(&self, k: usize, scope: Scope, request: u32) -> Option<Separation> {
        let grouping = &self.concurrency[scope as usize];
        let (g, _, _) = grouping.of_throttle(request)?;
        let mut cache = self.memberships.lock().unwrap_or_else(|e| e.into_inner());
        *cache.entry((k, scope, g)).or_insert_with(|| {
            let le = &self.eval.layers[k];
            let profile = &self.profiles[le.profile];
            let layer = &profile.layers[le.layer];
            let covered = crate::evaluate::covered(self.capture, profile);
            let members = &grouping.groups[g as usize].members;
            // each distinct path matched once per layer, whatever the groups asked
            let mut paths = self.path_answers.lock().unwrap_or_else(|e| e.into_inner());
            let paths = paths.entry(k).or_default();
            let (mut marked, mut throttled, mut explained) = (0, 0, 0);
            for &m in members {
                let counted = crate::evaluate::counts_with(
                    layer,
                    &covered,
                    self.capture,
                    m as usize,
                    self.eval.opts,
                    paths,
                );
                let throttle = self.capture.requests[m as usize].is_throttle();
                marked += usize::from(counted);
                throttled += usize::from(throttle);
                explained += usize::from(counted && throttle);
            }
            (!members.is_empty())
                .then(|| separation::by_membership(members.len(), marked, throttled, explained))
        })
    }

    /// The layer behind an evaluation index.
    pub fn layer(&self, eval_index: usize) -> &'a Layer {
        let le = &self.eval.layers[eval_index];
        &self.profiles[le.profile].layers[le.layer]
    }

    /// `PUT /api/v2/architect/ivrs/{ivrId}`.
    pub fn endpoint(&self, r: &Request) -> String {
        format!("{} {}", r.method.as_str(), self.capture.template(r))
    }

    /// Local clock time of an instant, e.g. `23:30:02.546`.
    pub fn clock(&self, t: Micros) -> String {
        time::clock_local(t, self.capture.utc_offset_s())
    }

    /// Median success duration of a request's endpoint.
    pub fn typical_duration(&self, r: &Request) -> Option<Micros> {
        self.success_median
            .get(&(r.method.as_str().to_string(), r.template))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::MILLISECOND;

    #[test]
    fn a_user_s_scope_is_tried_only_where_a_user_s_traffic_with_a_throttle_came_from_several_clients()
     {
        use base64::Engine;
        let jwt = |client: &str| {
            let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
            // a client written `-name` comes in a token naming no user
            let payload = match client.strip_prefix('-') {
                Some(client) => format!(r#"{{"client_id":"{client}"}}"#),
                None => format!(r#"{{"sub":"u1","client_id":"{client}"}}"#),
            };
            format!("{}.{}.sig", e(r#"{"alg":"RS256"}"#), e(&payload))
        };
        let scopes = |clients: &[(&str, u16)]| {
            let entries: Vec<String> = clients
                .iter()
                .enumerate()
                .map(|(k, (client, status))| {
                    // an empty client: a request without a credential
                    let auth = match client {
                        &"" => String::new(),
                        c => format!(r#"{{"name":"Authorization","value":"Bearer {}"}}"#, jwt(c)),
                    };
                    format!(
                        r#"{{"startedDateTime":"2025-01-01T00:00:0{k}.000Z","time":10,"request":{{"method":"GET","url":"https://h/a","headers":[{auth}]}},"response":{{"status":{status},"headers":[]}},"timings":{{"send":0,"wait":10,"receive":0}}}}"#
                    )
                })
                .collect();
            let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
            let c = crate::normalize::capture_of(crate::normalize::Builder::new(), &refs);
            let eval = crate::evaluate::evaluate(&c, &[], Default::default());
            Ctx::new(&c, &[], &eval).scopes
        };
        let callers = [Scope::Resource, Scope::Endpoint, Scope::Caller];
        assert_eq!(scopes(&[("app-1", 200), ("app-1", 429)]), callers);
        assert_eq!(scopes(&[("app-1", 200), ("app-2", 429)]), Scope::ALL);
        // several clients, but nothing throttled
        assert_eq!(scopes(&[("app-1", 200), ("app-2", 200)]), callers);
        // tokens naming no user are the one unidentified user's, as in the layers' partitions
        assert_eq!(scopes(&[("-app-1", 200), ("-app-2", 429)]), Scope::ALL);
        // a request without a credential is no second client of anyone's
        assert_eq!(scopes(&[("", 200), ("app-1", 429)]), callers);
    }

    #[test]
    fn one_partition_holds_a_scope_only_where_the_layer_splits_by_what_the_scope_fixes() {
        let layer = |per: &[Partition]| {
            let mut l = Layer::new(
                "l",
                crate::profiles::Limiter::Window {
                    limit: 10,
                    window: 60 * time::SECOND,
                    anchor: None,
                },
            );
            l.per = per.to_vec();
            l
        };
        let holds = |per: &[Partition]| Scope::ALL.map(|s| s.in_one_partition(&layer(per)));
        assert_eq!(holds(&[]), [true; 4]);
        assert_eq!(holds(&[Partition::User]), [true; 4]);
        // a user's several clients are several partitions of a per-client layer
        assert_eq!(
            holds(&[Partition::User, Partition::Client]),
            [true, true, true, false]
        );
        assert_eq!(
            holds(&[Partition::User, Partition::Endpoint]),
            [true, true, false, false]
        );
        assert_eq!(holds(&[Partition::Resource]), [true, false, false, false]);
        // a caller may hold several tokens
        assert_eq!(holds(&[Partition::Token]), [false; 4]);
        // a layer counting one method leaves out some of a caller's requests, none of an
        // endpoint's it counts
        let mut get = layer(&[Partition::User]);
        get.methods = vec![crate::model::Method::Get];
        assert_eq!(
            Scope::ALL.map(|s| s.in_one_partition(&get)),
            [true, true, false, false]
        );
        // a path filter may split one template's paths, never one record's
        let mut me = layer(&[Partition::User]);
        me.templates = vec![crate::profiles::PathFilter::new("/users/me").unwrap()];
        assert_eq!(
            Scope::ALL.map(|s| s.in_one_partition(&me)),
            [true, false, false, false]
        );
        // the page size changes request by request, even on one record
        let mut paged = layer(&[Partition::User]);
        paged.page_size = Some(crate::profiles::PageRange { min: 1, max: 25 });
        assert_eq!(Scope::ALL.map(|s| s.in_one_partition(&paged)), [false; 4]);
    }

    #[test]
    fn a_layer_s_own_count_splits_its_partition_and_covers_only_throttles_at_the_limit() {
        // requests 10..16 in time order, counts before each; 13, 14 and 15 throttled
        let members = vec![10, 11, 12, 13, 14, 15];
        let d = DocumentedSplit::of(members, &[0, 1, 2, 3, 3, 2], |m| m >= 13).unwrap();
        // successes reached 2 at most: the split is at 3, explaining 13 and 14, not 15
        assert_eq!(
            (d.split.limit, d.split.explained, d.split.throttled),
            (3, 2, 3)
        );
        assert!(d.covering(13).is_some() && d.covering(14).is_some());
        assert_eq!(d.covering(15), None);
        assert_eq!(d.covering(99), None);
        // a success as busy as every throttle leaves no split
        assert!(DocumentedSplit::of(vec![1, 2], &[5, 1], |m| m == 2).is_none());
    }

    impl DocumentedSplit {
        /// The best split of `members` (time order) by the count each had before it.
        fn of(members: Vec<u32>, before: &[u32], throttled: impl Fn(u32) -> bool) -> Option<Self> {
            Self::of_around(
                members,
                before.iter().map(|&b| Around::exactly(b)).collect(),
                throttled,
            )
        }
    }

    #[test]
    fn a_wait_that_does_not_count_down_inside_itself_stands_still() {
        // throttles answered at the given seconds with the given Retry-After
        let still = |answers: &[(u32, &str)], partitions: &[u32]| {
            let entries: Vec<String> = answers
                .iter()
                .map(|(at, ra)| {
                    format!(
                        r#"{{"startedDateTime":"2025-01-01T00:00:{at:02}.000Z","time":10,"request":{{"method":"GET","url":"https://h/a"}},"response":{{"status":429,"headers":[{{"name":"Retry-After","value":"{ra}"}}]}},"timings":{{"send":0,"wait":10,"receive":0}}}}"#
                    )
                })
                .collect();
            let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
            let c = crate::normalize::capture_of(crate::normalize::Builder::new(), &refs);
            still_waits(&c, partitions.iter().copied().zip(0..))
        };
        // the same 14 s wait 4 and 9 s into the first: a constant
        assert_eq!(
            still(&[(0, "14"), (4, "14"), (9, "13")], &[0, 0, 0]),
            [0, 1, 2]
        );
        // a clock counting down to one instant
        assert!(still(&[(0, "14"), (4, "10"), (9, "5")], &[0, 0, 0]).is_empty());
        // equal waits too close together to tell (3 s apart is not enough once the timing
        // uncertainty is allowed for), or the later one when the earlier wait had ended
        assert!(still(&[(0, "14"), (2, "14")], &[0, 0]).is_empty());
        assert!(still(&[(0, "14"), (3, "14")], &[0, 0]).is_empty());
        assert!(still(&[(0, "5"), (5, "5")], &[0, 0]).is_empty());
        assert!(still(&[(0, "5"), (20, "5")], &[0, 0]).is_empty());
        // a witness is enough for both: the throttle 5 s in matches the first, not the second
        assert_eq!(still(&[(0, "14"), (4, "9"), (5, "14")], &[0, 0, 0]), [0, 2]);
        // in different partitions of the layer: different clocks
        assert!(still(&[(0, "14"), (4, "14")], &[0, 1]).is_empty());
    }

    #[test]
    fn waits_that_count_down_are_told_from_steady_ones() {
        // a success, then throttles whose Retry-After (else counter reset) is given in seconds
        let entry = |status: u16, header: &str| {
            format!(
                r#"{{"startedDateTime":"2025-01-01T00:00:00.000Z","time":10,"request":{{"method":"GET","url":"https://h/a"}},"response":{{"status":{status},"headers":[{header}]}},"timings":{{"send":0,"wait":10,"receive":0}}}}"#
            )
        };
        let ra = |s: &str| format!(r#"{{"name":"Retry-After","value":"{s}"}}"#);
        let waits = |headers: &[String]| {
            let mut entries = vec![entry(200, "")];
            entries.extend(headers.iter().map(|h| entry(429, h)));
            let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
            let c = crate::normalize::capture_of(crate::normalize::Builder::new(), &refs);
            let n = c.requests.len() as u32;
            let mut g = Group {
                members: (0..n).collect(),
                around: (0..n)
                    .map(|k| Around {
                        sure: k,
                        exact: k,
                        possible: k,
                    })
                    .collect(),
                ..Group::default()
            };
            g.separation = separation::best(&g, |m| c.requests[m as usize].is_throttle());
            !waits_count_down(&g, &c)
        };
        // a constant wait, within the rounding of whole seconds
        assert!(waits(&[ra("1"), ra("1"), ra("2")]));
        // a countdown to one instant: a clock's wait
        assert!(!waits(&[ra("5"), ra("4"), ra("3")]));
        // a counter's reset when there is no Retry-After
        let reset = |s: &str| {
            format!(
                r#"{{"name":"X-RateLimit-Limit","value":"3"}},{{"name":"X-RateLimit-Remaining","value":"0"}},{{"name":"X-RateLimit-Reset","value":"{s}"}}"#
            )
        };
        assert!(!waits(&[reset("5"), reset("2")]));
        // no stated wait at all says nothing against requests in flight
        assert!(waits(&[String::new(), String::new()]));
    }

    #[test]
    fn a_retry_refused_after_a_quiet_wait_on_a_ticking_clock_is_found() {
        // (millisecond, path, status, Retry-After, token) of GET requests to one host, 10 ms each
        let found = |rows: &[(u32, &str, u16, &str, &str)]| {
            let entries: Vec<String> = rows
                .iter()
                .map(|(at, path, status, ra, token)| {
                    let mut headers = Vec::new();
                    if !token.is_empty() {
                        headers.push(format!(
                            r#"{{"name":"Authorization","value":"Bearer {token}"}}"#
                        ));
                    }
                    let mut answer = Vec::new();
                    if !ra.is_empty() {
                        answer.push(format!(r#"{{"name":"Retry-After","value":"{ra}"}}"#));
                    }
                    // `//g/a` is another host's path; `/slow` takes 8 s, the rest 10 ms
                    let url = match path.strip_prefix("//") {
                        Some(other) => format!("https://{other}"),
                        None => format!("https://h{path}"),
                    };
                    let took = if *path == "/slow" { 8000 } else { 10 };
                    format!(
                        r#"{{"startedDateTime":"2025-01-01T00:00:{:02}.{:03}Z","time":{took},"request":{{"method":"GET","url":"{url}","headers":[{}]}},"response":{{"status":{status},"headers":[{}]}},"timings":{{"send":0,"wait":{took},"receive":0}}}}"#,
                        at / 1000,
                        at % 1000,
                        headers.join(","),
                        answer.join(",")
                    )
                })
                .collect();
            let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
            let c = crate::normalize::capture_of(crate::normalize::Builder::new(), &refs);
            let eval = crate::evaluate::evaluate(&c, &[], Default::default());
            let cx = Ctx::new(&c, &[], &eval);
            (0..c.requests.len() as u32)
                .filter_map(|i| cx.quiet_wait_refused(i).map(|p| (i, p)))
                .collect::<Vec<_>>()
        };
        // told at 1 s to wait 5 s, retried at 7 s with nothing else sent, refused again (told 2
        // s: the waits count down): both the throttle and its retry take part
        let base = [
            (0, "/a", 200, "", "t1"),
            (1000, "/a", 429, "5", "t1"),
            (7000, "/a", 429, "2", "t1"),
        ];
        assert_eq!(found(&base), [(1, (1, 2)), (2, (1, 2))]);
        // another request to the host meanwhile: the capture itself may have used the room
        let mut busy = base.to_vec();
        busy.insert(2, (3000, "/b", 200, "", "t1"));
        assert!(found(&busy).is_empty());
        // another host's traffic meanwhile leaves the wait quiet
        let mut elsewhere = base.to_vec();
        elsewhere.insert(2, (3000, "//g/b", 200, "", "t1"));
        assert_eq!(found(&elsewhere), [(1, (1, 3)), (3, (1, 3))]);
        // a request started before the throttle, still in flight when the retry started
        let mut slow = base.to_vec();
        slow.insert(1, (500, "/slow", 200, "", "t1"));
        assert!(found(&slow).is_empty());
        // the same path on another host is not the retry
        assert!(found(&[base[0], base[1], (7000, "//g/a", 429, "2", "t1")]).is_empty());
        // a second refusal asking for a longer wait may be another limit's
        assert!(found(&[base[0], base[1], (7000, "/a", 429, "9", "t1")]).is_empty());
        // a retry before the wait was over, or admitted, or waits that stand still
        assert!(found(&[base[0], base[1], (5000, "/a", 429, "2", "t1")]).is_empty());
        assert!(found(&[base[0], base[1], (7000, "/a", 200, "", "t1")]).is_empty());
        assert!(
            found(&[
                base[0],
                (1000, "/a", 429, "5", "t1"),
                (7000, "/a", 429, "5", "t1")
            ])
            .is_empty()
        );
        // without a caller's identity, the next request is the retry only when a timer sent it
        // as the wait ended: 7 s is 0.99 s late, 6 s (the wait ends at 6.01 s) is early
        let anonymous = |at| {
            [
                (0, "/a", 200, "", ""),
                (1000, "/a", 429, "5", ""),
                (at, "/a", 429, "2", ""),
            ]
        };
        assert!(found(&anonymous(7000)).is_empty());
        assert!(found(&anonymous(6000)).is_empty());
        assert_eq!(found(&anonymous(6300)), [(1, (1, 2)), (2, (1, 2))]);
    }

    #[test]
    fn successes_surely_together_bound_the_busiest_one() {
        // five requests sent in the same millisecond, each 300 ms long: whatever the order at
        // the server, the last to arrive had the four others in flight
        let spans: Vec<(Micros, Micros)> = (0..5)
            .map(|k| (k * MILLISECOND, 300 * MILLISECOND))
            .collect();
        assert_eq!(most_together_in_flight(&spans), 5);
        // 40 ms long: not surely at the server together
        let short: Vec<(Micros, Micros)> = (0..5).map(|k| (k, 40 * MILLISECOND)).collect();
        assert_eq!(most_together_in_flight(&short), 0);
        // three starts within 1 s − 2·EDGE: the last of them had the other two in its 1 s
        let starts = [0, 100 * MILLISECOND, 850 * MILLISECOND, 2000 * MILLISECOND];
        assert_eq!(most_together_in_window(&starts, time::SECOND), 3);
        assert_eq!(most_together_in_window(&starts, 500 * MILLISECOND), 2);
        assert_eq!(most_together_in_window(&starts, 2 * time::SECOND), 3);
    }
}

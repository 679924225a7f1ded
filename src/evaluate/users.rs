//! Telling users apart when the tokens do not say whose they are.
//!
//! Owns one question: do the opaque tokens of a capture's unidentified user belong to one
//! person, as a browser capture usually does, or to several? Without a readable `sub` claim the
//! capture cannot say, but a server that reports its counter for a layer counted per user can:
//! replayed as one user, the tokens' requests would fill that counter faster than the server
//! says it filled. Tokens are taken best-read first, each joining the group the counters
//! contradict least among those they do not refute, so one user stays the answer whenever the
//! evidence is silent. Each trial replays only the span where joining can change a count (the
//! token's use, one horizon on either side), so a day of refreshed tokens costs about one
//! replay of the day. It reads the capture and the profiles and returns the grouping; `apply`
//! rewrites the user of each request. Pure: no I/O, no clock.

use std::collections::{HashMap, HashSet};

use crate::model::{Capture, Micros, User, UsersToldApart};
use crate::profiles::{Kind, Layer, Partition, Profile};

use super::{Options, PartitionKey, counts_with, covered, identity_of, partition_key, replay};

/// A counter may lag the replay by this many requests without contradicting it: the server
/// counts at arrival, which the HAR knows to within `EDGE`, so a neighbour may land on either
/// side of the count (the same tolerance the diagnosis gives a counter).
pub(super) const COUNT_TOLERANCE: f64 = 1.0;

/// Fewest observations a merge must contradict before it is refuted: one or two can come from
/// a window edge or a late arrival, three on one pair of groups no longer do.
pub(super) const MIN_CONTRADICTIONS: usize = 3;

/// Share of the joining token's observations a merge must contradict: alignment and timing
/// leave a few counts off under either hypothesis, but when most of a token's responses report
/// fewer requests than the merged replay holds, the server is not counting them together.
pub(super) const CONTRADICTED_SHARE: f64 = 0.5;

/// How the capture's opaque tokens group into users.
#[derive(Clone, Debug, PartialEq)]
pub struct ToldApart {
    /// The layer whose counters told the groups apart.
    pub layer: String,
    /// Token indices (`Capture::tokens`) of each user, the first group staying the capture's
    /// unidentified user; groups and tokens in order of first use.
    pub groups: Vec<Vec<u32>>,
    /// Each token that no earlier group could take, with the evidence.
    pub splits: Vec<Split>,
}

/// A token the counters kept from every group formed before it.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    /// Token index (`Capture::tokens`).
    pub token: u32,
    /// Against the group that fitted best: readings the merged replay outcounts and separate
    /// replays do not, on the side that refuted the merge.
    pub contradicted: usize,
    /// Readings on that side.
    pub observed: usize,
}

/// One response carrying a counter for the layer: request index, its token and the count it
/// reports.
#[derive(Clone, Copy)]
struct Observation {
    request: u32,
    token: u32,
    used: f64,
}

/// The groups the server's counters tell apart among the unidentified user's tokens, when they
/// tell any apart.
pub fn tell_apart(capture: &Capture, profiles: &[Profile]) -> Option<ToldApart> {
    let tokens = unidentified_tokens(capture);
    if tokens.len() < 2 {
        return None;
    }
    // without a counter on any of their responses, nothing can tell the tokens apart
    let read = capture.requests.iter().any(|r| {
        r.token.is_some() && r.quotas_len > 0 && !capture.users[r.user as usize].from_claim
    });
    if !read {
        return None;
    }
    // the layer with the most counter readings decides
    let (layer, counted, obs) = profiles
        .iter()
        .flat_map(|p| p.layers.iter().map(move |l| (p, l)))
        .filter(|(p, l)| askable(p, l))
        .map(|(p, l)| {
            let counted = counted(capture, p, l);
            let obs = observations(capture, l, &counted);
            (l, counted, obs)
        })
        .max_by_key(|(_, _, o)| o.len())?;
    if obs.len() < MIN_CONTRADICTIONS {
        return None;
    }
    let mut by_token: HashMap<u32, Vec<Observation>> = HashMap::new();
    for o in &obs {
        by_token.entry(o.token).or_default().push(*o);
    }
    let spans = spans(capture, &counted);
    let cx = Trial {
        capture,
        layer,
        counted: &counted,
        by_token: &by_token,
        spans: &spans,
    };
    // the best-read tokens first, so that a token with few readings, which refutes nothing,
    // joins a group the others already formed rather than shaping it
    let mut order: Vec<u32> = tokens.clone();
    order.sort_by_key(|t| std::cmp::Reverse(by_token.get(t).map_or(0, Vec::len)));
    let mut groups: Vec<Vec<u32>> = Vec::new();
    let mut splits = Vec::new();
    for t in order {
        // of the groups the counters do not refute, the one they contradict least
        let mut best: Option<(f64, usize)> = None;
        let mut nearest = (usize::MAX, 0);
        for (gi, g) in groups.iter().enumerate() {
            let c = cx.contradiction(g, t);
            if refutes(c) {
                nearest = nearest.min(c);
                continue;
            }
            let share = c.0 as f64 / c.1.max(1) as f64;
            if best.is_none_or(|(b, _)| share < b) {
                best = Some((share, gi));
            }
        }
        match best {
            Some((_, gi)) => groups[gi].push(t),
            None => {
                if !groups.is_empty() {
                    splits.push(Split {
                        token: t,
                        contradicted: nearest.0,
                        observed: nearest.1,
                    });
                }
                groups.push(vec![t]);
            }
        }
    }
    if groups.len() < 2 {
        return None;
    }
    // groups and their tokens in order of first use: the first stays the unidentified user
    let first_use: HashMap<u32, usize> = tokens.iter().enumerate().map(|(i, &t)| (t, i)).collect();
    let rank = |t: &u32| first_use.get(t).copied().unwrap_or(usize::MAX);
    for g in &mut groups {
        g.sort_by_key(rank);
    }
    groups.sort_by_key(|g| rank(&g[0]));
    Some(ToldApart {
        layer: layer.name.clone(),
        groups,
        splits,
    })
}

/// Whether `excess` contradicted observations out of `observed` refute a joining.
pub(super) fn refutes((excess, observed): (usize, usize)) -> bool {
    excess >= MIN_CONTRADICTIONS && excess as f64 >= CONTRADICTED_SHARE * observed as f64
}

/// Gives each group after the first its own user, labelled after the capture's users, and
/// records how they were told apart.
pub fn apply(capture: &mut Capture, told: &ToldApart) {
    let mut user_of: HashMap<u32, u32> = HashMap::new();
    let mut users = vec![0];
    // without claims the unidentified user is `user-1`; with them it is `user-unidentified`
    // and the claimed users hold `user-1`… in indices 1…
    let claims = capture.users.iter().any(|u| u.from_claim);
    for g in told.groups.iter().skip(1) {
        let u = capture.users.len() as u32;
        capture.users.push(User {
            label: format!("user-{}", u + u32::from(!claims)),
            from_claim: false,
        });
        users.push(u);
        for &t in g {
            user_of.insert(t, u);
        }
    }
    for i in 0..capture.requests.len() {
        let r = &capture.requests[i];
        if capture.users[r.user as usize].from_claim {
            continue;
        }
        let Some(u) = identity_of(capture, i)
            .token
            .get()
            .and_then(|t| user_of.get(&t))
        else {
            continue;
        };
        capture.requests[i].user = *u;
    }
    capture.users_told_apart = Some(UsersToldApart {
        layer: told.layer.clone(),
        users,
        contradicted: told.splits.iter().map(|s| s.contradicted as u32).sum(),
        observed: told.splits.iter().map(|s| s.observed as u32).sum(),
    });
}

/// Tokens used by requests of an unidentified user, in order of first use.
fn unidentified_tokens(capture: &Capture) -> Vec<u32> {
    let mut seen = HashSet::new();
    let mut order = Vec::new();
    for r in &capture.requests {
        if r.is_preflight || capture.users[r.user as usize].from_claim {
            continue;
        }
        if let Some(t) = r.token.get()
            && seen.insert(t)
        {
            order.push(t);
        }
    }
    order
}

/// A layer that counts per user but not per token, over time, whose counter no other layer of
/// its profile shares numbers with.
fn askable(profile: &Profile, layer: &Layer) -> bool {
    layer.per.contains(&Partition::User)
        && !layer.per.contains(&Partition::Token)
        && layer.kind() == Kind::Rate
        && !profile
            .layers
            .iter()
            .any(|o| !std::ptr::eq(o, layer) && o.limit() == layer.limit())
}

/// The admitted responses among the layer's counted requests (`counted`) that carry a counter
/// for the layer.
fn observations(capture: &Capture, layer: &Layer, counted: &[Counted]) -> Vec<Observation> {
    counted
        .iter()
        .filter_map(|c| {
            let r = &capture.requests[c.request as usize];
            if r.is_preflight || r.is_throttle() || !r.has_response() {
                return None;
            }
            let used = layer.reported_use(capture.quotas_of(r))?;
            Some(Observation {
                request: c.request,
                token: c.token,
                used: used as f64,
            })
        })
        .collect()
}

/// A request the layer counts, of a token of the unidentified user: its partition key with
/// the user left to the grouping.
#[derive(Clone, Copy)]
struct Counted {
    request: u32,
    token: u32,
    key: PartitionKey,
}

/// The requests of the unidentified user's tokens the layer counts, in capture order (read
/// once: every grouping tried replays from them).
fn counted(capture: &Capture, profile: &Profile, layer: &Layer) -> Vec<Counted> {
    let covered = covered(capture, profile);
    let mut paths = super::PathAnswers::default();
    let mut out = Vec::new();
    for i in 0..capture.requests.len() {
        let who = identity_of(capture, i);
        if capture.users[who.user as usize].from_claim {
            continue;
        }
        let Some(token) = who.token.get() else {
            continue;
        };
        if !counts_with(layer, &covered, capture, i, Options::default(), &mut paths) {
            continue;
        }
        out.push(Counted {
            request: i as u32,
            token,
            key: partition_key(layer, capture, i),
        });
    }
    out
}

/// Each token's first and last arrival among the layer's counted requests.
fn spans(capture: &Capture, counted: &[Counted]) -> HashMap<u32, (Micros, Micros)> {
    let mut out: HashMap<u32, (Micros, Micros)> = HashMap::new();
    for c in counted {
        let t = capture.requests[c.request as usize].arrival();
        let e = out.entry(c.token).or_insert((t, t));
        e.0 = e.0.min(t);
        e.1 = e.1.max(t);
    }
    out
}

/// What every trial of a joining reads.
struct Trial<'a> {
    capture: &'a Capture,
    layer: &'a Layer,
    /// The layer's counted requests of unidentified tokens, in capture order.
    counted: &'a [Counted],
    /// Counter readings per token, in capture order.
    by_token: &'a HashMap<u32, Vec<Observation>>,
    /// Each token's first and last counted arrival.
    spans: &'a HashMap<u32, (Micros, Micros)>,
}

impl Trial<'_> {
    /// How far joining token `t` to `group` contradicts the counters: on the side (the token's
    /// readings, or the group's) that refutes the joining when one does, else on the token's
    /// side: (readings the merged replay outcounts and the separate replays do not, readings
    /// on that side). Only the token's span matters: from its first request to one horizon
    /// after its last, replayed from one horizon before it.
    fn contradiction(&self, group: &[u32], t: u32) -> (usize, usize) {
        let no_readings = Vec::new();
        let mine = self.by_token.get(&t).unwrap_or(&no_readings);
        let Some(&(first, last)) = self.spans.get(&t) else {
            return (0, mine.len());
        };
        let horizon = self.layer.window();
        let (from, to) = (first.saturating_sub(horizon), last.saturating_add(horizon));
        let start = |i: u32| self.capture.requests[i as usize].start;
        // capture order is start order; arrival comes at or after the start
        let lo = self
            .counted
            .partition_point(|c| start(c.request) < from.saturating_sub(horizon));
        let hi = self.counted.partition_point(|c| start(c.request) <= to);
        let zone = &self.counted[lo..hi];
        let mut theirs: Vec<Observation> = Vec::new();
        for g in group {
            let Some(rs) = self.by_token.get(g) else {
                continue;
            };
            let a = rs.partition_point(|o| start(o.request) < first);
            let b = rs.partition_point(|o| start(o.request) <= to);
            theirs.extend_from_slice(&rs[a..b]);
        }
        let joined: Vec<u32> = group.iter().copied().chain([t]).collect();
        let merged = self.predicted(zone, &[&joined]);
        let apart = self.predicted(zone, &[group, &[t]]);
        let over = |p: &HashMap<u32, f64>, o: &Observation| {
            p.get(&o.request)
                .is_some_and(|&level| level > o.used + COUNT_TOLERANCE)
        };
        let excess = |os: &[Observation]| {
            os.iter()
                .filter(|o| over(&merged, o) && !over(&apart, o))
                .count()
        };
        // a quiet token joining a busy group shows on its own readings, a busy one joining a
        // quiet group on the group's
        let on_mine = (excess(mine), mine.len());
        let on_theirs = (excess(&theirs), theirs.len());
        if refutes(on_theirs) && !refutes(on_mine) {
            on_theirs
        } else {
            on_mine
        }
    }

    /// The layer's replayed use at each of `zone`'s requests of the given token groups, each
    /// group taken as one user: request index to level (the request included, admitted
    /// requests charged).
    fn predicted(&self, zone: &[Counted], groups: &[&[u32]]) -> HashMap<u32, f64> {
        let group_of: HashMap<u32, usize> = groups
            .iter()
            .enumerate()
            .flat_map(|(gi, g)| g.iter().map(move |&t| (t, gi)))
            .collect();
        let mut parts: HashMap<PartitionKey, Vec<u32>> = HashMap::new();
        for c in zone {
            let Some(&g) = group_of.get(&c.token) else {
                continue;
            };
            let mut key = c.key;
            key[0] = g as u32;
            parts.entry(key).or_default().push(c.request);
        }
        let mut out = HashMap::new();
        for members in parts.values() {
            let levels = replay::levels_of(self.capture, self.layer, members);
            for (r, (_, level)) in levels.requests.iter().zip(&levels.admitted) {
                out.insert(*r, *level);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{Builder, capture_of};

    const PROFILE: &str = r#"
name = "t"
hosts = ["api.x.com"]
[[layer]]
name = "per.user"
limit = 100
window = "60s"
per = ["user"]
"#;

    /// A request of `token` at second `s` whose response reports `used` of 100.
    fn entry(s: u32, token: &str, used: Option<u32>) -> String {
        let headers = used
            .map(|u| {
                format!(
                    r#"{{"name":"X-RateLimit-Limit","value":"100"}},{{"name":"X-RateLimit-Remaining","value":"{}"}}"#,
                    100 - u
                )
            })
            .unwrap_or_default();
        format!(
            r#"{{"startedDateTime":"2025-01-01T00:{:02}:{:02}.000Z","time":10,"request":{{"method":"GET","url":"https://api.x.com/a","headers":[{{"name":"Authorization","value":"Bearer {token}"}}]}},"response":{{"status":200,"headers":[{headers}]}}}}"#,
            s / 60,
            s % 60
        )
    }

    /// Tokens `a` and `b` taking turns every second for `n` seconds; `count` gives the counter
    /// each response reports (`None`: no counter).
    fn capture(n: u32, count: impl Fn(u32, bool) -> Option<u32>) -> (Capture, Vec<Profile>) {
        let entries: Vec<String> = (0..n)
            .map(|s| {
                let b = s % 2 == 1;
                entry(s, if b { "tok-b" } else { "tok-a" }, count(s, b))
            })
            .collect();
        let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
        let c = capture_of(Builder::new(), &refs);
        let p = crate::profiles::parse::parse("t.toml", PROFILE).unwrap();
        (c, vec![p])
    }

    #[test]
    fn counters_that_rise_apart_tell_two_users_apart() {
        // each token's counter counts only its own requests: a's k-th request reads k
        let (mut c, p) = capture(40, |s, _| Some(s / 2 + 1));
        let told = tell_apart(&c, &p).expect("two users");
        assert_eq!(told.layer, "per.user");
        assert_eq!(told.groups, vec![vec![0], vec![1]]);
        assert!(told.splits[0].contradicted >= MIN_CONTRADICTIONS);
        apply(&mut c, &told);
        let users: Vec<u32> = c.requests.iter().map(|r| r.user).collect();
        assert_eq!(&users[..4], &[0, 1, 0, 1]);
        assert_eq!(c.users.len(), 2);
        let t = c.users_told_apart.as_ref().unwrap();
        assert_eq!(t.users, vec![0, 1]);
    }

    #[test]
    fn one_counter_for_both_tokens_keeps_one_user() {
        // the server counts both tokens' requests together (and some from elsewhere)
        let (c, p) = capture(40, |s, _| Some(s + 3));
        assert_eq!(tell_apart(&c, &p), None);
    }

    #[test]
    fn silence_keeps_one_user() {
        // no counters at all
        let (c, p) = capture(40, |_, _| None);
        assert_eq!(tell_apart(&c, &p), None);
        // a's counter counts both tokens; b's two readings count its own alone, too few to
        // refute one user
        let (c, p) = capture(40, |s, b| match b {
            false => Some(s + 1),
            true => (s < 4).then_some(s / 2 + 1),
        });
        assert_eq!(tell_apart(&c, &p), None);
    }

    #[test]
    fn a_layer_counted_per_token_asks_nothing() {
        let (c, _) = capture(40, |s, _| Some(s / 2 + 1));
        let per_token = PROFILE.replace(r#"per = ["user"]"#, r#"per = ["token"]"#);
        let p = vec![crate::profiles::parse::parse("t.toml", &per_token).unwrap()];
        assert_eq!(tell_apart(&c, &p), None);
    }

    #[test]
    fn users_told_apart_are_numbered_after_the_claimed_ones() {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let jwt = format!(
            "{}.{}.sig",
            b64(r#"{"alg":"RS256"}"#),
            b64(r#"{"sub":"u1"}"#)
        );
        let mut entries: Vec<String> = (0..40)
            .map(|s| {
                let b = s % 2 == 1;
                entry(s, if b { "tok-b" } else { "tok-a" }, Some(s / 2 + 1))
            })
            .collect();
        entries.push(entry(41, &jwt, None));
        let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
        let mut c = capture_of(Builder::new(), &refs);
        let p = vec![crate::profiles::parse::parse("t.toml", PROFILE).unwrap()];
        let told = tell_apart(&c, &p).expect("two users among the opaque tokens");
        apply(&mut c, &told);
        let labels: Vec<&str> = c.users.iter().map(|u| u.label.as_str()).collect();
        assert_eq!(labels, ["user-unidentified", "user-1", "user-2"]);
        assert_eq!(
            c.requests[40].user, 1,
            "the claimed user keeps its requests"
        );
        assert_eq!((c.requests[0].user, c.requests[1].user), (0, 2));
    }

    #[test]
    fn refuting_needs_several_readings_and_half_of_them() {
        assert!(!refutes((2, 2)));
        assert!(!refutes((3, 7)));
        assert!(refutes((3, 6)));
        assert!(refutes((38, 58)));
    }
}

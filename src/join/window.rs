//! What the server saw in a throttle's refusing window, layer by layer.
//!
//! Owns, for every throttle and every layer counting it: the records the capture does not hold
//! that the layer counts in the throttle's partition and window (grouped by who sent them, most
//! requests first), and whether the capture's requests and those records, replayed together
//! through the layer's meter, refuse the throttle (the window was full: a fact) or leave room
//! (the server saw fewer than the limit yet refused: a contradiction). Aggregated logs only
//! bound the count: rows wholly inside the window give a floor, rows touching it a ceiling.
//! Also each layer's busiest window of hidden traffic, which the pacing plan reserves. Pure.

use std::collections::HashMap;
use std::sync::Arc;

use crate::evaluate::{self, Evaluation, PartitionKey, meter};
use crate::model::{Capture, Granularity, Method, Micros, ServerLog, ServerRecord};
use crate::profiles::{Kind, Layer, Limiter, Partition, PathFilter, Profile};

use super::Join;
use super::identity::{HiddenIdentity, IdRef, Resolver, Who};

/// How far before a window records are replayed at least (a bucket's level, a sliding
/// counter's previous window): long enough for any of the lab's and the built-in profiles'
/// limiters to forget, short enough that a day-long log is not replayed at every throttle.
const LOOKBACK: Micros = 60 * crate::model::time::SECOND;

/// Requests of one identity in a refusing window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HiddenBy {
    /// Index into `Join::identities`.
    pub identity: u32,
    /// Requests (the layer's cost units: requests unless it prices methods).
    pub requests: u64,
}

/// What the records prove about the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowProof {
    /// The capture's requests and the records, replayed together, refuse the throttle.
    Full,
    /// Replayed together they leave room, and the log covers the window request by request:
    /// the server saw fewer than the layer's limit, yet refused.
    Room,
    /// An aggregated log: the server saw at least / at most this many counted requests of the
    /// partition in the window (the throttle excluded).
    Bounds {
        /// Rows wholly inside the window.
        at_least: u64,
        /// Rows touching it.
        at_most: u64,
    },
    /// The logs do not cover the window (or cannot place some of its records): room cannot
    /// be claimed.
    Uncovered,
}

/// One layer at one throttle, as the server's records show it.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowEvidence {
    /// Evaluation index of the layer.
    pub layer: usize,
    /// The window, on the capture's clock (for concurrency: the throttle's instant twice).
    pub from: Micros,
    /// Its end: the throttle's arrival at the server, on the capture's clock.
    pub to: Micros,
    /// Cost of the hidden requests the layer counts in the window and partition.
    pub hidden: u64,
    /// Who sent them, most first.
    pub by: Vec<HiddenBy>,
    /// The layer's budget.
    pub limit: u64,
    /// What the records prove.
    pub proof: WindowProof,
    /// Records in the window the layer counts but whose partition the log does not say.
    pub unplaced: u64,
    /// The capture's own requests, replayed at their arrival times in the log (the records
    /// left out), refuse it already.
    pub own_full: bool,
}

/// A record the capture does not hold.
struct Hidden<'a> {
    rec: &'a ServerRecord,
    /// Its time on the capture's clock.
    t: Micros,
    who: Who,
    identity: u32,
}

/// Whether the layer's filters accept a record (preflights only where counted).
fn accepts(layer: &Layer, profile: &Profile, rec: &ServerRecord, who: &Who) -> bool {
    if rec.method == Method::Options && !layer.counts_preflight {
        return false;
    }
    if let Some(h) = &rec.host {
        let h = h.expose_for_computation();
        if !profile.hosts.is_empty() && !profile.covers(h) && !profile.covers(super::hostname(h)) {
            return false;
        }
    }
    let path = rec
        .path
        .as_ref()
        .map(|p| p.expose_for_computation().as_str());
    let text = path.or(rec.template.as_deref());
    let path_ok = |filters: &[PathFilter], none: bool| match text {
        Some(p) => filters.iter().any(|f| f.matches(p)),
        None => none,
    };
    let credential = who.has_token || who.client != IdRef::Unknown || who.user != IdRef::Unknown;
    (layer.methods.is_empty() || layer.methods.contains(&rec.method))
        && (layer.templates.is_empty() || path_ok(&layer.templates, false))
        && (layer.exclude.is_empty() || !path_ok(&layer.exclude, false))
        && layer.credential.is_none_or(|want| want == credential)
        && layer.page_size.is_none()
}

/// Who a throttle (or a partition's first request) was, to compare records with: as the
/// server's own record of it says when the log holds it (a capture without credentials still
/// has them there), else as the capture says.
#[derive(Clone, Debug)]
struct Reference {
    client: IdRef,
    user: IdRef,
    token: Option<String>,
}

fn reference(
    c: &Capture,
    i: usize,
    j: &Join,
    logs: &[Arc<ServerLog>],
    ids: &Resolver<'_>,
) -> Reference {
    let r = evaluate::identity_of(c, i);
    let own = j.matches[i].map(|(l, k, _)| &logs[l as usize].records[k as usize]);
    match own {
        Some(rec) if rec.token.is_some() || rec.client.is_some() || rec.user.is_some() => {
            let who = ids.who(rec);
            Reference {
                client: who.client,
                user: who.user,
                token: rec.token.map(|f| f.short()),
            }
        }
        _ => Reference {
            client: r.client.get().map_or(IdRef::Unknown, IdRef::Capture),
            user: IdRef::Capture(r.user),
            token: r.token.get().map(|t| c.tokens[t as usize].clone()),
        },
    }
}

/// Whether a record is in the throttle's partition: `Some(false)` when it surely is not,
/// `None` when the log or the capture does not say.
fn same_partition(
    layer: &Layer,
    c: &Capture,
    i: usize,
    me: &Reference,
    rec: &ServerRecord,
    who: &Who,
) -> Option<bool> {
    let r = evaluate::identity_of(c, i);
    let same_id = |a: IdRef, b: IdRef| match (a, b) {
        (IdRef::Unknown, _) | (_, IdRef::Unknown) => None,
        (a, b) => Some(a == b),
    };
    let mut unsure = false;
    for p in &layer.per {
        let same = match p {
            Partition::User => same_id(who.user, me.user),
            Partition::Client => same_id(who.client, me.client),
            Partition::Token => match (&rec.token, &me.token) {
                (Some(f), Some(t)) => Some(f.short() == *t),
                _ => None,
            },
            Partition::Endpoint => {
                let t = c.template(r);
                let m = rec.method == r.method;
                match (&rec.path, &rec.template) {
                    (_, Some(tt)) => Some(m && tt == t),
                    (Some(p), None) => Some(
                        m && PathFilter::new(t)
                            .is_some_and(|f| f.matches(p.expose_for_computation())),
                    ),
                    (None, None) => None,
                }
            }
            Partition::Resource => rec.path.as_ref().map(|p| {
                rec.method == r.method
                    && p.expose_for_computation() == *c.path(r).expose_for_computation()
            }),
            Partition::Org => Some(true),
        };
        match same {
            Some(false) => return Some(false),
            None => unsure = true,
            Some(true) => {}
        }
    }
    if unsure { None } else { Some(true) }
}

/// The capture's counted requests of each partition of a layer.
fn members(c: &Capture, profile: &Profile, layer: &Layer) -> HashMap<PartitionKey, Vec<u32>> {
    evaluate::partitions(c, profile, layer, Default::default())
        .into_iter()
        .collect()
}

/// Whether a refused request used budget in the layer.
fn charged(layer: &Layer, admitted: bool) -> bool {
    admitted || layer.count_rejected == Some(true)
}

/// Registers the records no capture request matched and gives each an identity.
fn hidden_records<'a>(
    j: &mut Join,
    c: &Capture,
    logs: &'a [Arc<ServerLog>],
    by_rec: &[Vec<Option<u32>>],
    ids: &Resolver<'_>,
) -> (Vec<Hidden<'a>>, Vec<Hidden<'a>>) {
    let off = j.offset.unwrap_or(0);
    let span = c.span();
    let mut all: Vec<(Micros, usize, usize)> = Vec::new();
    for (l, log) in logs.iter().enumerate() {
        for (k, rec) in log.records.iter().enumerate() {
            if by_rec[l][k].is_none() {
                all.push((rec.time - off, l, k));
            }
        }
    }
    all.sort_unstable();
    let mut index: HashMap<(IdRef, IdRef), u32> = HashMap::new();
    let (mut per_request_recs, mut rows) = (Vec::new(), Vec::new());
    for (t, l, k) in all {
        let log = &logs[l];
        let rec = &log.records[k];
        let who = ids.who(rec);
        let n = index.len() as u32;
        let id = *index.entry((who.client, who.user)).or_insert(n);
        if id == n {
            j.identities.push(HiddenIdentity {
                client: who.client,
                user: who.user,
                client_label: ids.client_label(who.client),
                user_label: ids.user_label(who.user),
                client_id: rec.client.clone(),
                user_id: rec.user.clone(),
                user_agent: rec.user_agent.clone(),
                ip: rec.ip.clone(),
                requests: 0,
            });
        }
        let hid = &mut j.identities[id as usize];
        if hid.user_agent.is_none() {
            hid.user_agent = rec.user_agent.clone();
        }
        if hid.ip.is_none() {
            hid.ip = rec.ip.clone();
        }
        let per_request = log.granularity == Granularity::PerRequest;
        if per_request && span.is_some_and(|(s, e)| t + rec.interval >= s && t <= e) {
            hid.requests += u64::from(rec.count);
        }
        let h = Hidden {
            rec,
            t,
            who,
            identity: id,
        };
        if per_request {
            per_request_recs.push(h);
        } else {
            rows.push(h);
        }
    }
    (per_request_recs, rows)
}

/// Per-request logs' spans on the capture's clock.
fn covered_spans(logs: &[Arc<ServerLog>], off: Micros) -> Vec<(Micros, Micros)> {
    logs.iter()
        .filter(|l| l.granularity == Granularity::PerRequest)
        .filter_map(|l| l.span())
        .map(|(f, l)| (f - off, l - off))
        .collect()
}

/// Fills `j.throttles`, `j.identities`, `j.hidden_peak` and `j.hidden_requests`.
pub(super) fn evidence(
    j: &mut Join,
    c: &Capture,
    profiles: &[Profile],
    eval: &Evaluation,
    logs: &[Arc<ServerLog>],
    by_rec: &[Vec<Option<u32>>],
    ids: &Resolver<'_>,
) {
    let (hidden, rows) = hidden_records(j, c, logs, by_rec, ids);
    let off = j.offset.unwrap_or(0);
    let tol = j.tolerance;
    let spans = covered_spans(logs, off);
    let mut parts: HashMap<usize, HashMap<PartitionKey, Vec<u32>>> = HashMap::new();
    for (k, le) in eval.layers.iter().enumerate() {
        let profile = &profiles[le.profile];
        let layer = &profile.layers[le.layer];
        let p = parts.entry(k).or_insert_with(|| members(c, profile, layer));
        // the hidden traffic of the capture's partitions: its total and busiest window
        let w = layer.window();
        for (key, list) in p.iter() {
            let first = list[0] as usize;
            let me = reference(c, first, j, logs, ids);
            let mine: Vec<&Hidden<'_>> = hidden
                .iter()
                .filter(|h| {
                    charged(layer, h.rec.throttled == 0)
                        && accepts(layer, profile, h.rec, &h.who)
                        && same_partition(layer, c, first, &me, h.rec, &h.who) == Some(true)
                })
                .collect();
            if let Some((s, e)) = c.span() {
                j.hidden_requests[k] += mine.iter().filter(|h| h.t >= s && h.t <= e).count() as u64;
            }
            if !mine.is_empty() {
                j.hidden_series.insert(
                    (k, *key),
                    mine.iter()
                        .map(|h| {
                            (
                                h.t,
                                u64::from(layer.cost_of(&h.rec.method)) * u64::from(h.rec.count),
                            )
                        })
                        .collect(),
                );
            }
            if layer.kind() == Kind::Concurrency || w <= 0 {
                continue;
            }
            let (mut lo, mut sum, mut best) = (0usize, 0u64, 0u64);
            for hi in 0..mine.len() {
                sum +=
                    u64::from(layer.cost_of(&mine[hi].rec.method)) * u64::from(mine[hi].rec.count);
                while mine[hi].t - mine[lo].t >= w {
                    sum -= u64::from(layer.cost_of(&mine[lo].rec.method))
                        * u64::from(mine[lo].rec.count);
                    lo += 1;
                }
                best = best.max(sum);
            }
            j.hidden_peak[k] = j.hidden_peak[k].max(best);
        }
    }
    for (i, r) in c
        .requests
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_throttle())
    {
        let mut out = Vec::new();
        // the throttle's own arrival at the server, when the log holds it
        let to = match j.matches[i] {
            Some((l, k, _)) => logs[l as usize].records[k as usize].time - off,
            None => r.start,
        };
        let me = reference(c, i, j, logs, ids);
        for (k, le) in eval.layers.iter().enumerate() {
            let Some(v) = le.view(i) else { continue };
            let profile = &profiles[le.profile];
            let layer = &profile.layers[le.layer];
            let concurrency = layer.kind() == Kind::Concurrency;
            let from = match layer.limiter {
                _ if concurrency => to,
                Limiter::Window {
                    anchor: Some(_), ..
                } => v.window_opened.map_or(to - layer.window(), |o| o),
                _ => to - layer.window(),
            };
            let in_window = |h: &Hidden<'_>| {
                if concurrency {
                    h.t <= to && h.t + h.rec.duration.unwrap_or(0) > to
                } else if matches!(
                    layer.limiter,
                    Limiter::Window {
                        anchor: Some(_),
                        ..
                    }
                ) {
                    h.t >= from && h.t <= to
                } else {
                    h.t > from && h.t <= to
                }
            };
            let mut by: HashMap<u32, u64> = HashMap::new();
            let mut hidden_cost = 0u64;
            let mut unplaced = 0u64;
            let mut replay_recs: Vec<(Micros, Micros, u64, bool)> = Vec::new();
            // a bucket's level carries its history: replay far enough back for it to have
            // emptied whatever came before
            let lo = hidden.partition_point(|h| h.t < from - LOOKBACK.max(100 * layer.window()));
            for h in &hidden[lo..] {
                if h.t > r.start + tol && h.t > to {
                    break;
                }
                if !accepts(layer, profile, h.rec, &h.who) {
                    continue;
                }
                let place = same_partition(layer, c, i, &me, h.rec, &h.who);
                let admitted = h.rec.throttled == 0;
                let cost = u64::from(layer.cost_of(&h.rec.method)) * u64::from(h.rec.count);
                match place {
                    Some(true) => {
                        let end = h.t + h.rec.duration.unwrap_or(0);
                        replay_recs.push((h.t, end, cost, admitted));
                        if in_window(h) && charged(layer, admitted) {
                            hidden_cost += cost;
                            *by.entry(h.identity).or_default() += cost;
                        }
                    }
                    None if in_window(h) => unplaced += 1,
                    _ => {}
                }
            }
            let mut by: Vec<HiddenBy> = by
                .into_iter()
                .map(|(identity, requests)| HiddenBy { identity, requests })
                .collect();
            by.sort_by(|a, b| {
                b.requests
                    .cmp(&a.requests)
                    .then(a.identity.cmp(&b.identity))
            });
            // the capture's requests and the records, replayed together on the server's
            // clock (each matched request at its own record's arrival): refused with the
            // records that arrived no later than the throttle is a fact; admitted even with
            // every record within the tolerance after it taken to come first, room
            let key = le.partitions[v.partition as usize].key;
            let arrival = |m: usize| match j.matches[m] {
                Some((l, k, _)) => logs[l as usize].records[k as usize].time - off,
                None => c.requests[m].start,
            };
            let mut events: Vec<(Micros, Micros, u64, bool)> = parts
                .get(&k)
                .and_then(|p| p.get(&key))
                .into_iter()
                .flatten()
                .filter(|&&m| m as usize != i)
                .map(|&m| {
                    let q = &c.requests[m as usize];
                    let t = arrival(m as usize);
                    (
                        t,
                        t + q.duration,
                        evaluate::cost(layer, c, m as usize),
                        !q.is_throttle(),
                    )
                })
                .filter(|e| e.0 <= to + tol)
                .collect();
            let mut own = events.clone();
            own.sort_by_key(|e| e.0);
            let own_full = {
                let mut m = meter::for_layer(layer);
                for &(t, end, cost, admitted) in own.iter().filter(|e| e.0 <= to) {
                    m.record(t, end, cost, admitted, charged(layer, admitted));
                }
                // only matched requests have arrival times; without any the HAR's replay stands
                j.matches[i].is_some() && !m.admits(to, v.cost)
            };
            events.extend(replay_recs);
            events.sort_by_key(|e| e.0);
            let replay = |until: Micros| {
                let mut m = meter::for_layer(layer);
                for &(t, end, cost, admitted) in events.iter().filter(|e| e.0 <= until) {
                    m.record(t.min(to), end, cost, admitted, charged(layer, admitted));
                }
                !m.admits(to, v.cost)
            };
            let full = replay(to);
            let edge = full || replay(to + tol);
            let need_from = if concurrency { to } else { to - layer.window() };
            let covered = spans
                .iter()
                .any(|&(f, l)| f <= need_from + tol && l >= to - tol);
            let mut proof = if full {
                WindowProof::Full
            } else if edge {
                WindowProof::Uncovered
            } else if covered && unplaced == 0 {
                WindowProof::Room
            } else {
                WindowProof::Uncovered
            };
            if !full && !covered && !rows.is_empty() && !concurrency {
                proof = bounds(layer, profile, c, i, &me, &rows, from, to, tol).unwrap_or(proof);
            }
            out.push(WindowEvidence {
                layer: k,
                from,
                to,
                hidden: hidden_cost,
                by,
                limit: layer.limit(),
                proof,
                unplaced,
                own_full,
            });
        }
        j.throttles.insert(i as u32, out);
    }
}

/// What aggregated rows bound about the layer's window `[from, to]` at the throttle `i`:
/// `None` when no row touches it.
#[allow(clippy::too_many_arguments)]
fn bounds(
    layer: &Layer,
    profile: &Profile,
    c: &Capture,
    i: usize,
    me: &Reference,
    rows: &[Hidden<'_>],
    from: Micros,
    to: Micros,
    tol: Micros,
) -> Option<WindowProof> {
    let (mut at_least, mut at_most, mut touched) = (0u64, 0u64, false);
    let (mut first, mut last) = (Micros::MAX, Micros::MIN);
    for h in rows {
        let end = h.t + h.rec.interval;
        first = first.min(h.t);
        last = last.max(end);
        if end <= from || h.t > to || !accepts(layer, profile, h.rec, &h.who) {
            continue;
        }
        let place = same_partition(layer, c, i, me, h.rec, &h.who);
        if place == Some(false) {
            continue;
        }
        touched = true;
        let n = if layer.count_rejected == Some(true) {
            h.rec.count
        } else {
            h.rec.count.saturating_sub(h.rec.throttled)
        };
        at_most += u64::from(n);
        if place == Some(true) && h.t >= from - tol && end <= to + tol {
            at_least += u64::from(n);
        }
    }
    if !touched {
        return None;
    }
    // rows that cover the whole window bound it from above; a floor at the limit fills it
    if at_least >= layer.limit() {
        return Some(WindowProof::Full);
    }
    let _ = (first, last);
    Some(WindowProof::Bounds { at_least, at_most })
}

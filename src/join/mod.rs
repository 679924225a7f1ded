//! Stage 3b — join: the server's records of the same minutes, set beside the capture.
//!
//! Owns matching server-log records to capture requests (by correlation id when both carry
//! one; else by method, path, host when both name it, and time within a tolerance), the clock
//! offset between capture and server (from the matched pairs, estimated, applied and
//! re-matched: see `pair_offset` for why not their median), the identities of the records the capture does not hold (mapped onto the
//! capture's clients, users and tokens, or labelled as the log's own), and, for every throttle
//! and every layer counting it, what the server saw in that layer's partition and refusing
//! window: who used it from outside the capture, and whether the records prove the window was
//! full or show it had room. It must not read files, look at the clock, print, or decide a
//! throttle's cause (the diagnosis weighs what it finds). Raw ids stay `Sensitive`. Pure.

mod identity;
mod window;

use std::collections::HashMap;
use std::sync::Arc;

use crate::evaluate::{EDGE, Evaluation};
use crate::model::{Capture, Granularity, Micros, ServerLog, ServerRecord, time};
use crate::profiles::Profile;

pub use identity::{HiddenIdentity, IdRef};
pub use window::{HiddenBy, WindowEvidence, WindowProof};

/// How far apart in time a server record and a capture entry of the same request may be once
/// the clock offset is applied, beyond the log's own time precision: the HAR's timing
/// uncertainty (`evaluate::EDGE`, measured on the lab's captures: a few ms, tens under load).
pub const MATCH_SLACK: Micros = EDGE;

/// The farthest apart the two clocks are searched for, before the offset is known: a server
/// and a laptop more than this far apart are not joined by time (correlation ids still join).
pub const MAX_SKEW: Micros = 15 * 60 * time::SECOND;

/// Per record, how many capture requests of the same method and path are compared with it
/// while the offset is estimated (the nearest ones): bounds the work on long captures.
const NEAREST: usize = 32;

/// Per capture request: the matched record (log, record) and how.
pub type Matches = Vec<Option<(u32, u32, MatchedBy)>>;

/// How a record was matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchedBy {
    /// The same correlation (request) id.
    Correlation,
    /// The same method and path (and host), within the tolerance.
    Time,
}

/// How a log's time span meets the capture's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlap {
    /// The log covers the capture from its first request to its last.
    Full,
    /// The log covers part of the capture (`covered` of its span).
    Partial {
        /// Time of the capture covered by the log.
        covered: Micros,
    },
    /// The log and the capture do not meet in time.
    None,
}

/// One log, joined.
#[derive(Clone, Debug, PartialEq)]
pub struct LogJoin {
    /// The file.
    pub source: String,
    /// Whether it holds one record per request (else it can only bound counts).
    pub per_request: bool,
    /// The granularity label (`per request`, `per day`, ...).
    pub granularity: String,
    /// Records matched to a capture request.
    pub matched: u64,
    /// Of those, by correlation id.
    pub by_correlation: u64,
    /// Records of the capture's time span that match no capture request.
    pub unmatched: u64,
    /// Records outside the capture's span (offset applied).
    pub outside: u64,
    /// Its span against the capture's (offset applied).
    pub overlap: Overlap,
}

/// The capture and the server logs, joined.
#[derive(Clone, Debug, Default)]
pub struct Join {
    /// One per log, in the order given.
    pub logs: Vec<LogJoin>,
    /// Server clock minus capture clock, from the matched pairs (`None`: nothing matched).
    pub offset: Option<Micros>,
    /// How far apart matched times may be, offset applied.
    pub tolerance: Micros,
    /// Pairs the offset was estimated from.
    pub pairs: u64,
    /// Per capture request: the matched record (log, record) and how.
    pub matches: Matches,
    /// Identities of records the capture does not hold, in order of first record.
    pub identities: Vec<HiddenIdentity>,
    /// Per throttle (request index), the evidence of every layer counting it.
    pub throttles: HashMap<u32, Vec<WindowEvidence>>,
    /// Per evaluation layer: the most hidden cost in any one of its windows, in a partition
    /// the capture uses (the hidden traffic's rate, for the pacing plan).
    pub hidden_peak: Vec<u64>,
    /// Per evaluation layer: hidden requests in the capture's partitions over the capture.
    pub hidden_requests: Vec<u64>,
    /// Per (evaluation layer, partition key): the hidden requests the layer counts there, as
    /// (time on the capture's clock, cost), in time order — what charts stack under the
    /// capture's own.
    pub hidden_series: HashMap<(usize, crate::evaluate::PartitionKey), Vec<(Micros, u64)>>,
}

impl Join {
    /// Records matched, over all logs.
    pub fn matched(&self) -> u64 {
        self.logs.iter().map(|l| l.matched).sum()
    }

    /// Records of the capture's span matched to nothing, over all logs.
    pub fn unmatched(&self) -> u64 {
        self.logs.iter().map(|l| l.unmatched).sum()
    }

    /// The evidence of layer `k` at the throttle at request `i`.
    pub fn at(&self, i: usize, k: usize) -> Option<&WindowEvidence> {
        self.throttles
            .get(&(i as u32))
            .and_then(|v| v.iter().find(|e| e.layer == k))
    }

    /// A record's time on the capture's clock.
    pub fn to_capture(&self, t: Micros) -> Micros {
        t - self.offset.unwrap_or(0)
    }
}

/// Host without port, lower case.
fn hostname(h: &str) -> &str {
    match h.rsplit_once(':') {
        Some((a, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => a,
        _ => h,
    }
}

/// Whether a record and a request may be the same request, time aside.
fn same_request(c: &Capture, i: usize, rec: &ServerRecord) -> bool {
    let r = &c.requests[i];
    if r.method != rec.method {
        return false;
    }
    let Some(path) = &rec.path else {
        return false;
    };
    if *c.path(r).expose_for_computation() != path.expose_for_computation() {
        return false;
    }
    // a credential or status both sides name must agree: another instance of the same client
    // sends the same requests at the same moments, with its own token
    if let (Some(fp), Some(t)) = (&rec.token, r.token.get())
        && fp.short() != c.tokens[t as usize]
    {
        return false;
    }
    if let Some(s) = rec.status
        && r.has_response()
        && r.status != 0
        && s != r.status
    {
        return false;
    }
    match &rec.host {
        Some(h) => hostname(h.expose_for_computation()).eq_ignore_ascii_case(hostname(c.host(r))),
        None => true,
    }
}

/// Capture requests by (method, path), each list in time order.
type ByKey<'a> = HashMap<(&'a str, &'a str), Vec<u32>>;

fn by_key(c: &Capture) -> ByKey<'_> {
    let mut m: ByKey<'_> = HashMap::new();
    for (i, r) in c.requests.iter().enumerate() {
        m.entry((r.method.as_str(), *c.path(r).expose_for_computation()))
            .or_default()
            .push(i as u32);
    }
    m
}

fn key_of(rec: &ServerRecord) -> Option<(&str, &str)> {
    Some((
        rec.method.as_str(),
        rec.path.as_ref()?.expose_for_computation().as_str(),
    ))
}

/// The offset most time-differences of same-method-and-path pairs agree on: the densest
/// stretch of `2·tol` width, its least difference (a server receives a request after the
/// browser starts it, never before).
fn estimate_offset(
    c: &Capture,
    logs: &[Arc<ServerLog>],
    keys: &ByKey<'_>,
    tol: Micros,
) -> Option<Micros> {
    let mut diffs: Vec<Micros> = Vec::new();
    for log in logs
        .iter()
        .filter(|l| l.granularity == Granularity::PerRequest)
    {
        for rec in &log.records {
            let Some(list) = key_of(rec).and_then(|k| keys.get(&k)) else {
                continue;
            };
            let pos = list.partition_point(|&i| c.requests[i as usize].start < rec.time);
            let lo = pos.saturating_sub(NEAREST / 2);
            let hi = (pos + NEAREST / 2).min(list.len());
            for &i in &list[lo..hi] {
                if !same_request(c, i as usize, rec) {
                    continue;
                }
                let d = rec.time - c.requests[i as usize].start;
                if d.abs() <= MAX_SKEW {
                    diffs.push(d);
                }
            }
        }
    }
    diffs.sort_unstable();
    let (mut best, mut lo) = ((0usize, 0usize), 0usize);
    for hi in 0..diffs.len() {
        while diffs[hi] - diffs[lo] > 2 * tol {
            lo += 1;
        }
        if hi + 1 - lo > best.1 - best.0 {
            best = (lo, hi + 1);
        }
    }
    diffs.get(best.0).copied()
}

/// Matches records to requests: correlation ids first, then by time with `offset`.
fn match_all(
    c: &Capture,
    logs: &[Arc<ServerLog>],
    keys: &ByKey<'_>,
    offset: Option<Micros>,
    tol: Micros,
) -> (Matches, Vec<Vec<Option<u32>>>) {
    let mut by_req: Matches = vec![None; c.requests.len()];
    let mut by_rec: Vec<Vec<Option<u32>>> =
        logs.iter().map(|l| vec![None; l.records.len()]).collect();
    let mut corr: HashMap<String, u32> = HashMap::new();
    for (i, r) in c.requests.iter().enumerate() {
        if let Some(id) = c.correlation(r) {
            corr.entry(id.expose_for_computation().to_ascii_lowercase())
                .or_insert(i as u32);
        }
    }
    for (l, log) in logs.iter().enumerate() {
        if log.granularity != Granularity::PerRequest {
            continue;
        }
        for (k, rec) in log.records.iter().enumerate() {
            let Some(id) = &rec.correlation else { continue };
            let Some(&i) = corr.get(&id.expose_for_computation().to_ascii_lowercase()) else {
                continue;
            };
            if by_req[i as usize].is_none() && c.requests[i as usize].method == rec.method {
                by_req[i as usize] = Some((l as u32, k as u32, MatchedBy::Correlation));
                by_rec[l][k] = Some(i);
            }
        }
    }
    let Some(off) = offset else {
        return (by_req, by_rec);
    };
    let longest = c
        .requests
        .iter()
        .map(|r| r.duration.max(0))
        .max()
        .unwrap_or(0);
    for (l, log) in logs.iter().enumerate() {
        if log.granularity != Granularity::PerRequest {
            continue;
        }
        for (k, rec) in log.records.iter().enumerate() {
            if by_rec[l][k].is_some() {
                continue;
            }
            let Some(list) = key_of(rec).and_then(|key| keys.get(&key)) else {
                continue;
            };
            // the server received it between the entry's start and its end (a preflight, a
            // queue for a connection or the upload can come between the start and arrival)
            let at = rec.time - off;
            let lo = list.partition_point(|&i| c.requests[i as usize].start < at - longest - tol);
            let best = list[lo..]
                .iter()
                .take_while(|&&i| c.requests[i as usize].start <= at + tol)
                .filter(|&&i| {
                    let r = &c.requests[i as usize];
                    by_req[i as usize].is_none()
                        && r.start.max(r.end()) + tol >= at
                        && same_request(c, i as usize, rec)
                })
                .min_by_key(|&&i| (c.requests[i as usize].start - at).abs());
            if let Some(&i) = best {
                by_req[i as usize] = Some((l as u32, k as u32, MatchedBy::Time));
                by_rec[l][k] = Some(i);
            }
        }
    }
    (by_req, by_rec)
}

/// The offset the matched pairs agree on, with how many there are.
///
/// A server receives a request between the entry's start and its end: the difference of a
/// pair is the clock offset plus a lag of 0 up to the entry's duration (usually a few ms, but a
/// preflight or a queue for a connection can add hundreds), so the median of the differences
/// would carry the typical lag, and a few slow pairs would move it. Each pair instead bounds
/// the offset to `[difference − duration − tol, difference + tol]`; the offset is taken where
/// the most pairs agree, at the smallest lag they allow (the least difference among them).
fn pair_offset(
    c: &Capture,
    logs: &[Arc<ServerLog>],
    by_req: &[Option<(u32, u32, MatchedBy)>],
    tol: Micros,
) -> (Option<Micros>, u64) {
    let pairs: Vec<(Micros, Micros)> = by_req
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let (l, k, _) = (*m)?;
            let d = logs[l as usize].records[k as usize].time - c.requests[i].start;
            Some((d, c.requests[i].duration.max(0)))
        })
        .collect();
    if pairs.is_empty() {
        return (None, 0);
    }
    // sweep the intervals: +1 at a lower end, -1 after an upper end
    let mut events: Vec<(Micros, i32)> = Vec::with_capacity(pairs.len() * 2);
    for &(d, dur) in &pairs {
        events.push((d - dur - tol, 1));
        events.push((d + tol, -1));
    }
    events.sort_unstable_by_key(|&(t, e)| (t, -e));
    let (mut now, mut most, mut at) = (0i32, 0i32, 0);
    for &(t, e) in &events {
        now += e;
        if now > most {
            most = now;
            at = t;
        }
    }
    // the pairs covering that point; the least difference among them
    let offset = pairs
        .iter()
        .filter(|&&(d, dur)| d - dur - tol <= at && at <= d + tol)
        .map(|&(d, _)| d)
        .min();
    (offset, pairs.len() as u64)
}

/// Joins the capture with the server logs. `profiles` and `eval` are the capture's (the
/// evidence is taken for every layer counting a throttle).
pub fn join(c: &Capture, profiles: &[Profile], eval: &Evaluation, logs: &[Arc<ServerLog>]) -> Join {
    let resolution = logs
        .iter()
        .filter(|l| l.granularity == Granularity::PerRequest)
        .map(|l| l.resolution)
        .max()
        .unwrap_or(0);
    let tol = resolution.max(time::MILLISECOND) + MATCH_SLACK;
    let keys = by_key(c);
    // correlation ids first; their pairs give the offset when there are any
    let (by_req, _) = match_all(c, logs, &keys, None, tol);
    let (mut offset, _) = pair_offset(c, logs, &by_req, tol);
    if offset.is_none() {
        offset = estimate_offset(c, logs, &keys, tol);
    }
    // match with the estimate, re-estimate from the pairs, match again
    let (by_req, _) = match_all(c, logs, &keys, offset, tol);
    let (refined, _) = pair_offset(c, logs, &by_req, tol);
    let offset = refined.or(offset);
    let (by_req, by_rec) = match_all(c, logs, &keys, offset, tol);
    let (_, pairs) = pair_offset(c, logs, &by_req, tol);
    let off = offset.unwrap_or(0);
    let span = c.span();
    let log_joins = logs
        .iter()
        .zip(&by_rec)
        .map(|(log, m)| {
            let mut lj = LogJoin {
                source: log.source.clone(),
                per_request: log.granularity == Granularity::PerRequest,
                granularity: log.granularity.label(),
                matched: m.iter().filter(|x| x.is_some()).count() as u64,
                by_correlation: m
                    .iter()
                    .filter_map(|x| *x)
                    .filter(|&i| matches!(by_req[i as usize], Some((_, _, MatchedBy::Correlation))))
                    .count() as u64,
                unmatched: 0,
                outside: 0,
                overlap: Overlap::None,
            };
            if let Some((s, e)) = span {
                for (rec, x) in log.records.iter().zip(m) {
                    if x.is_some() {
                        continue;
                    }
                    let t = rec.time - off;
                    if t + rec.interval >= s - tol && t <= e + tol {
                        // an aggregated row holds the capture's own requests too: it is not
                        // traffic the capture lacks, only a bound
                        lj.unmatched += u64::from(lj.per_request);
                    } else {
                        lj.outside += 1;
                    }
                }
                if let Some((f, l)) = log.span() {
                    let (f, l) = (f - off, l - off);
                    let covered = (l.min(e) - f.max(s)).max(0);
                    lj.overlap = if f <= s + tol && l >= e - tol {
                        Overlap::Full
                    } else if covered > 0 || (f <= e && l >= s) {
                        Overlap::Partial { covered }
                    } else {
                        Overlap::None
                    };
                }
            }
            lj
        })
        .collect();
    let ids = identity::Resolver::new(c, logs, &by_req);
    let mut j = Join {
        logs: log_joins,
        offset,
        tolerance: tol,
        pairs,
        matches: by_req,
        identities: Vec::new(),
        throttles: HashMap::new(),
        hidden_peak: vec![0; eval.layers.len()],
        hidden_requests: vec![0; eval.layers.len()],
        hidden_series: HashMap::new(),
    };
    window::evidence(&mut j, c, profiles, eval, logs, &by_rec, &ids);
    j
}

#[cfg(test)]
mod tests;

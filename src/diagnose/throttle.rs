//! One 429 → one explanation: which budget was exhausted, and by whose traffic.
//!
//! Owns weighing the evidence DESIGN.md lists: visible counts in each documented layer's window
//! (attempts and admitted only), rate-limit header counts on the 429 and on earlier successes,
//! the 429 body's limit numbers and key, Retry-After against window boundaries, requests in
//! flight together, bursts within a second, retries after the full wait, and whether other
//! endpoints of the same caller kept succeeding. Each hypothesis (visible traffic on a layer,
//! hidden traffic on a layer, an undocumented concurrency or burst limit) gets a score from
//! explicit rules; the best one is the cause, the others stay ranked with their evidence. Pure.

use crate::evaluate::Series;
use crate::model::{Micros, Request, ThrottleBody, time};
use crate::profiles::{Algorithm, Kind, Layer, Partition};

use super::context::{BURST_WINDOWS, BurstScope, Ctx};
use super::{Cause, Hypothesis, LimitKind, Throttle};

/// Timestamps in a HAR and arrival at the server differ by a few milliseconds; a request this
/// close to a window edge may have been on either side of it.
const EDGE: Micros = 50 * time::MILLISECOND;

/// A header counter on a response, mapped to a limit.
#[derive(Clone, Copy, Debug)]
struct HeaderCount {
    count: u64,
    allowed: u64,
    name: &'static str,
}

/// What one layer saw at the 429.
struct View<'a> {
    idx: usize,
    layer: &'a Layer,
    series: &'a Series,
    member: usize,
    /// Admitted requests in the window, the 429 excluded; `near`: definitely inside and before
    /// it; `far`: possibly inside, counting requests within `EDGE` of the window's start or of
    /// the 429 itself (their order at the server is unknown).
    admitted: u64,
    admitted_near: u64,
    admitted_far: u64,
    /// Attempts in the window, the 429 included.
    attempts: u64,
    /// The 429's own cost.
    own: u64,
    /// Oldest admitted request in the window (sliding) or the window's opening (fixed).
    opened: Option<Micros>,
    header: Option<HeaderCount>,
}

fn window_counts(
    cx: &Ctx<'_>,
    s: &Series,
    l: &Layer,
    m: usize,
    t: Micros,
) -> (u64, u64, u64, u64, Option<Micros>) {
    match (l.kind, l.algorithm) {
        (Kind::Concurrency, _) => {
            let att = s.attempts[m] as u64;
            let adm = admitted_in_flight(cx, s, m, 0);
            // requests that started just after it may have reached the server first
            let far = admitted_in_flight(cx, s, m, EDGE);
            (adm, adm, far, att, None)
        }
        (Kind::Rate, Algorithm::Sliding) => {
            let w = l.window;
            let (att, adm) = s.between(t - w, t);
            let (_, near) = s.between(t - w + EDGE, t);
            let (_, far) = s.between(t - w - EDGE, t + EDGE);
            let lo = s.starts.partition_point(|&x| x <= t - w);
            let oldest = (lo..s.starts.len())
                .take_while(|&k| s.starts[k] <= t)
                .find(|&k| s.admitted[k])
                .map(|k| s.starts[k]);
            (adm, near, far, att, oldest)
        }
        (Kind::Rate, _) => {
            let opened = s.window_opened[m];
            let (att, adm) = s.between(opened - 1, t);
            (adm, adm, adm, att, Some(opened))
        }
    }
}

/// Admitted members other than `m` in flight at `m`'s start, counting those that started up
/// to `later` after it.
fn admitted_in_flight(cx: &Ctx<'_>, s: &Series, m: usize, later: Micros) -> u64 {
    let t = s.starts[m];
    let hi = s.starts.partition_point(|&x| x <= t + later);
    let mut n = 0;
    for k in (0..hi).rev() {
        if s.starts[k] < t - cx.max_duration {
            break;
        }
        let q = &cx.capture.requests[s.members[k] as usize];
        if k != m && s.admitted[k] && q.end().max(q.start + 1) > t {
            n += 1;
        }
    }
    n
}

fn header_counts(r: &Request) -> Vec<HeaderCount> {
    let mut out = Vec::new();
    for q in r.quotas() {
        let (Some(limit), Some(used)) = (q.limit, q.used_count()) else {
            continue;
        };
        let axis = &crate::normalize::dialects::dialect(q.dialect).axes[q.axis as usize];
        out.push(HeaderCount {
            count: used,
            allowed: limit,
            name: axis
                .used
                .or(axis.remaining)
                .or(axis.limit)
                .unwrap_or("RateLimit"),
        });
    }
    out
}

/// A header counter belongs to a layer when it announces that layer's limit.
fn header_for(l: &Layer, r: &Request) -> Option<HeaderCount> {
    header_counts(r).into_iter().find(|h| h.allowed == l.limit)
}

fn specificity(l: &Layer) -> (u8, usize, u64) {
    let filters = u8::from(l.template.is_some()) + u8::from(!l.methods.is_empty());
    (filters, l.per.len(), u64::MAX - l.limit)
}

fn is_broad(l: &Layer) -> bool {
    l.template.is_none()
        && l.methods.is_empty()
        && !l.per.contains(&Partition::Endpoint)
        && !l.per.contains(&Partition::Resource)
}

/// Explains the 429 at `i` (an index into `Capture::requests`).
pub fn explain(cx: &Ctx<'_>, i: usize) -> Throttle {
    let r = &cx.capture.requests[i];
    let t = r.start;
    let ra = r.retry_after.map(|x| x.seconds);
    let views = views_at(cx, i);
    let body = r.throttle_body();
    let body_key = body.and_then(|b| b.limit_key).map(|k| {
        cx.capture.limit_keys[k as usize]
            .expose_for_computation()
            .as_str()
    });

    let mut hyps: Vec<Hypothesis> = Vec::new();
    let any_visible = views.iter().any(|v| visibly_exhausted(v) >= 2);
    let endpoint = cx.endpoint(r);
    let retry_failed = retry_failed_after_wait(cx, i);
    let concurrent_success = other_endpoint_success(cx, i);

    for v in &views {
        let l = v.layer;
        let budget = l.budget_label();
        let named_by_key = body_key == Some(l.name.as_str());
        let named_by_numbers = body.is_some_and(|b| states_numbers_of(b, l));
        let other_key = body_key.is_some() && !named_by_key;
        let ra_too_long =
            l.kind == Kind::Rate && ra.is_some_and(|s| s > time::as_secs(l.window) + 2.0);

        // --- visible traffic on this layer
        let vis = visibly_exhausted(v);
        if vis > 0 {
            let mut h = Hypothesis::new(Cause::VisibleTraffic, Some(v.idx), None);
            match vis {
                3 => h.add(6, format!(
                    "{} ({budget}, per {}) counted {} admitted requests in the window before this one: its budget was used up by traffic in the capture",
                    l.name, l.partition_label(), v.admitted
                )),
                2 => h.add(4, format!(
                    "{} ({budget}) counted {} admitted requests in the window, {} of them within {} ms of its edges, where the order of arrival is uncertain",
                    l.name, v.admitted_far, v.admitted_far.saturating_sub(v.admitted_near), EDGE / time::MILLISECOND
                )),
                _ => h.add(2, format!(
                    "{} ({budget}) counted {} attempts in the window but only {} admitted: it is exhausted only if rejected requests count",
                    l.name, v.attempts - v.own, v.admitted
                )),
            }
            if let Some(hc) = v.header {
                if hc.count > hc.allowed {
                    h.add(
                        2,
                        format!(
                            "{} {} on the 429 is above the {} allowed",
                            hc.name, hc.count, hc.allowed
                        ),
                    );
                    if vis == 1 && hc.count + 1 >= v.attempts {
                        h.add(2, format!(
                            "{} {} matches the {} attempts visible: rejected requests count towards this layer",
                            hc.name, hc.count, v.attempts
                        ));
                    }
                } else {
                    h.add(
                        -5,
                        format!(
                            "{} {} of {} on the 429: the server says this layer still had room",
                            hc.name, hc.count, hc.allowed
                        ),
                    );
                }
            }
            if named_by_key {
                h.add(2, format!("the 429 body names the limit `{}`", l.name));
            } else if named_by_numbers {
                h.add(
                    1,
                    format!(
                        "the 429 body states the limit of {} ({} requests within {})",
                        l.name,
                        l.limit,
                        time::window_label(l.window)
                    ),
                );
            } else if other_key {
                h.add(-2, "the 429 body names another limit".to_string());
            }
            if ra_too_long {
                h.add(
                    -3,
                    format!(
                        "Retry-After {} s is longer than this layer's {} window",
                        fmt_s(ra.unwrap_or(0.0)),
                        time::window_label(l.window)
                    ),
                );
            } else if let (Some(s), Some(opened)) = (ra, v.opened) {
                let expected = time::as_secs(opened + l.window - t);
                if (s - expected).abs() <= 2.0 {
                    h.add(1, format!(
                        "Retry-After {} s matches the {} left until the window opened at {} frees a request",
                        fmt_s(s), time::human_duration(time::secs(expected)), cx.clock(opened)
                    ));
                }
            }
            if is_broad(l)
                && let Some(ok) = concurrent_success
            {
                h.add(-2, format!(
                        "{} of the same caller succeeded at {}, within 200 ms: this broad layer had room",
                        cx.endpoint(&cx.capture.requests[ok]), cx.clock(cx.capture.requests[ok].start)
                    ));
            }
            // admitted requests when they explain it, else the attempts that did
            h.visible = Some(if vis >= 2 {
                v.admitted_far.max(v.admitted)
            } else {
                v.attempts - v.own
            });
            h.limit = Some(l.limit);
            h.window = (l.kind == Kind::Rate).then_some(l.window);
            h.tiebreak = specificity(l);
            hyps.push(h);
            continue;
        }

        // --- hidden traffic on this layer (its visible count is below the limit)
        let mut h = Hypothesis::new(Cause::HiddenTraffic, Some(v.idx), None);
        let needed = l.limit.saturating_sub(v.admitted);
        h.hidden_at_least = Some(needed);
        h.add(0, format!(
            "{} ({budget}, per {}) saw {} admitted requests in the window: {} more would have to come from outside the capture",
            l.name, l.partition_label(), v.admitted, needed
        ));
        if let Some(hc) = v.header {
            let visible_incl = (v.admitted_far + v.own).max(v.attempts);
            if hc.count > visible_incl + 1 {
                h.hidden_at_least = Some(hc.count - visible_incl);
                h.add(5, format!(
                    "{} {} on the 429 is above the {} requests the capture shows in this layer's window: at least {} came from elsewhere",
                    hc.name, hc.count, visible_incl, hc.count - visible_incl
                ));
            } else {
                h.add(-5, format!(
                    "{} {} on the 429 equals the {} requests visible in the window, so no hidden traffic used this layer",
                    hc.name, hc.count, visible_incl
                ));
            }
        } else if let Some((hc, at, visible_then)) = earlier_header(cx, v) {
            if hc.count > visible_then + 1 {
                h.add(3, format!(
                    "{} {} on the success at {} was above the {} requests visible then: hidden traffic was using this layer",
                    hc.name, hc.count, cx.clock(at), visible_then
                ));
                h.hidden_at_least = Some(needed.max(hc.count - visible_then));
            } else {
                h.add(-2, format!(
                    "{} {} on the success at {} matched the {} requests visible then: no sign of hidden traffic",
                    hc.name, hc.count, cx.clock(at), visible_then
                ));
            }
        }
        if named_by_key {
            h.add(3, format!("the 429 body names the limit `{}`", l.name));
        } else if named_by_numbers {
            h.add(
                2,
                format!(
                    "the 429 body states \"maximum {} requests within {}\", which is {}",
                    l.limit,
                    time::window_label(l.window),
                    l.name
                ),
            );
        } else if other_key {
            h.add(-2, "the 429 body names another limit".to_string());
        }
        if l.kind == Kind::Rate {
            if ra_too_long {
                h.add(
                    -3,
                    format!(
                        "Retry-After {} s is longer than this layer's {} window",
                        fmt_s(ra.unwrap_or(0.0)),
                        time::window_label(l.window)
                    ),
                );
            } else if let Some(s) = ra.filter(|s| *s >= 5.0) {
                let opened = t + time::secs(s) - l.window;
                h.add(
                    1,
                    format!(
                        "Retry-After {} s matches a {} window opened {} before this request",
                        fmt_s(s),
                        time::window_label(l.window),
                        time::human_duration(t - opened)
                    ),
                );
                if !visible_request_near(v.series, opened) {
                    let place = if cx
                        .capture
                        .requests
                        .first()
                        .is_some_and(|f| opened < f.start)
                    {
                        "before the capture started"
                    } else {
                        "by no request in the capture"
                    };
                    h.add(
                        1,
                        format!(
                            "that window was opened {place}: by traffic the capture cannot see"
                        ),
                    );
                }
            }
        }
        if let Some((s1, s2)) = retry_failed {
            h.add(1, format!(
                "a retry after the full Retry-After ({} s) got 429 again with Retry-After {} s: the budget was still in use",
                fmt_s(s1), fmt_s(s2)
            ));
        }
        if is_broad(l)
            && let Some(ok) = concurrent_success
        {
            h.add(
                -2,
                format!(
                    "{} of the same caller succeeded within 200 ms: this broad layer had room",
                    cx.endpoint(&cx.capture.requests[ok])
                ),
            );
        }
        let filtered = l.template.is_some() || !l.methods.is_empty();
        if filtered && needed >= 20 && v.admitted * 10 <= l.limit {
            h.add(-1, format!(
                "the {needed} hidden requests would all have to be {} within {}: other apps of the user rarely call one endpoint that often",
                endpoint,
                time::window_label(l.window)
            ));
        }
        if cx.in_flight[i] <= 1 && cx.burst_counts[BurstScope::Caller as usize][i][0] <= 1 {
            h.add(
                1,
                "the capture is quiet around this 429 (no overlap, no burst)".to_string(),
            );
        }
        h.visible = Some(v.admitted);
        h.limit = Some(l.limit);
        h.window = (l.kind == Kind::Rate).then_some(l.window);
        h.tiebreak = specificity(l);
        hyps.push(h);
    }

    if let Some(b) = body {
        let st = super::stated::Statement {
            body: b,
            numbers_documented: views.iter().any(|v| {
                states_numbers_of(b, v.layer)
                    || (b.limit.is_none() && b.limit_value == Some(v.layer.limit))
            }),
            key_documented: body_key.is_some_and(|k| views.iter().any(|v| v.layer.name == k)),
        };
        hyps.extend(super::stated::hypothesis(cx, i, &st, ra, any_visible));
    }
    hyps.push(concurrency_hypothesis(cx, i, &endpoint, ra, any_visible));
    hyps.push(burst_hypothesis(cx, i, ra, any_visible, &views));

    hyps.sort_by(|a, b| b.score.cmp(&a.score).then(b.tiebreak.cmp(&a.tiebreak)));
    let best = hyps.first().cloned();
    let mut throttle = Throttle {
        request: i as u32,
        cause: Cause::Unknown,
        layer: None,
        kind: None,
        visible: None,
        limit: None,
        window: None,
        hidden_at_least: None,
        retry_after_s: ra,
        evidence: Vec::new(),
        ranked: hyps.iter().take(3).cloned().collect(),
    };
    match best {
        Some(h) if h.score >= 2 => {
            throttle.cause = h.cause;
            throttle.layer = h.layer;
            throttle.kind = h.kind;
            throttle.visible = h.visible;
            throttle.limit = h.limit;
            throttle.window = h.window;
            throttle.hidden_at_least = h
                .hidden_at_least
                .filter(|_| h.cause == Cause::HiddenTraffic);
            throttle.evidence = h
                .evidence
                .iter()
                .filter(|e| e.weight != 0 || h.evidence.len() == 1)
                .map(|e| e.text.clone())
                .collect();
            if throttle.evidence.is_empty() {
                throttle.evidence = h.evidence.iter().map(|e| e.text.clone()).collect();
            }
        }
        _ => {
            throttle.evidence = unknown_evidence(cx, r, &views);
            if let Some(h) = best {
                throttle.evidence.push(format!(
                    "closest explanation, too weak to state: {}",
                    h.summary(cx)
                ));
            }
        }
    }
    throttle
}

/// Whether a 429 body's "maximum [N] requests within [W] seconds" is this layer.
fn states_numbers_of(b: &ThrottleBody, l: &Layer) -> bool {
    b.limit == Some(l.limit)
        && b.window_s
            .is_some_and(|w| (w - time::as_secs(l.window)).abs() <= 1.0)
}

/// 3: definitely over the limit on admitted requests; 2: over only counting requests at the
/// window's edge; 1: over only if rejected attempts count; 0: under.
fn visibly_exhausted(v: &View<'_>) -> u8 {
    let limit = v.layer.limit;
    // the server's own counter, over the limit and matching what the capture shows
    let confirmed = v
        .header
        .is_some_and(|hc| hc.count > hc.allowed && hc.count <= v.admitted_far + v.own + 1);
    if v.admitted_near >= limit {
        3
    } else if v.admitted_far >= limit || confirmed {
        2
    } else if v.attempts.saturating_sub(v.own) >= limit {
        1
    } else {
        0
    }
}

fn views_at<'a>(cx: &'a Ctx<'a>, i: usize) -> Vec<View<'a>> {
    let r = &cx.capture.requests[i];
    let mut out = Vec::new();
    for (idx, le) in cx.eval.layers.iter().enumerate() {
        let Some((s, m)) = le.at(i) else { continue };
        let layer = cx.layer(idx);
        let series = &le.series[s as usize];
        let m = m as usize;
        let (admitted, near, far, attempts, opened) = window_counts(cx, series, layer, m, r.start);
        out.push(View {
            idx,
            layer,
            series,
            member: m,
            admitted,
            admitted_near: near,
            admitted_far: far,
            attempts,
            own: series.costs[m] as u64,
            opened,
            header: header_for(layer, r),
        });
    }
    out
}

/// The latest admitted request before the 429, in the same partition and window, whose headers
/// announce this layer's limit: (header, when, requests visible in its window then).
fn earlier_header(cx: &Ctx<'_>, v: &View<'_>) -> Option<(HeaderCount, Micros, u64)> {
    let l = v.layer;
    if l.kind != Kind::Rate {
        return None;
    }
    let s = v.series;
    // only successes within the window before the 429 say anything about its budget
    let from = s.starts[v.member] - l.window;
    (0..v.member)
        .rev()
        .take_while(|&k| s.starts[k] > from)
        .find_map(|k| {
            if !s.admitted[k] {
                return None;
            }
            let q = &cx.capture.requests[s.members[k] as usize];
            let hc = header_for(l, q)?;
            let (_, adm) = s.between(q.start - l.window, q.start);
            Some((hc, q.start, adm))
        })
}

fn visible_request_near(s: &Series, t: Micros) -> bool {
    let tol = 1500 * time::MILLISECOND;
    let lo = s.starts.partition_point(|&x| x < t - tol);
    lo < s.starts.len() && s.starts[lo] <= t + tol
}

/// The next request of the same resource started after the full Retry-After and was throttled
/// again: (first Retry-After, second Retry-After).
fn retry_failed_after_wait(cx: &Ctx<'_>, i: usize) -> Option<(f64, f64)> {
    let r = &cx.capture.requests[i];
    let ra = r.retry_after?.seconds;
    let next = &cx.capture.requests[cx.next_same_resource[i]? as usize];
    let waited = next.start >= r.end() + time::secs(ra) - 500 * time::MILLISECOND;
    (waited && next.is_throttle()).then(|| (ra, next.retry_after.map_or(0.0, |x| x.seconds)))
}

/// Another endpoint of the same user and client that succeeded within 200 ms of the 429.
fn other_endpoint_success(cx: &Ctx<'_>, i: usize) -> Option<usize> {
    let r = &cx.capture.requests[i];
    let tol = 200 * time::MILLISECOND;
    let reqs = &cx.capture.requests;
    let lo = reqs.partition_point(|q| q.start < r.start - tol);
    (lo..reqs.len())
        .take_while(|&k| reqs[k].start <= r.start + tol)
        .find(|&k| {
            let q = &reqs[k];
            k != i
                && super::context::is_traffic(q)
                && (200..400).contains(&q.status)
                && q.user == r.user
                && q.client == r.client
                && q.host == r.host
                && (q.template != r.template || q.method != r.method)
        })
}

fn concurrency_hypothesis(
    cx: &Ctx<'_>,
    i: usize,
    endpoint: &str,
    ra: Option<f64>,
    any_visible: bool,
) -> Hypothesis {
    let r = &cx.capture.requests[i];
    let mut h = Hypothesis::new(Cause::UndocumentedLimit, None, Some(LimitKind::Concurrency));
    let k = cx.in_flight[i];
    let others = cx.in_flight_admitted_others[i];
    if others == 0 {
        h.add(
            -10,
            format!(
                "no other {endpoint} of this user was in flight (admitted) when this one started"
            ),
        );
        return h;
    }
    h.add(2, format!(
        "{k} {endpoint} of this user were in flight together at {}, {others} of the others already admitted",
        cx.clock(r.start)
    ));
    // does the in-flight count separate successes from 429s on this endpoint?
    let sep = cx.flight_separations[cx.flight_group[i] as usize];
    let threshold = sep.threshold;
    if threshold >= 1 && sep.successes > 0 && sep.violations * 10 <= sep.successes {
        h.add(3, format!(
            "every 429 of {endpoint} came with ≥{threshold} admitted requests of it in flight, and {} of {} successes with fewer: an undocumented limit of about {threshold} in flight",
            sep.successes - sep.violations, sep.successes
        ));
        h.limit = Some(threshold);
    } else if sep.throttled > 1 {
        h.add(
            -1,
            format!(
                "{} of {} successes of {endpoint} had as many requests in flight as the 429s",
                sep.violations, sep.successes
            ),
        );
    }
    match ra {
        Some(s) if s <= 2.0 => h.add(
            1,
            format!(
                "Retry-After {} s is the short wait a concurrency limiter asks for",
                fmt_s(s)
            ),
        ),
        Some(s) if s >= 10.0 => h.add(
            -1,
            format!("Retry-After {} s is long for a concurrency limit", fmt_s(s)),
        ),
        _ => {}
    }
    if let Some(typ) = cx.typical_duration(r)
        && r.duration >= 3 * typ
        && r.duration >= time::SECOND
    {
        h.add(1, format!(
                "the 429 took {}, against {} for this endpoint's successes: the server held it before rejecting",
                time::human_duration(r.duration), time::human_duration(typ)
            ));
    }
    if any_visible {
        h.add(
            -3,
            "a documented layer was visibly exhausted at this moment".to_string(),
        );
    }
    h.visible = Some(k as u64);
    h
}

fn burst_hypothesis(
    cx: &Ctx<'_>,
    i: usize,
    ra: Option<f64>,
    any_visible: bool,
    views: &[View<'_>],
) -> Hypothesis {
    let r = &cx.capture.requests[i];
    let mut h = Hypothesis::new(Cause::UndocumentedLimit, None, Some(LimitKind::Burst));
    // a burst limit is shorter than every documented rate window that counts this request
    let shortest = views
        .iter()
        .filter(|v| v.layer.kind == Kind::Rate)
        .map(|v| v.layer.window)
        .min()
        .unwrap_or(Micros::MAX);
    // the cleanest split of successes from 429s by a short-window count, narrow scopes and
    // short windows first
    let mut best: Option<(BurstScope, usize, super::context::Separation)> = None;
    for scope in BurstScope::ALL {
        let g = cx.burst_group[scope as usize][i];
        if g == u32::MAX {
            continue;
        }
        for (k, w) in BURST_WINDOWS.iter().enumerate() {
            if *w >= shortest {
                continue;
            }
            let sep = cx.separations[scope as usize][g as usize][k];
            let usable = sep.throttled >= 2 && sep.successes >= 3 && sep.threshold >= 3;
            if usable && sep.violations * 20 <= sep.successes {
                let better = best.is_none_or(|(_, _, b)| {
                    sep.violations * b.successes < b.violations * sep.successes
                });
                if better {
                    best = Some((scope, k, sep));
                }
            }
        }
    }
    let own = cx.burst_counts[BurstScope::Caller as usize][i][0] as u64 + 1;
    match best {
        Some((scope, k, sep)) => {
            let who = match scope {
                BurstScope::Resource => {
                    format!("{} of this caller on the same record", cx.endpoint(r))
                }
                BurstScope::Endpoint => format!("{} of this caller", cx.endpoint(r)),
                BurstScope::Caller => "this caller's requests".to_string(),
            };
            let w = time::window_label(BURST_WINDOWS[k]);
            h.add(4, format!(
                "every 429 of {who} came when ≥{} of them started within {w}, and {} of {} successes at fewer: an undocumented limit of about {} per {w}",
                sep.threshold,
                sep.successes - sep.violations,
                sep.successes,
                sep.threshold - 1
            ));
            h.limit = Some(sep.threshold - 1);
            h.window = Some(BURST_WINDOWS[k]);
            h.visible = Some(cx.burst_counts[scope as usize][i][k] as u64 + 1);
        }
        None if own < 3 => {
            h.add(
                -4,
                format!("only {own} requests of this caller started within the second before it"),
            );
            return h;
        }
        None => {
            h.add(
                -1,
                "no short window separates this caller's successes from its 429s".to_string(),
            );
            h.visible = Some(own);
        }
    }
    if let Some(s) = ra.filter(|s| *s <= 2.0) {
        h.add(
            1,
            format!("Retry-After {} s points to a short window", fmt_s(s)),
        );
    }
    if let Some(hc) = views
        .iter()
        .find_map(|v| v.header.filter(|hc| hc.count <= hc.allowed))
    {
        h.add(
            1,
            format!(
                "{} {} of {} on the 429: the documented counter it reports had room",
                hc.name, hc.count, hc.allowed
            ),
        );
    }
    if any_visible {
        h.add(
            -3,
            "a documented layer was visibly exhausted at this moment".to_string(),
        );
    }
    h
}

fn unknown_evidence(cx: &Ctx<'_>, r: &Request, views: &[View<'_>]) -> Vec<String> {
    let mut ev = Vec::new();
    if views.is_empty() {
        ev.push(format!(
            "no layer of the active profile counts {} on {}: pass --profile for this API",
            cx.endpoint(r),
            cx.capture.host(r)
        ));
    } else {
        for v in views {
            ev.push(format!(
                "{} ({}) saw {} admitted requests in its window",
                v.layer.name,
                v.layer.budget_label(),
                v.admitted
            ));
        }
    }
    ev.push(
        "what would tell: rate-limit headers on the 429 (count and limit), a 429 body naming the limit, or the API's usage report for this minute"
            .to_string(),
    );
    ev
}

/// Seconds without a trailing `.0`.
pub fn fmt_s(s: f64) -> String {
    if (s - s.round()).abs() < 1e-9 {
        format!("{}", s.round() as i64)
    } else {
        format!("{s:.1}")
    }
}

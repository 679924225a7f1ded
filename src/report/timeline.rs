//! Chart data for a capture: what the timeline charts draw, prepared so renderers compute
//! nothing.
//!
//! Owns choosing the layers that mattered (those the 429s blame, else the busiest), their
//! window count over time in the partition that peaked, one lane per client and endpoint with
//! each request's status, 429 markers, Retry-After waits and the in-flight count where
//! concurrency mattered. Large captures are binned. Labels come only from allow-listed values.
//! Pure.

use std::collections::BTreeMap;

use crate::analysis::Analysis;
use crate::diagnose::{Cause, LimitKind};
use crate::model::{Micros, SafeLabel};

/// Requests above which lanes and tracks are binned instead of drawn one by one.
pub const BIN_ABOVE: usize = 4_000;
/// Bins across the time axis when binning.
pub const BINS: usize = 600;
/// Most lanes drawn; the rest are merged.
const MAX_LANES: usize = 8;

/// What a tick's response was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// 1xx–3xx.
    Ok,
    /// 429.
    Throttled,
    /// Other 4xx.
    ClientError,
    /// 5xx.
    ServerError,
    /// No response.
    Failed,
    /// A CORS preflight.
    Preflight,
}

/// One request on a lane.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tick {
    /// Start.
    pub at: Micros,
    /// Outcome.
    pub outcome: Outcome,
}

/// Counts per outcome in one time bin.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Bin {
    /// Bin start.
    pub at: Micros,
    /// Requests per outcome.
    pub counts: BTreeMap<Outcome, u32>,
}

/// A row of the chart: one client and endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    /// `client-1 · PUT /api/v2/architect/ivrs/{ivrId}`.
    pub label: SafeLabel,
    /// Requests, when not binned.
    pub ticks: Vec<Tick>,
    /// Bins, when binned.
    pub bins: Vec<Bin>,
}

/// A count over time (step function through the points).
#[derive(Clone, Debug, PartialEq)]
pub struct Track {
    /// `architect.ivrs.put.rate.per.minute · user-1`.
    pub label: SafeLabel,
    /// The limit line, when there is one.
    pub limit: Option<u64>,
    /// (time, count of all attempts, 429s included) at each counted request (or bin maxima).
    pub points: Vec<(Micros, u64)>,
    /// (time, count of admitted requests) at the same requests; empty when not a layer.
    pub admitted: Vec<(Micros, u64)>,
    /// (time, count) the server's own counter reported on responses in this partition, when a
    /// rate-limit header announces this layer's limit.
    pub server: Vec<(Micros, u64)>,
    /// (time, count) of the capture's admitted requests with the traffic the server's log
    /// names from outside the capture stacked on top, in the same window (window layers with
    /// `--server-log` only).
    pub hidden: Vec<(Micros, u64)>,
}

/// A Retry-After wait: from the 429's response to the time it asked to retry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wait {
    /// The 429's response time.
    pub from: Micros,
    /// Response time + Retry-After.
    pub until: Micros,
    /// Lane index.
    pub lane: usize,
}

/// Everything the timeline charts draw.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Timeline {
    /// First request.
    pub start: Micros,
    /// Last response end (or last Retry-After end).
    pub end: Micros,
    /// The capture's UTC offset.
    pub utc_offset_s: i32,
    /// Chart title: the verdict in a line.
    pub title: SafeLabel,
    /// Window counts of the layers that mattered.
    pub tracks: Vec<Track>,
    /// Requests in flight, where concurrency mattered.
    pub in_flight: Option<Track>,
    /// Lanes.
    pub lanes: Vec<Lane>,
    /// 429s: (time, lane index).
    pub throttles: Vec<(Micros, usize)>,
    /// Retry-After waits.
    pub waits: Vec<Wait>,
    /// Whether lanes and tracks are binned.
    pub binned: bool,
}

impl Default for SafeLabel {
    fn default() -> Self {
        SafeLabel::fixed("")
    }
}

fn outcome(r: &crate::model::Request) -> Outcome {
    match (r.is_preflight, r.status) {
        (true, _) => Outcome::Preflight,
        (_, 0) => Outcome::Failed,
        _ if r.is_throttle() => Outcome::Throttled,
        (_, 400..=499) => Outcome::ClientError,
        (_, 500..=599) => Outcome::ServerError,
        _ => Outcome::Ok,
    }
}

fn title(a: &Analysis) -> SafeLabel {
    let t = &a.diagnosis.throttles;
    let n = a
        .capture
        .requests
        .iter()
        .filter(|r| !r.is_preflight)
        .count();
    if t.is_empty() {
        return SafeLabel::from_report(&format!(
            "{}, no 429",
            crate::model::plural(n as u64, "request")
        ));
    }
    let mut causes: BTreeMap<(Cause, Option<usize>, Option<LimitKind>), usize> = BTreeMap::new();
    for x in t {
        *causes.entry((x.cause(), x.layer(), x.kind())).or_default() += 1;
    }
    let ((cause, layer, kind), _) = causes
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(k, n)| (*k, *n))
        .unwrap_or(((Cause::Unknown, None, None), 0));
    let what = match (cause, layer, kind) {
        (Cause::VisibleTraffic, Some(l), _) => format!("own traffic used up {}", layer_name(a, l)),
        (Cause::HiddenTraffic, Some(l), _) => {
            format!("hidden traffic used up {}", layer_name(a, l))
        }
        (Cause::HiddenTraffic, None, _) => "hidden traffic".to_string(),
        (Cause::UndocumentedLimit, _, Some(k)) => format!("undocumented {} limit", k.as_str()),
        _ => "cause unknown".to_string(),
    };
    SafeLabel::from_report(&format!(
        "{} of {} got 429: most likely {what}",
        t.len(),
        crate::model::plural(n as u64, "request")
    ))
}

fn layer_name(a: &Analysis, idx: usize) -> String {
    let le = &a.evaluation.layers[idx];
    a.profiles[le.profile].layers[le.layer].name.clone()
}

fn downsample(points: Vec<(Micros, u64)>, start: Micros, end: Micros) -> Vec<(Micros, u64)> {
    if points.len() <= BIN_ABOVE {
        return points;
    }
    let width = ((end - start) / BINS as i64).max(1);
    let mut out: Vec<(Micros, u64)> = Vec::new();
    for (t, v) in points {
        let b = start + (t - start) / width * width;
        match out.last_mut() {
            Some(last) if last.0 == b => last.1 = last.1.max(v),
            _ => out.push((b, v)),
        }
    }
    out
}

/// The capture's admitted count with the server log's hidden requests of the same partition
/// and window on top, at every change of either (window layers only: a bucket's level is not a
/// count that hidden requests add to).
fn stacked(
    a: &Analysis,
    layer: usize,
    partition: usize,
    admitted: &[(Micros, u64)],
) -> Vec<(Micros, u64)> {
    let Some(j) = &a.join else {
        return Vec::new();
    };
    let le = &a.evaluation.layers[layer];
    let l = &a.profiles[le.profile].layers[le.layer];
    if !matches!(
        l.limiter,
        crate::profiles::Limiter::Window { .. } | crate::profiles::Limiter::SlidingCounter { .. }
    ) {
        return Vec::new();
    }
    let key = le.partitions[partition].key;
    let Some(hidden) = j.hidden_series.get(&(layer, key)) else {
        return Vec::new();
    };
    let w = l.window();
    let mut times: Vec<Micros> = admitted
        .iter()
        .map(|p| p.0)
        .chain(hidden.iter().map(|h| h.0))
        .chain(hidden.iter().map(|h| h.0 + w))
        .collect();
    times.sort_unstable();
    times.dedup();
    times
        .into_iter()
        .map(|t| {
            let k = admitted.partition_point(|p| p.0 <= t);
            let own = if k == 0 { 0 } else { admitted[k - 1].1 };
            let lo = hidden.partition_point(|h| h.0 <= t - w);
            let hi = hidden.partition_point(|h| h.0 <= t);
            (t, own + hidden[lo..hi].iter().map(|h| h.1).sum::<u64>())
        })
        .collect()
}

/// Builds the chart data of an analysis.
pub fn build(a: &Analysis) -> Timeline {
    let c = &a.capture;
    let Some((start, mut end)) = c.span() else {
        return Timeline::default();
    };
    let binned = c.requests.len() > BIN_ABOVE;

    // lanes: client × endpoint, busiest first
    let mut lane_of: BTreeMap<(String, String, String), Vec<usize>> = BTreeMap::new();
    for (i, r) in c.requests.iter().enumerate() {
        let who = crate::evaluate::identity_of(c, i);
        let method = who.method.as_str().to_string();
        let client = match who.client.get() {
            Some(_) => c.client_label(who).to_string(),
            None => "no credential".to_string(),
        };
        lane_of
            .entry((client, method, c.template(r).to_string()))
            .or_default()
            .push(i);
    }
    let mut lanes_sorted: Vec<((String, String, String), Vec<usize>)> =
        lane_of.into_iter().collect();
    lanes_sorted.sort_by(|x, y| {
        let t = |v: &Vec<usize>| v.iter().filter(|&&i| c.requests[i].is_throttle()).count();
        t(&y.1)
            .cmp(&t(&x.1))
            .then(y.1.len().cmp(&x.1.len()))
            .then(x.0.cmp(&y.0))
    });
    let mut merged: Vec<(SafeLabel, Vec<usize>)> = Vec::new();
    for (k, ((client, method, template), idx)) in lanes_sorted.into_iter().enumerate() {
        if k + 1 < MAX_LANES {
            merged.push((
                SafeLabel::from_report(&format!("{client} · {method} {template}")),
                idx,
            ));
        } else if k + 1 == MAX_LANES {
            merged.push((SafeLabel::fixed("other requests"), idx));
        } else if let Some(last) = merged.last_mut() {
            last.1.extend(idx);
        }
    }
    let mut lane_index = vec![0usize; c.requests.len()];
    let width = ((end - start) / BINS as i64).max(1);
    let mut lanes: Vec<Lane> = merged
        .into_iter()
        .enumerate()
        .map(|(li, (label, mut idx))| {
            idx.sort_unstable();
            for &i in &idx {
                lane_index[i] = li;
            }
            let ticks: Vec<Tick> = idx
                .iter()
                .map(|&i| {
                    let r = &c.requests[i];
                    Tick {
                        at: r.start,
                        outcome: outcome(r),
                    }
                })
                .collect();
            if binned {
                let mut bins: Vec<Bin> = Vec::new();
                for t in ticks {
                    let b = start + (t.at - start) / width * width;
                    if bins.last().is_none_or(|l| l.at != b) {
                        bins.push(Bin {
                            at: b,
                            counts: BTreeMap::new(),
                        });
                    }
                    if let Some(last) = bins.last_mut() {
                        *last.counts.entry(t.outcome).or_default() += 1;
                    }
                }
                Lane {
                    label,
                    ticks: Vec::new(),
                    bins,
                }
            } else {
                Lane {
                    label,
                    ticks,
                    bins: Vec::new(),
                }
            }
        })
        .collect();

    // the recommended pacing, as a lane of its own
    if let (Some(rec), false) = (&a.plan.recommended, binned)
        && let Some(p) = rec.policy
    {
        let mut what = Vec::new();
        if let Some(k) = p.policy.max_in_flight {
            what.push(format!("≤{k} in flight"));
        }
        if let Some(s) = p.policy.min_spacing {
            what.push(format!("≥{} apart", crate::model::time::human_duration(s)));
        }
        if what.is_empty() {
            what.push("as sent, honouring Retry-After".into());
        }
        lanes.push(Lane {
            label: SafeLabel::from_report(&format!(
                "paced plan · {} per {}",
                what.join(", "),
                p.scope.as_str()
            )),
            ticks: a
                .plan
                .schedule
                .iter()
                .map(|&(_, at, _, admitted)| Tick {
                    at,
                    outcome: if admitted {
                        Outcome::Ok
                    } else {
                        Outcome::Throttled
                    },
                })
                .collect(),
            bins: Vec::new(),
        });
        if let Some(last) = a.plan.schedule.iter().map(|&(_, at, _, _)| at).max() {
            end = end.max(last);
        }
    }

    let throttles: Vec<(Micros, usize)> = a
        .diagnosis
        .throttles
        .iter()
        .map(|t| {
            (
                c.requests[t.request as usize].start,
                lane_index[t.request as usize],
            )
        })
        .collect();
    let waits: Vec<Wait> = a
        .diagnosis
        .throttles
        .iter()
        .filter_map(|t| {
            let r = &c.requests[t.request as usize];
            let ra = r.retry_after()?;
            Some(Wait {
                from: r.end(),
                until: r.end() + crate::model::time::secs(ra.seconds),
                lane: lane_index[t.request as usize],
            })
        })
        .collect();
    if let Some(w) = waits.iter().map(|w| w.until).max() {
        end = end.max(w);
    }

    // tracks: layers the 429s blame (and their rankings), else the busiest one
    // layers blamed most first, then the ones the rankings considered
    let mut blamed: BTreeMap<usize, usize> = BTreeMap::new();
    for t in &a.diagnosis.throttles {
        if let Some(l) = t.layer() {
            *blamed.entry(l).or_default() += 1;
        }
    }
    let mut chosen: Vec<usize> = blamed.keys().copied().collect();
    chosen.sort_by_key(|l| std::cmp::Reverse(blamed[l]));
    for t in &a.diagnosis.throttles {
        for l in t
            .ranked
            .iter()
            .filter_map(|h| h.candidate.explanation.layer())
        {
            if !chosen.contains(&l) {
                chosen.push(l);
            }
        }
    }
    chosen.truncate(3);
    if chosen.is_empty()
        && let Some((idx, _)) = a
            .evaluation
            .layers
            .iter()
            .enumerate()
            .filter(|(_, le)| le.peak > 0.0)
            .max_by(|x, y| {
                let u = |(i, le): &(usize, &crate::evaluate::LayerEval)| {
                    let l = &a.profiles[le.profile].layers[le.layer];
                    let _ = i;
                    le.peak / l.limit().max(1) as f64
                };
                u(x).total_cmp(&u(y))
            })
    {
        chosen.push(idx);
    }
    let tracks: Vec<Track> = chosen
        .into_iter()
        .filter_map(|idx| {
            let le = &a.evaluation.layers[idx];
            let l = &a.profiles[le.profile].layers[le.layer];
            // the partition of the first 429 blamed on it, else the peak's
            let partition = a
                .diagnosis
                .throttles
                .iter()
                .find_map(|t| le.view(t.request as usize).map(|v| v.partition as usize))
                .or(le.peak_partition)?;
            let levels = crate::evaluate::levels(
                c,
                &a.profiles[le.profile],
                l,
                partition,
                crate::evaluate::Options::default(),
            );
            let round = |v: &[(Micros, f64)]| -> Vec<(Micros, u64)> {
                v.iter()
                    .map(|&(t, x)| (t, x.round().max(0.0) as u64))
                    .collect()
            };
            let points = round(&levels.attempts);
            let admitted = round(&levels.admitted);
            let server: Vec<(Micros, u64)> = levels
                .requests
                .iter()
                .filter_map(|&m| {
                    let r = &c.requests[m as usize];
                    let count = l.reported_use(c.quotas_of(r))?;
                    // on the replay's clock (arrival), whose order `members` follow
                    Some((r.arrival(), count))
                })
                .collect();
            let hidden = stacked(a, idx, partition, &admitted);
            Some(Track {
                label: SafeLabel::from_report(&format!(
                    "{} · {}",
                    l.name,
                    crate::report::partition_label(a, idx, partition)
                )),
                limit: Some(l.limit()),
                points: downsample(points, start, end),
                admitted: downsample(admitted, start, end),
                server: downsample(server, start, end),
                hidden: downsample(hidden, start, end),
            })
        })
        .collect();

    let in_flight = a
        .diagnosis
        .throttles
        .iter()
        .find(|t| t.kind() == Some(LimitKind::Concurrency) && t.cause() == Cause::UndocumentedLimit)
        .map(|t| {
            let r = &c.requests[t.request as usize];
            let idx: Vec<usize> = (0..c.requests.len())
                .filter(|&i| {
                    let q = &c.requests[i];
                    !q.is_preflight
                        && q.has_response()
                        && q.user == r.user
                        && q.method == r.method
                        && q.template == r.template
                })
                .collect();
            let starts: Vec<Micros> = idx.iter().map(|&i| c.requests[i].start).collect();
            let ends: Vec<Micros> = idx.iter().map(|&i| c.requests[i].end()).collect();
            let counts = crate::evaluate::window::in_flight(&starts, &ends);
            // a step down at each end as well, so the chart shows requests finishing
            let mut points: Vec<(Micros, u64)> = starts.iter().copied().zip(counts).collect();
            let mut ends_sorted = ends.clone();
            ends_sorted.sort_unstable();
            let after_end = crate::evaluate::window::covering(&ends_sorted, &starts, &ends);
            points.extend(ends_sorted.into_iter().zip(after_end));
            points.sort_unstable();
            Track {
                label: SafeLabel::from_report(&format!(
                    "in flight · {} {}",
                    r.method.as_str(),
                    c.template(r)
                )),
                limit: t.limit,
                points: downsample(points, start, end),
                admitted: Vec::new(),
                server: Vec::new(),
                hidden: Vec::new(),
            }
        });

    Timeline {
        start,
        end,
        utc_offset_s: c.utc_offset_s(),
        title: title(a),
        tracks,
        in_flight,
        lanes,
        throttles,
        waits,
        binned,
    }
}

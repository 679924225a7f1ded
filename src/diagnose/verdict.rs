//! The verdict: one paragraph per capture that answers the forum thread.
//!
//! Owns summarising the throttles (grouped by cause and layer), ranking the two best
//! explanations with the evidence for and against each, the changes the findings ask for, and
//! how to confirm with the API's own tools (from the profile). Pure.

use std::collections::BTreeMap;

use crate::model::time;

use super::budget::Budget;
use super::context::Ctx;
use super::throttle::fmt_s;
use super::{Cause, Finding, FindingKind, Hypothesis, LimitKind, Severity, Throttle};

type GroupKey = (Cause, Option<usize>, Option<LimitKind>);

/// Writes the verdict: the full paragraph, and a short one (what happened, the main cause,
/// what to do) for summaries.
pub fn write(
    cx: &Ctx<'_>,
    throttles: &[Throttle],
    findings: &[Finding],
    budgets: &[Budget],
) -> (String, String) {
    let mut parts: Vec<String> = Vec::new();
    let mut short: Vec<String> = Vec::new();
    if throttles.is_empty() {
        parts.push(quiet(cx, budgets));
        short.push(parts[0].clone());
    } else {
        parts.push(overview(cx, throttles));
        short.push(parts[0].clone());
        let mut groups: BTreeMap<GroupKey, Vec<&Throttle>> = BTreeMap::new();
        for t in throttles {
            groups
                .entry((t.cause, t.layer, t.kind))
                .or_default()
                .push(t);
        }
        let mut ordered: Vec<(GroupKey, Vec<&Throttle>)> = groups.into_iter().collect();
        ordered.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        for (k, (key, group)) in ordered.iter().take(3).enumerate() {
            let sentence = group_sentence(cx, *key, group, throttles.len());
            if k == 0 {
                short.push(sentence.clone());
            }
            parts.push(sentence);
        }
        if let Some((_, main)) = ordered.first() {
            if let Some((full, brief)) = ranking(cx, main[0]) {
                parts.push(full);
                short.push(brief);
            }
            if let Some(a) = action(cx, ordered[0].0, main) {
                short.push(a.clone());
                parts.push(a);
            }
        }
    }
    // findings whose advice the main action already gives are left out
    let main = throttles_main(throttles);
    let advice: Vec<&str> = findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .filter(|f| {
            !matches!(
                (f.kind, main),
                (
                    FindingKind::ParallelBurst,
                    Some((Cause::UndocumentedLimit, Some(LimitKind::Concurrency)))
                ) | (
                    FindingKind::RetryFailedAfterWait,
                    Some((Cause::HiddenTraffic, _))
                )
            )
        })
        .map(|f| f.advice.as_str())
        .take(2)
        .collect();
    if !advice.is_empty() {
        parts.push(format!("Also: {}.", advice.join("; ")));
    }
    if !throttles.is_empty() {
        let confirm: Vec<&str> = cx
            .profiles
            .iter()
            .flat_map(|p| p.confirm.iter().map(String::as_str))
            .take(2)
            .collect();
        if !confirm.is_empty() {
            let ids = throttles
                .iter()
                .filter(|t| {
                    cx.capture.requests[t.request as usize]
                        .correlation
                        .is_some()
                })
                .count();
            let ids_note = if ids > 0 {
                format!(" ({ids} of the 429s carry a correlation id in the capture)")
            } else {
                String::new()
            };
            parts.push(format!("To confirm: {}{ids_note}.", confirm.join("; ")));
        }
    }
    (parts.join(" "), short.join(" "))
}

/// The most frequent (cause, kind) among the throttles.
fn throttles_main(throttles: &[Throttle]) -> Option<(Cause, Option<LimitKind>)> {
    let mut n: BTreeMap<(Cause, Option<LimitKind>), usize> = BTreeMap::new();
    for t in throttles {
        *n.entry((t.cause, t.kind)).or_default() += 1;
    }
    n.into_iter().max_by_key(|(_, c)| *c).map(|(k, _)| k)
}

fn quiet(cx: &Ctx<'_>, budgets: &[Budget]) -> String {
    let c = cx.capture;
    let n = c.requests.len();
    if n == 0 {
        return match c.skipped.len() {
            0 => "The capture holds no request: record it again with the traffic in question."
                .to_string(),
            k => format!(
                "No entry could be used ({k} skipped, reasons below): there is nothing to analyze."
            ),
        };
    }
    let pre = c.requests.iter().filter(|r| r.is_preflight).count();
    let span = c
        .span()
        .map(|(a, b)| time::human_duration(b - a))
        .unwrap_or_default();
    let mut s = format!("No request was throttled: {n} requests over {span}");
    if pre > 0 {
        s.push_str(&format!(", {pre} of them CORS preflights"));
    }
    s.push('.');
    let busiest = budgets
        .iter()
        .filter_map(|b| {
            let le = &cx.eval.layers[b.layer];
            let l = cx.layer(b.layer);
            (le.peak > 0).then(|| (le.peak as f64 / l.limit() as f64, b.layer))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match busiest {
        Some((u, idx)) => {
            let le = &cx.eval.layers[idx];
            let l = cx.layer(idx);
            s.push_str(&format!(
                " The busiest layer, {} ({}, per {}), peaked at {} ({:.0} % of its budget) at {}.",
                l.name,
                l.budget_label(),
                l.partition_label(),
                le.peak,
                u * 100.0,
                le.peak_at.map(|t| cx.clock(t)).unwrap_or_default()
            ));
        }
        None => s.push_str(
            " No documented layer counts these requests: pass --profile NAME|FILE to check them against a budget.",
        ),
    }
    s
}

fn overview(cx: &Ctx<'_>, throttles: &[Throttle]) -> String {
    let c = cx.capture;
    let mut endpoints: BTreeMap<String, usize> = BTreeMap::new();
    for t in throttles {
        *endpoints
            .entry(cx.endpoint(&c.requests[t.request as usize]))
            .or_default() += 1;
    }
    let first = c.requests[throttles[0].request as usize].start;
    let last = c.requests[throttles[throttles.len() - 1].request as usize].start;
    let on = if endpoints.len() == 1 {
        format!(
            "all on {}",
            endpoints.keys().next().map(String::as_str).unwrap_or("")
        )
    } else {
        let (top, n) = endpoints
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(e, n)| (e.as_str(), *n))
            .unwrap_or(("", 0));
        format!("on {} endpoints, {n} on {top}", endpoints.len())
    };
    format!(
        "{} of {} requests got HTTP 429 ({on}) between {} and {}.",
        throttles.len(),
        c.requests.iter().filter(|r| !r.is_preflight).count(),
        cx.clock(first),
        cx.clock(last)
    )
}

fn hidden_sources(cx: &Ctx<'_>) -> String {
    cx.profiles
        .iter()
        .find_map(|p| p.hidden_sources.clone())
        .unwrap_or_else(|| "other tabs, other apps or machines using the same credentials".into())
}

fn group_sentence(cx: &Ctx<'_>, key: GroupKey, group: &[&Throttle], total: usize) -> String {
    let (cause, layer, kind) = key;
    let n = group.len();
    let count = if n == total {
        if n == 1 {
            "It".to_string()
        } else {
            format!("All {n}")
        }
    } else {
        format!("{n} of them")
    };
    let t0 = group[0];
    let at = cx.clock(cx.capture.requests[t0.request as usize].start);
    match (cause, layer, kind) {
        (Cause::VisibleTraffic, Some(l), _) => {
            let layer = cx.layer(l);
            format!(
                "{count}: the capture's own traffic used up {} ({}, per {}); {} requests were already in its window at {at}.",
                layer.name,
                layer.budget_label(),
                layer.partition_label(),
                t0.visible.unwrap_or(0)
            )
        }
        (Cause::HiddenTraffic, Some(l), _) => {
            let layer = cx.layer(l);
            let hidden = group
                .iter()
                .filter_map(|t| t.hidden_at_least)
                .max()
                .unwrap_or(0);
            format!(
                "{count}: {} ({}, per {}) fired while the capture shows only {} of its requests in the window, so at least {hidden} came from traffic the capture cannot see ({}).",
                layer.name,
                layer.budget_label(),
                layer.partition_label(),
                t0.visible.unwrap_or(0),
                hidden_sources(cx)
            )
        }
        (Cause::HiddenTraffic, None, _) => format!(
            "{count}: a long-window budget was used up by traffic the capture cannot see ({}){}.",
            hidden_sources(cx),
            t0.retry_after_s
                .map(|s| format!("; Retry-After {} s fits such a window", fmt_s(s)))
                .unwrap_or_default()
        ),
        (Cause::UndocumentedLimit, _, Some(LimitKind::Concurrency)) => {
            let r = &cx.capture.requests[t0.request as usize];
            let limit = group.iter().filter_map(|t| t.limit).min();
            let most = group.iter().filter_map(|t| t.visible).max().unwrap_or(0);
            format!(
                "{count}: a limit the documentation does not state, on requests in flight at once: up to {most} {} were in flight together (first at {at}){}.",
                cx.endpoint(r),
                limit
                    .map(|c| format!(
                        ", and the capture is consistent with about {c} allowed in flight per user"
                    ))
                    .unwrap_or_default()
            )
        }
        (Cause::UndocumentedLimit, _, Some(LimitKind::Rate)) => {
            let r = &cx.capture.requests[t0.request as usize];
            let stated = match (t0.limit, t0.window) {
                (Some(n), Some(w)) => format!("{n} requests within {}", time::window_label(w)),
                (Some(n), None) => format!("a limit of {n}"),
                _ => "a limit by name".to_string(),
            };
            let seen = match (t0.visible, t0.limit) {
                (Some(v), Some(n)) if v >= n => format!(
                    "; the capture shows {} admitted requests of this caller in that window at {at}, enough to reach it",
                    super::stated::at_least(v, n)
                ),
                (Some(v), Some(n)) => format!(
                    "; the capture shows only {v} admitted requests of this caller in that window at {at}, so at least {} came from elsewhere",
                    n - v
                ),
                _ => String::new(),
            };
            format!(
                "{count}: a limit the documentation does not state, which the server's 429 body gives as {stated} ({}){seen}.",
                cx.endpoint(r)
            )
        }
        (Cause::UndocumentedLimit, _, _) => {
            let limit = group.iter().filter_map(|t| t.limit).min();
            let per = match t0.window {
                Some(w) if w != time::SECOND => time::window_label(w),
                _ => "second".to_string(),
            };
            format!(
                "{count}: a limit the documentation does not state, on short bursts: the 429s came in bursts while every documented layer had room{}.",
                limit
                    .map(|c| format!(", consistent with about {c} requests per {per} per caller"))
                    .unwrap_or_default()
            )
        }
        _ => format!(
            "{count}: the capture cannot tell which limit fired; rate-limit headers on the 429s, a 429 body naming the limit, or the API's usage report would."
        ),
    }
}

fn describe(cx: &Ctx<'_>, h: &Hypothesis) -> String {
    let best_for = h
        .evidence
        .iter()
        .filter(|e| e.weight > 0)
        .max_by_key(|e| e.weight)
        .map(|e| e.text.as_str());
    let best_against = h
        .evidence
        .iter()
        .filter(|e| e.weight < 0)
        .min_by_key(|e| e.weight)
        .map(|e| e.text.as_str());
    let mut s = h.summary(cx);
    if h.cause == Cause::HiddenTraffic {
        s.push_str(&format!(" ({})", hidden_sources(cx)));
        if let Some(n) = h.hidden_at_least {
            s.push_str(&format!(", needing at least {n} hidden requests"));
        }
    }
    if let Some(f) = best_for {
        s.push_str(&format!(": for it, {f}"));
    }
    if let Some(a) = best_against {
        s.push_str(&format!("; against it, {a}"));
    }
    s
}

fn ranking(cx: &Ctx<'_>, t: &Throttle) -> Option<(String, String)> {
    let first = t.ranked.first()?;
    let second = t
        .ranked
        .iter()
        .skip(1)
        .find(|h| h.cause != first.cause && h.score > 0)?;
    // only worth a sentence when the runner-up is a real alternative
    if first.score - second.score > 6 && t.cause == Cause::VisibleTraffic {
        return None;
    }
    let mut brief = format!("Less likely: {}", second.summary(cx));
    if let Some(n) = second.hidden_at_least {
        brief.push_str(&format!(" (at least {n} hidden requests needed)"));
    }
    brief.push('.');
    Some((
        format!(
            "Ranked explanations for the first 429: (1) {}. (2) {}.",
            describe(cx, first),
            describe(cx, second)
        ),
        brief,
    ))
}

fn action(cx: &Ctx<'_>, key: GroupKey, group: &[&Throttle]) -> Option<String> {
    let t0 = group[0];
    let r = &cx.capture.requests[t0.request as usize];
    match key {
        (Cause::VisibleTraffic, Some(l), _) => {
            let layer = cx.layer(l);
            let gap = layer.window() / layer.limit().max(1) as i64;
            Some(format!(
                "What to do: keep {} within {} per {} ({} per {}, one every {} on average).",
                cx.endpoint(r),
                layer.name,
                layer.partition_label(),
                layer.limit(),
                time::window_label(layer.window()),
                time::human_duration(gap)
            ))
        }
        (Cause::HiddenTraffic, ..) => Some(format!(
            "What to do: find the other traffic of this user ({}) and budget for it; retrying sooner will not help.",
            hidden_sources(cx)
        )),
        (Cause::UndocumentedLimit, _, Some(LimitKind::Concurrency)) => Some(format!(
            "What to do: send {} one at a time, waiting for each response before the next.",
            cx.endpoint(r)
        )),
        (Cause::UndocumentedLimit, _, Some(LimitKind::Rate)) => Some(match (t0.limit, t0.window) {
            (Some(n), Some(w)) => format!(
                "What to do: keep {} under the stated {n} per {}, and ask the API's owner to document this limit.",
                cx.endpoint(r),
                time::window_label(w)
            ),
            _ => "What to do: ask the API's owner which limit the 429 names and its budget; until then, honour Retry-After.".to_string(),
        }),
        (Cause::UndocumentedLimit, ..) => Some(
            "What to do: smooth the client's rate, e.g. a client-side limiter well under the observed per-second threshold."
                .to_string(),
        ),
        _ => None,
    }
}

//! The verdict: what a support engineer reads first, in the same structure in every format —
//! a headline (what happened, the main cause, how sure), what to do, the evidence, the other
//! explanations with why each is less likely, and how to confirm.
//!
//! Owns grouping throttles by explanation, choosing the main group, and assembling its
//! sentences from `prose`. Numbers come from the throttles and layers, never recomputed. Pure.

use std::collections::BTreeMap;

use crate::model::time;
use crate::profiles::{Kind, Limiter};

use super::budget::Budget;
use super::context::Ctx;
use super::prose::{self, Names, count};
use super::{Cause, Explanation, Finding, FindingKind, LimitKind, Severity, Throttle};

/// The verdict of one capture.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verdict {
    /// One line: what happened, the main cause and how sure.
    pub headline: String,
    /// What to do.
    pub what_to_do: Vec<String>,
    /// Facts for the main cause (at most four).
    pub evidence: Vec<String>,
    /// Other explanations of the main throttles, ranked, each with why it is less likely.
    pub alternatives: Vec<String>,
    /// Throttles with other causes, one line per group.
    pub others: Vec<String>,
    /// Advice from the findings.
    pub also: Vec<String>,
    /// How to confirm with the API's own tools.
    pub confirm: Vec<String>,
}

impl Verdict {
    /// Every section as one paragraph (for places that take a single text).
    pub fn paragraph(&self) -> String {
        let mut parts = vec![self.headline.clone()];
        parts.extend(self.others.iter().cloned());
        if !self.what_to_do.is_empty() {
            parts.push(format!("What to do: {}", join(&self.what_to_do)));
        }
        if !self.evidence.is_empty() {
            parts.push(format!("Evidence: {}", join(&self.evidence)));
        }
        if !self.alternatives.is_empty() {
            parts.push(format!("Other explanations: {}", join(&self.alternatives)));
        }
        if !self.also.is_empty() {
            parts.push(format!("Also: {}", join(&self.also)));
        }
        if !self.confirm.is_empty() {
            parts.push(format!("To confirm: {}", join(&self.confirm)));
        }
        parts.join(" ")
    }

    /// The headline and what to do.
    pub fn summary(&self) -> String {
        let mut s = self.headline.clone();
        if !self.what_to_do.is_empty() {
            s.push_str(&format!(" What to do: {}", join(&self.what_to_do)));
        }
        s
    }
}

fn join(items: &[String]) -> String {
    let mut s = items.join("; ");
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

type GroupKey = (Cause, Option<usize>, Option<LimitKind>);

/// Builds the verdict.
pub fn build(
    cx: &Ctx<'_>,
    throttles: &[Throttle],
    findings: &[Finding],
    budgets: &[Budget],
    pacing: &super::Pacing,
) -> Verdict {
    let names = Names::new(cx.capture, cx.profiles, cx.eval);
    let mut v = Verdict::default();
    if throttles.is_empty() {
        v.headline = quiet(cx, budgets);
        return v;
    }
    let mut groups: BTreeMap<GroupKey, Vec<&Throttle>> = BTreeMap::new();
    for t in throttles {
        groups
            .entry((t.cause(), t.layer(), t.kind()))
            .or_default()
            .push(t);
    }
    let mut ordered: Vec<(GroupKey, Vec<&Throttle>)> = groups.into_iter().collect();
    ordered.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let main = &ordered[0].1;
    let t0 = main[0];
    let r0 = &cx.capture.requests[t0.request as usize];
    v.headline = headline(cx, &names, throttles, main);
    for (_, group) in ordered.iter().skip(1).take(2) {
        let t = group[0];
        v.others.push(format!(
            "{} other {}: {} ({}).",
            group.len(),
            if group.len() == 1 {
                "throttle"
            } else {
                "throttles"
            },
            prose::explanation(&names, &t.explanation),
            prose::confidence(t.confidence)
        ));
    }
    // a computed plan replaces the rule of thumb for the capture's own traffic; for hidden
    // traffic the diagnosis' advice still says what to find out
    v.what_to_do = pacing.advice.clone();
    match t0.explanation {
        Explanation::Visible { .. } if pacing.found => {}
        // the plan paces the capture's own traffic under the limit; what is left is to have it
        // written down
        Explanation::Undocumented { .. } if pacing.found => v
            .what_to_do
            .push("ask the API's owner to document this limit".into()),
        _ => v.what_to_do.extend(action(cx, main)),
    }
    v.evidence = t0
        .evidence
        .iter()
        .take(4)
        .map(|s| prose::signal(&names, s, r0))
        .collect();
    if let Some(named) = cx.join.and_then(|j| hidden_senders(j, t0)) {
        v.evidence.insert(0, named.0);
        if t0.cause() == Cause::HiddenTraffic {
            v.what_to_do.push(named.1);
        }
    }
    for ranked in t0.ranked.iter().skip(1).take(3) {
        let why = ranked
            .below_because
            .map(prose::preference)
            .unwrap_or("it fits no better");
        v.alternatives.push(format!(
            "{} — less likely: {why}",
            prose::explanation(&names, &ranked.candidate.explanation)
        ));
    }
    for refuted in t0.refuted.iter().take(2) {
        if let Some(r) = &refuted.refuted {
            v.alternatives.push(format!(
                "{} — ruled out: {}",
                prose::explanation(&names, &refuted.explanation),
                prose::refutation(&names, r, r0)
            ));
        }
    }
    // findings whose advice the main action already gives are left out
    let main_kind = (t0.cause(), t0.kind());
    v.also = findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .filter(|f| {
            // a computed plan already says how to pace bursts
            let paced = f.kind == FindingKind::ParallelBurst && pacing.found;
            let said = matches!(
                (f.kind, main_kind),
                (
                    FindingKind::ParallelBurst,
                    (Cause::UndocumentedLimit, Some(LimitKind::Concurrency))
                ) | (FindingKind::RetryFailedAfterWait, (Cause::HiddenTraffic, _))
            );
            !paced && !said
        })
        .map(|f| f.advice.clone())
        .take(2)
        .collect();
    let ids = throttles
        .iter()
        .filter(|t| {
            cx.capture.requests[t.request as usize]
                .correlation
                .is_some()
        })
        .count();
    v.confirm = cx
        .profiles
        .iter()
        .flat_map(|p| p.confirm.iter().cloned())
        .take(2)
        .collect();
    if ids > 0 && !v.confirm.is_empty() {
        v.confirm.push(format!(
            "{} of the {} carry a correlation id in the capture",
            ids,
            count(throttles.len() as u64, "throttle", "throttles")
        ));
    }
    v
}

fn headline(cx: &Ctx<'_>, names: &Names<'_>, throttles: &[Throttle], main: &[&Throttle]) -> String {
    let c = cx.capture;
    let mut endpoints: BTreeMap<String, usize> = BTreeMap::new();
    for t in throttles {
        *endpoints
            .entry(cx.endpoint(&c.requests[t.request as usize]))
            .or_default() += 1;
    }
    let on = if endpoints.len() == 1 {
        format!(
            "all on {}",
            endpoints.keys().next().map_or("", |e| e.as_str())
        )
    } else {
        let (top, n) = endpoints
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(e, n)| (e.as_str(), *n))
            .unwrap_or(("", 0));
        format!("on {} endpoints, {n} on {top}", endpoints.len())
    };
    let requests = c.requests.iter().filter(|r| !r.is_preflight).count() as u64;
    let statuses: std::collections::BTreeSet<u16> = throttles
        .iter()
        .map(|t| c.requests[t.request as usize].status)
        .collect();
    let status = statuses
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join("/");
    let first = c.requests[throttles[0].request as usize].start;
    let last = c.requests[throttles[throttles.len() - 1].request as usize].start;
    let t0 = main[0];
    let share = if main.len() == throttles.len() {
        if main.len() == 1 {
            "It".to_string()
        } else {
            format!("All {}", main.len())
        }
    } else {
        format!("{} of them", main.len())
    };
    format!(
        "{} of {} throttled (HTTP {status}, {on}) between {} and {}. {share}: {} ({}).",
        throttles.len(),
        count(requests, "request", "requests"),
        cx.clock(first),
        cx.clock(last),
        prose::explanation(names, &t0.explanation),
        prose::confidence(t0.confidence)
    )
}

/// The senders the server's log names in the throttle's refusing window: a sentence of
/// evidence and one of what to do. Labels only (the capture's, or `log-client-N`): ids the log
/// gives are for reports the user opts into.
fn hidden_senders(j: &crate::join::Join, t: &Throttle) -> Option<(String, String)> {
    let w = t.server.as_ref()?;
    if t.hidden_by.is_empty() {
        return None;
    }
    let who = |h: &crate::join::HiddenBy| {
        let id = &j.identities[h.identity as usize];
        if id.user_label == "-" {
            id.client_label.clone()
        } else {
            format!("{} of {}", id.client_label, id.user_label)
        }
    };
    let list: Vec<String> = t
        .hidden_by
        .iter()
        .take(5)
        .map(|h| {
            format!(
                "{} sent {}",
                who(h),
                count(h.requests, "request", "requests")
            )
        })
        .collect();
    let more = t.hidden_by.len().saturating_sub(5);
    let span = time::human_duration(w.to - w.from);
    let proof = match w.proof {
        crate::join::WindowProof::Full => "; with the capture's own requests they filled it",
        _ => "",
    };
    let evidence = format!(
        "The server's log names the traffic outside the capture in the {span} that refused the first throttle: {}{}{proof}.",
        list.join(", "),
        if more > 0 {
            format!(" and {more} more senders")
        } else {
            String::new()
        }
    );
    let names: Vec<String> = t.hidden_by.iter().take(3).map(who).collect();
    let todo = format!(
        "Ask whoever runs {} to pace or move their requests, or give the capture's client a budget of its own: they share it.",
        names.join(", ")
    );
    Some((evidence, todo))
}

fn hidden_sources(cx: &Ctx<'_>) -> String {
    cx.profiles
        .iter()
        .find_map(|p| p.hidden_sources.clone())
        .unwrap_or_else(|| "other tabs, other apps or machines using the same credentials".into())
}

fn action(cx: &Ctx<'_>, group: &[&Throttle]) -> Vec<String> {
    let t0 = group[0];
    let r = &cx.capture.requests[t0.request as usize];
    let endpoint = cx.endpoint(r);
    match t0.explanation {
        Explanation::Visible { layer, .. } => {
            let l = cx.layer(layer);
            let rule = match (&l.limiter, l.kind()) {
                (Limiter::Bucket { capacity, rate, .. }, _) => format!(
                    "send at most {} at once per {}, then no faster than {}",
                    capacity,
                    l.partition_label(),
                    rate.label()
                ),
                (_, Kind::Concurrency) => format!(
                    "keep at most {} in flight per {}",
                    l.limit(),
                    l.partition_label()
                ),
                _ => match l.limiter.spacing() {
                    Some(gap) => format!(
                        "keep {endpoint} within {} per {} ({}, one every {} on average)",
                        l.name,
                        l.partition_label(),
                        l.budget_label(),
                        time::human_duration(gap)
                    ),
                    None => format!(
                        "keep {endpoint} within {} per {} ({}): after it runs out, wait for the reset the server announces",
                        l.name,
                        l.partition_label(),
                        l.budget_label()
                    ),
                },
            };
            vec![rule]
        }
        Explanation::Hidden { layer, .. } => vec![format!(
            "find the other traffic counted in {} ({}) and budget for it; retrying sooner will not help",
            cx.layer(layer).name,
            hidden_sources(cx)
        )],
        Explanation::Undocumented {
            kind: LimitKind::Concurrency,
            ..
        } => vec![format!(
            "send {endpoint} one at a time, waiting for each response before the next"
        )],
        Explanation::Undocumented {
            limit: Some(n),
            window: Some(w),
            ..
        } => vec![format!(
            "keep {endpoint} under {n} per {}, and ask the API's owner to document this limit",
            time::window_label(w)
        )],
        Explanation::Undocumented { .. } => vec![
            "smooth the client's rate with a client-side limiter, and ask the API's owner which limit applies".into(),
        ],
        Explanation::Unknown => vec![
            "honour Retry-After, and capture again with the rate-limit headers and the 429 bodies (or pass --profile for this API)".into(),
        ],
    }
}

fn quiet(cx: &Ctx<'_>, budgets: &[Budget]) -> String {
    let c = cx.capture;
    let n = c.requests.len() as u64;
    if n == 0 {
        return match c.skipped.len() {
            0 => "The capture holds no request: record it again with the traffic in question."
                .to_string(),
            k => format!(
                "No entry could be used ({k} skipped, reasons below): there is nothing to analyze."
            ),
        };
    }
    let pre = c.requests.iter().filter(|r| r.is_preflight).count() as u64;
    let span = c
        .span()
        .map(|(a, b)| time::human_duration(b - a))
        .unwrap_or_default();
    let mut s = format!(
        "No request was throttled: {} over {span}",
        count(n, "request", "requests")
    );
    if pre > 0 {
        s.push_str(&format!(", {} of them CORS preflights", pre));
    }
    s.push('.');
    let busiest = budgets
        .iter()
        .filter_map(|b| {
            let le = &cx.eval.layers[b.layer];
            let l = cx.layer(b.layer);
            (le.peak > 0.0).then(|| (le.peak / l.limit().max(1) as f64, b.layer))
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
                time::number_label(le.peak),
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

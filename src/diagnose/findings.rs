//! Findings: what the client did about its 429s, and what the capture itself lacks.
//!
//! Owns detecting retries sent before Retry-After elapsed, retry storms, retries that failed
//! again after the full wait, parallel bursts, 429s far slower than the endpoint's successes,
//! a preflight before nearly every request, sanitized exports and 429s without Retry-After.
//! Each message says what to change. Pure.

use std::collections::BTreeSet;

use crate::model::{Auth, Micros, time};
use crate::profiles::Kind;

use super::Throttle;
use super::context::{Ctx, is_traffic};
use super::prose::fmt_s;
use super::thresholds::{
    CHROMIUM_PREFLIGHT_CACHE_S, HELD_AT_LEAST, HELD_FACTOR, PARALLEL_BURST, PREFLIGHTS_NOTICED,
    RETRY_EARLY_SLACK, STORM_CHAIN,
};

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Likely to cause or prolong 429s.
    Warning,
    /// Makes 429s worse by itself.
    Error,
}

impl Severity {
    /// `info`, `warning` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    /// A retry of the same request before Retry-After elapsed.
    RetryAfterIgnored,
    /// Three or more early retries in a row.
    RetryStorm,
    /// A retry after the full Retry-After was throttled again.
    RetryFailedAfterWait,
    /// Three or more requests of one endpoint in flight together, some throttled.
    ParallelBurst,
    /// A 429 far slower than the endpoint's successes.
    Slow429,
    /// A CORS preflight before nearly every request.
    PreflightPerRequest,
    /// Credentials removed before export.
    SanitizedExport,
    /// 429s without Retry-After.
    NoRetryAfter,
    /// No profile was chosen although the headers are a vendor's with a built-in profile.
    VendorProfile,
    /// Tokens that name no user, counted as several users by the server's counters.
    UsersToldApart,
    /// The server states a documented layer's budget in other numbers than the documentation.
    BudgetRestated,
    /// The server's counters show a layer does not charge refused attempts, which its
    /// documentation does not say.
    RefusalsUncounted,
}

impl FindingKind {
    /// The name used in reports and `--fail-on`.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::RetryAfterIgnored => "retry-after-ignored",
            FindingKind::RetryStorm => "retry-storm",
            FindingKind::RetryFailedAfterWait => "retry-failed-after-wait",
            FindingKind::ParallelBurst => "parallel-burst",
            FindingKind::Slow429 => "slow-429",
            FindingKind::PreflightPerRequest => "preflight-per-request",
            FindingKind::SanitizedExport => "sanitized-export",
            FindingKind::NoRetryAfter => "no-retry-after",
            FindingKind::VendorProfile => "vendor-profile",
            FindingKind::UsersToldApart => "users-told-apart",
            FindingKind::BudgetRestated => "budget-restated",
            FindingKind::RefusalsUncounted => "refusals-uncounted",
        }
    }

    /// Every kind.
    pub fn all() -> [FindingKind; 12] {
        [
            FindingKind::RetryAfterIgnored,
            FindingKind::RetryStorm,
            FindingKind::RetryFailedAfterWait,
            FindingKind::ParallelBurst,
            FindingKind::Slow429,
            FindingKind::PreflightPerRequest,
            FindingKind::SanitizedExport,
            FindingKind::NoRetryAfter,
            FindingKind::VendorProfile,
            FindingKind::UsersToldApart,
            FindingKind::BudgetRestated,
            FindingKind::RefusalsUncounted,
        ]
    }

    /// Parses a kind name.
    pub fn parse(s: &str) -> Option<FindingKind> {
        FindingKind::all().into_iter().find(|k| k.as_str() == s)
    }
}

/// One observation.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// What it is about.
    pub kind: FindingKind,
    /// How serious.
    pub severity: Severity,
    /// Indices into `Capture::requests` it concerns.
    pub requests: Vec<u32>,
    /// What happened and what to change.
    pub message: String,
    /// What to change, on its own (for the verdict).
    pub advice: String,
}

impl Finding {
    fn new(
        kind: FindingKind,
        severity: Severity,
        requests: Vec<u32>,
        what: String,
        advice: String,
    ) -> Self {
        Finding {
            kind,
            severity,
            requests,
            message: format!("{what}: {advice}"),
            advice,
        }
    }
}

/// Finds everything worth reporting.
pub fn find(cx: &Ctx<'_>, throttles: &[Throttle]) -> Vec<Finding> {
    let mut out = Vec::new();
    retries(cx, &mut out);
    parallel_bursts(cx, &mut out);
    slow_429s(cx, &mut out);
    preflights(cx, &mut out);
    sanitized(cx, &mut out);
    no_retry_after(cx, throttles, &mut out);
    vendor_profile(cx, &mut out);
    users_told_apart(cx, &mut out);
    budgets_restated(cx, &mut out);
    refusals_uncounted(cx, &mut out);
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.kind.cmp(&b.kind)));
    out
}

fn retries(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let reqs = &cx.capture.requests;
    let mut early: Vec<(usize, usize, Micros, f64)> = Vec::new(); // (429, retry, waited, asked)
    let mut failed: Vec<(usize, usize, f64)> = Vec::new();
    for (i, r) in reqs.iter().enumerate() {
        if !r.is_throttle() {
            continue;
        }
        let Some(ra) = r.retry_after().map(|x| x.seconds) else {
            continue;
        };
        let Some(n) = cx.next_same_resource[i].map(|n| n as usize) else {
            continue;
        };
        let next = &reqs[n];
        if next.start < r.end() {
            continue; // sent before the 429 arrived: it could not know
        }
        let waited = next.start - r.end();
        if waited + RETRY_EARLY_SLACK < time::secs(ra) {
            early.push((i, n, waited, ra));
        } else if next.is_throttle() {
            failed.push((i, n, ra));
        }
    }
    if !early.is_empty() {
        let shortest = early
            .iter()
            .min_by_key(|e| e.2)
            .copied()
            .unwrap_or((0, 0, 0, 0.0));
        let requests: Vec<u32> = early
            .iter()
            .flat_map(|e| [e.0 as u32, e.1 as u32])
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        out.push(Finding::new(
            FindingKind::RetryAfterIgnored,
            Severity::Warning,
            requests,
            format!(
                "{} retries were sent before Retry-After elapsed (e.g. {} {} after a Retry-After of {} s)",
                early.len(),
                cx.endpoint(&reqs[shortest.1]),
                time::human_duration(shortest.2),
                fmt_s(shortest.3)
            ),
            "wait at least Retry-After before retrying, and hold the other requests to that endpoint too".into(),
        ));
        // storms: chains of early retries of one resource
        let early_from: BTreeSet<usize> = early.iter().map(|e| e.0).collect();
        let mut storms: Vec<Vec<usize>> = Vec::new();
        let mut seen = BTreeSet::new();
        for &(start, ..) in &early {
            if seen.contains(&start) {
                continue;
            }
            let mut chain = vec![start];
            let mut cur = start;
            while early_from.contains(&cur) {
                let Some(n) = cx.next_same_resource[cur].map(|n| n as usize) else {
                    break;
                };
                chain.push(n);
                seen.insert(cur);
                cur = n;
            }
            if chain.len() >= STORM_CHAIN {
                storms.push(chain);
            }
        }
        if !storms.is_empty() {
            let longest = storms
                .iter()
                .max_by_key(|c| c.len())
                .cloned()
                .unwrap_or_default();
            let span = reqs[*longest.last().unwrap_or(&0)].start - reqs[longest[0]].start;
            let requests: Vec<u32> = storms
                .iter()
                .flatten()
                .map(|&i| i as u32)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            out.push(Finding::new(
                FindingKind::RetryStorm,
                Severity::Error,
                requests,
                format!(
                    "{} retry storms: one request of {} was sent {} times within {}, each retry before Retry-After, which keeps the budget used up (where rejected calls count, it extends the lock-out)",
                    storms.len(),
                    cx.endpoint(&reqs[longest[0]]),
                    longest.len(),
                    time::human_duration(span)
                ),
                "back off exponentially with jitter and honour Retry-After".into(),
            ));
        }
    }
    if !failed.is_empty() {
        let requests: Vec<u32> = failed
            .iter()
            .flat_map(|e| [e.0 as u32, e.1 as u32])
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let (i, n, ra) = failed[0];
        out.push(Finding::new(
            FindingKind::RetryFailedAfterWait,
            Severity::Warning,
            requests,
            format!(
                "{} retries waited the full Retry-After and were throttled again (e.g. {} at {} after Retry-After {} s), so the budget was still in use, by traffic outside the capture or by a limit that Retry-After does not describe",
                failed.len(),
                cx.endpoint(&reqs[i]),
                cx.clock(reqs[n].start),
                fmt_s(ra)
            ),
            "find the other traffic (the API's usage report by client) before retrying harder".into(),
        ));
    }
}

fn parallel_bursts(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let reqs = &cx.capture.requests;
    // requests that started while ≥2 others of the same endpoint and user were in flight
    let mut hits: BTreeSet<u32> = BTreeSet::new();
    let mut throttled = 0usize;
    let mut example: Option<usize> = None;
    let mut peak = 0u32;
    for i in 0..reqs.len() {
        if cx.in_flight[i] < PARALLEL_BURST {
            continue;
        }
        let r = &reqs[i];
        // the group in flight with it
        let from = reqs.partition_point(|q| q.start < r.start - cx.max_duration);
        let group: Vec<usize> = (from..=i)
            .filter(|&j| {
                let q = &reqs[j];
                is_traffic(q)
                    && q.user == r.user
                    && q.method == r.method
                    && q.template == r.template
                    && q.start <= r.start
                    && q.end().max(q.start + 1) > r.start
            })
            .collect();
        if group.iter().any(|&j| reqs[j].is_throttle()) {
            if cx.in_flight[i] > peak {
                peak = cx.in_flight[i];
                example = Some(i);
            }
            for j in group {
                if hits.insert(j as u32) && reqs[j].is_throttle() {
                    throttled += 1;
                }
            }
        }
    }
    let Some(ex) = example else { return };
    let r = &reqs[ex];
    let endpoint = cx.endpoint(r);
    let throttled_one = hits
        .iter()
        .copied()
        .find(|&j| reqs[j as usize].is_throttle())
        .unwrap_or(ex as u32) as usize;
    // spacing from the tightest documented rate layer on this endpoint
    let spacing = cx
        .eval
        .layers
        .iter()
        .enumerate()
        .filter(|(_, le)| le.view(throttled_one).is_some())
        .map(|(k, _)| cx.layer(k))
        .filter(|l| l.kind() == Kind::Rate && l.is_filtered())
        .filter_map(|l| Some((l.limiter.spacing()?, l.budget_label())))
        .max_by_key(|(gap, _)| *gap);
    let advice = match spacing {
        Some((gap, budget)) => format!(
            "send {endpoint} one at a time and space them ≥ {} apart ({budget})",
            time::human_duration(gap)
        ),
        None => format!("send {endpoint} one at a time, or cap the client's concurrency"),
    };
    out.push(Finding::new(
        FindingKind::ParallelBurst,
        Severity::Warning,
        hits.into_iter().collect(),
        format!(
            "up to {peak} {endpoint} were in flight together and {throttled} of the overlapping requests got 429"
        ),
        advice,
    ));
}

fn slow_429s(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let reqs = &cx.capture.requests;
    let mut slow: Vec<(usize, Micros)> = Vec::new();
    for (i, r) in reqs.iter().enumerate() {
        if !r.is_throttle() {
            continue;
        }
        if let Some(typ) = cx.typical_duration(r)
            && r.duration >= HELD_AT_LEAST
            && r.duration >= HELD_FACTOR * typ.max(1)
        {
            slow.push((i, typ));
        }
    }
    let Some(&(worst, typ)) = slow.iter().max_by_key(|(i, _)| reqs[*i].duration) else {
        return;
    };
    out.push(Finding::new(
        FindingKind::Slow429,
        Severity::Info,
        slow.iter().map(|(i, _)| *i as u32).collect(),
        format!(
            "{} 429s took up to {} while {} usually succeeds in {}; the server held them before rejecting, which points to a back-end limit rather than the gateway's counter",
            slow.len(),
            time::human_duration(reqs[worst].duration),
            cx.endpoint(&reqs[worst]),
            time::human_duration(typ)
        ),
        "keep client time-outs longer than that, or these 429s turn into network errors".into(),
    ));
}

fn preflights(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let reqs = &cx.capture.requests;
    let pre: Vec<usize> = (0..reqs.len()).filter(|&i| reqs[i].is_preflight).collect();
    if pre.len() < PREFLIGHTS_NOTICED {
        return;
    }
    let hosts: BTreeSet<u32> = pre.iter().map(|&i| reqs[i].host).collect();
    let api = reqs
        .iter()
        .filter(|r| !r.is_preflight && hosts.contains(&r.host) && r.has_response())
        .count();
    if api == 0 || pre.len() * 2 < api {
        return;
    }
    let ages: BTreeSet<i64> = pre.iter().filter_map(|&i| reqs[i].max_age_s()).collect();
    let max_age = ages.iter().max().copied();
    let why = match max_age {
        None => "the API sends no Access-Control-Max-Age, so Chromium caches each preflight for only 5 s".to_string(),
        Some(a) if a <= CHROMIUM_PREFLIGHT_CACHE_S => format!("the API sends Access-Control-Max-Age: {a}, so preflights are hardly cached"),
        Some(a) => format!("Access-Control-Max-Age is {a} s, but preflights are repeated (different URLs, or headers that defeat the cache)"),
    };
    out.push(Finding::new(
        FindingKind::PreflightPerRequest,
        Severity::Info,
        pre.iter().map(|&i| i as u32).collect(),
        format!("{} CORS preflights for {api} requests; {why}", pre.len()),
        "cache preflights with Access-Control-Max-Age (e.g. 600) on the API's CORS responses; whether preflights count against a limit is undocumented, and the preflight what-if shows the peaks if they did".into(),
    ));
}

/// Responses in a vendor's dialect analyzed with inferred layers only: the vendor's built-in
/// profile knows the layers its headers do not announce.
fn vendor_profile(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if !cx.profiles.iter().all(|p| p.is_inferred()) {
        return;
    }
    // built-in profile → (dialect title, responses, their requests)
    let mut seen: Vec<(&'static str, &'static str, u32, Vec<u32>)> = Vec::new();
    for (i, r) in cx.capture.requests.iter().enumerate() {
        let mut named: Vec<(&'static str, &'static str)> = cx
            .capture
            .quotas_of(r)
            .iter()
            .filter_map(|q| {
                let d = crate::normalize::dialects::dialect(q.dialect);
                d.profile.map(|p| (p, d.title))
            })
            .collect();
        named.dedup();
        for (profile, title) in named {
            match seen.iter_mut().find(|s| s.0 == profile) {
                Some(s) => {
                    s.2 += 1;
                    s.3.push(i as u32);
                }
                None => seen.push((profile, title, 1, vec![i as u32])),
            }
        }
    }
    for (profile, title, n, requests) in seen {
        out.push(Finding::new(
            FindingKind::VendorProfile,
            Severity::Info,
            requests,
            format!(
                "{} carry {title} rate-limit headers, and only the layers those headers announce were checked",
                crate::model::words::count(n, "response", "responses")
            ),
            format!(
                "run again with `--profile {profile}` to check the layers {title} documents, including those its headers do not announce"
            ),
        ));
    }
}

fn sanitized(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let s = &cx.capture.sanitization;
    if s.authorization_stripped {
        out.push(Finding::new(
            FindingKind::SanitizedExport,
            Severity::Warning,
            Vec::new(),
            format!(
                "no request carries an Authorization header although {} preflights announce one; the capture was exported sanitized (Chrome's default since late 2024), so requests of different OAuth clients cannot be told apart and per-client layers count them as one client",
                s.preflights_announcing_auth
            ),
            "to group by client, export with sensitive data (DevTools Settings > Preferences > Network > \"Allow to generate HAR with sensitive data\", then \"Export HAR (with sensitive data)\") and share it only after `why429 sanitize`, which keeps the grouping with fingerprints".into(),
        ));
    } else if s.masked_requests > 0 {
        let masked: Vec<u32> = cx
            .capture
            .requests
            .iter()
            .enumerate()
            .filter(|(_, r)| r.auth == Auth::Masked)
            .map(|(i, _)| i as u32)
            .collect();
        out.push(Finding::new(
            FindingKind::SanitizedExport,
            Severity::Warning,
            masked,
            format!(
                "{} requests carry a masked credential (a sanitizer replaced the token), so their OAuth clients cannot be told apart",
                s.masked_requests
            ),
            "run why429 on the original capture, or share it through `why429 sanitize`, which keeps client grouping with fingerprints".into(),
        ));
    }
}

/// Tokens that name no user, which the server's counters showed to be several users: which
/// clients each user holds, and how the counters told them apart.
fn users_told_apart(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(t) = &cx.capture.users_told_apart else {
        return;
    };
    let mut clients_of: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); cx.capture.users.len()];
    for r in cx.capture.requests.iter().filter(|r| !r.is_preflight) {
        if let Some(c) = r.client.get() {
            clients_of[r.user as usize].insert(c);
        }
    }
    let groups: Vec<String> = t
        .users
        .iter()
        .map(|&u| {
            let clients = &clients_of[u as usize];
            let names: Vec<&str> = clients
                .iter()
                .map(|&c| cx.capture.clients[c as usize].label.as_str())
                .collect();
            format!(
                "{} ({})",
                cx.capture.users[u as usize].label,
                names.join(", ")
            )
        })
        .collect();
    out.push(Finding::new(
        FindingKind::UsersToldApart,
        Severity::Info,
        Vec::new(),
        format!(
            "tokens that name no user are, by {}'s counters, {} users: replayed as one user, the capture's requests outcount {} of the {} readings compared, and as separate users they do not; analysed as {}",
            t.layer,
            t.users.len(),
            t.contradicted,
            t.observed,
            groups.join(", ")
        ),
        "to check, compare the counter headers of each client's responses: each user's count rises on its own".into(),
    ));
}

/// Documented layers whose budget the server states otherwise (`evaluate::restate`): the
/// analysis replays them with the server's numbers.
fn budgets_restated(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for k in 0..cx.eval.layers.len() {
        let layer = cx.layer(k);
        let Some(r) = layer.restated else {
            continue;
        };
        let mut by = Vec::new();
        if r.by_body > 0 {
            by.push(format!(
                "{} throttle bod{}",
                r.by_body,
                if r.by_body == 1 { "y" } else { "ies" }
            ));
        }
        if r.by_counter > 0 {
            by.push(format!(
                "{} counter{}",
                r.by_counter,
                if r.by_counter == 1 { "" } else { "s" }
            ));
        }
        out.push(Finding::new(
            FindingKind::BudgetRestated,
            Severity::Warning,
            Vec::new(),
            format!(
                "the server states the budget of {} as {} ({}) where the documentation gives {}; the capture is replayed with the server's numbers, which its admitted requests never exceed by more than one (timing slack)",
                layer.name,
                layer.budget_label(),
                by.join(" and "),
                r.documented
            ),
            "pace to the server's budget, and ask the vendor which one is meant".into(),
        ));
    }
}

/// Layers whose documentation is silent on refused attempts and whose server counters show
/// they are not charged (`evaluate::refusals`).
fn refusals_uncounted(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for k in 0..cx.eval.layers.len() {
        let layer = cx.layer(k);
        let Some((below, observed)) = layer.refusals_read else {
            continue;
        };
        out.push(Finding::new(
            FindingKind::RefusalsUncounted,
            Severity::Info,
            Vec::new(),
            format!(
                "the server's counters show {} does not charge the capture's refused attempts: on {below} of {observed} successes where it matters, the count it reports is below the capture's own attempts in the window (traffic from elsewhere can only add to it); the analysis replays it that way",
                layer.name
            ),
            "a refused attempt does not fill this layer, but a retry is refused until the window frees room".into(),
        ));
    }
}

fn no_retry_after(cx: &Ctx<'_>, throttles: &[Throttle], out: &mut Vec<Finding>) {
    let without: Vec<u32> = throttles
        .iter()
        .filter(|t| t.retry_after_s.is_none())
        .map(|t| t.request)
        .collect();
    if without.is_empty() {
        return;
    }
    let r = &cx.capture.requests[without[0] as usize];
    out.push(Finding::new(
        FindingKind::NoRetryAfter,
        Severity::Info,
        without.clone(),
        format!(
            "{} of {} 429s carry no Retry-After (e.g. {} at {})",
            without.len(),
            throttles.len(),
            cx.endpoint(r),
            cx.clock(r.start)
        ),
        "the client must back off on its own, exponentially with jitter starting at about 1 s"
            .into(),
    ));
}

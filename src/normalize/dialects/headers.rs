//! Reading the rate-limit headers of one response into counters and signals, and writing
//! counters and signals back as headers that read to the same values (sanitized copies).
//!
//! Owns choosing which dialect a response speaks when several share header names (a vendor's
//! marker header or host wins over the generic family), the per-form readers (one header per
//! number, IETF generations, `used/limit`, key lists, shares) and `Exact`. Server-chosen names
//! (policies, buckets, resources, reasons) leave as raw text for the builder to intern as
//! `Sensitive`; partition keys (`pk`) are dropped. Pure: the response time is passed in.

use std::borrow::Cow;

use crate::model::{DialectId, Exact, Micros, Quota, Refill, ResetForm, ThrottleScope, Unit, time};

use super::values::{self, ResetAs, SfItem};
use super::{DIALECTS, Field, Form, Generation, Role, Slot, dialect, ids, markers_of, slots};

/// Longest server-chosen name kept (longer ones are cut at a character boundary).
const MAX_NAME: usize = 128;

/// What a response's headers said about rate limits.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeaderFacts {
    /// Counters, ordered by dialect and axis (then as the response listed them).
    pub quotas: Vec<Quota>,
    /// The server-chosen name of each counter, by position in `quotas`; shorter than
    /// `quotas` when the last counters have none.
    pub names: Vec<Option<String>>,
    /// A retry delay from a milliseconds header, in seconds.
    pub retry_ms: Option<f64>,
    /// Who the throttle applied to.
    pub scope: Option<ThrottleScope>,
    /// A reason header's dialect and text.
    pub reason: Option<(DialectId, String)>,
    /// A rate limiter of this dialect says it refused the request.
    pub refused_by: Option<DialectId>,
    /// The budget is nearly used up.
    pub near_limit: bool,
}

/// A kept name: trimmed, cut to `MAX_NAME` bytes.
fn name(v: &str) -> String {
    let v = v.trim();
    let mut end = v.len().min(MAX_NAME);
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    v[..end].to_string()
}

fn host_matches(host: &str, suffixes: &[&str]) -> bool {
    let host = host.split(':').next().unwrap_or(host);
    suffixes.iter().any(|s| {
        host.eq_ignore_ascii_case(s)
            || (host.len() > s.len()
                && host.as_bytes()[host.len() - s.len() - 1] == b'.'
                && host[host.len() - s.len()..].eq_ignore_ascii_case(s))
    })
}

/// A header of the response that the table knows.
struct Present<'a> {
    name: &'a str,
    value: &'a str,
    slots: &'static [Slot],
}

struct Reader<'a> {
    present: Vec<Present<'a>>,
    response_at: Micros,
}

impl<'a> Reader<'a> {
    fn get(&self, name: &str) -> Option<&'a str> {
        self.present
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value)
    }

    fn has(&self, name: &str) -> bool {
        self.present.iter().any(|p| p.name == name)
    }

    /// The first value of a counter's field.
    fn field(&self, d: DialectId, axis: u8, field: Field, alt: bool) -> Option<&'a str> {
        self.present.iter().find_map(|p| {
            p.slots
                .iter()
                .any(|s| {
                    *s == Slot::Counter {
                        dialect: d,
                        axis,
                        field,
                        alt,
                    }
                })
                .then_some(p.value)
        })
    }

    fn has_counter(&self, d: DialectId) -> bool {
        self.present.iter().any(|p| {
            p.slots
                .iter()
                .any(|s| matches!(s, Slot::Counter { dialect, .. } if *dialect == d))
        })
    }
}

/// A count, and whether the value was exactly that number.
fn count(v: Option<&str>) -> (Option<u64>, bool) {
    match v.and_then(values::leading_int) {
        Some(n) => (Some(n), values::is_written_as(v.unwrap_or(""), n)),
        None => (None, false),
    }
}

fn read_fields(r: &Reader<'_>, d: DialectId, a: u8) -> Option<Quota> {
    let axis = &dialect(d).axes[a as usize];
    let mut q = Quota {
        dialect: d,
        axis: a,
        unit: axis.unit,
        window: axis.window.into(),
        ..Quota::default()
    };
    let mut any = false;
    for (field, bit) in [
        (Field::Limit, Exact::LIMIT),
        (Field::Remaining, Exact::REMAINING),
        (Field::Used, Exact::USED),
    ] {
        let v = r.field(d, a, field, false);
        let (n, exact) = count(v);
        any |= n.is_some();
        match field {
            Field::Limit => q.limit = n.into(),
            Field::Remaining => q.remaining = n.into(),
            _ => q.used = n.into(),
        }
        if exact {
            q.exact.0 |= bit;
        }
    }
    if let Some(v) = r.field(d, a, Field::Reset, false) {
        if let Some((us, form)) = values::reset(v, axis.reset_as, r.response_at) {
            any = true;
            q.reset = us.into();
            q.reset_form = Some(form);
            if values::reset_is_plain(v, us, form) {
                q.exact.0 |= Exact::RESET;
            }
        }
    } else if let Some(v) = r.field(d, a, Field::Reset, true)
        && let Some((us, form)) = values::reset(v, ResetAs::Detect, r.response_at)
    {
        any = true;
        q.reset = us.into();
        q.reset_form = Some(form);
    }
    any.then_some(q)
}

/// `32/40` → (used 32, limit 40); a trailing `(appName=…)` is returned too.
fn used_of_limit(v: &str) -> Option<(u64, u64, Option<&str>)> {
    let (used, rest) = v.trim().split_once('/')?;
    let (limit, app) = match rest.split_once('(') {
        Some((l, app)) => (l, Some(app.trim_end_matches(')'))),
        None => (rest, None),
    };
    Some((values::int(used)?, values::int(limit)?, app))
}

fn read_special(r: &Reader<'_>, d: DialectId, a: u8) -> Option<(Quota, Option<String>)> {
    let axis = &dialect(d).axes[a as usize];
    let header = axis.limit?;
    let v = r
        .present
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(header))
        .map(|p| p.value)?;
    let mut q = Quota {
        dialect: d,
        axis: a,
        unit: axis.unit,
        window: axis.window.into(),
        ..Quota::default()
    };
    let mut policy = None;
    match axis.form {
        Form::UsedOfLimit => {
            let (used, limit, _) = used_of_limit(v)?;
            (q.used, q.limit) = (used.into(), limit.into());
        }
        Form::KeyedUsedOfLimit(key) => {
            let part = v.split(',').find_map(|p| {
                let (k, rest) = p.split_once('=')?;
                (k.trim() == key).then_some(rest)
            })?;
            let (used, limit, app) = used_of_limit(part)?;
            (q.used, q.limit) = (used.into(), limit.into());
            policy = app
                .and_then(|a| a.trim().strip_prefix("appName="))
                .map(name);
        }
        Form::TotalRemainingResets => {
            for part in v.split(';') {
                let Some((k, val)) = part.split_once('=') else {
                    continue;
                };
                match k.trim() {
                    "total" => q.limit = q.limit.get().or(values::int(val)).into(),
                    "remaining" => q.remaining = q.remaining.get().or(values::int(val)).into(),
                    "resets" if q.reset.is_none() => {
                        if let Some(s) = values::decimal(val) {
                            q.reset = Some(time::secs(s)).into();
                            q.reset_form = Some(ResetForm::DeltaSeconds);
                        }
                    }
                    _ => {}
                }
            }
            if q.limit.is_none() && q.remaining.is_none() && q.reset.is_none() {
                return None;
            }
        }
        Form::Share => q.set_used_share(Some(values::decimal(v)?).filter(|x| *x < 1e6)),
        _ => return None,
    }
    Some((q, policy))
}

/// The lower-case IETF field names without and with the `Beta-` prefix: `RateLimit`,
/// `-Policy`, `-Limit`, `-Remaining`, `-Reset`.
const IETF_NAMES: [[&str; 5]; 2] = [
    [
        "ratelimit",
        "ratelimit-policy",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
    ],
    [
        "beta-ratelimit",
        "beta-ratelimit-policy",
        "beta-ratelimit-limit",
        "beta-ratelimit-remaining",
        "beta-ratelimit-reset",
    ],
];

/// The IETF generation a response's fields (`names`) are written in.
fn generation(r: &Reader<'_>, names: &[&str; 5]) -> Option<Generation> {
    if let Some(v) = r.get(names[0]) {
        let dict = values::sf_list(v).iter().any(|m| {
            m.split_once('=').is_some_and(|(k, _)| {
                matches!(k.trim(), "limit" | "remaining" | "reset") && !k.contains(';')
            })
        });
        return Some(if dict {
            Generation::Dictionary
        } else {
            Generation::Named
        });
    }
    if let Some(v) = r.get(names[1]) {
        let named = values::sf_list(v).iter().any(|m| {
            let it = SfItem::parse(m);
            it.name().is_some() || it.param("q").is_some()
        });
        return Some(if named {
            Generation::Named
        } else {
            Generation::Policy
        });
    }
    names[2..]
        .iter()
        .any(|n| r.has(n))
        .then_some(Generation::List)
}

fn ietf_id(beta: bool, g: Generation) -> DialectId {
    let offset = match g {
        Generation::List => 0,
        Generation::Policy => 1,
        Generation::Dictionary => 2,
        Generation::Named => 3,
    };
    (if beta {
        ids::BETA_IETF_03
    } else {
        ids::IETF_03
    }) + offset
}

/// A policy announced with a window (`100;w=60`), or `None` without a usable quota.
fn window_policy(d: DialectId, member: &str) -> Option<Quota> {
    let it = SfItem::parse(member);
    let limit = values::int(it.item)?;
    Some(Quota {
        dialect: d,
        axis: 1,
        limit: limit.into(),
        window: it.param("w").and_then(window).into(),
        ..Quota::default()
    })
}

fn window(w: &str) -> Option<Micros> {
    values::decimal(w)
        .filter(|w| *w > 0.0 && *w < 1e10)
        .map(time::secs)
}

/// The current counter of `RateLimit-Limit` / `-Remaining` / `-Reset` (drafts -00 to -06 and
/// Envoy), with the policies a draft-03 limit list carries.
fn ietf_fields(
    r: &Reader<'_>,
    d: DialectId,
    names: [&str; 3],
    list: bool,
    out: &mut Vec<(Quota, Option<String>)>,
) {
    let mut q = Quota {
        dialect: d,
        ..Quota::default()
    };
    let mut any = false;
    let mut policies = Vec::new();
    if let Some(v) = r.get(names[0]) {
        let members = values::sf_list(v);
        // the expiring limit first: a list whose first member is not a number is not read
        if let Some(first) = members.first().and_then(|m| values::leading_int(m)) {
            any = true;
            q.limit = first.into();
            if values::is_written_as(v, first) {
                q.exact.0 |= Exact::LIMIT;
            }
            if list {
                policies.extend(members[1..].iter().filter_map(|m| window_policy(d, m)));
            }
        }
    }
    if let Some(v) = r.get(names[1]) {
        let (n, exact) = count(Some(v));
        any |= n.is_some();
        q.remaining = n.into();
        if exact {
            q.exact.0 |= Exact::REMAINING;
        }
    }
    if let Some(v) = r.get(names[2])
        && let Some((us, form)) = values::reset(v, ResetAs::Detect, r.response_at)
    {
        any = true;
        q.reset = us.into();
        q.reset_form = Some(form);
        if values::reset_is_plain(v, us, form) {
            q.exact.0 |= Exact::RESET;
        }
    }
    if any {
        out.push((q, None));
    }
    out.extend(policies.into_iter().map(|p| (p, None)));
}

fn unit(qu: Option<&str>) -> Unit {
    match qu {
        Some("content-bytes") => Unit::Bytes,
        Some("concurrent-requests") => Unit::Concurrent,
        _ => Unit::Requests,
    }
}

/// Unescapes a Structured-Field string's content (`\"` and `\\`).
fn sf_unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut esc = false;
    for c in s.chars() {
        if esc || c != '\\' {
            out.push(c);
            esc = false;
        } else {
            esc = true;
        }
    }
    Cow::Owned(out)
}

fn ietf(r: &Reader<'_>, out: &mut Vec<(Quota, Option<String>)>) {
    for (beta, names) in [(false, &IETF_NAMES[0]), (true, &IETF_NAMES[1])] {
        let Some(g) = generation(r, names) else {
            continue;
        };
        let d = ietf_id(beta, g);
        let (field, policy) = (names[0], names[1]);
        let three = [names[2], names[3], names[4]];
        match g {
            Generation::List | Generation::Policy => {
                ietf_fields(r, d, three, g == Generation::List, out);
                if g == Generation::Policy
                    && let Some(v) = r.get(policy)
                {
                    out.extend(
                        values::sf_list(v)
                            .iter()
                            .filter_map(|m| window_policy(d, m))
                            .map(|q| (q, None)),
                    );
                }
            }
            Generation::Dictionary => {
                let mut q = Quota {
                    dialect: d,
                    ..Quota::default()
                };
                let v = r.get(field).unwrap_or("");
                for m in values::sf_list(v) {
                    let Some((k, val)) = m.split_once('=') else {
                        continue;
                    };
                    match k.trim() {
                        "limit" => q.limit = q.limit.get().or(values::int(val)).into(),
                        "remaining" => q.remaining = q.remaining.get().or(values::int(val)).into(),
                        "reset" if q.reset.is_none() => {
                            if let Some(s) = values::decimal(val) {
                                q.reset = Some(time::secs(s)).into();
                                q.reset_form = Some(ResetForm::DeltaSeconds);
                            }
                        }
                        _ => {}
                    }
                }
                if q.limit.is_some() || q.remaining.is_some() || q.reset.is_some() {
                    out.push((q, None));
                }
                if let Some(v) = r.get(policy) {
                    out.extend(
                        values::sf_list(v)
                            .iter()
                            .filter_map(|m| window_policy(d, m))
                            .map(|q| (q, None)),
                    );
                }
            }
            Generation::Named => {
                let start = out.len();
                let mut matched: Vec<bool> = Vec::new();
                if let Some(v) = r.get(policy) {
                    for m in values::sf_list(v) {
                        let it = SfItem::parse(m);
                        let Some(q) = it.param("q").and_then(values::int) else {
                            continue;
                        };
                        let quota = Quota {
                            dialect: d,
                            unit: unit(it.param("qu")),
                            limit: q.into(),
                            window: it.param("w").and_then(window).into(),
                            ..Quota::default()
                        };
                        out.push((quota, it.name().map(|n| name(&sf_unescape(n)))));
                        matched.push(false);
                    }
                }
                if let Some(v) = r.get(field) {
                    for m in values::sf_list(v) {
                        let it = SfItem::parse(m);
                        let remaining = it.param("r").and_then(values::int);
                        let reset = it.param("t").and_then(values::decimal).map(time::secs);
                        if remaining.is_none() && reset.is_none() {
                            continue;
                        }
                        let n = it.name().map(|n| name(&sf_unescape(n)));
                        let slot = n.as_ref().and_then(|n| {
                            (0..matched.len()).find(|&i| {
                                !matched[i] && out[start + i].1.as_deref() == Some(n.as_str())
                            })
                        });
                        let q = match slot {
                            Some(i) => {
                                matched[i] = true;
                                &mut out[start + i].0
                            }
                            None => {
                                out.push((
                                    Quota {
                                        dialect: d,
                                        ..Quota::default()
                                    },
                                    n,
                                ));
                                &mut out.last_mut().expect("just pushed").0
                            }
                        };
                        q.remaining = remaining.into();
                        if let Some(us) = reset {
                            q.reset = us.into();
                            q.reset_form = Some(ResetForm::DeltaSeconds);
                        }
                    }
                }
            }
        }
    }
}

fn scope(role: Role, v: &str) -> Option<ThrottleScope> {
    let v = v.trim();
    match role {
        Role::Global => v
            .eq_ignore_ascii_case("true")
            .then_some(ThrottleScope::Global),
        _ => {
            let first = v.split('/').next().unwrap_or("").trim();
            Some(match first.to_ascii_lowercase().as_str() {
                "user" => ThrottleScope::User,
                "global" => ThrottleScope::Global,
                "shared" => ThrottleScope::Shared,
                "tenant" => ThrottleScope::Tenant,
                // Microsoft Graph: the limit of one application in one tenant
                "application" | "tenant_application" => ThrottleScope::Application,
                _ => return None,
            })
        }
    }
}

fn recognised(r: &Reader<'_>, d: DialectId, host: &str) -> bool {
    let dl = dialect(d);
    if markers_of(d).iter().any(|m| r.has(m)) || host_matches(host, dl.hosts) {
        return true;
    }
    // Envoy writes the draft-03 limit list under the `X-` prefix
    d == ids::ENVOY
        && r.get("x-ratelimit-limit").is_some_and(|v| {
            v.contains([',', ';'])
                && values::sf_list(v)
                    .first()
                    .is_some_and(|m| values::leading_int(m).is_some())
        })
}

/// Reads every rate-limit header of a response. `headers` yields (lower-case name, value).
pub fn read<'a>(
    headers: impl Iterator<Item = (&'a str, &'a str)>,
    host: &str,
    response_at: Micros,
) -> HeaderFacts {
    // the dialects whose headers are present, as a bit set: most responses have none
    let mut mask = 0u64;
    let mut present: Vec<Present<'a>> = Vec::new();
    for (name, value) in headers {
        let s = slots(name);
        if s.is_empty() {
            continue;
        }
        for slot in s {
            let (Slot::Counter { dialect, .. } | Slot::Other { dialect, .. }) = *slot;
            mask |= 1 << dialect;
        }
        present.push(Present {
            name,
            value,
            slots: s,
        });
    }
    let mut facts = HeaderFacts::default();
    if present.is_empty() {
        return facts;
    }
    let r = Reader {
        present,
        response_at,
    };
    let mut out: Vec<(Quota, Option<String>)> = Vec::new();
    let mut taken: Vec<&str> = Vec::new();
    let mut applied: Vec<DialectId> = Vec::new();
    for (d, dl) in DIALECTS.iter().enumerate() {
        if mask & (1 << d) == 0 {
            continue;
        }
        let d = d as DialectId;
        let grouped = dl.axes.iter().any(|a| {
            a.form == Form::Fields || (dl.shares.is_some() && matches!(a.form, Form::Ietf(_)))
        });
        if !grouped || !r.has_counter(d) {
            continue;
        }
        let group = dl.shares.unwrap_or(dl.name);
        if taken.contains(&group) || (dl.shares.is_some() && !recognised(&r, d, host)) {
            continue;
        }
        taken.push(group);
        applied.push(d);
        if d == ids::ENVOY {
            ietf_fields(
                &r,
                d,
                [
                    "x-ratelimit-limit",
                    "x-ratelimit-remaining",
                    "x-ratelimit-reset",
                ],
                true,
                &mut out,
            );
            continue;
        }
        for (a, axis) in dl.axes.iter().enumerate() {
            if axis.form == Form::Fields
                && let Some(q) = read_fields(&r, d, a as u8)
            {
                out.push((q, None));
            }
        }
    }
    for (d, dl) in DIALECTS.iter().enumerate() {
        if mask & (1 << d) == 0 {
            continue;
        }
        for (a, axis) in dl.axes.iter().enumerate() {
            if matches!(
                axis.form,
                Form::UsedOfLimit
                    | Form::KeyedUsedOfLimit(_)
                    | Form::TotalRemainingResets
                    | Form::Share
            ) && let Some(q) = read_special(&r, d as DialectId, a as u8)
            {
                out.push(q);
            }
        }
    }
    if mask & IETF_MASK != 0 {
        ietf(&r, &mut out);
    }
    // the other headers of each dialect
    let mut fill: Vec<(DialectId, u8, Option<f64>, Option<f64>)> = Vec::new();
    for p in &r.present {
        for s in p.slots {
            let Slot::Other { dialect: d, role } = *s else {
                continue;
            };
            let v = p.value;
            let quota = |out: &mut Vec<(Quota, Option<String>)>, a: u8| {
                applied
                    .contains(&d)
                    .then(|| out.iter().position(|(q, _)| q.dialect == d && q.axis == a))?
            };
            match role {
                Role::Policy => {
                    if let Some(i) = quota(&mut out, 0)
                        && out[i].1.is_none()
                    {
                        out[i].1 = Some(name(v));
                    }
                }
                Role::Scope | Role::Global => {
                    if facts.scope.is_none() {
                        facts.scope = scope(role, v);
                    }
                }
                Role::Reason => {
                    if facts.reason.is_none() && !v.trim().is_empty() {
                        facts.reason = Some((d, name(v)));
                    }
                }
                Role::NearLimit => facts.near_limit |= v.trim().eq_ignore_ascii_case("true"),
                Role::Refused => {
                    if v.trim().eq_ignore_ascii_case("true") {
                        facts.refused_by = facts.refused_by.or(Some(d));
                    }
                }
                Role::WindowMillis(a) => {
                    if let (Some(i), Some(ms)) = (quota(&mut out, a), values::decimal(v))
                        && out[i].0.window == dialect(d).axes[a as usize].window.into()
                        && ms > 0.0
                        && ms < 1e13
                    {
                        out[i].0.window = Some(time::secs(ms / 1000.0)).into();
                    }
                }
                Role::FillRate(a) | Role::FillInterval(a) => {
                    let entry = match fill.iter().position(|f| f.0 == d && f.1 == a) {
                        Some(i) => i,
                        None => {
                            fill.push((d, a, None, None));
                            fill.len() - 1
                        }
                    };
                    let x = values::decimal(v);
                    if matches!(role, Role::FillRate(_)) {
                        fill[entry].2 = fill[entry].2.or(x);
                    } else {
                        fill[entry].3 = fill[entry].3.or(x.filter(|s| *s > 0.0 && *s < 1e9));
                    }
                }
                Role::RetryMillis => {
                    if facts.retry_ms.is_none() {
                        facts.retry_ms = values::decimal(v).map(|ms| ms / 1000.0);
                    }
                }
                Role::Cost => {}
            }
        }
    }
    for (d, a, amount, every) in fill {
        if let (Some(amount), Some(every)) = (amount, every)
            && applied.contains(&d)
            && let Some((q, _)) = out.iter_mut().find(|(q, _)| q.dialect == d && q.axis == a)
        {
            q.set_refill(Some(Refill {
                amount,
                every: time::secs(every),
            }));
        }
    }
    out.sort_by_key(|(q, _)| (q.dialect, q.axis));
    // names only as far as the last one given (most counters have none)
    let named = out
        .iter()
        .rposition(|(_, n)| n.is_some())
        .map_or(0, |i| i + 1);
    facts.names = Vec::with_capacity(named);
    facts.quotas = Vec::with_capacity(out.len());
    for (i, (q, n)) in out.into_iter().enumerate() {
        facts.quotas.push(q);
        if i < named {
            facts.names.push(n);
        }
    }
    facts
}

/// The IETF dialects (with and without `Beta-`), as bits of the dialect set.
const IETF_MASK: u64 = (0b1111 << ids::IETF_03) | (0b1111 << ids::BETA_IETF_03);

// ---- writing -------------------------------------------------------------------------------

/// A count as written: the number itself when it was exact, else a form that reads to the
/// same number without being it (a leading zero).
fn write_count(n: u64, exact: bool) -> String {
    if exact {
        n.to_string()
    } else {
        format!("0{n}")
    }
}

/// Delta-seconds that read back to `us` without being the plain number (`30.0`).
fn inexact_seconds(us: Micros) -> String {
    let s = values::num(time::as_secs(us));
    if s.contains('.') {
        format!("{s}0")
    } else {
        format!("{s}.0")
    }
}

fn natural(how: ResetAs, form: ResetForm) -> bool {
    match how {
        ResetAs::Seconds => form == ResetForm::DeltaSeconds,
        ResetAs::Millis => form == ResetForm::DeltaMillis,
        ResetAs::Duration => form == ResetForm::Duration,
        ResetAs::Detect => !matches!(form, ResetForm::DeltaMillis | ResetForm::Duration),
    }
}

fn sf_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn unit_param(u: Unit) -> Option<&'static str> {
    match u {
        Unit::Bytes => Some("content-bytes"),
        Unit::Concurrent => Some("concurrent-requests"),
        _ => None,
    }
}

/// What to write back for one response.
pub struct Signals<'a> {
    /// Its counters.
    pub quotas: &'a [Quota],
    /// The name of each counter's policy (`Quota::policy` resolved, or a stand-in).
    pub names: &'a [Option<String>],
    /// A retry delay from a milliseconds header, in seconds.
    pub retry_ms: Option<f64>,
    /// Who the throttle applied to.
    pub scope: Option<ThrottleScope>,
    /// A reason header's dialect and text.
    pub reason: Option<(DialectId, &'a str)>,
    /// Which limiter said it refused.
    pub refused_by: Option<DialectId>,
    /// Nearly used up.
    pub near_limit: bool,
}

fn other_header(d: DialectId, pick: impl Fn(Role) -> bool) -> Option<&'static str> {
    dialect(d)
        .other
        .iter()
        .find(|(r, _)| pick(*r))
        .map(|(_, n)| *n)
}

/// Headers that read back (with `read`, on the same host and response time) to the same
/// facts. Values are rebuilt from the numbers and names given; no other text is written.
pub fn write(s: &Signals<'_>, host: &str, response_at: Micros) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let push = |out: &mut Vec<(&'static str, String)>, name: &'static str, v: String| {
        match out.iter_mut().find(|(n, _)| *n == name) {
            // several counters in one header (policy lists, Salesforce)
            Some((_, existing)) => {
                existing.push_str(", ");
                existing.push_str(&v);
            }
            None => out.push((name, v)),
        }
    };
    let mut dialects: Vec<DialectId> = s.quotas.iter().map(|q| q.dialect).collect();
    dialects.dedup();
    for (i, q) in s.quotas.iter().enumerate() {
        let dl = dialect(q.dialect);
        let Some(axis) = dl.axes.get(q.axis as usize) else {
            continue;
        };
        let policy = s.names.get(i).cloned().flatten();
        match axis.form {
            Form::Fields => {
                for (header, n, bit) in [
                    (axis.limit, q.limit.get(), Exact::LIMIT),
                    (axis.remaining, q.remaining.get(), Exact::REMAINING),
                    (axis.used, q.used.get(), Exact::USED),
                ] {
                    if let (Some(h), Some(n)) = (header, n) {
                        push(&mut out, h, write_count(n, q.exact.has(bit)));
                    }
                }
                if let (Some(us), Some(form)) = (q.reset.get(), q.reset_form) {
                    if natural(axis.reset_as, form)
                        && let Some(h) = axis.reset
                    {
                        let v = if form == ResetForm::DeltaSeconds && !q.exact.has(Exact::RESET) {
                            inexact_seconds(us)
                        } else {
                            values::write_reset(us, form, response_at)
                        };
                        push(&mut out, h, v);
                    } else if let Some(h) = axis.reset_alt
                        && natural(ResetAs::Detect, form)
                    {
                        let v = if form == ResetForm::DeltaSeconds {
                            inexact_seconds(us)
                        } else {
                            values::write_reset(us, form, response_at)
                        };
                        push(&mut out, h, v);
                    }
                }
                if q.axis == 0
                    && let (Some(p), Some(h)) =
                        (&policy, other_header(q.dialect, |r| r == Role::Policy))
                {
                    push(&mut out, h, p.clone());
                }
                if let Some(w) = q.window.get()
                    && Some(w) != axis.window
                    && let Some(h) = other_header(q.dialect, |r| r == Role::WindowMillis(q.axis))
                {
                    push(&mut out, h, values::num(w as f64 / 1000.0));
                }
                if let Some(f) = q.refill() {
                    if let Some(h) = other_header(q.dialect, |r| r == Role::FillRate(q.axis)) {
                        push(&mut out, h, values::num(f.amount));
                    }
                    if let Some(h) = other_header(q.dialect, |r| r == Role::FillInterval(q.axis)) {
                        push(&mut out, h, values::num(time::as_secs(f.every)));
                    }
                }
            }
            Form::UsedOfLimit => {
                if let (Some(h), Some(u), Some(l)) = (axis.limit, q.used.get(), q.limit.get()) {
                    push(&mut out, h, format!("{u}/{l}"));
                }
            }
            Form::KeyedUsedOfLimit(key) => {
                if let (Some(h), Some(u), Some(l)) = (axis.limit, q.used.get(), q.limit.get()) {
                    let app = policy.map(|p| format!("(appName={p})")).unwrap_or_default();
                    push(&mut out, h, format!("{key}={u}/{l}{app}"));
                }
            }
            Form::TotalRemainingResets => {
                let mut parts = Vec::new();
                if let Some(l) = q.limit.get() {
                    parts.push(format!("total={l}"));
                }
                if let Some(r) = q.remaining.get() {
                    parts.push(format!("remaining={r}"));
                }
                if let Some(us) = q.reset.get() {
                    parts.push(format!("resets={}", values::num(time::as_secs(us))));
                }
                if let Some(h) = axis.limit {
                    push(&mut out, h, parts.join("; "));
                }
            }
            Form::Share => {
                if let (Some(h), Some(x)) = (axis.limit, q.used_share()) {
                    push(&mut out, h, values::num(x));
                }
            }
            Form::Ietf(g) => write_ietf(&mut out, q, policy.as_deref(), g, axis, response_at),
            Form::Body => {}
        }
    }
    if let Some(x) = s.retry_ms {
        let ms = x * 1000.0;
        let v = if ms.round() / 1000.0 == x {
            values::num(ms.round())
        } else {
            values::num(ms)
        };
        out.push(("retry-after-ms", v));
    }
    match s.scope {
        Some(ThrottleScope::User) => out.push(("X-RateLimit-Scope", "user".into())),
        Some(ThrottleScope::Global) => out.push(("X-RateLimit-Scope", "global".into())),
        Some(ThrottleScope::Shared) => out.push(("X-RateLimit-Scope", "shared".into())),
        Some(ThrottleScope::Tenant) => out.push(("x-ms-throttle-scope", "Tenant".into())),
        Some(ThrottleScope::Application) => out.push(("x-ms-throttle-scope", "Application".into())),
        None => {}
    }
    if let Some((d, text)) = s.reason
        && let Some(h) = other_header(d, |r| r == Role::Reason)
    {
        out.push((h, text.to_string()));
    }
    if let Some(d) = s.refused_by
        && let Some(h) = other_header(d, |r| r == Role::Refused)
    {
        out.push((h, "true".into()));
    }
    if s.near_limit {
        out.push(("X-RateLimit-NearLimit", "true".into()));
    }
    // a vendor that shares a family's counters must still be recognisable
    for d in dialects {
        let dl = dialect(d);
        if dl.shares.is_none() || host_matches(host, dl.hosts) {
            continue;
        }
        let marked = out
            .iter()
            .any(|(n, _)| markers_of(d).contains(&n.to_ascii_lowercase()));
        let list_form = d == ids::ENVOY
            && out
                .iter()
                .any(|(n, v)| *n == "X-RateLimit-Limit" && v.contains([',', ';']));
        if !marked
            && !list_form
            && let Some(m) = harmless_marker(d)
        {
            // a marker whose value says nothing (`false`)
            out.push((m, "false".into()));
        }
    }
    // the header that tells an IETF generation from the others, when no counter wrote it
    for q in s.quotas {
        let dl = dialect(q.dialect);
        let (Some(Form::Ietf(g)), Some(a0), Some(a1)) = (
            dl.axes.first().map(|a| a.form),
            dl.axes.first(),
            dl.axes.get(1),
        ) else {
            continue;
        };
        let needed = match g {
            Generation::Policy => a1.limit.map(|h| (h, "?")),
            Generation::Dictionary => a0.limit.map(|h| (h, "limit=?")),
            _ => None,
        };
        if let Some((h, v)) = needed
            && q.dialect != ids::ENVOY
            && !out.iter().any(|(n, _)| *n == h)
        {
            out.push((h, v.into()));
        }
    }
    out
}

/// A marker of `d` that can be written as `false` without saying anything else.
fn harmless_marker(d: DialectId) -> Option<&'static str> {
    dialect(d).markers.iter().copied().find(|m| {
        let s = slots(m);
        !s.is_empty()
            && s.iter().all(|slot| match *slot {
                Slot::Other { role, .. } => matches!(
                    role,
                    Role::NearLimit
                        | Role::Global
                        | Role::Refused
                        | Role::Scope
                        | Role::FillRate(_)
                        | Role::FillInterval(_)
                ),
                Slot::Counter { field, alt, .. } => field == Field::Limit && !alt,
            })
    })
}

fn write_ietf(
    out: &mut Vec<(&'static str, String)>,
    q: &Quota,
    name: Option<&str>,
    g: Generation,
    axis: &super::Axis,
    response_at: Micros,
) {
    let mut push = |name: &'static str, v: String| match out.iter_mut().find(|(n, _)| *n == name) {
        Some((_, existing)) => {
            existing.push_str(", ");
            existing.push_str(&v);
        }
        None => out.push((name, v)),
    };
    let w = |q: &Quota| {
        q.window
            .get()
            .map(|w| format!(";w={}", values::num(time::as_secs(w))))
            .unwrap_or_default()
    };
    match (g, q.axis) {
        (Generation::List | Generation::Policy, 0) => {
            if let (Some(h), Some(l)) = (axis.limit, q.limit.get()) {
                // a draft-03 list is never the number alone
                let v = write_count(l, q.exact.has(Exact::LIMIT));
                push(h, v);
            }
            if let (Some(h), Some(n)) = (axis.remaining, q.remaining.get()) {
                push(h, write_count(n, q.exact.has(Exact::REMAINING)));
            }
            if let (Some(h), Some(us), Some(form)) = (axis.reset, q.reset.get(), q.reset_form) {
                let v = if form == ResetForm::DeltaSeconds && !q.exact.has(Exact::RESET) {
                    inexact_seconds(us)
                } else {
                    values::write_reset(us, form, response_at)
                };
                push(h, v);
            }
        }
        (Generation::Dictionary, 0) => {
            let mut parts = Vec::new();
            if let Some(l) = q.limit.get() {
                parts.push(format!("limit={l}"));
            }
            if let Some(r) = q.remaining.get() {
                parts.push(format!("remaining={r}"));
            }
            if let Some(us) = q.reset.get() {
                parts.push(format!("reset={}", values::num(time::as_secs(us))));
            }
            if let Some(h) = axis.remaining {
                push(h, parts.join(", "));
            }
        }
        (Generation::List | Generation::Policy | Generation::Dictionary, _) => {
            if let (Some(h), Some(l)) = (axis.limit, q.limit.get()) {
                push(h, format!("{l}{}", w(q)));
            }
        }
        (Generation::Named, _) => {
            let item = name.map(sf_string).unwrap_or_else(|| "0".into());
            if let (Some(h), Some(l)) = (axis.limit, q.limit.get()) {
                let qu = unit_param(q.unit)
                    .map(|u| format!(";qu=\"{u}\""))
                    .unwrap_or_default();
                push(h, format!("{item};q={l}{qu}{}", w(q)));
            }
            if q.remaining.is_some() || q.reset.is_some() {
                let mut v = item;
                if let Some(r) = q.remaining.get() {
                    v.push_str(&format!(";r={r}"));
                }
                if let Some(us) = q.reset.get() {
                    v.push_str(&format!(";t={}", values::num(time::as_secs(us))));
                }
                if let Some(h) = axis.remaining {
                    push(h, v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::SECOND;
    use crate::normalize::dialects::id;

    const NOW: Micros = 1_700_000_000 * SECOND;

    fn lower(h: &[(&str, &str)]) -> Vec<(String, String)> {
        h.iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
            .collect()
    }

    fn facts(h: &[(&str, &str)], host: &str) -> HeaderFacts {
        let h = lower(h);
        read(h.iter().map(|(n, v)| (n.as_str(), v.as_str())), host, NOW)
    }

    /// Reads, writes back, reads again: the same facts.
    fn round_trip(h: &[(&str, &str)], host: &str) -> HeaderFacts {
        let f = facts(h, host);
        let written = write(
            &Signals {
                quotas: &f.quotas,
                names: &f.names,
                retry_ms: f.retry_ms,
                scope: f.scope,
                reason: f.reason.as_ref().map(|(d, t)| (*d, t.as_str())),
                refused_by: f.refused_by,
                near_limit: f.near_limit,
            },
            host,
            NOW,
        );
        let again = facts(
            &written
                .iter()
                .map(|(n, v)| (*n, v.as_str()))
                .collect::<Vec<_>>(),
            host,
        );
        assert_eq!(again, f, "written as {written:?}");
        f
    }

    fn one(f: &HeaderFacts, dialect: &str) -> Quota {
        let d = id(dialect);
        let q: Vec<&Quota> = f.quotas.iter().filter(|q| q.dialect == d).collect();
        assert_eq!(q.len(), 1, "{f:?}");
        q[0].clone()
    }

    #[test]
    fn genesys() {
        // the Platform API SDK README's extended-response example
        let f = round_trip(
            &[
                ("inin-ratelimit-count", "3"),
                ("inin-ratelimit-allowed", "180"),
                ("inin-ratelimit-reset", "3"),
            ],
            "api.mypurecloud.com",
        );
        let q = one(&f, "genesys");
        assert_eq!(
            (q.used.get(), q.limit.get(), q.reset.get()),
            (Some(3), Some(180), Some(3 * SECOND))
        );
        assert_eq!(q.exact, Exact(Exact::USED | Exact::LIMIT | Exact::RESET));
    }

    #[test]
    fn x_ratelimit_resets_in_every_form() {
        for (reset, form, us) in [
            ("30", ResetForm::DeltaSeconds, 30 * SECOND),
            ("1700000060", ResetForm::EpochSeconds, 60 * SECOND),
            ("1700000060000", ResetForm::EpochMillis, 60 * SECOND),
            (
                "Tue, 14 Nov 2023 22:14:20 GMT",
                ResetForm::HttpDate,
                60 * SECOND,
            ),
            ("2023-11-14T22:14:20Z", ResetForm::Iso8601, 60 * SECOND),
        ] {
            let f = round_trip(
                &[
                    ("X-RateLimit-Limit", "100"),
                    ("X-RateLimit-Remaining", "0"),
                    ("X-RateLimit-Reset", reset),
                ],
                "api.example.com",
            );
            let q = one(&f, "x-ratelimit");
            assert_eq!(
                (q.reset.get(), q.reset_form),
                (Some(us), Some(form)),
                "{reset}"
            );
            assert_eq!(q.exact.has(Exact::RESET), form == ResetForm::DeltaSeconds);
        }
        // Kong: per-unit suffixes with the windows they name
        // (https://docs.konghq.com/hub/kong-inc/rate-limiting/#headers-sent-to-the-client)
        let f = round_trip(
            &[
                ("X-RateLimit-Limit-Minute", "5"),
                ("X-RateLimit-Remaining-Minute", "4"),
                ("X-RateLimit-Limit-Hour", "100"),
                ("X-RateLimit-Remaining-Hour", "99"),
                ("X-RateLimit-Limit-24hour", "1000"),
                ("X-RateLimit-Remaining-24hour", "999"),
            ],
            "kong.example.com",
        );
        let windows: Vec<(Option<u64>, Option<Micros>)> = f
            .quotas
            .iter()
            .map(|q| (q.limit.get(), q.window.get()))
            .collect();
        assert_eq!(
            windows,
            vec![
                (Some(5), Some(60 * SECOND)),
                (Some(100), Some(3600 * SECOND)),
                (Some(1000), Some(86_400 * SECOND))
            ]
        );
        // `X-Rate-Limit-*`: Okta (https://developer.okta.com/docs/reference/rl-best-practices/)
        // and X (https://docs.x.com/x-api/fundamentals/rate-limits), epoch-second resets
        let f = round_trip(
            &[
                ("X-Rate-Limit-Limit", "600"),
                ("X-Rate-Limit-Remaining", "599"),
                ("X-Rate-Limit-Reset", "1700000060"),
            ],
            "dev-123.okta.com",
        );
        assert_eq!(one(&f, "okta").reset, Some(60 * SECOND).into());
        let f = facts(
            &[
                ("x-rate-limit-limit", "900"),
                ("x-rate-limit-remaining", "899"),
            ],
            "api.x.com",
        );
        assert_eq!(one(&f, "x").limit, Some(900).into());
        let f = facts(&[("X-Rate-Limit-Limit", "10")], "api.example.com");
        assert_eq!(one(&f, "x-rate-limit").limit, Some(10).into());
    }

    #[test]
    fn vendors_sharing_x_ratelimit() {
        // GitHub: x-ratelimit-resource names the bucket
        // (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api)
        let f = round_trip(
            &[
                ("x-ratelimit-limit", "5000"),
                ("x-ratelimit-remaining", "4999"),
                ("x-ratelimit-used", "1"),
                ("x-ratelimit-reset", "1700003600"),
                ("x-ratelimit-resource", "core"),
            ],
            "api.github.com",
        );
        let q = one(&f, "github");
        assert_eq!(
            (q.used.get(), q.reset.get()),
            (Some(1), Some(3600 * SECOND))
        );
        assert_eq!(f.names, vec![Some("core".to_string())]);
        // Discord: reset-after with decimals wins over the epoch reset; bucket, scope
        // (https://discord.com/developers/docs/topics/rate-limits#header-format)
        let f = round_trip(
            &[
                ("X-RateLimit-Limit", "5"),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", "1700000001.250"),
                ("X-RateLimit-Reset-After", "1.25"),
                ("X-RateLimit-Bucket", "abcd1234"),
                ("X-RateLimit-Scope", "shared"),
            ],
            "discord.com",
        );
        let q = one(&f, "discord");
        assert_eq!(
            (q.reset.get(), q.reset_form),
            (Some(1_250_000), Some(ResetForm::DeltaSeconds))
        );
        assert!(q.exact.has(Exact::RESET));
        assert_eq!(
            (f.scope, f.names[0].as_deref()),
            (Some(ThrottleScope::Shared), Some("abcd1234"))
        );
        let f = round_trip(
            &[
                ("X-RateLimit-Limit", "5"),
                ("X-RateLimit-Reset", "1700000001.5"),
            ],
            "discord.com",
        );
        assert_eq!(one(&f, "discord").reset_form, Some(ResetForm::EpochSeconds));
        // Jira Cloud: ISO 8601 reset, near-limit flag, reason
        // (https://developer.atlassian.com/cloud/jira/platform/rate-limiting/)
        let f = round_trip(
            &[
                ("X-RateLimit-Limit", "350"),
                ("X-RateLimit-Remaining", "40"),
                ("X-RateLimit-Reset", "2023-11-14T22:14:20Z"),
                ("X-RateLimit-NearLimit", "true"),
                ("RateLimit-Reason", "jira-burst-based"),
            ],
            "acme.atlassian.net",
        );
        assert_eq!(one(&f, "jira").reset_form, Some(ResetForm::Iso8601));
        assert!(f.near_limit);
        assert_eq!(f.reason, Some((id("jira"), "jira-burst-based".to_string())));
        // Atlassian Data Center: a token bucket
        // (https://confluence.atlassian.com/conf87/_ratelimiting_httpheaders-1333822054.html)
        let f = round_trip(
            &[
                ("X-RateLimit-Limit", "20"),
                ("X-RateLimit-Remaining", "19"),
                ("X-RateLimit-FillRate", "5"),
                ("X-RateLimit-Interval-Seconds", "1"),
            ],
            "jira.example.com",
        );
        assert_eq!(
            one(&f, "atlassian-dc").refill(),
            Some(Refill {
                amount: 5.0,
                every: SECOND
            })
        );
        // Envoy: draft-03 under the X- prefix (`enable_x_ratelimit_headers: DRAFT_VERSION_03`,
        // https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/ratelimit/v3/rate_limit.proto)
        let f = round_trip(
            &[
                ("x-ratelimit-limit", "10, 10;w=60"),
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "42"),
                ("x-envoy-ratelimited", "true"),
            ],
            "gw.example.com",
        );
        let envoy: Vec<(Option<u64>, Option<Micros>, bool)> = f
            .quotas
            .iter()
            .map(|q| (q.limit.get(), q.window.get(), q.exact.has(Exact::LIMIT)))
            .collect();
        assert_eq!(
            envoy,
            vec![
                (Some(10), None, false),
                (Some(10), Some(60 * SECOND), false)
            ]
        );
        assert_eq!(f.refused_by, Some(id("envoy")));
        // the generic family without a marker
        let f = facts(&[("X-RateLimit-Limit", "100, 100;w=60")], "api.example.com");
        assert_eq!(
            f.quotas[0].dialect,
            id("envoy"),
            "a list is Envoy's draft-03"
        );
    }

    #[test]
    fn ietf_generations() {
        // https://datatracker.ietf.org/doc/html/draft-ietf-httpapi-ratelimit-headers-03 and
        // later drafts (https://github.com/ietf-wg-httpapi/ratelimit-headers)
        // -03: the limit list
        let f = round_trip(
            &[
                ("RateLimit-Limit", "10, 10;w=1, 50;w=60"),
                ("RateLimit-Remaining", "9"),
                ("RateLimit-Reset", "1"),
            ],
            "h",
        );
        assert!(f.quotas.iter().all(|q| q.dialect == id("ietf-03")));
        let got: Vec<(u8, Option<u64>, Option<Micros>, bool)> = f
            .quotas
            .iter()
            .map(|q| {
                (
                    q.axis,
                    q.limit.get(),
                    q.window.get(),
                    q.exact.has(Exact::LIMIT),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (0, Some(10), None, false),
                (1, Some(10), Some(SECOND), false),
                (1, Some(50), Some(60 * SECOND), false)
            ]
        );
        // -06: RateLimit-Policy beside plain fields
        let f = round_trip(
            &[
                ("RateLimit-Limit", "10"),
                ("RateLimit-Remaining", "9"),
                ("RateLimit-Reset", "1"),
                ("RateLimit-Policy", "10;w=1, 50;w=60"),
            ],
            "h",
        );
        assert!(f.quotas.iter().all(|q| q.dialect == id("ietf-06")));
        assert!(f.quotas[0].exact.has(Exact::LIMIT));
        let f = round_trip(
            &[
                ("RateLimit-Limit", "10"),
                ("RateLimit-Policy", "nonsense;;"),
            ],
            "h",
        );
        assert!(f.quotas.iter().all(|q| q.dialect == id("ietf-06")), "{f:?}");
        // -07: one dictionary field
        let f = round_trip(
            &[
                ("RateLimit", "limit=100, remaining=50, reset=5"),
                ("RateLimit-Policy", "100;w=10"),
            ],
            "h",
        );
        let q = &f.quotas[0];
        assert_eq!(
            (
                q.dialect,
                q.limit.get(),
                q.remaining.get(),
                q.reset.get(),
                q.exact
            ),
            (
                id("ietf-07"),
                Some(100),
                Some(50),
                Some(5 * SECOND),
                Exact(0)
            )
        );
        assert_eq!(f.quotas[1].window, Some(10 * SECOND).into());
        // -08 and later: named policies, units, partition keys dropped
        let f = round_trip(
            &[
                (
                    "RateLimit-Policy",
                    "\"burst\";q=100;w=60;pk=:cHJvamVjdC0xMjM=:, \"bytes\";q=1000000;qu=\"content-bytes\";w=3600",
                ),
                ("RateLimit", "\"burst\";r=50;t=30;pk=:cHJvamVjdC0xMjM=:"),
            ],
            "h",
        );
        type Row = (Option<u64>, Option<u64>, Option<Micros>, Unit);
        let got: Vec<Row> = f
            .quotas
            .iter()
            .map(|q| (q.limit.get(), q.remaining.get(), q.window.get(), q.unit))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some(100), Some(50), Some(60 * SECOND), Unit::Requests),
                (Some(1_000_000), None, Some(3600 * SECOND), Unit::Bytes)
            ]
        );
        assert_eq!(f.names, vec![Some("burst".into()), Some("bytes".into())]);
        // Jira sends the newest generation under a Beta- prefix
        let f = round_trip(
            &[
                (
                    "Beta-RateLimit-Policy",
                    "\"global-app-quota\";q=65000;w=3600",
                ),
                ("Beta-RateLimit", "\"global-app-quota\";r=64000;t=1800"),
            ],
            "acme.atlassian.net",
        );
        assert_eq!(one(&f, "beta-ietf-08").remaining, Some(64_000).into());
    }

    #[test]
    fn vendor_headers_of_their_own() {
        // OpenAI: requests and tokens, Go-duration resets
        // (https://platform.openai.com/docs/guides/rate-limits#rate-limits-in-headers)
        let f = round_trip(
            &[
                ("x-ratelimit-limit-requests", "60"),
                ("x-ratelimit-limit-tokens", "150000"),
                ("x-ratelimit-remaining-requests", "59"),
                ("x-ratelimit-remaining-tokens", "149984"),
                ("x-ratelimit-reset-requests", "1s"),
                ("x-ratelimit-reset-tokens", "6m0s"),
                ("retry-after-ms", "1500"),
            ],
            "api.openai.com",
        );
        let got: Vec<(Unit, Option<u64>, Option<Micros>)> = f
            .quotas
            .iter()
            .map(|q| (q.unit, q.limit.get(), q.reset.get()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Unit::Requests, Some(60), Some(SECOND)),
                (Unit::Tokens, Some(150_000), Some(360 * SECOND))
            ]
        );
        assert_eq!(f.retry_ms, Some(1.5));
        // Anthropic: RFC 3339 resets (https://docs.anthropic.com/en/api/rate-limits)
        let f = round_trip(
            &[
                ("anthropic-ratelimit-requests-limit", "50"),
                ("anthropic-ratelimit-requests-remaining", "49"),
                ("anthropic-ratelimit-requests-reset", "2023-11-14T22:14:20Z"),
                ("anthropic-ratelimit-output-tokens-limit", "8000"),
            ],
            "api.anthropic.com",
        );
        assert_eq!(f.quotas[0].reset, Some(60 * SECOND).into());
        assert_eq!(f.quotas[1].unit, Unit::Tokens);
        // HubSpot: the interval header gives the window
        // (https://developers.hubspot.com/docs/api/usage-details)
        let f = round_trip(
            &[
                ("X-HubSpot-RateLimit-Daily", "250000"),
                ("X-HubSpot-RateLimit-Daily-Remaining", "249999"),
                ("X-HubSpot-RateLimit-Interval-Milliseconds", "10000"),
                ("X-HubSpot-RateLimit-Max", "100"),
                ("X-HubSpot-RateLimit-Remaining", "99"),
                ("X-HubSpot-RateLimit-Secondly", "10"),
                ("X-HubSpot-RateLimit-Secondly-Remaining", "9"),
            ],
            "api.hubapi.com",
        );
        let got: Vec<(Option<u64>, Option<Micros>)> = f
            .quotas
            .iter()
            .map(|q| (q.limit.get(), q.window.get()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some(100), Some(10 * SECOND)),
                (Some(10), Some(SECOND)),
                (Some(250_000), Some(86_400 * SECOND))
            ]
        );
        // Shopify REST (https://shopify.dev/docs/api/admin-rest/usage/rate-limits), Salesforce
        // (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm),
        // Zendesk (https://developer.zendesk.com/api-reference/introduction/rate-limits/)
        let f = round_trip(
            &[("X-Shopify-Shop-Api-Call-Limit", "32/40")],
            "x.myshopify.com",
        );
        let q = one(&f, "shopify-rest");
        assert_eq!(
            (q.used.get(), q.limit.get(), q.exact),
            (Some(32), Some(40), Exact(0))
        );
        let f = round_trip(
            &[(
                "Sforce-Limit-Info",
                "api-usage=18/5000, per-app-api-usage=17/250(appName=sample-app)",
            )],
            "acme.my.salesforce.com",
        );
        let got: Vec<(Option<u64>, Option<u64>, Option<Micros>)> = f
            .quotas
            .iter()
            .map(|q| (q.used.get(), q.limit.get(), q.window.get()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some(18), Some(5000), Some(86_400 * SECOND)),
                (Some(17), Some(250), None)
            ]
        );
        assert_eq!(f.names, vec![None, Some("sample-app".into())]);
        let f = round_trip(
            &[
                ("X-Rate-Limit", "700"),
                ("X-Rate-Limit-Remaining", "699"),
                (
                    "zendesk-ratelimit-tickets-index",
                    "total=100; remaining=99; resets=41",
                ),
            ],
            "acme.zendesk.com",
        );
        let got: Vec<(Option<u64>, Option<u64>, Option<Micros>)> = f
            .quotas
            .iter()
            .map(|q| (q.limit.get(), q.remaining.get(), q.reset.get()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some(700), Some(699), None),
                (Some(100), Some(99), Some(41 * SECOND))
            ]
        );
        // Microsoft Graph: share of the limit, scope, information, retry in ms
        // (https://learn.microsoft.com/en-us/graph/throttling-limits)
        let f = round_trip(
            &[
                ("x-ms-throttle-limit-percentage", "0.9"),
                (
                    "x-ms-throttle-scope",
                    "Tenant_Application/ReadWrite/9a3b/00000003",
                ),
                ("x-ms-throttle-information", "ResourceUnitLimitExceeded"),
                ("x-ms-retry-after-ms", "2500"),
            ],
            "graph.microsoft.com",
        );
        assert_eq!(one(&f, "microsoft-graph").used_share(), Some(0.9));
        assert_eq!(f.scope, Some(ThrottleScope::Application));
        assert_eq!(f.retry_ms, Some(2.5));
        assert_eq!(
            f.reason.as_ref().map(|r| r.1.as_str()),
            Some("ResourceUnitLimitExceeded")
        );
    }

    #[test]
    fn exactness_follows_the_written_value() {
        let f = round_trip(
            &[
                ("X-RateLimit-Limit", "0100"),
                ("X-RateLimit-Remaining", "7 "),
                ("X-RateLimit-Reset", "30.0"),
            ],
            "h",
        );
        let q = one(&f, "x-ratelimit");
        assert_eq!(
            (q.limit.get(), q.remaining.get(), q.reset.get()),
            (Some(100), Some(7), Some(30 * SECOND))
        );
        assert_eq!(q.exact, Exact(Exact::REMAINING));
        let f = facts(&[("RateLimit-Limit", "100, 100;w=60")], "h");
        assert!(!f.quotas[0].exact.has(Exact::LIMIT), "more than the number");
    }

    #[test]
    fn damage_is_ignored() {
        let f = facts(
            &[
                ("inin-ratelimit-count", "CNRY123abc"),
                ("x-ratelimit-limit", "99999999999999999999999"),
                ("ratelimit", "\";;;==\""),
                ("ratelimit-policy", "\"a\";q=;w=-1"),
                ("x-shopify-shop-api-call-limit", "1/"),
                ("sforce-limit-info", "api-usage"),
            ],
            "h",
        );
        assert!(f.quotas.is_empty(), "{f:?}");
    }
}

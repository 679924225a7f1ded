//! Rate-limit signals in response headers: `Retry-After`, `inin-ratelimit-*`,
//! `X-RateLimit-*`, `RateLimit-*` and the IETF `RateLimit` / `RateLimit-Policy` fields.
//!
//! Owns turning header text into numbers. Only numbers survive: policy names and partition
//! keys are server-chosen text and are dropped. Pure: the response time is passed in.

use crate::model::{Exact, Micros, Quota, ResetForm, RetryAfter, RetrySource, Unit, time};

use super::dialects;

use super::time::parse_http_date;

/// Response headers that carry rate-limit numbers (lower case).
pub const RATE_LIMIT: [&str; 15] = [
    "ratelimit",
    "ratelimit-policy",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-used",
    "x-rate-limit-limit",
    "x-rate-limit-remaining",
    "x-rate-limit-reset",
    "inin-ratelimit-count",
    "inin-ratelimit-allowed",
    "inin-ratelimit-reset",
];

/// Response headers that carry a correlation id, in the order they are looked for.
pub const CORRELATION: [&str; 5] = [
    "inin-correlation-id",
    "x-correlation-id",
    "x-request-id",
    "x-amzn-requestid",
    "x-github-request-id",
];

/// Reads the leading unsigned integer of a header value (`"100, 100;w=60"` → 100).
fn leading_u64(v: &str) -> Option<u64> {
    let v = v.trim();
    let end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    if end == 0 || end > 19 {
        return None;
    }
    v[..end].parse().ok()
}

fn leading_f64(v: &str) -> Option<f64> {
    let v = v.trim();
    let end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    if end == 0 || end > 24 {
        return None;
    }
    v[..end].parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Parses `Retry-After`: delay-seconds (decimals tolerated) or an HTTP-date, resolved against
/// the response's `Date` header or, failing that, the time the response arrived.
pub fn retry_after(
    value: &str,
    date_header: Option<&str>,
    response_at: Micros,
) -> Option<RetryAfter> {
    let v = value.trim();
    if let Some(s) = leading_f64(v).filter(|_| {
        v.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b' ')
    }) {
        return Some(RetryAfter {
            seconds: s.min(1e9),
            source: RetrySource::Seconds,
        });
    }
    let at = parse_http_date(v)?;
    let now = date_header.and_then(parse_http_date).unwrap_or(response_at);
    Some(RetryAfter {
        seconds: time::as_secs(at - now).clamp(0.0, 1e9),
        source: RetrySource::HttpDate,
    })
}

/// Interprets a reset value: an epoch timestamp, an ISO 8601 time or delta-seconds.
fn reset_seconds(v: &str, response_at: Micros) -> Option<(f64, ResetForm)> {
    let v = v.trim();
    if let Some(n) = leading_f64(v) {
        if n > 1.0e9 {
            // epoch seconds (GitHub, Okta)
            return Some((
                (n - time::as_secs(response_at)).max(0.0),
                ResetForm::EpochSeconds,
            ));
        }
        if v.len() <= 12 {
            return Some((n, ResetForm::DeltaSeconds));
        }
    }
    super::time::parse_started(v)
        .map(|(t, _)| (time::as_secs(t - response_at).max(0.0), ResetForm::Iso8601))
}

/// Whether a header value is exactly the decimal form of `n`.
fn exact(value: &str, n: Option<u64>) -> bool {
    n.is_some_and(|n| value.trim() == n.to_string())
}

/// Parameters of a structured-field list member: `"name";q=100;w=60` → [(q,100),(w,60)].
fn sf_params(item: &str) -> Vec<(&str, f64)> {
    item.split(';')
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((k.trim(), leading_f64(v.trim_matches('"'))?))
        })
        .collect()
}

/// Splits a structured-field list on commas outside quotes.
pub fn sf_list(v: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in v.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(v[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(v[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

/// Collects every counter a response announces. `headers` yields (lower-case name, value).
pub fn quotas<'a>(
    headers: impl Iterator<Item = (&'a str, &'a str)>,
    response_at: Micros,
) -> Vec<Quota> {
    let mut inin = Quota {
        dialect: dialects::id("genesys"),
        ..Quota::default()
    };
    let mut x = Quota {
        dialect: dialects::id("x-ratelimit"),
        ..Quota::default()
    };
    let mut ietf = Quota {
        dialect: dialects::id("ietf"),
        ..Quota::default()
    };
    let mut policies: Vec<Quota> = Vec::new();
    let set_reset = |q: &mut Quota, value: &str| {
        if q.reset.is_none()
            && let Some((s, form)) = reset_seconds(value, response_at)
        {
            q.reset = Some(time::secs(s));
            q.reset_form = Some(form);
            if form == ResetForm::DeltaSeconds
                && leading_u64(value).is_some_and(|n| n.to_string() == value.trim())
            {
                q.exact.0 |= Exact::RESET;
            }
        }
    };
    for (name, value) in headers {
        match name {
            "inin-ratelimit-count" if inin.used.is_none() => {
                inin.used = leading_u64(value);
                if exact(value, inin.used) {
                    inin.exact.0 |= Exact::USED;
                }
            }
            "inin-ratelimit-allowed" if inin.limit.is_none() => {
                inin.limit = leading_u64(value);
                if exact(value, inin.limit) {
                    inin.exact.0 |= Exact::LIMIT;
                }
            }
            "inin-ratelimit-reset" => set_reset(&mut inin, value),
            "x-ratelimit-limit" | "x-rate-limit-limit" if x.limit.is_none() => {
                x.limit = leading_u64(value);
                if exact(value, x.limit) {
                    x.exact.0 |= Exact::LIMIT;
                }
            }
            "x-ratelimit-remaining" | "x-rate-limit-remaining" if x.remaining.is_none() => {
                x.remaining = leading_u64(value);
                if exact(value, x.remaining) {
                    x.exact.0 |= Exact::REMAINING;
                }
            }
            "x-ratelimit-used" if x.used.is_none() => {
                x.used = leading_u64(value);
                if exact(value, x.used) {
                    x.exact.0 |= Exact::USED;
                }
            }
            "x-ratelimit-reset" | "x-rate-limit-reset" => set_reset(&mut x, value),
            "ratelimit-limit" if ietf.limit.is_none() => {
                ietf.limit = leading_u64(value);
                if exact(value, ietf.limit) {
                    ietf.exact.0 |= Exact::LIMIT;
                }
                // draft-03 style `100, 100;w=60` carries a policy too
                for item in sf_list(value).into_iter().skip(1) {
                    if let (Some(q), Some((_, w))) = (
                        leading_u64(item),
                        sf_params(item).into_iter().find(|(k, _)| *k == "w"),
                    ) {
                        policies.push(policy(q, Some(w)));
                    }
                }
            }
            "ratelimit-remaining" if ietf.remaining.is_none() => {
                ietf.remaining = leading_u64(value);
                if exact(value, ietf.remaining) {
                    ietf.exact.0 |= Exact::REMAINING;
                }
            }
            "ratelimit-reset" => set_reset(&mut ietf, value),
            "ratelimit" => {
                for item in sf_list(value) {
                    for (k, v) in sf_params(item) {
                        match k {
                            "r" | "remaining" => ietf.remaining = ietf.remaining.or(Some(v as u64)),
                            "t" | "reset" if ietf.reset.is_none() => {
                                ietf.reset = Some(time::secs(v));
                                ietf.reset_form = Some(ResetForm::DeltaSeconds);
                            }
                            "limit" => ietf.limit = ietf.limit.or(Some(v as u64)),
                            _ => {}
                        }
                    }
                    // draft-06 style `limit=100, remaining=50, reset=30` has no `;`
                    if let Some((k, v)) = item.split_once('=') {
                        let n = leading_f64(v);
                        match k.trim() {
                            "limit" => ietf.limit = ietf.limit.or(n.map(|x| x as u64)),
                            "remaining" => ietf.remaining = ietf.remaining.or(n.map(|x| x as u64)),
                            "reset" if ietf.reset.is_none() => {
                                ietf.reset = n.map(time::secs);
                                ietf.reset_form = n.map(|_| ResetForm::DeltaSeconds);
                            }
                            _ => {}
                        }
                    }
                }
            }
            "ratelimit-policy" => {
                for item in sf_list(value) {
                    let params = sf_params(item);
                    let quota = params
                        .iter()
                        .find(|(k, _)| *k == "q")
                        .map(|(_, v)| *v as u64)
                        .or_else(|| leading_u64(item));
                    let window_s = params.iter().find(|(k, _)| *k == "w").map(|(_, v)| *v);
                    if let Some(quota) = quota {
                        policies.push(policy(quota, window_s));
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for q in [inin, x, ietf] {
        if q.limit.is_some() || q.remaining.is_some() || q.used.is_some() || q.reset.is_some() {
            out.push(q);
        }
    }
    out.extend(policies);
    out
}

/// A counter announced by a `RateLimit-Policy` entry (or a draft-03 `RateLimit-Limit` item).
fn policy(quota: u64, window_s: Option<f64>) -> Quota {
    Quota {
        dialect: dialects::id("ietf"),
        axis: 0,
        unit: Unit::Requests,
        limit: Some(quota),
        window: window_s
            .filter(|w| *w > 0.0 && w.is_finite())
            .map(time::secs),
        ..Quota::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::SECOND;

    #[test]
    fn retry_after_seconds_and_dates() {
        let ra = retry_after("55", None, 0).unwrap();
        assert_eq!((ra.seconds, ra.was_date()), (55.0, false));
        let at = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        let ra = retry_after("Sun, 06 Nov 1994 08:50:37 GMT", None, at).unwrap();
        assert_eq!((ra.seconds, ra.was_date()), (60.0, true));
        let ra = retry_after(
            "Sun, 06 Nov 1994 08:50:37 GMT",
            Some("Sun, 06 Nov 1994 08:50:07 GMT"),
            0,
        )
        .unwrap();
        assert_eq!(ra.seconds, 30.0);
        assert!(retry_after("soon", None, 0).is_none());
        assert!(retry_after("-5", None, 0).is_none());
    }

    #[test]
    fn genesys_and_github_headers() {
        let h = [
            ("inin-ratelimit-count", "3"),
            ("inin-ratelimit-allowed", "180"),
            ("inin-ratelimit-reset", "61"),
        ];
        let q = quotas(h.into_iter(), 0);
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].dialect, dialects::id("genesys"));
        assert_eq!((q[0].used, q[0].limit), (Some(3), Some(180)));
        assert_eq!(q[0].reset, Some(61 * SECOND));
        assert!(q[0].exact.has(Exact::USED) && q[0].exact.has(Exact::LIMIT));
        let now = 1_700_000_000 * SECOND;
        let h = [
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "4999"),
            ("x-ratelimit-used", "1"),
            ("x-ratelimit-reset", "1700003600"),
        ];
        let q = quotas(h.into_iter(), now);
        assert_eq!(
            (q[0].limit, q[0].remaining, q[0].used),
            (Some(5000), Some(4999), Some(1))
        );
        assert_eq!(q[0].reset, Some(3600 * SECOND));
        assert_eq!(q[0].reset_form, Some(ResetForm::EpochSeconds));
    }

    #[test]
    fn ietf_structured_fields() {
        let h = [
            (
                "ratelimit-policy",
                "\"burst\";q=100;w=60,\"daily\";q=1000;w=86400",
            ),
            ("ratelimit", "\"burst\";r=50;t=30"),
        ];
        let q = quotas(h.into_iter(), 0);
        let windows: Vec<(Option<u64>, Option<Micros>)> =
            q.iter().map(|q| (q.limit, q.window)).collect();
        assert_eq!(
            windows,
            vec![
                (None, None),
                (Some(100), Some(60 * SECOND)),
                (Some(1000), Some(86_400 * SECOND))
            ]
        );
        assert_eq!((q[0].remaining, q[0].reset), (Some(50), Some(30 * SECOND)));
        let q = quotas([("ratelimit-limit", "100, 100;w=60")].into_iter(), 0);
        assert_eq!(q[0].limit, Some(100));
        assert!(!q[0].exact.has(Exact::LIMIT), "not the whole value");
        assert_eq!(q[1].window, Some(60 * SECOND));
    }

    #[test]
    fn garbage_values_are_ignored() {
        let h = [
            ("inin-ratelimit-count", "CNRY123abc"),
            ("x-ratelimit-limit", "99999999999999999999999"),
            ("ratelimit", "\";;;==\""),
        ];
        let q = quotas(h.into_iter(), 0);
        assert!(q.is_empty(), "{q:?}");
    }
}

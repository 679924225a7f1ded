//! Rate-limit signals in response headers: `Retry-After`, `inin-ratelimit-*`,
//! `X-RateLimit-*`, `RateLimit-*` and the IETF `RateLimit` / `RateLimit-Policy` fields.
//!
//! Owns turning header text into numbers. Only numbers survive: policy names and partition
//! keys are server-chosen text and are dropped. Pure: the response time is passed in.

use crate::model::{Micros, Policy, RateHeaders, RetryAfter, time};

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
            was_date: false,
        });
    }
    let at = parse_http_date(v)?;
    let now = date_header.and_then(parse_http_date).unwrap_or(response_at);
    Some(RetryAfter {
        seconds: time::as_secs(at - now).clamp(0.0, 1e9),
        was_date: true,
    })
}

/// Interprets a reset value: an epoch timestamp, an ISO 8601 time or delta-seconds.
fn reset_seconds(v: &str, response_at: Micros) -> Option<f64> {
    let v = v.trim();
    if let Some(n) = leading_f64(v) {
        if n > 1.0e9 {
            // epoch seconds (GitHub, Okta)
            return Some((n - time::as_secs(response_at)).max(0.0));
        }
        if v.len() <= 12 {
            return Some(n);
        }
    }
    super::time::parse_started(v).map(|(t, _)| time::as_secs(t - response_at).max(0.0))
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

/// Collects every rate-limit number of a response. `headers` yields (lower-case name, value).
pub fn rate_headers<'a>(
    headers: impl Iterator<Item = (&'a str, &'a str)>,
    response_at: Micros,
) -> RateHeaders {
    let mut r = RateHeaders::default();
    for (name, value) in headers {
        match name {
            "inin-ratelimit-count" => r.inin_count = r.inin_count.or(leading_u64(value)),
            "inin-ratelimit-allowed" => r.inin_allowed = r.inin_allowed.or(leading_u64(value)),
            "inin-ratelimit-reset" => r.inin_reset_s = r.inin_reset_s.or(leading_f64(value)),
            "x-ratelimit-limit" | "ratelimit-limit" | "x-rate-limit-limit" => {
                r.limit = r.limit.or(leading_u64(value));
                // draft-03 style `100, 100;w=60` carries a policy too
                for item in sf_list(value).into_iter().skip(1) {
                    if let (Some(q), w) = (
                        leading_u64(item),
                        sf_params(item).into_iter().find(|(k, _)| *k == "w"),
                    ) {
                        r.policies.push(Policy {
                            quota: q,
                            window_s: w.map(|(_, v)| v),
                        });
                    }
                }
            }
            "x-ratelimit-remaining" | "ratelimit-remaining" | "x-rate-limit-remaining" => {
                r.remaining = r.remaining.or(leading_u64(value))
            }
            "x-ratelimit-used" => r.used = r.used.or(leading_u64(value)),
            "x-ratelimit-reset" | "ratelimit-reset" | "x-rate-limit-reset" => {
                r.reset_s = r.reset_s.or(reset_seconds(value, response_at))
            }
            "ratelimit" => {
                for item in sf_list(value) {
                    for (k, v) in sf_params(item) {
                        match k {
                            "r" | "remaining" => r.remaining = r.remaining.or(Some(v as u64)),
                            "t" | "reset" => r.reset_s = r.reset_s.or(Some(v)),
                            "limit" => r.limit = r.limit.or(Some(v as u64)),
                            _ => {}
                        }
                    }
                    // draft-06 style `limit=100, remaining=50, reset=30` has no `;`
                    if let Some((k, v)) = item.split_once('=') {
                        let n = leading_f64(v);
                        match k.trim() {
                            "limit" => r.limit = r.limit.or(n.map(|x| x as u64)),
                            "remaining" => r.remaining = r.remaining.or(n.map(|x| x as u64)),
                            "reset" => r.reset_s = r.reset_s.or(n),
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
                        r.policies.push(Policy { quota, window_s });
                    }
                }
            }
            _ => {}
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::SECOND;

    #[test]
    fn retry_after_seconds_and_dates() {
        let ra = retry_after("55", None, 0).unwrap();
        assert_eq!((ra.seconds, ra.was_date), (55.0, false));
        let at = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        let ra = retry_after("Sun, 06 Nov 1994 08:50:37 GMT", None, at).unwrap();
        assert_eq!((ra.seconds, ra.was_date), (60.0, true));
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
        let r = rate_headers(h.into_iter(), 0);
        assert_eq!(
            (r.inin_count, r.inin_allowed, r.inin_reset_s),
            (Some(3), Some(180), Some(61.0))
        );
        let now = 1_700_000_000 * SECOND;
        let h = [
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "4999"),
            ("x-ratelimit-used", "1"),
            ("x-ratelimit-reset", "1700003600"),
        ];
        let r = rate_headers(h.into_iter(), now);
        assert_eq!(
            (r.limit, r.remaining, r.used),
            (Some(5000), Some(4999), Some(1))
        );
        assert_eq!(r.reset_s, Some(3600.0));
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
        let r = rate_headers(h.into_iter(), 0);
        assert_eq!(
            r.policies,
            vec![
                Policy {
                    quota: 100,
                    window_s: Some(60.0)
                },
                Policy {
                    quota: 1000,
                    window_s: Some(86400.0)
                }
            ]
        );
        assert_eq!((r.remaining, r.reset_s), (Some(50), Some(30.0)));
        let r = rate_headers([("ratelimit-limit", "100, 100;w=60")].into_iter(), 0);
        assert_eq!(r.limit, Some(100));
        assert_eq!(
            r.policies,
            vec![Policy {
                quota: 100,
                window_s: Some(60.0)
            }]
        );
    }

    #[test]
    fn garbage_values_are_ignored() {
        let h = [
            ("inin-ratelimit-count", "CNRY123abc"),
            ("x-ratelimit-limit", "99999999999999999999999"),
            ("ratelimit", "\";;;==\""),
        ];
        let r = rate_headers(h.into_iter(), 0);
        assert!(r.is_empty(), "{r:?}");
    }
}

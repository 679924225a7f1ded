//! Rate-limit signals in response headers: `Retry-After` here, every dialect's counters in
//! `dialects::headers`.
//!
//! Owns `Retry-After` (delay-seconds with decimals, or an HTTP date against the response's
//! `Date`), the correlation-id headers, and the entry point that reads a response's counters.
//! Only numbers and (for the builder to intern) server-chosen names survive; partition keys
//! are dropped. Pure: the response time is passed in.

use crate::model::{Micros, Quota, RetryAfter, RetrySource, time};

use super::dialects::{self, headers::HeaderFacts};
use super::time::parse_http_date;

/// Response headers that carry a correlation id, in the order they are looked for.
pub const CORRELATION: [&str; 5] = [
    "inin-correlation-id",
    "x-correlation-id",
    "x-request-id",
    "x-amzn-requestid",
    "x-github-request-id",
];

/// Parses `Retry-After`: delay-seconds (decimals tolerated) or an HTTP-date, resolved against
/// the response's `Date` header or, failing that, the time the response arrived.
pub fn retry_after(
    value: &str,
    date_header: Option<&str>,
    response_at: Micros,
) -> Option<RetryAfter> {
    let v = value.trim();
    if let Some(s) = dialects::values::decimal(v) {
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

/// Everything the rate-limit headers of a response say. `headers` yields (lower-case name,
/// value); `host` tells vendors apart whose headers look alike.
pub fn read<'a>(
    headers: impl Iterator<Item = (&'a str, &'a str)>,
    host: &str,
    response_at: Micros,
) -> HeaderFacts {
    dialects::headers::read(headers, host, response_at)
}

/// The counters alone (tests and tools).
pub fn quotas<'a>(
    headers: impl Iterator<Item = (&'a str, &'a str)>,
    response_at: Micros,
) -> Vec<Quota> {
    read(headers, "", response_at).quotas
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
    fn counters_are_read_through_the_dialect_table() {
        let h = [
            ("inin-ratelimit-count", "3"),
            ("inin-ratelimit-allowed", "180"),
            ("inin-ratelimit-reset", "61"),
        ];
        let q = quotas(h.into_iter(), 0);
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].dialect, dialects::id("genesys"));
        assert_eq!((q[0].used.get(), q[0].limit.get()), (Some(3), Some(180)));
        assert_eq!(q[0].reset.get(), Some(61 * SECOND));
        let h = [
            ("inin-ratelimit-count", "CNRY123abc"),
            ("x-ratelimit-limit", "99999999999999999999999"),
            ("ratelimit", "\";;;==\""),
        ];
        let q = quotas(h.into_iter(), 0);
        assert!(
            q.iter().all(|q| q.limit.is_none() && q.used.is_none()),
            "{q:?}"
        );
    }
}

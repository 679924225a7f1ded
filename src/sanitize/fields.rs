//! The values a sanitized capture writes, rebuilt from what the analysis read.
//!
//! Owns turning normalized facts back into HAR text: rate-limit headers and bodies written by
//! each dialect's own writer from the parsed numbers (server-chosen names replaced by the
//! plan's stand-ins, partition keys never kept), `Retry-After` as seconds, HTTP dates
//! re-rendered, a fixed set of HTTP versions, status texts from a fixed table. Nothing here
//! copies text from the original capture. Pure.

use crate::model::{Micros, Quota, Request, RetrySource, Signals, time};

use crate::normalize::dialects::{bodies, headers};
use crate::normalize::time::parse_http_date;
use crate::normalize::{CostSource, CostSources};

/// A number as the analysis reads it back: `{}` prints integers without a fraction and
/// fractions in full (never an exponent), which the header and body readers parse to the same
/// value.
fn num(x: f64) -> String {
    format!("{x}")
}

/// The rate-limit headers of a response, each counter in its own dialect's headers, that read
/// back to the same counters and signals. `names` are the stand-ins of the capture's policy
/// names (by symbol); `costs` the sources the reported costs were read from.
pub fn rate_headers<'c>(
    r: &Request,
    quotas: &[Quota],
    names: &[String],
    host: &str,
    costs: &'c CostSources,
) -> Vec<(&'c str, String)> {
    let none = Signals::default();
    let s = r.signals.as_deref().unwrap_or(&none);
    let quota_names: Vec<Option<String>> = quotas
        .iter()
        .map(|q| q.policy.get().and_then(|p| names.get(p as usize).cloned()))
        .collect();
    let reason = s
        .reason
        .and_then(|x| names.get(x.text as usize).map(|n| (x.dialect, n.as_str())));
    let retry_ms = r
        .retry_after()
        .filter(|ra| ra.source == RetrySource::Millis)
        .map(|ra| ra.seconds);
    let written = headers::write(
        &headers::Signals {
            quotas,
            names: &quota_names,
            retry_ms,
            scope: s.scope,
            reason,
            refused_by: s.refused_by,
            near_limit: s.near_limit,
        },
        host,
        r.end(),
    );
    let mut out: Vec<(&'c str, String)> = written;
    for c in &s.costs {
        if let Some(CostSource::Header(h)) = costs.get(c.source)
            && !out.iter().any(|(n, _)| n.eq_ignore_ascii_case(h))
        {
            out.push((h.as_str(), num(c.value)));
        }
    }
    out
}

/// The body of a response rebuilt from what the analysis read — the known code and stated
/// numbers of a throttling body, counters a body reports, costs read from body paths — in the
/// shape of each dialect, or `None` when the analysis read nothing from it. `limit_keys` and
/// `names` are the plan's stand-ins.
pub fn body(
    r: &Request,
    quotas: &[Quota],
    limit_keys: &[String],
    names: &[String],
    costs: &CostSources,
) -> Option<String> {
    if r.signals.is_none() && quotas.is_empty() {
        return None;
    }
    let none = Signals::default();
    let s = r.signals.as_deref().unwrap_or(&none);
    let throttle = s.body.as_deref();
    let limit_key = throttle
        .and_then(|b| b.limit_key)
        .and_then(|k| limit_keys.get(k as usize))
        .map(String::as_str);
    let policies: Vec<String> = throttle
        .map(|b| {
            b.policy
                .iter()
                .chain(&b.more_policies)
                .filter_map(|p| names.get(*p as usize).cloned())
                .collect()
        })
        .unwrap_or_default();
    let body_costs: Vec<(Vec<String>, f64)> = s
        .costs
        .iter()
        .filter_map(|c| match costs.get(c.source)? {
            CostSource::Body(path) => Some((path.clone(), c.value)),
            CostSource::Header(_) => None,
        })
        .collect();
    bodies::write(
        &bodies::Written {
            body: throttle,
            limit_key,
            policies: &policies,
            quotas,
            costs: &body_costs,
        },
        r.status,
        r.end(),
    )
}

/// `Retry-After` as delay-seconds.
pub fn retry_after(seconds: f64) -> String {
    num(seconds)
}

/// A `Date` value re-rendered from the instant it names, or `None` when it names none.
pub fn date(value: &str) -> Option<String> {
    parse_http_date(value.trim()).map(time::http_date)
}

/// One of a fixed set of HTTP versions for a producer's `httpVersion`.
pub fn http_version(value: &str) -> Option<&'static str> {
    let v = value.trim().to_ascii_lowercase();
    if v.contains("1.1") {
        Some("HTTP/1.1")
    } else if v.contains("1.0") {
        Some("HTTP/1.0")
    } else if v.contains('2') {
        Some("HTTP/2.0")
    } else if v.contains('3') {
        Some("HTTP/3")
    } else {
        None
    }
}

/// A correlation id kept as it is when it is hexadecimal (UUIDs, request ids), which is what
/// an API vendor needs to find the request.
pub fn plain_correlation(value: &str) -> bool {
    let v = value.trim();
    (8..=100).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_hexdigit() || matches!(b, b'-' | b':' | b'.'))
        && v.bytes().filter(u8::is_ascii_hexdigit).count() >= 8
}

/// The standard reason phrase of a status, or an empty text.
pub fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// A duration in milliseconds that reads back to the same microseconds.
pub fn millis(us: Micros) -> f64 {
    us as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_re_rendered_and_text_is_dropped() {
        assert_eq!(
            date("Sun, 06 Nov 1994 08:49:37 GMT").as_deref(),
            Some("Sun, 06 Nov 1994 08:49:37 GMT")
        );
        assert_eq!(date("CNRY"), None);
        assert_eq!(http_version("h2"), Some("HTTP/2.0"));
        assert_eq!(http_version("HTTP/1.1"), Some("HTTP/1.1"));
        assert_eq!(http_version("CNRYLEAK"), None);
    }

    #[test]
    fn durations_read_back_to_the_same_microseconds() {
        for us in [
            0,
            1,
            999,
            61_200,
            111_808,
            123_456_789,
            7 * 24 * 3600 * 1_000_000,
        ] {
            assert_eq!(time::secs(millis(us) / 1000.0), us);
        }
    }

    #[test]
    fn correlation_ids_are_kept_only_when_hexadecimal() {
        assert!(plain_correlation("0d3b2a1e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"));
        assert!(plain_correlation("C0F4:1C3A:2B4E5F:3A1B2C:65A1B2C3"));
        assert!(!plain_correlation("user-jane-session"));
        assert!(!plain_correlation("12"));
    }
}

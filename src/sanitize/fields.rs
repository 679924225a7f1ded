//! The values a sanitized capture writes, rebuilt from what the analysis read.
//!
//! Owns turning normalized facts back into HAR text: rate-limit headers written from their
//! parsed numbers (policy names and partition keys never survive), `Retry-After` as seconds,
//! HTTP dates re-rendered, a fixed set of HTTP versions, status texts from a fixed table, and
//! 429 bodies holding only the known code and stated numbers. Nothing here copies text from
//! the original capture. Pure.

use crate::model::{Micros, Quota, ThrottleBody, time};
use crate::normalize::dialects;
use crate::normalize::time::parse_http_date;

/// A number as the analysis reads it back: `{}` prints integers without a fraction and
/// fractions in full (never an exponent), which the header and body readers parse to the same
/// value.
fn num(x: f64) -> String {
    format!("{x}")
}

/// The rate-limit headers that read back to `quotas`, one header per number, named as each
/// counter's dialect names it; counters announced by a policy are written as IETF policies.
pub fn rate_headers(quotas: &[Quota]) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut policies = Vec::new();
    for q in quotas {
        if q.window.is_some() {
            let quota = q.limit.unwrap_or(0);
            let i = policies.len() + 1;
            policies.push(match q.window {
                Some(w) => format!("\"policy-{i}\";q={quota};w={}", num(time::as_secs(w))),
                None => format!("\"policy-{i}\";q={quota}"),
            });
            continue;
        }
        let d = dialects::dialect(q.dialect);
        let Some(axis) = d.axes.get(q.axis as usize) else {
            continue;
        };
        let mut push = |name: Option<&'static str>, v: Option<String>| {
            if let (Some(name), Some(v)) = (name, v) {
                out.push((name, v));
            }
        };
        push(axis.limit, q.limit.map(|n| n.to_string()));
        push(axis.remaining, q.remaining.map(|n| n.to_string()));
        push(axis.used, q.used.map(|n| n.to_string()));
        // seconds from the response, as a delta (no epoch interpretation, any precision)
        push(axis.reset, q.reset.map(|r| num(time::as_secs(r))));
    }
    if !policies.is_empty() {
        out.push(("RateLimit-Policy", policies.join(", ")));
    }
    out
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

/// A throttling body rebuilt from what the analysis read: the known code, the stated numbers
/// and the limit key (already replaced by a layer name or a stand-in).
pub fn throttle_body(body: &ThrottleBody, status: u16, limit_key: Option<&str>) -> String {
    let mut obj = serde_json::Map::new();
    let mut message = Vec::new();
    if let (Some(n), Some(w)) = (body.limit, body.window_s) {
        message.push(format!(
            "Rate limit exceeded the maximum [{n}] requests within [{}] seconds",
            num(w)
        ));
    }
    if let Some(s) = body.retry_in_s {
        message.push(format!("Retry the request in [{}] seconds", num(s)));
    }
    if !message.is_empty() {
        obj.insert("message".into(), message.join(". ").into());
    }
    if let Some(code) = body.code {
        obj.insert("code".into(), dialects::code(code).name.into());
    } else if body.unlisted_code {
        obj.insert("code".into(), "unlisted".into());
    }
    obj.insert("status".into(), status.into());
    if limit_key.is_some() || body.limit_value.is_some() {
        let mut limit = serde_json::Map::new();
        if let Some(k) = limit_key {
            limit.insert("key".into(), k.into());
        }
        if let Some(v) = body.limit_value {
            limit.insert("value".into(), v.into());
        }
        obj.insert("limit".into(), limit.into());
    }
    serde_json::Value::Object(obj).to_string()
}

/// A duration in milliseconds that reads back to the same microseconds.
pub fn millis(us: Micros) -> f64 {
    us as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{body, headers};

    #[test]
    fn rate_headers_read_back_to_the_same_numbers() {
        use crate::model::{Exact, ResetForm};
        let quotas = vec![
            Quota {
                dialect: dialects::id("genesys"),
                used: Some(26),
                limit: Some(25),
                reset: Some(14_250_000),
                reset_form: Some(ResetForm::DeltaSeconds),
                exact: Exact(Exact::USED | Exact::LIMIT),
                ..Quota::default()
            },
            Quota {
                dialect: dialects::id("x-ratelimit"),
                limit: Some(5000),
                remaining: Some(0),
                used: Some(5000),
                reset: Some(29_453_021),
                reset_form: Some(ResetForm::DeltaSeconds),
                exact: Exact(Exact::LIMIT | Exact::REMAINING | Exact::USED),
                ..Quota::default()
            },
            Quota {
                dialect: dialects::id("ietf"),
                limit: Some(100),
                window: Some(60_000_000),
                ..Quota::default()
            },
        ];
        let written = rate_headers(&quotas);
        let lower: Vec<(String, String)> = written
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect();
        let again = headers::quotas(lower.iter().map(|(n, v)| (n.as_str(), v.as_str())), 0);
        assert_eq!(again, quotas);
        assert!(written.iter().all(|(_, v)| !v.contains("burst")));
    }

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

    #[test]
    fn rebuilt_bodies_read_back_to_the_same_numbers() {
        let original = ThrottleBody {
            code: dialects::code_id("too.many.requests"),
            rate_limited: true,
            limit: Some(300),
            window_s: Some(60.0),
            retry_in_s: Some(2.5),
            limit_value: Some(300),
            ..ThrottleBody::default()
        };
        let text = throttle_body(&original, 429, Some("token.rate.per.minute"));
        let facts = body::parse(&text, false).unwrap();
        assert_eq!(facts.body, original);
        assert_eq!(facts.limit_key.as_deref(), Some("token.rate.per.minute"));
        let unlisted = ThrottleBody {
            unlisted_code: true,
            ..ThrottleBody::default()
        };
        let facts = body::parse(&throttle_body(&unlisted, 429, None), false).unwrap();
        assert!(facts.body.unlisted_code && facts.body.code.is_none());
    }
}

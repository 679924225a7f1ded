//! What survives of a header value, a status text or a 429 body in a sanitized capture.
//!
//! Owns the value rules: rate-limit headers reduced to their numbers and known parameter names
//! (policy names and partition keys replaced), `Retry-After` and `Date` kept only when they are
//! a number or an HTTP date, preflight headers reduced to method and header-name tokens, status
//! texts from a fixed table, 429 bodies rebuilt from the numbers and known code the analysis
//! read. Every rule keeps what the analysis reads and nothing else. Pure.

use crate::model::{ThrottleBody, ThrottleCode};
use crate::normalize::headers::sf_list;
use crate::normalize::time::{parse_http_date, parse_started};

/// Parameter names of rate-limit fields whose numbers the analysis reads.
const RATE_PARAMS: [&str; 7] = ["q", "w", "r", "t", "remaining", "reset", "limit"];

fn numeric(v: &str) -> bool {
    !v.is_empty() && v.len() <= 24 && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

fn plain_date(v: &str) -> bool {
    v.len() <= 64
        && v.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b' ' | b',' | b':' | b'-' | b'+' | b'.')
        })
}

/// A rate-limit header value reduced to numbers: `"burst";q=100;w=60;pk=:abc:` →
/// `"policy-1";q=100;w=60`. `None` when nothing numeric is left.
pub fn rate_limit(name: &str, value: &str) -> Option<String> {
    let v = value.trim();
    if name.ends_with("-reset") && !numeric(v) && plain_date(v) && parse_started(v).is_some() {
        return Some(v.to_string());
    }
    let mut items = Vec::new();
    for (i, item) in sf_list(v).into_iter().enumerate() {
        let mut parts = Vec::new();
        let mut numbers = 0;
        for (j, part) in item.split(';').enumerate() {
            let part = part.trim();
            match part.split_once('=') {
                Some((k, n)) => {
                    let (k, n) = (k.trim(), n.trim().trim_matches('"'));
                    if RATE_PARAMS.contains(&k) && numeric(n) {
                        parts.push(format!("{k}={n}"));
                        numbers += 1;
                    }
                }
                None if numeric(part) => {
                    parts.push(part.to_string());
                    numbers += 1;
                }
                // a policy name: server-chosen text
                None if j == 0 && !part.is_empty() => parts.push(format!("\"policy-{}\"", i + 1)),
                None => {}
            }
        }
        if numbers > 0 {
            items.push(parts.join(";"));
        }
    }
    (!items.is_empty()).then(|| items.join(", "))
}

/// `Retry-After` as delay-seconds or an HTTP date; anything else is dropped.
pub fn retry_after(value: &str) -> Option<String> {
    let v = value.trim();
    if numeric(v) || (plain_date(v) && parse_http_date(v).is_some()) {
        return Some(v.to_string());
    }
    None
}

/// `Date` when it is an HTTP date.
pub fn date(value: &str) -> Option<String> {
    let v = value.trim();
    (plain_date(v) && parse_http_date(v).is_some()).then(|| v.to_string())
}

/// `Access-Control-Max-Age` when it is an integer.
pub fn max_age(value: &str) -> Option<String> {
    value.trim().parse::<i64>().ok().map(|n| n.to_string())
}

/// `Access-Control-Request-Headers` as lower-case header-name tokens.
pub fn header_names(value: &str) -> Option<String> {
    let names: Vec<String> = value
        .split(',')
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| {
            !n.is_empty()
                && n.len() <= 64
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .collect();
    (!names.is_empty()).then(|| names.join(","))
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

/// A media type without parameters (`application/json`).
pub fn media_type(value: &str) -> Option<String> {
    let t = value.split(';').next()?.trim().to_ascii_lowercase();
    let ok = t.len() <= 100
        && t.contains('/')
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'+' | b'-'));
    ok.then_some(t)
}

/// A short producer token (`preflight`, `xhr`, `disk`, `memory`), or `None`.
pub fn token(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()
        && v.len() <= 32
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b' ')))
    .then(|| v.to_string())
}

/// An HTTP version (`HTTP/1.1`, `h2`, `http/2.0`), or `None`.
pub fn http_version(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()
        && v.len() <= 16
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-')))
    .then(|| v.to_string())
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

fn secs(s: f64) -> String {
    // `{}` prints 60.0 as `60` and keeps fractions, both of which the body reader parses back
    format!("{s}")
}

/// A throttling body rebuilt from what the analysis read: the known code, the stated numbers
/// and the limit key (already replaced by a layer name or a stand-in).
pub fn throttle_body(body: &ThrottleBody, status: u16, limit_key: Option<&str>) -> String {
    let mut obj = serde_json::Map::new();
    let mut message = Vec::new();
    if let (Some(n), Some(w)) = (body.limit, body.window_s) {
        message.push(format!(
            "Rate limit exceeded the maximum [{n}] requests within [{}] seconds",
            secs(w)
        ));
    }
    if let Some(s) = body.retry_in_s {
        message.push(format!("Retry the request in [{}] seconds", secs(s)));
    }
    if !message.is_empty() {
        obj.insert("message".into(), message.join(". ").into());
    }
    if let Some(code) = body.code {
        let text = match code {
            ThrottleCode::Unlisted => "unlisted",
            known => known.as_str(),
        };
        obj.insert("code".into(), text.into());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::body;

    #[test]
    fn rate_limit_values_keep_numbers_only() {
        assert_eq!(
            rate_limit(
                "ratelimit-policy",
                r#""burst";q=100;w=60;pk=:Y2FuYXJ5:, "day";q=1000"#
            )
            .as_deref(),
            Some(r#""policy-1";q=100;w=60, "policy-2";q=1000"#)
        );
        assert_eq!(
            rate_limit("x-ratelimit-limit", "100, 100;w=60").as_deref(),
            Some("100, 100;w=60")
        );
        assert_eq!(
            rate_limit("ratelimit", "limit=100, remaining=50, reset=30").as_deref(),
            Some("limit=100, remaining=50, reset=30")
        );
        assert_eq!(
            rate_limit("x-ratelimit-reset", "2026-01-01T00:00:00Z").as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
        assert_eq!(rate_limit("x-ratelimit-limit", "CNRY-secret"), None);
    }

    #[test]
    fn dates_and_delays_survive_text_does_not() {
        assert_eq!(retry_after(" 55 ").as_deref(), Some("55"));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT").as_deref(),
            Some("Sun, 06 Nov 1994 08:49:37 GMT")
        );
        assert_eq!(retry_after("soon, CNRY"), None);
        assert_eq!(date("CNRY"), None);
        assert_eq!(max_age("600"), Some("600".into()));
        assert_eq!(
            header_names("Authorization, Content-Type, x-CNRY=1").as_deref(),
            Some("authorization,content-type")
        );
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
            code: Some(ThrottleCode::TooManyRequests),
            limit: Some(300),
            window_s: Some(60.0),
            retry_in_s: Some(2.5),
            limit_value: Some(300),
            limit_key: None,
        };
        let text = throttle_body(&original, 429, Some("token.rate.per.minute"));
        let facts = body::parse(&text, false).unwrap();
        assert_eq!(facts.body, original);
        assert_eq!(facts.limit_key.as_deref(), Some("token.rate.per.minute"));
        let unlisted = ThrottleBody {
            code: Some(ThrottleCode::Unlisted),
            ..ThrottleBody::default()
        };
        let facts = body::parse(&throttle_body(&unlisted, 429, None), false).unwrap();
        assert_eq!(facts.body.code, Some(ThrottleCode::Unlisted));
    }
}

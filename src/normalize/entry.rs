//! One HAR entry to one `Draft`: the per-entry half of normalization.
//!
//! Owns reading an entry's time, URL, method, status, preflight marks, credentials, rate-limit
//! headers, the body of an error response (or of a success that may hold a GraphQL error or
//! a cost object) and the costs the profiles ask for into owned, typed values, or naming why
//! the entry cannot be used. Drafts are independent of each other, so this runs on many
//! threads. Credentials leave as fingerprints only. Pure.

use crate::ingest::har::{Entry, Field, Headers, Obj};
use crate::model::{
    DialectId, Method, Micros, Quota, ReportedCost, RetryAfter, RetrySource, Scheme, ThrottleScope,
    time,
};

use super::body::{self, BodyFacts, Parsed};
use super::costs::CostSources;
use super::dialects::bodies;
use super::headers;
use super::identity::{self, FingerprintKey, Identity};
use super::time::parse_started;
use super::url;

/// Longest request duration accepted; longer values are clamped (HAR `time` is in ms).
const MAX_DURATION: Micros = 7 * 24 * 3600 * time::SECOND;

/// A normalized entry before it joins its capture.
#[derive(Debug)]
pub struct Draft {
    /// Start, µs since the epoch, UTC.
    pub start: Micros,
    /// UTC offset of `startedDateTime`, seconds.
    pub utc_offset_s: i32,
    /// Time until the response completed.
    pub duration: Micros,
    /// Time from the start until the request left the browser (`sent`).
    pub sent: Micros,
    /// HTTP method.
    pub method: Method,
    /// URL scheme.
    pub scheme: Scheme,
    /// Host, with a non-default port.
    pub host: String,
    /// Path without query or fragment.
    pub path: String,
    /// Response status; 0 when there was none.
    pub status: u16,
    /// Whether it is a CORS preflight.
    pub is_preflight: bool,
    /// Method a preflight announced.
    pub preflight_method: Option<Method>,
    /// A preflight announcing an `Authorization` header.
    pub preflight_announces_auth: bool,
    /// Served from a browser cache.
    pub from_cache: bool,
    /// Credential facts (fingerprints only).
    pub identity: Identity,
    /// Counters the response announced, in headers or in its body.
    pub quotas: Vec<Quota>,
    /// The server-chosen name of each counter (by position; shorter when the last have
    /// none), raw.
    pub quota_names: Vec<Option<String>>,
    /// When the response asked to retry (`retry-after-ms`, else `Retry-After`).
    pub retry_after: Option<RetryAfter>,
    /// Correlation id of the response.
    pub correlation: Option<String>,
    /// What a throttling body said.
    pub body: Option<BodyFacts>,
    /// Costs read for the profiles' `cost_from` sources.
    pub costs: Vec<ReportedCost>,
    /// Who a header says the throttle applied to.
    pub scope: Option<ThrottleScope>,
    /// A reason header's dialect and text, raw.
    pub reason: Option<(DialectId, String)>,
    /// A limiter of this dialect says it refused the request.
    pub refused_by: Option<DialectId>,
    /// A header says the budget is nearly used up.
    pub near_limit: bool,
    /// `Access-Control-Max-Age` of a preflight response.
    pub max_age_s: Option<i64>,
    /// Page size from the query.
    pub page_size: Option<u32>,
    /// Cookie header or cookies present on the request.
    pub cookies: bool,
    /// Set-Cookie or cookies present on the response.
    pub set_cookies: bool,
    /// HTTP/1.x entry whose `headersSize` exceeds its listed headers (something was removed).
    pub headers_removed: bool,
}

fn field_reason<T>(f: &Field<T>, name: &str, expected: &str) -> String {
    match f {
        Field::Missing => format!("{name} is missing"),
        Field::Wrong(found) => format!("{name} is {found}, expected {expected}"),
        Field::Ok(_) => format!("{name} is unusable"),
    }
}

fn obj<'e, T>(o: &'e Obj<T>, name: &str) -> Result<&'e T, String> {
    o.0.ok()
        .ok_or_else(|| field_reason(&o.0, name, "an object"))
}

fn ms(v: &Field<f64>) -> Option<f64> {
    v.ok().copied().filter(|x| *x >= 0.0)
}

fn duration(entry: &Entry<'_>) -> Micros {
    let ms_total = ms(&entry.time).or_else(|| {
        let t = entry.timings.0.ok()?;
        let parts = [&t.blocked, &t.dns, &t.connect, &t.send, &t.wait, &t.receive];
        let sum: f64 = parts.iter().filter_map(|p| ms(p)).sum();
        (sum > 0.0).then_some(sum)
    });
    ms_total
        .map(|m| time::secs(m / 1000.0).clamp(0, MAX_DURATION))
        .unwrap_or(0)
}

/// Time from `startedDateTime` until the request left the browser: the `blocked` (queued
/// behind busy connections), `dns`, `connect` and `send` phases, when the producer records
/// them (chrome-har and DevTools do; Playwright leaves the queue out of the HAR entirely). At
/// most the entry's `duration`; 0 when nothing is recorded.
fn sent(entry: &Entry<'_>, duration: Micros) -> Micros {
    let Some(t) = entry.timings.0.ok() else {
        return 0;
    };
    let before: f64 = [&t.blocked, &t.dns, &t.connect, &t.send]
        .iter()
        .filter_map(|p| ms(p))
        .sum();
    time::secs(before / 1000.0).clamp(0, duration)
}

fn host_header(h: &Headers<'_>) -> Option<String> {
    h.get(":authority")
        .or_else(|| h.get("host"))
        .map(str::to_string)
}

/// Normalizes one entry, or says why it cannot be used (wording from why429 only). `costs`
/// are the `cost_from` sources of the profiles that may apply.
pub fn draft(
    entry: &Entry<'_>,
    key: &FingerprintKey,
    costs: &CostSources,
) -> Result<Draft, String> {
    let req = obj(&entry.request, "request")?;
    let url_text = req
        .url
        .ok()
        .ok_or_else(|| field_reason(&req.url, "request.url", "a string"))?;
    let parts = url::split(url_text).ok_or("request.url is not an absolute URL")?;
    if parts.scheme == Scheme::Other {
        return Err("request.url is not an HTTP(S) or WebSocket URL (data:, blob:, ...)".into());
    }
    let method_text = req
        .method
        .ok()
        .ok_or_else(|| field_reason(&req.method, "request.method", "a string"))?;
    let method = Method::parse(method_text);
    let started = entry
        .started
        .ok()
        .ok_or_else(|| field_reason(&entry.started, "startedDateTime", "a string"))?;
    let (start, utc_offset_s) =
        parse_started(started).ok_or("startedDateTime is not a valid ISO 8601 time")?;
    let duration = duration(entry);
    let sent = sent(entry, duration);

    // the URL host, unless a header names the authority more precisely
    let host = host_header(&req.headers)
        .and_then(|h| url::split(&format!("{}://{h}/", parts.scheme.as_str())).map(|u| u.host))
        .unwrap_or(parts.host);

    let resp = entry.response.0.ok();
    let status = resp
        .and_then(|r| r.status.ok().copied())
        .filter(|s| (100.0..1000.0).contains(s))
        .map(|s| s as u16)
        .unwrap_or(0);
    let empty = Headers::default();
    let rh = resp.map(|r| &r.headers).unwrap_or(&empty);
    let response_at = start.saturating_add(duration);

    let acr_method = req.headers.get("access-control-request-method");
    let producer_marks_preflight = [&entry.initiator_type, &entry.resource_type]
        .iter()
        .any(|f| f.ok().is_some_and(|v| v.eq_ignore_ascii_case("preflight")))
        || entry
            .initiator
            .0
            .ok()
            .and_then(|i| i.kind.ok())
            .is_some_and(|k| k.eq_ignore_ascii_case("preflight"));
    let is_preflight =
        method == Method::Options && (acr_method.is_some() || producer_marks_preflight);
    let preflight_announces_auth = is_preflight
        && req
            .headers
            .all("access-control-request-headers")
            .any(|v| v.to_ascii_lowercase().contains("authorization"));

    let from_cache = entry.from_cache.ok().is_some_and(|v| !v.is_empty())
        || entry
            .fetch_type
            .ok()
            .is_some_and(|v| v.to_ascii_lowercase().contains("cache"))
        || resp
            .and_then(|r| r.fulfilled_by.ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("cache"));

    let identity = if is_preflight {
        Identity::default()
    } else {
        let api_key = req
            .headers
            .kept
            .iter()
            .find(|(n, _)| n.starts_with("x-api-key"))
            .map(|(_, v)| v.as_ref());
        identity::identify(
            req.headers.get("authorization"),
            api_key,
            parts.query_credential,
            key,
        )
    };

    let facts = headers::read(
        rh.kept.iter().map(|(n, v)| (n.as_ref(), v.as_ref())),
        &host,
        response_at,
    );
    let retry_after = match facts.retry_ms {
        Some(seconds) => Some(RetryAfter {
            seconds: seconds.min(1e9),
            source: RetrySource::Millis,
        }),
        None => rh
            .get("retry-after")
            .and_then(|v| headers::retry_after(v, rh.get("date"), response_at)),
    };
    let correlation = headers::CORRELATION
        .iter()
        .find_map(|n| rh.get(n))
        .filter(|v| !v.is_empty() && v.len() <= 200)
        .map(str::to_string);

    let (mut quotas, mut quota_names) = (facts.quotas, facts.names);
    let mut body = None;
    let mut parsed_body = None;
    let content = resp.and_then(|r| r.content.0.ok());
    if let Some(c) = content
        && let Some(escaped) = c.text.escaped()
        && body::worth_reading(status, escaped, costs)
    {
        let b64 = c
            .encoding
            .ok()
            .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
        // a success's base64 body is not decoded: GraphQL answers are text
        if !(b64 && status < 400) {
            parsed_body = c.text.text().and_then(|t| body::decode(t, b64));
        }
    }
    let parsed = parsed_body.as_deref().map(Parsed::new);
    if let Some(p) = &parsed {
        body = bodies::read(p).filter(|f| matches!(status, 429 | 503) || bodies::rate_related(f));
        let from_body = bodies::quotas(p, response_at);
        if !from_body.is_empty() {
            quota_names.resize(quotas.len(), None);
            quota_names.extend(from_body.iter().map(|_| None));
            quotas.extend(from_body);
            let mut both: Vec<(Quota, Option<String>)> =
                quotas.into_iter().zip(quota_names).collect();
            both.sort_by_key(|(q, _)| (q.dialect, q.axis));
            (quotas, quota_names) = both.into_iter().unzip();
        }
    }
    let costs = if costs.is_empty() {
        Vec::new()
    } else {
        costs.read(|h| rh.get(h), parsed.as_ref())
    };
    let max_age_s = if method == Method::Options {
        rh.get("access-control-max-age")
            .and_then(|v| v.trim().parse::<i64>().ok())
    } else {
        None
    };

    let http1 = req
        .http_version
        .ok()
        .is_some_and(|v| v.to_ascii_lowercase().contains("1."));
    let headers_removed = http1
        && req.headers_size.ok().is_some_and(|&size| {
            let request_line = method_text.len() + parts.path.len() + 12;
            size > (req.headers.bytes as f64) + (request_line as f64) + 40.0
        });

    Ok(Draft {
        start,
        utc_offset_s,
        duration,
        sent,
        method,
        scheme: parts.scheme,
        host,
        path: parts.path.into_owned(),
        status,
        is_preflight,
        preflight_method: if is_preflight {
            acr_method.map(Method::parse)
        } else {
            None
        },
        preflight_announces_auth,
        from_cache,
        identity,
        quotas,
        quota_names,
        retry_after,
        correlation,
        body,
        costs,
        scope: facts.scope,
        reason: facts.reason,
        refused_by: facts.refused_by,
        near_limit: facts.near_limit,
        max_age_s,
        page_size: parts.page_size,
        cookies: req.cookies.0 || req.headers.get("cookie").is_some(),
        set_cookies: resp.is_some_and(|r| r.cookies.0) || rh.get("set-cookie").is_some(),
        headers_removed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::har::parse_entry;
    use crate::model::Auth;

    fn key() -> FingerprintKey {
        FingerprintKey::from_passphrase("t")
    }

    fn d(json: &str) -> Result<Draft, String> {
        let e = parse_entry(json.as_bytes()).unwrap();
        draft(&e, &key(), &CostSources::default())
    }

    #[test]
    fn a_forum_style_429() {
        let r = d(r#"{"startedDateTime":"2025-03-27T23:30:02.546+01:00","time":6297,
            "request":{"method":"PUT","url":"https://api.mypurecloud.de/api/v2/architect/ivrs/x?y=1",
              "headers":[{"name":":authority","value":"api.mypurecloud.de"},
                         {"name":"authorization","value":"Bearer abc"}]},
            "response":{"status":429,"headers":[{"name":"retry-after","value":"55"},
                {"name":"inin-correlation-id","value":"c-1"}],
              "content":{"text":"{\"message\":\"Rate limit exceeded the maximum. Retry the request in [55] seconds\",\"code\":\"too.many.requests.retry.after\"}"}}}"#)
        .unwrap();
        assert_eq!(r.method, Method::Put);
        assert_eq!(r.host, "api.mypurecloud.de");
        assert_eq!(r.path, "/api/v2/architect/ivrs/x");
        assert_eq!(r.status, 429);
        assert_eq!(r.duration, 6_297_000);
        assert_eq!(r.utc_offset_s, 3600);
        assert_eq!(r.retry_after.unwrap().seconds, 55.0);
        assert_eq!(r.identity.auth, Auth::Bearer);
        assert_eq!(r.correlation.as_deref(), Some("c-1"));
        assert_eq!(r.body.unwrap().body.retry_in_s, Some(55.0));
    }

    #[test]
    fn the_time_before_a_request_left_the_browser_is_what_the_producer_recorded() {
        let at = |timings: &str| {
            d(&format!(
                r#"{{"startedDateTime":"2025-01-01T00:00:00Z","time":500,"request":{{"method":"GET","url":"https://h/p"}},"response":{{"status":200}},"timings":{timings}}}"#
            ))
            .unwrap()
            .sent
        };
        // chrome-har: queued 120.5 ms, no new connection, sent in 0.5 ms
        assert_eq!(
            at(r#"{"blocked":120.5,"dns":-1,"connect":-1,"send":0.5,"wait":300,"receive":79}"#),
            121_000
        );
        // a new connection: DNS and connect count too
        assert_eq!(
            at(r#"{"blocked":1,"dns":2,"connect":30,"send":1,"wait":400,"receive":66}"#),
            34_000
        );
        // Playwright records no queue
        assert_eq!(
            at(r#"{"dns":-1,"connect":-1,"ssl":-1,"send":0,"wait":450,"receive":50}"#),
            0
        );
        // never past the end of the entry
        assert_eq!(at(r#"{"blocked":9000,"send":0,"wait":1}"#), 500_000);
        assert_eq!(at("null"), 0);
    }

    #[test]
    fn preflights_are_recognised_three_ways() {
        let base = |extra: &str, hdr: &str| {
            format!(
                r#"{{"startedDateTime":"2025-01-01T00:00:00Z","request":{{"method":"OPTIONS","url":"https://h/p","headers":[{hdr}]}},"response":{{"status":204}}{extra}}}"#
            )
        };
        let a = d(&base("", r#"{"name":"Access-Control-Request-Method","value":"PUT"},{"name":"Access-Control-Request-Headers","value":"authorization,content-type"}"#)).unwrap();
        assert!(a.is_preflight && a.preflight_announces_auth);
        assert_eq!(a.preflight_method, Some(Method::Put));
        assert!(
            d(&base(r#","_initiator_type":"preflight""#, ""))
                .unwrap()
                .is_preflight
        );
        assert!(
            d(&base(r#","_initiator":{"type":"preflight"}"#, ""))
                .unwrap()
                .is_preflight
        );
        assert!(!d(&base("", "")).unwrap().is_preflight);
    }

    #[test]
    fn unusable_entries_say_why() {
        assert_eq!(
            d(r#"{"request":5}"#).unwrap_err(),
            "request is a number, expected an object"
        );
        assert_eq!(
            d(r#"{"request":{"method":"GET"}}"#).unwrap_err(),
            "request.url is missing"
        );
        assert_eq!(
            d(r#"{"startedDateTime":"2025-02-30T00:00:00Z","request":{"method":"GET","url":"https://h/"}}"#)
                .unwrap_err(),
            "startedDateTime is not a valid ISO 8601 time"
        );
        assert!(
            d(r#"{"request":{"method":"GET","url":"data:x"}}"#)
                .unwrap_err()
                .contains("data:")
        );
    }

    #[test]
    fn failed_requests_have_no_response_and_sane_durations() {
        let r = d(r#"{"startedDateTime":"2025-01-01T00:00:00Z","time":-1,
            "timings":{"send":-1,"wait":-1,"receive":-1},
            "request":{"method":"GET","url":"https://h/"},"response":{"status":-1}}"#)
        .unwrap();
        assert_eq!((r.status, r.duration), (0, 0));
        let r = d(r#"{"startedDateTime":"2025-01-01T00:00:00Z","time":1e30,
            "request":{"method":"GET","url":"https://h/"},"response":{"status":200}}"#)
        .unwrap();
        assert_eq!(r.duration, MAX_DURATION);
        let r = d(r#"{"startedDateTime":"2025-01-01T00:00:00Z",
            "timings":{"blocked":-1,"send":1,"wait":10,"receive":2.5},
            "request":{"method":"GET","url":"https://h/"},"response":{"status":200}}"#)
        .unwrap();
        assert_eq!(r.duration, 13_500);
    }
}

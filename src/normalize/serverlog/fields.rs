//! The fields a server log can hold, whatever its format, and how each raw value becomes part
//! of a `ServerRecord`.
//!
//! Owns `Var` (one known field: nginx's variable names are the vocabulary, Apache directives,
//! Envoy keys and JSON keys map onto it), `Draft` (the values of one line as they are read) and
//! `Draft::finish` (the record, or why the line cannot be used). Credentials are reduced to
//! keyed fingerprints here and nowhere else in the server-log path. Pure; error texts name the
//! field, never its value.

use std::sync::Arc;

use crate::model::{
    LimiterKind, LimiterOutcome, LimiterStatus, Method, Micros, Sensitive, ServerRecord,
    time::{MILLISECOND, SECOND},
};
use crate::normalize::identity::{self, FingerprintKey};
use crate::normalize::url;

use super::time::{self, EpochUnit, Stamp};

/// The unit a duration is logged in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DurationUnit {
    /// Seconds, usually with a fraction (nginx `$request_time`, Apache `%T`).
    Seconds,
    /// Milliseconds (Envoy `%DURATION%`, Apache `%{ms}T`, generic `duration_ms`).
    Millis,
    /// Microseconds (Apache `%D`, `%{us}T`).
    Micros,
}

/// When in a request's life a logged time was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    /// When the request arrived (Apache `%t`, Envoy `start_time`, generic `time`).
    Start,
    /// When the line was written, after the response (nginx `$time_local`, `$msec`, ...).
    End,
}

/// One field a log line can carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Var {
    /// `28/Nov/2026:03:06:37 +0000`.
    TimeClf(Moment),
    /// RFC 3339 with a zone.
    TimeIso(Moment),
    /// An epoch number.
    TimeEpoch(EpochUnit, Moment),
    /// An Apache `%{format}t` time.
    TimeStrftime(String, Moment),
    /// RFC 3339 text or an epoch number, told apart by shape (generic `time`).
    TimeAny(Moment),
    /// The request line, `GET /path?q HTTP/1.1`.
    Request,
    /// The method alone.
    Method,
    /// The request target as sent: a path with query, or an absolute URL.
    Target,
    /// The path after the server's own normalisation (nginx `$uri`, Apache `%U`); used only
    /// when no request line or target is logged.
    Path,
    /// Host or `:authority`.
    Host,
    /// Response status.
    Status,
    /// Time taken.
    Duration(DurationUnit),
    /// The `Authorization` header value (scheme and credential).
    Authorization,
    /// A raw token without its scheme (generic `token`).
    Token,
    /// `User-Agent`.
    UserAgent,
    /// The peer address (may be a proxy).
    RemoteAddr,
    /// `X-Forwarded-For`: the first hop is the client.
    ForwardedFor,
    /// The authenticated user name (basic auth) or a user id or label.
    User,
    /// An OAuth client id or label.
    Client,
    /// An OAuth client name.
    ClientName,
    /// An endpoint template.
    Template,
    /// A correlation or request id; the rank orders them (lower is preferred, as the capture
    /// prefers `inin-correlation-id` over `x-request-id`).
    Correlation(u8),
    /// nginx `$limit_req_status`.
    LimitReq,
    /// nginx `$limit_conn_status`.
    LimitConn,
    /// A field why429 does not use.
    Ignore,
}

impl Var {
    /// How a problem names the field (why429's words, not the log's).
    pub fn what(&self) -> &'static str {
        match self {
            Var::TimeClf(_)
            | Var::TimeIso(_)
            | Var::TimeEpoch(..)
            | Var::TimeStrftime(..)
            | Var::TimeAny(_) => "the time",
            Var::Request => "the request line",
            Var::Method => "the method",
            Var::Target | Var::Path => "the path",
            Var::Host => "the host",
            Var::Status => "the status",
            Var::Duration(_) => "the duration",
            Var::Authorization | Var::Token => "the credential",
            Var::UserAgent => "the user agent",
            Var::RemoteAddr | Var::ForwardedFor => "the client address",
            Var::User => "the user",
            Var::Client => "the client",
            Var::ClientName => "the client name",
            Var::Template => "the endpoint template",
            Var::Correlation(_) => "the correlation id",
            Var::LimitReq | Var::LimitConn => "the limiter status",
            Var::Ignore => "a field",
        }
    }
}

/// Rank of the nginx-generated `$request_id` among correlation ids (it reaches the client only
/// when a proxy passes it on as a header).
pub const RANK_SERVER_ID: u8 = 8;

/// The field an HTTP header carries; `response` for headers of the answer.
pub fn header_var(name: &str, response: bool) -> Var {
    let n = name.trim().to_ascii_lowercase().replace('_', "-");
    if let Some(rank) = crate::normalize::headers::CORRELATION
        .iter()
        .position(|h| *h == n)
    {
        return Var::Correlation(rank as u8);
    }
    match (n.as_str(), response) {
        ("authorization", false) => Var::Authorization,
        ("user-agent", false) => Var::UserAgent,
        ("x-forwarded-for", false) => Var::ForwardedFor,
        ("host", false) => Var::Host,
        _ => Var::Ignore,
    }
}

/// The field an nginx variable (without `$`) holds.
pub fn nginx_var(name: &str) -> Var {
    let n = name.to_ascii_lowercase();
    if let Some(h) = n.strip_prefix("http_") {
        return header_var(h, false);
    }
    if let Some(h) = n
        .strip_prefix("sent_http_")
        .or_else(|| n.strip_prefix("upstream_http_"))
    {
        return header_var(h, true);
    }
    match n.as_str() {
        "time_local" => Var::TimeClf(Moment::End),
        "time_iso8601" => Var::TimeIso(Moment::End),
        "msec" => Var::TimeEpoch(EpochUnit::Seconds, Moment::End),
        "request" => Var::Request,
        "request_method" => Var::Method,
        "request_uri" => Var::Target,
        "uri" | "document_uri" => Var::Path,
        "host" => Var::Host,
        "status" => Var::Status,
        "request_time" => Var::Duration(DurationUnit::Seconds),
        "remote_addr" | "realip_remote_addr" => Var::RemoteAddr,
        "remote_user" => Var::User,
        "request_id" => Var::Correlation(RANK_SERVER_ID),
        "limit_req_status" => Var::LimitReq,
        "limit_conn_status" => Var::LimitConn,
        _ => Var::Ignore,
    }
}

/// The values of one line as they are read: log text, credentials in clear. Its `Debug` form
/// shows none of it.
#[derive(Default)]
pub struct Draft {
    start: Option<Stamp>,
    end: Option<Stamp>,
    method: Option<Method>,
    target: Option<String>,
    path: Option<String>,
    host: Option<String>,
    status: Option<u16>,
    duration: Option<(Micros, DurationUnit)>,
    authorization: Option<String>,
    token: Option<String>,
    user_agent: Option<String>,
    remote: Option<String>,
    forwarded: Option<String>,
    user: Option<String>,
    client: Option<String>,
    client_name: Option<String>,
    template: Option<String>,
    correlation: Option<(u8, String)>,
    limiter: Option<LimiterStatus>,
    /// Set by formats that know a request was rate limited from other signals (Envoy flags).
    pub rate_limited: Option<LimiterKind>,
}

impl std::fmt::Debug for Draft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Draft(<redacted>)")
    }
}

/// Why a value could not be read: names the field, never quotes it.
fn bad(var: &Var, why: &str) -> String {
    format!("{} {why}", var.what())
}

/// `-` and the empty string mean "not logged" in every text format.
pub fn is_missing(raw: &str) -> bool {
    let t = raw.trim();
    t.is_empty() || t == "-"
}

fn finer(old: Option<Stamp>, new: Stamp) -> Option<Stamp> {
    match old {
        Some(o) if o.resolution <= new.resolution => Some(o),
        _ => Some(new),
    }
}

fn keep_first(slot: &mut Option<String>, raw: &str) {
    if slot.is_none() {
        *slot = Some(raw.trim().to_string());
    }
}

impl Draft {
    /// Reads one raw value into the field `var` names. `-` and empty values are "not logged".
    pub fn apply(&mut self, var: &Var, raw: &str) -> Result<(), String> {
        if is_missing(raw) || *var == Var::Ignore {
            return Ok(());
        }
        let raw = raw.trim();
        match var {
            Var::TimeClf(m) => self.time(*m, time::clf(raw).map_err(|e| e.to_string())?),
            Var::TimeIso(m) => self.time(*m, time::rfc3339(raw).map_err(|e| e.to_string())?),
            Var::TimeEpoch(unit, m) => {
                self.time(*m, time::epoch(raw, *unit).map_err(|e| e.to_string())?)
            }
            Var::TimeStrftime(format, m) => {
                self.time(*m, time::strftime(raw, format).map_err(|e| e.to_string())?)
            }
            Var::TimeAny(m) => {
                let stamp = if raw.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                    time::epoch(raw, EpochUnit::Detect)
                } else {
                    time::rfc3339(raw)
                };
                self.time(*m, stamp.map_err(|e| e.to_string())?)
            }
            Var::Request => {
                let parts: Vec<&str> = raw.split_ascii_whitespace().collect();
                if !(2..=3).contains(&parts.len()) {
                    return Err("the request line is not METHOD TARGET PROTOCOL".into());
                }
                self.method(parts[0], &Var::Method)?;
                keep_first(&mut self.target, parts[1]);
            }
            Var::Method => self.method(raw, var)?,
            Var::Target => keep_first(&mut self.target, raw),
            Var::Path => keep_first(&mut self.path, raw),
            Var::Host => keep_first(&mut self.host, raw),
            Var::Status => {
                let s: u16 = raw
                    .parse()
                    .map_err(|_| bad(var, "is not a number"))
                    .and_then(|s| match s {
                        0 => Ok(0),
                        100..=999 => Ok(s),
                        _ => Err(bad(var, "is not an HTTP status")),
                    })?;
                if s != 0 && self.status.is_none() {
                    self.status = Some(s);
                }
            }
            Var::Duration(unit) => {
                let v: f64 = raw
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| bad(var, "is not a number of the unit"))?;
                let scale = match unit {
                    DurationUnit::Seconds => SECOND as f64,
                    DurationUnit::Millis => MILLISECOND as f64,
                    DurationUnit::Micros => 1.0,
                };
                let us = v * scale;
                if us > (30 * 86_400 * SECOND) as f64 {
                    return Err(bad(var, "is longer than 30 days"));
                }
                let us = us.round() as Micros;
                // keep the finest unit logged
                if self.duration.is_none_or(|(_, u)| *unit > u) {
                    self.duration = Some((us, *unit));
                }
            }
            Var::Authorization => keep_first(&mut self.authorization, raw),
            Var::Token => keep_first(&mut self.token, raw),
            Var::UserAgent => keep_first(&mut self.user_agent, raw),
            Var::RemoteAddr => keep_first(&mut self.remote, raw),
            Var::ForwardedFor => keep_first(&mut self.forwarded, raw),
            Var::User => keep_first(&mut self.user, raw),
            Var::Client => keep_first(&mut self.client, raw),
            Var::ClientName => keep_first(&mut self.client_name, raw),
            Var::Template => keep_first(&mut self.template, raw),
            Var::Correlation(rank) => {
                if self.correlation.as_ref().is_none_or(|(r, _)| rank < r) {
                    self.correlation = Some((*rank, raw.to_string()));
                }
            }
            Var::LimitReq | Var::LimitConn => {
                let outcome = match raw.to_ascii_uppercase().as_str() {
                    "PASSED" => LimiterOutcome::Passed,
                    "DELAYED" => LimiterOutcome::Delayed,
                    "REJECTED" => LimiterOutcome::Rejected,
                    "DELAYED_DRY_RUN" => LimiterOutcome::DelayedDryRun,
                    "REJECTED_DRY_RUN" => LimiterOutcome::RejectedDryRun,
                    _ => return Err(bad(var, "is not one nginx writes")),
                };
                let kind = if *var == Var::LimitReq {
                    LimiterKind::NginxRequests
                } else {
                    LimiterKind::NginxConnections
                };
                // the limiter that acted wins: rejected over delayed over dry runs over passed
                if self.limiter.is_none_or(|l| outcome > l.outcome) {
                    self.limiter = Some(LimiterStatus { kind, outcome });
                }
            }
            Var::Ignore => {}
        }
        Ok(())
    }

    fn time(&mut self, moment: Moment, stamp: Stamp) {
        match moment {
            Moment::Start => self.start = finer(self.start, stamp),
            Moment::End => self.end = finer(self.end, stamp),
        }
    }

    fn method(&mut self, raw: &str, var: &Var) -> Result<(), String> {
        let m = Method::parse(raw);
        if m == Method::Other(None) {
            return Err(bad(var, "is not an HTTP method"));
        }
        if self.method.is_none() {
            self.method = Some(m);
        }
        Ok(())
    }

    /// Sets the response status if none is set (formats with typed numbers).
    pub fn set_status(&mut self, status: u16) {
        if self.status.is_none() && status != 0 {
            self.status = Some(status);
        }
    }

    /// Turns the draft into a record. `line` is the 1-based line it came from.
    pub fn finish(self, line: u64, key: &FingerprintKey) -> Result<Finished, String> {
        let duration = self.duration.map(|(d, _)| d);
        let (time, resolution, from_end) = match (self.start, self.end) {
            (Some(s), _) => (s.at, s.resolution, false),
            (None, Some(e)) => match duration {
                Some(d) => (e.at - d, e.resolution, false),
                None => (e.at, e.resolution, true),
            },
            (None, None) => return Err("the line has no time".into()),
        };
        let method = self.method.ok_or("the line has no method")?;
        let (target_host, path) = match self.target.as_deref().map(split_target) {
            Some(Some((h, p))) => (h, Some(p)),
            Some(None) => return Err("the path is neither /path nor an absolute URL".into()),
            None => (None, None),
        };
        let path = match (path, self.path.as_deref()) {
            (Some(p), _) => Some(p),
            (None, Some(p)) => match split_target(p) {
                Some((_, p)) => Some(p),
                None => return Err("the path is neither /path nor an absolute URL".into()),
            },
            (None, None) => None,
        };
        if path.is_none() && self.template.is_none() {
            return Err("the line has no path".into());
        }
        let host = self
            .host
            .or(target_host)
            .map(|h| h.to_ascii_lowercase())
            .filter(|h| !h.is_empty());
        let credential = self.authorization.as_deref().or(self.token.as_deref());
        let id = identity::identify(credential, None, None, key);
        let client = self.client.or_else(|| {
            id.client
                .as_ref()
                .map(|(_, c)| c.expose_for_computation().clone())
        });
        let ip = self
            .forwarded
            .as_deref()
            .and_then(|f| f.split(',').next())
            .map(str::trim)
            .filter(|f| !is_missing(f) && !f.eq_ignore_ascii_case("unknown"))
            .map(str::to_string)
            .or(self.remote);
        let limiter = match (self.limiter, self.rate_limited) {
            (Some(l), _) => Some(l),
            (None, Some(kind)) => Some(LimiterStatus {
                kind,
                outcome: LimiterOutcome::Rejected,
            }),
            (None, None) => None,
        };
        let throttled = self.status == Some(429)
            || limiter.is_some_and(|l| l.outcome == LimiterOutcome::Rejected);
        let shared = |s: Option<String>| s.map(|s| Sensitive::new(Arc::<str>::from(s)));
        Ok(Finished {
            record: ServerRecord {
                line,
                time,
                interval: 0,
                method,
                host: shared(host),
                path: path.map(Sensitive::new),
                template: self.template,
                status: self.status,
                duration,
                client: shared(client),
                client_name: shared(self.client_name),
                user: shared(self.user),
                token: id.token,
                correlation: self.correlation.map(|(_, c)| Sensitive::new(c)),
                user_agent: shared(self.user_agent),
                ip: shared(ip),
                count: 1,
                throttled: u32::from(throttled),
                limiter,
            },
            resolution,
            from_end,
        })
    }
}

/// A record and what the builder needs to know about how its time was read.
#[derive(Debug)]
pub struct Finished {
    /// The record.
    pub record: ServerRecord,
    /// Precision of its time.
    pub resolution: Micros,
    /// Its time is when the line was written (no duration to go back by).
    pub from_end: bool,
}

/// Splits a request target into (host, path without query or fragment): `/a?b` → (None,
/// `/a`), `https://h/a` → (`h`, `/a`), `*` → (None, `*`). `None` for anything else (the
/// authority form of CONNECT, garbage).
pub fn split_target(t: &str) -> Option<(Option<String>, String)> {
    let t = t.trim();
    if t == "*" {
        return Some((None, "*".into()));
    }
    if t.starts_with('/') && !t.starts_with("//") {
        let end = t.find(['?', '#']).unwrap_or(t.len());
        return Some((None, t[..end].to_string()));
    }
    let lower = t.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let parts = url::split(t)?;
        return Some((Some(parts.host), parts.path.into_owned()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FingerprintKey {
        FingerprintKey::from_passphrase("fields")
    }

    #[test]
    fn nginx_variables_map_to_fields() {
        assert_eq!(nginx_var("time_local"), Var::TimeClf(Moment::End));
        assert_eq!(nginx_var("http_authorization"), Var::Authorization);
        assert_eq!(nginx_var("HTTP_USER_AGENT"), Var::UserAgent);
        assert_eq!(nginx_var("http_x_request_id"), Var::Correlation(2));
        assert_eq!(
            nginx_var("upstream_http_inin_correlation_id"),
            Var::Correlation(0)
        );
        assert_eq!(nginx_var("sent_http_authorization"), Var::Ignore);
        assert_eq!(nginx_var("request_id"), Var::Correlation(RANK_SERVER_ID));
        assert_eq!(nginx_var("body_bytes_sent"), Var::Ignore);
    }

    #[test]
    fn a_draft_becomes_a_record() {
        let mut d = Draft::default();
        d.apply(&Var::TimeClf(Moment::End), "28/Nov/2026:03:06:38 +0000")
            .unwrap();
        d.apply(&Var::Request, "GET /api/v2/users/u1?expand=x HTTP/1.1")
            .unwrap();
        d.apply(&Var::Status, "429").unwrap();
        d.apply(&Var::Duration(DurationUnit::Seconds), "0.250")
            .unwrap();
        d.apply(&Var::Authorization, "Bearer tok-1").unwrap();
        d.apply(&Var::ForwardedFor, "203.0.113.9, 10.0.0.1")
            .unwrap();
        d.apply(&Var::RemoteAddr, "10.0.0.2").unwrap();
        d.apply(&Var::Correlation(RANK_SERVER_ID), "nginx-id")
            .unwrap();
        d.apply(&Var::Correlation(0), "c-1").unwrap();
        let f = d.finish(7, &key()).unwrap();
        let r = f.record;
        assert_eq!(r.line, 7);
        assert_eq!(r.time, 1_795_835_198_000_000 - 250_000);
        assert!(!f.from_end);
        assert_eq!(f.resolution, SECOND);
        assert_eq!(r.method, Method::Get);
        assert_eq!(
            r.path.as_ref().map(|p| p.expose_for_computation().as_str()),
            Some("/api/v2/users/u1")
        );
        assert_eq!(r.status, Some(429));
        assert_eq!(r.throttled, 1);
        assert_eq!(
            r.token,
            identity::identify(Some("Bearer tok-1"), None, None, &key()).token
        );
        assert_eq!(
            r.ip.as_ref().map(|i| &**i.expose_for_computation()),
            Some("203.0.113.9")
        );
        assert_eq!(
            r.correlation
                .as_ref()
                .map(|c| c.expose_for_computation().as_str()),
            Some("c-1")
        );
    }

    #[test]
    fn missing_and_bad_values() {
        let mut d = Draft::default();
        d.apply(&Var::Status, "-").unwrap();
        assert!(d.apply(&Var::Status, "abc").unwrap_err().contains("status"));
        assert!(d.apply(&Var::Request, "\u{16}\u{3}garbage").is_err());
        assert!(d.apply(&Var::Method, "G E T").is_err());
        assert!(
            d.apply(&Var::Duration(DurationUnit::Seconds), "nan")
                .is_err()
        );
        assert!(d.apply(&Var::LimitReq, "MAYBE").is_err());
        assert_eq!(
            Draft::default().finish(1, &key()).unwrap_err(),
            "the line has no time"
        );
    }

    #[test]
    fn limiter_rejections_are_throttles_whatever_the_status() {
        let mut d = Draft::default();
        d.apply(&Var::TimeIso(Moment::Start), "2026-11-28T03:06:37Z")
            .unwrap();
        d.apply(&Var::Request, "PUT /x HTTP/1.1").unwrap();
        d.apply(&Var::Status, "503").unwrap();
        d.apply(&Var::LimitConn, "PASSED").unwrap();
        d.apply(&Var::LimitReq, "REJECTED").unwrap();
        let r = d.finish(1, &key()).unwrap().record;
        assert_eq!(r.throttled, 1);
        assert_eq!(
            r.limiter,
            Some(LimiterStatus {
                kind: LimiterKind::NginxRequests,
                outcome: LimiterOutcome::Rejected
            })
        );
    }

    #[test]
    fn targets() {
        assert_eq!(split_target("/a/b?c#d"), Some((None, "/a/b".into())));
        assert_eq!(
            split_target("https://API.example.com:8443/a?x"),
            Some((Some("api.example.com:8443".into()), "/a".into()))
        );
        assert_eq!(split_target("*"), Some((None, "*".into())));
        assert_eq!(split_target("example.com:443"), None);
        assert_eq!(split_target("//evil"), None);
    }
}

//! Envoy and Istio JSON access logs.
//!
//! Owns the key table of Envoy's JSON access log as Envoy's documentation and Istio's default
//! JSON encoding name the fields (`start_time`, `method`, `path`, `response_code`,
//! `response_flags`, `response_code_details`, `duration` in ms, `x_forwarded_for`,
//! `user_agent`, `request_id`, `authority`, `downstream_remote_address`, ...; dashes and
//! colons in header-style keys such as `x-forwarded-for` or `:authority` are accepted too),
//! and how a line is recognised. A request was rate limited when its response flags hold `RL`
//! (or the long form `RateLimited`) or its response code details say `local_rate_limited` /
//! `request_rate_limited`. `start_time` is the arrival. Pure.

use serde_json::{Map, Value};

use super::fields::{Draft, DurationUnit, Moment, Var};
use super::json::{self, KeyMap, Rule, fold};
use crate::model::LimiterKind;

/// The key table (compared after `json::fold`).
pub fn keys() -> KeyMap {
    let pairs = [
        ("start_time", Var::TimeAny(Moment::Start)),
        ("method", Var::Method),
        ("path", Var::Target),
        ("x_envoy_original_path", Var::Target),
        ("response_code", Var::Status),
        ("duration", Var::Duration(DurationUnit::Millis)),
        ("x_forwarded_for", Var::ForwardedFor),
        ("user_agent", Var::UserAgent),
        ("request_id", Var::Correlation(2)),
        ("x_request_id", Var::Correlation(2)),
        ("x_correlation_id", Var::Correlation(1)),
        ("inin_correlation_id", Var::Correlation(0)),
        ("authority", Var::Host),
        ("authorization", Var::Authorization),
    ];
    KeyMap::folded(
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), Rule::Var(v))),
    )
}

/// Whether a parsed first line is an Envoy JSON access log: `start_time` beside
/// `response_code`, `response_flags` or `method`.
pub fn looks_like(obj: &Map<String, Value>) -> bool {
    let keys: Vec<String> = obj.keys().map(|k| fold(k)).collect();
    let has = |k: &str| keys.iter().any(|x| x == k);
    has("start_time") && (has("response_code") || has("response_flags") || has("method"))
}

/// `1.2.3.4:5678` → `1.2.3.4`; `[2001:db8::1]:443` → `2001:db8::1`.
fn without_port(addr: &str) -> &str {
    let a = addr.trim();
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match a.rsplit_once(':') {
        // one colon: host:port; more: a bare IPv6 address
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => a,
    }
}

/// Reads one line.
pub fn draft(line: &str, keys: &KeyMap) -> Result<Draft, String> {
    let obj = json::object(line)?;
    let mut d = Draft::default();
    json::read(&obj, keys, &mut d)?;
    for (k, v) in &obj {
        let Ok(Some(text)) = json::text(v) else {
            continue;
        };
        match fold(k).as_str() {
            "response_flags"
                if text
                    .split(',')
                    .any(|f| matches!(f.trim(), "RL" | "RateLimited")) =>
            {
                d.rate_limited = Some(LimiterKind::Envoy);
            }
            "response_code_details"
                if matches!(text.trim(), "local_rate_limited" | "request_rate_limited") =>
            {
                d.rate_limited = Some(LimiterKind::Envoy);
            }
            "downstream_remote_address" => d.apply(&Var::RemoteAddr, without_port(&text))?,
            _ => {}
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LimiterOutcome, Method, time::MILLISECOND};
    use crate::normalize::FingerprintKey;

    fn key() -> FingerprintKey {
        FingerprintKey::from_passphrase("envoy")
    }

    /// A line of Envoy's JSON access log configured with the default format's operators as
    /// keys (typed JSON: numbers stay numbers).
    const ENVOY: &str = r#"{"start_time":"2026-11-28T03:06:37.043Z","method":"GET","path":"/api/v2/users/u1/presences/purecloud?x=1","protocol":"HTTP/1.1","response_code":429,"response_flags":"RL","bytes_received":0,"bytes_sent":18,"duration":2,"upstream_service_time":null,"x-forwarded-for":"198.51.100.7","user-agent":"Mozilla/5.0","x-request-id":"9d2c7b1e-4f7a-4b7e-9a61-0c3f5e2d1a00",":authority":"api.example.com","upstream_host":null}"#;

    /// A line of Istio's default JSON access log (`meshConfig.accessLogEncoding: JSON`).
    const ISTIO: &str = r#"{"start_time":"2026-11-28T03:06:38.120Z","route_name":"default","method":"PUT","path":"/api/v2/architect/ivrs/ivr-7","protocol":"HTTP/2","response_code":200,"response_flags":"-","response_code_details":"via_upstream","connection_termination_details":null,"upstream_transport_failure_reason":null,"bytes_received":412,"bytes_sent":1022,"duration":87,"upstream_service_time":"85","x_forwarded_for":"203.0.113.4","user_agent":"PureCloud-SDK/1.0","request_id":"3f9c1f8e-0d1b-4c1a-8f55-1e2f3a4b5c6d","authority":"api.example.com","upstream_host":"10.1.2.3:8080","upstream_cluster":"outbound|8080||ivr.default.svc.cluster.local","upstream_local_address":"10.1.2.9:51234","downstream_local_address":"10.1.2.9:8080","downstream_remote_address":"10.1.0.1:40112","requested_server_name":null}"#;

    #[test]
    fn envoy_default_keys() {
        let obj = json::object(ENVOY).unwrap();
        assert!(looks_like(&obj));
        let f = draft(ENVOY, &keys()).unwrap().finish(1, &key()).unwrap();
        assert_eq!(f.resolution, MILLISECOND);
        let r = f.record;
        assert_eq!(r.time, 1_795_835_197_043_000);
        assert_eq!(r.method, Method::Get);
        assert_eq!(
            r.path.unwrap().expose_for_computation(),
            "/api/v2/users/u1/presences/purecloud"
        );
        assert_eq!(r.status, Some(429));
        assert_eq!(r.duration, Some(2_000));
        assert_eq!(r.throttled, 1);
        assert_eq!(r.limiter.unwrap().kind, LimiterKind::Envoy);
        assert_eq!(r.limiter.unwrap().outcome, LimiterOutcome::Rejected);
        assert_eq!(&**r.ip.unwrap().expose_for_computation(), "198.51.100.7");
        assert_eq!(
            &**r.host.unwrap().expose_for_computation(),
            "api.example.com"
        );
        assert!(r.correlation.is_some());
    }

    #[test]
    fn istio_default_json() {
        let obj = json::object(ISTIO).unwrap();
        assert!(looks_like(&obj));
        let r = draft(ISTIO, &keys())
            .unwrap()
            .finish(1, &key())
            .unwrap()
            .record;
        assert_eq!(r.time, 1_795_835_198_120_000);
        assert_eq!(r.method, Method::Put);
        assert_eq!(r.status, Some(200));
        assert_eq!(r.duration, Some(87_000));
        assert_eq!(r.throttled, 0);
        assert!(r.limiter.is_none());
        // x_forwarded_for names the client; the downstream address is the ingress
        assert_eq!(&**r.ip.unwrap().expose_for_computation(), "203.0.113.4");
        assert_eq!(
            r.correlation.unwrap().expose_for_computation(),
            "3f9c1f8e-0d1b-4c1a-8f55-1e2f3a4b5c6d"
        );
    }

    #[test]
    fn local_rate_limits_and_addresses() {
        let line = r#"{"start_time":"2026-11-28T03:06:37.043Z","method":"GET","path":"/a","response_code":429,"response_flags":"-","response_code_details":"local_rate_limited","downstream_remote_address":"[2001:db8::1]:443"}"#;
        let r = draft(line, &keys())
            .unwrap()
            .finish(1, &key())
            .unwrap()
            .record;
        assert_eq!(r.limiter.unwrap().kind, LimiterKind::Envoy);
        assert_eq!(&**r.ip.unwrap().expose_for_computation(), "2001:db8::1");
        assert_eq!(without_port("10.0.0.1:80"), "10.0.0.1");
        assert_eq!(without_port("2001:db8::1"), "2001:db8::1");
    }
}

//! why429's generic server-log form: JSON Lines, one request per line.
//!
//! Owns the key table of the form `DESIGN.md` documents (`time`, `method`, `path` or `url`,
//! `status`, `duration_ms`, `client`, `user`, `token`, `correlation_id`, `user_agent`, `ip`;
//! also `template`, `host` and `client_name`) and how a line is recognised as one. `time` is
//! RFC 3339 with a zone, or an epoch number in seconds, milliseconds or microseconds (told by
//! its size); a `url` loses its scheme, host (kept as the host) and query. Pure.

use serde_json::{Map, Value};

use super::fields::{Draft, DurationUnit, Moment, Var};
use super::json::{self, KeyMap, Rule};

/// The key table.
pub fn keys() -> KeyMap {
    let pairs = [
        ("time", Var::TimeAny(Moment::Start)),
        ("method", Var::Method),
        ("path", Var::Target),
        ("url", Var::Target),
        ("status", Var::Status),
        ("duration_ms", Var::Duration(DurationUnit::Millis)),
        ("client", Var::Client),
        ("client_name", Var::ClientName),
        ("user", Var::User),
        ("token", Var::Token),
        ("correlation_id", Var::Correlation(0)),
        ("user_agent", Var::UserAgent),
        ("ip", Var::RemoteAddr),
        ("template", Var::Template),
        ("host", Var::Host),
    ];
    KeyMap::exact(
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), Rule::Var(v))),
    )
}

/// Whether a parsed first line is the generic form: it has `time` and `method`.
pub fn looks_like(obj: &Map<String, Value>) -> bool {
    obj.contains_key("time") && obj.contains_key("method")
}

/// Reads one line.
pub fn draft(line: &str, keys: &KeyMap) -> Result<Draft, String> {
    let obj = json::object(line)?;
    let mut d = Draft::default();
    json::read(&obj, keys, &mut d)?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Method, time::MILLISECOND};
    use crate::normalize::FingerprintKey;
    use crate::normalize::identity::identify;

    fn key() -> FingerprintKey {
        FingerprintKey::from_passphrase("generic")
    }

    #[test]
    fn the_documented_example() {
        let line = r#"{"time": "2026-11-28T03:06:37.043Z", "method": "GET", "path": "/api/v2/users/u1/presences/purecloud", "status": 200, "duration_ms": 41.0, "client": "client-genesys-cloud-ui", "user": "user-alice", "token": "raw-bearer-value", "correlation_id": "b09ff13d-0000", "user_agent": "Mozilla/5.0", "ip": "198.51.100.7"}"#;
        let f = draft(line, &keys()).unwrap().finish(3, &key()).unwrap();
        let r = f.record;
        assert_eq!(r.time, 1_795_835_197_043_000);
        assert_eq!(f.resolution, MILLISECOND);
        assert_eq!(r.method, Method::Get);
        assert_eq!(
            r.path.unwrap().expose_for_computation(),
            "/api/v2/users/u1/presences/purecloud"
        );
        assert_eq!(r.status, Some(200));
        assert_eq!(r.duration, Some(41_000));
        assert_eq!(
            &**r.client.unwrap().expose_for_computation(),
            "client-genesys-cloud-ui"
        );
        assert_eq!(&**r.user.unwrap().expose_for_computation(), "user-alice");
        assert_eq!(
            r.token,
            identify(Some("Bearer raw-bearer-value"), None, None, &key()).token
        );
        assert_eq!(r.count, 1);
        assert_eq!(r.throttled, 0);
    }

    #[test]
    fn epoch_times_and_urls() {
        for (time, expect) in [
            ("1795835197", 1_795_835_197_000_000),
            ("1795835197.5", 1_795_835_197_500_000),
            ("1795835197500", 1_795_835_197_500_000),
        ] {
            let line = format!(
                r#"{{"time": {time}, "method": "put", "url": "https://api.example.com/a/b?secret=1#f", "status": "429"}}"#
            );
            let r = draft(&line, &keys())
                .unwrap()
                .finish(1, &key())
                .unwrap()
                .record;
            assert_eq!(r.time, expect, "{time}");
            assert_eq!(r.method, Method::Put);
            assert_eq!(r.path.unwrap().expose_for_computation(), "/a/b");
            assert_eq!(
                &**r.host.unwrap().expose_for_computation(),
                "api.example.com"
            );
            assert_eq!(r.throttled, 1);
        }
    }

    #[test]
    fn unusable_lines_say_why() {
        let k = keys();
        let reason = |line: &str| match draft(line, &k) {
            Err(e) => e,
            Ok(d) => d.finish(1, &key()).unwrap_err(),
        };
        assert_eq!(
            reason(r#"{"method": "GET", "path": "/a"}"#),
            "the line has no time"
        );
        assert!(
            reason(r#"{"time": "2026-11-28T03:06:37", "method": "GET", "path": "/a"}"#)
                .contains("no zone")
        );
        assert_eq!(
            reason(r#"{"time": "2026-11-28T03:06:37Z", "path": "/a"}"#),
            "the line has no method"
        );
        assert_eq!(
            reason(r#"{"time": "2026-11-28T03:06:37Z", "method": "GET"}"#),
            "the line has no path"
        );
        assert!(
            reason(r#"{"time": "2026-11-28T03:06:37Z", "method": "GET", "path": {"x": 1}}"#)
                .contains("not a single value")
        );
        assert!(reason("not json").contains("not valid JSON"));
    }
}

//! nginx access logs: a `log_format` compiled into a matcher, and `escape=json` logs.
//!
//! Owns reading nginx's format syntax (`$name` and `${name}` variables between literal text,
//! given bare, as the quoted strings of a whole `log_format name [escape=...] '...' '...';`
//! directive, or as `combined`, nginx's default) into pattern tokens; a format whose text is a
//! JSON object (`escape=json '{"time":"$time_iso8601",...}'`) becomes a key table instead, and
//! without a format a JSON log's keys are read by their variable names (`time_local`,
//! `request`, `status`, ...) and a few common aliases. Variables why429 does not use are
//! matched and ignored. nginx writes a line when the response is sent, so its time variables
//! give the end of a request. Pure.

use super::fields::{Moment, Var, nginx_var};
use super::json::{KeyMap, Rule, fold};
use super::pattern::{self, Pattern, Token};

/// nginx's predefined `combined` format.
pub const COMBINED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;

/// A compiled nginx format.
#[derive(Clone, Debug)]
pub enum Format {
    /// A text log.
    Text(Pattern),
    /// An `escape=json` log.
    Json(KeyMap),
}

/// The format text inside a `log_format` directive, or the text as given.
fn unwrap_directive(spec: &str) -> Result<String, String> {
    let s = spec.trim();
    if !s.starts_with("log_format") {
        return Ok(s.to_string());
    }
    // log_format NAME [escape=default|json|none] 'part' "part" ... ;
    let mut rest = s["log_format".len()..].trim_start();
    let name_end = rest
        .find(|c: char| c.is_whitespace())
        .ok_or("the log_format directive has no format string")?;
    rest = rest[name_end..].trim_start();
    if let Some(r) = rest.strip_prefix("escape=") {
        let end = r.find(|c: char| c.is_whitespace()).unwrap_or(r.len());
        rest = r[end..].trim_start();
    }
    let mut out = String::new();
    let mut chars = rest.chars().peekable();
    let mut parts = 0;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                parts += 1;
                let quote = c;
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => match chars.next() {
                            Some('n') => out.push('\n'),
                            Some('t') => out.push('\t'),
                            Some(other) => out.push(other),
                            None => {}
                        },
                        c if c == quote => {
                            closed = true;
                            break;
                        }
                        c => out.push(c),
                    }
                }
                if !closed {
                    return Err("a quoted part of the log_format directive is not closed".into());
                }
            }
            ';' => break,
            c if c.is_whitespace() => {}
            _ => {
                return Err(
                    "the log_format directive has text outside its quoted format strings".into(),
                );
            }
        }
    }
    if parts == 0 {
        return Err("the log_format directive has no format string".into());
    }
    Ok(out)
}

/// Splits nginx format text into literal text and variables.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let (name, next) = if b.get(i + 1) == Some(&b'{') {
                match text[i + 2..].find('}') {
                    Some(end) => (&text[i + 2..i + 2 + end], i + 3 + end),
                    None => ("", i + 1),
                }
            } else {
                let end = text[i + 1..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(text.len(), |e| i + 1 + e);
                (&text[i + 1..end], end)
            };
            if !name.is_empty() && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
                if !lit.is_empty() {
                    out.push(Token::Lit(std::mem::take(&mut lit)));
                }
                out.push(Token::Field {
                    var: nginx_var(name),
                    bracketed: false,
                });
                i = next;
                continue;
            }
        }
        let ch = text[i..].chars().next().unwrap_or('$');
        lit.push(ch);
        i += ch.len_utf8();
    }
    if !lit.is_empty() {
        out.push(Token::Lit(lit));
    }
    out
}

/// Compiles a format given by the user: `combined`, format text, or a `log_format` directive.
pub fn compile(spec: &str) -> Result<Format, String> {
    let text = if spec.trim() == "combined" {
        COMBINED.to_string()
    } else {
        unwrap_directive(spec)?
    };
    if text.trim_start().starts_with('{') {
        return json_template(&text).map(Format::Json);
    }
    let toks = tokens(&text);
    let vars: Vec<Var> = toks
        .iter()
        .filter_map(|t| match t {
            Token::Field { var, .. } => Some(var.clone()),
            Token::Lit(_) => None,
        })
        .collect();
    pattern::check_usable(&vars)?;
    Ok(Format::Text(Pattern::compile(&toks, false)?))
}

/// `combined` that also reads lines with more fields after it (how a log recognised as
/// combined is read: custom formats often append `$request_time` and friends).
pub fn combined_prefix() -> Pattern {
    static COMPILED: std::sync::OnceLock<Pattern> = std::sync::OnceLock::new();
    COMPILED
        .get_or_init(|| {
            // a constant of this file, not input: a failure is a bug caught by the tests
            Pattern::compile(&tokens(COMBINED), true).expect("the combined format compiles")
        })
        .clone()
}

/// Reads a JSON `log_format` template (`{"time": "$time_iso8601", "status": $status, ...}`)
/// into a key table. Values may be quoted text with variables, or a bare variable.
fn json_template(text: &str) -> Result<KeyMap, String> {
    const BAD: &str = "the JSON log_format is not an object of \"key\": value pairs";
    let b = text.trim().as_bytes();
    let mut i = 0;
    let ws = |i: &mut usize| {
        while b.get(*i).is_some_and(u8::is_ascii_whitespace) {
            *i += 1;
        }
    };
    // a JSON string starting at b[*i] == '"'; returns its raw inner text
    let string = |i: &mut usize| -> Result<String, String> {
        if b.get(*i) != Some(&b'"') {
            return Err(BAD.into());
        }
        *i += 1;
        let start = *i;
        while let Some(&c) = b.get(*i) {
            match c {
                b'\\' => *i += 2,
                b'"' => {
                    let inner = std::str::from_utf8(&b[start..*i]).map_err(|_| BAD.to_string())?;
                    *i += 1;
                    // keys and literal text: undo JSON escapes of quotes and backslashes
                    return Ok(inner.replace("\\\"", "\"").replace("\\\\", "\\"));
                }
                _ => *i += 1,
            }
        }
        Err(BAD.into())
    };
    ws(&mut i);
    if b.get(i) != Some(&b'{') {
        return Err(BAD.into());
    }
    i += 1;
    let mut pairs: Vec<(String, Rule)> = Vec::new();
    loop {
        ws(&mut i);
        if b.get(i) == Some(&b'}') {
            break;
        }
        let key = string(&mut i)?;
        ws(&mut i);
        if b.get(i) != Some(&b':') {
            return Err(BAD.into());
        }
        i += 1;
        ws(&mut i);
        let value = if b.get(i) == Some(&b'"') {
            string(&mut i)?
        } else {
            let start = i;
            while b.get(i).is_some_and(|c| !matches!(c, b',' | b'}')) {
                i += 1;
            }
            std::str::from_utf8(&b[start..i])
                .map_err(|_| BAD.to_string())?
                .trim()
                .to_string()
        };
        let toks = tokens(&value);
        let rule = match toks.as_slice() {
            [Token::Field { var, .. }] => Rule::Var(var.clone()),
            t if t
                .iter()
                .any(|t| matches!(t, Token::Field { var, .. } if *var != Var::Ignore)) =>
            {
                Rule::Template(Pattern::compile(t, false)?)
            }
            _ => Rule::Var(Var::Ignore),
        };
        pairs.push((key, rule));
        ws(&mut i);
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => break,
            _ => return Err(BAD.into()),
        }
    }
    let map = KeyMap::exact(pairs);
    pattern::check_usable(&map.vars())?;
    Ok(map)
}

/// Keys of nginx JSON logs written without a format at hand: any key named like an nginx
/// variable (with or without `$`), plus common aliases.
pub fn json_keys() -> KeyMap {
    let mut pairs: Vec<(String, Rule)> = [
        "time_local",
        "time_iso8601",
        "msec",
        "request",
        "request_method",
        "request_uri",
        "uri",
        "host",
        "http_host",
        "status",
        "request_time",
        "remote_addr",
        "realip_remote_addr",
        "remote_user",
        "request_id",
        "http_authorization",
        "http_user_agent",
        "http_x_forwarded_for",
        "http_x_request_id",
        "http_x_correlation_id",
        "http_inin_correlation_id",
        "sent_http_inin_correlation_id",
        "sent_http_x_request_id",
        "sent_http_x_correlation_id",
        "upstream_http_inin_correlation_id",
        "upstream_http_x_request_id",
        "upstream_http_x_correlation_id",
        "limit_req_status",
        "limit_conn_status",
    ]
    .iter()
    .map(|v| (v.to_string(), Rule::Var(nginx_var(v))))
    .collect();
    for (alias, var) in [
        ("time", Var::TimeAny(Moment::End)),
        ("timestamp", Var::TimeAny(Moment::End)),
        ("@timestamp", Var::TimeAny(Moment::End)),
        ("method", Var::Method),
        ("path", Var::Target),
        ("url", Var::Target),
        ("status_code", Var::Status),
        ("user_agent", Var::UserAgent),
        ("remote_ip", Var::RemoteAddr),
        ("client_ip", Var::RemoteAddr),
        ("x_forwarded_for", Var::ForwardedFor),
        ("x_request_id", Var::Correlation(2)),
        ("correlation_id", Var::Correlation(1)),
    ] {
        pairs.push((alias.to_string(), Rule::Var(var)));
    }
    KeyMap::folded(pairs)
}

/// Whether a parsed JSON line looks like an nginx JSON log: it has a key named like one of
/// nginx's time variables and one of its request variables.
pub fn looks_like_json(obj: &serde_json::Map<String, serde_json::Value>) -> bool {
    let keys: Vec<String> = obj.keys().map(|k| fold(k)).collect();
    let has = |names: &[&str]| keys.iter().any(|k| names.contains(&k.as_str()));
    has(&["time_local", "time_iso8601", "msec"])
        && has(&["request", "request_uri", "request_method", "uri"])
}

#[cfg(test)]
mod tests {
    use super::super::fields::Draft;
    use super::super::json;
    use super::*;
    use crate::model::{LimiterOutcome, Method, time::SECOND};
    use crate::normalize::FingerprintKey;
    use crate::normalize::identity::identify;

    fn key() -> FingerprintKey {
        FingerprintKey::from_passphrase("nginx")
    }

    fn text(spec: &str) -> Pattern {
        match compile(spec).unwrap() {
            Format::Text(p) => p,
            Format::Json(_) => panic!("not text"),
        }
    }

    #[test]
    fn combined_lines() {
        let p = text("combined");
        let mut d = Draft::default();
        p.read(
            r#"203.0.113.9 - - [28/Nov/2026:03:06:37 +0000] "GET /api/v2/users/u1/presences/purecloud?x=1 HTTP/1.1" 200 612 "https://apps.mypurecloud.ie/" "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0""#,
            &mut d,
        )
        .unwrap();
        let f = d.finish(1, &key()).unwrap();
        // no $request_time: the time is when the line was written
        assert!(f.from_end);
        assert_eq!(f.resolution, SECOND);
        let r = f.record;
        assert_eq!(r.time, 1_795_835_197_000_000);
        assert_eq!(r.method, Method::Get);
        assert_eq!(
            r.path.unwrap().expose_for_computation(),
            "/api/v2/users/u1/presences/purecloud"
        );
        assert_eq!(r.status, Some(200));
        assert_eq!(&**r.ip.unwrap().expose_for_computation(), "203.0.113.9");
        assert!(r.user_agent.is_some());
    }

    #[test]
    fn a_custom_format_with_request_time_authorization_and_limiter() {
        let p = text(
            r#"log_format ratelimit '$remote_addr [$time_local] "$request" $status '
                                   '$request_time "$http_authorization" $limit_req_status '
                                   '"$http_x_forwarded_for" $request_id';"#,
        );
        let mut d = Draft::default();
        p.read(
            r#"10.0.0.5 [28/Nov/2026:03:06:38 +0000] "PUT /api/v2/architect/ivrs/ivr-1 HTTP/1.1" 503 0.250 "Bearer tok-abc" REJECTED "198.51.100.7, 10.0.0.5" 4f1c9e"#,
            &mut d,
        )
        .unwrap();
        let f = d.finish(1, &key()).unwrap();
        assert!(!f.from_end);
        let r = f.record;
        // arrival = written − request_time
        assert_eq!(r.time, 1_795_835_198_000_000 - 250_000);
        assert_eq!(r.duration, Some(250_000));
        assert_eq!(r.method, Method::Put);
        assert_eq!(r.status, Some(503));
        assert_eq!(r.throttled, 1);
        assert_eq!(r.limiter.unwrap().outcome, LimiterOutcome::Rejected);
        assert_eq!(
            r.token,
            identify(Some("Bearer tok-abc"), None, None, &key()).token
        );
        assert_eq!(&**r.ip.unwrap().expose_for_computation(), "198.51.100.7");
        assert_eq!(r.correlation.unwrap().expose_for_computation(), "4f1c9e");
    }

    #[test]
    fn a_json_log_format() {
        let spec = r#"log_format json_combined escape=json '{"time":"$time_iso8601",'
            '"remote_addr":"$remote_addr","request":"$request","status": $status,'
            '"request_time":$request_time,"ua":"$http_user_agent","rid":"$request_id"}';"#;
        let Format::Json(keys) = compile(spec).unwrap() else {
            panic!("not JSON")
        };
        let line = r#"{"time":"2026-11-28T03:06:38+00:00","remote_addr":"198.51.100.7","request":"GET /api/v2/users/me HTTP/2.0","status": 429,"request_time":0.041,"ua":"curl/8.5.0","rid":"f00d"}"#;
        let obj = json::object(line).unwrap();
        let mut d = Draft::default();
        json::read(&obj, &keys, &mut d).unwrap();
        let r = d.finish(1, &key()).unwrap().record;
        assert_eq!(r.time, 1_795_835_198_000_000 - 41_000);
        assert_eq!(r.status, Some(429));
        assert_eq!(r.throttled, 1);
        assert_eq!(r.path.unwrap().expose_for_computation(), "/api/v2/users/me");
        // the same line read without the format, by key names
        let mut d = Draft::default();
        let obj = json::object(line).unwrap();
        assert!(looks_like_json(
            &serde_json::json!({"time_iso8601": 1, "request": 2})
                .as_object()
                .unwrap()
                .clone()
        ));
        json::read(&obj, &json_keys(), &mut d).unwrap();
        assert_eq!(d.finish(1, &key()).unwrap().record.status, Some(429));
    }

    #[test]
    fn formats_that_cannot_make_records_are_refused() {
        assert!(
            compile("$remote_addr $status")
                .unwrap_err()
                .contains("no time")
        );
        assert!(compile("log_format x '$time_local").is_err());
        assert!(compile("log_format x").is_err());
        assert!(compile(r#"{"a": "$status""#).is_err());
        // variables in braces and unknown variables
        let p = text(r#"${time_iso8601} "$request" $unknown_thing"#);
        let mut d = Draft::default();
        p.read(r#"2026-11-28T03:06:37Z "GET / HTTP/1.1" zzz"#, &mut d)
            .unwrap();
        assert!(d.finish(1, &key()).is_ok());
    }

    #[test]
    fn lines_that_do_not_match_say_so() {
        let p = text("combined");
        let e = p.read("garbage", &mut Draft::default()).unwrap_err();
        assert_eq!(e, "the line does not match the log format");
        let mut d = Draft::default();
        p.read(
            r#"1.2.3.4 - - [28/Nov/2026:03:06:37] "GET / HTTP/1.1" 200 1 "-" "-""#,
            &mut d,
        )
        .map(|_| ())
        .unwrap_err();
    }
}

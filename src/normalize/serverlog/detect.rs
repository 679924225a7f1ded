//! Which format a server log is in: the user's choice (`--server-log-format`), or what the
//! first lines show.
//!
//! Owns `FormatChoice` (parsed from the command line, format strings compiled early so a
//! mistake is reported before any file is read), `sniff` (what the first bytes are when they
//! are not a text log: empty, UTF-16, binary, a zip archive, a HAR capture) and `detect`
//! (the format of a text log from its first lines). Detection rules, in order, on the first
//! complete non-empty lines: a JSON object with `time` and `method` is the generic form;
//! `start_time` with `response_code`, `response_flags` or `method` is Envoy; `results`,
//! `executionId` or `queryStatus` (also in a pretty-printed document), or a row with
//! `templateUri` and `requests`, is a Genesys usage export; keys named like nginx variables
//! (`time_local`/`time_iso8601`/`msec` with `request`/`request_uri`/...) are an nginx JSON log;
//! text that matches nginx's `combined` (also with more fields after it) is an nginx log.
//! Pure.

use super::genesys::UsageGranularity;
use super::{apache, envoy, generic, genesys, json, nginx};

/// What the user asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FormatChoice {
    /// Recognise each file by its first lines.
    #[default]
    Auto,
    /// The generic JSON Lines form.
    Generic,
    /// nginx, with a `log_format` (None: `combined`).
    Nginx(Option<String>),
    /// nginx `escape=json`, with its `log_format` (None: keys read by variable names).
    NginxJson(Option<String>),
    /// Apache, with a `LogFormat` (None: `combined`).
    Apache(Option<String>),
    /// Envoy / Istio JSON.
    Envoy,
    /// Genesys Cloud usage query results, with the query's granularity when known.
    GenesysUsage(Option<UsageGranularity>),
}

/// The names `--server-log-format` accepts, for messages.
pub const CHOICES: &str = "auto, generic, nginx[:LOG_FORMAT], nginx-json[:LOG_FORMAT], \
                           apache[:LOGFORMAT], envoy, genesys-usage[:day|week|month], or an nginx \
                           log_format / Apache LogFormat string";

impl FormatChoice {
    /// Parses `--server-log-format`: a kind, `kind:spec`, or a bare format string (nginx if it
    /// holds `$variables` or starts with `log_format`, Apache if it holds `%` directives or
    /// starts with `LogFormat`). Format strings are compiled here, so a mistake in one is
    /// reported at once.
    pub fn parse(s: &str) -> Result<FormatChoice, String> {
        let t = s.trim();
        let (kind, spec) = match t.split_once(':') {
            Some((k, rest)) => (k.trim(), Some(rest.trim())),
            None => (t, None),
        };
        let spec_owned = spec.filter(|s| !s.is_empty()).map(str::to_string);
        let choice = match kind.to_ascii_lowercase().as_str() {
            "auto" if spec.is_none() => FormatChoice::Auto,
            "generic" | "jsonl" if spec.is_none() => FormatChoice::Generic,
            "envoy" | "istio" if spec.is_none() => FormatChoice::Envoy,
            "nginx" => FormatChoice::Nginx(spec_owned),
            "nginx-json" => FormatChoice::NginxJson(spec_owned),
            "apache" | "httpd" => FormatChoice::Apache(spec_owned),
            "genesys-usage" | "genesys" => FormatChoice::GenesysUsage(match spec {
                None | Some("") => None,
                Some(g) => Some(UsageGranularity::parse(g).ok_or_else(|| {
                    "the usage query's granularity is day, week or month".to_string()
                })?),
            }),
            _ if t.starts_with("log_format") || t.contains('$') => {
                FormatChoice::Nginx(Some(t.to_string()))
            }
            _ if t.starts_with("LogFormat") || has_apache_directive(t) => {
                FormatChoice::Apache(Some(t.to_string()))
            }
            _ => return Err(format!("unknown server-log format: use {CHOICES}")),
        };
        // compile now: a broken format string is a usage error, not a per-file one
        match &choice {
            FormatChoice::Nginx(Some(f)) => {
                nginx::compile(f)?;
            }
            FormatChoice::NginxJson(Some(f)) => {
                match nginx::compile(f)? {
                    nginx::Format::Json(_) => {}
                    nginx::Format::Text(_) => {
                        return Err("an nginx-json format is a JSON object: '{\"key\": \"$variable\", ...}'"
                        .into());
                    }
                }
            }
            FormatChoice::Apache(Some(f)) => {
                apache::compile(f)?;
            }
            _ => {}
        }
        Ok(choice)
    }
}

fn has_apache_directive(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(2)
        .any(|w| w[0] == b'%' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'{' | b'>' | b'<')))
}

/// What the first bytes of a file are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniff {
    /// Text (UTF-8): a log, perhaps.
    Text,
    /// Nothing but whitespace.
    Empty,
    /// UTF-16 text.
    Utf16,
    /// A zip archive.
    Zip,
    /// Binary data.
    Binary,
    /// A HAR capture (`{"log": ...`).
    Har,
}

/// Looks at the first bytes (a UTF-8 BOM already removed).
pub fn sniff(head: &[u8], whole: bool) -> Sniff {
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return Sniff::Utf16;
    }
    if head.starts_with(b"PK\x03\x04") {
        return Sniff::Zip;
    }
    let nuls = head.iter().filter(|b| **b == 0).count();
    if nuls > 0 {
        // ASCII text in UTF-16 without a BOM: every other byte is zero
        let odd = head.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
        let even = head.iter().step_by(2).filter(|b| **b == 0).count();
        let half = head.len() / 2;
        if half > 0 && (odd * 10 >= half * 9 || even * 10 >= half * 9) {
            return Sniff::Utf16;
        }
        return Sniff::Binary;
    }
    match std::str::from_utf8(head) {
        Ok(_) => {}
        // a character cut at the end of the head is fine
        Err(e) if !whole && e.error_len().is_none() => {}
        Err(_) => return Sniff::Binary,
    }
    if head.iter().all(u8::is_ascii_whitespace) {
        return Sniff::Empty;
    }
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start();
    if let Some(rest) = t.strip_prefix('{')
        && rest.trim_start().starts_with("\"log\"")
    {
        return Sniff::Har;
    }
    Sniff::Text
}

/// A format recognised from the first lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detected {
    /// The generic form.
    Generic,
    /// Envoy / Istio JSON.
    Envoy,
    /// nginx JSON, keys read by variable names.
    NginxJson,
    /// nginx `combined` (more fields after it are ignored).
    NginxCombined,
    /// A Genesys usage results document (or a bare array of rows).
    GenesysDocument,
    /// Genesys usage rows, one JSON object per line.
    GenesysRows,
}

/// Why no format was recognised (why429's wording).
pub const UNRECOGNISED: &str = "the format is not recognised: the first lines are neither JSON \
                                with time and method (generic), an Envoy JSON access log, a \
                                Genesys usage export, nginx JSON, nor nginx/Apache combined text";

/// Recognises the format from the first bytes of a text file (`whole`: they are the whole
/// file, so the last line is complete).
pub fn detect(head: &[u8], whole: bool) -> Option<Detected> {
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start();
    let document_keys = ["\"results\"", "\"executionId\"", "\"queryStatus\""];
    let mut lines: Vec<&str> = text.split('\n').collect();
    if !whole && lines.len() > 1 {
        lines.pop(); // cut short by the end of the head
    }
    let combined = nginx::combined_prefix();
    for line in lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .take(8)
    {
        if line.starts_with('{') {
            match json::object(line) {
                Ok(obj) => {
                    if generic::looks_like(&obj) {
                        return Some(Detected::Generic);
                    }
                    if envoy::looks_like(&obj) {
                        return Some(Detected::Envoy);
                    }
                    if ["results", "executionId", "queryStatus"]
                        .iter()
                        .any(|k| obj.contains_key(*k))
                    {
                        return Some(Detected::GenesysDocument);
                    }
                    if genesys::looks_like_row(&obj) {
                        return Some(Detected::GenesysRows);
                    }
                    if nginx::looks_like_json(&obj) {
                        return Some(Detected::NginxJson);
                    }
                    return None;
                }
                // a pretty-printed document starts with a line that is not a whole object
                Err(_) if document_keys.iter().any(|k| trimmed.contains(k)) => {
                    return Some(Detected::GenesysDocument);
                }
                Err(_) => continue,
            }
        }
        if line.starts_with('[') {
            return (trimmed.contains("\"templateUri\"")).then_some(Detected::GenesysDocument);
        }
        if combined
            .read(line, &mut super::fields::Draft::default())
            .is_ok()
        {
            return Some(Detected::NginxCombined);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices() {
        assert_eq!(FormatChoice::parse("auto"), Ok(FormatChoice::Auto));
        assert_eq!(FormatChoice::parse("generic"), Ok(FormatChoice::Generic));
        assert_eq!(FormatChoice::parse("nginx"), Ok(FormatChoice::Nginx(None)));
        assert_eq!(
            FormatChoice::parse("genesys-usage:Week"),
            Ok(FormatChoice::GenesysUsage(Some(UsageGranularity::Week)))
        );
        assert!(FormatChoice::parse("genesys-usage:hour").is_err());
        assert!(matches!(
            FormatChoice::parse(r#"$remote_addr [$time_local] "$request" $status"#),
            Ok(FormatChoice::Nginx(Some(_)))
        ));
        assert!(matches!(
            FormatChoice::parse("nginx:$time_iso8601 $request_method $uri"),
            Ok(FormatChoice::Nginx(Some(_)))
        ));
        assert!(matches!(
            FormatChoice::parse(r#"%h %t "%r" %>s %D"#),
            Ok(FormatChoice::Apache(Some(_)))
        ));
        assert!(FormatChoice::parse("apache:%h %>s").is_err());
        assert!(FormatChoice::parse("nginx-json:$time_local $request").is_err());
        assert!(FormatChoice::parse("syslog").is_err());
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"  \n", true), Sniff::Empty);
        assert_eq!(sniff(b"\xff\xfeh\0i\0", true), Sniff::Utf16);
        assert_eq!(sniff(b"h\0i\0 \0t\0h\0e\0r\0e\0", true), Sniff::Utf16);
        assert_eq!(sniff(b"PK\x03\x04....", true), Sniff::Zip);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0", true), Sniff::Binary);
        assert_eq!(sniff(b"abc\xff\xfe def", true), Sniff::Binary);
        assert_eq!(sniff(b"abc \xe2\x82", false), Sniff::Text);
        assert_eq!(
            sniff(b"{\n  \"log\": {\"version\": \"1.2\"", false),
            Sniff::Har
        );
        assert_eq!(sniff(b"1.2.3.4 - - [..]", true), Sniff::Text);
    }

    #[test]
    fn detection() {
        let d = |s: &str| detect(s.as_bytes(), true);
        assert_eq!(
            d(r#"{"time": 1795835197, "method": "GET", "path": "/"}"#),
            Some(Detected::Generic)
        );
        assert_eq!(
            d(r#"{"start_time":"2026-11-28T03:06:37.043Z","method":"GET","response_code":200}"#),
            Some(Detected::Envoy)
        );
        assert_eq!(
            d("{\n  \"results\": [\n    {\n"),
            Some(Detected::GenesysDocument)
        );
        assert_eq!(
            d(r#"{"executionId": "x", "resultsUri": "/y"}"#),
            Some(Detected::GenesysDocument)
        );
        assert_eq!(
            d(
                r#"{"templateUri":"a","httpMethod":"GET","requests":1,"date":"2026-11-28T00:00:00Z"}"#
            ),
            Some(Detected::GenesysRows)
        );
        assert_eq!(
            d(
                r#"{"time_iso8601":"2026-11-28T03:06:37+00:00","request":"GET / HTTP/1.1","status":"200"}"#
            ),
            Some(Detected::NginxJson)
        );
        assert_eq!(
            d(
                "\n203.0.113.9 - - [28/Nov/2026:03:06:37 +0000] \"GET / HTTP/1.1\" 200 612 \"-\" \"curl/8\" 0.004\n"
            ),
            Some(Detected::NginxCombined)
        );
        assert_eq!(d(r#"{"foo": 1}"#), None);
        assert_eq!(d("hello world"), None);
        // a partial last line of the head is not used
        assert_eq!(
            detect(
                b"203.0.113.9 - - [28/Nov/2026:03:06:37 +0000] \"GET / HTTP/1.1\" 200",
                false
            ),
            None
        );
    }
}

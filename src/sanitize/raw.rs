//! Reading an entry's JSON as it was written: the few fields copied to a sanitized capture and
//! a count of everything that is not.
//!
//! Owns the raw view `sanitize` needs beside the normalized request: header lists in both HAR
//! shapes, numeric fields copied verbatim (so times and durations read back identically), and
//! `Removed`, the tally of what was dropped by kind. It counts values, never keeps them. Pure.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::normalize::dialects;
use crate::normalize::headers::CORRELATION;

/// What `sanitize` removed or replaced, by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// `Authorization` values and other credentials, replaced by stand-ins.
    Credentials,
    /// API-key and token headers other than `Authorization`.
    KeyHeaders,
    /// Request cookies (header and list).
    Cookies,
    /// `Set-Cookie` headers and response cookie lists.
    SetCookies,
    /// Query parameters (a numeric page size is written back).
    QueryValues,
    /// URL fragments.
    Fragments,
    /// User names and passwords in URLs.
    UrlUserInfo,
    /// Ids in paths, replaced by pseudonyms.
    PathIds,
    /// Request bodies (`postData`).
    RequestBodies,
    /// Response bodies.
    ResponseBodies,
    /// Throttling bodies, rebuilt from their code and numbers.
    ThrottleBodies,
    /// `redirectURL` values.
    RedirectUrls,
    /// `Location` headers.
    LocationHeaders,
    /// Correlation ids that were not plain hexadecimal, replaced by pseudonyms.
    CorrelationIds,
    /// `limit.key` values that name no layer of the profile, replaced by stand-ins.
    LimitKeys,
    /// Server-chosen names (policies, buckets, resources, reasons) that name no layer of the
    /// profile, replaced by stand-ins.
    PolicyNames,
    /// Other headers (user agent, referer, custom headers).
    OtherHeaders,
    /// `serverIPAddress` values.
    ServerIps,
    /// Comments.
    Comments,
    /// Pages (titles).
    Pages,
    /// Tool-specific `_` fields (initiator stacks, WebSocket messages, ...).
    ToolFields,
    /// Entries that could not be used, written as `{}`.
    UnusableEntries,
}

impl Kind {
    /// Wording for the summary after a count of `n` (singular when `n` is 1).
    pub fn label_for(self, n: u64) -> &'static str {
        if n != 1 {
            return self.label();
        }
        match self {
            Kind::Credentials => "credential replaced by a synthetic token",
            Kind::KeyHeaders => "API-key or token header",
            Kind::Cookies => "cookie",
            Kind::SetCookies => "Set-Cookie value",
            Kind::QueryValues => "query parameter",
            Kind::Fragments => "URL fragment",
            Kind::UrlUserInfo => "user name/password in a URL",
            Kind::PathIds => "distinct id in paths replaced by a pseudonym",
            Kind::RequestBodies => "request body",
            Kind::ResponseBodies => "response body",
            Kind::ThrottleBodies => "429/503 body reduced to code and numbers",
            Kind::RedirectUrls => "redirect URL",
            Kind::LocationHeaders => "Location header",
            Kind::CorrelationIds => "correlation id replaced by a pseudonym",
            Kind::LimitKeys => "undocumented limit key replaced",
            Kind::PolicyNames => "server-chosen policy, bucket or reason name replaced",
            Kind::OtherHeaders => "other header (user agent, referer, custom)",
            Kind::ServerIps => "server IP address",
            Kind::Comments => "comment or other free-text field",
            Kind::Pages => "page (title)",
            Kind::ToolFields => "tool-specific field (initiators, WebSocket frames, ...)",
            Kind::UnusableEntries => "unusable entry written as {}",
        }
    }

    /// Wording for the summary.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Credentials => "credentials replaced by synthetic tokens",
            Kind::KeyHeaders => "API-key and token headers",
            Kind::Cookies => "cookies",
            Kind::SetCookies => "Set-Cookie values",
            Kind::QueryValues => "query parameters",
            Kind::Fragments => "URL fragments",
            Kind::UrlUserInfo => "user names/passwords in URLs",
            Kind::PathIds => "distinct ids in paths replaced by pseudonyms",
            Kind::RequestBodies => "request bodies",
            Kind::ResponseBodies => "response bodies",
            Kind::ThrottleBodies => "rate-limit bodies reduced to code and numbers",
            Kind::RedirectUrls => "redirect URLs",
            Kind::LocationHeaders => "Location headers",
            Kind::CorrelationIds => "correlation ids replaced by pseudonyms",
            Kind::LimitKeys => "undocumented limit keys replaced",
            Kind::PolicyNames => "server-chosen policy, bucket and reason names replaced",
            Kind::OtherHeaders => "other headers (user agent, referer, custom)",
            Kind::ServerIps => "server IP addresses",
            Kind::Comments => "comments and other free-text fields",
            Kind::Pages => "pages (titles)",
            Kind::ToolFields => "tool-specific fields (initiators, WebSocket frames, ...)",
            Kind::UnusableEntries => "unusable entries written as {}",
        }
    }
}

/// Counts by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removed(pub BTreeMap<Kind, u64>);

impl Removed {
    /// Adds `n` of a kind.
    pub fn add(&mut self, kind: Kind, n: u64) {
        if n > 0 {
            *self.0.entry(kind).or_default() += n;
        }
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: &Removed) {
        for (k, n) in &other.0 {
            self.add(*k, *n);
        }
    }

    /// The count of a kind.
    pub fn get(&self, kind: Kind) -> u64 {
        self.0.get(&kind).copied().unwrap_or(0)
    }
}

/// A header list in either HAR shape (`[{"name", "value"}]` or `{"Name": "value"}`) as
/// (lower-case name, value as text), the way `ingest` reads it.
pub fn headers(v: Option<&Value>) -> Vec<(String, Option<String>)> {
    fn text(v: Option<&Value>) -> Option<String> {
        match v? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|h| {
                let name = h.get("name")?.as_str()?;
                Some((name.to_ascii_lowercase(), text(h.get("value"))))
            })
            .collect(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), text(Some(v))))
            .collect(),
        _ => Vec::new(),
    }
}

/// The first value of a header.
pub fn header<'a>(list: &'a [(String, Option<String>)], name: &str) -> Option<&'a str> {
    list.iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, v)| v.as_deref())
}

/// A numeric field copied verbatim: a finite number, or a string holding one.
pub fn number(v: Option<&Value>) -> Option<Value> {
    match v? {
        n @ Value::Number(_) => Some(n.clone()),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .is_ok_and(f64::is_finite)
            .then(|| Value::String(s.clone())),
        _ => None,
    }
}

/// A string field.
pub fn string(v: Option<&Value>) -> Option<&str> {
    v?.as_str()
}

fn is_key_header(name: &str) -> bool {
    [
        "key",
        "token",
        "secret",
        "session",
        "auth",
        "csrf",
        "xsrf",
        "signature",
    ]
    .iter()
    .any(|w| name.contains(w))
}

/// Counts one header list's removals (headers kept by `sanitize` are not counted).
fn count_headers(list: &[(String, Option<String>)], removed: &mut Removed) {
    for (name, _) in list {
        let kind = match name.as_str() {
            "authorization" | "proxy-authorization" => Some(Kind::Credentials),
            "cookie" => Some(Kind::Cookies),
            "set-cookie" => Some(Kind::SetCookies),
            "location" | "content-location" => Some(Kind::LocationHeaders),
            n if dialects::reads_header(n) || CORRELATION.contains(&n) => None,
            "retry-after"
            | "date"
            | "content-type"
            | "access-control-max-age"
            | "access-control-request-method"
            | "access-control-request-headers" => None,
            // HTTP/2 pseudo-headers (`:authority`, `:path` with its query)
            n if n.starts_with(':') => Some(Kind::OtherHeaders),
            n if is_key_header(n) => Some(Kind::KeyHeaders),
            _ => Some(Kind::OtherHeaders),
        };
        if let Some(k) = kind {
            removed.add(k, 1);
        }
    }
}

fn len(v: Option<&Value>) -> u64 {
    v.and_then(Value::as_array).map_or(0, |a| a.len() as u64)
}

fn nonempty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

/// `_` fields `sanitize` writes back (as short tokens).
const KEPT_TOOL_FIELDS: [&str; 6] = [
    "_fromCache",
    "_fetchType",
    "_initiator_type",
    "_resourceType",
    "_fulfilledBy",
    "_transferSize",
];

fn count_object(v: Option<&Value>, removed: &mut Removed) {
    let Some(Value::Object(o)) = v else { return };
    for (k, val) in o {
        if k == "comment" && nonempty(Some(val)) {
            removed.add(Kind::Comments, 1);
        } else if k.starts_with('_')
            && !KEPT_TOOL_FIELDS.contains(&k.as_str())
            && nonempty(Some(val))
        {
            // `_initiator` keeps only its type
            let only_type = k == "_initiator" && val.as_object().is_some_and(|i| i.len() == 1);
            if !only_type {
                removed.add(Kind::ToolFields, 1);
            }
        }
    }
}

/// Counts what the sanitized copy of an entry leaves out (URL parts, cookies, bodies,
/// headers, free text). Replacements decided from the analysis (path ids, correlation ids,
/// limit keys, rebuilt bodies) are counted by the caller.
pub fn count_removed(entry: &Value, removed: &mut Removed) {
    let req = entry.get("request");
    let resp = entry.get("response");
    let rh = headers(req.and_then(|r| r.get("headers")));
    let sh = headers(resp.and_then(|r| r.get("headers")));
    count_headers(&rh, removed);
    count_headers(&sh, removed);
    removed.add(Kind::Cookies, len(req.and_then(|r| r.get("cookies"))));
    removed.add(Kind::SetCookies, len(resp.and_then(|r| r.get("cookies"))));
    if let Some(url) = string(req.and_then(|r| r.get("url"))) {
        let (before_fragment, fragment) = url.split_once('#').unwrap_or((url, ""));
        if !fragment.is_empty() {
            removed.add(Kind::Fragments, 1);
        }
        if let Some((_, query)) = before_fragment.split_once('?') {
            removed.add(
                Kind::QueryValues,
                query.split('&').filter(|p| !p.is_empty()).count() as u64,
            );
        }
        let authority = url.split_once("//").map_or("", |(_, rest)| {
            rest.split(['/', '?', '#']).next().unwrap_or("")
        });
        if authority.contains('@') {
            removed.add(Kind::UrlUserInfo, 1);
        }
    }
    if nonempty(req.and_then(|r| r.get("postData"))) {
        removed.add(Kind::RequestBodies, 1);
    }
    if nonempty(resp.and_then(|r| r.get("redirectURL"))) {
        removed.add(Kind::RedirectUrls, 1);
    }
    if nonempty(entry.get("serverIPAddress")) {
        removed.add(Kind::ServerIps, 1);
    }
    count_object(Some(entry), removed);
    count_object(req, removed);
    count_object(resp, removed);
    count_object(resp.and_then(|r| r.get("content")), removed);
}

/// Whether the response carried a body text.
pub fn has_body(entry: &Value) -> bool {
    nonempty(
        entry
            .get("response")
            .and_then(|r| r.get("content"))
            .and_then(|c| c.get("text")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_header_shapes_read_alike() {
        let a = headers(Some(&json!([{"name": "X-Ratelimit-Limit", "value": 100}])));
        let b = headers(Some(&json!({"x-ratelimit-limit": "100"})));
        assert_eq!(a, b);
        assert_eq!(header(&a, "x-ratelimit-limit"), Some("100"));
    }

    #[test]
    fn numbers_are_copied_verbatim_and_text_is_not() {
        assert_eq!(number(Some(&json!(12.5))), Some(json!(12.5)));
        assert_eq!(number(Some(&json!("200"))), Some(json!("200")));
        assert_eq!(number(Some(&json!("CNRY"))), None);
        assert_eq!(number(Some(&json!({"a": 1}))), None);
    }

    #[test]
    fn removals_are_counted_by_kind() {
        let e = json!({
            "comment": "x",
            "serverIPAddress": "10.0.0.1",
            "_initiator": {"type": "script", "stack": {}},
            "request": {
                "url": "https://u:p@h/p?a=1&b=2#frag",
                "headers": [
                    {"name": "Cookie", "value": "a=b"},
                    {"name": "Authorization", "value": "Bearer x"},
                    {"name": "X-Api-Key", "value": "k"},
                    {"name": "User-Agent", "value": "ua"}
                ],
                "cookies": [{"name": "a", "value": "b"}],
                "postData": {"text": "secret"}
            },
            "response": {
                "headers": [{"name": "Set-Cookie", "value": "s"}, {"name": "Location", "value": "/x"},
                            {"name": "inin-ratelimit-count", "value": "3"}],
                "redirectURL": "https://h/cb#access_token=t",
                "content": {"text": "body"}
            }
        });
        let mut r = Removed::default();
        count_removed(&e, &mut r);
        for (kind, n) in [
            (Kind::Comments, 1),
            (Kind::ServerIps, 1),
            (Kind::ToolFields, 1),
            (Kind::QueryValues, 2),
            (Kind::Fragments, 1),
            (Kind::UrlUserInfo, 1),
            (Kind::Cookies, 2),
            (Kind::Credentials, 1),
            (Kind::KeyHeaders, 1),
            (Kind::OtherHeaders, 1),
            (Kind::RequestBodies, 1),
            (Kind::SetCookies, 1),
            (Kind::LocationHeaders, 1),
            (Kind::RedirectUrls, 1),
        ] {
            assert_eq!(r.get(kind), n, "{kind:?}");
        }
        assert!(has_body(&e));
    }
}

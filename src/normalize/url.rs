//! Splitting a request URL into scheme, host and path — and nothing else.
//!
//! Owns the one place a raw URL is read. User info, query and fragment are dropped here and
//! never stored; only `access_token`-style query parameters are handed back as a credential to
//! fingerprint. Hosts are lower-cased and keep a non-default port. Pure.

use std::borrow::Cow;

use crate::model::Scheme;

/// The parts of a URL the analysis keeps.
#[derive(Debug, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// URL scheme.
    pub scheme: Scheme,
    /// `host` or `host:port` (non-default port), lower case; IPv6 in brackets.
    pub host: String,
    /// Path without query or fragment; `/` when empty; control characters percent-encoded.
    pub path: Cow<'a, str>,
    /// Value of an `access_token` / `token` / `api_key` query parameter, if any.
    pub query_credential: Option<&'a str>,
    /// Numeric page size (`pageSize`, `page_size`, `per_page`, `limit`), the only query value
    /// the analysis keeps (graduated limits depend on it).
    pub page_size: Option<u32>,
}

/// Splits an absolute URL. Returns `None` when it is not one.
pub fn split(url: &str) -> Option<UrlParts<'_>> {
    let url = url.trim();
    let colon = url.find(':')?;
    let scheme_text = &url[..colon];
    if scheme_text.is_empty()
        || !scheme_text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return None;
    }
    let scheme = match scheme_text.to_ascii_lowercase().as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        "ws" => Scheme::Ws,
        "wss" => Scheme::Wss,
        _ => Scheme::Other,
    };
    let rest = &url[colon + 1..];
    let Some(after) = rest.strip_prefix("//") else {
        // data:, blob:, about: ... : not a network request, no host
        return Some(UrlParts {
            scheme: Scheme::Other,
            host: String::new(),
            path: Cow::Borrowed("/"),
            query_credential: None,
            page_size: None,
        });
    };
    let auth_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..auth_end];
    let tail = &after[auth_end..];
    // drop user info
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = normalize_host(hostport, scheme)?;
    let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
    let path = if path_end == 0 {
        "/"
    } else {
        &tail[..path_end]
    };
    let path = if path.bytes().any(|b| b < 0x20 || b == 0x7f) {
        // control characters never reach a report: encode them as a browser would
        Cow::Owned(
            path.chars()
                .map(|c| {
                    if (c as u32) < 0x20 || c as u32 == 0x7f {
                        format!("%{:02X}", c as u32)
                    } else {
                        c.to_string()
                    }
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(path)
    };
    let query = tail[path_end..]
        .strip_prefix('?')
        .map(|q| q.split('#').next().unwrap_or(""));
    let query_credential = query.and_then(credential_param);
    let page_size = query.and_then(page_size_param);
    Some(UrlParts {
        scheme,
        host,
        path,
        query_credential,
        page_size,
    })
}

fn normalize_host(hostport: &str, scheme: Scheme) -> Option<String> {
    if hostport.is_empty() {
        return None;
    }
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let close = rest.find(']')?;
        let port = rest[close + 1..].strip_prefix(':');
        (&hostport[..close + 2], port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let valid =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '[' | ']' | ':');
    if host.is_empty() || host.len() > 253 || !host.chars().all(valid) {
        return None;
    }
    let host = host.to_ascii_lowercase();
    let default_port = match scheme {
        Scheme::Http | Scheme::Ws => Some("80"),
        Scheme::Https | Scheme::Wss => Some("443"),
        Scheme::Other => None,
    };
    match port {
        Some(p) if !p.is_empty() && Some(p) != default_port => {
            if !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 5 {
                return None;
            }
            Some(format!("{host}:{p}"))
        }
        _ => Some(host),
    }
}

fn credential_param(query: &str) -> Option<&str> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        let k = k.to_ascii_lowercase();
        (matches!(k.as_str(), "access_token" | "token" | "api_key" | "apikey") && !v.is_empty())
            .then_some(v)
    })
}

fn page_size_param(query: &str) -> Option<u32> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        matches!(k, "pageSize" | "page_size" | "per_page" | "limit")
            .then(|| v.parse::<u32>().ok())
            .flatten()
            // u32::MAX is a request record's "no page size" (`model::Packed`)
            .map(|n| n.min(u32::MAX - 1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_drops_query_fragment_and_userinfo() {
        let u = split("https://user:pw@API.MyPureCloud.de:443/api/v2/architect/ivrs/abc?x=1#frag")
            .unwrap();
        assert_eq!(u.scheme, Scheme::Https);
        assert_eq!(u.host, "api.mypurecloud.de");
        assert_eq!(u.path, "/api/v2/architect/ivrs/abc");
        assert_eq!(u.query_credential, None);
    }

    #[test]
    fn keeps_non_default_ports_and_ipv6() {
        assert_eq!(
            split("http://127.0.0.1:39199/a").unwrap().host,
            "127.0.0.1:39199"
        );
        assert_eq!(split("http://[::1]:8080/").unwrap().host, "[::1]:8080");
        assert_eq!(split("https://h").unwrap().path, "/");
        assert_eq!(split("https://h?q").unwrap().path, "/");
        assert_eq!(split("https://h/a\u{1b}[31m").unwrap().path, "/a%1B[31m");
    }

    #[test]
    fn query_tokens_are_found_as_credentials() {
        let u = split("https://h/p?a=1&access_token=abc#x").unwrap();
        assert_eq!(u.query_credential, Some("abc"));
        assert_eq!(
            split("https://h/flows?pageSize=50&x=1").unwrap().page_size,
            Some(50)
        );
        assert_eq!(
            split("https://h/flows?pageSize=abc").unwrap().page_size,
            None
        );
    }

    #[test]
    fn non_network_urls_and_garbage() {
        assert_eq!(
            split("data:image/png;base64,AAAA").unwrap().scheme,
            Scheme::Other
        );
        assert!(split("/relative/path").is_none());
        assert!(split("https://bad host/").is_none());
        assert!(split("https://h:99999999/").is_none());
    }
}

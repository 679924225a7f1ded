//! What a layer applies to: host globs, path patterns and page-size ranges.
//!
//! Owns matching a request's host, concrete path and page size against a profile's patterns.
//! Pure; it must not know about limiters.

/// A host glob: `*` matches any run of characters inside one DNS label. Without a port it
/// matches any port; with one, that port only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostGlob {
    host: String,
    port: Option<String>,
    text: String,
}

impl HostGlob {
    /// Parses `api.*.pure.cloud`, `127.0.0.1:8080`, `127.0.0.1:*`.
    pub fn new(pattern: &str) -> Option<HostGlob> {
        let p = pattern.trim().to_ascii_lowercase();
        let (host, port) = match p.rsplit_once(':') {
            Some((h, port)) if !h.contains(':') || h.ends_with(']') => {
                (h.to_string(), Some(port.to_string()))
            }
            _ => (p.clone(), None),
        };
        let ok_host = !host.is_empty()
            && host.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '*' | '_' | '[' | ']' | ':')
            });
        let ok_port = port.as_deref().is_none_or(|p| {
            p == "*" || (!p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
        });
        (ok_host && ok_port).then(|| HostGlob {
            host,
            port: port.filter(|p| p != "*"),
            text: p,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `host[:port]` matches.
    pub fn matches(&self, hostport: &str) -> bool {
        let (h, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !p.contains(']') && p.bytes().all(|b| b.is_ascii_digit()) => {
                (h, Some(p))
            }
            _ => (hostport, None),
        };
        if let Some(want) = &self.port
            && port != Some(want.as_str())
        {
            return false;
        }
        glob_label_match(self.host.as_bytes(), h.as_bytes())
    }
}

/// `*` matches any run of bytes other than `.`.
fn glob_label_match(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => {
            let mut i = 0;
            loop {
                if glob_label_match(rest, &s[i..]) {
                    return true;
                }
                if i >= s.len() || s[i] == b'.' {
                    return false;
                }
                i += 1;
            }
        }
        Some((c, rest)) => s.first() == Some(c) && glob_label_match(rest, &s[1..]),
    }
}

/// A path pattern: `{name}` matches one segment, a trailing `/**` any rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathFilter {
    segments: Vec<Option<String>>,
    rest: bool,
    text: String,
}

impl PathFilter {
    /// Parses a template filter.
    pub fn new(t: &str) -> Option<PathFilter> {
        if !t.starts_with('/') {
            return None;
        }
        let (body, rest) = match t.strip_suffix("/**") {
            Some(b) => (b, true),
            None => (t, false),
        };
        let segments = body
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_string()))
            .collect();
        Some(PathFilter {
            segments,
            rest,
            text: t.to_string(),
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether a concrete path matches.
    pub fn matches(&self, path: &str) -> bool {
        let segs: Vec<&str> = path
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        if segs.len() < self.segments.len() || (!self.rest && segs.len() != self.segments.len()) {
            return false;
        }
        self.segments
            .iter()
            .zip(&segs)
            .all(|(p, s)| p.as_deref().is_none_or(|lit| lit == *s))
    }

    /// Whether it can serve as an endpoint template (no `/**`).
    pub fn is_template(&self) -> bool {
        !self.rest
    }
}

/// Inclusive page-size range filter (`page_size = [26, 50]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRange {
    /// Smallest page size matched.
    pub min: u32,
    /// Largest page size matched.
    pub max: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_globs() {
        let g = HostGlob::new("api.*.pure.cloud").unwrap();
        assert!(g.matches("api.usw2.pure.cloud"));
        assert!(g.matches("api.usw2.pure.cloud:443"));
        assert!(!g.matches("api.a.b.pure.cloud"));
        assert!(!g.matches("api.usw2.pure.cloud.evil.com"));
        let p = HostGlob::new("127.0.0.1:8080").unwrap();
        assert!(p.matches("127.0.0.1:8080"));
        assert!(!p.matches("127.0.0.1:9090"));
        assert!(
            HostGlob::new("127.0.0.1:*")
                .unwrap()
                .matches("127.0.0.1:39199")
        );
        assert!(HostGlob::new("bad host").is_none());
    }

    #[test]
    fn path_filters() {
        let f = PathFilter::new("/api/v2/architect/ivrs/{ivrId}").unwrap();
        assert!(f.matches("/api/v2/architect/ivrs/ivr-001"));
        assert!(!f.matches("/api/v2/architect/ivrs"));
        assert!(!f.matches("/api/v2/architect/ivrs/a/b"));
        let g = PathFilter::new("/api/v2/analytics/**").unwrap();
        assert!(g.matches("/api/v2/analytics/conversations/details/query"));
        assert!(!g.is_template());
    }
}

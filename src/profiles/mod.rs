//! Limit profiles: the documented rate-limit layers of an API, as data.
//!
//! Owns the `Profile` and `Layer` types, the built-in profiles (TOML files embedded with
//! `include_str!`, each layer with a citation), loading user files, choosing profiles by host,
//! and the `generic` profile inferred from the rate-limit headers a capture carries. Adding an
//! API is adding a TOML file, never a match arm. It must not count requests (`evaluate` does).

pub mod infer;
pub mod parse;

use crate::error::ProfileError;
use crate::model::{Capture, Method, Micros, Request};

/// What a layer counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Requests per window.
    Rate,
    /// Requests in flight at once.
    Concurrency,
}

/// How a rate layer's window moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// `r.start − window < q.start ≤ r.start`.
    Sliding,
    /// Windows opened by the partition's first counted request, restarted by the first counted
    /// request after each window ends.
    Fixed,
    /// Windows at multiples of the window length since the Unix epoch.
    FixedAligned,
}

impl Algorithm {
    /// Name as written in profiles.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sliding => "sliding",
            Algorithm::Fixed => "fixed",
            Algorithm::FixedAligned => "fixed-aligned",
        }
    }
}

/// A dimension a layer counts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Partition {
    /// Whose credentials.
    User,
    /// Which OAuth client.
    Client,
    /// Which access token.
    Token,
    /// Method + endpoint template.
    Endpoint,
    /// Method + concrete path.
    Resource,
    /// The whole capture (the default when `per` is empty).
    Org,
}

impl Partition {
    /// Parses a `per` value.
    pub fn parse(s: &str) -> Option<Partition> {
        Some(match s {
            "user" => Partition::User,
            "client" => Partition::Client,
            "token" => Partition::Token,
            "endpoint" => Partition::Endpoint,
            "resource" => Partition::Resource,
            "org" => Partition::Org,
            _ => return None,
        })
    }

    /// Name as written in profiles.
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::User => "user",
            Partition::Client => "client",
            Partition::Token => "token",
            Partition::Endpoint => "endpoint",
            Partition::Resource => "resource",
            Partition::Org => "org",
        }
    }
}

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

/// Points per request by method (GitHub's secondary limit); 1 when not listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cost {
    /// (method, points) pairs.
    pub per_method: Vec<(Method, u32)>,
}

impl Cost {
    /// Points of one request.
    pub fn of(&self, m: &Method) -> u32 {
        self.per_method
            .iter()
            .find(|(x, _)| x == m)
            .map(|(_, n)| *n)
            .unwrap_or(1)
    }
}

/// One documented limit.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// Unique name in its profile (`org.app.user.rate.per.minute`).
    pub name: String,
    /// Requests (or points) per window; requests in flight for concurrency layers.
    pub limit: u64,
    /// Window length (0 for concurrency layers).
    pub window: Micros,
    /// Rate or concurrency.
    pub kind: Kind,
    /// Window algorithm.
    pub algorithm: Algorithm,
    /// Partition dimensions (empty: the whole capture).
    pub per: Vec<Partition>,
    /// Methods counted (empty: all).
    pub methods: Vec<Method>,
    /// Paths counted (none: all).
    pub template: Option<PathFilter>,
    /// Whether CORS preflights count.
    pub counts_preflight: bool,
    /// Only requests with (`true`) or without (`false`) a credential.
    pub credential: Option<bool>,
    /// Only requests whose page size is in this range.
    pub page_size: Option<PageRange>,
    /// Points per method.
    pub cost: Option<Cost>,
    /// Citation.
    pub source: Option<String>,
    /// Caveat shown in reports.
    pub note: Option<String>,
    /// Derived from the capture's own headers (`generic` profile), not from documentation.
    pub inferred: bool,
}

impl Layer {
    /// Points a request costs in this layer.
    pub fn cost_of(&self, m: &Method) -> u32 {
        self.cost.as_ref().map_or(1, |c| c.of(m))
    }

    /// `100 / 60 s`, `2 in flight`.
    pub fn budget_label(&self) -> String {
        match self.kind {
            Kind::Rate => format!(
                "{} / {}",
                self.limit,
                crate::model::time::window_label(self.window)
            ),
            Kind::Concurrency => format!("{} in flight", self.limit),
        }
    }

    /// `user+client`, or `whole capture`.
    pub fn partition_label(&self) -> String {
        if self.per.is_empty() {
            "whole capture".into()
        } else {
            self.per
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join("+")
        }
    }

    /// Whether the layer's filters (method, path, credential, page size) accept a request,
    /// preflight rules aside. `path` is the request's concrete path.
    pub fn accepts(&self, r: &Request, path: &str, method: &Method) -> bool {
        (self.methods.is_empty() || self.methods.contains(method))
            && self.template.as_ref().is_none_or(|t| t.matches(path))
            && self
                .credential
                .is_none_or(|want| want == (r.auth != crate::model::Auth::None))
            && self
                .page_size
                .is_none_or(|p| r.page_size.is_some_and(|s| s >= p.min && s <= p.max))
    }
}

/// The documented layers of one API.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// `genesys-cloud`.
    pub name: String,
    /// One line.
    pub description: String,
    /// Hosts whose requests the layers count.
    pub hosts: Vec<HostGlob>,
    /// Endpoint templates of the API (used to name endpoints).
    pub templates: Vec<String>,
    /// Layers.
    pub layers: Vec<Layer>,
    /// When the numbers were last checked against their sources.
    pub verified: Option<String>,
    /// How to confirm a diagnosis with the API's own tools (shown in verdicts).
    pub confirm: Vec<String>,
    /// Where traffic outside a capture usually comes from for this API.
    pub hidden_sources: Option<String>,
    /// `built-in` or the file it came from.
    pub origin: String,
}

impl Profile {
    /// Whether the profile's layers count requests to this host.
    pub fn covers(&self, host: &str) -> bool {
        self.hosts.iter().any(|g| g.matches(host))
    }
}

const BUILTIN: &[(&str, &str)] = &[
    ("genesys-cloud", include_str!("builtin/genesys-cloud.toml")),
    ("github", include_str!("builtin/github.toml")),
    ("generic", include_str!("builtin/generic.toml")),
];

/// The built-in profiles.
pub fn builtin() -> Vec<Profile> {
    BUILTIN
        .iter()
        .map(|(name, text)| {
            let mut p = parse::parse(&format!("built-in {name}"), text)
                .unwrap_or_else(|e| panic!("built-in profile {name} is invalid: {e}"));
            p.origin = "built-in".into();
            p
        })
        .collect()
}

/// Names of the built-in profiles.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

/// A built-in profile by name.
pub fn builtin_named(name: &str) -> Option<Profile> {
    builtin().into_iter().find(|p| p.name == name)
}

/// Profiles whose hosts appear in the capture, most matched requests first; `generic` when
/// none match.
pub fn select_by_host<'a>(profiles: &'a [Profile], hosts: &[String]) -> Vec<&'a Profile> {
    let mut hits: Vec<(usize, &Profile)> = profiles
        .iter()
        .filter(|p| !p.hosts.is_empty())
        .map(|p| (hosts.iter().filter(|h| p.covers(h)).count(), p))
        .filter(|(n, _)| *n > 0)
        .collect();
    hits.sort_by_key(|h| std::cmp::Reverse(h.0));
    hits.into_iter().map(|(_, p)| p).collect()
}

/// Whether a profile is the `generic` placeholder whose layers come from the capture.
pub fn is_generic(p: &Profile) -> bool {
    p.name == "generic" && p.layers.is_empty()
}

/// Resolves the active profiles for a capture: the user's choice, else by host, else the
/// layers the capture's headers announce.
pub fn resolve(chosen: &[Profile], builtins: &[Profile], capture_hosts: &[String]) -> Vec<Profile> {
    if !chosen.is_empty() {
        return chosen.to_vec();
    }
    select_by_host(builtins, capture_hosts)
        .into_iter()
        .cloned()
        .collect()
}

/// Fills in `generic` placeholders with layers inferred from the capture.
pub fn materialize(profiles: Vec<Profile>, capture: &Capture) -> Vec<Profile> {
    let mut out: Vec<Profile> = profiles
        .into_iter()
        .map(|p| {
            if is_generic(&p) {
                infer::from_headers(capture)
            } else {
                p
            }
        })
        .collect();
    if out.is_empty() {
        out.push(infer::from_headers(capture));
    }
    out
}

/// Checks that layer names are unique across the profiles used together.
pub fn check_combined(profiles: &[Profile]) -> Result<(), ProfileError> {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for p in profiles {
        for l in &p.layers {
            if let Some((_, other)) = seen.iter().find(|(n, _)| *n == l.name) {
                return Err(ProfileError {
                    file: p.origin.clone(),
                    line: None,
                    key: Some(l.name.clone()),
                    problem: format!(
                        "layer name also used by profile `{other}`: rename one of them to combine the profiles"
                    ),
                });
            }
            seen.push((&l.name, &p.name));
        }
    }
    Ok(())
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

    #[test]
    fn builtins_parse_and_cite_every_layer() {
        let all = builtin();
        assert_eq!(builtin_names(), vec!["genesys-cloud", "github", "generic"]);
        for p in &all {
            for l in &p.layers {
                assert!(
                    l.source
                        .as_deref()
                        .is_some_and(|s| s.starts_with("https://")),
                    "{}/{} has no citation",
                    p.name,
                    l.name
                );
            }
        }
        let g = builtin_named("genesys-cloud").unwrap();
        assert!(g.covers("api.mypurecloud.de"));
        assert!(g.covers("api.usw2.pure.cloud"));
        assert!(!g.covers("login.mypurecloud.de"));
        assert!(is_generic(&builtin_named("generic").unwrap()));
    }

    #[test]
    fn selection_by_host() {
        let all = builtin();
        let hosts = vec!["cdn.example.com".to_string(), "api.github.com".to_string()];
        let chosen = select_by_host(&all, &hosts);
        assert_eq!(chosen.len(), 1);
        assert_eq!(chosen[0].name, "github");
        assert!(select_by_host(&all, &["example.org".into()]).is_empty());
    }
}

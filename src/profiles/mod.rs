//! Limit profiles: the documented rate-limit layers of an API, as data.
//!
//! Owns the `Profile` and `Layer` types, the built-in profiles (TOML files embedded with
//! `include_str!`, each layer with a citation), loading user files, choosing profiles by host,
//! and the `generic` profile inferred from the rate-limit headers a capture carries. Adding an
//! API is adding a TOML file, never a match arm. It must not count requests (`evaluate` does).

pub mod filter;
pub mod infer;
pub mod layer;
pub mod parse;

use crate::error::ProfileError;
use crate::model::{Capture, CodeId, Request};

pub use filter::{HostGlob, PageRange, PathFilter};
pub use layer::{
    Anchor, BucketKind, Cost, CostFrom, Kind, Layer, Limiter, Partition, Rate, Refill,
};

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
    /// Statuses that mean "throttled" for this API (default `[429]`).
    pub throttle_status: Vec<u16>,
    /// Body codes that make any response a throttle.
    pub throttle_codes: Vec<CodeId>,
}

impl Profile {
    /// Whether the profile's layers count requests to this host.
    pub fn covers(&self, host: &str) -> bool {
        self.hosts.iter().any(|g| g.matches(host))
    }

    /// Whether this API's response is a throttle: a throttle status, or a body code the profile
    /// lists.
    pub fn is_throttle(&self, r: &Request) -> bool {
        self.throttle_status.contains(&r.status)
            || r.throttle_body()
                .and_then(|b| b.code)
                .is_some_and(|c| self.throttle_codes.contains(&c))
    }
}

/// Marks the throttles of a capture: a response is one when a profile covering its host says
/// so, or — for hosts no profile covers — when it is a 429, or when its body is a known
/// rate-limit refusal.
pub fn mark_throttles(capture: &mut Capture, profiles: &[Profile]) {
    let covering: Vec<Vec<usize>> = capture
        .hosts
        .iter()
        .map(|h| {
            profiles
                .iter()
                .enumerate()
                .filter(|(_, p)| p.covers(h))
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    for r in &mut capture.requests {
        if !r.has_response() || r.is_preflight {
            r.throttled = false;
            continue;
        }
        let by = &covering[r.host as usize];
        r.throttled = if by.is_empty() {
            r.status == 429
                || (r.status >= 400 && r.throttle_body().is_some_and(|b| b.rate_limited))
        } else {
            by.iter().any(|&p| profiles[p].is_throttle(r))
        };
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

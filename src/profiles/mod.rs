//! Limit profiles: the documented rate-limit layers of an API, as data.
//!
//! Owns the `Profile` and `Layer` types, the built-in profiles (TOML files embedded with
//! `include_str!`, each layer with a citation), loading user files, choosing profiles by host,
//! and the `generic` profile inferred from the rate-limit headers a capture carries. Adding an
//! API is adding a TOML file, never a match arm. It must not count requests (`evaluate` does).

pub mod filter;
pub mod infer;
pub mod layer;
pub mod overrides;
pub mod parse;
pub mod scaffold;

use crate::error::ProfileError;
use crate::model::{Capture, CodeId, Request};

pub use filter::{HostGlob, PageRange, PathFilter};
pub use layer::{
    Anchor, BucketKind, Cost, CostFrom, Kind, Layer, Limiter, Partition, Rate, Refill, Restated,
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
    /// `built-in`, the file it came from, or `INFERRED` for layers read from the capture.
    pub origin: String,
    /// Statuses that mean "throttled" for this API (default `[429]`).
    pub throttle_status: Vec<u16>,
    /// Body codes that make any response a throttle.
    pub throttle_codes: Vec<CodeId>,
}

/// The origin of a profile whose layers were inferred from the capture's headers.
pub const INFERRED: &str = "inferred";

impl Profile {
    /// Whether the layers were inferred from the capture's headers, not documented.
    pub fn is_inferred(&self) -> bool {
        self.origin == INFERRED
    }

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
    (
        "github-graphql",
        include_str!("builtin/github-graphql.toml"),
    ),
    ("shopify-rest", include_str!("builtin/shopify-rest.toml")),
    (
        "shopify-graphql",
        include_str!("builtin/shopify-graphql.toml"),
    ),
    ("okta", include_str!("builtin/okta.toml")),
    ("salesforce", include_str!("builtin/salesforce.toml")),
    ("slack", include_str!("builtin/slack.toml")),
    ("discord", include_str!("builtin/discord.toml")),
    ("openai", include_str!("builtin/openai.toml")),
    ("anthropic", include_str!("builtin/anthropic.toml")),
    ("jira-cloud", include_str!("builtin/jira-cloud.toml")),
    ("zendesk", include_str!("builtin/zendesk.toml")),
    ("hubspot", include_str!("builtin/hubspot.toml")),
    (
        "microsoft-graph",
        include_str!("builtin/microsoft-graph.toml"),
    ),
    ("stripe", include_str!("builtin/stripe.toml")),
    ("x", include_str!("builtin/x.toml")),
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

/// The TOML file of a built-in profile, as embedded (comments included).
pub fn builtin_text(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
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

    /// The API profiles the built-ins must include (besides genesys-cloud, github, generic).
    const REQUIRED: &[&str] = &[
        "shopify-rest",
        "shopify-graphql",
        "okta",
        "salesforce",
        "slack",
        "discord",
        "openai",
        "anthropic",
        "jira-cloud",
        "zendesk",
        "hubspot",
        "microsoft-graph",
        "stripe",
        "github-graphql",
        "x",
    ];

    fn is_date(s: &str) -> bool {
        let b = s.as_bytes();
        b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    }

    #[test]
    fn builtins_parse_and_cite_every_layer() {
        let names = builtin_names();
        for r in REQUIRED
            .iter()
            .chain(&["genesys-cloud", "github", "generic"])
        {
            assert!(names.contains(r), "no built-in profile {r}");
        }
        assert_eq!(names.last(), Some(&"generic"));
        for (name, text) in BUILTIN {
            let p = parse::parse(name, text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                p.name, *name,
                "the BUILTIN key and the profile's name differ"
            );
            assert_eq!(builtin_text(name), Some(*text));
            if is_generic(&p) {
                continue;
            }
            let verified = p.verified.as_deref().unwrap_or_default();
            assert!(is_date(verified), "{name}: verified = {verified:?}");
            assert!(!p.description.trim().is_empty(), "{name}: no description");
            assert!(!p.hosts.is_empty(), "{name}: no hosts");
            assert!(
                p.hidden_sources
                    .as_deref()
                    .is_some_and(|h| !h.trim().is_empty()),
                "{name}: no hidden_sources"
            );
            assert!(!p.confirm.is_empty(), "{name}: nothing to confirm with");
            assert!(!p.layers.is_empty(), "{name}: no layers");
            for l in &p.layers {
                assert!(
                    l.source.as_deref().is_some_and(
                        |s| s.starts_with("https://") && !s.contains(char::is_whitespace)
                    ),
                    "{}/{} has no https citation",
                    p.name,
                    l.name
                );
                if let Some(a) = &l.assumption {
                    assert!(
                        a.trim().len() >= 10 && a.trim() == a,
                        "{}/{}: the assumption is not a sentence: {a:?}",
                        p.name,
                        l.name
                    );
                }
                if let Some(n) = &l.note {
                    assert!(!n.trim().is_empty(), "{}/{}: empty note", p.name, l.name);
                }
                assert!(l.spec.is_some(), "{}/{}: table not kept", p.name, l.name);
            }
        }
        let g = builtin_named("genesys-cloud").unwrap();
        assert!(g.covers("api.mypurecloud.de"));
        assert!(g.covers("api.usw2.pure.cloud"));
        assert!(!g.covers("login.mypurecloud.de"));
        assert!(is_generic(&builtin_named("generic").unwrap()));
    }

    #[test]
    fn layer_names_are_unique_across_the_builtins() {
        // profiles that cover the same hosts are chosen together, and `--set LAYER.KEY=…`
        // without --profile looks a layer up among all built-ins: names never repeat
        let all = builtin();
        let mut seen: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
        for p in &all {
            for l in &p.layers {
                if let Some(other) = seen.insert(&l.name, &p.name) {
                    panic!("layer {} is in both {other} and {}", l.name, p.name);
                }
            }
        }
        assert!(check_combined(&all).is_ok());
        // profiles sharing a host are chosen together
        let chosen = select_by_host(&all, &["shop.myshopify.com".to_string()]);
        let names: Vec<&str> = chosen.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["shopify-rest", "shopify-graphql"]);
    }

    /// Whether a layer's path filters count a path.
    fn counts_path(l: &Layer, path: &str) -> bool {
        (l.templates.is_empty() || l.templates.iter().any(|t| t.matches(path)))
            && !l.exclude.iter().any(|t| t.matches(path))
    }

    #[test]
    fn shared_hosts_split_their_endpoints() {
        let rest = builtin_named("shopify-rest").unwrap();
        let gql = builtin_named("shopify-graphql").unwrap();
        let graphql = "/admin/api/2025-01/graphql.json";
        let products = "/admin/api/2025-01/products.json";
        assert!(!counts_path(&rest.layers[0], graphql));
        assert!(counts_path(&rest.layers[0], products));
        assert!(counts_path(&gql.layers[0], graphql));
        assert!(!counts_path(&gql.layers[0], products));
        let gh = builtin_named("github").unwrap();
        let layer = |n: &str| gh.layers.iter().find(|l| l.name == n).unwrap();
        assert!(!counts_path(
            layer("primary.authenticated.per.hour"),
            "/graphql"
        ));
        assert!(counts_path(
            layer("primary.authenticated.per.hour"),
            "/user/repos"
        ));
        assert!(counts_path(
            layer("secondary.concurrent.requests"),
            "/graphql"
        ));
        assert_eq!(gh.throttle_status, vec![403, 429]);
        let okta = builtin_named("okta").unwrap();
        let other = okta
            .layers
            .iter()
            .find(|l| l.name == "okta.api.other.per.minute")
            .unwrap();
        assert!(counts_path(other, "/api/v1/users/00u1/groups"));
        assert!(!counts_path(other, "/api/v1/users/00u1"));
        assert!(!counts_path(other, "/api/v1/apps/0oa1/users"));
    }

    #[test]
    fn selection_by_host() {
        let all = builtin();
        let hosts = vec!["cdn.example.com".to_string(), "api.github.com".to_string()];
        let chosen = select_by_host(&all, &hosts);
        let names: Vec<&str> = chosen.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["github", "github-graphql"]);
        assert!(select_by_host(&all, &["example.org".into()]).is_empty());
    }
}

//! Endpoint templates: `/api/v2/architect/ivrs/ivr-001` → `/api/v2/architect/ivrs/{ivrId}`.
//!
//! Owns both sources of templates. `KnownTemplates` holds templates that were declared (by the
//! active profile or an OpenAPI file) and matches a path against them, the most literal match
//! winning. `infer` derives templates for the remaining paths from the capture itself: segments
//! that are ids by their shape (UUIDs, numbers, long hex, emails, opaque tokens, `ivr-001`), and
//! positions where several values of one id family (`camp-east`, `camp-west`) or many distinct
//! values follow the same prefix. Parameters are named after the preceding collection
//! (`/users/{userId}`). Pure.

use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Lit(String),
    Param,
}

/// Templates declared by a profile or an OpenAPI document.
#[derive(Clone, Debug, Default)]
pub struct KnownTemplates {
    entries: Vec<(Vec<Seg>, String)>,
}

fn segments(path: &str) -> Vec<&str> {
    let p = path.strip_prefix('/').unwrap_or(path);
    if p.is_empty() {
        Vec::new()
    } else {
        p.split('/').collect()
    }
}

impl KnownTemplates {
    /// Adds a template such as `/api/v2/architect/ivrs/{ivrId}`. Duplicates are ignored.
    pub fn add(&mut self, template: &str) {
        let template = if template.starts_with('/') {
            template.to_string()
        } else {
            format!("/{template}")
        };
        if self.entries.iter().any(|(_, t)| *t == template) {
            return;
        }
        let segs = segments(&template)
            .into_iter()
            .map(|s| {
                if s.starts_with('{') && s.ends_with('}') && s.len() > 2 {
                    Seg::Param
                } else {
                    Seg::Lit(s.to_string())
                }
            })
            .collect();
        self.entries.push((segs, template));
    }

    /// Adds every template of another set (after this set's own).
    pub fn merge(&mut self, other: &KnownTemplates) {
        for (_, t) in &other.entries {
            self.add(t);
        }
    }

    /// Whether no template was declared.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of declared templates.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The declared template matching `path` with the most literal segments (first declared
    /// wins a tie).
    pub fn find(&self, path: &str) -> Option<&str> {
        let segs = segments(path);
        let mut best: Option<(usize, &str)> = None;
        for (tsegs, text) in &self.entries {
            if tsegs.len() != segs.len() {
                continue;
            }
            let mut literals = 0;
            let ok = tsegs.iter().zip(&segs).all(|(t, s)| match t {
                Seg::Lit(l) => {
                    literals += 1;
                    l == s
                }
                Seg::Param => !s.is_empty(),
            });
            if ok && best.is_none_or(|(b, _)| literals > b) {
                best = Some((literals, text));
            }
        }
        best.map(|(_, t)| t)
    }
}

/// Whether a segment is an id by its shape alone.
pub fn looks_like_id(s: &str) -> bool {
    if s.is_empty() || matches!(s, "me" | "self" | "current") {
        return false;
    }
    let is_version = {
        let v = s.strip_prefix(['v', 'V']).unwrap_or("");
        !v.is_empty()
            && v.split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    if is_version {
        return false;
    }
    let bytes = s.as_bytes();
    let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
    let letters = bytes.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let hex = bytes.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-');
    let separators = bytes
        .iter()
        .filter(|b| matches!(b, b'-' | b'_' | b'.' | b'~' | b':' | b'+'))
        .count();
    if digits == bytes.len() {
        return true;
    }
    if s.contains('@') || s.contains('%') || s.contains('=') {
        return true;
    }
    if hex && digits > 0 && bytes.len() >= 8 {
        return true; // UUIDs, object ids, hashes
    }
    if digits >= 2 && (letters > 0 || separators > 0) {
        return true; // ivr-001, ph-3301, u-1f0, a1b2
    }
    if digits >= 1 && separators > 0 && bytes.len() >= 3 {
        return true; // grp-qa-1
    }
    let upper = bytes.iter().any(|b| b.is_ascii_uppercase());
    let lower = bytes.iter().any(|b| b.is_ascii_lowercase());
    bytes.len() >= 20
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        && (digits > 0 || (upper && lower))
}

/// `queues` → `queue`, `categories` → `category`, `contact-lists` → `contactList`.
fn singular_camel(collection: &str) -> String {
    let s = collection;
    let single = if let Some(stem) = s.strip_suffix("ies") {
        format!("{stem}y")
    } else if ["sses", "xes", "ches", "shes"]
        .iter()
        .any(|x| s.ends_with(x))
    {
        s[..s.len() - 2].to_string()
    } else if s.ends_with('s') && !s.ends_with("ss") && s.len() > 1 {
        s[..s.len() - 1].to_string()
    } else {
        s.to_string()
    };
    let mut out = String::new();
    let mut upper_next = false;
    for c in single.chars() {
        if c == '-' || c == '_' || c == '.' {
            upper_next = !out.is_empty();
        } else if c.is_ascii_alphanumeric() {
            if upper_next {
                out.push(c.to_ascii_uppercase());
                upper_next = false;
            } else {
                out.push(c);
            }
        }
    }
    // a parameter name must start with a letter
    if out.is_empty() || !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return String::new();
    }
    out
}

/// Longest common prefix of a set of values that ends in a separator (`camp-` for
/// `camp-east`, `camp-west`), if at least two characters long.
fn family_prefix(values: &BTreeSet<&str>) -> Option<String> {
    let mut it = values.iter();
    let first = *it.next()?;
    let mut len = first.len();
    for v in it {
        len = len.min(
            first
                .bytes()
                .zip(v.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    let prefix = &first[..len];
    let cut = prefix.rfind(['-', '_', '.', ':'])?;
    (cut >= 1).then(|| prefix[..=cut].to_string())
}

fn plural(s: &str) -> bool {
    s.len() > 2
        && s.ends_with('s')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'_')
}

/// Builds the template text from segments and id flags.
fn render(segs: &[&str], ids: &[bool]) -> String {
    let mut out = String::new();
    let mut used: HashMap<String, u32> = HashMap::new();
    for (i, s) in segs.iter().enumerate() {
        out.push('/');
        if ids[i] {
            let base = if i > 0 && !ids[i - 1] {
                singular_camel(segs[i - 1])
            } else {
                String::new()
            };
            let mut name = if base.is_empty() {
                "id".to_string()
            } else {
                format!("{base}Id")
            };
            let n = used.entry(name.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                name = format!("{name}{n}");
            }
            out.push('{');
            out.push_str(&name);
            out.push('}');
        } else {
            out.push_str(s);
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Distinct values needed at one position before they count as ids without another sign.
const MANY_VALUES: usize = 5;

/// Infers a template for each `(host, path)`; the result is in the same order as the input.
pub fn infer(paths: &[(&str, &str)]) -> Vec<String> {
    let split: Vec<Vec<&str>> = paths.iter().map(|(_, p)| segments(p)).collect();
    let mut ids: Vec<Vec<bool>> = split
        .iter()
        .map(|segs| segs.iter().map(|s| looks_like_id(s)).collect())
        .collect();
    let depth = split.iter().map(Vec::len).max().unwrap_or(0);
    for d in 0..depth {
        // group by host + templated prefix
        let mut groups: BTreeMap<(String, String), BTreeSet<&str>> = BTreeMap::new();
        let mut members: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        for (i, segs) in split.iter().enumerate() {
            if segs.len() <= d || ids[i][d] {
                continue;
            }
            let prefix: Vec<&str> = (0..d)
                .map(|k| if ids[i][k] { "{}" } else { segs[k] })
                .collect();
            let key = (paths[i].0.to_string(), prefix.join("/"));
            groups.entry(key.clone()).or_default().insert(segs[d]);
            members.entry(key).or_default().push(i);
        }
        for (key, values) in &groups {
            if values.len() < 2 {
                continue;
            }
            let parent = key.1.rsplit('/').next().unwrap_or("");
            let family = family_prefix(values).is_some() && plural(parent);
            let many = values.len() >= MANY_VALUES && plural(parent);
            if family || many {
                for &i in &members[key] {
                    ids[i][d] = true;
                }
            }
        }
    }
    split
        .iter()
        .zip(&ids)
        .map(|(segs, flags)| render(segs, flags))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_shapes() {
        for id in [
            "0d3b2a1e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
            "12345",
            "ivr-001",
            "ph-3301",
            "u-1f0",
            "grp-qa-1",
            "507f1f77bcf86cd799439011",
            "someone@example.com",
            "dGhpcyBpcyBhIHRva2VuMQ",
            "CNRYpath0123456789abcdef",
        ] {
            assert!(looks_like_id(id), "{id}");
        }
        for lit in [
            "api",
            "v2",
            "v1.1",
            "users",
            "me",
            "oauth2",
            "estimatedwaittime",
            "purecloud",
        ] {
            assert!(!looks_like_id(lit), "{lit}");
        }
    }

    #[test]
    fn groups_lab_and_forum_paths() {
        let paths = [
            ("h", "/api/v2/architect/ivrs/ivr-001"),
            ("h", "/api/v2/architect/ivrs/ivr-002"),
            (
                "h",
                "/api/v2/architect/ivrs/0d3b2a1e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
            ),
            ("h", "/api/v2/architect/ivrs"),
            ("h", "/api/v2/outbound/campaigns/camp-east"),
            ("h", "/api/v2/outbound/campaigns/camp-west"),
            ("h", "/api/v2/routing/queues/qw-sales/estimatedwaittime"),
            ("h", "/api/v2/routing/queues/qw-vip/estimatedwaittime"),
            ("h", "/api/v2/users/me"),
        ];
        let t = infer(&paths);
        assert_eq!(t[0], "/api/v2/architect/ivrs/{ivrId}");
        assert_eq!(t[1], t[0]);
        assert_eq!(t[2], t[0]);
        assert_eq!(t[3], "/api/v2/architect/ivrs");
        assert_eq!(t[4], "/api/v2/outbound/campaigns/{campaignId}");
        assert_eq!(t[5], t[4]);
        assert_eq!(t[6], "/api/v2/routing/queues/{queueId}/estimatedwaittime");
        assert_eq!(t[7], t[6]);
        assert_eq!(t[8], "/api/v2/users/me");
    }

    #[test]
    fn sibling_literals_stay_literal() {
        let paths = [
            ("h", "/api/v2/architect/ivrs"),
            ("h", "/api/v2/architect/schedules"),
            ("h", "/api/v2/analytics/conversations/details/query"),
            ("h", "/api/v2/analytics/conversations/aggregates/query"),
        ];
        let t = infer(&paths);
        assert_eq!(t[0], "/api/v2/architect/ivrs");
        assert_eq!(t[1], "/api/v2/architect/schedules");
        assert_eq!(t[2], "/api/v2/analytics/conversations/details/query");
    }

    #[test]
    fn many_values_under_a_collection_are_ids() {
        let names = ["alice", "bob", "carol", "dave", "erin"];
        let paths: Vec<(&str, String)> =
            names.iter().map(|n| ("h", format!("/users/{n}"))).collect();
        let refs: Vec<(&str, &str)> = paths.iter().map(|(h, p)| (*h, p.as_str())).collect();
        assert!(infer(&refs).iter().all(|t| t == "/users/{userId}"));
    }

    #[test]
    fn hosts_are_not_mixed_and_names_are_unique() {
        let t = infer(&[("a", "/xs/camp-east"), ("b", "/xs/camp-west")]);
        assert_eq!(t, vec!["/xs/camp-east", "/xs/camp-west"]);
        // an id family needs a collection before it: `check-runs` is not an id
        let t = infer(&[
            ("h", "/repos/{o}/check-runs"),
            ("h", "/repos/{o}/check-suites"),
        ]);
        assert_eq!(t[0], "/repos/{o}/check-runs");
        let t = infer(&[("h", "/1/2"), ("h", "/")]);
        assert_eq!(t, vec!["/{id}/{id2}", "/"]);
        let t = infer(&[("h", "/categories/12/boxes/34/")]);
        assert_eq!(t, vec!["/categories/{categoryId}/boxes/{boxId}/"]);
    }

    #[test]
    fn known_templates_prefer_literals() {
        let mut k = KnownTemplates::default();
        k.add("/api/v2/flows/{flowId}");
        k.add("/api/v2/flows/divisionviews");
        k.add("api/v2/users/{userId}");
        assert_eq!(
            k.find("/api/v2/flows/divisionviews"),
            Some("/api/v2/flows/divisionviews")
        );
        assert_eq!(k.find("/api/v2/flows/abc"), Some("/api/v2/flows/{flowId}"));
        assert_eq!(k.find("/api/v2/users/x"), Some("/api/v2/users/{userId}"));
        assert_eq!(k.find("/api/v2/users"), None);
        assert_eq!(k.len(), 3);
    }
}

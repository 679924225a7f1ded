//! The TOML limit-profile format: parsing and validation with file:line errors.
//!
//! Owns the serde mirror of a profile file and its checks: unknown keys, bad windows, duplicate
//! layer names, partitions outside the allowed set, empty host lists. Every error names the
//! file, the line and the key. It reads text handed in by the caller; it must not open files.

use serde::Deserialize;
use toml::Spanned;

use crate::error::ProfileError;
use crate::model::{Method, Micros, time};

use super::{Algorithm, Cost, HostGlob, Kind, Layer, PageRange, Partition, PathFilter, Profile};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    hosts: Vec<Spanned<String>>,
    #[serde(default)]
    templates: Vec<Spanned<String>>,
    #[serde(default)]
    verified: Option<String>,
    #[serde(default)]
    confirm: Vec<String>,
    #[serde(default)]
    hidden_sources: Option<String>,
    #[serde(default)]
    layer: Vec<RawLayer>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayer {
    name: Spanned<String>,
    limit: Spanned<i64>,
    #[serde(default)]
    window: Option<Spanned<String>>,
    #[serde(default)]
    kind: Option<Spanned<String>>,
    #[serde(default)]
    algorithm: Option<Spanned<String>>,
    #[serde(default)]
    per: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    method: Option<Spanned<OneOrMany>>,
    #[serde(default)]
    template: Option<Spanned<String>>,
    #[serde(default)]
    counts_preflight: bool,
    #[serde(default)]
    credential: Option<bool>,
    #[serde(default)]
    page_size: Option<Spanned<Vec<u32>>>,
    #[serde(default)]
    cost: Option<Spanned<std::collections::BTreeMap<String, u32>>>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// Parses a window such as `500ms`, `1s`, `60s`, `1m`, `1h`, `24h`, `1d`.
pub fn parse_window(s: &str) -> Option<Micros> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let scale = match unit.trim() {
        "ms" => time::MILLISECOND as f64,
        "s" | "sec" => time::SECOND as f64,
        "m" | "min" => 60.0 * time::SECOND as f64,
        "h" => 3600.0 * time::SECOND as f64,
        "d" => 86_400.0 * time::SECOND as f64,
        _ => return None,
    };
    let us = n * scale;
    (us >= 1.0 && us <= 366.0 * 86_400.0 * time::SECOND as f64).then_some(us.round() as Micros)
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn line(&self, span: std::ops::Range<usize>) -> u64 {
        let at = span.start.min(self.text.len());
        self.text[..at].bytes().filter(|b| *b == b'\n').count() as u64 + 1
    }

    fn err(
        &self,
        span: std::ops::Range<usize>,
        key: &str,
        problem: impl Into<String>,
    ) -> ProfileError {
        ProfileError {
            file: self.file.to_string(),
            line: Some(self.line(span)),
            key: Some(key.to_string()),
            problem: problem.into(),
        }
    }
}

/// Parses and validates a profile. `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Profile, ProfileError> {
    let cx = Ctx { file, text };
    let raw: RawProfile = toml::from_str(text).map_err(|e| {
        let msg = e.message().to_string();
        let key = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.contains("unknown field") || msg.contains("missing field"))
            .map(str::to_string);
        ProfileError {
            file: file.to_string(),
            line: e.span().map(|s| cx.line(s)),
            key,
            problem: msg.trim().to_string(),
        }
    })?;
    let name = raw.name.get_ref().trim().to_string();
    if name.is_empty() {
        return Err(cx.err(raw.name.span(), "name", "the profile name is empty"));
    }
    let mut hosts = Vec::new();
    for h in &raw.hosts {
        let glob = HostGlob::new(h.get_ref()).ok_or_else(|| {
            cx.err(
                h.span(),
                "hosts",
                format!(
                    "`{}` is not a host glob (letters, digits, `.`, `-`, `*`, optional `:port`)",
                    h.get_ref()
                ),
            )
        })?;
        hosts.push(glob);
    }
    let mut templates = Vec::new();
    for t in &raw.templates {
        if !t.get_ref().starts_with('/') {
            return Err(cx.err(t.span(), "templates", "a template starts with `/`"));
        }
        templates.push(t.get_ref().clone());
    }
    let mut layers: Vec<Layer> = Vec::new();
    for l in raw.layer {
        let lname = l.name.get_ref().trim().to_string();
        if lname.is_empty() {
            return Err(cx.err(l.name.span(), "name", "a layer name is empty"));
        }
        if layers.iter().any(|x| x.name == lname) {
            return Err(cx.err(
                l.name.span(),
                "name",
                format!("duplicate layer name `{lname}`: layer names are unique in a profile"),
            ));
        }
        let kind = match l.kind.as_ref().map(|k| k.get_ref().as_str()) {
            None | Some("rate") => Kind::Rate,
            Some("concurrency") => Kind::Concurrency,
            Some(other) => {
                return Err(cx.err(
                    l.kind.as_ref().map(|k| k.span()).unwrap_or(0..0),
                    "kind",
                    format!("`{other}` is not a kind: use \"rate\" or \"concurrency\""),
                ));
            }
        };
        let limit = *l.limit.get_ref();
        if limit < 1 {
            return Err(cx.err(l.limit.span(), "limit", "the limit must be at least 1"));
        }
        let window = match (&l.window, kind) {
            (Some(w), _) => parse_window(w.get_ref()).ok_or_else(|| {
                cx.err(
                    w.span(),
                    "window",
                    format!(
                        "`{}` is not a window: use a positive number with ms, s, m, h or d (\"500ms\", \"60s\", \"1h\")",
                        w.get_ref()
                    ),
                )
            })?,
            (None, Kind::Concurrency) => 0,
            (None, Kind::Rate) => {
                return Err(cx.err(l.name.span(), "window", format!("layer `{lname}` needs a window (e.g. window = \"60s\")")));
            }
        };
        let algorithm = match l.algorithm.as_ref().map(|a| a.get_ref().as_str()) {
            None | Some("sliding") => Algorithm::Sliding,
            Some("fixed") => Algorithm::Fixed,
            Some("fixed-aligned") => Algorithm::FixedAligned,
            Some(other) => {
                return Err(cx.err(
                    l.algorithm.as_ref().map(|a| a.span()).unwrap_or(0..0),
                    "algorithm",
                    format!("`{other}` is not an algorithm: use \"sliding\", \"fixed\" or \"fixed-aligned\""),
                ));
            }
        };
        let mut per = Vec::new();
        if let Some(p) = &l.per {
            for v in p.get_ref() {
                let part = Partition::parse(v).ok_or_else(|| {
                    cx.err(
                        p.span(),
                        "per",
                        format!("`{v}` is not a partition: use user, client, token, endpoint, resource or org"),
                    )
                })?;
                if part != Partition::Org && !per.contains(&part) {
                    per.push(part);
                }
            }
        }
        let methods = match &l.method {
            None => Vec::new(),
            Some(m) => {
                let list = match m.get_ref() {
                    OneOrMany::One(s) => vec![s.clone()],
                    OneOrMany::Many(v) => v.clone(),
                };
                let mut out = Vec::new();
                for s in list {
                    let parsed = Method::parse(&s);
                    if matches!(parsed, Method::Other(None)) {
                        return Err(cx.err(
                            m.span(),
                            "method",
                            format!("`{s}` is not an HTTP method"),
                        ));
                    }
                    out.push(parsed);
                }
                out
            }
        };
        let template = match &l.template {
            None => None,
            Some(t) => Some(PathFilter::new(t.get_ref()).ok_or_else(|| {
                cx.err(
                    t.span(),
                    "template",
                    "a template starts with `/` and may end with `/**`",
                )
            })?),
        };
        let page_size = match &l.page_size {
            None => None,
            Some(p) => match p.get_ref().as_slice() {
                [lo, hi] if lo <= hi => Some(PageRange { min: *lo, max: *hi }),
                _ => {
                    return Err(cx.err(p.span(), "page_size", "use an inclusive range [min, max]"));
                }
            },
        };
        let cost = match &l.cost {
            None => None,
            Some(c) => {
                let mut per_method = Vec::new();
                for (m, n) in c.get_ref() {
                    let parsed = Method::parse(m);
                    if matches!(parsed, Method::Other(None)) {
                        return Err(cx.err(
                            c.span(),
                            "cost",
                            format!("`{m}` is not an HTTP method"),
                        ));
                    }
                    per_method.push((parsed, *n));
                }
                Some(Cost { per_method })
            }
        };
        layers.push(Layer {
            name: lname,
            limit: limit as u64,
            window,
            kind,
            algorithm,
            per,
            methods,
            template,
            counts_preflight: l.counts_preflight,
            credential: l.credential,
            page_size,
            cost,
            source: l.source,
            note: l.note,
            inferred: false,
        });
    }
    Ok(Profile {
        name,
        description: raw.description.unwrap_or_default(),
        hosts,
        templates,
        layers,
        verified: raw.verified,
        confirm: raw.confirm,
        hidden_sources: raw.hidden_sources,
        origin: file.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
name = "t"
hosts = ["api.example.com", "api.*.example.cloud", "127.0.0.1:8080"]

[[layer]]
name = "a"
limit = 100
window = "60s"
per = ["user", "client"]
method = "PUT"
template = "/x/{id}"
source = "https://example.com"

[[layer]]
name = "c"
limit = 2
kind = "concurrency"
"#;

    #[test]
    fn parses_a_valid_profile() {
        let p = parse("t.toml", OK).unwrap();
        assert_eq!(p.layers.len(), 2);
        assert_eq!(p.layers[0].window, 60 * time::SECOND);
        assert_eq!(p.layers[0].per, vec![Partition::User, Partition::Client]);
        assert_eq!(p.layers[1].kind, Kind::Concurrency);
    }

    #[test]
    fn windows() {
        assert_eq!(parse_window("500ms"), Some(500_000));
        assert_eq!(parse_window("1m"), Some(60 * time::SECOND));
        assert_eq!(parse_window("24h"), Some(86_400 * time::SECOND));
        for bad in ["0s", "abc", "10", "-1s", "5 parsecs", ""] {
            assert_eq!(parse_window(bad), None, "{bad}");
        }
    }

    fn err(text: &str) -> ProfileError {
        parse("p.toml", text).unwrap_err()
    }

    #[test]
    fn unknown_keys_name_the_line_and_key() {
        let e = err("name = \"t\"\n[[layer]]\nname = \"a\"\nlimit = 1\nwindw = \"1s\"\n");
        assert_eq!(e.line, Some(5));
        assert_eq!(e.key.as_deref(), Some("windw"));
        assert!(e.to_string().starts_with("p.toml:5: `windw`"), "{e}");
    }

    #[test]
    fn bad_values_name_the_line_and_key() {
        let e = err("name = \"t\"\n[[layer]]\nname = \"a\"\nlimit = 1\nwindow = \"0s\"\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(5), Some("window")));
        let e = err(
            "name = \"t\"\n[[layer]]\nname = \"a\"\nlimit = 1\nwindow = \"1s\"\nper = [\"planet\"]\n",
        );
        assert_eq!((e.line, e.key.as_deref()), (Some(6), Some("per")));
        assert!(e.problem.contains("planet"));
        let e = err(
            "name = \"t\"\n[[layer]]\nname = \"a\"\nlimit = 1\nwindow = \"1s\"\n[[layer]]\nname = \"a\"\nlimit = 2\nwindow = \"1s\"\n",
        );
        assert_eq!((e.line, e.key.as_deref()), (Some(7), Some("name")));
        assert!(e.problem.contains("duplicate"));
        let e = err("name = \"t\"\n[[layer]]\nname = \"a\"\nlimit = 0\nwindow = \"1s\"\n");
        assert_eq!(e.key.as_deref(), Some("limit"));
        let e = err("name = \"t\"\n[[layer]]\nname = \"a\"\nlimit = 5\n");
        assert_eq!(e.key.as_deref(), Some("window"));
    }
}

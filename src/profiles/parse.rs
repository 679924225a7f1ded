//! The TOML limit-profile format: parsing and validation with file:line errors.
//!
//! Owns the serde mirror of a profile file and its checks: unknown keys, values of the wrong
//! type (named with the shape expected), bad windows and rates, keys that do not belong to the
//! layer's algorithm, duplicate layer names, partitions outside the allowed set. Every error
//! names the file, the line and the key. It reads text handed in by the caller; it must not
//! open files. The format is documented in `docs/profile-format.md`.

use serde::Deserialize;
use toml::Spanned;

use crate::error::ProfileError;
use crate::model::{Method, Micros, Unit, time};
use crate::normalize::dialects;

use super::{
    Anchor, BucketKind, Cost, CostFrom, HostGlob, Layer, Limiter, PageRange, Partition, PathFilter,
    Profile, Rate, Refill,
};

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
    throttle_status: Option<Spanned<Vec<u16>>>,
    #[serde(default)]
    throttle_codes: Vec<Spanned<String>>,
    #[serde(default)]
    layer: Vec<RawLayer>,
}

#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn list(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayer {
    name: Spanned<String>,
    #[serde(default)]
    limit: Option<Spanned<i64>>,
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
    template: Option<Spanned<OneOrMany>>,
    #[serde(default)]
    exclude_template: Option<Spanned<OneOrMany>>,
    #[serde(default)]
    counts_preflight: bool,
    #[serde(default)]
    credential: Option<bool>,
    #[serde(default)]
    page_size: Option<Spanned<Vec<u32>>>,
    #[serde(default)]
    cost: Option<Spanned<std::collections::BTreeMap<String, u32>>>,
    #[serde(default)]
    cost_from: Option<Spanned<String>>,
    #[serde(default)]
    capacity: Option<Spanned<i64>>,
    #[serde(default)]
    rate: Option<Spanned<String>>,
    #[serde(default)]
    refill: Option<Spanned<String>>,
    #[serde(default)]
    interval: Option<Spanned<String>>,
    #[serde(default)]
    anchor: Option<Spanned<String>>,
    #[serde(default)]
    tz: Option<Spanned<String>>,
    #[serde(default)]
    admit_equal: Option<Spanned<bool>>,
    #[serde(default)]
    variant: Option<Spanned<String>>,
    #[serde(default)]
    delay: Option<Spanned<i64>>,
    #[serde(default)]
    count_rejected: Option<bool>,
    #[serde(default)]
    penalty: Option<Spanned<String>>,
    #[serde(default)]
    min_age: Option<Spanned<String>>,
    #[serde(default)]
    unit: Option<Spanned<String>>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    assumption: Option<String>,
}

/// Parses a window such as `500ms`, `1s`, `60s`, `1m`, `1h`, `24h`, `1d`.
pub fn parse_window(s: &str) -> Option<Micros> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let scale = unit_scale(unit.trim())?;
    let us = n * scale;
    (us >= 1.0 && us <= 366.0 * 86_400.0 * time::SECOND as f64).then_some(us.round() as Micros)
}

fn unit_scale(unit: &str) -> Option<f64> {
    Some(match unit {
        "ms" => time::MILLISECOND as f64,
        "s" | "sec" | "second" => time::SECOND as f64,
        "m" | "min" | "minute" => 60.0 * time::SECOND as f64,
        "h" | "hour" => 3600.0 * time::SECOND as f64,
        "d" | "day" => 86_400.0 * time::SECOND as f64,
        _ => return None,
    })
}

/// Parses a rate such as `5/s`, `300/min`, `2/1s`, `100/10s`, `0.5/s`, `1000/h`.
pub fn parse_rate(s: &str) -> Option<Rate> {
    let (amount, per) = s.trim().split_once('/')?;
    let amount: f64 = amount.trim().parse().ok()?;
    let per = per.trim();
    let period = if per.starts_with(|c: char| c.is_ascii_digit()) {
        parse_window(per)?
    } else {
        unit_scale(per)?.round() as Micros
    };
    (amount.is_finite() && amount > 0.0 && amount <= 1e9 && period > 0).then_some(Rate {
        amount,
        per: period,
    })
}

/// A UTC offset such as `UTC`, `Z`, `+05:30`, `-08:00`, in seconds.
fn parse_offset(s: &str) -> Option<i32> {
    let s = s.trim();
    if matches!(s, "UTC" | "utc" | "Z" | "GMT") {
        return Some(0);
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = s[1..].split_once(':').unwrap_or((&s[1..], "0"));
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
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

    /// The key written before `=` on the line holding `span`.
    fn key_at(&self, span: &std::ops::Range<usize>) -> Option<String> {
        let at = span.start.min(self.text.len());
        let start = self.text[..at].rfind('\n').map_or(0, |i| i + 1);
        let line = &self.text[start..];
        let (key, _) = line.split_once('=')?;
        let key = key.trim().trim_matches('"');
        (!key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')))
        .then(|| key.to_string())
    }
}

/// Keys of a profile, in the order `profiles new` explains them.
pub const PROFILE_KEYS: &[&str] = &[
    "name",
    "description",
    "hosts",
    "templates",
    "verified",
    "hidden_sources",
    "confirm",
    "throttle_status",
    "throttle_codes",
];

/// Keys of a layer, in the order `profiles new` explains them.
pub const LAYER_KEYS: &[&str] = &[
    "name",
    "per",
    "method",
    "template",
    "exclude_template",
    "credential",
    "page_size",
    "counts_preflight",
    "algorithm",
    "kind",
    "limit",
    "window",
    "anchor",
    "tz",
    "admit_equal",
    "capacity",
    "rate",
    "refill",
    "interval",
    "variant",
    "delay",
    "min_age",
    "count_rejected",
    "penalty",
    "cost",
    "cost_from",
    "unit",
    "source",
    "note",
    "assumption",
];

/// The shape a key's value must have, for type errors.
pub fn expected_shape(key: &str) -> Option<&'static str> {
    Some(match key {
        "name" => "a string in quotes, e.g. name = \"my-api\"",
        "description" | "hidden_sources" | "source" | "note" | "assumption" => {
            "a string in quotes, e.g. note = \"per user across all clients\""
        }
        "verified" => "a date in quotes, e.g. verified = \"2026-12-01\"",
        "window" | "interval" | "penalty" | "min_age" => {
            "a duration in quotes, e.g. \"60s\", \"500ms\", \"1h\""
        }
        "rate" => "a rate in quotes, e.g. rate = \"5/s\" or \"300/min\"",
        "kind" => "\"rate\" or \"concurrency\", in quotes",
        "algorithm" => {
            "an algorithm in quotes: \"sliding\", \"fixed\", \"fixed-aligned\", \"sliding-counter\", \"token-bucket\", \"leaky-bucket\" or \"gcra\""
        }
        "refill" => "\"continuous\" or \"interval\", in quotes",
        "anchor" => "\"first-request\", \"epoch\" or \"calendar\", in quotes",
        "tz" => "a UTC offset in quotes, e.g. tz = \"UTC\" or \"+05:30\"",
        "variant" => "\"nginx\", in quotes",
        "unit" => "\"requests\", \"points\" or \"tokens\", in quotes",
        "cost_from" => {
            "a cost source in quotes, e.g. \"header:x-ms-resource-unit\" or \"body:usage.total_tokens\""
        }
        "limit" | "capacity" | "delay" => "a whole number without quotes, e.g. 100",
        "hosts" => "a list of host globs, e.g. hosts = [\"api.example.com\", \"*.example.com\"]",
        "templates" => "a list of path templates, e.g. templates = [\"/users/{userId}\"]",
        "confirm" => "a list of strings, e.g. confirm = [\"GET /rate_limit shows the budget\"]",
        "throttle_codes" => "a list of body codes, e.g. throttle_codes = [\"E0000047\"]",
        "per" => "a list of partitions, e.g. per = [\"user\", \"client\"]",
        "throttle_status" => "a list of status codes, e.g. [429, 503]",
        "method" => "a method or a list of methods, e.g. \"PUT\" or [\"POST\", \"PUT\"]",
        "template" | "exclude_template" => {
            "a path or a list of paths, e.g. \"/users/{userId}\" or [\"/a\", \"/b/**\"]"
        }
        "counts_preflight" | "credential" | "admit_equal" | "count_rejected" => {
            "true or false, without quotes"
        }
        "page_size" => "an inclusive range of two whole numbers, e.g. page_size = [1, 25]",
        "cost" => "a table of points per method, e.g. cost = { GET = 1, POST = 5 }",
        "layer" => {
            "one table per layer: start each layer with a line [[layer]] (two brackets), not [layer]"
        }
        _ => return None,
    })
}

/// A hint for TOML syntax errors a profile author commonly makes.
fn syntax_hint(msg: &str, line: &str) -> Option<String> {
    let (key, value) = line.split_once('=')?;
    let (key, value) = (key.trim(), value.trim());
    let bare = !value.is_empty()
        && !value.starts_with(['"', '\'', '[', '{'])
        && value.parse::<f64>().is_err()
        && !matches!(value, "true" | "false");
    (bare && (msg.contains("invalid") || msg.contains("expected")))
        .then(|| format!("text values need quotes: {key} = \"{value}\""))
}

fn toml_error(cx: &Ctx<'_>, e: toml::de::Error) -> ProfileError {
    let msg = e.message().trim().to_string();
    let named = msg
        .split('`')
        .nth(1)
        .filter(|_| msg.contains("unknown field") || msg.contains("missing field"))
        .map(str::to_string);
    let line_text = e.span().map(|s| {
        let at = s.start.min(cx.text.len());
        let start = cx.text[..at].rfind('\n').map_or(0, |i| i + 1);
        let end = cx.text[at..].find('\n').map_or(cx.text.len(), |i| at + i);
        cx.text[start..end].to_string()
    });
    // a table header such as `[layer]` names the key it defines
    let header = line_text.as_deref().and_then(|l| {
        let l = l.trim();
        l.strip_prefix('[')
            .and_then(|l| l.strip_suffix(']'))
            .map(|k| k.trim_matches(['[', ']', ' ']).to_string())
    });
    let key = named
        .or_else(|| e.span().and_then(|s| cx.key_at(&s)))
        .or(header);
    let problem = match key.as_deref().and_then(expected_shape) {
        Some(shape) if msg.starts_with("invalid type") || msg.starts_with("invalid value") => {
            format!("{msg}: expected {shape}")
        }
        _ if msg.contains("unknown field") => format!(
            "{msg}; the keys are documented in docs/profile-format.md (why429 profiles new NAME writes a commented example)"
        ),
        _ if msg.contains("missing field") => format!(
            "{msg}: every profile needs a name (name = \"my-api\") and every [[layer]] a name too"
        ),
        _ => match line_text.as_deref().and_then(|l| syntax_hint(&msg, l)) {
            Some(hint) => format!("{msg}; {hint}"),
            None => msg,
        },
    };
    ProfileError {
        file: cx.file.to_string(),
        line: e.span().map(|s| cx.line(s)),
        key,
        problem,
    }
}

/// Parses and validates a profile. `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Profile, ProfileError> {
    let cx = Ctx { file, text };
    let raw: RawProfile = toml::from_str(text).map_err(|e| toml_error(&cx, e))?;
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
    let throttle_status = match &raw.throttle_status {
        None => vec![429],
        Some(s) => {
            if s.get_ref().is_empty() || s.get_ref().iter().any(|c| !(100..=599).contains(c)) {
                return Err(cx.err(
                    s.span(),
                    "throttle_status",
                    "list HTTP statuses from 100 to 599, e.g. [429, 503]",
                ));
            }
            s.get_ref().clone()
        }
    };
    let mut throttle_codes = Vec::new();
    for c in &raw.throttle_codes {
        let id = dialects::code_id(c.get_ref()).ok_or_else(|| {
            let known: Vec<&str> = dialects::CODES.iter().map(|c| c.name).collect();
            cx.err(
                c.span(),
                "throttle_codes",
                format!(
                    "`{}` is not a body code why429 reads; known codes: {}",
                    c.get_ref(),
                    known.join(", ")
                ),
            )
        })?;
        throttle_codes.push(id);
    }
    // the layers' tables as written, kept so that `--set` can re-parse a layer with an override
    let mut specs = toml::from_str::<toml::Table>(text)
        .ok()
        .and_then(|mut t| match t.remove("layer") {
            Some(toml::Value::Array(a)) => Some(a),
            _ => None,
        })
        .unwrap_or_default()
        .into_iter();
    let mut layers: Vec<Layer> = Vec::new();
    for l in raw.layer {
        let name_span = l.name.span();
        let mut layer = parse_layer(&cx, l)?;
        if layers.iter().any(|x| x.name == layer.name) {
            return Err(cx.err(
                name_span,
                "name",
                format!(
                    "duplicate layer name `{}`: layer names are unique in a profile",
                    layer.name
                ),
            ));
        }
        layer.spec = match specs.next() {
            Some(toml::Value::Table(t)) => Some(t),
            _ => None,
        };
        layers.push(layer);
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
        throttle_status,
        throttle_codes,
    })
}

/// A duration key (`penalty`, `min_age`, `interval`).
fn duration(
    cx: &Ctx<'_>,
    v: &Option<Spanned<String>>,
    key: &str,
) -> Result<Option<Micros>, ProfileError> {
    match v {
        None => Ok(None),
        Some(s) => parse_window(s.get_ref()).map(Some).ok_or_else(|| {
            cx.err(
                s.span(),
                key,
                format!(
                    "`{}` is not a duration: use a positive number with ms, s, m, h or d (\"500ms\", \"20s\", \"5m\")",
                    s.get_ref()
                ),
            )
        }),
    }
}

/// A positive whole number key.
fn count(cx: &Ctx<'_>, v: &Spanned<i64>, key: &str) -> Result<u64, ProfileError> {
    match *v.get_ref() {
        n if n >= 1 => Ok(n as u64),
        _ => Err(cx.err(v.span(), key, format!("`{key}` must be at least 1"))),
    }
}

/// Rejects keys that do not belong to the layer's algorithm.
fn reject(
    cx: &Ctx<'_>,
    present: &[(bool, std::ops::Range<usize>, &str)],
    algorithm: &str,
) -> Result<(), ProfileError> {
    if let Some((_, span, key)) = present.iter().find(|(p, _, _)| *p) {
        return Err(cx.err(
            span.clone(),
            key,
            format!(
                "`{key}` does not apply to algorithm \"{algorithm}\" (see docs/profile-format.md)"
            ),
        ));
    }
    Ok(())
}

fn span_of<T>(v: &Option<Spanned<T>>) -> (bool, std::ops::Range<usize>) {
    match v {
        Some(s) => (true, s.span()),
        None => (false, 0..0),
    }
}

fn parse_layer(cx: &Ctx<'_>, l: RawLayer) -> Result<Layer, ProfileError> {
    let lname = l.name.get_ref().trim().to_string();
    if lname.is_empty() {
        return Err(cx.err(l.name.span(), "name", "a layer name is empty"));
    }
    let kind = l.kind.as_ref().map(|k| (k.get_ref().as_str(), k.span()));
    let algorithm = l
        .algorithm
        .as_ref()
        .map(|a| (a.get_ref().as_str(), a.span()));
    if let Some((k, span)) = &kind
        && !matches!(*k, "rate" | "concurrency")
    {
        return Err(cx.err(
            span.clone(),
            "kind",
            format!("`{k}` is not a kind: use \"rate\" or \"concurrency\""),
        ));
    }
    let concurrency = kind.as_ref().is_some_and(|(k, _)| *k == "concurrency")
        || algorithm.as_ref().is_some_and(|(a, _)| *a == "concurrency");
    let algo = if concurrency {
        if let Some((a, span)) = &algorithm
            && *a != "concurrency"
        {
            return Err(cx.err(
                span.clone(),
                "algorithm",
                format!("a concurrency layer has no algorithm `{a}`: leave `algorithm` out"),
            ));
        }
        "concurrency"
    } else {
        algorithm.as_ref().map_or("sliding", |(a, _)| *a)
    };
    let need_limit = |what: &str| -> Result<u64, ProfileError> {
        match &l.limit {
            Some(v) => count(cx, v, "limit"),
            None => Err(cx.err(
                l.name.span(),
                "limit",
                format!("layer `{lname}` needs a limit ({what})"),
            )),
        }
    };
    let need_window = || -> Result<Micros, ProfileError> {
        match &l.window {
            Some(w) => parse_window(w.get_ref()).ok_or_else(|| {
                cx.err(w.span(), "window", format!(
                    "`{}` is not a window: use a positive number with ms, s, m, h or d (\"500ms\", \"60s\", \"1h\")",
                    w.get_ref()
                ))
            }),
            None => Err(cx.err(l.name.span(), "window", format!("layer `{lname}` needs a window (e.g. window = \"60s\")"))),
        }
    };
    let (has_cap, cap_span) = span_of(&l.capacity);
    let (has_rate, rate_span) = span_of(&l.rate);
    let (has_refill, refill_span) = span_of(&l.refill);
    let (has_interval, interval_span) = span_of(&l.interval);
    let (has_anchor, anchor_span) = span_of(&l.anchor);
    let (has_tz, tz_span) = span_of(&l.tz);
    let (has_eq, eq_span) = span_of(&l.admit_equal);
    let (has_variant, variant_span) = span_of(&l.variant);
    let (has_delay, delay_span) = span_of(&l.delay);
    let (has_min_age, min_age_span) = span_of(&l.min_age);
    let (has_limit, limit_span) = span_of(&l.limit);
    let (has_window, window_span) = span_of(&l.window);
    let bucket_keys = [
        (has_cap, cap_span.clone(), "capacity"),
        (has_rate, rate_span.clone(), "rate"),
        (has_refill, refill_span.clone(), "refill"),
        (has_interval, interval_span.clone(), "interval"),
        (has_variant, variant_span.clone(), "variant"),
        (has_delay, delay_span.clone(), "delay"),
    ];
    let limiter = match algo {
        "sliding" | "fixed" | "fixed-aligned" => {
            reject(cx, &bucket_keys, algo)?;
            reject(
                cx,
                &[
                    (has_eq, eq_span, "admit_equal"),
                    (has_min_age, min_age_span, "min_age"),
                ],
                algo,
            )?;
            if algo == "sliding" {
                reject(cx, &[(has_anchor, anchor_span.clone(), "anchor")], algo)?;
            }
            let limit = need_limit("requests per window")?;
            let window = need_window()?;
            let anchor = match (algo, l.anchor.as_ref().map(|a| a.get_ref().as_str())) {
                ("sliding", _) => None,
                ("fixed-aligned", None) => Some(Anchor::Epoch),
                ("fixed-aligned", Some(a)) if a != "epoch" => {
                    return Err(cx.err(anchor_span, "anchor", "\"fixed-aligned\" windows are anchored at the epoch: use algorithm = \"fixed\" with another anchor"));
                }
                (_, None | Some("first-request")) => Some(Anchor::FirstRequest),
                (_, Some("epoch")) => Some(Anchor::Epoch),
                (_, Some("calendar")) => {
                    let offset_s = match &l.tz {
                        None => 0,
                        Some(tz) => parse_offset(tz.get_ref()).ok_or_else(|| {
                            cx.err(
                                tz.span(),
                                "tz",
                                format!(
                                    "`{}` is not a time zone offset: use \"UTC\" or \"+05:30\"",
                                    tz.get_ref()
                                ),
                            )
                        })?,
                    };
                    if ![
                        time::SECOND,
                        60 * time::SECOND,
                        3600 * time::SECOND,
                        86_400 * time::SECOND,
                    ]
                    .contains(&window)
                    {
                        return Err(cx.err(
                            window_span,
                            "window",
                            "calendar windows are 1s, 1m, 1h or 1d",
                        ));
                    }
                    Some(Anchor::Calendar { offset_s })
                }
                (_, Some(other)) => {
                    return Err(cx.err(anchor_span, "anchor", format!("`{other}` is not an anchor: use \"first-request\", \"epoch\" or \"calendar\"")));
                }
            };
            if !matches!(anchor, Some(Anchor::Calendar { .. })) {
                reject(cx, &[(has_tz, tz_span, "tz")], algo)?;
            }
            Limiter::Window {
                limit,
                window,
                anchor,
            }
        }
        "sliding-counter" => {
            reject(cx, &bucket_keys, algo)?;
            reject(
                cx,
                &[
                    (has_anchor, anchor_span, "anchor"),
                    (has_tz, tz_span, "tz"),
                    (has_min_age, min_age_span, "min_age"),
                ],
                algo,
            )?;
            Limiter::SlidingCounter {
                limit: need_limit("requests per window")?,
                window: need_window()?,
                admit_equal: l.admit_equal.as_ref().is_none_or(|v| *v.get_ref()),
            }
        }
        "token-bucket" | "leaky-bucket" | "gcra" => {
            reject(
                cx,
                &[
                    (has_limit, limit_span, "limit"),
                    (has_window, window_span, "window"),
                    (has_anchor, anchor_span, "anchor"),
                    (has_tz, tz_span, "tz"),
                    (has_eq, eq_span, "admit_equal"),
                    (has_min_age, min_age_span, "min_age"),
                ],
                algo,
            )?;
            let capacity = match &l.capacity {
                Some(c) => count(cx, c, "capacity")?,
                None => return Err(cx.err(l.name.span(), "capacity", format!("layer `{lname}` needs a capacity (requests admitted at once from a full bucket)"))),
            };
            let rate = match &l.rate {
                Some(r) => parse_rate(r.get_ref()).ok_or_else(|| cx.err(r.span(), "rate", format!(
                    "`{}` is not a rate: use an amount per unit, e.g. \"5/s\", \"300/min\", \"100/10s\"",
                    r.get_ref()
                )))?,
                None => return Err(cx.err(l.name.span(), "rate", format!("layer `{lname}` needs a rate (e.g. rate = \"5/s\")"))),
            };
            let refill = match l.refill.as_ref().map(|r| r.get_ref().as_str()) {
                None | Some("continuous") => {
                    reject(cx, &[(has_interval, interval_span, "interval")], "token-bucket with continuous refill")?;
                    Refill::Continuous
                }
                Some("interval") if algo == "token-bucket" => match duration(cx, &l.interval, "interval")? {
                    Some(i) => Refill::Interval(i),
                    None => return Err(cx.err(refill_span, "interval", "refill = \"interval\" needs interval = \"1s\" (how often tokens are added)")),
                },
                Some(other) => {
                    return Err(cx.err(refill_span, "refill", format!("`{other}` is not a refill for {algo}: use \"continuous\"{}", if algo == "token-bucket" { " or \"interval\"" } else { "" })));
                }
            };
            let nginx = match l.variant.as_ref().map(|v| v.get_ref().as_str()) {
                None => false,
                Some("nginx") if algo == "leaky-bucket" => {
                    let whole = rate.amount.fract() == 0.0;
                    if !(whole && (rate.per == time::SECOND || rate.per == 60 * time::SECOND)) {
                        return Err(cx.err(rate_span, "rate", "nginx rates are whole requests per second or per minute (\"5/s\", \"30/min\")"));
                    }
                    true
                }
                Some(other) => {
                    return Err(cx.err(variant_span, "variant", format!("`{other}` is not a variant of {algo}: the only variant is \"nginx\", for leaky-bucket")));
                }
            };
            let delay =
                match &l.delay {
                    None => None,
                    Some(d) if nginx && *d.get_ref() >= 0 => Some(*d.get_ref() as u64),
                    Some(d) => return Err(cx.err(
                        d.span(),
                        "delay",
                        "`delay` is nginx's delay=N: it needs variant = \"nginx\" and a number ≥ 0",
                    )),
                };
            let kind = match algo {
                "token-bucket" => BucketKind::Token,
                "leaky-bucket" => BucketKind::Leaky,
                _ => BucketKind::Gcra,
            };
            Limiter::Bucket {
                kind,
                capacity,
                rate,
                refill,
                nginx,
                delay,
            }
        }
        "concurrency" => {
            reject(cx, &bucket_keys, algo)?;
            reject(
                cx,
                &[
                    (has_window, window_span, "window"),
                    (has_anchor, anchor_span, "anchor"),
                    (has_tz, tz_span, "tz"),
                    (has_eq, eq_span, "admit_equal"),
                ],
                algo,
            )?;
            Limiter::Concurrency {
                limit: need_limit("requests in flight")?,
                min_age: duration(cx, &l.min_age, "min_age")?.unwrap_or(0),
            }
        }
        other => {
            let span = algorithm.map(|(_, s)| s).unwrap_or(0..0);
            return Err(cx.err(span, "algorithm", format!(
                "`{other}` is not an algorithm: use \"sliding\", \"fixed\", \"fixed-aligned\", \"sliding-counter\", \"token-bucket\", \"leaky-bucket\" or \"gcra\" (or kind = \"concurrency\")"
            )));
        }
    };
    let mut layer = Layer::new(lname, limiter);
    if let Some(p) = &l.per {
        for v in p.get_ref() {
            let part = Partition::parse(v).ok_or_else(|| {
                cx.err(p.span(), "per", format!("`{v}` is not a partition: use user, client, token, endpoint, resource or org"))
            })?;
            if part != Partition::Org && !layer.per.contains(&part) {
                layer.per.push(part);
            }
        }
    }
    if let Some(m) = &l.method {
        for s in m.get_ref().list() {
            let parsed = Method::parse(&s);
            if matches!(parsed, Method::Other(None)) {
                return Err(cx.err(m.span(), "method", format!("`{s}` is not an HTTP method")));
            }
            layer.methods.push(parsed);
        }
    }
    if let Some(t) = &l.template {
        for s in t.get_ref().list() {
            layer.templates.push(PathFilter::new(&s).ok_or_else(|| {
                cx.err(
                    t.span(),
                    "template",
                    format!("`{s}` is not a path pattern: a template starts with `/` and may end with `/**` (\"/api/v2/users/{{userId}}\", \"/admin/**\")"),
                )
            })?);
        }
    }
    if let Some(t) = &l.exclude_template {
        for s in t.get_ref().list() {
            layer.exclude.push(PathFilter::new(&s).ok_or_else(|| {
                cx.err(
                    t.span(),
                    "exclude_template",
                    format!("`{s}` is not a path pattern: a template starts with `/` and may end with `/**` (\"/graphql\", \"/api/{{version}}/interactions/**\")"),
                )
            })?);
        }
    }
    layer.counts_preflight = l.counts_preflight;
    layer.credential = l.credential;
    if let Some(p) = &l.page_size {
        layer.page_size = match p.get_ref().as_slice() {
            [lo, hi] if lo <= hi => Some(PageRange { min: *lo, max: *hi }),
            _ => return Err(cx.err(p.span(), "page_size", "use an inclusive range [min, max]")),
        };
    }
    let mut cost = Cost::default();
    if let Some(c) = &l.cost {
        for (m, n) in c.get_ref() {
            let parsed = Method::parse(m);
            if matches!(parsed, Method::Other(None)) {
                return Err(cx.err(c.span(), "cost", format!("`{m}` is not an HTTP method")));
            }
            cost.per_method.push((parsed, *n));
        }
    }
    if let Some(f) = &l.cost_from {
        cost.from = Some(CostFrom::parse(f.get_ref()).ok_or_else(|| {
            cx.err(
                f.span(),
                "cost_from",
                format!(
                    "`{}` is not a cost source: use \"header:NAME\" or \"body:dotted.path\"",
                    f.get_ref()
                ),
            )
        })?);
    }
    layer.cost = cost;
    layer.count_rejected = l.count_rejected;
    layer.penalty = duration(cx, &l.penalty, "penalty")?;
    if let Some(u) = &l.unit {
        layer.unit = match u.get_ref().as_str() {
            "requests" => Unit::Requests,
            "points" => Unit::Points,
            "tokens" => Unit::Tokens,
            other => {
                return Err(cx.err(
                    u.span(),
                    "unit",
                    format!("`{other}` is not a unit: use \"requests\", \"points\" or \"tokens\""),
                ));
            }
        };
    }
    layer.source = l.source;
    layer.note = l.note;
    layer.assumption = l.assumption;
    Ok(layer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::Kind;

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
        assert_eq!(p.layers[0].window(), 60 * time::SECOND);
        assert_eq!(p.layers[0].per, vec![Partition::User, Partition::Client]);
        assert_eq!(p.layers[1].kind(), Kind::Concurrency);
        assert_eq!(p.throttle_status, vec![429]);
    }

    fn layer(body: &str) -> Result<Layer, ProfileError> {
        parse(
            "p.toml",
            &format!("name = \"t\"\n[[layer]]\nname = \"a\"\n{body}"),
        )
        .map(|mut p| p.layers.remove(0))
    }

    #[test]
    fn every_algorithm_parses_with_its_numbers() {
        let l = layer("algorithm = \"leaky-bucket\"\nvariant = \"nginx\"\ncapacity = 11\nrate = \"5/s\"\nper = [\"token\"]\ncount_rejected = false\n").unwrap();
        match l.limiter {
            Limiter::Bucket {
                capacity,
                rate,
                nginx,
                kind,
                ..
            } => {
                assert_eq!((capacity, nginx, kind), (11, true, BucketKind::Leaky));
                assert_eq!(rate.per_second(), 5.0);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(l.count_rejected, Some(false));
        let l = layer("algorithm = \"token-bucket\"\ncapacity = 5000\nrate = \"10000/s\"\nrefill = \"interval\"\ninterval = \"1s\"\n").unwrap();
        assert!(
            matches!(l.limiter, Limiter::Bucket { refill: Refill::Interval(i), .. } if i == time::SECOND)
        );
        let l = layer("algorithm = \"gcra\"\ncapacity = 3\nrate = \"100/10s\"\n").unwrap();
        assert!(
            matches!(l.limiter, Limiter::Bucket { kind: BucketKind::Gcra, rate, .. } if rate.per_second() == 10.0)
        );
        let l = layer(
            "algorithm = \"sliding-counter\"\nlimit = 100\nwindow = \"60s\"\nadmit_equal = false\n",
        )
        .unwrap();
        assert!(matches!(
            l.limiter,
            Limiter::SlidingCounter {
                admit_equal: false,
                ..
            }
        ));
        let l = layer("algorithm = \"fixed\"\nanchor = \"calendar\"\ntz = \"+05:30\"\nlimit = 60\nwindow = \"1m\"\npenalty = \"5m\"\n").unwrap();
        assert!(matches!(
            l.limiter,
            Limiter::Window {
                anchor: Some(Anchor::Calendar { offset_s: 19_800 }),
                ..
            }
        ));
        assert_eq!(l.penalty, Some(300 * time::SECOND));
        let l = layer("algorithm = \"fixed-aligned\"\nlimit = 60\nwindow = \"1m\"\n").unwrap();
        assert!(matches!(
            l.limiter,
            Limiter::Window {
                anchor: Some(Anchor::Epoch),
                ..
            }
        ));
        let l = layer("kind = \"concurrency\"\nlimit = 25\nmin_age = \"20s\"\n").unwrap();
        assert!(
            matches!(l.limiter, Limiter::Concurrency { limit: 25, min_age } if min_age == 20 * time::SECOND)
        );
        let l = layer("limit = 2000\nwindow = \"1m\"\ncost_from = \"body:extensions.cost.actualQueryCost\"\nunit = \"points\"\ntemplate = [\"/a\", \"/b/{id}\"]\n").unwrap();
        assert_eq!(l.templates.len(), 2);
        assert_eq!(l.unit, Unit::Points);
        assert!(l.cost.from.is_some());
    }

    #[test]
    fn rates_and_windows() {
        assert_eq!(parse_window("500ms"), Some(500_000));
        assert_eq!(parse_window("1m"), Some(60 * time::SECOND));
        assert_eq!(parse_window("24h"), Some(86_400 * time::SECOND));
        for bad in ["0s", "abc", "10", "-1s", "5 parsecs", ""] {
            assert_eq!(parse_window(bad), None, "{bad}");
        }
        let r = parse_rate("300/min").unwrap();
        assert_eq!(r.per_second(), 5.0);
        assert_eq!(parse_rate("2/1s").unwrap().per_second(), 2.0);
        assert_eq!(parse_rate("0.5/s").unwrap().per_second(), 0.5);
        assert_eq!(parse_rate("1000/h").unwrap().per, 3600 * time::SECOND);
        for bad in ["5", "5/", "/s", "0/s", "-1/s", "5/fortnight"] {
            assert_eq!(parse_rate(bad), None, "{bad}");
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
    fn type_errors_name_the_key_and_the_shape() {
        let e = err("name = \"t\"\n[[layer]]\nname = \"a\"\nlimit = \"100\"\nwindow = \"1s\"\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(4), Some("limit")));
        assert!(e.problem.contains("a whole number"), "{e}");
        let e = err("name = \"t\"\n[[layer]]\nname = \"a\"\nlimit = 1\nwindow = 60\n");
        assert_eq!(e.key.as_deref(), Some("window"));
        assert!(e.problem.contains("a duration in quotes"), "{e}");
        let e = err("name = \"t\"\nthrottle_status = \"503\"\n");
        assert_eq!(e.key.as_deref(), Some("throttle_status"));
        assert!(e.problem.contains("[429, 503]"), "{e}");
    }

    #[test]
    fn lost_authors_are_told_what_to_write() {
        // a layer written as [layer] instead of [[layer]]
        let e = err("name = \"t\"\n[layer]\nname = \"a\"\nlimit = 1\nwindow = \"1s\"\n");
        assert_eq!(e.key.as_deref(), Some("layer"));
        assert!(e.problem.contains("[[layer]]"), "{e}");
        // a text value without quotes
        let e = err("name = \"t\"\n[[layer]]\nname = \"a\"\nlimit = 1\nwindow = 60s\n");
        assert_eq!(e.line, Some(5));
        assert!(e.problem.contains("window = \"60s\""), "{e}");
        // a rate given as a number
        let e = err(
            "name = \"t\"\n[[layer]]\nname = \"a\"\nalgorithm = \"gcra\"\ncapacity = 5\nrate = 5\n",
        );
        assert_eq!(e.key.as_deref(), Some("rate"));
        assert!(e.problem.contains("\"5/s\""), "{e}");
        // a partition given as a string, a number in quotes, a list where one value goes
        let e = err(
            "name = \"t\"\n[[layer]]\nname = \"a\"\nlimit = 1\nwindow = \"1s\"\nper = \"user\"\n",
        );
        assert_eq!(e.key.as_deref(), Some("per"));
        assert!(e.problem.contains("per = [\"user\", \"client\"]"), "{e}");
        let e = err(
            "name = \"t\"\n[[layer]]\nname = \"a\"\nlimit = 1\nwindow = \"1s\"\ncredential = \"yes\"\n",
        );
        assert!(e.problem.contains("true or false"), "{e}");
        let e = err("name = \"t\"\nhosts = \"api.example.com\"\n");
        assert!(e.problem.contains("hosts = [\"api.example.com\""), "{e}");
        // no name
        let e = err("description = \"x\"\n");
        assert!(e.problem.contains("name = \"my-api\""), "{e}");
        // a bad path names itself
        let e = err(
            "name = \"t\"\n[[layer]]\nname = \"a\"\nlimit = 1\nwindow = \"1s\"\nexclude_template = \"graphql\"\n",
        );
        assert_eq!(
            (e.line, e.key.as_deref()),
            (Some(6), Some("exclude_template"))
        );
        assert!(e.problem.contains("`graphql`"), "{e}");
        // a duplicate layer name points at the second one
        let e = err(
            "name = \"t\"\n[[layer]]\nname = \"a\"\nlimit = 1\nwindow = \"1s\"\n[[layer]]\nname = \"a\"\nlimit = 2\nwindow = \"1s\"\n",
        );
        assert_eq!(e.line, Some(7));
    }

    #[test]
    fn excluded_paths_and_the_written_table_are_kept() {
        let l = layer("limit = 5\nwindow = \"1s\"\ntemplate = \"/api/**\"\nexclude_template = [\"/api/graphql\", \"/api/{v}/interactions/**\"]\n").unwrap();
        assert_eq!(l.exclude.len(), 2);
        assert_eq!(
            l.filter_label().as_deref(),
            Some("any /api/** except /api/graphql, /api/{v}/interactions/**")
        );
        let spec = l.spec.unwrap();
        assert_eq!(spec.get("limit"), Some(&toml::Value::Integer(5)));
        assert_eq!(spec.get("name"), Some(&toml::Value::String("a".into())));
    }

    #[test]
    fn keys_of_another_algorithm_are_refused() {
        let e = err(
            "name = \"t\"\n[[layer]]\nname = \"a\"\nlimit = 1\nwindow = \"1s\"\ncapacity = 5\n",
        );
        assert_eq!((e.line, e.key.as_deref()), (Some(6), Some("capacity")));
        let e = err(
            "name = \"t\"\n[[layer]]\nname = \"a\"\nalgorithm = \"token-bucket\"\ncapacity = 5\nrate = \"1/s\"\nwindow = \"1s\"\n",
        );
        assert_eq!(e.key.as_deref(), Some("window"));
        let e = err("name = \"t\"\n[[layer]]\nname = \"a\"\nalgorithm = \"gcra\"\ncapacity = 5\n");
        assert_eq!(e.key.as_deref(), Some("rate"));
        let e = err(
            "name = \"t\"\n[[layer]]\nname = \"a\"\nalgorithm = \"token-bucket\"\nvariant = \"nginx\"\ncapacity = 5\nrate = \"1/s\"\n",
        );
        assert_eq!(e.key.as_deref(), Some("variant"));
        let e = err(
            "name = \"t\"\n[[layer]]\nname = \"a\"\nalgorithm = \"leaky-bucket\"\nvariant = \"nginx\"\ncapacity = 5\nrate = \"2/10s\"\n",
        );
        assert_eq!(e.key.as_deref(), Some("rate"));
        let e = err(
            "name = \"t\"\n[[layer]]\nname = \"a\"\nalgorithm = \"fixed\"\nanchor = \"calendar\"\nlimit = 5\nwindow = \"7s\"\n",
        );
        assert_eq!(e.key.as_deref(), Some("window"));
        let e = err("name = \"t\"\nthrottle_codes = [\"NOPE\"]\n");
        assert_eq!(e.key.as_deref(), Some("throttle_codes"));
        assert!(e.problem.contains("known codes"), "{e}");
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
        assert_eq!(e.key.as_deref(), Some("name"));
        assert!(e.problem.contains("duplicate"));
        let e = err("name = \"t\"\n[[layer]]\nname = \"a\"\nlimit = 0\nwindow = \"1s\"\n");
        assert_eq!(e.key.as_deref(), Some("limit"));
        let e = err("name = \"t\"\n[[layer]]\nname = \"a\"\nlimit = 5\n");
        assert_eq!(e.key.as_deref(), Some("window"));
    }
}

//! Shareable captures: a HAR rewritten so it can be posted publicly and still gives the same
//! analysis.
//!
//! Owns the rewrite of each entry from an allow-list. A `Plan` is made from the analysis of the
//! original capture (which request each entry became, its client, user, token, template and
//! 429 facts) and decides every stand-in up front; `Plan::entry` then writes one entry from its
//! JSON text alone, so entries can be rewritten in parallel and in one pass over the file.
//! Kept: times, durations, methods, hosts, statuses, rate-limit numbers, `Retry-After`, `Date`,
//! preflight markers and hexadecimal correlation ids. Replaced: credentials, ids in paths,
//! other correlation ids, undocumented limit keys, 429 bodies. Everything else is left out and
//! counted. Pure: no I/O; the CLI streams the file through it.

pub mod fields;
pub mod raw;
pub mod standin;
pub mod verify;

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::analysis::Analysis;
use crate::model::Request;
use crate::model::{Method, MethodName, RetrySource, time};
use crate::normalize::headers::CORRELATION;
use crate::normalize::{CostSources, FingerprintKey};
use raw::{Kind, Removed};

/// How to write the copy.
#[derive(Clone, Debug)]
pub struct Options {
    /// Keep ids in paths as they are (`--keep-ids`).
    pub keep_ids: bool,
    /// Key of the stand-ins. Use a fresh random key per copy: one that is known or reused
    /// would let short ids be recovered by trial or copies be linked to each other.
    pub key: FingerprintKey,
}

/// What each entry becomes, decided from the analysis of the original.
#[derive(Debug)]
pub struct Plan<'a> {
    analysis: &'a Analysis,
    /// Request index of each entry (`None`: the entry was not usable).
    by_entry: Vec<Option<u32>>,
    /// New path of each request.
    paths: Vec<String>,
    /// `limit.key` written for each interned key.
    limit_keys: Vec<String>,
    /// Name written for each server-chosen policy, bucket or reason name.
    policies: Vec<String>,
    /// Where the reported costs were read from (`cost_from`), to write them back there.
    costs: CostSources,
    /// Correlation id written for each interned id.
    correlations: Vec<String>,
    /// Whether request `headersSize` must still show removed headers (the original was a
    /// sanitized export).
    keep_headers_size: bool,
    /// Custom method names, in order of first use (written as `EXT-A`, `EXT-B`, ...).
    methods: Vec<MethodName>,
    /// Key of the stand-ins.
    key: FingerprintKey,
    /// Replacements counted while planning.
    planned: Removed,
}

/// The path of a request with its template's parameters replaced by pseudonyms.
fn pseudonymized(path: &str, template: &str, ids: &mut standin::PathIds) -> String {
    let segs: Vec<&str> = path.split('/').collect();
    let tsegs: Vec<&str> = template.split('/').collect();
    if segs.len() != tsegs.len() {
        // a template that does not align segment by segment: replace every differing segment
        return segs
            .iter()
            .map(|s| {
                if s.is_empty() || tsegs.contains(s) {
                    s.to_string()
                } else {
                    ids.of(s)
                }
            })
            .collect::<Vec<_>>()
            .join("/");
    }
    segs.iter()
        .zip(&tsegs)
        .map(|(s, t)| {
            let param = t.starts_with('{') && t.ends_with('}') && t.len() > 2;
            if param && !s.is_empty() {
                ids.of(s)
            } else {
                s.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

impl<'a> Plan<'a> {
    /// Plans the rewrite of an analyzed capture.
    pub fn new(analysis: &'a Analysis, options: &Options) -> Plan<'a> {
        let c = &analysis.capture;
        let key = &options.key;
        let mut by_entry = vec![None; c.entries as usize];
        for (i, r) in c.requests.iter().enumerate() {
            if let Some(slot) = by_entry.get_mut(r.entry as usize) {
                *slot = Some(i as u32);
            }
        }
        let mut ids = standin::PathIds::new(key.clone());
        let mut cache: HashMap<(u32, u32), String> = HashMap::new();
        let paths = c
            .requests
            .iter()
            .map(|r| {
                let path = *c.path(r).expose_for_computation();
                if options.keep_ids {
                    return path.to_string();
                }
                cache
                    .entry((r.path, r.template))
                    .or_insert_with(|| pseudonymized(path, c.template(r), &mut ids))
                    .clone()
            })
            .collect();
        let mut planned = Removed::default();
        planned.add(Kind::PathIds, ids.len() as u64);
        let layer_names: Vec<&str> = analysis
            .profiles
            .iter()
            .flat_map(|p| p.layers.iter().map(|l| l.name.as_str()))
            .collect();
        let mut undocumented = 0;
        let limit_keys = c
            .limit_keys
            .iter()
            .map(|k| {
                let k = k.expose_for_computation();
                if layer_names.contains(&k.as_str()) {
                    k.clone()
                } else {
                    undocumented += 1;
                    format!("why429-limit-{undocumented}")
                }
            })
            .collect();
        planned.add(Kind::LimitKeys, undocumented);
        // policy names are server text: only the names of documented layers stay
        let mut replaced = 0;
        let policies = c
            .policies
            .iter()
            .map(|p| {
                let p = p.expose_for_computation();
                if layer_names.contains(&p.as_str()) {
                    p.clone()
                } else {
                    replaced += 1;
                    format!("why429-policy-{replaced}")
                }
            })
            .collect();
        planned.add(Kind::PolicyNames, replaced);
        let correlations = c
            .correlation_ids
            .iter()
            .map(|id| {
                let id = id.expose_for_computation();
                if fields::plain_correlation(id) {
                    id.to_string()
                } else {
                    planned.add(Kind::CorrelationIds, 1);
                    standin::uuid(key, "correlation", id)
                }
            })
            .collect();
        let mut methods: Vec<MethodName> = Vec::new();
        for r in &c.requests {
            for m in [Some(&r.method), r.preflight_method()]
                .into_iter()
                .flatten()
            {
                if let Method::Other(Some(name)) = m
                    && !methods.contains(name)
                {
                    methods.push(*name);
                }
            }
        }
        Plan {
            analysis,
            by_entry,
            paths,
            limit_keys,
            policies,
            costs: CostSources::default(),
            correlations,
            keep_headers_size: c.sanitization.authorization_stripped,
            methods,
            key: key.clone(),
            planned,
        }
    }

    /// The plan for a capture read with these `cost_from` sources: reported costs are written
    /// back where they were read.
    pub fn with_costs(mut self, costs: CostSources) -> Plan<'a> {
        self.costs = costs;
        self
    }

    /// Replacements counted while planning (path ids, correlation ids, limit keys).
    pub fn planned(&self) -> &Removed {
        &self.planned
    }

    /// The text before the first entry: `{"log": {..., "entries": [`.
    pub fn head(&self) -> String {
        let c = &self.analysis.capture;
        let mut log = Map::new();
        log.insert(
            "version".into(),
            c.har_version.clone().unwrap_or_else(|| "1.2".into()).into(),
        );
        let p = &c.producer;
        let known = p.name != "unknown producer";
        log.insert(
            "creator".into(),
            json!({
                "name": if known { p.name } else { "unknown" },
                "version": p.version.clone().unwrap_or_default(),
            }),
        );
        if let Some((name, version)) = &p.browser {
            log.insert(
                "browser".into(),
                json!({"name": name, "version": version.clone().unwrap_or_default()}),
            );
        }
        log.insert(
            "comment".into(),
            format!(
                "Sanitized by why429 {}: credentials replaced by synthetic tokens, ids in paths by \
                 pseudonyms; cookies, query values, bodies and free text removed.",
                env!("CARGO_PKG_VERSION")
            )
            .into(),
        );
        let text = Value::Object(log).to_string();
        // reopen the object to append the entries array
        format!("{{\"log\":{},\"entries\":[\n", &text[..text.len() - 1])
    }

    /// The text after the last entry.
    pub fn tail(&self) -> &'static str {
        "\n]}}\n"
    }

    /// Writes the entry at `index`: from the request it became, never from the entry's own
    /// text, which is only read to count what is left out (and for byte sizes).
    pub fn entry(&self, index: u32, json: &[u8], removed: &mut Removed) -> Value {
        // the entry parser skips fields it ignores without checking their UTF-8; read those
        // bytes as replacement characters so the count still covers the entry
        let raw = serde_json::from_slice::<Value>(json)
            .or_else(|_| serde_json::from_str::<Value>(&String::from_utf8_lossy(json)))
            .ok();
        let Some(i) = self.by_entry.get(index as usize).copied().flatten() else {
            removed.add(Kind::UnusableEntries, 1);
            return json!({});
        };
        let raw = raw.unwrap_or(Value::Null);
        raw::count_removed(&raw, removed);
        let r = &self.analysis.capture.requests[i as usize];
        let mut e = Map::new();
        e.insert(
            "startedDateTime".into(),
            time::rfc3339_exact(r.start, r.utc_offset_s).into(),
        );
        let ms = fields::millis(r.duration);
        e.insert("time".into(), json!(ms));
        e.insert("request".into(), self.request(i as usize, r, &raw));
        e.insert("response".into(), self.response(r, &raw, removed));
        e.insert("cache".into(), json!({}));
        // the time before the request left the browser, so the copy arrives when the original did
        let sent = i64::from(r.sent);
        let blocked = if sent > 0 {
            json!(fields::millis(sent))
        } else {
            json!(-1)
        };
        let wait = fields::millis(r.duration - sent);
        e.insert(
            "timings".into(),
            json!({"blocked": blocked, "dns": -1, "connect": -1, "send": 0, "wait": wait, "receive": 0}),
        );
        if r.from_cache {
            e.insert("_fromCache".into(), "memory".into());
        }
        if r.is_preflight {
            e.insert("_resourceType".into(), "preflight".into());
        }
        Value::Object(e)
    }

    /// The method name written for a method: standard ones as they are, others as
    /// `EXT-A`, `EXT-B`, ... (a custom method name is text chosen by someone).
    fn method(&self, m: &Method) -> String {
        match m {
            Method::Other(Some(name)) => self
                .methods
                .iter()
                .position(|n| n == name)
                .map_or_else(|| "OTHER".to_string(), standin::extension_method),
            // not a method token: something that reads back as one again
            Method::Other(None) => "UNREADABLE METHOD".to_string(),
            other => other.as_str().to_string(),
        }
    }

    fn request(&self, i: usize, r: &Request, raw: &Value) -> Value {
        let c = &self.analysis.capture;
        let mut headers = Vec::new();
        if let Some(value) = standin::credential(c, r, &self.key) {
            headers.push(("Authorization", value));
        }
        if r.is_preflight {
            if let Some(m) = r.preflight_method() {
                headers.push(("Access-Control-Request-Method", self.method(m)));
            }
            if r.announces_auth() {
                headers.push(("Access-Control-Request-Headers", "authorization".into()));
            }
        }
        let path = &self.paths[i];
        let mut url = format!("{}://{}{}", r.scheme.as_str(), c.host(r), path);
        let mut query = Vec::new();
        if let Some(n) = r.page_size.get() {
            url.push_str(&format!("?pageSize={n}"));
            query.push(json!({"name": "pageSize", "value": n.to_string()}));
        }
        let method = self.method(&r.method);
        let req = raw.get("request");
        let version = if self.keep_headers_size {
            Some("HTTP/1.1")
        } else {
            req.and_then(|q| raw::string(q.get("httpVersion")))
                .and_then(fields::http_version)
        };
        // a sanitized export is recognised by headersSize exceeding the listed headers: keep
        // that sign where the original had it, never create it
        let size = if self.keep_headers_size {
            let listed: usize = headers.iter().map(|(n, v)| n.len() + v.len() + 4).sum();
            json!(listed + method.len() + path.len() + 12 + 40 + 256)
        } else {
            json!(-1)
        };
        let mut out = Map::new();
        out.insert("method".into(), method.into());
        out.insert("url".into(), url.into());
        if let Some(v) = version {
            out.insert("httpVersion".into(), v.into());
        }
        out.insert("headers".into(), header_list(&headers));
        out.insert("queryString".into(), query.into());
        out.insert("cookies".into(), json!([]));
        out.insert("headersSize".into(), size);
        out.insert(
            "bodySize".into(),
            req.and_then(|q| raw::number(q.get("bodySize")))
                .unwrap_or(json!(-1)),
        );
        Value::Object(out)
    }

    fn response(&self, r: &Request, raw: &Value, removed: &mut Removed) -> Value {
        let resp = raw.get("response");
        let list = raw::headers(resp.and_then(|v| v.get("headers")));
        let mut headers: Vec<(&str, String)> = Vec::new();
        if let Some(d) = raw::header(&list, "date").and_then(fields::date) {
            headers.push(("Date", d));
        }
        headers.extend(fields::rate_headers(
            r,
            self.analysis.capture.quotas_of(r),
            &self.policies,
            self.analysis.capture.host(r),
            &self.costs,
        ));
        if let Some(ra) = r
            .retry_after()
            .filter(|ra| ra.source != RetrySource::Millis)
        {
            headers.push(("Retry-After", fields::retry_after(ra.seconds)));
        }
        if let Some(age) = r.max_age_s() {
            headers.push(("Access-Control-Max-Age", age.to_string()));
        }
        if let Some(id) = r
            .correlation
            .get()
            .and_then(|sym| self.correlations.get(sym as usize))
        {
            let name = CORRELATION
                .iter()
                .find(|n| raw::header(&list, n).is_some())
                .copied()
                .unwrap_or("x-correlation-id");
            headers.push((name, id.clone()));
        }
        let content_raw = resp.and_then(|v| v.get("content"));
        let mut content = Map::new();
        content.insert(
            "size".into(),
            content_raw
                .and_then(|c| raw::number(c.get("size")))
                .unwrap_or(json!(0)),
        );
        if let Some(text) = fields::body(
            r,
            self.analysis.capture.quotas_of(r),
            &self.limit_keys,
            &self.policies,
            &self.costs,
        ) {
            content.insert("size".into(), text.len().into());
            content.insert("mimeType".into(), "application/json".into());
            content.insert("text".into(), text.into());
            removed.add(Kind::ThrottleBodies, 1);
        } else {
            content.insert("mimeType".into(), "".into());
            if raw::has_body(raw) {
                removed.add(Kind::ResponseBodies, 1);
            }
        }
        let mut out = Map::new();
        out.insert("status".into(), r.status.into());
        out.insert("statusText".into(), fields::status_text(r.status).into());
        if let Some(v) = resp
            .and_then(|v| raw::string(v.get("httpVersion")))
            .and_then(fields::http_version)
        {
            out.insert("httpVersion".into(), v.into());
        }
        out.insert("headers".into(), header_list(&headers));
        out.insert("cookies".into(), json!([]));
        out.insert("content".into(), content.into());
        out.insert("redirectURL".into(), "".into());
        out.insert("headersSize".into(), json!(-1));
        for k in ["bodySize", "_transferSize"] {
            if let Some(n) = resp.and_then(|v| raw::number(v.get(k))) {
                out.insert(k.into(), n);
            }
        }
        Value::Object(out)
    }
}

fn header_list(headers: &[(&str, String)]) -> Value {
    headers
        .iter()
        .map(|(n, v)| json!({"name": n, "value": v}))
        .collect::<Vec<_>>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parameters_are_replaced_and_literals_kept() {
        let mut ids = standin::PathIds::new(FingerprintKey::from_passphrase("t"));
        let p = pseudonymized(
            "/api/v2/users/0d3b2a1e-5f6a-4b7c-8d9e-0f1a2b3c4d5e/queues",
            "/api/v2/users/{userId}/queues",
            &mut ids,
        );
        assert!(
            p.starts_with("/api/v2/users/") && p.ends_with("/queues"),
            "{p}"
        );
        assert!(!p.contains("0d3b2a1e"));
        assert_eq!(
            pseudonymized("/api/v2/users/me", "/api/v2/users/me", &mut ids),
            "/api/v2/users/me"
        );
    }
}

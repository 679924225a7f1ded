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

use crate::batch::Analysis;
use crate::model::Request;
use crate::normalize::FingerprintKey;
use crate::normalize::headers::{CORRELATION, RATE_LIMIT};
use raw::{Kind, Removed};

/// Choices of the user.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Keep ids in paths as they are (`--keep-ids`).
    pub keep_ids: bool,
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
    /// Correlation id written for each interned id.
    correlations: Vec<String>,
    /// Whether request `headersSize` must still show removed headers (the original was a
    /// sanitized export).
    keep_headers_size: bool,
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
    pub fn new(analysis: &'a Analysis, key: &FingerprintKey, options: Options) -> Plan<'a> {
        let c = &analysis.capture;
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
                let path = c.paths[r.path as usize].expose_for_computation();
                if options.keep_ids {
                    return path.clone();
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
        let correlations = c
            .correlation_ids
            .iter()
            .map(|id| {
                let id = id.expose_for_computation();
                if fields::plain_correlation(id) {
                    id.clone()
                } else {
                    planned.add(Kind::CorrelationIds, 1);
                    standin::uuid(key, "correlation", id)
                }
            })
            .collect();
        Plan {
            analysis,
            by_entry,
            paths,
            limit_keys,
            correlations,
            keep_headers_size: c.sanitization.authorization_stripped,
            planned,
        }
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

    /// Rewrites the entry at `index` from its JSON text, counting what it leaves out.
    pub fn entry(&self, index: u32, json: &[u8], removed: &mut Removed) -> Value {
        let request = self.by_entry.get(index as usize).copied().flatten();
        // the entry parser skips fields it ignores without checking their UTF-8; read those
        // bytes as replacement characters rather than lose a usable entry
        let parsed = serde_json::from_slice::<Value>(json)
            .or_else(|_| serde_json::from_str::<Value>(&String::from_utf8_lossy(json)));
        let (Some(i), Ok(raw)) = (request, parsed) else {
            removed.add(Kind::UnusableEntries, 1);
            return json!({});
        };
        raw::count_removed(&raw, removed);
        let r = &self.analysis.capture.requests[i as usize];
        let mut e = Map::new();
        if let Some(s) = raw::string(raw.get("startedDateTime")) {
            e.insert("startedDateTime".into(), s.into());
        }
        if let Some(t) = raw::number(raw.get("time")) {
            e.insert("time".into(), t);
        }
        e.insert("request".into(), self.request(i as usize, r, &raw));
        if let Some(resp) = raw.get("response").filter(|v| v.is_object()) {
            e.insert("response".into(), self.response(r, resp, &raw, removed));
        }
        e.insert("cache".into(), json!({}));
        let mut timings = Map::new();
        if let Some(Value::Object(t)) = raw.get("timings") {
            for k in [
                "blocked", "dns", "connect", "ssl", "send", "wait", "receive",
            ] {
                if let Some(n) = raw::number(t.get(k)) {
                    timings.insert(k.into(), n);
                }
            }
        }
        e.insert("timings".into(), timings.into());
        for k in [
            "_fromCache",
            "_fetchType",
            "_initiator_type",
            "_resourceType",
        ] {
            if let Some(t) = raw::string(raw.get(k)).and_then(fields::token) {
                e.insert(k.into(), t.into());
            }
        }
        if let Some(t) = raw
            .get("_initiator")
            .and_then(|i| raw::string(i.get("type")))
            .and_then(fields::token)
        {
            e.insert("_initiator".into(), json!({ "type": t }));
        }
        Value::Object(e)
    }

    fn request(&self, i: usize, r: &Request, raw: &Value) -> Value {
        let c = &self.analysis.capture;
        let req = raw.get("request");
        let list = raw::headers(req.and_then(|q| q.get("headers")));
        let mut headers = Vec::new();
        if let Some(value) = standin::credential(c, r) {
            headers.push(("Authorization", value));
        }
        if r.is_preflight
            && let Some(m) = raw::header(&list, "access-control-request-method")
        {
            headers.push((
                "Access-Control-Request-Method",
                crate::model::Method::parse(m).as_str().to_string(),
            ));
        }
        if let Some(v) =
            raw::header(&list, "access-control-request-headers").and_then(fields::header_names)
        {
            headers.push(("Access-Control-Request-Headers", v));
        }
        let path = &self.paths[i];
        let mut url = format!("{}://{}{}", r.scheme.as_str(), c.host(r), path);
        let mut query = Vec::new();
        if let Some(n) = r.page_size {
            url.push_str(&format!("?pageSize={n}"));
            query.push(json!({"name": "pageSize", "value": n.to_string()}));
        }
        let mut out = Map::new();
        out.insert("method".into(), r.method.as_str().into());
        out.insert("url".into(), url.into());
        let version = req
            .and_then(|q| raw::string(q.get("httpVersion")))
            .and_then(fields::http_version);
        if let Some(v) = &version {
            out.insert("httpVersion".into(), v.as_str().into());
        }
        out.insert("headers".into(), header_list(&headers));
        out.insert("queryString".into(), query.into());
        out.insert("cookies".into(), json!([]));
        // a sanitized export is recognised by headersSize exceeding the listed headers;
        // keep that sign only where the original had it, never create it
        let size = match (self.keep_headers_size, &version) {
            (true, Some(v)) if v.contains("1.") => {
                let listed: usize = headers.iter().map(|(n, v)| n.len() + v.len() + 4).sum();
                let request_line = r.method.as_str().len() + path.len() + 12;
                json!(listed + request_line + 40 + 256)
            }
            _ => json!(-1),
        };
        out.insert("headersSize".into(), size);
        out.insert(
            "bodySize".into(),
            req.and_then(|q| raw::number(q.get("bodySize")))
                .unwrap_or(json!(-1)),
        );
        Value::Object(out)
    }

    fn response(&self, r: &Request, resp: &Value, raw: &Value, removed: &mut Removed) -> Value {
        let list = raw::headers(resp.get("headers"));
        let mut headers = Vec::new();
        for (name, value) in &list {
            let Some(value) = value.as_deref() else {
                continue;
            };
            let kept = match name.as_str() {
                n if RATE_LIMIT.contains(&n) => fields::rate_limit(n, value),
                "retry-after" => fields::retry_after(value),
                "date" => fields::date(value),
                "access-control-max-age" => fields::max_age(value),
                "content-type" => fields::media_type(value),
                _ => None,
            };
            if let Some(v) = kept {
                headers.push((header_case(name), v));
            }
        }
        if let Some(sym) = r.correlation {
            let name = CORRELATION
                .iter()
                .find(|n| raw::header(&list, n).is_some())
                .copied()
                .unwrap_or("x-correlation-id");
            headers.push((name, self.correlations[sym as usize].clone()));
        }
        let mut content = Map::new();
        let content_raw = resp.get("content");
        content.insert(
            "size".into(),
            content_raw
                .and_then(|c| raw::number(c.get("size")))
                .unwrap_or(json!(0)),
        );
        let mime = content_raw
            .and_then(|c| raw::string(c.get("mimeType")))
            .and_then(fields::media_type)
            .unwrap_or_default();
        content.insert("mimeType".into(), mime.into());
        if let Some(body) = r.throttle_body.as_deref() {
            let key = body.limit_key.map(|k| self.limit_keys[k as usize].as_str());
            content.insert(
                "text".into(),
                fields::throttle_body(body, r.status, key).into(),
            );
            removed.add(Kind::ThrottleBodies, 1);
        } else if raw::has_body(raw) {
            removed.add(Kind::ResponseBodies, 1);
        }
        let mut out = Map::new();
        if let Some(s) = raw::number(resp.get("status")) {
            out.insert("status".into(), s);
        }
        out.insert("statusText".into(), fields::status_text(r.status).into());
        if let Some(v) = raw::string(resp.get("httpVersion")).and_then(fields::http_version) {
            out.insert("httpVersion".into(), v.into());
        }
        out.insert("headers".into(), header_list(&headers));
        out.insert("cookies".into(), json!([]));
        out.insert("content".into(), content.into());
        out.insert("redirectURL".into(), "".into());
        out.insert("headersSize".into(), json!(-1));
        for k in ["bodySize", "_transferSize"] {
            if let Some(n) = raw::number(resp.get(k)) {
                out.insert(k.into(), n);
            }
        }
        if let Some(t) = raw::string(resp.get("_fulfilledBy")).and_then(fields::token) {
            out.insert("_fulfilledBy".into(), t.into());
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

/// The conventional spelling of a kept header name.
fn header_case(lower: &str) -> &'static str {
    match lower {
        "retry-after" => "Retry-After",
        "date" => "Date",
        "access-control-max-age" => "Access-Control-Max-Age",
        "content-type" => "Content-Type",
        n => RATE_LIMIT
            .iter()
            .find(|r| **r == n)
            .copied()
            .unwrap_or("x-unknown"),
    }
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

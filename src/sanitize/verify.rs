//! Checking that a sanitized capture gives the same analysis as its original.
//!
//! Owns the comparison: the whole report of each (every throttle with its evidence, finding,
//! layer, endpoint, client and the verdict), less what a copy changes by design: the source
//! name, token fingerprints and custom method names (each compared by its rank of first use),
//! the HAR version, the reasons unusable entries were skipped (they are written as `{}`) and
//! the note that a damaged original was read partially (the copy is whole).
//! Differences are named by report field, never by capture values. Pure.

use serde_json::Value;

use crate::analysis::Analysis;
use crate::report::{self, Disclosure};

/// Report fields a faithful copy may change.
const CHANGED_BY_DESIGN: [&str; 6] = [
    "source",
    "path",
    "fingerprint",
    "har_version",
    "reason",
    // a copy of a partially read capture holds the complete entries, and nothing else
    "partial",
];

fn strip(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for k in CHANGED_BY_DESIGN {
                o.remove(k);
            }
            o.values_mut().for_each(strip);
        }
        Value::Array(a) => {
            a.iter_mut().for_each(strip);
            // partitions are listed by their label, and token labels are fingerprints; rows
            // with a method (endpoints, throttles) are ordered by it, and custom method names
            // are renamed in a copy: order them by content once names are ranks
            if a.iter()
                .all(|v| v.get("partition").is_some() || v.get("method").is_some())
            {
                a.sort_by_cached_key(|v| v.to_string());
            }
        }
        _ => {}
    }
}

/// The report of an analysis in the form two faithful copies share.
pub fn comparable(a: &Analysis) -> Value {
    let report = report::build(a, Disclosure::default());
    let mut text = serde_json::to_string(&report).unwrap_or_default();
    for (i, fp) in a.capture.tokens.iter().enumerate() {
        text = text.replace(fp.as_str(), &format!("token#{i}"));
    }
    // custom method names are replaced in a copy (`EXT-A`, ...): compare them by rank of first
    // use too
    let mut custom: Vec<&str> = Vec::new();
    for r in &a.capture.requests {
        for m in [Some(&r.method), r.preflight_method()]
            .into_iter()
            .flatten()
        {
            if let crate::model::Method::Other(Some(name)) = m
                && !custom.contains(&name.as_str())
            {
                custom.push(name.as_str());
            }
        }
    }
    for (i, name) in custom.iter().enumerate() {
        text = replace_token(&text, name, &format!("method#{i}"));
    }
    let mut v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    strip(&mut v);
    v
}

/// Whether `c` can be part of an HTTP method name (an RFC 9110 token character).
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// `text` with every whole-token occurrence of `name` (not part of a longer method-like word)
/// replaced: in `"method"` fields, at the start of endpoint labels and inside sentences.
fn replace_token(text: &str, name: &str, by: &str) -> String {
    if name.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut prev: Option<char> = None;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().next_back().or(prev);
        let after = rest[at + name.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_none_or(|c| !is_tchar(c)) && after.is_none_or(|c| !is_tchar(c)) {
            out.push_str(by);
        } else {
            out.push_str(name);
        }
        prev = name.chars().next_back();
        rest = &rest[at + name.len()..];
    }
    out.push_str(rest);
    out
}

/// The report fields in which the analysis of `sanitized` differs from that of `original`
/// (empty: the same analysis).
pub fn differences(original: &Analysis, sanitized: &Analysis) -> Vec<String> {
    let (a, b) = (comparable(original), comparable(sanitized));
    let (Value::Object(a), Value::Object(b)) = (a, b) else {
        return vec!["the reports cannot be compared".into()];
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| k.to_string())
        .collect()
}

/// A one-line account of what was compared.
pub fn compared(a: &Analysis) -> String {
    let c = &a.capture;
    let n = |count: usize, one: &str, many: &str| {
        format!("{count} {}", if count == 1 { one } else { many })
    };
    let mut endpoints: Vec<u32> = c.requests.iter().map(|r| r.template).collect();
    endpoints.sort_unstable();
    endpoints.dedup();
    [
        n(c.requests.len(), "request", "requests"),
        n(a.diagnosis.throttles.len(), "throttle", "throttles"),
        n(a.diagnosis.findings.len(), "finding", "findings"),
        n(a.evaluation.layers.len(), "layer", "layers"),
        n(endpoints.len(), "endpoint", "endpoints"),
        n(c.clients.len(), "client", "clients"),
    ]
    .join(", ")
}

#[cfg(test)]
mod tests {
    use super::replace_token;

    #[test]
    fn custom_methods_are_replaced_only_as_whole_tokens() {
        let text =
            r#"{"method":"GYT","e":"no other GYT /a of this user","f":"GET /b","g":"GYTS /c"}"#;
        assert_eq!(
            replace_token(text, "GYT", "method#0"),
            r#"{"method":"method#0","e":"no other method#0 /a of this user","f":"GET /b","g":"GYTS /c"}"#
        );
        assert_eq!(replace_token("GET /x", "T", "m"), "GET /x");
        assert_eq!(replace_token("T /x", "T", "m"), "m /x");
    }
}

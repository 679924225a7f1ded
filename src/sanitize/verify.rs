//! Checking that a sanitized capture gives the same analysis as its original.
//!
//! Owns the comparison: throttles (entry, cause, layer and the numbers they cite), findings
//! (kind, severity, entries), layer peaks, endpoint templates and the number of clients, users
//! and tokens. Differences are described by what differs, never by capture values. Pure.

use crate::batch::Analysis;

/// A throttle: entry, cause, layer, visible and hidden counts.
type ThrottleFacts = (u32, String, Option<String>, Option<u64>, Option<u64>);

/// What the comparison looks at, in a form that can be compared as a whole.
#[derive(Debug, PartialEq)]
struct Facts {
    throttles: Vec<ThrottleFacts>,
    findings: Vec<(String, String, Vec<u32>)>,
    layers: Vec<(String, u64, Option<i64>, u32)>,
    templates: Vec<String>,
    identities: (usize, usize, usize),
}

fn facts(a: &Analysis) -> Facts {
    let c = &a.capture;
    let entry = |request: u32| c.requests[request as usize].entry;
    let layer_name = |i: usize| {
        let le = &a.evaluation.layers[i];
        a.profiles[le.profile].layers[le.layer].name.clone()
    };
    let throttles = a
        .diagnosis
        .throttles
        .iter()
        .map(|t| {
            (
                entry(t.request),
                format!("{:?}", t.cause),
                t.layer.map(layer_name),
                t.visible,
                t.hidden_at_least,
            )
        })
        .collect();
    let findings = a
        .diagnosis
        .findings
        .iter()
        .map(|f| {
            let mut entries: Vec<u32> = f.requests.iter().map(|&r| entry(r)).collect();
            entries.sort_unstable();
            (
                format!("{:?}", f.kind),
                format!("{:?}", f.severity),
                entries,
            )
        })
        .collect();
    let layers = (0..a.evaluation.layers.len())
        .map(|i| {
            let le = &a.evaluation.layers[i];
            (layer_name(i), le.peak, le.peak_at, le.counted)
        })
        .collect();
    let mut templates: Vec<String> = c
        .requests
        .iter()
        .map(|r| c.template(r).to_string())
        .collect();
    templates.sort();
    templates.dedup();
    Facts {
        throttles,
        findings,
        layers,
        templates,
        identities: (c.clients.len(), c.users.len(), c.tokens.len()),
    }
}

/// How the analysis of `sanitized` differs from that of `original` (empty: the same).
pub fn differences(original: &Analysis, sanitized: &Analysis) -> Vec<String> {
    let (a, b) = (facts(original), facts(sanitized));
    let mut out = Vec::new();
    if a.throttles != b.throttles {
        out.push(format!(
            "throttles differ ({} explained before, {} after)",
            a.throttles.len(),
            b.throttles.len()
        ));
    }
    if a.findings != b.findings {
        out.push(format!(
            "findings differ ({} before, {} after)",
            a.findings.len(),
            b.findings.len()
        ));
    }
    if a.layers != b.layers {
        out.push("layer peaks differ".into());
    }
    if a.templates != b.templates {
        out.push(format!(
            "endpoint templates differ ({} before, {} after)",
            a.templates.len(),
            b.templates.len()
        ));
    }
    if a.identities != b.identities {
        out.push(format!(
            "clients/users/tokens differ ({:?} before, {:?} after)",
            a.identities, b.identities
        ));
    }
    out
}

/// A one-line account of what was compared.
pub fn compared(a: &Analysis) -> String {
    let f = facts(a);
    let n = |count: usize, one: &str, many: &str| {
        format!("{count} {}", if count == 1 { one } else { many })
    };
    [
        n(f.throttles.len(), "throttle", "throttles"),
        n(f.findings.len(), "finding", "findings"),
        n(f.layers.len(), "layer", "layers"),
        n(f.templates.len(), "endpoint", "endpoints"),
        n(f.identities.0, "client", "clients"),
    ]
    .join(", ")
}

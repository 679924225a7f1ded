//! The dialect round trip, shared by the `dialects` fuzz target and the regression test of its
//! past findings: a response (first line `host status`, then `name: value` header lines, a
//! blank line and the body) is read; what a sanitized copy would write from it (numbers, codes,
//! stand-in names) must read back to the same facts. Reading must never panic.

use why429::normalize::CostSources;
use why429::normalize::dialects::{bodies, headers};

/// 2023-11-14T22:13:20.250Z: resets and dates are read against it.
const AT: i64 = 1_700_000_000_250_000;

/// Stand-ins for server-chosen names, by first appearance (as `sanitize` writes them).
fn stand_ins(names: &[Option<String>], seen: &mut Vec<String>) -> Vec<Option<String>> {
    names
        .iter()
        .map(|n| {
            n.as_ref().map(|n| {
                let i = match seen.iter().position(|s| s == n) {
                    Some(i) => i,
                    None => {
                        seen.push(n.clone());
                        seen.len() - 1
                    }
                };
                format!("why429-policy-{}", i + 1)
            })
        })
        .collect()
}

/// Checks one response; panics on a broken property.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let first = lines.next().unwrap_or("");
    let (host, status) = first.split_once(' ').unwrap_or((first, "429"));
    let status: u16 = status.trim().parse().unwrap_or(429);
    let list: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let read = |list: &[(String, String)]| {
        headers::read(list.iter().map(|(n, v)| (n.as_str(), v.as_str())), host, AT)
    };

    // headers: read, write back with stand-in names, read again
    let facts = read(&list);
    let mut seen = Vec::new();
    let mut names = stand_ins(&facts.names, &mut seen);
    let reason = facts.reason.as_ref().map(|(d, t)| {
        let s = stand_ins(&[Some(t.clone())], &mut seen);
        (*d, s[0].clone().unwrap_or_default())
    });
    let written = headers::write(
        &headers::Signals {
            quotas: &facts.quotas,
            names: &names,
            retry_ms: facts.retry_ms,
            scope: facts.scope,
            reason: reason.as_ref().map(|(d, t)| (*d, t.as_str())),
            refused_by: facts.refused_by,
            near_limit: facts.near_limit,
        },
        host,
        AT,
    );
    let again = read(
        &written
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect::<Vec<_>>(),
    );
    while names.last() == Some(&None) {
        names.pop();
    }
    assert_eq!(again.quotas, facts.quotas, "counters; written {written:?}");
    assert_eq!(again.names, names, "names; written {written:?}");
    assert_eq!(
        (
            again.retry_ms,
            again.scope,
            again.refused_by,
            again.near_limit
        ),
        (
            facts.retry_ms,
            facts.scope,
            facts.refused_by,
            facts.near_limit
        ),
        "signals; written {written:?}"
    );
    assert_eq!(again.reason, reason, "reason; written {written:?}");

    // bodies: read, write back (code, numbers, stand-in names), read again
    let parsed = bodies::Parsed::new(body);
    let found = bodies::read(&parsed);
    let quotas = bodies::quotas(&parsed, AT);
    let costs = CostSources::new([
        "body:extensions.cost.actualQueryCost",
        "body:usage.total_tokens",
        "body:errors.0.cost",
    ])
    .expect("valid sources");
    let reported = costs.read(|_| None, Some(&parsed));
    let body_costs: Vec<(Vec<String>, f64)> = reported
        .iter()
        .filter_map(|c| match costs.get(c.source)? {
            why429::normalize::CostSource::Body(p) => Some((p.clone(), c.value)),
            why429::normalize::CostSource::Header(_) => None,
        })
        .collect();
    let policies: Vec<String> = found
        .as_ref()
        .map(|f| {
            (1..=f.policies.len())
                .map(|i| format!("why429-policy-{i}"))
                .collect()
        })
        .unwrap_or_default();
    let key = found
        .as_ref()
        .and_then(|f| f.limit_key.as_ref())
        .map(|_| "why429-limit-1");
    let rebuilt = bodies::write(
        &bodies::Written {
            body: found.as_ref().map(|f| &f.body),
            limit_key: key,
            policies: &policies,
            quotas: &quotas,
            costs: &body_costs,
        },
        status,
        AT,
    );
    let Some(rebuilt) = rebuilt else {
        assert!(found.is_none() && quotas.is_empty() && reported.is_empty());
        return;
    };
    let parsed2 = bodies::Parsed::new(&rebuilt);
    let found2 = bodies::read(&parsed2);
    assert_eq!(
        found2.as_ref().map(|f| &f.body),
        found.as_ref().map(|f| &f.body),
        "body; rebuilt {rebuilt}"
    );
    assert_eq!(
        found2.as_ref().map(|f| f.policies.clone()),
        found.as_ref().map(|_| policies.clone()),
        "policies; rebuilt {rebuilt}"
    );
    assert_eq!(
        found2.as_ref().and_then(|f| f.limit_key.as_deref()),
        key,
        "limit key; rebuilt {rebuilt}"
    );
    assert_eq!(
        bodies::quotas(&parsed2, AT),
        quotas,
        "body counters; rebuilt {rebuilt}"
    );
    assert_eq!(
        costs.read(|_| None, Some(&parsed2)),
        reported,
        "costs; rebuilt {rebuilt}"
    );
}

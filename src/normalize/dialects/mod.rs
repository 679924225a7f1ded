//! Rate-limit dialects: the header families and body shapes servers use to announce budgets
//! and refusals, as data.
//!
//! Owns the table of dialects (`DIALECTS`: a name, the built-in profile a recognised vendor
//! dialect points to, and the header names of each counter, used to quote values and to write
//! sanitized copies) and the table of body codes why429 knows by name (`CODES`). Other stages
//! print dialect and code names only from these tables, never from a capture. Adding a dialect
//! is adding rows here and a reader in this module. Pure.

use crate::model::{CodeId, DialectId, Unit};

/// Header names of one counter of a dialect, in their documented spelling.
#[derive(Clone, Copy, Debug)]
pub struct Axis {
    /// What it counts.
    pub unit: Unit,
    /// Header holding the budget.
    pub limit: Option<&'static str>,
    /// Header holding what is left.
    pub remaining: Option<&'static str>,
    /// Header holding what is used.
    pub used: Option<&'static str>,
    /// Header holding the reset.
    pub reset: Option<&'static str>,
}

/// One dialect.
#[derive(Clone, Copy, Debug)]
pub struct Dialect {
    /// Short name (`genesys`, `x-ratelimit`, `ietf`).
    pub name: &'static str,
    /// The built-in profile to use when a capture speaks this dialect.
    pub profile: Option<&'static str>,
    /// Its counters.
    pub axes: &'static [Axis],
}

const fn axis(
    limit: Option<&'static str>,
    remaining: Option<&'static str>,
    used: Option<&'static str>,
    reset: Option<&'static str>,
) -> Axis {
    Axis {
        unit: Unit::Requests,
        limit,
        remaining,
        used,
        reset,
    }
}

/// Every dialect why429 reads.
pub const DIALECTS: &[Dialect] = &[
    Dialect {
        name: "genesys",
        profile: Some("genesys-cloud"),
        axes: &[axis(
            Some("inin-ratelimit-allowed"),
            None,
            Some("inin-ratelimit-count"),
            Some("inin-ratelimit-reset"),
        )],
    },
    Dialect {
        name: "x-ratelimit",
        profile: None,
        axes: &[axis(
            Some("X-RateLimit-Limit"),
            Some("X-RateLimit-Remaining"),
            Some("X-RateLimit-Used"),
            Some("X-RateLimit-Reset"),
        )],
    },
    Dialect {
        name: "ietf",
        profile: None,
        axes: &[axis(
            Some("RateLimit-Limit"),
            Some("RateLimit-Remaining"),
            None,
            Some("RateLimit-Reset"),
        )],
    },
];

/// Index of a dialect by name (a programming error when absent).
pub fn id(name: &str) -> DialectId {
    DIALECTS
        .iter()
        .position(|d| d.name == name)
        .unwrap_or_else(|| panic!("no dialect named {name}")) as DialectId
}

/// A dialect by index.
pub fn dialect(id: DialectId) -> &'static Dialect {
    &DIALECTS[id as usize]
}

/// A body code why429 knows, and whether it means "rate limited".
#[derive(Clone, Copy, Debug)]
pub struct Code {
    /// The code as servers write it.
    pub name: &'static str,
    /// Whether it marks a rate-limit refusal.
    pub rate_limited: bool,
}

/// Body codes why429 knows by name; any other code is kept only as "unlisted".
pub const CODES: &[Code] = &[
    Code {
        name: "too.many.requests.retry.after",
        rate_limited: true,
    },
    Code {
        name: "too.many.requests",
        rate_limited: true,
    },
    Code {
        name: "E0000047",
        rate_limited: true,
    },
];

/// The code table entry of a code text, if known.
pub fn code_id(text: &str) -> Option<CodeId> {
    CODES
        .iter()
        .position(|c| c.name == text)
        .map(|i| i as CodeId)
}

/// A code by index.
pub fn code(id: CodeId) -> &'static Code {
    &CODES[id as usize]
}

/// The header and value to quote for a counter's use, when the response wrote it verbatim:
/// the used count, else what remained.
pub fn quote_use(q: &crate::model::Quota) -> Option<(&'static str, String)> {
    use crate::model::Exact;
    let axis = dialect(q.dialect).axes.get(q.axis as usize)?;
    match (q.used, q.remaining) {
        (Some(u), _) if q.exact.has(Exact::USED) => Some((axis.used?, u.to_string())),
        (_, Some(r)) if q.exact.has(Exact::REMAINING) => Some((axis.remaining?, r.to_string())),
        _ => None,
    }
}

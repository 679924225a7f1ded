//! Rate-limit dialects: the header families and body shapes servers use to announce budgets
//! and refusals, as data.
//!
//! Owns the table of dialects (`DIALECTS`: for each, its header names in their documented
//! spelling, its counters — unit, window when the dialect defines one, reset form —, the other
//! headers it reads, its body rule, its cost fields, the built-in profile it points to and the
//! source of its format) and the table of body codes why429 knows by name (`CODES`). The
//! readers (`headers`, `bodies`) and writers (the same modules: sanitized copies) work from
//! these tables; `quote` says which header value a report may quote. Other stages print
//! dialect and code names only from these tables, never from a capture. Adding a dialect is
//! adding rows here (and, for a new value shape, a small reader beside the others). Pure.

pub mod bodies;
pub mod headers;
pub mod values;

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use crate::model::{CodeId, DialectId, Exact, Micros, Quota, Unit, time};

pub use values::ResetAs;

const S: Micros = time::SECOND;

/// The four numbers of a counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The budget.
    Limit,
    /// What is left.
    Remaining,
    /// What is used.
    Used,
    /// When it resets.
    Reset,
}

/// IETF `draft-ietf-httpapi-ratelimit-headers` generations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generation {
    /// -00…-03 (and draft-polli): `RateLimit-Limit: 10, 10;w=1, 50;w=60`, `-Remaining`,
    /// `-Reset` (delta-seconds).
    List,
    /// -04…-06: the same three fields plus `RateLimit-Policy: 10;w=1, 50;w=60`.
    Policy,
    /// -07: `RateLimit: limit=100, remaining=50, reset=5` and `RateLimit-Policy: 100;w=10`.
    Dictionary,
    /// -08 and later: `RateLimit-Policy: "burst";q=100;w=60` and
    /// `RateLimit: "burst";r=50;t=30`, named policies with `qu` units and `pk` partition keys.
    Named,
}

/// How an axis writes its numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// One header per number (`X-RateLimit-Limit: 100`).
    Fields,
    /// IETF fields of a draft generation, in the headers the axis names.
    Ietf(Generation),
    /// `used/limit` in the `limit` header (Shopify `X-Shopify-Shop-Api-Call-Limit: 32/40`).
    UsedOfLimit,
    /// `key=used/limit` in the comma list of the `limit` header (Salesforce
    /// `Sforce-Limit-Info: api-usage=18/5000`), optionally followed by `(appName=…)`.
    KeyedUsedOfLimit(&'static str),
    /// `total=N; remaining=N; resets=S` in the `limit` header (Zendesk).
    TotalRemainingResets,
    /// A share of the budget in use in the `limit` header (Microsoft Graph `0.8`…`1.8`).
    Share,
    /// Counters in the response body (GraphQL cost objects); read by `bodies`.
    Body,
}

/// One counter of a dialect.
#[derive(Clone, Copy, Debug)]
pub struct Axis {
    /// What the counter is (`requests`, `tokens`, `minute`, `secondly`, ...).
    pub name: &'static str,
    /// What it counts.
    pub unit: Unit,
    /// The window, only when the dialect defines it (a `-Minute` suffix is 60 s; HubSpot's
    /// secondly limit is 1 s); never guessed from a reset countdown.
    pub window: Option<Micros>,
    /// How its numbers are written.
    pub form: Form,
    /// Header holding the budget (for `UsedOfLimit`-style forms, the one header).
    pub limit: Option<&'static str>,
    /// Header holding what is left.
    pub remaining: Option<&'static str>,
    /// Header holding what is used.
    pub used: Option<&'static str>,
    /// Header holding the reset.
    pub reset: Option<&'static str>,
    /// How the reset is written.
    pub reset_as: ResetAs,
    /// Another header holding the reset in another form, read when `reset` is absent
    /// (Discord's epoch `X-RateLimit-Reset` beside `X-RateLimit-Reset-After`).
    pub reset_alt: Option<&'static str>,
}

/// What another header of a dialect says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The name of the policy, bucket or resource of the dialect's first counter (server
    /// text: interned as `Sensitive`).
    Policy,
    /// Who a throttle applied to (`user`, `global`, `shared`; `Tenant/...`).
    Scope,
    /// `true` when the global limit applied.
    Global,
    /// A reason or limit name (server text).
    Reason,
    /// `true` when the budget is nearly used up.
    NearLimit,
    /// A rate limiter of this dialect refused the request.
    Refused,
    /// The window of the counter at this index, in milliseconds.
    WindowMillis(u8),
    /// Units added per refill step of the counter at this index.
    FillRate(u8),
    /// Seconds per refill step of the counter at this index.
    FillInterval(u8),
    /// A retry delay in milliseconds.
    RetryMillis,
    /// The request's cost (read only when a profile's `cost_from` asks for it).
    Cost,
}

/// One dialect.
#[derive(Clone, Copy, Debug)]
pub struct Dialect {
    /// Short name (`genesys`, `x-ratelimit`, `ietf-08`).
    pub name: &'static str,
    /// Who speaks it, for reports.
    pub title: &'static str,
    /// The built-in profile to use when a capture speaks this dialect.
    pub profile: Option<&'static str>,
    /// Where its format is documented.
    pub source: &'static str,
    /// The generic dialect whose counter headers it shares; it is chosen over that one when
    /// one of its `markers` is present or the host is one of its `hosts`.
    pub shares: Option<&'static str>,
    /// Headers (lower case) whose presence says a response speaks this dialect.
    pub markers: &'static [&'static str],
    /// Host suffixes whose responses speak this dialect.
    pub hosts: &'static [&'static str],
    /// Its counters.
    pub axes: &'static [Axis],
    /// Its other headers.
    pub other: &'static [(Role, &'static str)],
    /// The `cost_from` sources its documentation defines.
    pub costs: &'static [&'static str],
}

#[allow(clippy::too_many_arguments)] // one row of the table: every argument is a column
const fn fields(
    name: &'static str,
    unit: Unit,
    window: Option<Micros>,
    limit: Option<&'static str>,
    remaining: Option<&'static str>,
    used: Option<&'static str>,
    reset: Option<&'static str>,
    reset_as: ResetAs,
) -> Axis {
    Axis {
        name,
        unit,
        window,
        form: Form::Fields,
        limit,
        remaining,
        used,
        reset,
        reset_as,
        reset_alt: None,
    }
}

const fn one(name: &'static str, form: Form, header: &'static str, window: Option<Micros>) -> Axis {
    Axis {
        name,
        unit: Unit::Requests,
        window,
        form,
        limit: Some(header),
        remaining: None,
        used: None,
        reset: None,
        reset_as: ResetAs::Seconds,
        reset_alt: None,
    }
}

/// `X-RateLimit-Limit-<suffix>` / `-Remaining-<suffix>` counters with the window the suffix
/// names (Kong: `-Second` … `-Year`).
const fn suffixed(
    name: &'static str,
    limit: &'static str,
    remaining: &'static str,
    window: Option<Micros>,
) -> Axis {
    fields(
        name,
        Unit::Requests,
        window,
        Some(limit),
        Some(remaining),
        None,
        None,
        ResetAs::Seconds,
    )
}

const fn ietf_axes(g: Generation, beta: bool) -> [Axis; 2] {
    let (limit, remaining, reset, policy, field) = if beta {
        (
            "Beta-RateLimit-Limit",
            "Beta-RateLimit-Remaining",
            "Beta-RateLimit-Reset",
            "Beta-RateLimit-Policy",
            "Beta-RateLimit",
        )
    } else {
        (
            "RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
            "RateLimit-Policy",
            "RateLimit",
        )
    };
    let current = match g {
        Generation::List | Generation::Policy => (Some(limit), Some(remaining), Some(reset)),
        Generation::Dictionary => (Some(field), Some(field), Some(field)),
        Generation::Named => (Some(policy), Some(field), Some(field)),
    };
    let policies = match g {
        Generation::List => limit,
        _ => policy,
    };
    [
        Axis {
            name: "current",
            unit: Unit::Requests,
            window: None,
            form: Form::Ietf(g),
            limit: current.0,
            remaining: current.1,
            used: None,
            reset: current.2,
            reset_as: ResetAs::Seconds,
            reset_alt: None,
        },
        Axis {
            name: "policy",
            unit: Unit::Requests,
            window: None,
            form: Form::Ietf(g),
            limit: Some(policies),
            remaining: None,
            used: None,
            reset: None,
            reset_as: ResetAs::Seconds,
            reset_alt: None,
        },
    ]
}

const IETF_03: [Axis; 2] = ietf_axes(Generation::List, false);
const IETF_06: [Axis; 2] = ietf_axes(Generation::Policy, false);
const IETF_07: [Axis; 2] = ietf_axes(Generation::Dictionary, false);
const IETF_08: [Axis; 2] = ietf_axes(Generation::Named, false);
const BETA_03: [Axis; 2] = ietf_axes(Generation::List, true);
const BETA_06: [Axis; 2] = ietf_axes(Generation::Policy, true);
const BETA_07: [Axis; 2] = ietf_axes(Generation::Dictionary, true);
const BETA_08: [Axis; 2] = ietf_axes(Generation::Named, true);

const IETF_SOURCE: &str = "https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/ \
     (-03: https://datatracker.ietf.org/doc/html/draft-ietf-httpapi-ratelimit-headers-03, \
     -06, -07, -08 and later: https://github.com/ietf-wg-httpapi/ratelimit-headers)";

const fn ietf(name: &'static str, title: &'static str, axes: &'static [Axis]) -> Dialect {
    Dialect {
        name,
        title,
        profile: None,
        source: IETF_SOURCE,
        shares: None,
        markers: &[],
        hosts: &[],
        axes,
        other: &[],
        costs: &[],
    }
}

/// A dialect known by its body only.
const fn body_only(
    name: &'static str,
    title: &'static str,
    profile: Option<&'static str>,
    source: &'static str,
) -> Dialect {
    Dialect {
        name,
        title,
        profile,
        source,
        shares: None,
        markers: &[],
        hosts: &[],
        axes: &[],
        other: &[],
        costs: &[],
    }
}

const XRL: [Option<&str>; 4] = [
    Some("X-RateLimit-Limit"),
    Some("X-RateLimit-Remaining"),
    Some("X-RateLimit-Used"),
    Some("X-RateLimit-Reset"),
];

/// Every dialect why429 reads. Vendors that share a generic dialect's counter headers come
/// before it: the first one recognised on a response takes the counters.
pub const DIALECTS: &[Dialect] = &[
    Dialect {
        name: "genesys",
        title: "Genesys Cloud",
        profile: Some("genesys-cloud"),
        // headers: the Platform API SDK README's extended-response example (count 3, allowed
        // 180, reset 3); bodies: the normalized 429 announcement (forum topic 12028) and the
        // Swagger's 429 text
        source: "https://github.com/MyPureCloud/platform-client-sdk-javascript#extended-responses; \
                 https://developer.genesys.cloud/forum/t/normalized-platform-api-429-responses/12028",
        shares: None,
        markers: &[],
        hosts: &[],
        axes: &[fields(
            "requests",
            Unit::Requests,
            None,
            Some("inin-ratelimit-allowed"),
            None,
            Some("inin-ratelimit-count"),
            Some("inin-ratelimit-reset"),
            ResetAs::Seconds,
        )],
        other: &[],
        costs: &[],
    },
    // Envoy's `x_ratelimit_headers: DRAFT_VERSION_03`: draft-03 fields with an `X-` prefix
    // (`x-ratelimit-limit: 10, 10;w=60`), and `x-envoy-ratelimited` on its refusals
    Dialect {
        name: "envoy",
        title: "Envoy rate limit filters",
        profile: None,
        source: "https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/ratelimit/v3/rate_limit.proto \
                 (enable_x_ratelimit_headers); \
                 https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/rate_limit_filter",
        shares: Some("x-ratelimit"),
        markers: &["x-envoy-ratelimited"],
        hosts: &[],
        axes: &[
            Axis {
                name: "current",
                unit: Unit::Requests,
                window: None,
                form: Form::Ietf(Generation::List),
                limit: Some("X-RateLimit-Limit"),
                remaining: Some("X-RateLimit-Remaining"),
                used: None,
                reset: Some("X-RateLimit-Reset"),
                reset_as: ResetAs::Seconds,
                reset_alt: None,
            },
            Axis {
                name: "policy",
                unit: Unit::Requests,
                window: None,
                form: Form::Ietf(Generation::List),
                limit: Some("X-RateLimit-Limit"),
                remaining: None,
                used: None,
                reset: None,
                reset_as: ResetAs::Seconds,
                reset_alt: None,
            },
        ],
        other: &[(Role::Refused, "x-envoy-ratelimited")],
        costs: &[],
    },
    Dialect {
        name: "github",
        title: "GitHub REST",
        profile: Some("github"),
        // x-ratelimit-limit/-remaining/-used/-reset (UTC epoch seconds)/-resource
        source: "https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#checking-the-status-of-your-rate-limit",
        shares: Some("x-ratelimit"),
        markers: &["x-ratelimit-resource"],
        hosts: &[],
        axes: &[fields(
            "requests",
            Unit::Requests,
            None,
            XRL[0],
            XRL[1],
            XRL[2],
            XRL[3],
            ResetAs::Detect,
        )],
        other: &[(Role::Policy, "x-ratelimit-resource")],
        costs: &[],
    },
    Dialect {
        name: "discord",
        title: "Discord",
        profile: Some("discord"),
        // X-RateLimit-Limit/-Remaining/-Reset (epoch seconds, decimals)/-Reset-After
        // (seconds, decimals)/-Bucket/-Global/-Scope; 429 body message, retry_after, global
        source: "https://discord.com/developers/docs/topics/rate-limits#header-format",
        shares: Some("x-ratelimit"),
        markers: &[
            "x-ratelimit-bucket",
            "x-ratelimit-reset-after",
            "x-ratelimit-scope",
            "x-ratelimit-global",
        ],
        hosts: &["discord.com", "discordapp.com"],
        axes: &[Axis {
            name: "bucket",
            unit: Unit::Requests,
            window: None,
            form: Form::Fields,
            limit: Some("X-RateLimit-Limit"),
            remaining: Some("X-RateLimit-Remaining"),
            used: None,
            reset: Some("X-RateLimit-Reset-After"),
            reset_as: ResetAs::Seconds,
            reset_alt: Some("X-RateLimit-Reset"),
        }],
        other: &[
            (Role::Policy, "X-RateLimit-Bucket"),
            (Role::Scope, "X-RateLimit-Scope"),
            (Role::Global, "X-RateLimit-Global"),
        ],
        costs: &[],
    },
    Dialect {
        name: "jira",
        title: "Jira Cloud",
        profile: Some("jira-cloud"),
        // X-RateLimit-Limit/-Remaining/-Reset (ISO 8601), X-RateLimit-NearLimit,
        // RateLimit-Reason; beta RateLimit/RateLimit-Policy under a `Beta-` prefix
        source: "https://developer.atlassian.com/cloud/jira/platform/rate-limiting/",
        shares: Some("x-ratelimit"),
        markers: &[
            "x-ratelimit-nearlimit",
            "ratelimit-reason",
            "beta-ratelimit",
            "beta-ratelimit-policy",
        ],
        hosts: &["atlassian.net"],
        axes: &[fields(
            "requests",
            Unit::Requests,
            None,
            XRL[0],
            XRL[1],
            None,
            XRL[3],
            ResetAs::Detect,
        )],
        other: &[
            (Role::NearLimit, "X-RateLimit-NearLimit"),
            (Role::Reason, "RateLimit-Reason"),
        ],
        costs: &[],
    },
    Dialect {
        name: "atlassian-dc",
        title: "Atlassian Data Center",
        profile: None,
        // X-RateLimit-Limit (bucket), -Remaining, -Interval-Seconds, -FillRate, retry-after
        source: "https://confluence.atlassian.com/conf87/_ratelimiting_httpheaders-1333822054.html",
        shares: Some("x-ratelimit"),
        markers: &["x-ratelimit-fillrate", "x-ratelimit-interval-seconds"],
        hosts: &[],
        axes: &[fields(
            "bucket",
            Unit::Requests,
            None,
            XRL[0],
            XRL[1],
            None,
            None,
            ResetAs::Seconds,
        )],
        other: &[
            (Role::FillRate(0), "X-RateLimit-FillRate"),
            (Role::FillInterval(0), "X-RateLimit-Interval-Seconds"),
        ],
        costs: &[],
    },
    Dialect {
        name: "x-ratelimit",
        title: "X-RateLimit-* headers",
        profile: None,
        // the de-facto family; reset as delta-seconds, epoch seconds or milliseconds, an HTTP
        // date or ISO 8601 (detected); Kong's per-unit suffixes; `-24hour` windows
        source: "https://docs.konghq.com/hub/kong-inc/rate-limiting/#headers-sent-to-the-client; \
                 https://github.com/ietf-wg-httpapi/ratelimit-headers (appendix: existing headers)",
        shares: None,
        markers: &[],
        hosts: &[],
        axes: &[
            fields(
                "requests",
                Unit::Requests,
                None,
                XRL[0],
                XRL[1],
                XRL[2],
                XRL[3],
                ResetAs::Detect,
            ),
            suffixed(
                "second",
                "X-RateLimit-Limit-Second",
                "X-RateLimit-Remaining-Second",
                Some(S),
            ),
            suffixed(
                "minute",
                "X-RateLimit-Limit-Minute",
                "X-RateLimit-Remaining-Minute",
                Some(60 * S),
            ),
            suffixed(
                "hour",
                "X-RateLimit-Limit-Hour",
                "X-RateLimit-Remaining-Hour",
                Some(3600 * S),
            ),
            suffixed(
                "day",
                "X-RateLimit-Limit-Day",
                "X-RateLimit-Remaining-Day",
                Some(86_400 * S),
            ),
            // calendar months and years have no fixed length: no window
            suffixed(
                "month",
                "X-RateLimit-Limit-Month",
                "X-RateLimit-Remaining-Month",
                None,
            ),
            suffixed(
                "year",
                "X-RateLimit-Limit-Year",
                "X-RateLimit-Remaining-Year",
                None,
            ),
            suffixed(
                "24hour",
                "X-RateLimit-Limit-24hour",
                "X-RateLimit-Remaining-24hour",
                Some(86_400 * S),
            ),
        ],
        other: &[],
        costs: &[],
    },
    Dialect {
        name: "okta",
        title: "Okta",
        profile: Some("okta"),
        // X-Rate-Limit-Limit/-Remaining/-Reset (UTC epoch seconds); 429 errorCode E0000047
        source: "https://developer.okta.com/docs/reference/rl-best-practices/",
        shares: Some("x-rate-limit"),
        markers: &[],
        hosts: &[
            "okta.com",
            "oktapreview.com",
            "okta-emea.com",
            "okta-gov.com",
        ],
        axes: &[fields(
            "requests",
            Unit::Requests,
            None,
            Some("X-Rate-Limit-Limit"),
            Some("X-Rate-Limit-Remaining"),
            None,
            Some("X-Rate-Limit-Reset"),
            ResetAs::Detect,
        )],
        other: &[],
        costs: &[],
    },
    Dialect {
        name: "x",
        title: "X (Twitter) API",
        profile: Some("x"),
        // x-rate-limit-limit/-remaining/-reset (epoch seconds); 429 errors[].code 88
        source: "https://docs.x.com/x-api/fundamentals/rate-limits",
        shares: Some("x-rate-limit"),
        markers: &[],
        hosts: &["api.x.com", "api.twitter.com"],
        axes: &[fields(
            "requests",
            Unit::Requests,
            None,
            Some("x-rate-limit-limit"),
            Some("x-rate-limit-remaining"),
            None,
            Some("x-rate-limit-reset"),
            ResetAs::Detect,
        )],
        other: &[],
        costs: &[],
    },
    Dialect {
        name: "zendesk",
        title: "Zendesk",
        profile: Some("zendesk"),
        // X-Rate-Limit and X-Rate-Limit-Remaining (account limit per minute),
        // zendesk-ratelimit-tickets-index: total=100; remaining=99; resets=41
        source: "https://developer.zendesk.com/api-reference/introduction/rate-limits/",
        shares: Some("x-rate-limit"),
        markers: &["x-rate-limit", "zendesk-ratelimit-tickets-index"],
        hosts: &["zendesk.com"],
        axes: &[
            fields(
                "account",
                Unit::Requests,
                Some(60 * S),
                Some("X-Rate-Limit"),
                Some("X-Rate-Limit-Remaining"),
                None,
                None,
                ResetAs::Seconds,
            ),
            one(
                "tickets-index",
                Form::TotalRemainingResets,
                "zendesk-ratelimit-tickets-index",
                None,
            ),
        ],
        other: &[],
        costs: &[],
    },
    Dialect {
        name: "x-rate-limit",
        title: "X-Rate-Limit-* headers",
        profile: None,
        source: "https://developer.okta.com/docs/reference/rl-best-practices/ (the same family)",
        shares: None,
        markers: &[],
        hosts: &[],
        axes: &[fields(
            "requests",
            Unit::Requests,
            None,
            Some("X-Rate-Limit-Limit"),
            Some("X-Rate-Limit-Remaining"),
            None,
            Some("X-Rate-Limit-Reset"),
            ResetAs::Detect,
        )],
        other: &[],
        costs: &[],
    },
    ietf(
        "ietf-03",
        "IETF RateLimit fields, drafts -00 to -03",
        &IETF_03,
    ),
    ietf(
        "ietf-06",
        "IETF RateLimit fields, drafts -04 to -06",
        &IETF_06,
    ),
    ietf("ietf-07", "IETF RateLimit fields, draft -07", &IETF_07),
    ietf(
        "ietf-08",
        "IETF RateLimit fields, draft -08 and later",
        &IETF_08,
    ),
    ietf(
        "beta-ietf-03",
        "Beta- IETF RateLimit fields, drafts -00 to -03",
        &BETA_03,
    ),
    ietf(
        "beta-ietf-06",
        "Beta- IETF RateLimit fields, drafts -04 to -06",
        &BETA_06,
    ),
    ietf(
        "beta-ietf-07",
        "Beta- IETF RateLimit fields, draft -07",
        &BETA_07,
    ),
    ietf(
        "beta-ietf-08",
        "Beta- IETF RateLimit fields, draft -08 and later",
        &BETA_08,
    ),
    Dialect {
        name: "hubspot",
        title: "HubSpot",
        profile: Some("hubspot"),
        // X-HubSpot-RateLimit-Daily/-Daily-Remaining/-Interval-Milliseconds/-Max/-Remaining/
        // -Secondly/-Secondly-Remaining; 429 body errorType RATE_LIMIT with policyName
        source: "https://developers.hubspot.com/docs/api/usage-details#rate-limits",
        shares: None,
        markers: &[],
        hosts: &[],
        axes: &[
            fields(
                "interval",
                Unit::Requests,
                None,
                Some("X-HubSpot-RateLimit-Max"),
                Some("X-HubSpot-RateLimit-Remaining"),
                None,
                None,
                ResetAs::Seconds,
            ),
            fields(
                "secondly",
                Unit::Requests,
                Some(S),
                Some("X-HubSpot-RateLimit-Secondly"),
                Some("X-HubSpot-RateLimit-Secondly-Remaining"),
                None,
                None,
                ResetAs::Seconds,
            ),
            // resets at midnight in the account's time zone
            fields(
                "daily",
                Unit::Requests,
                Some(86_400 * S),
                Some("X-HubSpot-RateLimit-Daily"),
                Some("X-HubSpot-RateLimit-Daily-Remaining"),
                None,
                None,
                ResetAs::Seconds,
            ),
        ],
        other: &[(
            Role::WindowMillis(0),
            "X-HubSpot-RateLimit-Interval-Milliseconds",
        )],
        costs: &[],
    },
    Dialect {
        name: "openai",
        title: "OpenAI",
        profile: Some("openai"),
        // x-ratelimit-{limit,remaining,reset}-{requests,tokens}, resets as durations (`1s`,
        // `6m0s`); 429 code rate_limit_exceeded ("Limit N, Used N, Requested N"),
        // insufficient_quota is billing
        source: "https://platform.openai.com/docs/guides/rate-limits#rate-limits-in-headers; \
                 https://platform.openai.com/docs/guides/error-codes",
        shares: None,
        markers: &[],
        hosts: &[],
        axes: &[
            fields(
                "requests",
                Unit::Requests,
                None,
                Some("x-ratelimit-limit-requests"),
                Some("x-ratelimit-remaining-requests"),
                None,
                Some("x-ratelimit-reset-requests"),
                ResetAs::Duration,
            ),
            fields(
                "tokens",
                Unit::Tokens,
                None,
                Some("x-ratelimit-limit-tokens"),
                Some("x-ratelimit-remaining-tokens"),
                None,
                Some("x-ratelimit-reset-tokens"),
                ResetAs::Duration,
            ),
        ],
        other: &[(Role::RetryMillis, "retry-after-ms")],
        costs: &["body:usage.total_tokens"],
    },
    Dialect {
        name: "anthropic",
        title: "Anthropic",
        profile: Some("anthropic"),
        // anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,
        // reset} (RFC 3339); 429 error.type rate_limit_error
        source: "https://docs.anthropic.com/en/api/rate-limits#response-headers",
        shares: None,
        markers: &[],
        hosts: &[],
        axes: &[
            fields(
                "requests",
                Unit::Requests,
                None,
                Some("anthropic-ratelimit-requests-limit"),
                Some("anthropic-ratelimit-requests-remaining"),
                None,
                Some("anthropic-ratelimit-requests-reset"),
                ResetAs::Detect,
            ),
            fields(
                "tokens",
                Unit::Tokens,
                None,
                Some("anthropic-ratelimit-tokens-limit"),
                Some("anthropic-ratelimit-tokens-remaining"),
                None,
                Some("anthropic-ratelimit-tokens-reset"),
                ResetAs::Detect,
            ),
            fields(
                "input-tokens",
                Unit::Tokens,
                None,
                Some("anthropic-ratelimit-input-tokens-limit"),
                Some("anthropic-ratelimit-input-tokens-remaining"),
                None,
                Some("anthropic-ratelimit-input-tokens-reset"),
                ResetAs::Detect,
            ),
            fields(
                "output-tokens",
                Unit::Tokens,
                None,
                Some("anthropic-ratelimit-output-tokens-limit"),
                Some("anthropic-ratelimit-output-tokens-remaining"),
                None,
                Some("anthropic-ratelimit-output-tokens-reset"),
                ResetAs::Detect,
            ),
        ],
        other: &[],
        costs: &["body:usage.input_tokens", "body:usage.output_tokens"],
    },
    Dialect {
        name: "shopify-rest",
        title: "Shopify REST Admin API",
        profile: Some("shopify-rest"),
        // X-Shopify-Shop-Api-Call-Limit: 32/40 (used/bucket); 429 body
        // {"errors":"Exceeded 2 calls per second for api client. ..."}
        source: "https://shopify.dev/docs/api/admin-rest/usage/rate-limits",
        shares: None,
        markers: &[],
        hosts: &[],
        axes: &[one(
            "bucket",
            Form::UsedOfLimit,
            "X-Shopify-Shop-Api-Call-Limit",
            None,
        )],
        other: &[],
        costs: &[],
    },
    Dialect {
        name: "shopify-graphql",
        title: "Shopify GraphQL Admin API",
        profile: Some("shopify-graphql"),
        // extensions.cost {requestedQueryCost, actualQueryCost, throttleStatus
        // {maximumAvailable, currentlyAvailable, restoreRate}}; errors[].extensions.code
        // THROTTLED
        source: "https://shopify.dev/docs/api/usage/rate-limits#graphql-admin-api-rate-limits",
        shares: None,
        markers: &[],
        hosts: &[],
        axes: &[Axis {
            name: "points",
            unit: Unit::Points,
            window: None,
            form: Form::Body,
            limit: None,
            remaining: None,
            used: None,
            reset: None,
            reset_as: ResetAs::Seconds,
            reset_alt: None,
        }],
        other: &[],
        costs: &[
            "body:extensions.cost.actualQueryCost",
            "body:extensions.cost.requestedQueryCost",
        ],
    },
    Dialect {
        name: "github-graphql",
        title: "GitHub GraphQL",
        profile: Some("github-graphql"),
        // data.rateLimit {limit, cost, remaining, used, resetAt}; errors[].type RATE_LIMITED
        source: "https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api#returning-the-rate-limit-status",
        shares: None,
        markers: &[],
        hosts: &[],
        axes: &[Axis {
            name: "points",
            unit: Unit::Points,
            window: None,
            form: Form::Body,
            limit: None,
            remaining: None,
            used: None,
            reset: None,
            reset_as: ResetAs::Detect,
            reset_alt: None,
        }],
        other: &[],
        costs: &["body:data.rateLimit.cost"],
    },
    Dialect {
        name: "salesforce",
        title: "Salesforce",
        profile: Some("salesforce"),
        // Sforce-Limit-Info: api-usage=18/5000 (rolling 24 h per org), per-app-api-usage=
        // 17/250(appName=…); errorCode REQUEST_LIMIT_EXCEEDED
        source: "https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm",
        shares: None,
        markers: &[],
        hosts: &[],
        axes: &[
            one(
                "api-usage",
                Form::KeyedUsedOfLimit("api-usage"),
                "Sforce-Limit-Info",
                Some(86_400 * S),
            ),
            one(
                "per-app-api-usage",
                Form::KeyedUsedOfLimit("per-app-api-usage"),
                "Sforce-Limit-Info",
                None,
            ),
        ],
        other: &[],
        costs: &[],
    },
    Dialect {
        name: "microsoft-graph",
        title: "Microsoft Graph",
        profile: Some("microsoft-graph"),
        // x-ms-resource-unit (cost), x-ms-throttle-limit-percentage (0.8–1.8),
        // x-ms-throttle-scope ({Scope}/{Limit}/{ApplicationId}/{ResourceId}),
        // x-ms-throttle-information; 429 error.code TooManyRequests
        source: "https://learn.microsoft.com/en-us/graph/throttling-limits#identity-and-access-service-limits; \
                 https://learn.microsoft.com/en-us/graph/throttling",
        shares: None,
        markers: &[],
        hosts: &[],
        axes: &[one(
            "resource-units",
            Form::Share,
            "x-ms-throttle-limit-percentage",
            None,
        )],
        other: &[
            (Role::Scope, "x-ms-throttle-scope"),
            (Role::Reason, "x-ms-throttle-information"),
            (Role::RetryMillis, "x-ms-retry-after-ms"),
            (Role::Cost, "x-ms-resource-unit"),
        ],
        costs: &["header:x-ms-resource-unit"],
    },
    Dialect {
        name: "stripe",
        title: "Stripe",
        profile: Some("stripe"),
        // 429 error.code rate_limit; lock_timeout is an object lock, not a rate limit
        source: "https://docs.stripe.com/rate-limits; https://docs.stripe.com/error-codes#rate-limit",
        shares: None,
        markers: &[],
        hosts: &[],
        axes: &[],
        other: &[(Role::Reason, "Stripe-Rate-Limited-Reason")],
        costs: &[],
    },
    body_only(
        "google",
        "Google APIs",
        None,
        // RESOURCE_EXHAUSTED with google.rpc.ErrorInfo {reason, metadata}; older 403 errors[]
        // reasons rateLimitExceeded / userRateLimitExceeded
        "https://cloud.google.com/apis/design/errors#error_info; \
         https://developers.google.com/drive/api/guides/limits",
    ),
    body_only(
        "graphql",
        "GraphQL",
        None,
        // errors[].extensions.code THROTTLED (Shopify), errors[].type RATE_LIMITED (GitHub)
        "https://shopify.dev/docs/api/usage/rate-limits#graphql-admin-api-rate-limits; \
         https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api",
    ),
    body_only(
        "openai-body",
        "OpenAI errors",
        Some("openai"),
        "https://platform.openai.com/docs/guides/error-codes#api-errors",
    ),
    body_only(
        "anthropic-body",
        "Anthropic errors",
        Some("anthropic"),
        // {"type":"error","error":{"type":"rate_limit_error","message":…}}
        "https://docs.anthropic.com/en/api/errors",
    ),
    body_only(
        "okta-body",
        "Okta errors",
        Some("okta"),
        // {"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests."}
        "https://developer.okta.com/docs/reference/error-codes/#E0000047",
    ),
    body_only(
        "salesforce-body",
        "Salesforce errors",
        Some("salesforce"),
        // [{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]
        "https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm",
    ),
    body_only(
        "slack",
        "Slack Web API",
        Some("slack"),
        // HTTP 429 with Retry-After; body {"ok":false,"error":"ratelimited"}
        "https://api.slack.com/apis/rate-limits",
    ),
    body_only(
        "hubspot-body",
        "HubSpot errors",
        Some("hubspot"),
        // {"status":"error","message":…,"errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}
        "https://developers.hubspot.com/docs/api/usage-details#error-responses",
    ),
    body_only(
        "x-body",
        "X (Twitter) errors",
        Some("x"),
        // {"errors":[{"code":88,"message":"Rate limit exceeded"}]}
        "https://docs.x.com/x-api/fundamentals/response-codes-and-errors",
    ),
    body_only(
        "stripe-body",
        "Stripe errors",
        Some("stripe"),
        // {"error":{"code":"rate_limit","message":…,"type":"invalid_request_error"}}
        "https://docs.stripe.com/error-codes#rate-limit",
    ),
    body_only(
        "microsoft-graph-body",
        "Microsoft Graph errors",
        Some("microsoft-graph"),
        // {"error":{"code":"TooManyRequests","message":…,"innerError":{…}}}
        "https://learn.microsoft.com/en-us/graph/throttling#sample-response",
    ),
    body_only(
        "discord-body",
        "Discord errors",
        Some("discord"),
        // {"message":"You are being rate limited.","retry_after":64.57,"global":false}
        "https://discord.com/developers/docs/topics/rate-limits#exceeding-a-rate-limit",
    ),
    body_only(
        "kong",
        "Kong rate limiting",
        None,
        // HTTP 429 {"message":"API rate limit exceeded"}
        "https://docs.konghq.com/hub/kong-inc/rate-limiting/",
    ),
    body_only(
        "problem",
        "IETF problem types",
        None,
        // application/problem+json with type …#quota-exceeded, …#temporary-reduced-capacity,
        // …#abnormal-usage-detected and violated-policies
        "https://github.com/ietf-wg-httpapi/ratelimit-headers (draft -08 and later, section Problem Types)",
    ),
    body_only(
        "nginx",
        "nginx",
        None,
        // limit_req / limit_conn refuse with 503 by default and nginx's built-in error page
        "https://nginx.org/en/docs/http/ngx_http_limit_req_module.html#limit_req_status",
    ),
    body_only(
        "cloudflare",
        "Cloudflare",
        None,
        // error 1015 "You are being rate limited"; plain `error code: 1015` to API clients
        "https://developers.cloudflare.com/support/troubleshooting/http-status-codes/cloudflare-1xxx-errors/error-1015/",
    ),
];

/// Index of a dialect by name, at compile time (a missing name fails the build).
const fn id_of(name: &str) -> DialectId {
    let mut i = 0;
    while i < DIALECTS.len() {
        let a = DIALECTS[i].name.as_bytes();
        let b = name.as_bytes();
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i as DialectId;
            }
        }
        i += 1;
    }
    panic!("no such dialect")
}

/// Dialect ids the readers use by name (checked when the crate is built).
pub mod ids {
    use super::id_of;
    use crate::model::DialectId;

    /// `genesys`.
    pub const GENESYS: DialectId = id_of("genesys");
    /// `envoy`.
    pub const ENVOY: DialectId = id_of("envoy");
    /// `discord`.
    pub const DISCORD: DialectId = id_of("discord");
    /// `x-ratelimit`.
    pub const X_RATELIMIT: DialectId = id_of("x-ratelimit");
    /// `ietf-03`.
    pub const IETF_03: DialectId = id_of("ietf-03");
    /// `ietf-06`.
    pub const IETF_06: DialectId = id_of("ietf-06");
    /// `ietf-07`.
    pub const IETF_07: DialectId = id_of("ietf-07");
    /// `ietf-08`.
    pub const IETF_08: DialectId = id_of("ietf-08");
    /// `beta-ietf-03`.
    pub const BETA_IETF_03: DialectId = id_of("beta-ietf-03");
    /// `shopify-graphql`.
    pub const SHOPIFY_GRAPHQL: DialectId = id_of("shopify-graphql");
    /// `github-graphql`.
    pub const GITHUB_GRAPHQL: DialectId = id_of("github-graphql");
    /// `google`.
    pub const GOOGLE: DialectId = id_of("google");
    /// `graphql`.
    pub const GRAPHQL: DialectId = id_of("graphql");
    /// `openai-body`.
    pub const OPENAI_BODY: DialectId = id_of("openai-body");
    /// `anthropic-body`.
    pub const ANTHROPIC_BODY: DialectId = id_of("anthropic-body");
    /// `okta-body`.
    pub const OKTA_BODY: DialectId = id_of("okta-body");
    /// `salesforce-body`.
    pub const SALESFORCE_BODY: DialectId = id_of("salesforce-body");
    /// `slack`.
    pub const SLACK: DialectId = id_of("slack");
    /// `hubspot-body`.
    pub const HUBSPOT_BODY: DialectId = id_of("hubspot-body");
    /// `x-body`.
    pub const X_BODY: DialectId = id_of("x-body");
    /// `stripe-body`.
    pub const STRIPE_BODY: DialectId = id_of("stripe-body");
    /// `microsoft-graph-body`.
    pub const GRAPH_BODY: DialectId = id_of("microsoft-graph-body");
    /// `discord-body`.
    pub const DISCORD_BODY: DialectId = id_of("discord-body");
    /// `kong`.
    pub const KONG: DialectId = id_of("kong");
    /// `problem`.
    pub const PROBLEM: DialectId = id_of("problem");
    /// `nginx`.
    pub const NGINX: DialectId = id_of("nginx");
    /// `cloudflare`.
    pub const CLOUDFLARE: DialectId = id_of("cloudflare");
}

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

/// The built-in profile the dialects a response speaks point to, if any.
pub fn profile_of(id: DialectId) -> Option<&'static str> {
    dialect(id).profile
}

/// A body code why429 knows, and whether it means "rate limited".
#[derive(Clone, Copy, Debug)]
pub struct Code {
    /// The code as servers write it.
    pub name: &'static str,
    /// The dialect whose bodies carry it.
    pub dialect: &'static str,
    /// Whether it marks a rate-limit refusal.
    pub rate_limited: bool,
}

const fn entry(name: &'static str, dialect: &'static str, rate_limited: bool) -> Code {
    Code {
        name,
        dialect,
        rate_limited,
    }
}

/// Body codes why429 knows by name; any other code is kept only as "unlisted". Names are
/// unique, so profiles can name them (`throttle_codes`).
pub const CODES: &[Code] = &[
    entry("too.many.requests.retry.after", "genesys", true),
    entry("too.many.requests", "genesys", true),
    entry("E0000047", "okta-body", true),
    entry("RESOURCE_EXHAUSTED", "google", true),
    entry("RATE_LIMIT_EXCEEDED", "google", true),
    entry("rateLimitExceeded", "google", true),
    entry("userRateLimitExceeded", "google", true),
    entry("quotaExceeded", "google", true),
    entry("dailyLimitExceeded", "google", true),
    entry("THROTTLED", "graphql", true),
    entry("RATE_LIMITED", "graphql", true),
    entry("rate_limit", "stripe-body", true),
    // an object is locked by another request: a conflict, not a rate limit
    entry("lock_timeout", "stripe-body", false),
    entry("rate_limit_exceeded", "openai-body", true),
    // the account ran out of credit: billing, not a rate limit
    entry("insufficient_quota", "openai-body", false),
    entry("rate_limit_error", "anthropic-body", true),
    // the API is overloaded for everyone (HTTP 529): not the caller's limit
    entry("overloaded_error", "anthropic-body", false),
    entry("REQUEST_LIMIT_EXCEEDED", "salesforce-body", true),
    entry("ratelimited", "slack", true),
    entry("RATE_LIMIT", "hubspot-body", true),
    entry("88", "x-body", true),
    entry("TooManyRequests", "microsoft-graph-body", true),
    entry("activityLimitReached", "microsoft-graph-body", true),
    entry("throttledRequest", "microsoft-graph-body", true),
    entry("API rate limit exceeded", "kong", true),
    entry("quota-exceeded", "problem", true),
    entry("temporary-reduced-capacity", "problem", true),
    entry("abnormal-usage-detected", "problem", true),
    // nginx's built-in 503 page: limit_req's default refusal, but also any other 503
    entry("nginx-503-page", "nginx", false),
    entry("1015", "cloudflare", true),
];

/// The code table entry of a code text, if known.
pub fn code_id(text: &str) -> Option<CodeId> {
    CODES
        .iter()
        .position(|c| c.name == text)
        .map(|i| i as CodeId)
}

/// The code table entry of a code text as one dialect's bodies write it.
pub fn code_in(dialect: DialectId, text: &str) -> Option<CodeId> {
    let name = self::dialect(dialect).name;
    CODES
        .iter()
        .position(|c| c.dialect == name && c.name == text)
        .map(|i| i as CodeId)
}

/// A code by index.
pub fn code(id: CodeId) -> &'static Code {
    &CODES[id as usize]
}

/// Where a header name appears in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// A number of a counter (`alt`: the other reset header).
    Counter {
        /// The dialect.
        dialect: DialectId,
        /// Which counter.
        axis: u8,
        /// Which number.
        field: Field,
        /// Whether it is the axis' `reset_alt`.
        alt: bool,
    },
    /// One of a dialect's other headers.
    Other {
        /// The dialect.
        dialect: DialectId,
        /// What it says.
        role: Role,
    },
}

/// FNV-1a: header names are short, and the table is fixed (nothing a capture writes is ever
/// inserted), so a cheap hash is safe and spares a SipHash per header of every entry.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type Index = HashMap<String, Vec<Slot>, BuildHasherDefault<Fnv>>;

/// Every header name the table reads (lower case) and where it appears. IETF fields are
/// listed as counters of their `Ietf` axes too.
static INDEX: LazyLock<Index> = LazyLock::new(|| {
    let mut map = Index::default();
    for (d, dialect) in DIALECTS.iter().enumerate() {
        let d = d as DialectId;
        for (a, axis) in dialect.axes.iter().enumerate() {
            let a = a as u8;
            let names = [
                (axis.limit, Field::Limit, false),
                (axis.remaining, Field::Remaining, false),
                (axis.used, Field::Used, false),
                (axis.reset, Field::Reset, false),
                (axis.reset_alt, Field::Reset, true),
            ];
            for (name, field, alt) in names {
                if let Some(n) = name {
                    let slot = Slot::Counter {
                        dialect: d,
                        axis: a,
                        field,
                        alt,
                    };
                    let v = map.entry(n.to_ascii_lowercase()).or_default();
                    if !v.contains(&slot) {
                        v.push(slot);
                    }
                }
            }
        }
        for (role, name) in dialect.other {
            map.entry(name.to_ascii_lowercase())
                .or_default()
                .push(Slot::Other {
                    dialect: d,
                    role: *role,
                });
        }
        for m in dialect.markers {
            map.entry(m.to_ascii_lowercase()).or_default();
        }
    }
    map
});

/// Headers read beside the table's: `Retry-After` and the correlation ids are read by
/// `normalize::headers`.
pub const STANDARD: [&str; 1] = ["retry-after"];

/// Where a header (lower case) appears in the table; empty when it does not.
pub fn slots(name: &str) -> &'static [Slot] {
    INDEX.get(name).map_or(&[], Vec::as_slice)
}

/// For each first byte, the lengths (bit n: n bytes, 63: longer) of the header names the
/// table reads: most headers of an entry are ruled out without hashing.
static QUICK: LazyLock<[u64; 256]> = LazyLock::new(|| {
    let mut t = [0u64; 256];
    for n in INDEX.keys().map(String::as_str).chain(STANDARD) {
        if let Some(&b) = n.as_bytes().first() {
            t[b as usize] |= 1 << n.len().min(63);
        }
    }
    t
});

/// Whether any dialect reads a header (name in lower case). Called for every header of every
/// entry: a table lookup rules out almost all of them.
pub fn reads_header(name: &str) -> bool {
    let Some(&first) = name.as_bytes().first() else {
        return false;
    };
    QUICK[first as usize] & (1 << name.len().min(63)) != 0
        && (INDEX.contains_key(name) || STANDARD.contains(&name))
}

/// Every header name a dialect reads, lower case, sorted.
pub fn header_names() -> Vec<&'static str> {
    static NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        let mut v: Vec<&'static str> = INDEX.keys().map(String::as_str).collect();
        v.extend(STANDARD);
        v.sort_unstable();
        v.dedup();
        v
    });
    NAMES.clone()
}

/// Lower-case names of the headers that identify a dialect (markers), for quick checks.
pub fn markers_of(d: DialectId) -> &'static HashSet<String> {
    static MARKERS: LazyLock<Vec<HashSet<String>>> = LazyLock::new(|| {
        DIALECTS
            .iter()
            .map(|d| d.markers.iter().map(|m| m.to_ascii_lowercase()).collect())
            .collect()
    });
    &MARKERS[d as usize]
}

/// A header value a report may quote as `Name: value`: the header's documented name and the
/// number exactly as the response wrote it, or `None` when the value held more than the
/// number (or another form of it), or the dialect has no header for the field.
pub fn quote(q: &Quota, field: Field) -> Option<(&'static str, String)> {
    let axis = dialect(q.dialect).axes.get(q.axis as usize)?;
    // one header per number: the `X-RateLimit-*` style and the current counter of the IETF
    // drafts before -07 (`RateLimit-Remaining: 0`); lists and structured fields never are
    let one_per_number = match axis.form {
        Form::Fields => true,
        Form::Ietf(Generation::List | Generation::Policy) => q.axis == 0,
        _ => false,
    };
    if !one_per_number {
        return None;
    }
    let (bit, name, value) = match field {
        Field::Limit => (
            Exact::LIMIT,
            axis.limit,
            q.limit.get().map(|n| n.to_string()),
        ),
        Field::Remaining => (
            Exact::REMAINING,
            axis.remaining,
            q.remaining.get().map(|n| n.to_string()),
        ),
        Field::Used => (Exact::USED, axis.used, q.used.get().map(|n| n.to_string())),
        Field::Reset => (
            Exact::RESET,
            axis.reset,
            q.reset.get().map(|r| values::num(time::as_secs(r))),
        ),
    };
    if !q.exact.has(bit) {
        return None;
    }
    Some((name?, value?))
}

/// The header and value to quote for a counter's use, when the response wrote it verbatim:
/// the used count, else what remained.
pub fn quote_use(q: &Quota) -> Option<(&'static str, String)> {
    quote(q, Field::Used).or_else(|| quote(q, Field::Remaining))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_ids_match() {
        assert!(
            DIALECTS.len() <= 64,
            "the readers keep dialect sets in a u64"
        );
        let mut names: Vec<&str> = DIALECTS.iter().map(|d| d.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), DIALECTS.len());
        let mut codes: Vec<&str> = CODES.iter().map(|c| c.name).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), CODES.len());
        for c in CODES {
            id(c.dialect);
        }
        for d in DIALECTS {
            if let Some(g) = d.shares {
                assert!(id(g) > id(d.name), "{} comes before {g}", d.name);
            }
            assert!(!d.source.is_empty());
        }
        assert_eq!(dialect(ids::DISCORD).name, "discord");
        assert_eq!(dialect(ids::CLOUDFLARE).name, "cloudflare");
    }

    #[test]
    fn every_vendor_profile_is_a_builtin_name() {
        let known = [
            "genesys-cloud",
            "github",
            "github-graphql",
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
            "x",
        ];
        for d in DIALECTS {
            if let Some(p) = d.profile {
                assert!(known.contains(&p), "{}: {p}", d.name);
            }
        }
    }

    #[test]
    fn quoting_needs_the_whole_value() {
        use crate::model::Quota;
        let q = Quota {
            dialect: id("x-ratelimit"),
            limit: Some(100).into(),
            remaining: Some(0).into(),
            exact: Exact(Exact::REMAINING),
            ..Quota::default()
        };
        assert_eq!(
            quote(&q, Field::Remaining),
            Some(("X-RateLimit-Remaining", "0".to_string()))
        );
        assert_eq!(quote(&q, Field::Limit), None, "not written as the number");
        let ietf = Quota {
            dialect: ids::IETF_08,
            limit: Some(100).into(),
            exact: Exact(Exact::LIMIT),
            ..Quota::default()
        };
        assert_eq!(quote(&ietf, Field::Limit), None, "a structured field");
        let draft03 = Quota {
            dialect: ids::IETF_03,
            limit: Some(100).into(),
            remaining: Some(0).into(),
            exact: Exact(Exact::REMAINING),
            ..Quota::default()
        };
        assert_eq!(
            quote(&draft03, Field::Remaining),
            Some(("RateLimit-Remaining", "0".to_string()))
        );
        assert_eq!(quote(&draft03, Field::Limit), None, "`100, 100;w=60`");
        let policy = Quota {
            axis: 1,
            exact: Exact(Exact::LIMIT),
            ..draft03
        };
        assert_eq!(quote(&policy, Field::Limit), None, "an item of a list");
        assert!(reads_header("x-ratelimit-resource"));
        assert!(reads_header("anthropic-ratelimit-output-tokens-reset"));
        assert!(!reads_header("content-type"));
    }
}

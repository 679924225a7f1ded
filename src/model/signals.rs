//! What a response says about rate limits: the server's own counters, when to retry, and what a
//! throttling body states — as numbers and as entries of why429's own tables. The rare parts of
//! a request (a preflight's announced method and headers) share their out-of-line box.
//!
//! Owns the shared shapes every dialect is read into (`normalize::dialects` reads the IETF
//! RateLimit fields, the `X-RateLimit-*` family, Genesys, Shopify, Discord, OpenAI and the
//! others). No server-chosen text is kept in clear: policy and bucket names are interned as
//! `Sensitive` symbols of the capture, codes are indices into why429's code table. Which
//! dialect a counter came from is an index into normalize's dialect table, so a new dialect is
//! data there, not a change here. It must not parse text.

use super::packed::{OptU32, OptU64, Packed};
use super::request::Sym;
use super::time::Micros;

/// Index of a dialect in `normalize::dialects::DIALECTS`.
pub type DialectId = u8;

/// Index of a body code in `normalize::dialects::CODES` (a code why429 knows by name).
pub type CodeId = u16;

/// How a reset time was written, so that it can be quoted and re-written the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResetForm {
    /// Seconds from now (`30`, `1.5`).
    DeltaSeconds,
    /// Milliseconds from now.
    DeltaMillis,
    /// Unix time in seconds (`1700003600`).
    EpochSeconds,
    /// Unix time in milliseconds.
    EpochMillis,
    /// An HTTP date.
    HttpDate,
    /// An ISO 8601 / RFC 3339 time.
    Iso8601,
    /// A Go-style duration (`6m0s`, `1.5s`, `20ms`: OpenAI).
    Duration,
}

/// Which numbers of a `Quota` were written in the response as that very number making up the
/// whole header value (`X-RateLimit-Remaining: 0`; a reset as delta-seconds `30` or `1.5`), so
/// that a report may quote them as `Name: value` exactly. Values that hold more than the number
/// (`RateLimit-Limit: 100, 100;w=60`, `32/40`, structured fields) or another form of it (an
/// epoch, a date, a duration) are never exact: `normalize::dialects::quote` says what to quote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Exact(pub u8);

impl Exact {
    /// The limit was a plain integer header value.
    pub const LIMIT: u8 = 1;
    /// The remaining count was.
    pub const REMAINING: u8 = 2;
    /// The used count was.
    pub const USED: u8 = 4;
    /// The reset was.
    pub const RESET: u8 = 8;

    /// Whether a field (one of the constants) was exact.
    pub fn has(self, field: u8) -> bool {
        self.0 & field != 0
    }
}

/// What a quota counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Requests.
    #[default]
    Requests,
    /// Points or credits (GitHub GraphQL, Shopify GraphQL, Jira).
    Points,
    /// Tokens of a language model (OpenAI, Anthropic).
    Tokens,
    /// Requests in flight (IETF `qu=concurrent-requests`).
    Concurrent,
    /// Bytes (IETF `qu=content-bytes`).
    Bytes,
}

/// One counter a server reported on a response: a budget, what is left of it, and when it
/// resets. A response may carry several (IETF policies, Kong's per-unit windows, OpenAI's
/// requests and tokens).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Quota {
    /// The dialect it was read from.
    pub dialect: DialectId,
    /// Which counter of that dialect (its axis: requests or tokens, second or minute, ...).
    pub axis: u8,
    /// What it counts.
    pub unit: Unit,
    /// The budget.
    pub limit: OptU64,
    /// What is left of it after this response.
    pub remaining: OptU64,
    /// What has been used, this request included.
    pub used: OptU64,
    /// The window, only when the dialect defines it or a policy states it (`w=`); never
    /// guessed from a reset countdown.
    pub window: Packed<Micros>,
    /// Time from the response until the counter resets.
    pub reset: Packed<Micros>,
    /// How the reset was written.
    pub reset_form: Option<ResetForm>,
    /// Server-chosen name of the policy, bucket or resource (IETF policy name, Discord bucket,
    /// GitHub `x-ratelimit-resource`, Salesforce `appName`): a symbol of `Capture::policies`,
    /// never printed unless it equals a layer name of the active profile.
    pub policy: OptU32,
    /// Which numbers were plain integer header values.
    pub exact: Exact,
    /// The rarer parts, out of line: most counters have none, and a day-long capture holds
    /// a counter per response. `None` exactly when every part is absent.
    pub(crate) extra: Option<Box<QuotaExtra>>,
}

/// The parts of a counter few dialects report.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct QuotaExtra {
    /// How the budget refills, when the server says (Atlassian Data Center
    /// `X-RateLimit-FillRate` per `X-RateLimit-Interval-Seconds`, Shopify GraphQL
    /// `restoreRate` per second): a token or leaky bucket rather than a window.
    refill: Option<Refill>,
    /// Share of the budget in use as the server states it, without the numbers (Microsoft
    /// Graph `x-ms-throttle-limit-percentage`: `0.8` is 80 %, up to `1.8`).
    used_share: Option<f64>,
    /// What this request cost, when the response states it beside the counter (Shopify
    /// GraphQL `actualQueryCost`, GitHub GraphQL `rateLimit.cost`).
    cost: Option<f64>,
}

/// A bucket's refill: `amount` units every `every`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Refill {
    /// Units added per step.
    pub amount: f64,
    /// Length of a step (1 s for a rate per second).
    pub every: Micros,
}

impl Quota {
    /// How the budget refills, when the server says (Atlassian Data Center
    /// `X-RateLimit-FillRate` per `X-RateLimit-Interval-Seconds`, Shopify GraphQL
    /// `restoreRate` per second): a token or leaky bucket rather than a window.
    pub fn refill(&self) -> Option<Refill> {
        self.extra.as_ref().and_then(|e| e.refill)
    }

    /// Share of the budget in use as the server states it, without the numbers (Microsoft
    /// Graph `x-ms-throttle-limit-percentage`: `0.8` is 80 %, up to `1.8`).
    pub fn used_share(&self) -> Option<f64> {
        self.extra.as_ref().and_then(|e| e.used_share)
    }

    /// What this request cost, when the response states it beside the counter (Shopify
    /// GraphQL `actualQueryCost`, GitHub GraphQL `rateLimit.cost`).
    pub fn cost(&self) -> Option<f64> {
        self.extra.as_ref().and_then(|e| e.cost)
    }

    /// Sets how the budget refills.
    pub fn set_refill(&mut self, refill: Option<Refill>) {
        self.change_extra(|e| e.refill = refill);
    }

    /// Sets the share of the budget in use.
    pub fn set_used_share(&mut self, share: Option<f64>) {
        self.change_extra(|e| e.used_share = share);
    }

    /// Sets what this request cost.
    pub fn set_cost(&mut self, cost: Option<f64>) {
        self.change_extra(|e| e.cost = cost);
    }

    fn change_extra(&mut self, f: impl FnOnce(&mut QuotaExtra)) {
        let mut e = self.extra.as_deref().copied().unwrap_or_default();
        f(&mut e);
        self.extra = (e != QuotaExtra::default()).then(|| Box::new(e));
    }

    /// Requests (or units) used in the current window, this one included: `used`, else
    /// `limit − remaining`.
    pub fn used_count(&self) -> Option<u64> {
        (self.used.get()).or_else(|| Some(self.limit.get()?.saturating_sub(self.remaining.get()?)))
    }
}

/// Where a retry delay was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RetrySource {
    /// `Retry-After` as delay-seconds.
    Seconds,
    /// `Retry-After` as an HTTP date.
    HttpDate,
    /// A milliseconds header (`retry-after-ms`, `x-ms-retry-after-ms`).
    Millis,
    /// A reset-after header (`X-RateLimit-Reset-After`: Discord).
    ResetAfter,
    /// The throttling body (`retry_after`, "Retry the request in [S] seconds").
    Body,
}

/// When the server asked the client to retry, resolved to seconds after the response.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryAfter {
    /// Seconds to wait.
    pub seconds: f64,
    /// Where it was read.
    pub source: RetrySource,
}

impl RetryAfter {
    /// The wait, when it is a finite number of seconds.
    pub fn wait(&self) -> Option<Micros> {
        self.seconds
            .is_finite()
            .then(|| super::time::secs(self.seconds))
    }

    /// Whether it came from `Retry-After` as an HTTP date.
    pub fn was_date(&self) -> bool {
        self.source == RetrySource::HttpDate
    }
}

/// Who a server says a throttle applied to (Discord `X-RateLimit-Scope`, `global`,
/// Microsoft Graph `x-ms-throttle-scope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThrottleScope {
    /// The caller (user or token).
    User,
    /// Every caller of the application or API.
    Global,
    /// A resource shared with others (Discord `shared`).
    Shared,
    /// The tenant or organization.
    Tenant,
    /// The application.
    Application,
}

/// What a throttling body said, as numbers, known codes and interned names only.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ThrottleBody {
    /// The dialect whose body rule matched.
    pub dialect: Option<DialectId>,
    /// A code from why429's table (`too.many.requests`, `THROTTLED`, `E0000047`, ...).
    pub code: Option<CodeId>,
    /// A code was present but is not in the table (its text is not kept).
    pub unlisted_code: bool,
    /// The body itself says this response is a rate-limit refusal (a known rate-limit code,
    /// problem type or message).
    pub rate_limited: bool,
    /// Stated limit ("maximum [N] requests within [W] seconds": N; OpenAI "Limit N").
    pub limit: Option<u64>,
    /// Stated window in seconds.
    pub window_s: Option<f64>,
    /// Stated retry delay in seconds.
    pub retry_in_s: Option<f64>,
    /// Stated use (OpenAI "Used N").
    pub used: Option<u64>,
    /// Stated request size (OpenAI "Requested N").
    pub requested: Option<u64>,
    /// `limit.value` (Genesys).
    pub limit_value: Option<u64>,
    /// `limit.key` (Genesys), interned in `Capture::limit_keys`; printed only when it names a
    /// layer of the active profile.
    pub limit_key: Option<Sym>,
    /// A violated policy's name (problem+json `violated-policies`, HubSpot `policyName`,
    /// Google `quota_limit`), interned in `Capture::policies`; the first one when the body
    /// names several.
    pub policy: Option<Sym>,
    /// The other violated policies the body names, in its order.
    pub more_policies: Vec<Sym>,
    /// Who the throttle applied to, when the body says.
    pub scope: Option<ThrottleScope>,
}

/// A cost a response reported for its request (`cost_from` of a profile layer).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReportedCost {
    /// Index of the cost source in the reading settings (`normalize::CostSources`).
    pub source: u8,
    /// The cost.
    pub value: f64,
}

/// A reason or limit name a header stated: server text, interned in `Capture::policies`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reason {
    /// The dialect whose header said it.
    pub dialect: DialectId,
    /// The text, a symbol of `Capture::policies`.
    pub text: Sym,
}

/// Everything rate-limit related a response carried beyond its counters (`Request::quotas`):
/// `Retry-After`, a throttling body, costs, scope and reason; and the parts only preflights
/// carry (`preflight`). Kept out of line: most requests carry none of it, and most responses
/// that carry anything carry counters only.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Signals {
    /// What a throttling body said.
    pub body: Option<Box<ThrottleBody>>,
    /// When the response asked the client to retry (throttles, mostly).
    pub retry_after: Option<RetryAfter>,
    /// Costs read from the response for layers priced that way.
    pub costs: Vec<ReportedCost>,
    /// Who the server says the throttle applied to, from a header.
    pub scope: Option<ThrottleScope>,
    /// A reason or limit name a header states (Jira `RateLimit-Reason`, Microsoft Graph
    /// `x-ms-throttle-information`, Stripe `Stripe-Rate-Limited-Reason`).
    pub reason: Option<Reason>,
    /// A header says a rate limiter of this dialect refused the request (Envoy
    /// `x-envoy-ratelimited`).
    pub refused_by: Option<DialectId>,
    /// A header says the budget is nearly used up (Jira `X-RateLimit-NearLimit: true`: less
    /// than 20 % left).
    pub near_limit: bool,
    /// What only preflights (and other OPTIONS requests) carry.
    pub preflight: super::request::Preflight,
}

impl Signals {
    /// Whether nothing was read.
    pub fn is_empty(&self) -> bool {
        *self == Signals::default()
    }
}

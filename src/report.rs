//! Stage 5 — report: the one serialisable view model every renderer reads.
//!
//! Owns `Report` (the JSON contract of DESIGN.md, schema_version 1, with a JSON Schema from
//! schemars) and `build`, which turns an `Analysis` into it. This is where the output
//! allow-list is enforced: a report holds methods, hosts, endpoint templates, statuses, times,
//! counts, rate-limit numbers, Retry-After, layer names, citations, client labels and keyed
//! fingerprints — and raw paths, correlation ids or OAuth client ids only when the user asked
//! (`--show-ids`, `--show-client-ids`). Server logs are reported by counts, times and why429's
//! reasons for unreadable lines only. Renderers compute nothing; chart data is prepared here
//! (`timeline`). Pure.

pub mod timeline;

use std::collections::BTreeMap;

use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::analysis::Analysis;
use crate::diagnose::prose::{self, Names};
use crate::diagnose::{Cause, Ranked};
use crate::error::InputError;
use crate::evaluate::window;
use crate::join::{HiddenBy, HiddenIdentity, Overlap, WindowProof};
use crate::model::{Capture, Micros, ServerLog, time};
use crate::profiles::Kind;

pub use timeline::Timeline;

/// The report contract version.
pub const SCHEMA_VERSION: u32 = 1;

/// What a report may reveal beyond the allow-list.
#[derive(Clone, Copy, Debug, Default)]
pub struct Disclosure {
    /// Concrete paths (with ids) and correlation ids.
    pub show_ids: bool,
    /// OAuth client ids from JWT claims.
    pub show_client_ids: bool,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// Always 1 for this contract; fields may be added, none renamed.
    pub schema_version: u32,
    /// The tool that wrote it.
    pub tool: Tool,
    /// One per capture, in input order.
    pub captures: Vec<CaptureReport>,
    /// Inputs that could not be read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<InputProblem>,
}

/// `{"name": "why429", "version": "…"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    /// `why429`.
    pub name: String,
    /// Crate version.
    pub version: String,
}

/// An input that could not be read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InputProblem {
    /// The input as given.
    pub source: String,
    /// `line:column` or `line:column (entry N)`.
    pub location: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: String,
}

impl From<&InputError> for InputProblem {
    fn from(e: &InputError) -> Self {
        InputProblem {
            source: e.source.clone(),
            location: e.location.as_ref().map(|l| l.to_string()),
            message: e.problem.clone(),
            hint: e.hint.clone(),
        }
    }
}

/// One capture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CaptureReport {
    /// The input as given (`file.har`, `archive.zip!inner.har`, `<stdin>`).
    pub source: String,
    /// Path relative to the input root (how baselines match captures).
    pub path: String,
    /// Recognised producer, e.g. `Chromium DevTools 537.36`.
    pub producer: String,
    /// `log.version`.
    pub har_version: Option<String>,
    /// Entries in `log.entries`.
    pub entries: u32,
    /// Usable requests (entries minus skipped).
    pub requests: u32,
    /// CORS preflights among them.
    pub preflights: u32,
    /// Entries that could not be used, with why.
    pub skipped: Vec<SkippedEntry>,
    /// Set when a damaged file was read partially (`--partial`).
    pub partial: Option<String>,
    /// First request start (RFC 3339, capture's offset).
    pub started: Option<String>,
    /// Last response end.
    pub ended: Option<String>,
    /// Span in seconds.
    pub duration_s: f64,
    /// `UTC+01:00`.
    pub utc_offset: String,
    /// Active profile names joined with `+`.
    pub profile: String,
    /// Active profiles.
    pub profiles: Vec<ProfileRef>,
    /// OAuth clients.
    pub clients: Vec<ClientReport>,
    /// Distinct users (1 unless JWT `sub` claims, or the server's counters, say otherwise).
    pub users: u32,
    /// Set when credentials were removed before export.
    pub sanitized: Option<SanitizedReport>,
    /// Requests per endpoint and client.
    pub endpoints: Vec<EndpointReport>,
    /// Every layer of the active profiles.
    pub layers: Vec<LayerReport>,
    /// One per 429.
    pub throttles: Vec<ThrottleReport>,
    /// Observations about the client and the capture.
    pub findings: Vec<FindingReport>,
    /// The paragraph to paste.
    pub verdict: String,
    /// The verdict in brief: what happened, the main cause, what to do.
    pub summary: String,
    /// The verdict in its parts, as every format lays it out.
    pub verdict_parts: VerdictReport,
    /// The pacing that would have avoided the throttles (absent without throttles or a
    /// `--what-if`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanReport>,
    /// CI gates checked on this capture (`why429 check`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<GateResult>,
    /// Changes since a baseline (`why429 check --baseline`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// Server logs given with `--server-log`: what was read and every line that could not be.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_logs: Vec<ServerLogReport>,
    /// The capture joined with the server logs (with `--server-log` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join: Option<JoinReport>,
    /// Chart data (not part of the JSON contract).
    #[serde(skip)]
    #[schemars(skip)]
    pub timeline: Timeline,
}

/// One server log as it was read. Holds counts, times, the format and why429's reasons for
/// unreadable lines; never a line's content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ServerLogReport {
    /// The file.
    pub source: String,
    /// `generic`, `nginx`, `nginx-json`, `apache`, `envoy` or `genesys-usage`.
    pub format: String,
    /// Whether the format was recognised from the first lines (else `--server-log-format`).
    pub detected: bool,
    /// `per request`, `per day`, `per week`, `per month`.
    pub granularity: String,
    /// Records read (requests, or aggregated rows).
    pub records: u64,
    /// Requests they stand for.
    pub requests: u64,
    /// Throttled requests among them (429s, limiter rejections).
    pub throttled: u64,
    /// First record's time (RFC 3339, UTC).
    pub first: Option<String>,
    /// Last record's end (RFC 3339, UTC).
    pub last: Option<String>,
    /// Coarsest precision of the logged times, in seconds.
    pub resolution_s: f64,
    /// Lines in the file.
    pub lines: u64,
    /// Lines that could not be read.
    pub unparsed: u64,
    /// The unreadable lines (the first 1,000), with why.
    pub problems: Vec<LineProblemReport>,
    /// What a reader of the log should know (e.g. that nginx times are when a line was written).
    pub notes: Vec<String>,
}

/// A server-log line that could not be read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LineProblemReport {
    /// 1-based line number.
    pub line: u64,
    /// Why (why429's wording, never the line's text).
    pub reason: String,
}

impl From<&ServerLog> for ServerLogReport {
    fn from(log: &ServerLog) -> Self {
        let span = log.span();
        ServerLogReport {
            source: log.source.clone(),
            format: log.format.as_str().into(),
            detected: log.detected,
            granularity: log.granularity.label(),
            records: log.records.len() as u64,
            requests: log.requests(),
            throttled: log.throttled(),
            first: span.map(|(f, _)| time::rfc3339_utc(f)),
            last: span.map(|(_, l)| time::rfc3339_utc(l)),
            resolution_s: secs(log.resolution),
            lines: log.lines,
            unparsed: log.unparsed,
            problems: log
                .problems
                .iter()
                .map(|p| LineProblemReport {
                    line: p.line,
                    reason: p.reason.clone(),
                })
                .collect(),
            notes: log.notes.clone(),
        }
    }
}

/// The outcome of one CI gate on one capture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GateResult {
    /// The gate as given (`429`, `utilization>=80%`, ...).
    pub gate: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was found.
    pub message: String,
}

/// What changed for one capture between a baseline and now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    /// The capture's path.
    pub path: String,
    /// Whether it makes `check --baseline` fail.
    pub regression: bool,
    /// What changed.
    pub message: String,
}

/// A skipped entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SkippedEntry {
    /// 0-based index in `log.entries`.
    pub entry: u32,
    /// Why (why429's wording).
    pub reason: String,
}

/// An active profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProfileRef {
    /// Name.
    pub name: String,
    /// `built-in`, a file, or `inferred`.
    pub origin: String,
    /// One line.
    pub description: String,
    /// When its numbers were checked.
    pub verified: Option<String>,
}

/// An OAuth client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClientReport {
    /// `client-1`, ...
    pub label: String,
    /// Keyed fingerprint (12 hex digits).
    pub fingerprint: String,
    /// OAuth client id (only with `--show-client-ids`).
    pub client_id: Option<String>,
    /// Requests made with it.
    pub requests: u32,
    /// Distinct tokens seen for it.
    pub tokens: u32,
}

/// Credentials removed before export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SanitizedReport {
    /// `Authorization` stripped (Chrome's sanitized export).
    pub authorization_stripped: bool,
    /// Requests with a placeholder credential.
    pub masked_requests: u32,
    /// Preflights announcing an `Authorization` header.
    pub preflights_announcing_auth: u32,
}

/// Requests of one endpoint by one client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EndpointReport {
    /// HTTP method.
    pub method: String,
    /// Host.
    pub host: String,
    /// Endpoint template.
    pub template: String,
    /// Client label, `-` without credentials.
    pub client: String,
    /// Requests.
    pub requests: u32,
    /// 429 responses.
    pub throttled: u32,
    /// Requests without a response.
    pub failed: u32,
    /// Most requests within any 60 s.
    pub peak_per_minute: u64,
    /// When.
    pub peak_at: Option<String>,
}

/// One documented (or inferred) layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LayerReport {
    /// Layer name.
    pub name: String,
    /// Its profile.
    pub profile: String,
    /// Requests per window, or in flight: the budget replayed, which is the server's where it
    /// states another than the documentation (`documented_limit`).
    pub limit: u64,
    /// The budget the documentation gives, only where the server states another (a
    /// `budget-restated` finding says where) and `limit` holds the server's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documented_limit: Option<u64>,
    /// Window in seconds (0 for concurrency).
    pub window_s: f64,
    /// `rate` or `concurrency`.
    pub kind: String,
    /// `sliding`, `fixed` or `fixed-aligned`.
    pub algorithm: String,
    /// Partition dimensions.
    pub per: Vec<String>,
    /// Method and template filter, e.g. `PUT /api/v2/architect/ivrs/{ivrId}`.
    pub filter: Option<String>,
    /// Requests the layer counted.
    pub counted: u32,
    /// Partitions with traffic.
    pub partitions: u32,
    /// Most attempts (429s included) within one window in any partition.
    pub peak: u64,
    /// When.
    pub peak_at: Option<String>,
    /// Partition of the peak, e.g. `user-1 · client-2`.
    pub peak_partition: Option<String>,
    /// Most admitted requests within one window.
    pub peak_admitted: u64,
    /// Budget left at the peak: limit − peak (negative: attempts went over by that many).
    pub headroom: i64,
    /// peak / limit.
    pub utilization: f64,
    /// First request at which attempts exceeded the limit.
    pub first_breach: Option<String>,
    /// Whether CORS preflights count towards this layer (from the profile, or every layer with
    /// `--count-preflights`).
    pub counts_preflight: bool,
    /// Peak if CORS preflights counted.
    pub peak_with_preflights: u64,
    /// Citation.
    pub source: Option<String>,
    /// Caveat.
    pub note: Option<String>,
    /// What the numbers assume (a plan, a tier), or that they were set on the command line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assumption: Option<String>,
    /// The budget in words: `100 / 60 s`, `bucket of 11, leaks 5/s`, `2 in flight`.
    #[serde(default)]
    pub budget_label: String,
    /// Derived from the capture's headers, not documentation.
    pub inferred: bool,
    /// What the capture implies about the real budget.
    pub budget: Option<BudgetReport>,
    /// Every partition with traffic, busiest first.
    pub partition_peaks: Vec<PartitionReport>,
}

/// One partition of a layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PartitionReport {
    /// `user-1 · client-2`.
    pub partition: String,
    /// The same without anything that changes between runs: tokens are named `token-1`,
    /// `token-2` in order of first use instead of by fingerprint (JUnit test names use it).
    #[serde(default)]
    pub key: String,
    /// Requests counted in it.
    pub requests: u32,
    /// Most attempts within one window (or in flight).
    pub peak: u64,
    /// When.
    pub peak_at: Option<String>,
    /// Most admitted requests within one window.
    pub peak_admitted: u64,
    /// Budget left at the partition's peak: limit − peak.
    pub headroom: i64,
}

/// Inferred budget of a layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BudgetReport {
    /// Highest visible count that still succeeded.
    pub highest_ok: Option<u64>,
    /// Lowest visible count at which a 429 came.
    pub lowest_throttled: Option<u64>,
    /// `fixed` or `sliding`, when the Retry-After values say.
    pub algorithm_guess: Option<String>,
    /// Why.
    pub evidence: Vec<String>,
}

/// One 429 and its explanation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ThrottleReport {
    /// 0-based index of the entry in `log.entries`.
    pub entry: u32,
    /// Start (RFC 3339, capture's offset).
    pub started: String,
    /// HTTP method.
    pub method: String,
    /// Host.
    pub host: String,
    /// Endpoint template.
    pub template: String,
    /// Concrete path (only with `--show-ids`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Correlation id (only with `--show-ids`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Client label.
    pub client: String,
    /// The throttle's real status: 429, or another status (503, 403, 200 with a throttling
    /// body) the profile declares a throttle.
    pub status: u16,
    /// `visible-traffic`, `hidden-traffic`, `undocumented-limit` or `unknown`.
    pub cause: String,
    /// The layer that fired, when known.
    pub layer: Option<String>,
    /// `concurrency`, `burst` or `rate` (undocumented limits only).
    pub kind: Option<String>,
    /// The explanation in words.
    pub explanation: String,
    /// `high`, `medium` or `low`.
    pub confidence: String,
    /// Why the confidence is what it is.
    pub confidence_reason: String,
    /// The preference rule that put this explanation first (absent when it was the only one).
    pub decided_by: Option<String>,
    /// Requests visible in the layer's window (or in flight, or within 1 s).
    pub visible: Option<u64>,
    /// The layer's limit (or the estimated undocumented one).
    pub limit: Option<u64>,
    /// The layer's window in seconds.
    pub window_s: Option<f64>,
    /// Lower bound on requests from outside the capture.
    pub hidden_at_least: Option<u64>,
    /// Who sent the requests from outside the capture that the blamed layer counted in the
    /// window that refused this one, most requests first (with `--server-log` only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden_by: Vec<HiddenByReport>,
    /// What the server's log shows of the blamed layer's window (with `--server-log` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_window: Option<ServerWindowReport>,
    /// Retry-After, seconds.
    pub retry_after_s: Option<f64>,
    /// How long the 429 took, ms.
    pub duration_ms: f64,
    /// Sentences a person can check.
    pub evidence: Vec<String>,
    /// Facts against the explanation that did not rule it out.
    pub against: Vec<String>,
    /// Other explanations not ruled out, most likely first.
    pub alternatives: Vec<AlternativeReport>,
    /// Explanations ruled out, and why.
    pub ruled_out: Vec<RuledOutReport>,
}

impl ThrottleReport {
    /// Gives back the room formatting left in its sentences: a day-long capture holds tens of
    /// thousands of these at once, and `format!` grows a sentence by doubling.
    fn shrink_to_fit(&mut self) {
        let tight = |s: &mut String| s.shrink_to_fit();
        let all = |v: &mut Vec<String>| {
            v.iter_mut().for_each(tight);
            v.shrink_to_fit();
        };
        tight(&mut self.explanation);
        tight(&mut self.confidence_reason);
        all(&mut self.evidence);
        all(&mut self.against);
        for x in &mut self.alternatives {
            tight(&mut x.explanation);
            all(&mut x.supporting);
            all(&mut x.against);
        }
        for x in &mut self.ruled_out {
            tight(&mut x.explanation);
            tight(&mut x.because);
        }
    }
}

/// Requests from one sender outside the capture in a refusing window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HiddenByReport {
    /// The capture's label of the client (`client-2`), `log-client-N` for a client only the log
    /// names, or the log's client id with `--show-client-ids`; `-` when the log does not say.
    pub client: String,
    /// Likewise for the user (`user-1`, `log-user-N`, or the log's user id).
    pub user: String,
    /// Requests the layer counted (in its cost units).
    pub requests: u64,
}

/// The server's view of a throttle's refusing window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ServerWindowReport {
    /// The layer.
    pub layer: String,
    /// `full` (the records and the capture, replayed together, refuse it: a fact), `room`
    /// (they leave room: the layer did not refuse it), `bounds` (an aggregated log: only a
    /// floor and a ceiling), `uncovered` (the log does not cover the window).
    pub proof: String,
    /// Window start (RFC 3339, capture's offset and clock).
    pub from: String,
    /// Window end: the throttle's arrival at the server, on the capture's clock.
    pub to: String,
    /// Requests from outside the capture the layer counted in it.
    pub hidden: u64,
    /// The layer's budget.
    pub limit: u64,
    /// Aggregated logs: counted requests surely in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<u64>,
    /// Aggregated logs: counted requests possibly in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<u64>,
    /// Records in the window whose partition the log does not say.
    pub unplaced: u64,
}

/// The capture and the server logs, joined.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JoinReport {
    /// Records matched to a capture request.
    pub matched: u64,
    /// Of those, by correlation (request) id.
    pub by_correlation: u64,
    /// Records in the capture's time span that match no capture request.
    pub unmatched: u64,
    /// Server clock minus capture clock, seconds, the median of the matched pairs (absent when
    /// nothing matched).
    pub offset_s: Option<f64>,
    /// How far apart a record and an entry of the same request may be once the offset is
    /// applied, seconds: the logs' time precision plus the HAR's timing uncertainty.
    pub tolerance_s: f64,
    /// One per log.
    pub logs: Vec<JoinLogReport>,
    /// Senders of the unmatched records, most requests first.
    pub hidden: Vec<HiddenSenderReport>,
}

/// One log against the capture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JoinLogReport {
    /// The file.
    pub source: String,
    /// `full`, `partial` or `none`: how its span meets the capture's (offset applied).
    pub overlap: String,
    /// Seconds of the capture it covers.
    pub overlap_s: f64,
    /// Records matched.
    pub matched: u64,
    /// Records in the capture's span matched to nothing.
    pub unmatched: u64,
    /// Records outside the capture's span.
    pub outside: u64,
    /// What it can prove (aggregated logs: only bounds).
    pub note: Option<String>,
}

/// A sender of traffic the capture does not hold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HiddenSenderReport {
    /// As in `hidden_by`.
    pub client: String,
    /// The label the verdict uses for the client (the same as `client` without
    /// `--show-client-ids`).
    pub client_label: String,
    /// The label the verdict uses for the user.
    pub user_label: String,
    /// As in `hidden_by`.
    pub user: String,
    /// Its unmatched requests in the capture's span.
    pub requests: u64,
    /// Its user agent (only with `--show-client-ids`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Its client address (only with `--show-client-ids`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

/// An explanation a fact ruled out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RuledOutReport {
    /// Cause.
    pub cause: String,
    /// Layer.
    pub layer: Option<String>,
    /// Kind of undocumented limit.
    pub kind: Option<String>,
    /// The explanation in words.
    pub explanation: String,
    /// The refutation rule (`counter-has-room`, ...).
    pub rule: String,
    /// The fact that ruled it out.
    pub because: String,
}

/// A client policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PolicyReport {
    /// At most this many requests in flight per scope (`null`: no cap).
    pub max_in_flight: Option<u32>,
    /// At least this many seconds between starts per scope (`null`: none).
    pub min_spacing_s: Option<f64>,
    /// `endpoint`, `token`, `client`, `user` or `capture`: whose requests are paced together.
    pub scope: String,
    /// Whether refused requests are retried after Retry-After.
    pub honour_retry_after: bool,
}

/// A policy's predicted outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PolicyOutcomeReport {
    /// The policy.
    pub policy: PolicyReport,
    /// Throttles the replay predicts.
    pub predicted_throttles: u32,
    /// From the first request to the last response, seconds.
    pub duration_s: f64,
    /// Given with `--what-if`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub asked: bool,
}

/// The pacing plan: the capture's own requests replayed under client policies through every
/// documented layer and inferred undocumented limit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanReport {
    /// The fastest policy with no predicted throttle (`null` when none avoids them all).
    pub recommended: Option<PolicyReport>,
    /// Throttles predicted with the recommended policy (0), or with the best one tried.
    pub predicted_throttles: u32,
    /// Duration with the recommended policy, seconds.
    pub duration_s: Option<f64>,
    /// The capture's duration, seconds.
    pub captured_duration_s: f64,
    /// Throttles the same replay predicts for the capture as it was sent (how well the limits
    /// reproduce what happened).
    pub as_captured_throttles: Option<u32>,
    /// Other policies, including the one given with `--what-if`.
    pub alternatives: Vec<PolicyOutcomeReport>,
    /// The limits replayed.
    pub limits: Vec<String>,
    /// What the plan assumes or why it is missing.
    pub caveats: Vec<String>,
}

/// The verdict in its parts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VerdictReport {
    /// One line: what happened, the main cause and how sure.
    pub headline: String,
    /// What to do.
    pub what_to_do: Vec<String>,
    /// Facts for the main cause.
    pub evidence: Vec<String>,
    /// Other explanations, each with why it is less likely.
    pub other_explanations: Vec<String>,
    /// Throttles with other causes.
    pub other_throttles: Vec<String>,
    /// Advice from the findings.
    pub also: Vec<String>,
    /// How to confirm with the API's own tools.
    pub how_to_confirm: Vec<String>,
}

impl From<&crate::diagnose::Verdict> for VerdictReport {
    fn from(v: &crate::diagnose::Verdict) -> Self {
        VerdictReport {
            headline: v.headline.clone(),
            what_to_do: v.what_to_do.clone(),
            evidence: v.evidence.clone(),
            other_explanations: v.alternatives.clone(),
            other_throttles: v.others.clone(),
            also: v.also.clone(),
            how_to_confirm: v.confirm.clone(),
        }
    }
}

/// A ranked explanation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlternativeReport {
    /// Cause.
    pub cause: String,
    /// Layer.
    pub layer: Option<String>,
    /// Kind of undocumented limit.
    pub kind: Option<String>,
    /// The explanation in words.
    pub explanation: String,
    /// Why it ranks below the one before it.
    pub less_likely_because: Option<String>,
    /// The preference rule that ranked it there (`quiet-capture`, ...).
    pub preference: Option<String>,
    /// Evidence for it.
    #[serde(rename = "for")]
    pub supporting: Vec<String>,
    /// Evidence against it.
    pub against: Vec<String>,
}

/// An observation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FindingReport {
    /// `retry-after-ignored`, ...
    pub kind: String,
    /// `info`, `warning` or `error`.
    pub severity: String,
    /// Entry indices concerned.
    pub entries: Vec<u32>,
    /// What happened and what to change.
    pub message: String,
}

impl Report {
    /// A report of analyses and unreadable inputs.
    pub fn new(captures: Vec<CaptureReport>, errors: &[InputError]) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "why429".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            captures,
            errors: errors.iter().map(InputProblem::from).collect(),
        }
    }

    /// The JSON Schema of the contract.
    pub fn schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Report)).unwrap_or_default()
    }
}

fn at(c: &Capture, t: Micros) -> String {
    time::rfc3339_local(t, c.utc_offset_s())
}

fn secs(us: Micros) -> f64 {
    time::as_secs(us)
}

/// Builds the report of one capture.
pub fn build(a: &Analysis, disclosure: Disclosure) -> CaptureReport {
    let mut report = frame(a, disclosure);
    report.throttles = throttle_reports(a, &a.diagnosis.throttles, disclosure);
    report
}

/// The report of one capture, giving the analysis up as it goes: once everything but the
/// throttles is written, the server's counters go (the throttles' sentences render typed
/// signals and never read `Capture::quotas`), and each throttle's diagnosis (its ranked and refuted
/// explanations) is freed as soon as its sentences are written, so a capture with tens of
/// thousands of throttles never holds all of both at once. The same report as `build`.
pub fn build_owned(mut a: Analysis, disclosure: Disclosure) -> CaptureReport {
    let mut report = frame(&a, disclosure);
    a.capture.quotas = Default::default();
    let throttles = std::mem::take(&mut a.diagnosis.throttles);
    report.throttles = throttle_reports(&a, throttles, disclosure);
    report
}

/// The throttles' reports, in order, written on the pool's threads, which explained the
/// throttles (glibc reuses a thread's freed arena for that thread only): owned throttles are
/// freed as their reports are written.
fn throttle_reports<T: std::borrow::Borrow<crate::diagnose::Throttle> + Send>(
    a: &Analysis,
    throttles: impl IntoParallelIterator<Item = T, Iter: IndexedParallelIterator>,
    disclosure: Disclosure,
) -> Vec<ThrottleReport> {
    let names = Names::new(&a.capture, &a.profiles, &a.evaluation);
    (throttles.into_par_iter())
        .map(|t| {
            let mut r = throttle_report(a, &names, t.borrow(), disclosure);
            r.shrink_to_fit();
            r
        })
        .collect()
}

/// Everything of a capture's report but its throttles.
fn frame(a: &Analysis, disclosure: Disclosure) -> CaptureReport {
    let c = &a.capture;
    let span = c.span();
    let layers = layer_reports(a);
    CaptureReport {
        source: c.source.clone(),
        path: a.relative.clone(),
        producer: c.producer.label(),
        har_version: c.har_version.clone(),
        entries: c.entries,
        requests: c.requests.len() as u32,
        preflights: c.requests.iter().filter(|r| r.is_preflight).count() as u32,
        skipped: c
            .skipped
            .iter()
            .map(|s| SkippedEntry {
                entry: s.entry,
                reason: s.reason.clone(),
            })
            .collect(),
        partial: c.partial.clone(),
        started: span.map(|(s, _)| at(c, s)),
        ended: span.map(|(_, e)| at(c, e)),
        duration_s: span.map(|(s, e)| secs(e - s)).unwrap_or(0.0),
        utc_offset: time::offset_label(c.utc_offset_s()),
        profile: a
            .profiles
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join("+"),
        profiles: a
            .profiles
            .iter()
            .map(|p| ProfileRef {
                name: p.name.clone(),
                origin: p.origin.clone(),
                description: p.description.clone(),
                verified: p.verified.clone(),
            })
            .collect(),
        clients: c
            .clients
            .iter()
            .map(|cl| ClientReport {
                label: cl.label.clone(),
                fingerprint: cl.fingerprint.clone(),
                client_id: cl
                    .client_id
                    .as_ref()
                    .filter(|_| disclosure.show_client_ids)
                    .map(|s| s.expose_by_user_choice().clone()),
                requests: cl.requests,
                tokens: cl.tokens,
            })
            .collect(),
        users: user_count(&c.users),
        sanitized: c
            .sanitization
            .grouping_unavailable()
            .then_some(SanitizedReport {
                authorization_stripped: c.sanitization.authorization_stripped,
                masked_requests: c.sanitization.masked_requests,
                preflights_announcing_auth: c.sanitization.preflights_announcing_auth,
            }),
        endpoints: endpoint_reports(c),
        layers,
        throttles: Vec::new(),
        findings: a
            .diagnosis
            .findings
            .iter()
            .map(|f| FindingReport {
                kind: f.kind.as_str().into(),
                severity: f.severity.as_str().into(),
                entries: f
                    .requests
                    .iter()
                    .map(|&i| c.requests[i as usize].entry)
                    .collect(),
                message: f.message.clone(),
            })
            .collect(),
        verdict: a.diagnosis.verdict.paragraph(),
        summary: a.diagnosis.verdict.summary(),
        verdict_parts: VerdictReport::from(&a.diagnosis.verdict),
        plan: plan_report(a),
        gates: Vec::new(),
        changes: Vec::new(),
        server_logs: a
            .server_logs
            .iter()
            .map(|l| ServerLogReport::from(&**l))
            .collect(),
        join: join_report(a, disclosure),
        timeline: timeline::build(a),
    }
}

/// The names of a hidden sender: labels, or with `--show-client-ids` the log's own ids.
pub fn sender_names(id: &HiddenIdentity, disclosure: Disclosure) -> (String, String) {
    let shown = |raw: &Option<crate::model::Sensitive<std::sync::Arc<str>>>, label: &str| match raw
        .as_ref()
        .filter(|_| disclosure.show_client_ids)
    {
        Some(r) => r.expose_by_user_choice().to_string(),
        None => label.to_string(),
    };
    (
        shown(&id.client_id, &id.client_label),
        shown(&id.user_id, &id.user_label),
    )
}

fn hidden_by(a: &Analysis, by: &[HiddenBy], disclosure: Disclosure) -> Vec<HiddenByReport> {
    let Some(j) = &a.join else {
        return Vec::new();
    };
    by.iter()
        .map(|h| {
            let (client, user) = sender_names(&j.identities[h.identity as usize], disclosure);
            HiddenByReport {
                client,
                user,
                requests: h.requests,
            }
        })
        .collect()
}

fn join_report(a: &Analysis, disclosure: Disclosure) -> Option<JoinReport> {
    let j = a.join.as_ref()?;
    let mut hidden: Vec<HiddenSenderReport> = j
        .identities
        .iter()
        .filter(|id| id.requests > 0)
        .map(|id| {
            let (client, user) = sender_names(id, disclosure);
            let show = |x: &Option<crate::model::Sensitive<std::sync::Arc<str>>>| {
                x.as_ref()
                    .filter(|_| disclosure.show_client_ids)
                    .map(|s| s.expose_by_user_choice().to_string())
            };
            HiddenSenderReport {
                client,
                client_label: id.client_label.clone(),
                user_label: id.user_label.clone(),
                user,
                requests: id.requests,
                user_agent: show(&id.user_agent),
                ip: show(&id.ip),
            }
        })
        .collect();
    hidden.sort_by_key(|h| std::cmp::Reverse(h.requests));
    Some(JoinReport {
        matched: j.matched(),
        by_correlation: j.logs.iter().map(|l| l.by_correlation).sum(),
        unmatched: j.unmatched(),
        offset_s: j.offset.map(|o| (secs(o) * 1000.0).round() / 1000.0),
        tolerance_s: secs(j.tolerance),
        logs: j
            .logs
            .iter()
            .map(|l| JoinLogReport {
                source: l.source.clone(),
                overlap: match l.overlap {
                    Overlap::Full => "full",
                    Overlap::Partial { .. } => "partial",
                    Overlap::None => "none",
                }
                .into(),
                overlap_s: match l.overlap {
                    Overlap::Full => a.capture.span().map_or(0.0, |(s, e)| secs(e - s)),
                    Overlap::Partial { covered } => secs(covered),
                    Overlap::None => 0.0,
                },
                matched: l.matched,
                unmatched: l.unmatched,
                outside: l.outside,
                note: log_note(l),
            })
            .collect(),
        hidden,
    })
}

/// What a log can and cannot prove, when it is worth saying.
fn log_note(l: &crate::join::LogJoin) -> Option<String> {
    match (l.overlap, l.per_request) {
        (Overlap::None, _) => Some(
            "this log does not overlap the capture in time (clock offset applied): it names no traffic of these minutes; check that it is the right file and time zone".into(),
        ),
        (_, false) => Some(format!(
            "aggregated {}: it can bound how many requests a window held (a floor from intervals wholly inside it, a ceiling from those touching it), not when they came, nor match them to the capture's requests; windows shorter than an interval stay undecided",
            l.granularity
        )),
        (Overlap::Partial { .. }, true) => Some(
            "this log covers only part of the capture: windows outside it cannot be shown to have had room".into(),
        ),
        (Overlap::Full, true) => None,
    }
}

fn endpoint_reports(c: &Capture) -> Vec<EndpointReport> {
    // (host, template, method, client) → request indices
    let mut groups: BTreeMap<(String, String, String, String), Vec<usize>> = BTreeMap::new();
    for (i, r) in c.requests.iter().enumerate() {
        let client = c.client_label(crate::evaluate::identity_of(c, i));
        groups
            .entry((
                c.host(r).to_string(),
                c.template(r).to_string(),
                r.method.as_str().to_string(),
                client.to_string(),
            ))
            .or_default()
            .push(i);
    }
    let mut out: Vec<EndpointReport> = groups
        .into_iter()
        .map(|((host, template, method, client), idx)| {
            let starts: Vec<Micros> = idx.iter().map(|&i| c.requests[i].start).collect();
            let counts = window::sliding(&starts, &vec![1; starts.len()], 60 * time::SECOND);
            let peak = window::argmax(&counts);
            EndpointReport {
                method,
                host,
                template,
                client,
                requests: idx.len() as u32,
                throttled: idx.iter().filter(|&&i| c.requests[i].is_throttle()).count() as u32,
                failed: idx
                    .iter()
                    .filter(|&&i| !c.requests[i].has_response())
                    .count() as u32,
                peak_per_minute: peak.map(|p| counts[p]).unwrap_or(0),
                peak_at: peak.map(|p| at(c, starts[p])),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.throttled
            .cmp(&a.throttled)
            .then(b.requests.cmp(&a.requests))
            .then(a.template.cmp(&b.template))
            .then(a.method.cmp(&b.method))
            .then(a.client.cmp(&b.client))
    });
    out
}

/// `user-1 · client-2 · PUT /x/{id}` for a partition key.
pub fn partition_label(a: &Analysis, layer: usize, series: usize) -> String {
    partition_name(a, layer, series, false)
}

/// The partition's label, with tokens named by their order of first use (`token-1`) when
/// `stable`, else by their keyed fingerprint.
fn partition_name(a: &Analysis, layer: usize, series: usize, stable: bool) -> String {
    let c = &a.capture;
    let le = &a.evaluation.layers[layer];
    let l = &a.profiles[le.profile].layers[le.layer];
    let first_index = le.partitions[series].first as usize;
    let first = &c.requests[first_index];
    let who = crate::evaluate::identity_of(c, first_index);
    let mut parts = Vec::new();
    for p in &l.per {
        match p {
            crate::profiles::Partition::User => {
                parts.push(c.users[who.user as usize].label.clone())
            }
            crate::profiles::Partition::Client => parts.push(match who.client.get() {
                Some(_) => c.client_label(who).to_string(),
                None => "unidentified client".into(),
            }),
            crate::profiles::Partition::Token => parts.push(match who.token.get() {
                Some(t) if stable => format!("token-{}", t + 1),
                Some(t) => format!("token {}", c.tokens[t as usize]),
                None => "no token".into(),
            }),
            crate::profiles::Partition::Endpoint | crate::profiles::Partition::Resource => {
                parts.push(format!("{} {}", first.method.as_str(), c.template(first)))
            }
            crate::profiles::Partition::Org => {}
        }
    }
    if parts.is_empty() {
        "whole capture".into()
    } else {
        parts.join(" · ")
    }
}

fn layer_reports(a: &Analysis) -> Vec<LayerReport> {
    let c = &a.capture;
    a.evaluation
        .layers
        .iter()
        .enumerate()
        .map(|(idx, le)| {
            let profile = &a.profiles[le.profile];
            let l = &profile.layers[le.layer];
            let filter = l.filter_label();
            let budget = a
                .diagnosis
                .budgets
                .iter()
                .find(|b| b.layer == idx)
                .map(|b| BudgetReport {
                    highest_ok: b.highest_ok,
                    lowest_throttled: b.lowest_throttled,
                    algorithm_guess: b.algorithm_guess.map(str::to_string),
                    evidence: b.evidence.clone(),
                });
            LayerReport {
                name: l.name.clone(),
                profile: profile.name.clone(),
                limit: l.limit(),
                documented_limit: l.restated.map(|r| r.documented),
                window_s: secs(l.window()),
                kind: match l.kind() {
                    Kind::Rate => "rate".into(),
                    Kind::Concurrency => "concurrency".into(),
                },
                algorithm: l.limiter.algorithm().into(),
                per: l.per.iter().map(|p| p.as_str().to_string()).collect(),
                filter,
                counted: le.counted,
                partitions: le.partitions.len() as u32,
                peak: whole(le.peak),
                peak_at: le.peak_at.map(|t| at(c, t)),
                peak_partition: le.peak_partition.map(|s| partition_label(a, idx, s)),
                peak_admitted: whole(le.peak_admitted),
                headroom: l.limit() as i64 - whole(le.peak) as i64,
                utilization: if l.limit() > 0 {
                    (le.peak / l.limit() as f64 * 1000.0).round() / 1000.0
                } else {
                    0.0
                },
                first_breach: le.first_breach.map(|(t, _)| at(c, t)),
                counts_preflight: l.counts_preflight,
                peak_with_preflights: a
                    .what_if
                    .get(idx)
                    .map(|w| whole(w.peak_with_preflights))
                    .unwrap_or(whole(le.peak)),
                source: l.source.clone(),
                note: l.note.clone(),
                assumption: l.assumption.clone(),
                budget_label: match l.restated {
                    Some(r) => format!("{} (documented {})", l.budget_label(), r.documented),
                    None => l.budget_label(),
                },
                inferred: l.inferred,
                budget,
                partition_peaks: {
                    let mut v: Vec<PartitionReport> = le
                        .partitions
                        .iter()
                        .enumerate()
                        .map(|(si, p)| PartitionReport {
                            partition: partition_label(a, idx, si),
                            key: partition_name(a, idx, si, true),
                            requests: p.requests,
                            peak: whole(p.peak),
                            peak_at: p.peak_at.map(|t| at(c, t)),
                            peak_admitted: whole(p.peak_admitted),
                            headroom: l.limit() as i64 - whole(p.peak) as i64,
                        })
                        .collect();
                    v.sort_by(|x, y| y.peak.cmp(&x.peak).then(x.key.cmp(&y.key)));
                    v
                },
            }
        })
        .collect()
}

fn policy_report(p: &crate::plan::ScopedPolicy) -> PolicyReport {
    PolicyReport {
        max_in_flight: p.policy.max_in_flight,
        min_spacing_s: p.policy.min_spacing.map(secs),
        scope: p.scope.as_str().into(),
        honour_retry_after: p.policy.honour_retry_after,
    }
}

fn plan_report(a: &Analysis) -> Option<PlanReport> {
    let p = &a.plan;
    if p.limits.is_empty() && p.caveats.is_empty() {
        return None;
    }
    let best = p
        .recommended
        .as_ref()
        .or_else(|| p.alternatives.iter().find(|o| !o.asked));
    Some(PlanReport {
        recommended: p
            .recommended
            .as_ref()
            .and_then(|o| o.policy.as_ref())
            .map(policy_report),
        predicted_throttles: best.map_or(0, |o| o.throttles),
        duration_s: p.recommended.as_ref().map(|o| secs(o.duration)),
        captured_duration_s: secs(p.captured_duration),
        as_captured_throttles: p.as_captured.as_ref().map(|o| o.throttles),
        alternatives: p
            .alternatives
            .iter()
            .filter_map(|o| {
                Some(PolicyOutcomeReport {
                    policy: policy_report(o.policy.as_ref()?),
                    predicted_throttles: o.throttles,
                    duration_s: secs(o.duration),
                    asked: o.asked,
                })
            })
            .collect(),
        limits: p.limits.clone(),
        caveats: p
            .caveats
            .iter()
            .map(|c| match c {
                crate::plan::Caveat::BudgetLeftToOthers(k, n) => format!(
                    "leaves at least {n} of {} to traffic outside the capture",
                    layer_name(a, *k)
                ),
                crate::plan::Caveat::TooLarge(n) => format!(
                    "not computed: {n} requests are more than {} to replay",
                    crate::plan::PLAN_MAX_REQUESTS
                ),
            })
            .collect(),
    })
}

/// A use of a budget as a whole number of requests (buckets and counters may hold fractions).
fn whole(x: f64) -> u64 {
    x.max(0.0).round() as u64
}

fn layer_name(a: &Analysis, idx: usize) -> String {
    let le = &a.evaluation.layers[idx];
    a.profiles[le.profile].layers[le.layer].name.clone()
}

fn alternative(
    a: &Analysis,
    n: &Names<'_>,
    r: &crate::model::Request,
    x: &Ranked,
) -> AlternativeReport {
    let c = &x.candidate;
    AlternativeReport {
        cause: c.explanation.cause().as_str().into(),
        layer: c.explanation.layer().map(|l| layer_name(a, l)),
        kind: c.explanation.kind().map(|k| k.as_str().to_string()),
        explanation: prose::explanation(n, &c.explanation),
        less_likely_because: x.below_because.map(|p| prose::preference(p).to_string()),
        preference: x.below_because.map(|p| p.rule().to_string()),
        supporting: c.support.iter().map(|s| prose::signal(n, s, r)).collect(),
        against: c.against.iter().map(|s| prose::signal(n, s, r)).collect(),
    }
}

fn ruled_out(
    a: &Analysis,
    n: &Names<'_>,
    r: &crate::model::Request,
    c: &crate::diagnose::Candidate,
) -> Option<RuledOutReport> {
    let why = c.refuted.as_ref()?;
    Some(RuledOutReport {
        cause: c.explanation.cause().as_str().into(),
        layer: c.explanation.layer().map(|l| layer_name(a, l)),
        kind: c.explanation.kind().map(|k| k.as_str().to_string()),
        explanation: prose::explanation(n, &c.explanation),
        rule: why.rule().into(),
        because: prose::refutation(n, why, r),
    })
}

/// One throttle's report.
fn throttle_report(
    a: &Analysis,
    names: &Names,
    t: &crate::diagnose::Throttle,
    disclosure: Disclosure,
) -> ThrottleReport {
    let c = &a.capture;
    let r = &c.requests[t.request as usize];
    ThrottleReport {
        entry: r.entry,
        started: at(c, r.start),
        method: r.method.as_str().into(),
        host: c.host(r).into(),
        template: c.template(r).into(),
        path: disclosure
            .show_ids
            .then(|| c.path(r).expose_by_user_choice().to_string()),
        correlation_id: c
            .correlation(r)
            .filter(|_| disclosure.show_ids)
            .map(|s| s.expose_by_user_choice().to_string()),
        client: c.client_label(r).into(),
        status: r.status,
        cause: t.cause().as_str().into(),
        layer: t.layer().map(|l| layer_name(a, l)),
        kind: t
            .kind()
            .filter(|_| t.cause() == Cause::UndocumentedLimit)
            .map(|k| k.as_str().to_string()),
        explanation: prose::explanation(names, &t.explanation),
        confidence: t.confidence.level.as_str().into(),
        confidence_reason: prose::confidence(t.confidence),
        decided_by: t.decided_by.map(|p| p.rule().to_string()),
        visible: t.visible,
        limit: t.limit,
        window_s: t.window.map(secs),
        hidden_at_least: t.hidden_at_least(),
        hidden_by: hidden_by(a, &t.hidden_by, disclosure),
        server_window: t.server.as_ref().map(|e| ServerWindowReport {
            layer: layer_name(a, e.layer),
            proof: match e.proof {
                WindowProof::Full => "full",
                WindowProof::Room => "room",
                WindowProof::Bounds { .. } => "bounds",
                WindowProof::Uncovered => "uncovered",
            }
            .into(),
            from: at(c, e.from),
            to: at(c, e.to),
            hidden: e.hidden,
            limit: e.limit,
            at_least: match e.proof {
                WindowProof::Bounds { at_least, .. } => Some(at_least),
                _ => None,
            },
            at_most: match e.proof {
                WindowProof::Bounds { at_most, .. } => Some(at_most),
                _ => None,
            },
            unplaced: e.unplaced,
        }),
        retry_after_s: t.retry_after_s,
        duration_ms: (secs(r.duration) * 1000.0 * 10.0).round() / 10.0,
        evidence: t
            .evidence
            .iter()
            .map(|s| prose::signal(names, s, r))
            .collect(),
        against: t
            .against
            .iter()
            .map(|s| prose::signal(names, s, r))
            .collect(),
        alternatives: t
            .ranked
            .iter()
            .skip(1)
            .take(3)
            .map(|x| alternative(a, names, r, x))
            .collect(),
        ruled_out: t
            .refuted
            .iter()
            .filter_map(|x| ruled_out(a, names, r, x))
            .collect(),
    }
}

/// Users in a capture: those named by a claim, those the server's counters told apart, and the
/// unidentified user when nothing names anyone or the counters split it.
fn user_count(users: &[crate::model::User]) -> u32 {
    let claimed = users.iter().filter(|u| u.from_claim).count();
    let told_apart = users.iter().skip(1).filter(|u| !u.from_claim).count();
    (claimed + told_apart + usize::from(claimed == 0 || told_apart > 0)) as u32
}

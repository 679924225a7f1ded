//! Server-side records: what a gateway, proxy or API platform logged about the same minutes as
//! a capture.
//!
//! Owns `ServerLog` (one log file read: its records, the lines that could not be read and
//! why), `ServerRecord` (one request, or one aggregated row of a usage export), `Granularity`,
//! `LimiterStatus` and `LineProblem`. Everything a log line says about who sent a request
//! (tokens, client and user ids, IP addresses, user agents, paths with ids, correlation ids) is
//! kept in `Sensitive` or reduced to a keyed `Fingerprint`; problems carry why429's wording and
//! a line number, never the line's text. It holds data only: no parsing, no I/O, no clock.

use std::sync::Arc;

use super::request::Method;
use super::secret::{Fingerprint, Sensitive};
use super::time::{self, Micros};

/// Most problems listed per log; the rest are counted in `ServerLog::unparsed` only, so a log
/// in the wrong format cannot fill memory or a report with millions of identical reasons.
pub const MAX_LISTED_PROBLEMS: usize = 1000;

/// The format a log was read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServerLogFormat {
    /// why429's generic JSON Lines form (`time`, `method`, `path` or `url`, ...).
    Generic,
    /// nginx text access log, read through a `log_format` (`combined` by default).
    Nginx,
    /// nginx access log written with `log_format ... escape=json '{...}'`.
    NginxJson,
    /// Apache httpd access log, read through a `LogFormat`.
    Apache,
    /// Envoy (and Istio) JSON access log.
    Envoy,
    /// Genesys Cloud API usage query results (`GET /api/v2/usage/query/{executionId}/results`).
    GenesysUsage,
}

impl ServerLogFormat {
    /// The name `--server-log-format` accepts and reports show.
    pub fn as_str(&self) -> &'static str {
        match self {
            ServerLogFormat::Generic => "generic",
            ServerLogFormat::Nginx => "nginx",
            ServerLogFormat::NginxJson => "nginx-json",
            ServerLogFormat::Apache => "apache",
            ServerLogFormat::Envoy => "envoy",
            ServerLogFormat::GenesysUsage => "genesys-usage",
        }
    }
}

/// What one record stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    /// One record per request.
    PerRequest,
    /// One record per interval of fixed length (and client, endpoint, method, ...): the
    /// records can say how many requests an interval held, not when within it they came.
    Aggregated {
        /// Length of every interval.
        interval: Micros,
    },
    /// One record per calendar month (UTC); each record's `interval` is its own month's length.
    Monthly,
}

impl Granularity {
    /// `per request`, `per day`, `per week`, `per month`, `per 5 min`.
    pub fn label(&self) -> String {
        match self {
            Granularity::PerRequest => "per request".into(),
            Granularity::Monthly => "per month".into(),
            Granularity::Aggregated { interval } => match *interval {
                i if i == 86_400 * time::SECOND => "per day".into(),
                i if i == 7 * 86_400 * time::SECOND => "per week".into(),
                i if i == 3_600 * time::SECOND => "per hour".into(),
                i => format!("per {}", time::human_duration(i)),
            },
        }
    }
}

/// Which rate limiter a log reports on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LimiterKind {
    /// nginx `limit_req` (`$limit_req_status`).
    NginxRequests,
    /// nginx `limit_conn` (`$limit_conn_status`).
    NginxConnections,
    /// Envoy's local or global rate-limit filter (response flag `RL`, or response code
    /// details `local_rate_limited` / `request_rate_limited`).
    Envoy,
}

/// What the limiter did with the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LimiterOutcome {
    /// Let through at once.
    Passed,
    /// Would have been delayed, had the limiter not been in dry-run mode.
    DelayedDryRun,
    /// Would have been rejected, had the limiter not been in dry-run mode.
    RejectedDryRun,
    /// Held back until the rate allowed it, then let through.
    Delayed,
    /// Refused (nginx answers 503 unless `limit_req_status` says otherwise; Envoy 429).
    Rejected,
}

/// A rate limiter's verdict on one request, as the log states it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LimiterStatus {
    /// Which limiter.
    pub kind: LimiterKind,
    /// What it did.
    pub outcome: LimiterOutcome,
}

/// One request, or one aggregated row, as a server saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerRecord {
    /// 1-based line of the log the record was read from (for a usage export: the line its row
    /// starts on), so a person can find it.
    pub line: u64,
    /// Arrival at the server (UTC µs); for an aggregated row, the start of its interval. For
    /// nginx, whose time variables give the moment the line was written, the arrival is that
    /// moment less `$request_time` when the format logs it.
    pub time: Micros,
    /// Length of the interval an aggregated row covers; 0 for a single request.
    pub interval: Micros,
    /// HTTP method.
    pub method: Method,
    /// Host (or `:authority`) the request was sent to, lower case, when the log gives it.
    pub host: Option<Sensitive<Arc<str>>>,
    /// Concrete path without query or fragment (it may hold ids); `None` for aggregated rows.
    pub path: Option<Sensitive<String>>,
    /// Endpoint template when the log gives one (the Genesys usage export's `templateUri`).
    /// Log text: it must be checked against known templates before it is shown.
    pub template: Option<String>,
    /// Response status; `None` when the log has none (no response was sent, or the row is an
    /// aggregate).
    pub status: Option<u16>,
    /// Time the server took to answer, when logged.
    pub duration: Option<Micros>,
    /// OAuth client id (or label) the log names; for a readable JWT without one, its
    /// `client_id` / `azp` claim.
    pub client: Option<Sensitive<Arc<str>>>,
    /// OAuth client name the log gives beside the id (Genesys `clientName`).
    pub client_name: Option<Sensitive<Arc<str>>>,
    /// User id (or label, or basic-auth user) the log names.
    pub user: Option<Sensitive<Arc<str>>>,
    /// Fingerprint of the bearer token, keyed with the report's `FingerprintKey`, so it equals
    /// the capture's fingerprint of the same token.
    pub token: Option<Fingerprint>,
    /// Correlation or request id (`inin-correlation-id`, `x-correlation-id`, `x-request-id`,
    /// nginx `$request_id`, ...).
    pub correlation: Option<Sensitive<String>>,
    /// User agent.
    pub user_agent: Option<Sensitive<Arc<str>>>,
    /// Client IP address (the first `X-Forwarded-For` hop when logged, else the peer address).
    pub ip: Option<Sensitive<Arc<str>>>,
    /// Requests the record stands for: 1, or the requests of an aggregated row.
    pub count: u32,
    /// Throttled requests among them: a 429, a limiter that rejected the request, or an
    /// aggregated row's 429 count.
    pub throttled: u32,
    /// The rate limiter's verdict, when the log states it.
    pub limiter: Option<LimiterStatus>,
}

/// A line that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProblem {
    /// 1-based line number.
    pub line: u64,
    /// Why, in why429's wording: never the line's text.
    pub reason: String,
}

/// One server log file, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerLog {
    /// The file as the user named it (or found in a named directory).
    pub source: String,
    /// How it was read.
    pub format: ServerLogFormat,
    /// Whether the format was recognised from the content (else the user chose it).
    pub detected: bool,
    /// What one record stands for.
    pub granularity: Granularity,
    /// The records, in time order (lines with equal times keep file order).
    pub records: Vec<ServerRecord>,
    /// Lines that could not be read, in file order; at most `MAX_LISTED_PROBLEMS`.
    pub problems: Vec<LineProblem>,
    /// Every line that could not be read (listed or not).
    pub unparsed: u64,
    /// Lines in the file (blank ones included).
    pub lines: u64,
    /// The coarsest precision of the records' times (1 s for nginx `$time_local`, 1 ms for
    /// Envoy's `start_time`, ...): how far apart a log record and a capture entry of the same
    /// request may be on the clock, before any clock offset.
    pub resolution: Micros,
    /// Facts about the whole log a reader should know (why429's wording), e.g. that times
    /// are when nginx wrote each line.
    pub notes: Vec<String>,
}

impl ServerLog {
    /// First record's time and last record's end (its time plus interval, or plus duration).
    pub fn span(&self) -> Option<(Micros, Micros)> {
        let first = self.records.iter().map(|r| r.time).min()?;
        let last = self
            .records
            .iter()
            .map(|r| {
                r.time
                    .saturating_add(r.interval)
                    .saturating_add(r.duration.unwrap_or(0))
            })
            .max()?;
        Some((first, last))
    }

    /// Requests the records stand for.
    pub fn requests(&self) -> u64 {
        self.records.iter().map(|r| u64::from(r.count)).sum()
    }

    /// Throttled requests among them.
    pub fn throttled(&self) -> u64 {
        self.records.iter().map(|r| u64::from(r.throttled)).sum()
    }

    /// Records a problem, listing it while fewer than `MAX_LISTED_PROBLEMS` are listed.
    pub fn problem(&mut self, line: u64, reason: impl Into<String>) {
        self.unparsed += 1;
        if self.problems.len() < MAX_LISTED_PROBLEMS {
            self.problems.push(LineProblem {
                line,
                reason: reason.into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn granularity_labels() {
        assert_eq!(Granularity::PerRequest.label(), "per request");
        assert_eq!(
            Granularity::Aggregated {
                interval: 86_400 * time::SECOND
            }
            .label(),
            "per day"
        );
        assert_eq!(Granularity::Monthly.label(), "per month");
        assert_eq!(
            Granularity::Aggregated {
                interval: 300 * time::SECOND
            }
            .label(),
            "per 5 min"
        );
    }

    #[test]
    fn problems_are_counted_beyond_the_listing_cap() {
        let mut log = ServerLog {
            source: "x.log".into(),
            format: ServerLogFormat::Generic,
            detected: true,
            granularity: Granularity::PerRequest,
            records: Vec::new(),
            problems: Vec::new(),
            unparsed: 0,
            lines: 0,
            resolution: 0,
            notes: Vec::new(),
        };
        for i in 0..(MAX_LISTED_PROBLEMS as u64 + 5) {
            log.problem(i + 1, "no time");
        }
        assert_eq!(log.problems.len(), MAX_LISTED_PROBLEMS);
        assert_eq!(log.unparsed, MAX_LISTED_PROBLEMS as u64 + 5);
    }
}

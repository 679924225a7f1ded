//! One capture after normalization: its requests in time order and the tables they index.
//!
//! Owns `Capture`, `Client`, `Skipped` and `Producer`. Tables that hold capture text (paths,
//! client ids, correlation ids) keep it in `Sensitive`, so a renderer cannot print it by
//! accident. It must not know about profiles, layers or diagnoses.

use super::quota_table::QuotaTable;
use super::request::{Request, Sym};
use super::secret::Sensitive;
use super::signals::Quota;
use super::text_table::TextTable;
use super::time::Micros;

/// A producer recognised from `log.creator` / `log.browser`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Producer {
    /// Display name from why429's own table (`Chrome DevTools`, `Firefox`, ...); never the
    /// creator text itself.
    pub name: &'static str,
    /// Version, digits and dots only.
    pub version: Option<String>,
    /// Browser behind a tool (`chromium 156`), same rules.
    pub browser: Option<(&'static str, Option<String>)>,
}

impl Producer {
    /// `Chrome DevTools 114`, `Playwright 1.65.1 (Chromium 156)`.
    pub fn label(&self) -> String {
        let mut s = String::from(self.name);
        if let Some(v) = &self.version {
            s.push(' ');
            s.push_str(v);
        }
        if let Some((b, v)) = &self.browser {
            s.push_str(" (");
            s.push_str(b);
            if let Some(v) = v {
                s.push(' ');
                s.push_str(v);
            }
            s.push(')');
        }
        s
    }
}

/// An entry that could not be used, and why (wording from why429, never capture text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// 0-based index in `log.entries`.
    pub entry: u32,
    /// Why it was skipped.
    pub reason: String,
}

/// An OAuth client: one per JWT `client_id`/`azp`, else one per bearer token.
#[derive(Clone, Debug)]
pub struct Client {
    /// `client-1`, `client-2`, ... in order of first use.
    pub label: String,
    /// Keyed fingerprint of the token (or of the client id claim): 12 hex digits.
    pub fingerprint: String,
    /// The OAuth client id claim, shown only with `--show-client-ids`.
    pub client_id: Option<Sensitive<String>>,
    /// Number of tokens seen for this client.
    pub tokens: u32,
    /// Requests made with it.
    pub requests: u32,
    /// First use.
    pub first_use: Micros,
}

/// A user: JWT `sub` when readable; else the capture's one unidentified user, unless the
/// server's counters told its tokens apart (`Capture::users_told_apart`).
#[derive(Clone, Debug)]
pub struct User {
    /// `user-1`, ...
    pub label: String,
    /// Whether identified by a JWT claim (else: the unidentified user, or a user the server's
    /// counters told apart among its tokens).
    pub from_claim: bool,
}

/// How a server's counters split the tokens of the unidentified user into several users.
#[derive(Clone, Debug, PartialEq)]
pub struct UsersToldApart {
    /// The layer whose counters told them apart.
    pub layer: String,
    /// The users the tokens form (indices into `Capture::users`), the unidentified user first.
    pub users: Vec<u32>,
    /// Counter readings that replaying the tokens as one user outcounts (and as separate users
    /// does not), summed over the tokens kept apart.
    pub contradicted: u32,
    /// Readings those comparisons looked at.
    pub observed: u32,
}

/// Whether credentials were removed before the capture reached us.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sanitization {
    /// No `Authorization` on any request although preflights announce it, or a producer that
    /// sanitizes by default left no credential at all.
    pub authorization_stripped: bool,
    /// Credentials replaced by placeholders (`[REMOVED]`, `REDACTED`, ...): requests affected.
    pub masked_requests: u32,
    /// Preflights whose `Access-Control-Request-Headers` announce `authorization`.
    pub preflights_announcing_auth: u32,
    /// Non-preflight API requests without any credential.
    pub requests_without_auth: u32,
}

impl Sanitization {
    /// Whether client grouping is unavailable.
    pub fn grouping_unavailable(&self) -> bool {
        self.authorization_stripped || self.masked_requests > 0
    }
}

/// A normalized capture.
#[derive(Debug, Default)]
pub struct Capture {
    /// The input as given (`path`, `archive.zip!inner.har`, `<stdin>`).
    pub source: String,
    /// Who wrote it.
    pub producer: Producer,
    /// `log.version` when it is a plain version number.
    pub har_version: Option<String>,
    /// Entries in `log.entries`.
    pub entries: u32,
    /// Entries that could not be used.
    pub skipped: Vec<Skipped>,
    /// Usable requests, sorted by start (stable: file order breaks ties).
    pub requests: Vec<Request>,
    /// The counters servers reported, each response's together (`Request::quotas_at`).
    pub quotas: QuotaTable,
    /// Interned hosts (`api.mypurecloud.de`, `127.0.0.1:8080`).
    pub hosts: Vec<String>,
    /// Interned concrete paths (may contain ids), end to end.
    pub paths: TextTable,
    /// Interned endpoint templates.
    pub templates: Vec<String>,
    /// Interned correlation ids, end to end.
    pub correlation_ids: TextTable,
    /// Interned `limit.key` values of 429 bodies.
    pub limit_keys: Vec<Sensitive<String>>,
    /// The cost sources responses were read for (`header:NAME`, `body:PATH`), in the order
    /// `ReportedCost::source` indexes.
    pub cost_sources: Vec<String>,
    /// Interned policy, bucket and resource names servers reported (IETF policy names, Discord
    /// buckets, violated policies).
    pub policies: Vec<Sensitive<String>>,
    /// Clients in label order.
    pub clients: Vec<Client>,
    /// Users in label order (at least one).
    pub users: Vec<User>,
    /// Distinct bearer tokens (their fingerprints).
    pub tokens: Vec<String>,
    /// Credential removal detected.
    pub sanitization: Sanitization,
    /// Users the server's counters told apart among tokens that name no user.
    pub users_told_apart: Option<UsersToldApart>,
    /// Whether the file was cut short and only complete entries were read (`--partial`).
    pub partial: Option<String>,
    /// Elements of `log.pages`.
    pub pages: u32,
    /// Other fields of `log` (`comment`, tool-specific fields).
    pub log_fields: u32,
}

impl Capture {
    /// Host text of a request.
    pub fn host(&self, r: &Request) -> &str {
        &self.hosts[r.host as usize]
    }

    /// Template text of a request.
    pub fn template(&self, r: &Request) -> &str {
        &self.templates[r.template as usize]
    }

    /// Label of a request's client, `-` when it carried no usable credential.
    pub fn client_label(&self, r: &Request) -> &str {
        match r.client.get() {
            Some(c) => &self.clients[c as usize].label,
            None => "-",
        }
    }

    /// Correlation id of a request (for the server-log join, tests and `--show-ids` output);
    /// `None` also when the analysis did not keep ids.
    pub fn correlation(&self, r: &Request) -> Option<Sensitive<&str>> {
        r.correlation
            .get()
            .filter(|c| *c != super::request::NOT_KEPT)
            .map(|c| self.correlation_ids.get(c))
    }

    /// Counters the server reported on a request's response.
    pub fn quotas_of(&self, r: &Request) -> &[Quota] {
        self.quotas.get(r.quotas_at, r.quotas_len)
    }

    /// Concrete path of a request (may contain ids).
    pub fn path(&self, r: &Request) -> Sensitive<&str> {
        self.paths.get(r.path)
    }

    /// Time span covered: first start to last end.
    pub fn span(&self) -> Option<(Micros, Micros)> {
        let first = self.requests.first()?.start;
        let last = self.requests.iter().map(Request::end).max()?;
        Some((first, last))
    }

    /// Symbol of an interned string in a table.
    pub fn find_template(&self, template: &str) -> Option<Sym> {
        self.templates
            .iter()
            .position(|t| t == template)
            .map(|i| i as Sym)
    }

    /// The UTC offset most requests were recorded in (for local-time display).
    pub fn utc_offset_s(&self) -> i32 {
        self.requests.first().map(|r| r.utc_offset_s).unwrap_or(0)
    }
}

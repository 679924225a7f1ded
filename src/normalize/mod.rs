//! Stage 2 — normalize: HAR entries in, a `Capture` of typed, sorted, redacted requests out.
//!
//! Owns `entry::draft` (one entry → one `Draft`, run per entry, possibly in parallel) and
//! `Builder`, which folds drafts in file order: interning hosts and paths, mapping credentials
//! to clients, tokens and users, counting skipped entries. `Builder::finish` assigns endpoint
//! templates (declared ones first, then inferred), sorts the timeline, pairs preflights with
//! the requests they precede, labels clients in order of first use and detects sanitized
//! exports. Serde HAR types end here. Pure: no I/O, no clock.

pub mod body;
pub mod costs;
pub mod dialects;
pub mod entry;
pub mod headers;
pub mod identity;
pub mod intern;
pub mod openapi;
pub mod producer;
pub mod serverlog;
pub mod template;
pub mod time;
pub mod url;

use std::collections::HashMap;

use intern::{Interner, TextInterner};

use crate::ingest::{LogMeta, Parsed};
use crate::model::{
    Auth, Capture, Client, Micros, Preflight, QuotaTable, Reason, Request, Sanitization, Sensitive,
    Signals, Skipped, Sym, ThrottleBody, User,
};

pub use costs::{CostSource, CostSources};
pub use entry::{Draft, draft};
pub use identity::{Fingerprint, FingerprintKey};
pub use template::KnownTemplates;

/// How long after a preflight its request may start and still be paired with it.
const PREFLIGHT_PAIRING: Micros = 10 * crate::model::time::SECOND;

fn owned(s: &str) -> String {
    s.to_string()
}

/// Identity key of a client before labelling: a JWT client claim or a token.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum ClientKey {
    Claim(Fingerprint),
    Token(Fingerprint),
}

struct ClientDraft {
    key: ClientKey,
    claim: Option<Sensitive<String>>,
    tokens: u32,
}

/// Folds drafts into a capture.
#[derive(Default)]
pub struct Builder {
    requests: Vec<Request>,
    /// Every response's counters.
    quotas: QuotaTable,
    skipped: Vec<Skipped>,
    hosts: Interner<String>,
    /// Concrete paths, keyed by host.
    paths: TextInterner,
    /// Correlation ids, each once (a retry may repeat one).
    correlations: TextInterner,
    limit_keys: Interner<String>,
    policies: Interner<String>,
    tokens: HashMap<Fingerprint, u32>,
    token_list: Vec<Fingerprint>,
    clients: HashMap<ClientKey, u32>,
    client_list: Vec<ClientDraft>,
    users: HashMap<Fingerprint, u32>,
    user_count: u32,
    sanitization: Sanitization,
    any_credential: bool,
    any_cookie: bool,
    headers_removed: u32,
    /// Drop correlation ids instead of keeping them (`skip_correlation_ids`).
    no_correlation_ids: bool,
}

impl Builder {
    /// A new, empty builder.
    pub fn new() -> Self {
        Builder::default()
    }

    /// Drops every response's correlation id (a request that carried one keeps `NOT_KEPT`):
    /// for analyses that neither join a server log nor show ids, which then hold no table of
    /// them.
    pub fn skip_correlation_ids(&mut self) {
        self.no_correlation_ids = true;
    }

    /// Adds one mapped entry (in file order).
    pub fn push(&mut self, parsed: Parsed<Result<Draft, String>>) {
        match parsed {
            Parsed::Unusable(entry, reason) | Parsed::Entry(entry, Err(reason)) => {
                self.skipped.push(Skipped { entry, reason })
            }
            Parsed::Entry(entry, Ok(d)) => self.add(entry, d),
        }
    }

    fn add(&mut self, entry: u32, d: Draft) {
        let host = self.hosts.intern(d.host.as_str(), owned);
        let path = self.paths.intern(host, &d.path);
        if d.preflight_announces_auth {
            self.sanitization.preflights_announcing_auth += 1;
        }
        if d.headers_removed {
            self.headers_removed += 1;
        }
        self.any_cookie |= d.cookies || d.set_cookies;
        let id = &d.identity;
        match id.auth {
            Auth::Masked => self.sanitization.masked_requests += 1,
            Auth::Bearer | Auth::Other => self.any_credential = true,
            Auth::None => {}
        }
        let token = id.token.map(|fp| {
            let n = self.token_list.len() as u32;
            let t = *self.tokens.entry(fp).or_insert(n);
            if t == n {
                self.token_list.push(fp);
            }
            t
        });
        let client_key = match (&id.client, id.token) {
            (Some((fp, _)), _) => Some(ClientKey::Claim(*fp)),
            (None, Some(fp)) => Some(ClientKey::Token(fp)),
            _ => None,
        };
        let client = client_key.map(|k| {
            let n = self.client_list.len() as u32;
            let c = *self.clients.entry(k).or_insert(n);
            if c == n {
                self.client_list.push(ClientDraft {
                    key: k,
                    claim: id.client.as_ref().map(|(_, claim)| claim.clone()),
                    tokens: 0,
                });
            }
            c
        });
        let user = match id.user {
            Some(fp) => {
                let n = self.user_count + 1; // 0 is the capture's default user
                let u = *self.users.entry(fp).or_insert(n);
                if u == n {
                    self.user_count += 1;
                }
                u
            }
            None => 0,
        };
        let correlation = d.correlation.as_deref().map(|c| {
            if self.no_correlation_ids {
                crate::model::NOT_KEPT
            } else {
                self.correlations.intern(0, c)
            }
        });
        let body = d.body.map(|facts| {
            let mut body: ThrottleBody = facts.body;
            body.limit_key = facts
                .limit_key
                .map(|k| self.limit_keys.intern(k.as_str(), owned));
            let mut names = facts
                .policies
                .iter()
                .map(|p| self.policies.intern(p.as_str(), owned));
            body.policy = names.next();
            body.more_policies = names.collect();
            body
        });
        let mut quotas = d.quotas;
        for (q, name) in quotas.iter_mut().zip(&d.quota_names) {
            q.policy = name
                .as_deref()
                .map(|n| self.policies.intern(n, owned))
                .into();
        }
        let (quotas_at, quotas_len) = self.quotas.push(quotas);
        let reason = d.reason.map(|(dialect, text)| Reason {
            dialect,
            text: self.policies.intern(text.as_str(), owned),
        });
        let signals = Signals {
            body: body.map(Box::new),
            retry_after: d.retry_after,
            costs: d.costs,
            scope: d.scope,
            reason,
            refused_by: d.refused_by,
            near_limit: d.near_limit,
            preflight: Preflight {
                method: d.preflight_method,
                announces_auth: d.preflight_announces_auth,
                pair: None,
                max_age_s: d.max_age_s,
            },
        };
        self.requests.push(Request {
            entry,
            start: d.start,
            utc_offset_s: d.utc_offset_s,
            duration: d.duration,
            sent: u32::try_from(d.sent).unwrap_or(u32::MAX),
            method: d.method,
            scheme: d.scheme,
            host,
            path,
            template: path, // replaced in finish
            status: d.status,
            is_preflight: d.is_preflight,
            from_cache: d.from_cache,
            auth: d.identity.auth,
            client: client.into(),
            token: token.into(),
            user,
            quotas_at,
            quotas_len,
            signals: (!signals.is_empty()).then(|| Box::new(signals)),
            correlation: correlation.into(),
            throttled: d.status == 429,
            page_size: d.page_size.into(),
        });
    }

    /// Hosts seen so far, in order of first appearance (for choosing a profile).
    pub fn hosts(&self) -> &[String] {
        self.hosts.items()
    }

    /// Requests folded so far.
    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// Whether no request was folded.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// Finishes the capture: templates, time order, preflight pairs, labels, sanitization.
    pub fn finish(mut self, source: &str, meta: &LogMeta, known: &KnownTemplates) -> Capture {
        let templates = self.assign_templates(known);
        // the vectors grew by doubling: give back what a day-long capture did not fill
        self.requests.shrink_to_fit();
        self.quotas.shrink_to_fit();
        // entry indices are unique, so an unstable sort is deterministic and needs no buffer
        self.requests.sort_unstable_by_key(|r| (r.start, r.entry));
        pair_preflights(&mut self.requests);
        let clients = self.label_clients();
        let users = self.label_users();
        let sanitization = self.detect_sanitization();
        Capture {
            source: source.to_string(),
            producer: producer::producer(meta.creator.as_ref(), meta.browser.as_ref()),
            har_version: meta
                .version
                .as_deref()
                .filter(|v| v.len() <= 8 && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
                .map(|v| {
                    if v.is_empty() {
                        "1.1".into()
                    } else {
                        v.to_string()
                    }
                }),
            entries: meta.entries,
            skipped: self.skipped,
            requests: self.requests,
            quotas: self.quotas,
            hosts: self.hosts.into_items(),
            paths: self.paths.into_table(),
            templates,
            correlation_ids: self.correlations.into_table(),
            limit_keys: self
                .limit_keys
                .into_items()
                .into_iter()
                .map(Sensitive::new)
                .collect(),
            cost_sources: Vec::new(),
            policies: self
                .policies
                .into_items()
                .into_iter()
                .map(Sensitive::new)
                .collect(),
            clients,
            users,
            tokens: self.token_list.iter().map(Fingerprint::short).collect(),
            sanitization,
            users_told_apart: None,
            partial: meta.partial.clone(),
            pages: meta.pages,
            log_fields: meta.other_fields,
        }
    }

    fn assign_templates(&mut self, known: &KnownTemplates) -> Vec<String> {
        let mut table: Interner<String> = Interner::default();
        let paths = &self.paths;
        let mut path_template: Vec<Sym> = vec![0; paths.len()];
        let mut unknown: Vec<usize> = Vec::new();
        for (i, template) in path_template.iter_mut().enumerate() {
            match known.find(paths.get(i as Sym).1) {
                Some(t) => *template = table.intern(t, owned),
                None => unknown.push(i),
            }
        }
        let hosts = self.hosts.items();
        let inputs: Vec<(&str, &str)> = unknown
            .iter()
            .map(|&i| {
                let (host, path) = paths.get(i as Sym);
                (hosts[host as usize].as_str(), path)
            })
            .collect();
        for (&i, t) in unknown.iter().zip(template::infer(&inputs)) {
            path_template[i] = table.intern(t.as_str(), owned);
        }
        for r in &mut self.requests {
            r.template = path_template[r.path as usize];
        }
        table.into_items()
    }

    fn label_clients(&mut self) -> Vec<Client> {
        let n = self.client_list.len();
        let mut first_use: Vec<Option<Micros>> = vec![None; n];
        let mut counts = vec![0u32; n];
        let mut tokens_per_client: Vec<Vec<u32>> = vec![Vec::new(); n];
        for r in self.requests.iter().filter(|r| !r.is_preflight) {
            if let Some(c) = r.client.get() {
                let c = c as usize;
                first_use[c].get_or_insert(r.start);
                counts[c] += 1;
                if let Some(t) = r.token.get()
                    && !tokens_per_client[c].contains(&t)
                {
                    tokens_per_client[c].push(t);
                }
            }
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&c| (first_use[c].unwrap_or(Micros::MAX), c));
        let mut remap = vec![0u32; n];
        for (label, &c) in order.iter().enumerate() {
            remap[c] = label as u32;
        }
        for r in &mut self.requests {
            if let Some(c) = r.client.get() {
                r.client = remap[c as usize].into();
            }
        }
        order
            .iter()
            .enumerate()
            .map(|(label, &c)| {
                let d = &mut self.client_list[c];
                d.tokens = tokens_per_client[c].len() as u32;
                let fp = match d.key {
                    ClientKey::Claim(f) | ClientKey::Token(f) => f,
                };
                Client {
                    label: format!("client-{}", label + 1),
                    fingerprint: fp.short(),
                    client_id: d.claim.take(),
                    tokens: d.tokens,
                    requests: counts[c],
                    first_use: first_use[c].unwrap_or(0),
                }
            })
            .collect()
    }

    fn label_users(&mut self) -> Vec<User> {
        if self.user_count == 0 {
            return vec![User {
                label: "user-1".into(),
                from_claim: false,
            }];
        }
        // users identified by claims, labelled by first use; index 0 stays for requests
        // without a claim
        let n = self.user_count as usize + 1;
        let mut first: Vec<Option<Micros>> = vec![None; n];
        for r in &self.requests {
            first[r.user as usize].get_or_insert(r.start);
        }
        let mut order: Vec<usize> = (1..n).collect();
        order.sort_by_key(|&u| (first[u].unwrap_or(Micros::MAX), u));
        let mut remap = vec![0u32; n];
        for (i, &u) in order.iter().enumerate() {
            remap[u] = i as u32 + 1;
        }
        for r in &mut self.requests {
            r.user = remap[r.user as usize];
        }
        let mut users = vec![User {
            label: "user-unidentified".into(),
            from_claim: false,
        }];
        users.extend((0..order.len()).map(|i| User {
            label: format!("user-{}", i + 1),
            from_claim: true,
        }));
        users
    }

    fn detect_sanitization(&self) -> Sanitization {
        let mut s = self.sanitization.clone();
        let announcing_hosts: std::collections::HashSet<Sym> = self
            .requests
            .iter()
            .filter(|r| r.is_preflight)
            .filter_map(|r| r.pair().map(|p| self.requests[p as usize].host))
            .collect();
        s.requests_without_auth = self
            .requests
            .iter()
            .filter(|r| {
                !r.is_preflight && r.auth == Auth::None && announcing_hosts.contains(&r.host)
            })
            .count() as u32;
        let removed_evidence =
            s.preflights_announcing_auth > 0 || (self.headers_removed > 0 && !self.any_cookie);
        s.authorization_stripped = !self.any_credential && removed_evidence;
        s
    }
}

/// Links each preflight to the first request after it with the same host, path and the
/// announced method.
fn pair_preflights(requests: &mut [Request]) {
    let mut waiting: HashMap<(Sym, Sym), Vec<usize>> = HashMap::new();
    for i in 0..requests.len() {
        let r = &requests[i];
        let key = (r.host, r.path);
        if r.is_preflight {
            waiting.entry(key).or_default().push(i);
            continue;
        }
        let Some(list) = waiting.get_mut(&key) else {
            continue;
        };
        let start = r.start;
        let method = r.method;
        list.retain(|&p| start - requests[p].start <= PREFLIGHT_PAIRING);
        if let Some(pos) = list
            .iter()
            .position(|&p| requests[p].preflight_method().is_none_or(|m| *m == method))
        {
            let p = list.remove(pos);
            requests[p].signals.get_or_insert_default().preflight.pair = Some(i as u32);
        }
    }
}

/// A capture of HAR entries given as JSON text, read through `builder` (tests of every stage
/// that needs a real capture).
#[cfg(test)]
pub(crate) fn capture_of(mut builder: Builder, entries: &[&str]) -> Capture {
    let key = FingerprintKey::from_passphrase("t");
    for (i, e) in entries.iter().enumerate() {
        let parsed = crate::ingest::har::parse_entry(e.as_bytes()).unwrap();
        builder.push(Parsed::Entry(
            i as u32,
            draft(&parsed, &key, &CostSources::default()),
        ));
    }
    let meta = LogMeta {
        entries: entries.len() as u32,
        ..LogMeta::default()
    };
    builder.finish("t.har", &meta, &KnownTemplates::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::har::parse_entry;

    fn build(entries: &[&str]) -> Capture {
        capture_of(Builder::new(), entries)
    }

    fn e(t: &str, method: &str, path: &str, auth: Option<&str>, extra_hdr: &str) -> String {
        let a = auth
            .map(|a| format!(r#"{{"name":"Authorization","value":"Bearer {a}"}},"#))
            .unwrap_or_default();
        format!(
            r#"{{"startedDateTime":"{t}","time":10,"request":{{"method":"{method}","url":"https://api.x.com{path}","headers":[{a}{extra_hdr}{{"name":"Accept","value":"*/*"}}]}},"response":{{"status":200}}}}"#
        )
    }

    #[test]
    fn sorts_labels_and_pairs() {
        let c = build(&[
            &e(
                "2025-01-01T00:00:02Z",
                "GET",
                "/api/v2/users/u-101",
                Some("tok-b"),
                "",
            ),
            &e(
                "2025-01-01T00:00:01Z",
                "PUT",
                "/api/v2/architect/ivrs/ivr-001",
                Some("tok-a"),
                "",
            ),
            &e(
                "2025-01-01T00:00:00.900Z",
                "OPTIONS",
                "/api/v2/architect/ivrs/ivr-001",
                None,
                r#"{"name":"Access-Control-Request-Method","value":"PUT"},{"name":"Access-Control-Request-Headers","value":"authorization"},"#,
            ),
            &e(
                "2025-01-01T00:00:03Z",
                "PUT",
                "/api/v2/architect/ivrs/ivr-002",
                Some("tok-a"),
                "",
            ),
        ]);
        let entries: Vec<u32> = c.requests.iter().map(|r| r.entry).collect();
        assert_eq!(entries, vec![2, 1, 0, 3]);
        assert_eq!(c.clients.len(), 2);
        // tok-a is used first, so it is client-1
        assert_eq!(c.client_label(&c.requests[1]), "client-1");
        assert_eq!(c.client_label(&c.requests[2]), "client-2");
        assert_eq!(c.clients[0].requests, 2);
        assert_eq!(c.requests[0].pair(), Some(1));
        assert_eq!(c.template(&c.requests[1]), "/api/v2/architect/ivrs/{ivrId}");
        assert_eq!(c.template(&c.requests[3]), c.template(&c.requests[1]));
        assert!(!c.sanitization.authorization_stripped);
        assert_eq!(c.users.len(), 1);
    }

    #[test]
    fn stripped_authorization_is_detected() {
        let c = build(&[
            &e(
                "2025-01-01T00:00:00Z",
                "OPTIONS",
                "/a",
                None,
                r#"{"name":"Access-Control-Request-Method","value":"GET"},{"name":"Access-Control-Request-Headers","value":"authorization"},"#,
            ),
            &e("2025-01-01T00:00:00.1Z", "GET", "/a", None, ""),
        ]);
        assert!(c.sanitization.authorization_stripped);
        assert_eq!(c.sanitization.requests_without_auth, 1);
        assert!(c.clients.is_empty());
    }

    #[test]
    fn correlation_ids_are_kept_unless_skipped() {
        let entry = r#"{"startedDateTime":"2025-01-01T00:00:00Z","time":10,"request":{"method":"GET","url":"https://api.x.com/a","headers":[]},"response":{"status":200,"headers":[{"name":"inin-correlation-id","value":"c-1"}]}}"#;
        let capture = |skip: bool| {
            let mut b = Builder::new();
            if skip {
                b.skip_correlation_ids();
            }
            capture_of(b, &[entry])
        };
        let kept = capture(false);
        let id = kept.correlation(&kept.requests[0]).unwrap();
        assert_eq!(*id.expose_for_computation(), "c-1");
        let skipped = capture(true);
        assert!(skipped.correlation(&skipped.requests[0]).is_none());
        assert_eq!(skipped.correlation_ids.len(), 0);
        // the request still counts as carrying one (the verdict says how many throttles do)
        assert!(skipped.requests[0].correlation.is_some());
    }

    #[test]
    fn skipped_entries_are_kept_with_reasons() {
        let key = FingerprintKey::from_passphrase("t");
        let mut b = Builder::new();
        b.push(Parsed::Unusable(
            0,
            "entry is a number, expected an object".into(),
        ));
        let p = parse_entry(br#"{"request":{"method":"GET"}}"#).unwrap();
        b.push(Parsed::Entry(1, draft(&p, &key, &CostSources::default())));
        let c = b.finish("t", &LogMeta::default(), &KnownTemplates::default());
        assert_eq!(c.skipped.len(), 2);
        assert_eq!(c.skipped[1].entry, 1);
        assert_eq!(c.skipped[1].reason, "request.url is missing");
    }
}

//! Who sent a server record, in the capture's terms.
//!
//! Owns mapping a record's client id, user id and token onto the capture's clients, users and
//! tokens — tokens by keyed fingerprint, client and user ids through the pairs already matched
//! (the log names the capture's own client `X`, so `X` elsewhere in the log is that client) or
//! a JWT `client_id` claim of the capture — and labelling the identities the capture never
//! saw (`log-client-1`, `log-user-1`, in order of first record). Raw ids stay `Sensitive`.
//! Pure.

use std::collections::HashMap;
use std::sync::Arc;

use crate::model::{Capture, Sensitive, ServerLog, ServerRecord};

use super::MatchedBy;

/// One side of an identity (client or user) as the capture knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdRef {
    /// The capture's client or user with this index.
    Capture(u32),
    /// An id the log names and the capture never saw (index among the log's own ids).
    Log(u32),
    /// The record does not say.
    Unknown,
}

/// Who sent a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Who {
    /// Its client.
    pub client: IdRef,
    /// Its user.
    pub user: IdRef,
    /// Index into `Capture::tokens` when the capture used the same token.
    pub token: Option<u32>,
    /// Whether the record carried a token at all.
    pub has_token: bool,
}

/// An identity of traffic the capture does not hold.
#[derive(Clone, Debug)]
pub struct HiddenIdentity {
    /// Its client.
    pub client: IdRef,
    /// Its user.
    pub user: IdRef,
    /// `client-2` (the capture's label), `log-client-1` (seen only in the log) or `-`.
    pub client_label: String,
    /// `user-1`, `log-user-1` or `-`.
    pub user_label: String,
    /// The client id as the log gives it (shown only with `--show-client-ids`).
    pub client_id: Option<Sensitive<Arc<str>>>,
    /// The user id as the log gives it (shown only with `--show-client-ids`).
    pub user_id: Option<Sensitive<Arc<str>>>,
    /// The first user agent its records carry (shown only with `--show-client-ids`).
    pub user_agent: Option<Sensitive<Arc<str>>>,
    /// The first client address its records carry (shown only with `--show-client-ids`).
    pub ip: Option<Sensitive<Arc<str>>>,
    /// Its requests in the capture's span that match no capture request.
    pub requests: u64,
}

/// Maps records onto the capture's identities.
pub struct Resolver<'a> {
    capture: &'a Capture,
    clients: HashMap<String, u32>,
    users: HashMap<String, u32>,
    tokens: HashMap<&'a str, u32>,
    token_owner: HashMap<u32, (Option<u32>, u32)>,
    log_clients: std::cell::RefCell<HashMap<String, u32>>,
    log_users: std::cell::RefCell<HashMap<String, u32>>,
}

/// The value seen most often, ties to the smallest.
fn majority(votes: HashMap<String, HashMap<u32, u32>>) -> HashMap<String, u32> {
    votes
        .into_iter()
        .filter_map(|(k, v)| {
            let best = v
                .into_iter()
                .max_by_key(|&(id, n)| (n, std::cmp::Reverse(id)))?;
            Some((k, best.0))
        })
        .collect()
}

impl<'a> Resolver<'a> {
    /// Learns the mapping from the matched pairs.
    pub fn new(
        capture: &'a Capture,
        logs: &[Arc<ServerLog>],
        matches: &[Option<(u32, u32, MatchedBy)>],
    ) -> Self {
        let mut cv: HashMap<String, HashMap<u32, u32>> = HashMap::new();
        let mut uv: HashMap<String, HashMap<u32, u32>> = HashMap::new();
        for (i, m) in matches.iter().enumerate() {
            let Some((l, k, _)) = *m else { continue };
            let rec = &logs[l as usize].records[k as usize];
            let r = crate::evaluate::identity_of(capture, i);
            if let (Some(id), Some(c)) = (&rec.client, r.client.get()) {
                *cv.entry(id.expose_for_computation().to_string())
                    .or_default()
                    .entry(c)
                    .or_default() += 1;
            }
            if let Some(id) = &rec.user {
                *uv.entry(id.expose_for_computation().to_string())
                    .or_default()
                    .entry(r.user)
                    .or_default() += 1;
            }
        }
        let mut clients = majority(cv);
        for (n, cl) in capture.clients.iter().enumerate() {
            if let Some(id) = &cl.client_id {
                clients
                    .entry(id.expose_for_computation().clone())
                    .or_insert(n as u32);
            }
        }
        let tokens = capture
            .tokens
            .iter()
            .enumerate()
            .map(|(n, t)| (t.as_str(), n as u32))
            .collect();
        let mut token_owner = HashMap::new();
        for r in &capture.requests {
            if let Some(t) = r.token.get() {
                token_owner.entry(t).or_insert((r.client.get(), r.user));
            }
        }
        Resolver {
            capture,
            clients,
            users: majority(uv),
            tokens,
            token_owner,
            log_clients: Default::default(),
            log_users: Default::default(),
        }
    }

    fn log_id(table: &std::cell::RefCell<HashMap<String, u32>>, raw: &str) -> IdRef {
        let mut t = table.borrow_mut();
        let n = t.len() as u32;
        IdRef::Log(*t.entry(raw.to_string()).or_insert(n))
    }

    /// Who sent a record.
    pub fn who(&self, rec: &ServerRecord) -> Who {
        let token = rec
            .token
            .as_ref()
            .and_then(|fp| self.tokens.get(fp.short().as_str()).copied());
        let owner = token.and_then(|t| self.token_owner.get(&t).copied());
        let client = match &rec.client {
            Some(id) => {
                let raw = id.expose_for_computation();
                match self.clients.get(raw.as_ref()) {
                    Some(&c) => IdRef::Capture(c),
                    None => Self::log_id(&self.log_clients, raw),
                }
            }
            None => match owner.and_then(|(c, _)| c) {
                Some(c) => IdRef::Capture(c),
                None => IdRef::Unknown,
            },
        };
        let user = match &rec.user {
            Some(id) => {
                let raw = id.expose_for_computation();
                match self.users.get(raw.as_ref()) {
                    Some(&u) => IdRef::Capture(u),
                    None => Self::log_id(&self.log_users, raw),
                }
            }
            None => match owner {
                Some((_, u)) => IdRef::Capture(u),
                None => IdRef::Unknown,
            },
        };
        Who {
            client,
            user,
            token,
            has_token: rec.token.is_some(),
        }
    }

    /// The label of a client.
    pub fn client_label(&self, id: IdRef) -> String {
        match id {
            IdRef::Capture(c) => self.capture.clients[c as usize].label.clone(),
            IdRef::Log(n) => format!("log-client-{}", n + 1),
            IdRef::Unknown => "-".into(),
        }
    }

    /// The label of a user.
    pub fn user_label(&self, id: IdRef) -> String {
        match id {
            IdRef::Capture(u) => self.capture.users[u as usize].label.clone(),
            IdRef::Log(n) => format!("log-user-{}", n + 1),
            IdRef::Unknown => "-".into(),
        }
    }
}

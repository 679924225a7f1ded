//! Stand-ins for identifying values: path ids, credentials, correlation ids and limit keys.
//!
//! Owns the shapes of the values `sanitize` writes in place of originals. A path id becomes a
//! keyed pseudonym of the same family (UUID, number, e-mail address, other) that template
//! inference still reads as an id, distinct originals staying distinct. A credential becomes a
//! synthetic token that puts each request in the same client, user and token as before. Pure:
//! the key is passed in; no stand-in contains any part of the value it replaces.

use std::collections::{HashMap, HashSet};

use base64::Engine;

use crate::model::{Auth, Capture, Request};
use crate::normalize::FingerprintKey;
use crate::normalize::template::looks_like_id;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A candidate pseudonym of the original's family from 16 keyed bytes.
fn shaped(original: &str, bytes: &[u8; 16]) -> String {
    let h = hex(bytes);
    if is_uuid(original) {
        let u = format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        );
        if original.bytes().any(|c| c.is_ascii_uppercase()) {
            return u.to_ascii_uppercase();
        }
        return u;
    }
    if !original.is_empty() && original.bytes().all(|c| c.is_ascii_digit()) {
        // a number of at least six digits (short ones would soon collide), no leading zero
        let len = original.len().clamp(6, 19);
        let mut s = String::with_capacity(len);
        s.push(char::from(b'1' + bytes[0] % 9));
        for i in 1..len {
            s.push(char::from(
                b'0' + bytes[i % 16].wrapping_add(i as u8 / 16) % 10,
            ));
        }
        return s;
    }
    if original.contains('@') {
        return format!("user-{}@example.invalid", &h[..10]);
    }
    format!("id-{}", &h[..12])
}

/// Pseudonyms for the ids in paths: one per distinct original, never two alike.
#[derive(Debug)]
pub struct PathIds {
    key: FingerprintKey,
    given: HashMap<String, String>,
    used: HashSet<String>,
}

impl PathIds {
    /// An empty table.
    pub fn new(key: FingerprintKey) -> Self {
        PathIds {
            key,
            given: HashMap::new(),
            used: HashSet::new(),
        }
    }

    /// The pseudonym of `original` (the same one every time).
    pub fn of(&mut self, original: &str) -> String {
        if let Some(p) = self.given.get(original) {
            return p.clone();
        }
        let mut attempt: u32 = 0;
        let pseudonym = loop {
            let mut input = original.as_bytes().to_vec();
            input.extend_from_slice(&attempt.to_le_bytes());
            let fp = self.key.fingerprint("path-id", &input);
            let candidate = shaped(original, &fp.0);
            // an id by its shape, so inference templates it whatever made the original an id
            if looks_like_id(&candidate) && !self.used.contains(&candidate) {
                break candidate;
            }
            attempt += 1;
        };
        self.used.insert(pseudonym.clone());
        self.given.insert(original.to_string(), pseudonym.clone());
        pseudonym
    }

    /// Distinct ids replaced so far.
    pub fn len(&self) -> usize {
        self.given.len()
    }

    /// Whether no id was replaced.
    pub fn is_empty(&self) -> bool {
        self.given.is_empty()
    }
}

/// The stand-in for the `n`-th custom method: `EXT-A`, ..., `EXT-Z`, `EXT-AA`, ... (letters
/// only, so it reads back as the same custom method).
pub fn extension_method(n: usize) -> String {
    let mut letters = Vec::new();
    let mut k = n + 1;
    while k > 0 {
        k -= 1;
        letters.push(b'A' + (k % 26) as u8);
        k /= 26;
    }
    letters.reverse();
    format!("EXT-{}", String::from_utf8(letters).expect("ASCII letters"))
}

/// A pseudonymous UUID for a value (correlation ids that are not plain hexadecimal).
pub fn uuid(key: &FingerprintKey, kind: &str, original: &str) -> String {
    let h = hex(&key.fingerprint(kind, original.as_bytes()).0);
    format!(
        "{}-{}-4{}-8{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

/// The `Authorization` value that stands in for a request's credential, or `None` when it had
/// none (preflights never carry one).
///
/// Requests grouped by a JWT claim get an unsigned JWT whose `client_id` and `sub` are the
/// capture's labels, so the same clients and users form again; other tokens get an opaque
/// `why429-client-N-<fingerprint>` value, one per original token.
pub fn credential(capture: &Capture, r: &Request, key: &FingerprintKey) -> Option<String> {
    if r.is_preflight {
        return None;
    }
    match r.auth {
        Auth::None => None,
        Auth::Masked => Some("[REMOVED]".to_string()),
        Auth::Bearer | Auth::Other => {
            let token = r.token.get()? as usize;
            let client = &capture.clients[r.client.get()? as usize];
            // a fingerprint under the copy's own key: unlinkable to the report's fingerprints
            let original = capture.tokens.get(token).map_or("", String::as_str);
            let token_fp = key.fingerprint("token", original.as_bytes()).short()[..6].to_string();
            let scheme = if r.auth == Auth::Bearer {
                "Bearer"
            } else {
                "Token"
            };
            let by_claim = client.client_id.is_some();
            // only users a claim named: users the server's counters told apart among opaque
            // tokens stay opaque, and the copy's counters tell them apart again
            let user = capture.users[r.user as usize]
                .from_claim
                .then(|| &capture.users[r.user as usize].label);
            if !by_claim && user.is_none() {
                return Some(format!("{scheme} why429-{}-{token_fp}", client.label));
            }
            let mut claims = serde_json::Map::new();
            if by_claim {
                claims.insert(
                    "client_id".into(),
                    format!("why429-{}", client.label).into(),
                );
            }
            if let Some(u) = user {
                claims.insert("sub".into(), format!("why429-{u}").into());
            }
            claims.insert("jti".into(), format!("why429-token-{}", token + 1).into());
            let payload = serde_json::Value::Object(claims).to_string();
            Some(format!(
                "{scheme} {}.{}.sanitized",
                b64(r#"{"alg":"none","typ":"JWT"}"#),
                b64(&payload)
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FingerprintKey {
        FingerprintKey::from_passphrase("stand-in tests")
    }

    #[test]
    fn path_ids_keep_their_family_and_stay_ids() {
        let mut ids = PathIds::new(key());
        let uuid = ids.of("0d3b2a1e-5f6a-4b7c-8d9e-0f1a2b3c4d5e");
        assert!(is_uuid(&uuid), "{uuid}");
        let n = ids.of("42");
        assert!(n.len() == 6 && n.bytes().all(|b| b.is_ascii_digit()), "{n}");
        let mail = ids.of("jane.doe@example.com");
        assert!(mail.ends_with("@example.invalid") && !mail.contains("jane"));
        for original in ["camp-east", "ivr-001", "CNRYsecret", "me"] {
            let p = ids.of(original);
            assert!(looks_like_id(&p), "{original} → {p}");
            assert!(!p.contains(original), "{p}");
        }
    }

    #[test]
    fn path_ids_are_stable_and_injective() {
        let mut ids = PathIds::new(key());
        let values: Vec<String> = (0..3000).map(|i| i.to_string()).collect();
        let first: Vec<String> = values.iter().map(|v| ids.of(v)).collect();
        let again: Vec<String> = values.iter().map(|v| ids.of(v)).collect();
        assert_eq!(first, again);
        let distinct: HashSet<&String> = first.iter().collect();
        assert_eq!(distinct.len(), values.len());
        assert_eq!(ids.len(), values.len());
    }

    #[test]
    fn pseudonyms_depend_on_the_key() {
        let a = PathIds::new(key()).of("12345");
        let b = PathIds::new(FingerprintKey::from_passphrase("other")).of("12345");
        assert_ne!(a, b);
    }

    #[test]
    fn extension_methods_are_distinct_method_tokens() {
        let names: Vec<String> = (0..800).map(extension_method).collect();
        assert_eq!(names[0], "EXT-A");
        assert_eq!(names[26], "EXT-AA");
        let distinct: HashSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), names.len());
        for n in &names {
            assert_eq!(crate::model::Method::parse(n).as_str(), n);
        }
    }

    #[test]
    fn uuids_for_correlation_ids_have_the_uuid_shape() {
        let u = uuid(&key(), "correlation", "CNRY-not-hex");
        assert!(is_uuid(&u), "{u}");
        assert!(!u.contains("CNRY"));
    }
}

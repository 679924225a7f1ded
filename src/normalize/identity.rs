//! Who made a request: credentials to keyed fingerprints, JWT claims to client and user keys.
//!
//! Owns the only code that sees a credential in clear. A token is reduced here to a keyed
//! BLAKE3 fingerprint; a readable JWT additionally yields its `client_id`/`azp` (kept
//! `Sensitive`, printed only with `--show-client-ids`) and a fingerprint of its `sub`. Masked
//! values left by sanitizers are recognised as "credential present, identity unknown". Claims
//! are used, never printed. Pure: the fingerprint key is passed in.

use base64::Engine;

pub use crate::model::Fingerprint;
use crate::model::{Auth, Sensitive};

/// A 32-byte key for fingerprints. Random per run unless the user fixes it.
#[derive(Clone)]
pub struct FingerprintKey(pub [u8; 32]);

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FingerprintKey(<redacted>)")
    }
}

impl FingerprintKey {
    /// Derives a key from a user-supplied passphrase (stable fingerprints across runs).
    pub fn from_passphrase(p: &str) -> Self {
        FingerprintKey(blake3::derive_key(
            "why429 fingerprint key v1",
            p.as_bytes(),
        ))
    }

    /// Keyed fingerprint of a value with a domain-separating kind.
    pub fn fingerprint(&self, kind: &str, value: &[u8]) -> Fingerprint {
        let mut h = blake3::Hasher::new_keyed(&self.0);
        h.update(kind.as_bytes());
        h.update(&[0]);
        h.update(value);
        let mut out = [0u8; 16];
        out.copy_from_slice(&h.finalize().as_bytes()[..16]);
        Fingerprint(out)
    }
}

/// The identity facts of one request.
#[derive(Clone, Debug, Default)]
pub struct Identity {
    /// Credential kind.
    pub auth: Auth,
    /// Fingerprint of the credential.
    pub token: Option<Fingerprint>,
    /// Fingerprint of the JWT client claim, and the claim itself.
    pub client: Option<(Fingerprint, Sensitive<String>)>,
    /// Fingerprint of the JWT `sub` claim.
    pub user: Option<Fingerprint>,
}

/// Values sanitizers put in place of a credential.
pub fn is_masked(value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    let bare = lower
        .strip_prefix("bearer ")
        .or_else(|| lower.strip_prefix("basic "))
        .unwrap_or(&lower)
        .trim();
    matches!(
        bare,
        "[removed]"
            | "redacted"
            | "[redacted]"
            | "<redacted>"
            | "!!!sanitized!!!"
            | "[sanitized]"
            | "sanitized"
            | "***"
            | "xxx"
            | "****"
            | "hidden"
            | "[filtered]"
    ) || (bare.starts_with('[') && bare.ends_with(" redacted]"))
}

/// Reads the credential of a request: the `Authorization` value, else an API key, else a query
/// token.
pub fn identify(
    authorization: Option<&str>,
    api_key: Option<&str>,
    query_token: Option<&str>,
    key: &FingerprintKey,
) -> Identity {
    let raw = authorization
        .filter(|v| !v.trim().is_empty())
        .or(api_key.filter(|v| !v.trim().is_empty()))
        .or(query_token);
    let Some(raw) = raw else {
        return Identity::default();
    };
    if is_masked(raw) {
        return Identity {
            auth: Auth::Masked,
            ..Identity::default()
        };
    }
    let trimmed = raw.trim();
    let (scheme, token) = match trimmed.split_once(' ') {
        Some((s, t)) => (s.to_ascii_lowercase(), t.trim()),
        None => (String::from("bearer"), trimmed),
    };
    let auth = if scheme == "bearer" || authorization.is_none() {
        Auth::Bearer
    } else {
        Auth::Other
    };
    let mut id = Identity {
        auth,
        token: Some(key.fingerprint("token", token.as_bytes())),
        ..Identity::default()
    };
    if let Some(claims) = jwt_claims(token) {
        let client = ["client_id", "azp", "cid", "appid"]
            .iter()
            .find_map(|k| claims.get(*k).and_then(|v| v.as_str()))
            .filter(|c| !c.is_empty() && c.len() <= 256);
        if let Some(c) = client {
            id.client = Some((
                key.fingerprint("client", c.as_bytes()),
                Sensitive::new(c.to_string()),
            ));
        }
        if let Some(sub) = claims
            .get("sub")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
        {
            id.user = Some(key.fingerprint("user", sub.as_bytes()));
        }
    }
    id
}

/// Decodes a JWT payload (no signature check: claims are only used to group requests).
fn jwt_claims(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut parts = token.split('.');
    let (_header, payload) = (parts.next()?, parts.next()?);
    if !payload.starts_with("ey") || payload.len() > 16 * 1024 {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice::<serde_json::Value>(&bytes).ok()? {
        serde_json::Value::Object(m) => Some(m),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FingerprintKey {
        FingerprintKey::from_passphrase("test")
    }

    fn jwt(payload: &str) -> String {
        let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", e(r#"{"alg":"RS256"}"#), e(payload))
    }

    #[test]
    fn opaque_tokens_are_fingerprinted() {
        let a = identify(Some("Bearer tok-a"), None, None, &key());
        let b = identify(Some("bearer tok-a"), None, None, &key());
        let c = identify(Some("Bearer tok-b"), None, None, &key());
        assert_eq!(a.auth, Auth::Bearer);
        assert_eq!(a.token, b.token);
        assert_ne!(a.token, c.token);
        assert!(a.client.is_none());
        assert_eq!(a.token.unwrap().short().len(), 12);
    }

    #[test]
    fn fingerprints_depend_on_the_key() {
        let a = identify(Some("Bearer t"), None, None, &key());
        let b = identify(
            Some("Bearer t"),
            None,
            None,
            &FingerprintKey::from_passphrase("x"),
        );
        assert_ne!(a.token, b.token);
    }

    #[test]
    fn jwt_claims_group_clients_and_users() {
        let t1 = jwt(r#"{"client_id":"app-1","sub":"u1","n":1}"#);
        let t2 = jwt(r#"{"client_id":"app-1","sub":"u1","n":2}"#);
        let a = identify(Some(&format!("Bearer {t1}")), None, None, &key());
        let b = identify(Some(&format!("Bearer {t2}")), None, None, &key());
        assert_ne!(a.token, b.token);
        assert_eq!(a.client.as_ref().unwrap().0, b.client.as_ref().unwrap().0);
        assert_eq!(a.user, b.user);
        let azp = identify(
            Some(&format!("Bearer {}", jwt(r#"{"azp":"x"}"#))),
            None,
            None,
            &key(),
        );
        assert!(azp.client.is_some());
    }

    #[test]
    fn masked_values_are_not_clients() {
        for v in [
            "[REMOVED]",
            "Bearer REDACTED",
            "!!!sanitized!!!",
            "[Authorization redacted]",
            "Bearer [sanitized]",
        ] {
            let id = identify(Some(v), None, None, &key());
            assert_eq!(id.auth, Auth::Masked, "{v}");
            assert!(id.token.is_none());
        }
    }

    #[test]
    fn other_credentials() {
        assert_eq!(
            identify(Some("Basic dXNlcjpwdw=="), None, None, &key()).auth,
            Auth::Other
        );
        assert_eq!(
            identify(None, Some("k-123"), None, &key()).auth,
            Auth::Bearer
        );
        assert_eq!(
            identify(None, None, Some("qtok"), &key()).auth,
            Auth::Bearer
        );
        assert_eq!(identify(Some("  "), None, None, &key()).auth, Auth::None);
    }
}

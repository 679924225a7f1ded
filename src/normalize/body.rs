//! Reading a throttling response's body for the numbers it states.
//!
//! Owns recognising Genesys' legacy ("maximum [N] requests within [W] seconds") and normalized
//! ("Retry the request in [S] seconds") messages, the `code`, and `limit {key, namespace,
//! value}`. Only numbers, known codes and the limit key (kept `Sensitive` until matched to a
//! profile layer) leave this module; the message text itself is dropped. Pure.

use std::sync::LazyLock;

use base64::Engine;
use regex::Regex;

use crate::model::ThrottleBody;

use super::dialects;

static LEGACY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)maximum\s*\[?(\d{1,12})\]?\s*requests?\s*within\s*\[?(\d{1,9}(?:\.\d+)?)\]?\s*seconds?")
        .expect("valid regex")
});
static RETRY_IN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)retry\s+the\s+request\s+in\s*\[?(\d{1,9}(?:\.\d+)?)\]?\s*seconds?")
        .expect("valid regex")
});

/// What a body said, plus the raw `limit.key` for the caller to intern.
#[derive(Debug, Default, PartialEq)]
pub struct BodyFacts {
    /// Numbers and codes.
    pub body: ThrottleBody,
    /// `limit.key`, raw (interned as `Sensitive` by the builder).
    pub limit_key: Option<String>,
}

/// Reads a 429 body (`text`, optionally base64-encoded).
pub fn parse(text: &str, base64_encoded: bool) -> Option<BodyFacts> {
    let decoded;
    let text = if base64_encoded {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim().as_bytes())
            .ok()?;
        decoded = String::from_utf8(bytes).ok()?;
        decoded.as_str()
    } else {
        text
    };
    let mut facts = BodyFacts::default();
    let mut message = None;
    if let Ok(serde_json::Value::Object(obj)) = serde_json::from_str::<serde_json::Value>(text) {
        let code = obj
            .get("code")
            .or_else(|| obj.get("errorCode"))
            .and_then(|c| c.as_str());
        if let Some(code) = code {
            facts.body.code = dialects::code_id(code);
            facts.body.unlisted_code = facts.body.code.is_none();
            facts.body.rate_limited |= facts
                .body
                .code
                .is_some_and(|c| dialects::code(c).rate_limited);
        }
        message = obj
            .get("message")
            .or_else(|| obj.get("errorSummary"))
            .and_then(|m| m.as_str())
            .map(str::to_string);
        if let Some(limit) = obj.get("limit").and_then(|l| l.as_object()) {
            facts.limit_key = limit
                .get("key")
                .and_then(|k| k.as_str())
                .filter(|k| k.len() <= 128)
                .map(str::to_string);
            facts.body.limit_value = limit.get("value").and_then(|v| v.as_u64());
        }
    }
    let haystack = message.as_deref().unwrap_or(text);
    if let Some(c) = LEGACY.captures(haystack) {
        facts.body.limit = c[1].parse().ok();
        facts.body.window_s = c[2].parse().ok();
        facts.body.rate_limited = true;
    }
    if let Some(c) = RETRY_IN.captures(haystack) {
        facts.body.retry_in_s = c[1].parse().ok();
    }
    let empty = facts.body == ThrottleBody::default() && facts.limit_key.is_none();
    (!empty).then_some(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesys_normalized_body() {
        let f = parse(
            r#"{"message":"Rate limit exceeded the maximum. Retry the request in [55] seconds","code":"too.many.requests.retry.after","status":429,"contextId":"x","details":[],"errors":[]}"#,
            false,
        )
        .unwrap();
        assert_eq!(f.body.retry_in_s, Some(55.0));
        assert_eq!(
            f.body.code,
            Some(dialects::code_id("too.many.requests.retry.after").unwrap())
        );
        assert!(f.body.rate_limited);
        assert_eq!(f.body.limit, None);
    }

    #[test]
    fn genesys_legacy_body_and_limit_object() {
        let f = parse(
            r#"{"message":"Rate limit exceeded the maximum [300] requests within [60] seconds","code":"too.many.requests","limit":{"key":"token.rate.per.minute","namespace":"platform.api","value":300}}"#,
            false,
        )
        .unwrap();
        assert_eq!((f.body.limit, f.body.window_s), (Some(300), Some(60.0)));
        assert_eq!(f.limit_key.as_deref(), Some("token.rate.per.minute"));
        assert_eq!(f.body.limit_value, Some(300));
    }

    #[test]
    fn base64_and_plain_text_bodies() {
        let b64 = base64::engine::general_purpose::STANDARD
            .encode("Rate limit exceeded the maximum [6] requests within [40] seconds");
        let f = parse(&b64, true).unwrap();
        assert_eq!((f.body.limit, f.body.window_s), (Some(6), Some(40.0)));
        assert!(parse("<html>Too Many Requests</html>", false).is_none());
        assert!(parse("%%%", true).is_none());
    }
}

//! Which response bodies are read, and the entry point to the body dialects.
//!
//! Owns the decision to read a body — every response of status 400 and above, and a 2xx one
//! only when a byte search finds a GraphQL `"errors"` key, a cost object a dialect reads or a
//! key a profile's `cost_from` asks for — and its decoding (base64 is decoded only for error
//! statuses). The rules themselves are `dialects::bodies`. Pure.

use std::borrow::Cow;
use std::sync::LazyLock;

use base64::Engine;
use memchr::memmem::Finder;

pub use super::dialects::bodies::{BodyFacts, Parsed};

use super::costs::CostSources;
use super::dialects::bodies;

/// Keys whose presence makes a 2xx body worth parsing: GraphQL errors (`THROTTLED`,
/// `RATE_LIMITED` come with status 200), Shopify's `extensions.cost`, GitHub's
/// `data.rateLimit`. Searched without their quotes, which the HAR escapes: `\"` is in every
/// JSON body, and a finder whose rare bytes are that common is slow.
static SUCCESS_KEYS: LazyLock<[Finder<'static>; 3]> = LazyLock::new(|| {
    [
        Finder::new(b"errors"),
        Finder::new(b"throttleStatus"),
        Finder::new(b"rateLimit"),
    ]
});

/// Whether a response's body is read at all, from its text as the HAR writes it (escaped).
pub fn worth_reading(status: u16, escaped: &str, costs: &CostSources) -> bool {
    if status >= 400 {
        return true;
    }
    if !(200..300).contains(&status) {
        return false;
    }
    let b = escaped.as_bytes();
    SUCCESS_KEYS.iter().any(|f| f.find(b).is_some()) || costs.may_hold(b)
}

/// The text of a body (`text`, optionally base64-encoded).
pub fn decode(text: Cow<'_, str>, base64_encoded: bool) -> Option<Cow<'_, str>> {
    if !base64_encoded {
        return Some(text);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim().as_bytes())
        .ok()?;
    String::from_utf8(bytes).ok().map(Cow::Owned)
}

/// Reads a throttling body (`text`, optionally base64-encoded): its code, stated numbers and
/// names.
pub fn parse(text: &str, base64_encoded: bool) -> Option<BodyFacts> {
    let text = decode(Cow::Borrowed(text), base64_encoded)?;
    bodies::read(&Parsed::new(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_plain_text_bodies() {
        let b64 = base64::engine::general_purpose::STANDARD
            .encode("Rate limit exceeded the maximum [6] requests within [40] seconds");
        let f = parse(&b64, true).unwrap();
        assert_eq!((f.body.limit, f.body.window_s), (Some(6), Some(40.0)));
        assert!(parse("<html>Too Many Requests</html>", false).is_none());
        assert!(parse("%%%", true).is_none());
    }

    #[test]
    fn which_bodies_are_read() {
        let none = CostSources::default();
        // texts as the HAR writes them: escaped
        assert!(worth_reading(404, "{}", &none));
        assert!(worth_reading(
            200,
            r#"{\"data\":null,\"errors\":[{}]}"#,
            &none
        ));
        assert!(!worth_reading(200, r#"{\"data\":{\"a\":1}}"#, &none));
        assert!(!worth_reading(304, r#"{\"errors\":[]}"#, &none));
        let costs = CostSources::new(["body:usage.total_tokens"]).unwrap();
        assert!(worth_reading(
            200,
            r#"{\"usage\":{\"total_tokens\":5}}"#,
            &costs
        ));
    }
}

//! Types that make leaking a secret hard to write.
//!
//! `Sensitive<T>` wraps anything taken from a capture that must never reach an output in clear
//! (bearer tokens, OAuth client ids, raw paths with ids, correlation ids): it implements neither
//! `Display` nor `Serialize`, and its `Debug` prints a fixed placeholder. Reading the value needs
//! an explicit, greppable `expose_*` call. `SafeLabel` is the only text chart code accepts; it
//! can be built only from sources on the report allow-list. This module must not offer a way
//! to turn arbitrary capture text into a `SafeLabel`.

use std::fmt;

/// A value from a capture that must never be printed, logged or serialized.
///
/// It cannot be formatted for display:
///
/// ```compile_fail
/// let token = why429::model::Sensitive::new(String::from("Bearer secret"));
/// println!("{token}");
/// ```
///
/// nor serialized into a report:
///
/// ```compile_fail
/// let token = why429::model::Sensitive::new(String::from("Bearer secret"));
/// let _ = serde_json::to_string(&token);
/// ```
///
/// and its `Debug` form is a placeholder:
///
/// ```
/// let token = why429::model::Sensitive::new(String::from("Bearer secret"));
/// assert_eq!(format!("{token:?}"), "Sensitive(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    /// Wraps a secret.
    pub fn new(value: T) -> Self {
        Sensitive(value)
    }

    /// Reads the secret for computation (hashing, grouping). Never pass the result to output.
    pub fn expose_for_computation(&self) -> &T {
        &self.0
    }

    /// Reads the secret for an output the user opted into (`--show-ids`,
    /// `--show-client-ids`). Every call site must be behind such a flag.
    pub fn expose_by_user_choice(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sensitive(<redacted>)")
    }
}

/// A keyed fingerprint of a secret (a token, a client claim, a user claim); printed as 12 hex
/// digits. Made by `normalize::FingerprintKey`, which keys it per run, so the same credential
/// gives the same fingerprint in a capture and in a server log read with the same key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 16]);

impl Fingerprint {
    /// The 12-hex-digit form shown in reports.
    pub fn short(&self) -> String {
        self.0[..6].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Text that may appear in any output, including chart labels: built only from allow-listed
/// sources (fixed words, numbers, endpoint templates, layer names, client labels, hosts).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct SafeLabel(String);

impl SafeLabel {
    /// Fixed wording written in why429's own source.
    pub fn fixed(text: &'static str) -> Self {
        SafeLabel(text.to_string())
    }

    /// A number.
    pub fn number(n: impl fmt::Display + Copy + Into<f64>) -> Self {
        SafeLabel(n.to_string())
    }

    /// Text already proven safe by the report allow-list (templates, hosts, layer names,
    /// client labels, formatted times and counts). Only `crate::report` and the renderers
    /// build labels from report values, which hold nothing else.
    pub(crate) fn from_report(text: &str) -> Self {
        SafeLabel(text.to_string())
    }

    /// Joins labels with a separator written in source.
    pub fn join(parts: &[SafeLabel], sep: &'static str) -> Self {
        SafeLabel(
            parts
                .iter()
                .map(|p| p.0.as_str())
                .collect::<Vec<_>>()
                .join(sep),
        )
    }

    /// The label's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SafeLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_debug_hides_the_value() {
        let s = Sensitive::new(String::from("Bearer abc.def.ghi"));
        assert_eq!(format!("{s:?}"), "Sensitive(<redacted>)");
        assert_eq!(s.expose_for_computation(), "Bearer abc.def.ghi");
    }

    #[test]
    fn safe_labels_join() {
        let l = SafeLabel::join(&[SafeLabel::fixed("PUT"), SafeLabel::number(3u32)], " ");
        assert_eq!(l.as_str(), "PUT 3");
    }
}

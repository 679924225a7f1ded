//! Reading one JSON object per line through a table of keys: shared by the generic form, nginx
//! `escape=json` logs and Envoy's JSON access logs.
//!
//! Owns `KeyMap` (which key holds which field, exactly or ignoring case and `-`/`_`), parsing a
//! line into an object with a problem text that names the position but never the content
//! (serde_json's own messages can quote values), and applying the mapped values to a `Draft`.
//! It must not know any format's key names. Pure.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value};

use super::fields::{Draft, Var};
use super::pattern::Pattern;

/// How a mapped key's value is read.
#[derive(Clone, Debug)]
pub enum Rule {
    /// The value is one field.
    Var(Var),
    /// The value is text with several fields (an nginx JSON `log_format` value such as
    /// `"$request_method $uri"`).
    Template(Pattern),
}

/// Which key holds which field.
#[derive(Clone, Debug, Default)]
pub struct KeyMap {
    keys: HashMap<String, Rule>,
    folded: bool,
}

/// `X-Request-Id` → `x_request_id`: how keys compare when case and separators do not matter.
pub fn fold(key: &str) -> String {
    key.trim_start_matches(['$', '@', ':'])
        .chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

impl KeyMap {
    /// Keys compared exactly (a user's format names them).
    pub fn exact(pairs: impl IntoIterator<Item = (String, Rule)>) -> KeyMap {
        KeyMap {
            keys: pairs.into_iter().collect(),
            folded: false,
        }
    }

    /// Keys compared after `fold` (a table of common names).
    pub fn folded(pairs: impl IntoIterator<Item = (String, Rule)>) -> KeyMap {
        KeyMap {
            keys: pairs.into_iter().map(|(k, r)| (fold(&k), r)).collect(),
            folded: true,
        }
    }

    /// The rule of a key.
    pub fn get(&self, key: &str) -> Option<&Rule> {
        if self.folded {
            self.keys.get(&fold(key))
        } else {
            self.keys.get(key)
        }
    }

    /// The fields the map can fill.
    pub fn vars(&self) -> Vec<Var> {
        self.keys
            .values()
            .flat_map(|r| match r {
                Rule::Var(v) => vec![v.clone()],
                Rule::Template(p) => p.vars().to_vec(),
            })
            .collect()
    }
}

/// Parses a line as one JSON object.
pub fn object(line: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err("the line is JSON but not an object".into()),
        Err(e) => Err(match e.classify() {
            serde_json::error::Category::Eof => "the line ends inside its JSON object".into(),
            serde_json::error::Category::Data => "the line's JSON holds an unreadable value".into(),
            _ => format!("the line is not valid JSON (at column {})", e.column()),
        }),
    }
}

/// An object or array where a single value was expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotScalar;

/// A JSON value as the text a log field would hold: strings as they are, numbers and booleans
/// written out, `null` as missing. Objects and arrays are not single values.
pub fn text(v: &Value) -> Result<Option<Cow<'_, str>>, NotScalar> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(Cow::Borrowed(s))),
        Value::Number(n) => Ok(Some(Cow::Owned(n.to_string()))),
        Value::Bool(b) => Ok(Some(Cow::Borrowed(if *b { "true" } else { "false" }))),
        Value::Array(_) | Value::Object(_) => Err(NotScalar),
    }
}

/// Applies every mapped key of `obj` to `draft`; keys the map does not know are ignored.
pub fn read(obj: &Map<String, Value>, map: &KeyMap, draft: &mut Draft) -> Result<(), String> {
    for (k, v) in obj {
        let Some(rule) = map.get(k) else { continue };
        let value = match text(v) {
            Ok(Some(t)) => t,
            Ok(None) => continue,
            Err(NotScalar) => {
                let what = match rule {
                    Rule::Var(var) => var.what(),
                    Rule::Template(_) => "a mapped field",
                };
                return Err(format!("{what} is not a single value"));
            }
        };
        match rule {
            Rule::Var(var) => draft.apply(var, &value)?,
            Rule::Template(p) => p.read(&value, draft)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_never_quote_the_line() {
        for line in [
            r#"{"time": "SECRET"#,
            r#"["SECRET"]"#,
            r#"{"a": SECRET}"#,
            r#"{"a": 1e999999}"#,
        ] {
            let e = object(line).unwrap_err();
            assert!(!e.contains("SECRET"), "{e}");
        }
    }

    #[test]
    fn folded_keys_ignore_case_and_separators() {
        let m = KeyMap::folded([("x_request_id".to_string(), Rule::Var(Var::Correlation(2)))]);
        assert!(m.get("X-Request-Id").is_some());
        assert!(m.get("$x_request_id").is_some());
        assert!(m.get("request").is_none());
        let e = KeyMap::exact([("A".to_string(), Rule::Var(Var::Status))]);
        assert!(e.get("a").is_none());
    }
}

//! `--set LAYER.KEY=VALUE`: one layer's numbers changed for one run, without writing a file.
//!
//! Owns reading the flag, building the layer's TOML with the override and re-parsing it with
//! the profile parser (so a mistake is reported like one in a file: the key and the shape it
//! expects), and recording on the layer that it was set on the command line, so that every
//! report shows it. Pure: it never reads files.

use super::{Profile, parse};

/// One `--set LAYER.KEY=VALUE`.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// The flag's value as given, for messages.
    pub arg: String,
    /// Layer name (may contain dots: the key is what follows the last one).
    pub layer: String,
    /// Layer key (`capacity`, `rate`, `window`, …).
    pub key: String,
    /// The value, typed as TOML would type it; `None` (an empty VALUE) removes the key.
    pub value: Option<toml::Value>,
}

impl Override {
    /// The value as a person wrote it: `80`, `20/s`, `["user"]`.
    pub fn value_text(&self) -> String {
        match &self.value {
            Some(toml::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        }
    }

    /// `capacity = 80`, or `window removed`.
    fn change(&self) -> String {
        match self.value {
            Some(_) => format!("{} = {}", self.key, self.value_text()),
            None => format!("{} removed", self.key),
        }
    }
}

/// Reads `LAYER.KEY=VALUE`. A value TOML can read keeps its type (`80`, `true`, `[1, 25]`,
/// `"60s"`); anything else is text (`20/s`, `60s`), and `per` also takes `user,client`. An
/// empty value removes the key (to change a layer's algorithm, remove the old one's keys).
pub fn parse_override(arg: &str) -> Result<Override, String> {
    let usage = || {
        format!(
            "--set {arg}: expected LAYER.KEY=VALUE, e.g. --set rest.bucket.capacity=80 or --set rest.bucket.rate=20/s"
        )
    };
    let (target, raw) = arg.split_once('=').ok_or_else(usage)?;
    let (layer, key) = target.trim().rsplit_once('.').ok_or_else(usage)?;
    let (layer, key) = (layer.trim(), key.trim());
    if layer.is_empty() || key.is_empty() {
        return Err(usage());
    }
    if key == "name" {
        return Err(format!(
            "--set {arg}: a layer's name cannot be set (it is how --set finds the layer)"
        ));
    }
    Ok(Override {
        arg: arg.to_string(),
        layer: layer.to_string(),
        key: key.to_string(),
        value: (!raw.trim().is_empty()).then(|| value_of(key, raw.trim())),
    })
}

fn value_of(key: &str, raw: &str) -> toml::Value {
    if let Ok(mut t) = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        && let Some(v) = t.remove("v")
    {
        return v;
    }
    let list = key == "per"
        || (raw.contains(',') && matches!(key, "method" | "template" | "exclude_template"));
    if list {
        return toml::Value::Array(
            raw.split(',')
                .map(|s| toml::Value::String(s.trim().to_string()))
                .collect(),
        );
    }
    toml::Value::String(raw.to_string())
}

/// Applies overrides to the layers of `profiles` (every layer of that name, in every profile).
/// `scope` names the profiles in messages ("the profiles given with --profile").
pub fn apply(profiles: &mut [Profile], overrides: &[Override], scope: &str) -> Result<(), String> {
    let mut names: Vec<&str> = Vec::new();
    for o in overrides {
        if !names.contains(&o.layer.as_str()) {
            names.push(&o.layer);
        }
    }
    for name in names {
        let mine: Vec<&Override> = overrides.iter().filter(|o| o.layer == name).collect();
        let mut found = false;
        for p in profiles.iter_mut() {
            for l in p.layers.iter_mut().filter(|l| l.name == name) {
                found = true;
                *l = overridden(l, &mine)?;
            }
        }
        if !found {
            return Err(unknown_layer(name, &mine, profiles, scope));
        }
    }
    Ok(())
}

fn unknown_layer(name: &str, mine: &[&Override], profiles: &[Profile], scope: &str) -> String {
    let mut msg = format!(
        "--set {}: no layer `{name}` in {scope}; their layers are:",
        mine[0].arg
    );
    for p in profiles.iter().filter(|p| !p.layers.is_empty()) {
        let layers: Vec<&str> = p.layers.iter().map(|l| l.name.as_str()).collect();
        msg.push_str(&format!("\n  {}: {}", p.name, layers.join(", ")));
    }
    if profiles.iter().all(|p| p.layers.is_empty()) {
        msg.push_str(" none (layers inferred from a capture cannot be set)");
    }
    msg
}

/// The layer re-parsed from its own table with the overrides written into it.
fn overridden(layer: &super::Layer, mine: &[&Override]) -> Result<super::Layer, String> {
    let Some(spec) = &layer.spec else {
        return Err(format!(
            "--set {}: layer `{}` was inferred from the capture's headers, not read from a profile: it cannot be set",
            mine[0].arg, layer.name
        ));
    };
    let mut table = spec.clone();
    for o in mine {
        match &o.value {
            Some(v) => table.insert(o.key.clone(), v.clone()),
            None => table.remove(&o.key),
        };
    }
    let mut doc = toml::Table::new();
    doc.insert("name".into(), toml::Value::String("command-line".into()));
    doc.insert(
        "layer".into(),
        toml::Value::Array(vec![toml::Value::Table(table)]),
    );
    let text = toml::to_string(&doc).map_err(|e| format!("--set {}: {e}", mine[0].arg))?;
    let mut parsed = parse::parse("--set", &text).map_err(|e| {
        let culprit = e
            .key
            .as_deref()
            .and_then(|k| mine.iter().find(|o| o.key == k))
            .unwrap_or(&mine[0]);
        match &e.key {
            Some(k) => format!("--set {}: `{k}`: {}", culprit.arg, e.problem),
            None => format!("--set {}: {}", culprit.arg, e.problem),
        }
    })?;
    let mut new = parsed.layers.remove(0);
    let changes: Vec<String> = mine
        .iter()
        .filter(|o| !matches!(o.key.as_str(), "assumption" | "note" | "source"))
        .map(|o| o.change())
        .collect();
    let set_by_user = mine.iter().any(|o| o.key == "assumption");
    new.assumption = match (changes.is_empty(), set_by_user, &layer.assumption) {
        (true, _, _) => new.assumption,
        (false, true, _) => Some(format!(
            "{}; set on the command line: {}",
            new.assumption.unwrap_or_default(),
            changes.join(", ")
        )),
        (false, false, Some(before)) => Some(format!(
            "set on the command line: {} (the profile assumed: {before})",
            changes.join(", ")
        )),
        (false, false, None) => Some(format!("set on the command line: {}", changes.join(", "))),
    };
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::{Limiter, builtin_named};

    fn set(args: &[&str]) -> Vec<Override> {
        args.iter().map(|a| parse_override(a).unwrap()).collect()
    }

    #[test]
    fn values_keep_their_toml_type_or_are_text() {
        let o = parse_override("rest.bucket.capacity=80").unwrap();
        assert_eq!(
            (o.layer.as_str(), o.key.as_str()),
            ("rest.bucket", "capacity")
        );
        assert_eq!(o.value, Some(toml::Value::Integer(80)));
        let o = parse_override("rest.bucket.rate=20/s").unwrap();
        assert_eq!(o.value, Some(toml::Value::String("20/s".into())));
        assert_eq!(o.value_text(), "20/s");
        let o = parse_override("a.per=user,client").unwrap();
        assert_eq!(o.value_text(), "[\"user\", \"client\"]");
        let o = parse_override("a.page_size=[1, 25]").unwrap();
        assert!(matches!(o.value, Some(toml::Value::Array(_))));
        assert_eq!(parse_override("a.window=").unwrap().value, None);
        for bad in [
            "capacity=80",
            "rest.bucket.capacity",
            ".x=1",
            "a.=1",
            "a.name=b",
        ] {
            assert!(parse_override(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_override_changes_the_numbers_and_says_so() {
        let mut ps = vec![builtin_named("shopify-rest").unwrap()];
        apply(
            &mut ps,
            &set(&["rest.bucket.capacity=80", "rest.bucket.rate=4/s"]),
            "the profiles",
        )
        .unwrap();
        let l = ps[0]
            .layers
            .iter()
            .find(|l| l.name == "rest.bucket")
            .unwrap();
        match l.limiter {
            Limiter::Bucket { capacity, rate, .. } => {
                assert_eq!(capacity, 80);
                assert_eq!(rate.per_second(), 4.0);
            }
            ref other => panic!("{other:?}"),
        }
        let a = l.assumption.as_deref().unwrap();
        assert!(
            a.starts_with(
                "set on the command line: capacity = 80, rate = 4/s (the profile assumed: "
            ),
            "{a}"
        );
        assert!(l.source.as_deref().unwrap().starts_with("https://"));
    }

    #[test]
    fn an_empty_value_removes_a_key_to_change_the_algorithm() {
        let mut ps = vec![builtin_named("zendesk").unwrap()];
        let name = "zendesk.account.per.minute";
        let sets = [
            "algorithm=token-bucket",
            "limit=",
            "window=",
            "capacity=400",
            "rate=400/min",
        ]
        .map(|s| format!("{name}.{s}"));
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        apply(&mut ps, &set(&sets), "x").unwrap();
        let l = ps[0].layers.iter().find(|l| l.name == name).unwrap();
        assert_eq!(l.limiter.algorithm(), "token-bucket");
        let a = l.assumption.as_deref().unwrap();
        assert!(
            a.starts_with("set on the command line: algorithm = token-bucket, limit removed, window removed, capacity = 400, rate = 400/min"),
            "{a}"
        );
    }

    #[test]
    fn a_bad_value_names_the_key_and_the_shape() {
        let mut ps = vec![builtin_named("shopify-rest").unwrap()];
        let e = apply(&mut ps, &set(&["rest.bucket.capacity=lots"]), "x").unwrap_err();
        assert!(
            e.starts_with("--set rest.bucket.capacity=lots: `capacity`:"),
            "{e}"
        );
        assert!(e.contains("a whole number"), "{e}");
        let e = apply(&mut ps, &set(&["rest.bucket.rate=fast"]), "x").unwrap_err();
        assert!(e.contains("`rate`") && e.contains("\"5/s\""), "{e}");
        let e = apply(&mut ps, &set(&["rest.bucket.limit=100"]), "x").unwrap_err();
        assert!(e.contains("does not apply to algorithm"), "{e}");
        let e = apply(&mut ps, &set(&["rest.bucket.capacty=80"]), "x").unwrap_err();
        assert!(e.contains("capacty") && e.contains("unknown field"), "{e}");
    }

    #[test]
    fn an_unknown_layer_lists_the_layers() {
        let mut ps = vec![builtin_named("github").unwrap()];
        let e = apply(
            &mut ps,
            &set(&["nope.limit=1"]),
            "the profiles given with --profile",
        )
        .unwrap_err();
        assert!(
            e.contains("no layer `nope` in the profiles given with --profile"),
            "{e}"
        );
        assert!(e.contains("github: primary.authenticated.per.hour"), "{e}");
    }
}

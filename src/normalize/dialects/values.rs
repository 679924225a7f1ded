//! The small value grammars rate-limit dialects share: integers, decimals, reset times in
//! every form servers write them, Go-style durations, and Structured-Field lists — each with
//! the writer that gives back text reading to the very same value (sanitized copies depend on
//! it). Pure.

use crate::model::{Micros, ResetForm, time};

use super::super::time::{parse_http_date, parse_started};

/// Largest count accepted (larger values are damage, not budgets).
const MAX_COUNT: u64 = 1_000_000_000_000_000;

/// An unsigned integer making up the whole value (`"100"`, `" 7 "`).
pub fn int(v: &str) -> Option<u64> {
    let v = v.trim();
    if v.is_empty() || v.len() > 19 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok().filter(|n| *n <= MAX_COUNT)
}

/// The leading unsigned integer of a value (`"100, 100;w=60"` → 100).
pub fn leading_int(v: &str) -> Option<u64> {
    let v = v.trim_start();
    let end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    if end == 0 || end > 19 {
        return None;
    }
    v[..end].parse().ok().filter(|n| *n <= MAX_COUNT)
}

/// A non-negative decimal making up the whole value (`"1.5"`, `"30"`); no exponent, no sign.
pub fn decimal(v: &str) -> Option<f64> {
    let v = v.trim();
    let ok = !v.is_empty()
        && v.len() <= 24
        && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && v.bytes().filter(|b| *b == b'.').count() <= 1
        && v.bytes().any(|b| b.is_ascii_digit());
    if !ok {
        return None;
    }
    v.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// A count written by a server as a JSON number: a non-negative integer within range.
pub fn json_count(v: &serde_json::Value) -> Option<u64> {
    match v {
        serde_json::Value::Number(n) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            })
            .filter(|n| *n <= MAX_COUNT),
        serde_json::Value::String(s) => int(s),
        _ => None,
    }
}

/// A non-negative finite JSON number (or a decimal string).
pub fn json_decimal(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n
            .as_f64()
            .filter(|x| x.is_finite() && *x >= 0.0)
            .map(stable),
        serde_json::Value::String(s) => decimal(s),
        _ => None,
    }
}

/// The nearest number that JSON writing and reading keep as it is. serde_json's fast float
/// parser may land one unit in the last place from the exact value, so a long decimal read
/// and written back could read as a neighbour; a sanitized body must read the same.
fn stable(x: f64) -> f64 {
    let mut x = x;
    for _ in 0..4 {
        let again = serde_json::to_string(&x)
            .ok()
            .and_then(|t| serde_json::from_str::<f64>(&t).ok())
            .unwrap_or(x);
        if again == x {
            break;
        }
        x = again;
    }
    x
}

/// A number as why429 writes it: integers without a fraction, fractions in full (never an
/// exponent), which `decimal` parses back to the same value.
pub fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// Whether `value` is exactly how why429 writes `n` (so quoting it is quoting the server).
pub fn is_written_as(value: &str, n: u64) -> bool {
    value.trim() == n.to_string()
}

/// Seconds with up to six decimals to exact microseconds (`"1700000000.123"`), for epochs.
fn seconds_micros(v: &str) -> Option<i64> {
    let v = v.trim();
    let (int_part, frac) = v.split_once('.').unwrap_or((v, ""));
    if int_part.is_empty()
        || int_part.len() > 12
        || frac.len() > 9
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (v.contains('.') && frac.is_empty())
    {
        return None;
    }
    let whole: i64 = int_part.parse().ok()?;
    let mut micros: i64 = 0;
    for (i, d) in frac.bytes().take(6).enumerate() {
        micros += i64::from(d - b'0') * 10i64.pow(5 - i as u32);
    }
    Some(whole * time::SECOND + micros)
}

/// Microseconds as decimal seconds without trailing zeros (`1_500_000` → `"1.5"`).
fn micros_seconds(us: i64) -> String {
    let (s, f) = (us.div_euclid(time::SECOND), us.rem_euclid(time::SECOND));
    if f == 0 {
        s.to_string()
    } else {
        format!("{s}.{}", format!("{f:06}").trim_end_matches('0'))
    }
}

/// How a dialect writes its reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetAs {
    /// Detect: delta-seconds, epoch seconds or milliseconds, an HTTP date or ISO 8601.
    Detect,
    /// Delta-seconds, decimals allowed.
    Seconds,
    /// Milliseconds from now.
    Millis,
    /// A Go-style duration (`6m0s`, `20ms`).
    Duration,
}

/// Epoch values beyond this many seconds are read as milliseconds.
const EPOCH_MS_ABOVE: f64 = 1.0e12;
/// Numbers beyond this many seconds are epochs (2001-09-09), not countdowns.
const EPOCH_S_ABOVE: f64 = 1.0e9;

/// Reads a reset value into time from the response until the reset (never negative) and the
/// form it was written in.
pub fn reset(v: &str, how: ResetAs, response_at: Micros) -> Option<(Micros, ResetForm)> {
    let v = v.trim();
    let ahead = |at: Micros| at.saturating_sub(response_at).max(0);
    match how {
        ResetAs::Seconds => decimal(v).map(|s| (time::secs(s), ResetForm::DeltaSeconds)),
        ResetAs::Millis => decimal(v).map(|ms| (time::secs(ms / 1000.0), ResetForm::DeltaMillis)),
        ResetAs::Duration => duration(v).map(|d| (d, ResetForm::Duration)),
        ResetAs::Detect => {
            if let Some(n) = decimal(v) {
                return Some(if n > EPOCH_MS_ABOVE {
                    let ms = int(v)?;
                    (
                        ahead((ms as i64).saturating_mul(time::MILLISECOND)),
                        ResetForm::EpochMillis,
                    )
                } else if n > EPOCH_S_ABOVE {
                    (ahead(seconds_micros(v)?), ResetForm::EpochSeconds)
                } else {
                    (time::secs(n), ResetForm::DeltaSeconds)
                });
            }
            if let Some(at) = parse_http_date(v) {
                return Some((ahead(at), ResetForm::HttpDate));
            }
            parse_started(v).map(|(at, _)| (ahead(at), ResetForm::Iso8601))
        }
    }
}

/// Writes a reset in `form` so that `reset` reads it back to `reset_us`.
pub fn write_reset(reset_us: Micros, form: ResetForm, response_at: Micros) -> String {
    let at = response_at.saturating_add(reset_us);
    match form {
        ResetForm::DeltaSeconds => num(time::as_secs(reset_us)),
        ResetForm::DeltaMillis => num(reset_us as f64 / 1000.0),
        ResetForm::EpochSeconds => micros_seconds(at),
        // a reset in the past was read as 0: any time up to the response reads back to 0
        ResetForm::EpochMillis => at.div_euclid(time::MILLISECOND).to_string(),
        ResetForm::HttpDate => time::http_date(at),
        ResetForm::Iso8601 => time::rfc3339_exact(at, 0).replace("+00:00", "Z"),
        ResetForm::Duration => write_duration(reset_us),
    }
}

/// Whether a reset value is written as the very number of seconds it means (`30`, `1.5`).
pub fn reset_is_plain(v: &str, reset_us: Micros, form: ResetForm) -> bool {
    form == ResetForm::DeltaSeconds && v.trim() == num(time::as_secs(reset_us))
}

/// A Go-style duration (`1h2m3.5s`, `6m0s`, `20ms`, `250us`) in microseconds.
pub fn duration(v: &str) -> Option<Micros> {
    let v = v.trim();
    if v.is_empty() || v.len() > 40 {
        return None;
    }
    if v == "0" {
        return Some(0);
    }
    let b = v.as_bytes();
    let (mut i, mut total) = (0usize, 0f64);
    while i < b.len() {
        let start = i;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
            i += 1;
        }
        let n = decimal(&v[start..i])?;
        let unit_start = i;
        while i < b.len() && !(b[i].is_ascii_digit() || b[i] == b'.') {
            i += 1;
        }
        let scale = match &v[unit_start..i] {
            "h" => 3600e6,
            "m" => 60e6,
            "s" => 1e6,
            "ms" => 1e3,
            "us" | "µs" | "μs" => 1.0,
            "ns" => 1e-3,
            _ => return None,
        };
        total += n * scale;
    }
    (total.is_finite() && total < 1e17).then(|| total.round() as Micros)
}

/// A Go-style duration that `duration` reads back to `us` (`6m0s`, `1.5s`, `20ms`).
pub fn write_duration(us: Micros) -> String {
    let us = us.max(0);
    if us == 0 {
        return "0s".into();
    }
    if us < time::SECOND {
        return format!("{}ms", num(us as f64 / 1000.0));
    }
    let (h, rest) = (us / (3600 * time::SECOND), us % (3600 * time::SECOND));
    let (m, rest) = (rest / (60 * time::SECOND), rest % (60 * time::SECOND));
    let s = micros_seconds(rest);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, m) => format!("{m}m{s}s"),
        (h, m) => format!("{h}h{m}m{s}s"),
    }
}

/// Splits a Structured-Field list on commas outside quotes.
pub fn sf_list(v: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in v.char_indices() {
        match c {
            '\\' if quoted && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => quoted = !quoted,
            ',' if !quoted => {
                out.push(v[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        escaped = false;
    }
    out.push(v[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

/// One member of a Structured-Field list: its bare item and its parameters, split on `;`
/// outside quotes. Parameter values keep their text (quotes removed from strings).
pub struct SfItem<'a> {
    /// The bare item (`"burst"`, `burst`, `100`), as written.
    pub item: &'a str,
    /// `(key, value)` parameters.
    pub params: Vec<(&'a str, &'a str)>,
}

impl<'a> SfItem<'a> {
    /// Parses one list member.
    pub fn parse(member: &'a str) -> SfItem<'a> {
        let mut parts = Vec::new();
        let (mut start, mut quoted, mut escaped) = (0, false, false);
        for (i, c) in member.char_indices() {
            match c {
                '\\' if quoted && !escaped => {
                    escaped = true;
                    continue;
                }
                '"' if !escaped => quoted = !quoted,
                ';' if !quoted => {
                    parts.push(member[start..i].trim());
                    start = i + 1;
                }
                _ => {}
            }
            escaped = false;
        }
        parts.push(member[start..].trim());
        let item = parts.first().copied().unwrap_or("");
        let params = parts[1..]
            .iter()
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.trim(), unquote(v.trim())),
                None => (p.trim(), "?1"),
            })
            .collect();
        SfItem { item, params }
    }

    /// A parameter's value.
    pub fn param(&self, key: &str) -> Option<&'a str> {
        self.params.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// The bare item as a name: a quoted string's content or a token; `None` for numbers.
    pub fn name(&self) -> Option<&'a str> {
        let it = self.item;
        if it.len() >= 2 && it.starts_with('"') && it.ends_with('"') {
            return Some(&it[1..it.len() - 1]);
        }
        let token = it
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'*');
        token.then_some(it)
    }
}

/// A Structured-Field string's content without its quotes (escapes left as written).
fn unquote(v: &str) -> &str {
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

/// Whether a name can be written as a Structured-Field token (else it is written quoted).
pub fn sf_token(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'*')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::SECOND;

    #[test]
    fn integers_and_decimals() {
        assert_eq!(int(" 42 "), Some(42));
        assert_eq!(int("42;w=1"), None);
        assert_eq!(leading_int("42;w=1"), Some(42));
        assert_eq!(int("99999999999999999999999"), None);
        assert_eq!(decimal("1.5"), Some(1.5));
        assert_eq!(decimal("1e3"), None);
        assert_eq!(decimal("-5"), None);
        assert_eq!(decimal("."), None);
        for x in [0.0, 1.0, 1.5, 0.001, 123456.789, 3e-7] {
            assert_eq!(decimal(&num(x)), Some(x), "{x}");
        }
    }

    #[test]
    fn resets_in_every_form_read_back() {
        let now = 1_700_000_000 * SECOND + 250_000;
        let cases = [
            ("30", ResetForm::DeltaSeconds, 30 * SECOND),
            ("1.5", ResetForm::DeltaSeconds, 1_500_000),
            (
                "1700003600",
                ResetForm::EpochSeconds,
                3600 * SECOND - 250_000,
            ),
            ("1700000001.5", ResetForm::EpochSeconds, 1_250_000),
            (
                "1700003600000",
                ResetForm::EpochMillis,
                3600 * SECOND - 250_000,
            ),
            (
                "Tue, 14 Nov 2023 22:13:27 GMT",
                ResetForm::HttpDate,
                7 * SECOND - 250_000,
            ),
            (
                "2023-11-14T22:13:27Z",
                ResetForm::Iso8601,
                7 * SECOND - 250_000,
            ),
            ("2023-11-14T22:13:27.5+00:00", ResetForm::Iso8601, 7_250_000),
            ("1600000000", ResetForm::EpochSeconds, 0),
        ];
        for (text, form, us) in cases {
            let (r, f) = reset(text, ResetAs::Detect, now).unwrap();
            assert_eq!((r, f), (us, form), "{text}");
            let again = write_reset(r, f, now);
            assert_eq!(reset(&again, ResetAs::Detect, now), Some((r, f)), "{again}");
        }
        assert!(reset("soon", ResetAs::Detect, now).is_none());
    }

    #[test]
    fn go_durations() {
        // OpenAI documents `1s` and `6m0s`; its responses also carry `12ms` and `1m30.5s`
        for (text, us) in [
            ("1s", SECOND),
            ("6m0s", 360 * SECOND),
            ("12ms", 12_000),
            ("1m30.5s", 90_500_000),
            ("1h2m3s", 3723 * SECOND),
            ("250us", 250),
            ("0", 0),
        ] {
            assert_eq!(duration(text), Some(us), "{text}");
            assert_eq!(duration(&write_duration(us)), Some(us), "{text}");
        }
        assert_eq!(write_duration(360 * SECOND), "6m0s");
        assert_eq!(write_duration(12_000), "12ms");
        assert!(duration("6 minutes").is_none());
        assert!(duration("1x").is_none());
    }

    #[test]
    fn structured_field_members() {
        let list = sf_list(r#""burst";q=100;w=60, "a,b";q=1, daily;q=1000;pk=:cGs=:"#);
        assert_eq!(list.len(), 3);
        let m = SfItem::parse(list[0]);
        assert_eq!(
            (m.name(), m.param("q"), m.param("w")),
            (Some("burst"), Some("100"), Some("60"))
        );
        assert_eq!(SfItem::parse(list[1]).name(), Some("a,b"));
        let m = SfItem::parse(list[2]);
        assert_eq!((m.name(), m.param("pk")), (Some("daily"), Some(":cGs=:")));
        assert_eq!(SfItem::parse("100;w=60").name(), None);
        assert!(sf_token("burst") && !sf_token("a b") && !sf_token("1x"));
    }
}

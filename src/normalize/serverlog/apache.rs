//! Apache httpd access logs: a `LogFormat` compiled into a matcher.
//!
//! Owns reading mod_log_config's syntax (`%h %l %u %t \"%r\" %>s %b ...`, with `<`/`>`
//! modifiers, status conditions such as `%400,501{User-agent}i`, and `{...}` arguments) given
//! bare, with config escapes (`\"`), as a whole `LogFormat "..." nickname` directive, or as
//! `combined` / `common`. `%t` is when the request arrived (as `%{begin:...}t`); `%{end:...}t`
//! when the line was written; `%D` and `%{us}T` are microseconds, `%T` seconds. `%s` gives way
//! to `%>s` (the final status) when both are logged. Directives why429 does not use are matched
//! and ignored. Pure.

use super::fields::{DurationUnit, Moment, RANK_SERVER_ID, Var, header_var};
use super::pattern::{self, Pattern, Token};
use super::time::EpochUnit;

/// Apache's `combined` nickname, as its default configuration defines it.
pub const COMBINED: &str = r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i""#;
/// Apache's `common` nickname.
pub const COMMON: &str = r#"%h %l %u %t "%r" %>s %b"#;

/// The format text of a `LogFormat` directive, or the text as given, with config escapes
/// (`\"`, `\\`, `\t`, `\n`) undone.
fn unwrap_directive(spec: &str) -> Result<String, String> {
    let s = spec.trim();
    let inner = match s.strip_prefix("LogFormat") {
        Some(rest) => {
            let rest = rest.trim_start();
            let body = rest
                .strip_prefix('"')
                .ok_or("the LogFormat directive has no quoted format string")?;
            // the closing quote is the first one not escaped
            let mut end = None;
            let mut escaped = false;
            for (i, c) in body.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let end = end.ok_or("the LogFormat directive's format string is not closed")?;
            return Ok(unescape(&body[..end]));
        }
        None => s,
    };
    Ok(if inner.contains("\\\"") {
        unescape(inner)
    } else {
        inner.to_string()
    })
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The field of one directive (`letter` and its `{argument}`), and whether Apache writes it in
/// square brackets.
fn directive(letter: char, arg: Option<&str>) -> (Var, bool) {
    let field = |v| (v, false);
    match (letter, arg) {
        ('h' | 'a', _) => field(Var::RemoteAddr),
        ('u', _) => field(Var::User),
        ('t', None) => (Var::TimeClf(Moment::Start), true),
        ('t', Some(a)) => {
            let (moment, a) = match (a.strip_prefix("begin:"), a.strip_prefix("end:")) {
                (Some(rest), _) => (Moment::Start, rest),
                (_, Some(rest)) => (Moment::End, rest),
                _ => (Moment::Start, a),
            };
            field(match a {
                "sec" => Var::TimeEpoch(EpochUnit::Seconds, moment),
                "msec" => Var::TimeEpoch(EpochUnit::Millis, moment),
                "usec" => Var::TimeEpoch(EpochUnit::Micros, moment),
                "msec_frac" | "usec_frac" => Var::Ignore,
                format => Var::TimeStrftime(format.to_string(), moment),
            })
        }
        ('r', _) => field(Var::Request),
        ('m', _) => field(Var::Method),
        ('U', _) => field(Var::Path),
        // a plain %s is the original status of an internally redirected request; `tokens`
        // drops it when the format also logs %>s
        ('s', _) => field(Var::Status),
        ('T', None | Some("s")) => field(Var::Duration(DurationUnit::Seconds)),
        ('T', Some("ms")) => field(Var::Duration(DurationUnit::Millis)),
        ('T', Some("us")) | ('D', _) => field(Var::Duration(DurationUnit::Micros)),
        ('i', Some(h)) => field(header_var(h, false)),
        ('o', Some(h)) => field(header_var(h, true)),
        ('e', Some(v)) if v.eq_ignore_ascii_case("UNIQUE_ID") => {
            field(Var::Correlation(RANK_SERVER_ID))
        }
        ('L', _) => field(Var::Correlation(RANK_SERVER_ID)),
        ('V', _) => field(Var::Host),
        _ => field(Var::Ignore),
    }
}

/// Splits Apache format text into literal text and directives.
pub fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut finals = Vec::new(); // index in `out` of each `%s` and whether it had `>`
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            lit.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            lit.push('%');
            continue;
        }
        let mut final_status = false;
        let mut arg: Option<String> = None;
        // modifiers: < >, a status condition (!, digits, commas), then {argument}
        loop {
            match chars.peek() {
                Some('<') => {
                    chars.next();
                }
                Some('>') => {
                    chars.next();
                    final_status = true;
                }
                Some(c) if *c == '!' || *c == ',' || c.is_ascii_digit() => {
                    chars.next();
                }
                Some('{') => {
                    chars.next();
                    let mut a = String::new();
                    let mut closed = false;
                    for c in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        a.push(c);
                    }
                    if !closed {
                        return Err("a %{...} argument in the LogFormat is not closed".into());
                    }
                    arg = Some(a);
                }
                Some('^') => {
                    // %^ti / %^to: trailers, two letters
                    chars.next();
                    chars.next();
                    break;
                }
                _ => break,
            }
        }
        let Some(letter) = chars.next() else {
            return Err("the LogFormat ends with a lone %".into());
        };
        if !letter.is_ascii_alphabetic() {
            return Err("a % in the LogFormat is not followed by a directive letter".into());
        }
        let (var, bracketed) = directive(letter, arg.as_deref());
        if !lit.is_empty() {
            out.push(Token::Lit(std::mem::take(&mut lit)));
        }
        if letter == 's' {
            finals.push((out.len(), final_status));
        }
        out.push(Token::Field { var, bracketed });
    }
    if !lit.is_empty() {
        out.push(Token::Lit(lit));
    }
    // when %>s is logged, a plain %s is the original status: ignore it
    if finals.iter().any(|(_, f)| *f) {
        for (i, f) in finals {
            if !f {
                out[i] = Token::Field {
                    var: Var::Ignore,
                    bracketed: false,
                };
            }
        }
    }
    Ok(out)
}

/// Compiles a format given by the user: `combined`, `common`, format text, or a `LogFormat`
/// directive.
pub fn compile(spec: &str) -> Result<Pattern, String> {
    let text = match spec.trim() {
        "combined" => COMBINED.to_string(),
        "common" => COMMON.to_string(),
        other => unwrap_directive(other)?,
    };
    let toks = tokens(&text)?;
    let vars: Vec<Var> = toks
        .iter()
        .filter_map(|t| match t {
            Token::Field { var, .. } => Some(var.clone()),
            Token::Lit(_) => None,
        })
        .collect();
    pattern::check_usable(&vars)?;
    Pattern::compile(&toks, false)
}

#[cfg(test)]
mod tests {
    use super::super::fields::Draft;
    use super::*;
    use crate::model::{Method, time::SECOND};
    use crate::normalize::FingerprintKey;

    fn key() -> FingerprintKey {
        FingerprintKey::from_passphrase("apache")
    }

    #[test]
    fn combined_with_microseconds() {
        let p = compile(
            r#"LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\" %D \"%{X-Correlation-Id}o\"" combined_timed"#,
        )
        .unwrap();
        let mut d = Draft::default();
        p.read(
            r#"198.51.100.7 - alice [28/Nov/2026:04:06:37 +0100] "POST /api/v2/analytics/conversations/details/query HTTP/1.1" 429 87 "-" "Mozilla/5.0 \"quoted\"" 41250 "c0ffee""#,
            &mut d,
        )
        .unwrap();
        let f = d.finish(1, &key()).unwrap();
        assert!(!f.from_end);
        assert_eq!(f.resolution, SECOND);
        let r = f.record;
        // %t is the arrival
        assert_eq!(r.time, 1_795_835_197_000_000);
        assert_eq!(r.duration, Some(41_250));
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.status, Some(429));
        assert_eq!(r.throttled, 1);
        assert_eq!(&**r.user.unwrap().expose_for_computation(), "alice");
        assert_eq!(r.correlation.unwrap().expose_for_computation(), "c0ffee");
    }

    #[test]
    fn nicknames_and_escaped_text_compile() {
        for spec in [
            "combined",
            "common",
            COMBINED,
            r#"%h %l %u %t \"%r\" %>s %b"#,
            r#"%{%Y-%m-%dT%H:%M:%S%z}t %m %U %s %{ms}T %400,501{User-agent}i %^ti %%"#,
        ] {
            compile(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
        }
        assert!(compile("%h %>s").unwrap_err().contains("no time"));
        assert!(compile("%t %r %").is_err());
        assert!(compile("%t %r %{Referer").is_err());
        assert!(compile("LogFormat \"%t %r").is_err());
    }

    #[test]
    fn final_status_wins_and_strftime_times_are_read() {
        let p = compile("%{%Y-%m-%d %H:%M:%S %z}t %m %U %s %>s %{ms}T").unwrap();
        let mut d = Draft::default();
        p.read("2026-11-28 03:06:37 +0000 GET /a 302 429 12", &mut d)
            .unwrap();
        let r = d.finish(1, &key()).unwrap().record;
        assert_eq!(r.status, Some(429));
        assert_eq!(r.duration, Some(12_000));
        assert_eq!(r.time, 1_795_835_197_000_000);
        let p = compile("%{%Y-%m-%d %H:%M:%S}t %r").unwrap();
        let mut d = Draft::default();
        assert!(
            p.read("2026-11-28 03:06:37 GET / HTTP/1.1", &mut d)
                .unwrap_err()
                .contains("no zone")
        );
    }
}

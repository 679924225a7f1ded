//! A compiled text log format: literal text and fields, matched against one line.
//!
//! Owns turning the tokens of an nginx `log_format` or an Apache `LogFormat` into one anchored
//! regular expression (the `regex` crate: linear time, no catastrophic backtracking on hostile
//! lines) and reading a line's captures into a `Draft`. A field inside double quotes may hold
//! escaped quotes (`\"`, as Apache writes them); any other field ends at the first place the
//! literal after it matches. It must not know which log format the tokens came from. Pure.

use regex::{Regex, RegexBuilder};

use super::fields::{Draft, Var};

/// One piece of a format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    /// Text written as it is.
    Lit(String),
    /// A field. `bracketed`: the field's value is written inside `[...]` (Apache `%t`).
    Field {
        /// What it holds.
        var: Var,
        /// Written as `[value]`.
        bracketed: bool,
    },
}

/// A format compiled into a matcher.
#[derive(Clone, Debug)]
pub struct Pattern {
    regex: Regex,
    vars: Vec<Var>,
}

/// Largest compiled matcher accepted (a format string is user input).
const SIZE_LIMIT: usize = 1 << 20;

impl Pattern {
    /// Compiles tokens. With `trailing`, text after the last token is allowed (and ignored):
    /// how a format recognised by its prefix reads lines that log more fields at the end.
    pub fn compile(tokens: &[Token], trailing: bool) -> Result<Pattern, String> {
        let mut re = String::from("(?s)^");
        let mut vars = Vec::new();
        for (i, t) in tokens.iter().enumerate() {
            match t {
                Token::Lit(s) => re.push_str(&regex::escape(s)),
                Token::Field { var, bracketed } => {
                    let next = tokens[i + 1..].iter().find_map(|t| match t {
                        Token::Lit(s) if !s.is_empty() => s.chars().next(),
                        Token::Lit(_) => None,
                        Token::Field {
                            bracketed: true, ..
                        } => Some('['),
                        Token::Field { .. } => Some('\u{0}'),
                    });
                    let quoted = next == Some('"')
                        && match tokens[..i].iter().rev().find_map(|t| match t {
                            Token::Lit(s) if !s.is_empty() => s.chars().last(),
                            Token::Lit(_) => None,
                            Token::Field { .. } => Some('\u{0}'),
                        }) {
                            Some(c) => c == '"',
                            None => false,
                        };
                    let last = next.is_none() && !trailing;
                    let body = if *bracketed {
                        r"\[([^\]]*)\]".to_string()
                    } else if quoted {
                        r#"((?:[^"\\]|\\.)*)"#.to_string()
                    } else {
                        shape(var, last)
                    };
                    re.push_str(&body);
                    vars.push(var.clone());
                }
            }
        }
        if trailing {
            re.push_str(r"(?:\s.*)?");
        }
        re.push('$');
        let regex = RegexBuilder::new(&re)
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(|_| "the format is too large to compile".to_string())?;
        Ok(Pattern { regex, vars })
    }

    /// Reads one line into `draft`.
    pub fn read(&self, line: &str, draft: &mut Draft) -> Result<(), String> {
        let caps = self
            .regex
            .captures(line)
            .ok_or_else(|| "the line does not match the log format".to_string())?;
        for (i, var) in self.vars.iter().enumerate() {
            if let Some(m) = caps.get(i + 1) {
                draft.apply(var, m.as_str())?;
            }
        }
        Ok(())
    }

    /// The fields the format holds.
    pub fn vars(&self) -> &[Var] {
        &self.vars
    }
}

/// The sub-pattern of a field that is neither quoted nor bracketed. Fields whose values never
/// hold a space (numbers, times without one, methods, raw targets, addresses, ids) match no
/// space, so a field with spaces beside them (a strftime time, `$time_local` without brackets)
/// cannot take their place; others match anything, as little as the line allows.
fn shape(var: &Var, last: bool) -> String {
    let any = if last { "(.*)" } else { "(.*?)" };
    let word = if last { r"(\S*)" } else { r"(\S*?)" };
    match var {
        Var::Status
        | Var::Duration(_)
        | Var::TimeIso(_)
        | Var::TimeEpoch(..)
        | Var::TimeAny(_)
        | Var::Method
        | Var::Target
        | Var::Host
        | Var::RemoteAddr
        | Var::User
        | Var::Client
        | Var::Token
        | Var::Correlation(_)
        | Var::LimitReq
        | Var::LimitConn => word.to_string(),
        Var::TimeClf(_) => r"(\S+(?:\s+[+-]\d{2}:?\d{2})?|-)".to_string(),
        Var::TimeStrftime(format, _) => {
            let spaces = format.split_whitespace().count().saturating_sub(1);
            format!(r"(\S+(?:\s+\S+){{{spaces}}}|-)")
        }
        Var::Request
        | Var::Path
        | Var::Authorization
        | Var::UserAgent
        | Var::ForwardedFor
        | Var::ClientName
        | Var::Template
        | Var::Ignore => any.to_string(),
    }
}

/// Checks that the fields can make a record: a time, a method and a path. Returns what is
/// missing, in why429's words.
pub fn check_usable(vars: &[Var]) -> Result<(), String> {
    let has = |f: &dyn Fn(&Var) -> bool| vars.iter().any(f);
    let time = has(&|v| {
        matches!(
            v,
            Var::TimeClf(_)
                | Var::TimeIso(_)
                | Var::TimeEpoch(..)
                | Var::TimeStrftime(..)
                | Var::TimeAny(_)
        )
    });
    let method = has(&|v| matches!(v, Var::Request | Var::Method));
    let path = has(&|v| matches!(v, Var::Request | Var::Target | Var::Path | Var::Template));
    let mut missing = Vec::new();
    if !time {
        missing.push("time");
    }
    if !method {
        missing.push("method");
    }
    if !path {
        missing.push("path");
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the format logs no {}: why429 needs the time, method and path of each request",
            missing.join(" or ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::fields::{DurationUnit, Moment};
    use super::*;
    use crate::normalize::FingerprintKey;

    fn lit(s: &str) -> Token {
        Token::Lit(s.into())
    }
    fn field(var: Var) -> Token {
        Token::Field {
            var,
            bracketed: false,
        }
    }

    #[test]
    fn quoted_fields_may_hold_escaped_quotes() {
        let p = Pattern::compile(
            &[
                Token::Field {
                    var: Var::TimeClf(Moment::Start),
                    bracketed: true,
                },
                lit(" \""),
                field(Var::Request),
                lit("\" "),
                field(Var::Status),
                lit(" \""),
                field(Var::UserAgent),
                lit("\""),
            ],
            false,
        )
        .unwrap();
        let mut d = Draft::default();
        p.read(
            r#"[28/Nov/2026:03:06:37 +0000] "GET /a HTTP/1.1" 200 "agent \"quoted\" x""#,
            &mut d,
        )
        .unwrap();
        let r = d
            .finish(1, &FingerprintKey::from_passphrase("p"))
            .unwrap()
            .record;
        assert_eq!(r.status, Some(200));
        assert_eq!(
            r.user_agent.as_ref().map(|u| &**u.expose_for_computation()),
            Some(r#"agent \"quoted\" x"#)
        );
    }

    #[test]
    fn trailing_text_is_allowed_only_when_asked() {
        let tokens = [
            field(Var::TimeIso(Moment::Start)),
            lit(" "),
            field(Var::Duration(DurationUnit::Seconds)),
        ];
        let strict = Pattern::compile(&tokens, false).unwrap();
        let loose = Pattern::compile(&tokens, true).unwrap();
        let line = "2026-11-28T03:06:37Z 0.5 extra";
        assert!(strict.read(line, &mut Draft::default()).is_err());
        loose.read(line, &mut Draft::default()).unwrap();
    }

    #[test]
    fn usable_formats_need_time_method_and_path() {
        assert!(check_usable(&[Var::TimeIso(Moment::End), Var::Request]).is_ok());
        let e = check_usable(&[Var::Status]).unwrap_err();
        assert!(
            e.starts_with("the format logs no time or method or path:"),
            "{e}"
        );
    }
}

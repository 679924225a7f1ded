//! JUnit XML: one testsuite per capture, for GitLab, Jenkins and JUnit report actions.
//!
//! Owns the mapping: a testcase per layer × partition budget (fails when the partition's peak
//! exceeded the limit), one per 429 (fails, with the cause and evidence in the failure body,
//! which GitLab shows), and one per CI gate when `check` ran gates. Test names are unique
//! within a suite. Every text is XML-escaped and stripped of characters XML forbids. Computes
//! nothing.

use std::io;

use crate::report::{CaptureReport, Report};

use super::Render;

/// JUnit XML.
pub struct Junit;

/// Escapes text for XML attributes and content (XML 1.0 forbids most control characters).
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

struct Case {
    name: String,
    failure: Option<(String, String, String)>, // (type, message, body)
}

fn cases(c: &CaptureReport) -> Vec<Case> {
    let mut out = Vec::new();
    for g in &c.gates {
        out.push(Case {
            name: format!("gate {}", g.gate),
            failure: (!g.passed).then(|| ("gate".into(), g.message.clone(), g.message.clone())),
        });
    }
    for l in c.layers.iter().filter(|l| l.counted > 0) {
        for p in &l.partition_peaks {
            let budget = if l.kind == "concurrency" {
                format!("{} in flight", l.limit)
            } else {
                format!("{} per {} s", l.limit, l.window_s)
            };
            out.push(Case {
                // names stay the same across runs and machines: no fingerprint, no absolute path
                name: format!(
                    "budget {} · {}",
                    l.name,
                    if p.key.is_empty() { &p.partition } else { &p.key }
                ),
                failure: (p.peak > l.limit).then(|| {
                    (
                        "budget-exceeded".into(),
                        format!("peak {} over {budget}", p.peak),
                        format!(
                            "{} ({budget}) counted {} within one window in partition {} at {}; {} of them admitted.",
                            l.name,
                            super::plural(p.peak, "request"),
                            p.partition,
                            p.peak_at.as_deref().unwrap_or("-"),
                            p.peak_admitted
                        ),
                    )
                }),
            });
        }
    }
    for t in &c.throttles {
        let what = match (&t.layer, &t.kind) {
            (Some(l), _) => format!("{} on {l}", t.cause),
            (None, Some(k)) => format!("{} ({k})", t.cause),
            _ => t.cause.clone(),
        };
        let mut body = format!(
            "HTTP 429 on {} {} at {} (entry {}): {what}.\n",
            t.method, t.template, t.started, t.entry
        );
        for e in &t.evidence {
            body.push_str("- ");
            body.push_str(e);
            body.push('\n');
        }
        out.push(Case {
            name: format!("429 entry {} {} {}", t.entry, t.method, t.template),
            failure: Some((t.cause.clone(), what, body)),
        });
    }
    out
}

impl Render for Junit {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        let suites: Vec<(&CaptureReport, Vec<Case>)> =
            report.captures.iter().map(|c| (c, cases(c))).collect();
        let tests: usize = suites.iter().map(|(_, c)| c.len()).sum::<usize>() + report.errors.len();
        let failures: usize = suites
            .iter()
            .map(|(_, c)| c.iter().filter(|x| x.failure.is_some()).count())
            .sum();
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            out,
            r#"<testsuites name="why429" tests="{tests}" failures="{failures}" errors="{}">"#,
            report.errors.len()
        )?;
        for (c, cases) in &suites {
            let f = cases.iter().filter(|x| x.failure.is_some()).count();
            let suite = xml(&c.path);
            writeln!(
                out,
                r#"  <testsuite name="{suite}" tests="{}" failures="{f}" errors="0" skipped="0" time="0"{}>"#,
                cases.len(),
                c.started
                    .as_deref()
                    .map(|s| format!(r#" timestamp="{}""#, xml(s)))
                    .unwrap_or_default()
            )?;
            for case in cases {
                write!(
                    out,
                    r#"    <testcase classname="{suite}" name="{}" time="0""#,
                    xml(&case.name)
                )?;
                match &case.failure {
                    None => writeln!(out, "/>")?,
                    Some((kind, message, body)) => {
                        writeln!(out, ">")?;
                        writeln!(
                            out,
                            r#"      <failure type="{}" message="{}">{}</failure>"#,
                            xml(kind),
                            xml(message),
                            xml(body)
                        )?;
                        writeln!(out, "    </testcase>")?;
                    }
                }
            }
            writeln!(out, "    <system-out>{}</system-out>", xml(&c.verdict))?;
            writeln!(out, "  </testsuite>")?;
        }
        for e in &report.errors {
            let name = xml(&e.source);
            writeln!(
                out,
                r#"  <testsuite name="{name}" tests="1" failures="0" errors="1" skipped="0" time="0">"#
            )?;
            writeln!(
                out,
                r#"    <testcase classname="{name}" name="read capture" time="0">"#
            )?;
            writeln!(
                out,
                r#"      <error type="unreadable" message="{}">{}</error>"#,
                xml(&e.message),
                xml(&format!(
                    "{}{}: {}\nhint: {}",
                    e.source,
                    e.location
                        .as_deref()
                        .map(|l| format!(":{l}"))
                        .unwrap_or_default(),
                    e.message,
                    e.hint
                ))
            )?;
            writeln!(out, "    </testcase>")?;
            writeln!(out, "  </testsuite>")?;
        }
        writeln!(out, "</testsuites>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_xml() {
        assert_eq!(xml("a<b>&\"'\u{1b}"), "a&lt;b&gt;&amp;&quot;&apos;\u{fffd}");
    }
}

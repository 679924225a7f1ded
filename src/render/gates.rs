//! `check`'s text output: one line per capture with its gates, then what changed.
//!
//! Owns the compact CI log: PASS/FAIL per capture in path order, each failed gate and
//! regression on its own line, unreadable inputs, and a closing count. Computes nothing.

use std::io;

use crate::report::Report;

use super::{Render, Style, plain};

/// Gate results as text.
pub struct Gates {
    /// Colour.
    pub style: Style,
}

impl Gates {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.style.color {
            format!("{code}{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

impl Render for Gates {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        let mut failed = 0;
        for c in &report.captures {
            let bad_gates: Vec<_> = c.gates.iter().filter(|g| !g.passed).collect();
            let regressions: Vec<_> = c.changes.iter().filter(|ch| ch.regression).collect();
            let ok = bad_gates.is_empty() && regressions.is_empty();
            if !ok {
                failed += 1;
            }
            let status = if ok {
                self.paint("\x1b[32m", "PASS")
            } else {
                self.paint("\x1b[31m", "FAIL")
            };
            writeln!(
                out,
                "{status} {} ({}, {} × 429)",
                plain(&c.path),
                super::plural(c.requests, "request"),
                c.throttles.len()
            )?;
            for g in bad_gates {
                writeln!(out, "     --fail-on {}: {}", g.gate, plain(&g.message))?;
            }
            for ch in &c.changes {
                let tag = if ch.regression {
                    "regression"
                } else {
                    "change"
                };
                writeln!(out, "     {tag}: {}", plain(&ch.message))?;
            }
        }
        for e in &report.errors {
            let loc = e
                .location
                .as_deref()
                .map(|l| format!(":{l}"))
                .unwrap_or_default();
            writeln!(
                out,
                "{} {}{loc}: {} ({})",
                self.paint("\x1b[31m", "READ"),
                plain(&e.source),
                plain(&e.message),
                plain(&e.hint)
            )?;
        }
        writeln!(
            out,
            "{} checked: {} passed, {failed} failed, {} unreadable",
            super::plural(report.captures.len() as u64, "capture"),
            report.captures.len() - failed,
            report.errors.len()
        )
    }
}

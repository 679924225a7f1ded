//! GitHub Actions workflow commands: annotations for failed gates, regressions and warnings.
//!
//! Owns the `::error`/`::warning` lines with GitHub's escaping (`%`, CR, LF in data; also `:`
//! and `,` in properties), at most ten per level — GitHub shows no more per step — with the
//! rest summarised in a notice. The job summary (Markdown) is written by the caller. Computes
//! nothing.

use std::io;

use crate::report::Report;

use super::{Render, plain};

/// GitHub workflow commands.
#[derive(Default)]
pub struct Github {
    /// The `file` of each capture's annotations, by the capture's source (paths relative to
    /// the repository root); a capture not listed is named by its path in the input.
    pub files: std::collections::BTreeMap<String, String>,
}

impl Github {
    fn file(&self, source: &str, path: &str) -> String {
        self.files
            .get(source)
            .cloned()
            .unwrap_or_else(|| path.to_string())
    }
}

/// Most annotations of one level GitHub displays for a step.
pub const PER_LEVEL: usize = 10;

/// Escapes a workflow-command message.
pub fn data(s: &str) -> String {
    plain(
        &s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A"),
    )
}

/// Escapes a workflow-command property (`file`, `title`).
pub fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

impl Render for Github {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        let mut errors: Vec<(String, String, String)> = Vec::new(); // (file, title, message)
        let mut warnings: Vec<(String, String, String)> = Vec::new();
        for c in &report.captures {
            for g in c.gates.iter().filter(|g| !g.passed) {
                errors.push((
                    self.file(&c.source, &c.path),
                    format!("why429 --fail-on {}", g.gate),
                    g.message.clone(),
                ));
            }
            for ch in c.changes.iter().filter(|ch| ch.regression) {
                errors.push((
                    self.file(&c.source, &c.path),
                    "why429 regression".into(),
                    ch.message.clone(),
                ));
            }
            for f in c.findings.iter().filter(|f| f.severity != "info") {
                warnings.push((
                    self.file(&c.source, &c.path),
                    format!("why429 {}", f.kind),
                    f.message.clone(),
                ));
            }
        }
        for e in &report.errors {
            errors.push((
                self.file(&e.source, &e.source),
                "why429 cannot read this capture".into(),
                format!("{} ({})", e.message, e.hint),
            ));
        }
        for (level, list) in [("error", &errors), ("warning", &warnings)] {
            for (file, title, message) in list.iter().take(PER_LEVEL) {
                writeln!(
                    out,
                    "::{level} file={},title={}::{}",
                    property(file),
                    property(title),
                    data(message)
                )?;
            }
            if list.len() > PER_LEVEL {
                writeln!(
                    out,
                    "::notice title=why429::{}",
                    data(&format!(
                        "{} not shown as annotations: see the job summary or the JSON report",
                        super::plural((list.len() - PER_LEVEL) as u64, &format!("more {level}"))
                    ))
                )?;
            }
        }
        let failed = report
            .captures
            .iter()
            .filter(|c| {
                c.gates.iter().any(|g| !g.passed) || c.changes.iter().any(|ch| ch.regression)
            })
            .count();
        writeln!(
            out,
            "why429: {} checked, {failed} failed, {} unreadable",
            super::plural(report.captures.len() as u64, "capture"),
            report.errors.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_actions_toolkit() {
        assert_eq!(data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}

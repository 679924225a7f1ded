//! The Markdown report for GitHub and Discourse: the verdict first, then a plain-text summary.
//!
//! Owns the forum layout: a code-fenced plain-text block of at most 25 lines that reads well in
//! editors that do not render Markdown, then per capture the verdict, GFM tables and a
//! `<details>` block of evidence per 429. Every capture-derived string is escaped for Markdown
//! and HTML. Computes nothing.

use std::io;

use crate::report::{CaptureReport, Report};

use super::terminal::wrap;
use super::{Render, count, plain, plural};

/// GitHub/Discourse Markdown.
pub struct Markdown;

/// Most lines of the plain-text summary.
pub const SUMMARY_LINES: usize = 25;
/// Most throttles listed in the table; the JSON report has them all.
const MAX_ROWS: usize = 200;
/// Most throttles with an evidence block.
const MAX_DETAILS: usize = 30;

/// Escapes text for a Markdown table cell or paragraph (no raw HTML, no formatting), written
/// after other text on its line (so `#`, `>`, `-` or `1.` cannot start a block). Web addresses
/// in it become autolinks (`<https://…>`), which GitHub and Discourse keep whole, where
/// backslash escapes inside a bare address would break it.
pub fn escape(s: &str) -> String {
    let text = plain(s);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = find_url(rest) {
        out.push_str(&escape_text(&rest[..at]));
        let len = url_len(&rest[at..]);
        out.push('<');
        out.push_str(&rest[at..at + len]);
        out.push('>');
        rest = &rest[at + len..];
    }
    out.push_str(&escape_text(rest));
    out
}

/// Where the next `http://` or `https://` address starts.
fn find_url(s: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(k) = s[from..].find("http") {
        let at = from + k;
        let tail = &s[at..];
        let boundary = s[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        if boundary && (tail.starts_with("https://") || tail.starts_with("http://")) {
            let len = url_len(tail);
            if len > "https://".len() {
                return Some(at);
            }
        }
        from = at + 4;
    }
    None
}

/// Length of the address at the start of `s`: up to whitespace or a character an autolink
/// cannot hold, less trailing punctuation that belongs to the sentence.
fn url_len(s: &str) -> usize {
    let end = s
        .find(|c: char| {
            c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`' | '|')
        })
        .unwrap_or(s.len());
    let mut url = &s[..end];
    loop {
        let trimmed = url.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '*', '_', '~']);
        let trimmed = if trimmed.ends_with(')')
            && trimmed.matches(')').count() > trimmed.matches('(').count()
        {
            &trimmed[..trimmed.len() - 1]
        } else {
            trimmed
        };
        if trimmed.len() == url.len() {
            break;
        }
        url = trimmed;
    }
    url.len()
}

/// A Markdown link to `url` showing `text`, or the escaped text when `url` is not a web address
/// (the destination is written so that a CommonMark reader gets `url` back exactly).
pub fn link(text: &str, url: &str) -> String {
    let url = url.trim();
    let web = url.starts_with("https://") || url.starts_with("http://");
    if !web || url.chars().any(|c| c.is_control() || c == '|') {
        return escape(text);
    }
    let plain_form = !url
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')' | '\\'));
    let destination = if plain_form {
        url.to_string()
    } else {
        let mut d = String::from("<");
        for c in url.chars() {
            if matches!(c, '<' | '>' | '\\') {
                d.push('\\');
            }
            d.push(c);
        }
        d.push('>');
        d
    };
    format!("[{}]({destination})", escape_text(text))
}

fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '\\' | '*' | '_' | '`' | '[' | ']' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A layer's citation: a link showing the address without its scheme, or the text itself.
fn source_link(source: Option<&str>) -> String {
    match source {
        None => "-".into(),
        Some(s) => {
            let shown = s
                .trim()
                .trim_start_matches("https://")
                .trim_start_matches("http://");
            link(shown, s)
        }
    }
}

/// Text safe inside a fenced code block.
fn fenced(s: &str) -> String {
    plain(s).replace('`', "'")
}

fn basename(source: &str) -> &str {
    source.rsplit(['/', '\\']).next().unwrap_or(source)
}

/// The plain-text summary lines of one capture; `with_verdict` adds the verdict's summary
/// (left out when the verdict is already written in full above the block).
pub fn summary_lines(c: &CaptureReport, width: usize, with_verdict: bool) -> Vec<String> {
    let mut lines = vec![format!(
        "why429 · {} · {} · profile {}",
        basename(&c.source),
        c.producer,
        c.profile
    )];
    lines.push(format!(
        "{}: {} ({}), {} skipped · {} s · {}",
        plural(c.entries, "entry"),
        plural(c.requests, "request"),
        plural(c.preflights, "preflight"),
        c.skipped.len(),
        c.duration_s.round(),
        c.utc_offset
    ));
    if c.throttles.is_empty() {
        lines.push("429s: none".into());
    } else {
        let mut causes: Vec<(String, usize)> = Vec::new();
        for t in &c.throttles {
            let what = match (&t.layer, &t.kind) {
                (Some(l), _) => format!("{} on {l}", t.cause),
                (None, Some(k)) => format!("{} ({k})", t.cause),
                _ => t.cause.clone(),
            };
            match causes.iter_mut().find(|(w, _)| *w == what) {
                Some(e) => e.1 += 1,
                None => causes.push((what, 1)),
            }
        }
        lines.push(format!("429s: {}", c.throttles.len()));
        for (what, n) in causes.iter().take(3) {
            lines.push(format!("  {n} × {what}"));
        }
    }
    let busy: Vec<&crate::report::LayerReport> = {
        let mut v: Vec<_> = c.layers.iter().filter(|l| l.counted > 0).collect();
        v.sort_by(|a, b| b.utilization.total_cmp(&a.utilization));
        v.into_iter().take(3).collect()
    };
    if !busy.is_empty() {
        lines.push("busiest layers (peak / limit):".into());
        for l in busy {
            let window = if l.kind == "concurrency" {
                "in flight".to_string()
            } else {
                format!("per {} s", l.window_s)
            };
            lines.push(format!("  {} {} / {} {window}", l.name, l.peak, l.limit));
        }
    }
    if with_verdict {
        lines.push("verdict (in full below):".into());
        lines.extend(
            wrap(&c.summary, width)
                .into_iter()
                .map(|l| format!("  {l}")),
        );
    }
    lines.into_iter().map(|l| fenced(&l)).collect()
}

/// The whole plain-text summary, at most `SUMMARY_LINES` lines.
pub fn summary(report: &Report) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let n = report.captures.len();
    for (i, c) in report.captures.iter().enumerate() {
        // one capture: its verdict is written in full above the block
        let mut part = summary_lines(c, 96, n > 1);
        if n > 1 {
            // several captures: keep each to its first lines
            part.truncate(6);
        }
        let room = SUMMARY_LINES.saturating_sub(lines.len());
        let left = n - i;
        if part.len() > room || (n > 1 && room < 2) {
            if room >= 1 {
                let keep = room.saturating_sub(1);
                lines.extend(part.into_iter().take(keep));
                lines.push(if n > 1 {
                    format!("… and {}: see below", plural(left as u64, "more capture"))
                } else {
                    "… (continued below)".to_string()
                });
            }
            break;
        }
        lines.extend(part);
    }
    if !report.errors.is_empty() && lines.len() < SUMMARY_LINES {
        lines.push(count(
            report.errors.len() as u64,
            "input could not be read",
            "inputs could not be read",
        ));
    }
    lines.truncate(SUMMARY_LINES);
    lines
}

impl Markdown {
    /// One capture's section; `with_verdict` when the verdict is not already on top.
    fn capture(
        &self,
        c: &CaptureReport,
        out: &mut dyn io::Write,
        with_verdict: bool,
    ) -> io::Result<()> {
        writeln!(out, "## {}", escape(basename(&c.source)))?;
        writeln!(out)?;
        writeln!(
            out,
            "{} · HAR {} · {} ({}, {}, {} skipped) · {} → {} ({}) · profile **{}**",
            escape(&c.producer),
            escape(c.har_version.as_deref().unwrap_or("?")),
            plural(c.entries, "entry"),
            plural(c.requests, "request"),
            plural(c.preflights, "preflight"),
            c.skipped.len(),
            escape(c.started.as_deref().unwrap_or("-")),
            escape(c.ended.as_deref().unwrap_or("-")),
            escape(&c.utc_offset),
            escape(&c.profile)
        )?;
        writeln!(out)?;
        if with_verdict {
            verdict(c, out)?;
        }
        if let Some(p) = &c.partial {
            writeln!(out)?;
            writeln!(out, "> partial capture: {}", escape(p))?;
        }
        let join = super::join_lines(c);
        if !join.is_empty() {
            writeln!(out)?;
            writeln!(out, "### Server log")?;
            writeln!(out)?;
            for l in &join {
                writeln!(out, "- {}", escape(l))?;
            }
        }
        if !c.throttles.is_empty() {
            writeln!(out)?;
            writeln!(out, "### Throttles ({})", c.throttles.len())?;
            writeln!(out)?;
            writeln!(
                out,
                "| entry | started | endpoint | client | cause | layer / kind | Retry-After |"
            )?;
            writeln!(out, "|---:|---|---|---|---|---|---:|")?;
            for t in c.throttles.iter().take(MAX_ROWS) {
                writeln!(
                    out,
                    "| {} | {} | {} {} | {} | {} | {} | {} |",
                    t.entry,
                    escape(t.started.get(11..23).unwrap_or(&t.started)),
                    escape(&t.method),
                    escape(&t.template),
                    escape(&t.client),
                    escape(&t.cause),
                    escape(t.layer.as_deref().or(t.kind.as_deref()).unwrap_or("-")),
                    t.retry_after_s
                        .map(|s| format!("{s} s"))
                        .unwrap_or_else(|| "-".into())
                )?;
            }
            if c.throttles.len() > MAX_ROWS {
                writeln!(out)?;
                writeln!(
                    out,
                    "… {} in the JSON report.",
                    plural((c.throttles.len() - MAX_ROWS) as u64, "more 429")
                )?;
            }
            writeln!(out)?;
            if c.throttles.len() > MAX_DETAILS {
                writeln!(
                    out,
                    "Evidence for the first {MAX_DETAILS} 429s (all of it is in the JSON report):"
                )?;
                writeln!(out)?;
            }
            for t in c.throttles.iter().take(MAX_DETAILS) {
                writeln!(
                    out,
                    "<details><summary>Evidence for entry {} ({})</summary>",
                    t.entry,
                    escape(&t.cause)
                )?;
                writeln!(out)?;
                for e in &t.evidence {
                    writeln!(out, "- {}", escape(e))?;
                }
                for a in &t.alternatives {
                    writeln!(
                        out,
                        "- other explanation: {}{}",
                        escape(&a.explanation),
                        a.less_likely_because
                            .as_deref()
                            .map(|s| format!(" — less likely: {}", escape(s)))
                            .unwrap_or_default()
                    )?;
                }
                writeln!(out)?;
                writeln!(out, "</details>")?;
                writeln!(out)?;
            }
        }
        let layers: Vec<_> = c.layers.iter().filter(|l| l.counted > 0).collect();
        if !layers.is_empty() {
            writeln!(out)?;
            writeln!(out, "### Layers")?;
            writeln!(out)?;
            writeln!(
                out,
                "| layer | budget | per | peak | % | at | with preflights | source |"
            )?;
            writeln!(out, "|---|---|---|---:|---:|---|---:|---|")?;
            for l in layers {
                let budget = if l.kind == "concurrency" {
                    format!("{} in flight", l.limit)
                } else {
                    format!("{} / {} s", l.limit, l.window_s)
                };
                let mut name = match &l.filter {
                    Some(f) => format!("{} ({})", escape(&l.name), escape(f)),
                    None => escape(&l.name),
                };
                if let Some(a) = &l.assumption {
                    name.push_str(&format!(" — {}", escape(&super::assumption_label(a))));
                }
                writeln!(
                    out,
                    "| {}{} | {} | {} | {} | {:.0} | {} | {} | {} |",
                    name,
                    if l.inferred { " (inferred)" } else { "" },
                    budget,
                    escape(&l.per.join("+")),
                    l.peak,
                    l.utilization * 100.0,
                    escape(
                        l.peak_at
                            .as_deref()
                            .and_then(|s| s.get(11..23))
                            .unwrap_or("-")
                    ),
                    l.peak_with_preflights,
                    source_link(l.source.as_deref())
                )?;
            }
        }
        if !c.findings.is_empty() {
            writeln!(out)?;
            writeln!(out, "### Findings")?;
            writeln!(out)?;
            for f in &c.findings {
                writeln!(
                    out,
                    "- **{}** `{}`: {}",
                    f.severity,
                    f.kind,
                    escape(&f.message)
                )?;
            }
        }
        if !c.endpoints.is_empty() {
            writeln!(out)?;
            writeln!(out, "### Endpoints")?;
            writeln!(out)?;
            writeln!(
                out,
                "| method | endpoint | host | client | requests | 429 | peak / min |"
            )?;
            writeln!(out, "|---|---|---|---|---:|---:|---:|")?;
            for e in c.endpoints.iter().take(40) {
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    escape(&e.method),
                    escape(&e.template),
                    escape(&e.host),
                    escape(&e.client),
                    e.requests,
                    e.throttled,
                    e.peak_per_minute
                )?;
            }
            if c.endpoints.len() > 40 {
                writeln!(out)?;
                writeln!(
                    out,
                    "… {} in the JSON report.",
                    plural((c.endpoints.len() - 40) as u64, "more endpoint")
                )?;
            }
        }
        if !c.clients.is_empty() {
            writeln!(out)?;
            writeln!(out, "### Clients")?;
            writeln!(out)?;
            writeln!(out, "| client | fingerprint | requests | tokens |")?;
            writeln!(out, "|---|---|---:|---:|")?;
            for cl in &c.clients {
                writeln!(
                    out,
                    "| {} | `{}` | {} | {} |",
                    escape(&cl.label),
                    escape(&cl.fingerprint),
                    cl.requests,
                    cl.tokens
                )?;
            }
        }
        if !c.skipped.is_empty() {
            writeln!(out)?;
            writeln!(out, "### Skipped entries ({})", c.skipped.len())?;
            writeln!(out)?;
            for s in c.skipped.iter().take(20) {
                writeln!(out, "- entry {}: {}", s.entry, escape(&s.reason))?;
            }
        }
        writeln!(out)
    }
}

/// The verdict in its parts: the headline as a paragraph of its own, then each section as a
/// bold title and a list.
fn verdict(c: &CaptureReport, out: &mut dyn io::Write) -> io::Result<()> {
    let v = &c.verdict_parts;
    writeln!(out, "{}", escape(&v.headline))?;
    let sections: [(&str, &Vec<String>); 6] = [
        ("What to do", &v.what_to_do),
        ("Evidence", &v.evidence),
        ("Other explanations", &v.other_explanations),
        ("Other throttles", &v.other_throttles),
        ("Also", &v.also),
        ("How to confirm", &v.how_to_confirm),
    ];
    for (title, items) in sections {
        if items.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(out, "**{title}**")?;
        writeln!(out)?;
        for item in items {
            writeln!(out, "- {}", escape(item))?;
        }
    }
    writeln!(out)
}

impl Render for Markdown {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        // the first line is the headline: of the capture, or of the first throttled one
        let one = report.captures.len() == 1;
        match report.captures.as_slice() {
            [c] => verdict(c, out)?,
            many => {
                let throttled = many.iter().filter(|c| !c.throttles.is_empty()).count();
                let first = many.iter().find(|c| !c.throttles.is_empty());
                writeln!(
                    out,
                    "{} checked, {} with throttles{}",
                    plural(many.len() as u64, "capture"),
                    throttled,
                    first
                        .map(|c| format!(
                            " — {}: {}",
                            escape(basename(&c.source)),
                            escape(&c.verdict_parts.headline)
                        ))
                        .unwrap_or_default()
                )?;
                writeln!(out)?;
            }
        }
        writeln!(out, "```text")?;
        for line in summary(report) {
            writeln!(out, "{line}")?;
        }
        writeln!(out, "```")?;
        writeln!(out)?;
        for c in &report.captures {
            self.capture(c, out, !one)?;
        }
        for e in &report.errors {
            writeln!(
                out,
                "- could not read {}{}: {} ({})",
                escape(&e.source),
                e.location
                    .as_deref()
                    .map(|l| format!(":{}", escape(l)))
                    .unwrap_or_default(),
                escape(&e.message),
                escape(&e.hint)
            )?;
        }
        writeln!(out, "report by why429 {}", escape(&report.tool.version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markdown_and_html() {
        assert_eq!(escape("a|b<script>*x*"), "a\\|b&lt;script&gt;\\*x\\*");
        assert_eq!(escape("/x/{id}"), "/x/{id}");
        assert_eq!(escape("issue #14"), "issue #14");
        assert_eq!(
            escape("see https://d.test/a_b#c_d."),
            "see <https://d.test/a_b#c_d>."
        );
        assert_eq!(
            link("d.test/a#b", "https://d.test/a_(b)#c"),
            "[d.test/a#b](<https://d.test/a_(b)#c>)"
        );
        assert_eq!(
            link("limits", "https://d.test/limits#per_user"),
            "[limits](https://d.test/limits#per_user)"
        );
        assert_eq!(link("x|y", "file.toml"), "x\\|y");
        assert_eq!(fenced("a```b"), "a'''b");
    }
}

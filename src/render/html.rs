//! The HTML report: one self-contained file, safe to open offline and to attach to a ticket.
//!
//! Owns the page: inline CSS, the timeline charts as inline SVG, no JavaScript, no external
//! fonts, images or stylesheets, and a Content-Security-Policy that forbids loading anything.
//! Tables fit the page: long identifiers (templates, layer names, URLs) wrap, preferably after
//! `/`, `.` or `_`, and a table that still does not fit scrolls inside its own box. Every
//! string from the capture goes through maud's escaping. Computes nothing.

use std::io;

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::report::{CaptureReport, Report};

use super::chart;
use super::{Render, plural};

/// The self-contained HTML page.
pub struct Html;

/// Most throttles listed in the table; the JSON report has them all.
const MAX_ROWS: usize = 500;
/// Most throttles with an evidence block.
const MAX_DETAILS: usize = 100;

/// The policy in the page's `<meta>`: nothing may be loaded, inline styles only.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const CSS: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:0;color:#1e1e1e;background:#fafafa}
main{max-width:1440px;margin:0 auto;padding:16px 24px}
h1{font-size:22px;margin:8px 0}h2{font-size:19px;margin:28px 0 6px;border-bottom:2px solid #ddd;padding-bottom:4px}
h3{font-size:16px;margin:18px 0 6px}
.meta{color:#555;font-size:14px}
.verdict{background:#fff;border-left:4px solid #d62728;padding:10px 14px;font-size:15px;line-height:1.45}.verdict .section{margin:8px 0 2px;font-weight:600}.verdict ul{margin:2px 0 6px}
.quiet{border-left-color:#2e8b57}
figure{margin:12px 0;background:#fff;border:1px solid #e3e3e3;overflow-x:auto}
figure svg{display:block;max-width:100%;height:auto}
.tw{max-width:100%;overflow-x:auto;margin:6px 0}
table{border-collapse:collapse;background:#fff;font-size:13px;max-width:100%}
th,td{border:1px solid #e0e0e0;padding:4px 8px;text-align:left;vertical-align:top}
td.id{overflow-wrap:anywhere;min-width:8em}
th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;overflow-wrap:normal}
.t{white-space:nowrap}
.verdict,li,.meta{overflow-wrap:anywhere}
.cause-visible-traffic{color:#b35900;font-weight:600}.cause-hidden-traffic,.cause-undocumented-limit{color:#b00020;font-weight:600}
.sev-error{color:#b00020;font-weight:600}.sev-warning{color:#b35900;font-weight:600}.sev-info{color:#2e6b8b}
details{background:#fff;border:1px solid #e3e3e3;margin:4px 0;padding:4px 10px}summary{cursor:pointer}
code{background:#f2f2f2;padding:0 3px}
.note{color:#666;font-size:12px}
"#;

fn basename(source: &str) -> &str {
    source.rsplit(['/', '\\']).next().unwrap_or(source)
}

/// An identifier (template, layer name, URL) with a line-break opportunity after each `/`, `.`,
/// `_`, `#`, `?`, `&` and `=`, so it wraps at its joints rather than anywhere.
fn ident(s: &str) -> Markup {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
        if matches!(c, '/' | '.' | '_' | '#' | '?' | '&' | '=') {
            out.push_str("<wbr>");
        }
    }
    PreEscaped(out)
}

/// A timestamp that may wrap between its date and its time (each part stays whole).
fn when(s: &str) -> Markup {
    match s.split_once('T') {
        Some((date, time)) => html! { span.t { (date) "T" } wbr; span.t { (time) } },
        None => html! { (s) },
    }
}

fn capture(c: &CaptureReport) -> Markup {
    let chart_svg = chart::svg(&c.timeline).ok();
    let busy: Vec<_> = c.layers.iter().filter(|l| l.counted > 0).collect();
    let join = super::join_lines(c);
    html! {
        section {
            h2 { (basename(&c.source)) }
            p.meta {
                (c.producer) " · HAR " (c.har_version.as_deref().unwrap_or("?")) " · "
                (plural(c.entries, "entry")) " (" (plural(c.requests, "request")) ", "
                (plural(c.preflights, "preflight")) ", " (c.skipped.len()) " skipped) · " (c.started.as_deref().unwrap_or("-")) " → "
                (c.ended.as_deref().unwrap_or("-")) " (" (c.utc_offset) ") · profile " strong { (c.profile) }
            }
            @if let Some(p) = &c.partial { p.meta { "partial capture: " (p) } }
            div.verdict.quiet[c.throttles.is_empty()] {
                p.headline { strong { (c.verdict_parts.headline) } }
                @for (title, items) in [
                    ("What to do", &c.verdict_parts.what_to_do),
                    ("Evidence", &c.verdict_parts.evidence),
                    ("Other explanations", &c.verdict_parts.other_explanations),
                    ("Other throttles", &c.verdict_parts.other_throttles),
                    ("Also", &c.verdict_parts.also),
                    ("How to confirm", &c.verdict_parts.how_to_confirm),
                ] {
                    @if !items.is_empty() {
                        p.section { (title) }
                        ul { @for i in items { li { (i) } } }
                    }
                }
            }
            @if let Some(svg) = chart_svg {
                figure { (PreEscaped(svg)) }
            }
            @if !c.throttles.is_empty() {
                h3 { "Throttles (" (c.throttles.len()) ")" }
                div.tw { table {
                    tr { th { "entry" } th { "started" } th { "endpoint" } th { "client" } th { "cause" } th { "layer / kind" } th { "visible / limit" } th { "Retry-After" } }
                    @for t in c.throttles.iter().take(MAX_ROWS) {
                        tr {
                            td.n { (t.entry) }
                            td { (when(&t.started)) }
                            td.id { (t.method) " " (ident(&t.template)) }
                            td { (t.client) }
                            td { span class=(format!("cause-{}", t.cause)) { (t.cause) } }
                            td.id { (ident(t.layer.as_deref().or(t.kind.as_deref()).unwrap_or("-"))) }
                            td.n { (t.visible.map(|v| v.to_string()).unwrap_or_else(|| "-".into())) " / " (t.limit.map(|v| v.to_string()).unwrap_or_else(|| "-".into())) }
                            td.n { (t.retry_after_s.map(|s| format!("{s} s")).unwrap_or_else(|| "-".into())) }
                        }
                    }
                } }
                @if c.throttles.len() > MAX_ROWS {
                    p.note { "… " (plural((c.throttles.len() - MAX_ROWS) as u64, "more 429")) " in the JSON report." }
                }
                @for t in c.throttles.iter().take(MAX_DETAILS) {
                    details {
                        summary { "Evidence for entry " (t.entry) " (" (t.cause) ")" }
                        ul {
                            @for e in &t.evidence { li { (e) } }
                        }
                        @if !t.alternatives.is_empty() {
                            p.note { "Other explanations considered:" }
                            ul {
                                @for a in &t.alternatives {
                                    li {
                                        (a.explanation)
                                        @if let Some(s) = &a.less_likely_because { " — less likely: " (s) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if !busy.is_empty() {
                h3 { "Layers" }
                div.tw { table {
                    tr { th { "layer" } th { "budget" } th { "per" } th { "peak" } th { "%" } th { "at" } th { "with preflights" } th { "source" } }
                    @for l in &busy {
                        tr {
                            td.id {
                                (ident(&l.name))
                                @if let Some(f) = &l.filter { br; span.note { (ident(f)) } }
                                @if l.inferred { br; span.note { "inferred from headers" } }
                                @if let Some(a) = &l.assumption { br; span.note { (super::assumption_label(a)) } }
                                @if let Some(n) = &l.note { br; span.note { (n) } }
                            }
                            td { @if l.kind == "concurrency" { (l.limit) " in flight" } @else { (l.limit) " / " (l.window_s) " s (" (l.algorithm) ")" } }
                            td { (l.per.join("+")) }
                            td.n { (l.peak) }
                            td.n { (format!("{:.0}", l.utilization * 100.0)) }
                            td { (when(l.peak_at.as_deref().unwrap_or("-"))) }
                            td.n { (l.peak_with_preflights) }
                            td.id {
                                @if let Some(s) = &l.source {
                                    @if s.starts_with("https://") { a href=(s) rel="noopener noreferrer" { (ident(s)) } } @else { (ident(s)) }
                                }
                            }
                        }
                    }
                } }
            }
            @if !join.is_empty() {
                h3 { "Server log" }
                ul { @for l in &join { li { (l) } } }
            }
            @if !c.findings.is_empty() {
                h3 { "Findings" }
                ul {
                    @for f in &c.findings {
                        li { span class=(format!("sev-{}", f.severity)) { (f.severity) } " " code { (f.kind) } ": " (f.message) }
                    }
                }
            }
            @if !c.endpoints.is_empty() {
                h3 { "Endpoints" }
                div.tw { table {
                    tr { th { "method" } th { "endpoint" } th { "host" } th { "client" } th { "requests" } th { "429" } th { "peak / min" } }
                    @for e in c.endpoints.iter().take(60) {
                        tr { td { (e.method) } td.id { (ident(&e.template)) } td.id { (ident(&e.host)) } td { (e.client) } td.n { (e.requests) } td.n { (e.throttled) } td.n { (e.peak_per_minute) } }
                    }
                } }
                @if c.endpoints.len() > 60 {
                    p.note { "… " (plural((c.endpoints.len() - 60) as u64, "more endpoint")) " in the JSON report." }
                }
            }
            @if !c.clients.is_empty() {
                h3 { "Clients" }
                div.tw { table {
                    tr { th { "client" } th { "fingerprint" } th { "requests" } th { "tokens" } }
                    @for cl in &c.clients {
                        tr { td { (cl.label) } td { code { (cl.fingerprint) } } td.n { (cl.requests) } td.n { (cl.tokens) } }
                    }
                } }
            }
            @if !c.skipped.is_empty() {
                h3 { "Skipped entries (" (c.skipped.len()) ")" }
                ul { @for s in c.skipped.iter().take(50) { li { "entry " (s.entry) ": " (s.reason) } } }
            }
        }
    }
}

impl Render for Html {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        let page = html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta http-equiv="Content-Security-Policy" content=(CSP);
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="referrer" content="no-referrer";
                    title { "why429 report" }
                    style { (PreEscaped(CSS)) }
                }
                body {
                    main {
                        h1 { "why429 report" }
                        p.meta { (plural(report.captures.len() as u64, "capture")) " · why429 " (report.tool.version) }
                        @for c in &report.captures { (capture(c)) }
                        @if !report.errors.is_empty() {
                            h2 { "Inputs that could not be read" }
                            ul {
                                @for e in &report.errors {
                                    li { (e.source) @if let Some(l) = &e.location { ":" (l) } ": " (e.message) " — " (e.hint) }
                                }
                            }
                        }
                    }
                }
            }
        };
        out.write_all(page.into_string().as_bytes())
    }
}

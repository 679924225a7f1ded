//! Stage 6 — render: one renderer per output format behind one small trait.
//!
//! Owns the `Render` trait, the `Format` list and `Style` (colour and width decided by the
//! caller, never probed here). Renderers read a finished `Report` and compute nothing; every
//! string that came from a capture is escaped for its format (control characters for the
//! terminal, Markdown and HTML metacharacters, XML, workflow-command escaping).

pub mod chart;
pub mod gates;
pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod layout;
pub mod markdown;
pub mod terminal;

use std::io;

use crate::report::Report;

pub use crate::model::words::{count, plural};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Tables for a terminal.
    Terminal,
    /// The JSON contract.
    Json,
    /// GitHub/Discourse Markdown with a plain-text summary on top.
    Markdown,
    /// One self-contained HTML file.
    Html,
    /// JUnit XML.
    Junit,
    /// GitHub Actions workflow commands.
    Github,
    /// One line per capture with its CI gates.
    Gates,
}

/// How to style output.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// ANSI colours.
    pub color: bool,
    /// Columns available.
    pub width: u16,
    /// List every 429 (`--all-throttles`) instead of the first ones and a summary.
    pub all_throttles: bool,
    /// List every row of every table (`--all-rows`).
    pub all_rows: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            color: false,
            width: 100,
            all_throttles: false,
            all_rows: false,
        }
    }
}

/// A renderer of whole reports.
pub trait Render {
    /// Writes the report.
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()>;
}

/// The renderer of a format.
pub fn renderer(format: Format, style: Style) -> Box<dyn Render> {
    match format {
        Format::Terminal => Box::new(terminal::Terminal { style }),
        Format::Json => Box::new(json::Json),
        Format::Markdown => Box::new(markdown::Markdown),
        Format::Html => Box::new(html::Html),
        Format::Junit => Box::new(junit::Junit),
        Format::Github => Box::new(github::Github::default()),
        Format::Gates => Box::new(gates::Gates { style }),
    }
}

/// A layer's assumption as reports print it: `assumes Standard plan; …`, or the override
/// sentence as it is (`set on the command line: capacity = 80`).
pub fn assumption_label(a: &str) -> String {
    if a.starts_with("set on the command line") {
        plain(a)
    } else {
        format!("assumes {}", plain(a))
    }
}

/// Removes control characters (terminal escapes) from text bound for a terminal or a log.
pub fn plain(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// Most throttles whose hidden senders the server-log section lists one by one.
const JOIN_THROTTLES: usize = 8;

/// The server-log join in sentences, the same in every human format: what matched, the clock
/// offset and tolerance, each log's overlap and what it can prove, who sent the traffic the
/// capture does not hold, and who used each refusing window. Empty without `--server-log`.
pub fn join_lines(c: &crate::report::CaptureReport) -> Vec<String> {
    let Some(j) = &c.join else {
        return Vec::new();
    };
    let mut out = vec![format!(
        "joined: {} of the logs' records matched a capture request ({} by correlation id); {} records of these minutes matched none; server clock {} the capture's; records and entries matched within {:.3} s",
        j.matched,
        j.by_correlation,
        j.unmatched,
        match j.offset_s {
            Some(o) if o >= 0.0 => format!("{o:.3} s ahead of"),
            Some(o) => format!("{:.3} s behind", -o),
            None => "not comparable with".into(),
        },
        j.tolerance_s
    )];
    for l in &j.logs {
        out.push(format!(
            "{}: {} overlap ({:.0} s of the capture), {} matched, {} unmatched, {} outside the capture's span{}",
            plain(&l.source),
            l.overlap,
            l.overlap_s,
            l.matched,
            l.unmatched,
            l.outside,
            l.note
                .as_deref()
                .map(|n| format!(" — {}", plain(n)))
                .unwrap_or_default()
        ));
    }
    if !j.hidden.is_empty() {
        let senders: Vec<String> = j
            .hidden
            .iter()
            .take(10)
            .map(|h| {
                let mut s = format!("{} of {}: {}", plain(&h.client), plain(&h.user), h.requests);
                if h.client != h.client_label || h.user != h.user_label {
                    s.push_str(&format!(
                        " (the verdict's {} of {})",
                        h.client_label, h.user_label
                    ));
                }
                if let Some(ua) = &h.user_agent {
                    s.push_str(&format!(", user agent {}", plain(ua)));
                }
                if let Some(ip) = &h.ip {
                    s.push_str(&format!(", from {}", plain(ip)));
                }
                s
            })
            .collect();
        out.push(format!(
            "requests the capture does not hold, by sender: {}",
            senders.join("; ")
        ));
    }
    for t in c
        .throttles
        .iter()
        .filter(|t| !t.hidden_by.is_empty())
        .take(JOIN_THROTTLES)
    {
        let by: Vec<String> = t
            .hidden_by
            .iter()
            .map(|h| format!("{} of {} {}", plain(&h.client), plain(&h.user), h.requests))
            .collect();
        let w = t.server_window.as_ref();
        out.push(format!(
            "entry {} ({}, window {}): {}{}",
            t.entry,
            t.cause,
            w.map(|w| w.proof.as_str()).unwrap_or("-"),
            w.map(|w| format!("{}: ", plain(&w.layer)))
                .unwrap_or_default(),
            by.join(", ")
        ));
    }
    out
}

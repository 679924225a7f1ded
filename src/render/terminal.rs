//! The terminal report: verdict first, then throttles, layers, findings, endpoints, clients;
//! the header names the capture and each server log read beside it.
//!
//! Owns the human layout for a 100-column terminal (comfy-table tables, wrapped paragraphs,
//! optional ANSI colour). Capture-derived text passes through `plain`, so a hostile path
//! cannot move the cursor. Computes nothing.

use std::io;

use comfy_table::{ContentArrangement, Table, presets};

use crate::report::{CaptureReport, Report, ServerLogReport};

use super::{Render, Style, plain};

/// Tables for a terminal.
pub struct Terminal {
    /// Colour and width.
    pub style: Style,
}

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const GREEN: &str = "\x1b[32m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

impl Terminal {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.style.color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    fn heading(&self, out: &mut dyn io::Write, text: &str) -> io::Result<()> {
        writeln!(out)?;
        writeln!(out, "{}", self.paint(BOLD, text))
    }

    fn table(&self) -> Table {
        let mut t = Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(self.style.width);
        t
    }

    fn cause(&self, cause: &str) -> String {
        let code = match cause {
            "visible-traffic" => YELLOW,
            "hidden-traffic" | "undocumented-limit" => RED,
            _ => DIM,
        };
        self.paint(code, cause)
    }

    fn capture(&self, c: &CaptureReport, out: &mut dyn io::Write) -> io::Result<()> {
        let rule = "═".repeat(
            (self.style.width as usize)
                .saturating_sub(plain(&c.source).chars().count() + 4)
                .max(3),
        );
        writeln!(
            out,
            "{}",
            self.paint(BOLD, &format!("══ {} {rule}", plain(&c.source)))
        )?;
        let skipped = if c.skipped.is_empty() {
            String::new()
        } else {
            format!(", {} skipped", c.skipped.len())
        };
        let meta = [
            c.producer.clone(),
            format!("HAR {}", c.har_version.as_deref().unwrap_or("?")),
            format!(
                "{} entries ({} requests, {} preflights{skipped})",
                c.entries, c.requests, c.preflights
            ),
        ];
        for line in pack(&meta, " · ", self.style.width as usize) {
            writeln!(out, "{line}")?;
        }
        if let (Some(s), Some(e)) = (&c.started, &c.ended) {
            writeln!(
                out,
                "{} → {} ({}, {})",
                s,
                e,
                crate::model::time::human_duration(crate::model::time::secs(c.duration_s)),
                c.utc_offset
            )?;
        }
        let origins: Vec<String> = c
            .profiles
            .iter()
            .map(|p| format!("{} ({})", p.name, plain(&p.origin)))
            .collect();
        for line in wrap(
            &format!("profile: {}", origins.join(", ")),
            self.style.width as usize,
        ) {
            writeln!(out, "{line}")?;
        }
        for log in &c.server_logs {
            let line = server_log_line(log);
            for l in pack(&line, " · ", self.style.width as usize) {
                writeln!(out, "{l}")?;
            }
        }
        if let Some(p) = &c.partial {
            writeln!(
                out,
                "{}",
                self.paint(YELLOW, &format!("partial: {}", plain(p)))
            )?;
        }

        self.heading(out, "VERDICT")?;
        for line in wrap(&plain(&c.verdict), self.style.width as usize) {
            writeln!(out, "{line}")?;
        }

        if !c.throttles.is_empty() {
            self.heading(out, &format!("THROTTLES ({})", c.throttles.len()))?;
            let mut t = self.table();
            let clients = c.clients.len() > 1;
            let mut header = vec!["entry", "started", "endpoint"];
            if clients {
                header.push("client");
            }
            header.extend(["cause", "retry"]);
            t.set_header(header);
            for th in &c.throttles {
                let what = match (&th.layer, &th.kind) {
                    (Some(l), _) => format!("{}\n{l}", th.cause),
                    (None, Some(k)) => format!("{}\n{k}", th.cause),
                    _ => th.cause.clone(),
                };
                let mut row = vec![
                    th.entry.to_string(),
                    th.started.get(11..23).unwrap_or(&th.started).to_string(),
                    plain(&format!("{} {}", th.method, th.template)),
                ];
                if clients {
                    row.push(th.client.clone());
                }
                row.push(what);
                row.push(
                    th.retry_after_s
                        .map(|s| format!("{s} s"))
                        .unwrap_or_else(|| "-".into()),
                );
                t.add_row(row);
            }
            writeln!(out, "{t}")?;
            // evidence of the first throttle of each cause
            let mut seen: Vec<(String, Option<String>)> = Vec::new();
            for th in &c.throttles {
                let key = (th.cause.clone(), th.layer.clone().or(th.kind.clone()));
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                writeln!(out, "entry {} · {}:", th.entry, self.cause(&th.cause))?;
                for e in &th.evidence {
                    for (k, line) in wrap(&plain(e), self.style.width as usize - 4)
                        .into_iter()
                        .enumerate()
                    {
                        writeln!(out, "  {} {line}", if k == 0 { "•" } else { " " })?;
                    }
                }
            }
        }

        if !c.layers.is_empty() {
            self.heading(out, "LAYERS")?;
            let mut t = self.table();
            t.set_header(vec![
                "layer",
                "budget",
                "peak",
                "%",
                "at",
                "partition",
                "if preflights counted",
            ]);
            let idle: Vec<&str> = c
                .layers
                .iter()
                .filter(|l| l.counted == 0)
                .map(|l| l.name.as_str())
                .collect();
            for l in c.layers.iter().filter(|l| l.counted > 0) {
                let budget = if l.kind == "concurrency" {
                    format!("{} in flight", l.limit)
                } else {
                    format!(
                        "{} / {}",
                        l.limit,
                        crate::model::time::window_label(crate::model::time::secs(l.window_s))
                    )
                };
                let name = match &l.filter {
                    Some(f) => format!("{}\n{}", l.name, plain(f)),
                    None => l.name.clone(),
                };
                t.add_row(vec![
                    if l.inferred {
                        format!("{name} (inferred)")
                    } else {
                        name
                    },
                    budget,
                    l.peak.to_string(),
                    format!("{:.0}", l.utilization * 100.0),
                    l.peak_at
                        .as_deref()
                        .and_then(|s| s.get(11..23))
                        .unwrap_or("-")
                        .to_string(),
                    l.peak_partition.clone().unwrap_or_else(|| "-".into()),
                    if l.counts_preflight {
                        "counted".into()
                    } else if l.peak_with_preflights != l.peak {
                        l.peak_with_preflights.to_string()
                    } else {
                        "same".into()
                    },
                ]);
            }
            writeln!(out, "{t}")?;
            if !idle.is_empty() {
                for line in wrap(
                    &format!("no traffic in: {}", idle.join(", ")),
                    self.style.width as usize,
                ) {
                    writeln!(out, "{}", self.paint(DIM, &line))?;
                }
            }
        }

        if !c.findings.is_empty() {
            self.heading(out, "FINDINGS")?;
            for f in &c.findings {
                let sev = match f.severity.as_str() {
                    "error" => self.paint(RED, "error  "),
                    "warning" => self.paint(YELLOW, "warning"),
                    _ => self.paint(GREEN, "info   "),
                };
                let text = plain(&format!("{}: {}", f.kind, f.message));
                for (k, line) in wrap(&text, self.style.width as usize - 10)
                    .into_iter()
                    .enumerate()
                {
                    if k == 0 {
                        writeln!(out, "{sev} {line}")?;
                    } else {
                        writeln!(out, "        {line}")?;
                    }
                }
            }
        }

        if !c.endpoints.is_empty() {
            self.heading(out, "ENDPOINTS")?;
            let mut t = self.table();
            t.set_header(vec![
                "method", "endpoint", "host", "client", "requests", "429", "peak/min",
            ]);
            for e in c.endpoints.iter().take(25) {
                t.add_row(vec![
                    e.method.clone(),
                    plain(&e.template),
                    plain(&e.host),
                    e.client.clone(),
                    e.requests.to_string(),
                    e.throttled.to_string(),
                    e.peak_per_minute.to_string(),
                ]);
            }
            writeln!(out, "{t}")?;
            if c.endpoints.len() > 25 {
                writeln!(out, "… {} more (see --format json)", c.endpoints.len() - 25)?;
            }
        }

        self.heading(out, "CLIENTS")?;
        if c.clients.is_empty() {
            writeln!(out, "no request carried a usable credential")?;
        } else {
            let mut t = self.table();
            t.set_header(vec![
                "client",
                "fingerprint",
                "requests",
                "tokens",
                "client id",
            ]);
            for cl in &c.clients {
                t.add_row(vec![
                    cl.label.clone(),
                    cl.fingerprint.clone(),
                    cl.requests.to_string(),
                    cl.tokens.to_string(),
                    cl.client_id
                        .as_deref()
                        .map(plain)
                        .unwrap_or_else(|| "-".into()),
                ]);
            }
            writeln!(out, "{t}")?;
        }
        if let Some(s) = &c.sanitized
            && s.authorization_stripped
        {
            writeln!(
                out,
                "{}",
                self.paint(
                    YELLOW,
                    "credentials were stripped before export: client grouping is unavailable"
                )
            )?;
        }
        if !c.skipped.is_empty() {
            self.heading(out, &format!("SKIPPED ENTRIES ({})", c.skipped.len()))?;
            for s in c.skipped.iter().take(10) {
                writeln!(out, "entry {}: {}", s.entry, plain(&s.reason))?;
            }
            if c.skipped.len() > 10 {
                writeln!(out, "… {} more (see --format json)", c.skipped.len() - 10)?;
            }
        }
        Ok(())
    }
}

/// Joins parts with `sep`, starting a new line where the next part would pass `width`.
/// The one-line summary of a server log: file, format, granularity, records, time span (UTC)
/// and how many lines could not be read.
fn server_log_line(log: &ServerLogReport) -> Vec<String> {
    let mut parts = vec![
        format!("server log {}: {}", plain(&log.source), log.format),
        log.granularity.clone(),
    ];
    parts.push(if log.requests == log.records {
        format!("{} requests, {} throttled", log.records, log.throttled)
    } else {
        format!(
            "{} rows, {} requests, {} throttled",
            log.records, log.requests, log.throttled
        )
    });
    if let (Some(f), Some(l)) = (&log.first, &log.last) {
        // our own RFC 3339 text: `2025-03-27T22:29:50.316Z`
        let day = |t: &str| t.get(..10).unwrap_or(t).to_string();
        let clock = |t: &str| t.get(11..19).unwrap_or(t).to_string();
        parts.push(if day(f) == day(l) {
            format!("{} {}–{} UTC", day(f), clock(f), clock(l))
        } else {
            format!("{} {} → {} {} UTC", day(f), clock(f), day(l), clock(l))
        });
    }
    parts.push(match log.unparsed {
        1 => "1 line unparsed".to_string(),
        n => format!("{n} lines unparsed"),
    });
    vec![parts.join(" · ")]
}

fn pack(parts: &[String], sep: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for part in parts {
        match lines.last_mut() {
            Some(line)
                if line.chars().count() + sep.chars().count() + part.chars().count() <= width =>
            {
                line.push_str(sep);
                line.push_str(part);
            }
            _ => lines.push(part.clone()),
        }
    }
    lines
}

/// Word-wraps text to a width.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

impl Render for Terminal {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        for (i, c) in report.captures.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            self.capture(c, out)?;
        }
        // unreadable inputs are reported on stderr by the caller
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_words() {
        assert_eq!(wrap("aa bb cc dd", 5), vec!["aa bb", "cc dd"]);
        assert_eq!(wrap("", 5), Vec::<String>::new());
    }
}

//! The terminal report: verdict first, then throttles, layers, findings, endpoints, clients;
//! the header names the capture and each server log read beside it.
//!
//! Owns the human layout for the width the caller measured (`Style::width`): tables and
//! paragraphs from `layout`, which break lines only at spaces, so a layer name, a template or a
//! URL is never cut; long lists are capped (the first throttles, then a summary by endpoint and
//! cause) so a capture with thousands of 429s still prints a page, and `--all-throttles` /
//! `--all-rows` list everything. Optional ANSI colour. Capture-derived text passes through
//! `plain`, so a hostile path cannot move the cursor. Computes nothing.

use std::collections::BTreeMap;
use std::io;

use crate::report::{CaptureReport, Report, ServerLogReport, ThrottleReport};

use super::layout::{self, Table};
use super::{Render, Style, plain, plural};

/// Tables for a terminal.
pub struct Terminal {
    /// Colour, width and how much to list.
    pub style: Style,
}

/// Throttles listed before the summary by endpoint and cause (unless `--all-throttles`).
pub const THROTTLE_ROWS: usize = 12;
/// Rows of any other table (unless `--all-rows`).
pub const TABLE_ROWS: usize = 12;
/// Causes whose first throttle's evidence is printed.
const EVIDENCE_BLOCKS: usize = 4;
/// Narrowest layout.
pub const MIN_WIDTH: u16 = 60;

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const GREEN: &str = "\x1b[32m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// `undocumented-limit` with its layer or kind on a second line.
fn what(th: &ThrottleReport) -> String {
    match (&th.layer, &th.kind) {
        (Some(l), _) => format!("{}\n{l}", th.cause),
        (None, Some(k)) => format!("{}\n{k}", th.cause),
        _ => th.cause.clone(),
    }
}

impl Terminal {
    fn width(&self) -> usize {
        self.style.width.max(MIN_WIDTH) as usize
    }

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
        Table::new(self.width())
    }

    fn lines(&self, out: &mut dyn io::Write, lines: Vec<String>) -> io::Result<()> {
        for l in lines {
            writeln!(out, "{l}")?;
        }
        Ok(())
    }

    /// The verdict in its parts: the headline, then what to do, the evidence, the other
    /// explanations, throttles with other causes, advice and how to confirm, each as bullets.
    fn verdict(&self, c: &CaptureReport, out: &mut dyn io::Write, width: usize) -> io::Result<()> {
        let v = &c.verdict_parts;
        self.lines(out, layout::wrap(&plain(&v.headline), width))?;
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
            writeln!(out, "{}", self.paint(BOLD, title))?;
            for item in items {
                self.lines(out, layout::hang(&plain(item), width, "  • ", "    "))?;
            }
        }
        Ok(())
    }

    fn cap(&self) -> usize {
        if self.style.all_rows {
            usize::MAX
        } else {
            TABLE_ROWS
        }
    }

    /// "… 8 more layers not listed: --all-rows lists every row" when rows were left out.
    fn left_out(&self, out: &mut dyn io::Write, n: usize, noun: &str) -> io::Result<()> {
        if n > 0 {
            let text = format!(
                "… {} not listed: --all-rows lists every row (--format json has them all)",
                plural(n as u64, &format!("more {noun}"))
            );
            self.lines(out, layout::wrap(&text, self.width()))?;
        }
        Ok(())
    }

    fn cause(&self, cause: &str) -> String {
        let code = match cause {
            "visible-traffic" => YELLOW,
            "hidden-traffic" | "undocumented-limit" => RED,
            _ => DIM,
        };
        self.paint(code, cause)
    }

    fn throttles(&self, c: &CaptureReport, out: &mut dyn io::Write) -> io::Result<()> {
        let width = self.width();
        self.heading(out, &format!("THROTTLES ({})", c.throttles.len()))?;
        let clients = c.clients.len() > 1;
        let mut header = vec!["entry", "started", "endpoint"];
        if clients {
            header.push("client");
        }
        header.extend(["cause", "retry"]);
        let mut t = self.table();
        t.set_header(header).right(0);
        // narrow terminals: the retry wait and the client under the start, the cause under the
        // endpoint
        if clients {
            t.fold(5, 1).fold(3, 1).fold(4, 2);
        } else {
            t.fold(4, 1).fold(3, 2);
        }
        let shown = if self.style.all_throttles || self.style.all_rows {
            c.throttles.len()
        } else {
            THROTTLE_ROWS.min(c.throttles.len())
        };
        for th in &c.throttles[..shown] {
            let mut row = vec![
                th.entry.to_string(),
                th.started.get(11..23).unwrap_or(&th.started).to_string(),
                plain(&format!("{} {}", th.method, th.template)),
            ];
            if clients {
                row.push(th.client.clone());
            }
            row.push(plain(&what(th)));
            row.push(
                th.retry_after_s
                    .map(|s| format!("{s} s"))
                    .unwrap_or_else(|| "-".into()),
            );
            t.add_row(row);
        }
        writeln!(out, "{t}")?;
        let hidden = c.throttles.len() - shown;
        if hidden > 0 {
            // the rest as counts by endpoint and cause
            let mut groups: BTreeMap<(String, String), (usize, u32, &str, &str)> = BTreeMap::new();
            for th in &c.throttles {
                let key = (
                    plain(&format!("{} {}", th.method, th.template)),
                    plain(&what(th)),
                );
                let g = groups
                    .entry(key)
                    .or_insert((0, th.entry, &th.started, &th.started));
                g.0 += 1;
                g.3 = &th.started;
            }
            let mut groups: Vec<_> = groups.into_iter().collect();
            groups.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
            writeln!(
                out,
                "all {} by endpoint and cause:",
                plural(c.throttles.len() as u64, "429")
            )?;
            let mut s = self.table();
            s.set_header(["endpoint", "cause", "429s", "first", "last"])
                .right(2)
                .fold(4, 3)
                .fold(1, 0);
            let cap = self.cap();
            for ((endpoint, cause), (n, _, first, last)) in groups.iter().take(cap) {
                s.add_row([
                    endpoint.clone(),
                    cause.clone(),
                    n.to_string(),
                    first.get(11..23).unwrap_or(first).to_string(),
                    last.get(11..23).unwrap_or(last).to_string(),
                ]);
            }
            writeln!(out, "{s}")?;
            if groups.len() > cap {
                let rest: usize = groups.iter().skip(cap).map(|g| g.1.0).sum();
                self.lines(
                    out,
                    layout::wrap(
                        &format!(
                            "… {} with {} not listed: --all-rows lists every group",
                            plural((groups.len() - cap) as u64, "more group"),
                            plural(rest as u64, "429")
                        ),
                        width,
                    ),
                )?;
            }
            self.lines(
                out,
                layout::wrap(
                    &format!(
                        "{} not listed: --all-throttles lists every one (--format json has their evidence)",
                        plural(hidden as u64, "more 429")
                    ),
                    width,
                ),
            )?;
        }
        // evidence of the first throttle of each cause
        let mut seen: Vec<(String, Option<String>)> = Vec::new();
        let mut more = 0;
        for th in &c.throttles {
            let key = (th.cause.clone(), th.layer.clone().or(th.kind.clone()));
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            if seen.len() > EVIDENCE_BLOCKS && !self.style.all_rows {
                more += 1;
                continue;
            }
            writeln!(out, "entry {} · {}:", th.entry, self.cause(&th.cause))?;
            for e in &th.evidence {
                self.lines(out, layout::hang(&plain(e), width, "  • ", "    "))?;
            }
        }
        if more > 0 {
            self.lines(
                out,
                layout::wrap(
                    &format!(
                        "evidence of {} not shown: --all-rows shows it, --format json has every 429's",
                        plural(more as u64, "more cause")
                    ),
                    width,
                ),
            )?;
        }
        Ok(())
    }

    fn capture(&self, c: &CaptureReport, out: &mut dyn io::Write) -> io::Result<()> {
        let width = self.width();
        let source = plain(&c.source);
        let used = layout::width_of(&source) + 4;
        let title = if used + 3 <= width {
            format!("══ {source} {}", "═".repeat(width - used))
        } else {
            format!("══ {source}")
        };
        writeln!(out, "{}", self.paint(BOLD, &title))?;
        let mut counts = vec![
            plural(c.requests, "request"),
            plural(c.preflights, "preflight"),
        ];
        if !c.skipped.is_empty() {
            counts.push(format!("{} skipped", c.skipped.len()));
        }
        let meta = [
            plain(&c.producer),
            format!("HAR {}", plain(c.har_version.as_deref().unwrap_or("?"))),
            format!("{} ({})", plural(c.entries, "entry"), counts.join(", ")),
        ];
        for line in pack(&meta, " · ", width) {
            writeln!(out, "{line}")?;
        }
        if let (Some(s), Some(e)) = (&c.started, &c.ended) {
            let span = format!(
                "{} → {} ({}, {})",
                s,
                e,
                crate::model::time::human_duration(crate::model::time::secs(c.duration_s)),
                c.utc_offset
            );
            self.lines(out, layout::wrap(&span, width))?;
        }
        let origins: Vec<String> = c
            .profiles
            .iter()
            .map(|p| format!("{} ({})", p.name, plain(&p.origin)))
            .collect();
        self.lines(
            out,
            layout::wrap(&format!("profile: {}", origins.join(", ")), width),
        )?;
        for log in &c.server_logs {
            for line in pack(&server_log_line(log), " · ", width) {
                writeln!(out, "{line}")?;
            }
        }
        if let Some(p) = &c.partial {
            for line in layout::wrap(&format!("partial: {}", plain(p)), width) {
                writeln!(out, "{}", self.paint(YELLOW, &line))?;
            }
        }

        self.heading(out, "VERDICT")?;
        self.verdict(c, out, width)?;

        if !c.throttles.is_empty() {
            self.throttles(c, out)?;
        }

        let join = super::join_lines(c);
        if !join.is_empty() {
            self.heading(out, "SERVER LOG")?;
            for l in &join {
                self.lines(out, layout::hang(l, width, "  • ", "    "))?;
            }
        }

        let busy: Vec<&crate::report::LayerReport> =
            c.layers.iter().filter(|l| l.counted > 0).collect();
        if !c.layers.is_empty() {
            self.heading(out, "LAYERS")?;
            // the busiest first when the table is capped
            let cap = self.cap();
            let mut keep: Vec<usize> = (0..busy.len()).collect();
            if busy.len() > cap {
                keep.sort_by(|&a, &b| busy[b].utilization.total_cmp(&busy[a].utilization));
                keep.truncate(cap);
                keep.sort_unstable();
            }
            if !busy.is_empty() {
                let mut t = self.table();
                t.set_header([
                    "layer",
                    "budget",
                    "peak",
                    "%",
                    "at",
                    "partition",
                    "if preflights counted",
                ])
                .right(2)
                .right(3)
                .fold(4, 5)
                .fold(3, 2)
                .fold(1, 0);
                for &k in &keep {
                    let l = busy[k];
                    let budget = plain(&l.budget_label);
                    let mut name = match &l.filter {
                        Some(f) => format!("{}\n{}", plain(&l.name), plain(f)),
                        None => plain(&l.name),
                    };
                    if let Some(a) = &l.assumption {
                        name.push_str(&format!("\n{}", plain(&super::assumption_label(a))));
                    }
                    t.add_row([
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
                        plain(l.peak_partition.as_deref().unwrap_or("-")),
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
                if busy.len() > keep.len() {
                    self.left_out(out, busy.len() - keep.len(), "layer with traffic")?;
                }
            }
            let idle: Vec<String> = c
                .layers
                .iter()
                .filter(|l| l.counted == 0)
                .map(|l| plain(&l.name))
                .collect();
            if !idle.is_empty() {
                let cap = self.cap();
                let mut names = idle
                    .iter()
                    .take(cap)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ");
                if idle.len() > cap {
                    names.push_str(&format!(
                        " and {} (--all-rows names them)",
                        plural((idle.len() - cap) as u64, "more")
                    ));
                }
                for line in layout::wrap(&format!("no traffic in: {names}"), width) {
                    writeln!(out, "{}", self.paint(DIM, &line))?;
                }
            }
        }

        if !c.findings.is_empty() {
            self.heading(out, "FINDINGS")?;
            let cap = self.cap();
            for f in c.findings.iter().take(cap) {
                let sev = match f.severity.as_str() {
                    "error" => self.paint(RED, "error  "),
                    "warning" => self.paint(YELLOW, "warning"),
                    _ => self.paint(GREEN, "info   "),
                };
                let text = plain(&format!("{}: {}", f.kind, f.message));
                for (k, line) in layout::wrap(&text, width - 8).into_iter().enumerate() {
                    if k == 0 {
                        writeln!(out, "{sev} {line}")?;
                    } else {
                        writeln!(out, "        {line}")?;
                    }
                }
            }
            self.left_out(out, c.findings.len().saturating_sub(cap), "finding")?;
        }

        if !c.endpoints.is_empty() {
            self.heading(out, "ENDPOINTS")?;
            let cap = self.cap();
            let mut t = self.table();
            t.set_header([
                "method", "endpoint", "host", "client", "requests", "429", "peak/min",
            ])
            .right(4)
            .right(5)
            .right(6)
            .fold(2, 1)
            .fold(3, 0)
            .fold(6, 4);
            for e in c.endpoints.iter().take(cap) {
                t.add_row([
                    plain(&e.method),
                    plain(&e.template),
                    plain(&e.host),
                    e.client.clone(),
                    e.requests.to_string(),
                    e.throttled.to_string(),
                    e.peak_per_minute.to_string(),
                ]);
            }
            writeln!(out, "{t}")?;
            self.left_out(out, c.endpoints.len().saturating_sub(cap), "endpoint")?;
        }

        self.heading(out, "CLIENTS")?;
        if c.clients.is_empty() {
            writeln!(out, "no request carried a usable credential")?;
        } else {
            let cap = self.cap();
            let mut t = self.table();
            t.set_header(["client", "fingerprint", "requests", "tokens", "client id"])
                .right(2)
                .right(3);
            for cl in c.clients.iter().take(cap) {
                t.add_row([
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
            self.left_out(out, c.clients.len().saturating_sub(cap), "client")?;
        }
        if let Some(s) = &c.sanitized
            && s.authorization_stripped
        {
            for line in layout::wrap(
                "credentials were stripped before export: client grouping is unavailable",
                width,
            ) {
                writeln!(out, "{}", self.paint(YELLOW, &line))?;
            }
        }
        if !c.skipped.is_empty() {
            self.heading(out, &format!("SKIPPED ENTRIES ({})", c.skipped.len()))?;
            let cap = if self.style.all_rows { usize::MAX } else { 10 };
            for s in c.skipped.iter().take(cap) {
                self.lines(
                    out,
                    layout::hang(
                        &plain(&s.reason),
                        width,
                        &format!("entry {}: ", s.entry),
                        "  ",
                    ),
                )?;
            }
            self.left_out(out, c.skipped.len().saturating_sub(cap), "skipped entry")?;
        }
        Ok(())
    }
}

/// The summary of a server log, in parts packed onto one line when the width allows: file,
/// format, granularity, records, time span (UTC) and how many lines could not be read.
fn server_log_line(log: &ServerLogReport) -> Vec<String> {
    let mut parts = vec![
        format!("server log {}: {}", plain(&log.source), log.format),
        log.granularity.clone(),
    ];
    parts.push(if log.requests == log.records {
        format!(
            "{}, {} throttled",
            plural(log.records, "request"),
            log.throttled
        )
    } else {
        format!(
            "{}, {}, {} throttled",
            plural(log.records, "row"),
            plural(log.requests, "request"),
            log.throttled
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
    parts.push(format!("{} unparsed", plural(log.unparsed, "line")));
    parts
}

/// Joins parts with `sep`, starting a new line where the next part would pass `width`.
fn pack(parts: &[String], sep: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for part in parts {
        match lines.last_mut() {
            Some(line)
                if layout::width_of(line) + layout::width_of(sep) + layout::width_of(part)
                    <= width =>
            {
                line.push_str(sep);
                line.push_str(part);
            }
            _ => lines.extend(layout::wrap(part, width)),
        }
    }
    lines
}

/// Word-wraps text to a width (at spaces only; see `layout::wrap`).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    layout::wrap(text, width)
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
    fn packs_parts_into_lines() {
        let parts = ["aaa".to_string(), "bbb".into(), "ccc".into()];
        assert_eq!(pack(&parts, " · ", 9), vec!["aaa · bbb", "ccc"]);
    }
}

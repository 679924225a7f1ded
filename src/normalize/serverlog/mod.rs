//! Server-side logs: bytes of one log file in, a `ServerLog` of typed records out.
//!
//! Owns `LogReader`, a push parser the reading code feeds with the file's bytes in chunks of
//! any size: it looks at the first 16 KiB to recognise the format (or takes the user's
//! choice), splits the rest into lines capped at `MAX_LINE` (a longer line is a problem, not
//! an error, and is never held whole) or, for a Genesys usage document, into rows, reads each
//! through its format's module (`generic`, `nginx`, `apache`, `envoy`, `genesys`; shared parts
//! in `fields`, `pattern`, `json`, `time`) and collects records and problems. Repeated text
//! (user agents, IPs, clients) is stored once per log. A file that is not a log, or of whose
//! lines none can be read, is an `InputError` naming the file and what to do; problems and
//! errors never quote the file's content. Pure: no I/O, no clock; the fingerprint key is
//! passed in.

pub mod apache;
pub mod detect;
pub mod envoy;
pub mod fields;
pub mod generic;
pub mod genesys;
pub mod json;
pub mod nginx;
pub mod pattern;
pub mod time;

use std::collections::HashSet;
use std::sync::Arc;

use crate::error::{InputError, InputErrorKind, Location};
use crate::model::{Granularity, Sensitive, ServerLog, ServerLogFormat, ServerRecord};
use crate::normalize::FingerprintKey;

pub use detect::FormatChoice;
pub use genesys::UsageGranularity;

use detect::{Detected, Sniff};
use fields::{Draft, Finished};
use json::KeyMap;
use pattern::Pattern;

/// Longest line read; a longer one is a problem of its own and is skipped without being held.
pub const MAX_LINE: usize = 64 * 1024;
/// Bytes looked at to recognise a format.
pub const HEAD: usize = 16 * 1024;

/// A format ready to read lines (or rows).
#[derive(Debug)]
enum Parser {
    Generic(KeyMap),
    Text(Pattern),
    Json(KeyMap),
    Envoy(KeyMap),
    GenesysDocument(Box<genesys::Framer>),
    GenesysRows,
}

/// Reads one log, pushed a chunk at a time. Its `Debug` form names the log and counts lines,
/// never shows the bytes it holds.
pub struct LogReader<'k> {
    key: &'k FingerprintKey,
    choice: FormatChoice,
    head: Vec<u8>,
    parser: Option<Parser>,
    log: ServerLog,
    /// Line being assembled, and whether it went over `MAX_LINE`.
    line: Vec<u8>,
    overlong: bool,
    /// 1-based number of the line being assembled.
    line_no: u64,
    /// Whether any byte of the current line was seen.
    line_started: bool,
    interner: HashSet<Arc<str>>,
    from_end: u64,
    stated: Option<UsageGranularity>,
    query_status: Option<String>,
    execution_handle: bool,
    bom_checked: bool,
}

impl std::fmt::Debug for LogReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LogReader({}, {}, {} lines)",
            self.log.source,
            self.log.format.as_str(),
            self.log.lines
        )
    }
}

fn error(
    source: &str,
    kind: InputErrorKind,
    problem: impl Into<String>,
    hint: impl Into<String>,
) -> InputError {
    InputError::new(kind, source, None, problem, hint)
}

const FORMAT_HINT: &str = "name the format with --server-log-format (generic, nginx, apache, \
                           envoy, genesys-usage, or the log_format / LogFormat string)";

impl<'k> LogReader<'k> {
    /// A reader for the log named `source` (used in errors and in the `ServerLog`).
    pub fn new(source: &str, choice: FormatChoice, key: &'k FingerprintKey) -> LogReader<'k> {
        LogReader {
            key,
            choice,
            head: Vec::new(),
            parser: None,
            log: ServerLog {
                source: source.to_string(),
                format: ServerLogFormat::Generic,
                detected: false,
                granularity: Granularity::PerRequest,
                records: Vec::new(),
                problems: Vec::new(),
                unparsed: 0,
                lines: 0,
                resolution: 0,
                notes: Vec::new(),
            },
            line: Vec::new(),
            overlong: false,
            line_no: 1,
            line_started: false,
            interner: HashSet::new(),
            from_end: 0,
            stated: None,
            query_status: None,
            execution_handle: false,
            bom_checked: false,
        }
    }

    /// Feeds the next bytes. Fails when the first bytes show the file is not a log.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), InputError> {
        if self.parser.is_none() {
            self.head.extend_from_slice(data);
            if self.head.len() < HEAD {
                return Ok(());
            }
            self.decide(false)?;
            let head = std::mem::take(&mut self.head);
            self.consume(&head);
            return Ok(());
        }
        self.consume(data);
        Ok(())
    }

    /// Chooses the parser from the user's choice or the head.
    fn decide(&mut self, whole: bool) -> Result<(), InputError> {
        let source = self.log.source.clone();
        // exactly the first HEAD bytes of the file (less a UTF-8 BOM), however it was chunked
        let end = self.head.len().min(HEAD);
        let start = if self.head.starts_with(b"\xef\xbb\xbf") {
            3
        } else {
            0
        };
        let head = &self.head[start.min(end)..end];
        let whole = whole && self.head.len() <= HEAD;
        match detect::sniff(head, whole) {
            Sniff::Text => {}
            Sniff::Empty => {
                return Err(error(
                    &source,
                    InputErrorKind::Empty,
                    "the file is empty",
                    "point --server-log at the access log itself",
                ));
            }
            Sniff::Utf16 => {
                return Err(error(
                    &source,
                    InputErrorKind::Encoding,
                    "the file is UTF-16 text, not UTF-8",
                    "convert it first: iconv -f UTF-16 -t UTF-8 IN > OUT",
                ));
            }
            Sniff::Zip => {
                return Err(error(
                    &source,
                    InputErrorKind::NotLog,
                    "the file is a zip archive, not a log",
                    "unpack it and pass the log files (plain or .gz) or their folder",
                ));
            }
            Sniff::Binary => {
                return Err(error(
                    &source,
                    InputErrorKind::NotLog,
                    "the file holds binary data, not a text log",
                    "pass the access log itself (plain text or .gz)",
                ));
            }
            Sniff::Har => {
                return Err(error(
                    &source,
                    InputErrorKind::NotLog,
                    "the file is a HAR capture, not a server log",
                    "pass captures as inputs and the server's log with --server-log",
                ));
            }
        }
        let compile = |r: Result<Parser, String>| {
            r.map_err(|e| error(&source, InputErrorKind::NotLog, e, FORMAT_HINT))
        };
        let (format, parser) = match &self.choice {
            FormatChoice::Auto => {
                self.log.detected = true;
                match detect::detect(head, whole) {
                    Some(Detected::Generic) => {
                        (ServerLogFormat::Generic, Parser::Generic(generic::keys()))
                    }
                    Some(Detected::Envoy) => (ServerLogFormat::Envoy, Parser::Envoy(envoy::keys())),
                    Some(Detected::NginxJson) => {
                        (ServerLogFormat::NginxJson, Parser::Json(nginx::json_keys()))
                    }
                    Some(Detected::NginxCombined) => (
                        ServerLogFormat::Nginx,
                        Parser::Text(nginx::combined_prefix()),
                    ),
                    Some(Detected::GenesysDocument) => (
                        ServerLogFormat::GenesysUsage,
                        Parser::GenesysDocument(Box::default()),
                    ),
                    Some(Detected::GenesysRows) => {
                        (ServerLogFormat::GenesysUsage, Parser::GenesysRows)
                    }
                    None => {
                        return Err(error(
                            &source,
                            InputErrorKind::NotLog,
                            detect::UNRECOGNISED,
                            FORMAT_HINT,
                        ));
                    }
                }
            }
            FormatChoice::Generic => (ServerLogFormat::Generic, Parser::Generic(generic::keys())),
            FormatChoice::Envoy => (ServerLogFormat::Envoy, Parser::Envoy(envoy::keys())),
            FormatChoice::Nginx(spec) => {
                let spec = spec.as_deref().unwrap_or("combined");
                match nginx::compile(spec) {
                    Ok(nginx::Format::Text(p)) => (ServerLogFormat::Nginx, Parser::Text(p)),
                    Ok(nginx::Format::Json(k)) => (ServerLogFormat::NginxJson, Parser::Json(k)),
                    Err(e) => (ServerLogFormat::Nginx, compile(Err(e))?),
                }
            }
            FormatChoice::NginxJson(spec) => match spec.as_deref().map(nginx::compile) {
                None => (ServerLogFormat::NginxJson, Parser::Json(nginx::json_keys())),
                Some(Ok(nginx::Format::Json(k))) => (ServerLogFormat::NginxJson, Parser::Json(k)),
                Some(Ok(nginx::Format::Text(p))) => (ServerLogFormat::Nginx, Parser::Text(p)),
                Some(Err(e)) => (ServerLogFormat::NginxJson, compile(Err(e))?),
            },
            FormatChoice::Apache(spec) => (
                ServerLogFormat::Apache,
                compile(apache::compile(spec.as_deref().unwrap_or("combined")).map(Parser::Text))?,
            ),
            FormatChoice::GenesysUsage(_) => {
                let rows = matches!(detect::detect(head, whole), Some(Detected::GenesysRows));
                (
                    ServerLogFormat::GenesysUsage,
                    if rows {
                        Parser::GenesysRows
                    } else {
                        Parser::GenesysDocument(Box::default())
                    },
                )
            }
        };
        self.log.format = format;
        self.parser = Some(parser);
        self.head.drain(..start);
        self.bom_checked = true;
        Ok(())
    }

    fn consume(&mut self, data: &[u8]) {
        let mut data = data;
        if !self.bom_checked {
            self.bom_checked = true;
            if let Some(rest) = data.strip_prefix(b"\xef\xbb\xbf") {
                data = rest;
            }
        }
        if let Some(Parser::GenesysDocument(framer)) = &mut self.parser {
            let mut events = Vec::new();
            framer.feed(data, &mut |e| events.push(e));
            for e in events {
                self.usage_event(e);
            }
            // lines are still counted for the summary
            for &b in data {
                self.count_byte(b);
            }
            return;
        }
        let mut rest = data;
        while !rest.is_empty() {
            match memchr::memchr(b'\n', rest) {
                Some(i) => {
                    self.append(&rest[..i]);
                    self.end_line();
                    rest = &rest[i + 1..];
                }
                None => {
                    self.append(rest);
                    rest = &[];
                }
            }
        }
    }

    /// Line counting for formats read as documents.
    fn count_byte(&mut self, b: u8) {
        if b == b'\n' {
            self.log.lines += 1;
            self.line_started = false;
        } else {
            self.line_started = true;
        }
    }

    fn append(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.line_started = true;
        if self.overlong {
            return;
        }
        if self.line.len() + bytes.len() > MAX_LINE {
            self.overlong = true;
            self.line = Vec::new();
        } else {
            self.line.extend_from_slice(bytes);
        }
    }

    fn end_line(&mut self) {
        let n = self.line_no;
        self.line_no += 1;
        self.log.lines += 1;
        self.line_started = false;
        if std::mem::take(&mut self.overlong) {
            self.log.problem(
                n,
                format!("the line is longer than {} KiB", MAX_LINE / 1024),
            );
            return;
        }
        let bytes = std::mem::take(&mut self.line);
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim_end_matches('\r');
        if text.trim().is_empty() {
            return;
        }
        self.read_line(n, text);
        // keep the buffer's capacity for the next line
        self.line = bytes;
        self.line.clear();
    }

    fn read_line(&mut self, n: u64, text: &str) {
        let key = self.key;
        let result: Result<Finished, String> = match &self.parser {
            Some(Parser::Generic(keys)) => {
                generic::draft(text, keys).and_then(|d| d.finish(n, key))
            }
            Some(Parser::Text(p)) => {
                let mut d = Draft::default();
                p.read(text, &mut d).and_then(|_| d.finish(n, key))
            }
            Some(Parser::Json(keys)) => json::object(text).and_then(|obj| {
                let mut d = Draft::default();
                json::read(&obj, keys, &mut d)?;
                d.finish(n, key)
            }),
            Some(Parser::Envoy(keys)) => envoy::draft(text, keys).and_then(|d| d.finish(n, key)),
            Some(Parser::GenesysRows) => genesys::row(text, n).map(|r| Finished {
                record: r.record,
                resolution: r.resolution,
                from_end: false,
            }),
            Some(Parser::GenesysDocument(_)) | None => return,
        };
        match result {
            Ok(f) => self.accept(f),
            Err(reason) => self.log.problem(n, reason),
        }
    }

    fn usage_event(&mut self, e: genesys::Event) {
        match e {
            genesys::Event::Row { line, bytes } => {
                let text = String::from_utf8_lossy(&bytes);
                match genesys::row(&text, line) {
                    Ok(r) => self.accept(Finished {
                        record: r.record,
                        resolution: r.resolution,
                        from_end: false,
                    }),
                    Err(reason) => self.log.problem(line, reason),
                }
            }
            genesys::Event::Member { key, bytes } => match key.as_str() {
                "granularity" | "query" => {
                    if let Some(g) = genesys::stated_granularity(&key, &bytes) {
                        self.stated = Some(g);
                    }
                }
                "queryStatus" => {
                    if let Ok(serde_json::Value::String(s)) = serde_json::from_slice(&bytes) {
                        self.query_status = Some(s);
                    }
                }
                "executionId" | "resultsUri" => self.execution_handle = true,
                _ => {}
            },
            genesys::Event::Problem { line, reason } => self.log.problem(line, reason),
        }
    }

    fn canon(&mut self, s: &mut Option<Sensitive<Arc<str>>>) {
        if let Some(v) = s {
            let text = v.expose_for_computation();
            match self.interner.get(&**text) {
                Some(shared) => *v = Sensitive::new(shared.clone()),
                None => {
                    self.interner.insert(text.clone());
                }
            }
        }
    }

    fn accept(&mut self, f: Finished) {
        let mut r: ServerRecord = f.record;
        self.canon(&mut r.host);
        self.canon(&mut r.client);
        self.canon(&mut r.client_name);
        self.canon(&mut r.user);
        self.canon(&mut r.user_agent);
        self.canon(&mut r.ip);
        self.log.resolution = self.log.resolution.max(f.resolution);
        if f.from_end {
            self.from_end += 1;
        }
        self.log.records.push(r);
    }

    /// Ends the file: reads what is left and returns the log, or why it is not one.
    pub fn finish(mut self) -> Result<ServerLog, InputError> {
        if self.parser.is_none() {
            self.decide(true)?;
            let head = std::mem::take(&mut self.head);
            self.consume(&head);
        }
        let source = self.log.source.clone();
        if let Some(Parser::GenesysDocument(framer)) = &mut self.parser {
            let mut events = Vec::new();
            framer.finish(&mut |e| events.push(e));
            let saw_results = framer.saw_results;
            for e in events {
                self.usage_event(e);
            }
            if self.line_started {
                self.log.lines += 1;
            }
            if !saw_results && self.log.records.is_empty() {
                return Err(if self.execution_handle {
                    error(
                        &source,
                        InputErrorKind::NotLog,
                        "this is a usage query's execution handle (executionId, resultsUri), \
                         not its results",
                        "fetch GET /api/v2/usage/query/{executionId}/results and pass what it \
                         returns",
                    )
                } else {
                    error(
                        &source,
                        InputErrorKind::NotLog,
                        "the JSON document holds no results array",
                        "pass what GET /api/v2/usage/query/{executionId}/results returns",
                    )
                });
            }
        } else if self.line_started || !self.line.is_empty() || self.overlong {
            self.end_line();
        }
        if matches!(
            self.parser,
            Some(Parser::GenesysDocument(_) | Parser::GenesysRows)
        ) {
            let named = match self.choice {
                FormatChoice::GenesysUsage(g) => g,
                _ => None,
            };
            let (g, note) = genesys::assign_intervals(&mut self.log.records, named, self.stated);
            self.log.granularity = g;
            self.log.notes.extend(note);
            if let Some(status) = &self.query_status
                && !status.eq_ignore_ascii_case("complete")
            {
                self.log.notes.push(
                    "the usage query had not completed (queryStatus is not Complete): the \
                     counts may be partial; fetch the results again once it has"
                        .into(),
                );
            }
        }
        if self.log.records.is_empty() {
            return Err(match self.log.problems.first() {
                Some(first) => InputError::new(
                    InputErrorKind::NoUsableEntry,
                    &source,
                    Some(Location::LineCol {
                        line: first.line,
                        column: 1,
                    }),
                    format!(
                        "none of the {} lines could be read as {} (the first: {})",
                        self.log.unparsed,
                        describe(&self.log),
                        first.reason
                    ),
                    FORMAT_HINT,
                ),
                None => error(
                    &source,
                    InputErrorKind::Empty,
                    "the log holds no requests",
                    "point --server-log at a log of the minutes the captures cover",
                ),
            });
        }
        let n = self.log.records.len() as u64;
        if self.from_end > 0 {
            self.log.notes.push(if self.from_end == n {
                "times are when nginx wrote each line, after the response: add $request_time \
                 to the log_format to read arrival times"
                    .to_string()
            } else {
                format!(
                    "{} of {n} times are when nginx wrote the line, after the response (no \
                     $request_time on those lines)",
                    self.from_end
                )
            });
        }
        // time order; equal times keep file order
        self.log.records.sort_by_key(|r| r.time);
        Ok(self.log)
    }
}

fn describe(log: &ServerLog) -> String {
    let name = log.format.as_str();
    if log.detected {
        format!("{name} (recognised from the first lines)")
    } else {
        name.to_string()
    }
}

/// Reads a whole log held in memory (tests, fuzzing): feeds it in chunks of `chunk` bytes.
pub fn read_bytes(
    source: &str,
    bytes: &[u8],
    choice: &FormatChoice,
    key: &FingerprintKey,
    chunk: usize,
) -> Result<ServerLog, InputError> {
    let mut r = LogReader::new(source, choice.clone(), key);
    for c in bytes.chunks(chunk.max(1)) {
        r.feed(c)?;
    }
    r.finish()
}

#[cfg(test)]
mod tests;

//! Genesys Cloud API usage query results: aggregated rows per interval, client, user, endpoint
//! template and method.
//!
//! The documented flow: `POST /api/v2/usage/query` with an `ApiUsageOrganizationQuery`
//! (`interval`, `granularity` one of `Day`, `Week`, `Month`, `metrics`, `groupBy` among
//! `OAuthClientId`, `OrganizationId`, `UserId`, `TemplateUri`, `HttpMethod`) answers a
//! `UsageExecutionResult` (`executionId`, `resultsUri`); `GET
//! /api/v2/usage/query/{executionId}/results` answers an `ApiUsageQueryResult` (`results`: a
//! list of `ApiUsageRow`, `queryStatus`, `cursors`). An `ApiUsageRow` holds `clientId`,
//! `clientName`, `organizationId`, `userId`, `templateUri`, `httpMethod`, `status200`,
//! `status300`, `status400`, `status500`, `status429` ("a subset of the count returned with
//! status400"), `requests` and `date` ("Date of requests, based on granularity", ISO-8601).
//! Sources: the Genesys Cloud platform-client SDK model docs (`ApiUsageRow.md`,
//! `ApiUsageQueryResult.md`, `UsageExecutionResult.md`, `ApiUsageOrganizationQuery.md` in
//! MyPureCloud/platform-client-sdk-python, and the `GranularityEnum` of the .NET SDK's
//! `ApiUsageOrganizationQuery`).
//!
//! Owns the streaming `Framer` (one results document, or several pages one after the other,
//! pretty-printed or not, or a bare array of rows: each row is cut out as its own small frame,
//! so memory does not grow with the export), reading one row into an aggregated
//! `ServerRecord`, and the rows' interval: the granularity the user names, else the one the
//! file states, else the one the rows' dates show. It must not read files. Pure.

use serde_json::Value;

use crate::model::{Granularity, Method, Micros, Sensitive, ServerRecord, time::SECOND};

use super::json;
use super::time;

/// Largest row (or document member) cut out of a results document.
pub const MAX_FRAME: usize = 64 * 1024;
/// Deepest nesting accepted.
const MAX_DEPTH: usize = 256;

const DAY: Micros = 86_400 * SECOND;

/// The `granularity` of a usage query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsageGranularity {
    /// `Day`.
    Day,
    /// `Week`.
    Week,
    /// `Month`.
    Month,
}

impl UsageGranularity {
    /// `Day`, `week`, `MONTH`, ...
    pub fn parse(s: &str) -> Option<UsageGranularity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "day" | "daily" => Some(UsageGranularity::Day),
            "week" | "weekly" => Some(UsageGranularity::Week),
            "month" | "monthly" => Some(UsageGranularity::Month),
            _ => None,
        }
    }

    /// The API's own spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            UsageGranularity::Day => "Day",
            UsageGranularity::Week => "Week",
            UsageGranularity::Month => "Month",
        }
    }

    fn granularity(&self) -> Granularity {
        match self {
            UsageGranularity::Day => Granularity::Aggregated { interval: DAY },
            UsageGranularity::Week => Granularity::Aggregated { interval: 7 * DAY },
            UsageGranularity::Month => Granularity::Monthly,
        }
    }

    /// Length of the interval that starts at `start`.
    fn interval_at(&self, start: Micros) -> Micros {
        match self {
            UsageGranularity::Day => DAY,
            UsageGranularity::Week => 7 * DAY,
            UsageGranularity::Month => month_length(start),
        }
    }
}

/// Length of the calendar month (UTC) that holds `at`.
fn month_length(at: Micros) -> Micros {
    use chrono::{Datelike, NaiveDate, TimeZone, Utc};
    let Some(t) = Utc.timestamp_micros(at).single() else {
        return 30 * DAY;
    };
    let (y, m) = (t.year(), t.month());
    let first = NaiveDate::from_ymd_opt(y, m, 1);
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    match (first, next) {
        (Some(a), Some(b)) => (b - a).num_days() * DAY,
        _ => 30 * DAY,
    }
}

/// Whether `at` is midnight UTC on the first day of a month.
fn is_month_start(at: Micros) -> bool {
    use chrono::{Datelike, TimeZone, Utc};
    at % DAY == 0
        && Utc
            .timestamp_micros(at)
            .single()
            .is_some_and(|t| t.day() == 1)
}

/// What the framer found. Its `Debug` form shows sizes, never the row's text.
#[derive(PartialEq, Eq)]
pub enum Event {
    /// One element of `results` (or of a bare top-level array): its JSON and first line.
    Row {
        /// 1-based line where the row starts.
        line: u64,
        /// The row's JSON text.
        bytes: Vec<u8>,
    },
    /// A member of a results document other than `results` that why429 reads
    /// (`queryStatus`, `granularity`, `query`, `executionId`, `resultsUri`).
    Member {
        /// The key.
        key: String,
        /// The value's JSON text.
        bytes: Vec<u8>,
    },
    /// Something that is not a row, or damage.
    Problem {
        /// 1-based line.
        line: u64,
        /// Why (why429's wording).
        reason: String,
    },
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Row { line, bytes } => write!(f, "Row(line {line}, {} bytes)", bytes.len()),
            Event::Member { key, bytes } => {
                write!(f, "Member({key}, {} bytes)", bytes.len())
            }
            Event::Problem { line, reason } => write!(f, "Problem(line {line}: {reason})"),
        }
    }
}

/// Document members the framer hands out.
const MEMBERS: [&str; 6] = [
    "queryStatus",
    "granularity",
    "query",
    "executionId",
    "resultsUri",
    "interval",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Key,
    Colon,
    Value,
    Comma,
}

enum CaptureKind {
    Row,
    Member(String),
    Skip,
}

struct Capture {
    kind: CaptureKind,
    line: u64,
    /// Depth (containers open) when the value started.
    depth: usize,
    bytes: Vec<u8>,
    too_large: bool,
    /// A string, number or literal rather than an object or array.
    scalar: bool,
}

/// Cuts a usage results document into rows, one byte chunk at a time.
pub struct Framer {
    line: u64,
    stack: Vec<u8>,
    in_str: bool,
    esc: bool,
    /// Expectation for members of the top-level object (depth 1).
    expect: Expect,
    key: Option<Vec<u8>>,
    member: Option<String>,
    /// Depth at which `results` elements sit, while inside it.
    results_depth: Option<usize>,
    /// Whether the current `results` element has ended and a comma is awaited.
    after_element: bool,
    capture: Option<Capture>,
    dead: bool,
    /// Whether a `results` member (or a top-level array of rows) was seen.
    pub saw_results: bool,
}

impl std::fmt::Debug for Framer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // never the bytes being cut out
        write!(f, "Framer(line {}, depth {})", self.line, self.stack.len())
    }
}

impl Default for Framer {
    fn default() -> Self {
        Framer {
            line: 1,
            stack: Vec::new(),
            in_str: false,
            esc: false,
            expect: Expect::Key,
            key: None,
            member: None,
            results_depth: None,
            after_element: false,
            capture: None,
            dead: false,
            saw_results: false,
        }
    }
}

impl Framer {
    /// A framer at the start of a file.
    pub fn new() -> Framer {
        Framer::default()
    }

    fn damage(&mut self, why: &str, out: &mut dyn FnMut(Event)) {
        self.dead = true;
        self.capture = None;
        out(Event::Problem {
            line: self.line,
            reason: format!("{why}: the rest of the file was not read"),
        });
    }

    fn start(&mut self, kind: CaptureKind, scalar: bool) {
        self.capture = Some(Capture {
            kind,
            line: self.line,
            depth: self.stack.len(),
            bytes: Vec::new(),
            too_large: false,
            scalar,
        });
    }

    fn end(&mut self, out: &mut dyn FnMut(Event)) {
        let Some(c) = self.capture.take() else {
            return;
        };
        let inside_results = self.results_depth == Some(c.depth);
        if inside_results {
            self.after_element = true;
        }
        if c.depth == 1 && self.stack.first() == Some(&b'{') {
            self.expect = Expect::Comma;
        }
        match c.kind {
            CaptureKind::Row if c.scalar => out(Event::Problem {
                line: c.line,
                reason: "a results element is not an object".into(),
            }),
            CaptureKind::Row if c.too_large => out(Event::Problem {
                line: c.line,
                reason: format!("the row is larger than {} KiB", MAX_FRAME / 1024),
            }),
            CaptureKind::Row => out(Event::Row {
                line: c.line,
                bytes: c.bytes,
            }),
            CaptureKind::Member(key) if !c.too_large => out(Event::Member {
                key,
                bytes: c.bytes,
            }),
            CaptureKind::Member(_) | CaptureKind::Skip => {}
        }
    }

    /// A value starts at this byte (not a string's closing quote): decide what it is.
    fn value_start(&mut self, c: u8, out: &mut dyn FnMut(Event)) -> bool {
        let depth = self.stack.len();
        let scalar = !matches!(c, b'{' | b'[');
        if depth == 0 {
            if c == b'[' {
                // a bare array of rows
                self.saw_results = true;
                self.results_depth = Some(1);
                self.after_element = false;
                return true;
            }
            if c != b'{' {
                self.damage("the file is not a JSON document here", out);
                return false;
            }
            self.expect = Expect::Key;
            return true;
        }
        if self.results_depth == Some(depth) && self.stack.last() == Some(&b'[') {
            if self.after_element {
                self.damage("a comma is missing between two rows", out);
                return false;
            }
            self.start(CaptureKind::Row, scalar);
            return true;
        }
        if depth == 1 && self.stack[0] == b'{' {
            if self.expect != Expect::Value {
                self.damage("the results document is not valid JSON here", out);
                return false;
            }
            let key = self.member.take().unwrap_or_default();
            if key == "results" && c == b'[' {
                self.saw_results = true;
                self.results_depth = Some(2);
                self.after_element = false;
                self.expect = Expect::Comma;
                return true;
            }
            let kind = if MEMBERS.contains(&key.as_str()) {
                CaptureKind::Member(key)
            } else {
                CaptureKind::Skip
            };
            self.start(kind, scalar);
        }
        true
    }

    /// Feeds the next bytes of the file.
    pub fn feed(&mut self, data: &[u8], out: &mut dyn FnMut(Event)) {
        for &c in data {
            if c == b'\n' {
                self.line += 1;
            }
            if self.dead {
                continue;
            }
            let had_capture = self.capture.is_some();
            self.push(c);
            self.step(c, out);
            // a value that started at this byte keeps its first byte
            if !had_capture {
                self.push(c);
            }
        }
    }

    fn push(&mut self, c: u8) {
        if let Some(cap) = &mut self.capture
            && !cap.too_large
        {
            if cap.bytes.len() >= MAX_FRAME {
                cap.too_large = true;
                cap.bytes = Vec::new();
            } else {
                cap.bytes.push(c);
            }
        }
    }

    fn at_top_object(&self) -> bool {
        self.stack.len() == 1 && self.stack[0] == b'{'
    }

    fn step(&mut self, c: u8, out: &mut dyn FnMut(Event)) {
        if self.in_str {
            if self.esc {
                self.esc = false;
            } else if c == b'\\' {
                self.esc = true;
            } else if c == b'"' {
                self.in_str = false;
                if let Some(k) = self.key.take() {
                    self.member = Some(String::from_utf8_lossy(&k).into_owned());
                    self.expect = Expect::Colon;
                } else if self
                    .capture
                    .as_ref()
                    .is_some_and(|cap| cap.scalar && cap.depth == self.stack.len())
                {
                    self.end(out);
                }
                return;
            }
            if let Some(k) = &mut self.key
                && k.len() < 256
            {
                k.push(c);
            }
            return;
        }
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => self.end_scalar(true, out),
            b'"' => {
                if self.capture.is_none() && self.at_top_object() && self.expect == Expect::Key {
                    self.key = Some(Vec::new());
                    self.in_str = true;
                    return;
                }
                if self.capture.is_none() && !self.value_start(c, out) {
                    return;
                }
                self.in_str = true;
            }
            b'{' | b'[' => {
                if self.capture.is_none() && !self.value_start(c, out) {
                    return;
                }
                if self.stack.len() >= MAX_DEPTH {
                    self.damage("the document nests too deep", out);
                    return;
                }
                self.stack.push(c);
            }
            b'}' | b']' => {
                self.end_scalar(true, out);
                let open = if c == b'}' { b'{' } else { b'[' };
                if self.stack.pop() != Some(open) {
                    self.damage("a bracket does not match", out);
                    return;
                }
                let depth = self.stack.len();
                if self.results_depth == Some(depth + 1) && c == b']' {
                    self.results_depth = None;
                    if depth == 1 {
                        self.expect = Expect::Comma;
                    }
                }
                if self.capture.as_ref().is_some_and(|cap| cap.depth == depth) {
                    self.end(out);
                }
                if depth == 0 {
                    self.expect = Expect::Key;
                }
            }
            b',' => {
                self.end_scalar(true, out);
                if self.capture.is_none() {
                    if self.results_depth == Some(self.stack.len()) {
                        self.after_element = false;
                    }
                    if self.at_top_object() {
                        self.expect = Expect::Key;
                    }
                }
            }
            b':' if self.capture.is_none() && self.at_top_object() => {
                if self.expect != Expect::Colon {
                    self.damage("the results document is not valid JSON here", out);
                    return;
                }
                self.expect = Expect::Value;
            }
            _ => {
                if self.capture.is_none() {
                    if self.at_top_object() && self.expect != Expect::Value {
                        self.damage("the results document is not valid JSON here", out);
                        return;
                    }
                    self.value_start(c, out);
                }
            }
        }
    }

    /// A number or literal ends at whitespace, a comma or a closing bracket (`delimiter`: the
    /// byte that ended it was already copied into the capture).
    fn end_scalar(&mut self, delimiter: bool, out: &mut dyn FnMut(Event)) {
        if let Some(cap) = &mut self.capture
            && cap.scalar
            && cap.depth == self.stack.len()
        {
            if delimiter && !cap.too_large {
                cap.bytes.pop();
            }
            self.end(out);
        }
    }

    /// The end of the file.
    pub fn finish(&mut self, out: &mut dyn FnMut(Event)) {
        if self.dead {
            return;
        }
        self.end_scalar(false, out);
        if !self.stack.is_empty() || self.in_str {
            let what = if self.results_depth.is_some() {
                "the file ends inside the results array: the last row is cut short"
            } else {
                "the file ends inside the JSON document"
            };
            out(Event::Problem {
                line: self.line,
                reason: what.into(),
            });
            self.dead = true;
        }
    }
}

/// Whether a parsed JSON line is one usage row (rows one per line, as some exports write them).
pub fn looks_like_row(obj: &serde_json::Map<String, Value>) -> bool {
    obj.contains_key("templateUri")
        && (obj.contains_key("requests") || obj.contains_key("status429"))
}

fn count(obj: &serde_json::Map<String, Value>, key: &str) -> Result<Option<u32>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .map(Some)
            .ok_or_else(|| format!("{key} is not a count")),
        Some(_) => Err(format!("{key} is not a count")),
    }
}

fn string<'a>(
    obj: &'a serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim())),
        Some(_) => Err(format!("{key} is not text")),
    }
}

/// A row and the precision of its date.
#[derive(Debug)]
pub struct Row {
    /// The record (its `interval` is set once the granularity is known).
    pub record: ServerRecord,
    /// Precision of its `date`.
    pub resolution: Micros,
}

/// Reads one `ApiUsageRow`.
pub fn row(text: &str, line: u64) -> Result<Row, String> {
    let obj = json::object(text).map_err(|e| e.replace("the line", "the row"))?;
    let date = string(&obj, "date")?.ok_or("the row has no date")?;
    let stamp = time::rfc3339(date)?;
    let method = string(&obj, "httpMethod")?.ok_or("the row has no httpMethod")?;
    let method = match Method::parse(method) {
        Method::Other(None) => return Err("httpMethod is not an HTTP method".into()),
        m => m,
    };
    let template = string(&obj, "templateUri")?.ok_or("the row has no templateUri")?;
    let template = if template.starts_with('/') {
        template.to_string()
    } else {
        format!("/{template}")
    };
    let by_status = ["status200", "status300", "status400", "status500"]
        .iter()
        .map(|k| count(&obj, k))
        .collect::<Result<Vec<_>, _>>()?;
    let requests = match count(&obj, "requests")? {
        Some(n) => n,
        None if by_status.iter().any(Option::is_some) => by_status
            .iter()
            .flatten()
            .fold(0u32, |a, b| a.saturating_add(*b)),
        None => return Err("the row has no request count (requests or statusNNN)".into()),
    };
    let throttled = count(&obj, "status429")?.unwrap_or(0);
    if throttled > requests {
        return Err("status429 is larger than the row's request count".into());
    }
    let text = |k| string(&obj, k).map(|s| s.map(|s| Sensitive::new(std::sync::Arc::from(s))));
    Ok(Row {
        record: ServerRecord {
            line,
            time: stamp.at,
            interval: 0,
            method,
            host: None,
            path: None,
            template: Some(template),
            status: None,
            duration: None,
            client: text("clientId")?,
            client_name: text("clientName")?,
            user: text("userId")?,
            token: None,
            correlation: None,
            user_agent: None,
            ip: None,
            count: requests,
            throttled,
            limiter: None,
        },
        resolution: stamp.resolution,
    })
}

/// The granularity stated by a document member (`granularity: "Week"`, or a `query` object
/// holding one).
pub fn stated_granularity(key: &str, bytes: &[u8]) -> Option<UsageGranularity> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    match (key, &v) {
        ("granularity", Value::String(s)) => UsageGranularity::parse(s),
        ("query", Value::Object(q)) => q
            .get("granularity")
            .and_then(Value::as_str)
            .and_then(UsageGranularity::parse),
        _ => None,
    }
}

/// Sets each record's interval; returns the log's granularity and a note on how it was
/// known when the user did not say and the file did not state it.
pub fn assign_intervals(
    records: &mut [ServerRecord],
    named: Option<UsageGranularity>,
    stated: Option<UsageGranularity>,
) -> (Granularity, Option<String>) {
    let (g, note) = match named.or(stated) {
        Some(g) => (g, None),
        None => {
            let mut dates: Vec<Micros> = records.iter().map(|r| r.time).collect();
            dates.sort_unstable();
            dates.dedup();
            let gap = dates.windows(2).map(|w| w[1] - w[0]).min();
            let told = match gap {
                Some(g) if g >= 28 * DAY && dates.iter().all(|d| is_month_start(*d)) => {
                    Some(UsageGranularity::Month)
                }
                Some(g) if g > 0 && g % (7 * DAY) == 0 => Some(UsageGranularity::Week),
                Some(g) if g > 0 && g % DAY == 0 => Some(UsageGranularity::Day),
                _ => None,
            };
            match told {
                Some(g) => (
                    g,
                    Some(format!(
                        "the query's granularity is not in the file: {} was told from the rows' \
                         dates (name it with --server-log-format genesys-usage:day, :week or \
                         :month if that is wrong)",
                        g.as_str()
                    )),
                ),
                None => (
                    UsageGranularity::Day,
                    Some(
                        "the query's granularity is not in the file and the rows' dates do not \
                         show it: read as Day, the finest the usage API offers (name it with \
                         --server-log-format genesys-usage:week or :month if the query asked \
                         for another)"
                            .into(),
                    ),
                ),
            }
        }
    };
    for r in records.iter_mut() {
        r.interval = g.interval_at(r.time);
    }
    (g.granularity(), note)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// An `ApiUsageQueryResult` as `GET /api/v2/usage/query/{executionId}/results` answers it,
    /// built from the SDK's documented models (pretty-printed, as a browser saves it).
    pub const EXPORT: &str = r#"{
  "results": [
    {
      "clientId": "5c1a7e0b-2f1d-4a55-9d1e-6b2c0e4f7a10",
      "clientName": "Genesys Cloud UI",
      "organizationId": "0f3e5a2c-7b6d-4e1f-8a9b-1c2d3e4f5a6b",
      "userId": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d",
      "templateUri": "api/v2/users/{userId}/presences/purecloud",
      "httpMethod": "GET",
      "status200": 1180,
      "status300": 0,
      "status400": 57,
      "status429": 57,
      "status500": 0,
      "requests": 1237,
      "date": "2026-11-28T00:00:00Z"
    },
    {
      "clientId": "b2d4f6a8-1c3e-4a5b-8d7f-9e0a1b2c3d4e",
      "clientName": "IVR updater",
      "userId": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d",
      "templateUri": "api/v2/architect/ivrs/{ivrId}",
      "httpMethod": "PUT",
      "status200": 14,
      "status429": 4,
      "status400": 4,
      "requests": 18,
      "date": "2026-11-28T00:00:00.000Z"
    }
  ],
  "queryStatus": "Complete"
}
"#;

    fn frame(text: &[u8], chunk: usize) -> Vec<Event> {
        let mut f = Framer::new();
        let mut out = Vec::new();
        for c in text.chunks(chunk.max(1)) {
            f.feed(c, &mut |e| out.push(e));
        }
        f.finish(&mut |e| out.push(e));
        out
    }

    #[test]
    fn rows_are_cut_out_whatever_the_chunking() {
        for chunk in [1, 7, 64, 1 << 20] {
            let events = frame(EXPORT.as_bytes(), chunk);
            let rows: Vec<&Event> = events
                .iter()
                .filter(|e| matches!(e, Event::Row { .. }))
                .collect();
            assert_eq!(rows.len(), 2, "chunk {chunk}: {events:?}");
            assert!(matches!(rows[0], Event::Row { line: 3, .. }));
            assert!(matches!(rows[1], Event::Row { line: 18, .. }));
            assert!(events.contains(&Event::Member {
                key: "queryStatus".into(),
                bytes: b"\"Complete\"".to_vec()
            }));
            assert!(!events.iter().any(|e| matches!(e, Event::Problem { .. })));
        }
    }

    #[test]
    fn rows_become_aggregated_records() {
        let events = frame(EXPORT.as_bytes(), 4096);
        let mut records: Vec<ServerRecord> = events
            .iter()
            .filter_map(|e| match e {
                Event::Row { line, bytes } => Some(
                    row(std::str::from_utf8(bytes).unwrap(), *line)
                        .unwrap()
                        .record,
                ),
                _ => None,
            })
            .collect();
        let r = &records[0];
        assert_eq!(r.time, 1_795_824_000_000_000);
        assert_eq!(r.count, 1237);
        assert_eq!(r.throttled, 57);
        assert_eq!(r.method, Method::Get);
        assert_eq!(
            r.template.as_deref(),
            Some("/api/v2/users/{userId}/presences/purecloud")
        );
        assert_eq!(
            &**r.client_name.as_ref().unwrap().expose_for_computation(),
            "Genesys Cloud UI"
        );
        assert!(r.path.is_none());
        let (g, note) = assign_intervals(&mut records, Some(UsageGranularity::Day), None);
        assert_eq!(g, Granularity::Aggregated { interval: DAY });
        assert!(note.is_none());
        assert!(records.iter().all(|r| r.interval == DAY));
    }

    #[test]
    fn pages_one_after_the_other_and_bare_arrays() {
        let two = format!("{EXPORT}{}", EXPORT.replace('\n', ""));
        let rows = frame(two.as_bytes(), 100)
            .into_iter()
            .filter(|e| matches!(e, Event::Row { .. }))
            .count();
        assert_eq!(rows, 4);
        let bare = r#"[{"templateUri":"a","httpMethod":"GET","requests":1,"date":"2026-11-28T00:00:00Z"}, 5]"#;
        let events = frame(bare.as_bytes(), 3);
        assert!(matches!(events[0], Event::Row { line: 1, .. }));
        assert_eq!(
            events[1],
            Event::Problem {
                line: 1,
                reason: "a results element is not an object".into()
            }
        );
    }

    #[test]
    fn damage_and_cut_files_are_problems() {
        let cut = &EXPORT[..EXPORT.len() / 2];
        let events = frame(cut.as_bytes(), 10);
        assert!(
            matches!(events.last(), Some(Event::Problem { reason, .. }) if reason.contains("cut short"))
        );
        let events = frame(b"{\"results\": [}", 10);
        assert!(
            matches!(events.last(), Some(Event::Problem { reason, .. }) if reason.contains("rest of the file"))
        );
        let events = frame(b"garbage", 10);
        assert!(matches!(
            events.last(),
            Some(Event::Problem { line: 1, .. })
        ));
    }

    #[test]
    fn bad_rows_say_why() {
        let base = r#""templateUri":"a","httpMethod":"GET","date":"2026-11-28T00:00:00Z""#;
        for (row_text, why) in [
            (format!("{{{base}}}"), "no request count"),
            (format!("{{{base},\"requests\":-1}}"), "requests is not a count"),
            (format!("{{{base},\"requests\":1,\"status429\":2}}"), "larger"),
            (
                r#"{"templateUri":"a","httpMethod":"GET","requests":1,"date":"2026-11-28T00:00:00"}"#
                    .to_string(),
                "no zone",
            ),
            (r#"{"templateUri":"a","requests":1,"date":"2026-11-28T00:00:00Z"}"#.to_string(), "httpMethod"),
        ] {
            let e = row(&row_text, 1).unwrap_err();
            assert!(e.contains(why), "{row_text}: {e}");
        }
        // the status counts make the total when `requests` was not asked for
        let r = row(
            &format!("{{{base},\"status200\":3,\"status400\":2,\"status429\":2}}"),
            1,
        )
        .unwrap();
        assert_eq!(r.record.count, 5);
    }

    #[test]
    fn granularity_from_the_user_the_file_or_the_dates() {
        let rec = |day: i64| {
            row(
                &format!(
                    r#"{{"templateUri":"a","httpMethod":"GET","requests":1,"date":"{}"}}"#,
                    crate::model::time::rfc3339_utc(1_795_824_000_000_000 + day * DAY)
                ),
                1,
            )
            .unwrap()
            .record
        };
        let mut weekly = vec![rec(0), rec(7), rec(14)];
        let (g, note) = assign_intervals(&mut weekly, None, None);
        assert_eq!(g, Granularity::Aggregated { interval: 7 * DAY });
        assert!(note.unwrap().contains("Week was told"));
        let (g, _) = assign_intervals(&mut weekly, None, Some(UsageGranularity::Day));
        assert_eq!(g, Granularity::Aggregated { interval: DAY });
        let mut one = vec![rec(0)];
        let (g, note) = assign_intervals(&mut one, None, None);
        assert_eq!(g, Granularity::Aggregated { interval: DAY });
        assert!(note.unwrap().contains("read as Day"));
        // months: 2026-11-01, 2026-12-01
        let m = |d: &str| {
            row(
                &format!(r#"{{"templateUri":"a","httpMethod":"GET","requests":1,"date":"{d}"}}"#),
                1,
            )
            .unwrap()
            .record
        };
        let mut monthly = vec![m("2026-11-01T00:00:00Z"), m("2026-12-01T00:00:00Z")];
        let (g, _) = assign_intervals(&mut monthly, None, None);
        assert_eq!(g, Granularity::Monthly);
        assert_eq!(monthly[0].interval, 30 * DAY);
        assert_eq!(monthly[1].interval, 31 * DAY);
        assert_eq!(
            stated_granularity("query", br#"{"granularity":"Week","interval":"x"}"#),
            Some(UsageGranularity::Week)
        );
    }
}

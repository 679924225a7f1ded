//! Streaming framer for one HAR document.
//!
//! Owns the walk over the document's top level (`{"log": {..., "entries": [...]}}`, with an
//! optional JSONP wrapper): it reads the input in fixed-size chunks, hands out each entry of
//! `log.entries` as its own byte frame, and keeps `version`, `creator` and `browser` for the
//! producer. Long strings inside an entry (bodies) are cut while copying, so memory depends on
//! the largest entry's metadata, never on the file size. It tracks line and column for every
//! error. It must not interpret entries (that is `har` + `normalize`) and must not hold more
//! than one chunk of input plus the current frame.

use crate::model::plural;
use std::io::Read;

use crate::error::{InputError, InputErrorKind, Location};

/// Bytes read from the input per refill.
const CHUNK: usize = 1 << 20;
/// Strings longer than this inside an entry are cut (bodies, data: URLs).
const MAX_STRING: usize = 64 * 1024;
/// Values of `text` keys (bodies) longer than this are cut; 429 bodies are far shorter.
const MAX_TEXT: usize = 2 * 1024;
/// Of a cut body, this much of its end is kept too (after `CUT_MARK`): GraphQL answers put
/// their cost object (`extensions`) after the data.
const TAIL_TEXT: usize = 1024;
/// What stands for the middle of a cut body: `normalize::dialects::bodies::CUT`, escaped.
const CUT_MARK: &[u8] = b"\\u0000why429-cut\\u0000";
/// Deepest nesting accepted (serde_json's own limit is 128).
const MAX_DEPTH: usize = 120;

/// One entry of `log.entries`, copied out of the input.
#[derive(Debug, Default)]
pub struct Frame {
    /// 0-based index in `log.entries`.
    pub index: u32,
    /// The entry's JSON, with over-long strings cut short.
    pub bytes: Vec<u8>,
    /// 1-based line of its first byte.
    pub line: u64,
    /// 1-based column of its first byte.
    pub column: u64,
    /// `(offset in bytes, bytes removed)` for every cut string, to map errors back.
    pub cuts: Vec<(usize, u64)>,
}

impl Frame {
    /// Maps a 1-based (line, column) inside `bytes` to the position in the file.
    pub fn file_position(&self, line: usize, column: usize) -> (u64, u64) {
        let line = line.max(1);
        // byte offset of the start of that line in `bytes`
        let mut line_start = 0usize;
        if line > 1 {
            let mut seen = 1;
            for (i, b) in self.bytes.iter().enumerate() {
                if *b == b'\n' {
                    seen += 1;
                    if seen == line {
                        line_start = i + 1;
                        break;
                    }
                }
            }
        }
        let at = line_start + column.saturating_sub(1);
        let removed: u64 = self
            .cuts
            .iter()
            .filter(|(off, _)| *off >= line_start && *off < at)
            .map(|(_, n)| *n)
            .sum();
        let file_line = self.line + line as u64 - 1;
        let file_col = if line == 1 {
            self.column + column as u64 - 1 + removed
        } else {
            column as u64 + removed
        };
        (file_line, file_col)
    }
}

/// `log.creator` or `log.browser`, raw (interpreted by `normalize`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct NameVersion {
    #[serde(default, deserialize_with = "super::har::loose_string")]
    /// `name`.
    pub name: Option<String>,
    #[serde(default, deserialize_with = "super::har::loose_string")]
    /// `version`.
    pub version: Option<String>,
}

/// Everything in `log` except the entries.
#[derive(Clone, Debug, Default)]
pub struct LogMeta {
    /// `log.version`.
    pub version: Option<String>,
    /// `log.creator`.
    pub creator: Option<NameVersion>,
    /// `log.browser`.
    pub browser: Option<NameVersion>,
    /// Number of entries in `log.entries`.
    pub entries: u32,
    /// Whether a JSONP wrapper was removed.
    pub jsonp: bool,
    /// Set when `partial` reading stopped early: what was lost.
    pub partial: Option<String>,
    /// Elements of `log.pages`.
    pub pages: u32,
    /// Other fields of `log` (`comment`, tool-specific `_...` fields).
    pub other_fields: u32,
}

/// Reads one HAR document from `src`, calling `on_entry` for each entry frame in file order.
///
/// With `partial`, damage after complete entries ends the walk early instead of failing, and
/// `LogMeta::partial` says what was lost.
pub fn scan<R: Read>(
    src: R,
    source: &str,
    partial: bool,
    on_entry: &mut dyn FnMut(Frame),
) -> Result<LogMeta, InputError> {
    let mut s = Scanner::new(src, source);
    let mut meta = LogMeta::default();
    match s.document(&mut meta, on_entry) {
        Ok(()) => Ok(meta),
        Err(e) if partial && e.partial_possible() && meta.entries > 0 => {
            let complete = match e.kind {
                InputErrorKind::Truncated { complete } | InputErrorKind::Syntax { complete } => {
                    complete
                }
                _ => meta.entries,
            };
            meta.entries = complete;
            meta.partial = Some(format!(
                "{} ({}); analyzed the {}",
                e.problem,
                e.location.map(|l| l.to_string()).unwrap_or_default(),
                plural(complete, "complete entry")
            ));
            Ok(meta)
        }
        Err(e) => Err(e),
    }
}

struct Scanner<R> {
    src: R,
    source: String,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    /// File offset of `buf[0]`.
    base: u64,
    /// Line/column bookkeeping: `cursor` is a file offset whose line and line start are known.
    cursor: u64,
    cursor_line: u64,
    cursor_line_start: u64,
    /// Entries completed so far (for error messages).
    complete: u32,
    /// Index of the entry being read, if inside one.
    in_entry: Option<u32>,
    /// The end of the body being skipped (reused).
    tail: Vec<u8>,
}

type Res<T> = Result<T, InputError>;

impl<R: Read> Scanner<R> {
    fn new(src: R, source: &str) -> Self {
        Scanner {
            src,
            source: source.to_string(),
            buf: vec![0; CHUNK],
            pos: 0,
            len: 0,
            eof: false,
            base: 0,
            cursor: 0,
            cursor_line: 1,
            cursor_line_start: 0,
            complete: 0,
            in_entry: None,
            tail: Vec::with_capacity(2 * TAIL_TEXT),
        }
    }

    // ---- input buffer -------------------------------------------------------------------

    /// Makes at least one unread byte available; false at end of input.
    fn fill(&mut self) -> Res<bool> {
        if self.pos < self.len {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        // everything in buf is consumed: account lines, then reuse the buffer
        let end = self.base + self.len as u64;
        self.advance_cursor(end);
        self.base = end;
        self.pos = 0;
        self.len = 0;
        loop {
            match self.src.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.len = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.read_error(e)),
            }
        }
    }

    /// Makes at least `n` unread bytes available (fewer only at the end of input).
    fn fill_at_least(&mut self, n: usize) -> Res<usize> {
        while self.len - self.pos < n && !self.eof {
            if self.pos > 0 {
                let at = self.offset();
                self.advance_cursor(at);
                self.buf.copy_within(self.pos..self.len, 0);
                self.base += self.pos as u64;
                self.len -= self.pos;
                self.pos = 0;
            }
            let len = self.len;
            match self.src.read(&mut self.buf[len..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.len += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.read_error(e)),
            }
        }
        Ok(self.len - self.pos)
    }

    fn read_error(&self, e: std::io::Error) -> InputError {
        // Decompressors report caps and corrupt streams as I/O errors with our own wording.
        let (kind, hint) = match e.kind() {
            std::io::ErrorKind::FileTooLarge => (
                InputErrorKind::TooLarge,
                "raise the cap with --max-bytes if the capture is genuine",
            ),
            _ => (
                InputErrorKind::Io,
                "check that the file is readable and not being written to",
            ),
        };
        let detail = match e.get_ref() {
            Some(inner) if e.kind() == std::io::ErrorKind::FileTooLarge => inner.to_string(),
            _ => format!("read failed ({})", e.kind()),
        };
        InputError::new(kind, &self.source, Some(self.here()), detail, hint)
    }

    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Moves the line cursor forward to `to` (a file offset inside or at the end of `buf`).
    fn advance_cursor(&mut self, to: u64) {
        if to <= self.cursor {
            return;
        }
        let from = (self.cursor.max(self.base) - self.base) as usize;
        let upto = ((to - self.base) as usize).min(self.len);
        if from < upto {
            let slice = &self.buf[from..upto];
            let n = memchr::memchr_iter(b'\n', slice).count() as u64;
            if n > 0 {
                let last = memchr::memrchr(b'\n', slice).unwrap_or(0);
                self.cursor_line += n;
                self.cursor_line_start = self.base + (from + last + 1) as u64;
            }
        }
        self.cursor = to;
    }

    fn line_col(&mut self) -> (u64, u64) {
        let at = self.offset();
        self.advance_cursor(at);
        (self.cursor_line, at - self.cursor_line_start + 1)
    }

    fn here(&self) -> Location {
        // Called from &self contexts: compute without moving the cursor.
        let at = self.offset();
        let from = (self.cursor.max(self.base) - self.base) as usize;
        let upto = ((at - self.base) as usize).min(self.len);
        let (mut line, mut line_start) = (self.cursor_line, self.cursor_line_start);
        if from < upto {
            let slice = &self.buf[from..upto];
            let n = memchr::memchr_iter(b'\n', slice).count() as u64;
            if n > 0 {
                line += n;
                line_start =
                    self.base + (from + memchr::memrchr(b'\n', slice).unwrap_or(0) + 1) as u64;
            }
        }
        let column = at.saturating_sub(line_start) + 1;
        match self.in_entry {
            Some(index) => Location::Entry {
                index,
                line,
                column,
            },
            None => Location::LineCol { line, column },
        }
    }

    // ---- errors ---------------------------------------------------------------------------

    fn eof_error(&mut self, inside: &str) -> InputError {
        let complete = self.complete;
        let loc = self.here();
        let (problem, hint) = match self.in_entry {
            Some(i) => (
                format!("the file ends inside entry {i}"),
                format!(
                    "the capture was cut short: re-export it, or pass --partial to analyze the {}",
                    plural(complete, "complete entry")
                ),
            ),
            None => (
                format!(
                    "the file ends early ({inside}) after {}",
                    plural(complete, "complete entry")
                ),
                format!(
                    "the capture was cut short: re-export it, or pass --partial to analyze the {}",
                    plural(complete, "complete entry")
                ),
            ),
        };
        InputError::new(
            InputErrorKind::Truncated { complete },
            &self.source,
            Some(loc),
            problem,
            hint,
        )
    }

    fn syntax(&mut self, problem: impl Into<String>) -> InputError {
        let complete = self.complete;
        let hint = if complete > 0 {
            format!(
                "the file is damaged here: re-export the capture, or pass --partial to analyze the {} before this point",
                plural(complete, "complete entry")
            )
        } else {
            String::from("the file is damaged here: re-export the capture from the browser")
        };
        let loc = self.here();
        InputError::new(
            InputErrorKind::Syntax { complete },
            &self.source,
            Some(loc),
            problem,
            hint,
        )
    }

    fn not_har(&mut self, problem: impl Into<String>) -> InputError {
        let loc = self.here();
        InputError::new(
            InputErrorKind::NotHar,
            &self.source,
            Some(loc),
            problem,
            "export the capture as HAR (DevTools Network panel: \"Export HAR\"), or check that this is the right file",
        )
    }

    // ---- tokens ---------------------------------------------------------------------------

    fn peek(&mut self) -> Res<Option<u8>> {
        Ok(if self.fill()? {
            Some(self.buf[self.pos])
        } else {
            None
        })
    }

    fn skip_ws(&mut self) -> Res<()> {
        while self.fill()? {
            let b = self.buf[self.pos];
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
        Ok(())
    }

    fn peek_nonws(&mut self, inside: &str) -> Res<u8> {
        self.skip_ws()?;
        match self.peek()? {
            Some(b) => Ok(b),
            None => Err(self.eof_error(inside)),
        }
    }

    fn describe(b: u8) -> String {
        match b {
            b'{' => "an object".into(),
            b'[' => "an array".into(),
            b'"' => "a string".into(),
            b'-' | b'0'..=b'9' => "a number".into(),
            b't' | b'f' => "a boolean".into(),
            b'n' => "null".into(),
            0x20..=0x7e => format!("`{}`", b as char),
            _ => format!("byte 0x{b:02x}"),
        }
    }

    /// Reads a JSON string (key) and unescapes it. Keys are short; long ones are cut.
    fn read_string(&mut self, inside: &str) -> Res<String> {
        let mut raw = Vec::with_capacity(16);
        self.walk_string(Some(&mut raw), &mut Vec::new(), 256, inside)?;
        serde_json::from_slice::<String>(&raw).map_err(|_| self.syntax("invalid string escape"))
    }

    /// Copies (or skips) one JSON value; structural checks only (strings and brackets), serde
    /// checks the rest of an entry when it parses the frame.
    fn walk_value(
        &mut self,
        mut out: Option<&mut Vec<u8>>,
        cuts: &mut Vec<(usize, u64)>,
        inside: &str,
    ) -> Res<()> {
        let first = self.peek_nonws(inside)?;
        if first != b'{' && first != b'[' {
            if first == b'"' {
                return self.walk_string(out, cuts, MAX_STRING, inside);
            }
            return self.walk_scalar(out, inside);
        }
        let mut stack: Vec<u8> = Vec::with_capacity(16);
        loop {
            if !self.fill()? {
                return Err(self.eof_error(inside));
            }
            // copy the run up to the next string or bracket in one go
            let avail = &self.buf[self.pos..self.len];
            let run = match memchr::memchr3(b'"', b'{', b'}', avail) {
                Some(a) => memchr::memchr2(b'[', b']', &avail[..a]).unwrap_or(a),
                None => memchr::memchr2(b'[', b']', avail).unwrap_or(avail.len()),
            };
            if let Some(o) = out.as_deref_mut() {
                o.extend_from_slice(&avail[..run]);
            }
            self.pos += run;
            if self.pos == self.len {
                continue;
            }
            let b = self.buf[self.pos];
            match b {
                b'"' => {
                    let cap = match out.as_deref() {
                        Some(o) if stack.last() == Some(&b'}') && last_is_key_start(o) => 256,
                        Some(o) if follows_key(o, b"\"text\"") => MAX_TEXT,
                        _ => MAX_STRING,
                    };
                    self.walk_string(out.as_deref_mut(), cuts, cap, inside)?;
                    continue;
                }
                b'{' | b'[' => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(self.syntax(format!(
                            "nesting deeper than {MAX_DEPTH} levels; a HAR is never this deep"
                        )));
                    }
                    stack.push(if b == b'{' { b'}' } else { b']' });
                }
                _ => {
                    if stack.pop() != Some(b) {
                        return Err(self.syntax(format!(
                            "unexpected {} (brackets do not match)",
                            Self::describe(b)
                        )));
                    }
                }
            }
            if let Some(o) = out.as_deref_mut() {
                o.push(b);
            }
            self.pos += 1;
            if stack.is_empty() {
                return Ok(());
            }
        }
    }

    fn walk_scalar(&mut self, mut out: Option<&mut Vec<u8>>, inside: &str) -> Res<()> {
        let mut n = 0usize;
        loop {
            if !self.fill()? {
                if n == 0 {
                    return Err(self.eof_error(inside));
                }
                return Ok(());
            }
            let b = self.buf[self.pos];
            match b {
                b'-' | b'+' | b'.' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' => {
                    if n > 512 {
                        return Err(self.syntax("a number or literal longer than 512 characters"));
                    }
                    if let Some(o) = out.as_deref_mut() {
                        o.push(b);
                    }
                    self.pos += 1;
                    n += 1;
                }
                _ if n == 0 => {
                    return Err(
                        self.syntax(format!("expected a value, found {}", Self::describe(b)))
                    );
                }
                _ => return Ok(()),
            }
        }
    }

    /// Copies a string (at its opening quote) into `out`, cutting it after `cap` bytes; the rest
    /// is skipped without copying.
    fn walk_string(
        &mut self,
        out: Option<&mut Vec<u8>>,
        cuts: &mut Vec<(usize, u64)>,
        cap: usize,
        inside: &str,
    ) -> Res<()> {
        debug_assert_eq!(self.buf[self.pos], b'"');
        self.pos += 1;
        let Some(o) = out else {
            self.skip_string_rest(inside, false)?;
            return Ok(());
        };
        o.push(b'"');
        let start_len = o.len();
        let mut kept = 0usize; // bytes of content copied
        loop {
            if !self.fill()? {
                return Err(self.eof_error(inside));
            }
            let avail = &self.buf[self.pos..self.len];
            let stop = memchr::memchr2(b'"', b'\\', avail);
            let run = stop.unwrap_or(avail.len());
            let room = cap.saturating_sub(kept);
            if run > room {
                // the cap is reached inside this run: keep what fits, skip the rest
                let mut take = room;
                while take > 0 && (avail[take] & 0xC0) == 0x80 {
                    take -= 1; // never split a UTF-8 sequence
                }
                o.extend_from_slice(&avail[..take]);
                self.pos += take;
                return self.cut_rest(o, start_len, cuts, inside, cap == MAX_TEXT);
            }
            o.extend_from_slice(&avail[..run]);
            kept += run;
            self.pos += run;
            let Some(_) = stop else { continue };
            if self.buf[self.pos] == b'"' {
                self.pos += 1;
                o.push(b'"');
                return Ok(());
            }
            // a backslash: the escaped byte may be in the next chunk
            if kept + 2 > cap {
                return self.cut_rest(o, start_len, cuts, inside, cap == MAX_TEXT);
            }
            self.pos += 1;
            if !self.fill()? {
                return Err(self.eof_error(inside));
            }
            o.push(b'\\');
            o.push(self.buf[self.pos]);
            self.pos += 1;
            kept += 2;
        }
    }

    /// Ends a cut string: drops an incomplete escape, skips to the closing quote and records
    /// how many bytes were left out. With `keep_tail` (bodies), the last `TAIL_TEXT` bytes are
    /// kept after `CUT_MARK`, from a point where no escape or character was split.
    fn cut_rest(
        &mut self,
        o: &mut Vec<u8>,
        start_len: usize,
        cuts: &mut Vec<(usize, u64)>,
        inside: &str,
        keep_tail: bool,
    ) -> Res<()> {
        let mut dropped = 0u64;
        if !keep_tail {
            trim_partial_utf8(o, start_len, &mut dropped);
            trim_partial_escape(o, start_len, &mut dropped);
            dropped += self.skip_string_rest(inside, false)?;
            o.push(b'"');
            cuts.push((o.len(), dropped));
            return Ok(());
        }
        let skipped = self.skip_string_rest(inside, true)?;
        if skipped == self.tail.len() as u64 {
            // the rest was short: the string continues where the head stopped
            o.extend_from_slice(&self.tail);
            o.push(b'"');
            return Ok(());
        }
        trim_partial_utf8(o, start_len, &mut dropped);
        trim_partial_escape(o, start_len, &mut dropped);
        // inside a string every quote is escaped (`\"`): right after one, nothing is split
        let from = memchr::memchr(b'"', &self.tail).map(|q| q + 1);
        match from {
            Some(from)
                if dropped + skipped - (self.tail.len() - from) as u64 >= CUT_MARK.len() as u64 =>
            {
                let kept = (self.tail.len() - from) as u64;
                dropped += skipped - kept;
                o.extend_from_slice(CUT_MARK);
                cuts.push((o.len(), dropped - CUT_MARK.len() as u64));
                o.extend_from_slice(&self.tail[from..]);
                o.push(b'"');
            }
            _ => {
                dropped += skipped;
                o.push(b'"');
                cuts.push((o.len(), dropped));
            }
        }
        Ok(())
    }

    /// Remembers the end of the content skipped so far (at most `TAIL_TEXT` bytes).
    fn keep_tail(&mut self, from: usize, to: usize) {
        let seg = &self.buf[from..to];
        if seg.len() >= TAIL_TEXT {
            self.tail.clear();
            self.tail.extend_from_slice(&seg[seg.len() - TAIL_TEXT..]);
        } else {
            self.tail.extend_from_slice(seg);
            if self.tail.len() > TAIL_TEXT {
                let excess = self.tail.len() - TAIL_TEXT;
                self.tail.drain(..excess);
            }
        }
    }

    /// Skips to just after the closing quote of the string being read; returns the bytes of
    /// content skipped (with `tail`, the last of them are in `self.tail`). Stops only at
    /// quotes: a quote preceded by an odd run of backslashes is escaped (the run may span
    /// chunks).
    fn skip_string_rest(&mut self, inside: &str, keep: bool) -> Res<u64> {
        if keep {
            self.tail.clear();
        }
        let mut skipped = 0u64;
        let mut carried = 0usize; // backslashes at the end of the previous chunk
        // start of the content of this chunk not yet remembered: the end is copied once per
        // chunk and once at the closing quote, never per escaped quote
        let mut from = self.pos;
        loop {
            if self.pos == self.len {
                if keep {
                    self.keep_tail(from, self.len);
                }
                if !self.fill()? {
                    return Err(self.eof_error(inside));
                }
                from = self.pos;
            }
            let avail = &self.buf[self.pos..self.len];
            match memchr::memchr(b'"', avail) {
                None => {
                    let tail = avail.iter().rev().take_while(|&&b| b == b'\\').count();
                    carried = if tail == avail.len() {
                        carried + tail
                    } else {
                        tail
                    };
                    skipped += avail.len() as u64;
                    self.pos = self.len;
                }
                Some(q) => {
                    let mut run = avail[..q].iter().rev().take_while(|&&b| b == b'\\').count();
                    if run == q {
                        run += carried;
                    }
                    carried = 0;
                    skipped += q as u64;
                    self.pos += q + 1;
                    if run % 2 == 0 {
                        if keep {
                            self.keep_tail(from, self.pos - 1);
                        }
                        return Ok(skipped);
                    }
                    skipped += 1; // an escaped quote is content
                }
            }
        }
    }

    // ---- document structure ---------------------------------------------------------------

    fn document(&mut self, meta: &mut LogMeta, on_entry: &mut dyn FnMut(Frame)) -> Res<()> {
        self.skip_bom_and_ws()?;
        let Some(first) = self.peek()? else {
            return Err(InputError::new(
                InputErrorKind::Empty,
                &self.source,
                None,
                "the file is empty",
                "export the capture again; an empty file holds no requests",
            ));
        };
        if first == b'{' {
            self.har_object(meta, on_entry)?;
        } else if first.is_ascii_alphabetic() || first == b'_' || first == b'$' {
            self.jsonp_prefix()?;
            meta.jsonp = true;
            self.har_object(meta, on_entry)?;
            self.skip_ws()?;
            if self.peek()? == Some(b')') {
                self.pos += 1;
            } else {
                return Err(self.syntax("the JSONP wrapper is not closed with `)`"));
            }
            self.skip_ws()?;
            if self.peek()? == Some(b';') {
                self.pos += 1;
            }
        } else if !first.is_ascii() || first.is_ascii_control() {
            return Err(self.not_har("not a HAR: the file holds binary data, not JSON text"));
        } else {
            let what = Self::describe(first);
            return Err(self.not_har(format!(
                "not a HAR: the file starts with {what}, expected an object `{{\"log\": ...}}`"
            )));
        }
        self.skip_ws()?;
        if let Some(b) = self.peek()? {
            let what = Self::describe(b);
            let complete = self.complete;
            let mut e = self.syntax(format!("unexpected {what} after the end of the HAR object"));
            e.kind = InputErrorKind::Syntax { complete };
            e.hint = format!(
                "the file has extra data after the capture: re-export it, or pass --partial to analyze the {} it holds",
                plural(complete, "entry")
            );
            return Err(e);
        }
        Ok(())
    }

    fn skip_bom_and_ws(&mut self) -> Res<()> {
        loop {
            self.skip_ws()?;
            if !self.fill()? {
                return Ok(());
            }
            let avail = self.fill_at_least(3)?;
            let b = self.buf[self.pos];
            if b == 0xEF {
                if avail >= 3 && self.buf[self.pos + 1] == 0xBB && self.buf[self.pos + 2] == 0xBF {
                    self.pos += 3;
                    continue;
                }
                return Err(self.encoding("invalid UTF-8 at the start of the file"));
            }
            // UTF-16 BE starts with a zero byte before printable ASCII; anything else is junk
            let next_printable = avail >= 2
                && (self.buf[self.pos + 1].is_ascii_graphic()
                    || self.buf[self.pos + 1].is_ascii_whitespace());
            if b == 0 && !next_printable {
                return Err(self.not_har("not a HAR: the file holds binary data, not JSON text"));
            }
            if b == 0xFF || b == 0xFE || b == 0 {
                return Err(
                    self.encoding("the file is UTF-16 (or another wide encoding), not UTF-8")
                );
            }
            if avail >= 2 && self.buf[self.pos + 1] == 0 && b < 0x80 {
                return Err(
                    self.encoding("the file is UTF-16 (or another wide encoding), not UTF-8")
                );
            }
            return Ok(());
        }
    }

    fn encoding(&mut self, problem: &str) -> InputError {
        let loc = self.here();
        InputError::new(
            InputErrorKind::Encoding,
            &self.source,
            Some(loc),
            problem,
            "HAR files are UTF-8: convert it (e.g. `iconv -f UTF-16 -t UTF-8 in.har > out.har`) or re-export it",
        )
    }

    fn jsonp_prefix(&mut self) -> Res<()> {
        let mut word = Vec::new();
        while let Some(b) = self.peek()? {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.' {
                self.pos += 1;
                word.push(b);
                if word.len() > 256 {
                    break;
                }
            } else {
                break;
            }
        }
        let literal = matches!(&word[..], b"null" | b"true" | b"false");
        self.skip_ws()?;
        match self.peek()? {
            Some(b'(') => {}
            None if literal => {
                let word = String::from_utf8_lossy(&word).into_owned();
                return Err(self.not_har(format!(
                    "not a HAR: the file holds the JSON value `{word}`, expected an object `{{\"log\": ...}}`"
                )));
            }
            Some(b) if !b.is_ascii() || (b.is_ascii_control() && !b.is_ascii_whitespace()) => {
                return Err(self.not_har("not a HAR: the file holds binary data, not JSON text"));
            }
            _ => {
                return Err(self.not_har(
                    "not a HAR: the file starts with a word that is not a JSONP call `name({...})`",
                ));
            }
        }
        self.pos += 1;
        self.skip_ws()?;
        if self.peek()? != Some(b'{') {
            return Err(self.not_har("not a HAR: the JSONP call does not wrap an object"));
        }
        Ok(())
    }

    /// Iterates the keys of an object at `{`, calling `f` with each key (value unread).
    fn object_keys(
        &mut self,
        inside: &str,
        f: &mut dyn FnMut(&mut Self, String) -> Res<()>,
    ) -> Res<()> {
        self.pos += 1; // '{'
        let mut first = true;
        loop {
            let b = self.peek_nonws(inside)?;
            if b == b'}' {
                self.pos += 1;
                return Ok(());
            }
            if !first {
                if b != b',' {
                    return Err(self.syntax(format!(
                        "expected `,` or `}}` in {inside}, found {}",
                        Self::describe(b)
                    )));
                }
                self.pos += 1;
            }
            first = false;
            let b = self.peek_nonws(inside)?;
            if b != b'"' {
                return Err(self.syntax(format!(
                    "expected a key in {inside}, found {}",
                    Self::describe(b)
                )));
            }
            let key = self.read_string(inside)?;
            let b = self.peek_nonws(inside)?;
            if b != b':' {
                return Err(self.syntax(format!(
                    "expected `:` after a key in {inside}, found {}",
                    Self::describe(b)
                )));
            }
            self.pos += 1;
            f(self, key)?;
        }
    }

    fn har_object(&mut self, meta: &mut LogMeta, on_entry: &mut dyn FnMut(Frame)) -> Res<()> {
        let mut saw_log = false;
        self.object_keys("the HAR object", &mut |s, key| {
            if key == "log" && !saw_log {
                saw_log = true;
                let b = s.peek_nonws("the HAR object")?;
                if b != b'{' {
                    let what = Self::describe(b);
                    return Err(s.not_har(format!(
                        "not a HAR: `log` is {what}, expected an object with `entries`"
                    )));
                }
                s.log_object(meta, on_entry)
            } else {
                s.walk_value(None, &mut Vec::new(), "the HAR object")
            }
        })?;
        if !saw_log {
            return Err(InputError::new(
                InputErrorKind::NotHar,
                &self.source,
                None,
                "not a HAR: the JSON object has no `log` key",
                "this looks like another tool's JSON; export the capture as HAR from the browser or proxy",
            ));
        }
        Ok(())
    }

    fn log_object(&mut self, meta: &mut LogMeta, on_entry: &mut dyn FnMut(Frame)) -> Res<()> {
        let mut saw_entries = false;
        self.object_keys("`log`", &mut |s, key| match key.as_str() {
            "entries" if !saw_entries => {
                saw_entries = true;
                s.entries(meta, on_entry)
            }
            "pages" => {
                let mut raw = Vec::new();
                s.walk_value(Some(&mut raw), &mut Vec::new(), "`log`")?;
                meta.pages = serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(&raw)
                    .map_or(0, |v| v.len() as u32);
                Ok(())
            }
            "version" | "creator" | "browser" => {
                let mut raw = Vec::new();
                s.walk_value(Some(&mut raw), &mut Vec::new(), "`log`")?;
                match key.as_str() {
                    "version" => meta.version = serde_json::from_slice::<String>(&raw).ok(),
                    "creator" => meta.creator = serde_json::from_slice(&raw).ok(),
                    _ => meta.browser = serde_json::from_slice(&raw).ok(),
                }
                Ok(())
            }
            _ => {
                meta.other_fields += 1;
                s.walk_value(None, &mut Vec::new(), "`log`")
            }
        })?;
        if !saw_entries {
            return Err(InputError::new(
                InputErrorKind::NotHar,
                &self.source,
                None,
                "not a HAR: `log` has no `entries` array",
                "the capture holds no requests; export it again with the Network panel recording",
            ));
        }
        Ok(())
    }

    fn entries(&mut self, meta: &mut LogMeta, on_entry: &mut dyn FnMut(Frame)) -> Res<()> {
        let b = self.peek_nonws("`log.entries`")?;
        if b == b'n' {
            // `entries: null`: an empty capture
            return self.walk_scalar(None, "`log.entries`");
        }
        if b != b'[' {
            let what = Self::describe(b);
            return Err(self.not_har(format!(
                "not a HAR: `log.entries` is {what}, expected an array"
            )));
        }
        self.pos += 1;
        let mut index: u32 = 0;
        loop {
            let b = self.peek_nonws("`log.entries`")?;
            if b == b']' {
                self.pos += 1;
                return Ok(());
            }
            if index > 0 {
                if b != b',' {
                    return Err(self.syntax(format!(
                        "expected `,` or `]` after entry {}, found {}",
                        index - 1,
                        Self::describe(b)
                    )));
                }
                self.pos += 1;
                self.skip_ws()?;
            }
            if !self.fill()? {
                return Err(self.eof_error("`log.entries`"));
            }
            let (line, column) = self.line_col();
            self.in_entry = Some(index);
            let mut frame = Frame {
                index,
                line,
                column,
                ..Frame::default()
            };
            let mut bytes = Vec::with_capacity(2048);
            let mut cuts = Vec::new();
            self.walk_value(Some(&mut bytes), &mut cuts, "an entry")?;
            self.in_entry = None;
            frame.bytes = bytes;
            frame.cuts = cuts;
            index = index.checked_add(1).ok_or_else(|| {
                InputError::new(
                    InputErrorKind::TooLarge,
                    &self.source,
                    None,
                    "more than 4294967295 entries",
                    "split the capture",
                )
            })?;
            self.complete = index;
            meta.entries = index;
            on_entry(frame);
        }
    }
}

/// Whether the last non-blank byte copied opens an object or separates its members (so the
/// string that follows is a key).
fn last_is_key_start(o: &[u8]) -> bool {
    matches!(
        o.iter().rev().find(|b| !b.is_ascii_whitespace()),
        Some(b'{') | Some(b',')
    )
}

/// Whether the bytes copied end with `key` followed by `:` (so the next string is its value).
fn follows_key(o: &[u8], key: &[u8]) -> bool {
    let mut end = o.len();
    while end > 0 && o[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    if end == 0 || o[end - 1] != b':' {
        return false;
    }
    end -= 1;
    while end > 0 && o[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    o[..end].ends_with(key)
}

/// After cutting a string, drops a trailing incomplete UTF-8 sequence (its first bytes may
/// have come at the end of the previous chunk).
fn trim_partial_utf8(o: &mut Vec<u8>, start: usize, dropped: &mut u64) {
    let len = o.len();
    // the last lead byte within the last 4 bytes, and how long its sequence should be
    for back in 1..=4.min(len - start) {
        let b = o[len - back];
        if b & 0xC0 == 0x80 {
            continue; // a continuation byte: look further back
        }
        let need = match b {
            0x00..=0x7F => 1,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            _ => 4,
        };
        if need > back {
            *dropped += back as u64;
            o.truncate(len - back);
        }
        return;
    }
}

/// After cutting a string, drops a trailing incomplete escape (`\`, `\u12`, or a lone high
/// surrogate `\uD83D`) so the cut string is still valid JSON.
fn trim_partial_escape(o: &mut Vec<u8>, start: usize, dropped: &mut u64) {
    let content = &o[start..];
    let tail_from = content.len().saturating_sub(12);
    if let Some(rel) = content[tail_from..].iter().rposition(|&b| b == b'\\') {
        let at = start + tail_from + rel;
        // count consecutive backslashes before to know if this one is escaped
        let mut k = at;
        while k > start && o[k - 1] == b'\\' {
            k -= 1;
        }
        let run = at - k + 1;
        let cut_at = if run % 2 == 1 { at } else { o.len() };
        if cut_at < o.len() {
            *dropped += (o.len() - cut_at) as u64;
            o.truncate(cut_at);
        }
    }
    // a high surrogate whose low half was cut off is not valid JSON: drop it too
    let n = o.len();
    if n >= start + 6 && o[n - 6] == b'\\' && o[n - 5] == b'u' {
        let hex = std::str::from_utf8(&o[n - 4..])
            .ok()
            .and_then(|h| u16::from_str_radix(h, 16).ok());
        let mut k = n - 6;
        while k > start && o[k - 1] == b'\\' {
            k -= 1;
        }
        let unescaped = (n - 6 - k).is_multiple_of(2);
        if unescaped && hex.is_some_and(|h| (0xD800..0xDC00).contains(&h)) {
            *dropped += 6;
            o.truncate(n - 6);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Result<(LogMeta, Vec<Frame>), InputError> {
        let mut out = Vec::new();
        let meta = scan(input, "t.har", false, &mut |f| out.push(f))?;
        Ok((meta, out))
    }

    #[test]
    fn frames_each_entry_with_its_position() {
        let har = b"{\"log\": {\"version\": \"1.2\", \"creator\": {\"name\": \"X\", \"version\": \"1\"},\n \"entries\": [\n  {\"a\": 1},\n  {\"b\": [2, \"s\"]}\n ]}}";
        let (meta, fr) = frames(har).unwrap();
        assert_eq!(meta.entries, 2);
        assert_eq!(meta.version.as_deref(), Some("1.2"));
        assert_eq!(meta.creator.unwrap().name.as_deref(), Some("X"));
        assert_eq!(fr[0].bytes, b"{\"a\": 1}");
        assert_eq!((fr[0].line, fr[0].column), (3, 3));
        assert_eq!(fr[1].bytes, b"{\"b\": [2, \"s\"]}");
        assert_eq!(fr[1].index, 1);
    }

    #[test]
    fn strips_bom_and_jsonp() {
        let (m, f) = frames(b"\xEF\xBB\xBF{\"log\":{\"entries\":[{}]}}").unwrap();
        assert_eq!((m.entries, f.len()), (1, 1));
        let (m, _) = frames(b"onInputData({\"log\":{\"entries\":[{},{}]}});").unwrap();
        assert!(m.jsonp);
        assert_eq!(m.entries, 2);
    }

    #[test]
    fn truncation_names_the_entry_and_complete_count() {
        let e = frames(b"{\"log\":{\"entries\":[{\"a\":1},{\"b\":\"xy").unwrap_err();
        assert_eq!(e.kind, InputErrorKind::Truncated { complete: 1 });
        assert!(e.problem.contains("inside entry 1"), "{}", e.problem);
        assert!(e.hint.contains("--partial"));
        assert!(e.hint.contains("1 complete entry"));
    }

    #[test]
    fn partial_keeps_complete_entries() {
        let mut n = 0;
        let m = scan(
            &b"{\"log\":{\"entries\":[{\"a\":1},{\"b\":2},{\"c\""[..],
            "t.har",
            true,
            &mut |_| n += 1,
        )
        .unwrap();
        assert_eq!((m.entries, n), (2, 2));
        assert!(m.partial.unwrap().contains("2 complete entries"));
    }

    #[test]
    fn log_of_wrong_type_is_not_a_har() {
        let e = frames(b"{\"log\":\n[\n 2,1,3\n]\n\"request:\"}").unwrap_err();
        assert_eq!(e.kind, InputErrorKind::NotHar);
        assert!(e.problem.contains("`log` is an array"));
        assert_eq!(e.location, Some(Location::LineCol { line: 2, column: 1 }));
    }

    #[test]
    fn long_strings_are_cut_but_stay_valid_json() {
        let body = "é".repeat(40_000); // 80 000 bytes, 2-byte chars
        let json = format!(
            "{{\"log\":{{\"entries\":[{{\"response\":{{\"content\":{{\"text\":\"{body}\\u00e9\"}}}},\"x\":\"{}\"}}]}}}}",
            "a".repeat(70_000)
        );
        let (_, f) = frames(json.as_bytes()).unwrap();
        assert!(f[0].bytes.len() < MAX_TEXT + MAX_STRING + 200);
        let v: serde_json::Value = serde_json::from_slice(&f[0].bytes).unwrap();
        assert_eq!(
            v["response"]["content"]["text"].as_str().unwrap().len(),
            MAX_TEXT
        );
        assert_eq!(f[0].cuts.len(), 2);
    }

    #[test]
    fn long_bodies_keep_their_head_and_tail() {
        // a GraphQL answer whose cost object follows 100 KB of data
        let data = format!("[{}]", vec!["{\\\"id\\\":1}"; 10_000].join(","));
        let tail = "\\\"extensions\\\":{\\\"cost\\\":{\\\"actualQueryCost\\\":12}}}";
        let json = format!(
            "{{\"log\":{{\"entries\":[{{\"content\":{{\"text\":\"{{\\\"data\\\":{data},{tail}\"}},\"x\":!}}]}}}}"
        );
        let (_, f) = frames(json.as_bytes()).unwrap();
        // an error after the cut body is placed in the file, not in the frame
        let err = serde_json::from_slice::<serde_json::Value>(&f[0].bytes).unwrap_err();
        assert_eq!(
            f[0].file_position(err.line(), err.column()),
            (1, (json.find('!').unwrap() + 1) as u64)
        );
        let json = json.replace('!', "1");
        let (_, f) = frames(json.as_bytes()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&f[0].bytes).unwrap();
        let text = v["content"]["text"].as_str().unwrap();
        let (head, end) = text.split_once("\u{0}why429-cut\u{0}").unwrap();
        assert!(head.starts_with("{\"data\":[{\"id\":1}") && head.len() <= MAX_TEXT);
        assert!(
            end.ends_with("\"extensions\":{\"cost\":{\"actualQueryCost\":12}}}"),
            "{end}"
        );
        assert!(end.len() <= TAIL_TEXT);
    }

    #[test]
    fn cut_never_leaves_a_dangling_escape() {
        // every phase of a cut through escaped surrogate pairs (12 bytes each)
        for pad in 0..24 {
            let s = format!(
                "{}{}",
                "a".repeat(MAX_TEXT - pad),
                "\\ud83d\\ude00".repeat(4)
            );
            let json = format!("{{\"log\":{{\"entries\":[{{\"text\":\"{s}\"}}]}}}}");
            let (_, f) = frames(json.as_bytes()).unwrap();
            serde_json::from_slice::<serde_json::Value>(&f[0].bytes)
                .unwrap_or_else(|e| panic!("pad {pad}: {e}"));
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let json = format!("{{\"log\":{{\"entries\":[{}", "[".repeat(100_000));
        let e = frames(json.as_bytes()).unwrap_err();
        assert!(e.problem.contains("nesting deeper"));
    }

    #[test]
    fn wide_encodings_and_junk_are_rejected() {
        let e = frames(b"\xFF\xFE{\x00").unwrap_err();
        assert_eq!(e.kind, InputErrorKind::Encoding);
        let e = frames(b"").unwrap_err();
        assert_eq!(e.kind, InputErrorKind::Empty);
        let e = frames(b"\x00{\x00\"").unwrap_err();
        assert_eq!(e.kind, InputErrorKind::Encoding, "UTF-16 BE");
        let e = frames(b"\x00\x01\x02").unwrap_err();
        assert_eq!(e.kind, InputErrorKind::NotHar);
        assert!(e.problem.contains("binary data"), "{e}");
        let e = frames(&[0u8; 100]).unwrap_err();
        assert!(e.problem.contains("binary data"), "{e}");
        let e = frames(b"null").unwrap_err();
        assert_eq!(e.kind, InputErrorKind::NotHar);
        assert!(e.problem.contains("the JSON value `null`"), "{e}");
        let e = frames(b"\x89PNG\r\n").unwrap_err();
        assert!(e.problem.contains("binary data"), "{e}");
        let e = frames(b"{}").unwrap_err();
        assert_eq!(e.kind, InputErrorKind::NotHar);
    }

    #[test]
    fn chunk_boundaries_do_not_matter() {
        // a reader that returns one byte at a time exercises every refill path
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[0];
                self.0 = &self.0[1..];
                Ok(1)
            }
        }
        let har = b"\xEF\xBB\xBF{\"log\":{\"entries\":[{\"t\":\"a\\\"b\\\\\"},\n{\"u\":[1,{\"v\":null}]}]}}";
        let mut got = Vec::new();
        let m = scan(OneByte(har), "t", false, &mut |f| got.push(f.bytes)).unwrap();
        assert_eq!(m.entries, 2);
        assert_eq!(got[0], b"{\"t\":\"a\\\"b\\\\\"}");
        assert_eq!(got[1], b"{\"u\":[1,{\"v\":null}]}");
    }

    /// A reader handing out chunks of pseudo-random sizes (1 to 7 bytes).
    struct Chunky<'a>(&'a [u8], u64);
    impl Read for Chunky<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.1 = self.1.wrapping_mul(6364136223846793005).wrapping_add(1);
            let n = (1 + (self.1 >> 60) as usize % 7)
                .min(self.0.len())
                .min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    proptest::proptest! {
        #[test]
        fn strings_survive_any_chunking(
            parts in proptest::collection::vec(0u8..6, 0..3000),
            seed in proptest::prelude::any::<u64>(),
        ) {
            // content built from plain text, escaped quotes, escaped backslashes, \u escapes
            let content: String = parts
                .iter()
                .map(|p| match p {
                    0 => "a",
                    1 => "\\\"",
                    2 => "\\\\",
                    3 => "é",
                    4 => "\\u00e9",
                    _ => "\\n",
                })
                .collect();
            let json = format!(
                "{{\"log\":{{\"pages\":[{{\"title\":\"{content}\"}}],\"entries\":[{{\"text\":\"{content}\",\"x\":\"{content}\"}}]}}}}"
            );
            let mut frames = Vec::new();
            scan(Chunky(json.as_bytes(), seed), "t", false, &mut |f| frames.push(f)).unwrap();
            let v: serde_json::Value = serde_json::from_slice(&frames[0].bytes).unwrap();
            let full: serde_json::Value = serde_json::from_str(&format!("\"{content}\"")).unwrap();
            let full = full.as_str().unwrap();
            let x = v["x"].as_str().unwrap();
            let text = v["text"].as_str().unwrap();
            // a string under its cap arrives whole; a longer one as a prefix of it, a body as
            // its head and tail around the cut mark
            if content.len() <= MAX_TEXT {
                proptest::prop_assert_eq!(text, full);
            }
            let (head, tail) = text.split_once("\u{0}why429-cut\u{0}").unwrap_or((text, ""));
            proptest::prop_assert!(full.starts_with(head));
            proptest::prop_assert!(full.ends_with(tail));
            proptest::prop_assert!(tail.len() <= TAIL_TEXT);
            proptest::prop_assert!(full.starts_with(x));
        }
    }

    #[test]
    fn frame_positions_account_for_cuts() {
        let f = Frame {
            index: 0,
            bytes: b"{\"a\":\"xx\",\"b\":!}".to_vec(),
            line: 10,
            column: 5,
            cuts: vec![(9, 100)],
        };
        // column 16 in the frame is the `!`, after a string that lost 100 bytes
        assert_eq!(f.file_position(1, 16), (10, 5 + 15 + 100));
    }
}

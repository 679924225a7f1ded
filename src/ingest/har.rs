//! Lenient serde mirror of one HAR entry, borrowing from its frame.
//!
//! Owns the field-level tolerance every real producer needs: any field may be missing, null or
//! of the wrong type (`Field::Wrong` records which), headers may be an array or an object, `_`
//! fields of any shape are ignored, and only the headers the analysis reads are kept. These
//! types never leave `ingest` and `normalize`. It must not interpret values (times, URLs,
//! rate-limit numbers): that is `normalize`'s job.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A field that may be missing or of the wrong JSON type.
#[derive(Debug, Default, Clone, PartialEq)]
pub enum Field<T> {
    /// Not present (or `null`).
    #[default]
    Missing,
    /// Present with another JSON type; the name of the type found.
    Wrong(&'static str),
    /// Present and usable.
    Ok(T),
}

impl<T> Field<T> {
    /// The value, if usable.
    pub fn ok(&self) -> Option<&T> {
        match self {
            Field::Ok(v) => Some(v),
            _ => None,
        }
    }

    /// The value, if usable, by value.
    pub fn into_ok(self) -> Option<T> {
        match self {
            Field::Ok(v) => Some(v),
            _ => None,
        }
    }
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

// ---- strings -------------------------------------------------------------------------------

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Field<Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Field::Ok(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Field::Ok(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Field::Ok(Cow::Owned(v)))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Field::Wrong("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Field::Wrong("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Field::Wrong("a number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Field::Wrong("a number"))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Field::Missing)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Field::Missing)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map)?;
        Ok(Field::Wrong("an object"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(Field::Wrong("an array"))
    }
}

/// A string field, borrowed when it has no escapes.
pub type Str<'a> = Field<Cow<'a, str>>;

impl<'de: 'a, 'a> Deserialize<'de> for Field<Cow<'a, str>> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrVisitor)
    }
}

/// `deserialize_with` helper: an owned string, or `None` for anything else.
pub fn loose_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(d.deserialize_any(StrVisitor)?
        .into_ok()
        .map(Cow::into_owned))
}

// ---- numbers -------------------------------------------------------------------------------

struct NumVisitor;

impl<'de> Visitor<'de> for NumVisitor {
    type Value = Field<f64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Field::Ok(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Field::Ok(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(if v.is_finite() {
            Field::Ok(v)
        } else {
            Field::Wrong("a number out of range")
        })
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        // some producers quote numbers ("200")
        Ok(match v.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => Field::Ok(n),
            _ => Field::Wrong("a string"),
        })
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Field::Wrong("a boolean"))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Field::Missing)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Field::Missing)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map)?;
        Ok(Field::Wrong("an object"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(Field::Wrong("an array"))
    }
}

/// A number field (numbers in strings accepted).
pub type Num = Field<f64>;

impl<'de> Deserialize<'de> for Field<f64> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumVisitor)
    }
}

// ---- objects -------------------------------------------------------------------------------

/// A nested object field whose wrong type does not fail the entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Obj<T>(pub Field<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(Field::Missing)
    }
}

struct ObjVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
    type Value = Obj<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|v| Obj(Field::Ok(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(Obj(Field::Wrong("an array")))
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Obj(Field::Wrong("a string")))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Obj(Field::Wrong("a boolean")))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Obj(Field::Wrong("a number")))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Obj(Field::Wrong("a number")))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Obj(Field::Wrong("a number")))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Obj(Field::Missing))
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Obj(Field::Missing))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjVisitor(PhantomData))
    }
}

// ---- headers -------------------------------------------------------------------------------

/// The headers of a request or response that the analysis reads, plus totals for the rest.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Headers<'a> {
    /// Kept headers as (lower-case name, value), duplicates preserved, in file order.
    pub kept: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// Number of headers listed.
    pub count: u32,
    /// Bytes of `name: value\r\n` over all listed headers (for sanitized-export detection).
    pub bytes: u64,
}

impl<'a> Headers<'a> {
    /// First value of a header (name in lower case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.kept
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// Every value of a header (name in lower case).
    pub fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.kept
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }
}

/// Whether the analysis reads a header (name already lower-cased): every header a rate-limit
/// dialect reads (`normalize::dialects`), plus the credential, cookie, host, CORS, date and
/// correlation headers.
fn kept_header(name: &str) -> bool {
    matches!(
        name,
        "authorization"
            | "cookie"
            | "set-cookie"
            | "host"
            | ":authority"
            | "access-control-request-method"
            | "access-control-request-headers"
            | "access-control-max-age"
            | "date"
            | "inin-correlation-id"
            | "x-correlation-id"
            | "x-request-id"
            | "x-amzn-requestid"
            | "x-github-request-id"
    ) || name.starts_with("x-api-key")
        || crate::normalize::dialects::reads_header(name)
}

#[derive(Deserialize)]
struct HeaderItem<'a> {
    #[serde(default, borrow)]
    name: Str<'a>,
    #[serde(default, borrow)]
    value: HeaderValue<'a>,
}

/// A header value: strings as they are, numbers and booleans as text.
#[derive(Default)]
struct HeaderValue<'a>(Option<Cow<'a, str>>);

struct HeaderValueVisitor;

impl<'de> Visitor<'de> for HeaderValueVisitor {
    type Value = HeaderValue<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a header value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(HeaderValue(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(HeaderValue(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(HeaderValue(Some(Cow::Owned(v))))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(HeaderValue(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(HeaderValue(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(HeaderValue(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(HeaderValue(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(HeaderValue(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map)?;
        Ok(HeaderValue(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(HeaderValue(None))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for HeaderValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(HeaderValueVisitor)
    }
}

/// One element of a header array: an object, or anything else (ignored).
struct HeaderSlot<'a>(Option<HeaderItem<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for HeaderSlot<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(ObjVisitor::<HeaderItem<'a>>(PhantomData))? {
            Obj(Field::Ok(h)) => Ok(HeaderSlot(Some(h))),
            _ => Ok(HeaderSlot(None)),
        }
    }
}

struct HeadersVisitor;

impl<'a> Headers<'a> {
    fn push(&mut self, name: Cow<'a, str>, value: Option<Cow<'a, str>>) {
        self.count += 1;
        let vlen = value.as_ref().map(|v| v.len()).unwrap_or(0);
        self.bytes += (name.len() + vlen + 4) as u64;
        let lower = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(name.to_ascii_lowercase())
        } else {
            name
        };
        if kept_header(&lower)
            && let Some(v) = value
        {
            self.kept.push((lower, v));
        }
    }
}

impl<'de> Visitor<'de> for HeadersVisitor {
    type Value = Headers<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a header list")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut h = Headers::default();
        while let Some(slot) = seq.next_element::<HeaderSlot<'de>>()? {
            if let Some(item) = slot.0
                && let Field::Ok(name) = item.name
            {
                h.push(name, item.value.0);
            }
        }
        Ok(h)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // `{"Name": "value"}` form written by a few tools
        let mut h = Headers::default();
        while let Some(name) = map.next_key::<Str<'de>>()? {
            let value = map.next_value::<HeaderValue<'de>>()?;
            if let Field::Ok(name) = name {
                h.push(name, value.0);
            }
        }
        Ok(h)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Headers::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Headers::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Headers::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Headers::default())
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Headers::default())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Headers::default())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Headers<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(HeadersVisitor)
    }
}

/// Whether a `cookies` field holds anything (array with items, or a non-empty object).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct NonEmpty(pub bool);

struct NonEmptyVisitor;

impl<'de> Visitor<'de> for NonEmptyVisitor {
    type Value = NonEmpty;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("anything")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut any = false;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            any = true;
        }
        Ok(NonEmpty(any))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut any = false;
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
            any = true;
        }
        Ok(NonEmpty(any))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(NonEmpty(!v.is_empty()))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(NonEmpty(false))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(NonEmpty(false))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(NonEmpty(false))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(NonEmpty(false))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(NonEmpty(false))
    }
}

impl<'de> Deserialize<'de> for NonEmpty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NonEmptyVisitor)
    }
}

// ---- the entry -----------------------------------------------------------------------------

/// `entry.request`.
#[derive(Debug, Default, Deserialize)]
pub struct Request<'a> {
    /// The `method` field.
    #[serde(default, borrow)]
    pub method: Str<'a>,
    /// The `url` field.
    #[serde(default, borrow)]
    pub url: Str<'a>,
    /// The `headers` field.
    #[serde(default, borrow)]
    pub headers: Headers<'a>,
    /// The `cookies` field.
    #[serde(default)]
    pub cookies: NonEmpty,
    /// The `headersSize` field.
    #[serde(default, rename = "headersSize")]
    pub headers_size: Num,
    /// The `httpVersion` field.
    #[serde(default, borrow, rename = "httpVersion")]
    pub http_version: Str<'a>,
}

/// A body's `text` as the HAR writes it, still JSON-escaped: unescaping a body costs about as
/// much as reading it, and most bodies are never read.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct RawText<'a>(Option<&'a str>);

impl<'de: 'a, 'a> Deserialize<'de> for RawText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&'a serde_json::value::RawValue>::deserialize(d)?.get();
        Ok(RawText(
            (raw.len() >= 2 && raw.starts_with('"')).then(|| &raw[1..raw.len() - 1]),
        ))
    }
}

impl<'a> RawText<'a> {
    /// The text between the quotes, escapes as written; `None` when it is not a string.
    pub fn escaped(&self) -> Option<&'a str> {
        self.0
    }

    /// The text itself.
    pub fn text(&self) -> Option<Cow<'a, str>> {
        let raw = self.0?;
        if !raw.contains('\\') {
            return Some(Cow::Borrowed(raw));
        }
        // the frame was checked when it was parsed: the escapes are valid
        serde_json::from_str::<String>(&format!("\"{raw}\""))
            .ok()
            .map(Cow::Owned)
    }
}

/// `entry.response.content`.
#[derive(Debug, Default, Deserialize)]
pub struct Content<'a> {
    /// The `text` field, as written.
    #[serde(default, borrow)]
    pub text: RawText<'a>,
    /// The `encoding` field.
    #[serde(default, borrow)]
    pub encoding: Str<'a>,
    /// The `mimeType` field.
    #[serde(default, borrow, rename = "mimeType")]
    pub mime_type: Str<'a>,
}

/// `entry.response`.
#[derive(Debug, Default, Deserialize)]
pub struct Response<'a> {
    /// The `status` field.
    #[serde(default)]
    pub status: Num,
    /// The `headers` field.
    #[serde(default, borrow)]
    pub headers: Headers<'a>,
    /// The `cookies` field.
    #[serde(default)]
    pub cookies: NonEmpty,
    /// The `content` field.
    #[serde(default, borrow)]
    pub content: Obj<Content<'a>>,
    /// The `_fulfilledBy` field.
    #[serde(default, borrow, rename = "_fulfilledBy")]
    pub fulfilled_by: Str<'a>,
}

/// `entry.timings`.
#[derive(Debug, Default, Deserialize)]
pub struct Timings {
    /// The `blocked` field.
    #[serde(default)]
    pub blocked: Num,
    /// The `dns` field.
    #[serde(default)]
    pub dns: Num,
    /// The `connect` field.
    #[serde(default)]
    pub connect: Num,
    /// The `send` field.
    #[serde(default)]
    pub send: Num,
    /// The `wait` field.
    #[serde(default)]
    pub wait: Num,
    /// The `receive` field.
    #[serde(default)]
    pub receive: Num,
}

/// Chrome DevTools' `_initiator` object (only its type is read).
#[derive(Debug, Default, Deserialize)]
pub struct Initiator<'a> {
    /// The `type` field.
    #[serde(default, borrow, rename = "type")]
    pub kind: Str<'a>,
}

/// One element of `log.entries`.
#[derive(Debug, Default, Deserialize)]
pub struct Entry<'a> {
    /// The `startedDateTime` field.
    #[serde(default, borrow, rename = "startedDateTime")]
    pub started: Str<'a>,
    /// The `time` field.
    #[serde(default)]
    pub time: Num,
    /// The `request` field.
    #[serde(default, borrow)]
    pub request: Obj<Request<'a>>,
    /// The `response` field.
    #[serde(default, borrow)]
    pub response: Obj<Response<'a>>,
    /// The `timings` field.
    #[serde(default)]
    pub timings: Obj<Timings>,
    /// The `_fromCache` field.
    #[serde(default, borrow, rename = "_fromCache")]
    pub from_cache: Str<'a>,
    /// The `_fetchType` field.
    #[serde(default, borrow, rename = "_fetchType")]
    pub fetch_type: Str<'a>,
    /// The `_initiator_type` field.
    #[serde(default, borrow, rename = "_initiator_type")]
    pub initiator_type: Str<'a>,
    /// The `_initiator` field.
    #[serde(default, borrow, rename = "_initiator")]
    pub initiator: Obj<Initiator<'a>>,
    /// The `_resourceType` field.
    #[serde(default, borrow, rename = "_resourceType")]
    pub resource_type: Str<'a>,
}

/// Why an entry frame could not be read as an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryProblem {
    /// Valid JSON, but not an entry object (a number, a string, ...).
    Shape(String),
    /// Invalid JSON inside the frame, at (line, column) of the frame.
    Syntax {
        /// The `line` field.
        line: usize,
        /// The `column` field.
        column: usize,
        /// The `what` field.
        what: &'static str,
    },
}

/// Parses one frame into an entry.
pub fn parse_entry(bytes: &[u8]) -> Result<Entry<'_>, EntryProblem> {
    match serde_json::from_slice::<Entry<'_>>(bytes) {
        Ok(e) => Ok(e),
        Err(err) => {
            use serde_json::error::Category;
            match err.classify() {
                Category::Data => {
                    // never quote serde's message: it can contain capture values
                    let what = match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
                        Some(b'{') => {
                            "entry has a field of an unusable shape (e.g. a duplicate key)"
                                .to_string()
                        }
                        Some(b'[') => "entry is an array, expected an object".to_string(),
                        Some(b'"') => "entry is a string, expected an object".to_string(),
                        Some(b'n') => "entry is null, expected an object".to_string(),
                        Some(b't' | b'f') => "entry is a boolean, expected an object".to_string(),
                        _ => "entry is a number, expected an object".to_string(),
                    };
                    Err(EntryProblem::Shape(what))
                }
                Category::Syntax | Category::Eof | Category::Io => Err(EntryProblem::Syntax {
                    line: err.line(),
                    column: err.column(),
                    what: syntax_hint(&err, bytes),
                }),
            }
        }
    }
}

/// A short, value-free description of a serde_json syntax error.
fn syntax_hint(err: &serde_json::Error, bytes: &[u8]) -> &'static str {
    // serde_json's syntax messages name expectations, never values; match the known ones
    let m = err.to_string();
    // serde_json reports invalid UTF-8 bytes as an invalid code point
    if m.contains("invalid unicode code point") && std::str::from_utf8(bytes).is_err() {
        return "invalid UTF-8 (HAR files are UTF-8)";
    }
    for (needle, what) in [
        ("recursion limit", "nesting too deep"),
        ("number out of range", "a number out of range"),
        ("invalid unicode code point", "an invalid \\u escape"),
        ("lone leading surrogate", "an invalid \\u escape"),
        ("invalid escape", "an invalid escape"),
        ("control character", "a control character inside a string"),
        ("invalid number", "an invalid number"),
        ("expected `,` or `}`", "expected `,` or `}`"),
        ("expected `,` or `]`", "expected `,` or `]`"),
        ("expected `:`", "expected `:`"),
        ("key must be a string", "an object key that is not a string"),
        ("expected value", "expected a value"),
        ("trailing comma", "a trailing comma"),
        ("EOF", "unexpected end"),
        ("invalid UTF-8", "invalid UTF-8"),
    ] {
        if m.contains(needle) {
            return what;
        }
    }
    "invalid JSON"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_chrome_entry_and_keeps_only_useful_headers() {
        let json = br#"{"startedDateTime":"2025-03-27T22:30:02.316Z","time":243.5,
          "request":{"method":"PUT","url":"https://a/b","headers":[
             {"name":"Authorization","value":"Bearer x"},{"name":"User-Agent","value":"u"},
             {"name":"AUTHORIZATION","value":"Bearer x"}],"cookies":[]},
          "response":{"status":429,"headers":[{"name":"Retry-After","value":55}],
             "content":{"text":"{}","mimeType":"application/json"}},
          "_initiator":{"type":"script"},"_whatever":[1,{"x":2}]}"#;
        let e = parse_entry(json).unwrap();
        let req = e.request.0.ok().unwrap();
        assert_eq!(req.method.ok().map(|m| m.as_ref()), Some("PUT"));
        assert_eq!(req.headers.all("authorization").count(), 2);
        assert_eq!(req.headers.count, 3);
        assert!(req.headers.get("user-agent").is_none());
        let resp = e.response.0.ok().unwrap();
        assert_eq!(resp.status, Field::Ok(429.0));
        assert_eq!(resp.headers.get("retry-after"), Some("55"));
        assert_eq!(e.time, Field::Ok(243.5));
    }

    #[test]
    fn wrong_types_are_recorded_not_fatal() {
        let json =
            br#"{"startedDateTime":5,"time":"abc","request":"GET /","response":{"status":[1],
            "headers":{"Retry-After":"3"}},"timings":{}}"#;
        let e = parse_entry(json).unwrap();
        assert_eq!(e.started, Field::Wrong("a number"));
        assert_eq!(e.time, Field::Wrong("a string"));
        assert!(matches!(e.request.0, Field::Wrong("a string")));
        let resp = e.response.0.ok().unwrap();
        assert_eq!(resp.status, Field::Wrong("an array"));
        assert_eq!(resp.headers.get("retry-after"), Some("3"));
    }

    #[test]
    fn ie_cookie_objects_and_null_fields_are_fine() {
        let json =
            br#"{"request":{"method":null,"cookies":{"a":"b"},"headers":null},"response":null}"#;
        let e = parse_entry(json).unwrap();
        let req = e.request.0.ok().unwrap();
        assert_eq!(req.method, Field::Missing);
        assert!(req.cookies.0);
        assert!(matches!(e.response.0, Field::Missing));
    }

    #[test]
    fn non_objects_and_bad_json_are_classified_without_quoting() {
        assert_eq!(
            parse_entry(b"\"CNRYsecret\"").unwrap_err(),
            EntryProblem::Shape("entry is a string, expected an object".into())
        );
        match parse_entry(b"{\"a\": tru}").unwrap_err() {
            EntryProblem::Syntax { line, column, .. } => assert_eq!((line, column), (1, 10)),
            other => panic!("{other:?}"),
        }
        match parse_entry(b"{\"time\": 1e999999}").unwrap_err() {
            EntryProblem::Syntax { what, .. } => assert_eq!(what, "a number out of range"),
            other => panic!("{other:?}"),
        }
    }
}

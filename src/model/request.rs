//! One normalized HAR entry: the `Request` every stage after `normalize` works on.
//!
//! Owns the typed request and the parsed rate-limit signals it carries. Strings that could
//! carry secrets or ids are not stored here at all: hosts, paths and templates are indices into
//! the capture's tables, identities are indices into its client and user lists. It must not
//! hold serde HAR types or any raw header value.

use super::packed::OptU32;
use super::signals::{RetryAfter, Signals, ThrottleBody};
use super::time::Micros;

/// Index into one of the capture's interned tables.
pub type Sym = u32;

/// The correlation id a response carried and the analysis did not keep (no server-log join and
/// no `--show-ids` reads it): the request still counts as carrying one.
pub const NOT_KEPT: Sym = Sym::MAX - 1;

/// The name of an unusual method (`PROPFIND`): a plain token of up to 16 upper-case letters
/// and dashes, held once for the whole process in a table of such names (method names are
/// not secrets). Two bytes in every request record instead of the name's sixteen. At most
/// `MethodName::MOST` distinct names are kept, about a megabyte: inputs inventing more than
/// that (no real API has more than a few dozen) get the rest read as unreadable methods.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MethodName(std::num::NonZeroU16);

/// The unusual method names seen by this process, in the order first seen, and where each is.
#[derive(Default)]
struct MethodNames {
    names: Vec<&'static str>,
    at: std::collections::HashMap<&'static str, usize>,
}

fn method_names() -> std::sync::MutexGuard<'static, MethodNames> {
    static NAMES: std::sync::OnceLock<std::sync::Mutex<MethodNames>> = std::sync::OnceLock::new();
    // a panic elsewhere leaves the table whole: each name is added complete
    NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

impl MethodName {
    /// The most distinct unusual names kept: every two-byte id.
    pub const MOST: usize = u16::MAX as usize;

    /// A name, when it is a plain method token that fits and the table has room for it.
    fn new(up: &str) -> Option<MethodName> {
        let token = !up.is_empty()
            && up.len() <= 16
            && up.bytes().all(|b| b.is_ascii_uppercase() || b == b'-');
        if !token {
            return None;
        }
        let mut table = method_names();
        let at = match table.at.get(up) {
            Some(&at) => at,
            None if table.names.len() < Self::MOST => {
                // kept for the life of the process: at most `MOST` names of 16 bytes
                let name: &'static str = Box::leak(up.to_string().into_boxed_str());
                let at = table.names.len();
                table.names.push(name);
                table.at.insert(name, at);
                at
            }
            None => return None,
        };
        let id = u16::try_from(at + 1).ok()?;
        std::num::NonZeroU16::new(id).map(MethodName)
    }

    /// The name.
    pub fn as_str(&self) -> &'static str {
        method_names()
            .names
            .get(usize::from(self.0.get()) - 1)
            .copied()
            .unwrap_or("OTHER")
    }
}

impl PartialOrd for MethodName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// By name, whatever order the names were first seen in.
impl Ord for MethodName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::fmt::Debug for MethodName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// HTTP method. Unusual methods keep their upper-cased name when it is a plain token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// `GET`.
    Get,
    /// `HEAD`.
    Head,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
    /// `OPTIONS`.
    Options,
    /// `CONNECT`.
    Connect,
    /// `TRACE`.
    Trace,
    /// Another token (`PROPFIND`, ...); `None` when it was not a valid method token.
    Other(Option<MethodName>),
}

impl Method {
    /// Parses a method name case-insensitively.
    pub fn parse(s: &str) -> Method {
        let up = s.trim().to_ascii_uppercase();
        match up.as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            "CONNECT" => Method::Connect,
            "TRACE" => Method::Trace,
            other => Method::Other(MethodName::new(other)),
        }
    }

    /// Upper-case name (`PUT`), or `OTHER` for an unreadable method.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Connect => "CONNECT",
            Method::Trace => "TRACE",
            Method::Other(Some(s)) => s.as_str(),
            Method::Other(None) => "OTHER",
        }
    }

    /// A small id, the same for the same method everywhere in the process: the standard
    /// methods 0–8, an unreadable one 9, each unusual name its own from 10 (partition and
    /// group keys, without hashing a name).
    pub fn id(&self) -> u32 {
        match self {
            Method::Get => 0,
            Method::Head => 1,
            Method::Post => 2,
            Method::Put => 3,
            Method::Patch => 4,
            Method::Delete => 5,
            Method::Options => 6,
            Method::Connect => 7,
            Method::Trace => 8,
            Method::Other(None) => 9,
            Method::Other(Some(name)) => 9 + u32::from(name.0.get()),
        }
    }

    /// GET, HEAD and OPTIONS: the methods that do not change server state.
    pub fn is_read(&self) -> bool {
        matches!(self, Method::Get | Method::Head | Method::Options)
    }
}

/// URL scheme of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `http:`.
    Http,
    /// `https:`.
    Https,
    /// `ws:`.
    Ws,
    /// `wss:`.
    Wss,
    /// `data:`, `blob:`, `chrome-extension:` and other schemes that are not network requests.
    Other,
}

impl Scheme {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
            Scheme::Ws => "ws",
            Scheme::Wss => "wss",
            Scheme::Other => "other",
        }
    }
}

/// What the request's `Authorization` header (or `access_token` query) looked like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Auth {
    /// No credential seen.
    #[default]
    None,
    /// A bearer token (opaque or JWT) that identifies a client.
    Bearer,
    /// Basic or another scheme: a credential, but not an OAuth client.
    Other,
    /// A placeholder left by a sanitizer (`[REMOVED]`, `REDACTED`, `!!!sanitized!!!`, ...).
    Masked,
}

/// The parts of a request only preflights (and other OPTIONS requests) have.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Preflight {
    /// Method a preflight announced.
    pub method: Option<Method>,
    /// A preflight whose `Access-Control-Request-Headers` include `authorization`.
    pub announces_auth: bool,
    /// For a preflight: index (in `Capture::requests`) of the request it cleared the way for.
    pub pair: Option<u32>,
    /// `Access-Control-Max-Age` on the response, seconds.
    pub max_age_s: Option<i64>,
}

/// One request of a capture.
#[derive(Clone, Debug)]
pub struct Request {
    /// 0-based position of the entry in the file's `log.entries`.
    pub entry: u32,
    /// Start, µs since the epoch, UTC.
    pub start: Micros,
    /// UTC offset of the original `startedDateTime`, seconds.
    pub utc_offset_s: i32,
    /// Total time until the response was complete (≥ 0).
    pub duration: Micros,
    /// Time from the start until the request left the browser (queued behind busy
    /// connections, DNS, connecting, sending), µs, when the producer records it: the server
    /// saw the request at `arrival()`. 0 when unrecorded.
    pub sent: u32,
    /// HTTP method.
    pub method: Method,
    /// URL scheme.
    pub scheme: Scheme,
    /// Host (with port when not the scheme's default): index into `Capture::hosts`.
    pub host: Sym,
    /// Concrete path without query or fragment: index into `Capture::paths`.
    pub path: Sym,
    /// Endpoint template: index into `Capture::templates`.
    pub template: Sym,
    /// Response status; 0 when there was no response.
    pub status: u16,
    /// A CORS preflight (OPTIONS with `Access-Control-Request-Method`, or marked by the producer).
    pub is_preflight: bool,
    /// Served from a browser cache (never reached the server).
    pub from_cache: bool,
    /// Credential kind.
    pub auth: Auth,
    /// Client: index into `Capture::clients`, when a bearer token identified one.
    pub client: OptU32,
    /// Token: index into `Capture::tokens`.
    pub token: OptU32,
    /// User: index into `Capture::users`.
    pub user: u32,
    /// Where the counters the server reported on the response start in `Capture::quotas`
    /// (`Capture::quotas_of` gives them): a day-long capture holds one per response from an
    /// API that reports them, end to end in one table rather than a box per response.
    pub quotas_at: u32,
    /// How many counters the response reported (at most the 4,096 a page of the table holds;
    /// no dialect reports more than a few).
    pub quotas_len: u16,
    /// Throttling body, `Retry-After`, reported costs, a preflight's parts and the rarer
    /// signals of the response, out of line: a day-long capture holds a record per request and
    /// few carry any. `None` when every part is absent.
    pub signals: Option<Box<Signals>>,
    /// Correlation id: index into `Capture::correlation_ids`, or `NOT_KEPT` when the response
    /// carried one the analysis did not keep (`Capture::correlation` then gives `None`).
    pub correlation: OptU32,
    /// Whether the active profiles count this response as a throttle (set once profiles are
    /// chosen; before that, whether it is an HTTP 429).
    pub throttled: bool,
    /// Numeric page size from the query (`pageSize`, `per_page`, ...), for graduated limits.
    pub page_size: OptU32,
}

impl Request {
    /// Whether a response arrived.
    pub fn has_response(&self) -> bool {
        self.status >= 100
    }

    /// When the request reached the server, as far as the HAR tells: its start plus the time
    /// before it left the browser (`sent`).
    pub fn arrival(&self) -> Micros {
        self.start.saturating_add(Micros::from(self.sent))
    }

    /// End of the request (start + duration).
    pub fn end(&self) -> Micros {
        self.start.saturating_add(self.duration)
    }

    /// Whether the response was a throttle: HTTP 429, or another status or body the active
    /// profiles count as one.
    pub fn is_throttle(&self) -> bool {
        self.throttled
    }

    /// Method a preflight announced.
    pub fn preflight_method(&self) -> Option<&Method> {
        self.signals
            .as_deref()
            .and_then(|s| s.preflight.method.as_ref())
    }

    /// Whether a preflight's `Access-Control-Request-Headers` include `authorization`.
    pub fn announces_auth(&self) -> bool {
        self.signals
            .as_deref()
            .is_some_and(|s| s.preflight.announces_auth)
    }

    /// For a preflight: index (in `Capture::requests`) of the request it cleared the way for.
    pub fn pair(&self) -> Option<u32> {
        self.signals.as_deref().and_then(|s| s.preflight.pair)
    }

    /// `Access-Control-Max-Age` on the response (an OPTIONS request's), seconds.
    pub fn max_age_s(&self) -> Option<i64> {
        self.signals.as_deref().and_then(|s| s.preflight.max_age_s)
    }

    /// When the response asked the client to retry.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        self.signals.as_deref().and_then(|s| s.retry_after)
    }

    /// What a throttling body said.
    pub fn throttle_body(&self) -> Option<&ThrottleBody> {
        self.signals.as_deref().and_then(|s| s.body.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::super::signals::Quota;
    use super::*;

    /// A day-long capture holds a request record per entry and a counter per response with
    /// rate-limit headers: growing either grows every large analysis (`tests/memory.rs`
    /// measures the whole). 120 B: optional indices in four bytes (`OptU32`), unusual method
    /// names held inline and `Retry-After` out of line with the rarer signals took it from 160;
    /// 96 B: unusual method names in a table of their own (four-byte `Method`) and a
    /// preflight's parts in the same box as the rarer signals.
    /// 64 B counters: their numbers, windows, resets and policy held as `Packed` (104 before).
    /// 88 B: the counters end to end in one table of the capture's, the record holding where
    /// its own start and how many (a boxed slice took sixteen bytes here and a heap block of
    /// its own per response).
    #[test]
    fn per_request_records_stay_small() {
        assert!(
            std::mem::size_of::<Request>() <= 88,
            "{}",
            std::mem::size_of::<Request>()
        );
        assert!(
            std::mem::size_of::<Quota>() <= 64,
            "{}",
            std::mem::size_of::<Quota>()
        );
    }

    #[test]
    fn unusual_method_names_are_kept_once_and_ordered_by_name() {
        let (a, b) = (Method::parse("propfind"), Method::parse("MKCOL"));
        assert_eq!((a.as_str(), b.as_str()), ("PROPFIND", "MKCOL"));
        assert_eq!(a, Method::parse("PROPFIND"));
        assert_ne!(a, b);
        // by name, not by the order they were first seen
        assert!(b < a);
        assert_eq!(std::mem::size_of::<Method>(), 4);
        // ids tell every method apart, unusual names included
        let ids = [Method::Get, Method::Other(None), a, b].map(|m| m.id());
        assert_eq!(ids[..2], [0, 9]);
        assert!(ids[2] >= 10 && ids[3] >= 10 && ids[2] != ids[3]);
        assert_eq!(a.id(), Method::parse("PROPFIND").id());
    }

    #[test]
    fn methods_parse_case_insensitively() {
        assert_eq!(Method::parse("put"), Method::Put);
        assert_eq!(Method::parse("PROPFIND").as_str(), "PROPFIND");
        assert_eq!(Method::parse("ge t\u{0}").as_str(), "OTHER");
        assert!(Method::Options.is_read());
        assert!(!Method::Put.is_read());
    }
}

//! The domain model shared by every pipeline stage.
//!
//! Owns the vocabulary of `DESIGN.md` as types: capture, request, client, user, the rate-limit
//! signals a response carries, server-side records, and the time and secret-handling
//! primitives. It holds data only: no parsing of HAR or logs, no I/O, no clock.

pub mod capture;
pub mod packed;
pub mod quota_table;
pub mod request;
pub mod secret;
pub mod server;
pub mod signals;
pub mod text_table;
pub mod time;
pub mod words;

pub use capture::{Capture, Client, Producer, Sanitization, Skipped, User, UsersToldApart};
pub use packed::{OptU32, OptU64, Packed};
pub use quota_table::QuotaTable;
pub use request::{Auth, Method, MethodName, NOT_KEPT, Preflight, Request, Scheme, Sym};
pub use secret::{Fingerprint, SafeLabel, Sensitive};
pub use server::{
    Granularity, LimiterKind, LimiterOutcome, LimiterStatus, LineProblem, ServerLog,
    ServerLogFormat, ServerRecord,
};
pub use signals::{
    CodeId, DialectId, Exact, Quota, Reason, Refill, ReportedCost, ResetForm, RetryAfter,
    RetrySource, Signals, ThrottleBody, ThrottleScope, Unit,
};
pub use text_table::TextTable;
pub use time::Micros;
pub use words::plural;

//! The domain model shared by every pipeline stage.
//!
//! Owns the vocabulary of `DESIGN.md` as types: capture, request, client, user, server-side
//! records, and the time and secret-handling primitives. It holds data only: no parsing of HAR
//! or logs, no I/O, no clock.

pub mod capture;
pub mod request;
pub mod secret;
pub mod server;
pub mod time;

pub use capture::{Capture, Client, Producer, Sanitization, Skipped, User};
pub use request::{
    Auth, Method, Policy, RateHeaders, Request, RetryAfter, Scheme, Sym, ThrottleBody, ThrottleCode,
};
pub use secret::{Fingerprint, SafeLabel, Sensitive};
pub use server::{
    Granularity, LimiterKind, LimiterOutcome, LimiterStatus, LineProblem, ServerLog,
    ServerLogFormat, ServerRecord,
};
pub use time::Micros;

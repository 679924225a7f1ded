//! The domain model shared by every pipeline stage.
//!
//! Owns the vocabulary of `DESIGN.md` as types: capture, request, client, user, the rate-limit
//! signals a response carries, and the time and secret-handling primitives. It holds data
//! only: no parsing of HAR, no I/O, no clock.

pub mod capture;
pub mod request;
pub mod secret;
pub mod signals;
pub mod time;

pub use capture::{Capture, Client, Producer, Sanitization, Skipped, User};
pub use request::{Auth, Method, Request, Scheme, Sym};
pub use secret::{SafeLabel, Sensitive};
pub use signals::{
    CodeId, DialectId, Exact, Quota, Reason, Refill, ReportedCost, ResetForm, RetryAfter,
    RetrySource, Signals, ThrottleBody, ThrottleScope, Unit,
};
pub use time::Micros;

//! The domain model shared by every pipeline stage.
//!
//! Owns the vocabulary of `DESIGN.md` as types: capture, request, client, user, and the time
//! and secret-handling primitives. It holds data only: no parsing of HAR, no I/O, no clock.

pub mod capture;
pub mod request;
pub mod secret;
pub mod time;
pub mod words;

pub use capture::{Capture, Client, Producer, Sanitization, Skipped, User};
pub use request::{
    Auth, Method, Policy, RateHeaders, Request, RetryAfter, Scheme, Sym, ThrottleBody, ThrottleCode,
};
pub use secret::{SafeLabel, Sensitive};
pub use time::Micros;
pub use words::plural;

//! why429 — HAR rate-limit forensics.
//!
//! Reads browser HAR captures, rebuilds the request timeline, evaluates every documented
//! rate-limit layer of the API over sliding windows and explains each HTTP 429 with evidence a
//! person can check. The pipeline flows one way:
//!
//! `ingest` (bytes → entries) → `normalize` (entries → `Capture`) → `evaluate` (window counts
//! per layer and partition) → `diagnose` (throttles and findings) → `report` (one serialisable
//! view model) → `render` (terminal, Markdown, HTML, JSON, JUnit, GitHub, charts).
//!
//! `sanitize` stands beside `report`: from the analysis of a capture it rewrites the capture
//! itself into one that is safe to share and gives the same analysis.
//!
//! A stage imports only the stages before it plus `model`; `analysis` holds what the pure stages
//! produce for one capture. Only the binary's commands (`cli`), `ingest` and `batch` touch
//! files, the terminal, the environment or threads.
//!
//! Analyzing a capture held in memory:
//!
//! ```
//! use std::sync::Arc;
//! use why429::{batch, ingest, normalize::FingerprintKey, profiles};
//!
//! let har = br#"{"log": {"version": "1.2", "entries": [
//!   {"startedDateTime": "2025-03-27T22:30:02.316Z", "time": 48,
//!    "request": {"method": "GET", "url": "https://api.mypurecloud.de/api/v2/users/me",
//!                "headers": [{"name": "Authorization", "value": "Bearer abc"}]},
//!    "response": {"status": 429, "headers": [{"name": "Retry-After", "value": "30"}]}}]}}"#;
//! // every choice at its default; no profile chosen: genesys-cloud is chosen by host here
//! let settings = batch::Settings::new(
//!     FingerprintKey::from_passphrase("docs"),
//!     Vec::new(),
//!     profiles::builtin(),
//! )
//! .expect("the built-in profiles read few enough cost sources");
//! let input = ingest::Input::Stdin(Arc::new(har.to_vec()));
//! let (sources, errors) = ingest::discover(&[input], settings.read.limits);
//! assert!(errors.is_empty());
//! let analysis = batch::analyze_one(&sources[0], &settings)?;
//! assert_eq!(analysis.profiles[0].name, "genesys-cloud");
//! assert_eq!(analysis.diagnosis.throttles.len(), 1);
//! # Ok::<(), why429::error::InputError>(())
//! ```

#![deny(missing_docs)]

pub mod analysis;
pub mod batch;
pub mod check;
pub mod cli;
pub mod diagnose;
pub mod error;
pub mod evaluate;
pub mod ingest;
pub mod join;
pub mod model;
pub mod normalize;
pub mod plan;
pub mod profiles;
pub mod render;
pub mod report;
pub mod sanitize;

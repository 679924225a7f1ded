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
//! A stage imports only the stages before it plus `model`. Only the binary, `ingest` and
//! `batch` touch files, the terminal, the environment or threads.

#![deny(missing_docs)]

pub mod batch;
pub mod check;
pub mod cli;
pub mod diagnose;
pub mod error;
pub mod evaluate;
pub mod ingest;
pub mod model;
pub mod normalize;
pub mod profiles;
pub mod render;
pub mod report;
pub mod sanitize;

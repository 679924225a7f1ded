//! The JSON report (schema_version 1): the `Report` serialised as it is.

use std::io;

use crate::report::Report;

use super::Render;

/// Pretty-printed JSON.
pub struct Json;

impl Render for Json {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::from)?;
        writeln!(out)
    }
}

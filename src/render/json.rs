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

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that went away: every write fails as a closed pipe does.
    struct Closed;

    impl io::Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_stays_a_closed_pipe() {
        // the CLI ends quietly on a closed pipe only if the kind survives serde_json
        let report = Report::new(Vec::new(), &[]);
        let e = Json.render(&report, &mut Closed).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
    }
}

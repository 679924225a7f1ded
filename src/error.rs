//! Errors a user can act on.
//!
//! Owns `InputError` (a capture, server log or other input that cannot be read) and
//! `ProfileError` (a limit profile that is invalid). Every error names the file, the location
//! (line:column or entry index) and what to do next. Messages are built from why429's own
//! wording and numbers only: they must never quote capture or log content, because both hold
//! live credentials.

use std::fmt;

/// Where in a file a problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// 1-based line and column.
    LineCol {
        /// 1-based line.
        line: u64,
        /// 1-based column (bytes).
        column: u64,
    },
    /// 0-based index in `log.entries` (line and column unknown).
    Index {
        /// 0-based entry index.
        index: u32,
    },
    /// 0-based index in `log.entries`, with its line and column.
    Entry {
        /// 0-based entry index.
        index: u32,
        /// 1-based line.
        line: u64,
        /// 1-based column (bytes).
        column: u64,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::LineCol { line, column } => write!(f, "{line}:{column}"),
            Location::Index { index } => write!(f, "entry {index}"),
            Location::Entry {
                index,
                line,
                column,
            } => write!(f, "{line}:{column} (entry {index})"),
        }
    }
}

/// What kind of input problem it is; decides wording and whether `--partial` helps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputErrorKind {
    /// The file could not be opened or read.
    Io,
    /// Not a HAR at all (wrong top-level shape, another tool's JSON, binary data).
    NotHar,
    /// A server log that is not a log (binary data, a HAR, an archive, an unknown format).
    NotLog,
    /// The file ends early; `complete` entries were read in full.
    Truncated {
        /// Entries read in full before the end.
        complete: u32,
    },
    /// Invalid JSON; `complete` entries before it were read in full.
    Syntax {
        /// Entries read in full before the damage.
        complete: u32,
    },
    /// Not UTF-8 (UTF-16, invalid bytes).
    Encoding,
    /// A size or count cap was hit (decompression bombs, `--max-bytes`).
    TooLarge,
    /// Nothing to analyze (empty directory, empty archive).
    Empty,
    /// The HAR is readable but none of its entries can be used (impossible dates, wrong
    /// types everywhere).
    NoUsableEntry,
}

/// A capture or input that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// The input as the user named it.
    pub source: String,
    /// Where, when known.
    pub location: Option<Location>,
    /// What is wrong (why429's wording).
    pub problem: String,
    /// What to do next.
    pub hint: String,
    /// Classification.
    pub kind: InputErrorKind,
}

impl InputError {
    /// Builds an error.
    pub fn new(
        kind: InputErrorKind,
        source: impl Into<String>,
        location: Option<Location>,
        problem: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        InputError {
            source: source.into(),
            location,
            problem: problem.into(),
            hint: hint.into(),
            kind,
        }
    }

    /// Whether `--partial` can analyze what was read before the damage.
    pub fn partial_possible(&self) -> bool {
        matches!(
            self.kind,
            InputErrorKind::Truncated { .. } | InputErrorKind::Syntax { .. }
        )
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            // `file:line:col:` like compilers; an index alone reads better after a space
            Some(loc @ Location::Index { .. }) => {
                write!(f, "{}: {}: {}", self.source, loc, self.problem)?
            }
            Some(loc) => write!(f, "{}:{}: {}", self.source, loc, self.problem)?,
            None => write!(f, "{}: {}", self.source, self.problem)?,
        }
        if !self.hint.is_empty() {
            write!(f, "\n  hint: {}", self.hint)?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// An invalid limit profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileError {
    /// File name, or `built-in NAME`.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// The key or layer at fault, when known.
    pub key: Option<String>,
    /// What is wrong and how to fix it.
    pub problem: String,
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "`{key}`: ")?;
        }
        write!(f, "{}", self.problem)
    }
}

impl std::error::Error for ProfileError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_error_names_file_location_and_hint() {
        let e = InputError::new(
            InputErrorKind::Truncated { complete: 811 },
            "capture.har",
            Some(Location::Entry {
                index: 811,
                line: 20345,
                column: 5,
            }),
            "the file ends inside entry 811",
            "re-export the capture, or pass --partial to analyze the 811 complete entries",
        );
        let s = e.to_string();
        assert!(s.starts_with("capture.har:20345:5 (entry 811): the file ends inside entry 811"));
        assert!(s.contains("hint: re-export"));
        assert!(e.partial_possible());
    }

    #[test]
    fn profile_error_names_line_and_key() {
        let e = ProfileError {
            file: "p.toml".into(),
            line: Some(7),
            key: Some("windw".into()),
            problem: "unknown key".into(),
        };
        assert_eq!(e.to_string(), "p.toml:7: `windw`: unknown key");
    }
}

//! Reading server logs from disk: every file of the `--server-log` paths, plain or gzip,
//! handed on in 64 KiB chunks.
//!
//! Owns only the I/O: finding the files (`discover`), opening each through `source` (gzip
//! recognised by its magic bytes, `--max-bytes` applied after decompression), passing its
//! bytes to a caller-supplied `feed` (in `batch`: the pure `normalize::serverlog::LogReader`)
//! and turning read failures into `InputError`s that name the file. Memory holds one chunk,
//! never the file. It must not interpret the bytes: that is `normalize::serverlog`.

use std::io::{self, Read};
use std::path::PathBuf;

use crate::error::{InputError, InputErrorKind};

use super::source::{self, CaptureSource, Limits};

/// Bytes read per chunk.
const CHUNK: usize = 64 * 1024;

/// The files of the given server-log paths (directories expanded, sorted), and the paths
/// that cannot be read.
pub fn discover(paths: &[PathBuf]) -> (Vec<CaptureSource>, Vec<InputError>) {
    source::discover_files(paths)
}

fn read_error(name: &str, e: &io::Error, limits: Limits) -> InputError {
    match e.kind() {
        io::ErrorKind::FileTooLarge => InputError::new(
            InputErrorKind::TooLarge,
            name,
            None,
            format!(
                "the log is larger than the {} cap after decompression (--max-bytes)",
                source::human_bytes(limits.max_bytes)
            ),
            "raise the cap with --max-bytes, or cut the log to the minutes the captures cover",
        ),
        kind => InputError::new(
            InputErrorKind::Io,
            name,
            None,
            format!("read failed ({kind})"),
            "check that the file is readable, and that a .gz file is complete",
        ),
    }
}

/// Streams one log file's bytes (decompressed, capped) to `feed`, chunk by chunk.
pub fn stream(
    file: &CaptureSource,
    limits: Limits,
    feed: &mut dyn FnMut(&[u8]) -> Result<(), InputError>,
) -> Result<(), InputError> {
    file.with_reader(limits, |r| stream_from(&file.name, r, limits, feed))
}

/// Streams any byte source to `feed` (the source is named `name` in errors).
pub fn stream_from(
    name: &str,
    r: &mut dyn Read,
    limits: Limits,
    feed: &mut dyn FnMut(&[u8]) -> Result<(), InputError>,
) -> Result<(), InputError> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => feed(&buf[..n])?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(name, &e, limits)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn collect(file: &CaptureSource, limits: Limits) -> Result<Vec<u8>, InputError> {
        let mut out = Vec::new();
        stream(file, limits, &mut |b| {
            out.extend_from_slice(b);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn files_gzip_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.log"), "plain\n").unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"zipped\n").unwrap();
        std::fs::create_dir(dir.path().join("old")).unwrap();
        std::fs::write(dir.path().join("old/a.log.1.gz"), gz.finish().unwrap()).unwrap();
        std::fs::write(dir.path().join(".gitkeep"), "").unwrap();
        let (files, errors) = discover(&[dir.path().to_path_buf()]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(files.len(), 2);
        assert!(files[0].name.ends_with("b.log"));
        assert_eq!(collect(&files[0], Limits::default()).unwrap(), b"plain\n");
        assert!(files[1].name.ends_with("a.log.1.gz"));
        assert_eq!(files[1].relative, "old/a.log.1.gz");
        assert_eq!(collect(&files[1], Limits::default()).unwrap(), b"zipped\n");
    }

    #[test]
    fn unreadable_paths_and_caps_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.log");
        let (files, errors) = discover(std::slice::from_ref(&missing));
        assert!(files.is_empty());
        assert_eq!(errors[0].source, missing.display().to_string());
        let empty = tempfile::tempdir().unwrap();
        let (_, errors) = discover(&[empty.path().to_path_buf()]);
        assert_eq!(errors[0].kind, InputErrorKind::Empty);
        let big = dir.path().join("big.log");
        std::fs::write(&big, "x".repeat(5000)).unwrap();
        let (files, _) = discover(&[big]);
        let limits = Limits {
            max_bytes: 1000,
            max_files: 1,
        };
        let e = collect(&files[0], limits).unwrap_err();
        assert_eq!(e.kind, InputErrorKind::TooLarge);
        assert!(
            e.problem
                .contains("the log is larger than the 1000 bytes cap"),
            "{e}"
        );
    }
}

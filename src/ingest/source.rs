//! Finding and opening captures: files, directories, `.har.gz`, `.zip` and stdin; and the files
//! of server logs (`discover_files`).
//!
//! Owns the mapping from what the user typed to a list of `CaptureSource`s, and opening one as
//! a byte stream with decompression and size caps applied. Inputs are recognised by their
//! first bytes, not only by extension. Directories are walked recursively in sorted order
//! without any ignore-file filtering (captures are often git-ignored because they are
//! sensitive). It must not parse JSON.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{InputError, InputErrorKind};

/// What the user named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A file or directory.
    Path(PathBuf),
    /// A capture held in memory, shown as `<stdin>`.
    Stdin(Arc<Vec<u8>>),
    /// `-`: standard input, copied to a temporary file first (stdin can be read only once,
    /// and a file keeps memory flat however large the capture), shown as `<stdin>`.
    Spooled(Spool),
}

/// Standard input copied to a temporary file, removed when the last handle goes.
#[derive(Clone, Debug)]
pub struct Spool(Arc<tempfile::NamedTempFile>);

impl PartialEq for Spool {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Spool {}

/// Caps that protect against decompression bombs and runaway inputs.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most bytes read (after decompression) from one capture.
    pub max_bytes: u64,
    /// Most HAR files taken from one archive.
    pub max_files: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 4 << 30,
            max_files: 10_000,
        }
    }
}

/// One capture to read.
#[derive(Clone, Debug)]
pub struct CaptureSource {
    /// Display name: the path as given, `archive.zip!inner.har`, or `<stdin>`.
    pub name: String,
    /// Path relative to the input root (for baseline matching in CI).
    pub relative: String,
    kind: Kind,
    /// Keeps a spooled stdin's file alive while the capture is read.
    _spool: Option<Spool>,
}

#[derive(Clone, Debug)]
enum Kind {
    File(PathBuf),
    ZipMember(PathBuf, usize),
    Bytes(Arc<Vec<u8>>),
    BytesZipMember(Arc<Vec<u8>>, usize),
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

fn io_error(source: &str, e: &io::Error) -> InputError {
    let hint = match e.kind() {
        io::ErrorKind::NotFound => "check the path; directories are searched recursively",
        io::ErrorKind::PermissionDenied => "check the file's permissions",
        _ => "check that the file is readable",
    };
    InputError::new(
        InputErrorKind::Io,
        source,
        None,
        format!("cannot read: {}", e.kind()),
        hint,
    )
}

fn is_capture_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".har") || n.ends_with(".har.gz") || n.ends_with(".zip")
}

/// Expands inputs into captures, in the order given (directories sorted by path). Inputs
/// that cannot be read are returned as errors next to the captures that can.
pub fn discover(inputs: &[Input], limits: Limits) -> (Vec<CaptureSource>, Vec<InputError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        match input {
            Input::Stdin(bytes) => {
                if bytes.starts_with(ZIP_MAGIC) {
                    expand_zip_bytes(bytes.clone(), "<stdin>", limits, &mut out, &mut errors);
                } else {
                    out.push(CaptureSource {
                        name: "<stdin>".into(),
                        relative: "<stdin>".into(),
                        kind: Kind::Bytes(bytes.clone()),
                        _spool: None,
                    });
                }
            }
            Input::Spooled(spool) => {
                let before = out.len();
                add_file(
                    spool.0.path(),
                    "<stdin>",
                    "<stdin>",
                    limits,
                    &mut out,
                    &mut errors,
                );
                for s in &mut out[before..] {
                    s._spool = Some(spool.clone());
                }
            }
            Input::Path(p) => {
                let shown = p.display().to_string();
                match std::fs::metadata(p) {
                    Err(e) => errors.push(io_error(&shown, &e)),
                    Ok(m) if m.is_dir() => walk_dir(p, limits, &mut out, &mut errors),
                    Ok(_) => add_file(p, &shown, &file_name(p), limits, &mut out, &mut errors),
                }
            }
        }
    }
    (out, errors)
}

/// Expands server-log paths into files, in the order given: a file as it is (`.gz` is
/// recognised when read), a directory as every regular file inside it, recursively and sorted
/// by path (names starting with `.` are skipped: `.gitkeep`, editor files). Archives are not
/// opened here: the log reader refuses them with a hint to unpack.
pub fn discover_files(paths: &[PathBuf]) -> (Vec<CaptureSource>, Vec<InputError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let file = |p: &Path, shown: String, relative: String| CaptureSource {
        name: shown,
        relative,
        kind: Kind::File(p.to_path_buf()),
        _spool: None,
    };
    for p in paths {
        let shown = p.display().to_string();
        match std::fs::metadata(p) {
            Err(e) => errors.push(io_error(&shown, &e)),
            Ok(m) if m.is_dir() => {
                let before = out.len() + errors.len();
                let walker = walkdir::WalkDir::new(p)
                    .follow_links(true)
                    .sort_by_file_name()
                    .into_iter()
                    .filter_entry(|e| {
                        e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')
                    });
                for item in walker {
                    match item {
                        Err(e) => {
                            let at = e
                                .path()
                                .map(|x| x.display().to_string())
                                .unwrap_or_else(|| shown.clone());
                            let ioe = e
                                .into_io_error()
                                .unwrap_or_else(|| io::Error::other("directory loop"));
                            errors.push(io_error(&at, &ioe));
                        }
                        Ok(entry) if entry.file_type().is_file() => {
                            let q = entry.path();
                            let rel = q
                                .strip_prefix(p)
                                .map(|r| r.to_string_lossy().replace('\\', "/"))
                                .unwrap_or_else(|_| file_name(q));
                            out.push(file(q, q.display().to_string(), rel));
                        }
                        Ok(_) => {}
                    }
                }
                if out.len() + errors.len() == before {
                    errors.push(InputError::new(
                        InputErrorKind::Empty,
                        shown,
                        None,
                        "the directory holds no files",
                        "point --server-log at the folder that holds the logs, or name the files",
                    ));
                }
            }
            Ok(_) => out.push(file(p, shown, file_name(p))),
        }
    }
    (out, errors)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

fn walk_dir(
    root: &Path,
    limits: Limits,
    out: &mut Vec<CaptureSource>,
    errors: &mut Vec<InputError>,
) {
    let before = out.len() + errors.len();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name();
    for item in walker {
        match item {
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| root.display().to_string());
                let ioe = e
                    .into_io_error()
                    .unwrap_or_else(|| io::Error::other("directory loop"));
                errors.push(io_error(&path, &ioe));
            }
            Ok(entry) if entry.file_type().is_file() => {
                let name = entry.file_name().to_string_lossy();
                if is_capture_name(&name) {
                    let p = entry.path();
                    let rel = p
                        .strip_prefix(root)
                        .map(|r| r.to_string_lossy().replace('\\', "/"))
                        .unwrap_or_else(|_| name.to_string());
                    add_file(p, &p.display().to_string(), &rel, limits, out, errors);
                }
            }
            Ok(_) => {}
        }
    }
    if out.len() + errors.len() == before {
        errors.push(InputError::new(
            InputErrorKind::Empty,
            root.display().to_string(),
            None,
            "the directory holds no *.har, *.har.gz or *.zip files",
            "point at the folder that holds the captures, or name the files",
        ));
    }
}

fn add_file(
    p: &Path,
    shown: &str,
    relative: &str,
    limits: Limits,
    out: &mut Vec<CaptureSource>,
    errors: &mut Vec<InputError>,
) {
    let mut magic = [0u8; 4];
    let n = match File::open(p).and_then(|mut f| read_up_to(&mut f, &mut magic)) {
        Ok(n) => n,
        Err(e) => {
            errors.push(io_error(shown, &e));
            return;
        }
    };
    if magic[..n].starts_with(ZIP_MAGIC) {
        match File::open(p) {
            Ok(f) => expand_zip(f, p, shown, relative, limits, out, errors),
            Err(e) => errors.push(io_error(shown, &e)),
        }
    } else {
        out.push(CaptureSource {
            name: shown.to_string(),
            relative: relative.to_string(),
            kind: Kind::File(p.to_path_buf()),
            _spool: None,
        });
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn zip_error(shown: &str, problem: String) -> InputError {
    InputError::new(
        InputErrorKind::NotHar,
        shown,
        None,
        problem,
        "check the archive with `unzip -t`, or unpack it and pass the .har files",
    )
}

fn zip_members<R: Read + io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    shown: &str,
    limits: Limits,
) -> Result<Vec<(usize, String)>, InputError> {
    let mut members = Vec::new();
    for i in 0..archive.len() {
        let Ok(f) = archive.by_index_raw(i) else {
            return Err(zip_error(
                shown,
                format!("archive member {i} cannot be read"),
            ));
        };
        let Ok(name) = f.name().map(|n| n.to_string()) else {
            continue; // a member whose name cannot be decoded is not a capture we can name
        };
        if f.is_file() && is_capture_name(&name) && !name.to_ascii_lowercase().ends_with(".zip") {
            if members.len() >= limits.max_files {
                return Err(InputError::new(
                    InputErrorKind::TooLarge,
                    shown,
                    None,
                    format!(
                        "the archive holds more than {} HAR files (the --max-files cap)",
                        limits.max_files
                    ),
                    "raise the cap with --max-files if the archive is genuine",
                ));
            }
            members.push((i, name));
        }
    }
    members.sort_by(|a, b| a.1.cmp(&b.1));
    if members.is_empty() {
        return Err(InputError::new(
            InputErrorKind::Empty,
            shown,
            None,
            "the archive holds no .har or .har.gz files",
            "add the captures to the archive, or pass them directly",
        ));
    }
    Ok(members)
}

fn expand_zip(
    f: File,
    p: &Path,
    shown: &str,
    relative: &str,
    limits: Limits,
    out: &mut Vec<CaptureSource>,
    errors: &mut Vec<InputError>,
) {
    let mut archive = match zip::ZipArchive::new(BufReader::new(f)) {
        Ok(a) => a,
        Err(_) => {
            errors.push(zip_error(
                shown,
                "not a readable zip archive (it starts like one)".into(),
            ));
            return;
        }
    };
    match zip_members(&mut archive, shown, limits) {
        Ok(members) => {
            for (i, name) in members {
                out.push(CaptureSource {
                    name: format!("{shown}!{name}"),
                    relative: format!("{relative}!{name}"),
                    kind: Kind::ZipMember(p.to_path_buf(), i),
                    _spool: None,
                });
            }
        }
        Err(e) => errors.push(e),
    }
}

fn expand_zip_bytes(
    bytes: Arc<Vec<u8>>,
    shown: &str,
    limits: Limits,
    out: &mut Vec<CaptureSource>,
    errors: &mut Vec<InputError>,
) {
    let mut archive = match zip::ZipArchive::new(Cursor::new(bytes.as_slice())) {
        Ok(a) => a,
        Err(_) => {
            errors.push(zip_error(shown, "not a readable zip archive".into()));
            return;
        }
    };
    match zip_members(&mut archive, shown, limits) {
        Ok(members) => {
            for (i, name) in members {
                out.push(CaptureSource {
                    name: format!("{shown}!{name}"),
                    relative: format!("{shown}!{name}"),
                    kind: Kind::BytesZipMember(bytes.clone(), i),
                    _spool: None,
                });
            }
        }
        Err(e) => errors.push(e),
    }
}

/// A reader that fails with `FileTooLarge` once more than `cap` bytes were read.
struct Capped<R> {
    inner: R,
    left: u64,
    cap: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // allow a clean EOF exactly at the cap
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::new(
                    io::ErrorKind::FileTooLarge,
                    format!(
                        "the capture is larger than the {} cap after decompression (--max-bytes)",
                        human_bytes(self.cap)
                    ),
                )),
            };
        }
        let want = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// `4 GiB`, `512 MiB`, `100 KiB`, `12 bytes`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if n >= size && n.is_multiple_of(size) {
            return format!("{} {unit}", n / size);
        }
        if n >= size {
            return format!("{:.1} {unit}", n as f64 / size as f64);
        }
    }
    crate::model::plural(n, "byte")
}

/// Wraps a byte stream: gunzips it when it starts with the gzip magic, then applies the cap.
fn decoded<'a, R: Read + Send + 'a>(
    mut r: R,
    limits: Limits,
) -> io::Result<Box<dyn Read + Send + 'a>> {
    let mut head = [0u8; 2];
    let n = read_up_to(&mut r, &mut head)?;
    let chained = Cursor::new(head[..n].to_vec()).chain(r);
    let inner: Box<dyn Read + Send + 'a> = if head[..n] == *GZIP_MAGIC {
        Box::new(flate2::read::MultiGzDecoder::new(chained))
    } else {
        Box::new(chained)
    };
    Ok(Box::new(Capped {
        inner,
        left: limits.max_bytes,
        cap: limits.max_bytes,
    }))
}

impl CaptureSource {
    /// The file the capture is read from (the archive, for a member of one), or `None` for
    /// standard input.
    pub fn file(&self) -> Option<&Path> {
        match &self.kind {
            Kind::File(p) | Kind::ZipMember(p, _) => Some(p),
            Kind::Bytes(_) | Kind::BytesZipMember(..) => None,
        }
    }

    /// Opens the capture as a stream of HAR bytes (decompressed, capped) and hands it to `f`.
    pub fn with_reader<T>(
        &self,
        limits: Limits,
        f: impl FnOnce(&mut (dyn Read + Send)) -> Result<T, InputError>,
    ) -> Result<T, InputError> {
        let err = |e: io::Error| io_error(&self.name, &e);
        match &self.kind {
            Kind::File(p) => {
                let file = File::open(p).map_err(err)?;
                let mut r = decoded(file, limits).map_err(err)?;
                f(&mut r)
            }
            Kind::Bytes(b) => {
                let mut r = decoded(Cursor::new(b.as_slice()), limits).map_err(err)?;
                f(&mut r)
            }
            Kind::ZipMember(p, i) => {
                let file = File::open(p).map_err(err)?;
                let mut archive = zip::ZipArchive::new(BufReader::new(file))
                    .map_err(|_| zip_error(&self.name, "the archive cannot be read".into()))?;
                let member = archive.by_index(*i).map_err(|_| {
                    zip_error(&self.name, "the archive member cannot be read".into())
                })?;
                let mut r = decoded(member, limits).map_err(err)?;
                f(&mut r)
            }
            Kind::BytesZipMember(b, i) => {
                let mut archive = zip::ZipArchive::new(Cursor::new(b.as_slice()))
                    .map_err(|_| zip_error(&self.name, "the archive cannot be read".into()))?;
                let member = archive.by_index(*i).map_err(|_| {
                    zip_error(&self.name, "the archive member cannot be read".into())
                })?;
                let mut r = decoded(member, limits).map_err(err)?;
                f(&mut r)
            }
        }
    }

    /// Copies stdin for `-` (it can be read only once) to a temporary file, capped.
    pub fn read_stdin(limits: Limits) -> Result<Input, InputError> {
        let mut spool = tempfile::NamedTempFile::new().map_err(|e| {
            let mut ie = io_error("<stdin>", &e);
            ie.problem = format!(
                "cannot create a temporary file for standard input: {}",
                e.kind()
            );
            ie.hint = "set TMPDIR to a writable directory, or pass the file by path".into();
            ie
        })?;
        let mut capped = Capped {
            inner: io::stdin().lock(),
            left: limits.max_bytes,
            cap: limits.max_bytes,
        };
        io::copy(&mut capped, &mut spool).map_err(|e| {
            let mut ie = io_error("<stdin>", &e);
            if e.kind() == io::ErrorKind::FileTooLarge {
                ie.kind = InputErrorKind::TooLarge;
                ie.problem = e.to_string();
                ie.hint = "raise the cap with --max-bytes, or pass the file by path".into();
            }
            ie
        })?;
        Ok(Input::Spooled(Spool(Arc::new(spool))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_reads_well() {
        assert_eq!(human_bytes(4 << 30), "4 GiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(12), "12 bytes");
    }

    #[test]
    fn capped_reader_stops_at_the_cap() {
        let data = [b'x'; 100];
        let mut r = Capped {
            inner: &data[..],
            left: 10,
            cap: 10,
        };
        let mut out = Vec::new();
        let e = r.read_to_end(&mut out).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert!(e.to_string().contains("10 bytes cap"));
        let mut exact = Capped {
            inner: &data[..10],
            left: 10,
            cap: 10,
        };
        assert_eq!(exact.read_to_end(&mut Vec::new()).unwrap(), 10);
    }

    #[test]
    fn gzip_is_detected_by_content() {
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write;
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(b"{\"log\":{}}").unwrap();
        let gz = enc.finish().unwrap();
        let mut r = decoded(Cursor::new(gz), Limits::default()).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "{\"log\":{}}");
    }
}

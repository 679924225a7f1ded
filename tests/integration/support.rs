//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use why429::batch::{self, Analysis, Settings};
use why429::ingest::{self, Input};
use why429::normalize::FingerprintKey;
use why429::profiles::{self, Profile};

/// The repository's `fixtures/` folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every bundled capture: the forum thread, then `public/`, `lab/` and `dialects/` in name
/// order.
pub fn every_capture() -> Vec<PathBuf> {
    let mut out = vec![fixtures().join("forum-thread.har")];
    for dir in ["public", "lab", "dialects"] {
        let mut v: Vec<PathBuf> = std::fs::read_dir(fixtures().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "har"))
            .collect();
        v.sort();
        out.extend(v);
    }
    out
}

/// Settings with a fixed fingerprint key and the given profiles (empty: choose by host).
pub fn settings(chosen: Vec<Profile>) -> Settings {
    Settings::new(
        FingerprintKey::from_passphrase("why429 tests"),
        chosen,
        profiles::builtin(),
    )
    .unwrap()
}

/// The same settings reading with `--partial` (captures whose every entry is unusable are
/// analyzed instead of rejected).
pub fn partial(mut settings: Settings) -> Settings {
    settings.read.partial = true;
    settings
}

/// Loads a profile file.
pub fn profile(path: &Path) -> Profile {
    let text = std::fs::read_to_string(path).unwrap();
    profiles::parse::parse(&path.display().to_string(), &text).unwrap()
}

/// Analyzes one file (the first capture it holds).
pub fn analyze(path: &Path, settings: &Settings) -> Result<Analysis, why429::error::InputError> {
    let (sources, errors) =
        ingest::discover(&[Input::Path(path.to_path_buf())], settings.read.limits);
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    batch::analyze_one(&sources[0], settings)
}

/// Analyzes the HAR entries a test wrote, with one profile given as TOML (`name` names the
/// temporary files).
pub fn analyze_entries(name: &str, entries: Vec<serde_json::Value>, profile: &str) -> Analysis {
    let har = serde_json::json!({"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "entries": entries}});
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.har"));
    std::fs::write(&path, serde_json::to_vec(&har).unwrap()).unwrap();
    let profile = profiles::parse::parse(&format!("{name}.toml"), profile).unwrap();
    analyze(&path, &settings(vec![profile])).unwrap()
}

/// A throttle's evidence as the report prints it.
pub fn evidence(a: &Analysis, t: &why429::diagnose::Throttle) -> Vec<String> {
    use why429::diagnose::prose::{self, Names};
    let names = Names::new(&a.capture, &a.profiles, &a.evaluation);
    let r = &a.capture.requests[t.request as usize];
    t.evidence
        .iter()
        .map(|s| prose::signal(&names, s, r))
        .collect()
}

/// One HAR entry to `https://api.example.test` as the diagnosis tests write them: a GET with
/// a bearer token, started `ms` after 10:00:00 UTC, taking 20 ms, answered 200 with `{}` and no
/// headers; the builder's methods change what a test varies.
pub struct Entry {
    ms: u64,
    path: String,
    method: &'static str,
    token: String,
    took: u64,
    status: u16,
    headers: Vec<serde_json::Value>,
    text: String,
}

impl Entry {
    /// A GET of `path` at `ms`.
    pub fn new(ms: u64, path: impl Into<String>) -> Entry {
        Entry {
            ms,
            path: path.into(),
            method: "GET",
            token: "opaque-token-a".into(),
            took: 20,
            status: 200,
            headers: Vec::new(),
            text: "{}".into(),
        }
    }

    /// Another method.
    pub fn method(mut self, method: &'static str) -> Entry {
        self.method = method;
        self
    }

    /// Another bearer token.
    pub fn token(mut self, token: &str) -> Entry {
        self.token = token.into();
        self
    }

    /// Another duration, ms (all of it waiting for the response).
    pub fn took(mut self, ms: u64) -> Entry {
        self.took = ms;
        self
    }

    /// Another status.
    pub fn status(mut self, status: u16) -> Entry {
        self.status = status;
        self
    }

    /// One more response header.
    pub fn header(mut self, name: &str, value: impl ToString) -> Entry {
        self.headers
            .push(serde_json::json!({"name": name, "value": value.to_string()}));
        self
    }

    /// Another response body.
    pub fn text(mut self, text: &str) -> Entry {
        self.text = text.into();
        self
    }

    /// The entry as HAR JSON.
    pub fn json(self) -> serde_json::Value {
        let ms = self.ms;
        serde_json::json!({
            "startedDateTime": format!("2026-03-02T10:00:{:02}.{:03}Z", ms / 1000, ms % 1000),
            "time": self.took,
            "request": {
                "method": self.method,
                "url": format!("https://api.example.test{}", self.path),
                "httpVersion": "HTTP/2",
                "headers": [{"name": "authorization", "value": format!("Bearer {}", self.token)}],
                "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0
            },
            "response": {
                "status": self.status, "statusText": "", "httpVersion": "HTTP/2",
                "headers": self.headers, "cookies": [],
                "content": {"size": 0, "mimeType": "application/json", "text": self.text},
                "redirectURL": "", "headersSize": -1, "bodySize": 0
            },
            "cache": {},
            "timings": {"send": 0, "wait": self.took, "receive": 0}
        })
    }
}

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

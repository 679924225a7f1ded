//! The whole pipeline over arbitrary bytes: read, analyze, build the report and render every
//! format. Shared by the damaged-input property test and the fuzz targets (`fuzz/`), so both
//! exercise exactly the same path. A panic anywhere in here is a bug.

use std::sync::Arc;

use why429::batch::{self, Settings};
use why429::error::InputError;
use why429::ingest::{self, Input, Limits, ReadOptions};
use why429::normalize::FingerprintKey;
use why429::profiles;
use why429::render::{self, Format, Style};
use why429::report::{self, Disclosure, Report};

/// Every renderer of whole reports.
pub const FORMATS: [Format; 7] = [
    Format::Terminal,
    Format::Json,
    Format::Markdown,
    Format::Html,
    Format::Junit,
    Format::Github,
    Format::Gates,
];

/// Settings for hostile input: small caps so a bomb is cut short quickly.
pub fn hostile_settings(partial: bool) -> Settings {
    let mut settings = Settings::new(
        FingerprintKey::from_passphrase("why429 hostile input"),
        Vec::new(),
        profiles::builtin(),
    )
    .unwrap();
    settings.read = ReadOptions {
        partial,
        limits: Limits {
            max_bytes: 8 << 20,
            max_files: 16,
        },
    };
    settings
}

/// Entry accounting of one analyzed capture.
#[derive(Debug)]
pub struct Counts {
    /// Entries in `log.entries`.
    pub entries: u32,
    /// Usable requests.
    pub requests: usize,
    /// Skipped entries (each reported with its reason).
    pub skipped: usize,
}

/// What one run produced, for assertions.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Captures analyzed.
    pub analyzed: usize,
    /// Their entry accounting.
    pub captures: Vec<Counts>,
    /// Input errors (discovery and reading).
    pub errors: Vec<InputError>,
    /// Every rendered output (all formats, SVG and PNG charts).
    pub outputs: Vec<Vec<u8>>,
}

/// Sanitizes a capture that was analyzed, checks that the copy reads back to the same
/// analysis, and returns the copy.
fn sanitize_and_compare(
    source: &why429::ingest::CaptureSource,
    settings: &Settings,
    analysis: &why429::batch::Analysis,
) -> Vec<u8> {
    let options = why429::sanitize::Options {
        keep_ids: false,
        key: FingerprintKey::from_passphrase("why429 hostile stand-ins"),
    };
    let mut copy = Vec::new();
    batch::sanitize_one(source, settings, &options, &mut copy)
        .expect("a capture that was analyzed can be sanitized");
    let (sources, errors) = ingest::discover(
        &[Input::Stdin(Arc::new(copy.clone()))],
        settings.read.limits,
    );
    assert!(
        errors.is_empty(),
        "the sanitized copy is discovered: {errors:?}"
    );
    let again = batch::analyze_one(&sources[0], settings).expect("the sanitized copy reads back");
    let (a, b) = (&analysis.capture, &again.capture);
    assert_eq!(
        (a.entries, a.requests.len(), a.skipped.len()),
        (b.entries, b.requests.len(), b.skipped.len()),
        "entries, requests and skipped entries of the copy"
    );
    let differences = why429::sanitize::verify::differences(analysis, &again);
    assert!(
        differences.is_empty(),
        "the copy differs in {differences:?}"
    );
    copy
}

/// Runs `bytes` (as if piped on stdin) through the pipeline and every renderer; `png` also
/// rasterizes the timeline chart (slow, so callers sample it).
pub fn run(bytes: &[u8], settings: &Settings, png: bool) -> Outcome {
    let mut outcome = Outcome::default();
    let (sources, errors) = ingest::discover(
        &[Input::Stdin(Arc::new(bytes.to_vec()))],
        settings.read.limits,
    );
    outcome.errors.extend(errors);
    let mut captures = Vec::new();
    for source in &sources {
        match batch::analyze_one(source, settings) {
            Ok(analysis) => {
                outcome.analyzed += 1;
                let c = &analysis.capture;
                outcome.captures.push(Counts {
                    entries: c.entries,
                    requests: c.requests.len(),
                    skipped: c.skipped.len(),
                });
                let disclosure = Disclosure::default();
                let capture = report::build(&analysis, disclosure);
                let svg =
                    render::chart::svg(&capture.timeline).expect("an analyzed capture charts");
                outcome.outputs.push(svg.into_bytes());
                if png {
                    let png =
                        render::chart::png(&capture.timeline).expect("an analyzed capture charts");
                    outcome.outputs.push(png);
                }
                captures.push(capture);
                outcome
                    .outputs
                    .push(sanitize_and_compare(source, settings, &analysis));
            }
            Err(e) => outcome.errors.push(e),
        }
    }
    let report = Report::new(captures, &outcome.errors);
    for format in FORMATS {
        let mut out = Vec::new();
        render::renderer(format, Style::default())
            .render(&report, &mut out)
            .expect("rendering into memory cannot fail");
        outcome.outputs.push(out);
    }
    outcome
}

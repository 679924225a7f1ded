//! The analysis of one capture: what it depends on (`Settings`), what it holds (`Analysis`)
//! and the pure stages that produce it from a normalized capture (`analyze_built`: profile
//! choice → templates → evaluate → what-if → diagnose).
//!
//! Owns the data every later consumer (`report`, `sanitize`, `check`) reads. It must not read
//! files or start threads: `batch` does that and calls in here.

use crate::diagnose::{self, Diagnosis};
use crate::evaluate::{self, Evaluation, PreflightWhatIf};
use crate::ingest::{self, CaptureSource, ReadOptions};
use crate::model::Capture;
use crate::normalize::{Builder, CostSources, FingerprintKey, KnownTemplates};
use crate::profiles::{self, Profile};

/// What an analysis depends on.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Reading options (partial, caps).
    pub read: ReadOptions,
    /// Key for token fingerprints.
    pub key: FingerprintKey,
    /// Templates from `--openapi`.
    pub openapi: Option<KnownTemplates>,
    /// Profiles named with `--profile` (empty: choose by host).
    pub chosen: Vec<Profile>,
    /// Built-in profiles to choose from.
    pub builtins: Vec<Profile>,
    /// `--count-preflights`: every layer counts CORS preflights, as if the API did.
    pub count_preflights: bool,
    /// Where the profiles that may apply (`chosen`, else `builtins`) read request costs from
    /// (`cost_from`): known before reading, since profiles are parsed first.
    pub costs: CostSources,
}

/// Everything known about one capture after the pure stages.
#[derive(Debug)]
pub struct Analysis {
    /// The capture.
    pub capture: Capture,
    /// Active profiles (generic ones filled in from headers).
    pub profiles: Vec<Profile>,
    /// Window counts.
    pub evaluation: Evaluation,
    /// Peaks if preflights counted.
    pub what_if: Vec<PreflightWhatIf>,
    /// Throttles, findings, verdict.
    pub diagnosis: Diagnosis,
    /// Path relative to the input root (baseline matching).
    pub relative: String,
}

/// Templates the active profiles and the OpenAPI file declare.
fn known_templates(profiles: &[Profile], openapi: Option<&KnownTemplates>) -> KnownTemplates {
    let mut known = KnownTemplates::default();
    for p in profiles {
        for t in &p.templates {
            known.add(t);
        }
        for l in &p.layers {
            if let Some(t) = l.template.as_ref().filter(|t| t.is_template()) {
                known.add(t.as_str());
            }
        }
    }
    if let Some(o) = openapi {
        known.merge(o);
    }
    known
}

/// Runs the pure stages on a normalized capture.
pub fn analyze_built(
    builder: Builder,
    meta: &ingest::LogMeta,
    source: &CaptureSource,
    settings: &Settings,
) -> Analysis {
    let chosen = profiles::resolve(&settings.chosen, &settings.builtins, builder.hosts());
    let known = known_templates(&chosen, settings.openapi.as_ref());
    let capture = builder.finish(&source.name, meta, &known);
    let mut profiles = profiles::materialize(chosen, &capture);
    if settings.count_preflights {
        for l in profiles.iter_mut().flat_map(|p| p.layers.iter_mut()) {
            l.counts_preflight = true;
        }
    }
    let evaluation = evaluate::evaluate(&capture, &profiles, evaluate::Options::default());
    let what_if = evaluate::preflight_what_if(&capture, &profiles, &evaluation);
    let diagnosis = diagnose::diagnose(&capture, &profiles, &evaluation);
    Analysis {
        capture,
        profiles,
        evaluation,
        what_if,
        diagnosis,
        relative: source.relative.clone(),
    }
}

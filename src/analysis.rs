//! The analysis of one capture: what it depends on (`Settings`), what it holds (`Analysis`)
//! and the pure stages that produce it from a normalized capture (`analyze_built`: profile
//! choice → templates → evaluate → what-if → diagnose).
//!
//! Owns the data every later consumer (`report`, `sanitize`, `check`) reads. It must not read
//! files or start threads: `batch` does that and calls in here.

use std::sync::Arc;

use crate::diagnose::{self, Diagnosis};
use crate::evaluate::{self, Evaluation, PreflightWhatIf};
use crate::ingest::{self, CaptureSource, ReadOptions};
use crate::join;
use crate::model::{Capture, ServerLog};
use crate::normalize::{Builder, CostSources, FingerprintKey, KnownTemplates};
use crate::plan;
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
    /// Server logs read with `--server-log` (the same for every capture): joined to each
    /// capture to name the traffic it does not hold.
    pub server_logs: Vec<Arc<ServerLog>>,
    /// `--what-if`: a pacing policy to evaluate.
    pub what_if: Option<plan::ScopedPolicy>,
    /// The diagnosis rules in force (all of them, except in an ablation).
    pub rules: diagnose::Rules,
    /// Where the profiles that may apply (`chosen`, else `builtins`) read request costs from
    /// (`cost_from`): known before reading, since profiles are parsed first.
    pub costs: CostSources,
    /// Keep each response's correlation id: what a `--server-log` join matches and
    /// `--show-ids` shows. Without either, a day-long capture need not hold a million ids
    /// nothing reads.
    pub correlation_ids: bool,
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
    /// The pacing that would have avoided the throttles.
    pub plan: plan::Plan,
    /// Path relative to the input root (baseline matching).
    pub relative: String,
    /// The server logs given beside the capture.
    pub server_logs: Vec<Arc<ServerLog>>,
    /// The capture joined with them (absent without server logs).
    pub join: Option<join::Join>,
}

impl Settings {
    /// Settings with the given key and profiles and every other choice at its default (no
    /// `--openapi`, preflights not counted, no server logs, no what-if, every rule, correlation
    /// ids kept); the costs are read where the profiles that may apply ask (`cost_sources`).
    pub fn new(
        key: FingerprintKey,
        chosen: Vec<Profile>,
        builtins: Vec<Profile>,
    ) -> Result<Settings, String> {
        let costs = cost_sources(&chosen, &builtins)?;
        Ok(Settings {
            read: ReadOptions::default(),
            key,
            openapi: None,
            chosen,
            builtins,
            count_preflights: false,
            server_logs: Vec::new(),
            what_if: None,
            rules: Default::default(),
            costs,
            correlation_ids: true,
        })
    }
}

/// Where the profiles that may apply to a capture (`chosen`, else every built-in) read request
/// costs from: every layer's `cost_from`, each read once.
pub fn cost_sources(chosen: &[Profile], builtins: &[Profile]) -> Result<CostSources, String> {
    let profiles = if chosen.is_empty() { builtins } else { chosen };
    CostSources::new(
        profiles
            .iter()
            .flat_map(|p| &p.layers)
            .filter_map(|l| l.cost.from.as_ref().map(|f| f.spec())),
    )
}

/// Templates the active profiles and the OpenAPI file declare.
fn known_templates(profiles: &[Profile], openapi: Option<&KnownTemplates>) -> KnownTemplates {
    let mut known = KnownTemplates::default();
    for p in profiles {
        for t in &p.templates {
            known.add(t);
        }
        for l in &p.layers {
            for t in l.templates.iter().filter(|t| t.is_template()) {
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
    let mut capture = builder.finish(&source.name, meta, &known);
    let mut profiles = profiles::materialize(chosen, &capture);
    profiles::mark_throttles(&mut capture, &profiles);
    if settings.count_preflights {
        for l in profiles.iter_mut().flat_map(|p| p.layers.iter_mut()) {
            l.counts_preflight = true;
        }
    }
    if let Some(t) = evaluate::users::tell_apart(&capture, &profiles) {
        evaluate::users::apply(&mut capture, &t);
    }
    let restated = evaluate::restate::restate(&capture, &profiles);
    evaluate::restate::apply(&mut profiles, &restated);
    let uncounted = evaluate::refusals::infer(&capture, &profiles);
    evaluate::refusals::apply(&mut profiles, &uncounted);
    let evaluation = evaluate::evaluate(&capture, &profiles, evaluate::Options::default());
    let what_if = evaluate::preflight_what_if(&capture, &profiles, &evaluation);
    let join = (!settings.server_logs.is_empty())
        .then(|| join::join(&capture, &profiles, &evaluation, &settings.server_logs));
    let mut plan = plan::Plan::default();
    let diagnosis = diagnose::diagnose(
        &capture,
        &profiles,
        &evaluation,
        join.as_ref(),
        &settings.rules,
        |d| {
            plan = plan::plan(
                &capture,
                &profiles,
                &evaluation,
                join.as_ref(),
                d,
                settings.what_if,
            );
            diagnose::Pacing {
                advice: plan::advice(&plan, &capture, &profiles, &evaluation, d),
                found: plan.recommended.is_some(),
            }
        },
    );
    Analysis {
        capture,
        profiles,
        evaluation,
        what_if,
        diagnosis,
        plan,
        relative: source.relative.clone(),
        server_logs: settings.server_logs.clone(),
        join,
    }
}

//! The recommended plans of the bundled captures, replayed by an independent simulator: every
//! limit the plan respects, judged from scratch by the brute-force definitions of
//! `evaluate::meter::brute` (not the incremental meters the plan searched with), must admit
//! every request of the recommended schedule.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::batch::{self, Settings};
use crate::evaluate::meter::brute::{Brute, Event};
use crate::ingest::{self, Input};
use crate::normalize::FingerprintKey;
use crate::profiles;

use super::limits;

fn settings(profile: Option<&Path>) -> Settings {
    let chosen: Vec<_> = profile
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            vec![profiles::parse::parse(&p.display().to_string(), &text).unwrap()]
        })
        .unwrap_or_default();
    Settings::new(
        FingerprintKey::from_passphrase("plan"),
        chosen,
        profiles::builtin(),
    )
    .unwrap()
}

/// (capture, its profile) for the forum thread and every lab recording.
fn captures() -> Vec<(PathBuf, Option<PathBuf>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out = vec![(root.join("forum-thread.har"), None)];
    for lab in ["lab", "lab-gateway"] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(root.join(lab))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".profile.toml"))
            .collect();
        names.sort();
        for profile in names {
            let scenario = profile.to_string_lossy().replace(".profile.toml", "");
            for har in [format!("{scenario}.har"), format!("{scenario}.har.gz")] {
                if Path::new(&har).exists() {
                    out.push((PathBuf::from(har), Some(profile.clone())));
                }
            }
        }
    }
    out
}

#[test]
fn recommended_plans_pass_an_independent_replay_of_the_same_limits() {
    let mut checked = 0;
    for (har, profile) in captures() {
        let s = settings(profile.as_deref());
        let (sources, _) = ingest::discover(&[Input::Path(har.clone())], s.read.limits);
        let a = batch::analyze_one(&sources[0], &s).unwrap();
        if a.plan.recommended.is_none() {
            continue;
        }
        let sims = limits::collect(&a.profiles, &a.evaluation, a.join.as_ref(), &a.diagnosis);
        let requests: Vec<u32> = a.plan.schedule.iter().map(|x| x.0).collect();
        let parts = limits::partitions(&sims, &a.capture, &a.profiles, &a.evaluation, &requests);
        let mut judges: HashMap<(usize, u32), Brute> = HashMap::new();
        let mut refused = 0;
        for (k, &(request, at, end, admitted)) in a.plan.schedule.iter().enumerate() {
            assert!(
                admitted,
                "{}: the plan itself predicts a refusal",
                har.display()
            );
            let mut ok = true;
            let mut counted = Vec::new();
            for (l, sim) in sims.iter().enumerate() {
                let Some(p) = parts[l][k] else { continue };
                let cost = match sim.keying {
                    limits::Keying::Layer { eval } => {
                        let le = &a.evaluation.layers[eval];
                        let layer = &a.profiles[le.profile].layers[le.layer];
                        crate::evaluate::cost(layer, &a.capture, request as usize)
                    }
                    limits::Keying::Scope(_) => 1,
                };
                let judge = judges
                    .entry((l, p))
                    .or_insert_with(|| Brute::new(sim.layer.limiter.clone()));
                ok &= judge.admits(at, cost);
                counted.push(((l, p), cost));
            }
            refused += usize::from(!ok);
            for (key, cost) in counted {
                if let Some(j) = judges.get_mut(&key) {
                    j.events.push(Event {
                        t: at,
                        end,
                        cost,
                        charged: true,
                    });
                }
            }
        }
        assert_eq!(
            refused,
            0,
            "{}: the independent replay refuses",
            har.display()
        );
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} captures had a plan");
}

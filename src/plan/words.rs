//! The plan in words: the recommended policy as an instruction, what the replay predicts with
//! it, and whether the binding limit asks for spacing at all.
//!
//! Owns the sentences of the verdict's "What to do" that come from the plan. It formats values
//! the plan computed and recomputes none. Pure.

use crate::diagnose::Diagnosis;
use crate::evaluate::Evaluation;
use crate::model::{Capture, time};
use crate::profiles::{Anchor, Limiter, Profile};

use super::{Caveat, PLAN_MAX_REQUESTS, Plan, PlanScope};

/// Whose requests a scope means, for sentences.
fn whose(scope: PlanScope, endpoint: &str) -> String {
    match scope {
        PlanScope::Endpoint => endpoint.to_string(),
        PlanScope::Token => "each token's requests".into(),
        PlanScope::Client => "each client's requests".into(),
        PlanScope::User => "the user's requests (every client together)".into(),
        PlanScope::Capture => "all requests".into(),
    }
}

/// The plan in words, for the verdict's "What to do": the recommended policy, what the
/// replay predicts with it, and whether the binding limit asks for spacing at all.
pub fn advice(
    plan: &Plan,
    capture: &Capture,
    profiles: &[Profile],
    eval: &Evaluation,
    diagnosis: &Diagnosis,
) -> Vec<String> {
    let Some(t0) = diagnosis.throttles.first() else {
        return Vec::new();
    };
    let r = &capture.requests[t0.request as usize];
    let endpoint = format!("{} {}", r.method.as_str(), capture.template(r));
    let mut out = Vec::new();
    let Some(rec) = &plan.recommended else {
        if let Some(Caveat::TooLarge(n)) = plan
            .caveats
            .iter()
            .find(|c| matches!(c, Caveat::TooLarge(_)))
        {
            out.push(format!(
                "no pacing plan for {n} requests (more than {PLAN_MAX_REQUESTS} to replay)"
            ));
        } else if !plan.limits.is_empty() {
            out.push(
                "no pacing of the capture's own requests avoids every throttle in the replay: the budget is used by traffic outside the capture, which must slow down too"
                    .into(),
            );
        }
        return out;
    };
    let Some(p) = rec.policy else {
        return out;
    };
    let what = whose(p.scope, &endpoint);
    let rule = match (p.policy.max_in_flight, p.policy.min_spacing) {
        (Some(1), None) => format!("send {what} one at a time, waiting for each response"),
        (Some(k), None) => format!("keep at most {k} of {what} in flight"),
        (None, Some(s)) => format!("start {what} at least {} apart", time::human_duration(s)),
        (Some(1), Some(s)) => format!(
            "send {what} one at a time and start them at least {} apart",
            time::human_duration(s)
        ),
        (Some(k), Some(s)) => format!(
            "keep at most {k} of {what} in flight and start them at least {} apart",
            time::human_duration(s)
        ),
        (None, None) => format!("send {what} as before and honour Retry-After"),
    };
    let captured = plan
        .as_captured
        .as_ref()
        .map(|c| {
            format!(
                " (as sent, the same replay predicts {} of the capture's {})",
                c.throttles,
                diagnosis.throttles.len()
            )
        })
        .unwrap_or_default();
    let took = if rec.duration == plan.captured_duration {
        format!("takes the same {}", time::human_duration(rec.duration))
    } else {
        format!(
            "takes {} instead of {}",
            time::human_duration(rec.duration),
            time::human_duration(plan.captured_duration)
        )
    };
    out.push(format!(
        "{rule}: replaying the capture's requests that way predicts no throttle and {took}{captured}"
    ));
    // is the documented number a spacing or a window count?
    if let Some(layer) = t0.layer() {
        let le = &eval.layers[layer];
        let l = &profiles[le.profile].layers[le.layer];
        match &l.limiter {
            Limiter::Window {
                limit,
                anchor: Some(Anchor::Announced),
                ..
            } if p.policy.min_spacing.is_none() => out.push(format!(
                "{} counts requests until the reset the server announces: bursts of up to {limit} are allowed, spacing is not required",
                l.budget_label(),
            )),
            Limiter::Window { limit, window, .. } if p.policy.min_spacing.is_none() => {
                out.push(format!(
                    "{} counts requests in a window of {}: bursts of up to {limit} are allowed, spacing is not required",
                    l.budget_label(),
                    time::window_label(*window)
                ));
            }
            Limiter::Bucket { capacity, rate, .. } => out.push(format!(
                "{} admits up to {capacity} at once, then one every {}",
                l.budget_label(),
                time::human_duration(time::secs(1.0 / rate.per_second().max(1e-9)))
            )),
            _ => {}
        }
    }
    for c in &plan.caveats {
        if let Caveat::BudgetLeftToOthers(k, n) = c {
            let le = &eval.layers[*k];
            let l = &profiles[le.profile].layers[le.layer];
            out.push(format!(
                "the plan leaves at least {n} of {} to the traffic outside the capture that used it",
                l.name
            ));
        }
    }
    out
}

//! Stage 4 — diagnose: one explanation per throttle, findings about client behaviour and the
//! capture, inferred budgets, and a verdict a support engineer can paste.
//!
//! Owns the diagnosis types and their assembly: replay first (`evaluate` did it), then the
//! candidate explanations of each throttle (`candidates`), the rules that refute them
//! (`refute`), the rules that order the rest and say how sure the first is (`rank`), then
//! `findings`, `budget` and the `verdict`. Explanations, signals and reasons are types; prose is
//! rendered from them in one place (`prose`), never from the capture's text. Every threshold is
//! named once in `thresholds`. Pure: no I/O, no clock.

pub mod budget;
pub mod candidates;
pub mod context;
pub mod findings;
pub mod fit;
pub mod prose;
pub mod rank;
pub mod refute;
pub mod separation;
pub mod signal;
pub mod thresholds;
pub mod verdict;

use crate::evaluate::Evaluation;
use crate::model::{Capture, Micros};
use crate::profiles::Profile;

pub use budget::Budget;
pub use context::Scope;
pub use findings::{Finding, FindingKind, Severity};
pub use rank::{Confidence, Preference};
pub use refute::Refutation;
pub use signal::{Basis, Signal, StatedBy};
pub use verdict::Verdict;

/// Why a throttle happened, as reports name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cause {
    /// A documented layer's budget was used up by requests in the capture.
    VisibleTraffic,
    /// A documented layer fired, but the capture holds too few requests to use its budget.
    HiddenTraffic,
    /// No documented layer explains it; the evidence points to a limit the docs do not state.
    UndocumentedLimit,
    /// The capture cannot tell.
    Unknown,
}

impl Cause {
    /// The name used in reports (`visible-traffic`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::VisibleTraffic => "visible-traffic",
            Cause::HiddenTraffic => "hidden-traffic",
            Cause::UndocumentedLimit => "undocumented-limit",
            Cause::Unknown => "unknown",
        }
    }

    /// Every cause, in report order.
    pub fn all() -> [Cause; 4] {
        [
            Cause::VisibleTraffic,
            Cause::HiddenTraffic,
            Cause::UndocumentedLimit,
            Cause::Unknown,
        ]
    }
}

/// The kind of an undocumented limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LimitKind {
    /// Too many requests in flight at once.
    Concurrency,
    /// A short window (at most `thresholds::BURST_HORIZON`).
    Burst,
    /// A longer window.
    Rate,
}

impl LimitKind {
    /// `concurrency`, `burst` or `rate`.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Concurrency => "concurrency",
            LimitKind::Burst => "burst",
            LimitKind::Rate => "rate",
        }
    }

    /// The kind of a rate limit with this window (or a bucket's horizon).
    pub fn of_window(window: Micros) -> LimitKind {
        if window <= thresholds::BURST_HORIZON {
            LimitKind::Burst
        } else {
            LimitKind::Rate
        }
    }

    /// The kind of a rate limit whose window is unknown, by the longest wait its server gave
    /// (Retry-After, or a spent counter's reset): a window frees room within its length, so a
    /// wait bounds the window from below, and a short one is read as a short window's. `None`
    /// for no usable wait.
    pub fn of_wait(wait: Option<Micros>) -> Option<LimitKind> {
        wait.filter(|w| *w >= 0).map(LimitKind::of_window)
    }
}

/// One explanation of a throttle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Explanation {
    /// The capture's own requests used up a documented layer.
    Visible {
        /// Evaluation index of the layer.
        layer: usize,
        /// How the replay refuses the throttle.
        basis: Basis,
    },
    /// Traffic the capture cannot see used up a documented layer.
    Hidden {
        /// Evaluation index of the layer.
        layer: usize,
        /// The least hidden cost that would have refused the throttle.
        at_least: u64,
    },
    /// A limit the documentation does not state.
    Undocumented {
        /// Its kind.
        kind: LimitKind,
        /// Whose requests it counts (`None`: what the body states, scope unknown).
        scope: Option<Scope>,
        /// Its limit, as far as the capture bounds it.
        limit: Option<u64>,
        /// Its window (rate and burst kinds).
        window: Option<Micros>,
        /// Whether the throttle's response states it, and where.
        stated: Option<StatedBy>,
    },
    /// Nothing explains it.
    Unknown,
}

impl Explanation {
    /// The cause reports name.
    pub fn cause(&self) -> Cause {
        match self {
            Explanation::Visible { .. } => Cause::VisibleTraffic,
            Explanation::Hidden { .. } => Cause::HiddenTraffic,
            Explanation::Undocumented { .. } => Cause::UndocumentedLimit,
            Explanation::Unknown => Cause::Unknown,
        }
    }

    /// The documented layer it blames.
    pub fn layer(&self) -> Option<usize> {
        match *self {
            Explanation::Visible { layer, .. } | Explanation::Hidden { layer, .. } => Some(layer),
            _ => None,
        }
    }

    /// The kind of undocumented limit.
    pub fn kind(&self) -> Option<LimitKind> {
        match *self {
            Explanation::Undocumented { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// Whether two explanations name the same thing (cause, layer, kind).
    pub fn same(&self, other: &Explanation) -> bool {
        self.cause() == other.cause()
            && self.layer() == other.layer()
            && self.kind() == other.kind()
    }
}

/// An explanation with what speaks for and against it.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The explanation.
    pub explanation: Explanation,
    /// Facts for it.
    pub support: Vec<Signal>,
    /// Facts against it that do not refute it.
    pub against: Vec<Signal>,
    /// The rule that refuted it, when one did.
    pub refuted: Option<Refutation>,
}

impl Candidate {
    /// A candidate without evidence yet.
    pub fn new(explanation: Explanation) -> Self {
        Candidate {
            explanation,
            support: Vec::new(),
            against: Vec::new(),
            refuted: None,
        }
    }
}

/// An unrefuted explanation in the ranking, and why it is below the one above it.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    /// The candidate.
    pub candidate: Candidate,
    /// The preference rule that put the one above it first (`None` for the first).
    pub below_because: Option<Preference>,
}

/// The explanation of one throttle.
#[derive(Clone, Debug, PartialEq)]
pub struct Throttle {
    /// Index into `Capture::requests`.
    pub request: u32,
    /// The explanation.
    pub explanation: Explanation,
    /// How sure it is, and why.
    pub confidence: Confidence,
    /// The rule that made it first (`None` when it was the only one left).
    pub decided_by: Option<Preference>,
    /// The facts it rests on.
    pub evidence: Vec<Signal>,
    /// Facts against it that did not refute it.
    pub against: Vec<Signal>,
    /// Requests the capture shows in the blamed budget (window, flight or stated window).
    pub visible: Option<u64>,
    /// The blamed budget's limit.
    pub limit: Option<u64>,
    /// The blamed budget's window.
    pub window: Option<Micros>,
    /// Retry-After of the throttle, seconds.
    pub retry_after_s: Option<f64>,
    /// Every unrefuted explanation, first to last (the first is `explanation`).
    pub ranked: Vec<Ranked>,
    /// Explanations refuted, and by which rule.
    pub refuted: Vec<Candidate>,
    /// Who sent the requests from outside the capture that the blamed layer counted in its
    /// refusing window, most first (only with server logs).
    pub hidden_by: Vec<crate::join::HiddenBy>,
    /// What the server's log shows of the blamed layer's window (for an undocumented limit: of
    /// the documented layer whose room contradicts the refusal). Only with server logs.
    pub server: Option<crate::join::WindowEvidence>,
}

impl Throttle {
    /// The cause reports name.
    pub fn cause(&self) -> Cause {
        self.explanation.cause()
    }

    /// The blamed layer.
    pub fn layer(&self) -> Option<usize> {
        self.explanation.layer()
    }

    /// The kind of undocumented limit.
    pub fn kind(&self) -> Option<LimitKind> {
        self.explanation.kind()
    }

    /// Gives back the spare room of its lists: a day-long capture holds tens of thousands of
    /// explained throttles until the report is written, and lists built by pushing keep up to
    /// twice their length.
    fn shrink_to_fit(&mut self) {
        fn candidate(c: &mut Candidate) {
            c.support.shrink_to_fit();
            c.against.shrink_to_fit();
        }
        self.evidence.shrink_to_fit();
        self.against.shrink_to_fit();
        self.ranked.shrink_to_fit();
        self.refuted.shrink_to_fit();
        self.ranked
            .iter_mut()
            .for_each(|r| candidate(&mut r.candidate));
        self.refuted.iter_mut().for_each(candidate);
    }

    /// The least hidden cost (hidden traffic only).
    pub fn hidden_at_least(&self) -> Option<u64> {
        match self.explanation {
            Explanation::Hidden { at_least, .. } => Some(at_least),
            _ => None,
        }
    }
}

/// Everything diagnosed about one capture.
#[derive(Clone, Debug, Default)]
pub struct Diagnosis {
    /// One per throttle, in time order.
    pub throttles: Vec<Throttle>,
    /// Observations about the client and the capture.
    pub findings: Vec<Finding>,
    /// What the capture implies about each layer's budget (one per layer with traffic).
    pub budgets: Vec<Budget>,
    /// The verdict, structured.
    pub verdict: Verdict,
}

/// Which rules the diagnosis applies: all of them, except for an ablation (measuring what one
/// rule adds by switching it off).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rules {
    /// Refutation rules switched off, by name (`Refutation::RULES`).
    pub off_refutations: Vec<&'static str>,
    /// Preference rules switched off.
    pub off_preferences: Vec<Preference>,
}

/// Diagnoses a capture. `pacing` is asked, once the throttles are explained, for the pacing
/// the verdict should recommend (computed by a later stage; empty when there is none).
pub fn diagnose(
    capture: &Capture,
    profiles: &[Profile],
    eval: &Evaluation,
    join: Option<&crate::join::Join>,
    rules: &Rules,
    pacing: impl FnOnce(&Diagnosis) -> Pacing,
) -> Diagnosis {
    let mut cx = context::Ctx::new(capture, profiles, eval);
    cx.rules = rules.clone();
    cx.join = join;
    // each throttle is explained on its own (the shared measures are computed once, first
    // asked): in parallel, in capture order
    let at: Vec<usize> = (0..capture.requests.len())
        .filter(|&i| capture.requests[i].is_throttle())
        .collect();
    let throttles: Vec<Throttle> = {
        use rayon::prelude::*;
        at.into_par_iter().map(|i| explain(&cx, i)).collect()
    };
    let findings = findings::find(&cx, &throttles);
    let budgets = budget::infer(&cx);
    let mut d = Diagnosis {
        throttles,
        findings,
        budgets,
        verdict: Verdict::default(),
    };
    let pacing = pacing(&d);
    d.verdict = verdict::build(&cx, &d.throttles, &d.findings, &d.budgets, &pacing);
    d
}

/// The pacing a verdict recommends, in sentences, from the plan.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pacing {
    /// What to do, first.
    pub advice: Vec<String>,
    /// Whether a policy without predicted throttles was found (its advice then replaces the
    /// rules of thumb about spacing and bursts).
    pub found: bool,
}

/// Explains the throttle at `i`: candidates, refutations, ranking.
pub fn explain(cx: &context::Ctx<'_>, i: usize) -> Throttle {
    let mut all = candidates::generate(cx, i);
    for c in &mut all {
        c.refuted = refute::first(cx, i, c);
    }
    let (mut alive, refuted): (Vec<Candidate>, Vec<Candidate>) =
        all.into_iter().partition(|c| c.refuted.is_none());
    // facts that take a split's evidence away, asked of what no rule refuted
    candidates::documented_splits(cx, i, &mut alive);
    candidates::time_order_splits(&mut alive, |k| cx.layer(k));
    // the server's log left room in every documented layer that could have refused it: the
    // contradiction points to a limit the documentation does not state
    let room = refuted.iter().find_map(|c| match &c.refuted {
        Some(Refutation::ServerLogShowsRoom(s)) => Some(s.clone()),
        _ => None,
    });
    let documented_alive = alive.iter().any(|c| c.explanation.layer().is_some());
    if let Some(s) = room.filter(|_| !documented_alive) {
        let mut any = false;
        for c in alive
            .iter_mut()
            .filter(|c| matches!(c.explanation, Explanation::Undocumented { .. }))
        {
            c.support.push(s.clone());
            any = true;
        }
        if !any {
            let mut c = Candidate::new(Explanation::Undocumented {
                kind: LimitKind::Rate,
                scope: None,
                limit: None,
                window: None,
                stated: None,
            });
            c.support.push(s);
            alive.push(c);
        }
    }
    let mut t = rank::decide(cx, i, alive, refuted);
    t.shrink_to_fit();
    if let Some(j) = cx.join {
        match t.layer() {
            Some(k) => {
                if let Some(e) = j.at(i, k) {
                    t.hidden_by = e.by.clone();
                    t.server = Some(e.clone());
                }
            }
            None => {
                t.server = t.evidence.iter().find_map(|s| match s {
                    Signal::ServerLog {
                        layer,
                        proof: crate::join::WindowProof::Room,
                        ..
                    } => j.at(i, *layer).cloned(),
                    _ => None,
                });
            }
        }
    }
    t
}

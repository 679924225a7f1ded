//! Stage 4 — diagnose: one throttle explanation per 429, findings about client behaviour and
//! the capture, inferred budgets, and a verdict a support engineer can paste.
//!
//! Owns the diagnosis types and their assembly. `throttle` explains each 429, `findings`
//! reports what the client did (retries, bursts, preflights, ...), `budget` infers what the
//! capture implies about each layer's real budget and window, and `verdict` writes the
//! paragraph. Every sentence is built from numbers, templates, layer names and client labels:
//! nothing from the capture is quoted. Pure: no I/O, no clock.

pub mod budget;
pub mod context;
pub mod findings;
pub mod stated;
pub mod throttle;
pub mod verdict;

use crate::evaluate::Evaluation;
use crate::model::{Capture, Micros};
use crate::profiles::Profile;

pub use budget::Budget;
pub use findings::{Finding, FindingKind, Severity};

/// Why a 429 happened.
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
    /// Too many requests of one endpoint/partition in flight at once.
    Concurrency,
    /// A short-window rate (per second) while every documented layer had room.
    Burst,
    /// A rate limit the 429 body states ("maximum [N] requests within [W] seconds", or a
    /// `limit.key`) that no documented layer counting the request has.
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
}

/// One weighed piece of evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    /// How much it moved the score (negative: against).
    pub weight: i32,
    /// A sentence a person can check.
    pub text: String,
}

/// One candidate explanation of a 429, scored.
#[derive(Clone, Debug, PartialEq)]
pub struct Hypothesis {
    /// The cause it proposes.
    pub cause: Cause,
    /// Index into `Evaluation::layers` of the layer it blames.
    pub layer: Option<usize>,
    /// Kind of undocumented limit.
    pub kind: Option<LimitKind>,
    /// Sum of the evidence weights.
    pub score: i32,
    /// For and against.
    pub evidence: Vec<Evidence>,
    /// Visible count in the blamed window.
    pub visible: Option<u64>,
    /// Limit of the blamed layer (or the estimated undocumented limit).
    pub limit: Option<u64>,
    /// Window of the blamed layer.
    pub window: Option<Micros>,
    /// Lower bound on hidden requests.
    pub hidden_at_least: Option<u64>,
    /// Orders equal scores: more specific layers first.
    pub tiebreak: (u8, usize, u64),
}

impl Hypothesis {
    fn new(cause: Cause, layer: Option<usize>, kind: Option<LimitKind>) -> Self {
        Hypothesis {
            cause,
            layer,
            kind,
            score: 0,
            evidence: Vec::new(),
            visible: None,
            limit: None,
            window: None,
            hidden_at_least: None,
            tiebreak: (0, 0, 0),
        }
    }

    fn add(&mut self, weight: i32, text: String) {
        self.score += weight;
        self.evidence.push(Evidence { weight, text });
    }

    /// `hidden traffic on org.user.rate.per.minute`, `an undocumented concurrency limit`.
    pub fn summary(&self, cx: &context::Ctx<'_>) -> String {
        let layer = self.layer.map(|l| cx.layer(l).name.clone());
        match (self.cause, layer, self.kind) {
            (Cause::VisibleTraffic, Some(l), _) => format!("traffic in the capture used up {l}"),
            (Cause::HiddenTraffic, Some(l), _) => {
                format!("traffic outside the capture used up {l}")
            }
            (Cause::HiddenTraffic, None, _) => "traffic outside the capture".into(),
            (Cause::UndocumentedLimit, _, Some(k)) => {
                format!("an undocumented {} limit", k.as_str())
            }
            _ => "unknown".into(),
        }
    }
}

/// The explanation of one 429.
#[derive(Clone, Debug, PartialEq)]
pub struct Throttle {
    /// Index into `Capture::requests`.
    pub request: u32,
    /// The cause.
    pub cause: Cause,
    /// Index into `Evaluation::layers` of the layer that fired, when known.
    pub layer: Option<usize>,
    /// Kind of undocumented limit.
    pub kind: Option<LimitKind>,
    /// Requests visible in the layer's window (or in flight, or in the last second).
    pub visible: Option<u64>,
    /// The layer's limit (or the estimated undocumented limit).
    pub limit: Option<u64>,
    /// The layer's window.
    pub window: Option<Micros>,
    /// Lower bound on requests from outside the capture.
    pub hidden_at_least: Option<u64>,
    /// Retry-After of the 429, seconds.
    pub retry_after_s: Option<f64>,
    /// Sentences supporting the cause.
    pub evidence: Vec<String>,
    /// The three best hypotheses, best first.
    pub ranked: Vec<Hypothesis>,
}

/// Everything diagnosed about one capture.
#[derive(Clone, Debug, Default)]
pub struct Diagnosis {
    /// One per 429, in time order.
    pub throttles: Vec<Throttle>,
    /// Observations about the client and the capture.
    pub findings: Vec<Finding>,
    /// What the capture implies about each layer's budget (one per layer with traffic).
    pub budgets: Vec<Budget>,
    /// The paragraph to paste.
    pub verdict: String,
    /// The verdict in brief: what happened, the main cause, what to do.
    pub summary: String,
}

/// Diagnoses a capture.
pub fn diagnose(capture: &Capture, profiles: &[Profile], eval: &Evaluation) -> Diagnosis {
    let cx = context::Ctx::new(capture, profiles, eval);
    let throttles: Vec<Throttle> = capture
        .requests
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_throttle())
        .map(|(i, _)| throttle::explain(&cx, i))
        .collect();
    let findings = findings::find(&cx, &throttles);
    let budgets = budget::infer(&cx);
    let (verdict, summary) = verdict::write(&cx, &throttles, &findings, &budgets);
    Diagnosis {
        throttles,
        findings,
        budgets,
        verdict,
        summary,
    }
}

//! Signals: the typed facts an explanation rests on, each carrying every number its sentence
//! shows.
//!
//! Owns the vocabulary of evidence. A signal is computed once (by the candidates, the
//! refutation and the preference rules) and rendered to prose by `prose`, so a number in a
//! verdict, in evidence and in the JSON report is always the same value. Pure.

use crate::join::WindowProof;
use crate::model::Micros;

use super::context::Scope;

/// How the replay of the capture's own traffic treats a throttle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Basis {
    /// Refused at its recorded time.
    Exact,
    /// Refused once requests within the timing uncertainty are taken to come first.
    Edge,
    /// Refused when the layer's limiter decides every attempt of the capture itself, as if no
    /// traffic came from elsewhere: the capture's own demand would have been refused all the
    /// same, though the capture's admitted requests alone left room.
    Alone,
    /// Refused only if refused attempts use budget (the documentation does not say).
    IfRefusalsCount,
    /// Refused when the capture's requests are replayed at their arrival times in the
    /// server's log (which can differ from the HAR's starts by a queue or a preflight).
    ServerArrival,
}

/// Where a throttle's response states the limit that refused it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatedBy {
    /// The body ("[N] requests within [W] seconds", `limit.key`).
    Body,
    /// A counter on the throttle that is spent (nothing remains) and describes no layer
    /// counting the request: the server's own account of which budget refused it.
    Counter,
    /// A spent counter on the throttle whose budget a documented layer counting the request
    /// has only by elimination (`Restated::settled`): the server states the budget, but does
    /// not say whether it is that layer's or a limit the documentation does not state.
    SharedCounter,
}

/// A server's own counter, as the response reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct Counter {
    /// `inin-ratelimit-count: 26`, when the value was written verbatim (quotable); boxed, as
    /// it would otherwise set the size of every signal.
    pub quote: Option<Box<(&'static str, String)>>,
    /// Used, this request included.
    pub used: u64,
    /// The budget.
    pub limit: u64,
}

/// One fact about a throttle.
#[derive(Clone, Debug, PartialEq)]
pub enum Signal {
    /// Layer `layer`'s replay of the capture's own requests.
    Replay {
        /// Evaluation index of the layer.
        layer: usize,
        /// Admitted requests before it in the layer's window (or horizon, or in flight).
        admitted: u64,
        /// All attempts likewise.
        attempts: u64,
        /// The use of the budget just before it (requests, points, the bucket's level).
        level: f64,
        /// The budget.
        capacity: f64,
        /// What the throttle itself costs in the layer.
        cost: u64,
        /// A penalty opened by an earlier refusal in that replay still refused the partition.
        penalized: bool,
        /// Whether and how the replay refuses it (`None`: admits it).
        refused: Option<Basis>,
        /// The least hidden cost that would have refused it.
        hidden_needed: u64,
    },
    /// The server's counter for the layer on this response or an earlier one.
    ServerCount {
        /// Evaluation index of the layer the counter describes.
        layer: usize,
        /// The counter.
        counter: Counter,
        /// Requests the capture shows in the layer's window at that response.
        visible: u64,
        /// When the response carrying it started (the throttle itself, or an earlier success).
        at: Micros,
        /// Whether it is on the throttle itself.
        on_throttle: bool,
    },
    /// The server's counter on a success of the partition, within the timing uncertainty
    /// before the throttle, left room beyond the capture's requests in between: to refuse the
    /// throttle, traffic from elsewhere would have had to fill that room in the gap.
    RoomAtTheMoment {
        /// Evaluation index of the layer.
        layer: usize,
        /// The counter on that success.
        counter: Counter,
        /// When that success started.
        at: Micros,
        /// From that success to the throttle.
        gap: Micros,
        /// The capture's admitted requests of the partition in between.
        between: u64,
        /// Room left after them: the least traffic from elsewhere the gap must have held.
        room: u64,
    },
    /// Retry-After equals when the replay of the capture's traffic frees room in the layer.
    RetryAfterFits {
        /// Evaluation index of the layer.
        layer: usize,
        /// Retry-After, seconds.
        retry_after_s: f64,
        /// When room frees, counted from the response.
        frees_in: Micros,
    },
    /// Retry-After is longer than the layer could ever ask to wait.
    RetryAfterTooLong {
        /// Evaluation index of the layer.
        layer: usize,
        /// Retry-After, seconds.
        retry_after_s: f64,
        /// The longest wait the layer can ask for.
        longest: Micros,
        /// Whether the waits the throttles of its endpoint group state count down (across the
        /// group, where standing still is asked per partition): a limiter's clock, not a
        /// constant the server sends.
        counts_down: bool,
    },
    /// The body names the layer (`limit.key`).
    BodyNamesLayer {
        /// Evaluation index of the layer.
        layer: usize,
    },
    /// The body names a limit that is not this layer.
    BodyNamesOther,
    /// The body states the layer's numbers ("maximum [N] requests within [W] seconds").
    BodyStatesLayer {
        /// Evaluation index of the layer.
        layer: usize,
    },
    /// The server states the layer's budget in other numbers than the documentation (throttle
    /// bodies or counters with the layer's window): the layer is replayed with the server's.
    Restated {
        /// Evaluation index of the layer.
        layer: usize,
        /// The documented limit or capacity.
        documented: u64,
        /// Throttle bodies and counters that stated the server's budget.
        statements: u32,
    },
    /// The throttle's response states a limit no layer counting the request has: in its body,
    /// or in a spent counter on it that describes no such layer.
    StatesLimit {
        /// Where the response states it.
        by: StatedBy,
        /// The stated limit.
        limit: Option<u64>,
        /// The stated window.
        window: Option<Micros>,
        /// The broadest scope it can count (no success there had its number of others within
        /// the window); without a window, the scope whose count in flight splits the
        /// throttles at the stated number, if one does; `None` when none is left.
        scope: Option<Scope>,
        /// Admitted requests of that scope possibly within the window before the throttle.
        visible: Option<u64>,
    },
    /// A count around the throttles of a scope splits them from its successes.
    Separation {
        /// In flight (`None`) or started within this window.
        window: Option<Micros>,
        /// Whose requests.
        scope: Scope,
        /// The limit it implies (others around at which a request is refused).
        limit: u32,
        /// Throttles it explains, of all in the scope.
        explained: usize,
        /// Runs of the scope's throttles (between two successes, or before the first or after
        /// the last) that hold a throttle it explains (`separation::Separation::runs`).
        runs: usize,
        /// Whether its count is the scope's running total at every throttle it explains
        /// (`separation::Separation::cumulative`).
        cumulative: bool,
        /// Throttles in the scope.
        throttled: usize,
        /// Successes in the scope, all under the limit.
        successes: usize,
        /// The chance of so clean a split at random, times the options tried.
        chance: f64,
        /// Options (scopes and windows) the split was the best of: `chance` is the chance of
        /// the split itself times this many.
        tried: usize,
    },
    /// A bucket replaying the scope's own requests admits every success and refuses this
    /// throttle (`fit`).
    BucketFit {
        /// Whose requests.
        scope: Scope,
        /// The capacity whose least admitting rate refuses the most throttles.
        capacity: u32,
        /// That least refill rate, per second.
        rate_per_s: f64,
        /// Whether the successes set the rate (else the slowest rate fitted admits them all).
        pinned: bool,
        /// Whether refused attempts take a token too.
        charged: bool,
        /// Throttles of the scope it refuses.
        explained: usize,
        /// Throttles in the scope.
        throttled: usize,
        /// Successes in the scope, all admitted.
        successes: usize,
        /// The chance that the scope's outcomes, rotated onto other requests, fit a bucket as
        /// well (times the scopes tried).
        chance: f64,
        /// Whether every rotation was tried (else `chance` is a lower bound).
        settled: bool,
        /// Scopes the fit was the best of: `chance` is the fit's own chance times this many.
        tried: usize,
    },
    /// A documented layer that traffic from outside the capture could fill counts the
    /// throttles of an undocumented limit's scope and few of its successes: the layer's own
    /// requests split them as cleanly as the undocumented limit's count.
    LayerSplitsAsWell {
        /// Evaluation index of the layer.
        layer: usize,
        /// The scope of the undocumented limit's split.
        scope: Scope,
        /// Throttles of the scope's group the layer counts.
        explained: usize,
        /// Throttles in the group.
        throttled: usize,
        /// Successes in the group the layer counts.
        successes_counted: usize,
        /// Successes in the group.
        successes: usize,
        /// The chance of so clean a split at random.
        chance: f64,
    },
    /// A documented layer that traffic from outside the capture (or the capture's own refused
    /// attempts) could fill splits the throttle's partition by its own count of the capture's
    /// admitted requests more cleanly than the undocumented limit's split (or as cleanly, where
    /// that split holds too few runs of throttles to fix its count): the split fits that
    /// layer, with steady traffic on top of the capture's admitted requests, as well, so it is
    /// no evidence of a limit the documentation does not state.
    DocumentedSplitsAsWell {
        /// Evaluation index of the layer.
        layer: usize,
        /// The count at which its split puts the throttles (admitted others in its window,
        /// horizon or in flight).
        limit: u32,
        /// Throttles of its partition at or above that count.
        explained: usize,
        /// Throttles in its partition.
        throttled: usize,
        /// Successes in its partition, all below it.
        successes: usize,
        /// The chance of so clean a split at random.
        chance: f64,
    },
    /// The undocumented limit's split is one of time order (every throttle it explains
    /// counted every earlier success of its scope: `separation::cumulative`), and no other
    /// evidence points past the documented layers: a budget ran out once and stayed out,
    /// which traffic from outside the capture filling a documented layer explains as well.
    TimeOrderSplit {
        /// Evaluation index of the documented layer, among those holding the whole scope in
        /// one partition, that outside traffic would fill with the fewest requests.
        layer: usize,
    },
    /// Others of the scope around this throttle.
    Around {
        /// In flight (`None`) or within this window.
        window: Option<Micros>,
        /// Whose requests.
        scope: Scope,
        /// Possibly around it (admitted, itself excluded).
        possible: u32,
    },
    /// A success of the scope had at least as many around it surely.
    SuccessAsCrowded {
        /// In flight (`None`) or within this window.
        window: Option<Micros>,
        /// Whose requests.
        scope: Scope,
        /// How many were surely around that success.
        sure: u32,
        /// How many were possibly around this throttle.
        possible: u32,
    },
    /// A retry after the full Retry-After was throttled again.
    RetryFailedAfterWait {
        /// The first Retry-After, seconds.
        first_s: f64,
        /// The second one, seconds (0 when absent).
        second_s: f64,
    },
    /// A retry that waited the full Retry-After, in waits that count down (`context::clock_waits`)
    /// and with nothing else of the capture sent to the host meanwhile, was refused again: a
    /// limit counting only the capture's requests would have had the room its clock promised.
    /// Against a limit the documentation does not state whose evidence is the capture's own
    /// count, the room went to traffic the capture does not show.
    RetryRefusedAfterQuietWait {
        /// The Retry-After waited, seconds.
        waited_s: f64,
        /// Index into `Capture::requests` of the throttle whose wait it was.
        throttle: u32,
        /// Index into `Capture::requests` of the retry.
        retry: u32,
    },
    /// Another request the layer counts, in the same partition, was admitted this close to
    /// the throttle.
    NeighbourAdmitted {
        /// Evaluation index of the layer.
        layer: usize,
        /// Index into `Capture::requests` of that request.
        request: u32,
    },
    /// The throttle took far longer than the endpoint's successes.
    Held {
        /// How long it took.
        took: Micros,
        /// The endpoint's median success.
        typical: Micros,
    },
    /// The server's log of the layer's partition and window at the throttle.
    ServerLog {
        /// Evaluation index of the layer.
        layer: usize,
        /// The capture's own requests the layer counts in the window.
        visible: u64,
        /// Cost of the requests from outside the capture the layer counts there.
        hidden: u64,
        /// How many senders (client and user) they came from.
        senders: usize,
        /// The layer's budget.
        limit: u64,
        /// What the records prove.
        proof: WindowProof,
    },
    /// No layer of the active profiles counts the request.
    NoLayer,
}

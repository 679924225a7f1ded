//! Every number the diagnosis decides with, named once with the reason for its value.
//!
//! Owns the thresholds of the refutation and preference rules. No other file in `diagnose`
//! holds a threshold literal; tests in each rule's module use these names too.

use crate::model::{Micros, time};

pub use crate::evaluate::EDGE;

/// Retry-After is sent in whole seconds and servers round up: a wait computed as 54.2 s is
/// sent as 55.
pub const RETRY_AFTER_ROUNDING: Micros = time::SECOND;

/// How far apart two throttles inside one advised wait must be answered before equal waits
/// show a constant rather than a clock: a wait counting down to one instant is shorter by the
/// gap, give or take the rounding to whole seconds at each end — at three roundings apart it
/// differs by two seconds or more, where a constant differs by at most one.
pub const STILL_WAIT_GAP: Micros = 3 * RETRY_AFTER_ROUNDING;

/// Later throttles each throttle's wait is compared with when asking whether the waits stand
/// still: a constant shows on the first few, and a day of throttles under an hour-long wait
/// would otherwise compare every pair.
pub const STILL_WAIT_PEERS: usize = 64;

/// How many times a budget of `n` per window a success must have had around it, within one
/// window's length, before that budget is refuted for its scope whatever the algorithm: a
/// sliding window admits at most `n`, fixed windows `2n − 1` (the end of one and the start of
/// the next), a bucket of `n` refilled over the window `2n`. A body states the numbers, not the
/// algorithm; a limit inferred from the capture's own counts knows neither.
pub const STATED_LIMIT_SLACK: u64 = 2;

/// The chance below which a split of successes from throttles by a count (in flight, or in a
/// short window) is taken as evidence of a limit on that count: how often so clean a split would
/// arise if the throttles fell on requests regardless of that count. A conventional 5 %.
pub const SEPARATION_CHANCE: f64 = 0.05;

/// Relative difference under which two chances of a split are the same number: the same
/// hypergeometric tail computed twice (a documented layer and an undocumented scope counting
/// the same requests) may differ in its last bits once divided back by the options tried.
pub const SAME_CHANCE: f64 = 1e-9;

/// Throttles a separation must explain before it is believed: one throttle on a crowded request
/// is a coincidence more often than not.
pub const SEPARATION_MIN_THROTTLES: usize = 2;

/// Runs of throttles (between two successes) a split of a scope must hold before it tells a
/// limit at its count from a documented layer that splits the scope as cleanly with steady
/// traffic from outside the capture on top: one run is one filling, and any limit that fills
/// once refuses from the count the run began at.
pub const SEPARATION_MIN_RUNS: usize = 2;

/// Windows an undocumented limit on a count of started requests is looked for in: the short
/// windows of burst protection and the half-minute and minute of the rate limits servers set
/// without documenting them; common server settings. Each window is one more test of the
/// separation's multiple-testing correction.
pub const COUNT_WINDOWS: [Micros; 6] = [
    time::SECOND,
    2 * time::SECOND,
    5 * time::SECOND,
    10 * time::SECOND,
    30 * time::SECOND,
    60 * time::SECOND,
];

/// The refill rates a bucket is fitted between, per second: from one every 20 s to 50 a
/// second, the span of the burst and rate buckets vendors run (nginx `rate=`, Envoy and Kong
/// token buckets, GCRA).
pub const FIT_RATES_PER_S: (f64, f64) = (0.05, 50.0);

/// A bucket level this close under a whole token counts as one: the least rate a fit computes
/// is exact, and a success it just admits lands on a whole token up to floating-point rounding.
pub const FIT_ROUNDING: f64 = 1e-9;

/// The largest bucket capacity fitted: burst allowances vendors document run from 1 to a few
/// dozen (nginx `burst=`, Shopify's 40, Stripe's 25 and 100 per second); a larger bucket
/// refills over a horizon a window count (`COUNT_WINDOWS`) sees as well.
pub const FIT_MAX_CAPACITY: u32 = 64;

/// Rotations behind a bucket fit's chance (at most one per other request of the group): the
/// smallest chance it can state is 1 / (this + 1) = 1 % for groups of 100 requests or more,
/// under `SEPARATION_CHANCE` even times the four scopes tried.
pub const FIT_ROTATIONS: usize = 99;

/// A bucket is fitted to groups of at most this many requests: each rotation replays every
/// capacity and rate, so the cost grows with the group, and a group this large holds enough
/// successes for a window count (`COUNT_WINDOWS`) to speak.
pub const FIT_MAX_MEMBERS: usize = 500;

/// A limit whose window (or a bucket's refill horizon) is at most this long is a burst limit;
/// longer ones are rate limits. Ten seconds separates "per second" burst protection from the
/// per-minute and longer budgets vendors document.
pub const BURST_HORIZON: Micros = 10 * time::SECOND;

/// A server's counter agrees with the capture when it is within this many requests of the
/// capture's own count: the request itself, and one more whose arrival order is uncertain.
pub const COUNTER_TOLERANCE: u64 = 1;

/// A throttle is "held" when it took at least this long…
pub const HELD_AT_LEAST: Micros = time::SECOND;
/// …and this many times the endpoint's median success: a server that queues before refusing.
pub const HELD_FACTOR: i64 = 3;

/// A retry counts as waiting the full Retry-After when it started no earlier than this before
/// the wait was over (clients round and schedule timers loosely); a request of an unknown
/// caller is taken for a timer's retry only when it started no later than this after the wait
/// (`Ctx::quiet_wait_refused`).
pub const RETRY_WAIT_SLACK: Micros = 500 * time::MILLISECOND;

/// How close in time another request of the same caller must be to say the layers counting
/// both had room at the throttle's moment (the timing uncertainty of a HAR, twice).
pub const NEIGHBOUR: Micros = 2 * EDGE;

/// A retry sent this much before Retry-After elapsed ignored it (clients round and schedule
/// timers loosely; less than this is the same wait).
pub const RETRY_EARLY_SLACK: Micros = 100 * time::MILLISECOND;

/// Early retries in a row that make a storm: three retries of one request, none waiting.
pub const STORM_CHAIN: usize = 4;

/// Requests of one endpoint in flight together that make a parallel burst worth reporting: two
/// is ordinary overlap, three is a client fanning out.
pub const PARALLEL_BURST: u32 = 3;

/// Preflights worth a finding: a handful, and at least one for every two requests they precede.
pub const PREFLIGHTS_NOTICED: usize = 4;

/// Chromium caches a preflight for 5 s when the response sends no `Access-Control-Max-Age`;
/// a Max-Age at or under it caches no longer.
pub const CHROMIUM_PREFLIGHT_CACHE_S: i64 = 5;

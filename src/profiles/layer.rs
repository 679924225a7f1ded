//! One documented limit: what it counts, how it partitions, and the limiter that decides.
//!
//! Owns `Layer` and its limiter description (`Limiter`: windows, sliding counters, buckets,
//! concurrency), partitions, costs and the text every report shows for a budget. It describes
//! limits as data; deciding whether a request is admitted is `evaluate::meter`'s job. Pure.

use crate::model::{Method, Micros, Quota, Request, Unit, time};

use super::filter::{PageRange, PathFilter};

/// What a layer counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Requests (or points) over time.
    Rate,
    /// Requests in flight at once.
    Concurrency,
}

/// Where the windows of a fixed-window layer start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// At the partition's first counted request, restarting at the first counted request after
    /// each window ends.
    FirstRequest,
    /// At multiples of the window since the Unix epoch.
    Epoch,
    /// At calendar units (second, minute, hour, day) in a fixed UTC offset.
    Calendar {
        /// Offset from UTC, seconds.
        offset_s: i32,
    },
    /// At the resets the server announced (`Layer::resets`): for counters whose dialect states
    /// when the window ends but not how long it is.
    Announced,
}

/// How a bucket is refilled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Refill {
    /// Tokens flow in continuously.
    Continuous,
    /// Tokens arrive in steps, every `interval`.
    Interval(Micros),
}

/// A refill or leak rate: `amount` per `per`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    /// Units per period.
    pub amount: f64,
    /// The period.
    pub per: Micros,
}

impl Rate {
    /// Units per second.
    pub fn per_second(self) -> f64 {
        self.amount / time::as_secs(self.per)
    }

    /// `5/s`, `300/min`, `100/10s`.
    pub fn label(self) -> String {
        let amount = crate::model::time::number_label(self.amount);
        match self.per {
            p if p == time::SECOND => format!("{amount}/s"),
            p if p == 60 * time::SECOND => format!("{amount}/min"),
            p if p == 3600 * time::SECOND => format!("{amount}/h"),
            p => format!("{amount}/{}", time::window_label(p).replace(' ', "")),
        }
    }
}

/// Which bucket a profile named (the same admit rule for unit costs; kept for display).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BucketKind {
    /// `token-bucket`.
    Token,
    /// `leaky-bucket`.
    Leaky,
    /// `gcra`.
    Gcra,
}

/// The limiter of a layer and its numbers.
#[derive(Clone, Debug, PartialEq)]
pub enum Limiter {
    /// A count over a window.
    Window {
        /// Budget per window.
        limit: u64,
        /// Window length.
        window: Micros,
        /// `None`: sliding; else where fixed windows start.
        anchor: Option<Anchor>,
    },
    /// The previous fixed window weighted by the share not yet elapsed, plus the current one.
    SlidingCounter {
        /// Budget per window.
        limit: u64,
        /// Window length.
        window: Micros,
        /// Whether an estimate reaching the limit exactly is admitted.
        admit_equal: bool,
    },
    /// A token bucket, leaky bucket or GCRA.
    Bucket {
        /// Which one the profile named.
        kind: BucketKind,
        /// Requests admitted at once from a full bucket.
        capacity: u64,
        /// Refill or leak rate.
        rate: Rate,
        /// How tokens come back.
        refill: Refill,
        /// nginx `limit_req`'s integer arithmetic.
        nginx: bool,
        /// nginx `delay=`: requests beyond this many in the bucket are delayed, not refused.
        delay: Option<u64>,
    },
    /// Requests in flight at once.
    Concurrency {
        /// Requests allowed in flight.
        limit: u64,
        /// Only requests in flight at least this long count.
        min_age: Micros,
    },
}

impl Limiter {
    /// Rate or concurrency.
    pub fn kind(&self) -> Kind {
        match self {
            Limiter::Concurrency { .. } => Kind::Concurrency,
            _ => Kind::Rate,
        }
    }

    /// The budget a report compares peaks with: the limit, or the bucket's capacity.
    pub fn limit(&self) -> u64 {
        match *self {
            Limiter::Window { limit, .. }
            | Limiter::SlidingCounter { limit, .. }
            | Limiter::Concurrency { limit, .. } => limit,
            Limiter::Bucket { capacity, .. } => capacity,
        }
    }

    /// The same limiter with another budget: a window's limit, a bucket's capacity (its
    /// refill rate kept), a concurrency limit.
    pub fn with_budget(&self, budget: u64) -> Limiter {
        let mut l = self.clone();
        match &mut l {
            Limiter::Window { limit, .. }
            | Limiter::SlidingCounter { limit, .. }
            | Limiter::Concurrency { limit, .. } => *limit = budget,
            Limiter::Bucket { capacity, .. } => *capacity = budget,
        }
        l
    }

    /// The even gap between requests that keeps within the budget for good: window ÷ limit,
    /// or one bucket refill; `None` for concurrency and for windows whose length the server
    /// never stated.
    pub fn spacing(&self) -> Option<Micros> {
        match *self {
            Limiter::Window {
                anchor: Some(Anchor::Announced),
                ..
            }
            | Limiter::Concurrency { .. } => None,
            Limiter::Bucket { rate, .. } => Some(time::secs(1.0 / rate.per_second().max(1e-9))),
            Limiter::Window { limit, window, .. }
            | Limiter::SlidingCounter { limit, window, .. } => {
                Some(window / limit.max(1) as Micros)
            }
        }
    }

    /// The window, or for a bucket the time a full bucket takes to refill (its horizon); 0
    /// for concurrency.
    pub fn window(&self) -> Micros {
        match *self {
            Limiter::Window { window, .. } | Limiter::SlidingCounter { window, .. } => window,
            Limiter::Bucket { capacity, rate, .. } => {
                time::secs(capacity as f64 / rate.per_second().max(1e-9))
            }
            Limiter::Concurrency { .. } => 0,
        }
    }

    /// Name as a profile writes it.
    pub fn algorithm(&self) -> &'static str {
        match self {
            Limiter::Window { anchor: None, .. } => "sliding",
            Limiter::Window { .. } => "fixed",
            Limiter::SlidingCounter { .. } => "sliding-counter",
            Limiter::Bucket {
                kind: BucketKind::Token,
                ..
            } => "token-bucket",
            Limiter::Bucket {
                kind: BucketKind::Leaky,
                ..
            } => "leaky-bucket",
            Limiter::Bucket {
                kind: BucketKind::Gcra,
                ..
            } => "gcra",
            Limiter::Concurrency { .. } => "concurrency",
        }
    }
}

/// A dimension a layer counts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Partition {
    /// Whose credentials.
    User,
    /// Which OAuth client.
    Client,
    /// Which access token.
    Token,
    /// Method + endpoint template.
    Endpoint,
    /// Method + concrete path.
    Resource,
    /// The whole capture (the default when `per` is empty).
    Org,
}

impl Partition {
    /// Parses a `per` value.
    pub fn parse(s: &str) -> Option<Partition> {
        Some(match s {
            "user" => Partition::User,
            "client" => Partition::Client,
            "token" => Partition::Token,
            "endpoint" => Partition::Endpoint,
            "resource" => Partition::Resource,
            "org" => Partition::Org,
            _ => return None,
        })
    }

    /// Name as written in profiles.
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::User => "user",
            Partition::Client => "client",
            Partition::Token => "token",
            Partition::Endpoint => "endpoint",
            Partition::Resource => "resource",
            Partition::Org => "org",
        }
    }
}

/// Where a layer reads a request's cost from its response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CostFrom {
    /// A response header (`x-ms-resource-unit`), lower case.
    Header(String),
    /// A dotted path into a JSON response body (`extensions.cost.actualQueryCost`).
    Body(String),
}

impl CostFrom {
    /// `header:NAME` or `body:PATH`.
    pub fn parse(s: &str) -> Option<CostFrom> {
        let (kind, what) = s.split_once(':')?;
        let what = what.trim();
        let ok = !what.is_empty()
            && what.len() <= 128
            && what
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        match (kind.trim(), ok) {
            ("header", true) => Some(CostFrom::Header(what.to_ascii_lowercase())),
            ("body", true) => Some(CostFrom::Body(what.to_string())),
            _ => None,
        }
    }

    /// As written in a profile.
    pub fn spec(&self) -> String {
        match self {
            CostFrom::Header(h) => format!("header:{h}"),
            CostFrom::Body(p) => format!("body:{p}"),
        }
    }
}

/// What one request costs in a layer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cost {
    /// (method, points) pairs; unlisted methods cost 1.
    pub per_method: Vec<(Method, u32)>,
    /// A cost read from the response, when present.
    pub from: Option<CostFrom>,
}

impl Cost {
    /// Points of a request by method alone.
    pub fn of_method(&self, m: &Method) -> u32 {
        self.per_method
            .iter()
            .find(|(x, _)| x == m)
            .map(|(_, n)| *n)
            .unwrap_or(1)
    }
}

/// A budget the server states for a layer other than the documented one, which the capture is
/// replayed with instead (`evaluate::restate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Restated {
    /// The documented limit or capacity.
    pub documented: u64,
    /// Throttle bodies that stated the server's budget.
    pub by_body: u32,
    /// Counters that stated it.
    pub by_counter: u32,
    /// Whether every statement was of a budget another layer counting the same responses
    /// could have as well, given to this layer because the other layers' budgets were stated
    /// otherwise: the server's numbers then name the budget, not the layer, and an
    /// undocumented limit with that budget explains them as well.
    pub settled: bool,
}

/// One documented limit.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// Unique name in its profile (`org.app.user.rate.per.minute`).
    pub name: String,
    /// The limiter that decides, with its numbers.
    pub limiter: Limiter,
    /// Partition dimensions (empty: the whole capture).
    pub per: Vec<Partition>,
    /// Methods counted (empty: all).
    pub methods: Vec<Method>,
    /// Paths counted (empty: all).
    pub templates: Vec<PathFilter>,
    /// Paths never counted, even when `templates` matches (`exclude_template`).
    pub exclude: Vec<PathFilter>,
    /// Whether CORS preflights count.
    pub counts_preflight: bool,
    /// Only requests with (`true`) or without (`false`) a credential.
    pub credential: Option<bool>,
    /// Only requests whose page size is in this range.
    pub page_size: Option<PageRange>,
    /// What a request costs.
    pub cost: Cost,
    /// Whether refused attempts use budget; `None` when the documentation does not say.
    pub count_rejected: Option<bool>,
    /// After a refusal, the partition is refused for this long.
    pub penalty: Option<Micros>,
    /// What the budget counts.
    pub unit: Unit,
    /// Citation.
    pub source: Option<String>,
    /// Caveat shown in reports.
    pub note: Option<String>,
    /// What the numbers assume (a plan, a tier), shown with every verdict using the layer.
    pub assumption: Option<String>,
    /// Derived from the capture's own headers (`generic` profile), not from documentation.
    pub inferred: bool,
    /// The layer's table as its profile wrote it, so that `--set` can re-parse it with an
    /// override (`None` for layers built in code, such as inferred ones).
    pub spec: Option<toml::Table>,
    /// Where the server said its windows end, sorted (`Anchor::Announced` only).
    pub resets: std::sync::Arc<[Micros]>,
    /// The server states another budget than the documented one (`limiter` holds the stated).
    pub restated: Option<Restated>,
    /// `count_rejected` was read from the server's counters, not the documentation: (readings
    /// below the count of every attempt, readings where the two counts differ).
    pub refusals_read: Option<(u32, u32)>,
}

impl Layer {
    /// A layer with a limiter and no filters, partitions or caveats.
    pub fn new(name: impl Into<String>, limiter: Limiter) -> Layer {
        Layer {
            name: name.into(),
            limiter,
            per: Vec::new(),
            methods: Vec::new(),
            templates: Vec::new(),
            exclude: Vec::new(),
            counts_preflight: false,
            credential: None,
            page_size: None,
            cost: Cost::default(),
            count_rejected: None,
            penalty: None,
            unit: Unit::Requests,
            source: None,
            note: None,
            assumption: None,
            inferred: false,
            spec: None,
            resets: std::sync::Arc::from([]),
            restated: None,
            refusals_read: None,
        }
    }

    /// Rate or concurrency.
    pub fn kind(&self) -> Kind {
        self.limiter.kind()
    }

    /// The budget compared with peaks: the limit, or a bucket's capacity.
    pub fn limit(&self) -> u64 {
        self.limiter.limit()
    }

    /// The window (a bucket's refill horizon; 0 for concurrency).
    pub fn window(&self) -> Micros {
        self.limiter.window()
    }

    /// Whether the layer holds a budget the server stated only by elimination
    /// (`Restated::settled`).
    pub fn settled(&self) -> bool {
        self.restated.is_some_and(|rs| rs.settled)
    }

    /// Whether a counter a server reported on a response describes this layer: the same unit
    /// and budget, and the same window when both are known.
    pub fn described_by(&self, q: &Quota) -> bool {
        // a count in flight is a concurrency layer's, whose unit is requests
        let same_unit = match (q.unit, self.kind()) {
            (Unit::Concurrent, Kind::Concurrency) => true,
            (unit, _) => unit == self.unit,
        };
        same_unit && self.states_budget(q.limit.get(), q.window.get())
    }

    /// Whether a budget a server states (a counter's, or a throttle body's numbers) is this
    /// layer's: the same limit, and for a rate layer the same window when one is stated. A
    /// window stated with a concurrency layer's count does not tell them apart: servers word
    /// an in-flight limit as "N requests within W" or give it a reset (Okta's concurrency
    /// counters do).
    pub fn states_budget(&self, limit: Option<u64>, window: Option<Micros>) -> bool {
        limit == Some(self.limit())
            && match (window, self.kind()) {
                (Some(w), Kind::Rate) => (w - self.window()).abs() <= time::SECOND,
                _ => true,
            }
    }

    /// Whether a budget a server states is this layer's with a smaller count: a rate layer of
    /// requests whose limiter, given that count, has the stated window (a window's own length;
    /// a bucket's refill horizon at its documented rate), within a second. Only a tighter
    /// budget: a looser one is never contradicted by what the server admitted.
    pub fn restated_as(&self, limit: u64, window: Micros) -> bool {
        self.kind() == Kind::Rate
            && self.unit == Unit::Requests
            && limit > 0
            && limit < self.limit()
            && (self.limiter.with_budget(limit).window() - window).abs() <= time::SECOND
    }

    /// The use a response's counters report for this layer (the first counter that describes
    /// it and states a use).
    pub fn reported_use(&self, quotas: &[Quota]) -> Option<u64> {
        quotas
            .iter()
            .filter(|q| self.described_by(q))
            .find_map(|q| q.used_count())
    }

    /// Points a request costs in this layer, by method (costs read from responses are
    /// applied by `evaluate`).
    pub fn cost_of(&self, m: &Method) -> u32 {
        self.cost.of_method(m)
    }

    /// `100 / 60 s`, `2 in flight`, `bucket of 11, refills 5/s`.
    pub fn budget_label(&self) -> String {
        match &self.limiter {
            Limiter::Window {
                limit,
                window,
                anchor,
            } => {
                let fixed = match anchor {
                    None => "",
                    Some(Anchor::Announced) => {
                        return format!("{limit} / announced window");
                    }
                    Some(_) => " (fixed)",
                };
                format!("{limit} / {}{fixed}", time::window_label(*window))
            }
            Limiter::SlidingCounter { limit, window, .. } => {
                format!(
                    "{limit} / {} (sliding counter)",
                    time::window_label(*window)
                )
            }
            Limiter::Bucket {
                capacity,
                rate,
                kind,
                ..
            } => {
                let verb = match kind {
                    BucketKind::Leaky => "leaks",
                    _ => "refills",
                };
                format!("bucket of {capacity}, {verb} {}", rate.label())
            }
            Limiter::Concurrency { limit, .. } => format!("{limit} in flight"),
        }
    }

    /// `user+client`, or `whole capture`.
    pub fn partition_label(&self) -> String {
        if self.per.is_empty() {
            "whole capture".into()
        } else {
            self.per
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join("+")
        }
    }

    /// The filter in words: `PUT /api/v2/architect/ivrs/{ivrId}`, `any /a, /b`,
    /// `any except /graphql`; `None` when the layer counts every request.
    pub fn filter_label(&self) -> Option<String> {
        if self.methods.is_empty() && self.templates.is_empty() && self.exclude.is_empty() {
            return None;
        }
        let methods = if self.methods.is_empty() {
            "any".to_string()
        } else {
            self.methods
                .iter()
                .map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join("|")
        };
        let mut label = methods;
        if !self.templates.is_empty() {
            let paths: Vec<&str> = self.templates.iter().map(|t| t.as_str()).collect();
            label.push(' ');
            label.push_str(&paths.join(", "));
        }
        if !self.exclude.is_empty() {
            let paths: Vec<&str> = self.exclude.iter().map(|t| t.as_str()).collect();
            label.push_str(" except ");
            label.push_str(&paths.join(", "));
        }
        Some(label)
    }

    /// Whether the layer counts only some endpoints (by method or path).
    pub fn is_filtered(&self) -> bool {
        !self.methods.is_empty() || !self.templates.is_empty()
    }

    /// Whether the layer's path filters (templates, exclusions) accept a concrete path.
    pub fn accepts_path(&self, path: &str) -> bool {
        (self.templates.is_empty() || self.templates.iter().any(|t| t.matches(path)))
            && !self.exclude.iter().any(|t| t.matches(path))
    }

    /// Whether the layer's method filter accepts a method.
    pub fn accepts_method(&self, method: &Method) -> bool {
        self.methods.is_empty() || self.methods.contains(method)
    }

    /// Whether the layer's other filters (method, credential, page size) accept a request,
    /// preflight rules aside (`evaluate::counts` asks both, the path once per distinct path).
    pub fn accepts_besides_path(&self, r: &Request, method: &Method) -> bool {
        self.accepts_method(method)
            && self
                .credential
                .is_none_or(|want| want == (r.auth != crate::model::Auth::None))
            && self
                .page_size
                .is_none_or(|p| r.page_size.get().is_some_and(|s| s >= p.min && s <= p.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_labels_name_the_limiter() {
        let w = Layer::new(
            "a",
            Limiter::Window {
                limit: 100,
                window: 60 * time::SECOND,
                anchor: None,
            },
        );
        assert_eq!(w.budget_label(), "100 / 60 s");
        let b = Layer::new(
            "b",
            Limiter::Bucket {
                kind: BucketKind::Leaky,
                capacity: 40,
                rate: Rate {
                    amount: 2.0,
                    per: time::SECOND,
                },
                refill: Refill::Continuous,
                nginx: false,
                delay: None,
            },
        );
        assert_eq!(b.budget_label(), "bucket of 40, leaks 2/s");
        assert_eq!(b.window(), 20 * time::SECOND);
        assert_eq!(b.limit(), 40);
        let c = Layer::new(
            "c",
            Limiter::Concurrency {
                limit: 2,
                min_age: 0,
            },
        );
        assert_eq!(
            (c.budget_label(), c.kind()),
            ("2 in flight".into(), Kind::Concurrency)
        );
    }

    #[test]
    fn a_stated_budget_is_a_layer_s_own_or_another_count_of_its_limiter() {
        let s = time::SECOND;
        let w = Layer::new(
            "w",
            Limiter::Window {
                limit: 100,
                window: 60 * s,
                anchor: None,
            },
        );
        assert!(w.states_budget(Some(100), Some(60 * s)) && w.states_budget(Some(100), None));
        assert!(!w.states_budget(Some(100), Some(30 * s)) && !w.states_budget(None, None));
        // the same window, another count: restated; another window: not this layer
        assert!(w.restated_as(40, 60 * s) && w.restated_as(40, 60 * s + s / 2));
        assert!(!w.restated_as(40, 30 * s) && !w.restated_as(100, 60 * s));
        assert!(
            !w.restated_as(200, 60 * s),
            "a looser budget is never a restatement"
        );
        assert!(!w.restated_as(0, 60 * s));
        // a bucket of 8 refilling 2/s stated as "4 within 2 s": the same rate, half the capacity
        let b = Layer::new(
            "b",
            Limiter::Bucket {
                kind: BucketKind::Token,
                capacity: 8,
                rate: Rate {
                    amount: 2.0,
                    per: s,
                },
                refill: Refill::Continuous,
                nginx: false,
                delay: None,
            },
        );
        assert!(b.restated_as(4, 2 * s) && !b.restated_as(4, 4 * s));
        assert_eq!(b.limiter.with_budget(4).window(), 2 * s);
        assert_eq!(b.limiter.with_budget(4).limit(), 4);
        // a concurrency limit has no window to tell it by, and any window states its count
        let c = Layer::new(
            "c",
            Limiter::Concurrency {
                limit: 2,
                min_age: 0,
            },
        );
        assert!(!c.restated_as(1, 60 * s));
        assert!(c.states_budget(Some(2), Some(60 * s)) && !c.states_budget(Some(3), None));
    }

    #[test]
    fn cost_sources_parse() {
        assert_eq!(
            CostFrom::parse("header:X-MS-Resource-Unit"),
            Some(CostFrom::Header("x-ms-resource-unit".into()))
        );
        assert_eq!(
            CostFrom::parse("body:extensions.cost.actualQueryCost"),
            Some(CostFrom::Body("extensions.cost.actualQueryCost".into()))
        );
        assert_eq!(CostFrom::parse("cookie:x"), None);
        assert_eq!(CostFrom::parse("header:a b"), None);
    }
}

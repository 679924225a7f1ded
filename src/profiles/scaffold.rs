//! `why429 profiles new NAME`: a commented profile to start from.
//!
//! Owns the scaffold text: every profile and layer key with a comment saying what it does, and
//! one example layer of each limiter family (windows, sliding counter, buckets, concurrency).
//! The scaffold is a valid profile; a test checks it parses and mentions every key. Pure.

/// A commented profile named `name`, valid as written.
pub fn scaffold(name: &str) -> String {
    let quoted = toml::Value::String(name.to_string()).to_string();
    TEMPLATE.replace("\"NAME\"", &quoted)
}

const TEMPLATE: &str = r#"# A why429 limit profile: the documented rate-limit layers of one API.
# Check it with `why429 profiles check FILE`; use it with `why429 analyze CAPTURE --profile FILE`.
# Every key is described in docs/profile-format.md. Lines starting with `#` are comments:
# uncomment a key to use it. Delete the example layers that do not apply.

name = "NAME"                               # how --profile and reports name this profile
description = "What API this profile covers" # one line shown in reports
hosts = ["api.example.com", "*.example.net"] # host globs (`*` = part of one DNS label; `:port` optional):
                                            # the layers count requests to these hosts, and captures
                                            # touching them pick this profile automatically
templates = ["/v1/users/{userId}"]          # endpoint templates, so paths group as the API's docs name them
verified = "2026-12-01"                     # when you last checked the numbers against the sources
hidden_sources = "other apps and scripts using the same account" # where traffic a capture cannot
                                            # see usually comes from (quoted in verdicts)
confirm = ["the usage report shows every client's calls"] # how to confirm with the API's own tools
throttle_status = [429]                     # statuses that mean "throttled" (default [429];
                                            # nginx answers limit_req with 503, GitHub also uses 403)
# throttle_codes = ["E0000047"]             # body codes that make any response a throttle, whatever
                                            # its status; `why429 profiles check` lists the known ones

# ── A sliding window: at most `limit` per `window`, counted over the last `window` ──────────
[[layer]]
name = "example.user.per.minute"            # unique among the profiles used together; --set uses it
algorithm = "sliding"                       # the default when no algorithm or kind is given
limit = 300                                 # budget per window (requests, or points with a cost)
window = "60s"                              # "500ms", "1s", "60s", "1m", "1h", "24h", "30d"
per = ["user", "client"]                    # partition: any of user, client, token, endpoint (method +
                                            # template), resource (method + concrete path), org;
                                            # [] or left out = the whole capture is one partition
credential = true                           # true: only requests carrying a credential; false: only without
source = "https://api.example.com/docs/rate-limits" # the page that documents this limit (cited in reports)
note = "per user across all of the user's apps"     # a caveat shown in reports
assumption = "Standard plan; Enterprise allows 3000" # what the numbers assume (plan, tier), shown with
                                            # every verdict using the layer; `--set` changes a number

# ── A fixed window: counts restart when a window ends ──────────────────────────────────────
[[layer]]
name = "example.search.per.minute"
algorithm = "fixed"                         # "fixed-aligned" = fixed with anchor = "epoch"
anchor = "calendar"                         # "first-request" (default): windows start at the first request;
                                            # "epoch": at multiples of the window; "calendar": at whole units
tz = "UTC"                                  # calendar windows only: "UTC" or an offset such as "+05:30"
limit = 30
window = "1m"                               # calendar windows are 1s, 1m, 1h or 1d
method = "GET"                              # a method or a list: ["POST", "PUT"]; default any
template = "/v1/search"                     # a path or a list; {name} = one segment, a trailing /** = any rest
exclude_template = ["/v1/search/health"]    # paths never counted even when `template` matches
page_size = [1, 100]                        # only requests whose page size is in this inclusive range
penalty = "5m"                              # after a refusal, the partition is refused this long
count_rejected = false                      # whether refused attempts use budget (leave it out when the
                                            # documentation does not say: why429 then considers both)
source = "https://api.example.com/docs/rate-limits#search"

# ── A sliding counter: the previous window weighted by the share still inside, plus this one ─
[[layer]]
name = "example.edge.per.10s"
algorithm = "sliding-counter"               # Kong rate-limiting-advanced, Cloudflare
limit = 100
window = "10s"
admit_equal = true                          # whether an estimate exactly at the limit is admitted
counts_preflight = true                     # CORS preflights count too (default false)
source = "https://api.example.com/docs/rate-limits#edge"

# ── A token bucket: starts full with `capacity` tokens, refills at `rate` ───────────────────
[[layer]]
name = "example.gateway.bucket"
algorithm = "token-bucket"                  # AWS API Gateway (burst = capacity), Envoy
capacity = 100                              # requests admitted at once from a full bucket
rate = "50/s"                               # "5/s", "300/min", "100/10s", "0.5/s", "1000/h"
refill = "interval"                         # "continuous" (default) or "interval": tokens come in steps
interval = "1s"                             # with refill = "interval": how often tokens are added
per = ["token"]
source = "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html"

# ── A leaky bucket; variant "nginx" reproduces nginx limit_req exactly ──────────────────────
[[layer]]
name = "example.nginx.per.token"
algorithm = "leaky-bucket"                  # Shopify REST: capacity 40, rate "2/s"
variant = "nginx"                           # nginx's integer arithmetic; rate per second or per minute
capacity = 11                               # nginx: burst + 1 (here limit_req ... burst=10)
rate = "5/s"                                # nginx rate=5r/s
# delay = 0                                 # nginx delay=N (without nodelay, N is 0): excess requests
                                            # are delayed by nginx, not refused; leave out with nodelay
per = ["token"]
source = "https://nginx.org/en/docs/http/ngx_http_limit_req_module.html"

# ── GCRA: the same admit rule as a bucket of `capacity` draining at `rate` ──────────────────
[[layer]]
name = "example.points.gcra"
algorithm = "gcra"                          # governor (allow_burst), redis-cell (max_burst + 1)
capacity = 1000
rate = "50/s"
cost = { GET = 1, POST = 5 }                # points per method; unlisted methods cost 1
cost_from = "body:extensions.cost.actualQueryCost" # or "header:x-ms-resource-unit": the cost read from
                                            # each response (responses without it cost `cost`, or 1)
unit = "points"                             # what the budget counts: "requests", "points" or "tokens"
source = "https://api.example.com/docs/graphql-cost"

# ── Concurrency: fewer than `limit` requests of the partition in flight ─────────────────────
[[layer]]
name = "example.in.flight"
kind = "concurrency"                        # or algorithm = "concurrency"
limit = 25                                  # requests in flight at once
min_age = "20s"                             # count only requests in flight at least this long (Salesforce)
source = "https://api.example.com/docs/rate-limits#concurrency"
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::parse::{self, LAYER_KEYS, PROFILE_KEYS};
    use crate::profiles::{BucketKind, Kind, Limiter};

    #[test]
    fn the_scaffold_is_a_valid_profile_with_every_key_explained() {
        let text = scaffold("my-api");
        let p = parse::parse("scaffold.toml", &text).unwrap();
        assert_eq!(p.name, "my-api");
        let algorithms: Vec<&str> = p.layers.iter().map(|l| l.limiter.algorithm()).collect();
        for a in [
            "sliding",
            "fixed",
            "sliding-counter",
            "token-bucket",
            "leaky-bucket",
            "gcra",
            "concurrency",
        ] {
            assert!(algorithms.contains(&a), "no {a} example: {algorithms:?}");
        }
        assert!(p.layers.iter().any(|l| l.kind() == Kind::Concurrency));
        assert!(p.layers.iter().any(|l| matches!(
            l.limiter,
            Limiter::Bucket {
                kind: BucketKind::Leaky,
                nginx: true,
                ..
            }
        )));
        for l in &p.layers {
            assert!(
                l.source
                    .as_deref()
                    .is_some_and(|s| s.starts_with("https://"))
            );
        }
        for key in PROFILE_KEYS.iter().chain(LAYER_KEYS) {
            let written = text.lines().any(|line| {
                let line = line.trim_start_matches(['#', ' ']);
                line.starts_with(&format!("{key} ")) || line.starts_with(&format!("{key}="))
            });
            assert!(written, "the scaffold does not show `{key}`");
        }
        // every line that sets a key says what it is for
        for line in text
            .lines()
            .filter(|l| l.contains(" = ") && !l.starts_with('#'))
        {
            let key = line.split('=').next().unwrap().trim();
            if [
                "name", "limit", "window", "source", "per", "capacity", "rate",
            ]
            .contains(&key)
            {
                continue; // explained at their first use
            }
            assert!(line.contains('#'), "no comment on `{line}`");
        }
    }

    #[test]
    fn names_are_quoted_as_toml_strings() {
        let p = parse::parse("s.toml", &scaffold("a \"quoted\" name")).unwrap();
        assert_eq!(p.name, "a \"quoted\" name");
    }
}

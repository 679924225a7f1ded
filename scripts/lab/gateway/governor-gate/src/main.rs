//! governor-gate: a lab API whose rate limit is decided by the `governor` crate (keyed GCRA).
//!
//! It owns the "real token-bucket limiter" half of the real-limiter lab (scripts/lab/gateway/):
//! it serves fake JSON for any `/api/...` path on 127.0.0.1, answers CORS preflights, keys one
//! governor limiter by the Authorization header (requests without one are never limited, like
//! nginx's empty key), refuses with 429 + Retry-After computed from governor's `NotUntil`, and
//! writes one JSON line per request to a truth log.
//!
//!     governor-gate CONFIG.json TRUTH.jsonl
//!
//! CONFIG: {"zone": "name", "per": "second"|"minute", "n": 5, "burst": 8,
//!          "ratelimit_headers": false, "processing_ms": 20, "cors_max_age": null}
//! Prints `READY {"port": N, "pid": P}` once listening on an OS-chosen port.
//!
//! Decisions are made one at a time on the main thread in the order tiny_http hands requests
//! over; the instant logged as `mono_ns` is read just before `check_key`, on the same
//! monotonic clock (std `Instant`) that governor's `MonotonicClock` reads a moment later.

use governor::clock::{Clock, MonotonicClock};
use governor::middleware::{NoOpMiddleware, StateInformationMiddleware};
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use serde_json::{json, Value};
use std::collections::hash_map::RandomState;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tiny_http::{Header, Method, Request, Response, Server};

type Limiter =
    RateLimiter<String, DashMapStateStore<String>, MonotonicClock, StateInformationMiddleware>;

struct Config {
    zone: String,
    quota: Quota,
    burst: u32,
    ratelimit_headers: bool,
    processing_ms: u64,
    cors_max_age: Option<u64>,
}

fn load_config(path: &str) -> Config {
    let text = std::fs::read_to_string(path).expect("read config");
    let v: Value = serde_json::from_str(&text).expect("config is JSON");
    let n = v["n"].as_u64().expect("n") as u32;
    let burst = v["burst"].as_u64().map(|b| b as u32).unwrap_or(n);
    let nz = |x: u32| NonZeroU32::new(x).expect("non-zero");
    let quota = match v["per"].as_str().unwrap_or("second") {
        "second" => Quota::per_second(nz(n)),
        "minute" => Quota::per_minute(nz(n)),
        other => panic!("per must be second or minute, not {other}"),
    }
    .allow_burst(nz(burst));
    Config {
        zone: v["zone"].as_str().unwrap_or("governor").to_string(),
        quota,
        burst,
        ratelimit_headers: v["ratelimit_headers"].as_bool().unwrap_or(false),
        processing_ms: v["processing_ms"].as_u64().unwrap_or(0),
        cors_max_age: v["cors_max_age"].as_u64(),
    }
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_string())
}

fn h(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

fn epoch_s(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// What one request was answered, decided on the main thread.
struct Answer {
    status: u16,
    decision: &'static str,
    headers: Vec<Header>,
    body: String,
    retry_after_s: Option<u64>,
    retry_after_exact_s: Option<f64>,
    remaining: Option<u32>,
}

fn decide(
    cfg: &Config,
    limiter: &Limiter,
    req: &Request,
    rid: &str,
    token: &Option<String>,
) -> Answer {
    let origin = header(req, "Origin");
    let mut headers = vec![h("X-Request-Id", rid), h("Cache-Control", "no-store")];
    if let Some(o) = &origin {
        headers.push(h("Access-Control-Allow-Origin", o));
        headers.push(h("Vary", "Origin"));
        headers.push(h("Access-Control-Allow-Credentials", "true"));
    }
    let path = req.url().split('?').next().unwrap_or("").to_string();
    if *req.method() == Method::Options {
        headers.push(h(
            "Access-Control-Allow-Methods",
            "GET, POST, PUT, PATCH, DELETE, OPTIONS",
        ));
        let asked = header(req, "Access-Control-Request-Headers");
        headers.push(h(
            "Access-Control-Allow-Headers",
            asked.as_deref().unwrap_or("Authorization, Content-Type"),
        ));
        if let Some(age) = cfg.cors_max_age {
            headers.push(h("Access-Control-Max-Age", &age.to_string()));
        }
        return Answer {
            status: 204,
            decision: "preflight",
            headers,
            body: String::new(),
            retry_after_s: None,
            retry_after_exact_s: None,
            remaining: None,
        };
    }
    headers.push(h(
        "Access-Control-Expose-Headers",
        "Retry-After, X-Request-Id, RateLimit, RateLimit-Policy",
    ));
    headers.push(h("Content-Type", "application/json"));
    let period = cfg.quota.replenish_interval() * cfg.burst;
    let policy = format!(
        "\"{}\";q={};w={}",
        cfg.zone,
        cfg.burst,
        period.as_secs_f64().ceil() as u64
    );
    let Some(tok) = token else {
        let body = json!({"message": "missing bearer token", "status": 401}).to_string();
        return Answer {
            status: 401,
            decision: "no-token",
            headers,
            body,
            retry_after_s: None,
            retry_after_exact_s: None,
            remaining: None,
        };
    };
    match limiter.check_key(tok) {
        Ok(snapshot) => {
            let remaining = snapshot.remaining_burst_capacity();
            if cfg.ratelimit_headers {
                // seconds until the bucket is full again: every used cell refills in one interval
                let used = cfg.burst - remaining.min(cfg.burst);
                let t = (cfg.quota.replenish_interval() * used).as_secs_f64().ceil() as u64;
                headers.push(h("RateLimit-Policy", &policy));
                headers.push(h(
                    "RateLimit",
                    &format!("\"{}\";r={};t={}", cfg.zone, remaining, t),
                ));
            }
            let last = path.rsplit('/').next().unwrap_or("");
            let body = json!({"id": last, "selfUri": path, "entities": []}).to_string();
            Answer {
                status: 200,
                decision: "allowed",
                headers,
                body,
                retry_after_s: None,
                retry_after_exact_s: None,
                remaining: Some(remaining),
            }
        }
        Err(not_until) => {
            let wait: Duration = not_until.wait_time_from(limiter.clock().now());
            let secs = wait.as_secs_f64();
            let ra = (secs.ceil() as u64).max(1);
            headers.push(h("Retry-After", &ra.to_string()));
            if cfg.ratelimit_headers {
                headers.push(h("RateLimit-Policy", &policy));
                headers.push(h("RateLimit", &format!("\"{}\";r=0;t={}", cfg.zone, ra)));
            }
            let body =
                json!({"message": format!("rate limited by {}; retry in {} s", cfg.zone, ra),
                              "status": 429})
                .to_string();
            Answer {
                status: 429,
                decision: "refused",
                headers,
                body,
                retry_after_s: Some(ra),
                retry_after_exact_s: Some((secs * 1e6).round() / 1e6),
                remaining: Some(0),
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: governor-gate CONFIG.json TRUTH.jsonl");
        std::process::exit(2);
    }
    let cfg = load_config(&args[1]);
    let truth = Arc::new(Mutex::new(
        File::create(&args[2]).expect("create truth log"),
    ));
    let plain: RateLimiter<
        String,
        DashMapStateStore<String>,
        MonotonicClock,
        NoOpMiddleware<Instant>,
    > = RateLimiter::new(cfg.quota, DashMapStateStore::default(), MonotonicClock);
    let limiter: Limiter = plain.with_middleware::<StateInformationMiddleware>();
    let server = Server::http("127.0.0.1:0").expect("listen on 127.0.0.1");
    let port = server.server_addr().to_ip().expect("ip listener").port();
    let start = Instant::now();
    let ids = RandomState::new();
    println!("READY {}", json!({"port": port, "pid": std::process::id()}));
    std::io::stdout().flush().ok();

    for (seq, req) in server.incoming_requests().enumerate() {
        let seq = seq as u64 + 1;
        let mono_ns = start.elapsed().as_nanos() as u64;
        let t_arrival = SystemTime::now();
        let mut hasher = ids.build_hasher();
        hasher.write_u64(seq);
        let rid = format!(
            "{:016x}{:016x}",
            hasher.finish(),
            mono_ns ^ 0x9e37_79b9_7f4a_7c15
        );
        let token = header(&req, "Authorization").filter(|a| !a.is_empty());
        let ans = decide(&cfg, &limiter, &req, &rid, &token);
        let mut rec = json!({
            "seq": seq, "t": epoch_s(t_arrival), "mono_ns": mono_ns,
            "method": req.method().as_str(), "path": req.url(), "authorization": token,
            "status": ans.status, "decision": ans.decision, "zone": cfg.zone, "request_id": rid,
            "source": header(&req, "X-Lab-Source"), "client": header(&req, "X-Lab-Client"),
            "origin": header(&req, "Origin"),
            "retry_after_s": ans.retry_after_s, "retry_after_exact_s": ans.retry_after_exact_s,
            "remaining": ans.remaining,
        });
        let delay = if ans.status == 200 {
            cfg.processing_ms
        } else {
            0
        };
        let truth = Arc::clone(&truth);
        let respond = move || {
            if delay > 0 {
                std::thread::sleep(Duration::from_millis(delay));
            }
            let mut resp = Response::from_string(ans.body).with_status_code(ans.status);
            for hd in ans.headers {
                resp.add_header(hd);
            }
            let _ = req.respond(resp);
            rec["t_done"] = json!(epoch_s(SystemTime::now()));
            let mut f = truth.lock().expect("truth lock");
            let _ = writeln!(f, "{rec}");
            let _ = f.flush();
        };
        if delay > 0 {
            std::thread::spawn(respond);
        } else {
            respond();
        }
    }
}

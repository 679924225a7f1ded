//! Generates a realistic large HAR capture for benchmarks, deterministic by seed.
//!
//! Chrome-DevTools-style entries against a Genesys-style API and a CDN: bearer tokens of a few
//! clients, CORS preflights, 429s with Retry-After and Genesys' normalized body, inin rate-limit
//! headers, base64 images and escaped JSON/JS text bodies.
//!
//!     cargo run --release --example gen_har -- --mb 500 --seed 1 -o big.har
//!     cargo run --release --example gen_har -- --entries 1000000 --no-bodies -o small.har

use std::fmt::Write as _;
use std::io::{BufWriter, Write};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Options {
    mb: Option<u64>,
    entries: Option<u64>,
    bodies: bool,
    seed: u64,
    out: String,
}

fn options() -> Options {
    let mut o = Options {
        mb: None,
        entries: None,
        bodies: true,
        seed: 1,
        out: String::from("-"),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--mb" => o.mb = value.parse().ok(),
            "--entries" => o.entries = value.parse().ok(),
            "--seed" => o.seed = value.parse().unwrap_or(1),
            "-o" | "--out" => o.out = value,
            "--no-bodies" => {
                o.bodies = false;
                i += 1;
                continue;
            }
            other => {
                eprintln!(
                    "unknown argument {other}: use --mb N | --entries N, --seed N, --no-bodies, -o FILE"
                );
                std::process::exit(2);
            }
        }
        i += 2;
    }
    if o.mb.is_none() && o.entries.is_none() {
        o.mb = Some(100);
    }
    o
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_blob(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| B64[rng.below(64) as usize] as char)
        .collect()
}

fn json_text(rng: &mut Rng, len: usize) -> String {
    // JSON that is itself escaped inside the HAR string
    let mut s = String::with_capacity(len + 64);
    s.push_str("{\\\"entities\\\":[");
    while s.len() < len {
        let _ = write!(
            s,
            "{{\\\"id\\\":\\\"{:08x}-{:04x}\\\",\\\"name\\\":\\\"Queue {}\\\",\\\"memberCount\\\":{}}},",
            rng.next() as u32,
            rng.below(65536),
            rng.below(1000),
            rng.below(300)
        );
    }
    s.push_str("{}]}");
    s
}

fn iso(ms: u64) -> String {
    let secs = ms / 1000;
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    let day = 1 + (secs / 86_400) % 28;
    format!("2026-03-{day:02}T{h:02}:{m:02}:{s:02}.{:03}Z", ms % 1000)
}

fn header(out: &mut String, name: &str, value: &str) {
    let _ = write!(out, "{{\"name\":\"{name}\",\"value\":\"{value}\"}},");
}

fn entry(rng: &mut Rng, o: &Options, n: u64, t_ms: u64, out: &mut String) {
    let api = "api.mypurecloud.com";
    let kind = rng.below(100);
    let preflight = kind < 10;
    let cdn = (10..25).contains(&kind);
    let client = rng.below(4);
    let throttled = !preflight && !cdn && rng.below(100) < 3;
    let (host, method, path) = if cdn {
        (
            "cdn.example.net",
            "GET",
            format!("/assets/img/{:x}.png", rng.below(5000)),
        )
    } else {
        let id = format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            rng.next() as u32,
            rng.below(65536),
            rng.below(4096),
            rng.below(4096),
            rng.next() & 0xffff_ffff_ffff
        );
        let (m, p) = match rng.below(5) {
            0 => ("PUT", format!("/api/v2/architect/ivrs/{id}")),
            1 => ("GET", format!("/api/v2/routing/queues/{id}/members")),
            2 => ("GET", format!("/api/v2/users/{id}")),
            3 => (
                "POST",
                "/api/v2/analytics/conversations/details/query".to_string(),
            ),
            _ => ("GET", format!("/api/v2/conversations/{id}")),
        };
        (api, if preflight { "OPTIONS" } else { m }, p)
    };
    let status = if preflight {
        204
    } else if throttled {
        429
    } else {
        200
    };
    let time = if throttled {
        40.0 + rng.below(200) as f64
    } else {
        20.0 + rng.below(400) as f64 + 0.25
    };
    out.push_str("{\"_initiator\":{\"type\":\"script\",\"stack\":{\"callFrames\":[{\"functionName\":\"send\",\"scriptId\":\"42\",\"url\":\"https://apps.mypurecloud.com/app.js\",\"lineNumber\":1201,\"columnNumber\":17}]}},\"_priority\":\"High\",\"_resourceType\":\"");
    out.push_str(if preflight {
        "preflight"
    } else if cdn {
        "image"
    } else {
        "fetch"
    });
    let _ = write!(
        out,
        "\",\"cache\":{{}},\"connection\":\"{}\",\"pageref\":\"page_1\",",
        40000 + rng.below(100)
    );
    let _ = write!(
        out,
        "\"request\":{{\"method\":\"{method}\",\"url\":\"https://{host}{path}?pageSize=25&pageNumber={}\",\"httpVersion\":\"http/2.0\",\"headers\":[",
        1 + rng.below(9)
    );
    header(out, ":authority", host);
    header(out, ":method", method);
    header(out, ":path", &path);
    header(out, ":scheme", "https");
    header(out, "accept", "application/json, text/plain, */*");
    header(out, "accept-encoding", "gzip, deflate, br");
    header(out, "accept-language", "en-US,en;q=0.9");
    if preflight {
        header(out, "access-control-request-method", "PUT");
        header(
            out,
            "access-control-request-headers",
            "authorization,content-type",
        );
    } else if !cdn {
        let token = format!(
            "Bearer g{client}{:040x}",
            (client + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        );
        header(out, "authorization", &token);
    }
    header(out, "origin", "https://apps.mypurecloud.com");
    header(out, "referer", "https://apps.mypurecloud.com/directory/");
    header(out, "sec-fetch-mode", "cors");
    header(
        out,
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    );
    out.pop();
    out.push_str("],\"queryString\":[{\"name\":\"pageSize\",\"value\":\"25\"}],\"cookies\":[],\"headersSize\":-1,\"bodySize\":0},");
    let _ = write!(
        out,
        "\"response\":{{\"status\":{status},\"statusText\":\"\",\"httpVersion\":\"http/2.0\",\"headers\":["
    );
    let corr = format!(
        "{:08x}-{:04x}-{:04x}",
        rng.next() as u32,
        rng.below(65536),
        rng.below(65536)
    );
    header(
        out,
        "content-type",
        if cdn { "image/png" } else { "application/json" },
    );
    header(out, "date", "Tue, 03 Mar 2026 10:00:00 GMT");
    header(out, "inin-correlation-id", &corr);
    header(
        out,
        "strict-transport-security",
        "max-age=600; includeSubDomains",
    );
    header(out, "cache-control", "no-cache, no-store, must-revalidate");
    if !cdn && !preflight {
        let count = 1 + (n / 4) % 300;
        header(out, "inin-ratelimit-count", &count.to_string());
        header(out, "inin-ratelimit-allowed", "300");
        header(out, "inin-ratelimit-reset", &(60 - (n % 60)).to_string());
    }
    if throttled {
        header(out, "retry-after", &(1 + rng.below(59)).to_string());
    }
    if preflight {
        header(out, "access-control-max-age", "0");
    }
    out.pop();
    out.push_str("],\"cookies\":[],\"content\":{");
    if throttled {
        let ra = 1 + rng.below(59);
        let _ = write!(
            out,
            "\"size\":180,\"mimeType\":\"application/json\",\"text\":\"{{\\\"message\\\":\\\"Rate limit exceeded the maximum. Retry the request in [{ra}] seconds\\\",\\\"code\\\":\\\"too.many.requests.retry.after\\\",\\\"status\\\":429,\\\"contextId\\\":\\\"{corr}\\\",\\\"details\\\":[],\\\"errors\\\":[]}}\""
        );
    } else if !o.bodies || preflight {
        out.push_str("\"size\":0,\"mimeType\":\"x-unknown\"");
    } else if cdn {
        let len = 6_000 + rng.below(30_000) as usize;
        let _ = write!(
            out,
            "\"size\":{},\"mimeType\":\"image/png\",\"encoding\":\"base64\",\"text\":\"{}\"",
            len * 3 / 4,
            base64_blob(rng, len)
        );
    } else {
        let len = 1_000 + rng.below(14_000) as usize;
        let _ = write!(
            out,
            "\"size\":{len},\"mimeType\":\"application/json\",\"text\":\"{}\"",
            json_text(rng, len)
        );
    }
    let _ = write!(
        out,
        "}},\"redirectURL\":\"\",\"headersSize\":-1,\"bodySize\":-1,\"_transferSize\":{},\"_error\":null}},",
        300 + rng.below(9000)
    );
    let _ = write!(
        out,
        "\"serverIPAddress\":\"203.0.113.{}\",\"startedDateTime\":\"{}\",\"time\":{time},",
        rng.below(250),
        iso(t_ms)
    );
    let _ = write!(
        out,
        "\"timings\":{{\"blocked\":0.412,\"dns\":-1,\"ssl\":-1,\"connect\":-1,\"send\":0.091,\"wait\":{:.3},\"receive\":1.204,\"_blocked_queueing\":0.3}}}}",
        (time - 1.707).max(0.0)
    );
}

fn main() -> std::io::Result<()> {
    let o = options();
    let sink: Box<dyn Write> = if o.out == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(std::fs::File::create(&o.out)?)
    };
    let (n, written) = write_capture(&o, sink)?;
    eprintln!("{n} entries, {:.1} MB", written as f64 / 1e6);
    Ok(())
}

/// Writes the capture `o` describes; returns (entries, bytes).
fn write_capture(o: &Options, sink: impl Write) -> std::io::Result<(u64, u64)> {
    let mut rng = Rng(o.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut w = BufWriter::with_capacity(1 << 20, sink);
    w.write_all(b"{\"log\":{\"version\":\"1.2\",\"creator\":{\"name\":\"WebInspector\",\"version\":\"537.36\"},\"pages\":[{\"startedDateTime\":\"2026-03-01T00:00:00.000Z\",\"id\":\"page_1\",\"title\":\"Directory\",\"pageTimings\":{\"onContentLoad\":401.2,\"onLoad\":882.9}}],\"entries\":[\n")?;
    let limit_bytes = o.mb.map(|m| m * 1_000_000);
    let mut written: u64 = 0;
    let mut n: u64 = 0;
    let mut t_ms: u64 = 0;
    let mut buf = String::with_capacity(64 * 1024);
    loop {
        if o.entries.is_some_and(|e| n >= e) || limit_bytes.is_some_and(|b| written >= b) {
            break;
        }
        buf.clear();
        if n > 0 {
            buf.push_str(",\n");
        }
        t_ms += 5 + rng.below(120);
        entry(&mut rng, o, n, t_ms, &mut buf);
        w.write_all(buf.as_bytes())?;
        written += buf.len() as u64;
        n += 1;
    }
    w.write_all(b"\n]}}\n")?;
    w.flush()?;
    Ok((n, written))
}

/// A capture of `entries` entries without bodies (headers only, as a polling UI produces),
/// written to `sink`: the shape of the day-long captures the memory test measures.
#[allow(dead_code)] // used by tests/memory.rs, which includes this file
pub fn small_capture(entries: u64, seed: u64, sink: impl Write) -> std::io::Result<(u64, u64)> {
    let o = Options {
        mb: None,
        entries: Some(entries),
        bodies: false,
        seed,
        out: String::new(),
    };
    write_capture(&o, sink)
}

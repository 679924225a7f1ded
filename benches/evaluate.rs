//! The window engine on a large synthetic capture: 1,000,000 requests against 5 layers.
//!
//! Run with `cargo bench --bench evaluate`. The capture is built in memory (no parsing) so the
//! figure is the evaluate stage alone: partitioning, sliding and fixed windows, concurrency.

use why429::evaluate::{self, Options};
use why429::model::{Auth, Capture, Method, Request, Scheme, User, time};
use why429::profiles::{self, Profile};

const REQUESTS: usize = 1_000_000;

fn capture() -> Capture {
    let mut c = Capture {
        hosts: vec!["api.mypurecloud.de".into()],
        users: vec![User {
            label: "user-1".into(),
            from_claim: false,
        }],
        ..Capture::default()
    };
    let templates = [
        "/api/v2/architect/ivrs/{ivrId}",
        "/api/v2/users/{userId}",
        "/api/v2/routing/queues/{queueId}/members",
        "/api/v2/conversations/{conversationId}",
    ];
    for (i, t) in templates.iter().enumerate() {
        c.templates.push(t.to_string());
        c.paths
            .push(&t.replace('{', "x").replace('}', &i.to_string()));
    }
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut t = 1_700_000_000 * time::SECOND;
    for i in 0..REQUESTS {
        let x = next();
        t += (x % 40_000) as i64; // ~50 requests per second
        let endpoint = (x >> 20) as u32 % 4;
        c.requests.push(Request {
            entry: i as u32,
            start: t,
            utc_offset_s: 0,
            duration: 50_000 + (x >> 32) as i64 % 400_000,
            sent: 0,
            method: if endpoint == 0 {
                Method::Put
            } else {
                Method::Get
            },
            scheme: Scheme::Https,
            host: 0,
            path: endpoint,
            template: endpoint,
            status: if x % 50 == 0 { 429 } else { 200 },
            is_preflight: false,
            from_cache: false,
            auth: Auth::Bearer,
            client: Some((x >> 40) as u32 % 8).into(),
            token: Some((x >> 40) as u32 % 16).into(),
            user: 0,
            quotas_at: 0,
            quotas_len: 0,
            signals: None,
            correlation: None.into(),
            throttled: x % 50 == 0,
            page_size: None.into(),
        });
    }
    c
}

fn profile() -> Profile {
    let mut p = profiles::builtin_named("genesys-cloud").expect("built-in");
    // token, client credentials, app+user, user, the IVR resource limit: 5 layers
    p.layers.truncate(5);
    p
}

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 5)]
fn evaluate_1m_requests_5_layers(bencher: divan::Bencher) {
    let c = capture();
    let p = [profile()];
    assert_eq!(p[0].layers.len(), 5);
    bencher.bench(|| evaluate::evaluate(&c, &p, Options::default()));
}

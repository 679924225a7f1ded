//! Every server-log parser over arbitrary bytes, with the reader's own properties checked.
//! Shared by the `serverlog` fuzz target (`fuzz/`) and the regression test that replays its
//! past findings (`fixtures/bad/serverlog-*`), so both run exactly the same checks. The first
//! byte picks the format (auto-detection, each format with its default, each with a custom
//! format string, or a format string read from the input's first line) and the chunk size
//! the bytes are fed in. A panic is a bug; so is a log that reads differently when fed in
//! other chunks, or that breaks the reader's bookkeeping.

use why429::model::server::MAX_LISTED_PROBLEMS;
use why429::normalize::FingerprintKey;
use why429::normalize::serverlog::{self, FormatChoice, UsageGranularity};

const NGINX: &str = r#"log_format ratelimit '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time "$http_authorization" $limit_req_status $upstream_http_inin_correlation_id';"#;
const NGINX_JSON: &str = r#"log_format j escape=json '{"time":"$time_iso8601","msec":"$msec","request":"$request","status":$status,"request_time":$request_time,"auth":"$http_authorization"}';"#;
const APACHE: &str = r#"%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\" %D %{X-Request-Id}i %{%Y-%m-%dT%H:%M:%S%z}t"#;

/// Reads `data` (a mode byte, then the log) and checks the result.
pub fn run(data: &[u8]) {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    let mut bytes = bytes;
    let choice = match mode % 13 {
        0 => FormatChoice::Auto,
        1 => FormatChoice::Generic,
        2 => FormatChoice::Nginx(None),
        3 => FormatChoice::Nginx(Some(NGINX.into())),
        4 => FormatChoice::NginxJson(None),
        5 => FormatChoice::NginxJson(Some(NGINX_JSON.into())),
        6 => FormatChoice::Apache(None),
        7 => FormatChoice::Apache(Some(APACHE.into())),
        8 => FormatChoice::Envoy,
        9 => FormatChoice::GenesysUsage(None),
        10 => FormatChoice::GenesysUsage(Some(UsageGranularity::Month)),
        _ => {
            // the first line is a --server-log-format value, the rest the log
            let end = bytes
                .iter()
                .position(|b| *b == b'\n')
                .unwrap_or(bytes.len());
            let Ok(spec) = std::str::from_utf8(&bytes[..end]) else {
                return;
            };
            let Ok(choice) = FormatChoice::parse(spec) else {
                return;
            };
            bytes = bytes.get(end + 1..).unwrap_or(&[]);
            choice
        }
    };
    let key = FingerprintKey::from_passphrase("fuzz");
    let chunk = [1usize, 7, 4096][usize::from(mode >> 5) % 3];
    let chunk = if bytes.len() > 8192 {
        chunk.max(97)
    } else {
        chunk
    };
    let whole = serverlog::read_bytes("fuzz.log", bytes, &choice, &key, 1 << 20);
    let pieces = serverlog::read_bytes("fuzz.log", bytes, &choice, &key, chunk);
    assert_eq!(whole, pieces, "chunking changed the result");
    if let Ok(log) = whole {
        assert!(!log.records.is_empty());
        assert!(log.problems.len() <= MAX_LISTED_PROBLEMS);
        assert!(log.unparsed >= log.problems.len() as u64);
        for p in &log.problems {
            assert!(
                p.line >= 1 && p.line <= log.lines + 1,
                "problem line out of range"
            );
        }
        for w in log.records.windows(2) {
            assert!(w[0].time <= w[1].time, "records out of time order");
        }
        for r in &log.records {
            assert!(r.throttled <= r.count);
        }
        let report = why429::report::ServerLogReport::from(&log);
        assert!(serde_json::to_string(&report).is_ok());
    }
}

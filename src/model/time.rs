//! Instants and durations on the capture's own clock.
//!
//! Owns the microsecond representation every later stage computes with (`Micros`, UTC since
//! the Unix epoch) and its RFC 3339 formatting. It must not read the system clock: "now" in
//! why429 is always a time taken from a capture.

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone, Utc};

/// Microseconds: an instant (since 1970-01-01T00:00:00Z) or a duration, depending on use.
pub type Micros = i64;

/// One second in [`Micros`].
pub const SECOND: Micros = 1_000_000;
/// One millisecond in [`Micros`].
pub const MILLISECOND: Micros = 1_000;

/// Converts seconds (possibly fractional) to [`Micros`], saturating on overflow.
pub fn secs(s: f64) -> Micros {
    let v = (s * SECOND as f64).round();
    if v.is_nan() {
        0
    } else if v >= i64::MAX as f64 {
        i64::MAX
    } else if v <= i64::MIN as f64 {
        i64::MIN
    } else {
        v as i64
    }
}

/// Converts [`Micros`] to fractional seconds.
pub fn as_secs(us: Micros) -> f64 {
    us as f64 / SECOND as f64
}

/// RFC 3339 in UTC with millisecond precision, e.g. `2025-03-27T22:30:02.546Z`.
pub fn rfc3339_utc(us: Micros) -> String {
    match Utc.timestamp_micros(us).single() {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::Millis, true),
        None => String::from("invalid-time"),
    }
}

/// RFC 3339 in the capture's local offset, e.g. `2025-03-27T23:30:02.546+01:00`.
pub fn rfc3339_local(us: Micros, offset_s: i32) -> String {
    let Some(offset) = FixedOffset::east_opt(offset_s) else {
        return rfc3339_utc(us);
    };
    match offset.timestamp_micros(us).single() {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::Millis, false),
        None => String::from("invalid-time"),
    }
}

/// RFC 3339 in the given offset with microsecond precision, the form that reads back to the
/// same instant and offset, e.g. `2025-03-27T23:30:02.546000+01:00`.
pub fn rfc3339_exact(us: Micros, offset_s: i32) -> String {
    let offset = FixedOffset::east_opt(offset_s)
        .unwrap_or(FixedOffset::east_opt(0).expect("0 is a valid offset"));
    match offset.timestamp_micros(us).single() {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::Micros, false),
        None => String::from("invalid-time"),
    }
}

/// An HTTP date (IMF-fixdate), e.g. `Thu, 27 Mar 2025 22:30:02 GMT`.
pub fn http_date(us: Micros) -> String {
    match Utc.timestamp_micros(us).single() {
        Some(t) => t.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        None => String::from("invalid-time"),
    }
}

/// Local wall-clock time of day with milliseconds, e.g. `23:30:02.546`.
pub fn clock_local(us: Micros, offset_s: i32) -> String {
    local(us, offset_s)
        .map(|t| t.format("%H:%M:%S%.3f").to_string())
        .unwrap_or_else(|| String::from("--:--:--"))
}

/// `+01:00`-style label of a UTC offset.
pub fn offset_label(offset_s: i32) -> String {
    let sign = if offset_s < 0 { '-' } else { '+' };
    let a = offset_s.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
}

fn local(us: Micros, offset_s: i32) -> Option<DateTime<FixedOffset>> {
    FixedOffset::east_opt(offset_s)?
        .timestamp_micros(us)
        .single()
}

/// Human duration: `243 ms`, `6.3 s`, `3 min 15 s`, `2 h 5 min`.
pub fn human_duration(us: Micros) -> String {
    let us = us.max(0);
    if us < SECOND {
        return format!("{} ms", (us + 500) / MILLISECOND);
    }
    if us < 60 * SECOND {
        let s = as_secs(us);
        return if s < 10.0 {
            format!("{s:.1} s")
        } else {
            format!("{s:.0} s")
        };
    }
    let total_s = (us + SECOND / 2) / SECOND;
    if total_s < 3600 {
        let (m, s) = (total_s / 60, total_s % 60);
        return if s == 0 {
            format!("{m} min")
        } else {
            format!("{m} min {s} s")
        };
    }
    let (h, m) = (total_s / 3600, (total_s % 3600) / 60);
    format!("{h} h {m} min")
}

/// A number without a trailing `.0` and with at most three decimals: `5`, `0.5`, `16.667`.
pub fn number_label(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A window length for display: `60 s`, `500 ms`, `1 h`.
pub fn window_label(us: Micros) -> String {
    if us % (3600 * SECOND) == 0 && us >= 3600 * SECOND {
        format!("{} h", us / (3600 * SECOND))
    } else if us % SECOND == 0 {
        format!("{} s", us / SECOND)
    } else {
        format!("{} ms", us / MILLISECOND)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_and_local() {
        let t = 1_743_114_602_546_000; // 2025-03-27T22:30:02.546Z
        assert_eq!(rfc3339_utc(t), "2025-03-27T22:30:02.546Z");
        assert_eq!(rfc3339_local(t, 3600), "2025-03-27T23:30:02.546+01:00");
        assert_eq!(clock_local(t, 3600), "23:30:02.546");
        assert_eq!(offset_label(3600), "UTC+01:00");
        assert_eq!(offset_label(-4 * 3600 - 1800), "UTC-04:30");
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(243 * MILLISECOND), "243 ms");
        assert_eq!(human_duration(6_297 * MILLISECOND), "6.3 s");
        assert_eq!(human_duration(55 * SECOND), "55 s");
        assert_eq!(human_duration(195 * SECOND), "3 min 15 s");
        assert_eq!(human_duration(7500 * SECOND), "2 h 5 min");
        assert_eq!(window_label(60 * SECOND), "60 s");
        assert_eq!(window_label(500 * MILLISECOND), "500 ms");
        assert_eq!(window_label(3600 * SECOND), "1 h");
    }

    #[test]
    fn secs_saturates() {
        assert_eq!(secs(1e300), i64::MAX);
        assert_eq!(secs(-1e300), i64::MIN);
        assert_eq!(secs(f64::NAN), 0);
        assert_eq!(secs(1.5), 1_500_000);
    }
}

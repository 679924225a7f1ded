//! Times as server logs write them: RFC 3339 with a zone, the common log format's
//! `28/Nov/2026:03:06:37 +0000`, epoch seconds / milliseconds / microseconds, and Apache's
//! `%{strftime}t`.
//!
//! Owns turning each into UTC microseconds plus the precision the text carries (a time logged
//! to the second cannot place a request closer than a second). A time without a zone is an
//! error, never read as UTC: a server's local clock could be any offset. Pure; the error
//! texts are why429's wording and never quote the value.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};

use crate::model::Micros;
use crate::model::time::{MILLISECOND, SECOND};

/// A time read from a log: UTC µs and the precision of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// UTC microseconds since the epoch.
    pub at: Micros,
    /// The precision of the text: 1 s for whole seconds, 1 ms for three decimals, ...
    pub resolution: Micros,
}

/// Earliest plausible log time (1990-01-01): anything earlier is a unit mistake.
const EARLIEST: Micros = 631_152_000 * SECOND;
/// Latest plausible log time (2200-01-01).
const LATEST: Micros = 7_258_118_400 * SECOND;

fn plausible(at: Micros) -> Result<Micros, &'static str> {
    if (EARLIEST..LATEST).contains(&at) {
        Ok(at)
    } else {
        Err("the time is outside 1990–2200")
    }
}

/// Precision of `digits` fractional digits of a second.
fn resolution_of(digits: usize) -> Micros {
    match digits {
        0 => SECOND,
        1 => 100 * MILLISECOND,
        2 => 10 * MILLISECOND,
        3 => MILLISECOND,
        4 => 100,
        5 => 10,
        _ => 1,
    }
}

/// RFC 3339 / ISO 8601 with a zone: `2026-11-28T03:06:37.043Z`, `...+01:00`, `...+0100`.
pub fn rfc3339(s: &str) -> Result<Stamp, &'static str> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 19 || !b.is_ascii() {
        return Err("the time is not an RFC 3339 date and time");
    }
    // the zone must be stated: `Z` or an offset after the time of day
    let time_part = &b[11..];
    if !time_part
        .iter()
        .any(|c| matches!(c, b'Z' | b'z' | b'+' | b'-'))
    {
        return Err("the time has no zone (Z or ±hh:mm): it is not read as UTC");
    }
    let (at, _) =
        crate::normalize::time::parse_started(s).ok_or("the time is not a valid RFC 3339 time")?;
    let digits = match s.find(['.', ',']) {
        Some(dot) => b[dot + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count(),
        None => 0,
    };
    Ok(Stamp {
        at: plausible(at)?,
        resolution: resolution_of(digits),
    })
}

const MONTHS: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// The common log format's time, as nginx `$time_local` and Apache `%t` write it:
/// `28/Nov/2026:03:06:37 +0000` (square brackets around it are accepted).
pub fn clf(s: &str) -> Result<Stamp, &'static str> {
    const BAD: &str = "the time is not a dd/Mon/yyyy:hh:mm:ss ±hhmm time";
    let s = s.trim();
    let s = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s);
    let b = s.as_bytes();
    if b.len() < 20 || !b.is_ascii() {
        return Err(BAD);
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let t = b.get(r)?;
        if t.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(t).ok()?.parse().ok()
        } else {
            None
        }
    };
    let day = num(0..2).ok_or(BAD)?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(&b[3..6]))
        .ok_or(BAD)? as u32
        + 1;
    let year = num(7..11).ok_or(BAD)? as i32;
    if b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[14] != b':' || b[17] != b':' {
        return Err(BAD);
    }
    let hour = num(12..14).ok_or(BAD)?;
    let minute = num(15..17).ok_or(BAD)?;
    let second = num(18..20).ok_or(BAD)?;
    let mut i = 20;
    let mut micros = 0u32;
    let mut digits = 0usize;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            if digits < 6 {
                micros = micros * 10 + u32::from(d - b'0');
            }
            digits += 1;
            i += 1;
        }
        for _ in digits.min(6)..6 {
            micros *= 10;
        }
    }
    let rest = s[i..].trim_start();
    if rest.is_empty() {
        return Err("the time has no zone (±hhmm): it is not read as UTC");
    }
    let offset = offset_seconds(rest).ok_or(BAD)?;
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or(BAD)?;
    let (second, micros) = if second == 60 {
        (59, 999_999)
    } else {
        (second, micros)
    };
    let time = NaiveTime::from_hms_micro_opt(hour, minute, second, micros).ok_or(BAD)?;
    let local = NaiveDateTime::new(date, time).and_utc().timestamp_micros();
    Ok(Stamp {
        at: plausible(local - i64::from(offset) * SECOND)?,
        resolution: resolution_of(digits),
    })
}

/// `+0100`, `-07:00`, `Z`, `+01` → seconds east.
fn offset_seconds(s: &str) -> Option<i32> {
    if s.eq_ignore_ascii_case("z") || s == "GMT" || s == "UTC" {
        return Some(0);
    }
    let b = s.as_bytes();
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: Vec<u8> = b[1..].iter().copied().filter(|c| *c != b':').collect();
    if !digits.iter().all(u8::is_ascii_digit) || !(digits.len() == 2 || digits.len() == 4) {
        return None;
    }
    let h = i32::from(digits[0] - b'0') * 10 + i32::from(digits[1] - b'0');
    let m = if digits.len() == 4 {
        i32::from(digits[2] - b'0') * 10 + i32::from(digits[3] - b'0')
    } else {
        0
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// The unit of an epoch number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpochUnit {
    /// Seconds (nginx `$msec`, Apache `%{sec}t`).
    Seconds,
    /// Milliseconds (Apache `%{msec}t`).
    Millis,
    /// Microseconds (Apache `%{usec}t`).
    Micros,
    /// Told by the size of the number: below 10¹¹ seconds, below 10¹⁴ milliseconds, below
    /// 10¹⁷ microseconds, else nanoseconds (any of them is a time between 1973 and 5138).
    Detect,
}

/// An epoch number given as text (`1764299197.043`, `1764299197043`).
pub fn epoch(s: &str, unit: EpochUnit) -> Result<Stamp, &'static str> {
    const BAD: &str = "the time is not an epoch number";
    let s = s.trim();
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty()
        || int.len() > 19
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
    {
        return Err(BAD);
    }
    let whole: u64 = int.parse().map_err(|_| BAD)?;
    let unit = match unit {
        EpochUnit::Detect => match whole {
            0..100_000_000_000 => EpochUnit::Seconds,
            100_000_000_000..100_000_000_000_000 => EpochUnit::Millis,
            100_000_000_000_000..100_000_000_000_000_000 => EpochUnit::Micros,
            _ => {
                // nanoseconds: keep the microseconds
                let us = i64::try_from(whole / 1000).map_err(|_| BAD)?;
                return Ok(Stamp {
                    at: plausible(us)?,
                    resolution: 1,
                });
            }
        },
        u => u,
    };
    // the fraction to six digits (of the unit), and how many digits it had
    let digits = frac.len();
    let mut f: u64 = 0;
    for c in frac.bytes().take(6) {
        f = f * 10 + u64::from(c - b'0');
    }
    for _ in digits.min(6)..6 {
        f *= 10;
    }
    let (scale, base_resolution): (u64, Micros) = match unit {
        EpochUnit::Seconds => (1_000_000, SECOND),
        EpochUnit::Millis => (1_000, MILLISECOND),
        _ => (1, 1),
    };
    let at = whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(f * scale / 1_000_000))
        .and_then(|v| i64::try_from(v).ok())
        .ok_or(BAD)?;
    let resolution = match digits {
        0 => base_resolution,
        d => (base_resolution / 10i64.pow(d.min(6) as u32)).max(1),
    };
    Ok(Stamp {
        at: plausible(at)?,
        resolution,
    })
}

/// A time written with an Apache `%{format}t` strftime format. The format must print a zone
/// (`%z`), since a local time without one cannot be placed.
pub fn strftime(s: &str, format: &str) -> Result<Stamp, &'static str> {
    let s = s.trim();
    match DateTime::parse_from_str(s, format) {
        Ok(t) => {
            let digits = if format.contains("%f") || format.contains("%6f") {
                6
            } else if format.contains("%3f") {
                3
            } else {
                0
            };
            Ok(Stamp {
                at: plausible(t.timestamp_micros())?,
                resolution: resolution_of(digits),
            })
        }
        Err(_) if NaiveDateTime::parse_from_str(s, format).is_ok() => {
            Err("the time has no zone (the format has no %z): it is not read as UTC")
        }
        Err(_) => Err("the time does not match the %{...}t format"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Micros = 1_795_835_197_000_000; // 2026-11-28T03:06:37Z

    #[test]
    fn rfc3339_needs_a_zone() {
        assert_eq!(
            rfc3339("2026-11-28T03:06:37.043Z"),
            Ok(Stamp {
                at: T + 43_000,
                resolution: MILLISECOND
            })
        );
        assert_eq!(rfc3339("2026-11-28T04:06:37+01:00").map(|s| s.at), Ok(T));
        assert_eq!(rfc3339("2026-11-28T04:06:37+0100").map(|s| s.at), Ok(T));
        assert_eq!(rfc3339("2026-11-28T03:06:37Z").unwrap().resolution, SECOND);
        assert!(
            rfc3339("2026-11-28T03:06:37")
                .unwrap_err()
                .contains("no zone")
        );
        assert!(rfc3339("2026-11-28 03:06:37.5").is_err());
        assert!(rfc3339("2026-02-30T03:06:37Z").is_err());
        assert!(rfc3339("1970-01-01T00:00:00Z").is_err());
        assert!(rfc3339("é").is_err());
    }

    #[test]
    fn common_log_format() {
        assert_eq!(
            clf("28/Nov/2026:03:06:37 +0000"),
            Ok(Stamp {
                at: T,
                resolution: SECOND
            })
        );
        assert_eq!(clf("[27/Nov/2026:19:06:37 -0800]").map(|s| s.at), Ok(T));
        assert_eq!(
            clf("28/Nov/2026:03:06:37.250 +0000").map(|s| (s.at, s.resolution)),
            Ok((T + 250_000, MILLISECOND))
        );
        assert!(clf("28/Nov/2026:03:06:37").unwrap_err().contains("no zone"));
        assert!(clf("28/Foo/2026:03:06:37 +0000").is_err());
        assert!(clf("31/Nov/2026:03:06:37 +0000").is_err());
        assert!(clf("28/Nov/2026:03:06:37 +9900").is_err());
        assert!(clf("").is_err());
    }

    #[test]
    fn epoch_units_are_detected_by_size() {
        let s = |v: &str| epoch(v, EpochUnit::Detect).map(|s| (s.at, s.resolution));
        assert_eq!(s("1795835197"), Ok((T, SECOND)));
        assert_eq!(s("1795835197.043"), Ok((T + 43_000, MILLISECOND)));
        assert_eq!(s("1795835197043"), Ok((T + 43_000, MILLISECOND)));
        assert_eq!(s("1795835197043210"), Ok((T + 43_210, 1)));
        assert_eq!(s("1795835197043210987"), Ok((T + 43_210, 1)));
        assert!(s("12").is_err());
        assert!(s("-1795835197").is_err());
        assert!(s("1e9").is_err());
        assert!(s("99999999999999999999").is_err());
        assert_eq!(
            epoch("1795835197043", EpochUnit::Millis).map(|s| s.at),
            Ok(T + 43_000)
        );
    }

    #[test]
    fn strftime_needs_a_zone() {
        assert_eq!(
            strftime("2026-11-28 03:06:37 +0000", "%Y-%m-%d %H:%M:%S %z").map(|s| s.at),
            Ok(T)
        );
        assert!(
            strftime("2026-11-28 03:06:37", "%Y-%m-%d %H:%M:%S")
                .unwrap_err()
                .contains("no zone")
        );
        assert!(strftime("x", "%Y").is_err());
        assert!(strftime("2026", "%Q%").is_err());
    }
}

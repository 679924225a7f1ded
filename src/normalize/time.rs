//! Lenient ISO 8601 / RFC 3339 parsing of `startedDateTime`, and HTTP-dates.
//!
//! Owns turning every timestamp shape real producers write (0–9 fractional digits, `Z`,
//! `±hh:mm`, `±hhmm`, no offset, a space instead of `T`) into UTC microseconds plus the original
//! offset. Impossible dates are rejected, never guessed. Pure.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::model::Micros;

/// Parses `startedDateTime`; returns (UTC µs, offset seconds east).
pub fn parse_started(s: &str) -> Option<(Micros, i32)> {
    let b = s.trim().as_bytes();
    let mut p = Cursor { b, i: 0 };
    let year = p.digits(4, 4)? as i32;
    p.eat(b'-')?;
    let month = p.digits(2, 2)?;
    p.eat(b'-')?;
    let day = p.digits(2, 2)?;
    if !(p.eat(b'T').is_some() || p.eat(b't').is_some() || p.eat(b' ').is_some()) {
        return None;
    }
    let hour = p.digits(2, 2)?;
    p.eat(b':')?;
    let minute = p.digits(2, 2)?;
    let mut second = 0u32;
    let mut micros = 0u32;
    if p.eat(b':').is_some() {
        second = p.digits(2, 2)?;
        if p.eat(b'.').is_some() || p.eat(b',').is_some() {
            let start = p.i;
            let mut frac: u64 = 0;
            let mut n = 0;
            while let Some(d) = p.peek().filter(u8::is_ascii_digit) {
                if n < 6 {
                    frac = frac * 10 + (d - b'0') as u64;
                }
                n += 1;
                p.i += 1;
            }
            if p.i == start || n > 12 {
                return None;
            }
            for _ in n..6 {
                frac *= 10;
            }
            micros = frac as u32;
        }
    }
    let offset = match p.peek() {
        None => 0,
        Some(b'Z') | Some(b'z') => {
            p.i += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            p.i += 1;
            let h = p.digits(2, 2)? as i32;
            p.eat(b':');
            let m = p.digits(2, 2).unwrap_or(0) as i32;
            if h > 23 || m > 59 {
                return None;
            }
            let o = h * 3600 + m * 60;
            if sign == b'-' { -o } else { o }
        }
        Some(_) => return None,
    };
    if p.i != b.len() {
        return None;
    }
    // a leap second is read as the last microsecond of the minute
    let (second, micros) = if second == 60 {
        (59, 999_999)
    } else {
        (second, micros)
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let time = NaiveTime::from_hms_micro_opt(hour, minute, second, micros)?;
    let local = NaiveDateTime::new(date, time);
    let utc = local.and_utc().timestamp_micros() - offset as i64 * 1_000_000;
    Some((utc, offset))
}

/// Parses an HTTP-date (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 850 or asctime) to UTC µs.
pub fn parse_http_date(s: &str) -> Option<Micros> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc2822(s) {
        return Some(t.timestamp_micros());
    }
    for fmt in ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    None
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> Option<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        let mut v: u32 = 0;
        while self.i - start < max {
            match self.peek() {
                Some(d) if d.is_ascii_digit() => {
                    v = v * 10 + (d - b'0') as u32;
                    self.i += 1;
                }
                _ => break,
            }
        }
        (self.i - start >= min).then_some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Micros = 1_743_114_602_316_000; // 2025-03-27T22:30:02.316Z

    #[test]
    fn every_producer_shape() {
        for (s, off) in [
            ("2025-03-27T22:30:02.316Z", 0),
            ("2025-03-27T23:30:02.316+01:00", 3600),
            ("2025-03-27T23:30:02.316000+01:00", 3600),
            ("2025-03-27T23:30:02.3160000+01:00", 3600),
            ("2025-03-27T23:30:02.316+0100", 3600),
            ("2025-03-27T15:30:02.316-07:00", -7 * 3600),
            ("2025-03-27 22:30:02.316", 0),
        ] {
            assert_eq!(parse_started(s), Some((T, off)), "{s}");
        }
        // two fractional digits (IE11) and none
        assert_eq!(
            parse_started("2025-03-27T22:30:02.31Z"),
            Some((T - 6_000, 0))
        );
        assert_eq!(
            parse_started("2025-03-27T22:30:02Z"),
            Some((T - 316_000, 0))
        );
    }

    #[test]
    fn impossible_or_empty_dates_are_rejected() {
        for s in [
            "",
            "2025-02-30T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-03-27T25:00:00Z",
            "2025-03-27T22:30:02.Z",
            "2025-03-27T22:30:02.316+25:00",
            "not a date",
            "2025-03-27T22:30:02.316Z trailing",
        ] {
            assert_eq!(parse_started(s), None, "{s}");
        }
    }

    #[test]
    fn http_dates() {
        let t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(t, 784_111_777_000_000);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(t));
        assert_eq!(parse_http_date("55"), None);
    }
}

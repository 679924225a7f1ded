//! The parse floor: a bare serde_json streaming parse of a HAR, for comparison with why429.
//!
//! Reads through a 1 MiB BufReader, visits `log.entries` one by one and deserializes only
//! startedDateTime, time, method, url, request and response headers and status — bodies are
//! skipped with `IgnoredAny`. Counts entries and 429s so the work cannot be optimised away.
//!
//!     cargo run --release --example parse_floor -- big.har

use std::fmt;
use std::fs::File;
use std::io::BufReader;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

#[derive(Deserialize)]
struct Header {
    #[allow(dead_code)]
    name: String,
    #[allow(dead_code)]
    value: String,
}

#[derive(Deserialize)]
struct Request {
    #[allow(dead_code)]
    method: String,
    #[allow(dead_code)]
    url: String,
    #[allow(dead_code)]
    headers: Vec<Header>,
}

#[derive(Deserialize)]
struct Response {
    status: i64,
    #[allow(dead_code)]
    headers: Vec<Header>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[allow(dead_code)]
    started_date_time: String,
    #[allow(dead_code)]
    time: f64,
    #[allow(dead_code)]
    request: Request,
    response: Response,
}

#[derive(Default)]
struct Tally {
    entries: u64,
    throttled: u64,
}

struct Entries<'a>(&'a mut Tally);

impl<'de> Visitor<'de> for Entries<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("entries")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(e) = seq.next_element::<Entry>()? {
            self.0.entries += 1;
            self.0.throttled += u64::from(e.response.status == 429);
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Entries<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

struct Log<'a>(&'a mut Tally);

impl<'de> Visitor<'de> for Log<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a log")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<String>()? {
            if k == "entries" {
                map.next_value_seed(Entries(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Log<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

struct Har<'a>(&'a mut Tally);

impl<'de> Visitor<'de> for Har<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<String>()? {
            if k == "log" {
                map.next_value_seed(Log(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: parse_floor FILE.har");
        std::process::exit(2);
    });
    let file = File::open(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2);
    });
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 20, file));
    let mut tally = Tally::default();
    if let Err(e) = de.deserialize_map(Har(&mut tally)) {
        eprintln!("{path}: {e}");
        std::process::exit(2);
    }
    println!("{} entries, {} × 429", tally.entries, tally.throttled);
}

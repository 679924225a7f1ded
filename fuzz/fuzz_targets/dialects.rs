//! Fuzz target: the rate-limit dialect readers and writers. The input is a response: a first
//! line `host status`, then `name: value` header lines, a blank line, and the body. Reading
//! must not panic, and what a sanitized copy writes (numbers, codes, stand-in names) must read
//! back to the same facts — the property `why429 sanitize` relies on.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/integration/roundtrip.rs"]
mod roundtrip;

fuzz_target!(|data: &[u8]| roundtrip::check(data));

//! Fuzz target: arbitrary text as a limit profile (TOML) → parse and validate. Errors are
//! expected; a panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = why429::profiles::parse::parse("fuzz.toml", text);
    }
});

//! Fuzz target: arbitrary bytes as a server log, through every parser (see
//! `tests/integration/serverlog_exercise.rs` for the mode byte and the properties checked).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/integration/serverlog_exercise.rs"]
mod serverlog_exercise;

fuzz_target!(|data: &[u8]| {
    serverlog_exercise::run(data);
});

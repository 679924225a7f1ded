//! Fuzz target: arbitrary bytes as a capture on stdin → read → analyze → report → every
//! renderer and the SVG chart. The first byte picks strict or `--partial` reading and whether
//! the PNG chart is rasterized too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/integration/exercise.rs"]
#[allow(dead_code)]
mod exercise;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    let settings = exercise::hostile_settings(mode & 1 == 1);
    exercise::run(bytes, &settings, mode & 0x80 != 0 && mode & 0x70 == 0);
});

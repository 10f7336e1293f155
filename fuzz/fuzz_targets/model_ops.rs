//! Decodes arbitrary bytes into a world, a seed and a call sequence (`qwave_sim::fuzz::Run`)
//! and drives the model, checking every invariant after every step. A panic or a broken
//! invariant is a finding; `ModelFinding`'s report lists the steps.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(f) = qwave_sim::fuzz::run_bytes(data) {
        panic!("{f}");
    }
});

//! Arbitrary bytes as a scenario file: parsed, and when it parses, run the way
//! `qwave-sim check` runs it (bounded in virtual time), with the model's invariants checked
//! after every step. A panic or a broken invariant is a finding; parse errors and failed
//! expectations are not.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(f) = qwave_sim::fuzz::scenario_bytes(data) {
        panic!("{f}");
    }
});

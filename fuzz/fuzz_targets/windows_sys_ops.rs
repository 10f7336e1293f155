//! Arbitrary bytes as raw windows-sys calls on a `Sim` (the 11 QOS functions, WinSock,
//! overlapped results, events, completion ports) with valid, NULL, garbage and wrong-size
//! arguments. After every call the model's invariants and the last-error rules must hold.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(f) = qwave_sim::fuzz::windows_sys_bytes(data) {
        panic!("{f}");
    }
});

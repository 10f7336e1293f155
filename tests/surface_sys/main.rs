//! The windows-sys surface (`qwave_sim::windows_sys`), driven exactly as an app drives
//! windows-sys 0.61.2: its signatures pinned with function-pointer coercions, an app-shaped
//! run, bad input through every function, and the same call sequence through both surfaces.

mod calls;
mod common;

mod app;
mod differential;
mod robust;
mod runtime;
mod same_log;
mod signatures;

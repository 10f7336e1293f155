//! qwave-sim: a deterministic simulator of the Windows qWAVE QoS API.
//!
//! - [`model`]: the pure state machine.
//! - [`rules`]: the rule ids of `RULES.md`, as data; [`coverage`]: which documented failures a run met.
//! - [`Sim`]: a running simulator; [`Sim::enter`] binds it to a thread.
//! - [`windows`]: the `windows` 0.62.2 surface (`use qwave_sim::windows as windows;`).
//! - [`scenario`]: RON scenario files (load, replay and check, record); [`trace`]: event traces.
//! - [`windows_sys`]: the `windows-sys` 0.61.2 surface (`use qwave_sim::windows_sys as windows_sys;`).
//! - `fuzz` (feature `fuzz`): proptest strategies and `arbitrary` inputs for worlds, call
//!   sequences and fault plans.
#![warn(missing_docs)]

pub mod call;
pub mod coverage;
#[cfg(feature = "fuzz")]
pub mod fuzz;
pub mod model;
mod recording;
pub mod rules;
pub mod scenario;
mod sim;
mod surface;
pub mod thread;
pub mod trace;
pub mod windows;
pub mod windows_sys;

pub use recording::{recording_dir, Recording};
pub use sim::{EnterGuard, FlowSnapshot, Sim, SimBuilder};

/// The README's examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

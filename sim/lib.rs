//! qwave-sim: a deterministic simulator of the Windows qWAVE QoS API.
//!
//! - [`model`]: the pure state machine.
//! - [`rules`]: the rule ids of `RULES.md`, as data.
//! - [`Sim`]: a running simulator; [`Sim::enter`] binds it to a thread.
//! - [`windows`]: the `windows` 0.62.2 surface (`use qwave_sim::windows as windows;`).
//! - [`scenario`]: RON scenario files (load, replay and check, record); [`trace`]: event traces.
#![warn(missing_docs)]

pub mod model;
pub mod rules;
pub mod scenario;
mod sim;
mod surface;
pub mod thread;
pub mod trace;
pub mod windows;

pub use sim::{EnterGuard, FlowSnapshot, Sim, SimBuilder};

/// The README's examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

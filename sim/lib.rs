//! qwave-sim: a deterministic simulator of the Windows qWAVE QoS API.
//!
//! - [`model`]: the pure state machine.
//! - [`Sim`]: a running simulator; [`Sim::enter`] binds it to a thread.
//! - [`windows`]: the `windows` 0.62.2 surface (`use qwave_sim::windows as windows;`).
#![warn(missing_docs)]

pub mod model;
mod sim;
mod surface;
pub mod thread;
pub mod windows;

pub use sim::{EnterGuard, FlowSnapshot, Sim, SimBuilder};

//! qwave-sim: a deterministic simulator of the Windows qWAVE QoS API.
#![warn(missing_docs)]

pub mod model;

#[cfg(feature = "fuzz")]
pub mod fuzz;

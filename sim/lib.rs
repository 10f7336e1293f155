//! qwave-sim: a deterministic simulator of the Windows qWAVE QoS API.
//!
//! The public API:
//! - [`Sim`], [`SimBuilder`], [`EnterGuard`]: a running simulator; [`Sim::enter`] binds it to a
//!   thread so the windows-shaped calls act on it. [`Recording`] saves a run as a scenario
//!   ([`IncompleteLog`] says why it cannot). [`Fault`] and [`World`] are re-exported here from
//!   [`model`], next to it.
//! - [`windows`] and [`windows_sys`]: the `windows` 0.62.2 and `windows-sys` 0.61.2 surfaces
//!   (`use qwave_sim::windows as windows;`).
//! - [`call`]: one [`Call`](call::Call) per qos2.h function, the value every layer passes on.
//! - [`model`]: the pure state machine, [`Model`](model::Model), whose one door for the 11 calls
//!   is [`Model::apply`](model::Model::apply); the [`World`] a run starts from
//!   ([`model::world`]), the [`Fault`]s that can happen to it, the
//!   [`Event`](model::Event)s it reports ([`model::event`]), and read-only views of its state
//!   ([`FlowSnapshot`], [`PathSnapshot`](model::PathSnapshot),
//!   [`Handle`](model::Handle), [`Socket`](model::Socket)).
//! - [`scenario`]: RON scenario files (load, replay and check, record); [`trace`]: event traces.
//! - [`coverage`]: which error codes a run met, which faults fired, which rule ids that
//!   exercises, and the documented failures it never met ([`Sim::coverage`], `QWAVE_SIM_COVERAGE`).
//! - `fuzz` (feature `fuzz`): proptest strategies and `arbitrary` inputs for worlds, call
//!   sequences and fault plans.
//!
//! Everything else (the model's tables, routes, pending requests, the tagged encoding of handle
//! and socket values, the surfaces' pointer handling) is crate-private; `tests/public-api.txt`
//! lists the public items and a test keeps it current.
//!
//! Features: `cli` (default) only builds the `qwave-sim` command line and its dependencies
//! (argument parser, plots, parallel exploration, diagnostics); a library user can leave it out
//! with `default-features = false`. `schema` (part of `cli`) adds
//! [`scenario::json_schema_text`]. `fuzz` is off by default.
#![warn(missing_docs)]

pub mod call;
pub mod coverage;
#[doc(hidden)]
pub mod ffi;
#[cfg(feature = "fuzz")]
pub mod fuzz;
pub mod model;
mod recording;
pub mod scenario;
mod sim;
mod surface;
mod tag;
pub mod thread;
pub mod trace;
pub mod windows;
pub mod windows_sys;

pub use model::{Fault, FlowSnapshot, World};
pub use recording::{recording_dir, IncompleteLog, Recording};
pub use sim::{EnterGuard, ProcessGuard, Sim, SimBuilder, DEFAULT_HISTORY};

/// The README's examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

//! Fuzzing support (cargo feature `fuzz`): generators of realistic inputs for the simulator,
//! and a driver that runs them with every invariant checked after every step.
//!
//! - [`Op`]: one step of a run (any of the 11 functions with valid or invalid arguments, a
//!   WinSock call, a fault, a time advance), with symbolic handles/sockets/flows so a shrunk
//!   sequence still means something. `Display` prints it close to the C call.
//! - [`FaultPlan`]: faults at virtual instants; [`FaultPlan::apply`] schedules them.
//! - `arbitrary::Arbitrary` for [`Op`], [`Run`], [`FaultPlan`], [`Fault`](crate::model::Fault)
//!   and [`World`](crate::model::World), for byte-driven fuzzers (cargo-fuzz).
//! - proptest strategies: [`world`], [`fault`], [`fault_plan`], [`op`], [`ops`], [`run`].
//! - [`Driver`]: runs steps on a model, checking [`InvariantChecker`] after each;
//!   [`run_bytes`] is the whole `model_ops` fuzz target.
//! - [`scenario_bytes`]: the `scenario_text` target (bytes as a scenario file, parsed and
//!   run as `qwave-sim check` does); [`windows_sys_bytes`]: the `windows_sys_ops` target (bytes
//!   as raw [`crate::windows_sys`] calls, NULL and garbage arguments included, on a [`crate::Sim`]).
//!
//! Fuzzing an app: drive a [`Sim`](crate::Sim) with a generated [`FaultPlan`] scheduled on it
//! and a recording guard. When the property fails, proptest shrinks the plan; the guard saves
//! each failing run when it is dropped during a panic, so the last file written —
//! `target/qwave-sim/recordings/app_survives.ron`, path printed — is the shrunk case, and
//! `qwave-sim check` replays it. Check with `assert!` (a panic), not `prop_assert!` (an error
//! return does not trigger the guard). `examples/fuzz_app.rs` is a full example.
//!
//! ```
//! use proptest::prelude::*;
//! use qwave_sim::{fuzz, Sim};
//!
//! proptest!(ProptestConfig::with_cases(8), |(plan in fuzz::fault_plan())| {
//!     let sim = Sim::new();
//!     let _rec = sim.record_on_failure("app_survives");
//!     plan.apply_to_sim(&sim);
//!     // ... the app under test drives `sim` here ...
//!     sim.advance(std::time::Duration::from_micros(plan.end_us()));
//!     assert!(sim.check_invariants().is_ok());
//! });
//! ```
//!
//! [`InvariantChecker`]: crate::model::invariants::InvariantChecker

mod arb;
mod driver;
mod op;
mod plan;
mod scenario_text;
mod strategy;
mod windows_sys_ops;

pub use arb::{Run, MAX_PLANNED_FAULTS, MAX_STEPS};
pub use driver::{run_bytes, run_ops, Driver, Failure, Outcome, MAX_PERIODS_PER_ADVANCE, MAX_SEEN_FLOWS};
pub use op::{AddrArg, FlowArg, HandleArg, Op, SetBuf, SocketArg, KNOWN_ADDRESSES};
pub use plan::{FaultPlan, PlannedFault};
pub use scenario_text::{scenario_bytes, time_cap_us, ScenarioFinding, MAX_SCENARIO_TIME_US};
pub use strategy::{extreme_op, fault, fault_plan, from_arbitrary, op, ops, run, world};
pub use windows_sys_ops::{windows_sys_bytes, windows_sys_calls, SysFinding, MAX_SYS_CALLS};

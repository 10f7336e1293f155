//! Fuzzing support (cargo feature `fuzz`): generators of realistic inputs for the simulator,
//! and a driver that runs them with every invariant checked after every step.
//!
//! - [`Op`]: one step of a run: a [`Call`](crate::call::Call) of the 11 functions with valid or
//!   invalid arguments, named by [`Sym`] (symbolic handles/sockets/flows, so a shrunk sequence
//!   still means something), a WinSock call, a fault, a time advance. [`Issued`] resolves a
//!   `Call<Sym>` into the raw call ([`Resolve`](crate::call::Resolve)); `Display` prints a step
//!   close to the C call ([`c_form`]).
//! - [`FaultPlan`]: faults at virtual instants; [`FaultPlan::apply`] schedules them.
//! - `arbitrary::Arbitrary` for [`Op`], `Call<Sym>` and each call struct, the operation enums,
//!   [`Run`], [`FaultPlan`], [`Fault`](crate::model::Fault) and [`World`](crate::model::World),
//!   for byte-driven fuzzers (cargo-fuzz).
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
mod arb_call;
mod driver;
mod op;
mod plan;
mod scenario_text;
mod strategy;
mod windows_sys_ops;

/// The generators the call structs' `Arbitrary` impls (each in its call's file in
/// [`crate::call`]) share.
pub(crate) mod draw {
    pub(crate) use super::arb::{bps, size_u32};
    pub(crate) use super::arb_call::{flags, ov, size};
}

pub use arb::MAX_PLANNED_FAULTS;
pub use arb_call::{Run, MAX_STEPS};
pub use driver::{run_bytes, run_ops, Driver, ModelFinding, StepOutcome, MAX_PERIODS_PER_ADVANCE};
pub use op::{
    c_form, overlapped_key, AddrArg, FlowArg, HandleArg, Issued, Op, SocketArg, Sym, KNOWN_ADDRESSES,
    MAX_SEEN_FLOWS,
};
pub use plan::{FaultPlan, PlannedFault};
pub use scenario_text::{scenario_bytes, time_cap_us, ScenarioFinding, MAX_SCENARIO_TIME_US};
pub use strategy::{extreme_op, fault, fault_plan, from_arbitrary, op, ops, run, world};
pub use windows_sys_ops::{windows_sys_bytes, windows_sys_calls, SysFinding, MAX_SYS_CALLS};

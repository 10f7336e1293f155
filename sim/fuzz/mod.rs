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
//!
//! ```
//! use proptest::prelude::*;
//! use qwave_sim::fuzz;
//! use qwave_sim::model::{Model, World};
//!
//! proptest!(ProptestConfig::with_cases(8), |(plan in fuzz::fault_plan())| {
//!     let mut m = Model::new(World::default(), 7);
//!     plan.apply(&mut m);
//!     m.advance_us(plan.end_us());
//!     prop_assert!(m.check_invariants().is_ok());
//! });
//! ```
//!
//! [`InvariantChecker`]: crate::model::invariants::InvariantChecker

mod arb;
mod driver;
mod op;
mod plan;
mod strategy;

pub use arb::{Run, MAX_PLANNED_FAULTS, MAX_STEPS};
pub use driver::{
    invoke, run_bytes, run_ops, Driver, Failure, Outcome, MAX_PERIODS_PER_ADVANCE, MAX_SEEN_FLOWS,
};
pub use op::{AddrArg, FlowArg, HandleArg, Op, SetBuf, SocketArg, KNOWN_ADDRESSES};
pub use plan::{FaultPlan, PlannedFault};
pub use strategy::{extreme_op, fault, fault_plan, from_arbitrary, op, ops, run, world};

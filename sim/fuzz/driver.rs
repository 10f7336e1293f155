//! Runs steps against a [`Model`], resolving symbolic arguments and checking every invariant
//! after every step. The `model_ops` fuzz target, the corpus test and users' own harnesses all
//! drive the model through this one piece of code.

use std::fmt;

use super::arb_call::Run;
use super::op::{Issued, Op, Sym};
use crate::call::{Call, Raw, Resolve};
use crate::model::event::{CallOutput, CallResult, Completion};
use crate::model::invariants::{InvariantChecker, Violation};
use crate::model::{Model, VirtualTime, World};

/// How many congestion periods one advance may cross (see [`Driver::step`]).
pub const MAX_PERIODS_PER_ADVANCE: u64 = 10_000;

/// What a step returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    /// One of the 11 functions.
    Call(CallResult),
    /// `socket()`: the new socket or the WSA error.
    NewSocket(Result<u64, i32>),
    /// Another WinSock call: 0 or the WSA error.
    Wsa(Result<(), i32>),
    /// Completions drained.
    Completions(Vec<Completion>),
    /// Time advanced or a fault was applied or scheduled.
    Done,
}

impl fmt::Display for StepOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepOutcome::Call(Ok(CallOutput::None)) => f.write_str("TRUE"),
            StepOutcome::Call(Ok(out)) => write!(f, "TRUE {out:?}"),
            StepOutcome::Call(Err(e)) => match e.size {
                Some(s) => write!(f, "FALSE {} (*Size = {s})", e.code),
                None => write!(f, "FALSE {}", e.code),
            },
            StepOutcome::NewSocket(Ok(s)) => write!(f, "{s:#x}"),
            StepOutcome::NewSocket(Err(e)) | StepOutcome::Wsa(Err(e)) => write!(f, "SOCKET_ERROR (WSA {e})"),
            StepOutcome::Wsa(Ok(())) => f.write_str("0"),
            StepOutcome::Completions(c) => write!(f, "{} completion(s) {c:?}", c.len()),
            StepOutcome::Done => f.write_str("ok"),
        }
    }
}

/// A broken invariant, with the run that broke it: the seed, the world (as RON) and every step
/// with its result, ready to become a scenario. (The `model_ops` target's finding, as
/// [`SysFinding`](super::SysFinding) is `windows_sys_ops`' and
/// [`ScenarioFinding`](super::ScenarioFinding) `scenario_text`'s.)
#[derive(Clone, Debug)]
pub struct ModelFinding {
    /// The model's seed.
    pub seed: u64,
    /// The world, as RON.
    pub world_ron: String,
    /// Index of the step that broke it (`None`: the initial state).
    pub step: Option<usize>,
    /// What broke.
    pub violation: Violation,
    /// Each step run, with its outcome (the last one is the culprit).
    pub log: Vec<String>,
}

impl fmt::Display for ModelFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Some(i) => writeln!(f, "{} after step {i}", self.violation)?,
            None => writeln!(f, "{} in the initial state", self.violation)?,
        }
        writeln!(f, "seed: {}", self.seed)?;
        writeln!(f, "world: {}", self.world_ron)?;
        writeln!(f, "steps:")?;
        for l in &self.log {
            writeln!(f, "  {l}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ModelFinding {}

/// A model plus what a run has handed out so far (handles, sockets, flow ids), checked with an
/// [`InvariantChecker`] after every step.
#[derive(Clone, Debug)]
pub struct Driver {
    model: Model,
    checker: InvariantChecker,
    /// What the run handed out: resolves the steps' symbols.
    issued: Issued,
    /// Steps run and what they returned; formatted only for a report.
    trail: Vec<(Op, StepOutcome)>,
    max_advance_us: u64,
}

impl Driver {
    /// A driver over a fresh model of `world`; fails if the initial state breaks an invariant.
    pub fn new(world: World, seed: u64) -> Result<Driver, Violation> {
        Driver::with_model(Model::new(world, seed))
    }

    /// A driver over an existing model (for instance one with a fault plan applied).
    pub fn with_model(model: Model) -> Result<Driver, Violation> {
        // Time only moves in steps, so a world whose paths flip congestion every `p` ms makes an
        // advance cost one event per period: cap advances at MAX_PERIODS_PER_ADVANCE periods.
        let w = model.world();
        let period_ms = w
            .peers
            .iter()
            .map(|p| &p.path)
            .chain(std::iter::once(&w.offlink_path))
            .filter_map(|p| p.congestion_period_ms.filter(|ms| *ms > 0))
            .min();
        let max_advance_us = period_ms.map_or(u64::MAX, |ms| {
            ms.saturating_mul(1000).saturating_mul(MAX_PERIODS_PER_ADVANCE)
        });
        let mut checker = InvariantChecker::new();
        checker.observe(&model)?;
        Ok(Driver {
            model,
            checker,
            issued: Issued::default(),
            trail: Vec::new(),
            max_advance_us,
        })
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The model, mutably (check with [`Driver::check`] after changing it).
    pub fn model_mut(&mut self) -> &mut Model {
        &mut self.model
    }

    /// Checks every invariant now.
    pub fn check(&mut self) -> Result<(), Violation> {
        self.checker.observe(&self.model)
    }

    /// Each step run so far with its outcome, one line each (`  3 QOSCloseHandle(h0)  -> TRUE`).
    pub fn log(&self) -> Vec<String> {
        self.trail
            .iter()
            .enumerate()
            .map(|(i, (op, out))| format!("{i:>3} {op}  -> {out}"))
            .collect()
    }

    /// Handles issued, sockets created and flow ids seen so far, in order.
    pub fn issued(&self) -> &Issued {
        &self.issued
    }

    /// The raw call a call step makes now (its symbols resolved against what the run has
    /// handed out so far).
    pub fn resolve(&mut self, call: &Call<Sym>) -> Call<Raw> {
        call.map(&mut self.issued)
    }

    /// Runs one step and checks every invariant; `Err` names the first broken one.
    ///
    /// A call is checked three times: the state right before it (after `settle()`), the
    /// result against the handle's state (stale handles accept only close, dead ones nothing),
    /// and the state after it.
    pub fn step(&mut self, op: &Op) -> Result<StepOutcome, Violation> {
        let outcome = match op {
            Op::Call(c) => StepOutcome::Call(self.call(c)?),
            _ => self.other_step(op),
        };
        self.trail.push((op.clone(), outcome.clone()));
        self.checker.observe(&self.model)?;
        // The incremental check agrees with the full one, and kept track of every change.
        self.model.check_invariants_both()?;
        Ok(outcome)
    }

    fn call(&mut self, call: &Call<Sym>) -> Result<CallResult, Violation> {
        let call = self.resolve(call);
        self.model.settle();
        self.checker.observe(&self.model)?;
        let r = self.model.apply(call.clone());
        self.checker.check_call(&call, &r)?;
        match &r {
            Ok(CallOutput::Handle(h)) => self.issued.handles.push(*h),
            Ok(CallOutput::Flow(id)) => self.issued.saw_flow(*id),
            Ok(CallOutput::Flows(ids)) => ids.iter().for_each(|id| self.issued.saw_flow(*id)),
            _ => {}
        }
        Ok(r)
    }

    fn other_step(&mut self, op: &Op) -> StepOutcome {
        match *op {
            Op::Call(_) => unreachable!("calls are run by `call`"),
            Op::Socket { af, kind, proto } => {
                let r = self.model.socket(af, kind, proto);
                if let Ok(s) = r {
                    self.issued.sockets.push(s);
                }
                StepOutcome::NewSocket(r)
            }
            Op::Bind { s, addr } => {
                let raw = self.issued.socket(&s);
                StepOutcome::Wsa(self.model.bind(raw, addr.resolve()))
            }
            Op::Connect { s, addr } => {
                let raw = self.issued.socket(&s);
                StepOutcome::Wsa(self.model.connect(raw, addr.resolve()))
            }
            Op::CloseSocket { s } => {
                let raw = self.issued.socket(&s);
                StepOutcome::Wsa(self.model.close_socket(raw))
            }
            Op::V6Only { s, on } => {
                let raw = self.issued.socket(&s);
                StepOutcome::Wsa(self.model.set_v6only(raw, on))
            }
            _ => self.time_step(op),
        }
    }

    /// Advances, faults and draining completions.
    fn time_step(&mut self, op: &Op) -> StepOutcome {
        let m = &mut self.model;
        match *op {
            Op::Advance { us } => m.advance_us(us.min(self.max_advance_us)),
            Op::AdvanceTo { us } => {
                let cap = m.now().plus_us(self.max_advance_us);
                m.advance_to(VirtualTime(us).min(cap));
            }
            Op::Fault(ref f) => m.inject(f.clone()),
            Op::FaultAt { at_us, ref fault } => m.inject_at(VirtualTime(at_us), fault.clone()),
            Op::TakeCompletions => {
                m.settle();
                return StepOutcome::Completions(m.take_completions());
            }
            _ => unreachable!("calls and WinSock calls are run by `step`"),
        }
        StepOutcome::Done
    }

    /// Runs `ops` in order, stopping at the first broken invariant.
    pub fn run(&mut self, ops: &[Op]) -> Result<(), ModelFinding> {
        for (i, op) in ops.iter().enumerate() {
            if let Err(v) = self.step(op) {
                return Err(self.finding(Some(i), v));
            }
        }
        Ok(())
    }

    /// A [`ModelFinding`] report for a violation seen at `step`.
    pub fn finding(&self, step: Option<usize>, violation: Violation) -> ModelFinding {
        ModelFinding {
            seed: self.model.seed(),
            world_ron: ron::to_string(self.model.world()).unwrap_or_else(|e| format!("<{e}>")),
            step,
            violation,
            log: self.log(),
        }
    }
}

/// Decodes `data` into a [`Run`] (through the `arbitrary` impls) and drives it, checking every
/// invariant after every step. The body of the `model_ops` fuzz target and of the corpus test.
pub fn run_bytes(data: &[u8]) -> Result<(), ModelFinding> {
    let mut u = arbitrary::Unstructured::new(data);
    let Ok(run) = <Run as arbitrary::Arbitrary>::arbitrary(&mut u) else {
        return Ok(()); // too short to say anything: nothing to run
    };
    run_ops(run.world, run.seed, &run.ops)
}

/// Drives `ops` on a fresh model of `world` with `seed`, checking invariants after every step.
pub fn run_ops(world: World, seed: u64, ops: &[Op]) -> Result<(), ModelFinding> {
    let mut d = match Driver::new(world.clone(), seed) {
        Ok(d) => d,
        Err(v) => {
            return Err(ModelFinding {
                seed,
                world_ron: ron::to_string(&world).unwrap_or_default(),
                step: None,
                violation: v,
                log: Vec::new(),
            })
        }
    };
    d.run(ops)
}

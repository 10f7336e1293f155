//! Runs steps against a [`Model`], resolving symbolic arguments and checking every invariant
//! after every step. The `model_ops` fuzz target, the corpus test and users' own harnesses all
//! drive the model through this one piece of code.

use std::fmt;

use super::arb::Run;
use super::op::{FlowArg, HandleArg, Op, SocketArg};
use crate::call::{self, Call, NotifyBuffer, NotifyOp, QueryOp, SetOp, TrafficArg};
use crate::call::{QOS_NON_ADAPTIVE_FLOW, QOS_QUERYFLOW_FRESH};
use crate::model::event::{CallOutput, CallResult, Completion};
use crate::model::invariants::{InvariantChecker, Violation};
use crate::model::socket::SOCKET_TAG;
use crate::model::{Model, VirtualTime, World, HANDLE_TAG};

/// Most flow ids the driver remembers for [`FlowArg::Seen`].
pub const MAX_SEEN_FLOWS: usize = 64;

/// How many congestion periods one advance may cross (see [`Driver::step`]).
pub const MAX_PERIODS_PER_ADVANCE: u64 = 10_000;

/// What a step returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
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

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Call(Ok(CallOutput::None)) => f.write_str("TRUE"),
            Outcome::Call(Ok(out)) => write!(f, "TRUE {out:?}"),
            Outcome::Call(Err(e)) => match e.size {
                Some(s) => write!(f, "FALSE {} (*Size = {s})", e.code),
                None => write!(f, "FALSE {}", e.code),
            },
            Outcome::NewSocket(Ok(s)) => write!(f, "{s:#x}"),
            Outcome::NewSocket(Err(e)) | Outcome::Wsa(Err(e)) => write!(f, "SOCKET_ERROR (WSA {e})"),
            Outcome::Wsa(Ok(())) => f.write_str("0"),
            Outcome::Completions(c) => write!(f, "{} completion(s) {c:?}", c.len()),
            Outcome::Done => f.write_str("ok"),
        }
    }
}

/// A broken invariant, with the run that broke it: the seed, the world (as RON) and every step
/// with its result, ready to become a scenario.
#[derive(Clone, Debug)]
pub struct Failure {
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

impl fmt::Display for Failure {
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

impl std::error::Error for Failure {}

/// A model plus what a run has handed out so far (handles, sockets, flow ids), checked with an
/// [`InvariantChecker`] after every step.
#[derive(Clone, Debug)]
pub struct Driver {
    model: Model,
    checker: InvariantChecker,
    handles: Vec<u64>,
    sockets: Vec<u64>,
    flows: Vec<u32>,
    /// Steps run and what they returned; formatted only for a report.
    trail: Vec<(Op, Outcome)>,
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
            handles: Vec::new(),
            sockets: Vec::new(),
            flows: Vec::new(),
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

    /// Handles issued so far, in order.
    pub fn handles(&self) -> &[u64] {
        &self.handles
    }

    /// Flow ids seen so far, in order.
    pub fn flows(&self) -> &[u32] {
        &self.flows
    }

    fn handle(&self, h: HandleArg) -> u64 {
        match h {
            HandleArg::Issued(i) if self.handles.is_empty() => HANDLE_TAG | (u64::from(i) + 1),
            HandleArg::Issued(i) => self.handles[i as usize % self.handles.len()],
            HandleArg::Null => 0,
            HandleArg::Raw(v) => v,
        }
    }

    fn socket(&self, s: SocketArg) -> u64 {
        match s {
            SocketArg::Created(i) if self.sockets.is_empty() => SOCKET_TAG | (u64::from(i) + 1),
            SocketArg::Created(i) => self.sockets[i as usize % self.sockets.len()],
            SocketArg::Zero => 0,
            SocketArg::Raw(v) => v,
        }
    }

    fn flow(&self, f: FlowArg) -> u32 {
        match f {
            FlowArg::Seen(i) if self.flows.is_empty() => u32::from(i) + 1,
            FlowArg::Seen(i) => self.flows[i as usize % self.flows.len()],
            FlowArg::Zero => 0,
            FlowArg::Raw(v) => v,
        }
    }

    fn saw_flow(&mut self, id: u32) {
        if !self.flows.contains(&id) && self.flows.len() < MAX_SEEN_FLOWS {
            self.flows.push(id);
        }
    }

    /// The concrete call of a call step (`None` for the other steps).
    pub fn call_args(&self, op: &Op) -> Option<Call> {
        let key = |k: &Option<u8>| k.map(|k| 0x0A00 + u64::from(k));
        Some(match *op {
            Op::Create { version, out } => Call::CreateHandle(call::CreateHandle {
                handle: (),
                version,
                out,
            }),
            Op::Close { h } => Call::CloseHandle(call::CloseHandle {
                handle: self.handle(h),
            }),
            Op::Add {
                h,
                s,
                dest,
                traffic_type,
                flags,
                flow,
            } => Call::AddSocketToFlow(call::AddSocketToFlow {
                handle: self.handle(h),
                socket: self.socket(s),
                dest: dest.resolve(),
                traffic_type: TrafficArg::from_raw(traffic_type),
                non_adaptive: flags & QOS_NON_ADAPTIVE_FLOW != 0,
                flags: flags & !QOS_NON_ADAPTIVE_FLOW,
                flow: flow.map(|f| self.flow(f)),
            }),
            Op::Remove { h, s, flow, flags } => Call::RemoveSocketFromFlow(call::RemoveSocketFromFlow {
                handle: self.handle(h),
                socket: self.socket(s),
                flow: self.flow(flow),
                flags,
            }),
            Op::Set {
                h,
                flow,
                op,
                size,
                buf,
                flags,
                ov,
            } => {
                // A surface reads `Size` bytes only when `Size` fits the operation.
                let bytes = buf.bytes().map(|mut b| {
                    if SetOp::size_of(op) == Some(size) {
                        b.resize(size as usize, 0);
                        b
                    } else {
                        Vec::new()
                    }
                });
                Call::SetFlow(call::SetFlow {
                    handle: self.handle(h),
                    flow: self.flow(flow),
                    op: SetOp::from_c(op, size, bytes.as_deref()),
                    flags,
                    overlapped: key(&ov),
                })
            }
            Op::Query {
                h,
                flow,
                op,
                size,
                buffer,
                flags,
                ov,
            } => Call::QueryFlow(call::QueryFlow {
                handle: self.handle(h),
                flow: self.flow(flow),
                op: QueryOp::from_code(op),
                size,
                buffer,
                fresh: flags & QOS_QUERYFLOW_FRESH != 0,
                flags: flags & !QOS_QUERYFLOW_FRESH,
                overlapped: key(&ov),
            }),
            Op::Notify {
                h,
                flow,
                op,
                size,
                target,
                flags,
                ov,
            } => Call::NotifyFlow(call::NotifyFlow {
                handle: self.handle(h),
                flow: self.flow(flow),
                op: match op {
                    0 => NotifyOp::Congested,
                    1 => NotifyOp::Uncongested,
                    2 => NotifyOp::Available(target.unwrap_or(0)),
                    v => NotifyOp::Raw(v),
                },
                size,
                buffer: target.map_or(NotifyBuffer::Null, NotifyBuffer::Value),
                flags,
                overlapped: key(&ov),
            }),
            Op::Cancel { h, ov } => Call::Cancel(call::Cancel {
                handle: self.handle(h),
                overlapped: key(&ov),
            }),
            Op::Enumerate { h, size, buffer } => Call::EnumerateFlows(call::EnumerateFlows {
                handle: self.handle(h),
                size,
                buffer,
            }),
            Op::StartTracking { h, dest, flags } => Call::StartTrackingClient(call::Tracking {
                handle: self.handle(h),
                client: dest.resolve(),
                flags,
            }),
            Op::StopTracking { h, dest, flags } => Call::StopTrackingClient(call::Tracking {
                handle: self.handle(h),
                client: dest.resolve(),
                flags,
            }),
            _ => return None,
        })
    }

    /// Runs one step and checks every invariant; `Err` names the first broken one.
    ///
    /// A call is checked three times: the state right before it (after `settle()`), the
    /// result against the handle's state (stale handles accept only close, dead ones nothing),
    /// and the state after it.
    pub fn step(&mut self, op: &Op) -> Result<Outcome, Violation> {
        let outcome = match self.call_args(op) {
            Some(args) => {
                self.model.settle();
                self.checker.observe(&self.model)?;
                let r = self.model.apply(args.clone());
                self.checker.check_call(&args, &r)?;
                match &r {
                    Ok(CallOutput::Handle(h)) => self.handles.push(*h),
                    Ok(CallOutput::Flow(id)) => self.saw_flow(*id),
                    Ok(CallOutput::Flows(ids)) => ids.iter().for_each(|id| self.saw_flow(*id)),
                    _ => {}
                }
                Outcome::Call(r)
            }
            None => self.other_step(op),
        };
        self.trail.push((op.clone(), outcome.clone()));
        self.checker.observe(&self.model)?;
        Ok(outcome)
    }

    fn other_step(&mut self, op: &Op) -> Outcome {
        let m = &mut self.model;
        match *op {
            Op::Socket { af, kind, proto } => {
                let r = m.socket(af, kind, proto);
                if let Ok(s) = r {
                    self.sockets.push(s);
                }
                Outcome::NewSocket(r)
            }
            Op::Bind { s, addr } => {
                let raw = self.socket(s);
                Outcome::Wsa(self.model.bind(raw, addr.resolve()))
            }
            Op::Connect { s, addr } => {
                let raw = self.socket(s);
                Outcome::Wsa(self.model.connect(raw, addr.resolve()))
            }
            Op::CloseSocket { s } => {
                let raw = self.socket(s);
                Outcome::Wsa(self.model.close_socket(raw))
            }
            Op::V6Only { s, on } => {
                let raw = self.socket(s);
                Outcome::Wsa(self.model.set_v6only(raw, on))
            }
            Op::Advance { us } => {
                m.advance_us(us.min(self.max_advance_us));
                Outcome::Done
            }
            Op::AdvanceTo { us } => {
                let cap = m.now().plus_us(self.max_advance_us);
                m.advance_to(VirtualTime(us).min(cap));
                Outcome::Done
            }
            Op::Inject(ref f) => {
                m.inject(f.clone());
                Outcome::Done
            }
            Op::InjectIn { delay_us, ref fault } => {
                let at = m.now().plus_us(delay_us);
                m.inject_at(at, fault.clone());
                Outcome::Done
            }
            Op::TakeCompletions => {
                m.settle();
                Outcome::Completions(m.take_completions())
            }
            _ => Outcome::Done, // calls are handled by `step`
        }
    }

    /// Runs `ops` in order, stopping at the first broken invariant.
    pub fn run(&mut self, ops: &[Op]) -> Result<(), Failure> {
        for (i, op) in ops.iter().enumerate() {
            if let Err(v) = self.step(op) {
                return Err(self.failure(Some(i), v));
            }
        }
        Ok(())
    }

    /// A [`Failure`] report for a violation seen at `step`.
    pub fn failure(&self, step: Option<usize>, violation: Violation) -> Failure {
        Failure {
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
pub fn run_bytes(data: &[u8]) -> Result<(), Failure> {
    let mut u = arbitrary::Unstructured::new(data);
    let Ok(run) = <Run as arbitrary::Arbitrary>::arbitrary(&mut u) else {
        return Ok(()); // too short to say anything: nothing to run
    };
    run_ops(run.world, run.seed, &run.ops)
}

/// Drives `ops` on a fresh model of `world` with `seed`, checking invariants after every step.
pub fn run_ops(world: World, seed: u64, ops: &[Op]) -> Result<(), Failure> {
    let mut d = match Driver::new(world.clone(), seed) {
        Ok(d) => d,
        Err(v) => {
            return Err(Failure {
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

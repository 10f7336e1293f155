//! Replaying a scenario: a thin driver of the model's public API that binds names, checks
//! every expectation, and collects the events for the trace.
//!
//! **Invariant:** the runner never reaches into model internals; it calls the 11 functions,
//! the socket calls, time and fault methods, and read-only views.

use crate::model::Positional;
use std::collections::BTreeMap;

use super::load::raw_ref;
use super::plan::PlanState;
use super::schema::{
    Buffer, Check, Data, Dur, Expect, FlowIn, HandleStateArg, NotifyArg, Ref, Scenario, SetArg, Size,
    SockExpect, Step, WsaError,
};
use crate::model::{
    CallOutput, CallResult, Completion, HandleState, Model, Protocol, Stamped, VirtualTime, Win32Error,
};
use crate::trace::{self, Format, Names};

/// Base of the OVERLAPPED keys the runner derives from names (first name used gets base + 1).
pub const OVERLAPPED_KEY_BASE: u64 = 0x4F56 << 40;

/// Most scheduled events one `Wait` runs through before it gives up.
pub const MAX_WAIT_EVENTS: u32 = 100_000;

/// `*Size` passed to `QOSEnumerateFlows` when a step says `Auto`.
pub const ENUMERATE_AUTO_SIZE: u32 = 4096;

/// Where a run stops early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    /// Before the step with this index (0-based).
    Step(usize),
    /// When virtual time reaches this instant.
    Time(VirtualTime),
}

/// How to run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Replaces the scenario's seed.
    pub seed: Option<u64>,
    /// Stop early.
    pub until: Option<Until>,
    /// Check the model's invariants only once, after the last step, instead of after every
    /// step (the default). For throughput runs; a violation is then reported at the end.
    pub invariants_at_end_only: bool,
}

/// An expectation that did not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Step index.
    pub step: usize,
    /// The step's keyword.
    pub keyword: &'static str,
    /// What was compared (`result`, `data`, `FlowId`, …).
    pub what: String,
    /// What the scenario expects.
    pub expected: String,
    /// What happened.
    pub actual: String,
}

/// The result of a run.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The seed used.
    pub seed: u64,
    /// Every event the model recorded.
    pub events: Vec<Stamped>,
    /// The names bound during the run.
    pub names: Names,
    /// Expectations that failed.
    pub failures: Vec<Failure>,
    /// Steps executed.
    pub steps_run: usize,
    /// Faults the fault plan injected: (before step, fault).
    pub planned: Vec<(usize, String)>,
}

impl Outcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// The trace in `format`.
    pub fn trace(&self, format: Format) -> String {
        trace::render(&self.events, &self.names, format)
    }
}

/// Replays `s`.
pub fn run(s: &Scenario, opts: &RunOptions) -> Outcome {
    let seed = opts.seed.unwrap_or(s.seed);
    let mut r = Runner {
        model: Model::new(s.world.clone(), seed),
        values: BTreeMap::new(),
        names: Names::default(),
        keys: BTreeMap::new(),
        outstanding: BTreeMap::new(),
        arrived: Vec::new(),
        last_error: Win32Error::ERROR_SUCCESS,
        failures: Vec::new(),
        step: 0,
        keyword: "",
        relaxed: false,
        broken: false,
    };
    let mut plan = s.fault_plan.as_ref().map(|p| PlanState::new(p, seed));
    let mut planned = Vec::new();
    let mut steps_run = 0;
    for (i, step) in s.steps.iter().enumerate() {
        match opts.until {
            Some(Until::Step(n)) if i >= n => break,
            Some(Until::Time(t)) if r.model.now() >= t => break,
            _ => {}
        }
        if let Some(p) = plan.as_mut() {
            for f in p.draw() {
                planned.push((i, super::load::options().to_string(&f).unwrap_or_default()));
                r.model.inject(f);
                r.relaxed = true; // expectations assume the unfaulted timeline
            }
        }
        r.step = i;
        r.keyword = step.keyword();
        if let Some(Until::Time(t)) = opts.until {
            if let Step::Advance(_) | Step::AdvanceTo(_) = step {
                let to = match step {
                    Step::Advance(d) => r.model.now().plus_us(d.us),
                    Step::AdvanceTo(d) => d.instant(),
                    _ => unreachable!("matched above"),
                };
                if to > t {
                    r.model.advance_to(t);
                    steps_run += 1;
                    break;
                }
            }
        }
        r.exec(step);
        r.collect();
        if !opts.invariants_at_end_only {
            r.check_model();
        }
        steps_run += 1;
    }
    r.collect();
    r.check_model();
    Outcome {
        seed,
        events: r.model.events().to_vec(),
        names: r.names,
        failures: r.failures,
        steps_run,
        planned,
    }
}

struct Runner {
    model: Model,
    /// Name → value (handles, sockets, flow ids).
    values: BTreeMap<String, u64>,
    names: Names,
    keys: BTreeMap<String, u64>,
    /// Accepted overlapped requests per key whose completion no `Wait` consumed yet.
    outstanding: BTreeMap<u64, u32>,
    arrived: Vec<Completion>,
    last_error: Win32Error,
    failures: Vec<Failure>,
    step: usize,
    keyword: &'static str,
    relaxed: bool,
    broken: bool,
}

fn show_result(r: &CallResult) -> Expect {
    match r {
        Ok(_) => Expect::Ok,
        Err(e) => Expect::Err(e.code),
    }
}

/// Data as written in scenario files (`implicit_some`), for diffs.
fn show_data(d: &Data) -> String {
    super::load::options().to_string(d).unwrap_or_default()
}

impl Runner {
    /// Reports the first violation of the model's invariants, once.
    fn check_model(&mut self) {
        if !self.broken {
            if let Err(v) = self.model.check_invariants() {
                self.fail_always("model invariant", "holds".into(), v.0);
                self.broken = true; // report the first violation only
            }
        }
    }

    fn fail_always(&mut self, what: &str, expected: String, actual: String) {
        self.failures.push(Failure {
            step: self.step,
            keyword: self.keyword,
            what: what.into(),
            expected,
            actual,
        });
    }

    fn check(&mut self, what: &str, expected: String, actual: String) {
        if expected != actual && !self.relaxed {
            self.fail_always(what, expected, actual);
        }
    }

    fn collect(&mut self) {
        self.arrived.extend(self.model.take_completions());
    }

    fn resolve(&self, r: &Ref) -> u64 {
        raw_ref(r).or_else(|| self.values.get(r).copied()).unwrap_or(0)
    }

    fn flow_id(&self, r: &Ref) -> u32 {
        u32::try_from(self.resolve(r)).unwrap_or(0)
    }

    fn key(&mut self, name: &str) -> u64 {
        if let Some(k) = self.keys.get(name) {
            return *k;
        }
        let k = OVERLAPPED_KEY_BASE + self.keys.len() as u64 + 1;
        self.keys.insert(name.to_string(), k);
        self.names.overlapped.insert(k, name.to_string());
        k
    }

    fn opt_key(&mut self, name: &Option<String>) -> Option<u64> {
        name.as_deref().map(|n| self.key(n))
    }

    /// Notes an accepted overlapped request: its completion will arrive later.
    fn issued(&mut self, key: Option<u64>, r: &CallResult) {
        if let (Some(k), Err(e)) = (key, r) {
            if e.code == Win32Error::ERROR_IO_PENDING {
                *self.outstanding.entry(k).or_insert(0) += 1;
            }
        }
    }

    /// Compares a call's outcome with its expectation and remembers the last error.
    fn result(&mut self, expect: &Expect, r: &CallResult) {
        if let Err(e) = r {
            self.last_error = e.code;
        }
        let actual = show_result(r);
        if actual != *expect {
            self.check("result", expect.to_string(), actual.to_string());
        }
    }

    fn data(&mut self, expected: &Option<Data>, r: &CallResult) {
        let Some(exp) = expected else { return };
        let actual = match r {
            Ok(CallOutput::Data(d, _)) => Some(Data::from(*d)),
            _ => None,
        };
        if actual.as_ref() != Some(exp) {
            let actual = actual.as_ref().map_or_else(|| "no data".into(), show_data);
            self.check("data", show_data(exp), actual);
        }
    }

    fn out_size(&mut self, expected: Option<u32>, r: &CallResult) {
        let Some(exp) = expected else { return };
        let actual = match r {
            Ok(CallOutput::Data(_, s)) => Some(*s),
            Ok(CallOutput::Flows(v)) => u32::try_from(v.len() * 4).ok(),
            Err(e) => e.size,
            _ => None,
        };
        self.check(
            "out_size",
            exp.to_string(),
            actual.map_or_else(|| "not written".into(), |v| v.to_string()),
        );
    }

    fn sock(&mut self, expect: &SockExpect, r: Result<(), i32>) {
        let actual = match r {
            Ok(()) => SockExpect::Ok,
            Err(e) => SockExpect::Err(WsaError(e)),
        };
        self.check("result", expect.to_string(), actual.to_string());
    }

    fn exec(&mut self, step: &Step) {
        match step {
            Step::CreateHandle {
                handle,
                version,
                out,
                expect,
            } => {
                let r = self.model.create_handle(*version, *out);
                self.result(expect, &r);
                if let (Ok(CallOutput::Handle(v)), Some(name)) = (&r, handle) {
                    self.values.insert(name.clone(), *v);
                    self.names.handles.insert(*v, name.clone());
                }
            }
            Step::CloseHandle { handle, expect } => {
                let r = self.model.close_handle(self.resolve(handle));
                self.result(expect, &r);
            }
            Step::AddSocketToFlow {
                handle,
                socket,
                dest,
                traffic_type,
                non_adaptive,
                flags,
                flow,
                expect,
                id,
            } => {
                let flow_in = match flow {
                    FlowIn::New(_) => Some(0),
                    FlowIn::Join(r) => Some(self.flow_id(r)),
                    FlowIn::Null => None,
                };
                let flags = flags | if *non_adaptive { 2 } else { 0 };
                let r = self.model.add_socket_to_flow(
                    self.resolve(handle),
                    self.resolve(socket),
                    dest.map(|a| a.0),
                    traffic_type.raw(),
                    flags,
                    flow_in,
                );
                self.result(expect, &r);
                if let Ok(CallOutput::Flow(got)) = &r {
                    if let FlowIn::New(name) = flow {
                        self.values.insert(name.clone(), u64::from(*got));
                        self.names.flows.insert(*got, name.clone());
                    }
                    if let Some(want) = id {
                        self.check("FlowId", want.to_string(), got.to_string());
                    }
                }
            }
            Step::RemoveSocketFromFlow {
                handle,
                socket,
                flow,
                flags,
                expect,
            } => {
                let r = self.model.remove_socket_from_flow(
                    self.resolve(handle),
                    self.resolve(socket),
                    self.flow_id(flow),
                    *flags,
                );
                self.result(expect, &r);
            }
            Step::SetFlow {
                handle,
                flow,
                op,
                flags,
                overlapped,
                expect,
            } => {
                let (opv, size, bytes) = set_buffer(op);
                let key = self.opt_key(overlapped);
                let r = self.model.set_flow(
                    self.resolve(handle),
                    self.flow_id(flow),
                    opv,
                    size,
                    bytes.as_deref(),
                    *flags,
                    key,
                );
                self.issued(key, &r);
                self.result(expect, &r);
            }
            Step::QueryFlow {
                handle,
                flow,
                op,
                size,
                buffer,
                fresh,
                flags,
                overlapped,
                expect,
                data,
                out_size,
            } => {
                let size = match size {
                    Size::Auto => Some(op.size()),
                    Size::Null => None,
                    Size::Bytes(n) => Some(*n),
                };
                let key = self.opt_key(overlapped);
                let r = self.model.query_flow(
                    self.resolve(handle),
                    self.flow_id(flow),
                    op.code(),
                    size,
                    *buffer,
                    flags | u32::from(*fresh),
                    key,
                );
                self.issued(key, &r);
                self.result(expect, &r);
                self.data(data, &r);
                self.out_size(*out_size, &r);
            }
            Step::NotifyFlow {
                handle,
                flow,
                op,
                size,
                buffer,
                flags,
                overlapped,
                expect,
                data,
                out_size,
            } => {
                let size = match (size, op) {
                    (Size::Auto, NotifyArg::Available(_)) => Some(8),
                    (Size::Auto, _) | (Size::Null, _) => None,
                    (Size::Bytes(n), _) => Some(*n),
                };
                let target = match (*buffer, *op) {
                    (Buffer::Value(b), _) => Some(b),
                    (Buffer::Auto, NotifyArg::Available(t)) => Some(t),
                    (Buffer::Auto, _) | (Buffer::Null, _) => None,
                };
                let key = self.opt_key(overlapped);
                let r = self.model.notify_flow(
                    self.resolve(handle),
                    self.flow_id(flow),
                    op.code(),
                    size,
                    target,
                    *flags,
                    key,
                );
                self.issued(key, &r);
                self.result(expect, &r);
                self.data(data, &r);
                self.out_size(*out_size, &r);
            }
            Step::Cancel {
                handle,
                overlapped,
                expect,
            } => {
                let key = self.opt_key(overlapped);
                let r = self.model.cancel(self.resolve(handle), key);
                self.result(expect, &r);
            }
            Step::EnumerateFlows {
                handle,
                size,
                buffer,
                expect,
                flows,
                out_size,
            } => {
                let size = match size {
                    Size::Auto => Some(ENUMERATE_AUTO_SIZE),
                    Size::Null => None,
                    Size::Bytes(n) => Some(*n),
                };
                let r = self.model.enumerate_flows(self.resolve(handle), size, *buffer);
                self.result(expect, &r);
                if let Some(want) = flows {
                    let want: Vec<String> = want.iter().map(|f| self.names.flow(self.flow_id(f))).collect();
                    let actual = match &r {
                        Ok(CallOutput::Flows(v)) => {
                            format!("{:?}", v.iter().map(|i| self.names.flow(*i)).collect::<Vec<_>>())
                        }
                        _ => "no flows written".into(),
                    };
                    self.check("flows", format!("{want:?}"), actual);
                }
                self.out_size(*out_size, &r);
            }
            Step::StartTrackingClient {
                handle,
                client,
                flags,
                expect,
            } => {
                let r = self
                    .model
                    .start_tracking_client(self.resolve(handle), client.map(|a| a.0), *flags);
                self.result(expect, &r);
            }
            Step::StopTrackingClient {
                handle,
                client,
                flags,
                expect,
            } => {
                let r = self
                    .model
                    .stop_tracking_client(self.resolve(handle), client.map(|a| a.0), *flags);
                self.result(expect, &r);
            }
            Step::Socket {
                socket,
                family,
                protocol,
                expect,
            } => {
                let kind = match protocol {
                    Protocol::Tcp => 1,
                    Protocol::Udp => 2,
                };
                let r = self.model.socket(i32::from(family.af()), kind, 0);
                if let Ok(v) = r {
                    self.values.insert(socket.clone(), v);
                    self.names.sockets.insert(v, socket.clone());
                }
                self.sock(expect, r.map(|_| ()));
            }
            Step::Bind { socket, addr, expect } => {
                let r = self.model.bind(self.resolve(socket), addr.map(|a| a.0));
                self.sock(expect, r);
            }
            Step::Connect { socket, addr, expect } => {
                let r = self.model.connect(self.resolve(socket), addr.map(|a| a.0));
                self.sock(expect, r);
            }
            Step::CloseSocket { socket, expect } => {
                let r = self.model.close_socket(self.resolve(socket));
                self.sock(expect, r);
            }
            Step::V6Only { socket, on, expect } => {
                let r = self.model.set_v6only(self.resolve(socket), *on);
                self.sock(expect, r);
            }
            Step::Advance(d) => self.model.advance_us(d.us),
            Step::AdvanceTo(d) => self.model.advance_to(d.instant()),
            Step::Fault(f) => self.model.inject(f.clone()),
            Step::FaultAt { at, fault } => self.model.inject_at(at.instant(), fault.clone()),
            Step::Wait {
                overlapped,
                status,
                data,
                within,
            } => self.wait(overlapped, *status, data, *within),
            Step::Assert(c) => self.assert(c),
        }
    }

    fn wait(&mut self, name: &str, status: Win32Error, data: &Option<Data>, within: Option<Dur>) {
        let key = self.key(name);
        let limit_us = within.map_or_else(
            || self.model.world().settings.deadlock_after_ms.saturating_mul(1000),
            |d| d.us,
        );
        let limit = self.model.now().plus_us(limit_us);
        let arrived = |r: &Runner| r.arrived.iter().position(|c| c.key == key);
        self.collect();
        if arrived(self).is_none() {
            // Completions due now arrive without time passing (no `advance` in the trace).
            self.model.settle();
            self.collect();
        }
        let mut events = 0;
        let mut why = format!("no completion for `{name}` within {}", Dur::from_us(limit_us));
        while arrived(self).is_none() {
            if self.outstanding.get(&key).copied().unwrap_or(0) == 0 {
                why = format!("no overlapped request on `{name}` is outstanding");
                break;
            }
            if events >= MAX_WAIT_EVENTS {
                why = format!("no completion for `{name}` after {MAX_WAIT_EVENTS} scheduled events");
                break;
            }
            match self.model.next_event_time() {
                Some(t) if t <= limit => self.model.advance_to(t),
                _ => break,
            }
            self.collect();
            events += 1;
        }
        let Some(i) = arrived(self) else {
            self.check("status", status.to_string(), why);
            return;
        };
        let c = self.arrived.remove(i);
        if let Some(n) = self.outstanding.get_mut(&key) {
            *n = n.saturating_sub(1);
        }
        self.check("status", status.to_string(), c.status.to_string());
        if let Some(exp) = data {
            let actual = c
                .data
                .map_or_else(|| "no data".into(), |d| show_data(&Data::from(d)));
            self.check("data", show_data(exp), actual);
        }
    }

    fn assert(&mut self, c: &Check) {
        match c {
            Check::FlowCount(n) => {
                let actual = self.model.flow_count();
                self.check("flow count", n.to_string(), actual.to_string());
            }
            Check::Flow {
                flow,
                exists,
                traffic_type,
                adaptive,
                sockets,
                rate_bps,
            } => {
                let id = self.flow_id(flow);
                let f = self.model.flow(id).cloned();
                self.check("exists", exists.to_string(), f.is_some().to_string());
                let Some(f) = f else { return };
                if let Some(t) = traffic_type {
                    self.check("traffic_type", format!("{t:?}"), format!("{:?}", f.traffic_type));
                }
                if let Some(a) = adaptive {
                    self.check("adaptive", a.to_string(), f.adaptive.to_string());
                }
                if let Some(s) = sockets {
                    let want: Vec<String> = s.iter().map(|r| self.names.socket(self.resolve(r))).collect();
                    let got: Vec<String> = f
                        .sockets
                        .as_slice()
                        .iter()
                        .map(|v| self.names.socket(*v))
                        .collect();
                    self.check("sockets", format!("{want:?}"), format!("{got:?}"));
                }
                if let Some(r) = rate_bps {
                    let got = f.rate.map_or(0, |c| c.bandwidth_bps);
                    self.check("rate_bps", r.to_string(), got.to_string());
                }
            }
            Check::Marking { flow, dscp, l2 } => {
                let actual = self.model.marking(self.flow_id(flow)).map_or_else(
                    || "no such flow".into(),
                    |m| format!("dscp {} l2 {}", m.conformant_dscp, m.conformant_l2),
                );
                self.check("marking", format!("dscp {dscp} l2 {l2}"), actual);
            }
            Check::Handle {
                handle,
                state,
                flows,
                tracked,
            } => {
                let h = self.model.handle(self.resolve(handle)).cloned();
                let Some(h) = h else {
                    self.check("handle", format!("{state:?}"), "not a handle".into());
                    return;
                };
                let got = match h.state {
                    HandleState::Open => HandleStateArg::Open,
                    HandleState::Stale => HandleStateArg::Stale,
                    HandleState::Dead => HandleStateArg::Dead,
                };
                self.check("state", format!("{state:?}"), format!("{got:?}"));
                if let Some(fl) = flows {
                    let want: Vec<String> = fl.iter().map(|r| self.names.flow(self.flow_id(r))).collect();
                    let got: Vec<String> = h.flow_ids().iter().map(|i| self.names.flow(*i)).collect();
                    self.check("flows", format!("{want:?}"), format!("{got:?}"));
                }
                if let Some(t) = tracked {
                    let got: Vec<String> = h.tracked.iter().map(|(_, ip)| ip.to_string()).collect();
                    let want: Vec<String> = t.iter().map(|ip| ip.to_string()).collect();
                    self.check("tracked", format!("{want:?}"), format!("{got:?}"));
                }
            }
            Check::PendingCount(n) => {
                let got = self.model.pending_count();
                self.check("pending count", n.to_string(), got.to_string());
            }
            Check::Pending {
                handle,
                overlapped,
                pending,
            } => {
                let key = self.key(overlapped);
                let got = self.model.is_pending(self.resolve(handle), key);
                self.check("pending", pending.to_string(), got.to_string());
            }
            Check::LastError(e) => {
                let got = self.last_error;
                self.check("last error", e.to_string(), got.to_string());
            }
            Check::Deadlocks(n) => {
                let got = self.model.deadlocks();
                self.check("deadlocks", n.to_string(), got.to_string());
            }
            Check::Invariants => {
                let got = self
                    .model
                    .check_invariants()
                    .map_or_else(|v| v.0, |()| "hold".into());
                self.check("invariants", "hold".into(), got);
            }
        }
    }
}

/// `(Operation, Size, Buffer)` of a `QOSSetFlow` step.
pub(crate) fn set_buffer(op: &SetArg) -> (i32, u32, Option<Vec<u8>>) {
    match op {
        SetArg::TrafficType(t) => (0, 4, Some(t.raw().to_le_bytes().to_vec())),
        SetArg::OutgoingRate {
            bandwidth_bps,
            shaping,
            reason,
        } => {
            let mut v = bandwidth_bps.to_le_bytes().to_vec();
            v.extend_from_slice(&(*shaping as i32).to_le_bytes());
            v.extend_from_slice(&reason.to_le_bytes());
            (1, 16, Some(v))
        }
        SetArg::OutgoingDscp(d) => (2, 4, Some(d.to_le_bytes().to_vec())),
        SetArg::Raw { op, size, bytes } => (*op, *size, bytes.clone()),
    }
}

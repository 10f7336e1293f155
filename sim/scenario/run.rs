//! Replaying a scenario: a thin driver of the model's public API that binds names, checks
//! every expectation, and collects the events for the trace.
//!
//! A call step's names are resolved to values ([`Resolve`]), the call goes through the model's
//! one door ([`Model::apply`]), and one function compares the result with the step's
//! [`Expectation`].
//!
//! **Invariant:** the runner never reaches into model internals; it applies calls, makes the
//! socket calls, moves time, injects faults and reads views.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::load::raw_ref;
use super::random_faults::FaultDraws;
use super::schema::{
    Addr, CallStep, Check, Data, Dur, Expect, Expectation, FlowIn, HandleStateArg, Named, Ref, Scenario,
    Size, SockExpect, Step, WsaError,
};
use crate::call::{Call, Raw, Resolve, QOS_NON_ADAPTIVE_FLOW, QOS_QUERYFLOW_FRESH};
use crate::model::invariants::Violation;
use crate::model::{
    CallOutput, CallResult, Completion, HandleState, Model, OverlappedKey, Protocol, SockAddrIn, Stamped,
    VirtualTime, Win32Error,
};
use crate::trace::{self, Format, Names};

/// Base of the OVERLAPPED keys the runner derives from names (first name used gets base + 1).
pub const OVERLAPPED_KEY_BASE: u64 = crate::tag::OVERLAPPED_KEY.nth(0);

/// Most scheduled events one `Wait` runs through before it gives up.
pub const MAX_WAIT_EVENTS: u32 = 100_000;

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
    /// step (the default: over what each step changed, [`Model::check_invariants_incremental`],
    /// then fully after the last). For throughput runs; a violation is then reported at the end.
    pub invariants_at_end_only: bool,
    /// After every step, check the invariants both ways and report it as a violation if the
    /// incremental check disagrees with the full one ([`Model::check_invariants_both`]). For
    /// the tests of the incremental check.
    #[doc(hidden)]
    pub compare_invariant_checks: bool,
}

/// An expectation that did not hold (or a model invariant that broke).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
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

/// What a run did: its events and names (the trace), and the expectations that failed.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The seed used.
    pub seed: u64,
    /// Every event the model recorded.
    pub events: Vec<Stamped>,
    /// The names bound during the run.
    pub names: Names,
    /// Expectations that failed.
    pub failures: Vec<Mismatch>,
    /// Steps executed.
    pub steps_run: usize,
    /// Faults the file's `fault_plan` injected: (before step, fault).
    pub planned: Vec<(usize, String)>,
}

impl RunReport {
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
pub fn run(s: &Scenario, opts: &RunOptions) -> RunReport {
    let seed = opts.seed.unwrap_or(s.seed);
    let mut r = Runner::new(Model::new(s.world.clone(), seed));
    let mut draws = s.fault_plan.as_ref().map(|p| FaultDraws::new(p, seed));
    let mut planned = Vec::new();
    let mut steps_run = 0;
    for (i, step) in s.steps.iter().enumerate() {
        match opts.until {
            Some(Until::Step(n)) if i >= n => break,
            Some(Until::Time(t)) if r.model.now() >= t => break,
            _ => {}
        }
        for f in draws.as_mut().map(FaultDraws::draw).unwrap_or_default() {
            planned.push((i, super::load::options().to_string(&f).unwrap_or_default()));
            r.model.inject(f);
            r.relaxed = true; // expectations assume the unfaulted timeline
        }
        r.step = i;
        r.keyword = step.keyword();
        if let Some(Until::Time(t)) = opts.until {
            if r.passes(step, t) {
                r.model.advance_to(t);
                steps_run += 1;
                break;
            }
        }
        r.exec(step);
        r.collect();
        if opts.compare_invariant_checks {
            r.check_model(Model::check_invariants_both);
        } else if !opts.invariants_at_end_only {
            r.check_model(Model::check_invariants_incremental);
        }
        steps_run += 1;
    }
    r.collect();
    r.check_model(|m| m.check_invariants());
    RunReport {
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
    /// Name → value (handles, sockets, flow ids). Only looked up, never iterated, so hashed.
    values: FxHashMap<String, u64>,
    names: Names,
    /// OVERLAPPED name → key (looked up; keys are numbered by `len` in first-use order).
    keys: FxHashMap<String, u64>,
    /// Accepted overlapped requests per key whose completion no `Wait` consumed yet.
    outstanding: BTreeMap<u64, u32>,
    arrived: Vec<Completion>,
    last_error: Win32Error,
    failures: Vec<Mismatch>,
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

/// A scenario may also write the named flag bits in `flags`, as a C caller does; the model
/// reads them from their own fields (`non_adaptive`, `fresh`).
fn named_flag_bits(mut call: Call) -> Call {
    match &mut call {
        Call::AddSocketToFlow(c) => {
            c.non_adaptive |= c.flags & QOS_NON_ADAPTIVE_FLOW != 0;
            c.flags &= !QOS_NON_ADAPTIVE_FLOW;
        }
        Call::QueryFlow(c) => {
            c.fresh |= c.flags & QOS_QUERYFLOW_FRESH != 0;
            c.flags &= !QOS_QUERYFLOW_FRESH;
        }
        _ => {}
    }
    call
}

/// A call step's names as the values the model sees.
impl Resolve<Named, Raw> for Runner {
    fn handle(&mut self, h: &Ref) -> u64 {
        self.resolve(h)
    }

    fn socket(&mut self, s: &Ref) -> u64 {
        self.resolve(s)
    }

    fn flow(&mut self, f: &Ref) -> u32 {
        self.flow_id(f)
    }

    /// `*FlowId = 0` asks for a new flow.
    fn flow_in(&mut self, f: &FlowIn) -> Option<u32> {
        match f {
            FlowIn::New(_) => Some(0),
            FlowIn::Join(r) => Some(self.flow_id(r)),
            FlowIn::Null => None,
        }
    }

    fn new_handle(&mut self, _: &Option<String>) {}

    fn overlapped(&mut self, o: &String) -> OverlappedKey {
        self.key(o)
    }

    fn size(&mut self, s: &Size, careful: Option<u32>) -> Option<u32> {
        match s {
            Size::Auto => careful,
            Size::Null => None,
            Size::Bytes(n) => Some(*n),
        }
    }

    fn addr(&mut self, a: &Option<Addr>) -> Option<SockAddrIn> {
        a.map(|a| a.0)
    }
}

impl Runner {
    fn new(model: Model) -> Runner {
        Runner {
            model,
            values: FxHashMap::default(),
            names: Names::default(),
            keys: FxHashMap::default(),
            outstanding: BTreeMap::new(),
            arrived: Vec::new(),
            last_error: Win32Error::ERROR_SUCCESS,
            failures: Vec::new(),
            step: 0,
            keyword: "",
            relaxed: false,
            broken: false,
        }
    }

    /// Whether `step` moves time past `t`.
    fn passes(&self, step: &Step, t: VirtualTime) -> bool {
        match step {
            Step::Advance(d) => self.model.now().plus_us(d.us) > t,
            Step::AdvanceTo(d) => d.instant() > t,
            _ => false,
        }
    }

    /// Reports the first violation of the model's invariants (checked with `check`), once.
    fn check_model(&mut self, check: impl FnOnce(&mut Model) -> Result<(), Violation>) {
        if !self.broken {
            if let Err(v) = check(&mut self.model) {
                self.fail_always("model invariant", "holds".into(), v.0);
                self.broken = true; // report the first violation only
            }
        }
    }

    fn fail_always(&mut self, what: &str, expected: String, actual: String) {
        self.failures.push(Mismatch {
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

    fn bind_name(&mut self, name: &str, value: u64) {
        self.values.insert(name.to_string(), value);
    }

    fn exec(&mut self, step: &Step) {
        match step {
            Step::Call(c) => self.call(c),
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
                    self.bind_name(socket, v);
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

    /// A call step: its names lowered to values, the call applied, the result checked and the
    /// new handle or flow bound to its name.
    fn call(&mut self, step: &CallStep) {
        let call = named_flag_bits(step.call.map(self));
        let key = call.overlapped().copied();
        let r = self.model.apply(call);
        if let (Some(k), Err(e)) = (key, &r) {
            if e.code == Win32Error::ERROR_IO_PENDING {
                // Accepted: its completion arrives later.
                *self.outstanding.entry(k).or_insert(0) += 1;
            }
        }
        self.expected(&step.expected, &r);
        self.bind(&step.call, &r);
    }

    /// Binds the name a call step gives the handle or flow its call created.
    fn bind(&mut self, call: &Call<Named>, r: &CallResult) {
        match (call, r) {
            (Call::CreateHandle(c), Ok(CallOutput::Handle(v))) => {
                if let Some(name) = &c.handle {
                    self.bind_name(name, *v);
                    self.names.handles.insert(*v, name.clone());
                }
            }
            (Call::AddSocketToFlow(c), Ok(CallOutput::Flow(id))) => {
                if let FlowIn::New(name) = &c.flow {
                    self.bind_name(name, u64::from(*id));
                    self.names.flows.insert(*id, name.clone());
                }
            }
            _ => {}
        }
    }

    /// Compares a call's result with its step's expectation (the fields it gives) and
    /// remembers the last error.
    fn expected(&mut self, e: &Expectation, r: &CallResult) {
        if let Err(err) = r {
            self.last_error = err.code;
        }
        let actual = show_result(r);
        if actual != e.expect {
            self.check("result", e.expect.to_string(), actual.to_string());
        }
        if let (Some(want), Ok(CallOutput::Flow(got))) = (e.id, r) {
            self.check("FlowId", want.to_string(), got.to_string());
        }
        if let Some(want) = &e.data {
            let actual = match r {
                Ok(CallOutput::Data(d, _)) => Some(Data::from(*d)),
                _ => None,
            };
            if !actual.as_ref().is_some_and(|a| want.matches(a)) {
                let actual = actual.as_ref().map_or_else(|| "no data".into(), show_data);
                self.check("data", show_data(want), actual);
            }
        }
        if let Some(want) = &e.flows {
            self.flows(want, r);
        }
        if let Some(want) = e.out_size {
            let actual = match r {
                Ok(CallOutput::Data(_, s)) => Some(*s),
                Ok(CallOutput::Flows(v)) => u32::try_from(v.len() * 4).ok(),
                Err(e) => e.size,
                _ => None,
            };
            let actual = actual.map_or_else(|| "not written".into(), |v| v.to_string());
            self.check("out_size", want.to_string(), actual);
        }
    }

    fn flows(&mut self, want: &[Ref], r: &CallResult) {
        let want: Vec<String> = want.iter().map(|f| self.names.flow(self.flow_id(f))).collect();
        let actual = match r {
            Ok(CallOutput::Flows(v)) => {
                format!("{:?}", v.iter().map(|i| self.names.flow(*i)).collect::<Vec<_>>())
            }
            _ => "no flows written".into(),
        };
        self.check("flows", format!("{want:?}"), actual);
    }

    fn sock(&mut self, expect: &SockExpect, r: Result<(), i32>) {
        let actual = match r {
            Ok(()) => SockExpect::Ok,
            Err(e) => SockExpect::Err(WsaError(e)),
        };
        self.check("result", expect.to_string(), actual.to_string());
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
            let got = c.data.map(Data::from);
            if !got.as_ref().is_some_and(|g| exp.matches(g)) {
                let actual = got.as_ref().map_or_else(|| "no data".into(), show_data);
                self.check("data", show_data(exp), actual);
            }
        }
    }

    fn assert(&mut self, c: &Check) {
        match c {
            Check::FlowCount(n) => {
                let actual = self.model.flow_count();
                self.check("flow count", n.to_string(), actual.to_string());
            }
            Check::Flow { .. } => self.assert_flow(c),
            Check::Marking { flow, dscp, l2 } => {
                // Only the given fields are compared (and shown).
                let show = |d: Option<u32>, l: Option<u32>| {
                    let mut parts = Vec::new();
                    if let Some(d) = d {
                        parts.push(format!("dscp {d}"));
                    }
                    if let Some(l) = l {
                        parts.push(format!("l2 {l}"));
                    }
                    parts.join(" ")
                };
                let actual = self.model.marking(self.flow_id(flow)).map_or_else(
                    || "no such flow".into(),
                    |m| show(dscp.map(|_| m.conformant_dscp), l2.map(|_| m.conformant_l2)),
                );
                self.check("marking", show(*dscp, *l2), actual);
            }
            Check::Handle { .. } => self.assert_handle(c),
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

    /// `Assert(Flow(…))`: only the given fields are checked.
    fn assert_flow(&mut self, c: &Check) {
        let Check::Flow {
            flow,
            exists,
            traffic_type,
            adaptive,
            sockets,
            rate_bps,
        } = c
        else {
            return;
        };
        let id = self.flow_id(flow);
        let f = self.model.flow(id);
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

    /// `Assert(Handle(…))`: its state, and its flows and tracked clients if given.
    fn assert_handle(&mut self, c: &Check) {
        let Check::Handle {
            handle,
            state,
            flows,
            tracked,
        } = c
        else {
            return;
        };
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
}

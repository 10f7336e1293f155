//! Recording: a model's event log (world + seed + events) turned into a scenario whose
//! expectations are the observed results, so a test that drove the sim can save what happened
//! and `qwave-sim check` replays it to the same trace.
//!
//! A recorded call becomes a step by naming its values ([`Call::map`] with a [`Resolve`]
//! from raw values to names); its result becomes the step's [`Expectation`].
//!
//! Names are given in order of first appearance: handles `h1…`, sockets `s1…`, real OS sockets
//! `os-socket-1…`, flows `f1…`, OVERLAPPEDs `ov1…`. Values the log never saw created (a bogus
//! handle, a foreign flow) are written as raw numbers. Consequences (path changes, deadlocks)
//! are not written: replaying the causes reproduces them.
//!
//! A real OS socket is in the log as the `socket`, `bind` and `connect` calls that gave the
//! sim its addresses (`Model::register_external_socket`), so it replays as a scenario socket
//! with the same addresses and connection, and its fd number appears nowhere.

use std::collections::BTreeMap;

use super::schema::{
    Addr, CallStep, Data, Dur, Expect, Expectation, FlowIn, Named, NotifyBuffer, Ref, Scenario, Size,
    SockExpect, Step, WsaError, FORMAT_VERSION,
};
use crate::call::{Call, Raw, Resolve};
use crate::model::event::SocketOp;
use crate::model::{
    CallOutput, CallResult, Event, Fault, OverlappedKey, SockAddrIn, Stamped, VirtualTime, World,
};
use crate::trace::Names;

/// The scenario that reproduces `events` from `world` and `seed`.
pub fn record(world: &World, seed: u64, events: &[Stamped]) -> Scenario {
    Recorder::run(world, seed, events).0
}

/// The names [`record`] gives to the values in `events` (to render the original run's trace
/// the way the replay will).
pub fn record_names(events: &[Stamped]) -> Names {
    Recorder::run(&World::default(), 0, events).1
}

#[derive(Default)]
struct Recorder {
    steps: Vec<Step>,
    /// Virtual time at which each step started.
    starts: Vec<VirtualTime>,
    names: Names,
    counts: BTreeMap<&'static str, usize>,
    now: VirtualTime,
    /// Waits for completions that arrived while time passed, written after the next step.
    deferred: Vec<Step>,
}

fn expect_of(r: &CallResult) -> Expect {
    match r {
        Ok(_) => Expect::Ok,
        Err(e) => Expect::Err(e.code),
    }
}

fn addr(a: &Option<SockAddrIn>) -> Option<Addr> {
    a.map(Addr)
}

impl Recorder {
    fn run(world: &World, seed: u64, events: &[Stamped]) -> (Scenario, Names) {
        let mut r = Recorder::default();
        for e in events {
            r.event(e);
        }
        let rest = std::mem::take(&mut r.deferred);
        for w in rest {
            r.push(w);
        }
        let scenario = Scenario {
            version: FORMAT_VERSION,
            name: "recorded".into(),
            description: format!("Recorded from a run of {} events.", events.len()),
            seed,
            world: world.clone(),
            fault_plan: None,
            steps: r.steps,
        };
        (scenario, r.names)
    }

    fn fresh(&mut self, prefix: &'static str) -> String {
        let n = self.counts.entry(prefix).or_insert(0);
        *n += 1;
        format!("{prefix}{n}")
    }

    fn push(&mut self, s: Step) {
        self.steps.push(s);
        self.starts.push(self.now);
    }

    /// A step that makes time pass or calls the model: flushes deferred waits after it.
    fn push_action(&mut self, s: Step, at: VirtualTime) {
        self.now = self.now.max(at);
        self.push(s);
        let waits = std::mem::take(&mut self.deferred);
        for w in waits {
            self.push(w);
        }
    }

    fn socket(&self, v: u64) -> String {
        self.names.socket(v)
    }

    fn ov(&mut self, k: OverlappedKey) -> String {
        if let Some(n) = self.names.overlapped.get(&k) {
            return n.clone();
        }
        let n = self.fresh("ov");
        self.names.overlapped.insert(k, n.clone());
        n
    }

    fn event(&mut self, s: &Stamped) {
        match &s.event {
            Event::Call { call, result } => {
                let step = self.call(call, result);
                self.push_action(step, s.at);
            }
            Event::Socket {
                op,
                socket,
                wsa_error,
            } => {
                let step = self.socket_call(op, *socket, *wsa_error);
                self.push_action(step, s.at);
            }
            Event::Completion(c) => {
                let overlapped = self.ov(c.key);
                let wait = Step::Wait {
                    overlapped,
                    status: c.status,
                    data: c.data.map(Data::from),
                    within: None,
                };
                if s.at > self.now {
                    self.deferred.push(wait);
                } else {
                    self.push(wait);
                }
            }
            Event::Fault(f) => self.fault(f, s.at),
            Event::Advance(t) => {
                let step = Step::AdvanceTo(Dur::from_us(t.0));
                self.push_action(step, *t);
            }
            Event::Path { .. } | Event::Deadlock(_) | Event::ShapeOnlyMarking { .. } => {}
        }
    }

    /// The step that makes a socket call.
    fn socket_call(&mut self, op: &SocketOp, socket: u64, wsa_error: i32) -> Step {
        let expect = if wsa_error == 0 {
            SockExpect::Ok
        } else {
            SockExpect::Err(WsaError(wsa_error))
        };
        match op {
            SocketOp::Create { family, protocol } => {
                let sim_socket = crate::tag::SOCKET.marks(socket);
                let name = self.fresh(if sim_socket { "s" } else { "os-socket-" });
                self.names.sockets.insert(socket, name.clone());
                Step::Socket {
                    socket: name,
                    family: *family,
                    protocol: *protocol,
                    expect,
                }
            }
            SocketOp::Bind(a) => Step::Bind {
                socket: self.socket(socket),
                addr: addr(a),
                expect,
            },
            SocketOp::Connect(a) => Step::Connect {
                socket: self.socket(socket),
                addr: addr(a),
                expect,
            },
            SocketOp::Close => Step::CloseSocket {
                socket: self.socket(socket),
                expect,
            },
            SocketOp::V6Only(on) => Step::V6Only {
                socket: self.socket(socket),
                on: *on,
                expect,
            },
        }
    }

    /// A fault: `Fault` now, or `FaultAt` when it took effect later (while time passed, or
    /// while a blocking call waited).
    fn fault(&mut self, f: &Fault, at: VirtualTime) {
        if at <= self.now {
            self.push(Step::Fault(f.clone()));
            return;
        }
        let step = Step::FaultAt {
            at: Dur::from_us(at.0),
            fault: f.clone(),
        };
        let i = self.blocking_call_before(at).unwrap_or(self.steps.len());
        self.steps.insert(i, step);
        self.starts
            .insert(i, self.starts.get(i).copied().unwrap_or(self.now));
    }

    /// The index of the last step, if it is a blocking call that started before `t` (so a
    /// fault at `t` happened while it blocked and must be scheduled before it).
    fn blocking_call_before(&self, t: VirtualTime) -> Option<usize> {
        let i = self.steps.iter().rposition(|s| !matches!(s, Step::Wait { .. }))?;
        let blocking = match &self.steps[i] {
            Step::Call(CallStep {
                call: Call::NotifyFlow(c),
                ..
            }) => c.overlapped.is_none(),
            Step::Call(CallStep {
                call: Call::QueryFlow(c),
                ..
            }) => c.overlapped.is_none() && c.fresh,
            _ => false,
        };
        (blocking && self.starts[i] < t).then_some(i)
    }

    /// The step that makes `call` and expects `result`.
    fn call(&mut self, call: &Call, result: &CallResult) -> Step {
        let call = tidy(call.map(&mut Naming { rec: self, result }));
        let expected = self.observed(result).only_for(call.func());
        Step::Call(CallStep { call, expected })
    }

    /// A result as the expectation of its step.
    fn observed(&self, result: &CallResult) -> Expectation {
        let mut e = Expectation {
            expect: expect_of(result),
            ..Expectation::default()
        };
        match result {
            Ok(CallOutput::Flow(id)) => e.id = Some(*id),
            Ok(CallOutput::Data(d, size)) => (e.data, e.out_size) = (Some(Data::from(*d)), Some(*size)),
            Ok(CallOutput::Flows(v)) => {
                e.flows = Some(v.iter().map(|i| self.names.flow(*i)).collect());
                e.out_size = u32::try_from(v.len() * 4).ok();
            }
            Err(err) => e.out_size = err.size,
            Ok(CallOutput::None | CallOutput::Handle(_)) => {}
        }
        e
    }
}

/// Names a recorded call's values: known values by their names, a new handle or flow by a
/// fresh name bound to what the call returned, and a size a careful caller passes as `Auto`.
struct Naming<'a> {
    rec: &'a mut Recorder,
    result: &'a CallResult,
}

impl Resolve<Raw, Named> for Naming<'_> {
    fn handle(&mut self, h: &u64) -> Ref {
        self.rec.names.handle(*h)
    }

    fn socket(&mut self, s: &u64) -> Ref {
        self.rec.socket(*s)
    }

    fn flow(&mut self, f: &u32) -> Ref {
        self.rec.names.flow(*f)
    }

    fn flow_in(&mut self, f: &Option<u32>) -> FlowIn {
        match *f {
            None => FlowIn::Null,
            Some(0) => {
                let name = self.rec.fresh("f");
                if let Ok(CallOutput::Flow(id)) = self.result {
                    self.rec.names.flows.insert(*id, name.clone());
                }
                FlowIn::New(name)
            }
            Some(id) => FlowIn::Join(self.rec.names.flow(id)),
        }
    }

    fn new_handle(&mut self, _: &()) -> Option<String> {
        let Ok(CallOutput::Handle(v)) = self.result else {
            return None;
        };
        let name = self.rec.fresh("h");
        self.rec.names.handles.insert(*v, name.clone());
        Some(name)
    }

    fn overlapped(&mut self, k: &OverlappedKey) -> String {
        self.rec.ov(*k)
    }

    fn size(&mut self, s: &Option<u32>, careful: Option<u32>) -> Size {
        match *s {
            s if s == careful => Size::Auto,
            None => Size::Null,
            Some(n) => Size::Bytes(n),
        }
    }

    fn addr(&mut self, a: &Option<SockAddrIn>) -> Option<Addr> {
        a.map(Addr)
    }
}

/// Leaves out what a careful caller passes anyway: a notification buffer that holds what
/// `Auto` gives (the target of `QOSNotifyAvailable`, NULL otherwise).
fn tidy(mut call: Call<Named>) -> Call<Named> {
    if let Call::NotifyFlow(c) = &mut call {
        if c.buffer.value(c.op) == NotifyBuffer::Auto.value(c.op) {
            c.buffer = NotifyBuffer::Auto;
        }
    }
    call
}

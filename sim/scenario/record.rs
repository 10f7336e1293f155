//! Recording: a model's event log (world + seed + events) turned into a scenario whose
//! expectations are the observed results, so a test that drove the sim can save what happened
//! and `qwave-sim check` replays it to the same trace.
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
    Addr, Buffer, Data, Dur, Expect, FlowIn, NotifyArg, Scenario, Size, SockExpect, Step, WsaError,
    FORMAT_VERSION,
};
use crate::call::{self, Call};
use crate::model::event::SocketOp;
use crate::model::{CallOutput, CallResult, Event, Stamped, VirtualTime, World};
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

fn addr(a: &Option<crate::model::SockAddrIn>) -> Option<Addr> {
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

    fn handle(&self, v: u64) -> String {
        self.names.handle(v)
    }

    fn socket(&self, v: u64) -> String {
        self.names.socket(v)
    }

    fn flow(&self, id: u32) -> String {
        self.names.flow(id)
    }

    fn ov(&mut self, k: Option<u64>) -> Option<String> {
        let k = k?;
        if let Some(n) = self.names.overlapped.get(&k) {
            return Some(n.clone());
        }
        let n = self.fresh("ov");
        self.names.overlapped.insert(k, n.clone());
        Some(n)
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
                let expect = if *wsa_error == 0 {
                    SockExpect::Ok
                } else {
                    SockExpect::Err(WsaError(*wsa_error))
                };
                let step = match op {
                    SocketOp::Create { family, protocol } => {
                        let sim_socket = *socket & !0xFF_FFFF_FFFF == crate::model::socket::SOCKET_TAG;
                        let name = self.fresh(if sim_socket { "s" } else { "os-socket-" });
                        self.names.sockets.insert(*socket, name.clone());
                        Step::Socket {
                            socket: name,
                            family: *family,
                            protocol: *protocol,
                            expect,
                        }
                    }
                    SocketOp::Bind(a) => Step::Bind {
                        socket: self.socket(*socket),
                        addr: addr(a),
                        expect,
                    },
                    SocketOp::Connect(a) => Step::Connect {
                        socket: self.socket(*socket),
                        addr: addr(a),
                        expect,
                    },
                    SocketOp::Close => Step::CloseSocket {
                        socket: self.socket(*socket),
                        expect,
                    },
                    SocketOp::V6Only(on) => Step::V6Only {
                        socket: self.socket(*socket),
                        on: *on,
                        expect,
                    },
                };
                self.push_action(step, s.at);
            }
            Event::Completion(c) => {
                let overlapped = self.ov(Some(c.key)).expect("key given");
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
            Event::Fault(f) => {
                if s.at <= self.now {
                    self.push(Step::Fault(f.clone()));
                } else {
                    let step = Step::FaultAt {
                        at: Dur::from_us(s.at.0),
                        fault: f.clone(),
                    };
                    let at = self.blocking_call_before(s.at).unwrap_or(self.steps.len());
                    self.steps.insert(at, step);
                    self.starts
                        .insert(at, self.starts.get(at).copied().unwrap_or(self.now));
                }
            }
            Event::Advance(t) => {
                let step = Step::AdvanceTo(Dur::from_us(t.0));
                self.push_action(step, *t);
            }
            Event::Path { .. } | Event::Deadlock(_) => {}
        }
    }

    /// The index of the last step, if it is a blocking call that started before `t` (so a
    /// fault at `t` happened while it blocked and must be scheduled before it).
    fn blocking_call_before(&self, t: VirtualTime) -> Option<usize> {
        let i = self.steps.iter().rposition(|s| !matches!(s, Step::Wait { .. }))?;
        let blocking = matches!(
            &self.steps[i],
            Step::NotifyFlow { overlapped: None, .. }
                | Step::QueryFlow {
                    overlapped: None,
                    fresh: true,
                    ..
                }
        );
        (blocking && self.starts[i] < t).then_some(i)
    }

    fn call(&mut self, call: &Call, result: &CallResult) -> Step {
        let expect = expect_of(result);
        match call {
            Call::CreateHandle(call::CreateHandle { version, out, .. }) => {
                let handle = match result {
                    Ok(CallOutput::Handle(v)) => {
                        let n = self.fresh("h");
                        self.names.handles.insert(*v, n.clone());
                        Some(n)
                    }
                    _ => None,
                };
                Step::CreateHandle {
                    handle,
                    version: *version,
                    out: *out,
                    expect,
                }
            }
            Call::CloseHandle(call::CloseHandle { handle }) => Step::CloseHandle {
                handle: self.handle(*handle),
                expect,
            },
            Call::AddSocketToFlow(c) => {
                let call::AddSocketToFlow {
                    handle,
                    socket,
                    dest,
                    traffic_type,
                    flow: flow_in,
                    ..
                } = c;
                let (flow, id) = match (flow_in, result) {
                    (None, _) => (FlowIn::Null, None),
                    (Some(0), Ok(CallOutput::Flow(id))) => {
                        let n = self.fresh("f");
                        self.names.flows.insert(*id, n.clone());
                        (FlowIn::New(n), Some(*id))
                    }
                    (Some(0), _) => (FlowIn::New(self.fresh("f")), None),
                    (Some(f), r) => (
                        FlowIn::Join(self.flow(*f)),
                        match r {
                            Ok(CallOutput::Flow(id)) => Some(*id),
                            _ => None,
                        },
                    ),
                };
                Step::AddSocketToFlow {
                    handle: self.handle(*handle),
                    socket: self.socket(*socket),
                    dest: addr(dest),
                    traffic_type: *traffic_type,
                    non_adaptive: c.non_adaptive,
                    flags: c.flags,
                    flow,
                    expect,
                    id,
                }
            }
            Call::RemoveSocketFromFlow(call::RemoveSocketFromFlow {
                handle,
                socket,
                flow,
                flags,
            }) => Step::RemoveSocketFromFlow {
                handle: self.handle(*handle),
                socket: self.socket(*socket),
                flow: self.flow(*flow),
                flags: *flags,
                expect,
            },
            Call::SetFlow(call::SetFlow {
                handle,
                flow,
                op,
                flags,
                overlapped,
            }) => Step::SetFlow {
                handle: self.handle(*handle),
                flow: self.flow(*flow),
                op: op.clone(),
                flags: *flags,
                overlapped: self.ov(*overlapped),
                expect,
            },
            Call::QueryFlow(c) => {
                let call::QueryFlow {
                    handle,
                    flow,
                    op,
                    size,
                    buffer,
                    overlapped,
                    ..
                } = c;
                let q = *op;
                Step::QueryFlow {
                    handle: self.handle(*handle),
                    flow: self.flow(*flow),
                    op: q,
                    size: match size {
                        None => Size::Null,
                        Some(n) if *n == q.size() => Size::Auto,
                        Some(n) => Size::Bytes(*n),
                    },
                    buffer: *buffer,
                    fresh: c.fresh,
                    flags: c.flags,
                    overlapped: self.ov(*overlapped),
                    expect,
                    data: data_of(result),
                    out_size: out_size_of(result),
                }
            }
            Call::NotifyFlow(c) => {
                let call::NotifyFlow {
                    handle,
                    flow,
                    size,
                    flags,
                    overlapped,
                    ..
                } = c;
                let target = &c.target();
                let (op_arg, size_arg, buffer) = match &c.op.code() {
                    2 => (
                        NotifyArg::Available(target.unwrap_or(0)),
                        match size {
                            Some(8) => Size::Auto,
                            None => Size::Null,
                            Some(n) => Size::Bytes(*n),
                        },
                        if target.is_some() {
                            Buffer::Auto
                        } else {
                            Buffer::Null
                        },
                    ),
                    o => (
                        match o {
                            0 => NotifyArg::Congested,
                            1 => NotifyArg::Uncongested,
                            v => NotifyArg::Raw(*v),
                        },
                        size.map_or(Size::Auto, Size::Bytes),
                        target.map_or(Buffer::Auto, Buffer::Value),
                    ),
                };
                Step::NotifyFlow {
                    handle: self.handle(*handle),
                    flow: self.flow(*flow),
                    op: op_arg,
                    size: size_arg,
                    buffer,
                    flags: *flags,
                    overlapped: self.ov(*overlapped),
                    expect,
                    data: data_of(result),
                    out_size: out_size_of(result),
                }
            }
            Call::Cancel(call::Cancel { handle, overlapped }) => Step::Cancel {
                handle: self.handle(*handle),
                overlapped: self.ov(*overlapped),
                expect,
            },
            Call::EnumerateFlows(call::EnumerateFlows { handle, size, buffer }) => Step::EnumerateFlows {
                handle: self.handle(*handle),
                size: match size {
                    None => Size::Null,
                    Some(n) if *n == super::run::ENUMERATE_AUTO_SIZE => Size::Auto,
                    Some(n) => Size::Bytes(*n),
                },
                buffer: *buffer,
                expect,
                flows: match result {
                    Ok(CallOutput::Flows(v)) => Some(v.iter().map(|i| self.flow(*i)).collect()),
                    _ => None,
                },
                out_size: out_size_of(result),
            },
            Call::StartTrackingClient(call::Tracking {
                handle,
                client: dest,
                flags,
            }) => Step::StartTrackingClient {
                handle: self.handle(*handle),
                client: addr(dest),
                flags: *flags,
                expect,
            },
            Call::StopTrackingClient(call::Tracking {
                handle,
                client: dest,
                flags,
            }) => Step::StopTrackingClient {
                handle: self.handle(*handle),
                client: addr(dest),
                flags: *flags,
                expect,
            },
        }
    }
}

fn data_of(r: &CallResult) -> Option<Data> {
    match r {
        Ok(CallOutput::Data(d, _)) => Some(Data::from(*d)),
        _ => None,
    }
}

fn out_size_of(r: &CallResult) -> Option<u32> {
    match r {
        Ok(CallOutput::Data(_, s)) => Some(*s),
        Ok(CallOutput::Flows(v)) => u32::try_from(v.len() * 4).ok(),
        Err(e) => e.size,
        _ => None,
    }
}

//! A small reference model of qWAVE, written from the rules (RULES.md / the spec), not from
//! the simulator: handles, sockets, flows, pending overlapped requests, tracked clients,
//! injected failures, device reset / sleep / resume and a virtual clock. It predicts every
//! return value, error code, `*Size`, output and completion of the steps in [`SmOp`]: a
//! [`Call`] of the 11 functions (read through its C values: operation codes, `Size`, buffer
//! bytes, flag bits), a time advance or a fault.
//!
//! It covers one fixed world (the default world, estimates ready at once: `warmup_ms` =
//! `partial_ms` = 0) with a few policy knobs, and a fixed set of sockets and destinations whose
//! properties are written down here by hand ([`SOCKETS`], [`DESTS`]). Only shared data types
//! (`Call` and its operation codes and C layouts, `CallOutput`, `QueryData`, `Win32Error`,
//! ...) come from the crate; no model code runs here.

use std::collections::{BTreeMap, BTreeSet};

use qwave_sim::call::{AddSocketToFlow, Call, Names, NotifyFlow, QueryFlow, Resolve, SetFlow};
use qwave_sim::model::event::{CallError, CallOutput, CallResult, QueryData};
use qwave_sim::model::{Func, Marking, Win32Error as E};

/// A deliberate bug to plant in the reference, to prove the test notices broken rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// REM-4 broken: removing a flow's only socket (by value) leaves the flow alive.
    RemoveLastSocketKeepsFlow,
}

/// World knobs the test varies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Knobs {
    /// `policy.admin` (SET-7a, ENU-2).
    pub admin: bool,
    /// `settings.reject_socket_in_two_flows` (AMB-30).
    pub reject_socket_in_two_flows: bool,
    /// `policy.rate_required_for_marking` (AMB-9, SET-6).
    pub rate_required: bool,
}

/// How a destination is reached, as the default world defines it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// On-link peer with an LLTD QoS responder: measurable; `path` names its path.
    Lltd { path: u8 },
    /// On-link peer without LLTD.
    Plain,
    /// On-link peer that refuses qWAVE.
    Refusing,
    /// Off-link host.
    OffLink,
    /// No route.
    Unreachable,
    /// 127.0.0.1.
    Loopback,
    /// Not a valid destination (port 0, bad family).
    Invalid,
    /// NULL.
    Null,
}

/// A destination the steps use: its text (for the SUT), family (true = IPv6), client identity
/// for tracking (the IP) and kind.
#[derive(Clone, Copy, Debug)]
pub struct Dest {
    /// `ip:port`, `""` for NULL, `"bad"` for a bad family.
    pub text: &'static str,
    /// IPv6.
    pub v6: bool,
    /// What it is.
    pub kind: Kind,
}

/// The destinations, indexed by a call's address ([`Sel`]).
pub const DESTS: [Dest; 10] = [
    Dest {
        text: "192.168.1.20:5004",
        v6: false,
        kind: Kind::Lltd { path: 0 },
    },
    Dest {
        text: "[fd00::20]:5004",
        v6: true,
        kind: Kind::Lltd { path: 1 },
    },
    Dest {
        text: "192.168.1.30:5004",
        v6: false,
        kind: Kind::Plain,
    },
    Dest {
        text: "192.168.1.40:5004",
        v6: false,
        kind: Kind::Refusing,
    },
    Dest {
        text: "203.0.113.7:5004",
        v6: false,
        kind: Kind::OffLink,
    },
    Dest {
        text: "198.51.100.9:5004",
        v6: false,
        kind: Kind::Unreachable,
    },
    Dest {
        text: "127.0.0.1:5004",
        v6: false,
        kind: Kind::Loopback,
    },
    // Port 0: invalid for a flow (ADD-6), but a fine client for tracking (STA-3: port ignored).
    Dest {
        text: "192.168.1.20:0",
        v6: false,
        kind: Kind::Invalid,
    },
    Dest {
        text: "bad",
        v6: false,
        kind: Kind::Invalid,
    },
    Dest {
        text: "",
        v6: false,
        kind: Kind::Null,
    },
];

/// A socket the test creates up front.
#[derive(Clone, Copy, Debug)]
pub struct Sock {
    /// IPv6.
    pub v6: bool,
    /// TCP (else UDP).
    pub tcp: bool,
    /// Connected peer (index into [`DESTS`]).
    pub peer: Option<usize>,
    /// Closed before the run.
    pub closed: bool,
}

/// The sockets, indexed by a call's socket ([`Sel`]); index [`SOCKETS`]`.len()` is a garbage
/// value and [`SOCKET_ZERO`] is 0.
pub const SOCKETS: [Sock; 5] = [
    Sock {
        v6: false,
        tcp: false,
        peer: None,
        closed: false,
    },
    Sock {
        v6: false,
        tcp: false,
        peer: Some(0),
        closed: false,
    },
    Sock {
        v6: true,
        tcp: false,
        peer: None,
        closed: false,
    },
    Sock {
        v6: false,
        tcp: false,
        peer: None,
        closed: true,
    },
    Sock {
        v6: false,
        tcp: true,
        peer: Some(4),
        closed: false,
    },
];
/// The `s` value meaning "socket 0" (REM-3: whole flow).
pub const SOCKET_ZERO: u8 = 6;

/// The handle argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum H {
    /// The n-th handle created (modulo their number; NULL if there is none yet). Resolved
    /// when the step runs, so a shrunk sequence still names a handle.
    Idx(usize),
    /// A value never issued: NULL, 0xdeadbeef, ...
    Garbage(u64),
}

/// A flow id argument, resolved when the step runs, so a shrunk sequence keeps pointing at a
/// live flow after earlier steps are dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlowSel {
    /// The n-th live flow, in id order (modulo their number; the next unused id if none).
    Live(usize),
    /// This id as is (0, `u32::MAX`, an id not yet issued, ...).
    Id(u32),
}

/// A fault the test injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmFault {
    /// GEN-8.
    Reset,
    /// GEN-9.
    Sleep,
    /// CRE-8.
    Resume,
    /// GEN-11: the next `count` calls (of `func`) fail with `code`.
    FailCalls { func: Option<Func>, code: E, count: u32 },
    /// NOT-4: the path toward the IPv4 (`v6 == false`) or IPv6 LLTD peer (un)congests.
    Congestion { v6: bool, congested: bool },
}

/// How the generated steps name a call's arguments: handles and flows by selector (resolved
/// when the step runs), sockets by index into [`SOCKETS`] ([`SOCKET_ZERO`] = 0), destinations
/// by index into [`DESTS`], OVERLAPPEDs by number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Sel;

impl Names for Sel {
    type Handle = H;
    type Socket = u8;
    type Flow = FlowSel;
    type FlowIn = Option<FlowSel>;
    type NewHandle = ();
    type Overlapped = u8;
    type Size = Option<u32>;
    type Addr = usize;

    fn null_socket() -> u8 {
        SOCKET_ZERO
    }
}

/// [`Sel`] once the step runs: `H::Idx` names an existing handle, flows are ids. What the
/// reference interprets and the SUT lowers to raw values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Conc;

impl Names for Conc {
    type Handle = H;
    type Socket = u8;
    type Flow = u32;
    type FlowIn = Option<u32>;
    type NewHandle = ();
    type Overlapped = u8;
    type Size = Option<u32>;
    type Addr = usize;

    fn null_socket() -> u8 {
        SOCKET_ZERO
    }
}

/// One step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SmOp {
    /// One of the 11 functions.
    Call(Call<Sel>),
    /// Advance virtual time.
    AdvanceMs(u64),
    /// Inject a fault now.
    Fault(SmFault),
}

/// A finished overlapped request, as the test compares them (request numbers left out).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Done {
    /// Handle index.
    pub handle: usize,
    /// OVERLAPPED key.
    pub key: u8,
    /// Flow id.
    pub flow: u32,
    /// Function (as its index in `Func::ALL`).
    pub func: u8,
    /// Status code.
    pub status: u32,
    /// Data as `(kind, value...)`: see [`data_key`].
    pub data: Option<(u8, u64, u64, u64)>,
}

/// A comparable form of `QueryData`.
pub fn data_key(d: &QueryData) -> (u8, u64, u64, u64) {
    match *d {
        QueryData::Fundamentals {
            bottleneck_bps,
            available_bps,
            rtt_us,
        } => (
            0,
            bottleneck_bps.unwrap_or(u64::MAX),
            available_bps.unwrap_or(u64::MAX),
            rtt_us.map_or(u64::MAX, u64::from),
        ),
        QueryData::PacketPriority(m) => (
            1,
            u64::from(m.conformant_dscp) << 32 | u64::from(m.non_conformant_dscp),
            u64::from(m.conformant_l2) << 32 | u64::from(m.non_conformant_l2),
            0,
        ),
        QueryData::OutgoingRate(v) => (2, v, 0, 0),
        QueryData::Available(v) => (3, v, 0, 0),
    }
}

/// `ERROR_INVALID_PARAMETER` as a call error.
const EINVAL: E = E::ERROR_INVALID_PARAMETER;
/// `QOS_OUTGOING_DEFAULT_MINIMUM_BANDWIDTH` and what the simulator grants for it (SIM-4).
const DEFAULT_MIN: u64 = 0xFFFF_FFFF;
const DEFAULT_MIN_GRANT: u64 = 64_000;
/// The default world's peer path (`PathConfig::default()`).
const PEER_BOTTLENECK: u64 = 100_000_000;
const PEER_AVAILABLE: u64 = 80_000_000;
const PEER_RTT_US: u32 = 2_000;
/// Settings the test keeps at their defaults.
const IO_LATENCY_US: u64 = 1_000;
const FRESH_PROBE_US: u64 = 100_000;
const DEADLOCK_US: u64 = 3_600_000_000;
/// TT table: DSCP and 802.1p per traffic type 0..=5.
const TT_DSCP: [u32; 6] = [0, 8, 40, 40, 56, 56];
const TT_L2: [u32; 6] = [0, 2, 5, 5, 7, 7];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HState {
    Open,
    Stale,
    Dead,
}

#[derive(Clone, Debug)]
pub struct RHandle {
    pub state: HState,
    /// Tracked clients: index of the client IP (DESTS index of its canonical form).
    pub tracked: BTreeSet<usize>,
}

#[derive(Clone, Debug)]
pub struct RFlow {
    pub owner: usize,
    pub adaptive: bool,
    pub tt: usize,
    pub sockets: Vec<u8>,
    pub dest: usize,
    /// (bandwidth, shaping) of the last accepted rate.
    pub rate: Option<(u64, i32)>,
    pub admitted: bool,
    pub held: u64,
    pub dscp: Option<u32>,
    /// Pending notification request per operation.
    pub notify: [Option<u64>; 3],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReqKind {
    Set(SetReq),
    Query {
        op: i32,
        fresh: bool,
    },
    /// 0, 1, 2 (target).
    Notify(i32, u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetReq {
    Tt(usize),
    Rate(u64, i32),
    Dscp(u32),
}

#[derive(Clone, Copy, Debug)]
pub struct RReq {
    pub handle: usize,
    pub key: u8,
    pub flow: u32,
    pub kind: ReqKind,
}

#[derive(Clone, Debug)]
pub enum Timed {
    /// Run request n (Set / Query) and complete it.
    Due(u64),
    /// Deliver a completion decided earlier.
    Deliver(Done),
}

/// The reference state.
#[derive(Clone, Debug)]
pub struct RefState {
    pub knobs: Knobs,
    pub mutation: Option<Mutation>,
    pub now_us: u64,
    pub handles: Vec<RHandle>,
    pub flows: BTreeMap<u32, RFlow>,
    pub next_flow: u32,
    pub requests: BTreeMap<u64, RReq>,
    pub next_req: u64,
    pub timeline: BTreeMap<(u64, u64), Timed>,
    pub next_seq: u64,
    pub failures: Vec<(Option<Func>, E, u32)>,
    pub asleep: bool,
    pub create_failures_left: u32,
    /// Congestion of the two LLTD peer paths.
    pub congested: [bool; 2],
    /// Waiting notifications per LLTD path, in arrival order.
    pub waiters: [Vec<u64>; 2],
    /// What the last step returned, and the completions delivered during it (sorted).
    pub last: Option<CallResult>,
    pub delivered: Vec<Done>,
    /// The last step's call with its handle and flow arguments resolved: what the SUT runs.
    pub resolved: Option<Call<Conc>>,
}

/// `QOS_SUBTRACT_OVERHEAD` for a socket and 1400-byte payloads (the default `packet_bytes`).
fn payload_of(s: &Sock, bps: u64) -> u64 {
    // qos2.h: IPv4 20 header bytes, IPv6 40; TCP 20, UDP 8; f64 arithmetic, truncated.
    let overhead = f64::from(if s.v6 { 40u8 } else { 20 } + if s.tcp { 20 } else { 8 }) * 8.0;
    let d = overhead / (1_400.0 * 8.0 + overhead) * bps as f64;
    bps.saturating_sub(d as u64)
}

fn err(code: E) -> CallResult {
    Err(code.into())
}

fn func_ix(f: Func) -> u8 {
    Func::ALL.iter().position(|g| *g == f).expect("one of 11") as u8
}

impl RefState {
    pub fn new(knobs: Knobs, mutation: Option<Mutation>) -> RefState {
        RefState {
            knobs,
            mutation,
            now_us: 0,
            handles: Vec::new(),
            flows: BTreeMap::new(),
            next_flow: 1,
            requests: BTreeMap::new(),
            next_req: 1,
            timeline: BTreeMap::new(),
            next_seq: 0,
            failures: Vec::new(),
            asleep: false,
            create_failures_left: 0,
            congested: [false; 2],
            waiters: [Vec::new(), Vec::new()],
            last: None,
            delivered: Vec::new(),
            resolved: None,
        }
    }

    /// Ids of live flows, sorted.
    pub fn flow_ids(&self) -> Vec<u32> {
        self.flows.keys().copied().collect()
    }

    // ----- time -----

    fn schedule(&mut self, at: u64, t: Timed) {
        self.timeline.insert((at, self.next_seq), t);
        self.next_seq += 1;
    }

    /// Runs the next timeline entry due at or before `to`; whether one ran.
    fn step_before(&mut self, to: u64) -> bool {
        let Some((&(t, seq), _)) = self.timeline.iter().next() else {
            return false;
        };
        if t > to {
            return false;
        }
        let ev = self.timeline.remove(&(t, seq)).expect("present");
        self.now_us = self.now_us.max(t);
        match ev {
            Timed::Deliver(d) => self.delivered.push(d),
            Timed::Due(id) => self.run_due(id),
        }
        true
    }

    fn run_until(&mut self, to: u64) {
        while self.step_before(to) {}
        self.now_us = self.now_us.max(to);
    }

    // ----- requests -----

    fn done(&self, r: &RReq, status: E, data: Option<QueryData>) -> Done {
        let func = match r.kind {
            ReqKind::Set(_) => Func::SetFlow,
            ReqKind::Query { .. } => Func::QueryFlow,
            ReqKind::Notify(..) => Func::NotifyFlow,
        };
        Done {
            handle: r.handle,
            key: r.key,
            flow: r.flow,
            func: func_ix(func),
            status: status.0,
            data: data.as_ref().map(data_key),
        }
    }

    fn new_req(&mut self, r: RReq) -> u64 {
        let id = self.next_req;
        self.next_req += 1;
        self.requests.insert(id, r);
        id
    }

    fn unregister(&mut self, id: u64) -> Option<RReq> {
        let r = self.requests.remove(&id)?;
        if let ReqKind::Notify(op, _) = r.kind {
            if let Some(f) = self.flows.get_mut(&r.flow) {
                if f.notify[op as usize] == Some(id) {
                    f.notify[op as usize] = None;
                }
            }
            for w in &mut self.waiters {
                w.retain(|x| *x != id);
            }
        }
        Some(r)
    }

    /// CLO-5, REM-9, CAN-3: the request completes with `code` on the next step.
    fn abort(&mut self, id: u64, code: E) {
        if let Some(r) = self.unregister(id) {
            let d = self.done(&r, code, None);
            self.schedule(self.now_us, Timed::Deliver(d));
        }
    }

    fn run_due(&mut self, id: u64) {
        let Some(r) = self.requests.get(&id).copied() else {
            return;
        };
        let out = match r.kind {
            ReqKind::Set(op) => self.exec_set(r.flow, op).map(|_| None),
            ReqKind::Query { op, fresh } => self.exec_query(r.flow, op, fresh).map(Some),
            ReqKind::Notify(..) => return,
        };
        self.unregister(id);
        let d = match out {
            Ok(data) => self.done(&r, E::ERROR_SUCCESS, data),
            Err(e) => self.done(&r, e, None),
        };
        self.delivered.push(d);
    }

    fn key_in_use(&self, h: usize, key: u8) -> bool {
        self.requests.values().any(|r| r.handle == h && r.key == key)
    }

    // ----- faults -----

    /// GEN-11: consumes an armed failure for `f`.
    fn injected(&mut self, f: Func) -> Result<(), E> {
        let adapter_ok = !matches!(
            f,
            Func::CloseHandle | Func::RemoveSocketFromFlow | Func::EnumerateFlows
        );
        let pos = self.failures.iter().position(|(func, code, _)| {
            func.is_none_or(|g| g == f) && (*code != E::ERROR_ADAP_HDW_ERR || adapter_ok)
        });
        if let Some(i) = pos {
            let code = self.failures[i].1;
            self.failures[i].2 -= 1;
            if self.failures[i].2 == 0 {
                self.failures.remove(i);
            }
            return Err(code);
        }
        Ok(())
    }

    fn destroy_flow(&mut self, id: u32) {
        if self.flows.remove(&id).is_none() {
            return;
        }
        let reqs: Vec<u64> = self
            .requests
            .iter()
            .filter(|(_, r)| r.flow == id)
            .map(|(k, _)| *k)
            .collect();
        for r in reqs {
            self.abort(r, E::ERROR_OPERATION_ABORTED);
        }
    }

    /// GEN-8 (`stale`) and GEN-9: flows, requests and tracking go; handles change state.
    fn invalidate_all(&mut self, sleep: bool) {
        let ids = self.flow_ids();
        for id in ids {
            self.destroy_flow(id);
        }
        let reqs: Vec<u64> = self.requests.keys().copied().collect();
        for r in reqs {
            self.abort(r, E::ERROR_OPERATION_ABORTED);
        }
        for h in &mut self.handles {
            h.state = match (h.state, sleep) {
                (HState::Open, false) => HState::Stale,
                (HState::Open | HState::Stale, true) => HState::Dead,
                (s, _) => s,
            };
            h.tracked.clear();
        }
    }

    fn fault(&mut self, f: SmFault) {
        self.run_until(self.now_us);
        match f {
            SmFault::Reset => self.invalidate_all(false),
            SmFault::Sleep => {
                self.invalidate_all(true);
                self.asleep = true;
            }
            SmFault::Resume => {
                if self.asleep {
                    self.asleep = false;
                    self.create_failures_left = 1; // default create_failures_after_resume
                }
            }
            SmFault::FailCalls { func, code, count } => {
                if count > 0 && code != E::ERROR_SUCCESS {
                    self.failures.push((func, code, count));
                }
            }
            SmFault::Congestion { v6, congested } => {
                let p = usize::from(v6);
                self.congested[p] = congested;
                for w in self.waiters[p].clone() {
                    self.check_notification(w);
                }
            }
        }
    }

    // ----- paths -----

    fn lltd_path(&self, dest: usize) -> Option<usize> {
        match DESTS[dest].kind {
            Kind::Lltd { path } => Some(path as usize),
            _ => None,
        }
    }

    /// Bandwidth left for flow `id` on its path: free capacity minus what the others hold;
    /// 0 while congested (QRY-10). Paths other than the LLTD peers' are never asked.
    fn available_for(&self, id: u32) -> u64 {
        let f = &self.flows[&id];
        let Some(p) = self.lltd_path(f.dest) else {
            return 0;
        };
        if self.congested[p] {
            return 0;
        }
        let others: u64 = self
            .flows
            .iter()
            .filter(|(k, g)| **k != id && self.lltd_path(g.dest) == Some(p))
            .map(|(_, g)| g.held)
            .sum();
        PEER_AVAILABLE.saturating_sub(others)
    }

    fn any_prioritised(&self) -> bool {
        self.flows
            .values()
            .any(|f| f.adaptive && f.admitted && f.rate.is_some_and(|r| r.0 > 0))
    }

    /// The markings of a flow (AMB-9, SET-6b, AMB-25, AMB-27, TT table, TT-1, TT-4, SET-7d).
    pub fn marking(&self, id: u32) -> Marking {
        let f = &self.flows[&id];
        let active = DESTS[f.dest].kind != Kind::Loopback
            && f.rate.is_none_or(|r| r.0 != 0)
            && if f.adaptive {
                f.admitted
            } else {
                !self.knobs.rate_required || f.rate.is_some()
            };
        let shape_only = f.rate.is_some_and(|r| r.1 == 0);
        if !active || shape_only {
            return Marking::default();
        }
        let dscp = match f.dscp {
            Some(d) if !self.any_prioritised() => d,
            _ => TT_DSCP[f.tt],
        };
        // TT-1: adaptive, on-link, a path that keeps 802.1p (the LLTD peers' paths do, and
        // their estimates are ready as soon as an adaptive flow exists).
        let l2 = if f.adaptive && self.lltd_path(f.dest).is_some() {
            TT_L2[f.tt]
        } else {
            0
        };
        Marking {
            conformant_dscp: dscp,
            non_conformant_dscp: 0,
            conformant_l2: l2,
            non_conformant_l2: 0,
        }
    }

    // ----- the calls -----

    fn open(&self, h: H) -> Result<usize, E> {
        match h {
            H::Idx(i) => match self.handles[i].state {
                HState::Open => Ok(i),
                HState::Stale => Err(E::ERROR_DEVICE_REINITIALIZATION_NEEDED), // GEN-8
                HState::Dead => Err(E::ERROR_INVALID_HANDLE),                  // CLO-8, GEN-9
            },
            H::Garbage(_) => Err(E::ERROR_INVALID_HANDLE), // GEN-6
        }
    }

    fn own(&self, h: usize, id: u32) -> Result<&RFlow, E> {
        self.flows
            .get(&id)
            .filter(|f| f.owner == h)
            .ok_or(E::ERROR_NOT_FOUND)
    }

    fn sock_flows(&self, s: u8) -> usize {
        self.flows.values().filter(|f| f.sockets.contains(&s)).count()
    }

    fn create(&mut self, version: Option<(u16, u16)>, out: bool) -> CallResult {
        if version != Some((1, 0)) || !out {
            return err(EINVAL); // CRE-1..3
        }
        self.injected(Func::CreateHandle)?;
        if self.asleep {
            return err(E::ERROR_GEN_FAILURE); // CRE-8
        }
        if self.create_failures_left > 0 {
            self.create_failures_left -= 1;
            return err(E::ERROR_GEN_FAILURE); // CRE-8, GEN-9
        }
        self.handles.push(RHandle {
            state: HState::Open,
            tracked: BTreeSet::new(),
        });
        Ok(CallOutput::Handle(0)) // the value is opaque; the test compares the variant
    }

    fn close(&mut self, h: H) -> CallResult {
        let H::Idx(i) = h else {
            return err(E::ERROR_INVALID_HANDLE); // CLO-1, CLO-2
        };
        match self.handles[i].state {
            HState::Dead => return err(E::ERROR_INVALID_HANDLE), // CLO-8
            HState::Stale => {
                self.handles[i].state = HState::Dead; // GEN-8: close is all a stale handle takes
                return Ok(CallOutput::None);
            }
            HState::Open => {}
        }
        self.injected(Func::CloseHandle)?;
        let mine: Vec<u32> = self
            .flows
            .iter()
            .filter(|(_, f)| f.owner == i)
            .map(|(k, _)| *k)
            .collect();
        for id in mine {
            self.destroy_flow(id); // CLO-4, CLO-5
        }
        let reqs: Vec<u64> = self
            .requests
            .iter()
            .filter(|(_, r)| r.handle == i)
            .map(|(k, _)| *k)
            .collect();
        for r in reqs {
            self.abort(r, E::ERROR_OPERATION_ABORTED);
        }
        self.handles[i].tracked.clear(); // AMB-3 with no linger
        self.handles[i].state = HState::Dead;
        Ok(CallOutput::None)
    }

    /// ADD-3..7: the destination the flow uses (index into DESTS).
    fn destination(&self, s: &Sock, dest: usize) -> Result<usize, E> {
        let d = DESTS[dest];
        if d.kind == Kind::Null {
            return s.peer.ok_or(EINVAL); // ADD-7, ADD-4
        }
        if d.kind == Kind::Invalid || d.v6 != s.v6 {
            return Err(EINVAL); // ADD-3, ADD-6, bad family
        }
        if s.peer.is_some_and(|p| p != dest) {
            return Err(EINVAL); // ADD-5
        }
        Ok(dest)
    }

    fn add(&mut self, c: &AddSocketToFlow<Conc>) -> CallResult {
        let (si, dest, tt, flags) = (c.socket, c.dest, c.traffic_type.raw(), c.flag_bits());
        let h = self.open(c.handle)?;
        let flow_in = c.flow;
        let flow_in = flow_in.ok_or(EINVAL)?; // ADD-2
        if flags & !2 != 0 {
            return err(EINVAL); // ADD-19
        }
        let non_adaptive = flags & 2 != 0;
        if flow_in == 0 && !(0..=5).contains(&tt) {
            return err(EINVAL); // ADD-19 (ignored when joining, ADD-9)
        }
        let Some(s) = SOCKETS.get(si as usize).filter(|s| !s.closed) else {
            return err(EINVAL); // SIM-1: not an open socket
        };
        let dest = self.destination(s, dest)?;
        self.injected(Func::AddSocketToFlow)?;
        if flow_in != 0 {
            // ADD-9, AMB-7, AMB-38
            let f = self.own(h, flow_in)?;
            if f.adaptive || !non_adaptive {
                return err(EINVAL);
            }
            if !f.sockets.contains(&si) {
                if self.knobs.reject_socket_in_two_flows && self.sock_flows(si) > 0 {
                    return err(E::ERROR_ALREADY_EXISTS); // AMB-30
                }
                if DESTS[dest].kind == Kind::Unreachable {
                    return err(E::ERROR_HOST_UNREACHABLE); // ADD-13
                }
                self.flows.get_mut(&flow_in).expect("own").sockets.push(si);
            }
            return Ok(CallOutput::Flow(flow_in));
        }
        if self.knobs.reject_socket_in_two_flows && self.sock_flows(si) > 0 {
            return err(E::ERROR_ALREADY_EXISTS); // AMB-30
        }
        let kind = DESTS[dest].kind;
        if kind == Kind::Unreachable {
            return err(E::ERROR_HOST_UNREACHABLE); // ADD-13
        }
        if !non_adaptive {
            match kind {
                Kind::Plain => return err(E::ERROR_NOT_SUPPORTED), // ADD-10
                Kind::Refusing => return err(E::ERROR_CONNECTION_REFUSED), // ADD-12
                _ => {} // LLTD peers; off-link and loopback are accepted (AMB-8, AMB-27)
            }
        }
        let id = self.next_flow; // AMB-29
        self.next_flow += 1;
        self.flows.insert(
            id,
            RFlow {
                owner: h,
                adaptive: !non_adaptive,
                tt: tt as usize,
                sockets: vec![si],
                dest,
                rate: None,
                admitted: false,
                held: 0,
                dscp: None,
                notify: [None; 3],
            },
        );
        Ok(CallOutput::Flow(id))
    }

    fn remove(&mut self, h: H, si: u8, flow: u32, flags: u32) -> CallResult {
        let h = self.open(h)?;
        if flags != 0 || flow == 0 {
            return err(EINVAL); // REM-8, AMB-39
        }
        self.injected(Func::RemoveSocketFromFlow)?;
        let f = self.own(h, flow)?; // REM-2
        let only = f.sockets.len() == 1 && f.sockets[0] == si;
        if si == SOCKET_ZERO || only {
            if only && self.mutation == Some(Mutation::RemoveLastSocketKeepsFlow) {
                return Ok(CallOutput::None); // the planted bug
            }
            self.destroy_flow(flow); // REM-3, REM-4, REM-9
            return Ok(CallOutput::None);
        }
        if !f.sockets.contains(&si) {
            return err(E::ERROR_NOT_FOUND); // AMB-10
        }
        self.flows
            .get_mut(&flow)
            .expect("own")
            .sockets
            .retain(|x| *x != si); // REM-4
        Ok(CallOutput::None)
    }

    fn exec_set(&mut self, flow: u32, op: SetReq) -> Result<(), E> {
        let available = self.flows.contains_key(&flow).then(|| self.available_for(flow));
        let f = self.flows.get_mut(&flow).ok_or(E::ERROR_OPERATION_ABORTED)?;
        match op {
            SetReq::Tt(t) => {
                f.tt = t; // SET-5
                f.dscp = None; // TT-4
            }
            SetReq::Dscp(d) => f.dscp = Some(d),
            SetReq::Rate(bps, shaping) => {
                let kind = DESTS[f.dest].kind;
                let (admitted, held) = if bps == 0 || !f.adaptive || kind == Kind::Loopback {
                    (false, 0) // SET-6b, SET-6 (shaping only), AMB-27
                } else if kind == Kind::OffLink {
                    (true, 0) // GEN-12: no admission control off-link
                } else {
                    let want = if bps == DEFAULT_MIN {
                        DEFAULT_MIN_GRANT
                    } else {
                        bps
                    }; // SET-6c
                       // SET-6a vs QRY-10: the IP-layer rate less the headers of 1400-byte packets.
                    let want = payload_of(&SOCKETS[f.sockets[0] as usize], want);
                    if want > available.unwrap_or(0) {
                        // SET-6e, SIM-5: refused, and an earlier admission is withdrawn.
                        f.admitted = false;
                        f.held = 0;
                        return Err(E::ERROR_NETWORK_BUSY);
                    }
                    (true, want)
                };
                f.rate = Some((bps, shaping));
                f.admitted = admitted;
                f.held = held;
            }
        }
        Ok(())
    }

    fn set(&mut self, c: &SetFlow<Conc>) -> CallResult {
        let (flow, op, size, flags, ov) = (c.flow, c.op.code(), c.op.size(), c.flags, c.overlapped);
        let h = self.open(c.handle)?;
        if flow == 0 {
            return err(EINVAL); // AMB-12
        }
        let want = match op {
            0 | 2 => 4,
            1 => 16,
            _ => return err(EINVAL), // SET-4
        };
        if flags != 0 || size != want {
            return err(EINVAL); // SET-3, SET-4
        }
        // The buffer is read as the operation's type, whatever the caller meant (mixed families).
        let Some(mut b) = c.op.bytes() else {
            return err(EINVAL); // SET-3
        };
        b.resize(want as usize, 0);
        let i32_at = |o: usize| i32::from_le_bytes(b[o..o + 4].try_into().expect("4"));
        let req = match op {
            0 => match i32_at(0) {
                t @ 0..=5 => SetReq::Tt(t as usize),
                _ => return err(EINVAL),
            },
            1 => {
                let bps = u64::from_le_bytes(b[0..8].try_into().expect("8"));
                match i32_at(8) {
                    s @ 0..=2 => SetReq::Rate(bps, s),
                    _ => return err(EINVAL),
                }
            }
            _ => match u32::from_le_bytes(b[0..4].try_into().expect("4")) {
                d @ 0..=63 => SetReq::Dscp(d),
                _ => return err(EINVAL), // SET-7c
            },
        };
        if ov.is_some_and(|k| self.key_in_use(h, k)) {
            return err(EINVAL); // SIM-3
        }
        self.injected(Func::SetFlow)?;
        let f = self.own(h, flow)?; // SET-2
        if let SetReq::Dscp(_) = req {
            if f.adaptive {
                return err(EINVAL); // SET-7b
            }
            if !self.knobs.admin {
                return err(E::ERROR_ACCESS_DENIED); // SET-7a
            }
        }
        match ov {
            Some(key) => {
                let id = self.new_req(RReq {
                    handle: h,
                    key,
                    flow,
                    kind: ReqKind::Set(req),
                });
                self.schedule(self.now_us + IO_LATENCY_US, Timed::Due(id));
                err(E::ERROR_IO_PENDING) // SET-15
            }
            None => self
                .exec_set(flow, req)
                .map(|_| CallOutput::None)
                .map_err(Into::into),
        }
    }

    /// QRY-8: the LLTD path of an adaptive flow, or why it cannot be measured.
    fn measurable(&self, f: &RFlow) -> Result<usize, E> {
        self.lltd_path(f.dest).ok_or(E::ERROR_NOT_SUPPORTED)
    }

    fn exec_query(&mut self, flow: u32, op: i32, _fresh: bool) -> Result<QueryData, E> {
        let f = self.flows.get(&flow).ok_or(E::ERROR_OPERATION_ABORTED)?;
        Ok(match op {
            1 => QueryData::PacketPriority(self.marking(flow)), // QRY-11
            2 => QueryData::OutgoingRate(f.rate.map_or(0, |r| r.0)), // QRY-12, AMB-18
            _ => {
                self.measurable(f)?;
                // Estimates are ready at once in this world (warm-up 0).
                QueryData::Fundamentals {
                    bottleneck_bps: Some(PEER_BOTTLENECK),
                    available_bps: Some(self.available_for(flow)),
                    rtt_us: Some(PEER_RTT_US),
                }
            }
        })
    }

    fn query(&mut self, c: &QueryFlow<Conc>) -> CallResult {
        let (flow, op, size, buffer) = (c.flow, c.op.code(), c.size, c.buffer);
        let (flags, ov) = (c.flag_bits(), c.overlapped);
        let h = self.open(c.handle)?;
        if flow == 0 {
            return err(EINVAL); // QRY-2, AMB-12
        }
        let need = match op {
            0 => 40,
            1 => 16,
            2 => 8,
            _ => return err(EINVAL),
        };
        let size = size.ok_or(EINVAL)?; // QRY-5
        if flags & !1 != 0 {
            return err(EINVAL); // AMB-16
        }
        if size < need {
            return Err(CallError {
                code: E::ERROR_INSUFFICIENT_BUFFER,
                size: Some(need),
            }); // QRY-3
        }
        if !buffer || ov.is_some_and(|k| self.key_in_use(h, k)) {
            return err(EINVAL);
        }
        self.injected(Func::QueryFlow)?;
        // GEN-7, QRY-16: any live flow can be queried; FRESH only counts for its owner.
        let f = self.flows.get(&flow).ok_or(E::ERROR_NOT_FOUND)?;
        let fresh = flags & 1 != 0 && op == 0 && f.owner == h;
        if op == 0 && !f.adaptive {
            return err(E::ERROR_NOT_SUPPORTED); // QRY-7
        }
        let delay = if fresh { FRESH_PROBE_US } else { IO_LATENCY_US };
        match ov {
            Some(key) => {
                let id = self.new_req(RReq {
                    handle: h,
                    key,
                    flow,
                    kind: ReqKind::Query { op, fresh },
                });
                self.schedule(self.now_us + delay, Timed::Due(id));
                err(E::ERROR_IO_PENDING) // QRY-15
            }
            None => {
                if fresh {
                    self.run_until(self.now_us + delay); // QRY-6: the call blocks for it
                    if self.handles[h].state != HState::Open || !self.flows.contains_key(&flow) {
                        return err(E::ERROR_OPERATION_ABORTED);
                    }
                }
                let d = self.exec_query(flow, op, fresh)?;
                Ok(CallOutput::Data(d, need)) // QRY-4
            }
        }
    }

    /// NOT-4, NOT-5: `Some(data)` if the notification holds now.
    fn condition(&self, flow: u32, op: i32, target: u64) -> Option<Option<QueryData>> {
        let f = &self.flows[&flow];
        let p = self.lltd_path(f.dest)?;
        match op {
            0 => self.congested[p].then_some(None),
            1 => (!self.congested[p]).then_some(None),
            _ => {
                let avail = self.available_for(flow);
                let sock = &SOCKETS[f.sockets[0] as usize];
                (avail >= payload_of(sock, target)).then_some(None) // NOT-5, QRY-10
            }
        }
    }

    fn check_notification(&mut self, id: u64) {
        let Some(r) = self.requests.get(&id).copied() else {
            return;
        };
        let ReqKind::Notify(op, target) = r.kind else {
            return;
        };
        if !self.flows.contains_key(&r.flow) {
            return;
        }
        if let Some(data) = self.condition(r.flow, op, target) {
            self.unregister(id);
            let d = self.done(&r, E::ERROR_SUCCESS, data);
            self.delivered.push(d);
        }
    }

    fn notify(&mut self, c: &NotifyFlow<Conc>) -> CallResult {
        let (flow, op, size, target) = (c.flow, c.op.code(), c.size, c.target());
        let (flags, ov) = (c.flags, c.overlapped);
        let h = self.open(c.handle)?;
        if flow == 0 || !(0..=2).contains(&op) || flags != 0 {
            return err(EINVAL); // NOT-2, AMB-6, GEN-10
        }
        let t = if op < 2 {
            if size.is_some() || target.is_some() {
                return err(EINVAL); // NOT-3
            }
            0
        } else {
            let size = size.ok_or(EINVAL)?;
            if size < 8 {
                return Err(CallError {
                    code: E::ERROR_INSUFFICIENT_BUFFER,
                    size: Some(8),
                }); // NOT-7
            }
            target.ok_or(EINVAL)?
        };
        if ov.is_some_and(|k| self.key_in_use(h, k)) {
            return err(EINVAL); // SIM-3
        }
        self.injected(Func::NotifyFlow)?;
        let f = self.own(h, flow)?;
        if !f.adaptive {
            return err(E::ERROR_NOT_SUPPORTED); // NOT-9
        }
        if f.notify[op as usize].is_some() {
            return err(E::ERROR_ALREADY_EXISTS); // NOT-8
        }
        if op == 2 {
            let uses = if f.admitted {
                f.rate.map_or(0, |r| {
                    if r.0 == DEFAULT_MIN {
                        DEFAULT_MIN_GRANT
                    } else {
                        r.0
                    }
                })
            } else {
                0
            };
            if t <= uses {
                return err(EINVAL); // NOT-6, AMB-19
            }
        }
        let path = self.measurable(f)?; // NOT-10
        let holds = self.condition(flow, op, t);
        let output = |d: Option<QueryData>| match d {
            Some(d) => CallOutput::Data(d, 8),
            None => CallOutput::None,
        };
        let Some(key) = ov else {
            // NOT-12, AMB-31: block on the virtual clock, up to the deadlock limit.
            let limit = self.now_us + DEADLOCK_US;
            let mut holds = holds;
            loop {
                if let Some(d) = holds {
                    return Ok(output(d));
                }
                if !self.step_before(limit) {
                    self.run_until(limit);
                    return err(E::ERROR_TIMEOUT);
                }
                if !self.flows.contains_key(&flow) {
                    return err(E::ERROR_OPERATION_ABORTED);
                }
                holds = self.condition(flow, op, t);
            }
        };
        let r = RReq {
            handle: h,
            key,
            flow,
            kind: ReqKind::Notify(op, t),
        };
        let id = self.new_req(r);
        if let Some(d) = holds {
            // AMB-32: FALSE + IO_PENDING, completion on the next step.
            self.unregister(id);
            let done = self.done(&r, E::ERROR_SUCCESS, d);
            self.schedule(self.now_us, Timed::Deliver(done));
        } else {
            self.flows.get_mut(&flow).expect("own").notify[op as usize] = Some(id);
            self.waiters[path].push(id);
        }
        err(E::ERROR_IO_PENDING)
    }

    fn cancel(&mut self, h: H, ov: Option<u8>) -> CallResult {
        let h = self.open(h)?;
        let key = ov.ok_or(EINVAL)?; // CAN-2
        self.injected(Func::Cancel)?;
        let found = self
            .requests
            .iter()
            .find(|(_, r)| r.handle == h && r.key == key)
            .map(|(k, _)| *k);
        match found {
            Some(id) => {
                self.abort(id, E::ERROR_OPERATION_ABORTED); // CAN-3
                Ok(CallOutput::None)
            }
            None => err(E::ERROR_NOT_FOUND), // AMB-20
        }
    }

    fn enumerate(&mut self, h: H, size: Option<u32>, buffer: bool) -> CallResult {
        self.open(h)?;
        let size = size.ok_or(EINVAL)?;
        if !buffer && size > 0 {
            return err(EINVAL); // AMB-21
        }
        let need = 4 * self.flows.len() as u32;
        if size < need {
            return Err(CallError {
                code: E::ERROR_INSUFFICIENT_BUFFER,
                size: Some(need),
            }); // ENU-4, AMB-33: before privilege
        }
        self.injected(Func::EnumerateFlows)?;
        if !self.knobs.admin {
            return err(E::ERROR_ACCESS_DENIED); // ENU-2
        }
        Ok(CallOutput::Flows(self.flow_ids())) // ENU-3, ENU-5
    }

    /// STA-3: the client identity (the IP: port-0 form of peer 0 is peer 0).
    fn client(dest: usize) -> Result<usize, E> {
        match DESTS[dest].kind {
            Kind::Null => Err(EINVAL),
            _ if DESTS[dest].text == "bad" => Err(EINVAL),
            _ if dest == 7 => Ok(0),
            _ => Ok(dest),
        }
    }

    fn track(&mut self, h: H, dest: usize, flags: u32) -> CallResult {
        let h = self.open(h)?;
        let c = Self::client(dest)?; // STA-2
        if flags != 0 {
            return err(EINVAL); // GEN-10
        }
        self.injected(Func::StartTrackingClient)?;
        match DESTS[c].kind {
            Kind::Unreachable | Kind::Refusing => return err(E::ERROR_HOST_UNREACHABLE), // STA-8
            Kind::Lltd { .. } => {}
            _ => return err(E::ERROR_NOT_SUPPORTED), // STA-6
        }
        self.handles[h].tracked.insert(c); // AMB-23
        Ok(CallOutput::None)
    }

    fn untrack(&mut self, h: H, dest: usize) -> CallResult {
        self.open(h)?;
        let c = Self::client(dest)?; // STO-2
        self.injected(Func::StopTrackingClient)?;
        let mut found = false;
        for h in &mut self.handles {
            found |= h.tracked.remove(&c); // STO-4: any handle
        }
        if found {
            Ok(CallOutput::None)
        } else {
            err(E::ERROR_NOT_FOUND) // AMB-24
        }
    }

    /// The id a [`FlowSel`] names now.
    pub fn resolve(&self, f: FlowSel) -> u32 {
        match f {
            FlowSel::Id(id) => id,
            FlowSel::Live(i) => {
                let ids = self.flow_ids();
                if ids.is_empty() {
                    self.next_flow
                } else {
                    ids[i % ids.len()]
                }
            }
        }
    }

    fn resolve_h(&self, h: H) -> H {
        match (h, self.handles.len()) {
            (H::Idx(_), 0) => H::Garbage(0),
            (H::Idx(i), n) => H::Idx(i % n),
            (g, _) => g,
        }
    }

    /// Runs a call (its arguments resolved).
    fn call(&mut self, c: &Call<Conc>) -> CallResult {
        match c {
            Call::CreateHandle(c) => self.create(c.version, c.out),
            Call::CloseHandle(c) => self.close(c.handle),
            Call::AddSocketToFlow(c) => self.add(c),
            Call::RemoveSocketFromFlow(c) => self.remove(c.handle, c.socket, c.flow, c.flags),
            Call::SetFlow(c) => self.set(c),
            Call::QueryFlow(c) => self.query(c),
            Call::NotifyFlow(c) => self.notify(c),
            Call::Cancel(c) => self.cancel(c.handle, c.overlapped),
            Call::EnumerateFlows(c) => self.enumerate(c.handle, c.size, c.buffer),
            Call::StartTrackingClient(c) => self.track(c.handle, c.client, c.flags),
            Call::StopTrackingClient(c) => self.untrack(c.handle, c.client), // STO-7: flags ignored
        }
    }

    /// Applies one step: `last` gets what it returns, `delivered` the completions of the step.
    pub fn step(&mut self, op: &SmOp) {
        self.delivered.clear();
        // A call's handle and flow arguments name what exists before the step.
        self.resolved = match op {
            SmOp::Call(c) => Some(c.map(&mut *self)),
            _ => None,
        };
        // Every call, and every fault, starts by running what is due (a "simulator step").
        self.run_until(self.now_us);
        self.last = match *op {
            SmOp::Call(_) => {
                let c = self.resolved.clone().expect("resolved above");
                Some(self.call(&c))
            }
            SmOp::AdvanceMs(ms) => {
                self.run_until(self.now_us + ms * 1000);
                None
            }
            SmOp::Fault(f) => {
                self.fault(f);
                None
            }
        };
        // The test looks at completions after the step, once what is due now has run.
        self.run_until(self.now_us);
        self.delivered.sort();
    }
}

/// Resolves a step's selectors against the reference state before the step.
impl Resolve<Sel, Conc> for RefState {
    fn handle(&mut self, h: &H) -> H {
        self.resolve_h(*h)
    }

    fn socket(&mut self, s: &u8) -> u8 {
        *s
    }

    fn flow(&mut self, f: &FlowSel) -> u32 {
        self.resolve(*f)
    }

    fn flow_in(&mut self, f: &Option<FlowSel>) -> Option<u32> {
        f.map(|f| self.resolve(f))
    }

    fn new_handle(&mut self, _: &()) {}

    fn overlapped(&mut self, k: &u8) -> u8 {
        *k
    }

    fn size(&mut self, s: &Option<u32>, _careful: Option<u32>) -> Option<u32> {
        *s
    }

    fn addr(&mut self, a: &usize) -> usize {
        *a
    }
}

//! The pure qWAVE state machine: handles, sockets, flows, paths, pending requests, faults, on a
//! virtual clock with a seeded RNG.
//!
//! **Invariant:** the model never reads the wall clock, never does I/O, never draws randomness
//! except from its seeded [`SimRng`], and never lets a hash map's iteration order reach a result
//! or an event. Each of the 11 functions lives in [`api`], one file each, with the rule ids next to
//! the checks that implement them.

pub mod api;
pub mod error;
pub mod event;
pub mod fault;
pub mod flow;
mod flow_table;
pub mod invariants;
pub mod net;
pub mod rng;
pub mod socket;
pub mod time;
pub mod world;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU64;

use rustc_hash::FxHashMap;

pub use error::Win32Error;
pub use event::{
    CallArgs, CallError, CallOutput, CallResult, Completion, Event, OverlappedKey, QueryData, Stamped,
};
pub use fault::{Fault, Func, PathRef};
pub use flow::{Flow, Marking, Owner, RateContract, Shaping, TrafficType};
pub use net::{Family, Prefix, SockAddrIn};
pub use rng::SimRng;
pub use socket::{Protocol, Socket};
pub use time::VirtualTime;
pub use world::World;

use flow::{PathIdx, LOOPBACK_PATH};
use world::{Interface, PathConfig};

/// Handle values the sim issues carry this tag, so they never look like real handles.
pub const HANDLE_TAG: u64 = 0x5157 << 40;

/// The most handles one run may create.
pub const MAX_HANDLES: usize = 1 << 24;

/// State of a QoS handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HandleState {
    /// Usable.
    Open,
    /// After a device reset: every call but close fails with 1164 (GEN-8).
    Stale,
    /// Closed, or invalidated by sleep: every call fails with 6 (CLO-8, GEN-9).
    Dead,
}

/// A QoS handle.
#[derive(Clone, Debug)]
pub struct Handle {
    /// The value the app holds.
    pub value: u64,
    /// Its state.
    pub state: HandleState,
    /// Flow ids it owns, unordered (positions kept in each flow).
    pub(crate) flows: Vec<u32>,
    /// Clients tracked through it: (family, address), sorted.
    pub tracked: Vec<(Family, IpAddr)>,
    /// Pending overlapped requests issued on it, by OVERLAPPED (one pending request per
    /// OVERLAPPED and handle, SIM-3): key → request id.
    pub(crate) pending: FxHashMap<OverlappedKey, u64>,
}

impl Handle {
    /// Flow ids it owns, sorted.
    pub fn flow_ids(&self) -> Vec<u32> {
        let mut v = self.flows.clone();
        v.sort_unstable();
        v
    }
}

/// Where a destination is, from this host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// 127/8, ::1.
    Loopback,
    /// On the link of `interface`; `peer` is the world's peer entry, if listed.
    OnLink {
        /// Interface index.
        interface: u32,
        /// Path index.
        path: PathIdx,
        /// Whether the peer is listed.
        known: bool,
    },
    /// Through the gateway on `interface`.
    OffLink {
        /// Interface index.
        interface: u32,
        /// Path index.
        path: PathIdx,
    },
    /// No route.
    Unreachable,
}

impl Route {
    /// The path the route uses.
    pub fn path(&self) -> Option<PathIdx> {
        match *self {
            Route::Loopback => Some(LOOPBACK_PATH),
            Route::OnLink { path, .. } | Route::OffLink { path, .. } => Some(path),
            Route::Unreachable => None,
        }
    }

    /// The interface index the route leaves by.
    pub fn interface(&self) -> u32 {
        match *self {
            Route::OnLink { interface, .. } | Route::OffLink { interface, .. } => interface,
            _ => 0,
        }
    }
}

/// Live state of a path.
#[derive(Clone, Debug)]
pub struct PathState {
    /// Which path.
    pub id: PathRef,
    /// Current capacity.
    pub config: PathConfig,
    /// Peer properties (for on-link peers): lltd, refuses, resolution fails.
    pub lltd_qos: bool,
    /// Peer rejects qWAVE.
    pub refuses_qwave: bool,
    /// Name resolution fails.
    pub resolution_fails: bool,
    /// When qWAVE started measuring it (first adaptive flow or tracked client).
    pub probing_since: Option<VirtualTime>,
    /// Sum of admitted rates of adaptive flows on it.
    pub admitted_bps: u64,
    /// Pending `QOSNotifyFlow` requests waiting on it.
    pub(crate) waiters: Vec<u64>,
}

/// What kind of overlapped request is pending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReqKind {
    Set(api::set::SetOp),
    Query { op: api::query::QueryOp, fresh: bool },
    Notify(api::notify::NotifyOp),
}

/// A pending overlapped request.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub id: u64,
    pub key: OverlappedKey,
    pub handle: u32,
    pub flow: u32,
    pub kind: ReqKind,
}

/// Something on the timeline.
#[derive(Clone, Debug)]
pub(crate) enum Scheduled {
    /// Execute a pending request now (if still pending) and complete it.
    Due(u64),
    /// Deliver a completion decided earlier (aborts, cancels, immediate results).
    Deliver(Completion),
    /// Apply a fault.
    Fault(Fault),
    /// Flip a path's congestion (its `congestion_period_ms`).
    Toggle(PathIdx),
    /// End lingering tracking of a closed handle's clients (AMB-3).
    LingerEnd(u64),
}

/// The qWAVE model. Pure: every method is a function of the state and its arguments.
#[derive(Clone, Debug)]
pub struct Model {
    world: World,
    seed: u64,
    now: VirtualTime,
    rng: SimRng,
    pub(crate) interfaces: Vec<Interface>,
    unreachable: Vec<Prefix>,
    pub(crate) paths: Vec<PathState>,
    peer_index: FxHashMap<IpAddr, PathIdx>,
    pub(crate) handles: Vec<Handle>,
    pub(crate) sockets: Vec<Socket>,
    pub(crate) external: FxHashMap<u64, Socket>,
    pub(crate) flows: flow_table::FlowTable,
    next_flow_id: u32,
    pub(crate) requests: FxHashMap<u64, Request>,
    next_request: u64,
    timeline: BTreeMap<(VirtualTime, u64), Scheduled>,
    next_seq: u64,
    failures: Vec<(Option<Func>, Win32Error, u32)>,
    pub(crate) asleep: bool,
    create_failures_left: u32,
    service: world::ServiceState,
    /// Tracking entries that outlive their closed handle (AMB-3): (linger id, family, ip).
    lingering: Vec<(u64, Family, IpAddr)>,
    next_linger: u64,
    adaptive_marked: u32,
    record: bool,
    events: Vec<Stamped>,
    outbox: Vec<Completion>,
    deadlocks: u32,
}

impl Model {
    /// A model of `world`, with randomness drawn from `seed`, at virtual time zero.
    pub fn new(world: World, seed: u64) -> Model {
        let mut paths = vec![PathState {
            id: PathRef::OffLink,
            config: world.offlink_path.clone(),
            lltd_qos: false,
            refuses_qwave: false,
            resolution_fails: false,
            probing_since: None,
            admitted_bps: 0,
            waiters: Vec::new(),
        }];
        let mut peer_index = FxHashMap::default();
        for p in &world.peers {
            let ip = net::unmap(p.address);
            if peer_index.contains_key(&ip) {
                continue; // first entry wins; scenario validation reports duplicates
            }
            peer_index.insert(ip, paths.len() as PathIdx);
            paths.push(PathState {
                id: PathRef::Peer(ip),
                config: p.path.clone(),
                lltd_qos: p.lltd_qos,
                refuses_qwave: p.refuses_qwave,
                resolution_fails: p.resolution_fails,
                probing_since: None,
                admitted_bps: 0,
                waiters: Vec::new(),
            });
        }
        let mut m = Model {
            seed,
            now: VirtualTime::ZERO,
            rng: SimRng::new(seed),
            interfaces: world.interfaces.clone(),
            unreachable: world.unreachable.clone(),
            paths,
            peer_index,
            handles: Vec::new(),
            sockets: Vec::new(),
            external: FxHashMap::default(),
            flows: flow_table::FlowTable::default(),
            next_flow_id: 1,
            requests: FxHashMap::default(),
            next_request: 1,
            timeline: BTreeMap::new(),
            next_seq: 0,
            failures: Vec::new(),
            asleep: false,
            create_failures_left: 0,
            service: world.settings.service,
            lingering: Vec::new(),
            next_linger: 1,
            adaptive_marked: 0,
            record: true,
            events: Vec::new(),
            outbox: Vec::new(),
            deadlocks: 0,
            world,
        };
        for i in 0..m.paths.len() {
            if let Some(p) = m.paths[i].config.congestion_period_ms {
                if p > 0 {
                    m.schedule(
                        VirtualTime(p.saturating_mul(1000)),
                        Scheduled::Toggle(i as PathIdx),
                    );
                }
            }
        }
        for ff in m.world.foreign_flows.clone() {
            let id = m.alloc_flow_id();
            let route = m.route(ff.destination);
            let flow = Flow {
                id,
                owner: Owner::Foreign,
                pos: 0,
                adaptive: ff.adaptive,
                traffic_type: ff.traffic_type,
                sockets: flow::Sockets::None,
                dest: SocketAddr::new(ff.destination, 0),
                extra_dests: Vec::new(),
                path: route.path().unwrap_or(0),
                interface: route.interface(),
                started: VirtualTime::ZERO,
                rate: (ff.rate_bps > 0).then_some(RateContract {
                    bandwidth_bps: ff.rate_bps,
                    shaping: Shaping::ShapeAndMark,
                    reason: 0,
                }),
                admitted: ff.adaptive && ff.rate_bps > 0,
                held_bps: 0,
                custom_dscp: None,
                notify: [None; 3],
            };
            if flow.prioritised() {
                m.adaptive_marked += 1; // SET-7d: another process's adaptive flow counts too
            }
            m.flows.insert(id, flow);
        }
        m
    }

    /// The world the run started from.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The seed of the run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Current virtual time.
    pub fn now(&self) -> VirtualTime {
        self.now
    }

    /// Turns event recording on or off (off: the model behaves identically, but keeps no trace).
    pub fn set_recording(&mut self, on: bool) {
        self.record = on;
    }

    /// Events recorded so far.
    pub fn events(&self) -> &[Stamped] {
        &self.events
    }

    /// Removes and returns the recorded events.
    pub fn take_events(&mut self) -> Vec<Stamped> {
        std::mem::take(&mut self.events)
    }

    /// Removes and returns completions delivered since the last call (for the surfaces, which
    /// write them into the caller's OVERLAPPED and buffers).
    pub fn take_completions(&mut self) -> Vec<Completion> {
        // The next batch is likely as large as this one: give the outbox that room up front
        // instead of growing it from empty again (no allocation when this batch was empty).
        let room = self.outbox.len();
        std::mem::replace(&mut self.outbox, Vec::with_capacity(room))
    }

    /// Whether completions are waiting in the outbox.
    pub fn has_completions(&self) -> bool {
        !self.outbox.is_empty()
    }

    /// How many blocking calls hit a deadlock (AMB-31).
    pub fn deadlocks(&self) -> u32 {
        self.deadlocks
    }

    /// Handles ever created, in creation order (dead ones included).
    pub fn handles(&self) -> &[Handle] {
        &self.handles
    }

    /// The handle behind a value, if the sim issued it.
    pub fn handle(&self, value: u64) -> Option<&Handle> {
        self.handle_index(value).map(|i| &self.handles[i])
    }

    /// A live flow by id (foreign flows included).
    pub fn flow(&self, id: u32) -> Option<&Flow> {
        self.flows.get(&id)
    }

    /// All live flow ids, sorted.
    pub fn flow_ids(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.flows.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// Number of live flows.
    pub fn flow_count(&self) -> usize {
        self.flows.len()
    }

    /// Sockets the sim created, in creation order.
    pub fn sockets(&self) -> &[Socket] {
        &self.sockets
    }

    /// Paths: index 0 is the off-link path, then one per world peer.
    pub fn paths(&self) -> &[PathState] {
        &self.paths
    }

    /// Number of overlapped requests still pending.
    pub fn pending_count(&self) -> usize {
        self.requests.len()
    }

    /// Whether the request issued with `key` on handle `value` is still pending.
    pub fn is_pending(&self, handle: u64, key: OverlappedKey) -> bool {
        self.handle_index(handle)
            .map(|i| {
                self.handles[i]
                    .pending
                    .get(&key)
                    .is_some_and(|r| self.requests.contains_key(r))
            })
            .unwrap_or(false)
    }

    /// The markings a flow's packets get right now (QRY-11).
    pub fn marking(&self, id: u32) -> Option<Marking> {
        self.flows
            .get(&id)
            .map(|f| flow::marking(f, &self.marking_context(f)))
    }

    /// The time of the next scheduled event, if any.
    pub fn next_event_time(&self) -> Option<VirtualTime> {
        self.timeline.keys().next().map(|(t, _)| *t)
    }

    // ----- time -----

    /// Runs every event due up to `now` (a "simulator step"). Every call starts with this.
    pub fn settle(&mut self) {
        self.run_until(self.now);
    }

    /// Advances virtual time to `to`, running every scheduled event on the way, in order.
    /// An idle stretch costs nothing: only events cost work.
    pub fn advance_to(&mut self, to: VirtualTime) {
        let to = to.max(self.now);
        self.run_until(to);
        self.push_event(Event::Advance(to));
    }

    /// Advances virtual time by `us` microseconds.
    pub fn advance_us(&mut self, us: u64) {
        self.advance_to(self.now.plus_us(us));
    }

    /// Runs events due at or before `to`, then sets the clock to `to`.
    pub(crate) fn run_until(&mut self, to: VirtualTime) {
        while self.step_before(to) {}
        self.now = self.now.max(to);
    }

    /// Runs the next event if it is due at or before `to`; returns whether one ran.
    pub(crate) fn step_before(&mut self, to: VirtualTime) -> bool {
        let Some((&(t, seq), _)) = self.timeline.iter().next() else {
            return false;
        };
        if t > to {
            return false;
        }
        let ev = self.timeline.remove(&(t, seq)).expect("present");
        self.now = self.now.max(t);
        self.run_scheduled(ev);
        true
    }

    /// Schedules a fault for virtual time `at` (now if in the past).
    pub fn inject_at(&mut self, at: VirtualTime, fault: Fault) {
        let at = at.max(self.now);
        self.schedule(at, Scheduled::Fault(fault));
    }

    /// Applies a fault now.
    pub fn inject(&mut self, fault: Fault) {
        self.settle();
        self.apply_fault(fault);
    }

    pub(crate) fn schedule(&mut self, at: VirtualTime, what: Scheduled) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.timeline.insert((at, seq), what);
    }

    fn run_scheduled(&mut self, ev: Scheduled) {
        match ev {
            Scheduled::Due(id) => self.run_due(id),
            Scheduled::Deliver(c) => self.deliver(c),
            Scheduled::Fault(f) => self.apply_fault(f),
            Scheduled::Toggle(p) => {
                let state = &self.paths[p as usize];
                let congested = !state.config.congested;
                let period = state.config.congestion_period_ms.unwrap_or(0);
                let id = state.id;
                let next = self.now.plus_us(period.saturating_mul(1000));
                // At the saturated end of time the next flip would be "now" again, forever.
                if period > 0 && next > self.now {
                    self.schedule(next, Scheduled::Toggle(p));
                }
                self.paths[p as usize].config.congested = congested;
                self.path_changed(p, id);
            }
            Scheduled::LingerEnd(id) => self.lingering.retain(|(l, _, _)| *l != id),
        }
    }

    // ----- events -----

    pub(crate) fn recording(&self) -> bool {
        self.record
    }

    pub(crate) fn events_len(&self) -> usize {
        self.events.len()
    }

    /// Records `event` at position `at` (the end, unless events happened while a call blocked).
    pub(crate) fn insert_event(&mut self, at: usize, event: Stamped) {
        if at >= self.events.len() {
            self.events.push(event);
        } else {
            self.events.insert(at, event);
        }
    }

    pub(crate) fn push_event(&mut self, event: Event) {
        if self.record {
            self.events.push(Stamped { at: self.now, event });
        }
    }

    pub(crate) fn emit_socket(&mut self, op: event::SocketOp, socket: u64, wsa_error: i32) {
        self.push_event(Event::Socket {
            op,
            socket,
            wsa_error,
        });
    }

    pub(crate) fn deliver(&mut self, c: Completion) {
        self.push_event(Event::Completion(c));
        self.outbox.push(c);
    }

    pub(crate) fn note_deadlock(&mut self, f: Func) {
        self.deadlocks += 1;
        self.push_event(Event::Deadlock(f));
    }

    // ----- handles -----

    pub(crate) fn handle_index(&self, value: u64) -> Option<usize> {
        if value & !0xFF_FFFF_FFFF != HANDLE_TAG {
            return None;
        }
        let i = ((value & 0xFF_FFFF_FFFF) as usize).checked_sub(1)?;
        (i < self.handles.len()).then_some(i)
    }

    /// GEN-6, CLO-8, GEN-8: resolves a handle for any call but close.
    pub(crate) fn open_handle(&self, value: u64) -> Result<usize, Win32Error> {
        match self.handle_index(value) {
            Some(i) => match self.handles[i].state {
                HandleState::Open => Ok(i),
                HandleState::Stale => Err(Win32Error::ERROR_DEVICE_REINITIALIZATION_NEEDED),
                HandleState::Dead => Err(Win32Error::ERROR_INVALID_HANDLE),
            },
            None => Err(Win32Error::ERROR_INVALID_HANDLE),
        }
    }

    pub(crate) fn new_handle(&mut self) -> Option<u64> {
        if self.handles.len() >= MAX_HANDLES {
            return None;
        }
        let value = HANDLE_TAG | (self.handles.len() as u64 + 1);
        self.handles.push(Handle {
            value,
            state: HandleState::Open,
            flows: Vec::new(),
            tracked: Vec::new(),
            pending: FxHashMap::default(),
        });
        Some(value)
    }

    /// AMB-40: while asleep with power-transition errors on, every call reports 782.
    pub(crate) fn power_transition(&self) -> Result<(), Win32Error> {
        if self.asleep && self.world.settings.power_transition_errors {
            Err(Win32Error::ERROR_SYSTEM_POWERSTATE_TRANSITION)
        } else {
            Ok(())
        }
    }

    /// GEN-11: an injected failure for this call, if one is armed.
    pub(crate) fn injected_failure(&mut self, f: Func) -> Result<(), Win32Error> {
        let pos = self.failures.iter().position(|(func, code, _)| {
            func.is_none_or(|g| g == f)
                && (*code != Win32Error::ERROR_ADAP_HDW_ERR || f.can_report_adapter_error())
        });
        match pos {
            Some(i) => {
                let code = self.failures[i].1;
                self.failures[i].2 -= 1;
                if self.failures[i].2 == 0 {
                    self.failures.remove(i);
                }
                Err(code)
            }
            None => Ok(()),
        }
    }

    pub(crate) fn resume_create_failure(&mut self) -> Result<(), Win32Error> {
        if self.asleep {
            return Err(Win32Error::ERROR_GEN_FAILURE); // CRE-8
        }
        if self.create_failures_left > 0 {
            self.create_failures_left -= 1;
            return Err(Win32Error::ERROR_GEN_FAILURE); // CRE-8
        }
        Ok(())
    }

    pub(crate) fn service_state(&self) -> world::ServiceState {
        self.service
    }

    // ----- routing -----

    /// Where `ip` is from this host, given the current interfaces and routes.
    pub fn route(&self, ip: IpAddr) -> Route {
        let ip = net::unmap(ip);
        if ip.is_loopback() {
            return Route::Loopback;
        }
        if ip.is_unspecified() || ip.is_multicast() || self.unreachable.iter().any(|p| p.contains(ip)) {
            return Route::Unreachable;
        }
        let on_link = self
            .interfaces
            .iter()
            .find(|i| i.addresses.iter().any(|p| p.contains(ip)));
        if let Some(iface) = on_link {
            if !iface.up {
                return Route::Unreachable;
            }
            let peer = self.peer_index.get(&ip).copied();
            return Route::OnLink {
                interface: iface.index,
                path: peer.unwrap_or(0),
                known: peer.is_some(),
            };
        }
        let gw: Option<IpAddr> = match ip {
            IpAddr::V4(_) => self.world.gateway_v4.map(IpAddr::V4),
            IpAddr::V6(_) => self.world.gateway_v6.map(IpAddr::V6),
        };
        let Some(gw) = gw else {
            return Route::Unreachable;
        };
        match self
            .interfaces
            .iter()
            .find(|i| i.addresses.iter().any(|p| p.contains(gw)))
        {
            Some(iface) if iface.up => Route::OffLink {
                interface: iface.index,
                path: self.peer_index.get(&ip).copied().unwrap_or(0),
            },
            _ => Route::Unreachable,
        }
    }

    pub(crate) fn interface_faulty(&self, index: u32) -> bool {
        self.interfaces
            .iter()
            .any(|i| i.index == index && i.hardware_fault)
    }

    pub(crate) fn path(&self, p: PathIdx) -> Option<&PathState> {
        self.paths.get(p as usize)
    }

    /// Re-checks a flow's destination: unreachable (1232) or a faulty adapter (57).
    pub(crate) fn flow_route(&self, f: &Flow) -> Result<Route, Win32Error> {
        if f.dest.ip().is_unspecified() {
            // AMB-26: a lenient wildcard flow has no destination to lose.
            return Ok(Route::OffLink {
                interface: 0,
                path: 0,
            });
        }
        let route = self.route(f.dest.ip());
        match route {
            Route::Unreachable => Err(Win32Error::ERROR_HOST_UNREACHABLE),
            r if self.interface_faulty(r.interface()) => Err(Win32Error::ERROR_ADAP_HDW_ERR),
            r => Ok(r),
        }
    }

    pub(crate) fn marking_context(&self, f: &Flow) -> flow::MarkingContext {
        let route = self.route(f.dest.ip());
        let keeps = match route {
            Route::OnLink { path, known, .. } => {
                known
                    && self.paths[path as usize].config.keeps_8021p
                    && self.estimate_phase(path) == Phase::Full
            }
            _ => false,
        };
        flow::MarkingContext {
            on_link: matches!(route, Route::OnLink { .. }),
            loopback: matches!(route, Route::Loopback),
            path_keeps_8021p: keeps,
            rate_required: self.world.policy.rate_required_for_marking,
            dscp_policy: self.world.policy.dscp_policy.map(|d| d.min(63)),
            adaptive_prioritised: self.adaptive_marked > 0,
            shape_only_marks: self.world.settings.shape_only_marks,
        }
    }

    // ----- flows -----

    pub(crate) fn alloc_flow_id(&mut self) -> u32 {
        let id = self.next_flow_id;
        // AMB-29: monotonic, never 0, never reused within a run (wraps only after 2^32 flows,
        // skipping live ids).
        self.next_flow_id = self.next_flow_id.checked_add(1).unwrap_or(1);
        while self.flows.contains_key(&self.next_flow_id) {
            self.next_flow_id = self.next_flow_id.checked_add(1).unwrap_or(1);
        }
        id
    }

    /// A flow of handle `h` (GEN-7: only through the handle that created it).
    pub(crate) fn own_flow(&self, h: usize, id: u32) -> Result<&Flow, Win32Error> {
        match self.flows.get(&id) {
            Some(f) if f.owner == Owner::Handle(h as u32) => Ok(f),
            _ => Err(Win32Error::ERROR_NOT_FOUND),
        }
    }

    pub(crate) fn insert_flow(&mut self, h: usize, mut f: Flow) {
        f.pos = self.handles[h].flows.len() as u32;
        self.handles[h].flows.push(f.id);
        if f.adaptive {
            self.start_probing(f.path, &f);
        }
        self.flows.insert(f.id, f);
    }

    fn start_probing(&mut self, path: PathIdx, f: &Flow) {
        if f.dest.ip().is_loopback() {
            return;
        }
        if let Some(p) = self.paths.get_mut(path as usize) {
            if p.probing_since.is_none() {
                p.probing_since = Some(self.now);
            }
        }
    }

    /// Destroys a flow: releases its sockets and admitted bandwidth and aborts its pending
    /// requests with `code` (REM-9, CLO-5).
    pub(crate) fn destroy_flow(&mut self, id: u32, code: Win32Error) {
        if !self.flows.contains_key(&id) {
            return;
        }
        // Abort pending requests first, while the flow (and so its path's waiter list) can
        // still be found by `unregister`.
        let mut pending: Vec<u64> = self
            .requests
            .values()
            .filter(|r| r.flow == id)
            .map(|r| r.id)
            .collect();
        pending.sort_unstable();
        for r in pending {
            self.abort_request(r, code);
        }
        let f = self.flows.remove(&id).expect("checked above");
        if let Owner::Handle(h) = f.owner {
            let list = &mut self.handles[h as usize].flows;
            let pos = f.pos as usize;
            list.swap_remove(pos);
            if let Some(&moved) = list.get(pos) {
                if let Some(m) = self.flows.get_mut(&moved) {
                    m.pos = pos as u32;
                }
            }
        }
        for &s in f.sockets.as_slice() {
            if let Some(sock) = self.socket_mut(s) {
                sock.flow_refs = sock.flow_refs.saturating_sub(1);
            }
        }
        if f.prioritised() {
            self.adaptive_marked = self.adaptive_marked.saturating_sub(1);
        }
        if let Some(p) = self.paths.get_mut(f.path as usize) {
            p.admitted_bps = p.admitted_bps.saturating_sub(f.held_bps);
        }
    }

    /// NOT-5: re-evaluates the notifications waiting on path `p` after admitted bandwidth on it
    /// was released (no path event happens then). Callers that destroy flows call it once the
    /// requests they abort are gone, so an aborted request never completes with success.
    pub(crate) fn recheck_waiters(&mut self, p: PathIdx) {
        let waiters = self
            .paths
            .get(p as usize)
            .map(|s| s.waiters.clone())
            .unwrap_or_default();
        for w in waiters {
            self.check_notification(w);
        }
    }

    /// Replaces a flow's rate contract and admission, keeping the path budget and the count of
    /// prioritised adaptive flows (SET-7d) in step.
    pub(crate) fn set_contract(
        &mut self,
        id: u32,
        rate: Option<RateContract>,
        admitted: bool,
        held_bps: u64,
    ) {
        let Some(f) = self.flows.get_mut(&id) else {
            return;
        };
        let was = f.prioritised();
        let old_held = f.held_bps;
        f.rate = rate;
        f.admitted = admitted;
        f.held_bps = held_bps;
        let now = f.prioritised();
        let path = f.path;
        if let Some(p) = self.paths.get_mut(path as usize) {
            p.admitted_bps = p.admitted_bps.saturating_sub(old_held).saturating_add(held_bps);
        }
        match (was, now) {
            (false, true) => self.adaptive_marked += 1,
            (true, false) => self.adaptive_marked = self.adaptive_marked.saturating_sub(1),
            _ => {}
        }
        if held_bps < old_held {
            self.recheck_waiters(path); // NOT-5
        }
    }

    // ----- estimates -----

    /// How far qWAVE's measurement of a path has come (QRY-9, AMB-36).
    pub(crate) fn estimate_phase(&self, path: PathIdx) -> Phase {
        let Some(p) = self.path(path) else {
            return Phase::NoData;
        };
        let Some(since) = p.probing_since else {
            return Phase::NoData;
        };
        let s = &self.world.settings;
        let elapsed = self.now.0.saturating_sub(since.0);
        let warm = s.warmup_ms.saturating_mul(1000);
        if elapsed < warm {
            Phase::NoData
        } else if elapsed < warm.saturating_add(s.partial_ms.saturating_mul(1000)) {
            Phase::Partial
        } else {
            Phase::Full
        }
    }

    /// Bandwidth left on a path for flow `f`: free capacity minus what other flows hold;
    /// 0 while congested (QRY-10: the sample reads 0 as congestion).
    pub(crate) fn available_for(&self, f: &Flow) -> u64 {
        let Some(p) = self.path(f.path) else {
            return 0;
        };
        if p.config.congested {
            return 0;
        }
        let others = p.admitted_bps.saturating_sub(f.held_bps);
        p.config.available_bps.saturating_sub(others)
    }

    pub(crate) fn jitter(&mut self, v: u64) -> u64 {
        let pct = u64::from(self.world.settings.estimate_jitter_pct.min(100));
        if pct == 0 || v == 0 {
            return v;
        }
        let span = v / 100 * pct;
        let off = self.rng.below(span.saturating_mul(2).saturating_add(1));
        v.saturating_sub(span).saturating_add(off)
    }

    // ----- requests -----

    pub(crate) fn new_request(&mut self, h: usize, key: OverlappedKey, flow: u32, kind: ReqKind) -> u64 {
        let id = self.next_request;
        self.next_request += 1;
        self.requests.insert(
            id,
            Request {
                id,
                key,
                handle: h as u32,
                flow,
                kind,
            },
        );
        self.handles[h].pending.insert(key, id);
        id
    }

    /// Whether an OVERLAPPED is already in use by a pending request of handle `h`.
    pub(crate) fn key_in_use(&self, h: usize, key: OverlappedKey) -> bool {
        self.handles[h]
            .pending
            .get(&key)
            .is_some_and(|r| self.requests.contains_key(r))
    }

    /// Removes a pending request from every index and returns it.
    pub(crate) fn unregister(&mut self, id: u64) -> Option<Request> {
        let r = self.requests.remove(&id)?;
        let pending = &mut self.handles[r.handle as usize].pending;
        if pending.get(&r.key) == Some(&id) {
            pending.remove(&r.key);
        }
        if let ReqKind::Notify(op) = r.kind {
            if let Some(f) = self.flows.get_mut(&r.flow) {
                if f.notify[op.index()].map(NonZeroU64::get) == Some(id) {
                    f.notify[op.index()] = None;
                }
                let path = f.path;
                if let Some(p) = self.paths.get_mut(path as usize) {
                    p.waiters.retain(|x| *x != id);
                }
            } else {
                // The flow was destroyed first (close, remove, sleep, reset): its path is no
                // longer known, so drop the waiter wherever it is.
                for p in &mut self.paths {
                    p.waiters.retain(|x| *x != id);
                }
            }
        }
        Some(r)
    }

    /// Completes a pending request with a failure, on the next step.
    pub(crate) fn abort_request(&mut self, id: u64, code: Win32Error) {
        if let Some(r) = self.unregister(id) {
            let c = self.completion_of(&r, code, None);
            self.schedule(self.now, Scheduled::Deliver(c));
        }
    }

    pub(crate) fn completion_of(
        &self,
        r: &Request,
        status: Win32Error,
        data: Option<QueryData>,
    ) -> Completion {
        let func = match r.kind {
            ReqKind::Set(_) => Func::SetFlow,
            ReqKind::Query { .. } => Func::QueryFlow,
            ReqKind::Notify(_) => Func::NotifyFlow,
        };
        Completion {
            request: r.id,
            key: r.key,
            handle: self.handles[r.handle as usize].value,
            flow: r.flow,
            func,
            status,
            bytes: data.map(|d| d.to_bytes().1 as u32).unwrap_or(0),
            data,
        }
    }

    /// Executes a request whose latency elapsed (Set, Query) and completes it.
    fn run_due(&mut self, id: u64) {
        let Some(r) = self.requests.get(&id).cloned() else {
            return; // cancelled or aborted meanwhile
        };
        let outcome = match r.kind {
            ReqKind::Set(op) => self.execute_set(r.flow, op).map(|_| None),
            ReqKind::Query { op, fresh } => self.execute_query(r.flow, op, fresh, false).map(Some),
            ReqKind::Notify(_) => return, // notifications complete through path changes
        };
        self.unregister(id);
        let c = match outcome {
            Ok(data) => self.completion_of(&r, Win32Error::ERROR_SUCCESS, data),
            Err(e) => self.completion_of(&r, e, None),
        };
        self.deliver(c);
    }

    // ----- paths and faults -----

    /// Re-evaluates every notification waiting on path `p` after its state changed.
    pub(crate) fn path_changed(&mut self, p: PathIdx, id: PathRef) {
        let cfg = &self.paths[p as usize].config;
        let (congested, available_bps) = (cfg.congested, cfg.available_bps);
        self.push_event(Event::Path {
            path: id,
            congested,
            available_bps,
        });
        // The waiters of path `p` are notifications of flows on `p`: completing one removes it
        // from this list. Taking the list out first keeps that removal O(1) and the survivors in
        // their order (completions come out in waiting order, as before).
        let mut waiters = std::mem::take(&mut self.paths[p as usize].waiters);
        let mut kept = 0;
        for i in 0..waiters.len() {
            let w = waiters[i];
            if !self.check_notification(w) {
                waiters[kept] = w;
                kept += 1;
            }
        }
        waiters.truncate(kept);
        let list = &mut self.paths[p as usize].waiters;
        waiters.append(list);
        *list = waiters;
    }

    /// Completes a pending notification if its condition holds now (NOT-4, NOT-5); returns
    /// whether it completed.
    pub(crate) fn check_notification(&mut self, id: u64) -> bool {
        let Some(r) = self.requests.get(&id) else {
            return false;
        };
        let ReqKind::Notify(op) = r.kind else {
            return false;
        };
        let Some(f) = self.flows.get(&r.flow) else {
            return false;
        };
        if let Some(data) = self.notify_condition(f, op) {
            let r = self.unregister(id).expect("pending");
            let c = self.completion_of(&r, Win32Error::ERROR_SUCCESS, data);
            self.deliver(c);
            return true;
        }
        false
    }

    /// Completes the pending requests on flows whose route broke with the route's error.
    fn fail_broken_routes(&mut self) {
        let mut ids: Vec<u64> = self.requests.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            let Some(r) = self.requests.get(&id) else { continue };
            let Some(f) = self.flows.get(&r.flow) else {
                continue;
            };
            if let Err(e) = self.flow_route(f) {
                self.abort_request(id, e);
            }
        }
    }

    fn path_by_ref(&self, r: PathRef) -> Option<PathIdx> {
        match r {
            PathRef::OffLink => Some(0),
            PathRef::Peer(ip) => self.peer_index.get(&net::unmap(ip)).copied(),
        }
    }

    /// Applies a fault now.
    pub(crate) fn apply_fault(&mut self, fault: Fault) {
        self.push_event(Event::Fault(fault.clone()));
        match fault {
            Fault::DeviceReset => {
                self.invalidate_all(HandleState::Stale, Win32Error::ERROR_OPERATION_ABORTED)
            }
            Fault::Sleep => {
                self.invalidate_all(HandleState::Dead, Win32Error::ERROR_OPERATION_ABORTED);
                self.asleep = true;
            }
            Fault::Resume => {
                if self.asleep {
                    self.asleep = false;
                    self.create_failures_left = self.world.settings.create_failures_after_resume;
                }
            }
            Fault::InterfaceDown(name) | Fault::InterfaceUp(name)
                if !self.interfaces.iter().any(|i| i.name == name) => {}
            Fault::InterfaceDown(name) => {
                self.interfaces
                    .iter_mut()
                    .filter(|i| i.name == name)
                    .for_each(|i| i.up = false);
                self.fail_broken_routes();
            }
            Fault::InterfaceUp(name) => {
                self.interfaces
                    .iter_mut()
                    .filter(|i| i.name == name)
                    .for_each(|i| i.up = true);
            }
            Fault::RouteLost(p) => {
                if !self.unreachable.contains(&p) {
                    self.unreachable.push(p);
                }
                self.fail_broken_routes();
            }
            Fault::RouteRestored(p) => {
                self.unreachable.retain(|u| *u != p);
            }
            Fault::AdapterError { interface, failing } => {
                self.interfaces
                    .iter_mut()
                    .filter(|i| i.name == interface)
                    .for_each(|i| i.hardware_fault = failing);
                if failing {
                    self.fail_broken_routes();
                }
            }
            Fault::Congestion { path, congested } => {
                if let Some(p) = self.path_by_ref(path) {
                    self.paths[p as usize].config.congested = congested;
                    self.path_changed(p, path);
                }
            }
            Fault::Bandwidth {
                path,
                available_bps,
                bottleneck_bps,
            } => {
                if let Some(p) = self.path_by_ref(path) {
                    let cfg = &mut self.paths[p as usize].config;
                    cfg.available_bps = available_bps;
                    if let Some(b) = bottleneck_bps {
                        cfg.bottleneck_bps = b;
                    }
                    self.path_changed(p, path);
                }
            }
            Fault::FailCalls { func, code, count } => {
                if count > 0 && code != Win32Error::ERROR_SUCCESS {
                    self.failures.push((func, code, count));
                }
            }
            Fault::Service(s) => self.service = s,
        }
    }

    /// Device reset (GEN-8) and sleep (GEN-9): every open handle changes state, every flow of
    /// this process goes, every pending request completes with `code`, tracking ends.
    fn invalidate_all(&mut self, to: HandleState, code: Win32Error) {
        let mut ids: Vec<u32> = self
            .flows
            .values()
            .filter(|f| f.owner != Owner::Foreign)
            .map(|f| f.id)
            .collect();
        ids.sort_unstable();
        for id in ids {
            self.destroy_flow(id, code);
        }
        let mut pending: Vec<u64> = self.requests.keys().copied().collect();
        pending.sort_unstable();
        for r in pending {
            self.abort_request(r, code);
        }
        for h in &mut self.handles {
            if h.state == HandleState::Open || (to == HandleState::Dead && h.state == HandleState::Stale) {
                h.state = to;
            }
            h.tracked.clear();
        }
        self.lingering.clear();
        for p in &mut self.paths {
            p.probing_since = None;
        }
    }

    // ----- tracking -----

    pub(crate) fn start_probing_path(&mut self, path: PathIdx) {
        if let Some(p) = self.paths.get_mut(path as usize) {
            if p.probing_since.is_none() {
                p.probing_since = Some(self.now);
            }
        }
    }

    pub(crate) fn stop_tracking_everywhere(&mut self, family: Family, ip: IpAddr) -> bool {
        let mut found = false;
        for h in &mut self.handles {
            let before = h.tracked.len();
            h.tracked.retain(|e| *e != (family, ip));
            found |= h.tracked.len() != before;
        }
        let before = self.lingering.len();
        self.lingering.retain(|(_, f, a)| !(*f == family && *a == ip));
        found | (self.lingering.len() != before)
    }

    /// AMB-3: a closed handle's clients keep being tracked for `tracking_linger_ms`.
    pub(crate) fn linger_tracking(&mut self, h: usize) {
        let tracked = std::mem::take(&mut self.handles[h].tracked);
        let ms = self.world.settings.tracking_linger_ms;
        if ms == 0 {
            return;
        }
        for (f, ip) in tracked {
            let id = self.next_linger;
            self.next_linger += 1;
            self.lingering.push((id, f, ip));
            self.schedule(
                self.now.plus_us(ms.saturating_mul(1000)),
                Scheduled::LingerEnd(id),
            );
        }
    }

    /// Clients tracked after their handle closed (AMB-3).
    pub fn lingering_clients(&self) -> Vec<(Family, IpAddr)> {
        self.lingering.iter().map(|(_, f, a)| (*f, *a)).collect()
    }

    pub(crate) fn adaptive_marked_count(&self) -> u32 {
        self.adaptive_marked
    }

    /// Whether the machine is asleep.
    pub fn is_asleep(&self) -> bool {
        self.asleep
    }

    pub(crate) fn world_settings(&self) -> &world::Settings {
        &self.world.settings
    }
}

/// How far the estimate of a path has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Nothing measured yet: `ERROR_NO_DATA`.
    NoData,
    /// Bottleneck and RTT known, available bandwidth not yet.
    Partial,
    /// Everything known.
    Full,
}

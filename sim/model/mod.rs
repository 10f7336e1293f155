//! The pure qWAVE state machine: handles, sockets, flows, paths, pending requests, faults, on a
//! virtual clock with a seeded RNG.
//!
//! **Invariant:** the model never reads the wall clock, never does I/O, never draws randomness
//! except from its seeded RNG, and never lets a hash map's iteration order reach a result or an
//! event. Each of the 11 functions is one file of `api/`, with the rule ids next to the checks
//! that implement them, behind one door: [`Model::apply`].
//!
//! Public here: [`Model`] and its read-only views ([`FlowSnapshot`], [`PathSnapshot`],
//! [`Handle`], [`Socket`]); the [`World`] ([`world`]), [`Fault`]s and [`Event`]s ([`event`]);
//! the value types of the calls and their results; [`invariants`]. The tables, routes, pending
//! requests and timeline are crate-private.

mod api;
pub(crate) mod blocking;
mod error;
pub mod event;
mod fault;
mod flow;
mod flow_table;
mod handle;
mod incremental;
pub mod invariants;
pub(crate) mod net;
mod path;
mod request;
mod rng;
mod route;
pub(crate) mod socket;
#[cfg(test)]
mod testing;
pub(crate) mod time;
mod timeline;
mod touched;
mod tracking;
mod view;
pub mod world;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU64;

use rustc_hash::FxHashMap;

pub use error::Win32Error;
pub use event::{
    CallError, CallOutput, CallResult, Completion, Event, OverlappedKey, QueryData, SocketOp, Stamped,
};
pub use fault::{Fault, Func, PathRef};
pub use flow::{Marking, RateContract, Shaping, TrafficType};
pub use handle::{Handle, HandleState};
pub use net::{Family, Prefix, PrefixError, SockAddrIn};
pub use socket::{wsa, Protocol, Socket};
pub use time::VirtualTime;
pub use view::{FlowSnapshot, PathSnapshot};
pub use world::World;

pub(crate) use flow::{Flow, Owner};
pub(crate) use flow_table::Slot;
pub(crate) use rng::SimRng;

/// The tag bits of every QoS handle value (the fuzzer's name for them; see [`crate::tag`]).
#[cfg(feature = "fuzz")]
pub(crate) const HANDLE_TAG: u64 = crate::tag::HANDLE.nth(0);
pub(crate) use path::{PathState, Phase};
pub(crate) use request::{ReqKind, Request};
pub(crate) use route::Route;
pub(crate) use timeline::Scheduled;

use crate::tag::HandleIndex;
use flow::{PathIdx, LOOPBACK_PATH};
use world::{Interface, PathConfig};

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
    pub(crate) handles: handle::Handles,
    pub(crate) sockets: Vec<Socket>,
    pub(crate) external: FxHashMap<u64, Socket>,
    pub(crate) flows: flow_table::FlowTable,
    next_flow_id: u32,
    /// Flow ids have wrapped past `u32::MAX` at least once: only then can the next id be live.
    flow_ids_wrapped: bool,
    pub(crate) requests: FxHashMap<u64, Request>,
    next_request: u64,
    timeline: BTreeMap<(VirtualTime, u64), Scheduled>,
    next_seq: u64,
    failures: Vec<(Option<Func>, Win32Error, u32)>,
    pub(crate) asleep: bool,
    /// A second sleep arrived while asleep: the transition may end in another state (AMB-40).
    complex_transition: bool,
    create_failures_left: u32,
    service: world::ServiceState,
    /// Tracking entries that outlive their closed handle (AMB-3): (linger id, family, ip).
    lingering: Vec<(u64, Family, IpAddr)>,
    next_linger: u64,
    adaptive_marked: u32,
    /// Bumped by every fault: a flow's cached route (`Flow::route`) is current only if it was
    /// computed in this epoch.
    topology_epoch: u32,
    /// The last destination a new flow was routed to, the interface its socket pinned (if
    /// any), in which epoch, and its route (`Model::route_new`).
    last_route: Option<(IpAddr, Option<u32>, u32, Route)>,
    /// Sockets and requests changed since the incremental invariant check last looked.
    touched_sockets: touched::Touched<u64>,
    touched_requests: touched::Touched<u64>,
    /// What the incremental invariant check knew at its last look (`None`: it checks
    /// everything next time).
    shadow: Option<Box<incremental::Shadow>>,
    /// The most events [`Model::events`] keeps (`usize::MAX`: all; 0: none).
    history: usize,
    /// Events removed from the front of `events` (trimmed to the history, or taken).
    events_removed: u64,
    /// The log; may hold up to twice `history` events, of which the last `history` count.
    events: Vec<Stamped>,
    outbox: Vec<Completion>,
    deadlocks: u32,
    /// Hand blocking calls back to the surface instead of running the timeline (`blocking`).
    defer_blocking: bool,
    blocked: Option<blocking::BlockedNotify>,
}

impl Model {
    /// A model of `world`, with randomness drawn from `seed`, at virtual time zero.
    pub fn new(world: World, seed: u64) -> Model {
        let (paths, peer_index) = PathState::of_world(&world);
        let mut m = Model {
            seed,
            now: VirtualTime::ZERO,
            rng: SimRng::new(seed),
            interfaces: world.interfaces.clone(),
            unreachable: world.unreachable.clone(),
            paths,
            peer_index,
            handles: handle::Handles::default(),
            sockets: Vec::new(),
            external: FxHashMap::default(),
            flows: flow_table::FlowTable::default(),
            next_flow_id: 1,
            flow_ids_wrapped: false,
            requests: FxHashMap::default(),
            next_request: 1,
            timeline: BTreeMap::new(),
            next_seq: 0,
            failures: Vec::new(),
            asleep: false,
            complex_transition: false,
            create_failures_left: 0,
            service: world.settings.service,
            lingering: Vec::new(),
            next_linger: 1,
            adaptive_marked: 0,
            topology_epoch: 0,
            last_route: None,
            touched_sockets: Default::default(),
            touched_requests: Default::default(),
            shadow: None,
            history: usize::MAX,
            events_removed: 0,
            events: Vec::new(),
            outbox: Vec::new(),
            deadlocks: 0,
            defer_blocking: false,
            blocked: None,
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
            m.add_foreign_flow(&ff);
        }
        m
    }

    /// A flow another process owns (the world's `foreign_flows`).
    fn add_foreign_flow(&mut self, ff: &world::ForeignFlow) {
        let id = self.alloc_flow_id();
        let route = self.route(ff.destination);
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
            pinned: false,
            route,
            route_epoch: self.topology_epoch,
            started: VirtualTime::ZERO,
            rate: (ff.rate_bps > 0).then_some(RateContract {
                bandwidth_bps: ff.rate_bps,
                shaping: Shaping::ShapeAndMark,
                reason: 0,
            }),
            admitted: ff.adaptive && ff.rate_bps > 0,
            held_bps: 0,
            custom_dscp: None,
            requests: 0,
            notify: [None; 3],
        };
        if flow.prioritised() {
            self.adaptive_marked += 1; // SET-7d: another process's adaptive flow counts too
        }
        self.flows.insert(id, flow);
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

    /// Turns event recording on (every event kept) or off (none kept; the model behaves
    /// identically). Same as [`Model::set_history`] with `usize::MAX` or 0.
    pub fn set_recording(&mut self, on: bool) {
        self.set_history(if on { usize::MAX } else { 0 });
    }

    /// Keeps only the last `limit` events from now on (`usize::MAX`: all, the default of
    /// [`Model::new`]; 0: none). Older ones are dropped, and [`Model::events_dropped`] counts
    /// them. Memory stays bounded by about twice `limit` events: the log is trimmed in bulk,
    /// so a push costs the same whether or not the log is full.
    pub fn set_history(&mut self, limit: usize) {
        self.trim(self.history); // what was hidden stays gone
        self.history = limit;
        self.trim(limit);
    }

    /// The most events [`Model::events`] keeps (`usize::MAX`: all).
    pub fn history(&self) -> usize {
        self.history
    }

    /// The events kept: every event recorded so far, or with a [`Model::set_history`] limit
    /// the last ones up to it.
    pub fn events(&self) -> &[Stamped] {
        let n = self.events.len();
        &self.events[n.saturating_sub(self.history)..]
    }

    /// How many recorded events [`Model::events`] no longer holds (dropped past the history
    /// limit, or taken with [`Model::take_events`]). 0 means the log is the whole run, which
    /// is what a recording needs to replay it from the start.
    pub fn events_dropped(&self) -> u64 {
        self.events_removed + self.events.len().saturating_sub(self.history) as u64
    }

    /// Removes and returns the kept events (they count as dropped from now on).
    pub fn take_events(&mut self) -> Vec<Stamped> {
        self.trim(self.history);
        self.events_removed += self.events.len() as u64;
        std::mem::take(&mut self.events)
    }

    /// Physically drops all but the last `keep` events.
    fn trim(&mut self, keep: usize) {
        let excess = self.events.len().saturating_sub(keep);
        // (`>` → `>=` is an equivalent mutant: draining nothing changes nothing.)
        if excess > 0 {
            self.events.drain(..excess);
            self.events_removed += excess as u64;
        }
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
        self.handles.as_slice()
    }

    /// The handle behind a value, if the sim issued it.
    pub fn handle(&self, value: u64) -> Option<&Handle> {
        self.handle_index(value).map(|i| &self.handles[i])
    }

    /// A live flow by id (other processes' flows included).
    pub fn flow(&self, id: u32) -> Option<FlowSnapshot> {
        self.flows.get(&id).map(|f| self.flow_snapshot(f))
    }

    /// Every live flow (other processes' included), sorted by id.
    pub fn flows(&self) -> Vec<FlowSnapshot> {
        self.flow_ids()
            .into_iter()
            .filter_map(|id| self.flow(id))
            .collect()
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
    ///
    /// ```
    /// use qwave_sim::model::{Model, World};
    /// let mut m = Model::new(World::default(), 1);
    /// let udp = m.socket(2, 2, 17).unwrap(); // AF_INET, SOCK_DGRAM, IPPROTO_UDP
    /// let tcp = m.socket(23, 1, 6).unwrap(); // AF_INET6, SOCK_STREAM, IPPROTO_TCP
    /// let raws: Vec<u64> = m.sockets().iter().map(|s| s.raw).collect();
    /// assert_eq!(raws, [udp, tcp]);
    /// ```
    pub fn sockets(&self) -> &[Socket] {
        &self.sockets
    }

    /// Paths: the off-link path first, then one per world peer (in world order).
    pub fn paths(&self) -> Vec<PathSnapshot> {
        self.paths.iter().map(PathSnapshot::from).collect()
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
        self.flows.get(&id).map(|f| self.flow_marking(f))
    }

    /// The time of the next scheduled event, if any.
    pub fn next_event_time(&self) -> Option<VirtualTime> {
        self.timeline.keys().next().map(|(t, _)| *t)
    }

    // ----- events -----

    pub(crate) fn recording(&self) -> bool {
        self.history > 0
    }

    /// The position the next event gets, counted from the start of the run (so it stays
    /// valid while the log is trimmed).
    pub(crate) fn events_len(&self) -> usize {
        self.events_removed as usize + self.events.len()
    }

    /// Records `event` at position `at` (the end, unless events happened while a call blocked;
    /// the front if `at` was already dropped).
    pub(crate) fn insert_event(&mut self, at: usize, event: Stamped) {
        let at = at.saturating_sub(self.events_removed as usize);
        if at >= self.events.len() {
            self.events.push(event);
        } else {
            self.events.insert(at, event);
        }
        self.trim_if_full();
    }

    /// Records a call at position `at` (see [`Model::insert_event`]), built in place at the end
    /// of the log in the usual case: the hot path of every call with recording on.
    #[inline]
    pub(crate) fn record_call(
        &mut self,
        mark: usize,
        at: VirtualTime,
        call: crate::call::Call,
        result: &CallResult,
    ) {
        // (`<` → `<=` is an equivalent mutant: at the end of the log `insert_event` pushes too.)
        if mark.saturating_sub(self.events_removed as usize) < self.events.len() {
            let event = Event::Call {
                call,
                result: result.clone(),
            };
            return self.insert_event(mark, Stamped { at, event });
        }
        self.events.reserve(1);
        self.events.spare_capacity_mut()[0].write(Stamped {
            at,
            event: Event::Call {
                call,
                result: result.clone(),
            },
        });
        // SAFETY: the slot just past the end was reserved and is now initialised.
        unsafe { self.events.set_len(self.events.len() + 1) };
        self.trim_if_full();
    }

    pub(crate) fn push_event(&mut self, event: Event) {
        if self.history > 0 {
            self.events.push(Stamped { at: self.now, event });
            self.trim_if_full();
        }
    }

    /// Trims in bulk once the log holds twice the history, so each push costs O(1) amortized.
    /// (When it trims is not observable: [`Model::events`] shows the last `history` events and
    /// positions count from the start of the run either way, so mutants of the condition that
    /// only trim more often are equivalent; they cost time.)
    #[inline]
    fn trim_if_full(&mut self) {
        if self.events.len() >= self.history.saturating_mul(2) {
            self.trim(self.history);
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

    // ----- flows -----

    pub(crate) fn alloc_flow_id(&mut self) -> u32 {
        let id = self.next_flow_id;
        // AMB-29: monotonic, never 0, never reused within a run (wraps only after 2^32 flows,
        // skipping live ids). Until ids wrap, every live id is below the next one.
        self.next_flow_id = self.next_after(self.next_flow_id);
        if self.flow_ids_wrapped {
            while self.flows.contains_key(&self.next_flow_id) {
                self.next_flow_id = self.next_after(self.next_flow_id);
            }
        }
        id
    }

    /// The flow id after `id`, noting when ids wrap around to 1.
    fn next_after(&mut self, id: u32) -> u32 {
        id.checked_add(1).unwrap_or_else(|| {
            self.flow_ids_wrapped = true;
            1
        })
    }

    /// A flow of handle `h` (GEN-7: only through the handle that created it).
    pub(crate) fn own_flow(&self, h: HandleIndex, id: u32) -> Result<&Flow, Win32Error> {
        match self.flows.get(&id) {
            Some(f) if f.owner == Owner::Handle(h) => Ok(f),
            _ => Err(Win32Error::ERROR_NOT_FOUND),
        }
    }

    /// Where a flow of handle `h` is stored (GEN-7, as [`Model::own_flow`]).
    pub(crate) fn own_slot(&self, h: HandleIndex, id: u32) -> Result<Slot, Win32Error> {
        match self.flows.find(id) {
            Some(s) if self.flows.at(s).owner == Owner::Handle(h) => Ok(s),
            _ => Err(Win32Error::ERROR_NOT_FOUND),
        }
    }

    pub(crate) fn insert_flow(&mut self, h: HandleIndex, mut f: Flow) {
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
        self.start_probing_path(path);
    }

    /// Destroys a flow: releases its sockets and admitted bandwidth and aborts its pending
    /// requests with `code` (REM-9, CLO-5).
    pub(crate) fn destroy_flow(&mut self, id: u32, code: Win32Error) {
        let Some(slot) = self.flows.find(id) else {
            return;
        };
        // (A shortcut: `>` → `>=`, an equivalent mutant, looks for requests that are not there.)
        if self.flows.at(slot).requests > 0 {
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
        }
        // What the rest of the model still needs of the flow, read in place before it goes.
        let f = self.flows.at_mut(slot);
        let sockets = std::mem::replace(&mut f.sockets, flow::Sockets::None);
        let (owner, pos, prioritised, path, held) =
            (f.owner, f.pos as usize, f.prioritised(), f.path, f.held_bps);
        self.flows.remove_at(id, slot);
        if let Owner::Handle(h) = owner {
            let list = &mut self.handles[h].flows;
            list.swap_remove(pos);
            if let Some(&moved) = list.get(pos) {
                if let Some(m) = self.flows.get_mut(&moved) {
                    m.pos = pos as u32;
                }
            }
        }
        for &s in sockets.as_slice() {
            if let Some(sock) = self.socket_mut(s) {
                sock.flow_refs = sock.flow_refs.saturating_sub(1);
            }
        }
        if prioritised {
            self.adaptive_marked = self.adaptive_marked.saturating_sub(1);
        }
        if let Some(p) = self.paths.get_mut(path as usize) {
            p.admitted_bps = p.admitted_bps.saturating_sub(held);
        }
    }

    /// NOT-5: re-evaluates the notifications waiting on path `p` after admitted bandwidth on it
    /// was released (no path event happens then). Callers that destroy flows call it once the
    /// requests they abort are gone, so an aborted request never completes with success.
    pub(crate) fn recheck_waiters(&mut self, p: PathIdx) {
        // (The guard is a shortcut: `true` in its place, an equivalent mutant, clones the
        // empty list and loops over nothing.)
        let waiters = match self.paths.get(p as usize) {
            Some(s) if !s.waiters.is_empty() => s.waiters.clone(),
            _ => return,
        };
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
        // (`<` → `<=` is an equivalent mutant: a re-check when nothing was released finds no
        // notification newly satisfied; every change that can satisfy one re-checks anyway.)
        if held_bps < old_held {
            self.recheck_waiters(path); // NOT-5
        }
    }

    pub(crate) fn adaptive_marked_count(&self) -> u32 {
        self.adaptive_marked
    }

    pub(crate) fn world_settings(&self) -> &world::Settings {
        &self.world.settings
    }
}

#[cfg(test)]
mod tests {
    use crate::call::{self, Call, TrafficArg};
    use crate::model::{testing, CallOutput, Model, World};

    /// Another process's flows (GEN-7) take their declared rate: a non-adaptive one declaring
    /// none is marked by its traffic type like any flow without a rate; an adaptive one is
    /// admitted, and marked, only with a rate (SET-6, SET-7d).
    #[test]
    fn a_foreign_flow_has_its_declared_rate_and_an_adaptive_one_needs_it_for_admission() {
        use crate::model::world::ForeignFlow;
        use crate::model::TrafficType;
        let mut w = World::default();
        for (adaptive, rate_bps) in [(false, 0), (false, 500_000), (true, 0), (true, 500_000)] {
            w.foreign_flows.push(ForeignFlow {
                traffic_type: TrafficType::Voice,
                adaptive,
                rate_bps,
                ..ForeignFlow::default()
            });
        }
        let m = Model::new(w, 1);
        let mut flows: Vec<_> = m.flows.values().collect();
        flows.sort_by_key(|f| f.id);
        let seen: Vec<_> = flows
            .iter()
            .map(|f| {
                let dscp = m.marking(f.id).expect("a live flow").conformant_dscp;
                (f.rate.map(|r| r.bandwidth_bps), f.admitted, dscp)
            })
            .collect();
        let voice = 56; // TT table
        assert_eq!(
            seen,
            [
                (None, false, voice),
                (Some(500_000), false, voice),
                (None, false, 0),
                (Some(500_000), true, voice)
            ]
        );
        assert_eq!(m.adaptive_marked_count(), 1);
    }

    /// Estimate jitter (`estimate_jitter_pct`): exact, and no random draw, when it is 0 or the
    /// value is 0 (so turning it off leaves the rest of the seeded stream as it was); within
    /// ± the percentage, drawn from the seed, otherwise.
    #[test]
    fn jitter_draws_only_when_there_is_something_to_jitter() {
        let model = |pct| {
            let mut w = World::default();
            w.settings.estimate_jitter_pct = pct;
            Model::new(w, 3)
        };
        let untouched = model(0).rng.next_u64();
        let mut off = model(0);
        assert_eq!(off.jitter(1_000_000), 1_000_000);
        let mut zero = model(10);
        assert_eq!(zero.jitter(0), 0);
        for mut m in [off, zero] {
            assert_eq!(m.rng.next_u64(), untouched, "no draw");
        }
        let mut on = model(10);
        let v = on.jitter(1_000_000);
        assert!((900_000..=1_100_000).contains(&v), "{v}");
        assert_ne!(on.rng.next_u64(), untouched, "one draw");
    }

    /// A history limit bounds the log's memory to about twice the limit however long the run
    /// (`set_history`'s promise), while `events` shows the last `limit` and `events_dropped`
    /// counts the rest.
    #[test]
    fn a_history_limit_bounds_the_log() {
        let mut m = Model::new(World::default(), 1);
        m.set_history(10);
        for _ in 0..100 {
            m.socket(2, 2, 17).expect("socket");
        }
        assert!(m.events.len() <= 20, "{} events kept", m.events.len());
        assert_eq!(m.events().len(), 10);
        assert_eq!(m.events_dropped(), 90);
    }

    /// With recording off (`set_recording(false)`, a history of 0) nothing is recorded: no
    /// event is kept and none counts as dropped, for calls as for socket events.
    #[test]
    fn recording_off_records_nothing() {
        let mut m = Model::new(World::default(), 1);
        m.set_recording(false);
        let h = testing::handle(&mut m);
        testing::new_flow(&mut m, h, false);
        assert!(m.events().is_empty());
        assert_eq!(m.events_dropped(), 0);
        m.set_recording(true);
        m.socket(2, 2, 17).expect("socket");
        assert_eq!(m.events().len(), 1, "recording on again");
        assert_eq!(m.events_dropped(), 0);
    }

    /// `take_events` (how qwave.dll streams its trace) hands the kept events over and counts
    /// them as dropped; the log goes on from there.
    #[test]
    fn take_events_hands_over_the_kept_events() {
        let mut m = Model::new(World::default(), 1);
        let s = m.socket(2, 2, 17).expect("socket");
        m.close_socket(s).expect("close");
        let kept = m.events().to_vec();
        assert_eq!(kept.len(), 2, "{kept:?}");
        let taken = m.take_events();
        assert_eq!(format!("{taken:?}"), format!("{kept:?}"));
        assert!(m.events().is_empty());
        assert_eq!(m.events_dropped(), 2);
        m.socket(2, 2, 17).expect("socket");
        assert_eq!((m.events().len(), m.events_dropped()), (1, 2));
    }

    /// AMB-29 past 2^32 flows: ids wrap to 1 and skip the ones still live.
    #[test]
    fn flow_ids_wrap_around_past_the_live_ones() {
        let mut m = Model::new(World::default(), 1);
        let h = testing::handle(&mut m);
        let dest = testing::peer();
        let add = |m: &mut Model| {
            let s = m.socket(2, 2, 17).expect("socket");
            let add = call::AddSocketToFlow {
                handle: h,
                socket: s,
                dest: Some(dest),
                traffic_type: TrafficArg::AudioVideo,
                non_adaptive: true,
                flags: 0,
                flow: Some(0),
            };
            match m.apply(Call::AddSocketToFlow(add)) {
                Ok(CallOutput::Flow(id)) => (id, m.next_flow_id),
                other => panic!("add: {other:?}"),
            }
        };
        assert_eq!(add(&mut m), (1, 2));
        assert_eq!(add(&mut m), (2, 3));
        m.next_flow_id = u32::MAX - 1;
        assert_eq!(add(&mut m), (u32::MAX - 1, u32::MAX));
        assert!(!m.flow_ids_wrapped);
        assert_eq!(add(&mut m), (u32::MAX, 3), "1 and 2 are still live");
        assert!(m.flow_ids_wrapped);
        assert_eq!(add(&mut m), (3, 4));
        m.check_invariants().expect("invariants");
    }
}

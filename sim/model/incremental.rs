//! The invariants of [`Model::check_invariants`], checked over only what changed since the last
//! look: [`Model::check_invariants_incremental`].
//!
//! The model records which flows, handles, sockets and requests each change touches (the
//! [`Touched`](super::touched::Touched) logs, kept only once this check is in use). The check
//! keeps a [`Shadow`]: each flow's part in the totals that other counters must match (socket
//! reference counts, path budgets, prioritised flows, the flows each handle owns, the requests
//! pending on each flow) and the inputs every flow's marking shares. At each look it moves the
//! totals by what the touched entries changed, runs each touched entry's own checks and the
//! cross-checks they take part in, and re-checks every flow's marking only if a shared input
//! changed (a fault, time reaching a new measurement phase, the first or last prioritised
//! flow; with the query-count warm-up, any step). Paths are few and are checked whole.
//!
//! The first look, a look after a violation, and a look after a wholesale change check
//! everything with [`Model::check_invariants`] and rebuild the shadow.

use std::net::IpAddr;

use rustc_hash::FxHashMap;

use super::flow::{Flow, Owner, Sockets};
use super::invariants::Violation;
use super::request::Request;
use super::touched::Changes;
use super::world::Warmup;
use super::{Model, PathIdx, Phase, Route, VirtualTime};
use crate::tag::HandleIndex;

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)*) => {
        if !$cond {
            return Err(Violation(format!($($fmt)*)));
        }
    };
}

/// What one flow adds to the totals.
#[derive(Clone, Debug, PartialEq, Eq)]
struct FlowFacts {
    /// The owning handle's index (`None`: another process's flow).
    owner: Option<u32>,
    sockets: Sockets,
    path: PathIdx,
    held_bps: u64,
    prioritised: bool,
}

impl FlowFacts {
    fn of(f: &Flow) -> FlowFacts {
        FlowFacts {
            owner: match f.owner {
                Owner::Handle(h) => Some(h.get() as u32),
                Owner::Foreign => None,
            },
            sockets: f.sockets.clone(),
            path: f.path,
            held_bps: f.held_bps,
            prioritised: f.prioritised(),
        }
    }
}

/// The inputs of every flow's marking that are not the flow's own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct MarkingInputs {
    /// Routes (a fault bumps it).
    epoch: u32,
    /// Some flow is prioritised (SET-7d; the invariants' own count, which every look checks
    /// against the model's counter, so the counter needs no entry of its own).
    any_prioritised: bool,
    /// Each path's measurement phase and whether it keeps 802.1p tags (TT-1).
    paths: Vec<(Phase, bool)>,
}

impl MarkingInputs {
    /// Brings the inputs up to date with `m`; returns whether any changed. (Returning `true`
    /// always, an equivalent mutant, re-checks every marking at every look.)
    fn refresh(&mut self, m: &Model, any_prioritised: bool) -> bool {
        let mut changed = self.any_prioritised != any_prioritised;
        self.any_prioritised = any_prioritised;
        if self.epoch != m.topology_epoch() {
            self.epoch = m.topology_epoch();
            changed = true;
        }
        if self.paths.len() != m.paths.len() {
            self.paths.resize(m.paths.len(), (Phase::NoData, false));
            changed = true;
        }
        for (i, (slot, p)) in self.paths.iter_mut().zip(&m.paths).enumerate() {
            let now = (m.estimate_phase(i as PathIdx), p.config.keeps_8021p);
            if *slot != now {
                *slot = now;
                changed = true;
            }
        }
        changed
    }
}

/// What the incremental check knew at its last look.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Shadow {
    flows: FxHashMap<u32, FlowFacts>,
    /// Socket value → flows holding it (no zero entries).
    socket_refs: FxHashMap<u64, u32>,
    /// Path index → bandwidth its flows hold.
    held: Vec<u64>,
    /// Prioritised adaptive flows.
    prioritised: u32,
    /// Handle index → flows it owns (no zero entries).
    owned: FxHashMap<u32, u32>,
    /// Pending request → (flow, handle index).
    requests: FxHashMap<u64, (u32, u32)>,
    /// Flow → requests pending on it (no zero entries).
    per_flow: FxHashMap<u32, u32>,
    /// Handle index → requests pending on it (no zero entries).
    per_handle: FxHashMap<u32, u32>,
    marking: MarkingInputs,
    /// When `marking` was last brought up to date.
    marking_at: Option<VirtualTime>,
    /// Sockets the sim created whose values were checked.
    sockets: usize,
    /// The remembered route of the last new flow, as checked.
    last_route: Option<(IpAddr, Option<u32>, u32, Route)>,
}

fn inc<K: std::hash::Hash + Eq>(m: &mut FxHashMap<K, u32>, k: K) {
    *m.entry(k).or_default() += 1;
}

fn dec<K: std::hash::Hash + Eq + Copy>(m: &mut FxHashMap<K, u32>, k: K) {
    if let Some(n) = m.get_mut(&k) {
        *n -= 1;
        if *n == 0 {
            m.remove(&k);
        }
    }
}

impl Shadow {
    /// The shadow of `m` as it is, built from scratch.
    fn build(m: &Model) -> Shadow {
        let mut sh = Shadow {
            held: vec![0; m.paths.len()],
            sockets: m.sockets.len(),
            last_route: m.last_route,
            marking_at: Some(m.now()),
            ..Shadow::default()
        };
        for (id, f) in &m.flows {
            let facts = FlowFacts::of(f);
            sh.add(&facts, &mut Vec::new());
            sh.flows.insert(*id, facts);
        }
        for (id, r) in &m.requests {
            sh.add_request(*id, r);
        }
        let any = sh.prioritised > 0;
        sh.marking.refresh(m, any);
        sh
    }

    /// Adds a flow's part to the totals, noting the sockets it concerns.
    fn add(&mut self, f: &FlowFacts, sockets: &mut Vec<u64>) {
        for &s in f.sockets.as_slice() {
            inc(&mut self.socket_refs, s);
            sockets.push(s);
        }
        if let Some(slot) = self.held.get_mut(f.path as usize) {
            *slot += f.held_bps;
        }
        self.prioritised += u32::from(f.prioritised);
        if let Some(h) = f.owner {
            inc(&mut self.owned, h);
        }
    }

    /// Takes a flow's part out of the totals, noting the sockets it concerned.
    fn remove(&mut self, f: &FlowFacts, sockets: &mut Vec<u64>) {
        for &s in f.sockets.as_slice() {
            dec(&mut self.socket_refs, s);
            sockets.push(s);
        }
        if let Some(slot) = self.held.get_mut(f.path as usize) {
            *slot -= f.held_bps;
        }
        self.prioritised -= u32::from(f.prioritised);
        if let Some(h) = f.owner {
            dec(&mut self.owned, h);
        }
    }

    fn add_request(&mut self, id: u64, r: &Request) {
        let h = r.handle.get() as u32;
        self.requests.insert(id, (r.flow, h));
        inc(&mut self.per_flow, r.flow);
        inc(&mut self.per_handle, h);
    }

    /// Forgets request `id`; returns its flow and handle.
    fn remove_request(&mut self, id: u64) -> Option<(u32, u32)> {
        let (f, h) = self.requests.remove(&id)?;
        dec(&mut self.per_flow, f);
        dec(&mut self.per_handle, h);
        Some((f, h))
    }
}

/// The keys a log names, sorted and once each (`None`: all of them; always `None`, an
/// equivalent mutant, makes every look whole).
fn keys<K: Ord>(c: Changes<K>) -> Option<Vec<K>> {
    match c {
        Changes::All => None,
        Changes::Some(v) => Some(sorted(v)),
    }
}

/// `v` sorted, each key once. (Sorting fixes which violation a look reports first; looking at
/// a key twice changes nothing, and sorting one key does nothing, so the mutants of `> 1` below
/// are equivalent.)
fn sorted<K: Ord>(mut v: Vec<K>) -> Vec<K> {
    if v.len() > 1 {
        v.sort_unstable();
        v.dedup();
    }
    v
}

impl Model {
    /// Checks the invariants of [`Model::check_invariants`] over what changed since the last
    /// call: the flows, handles, sockets and pending requests the steps since then touched, the
    /// totals they take part in, every path, and every flow's marking when an input all markings
    /// share changed. The first call (and the first after a violation) checks everything. After
    /// every step this costs about what the step changed, not the size of the state; the
    /// result is the full check's (`Ok` exactly when it is `Ok`). Check fully with
    /// [`Model::check_invariants`] at the end of a run and whenever in doubt.
    ///
    /// ```
    /// use qwave_sim::model::{Model, World};
    /// let mut m = Model::new(World::default(), 1);
    /// m.check_invariants_incremental().unwrap(); // everything, the first time
    /// m.socket(2, 2, 17).unwrap();
    /// m.check_invariants_incremental().unwrap(); // the new socket
    /// ```
    pub fn check_invariants_incremental(&mut self) -> Result<(), Violation> {
        let flows = self.flows.touched.take();
        let handles = self.handles.1.take();
        let sockets = self.touched_sockets.take();
        let requests = self.touched_requests.take();
        // (Deleting the first arm is an equivalent mutant: every look becomes a whole check,
        // which finds the same violations, slower.)
        let (result, whole) = match (self.shadow.take(), keys(flows), keys(requests)) {
            (Some(sh), Some(flows), Some(requests)) => (
                self.check_changes(sh, flows, keys(handles), keys(sockets), requests),
                false,
            ),
            _ => (
                self.check_invariants().map(|()| Box::new(Shadow::build(self))),
                true,
            ),
        };
        match result {
            Ok(sh) => {
                if whole {
                    // Record changes from this state on.
                    self.flows.touched.start();
                    self.handles.1.start();
                    self.touched_sockets.start();
                    self.touched_requests.start();
                }
                self.shadow = Some(sh);
                Ok(())
            }
            Err(v) => {
                self.shadow = None; // the next look checks everything again
                Err(v)
            }
        }
    }

    /// Runs [`Model::check_invariants_incremental`] and [`Model::check_invariants`] and fails if
    /// they disagree, or if what the incremental check keeps between looks is not what it would
    /// rebuild from scratch now (a change the model did not record). For tests and fuzzing.
    #[doc(hidden)]
    pub fn check_invariants_both(&mut self) -> Result<(), Violation> {
        let incremental = self.check_invariants_incremental();
        let full = self.check_invariants();
        ensure!(
            incremental.is_ok() == full.is_ok(),
            "the incremental invariant check says {incremental:?}, the full check {full:?}"
        );
        full?;
        if let Some(sh) = &self.shadow {
            let fresh = Shadow::build(self);
            ensure!(
                **sh == fresh,
                "the incremental invariant check kept {sh:?}, but the state is {fresh:?}"
            );
        }
        Ok(())
    }

    /// One incremental look (see [`Model::check_invariants_incremental`]): `flows` and
    /// `requests` touched, `handles` and `sockets` touched (`None`: all).
    fn check_changes(
        &self,
        mut sh: Box<Shadow>,
        mut flows: Vec<u32>,
        handles: Option<Vec<u32>>,
        sockets: Option<Vec<u64>>,
        requests: Vec<u64>,
    ) -> Result<Box<Shadow>, Violation> {
        let mut more_handles = Vec::new();
        let mut more_sockets = Vec::new();
        // Requests first: they name the flows and handles whose counts they move.
        for &id in &requests {
            if let Some((f, h)) = sh.remove_request(id) {
                flows.push(f);
                more_handles.push(h);
            }
            if let Some(r) = self.requests.get(&id) {
                sh.add_request(id, r);
                flows.push(r.flow);
                more_handles.push(r.handle.get() as u32);
                self.check_request(id, r)?;
            }
        }
        let flows = sorted(flows);
        for &id in &flows {
            let old = sh.flows.remove(&id);
            let new = self.flows.get(&id).map(FlowFacts::of);
            let owners = (
                old.as_ref().and_then(|o| o.owner),
                new.as_ref().and_then(|n| n.owner),
            );
            // A handle's list changes when it gains or loses a flow, not when one of its flows
            // changes (the flow itself checks its place in the list).
            // (A flow that comes or goes changes its owner from or to `None`; another
            // process's flows have no handle either way.)
            if owners.0 != owners.1 {
                more_handles.extend(owners.0);
                more_handles.extend(owners.1);
            }
            if let Some(old) = &old {
                sh.remove(old, &mut more_sockets);
            }
            if let Some(new) = new {
                sh.add(&new, &mut more_sockets);
                sh.flows.insert(id, new);
            }
        }
        let any_prioritised = sh.prioritised > 0;
        // The shared marking inputs move with time, faults (the topology epoch), the first or
        // last prioritised flow, paths starting to be measured (a new flow or a tracked client),
        // and, when the estimate warms up by queries (AMB-36), any fundamentals query: without
        // any of those, they are as they were.
        // (The flow and request terms are redundant today, so mutants that weaken them, such as
        // deleting a `!` or joining the two with `&&`, are equivalent: a step that touches a flow
        // or a request and moves a shared input also moves another term. A new adaptive flow starts
        // measuring its path, but joining its handle's list logs the handle; faults bump the epoch;
        // a rate that prioritises a flow moves `any_prioritised`; a touched request names its flow,
        // and no request starts or stops a measurement. The terms stay so that a change of a path's
        // phase through a flow or a request alone cannot slip by. The prioritised term is
        // redundant too, a flow's priority changing only with the flow, touched: inverting it is
        // equivalent.)
        let moved = sh.marking_at != Some(self.now())
            || self.world().settings.warmup != Warmup::Time
            || !flows.is_empty()
            || !requests.is_empty()
            || handles.as_ref().is_none_or(|h| !h.is_empty())
            || sh.marking.epoch != self.topology_epoch()
            || sh.marking.any_prioritised != any_prioritised;
        sh.marking_at = Some(self.now());
        let all_markings = moved && sh.marking.refresh(self, any_prioritised);
        for &id in &flows {
            let pending = sh.per_flow.get(&id).copied().unwrap_or(0);
            match self.flows.get(&id) {
                Some(f) => {
                    self.check_flow(id, f, None)?;
                    ensure!(
                        f.requests == pending,
                        "flow {id} counts {} pending requests, but {pending} are pending on it",
                        f.requests
                    );
                    if !all_markings {
                        self.check_flow_marking(f, any_prioritised)?;
                    }
                    self.check_notify_slots(id, f)?;
                }
                None => ensure!(pending == 0, "{pending} request(s) outlive flow {id}"),
            }
        }
        if all_markings {
            for f in self.flows.values() {
                self.check_flow_marking(f, any_prioritised)?;
            }
        }
        match handles {
            Some(mut hs) => {
                hs.append(&mut more_handles);
                for i in sorted(hs) {
                    self.check_handle_changes(&sh, i)?;
                }
            }
            None => {
                for i in 0..self.handles.as_slice().len() as u32 {
                    self.check_handle_changes(&sh, i)?;
                }
            }
        }
        self.check_socket_changes(&mut sh, sockets, more_sockets)?;
        for (i, p) in self.paths.iter().enumerate() {
            let held = sh.held.get(i).copied().unwrap_or(0);
            ensure!(
                p.admitted_bps == held,
                "path {i} budget {} != flows' {held}",
                p.admitted_bps
            );
            if !requests.is_empty() {
                for w in &p.waiters {
                    ensure!(
                        self.requests.contains_key(w),
                        "path {i} waits on a finished request {w}"
                    );
                }
            }
        }
        ensure!(
            sh.prioritised == self.adaptive_marked_count(),
            "prioritised adaptive flows {} != counter {}",
            sh.prioritised,
            self.adaptive_marked_count()
        );
        if sh.last_route != self.last_route {
            sh.last_route = self.last_route;
            if let Some((ip, via, epoch, route)) = self.last_route {
                ensure!(
                    epoch != self.topology_epoch() || self.route_via(ip, via) == route,
                    "the last new flow's route to {ip} (via {via:?}) is remembered as {route:?}, but it is {:?}",
                    self.route_via(ip, via)
                );
            }
        }
        if let Some(t) = self.next_event_time() {
            ensure!(
                t >= self.now(),
                "an event is scheduled in the past ({t} < {})",
                self.now()
            );
        }
        Ok(sh)
    }

    /// A pending request is consistent with its handle and its flow.
    pub(super) fn check_request(&self, id: u64, r: &Request) -> Result<(), Violation> {
        ensure!(id != 0 && r.id == id, "request id {id} / {}", r.id);
        let h = self.handles.get(r.handle);
        ensure!(
            h.is_some_and(|h| h.state == super::HandleState::Open),
            "request {id} outlives its handle"
        );
        ensure!(
            h.expect("checked").pending.get(&r.key) == Some(&id),
            "request {id} missing from its handle"
        );
        ensure!(
            self.flows
                .get(&r.flow)
                .is_some_and(|f| f.owner == Owner::Handle(r.handle)
                // QRY-16, GEN-7: another handle's or process's flow may be queried.
                || matches!(r.kind, super::ReqKind::Query { .. })),
            "request {id} outlives its flow"
        );
        Ok(())
    }

    /// A touched handle: its own checks, its flow list (as many entries as it owns flows; each
    /// touched flow checks that it is listed at its position), its pending requests (each live
    /// and its own, as many as are pending on it).
    fn check_handle_changes(&self, sh: &Shadow, i: u32) -> Result<(), Violation> {
        let Some(hi) = HandleIndex::next(i as usize) else {
            return Ok(());
        };
        let Some(h) = self.handles.get(hi) else {
            return Ok(());
        };
        self.check_handle(hi, h)?;
        let owned = sh.owned.get(&i).copied().unwrap_or(0);
        ensure!(
            h.flows.len() == owned as usize,
            "handle {:#x} lists {} flows but owns {owned}",
            h.value,
            h.flows.len()
        );
        for (key, r) in &h.pending {
            let req = self.requests.get(r);
            ensure!(req.is_some(), "handle {:#x} lists a finished request", h.value);
            ensure!(
                req.is_some_and(|q| q.handle == hi && q.key == *key),
                "handle {:#x} lists request {r} under another handle or OVERLAPPED",
                h.value
            );
        }
        let pending = sh.per_handle.get(&i).copied().unwrap_or(0);
        ensure!(
            h.pending.len() == pending as usize,
            "handle {:#x} lists {} pending requests, but {pending} are pending on it",
            h.value,
            h.pending.len()
        );
        Ok(())
    }

    /// New sockets' values, and the reference counts of the sockets touched or held by a
    /// touched flow (`touched` `None`: every socket).
    fn check_socket_changes(
        &self,
        sh: &mut Shadow,
        touched: Option<Vec<u64>>,
        mut held: Vec<u64>,
    ) -> Result<(), Violation> {
        for (i, s) in self.sockets.iter().enumerate().skip(sh.sockets) {
            ensure!(
                s.raw == crate::tag::SOCKET.value(i),
                "socket {i} has value {:#x} (ids unique and non-zero)",
                s.raw
            );
        }
        sh.sockets = self.sockets.len();
        let raws = match touched {
            Some(mut t) => {
                t.append(&mut held);
                sorted(t)
            }
            None => sorted(
                self.sockets
                    .iter()
                    .chain(self.external.values())
                    .map(|s| s.raw)
                    .chain(sh.socket_refs.keys().copied())
                    .collect(),
            ),
        };
        for raw in raws {
            let n = sh.socket_refs.get(&raw).copied().unwrap_or(0);
            match self.socket_info(raw) {
                Some(s) => ensure!(
                    s.flow_refs == n,
                    "socket {raw:#x} refcount {} != {n}",
                    s.flow_refs
                ),
                None => ensure!(n == 0, "flow holds unknown socket {raw:#x}"),
            }
            if self.world().settings.reject_socket_in_two_flows {
                ensure!(
                    n <= 1,
                    "socket {raw:#x} in {n} flows while the world forbids it (AMB-30)"
                );
            }
        }
        Ok(())
    }
}

/// The incremental check trusts the change logs: a flow changed behind the model's back (as a
/// model bug that forgot to log it would) is seen by the full check at once, and by the
/// incremental check when it next looks at that flow, or at every flow's marking because an
/// input all markings share moved. These tests corrupt one flow that way, then take a step that
/// moves only a shared input, and expect the incremental check to see the corruption.
#[cfg(test)]
mod tests {
    use crate::call::{self, Call, QueryOp};
    use crate::model::world::Warmup;
    use crate::model::{testing, CallOutput, Flow, Model, Route, Win32Error, World};

    /// Caches a wrong route for flow `id` without logging the change (see [`corrupt_unlogged`]).
    fn corrupt_route_unlogged(m: &mut Model, id: u32) {
        corrupt_unlogged(m, id, |f| f.route = Route::Loopback);
    }

    /// Breaks flow `id` with `corrupt` without logging the change: the full check sees it; an
    /// incremental look with nothing logged does not.
    fn corrupt_unlogged(m: &mut Model, id: u32, corrupt: impl FnOnce(&mut Flow)) {
        assert_eq!(m.check_invariants_incremental(), Ok(()), "clean before");
        corrupt(m.flows.get_mut(&id).expect("flow"));
        let _ = m.flows.touched.take();
        assert!(m.check_invariants().is_err(), "the full check sees it");
        assert_eq!(
            m.check_invariants_incremental(),
            Ok(()),
            "with nothing logged and no shared input moved, the flow is not looked at"
        );
    }

    /// The first prioritised flow (SET-7d) changes every other flow's marking, so the check
    /// re-checks them all, though the step touched only the flow given a rate.
    #[test]
    fn the_first_prioritised_flow_re_checks_every_marking() {
        // No warm-up: the path's estimate is complete as soon as it is measured.
        let mut m = Model::new(testing::no_warm_up(), 1);
        let h = testing::handle(&mut m);
        let other = testing::new_flow(&mut m, h, true);
        let adaptive = testing::new_flow(&mut m, h, false);
        corrupt_route_unlogged(&mut m, other);
        testing::set_rate(&mut m, h, adaptive, 100_000);
        assert_eq!(m.adaptive_marked_count(), 1, "the adaptive flow is prioritised");
        assert!(m.check_invariants_incremental().is_err());
    }

    /// With the query-count warm-up (AMB-36), a synchronous fundamentals query, which logs no
    /// flow, handle or request, moves its path's phase: every marking is re-checked.
    #[test]
    fn a_query_that_moves_the_warm_up_re_checks_every_marking() {
        let mut w = World::default();
        w.settings.warmup = Warmup::Queries {
            no_data: 1,
            partial: 1,
        };
        let mut m = Model::new(w, 1);
        let h = testing::handle(&mut m);
        let other = testing::new_flow(&mut m, h, true);
        let id = testing::new_flow(&mut m, h, false);
        corrupt_route_unlogged(&mut m, other);
        let query = call::QueryFlow {
            handle: h,
            flow: id,
            op: QueryOp::Fundamentals,
            size: Some(64),
            buffer: true,
            fresh: false,
            flags: 0,
            overlapped: None,
        };
        // The one query of no data; the path's estimate is now partial.
        let r = m.apply(Call::QueryFlow(query));
        assert_eq!(r.map_err(|e| e.code), Err(Win32Error::ERROR_NO_DATA));
        assert!(m.check_invariants_incremental().is_err());
    }

    /// Tracking a client (STA-4) starts measuring its path: a step that logs only the handle
    /// moves that path's phase (at once, with no warm-up), and every marking is re-checked.
    #[test]
    fn tracking_a_client_that_starts_a_measurement_re_checks_every_marking() {
        let mut m = Model::new(testing::no_warm_up(), 1);
        let h = testing::handle(&mut m);
        // Non-adaptive: the path toward the peer is not measured yet.
        let id = testing::new_flow(&mut m, h, true);
        corrupt_route_unlogged(&mut m, id);
        let track = call::Tracking {
            handle: h,
            client: Some(testing::peer()),
            flags: 0,
        };
        assert_eq!(m.apply(Call::StartTrackingClient(track)), Ok(CallOutput::None));
        assert!(m.check_invariants_incremental().is_err());
    }

    /// In a world whose only path is the off-link one, the first adaptive flow starts measuring
    /// it: that one path's phase moves, and every marking is re-checked.
    #[test]
    fn the_only_paths_measurement_starting_re_checks_every_marking() {
        let mut m = Model::new(
            World {
                peers: Vec::new(),
                ..testing::no_warm_up()
            },
            1,
        );
        assert_eq!(m.paths.len(), 1);
        let h = testing::handle(&mut m);
        let (s1, s2) = (m.socket(2, 2, 17).unwrap(), m.socket(2, 2, 17).unwrap());
        let offlink = crate::model::SockAddrIn::from(
            "203.0.113.7:5004"
                .parse::<std::net::SocketAddr>()
                .expect("address"),
        );
        let other = testing::add_flow_to(&mut m, h, s1, offlink, true);
        corrupt_route_unlogged(&mut m, other);
        testing::add_flow_to(&mut m, h, s2, offlink, false);
        assert!(m.check_invariants_incremental().is_err());
    }

    /// A fault makes every cached route stale (a new topology epoch) without touching a flow:
    /// every marking is re-checked, and a flow whose DSCP override was corrupted unlogged is
    /// seen.
    #[test]
    fn a_fault_re_checks_every_marking() {
        let mut m = Model::new(World::default(), 1);
        let h = testing::handle(&mut m);
        let id = testing::new_flow(&mut m, h, true);
        corrupt_unlogged(&mut m, id, |f| f.custom_dscp = Some(64));
        let epoch = m.topology_epoch();
        m.inject(crate::model::Fault::RouteLost(
            "10.0.0.0/8".parse().expect("prefix"),
        ));
        assert_eq!(m.topology_epoch(), epoch + 1);
        assert!(m.check_invariants_incremental().is_err());
    }

    /// A path's waiters are checked at every step that touched a request: a finished request
    /// left among them is seen when the next request is made.
    #[test]
    fn a_finished_request_left_among_a_paths_waiters_is_seen_at_the_next_request() {
        let mut m = Model::new(World::default(), 1);
        let h = testing::handle(&mut m);
        let id = testing::new_flow(&mut m, h, false);
        assert_eq!(m.check_invariants_incremental(), Ok(()));
        let path = m.flows.get(&id).expect("flow").path as usize;
        m.paths[path].waiters.push(12_345);
        assert!(m.check_invariants().is_err(), "the full check sees it");
        testing::notify_congested(&mut m, h, id);
        assert!(m.check_invariants_incremental().is_err());
    }
}

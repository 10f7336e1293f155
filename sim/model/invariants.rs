//! The model's invariants, checked after every step in tests and fuzzing.

use std::collections::BTreeMap;

use rustc_hash::FxHashSet;

use super::event::{CallOutput, CallResult};
use super::flow::{self, Owner, Shaping};
use super::{Handle, HandleState, Model, ReqKind, Route, VirtualTime, Win32Error};
use crate::call::Call;
use crate::tag::HandleIndex;

/// A broken invariant: which, and what was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation(pub String);

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invariant violated: {}", self.0)
    }
}

impl std::error::Error for Violation {}

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)*) => {
        if !$cond {
            return Err(Violation(format!($($fmt)*)));
        }
    };
}

/// What the flows add up to, checked against the counters kept elsewhere.
#[derive(Default)]
struct FlowTotals {
    /// Socket value → flows holding it.
    socket_refs: BTreeMap<u64, u32>,
    /// Path index → bandwidth its flows hold.
    held: Vec<u64>,
    /// Adaptive flows asking for prioritisation (SET-7d).
    prioritised: u32,
}

impl Model {
    /// Checks every invariant of the state; `Err` names the first broken one.
    pub fn check_invariants(&self) -> Result<(), Violation> {
        let listed = self.check_handles()?;
        self.check_socket_values()?;
        let totals = self.check_flows(&listed)?;
        self.check_socket_refs(&totals.socket_refs)?;
        self.check_paths(&totals.held)?;
        ensure!(
            totals.prioritised == self.adaptive_marked_count(),
            "prioritised adaptive flows {} != counter {}",
            totals.prioritised,
            self.adaptive_marked_count()
        );
        self.check_requests()?;
        if let Some((ip, via, epoch, route)) = self.last_route {
            ensure!(
                epoch != self.topology_epoch() || self.route_via(ip, via) == route,
                "the last new flow's route to {ip} (via {via:?}) is remembered as {route:?}, but it is {:?}",
                self.route_via(ip, via)
            );
        }
        if let Some(t) = self.next_event_time() {
            ensure!(
                t >= self.now(),
                "an event is scheduled in the past ({t} < {})",
                self.now()
            );
        }
        Ok(())
    }

    /// Handle values, states and flow lists; returns the flows the handles list.
    fn check_handles(&self) -> Result<FxHashSet<u32>, Violation> {
        // Membership only (never iterated), so a hash set is fine.
        let mut listed = FxHashSet::default();
        for (i, h) in self.handles.indexed() {
            self.check_handle(i, h)?;
            for (pos, id) in h.flows.iter().enumerate() {
                let f = self.flows.get(id);
                ensure!(f.is_some(), "handle {:#x} lists dead flow {id}", h.value);
                let f = f.expect("checked");
                ensure!(
                    f.owner == Owner::Handle(i),
                    "flow {id} listed by a handle that does not own it"
                );
                ensure!(f.pos as usize == pos, "flow {id} position {} != {pos}", f.pos);
                ensure!(listed.insert(*id), "flow {id} listed twice");
            }
        }
        Ok(listed)
    }

    /// One handle's value and state, and the clients it tracks (its flow list is checked by
    /// the caller).
    pub(super) fn check_handle(&self, i: HandleIndex, h: &Handle) -> Result<(), Violation> {
        {
            ensure!(
                h.value == i.value().get(),
                "handle {} has value {:#x}",
                i.get(),
                h.value
            );
            if h.state != HandleState::Open {
                ensure!(
                    h.flows.is_empty(),
                    "closed or stale handle {:#x} still owns flows",
                    h.value
                );
                ensure!(
                    h.pending.is_empty(),
                    "closed or stale handle {:#x} has pending requests",
                    h.value
                );
                ensure!(
                    h.tracked.is_empty(),
                    "closed or stale handle {:#x} still tracks clients",
                    h.value
                );
            }
            ensure!(
                h.tracked.windows(2).all(|w| w[0] < w[1]),
                "tracked clients of {:#x} not sorted/unique",
                h.value
            );
        }
        Ok(())
    }

    fn check_socket_values(&self) -> Result<(), Violation> {
        for (i, s) in self.sockets.iter().enumerate() {
            ensure!(
                s.raw == crate::tag::SOCKET.value(i),
                "socket {i} has value {:#x} (ids unique and non-zero)",
                s.raw
            );
        }
        Ok(())
    }

    /// Every flow on its own, adding up what the counters elsewhere must match.
    fn check_flows(&self, listed: &FxHashSet<u32>) -> Result<FlowTotals, Violation> {
        let any_prioritised = self.flows.values().any(|f| f.prioritised());
        let mut totals = FlowTotals {
            held: vec![0; self.paths.len()],
            ..FlowTotals::default()
        };
        for (id, f) in &self.flows {
            self.check_flow(*id, f, Some(listed))?;
            for &s in f.sockets.as_slice() {
                *totals.socket_refs.entry(s).or_default() += 1;
            }
            if let Some(slot) = totals.held.get_mut(f.path as usize) {
                *slot += f.held_bps;
            }
            if f.prioritised() {
                totals.prioritised += 1;
            }
            self.check_flow_marking(f, any_prioritised)?;
            self.check_notify_slots(*id, f)?;
        }
        Ok(totals)
    }

    /// A flow's id, owner, sockets and DSCP override. Its handle lists it: it is in `listed`, the
    /// flows the handles list, if given, else at its position in its handle's list.
    pub(super) fn check_flow(
        &self,
        id: u32,
        f: &flow::Flow,
        listed: Option<&FxHashSet<u32>>,
    ) -> Result<(), Violation> {
        ensure!(id != 0 && f.id == id, "flow id {id} / {}", f.id);
        match f.owner {
            Owner::Handle(h) => {
                let hs = self.handles.get(h);
                ensure!(
                    hs.is_some_and(|h| h.state == HandleState::Open),
                    "flow {id} belongs to a handle that is not open"
                );
                let is_listed = match listed {
                    Some(listed) => listed.contains(&id),
                    None => hs.is_some_and(|h| h.flows.get(f.pos as usize) == Some(&id)),
                };
                ensure!(is_listed, "flow {id} missing from its handle's list");
                ensure!(!f.sockets.is_empty(), "flow {id} has no socket");
            }
            Owner::Foreign => ensure!(f.sockets.is_empty(), "foreign flow {id} holds sockets"),
        }
        ensure!(
            f.adaptive || f.held_bps == 0,
            "non-adaptive flow {id} holds admission bandwidth"
        );
        ensure!(
            !f.adaptive || f.sockets.len() <= 1,
            "adaptive flow {id} has {} sockets (ADD-17)",
            f.sockets.len()
        );
        // (`> 1` → `>= 1` is an equivalent mutant: one socket is never listed twice.)
        if f.sockets.len() > 1 {
            let mut uniq = f.sockets.as_slice().to_vec();
            uniq.sort_unstable();
            uniq.dedup();
            ensure!(uniq.len() == f.sockets.len(), "flow {id} lists a socket twice");
        }
        ensure!(
            f.custom_dscp.is_none_or(|d| d <= 63),
            "flow {id} custom DSCP out of range"
        );
        ensure!(
            f.custom_dscp.is_none() || !f.adaptive,
            "adaptive flow {id} has a DSCP override (SET-7b)"
        );
        Ok(())
    }

    /// The markings a flow reports: in range, and as the TT table says.
    pub(super) fn check_flow_marking(&self, f: &flow::Flow, any_prioritised: bool) -> Result<(), Violation> {
        let id = f.id;
        let cx = self.marking_context(f);
        let m = flow::marking(f, &cx);
        ensure!(
            m.conformant_dscp <= 63 && m.non_conformant_dscp <= 63,
            "flow {id} DSCP out of range"
        );
        ensure!(
            m.conformant_l2 <= 7 && m.non_conformant_l2 <= 7,
            "flow {id} 802.1p out of range"
        );
        ensure!(
            m.conformant_l2 == 0 || f.adaptive,
            "non-adaptive flow {id} gets 802.1p (TT-1)"
        );
        if !flow::marking_active(f, &cx) {
            ensure!(
                m == flow::Marking::default(),
                "unmarked flow {id} reports markings"
            );
        }
        self.check_marking_table(f, m, any_prioritised)
    }

    /// Each pending notification a flow remembers is live and of its operation (NOT-8).
    pub(super) fn check_notify_slots(&self, id: u32, f: &flow::Flow) -> Result<(), Violation> {
        for (op, slot) in f.notify.iter().enumerate() {
            if let Some(r) = slot {
                let req = self.requests.get(&r.get());
                ensure!(
                    req.is_some_and(
                        |q| q.flow == id && matches!(q.kind, ReqKind::Notify(n) if n.index() == op)
                    ),
                    "flow {id} notify slot {op} points at a stale request"
                );
            }
        }
        Ok(())
    }

    /// Each socket counts exactly the flows that hold it.
    fn check_socket_refs(&self, socket_refs: &BTreeMap<u64, u32>) -> Result<(), Violation> {
        for (raw, n) in socket_refs {
            let s = self.socket_info(*raw);
            ensure!(s.is_some(), "flow holds unknown socket {raw:#x}");
            ensure!(
                s.expect("checked").flow_refs == *n,
                "socket {raw:#x} refcount {} != {n}",
                s.expect("checked").flow_refs
            );
            if self.world().settings.reject_socket_in_two_flows {
                ensure!(
                    *n <= 1,
                    "socket {raw:#x} in {n} flows while the world forbids it (AMB-30)"
                );
            }
        }
        for s in self.sockets.iter().chain(self.external.values()) {
            if !socket_refs.contains_key(&s.raw) {
                ensure!(
                    s.flow_refs == 0,
                    "socket {:#x} counts {} flows but none holds it",
                    s.raw,
                    s.flow_refs
                );
            }
        }
        Ok(())
    }

    /// Each path's budget is what its flows hold; its waiters are live.
    fn check_paths(&self, held: &[u64]) -> Result<(), Violation> {
        for (i, p) in self.paths.iter().enumerate() {
            ensure!(
                p.admitted_bps == held[i],
                "path {i} budget {} != flows' {}",
                p.admitted_bps,
                held[i]
            );
            for w in &p.waiters {
                ensure!(
                    self.requests.contains_key(w),
                    "path {i} waits on a finished request {w}"
                );
            }
        }
        Ok(())
    }

    /// Pending requests and the handles that list them agree.
    fn check_requests(&self) -> Result<(), Violation> {
        let mut per_flow: BTreeMap<u32, u32> = BTreeMap::new();
        for (id, r) in &self.requests {
            *per_flow.entry(r.flow).or_default() += 1;
            ensure!(*id != 0 && r.id == *id, "request id {id} / {}", r.id);
            let h = self.handles.get(r.handle);
            ensure!(
                h.is_some_and(|h| h.state == HandleState::Open),
                "request {id} outlives its handle"
            );
            ensure!(
                h.expect("checked").pending.get(&r.key) == Some(id),
                "request {id} missing from its handle"
            );
            ensure!(
                self.flows
                    .get(&r.flow)
                    .is_some_and(|f| f.owner == Owner::Handle(r.handle)
                    // QRY-16, GEN-7: another handle's or process's flow may be queried.
                    || matches!(r.kind, ReqKind::Query { .. })),
                "request {id} outlives its flow"
            );
        }
        for (id, f) in &self.flows {
            let n = per_flow.get(id).copied().unwrap_or(0);
            ensure!(
                f.requests == n,
                "flow {id} counts {} pending requests, but {n} are pending on it",
                f.requests
            );
        }
        for h in self.handles.as_slice() {
            for r in h.pending.values() {
                ensure!(
                    self.requests.contains_key(r),
                    "handle {:#x} lists a finished request",
                    h.value
                );
            }
        }
        Ok(())
    }
}

impl Model {
    /// TT table, TT-1, TT-3, TT-4, SET-6b, SET-7d, AMB-9, AMB-25, AMB-27, AMB-34: the marking
    /// `m` the model reports for `f`, re-derived from the flow's fields, the route and the
    /// policy without going through [`flow::marking`].
    fn check_marking_table(
        &self,
        f: &flow::Flow,
        m: flow::Marking,
        any_prioritised: bool,
    ) -> Result<(), Violation> {
        let id = f.id;
        // Not the cache: checked against it here (by the flow's pinned interface, if any).
        let route = self.flow_dest_route_now(f);
        ensure!(
            f.route_epoch != self.topology_epoch() || f.route == route,
            "flow {id} caches the route {:?} but its destination's route is {route:?}",
            f.route
        );
        let policy = &self.world().policy;
        let unmarked = matches!(route, Route::Loopback)
            || f.rate.is_some_and(|r| r.bandwidth_bps == 0)
            || (f.adaptive && !f.admitted)
            || (!f.adaptive && policy.rate_required_for_marking && f.rate.is_none())
            || (f.rate.is_some_and(|r| r.shaping == Shaping::ShapeOnly)
                && !self.world().settings.shape_only_marks);
        if unmarked {
            ensure!(
                m == flow::Marking::default(),
                "flow {id} should be unmarked (loopback, zero rate, unadmitted or shape-only) but reports {m:?}"
            );
            return Ok(());
        }
        let table = policy
            .dscp_policy
            .map(|d| d.min(63))
            .unwrap_or(f.traffic_type.dscp());
        let want_dscp = match f.custom_dscp {
            Some(d) if !any_prioritised => d,
            _ => table,
        };
        ensure!(
            m.conformant_dscp == u32::from(want_dscp),
            "flow {id} ({:?}, override {:?}, policy {:?}) marks DSCP {} instead of {want_dscp}",
            f.traffic_type,
            f.custom_dscp,
            policy.dscp_policy,
            m.conformant_dscp
        );
        ensure!(
            m.non_conformant_dscp == 0 && m.non_conformant_l2 == 0,
            "flow {id} reports non-conformant markings {m:?} (AMB-34)"
        );
        ensure!(
            m.conformant_l2 == 0 || m.conformant_l2 == u32::from(f.traffic_type.l2()),
            "flow {id} ({:?}) tags 802.1p {} (TT table)",
            f.traffic_type,
            m.conformant_l2
        );
        ensure!(
            m.conformant_l2 == 0 || (f.adaptive && matches!(route, Route::OnLink { known: true, .. })),
            "flow {id} gets 802.1p {} although it is not adaptive toward a known on-link peer (TT-1)",
            m.conformant_l2
        );
        Ok(())
    }
}

/// Checks the model after every step of a run, remembering what a single look at the state
/// cannot know: the previous virtual time (it never goes back) and each handle's previous
/// state (Open → Stale → Dead only, never back), and, around a call, what the handle was
/// before it (a stale handle accepts only `QOSCloseHandle`, GEN-8; a dead one nothing, GEN-6).
///
/// Use: `observe` after construction and after every step; before a call, `settle()` the
/// model and `observe` it, then pass the call's arguments and result to `check_call`.
#[derive(Clone, Debug, Default)]
pub struct InvariantChecker {
    last_now: Option<VirtualTime>,
    states: Vec<(u64, HandleState)>,
    steps: u64,
}

impl InvariantChecker {
    /// A checker that has seen nothing yet.
    pub fn new() -> InvariantChecker {
        InvariantChecker::default()
    }

    /// How many times [`observe`](Self::observe) succeeded.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Checks [`Model::check_invariants`] plus the invariants across steps.
    pub fn observe(&mut self, m: &Model) -> Result<(), Violation> {
        m.check_invariants()?;
        if let Some(t) = self.last_now {
            ensure!(m.now() >= t, "virtual time went back from {t} to {}", m.now());
        }
        let hs = m.handles();
        ensure!(
            hs.len() >= self.states.len(),
            "handles disappeared: {} before, {} now",
            self.states.len(),
            hs.len()
        );
        for (i, (value, before)) in self.states.iter().enumerate() {
            let h = &hs[i];
            ensure!(h.value == *value, "handle {i} changed value");
            let legal = *before == h.state
                || matches!(
                    (before, h.state),
                    (HandleState::Open, HandleState::Stale)
                        | (HandleState::Open, HandleState::Dead)
                        | (HandleState::Stale, HandleState::Dead)
                );
            ensure!(
                legal,
                "handle {value:#x} went from {before:?} to {:?} (only Open → Stale → Dead)",
                h.state
            );
        }
        self.states = hs.iter().map(|h| (h.value, h.state)).collect();
        self.last_now = Some(m.now());
        self.steps += 1;
        Ok(())
    }

    /// Checks the result of one call against the handle states seen by the last
    /// [`observe`](Self::observe) (made right before the call, after `settle()`).
    pub fn check_call(&self, call: &Call, result: &CallResult) -> Result<(), Violation> {
        let func = call.func().win32_name();
        let code = result.as_ref().err().map(|e| e.code);
        // AMB-40: a power transition may pre-empt every other answer.
        if matches!(
            code,
            Some(
                Win32Error::ERROR_SYSTEM_POWERSTATE_TRANSITION
                    | Win32Error::ERROR_SYSTEM_POWERSTATE_COMPLEX_TRANSITION
            )
        ) {
            return Ok(());
        }
        let overlapped = call.overlapped().is_some();
        ensure!(
            code != Some(Win32Error::ERROR_IO_PENDING) || overlapped,
            "{func} returned ERROR_IO_PENDING without an OVERLAPPED (GEN-3, GEN-4)"
        );
        if let Err(e) = result {
            ensure!(
                (e.code == Win32Error::ERROR_INSUFFICIENT_BUFFER) == e.size.is_some(),
                "{func} failed with {} and *Size {:?} (only 122 writes *Size)",
                e.code,
                e.size
            );
            ensure!(
                e.code != Win32Error::ERROR_SUCCESS,
                "{func} failed with ERROR_SUCCESS"
            );
        }
        let handle = call.handle().copied();
        let is_close = matches!(call, Call::CloseHandle(_));
        if let Some(h) = handle {
            let state = self.states.iter().find(|(v, _)| *v == h).map(|(_, s)| *s);
            match state {
                None | Some(HandleState::Dead) => ensure!(
                    code == Some(Win32Error::ERROR_INVALID_HANDLE),
                    "{func} on a closed, dead or never-issued handle {h:#x} gave {result:?} (GEN-6, CLO-8)"
                ),
                Some(HandleState::Stale) if is_close => ensure!(
                    result.is_ok(),
                    "QOSCloseHandle on a stale handle {h:#x} gave {result:?} (GEN-8)"
                ),
                Some(HandleState::Stale) => ensure!(
                    code == Some(Win32Error::ERROR_DEVICE_REINITIALIZATION_NEEDED),
                    "{func} on a stale handle {h:#x} gave {result:?}: a stale handle accepts only close (GEN-8)"
                ),
                // An injected failure (GEN-11) may report any code, so nothing more to say.
                Some(HandleState::Open) => {}
            }
        }
        match result {
            Ok(CallOutput::Handle(v)) => ensure!(
                matches!(call, Call::CreateHandle(_)) && !self.states.iter().any(|(old, _)| old == v),
                "{func} handed out the handle {v:#x} twice or not from QOSCreateHandle"
            ),
            Ok(CallOutput::Flow(id)) => ensure!(
                *id != 0 && matches!(call, Call::AddSocketToFlow(_)),
                "{func} returned flow id {id} (ADD-8)"
            ),
            Ok(CallOutput::Flows(ids)) => ensure!(
                ids.windows(2).all(|w| w[0] < w[1]) && !ids.contains(&0),
                "QOSEnumerateFlows listed {ids:?}: ids must be unique and non-zero"
            ),
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::call::{self, Call};
    use crate::model::flow::{Owner, Sockets};
    use crate::model::{
        testing, CallOutput, Family, HandleState, Model, Route, Scheduled, VirtualTime, Win32Error, World,
    };
    use crate::tag::{HandleIndex, HandleValue};
    use std::num::NonZeroU64;

    /// Regression: a flow removed while its `QOSNotifyFlow` was pending left the request id in
    /// its path's waiters ("path 1 waits on a finished request").
    #[test]
    fn removing_a_flow_with_a_pending_notification_leaves_no_stale_waiter() {
        let mut m = Model::new(World::default(), 1);
        let h = testing::handle(&mut m);
        let id = testing::new_flow(&mut m, h, false);
        testing::notify_congested(&mut m, h, id);
        assert!(m.paths.iter().any(|p| !p.waiters.is_empty()));
        let remove = call::RemoveSocketFromFlow {
            handle: h,
            socket: 0,
            flow: id,
            flags: 0,
        };
        assert_eq!(m.apply(Call::RemoveSocketFromFlow(remove)), Ok(CallOutput::None));
        assert!(m.paths.iter().all(|p| p.waiters.is_empty()));
        assert_eq!(m.check_invariants(), Ok(()));
    }

    /// The cross-step checker counts the steps it passed.
    #[test]
    fn the_checker_counts_its_steps() {
        let mut m = Model::new(World::default(), 1);
        let mut c = super::InvariantChecker::new();
        assert_eq!(c.steps(), 0);
        c.observe(&m).expect("first step");
        m.socket(2, 2, 17).expect("socket");
        c.observe(&m).expect("second step");
        assert_eq!(c.steps(), 2);
    }

    /// A socket value that is not its slot's is a violation of the full check. (The
    /// incremental check looks at a socket's value when the socket is created: values never
    /// change.)
    #[test]
    fn a_socket_value_that_is_not_its_slots_is_a_violation() {
        let mut m = Model::new(World::default(), 1);
        let s = m.socket(2, 2, 17).expect("socket");
        m.socket(2, 2, 17).expect("socket");
        assert_eq!(m.check_invariants(), Ok(()));
        m.sockets[1].raw = s;
        assert!(m.check_invariants().is_err(), "two sockets with one value");
        m.sockets[1].raw = crate::tag::SOCKET.value(1);
        assert_eq!(m.check_invariants(), Ok(()));
    }

    fn index(m: &Model, value: u64) -> HandleIndex {
        m.handles.find(HandleValue(value)).expect("a handle")
    }

    /// A violation reads as what it is: "invariant violated: " and the broken invariant.
    #[test]
    fn a_violation_names_the_broken_invariant() {
        let (mut m, _) = rich_model();
        m.paths[0].admitted_bps += 1;
        let e = m.check_invariants().expect_err("a broken budget");
        assert!(
            e.to_string().starts_with("invariant violated: path 0 budget"),
            "{e}"
        );
    }

    /// `check_call` refuses results no call can give: a handle handed out twice, flow id 0, an
    /// enumeration that is not sorted and unique, a failure with ERROR_SUCCESS, 122 without
    /// `*Size`, and ERROR_IO_PENDING from a call without an OVERLAPPED.
    #[test]
    fn check_call_refuses_impossible_results() {
        use crate::model::{CallError, CallResult};
        let mut m = Model::new(World::default(), 1);
        let h = testing::handle(&mut m);
        let s = m.socket(2, 2, 17).expect("socket");
        let mut c = super::InvariantChecker::new();
        c.observe(&m).expect("clean");
        let create = Call::CreateHandle(call::CreateHandle {
            handle: (),
            version: Some((1, 0)),
            out: true,
        });
        let add = Call::AddSocketToFlow(call::AddSocketToFlow {
            handle: h,
            socket: s,
            dest: Some(testing::peer()),
            traffic_type: call::TrafficArg::AudioVideo,
            non_adaptive: true,
            flags: 0,
            flow: Some(0),
        });
        let enumerate = Call::EnumerateFlows(call::EnumerateFlows {
            handle: h,
            size: Some(64),
            buffer: true,
        });
        let fail = |code, size| -> CallResult { Err(CallError { code, size }) };
        let cases: Vec<(&Call, CallResult, bool)> = vec![
            (&create, Ok(CallOutput::Handle(h + 4)), true),
            (&create, Ok(CallOutput::Handle(h)), false),
            (&add, Ok(CallOutput::Handle(h + 4)), false),
            (&add, Ok(CallOutput::Flow(3)), true),
            (&add, Ok(CallOutput::Flow(0)), false),
            (&enumerate, Ok(CallOutput::Flows(vec![1, 3])), true),
            (&enumerate, Ok(CallOutput::Flows(vec![3, 1])), false),
            (&enumerate, Ok(CallOutput::Flows(vec![0, 3])), false),
            (
                &enumerate,
                fail(Win32Error::ERROR_INSUFFICIENT_BUFFER, Some(8)),
                true,
            ),
            (
                &enumerate,
                fail(Win32Error::ERROR_INSUFFICIENT_BUFFER, None),
                false,
            ),
            (&enumerate, fail(Win32Error::ERROR_SUCCESS, None), false),
            (&add, fail(Win32Error::ERROR_IO_PENDING, None), false),
        ];
        for (call, result, ok) in cases {
            assert_eq!(c.check_call(call, &result).is_ok(), ok, "{call:?} → {result:?}");
        }
    }

    /// What [`rich_model`] made: its handles and flows.
    struct Rich {
        h: u64,
        idle: u64,
        adaptive: u32,
        shared: u32,
    }

    /// A model with a bit of everything the invariants relate: two handles, an admitted
    /// (prioritised) adaptive flow with a pending notification, a non-adaptive flow holding two
    /// sockets, a spare socket, and time past zero. Both checks pass on it, and the incremental
    /// check has taken its first (whole) look.
    fn rich_model() -> (Model, Rich) {
        let mut m = Model::new(testing::no_warm_up(), 1);
        let h = testing::handle(&mut m);
        let idle = testing::handle(&mut m);
        let s: Vec<u64> = (0..4).map(|_| m.socket(2, 2, 17).expect("socket")).collect();
        let adaptive = testing::add_flow(&mut m, h, s[0], false);
        testing::set_rate(&mut m, h, adaptive, 100_000);
        let shared = testing::add_flow(&mut m, h, s[1], true);
        let join = call::AddSocketToFlow {
            handle: h,
            socket: s[2],
            dest: Some(testing::peer()),
            traffic_type: call::TrafficArg::AudioVideo,
            non_adaptive: true,
            flags: 0,
            flow: Some(shared),
        };
        assert_eq!(m.apply(Call::AddSocketToFlow(join)), Ok(CallOutput::Flow(shared)));
        testing::notify_congested(&mut m, h, adaptive);
        m.advance_us(5_000);
        assert_eq!(m.check_invariants(), Ok(()));
        assert_eq!(m.check_invariants_incremental(), Ok(()));
        assert!(m.flows.get(&adaptive).expect("flow").held_bps > 0);
        assert_eq!(m.adaptive_marked_count(), 1);
        (
            m,
            Rich {
                h,
                idle,
                adaptive,
                shared,
            },
        )
    }

    /// Every invariant the checks state is broken once, behind the model's back but through
    /// the accessors that log the change (as a model bug would): the full check, the
    /// incremental check and `check_invariants_both` (what the rule tests run) each report a
    /// violation, each on its own copy of the same state.
    #[test]
    fn each_broken_invariant_is_reported_by_both_checks() {
        type Corrupt = fn(&mut Model, &Rich);
        let cases: Vec<(&str, Corrupt)> = vec![
            ("a handle's value", |m, r| {
                let i = index(m, r.idle);
                m.handles[i].value ^= 0x10;
            }),
            ("a dead handle owning flows", |m, r| {
                let i = index(m, r.h);
                m.handles[i].state = HandleState::Dead;
            }),
            ("a closed handle tracking a client", |m, r| {
                let i = index(m, r.idle);
                m.handles[i].state = HandleState::Dead;
                m.handles[i]
                    .tracked
                    .push((Family::V4, "192.168.1.20".parse().expect("an address")));
            }),
            ("a client tracked twice", |m, r| {
                let i = index(m, r.idle);
                let c = (Family::V4, "192.168.1.20".parse().expect("an address"));
                m.handles[i].tracked.extend([c, c]);
            }),
            ("a flow at the wrong position of its handle's list", |m, r| {
                m.flows.get_mut(&r.shared).expect("flow").pos = 0;
            }),
            ("a flow owned by a handle that does not list it", |m, r| {
                let i = index(m, r.idle);
                m.flows.get_mut(&r.shared).expect("flow").owner = Owner::Handle(i);
            }),
            (
                "a flow moved to another handle's list but still listed by its own",
                |m, r| {
                    let i = index(m, r.idle);
                    let id = r.shared;
                    m.handles[i].flows.push(id);
                    let f = m.flows.get_mut(&id).expect("flow");
                    (f.owner, f.pos) = (Owner::Handle(i), 0);
                },
            ),
            ("a flow listed twice", |m, r| {
                let i = index(m, r.h);
                let id = r.shared;
                m.handles[i].flows.push(id);
            }),
            ("a non-adaptive flow holding admitted bandwidth", |m, r| {
                m.flows.get_mut(&r.shared).expect("flow").held_bps = 1;
                let path = m.flows.get(&r.shared).expect("flow").path as usize;
                m.paths[path].admitted_bps += 1;
            }),
            (
                "a socket listed twice by one flow (its count kept in step)",
                |m, r| {
                    let f = m.flows.get_mut(&r.shared).expect("flow");
                    let (a, b) = (f.sockets.as_slice()[0], f.sockets.as_slice()[1]);
                    f.sockets = Sockets::Many(vec![a, a]);
                    m.socket_mut(a).expect("socket").flow_refs += 1;
                    m.socket_mut(b).expect("socket").flow_refs -= 1;
                },
            ),
            ("an adaptive flow with two sockets", |m, r| {
                let s = m.flows.get(&r.shared).expect("flow").sockets.as_slice().to_vec();
                m.flows.get_mut(&r.adaptive).expect("flow").sockets = Sockets::Many(s);
            }),
            ("a handle changed in a wholesale pass (iter_mut)", |m, r| {
                let value = r.idle;
                for h in m.handles.iter_mut().filter(|h| h.value == value) {
                    h.value ^= 0x10;
                }
            }),
            ("a flow changed in a wholesale pass (values_mut)", |m, r| {
                let id = r.shared;
                for f in m.flows.values_mut().filter(|f| f.id == id) {
                    f.route = Route::Loopback;
                }
            }),
            ("a socket counting a flow too many", |m, r| {
                let s = m.flows.get(&r.shared).expect("flow").sockets.as_slice()[0];
                m.socket_mut(s).expect("socket").flow_refs += 1;
            }),
            ("a notify slot naming no request of its flow", |m, r| {
                m.flows.get_mut(&r.shared).expect("flow").notify[0] = NonZeroU64::new(12_345);
            }),
            ("a DSCP override above 63", |m, r| {
                m.flows.get_mut(&r.shared).expect("flow").custom_dscp = Some(64);
            }),
            ("an adaptive flow with a DSCP override (SET-7b)", |m, r| {
                m.flows.get_mut(&r.adaptive).expect("flow").custom_dscp = Some(46);
            }),
            ("a flow whose cached route is not its destination's", |m, r| {
                m.flows.get_mut(&r.shared).expect("flow").route = Route::Loopback;
            }),
            ("a path budget that is not what its flows hold", |m, _| {
                m.paths[0].admitted_bps += 1_000;
            }),
            ("a path waiting on a finished request", |m, _| {
                let r = m.next_request + 100;
                m.paths[0].waiters.push(r);
                m.touched_requests.touch(r);
            }),
            ("a request under another id", |m, _| {
                let id = *m.requests.keys().next().expect("a pending request");
                m.requests.get_mut(&id).expect("request").id = id + 1;
                m.touched_requests.touch(id);
            }),
            ("a request its handle does not list", |m, r| {
                let i = index(m, r.h);
                m.handles[i].pending.clear();
            }),
            ("a handle listing a finished request", |m, r| {
                let i = index(m, r.idle);
                let key = m.requests.values().next().expect("request").key;
                let gone = m.next_request + 100;
                m.handles[i].pending.insert(key, gone);
            }),
            ("a flow counting a request too many", |m, r| {
                m.flows.get_mut(&r.adaptive).expect("flow").requests += 1;
            }),
            ("a prioritised flow the counter misses", |m, _| {
                m.adaptive_marked -= 1;
            }),
            ("a remembered route that is not the route", |m, _| {
                let (ip, via, epoch, _) = m.last_route.expect("a remembered route");
                m.last_route = Some((ip, via, epoch, Route::Loopback));
            }),
            ("an event scheduled in the past", |m, _| {
                m.schedule(VirtualTime::ZERO, Scheduled::Toggle(0));
            }),
        ];
        let (base, r) = rich_model();
        for (what, corrupt) in cases {
            let mut m = base.clone();
            corrupt(&mut m, &r);
            assert!(m.check_invariants().is_err(), "the full check misses {what}");
            assert!(
                m.clone().check_invariants_both().is_err(),
                "what the rule tests run misses {what}"
            );
            assert!(
                m.check_invariants_incremental().is_err(),
                "the incremental check misses {what}"
            );
        }
    }
}

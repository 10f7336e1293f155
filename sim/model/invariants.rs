//! The model's invariants, checked after every step in tests and fuzzing.

use rustc_hash::FxHashSet;

use super::flow::{self, Owner};
use super::{HandleState, Model, ReqKind};

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

impl Model {
    /// Checks every invariant of the state; `Err` names the first broken one.
    pub fn check_invariants(&self) -> Result<(), Violation> {
        // Membership only (never iterated), so a hash set is fine.
        let mut seen_in_handles = FxHashSet::default();
        for (i, h) in self.handles.iter().enumerate() {
            ensure!(
                h.value == super::HANDLE_TAG | (i as u64 + 1),
                "handle {i} has value {:#x}",
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
            for (pos, id) in h.flows.iter().enumerate() {
                let f = self.flows.get(id);
                ensure!(f.is_some(), "handle {:#x} lists dead flow {id}", h.value);
                let f = f.expect("checked");
                ensure!(
                    f.owner == Owner::Handle(i as u32),
                    "flow {id} listed by a handle that does not own it"
                );
                ensure!(f.pos as usize == pos, "flow {id} position {} != {pos}", f.pos);
                ensure!(seen_in_handles.insert(*id), "flow {id} listed twice");
            }
            ensure!(
                h.tracked.windows(2).all(|w| w[0] < w[1]),
                "tracked clients of {:#x} not sorted/unique",
                h.value
            );
        }
        let mut socket_refs: std::collections::BTreeMap<u64, u32> = Default::default();
        let mut held: Vec<u64> = vec![0; self.paths.len()];
        let mut prioritised = 0u32;
        for (id, f) in &self.flows {
            ensure!(*id != 0 && f.id == *id, "flow id {id} / {}", f.id);
            match f.owner {
                Owner::Handle(h) => {
                    let hs = self.handles.get(h as usize);
                    ensure!(
                        hs.is_some_and(|h| h.state == HandleState::Open),
                        "flow {id} belongs to a handle that is not open"
                    );
                    ensure!(
                        seen_in_handles.contains(id),
                        "flow {id} missing from its handle's list"
                    );
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
            if f.sockets.len() > 1 {
                let mut uniq = f.sockets.as_slice().to_vec();
                uniq.sort_unstable();
                uniq.dedup();
                ensure!(uniq.len() == f.sockets.len(), "flow {id} lists a socket twice");
            }
            for &s in f.sockets.as_slice() {
                *socket_refs.entry(s).or_default() += 1;
            }
            ensure!(
                f.custom_dscp.is_none_or(|d| d <= 63),
                "flow {id} custom DSCP out of range"
            );
            ensure!(
                f.custom_dscp.is_none() || !f.adaptive,
                "adaptive flow {id} has a DSCP override (SET-7b)"
            );
            if let Some(slot) = held.get_mut(f.path as usize) {
                *slot += f.held_bps;
            }
            if f.prioritised() {
                prioritised += 1;
            }
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
            for (op, slot) in f.notify.iter().enumerate() {
                if let Some(r) = slot {
                    let req = self.requests.get(&r.get());
                    ensure!(
                        req.is_some_and(
                            |q| q.flow == *id && matches!(q.kind, ReqKind::Notify(n) if n.index() == op)
                        ),
                        "flow {id} notify slot {op} points at a stale request"
                    );
                }
            }
        }
        for (raw, n) in &socket_refs {
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
        ensure!(
            prioritised == self.adaptive_marked_count(),
            "prioritised adaptive flows {prioritised} != counter {}",
            self.adaptive_marked_count()
        );
        for (id, r) in &self.requests {
            let h = self.handles.get(r.handle as usize);
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
                    .is_some_and(|f| f.owner == Owner::Handle(r.handle)),
                "request {id} outlives its flow"
            );
        }
        for h in &self.handles {
            for r in h.pending.values() {
                ensure!(
                    self.requests.contains_key(r),
                    "handle {:#x} lists a finished request",
                    h.value
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
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    use crate::model::{CallOutput, Model, SockAddrIn, Win32Error, World};

    /// Regression: a flow removed while its `QOSNotifyFlow` was pending left the request id in
    /// its path's waiters ("path 1 waits on a finished request").
    #[test]
    fn removing_a_flow_with_a_pending_notification_leaves_no_stale_waiter() {
        let mut m = Model::new(World::default(), 1);
        let Ok(CallOutput::Handle(h)) = m.create_handle(Some((1, 0)), true) else {
            panic!("create");
        };
        let s = m.socket(2, 2, 17).expect("socket");
        let dest = SockAddrIn::from(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20)), 5000));
        let Ok(CallOutput::Flow(id)) = m.add_socket_to_flow(h, s, Some(dest), 3, 0, Some(0)) else {
            panic!("add");
        };
        let r = m.notify_flow(h, id, 0, None, None, 0, Some(7));
        assert_eq!(r.map_err(|e| e.code), Err(Win32Error::ERROR_IO_PENDING));
        assert!(m.paths().iter().any(|p| !p.waiters.is_empty()));
        assert_eq!(m.remove_socket_from_flow(h, 0, id, 0), Ok(CallOutput::None));
        assert!(m.paths().iter().all(|p| p.waiters.is_empty()));
        assert_eq!(m.check_invariants(), Ok(()));
    }
}

//! Pending overlapped requests (GEN-3): registration, lookup by OVERLAPPED key, and completion.

use super::*;
use crate::tag::HandleIndex;

/// What kind of overlapped request is pending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReqKind {
    Set(api::set::Setting),
    Query { op: api::QueryKind, fresh: bool },
    Notify(api::NotifyKind),
}

/// A pending overlapped request.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub id: u64,
    pub key: OverlappedKey,
    pub handle: HandleIndex,
    pub flow: u32,
    pub kind: ReqKind,
}

impl Model {
    /// Registers a request on the flow at `slot`.
    pub(crate) fn new_request(
        &mut self,
        h: HandleIndex,
        key: OverlappedKey,
        slot: Slot,
        kind: ReqKind,
    ) -> u64 {
        let f = self.flows.at_mut(slot);
        f.requests += 1;
        let flow = f.id;
        let id = self.next_request;
        self.next_request += 1;
        self.touched_requests.touch(id);
        self.requests.insert(
            id,
            Request {
                id,
                key,
                handle: h,
                flow,
                kind,
            },
        );
        self.handles[h].pending.insert(key, id);
        id
    }

    /// Whether an OVERLAPPED is already in use by a pending request of handle `h`.
    pub(crate) fn key_in_use(&self, h: HandleIndex, key: OverlappedKey) -> bool {
        self.handles[h]
            .pending
            .get(&key)
            .is_some_and(|r| self.requests.contains_key(r))
    }

    /// Removes a pending request from every index and returns it.
    pub(crate) fn unregister(&mut self, id: u64) -> Option<Request> {
        let r = self.requests.remove(&id)?;
        self.touched_requests.touch(id);
        let pending = &mut self.handles[r.handle].pending;
        if pending.get(&r.key) == Some(&id) {
            pending.remove(&r.key);
        }
        // A request never outlives its flow: `destroy_flow` aborts a flow's requests before
        // removing it, so the flow is always found here (checked by the invariants).
        if let Some(f) = self.flows.get_mut(&r.flow) {
            f.requests = f.requests.saturating_sub(1);
            if let ReqKind::Notify(op) = r.kind {
                if f.notify[op.index()].map(NonZeroU64::get) == Some(id) {
                    f.notify[op.index()] = None;
                }
                let path = f.path;
                if let Some(p) = self.paths.get_mut(path as usize) {
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
            handle: self.handles[r.handle].value,
            flow: r.flow,
            func,
            status,
            bytes: data.map(|d| d.to_bytes().1 as u32).unwrap_or(0),
            data,
        }
    }

    /// Executes a request whose latency elapsed (Set, Query) and completes it.
    pub(super) fn run_due(&mut self, id: u64) {
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
}

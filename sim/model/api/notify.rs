//! `QOSNotifyFlow` (NOT).

use std::num::NonZeroU64;

use crate::call::NotifyFlow;
use crate::model::blocking::output;
use crate::model::event::{CallResult, QueryData};
use crate::model::flow::Flow;
use crate::model::world::ImmediateCompletion;
use crate::model::{CallError, Func, Model, Phase, ReqKind, Scheduled, Win32Error};
use crate::tag::HandleIndex;

const EINVAL: Win32Error = Win32Error::ERROR_INVALID_PARAMETER;

/// What a valid `QOSNotifyFlow` waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotifyKind {
    /// 0: the path becomes congested.
    Congested,
    /// 1: the path is not congested.
    Uncongested,
    /// 2: the flow could grow to this total bandwidth (bits/s), from the caller's buffer.
    Available(u64),
}

impl NotifyKind {
    /// Index into a flow's per-operation slots (the C value).
    pub(crate) fn index(self) -> usize {
        match self {
            NotifyKind::Congested => 0,
            NotifyKind::Uncongested => 1,
            NotifyKind::Available(_) => 2,
        }
    }
}

impl Model {
    /// `QOSNotifyFlow(QOSHandle, FlowId, Operation, Size, Buffer, Flags, Overlapped)`: Buffer
    /// holds the `UINT64` target of `QOSNotifyAvailable`; for the other operations a non-NULL
    /// Buffer is an error.
    pub(super) fn notify_flow(&mut self, c: &NotifyFlow) -> CallResult {
        let NotifyFlow {
            handle,
            flow,
            size,
            flags,
            overlapped,
            ..
        } = *c;
        let (op, target) = (c.op.code(), c.target());
        self.power_transition()?; // AMB-40
        let h = self.open_handle(handle)?; // NOT-1, GEN-6, GEN-8
        if flow == 0 {
            return Err(EINVAL.into()); // NOT-2, AMB-12
        }
        if !(0..=2).contains(&op) || flags != 0 {
            return Err(EINVAL.into()); // AMB-6, GEN-10
        }
        let op = notify_kind(op, size, target)?; // NOT-3, NOT-5, NOT-7
        if let Some(k) = overlapped {
            if self.key_in_use(h, k) {
                return Err(EINVAL.into()); // SIM-3
            }
        }
        self.injected_failure(Func::NotifyFlow)?; // NOT-11, GEN-11
        let slot = self.own_slot(h, flow)?; // NOT-2, GEN-7
        self.refresh_route(slot);
        let f = self.flows.at(slot);
        if !f.adaptive {
            return Err(Win32Error::ERROR_NOT_SUPPORTED.into()); // NOT-9, ADD-15, AMB-17
        }
        if f.notify[op.index()].is_some() {
            return Err(Win32Error::ERROR_ALREADY_EXISTS.into()); // NOT-8
        }
        if let NotifyKind::Available(t) = op {
            // Both IP-layer rates: the target and the admitted contract.
            if t <= f.rate.filter(|_| f.admitted).map_or(0, |r| r.effective_bps()) {
                return Err(EINVAL.into()); // NOT-6, AMB-19
            }
        }
        let path = self.measurable(f)?; // NOT-10, NOT-11, AMB-27
        let now_holds = self.notify_condition(f, op);
        let Some(k) = overlapped else {
            return self.block_on_notify(h, flow, op, now_holds); // NOT-12, AMB-31
        };
        if let Some(data) = now_holds {
            if self.world_settings().immediate_completion == ImmediateCompletion::ReturnTrue {
                return Ok(output(data)); // AMB-32 (setting): TRUE at once
            }
            // AMB-32: FALSE + IO_PENDING, completion on the next simulator step.
            let id = self.new_request(h, k, slot, ReqKind::Notify(op));
            let r = self.unregister(id).expect("just registered");
            let c = self.completion_of(&r, Win32Error::ERROR_SUCCESS, data);
            self.schedule(self.now(), Scheduled::Deliver(c));
            return Err(Win32Error::ERROR_IO_PENDING.into());
        }
        // NOT-12, NOT-13: one-shot; fires when the path changes (path_changed).
        let id = self.new_request(h, k, slot, ReqKind::Notify(op));
        self.flows.at_mut(slot).notify[op.index()] = NonZeroU64::new(id);
        self.paths[path as usize].waiters.push(id);
        Err(Win32Error::ERROR_IO_PENDING.into())
    }

    /// NOT-4, NOT-5: `Some(data)` if the notification would fire now. The data is always
    /// `None`: a fired notification hands nothing back, and the caller's `QOSNotifyAvailable`
    /// buffer keeps its target (SIM-6: no source says Windows writes the current bandwidth
    /// there; the official sample never reads it).
    pub(crate) fn notify_condition(&self, f: &Flow, op: NotifyKind) -> Option<Option<QueryData>> {
        // NOT-5, NOT-4: each notification reports on measured capacity (congestion is the
        // available bandwidth reaching 0, QRY-10), so none fires before the estimate is complete:
        // until then QOSQueryFlow says 232 and QOSSetFlow 54, and an app re-arming on the
        // notification would loop.
        if self.estimate_phase(f.path) != Phase::Full {
            return None;
        }
        let congested = self
            .paths
            .get(f.path as usize)
            .is_some_and(|p| p.config.congested);
        let holds = match op {
            NotifyKind::Congested => congested,
            NotifyKind::Uncongested => !congested,
            // NOT-5: the target includes layer-3 overhead, the available bandwidth does not.
            NotifyKind::Available(target) => self.available_for(f) >= self.payload_bps(f, target),
        };
        holds.then_some(None)
    }

    /// NOT-12, AMB-31: a synchronous notification blocks on the virtual clock until its
    /// condition holds; if nothing scheduled can make it hold within `deadlock_after_ms`, the
    /// run records a deadlock and the call fails with `ERROR_TIMEOUT`. The surfaces wait
    /// themselves, with the sim unlocked (`model::blocking`); the end conditions are shared.
    fn block_on_notify(
        &mut self,
        h: HandleIndex,
        flow: u32,
        op: NotifyKind,
        holds: Option<Option<QueryData>>,
    ) -> CallResult {
        if let Some(data) = holds {
            return Ok(output(data));
        }
        let b = match self.begin_blocked(h, flow, op) {
            Ok(b) => b,
            Err(deferred) => return deferred,
        };
        loop {
            if !self.step_before(b.limit) {
                return self.blocked_deadlock(&b);
            }
            if let Some(r) = self.blocked_outcome(&b) {
                return r;
            }
        }
    }
}

/// NOT-3, NOT-5, NOT-7: what operation `op` (0..=2) waits for, given `*Size` and the `UINT64`
/// in `Buffer`.
fn notify_kind(op: i32, size: Option<u32>, target: Option<u64>) -> Result<NotifyKind, CallError> {
    match op {
        0 | 1 => {
            if size.is_some() || target.is_some() {
                return Err(EINVAL.into()); // NOT-3
            }
            Ok(if op == 0 {
                NotifyKind::Congested
            } else {
                NotifyKind::Uncongested
            })
        }
        _ => {
            let size = size.ok_or(EINVAL)?; // NOT-5
            if size < 8 {
                return Err(CallError {
                    code: Win32Error::ERROR_INSUFFICIENT_BUFFER,
                    size: Some(8),
                }); // NOT-7
            }
            Ok(NotifyKind::Available(target.ok_or(EINVAL)?)) // NOT-5
        }
    }
}

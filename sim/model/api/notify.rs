//! `QOSNotifyFlow` (NOT).

use std::num::NonZeroU64;

use crate::model::event::{CallArgs, CallOutput, CallResult, OverlappedKey};
use crate::model::flow::Flow;
use crate::model::world::ImmediateCompletion;
use crate::model::{CallError, Func, HandleState, Model, Phase, ReqKind, Scheduled, Win32Error};

const EINVAL: Win32Error = Win32Error::ERROR_INVALID_PARAMETER;

/// `QOS_NOTIFY_FLOW`, with the target of `QOSNotifyAvailable`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyOp {
    /// 0: the path becomes congested.
    Congested,
    /// 1: the path is not congested.
    Uncongested,
    /// 2: the flow could grow to this total bandwidth (bits/s).
    Available(u64),
}

impl NotifyOp {
    /// Index into a flow's per-operation slots (the C value).
    pub fn index(self) -> usize {
        match self {
            NotifyOp::Congested => 0,
            NotifyOp::Uncongested => 1,
            NotifyOp::Available(_) => 2,
        }
    }
}

impl Model {
    /// `QOSNotifyFlow(QOSHandle, FlowId, Operation, Size, Buffer, Flags, Overlapped)`: `size` is
    /// `*Size` (`None` = NULL), `target` the `UINT64` in Buffer for `QOSNotifyAvailable`
    /// (`None` = NULL Buffer; for the other operations, `Some` means a non-NULL Buffer).
    #[allow(clippy::too_many_arguments)]
    pub fn notify_flow(
        &mut self,
        handle: u64,
        flow: u32,
        op: i32,
        size: Option<u32>,
        target: Option<u64>,
        flags: u32,
        overlapped: Option<OverlappedKey>,
    ) -> CallResult {
        self.call(
            || CallArgs::NotifyFlow {
                handle,
                flow,
                op,
                size,
                target,
                flags,
                overlapped,
            },
            |m| m.notify_inner(handle, flow, op, size, target, flags, overlapped),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn notify_inner(
        &mut self,
        handle: u64,
        flow: u32,
        op: i32,
        size: Option<u32>,
        target: Option<u64>,
        flags: u32,
        overlapped: Option<OverlappedKey>,
    ) -> CallResult {
        self.power_transition()?; // AMB-40
        let h = self.open_handle(handle)?; // NOT-1, GEN-6, GEN-8
        if flow == 0 {
            return Err(EINVAL.into()); // NOT-2, AMB-12
        }
        if !(0..=2).contains(&op) || flags != 0 {
            return Err(EINVAL.into()); // AMB-6, GEN-10
        }
        let op = match op {
            0 | 1 => {
                if size.is_some() || target.is_some() {
                    return Err(EINVAL.into()); // NOT-3
                }
                if op == 0 {
                    NotifyOp::Congested
                } else {
                    NotifyOp::Uncongested
                }
            }
            _ => {
                let size = size.ok_or(EINVAL)?; // NOT-5
                if size < 8 {
                    return Err(CallError {
                        code: Win32Error::ERROR_INSUFFICIENT_BUFFER,
                        size: Some(8),
                    }); // NOT-7
                }
                NotifyOp::Available(target.ok_or(EINVAL)?) // NOT-5
            }
        };
        if let Some(k) = overlapped {
            if self.key_in_use(h, k) {
                return Err(EINVAL.into()); // SIM-3
            }
        }
        self.injected_failure(Func::NotifyFlow)?; // NOT-11, GEN-11
        let f = self.own_flow(h, flow)?; // NOT-2, GEN-7
        if !f.adaptive {
            return Err(Win32Error::ERROR_NOT_SUPPORTED.into()); // NOT-9, ADD-15, AMB-17
        }
        if f.notify[op.index()].is_some() {
            return Err(Win32Error::ERROR_ALREADY_EXISTS.into()); // NOT-8
        }
        if let NotifyOp::Available(t) = op {
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
        if now_holds {
            if self.world_settings().immediate_completion == ImmediateCompletion::ReturnTrue {
                return Ok(CallOutput::None); // AMB-32 (setting): TRUE at once
            }
            // AMB-32: FALSE + IO_PENDING, completion on the next simulator step.
            let id = self.new_request(h, k, flow, ReqKind::Notify(op));
            let r = self.unregister(id).expect("just registered");
            let c = self.completion_of(&r, Win32Error::ERROR_SUCCESS, None);
            self.schedule(self.now(), Scheduled::Deliver(c));
            return Err(Win32Error::ERROR_IO_PENDING.into());
        }
        // NOT-12, NOT-13: one-shot; fires when the path changes (path_changed).
        let id = self.new_request(h, k, flow, ReqKind::Notify(op));
        self.flows.get_mut(&flow).expect("present").notify[op.index()] = NonZeroU64::new(id);
        self.paths[path as usize].waiters.push(id);
        Err(Win32Error::ERROR_IO_PENDING.into())
    }

    /// NOT-4, NOT-5: whether the notification would fire now. A completed notification hands
    /// nothing back: the caller's `QOSNotifyAvailable` buffer keeps its target (no source says
    /// Windows writes the current bandwidth there; the official sample never reads it).
    pub(crate) fn notify_condition(&self, f: &Flow, op: NotifyOp) -> bool {
        // NOT-5, NOT-4: each notification reports on measured capacity (congestion is the
        // available bandwidth reaching 0, QRY-10), so none fires before the estimate is complete:
        // until then QOSQueryFlow says 232 and QOSSetFlow 54, and an app re-arming on the
        // notification would loop.
        if self.estimate_phase(f.path) != Phase::Full {
            return false;
        }
        let congested = self
            .paths
            .get(f.path as usize)
            .is_some_and(|p| p.config.congested);
        match op {
            NotifyOp::Congested => congested,
            NotifyOp::Uncongested => !congested,
            // NOT-5: the target includes layer-3 overhead, the available bandwidth does not.
            NotifyOp::Available(target) => self.available_for(f) >= self.payload_bps(f, target),
        }
    }

    /// NOT-12, AMB-31: a synchronous notification blocks on the virtual clock until its
    /// condition holds; if nothing scheduled can make it hold within `deadlock_after_ms`, the
    /// run records a deadlock and the call fails with `ERROR_TIMEOUT`.
    fn block_on_notify(&mut self, h: usize, flow: u32, op: NotifyOp, mut holds: bool) -> CallResult {
        let limit = self
            .now()
            .plus_us(self.world_settings().deadlock_after_ms.saturating_mul(1000));
        loop {
            if holds {
                return Ok(CallOutput::None);
            }
            if !self.step_before(limit) {
                self.run_until(limit);
                self.note_deadlock(Func::NotifyFlow);
                return Err(Win32Error::ERROR_TIMEOUT.into());
            }
            if self.handles[h].state != HandleState::Open {
                return Err(Win32Error::ERROR_OPERATION_ABORTED.into()); // CLO-5, GEN-8
            }
            let Some(f) = self.flows.get(&flow) else {
                return Err(Win32Error::ERROR_OPERATION_ABORTED.into()); // REM-9
            };
            if let Err(e) = self.flow_route(f) {
                return Err(e.into());
            }
            holds = self.notify_condition(f, op);
        }
    }
}

//! `QOSSetFlow` (SET).

use crate::call::{SetFlow, SetOp};
use crate::model::event::{CallOutput, CallResult};
use crate::model::flow::{RateContract, Shaping, TrafficType};
use crate::model::world::{ImmediateCompletion, RateBeforeEstimate, WindowsVersion};
use crate::model::{Func, Model, Phase, ReqKind, Route, Scheduled, Slot, Win32Error};

const EINVAL: Win32Error = Win32Error::ERROR_INVALID_PARAMETER;

/// What a valid `QOSSetFlow` asks for, decoded and checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Setting {
    /// `QOSSetTrafficType` with its value.
    TrafficType(TrafficType),
    /// `QOSSetOutgoingRate` with its contract.
    OutgoingRate(RateContract),
    /// `QOSSetOutgoingDSCPValue` with its value (0..=63).
    OutgoingDscp(u8),
}

impl Model {
    /// `QOSSetFlow(QOSHandle, FlowId, Operation, Size, Buffer, Flags, Overlapped)`. A surface
    /// passes the `Size` bytes only when `Size` fits the operation (otherwise an empty buffer),
    /// so the model never reads past a short buffer.
    pub(super) fn set_flow(&mut self, c: &SetFlow) -> CallResult {
        let SetFlow {
            handle,
            flow,
            ref op,
            flags,
            overlapped,
        } = *c;
        self.power_transition()?; // AMB-40
        let h = self.open_handle(handle)?; // SET-1, GEN-6, GEN-8
        if flow == 0 {
            return Err(EINVAL.into()); // SET-2, AMB-12
        }
        let want = SetOp::size_of(op.code()).ok_or(EINVAL)?; // SET-4
        if op.code() == 2 && self.world_settings().windows_version == WindowsVersion::Vista {
            return Err(EINVAL.into()); // SET-7e, RW-6: no such operation on Vista
        }
        if flags != 0 {
            return Err(EINVAL.into()); // SET-4, GEN-10
        }
        let set_op = setting(op, want)?; // SET-3, SET-4, SET-7c, AMB-6
        if let Some(k) = overlapped {
            if self.key_in_use(h, k) {
                return Err(EINVAL.into()); // SIM-3: one OVERLAPPED, one pending request
            }
        }
        self.injected_failure(Func::SetFlow)?; // SET-14, GEN-11
        let slot = self.own_slot(h, flow)?; // SET-2, SET-16, GEN-7
        let f = self.flows.at(slot);
        if let Setting::OutgoingDscp(_) = set_op {
            if f.adaptive {
                return Err(EINVAL.into()); // SET-7b, AMB-13
            }
            if !self.world().policy.admin {
                return Err(Win32Error::ERROR_ACCESS_DENIED.into()); // SET-7a, SET-8, RW-5
            }
            if self.world().policy.dscp_override_blocked {
                return Err(Win32Error::ERROR_ACCESS_DISABLED_BY_POLICY.into()); // SET-7f
            }
        }
        let at_once = self.world_settings().immediate_completion == ImmediateCompletion::ReturnTrue;
        match overlapped {
            // AMB-32 (setting): a Set is always answerable at once; TRUE (or its failure) now.
            Some(_) if at_once => self
                .set_at(slot, set_op)
                .map(|_| CallOutput::None)
                .map_err(Into::into),
            Some(k) => {
                // SET-15, GEN-3: accepted; the result arrives after the I/O latency.
                let id = self.new_request(h, k, slot, ReqKind::Set(set_op));
                let due = self
                    .now()
                    .plus_us(self.world_settings().io_latency_ms.saturating_mul(1000));
                self.schedule(due, Scheduled::Due(id));
                Err(Win32Error::ERROR_IO_PENDING.into())
            }
            None => self
                .set_at(slot, set_op)
                .map(|_| CallOutput::None)
                .map_err(Into::into), // GEN-4
        }
    }

    /// The path-dependent part of `QOSSetFlow`, run at once or when an overlapped request is due.
    pub(crate) fn execute_set(&mut self, flow: u32, op: Setting) -> Result<(), Win32Error> {
        let slot = self.flows.find(flow).ok_or(Win32Error::ERROR_OPERATION_ABORTED)?;
        self.set_at(slot, op)
    }

    /// [`Model::execute_set`] on the flow at `slot`.
    fn set_at(&mut self, slot: Slot, op: Setting) -> Result<(), Win32Error> {
        self.refresh_route(slot);
        let route = self.flow_route(self.flows.at(slot))?; // SET-13, SET-14
        match op {
            Setting::TrafficType(t) => {
                let f = self.flows.at_mut(slot);
                f.traffic_type = t; // SET-5
                f.custom_dscp = None; // SET-5, TT-4: undoes a DSCP override
                Ok(())
            }
            Setting::OutgoingDscp(d) => {
                self.flows.at_mut(slot).custom_dscp = Some(d); // TT-4
                Ok(())
            }
            Setting::OutgoingRate(c) => {
                self.set_rate(slot, route, c)?;
                if c.shaping == Shaping::ShapeOnly {
                    self.record_shape_only(slot); // AMB-25
                }
                Ok(())
            }
        }
    }

    /// AMB-25: records both readings of a `QOSShapeOnly` flow's marking in the trace.
    fn record_shape_only(&mut self, slot: Slot) {
        let f = self.flows.at(slot);
        let flow = f.id;
        let mut cx = self.marking_context(f);
        let applied = crate::model::flow::marking(f, &cx);
        cx.shape_only_marks = !cx.shape_only_marks;
        let other = crate::model::flow::marking(f, &cx);
        self.push_event(crate::model::Event::ShapeOnlyMarking { flow, applied, other });
    }

    /// SET-6: a rate contract, with admission control for adaptive flows on measured paths.
    fn set_rate(&mut self, slot: Slot, route: Route, c: RateContract) -> Result<(), Win32Error> {
        let f = self.flows.at(slot);
        let flow = f.id;
        if c.bandwidth_bps == 0 {
            self.set_contract(flow, Some(c), false, 0); // SET-6b: no more shaping or marking
            return Ok(());
        }
        if !f.adaptive {
            self.set_contract(flow, Some(c), false, 0); // SET-6: shaping only, no admission
            return Ok(());
        }
        match route {
            // AMB-27: loopback is never marked; the contract is only recorded.
            Route::Loopback => self.set_contract(flow, Some(c), false, 0),
            // SET-9: the rate would start experiments toward an off-link host; policy forbids them.
            Route::OffLink { .. } if self.world().policy.offlink_experiments_blocked => {
                return Err(Win32Error::ERROR_ACCESS_DISABLED_BY_POLICY);
            }
            // GEN-12: off-link gets DSCP and shaping, with no admission control.
            Route::OffLink { .. } => self.set_contract(flow, Some(c), true, 0),
            Route::OnLink { path, .. } => {
                // SET-6c; SET-6a vs QRY-10: the IP-layer rate in the path's units.
                let want = self.payload_bps(f, c.effective_bps());
                let unmeasured = self.estimate_phase(path) != Phase::Full
                    && self.world_settings().rate_before_estimate == RateBeforeEstimate::NetworkBusy;
                if unmeasured && self.client_tracked(f.dest.ip()) {
                    // SET-11, STA-4: experiments toward a tracked client are under way; qWAVE
                    // errs on the side of caution until they complete (transient, no change).
                    return Err(Win32Error::ERROR_RETRY);
                }
                // SET-6f: without tracking, this rate has to start the experiments itself.
                // SET-6e: the path must carry the rate; a flow lowering its admitted rate (the
                // sample's reaction to congestion, SET-6d) needs nothing new from the path.
                if unmeasured || (want > self.available_for(f) && want > f.held_bps) {
                    // SET-6e, SIM-5: no new contract, and no priority either: an earlier
                    // admission is withdrawn (its bandwidth released); the contract stays recorded.
                    self.set_contract(flow, f.rate, false, 0);
                    return Err(Win32Error::ERROR_NETWORK_BUSY);
                }
                self.set_contract(flow, Some(c), true, want);
            }
            Route::Unreachable => return Err(Win32Error::ERROR_HOST_UNREACHABLE),
        }
        Ok(())
    }
}

/// SET-3, SET-4, SET-7c, AMB-6: the setting a `QOSSetFlow` operation asks for, whose `Size` must
/// be `want`.
fn setting(op: &SetOp, want: u32) -> Result<Setting, Win32Error> {
    match *op {
        SetOp::Raw { op, size, ref bytes } => {
            let buf = bytes.as_deref().ok_or(EINVAL)?; // SET-3
            if size != want || buf.len() != want as usize {
                return Err(EINVAL); // SET-3
            }
            decode(op, buf)
        }
        SetOp::TrafficType(t) => t.typed().map(Setting::TrafficType).ok_or(EINVAL), // AMB-6
        SetOp::OutgoingRate {
            bandwidth_bps,
            shaping,
            reason,
        } => Ok(Setting::OutgoingRate(RateContract {
            bandwidth_bps,
            shaping,
            reason, // SET-6d, AMB-6: informational, not validated
        })),
        SetOp::OutgoingDscp(v) => dscp(v),
    }
}

/// SET-7c: a DSCP value is 0..=63.
fn dscp(v: u32) -> Result<Setting, Win32Error> {
    u8::try_from(v)
        .ok()
        .filter(|d| *d <= 63)
        .map(Setting::OutgoingDscp)
        .ok_or(EINVAL)
}

/// Decodes a buffer of the operation's size.
fn decode(op: i32, b: &[u8]) -> Result<Setting, Win32Error> {
    let i32_at = |o: usize| i32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
    match op {
        0 => TrafficType::from_raw(i32_at(0))
            .map(Setting::TrafficType)
            .ok_or(EINVAL), // AMB-6
        1 => {
            let bandwidth_bps = u64::from_le_bytes(b[0..8].try_into().expect("8 bytes"));
            let shaping = Shaping::from_raw(i32_at(8)).ok_or(EINVAL)?; // AMB-6
            Ok(Setting::OutgoingRate(RateContract {
                bandwidth_bps,
                shaping,
                reason: i32_at(12), // SET-6d, AMB-6: informational, not validated
            }))
        }
        _ => dscp(u32::from_le_bytes(b[0..4].try_into().expect("4 bytes"))),
    }
}

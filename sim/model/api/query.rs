//! `QOSQueryFlow` (QRY).

use crate::call::{QueryFlow, QueryOp};
use crate::model::event::{CallOutput, CallResult, QueryData};
use crate::model::flow::Owner;
use crate::model::world::ImmediateCompletion;
use crate::model::{flow, CallError, Func, Model, Phase, ReqKind, Route, Scheduled, Slot, Win32Error};

const EINVAL: Win32Error = Win32Error::ERROR_INVALID_PARAMETER;

/// What a valid `QOSQueryFlow` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueryKind {
    /// `QOS_FLOW_FUNDAMENTALS`.
    Fundamentals,
    /// `QOS_PACKET_PRIORITY`.
    PacketPriority,
    /// The `UINT64` outgoing rate.
    OutgoingRate,
}

impl QueryKind {
    /// The known operation `op` names (`None`: AMB-6, not an operation).
    fn of(op: QueryOp) -> Option<QueryKind> {
        match op.known()? {
            QueryOp::Fundamentals => Some(QueryKind::Fundamentals),
            QueryOp::PacketPriority => Some(QueryKind::PacketPriority),
            QueryOp::OutgoingRate => Some(QueryKind::OutgoingRate),
            QueryOp::Raw(_) => None,
        }
    }

    /// Bytes the buffer needs (QRY table).
    pub(crate) fn size(self) -> u32 {
        let op = match self {
            QueryKind::Fundamentals => QueryOp::Fundamentals,
            QueryKind::PacketPriority => QueryOp::PacketPriority,
            QueryKind::OutgoingRate => QueryOp::OutgoingRate,
        };
        op.size()
    }
}

impl Model {
    /// `QOSQueryFlow(QOSHandle, FlowId, Operation, Size, Buffer, Flags, Overlapped)`. On
    /// success the data and the `*Size` to write.
    pub(super) fn query_flow(&mut self, c: &QueryFlow) -> CallResult {
        let QueryFlow {
            handle,
            flow,
            op,
            size,
            buffer,
            fresh,
            flags,
            overlapped,
        } = *c;
        self.power_transition()?; // AMB-40
        let h = self.open_handle(handle)?; // QRY-1, GEN-6, GEN-8
        if flow == 0 {
            return Err(EINVAL.into()); // QRY-2, AMB-12
        }
        let op = QueryKind::of(op).ok_or(EINVAL)?; // AMB-6
        let size = size.ok_or(EINVAL)?; // QRY-5
        if flags != 0 {
            return Err(EINVAL.into()); // AMB-16: unknown bits
        }
        if size < op.size() {
            // QRY-3, AMB-15: 122 and the required size.
            return Err(CallError {
                code: Win32Error::ERROR_INSUFFICIENT_BUFFER,
                size: Some(op.size()),
            });
        }
        if !buffer {
            return Err(EINVAL.into()); // AMB-6
        }
        if let Some(k) = overlapped {
            if self.key_in_use(h, k) {
                return Err(EINVAL.into()); // SIM-3
            }
        }
        self.injected_failure(Func::QueryFlow)?; // QRY-14, GEN-11
                                                 // GEN-7, QRY-16, ENU-7: every flow QOSEnumerateFlows lists can be queried (read-only):
                                                 // this handle's, another handle's, another process's.
        let (slot, f) = self.flows.find_flow(flow).ok_or(Win32Error::ERROR_NOT_FOUND)?; // QRY-2
        let foreign = f.owner != Owner::Handle(h);
        // QRY-6, QRY-16, AMB-16: FRESH only matters for our own fundamentals.
        let fresh = fresh && op == QueryKind::Fundamentals && !foreign;
        if op == QueryKind::Fundamentals && !f.adaptive {
            return Err(Win32Error::ERROR_NOT_SUPPORTED.into()); // QRY-7, ADD-15, AMB-17
        }
        let settings = self.world_settings();
        let delay_ms = if fresh {
            settings.fresh_probe_ms
        } else {
            settings.io_latency_ms
        };
        // AMB-32 (setting): a query is answerable at once unless FRESH makes it measure first.
        let at_once = settings.immediate_completion == ImmediateCompletion::ReturnTrue && !fresh;
        match overlapped {
            Some(_) if at_once => {
                let data = self.query_data(slot, op, fresh, foreign)?;
                Ok(CallOutput::Data(data, op.size()))
            }
            Some(k) => {
                // QRY-15, GEN-3
                let id = self.new_request(h, k, slot, ReqKind::Query { op, fresh });
                let due = self.now().plus_us(delay_ms.saturating_mul(1000));
                self.schedule(due, Scheduled::Due(id));
                Err(Win32Error::ERROR_IO_PENDING.into())
            }
            None => {
                let slot = if fresh {
                    // QRY-6: a fresh measurement takes time; the synchronous call blocks for it.
                    let to = self.now().plus_us(delay_ms.saturating_mul(1000));
                    self.run_until(to);
                    // A reset or sleep meanwhile (the only ways a blocked call's handle can
                    // change) also destroys every flow of the process (GEN-8, GEN-9), so the
                    // flow's absence is the one check needed.
                    match self.flows.find(flow) {
                        Some(s) => s,
                        None => return Err(Win32Error::ERROR_OPERATION_ABORTED.into()),
                    }
                } else {
                    slot
                };
                let data = self.query_data(slot, op, fresh, foreign)?;
                Ok(CallOutput::Data(data, op.size())) // QRY-4
            }
        }
    }

    /// The path-dependent part of `QOSQueryFlow`.
    pub(crate) fn execute_query(
        &mut self,
        flow: u32,
        op: QueryKind,
        fresh: bool,
        foreign: bool,
    ) -> Result<QueryData, Win32Error> {
        let slot = self.flows.find(flow).ok_or(Win32Error::ERROR_OPERATION_ABORTED)?;
        self.query_data(slot, op, fresh, foreign)
    }

    /// [`Model::execute_query`] on the flow at `slot`.
    fn query_data(
        &mut self,
        slot: Slot,
        op: QueryKind,
        fresh: bool,
        foreign: bool,
    ) -> Result<QueryData, Win32Error> {
        self.refresh_route(slot);
        let f = self.flows.at(slot);
        match op {
            // QRY-11, AMB-34
            QueryKind::PacketPriority => Ok(QueryData::PacketPriority(self.flow_marking(f))),
            // QRY-12, AMB-18: 0 before any rate
            QueryKind::OutgoingRate => Ok(QueryData::OutgoingRate(
                f.rate.map(|r| r.bandwidth_bps).unwrap_or(0),
            )),
            QueryKind::Fundamentals => {
                let path = self.measurable(f)?; // QRY-8, QRY-14
                let rtt = self.paths[path as usize].config.rtt_us;
                let bottleneck = self.paths[path as usize].config.bottleneck_bps;
                let available = self.available_for(f);
                let phase = self.estimate_phase(path);
                self.count_query(path); // AMB-36: the query-count form of the warm-up
                match phase {
                    // QRY-9, AMB-36: nothing yet; FRESH asks to come back later.
                    Phase::NoData if fresh && !foreign => Err(Win32Error::ERROR_RETRY),
                    Phase::NoData => Err(Win32Error::ERROR_NO_DATA),
                    // AMB-36: partial estimates, AvailableBandwidthSet = FALSE.
                    Phase::Partial => Ok(QueryData::Fundamentals {
                        bottleneck_bps: Some(self.jitter(bottleneck)),
                        available_bps: None,
                        rtt_us: Some(rtt),
                    }),
                    // QRY-10
                    Phase::Full => Ok(QueryData::Fundamentals {
                        bottleneck_bps: Some(self.jitter(bottleneck)),
                        available_bps: Some(self.jitter(available)),
                        rtt_us: Some(rtt),
                    }),
                }
            }
        }
    }

    /// QRY-8, NOT-10, SET-9, GEN-12, AMB-8, AMB-27: the path index when qWAVE can measure the
    /// flow's path, or why not.
    pub(crate) fn measurable(&self, f: &flow::Flow) -> Result<u32, Win32Error> {
        match self.flow_route(f)? {
            Route::OnLink {
                path, known: true, ..
            } if self.paths[path as usize].lltd_qos => Ok(path),
            Route::OffLink { .. } if self.world().policy.offlink_experiments_blocked => {
                Err(Win32Error::ERROR_ACCESS_DISABLED_BY_POLICY)
            }
            _ => Err(Win32Error::ERROR_NOT_SUPPORTED),
        }
    }
}

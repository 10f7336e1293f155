//! Read-only views of the model's state for assertions: a flow and a path as seen from outside,
//! copied out of the model's internal tables (which stay private).

use std::net::SocketAddr;

use super::fault::PathRef;
use super::flow::{Flow, Marking, Owner, RateContract, TrafficType};
use super::path::PathState;
use super::time::VirtualTime;
use super::world::PathConfig;
use super::Model;

/// A flow as seen from outside, for assertions: [`Model::flow`], [`Sim::flows`](crate::Sim::flows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowSnapshot {
    /// The flow id (`*FlowId`): non-zero, system-wide, never reused (AMB-29).
    pub id: u32,
    /// The QoS handle value that owns it; `None` for another process's flow.
    pub handle: Option<u64>,
    /// Added without `QOS_NON_ADAPTIVE_FLOW`.
    pub adaptive: bool,
    /// Current traffic type.
    pub traffic_type: TrafficType,
    /// Member socket values (empty for another process's flow).
    pub sockets: Vec<u64>,
    /// Destination at creation.
    pub destination: SocketAddr,
    /// Further destinations added by joining sockets (AMB-38).
    pub extra_destinations: Vec<SocketAddr>,
    /// The path toward the destination; `None` for loopback.
    pub path: Option<PathRef>,
    /// The interface index the flow leaves by (0 if none).
    pub interface: u32,
    /// When the flow started.
    pub started: VirtualTime,
    /// The rate contract, if one was set (`QOSSetOutgoingRate`).
    pub rate: Option<RateContract>,
    /// Whether an adaptive flow's rate passed admission (AMB-9, SET-6e).
    pub admitted: bool,
    /// Bandwidth the flow holds in its path's admission budget, bits/s.
    pub held_bps: u64,
    /// The `QOSSetOutgoingDSCPValue` override, if any (TT-4).
    pub custom_dscp: Option<u8>,
    /// The markings its packets get now (QRY-11).
    pub marking: Marking,
}

/// A path as seen from outside, for assertions: [`Model::paths`].
#[derive(Clone, Debug, PartialEq)]
pub struct PathSnapshot {
    /// Which path.
    pub id: PathRef,
    /// Its current properties (capacity, congestion, RTT), as faults and congestion periods
    /// left them.
    pub config: PathConfig,
    /// Bandwidth admitted to adaptive flows on it, bits/s.
    pub admitted_bps: u64,
    /// When qWAVE started measuring it (first adaptive flow or tracked client), if it has.
    pub probing_since: Option<VirtualTime>,
}

impl Model {
    pub(super) fn flow_snapshot(&self, f: &Flow) -> FlowSnapshot {
        FlowSnapshot {
            id: f.id,
            handle: match f.owner {
                Owner::Handle(i) => Some(i.value().get()),
                Owner::Foreign => None,
            },
            adaptive: f.adaptive,
            traffic_type: f.traffic_type,
            sockets: f.sockets.as_slice().to_vec(),
            destination: f.dest,
            extra_destinations: f.extra_dests.clone(),
            path: self.path(f.path).map(|p| p.id),
            interface: f.interface,
            started: f.started,
            rate: f.rate,
            admitted: f.admitted,
            held_bps: f.held_bps,
            custom_dscp: f.custom_dscp,
            marking: self.flow_marking(f),
        }
    }
}

impl From<&PathState> for PathSnapshot {
    fn from(p: &PathState) -> PathSnapshot {
        PathSnapshot {
            id: p.id,
            config: p.config.clone(),
            admitted_bps: p.admitted_bps,
            probing_since: p.probing_since,
        }
    }
}

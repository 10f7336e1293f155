//! Flows, traffic types and the markings they get (TT table, AMB-9, AMB-25, AMB-34).

use std::net::SocketAddr;
use std::num::NonZeroU64;

use serde::{Deserialize, Serialize};

use super::route::Route;
use super::time::VirtualTime;
use crate::tag::HandleIndex;

/// `QOS_TRAFFIC_TYPE` (TT table, rules section 13.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum TrafficType {
    /// 0: no marking.
    #[default]
    BestEffort,
    /// 1: DSCP 8 (CS1), 802.1p 2.
    Background,
    /// 2: DSCP 40 (CS5), 802.1p 5.
    ExcellentEffort,
    /// 3: DSCP 40 (CS5), 802.1p 5.
    AudioVideo,
    /// 4: DSCP 56 (CS7), 802.1p 7.
    Voice,
    /// 5: DSCP 56 (CS7), 802.1p 7.
    Control,
}

impl TrafficType {
    /// All six, in value order.
    pub const ALL: [TrafficType; 6] = [
        TrafficType::BestEffort,
        TrafficType::Background,
        TrafficType::ExcellentEffort,
        TrafficType::AudioVideo,
        TrafficType::Voice,
        TrafficType::Control,
    ];

    /// From the C enum value; `None` outside 0..=5 (ADD-19, TT-5).
    pub fn from_raw(v: i32) -> Option<TrafficType> {
        usize::try_from(v).ok().and_then(|i| Self::ALL.get(i).copied())
    }

    /// The C enum value.
    pub fn raw(self) -> i32 {
        self as i32
    }

    /// Default DSCP code point (TT table).
    pub fn dscp(self) -> u8 {
        match self {
            TrafficType::BestEffort => 0,
            TrafficType::Background => 8,
            TrafficType::ExcellentEffort | TrafficType::AudioVideo => 40,
            TrafficType::Voice | TrafficType::Control => 56,
        }
    }

    /// Default 802.1p priority (TT table); BestEffort adds no tag (0).
    pub fn l2(self) -> u8 {
        match self {
            TrafficType::BestEffort => 0,
            TrafficType::Background => 2,
            TrafficType::ExcellentEffort | TrafficType::AudioVideo => 5,
            TrafficType::Voice | TrafficType::Control => 7,
        }
    }

    /// The Win32 name, `QOSTrafficTypeVoice`.
    pub fn win32_name(self) -> &'static str {
        match self {
            TrafficType::BestEffort => "QOSTrafficTypeBestEffort",
            TrafficType::Background => "QOSTrafficTypeBackground",
            TrafficType::ExcellentEffort => "QOSTrafficTypeExcellentEffort",
            TrafficType::AudioVideo => "QOSTrafficTypeAudioVideo",
            TrafficType::Voice => "QOSTrafficTypeVoice",
            TrafficType::Control => "QOSTrafficTypeControl",
        }
    }
}

/// `QOS_SHAPING` (rules section 13.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Shaping {
    /// 0: delay excess packets; marking best effort (AMB-25).
    #[default]
    ShapeOnly,
    /// 1: delay excess packets; conformant marking.
    ShapeAndMark,
    /// 2: no enforcement; excess gets the non-conformant marking.
    UseNonConformantMarkings,
}

impl Shaping {
    /// From the C enum value; `None` outside 0..=2 (AMB-6).
    pub fn from_raw(v: i32) -> Option<Shaping> {
        match v {
            0 => Some(Shaping::ShapeOnly),
            1 => Some(Shaping::ShapeAndMark),
            2 => Some(Shaping::UseNonConformantMarkings),
            _ => None,
        }
    }
}

/// `QOS_FLOWRATE_OUTGOING` as the model keeps it. `reason` is informational and never validated
/// (AMB-6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RateContract {
    /// Bits per second at the IP layer (SET-6a).
    pub bandwidth_bps: u64,
    /// How it is enforced.
    pub shaping: Shaping,
    /// `QOS_FLOWRATE_REASON` as passed.
    pub reason: i32,
}

/// `QOS_OUTGOING_DEFAULT_MINIMUM_BANDWIDTH` (SET-6c).
pub(crate) const DEFAULT_MINIMUM_BANDWIDTH: u64 = 0xFFFF_FFFF;
/// What the system grants for `QOS_OUTGOING_DEFAULT_MINIMUM_BANDWIDTH` (our choice, SIM-4).
pub(crate) const DEFAULT_MINIMUM_GRANT_BPS: u64 = 64_000;

/// `QOS_SUBTRACT_OVERHEAD` (qos2.h): `rate` in bits/s at the IP layer less the IP and
/// transport headers of `packet_bytes`-byte payloads, in the header's f64 arithmetic with its
/// truncation. IPv4 adds 20 header bytes, anything else 40; TCP 20, anything else (UDP) 8.
/// `packet_bytes` 0 (a division by zero in C) returns `rate` unchanged.
pub fn subtract_overhead(ipv4: bool, tcp: bool, packet_bytes: u32, rate: u64) -> u64 {
    if packet_bytes == 0 {
        return rate;
    }
    let overhead = f64::from(if ipv4 { 20u8 } else { 40 } + if tcp { 20 } else { 8 }) * 8.0;
    let d = overhead / (f64::from(packet_bytes) * 8.0 + overhead) * rate as f64;
    rate.saturating_sub(d as u64)
}

impl RateContract {
    /// Bandwidth this contract takes from the path (SET-6b, SET-6c).
    pub fn effective_bps(&self) -> u64 {
        if self.bandwidth_bps == DEFAULT_MINIMUM_BANDWIDTH {
            DEFAULT_MINIMUM_GRANT_BPS
        } else {
            self.bandwidth_bps
        }
    }
}

/// What `QOSQueryFlow(QOSQueryPacketPriority)` reports: the markings actually applied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Marking {
    /// DSCP on conformant packets (0..=63).
    pub conformant_dscp: u32,
    /// DSCP on packets beyond the rate (only with `QOSUseNonConformantMarkings`).
    pub non_conformant_dscp: u32,
    /// 802.1p on conformant packets (0..=7; 0 = no tag).
    pub conformant_l2: u32,
    /// 802.1p beyond the rate.
    pub non_conformant_l2: u32,
}

/// Who owns a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Owner {
    /// A handle of this process.
    Handle(HandleIndex),
    /// Another process (listed in the world's `foreign_flows`).
    Foreign,
}

/// The sockets of a flow: most flows have one, so that case does not allocate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Sockets {
    /// Exactly one socket (raw value).
    One(u64),
    /// Several (non-adaptive flows only, ADD-17); never fewer than two.
    Many(Vec<u64>),
    /// None (foreign flows).
    None,
}

impl Sockets {
    /// The sockets as a slice.
    #[inline]
    pub fn as_slice(&self) -> &[u64] {
        match self {
            Sockets::One(s) => std::slice::from_ref(s),
            Sockets::Many(v) => v,
            Sockets::None => &[],
        }
    }

    /// Whether `s` is in the flow.
    #[inline]
    pub fn contains(&self, s: u64) -> bool {
        self.as_slice().contains(&s)
    }

    /// Adds `s` (caller checked it is absent).
    pub fn push(&mut self, s: u64) {
        *self = match std::mem::replace(self, Sockets::None) {
            Sockets::None => Sockets::One(s),
            Sockets::One(a) => Sockets::Many(vec![a, s]),
            Sockets::Many(mut v) => {
                v.push(s);
                Sockets::Many(v)
            }
        };
    }

    /// Removes `s`; returns whether it was there.
    pub fn remove(&mut self, s: u64) -> bool {
        match self {
            Sockets::One(a) if *a == s => {
                *self = Sockets::None;
                true
            }
            Sockets::Many(v) => match v.iter().position(|x| *x == s) {
                Some(i) => {
                    v.remove(i);
                    if v.len() == 1 {
                        *self = Sockets::One(v[0]);
                    }
                    true
                }
                None => false,
            },
            _ => false,
        }
    }

    /// Number of sockets.
    #[inline]
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether there are none.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Index of a path in the model (0 = the off-link path, 1.. = peers in world order,
/// `LOOPBACK_PATH` = loopback).
pub(crate) type PathIdx = u32;
/// The pseudo-path of loopback destinations.
pub(crate) const LOOPBACK_PATH: PathIdx = u32::MAX;

/// A live flow.
#[derive(Clone, Debug)]
pub(crate) struct Flow {
    /// Non-zero, system-wide, never reused (AMB-29).
    pub id: u32,
    /// Owning handle (or another process).
    pub owner: Owner,
    /// Position in the owner's flow list (for O(1) removal).
    pub(crate) pos: u32,
    /// Added without `QOS_NON_ADAPTIVE_FLOW`.
    pub adaptive: bool,
    /// Current traffic type.
    pub traffic_type: TrafficType,
    /// Member sockets.
    pub sockets: Sockets,
    /// Destination at creation.
    pub dest: SocketAddr,
    /// Further destinations added by joining sockets (AMB-38).
    pub extra_dests: Vec<SocketAddr>,
    /// Path the destination uses.
    pub path: PathIdx,
    /// The interface index chosen.
    pub interface: u32,
    /// The socket was bound to an address of `interface`: traffic leaves by it whatever the
    /// routing table prefers.
    pub pinned: bool,
    /// `dest`'s route as of topology epoch `route_epoch`: a cache of what
    /// `Model::flow_dest_route_now` returns (`Model::route(dest.ip())`, by `interface` if
    /// `pinned`), read through `Model::flow_dest_route`, which recomputes it when a fault has
    /// bumped the epoch since.
    pub(crate) route: Route,
    /// The topology epoch `route` was computed in.
    pub(crate) route_epoch: u32,
    /// When the flow started.
    pub started: VirtualTime,
    /// The last accepted `QOSSetOutgoingRate` contract.
    pub rate: Option<RateContract>,
    /// Whether an adaptive flow's rate passed admission (AMB-9, SET-6e).
    pub admitted: bool,
    /// Bandwidth this flow holds in its path's admission budget.
    pub held_bps: u64,
    /// `QOSSetOutgoingDSCPValue` override (TT-4).
    pub custom_dscp: Option<u8>,
    /// Overlapped requests pending on this flow (Set, Query and Notify), so destroying a flow
    /// without any skips the search for them.
    pub(crate) requests: u32,
    /// Pending notification request per `QOS_NOTIFY_FLOW` operation (NOT-8). Request ids start
    /// at 1, so a slot costs 8 bytes.
    pub(crate) notify: [Option<NonZeroU64>; 3],
}

impl Flow {
    /// Whether this adaptive flow currently asks for prioritisation (SET-7d).
    pub fn prioritised(&self) -> bool {
        // `admitted` is set only with a rate above 0 (SET-6b withdraws it), so `> 0` → `>= 0`
        // below is an equivalent mutant; the rate test keeps the definition self-contained.
        self.adaptive && self.admitted && self.rate.is_some_and(|r| r.bandwidth_bps > 0)
    }
}

/// Inputs to the marking decision that are not stored in the flow.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MarkingContext {
    /// Destination is on the local link.
    pub on_link: bool,
    /// Destination is loopback (AMB-27: never marked).
    pub loopback: bool,
    /// qWAVE has measured that the path keeps 802.1p tags (TT-1).
    pub path_keeps_8021p: bool,
    /// Policy demands a declared rate before marking (SET-6, ADD-18).
    pub rate_required: bool,
    /// Group Policy DSCP (TT-3).
    pub dscp_policy: Option<u8>,
    /// An adaptive flow on this machine asks for prioritisation (SET-7d).
    pub adaptive_prioritised: bool,
    /// Setting: `QOSShapeOnly` keeps the conformant marking (AMB-25).
    pub shape_only_marks: bool,
}

/// Whether the flow's traffic is marked at all (AMB-9, SET-6b, AMB-27).
pub(crate) fn marking_active(flow: &Flow, cx: &MarkingContext) -> bool {
    is_marked(flow, cx.loopback, cx.rate_required)
}

/// [`marking_active`] from the only two inputs it needs besides the flow: whether the
/// destination is loopback, and whether policy demands a rate before marking.
#[inline]
pub(crate) fn is_marked(flow: &Flow, loopback: bool, rate_required: bool) -> bool {
    if loopback {
        return false; // AMB-27
    }
    match flow.rate {
        Some(r) if r.bandwidth_bps == 0 => return false, // SET-6b
        _ => {}
    }
    if flow.adaptive {
        flow.admitted // AMB-9: adaptive flows mark only after an admitted rate
    } else {
        !rate_required || flow.rate.is_some() // AMB-9, SET-6 under admission-control policy
    }
}

/// The markings applied to a flow's packets (QRY-11, TT-1..4, AMB-25, AMB-34).
pub(crate) fn marking(flow: &Flow, cx: &MarkingContext) -> Marking {
    if !marking_active(flow, cx) {
        return Marking::default();
    }
    let shaping = flow.rate.map(|r| r.shaping).unwrap_or(Shaping::ShapeAndMark);
    if shaping == Shaping::ShapeOnly && !cx.shape_only_marks && flow.rate.is_some() {
        return Marking::default(); // AMB-25: shape only, best-effort marking
    }
    let table_dscp = cx.dscp_policy.unwrap_or(flow.traffic_type.dscp()); // TT-3
    let dscp = match flow.custom_dscp {
        // TT-4, SET-7d: an adaptive flow asking for priority overrides the custom value.
        Some(d) if !cx.adaptive_prioritised => d,
        _ => table_dscp,
    };
    // TT-1: 802.1p only for adaptive flows, on-link, over a path that keeps the tags.
    let l2 = if flow.adaptive && cx.on_link && cx.path_keeps_8021p {
        flow.traffic_type.l2()
    } else {
        0
    };
    Marking {
        conformant_dscp: u32::from(dscp),
        non_conformant_dscp: 0, // AMB-34: best effort beyond the rate
        conformant_l2: u32::from(l2),
        non_conformant_l2: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traffic_type_table_matches_tt() {
        let rows: Vec<_> = TrafficType::ALL
            .iter()
            .map(|t| (t.raw(), t.dscp(), t.l2()))
            .collect();
        assert_eq!(
            rows,
            vec![
                (0, 0, 0),
                (1, 8, 2),
                (2, 40, 5),
                (3, 40, 5),
                (4, 56, 7),
                (5, 56, 7)
            ]
        );
        assert_eq!(TrafficType::from_raw(6), None);
        assert_eq!(TrafficType::from_raw(-1), None);
    }

    #[test]
    fn sockets_grow_and_shrink_without_losing_members() {
        let mut s = Sockets::None;
        s.push(1);
        s.push(2);
        s.push(3);
        assert_eq!(s.as_slice(), &[1, 2, 3]);
        assert!(s.remove(2));
        assert!(!s.remove(2));
        assert!(s.remove(1));
        assert_eq!(s, Sockets::One(3));
        assert!(s.remove(3));
        assert!(s.is_empty());
    }

    /// Removing a socket the flow does not hold changes nothing, whatever the flow holds (the
    /// model checks membership first, REM-8, so only this test reaches it).
    #[test]
    fn removing_a_socket_that_is_not_there_changes_nothing() {
        for mut s in [Sockets::None, Sockets::One(1), Sockets::Many(vec![1, 2])] {
            let before = s.clone();
            assert!(!s.remove(3));
            assert_eq!(s, before);
        }
    }
}

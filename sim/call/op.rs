//! The operation codes of `QOSSetFlow`, `QOSQueryFlow` and `QOSNotifyFlow`, and the traffic
//! types, each with a `Raw` escape for values Windows rejects. Each operation's code, buffer size
//! and C layout are defined here once.

use serde::{Deserialize, Serialize};

use crate::model::{Shaping, TrafficType};

/// `QOS_NON_ADAPTIVE_FLOW`, the one valid flag of `QOSAddSocketToFlow`.
pub const QOS_NON_ADAPTIVE_FLOW: u32 = 0x2;
/// `QOS_QUERYFLOW_FRESH`, the one valid flag of `QOSQueryFlow`.
pub const QOS_QUERYFLOW_FRESH: u32 = 0x1;

/// `QOS_TRAFFIC_TYPE`: one of the six, or a raw value (for invalid-argument tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum TrafficArg {
    /// 0.
    #[default]
    BestEffort,
    /// 1.
    Background,
    /// 2.
    ExcellentEffort,
    /// 3.
    AudioVideo,
    /// 4.
    Voice,
    /// 5.
    Control,
    /// Any other value.
    Raw(i32),
}

impl TrafficArg {
    /// The C value.
    pub fn raw(self) -> i32 {
        match self {
            TrafficArg::Raw(v) => v,
            TrafficArg::BestEffort => 0,
            TrafficArg::Background => 1,
            TrafficArg::ExcellentEffort => 2,
            TrafficArg::AudioVideo => 3,
            TrafficArg::Voice => 4,
            TrafficArg::Control => 5,
        }
    }

    /// The argument for a C value.
    pub fn from_raw(v: i32) -> TrafficArg {
        match TrafficType::from_raw(v) {
            Some(t) => TrafficArg::from(t),
            None => TrafficArg::Raw(v),
        }
    }

    /// The traffic type, if the value is one of the six.
    pub fn typed(self) -> Option<TrafficType> {
        TrafficType::from_raw(self.raw())
    }
}

impl From<TrafficType> for TrafficArg {
    fn from(t: TrafficType) -> Self {
        match t {
            TrafficType::BestEffort => TrafficArg::BestEffort,
            TrafficType::Background => TrafficArg::Background,
            TrafficType::ExcellentEffort => TrafficArg::ExcellentEffort,
            TrafficType::AudioVideo => TrafficArg::AudioVideo,
            TrafficType::Voice => TrafficArg::Voice,
            TrafficType::Control => TrafficArg::Control,
        }
    }
}

/// `QOS_SET_FLOW` with its buffer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub enum SetOp {
    /// `QOSSetTrafficType` (Size 4).
    TrafficType(TrafficArg),
    /// `QOSSetOutgoingRate` (Size 16, a `QOS_FLOWRATE_OUTGOING`).
    OutgoingRate {
        /// Bits per second (0xFFFFFFFF = `QOS_OUTGOING_DEFAULT_MINIMUM_BANDWIDTH`).
        bandwidth_bps: u64,
        /// `ShapingBehavior`.
        #[serde(default = "shape_and_mark")]
        shaping: Shaping,
        /// `Reason`.
        #[serde(default)]
        reason: i32,
    },
    /// `QOSSetOutgoingDSCPValue` (Size 4).
    OutgoingDscp(u32),
    /// Any operation value, `Size` and buffer bytes (`bytes: None` = NULL Buffer).
    Raw {
        /// `Operation`.
        op: i32,
        /// `Size`.
        size: u32,
        /// Buffer bytes.
        #[serde(default)]
        bytes: Option<Vec<u8>>,
    },
}

fn shape_and_mark() -> Shaping {
    Shaping::ShapeAndMark
}

impl SetOp {
    /// The name of an `Operation` value (`QOSSetTrafficType`), if it is one of the three.
    pub(crate) fn name_of(code: i32) -> Option<&'static str> {
        match code {
            0 => Some("QOSSetTrafficType"),
            1 => Some("QOSSetOutgoingRate"),
            2 => Some("QOSSetOutgoingDSCPValue"),
            _ => None,
        }
    }

    /// The `Size` each operation code needs (SET-3): 4, 16, 4; `None` outside 0..=2.
    pub fn size_of(code: i32) -> Option<u32> {
        match code {
            0 | 2 => Some(4),
            1 => Some(16),
            _ => None,
        }
    }

    /// The operation a C caller passed: typed when the buffer is well-formed for its code,
    /// else `Raw` (an empty buffer counts as NULL).
    pub fn from_c(code: i32, size: u32, buffer: Option<&[u8]>) -> SetOp {
        let b = buffer.unwrap_or_default();
        let i32_at = |o: usize| i32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        let typed = match (code, size, b.len()) {
            (0, 4, 4) => Some(SetOp::TrafficType(TrafficArg::from_raw(i32_at(0)))),
            (1, 16, 16) => Shaping::from_raw(i32_at(8)).map(|shaping| SetOp::OutgoingRate {
                bandwidth_bps: u64::from_le_bytes(b[0..8].try_into().expect("8 bytes")),
                shaping,
                reason: i32_at(12),
            }),
            (2, 4, 4) => Some(SetOp::OutgoingDscp(u32::from_le_bytes(
                b[0..4].try_into().expect("4 bytes"),
            ))),
            _ => None,
        };
        typed.unwrap_or_else(|| SetOp::Raw {
            op: code,
            size,
            bytes: (!b.is_empty()).then(|| b.to_vec()),
        })
    }

    /// `Operation`.
    pub fn code(&self) -> i32 {
        match self {
            SetOp::TrafficType(_) => 0,
            SetOp::OutgoingRate { .. } => 1,
            SetOp::OutgoingDscp(_) => 2,
            SetOp::Raw { op, .. } => *op,
        }
    }

    /// `Size`.
    pub fn size(&self) -> u32 {
        match self {
            SetOp::Raw { size, .. } => *size,
            typed => Self::size_of(typed.code()).unwrap_or(0),
        }
    }

    /// The buffer's bytes in C layout (`None` = NULL).
    pub fn bytes(&self) -> Option<Vec<u8>> {
        match self {
            SetOp::TrafficType(t) => Some(t.raw().to_le_bytes().to_vec()),
            SetOp::OutgoingRate {
                bandwidth_bps,
                shaping,
                reason,
            } => {
                let mut v = bandwidth_bps.to_le_bytes().to_vec();
                v.extend_from_slice(&(*shaping as i32).to_le_bytes());
                v.extend_from_slice(&reason.to_le_bytes());
                Some(v)
            }
            SetOp::OutgoingDscp(d) => Some(d.to_le_bytes().to_vec()),
            SetOp::Raw { bytes, .. } => bytes.clone(),
        }
    }
}

/// `QOS_QUERY_FLOW`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum QueryOp {
    /// 0: `QOSQueryFlowFundamentals`, a 40-byte `QOS_FLOW_FUNDAMENTALS`.
    Fundamentals,
    /// 1: `QOSQueryPacketPriority`, a 16-byte `QOS_PACKET_PRIORITY`.
    PacketPriority,
    /// 2: `QOSQueryOutgoingRate`, a `UINT64`.
    OutgoingRate,
    /// Any other value.
    Raw(i32),
}

impl QueryOp {
    /// The name of an `Operation` value (`QOSQueryFlowFundamentals`), if it is one of the three.
    pub(crate) fn name_of(code: i32) -> Option<&'static str> {
        match code {
            0 => Some("QOSQueryFlowFundamentals"),
            1 => Some("QOSQueryPacketPriority"),
            2 => Some("QOSQueryOutgoingRate"),
            _ => None,
        }
    }

    /// `Operation`.
    pub fn code(self) -> i32 {
        match self {
            QueryOp::Fundamentals => 0,
            QueryOp::PacketPriority => 1,
            QueryOp::OutgoingRate => 2,
            QueryOp::Raw(v) => v,
        }
    }

    /// The operation for a C value (`Raw` outside 0..=2).
    pub fn from_code(v: i32) -> QueryOp {
        match v {
            0 => QueryOp::Fundamentals,
            1 => QueryOp::PacketPriority,
            2 => QueryOp::OutgoingRate,
            v => QueryOp::Raw(v),
        }
    }

    /// The known operation this value names (`Raw(0)` is `Fundamentals`), if any.
    pub fn known(self) -> Option<QueryOp> {
        match QueryOp::from_code(self.code()) {
            QueryOp::Raw(_) => None,
            op => Some(op),
        }
    }

    /// The size of the structure it returns (QRY table); 8 for unknown operations, what a
    /// careful caller would pass.
    pub fn size(self) -> u32 {
        match self.known() {
            Some(QueryOp::Fundamentals) => 40,
            Some(QueryOp::PacketPriority) => 16,
            _ => 8,
        }
    }
}

/// `QOS_NOTIFY_FLOW`, with the target of `QOSNotifyAvailable`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum NotifyOp {
    /// 0: `QOSNotifyCongested`.
    Congested,
    /// 1: `QOSNotifyUncongested`.
    Uncongested,
    /// 2: `QOSNotifyAvailable`, with the target bandwidth (bits/s) a careful caller puts in
    /// Buffer.
    Available(u64),
    /// Any other operation value.
    Raw(i32),
}

impl NotifyOp {
    /// The name of an `Operation` value (`QOSNotifyCongested`), if it is one of the three.
    pub(crate) fn name_of(code: i32) -> Option<&'static str> {
        match code {
            0 => Some("QOSNotifyCongested"),
            1 => Some("QOSNotifyUncongested"),
            2 => Some("QOSNotifyAvailable"),
            _ => None,
        }
    }

    /// `Operation`.
    pub fn code(self) -> i32 {
        match self {
            NotifyOp::Congested => 0,
            NotifyOp::Uncongested => 1,
            NotifyOp::Available(_) => 2,
            NotifyOp::Raw(v) => v,
        }
    }

    /// The `*Size` a careful caller passes: 8 for `QOSNotifyAvailable`, NULL otherwise.
    pub fn size(self) -> Option<u32> {
        matches!(self, NotifyOp::Available(_)).then_some(8)
    }

    /// Index into a flow's per-operation slots (the C value), for the three known operations.
    pub fn index(self) -> Option<usize> {
        usize::try_from(self.code()).ok().filter(|i| *i <= 2)
    }
}

/// The `UINT64` buffer of `QOSNotifyFlow`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum NotifyBuffer {
    /// What a careful caller passes: the target for `Available`, NULL otherwise.
    #[default]
    Auto,
    /// `Buffer == NULL`.
    Null,
    /// A buffer holding this value.
    Value(u64),
}

impl NotifyBuffer {
    /// The `UINT64` the buffer holds for `op` (`None` = NULL Buffer).
    pub fn value(self, op: NotifyOp) -> Option<u64> {
        match (self, op) {
            (NotifyBuffer::Value(v), _) => Some(v),
            (NotifyBuffer::Auto, NotifyOp::Available(t)) => Some(t),
            (NotifyBuffer::Auto, _) | (NotifyBuffer::Null, _) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_sizes_match_the_c_structures() {
        for v in -1..5 {
            assert_eq!(QueryOp::from_code(v).code(), v);
            assert_eq!(TrafficArg::from_raw(v).raw(), v);
        }
        assert_eq!(QueryOp::Raw(1).known(), Some(QueryOp::PacketPriority));
        assert_eq!(QueryOp::Fundamentals.size(), 40);
        assert_eq!(QueryOp::Raw(9).size(), 8);
        let rate = SetOp::OutgoingRate {
            bandwidth_bps: 64_000,
            shaping: Shaping::ShapeAndMark,
            reason: 2,
        };
        assert_eq!(rate.bytes().map(|b| b.len() as u32), Some(rate.size()));
        assert_eq!(SetOp::OutgoingDscp(46).size(), 4);
        assert_eq!(NotifyBuffer::Auto.value(NotifyOp::Available(7)), Some(7));
        assert_eq!(NotifyBuffer::Auto.value(NotifyOp::Congested), None);
    }
}

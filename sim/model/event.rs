//! What the model reports happened: the raw material of traces.
//!
//! Events are small values pushed in order; [`crate::trace`] renders them. Nothing here
//! allocates on the hot path except the rare fault and enumerate records.

use super::error::Win32Error;
use super::fault::{Fault, Func, PathRef};
use super::flow::Marking;
use super::net::{Family, SockAddrIn};
use super::socket::Protocol;
use super::time::VirtualTime;
use crate::call::Call;

/// Opaque identity of an OVERLAPPED: its address for the windows surfaces, a number derived
/// from its name for scenarios.
pub type OverlappedKey = u64;

/// Data a successful query or notification hands back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueryData {
    /// `QOS_FLOW_FUNDAMENTALS`; `None` = the `*Set` flag is FALSE.
    Fundamentals {
        /// `BottleneckBandwidth`, bits/s.
        bottleneck_bps: Option<u64>,
        /// `AvailableBandwidth`, bits/s.
        available_bps: Option<u64>,
        /// `RTT`, µs.
        rtt_us: Option<u32>,
    },
    /// `QOS_PACKET_PRIORITY`.
    PacketPriority(Marking),
    /// `UINT64` outgoing rate, bits/s.
    OutgoingRate(u64),
    /// `UINT64` bandwidth available to the flow when `QOSNotifyAvailable` fires.
    Available(u64),
}

impl QueryData {
    /// The C layout of the data (windows-rs `repr(C)` structs, little-endian x86-64), and its
    /// length: 40, 16 or 8 bytes.
    pub fn to_bytes(&self) -> ([u8; 40], usize) {
        let mut b = [0u8; 40];
        let bool32 = |v: bool| (v as i32).to_le_bytes();
        let len = match *self {
            QueryData::Fundamentals {
                bottleneck_bps,
                available_bps,
                rtt_us,
            } => {
                b[0..4].copy_from_slice(&bool32(bottleneck_bps.is_some()));
                b[8..16].copy_from_slice(&bottleneck_bps.unwrap_or(0).to_le_bytes());
                b[16..20].copy_from_slice(&bool32(available_bps.is_some()));
                b[24..32].copy_from_slice(&available_bps.unwrap_or(0).to_le_bytes());
                b[32..36].copy_from_slice(&bool32(rtt_us.is_some()));
                b[36..40].copy_from_slice(&rtt_us.unwrap_or(0).to_le_bytes());
                40
            }
            QueryData::PacketPriority(m) => {
                b[0..4].copy_from_slice(&m.conformant_dscp.to_le_bytes());
                b[4..8].copy_from_slice(&m.non_conformant_dscp.to_le_bytes());
                b[8..12].copy_from_slice(&m.conformant_l2.to_le_bytes());
                b[12..16].copy_from_slice(&m.non_conformant_l2.to_le_bytes());
                16
            }
            QueryData::OutgoingRate(v) | QueryData::Available(v) => {
                b[0..8].copy_from_slice(&v.to_le_bytes());
                8
            }
        };
        (b, len)
    }
}

/// A finished overlapped request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Completion {
    /// Model request number (unique per run).
    pub request: u64,
    /// The OVERLAPPED it was issued with.
    pub key: OverlappedKey,
    /// Handle value it was issued on.
    pub handle: u64,
    /// Flow it concerned.
    pub flow: u32,
    /// Which function issued it.
    pub func: Func,
    /// `ERROR_SUCCESS` or the failure.
    pub status: Win32Error,
    /// Bytes written to the caller's buffer (`InternalHigh`).
    pub bytes: u32,
    /// What was written, if anything.
    pub data: Option<QueryData>,
}

/// What a successful call handed back.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CallOutput {
    /// Nothing beyond TRUE.
    None,
    /// A new handle value.
    Handle(u64),
    /// The flow id in `*FlowId`.
    Flow(u32),
    /// Query or notification data, and `*Size`.
    Data(QueryData, u32),
    /// Enumerated flow ids (`*Size` = 4 × len).
    Flows(Vec<u32>),
}

/// A failed call: the last error, and `*Size` when the call wrote it (`ERROR_INSUFFICIENT_BUFFER`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallError {
    /// The last error.
    pub code: Win32Error,
    /// The required size written to `*Size`, if any.
    pub size: Option<u32>,
}

impl From<Win32Error> for CallError {
    fn from(code: Win32Error) -> Self {
        CallError { code, size: None }
    }
}

/// The outcome of one of the 11 calls. `Err` with `ERROR_IO_PENDING` means "accepted, the
/// result arrives as a [`Completion`]".
pub type CallResult = Result<CallOutput, CallError>;

/// A WinSock call the sim models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketOp {
    /// `socket()`.
    Create {
        /// Family.
        family: Family,
        /// Protocol.
        protocol: Protocol,
    },
    /// `bind()`.
    Bind(Option<SockAddrIn>),
    /// `connect()`.
    Connect(Option<SockAddrIn>),
    /// `closesocket()`.
    Close,
    /// `setsockopt(IPV6_V6ONLY)`.
    V6Only(bool),
}

/// One thing that happened, in order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// One of the 11 functions was called.
    Call {
        /// What was passed.
        call: Call,
        /// What came back.
        result: CallResult,
    },
    /// A WinSock call.
    Socket {
        /// Which.
        op: SocketOp,
        /// The socket (new value for `Create`).
        socket: u64,
        /// 0 or the WSA error.
        wsa_error: i32,
    },
    /// An overlapped request finished.
    Completion(Completion),
    /// A fault took effect.
    Fault(Fault),
    /// A path's state changed (from a fault or its congestion period).
    Path {
        /// Which path.
        path: PathRef,
        /// Congested now.
        congested: bool,
        /// Free capacity now.
        available_bps: u64,
    },
    /// Virtual time moved forward to this instant.
    Advance(VirtualTime),
    /// A blocking call could never finish: nothing scheduled can satisfy it (AMB-31).
    Deadlock(Func),
}

/// An event with the virtual time it happened at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Stamped {
    /// When.
    pub at: VirtualTime,
    /// What.
    pub event: Event,
}

//! The calls the benchmarks make, as [`Call`]s for `Model::apply`, with the arguments a C app
//! passes.

use qwave_sim::call::{self, Call, NotifyBuffer, NotifyOp, QueryOp, SetOp, TrafficArg};
use qwave_sim::model::SockAddrIn;

/// `QOSCreateHandle(&{1, 0}, &h)`.
pub fn create() -> Call {
    Call::CreateHandle(call::CreateHandle {
        handle: (),
        version: Some((1, 0)),
        out: true,
    })
}

/// `QOSCloseHandle(h)`.
pub fn close(handle: u64) -> Call {
    Call::CloseHandle(call::CloseHandle { handle })
}

/// `QOSAddSocketToFlow(h, s, dest, QOSTrafficTypeAudioVideo, flags, &0)`: a new flow.
pub fn add(handle: u64, socket: u64, dest: SockAddrIn, adaptive: bool) -> Call {
    Call::AddSocketToFlow(call::AddSocketToFlow {
        handle,
        socket,
        dest: Some(dest),
        traffic_type: TrafficArg::AudioVideo,
        non_adaptive: !adaptive,
        flags: 0,
        flow: Some(0),
    })
}

/// `QOSRemoveSocketFromFlow(h, s, flow, 0)`.
pub fn remove(handle: u64, socket: u64, flow: u32) -> Call {
    Call::RemoveSocketFromFlow(call::RemoveSocketFromFlow {
        handle,
        socket,
        flow,
        flags: 0,
    })
}

/// `QOSQueryFlow(h, flow, QOSQueryPacketPriority, &16, buf, 0, NULL)`: the query every app makes.
pub fn query_priority(handle: u64, flow: u32) -> Call {
    Call::QueryFlow(call::QueryFlow {
        handle,
        flow,
        op: QueryOp::PacketPriority,
        size: Some(16),
        buffer: true,
        fresh: false,
        flags: 0,
        overlapped: None,
    })
}

/// `QOSSetFlow(h, flow, QOSSetTrafficType, 4, buf, 0, NULL)` with the buffer as the app lays it
/// out.
pub fn set_traffic_type(handle: u64, flow: u32, buf: &[u8; 4]) -> Call {
    Call::SetFlow(call::SetFlow {
        handle,
        flow,
        op: SetOp::Raw {
            op: 0,
            size: 4,
            bytes: Some(buf.to_vec()),
        },
        flags: 0,
        overlapped: None,
    })
}

/// `QOSNotifyFlow(h, flow, op, NULL, NULL, 0, &ov)` for `QOSNotifyCongested` (0) or
/// `QOSNotifyUncongested` (1), with OVERLAPPED key `key`.
pub fn notify(handle: u64, flow: u32, op: i32, key: u64) -> Call {
    let op = match op {
        0 => NotifyOp::Congested,
        1 => NotifyOp::Uncongested,
        v => NotifyOp::Raw(v),
    };
    Call::NotifyFlow(call::NotifyFlow {
        handle,
        flow,
        op,
        size: None,
        buffer: NotifyBuffer::Null,
        flags: 0,
        overlapped: Some(key),
    })
}

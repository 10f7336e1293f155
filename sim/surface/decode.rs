//! The caller's pointers → a [`Call`], and a result → the caller's out-pointers: the part of
//! the 11 qos2.h functions that is the same wherever the call comes from (the `windows` and
//! `windows-sys` surfaces through [`super::qos`], and `qwave.dll` through [`crate::ffi`]).
//!
//! Every function here reads or writes only what the C contract says the caller passed: a
//! NULL pointer is `None`, never dereferenced; a buffer is read only for the size its
//! operation needs. Where the results of overlapped requests go is the caller's business.

use super::addr;
use crate::call::{self, NotifyBuffer, NotifyOp, QueryOp, SetOp, TrafficArg};
use crate::call::{QOS_NON_ADAPTIVE_FLOW, QOS_QUERYFLOW_FRESH};
use crate::model::{CallError, OverlappedKey, QueryData, SockAddrIn};

/// `*p`, or `None` for NULL.
///
/// # Safety
/// `p` is NULL or a readable `u32`.
pub unsafe fn opt_u32(p: *const u32) -> Option<u32> {
    (!p.is_null()).then(|| unsafe { p.read_unaligned() })
}

/// The `SOCKADDR` at `p` by its family (`None` for NULL).
///
/// # Safety
/// `p` is NULL or points to a readable `SOCKADDR_IN` (family 2), `SOCKADDR_IN6` (family 23)
/// or at least two bytes (other families).
pub unsafe fn sockaddr(p: *const u8) -> Option<SockAddrIn> {
    unsafe { addr::read(p) }
}

/// `QOSCreateHandle(Version, QOSHandle)`: `version` points to `QOS_VERSION { u16, u16 }`.
///
/// # Safety
/// `version` is NULL or readable for 4 bytes.
pub unsafe fn create_handle(version: *const u16, out_is_null: bool) -> call::CreateHandle {
    call::CreateHandle {
        handle: (),
        version: (!version.is_null())
            .then(|| unsafe { (version.read_unaligned(), version.add(1).read_unaligned()) }),
        out: !out_is_null,
    }
}

/// `QOSAddSocketToFlow(QOSHandle, Socket, DestAddr, TrafficType, Flags, FlowId)`.
///
/// # Safety
/// `dest` as [`sockaddr`]; `flow_id` NULL or a readable `u32`.
pub unsafe fn add_socket_to_flow(
    handle: u64,
    socket: u64,
    dest: *const u8,
    traffic_type: i32,
    flags: u32,
    flow_id: *const u32,
) -> call::AddSocketToFlow {
    call::AddSocketToFlow {
        handle,
        socket,
        dest: unsafe { sockaddr(dest) },
        traffic_type: TrafficArg::from_raw(traffic_type),
        non_adaptive: flags & QOS_NON_ADAPTIVE_FLOW != 0,
        flags: flags & !QOS_NON_ADAPTIVE_FLOW,
        flow: unsafe { opt_u32(flow_id) },
    }
}

/// `QOSSetFlow(QOSHandle, FlowId, Operation, Size, Buffer, Flags, Overlapped)`. The `size`
/// bytes of `buffer` are read only when `size` is the operation's size, so nothing reads past
/// a short buffer.
///
/// # Safety
/// `buffer` is NULL or readable for `size` bytes.
pub unsafe fn set_flow(
    handle: u64,
    flow: u32,
    op: i32,
    size: u32,
    buffer: *const u8,
    flags: u32,
    overlapped: Option<OverlappedKey>,
) -> call::SetFlow {
    let bytes: Option<&[u8]> = if buffer.is_null() {
        None
    } else if SetOp::size_of(op) == Some(size) {
        Some(unsafe { std::slice::from_raw_parts(buffer, size as usize) })
    } else {
        Some(&[])
    };
    call::SetFlow {
        handle,
        flow,
        op: SetOp::from_c(op, size, bytes),
        flags,
        overlapped,
    }
}

/// `QOSQueryFlow(QOSHandle, FlowId, Operation, Size, Buffer, Flags, Overlapped)`.
///
/// # Safety
/// `size` is NULL or a readable `u32`.
pub unsafe fn query_flow(
    handle: u64,
    flow: u32,
    op: i32,
    size: *const u32,
    buffer_is_null: bool,
    flags: u32,
    overlapped: Option<OverlappedKey>,
) -> call::QueryFlow {
    call::QueryFlow {
        handle,
        flow,
        op: QueryOp::from_code(op),
        size: unsafe { opt_u32(size) },
        buffer: !buffer_is_null,
        fresh: flags & QOS_QUERYFLOW_FRESH != 0,
        flags: flags & !QOS_QUERYFLOW_FRESH,
        overlapped,
    }
}

/// `QOSNotifyFlow(QOSHandle, FlowId, Operation, Size, Buffer, Flags, Overlapped)`. For
/// `QOSNotifyAvailable` the `UINT64` target is read from `buffer` only when `*size >= 8`; any
/// other non-NULL buffer holds a value the model does not use.
///
/// # Safety
/// `size` is NULL or a readable `u32`; `buffer` NULL or readable for `*size` bytes.
pub unsafe fn notify_flow(
    handle: u64,
    flow: u32,
    op: i32,
    size: *const u32,
    buffer: *const u8,
    flags: u32,
    overlapped: Option<OverlappedKey>,
) -> call::NotifyFlow {
    let cap = unsafe { opt_u32(size) };
    let value = match (buffer.is_null(), op, cap) {
        (true, _, _) => None,
        (false, 2, Some(n)) if n >= 8 => Some(unsafe { (buffer as *const u64).read_unaligned() }),
        (false, _, _) => Some(0),
    };
    let kind = match op {
        0 => NotifyOp::Congested,
        1 => NotifyOp::Uncongested,
        2 => NotifyOp::Available(value.unwrap_or(0)),
        v => NotifyOp::Raw(v),
    };
    call::NotifyFlow {
        handle,
        flow,
        op: kind,
        size: cap,
        buffer: value.map_or(NotifyBuffer::Null, NotifyBuffer::Value),
        flags,
        overlapped,
    }
}

/// `QOSEnumerateFlows(QOSHandle, Size, Buffer)`.
///
/// # Safety
/// `size` is NULL or a readable `u32`.
pub unsafe fn enumerate_flows(handle: u64, size: *const u32, buffer_is_null: bool) -> call::EnumerateFlows {
    call::EnumerateFlows {
        handle,
        size: unsafe { opt_u32(size) },
        buffer: !buffer_is_null,
    }
}

/// `QOSStartTrackingClient` / `QOSStopTrackingClient(QOSHandle, DestAddr, Flags)`.
///
/// # Safety
/// `dest` as [`sockaddr`].
pub unsafe fn tracking(handle: u64, dest: *const u8, flags: u32) -> call::Tracking {
    call::Tracking {
        handle,
        client: unsafe { sockaddr(dest) },
        flags,
    }
}

/// A failed call's `*Size` output (QRY-3, NOT-7, ENU-4): the size the caller needs.
///
/// # Safety
/// `size` is NULL or a writable `u32`.
pub unsafe fn write_error_size(e: &CallError, size: *mut u32) {
    if let (Some(n), false) = (e.size, size.is_null()) {
        unsafe { size.write_unaligned(n) };
    }
}

/// Query or notification data into the caller's buffer (at most `cap` bytes) and `*Size`.
///
/// # Safety
/// `buf` is NULL or writable for `cap` bytes; `size` is NULL or a writable `u32`.
pub unsafe fn write_data(buf: *mut u8, size: *mut u32, cap: u32, data: Option<QueryData>) {
    unsafe { super::io::write_data(buf as usize, size as usize, cap, data) }
}

/// `QOSEnumerateFlows`' output: as many ids as `cap` bytes hold, and `*Size` = the bytes all
/// of them need.
///
/// # Safety
/// `buf` is NULL or writable for `cap` bytes; `size` is a writable `u32`.
pub unsafe fn write_flows(ids: &[u32], buf: *mut u8, size: *mut u32, cap: u32) {
    let n = if buf.is_null() {
        0
    } else {
        ids.len().min(cap as usize / 4)
    };
    let out = buf as *mut u32;
    for (i, id) in ids.iter().take(n).enumerate() {
        unsafe { out.add(i).write_unaligned(*id) };
    }
    unsafe { size.write_unaligned((ids.len() * 4) as u32) };
}

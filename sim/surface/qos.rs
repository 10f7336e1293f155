//! The 11 qos2.h functions on raw values: decode the caller's pointers (NULL → `None`) into a
//! [`Call`], apply it to the model, write the outputs (`*QOSHandle`, `*FlowId`, `*Size`, buffer
//! bytes), remember accepted overlapped requests, and set the last error on failure only
//! (GEN-1, GEN-2).
//!
//! Every function returns `true` for TRUE. Pointers are raw: a surface casts its typed
//! pointers to these.

use super::io::{write_data, PendingIo};
use super::{addr, external, fail, with_state, State};
use crate::call::{self, Call, NotifyBuffer, NotifyOp, QueryOp, SetOp, TrafficArg};
use crate::call::{QOS_NON_ADAPTIVE_FLOW, QOS_QUERYFLOW_FRESH};
use crate::model::{CallOutput, CallResult, Func, Win32Error};
use crate::tag::HandleValue;

fn opt_u32(p: *const u32) -> Option<u32> {
    // SAFETY (callers): p is NULL or a readable u32.
    (!p.is_null()).then(|| unsafe { p.read_unaligned() })
}

/// Ends a call: drains completions, sets the last error and `*Size` on failure.
fn finish(st: &mut State, r: &CallResult, size: *mut u32) -> bool {
    st.drain();
    match r {
        Ok(_) => true,
        Err(e) => {
            if let (Some(n), false) = (e.size, size.is_null()) {
                // SAFETY: non-NULL `Size` the caller passed.
                unsafe { size.write_unaligned(n) };
            }
            fail(e.code.0)
        }
    }
}

/// `QOSCreateHandle`. `version` points to `QOS_VERSION { u16, u16 }`; `out` to a
/// pointer-sized `HANDLE`.
///
/// # Safety
/// Each pointer is NULL or valid for its type.
pub(crate) unsafe fn create_handle(version: *const u16, out: *mut usize) -> bool {
    with_state("QOSCreateHandle", |st| {
        let call = call::CreateHandle {
            handle: (),
            version: (!version.is_null())
                .then(|| unsafe { (version.read_unaligned(), version.add(1).read_unaligned()) }),
            out: !out.is_null(),
        };
        let r = st.model.apply(Call::CreateHandle(call));
        if let Ok(CallOutput::Handle(h)) = r {
            unsafe { out.write_unaligned(h as usize) };
        }
        finish(st, &r, std::ptr::null_mut())
    })
}

/// `QOSCloseHandle`.
pub(crate) fn close_handle(handle: u64) -> bool {
    with_state("QOSCloseHandle", |st| {
        let r = st.model.apply(Call::CloseHandle(call::CloseHandle { handle }));
        if r.is_ok() {
            st.io.forget_handle(HandleValue(handle));
        }
        finish(st, &r, std::ptr::null_mut())
    })
}

/// `QOSAddSocketToFlow`. `dest` is a `SOCKADDR*` (NULL allowed).
///
/// # Safety
/// Each pointer is NULL or valid for its type.
pub(crate) unsafe fn add_socket_to_flow(
    handle: u64,
    socket: u64,
    dest: *const u8,
    traffic_type: i32,
    flags: u32,
    flow_id: *mut u32,
) -> bool {
    with_state("QOSAddSocketToFlow", |st| {
        external::observe(&mut st.model, socket);
        let call = call::AddSocketToFlow {
            handle,
            socket,
            dest: unsafe { addr::read(dest) },
            traffic_type: TrafficArg::from_raw(traffic_type),
            non_adaptive: flags & QOS_NON_ADAPTIVE_FLOW != 0,
            flags: flags & !QOS_NON_ADAPTIVE_FLOW,
            flow: opt_u32(flow_id),
        };
        let r = st.model.apply(Call::AddSocketToFlow(call));
        if let Ok(CallOutput::Flow(id)) = r {
            unsafe { flow_id.write_unaligned(id) };
        }
        finish(st, &r, std::ptr::null_mut())
    })
}

/// `QOSRemoveSocketFromFlow` (`socket` 0 = the whole flow).
pub(crate) fn remove_socket_from_flow(handle: u64, socket: u64, flow: u32, flags: u32) -> bool {
    with_state("QOSRemoveSocketFromFlow", |st| {
        if socket != 0 {
            external::observe(&mut st.model, socket);
        }
        let call = call::RemoveSocketFromFlow {
            handle,
            socket,
            flow,
            flags,
        };
        let r = st.model.apply(Call::RemoveSocketFromFlow(call));
        finish(st, &r, std::ptr::null_mut())
    })
}

/// Where the result of an overlapped-capable call goes, as the caller passed it.
struct Outputs {
    /// The `OVERLAPPED*` (NULL = synchronous).
    ov: *mut u8,
    /// `Size*` (NULL for `QOSSetFlow`, whose `Size` is a value).
    size: *mut u32,
    /// `Buffer*` the result is written to (NULL for `QOSSetFlow`).
    buf: *mut u8,
    /// `*Size` at issue time.
    cap: u32,
}

/// The end of every overlapped-capable call: a request the model answered with
/// `ERROR_IO_PENDING` is remembered with where its result goes (GEN-3); then the OVERLAPPED's
/// key is released unless a request still uses it (keys live only while pending).
unsafe fn settle_overlapped(st: &mut State, r: &CallResult, handle: u64, out: &Outputs, func: Func) {
    if out.ov.is_null() {
        return;
    }
    if is_pending(r) {
        let io = PendingIo {
            ov: out.ov as usize,
            size: out.size as usize,
            buf: out.buf as usize,
            cap: out.cap,
            event: unsafe { super::io::Io::event_of(out.ov as usize) },
            func,
        };
        unsafe { st.io.begin(HandleValue(handle), io) };
    }
    st.io.release_key(out.ov as usize);
}

fn is_pending(r: &CallResult) -> bool {
    matches!(r, Err(e) if e.code == Win32Error::ERROR_IO_PENDING)
}

/// `QOSSetFlow`. The `size` bytes of `buffer` reach the model only when `size` is the
/// operation's size, so nothing reads past a short buffer.
///
/// # Safety
/// `buffer` is NULL or readable for `size` bytes; `ov` is NULL or a writable OVERLAPPED.
pub(crate) unsafe fn set_flow(
    handle: u64,
    flow: u32,
    op: i32,
    size: u32,
    buffer: *const u8,
    flags: u32,
    ov: *mut u8,
) -> bool {
    with_state("QOSSetFlow", |st| {
        let bytes: Option<&[u8]> = if buffer.is_null() {
            None
        } else if SetOp::size_of(op) == Some(size) {
            Some(unsafe { std::slice::from_raw_parts(buffer, size as usize) })
        } else {
            Some(&[])
        };
        let call = call::SetFlow {
            handle,
            flow,
            op: SetOp::from_c(op, size, bytes),
            flags,
            overlapped: (!ov.is_null()).then(|| st.io.key_of(ov as usize)),
        };
        let r = st.model.apply(Call::SetFlow(call));
        let out = Outputs {
            ov,
            size: std::ptr::null_mut(),
            buf: std::ptr::null_mut(),
            cap: 0,
        };
        unsafe { settle_overlapped(st, &r, handle, &out, Func::SetFlow) };
        finish(st, &r, std::ptr::null_mut())
    })
}

/// `QOSQueryFlow`.
///
/// # Safety
/// `size` is NULL or a valid `u32`; `buffer` NULL or writable for `*size` bytes; `ov` NULL or a
/// writable OVERLAPPED; with `ov`, all stay valid until completion (QRY-15).
pub(crate) unsafe fn query_flow(
    handle: u64,
    flow: u32,
    op: i32,
    size: *mut u32,
    buffer: *mut u8,
    flags: u32,
    ov: *mut u8,
) -> bool {
    with_state("QOSQueryFlow", |st| {
        let cap = opt_u32(size);
        let call = call::QueryFlow {
            handle,
            flow,
            op: QueryOp::from_code(op),
            size: cap,
            buffer: !buffer.is_null(),
            fresh: flags & QOS_QUERYFLOW_FRESH != 0,
            flags: flags & !QOS_QUERYFLOW_FRESH,
            overlapped: (!ov.is_null()).then(|| st.io.key_of(ov as usize)),
        };
        let r = st.model.apply(Call::QueryFlow(call));
        if let Ok(CallOutput::Data(d, _)) = r {
            unsafe { write_data(buffer as usize, size as usize, cap.unwrap_or(0), Some(d)) };
        }
        let out = Outputs {
            ov,
            size,
            buf: buffer,
            cap: cap.unwrap_or(0),
        };
        unsafe { settle_overlapped(st, &r, handle, &out, Func::QueryFlow) };
        finish(st, &r, size)
    })
}

/// `QOSNotifyFlow`'s `Operation` and `Buffer`: for `QOSNotifyAvailable` the `UINT64` target is
/// read from `buffer` only when `*size >= 8`; any other non-NULL buffer holds a value the model
/// does not use.
///
/// # Safety
/// `buffer` is NULL or readable for `cap` bytes.
unsafe fn notify_op(op: i32, cap: Option<u32>, buffer: *const u8) -> (NotifyOp, NotifyBuffer) {
    let value = match (buffer.is_null(), op, cap) {
        (true, _, _) => None,
        (false, 2, Some(n)) if n >= 8 => Some(unsafe { (buffer as *const u64).read_unaligned() }),
        (false, _, _) => Some(0),
    };
    let op = match op {
        0 => NotifyOp::Congested,
        1 => NotifyOp::Uncongested,
        2 => NotifyOp::Available(value.unwrap_or(0)),
        v => NotifyOp::Raw(v),
    };
    (op, value.map_or(NotifyBuffer::Null, NotifyBuffer::Value))
}

/// `QOSNotifyFlow`.
///
/// # Safety
/// As [`query_flow`].
pub(crate) unsafe fn notify_flow(
    handle: u64,
    flow: u32,
    op: i32,
    size: *mut u32,
    buffer: *mut u8,
    flags: u32,
    ov: *mut u8,
) -> bool {
    with_state("QOSNotifyFlow", |st| {
        let cap = opt_u32(size);
        let (op, buf) = unsafe { notify_op(op, cap, buffer) };
        let call = call::NotifyFlow {
            handle,
            flow,
            op,
            size: cap,
            buffer: buf,
            flags,
            overlapped: (!ov.is_null()).then(|| st.io.key_of(ov as usize)),
        };
        let r = st.model.apply(Call::NotifyFlow(call));
        let r = super::wait::unless_blocked(st, r); // NOT-12: blocks with the sim unlocked
        if let Ok(out) = &r {
            let (data, bytes) = match out {
                CallOutput::Data(d, n) => (Some(*d), *n),
                _ => (None, 0),
            };
            unsafe { write_data(buffer as usize, size as usize, cap.unwrap_or(0), data) };
            if !ov.is_null() {
                // AMB-32 `ReturnTrue`: finished at once, the OVERLAPPED still completes.
                unsafe { st.io.complete_now(HandleValue(handle), ov as usize, bytes) };
            }
        }
        let out = Outputs {
            ov,
            size,
            buf: buffer,
            cap: cap.unwrap_or(0),
        };
        unsafe { settle_overlapped(st, &r, handle, &out, Func::NotifyFlow) };
        finish(st, &r, size)
    })
}

/// `QOSCancel`.
pub(crate) fn cancel(handle: u64, ov: *const u8) -> bool {
    with_state("QOSCancel", |st| {
        let overlapped = (!ov.is_null()).then(|| st.io.key_of(ov as usize));
        let r = st.model.apply(Call::Cancel(call::Cancel { handle, overlapped }));
        if !ov.is_null() {
            st.io.release_key(ov as usize); // a key lives only while a request uses it
        }
        finish(st, &r, std::ptr::null_mut())
    })
}

/// `QOSEnumerateFlows`: writes the flow ids as `u32`s.
///
/// # Safety
/// `size` is NULL or a valid `u32`; `buffer` NULL or writable for `*size` bytes.
pub(crate) unsafe fn enumerate_flows(handle: u64, size: *mut u32, buffer: *mut u8) -> bool {
    with_state("QOSEnumerateFlows", |st| {
        let cap = opt_u32(size);
        let call = call::EnumerateFlows {
            handle,
            size: cap,
            buffer: !buffer.is_null(),
        };
        let r = st.model.apply(Call::EnumerateFlows(call));
        if let Ok(CallOutput::Flows(ids)) = &r {
            let n = ids.len().min(cap.unwrap_or(0) as usize / 4);
            let out = buffer as *mut u32;
            for (i, id) in ids.iter().take(n).enumerate() {
                unsafe { out.add(i).write_unaligned(*id) };
            }
            unsafe { size.write_unaligned((ids.len() * 4) as u32) };
        }
        finish(st, &r, size)
    })
}

/// `QOSStartTrackingClient` (`start`) or `QOSStopTrackingClient`.
///
/// # Safety
/// `dest` is NULL or a readable `SOCKADDR` of its family.
pub(crate) unsafe fn tracking(handle: u64, dest: *const u8, flags: u32, start: bool) -> bool {
    let name = if start {
        "QOSStartTrackingClient"
    } else {
        "QOSStopTrackingClient"
    };
    with_state(name, |st| {
        let c = call::Tracking {
            handle,
            client: unsafe { addr::read(dest) },
            flags,
        };
        let call = if start {
            Call::StartTrackingClient(c)
        } else {
            Call::StopTrackingClient(c)
        };
        let r = st.model.apply(call);
        finish(st, &r, std::ptr::null_mut())
    })
}

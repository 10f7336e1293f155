//! The 11 qos2.h functions on raw values: decode the caller's pointers (NULL → `None`) into a
//! [`Call`], apply it to the model, write the outputs (`*QOSHandle`, `*FlowId`, `*Size`, buffer
//! bytes), remember accepted overlapped requests, and set the last error on failure only
//! (GEN-1, GEN-2).
//!
//! Every function returns `true` for TRUE. Pointers are raw: a surface casts its typed
//! pointers to these.

use super::decode::{self, opt_u32, write_data};
use super::io::PendingIo;
use super::{external, fail, with_state, State};
use crate::call::{self, Call};
use crate::model::{CallOutput, CallResult, Func, Win32Error};
use crate::tag::HandleValue;

/// Ends a call: drains completions, sets the last error and `*Size` on failure.
fn finish(st: &mut State, r: &CallResult, size: *mut u32) -> bool {
    st.drain();
    match r {
        Ok(_) => true,
        Err(e) => {
            // SAFETY: `size` is NULL or the caller's `Size`.
            unsafe { decode::write_error_size(e, size) };
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
        let call = unsafe { decode::create_handle(version, out.is_null()) };
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
        external::observe(st, socket);
        let call = unsafe { decode::add_socket_to_flow(handle, socket, dest, traffic_type, flags, flow_id) };
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
            external::observe(st, socket);
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
    if let Ok(done) = r {
        // AMB-32 `ReturnTrue`: finished at once; the OVERLAPPED still completes (event, port).
        let bytes = match done {
            CallOutput::Data(_, n) => *n,
            _ => 0,
        };
        unsafe { st.io.complete_now(HandleValue(handle), out.ov as usize, bytes) };
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
        let key = (!ov.is_null()).then(|| st.io.key_of(ov as usize));
        let call = unsafe { decode::set_flow(handle, flow, op, size, buffer, flags, key) };
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
        let cap = unsafe { opt_u32(size) };
        let key = (!ov.is_null()).then(|| st.io.key_of(ov as usize));
        let call = unsafe { decode::query_flow(handle, flow, op, size, buffer.is_null(), flags, key) };
        let r = st.model.apply(Call::QueryFlow(call));
        if let Ok(CallOutput::Data(d, _)) = r {
            unsafe { write_data(buffer, size, cap.unwrap_or(0), Some(d)) };
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
        let cap = unsafe { opt_u32(size) };
        let key = (!ov.is_null()).then(|| st.io.key_of(ov as usize));
        let call = unsafe { decode::notify_flow(handle, flow, op, size, buffer, flags, key) };
        let r = st.model.apply(Call::NotifyFlow(call));
        let r = super::wait::unless_blocked(st, r); // NOT-12: blocks with the sim unlocked
        if let Ok(out) = &r {
            let data = match out {
                CallOutput::Data(d, _) => Some(*d),
                _ => None,
            };
            unsafe { write_data(buffer, size, cap.unwrap_or(0), data) };
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
        let cap = unsafe { opt_u32(size) };
        let call = unsafe { decode::enumerate_flows(handle, size, buffer.is_null()) };
        let r = st.model.apply(Call::EnumerateFlows(call));
        if let Ok(CallOutput::Flows(ids)) = &r {
            unsafe { decode::write_flows(ids, buffer, size, cap.unwrap_or(0)) };
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
        let c = unsafe { decode::tracking(handle, dest, flags) };
        let call = if start {
            Call::StartTrackingClient(c)
        } else {
            Call::StopTrackingClient(c)
        };
        let r = st.model.apply(call);
        finish(st, &r, std::ptr::null_mut())
    })
}

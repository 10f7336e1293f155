//! The 11 qos2.h functions on raw values: decode the caller's pointers (NULL → `None`), call
//! the model, write the outputs (`*QOSHandle`, `*FlowId`, `*Size`, buffer bytes), remember
//! accepted overlapped requests, and set the last error on failure only (GEN-1, GEN-2).
//!
//! Every function returns `true` for TRUE. Pointers are raw: a surface casts its typed
//! pointers to these.

use super::io::{write_data, PendingIo};
use super::{addr, external, fail, with_state, State};
use crate::model::api::set::set_size;
use crate::model::{CallOutput, CallResult, Func, Win32Error};

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
        let v = (!version.is_null())
            .then(|| unsafe { (version.read_unaligned(), version.add(1).read_unaligned()) });
        let r = st.model.create_handle(v, !out.is_null());
        if let Ok(CallOutput::Handle(h)) = r {
            unsafe { out.write_unaligned(h as usize) };
        }
        finish(st, &r, std::ptr::null_mut())
    })
}

/// `QOSCloseHandle`.
pub(crate) fn close_handle(handle: u64) -> bool {
    with_state("QOSCloseHandle", |st| {
        let r = st.model.close_handle(handle);
        if r.is_ok() {
            st.io.forget_handle(handle);
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
        let dest = unsafe { addr::read(dest) };
        let r = st
            .model
            .add_socket_to_flow(handle, socket, dest, traffic_type, flags, opt_u32(flow_id));
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
        let r = st.model.remove_socket_from_flow(handle, socket, flow, flags);
        finish(st, &r, std::ptr::null_mut())
    })
}

/// The end of every overlapped-capable call: a request the model answered with
/// `ERROR_IO_PENDING` is remembered with where its result goes (GEN-3); then the OVERLAPPED's
/// key is released unless a request still uses it (keys live only while pending).
#[allow(clippy::too_many_arguments)]
unsafe fn settle_overlapped(
    st: &mut State,
    r: &CallResult,
    handle: u64,
    ov: usize,
    size: usize,
    buf: usize,
    cap: u32,
    func: Func,
) {
    if ov == 0 {
        return;
    }
    if is_pending(r) {
        let event = unsafe { super::io::Io::event_of(ov) };
        let io = PendingIo {
            ov,
            size,
            buf,
            cap,
            event,
            func,
        };
        unsafe { st.io.begin(handle, io) };
    }
    st.io.release_key(ov);
}

fn is_pending(r: &CallResult) -> bool {
    matches!(r, Err(e) if e.code == Win32Error::ERROR_IO_PENDING)
}

/// `QOSSetFlow`. The `size` bytes of `buffer` reach the model only when `size` is the
/// operation's size (`set_size`), so nothing reads past a short buffer.
///
/// # Safety
/// `buffer` is NULL or readable for `size` bytes; `ov` is NULL or a writable OVERLAPPED.
#[allow(clippy::too_many_arguments)]
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
        let bytes: Option<&[u8]> = if buffer.is_null() {
            None
        } else if set_size(op) == Some(size) {
            Some(unsafe { std::slice::from_raw_parts(buffer, size as usize) })
        } else {
            Some(&[])
        };
        let r = st.model.set_flow(handle, flow, op, size, bytes, flags, key);
        unsafe { settle_overlapped(st, &r, handle, ov as usize, 0, 0, 0, Func::SetFlow) };
        finish(st, &r, std::ptr::null_mut())
    })
}

/// `QOSQueryFlow`.
///
/// # Safety
/// `size` is NULL or a valid `u32`; `buffer` NULL or writable for `*size` bytes; `ov` NULL or a
/// writable OVERLAPPED; with `ov`, all stay valid until completion (QRY-15).
#[allow(clippy::too_many_arguments)]
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
        let key = (!ov.is_null()).then(|| st.io.key_of(ov as usize));
        let cap = opt_u32(size);
        let r = st
            .model
            .query_flow(handle, flow, op, cap, !buffer.is_null(), flags, key);
        if let Ok(CallOutput::Data(d, _)) = r {
            unsafe { write_data(buffer as usize, size as usize, cap.unwrap_or(0), Some(d)) };
        }
        let cap = cap.unwrap_or(0);
        unsafe {
            settle_overlapped(
                st,
                &r,
                handle,
                ov as usize,
                size as usize,
                buffer as usize,
                cap,
                Func::QueryFlow,
            )
        };
        finish(st, &r, size)
    })
}

/// `QOSNotifyFlow`. For `QOSNotifyAvailable` the `UINT64` target is read from `buffer` only
/// when `*size >= 8`.
///
/// # Safety
/// As [`query_flow`].
#[allow(clippy::too_many_arguments)]
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
        let key = (!ov.is_null()).then(|| st.io.key_of(ov as usize));
        let cap = opt_u32(size);
        let target = match (buffer.is_null(), op, cap) {
            (true, _, _) => None,
            (false, 2, Some(n)) if n >= 8 => Some(unsafe { (buffer as *const u64).read_unaligned() }),
            (false, _, _) => Some(0), // non-NULL buffer whose contents the model will not use
        };
        let r = st.model.notify_flow(handle, flow, op, cap, target, flags, key);
        if let Ok(out) = &r {
            let (data, bytes) = match out {
                CallOutput::Data(d, n) => (Some(*d), *n),
                _ => (None, 0),
            };
            unsafe { write_data(buffer as usize, size as usize, cap.unwrap_or(0), data) };
            if !ov.is_null() {
                // AMB-32 `ReturnTrue`: finished at once, the OVERLAPPED still completes.
                unsafe { st.io.complete_now(handle, ov as usize, bytes) };
            }
        }
        let cap = cap.unwrap_or(0);
        unsafe {
            settle_overlapped(
                st,
                &r,
                handle,
                ov as usize,
                size as usize,
                buffer as usize,
                cap,
                Func::NotifyFlow,
            )
        };
        finish(st, &r, size)
    })
}

/// `QOSCancel`.
pub(crate) fn cancel(handle: u64, ov: *const u8) -> bool {
    with_state("QOSCancel", |st| {
        let key = (!ov.is_null()).then(|| st.io.key_of(ov as usize));
        let r = st.model.cancel(handle, key);
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
        let r = st.model.enumerate_flows(handle, cap, !buffer.is_null());
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
        let dest = unsafe { addr::read(dest) };
        let r = if start {
            st.model.start_tracking_client(handle, dest, flags)
        } else {
            st.model.stop_tracking_client(handle, dest, flags)
        };
        finish(st, &r, std::ptr::null_mut())
    })
}

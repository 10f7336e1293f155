//! Kernel objects and overlapped results on raw values: events, I/O completion ports,
//! `GetOverlappedResult`, `CancelIoEx`, `WaitForSingleObject`, `CloseHandle`.

use super::io::{Io, Object, Packet, RawOverlapped, STATUS_PENDING};
use super::wait::{wait, Outcome};
use super::{fail, with_state, State};
use crate::call::{self, Call};
use crate::model::{Func, HandleState, Win32Error};
use crate::tag::HandleValue;

/// `INVALID_HANDLE_VALUE` as a raw value.
pub(crate) const INVALID_HANDLE: u64 = u64::MAX;
/// `WAIT_OBJECT_0`.
pub(crate) const WAIT_OBJECT_0: u32 = 0;
/// `WAIT_TIMEOUT` (also the last error of a timed-out `GetQueuedCompletionStatus`).
pub(crate) const WAIT_TIMEOUT: u32 = 258;
/// `WAIT_FAILED`.
pub(crate) const WAIT_FAILED: u32 = u32::MAX;
/// `ERROR_ABANDONED_WAIT_0`: the completion port was closed during the wait.
pub(crate) const ERROR_ABANDONED_WAIT_0: u32 = 735;

fn einval() -> bool {
    fail(Win32Error::ERROR_INVALID_PARAMETER.0)
}

fn ehandle() -> bool {
    fail(Win32Error::ERROR_INVALID_HANDLE.0)
}

/// `CreateEventW`: the new event's value, or `None` with the last error set.
pub(crate) fn create_event(manual_reset: bool, initial: bool) -> Option<u64> {
    with_state("CreateEventW", |st| {
        let e = st.io.create_event(manual_reset, initial);
        if e.is_none() {
            fail(Win32Error::ERROR_NO_SYSTEM_RESOURCES.0);
        }
        e
    })
}

/// `SetEvent` (`signaled`) / `ResetEvent`.
pub(crate) fn set_event(value: u64, signaled: bool) -> bool {
    let name = if signaled { "SetEvent" } else { "ResetEvent" };
    with_state(name, |st| st.io.set_event(value, signaled) || ehandle())
}

/// The qWAVE function of a pending request matching `f`, for deadlock reports.
fn concerns(st: &State, f: impl Fn(&(HandleValue, u64), &super::io::PendingIo) -> bool) -> Option<Func> {
    st.io.pending_ios().find(|(k, p)| f(k, p)).map(|(_, p)| p.func)
}

/// `WaitForSingleObject` on a sim event: `WAIT_OBJECT_0`, `WAIT_TIMEOUT` (also after a
/// deadlocked infinite wait, AMB-31) or `WAIT_FAILED` + `ERROR_INVALID_HANDLE`. The sim is
/// unlocked while it waits: a `SetEvent` from another thread ends it (`wait`).
pub(crate) fn wait_for_single_object(value: u64, timeout_ms: u32) -> u32 {
    with_state("WaitForSingleObject", |st| {
        if st.io.event_signaled(value).is_none() {
            ehandle();
            return WAIT_FAILED;
        }
        let about = concerns(st, |_, p| p.event & !1 == value);
        let claim = move |s: &mut State| {
            (s.io.event_signaled(value) == Some(true)).then(|| {
                s.io.consume_event(value);
                Outcome::Ready
            })
        };
        match wait(st, timeout_ms, about, claim) {
            Ok(_) => WAIT_OBJECT_0,
            Err(_) => WAIT_TIMEOUT,
        }
    })
}

/// Most handles one `WaitForMultipleObjects` takes (`MAXIMUM_WAIT_OBJECTS`).
pub(crate) const MAXIMUM_WAIT_OBJECTS: usize = 64;

/// `WaitForMultipleObjects` on sim events: `WAIT_OBJECT_0 + i` for the lowest signaled index
/// (any) or once all are signaled (`wait_all`, then `WAIT_OBJECT_0`); `WAIT_TIMEOUT` (also
/// after a deadlocked infinite wait, AMB-31); `WAIT_FAILED` with `ERROR_INVALID_PARAMETER` for
/// no handles, more than 64, or a duplicate with `wait_all`, or `ERROR_INVALID_HANDLE` for
/// anything that is not a live sim event. Auto-reset events the wait is satisfied by are reset.
pub(crate) fn wait_for_multiple_objects(values: &[u64], wait_all: bool, timeout_ms: u32) -> u32 {
    with_state("WaitForMultipleObjects", |st| {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        if values.is_empty()
            || values.len() > MAXIMUM_WAIT_OBJECTS
            || (wait_all && sorted.len() != values.len())
        {
            einval();
            return WAIT_FAILED;
        }
        if values.iter().any(|&v| st.io.event_signaled(v).is_none()) {
            ehandle();
            return WAIT_FAILED;
        }
        let about = values
            .iter()
            .find_map(|&v| concerns(st, |_, p| p.event & !1 == v));
        let values = values.to_vec();
        let claim = move |s: &mut State| {
            let on = |v: &u64| s.io.event_signaled(*v) == Some(true);
            if wait_all {
                if !values.iter().all(on) {
                    return None;
                }
                for &v in &values {
                    s.io.consume_event(v);
                }
                return Some(Outcome::Index(0));
            }
            let i = values.iter().position(on)?;
            s.io.consume_event(values[i]);
            Some(Outcome::Index(i))
        };
        match wait(st, timeout_ms, about, claim) {
            Ok(Outcome::Index(i)) => WAIT_OBJECT_0 + i as u32,
            Ok(_) => WAIT_OBJECT_0,
            Err(_) => WAIT_TIMEOUT,
        }
    })
}

/// `CloseHandle` on a sim event or completion port.
pub(crate) fn close_handle(value: u64) -> bool {
    with_state("CloseHandle", |st| st.io.close(value) || ehandle())
}

/// Reads `Internal` / `InternalHigh`.
///
/// # Safety
/// `ov` points to a readable OVERLAPPED.
unsafe fn status_of(ov: usize) -> (usize, usize) {
    let o = ov as *const RawOverlapped;
    unsafe { ((*o).internal, (*o).internal_high) }
}

/// `GetOverlappedResult`: the final status of a request. Pending and `!wait` →
/// `ERROR_IO_INCOMPLETE`; pending and `wait` → runs virtual time until it completes, or
/// `ERROR_IO_INCOMPLETE` after a deadlock (AMB-31).
///
/// # Safety
/// `ov` is NULL or a readable OVERLAPPED; `bytes` NULL or a writable `u32`.
pub(crate) unsafe fn get_overlapped_result(handle: u64, ov: *const u8, bytes: *mut u32, wait_: bool) -> bool {
    with_state("GetOverlappedResult", |st| {
        if ov.is_null() {
            return einval();
        }
        let ov = ov as usize;
        st.settle();
        if unsafe { status_of(ov) }.0 == STATUS_PENDING {
            if !wait_ {
                return fail(Win32Error::ERROR_IO_INCOMPLETE.0);
            }
            let about = concerns(st, |&(h, _), p| h == HandleValue(handle) && p.ov == ov)
                .or_else(|| concerns(st, |_, p| p.ov == ov));
            let claim = move |s: &mut State| {
                // SAFETY: the OVERLAPPED stays valid while its owner waits in this call.
                if unsafe { status_of(ov) }.0 == STATUS_PENDING {
                    return None;
                }
                // The wait was on hEvent: an auto-reset event is consumed by it.
                let event = unsafe { Io::event_of(ov) };
                if event != 0 {
                    s.io.consume_event(event & !1);
                }
                Some(Outcome::Ready)
            };
            if wait(st, super::wait::INFINITE, about, claim).is_err() {
                return fail(Win32Error::ERROR_IO_INCOMPLETE.0);
            }
        }
        let (status, n) = unsafe { status_of(ov) };
        if !bytes.is_null() {
            unsafe { bytes.write_unaligned(n as u32) };
        }
        // `Internal` holds an NTSTATUS; Windows reports its Win32 code (RtlNtStatusToDosError).
        match super::io::win32_of_ntstatus(status as u32) {
            0 => true,
            code => fail(code),
        }
    })
}

/// `CancelIoEx` on a QoS handle: cancels the request of `ov`, or every pending request of the
/// handle when `ov` is NULL (each completes with `ERROR_OPERATION_ABORTED`, CAN-3).
pub(crate) fn cancel_io_ex(handle: u64, ov: *const u8) -> bool {
    with_state("CancelIoEx", |st| {
        if st
            .model
            .handle(handle)
            .is_none_or(|h| h.state != HandleState::Open)
        {
            return ehandle();
        }
        let keys: Vec<u64> = if ov.is_null() {
            st.io
                .pending
                .keys()
                .filter(|(h, _)| *h == HandleValue(handle))
                .map(|(_, k)| *k)
                .collect()
        } else {
            st.io.known_key(ov as usize).into_iter().collect()
        };
        let mut any = false;
        for k in keys {
            if st.model.is_pending(handle, k) {
                let cancel = Call::Cancel(call::Cancel {
                    handle,
                    overlapped: Some(k),
                });
                any |= st.model.apply(cancel).is_ok();
            }
        }
        st.drain();
        any || fail(Win32Error::ERROR_NOT_FOUND.0)
    })
}

/// `CreateIoCompletionPort`: a new port (`file` = `INVALID_HANDLE_VALUE`, `existing` 0), or
/// binds the QoS handle `file` to `existing` (or to a new port) with `key` (GEN-5, CRE-10).
pub(crate) fn create_io_completion_port(file: u64, existing: u64, key: usize) -> Option<u64> {
    with_state("CreateIoCompletionPort", |st| {
        if file == INVALID_HANDLE {
            if existing != 0 {
                einval();
                return None;
            }
            return st.io.create_port().or_else(|| {
                fail(Win32Error::ERROR_NO_SYSTEM_RESOURCES.0);
                None
            });
        }
        if st.model.handle(file).is_none_or(|h| h.state != HandleState::Open) {
            ehandle();
            return None;
        }
        let port = if existing == 0 {
            match st.io.create_port() {
                Some(p) => p,
                None => {
                    fail(Win32Error::ERROR_NO_SYSTEM_RESOURCES.0);
                    return None;
                }
            }
        } else if matches!(st.io.object(existing), Some(Object::Port(_))) {
            existing
        } else {
            einval();
            return None;
        };
        if !st.io.associate(HandleValue(file), port, key) {
            einval();
            return None;
        }
        Some(port)
    })
}

/// `GetQueuedCompletionStatus`. On a dequeued failed request: FALSE with `*ov` set and the
/// request's error; on timeout (or a deadlocked infinite wait): FALSE, `*ov` NULL,
/// `WAIT_TIMEOUT`; when another thread closes the port during the wait: FALSE, `*ov` NULL,
/// `ERROR_ABANDONED_WAIT_0`.
///
/// # Safety
/// Each out-pointer is NULL or writable.
pub(crate) unsafe fn get_queued_completion_status(
    port: u64,
    bytes: *mut u32,
    key: *mut usize,
    ov: *mut usize,
    timeout_ms: u32,
) -> bool {
    with_state("GetQueuedCompletionStatus", |st| {
        if !matches!(st.io.object(port), Some(Object::Port(_))) {
            return ehandle();
        }
        if bytes.is_null() || key.is_null() || ov.is_null() {
            return fail(Win32Error::ERROR_INVALID_PARAMETER.0);
        }
        let bound = st.io.handles_on(port);
        let about = concerns(st, |&(h, _), _| bound.contains(&h));
        // A port closed by another thread while this one waits: ERROR_ABANDONED_WAIT_0, as on
        // Windows (how apps stop their completion threads).
        let claim = move |s: &mut State| match s.io.object(port) {
            Some(Object::Port(_)) => s.io.pop_packet(port).map(Outcome::Packet),
            _ => Some(Outcome::Abandoned),
        };
        let packet = match wait(st, timeout_ms, about, claim) {
            Ok(Outcome::Packet(p)) => Some(p),
            Ok(Outcome::Abandoned) => {
                unsafe { ov.write_unaligned(0) };
                return fail(ERROR_ABANDONED_WAIT_0);
            }
            _ => None,
        };
        let Some(Packet {
            bytes: n,
            key: k,
            ov: o,
            status,
        }) = packet
        else {
            unsafe { ov.write_unaligned(0) };
            return fail(WAIT_TIMEOUT);
        };
        unsafe {
            bytes.write_unaligned(n);
            key.write_unaligned(k);
            ov.write_unaligned(o);
        }
        status == 0 || fail(status)
    })
}

/// `PostQueuedCompletionStatus`.
pub(crate) fn post_queued_completion_status(port: u64, bytes: u32, key: usize, ov: usize) -> bool {
    with_state("PostQueuedCompletionStatus", |st| {
        st.io.post(
            port,
            Packet {
                bytes,
                key,
                ov,
                status: 0,
            },
        ) || ehandle()
    })
}

//! `windows_sys::Win32::System::IO`: `OVERLAPPED`, `GetOverlappedResult`, `CancelIoEx` and I/O
//! completion ports, on the virtual clock.
//!
//! As on Windows, `OVERLAPPED.Internal` holds an NTSTATUS: `STATUS_PENDING` (0x103) while the
//! request is outstanding, then `STATUS_SUCCESS` or the failure's NTSTATUS (`STATUS_CANCELLED`
//! for `ERROR_OPERATION_ABORTED`, …), zero-extended; `GetOverlappedResult` maps it to the Win32
//! code.
//! The functions here report statuses exactly as Windows does.

use crate::surface::kernel;
use crate::windows_sys::core::BOOL;
use crate::windows_sys::Win32::Foundation::HANDLE;
use crate::windows_sys::{from_raw, raw, zeroed_default};

/// The state of an overlapped request (32 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct OVERLAPPED {
    /// Status: `STATUS_PENDING` while outstanding, then the NTSTATUS of the result.
    pub Internal: usize,
    /// Bytes transferred.
    pub InternalHigh: usize,
    /// Offset or pointer.
    pub Anonymous: OVERLAPPED_0,
    /// Event signaled on completion (a sim event from `CreateEventW`), or NULL.
    pub hEvent: HANDLE,
}

/// File offset or pointer of an `OVERLAPPED`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union OVERLAPPED_0 {
    /// Offset.
    pub Anonymous: OVERLAPPED_0_0,
    /// Pointer.
    pub Pointer: *mut core::ffi::c_void,
}

/// File offset of an `OVERLAPPED`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct OVERLAPPED_0_0 {
    /// Low part.
    pub Offset: u32,
    /// High part.
    pub OffsetHigh: u32,
}

zeroed_default!(OVERLAPPED, OVERLAPPED_0);

#[cfg(target_pointer_width = "64")]
const _: () = assert!(core::mem::size_of::<OVERLAPPED>() == 32);

/// The final status of an overlapped request: `TRUE` with `*lpnumberofbytestransferred`, or
/// `FALSE` with its error. Pending with `bwait == FALSE` → `ERROR_IO_INCOMPLETE`; with `bwait`
/// it runs virtual time until the request completes, or fails with `ERROR_IO_INCOMPLETE` after
/// recording a deadlock when nothing scheduled can complete it (AMB-31).
///
/// # Safety
/// `lpoverlapped` is NULL or a readable OVERLAPPED; `lpnumberofbytestransferred` NULL or
/// writable.
pub unsafe extern "system" fn GetOverlappedResult(
    hfile: HANDLE,
    lpoverlapped: *const OVERLAPPED,
    lpnumberofbytestransferred: *mut u32,
    bwait: BOOL,
) -> BOOL {
    let (h, ov, wait) = (raw(hfile), lpoverlapped.cast(), bwait != 0);
    BOOL::from(unsafe { kernel::get_overlapped_result(h, ov, lpnumberofbytestransferred, wait) })
}

/// Cancels the request of `lpoverlapped` on a QoS handle, or all of its requests (NULL); they
/// complete with `ERROR_OPERATION_ABORTED`. `ERROR_NOT_FOUND` if none was pending.
///
/// # Safety
/// Always safe in the sim (the pointer is only compared).
pub unsafe extern "system" fn CancelIoEx(hfile: HANDLE, lpoverlapped: *const OVERLAPPED) -> BOOL {
    BOOL::from(kernel::cancel_io_ex(raw(hfile), lpoverlapped.cast()))
}

/// Creates a completion port (`filehandle` = `INVALID_HANDLE_VALUE`) or binds a QoS handle to
/// one (GEN-5, CRE-10): its overlapped completions are then queued there with `completionkey`.
/// NULL with the last error on failure.
///
/// # Safety
/// Always safe in the sim.
pub unsafe extern "system" fn CreateIoCompletionPort(
    filehandle: HANDLE,
    existingcompletionport: HANDLE,
    completionkey: usize,
    _numberofconcurrentthreads: u32,
) -> HANDLE {
    let (file, existing) = (raw(filehandle), raw(existingcompletionport));
    kernel::create_io_completion_port(file, existing, completionkey).map_or(core::ptr::null_mut(), from_raw)
}

/// Dequeues a completion packet, waiting up to `dwmilliseconds` of virtual time. A failed
/// request → `FALSE` with `*lpoverlapped` set; timeout → `FALSE` + `WAIT_TIMEOUT` with
/// `*lpoverlapped` NULL (also after a deadlocked `INFINITE` wait, AMB-31).
///
/// # Safety
/// Out-pointers are NULL or writable.
pub unsafe extern "system" fn GetQueuedCompletionStatus(
    completionport: HANDLE,
    lpnumberofbytestransferred: *mut u32,
    lpcompletionkey: *mut usize,
    lpoverlapped: *mut *mut OVERLAPPED,
    dwmilliseconds: u32,
) -> BOOL {
    let (port, ov) = (raw(completionport), lpoverlapped.cast());
    let (bytes, key) = (lpnumberofbytestransferred, lpcompletionkey);
    BOOL::from(unsafe { kernel::get_queued_completion_status(port, bytes, key, ov, dwmilliseconds) })
}

/// Queues a packet on a completion port.
///
/// # Safety
/// Always safe in the sim.
pub unsafe extern "system" fn PostQueuedCompletionStatus(
    completionport: HANDLE,
    dwnumberofbytestransferred: u32,
    dwcompletionkey: usize,
    lpoverlapped: *const OVERLAPPED,
) -> BOOL {
    let (port, ov) = (raw(completionport), lpoverlapped as usize);
    BOOL::from(kernel::post_queued_completion_status(
        port,
        dwnumberofbytestransferred,
        dwcompletionkey,
        ov,
    ))
}

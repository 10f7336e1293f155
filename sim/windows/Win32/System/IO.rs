//! `windows::Win32::System::IO`: `OVERLAPPED`, `GetOverlappedResult`, `CancelIoEx` and I/O
//! completion ports, on the virtual clock.
//!
//! As on Windows, `OVERLAPPED.Internal` holds an NTSTATUS: `STATUS_PENDING` (0x103) while the
//! request is outstanding, then `STATUS_SUCCESS` or the failure's NTSTATUS (`STATUS_CANCELLED`
//! for `ERROR_OPERATION_ABORTED`, …), zero-extended; `GetOverlappedResult` maps it to the Win32
//! code.
//! The functions here report statuses exactly as Windows does.

use crate::surface::kernel;
use crate::windows::core::{Result, BOOL};
use crate::windows::Win32::Foundation::{from_raw, raw, HANDLE};

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

#[allow(clippy::derivable_impls)] // the real crate derives only Clone, Copy
impl Default for OVERLAPPED {
    fn default() -> Self {
        OVERLAPPED {
            Internal: 0,
            InternalHigh: 0,
            Anonymous: OVERLAPPED_0::default(),
            hEvent: HANDLE::default(),
        }
    }
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

impl Default for OVERLAPPED_0 {
    fn default() -> Self {
        OVERLAPPED_0 {
            Anonymous: OVERLAPPED_0_0::default(),
        }
    }
}

/// File offset of an `OVERLAPPED`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OVERLAPPED_0_0 {
    /// Low part.
    pub Offset: u32,
    /// High part.
    pub OffsetHigh: u32,
}

#[cfg(target_pointer_width = "64")]
const _: () = assert!(core::mem::size_of::<OVERLAPPED>() == 32);

/// The final status of an overlapped request: `Ok` with `*bytes`, or its error. Pending with
/// `bwait == false` → `ERROR_IO_INCOMPLETE`; with `bwait == true` it runs virtual time until the
/// request completes, or fails with `ERROR_IO_INCOMPLETE` after recording a deadlock when
/// nothing scheduled can complete it (AMB-31).
///
/// # Safety
/// `lpoverlapped` is NULL or a readable OVERLAPPED; `lpnumberofbytestransferred` NULL or
/// writable.
#[inline]
pub unsafe fn GetOverlappedResult(
    hfile: HANDLE,
    lpoverlapped: *const OVERLAPPED,
    lpnumberofbytestransferred: *mut u32,
    bwait: bool,
) -> Result<()> {
    let ok = unsafe {
        kernel::get_overlapped_result(raw(hfile), lpoverlapped.cast(), lpnumberofbytestransferred, bwait)
    };
    BOOL(ok as i32).ok()
}

/// Cancels the request of `lpoverlapped` on a QoS handle, or all of its requests (`None`);
/// they complete with `ERROR_OPERATION_ABORTED`. `ERROR_NOT_FOUND` if none was pending.
///
/// # Safety
/// Always safe in the sim (the pointer is only compared).
#[inline]
pub unsafe fn CancelIoEx(hfile: HANDLE, lpoverlapped: Option<*const OVERLAPPED>) -> Result<()> {
    let ov = lpoverlapped.unwrap_or(core::ptr::null());
    BOOL(kernel::cancel_io_ex(raw(hfile), ov.cast()) as i32).ok()
}

/// Creates a completion port (`filehandle` = `INVALID_HANDLE_VALUE`) or binds a QoS handle to
/// one (GEN-5, CRE-10): its overlapped completions are then queued there with `completionkey`.
///
/// # Safety
/// Always safe in the sim.
#[inline]
pub unsafe fn CreateIoCompletionPort(
    filehandle: HANDLE,
    existingcompletionport: Option<HANDLE>,
    completionkey: usize,
    _numberofconcurrentthreads: u32,
) -> Result<HANDLE> {
    let existing = existingcompletionport.map(raw).unwrap_or(0);
    match kernel::create_io_completion_port(raw(filehandle), existing, completionkey) {
        Some(port) => Ok(from_raw(port)),
        None => Err(crate::windows::core::Error::from_thread()),
    }
}

/// Dequeues a completion packet, waiting up to `dwmilliseconds` of virtual time. A failed
/// request → `Err` with `*lpoverlapped` set; timeout → `Err(WAIT_TIMEOUT)` with
/// `*lpoverlapped` NULL (also after a deadlocked `INFINITE` wait, AMB-31).
///
/// # Safety
/// Out-pointers are writable.
#[inline]
pub unsafe fn GetQueuedCompletionStatus(
    completionport: HANDLE,
    lpnumberofbytestransferred: *mut u32,
    lpcompletionkey: *mut usize,
    lpoverlapped: *mut *mut OVERLAPPED,
    dwmilliseconds: u32,
) -> Result<()> {
    let ok = unsafe {
        kernel::get_queued_completion_status(
            raw(completionport),
            lpnumberofbytestransferred,
            lpcompletionkey,
            lpoverlapped.cast(),
            dwmilliseconds,
        )
    };
    BOOL(ok as i32).ok()
}

/// Queues a packet on a completion port.
///
/// # Safety
/// Always safe in the sim.
#[inline]
pub unsafe fn PostQueuedCompletionStatus(
    completionport: HANDLE,
    dwnumberofbytestransferred: u32,
    dwcompletionkey: usize,
    lpoverlapped: Option<*const OVERLAPPED>,
) -> Result<()> {
    let ov = lpoverlapped.unwrap_or(core::ptr::null()) as usize;
    let ok = kernel::post_queued_completion_status(
        raw(completionport),
        dwnumberofbytestransferred,
        dwcompletionkey,
        ov,
    );
    BOOL(ok as i32).ok()
}

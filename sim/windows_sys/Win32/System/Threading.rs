//! `windows_sys::Win32::System::Threading`: events and `WaitForSingleObject`, on the virtual
//! clock.
//!
//! A wait never sleeps: it runs the sim's scheduled events (writing completions as they
//! arrive) until the event is signaled. A finite timeout advances virtual time by at most
//! that much; an `INFINITE` wait that nothing scheduled can end is a deadlock (AMB-31): it is
//! recorded (`Sim::deadlocks`) and the wait returns `WAIT_TIMEOUT` instead of hanging. The
//! simulator is unlocked while a wait blocks: another thread's `SetEvent` ends it.

use crate::surface::kernel;
use crate::windows_sys::core::{BOOL, PCWSTR};
use crate::windows_sys::Win32::Foundation::{HANDLE, WAIT_EVENT};
use crate::windows_sys::Win32::Security::SECURITY_ATTRIBUTES;
use crate::windows_sys::{from_raw, raw};

pub use crate::windows::Win32::System::Threading::INFINITE;

/// Creates a sim event (attributes and name are ignored); NULL with the last error on failure.
///
/// # Safety
/// Always safe in the sim.
pub unsafe extern "system" fn CreateEventW(
    _lpeventattributes: *const SECURITY_ATTRIBUTES,
    bmanualreset: BOOL,
    binitialstate: BOOL,
    _lpname: PCWSTR,
) -> HANDLE {
    kernel::create_event(bmanualreset != 0, binitialstate != 0).map_or(core::ptr::null_mut(), from_raw)
}

/// Signals an event.
///
/// # Safety
/// Always safe in the sim.
pub unsafe extern "system" fn SetEvent(hevent: HANDLE) -> BOOL {
    BOOL::from(kernel::set_event(raw(hevent), true))
}

/// Resets an event.
///
/// # Safety
/// Always safe in the sim.
pub unsafe extern "system" fn ResetEvent(hevent: HANDLE) -> BOOL {
    BOOL::from(kernel::set_event(raw(hevent), false))
}

/// Waits for a sim event on the virtual clock (see the module docs). `WAIT_FAILED` +
/// `ERROR_INVALID_HANDLE` for anything that is not a live sim event.
///
/// # Safety
/// Always safe in the sim.
pub unsafe extern "system" fn WaitForSingleObject(hhandle: HANDLE, dwmilliseconds: u32) -> WAIT_EVENT {
    kernel::wait_for_single_object(raw(hhandle), dwmilliseconds)
}

/// Waits for one (`bwaitall` FALSE: the lowest signaled index) or all of up to 64 sim events on
/// the virtual clock (see the module docs): `WAIT_OBJECT_0 + index`, `WAIT_TIMEOUT`, or
/// `WAIT_FAILED` with `ERROR_INVALID_PARAMETER` (no handles, more than 64, NULL array, a
/// duplicate with `bwaitall`) or `ERROR_INVALID_HANDLE` (anything that is not a live sim event).
///
/// # Safety
/// `lphandles` is NULL or readable for `ncount` handles.
pub unsafe extern "system" fn WaitForMultipleObjects(
    ncount: u32,
    lphandles: *const HANDLE,
    bwaitall: BOOL,
    dwmilliseconds: u32,
) -> WAIT_EVENT {
    let values: Vec<u64> = if lphandles.is_null() || ncount as usize > kernel::MAXIMUM_WAIT_OBJECTS {
        Vec::new()
    } else {
        // SAFETY: the caller's array holds `ncount` handles.
        unsafe { core::slice::from_raw_parts(lphandles, ncount as usize) }
            .iter()
            .map(|h| raw(*h))
            .collect()
    };
    kernel::wait_for_multiple_objects(&values, bwaitall != 0, dwmilliseconds)
}

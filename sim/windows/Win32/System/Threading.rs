//! `windows::Win32::System::Threading`: events and `WaitForSingleObject`, on the virtual clock.
//!
//! A wait never sleeps: it runs the sim's scheduled events (writing completions as they
//! arrive) until the event is signaled. A finite timeout advances virtual time by at most
//! that much; an `INFINITE` wait that nothing scheduled can end is a deadlock (AMB-31): it is
//! recorded (`Sim::deadlocks`) and the wait returns `WAIT_TIMEOUT` instead of hanging.
//! The simulator is unlocked while a wait blocks: another thread's `SetEvent` ends it, and
//! virtual time moves on its own only when every thread that entered the sim is waiting
//! (`qwave_sim::Sim::enter`).

use crate::surface::kernel;
use crate::windows::core::{Error, Param, Result, BOOL, PCWSTR};
use crate::windows::Win32::Foundation::{from_raw, raw, HANDLE, WAIT_EVENT};
use crate::windows::Win32::Security::SECURITY_ATTRIBUTES;

/// `INFINITE`.
pub const INFINITE: u32 = u32::MAX;

/// Creates a sim event (attributes and name are ignored).
///
/// # Safety
/// Always safe in the sim.
#[inline]
pub unsafe fn CreateEventW<P3>(
    _lpeventattributes: Option<*const SECURITY_ATTRIBUTES>,
    bmanualreset: bool,
    binitialstate: bool,
    lpname: P3,
) -> Result<HANDLE>
where
    P3: Param<PCWSTR>,
{
    let _ = lpname.param();
    kernel::create_event(bmanualreset, binitialstate)
        .map(from_raw)
        .ok_or_else(Error::from_thread)
}

/// Signals an event.
///
/// # Safety
/// Always safe in the sim.
#[inline]
pub unsafe fn SetEvent(hevent: HANDLE) -> Result<()> {
    BOOL(kernel::set_event(raw(hevent), true) as i32).ok()
}

/// Resets an event.
///
/// # Safety
/// Always safe in the sim.
#[inline]
pub unsafe fn ResetEvent(hevent: HANDLE) -> Result<()> {
    BOOL(kernel::set_event(raw(hevent), false) as i32).ok()
}

/// Waits for a sim event on the virtual clock (see the module docs). `WAIT_FAILED` +
/// `ERROR_INVALID_HANDLE` for anything that is not a live sim event.
///
/// # Safety
/// Always safe in the sim.
#[inline]
pub unsafe fn WaitForSingleObject(hhandle: HANDLE, dwmilliseconds: u32) -> WAIT_EVENT {
    WAIT_EVENT(kernel::wait_for_single_object(raw(hhandle), dwmilliseconds))
}

/// Waits for one (`bwaitall` false: the lowest signaled index) or all of up to 64 sim events on
/// the virtual clock (see the module docs): `WAIT_OBJECT_0 + index`, `WAIT_TIMEOUT`, or
/// `WAIT_FAILED` with `ERROR_INVALID_PARAMETER` (no handles, more than 64, a duplicate with
/// `bwaitall`) or `ERROR_INVALID_HANDLE` (anything that is not a live sim event).
///
/// # Safety
/// Always safe in the sim.
#[inline]
pub unsafe fn WaitForMultipleObjects(
    lphandles: &[HANDLE],
    bwaitall: bool,
    dwmilliseconds: u32,
) -> WAIT_EVENT {
    let values: Vec<u64> = lphandles.iter().map(|h| raw(*h)).collect();
    WAIT_EVENT(kernel::wait_for_multiple_objects(
        &values,
        bwaitall,
        dwmilliseconds,
    ))
}

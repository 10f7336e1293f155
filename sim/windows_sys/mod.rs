//! The `windows-sys` 0.61.2 surface: the same module paths, names, raw types and
//! `extern "system"` function signatures as the real crate, for the parts a qWAVE app uses.
//! Swap one line:
//!
//! ```
//! use qwave_sim::windows_sys as windows_sys; // instead of the real `windows-sys` crate
//! use windows_sys::Win32::Foundation::{GetLastError, ERROR_INVALID_HANDLE, FALSE};
//! use windows_sys::Win32::NetworkManagement::QoS::QOSCloseHandle;
//!
//! let sim = qwave_sim::Sim::new();
//! let _g = sim.enter();
//! assert_eq!(unsafe { QOSCloseHandle(std::ptr::null_mut()) }, FALSE);
//! assert_eq!(unsafe { GetLastError() }, ERROR_INVALID_HANDLE);
//! ```
//!
//! Everything is as in windows-sys: `BOOL`, `HRESULT`, `HANDLE` (`*mut c_void`), `SOCKET`
//! (`usize`), `WIN32_ERROR`, `WSA_ERROR` and the enum types (`QOS_TRAFFIC_TYPE`, ...) are plain
//! type aliases; structs derive `Clone, Copy` (and `Default` where windows-sys does; the others
//! have a zeroed `Default`); every function is a `pub unsafe extern "system" fn` with exactly
//! the windows-sys parameter types, so function pointers have the same types too.
//!
//! Each function is a thin adapter over the same shared code as [`crate::windows`]: same
//! error codes, same last-error rules (GEN-1, GEN-2), same overlapped completions. Constant
//! values are taken from [`crate::windows`], so the two surfaces cannot disagree.
//!
//! Every function acts on the simulator entered on the calling thread ([`crate::Sim::enter`]).
//! Without one it panics with a message saying how to enter one; as the functions are
//! `extern "system"`, that panic cannot unwind and **aborts the process** (the message is
//! printed first). Only the thread-local last error (`GetLastError`, `SetLastError`,
//! `WSAGetLastError`, `WSASetLastError`) works without a sim.

#[allow(
    non_snake_case,
    non_camel_case_types,
    non_upper_case_globals,
    clippy::upper_case_acronyms
)]
pub mod Win32;
pub mod core;

/// `pub const NAME: TY = from::NAME.0;` for each name, `from` being a module of the windows
/// surface whose constant is a newtype: one source of truth for the values of both surfaces.
macro_rules! same_as_windows {
    ($from:ident, $ty:ty; $($name:ident),* $(,)?) => {
        $(
            #[doc = concat!("`", stringify!($name), "` (the value of `windows`' `", stringify!($name), "`).")]
            pub const $name: $ty = $from::$name.0;
        )*
    };
}
pub(crate) use same_as_windows;

/// `impl Default` as a zeroed value, as windows-sys does for types it cannot derive it for.
macro_rules! zeroed_default {
    ($($t:ty),* $(,)?) => {
        $(
            impl Default for $t {
                fn default() -> Self {
                    // SAFETY: plain C data (integers, raw pointers, unions of them): all-zero
                    // bytes are a valid value.
                    unsafe { ::core::mem::zeroed() }
                }
            }
        )*
    };
}
pub(crate) use zeroed_default;

/// The raw value of a handle, as the shared surface code takes it.
pub(crate) fn raw(h: *mut ::core::ffi::c_void) -> u64 {
    h as usize as u64
}

/// A handle with a raw value.
pub(crate) fn from_raw(v: u64) -> *mut ::core::ffi::c_void {
    ::core::ptr::without_provenance_mut(v as usize)
}

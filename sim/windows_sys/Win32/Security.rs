//! `windows_sys::Win32::Security`: only `SECURITY_ATTRIBUTES` (a parameter of `CreateEventW`).

use crate::windows_sys::core::BOOL;

/// `SECURITY_ATTRIBUTES` (ignored by the sim).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SECURITY_ATTRIBUTES {
    /// `sizeof(SECURITY_ATTRIBUTES)`.
    pub nLength: u32,
    /// Security descriptor.
    pub lpSecurityDescriptor: *mut core::ffi::c_void,
    /// Inheritable.
    pub bInheritHandle: BOOL,
}

crate::windows_sys::zeroed_default!(SECURITY_ATTRIBUTES);

//! `windows::Win32::Security`: only `SECURITY_ATTRIBUTES` (a parameter of `CreateEventW`).

use crate::windows::core::BOOL;

/// `SECURITY_ATTRIBUTES` (ignored by the sim).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SECURITY_ATTRIBUTES {
    /// `sizeof(SECURITY_ATTRIBUTES)`.
    pub nLength: u32,
    /// Security descriptor.
    pub lpSecurityDescriptor: *mut core::ffi::c_void,
    /// Inheritable.
    pub bInheritHandle: BOOL,
}

impl Default for SECURITY_ATTRIBUTES {
    fn default() -> Self {
        SECURITY_ATTRIBUTES {
            nLength: 0,
            lpSecurityDescriptor: core::ptr::null_mut(),
            bInheritHandle: BOOL(0),
        }
    }
}

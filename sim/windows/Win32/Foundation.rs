//! `windows::Win32::Foundation`: `HANDLE`, `WIN32_ERROR` and the `ERROR_*` codes, `BOOL`
//! constants, `WAIT_EVENT`, `NTSTATUS`, `GetLastError`/`SetLastError`, `CloseHandle`.

use crate::surface;
use crate::windows::core::{Error, Result, BOOL, HRESULT};

/// A kernel object handle (QoS handle, event, completion port). Sim handles carry a tag in
/// bits 40..56, so they never equal a real handle.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HANDLE(pub *mut core::ffi::c_void);

impl HANDLE {
    /// NULL or `INVALID_HANDLE_VALUE` (-1).
    pub fn is_invalid(&self) -> bool {
        self.0 as isize == -1 || self.0.is_null()
    }
}

impl Default for HANDLE {
    fn default() -> Self {
        HANDLE(core::ptr::null_mut())
    }
}

/// The raw value of a handle.
pub(crate) fn raw(h: HANDLE) -> u64 {
    h.0 as usize as u64
}

/// A handle with a raw value.
pub(crate) fn from_raw(v: u64) -> HANDLE {
    HANDLE(core::ptr::without_provenance_mut(v as usize))
}

/// `INVALID_HANDLE_VALUE` (-1).
pub const INVALID_HANDLE_VALUE: HANDLE = HANDLE(-1isize as usize as *mut core::ffi::c_void);

/// `FALSE`.
pub const FALSE: BOOL = BOOL(0);
/// `TRUE`.
pub const TRUE: BOOL = BOOL(1);

/// A Win32 error code (`GetLastError`).
#[must_use]
#[repr(transparent)]
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct WIN32_ERROR(pub u32);

impl WIN32_ERROR {
    /// `self.0 == 0`.
    #[inline]
    pub const fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// `self.0 != 0`.
    #[inline]
    pub const fn is_err(self) -> bool {
        !self.is_ok()
    }

    /// `HRESULT::from_win32(self.0)`.
    #[inline]
    pub const fn to_hresult(self) -> HRESULT {
        HRESULT::from_win32(self.0)
    }

    /// The Win32 code inside an `Error` made from one (`0x8007xxxx`), else `None`.
    #[inline]
    pub fn from_error(error: &Error) -> Option<Self> {
        let hresult = error.code().0 as u32;
        if ((hresult >> 16) & 0x7FF) == 7 {
            Some(Self(hresult & 0xFFFF))
        } else {
            None
        }
    }

    /// `Ok(())` for 0, else the code as an `Error`.
    #[inline]
    pub fn ok(self) -> Result<()> {
        if self.is_ok() {
            Ok(())
        } else {
            Err(self.to_hresult().into())
        }
    }
}

impl From<WIN32_ERROR> for HRESULT {
    fn from(value: WIN32_ERROR) -> Self {
        value.to_hresult()
    }
}

impl From<WIN32_ERROR> for Error {
    fn from(value: WIN32_ERROR) -> Self {
        value.to_hresult().into()
    }
}

macro_rules! win32_errors {
    ($($name:ident = $v:expr),* $(,)?) => {
        $(
            #[doc = concat!("`", stringify!($name), "` (", stringify!($v), ").")]
            pub const $name: WIN32_ERROR = WIN32_ERROR($v);
        )*
    };
}

win32_errors! {
    ERROR_SUCCESS = 0,
    ERROR_INVALID_FUNCTION = 1,
    ERROR_ACCESS_DENIED = 5,
    ERROR_INVALID_HANDLE = 6,
    ERROR_NOT_ENOUGH_MEMORY = 8,
    ERROR_INVALID_DATA = 13,
    ERROR_OUTOFMEMORY = 14,
    ERROR_NOT_READY = 21,
    ERROR_GEN_FAILURE = 31,
    ERROR_NOT_SUPPORTED = 50,
    ERROR_DUP_NAME = 52,
    ERROR_BAD_NETPATH = 53,
    ERROR_NETWORK_BUSY = 54,
    ERROR_ADAP_HDW_ERR = 57,
    ERROR_UNEXP_NET_ERR = 59,
    ERROR_NETNAME_DELETED = 64,
    ERROR_BAD_NET_NAME = 67,
    ERROR_INVALID_PARAMETER = 87,
    ERROR_BUFFER_OVERFLOW = 111,
    ERROR_INSUFFICIENT_BUFFER = 122,
    ERROR_BUSY = 170,
    ERROR_ALREADY_EXISTS = 183,
    ERROR_NO_DATA = 232,
    ERROR_MORE_DATA = 234,
    ERROR_INVALID_ADDRESS = 487,
    ERROR_SYSTEM_POWERSTATE_TRANSITION = 782,
    ERROR_SYSTEM_POWERSTATE_COMPLEX_TRANSITION = 783,
    ERROR_OPERATION_ABORTED = 995,
    ERROR_IO_INCOMPLETE = 996,
    ERROR_IO_PENDING = 997,
    ERROR_INVALID_FLAGS = 1004,
    ERROR_SERVICE_DEPENDENCY_FAIL = 1068,
    ERROR_IO_DEVICE = 1117,
    ERROR_DEVICE_REINITIALIZATION_NEEDED = 1164,
    ERROR_DEVICE_NOT_CONNECTED = 1167,
    ERROR_NOT_FOUND = 1168,
    ERROR_CANCELLED = 1223,
    ERROR_CONNECTION_REFUSED = 1225,
    ERROR_ADDRESS_NOT_ASSOCIATED = 1228,
    ERROR_NETWORK_UNREACHABLE = 1231,
    ERROR_HOST_UNREACHABLE = 1232,
    ERROR_PROTOCOL_UNREACHABLE = 1233,
    ERROR_PORT_UNREACHABLE = 1234,
    ERROR_CONNECTION_ABORTED = 1236,
    ERROR_RETRY = 1237,
    ERROR_ACCESS_DISABLED_BY_POLICY = 1260,
    ERROR_NO_SYSTEM_RESOURCES = 1450,
    ERROR_TIMEOUT = 1460,
    ERROR_NOT_CONNECTED = 2250,
    ERROR_RESOURCE_DISABLED = 4309,
    ERROR_RESOURCE_NOT_FOUND = 5007,
    ERROR_INVALID_STATE = 5023,
}

/// `S_OK`.
pub const S_OK: HRESULT = HRESULT(0);
/// `E_FAIL`.
pub const E_FAIL: HRESULT = HRESULT(0x8000_4005_u32 as i32);
/// `E_HANDLE`.
pub const E_HANDLE: HRESULT = HRESULT(0x8007_0006_u32 as i32);
/// `E_INVALIDARG`.
pub const E_INVALIDARG: HRESULT = HRESULT(0x8007_0057_u32 as i32);
/// `E_NOTIMPL`.
pub const E_NOTIMPL: HRESULT = HRESULT(0x8000_4001_u32 as i32);
/// `E_OUTOFMEMORY`.
pub const E_OUTOFMEMORY: HRESULT = HRESULT(0x8007_000E_u32 as i32);

/// An `NTSTATUS`.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct NTSTATUS(pub i32);

/// `STATUS_PENDING` (0x103): `OVERLAPPED.Internal` while a request is outstanding.
pub const STATUS_PENDING: NTSTATUS = NTSTATUS(0x103);
/// `STATUS_SUCCESS` (0): `OVERLAPPED.Internal` of a request that succeeded.
pub const STATUS_SUCCESS: NTSTATUS = NTSTATUS(0);
/// `STATUS_CANCELLED` (0xC0000120): `OVERLAPPED.Internal` of a request that ended with
/// `ERROR_OPERATION_ABORTED` (cancelled, or aborted by a close).
pub const STATUS_CANCELLED: NTSTATUS = NTSTATUS(0xC000_0120_u32 as i32);

/// The result of a wait function.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct WAIT_EVENT(pub u32);

/// `WAIT_OBJECT_0`: the object is signaled.
pub const WAIT_OBJECT_0: WAIT_EVENT = WAIT_EVENT(0);
/// `WAIT_ABANDONED`.
pub const WAIT_ABANDONED: WAIT_EVENT = WAIT_EVENT(128);
/// `WAIT_TIMEOUT`: the timeout elapsed (virtual time).
pub const WAIT_TIMEOUT: WAIT_EVENT = WAIT_EVENT(258);
/// `WAIT_FAILED`: see `GetLastError`.
pub const WAIT_FAILED: WAIT_EVENT = WAIT_EVENT(u32::MAX);

/// The calling thread's simulated last error (GEN-1). Works without an entered sim.
///
/// # Safety
/// Always safe; `unsafe` as in the real crate.
#[inline]
pub unsafe fn GetLastError() -> WIN32_ERROR {
    WIN32_ERROR(surface::last_error())
}

/// Sets the calling thread's simulated last error.
///
/// # Safety
/// Always safe; `unsafe` as in the real crate.
#[inline]
pub unsafe fn SetLastError(dwerrcode: WIN32_ERROR) {
    surface::set_last_error(dwerrcode.0)
}

/// Closes a sim event or completion port (`ERROR_INVALID_HANDLE` for anything else; QoS
/// handles close with `QOSCloseHandle`).
///
/// # Safety
/// Always safe; `unsafe` as in the real crate.
#[inline]
pub unsafe fn CloseHandle(hobject: HANDLE) -> Result<()> {
    BOOL(surface::kernel::close_handle(raw(hobject)) as i32).ok()
}

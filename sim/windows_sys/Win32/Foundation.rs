//! `windows_sys::Win32::Foundation`: `HANDLE`, `WIN32_ERROR` and the `ERROR_*` codes, `TRUE` /
//! `FALSE`, `WAIT_EVENT`, `NTSTATUS`, `GetLastError` / `SetLastError`, `CloseHandle`.

use crate::surface;
use crate::windows::Win32::Foundation as w;
use crate::windows_sys::core::{BOOL, HRESULT};
use crate::windows_sys::{raw, same_as_windows};

/// A kernel object handle (QoS handle, event, completion port).
pub type HANDLE = *mut core::ffi::c_void;
/// A Win32 error code (`GetLastError`).
pub type WIN32_ERROR = u32;
/// An `NTSTATUS`.
pub type NTSTATUS = i32;
/// The result of a wait function.
pub type WAIT_EVENT = u32;

/// `FALSE`.
pub const FALSE: BOOL = 0;
/// `TRUE`.
pub const TRUE: BOOL = 1;
/// `INVALID_HANDLE_VALUE` (-1).
pub const INVALID_HANDLE_VALUE: HANDLE = -1i32 as _;

same_as_windows! { w, WIN32_ERROR;
    ERROR_SUCCESS,
    ERROR_INVALID_FUNCTION,
    ERROR_ACCESS_DENIED,
    ERROR_INVALID_HANDLE,
    ERROR_NOT_ENOUGH_MEMORY,
    ERROR_INVALID_DATA,
    ERROR_OUTOFMEMORY,
    ERROR_NOT_READY,
    ERROR_GEN_FAILURE,
    ERROR_NOT_SUPPORTED,
    ERROR_DUP_NAME,
    ERROR_BAD_NETPATH,
    ERROR_NETWORK_BUSY,
    ERROR_ADAP_HDW_ERR,
    ERROR_UNEXP_NET_ERR,
    ERROR_NETNAME_DELETED,
    ERROR_BAD_NET_NAME,
    ERROR_INVALID_PARAMETER,
    ERROR_BUFFER_OVERFLOW,
    ERROR_INSUFFICIENT_BUFFER,
    ERROR_BUSY,
    ERROR_ALREADY_EXISTS,
    ERROR_NO_DATA,
    ERROR_MORE_DATA,
    ERROR_INVALID_ADDRESS,
    ERROR_SYSTEM_POWERSTATE_TRANSITION,
    ERROR_SYSTEM_POWERSTATE_COMPLEX_TRANSITION,
    ERROR_OPERATION_ABORTED,
    ERROR_IO_INCOMPLETE,
    ERROR_IO_PENDING,
    ERROR_INVALID_FLAGS,
    ERROR_SERVICE_DEPENDENCY_FAIL,
    ERROR_IO_DEVICE,
    ERROR_DEVICE_REINITIALIZATION_NEEDED,
    ERROR_DEVICE_NOT_CONNECTED,
    ERROR_NOT_FOUND,
    ERROR_CANCELLED,
    ERROR_CONNECTION_REFUSED,
    ERROR_ADDRESS_NOT_ASSOCIATED,
    ERROR_NETWORK_UNREACHABLE,
    ERROR_HOST_UNREACHABLE,
    ERROR_PROTOCOL_UNREACHABLE,
    ERROR_PORT_UNREACHABLE,
    ERROR_CONNECTION_ABORTED,
    ERROR_RETRY,
    ERROR_ACCESS_DISABLED_BY_POLICY,
    ERROR_NO_SYSTEM_RESOURCES,
    ERROR_TIMEOUT,
    ERROR_NOT_CONNECTED,
    ERROR_RESOURCE_DISABLED,
    ERROR_RESOURCE_NOT_FOUND,
    ERROR_INVALID_STATE,
}

same_as_windows! { w, HRESULT; S_OK, E_FAIL, E_HANDLE, E_INVALIDARG, E_NOTIMPL, E_OUTOFMEMORY }
same_as_windows! { w, NTSTATUS; STATUS_PENDING, STATUS_SUCCESS, STATUS_CANCELLED }
same_as_windows! { w, WAIT_EVENT; WAIT_OBJECT_0, WAIT_ABANDONED, WAIT_TIMEOUT, WAIT_FAILED }

/// The calling thread's simulated last error (GEN-1). Works without an entered sim.
///
/// # Safety
/// Always safe; `unsafe` as in the real crate.
pub unsafe extern "system" fn GetLastError() -> WIN32_ERROR {
    surface::last_error()
}

/// Sets the calling thread's simulated last error.
///
/// # Safety
/// Always safe; `unsafe` as in the real crate.
pub unsafe extern "system" fn SetLastError(dwerrcode: WIN32_ERROR) {
    surface::set_last_error(dwerrcode)
}

/// Closes a sim event or completion port: `FALSE` + `ERROR_INVALID_HANDLE` for anything else
/// (QoS handles close with `QOSCloseHandle`).
///
/// # Safety
/// Always safe in the sim.
pub unsafe extern "system" fn CloseHandle(hobject: HANDLE) -> BOOL {
    BOOL::from(surface::kernel::close_handle(raw(hobject)))
}

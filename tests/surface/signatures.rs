//! Compile-time pins: every function's signature is coerced to the function-pointer type of
//! windows 0.62.2, and every struct's size to the real layout. A changed parameter type
//! (e.g. `u32` instead of `Option<u32>`) stops this file compiling.

#![allow(clippy::type_complexity)] // the types are the point

use super::common::*;
use windows::core::{Result, PCWSTR};
use windows::Win32::Security::SECURITY_ATTRIBUTES;

#[test]
fn qos_function_signatures_match_windows_0_62_2() {
    let _: unsafe fn(
        HANDLE,
        SOCKET,
        Option<*const SOCKADDR>,
        QOS_TRAFFIC_TYPE,
        Option<u32>,
        *mut u32,
    ) -> BOOL = QOSAddSocketToFlow;
    let _: unsafe fn(HANDLE, *const OVERLAPPED) -> BOOL = QOSCancel;
    let _: unsafe fn(HANDLE) -> BOOL = QOSCloseHandle;
    let _: unsafe fn(*const QOS_VERSION, *mut HANDLE) -> BOOL = QOSCreateHandle;
    let _: unsafe fn(HANDLE, *mut u32, *mut c_void) -> BOOL = QOSEnumerateFlows;
    let _: unsafe fn(
        HANDLE,
        u32,
        QOS_NOTIFY_FLOW,
        Option<*mut u32>,
        Option<*mut c_void>,
        Option<u32>,
        Option<*mut OVERLAPPED>,
    ) -> BOOL = QOSNotifyFlow;
    let _: unsafe fn(
        HANDLE,
        u32,
        QOS_QUERY_FLOW,
        *mut u32,
        *mut c_void,
        Option<u32>,
        Option<*mut OVERLAPPED>,
    ) -> BOOL = QOSQueryFlow;
    let _: unsafe fn(HANDLE, Option<SOCKET>, u32, Option<u32>) -> BOOL = QOSRemoveSocketFromFlow;
    let _: unsafe fn(
        HANDLE,
        u32,
        QOS_SET_FLOW,
        u32,
        *const c_void,
        Option<u32>,
        Option<*mut OVERLAPPED>,
    ) -> BOOL = QOSSetFlow;
    let _: unsafe fn(HANDLE, *const SOCKADDR, Option<u32>) -> BOOL = QOSStartTrackingClient;
    let _: unsafe fn(HANDLE, *const SOCKADDR, Option<u32>) -> BOOL = QOSStopTrackingClient;
}

#[test]
fn winsock_foundation_io_threading_signatures_match_windows_0_62_2() {
    let _: unsafe fn(u16, *mut WSADATA) -> i32 = WSAStartup;
    let _: unsafe fn() -> i32 = WSACleanup;
    let _: unsafe fn() -> WSA_ERROR = WSAGetLastError;
    let _: unsafe fn(i32) = WSASetLastError;
    let _: unsafe fn(i32, WINSOCK_SOCKET_TYPE, i32) -> Result<SOCKET> = socket;
    let _: unsafe fn(SOCKET, *const SOCKADDR, i32) -> i32 = bind;
    let _: unsafe fn(SOCKET, *const SOCKADDR, i32) -> i32 = connect;
    let _: unsafe fn(SOCKET) -> i32 = closesocket;
    let _: unsafe fn(SOCKET, i32, i32, Option<&[u8]>) -> i32 = setsockopt;
    let _: unsafe fn(SOCKET, *mut SOCKADDR, *mut i32) -> i32 = getsockname;
    let _: unsafe fn(SOCKET, *mut SOCKADDR, *mut i32) -> i32 = getpeername;
    let _: unsafe fn() -> WIN32_ERROR = GetLastError;
    let _: unsafe fn(WIN32_ERROR) = SetLastError;
    let _: unsafe fn(HANDLE) -> Result<()> = CloseHandle;
    let _: unsafe fn(HANDLE, *const OVERLAPPED, *mut u32, bool) -> Result<()> = GetOverlappedResult;
    let _: unsafe fn(HANDLE, Option<*const OVERLAPPED>) -> Result<()> = CancelIoEx;
    let _: unsafe fn(HANDLE, Option<HANDLE>, usize, u32) -> Result<HANDLE> = CreateIoCompletionPort;
    let _: unsafe fn(HANDLE, *mut u32, *mut usize, *mut *mut OVERLAPPED, u32) -> Result<()> =
        GetQueuedCompletionStatus;
    let _: unsafe fn(HANDLE, u32, usize, Option<*const OVERLAPPED>) -> Result<()> =
        PostQueuedCompletionStatus;
    let _: unsafe fn(Option<*const SECURITY_ATTRIBUTES>, bool, bool, PCWSTR) -> Result<HANDLE> =
        CreateEventW::<PCWSTR>;
    let _: unsafe fn(
        Option<*const SECURITY_ATTRIBUTES>,
        bool,
        bool,
        Option<&'static PCWSTR>,
    ) -> Result<HANDLE> = CreateEventW::<Option<&'static PCWSTR>>;
    let _: unsafe fn(HANDLE) -> Result<()> = SetEvent;
    let _: unsafe fn(HANDLE) -> Result<()> = ResetEvent;
    let _: unsafe fn(HANDLE, u32) -> WAIT_EVENT = WaitForSingleObject;
    let _: unsafe fn(&[HANDLE], bool, u32) -> WAIT_EVENT = WaitForMultipleObjects;
}

#[test]
fn struct_layouts_match_windows_0_62_2_on_x86_64() {
    use std::mem::{align_of, size_of};
    let sizes = [
        (
            "QOS_VERSION",
            size_of::<QOS_VERSION>(),
            align_of::<QOS_VERSION>(),
            4,
            2,
        ),
        (
            "QOS_FLOWRATE_OUTGOING",
            size_of::<QOS_FLOWRATE_OUTGOING>(),
            align_of::<QOS_FLOWRATE_OUTGOING>(),
            16,
            8,
        ),
        (
            "QOS_FLOW_FUNDAMENTALS",
            size_of::<QOS_FLOW_FUNDAMENTALS>(),
            align_of::<QOS_FLOW_FUNDAMENTALS>(),
            40,
            8,
        ),
        (
            "QOS_PACKET_PRIORITY",
            size_of::<QOS_PACKET_PRIORITY>(),
            align_of::<QOS_PACKET_PRIORITY>(),
            16,
            4,
        ),
        ("SOCKADDR", size_of::<SOCKADDR>(), align_of::<SOCKADDR>(), 16, 2),
        (
            "SOCKADDR_IN",
            size_of::<SOCKADDR_IN>(),
            align_of::<SOCKADDR_IN>(),
            16,
            4,
        ),
        (
            "SOCKADDR_IN6",
            size_of::<SOCKADDR_IN6>(),
            align_of::<SOCKADDR_IN6>(),
            28,
            4,
        ),
        (
            "SOCKADDR_STORAGE",
            size_of::<SOCKADDR_STORAGE>(),
            align_of::<SOCKADDR_STORAGE>(),
            128,
            8,
        ),
        (
            "OVERLAPPED",
            size_of::<OVERLAPPED>(),
            align_of::<OVERLAPPED>(),
            32,
            8,
        ),
        ("HANDLE", size_of::<HANDLE>(), align_of::<HANDLE>(), 8, 8),
        ("SOCKET", size_of::<SOCKET>(), align_of::<SOCKET>(), 8, 8),
        ("BOOL", size_of::<BOOL>(), align_of::<BOOL>(), 4, 4),
    ];
    for (name, size, align, want_size, want_align) in sizes {
        assert_eq!((size, align), (want_size, want_align), "{name}");
    }
}

#[test]
fn windows_rs_conversions_and_constants() {
    let a: std::net::SocketAddrV4 = "192.168.1.20:5000".parse().unwrap();
    let sin = SOCKADDR_IN::from(a);
    assert_eq!((sin.sin_family, sin.sin_port), (AF_INET, 5000u16.to_be()));
    assert_eq!(std::net::Ipv4Addr::from(sin.sin_addr), *a.ip());
    let b: std::net::SocketAddrV6 = "[fd00::20%3]:7".parse().unwrap();
    let sin6 = SOCKADDR_IN6::from(b);
    assert_eq!(
        (sin6.sin6_family, sin6.sin6_port),
        (ADDRESS_FAMILY(23), 7u16.to_be())
    );
    assert_eq!(std::net::Ipv6Addr::from(sin6.sin6_addr), *b.ip());
    assert_eq!(unsafe { sin6.Anonymous.sin6_scope_id }, 3);
    assert_eq!(HRESULT::from_win32(1231), HRESULT(0x800704CF_u32 as i32));
    assert_eq!(HRESULT::from_win32(1231).to_string(), "0x800704CF");
    assert_eq!(format!("{:?}", HRESULT::from_win32(997)), "HRESULT(0x800703E5)");
    assert_eq!(ERROR_NOT_FOUND.to_hresult(), HRESULT::from_win32(1168));
    assert!(ERROR_SUCCESS.ok().is_ok());
    let e: windows::core::Error = ERROR_NETWORK_UNREACHABLE.into();
    assert_eq!(
        std::io::Error::from(e.clone()).raw_os_error(),
        Some(0x800704CF_u32 as i32)
    );
    assert_eq!(e.to_string(), format!("{} (0x800704CF)", e.message()));
    assert!(TRUE == true && FALSE == false && !FALSE == TRUE);
    assert_eq!(BOOL::from(true), TRUE);
    assert!(
        HANDLE::default().is_invalid() && INVALID_HANDLE_VALUE.is_invalid() && INVALID_SOCKET.is_invalid()
    );
}

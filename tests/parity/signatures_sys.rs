// Every windows-sys 0.61.2 item the sim mirrors, pinned by type: each function coerced to its
// exact `unsafe extern "system" fn` pointer type, the aliases given raw values, every struct
// field named in a literal with its type.
//
// Compiled twice from this one source: by `tests/surface_sys/signatures.rs` against qwave-sim, and by
// `tests/parity/sys.rs` against the real windows-sys 0.61.2, so a pin that differs from the
// real crate fails to build there. (Plain comments: the file is `include!`d.)

use core::ffi::c_void;
use core::ptr::{null, null_mut};

use windows_sys::core::{BOOL, HRESULT, PCSTR, PCWSTR, PSTR, PWSTR};
use windows_sys::Win32::Foundation::*;
use windows_sys::Win32::NetworkManagement::QoS::*;
use windows_sys::Win32::Networking::WinSock::*;
use windows_sys::Win32::Security::SECURITY_ATTRIBUTES;
use windows_sys::Win32::System::Threading::*;
use windows_sys::Win32::System::IO::*;

/// The pinned struct values, for the caller to check sizes and contents.
pub struct Pinned {
    pub ov: OVERLAPPED,
    pub fundamentals: QOS_FLOW_FUNDAMENTALS,
    pub rate: QOS_FLOWRATE_OUTGOING,
    pub priority: QOS_PACKET_PRIORITY,
    pub sa: SOCKADDR,
    pub v4: SOCKADDR_IN,
    pub v6: SOCKADDR_IN6,
    pub wsa: WSADATA,
    pub attrs: SECURITY_ATTRIBUTES,
}

/// Pins every signature and type (at compile time) and returns the struct literals.
pub fn pin() -> Pinned {
    // Functions: the exact windows-sys 0.61.2 `extern "system"` types.
    let _: unsafe extern "system" fn(
        HANDLE,
        SOCKET,
        *const SOCKADDR,
        QOS_TRAFFIC_TYPE,
        u32,
        *mut u32,
    ) -> BOOL = QOSAddSocketToFlow;
    let _: unsafe extern "system" fn(HANDLE, *const OVERLAPPED) -> BOOL = QOSCancel;
    let _: unsafe extern "system" fn(HANDLE) -> BOOL = QOSCloseHandle;
    let _: unsafe extern "system" fn(*const QOS_VERSION, *mut HANDLE) -> BOOL = QOSCreateHandle;
    let _: unsafe extern "system" fn(HANDLE, *mut u32, *mut c_void) -> BOOL = QOSEnumerateFlows;
    let _: unsafe extern "system" fn(
        HANDLE,
        u32,
        QOS_NOTIFY_FLOW,
        *mut u32,
        *mut c_void,
        u32,
        *mut OVERLAPPED,
    ) -> BOOL = QOSNotifyFlow;
    let _: unsafe extern "system" fn(
        HANDLE,
        u32,
        QOS_QUERY_FLOW,
        *mut u32,
        *mut c_void,
        u32,
        *mut OVERLAPPED,
    ) -> BOOL = QOSQueryFlow;
    let _: unsafe extern "system" fn(HANDLE, SOCKET, u32, u32) -> BOOL = QOSRemoveSocketFromFlow;
    let _: unsafe extern "system" fn(
        HANDLE,
        u32,
        QOS_SET_FLOW,
        u32,
        *const c_void,
        u32,
        *mut OVERLAPPED,
    ) -> BOOL = QOSSetFlow;
    let _: unsafe extern "system" fn(HANDLE, *const SOCKADDR, u32) -> BOOL = QOSStartTrackingClient;
    let _: unsafe extern "system" fn(HANDLE, *const SOCKADDR, u32) -> BOOL = QOSStopTrackingClient;
    let _: unsafe extern "system" fn() -> WIN32_ERROR = GetLastError;
    let _: unsafe extern "system" fn(WIN32_ERROR) = SetLastError;
    let _: unsafe extern "system" fn(HANDLE) -> BOOL = CloseHandle;
    let _: unsafe extern "system" fn() -> WSA_ERROR = WSAGetLastError;
    let _: unsafe extern "system" fn(i32) = WSASetLastError;
    let _: unsafe extern "system" fn(u16, *mut WSADATA) -> i32 = WSAStartup;
    let _: unsafe extern "system" fn() -> i32 = WSACleanup;
    let _: unsafe extern "system" fn(i32, WINSOCK_SOCKET_TYPE, i32) -> SOCKET = socket;
    let _: unsafe extern "system" fn(SOCKET, *const SOCKADDR, i32) -> i32 = bind;
    let _: unsafe extern "system" fn(SOCKET, *const SOCKADDR, i32) -> i32 = connect;
    let _: unsafe extern "system" fn(SOCKET) -> i32 = closesocket;
    let _: unsafe extern "system" fn(SOCKET, i32, i32, PCSTR, i32) -> i32 = setsockopt;
    let _: unsafe extern "system" fn(SOCKET, *mut SOCKADDR, *mut i32) -> i32 = getsockname;
    let _: unsafe extern "system" fn(SOCKET, *mut SOCKADDR, *mut i32) -> i32 = getpeername;
    let _: unsafe extern "system" fn(HANDLE, *const OVERLAPPED, *mut u32, BOOL) -> BOOL = GetOverlappedResult;
    let _: unsafe extern "system" fn(HANDLE, *const OVERLAPPED) -> BOOL = CancelIoEx;
    let _: unsafe extern "system" fn(HANDLE, HANDLE, usize, u32) -> HANDLE = CreateIoCompletionPort;
    let _: unsafe extern "system" fn(HANDLE, *mut u32, *mut usize, *mut *mut OVERLAPPED, u32) -> BOOL =
        GetQueuedCompletionStatus;
    let _: unsafe extern "system" fn(HANDLE, u32, usize, *const OVERLAPPED) -> BOOL =
        PostQueuedCompletionStatus;
    let _: unsafe extern "system" fn(*const SECURITY_ATTRIBUTES, BOOL, BOOL, PCWSTR) -> HANDLE = CreateEventW;
    let _: unsafe extern "system" fn(HANDLE) -> BOOL = SetEvent;
    let _: unsafe extern "system" fn(HANDLE) -> BOOL = ResetEvent;
    let _: unsafe extern "system" fn(HANDLE, u32) -> WAIT_EVENT = WaitForSingleObject;
    let _: unsafe extern "system" fn(u32, *const HANDLE, BOOL, u32) -> WAIT_EVENT = WaitForMultipleObjects;

    // Types: plain aliases, so raw values flow in and out without conversions.
    let (_, _, _, _): (HRESULT, PSTR, PWSTR, PCSTR) =
        (0i32, null_mut::<u8>(), null_mut::<u16>(), null::<u8>());
    let (_, _, _): (BOOL, HANDLE, SOCKET) = (1i32, null_mut::<c_void>(), 3usize);
    let (_, _, _, _): (WIN32_ERROR, WSA_ERROR, ADDRESS_FAMILY, WAIT_EVENT) = (0u32, 0i32, 0u16, 0u32);
    let _: [i32; 7] = [
        QOSTrafficTypeVoice,
        QOSSetOutgoingRate,
        QOSQueryFlowFundamentals,
        QOSNotifyAvailable,
        QOSShapeAndMark,
        QOSFlowRateCongestion,
        SOCK_DGRAM,
    ];
    // Structs: every field with its windows-sys type (a literal names them all).
    let ov = OVERLAPPED {
        Internal: 0usize,
        InternalHigh: 0usize,
        Anonymous: OVERLAPPED_0 {
            Anonymous: OVERLAPPED_0_0 {
                Offset: 0u32,
                OffsetHigh: 0u32,
            },
        },
        hEvent: null_mut::<c_void>(),
    };
    let f = QOS_FLOW_FUNDAMENTALS {
        BottleneckBandwidthSet: FALSE,
        BottleneckBandwidth: 0u64,
        AvailableBandwidthSet: TRUE,
        AvailableBandwidth: 0u64,
        RTTSet: 0i32,
        RTT: 0u32,
    };
    let rate = QOS_FLOWRATE_OUTGOING {
        Bandwidth: 1u64,
        ShapingBehavior: QOSShapeOnly,
        Reason: QOSFlowRateUserCaused,
    };
    let v6 = SOCKADDR_IN6 {
        sin6_family: AF_INET6,
        sin6_port: 0u16,
        sin6_flowinfo: 0u32,
        sin6_addr: IN6_ADDR {
            u: IN6_ADDR_0 { Word: [0u16; 8] },
        },
        Anonymous: SOCKADDR_IN6_0 { sin6_scope_id: 0u32 },
    };
    let v4 = SOCKADDR_IN {
        sin_family: AF_INET,
        sin_port: 0u16,
        sin_addr: IN_ADDR {
            S_un: IN_ADDR_0 {
                S_un_b: IN_ADDR_0_0 {
                    s_b1: 10u8,
                    s_b2: 0,
                    s_b3: 0,
                    s_b4: 1,
                },
            },
        },
        sin_zero: [0i8; 8],
    };
    let sa = SOCKADDR {
        sa_family: AF_INET,
        sa_data: [0i8; 14],
    };
    let pri = QOS_PACKET_PRIORITY::default();
    let wsa = WSADATA::default();
    let attrs = SECURITY_ATTRIBUTES::default();

    Pinned {
        ov,
        fundamentals: f,
        rate,
        priority: pri,
        sa,
        v4,
        v6,
        wsa,
        attrs,
    }
}

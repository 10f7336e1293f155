//! Helpers for the windows-sys surface tests: app-side shorthands written exactly as against
//! windows-sys 0.61.2, and assertions that check the sim's invariants after every call.

#![allow(dead_code, unused_imports)]

pub use std::ffi::c_void;
pub use std::mem::{size_of, zeroed};
pub use std::ptr::{null, null_mut};
pub use std::time::Duration;

pub use qwave_sim::model::{Event, Stamped, World};
pub use qwave_sim::windows_sys;
pub use qwave_sim::Sim;
pub use windows_sys::core::{BOOL, PCSTR};
pub use windows_sys::Win32::Foundation::*;
pub use windows_sys::Win32::NetworkManagement::QoS::*;
pub use windows_sys::Win32::Networking::WinSock::*;
pub use windows_sys::Win32::System::Threading::*;
pub use windows_sys::Win32::System::IO::*;

pub const V1: QOS_VERSION = QOS_VERSION {
    MajorVersion: 1,
    MinorVersion: 0,
};

/// A handle value no sim object has.
pub const GARBAGE: HANDLE = 0xdead_beef_usize as HANDLE;

pub fn sockaddr_in(a: &str) -> SOCKADDR_IN {
    let a: std::net::SocketAddrV4 = a.parse().unwrap();
    let mut sa = SOCKADDR_IN {
        sin_family: AF_INET,
        sin_port: a.port().to_be(),
        ..Default::default()
    };
    sa.sin_addr.S_un.S_addr = u32::from(*a.ip()).to_be();
    sa
}

pub fn sockaddr_in6(a: &str) -> SOCKADDR_IN6 {
    let a: std::net::SocketAddrV6 = a.parse().unwrap();
    let mut sa = SOCKADDR_IN6 {
        sin6_family: AF_INET6,
        sin6_port: a.port().to_be(),
        ..Default::default()
    };
    sa.sin6_addr.u.Byte = a.ip().octets();
    sa
}

pub fn as_sockaddr<T>(sa: &T) -> *const SOCKADDR {
    sa as *const T as *const SOCKADDR
}

pub fn udp(af: ADDRESS_FAMILY) -> SOCKET {
    let s = unsafe { socket(i32::from(af), SOCK_DGRAM, IPPROTO_UDP) };
    assert_ne!(s, INVALID_SOCKET, "WSA error {}", unsafe { WSAGetLastError() });
    s
}

pub fn create_handle() -> HANDLE {
    let mut h: HANDLE = null_mut();
    assert_eq!(unsafe { QOSCreateHandle(&V1, &mut h) }, TRUE);
    h
}

/// Asserts a call returned FALSE with `code` as the last error, and the sim is consistent.
#[track_caller]
pub fn fails(sim: &Sim, r: BOOL, code: WIN32_ERROR) {
    assert_eq!(r, FALSE, "expected FALSE + {code}");
    assert_eq!(unsafe { GetLastError() }, code);
    sim.check_invariants().unwrap();
}

/// Asserts a WinSock call returned `SOCKET_ERROR` with `code`, and the sim is consistent.
#[track_caller]
pub fn wsa_fails(sim: &Sim, r: i32, code: WSA_ERROR) {
    assert_eq!(r, SOCKET_ERROR, "expected SOCKET_ERROR + {code}");
    assert_eq!(unsafe { WSAGetLastError() }, code);
    sim.check_invariants().unwrap();
}

/// A last-error value no call produces: a success must leave it in place (GEN-2).
pub const SENTINEL: WIN32_ERROR = 0x5EED;

/// Asserts a call returned TRUE without touching the last error (GEN-2).
#[track_caller]
pub fn succeeds(sim: &Sim, r: BOOL) {
    assert_eq!(r, TRUE, "last error {}", unsafe { GetLastError() });
    assert_eq!(
        unsafe { GetLastError() },
        SENTINEL,
        "GEN-2: success leaves the last error"
    );
    sim.check_invariants().unwrap();
}

//! Helpers for the surface tests: a sim per test, and app-side shorthands written exactly as
//! against windows-rs.

#![allow(dead_code)]

pub use qwave_sim::windows;
pub use qwave_sim::Sim;
pub use std::ffi::c_void;
pub use windows::core::{BOOL, HRESULT};
pub use windows::Win32::Foundation::*;
pub use windows::Win32::NetworkManagement::QoS::*;
pub use windows::Win32::Networking::WinSock::*;
pub use windows::Win32::System::Threading::*;
pub use windows::Win32::System::IO::*;

/// `QOS_VERSION` 1.0.
pub const V1: QOS_VERSION = QOS_VERSION {
    MajorVersion: 1,
    MinorVersion: 0,
};

/// The on-link peer with an LLTD responder in the default world.
pub const PEER: &str = "192.168.1.20:5000";

/// Asserts the call failed with `code` (GEN-1) and that the sim is still consistent.
#[track_caller]
pub fn assert_fails(sim: &Sim, r: BOOL, code: WIN32_ERROR) {
    assert!(!r.as_bool(), "expected FALSE + {code:?}");
    assert_eq!(unsafe { GetLastError() }, code);
    sim.check_invariants().unwrap();
}

/// Asserts the call succeeded and the sim is still consistent.
#[track_caller]
pub fn assert_ok(sim: &Sim, r: BOOL) {
    assert!(r.as_bool(), "expected TRUE, last error {:?}", unsafe {
        GetLastError()
    });
    sim.check_invariants().unwrap();
}

pub fn create_handle() -> HANDLE {
    let mut h = HANDLE::default();
    unsafe { QOSCreateHandle(&V1, &mut h) }.unwrap();
    h
}

pub fn udp_socket() -> SOCKET {
    unsafe { socket(AF_INET.0 as i32, SOCK_DGRAM, IPPROTO_UDP.0) }.unwrap()
}

pub fn sockaddr(s: &str) -> SOCKADDR_IN {
    match s.parse::<std::net::SocketAddr>().unwrap() {
        std::net::SocketAddr::V4(a) => a.into(),
        std::net::SocketAddr::V6(_) => panic!("v4 only"),
    }
}

/// Adds a new socket to a new flow toward `dest`.
pub fn add_flow(h: HANDLE, dest: &str, tt: QOS_TRAFFIC_TYPE, flags: Option<u32>) -> (SOCKET, u32) {
    let s = udp_socket();
    let sa = sockaddr(dest);
    let mut flow = 0u32;
    unsafe {
        QOSAddSocketToFlow(
            h,
            s,
            Some(&sa as *const SOCKADDR_IN as *const SOCKADDR),
            tt,
            flags,
            &mut flow,
        )
    }
    .unwrap();
    (s, flow)
}

pub fn overlapped_with_event() -> OVERLAPPED {
    let ev = unsafe { CreateEventW(None, true, false, None) }.unwrap();
    OVERLAPPED {
        hEvent: ev,
        ..Default::default()
    }
}

/// `QOSSetFlow(QOSSetOutgoingRate)` with `bps` shaped and marked, synchronous or overlapped.
pub fn set_rate(h: HANDLE, flow: u32, bps: u64, ov: Option<&mut OVERLAPPED>) -> BOOL {
    let rate = QOS_FLOWRATE_OUTGOING {
        Bandwidth: bps,
        ShapingBehavior: QOSShapeAndMark,
        Reason: QOSFlowRateNotApplicable,
    };
    let size = std::mem::size_of::<QOS_FLOWRATE_OUTGOING>() as u32;
    // SAFETY: `rate` is a local of the size given; the overlapped outlives the call's request
    // as far as the caller keeps it.
    unsafe {
        QOSSetFlow(
            h,
            flow,
            QOSSetOutgoingRate,
            size,
            &rate as *const _ as *const c_void,
            None,
            ov.map(|o| o as *mut OVERLAPPED),
        )
    }
}

/// `QOSQueryFlow(QOSQueryOutgoingRate)` into `out` (`*size` bytes), synchronous or overlapped.
/// `size` and `out` are the caller's, as an overlapped answer is written there later.
pub fn query_rate(h: HANDLE, flow: u32, size: &mut u32, out: &mut u64, ov: Option<&mut OVERLAPPED>) -> BOOL {
    // SAFETY: `out` holds 8 bytes; the caller keeps `size`, `out` and the overlapped alive
    // until an overlapped request completes.
    unsafe {
        QOSQueryFlow(
            h,
            flow,
            QOSQueryOutgoingRate,
            size,
            out as *mut u64 as *mut c_void,
            None,
            ov.map(|o| o as *mut OVERLAPPED),
        )
    }
}

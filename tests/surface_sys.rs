//! The windows-sys surface (`qwave_sim::windows_sys`), driven exactly as an app drives
//! windows-sys 0.61.2: its signatures pinned with function-pointer coercions, an app-shaped
//! run, bad input through every function, and the same call sequence through both surfaces.

use std::ffi::c_void;
use std::mem::{size_of, zeroed};
use std::ptr::{null, null_mut};
use std::time::Duration;

use qwave_sim::model::{Event, Stamped, World};
use qwave_sim::windows_sys;
use qwave_sim::Sim;
use windows_sys::core::{BOOL, PCSTR};
use windows_sys::Win32::Foundation::*;
use windows_sys::Win32::NetworkManagement::QoS::*;
use windows_sys::Win32::Networking::WinSock::*;
use windows_sys::Win32::System::Threading::*;
use windows_sys::Win32::System::IO::*;

const V1: QOS_VERSION = QOS_VERSION {
    MajorVersion: 1,
    MinorVersion: 0,
};

/// A handle value no sim object has.
const GARBAGE: HANDLE = 0xdead_beef_usize as HANDLE;

fn sockaddr_in(a: &str) -> SOCKADDR_IN {
    let a: std::net::SocketAddrV4 = a.parse().unwrap();
    let mut sa = SOCKADDR_IN {
        sin_family: AF_INET,
        sin_port: a.port().to_be(),
        ..Default::default()
    };
    sa.sin_addr.S_un.S_addr = u32::from(*a.ip()).to_be();
    sa
}

fn sockaddr_in6(a: &str) -> SOCKADDR_IN6 {
    let a: std::net::SocketAddrV6 = a.parse().unwrap();
    let mut sa = SOCKADDR_IN6 {
        sin6_family: AF_INET6,
        sin6_port: a.port().to_be(),
        ..Default::default()
    };
    sa.sin6_addr.u.Byte = a.ip().octets();
    sa
}

fn as_sockaddr<T>(sa: &T) -> *const SOCKADDR {
    sa as *const T as *const SOCKADDR
}

fn udp(af: ADDRESS_FAMILY) -> SOCKET {
    let s = unsafe { socket(i32::from(af), SOCK_DGRAM, IPPROTO_UDP) };
    assert_ne!(s, INVALID_SOCKET, "WSA error {}", unsafe { WSAGetLastError() });
    s
}

fn create_handle() -> HANDLE {
    let mut h: HANDLE = null_mut();
    assert_eq!(unsafe { QOSCreateHandle(&V1, &mut h) }, TRUE);
    h
}

/// Asserts a call returned FALSE with `code` as the last error, and the sim is consistent.
#[track_caller]
fn fails(sim: &Sim, r: BOOL, code: WIN32_ERROR) {
    assert_eq!(r, FALSE, "expected FALSE + {code}");
    assert_eq!(unsafe { GetLastError() }, code);
    sim.check_invariants().unwrap();
}

/// Asserts a WinSock call returned `SOCKET_ERROR` with `code`, and the sim is consistent.
#[track_caller]
fn wsa_fails(sim: &Sim, r: i32, code: WSA_ERROR) {
    assert_eq!(r, SOCKET_ERROR, "expected SOCKET_ERROR + {code}");
    assert_eq!(unsafe { WSAGetLastError() }, code);
    sim.check_invariants().unwrap();
}

/// A last-error value no call produces: a success must leave it in place (GEN-2).
const SENTINEL: WIN32_ERROR = 0x5EED;

/// Asserts a call returned TRUE without touching the last error (GEN-2).
#[track_caller]
fn succeeds(sim: &Sim, r: BOOL) {
    assert_eq!(r, TRUE, "last error {}", unsafe { GetLastError() });
    assert_eq!(
        unsafe { GetLastError() },
        SENTINEL,
        "GEN-2: success leaves the last error"
    );
    sim.check_invariants().unwrap();
}

#[allow(dead_code)]
mod signatures {
    use qwave_sim::windows_sys;
    include!("parity/signatures_sys.rs");
}
use signatures::Pinned;

/// The pins compile here and, in `tests/parity/sys.rs`, against the real windows-sys.
#[test]
fn every_function_has_the_windows_sys_signature_and_the_types_are_raw_aliases() {
    let p: Pinned = signatures::pin();
    assert_eq!(p.attrs.nLength, 0);

    // Values and layouts, as in the spec (section 6) and on x86_64 Windows.
    assert_eq!(
        (AF_INET, AF_INET6, AF_UNSPEC),
        (2, 23, 0),
        "AF_INET6 is 23 on Windows"
    );
    assert_eq!((INVALID_SOCKET, SOCKET_ERROR), (usize::MAX, -1));
    assert_eq!(INVALID_HANDLE_VALUE as isize, -1);
    assert_eq!((TRUE, FALSE, INFINITE), (1, 0, u32::MAX));
    assert_eq!(
        (ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_IO_PENDING),
        (6, 87, 997)
    );
    assert_eq!((ERROR_NETWORK_UNREACHABLE, ERROR_NOT_FOUND), (1231, 1168));
    assert_eq!((WAIT_OBJECT_0, WAIT_TIMEOUT, WAIT_FAILED), (0, 258, u32::MAX));
    assert_eq!((WSAEFAULT, WSAEAFNOSUPPORT, WSAENOTSOCK), (10014, 10047, 10038));
    assert_eq!((QOS_NON_ADAPTIVE_FLOW, QOS_QUERYFLOW_FRESH), (2, 1));
    assert_eq!((QOSTrafficTypeBestEffort, QOSTrafficTypeControl), (0, 5));
    assert_eq!(E_INVALIDARG as u32, 0x8007_0057);
    assert_eq!(
        (size_of::<OVERLAPPED>(), size_of::<QOS_FLOW_FUNDAMENTALS>()),
        (32, 40)
    );
    assert_eq!(
        (
            size_of_val(&p.rate),
            size_of_val(&p.priority),
            size_of::<QOS_VERSION>()
        ),
        (16, 16, 4)
    );
    assert_eq!(
        (size_of_val(&p.sa), size_of_val(&p.v4), size_of_val(&p.v6)),
        (16, 16, 28)
    );
    assert_eq!((size_of::<SOCKADDR_STORAGE>(), size_of_val(&p.wsa)), (128, 408));
    assert_eq!(
        (p.ov.Internal, p.fundamentals.AvailableBandwidthSet, unsafe {
            p.v4.sin_addr.S_un.S_addr
        }),
        (0, 1, 0x0100_000a)
    );
}

#[test]
fn app_shaped_run_as_against_windows_sys() {
    let mut world = World::default();
    world.policy.admin = true;
    let sim = Sim::builder().world(world).build();
    let _g = sim.enter();
    unsafe {
        let mut data: WSADATA = zeroed();
        assert_eq!(WSAStartup(0x0202, &mut data), 0);
        assert_eq!((data.wVersion, data.wHighVersion), (0x0202, 0x0202));
        SetLastError(SENTINEL);
        let mut h: HANDLE = null_mut();
        succeeds(&sim, QOSCreateHandle(&V1, &mut h));
        assert!(!h.is_null());

        // A connected IPv4 socket, and an unconnected dual-stack IPv6 one.
        let s4 = udp(AF_INET);
        let peer = sockaddr_in("192.168.1.20:5000");
        assert_eq!(connect(s4, as_sockaddr(&peer), 16), 0);
        let s6 = udp(AF_INET6);
        let off = 0i32;
        assert_eq!(
            setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &off as *const i32 as PCSTR, 4),
            0
        );
        let mut name = SOCKADDR_IN::default();
        let mut len = 16i32;
        assert_eq!(
            getpeername(s4, &mut name as *mut SOCKADDR_IN as *mut SOCKADDR, &mut len),
            0
        );
        assert_eq!(
            (name.sin_family, name.sin_port, len),
            (AF_INET, 5000u16.to_be(), 16)
        );
        assert_eq!(
            getsockname(s4, &mut name as *mut SOCKADDR_IN as *mut SOCKADDR, &mut len),
            0
        );
        assert_eq!(name.sin_family, AF_INET);
        assert_eq!(GetLastError(), SENTINEL, "GEN-2: WinSock successes leave it too");

        // Flows: the connected socket's peer (NULL destination), and a v4-mapped one (RW-4).
        let mut f1 = 0u32;
        succeeds(
            &sim,
            QOSAddSocketToFlow(h, s4, null(), QOSTrafficTypeVoice, 0, &mut f1),
        );
        let mapped = sockaddr_in6("[::ffff:192.168.1.30]:6000");
        let mut f2 = 0u32;
        let (tt, flags) = (QOSTrafficTypeAudioVideo, QOS_NON_ADAPTIVE_FLOW);
        // RW-4, AMB-4: a v4-mapped DestAddr on a dual-stack socket fails; connect() to it works.
        let r = QOSAddSocketToFlow(h, s6, as_sockaddr(&mapped), tt, flags, &mut f2);
        fails(&sim, r, ERROR_INVALID_PARAMETER);
        SetLastError(SENTINEL);
        assert_eq!(connect(s6, as_sockaddr(&mapped), 28), 0);
        succeeds(&sim, QOSAddSocketToFlow(h, s6, null(), tt, flags, &mut f2));
        assert_eq!((f1, f2), (1, 2));
        let flows = sim.flows();
        let d = flows[1].destination;
        assert_eq!(
            (d.ip().to_canonical(), d.port()),
            ("192.168.1.30".parse().unwrap(), 6000)
        );
        assert!(flows[0].adaptive && !flows[1].adaptive);

        // Overlapped query with an event: pending, then GetOverlappedResult waits it out.
        let ev = CreateEventW(null(), TRUE, FALSE, null());
        assert!(!ev.is_null());
        let mut ov = OVERLAPPED {
            hEvent: ev,
            ..Default::default()
        };
        let mut pri = QOS_PACKET_PRIORITY::default();
        let mut size = size_of::<QOS_PACKET_PRIORITY>() as u32;
        let p = &mut pri as *mut QOS_PACKET_PRIORITY as *mut c_void;
        fails(
            &sim,
            QOSQueryFlow(h, f2, QOSQueryPacketPriority, &mut size, p, 0, &mut ov),
            ERROR_IO_PENDING,
        );
        assert_eq!(ov.Internal, STATUS_PENDING as usize);
        let mut bytes = 0u32;
        fails(
            &sim,
            GetOverlappedResult(h, &ov, &mut bytes, FALSE),
            ERROR_IO_INCOMPLETE,
        );
        assert_eq!(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
        SetLastError(SENTINEL);
        succeeds(&sim, GetOverlappedResult(h, &ov, &mut bytes, TRUE));
        assert_eq!((bytes, size, ov.InternalHigh), (16, 16, 16));
        assert_eq!(pri.ConformantDSCPValue, 40, "AudioVideo: DSCP 40");
        assert_eq!(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
        succeeds(&sim, ResetEvent(ev));

        // Enumerate with room for one id: the size it needs, then all of them.
        let mut ids = [0u32; 4];
        let mut size = 4u32;
        let buf = ids.as_mut_ptr() as *mut c_void;
        fails(
            &sim,
            QOSEnumerateFlows(h, &mut size, buf),
            ERROR_INSUFFICIENT_BUFFER,
        );
        assert_eq!((size, ids[0]), (8, 0));
        SetLastError(SENTINEL);
        succeeds(&sim, QOSEnumerateFlows(h, &mut size, buf));
        assert_eq!(&ids[..2], [1, 2]);

        // Tracking a client, a synchronous query after the path is measured.
        let client = sockaddr_in("192.168.1.20:0");
        succeeds(&sim, QOSStartTrackingClient(h, as_sockaddr(&client), 0));
        sim.advance(Duration::from_secs(3));
        let mut fund = QOS_FLOW_FUNDAMENTALS::default();
        let mut size = 40u32;
        let p = &mut fund as *mut QOS_FLOW_FUNDAMENTALS as *mut c_void;
        succeeds(
            &sim,
            QOSQueryFlow(h, f1, QOSQueryFlowFundamentals, &mut size, p, 0, null_mut()),
        );
        assert_eq!((fund.BottleneckBandwidthSet, size), (TRUE, 40));
        assert!(fund.BottleneckBandwidth > 0);
        succeeds(&sim, QOSStopTrackingClient(h, as_sockaddr(&client), 0));

        // Errors: an adaptive flow to an unmeasurable peer, a flow that is gone.
        let s = udp(AF_INET);
        let odd = sockaddr_in("192.168.1.30:7000");
        let mut f3 = 0u32;
        let r = QOSAddSocketToFlow(h, s, as_sockaddr(&odd), QOSTrafficTypeVoice, 0, &mut f3);
        fails(&sim, r, ERROR_NOT_SUPPORTED);
        fails(&sim, QOSRemoveSocketFromFlow(h, 0, 99, 0), ERROR_NOT_FOUND);

        // Notification through a completion port, cancelled.
        let port = CreateIoCompletionPort(h, null_mut(), 42, 0);
        assert!(!port.is_null());
        let mut ov2 = OVERLAPPED::default();
        fails(
            &sim,
            QOSNotifyFlow(h, f1, QOSNotifyCongested, null_mut(), null_mut(), 0, &mut ov2),
            ERROR_IO_PENDING,
        );
        SetLastError(SENTINEL);
        succeeds(&sim, QOSCancel(h, &ov2));
        let (mut n, mut key, mut pov) = (0u32, 0usize, null_mut::<OVERLAPPED>());
        fails(
            &sim,
            GetQueuedCompletionStatus(port, &mut n, &mut key, &mut pov, INFINITE),
            ERROR_OPERATION_ABORTED,
        );
        assert_eq!((key, pov), (42, &mut ov2 as *mut OVERLAPPED));
        assert_eq!(ov2.Internal, ERROR_OPERATION_ABORTED as usize);

        SetLastError(SENTINEL);
        succeeds(&sim, QOSRemoveSocketFromFlow(h, s4, f1, 0));
        succeeds(&sim, QOSRemoveSocketFromFlow(h, 0, f2, 0));
        succeeds(&sim, CloseHandle(port));
        succeeds(&sim, CloseHandle(ev));
        succeeds(&sim, QOSCloseHandle(h));
        assert!(sim.flows().is_empty());
        for s in [s4, s6, s] {
            assert_eq!(closesocket(s), 0);
        }
        assert_eq!(WSACleanup(), 0);
        assert_eq!(GetLastError(), SENTINEL);
        assert_eq!(sim.deadlocks(), 0);
    }
}

#[test]
fn null_pointers_through_every_function_give_the_win32_error() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let s = udp(AF_INET);
    let peer = sockaddr_in("192.168.1.20:5000");
    let mut flow = 0u32;
    unsafe {
        fails(&sim, QOSCreateHandle(&V1, null_mut()), ERROR_INVALID_PARAMETER);
        fails(&sim, QOSCreateHandle(null(), null_mut()), ERROR_INVALID_PARAMETER);
        let r = QOSAddSocketToFlow(h, s, as_sockaddr(&peer), QOSTrafficTypeVoice, 0, null_mut());
        fails(&sim, r, ERROR_INVALID_PARAMETER);
        fails(
            &sim,
            QOSAddSocketToFlow(h, s, null(), QOSTrafficTypeVoice, 0, &mut flow),
            ERROR_INVALID_PARAMETER,
        );
        let r = QOSAddSocketToFlow(h, s, as_sockaddr(&peer), QOSTrafficTypeVoice, 0, &mut flow);
        assert_eq!(r, TRUE);
        fails(
            &sim,
            QOSSetFlow(h, flow, QOSSetTrafficType, 4, null(), 0, null_mut()),
            ERROR_INVALID_PARAMETER,
        );
        let mut v = 0u64;
        let p = &mut v as *mut u64 as *mut c_void;
        fails(
            &sim,
            QOSQueryFlow(h, flow, QOSQueryOutgoingRate, null_mut(), p, 0, null_mut()),
            ERROR_INVALID_PARAMETER,
        );
        let mut size = 8u32;
        let r = QOSQueryFlow(
            h,
            flow,
            QOSQueryOutgoingRate,
            &mut size,
            null_mut(),
            0,
            null_mut(),
        );
        fails(&sim, r, ERROR_INVALID_PARAMETER);
        let r = QOSNotifyFlow(h, flow, QOSNotifyAvailable, null_mut(), null_mut(), 0, null_mut());
        fails(&sim, r, ERROR_INVALID_PARAMETER);
        fails(&sim, QOSCancel(h, null()), ERROR_INVALID_PARAMETER);
        fails(
            &sim,
            QOSEnumerateFlows(h, null_mut(), null_mut()),
            ERROR_INVALID_PARAMETER,
        );
        fails(
            &sim,
            QOSStartTrackingClient(h, null(), 0),
            ERROR_INVALID_PARAMETER,
        );
        fails(&sim, QOSStopTrackingClient(h, null(), 0), ERROR_INVALID_PARAMETER);
        let mut bytes = 0u32;
        fails(
            &sim,
            GetOverlappedResult(h, null(), &mut bytes, TRUE),
            ERROR_INVALID_PARAMETER,
        );
        let port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, null_mut(), 0, 0);
        assert!(!port.is_null());
        let r = GetQueuedCompletionStatus(port, null_mut(), null_mut(), null_mut(), 0);
        fails(&sim, r, ERROR_INVALID_PARAMETER);
        assert_eq!(
            WSAStartup(0x0202, null_mut()),
            WSAEFAULT,
            "returned, as WinSock does"
        );
        wsa_fails(&sim, bind(s, null(), 16), WSAEFAULT);
        wsa_fails(&sim, connect(s, null(), 16), WSAEFAULT);
        let bound = udp(AF_INET);
        let local = sockaddr_in("192.168.1.10:4000");
        assert_eq!(bind(bound, as_sockaddr(&local), 16), 0);
        let mut len = 16i32;
        wsa_fails(&sim, getsockname(bound, null_mut(), &mut len), WSAEFAULT);
        let mut name = SOCKADDR_IN::default();
        let np = &mut name as *mut SOCKADDR_IN as *mut SOCKADDR;
        wsa_fails(&sim, getsockname(bound, np, null_mut()), WSAEFAULT);
        let s6 = udp(AF_INET6);
        wsa_fails(
            &sim,
            setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, null(), 4),
            WSAEFAULT,
        );
    }
}

#[test]
fn garbage_handles_through_every_function_give_invalid_handle() {
    let sim = Sim::new();
    let _g = sim.enter();
    let s = udp(AF_INET);
    let peer = sockaddr_in("192.168.1.20:5000");
    let dest = as_sockaddr(&peer);
    let mut ov = OVERLAPPED::default();
    for h in [null_mut(), GARBAGE, INVALID_HANDLE_VALUE] {
        let mut flow = 0u32;
        let mut size = 64u32;
        let mut buf = [0u8; 64];
        let p = buf.as_mut_ptr() as *mut c_void;
        unsafe {
            fails(&sim, QOSCloseHandle(h), ERROR_INVALID_HANDLE);
            fails(
                &sim,
                QOSAddSocketToFlow(h, s, dest, QOSTrafficTypeVoice, 0, &mut flow),
                ERROR_INVALID_HANDLE,
            );
            fails(&sim, QOSRemoveSocketFromFlow(h, s, 1, 0), ERROR_INVALID_HANDLE);
            fails(
                &sim,
                QOSSetFlow(h, 1, QOSSetTrafficType, 4, p, 0, &mut ov),
                ERROR_INVALID_HANDLE,
            );
            let r = QOSQueryFlow(h, 1, QOSQueryPacketPriority, &mut size, p, 0, &mut ov);
            fails(&sim, r, ERROR_INVALID_HANDLE);
            let r = QOSNotifyFlow(h, 1, QOSNotifyCongested, null_mut(), null_mut(), 0, null_mut());
            fails(&sim, r, ERROR_INVALID_HANDLE);
            fails(&sim, QOSCancel(h, &ov), ERROR_INVALID_HANDLE);
            fails(&sim, QOSEnumerateFlows(h, &mut size, p), ERROR_INVALID_HANDLE);
            fails(&sim, QOSStartTrackingClient(h, dest, 0), ERROR_INVALID_HANDLE);
            fails(&sim, QOSStopTrackingClient(h, dest, 0), ERROR_INVALID_HANDLE);
            fails(&sim, CloseHandle(h), ERROR_INVALID_HANDLE);
            fails(&sim, SetEvent(h), ERROR_INVALID_HANDLE);
            fails(&sim, ResetEvent(h), ERROR_INVALID_HANDLE);
            assert_eq!(WaitForSingleObject(h, INFINITE), WAIT_FAILED);
            assert_eq!(GetLastError(), ERROR_INVALID_HANDLE);
            fails(&sim, CancelIoEx(h, null()), ERROR_INVALID_HANDLE);
            if h != INVALID_HANDLE_VALUE {
                // (INVALID_HANDLE_VALUE asks for a new port.)
                assert!(CreateIoCompletionPort(h, null_mut(), 0, 0).is_null());
                assert_eq!(GetLastError(), ERROR_INVALID_HANDLE);
            }
            let (mut n, mut k, mut o) = (0u32, 0usize, null_mut::<OVERLAPPED>());
            fails(
                &sim,
                GetQueuedCompletionStatus(h, &mut n, &mut k, &mut o, 0),
                ERROR_INVALID_HANDLE,
            );
            fails(
                &sim,
                PostQueuedCompletionStatus(h, 0, 0, null()),
                ERROR_INVALID_HANDLE,
            );
        }
        assert_eq!(ov.Internal, 0, "a rejected request never touches the OVERLAPPED");
    }
    // Garbage sockets: WSAENOTSOCK from WinSock, ERROR_INVALID_PARAMETER from qWAVE (SIM-1).
    let h = create_handle();
    let junk: SOCKET = 0xdead_beef;
    unsafe {
        wsa_fails(&sim, closesocket(junk), WSAENOTSOCK);
        wsa_fails(&sim, connect(junk, dest, 16), WSAENOTSOCK);
        let on = 1i32;
        wsa_fails(
            &sim,
            setsockopt(junk, SOL_SOCKET, 4, &on as *const i32 as PCSTR, 4),
            WSAENOTSOCK,
        );
        let mut flow = 0u32;
        let r = QOSAddSocketToFlow(h, junk, dest, QOSTrafficTypeVoice, 0, &mut flow);
        fails(&sim, r, ERROR_INVALID_PARAMETER);
    }
}

#[test]
fn wrong_sizes_out_of_range_enums_and_unknown_families_give_the_win32_error() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let s = udp(AF_INET);
    let peer = sockaddr_in("192.168.1.20:5000");
    let dest = as_sockaddr(&peer);
    let mut flow = 0u32;
    unsafe {
        assert_eq!(
            QOSAddSocketToFlow(h, s, dest, QOSTrafficTypeVoice, 0, &mut flow),
            TRUE
        );
        // Wrong sizes: short buffers are never read or written past their end.
        let short = [4u8, 0];
        let sp = short.as_ptr() as *const c_void;
        fails(
            &sim,
            QOSSetFlow(h, flow, QOSSetTrafficType, 2, sp, 0, null_mut()),
            ERROR_INVALID_PARAMETER,
        );
        fails(
            &sim,
            QOSSetFlow(h, flow, QOSSetOutgoingRate, 4, sp, 0, null_mut()),
            ERROR_INVALID_PARAMETER,
        );
        let mut buf = [0xAAu8; 4];
        let mut size = 4u32;
        let bp = buf.as_mut_ptr() as *mut c_void;
        let r = QOSQueryFlow(h, flow, QOSQueryPacketPriority, &mut size, bp, 0, null_mut());
        fails(&sim, r, ERROR_INSUFFICIENT_BUFFER);
        assert_eq!((size, buf), (16, [0xAA; 4]));
        let mut small = 4u32;
        let r = QOSNotifyFlow(h, flow, QOSNotifyAvailable, &mut small, bp, 0, null_mut());
        fails(&sim, r, ERROR_INSUFFICIENT_BUFFER);
        assert_eq!(small, 8);
        let mut size = 0u32;
        fails(
            &sim,
            QOSEnumerateFlows(h, &mut size, null_mut()),
            ERROR_ACCESS_DENIED,
        );
        assert_eq!(size, 0, "ENU-2: not an administrator, *Size untouched");
        wsa_fails(&sim, bind(s, dest, 8), WSAEFAULT);
        let local = sockaddr_in("192.168.1.10:4000");
        assert_eq!(bind(s, as_sockaddr(&local), 16), 0);
        let mut name = SOCKADDR_IN::default();
        let mut len = 4i32;
        wsa_fails(
            &sim,
            getsockname(s, &mut name as *mut SOCKADDR_IN as *mut SOCKADDR, &mut len),
            WSAEFAULT,
        );
        wsa_fails(
            &sim,
            setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, short.as_ptr(), -5),
            WSAEFAULT,
        );
        let bad_ver = QOS_VERSION {
            MajorVersion: 2,
            MinorVersion: 0,
        };
        let mut h2: HANDLE = null_mut();
        fails(&sim, QOSCreateHandle(&bad_ver, &mut h2), ERROR_INVALID_PARAMETER);
        assert!(h2.is_null());

        // Out-of-range enum values and flags.
        let s2 = udp(AF_INET);
        let mut f = 0u32;
        fails(
            &sim,
            QOSAddSocketToFlow(h, s2, dest, 99, 0, &mut f),
            ERROR_INVALID_PARAMETER,
        );
        fails(
            &sim,
            QOSAddSocketToFlow(h, s2, dest, -1, 0, &mut f),
            ERROR_INVALID_PARAMETER,
        );
        let r = QOSAddSocketToFlow(h, s2, dest, QOSTrafficTypeVoice, 0x80, &mut f);
        fails(&sim, r, ERROR_INVALID_PARAMETER);
        let v = 0u32;
        let vp = &v as *const u32 as *const c_void;
        fails(
            &sim,
            QOSSetFlow(h, flow, 7, 4, vp, 0, null_mut()),
            ERROR_INVALID_PARAMETER,
        );
        let bad_tt = 42i32;
        let tp = &bad_tt as *const i32 as *const c_void;
        fails(
            &sim,
            QOSSetFlow(h, flow, QOSSetTrafficType, 4, tp, 0, null_mut()),
            ERROR_INVALID_PARAMETER,
        );
        let mut size = 64u32;
        let mut big = [0u8; 64];
        let gp = big.as_mut_ptr() as *mut c_void;
        fails(
            &sim,
            QOSQueryFlow(h, flow, -1, &mut size, gp, 0, null_mut()),
            ERROR_INVALID_PARAMETER,
        );
        let r = QOSNotifyFlow(h, flow, 3, null_mut(), null_mut(), 0, null_mut());
        fails(&sim, r, ERROR_INVALID_PARAMETER);
        assert_eq!(socket(99, SOCK_DGRAM, 0), INVALID_SOCKET);
        assert_eq!(WSAGetLastError(), WSAEAFNOSUPPORT);
        sim.check_invariants().unwrap();

        // A SOCKADDR of an unknown family (Linux's AF_INET6 = 10 included) everywhere one goes.
        for family in [10u16, 0, 0xFFFF] {
            let mut odd = SOCKADDR {
                sa_family: family,
                ..Default::default()
            };
            odd.sa_data[0] = 1;
            fails(
                &sim,
                QOSAddSocketToFlow(h, s2, &odd, QOSTrafficTypeVoice, 0, &mut f),
                ERROR_INVALID_PARAMETER,
            );
            fails(&sim, QOSStartTrackingClient(h, &odd, 0), ERROR_INVALID_PARAMETER);
            fails(&sim, QOSStopTrackingClient(h, &odd, 0), ERROR_INVALID_PARAMETER);
            wsa_fails(&sim, bind(s2, &odd, 16), WSAEAFNOSUPPORT);
            wsa_fails(&sim, connect(s2, &odd, 16), WSAEAFNOSUPPORT);
        }
    }
}

#[test]
fn last_error_slot_is_shared_with_the_windows_surface_and_works_without_a_sim() {
    unsafe {
        SetLastError(ERROR_NOT_FOUND);
        assert_eq!(
            qwave_sim::windows::Win32::Foundation::GetLastError().0,
            ERROR_NOT_FOUND
        );
        WSASetLastError(WSAENOTSOCK);
        assert_eq!(GetLastError(), WSAENOTSOCK as u32, "GEN-1: one slot");
        assert_eq!(WSAGetLastError(), WSAENOTSOCK);
    }
}

/// A sequence of calls through the `windows` surface; `ov` is the OVERLAPPED storage (its
/// address is the request's key in the event log).
fn sequence_windows(ov: *mut [usize; 4]) -> Vec<Stamped> {
    use qwave_sim::windows::Win32::Foundation::{HANDLE, TRUE};
    use qwave_sim::windows::Win32::NetworkManagement::QoS::*;
    use qwave_sim::windows::Win32::Networking::WinSock::*;
    use qwave_sim::windows::Win32::System::IO::*;
    let sim = Sim::builder().seed(5).build();
    let _g = sim.enter();
    let ov = ov as *mut OVERLAPPED;
    unsafe {
        let mut h = HANDLE::default();
        let _ = QOSCreateHandle(
            &QOS_VERSION {
                MajorVersion: 1,
                MinorVersion: 0,
            },
            &mut h,
        );
        let s = socket(2, SOCK_DGRAM, 17).unwrap();
        let peer = sockaddr_in("192.168.1.20:5000");
        let dest = as_sockaddr(&peer) as *const _;
        let _ = connect(s, dest, 16);
        let mut f = 0u32;
        let _ = QOSAddSocketToFlow(h, s, None, QOSTrafficTypeVoice, None, &mut f);
        let _ = QOSAddSocketToFlow(HANDLE(GARBAGE), s, None, QOSTrafficTypeVoice, None, &mut f);
        let s2 = socket(2, SOCK_DGRAM, 17).unwrap();
        let other = sockaddr_in("192.168.1.30:5000");
        let mut f2 = 0u32;
        let nonadaptive = Some(QOS_NON_ADAPTIVE_FLOW);
        let _ = QOSAddSocketToFlow(
            h,
            s2,
            Some(as_sockaddr(&other) as *const _),
            QOSTrafficTypeBestEffort,
            nonadaptive,
            &mut f2,
        );
        let tt = QOSTrafficTypeBackground;
        let _ = QOSSetFlow(
            h,
            f2,
            QOSSetTrafficType,
            4,
            &tt as *const _ as *const c_void,
            None,
            Some(ov),
        );
        let mut n = 0u32;
        let _ = GetOverlappedResult(h, ov, &mut n, true);
        qwave_sim::Sim::current().unwrap().advance(Duration::from_secs(3));
        let mut pri = [0u8; 16];
        let mut size = 16u32;
        let _ = QOSQueryFlow(
            h,
            f,
            QOSQueryPacketPriority,
            &mut size,
            pri.as_mut_ptr().cast(),
            Some(QOS_QUERYFLOW_FRESH),
            None,
        );
        let _ = QOSNotifyFlow(h, f, QOSNotifyCongested, None, None, None, Some(ov));
        let _ = QOSCancel(h, ov);
        let _ = GetOverlappedResult(h, ov, &mut n, true);
        let mut size = 4u32;
        let _ = QOSEnumerateFlows(h, &mut size, pri.as_mut_ptr().cast());
        let _ = QOSStartTrackingClient(h, dest, None);
        let _ = QOSStopTrackingClient(h, dest, Some(1));
        let _ = QOSRemoveSocketFromFlow(h, Some(s), f, None);
        let _ = QOSRemoveSocketFromFlow(h, None, f2, None);
        assert_eq!(QOSCloseHandle(h), TRUE);
        let _ = closesocket(s);
    }
    sim.events()
}

/// The same sequence through `windows_sys`.
fn sequence_windows_sys(ov: *mut [usize; 4]) -> Vec<Stamped> {
    let sim = Sim::builder().seed(5).build();
    let _g = sim.enter();
    let ov = ov as *mut OVERLAPPED;
    unsafe {
        let mut h: HANDLE = null_mut();
        let _ = QOSCreateHandle(&V1, &mut h);
        let s = socket(2, SOCK_DGRAM, 17);
        let peer = sockaddr_in("192.168.1.20:5000");
        let dest = as_sockaddr(&peer);
        let _ = connect(s, dest, 16);
        let mut f = 0u32;
        let _ = QOSAddSocketToFlow(h, s, null(), QOSTrafficTypeVoice, 0, &mut f);
        let _ = QOSAddSocketToFlow(GARBAGE, s, null(), QOSTrafficTypeVoice, 0, &mut f);
        let s2 = socket(2, SOCK_DGRAM, 17);
        let other = sockaddr_in("192.168.1.30:5000");
        let mut f2 = 0u32;
        let nonadaptive = QOS_NON_ADAPTIVE_FLOW;
        let _ = QOSAddSocketToFlow(
            h,
            s2,
            as_sockaddr(&other),
            QOSTrafficTypeBestEffort,
            nonadaptive,
            &mut f2,
        );
        let tt = QOSTrafficTypeBackground;
        let _ = QOSSetFlow(
            h,
            f2,
            QOSSetTrafficType,
            4,
            &tt as *const _ as *const c_void,
            0,
            ov,
        );
        let mut n = 0u32;
        let _ = GetOverlappedResult(h, ov, &mut n, TRUE);
        Sim::current().unwrap().advance(Duration::from_secs(3));
        let mut pri = [0u8; 16];
        let mut size = 16u32;
        let _ = QOSQueryFlow(
            h,
            f,
            QOSQueryPacketPriority,
            &mut size,
            pri.as_mut_ptr().cast(),
            QOS_QUERYFLOW_FRESH,
            null_mut(),
        );
        let _ = QOSNotifyFlow(h, f, QOSNotifyCongested, null_mut(), null_mut(), 0, ov);
        let _ = QOSCancel(h, ov);
        let _ = GetOverlappedResult(h, ov, &mut n, TRUE);
        let mut size = 4u32;
        let _ = QOSEnumerateFlows(h, &mut size, pri.as_mut_ptr().cast());
        let _ = QOSStartTrackingClient(h, dest, 0);
        let _ = QOSStopTrackingClient(h, dest, 1);
        let _ = QOSRemoveSocketFromFlow(h, s, f, 0);
        let _ = QOSRemoveSocketFromFlow(h, 0, f2, 0);
        assert_eq!(QOSCloseHandle(h), TRUE);
        let _ = closesocket(s);
    }
    sim.events()
}

#[test]
fn same_calls_through_windows_and_windows_sys_give_identical_event_logs() {
    // One OVERLAPPED storage for both runs: its address is the requests' key in the log.
    let mut ov = Box::new([0usize; 4]);
    let a = sequence_windows(&mut *ov);
    *ov = [0; 4];
    let b = sequence_windows_sys(&mut *ov);
    assert_eq!(a, b);
    // The log is not trivially equal: it holds calls, failures, socket calls and completions.
    let count = |f: fn(&Event) -> bool| a.iter().filter(|e| f(&e.event)).count();
    assert_eq!(count(|e| matches!(e, Event::Call { .. })), 14);
    // Failed: the garbage handle, the two pending requests (IO_PENDING), enumerate (not an
    // administrator); QOSStopTrackingClient ignores its reserved Flags (STO-7).
    assert_eq!(count(|e| matches!(e, Event::Call { result: Err(_), .. })), 4);
    assert_eq!(count(|e| matches!(e, Event::Completion(_))), 2);
    assert!(count(|e| matches!(e, Event::Socket { .. })) >= 4);
}

/// Without an entered sim a call panics saying how to enter one; the functions are
/// `extern "system"`, so the panic cannot unwind and the process aborts after printing it.
/// Checked in a child process (this test binary, re-run on this one test).
#[test]
fn call_without_a_sim_aborts_with_a_message_saying_how_to_enter_one() {
    const NAME: &str = "call_without_a_sim_aborts_with_a_message_saying_how_to_enter_one";
    if std::env::var_os("QWAVE_SIM_SYS_CHILD").is_some() {
        let r = unsafe { QOSCloseHandle(null_mut()) };
        println!("not reached: {r}");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
        .env("QWAVE_SIM_SYS_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the child must not pass: {stderr}");
    assert!(
        stderr.contains("`QOSCloseHandle` was called on a thread that has no simulator entered"),
        "{stderr}"
    );
    assert!(stderr.contains("let _guard = sim.enter();"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("not reached"));
}

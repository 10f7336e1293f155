//! Bad input through every function: NULL pointers, garbage handles, wrong sizes and
//! out-of-range enum values get the Win32 error an app would see, never a panic; the sim's
//! invariants hold after every call.

use std::ptr::{null, null_mut};

use super::common::*;

fn garbage() -> HANDLE {
    HANDLE(0xdead_beef_usize as *mut c_void)
}

#[test]
fn gen_6_garbage_and_null_handles_give_invalid_handle_in_every_function() {
    let sim = Sim::new();
    let _g = sim.enter();
    let s = udp_socket();
    let sa = sockaddr(PEER);
    let dest = &sa as *const SOCKADDR_IN as *const SOCKADDR;
    let mut ov = OVERLAPPED::default();
    for h in [HANDLE::default(), garbage(), INVALID_HANDLE_VALUE] {
        let mut flow = 0u32;
        let mut size = 64u32;
        let mut buf = [0u8; 64];
        let p = buf.as_mut_ptr() as *mut c_void;
        let calls: Vec<BOOL> = unsafe {
            vec![
                QOSCloseHandle(h),
                QOSAddSocketToFlow(h, s, Some(dest), QOSTrafficTypeVoice, None, &mut flow),
                QOSRemoveSocketFromFlow(h, Some(s), 1, None),
                QOSSetFlow(h, 1, QOSSetTrafficType, 4, p, None, None),
                QOSQueryFlow(h, 1, QOSQueryPacketPriority, &mut size, p, None, Some(&mut ov)),
                QOSNotifyFlow(h, 1, QOSNotifyCongested, None, None, None, None),
                QOSCancel(h, &ov),
                QOSEnumerateFlows(h, &mut size, p),
                QOSStartTrackingClient(h, dest, None),
                QOSStopTrackingClient(h, dest, None),
            ]
        };
        for (i, r) in calls.into_iter().enumerate() {
            assert!(!r.as_bool(), "call {i} on {h:?}");
            assert_eq!(
                unsafe { GetLastError() },
                ERROR_INVALID_HANDLE,
                "call {i} on {h:?}"
            );
        }
        assert_eq!(ov.Internal, 0, "a rejected request never touches the OVERLAPPED");
        sim.check_invariants().unwrap();
    }
}

#[test]
fn null_pointers_give_invalid_parameter() {
    let sim = Sim::new();
    let _g = sim.enter();
    let mut h = HANDLE::default();
    assert_fails(
        &sim,
        unsafe { QOSCreateHandle(&V1, null_mut()) },
        ERROR_INVALID_PARAMETER,
    );
    assert_fails(
        &sim,
        unsafe { QOSCreateHandle(null(), null_mut()) },
        ERROR_INVALID_PARAMETER,
    );
    let bad = QOS_VERSION {
        MajorVersion: 2,
        MinorVersion: 0,
    };
    assert_fails(
        &sim,
        unsafe { QOSCreateHandle(&bad, &mut h) },
        ERROR_INVALID_PARAMETER,
    );
    let h = create_handle();
    let s = udp_socket();
    let sa = sockaddr(PEER);
    let dest = &sa as *const SOCKADDR_IN as *const SOCKADDR;
    // NULL FlowId.
    let r = unsafe { QOSAddSocketToFlow(h, s, Some(dest), QOSTrafficTypeVoice, None, null_mut()) };
    assert_fails(&sim, r, ERROR_INVALID_PARAMETER);
    let (_s2, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, None);
    // NULL buffer / NULL size.
    let r = unsafe { QOSSetFlow(h, flow, QOSSetTrafficType, 4, null(), None, None) };
    assert_fails(&sim, r, ERROR_INVALID_PARAMETER);
    let mut v = 0u64;
    let r = unsafe {
        QOSQueryFlow(
            h,
            flow,
            QOSQueryOutgoingRate,
            null_mut(),
            &mut v as *mut _ as *mut c_void,
            None,
            None,
        )
    };
    assert_fails(&sim, r, ERROR_INVALID_PARAMETER);
    let mut size = 8u32;
    let r = unsafe { QOSQueryFlow(h, flow, QOSQueryOutgoingRate, &mut size, null_mut(), None, None) };
    assert_fails(&sim, r, ERROR_INVALID_PARAMETER);
    let r = unsafe { QOSNotifyFlow(h, flow, QOSNotifyAvailable, None, None, None, None) };
    assert_fails(&sim, r, ERROR_INVALID_PARAMETER);
    assert_fails(&sim, unsafe { QOSCancel(h, null()) }, ERROR_INVALID_PARAMETER);
    assert_fails(
        &sim,
        unsafe { QOSEnumerateFlows(h, null_mut(), null_mut()) },
        ERROR_INVALID_PARAMETER,
    );
    assert_fails(
        &sim,
        unsafe { QOSStartTrackingClient(h, null(), None) },
        ERROR_INVALID_PARAMETER,
    );
    assert_fails(
        &sim,
        unsafe { QOSStopTrackingClient(h, null(), None) },
        ERROR_INVALID_PARAMETER,
    );
    let mut bytes = 0u32;
    let e = unsafe { GetOverlappedResult(h, null(), &mut bytes, true) }.unwrap_err();
    assert_eq!(e, ERROR_INVALID_PARAMETER.into());
}

#[test]
fn wrong_sizes_never_read_or_write_past_the_buffer() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let (_s, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, None);
    // QOSSetFlow with a short Size: the bytes are not read (the buffer is 2 bytes long).
    let short = [4u8, 0];
    let r = unsafe {
        QOSSetFlow(
            h,
            flow,
            QOSSetTrafficType,
            2,
            short.as_ptr() as *const c_void,
            None,
            None,
        )
    };
    assert_fails(&sim, r, ERROR_INVALID_PARAMETER);
    let r = unsafe {
        QOSSetFlow(
            h,
            flow,
            QOSSetOutgoingRate,
            4,
            short.as_ptr() as *const c_void,
            None,
            None,
        )
    };
    assert_fails(&sim, r, ERROR_INVALID_PARAMETER);
    // Too-small query buffer: ERROR_INSUFFICIENT_BUFFER and the required size, buffer untouched.
    let mut buf = [0xAAu8; 4];
    let mut size = 4u32;
    let r = unsafe {
        QOSQueryFlow(
            h,
            flow,
            QOSQueryPacketPriority,
            &mut size,
            buf.as_mut_ptr() as *mut c_void,
            None,
            None,
        )
    };
    assert_fails(&sim, r, ERROR_INSUFFICIENT_BUFFER);
    assert_eq!((size, buf), (16, [0xAA; 4]));
    // Enumerate checks the size before the caller's rights (AMB-33), then needs an
    // administrator (ENU-2) and leaves `*Size` as it was.
    let mut size = 0u32;
    let r = unsafe { QOSEnumerateFlows(h, &mut size, null_mut()) };
    assert_fails(&sim, r, ERROR_INSUFFICIENT_BUFFER);
    assert_eq!(size, 4);
    let mut ids = [0u32; 1];
    let r = unsafe { QOSEnumerateFlows(h, &mut size, ids.as_mut_ptr() as *mut c_void) };
    assert_fails(&sim, r, ERROR_ACCESS_DENIED);
    assert_eq!((size, ids), (4, [0]));
    // NotifyAvailable with Size 4: never reads the 8-byte target.
    let mut small = 4u32;
    let mut four = [0u8; 4];
    let r = unsafe {
        QOSNotifyFlow(
            h,
            flow,
            QOSNotifyAvailable,
            Some(&mut small),
            Some(four.as_mut_ptr() as *mut c_void),
            None,
            None,
        )
    };
    assert_fails(&sim, r, ERROR_INSUFFICIENT_BUFFER);
    assert_eq!(small, 8);
}

#[test]
fn out_of_range_enum_values_give_invalid_parameter() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let (_s, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, None);
    let s = udp_socket();
    let sa = sockaddr(PEER);
    let mut f = 0u32;
    let r = unsafe {
        QOSAddSocketToFlow(
            h,
            s,
            Some(&sa as *const SOCKADDR_IN as *const SOCKADDR),
            QOS_TRAFFIC_TYPE(99),
            None,
            &mut f,
        )
    };
    assert_fails(&sim, r, ERROR_INVALID_PARAMETER);
    let v = 0u32;
    let r = unsafe {
        QOSSetFlow(
            h,
            flow,
            QOS_SET_FLOW(7),
            4,
            &v as *const _ as *const c_void,
            None,
            None,
        )
    };
    assert_fails(&sim, r, ERROR_INVALID_PARAMETER);
    let bad_tt = 42i32;
    let r = unsafe {
        QOSSetFlow(
            h,
            flow,
            QOSSetTrafficType,
            4,
            &bad_tt as *const _ as *const c_void,
            None,
            None,
        )
    };
    assert_fails(&sim, r, ERROR_INVALID_PARAMETER);
    let mut size = 64u32;
    let mut buf = [0u8; 64];
    let r = unsafe {
        QOSQueryFlow(
            h,
            flow,
            QOS_QUERY_FLOW(-1),
            &mut size,
            buf.as_mut_ptr() as *mut c_void,
            None,
            None,
        )
    };
    assert_fails(&sim, r, ERROR_INVALID_PARAMETER);
    let r = unsafe { QOSNotifyFlow(h, flow, QOS_NOTIFY_FLOW(3), None, None, None, None) };
    assert_fails(&sim, r, ERROR_INVALID_PARAMETER);
    let r = unsafe {
        QOSAddSocketToFlow(
            h,
            s,
            Some(&sa as *const SOCKADDR_IN as *const SOCKADDR),
            QOSTrafficTypeVoice,
            Some(0x80),
            &mut f,
        )
    };
    assert_fails(&sim, r, ERROR_INVALID_PARAMETER);
    // A SOCKADDR of an unknown family.
    let mut odd = SOCKADDR {
        sa_family: ADDRESS_FAMILY(10),
        ..Default::default()
    };
    odd.sa_data[0] = 1;
    let r = unsafe { QOSStartTrackingClient(h, &odd, None) };
    assert!(!r.as_bool());
    sim.check_invariants().unwrap();
}

#[test]
fn kernel_object_calls_on_garbage_handles_fail_cleanly() {
    let sim = Sim::new();
    let _g = sim.enter();
    assert_eq!(unsafe { WaitForSingleObject(garbage(), INFINITE) }, WAIT_FAILED);
    assert_eq!(unsafe { GetLastError() }, ERROR_INVALID_HANDLE);
    assert!(unsafe { SetEvent(garbage()) }.is_err());
    assert!(unsafe { CloseHandle(garbage()) }.is_err());
    let (mut b, mut k, mut o) = (0u32, 0usize, null_mut::<OVERLAPPED>());
    assert!(unsafe { GetQueuedCompletionStatus(garbage(), &mut b, &mut k, &mut o, 0) }.is_err());
    assert_eq!(unsafe { GetLastError() }, ERROR_INVALID_HANDLE);
    assert!(unsafe { CreateIoCompletionPort(garbage(), None, 0, 0) }.is_err());
    assert!(unsafe { CancelIoEx(garbage(), None) }.is_err());
    let ev = unsafe { CreateEventW(None, false, true, None) }.unwrap();
    assert_eq!(unsafe { WaitForSingleObject(ev, 0) }, WAIT_OBJECT_0);
    assert_eq!(unsafe { WaitForSingleObject(ev, 0) }, WAIT_TIMEOUT, "auto-reset");
    unsafe { CloseHandle(ev) }.unwrap();
    assert_eq!(unsafe { WaitForSingleObject(ev, 0) }, WAIT_FAILED);
    sim.check_invariants().unwrap();
}

#[test]
fn winsock_errors_use_socket_error_and_wsagetlasterror() {
    let sim = Sim::new();
    let _g = sim.enter();
    let mut data = WSADATA::default();
    assert_eq!(unsafe { WSAStartup(0x0202, &mut data) }, 0);
    assert_eq!(data.wVersion, 0x0202);
    let e = unsafe { socket(99, SOCK_DGRAM, 0) }.unwrap_err();
    assert_eq!(e.code(), HRESULT::from_win32(WSAEAFNOSUPPORT.0 as u32));
    assert_eq!(unsafe { WSAGetLastError() }, WSAEAFNOSUPPORT);
    let s = udp_socket();
    let sa = sockaddr("192.168.1.10:4000");
    assert_eq!(
        unsafe { bind(s, &sa as *const SOCKADDR_IN as *const SOCKADDR, 8) },
        SOCKET_ERROR
    );
    assert_eq!(unsafe { WSAGetLastError() }, WSAEFAULT);
    assert_eq!(unsafe { bind(s, null(), 16) }, SOCKET_ERROR);
    assert_eq!(
        unsafe { bind(s, &sa as *const SOCKADDR_IN as *const SOCKADDR, 16) },
        0
    );
    let mut out = SOCKADDR_IN::default();
    let mut len = 16i32;
    assert_eq!(
        unsafe { getsockname(s, &mut out as *mut SOCKADDR_IN as *mut SOCKADDR, &mut len) },
        0
    );
    assert_eq!(
        std::net::Ipv4Addr::from(out.sin_addr),
        std::net::Ipv4Addr::new(192, 168, 1, 10)
    );
    assert_eq!(u16::from_be(out.sin_port), 4000);
    assert_eq!(
        unsafe { getpeername(s, &mut out as *mut SOCKADDR_IN as *mut SOCKADDR, &mut len) },
        SOCKET_ERROR
    );
    assert_eq!(unsafe { WSAGetLastError() }, WSAENOTCONN);
    let v6 = unsafe { socket(AF_INET6.0 as i32, SOCK_DGRAM, IPPROTO_UDP.0) }.unwrap();
    let off = 0i32.to_ne_bytes();
    assert_eq!(
        unsafe { setsockopt(v6, IPPROTO_IPV6.0, IPV6_V6ONLY, Some(&off)) },
        0
    );
    assert_eq!(
        unsafe { setsockopt(v6, IPPROTO_IPV6.0, IPV6_V6ONLY, None) },
        SOCKET_ERROR
    );
    assert_eq!(
        unsafe { setsockopt(SOCKET(12345678), SOL_SOCKET, 4, Some(&off)) },
        SOCKET_ERROR
    );
    assert_eq!(unsafe { WSAGetLastError() }, WSAENOTSOCK);
    assert_eq!(unsafe { closesocket(s) }, 0);
    assert_eq!(unsafe { closesocket(s) }, SOCKET_ERROR);
    assert_eq!(unsafe { WSACleanup() }, 0);
    sim.check_invariants().unwrap();
}

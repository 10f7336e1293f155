//! Bad input through every function: NULL pointers, garbage handles, wrong sizes,
//! out-of-range enum values and unknown address families get the Win32 error an app would
//! see, never a panic; the sim's invariants hold after every call.

use super::common::*;

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
            ERROR_INSUFFICIENT_BUFFER,
        );
        assert_eq!(size, 4, "AMB-33: the size check comes before privilege");
        let mut ids = [0u32; 1];
        fails(
            &sim,
            QOSEnumerateFlows(h, &mut size, ids.as_mut_ptr() as *mut c_void),
            ERROR_ACCESS_DENIED,
        );
        assert_eq!(
            (size, ids),
            (4, [0]),
            "ENU-2: not an administrator, *Size untouched"
        );
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

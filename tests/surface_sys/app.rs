//! An app-shaped run, written as against windows-sys.

use super::common::*;

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
        // `Internal` holds the NTSTATUS; GetQueuedCompletionStatus reported its Win32 code.
        assert_eq!(ov2.Internal, STATUS_CANCELLED as u32 as usize);

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

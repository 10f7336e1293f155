//! GEN-1..GEN-5, CRE-10, AMB-31: the cross-cutting behaviour of the windows surface.

use std::time::Duration;

use qwave_sim::model::{Event, Fault, Func, PathRef};

use super::common::*;

#[test]
fn gen_1_failure_is_false_plus_thread_last_error_read_by_both_getters() {
    let sim = Sim::new();
    let _g = sim.enter();
    let mut h = HANDLE::default();
    let r = unsafe { QOSCreateHandle(std::ptr::null(), &mut h) };
    assert_fails(&sim, r, ERROR_INVALID_PARAMETER);
    assert_eq!(unsafe { WSAGetLastError() }, WSA_ERROR(87));
    assert_eq!(r.ok().unwrap_err().code(), HRESULT::from_win32(87));
    assert_eq!(
        WIN32_ERROR::from_error(&r.ok().unwrap_err()),
        Some(ERROR_INVALID_PARAMETER)
    );
    // WSASetLastError writes the same slot GetLastError reads.
    unsafe { WSASetLastError(10038) };
    assert_eq!(unsafe { GetLastError() }, WIN32_ERROR(10038));
    assert!(h.is_invalid(), "a failed create leaves *QOSHandle untouched");
}

#[test]
fn gen_2_success_leaves_last_error_untouched() {
    let sim = Sim::new();
    let _g = sim.enter();
    let seeded = WIN32_ERROR(0xdead_beef);
    unsafe { SetLastError(seeded) };
    let h = create_handle();
    assert_eq!(unsafe { GetLastError() }, seeded);
    let (s, flow) = add_flow(
        h,
        "192.168.1.30:5000",
        QOSTrafficTypeVoice,
        Some(QOS_NON_ADAPTIVE_FLOW),
    );
    assert_eq!(unsafe { GetLastError() }, seeded);
    let mut prio = QOS_PACKET_PRIORITY::default();
    let mut size = 16u32;
    let r = unsafe {
        QOSQueryFlow(
            h,
            flow,
            QOSQueryPacketPriority,
            &mut size,
            &mut prio as *mut _ as *mut c_void,
            None,
            None,
        )
    };
    assert_ok(&sim, r);
    assert_eq!(unsafe { GetLastError() }, seeded);
    assert_ok(&sim, unsafe { QOSRemoveSocketFromFlow(h, Some(s), flow, None) });
    assert_ok(&sim, unsafe { QOSCloseHandle(h) });
    assert_eq!(unsafe { GetLastError() }, seeded);
    assert_eq!(unsafe { closesocket(s) }, 0);
    assert_eq!(unsafe { GetLastError() }, seeded);
}

#[test]
fn gen_3_overlapped_query_is_pending_then_completes_through_event_and_getoverlappedresult() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let (_s, flow) = add_flow(
        h,
        "192.168.1.30:5000",
        QOSTrafficTypeAudioVideo,
        Some(QOS_NON_ADAPTIVE_FLOW),
    );
    let r = set_rate(h, flow, 3_000_000, None);
    assert_ok(&sim, r);

    let mut ov = overlapped_with_event();
    let mut out = 0u64;
    let mut size = 8u32;
    let r = query_rate(h, flow, &mut size, &mut out, Some(&mut ov));
    assert_fails(&sim, r, ERROR_IO_PENDING);
    assert_eq!(ov.Internal, STATUS_PENDING.0 as usize);
    assert_eq!(out, 0, "nothing written before completion");
    let mut bytes = 0u32;
    let e = unsafe { GetOverlappedResult(h, &ov, &mut bytes, false) }.unwrap_err();
    assert_eq!(WIN32_ERROR::from_error(&e), Some(ERROR_IO_INCOMPLETE));
    assert_eq!(unsafe { WaitForSingleObject(ov.hEvent, 0) }, WAIT_TIMEOUT);

    assert_eq!(unsafe { WaitForSingleObject(ov.hEvent, INFINITE) }, WAIT_OBJECT_0);
    assert_eq!(
        sim.now(),
        Duration::from_millis(1),
        "completion after the world's I/O latency"
    );
    unsafe { GetOverlappedResult(h, &ov, &mut bytes, false) }.unwrap();
    assert_eq!((bytes, out, size), (8, 3_000_000, 8));
    assert_eq!((ov.Internal, ov.InternalHigh), (0, 8));
    sim.check_invariants().unwrap();
}

#[test]
fn gen_3_getoverlappedresult_with_wait_runs_virtual_time_until_completion() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let (_s, flow) = add_flow(
        h,
        "192.168.1.30:5000",
        QOSTrafficTypeVoice,
        Some(QOS_NON_ADAPTIVE_FLOW),
    );
    let tt = QOSTrafficTypeBackground;
    let mut ov = OVERLAPPED::default();
    let r = unsafe {
        QOSSetFlow(
            h,
            flow,
            QOSSetTrafficType,
            4,
            &tt as *const _ as *const c_void,
            None,
            Some(&mut ov),
        )
    };
    assert_fails(&sim, r, ERROR_IO_PENDING);
    assert_eq!(sim.flows()[0].traffic_type, qwave_sim::model::TrafficType::Voice);
    let mut bytes = 7u32;
    unsafe { GetOverlappedResult(h, &ov, &mut bytes, true) }.unwrap();
    assert_eq!(bytes, 0);
    assert_eq!(
        sim.flows()[0].traffic_type,
        qwave_sim::model::TrafficType::Background
    );
    assert_eq!(sim.deadlocks(), 0);
}

#[test]
fn gen_4_without_overlapped_calls_run_synchronously_and_fill_the_buffer() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let (_s, flow) = add_flow(h, PEER, QOSTrafficTypeAudioVideo, None);
    sim.advance(Duration::from_millis(2_500)); // past warm-up and partial estimates
    let mut f = QOS_FLOW_FUNDAMENTALS::default();
    let mut size = std::mem::size_of::<QOS_FLOW_FUNDAMENTALS>() as u32;
    let r = unsafe {
        QOSQueryFlow(
            h,
            flow,
            QOSQueryFlowFundamentals,
            &mut size,
            &mut f as *mut _ as *mut c_void,
            None,
            None,
        )
    };
    assert_ok(&sim, r);
    let world = qwave_sim::model::World::default();
    let path = &world.peers[0].path;
    assert_eq!(size, 40);
    assert_eq!(
        f,
        QOS_FLOW_FUNDAMENTALS {
            BottleneckBandwidthSet: TRUE,
            BottleneckBandwidth: path.bottleneck_bps,
            AvailableBandwidthSet: TRUE,
            AvailableBandwidth: path.available_bps,
            RTTSet: TRUE,
            RTT: path.rtt_us,
        }
    );
    // A FRESH query blocks on the virtual clock for the probe.
    let before = sim.now();
    let r = unsafe {
        QOSQueryFlow(
            h,
            flow,
            QOSQueryFlowFundamentals,
            &mut size,
            &mut f as *mut _ as *mut c_void,
            Some(QOS_QUERYFLOW_FRESH),
            None,
        )
    };
    assert_ok(&sim, r);
    assert_eq!(
        sim.now() - before,
        Duration::from_millis(world.settings.fresh_probe_ms)
    );
}

#[test]
fn gen_5_cre_10_completions_are_queued_on_the_bound_completion_port() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let (_s, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, None);
    sim.advance(Duration::from_secs(2)); // the path's estimate completes (NOT-5)
    let t0 = sim.now();
    let port = unsafe { CreateIoCompletionPort(h, None, 77, 0) }.unwrap();
    let mut ov = OVERLAPPED::default();
    let r = unsafe { QOSNotifyFlow(h, flow, QOSNotifyCongested, None, None, None, Some(&mut ov)) };
    assert_fails(&sim, r, ERROR_IO_PENDING);

    let (mut bytes, mut key, mut pov) = (0u32, 0usize, std::ptr::null_mut::<OVERLAPPED>());
    let e = unsafe { GetQueuedCompletionStatus(port, &mut bytes, &mut key, &mut pov, 50) }.unwrap_err();
    assert_eq!(WIN32_ERROR::from_error(&e), Some(WIN32_ERROR(WAIT_TIMEOUT.0)));
    assert!(pov.is_null());
    assert_eq!(
        sim.now(),
        t0 + Duration::from_millis(50),
        "a timed wait advances virtual time"
    );

    let peer = PathRef::Peer("192.168.1.20".parse().unwrap());
    sim.inject_at(
        t0 + Duration::from_millis(300),
        Fault::Congestion {
            path: peer,
            congested: true,
        },
    );
    unsafe { GetQueuedCompletionStatus(port, &mut bytes, &mut key, &mut pov, INFINITE) }.unwrap();
    assert_eq!((key, pov), (77, &mut ov as *mut OVERLAPPED));
    assert_eq!(sim.now(), t0 + Duration::from_millis(300));
    assert_eq!(ov.Internal, 0);
    sim.check_invariants().unwrap();
}

#[test]
fn can_3_cancelled_request_completes_with_operation_aborted_on_the_port() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let (_s, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, None);
    let port = unsafe { CreateIoCompletionPort(INVALID_HANDLE_VALUE, None, 0, 0) }.unwrap();
    let same = unsafe { CreateIoCompletionPort(h, Some(port), 5, 0) }.unwrap();
    assert_eq!(same, port);
    let mut ov = overlapped_with_event();
    let r = unsafe { QOSNotifyFlow(h, flow, QOSNotifyCongested, None, None, None, Some(&mut ov)) };
    assert_fails(&sim, r, ERROR_IO_PENDING);
    assert_ok(&sim, unsafe { QOSCancel(h, &ov) });
    let (mut bytes, mut key, mut pov) = (0u32, 0usize, std::ptr::null_mut::<OVERLAPPED>());
    let e = unsafe { GetQueuedCompletionStatus(port, &mut bytes, &mut key, &mut pov, 0) }.unwrap_err();
    assert_eq!(WIN32_ERROR::from_error(&e), Some(ERROR_OPERATION_ABORTED));
    assert_eq!(
        (key, pov),
        (5, &mut ov as *mut OVERLAPPED),
        "a failed packet still names its OVERLAPPED"
    );
    assert_eq!(unsafe { WaitForSingleObject(ov.hEvent, 0) }, WAIT_OBJECT_0);
    let e = unsafe { GetOverlappedResult(h, &ov, &mut bytes, false) }.unwrap_err();
    assert_eq!(e, ERROR_OPERATION_ABORTED.into());
    assert_eq!(sim.now(), Duration::ZERO);
}

#[test]
fn amb_31_infinite_wait_that_nothing_can_end_is_a_recorded_deadlock() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let (_s, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, None);
    let mut ov = overlapped_with_event();
    let r = unsafe { QOSNotifyFlow(h, flow, QOSNotifyCongested, None, None, None, Some(&mut ov)) };
    assert_fails(&sim, r, ERROR_IO_PENDING);
    let mut bytes = 0u32;
    let e = unsafe { GetOverlappedResult(h, &ov, &mut bytes, true) }.unwrap_err();
    assert_eq!(WIN32_ERROR::from_error(&e), Some(ERROR_IO_INCOMPLETE));
    assert_eq!(sim.deadlocks(), 1);
    assert!(sim
        .events()
        .iter()
        .any(|e| e.event == Event::Deadlock(Func::NotifyFlow)));
    assert_eq!(unsafe { WaitForSingleObject(ov.hEvent, INFINITE) }, WAIT_TIMEOUT);
    assert_eq!(sim.deadlocks(), 2);
    // Still pending: a later congestion completes it.
    sim.inject(Fault::Congestion {
        path: PathRef::Peer("192.168.1.20".parse().unwrap()),
        congested: true,
    });
    assert_eq!(unsafe { WaitForSingleObject(ov.hEvent, 0) }, WAIT_OBJECT_0);
    sim.check_invariants().unwrap();
}

#[test]
fn sim_6_completed_notify_available_leaves_the_callers_buffer_and_size_alone() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let (_s, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, None);
    let peer = PathRef::Peer("192.168.1.20".parse().unwrap());
    sim.inject(Fault::Bandwidth {
        path: peer,
        available_bps: 1_000_000,
        bottleneck_bps: None,
    });
    let mut ov = overlapped_with_event();
    let mut target = 5_000_000u64;
    let mut size = 8u32;
    let r = unsafe {
        QOSNotifyFlow(
            h,
            flow,
            QOSNotifyAvailable,
            Some(&mut size),
            Some(&mut target as *mut u64 as *mut c_void),
            None,
            Some(&mut ov),
        )
    };
    assert_fails(&sim, r, ERROR_IO_PENDING);
    sim.inject_at(
        Duration::from_secs(2),
        Fault::Bandwidth {
            path: peer,
            available_bps: 9_000_000,
            bottleneck_bps: None,
        },
    );
    assert_eq!(unsafe { WaitForSingleObject(ov.hEvent, 1_000) }, WAIT_TIMEOUT);
    assert_eq!(unsafe { WaitForSingleObject(ov.hEvent, 1_000) }, WAIT_OBJECT_0);
    // No source says Windows writes the current bandwidth back: the target stays.
    assert_eq!((target, size, ov.InternalHigh), (5_000_000, 8, 0));
}

#[test]
fn not_14_closing_the_handle_aborts_a_pending_notification() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let (_s, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, None);
    let mut ov = overlapped_with_event();
    let r = unsafe { QOSNotifyFlow(h, flow, QOSNotifyCongested, None, None, None, Some(&mut ov)) };
    assert_fails(&sim, r, ERROR_IO_PENDING);
    assert_ok(&sim, unsafe { QOSCloseHandle(h) });
    assert_eq!(unsafe { WaitForSingleObject(ov.hEvent, 0) }, WAIT_OBJECT_0);
    // As on Windows, `Internal` holds the NTSTATUS; GetOverlappedResult maps it to 995.
    assert_eq!(ov.Internal, STATUS_CANCELLED.0 as u32 as usize);
    let mut n = 7;
    let e = unsafe { GetOverlappedResult(h, &ov, &mut n, false) }.unwrap_err();
    assert_eq!(WIN32_ERROR::from_error(&e), Some(ERROR_OPERATION_ABORTED));
    sim.check_invariants().unwrap();
}

#[test]
fn overlapped_reused_right_after_cancel_keeps_each_requests_own_result() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let (_s, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, None);
    let first = unsafe { CreateEventW(None, true, false, None) }.unwrap();
    let second = unsafe { CreateEventW(None, true, false, None) }.unwrap();
    let mut ov = OVERLAPPED {
        hEvent: first,
        ..Default::default()
    };
    let r = unsafe { QOSNotifyFlow(h, flow, QOSNotifyCongested, None, None, None, Some(&mut ov)) };
    assert_fails(&sim, r, ERROR_IO_PENDING);
    assert_ok(&sim, unsafe { QOSCancel(h, &ov) });
    // Reused before the abort was delivered (an app bug Windows tolerates the same way).
    ov.hEvent = second;
    let r = unsafe { QOSNotifyFlow(h, flow, QOSNotifyCongested, None, None, None, Some(&mut ov)) };
    assert_fails(&sim, r, ERROR_IO_PENDING);
    sim.advance(std::time::Duration::from_millis(10));
    assert_eq!(
        unsafe { WaitForSingleObject(first, 0) },
        WAIT_OBJECT_0,
        "the abort signals the first event"
    );
    assert_eq!(
        unsafe { WaitForSingleObject(second, 0) },
        WAIT_TIMEOUT,
        "the second request is still pending"
    );
    sim.check_invariants().unwrap();
}

#[test]
fn enu_enumerate_writes_every_flow_id_for_an_administrator() {
    let mut world = qwave_sim::model::World::default();
    world.policy.admin = true;
    let sim = Sim::builder().world(world).build();
    let _g = sim.enter();
    let h = create_handle();
    let (_a, f1) = add_flow(h, PEER, QOSTrafficTypeVoice, None);
    let (_b, f2) = add_flow(
        h,
        "192.168.1.30:5000",
        QOSTrafficTypeBackground,
        Some(QOS_NON_ADAPTIVE_FLOW),
    );
    let mut size = 0u32;
    let r = unsafe { QOSEnumerateFlows(h, &mut size, std::ptr::null_mut()) };
    assert_fails(&sim, r, ERROR_INSUFFICIENT_BUFFER);
    assert_eq!(size, 8);
    let mut ids = [0u32; 4];
    let mut size = 16u32;
    assert_ok(&sim, unsafe {
        QOSEnumerateFlows(h, &mut size, ids.as_mut_ptr() as *mut c_void)
    });
    assert_eq!((size, ids), (8, [f1, f2, 0, 0]));
}

#[test]
fn amb_32_return_true_setting_still_completes_the_overlapped() {
    let mut world = qwave_sim::model::World::default();
    world.settings.immediate_completion = qwave_sim::model::world::ImmediateCompletion::ReturnTrue;
    let sim = Sim::builder().world(world).build();
    let _g = sim.enter();
    let h = create_handle();
    let (_s, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, None);
    sim.advance(Duration::from_secs(2)); // the path's estimate completes (NOT-5)
    let port = unsafe { CreateIoCompletionPort(h, None, 9, 0) }.unwrap();
    let mut ov = overlapped_with_event();
    // Not congested now: an Uncongested notification can be answered at once.
    let r = unsafe { QOSNotifyFlow(h, flow, QOSNotifyUncongested, None, None, None, Some(&mut ov)) };
    assert_ok(&sim, r);
    assert_eq!(ov.Internal, 0);
    assert_eq!(unsafe { WaitForSingleObject(ov.hEvent, 0) }, WAIT_OBJECT_0);
    let (mut n, mut key, mut pov) = (0u32, 0usize, std::ptr::null_mut::<OVERLAPPED>());
    unsafe { GetQueuedCompletionStatus(port, &mut n, &mut key, &mut pov, 0) }.unwrap();
    assert_eq!((key, pov), (9, &mut ov as *mut OVERLAPPED));
}

#[test]
fn amb_32_default_immediate_answer_is_pending_then_delivered_on_the_next_step() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let (_s, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, None);
    sim.advance(Duration::from_secs(2)); // the path's estimate completes (NOT-5)
    let mut ov = overlapped_with_event();
    let r = unsafe { QOSNotifyFlow(h, flow, QOSNotifyUncongested, None, None, None, Some(&mut ov)) };
    assert_fails(&sim, r, ERROR_IO_PENDING);
    assert_eq!(
        unsafe { WaitForSingleObject(ov.hEvent, 0) },
        WAIT_OBJECT_0,
        "a zero-timeout wait runs the due step"
    );
    assert_eq!(sim.now(), Duration::from_secs(2));
    assert_eq!(ov.Internal, 0);
}

#[test]
fn cancelioex_without_overlapped_cancels_every_request_of_the_handle() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let (_s, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, None);
    let mut a = overlapped_with_event();
    let mut b = overlapped_with_event();
    let r = unsafe { QOSNotifyFlow(h, flow, QOSNotifyCongested, None, None, None, Some(&mut a)) };
    assert_fails(&sim, r, ERROR_IO_PENDING);
    let mut target = 1_000_000_000u64;
    let mut size = 8u32;
    let r = unsafe {
        QOSNotifyFlow(
            h,
            flow,
            QOSNotifyAvailable,
            Some(&mut size),
            Some(&mut target as *mut u64 as *mut c_void),
            None,
            Some(&mut b),
        )
    };
    assert_fails(&sim, r, ERROR_IO_PENDING);
    unsafe { CancelIoEx(h, None) }.unwrap();
    let mut n = 0u32;
    for ov in [&a, &b] {
        let e = unsafe { GetOverlappedResult(h, ov, &mut n, true) }.unwrap_err();
        assert_eq!(WIN32_ERROR::from_error(&e), Some(ERROR_OPERATION_ABORTED));
    }
    let e = unsafe { CancelIoEx(h, None) }.unwrap_err();
    assert_eq!(e, ERROR_NOT_FOUND.into(), "nothing left to cancel");
    assert_eq!(sim.deadlocks(), 0);
    sim.check_invariants().unwrap();
}

#[test]
fn gen_3_internal_holds_the_ntstatus_and_get_overlapped_result_maps_it_back() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let (_s, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, None);
    sim.advance(Duration::from_secs(2));
    // 500 Mb/s does not fit the path: the overlapped request completes with ERROR_NETWORK_BUSY.
    let mut ov = overlapped_with_event();
    let r = set_rate(h, flow, 500_000_000, Some(&mut ov));
    assert_fails(&sim, r, ERROR_IO_PENDING);
    assert_eq!(ov.Internal, STATUS_PENDING.0 as usize);
    assert_eq!(unsafe { WaitForSingleObject(ov.hEvent, INFINITE) }, WAIT_OBJECT_0);
    assert_eq!(
        ov.Internal, 0xC000_00BF,
        "STATUS_NETWORK_BUSY, not the Win32 code 54"
    );
    let mut bytes = 9u32;
    let e = unsafe { GetOverlappedResult(h, &ov, &mut bytes, false) }.unwrap_err();
    assert_eq!(WIN32_ERROR::from_error(&e), Some(ERROR_NETWORK_BUSY));
    assert_eq!(bytes, 0);
    sim.check_invariants().unwrap();
}

#[test]
fn amb_32_return_true_setting_covers_set_and_query_and_completes_their_overlapped() {
    let mut world = qwave_sim::model::World::default();
    world.settings.immediate_completion = qwave_sim::model::world::ImmediateCompletion::ReturnTrue;
    let sim = Sim::builder().world(world).build();
    let _g = sim.enter();
    let h = create_handle();
    let (_s, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, Some(QOS_NON_ADAPTIVE_FLOW));
    let mut ov = overlapped_with_event();
    let r = set_rate(h, flow, 3_000_000, Some(&mut ov));
    assert_ok(&sim, r);
    assert_eq!((ov.Internal, ov.InternalHigh), (0, 0));
    assert_eq!(unsafe { WaitForSingleObject(ov.hEvent, 0) }, WAIT_OBJECT_0);
    let mut ov = overlapped_with_event();
    let (mut out, mut size) = (0u64, 8u32);
    let r = query_rate(h, flow, &mut size, &mut out, Some(&mut ov));
    assert_ok(&sim, r);
    assert_eq!((out, size, ov.Internal, ov.InternalHigh), (3_000_000, 8, 0, 8));
    assert_eq!(unsafe { WaitForSingleObject(ov.hEvent, 0) }, WAIT_OBJECT_0);
    sim.check_invariants().unwrap();
}

/// The `errno` of this thread, as `std::io::Error::last_os_error()` reports it.
#[cfg(unix)]
fn errno() -> Option<i32> {
    std::io::Error::last_os_error().raw_os_error()
}

/// Sets `errno` to ENOENT the way an app would: a failing std call.
#[cfg(unix)]
fn provoke_enoent() {
    assert!(std::fs::File::open("/qwave-sim/no/such/file").is_err());
    assert_eq!(errno(), Some(2), "ENOENT");
}

#[cfg(unix)]
#[test]
fn gen_1_failure_also_sets_errno_so_last_os_error_reports_the_win32_code() {
    let sim = Sim::new();
    let _g = sim.enter();
    let mut h = HANDLE::default();
    // A qWAVE call.
    let r = unsafe { QOSCreateHandle(std::ptr::null(), &mut h) };
    assert!(!r.as_bool());
    assert_eq!(errno(), Some(87));
    assert_eq!(errno(), Some(unsafe { GetLastError() }.0 as i32));
    // A bad handle, as apps report it: `io::Error::last_os_error()` right after the call.
    let r = unsafe { QOSCloseHandle(HANDLE(0xdead_beef_usize as *mut c_void)) };
    assert!(!r.as_bool());
    let e = std::io::Error::last_os_error();
    assert_eq!(e.raw_os_error(), Some(ERROR_INVALID_HANDLE.0 as i32));
    // A WinSock call.
    assert!(unsafe { socket(99, SOCK_DGRAM, IPPROTO_UDP.0) }.is_err());
    assert_eq!(errno(), Some(WSAEAFNOSUPPORT.0));
    // A kernel call: an overlapped request still pending, asked without waiting.
    let h = create_handle();
    let (_, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, None);
    let mut ov = OVERLAPPED::default();
    let r = unsafe { QOSNotifyFlow(h, flow, QOSNotifyCongested, None, None, None, Some(&mut ov)) };
    assert!(!r.as_bool());
    assert_eq!(errno(), Some(ERROR_IO_PENDING.0 as i32));
    let mut bytes = 0;
    assert!(unsafe { GetOverlappedResult(h, &ov, &mut bytes, false) }.is_err());
    assert_eq!(errno(), Some(ERROR_IO_INCOMPLETE.0 as i32));
    // SetLastError / WSASetLastError write it too, as on Windows.
    unsafe { SetLastError(ERROR_NOT_FOUND) };
    assert_eq!(errno(), Some(1168));
    unsafe { WSASetLastError(WSAENOTSOCK.0) };
    assert_eq!(errno(), Some(WSAENOTSOCK.0));
    unsafe { QOSCloseHandle(h) }.unwrap();
}

#[cfg(unix)]
#[test]
fn gen_2_success_leaves_errno_untouched() {
    let sim = Sim::new();
    let _g = sim.enter();
    provoke_enoent();
    let h = create_handle();
    let (s, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, Some(QOS_NON_ADAPTIVE_FLOW));
    let mut prio = QOS_PACKET_PRIORITY::default();
    let mut size = 16u32;
    let r = unsafe {
        QOSQueryFlow(
            h,
            flow,
            QOSQueryPacketPriority,
            &mut size,
            &mut prio as *mut _ as *mut c_void,
            None,
            None,
        )
    };
    assert!(r.as_bool());
    assert_ok(&sim, unsafe { QOSRemoveSocketFromFlow(h, Some(s), flow, None) });
    assert_eq!(unsafe { closesocket(s) }, 0);
    assert_ok(&sim, unsafe { QOSCloseHandle(h) });
    assert_eq!(
        errno(),
        Some(2),
        "every call succeeded: errno is still the app's ENOENT"
    );
}

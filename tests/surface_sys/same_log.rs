//! The same calls through `windows` and `windows_sys` leave identical event logs.

use super::common::*;

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

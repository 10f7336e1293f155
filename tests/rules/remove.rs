//! REM: QOSRemoveSocketFromFlow. REM-6 is not testable (calls are atomic in the simulator).
use crate::common::*;

const NA: u32 = QOS_NON_ADAPTIVE_FLOW;

/// A non-adaptive flow holding `n` sockets: (handle, sockets, flow).
fn shared_flow(t: &mut T, n: usize) -> (u64, Vec<u64>, u32) {
    let (h, s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    let mut socks = vec![s];
    for _ in 1..n {
        let s = t.udp(AF_INET);
        let d = sa(LLTD_PEER);
        assert_eq!(
            t.call(add_socket_to_flow(h, s, d, 4, NA, Some(f))),
            Ok(CallOutput::Flow(f))
        );
        socks.push(s);
    }
    (h, socks, f)
}

#[test]
fn rem_1_bad_handle_is_invalid_handle() {
    let mut t = T::new();
    let (h, s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    for bad in [0, 0xdead_beef, h + 5] {
        assert_eq!(code(&t.remove(bad, s, f)), E::ERROR_INVALID_HANDLE);
        assert_eq!(code(&t.remove(bad, 0, f)), E::ERROR_INVALID_HANDLE);
    }
    assert!(t.m.flow(f).is_some());
}

#[test]
fn rem_2_flow_not_live_on_this_handle_is_not_found() {
    let mut t = T::new();
    let (h, s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    let h2 = t.handle();
    assert_eq!(code(&t.remove(h, 0, f + 100)), E::ERROR_NOT_FOUND);
    assert_eq!(code(&t.remove(h2, 0, f)), E::ERROR_NOT_FOUND);
    assert_eq!(code(&t.remove(h2, s, f)), E::ERROR_NOT_FOUND);
    assert!(t.m.flow(f).is_some(), "the owner's flow survived");
    assert_eq!(t.remove(h, 0, f), Ok(CallOutput::None));
    assert_eq!(code(&t.remove(h, 0, f)), E::ERROR_NOT_FOUND, "gone now");
}

#[test]
fn rem_3_socket_zero_destroys_the_whole_flow() {
    let mut t = T::new();
    let (h, socks, f) = shared_flow(&mut t, 3);
    assert_eq!(t.remove(h, 0, f), Ok(CallOutput::None));
    assert!(t.m.flow(f).is_none());
    for s in socks {
        assert_eq!(t.m.socket_info(s).unwrap().flow_count(), 0);
    }
}

#[test]
fn rem_4_a_socket_leaves_alone_and_the_last_one_takes_the_flow() {
    let mut t = T::new();
    let (h, socks, f) = shared_flow(&mut t, 2);
    assert_eq!(t.remove(h, socks[0], f), Ok(CallOutput::None));
    assert_eq!(t.m.flow(f).unwrap().sockets.as_slice(), &[socks[1]]);
    assert_eq!(t.m.socket_info(socks[0]).unwrap().flow_count(), 0);
    assert_eq!(t.m.socket_info(socks[1]).unwrap().flow_count(), 1);
    assert_eq!(t.remove(h, socks[1], f), Ok(CallOutput::None));
    assert!(t.m.flow(f).is_none());
    assert_eq!(t.m.socket_info(socks[1]).unwrap().flow_count(), 0);
}

#[test]
fn rem_5_a_destroyed_flow_id_is_dead_and_unmarked() {
    let mut t = T::new();
    let (h, s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(t.m.marking(f).map(|m| m.conformant_dscp), Some(56));
    assert!(t.remove(h, 0, f).is_ok());
    assert_eq!(t.m.marking(f), None);
    assert_eq!(code(&t.query(h, f, 1, 0)), E::ERROR_NOT_FOUND);
    assert_eq!(
        code(&t.set(h, f, SetOp::TrafficType(TrafficType::Voice))),
        E::ERROR_NOT_FOUND
    );
    assert_eq!(code(&t.remove(h, s, f)), E::ERROR_NOT_FOUND);
    // A new flow on the same socket gets a new id (AMB-29), never the dead one.
    let f2 = t.flow(h, s, LLTD_PEER, TrafficType::Voice, NA);
    assert_ne!(f2, f);
}

#[test]
fn rem_7_documented_failures_come_from_the_fault_plan_and_leave_the_flow() {
    let mut t = T::new();
    let (h, s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    for c in [
        E::ERROR_NOT_ENOUGH_MEMORY,
        E::ERROR_NO_SYSTEM_RESOURCES,
        E::ERROR_IO_DEVICE,
        E::ERROR_DEVICE_REINITIALIZATION_NEEDED,
        E::ERROR_HOST_UNREACHABLE,
    ] {
        t.inject(Fault::FailCalls {
            func: Some(Func::RemoveSocketFromFlow),
            code: c,
            count: 1,
        });
        assert_eq!(code(&t.remove(h, s, f)), c);
        assert!(t.m.flow(f).is_some());
    }
    assert!(t.remove(h, s, f).is_ok());
    assert!(t.m.flow(f).is_none());
}

#[test]
fn rem_8_socket_not_in_the_flow_is_not_found_and_flags_are_invalid() {
    let mut t = T::new();
    let (h, socks, f) = shared_flow(&mut t, 2);
    let stranger = t.udp(AF_INET);
    assert_eq!(code(&t.remove(h, stranger, f)), E::ERROR_NOT_FOUND);
    assert_eq!(code(&t.remove(h, 0xdead_beef, f)), E::ERROR_NOT_FOUND);
    // Also for a single-socket flow.
    let (h1, _s1, f1) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.remove(h1, stranger, f1)), E::ERROR_NOT_FOUND);
    assert!(t.m.flow(f1).is_some());
    for flags in [1, 2, 0x8000_0000] {
        let r = t.call(remove_socket_from_flow(h, 0, f, flags));
        assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    }
    assert_eq!(t.m.flow(f).unwrap().sockets.as_slice(), socks.as_slice());
}

#[test]
fn rem_9_pending_requests_of_a_removed_flow_complete_with_995() {
    let mut t = T::new();
    let (h, s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    let s2 = t.udp(AF_INET);
    let other = t.flow(h, s2, LLTD_PEER, TrafficType::Voice, 0);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    assert_eq!(code(&t.query_ov(h, f, 1, 0, 2)), E::ERROR_IO_PENDING);
    assert_eq!(code(&t.notify(h, other, 0, 0, Some(3))), E::ERROR_IO_PENDING);
    assert!(t.remove(h, s, f).is_ok());
    let mut got = t.statuses();
    got.sort();
    assert_eq!(
        got,
        vec![(1, E::ERROR_OPERATION_ABORTED), (2, E::ERROR_OPERATION_ABORTED)]
    );
    assert!(t.m.is_pending(h, 3), "the other flow's request is untouched");
}

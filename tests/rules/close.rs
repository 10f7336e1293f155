//! CLO: QOSCloseHandle. CLO-6 is not testable (calls are atomic in the simulator).
use std::net::IpAddr;

use crate::common::*;

#[test]
fn clo_1_null_handle_is_invalid_handle() {
    let mut t = T::new();
    let h = t.handle();
    assert_eq!(code(&t.call(close_handle(0))), E::ERROR_INVALID_HANDLE);
    assert_eq!(t.m.handle(h).map(|x| x.state), Some(HandleState::Open));
}

#[test]
fn clo_2_a_value_that_is_not_a_qos_handle_is_invalid_handle() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.udp(AF_INET);
    for v in [0xdead_beef, s, h + 1, h ^ (1 << 50), u64::MAX] {
        assert_eq!(code(&t.call(close_handle(v))), E::ERROR_INVALID_HANDLE, "{v:#x}");
    }
    assert_eq!(t.m.handle(h).map(|x| x.state), Some(HandleState::Open));
}

#[test]
fn clo_3_valid_handle_closes_with_true() {
    let mut t = T::new();
    let h = t.handle();
    assert_eq!(t.call(close_handle(h)), Ok(CallOutput::None));
    assert_eq!(t.m.handle(h).map(|x| x.state), Some(HandleState::Dead));
}

#[test]
fn clo_4_close_destroys_the_handles_flows_and_their_marking() {
    let mut t = T::new();
    let (h, s1, f1) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    let s2 = t.udp(AF_INET);
    let f2 = t.flow(h, s2, PLAIN_PEER, TrafficType::AudioVideo, QOS_NON_ADAPTIVE_FLOW);
    let (_other, _s3, kept) = t.non_adaptive(LLTD_PEER, TrafficType::Control);
    assert_eq!(t.m.marking(f1).map(|m| m.conformant_dscp), Some(56));
    assert_eq!(t.call(close_handle(h)), Ok(CallOutput::None));
    assert!(t.m.flow(f1).is_none() && t.m.flow(f2).is_none());
    assert_eq!(t.m.marking(f1), None);
    assert_eq!(t.m.socket_info(s1).unwrap().flow_count(), 0);
    assert_eq!(t.m.socket_info(s2).unwrap().flow_count(), 0);
    assert_eq!(t.m.flow_ids(), vec![kept], "another handle's flow is untouched");
}

#[test]
fn clo_5_close_aborts_pending_requests_with_995() {
    let mut t = T::new();
    let (h, _s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    let (h2, _s2, f2) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    assert_eq!(code(&t.query_ov(h, f, 2, 0, 2)), E::ERROR_IO_PENDING);
    let op = SetOp::TrafficType(TrafficType::Control);
    assert_eq!(code(&t.set_ov(h, f, op, 3)), E::ERROR_IO_PENDING);
    assert_eq!(code(&t.notify(h2, f2, 0, 0, Some(4))), E::ERROR_IO_PENDING);
    assert_eq!(t.call(close_handle(h)), Ok(CallOutput::None));
    let mut got = t.statuses();
    got.sort();
    assert_eq!(
        got,
        vec![
            (1, E::ERROR_OPERATION_ABORTED),
            (2, E::ERROR_OPERATION_ABORTED),
            (3, E::ERROR_OPERATION_ABORTED)
        ]
    );
    assert!(!t.m.is_pending(h, 3));
    assert!(
        t.m.is_pending(h2, 4),
        "the other handle's request is still waiting"
    );
    // The aborted Set never ran.
    assert_eq!(t.m.pending_count(), 1);
    t.advance_ms(10);
    assert!(t.statuses().is_empty());
}

#[test]
fn clo_7_tracking_of_a_closed_handle_follows_amb_3() {
    let ip: IpAddr = "192.168.1.20".parse().unwrap();
    // Default linger 0: tracking stops with the close.
    let mut t = T::new();
    let h = t.handle();
    let h2 = t.handle();
    assert!(t.call(start_tracking_client(h, sa(LLTD_PEER), 0)).is_ok());
    assert!(t.call(close_handle(h)).is_ok());
    assert!(t.m.lingering_clients().is_empty());
    let r = t.call(stop_tracking_client(h2, sa(LLTD_PEER), 0));
    assert_eq!(code(&r), E::ERROR_NOT_FOUND);
    // With a linger, the client stays tracked for a while after the close.
    let mut t = T::world(|w| w.settings.tracking_linger_ms = 500);
    let h = t.handle();
    assert!(t.call(start_tracking_client(h, sa(LLTD_PEER), 0)).is_ok());
    assert!(t.call(close_handle(h)).is_ok());
    assert_eq!(t.m.lingering_clients().len(), 1);
    assert_eq!(t.m.lingering_clients()[0].1, ip);
    t.advance_ms(500);
    assert!(t.m.lingering_clients().is_empty());
}

#[test]
fn clo_8_a_closed_handle_is_dead_for_every_call_including_a_second_close() {
    let mut t = T::new();
    let (h, s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    assert!(t.call(close_handle(h)).is_ok());
    assert_eq!(code(&t.call(close_handle(h))), E::ERROR_INVALID_HANDLE);
    all_fail_with(&t.every_handle_call(h, f, s, LLTD_PEER), E::ERROR_INVALID_HANDLE);
    // New handles get new values: the dead one never comes back to life.
    let h2 = t.handle();
    assert_ne!(h2, h);
    assert_eq!(code(&t.call(close_handle(h))), E::ERROR_INVALID_HANDLE);
}

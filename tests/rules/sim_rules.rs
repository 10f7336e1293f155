//! SIM-n: our own decisions where the rule list is silent.
use crate::common::*;

const NA: u32 = QOS_NON_ADAPTIVE_FLOW;

#[test]
fn sim_1_a_socket_value_that_is_not_an_open_socket_is_87() {
    let mut t = T::new();
    let h = t.handle();
    let closed = t.udp(AF_INET);
    t.run(|m| m.close_socket(closed)).expect("closesocket");
    let last = t.udp(AF_INET);
    for s in [0, 12_345, closed, last + 1, u64::MAX] {
        let r = t.add(h, s, LLTD_PEER, TrafficType::Voice, NA);
        assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER, "socket {s:#x}");
    }
    assert_eq!(t.m.flow_count(), 0);
    t.flow(h, last, LLTD_PEER, TrafficType::Voice, NA);
}

#[test]
fn sim_2_an_onlink_host_not_listed_as_peer_has_no_lltd_responder() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.udp(AF_INET);
    let unlisted = "192.168.1.77:5004";
    assert_eq!(
        code(&t.add(h, s, unlisted, TrafficType::Voice, 0)),
        E::ERROR_NOT_SUPPORTED
    );
    let r = t.call(start_tracking_client(h, sa(unlisted), 0));
    assert_eq!(code(&r), E::ERROR_NOT_SUPPORTED);
    t.flow(h, s, unlisted, TrafficType::Voice, NA);
    // Listing it with a responder changes the answer.
    let mut t = T::world(|w| w.peers.push(peer("192.168.1.77", |_| {})));
    let h = t.handle();
    let s = t.udp(AF_INET);
    t.flow(h, s, unlisted, TrafficType::Voice, 0);
}

#[test]
fn sim_3_reusing_a_pending_overlapped_is_87() {
    let mut t = T::new();
    let (h, _s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    let op = SetOp::TrafficType(TrafficType::Control);
    assert_eq!(code(&t.set_ov(h, f, op, 5)), E::ERROR_IO_PENDING);
    assert_eq!(code(&t.set_ov(h, f, op, 5)), E::ERROR_INVALID_PARAMETER);
    assert_eq!(code(&t.query_ov(h, f, 2, 0, 5)), E::ERROR_INVALID_PARAMETER);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(5))), E::ERROR_INVALID_PARAMETER);
    assert_eq!(t.m.pending_count(), 1);
    // Another OVERLAPPED is fine, and so is the same one once its request completed.
    assert_eq!(code(&t.query_ov(h, f, 2, 0, 6)), E::ERROR_IO_PENDING);
    t.advance_ms(5);
    let mut got = t.statuses();
    got.sort();
    assert_eq!(got, vec![(5, E::ERROR_SUCCESS), (6, E::ERROR_SUCCESS)]);
    assert_eq!(code(&t.query_ov(h, f, 2, 0, 5)), E::ERROR_IO_PENDING);
}

#[test]
fn sim_4_default_minimum_bandwidth_is_granted_as_64_kbps() {
    let mut t = T::new();
    let (h, _s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    t.warm();
    assert!(t.set_rate(h, f, 0xFFFF_FFFF).is_ok());
    let flow = t.m.flow(f).unwrap();
    assert_eq!(flow.held_bps, payload(64_000), "64 kb/s with headers (SET-6a)");
    assert_eq!(t.path_of(LLTD_PEER).admitted_bps, payload(64_000));
    assert_eq!(flow.path, Some(t.path_of(LLTD_PEER).id));
    // The contract itself is stored as given.
    assert_eq!(
        t.query(h, f, 2, 0),
        Ok(CallOutput::Data(QueryData::OutgoingRate(0xFFFF_FFFF), 8))
    );
    assert_eq!(t.priority(h, f).conformant_dscp, 56);
}

#[test]
fn sim_5_set_6e_refused_upgrade_withdraws_the_admission_and_its_marking() {
    let mut t = T::new();
    let (h, _s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    t.warm();
    assert!(t.set_rate(h, f, 5_000_000).is_ok());
    assert_eq!(t.priority(h, f).conformant_dscp, 56);
    // 500 Mb/s does not fit the 80 Mb/s the path has free: "the flow will not receive
    // priority marking" (QOSSetFlow remarks), whatever it had before.
    assert_eq!(code(&t.set_rate(h, f, 500_000_000)), E::ERROR_NETWORK_BUSY);
    assert_eq!(t.priority(h, f), marked(0, 0));
    let flow = t.m.flow(f).unwrap();
    assert!(!flow.admitted);
    assert_eq!(flow.held_bps, 0);
    assert_eq!(t.path_of(LLTD_PEER).admitted_bps, 0, "its bandwidth is released");
    // The earlier contract stays recorded (it still shapes the flow).
    assert_eq!(t.outgoing_rate(h, f), 5_000_000);
    // The documented recovery: stream at a rate that fits, with priority again.
    t.set_rate(h, f, 5_000_000).expect("fits");
    assert_eq!(t.priority(h, f).conformant_dscp, 56);
}

#[test]
fn sim_6_a_fired_notify_available_hands_no_bandwidth_back() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    t.set_rate(h, f, 1_000_000).expect("rate");
    // Overlapped: the completion carries no data and no bytes.
    assert_eq!(code(&t.notify(h, f, 2, 2_000_000, Some(1))), E::ERROR_IO_PENDING);
    let c = t.completions();
    assert_eq!(
        (c.len(), c[0].status, c[0].data, c[0].bytes),
        (1, E::ERROR_SUCCESS, None, 0)
    );
    // Blocking: TRUE, and nothing to write into Buffer or *Size.
    assert_eq!(t.notify(h, f, 2, 2_000_000, None), Ok(CallOutput::None));
}

#[test]
fn sim_7_a_multicast_destination_is_unreachable_1232() {
    let mut t = T::new();
    let h = t.handle();
    for (af, dest) in [(AF_INET, "239.1.2.3:5004"), (AF_INET6, "[ff0e::1]:5004")] {
        let s = t.udp(af);
        for flags in [0, NA] {
            let r = t.add(h, s, dest, TrafficType::AudioVideo, flags);
            assert_eq!(code(&r), E::ERROR_HOST_UNREACHABLE, "{dest} flags {flags}");
        }
    }
    assert_eq!(t.m.flow_count(), 0);
}

//! RW: what real clients saw or do, as the consequence an app would observe. RW-7, RW-13,
//! RW-14 and RW-15 are not testable (see RULES.md).
use crate::common::*;

const NA: u32 = QOS_NON_ADAPTIVE_FLOW;

#[test]
fn rw_1_close_with_null_or_bogus_handle_gives_6() {
    let mut t = T::new();
    assert_eq!(code(&t.call(close_handle(0))), E::ERROR_INVALID_HANDLE);
    assert_eq!(code(&t.call(close_handle(0xdead_beef))), E::ERROR_INVALID_HANDLE);
    assert_ne!(E::ERROR_INVALID_HANDLE, E::ERROR_INVALID_PARAMETER);
}

#[test]
fn rw_2_create_rejects_other_versions_and_null_out_pointer_with_87() {
    let mut t = T::new();
    for v in [(0, 0), (1, 5), (2, 0)] {
        assert_eq!(
            code(&t.call(create_handle(Some(v), true))),
            E::ERROR_INVALID_PARAMETER
        );
    }
    // NULL out-pointer, with a garbage version or with the right one: still 87.
    for v in [Some((0xdead, 0xbeef)), Some((1, 0))] {
        assert_eq!(code(&t.call(create_handle(v, false))), E::ERROR_INVALID_PARAMETER);
    }
    assert!(t.m.handles().is_empty());
}

#[test]
fn rw_3_mumble_ipv4_destination_on_dual_stack_socket_gives_87() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.dual_stack_udp();
    // Mumble's call: Voice, non-adaptive, an AF_INET peer on the AF_INET6 socket.
    let r = t.add(h, s, OFFLINK, TrafficType::Voice, NA);
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    assert_eq!(t.m.flow_count(), 0);
}

#[test]
fn rw_4_sunshine_connect_add_null_disconnect_keeps_the_flow() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.dual_stack_udp();
    let mapped = "[::ffff:192.168.1.20]:5004";
    assert_eq!(
        code(&t.add(h, s, mapped, TrafficType::Voice, NA)),
        E::ERROR_INVALID_PARAMETER
    );
    t.run(|m| m.connect(s, sa(mapped)))
        .expect("connect to the mapped peer");
    let r = t.call(add_socket_to_flow(
        h,
        s,
        None,
        TrafficType::Voice.raw(),
        NA,
        Some(0),
    ));
    let f = match r {
        Ok(CallOutput::Flow(f)) => f,
        other => panic!("{other:?}"),
    };
    t.run(|m| m.connect(s, sa("[::]:0"))).expect("disconnect");
    assert_eq!(t.m.peer_name(s), Err(qwave_sim::model::wsa::WSAENOTCONN));
    assert!(t.m.flow(f).is_some(), "the flow survives the disconnect");
    assert_eq!(t.priority(h, f).conformant_dscp, 56);
    assert!(t.call(remove_socket_from_flow(h, 0, f, 0)).is_ok());
}

#[test]
fn rw_5_no_admin_needed_except_for_the_dscp_operation() {
    let mut t = T::new();
    assert!(!t.m.world().policy.admin);
    let (h, s, f) = t.non_adaptive(OFFLINK, TrafficType::AudioVideo);
    // The client tries the DSCP override, ignores the failure, and keeps table marking.
    assert_eq!(
        code(&t.set(h, f, SetOp::OutgoingDscp(46))),
        E::ERROR_ACCESS_DENIED
    );
    assert_eq!(t.priority(h, f).conformant_dscp, 40);
    assert!(t.call(remove_socket_from_flow(h, s, f, 0)).is_ok());
    // The same call works for an administrator.
    let mut t = T::world(|w| w.policy.admin = true);
    let (h, _s, f) = t.non_adaptive(OFFLINK, TrafficType::AudioVideo);
    assert!(t.set(h, f, SetOp::OutgoingDscp(46)).is_ok());
    assert_eq!(t.priority(h, f).conformant_dscp, 46);
}

#[test]
fn rw_6_vista_has_no_dscp_operation_and_gives_87() {
    let mut t = T::world(|w| {
        w.policy.admin = true;
        w.settings.windows_version = WindowsVersion::Vista;
    });
    let (h, _s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(
        code(&t.set(h, f, SetOp::OutgoingDscp(46))),
        E::ERROR_INVALID_PARAMETER
    );
    assert_eq!(t.priority(h, f).conformant_dscp, 56);
    assert!(t.set(h, f, SetOp::TrafficType(TrafficType::Background)).is_ok());
    assert_eq!(t.priority(h, f).conformant_dscp, 8);
}

#[test]
fn rw_8_murmur_adds_and_removes_one_unconnected_socket_per_datagram() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.udp(AF_INET);
    let clients = [LLTD_PEER, PLAIN_PEER, OFFLINK, "192.168.1.99:64738"];
    let mut last = 0;
    for round in 0..3 {
        for c in clients {
            let f = t.flow(h, s, c, TrafficType::Voice, NA);
            assert!(f > last, "round {round}: ids keep growing");
            last = f;
            assert_eq!(t.m.flow(f).unwrap().destination, c.parse().unwrap());
            assert_eq!(t.m.marking(f).map(|m| m.conformant_dscp), Some(56));
            assert_eq!(t.call(remove_socket_from_flow(h, 0, f, 0)), Ok(CallOutput::None));
            assert!(t.m.flow(f).is_none());
        }
    }
    assert_eq!(t.m.flow_count(), 0);
    assert_eq!(t.m.socket_info(s).unwrap().flow_count(), 0);
}

#[test]
fn rw_9_all_zero_destination_is_87_unless_the_lenient_setting_is_on() {
    let zero = "0.0.0.0:0";
    let mut t = T::new();
    let h = t.handle();
    let s = t.udp(AF_INET);
    assert_eq!(
        code(&t.add(h, s, zero, TrafficType::Voice, NA)),
        E::ERROR_INVALID_PARAMETER
    );
    let mut t = T::world(|w| w.settings.lenient_zero_dest = true);
    let h = t.handle();
    let s = t.udp(AF_INET);
    assert_eq!(
        code(&t.add(h, s, zero, TrafficType::Voice, 0)),
        E::ERROR_INVALID_PARAMETER
    );
    let f = t.flow(h, s, zero, TrafficType::Voice, NA);
    assert!(!t.m.flow(f).unwrap().adaptive);
    // Only unconnected UDP qualifies.
    let tcp = t.tcp(AF_INET);
    assert_eq!(
        code(&t.add(h, tcp, zero, TrafficType::Voice, NA)),
        E::ERROR_INVALID_PARAMETER
    );
}

#[test]
fn rw_10_loopback_flows_are_accepted_but_never_marked() {
    let mut t = T::new();
    let (h, _s, f) = t.non_adaptive(LOOPBACK, TrafficType::Voice);
    assert_eq!(t.priority(h, f), Marking::default());
    let (ha, _s, fa) = t.adaptive(LOOPBACK, TrafficType::Voice);
    assert!(t.set_rate(ha, fa, 1_000_000).is_ok());
    assert_eq!(t.priority(ha, fa), Marking::default());
    assert_eq!(code(&t.query(ha, fa, 0, 0)), E::ERROR_NOT_SUPPORTED);
}

#[test]
fn rw_11_single_socket_flows_die_by_socket_zero_or_by_the_socket() {
    let mut t = T::new();
    let (h, s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    assert!(t.call(remove_socket_from_flow(h, 0, f, 0)).is_ok());
    assert!(t.m.flow(f).is_none());
    let f = t.flow(h, s, LLTD_PEER, TrafficType::Voice, NA);
    assert!(t.call(remove_socket_from_flow(h, s, f, 0)).is_ok());
    assert!(t.m.flow(f).is_none());
    let (ha, sa_, fa) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    assert!(t.call(remove_socket_from_flow(ha, sa_, fa, 0)).is_ok());
    assert_eq!(t.m.flow_count(), 0);
}

/// The sample's loop: query fundamentals once a second until both bandwidths are set, giving
/// up on ERROR_NOT_SUPPORTED. Returns (polls, outcome).
fn sample_poll(t: &mut T, h: u64, f: u32) -> (u32, Result<(u64, u64), Win32Error>) {
    for poll in 1..=10 {
        match t.query(h, f, 0, 0) {
            Ok(CallOutput::Data(
                QueryData::Fundamentals {
                    bottleneck_bps: Some(b),
                    available_bps: Some(a),
                    ..
                },
                40,
            )) => return (poll, Ok((b, a))),
            Ok(CallOutput::Data(QueryData::Fundamentals { .. }, 40)) => {}
            Err(e) if e.code == E::ERROR_NO_DATA => {}
            Err(e) if e.code == E::ERROR_NOT_SUPPORTED => return (poll, Err(e.code)),
            other => panic!("unexpected {other:?}"),
        }
        t.advance_ms(1000);
    }
    panic!("no estimate after 10 polls");
}

#[test]
fn rw_12_sample_polling_reaches_estimates_on_link_and_gives_up_off_link() {
    let mut t = T::new();
    let (h, _s, f) = t.adaptive(LLTD_PEER, TrafficType::ExcellentEffort);
    // 232 at 0 s, partial at 1 s, full at 2 s with the default warm-up.
    assert_eq!(sample_poll(&mut t, h, f), (3, Ok((100_000_000, 80_000_000))));
    let (h, _s, f) = t.adaptive(OFFLINK, TrafficType::ExcellentEffort);
    assert_eq!(sample_poll(&mut t, h, f), (1, Err(E::ERROR_NOT_SUPPORTED)));
}

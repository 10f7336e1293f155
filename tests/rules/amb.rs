//! AMB-1..21: the open questions and the choice the simulator makes for each.
use crate::common::*;

const NA: u32 = QOS_NON_ADAPTIVE_FLOW;

fn admin() -> T {
    T::world(|w| w.policy.admin = true)
}

#[test]
fn amb_1_requests_aborted_by_close_complete_with_995_not_a_made_up_code() {
    let mut t = T::new();
    let (h, _s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(11))), E::ERROR_IO_PENDING);
    assert!(t.call(close_handle(h)).is_ok());
    let c = t.completions();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].status, Win32Error(995));
    assert_eq!((c[0].key, c[0].func, c[0].handle), (11, Func::NotifyFlow, h));
    assert_eq!(c[0].bytes, 0);
    assert_eq!(c[0].data, None);
    // The trace records the same status.
    let traced: Vec<Win32Error> =
        t.m.events()
            .iter()
            .filter_map(|s| match &s.event {
                Event::Completion(c) => Some(c.status),
                _ => None,
            })
            .collect();
    assert_eq!(traced, vec![E::ERROR_OPERATION_ABORTED]);
}

#[test]
fn amb_2_close_reports_invalid_handle_not_invalid_parameter() {
    let mut t = T::new();
    let h = t.handle();
    assert!(t.call(close_handle(h)).is_ok());
    for v in [0, 0xdead_beef, h] {
        let r = t.call(close_handle(v));
        assert_eq!(code(&r), Win32Error(6), "{v:#x}");
    }
}

#[test]
fn amb_3_tracking_lingers_after_close_for_the_setting_and_any_handle_can_stop_it() {
    let mut t = T::world(|w| w.settings.tracking_linger_ms = 1_000);
    let h = t.handle();
    let h2 = t.handle();
    assert!(t.call(start_tracking_client(h, sa(LLTD_PEER), 0)).is_ok());
    assert!(t.call(start_tracking_client(h, sa(LLTD_PEER6), 0)).is_ok());
    assert!(t.call(close_handle(h)).is_ok());
    assert_eq!(t.m.lingering_clients().len(), 2);
    // Stopped through another handle (port differs: ignored).
    assert!(t.call(stop_tracking_client(h2, sa("192.168.1.20:1"), 0)).is_ok());
    assert_eq!(t.m.lingering_clients().len(), 1);
    // The other one ends by itself after the linger.
    t.advance_ms(999);
    assert_eq!(t.m.lingering_clients().len(), 1);
    t.advance_ms(1);
    assert!(t.m.lingering_clients().is_empty());
    let r = t.call(stop_tracking_client(h2, sa(LLTD_PEER6), 0));
    assert_eq!(code(&r), E::ERROR_NOT_FOUND);
}

#[test]
fn amb_3_each_closed_handles_clients_linger_for_their_own_time() {
    let mut t = T::world(|w| w.settings.tracking_linger_ms = 1_000);
    let h1 = t.handle();
    let h2 = t.handle();
    t.start(h1, LLTD_PEER).expect("track");
    t.close(h1).expect("close at 0 ms");
    t.advance_ms(600);
    t.start(h2, LLTD_PEER6).expect("track");
    t.close(h2).expect("close at 600 ms");
    t.advance_ms(400);
    // The first ends at 1,000 ms, the second lingers until 1,600 ms.
    let v6: std::net::IpAddr = "fd00::20".parse().expect("LLTD_PEER6's address");
    assert_eq!(t.m.lingering_clients(), [(Family::V6, v6)]);
    t.advance_ms(600);
    assert!(t.m.lingering_clients().is_empty());
}

#[test]
fn amb_4_v4_and_v4_mapped_destinations_on_dual_stack_give_87_connected_null_works() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.dual_stack_udp();
    for d in [LLTD_PEER, "[::ffff:192.168.1.20]:5004"] {
        for flags in [0, NA] {
            assert_eq!(
                code(&t.add(h, s, d, TrafficType::Voice, flags)),
                E::ERROR_INVALID_PARAMETER
            );
        }
    }
    t.run(|m| m.connect(s, sa("[::ffff:192.168.1.20]:5004")))
        .expect("connect");
    let r = t.call(add_socket_to_flow(h, s, None, 4, NA, Some(0)));
    assert!(matches!(r, Ok(CallOutput::Flow(_))), "{r:?}");
    // The socket view tells the dual-stack socket from an AF_INET6 one left V6ONLY (the
    // default) and an AF_INET one.
    let v6only = t.udp(AF_INET6);
    let v4 = t.udp(AF_INET);
    let dual = |t: &T, s| t.m.socket_info(s).map(|x| x.dual_stack());
    assert_eq!(
        [dual(&t, s), dual(&t, v6only), dual(&t, v4)],
        [Some(true), Some(false), Some(false)]
    );
}

#[test]
fn amb_5_missing_or_mismatched_destination_gives_87() {
    let mut t = T::new();
    let h = t.handle();
    let unconnected = t.udp(AF_INET);
    let r = t.call(add_socket_to_flow(h, unconnected, None, 4, NA, Some(0)));
    assert_eq!(code(&r), Win32Error(87));
    let connected = t.connected_udp(OFFLINK);
    assert_eq!(
        code(&t.add(h, connected, "203.0.113.7:5005", TrafficType::Voice, NA)),
        Win32Error(87)
    );
    assert_eq!(
        code(&t.add(h, connected, "203.0.113.8:5004", TrafficType::Voice, NA)),
        Win32Error(87)
    );
    assert_eq!(t.m.flow_count(), 0);
}

#[test]
fn amb_6_undocumented_argument_faults_give_87_and_small_sizes_122() {
    let mut t = admin();
    let (h, _s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    let (ha, _sa, fa) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    let tt = 4i32.to_le_bytes();
    let einval = |r: CallResult| assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER, "{r:?}");
    // QOSSetFlow: wrong size, NULL buffer, unknown operation, unknown shaping.
    einval(t.call(set_flow(h, f, 0, 8, Some(&[0; 8]), 0, None)));
    einval(t.call(set_flow(h, f, 0, 4, None, 0, None)));
    einval(t.call(set_flow(h, f, 3, 4, Some(&tt), 0, None)));
    einval(t.call(set_flow(h, f, -1, 4, Some(&tt), 0, None)));
    let mut rate = encode(SetOp::OutgoingRate(RateContract {
        bandwidth_bps: 1_000,
        shaping: Shaping::ShapeAndMark,
        reason: 0,
    }))
    .1;
    rate[8..12].copy_from_slice(&3i32.to_le_bytes());
    einval(t.call(set_flow(h, f, 1, 16, Some(&rate), 0, None)));
    // Reason is informational: any value passes.
    rate[8..12].copy_from_slice(&1i32.to_le_bytes());
    rate[12..16].copy_from_slice(&99i32.to_le_bytes());
    assert!(t.call(set_flow(h, f, 1, 16, Some(&rate), 0, None)).is_ok());
    assert_eq!(t.m.flow(f).unwrap().rate.map(|r| r.reason), Some(99));
    // QOSQueryFlow: unknown operation, NULL Size, NULL Buffer.
    einval(t.call(query_flow(h, f, 3, Some(64), true, 0, None)));
    einval(t.call(query_flow(h, f, 1, None, true, 0, None)));
    einval(t.call(query_flow(h, f, 1, Some(16), false, 0, None)));
    // QOSNotifyFlow: unknown operation, Available with NULL Size or Buffer.
    einval(t.call(notify_flow(ha, fa, 3, None, None, 0, Some(1))));
    einval(t.call(notify_flow(ha, fa, 2, None, Some(5_000_000), 0, Some(1))));
    einval(t.call(notify_flow(ha, fa, 2, Some(8), None, 0, Some(1))));
    // Too small *Size: 122 with the size needed, not 87.
    let small = [
        t.call(query_flow(h, f, 1, Some(15), true, 0, None)),
        t.call(notify_flow(ha, fa, 2, Some(7), Some(5_000_000), 0, Some(1))),
        t.call(enumerate_flows(h, Some(4), true)),
    ];
    let got: Vec<_> = small.iter().map(|r| r.clone().unwrap_err()).collect();
    assert_eq!(
        got,
        vec![
            CallError {
                code: E::ERROR_INSUFFICIENT_BUFFER,
                size: Some(16)
            },
            CallError {
                code: E::ERROR_INSUFFICIENT_BUFFER,
                size: Some(8)
            },
            CallError {
                code: E::ERROR_INSUFFICIENT_BUFFER,
                size: Some(8)
            },
        ]
    );
    // QOSStopTrackingClient ignores its Flags.
    assert!(t.call(start_tracking_client(h, sa(LLTD_PEER), 0)).is_ok());
    assert!(t
        .call(stop_tracking_client(h, sa(LLTD_PEER), 0xffff_ffff))
        .is_ok());
    assert_eq!(t.m.pending_count(), 0);
}

#[test]
fn amb_7_join_unknown_id_is_1168_adaptive_target_or_missing_flag_87() {
    let mut t = T::new();
    let (h, _s, fixed) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    let s2 = t.udp(AF_INET);
    let adaptive = t.flow(h, s2, LLTD_PEER, TrafficType::Voice, 0);
    let s = t.udp(AF_INET);
    let d = sa(LLTD_PEER);
    let unknown = adaptive + 1000;
    let r = t.call(add_socket_to_flow(h, s, d, 4, NA, Some(unknown)));
    assert_eq!(code(&r), E::ERROR_NOT_FOUND);
    let r = t.call(add_socket_to_flow(h, s, d, 4, NA, Some(adaptive)));
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    let r = t.call(add_socket_to_flow(h, s, d, 4, 0, Some(fixed)));
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    assert_eq!(t.m.flow(fixed).unwrap().sockets.len(), 1);
    assert_eq!(t.m.flow(adaptive).unwrap().sockets.len(), 1);
}

#[test]
fn amb_8_offlink_adaptive_add_succeeds_and_fails_later_onlink_without_lltd_fails_at_once() {
    let mut t = T::new();
    let (h, _s, f) = t.adaptive(OFFLINK, TrafficType::AudioVideo);
    t.warm();
    assert_eq!(code(&t.query(h, f, 0, 0)), E::ERROR_NOT_SUPPORTED);
    assert_eq!(code(&t.notify(h, f, 1, 0, Some(1))), E::ERROR_NOT_SUPPORTED);
    let s = t.udp(AF_INET);
    assert_eq!(
        code(&t.add(h, s, PLAIN_PEER, TrafficType::AudioVideo, 0)),
        E::ERROR_NOT_SUPPORTED
    );
    // Policy blocking off-link experiments turns the later failure into 1260.
    let mut t = T::world(|w| w.policy.offlink_experiments_blocked = true);
    let (h, _s, f) = t.adaptive(OFFLINK, TrafficType::AudioVideo);
    assert_eq!(code(&t.query(h, f, 0, 0)), E::ERROR_ACCESS_DISABLED_BY_POLICY);
}

#[test]
fn amb_9_non_adaptive_marks_at_add_adaptive_only_after_an_accepted_rate() {
    let mut t = T::new();
    let (h, _s, fixed) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(t.priority(h, fixed).conformant_dscp, 56);
    let (ha, _s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(t.priority(ha, f), Marking::default());
    t.warm();
    // More than the path has: refused, and still unmarked.
    assert_eq!(code(&t.set_rate(ha, f, 90_000_000)), E::ERROR_NETWORK_BUSY);
    assert_eq!(t.priority(ha, f), Marking::default());
    assert!(t.set_rate(ha, f, 1_000_000).is_ok());
    assert_eq!(t.priority(ha, f).conformant_dscp, 56);
    // A rate of 0 ends it again.
    assert!(t.set_rate(ha, f, 0).is_ok());
    assert_eq!(t.priority(ha, f), Marking::default());
}

#[test]
fn amb_10_removing_a_socket_that_is_not_in_the_flow_gives_1168() {
    let mut t = T::new();
    let (h, s1, f1) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    let s2 = t.udp(AF_INET);
    let f2 = t.flow(h, s2, PLAIN_PEER, TrafficType::Voice, NA);
    // s2 belongs to another flow of the same handle.
    let r = t.call(remove_socket_from_flow(h, s2, f1, 0));
    assert_eq!(code(&r), E::ERROR_NOT_FOUND);
    assert_eq!(t.m.flow(f1).unwrap().sockets.as_slice(), &[s1]);
    assert_eq!(t.m.flow(f2).unwrap().sockets.as_slice(), &[s2]);
}

#[test]
fn amb_11_pending_requests_of_a_flow_destroyed_by_remove_complete_with_995() {
    let mut t = T::new();
    let (h, _s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    t.warm();
    assert!(t.set_rate(h, f, 1_000_000).is_ok());
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    assert_eq!(
        code(&t.notify(h, f, 2, 200_000_000, Some(2))),
        E::ERROR_IO_PENDING
    );
    let op = SetOp::TrafficType(TrafficType::Control);
    assert_eq!(code(&t.set_ov(h, f, op, 3)), E::ERROR_IO_PENDING);
    assert!(t.call(remove_socket_from_flow(h, 0, f, 0)).is_ok());
    let mut got = t.statuses();
    got.sort();
    let aborted = E::ERROR_OPERATION_ABORTED;
    assert_eq!(got, vec![(1, aborted), (2, aborted), (3, aborted)]);
    assert_eq!(t.m.pending_count(), 0);
    assert_eq!(
        t.m.paths()[1].admitted_bps,
        0,
        "the removed flow gave its bandwidth back"
    );
}

#[test]
fn amb_12_flow_id_zero_is_87_unknown_nonzero_is_1168() {
    let mut t = T::new();
    let (h, _s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    let (raw, bytes) = encode(SetOp::TrafficType(TrafficType::Voice));
    for (id, want) in [(0, E::ERROR_INVALID_PARAMETER), (f + 77, E::ERROR_NOT_FOUND)] {
        let r = t.call(set_flow(h, id, raw, 4, Some(&bytes), 0, None));
        assert_eq!(code(&r), want, "set {id}");
        assert_eq!(code(&t.query(h, id, 1, 0)), want, "query {id}");
        let r = t.call(notify_flow(h, id, 0, None, None, 0, Some(1)));
        assert_eq!(code(&r), want, "notify {id}");
    }
}

#[test]
fn amb_13_dscp_value_on_an_adaptive_flow_is_87() {
    let mut t = admin();
    let (h, _s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(
        code(&t.set(h, f, SetOp::OutgoingDscp(46))),
        E::ERROR_INVALID_PARAMETER
    );
    assert_eq!(t.m.flow(f).unwrap().custom_dscp, None);
    // The flow kind is checked before the privilege (AMB-33): non-admins get 87 too.
    let mut t = T::new();
    let (h, _s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(
        code(&t.set(h, f, SetOp::OutgoingDscp(46))),
        E::ERROR_INVALID_PARAMETER
    );
}

#[test]
fn amb_14_only_the_dscp_operation_and_enumerate_need_admin() {
    let mut t = T::new();
    let (h, _s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    let (ha, _s, fa) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    t.warm();
    assert!(t.set(h, f, SetOp::TrafficType(TrafficType::Control)).is_ok());
    assert!(t.set_rate(h, f, 500_000).is_ok());
    assert!(t.set(ha, fa, SetOp::TrafficType(TrafficType::AudioVideo)).is_ok());
    assert!(t.set_rate(ha, fa, 500_000).is_ok());
    assert_eq!(
        code(&t.set(h, f, SetOp::OutgoingDscp(10))),
        E::ERROR_ACCESS_DENIED
    );
    assert_eq!(
        code(&t.call(enumerate_flows(h, Some(64), true))),
        E::ERROR_ACCESS_DENIED
    );
}

#[test]
fn amb_15_query_with_too_small_size_is_122_with_the_required_size() {
    let mut t = T::new();
    let (h, _s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    t.warm();
    for (op, need) in [(0, 40u32), (1, 16), (2, 8)] {
        for size in [0, need - 1] {
            let r = t.call(query_flow(h, f, op, Some(size), true, 0, None));
            let want = CallError {
                code: E::ERROR_INSUFFICIENT_BUFFER,
                size: Some(need),
            };
            assert_eq!(r, Err(want), "op {op} size {size}");
        }
        let r = t.call(query_flow(h, f, op, Some(need), true, 0, None));
        assert!(matches!(r, Ok(CallOutput::Data(_, n)) if n == need), "{r:?}");
    }
}

#[test]
fn amb_16_fresh_is_ignored_outside_fundamentals_and_unknown_bits_are_87() {
    let mut t = T::new();
    let (h, _s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    t.warm();
    let before = t.m.now();
    for op in [1, 2] {
        assert!(t.query(h, f, op, QOS_QUERYFLOW_FRESH).is_ok());
    }
    assert_eq!(t.m.now(), before, "no fresh measurement was taken");
    assert!(t.query(h, f, 0, QOS_QUERYFLOW_FRESH).is_ok());
    let probe_us = Settings::default().fresh_probe_ms * 1000;
    assert_eq!(
        t.m.now(),
        before.plus_us(probe_us),
        "fundamentals did measure afresh"
    );
    for flags in [2, 0x10, 0x8000_0001] {
        assert_eq!(
            code(&t.query(h, f, 1, flags)),
            E::ERROR_INVALID_PARAMETER,
            "{flags:#x}"
        );
    }
}

#[test]
fn amb_17_non_adaptive_flows_give_50_for_fundamentals_and_notifications() {
    let mut t = T::new();
    for d in [LLTD_PEER, OFFLINK] {
        let (h, _s, f) = t.non_adaptive(d, TrafficType::Voice);
        t.warm();
        assert_eq!(code(&t.query(h, f, 0, QOS_QUERYFLOW_FRESH)), Win32Error(50));
        for op in [0, 1] {
            assert_eq!(code(&t.notify(h, f, op, 0, Some(5))), Win32Error(50));
        }
        assert_eq!(code(&t.notify(h, f, 2, 10_000_000, Some(6))), Win32Error(50));
    }
}

#[test]
fn amb_18_outgoing_rate_before_any_rate_is_zero() {
    let mut t = T::new();
    let (h, _s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(
        t.query(h, f, 2, 0),
        Ok(CallOutput::Data(QueryData::OutgoingRate(0), 8))
    );
    assert!(t.set_rate(h, f, 3_000_000).is_ok());
    assert_eq!(
        t.query(h, f, 2, 0),
        Ok(CallOutput::Data(QueryData::OutgoingRate(3_000_000), 8))
    );
}

#[test]
fn amb_19_available_target_not_above_current_bandwidth_is_87() {
    let mut t = T::new();
    let (h, _s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    t.warm();
    assert_eq!(code(&t.notify(h, f, 2, 0, Some(1))), E::ERROR_INVALID_PARAMETER);
    assert!(t.set_rate(h, f, 3_000_000).is_ok());
    for target in [0, 1_000_000, 3_000_000] {
        let r = t.notify(h, f, 2, target, Some(1));
        assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER, "{target}");
    }
    assert_eq!(t.m.pending_count(), 0);
    // 5 Mb/s is an upgrade the path can carry: accepted, and it fires on the next step.
    assert_eq!(code(&t.notify(h, f, 2, 5_000_000, Some(2))), E::ERROR_IO_PENDING);
    assert_eq!(t.statuses(), vec![(2, E::ERROR_SUCCESS)]);
}

#[test]
fn amb_20_cancel_null_is_87_and_an_unmatched_overlapped_is_1168_or_87_by_setting() {
    let mut t = T::new();
    let (h, _s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.call(cancel(h, None))), E::ERROR_INVALID_PARAMETER);
    assert_eq!(code(&t.call(cancel(h, Some(42)))), E::ERROR_NOT_FOUND);
    // A request that already completed no longer matches.
    assert_eq!(code(&t.query_ov(h, f, 2, 0, 7)), E::ERROR_IO_PENDING);
    t.advance_ms(5);
    assert_eq!(t.statuses(), vec![(7, E::ERROR_SUCCESS)]);
    assert_eq!(code(&t.call(cancel(h, Some(7)))), E::ERROR_NOT_FOUND);
    // A pending one does.
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(8))), E::ERROR_IO_PENDING);
    assert_eq!(t.call(cancel(h, Some(8))), Ok(CallOutput::None));
    assert_eq!(t.statuses(), vec![(8, E::ERROR_OPERATION_ABORTED)]);
    let mut t = T::world(|w| w.settings.unmatched_cancel = UnmatchedCancel::InvalidParameter);
    let h = t.handle();
    assert_eq!(code(&t.call(cancel(h, Some(42)))), E::ERROR_INVALID_PARAMETER);
}

#[test]
fn amb_21_enumerate_87_for_null_size_or_null_buffer_with_nonzero_size() {
    let mut t = admin();
    let h = t.handle();
    assert_eq!(
        code(&t.call(enumerate_flows(h, None, true))),
        E::ERROR_INVALID_PARAMETER
    );
    assert_eq!(
        code(&t.call(enumerate_flows(h, Some(4), false))),
        E::ERROR_INVALID_PARAMETER
    );
    // NULL buffer with *Size 0 is the size probe: not an argument fault.
    assert_eq!(
        t.call(enumerate_flows(h, Some(0), false)),
        Ok(CallOutput::Flows(vec![]))
    );
    let s = t.udp(AF_INET);
    let f = t.flow(h, s, LLTD_PEER, TrafficType::Voice, NA);
    let probe = t.call(enumerate_flows(h, Some(0), false));
    assert_eq!(
        probe,
        Err(CallError {
            code: E::ERROR_INSUFFICIENT_BUFFER,
            size: Some(4)
        })
    );
    assert_eq!(
        t.call(enumerate_flows(h, Some(4), true)),
        Ok(CallOutput::Flows(vec![f]))
    );
}

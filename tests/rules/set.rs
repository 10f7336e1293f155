//! SET: QOSSetFlow.
use crate::common::*;

#[test]
fn set_1_invalid_handle_is_invalid_handle() {
    let mut t = T::new();
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    for bad in [0, 0xdead_beef, h + 1] {
        let r = t.set(bad, f, SetOp::TrafficType(TrafficType::Background));
        assert_eq!(code(&r), E::ERROR_INVALID_HANDLE, "handle {bad:#x}");
    }
    let h2 = t.handle();
    t.close(h2).expect("close");
    let r = t.set(h2, f, SetOp::TrafficType(TrafficType::Background));
    assert_eq!(code(&r), E::ERROR_INVALID_HANDLE);
    assert_eq!(t.m.flow(f).unwrap().traffic_type, TrafficType::Voice);
}

#[test]
fn set_2_unknown_flow_is_not_found_and_zero_is_invalid_parameter() {
    let mut t = T::new();
    let (h, s, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    let op = SetOp::TrafficType(TrafficType::Background);
    assert_eq!(code(&t.set(h, 0, op)), E::ERROR_INVALID_PARAMETER);
    assert_eq!(code(&t.set(h, f + 100, op)), E::ERROR_NOT_FOUND);
    t.remove(h, s, f).expect("remove");
    assert_eq!(code(&t.set(h, f, op)), E::ERROR_NOT_FOUND);
}

#[test]
fn set_3_size_must_match_the_operation_and_buffer_must_be_given() {
    let mut t = T::new();
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    let tt = TrafficType::Background.raw().to_le_bytes();
    let (_, rate_bytes) = encode(rate(1_000_000, Shaping::ShapeAndMark));
    // Size too big / too small for the operation: the surface passes no bytes then.
    for (op, size) in [(0, 16), (0, 3), (1, 4), (1, 15), (1, 17), (2, 8)] {
        let r = t.call(set_flow(h, f, op, size, Some(&[]), 0, None));
        assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER, "op {op} size {size}");
    }
    // Right size, but fewer bytes behind Buffer: nothing is read past them.
    let r = t.call(set_flow(h, f, 1, 16, Some(&tt), 0, None));
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    // Right size, NULL buffer.
    let r = t.call(set_flow(h, f, 0, 4, None, 0, None));
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    let r = t.call(set_flow(h, f, 1, 16, None, 0, None));
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    assert_eq!(t.m.flow(f).unwrap().rate, None);
    // The right sizes are accepted.
    t.call(set_flow(h, f, 0, 4, Some(&tt), 0, None)).expect("size 4");
    t.call(set_flow(h, f, 1, 16, Some(&rate_bytes), 0, None))
        .expect("size 16");
    assert_eq!(t.m.flow(f).unwrap().traffic_type, TrafficType::Background);
    assert_eq!(t.m.flow(f).unwrap().rate.unwrap().bandwidth_bps, 1_000_000);
}

#[test]
fn set_4_unknown_operation_or_nonzero_flags_is_invalid_parameter() {
    let mut t = T::new();
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    let four = [0u8; 4];
    for op in [-1, 3, 1000] {
        let r = t.call(set_flow(h, f, op, 4, Some(&four), 0, None));
        assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER, "op {op}");
    }
    let tt = TrafficType::Background.raw().to_le_bytes();
    for flags in [1, 2, 0x8000_0000] {
        let r = t.call(set_flow(h, f, 0, 4, Some(&tt), flags, None));
        assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER, "flags {flags:#x}");
    }
    assert_eq!(t.m.flow(f).unwrap().traffic_type, TrafficType::Voice);
    t.call(set_flow(h, f, 0, 4, Some(&tt), 0, None)).expect("flags 0");
    assert_eq!(t.m.flow(f).unwrap().traffic_type, TrafficType::Background);
}

#[test]
fn set_5_set_traffic_type_changes_marking_and_undoes_a_dscp_override() {
    let mut t = T::with(admin_world());
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::BestEffort);
    assert_eq!(t.priority(h, f), marked(0, 0));
    t.set(h, f, SetOp::TrafficType(TrafficType::Voice))
        .expect("Voice");
    assert_eq!(t.priority(h, f), marked(56, 0));
    t.set(h, f, SetOp::TrafficType(TrafficType::BestEffort))
        .expect("back to best effort");
    assert_eq!(t.priority(h, f), marked(0, 0));
    t.set(h, f, SetOp::OutgoingDscp(46)).expect("dscp");
    assert_eq!(t.priority(h, f), marked(46, 0));
    t.set(h, f, SetOp::TrafficType(TrafficType::Background))
        .expect("undo override");
    assert_eq!(t.priority(h, f), marked(8, 0));
    assert_eq!(t.m.flow(f).unwrap().custom_dscp, None);
}

#[test]
fn set_6_declared_rate_shapes_and_unlocks_marking_under_admission_policy() {
    let mut t = T::world(|w| w.policy.rate_required_for_marking = true);
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::AudioVideo);
    // Policy demands a rate: the traffic type is not honoured yet.
    assert_eq!(t.priority(h, f), marked(0, 0));
    // A non-adaptive flow has no admission control: any rate is the shaping contract.
    t.set_rate(h, f, 10_000_000_000).expect("rate");
    assert_eq!(t.priority(h, f), marked(40, 0));
    assert_eq!(t.outgoing_rate(h, f), 10_000_000_000);
    assert_eq!(t.m.flow(f).unwrap().held_bps, 0);
}

#[test]
fn set_6a_qry_10_ip_layer_rate_is_admitted_against_available_bandwidth_without_headers() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::AudioVideo);
    let avail = t.path_of(LLTD_PEER).config.available_bps;
    // 81 Mb/s at the IP layer is 79.4 Mb/s of payload once the IPv4 + UDP headers of
    // 1400-byte packets are taken off (QOS_SUBTRACT_OVERHEAD): it fits the 80 Mb/s free.
    assert_eq!(payload(81_000_000), 79_411_765);
    t.set_rate(h, f, 81_000_000).expect("fits without its headers");
    assert_eq!(
        t.outgoing_rate(h, f),
        81_000_000,
        "the contract is stored as given"
    );
    assert_eq!(t.path_of(LLTD_PEER).admitted_bps, payload(81_000_000));
    // 82 Mb/s is 80.39 Mb/s of payload: too much.
    assert!(payload(82_000_000) > avail);
    assert_eq!(code(&t.set_rate(h, f, 82_000_000)), E::ERROR_NETWORK_BUSY);
    // A TCP flow over IPv6 carries 60 header bytes per packet.
    let h6 = t.handle();
    let s6 = t.tcp(AF_INET6);
    let g = t.flow(h6, s6, LLTD_PEER6, TrafficType::AudioVideo, 0);
    t.warm();
    t.set_rate(h6, g, 1_000_000).expect("rate");
    assert_eq!(t.m.flow(g).unwrap().held_bps, 1_000_000 - 1_000_000 * 60 / 1_460);
}

#[test]
fn set_6b_zero_bandwidth_stops_shaping_and_marking() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    t.set_rate(h, f, 2_000_000).expect("rate");
    assert_eq!(t.priority(h, f), marked(56, 7));
    assert_eq!(t.path_of(LLTD_PEER).admitted_bps, payload(2_000_000));
    t.set_rate(h, f, 0).expect("zero");
    assert_eq!(t.priority(h, f), marked(0, 0));
    assert_eq!(t.path_of(LLTD_PEER).admitted_bps, 0);
    assert_eq!(t.outgoing_rate(h, f), 0);
    // Non-adaptive flows, marked from the add (AMB-9), stop being marked too.
    let (h2, _, g) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(t.priority(h2, g), marked(56, 0));
    t.set_rate(h2, g, 0).expect("zero");
    assert_eq!(t.priority(h2, g), marked(0, 0));
}

#[test]
fn set_6c_default_minimum_bandwidth_gets_a_small_grant() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    let avail = t.path_of(LLTD_PEER).config.available_bps;
    assert!(0xFFFF_FFFF > avail, "the marker value exceeds the path");
    t.set_rate(h, f, 0xFFFF_FFFF)
        .expect("default minimum is admitted");
    let held = t.m.flow(f).unwrap().held_bps;
    assert!(held > 0 && held < avail / 100, "small grant, got {held}");
    assert_eq!(t.path_of(LLTD_PEER).admitted_bps, held);
    assert_eq!(t.outgoing_rate(h, f), 0xFFFF_FFFF);
    assert_eq!(t.priority(h, f), marked(56, 7));
}

#[test]
fn set_6d_shaping_is_validated_and_selects_marking_reason_is_not() {
    let mut t = T::new();
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    let (_, mut bytes) = encode(rate(1_000_000, Shaping::ShapeAndMark));
    bytes[8..12].copy_from_slice(&3i32.to_le_bytes());
    let r = t.call(set_flow(h, f, 1, 16, Some(&bytes), 0, None));
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER, "shaping 3");
    assert_eq!(t.m.flow(f).unwrap().rate, None);
    for reason in [4, 77, -5] {
        let c = RateContract {
            bandwidth_bps: 1_000_000,
            shaping: Shaping::ShapeAndMark,
            reason,
        };
        t.set(h, f, SetOp::OutgoingRate(c)).expect("any reason");
        assert_eq!(t.m.flow(f).unwrap().rate.unwrap().reason, reason);
    }
    t.set(h, f, rate(1_000_000, Shaping::ShapeOnly))
        .expect("shape only");
    assert_eq!(t.priority(h, f), marked(0, 0), "AMB-25: best effort");
    t.set(h, f, rate(1_000_000, Shaping::UseNonConformantMarkings))
        .expect("non-conformant");
    assert_eq!(t.priority(h, f), marked(56, 0));
    assert_eq!(
        t.m.flow(f).unwrap().rate.unwrap().shaping,
        Shaping::UseNonConformantMarkings
    );
}

#[test]
fn set_6e_rate_above_path_is_network_busy_then_admitted_after_notify_available() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(t.path_of(LLTD_PEER).config.available_bps, 80_000_000);
    assert_eq!(code(&t.set_rate(h, f, 90_000_000)), E::ERROR_NETWORK_BUSY);
    // No contract and no priority marking.
    assert_eq!(t.outgoing_rate(h, f), 0);
    assert_eq!(t.priority(h, f), marked(0, 0));
    assert_eq!(t.path_of(LLTD_PEER).admitted_bps, 0);
    // Recovery: stream lower, arm QOSNotifyAvailable with the original rate.
    t.set_rate(h, f, 50_000_000).expect("lower rate");
    assert_eq!(t.priority(h, f), marked(56, 7));
    let r = t.notify(h, f, 2, 90_000_000, Some(1));
    assert_eq!(code(&r), E::ERROR_IO_PENDING);
    t.advance_ms(500);
    assert!(t.completions().is_empty(), "nothing changed yet");
    t.inject(Fault::Bandwidth {
        path: PathRef::Peer("192.168.1.20".parse().unwrap()),
        available_bps: 95_000_000,
        bottleneck_bps: None,
    });
    let c = t.completions();
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].key, c[0].status), (1, E::ERROR_SUCCESS));
    assert_eq!(
        (c[0].data, c[0].bytes),
        (None, 0),
        "the target buffer is left alone"
    );
    t.set_rate(h, f, 90_000_000).expect("now admitted");
    assert_eq!(t.outgoing_rate(h, f), 90_000_000);
    assert_eq!(t.path_of(LLTD_PEER).admitted_bps, payload(90_000_000));
}

#[test]
fn set_6f_first_rate_before_estimates_is_network_busy_unless_tracking_warmed_up() {
    let mut t = T::new();
    let (h, _, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.set_rate(h, f, 1_000_000)), E::ERROR_NETWORK_BUSY);
    t.advance_ms(t.m.world().settings.warmup_ms);
    assert_eq!(
        code(&t.set_rate(h, f, 1_000_000)),
        E::ERROR_NETWORK_BUSY,
        "still partial"
    );
    t.advance_ms(t.m.world().settings.partial_ms);
    t.set_rate(h, f, 1_000_000).expect("estimate complete");

    // Tracking the client beforehand warms the path: the first rate is admitted at once.
    let mut t = T::new();
    let h = t.handle();
    t.start(h, "192.168.1.20:0").expect("track");
    t.warm();
    let s = t.udp(AF_INET);
    let f = t.flow(h, s, LLTD_PEER, TrafficType::Voice, 0);
    t.set_rate(h, f, 1_000_000).expect("admitted on first use");

    // Setting: admit against the configured path even before the estimate.
    let mut t = T::world(|w| w.settings.rate_before_estimate = RateBeforeEstimate::Admit);
    let (h, _, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    t.set_rate(h, f, 1_000_000).expect("admitted");
}

#[test]
fn set_7_dscp_value_replaces_the_dscp_of_a_non_adaptive_flow() {
    let mut t = T::with(admin_world());
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(t.priority(h, f), marked(56, 0));
    t.set(h, f, SetOp::OutgoingDscp(46)).expect("dscp 46");
    assert_eq!(t.priority(h, f), marked(46, 0));
    assert_eq!(t.m.flow(f).unwrap().custom_dscp, Some(46));
    assert_eq!(t.m.flow(f).unwrap().traffic_type, TrafficType::Voice);
}

#[test]
fn set_7a_dscp_value_without_admin_is_access_denied() {
    let mut t = T::new();
    assert!(!t.m.world().policy.admin);
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(
        code(&t.set(h, f, SetOp::OutgoingDscp(46))),
        E::ERROR_ACCESS_DENIED
    );
    assert_eq!(t.priority(h, f), marked(56, 0));
    assert_eq!(t.m.flow(f).unwrap().custom_dscp, None);
}

#[test]
fn set_7b_dscp_value_on_adaptive_flow_is_invalid_parameter() {
    let mut t = T::with(admin_world());
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(
        code(&t.set(h, f, SetOp::OutgoingDscp(46))),
        E::ERROR_INVALID_PARAMETER
    );
    assert_eq!(t.m.flow(f).unwrap().custom_dscp, None);
}

#[test]
fn set_7c_dscp_value_above_63_is_invalid_parameter() {
    let mut t = T::with(admin_world());
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    for v in [64u32, 255, 256, u32::MAX] {
        let b = v.to_le_bytes();
        let r = t.call(set_flow(h, f, 2, 4, Some(&b), 0, None));
        assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER, "value {v}");
    }
    assert_eq!(t.m.flow(f).unwrap().custom_dscp, None);
    t.set(h, f, SetOp::OutgoingDscp(63)).expect("63");
    t.set(h, f, SetOp::OutgoingDscp(0)).expect("0");
    assert_eq!(t.priority(h, f), marked(0, 0));
}

#[test]
fn set_7d_dscp_value_is_overridden_while_an_adaptive_flow_asks_for_priority() {
    let mut t = T::with(admin_world());
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::AudioVideo);
    t.set(h, f, SetOp::OutgoingDscp(46)).expect("dscp");
    assert_eq!(t.priority(h, f), marked(46, 0));
    let (h2, _, a) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(t.priority(h, f), marked(46, 0), "adaptive flow has no rate yet");
    t.set_rate(h2, a, 1_000_000).expect("admitted");
    assert_eq!(t.priority(h, f), marked(40, 0), "table value while prioritised");
    t.set_rate(h2, a, 0).expect("stop");
    assert_eq!(t.priority(h, f), marked(46, 0));
}

#[test]
fn set_7d_only_an_adaptive_flow_asks_for_priority_a_non_adaptive_rate_does_not() {
    let mut w = admin_world();
    // Another process's non-adaptive flow with a declared rate.
    w.foreign_flows.push(ForeignFlow {
        rate_bps: 1_000_000,
        ..ForeignFlow::default()
    });
    let mut t = T::with(w);
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::AudioVideo);
    t.set(h, f, SetOp::OutgoingDscp(46)).expect("dscp");
    // Rates on non-adaptive flows, this one's own and another's, shape only (SET-6).
    t.set_rate(h, f, 1_000_000).expect("own rate");
    let (h2, _, g) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    t.set_rate(h2, g, 1_000_000).expect("other rate");
    assert_eq!(
        t.priority(h, f),
        marked(46, 0),
        "no adaptive flow asks for priority"
    );
}

#[test]
fn set_7e_dscp_value_on_vista_is_invalid_parameter() {
    let mut w = admin_world();
    w.settings.windows_version = WindowsVersion::Vista;
    let mut t = T::with(w);
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(
        code(&t.set(h, f, SetOp::OutgoingDscp(46))),
        E::ERROR_INVALID_PARAMETER
    );
    t.set(h, f, SetOp::TrafficType(TrafficType::Background))
        .expect("other ops exist on Vista");
    // Same call on Windows 7+ succeeds.
    let mut t = T::with(admin_world());
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    t.set(h, f, SetOp::OutgoingDscp(46)).expect("Windows 7");
}

#[test]
fn set_7f_dscp_value_forbidden_by_policy_is_access_disabled_by_policy() {
    let mut w = admin_world();
    w.policy.dscp_override_blocked = true;
    let mut t = T::with(w);
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(
        code(&t.set(h, f, SetOp::OutgoingDscp(46))),
        E::ERROR_ACCESS_DISABLED_BY_POLICY
    );
    assert_eq!(t.priority(h, f), marked(56, 0));
    t.set(h, f, SetOp::TrafficType(TrafficType::Control))
        .expect("traffic type is not blocked");
}

#[test]
fn set_8_traffic_type_and_rate_need_no_admin() {
    let mut t = T::new();
    assert!(!t.m.world().policy.admin);
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    t.set(h, f, SetOp::TrafficType(TrafficType::AudioVideo))
        .expect("traffic type");
    t.set_rate(h, f, 1_000_000).expect("rate");
    let (h2, _, a) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    t.set_rate(h2, a, 1_000_000).expect("adaptive rate");
    assert_eq!(t.priority(h, f), marked(40, 0));
    assert_eq!(t.priority(h2, a), marked(56, 7));
    assert_eq!(
        code(&t.set(h, f, SetOp::OutgoingDscp(1))),
        E::ERROR_ACCESS_DENIED,
        "only the DSCP operation needs the group"
    );
}

#[test]
fn set_9_policy_forbidding_offlink_experiments_is_access_disabled_by_policy() {
    let mut t = T::world(|w| w.policy.offlink_experiments_blocked = true);
    let (h, _, f) = t.adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(
        code(&t.set_rate(h, f, 1_000_000)),
        E::ERROR_ACCESS_DISABLED_BY_POLICY
    );
    assert_eq!(t.outgoing_rate(h, f), 0);
    assert_eq!(t.priority(h, f), marked(0, 0));
    // A non-adaptive flow runs no experiments: its shaping contract is accepted.
    let (h2, _, g) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    t.set_rate(h2, g, 1_000_000).expect("non-adaptive");
    // Without the policy the same adaptive call is accepted (GEN-12: shaping, no admission).
    let mut t = T::new();
    let (h, _, f) = t.adaptive(OFFLINK, TrafficType::Voice);
    t.set_rate(h, f, 1_000_000).expect("default policy");
    assert_eq!(t.priority(h, f), marked(56, 0));
}

#[test]
fn set_10_not_supported_passes_through_and_changes_nothing() {
    // No flow state of the model makes QOSSetFlow need data it cannot get (GEN-12: off-link
    // rates are shaping without admission), so the code is injected.
    let mut t = T::new();
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    t.fail_next(Func::SetFlow, E::ERROR_NOT_SUPPORTED, 1);
    assert_eq!(code(&t.set_rate(h, f, 1_000_000)), E::ERROR_NOT_SUPPORTED);
    assert_eq!(t.m.flow(f).unwrap().rate, None);
    t.set_rate(h, f, 1_000_000).expect("one-shot");
}

#[test]
fn set_11_rate_while_a_tracked_clients_experiments_run_is_retry_and_changes_nothing() {
    let mut t = T::new();
    let h = t.handle();
    t.start(h, LLTD_PEER).expect("track the client");
    let s = t.udp(AF_INET);
    let f = t.flow(h, s, LLTD_PEER, TrafficType::Voice, 0);
    // Tracking started the experiments; until they complete qWAVE lacks data: ERROR_RETRY.
    assert_eq!(code(&t.set_rate(h, f, 1_000_000)), E::ERROR_RETRY);
    t.advance_ms(1_500);
    assert_eq!(code(&t.set_rate(h, f, 1_000_000)), E::ERROR_RETRY, "partial data");
    assert_eq!(t.outgoing_rate(h, f), 0, "nothing changed");
    assert_eq!(t.path_of(LLTD_PEER).admitted_bps, 0);
    t.advance_ms(500);
    t.set_rate(h, f, 1_000_000).expect("the retry succeeds");
    assert!(t.m.flow(f).unwrap().admitted);
    // Without tracking the same moment is SET-6f's ERROR_NETWORK_BUSY.
    let (h2, _, g) = t.adaptive(LLTD_PEER6, TrafficType::Voice);
    assert_eq!(code(&t.set_rate(h2, g, 1_000_000)), E::ERROR_NETWORK_BUSY);
}

#[test]
fn set_11_a_client_lingering_after_its_handle_closed_is_still_tracked() {
    let mut t = T::world(|w| w.settings.tracking_linger_ms = 5_000);
    let h1 = t.handle();
    t.start(h1, LLTD_PEER).expect("track the client");
    t.close(h1).expect("close: the tracking lingers (AMB-3)");
    let (h, _, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.set_rate(h, f, 1_000_000)), E::ERROR_RETRY);
    // Another client's lingering tracking says nothing about this one: SET-6f.
    let (h2, _, g) = t.adaptive(LLTD_PEER6, TrafficType::Voice);
    assert_eq!(code(&t.set_rate(h2, g, 1_000_000)), E::ERROR_NETWORK_BUSY);
}

#[test]
fn set_12_busy_passes_through_and_changes_nothing() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    t.fail_next(Func::SetFlow, E::ERROR_BUSY, 1);
    assert_eq!(code(&t.set_rate(h, f, 1_000_000)), E::ERROR_BUSY);
    assert_eq!(t.m.flow(f).unwrap().rate, None);
    t.set_rate(h, f, 1_000_000).expect("after busy");
}

#[test]
fn set_13_lost_route_is_host_unreachable_and_net_error_passes_through() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    let p: Prefix = "192.168.1.20/32".parse().unwrap();
    t.inject(Fault::RouteLost(p));
    assert_eq!(code(&t.set_rate(h, f, 1_000_000)), E::ERROR_HOST_UNREACHABLE);
    // An overlapped request accepted before the route broke completes with it.
    t.inject(Fault::RouteRestored(p));
    assert_eq!(
        code(&t.set_ov(h, f, rate(1_000_000, Shaping::ShapeAndMark), 9)),
        E::ERROR_IO_PENDING
    );
    t.inject(Fault::RouteLost(p));
    t.advance_ms(5);
    let c = t.completions();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].status, E::ERROR_HOST_UNREACHABLE);
    assert_eq!(t.m.flow(f).unwrap().rate, None);
    // Every operation re-checks the route, not only the rate's admission.
    t.inject(Fault::RouteRestored(p));
    let (h2, _, g) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    t.inject(Fault::RouteLost(p));
    let op = SetOp::TrafficType(TrafficType::Background);
    assert_eq!(code(&t.set(h2, g, op)), E::ERROR_HOST_UNREACHABLE);
    assert_eq!(t.m.flow(g).unwrap().traffic_type, TrafficType::Voice);
    t.inject(Fault::RouteRestored(p));
    t.inject(Fault::AdapterError {
        interface: "Ethernet".into(),
        failing: true,
    });
    assert_eq!(code(&t.set(h2, g, op)), E::ERROR_ADAP_HDW_ERR);
    t.inject(Fault::AdapterError {
        interface: "Ethernet".into(),
        failing: false,
    });
    t.set(h2, g, op).expect("route and adapter back");
    t.fail_next(Func::SetFlow, E::ERROR_UNEXP_NET_ERR, 1);
    assert_eq!(code(&t.set_rate(h, f, 1_000_000)), E::ERROR_UNEXP_NET_ERR);
    t.set_rate(h, f, 1_000_000).expect("reachable again");
}

#[test]
fn set_14_resource_failures_pass_through_and_change_nothing() {
    let mut t = T::new();
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    for e in RESOURCE_CODES {
        t.fail_next(Func::SetFlow, e, 1);
        let r = t.set(h, f, SetOp::TrafficType(TrafficType::Background));
        assert_eq!(code(&r), e);
        assert_eq!(t.m.flow(f).unwrap().traffic_type, TrafficType::Voice);
    }
    t.set(h, f, SetOp::TrafficType(TrafficType::Background))
        .expect("no failure left");
    assert_eq!(t.m.flow(f).unwrap().traffic_type, TrafficType::Background);
}

#[test]
fn set_15_overlapped_set_is_io_pending_and_completes_later() {
    let mut t = T::new();
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    let r = t.set_ov(h, f, SetOp::TrafficType(TrafficType::Background), 42);
    assert_eq!(code(&r), E::ERROR_IO_PENDING);
    assert!(t.m.is_pending(h, 42));
    assert!(t.completions().is_empty());
    assert_eq!(t.m.flow(f).unwrap().traffic_type, TrafficType::Voice, "not yet");
    t.advance_ms(t.m.world().settings.io_latency_ms);
    let c = t.completions();
    assert_eq!(c.len(), 1);
    assert_eq!(
        (
            c[0].key,
            c[0].handle,
            c[0].flow,
            c[0].func,
            c[0].status,
            c[0].bytes
        ),
        (42, h, f, Func::SetFlow, E::ERROR_SUCCESS, 0)
    );
    assert_eq!(t.m.flow(f).unwrap().traffic_type, TrafficType::Background);
    assert!(!t.m.is_pending(h, 42));
    // A failure decided later arrives in the completion, not in the return value.
    let (h2, _, a) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    let r = t.set_ov(h2, a, rate(500_000_000, Shaping::ShapeAndMark), 43);
    assert_eq!(code(&r), E::ERROR_IO_PENDING);
    t.advance_ms(1);
    let c = t.completions();
    assert_eq!((c.len(), c[0].key, c[0].status), (1, 43, E::ERROR_NETWORK_BUSY));
    // Synchronous: the result at once.
    t.set(h, f, SetOp::TrafficType(TrafficType::Control))
        .expect("sync");
    assert_eq!(t.m.flow(f).unwrap().traffic_type, TrafficType::Control);
    assert!(t.completions().is_empty());
}

#[test]
fn set_16_only_the_owner_can_change_a_flow() {
    let mut t = T::world(|w| {
        w.policy.admin = true;
        w.foreign_flows = vec![ForeignFlow {
            traffic_type: TrafficType::Voice,
            ..ForeignFlow::default()
        }];
    });
    let foreign = t.m.flow_ids()[0];
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    let other = t.handle();
    let op = SetOp::TrafficType(TrafficType::Background);
    assert_eq!(code(&t.set(other, f, op)), E::ERROR_NOT_FOUND);
    assert_eq!(code(&t.set(h, foreign, op)), E::ERROR_NOT_FOUND);
    assert_eq!(t.m.flow(foreign).unwrap().traffic_type, TrafficType::Voice);
    assert_eq!(t.m.flow(f).unwrap().traffic_type, TrafficType::Voice);
    t.set(h, f, op).expect("owner");
}

#[test]
fn set_6d_set_6e_lowering_to_no_more_than_the_admitted_rate_needs_nothing_new_from_the_path() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    t.set_rate(h, f, 10_000_000).expect("admitted");
    // The path shrinks below what the flow holds (the sample then lowers its rate).
    t.inject(Fault::Bandwidth {
        path: PathRef::Peer("192.168.1.20".parse().unwrap()),
        available_bps: 1_000_000,
        bottleneck_bps: None,
    });
    t.set_rate(h, f, 10_000_000).expect("the same rate: nothing new");
    t.set_rate(h, f, 5_000_000).expect("lower");
    assert_eq!(t.path_of(LLTD_PEER).admitted_bps, payload(5_000_000));
    assert_eq!(
        code(&t.set_rate(h, f, 5_000_100)),
        E::ERROR_NETWORK_BUSY,
        "more than it holds"
    );
}

//! QRY: QOSQueryFlow.
use crate::common::*;

fn foreign_world() -> World {
    World {
        foreign_flows: vec![ForeignFlow {
            destination: "192.168.1.20".parse().unwrap(),
            traffic_type: TrafficType::AudioVideo,
            adaptive: true,
            rate_bps: 2_000_000,
        }],
        ..World::default()
    }
}

#[test]
fn qry_1_invalid_handle_is_invalid_handle() {
    let mut t = T::new();
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    for bad in [0, 0xdead_beef, h + 7] {
        assert_eq!(code(&t.query(bad, f, 1, 0)), E::ERROR_INVALID_HANDLE);
    }
    let h2 = t.handle();
    t.close(h2).expect("close");
    assert_eq!(code(&t.query(h2, f, 1, 0)), E::ERROR_INVALID_HANDLE);
    t.priority(h, f);
}

#[test]
fn qry_2_unknown_flow_is_not_found_and_zero_is_invalid_parameter() {
    let mut t = T::new();
    let (h, s, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(code(&t.query(h, 0, 1, 0)), E::ERROR_INVALID_PARAMETER);
    assert_eq!(code(&t.query(h, f + 1, 1, 0)), E::ERROR_NOT_FOUND);
    let other = t.handle();
    assert!(
        t.query(other, f, 1, 0).is_ok(),
        "another handle may read it (GEN-7)"
    );
    t.remove(h, s, f).expect("remove");
    assert_eq!(code(&t.query(other, f, 1, 0)), E::ERROR_NOT_FOUND);
    assert_eq!(code(&t.query(h, f, 1, 0)), E::ERROR_NOT_FOUND);
}

#[test]
fn qry_3_small_size_is_insufficient_buffer_with_the_required_size() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    for (op, need) in [(0, 40u32), (1, 16), (2, 8)] {
        for size in [0, need - 1] {
            let r = t.call(query_flow(h, f, op, Some(size), true, 0, None));
            assert_eq!(
                r,
                Err(CallError {
                    code: E::ERROR_INSUFFICIENT_BUFFER,
                    size: Some(need)
                }),
                "op {op} size {size}"
            );
        }
        let r = t.call(query_flow(h, f, op, Some(need), true, 0, None));
        assert!(
            matches!(r, Ok(CallOutput::Data(_, n)) if n == need),
            "op {op}: {r:?}"
        );
    }
}

#[test]
fn qry_4_success_writes_the_data_and_its_size() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    t.set_rate(h, f, 3_000_000).expect("rate");
    let r = t.call(query_flow(h, f, 2, Some(100), true, 0, None));
    let Ok(CallOutput::Data(d, 8)) = r else {
        panic!("{r:?}")
    };
    let (bytes, len) = d.to_bytes();
    assert_eq!(len, 8);
    assert_eq!(&bytes[..8], &3_000_000u64.to_le_bytes());
    let r = t.call(query_flow(h, f, 1, Some(16), true, 0, None));
    let Ok(CallOutput::Data(d, 16)) = r else {
        panic!("{r:?}")
    };
    let (bytes, _) = d.to_bytes();
    assert_eq!(&bytes[..16], &[56, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0]);
    let r = t.call(query_flow(h, f, 0, Some(40), true, 0, None));
    let Ok(CallOutput::Data(d, 40)) = r else {
        panic!("{r:?}")
    };
    let (bytes, _) = d.to_bytes();
    assert_eq!(&bytes[0..4], &1i32.to_le_bytes(), "BottleneckBandwidthSet");
    assert_eq!(&bytes[8..16], &100_000_000u64.to_le_bytes());
    assert_eq!(&bytes[16..20], &1i32.to_le_bytes(), "AvailableBandwidthSet");
    assert_eq!(
        &bytes[24..32],
        &80_000_000u64.to_le_bytes(),
        "own share counts as available"
    );
    assert_eq!(&bytes[32..36], &1i32.to_le_bytes(), "RTTSet");
    assert_eq!(&bytes[36..40], &2_000u32.to_le_bytes());
}

#[test]
fn qry_5_null_size_is_invalid_parameter() {
    let mut t = T::new();
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    for op in 0..3 {
        let r = t.call(query_flow(h, f, op, None, true, 0, None));
        assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER, "op {op}");
    }
    // NULL Buffer with a big enough *Size is invalid too (AMB-6).
    let r = t.call(query_flow(h, f, 1, Some(16), false, 0, None));
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
}

#[test]
fn qry_6_fresh_spends_time_measuring_and_is_retry_while_it_cannot() {
    let mut t = T::new();
    let (h, _, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    let probe_us = t.m.world().settings.fresh_probe_ms * 1000;
    let before = t.m.now();
    assert_eq!(code(&t.query(h, f, 0, QOS_QUERYFLOW_FRESH)), E::ERROR_RETRY);
    assert_eq!(t.m.now().as_us() - before.as_us(), probe_us, "the call blocked");
    assert_eq!(code(&t.query(h, f, 0, 0)), E::ERROR_NO_DATA, "cached: no data");
    t.warm();
    let before = t.m.now();
    let r = t.query(h, f, 0, QOS_QUERYFLOW_FRESH);
    assert!(
        matches!(
            r,
            Ok(CallOutput::Data(
                QueryData::Fundamentals {
                    available_bps: Some(80_000_000),
                    ..
                },
                40
            ))
        ),
        "{r:?}"
    );
    assert_eq!(t.m.now().as_us() - before.as_us(), probe_us);
    // A cached query does not block.
    let before = t.m.now();
    t.fundamentals(h, f);
    assert_eq!(t.m.now(), before);
    // FRESH is ignored for the other operations (AMB-16); unknown bits are 87.
    t.priority(h, f);
    let r = t.query(h, f, 2, QOS_QUERYFLOW_FRESH);
    assert!(matches!(r, Ok(CallOutput::Data(QueryData::OutgoingRate(0), 8))));
    assert_eq!(t.m.now(), before);
    assert_eq!(code(&t.query(h, f, 0, 4)), E::ERROR_INVALID_PARAMETER);
}

#[test]
fn qry_7_fundamentals_on_non_adaptive_flow_is_not_supported() {
    let mut t = T::new();
    let (h, _, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    t.warm();
    assert_eq!(code(&t.query(h, f, 0, 0)), E::ERROR_NOT_SUPPORTED);
    assert_eq!(
        code(&t.query(h, f, 0, QOS_QUERYFLOW_FRESH)),
        E::ERROR_NOT_SUPPORTED
    );
    // The other operations work.
    assert_eq!(t.priority(h, f), marked(56, 0));
    assert_eq!(t.outgoing_rate(h, f), 0);
}

#[test]
fn qry_8_unmeasurable_path_is_not_supported_but_the_flow_is_still_marked() {
    let mut t = T::new();
    let (h, _, f) = t.adaptive(OFFLINK, TrafficType::Voice);
    t.warm();
    assert_eq!(code(&t.query(h, f, 0, 0)), E::ERROR_NOT_SUPPORTED);
    t.set_rate(h, f, 1_000_000).expect("shaping off-link");
    assert_eq!(t.priority(h, f), marked(56, 0), "DSCP only off-link");
    assert_eq!(t.outgoing_rate(h, f), 1_000_000);
    assert_eq!(code(&t.query(h, f, 0, 0)), E::ERROR_NOT_SUPPORTED);
    // On-link with a measurable peer the same call works.
    let (h2, _, g) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    t.warm();
    t.fundamentals(h2, g);
    // Another process's adaptive flow toward an on-link peer without an LLTD responder (one
    // this process could not even add, ADD-10) cannot be measured either.
    let mut t = T::world(|w| {
        w.foreign_flows.push(ForeignFlow {
            destination: "192.168.1.30".parse().unwrap(),
            adaptive: true,
            ..ForeignFlow::default()
        })
    });
    let foreign = t.m.flow_ids()[0];
    let h = t.handle();
    t.warm();
    assert_eq!(code(&t.query(h, foreign, 0, 0)), E::ERROR_NOT_SUPPORTED);
}

#[test]
fn qry_9_no_data_then_partial_then_full() {
    let mut t = T::new();
    let (h, _, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    let s = t.m.world().settings.clone();
    assert_eq!(code(&t.query(h, f, 0, 0)), E::ERROR_NO_DATA);
    t.advance_ms(s.warmup_ms - 1);
    assert_eq!(code(&t.query(h, f, 0, 0)), E::ERROR_NO_DATA);
    t.advance_ms(1);
    assert_eq!(
        t.fundamentals(h, f),
        (Some(100_000_000), None, Some(2_000)),
        "available not yet known"
    );
    t.advance_ms(s.partial_ms);
    assert_eq!(
        t.fundamentals(h, f),
        (Some(100_000_000), Some(80_000_000), Some(2_000))
    );
}

#[test]
fn qry_10_fundamentals_report_the_path_and_zero_available_when_congested() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    let (h2, _, g) = t.adaptive(LLTD_PEER, TrafficType::AudioVideo);
    t.set_rate(h2, g, 30_000_000).expect("other flow");
    assert_eq!(
        t.fundamentals(h, f),
        (
            Some(100_000_000),
            Some(80_000_000 - payload(30_000_000)),
            Some(2_000)
        ),
        "available excludes what other flows hold (their rates less headers)"
    );
    assert_eq!(t.fundamentals(h2, g).1, Some(80_000_000), "own share counts");
    let peer = PathRef::Peer("192.168.1.20".parse().unwrap());
    t.inject(Fault::Congestion {
        path: peer,
        congested: true,
    });
    assert_eq!(t.fundamentals(h, f).1, Some(0));
    t.inject(Fault::Congestion {
        path: peer,
        congested: false,
    });
    t.inject(Fault::Bandwidth {
        path: peer,
        available_bps: 60_000_000,
        bottleneck_bps: Some(70_000_000),
    });
    assert_eq!(
        t.fundamentals(h, f),
        (
            Some(70_000_000),
            Some(60_000_000 - payload(30_000_000)),
            Some(2_000)
        )
    );
}

#[test]
fn qry_11_packet_priority_reports_applied_marking_which_changes_over_time() {
    let mut t = T::world(|w| w.settings.rate_before_estimate = RateBeforeEstimate::Admit);
    let (h, _, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(t.priority(h, f), marked(0, 0), "nothing before a rate");
    t.set_rate(h, f, 1_000_000).expect("admitted");
    assert_eq!(t.priority(h, f), marked(56, 0), "802.1p not yet known to pass");
    t.warm();
    assert_eq!(t.priority(h, f), marked(56, 7), "path keeps 802.1p");
    // Group Policy decides the DSCP.
    let mut t = T::world(|w| w.policy.dscp_policy = Some(10));
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(t.priority(h, f), marked(10, 0));
    // A path that drops 802.1p tags gets DSCP only.
    let mut t = T::world(|w| w.peers[0].path.keeps_8021p = false);
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    t.set_rate(h, f, 1_000_000).expect("admitted");
    assert_eq!(t.priority(h, f), marked(56, 0));
}

#[test]
fn qry_12_outgoing_rate_returns_the_contract() {
    let mut t = T::new();
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(t.outgoing_rate(h, f), 0, "AMB-18");
    t.set_rate(h, f, 1_234_567).expect("rate");
    assert_eq!(t.outgoing_rate(h, f), 1_234_567);
    t.set(h, f, rate(7_654_321, Shaping::UseNonConformantMarkings))
        .expect("rate");
    assert_eq!(t.outgoing_rate(h, f), 7_654_321);
    // The contract as declared, not what the system granted for it (SET-6c).
    let (h2, _, a) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    t.set_rate(h2, a, 0xFFFF_FFFF).expect("default minimum");
    assert_eq!(t.outgoing_rate(h2, a), 0xFFFF_FFFF);
    assert!(t.m.flow(a).unwrap().held_bps < 0xFFFF_FFFF);
}

#[test]
fn qry_13_timeout_passes_through() {
    // Nothing in the model's state makes a query time out; the code is injected.
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    t.fail_next(Func::QueryFlow, E::ERROR_TIMEOUT, 1);
    assert_eq!(code(&t.query(h, f, 0, 0)), E::ERROR_TIMEOUT);
    t.fundamentals(h, f);
}

#[test]
fn qry_14_policy_route_and_resource_failures() {
    let mut t = T::world(|w| w.policy.offlink_experiments_blocked = true);
    let (h, _, f) = t.adaptive(OFFLINK, TrafficType::Voice);
    t.warm();
    assert_eq!(code(&t.query(h, f, 0, 0)), E::ERROR_ACCESS_DISABLED_BY_POLICY);
    let (h2, _, g) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    t.warm();
    t.inject(Fault::RouteLost("192.168.1.20/32".parse().unwrap()));
    assert_eq!(code(&t.query(h2, g, 0, 0)), E::ERROR_HOST_UNREACHABLE);
    t.inject(Fault::RouteRestored("192.168.1.20/32".parse().unwrap()));
    t.inject(Fault::AdapterError {
        interface: "Ethernet".into(),
        failing: true,
    });
    assert_eq!(code(&t.query(h2, g, 0, 0)), E::ERROR_ADAP_HDW_ERR);
    t.inject(Fault::AdapterError {
        interface: "Ethernet".into(),
        failing: false,
    });
    for e in RESOURCE_CODES.into_iter().chain([E::ERROR_BUSY, E::ERROR_RETRY]) {
        t.fail_next(Func::QueryFlow, e, 1);
        assert_eq!(code(&t.query(h2, g, 1, 0)), e);
    }
    t.fundamentals(h2, g);
}

#[test]
fn qry_15_overlapped_query_is_io_pending_and_completes_with_the_data() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    let s = t.m.world().settings.clone();
    assert_eq!(code(&t.query_ov(h, f, 0, 0, 5)), E::ERROR_IO_PENDING);
    assert!(t.completions().is_empty());
    t.advance_ms(s.io_latency_ms);
    let c = t.completions();
    assert_eq!(c.len(), 1);
    assert_eq!(
        (c[0].key, c[0].func, c[0].status, c[0].bytes),
        (5, Func::QueryFlow, E::ERROR_SUCCESS, 40)
    );
    assert_eq!(
        c[0].data,
        Some(QueryData::Fundamentals {
            bottleneck_bps: Some(100_000_000),
            available_bps: Some(80_000_000),
            rtt_us: Some(2_000)
        })
    );
    // FRESH takes the probe time instead of the I/O latency.
    assert_eq!(
        code(&t.query_ov(h, f, 0, QOS_QUERYFLOW_FRESH, 6)),
        E::ERROR_IO_PENDING
    );
    t.advance_ms(s.fresh_probe_ms - 1);
    assert!(t.completions().is_empty());
    t.advance_ms(1);
    let c = t.completions();
    assert_eq!((c.len(), c[0].key, c[0].status), (1, 6, E::ERROR_SUCCESS));
    // A failure decided at completion time arrives in the completion.
    let (h2, _, g) = t.adaptive(LLTD_PEER6, TrafficType::Voice);
    assert_eq!(code(&t.query_ov(h2, g, 0, 0, 7)), E::ERROR_IO_PENDING);
    t.advance_ms(s.io_latency_ms);
    let c = t.completions();
    assert_eq!(
        (c.len(), c[0].key, c[0].status, c[0].bytes, c[0].data),
        (1, 7, E::ERROR_NO_DATA, 0, None)
    );
}

#[test]
fn qry_16_foreign_flows_can_be_queried_and_fresh_is_ignored() {
    let mut t = T::with(foreign_world());
    let foreign = t.m.flow_ids()[0];
    let h = t.handle();
    assert_eq!(t.outgoing_rate(h, foreign), 2_000_000);
    assert_eq!(t.priority(h, foreign), marked(40, 0));
    // No estimate of that path: FRESH would say "retry" for an own flow, here it is ignored.
    let before = t.m.now();
    assert_eq!(
        code(&t.query(h, foreign, 0, QOS_QUERYFLOW_FRESH)),
        E::ERROR_NO_DATA
    );
    assert_eq!(t.m.now(), before, "no fresh probe");
    // Own adaptive flow on the same path, same moment: FRESH is honoured.
    let s = t.udp(AF_INET);
    let own = t.flow(h, s, LLTD_PEER, TrafficType::Voice, 0);
    assert_eq!(code(&t.query(h, own, 0, QOS_QUERYFLOW_FRESH)), E::ERROR_RETRY);
}

#[test]
fn qry_16_gen_7_another_handles_flow_is_read_only_and_fresh_is_ignored_for_it() {
    let mut t = T::new();
    let (h1, _, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    let h2 = t.handle();
    // FRESH is the owner's: for h2 it is ignored (no 100 ms probe, no ERROR_RETRY).
    let start = t.m.now().as_us();
    assert_eq!(code(&t.query(h2, f, 0, QOS_QUERYFLOW_FRESH)), E::ERROR_NO_DATA);
    assert_eq!(t.m.now().as_us(), start);
    assert_eq!(code(&t.query(h1, f, 0, QOS_QUERYFLOW_FRESH)), E::ERROR_RETRY);
    // An overlapped query through h2 ends with the flow, like the owner's requests.
    assert_eq!(code(&t.query_ov(h2, f, 1, 0, 7)), E::ERROR_IO_PENDING);
    t.close(h1).expect("close the owner");
    assert_eq!(t.statuses(), vec![(7, E::ERROR_OPERATION_ABORTED)]);
    assert_eq!(code(&t.query(h2, f, 1, 0)), E::ERROR_NOT_FOUND);
}

#[test]
fn qry_6_a_fresh_query_interrupted_by_a_reset_ends_aborted() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    // The device resets 50 ms into the 100 ms measurement the synchronous call waits for.
    let at = VirtualTime(t.m.now().as_us() + 50_000);
    t.run(|m| m.inject_at(at, Fault::DeviceReset));
    assert_eq!(
        code(&t.query(h, f, 0, QOS_QUERYFLOW_FRESH)),
        E::ERROR_OPERATION_ABORTED
    );
    assert!(t.m.flow(f).is_none());
}

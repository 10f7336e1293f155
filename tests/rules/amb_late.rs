//! AMB-22..AMB-42: the choices qwave-sim makes where the rules leave Windows' behaviour open.
use crate::common::*;

/// Most destinations one shared flow remembers beside its own (AMB-38; the model's cap).
const MAX_EXTRA_DESTS: usize = 64;

fn peer() -> PathRef {
    PathRef::Peer("192.168.1.20".parse().unwrap())
}

#[test]
fn amb_22_enumerate_with_no_flows_is_true_and_empty_even_with_null_buffer() {
    let mut t = T::with(admin_world());
    let h = t.handle();
    assert_eq!(t.enumerate(h, Some(0), false), Ok(CallOutput::Flows(vec![])));
    assert_eq!(t.enumerate(h, Some(0), true), Ok(CallOutput::Flows(vec![])));
    assert_eq!(t.enumerate(h, Some(400), true), Ok(CallOutput::Flows(vec![])));
    // With one flow the NULL-buffer probe is no longer enough.
    t.non_adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(
        t.enumerate(h, Some(0), false).unwrap_err().code,
        E::ERROR_INSUFFICIENT_BUFFER
    );
}

#[test]
fn amb_23_tracking_twice_is_idempotent_per_handle() {
    let mut t = T::new();
    let h1 = t.handle();
    let h2 = t.handle();
    for port in [1, 2, 3] {
        t.start(h1, &format!("192.168.1.20:{port}")).expect("again");
    }
    assert_eq!(t.m.handle(h1).unwrap().tracked.len(), 1);
    t.start(h2, LLTD_PEER).expect("another handle");
    assert_eq!(t.m.handle(h2).unwrap().tracked.len(), 1);
    // One stop ends the client's tracking on every handle (STO-4).
    t.stop(h1, LLTD_PEER).expect("stop");
    assert!(t.m.handle(h1).unwrap().tracked.is_empty());
    assert!(t.m.handle(h2).unwrap().tracked.is_empty());
    assert_eq!(code(&t.stop(h2, LLTD_PEER)), E::ERROR_NOT_FOUND);
}

#[test]
fn amb_24_stop_tracking_an_untracked_client_is_not_found() {
    let mut t = T::new();
    let h = t.handle();
    assert_eq!(code(&t.stop(h, LLTD_PEER)), E::ERROR_NOT_FOUND);
    assert_eq!(code(&t.stop(h, PLAIN_PEER)), E::ERROR_NOT_FOUND);
    t.start(h, LLTD_PEER).expect("track");
    t.stop(h, LLTD_PEER).expect("stop");
    assert_eq!(code(&t.stop(h, LLTD_PEER)), E::ERROR_NOT_FOUND);
}

#[test]
fn amb_25_shape_only_marks_best_effort_unless_the_setting_says_otherwise() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    t.set(h, f, rate(1_000_000, Shaping::ShapeOnly))
        .expect("shape only");
    assert_eq!(t.priority(h, f), marked(0, 0));
    t.set(h, f, rate(1_000_000, Shaping::ShapeAndMark))
        .expect("shape and mark");
    assert_eq!(t.priority(h, f), marked(56, 7));
    let mut t = T::world(|w| w.settings.shape_only_marks = true);
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    t.set(h, f, rate(1_000_000, Shaping::ShapeOnly))
        .expect("shape only");
    assert_eq!(t.priority(h, f), marked(56, 7));
    // The trace records both readings, so a test can assert either.
    assert_eq!(shape_only_events(&t), vec![(f, marked(56, 7), marked(0, 0))]);
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    t.set(h, f, rate(1_000_000, Shaping::ShapeAndMark))
        .expect("shape and mark");
    assert!(shape_only_events(&t).is_empty(), "only QOSShapeOnly is ambiguous");
    t.set(h, f, rate(1_000_000, Shaping::ShapeOnly))
        .expect("shape only");
    assert_eq!(shape_only_events(&t), vec![(f, marked(0, 0), marked(56, 7))]);
}

/// The AMB-25 records of a run: (flow, applied, other).
fn shape_only_events(t: &T) -> Vec<(u32, Marking, Marking)> {
    t.m.events()
        .iter()
        .filter_map(|e| match e.event {
            Event::ShapeOnlyMarking { flow, applied, other } => Some((flow, applied, other)),
            _ => None,
        })
        .collect()
}

#[test]
fn amb_26_zero_destination_is_invalid_unless_lenient() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.udp(AF_INET);
    for d in ["0.0.0.0:0", "0.0.0.0:5004", "192.168.1.20:0"] {
        let r = t.add(h, s, d, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
        assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER, "{d}");
    }
    assert_eq!(t.m.flow_count(), 0);
    let mut t = T::world(|w| w.settings.lenient_zero_dest = true);
    let h = t.handle();
    let s = t.udp(AF_INET);
    let f = t.flow(h, s, "0.0.0.0:0", TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    assert!(!t.m.flow(f).unwrap().adaptive);
    assert_eq!(t.priority(h, f), marked(56, 0));
    let s2 = t.udp(AF_INET);
    assert_eq!(
        code(&t.add(h, s2, "0.0.0.0:0", TrafficType::Voice, 0)),
        E::ERROR_INVALID_PARAMETER,
        "a wildcard flow cannot be adaptive"
    );
    assert_eq!(
        code(&t.add(h, s2, "192.168.1.20:0", TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW)),
        E::ERROR_INVALID_PARAMETER,
        "only the all-zero form is a wildcard"
    );
}

#[test]
fn amb_27_loopback_is_accepted_never_marked_and_not_measurable() {
    let mut t = T::new();
    let (h, _, f) = t.adaptive(LOOPBACK, TrafficType::Voice);
    let (h2, _, g) = t.non_adaptive(LOOPBACK, TrafficType::Voice);
    let (h3, _, v6) = t.non_adaptive("[::1]:5004", TrafficType::Control);
    t.warm();
    t.set_rate(h, f, 1_000_000).expect("recorded");
    assert_eq!(t.outgoing_rate(h, f), 1_000_000);
    assert_eq!(t.priority(h, f), marked(0, 0));
    assert_eq!(t.priority(h2, g), marked(0, 0));
    assert_eq!(t.priority(h3, v6), marked(0, 0));
    assert_eq!(code(&t.query(h, f, 0, 0)), E::ERROR_NOT_SUPPORTED);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_NOT_SUPPORTED);
    // The same flow toward the LAN is marked.
    let (h4, _, lan) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(t.priority(h4, lan), marked(56, 0));
}

#[test]
fn amb_28_service_that_cannot_start_or_is_firewalled() {
    let mut t = T::new();
    t.inject(Fault::Service(ServiceState::CannotStart));
    let r = t.call(create_handle(Some((1, 0)), true));
    assert_eq!(code(&r), E::ERROR_SERVICE_DEPENDENCY_FAIL);
    t.inject(Fault::Service(ServiceState::FirewallBlocked));
    let r = t.call(create_handle(Some((1, 0)), true));
    assert_eq!(code(&r), E::ERROR_RESOURCE_DISABLED);
    // Argument checks come first (CRE-11).
    let r = t.call(create_handle(Some((2, 0)), true));
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    t.inject(Fault::Service(ServiceState::Running));
    t.handle();
    // The same from the world's start state.
    let mut t = T::world(|w| w.settings.service = ServiceState::CannotStart);
    let r = t.call(create_handle(Some((1, 0)), true));
    assert_eq!(code(&r), E::ERROR_SERVICE_DEPENDENCY_FAIL);
    assert!(t.m.handles().is_empty());
}

#[test]
fn amb_29_flow_ids_come_from_one_monotonic_system_counter() {
    let mut t = T::new();
    let (h1, s1, a) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    let (_, _, b) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    let s = t.udp(AF_INET);
    let c = t.flow(h1, s, LLTD_PEER, TrafficType::Voice, 0);
    assert_eq!((a, b, c), (1, 2, 3), "one counter across handles");
    t.remove(h1, s1, a).expect("remove");
    let s = t.udp(AF_INET);
    let d = t.flow(h1, s, OFFLINK, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    assert_eq!(d, 4, "1 is never reused");
    // Other processes' flows take ids from the same counter.
    let mut t = T::world(|w| w.foreign_flows = vec![ForeignFlow::default(); 2]);
    assert_eq!(t.m.flow_ids(), vec![1, 2]);
    let (_, _, e) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(e, 3);
}

#[test]
fn amb_30_a_socket_in_two_live_flows_is_allowed_by_default() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.udp(AF_INET);
    let a = t.flow(h, s, OFFLINK, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    let b = t.flow(h, s, OFFLINK, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    assert_ne!(a, b);
    assert_eq!(t.m.socket_info(s).unwrap().flow_count(), 2);
    // Setting: the second add while a live flow holds the socket is 183.
    let mut t = T::world(|w| w.settings.reject_socket_in_two_flows = true);
    let h = t.handle();
    let s = t.udp(AF_INET);
    let a = t.flow(h, s, OFFLINK, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    let r = t.add(h, s, OFFLINK, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    assert_eq!(code(&r), E::ERROR_ALREADY_EXISTS);
    let s2 = t.udp(AF_INET);
    let other = t.flow(h, s2, OFFLINK, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    let r = t.call(add_socket_to_flow(
        h,
        s,
        sa(OFFLINK),
        4,
        QOS_NON_ADAPTIVE_FLOW,
        Some(other),
    ));
    assert_eq!(code(&r), E::ERROR_ALREADY_EXISTS, "joining another flow too");
    // A socket in no other flow joins, and a member is re-added (AMB-38), under the setting.
    let s3 = t.udp(AF_INET);
    let join = |t: &mut T, s: u64, f: u32| {
        t.call(add_socket_to_flow(
            h,
            s,
            sa(OFFLINK),
            4,
            QOS_NON_ADAPTIVE_FLOW,
            Some(f),
        ))
    };
    assert_eq!(join(&mut t, s3, other), Ok(CallOutput::Flow(other)));
    assert_eq!(
        join(&mut t, s3, other),
        Ok(CallOutput::Flow(other)),
        "already a member"
    );
    assert_eq!(t.m.socket_info(s3).unwrap().flow_count(), 1);
    // Re-adding after removal is fine (RW-8).
    t.remove(h, 0, a).expect("remove");
    t.flow(h, s, OFFLINK, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    // Default: a socket of a live flow joins another flow as well.
    let mut t = T::new();
    let h = t.handle();
    let (s, s2) = (t.udp(AF_INET), t.udp(AF_INET));
    let a = t.flow(h, s, OFFLINK, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    let b = t.flow(h, s2, OFFLINK, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    let r = t.call(add_socket_to_flow(
        h,
        s,
        sa(OFFLINK),
        4,
        QOS_NON_ADAPTIVE_FLOW,
        Some(b),
    ));
    assert_eq!(r, Ok(CallOutput::Flow(b)));
    assert_eq!(t.m.flow(b).unwrap().sockets.as_slice(), &[s2, s]);
    assert_eq!(t.m.flow(a).unwrap().sockets.as_slice(), &[s]);
    assert_eq!(t.m.socket_info(s).unwrap().flow_count(), 2);
}

#[test]
fn amb_31_synchronous_notify_blocks_on_the_virtual_clock_or_reports_a_deadlock() {
    let mut t = T::world(|w| w.settings.deadlock_after_ms = 60_000);
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    let start = t.m.now().as_us();
    // Nothing scheduled can congest the path: the call gives up and the run notes a deadlock
    // (within a wall-clock bound: a wait that never gives up fails the test, not the suite).
    let (mut t, r) = within(20, move || {
        let r = t.notify(h, f, 0, 0, None);
        (t, r)
    });
    assert_eq!(code(&r), E::ERROR_TIMEOUT);
    assert_eq!(t.m.now().as_us() - start, 60_000_000);
    assert_eq!(t.m.deadlocks(), 1);
    assert!(t
        .m
        .events()
        .iter()
        .any(|e| e.event == Event::Deadlock(Func::NotifyFlow)));
    // A scheduled fault lets it return once the condition holds.
    let at = VirtualTime(t.m.now().as_us() + 2_500_000);
    t.run(|m| {
        m.inject_at(
            at,
            Fault::Congestion {
                path: peer(),
                congested: true,
            },
        )
    });
    assert_eq!(t.notify(h, f, 0, 0, None), Ok(CallOutput::None));
    assert_eq!(t.m.now(), at);
    assert_eq!(t.m.deadlocks(), 1);
}

#[test]
fn amb_32_immediate_condition_is_io_pending_then_completes_on_the_next_step() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    let r = t.notify(h, f, 1, 0, Some(1));
    assert_eq!(code(&r), E::ERROR_IO_PENDING, "uncongested already");
    assert!(!t.m.has_completions(), "not before the next step");
    let c = t.completions();
    assert_eq!((c.len(), c[0].key, c[0].status), (1, 1, E::ERROR_SUCCESS));
    assert_eq!(t.m.pending_count(), 0);
    // Setting: TRUE at once, no completion.
    let mut t = T::world(|w| w.settings.immediate_completion = ImmediateCompletion::ReturnTrue);
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(t.notify(h, f, 1, 0, Some(1)), Ok(CallOutput::None));
    assert_eq!(t.notify(h, f, 2, 1_000_000, Some(2)), Ok(CallOutput::None));
    assert!(t.completions().is_empty());
    // A condition that does not hold still pends.
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(3))), E::ERROR_IO_PENDING);
    // The choice covers every overlapped request: Set and Query answer at once too.
    assert_eq!(
        t.set_ov(h, f, rate(2_000_000, Shaping::ShapeAndMark), 4),
        Ok(CallOutput::None)
    );
    assert_eq!(
        t.query_ov(h, f, 2, 0, 5),
        Ok(CallOutput::Data(QueryData::OutgoingRate(2_000_000), 8))
    );
    assert_eq!(
        code(&t.set_ov(h, f, rate(500_000_000, Shaping::ShapeAndMark), 6)),
        E::ERROR_NETWORK_BUSY
    );
    // A FRESH query has to measure first: it still pends.
    assert_eq!(
        code(&t.query_ov(h, f, 0, QOS_QUERYFLOW_FRESH, 7)),
        E::ERROR_IO_PENDING
    );
    assert_eq!(t.m.pending_count(), 2, "Congested and the FRESH query");
    // Default: Set and Query pend and complete after the I/O latency.
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(
        code(&t.set_ov(h, f, rate(2_000_000, Shaping::ShapeAndMark), 1)),
        E::ERROR_IO_PENDING
    );
    assert_eq!(code(&t.query_ov(h, f, 2, 0, 2)), E::ERROR_IO_PENDING);
}

#[test]
fn amb_33_checks_run_in_the_documented_order() {
    let mut t = T::new();
    let (h, _, na) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    let (h2, _, ad) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    // handle before arguments
    let r = t.call(set_flow(0xdead, 0, 9, 3, None, 7, None));
    assert_eq!(code(&r), E::ERROR_INVALID_HANDLE);
    // arguments before the flow lookup
    let r = t.call(set_flow(h, 999, 0, 3, Some(&[]), 0, None));
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    let r = t.call(query_flow(h, 999, 0, Some(4), true, 0, None));
    assert_eq!(code(&r), E::ERROR_INSUFFICIENT_BUFFER);
    // size before privilege: a caller without admin rights learns the size first (ENU-4, ENU-2)
    assert_eq!(
        t.enumerate(h, Some(4), true),
        Err(CallError {
            code: E::ERROR_INSUFFICIENT_BUFFER,
            size: Some(8)
        })
    );
    assert_eq!(code(&t.enumerate(h, Some(8), true)), E::ERROR_ACCESS_DENIED);
    // flow lookup before privilege
    assert_eq!(code(&t.set(h, 999, SetOp::OutgoingDscp(1))), E::ERROR_NOT_FOUND);
    // flow kind before privilege
    assert_eq!(
        code(&t.set(h2, ad, SetOp::OutgoingDscp(1))),
        E::ERROR_INVALID_PARAMETER
    );
    assert_eq!(
        code(&t.set(h, na, SetOp::OutgoingDscp(1))),
        E::ERROR_ACCESS_DENIED
    );
    // privilege before policy
    let mut t2 = T::world(|w| w.policy.dscp_override_blocked = true);
    let (h3, _, f3) = t2.non_adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(
        code(&t2.set(h3, f3, SetOp::OutgoingDscp(1))),
        E::ERROR_ACCESS_DENIED
    );
    // flow kind before policy, policy before data readiness
    let mut t3 = T::world(|w| w.policy.offlink_experiments_blocked = true);
    let (h4, _, f4) = t3.non_adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(code(&t3.notify(h4, f4, 0, 0, Some(1))), E::ERROR_NOT_SUPPORTED);
    let (h5, _, f5) = t3.adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(code(&t3.query(h5, f5, 0, 0)), E::ERROR_ACCESS_DISABLED_BY_POLICY);
    // path capability before data readiness: nothing is measured yet, still 50 not 232
    let (h6, _, f6) = t.adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(code(&t.query(h6, f6, 0, 0)), E::ERROR_NOT_SUPPORTED);
    assert_eq!(code(&t.query(h2, ad, 0, 0)), E::ERROR_NO_DATA);
}

#[test]
fn amb_34_packet_priority_values() {
    let mut t = T::with(admin_world());
    let (h, _, be) = t.warm_adaptive(LLTD_PEER, TrafficType::BestEffort);
    t.set_rate(h, be, 1_000_000).expect("rate");
    assert_eq!(t.priority(h, be), marked(0, 0), "BestEffort: no DSCP, no tag");
    let (h2, _, v) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    t.set(h2, v, rate(1_000_000, Shaping::UseNonConformantMarkings))
        .expect("rate");
    assert_eq!(
        t.priority(h2, v),
        Marking {
            conformant_dscp: 56,
            non_conformant_dscp: 0,
            conformant_l2: 7,
            non_conformant_l2: 0
        }
    );
    // Non-adaptive flows get no 802.1p (TT-1) even on the same path.
    let (h3, _, na) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(t.priority(h3, na), marked(56, 0));
    // Off-link: DSCP only.
    let (h4, _, off) = t.adaptive(OFFLINK, TrafficType::Background);
    t.set_rate(h4, off, 1_000_000).expect("rate");
    assert_eq!(t.priority(h4, off), marked(8, 0));
    // A custom DSCP is the conformant value (with no adaptive flow asking for priority).
    t.set_rate(h, be, 0).expect("stop");
    t.set_rate(h2, v, 0).expect("stop");
    t.set_rate(h4, off, 0).expect("stop");
    t.set(h3, na, SetOp::OutgoingDscp(34)).expect("custom");
    assert_eq!(t.priority(h3, na), marked(34, 0));
}

#[test]
fn amb_35_flow_survives_disconnecting_the_socket() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.dual_stack_udp();
    t.run(|m| m.connect(s, sa("[::ffff:192.168.1.20]:5004")))
        .expect("connect mapped");
    let r = t.call(add_socket_to_flow(
        h,
        s,
        None,
        TrafficType::Voice.raw(),
        QOS_NON_ADAPTIVE_FLOW,
        Some(0),
    ));
    let Ok(CallOutput::Flow(f)) = r else {
        panic!("{r:?}")
    };
    t.run(|m| m.connect(s, sa("[::]:0"))).expect("disconnect");
    assert_eq!(t.m.socket_info(s).unwrap().peer, None);
    assert_eq!(t.m.flow(f).unwrap().sockets.as_slice(), &[s]);
    assert_eq!(t.priority(h, f), marked(56, 0));
    t.set(h, f, SetOp::TrafficType(TrafficType::AudioVideo))
        .expect("still usable");
    assert_eq!(t.priority(h, f), marked(40, 0));
    t.remove(h, s, f).expect("remove");
}

#[test]
fn amb_36_warm_up_setting_no_data_then_partial_then_full_fresh_is_retry() {
    let mut t = T::world(|w| {
        w.settings.warmup_ms = 3_000;
        w.settings.partial_ms = 500;
    });
    let (h, _, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    t.advance_ms(2_000);
    assert_eq!(code(&t.query(h, f, 0, 0)), E::ERROR_NO_DATA);
    // A fresh query blocks 100 ms and still finds nothing (2.1 s < 3 s).
    assert_eq!(code(&t.query(h, f, 0, QOS_QUERYFLOW_FRESH)), E::ERROR_RETRY);
    t.advance_ms(899);
    assert_eq!(code(&t.query(h, f, 0, 0)), E::ERROR_NO_DATA, "2.999 s");
    t.advance_ms(1);
    assert_eq!(t.fundamentals(h, f), (Some(100_000_000), None, Some(2_000)));
    t.advance_ms(500);
    assert_eq!(
        t.fundamentals(h, f),
        (Some(100_000_000), Some(80_000_000), Some(2_000))
    );
}

#[test]
fn amb_36_query_count_form_no_data_then_partial_then_full() {
    let mut t = T::world(|w| {
        w.settings.warmup = Warmup::Queries {
            no_data: 2,
            partial: 1,
        }
    });
    let (h, _, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.notify(h, f, 1, 0, Some(1))), E::ERROR_IO_PENDING);
    t.advance_ms(60_000);
    // Time alone does not warm the estimate up in this form; queries do.
    assert_eq!(code(&t.set_rate(h, f, 1_000_000)), E::ERROR_NETWORK_BUSY);
    assert_eq!(code(&t.query(h, f, 0, 0)), E::ERROR_NO_DATA);
    assert_eq!(code(&t.query(h, f, 0, QOS_QUERYFLOW_FRESH)), E::ERROR_RETRY);
    assert!(t.completions().is_empty());
    assert_eq!(t.fundamentals(h, f), (Some(100_000_000), None, Some(2_000)));
    // The third query completed the estimate: the waiting notification fires.
    assert_eq!(t.statuses(), vec![(1, E::ERROR_SUCCESS)]);
    assert_eq!(
        t.fundamentals(h, f),
        (Some(100_000_000), Some(80_000_000), Some(2_000))
    );
    t.set_rate(h, f, 1_000_000).expect("admitted");
}

#[test]
fn amb_37_closed_socket_leaves_its_flow_alive_until_removed() {
    let mut t = T::new();
    let (h, s, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    t.run(|m| m.close_socket(s)).expect("closesocket");
    assert!(t.m.flow(f).is_some());
    assert_eq!(t.priority(h, f), marked(56, 0));
    t.remove(h, s, f).expect("remove by the closed socket");
    assert!(t.m.flow(f).is_none());
    let (h2, s2, g) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    t.run(|m| m.close_socket(s2)).expect("closesocket");
    t.remove(h2, 0, g).expect("remove by NULL");
    assert!(t.m.flow(g).is_none());
    assert_eq!(t.m.flow_count(), 0);
}

#[test]
fn amb_38_re_adding_a_member_socket_with_another_destination_keeps_the_id() {
    let mut t = T::new();
    let (h, s, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    let other = "203.0.113.99:6000";
    let r = t.call(add_socket_to_flow(
        h,
        s,
        sa(other),
        0,
        QOS_NON_ADAPTIVE_FLOW,
        Some(f),
    ));
    assert_eq!(r, Ok(CallOutput::Flow(f)));
    let flow = t.m.flow(f).unwrap();
    assert_eq!(flow.sockets.as_slice(), &[s], "still one member");
    assert_eq!(flow.extra_destinations, vec![other.parse().unwrap()]);
    assert_eq!(flow.traffic_type, TrafficType::Voice, "traffic type ignored");
    assert_eq!(t.m.flow_count(), 1);
    assert_eq!(t.m.socket_info(s).unwrap().flow_count(), 1);
    // Each destination is remembered once; the flow's own is not repeated.
    let join =
        |t: &mut T, d: &str| t.call(add_socket_to_flow(h, s, sa(d), 0, QOS_NON_ADAPTIVE_FLOW, Some(f)));
    assert_eq!(join(&mut t, other), Ok(CallOutput::Flow(f)));
    assert_eq!(join(&mut t, OFFLINK), Ok(CallOutput::Flow(f)));
    assert_eq!(t.m.flow(f).unwrap().extra_destinations.len(), 1);
    // Chromium-style: one per destination, up to MAX_EXTRA_DESTS remembered, all accepted.
    for i in 0..100 {
        let d = format!("203.0.113.{}:{}", 100 + i % 100, 7000 + i);
        assert_eq!(join(&mut t, &d), Ok(CallOutput::Flow(f)), "{d}");
    }
    assert_eq!(t.m.flow(f).unwrap().extra_destinations.len(), MAX_EXTRA_DESTS);
    // A new member needs a route to its destination; a lenient wildcard has none to check.
    let s2 = t.udp(AF_INET);
    let r = t.call(add_socket_to_flow(
        h,
        s2,
        sa(UNREACHABLE),
        0,
        QOS_NON_ADAPTIVE_FLOW,
        Some(f),
    ));
    assert_eq!(code(&r), E::ERROR_HOST_UNREACHABLE);
    t.inject(Fault::AdapterError {
        interface: "Ethernet".into(),
        failing: true,
    });
    let r = t.call(add_socket_to_flow(
        h,
        s2,
        sa(OFFLINK),
        0,
        QOS_NON_ADAPTIVE_FLOW,
        Some(f),
    ));
    assert_eq!(code(&r), E::ERROR_ADAP_HDW_ERR, "a faulty adapter on its route");
    assert_eq!(t.m.flow(f).unwrap().sockets.len(), 1);
    let mut t = T::world(|w| w.settings.lenient_zero_dest = true);
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    let s3 = t.udp(AF_INET);
    let r = t.call(add_socket_to_flow(
        h,
        s3,
        sa("0.0.0.0:0"),
        0,
        QOS_NON_ADAPTIVE_FLOW,
        Some(f),
    ));
    assert_eq!(r, Ok(CallOutput::Flow(f)));
}

#[test]
fn amb_39_remove_with_flow_id_zero_is_invalid_parameter() {
    let mut t = T::new();
    let (h, s, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(code(&t.remove(h, 0, 0)), E::ERROR_INVALID_PARAMETER);
    assert_eq!(code(&t.remove(h, s, 0)), E::ERROR_INVALID_PARAMETER);
    assert!(t.m.flow(f).is_some());
}

#[test]
fn amb_40_power_transition_errors_are_a_setting_then_resume_rules_apply() {
    let mut t = T::world(|w| w.settings.power_transition_errors = true);
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    t.inject(Fault::Sleep);
    let pt = E::ERROR_SYSTEM_POWERSTATE_TRANSITION;
    assert_eq!(code(&t.query(h, f, 1, 0)), pt);
    assert_eq!(code(&t.call(create_handle(Some((1, 0)), true))), pt);
    assert_eq!(code(&t.close(h)), pt);
    // Sleeping again before the resume (sleep → hibernate): the transition may still end in
    // another state, a complex one (783) until the resume.
    t.inject(Fault::Sleep);
    let complex = E::ERROR_SYSTEM_POWERSTATE_COMPLEX_TRANSITION;
    assert_eq!(code(&t.query(h, f, 1, 0)), complex);
    assert_eq!(code(&t.call(create_handle(Some((1, 0)), true))), complex);
    t.inject(Fault::Resume);
    assert_eq!(code(&t.query(h, f, 1, 0)), E::ERROR_INVALID_HANDLE, "GEN-9");
    assert_eq!(
        code(&t.call(create_handle(Some((1, 0)), true))),
        E::ERROR_GEN_FAILURE
    );
    t.handle();
    // The next sleep is a plain transition again.
    t.inject(Fault::Sleep);
    assert_eq!(code(&t.close(h)), pt);
    t.inject(Fault::Resume);
    // Default: no transition code; the dead handle answers 6 and create fails while asleep.
    let mut t = T::new();
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    t.inject(Fault::Sleep);
    assert_eq!(code(&t.query(h, f, 1, 0)), E::ERROR_INVALID_HANDLE);
    assert_eq!(
        code(&t.call(create_handle(Some((1, 0)), true))),
        E::ERROR_GEN_FAILURE
    );
}

#[test]
fn amb_41_one_socket_in_several_flows_toward_different_destinations() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.udp(AF_INET);
    let dests = [LLTD_PEER, PLAIN_PEER, OFFLINK];
    let ids: Vec<u32> = dests
        .iter()
        .map(|d| t.flow(h, s, d, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW))
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
    for (id, d) in ids.iter().zip(dests) {
        assert_eq!(t.m.flow(*id).unwrap().destination, d.parse().unwrap());
    }
    assert_eq!(t.m.socket_info(s).unwrap().flow_count(), 3);
    t.remove(h, s, ids[1]).expect("remove one");
    assert!(t.m.flow(ids[1]).is_none());
    assert!(t.m.flow(ids[0]).is_some() && t.m.flow(ids[2]).is_some());
    assert_eq!(t.m.socket_info(s).unwrap().flow_count(), 2);
    assert_eq!(t.priority(h, ids[2]), marked(56, 0));
}

#[test]
fn amb_42_several_handles_share_a_socket_and_close_only_their_own() {
    let mut t = T::new();
    let h1 = t.handle();
    let h2 = t.handle();
    let s = t.udp(AF_INET);
    let a = t.flow(h1, s, LLTD_PEER, TrafficType::Voice, 0);
    let b = t.flow(h2, s, LLTD_PEER, TrafficType::AudioVideo, 0);
    t.warm();
    assert_eq!(code(&t.notify(h1, a, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    assert_eq!(code(&t.notify(h2, b, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    t.set_rate(h2, b, 2_000_000).expect("rate");
    // Each handle changes only its own flow; the other's it can only read (GEN-7).
    assert_eq!(code(&t.set_rate(h1, b, 1_000_000)), E::ERROR_NOT_FOUND);
    assert_eq!(t.priority(h1, b), marked(40, 5));
    t.close(h1).expect("close h1");
    let c = t.completions();
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].handle, c[0].status), (h1, E::ERROR_OPERATION_ABORTED));
    assert!(t.m.flow(a).is_none());
    assert!(t.m.flow(b).is_some());
    assert!(t.m.is_pending(h2, 1));
    assert_eq!(t.priority(h2, b), marked(40, 5));
    t.inject(Fault::Congestion {
        path: peer(),
        congested: true,
    });
    let c = t.completions();
    assert_eq!((c.len(), c[0].handle, c[0].status), (1, h2, E::ERROR_SUCCESS));
    // Bandwidth released by closing one handle serves another handle's waiting flow.
    t.inject(Fault::Congestion {
        path: peer(),
        congested: false,
    });
    let h3 = t.handle();
    let c3 = t.flow(h3, s, LLTD_PEER, TrafficType::Voice, 0);
    t.set_rate(h3, c3, 70_000_000).expect("big");
    assert_eq!(
        code(&t.notify(h2, b, 2, 20_000_000, Some(2))),
        E::ERROR_IO_PENDING
    );
    assert!(t.completions().is_empty());
    t.close(h3).expect("close h3");
    let c = t.completions();
    assert_eq!((c.len(), c[0].handle, c[0].key), (1, h2, 2));
    assert_eq!(c[0].data, None);
}

//! NOT: QOSNotifyFlow.
use crate::common::*;

fn peer() -> PathRef {
    PathRef::Peer("192.168.1.20".parse().unwrap())
}

fn congest(t: &mut T, congested: bool) {
    t.inject(Fault::Congestion {
        path: peer(),
        congested,
    });
}

#[test]
fn not_1_invalid_handle_is_invalid_handle() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    for bad in [0, 0xdead_beef, h + 3] {
        assert_eq!(code(&t.notify(bad, f, 0, 0, Some(1))), E::ERROR_INVALID_HANDLE);
    }
    let h2 = t.handle();
    t.close(h2).expect("close");
    assert_eq!(code(&t.notify(h2, f, 0, 0, Some(1))), E::ERROR_INVALID_HANDLE);
    assert_eq!(t.m.pending_count(), 0);
}

#[test]
fn not_2_unknown_flow_is_not_found_and_zero_is_invalid_parameter() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.notify(h, 0, 0, 0, Some(1))), E::ERROR_INVALID_PARAMETER);
    assert_eq!(code(&t.notify(h, f + 9, 0, 0, Some(1))), E::ERROR_NOT_FOUND);
    let other = t.handle();
    assert_eq!(code(&t.notify(other, f, 0, 0, Some(1))), E::ERROR_NOT_FOUND);
    assert_eq!(t.m.pending_count(), 0);
}

#[test]
fn not_3_congestion_notifications_take_no_size_or_buffer() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    for op in [0, 1] {
        for (size, target) in [(Some(8), None), (None, Some(0)), (Some(8), Some(5))] {
            let r = t.call(notify_flow(h, f, op, size, target, 0, Some(1)));
            assert_eq!(
                code(&r),
                E::ERROR_INVALID_PARAMETER,
                "op {op} {size:?} {target:?}"
            );
        }
    }
    assert_eq!(t.m.pending_count(), 0);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
}

#[test]
fn not_4_congested_fires_on_congestion_uncongested_fires_when_clear() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    t.advance_ms(10_000);
    assert!(t.completions().is_empty(), "not congested: keeps waiting");
    congest(&mut t, true);
    let c = t.completions();
    assert_eq!(c.len(), 1);
    assert_eq!(
        (c[0].key, c[0].func, c[0].status, c[0].data, c[0].bytes),
        (1, Func::NotifyFlow, E::ERROR_SUCCESS, None, 0)
    );
    // While congested, Uncongested waits and Congested fires at once (AMB-32: next step).
    assert_eq!(code(&t.notify(h, f, 1, 0, Some(2))), E::ERROR_IO_PENDING);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(3))), E::ERROR_IO_PENDING);
    let c = t.completions();
    assert_eq!((c.len(), c[0].key), (1, 3));
    congest(&mut t, false);
    let c = t.completions();
    assert_eq!((c.len(), c[0].key, c[0].status), (1, 2, E::ERROR_SUCCESS));
    // A path with a congestion period toggles on its own.
    let mut t = T::world(|w| w.peers[0].path.congestion_period_ms = Some(5_000));
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    t.advance_ms(2_999);
    assert!(t.completions().is_empty());
    t.advance_ms(1);
    let c = t.completions();
    assert_eq!((c.len(), c[0].key), (1, 1));
    assert_eq!(t.m.now().as_us(), 5_000_000);
}

#[test]
fn not_5_available_fires_when_the_path_can_carry_the_total_target() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    t.set_rate(h, f, 3_000_000).expect("3 Mb/s");
    // Another flow takes most of the path: 80 - 75.49 = 4.51 Mb/s free besides ours (rates
    // include IP and UDP headers, the available bandwidth does not: QRY-10).
    let (h2, _, g) = t.adaptive(LLTD_PEER, TrafficType::AudioVideo);
    t.set_rate(h2, g, 77_000_000).expect("77 Mb/s");
    // Target is the total (3 + 2 = 5 with headers, 4.9 without), not an increment: it waits.
    assert_eq!(code(&t.notify(h, f, 2, 5_000_000, Some(1))), E::ERROR_IO_PENDING);
    assert!(t.completions().is_empty());
    t.set_rate(h2, g, 76_800_000)
        .expect("other flow shrinks a little");
    assert!(t.completions().is_empty(), "4.71 Mb/s: not yet");
    // The other flow releasing bandwidth is enough: no path event is needed.
    t.set_rate(h2, g, 76_000_000).expect("other flow shrinks");
    let c = t.completions();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].status, E::ERROR_SUCCESS);
    // SIM-6: nothing is written back into the caller's target buffer.
    assert_eq!((c[0].data, c[0].bytes), (None, 0));
    // Already true: fires on the next step.
    assert_eq!(code(&t.notify(h, f, 2, 5_000_000, Some(2))), E::ERROR_IO_PENDING);
    let c = t.completions();
    assert_eq!((c.len(), c[0].key, c[0].data), (1, 2, None));
    // A path change fires it too, and so does another flow going away.
    assert_eq!(code(&t.notify(h, f, 2, 7_000_000, Some(3))), E::ERROR_IO_PENDING);
    t.inject(Fault::Bandwidth {
        path: peer(),
        available_bps: 82_000_000,
        bottleneck_bps: None,
    });
    let c = t.completions();
    assert_eq!((c.len(), c[0].key, c[0].status), (1, 3, E::ERROR_SUCCESS));
    assert_eq!(code(&t.notify(h, f, 2, 50_000_000, Some(4))), E::ERROR_IO_PENDING);
    t.remove(h2, 0, g).expect("remove the other flow");
    let c = t.completions();
    assert_eq!((c.len(), c[0].key, c[0].status), (1, 4, E::ERROR_SUCCESS));
}

#[test]
fn not_5_not_4_capacity_notifications_wait_until_the_estimate_exists() {
    let mut t = T::new();
    // Congested from the start: only a measurement can tell qWAVE so.
    congest(&mut t, true);
    let (h, _, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    let s = t.udp(AF_INET);
    let g = t.flow(h, s, LLTD_PEER, TrafficType::AudioVideo, 0);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    assert_eq!(code(&t.notify(h, g, 2, 1_000_000, Some(2))), E::ERROR_IO_PENDING);
    assert_eq!(code(&t.notify(h, g, 1, 0, Some(3))), E::ERROR_IO_PENDING);
    // At the same moment the query has no data yet: a re-arming app must not loop.
    assert_eq!(code(&t.query(h, f, 0, 0)), E::ERROR_NO_DATA);
    t.advance_ms(1_999);
    assert!(
        t.completions().is_empty(),
        "partial estimates know no capacity yet"
    );
    t.advance_ms(1);
    assert_eq!(
        t.statuses(),
        vec![(1, E::ERROR_SUCCESS)],
        "the estimate completes at 2 s"
    );
    congest(&mut t, false);
    let mut c = t.statuses();
    c.sort();
    assert_eq!(c, vec![(2, E::ERROR_SUCCESS), (3, E::ERROR_SUCCESS)]);
    // A blocking notification before the estimate blocks until it exists.
    let (h2, _, f2) = t.adaptive(LLTD_PEER6, TrafficType::Voice);
    let start = t.m.now().as_us();
    assert_eq!(t.notify(h2, f2, 1, 0, None), Ok(CallOutput::None));
    assert_eq!(t.m.now().as_us() - start, 2_000_000);
}

#[test]
fn not_6_available_target_not_above_current_bandwidth_is_invalid_parameter() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    t.set_rate(h, f, 3_000_000).expect("rate");
    for target in [0, 2_999_999, 3_000_000] {
        assert_eq!(
            code(&t.notify(h, f, 2, target, Some(1))),
            E::ERROR_INVALID_PARAMETER,
            "target {target}"
        );
    }
    assert_eq!(t.m.pending_count(), 0);
    assert_eq!(code(&t.notify(h, f, 2, 3_000_001, Some(1))), E::ERROR_IO_PENDING);
}

#[test]
fn not_7_small_size_is_insufficient_buffer_with_the_required_size() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    for size in [0, 4, 7] {
        let r = t.call(notify_flow(h, f, 2, Some(size), Some(90_000_000), 0, Some(1)));
        assert_eq!(
            r,
            Err(CallError {
                code: E::ERROR_INSUFFICIENT_BUFFER,
                size: Some(8)
            })
        );
    }
    assert_eq!(t.m.pending_count(), 0);
    // Success hands nothing back (SIM-6): the surface leaves Buffer and *Size as they were.
    let r = t.call(notify_flow(h, f, 2, Some(64), Some(1_000_000), 0, None));
    assert_eq!(r, Ok(CallOutput::None));
}

#[test]
fn not_8_same_operation_pending_twice_is_already_exists() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(2))), E::ERROR_ALREADY_EXISTS);
    assert_eq!(code(&t.notify(h, f, 2, 90_000_000, Some(3))), E::ERROR_IO_PENDING);
    assert_eq!(
        code(&t.notify(h, f, 2, 95_000_000, Some(4))),
        E::ERROR_ALREADY_EXISTS
    );
    assert_eq!(t.m.pending_count(), 2);
    // Once the first fired, the operation can be armed again.
    congest(&mut t, true);
    assert_eq!(t.completions().len(), 1);
    congest(&mut t, false);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(2))), E::ERROR_IO_PENDING);
}

#[test]
fn not_9_non_adaptive_flow_is_not_supported() {
    let mut t = T::new();
    let (h, _, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    t.warm();
    for op in 0..3 {
        assert_eq!(
            code(&t.notify(h, f, op, 90_000_000, Some(1))),
            E::ERROR_NOT_SUPPORTED,
            "op {op}"
        );
    }
    assert_eq!(t.m.pending_count(), 0);
}

#[test]
fn not_10_unmeasurable_path_is_not_supported() {
    let mut t = T::new();
    let (h, _, f) = t.adaptive(OFFLINK, TrafficType::Voice);
    let (h2, _, g) = t.adaptive(LOOPBACK, TrafficType::Voice);
    t.warm();
    for op in 0..3 {
        assert_eq!(
            code(&t.notify(h, f, op, 1_000_000, Some(1))),
            E::ERROR_NOT_SUPPORTED
        );
        assert_eq!(
            code(&t.notify(h2, g, op, 1_000_000, Some(1))),
            E::ERROR_NOT_SUPPORTED
        );
    }
    assert_eq!(t.m.pending_count(), 0);
}

#[test]
fn not_11_policy_route_and_resource_failures() {
    let mut t = T::world(|w| w.policy.offlink_experiments_blocked = true);
    let (h, _, f) = t.adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(
        code(&t.notify(h, f, 0, 0, Some(1))),
        E::ERROR_ACCESS_DISABLED_BY_POLICY
    );
    let (h2, _, g) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    for e in RESOURCE_CODES.into_iter().chain([E::ERROR_UNEXP_NET_ERR]) {
        t.fail_next(Func::NotifyFlow, e, 1);
        assert_eq!(code(&t.notify(h2, g, 0, 0, Some(1))), e);
    }
    assert_eq!(t.m.pending_count(), 0);
    // A pending notification whose route breaks completes with the route's error.
    assert_eq!(code(&t.notify(h2, g, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    t.inject(Fault::RouteLost("192.168.1.0/24".parse().unwrap()));
    let c = t.completions();
    assert_eq!((c.len(), c[0].status), (1, E::ERROR_HOST_UNREACHABLE));
    assert_eq!(code(&t.notify(h2, g, 0, 0, Some(1))), E::ERROR_HOST_UNREACHABLE);
}

#[test]
fn not_11_a_pending_notification_rerouted_onto_a_failing_adapter_completes_with_57() {
    // A second adapter on the same link; the routing table prefers Ethernet when it is up.
    let mut t = T::world(|w| {
        w.interfaces.push(Interface {
            name: "Wi-Fi".into(),
            index: 2,
            addresses: vec!["192.168.1.11/24".parse().unwrap()],
            ..Interface::default()
        })
    });
    t.inject(Fault::InterfaceDown("Ethernet".into()));
    t.inject(Fault::AdapterError {
        interface: "Ethernet".into(),
        failing: true,
    });
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(t.m.flow(f).unwrap().interface, 2, "by Wi-Fi");
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(7))), E::ERROR_IO_PENDING);
    // Faults on an interface the machine does not have change nothing.
    t.inject(Fault::InterfaceDown("Bluetooth".into()));
    t.inject(Fault::InterfaceUp("Bluetooth".into()));
    assert!(t.m.is_pending(h, 7));
    // Ethernet comes back and takes the route again, with its failing adapter.
    t.inject(Fault::InterfaceUp("Ethernet".into()));
    assert_eq!(t.statuses(), vec![(7, E::ERROR_ADAP_HDW_ERR)]);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(8))), E::ERROR_ADAP_HDW_ERR);
}

#[test]
fn not_12_overlapped_is_pending_until_the_condition_and_sync_blocks() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    assert!(t.m.is_pending(h, 1));
    t.advance_ms(1_000);
    assert!(t.m.is_pending(h, 1));
    congest(&mut t, true);
    assert!(!t.m.is_pending(h, 1));
    assert_eq!(t.completions().len(), 1);
    congest(&mut t, false);
    // Without an OVERLAPPED the call returns only once the condition holds.
    let at = VirtualTime(t.m.now().as_us() + 700_000);
    t.run(|m| {
        m.inject_at(
            at,
            Fault::Congestion {
                path: peer(),
                congested: true,
            },
        )
    });
    let r = t.notify(h, f, 0, 0, None);
    assert_eq!(r, Ok(CallOutput::None));
    assert_eq!(t.m.now(), at, "blocked on the virtual clock");
    assert!(t.completions().is_empty(), "no OVERLAPPED, no completion");
}

#[test]
fn not_13_each_request_completes_once() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    congest(&mut t, true);
    assert_eq!(t.completions().len(), 1);
    congest(&mut t, false);
    congest(&mut t, true);
    assert!(t.completions().is_empty(), "one-shot: needs re-arming");
    assert_eq!(t.m.pending_count(), 0);
    congest(&mut t, false);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    congest(&mut t, true);
    assert_eq!(t.completions().len(), 1);
}

#[test]
fn not_14_cancel_close_or_remove_abort_the_request() {
    let mut t = T::new();
    let (h, s, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    // QOSCancel.
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    t.cancel(h, Some(1)).expect("cancel");
    let c = t.completions();
    assert_eq!(
        (c.len(), c[0].key, c[0].status),
        (1, 1, E::ERROR_OPERATION_ABORTED)
    );
    // Removing the flow.
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(2))), E::ERROR_IO_PENDING);
    assert_eq!(code(&t.notify(h, f, 2, 90_000_000, Some(3))), E::ERROR_IO_PENDING);
    t.remove(h, s, f).expect("remove");
    let mut c = t.completions();
    c.sort_by_key(|c| c.key);
    assert_eq!(c.len(), 2);
    assert!(c.iter().all(|c| c.status == E::ERROR_OPERATION_ABORTED));
    assert_eq!((c[0].key, c[1].key), (2, 3));
    // Closing the handle.
    let (h, _, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.notify(h, f, 1, 0, Some(4))), E::ERROR_IO_PENDING);
    // (Uncongested holds now: its completion is delivered on the next step, before the close.)
    t.completions();
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(5))), E::ERROR_IO_PENDING);
    t.close(h).expect("close");
    let c = t.completions();
    assert_eq!(
        (c.len(), c[0].key, c[0].status),
        (1, 5, E::ERROR_OPERATION_ABORTED)
    );
    congest(&mut t, true);
    assert!(t.completions().is_empty());
    // Bandwidth released by the close itself does not complete the handle's own requests.
    congest(&mut t, false);
    let h = t.handle();
    let (s1, s2) = (t.udp(AF_INET), t.udp(AF_INET));
    let big = t.flow(h, s1, LLTD_PEER, TrafficType::AudioVideo, 0);
    let small = t.flow(h, s2, LLTD_PEER, TrafficType::Voice, 0);
    t.set_rate(h, big, 76_000_000).expect("big");
    assert_eq!(
        code(&t.notify(h, small, 2, 10_000_000, Some(6))),
        E::ERROR_IO_PENDING
    );
    t.close(h).expect("close");
    let c = t.completions();
    assert_eq!(
        (c.len(), c[0].key, c[0].status),
        (1, 6, E::ERROR_OPERATION_ABORTED)
    );
}

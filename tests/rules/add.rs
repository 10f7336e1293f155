//! ADD: QOSAddSocketToFlow.
use crate::common::*;

const NA: u32 = QOS_NON_ADAPTIVE_FLOW;

fn add_raw(
    t: &mut T,
    h: u64,
    s: u64,
    dest: Option<SockAddrIn>,
    tt: i32,
    flags: u32,
    id: Option<u32>,
) -> CallResult {
    t.call(add_socket_to_flow(h, s, dest, tt, flags, id))
}

#[test]
fn add_1_bad_handle_is_invalid_handle() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.udp(AF_INET);
    for bad in [0, 0xdead_beef, h + 7] {
        assert_eq!(
            code(&t.add(bad, s, LLTD_PEER, TrafficType::Voice, NA)),
            E::ERROR_INVALID_HANDLE
        );
    }
    assert!(t.call(close_handle(h)).is_ok());
    assert_eq!(
        code(&t.add(h, s, LLTD_PEER, TrafficType::Voice, NA)),
        E::ERROR_INVALID_HANDLE
    );
    assert_eq!(t.m.flow_count(), 0);
}

#[test]
fn add_2_null_flow_id_pointer_is_invalid_parameter() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.udp(AF_INET);
    for flags in [0, NA] {
        let r = add_raw(&mut t, h, s, sa(LLTD_PEER), 4, flags, None);
        assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    }
    assert_eq!(t.m.flow_count(), 0);
}

#[test]
fn add_3_ipv4_sockaddr_on_dual_stack_socket_is_invalid_parameter() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.dual_stack_udp();
    let r = t.add(h, s, LLTD_PEER, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    let r = t.add(
        h,
        s,
        "[::ffff:192.168.1.20]:5004",
        TrafficType::Voice,
        QOS_NON_ADAPTIVE_FLOW,
    );
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    // The reverse mix (an AF_INET6 address for an AF_INET socket) fails the same way.
    let s4 = t.udp(AF_INET);
    assert_eq!(
        code(&t.add(h, s4, LLTD_PEER6, TrafficType::Voice, NA)),
        E::ERROR_INVALID_PARAMETER
    );
    assert_eq!(t.m.flow_count(), 0);
    // The matching family works on the same sockets.
    t.flow(h, s, LLTD_PEER6, TrafficType::Voice, NA);
}

#[test]
fn add_4_unconnected_socket_without_destination_is_invalid_parameter() {
    let mut t = T::new();
    let h = t.handle();
    let udp = t.udp(AF_INET);
    let tcp = t.tcp(AF_INET6);
    for s in [udp, tcp] {
        for flags in [0, NA] {
            let r = add_raw(&mut t, h, s, None, 3, flags, Some(0));
            assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
        }
    }
    assert_eq!(t.m.flow_count(), 0);
    // With the destination given, the same unconnected sockets are accepted (a TCP socket may
    // be added before its connect completes), and the later connect keeps the flow.
    t.flow(h, udp, LLTD_PEER, TrafficType::AudioVideo, NA);
    let f = t.flow(h, tcp, LLTD_PEER6, TrafficType::AudioVideo, NA);
    t.run(|m| m.connect(tcp, sa(LLTD_PEER6))).expect("connect");
    assert_eq!(t.m.flow(f).unwrap().destination, LLTD_PEER6.parse().unwrap());
}

#[test]
fn add_5_connected_socket_with_another_destination_is_invalid_parameter() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.connected_udp(LLTD_PEER);
    for other in ["192.168.1.21:5004", "192.168.1.20:5005", PLAIN_PEER] {
        let r = t.add(h, s, other, TrafficType::Voice, NA);
        assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER, "{other}");
    }
    assert_eq!(t.m.flow_count(), 0);
    // Naming the connected peer itself is fine.
    t.flow(h, s, LLTD_PEER, TrafficType::Voice, NA);
}

#[test]
fn add_6_destination_without_port_or_address_is_invalid_parameter() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.udp(AF_INET);
    for d in ["192.168.1.20:0", "0.0.0.0:5004", "0.0.0.0:0"] {
        assert_eq!(
            code(&t.add(h, s, d, TrafficType::Voice, NA)),
            E::ERROR_INVALID_PARAMETER,
            "{d}"
        );
    }
    let s6 = t.udp(AF_INET6);
    assert_eq!(
        code(&t.add(h, s6, "[fd00::20]:0", TrafficType::Voice, NA)),
        E::ERROR_INVALID_PARAMETER
    );
    assert_eq!(t.m.flow_count(), 0);
}

#[test]
fn add_7_connected_socket_with_null_destination_uses_the_peer() {
    let mut t = T::new();
    let h = t.handle();
    // SAMPLE's shape: connected UDP, adaptive.
    let s = t.connected_udp(LLTD_PEER);
    let f = match add_raw(&mut t, h, s, None, TrafficType::ExcellentEffort.raw(), 0, Some(0)) {
        Ok(CallOutput::Flow(f)) => f,
        other => panic!("{other:?}"),
    };
    assert_eq!(t.m.flow(f).unwrap().destination, LLTD_PEER.parse().unwrap());
    assert!(t.m.flow(f).unwrap().adaptive);
    // BERN's shape: connected TCP, non-adaptive.
    let tcp = t.tcp(AF_INET);
    t.run(|m| m.connect(tcp, sa(OFFLINK))).expect("connect");
    let f2 = match add_raw(&mut t, h, tcp, None, TrafficType::Background.raw(), NA, Some(0)) {
        Ok(CallOutput::Flow(f)) => f,
        other => panic!("{other:?}"),
    };
    assert_eq!(t.m.flow(f2).unwrap().destination, OFFLINK.parse().unwrap());
}

#[test]
fn add_8_flow_id_zero_creates_a_new_nonzero_flow() {
    let mut t = T::new();
    let h = t.handle();
    let mut ids = Vec::new();
    for d in [LLTD_PEER, PLAIN_PEER, OFFLINK] {
        let s = t.udp(AF_INET);
        let f = t.flow(h, s, d, TrafficType::Voice, NA);
        assert_ne!(f, 0);
        assert_eq!(t.m.flow(f).unwrap().sockets.as_slice(), &[s]);
        ids.push(f);
    }
    let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), 3);
    assert_eq!(t.m.handle(h).unwrap().flow_ids(), {
        let mut v = ids.clone();
        v.sort();
        v
    });
}

#[test]
fn add_9_joining_a_non_adaptive_flow_keeps_its_id_and_type() {
    let mut t = T::new();
    let (h, s1, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    let s2 = t.udp(AF_INET);
    // The traffic type argument (Background) is ignored when joining.
    let r = add_raw(
        &mut t,
        h,
        s2,
        sa(LLTD_PEER),
        TrafficType::Background.raw(),
        NA,
        Some(f),
    );
    assert_eq!(r, Ok(CallOutput::Flow(f)));
    let flow = t.m.flow(f).unwrap();
    assert_eq!(flow.traffic_type, TrafficType::Voice);
    assert_eq!(flow.sockets.as_slice(), &[s1, s2]);
    assert_eq!(t.m.flow_count(), 1);
    // Even an out-of-range traffic type is ignored on a join.
    let s3 = t.udp(AF_INET);
    assert_eq!(
        add_raw(&mut t, h, s3, sa(LLTD_PEER), 99, NA, Some(f)),
        Ok(CallOutput::Flow(f))
    );
    // Without the flag the join is refused.
    let s4 = t.udp(AF_INET);
    let r = add_raw(&mut t, h, s4, sa(LLTD_PEER), 4, 0, Some(f));
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    assert_eq!(t.m.flow(f).unwrap().sockets.len(), 3);
}

#[test]
fn add_10_adaptive_flow_to_onlink_host_without_lltd_is_not_supported() {
    let mut t = T::new();
    let h = t.handle();
    for d in [PLAIN_PEER, PLAIN_PEER6] {
        let af = if d.starts_with('[') { AF_INET6 } else { AF_INET };
        let s = t.udp(af);
        assert_eq!(
            code(&t.add(h, s, d, TrafficType::AudioVideo, 0)),
            E::ERROR_NOT_SUPPORTED,
            "{d}"
        );
        // The documented fallback works.
        t.flow(h, s, d, TrafficType::AudioVideo, NA);
    }
    // AMB-8: off-link adaptive adds succeed.
    let s = t.udp(AF_INET);
    t.flow(h, s, OFFLINK, TrafficType::AudioVideo, 0);
}

#[test]
fn add_11_adaptive_flow_whose_peer_cannot_be_resolved_gives_67() {
    let mut t = T::world(|w| w.peers.push(peer("192.168.1.50", |p| p.resolution_fails = true)));
    let h = t.handle();
    let s = t.udp(AF_INET);
    assert_eq!(
        code(&t.add(h, s, "192.168.1.50:9", TrafficType::Voice, 0)),
        E::ERROR_BAD_NET_NAME
    );
    assert_eq!(t.m.flow_count(), 0);
    t.flow(h, s, "192.168.1.50:9", TrafficType::Voice, NA);
}

#[test]
fn add_12_adaptive_flow_to_a_peer_refusing_qwave_gives_1225() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.udp(AF_INET);
    assert_eq!(
        code(&t.add(h, s, REFUSING_PEER, TrafficType::Voice, 0)),
        E::ERROR_CONNECTION_REFUSED
    );
    assert_eq!(t.m.flow_count(), 0);
    t.flow(h, s, REFUSING_PEER, TrafficType::Voice, NA);
}

#[test]
fn add_13_unreachable_destination_gives_1232() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.udp(AF_INET);
    for flags in [0, NA] {
        assert_eq!(
            code(&t.add(h, s, UNREACHABLE, TrafficType::Voice, flags)),
            E::ERROR_HOST_UNREACHABLE
        );
    }
    // A reachable peer becomes unreachable when its interface goes down, and back.
    t.inject(Fault::InterfaceDown("Ethernet".into()));
    assert_eq!(
        code(&t.add(h, s, LLTD_PEER, TrafficType::Voice, NA)),
        E::ERROR_HOST_UNREACHABLE
    );
    assert_eq!(t.m.flow_count(), 0);
    t.inject(Fault::InterfaceUp("Ethernet".into()));
    t.flow(h, s, LLTD_PEER, TrafficType::Voice, NA);
}

#[test]
fn add_14_resource_and_device_failures_are_reported() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.udp(AF_INET);
    for c in [
        E::ERROR_NOT_ENOUGH_MEMORY,
        E::ERROR_NO_SYSTEM_RESOURCES,
        E::ERROR_IO_DEVICE,
        E::ERROR_DEVICE_REINITIALIZATION_NEEDED,
        E::ERROR_ADAP_HDW_ERR,
    ] {
        t.inject(Fault::FailCalls {
            func: Some(Func::AddSocketToFlow),
            code: c,
            count: 1,
        });
        assert_eq!(code(&t.add(h, s, LLTD_PEER, TrafficType::Voice, NA)), c);
    }
    // A failing adapter gives 57 by itself.
    t.inject(Fault::AdapterError {
        interface: "Ethernet".into(),
        failing: true,
    });
    assert_eq!(
        code(&t.add(h, s, LLTD_PEER, TrafficType::Voice, NA)),
        E::ERROR_ADAP_HDW_ERR
    );
    assert_eq!(t.m.flow_count(), 0);
    t.inject(Fault::AdapterError {
        interface: "Ethernet".into(),
        failing: false,
    });
    t.flow(h, s, LLTD_PEER, TrafficType::Voice, NA);
}

#[test]
fn add_15_non_adaptive_flow_refuses_fundamentals_and_notifications() {
    let mut t = T::new();
    let (h, _s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    t.warm();
    assert_eq!(code(&t.query(h, f, 0, 0)), E::ERROR_NOT_SUPPORTED);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_NOT_SUPPORTED);
    assert_eq!(code(&t.notify(h, f, 1, 0, Some(2))), E::ERROR_NOT_SUPPORTED);
    assert_eq!(
        code(&t.notify(h, f, 2, 1_000_000, Some(3))),
        E::ERROR_NOT_SUPPORTED
    );
    assert_eq!(t.m.pending_count(), 0);
    // The other queries still work, and the same peer is measurable for an adaptive flow.
    assert_eq!(t.priority(h, f).conformant_dscp, 56);
    let s2 = t.udp(AF_INET);
    let fa = t.flow(h, s2, LLTD_PEER, TrafficType::Voice, 0);
    t.warm();
    assert!(t.query(h, fa, 0, 0).is_ok());
}

#[test]
fn add_16_adding_alone_does_not_prioritise_an_adaptive_flow() {
    let mut t = T::new();
    let (h, _s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(t.priority(h, f), Marking::default());
    t.warm();
    assert_eq!(t.priority(h, f), Marking::default(), "time alone changes nothing");
    assert!(t.set_rate(h, f, 2_000_000).is_ok());
    let m = t.priority(h, f);
    assert_eq!((m.conformant_dscp, m.conformant_l2), (56, 7));
}

#[test]
fn add_17_only_non_adaptive_flows_hold_several_sockets() {
    let mut t = T::new();
    let (h, s1, fa) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    let s2 = t.udp(AF_INET);
    let r = add_raw(&mut t, h, s2, sa(LLTD_PEER), 4, NA, Some(fa));
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    let r = add_raw(&mut t, h, s2, sa(LLTD_PEER), 4, 0, Some(fa));
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    assert_eq!(t.m.flow(fa).unwrap().sockets.as_slice(), &[s1]);
    let fna = t.flow(h, s2, LLTD_PEER, TrafficType::Voice, NA);
    let s3 = t.udp(AF_INET);
    assert_eq!(
        add_raw(&mut t, h, s3, sa(LLTD_PEER), 4, NA, Some(fna)),
        Ok(CallOutput::Flow(fna))
    );
    assert_eq!(t.m.flow(fna).unwrap().sockets.as_slice(), &[s2, s3]);
}

#[test]
fn add_18_policy_decides_the_applied_dscp_and_may_demand_a_rate() {
    // A Group Policy DSCP replaces the table value.
    let mut t = T::world(|w| w.policy.dscp_policy = Some(46));
    let (h, _s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(t.priority(h, f).conformant_dscp, 46);
    // Admission-control policy: no marking until a rate is declared.
    let mut t = T::world(|w| w.policy.rate_required_for_marking = true);
    let (h, _s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(t.priority(h, f), Marking::default());
    assert!(t.set_rate(h, f, 500_000).is_ok());
    assert_eq!(t.priority(h, f).conformant_dscp, 56);
}

#[test]
fn add_19_unknown_traffic_type_or_flag_bits_are_invalid_parameter() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.udp(AF_INET);
    for tt in [6, 7, -1, i32::MAX, i32::MIN] {
        let r = add_raw(&mut t, h, s, sa(LLTD_PEER), tt, NA, Some(0));
        assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER, "traffic type {tt}");
    }
    for flags in [1, 3, 4, 0x8000_0000, u32::MAX] {
        let r = add_raw(&mut t, h, s, sa(LLTD_PEER), 4, flags, Some(0));
        assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER, "flags {flags:#x}");
    }
    assert_eq!(t.m.flow_count(), 0);
    for tt in TrafficType::ALL {
        let s = t.udp(AF_INET);
        let f = t.flow(h, s, LLTD_PEER, tt, NA);
        assert_eq!(t.m.flow(f).unwrap().traffic_type, tt);
    }
}

#[test]
fn add_20_another_handles_or_processes_flow_cannot_be_joined() {
    let mut t = T::world(|w| {
        w.foreign_flows.push(ForeignFlow {
            adaptive: false,
            ..ForeignFlow::default()
        })
    });
    let foreign = t.m.flow_ids()[0];
    let (_h1, _s1, f1) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    let h2 = t.handle();
    let s = t.udp(AF_INET);
    for id in [f1, foreign] {
        let r = add_raw(&mut t, h2, s, sa(LLTD_PEER), 4, NA, Some(id));
        assert_eq!(code(&r), E::ERROR_NOT_FOUND, "flow {id}");
    }
    assert_eq!(t.m.flow(f1).unwrap().sockets.len(), 1);
    assert!(t.m.flow(foreign).unwrap().sockets.is_empty());
}

/// A second adapter on the same LAN: the routing table prefers "Ethernet" (listed first).
fn two_adapters() -> T {
    T::world(|w| {
        w.interfaces.push(Interface {
            name: "Wi-Fi".into(),
            index: 2,
            addresses: vec!["192.168.1.11/24".parse().unwrap()],
            ..Interface::default()
        })
    })
}

#[test]
fn add_13_a_socket_bound_to_an_interface_address_selects_that_interface() {
    let mut t = two_adapters();
    let h = t.handle();
    let free = t.udp(AF_INET);
    let bound = t.udp(AF_INET);
    t.run(|m| m.bind(bound, sa("192.168.1.11:0")))
        .expect("bind to the Wi-Fi address");
    let a = t.flow(h, free, OFFLINK, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    let b = t.flow(h, bound, OFFLINK, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    let c = t.flow(h, bound, LLTD_PEER, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    assert_eq!(t.m.flow(a).unwrap().interface, 1, "the routing table's choice");
    assert_eq!(t.m.flow(b).unwrap().interface, 2, "the bound address's interface");
    assert_eq!(t.m.flow(c).unwrap().interface, 2);
    // Without Ethernet the routing table sends the unbound flow by Wi-Fi, which is on the same
    // link; the bound flows leave by Wi-Fi anyway.
    t.inject(Fault::InterfaceDown("Ethernet".into()));
    t.set_rate(h, a, 1_000_000).expect("rerouted by Wi-Fi");
    t.set_rate(h, b, 1_000_000).expect("leaves by Wi-Fi");
    assert_eq!(t.priority(h, c), marked(56, 0));
    // Losing its own interface cuts a bound flow off, though Ethernet could reach the peer.
    t.inject(Fault::InterfaceUp("Ethernet".into()));
    t.inject(Fault::InterfaceDown("Wi-Fi".into()));
    assert_eq!(code(&t.set_rate(h, b, 1_000_000)), E::ERROR_HOST_UNREACHABLE);
    assert_eq!(code(&t.set_rate(h, c, 1_000_000)), E::ERROR_HOST_UNREACHABLE);
    t.set_rate(h, a, 1_000_000).expect("Ethernet is back");
    let late = t.udp(AF_INET);
    t.run(|m| m.bind(late, sa("192.168.1.11:0"))).expect("bind");
    assert_eq!(
        code(&t.add(h, late, LLTD_PEER, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW)),
        E::ERROR_HOST_UNREACHABLE
    );
}

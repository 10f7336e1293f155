//! STA and STO: QOSStartTrackingClient and QOSStopTrackingClient.
use std::net::IpAddr;

use crate::common::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn tracked(t: &T, h: u64) -> Vec<(Family, IpAddr)> {
    t.m.handle(h).expect("handle").tracked.clone()
}

// ----- STA -----

#[test]
fn sta_1_invalid_handle_is_invalid_handle() {
    let mut t = T::new();
    let h = t.handle();
    for bad in [0, 0xdead_beef, h + 1] {
        assert_eq!(code(&t.start(bad, LLTD_PEER)), E::ERROR_INVALID_HANDLE);
    }
    t.close(h).expect("close");
    assert_eq!(code(&t.start(h, LLTD_PEER)), E::ERROR_INVALID_HANDLE);
    assert!(t.path_of(LLTD_PEER).probing_since.is_none());
}

#[test]
fn sta_2_invalid_dest_addr_is_invalid_parameter() {
    let mut t = T::new();
    let h = t.handle();
    let cases = [
        None,
        Some(SockAddrIn::BadFamily(17)),
        sa("0.0.0.0:0"),
        sa("[::]:5004"),
    ];
    for d in cases {
        let r = t.call(start_tracking_client(h, d, 0));
        assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER, "{d:?}");
    }
    // Reserved flags must be 0 (GEN-10).
    let r = t.call(start_tracking_client(h, sa(LLTD_PEER), 1));
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    assert!(tracked(&t, h).is_empty());
}

#[test]
fn sta_3_a_client_is_family_and_address_the_port_is_ignored() {
    let mut t = T::new();
    let h = t.handle();
    t.start(h, "192.168.1.20:1").expect("port 1");
    t.start(h, "192.168.1.20:0").expect("port 0");
    t.start(h, "192.168.1.20:65535").expect("port 65535");
    assert_eq!(tracked(&t, h), vec![(Family::V4, ip("192.168.1.20"))]);
    t.start(h, LLTD_PEER6).expect("v6 client");
    assert_eq!(tracked(&t, h).len(), 2);
    t.stop(h, "192.168.1.20:4242").expect("any port stops it");
    assert_eq!(tracked(&t, h), vec![(Family::V6, ip("fd00::20"))]);
}

#[test]
fn sta_4_tracking_gathers_path_data_before_any_flow() {
    let mut t = T::new();
    let h = t.handle();
    t.advance_ms(500);
    t.start(h, LLTD_PEER).expect("track");
    assert_eq!(t.path_of(LLTD_PEER).probing_since, Some(VirtualTime(500_000)));
    t.warm();
    // A flow added now finds complete estimates and is admitted on its first QOSSetFlow.
    let s = t.udp(AF_INET);
    let f = t.flow(h, s, LLTD_PEER, TrafficType::AudioVideo, 0);
    assert_eq!(
        t.fundamentals(h, f),
        (Some(100_000_000), Some(80_000_000), Some(2_000))
    );
    t.set_rate(h, f, 5_000_000).expect("admitted at once");
    // An untracked peer has nothing yet: its first flow sees ERROR_NO_DATA.
    let s6 = t.udp(AF_INET6);
    let g = t.flow(h, s6, LLTD_PEER6, TrafficType::AudioVideo, 0);
    assert_eq!(code(&t.query(h, g, 0, 0)), E::ERROR_NO_DATA);
}

#[test]
fn sta_5_tracking_for_an_hour_keeps_measuring_and_holds_no_bandwidth() {
    let mut t = T::new();
    let h = t.handle();
    t.start(h, LLTD_PEER)
        .expect("track as soon as the client appears");
    t.advance_ms(3_600_000);
    assert_eq!(tracked(&t, h).len(), 1, "still tracked after an hour");
    // The measurement is still complete: a flow added now gets full estimates and is admitted
    // on its first rate, up to every bit the path has free. 81.6 Mb/s with the headers of
    // 1400-byte packets is exactly the 80 Mb/s free: tracking holds none of it.
    let s = t.udp(AF_INET);
    let f = t.flow(h, s, LLTD_PEER, TrafficType::AudioVideo, 0);
    assert_eq!(
        t.fundamentals(h, f),
        (Some(100_000_000), Some(80_000_000), Some(2_000))
    );
    assert_eq!(payload(81_600_000), 80_000_000);
    t.set_rate(h, f, 81_600_001).expect_err("one bit too many");
    t.set_rate(h, f, 81_600_000).expect("the whole free capacity");
    // Stopping the tracking changes nothing for the flow either (STO-5).
    t.stop(h, LLTD_PEER).expect("stop");
    assert!(t.m.flow(f).unwrap().admitted);
}

#[test]
fn sta_6_peer_without_lltd_or_off_link_is_not_supported() {
    let mut t = T::new();
    let h = t.handle();
    for d in [
        PLAIN_PEER,
        PLAIN_PEER6,
        OFFLINK,
        OFFLINK6,
        LOOPBACK,
        "192.168.1.99:1",
    ] {
        assert_eq!(code(&t.start(h, d)), E::ERROR_NOT_SUPPORTED, "{d}");
    }
    assert!(tracked(&t, h).is_empty());
    assert!(t.m.paths().iter().all(|p| p.probing_since.is_none()));
}

#[test]
fn sta_7_failed_address_resolution_is_bad_net_name() {
    let mut t = T::world(|w| {
        w.peers.push(Peer {
            address: ip("192.168.1.50"),
            lltd_qos: true,
            resolution_fails: true,
            ..Peer::default()
        })
    });
    let h = t.handle();
    assert_eq!(code(&t.start(h, "192.168.1.50:0")), E::ERROR_BAD_NET_NAME);
    assert!(tracked(&t, h).is_empty());
    t.start(h, LLTD_PEER).expect("resolvable peer");
}

#[test]
fn sta_8_peer_without_a_qwave_sink_or_unreachable_is_host_unreachable() {
    let mut t = T::new();
    let h = t.handle();
    assert_eq!(code(&t.start(h, REFUSING_PEER)), E::ERROR_HOST_UNREACHABLE);
    assert_eq!(code(&t.start(h, UNREACHABLE)), E::ERROR_HOST_UNREACHABLE);
    t.inject(Fault::InterfaceDown("Ethernet".into()));
    assert_eq!(code(&t.start(h, LLTD_PEER)), E::ERROR_HOST_UNREACHABLE);
    assert!(tracked(&t, h).is_empty());
}

#[test]
fn sta_9_adapter_and_resource_failures() {
    let mut t = T::new();
    let h = t.handle();
    for e in RESOURCE_CODES {
        t.fail_next(Func::StartTrackingClient, e, 1);
        assert_eq!(code(&t.start(h, LLTD_PEER)), e);
    }
    t.inject(Fault::AdapterError {
        interface: "Ethernet".into(),
        failing: true,
    });
    assert_eq!(code(&t.start(h, LLTD_PEER)), E::ERROR_ADAP_HDW_ERR);
    assert!(tracked(&t, h).is_empty());
    t.inject(Fault::AdapterError {
        interface: "Ethernet".into(),
        failing: false,
    });
    t.start(h, LLTD_PEER).expect("recovered");
}

#[test]
fn sta_10_tracking_does_not_survive_sleep() {
    let mut t = T::new();
    let h = t.handle();
    t.start(h, LLTD_PEER).expect("track");
    t.inject(Fault::Sleep);
    t.inject(Fault::Resume);
    assert!(tracked(&t, h).is_empty());
    assert!(t.path_of(LLTD_PEER).probing_since.is_none(), "estimates are gone");
    assert_eq!(code(&t.start(h, LLTD_PEER)), E::ERROR_INVALID_HANDLE);
    // CRE-8: the first create after resume may fail.
    let r = t.call(create_handle(Some((1, 0)), true));
    assert_eq!(code(&r), E::ERROR_GEN_FAILURE);
    let h2 = t.handle();
    assert_eq!(
        code(&t.stop(h2, LLTD_PEER)),
        E::ERROR_NOT_FOUND,
        "nothing to stop"
    );
    t.start(h2, LLTD_PEER).expect("restart on the new handle");
    assert_eq!(tracked(&t, h2), vec![(Family::V4, ip("192.168.1.20"))]);
}

#[test]
fn sta_11_tracking_an_already_tracked_client_succeeds() {
    let mut t = T::new();
    let h = t.handle();
    t.start(h, LLTD_PEER).expect("first");
    let since = t.path_of(LLTD_PEER).probing_since;
    t.advance_ms(10_000);
    assert_eq!(t.start(h, LLTD_PEER), Ok(CallOutput::None));
    assert_eq!(tracked(&t, h).len(), 1);
    assert_eq!(
        t.path_of(LLTD_PEER).probing_since,
        since,
        "measurement keeps going"
    );
}

// ----- STO -----

#[test]
fn sto_1_invalid_handle_is_invalid_handle() {
    let mut t = T::new();
    let h = t.handle();
    t.start(h, LLTD_PEER).expect("track");
    for bad in [0, 0xdead_beef, h + 1] {
        assert_eq!(code(&t.stop(bad, LLTD_PEER)), E::ERROR_INVALID_HANDLE);
    }
    assert_eq!(tracked(&t, h).len(), 1);
}

#[test]
fn sto_2_invalid_dest_addr_is_invalid_parameter() {
    let mut t = T::new();
    let h = t.handle();
    t.start(h, LLTD_PEER).expect("track");
    for d in [None, Some(SockAddrIn::BadFamily(0)), sa("0.0.0.0:5004")] {
        let r = t.call(stop_tracking_client(h, d, 0));
        assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER, "{d:?}");
    }
    assert_eq!(tracked(&t, h).len(), 1);
}

#[test]
fn sto_3_identity_is_family_and_address_the_port_is_ignored() {
    let mut t = T::new();
    let h = t.handle();
    t.start(h, "192.168.1.20:5004").expect("track");
    t.stop(h, "192.168.1.20:0").expect("port 0");
    assert!(tracked(&t, h).is_empty());
    // The same host by its other family is a different client.
    t.start(h, LLTD_PEER6).expect("v6");
    assert_eq!(code(&t.stop(h, LLTD_PEER)), E::ERROR_NOT_FOUND);
    assert_eq!(tracked(&t, h).len(), 1);
}

#[test]
fn sto_4_only_tracked_clients_stop_from_any_handle_even_after_close() {
    let mut t = T::world(|w| w.settings.tracking_linger_ms = 5_000);
    let h1 = t.handle();
    let h2 = t.handle();
    assert_eq!(code(&t.stop(h1, LLTD_PEER)), E::ERROR_NOT_FOUND, "never tracked");
    t.start(h1, LLTD_PEER).expect("track");
    t.stop(h2, LLTD_PEER).expect("another handle of the process");
    assert!(tracked(&t, h1).is_empty());
    // Tracking started on a closed handle lingers and can be stopped from another handle.
    t.start(h1, LLTD_PEER).expect("track again");
    t.close(h1).expect("close");
    assert_eq!(t.m.lingering_clients(), vec![(Family::V4, ip("192.168.1.20"))]);
    t.stop(h2, LLTD_PEER).expect("stop lingering");
    assert!(t.m.lingering_clients().is_empty());
    assert_eq!(code(&t.stop(h2, LLTD_PEER)), E::ERROR_NOT_FOUND);
    // Once the linger time is over there is nothing left to stop.
    let h3 = t.handle();
    t.start(h3, LLTD_PEER).expect("track");
    t.close(h3).expect("close");
    t.advance_ms(5_000);
    assert!(t.m.lingering_clients().is_empty());
    assert_eq!(code(&t.stop(h2, LLTD_PEER)), E::ERROR_NOT_FOUND);
}

#[test]
fn sto_4_one_stop_ends_a_client_tracked_on_a_handle_and_lingering_from_a_closed_one() {
    let mut t = T::world(|w| w.settings.tracking_linger_ms = 5_000);
    let h1 = t.handle();
    let h2 = t.handle();
    t.start(h1, LLTD_PEER).expect("track");
    t.close(h1).expect("close");
    t.start(h2, LLTD_PEER).expect("track again on another handle");
    t.stop(h2, LLTD_PEER).expect("stop both");
    assert!(tracked(&t, h2).is_empty());
    assert!(t.m.lingering_clients().is_empty());
}

#[test]
fn sto_4_stopping_one_lingering_client_leaves_the_others_of_its_family() {
    let other: std::net::IpAddr = "192.168.1.50".parse().expect("an address");
    let mut t = T::world(|w| {
        w.settings.tracking_linger_ms = 5_000;
        w.peers.push(qwave_sim::model::world::Peer {
            address: other,
            lltd_qos: true,
            ..Default::default()
        });
    });
    let h1 = t.handle();
    let h2 = t.handle();
    t.start(h1, LLTD_PEER).expect("track");
    t.start(h1, "192.168.1.50:5004")
        .expect("track another IPv4 client");
    t.close(h1).expect("close: both linger");
    assert_eq!(t.m.lingering_clients().len(), 2);
    t.start(h2, LLTD_PEER).expect("track again on another handle");
    t.stop(h2, LLTD_PEER).expect("stop");
    assert_eq!(t.m.lingering_clients(), [(Family::V4, other)]);
}

#[test]
fn sto_5_running_flows_are_not_affected() {
    let mut t = T::new();
    let h = t.handle();
    t.start(h, LLTD_PEER).expect("track");
    t.warm();
    let s = t.udp(AF_INET);
    let f = t.flow(h, s, LLTD_PEER, TrafficType::Voice, 0);
    t.set_rate(h, f, 4_000_000).expect("rate");
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    t.stop(h, LLTD_PEER).expect("stop");
    assert!(t.m.flow(f).is_some());
    assert_eq!(t.priority(h, f), marked(56, 7));
    assert_eq!(t.outgoing_rate(h, f), 4_000_000);
    assert_eq!(t.path_of(LLTD_PEER).admitted_bps, payload(4_000_000));
    assert_eq!(t.fundamentals(h, f).1, Some(80_000_000));
    assert!(t.m.is_pending(h, 1));
}

#[test]
fn sto_6_resource_failures_pass_through_and_keep_tracking() {
    let mut t = T::new();
    let h = t.handle();
    t.start(h, LLTD_PEER).expect("track");
    for e in RESOURCE_CODES {
        t.fail_next(Func::StopTrackingClient, e, 1);
        assert_eq!(code(&t.stop(h, LLTD_PEER)), e);
        assert_eq!(tracked(&t, h).len(), 1);
    }
    t.stop(h, LLTD_PEER).expect("stop");
}

#[test]
fn sto_7_flags_are_ignored() {
    let mut t = T::new();
    let h = t.handle();
    t.start(h, LLTD_PEER).expect("track");
    t.start(h, LLTD_PEER6).expect("track");
    let r = t.call(stop_tracking_client(h, sa(LLTD_PEER), 0xFFFF_FFFF));
    assert_eq!(r, Ok(CallOutput::None));
    let r = t.call(stop_tracking_client(h, sa(LLTD_PEER6), 1));
    assert_eq!(r, Ok(CallOutput::None));
    assert!(tracked(&t, h).is_empty());
}

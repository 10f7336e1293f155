//! Integration tests: the app's public API, run against qwave-sim. The library is built with
//! the `qwave-sim` feature (the dev-dependency on this crate turns it on), each test builds its
//! own `Sim` and enters it on its thread, and `record_on_failure` leaves a replayable scenario
//! if a test fails.

use std::net::UdpSocket;
use std::time::Duration;

use qwave_sim::model::PathRef;
use qwave_sim::{Fault, Sim};
use voice_app::qos::Qos;
use voice_app::session::FlowKeeper;

const PEER: &str = "192.168.1.20:5004";

fn sim(seed: u64) -> Sim {
    Sim::builder().seed(seed).real_sockets(true).build()
}

#[test]
fn a_blocking_congestion_wait_returns_when_the_path_congests() {
    let sim = sim(2);
    let _g = sim.enter();
    let _rec = sim.record_on_failure("voice_app_blocking_wait");
    let socket = UdpSocket::bind("0.0.0.0:0").unwrap();
    let qos = Qos::open().unwrap();
    let flow = qos.add(&socket, Some(PEER.parse().unwrap()), true).unwrap();
    sim.inject_at(
        Duration::from_secs(5),
        Fault::Congestion {
            path: PathRef::Peer("192.168.1.20".parse().unwrap()),
            congested: true,
        },
    );
    qos.wait_congested(&flow).unwrap();
    assert_eq!(
        sim.now(),
        Duration::from_secs(5),
        "virtual time ran to the congestion"
    );
    qos.remove(flow).unwrap();
}

#[test]
fn the_keeper_recovers_from_a_device_reset_and_from_sleep() {
    let sim = sim(3);
    let _g = sim.enter();
    let _rec = sim.record_on_failure("voice_app_keeper");
    let socket = UdpSocket::bind("0.0.0.0:0").unwrap();
    let mut keeper = FlowKeeper::new(PEER.parse().unwrap());
    keeper.tick(&socket);
    assert_eq!(keeper.dscp(), Some(56));
    sim.inject(Fault::DeviceReset);
    assert_eq!(keeper.dscp(), None, "the stale handle answers 1164");
    keeper.tick(&socket); // notices
    keeper.tick(&socket); // sets up again
    assert_eq!(keeper.dscp(), Some(56));
    sim.inject(Fault::Sleep);
    sim.inject(Fault::Resume);
    for _ in 0..3 {
        keeper.tick(&socket); // notices; CRE-8 right after resume; sets up again
    }
    assert_eq!(keeper.dscp(), Some(56));
    drop(keeper);
    assert!(sim.handles().is_empty(), "no handle leaked: {:?}", sim.handles());
}

#[test]
fn a_call_to_a_peer_qwave_cannot_measure_is_marked_without_a_monitor() {
    let sim = sim(4);
    let _g = sim.enter();
    let _rec = sim.record_on_failure("voice_app_unmeasured_call");
    let socket = UdpSocket::bind("0.0.0.0:0").unwrap();
    // 192.168.1.30 has no LLTD responder: the adaptive add gives ERROR_NOT_SUPPORTED (AMB-8),
    // and the app falls back to a non-adaptive flow, with no congestion monitor to run.
    let call =
        voice_app::session::VoiceCall::start(&socket, "192.168.1.30:5004".parse().unwrap(), 64_000).unwrap();
    assert!(!call.adaptive());
    assert_eq!(call.dscp().unwrap(), 56);
    assert_eq!(call.shutdown().unwrap(), 0);
    assert!(sim.handles().is_empty());
}

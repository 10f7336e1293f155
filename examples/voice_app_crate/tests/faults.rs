//! The property: whatever faults qWAVE meets (`qwave_sim::fuzz::fault_plan()`), once they stop
//! and the system heals, the app's own `FlowKeeper` (its windows-shaped code, unchanged) is back
//! to a marked voice flow within a second. Each case runs under `record_on_failure`: when the
//! property fails, proptest shrinks the plan and the last failing case, the shrunk one, is left
//! in `<target dir>/qwave-sim/recordings/voice_app_survives.ron` for `qwave-sim check`.

use std::net::UdpSocket;
use std::time::Duration;

use proptest::prelude::*;
use qwave_sim::fuzz::{fault_plan, FaultPlan};
use qwave_sim::model::PathRef;
use qwave_sim::{Fault, Sim};
use voice_app::session::FlowKeeper;

const PEER: &str = "192.168.1.20:5004";

/// Undoes every lasting fault a plan can leave behind.
fn heal(sim: &Sim) {
    sim.inject(Fault::Resume);
    sim.inject(Fault::Service(Default::default()));
    sim.inject(Fault::InterfaceUp("Ethernet".into()));
    sim.inject(Fault::AdapterError {
        interface: "Ethernet".into(),
        failing: false,
    });
    for p in [
        "198.51.100.0/24",
        "203.0.113.0/24",
        "192.168.1.0/24",
        "fd00::/64",
        "0.0.0.0/0",
    ] {
        sim.inject(Fault::RouteRestored(p.parse().unwrap()));
    }
    sim.inject(Fault::Congestion {
        path: PathRef::OffLink,
        congested: false,
    });
}

/// Injected call failures that outlast the run are out of scope: at most 5 in all.
fn bounded(plan: &FaultPlan) -> bool {
    let injected: u64 = plan
        .faults
        .iter()
        .map(|p| match p.fault {
            Fault::FailCalls { count, .. } => u64::from(count),
            _ => 0,
        })
        .sum();
    injected <= 5
}

fn app_survives(plan: &FaultPlan) {
    let sim = Sim::builder().seed(1).real_sockets(true).build();
    let _g = sim.enter();
    let _rec = sim.record_on_failure("voice_app_survives");
    plan.apply_to_sim(&sim);
    let socket = UdpSocket::bind("0.0.0.0:0").unwrap();
    let mut keeper = FlowKeeper::new(PEER.parse().unwrap());
    // Live through the faults, one tick every 100 ms of virtual time.
    while sim.now() <= Duration::from_micros(plan.end_us()) {
        keeper.tick(&socket);
        sim.check_invariants().unwrap();
        sim.advance(Duration::from_millis(100));
    }
    heal(&sim);
    let mut ticks = 0;
    while keeper.dscp() != Some(56) {
        ticks += 1;
        assert!(
            ticks <= 10,
            "no marked voice flow 10 ticks after healing\nplan:\n{plan}"
        );
        keeper.tick(&socket);
        sim.advance(Duration::from_millis(100));
    }
    drop(keeper);
    assert!(sim.handles().is_empty(), "handles leaked: {:?}", sim.handles());
}

proptest! {
    // A fixed seed keeps `cargo test` deterministic.
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(7),
        ..ProptestConfig::default()
    })]

    #[test]
    fn voice_app_survives_any_fault_plan(plan in fault_plan()) {
        prop_assume!(bounded(&plan));
        app_survives(&plan);
    }
}

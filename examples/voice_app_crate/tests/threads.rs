//! The app's own threads under the simulator: `VoiceCall` starts its congestion monitor with
//! `std::thread::spawn`, unchanged. `sim.enter_process()` makes the sim reach that thread;
//! `sim.enter()` on the test thread makes it a participant, so virtual time stands still while
//! the test acts and the monitor waits. The monitor blocks in a synchronous `QOSNotifyFlow`;
//! once the path's estimate is complete (NOT-5), injected congestion ends the wait with TRUE, and
//! shutdown (closing the handle) ends it with ERROR_OPERATION_ABORTED. A watchdog turns a hang
//! into a failure.

use std::net::UdpSocket;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use qwave_sim::model::PathRef;
use qwave_sim::{Fault, Sim};
use voice_app::session::VoiceCall;

/// Runs `f` on its own thread; fails the test if it takes longer than a minute.
fn within_a_minute<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the test hung (or panicked: see its output)")
}

/// Waits (wall clock, bounded) until `cond` holds: another thread's reaction.
fn eventually(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < Duration::from_secs(30), "never: {what}");
        std::thread::yield_now();
    }
}

fn congestion(on: bool) -> Fault {
    Fault::Congestion {
        path: PathRef::Peer("192.168.1.20".parse().unwrap()),
        congested: on,
    }
}

#[test]
fn the_monitor_thread_follows_congestion_and_ends_when_the_call_shuts_down() {
    let (congestions, now, leaked) = within_a_minute(|| {
        let sim = Sim::builder().seed(6).real_sockets(true).build();
        let _process = sim.enter_process(); // the app's own threads reach the sim
        let _g = sim.enter(); // and this one is a participant: time stands still while it acts
        let _rec = sim.record_on_failure("voice_app_monitor");
        let socket = UdpSocket::bind("0.0.0.0:0").unwrap();
        let call = VoiceCall::start(&socket, "192.168.1.20:5004".parse().unwrap(), 64_000).unwrap();
        assert!(call.adaptive());
        // Notifications report on measured capacity: let the path's 2 s estimate complete
        // (NOT-5); the monitor's wait goes on, nothing is congested yet.
        sim.advance(Duration::from_secs(2));

        sim.wait_until_blocked(1); // the monitor waits for congestion
        sim.inject(congestion(true));
        eventually("the monitor halves the rate", || call.bitrate() == 32_000);
        sim.wait_until_blocked(1); // ... and waits for the congestion to clear
        sim.inject(congestion(false));
        eventually("the monitor restores the rate", || call.bitrate() == 64_000);
        sim.wait_until_blocked(1); // ... and waits for congestion again

        // Shutdown closes the handle: the blocked QOSNotifyFlow ends with 995 and the monitor
        // thread returns.
        let congestions = call.shutdown().unwrap();
        (congestions, sim.now(), sim.handles().len())
    });
    assert_eq!(congestions, 1);
    assert_eq!(
        now,
        Duration::from_secs(2),
        "no virtual time passed but the estimate's: every wait was ended by the test"
    );
    assert_eq!(leaked, 0);
}

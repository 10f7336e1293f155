//! Soak: a server that churns flows for millions of calls, on a sim with default settings,
//! runs in bounded memory (issue 9: the default sim used to keep every event, 125 B each).
//!
//! CI size: 1M windows-shaped calls in release (`cargo test --release --test soak`; 100k in a
//! debug build), after a warm-up that fills the event history. The process may grow by no
//! more than 64 MB per 10M calls, proportionally (6.7 bytes per call), after the warm-up, and
//! by no more than 64 MB in all. `QWAVE_SOAK_CALLS=10000000` runs the full figure reported in
//! BENCHMARKS.md.

#![cfg(target_os = "linux")]

use std::time::Duration;

use qwave_sim::windows::Win32::Foundation::HANDLE;
use qwave_sim::windows::Win32::NetworkManagement::QoS::*;
use qwave_sim::windows::Win32::Networking::WinSock::*;
use qwave_sim::Sim;

/// Resident set size of this process, in bytes (`VmRSS` in /proc/self/status).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS line");
    kb * 1024
}

/// One round of a server's churn: a client arrives (add), its rate is declared (set), its
/// marking checked (query), it leaves (remove). Four calls.
struct Server {
    h: HANDLE,
    s: SOCKET,
    dest: SOCKADDR_IN,
}

impl Server {
    fn new() -> Server {
        let mut h = HANDLE::default();
        let v = QOS_VERSION {
            MajorVersion: 1,
            MinorVersion: 0,
        };
        unsafe { QOSCreateHandle(&v, &mut h) }.unwrap();
        let s = unsafe { socket(AF_INET.0 as i32, SOCK_DGRAM, IPPROTO_UDP.0) }.unwrap();
        let dest: SOCKADDR_IN = "203.0.113.9:5004"
            .parse::<std::net::SocketAddrV4>()
            .unwrap()
            .into();
        Server { h, s, dest }
    }

    fn round(&self) {
        unsafe {
            let mut flow = 0;
            QOSAddSocketToFlow(
                self.h,
                self.s,
                Some(&self.dest as *const SOCKADDR_IN as *const SOCKADDR),
                QOSTrafficTypeAudioVideo,
                Some(QOS_NON_ADAPTIVE_FLOW),
                &mut flow,
            )
            .unwrap();
            let rate = QOS_FLOWRATE_OUTGOING {
                Bandwidth: 1_000_000,
                ShapingBehavior: QOSShapeAndMark,
                Reason: QOSFlowRateNotApplicable,
            };
            QOSSetFlow(
                self.h,
                flow,
                QOSSetOutgoingRate,
                16,
                &rate as *const QOS_FLOWRATE_OUTGOING as *const _,
                None,
                None,
            )
            .unwrap();
            let mut prio = QOS_PACKET_PRIORITY::default();
            let mut size = 16;
            QOSQueryFlow(
                self.h,
                flow,
                QOSQueryPacketPriority,
                &mut size,
                &mut prio as *mut QOS_PACKET_PRIORITY as *mut _,
                None,
                None,
            )
            .unwrap();
            assert_eq!(prio.ConformantDSCPValue, 40, "video, off-link: DSCP only");
            QOSRemoveSocketFromFlow(self.h, None, flow, None).unwrap();
        }
    }
}

#[test]
fn a_default_sim_churning_flows_for_a_million_calls_runs_in_bounded_memory() {
    let calls: u64 = std::env::var("QWAVE_SOAK_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) {
            100_000
        } else {
            1_000_000
        });
    let sim = Sim::builder().seed(3).build();
    let _g = sim.enter();
    let server = Server::new();
    let before = rss();
    // Warm-up: fill the event history (and the allocator's pools) first.
    let warmup_rounds = 2 * qwave_sim::DEFAULT_HISTORY as u64 / 4 + 1;
    for _ in 0..warmup_rounds {
        server.round();
    }
    let warm = rss();
    let rounds = calls / 4;
    for i in 0..rounds {
        server.round();
        if i % 10_000 == 0 {
            sim.advance(Duration::from_millis(10));
        }
    }
    let after = rss();

    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    let growth = after.saturating_sub(warm);
    let bound = 64 * (1 << 20) * (rounds * 4) / 10_000_000;
    eprintln!(
        "soak: {} calls after a warm-up of {} calls: RSS {:.1} MiB -> {:.1} MiB (warm-up) -> {:.1} MiB; \
         growth after warm-up {:.2} MiB (bound {:.2} MiB), in all {:.1} MiB",
        rounds * 4,
        warmup_rounds * 4,
        mib(before),
        mib(warm),
        mib(after),
        mib(growth),
        mib(bound),
        mib(after.saturating_sub(before)),
    );
    sim.check_invariants().unwrap();
    assert!(sim.handles().len() == 1 && sim.flows().is_empty());
    assert_eq!(
        sim.events().len(),
        qwave_sim::DEFAULT_HISTORY,
        "the last events are kept"
    );
    assert!(sim.events_dropped() > 0);

    assert!(
        growth <= bound,
        "{} calls grew RSS by {growth} bytes after the warm-up (bound: 64 MB per 10M calls, {bound})",
        rounds * 4
    );
    assert!(
        after.saturating_sub(before) < 64 << 20,
        "in all: {}",
        after - before
    );
}

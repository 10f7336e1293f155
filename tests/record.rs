//! Record and replay: a test that drives the sim through the windows-shaped API saves what
//! happened as a scenario; `qwave-sim check` passes on it and replays the same trace.

use std::ffi::c_void;
use std::time::Duration;

use qwave_sim::model::{Fault, PathRef};
use qwave_sim::scenario::{self, RunOptions};
use qwave_sim::trace::{self, Format};
use qwave_sim::windows::Win32::Foundation::*;
use qwave_sim::windows::Win32::NetworkManagement::QoS::*;
use qwave_sim::windows::Win32::Networking::WinSock::*;
use qwave_sim::windows::Win32::System::IO::*;
use qwave_sim::Sim;

/// `QOSCreateHandle` for version 1.0, on the entered sim.
unsafe fn create_handle() -> HANDLE {
    let mut h = HANDLE::default();
    let v = QOS_VERSION {
        MajorVersion: 1,
        MinorVersion: 0,
    };
    QOSCreateHandle(&v, &mut h).unwrap();
    h
}

/// A voice flow from `s` to 192.168.1.20:`port` on handle `h`: its flow id.
unsafe fn voice_flow(h: HANDLE, s: SOCKET, port: u16) -> u32 {
    let peer: SOCKADDR_IN = std::net::SocketAddrV4::new([192, 168, 1, 20].into(), port).into();
    let mut flow = 0;
    QOSAddSocketToFlow(
        h,
        s,
        Some(&peer as *const _ as *const SOCKADDR),
        QOSTrafficTypeVoice,
        None,
        &mut flow,
    )
    .unwrap();
    flow
}

/// An app session: flows of both kinds, a refused rate, an overlapped notification that
/// fires on congestion, a cancelled one, bad input, and a device reset mid-way.
fn drive(sim: &Sim) {
    let _g = sim.enter();
    unsafe {
        let h = create_handle();
        let s = socket(AF_INET.0 as i32, SOCK_DGRAM, IPPROTO_UDP.0).unwrap();
        let flow = voice_flow(h, s, 5004);
        let rate = QOS_FLOWRATE_OUTGOING {
            Bandwidth: 2_000_000,
            ShapingBehavior: QOSShapeAndMark,
            Reason: QOSFlowRateNotApplicable,
        };
        let busy = QOSSetFlow(
            h,
            flow,
            QOSSetOutgoingRate,
            16,
            &rate as *const _ as *const c_void,
            None,
            None,
        );
        assert!(!busy.as_bool() && GetLastError() == ERROR_NETWORK_BUSY);
        sim.advance(Duration::from_secs(3));
        QOSSetFlow(
            h,
            flow,
            QOSSetOutgoingRate,
            16,
            &rate as *const _ as *const c_void,
            None,
            None,
        )
        .unwrap();
        let mut congested = OVERLAPPED::default();
        let mut clear = OVERLAPPED::default();
        let r = QOSNotifyFlow(
            h,
            flow,
            QOSNotifyCongested,
            None,
            None,
            None,
            Some(&mut congested),
        );
        assert!(!r.as_bool() && GetLastError() == ERROR_IO_PENDING);
        sim.inject_at(
            Duration::from_millis(3500),
            Fault::Congestion {
                path: PathRef::Peer("192.168.1.20".parse().unwrap()),
                congested: true,
            },
        );
        let mut bytes = 0;
        GetOverlappedResult(h, &congested, &mut bytes, true).unwrap();
        let r = QOSNotifyFlow(h, flow, QOSNotifyCongested, None, None, None, Some(&mut clear));
        assert!(!r.as_bool());
        let _ = QOSCancel(h, &clear);
        let _ = GetOverlappedResult(h, &clear, &mut bytes, true);
        assert!(!QOSCloseHandle(HANDLE(0xdead_beef_usize as *mut c_void)).as_bool());
        let mut size = 0u32;
        assert!(!QOSEnumerateFlows(h, &mut size, std::ptr::null_mut()).as_bool());
        let s2 = socket(AF_INET.0 as i32, SOCK_DGRAM, IPPROTO_UDP.0).unwrap();
        let far: SOCKADDR_IN = "203.0.113.9:6000"
            .parse::<std::net::SocketAddrV4>()
            .unwrap()
            .into();
        let mut flow2 = 0;
        QOSAddSocketToFlow(
            h,
            s2,
            Some(&far as *const _ as *const SOCKADDR),
            QOSTrafficTypeAudioVideo,
            Some(QOS_NON_ADAPTIVE_FLOW),
            &mut flow2,
        )
        .unwrap();
        sim.inject(Fault::DeviceReset);
        let r = QOSRemoveSocketFromFlow(h, None, flow2, None);
        assert!(!r.as_bool() && GetLastError() == ERROR_DEVICE_REINITIALIZATION_NEEDED);
        QOSCloseHandle(h).unwrap();
        let h = create_handle();
        flow2 = 0; // a new flow after the reset: non-zero would mean "join flow2"
        QOSAddSocketToFlow(
            h,
            s2,
            Some(&far as *const _ as *const SOCKADDR),
            QOSTrafficTypeAudioVideo,
            Some(QOS_NON_ADAPTIVE_FLOW),
            &mut flow2,
        )
        .unwrap();
        QOSCloseHandle(h).unwrap();
    }
    sim.advance(Duration::from_millis(10));
    sim.check_invariants().unwrap();
}

#[test]
fn a_surface_driven_run_records_to_a_scenario_that_replays_the_same_trace() {
    let sim = Sim::builder().seed(77).build();
    drive(&sim);
    let recorded = sim.to_scenario("surface session");
    assert_eq!(recorded.seed, 77, "the recording keeps the run's seed");
    assert!(
        recorded.steps.len() > 20,
        "the recording holds the session ({} steps)",
        recorded.steps.len()
    );

    // The file form parses back and replays with every expectation met.
    let text = recorded.to_ron();
    let parsed = scenario::parse("recorded.ron", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let outcome = scenario::run(&parsed.scenario, &RunOptions::default());
    assert!(outcome.passed(), "replay failed: {:?}\n{text}", outcome.failures);

    // Same trace: the original run rendered with the names the recording gave, vs the replay.
    let original = sim.events();
    let names = scenario::record_names(&original);
    assert_eq!(
        trace::render(&original, &names, Format::Text),
        trace::render(&outcome.events, &outcome.names, Format::Text)
    );
}

#[test]
fn a_failing_test_leaves_a_recording_that_the_cli_checks() {
    let dir = std::env::temp_dir().join(format!("qwave-sim-record-{}", std::process::id()));
    let sim = Sim::builder().seed(5).build();
    let path = {
        let rec = sim.record_on_failure("failing test").in_dir(&dir);
        rec.path()
    };
    assert!(!path.exists(), "a passing test writes nothing");

    let worker = {
        let sim = sim.clone();
        let dir = dir.clone();
        std::thread::spawn(move || {
            let _rec = sim.record_on_failure("failing test").in_dir(&dir);
            drive(&sim);
            panic!("the app under test misbehaved");
        })
    };
    assert!(worker.join().is_err(), "the worker failed as planned");
    assert_eq!(path, dir.join("failing_test.ron"));
    assert!(path.exists(), "the failure left {}", path.display());

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qwave-sim"))
        .arg("check")
        .arg(&path)
        .output()
        .expect("run qwave-sim");
    assert!(
        out.status.success(),
        "qwave-sim check on the recording failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A blocking notification that a scheduled congestion ends: events happen while the call
/// blocks, and the call is logged before them.
fn drive_blocking(sim: &Sim) {
    drive(sim);
    let _g = sim.enter();
    unsafe {
        let h = create_handle();
        let s = socket(AF_INET.0 as i32, SOCK_DGRAM, IPPROTO_UDP.0).unwrap();
        let flow = voice_flow(h, s, 5006);
        sim.inject_at(
            sim.now() + Duration::from_secs(2),
            Fault::Congestion {
                path: PathRef::Peer("192.168.1.20".parse().unwrap()),
                congested: false,
            },
        );
        sim.inject_at(
            sim.now() + Duration::from_secs(3),
            Fault::Congestion {
                path: PathRef::Peer("192.168.1.20".parse().unwrap()),
                congested: true,
            },
        );
        QOSNotifyFlow(h, flow, QOSNotifyCongested, None, None, None, None).unwrap();
        QOSCloseHandle(h).unwrap();
    }
}

#[test]
fn a_sim_with_a_history_keeps_exactly_the_last_events_of_the_same_run() {
    let full = Sim::builder().seed(77).history(usize::MAX).build();
    drive_blocking(&full);
    let all = full.events();
    assert_eq!(full.events_dropped(), 0);
    assert!(all.len() > 25, "{}", all.len());
    for n in [1, 2, 3, 5, 8, 13, 21, all.len() - 1, all.len(), all.len() + 10] {
        let sim = Sim::builder().seed(77).history(n).build();
        drive_blocking(&sim);
        let kept = sim.events();
        assert_eq!(kept.len(), n.min(all.len()), "history {n}");
        assert_eq!(
            kept[..],
            all[all.len() - kept.len()..],
            "history {n}: the last events"
        );
        assert_eq!(sim.events_dropped(), (all.len() - kept.len()) as u64);
    }
}

#[test]
fn a_run_longer_than_the_history_is_not_saved_as_a_scenario_and_says_why() {
    let sim = Sim::builder().seed(77).history(10).build();
    drive(&sim);
    let e = sim.try_to_scenario("long").unwrap_err();
    assert_eq!(e.history, 10);
    assert_eq!(e.dropped, sim.events_dropped());
    let msg = e.to_string();
    assert!(msg.contains("keeps the last 10 events"), "{msg}");
    assert!(
        msg.contains("record_on_failure") && msg.contains("history(usize::MAX)"),
        "{msg}"
    );
    let panic = std::panic::catch_unwind(|| sim.to_scenario("long")).unwrap_err();
    assert!(panic
        .downcast_ref::<String>()
        .unwrap()
        .contains("no longer holds the whole run"));

    // A recording made now cannot bring the dropped events back: it writes nothing.
    let dir = std::env::temp_dir().join(format!("qwave-sim-truncated-{}", std::process::id()));
    let path = {
        let sim = sim.clone();
        let dir = dir.clone();
        std::thread::spawn(move || {
            let rec = sim.record_on_failure("truncated").in_dir(&dir);
            let path = rec.path();
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                let _rec = rec;
                panic!("the test failed");
            }))
            .unwrap_err();
            path
        })
        .join()
        .unwrap()
    };
    assert!(!path.exists(), "nothing that would not replay is written");
    assert!(Sim::builder()
        .record(false)
        .build()
        .try_to_scenario("off")
        .unwrap_err()
        .to_string()
        .contains("record(false)"));
}

#[test]
fn record_on_failure_keeps_the_whole_run_past_the_history() {
    let sim = Sim::builder().seed(77).history(10).build();
    let _rec = sim.record_on_failure("whole run");
    drive(&sim);
    assert_eq!(sim.events_dropped(), 0);
    assert!(sim.events().len() > 10);
    let outcome = scenario::run(&sim.to_scenario("whole run"), &RunOptions::default());
    assert!(outcome.passed(), "{:?}", outcome.failures);
}

/// An app that uses real std sockets: an unconnected one with explicit destinations, one
/// connected later (the sim sees the connect), one connected from the start, one IPv6.
#[cfg(unix)]
fn drive_real_sockets(sim: &Sim) -> Vec<std::net::UdpSocket> {
    use std::os::fd::AsRawFd;
    let _g = sim.enter();
    let sock = |u: &std::net::UdpSocket| SOCKET(u.as_raw_fd() as usize);
    let unconnected = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    let later = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let connected = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    connected.connect("127.0.0.1:9").unwrap();
    let v6 = std::net::UdpSocket::bind("[::1]:0").ok();
    unsafe {
        let h = create_handle();
        let peer: SOCKADDR_IN = "192.168.1.20:5004"
            .parse::<std::net::SocketAddrV4>()
            .unwrap()
            .into();
        let mut voice = 0;
        QOSAddSocketToFlow(
            h,
            sock(&unconnected),
            Some(&peer as *const _ as *const SOCKADDR),
            QOSTrafficTypeVoice,
            None,
            &mut voice,
        )
        .unwrap();
        // Not connected yet: no destination at all is refused (AMB-5).
        let mut f = 0;
        assert!(!QOSAddSocketToFlow(
            h,
            sock(&later),
            None,
            QOSTrafficTypeVoice,
            Some(QOS_NON_ADAPTIVE_FLOW),
            &mut f
        )
        .as_bool());
        later.connect("127.0.0.1:7").unwrap();
        QOSAddSocketToFlow(
            h,
            sock(&later),
            None,
            QOSTrafficTypeVoice,
            Some(QOS_NON_ADAPTIVE_FLOW),
            &mut f,
        )
        .unwrap();
        let mut g = 0;
        QOSAddSocketToFlow(
            h,
            sock(&connected),
            None,
            QOSTrafficTypeBestEffort,
            Some(QOS_NON_ADAPTIVE_FLOW),
            &mut g,
        )
        .unwrap();
        if let Some(v6) = &v6 {
            let far: SOCKADDR_IN6 = "[2001:db8::9]:6000"
                .parse::<std::net::SocketAddrV6>()
                .unwrap()
                .into();
            let mut k = 0;
            QOSAddSocketToFlow(
                h,
                sock(v6),
                Some(&far as *const _ as *const SOCKADDR),
                QOSTrafficTypeAudioVideo,
                Some(QOS_NON_ADAPTIVE_FLOW),
                &mut k,
            )
            .unwrap();
        }
        sim.advance(Duration::from_secs(3));
        let rate = QOS_FLOWRATE_OUTGOING {
            Bandwidth: 1_000_000,
            ShapingBehavior: QOSShapeAndMark,
            Reason: QOSFlowRateNotApplicable,
        };
        QOSSetFlow(
            h,
            voice,
            QOSSetOutgoingRate,
            16,
            &rate as *const _ as *const c_void,
            None,
            None,
        )
        .unwrap();
        QOSRemoveSocketFromFlow(h, Some(sock(&connected)), g, None).unwrap();
        assert_eq!(
            closesocket(sock(&connected)),
            0,
            "forgotten by the sim, not closed"
        );
        QOSCloseHandle(h).unwrap();
    }
    sim.check_invariants().unwrap();
    [Some(unconnected), Some(later), Some(connected), v6]
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(unix)]
#[test]
fn a_run_with_real_sockets_records_and_replays_the_same_trace() {
    use std::os::fd::AsRawFd;
    let sim = Sim::builder().seed(12).real_sockets(true).build();
    let sockets = drive_real_sockets(&sim);
    let recorded = sim.to_scenario("real sockets");
    let text = recorded.to_ron();

    // Named by order of first use, with their addresses; no fd number anywhere.
    let names = scenario::record_names(&sim.events());
    let original = trace::render(&sim.events(), &names, Format::Text);
    for (i, u) in sockets.iter().enumerate() {
        let fd = u.as_raw_fd() as u64;
        assert_eq!(
            names.sockets.get(&fd),
            Some(&format!("os-socket-{}", i + 1)),
            "{original}"
        );
    }
    assert!(!text.contains("\"0x"), "a raw value in the recording:\n{text}");
    // The connect the app made on the real socket after its first use is in the trace.
    assert!(
        original.contains("connect(s=os-socket-2, addr=127.0.0.1:7) -> 0"),
        "{original}"
    );
    let local = sockets[0].local_addr().unwrap().port();
    assert!(
        text.contains(&format!("0.0.0.0:{local}")),
        "the bound address is kept:\n{text}"
    );

    // Replays through the library with every expectation met, to the same trace.
    let parsed = scenario::parse("real.ron", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let outcome = scenario::run(&parsed.scenario, &RunOptions::default());
    assert!(outcome.passed(), "replay failed: {:?}\n{text}", outcome.failures);
    assert_eq!(
        original,
        trace::render(&outcome.events, &outcome.names, Format::Text)
    );

    // And through the command line.
    let dir = std::env::temp_dir().join(format!("qwave-sim-real-{}", std::process::id()));
    let path = sim.save_scenario("real sockets", &dir.join("real.ron")).unwrap();
    let bin = env!("CARGO_BIN_EXE_qwave-sim");
    let check = std::process::Command::new(bin)
        .arg("check")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let run = std::process::Command::new(bin)
        .arg("run")
        .arg(&path)
        .output()
        .unwrap();
    let body: String = String::from_utf8_lossy(&run.stdout)
        .lines()
        .skip(1)
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(body, original);
    let _ = std::fs::remove_dir_all(&dir);
}

//! tokio: multi-thread runtime workers and `spawn_blocking` threads reach the process-wide sim,
//! and a blocking call on a blocking thread runs the virtual clock when nothing else holds it.

use std::time::Duration;

use qwave_sim::model::{Fault, PathRef};
use qwave_sim::windows::Win32::Foundation::*;
use qwave_sim::windows::Win32::NetworkManagement::QoS::*;
use qwave_sim::windows::Win32::Networking::WinSock::*;
use qwave_sim::Sim;

use super::{within_a_minute, V1};

/// The app side: a handle and an adaptive voice flow toward the default world's LLTD peer.
fn open_voice_flow() -> (usize, u32) {
    let mut h = HANDLE::default();
    unsafe { QOSCreateHandle(&V1, &mut h) }.unwrap();
    let s = unsafe { socket(AF_INET.0 as i32, SOCK_DGRAM, IPPROTO_UDP.0) }.unwrap();
    let dest: SOCKADDR_IN = "192.168.1.20:5000"
        .parse::<std::net::SocketAddrV4>()
        .unwrap()
        .into();
    let mut flow = 0u32;
    unsafe {
        QOSAddSocketToFlow(
            h,
            s,
            Some(&dest as *const SOCKADDR_IN as *const SOCKADDR),
            QOSTrafficTypeVoice,
            None,
            &mut flow,
        )
    }
    .unwrap();
    (h.0 as usize, flow)
}

/// The app side: block until the path is congested (a synchronous notification).
fn wait_for_congestion(h: usize, flow: u32) -> bool {
    unsafe {
        QOSNotifyFlow(
            HANDLE(h as *mut _),
            flow,
            QOSNotifyCongested,
            None,
            None,
            None,
            None,
        )
    }
    .as_bool()
}

#[test]
fn tokio_multi_thread_workers_reach_the_process_wide_sim() {
    let (flows, handles) = within_a_minute(|| {
        let sim = Sim::new();
        let _g = sim.enter_process();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(3)
            .build()
            .unwrap();
        let flows = rt.block_on(async {
            let tasks: Vec<_> = (0..8)
                .map(|_| tokio::spawn(async { open_voice_flow().1 }))
                .collect();
            let mut ids = Vec::new();
            for t in tasks {
                ids.push(t.await.unwrap());
            }
            ids
        });
        (flows, sim.handles().len())
    });
    assert_eq!(handles, 8);
    let mut ids = flows;
    ids.sort_unstable();
    assert_eq!(ids, (1..=8).collect::<Vec<u32>>());
}

#[test]
fn spawn_blocking_reaches_the_process_wide_sim_and_its_wait_runs_the_clock() {
    let (congested, now) = within_a_minute(|| {
        let sim = Sim::new();
        let _g = sim.enter_process();
        sim.inject_at(
            Duration::from_secs(4),
            Fault::Congestion {
                path: PathRef::Peer("192.168.1.20".parse().unwrap()),
                congested: true,
            },
        );
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let congested = rt.block_on(async {
            let (h, flow) = tokio::spawn(async { open_voice_flow() }).await.unwrap();
            tokio::task::spawn_blocking(move || wait_for_congestion(h, flow))
                .await
                .unwrap()
        });
        (congested, sim.now())
    });
    assert!(congested, "the notification fired");
    assert_eq!(
        now,
        Duration::from_secs(4),
        "the blocking thread ran the clock to the congestion"
    );
}

/// The `#[tokio::test]` form (README, "Threads and tokio"): the test enters the sim
/// process-wide, the app code runs on workers and blocking threads. Shutdown: the test
/// thread holds time still with `sim.enter()` and closes the handle; the blocked call ends
/// with ERROR_OPERATION_ABORTED (CLO-5, NOT-14).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_test_multi_thread_app_shuts_down_a_blocking_notify_with_a_close() {
    let work = async {
        let sim = Sim::new();
        let _process = sim.enter_process();
        let (h, flow) = tokio::spawn(async { open_voice_flow() }).await.unwrap();
        let hold = sim.enter(); // time stands still while this thread acts
        let waiter = tokio::task::spawn_blocking(move || {
            let ok = wait_for_congestion(h, flow);
            (ok, unsafe { GetLastError() })
        });
        sim.wait_until_blocked(1);
        unsafe { QOSCloseHandle(HANDLE(h as *mut _)) }.unwrap();
        drop(hold);
        let r = waiter.await.unwrap();
        (r, sim.now())
    };
    let (r, now) = tokio::time::timeout(Duration::from_secs(60), work)
        .await
        .expect("watchdog: the test did not finish within 60 s");
    assert_eq!(r, (false, ERROR_OPERATION_ABORTED));
    assert_eq!(now, Duration::ZERO);
}

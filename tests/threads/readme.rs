//! The README's `#[tokio::test(flavor = "multi_thread")]` snippet ("Threads and tokio"). rustdoc
//! builds snippets as programs and leaves `#[test]` functions out, so this file holds the same
//! function, runs it under a watchdog, and checks that the README shows it verbatim.

use std::time::Duration;

use qwave_sim::model::{Fault, PathRef};
use qwave_sim::windows::Win32::Foundation::HANDLE;
use qwave_sim::windows::Win32::NetworkManagement::QoS::*;
use qwave_sim::windows::Win32::Networking::WinSock::{
    socket, AF_INET, IPPROTO_UDP, SOCKADDR, SOCKADDR_IN, SOCK_DGRAM,
};
use qwave_sim::Sim;

use super::{within_a_minute, V1};

fn open_voice_flow() -> (usize, u32) {
    unsafe {
        let mut qos = HANDLE::default();
        QOSCreateHandle(&V1, &mut qos).unwrap();
        let s = socket(AF_INET.0 as i32, SOCK_DGRAM, IPPROTO_UDP.0).unwrap();
        let dest = SOCKADDR_IN::from("192.168.1.20:5004".parse::<std::net::SocketAddrV4>().unwrap());
        let mut flow = 0;
        QOSAddSocketToFlow(
            qos,
            s,
            Some(&dest as *const _ as *const SOCKADDR),
            QOSTrafficTypeVoice,
            None,
            &mut flow,
        )
        .unwrap();
        (qos.0 as usize, flow)
    }
}

#[rustfmt::skip] // as the README shows it
// README snippet: from here
async fn notify_on_a_blocking_thread_sees_the_congestion() {
    let sim = Sim::new();
    let _process = sim.enter_process();
    let path = PathRef::Peer("192.168.1.20".parse().unwrap());
    sim.inject_at(Duration::from_secs(4), Fault::Congestion { path, congested: true });
    let (qos, flow) = tokio::spawn(async { open_voice_flow() }).await.unwrap(); // on a worker
    let congested = tokio::task::spawn_blocking(move || unsafe {
        QOSNotifyFlow(HANDLE(qos as _), flow, QOSNotifyCongested, None, None, None, None).as_bool()
    })
    .await
    .unwrap();
    assert!(congested);
    assert_eq!(sim.now(), Duration::from_secs(4));
}
// README snippet: to here

#[test]
fn readme_tokio_test_snippet_runs_on_a_multi_thread_runtime() {
    within_a_minute(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(notify_on_a_blocking_thread_sees_the_congestion());
    });
}

#[test]
fn readme_shows_the_tokio_test_snippet_verbatim() {
    let me = include_str!("readme.rs");
    let start = me.find("// README snippet: from here\n").unwrap() + 29;
    let end = me.find("// README snippet: to here").unwrap();
    let snippet = &me[start..end];
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let shown = format!("#[tokio::test(flavor = \"multi_thread\")]\n{snippet}");
    assert!(
        readme.contains(&shown),
        "README \"Threads and tokio\" must show exactly:\n{shown}"
    );
}

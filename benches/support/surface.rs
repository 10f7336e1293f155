//! Set-up shared by the windows-surface benchmarks (`benches/surface.rs`) and their callgrind
//! twin (`examples/probe.rs`), so both measure the same loops.

use std::hint::black_box;

use qwave_sim::windows::Win32::Foundation::HANDLE;
use qwave_sim::windows::Win32::NetworkManagement::QoS::*;
use qwave_sim::windows::Win32::Networking::WinSock::*;
use qwave_sim::Sim;

/// A sim with one QoS handle and one UDP socket. `record`: `Some(on)` sets recording on or off,
/// `None` keeps the default settings (the bounded history).
pub fn sim(record: Option<bool>) -> (Sim, HANDLE, SOCKET) {
    let b = Sim::builder().seed(1).world(super::world(10, None, 65_536));
    let b = match record {
        Some(r) => b.record(r),
        None => b,
    };
    let sim = b.build();
    let (h, s) = {
        let _g = sim.enter();
        let mut h = HANDLE::default();
        let v = QOS_VERSION {
            MajorVersion: 1,
            MinorVersion: 0,
        };
        // SAFETY: valid pointers to locals.
        assert!(unsafe { QOSCreateHandle(&v, &mut h) }.as_bool());
        let mut wsa = WSADATA::default();
        // SAFETY: valid pointer to a local.
        assert_eq!(unsafe { WSAStartup(0x0202, &mut wsa) }, 0);
        // SAFETY: plain values.
        let s = unsafe { socket(AF_INET.0 as i32, SOCK_DGRAM, IPPROTO_UDP.0) }.expect("socket");
        (h, s)
    };
    (sim, h, s)
}

/// The peer every surface benchmark's flow goes to: 192.168.1.101:5000.
pub fn dest() -> SOCKADDR_IN {
    let mut a = SOCKADDR_IN {
        sin_family: AF_INET,
        sin_port: 5000u16.to_be(),
        ..Default::default()
    };
    a.sin_addr.S_un.S_addr = u32::from_ne_bytes([192, 168, 1, 101]);
    a
}

/// `QOSAddSocketToFlow(h, s, d, QOSTrafficTypeAudioVideo)`: the new flow's id, `None` on failure.
pub fn add(h: HANDLE, s: SOCKET, d: &SOCKADDR_IN) -> Option<u32> {
    let mut id = 0u32;
    // SAFETY: `d` is a SOCKADDR_IN, `id` a local.
    let ok = unsafe {
        QOSAddSocketToFlow(
            h,
            s,
            Some((d as *const SOCKADDR_IN).cast()),
            QOSTrafficTypeAudioVideo,
            None,
            &mut id,
        )
    };
    ok.as_bool().then_some(id)
}

/// One measured add+remove: a new flow from `s` to `d`, removed at once.
#[inline]
pub fn add_remove(h: HANDLE, s: SOCKET, d: &SOCKADDR_IN) {
    if let Some(id) = add(h, s, d) {
        // SAFETY: plain values.
        black_box(unsafe { QOSRemoveSocketFromFlow(h, Some(s), id, None) }.as_bool());
    }
}

/// One measured `QOSQueryFlow(QOSQueryPacketPriority)` of flow `id`.
#[inline]
pub fn query_priority(h: HANDLE, id: u32) {
    let mut p = QOS_PACKET_PRIORITY::default();
    let mut size = std::mem::size_of::<QOS_PACKET_PRIORITY>() as u32;
    // SAFETY: `size` and `p` are locals of the right size.
    let ok = unsafe {
        QOSQueryFlow(
            h,
            black_box(id),
            QOSQueryPacketPriority,
            &mut size,
            (&mut p as *mut QOS_PACKET_PRIORITY).cast(),
            None,
            None,
        )
    };
    black_box((ok.as_bool(), p.ConformantDSCPValue));
}

//! Per-call cost through the windows-shaped surface (`qwave_sim::windows::...`): thread-local
//! lookup of the current sim, lock, pointer decoding, the model call, the write-back, and the
//! last error. Each next to its floor, measured in the same group: a plain
//! `std::collections::HashMap` insert / lookup / remove of a small struct.
//!
//! Targets: add+remove ≤ 3x the floor, query ≤ 2x.
//!
//! Also: the cost of the default event history. The same calls on a sim built with default
//! settings (events kept, the last `DEFAULT_HISTORY`) against one built with `record(false)`,
//! the cheapest configuration, in the same run. Target: ≤ 1.2x. And the default settings against
//! the floor, in the same group (issue 13: add+remove ≤ 3x, query ≤ 2x).

mod support;

use std::hint::black_box;

use criterion::Criterion;
use qwave_sim::windows::Win32::Foundation::HANDLE;
use qwave_sim::windows::Win32::NetworkManagement::QoS::*;
use qwave_sim::windows::Win32::Networking::WinSock::*;
use qwave_sim::Sim;
use support::{Ratio, RunMode};

/// A sim (recording off) with one QoS handle and one UDP socket.
fn setup() -> (Sim, HANDLE, SOCKET) {
    setup_with(false)
}

/// A sim with one QoS handle and one UDP socket: recording off, or default settings.
fn setup_with(default_recording: bool) -> (Sim, HANDLE, SOCKET) {
    let builder = Sim::builder().world(support::world(10, None, 65_536));
    let sim = if default_recording {
        builder.build()
    } else {
        builder.record(false).build()
    };
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

fn dest() -> SOCKADDR_IN {
    let mut a = SOCKADDR_IN {
        sin_family: AF_INET,
        sin_port: 5000u16.to_be(),
        ..Default::default()
    };
    a.sin_addr.S_un.S_addr = u32::from_ne_bytes([192, 168, 1, 101]);
    a
}

fn add(h: HANDLE, s: SOCKET, d: &SOCKADDR_IN) -> Option<u32> {
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

fn per_call(c: &mut Criterion) {
    let mut g = c.benchmark_group("surface_create_close");
    g.bench_function("surface", |b| {
        b.iter_custom(|iters| {
            support::batched(
                iters,
                200_000,
                || {
                    let (sim, _, _) = setup();
                    sim
                },
                |sim| {
                    let _g = sim.enter();
                    let v = QOS_VERSION {
                        MajorVersion: 1,
                        MinorVersion: 0,
                    };
                    let mut h = HANDLE::default();
                    // SAFETY: valid pointers to locals.
                    if unsafe { QOSCreateHandle(&v, &mut h) }.as_bool() {
                        // SAFETY: a handle we own.
                        black_box(unsafe { QOSCloseHandle(h) }.as_bool());
                    }
                },
            )
        })
    });
    support::floor::create_close(&mut g);
    g.finish();

    let (sim, h, s) = setup();
    let _g = sim.enter();
    let d = dest();
    let mut g = c.benchmark_group("surface_add_remove");
    g.bench_function("surface", |b| {
        b.iter(|| {
            if let Some(id) = add(h, s, &d) {
                // SAFETY: plain values.
                black_box(unsafe { QOSRemoveSocketFromFlow(h, Some(s), id, None) }.as_bool());
            }
        })
    });
    support::floor::add_remove(&mut g);
    g.finish();

    let id = add(h, s, &d).expect("flow");
    let mut g = c.benchmark_group("surface_query");
    g.bench_function("surface", |b| {
        b.iter(|| {
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
            black_box((ok, p.ConformantDSCPValue))
        })
    });
    support::floor::query(&mut g);
    g.finish();

    let mut g = c.benchmark_group("surface_set");
    g.bench_function("surface", |b| {
        let tt = QOSTrafficTypeVoice;
        b.iter(|| {
            // SAFETY: `tt` is a 4-byte QOS_TRAFFIC_TYPE.
            black_box(unsafe {
                QOSSetFlow(
                    h,
                    black_box(id),
                    QOSSetTrafficType,
                    4,
                    (&tt as *const QOS_TRAFFIC_TYPE).cast(),
                    None,
                    None,
                )
            })
        })
    });
    support::floor::set(&mut g);
    g.finish();
}

/// Default settings (the event history) against recording off, same calls, same run.
fn recording(c: &mut Criterion) {
    let d = dest();
    let mut g = c.benchmark_group("surface_history_add_remove");
    for (name, default_recording) in [("record_off", false), ("default", true)] {
        let (sim, h, s) = setup_with(default_recording);
        let _g = sim.enter();
        g.bench_function(name, |b| {
            b.iter(|| {
                if let Some(id) = add(h, s, &d) {
                    // SAFETY: plain values.
                    black_box(unsafe { QOSRemoveSocketFromFlow(h, Some(s), id, None) }.as_bool());
                }
            })
        });
    }
    support::floor::add_remove(&mut g);
    g.finish();

    let mut g = c.benchmark_group("surface_history_query");
    for (name, default_recording) in [("record_off", false), ("default", true)] {
        let (sim, h, s) = setup_with(default_recording);
        let _g = sim.enter();
        let id = add(h, s, &d).expect("flow");
        g.bench_function(name, |b| {
            b.iter(|| {
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
                black_box((ok, p.ConformantDSCPValue))
            })
        });
    }
    support::floor::query(&mut g);
    g.finish();
}

fn main() {
    let mode = RunMode::detect();
    let mut c = mode.criterion();
    per_call(&mut c);
    recording(&mut c);
    c.final_summary();
    support::print_ratios(
        "per call through the windows surface (recording off)",
        mode,
        &[
            Ratio {
                label: "QOSAddSocketToFlow+QOSRemoveSocketFromFlow",
                num: ("surface_add_remove", "surface"),
                den: ("surface_add_remove", "floor"),
                target: Some(3.0),
            },
            Ratio {
                label: "QOSQueryFlow(QOSQueryPacketPriority)",
                num: ("surface_query", "surface"),
                den: ("surface_query", "floor"),
                target: Some(2.0),
            },
            Ratio {
                label: "QOSSetFlow(QOSSetTrafficType)",
                num: ("surface_set", "surface"),
                den: ("surface_set", "floor"),
                target: None,
            },
            Ratio {
                label: "QOSCreateHandle+QOSCloseHandle",
                num: ("surface_create_close", "surface"),
                den: ("surface_create_close", "floor"),
                target: None,
            },
        ],
    );
    support::print_ratios(
        "default settings (last 16,384 events kept) vs recording off, through the windows surface",
        mode,
        &[
            Ratio {
                label: "QOSAddSocketToFlow+QOSRemoveSocketFromFlow",
                num: ("surface_history_add_remove", "default"),
                den: ("surface_history_add_remove", "record_off"),
                target: Some(1.2),
            },
            Ratio {
                label: "QOSQueryFlow(QOSQueryPacketPriority)",
                num: ("surface_history_query", "default"),
                den: ("surface_history_query", "record_off"),
                target: Some(1.2),
            },
        ],
    );
    support::print_ratios(
        "default settings vs the floor, through the windows surface (same groups)",
        mode,
        &[
            Ratio {
                label: "QOSAddSocketToFlow+QOSRemoveSocketFromFlow",
                num: ("surface_history_add_remove", "default"),
                den: ("surface_history_add_remove", "floor"),
                target: Some(3.0),
            },
            Ratio {
                label: "QOSQueryFlow(QOSQueryPacketPriority)",
                num: ("surface_history_query", "default"),
                den: ("surface_history_query", "floor"),
                target: Some(2.0),
            },
        ],
    );
}

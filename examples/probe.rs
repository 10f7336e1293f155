//! The benchmarks' measured loops without criterion, for instruction counts under callgrind
//! (robust to machine load, unlike wall time). Each case runs its loop `N` times inside
//! `measured`, so collecting only there counts exactly the loop:
//!
//! ```text
//! cargo build --release --example probe
//! valgrind --tool=callgrind --toggle-collect='*probe::measured*' \
//!     target/release/examples/probe surface_add_remove 100000
//! ```
//!
//! Instructions per iteration = callgrind's total / N. `probe list` prints the cases. Each case
//! matches a criterion bench of the same name (`benches/`), floors included.

#[path = "../benches/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::hint::black_box;

use qwave_sim::model::{CallOutput, Model};
use qwave_sim::scenario::{self, RunOptions};
use qwave_sim::windows::Win32::Foundation::HANDLE;
use qwave_sim::windows::Win32::NetworkManagement::QoS::*;
use qwave_sim::windows::Win32::Networking::WinSock::*;
use qwave_sim::Sim;
use support::calls;

/// Runs `f` `n` times; the only function callgrind collects in.
#[inline(never)]
fn measured(n: u64, f: &mut dyn FnMut()) {
    for _ in 0..n {
        f();
    }
}

fn model(record: bool) -> (Model, u64, u64) {
    let mut m = Model::new(support::world(10, None, 65_536), 1);
    m.set_recording(record);
    let h = support::handle(&mut m);
    let s = support::udp(&mut m);
    (m, h, s)
}

fn model_add_remove(n: u64, record: bool) {
    let (mut m, h, s) = model(record);
    measured(n, &mut || {
        let r = m.apply(calls::add(h, s, support::peer(0), true));
        if let Ok(CallOutput::Flow(id)) = black_box(r) {
            black_box(m.apply(calls::remove(h, s, id))).ok();
        }
    });
}

fn model_query(n: u64) {
    let (mut m, h, s) = model(false);
    let id = support::add(&mut m, h, s, 0, true);
    measured(n, &mut || {
        black_box(m.apply(calls::query_priority(h, black_box(id)))).ok();
    });
}

fn model_set(n: u64) {
    let (mut m, h, s) = model(false);
    let id = support::add(&mut m, h, s, 0, true);
    let buf = 4i32.to_le_bytes();
    measured(n, &mut || {
        black_box(m.apply(calls::set_traffic_type(h, black_box(id), &buf))).ok();
    });
}

/// A sim with one QoS handle and one UDP socket; `None` = the default settings.
fn sim(record: Option<bool>) -> (Sim, HANDLE, SOCKET) {
    let b = Sim::builder().seed(1).world(support::world(10, None, 65_536));
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

fn dest() -> SOCKADDR_IN {
    let mut a = SOCKADDR_IN {
        sin_family: AF_INET,
        sin_port: 5000u16.to_be(),
        ..Default::default()
    };
    a.sin_addr.S_un.S_addr = u32::from_ne_bytes([192, 168, 1, 101]);
    a
}

fn surface_add(h: HANDLE, s: SOCKET, d: &SOCKADDR_IN) -> Option<u32> {
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

fn surface_add_remove(n: u64, record: Option<bool>) {
    let (sim, h, s) = sim(record);
    let _g = sim.enter();
    let d = dest();
    measured(n, &mut || {
        if let Some(id) = surface_add(h, s, &d) {
            // SAFETY: plain values.
            black_box(unsafe { QOSRemoveSocketFromFlow(h, Some(s), id, None) }.as_bool());
        }
    });
}

fn surface_query(n: u64, record: Option<bool>) {
    let (sim, h, s) = sim(record);
    let _g = sim.enter();
    let id = surface_add(h, s, &dest()).expect("flow");
    measured(n, &mut || {
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
    });
}

#[derive(Clone, Copy)]
struct Small {
    socket: u64,
    handle: u64,
    traffic_type: i32,
    rate: u64,
}

fn floor_add_remove(n: u64) {
    let mut m: HashMap<u32, Small> = HashMap::new();
    let mut k = 0u32;
    measured(n, &mut || {
        k += 1;
        m.insert(
            k,
            Small {
                socket: black_box(7),
                handle: 1,
                traffic_type: 3,
                rate: 0,
            },
        );
        black_box(m.remove(&black_box(k)));
    });
}

fn floor_query(n: u64) {
    let m = HashMap::from([(
        1u32,
        Small {
            socket: 7,
            handle: 1,
            traffic_type: 3,
            rate: 0,
        },
    )]);
    measured(n, &mut || {
        let s = m.get(&black_box(1)).copied();
        black_box(s.map(|s| (s.socket, s.handle, s.traffic_type, s.rate)));
    });
}

fn replay(n: u64, at_end: bool) {
    let s = support::replay_scenario(support::replay_rounds(20));
    let opts = RunOptions {
        invariants_at_end_only: at_end,
        ..RunOptions::default()
    };
    println!("{} steps per run", s.steps.len());
    measured(n, &mut || {
        black_box(scenario::run(&s, &opts));
    });
}

fn parse(n: u64, plain: bool) {
    let s = support::replay_scenario(support::replay_rounds(20));
    let text = s.to_ron();
    println!("{} bytes per parse", text.len());
    measured(n, &mut || {
        if plain {
            black_box(
                scenario::load::options()
                    .from_str::<scenario::Scenario>(&text)
                    .expect("parses"),
            );
        } else {
            black_box(scenario::parse("generated.ron", &text).expect("parses"));
        }
    });
}

const CASES: &[&str] = &[
    "model_add_remove",
    "model_add_remove_recording",
    "model_query",
    "model_set",
    "surface_add_remove",
    "surface_add_remove_default",
    "surface_query",
    "surface_query_default",
    "floor_add_remove",
    "floor_query",
    "replay",
    "replay_at_end",
    "parse",
    "parse_plain_ron",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case = args.get(1).map(String::as_str).unwrap_or("list");
    let n: u64 = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(100_000);
    match case {
        "model_add_remove" => model_add_remove(n, false),
        "model_add_remove_recording" => model_add_remove(n, true),
        "model_query" => model_query(n),
        "model_set" => model_set(n),
        "surface_add_remove" => surface_add_remove(n, Some(false)),
        "surface_add_remove_default" => surface_add_remove(n, None),
        "surface_query" => surface_query(n, Some(false)),
        "surface_query_default" => surface_query(n, None),
        "floor_add_remove" => floor_add_remove(n),
        "floor_query" => floor_query(n),
        "replay" => replay(n, false),
        "replay_at_end" => replay(n, true),
        "parse" => parse(n, false),
        "parse_plain_ron" => parse(n, true),
        _ => {
            println!("usage: probe CASE [N]; cases:");
            for c in CASES {
                println!("  {c}");
            }
        }
    }
}

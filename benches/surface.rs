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
use support::surface::{add, add_remove, dest, query_priority, sim};
use support::{Ratio, RunMode};

fn per_call(c: &mut Criterion) {
    let mut g = c.benchmark_group("surface_create_close");
    g.bench_function("surface", |b| {
        b.iter_custom(|iters| {
            support::batched(
                iters,
                200_000,
                || {
                    let (sim, _, _) = sim(Some(false));
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

    let (sim, h, s) = sim(Some(false));
    let _g = sim.enter();
    let d = dest();
    let mut g = c.benchmark_group("surface_add_remove");
    g.bench_function("surface", |b| {
        b.iter(|| {
            add_remove(h, s, &d);
        })
    });
    support::floor::add_remove(&mut g);
    g.finish();

    let id = add(h, s, &d).expect("flow");
    let mut g = c.benchmark_group("surface_query");
    g.bench_function("surface", |b| {
        b.iter(|| {
            query_priority(h, id);
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
        let (sim, h, s) = sim(if default_recording { None } else { Some(false) });
        let _g = sim.enter();
        g.bench_function(name, |b| {
            b.iter(|| {
                add_remove(h, s, &d);
            })
        });
    }
    support::floor::add_remove(&mut g);
    g.finish();

    let mut g = c.benchmark_group("surface_history_query");
    for (name, default_recording) in [("record_off", false), ("default", true)] {
        let (sim, h, s) = sim(if default_recording { None } else { Some(false) });
        let _g = sim.enter();
        let id = add(h, s, &d).expect("flow");
        g.bench_function(name, |b| {
            b.iter(|| {
                query_priority(h, id);
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

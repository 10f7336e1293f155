//! Long virtual timelines: 24 h with 1,000 adaptive flows over 10 paths that flip between
//! congested and uncongested every 10 s, every flow re-arming its notification on each
//! completion (about 8.6M completions); and an idle hour against an idle second with the same
//! events (the scheduler jumps from event to event, so elapsed virtual time costs nothing).
//!
//! Targets: 24 h in under 2 s of wall time; idle hour O(events): within noise of the idle second.
//! Before measuring, the binary checks that recording on and off leave the same final state and
//! the same completions (determinism has no performance escape hatch).

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use qwave_sim::model::{Completion, Fault, Model, PathRef, VirtualTime, Win32Error};
use support::{calls, Ratio, RunMode};

const PATHS: u32 = 10;
const FLOWS_PER_PATH: u32 = 100;
const PERIOD_MS: u64 = 10_000;
const DAY_US: u64 = 24 * 3_600 * 1_000_000;

/// QOSNotifyCongested / QOSNotifyUncongested.
const NOTIFY_CONGESTED: i32 = 0;
const NOTIFY_UNCONGESTED: i32 = 1;

/// The day's model: one handle (as an app has), 1,000 adaptive flows, each armed for the change
/// its path has not made yet, with the flow id as its OVERLAPPED key.
fn armed(record: bool) -> (Model, u64) {
    let mut m = Model::new(support::world(PATHS, Some(PERIOD_MS), 65_536), 42);
    m.set_recording(record);
    let h = support::handle(&mut m);
    for p in 0..PATHS {
        for _ in 0..FLOWS_PER_PATH {
            let s = support::udp(&mut m);
            let id = support::add(&mut m, h, s, p, true);
            arm(&mut m, h, id, NOTIFY_CONGESTED);
        }
    }
    (m, h)
}

fn arm(m: &mut Model, h: u64, flow: u32, op: i32) {
    let r = m.apply(calls::notify(h, flow, op, u64::from(flow)));
    assert_eq!(
        r.map_err(|e| e.code),
        Err(Win32Error::ERROR_IO_PENDING),
        "QOSNotifyFlow on flow {flow}"
    );
}

/// Runs the model to `end`, event by event, re-arming every completed notification for the
/// opposite change. Returns the number of completions; `seen` gets every completion if given.
fn run_day(m: &mut Model, h: u64, end: VirtualTime, mut seen: Option<&mut Vec<Completion>>) -> u64 {
    // Every flow starts armed for congestion (`armed`); a notification completes when its path
    // makes that change, so the path now waits for the opposite one.
    let mut waits_for = vec![NOTIFY_CONGESTED; (PATHS * FLOWS_PER_PATH + 1) as usize];
    let mut done = 0u64;
    while let Some(t) = m.next_event_time().filter(|t| *t <= end) {
        m.advance_to(t);
        for c in m.take_completions() {
            debug_assert_eq!(c.status, Win32Error::ERROR_SUCCESS);
            done += 1;
            let op = &mut waits_for[c.flow as usize];
            *op = if *op == NOTIFY_CONGESTED {
                NOTIFY_UNCONGESTED
            } else {
                NOTIFY_CONGESTED
            };
            arm(m, h, c.flow, *op);
            if let Some(v) = seen.as_deref_mut() {
                v.push(c);
            }
        }
    }
    m.advance_to(end);
    done
}

/// The model's state as `Debug` shows it, without the event log and its bookkeeping (how many
/// events were recorded and dropped differs by design).
fn without_log(m: &Model) -> String {
    let s = format!("{m:?}");
    match (s.find(", history: "), s.find(", outbox: ")) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &s[..a], &s[b..]),
        _ => panic!("Model's Debug output changed shape: update without_log"),
    }
}

/// Recording on and off must leave the same model behind and deliver the same completions.
fn check_recording_is_transparent(span_us: u64) {
    let (mut on, h) = armed(true);
    let (mut off, h2) = armed(false);
    assert_eq!(h, h2);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let n_on = run_day(&mut on, h, VirtualTime(span_us), Some(&mut a));
    let n_off = run_day(&mut off, h, VirtualTime(span_us), Some(&mut b));
    assert_eq!(n_on, n_off);
    assert!(a == b, "recording changed the completions");
    assert!(!on.events().is_empty() && off.events().is_empty());
    on.set_recording(false);
    on.take_events();
    assert_eq!(
        without_log(&on),
        without_log(&off),
        "recording changed the model's final state"
    );
    on.check_invariants().expect("invariants after the run");
    println!(
        "recording on/off over {:.0} s of virtual time: {n_on} completions, identical final state",
        span_us as f64 / 1e6
    );
}

fn day(c: &mut Criterion, mode: RunMode) -> Option<(u64, Duration)> {
    let span = VirtualTime(mode.size(3_600 * 1_000_000, DAY_US));
    let mut g = c.benchmark_group("virtual_time");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(
            mode.size(1, if mode == RunMode::Full { 25 } else { 1 }),
        ));
    let mut last: Option<(u64, Duration)> = None;
    g.bench_function("day_1000_flows", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (mut m, h) = armed(false);
                let start = Instant::now();
                let n = run_day(&mut m, h, span, None);
                let el = start.elapsed();
                total += el;
                last = Some((n, el));
                black_box(m);
            }
            total
        })
    });
    g.finish();
    last
}

/// `K` path changes spread evenly over `span_us`, then advance to the end.
fn idle(c: &mut Criterion) {
    const K: u64 = 100;
    let template = {
        let mut m = Model::new(support::world(PATHS, None, 1024), 3);
        m.set_recording(false);
        m
    };
    let path = PathRef::Peer(std::net::IpAddr::V4(std::net::Ipv4Addr::new(192, 168, 1, 101)));
    let mut g = c.benchmark_group("idle");
    for (name, span_us) in [("hour", 3_600_000_000u64), ("second", 1_000_000u64)] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let mut m = template.clone();
                    for i in 0..K {
                        m.inject_at(
                            VirtualTime(span_us / K * i),
                            Fault::Congestion {
                                path,
                                congested: i % 2 == 0,
                            },
                        );
                    }
                    m
                },
                |mut m| {
                    m.advance_to(VirtualTime(span_us));
                    m
                },
                criterion::BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

fn main() {
    let mode = RunMode::detect();
    check_recording_is_transparent(mode.size(120, 3_600) * 1_000_000);
    let mut c = mode.criterion();
    let last = day(&mut c, mode);
    idle(&mut c);
    c.final_summary();
    support::print_ratios(
        "virtual time",
        mode,
        &[Ratio {
            label: "idle hour / idle second (100 events each)",
            num: ("idle", "hour"),
            den: ("idle", "second"),
            target: Some(1.5),
        }],
    );
    if mode != RunMode::Test {
        let mean = support::estimate_ns("virtual_time", "day_1000_flows");
        if let Some(ns) = mean {
            support::print_absolute(
                "24 h, 1,000 adaptive flows, wall time",
                support::fmt_ns(ns),
                "< 2 s",
                Some(ns < 2e9),
            );
        }
        if let Some((n, el)) = last {
            support::print_absolute("  completions (each re-armed)", format!("{n}"), "≈ 8.6M", None);
            support::print_absolute(
                "  completions + re-arm per second",
                format!("{:.2}M/s", n as f64 / el.as_secs_f64() / 1e6),
                "-",
                None,
            );
        }
    }
}

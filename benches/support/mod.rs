//! Shared pieces of the benchmarks: worlds, model set-up, the run mode, and the ratio table
//! printed at the end of every bench binary.
//!
//! Every figure the issue asks for is a ratio against a floor measured in the same criterion run
//! (same group), or an absolute figure next to its target. The tables read criterion's own
//! estimates (`<target>/criterion/<group>/<bench>/new/estimates.json`), so they show exactly what
//! criterion measured.

#![allow(dead_code)] // each bench binary uses a different subset

pub mod calls;
pub mod floor;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use criterion::Criterion;
use qwave_sim::model::world::{PathConfig, Peer};
use qwave_sim::model::{CallOutput, Model, SockAddrIn, VirtualTime, World};
use qwave_sim::scenario::{self, Scenario};

/// How the bench binary was started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunMode {
    /// `cargo test --benches`: every benchmark runs once, with small sizes, to keep it from rotting.
    Test,
    /// `cargo bench -- --quick` or `QWAVE_BENCH_QUICK=1`: CI smoke run, well under 2 minutes.
    Quick,
    /// `cargo bench`: the full measurement.
    Full,
}

impl RunMode {
    /// The mode, from the arguments cargo and the user passed.
    pub fn detect() -> RunMode {
        let args: Vec<String> = std::env::args().collect();
        let bench = args.iter().any(|a| a == "--bench");
        let test = args.iter().any(|a| a == "--test");
        if !bench || test {
            RunMode::Test
        } else if args.iter().any(|a| a == "--quick")
            || std::env::var_os("QWAVE_BENCH_QUICK").is_some_and(|v| v != "0")
        {
            RunMode::Quick
        } else {
            RunMode::Full
        }
    }

    /// A criterion configured for this mode (command-line arguments still apply on top), writing
    /// where [`estimate_ns`] reads.
    pub fn criterion(self) -> Criterion {
        let c = Criterion::default().output_directory(&criterion_dir());
        let c = match self {
            // Short windows; `--quick` additionally stops each bench once it is stable.
            RunMode::Quick => c
                .warm_up_time(Duration::from_millis(200))
                .measurement_time(Duration::from_secs(1))
                .sample_size(10),
            _ => c
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(3)),
        };
        c.configure_from_args()
    }

    /// `small` in test mode, `full` otherwise.
    pub fn size<T>(self, small: T, full: T) -> T {
        if self == RunMode::Test {
            small
        } else {
            full
        }
    }
}

/// A world with `paths` on-link LLTD peers at 192.168.1.101.., each path flipping between
/// congested and uncongested every `period_ms` (if given), room for `max_flows` flows.
pub fn world(paths: u32, period_ms: Option<u64>, max_flows: u32) -> World {
    let mut w = World {
        peers: (0..paths)
            .map(|i| Peer {
                address: IpAddr::V4(Ipv4Addr::new(192, 168, 1, 101 + i as u8)),
                lltd_qos: true,
                path: PathConfig {
                    congestion_period_ms: period_ms,
                    ..PathConfig::default()
                },
                ..Peer::default()
            })
            .collect(),
        ..World::default()
    };
    w.settings.max_flows = max_flows;
    w
}

/// The destination of peer `i` of [`world`], port 5000.
pub fn peer(i: u32) -> SockAddrIn {
    SockAddrIn::from(SocketAddr::new(
        IpAddr::V4(Ipv4Addr::new(192, 168, 1, 101 + i as u8)),
        5000,
    ))
}

/// A UDP socket (AF_INET, SOCK_DGRAM, IPPROTO_UDP).
pub fn udp(m: &mut Model) -> u64 {
    m.socket(2, 2, 17).expect("socket")
}

/// A new handle.
pub fn handle(m: &mut Model) -> u64 {
    match m.apply(calls::create()) {
        Ok(qwave_sim::model::CallOutput::Handle(h)) => h,
        other => panic!("QOSCreateHandle: {other:?}"),
    }
}

/// Adds `socket` to a new flow toward peer `path`; returns the flow id.
pub fn add(m: &mut Model, h: u64, socket: u64, path: u32, adaptive: bool) -> u32 {
    match m.apply(calls::add(h, socket, peer(path), adaptive)) {
        Ok(qwave_sim::model::CallOutput::Flow(id)) => id,
        other => panic!("QOSAddSocketToFlow: {other:?}"),
    }
}

/// Rounds of the generated replay scenario: `QWAVE_BENCH_ROUNDS`, else `default`.
pub fn replay_rounds(default: u32) -> u32 {
    std::env::var("QWAVE_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A long scenario, recorded from a model run: one handle, 64 flows over 10 LLTD peers, then
/// `rounds` rounds of `QOSQueryFlow`, `QOSSetFlow`, remove/re-add and waits.
pub fn replay_scenario(rounds: u32) -> Scenario {
    let world = world(10, None, 65_536);
    let mut m = Model::new(world.clone(), 5);
    let h = handle(&mut m);
    let mut flows: Vec<(u64, u32)> = (0..64)
        .map(|i| {
            let s = udp(&mut m);
            (s, add(&mut m, h, s, i % 10, i % 2 == 0))
        })
        .collect();
    let tt = 4i32.to_le_bytes();
    for r in 0..rounds {
        for (i, (s, id)) in flows.iter_mut().enumerate() {
            m.apply(calls::query_priority(h, *id)).ok();
            if (r as usize + i) % 4 == 0 {
                m.apply(calls::set_traffic_type(h, *id, &tt)).ok();
            }
            if (r as usize + i) % 16 == 0 {
                m.apply(calls::remove(h, *s, *id)).ok();
                if let Ok(CallOutput::Flow(n)) = m.apply(calls::add(h, *s, peer(i as u32 % 10), true)) {
                    *id = n;
                }
            }
        }
        m.advance_to(VirtualTime(u64::from(r + 1) * 100_000));
    }
    scenario::record(&world, 5, m.events())
}

/// Runs `routine` `iters` times, rebuilding its state with `setup` every `batch` iterations
/// outside the timed region (for benchmarks whose state grows: handles are never reused, traces
/// accumulate).
pub fn batched<S>(
    iters: u64,
    batch: u64,
    mut setup: impl FnMut() -> S,
    mut routine: impl FnMut(&mut S),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(batch);
        let mut s = setup();
        let start = std::time::Instant::now();
        for _ in 0..n {
            routine(&mut s);
        }
        total += start.elapsed();
        drop(s);
        left -= n;
    }
    total
}

/// Where criterion writes its results.
pub fn criterion_dir() -> PathBuf {
    if let Some(v) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(v);
    }
    if let Some(v) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(v).join("criterion");
    }
    // The bench binary lives in <target>/<profile>/deps/.
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent()?.parent()?.parent().map(|t| t.join("criterion")))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

/// Criterion's mean estimate of `group/bench` in nanoseconds, if the run measured it.
pub fn estimate_ns(group: &str, bench: &str) -> Option<f64> {
    let path = criterion_dir()
        .join(group)
        .join(bench)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

/// One line of the summary: `num / den` against a target ratio (`None`: informational).
pub struct Ratio {
    /// What is compared.
    pub label: &'static str,
    /// Numerator (group, bench).
    pub num: (&'static str, &'static str),
    /// Denominator (group, bench): the floor or the baseline.
    pub den: (&'static str, &'static str),
    /// The ratio must stay at or below this.
    pub target: Option<f64>,
}

/// Formats nanoseconds for people.
pub fn fmt_ns(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

/// Prints the ratio table for this binary (skipped in test mode, where nothing is measured).
pub fn print_ratios(title: &str, mode: RunMode, rows: &[Ratio]) {
    if mode == RunMode::Test {
        return;
    }
    println!("\n== {title}: ratios (mean estimates of this run) ==");
    println!(
        "{:<44} {:>12} {:>12} {:>8} {:>8}  verdict",
        "figure", "measured", "floor/base", "ratio", "target"
    );
    for r in rows {
        let num = estimate_ns(r.num.0, r.num.1);
        let den = estimate_ns(r.den.0, r.den.1);
        let (m, f, ratio) = match (num, den) {
            (Some(n), Some(d)) if d > 0.0 => (fmt_ns(n), fmt_ns(d), Some(n / d)),
            _ => ("n/a".into(), "n/a".into(), None),
        };
        let verdict = match (ratio, r.target) {
            (Some(x), Some(t)) if x <= t => "met",
            (Some(_), Some(_)) => "MISSED",
            (Some(_), None) => "info",
            _ => "not measured",
        };
        println!(
            "{:<44} {:>12} {:>12} {:>8} {:>8}  {verdict}",
            r.label,
            m,
            f,
            ratio.map_or("-".into(), |x| format!("{x:.2}x")),
            r.target.map_or("-".into(), |t| format!("≤{t}x")),
        );
    }
}

/// Prints an absolute figure next to its target.
pub fn print_absolute(label: &str, value: String, target: &str, met: Option<bool>) {
    let verdict = match met {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "info",
    };
    println!("{label:<44} {value:>16}   target {target:<18} {verdict}");
}

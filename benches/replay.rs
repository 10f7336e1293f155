//! Scenario replay and parsing: steps per second for a long generated scenario (parsing
//! excluded), and RON parsing throughput of `scenario::parse` (with its diagnostics and
//! validation) against deserialising the same text straight into the serde structs with ron.
//!
//! Targets: ≥ 1M steps/s; parsing within 1.5x of the plain ron deserialisation.

mod support;

use std::hint::black_box;

use criterion::Throughput;
use qwave_sim::scenario::{self, RunOptions, Scenario};
use support::{Ratio, RunMode};

fn main() {
    let mode = RunMode::detect();
    let s = support::replay_scenario(support::replay_rounds(mode.size(20, 500)));
    let steps = s.steps.len() as u64;
    let text = s.to_ron();
    // The generated scenario must replay cleanly and parse back to itself.
    let out = scenario::run(&s, &RunOptions::default());
    assert!(out.passed(), "replay failed: {:?}", out.failures.first());
    assert_eq!(out.steps_run as u64, steps);
    let parsed = scenario::parse("generated.ron", &text).expect("parses");
    assert!(parsed.scenario == s, "parse(to_ron(s)) != s");
    let plain: Scenario = scenario::load::options().from_str(&text).expect("plain ron");
    assert!(plain == s);
    println!("generated scenario: {steps} steps, {} bytes of RON", text.len());

    let mut c = mode.criterion();
    let mut g = c.benchmark_group("replay");
    g.sample_size(10).throughput(Throughput::Elements(steps));
    g.bench_function("run", |b| {
        b.iter(|| black_box(scenario::run(&s, &RunOptions::default())))
    });
    let at_end = RunOptions {
        invariants_at_end_only: true,
        ..RunOptions::default()
    };
    assert!(scenario::run(&s, &at_end).passed());
    g.bench_function("run_invariants_at_end", |b| {
        b.iter(|| black_box(scenario::run(&s, &at_end)))
    });
    g.finish();
    let mut g = c.benchmark_group("parse");
    g.sample_size(10).throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("scenario_parse", |b| {
        b.iter(|| black_box(scenario::parse("generated.ron", &text).expect("parses")))
    });
    g.bench_function("ron_floor", |b| {
        b.iter(|| {
            black_box(
                scenario::load::options()
                    .from_str::<Scenario>(&text)
                    .expect("parses"),
            )
        })
    });
    g.finish();
    c.final_summary();
    support::print_ratios(
        "scenarios",
        mode,
        &[Ratio {
            label: "scenario::parse vs plain ron from_str",
            num: ("parse", "scenario_parse"),
            den: ("parse", "ron_floor"),
            target: Some(1.5),
        }],
    );
    if mode != RunMode::Test {
        for (bench, what) in [
            ("run", "invariants checked after every step"),
            ("run_invariants_at_end", "invariants checked once at the end"),
        ] {
            if let Some(ns) = support::estimate_ns("replay", bench) {
                let rate = steps as f64 / (ns / 1e9);
                support::print_absolute(
                    &format!("replay, {steps} steps (parsing excluded, {what})"),
                    format!("{:.2}M steps/s", rate / 1e6),
                    "≥ 1M steps/s",
                    Some(rate >= 1e6),
                );
            }
        }
        if let Some(ns) = support::estimate_ns("parse", "scenario_parse") {
            support::print_absolute(
                "scenario::parse throughput",
                format!("{:.1} MB/s", text.len() as f64 / (ns / 1e9) / 1e6),
                "-",
                None,
            );
        }
    }
}

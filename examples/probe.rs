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
use support::calls;
use support::surface::{add, add_remove, dest, query_priority, sim};

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

fn surface_add_remove(n: u64, record: Option<bool>) {
    let (sim, h, s) = sim(record);
    let _g = sim.enter();
    let d = dest();
    measured(n, &mut || {
        add_remove(h, s, &d);
    });
}

fn surface_query(n: u64, record: Option<bool>) {
    let (sim, h, s) = sim(record);
    let _g = sim.enter();
    let id = add(h, s, &dest()).expect("flow");
    measured(n, &mut || {
        query_priority(h, id);
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

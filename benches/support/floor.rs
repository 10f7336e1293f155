//! The floors every per-call figure is divided by: the same bookkeeping done with a plain
//! `std::collections::HashMap` of a small struct. One implementation, so the model's and the
//! surface's ratios are taken against identical floors.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::BenchmarkGroup;

/// What a flow entry of the floor holds.
#[derive(Clone, Copy)]
struct Small {
    socket: u64,
    handle: u64,
    traffic_type: i32,
    rate: u64,
}

const ENTRY: Small = Small {
    socket: 7,
    handle: 1,
    traffic_type: 3,
    rate: 0,
};

/// One live flow, id 1.
fn one_flow() -> HashMap<u32, Small> {
    HashMap::from([(1, ENTRY)])
}

/// Create + close: insert a new handle value, then remove it.
pub fn create_close(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.bench_function("floor", |b| {
        let mut m: HashMap<u64, u32> = HashMap::new();
        let mut n = 0u32;
        b.iter(|| {
            n += 1;
            let v = 0x5157_0000_0000 | u64::from(n);
            m.insert(v, n);
            black_box(m.remove(&black_box(v)));
        })
    });
}

/// Add + remove: insert a new flow entry, then remove it.
pub fn add_remove(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.bench_function("floor", |b| {
        let mut m: HashMap<u32, Small> = HashMap::new();
        let mut n = 0u32;
        b.iter(|| {
            n += 1;
            m.insert(
                n,
                Small {
                    socket: black_box(7),
                    ..ENTRY
                },
            );
            black_box(m.remove(&black_box(n)));
        })
    });
}

/// Query: one lookup, copying the entry out.
pub fn query(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.bench_function("floor", |b| {
        let m = one_flow();
        b.iter(|| {
            let s = m.get(&black_box(1)).copied();
            black_box(s.map(|s| (s.socket, s.handle, s.traffic_type, s.rate)))
        })
    });
}

/// Set: one lookup and a field write.
pub fn set(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.bench_function("floor", |b| {
        let mut m = one_flow();
        b.iter(|| {
            if let Some(s) = m.get_mut(&black_box(1)) {
                s.traffic_type = black_box(4);
            }
        })
    });
}

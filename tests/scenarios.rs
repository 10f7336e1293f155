//! The scenario library: every file under `scenarios/` passes `check`, its trace matches its
//! snapshot in `snapshots/`, traces are byte-identical run after run, changing any expectation
//! makes `check` fail with a diff, recorded runs replay to the same trace, and the library
//! covers every error code the rules name.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use qwave_sim::call::{self, Call, NotifyBuffer, NotifyOp, QueryOp, SetOp, TrafficArg};
use qwave_sim::model::{
    CallOutput, Fault, Model, PathRef, SockAddrIn, TrafficType, VirtualTime, Win32Error, World,
};
use qwave_sim::scenario::schema::{Check, Data, Expect, HandleStateArg, SockExpect, Step, WsaError};
use qwave_sim::scenario::{
    self, record, record_names, run, CallStep, Expectation, Loaded, RunOptions, Scenario,
};
use qwave_sim::trace::{self, Format};

fn library() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/ exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    files
}

fn load(path: &Path) -> Loaded {
    scenario::load(path).unwrap_or_else(|e| panic!("{e}"))
}

fn describe(failures: &[scenario::Mismatch]) -> String {
    failures
        .iter()
        .map(|f| {
            format!(
                "step {} {} {}: expected {} got {}",
                f.step, f.keyword, f.what, f.expected, f.actual
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn library_traces_match_snapshots() {
    let started = Instant::now();
    insta::glob!("../scenarios", "*.ron", |path| {
        let loaded = load(path);
        let out = run(&loaded.scenario, &RunOptions::default());
        assert!(out.passed(), "{}:\n{}", loaded.file, describe(&out.failures));
        insta::with_settings!({
            snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
            prepend_module_to_snapshot => false,
            description => loaded.scenario.description.clone(),
            omit_expression => true,
        }, {
            insta::assert_snapshot!("trace", out.trace(Format::Text));
        });
    });
    eprintln!("snapshot test: {:?}", started.elapsed());
}

/// The incremental invariant check agrees with the full one after every step of every library
/// scenario (and of each run again under three other seeds, whose fault plans differ), and what
/// it keeps between steps is what it would rebuild from scratch.
#[test]
fn incremental_invariants_agree_with_the_full_check_after_every_step() {
    let both = RunOptions {
        compare_invariant_checks: true,
        ..RunOptions::default()
    };
    let mut steps = 0;
    for path in library() {
        let loaded = load(&path);
        for seed in [None, Some(1), Some(2), Some(3)] {
            let out = run(&loaded.scenario, &RunOptions { seed, ..both });
            let broken: Vec<_> = out
                .failures
                .iter()
                .filter(|f| f.what == "model invariant")
                .cloned()
                .collect();
            assert!(
                broken.is_empty(),
                "{} (seed {seed:?}):\n{}",
                loaded.file,
                describe(&broken)
            );
            if seed.is_none() {
                assert!(out.passed(), "{}:\n{}", loaded.file, describe(&out.failures));
            }
            steps += out.steps_run;
        }
    }
    assert!(steps > 1000, "only {steps} steps compared");
}

#[test]
fn the_library_is_large_and_has_the_main_example() {
    let files = library();
    assert!(files.len() >= 30, "only {} scenarios", files.len());
    assert!(files.iter().any(|f| f.ends_with("voice_call.ron")));
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable");
        assert!(
            text.trim_start().starts_with("//"),
            "{} lacks a leading comment saying what it shows",
            f.display()
        );
        let s = load(f).scenario;
        let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        assert_eq!(s.name, stem, "{}: `name` differs from the file name", f.display());
        assert!(!s.description.is_empty(), "{} has no description", f.display());
    }
}

#[test]
fn same_scenario_gives_identical_bytes_100_times() {
    let started = Instant::now();
    for name in ["voice_call.ron", "fault_plan_explore.ron", "estimate_jitter.ron"] {
        let loaded = load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name));
        let first = run(&loaded.scenario, &RunOptions::default());
        let reference = [Format::Text, Format::Json, Format::Ron].map(|f| first.trace(f));
        assert!(reference[0].lines().count() > 5);
        for _ in 1..100 {
            let again = run(&loaded.scenario, &RunOptions::default());
            for (i, f) in [Format::Text, Format::Json, Format::Ron].into_iter().enumerate() {
                assert_eq!(again.trace(f), reference[i], "{name} differs between runs");
            }
        }
    }
    eprintln!("100-run determinism: {:?}", started.elapsed());
}

#[test]
fn another_seed_changes_a_fault_plan_run_and_is_reproducible() {
    let loaded = load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fault_plan_explore.ron"));
    let with = |seed| {
        run(
            &loaded.scenario,
            &RunOptions {
                seed: Some(seed),
                until: None,
                ..RunOptions::default()
            },
        )
    };
    let traces: BTreeSet<String> = (0..20).map(|s| with(s).trace(Format::Text)).collect();
    assert!(
        traces.len() > 5,
        "20 seeds gave only {} distinct runs",
        traces.len()
    );
    assert_eq!(with(7).trace(Format::Text), with(7).trace(Format::Text));
    assert!((0..20).any(|s| !with(s).planned.is_empty()));
    // With its own seed no planned fault fires, so every expectation in the file is enforced.
    let own = run(&loaded.scenario, &RunOptions::default());
    assert!(own.planned.is_empty() && own.passed());
}

fn bump_data(d: &Data) -> Data {
    match *d {
        Data::Fundamentals {
            bottleneck_bps,
            available_bps,
            rtt_us,
        } => Data::Fundamentals {
            bottleneck_bps,
            available_bps,
            rtt_us: Some(rtt_us.unwrap_or(0) + 1),
        },
        Data::PacketPriority {
            conformant_dscp,
            non_conformant_dscp,
            conformant_l2,
            non_conformant_l2,
        } => Data::PacketPriority {
            conformant_dscp: conformant_dscp + 1,
            non_conformant_dscp,
            conformant_l2,
            non_conformant_l2,
        },
        Data::OutgoingRate(v) => Data::OutgoingRate(v + 1),
        Data::Available(v) => Data::Available(v + 1),
    }
}

/// Every way to change one field of a call step's expectation.
fn expectation_mutants(e: &Expectation) -> Vec<Expectation> {
    let with = |f: &dyn Fn(&mut Expectation)| {
        let mut m = e.clone();
        f(&mut m);
        m
    };
    let mut out = vec![with(&|m| {
        m.expect = match m.expect {
            Expect::Ok => Expect::Err(Win32Error::ERROR_GEN_FAILURE),
            Expect::Err(_) => Expect::Ok,
        }
    })];
    if e.id.is_some() {
        out.push(with(&|m| m.id = m.id.map(|n| n + 1)));
    }
    if e.data.is_some() {
        out.push(with(&|m| m.data = m.data.as_ref().map(bump_data)));
    }
    if e.flows.is_some() {
        out.push(with(&|m| m.flows.iter_mut().for_each(|v| v.push("999".into()))));
    }
    if e.out_size.is_some() {
        out.push(with(&|m| m.out_size = m.out_size.map(|n| n + 1)));
    }
    out
}

/// Every way to change one expectation of `step` (the step with one value altered).
fn mutants(step: &Step) -> Vec<Step> {
    let mut out = Vec::new();
    let mut s = step.clone();
    match &mut s {
        Step::Call(c) => {
            for expected in expectation_mutants(&c.expected) {
                out.push(Step::Call(CallStep {
                    call: c.call.clone(),
                    expected,
                }));
            }
        }
        Step::Socket { expect, .. }
        | Step::Bind { expect, .. }
        | Step::Connect { expect, .. }
        | Step::CloseSocket { expect, .. }
        | Step::V6Only { expect, .. } => {
            *expect = match expect {
                SockExpect::Ok => SockExpect::Err(WsaError(10022)),
                SockExpect::Err(_) => SockExpect::Ok,
            };
            out.push(s);
        }
        Step::Wait { status, data, .. } => {
            if let Some(d) = data {
                let mut m = step.clone();
                if let Step::Wait { data, .. } = &mut m {
                    *data = Some(bump_data(d));
                }
                out.push(m);
            }
            *status = if *status == Win32Error::ERROR_SUCCESS {
                Win32Error::ERROR_GEN_FAILURE
            } else {
                Win32Error::ERROR_SUCCESS
            };
            out.push(s);
        }
        Step::Assert(c) => out.extend(check_mutants(c).into_iter().map(Step::Assert)),
        _ => {}
    }
    out
}

/// Every way to change one expected value of an assertion.
fn check_mutants(c: &Check) -> Vec<Check> {
    let mut out = Vec::new();
    match c.clone() {
        Check::FlowCount(n) => out.push(Check::FlowCount(n + 1)),
        Check::Flow {
            flow,
            exists,
            traffic_type,
            adaptive,
            sockets,
            rate_bps,
        } => {
            let base = Check::Flow {
                flow: flow.clone(),
                exists,
                traffic_type,
                adaptive,
                sockets: sockets.clone(),
                rate_bps,
            };
            let with = |f: &dyn Fn(&mut Check)| {
                let mut m = base.clone();
                f(&mut m);
                m
            };
            out.push(with(&|m| {
                if let Check::Flow { exists, .. } = m {
                    *exists = !*exists;
                }
            }));
            if traffic_type.is_some() {
                out.push(with(&|m| {
                    if let Check::Flow { traffic_type, .. } = m {
                        *traffic_type = Some(if *traffic_type == Some(TrafficType::Control) {
                            TrafficType::BestEffort
                        } else {
                            TrafficType::Control
                        });
                    }
                }));
            }
            if adaptive.is_some() {
                out.push(with(&|m| {
                    if let Check::Flow {
                        adaptive: Some(a), ..
                    } = m
                    {
                        *a = !*a;
                    }
                }));
            }
            if sockets.is_some() {
                out.push(with(&|m| {
                    if let Check::Flow { sockets: Some(v), .. } = m {
                        v.pop();
                    }
                }));
            }
            if rate_bps.is_some() {
                out.push(with(&|m| {
                    if let Check::Flow {
                        rate_bps: Some(r), ..
                    } = m
                    {
                        *r += 1;
                    }
                }));
            }
        }
        Check::Marking { flow, dscp, l2 } => {
            // Omitted fields are "don't care": only given ones can be changed.
            if let Some(d) = dscp {
                out.push(Check::Marking {
                    flow: flow.clone(),
                    dscp: Some(d + 1),
                    l2,
                });
            }
            if let Some(l) = l2 {
                out.push(Check::Marking {
                    flow,
                    dscp,
                    l2: Some(l + 1),
                });
            }
        }
        Check::Handle {
            handle,
            state,
            flows,
            tracked,
        } => {
            let other = if state == HandleStateArg::Open {
                HandleStateArg::Dead
            } else {
                HandleStateArg::Open
            };
            out.push(Check::Handle {
                handle: handle.clone(),
                state: other,
                flows: None,
                tracked: None,
            });
            if let Some(mut f) = flows.clone() {
                f.push("999".into());
                out.push(Check::Handle {
                    handle: handle.clone(),
                    state,
                    flows: Some(f),
                    tracked: None,
                });
            }
            if let Some(mut t) = tracked {
                t.push("10.9.9.9".parse().expect("address"));
                out.push(Check::Handle {
                    handle,
                    state,
                    flows: None,
                    tracked: Some(t),
                });
            }
        }
        Check::PendingCount(n) => out.push(Check::PendingCount(n + 1)),
        Check::Pending {
            handle,
            overlapped,
            pending,
        } => out.push(Check::Pending {
            handle,
            overlapped,
            pending: !pending,
        }),
        Check::LastError(e) => out.push(Check::LastError(if e == Win32Error::ERROR_BUSY {
            Win32Error::ERROR_RETRY
        } else {
            Win32Error::ERROR_BUSY
        })),
        Check::Deadlocks(n) => out.push(Check::Deadlocks(n + 1)),
        Check::Invariants => {}
    }
    out
}

#[test]
fn changing_any_expectation_makes_check_fail_with_a_diff() {
    let mut tried = 0;
    for path in library() {
        let loaded = load(&path);
        for (i, step) in loaded.scenario.steps.iter().enumerate() {
            for m in mutants(step) {
                let mut s: Scenario = loaded.scenario.clone();
                s.steps[i] = m;
                let out = run(&s, &RunOptions::default());
                tried += 1;
                let at_step: Vec<_> = out.failures.iter().filter(|f| f.step == i).collect();
                assert!(
                    !at_step.is_empty(),
                    "{} step {i} ({}): a changed expectation still passes",
                    loaded.file,
                    step.keyword()
                );
                assert!(
                    at_step.iter().all(|f| f.expected != f.actual),
                    "{}: a diff without a difference",
                    loaded.file
                );
            }
        }
    }
    assert!(tried > 300, "only {tried} mutants");
    eprintln!("mutants tried: {tried}");
}

#[test]
fn every_rule_error_code_is_expected_somewhere() {
    let mut seen = BTreeSet::new();
    for path in library() {
        for step in load(&path).scenario.steps {
            if let Step::Call(CallStep {
                expected:
                    Expectation {
                        expect: Expect::Err(e),
                        ..
                    },
                ..
            }) = &step
            {
                seen.insert(e.0);
            }
            if let Step::Wait { status, .. } = &step {
                seen.insert(status.0);
            }
            if let Step::Assert(Check::LastError(e)) = &step {
                seen.insert(e.0);
            }
        }
    }
    // Rules section 0.2, without the Wine-only 1056 and the unused 1235; plus 782 (AMB-40).
    let table = [
        5, 6, 8, 31, 50, 54, 57, 59, 67, 87, 122, 170, 183, 232, 995, 997, 1068, 1117, 1164, 1168, 1225,
        1232, 1237, 1260, 1450, 1460, 4309, 782,
    ];
    let missing: Vec<String> = table
        .iter()
        .filter(|c| !seen.contains(c))
        .map(|c| Win32Error(*c).to_string())
        .collect();
    assert!(missing.is_empty(), "no scenario expects {missing:?}");
}

fn round_trip(world: &World, seed: u64, events: &[qwave_sim::model::Stamped], what: &str) {
    let recorded = record(world, seed, events);
    let text = recorded.to_ron();
    let loaded = scenario::parse("recorded.ron", &text).unwrap_or_else(|e| panic!("{what}: {e}\n{text}"));
    assert_eq!(loaded.scenario, recorded, "{what}: RON does not round-trip");
    let out = run(&loaded.scenario, &RunOptions::default());
    assert!(
        out.passed(),
        "{what}: recorded scenario fails:\n{}\n{text}",
        describe(&out.failures)
    );
    let original = trace::render(events, &record_names(events), Format::Text);
    assert_eq!(
        out.trace(Format::Text),
        original,
        "{what}: replayed trace differs\n{text}"
    );
}

fn query(handle: u64, flow: u32, op: QueryOp, size: u32) -> Call {
    Call::QueryFlow(call::QueryFlow {
        handle,
        flow,
        op,
        size: Some(size),
        buffer: true,
        fresh: false,
        flags: 0,
        overlapped: None,
    })
}

/// `QOSNotifyFlow` with a NULL buffer.
fn notify(handle: u64, flow: u32, op: NotifyOp, size: Option<u32>, overlapped: Option<u64>) -> Call {
    Call::NotifyFlow(call::NotifyFlow {
        handle,
        flow,
        op,
        size,
        buffer: NotifyBuffer::Null,
        flags: 0,
        overlapped,
    })
}

fn set(handle: u64, flow: u32, op: SetOp, overlapped: Option<u64>) -> Call {
    Call::SetFlow(call::SetFlow {
        handle,
        flow,
        op,
        flags: 0,
        overlapped,
    })
}

#[test]
fn a_test_driving_the_model_records_a_scenario_that_replays_exactly() {
    let world = World::default();
    let mut m = Model::new(world.clone(), 99);
    let create = |version| {
        Call::CreateHandle(call::CreateHandle {
            handle: (),
            version,
            out: true,
        })
    };
    let h = match m.apply(create(Some((1, 0)))) {
        Ok(CallOutput::Handle(h)) => h,
        other => panic!("create: {other:?}"),
    };
    assert!(m.apply(create(None)).is_err());
    let s = m.socket(2, 2, 0).expect("socket");
    let peer: std::net::SocketAddr = "192.168.1.20:5004".parse().unwrap();
    m.connect(s, Some(peer.into())).unwrap();
    let add = Call::AddSocketToFlow(call::AddSocketToFlow {
        handle: h,
        socket: s,
        dest: None,
        traffic_type: TrafficArg::Voice,
        non_adaptive: false,
        flags: 0,
        flow: Some(0),
    });
    let flow = match m.apply(add) {
        Ok(CallOutput::Flow(f)) => f,
        other => panic!("add: {other:?}"),
    };
    let _ = m.apply(query(h, flow, QueryOp::Fundamentals, 40));
    m.advance_us(2_500_000);
    let rate = SetOp::OutgoingRate {
        bandwidth_bps: 64_000,
        shaping: qwave_sim::model::Shaping::ShapeAndMark,
        reason: 0,
    };
    let _ = m.apply(set(h, flow, rate, Some(0x1000)));
    let _ = m.apply(notify(h, flow, NotifyOp::Congested, None, Some(0x2000)));
    let congested = |congested| Fault::Congestion {
        path: PathRef::Peer("192.168.1.20".parse().unwrap()),
        congested,
    };
    m.inject_at(VirtualTime(3_000_000), congested(true));
    m.advance_us(1_000_000);
    // A blocking notification that a scheduled fault releases.
    m.inject_at(VirtualTime(5_000_000), congested(false));
    assert!(m
        .apply(notify(h, flow, NotifyOp::Uncongested, None, None))
        .is_ok());
    let _ = m.apply(query(h, flow, QueryOp::PacketPriority, 4));
    let _ = m.apply(notify(h, flow, NotifyOp::Available(0), Some(8), Some(0x3000)));
    let _ = m.apply(Call::EnumerateFlows(call::EnumerateFlows {
        handle: h,
        size: Some(0),
        buffer: false,
    }));
    let _ = m.apply(Call::Cancel(call::Cancel {
        handle: h,
        overlapped: Some(0x4000),
    }));
    m.inject(Fault::FailCalls {
        func: None,
        code: Win32Error::ERROR_NOT_ENOUGH_MEMORY,
        count: 1,
    });
    let _ = m.apply(Call::StartTrackingClient(call::Tracking {
        handle: h,
        client: Some(SockAddrIn::BadFamily(7)),
        flags: 0,
    }));
    let raw = SetOp::Raw {
        op: 9,
        size: 3,
        bytes: Some(vec![1, 2, 3]),
    };
    let _ = m.apply(set(h, flow, raw, None));
    let _ = m.apply(Call::RemoveSocketFromFlow(call::RemoveSocketFromFlow {
        handle: h,
        socket: 0,
        flow,
        flags: 0,
    }));
    let _ = m.apply(Call::CloseHandle(call::CloseHandle { handle: 0xdead_beef }));
    let _ = m.apply(Call::CloseHandle(call::CloseHandle { handle: h }));
    m.settle();
    assert!(m.events().len() > 20);
    round_trip(&world, 99, m.events(), "hand-driven run");
}

#[test]
fn every_library_run_records_and_replays_to_the_same_trace() {
    for path in library() {
        let loaded = load(&path);
        let out = run(&loaded.scenario, &RunOptions::default());
        round_trip(&loaded.scenario.world, out.seed, &out.events, &loaded.file);
    }
    // Runs where the fault plan fired (resets, failures, congestion at random steps) too.
    let loaded = load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fault_plan_explore.ron"));
    for seed in 0..30 {
        let out = run(
            &loaded.scenario,
            &RunOptions {
                seed: Some(seed),
                until: None,
                ..RunOptions::default()
            },
        );
        round_trip(
            &loaded.scenario.world,
            seed,
            &out.events,
            &format!("fault plan, seed {seed}"),
        );
    }
}

#[test]
fn until_stops_at_a_step_or_a_time() {
    let loaded = load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/voice_call.ron"));
    let full = run(&loaded.scenario, &RunOptions::default());
    let part = run(
        &loaded.scenario,
        &RunOptions {
            seed: None,
            until: Some(scenario::Until::Step(3)),
            ..RunOptions::default()
        },
    );
    assert_eq!(part.steps_run, 3);
    assert!(full.trace(Format::Text).starts_with(&part.trace(Format::Text)));
    let timed = run(
        &loaded.scenario,
        &RunOptions {
            seed: None,
            until: Some(scenario::Until::Time(VirtualTime(1_000_000))),
            ..RunOptions::default()
        },
    );
    let last = timed.events.last().expect("events");
    assert_eq!(last.at.0, 1_000_000);
    assert!(timed.steps_run < full.steps_run);
}

#[test]
fn every_ron_example_in_the_format_docs_parses() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/SCENARIOS.md")).expect("docs");
    let blocks: Vec<&str> = doc
        .split("```ron\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap_or(""))
        .collect();
    assert!(blocks.len() >= 8, "only {} examples", blocks.len());
    for b in blocks {
        let wrapped = if b.contains("Scenario(") {
            b.to_string()
        } else if b.trim_start().starts_with("world:") || b.trim_start().starts_with("fault_plan:") {
            format!("Scenario(version: 1, name: \"doc\", {b} steps: [])")
        } else {
            let steps: Result<Vec<Step>, _> = scenario::load::options().from_str(&format!("[{b}]"));
            assert!(steps.is_ok(), "example does not parse: {:?}\n{b}", steps.err());
            continue;
        };
        if let Err(e) = scenario::parse("SCENARIOS.md", &wrapped) {
            panic!("{e}\n{wrapped}");
        }
    }
}

#[test]
fn a_wait_that_cannot_complete_fails_with_its_reason_and_a_bounded_cost() {
    let text = r#"Scenario(version: 1, name: "w", seed: 1,
        world: (peers: [(address: "192.168.1.20", lltd_qos: true, path: (congestion_period_ms: 1))]),
        steps: [
            CreateHandle(handle: "h"),
            Wait(overlapped: "never"),
            Socket(socket: "s", family: V4, protocol: Udp),
            Connect(socket: "s", addr: "192.168.1.20:5"),
            AddSocketToFlow(handle: "h", socket: "s", flow: New("f")),
            NotifyFlow(handle: "h", flow: "f", op: Available(99000000000), overlapped: "big", expect: Err(ERROR_IO_PENDING)),
            Wait(overlapped: "big", within: "1s"),
            Wait(overlapped: "big"),
        ])"#;
    let loaded = scenario::parse("wait.ron", text).unwrap_or_else(|e| panic!("{e}"));
    let out = run(&loaded.scenario, &RunOptions::default());
    let reasons: Vec<(usize, &str)> = out.failures.iter().map(|f| (f.step, f.actual.as_str())).collect();
    assert_eq!(
        reasons,
        vec![
            (1, "no overlapped request on `never` is outstanding"),
            (6, "no completion for `big` within 1s"),
            (7, "no completion for `big` after 100000 scheduled events"),
        ]
    );
}

#[test]
fn truncated_and_altered_library_files_never_panic() {
    let mut errors = 0;
    let mut runs = 0;
    for path in library() {
        let text = std::fs::read_to_string(&path).expect("readable");
        let cuts: Vec<usize> = (0..text.len())
            .step_by(53)
            .filter(|i| text.is_char_boundary(*i) && !text[*i..].trim().is_empty())
            .collect();
        for cut in cuts {
            // Every prefix that drops more than whitespace is malformed: it must be an error with a position.
            match scenario::parse("cut.ron", &text[..cut]) {
                Ok(_) => panic!("{} cut at {cut} parsed", path.display()),
                Err(e) => {
                    assert!(e.pos.line >= 1 && e.pos.col >= 1, "{e}");
                    errors += 1;
                }
            }
        }
        // Extreme numbers in place of every number: parse errors or runs, never a panic.
        for (i, _) in text.match_indices(|c: char| c.is_ascii_digit()).step_by(19) {
            for replacement in ["18446744073709551615", "0", "4294967296"] {
                let altered = format!("{}{replacement}{}", &text[..i], &text[i + 1..]);
                if let Ok(l) = scenario::parse("altered.ron", &altered) {
                    let _ = run(&l.scenario, &RunOptions::default());
                    runs += 1;
                }
            }
        }
    }
    assert!(errors > 500 && runs > 100, "{errors} errors, {runs} runs");
}

#[test]
fn step_positions_skip_the_comments_above_a_step() {
    let text = "Scenario(version: 1, name: \"c\", steps: [\n    // a comment\n    /* a /* nested */ block */\n    CreateHandle(handle: \"h\"),\n    // another\n\n        CloseHandle(handle: \"h\"),\n])";
    let loaded = scenario::parse("c.ron", text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.position(0), scenario::Pos { line: 4, col: 5 });
    assert_eq!(loaded.position(1), scenario::Pos { line: 7, col: 9 });
    // Errors inside a commented step still point at the offending text.
    let bad = text.replace("CloseHandle(handle: \"h\")", "CloseHandle(handle: \"h\", x: 1)");
    let e = scenario::parse("c.ron", &bad).expect_err("unknown field");
    assert_eq!(e.pos, scenario::Pos { line: 7, col: 34 }, "{e}");
    let undefined = text.replace("CloseHandle(handle: \"h\")", "CloseHandle(handle: \"g\")");
    let e = scenario::parse("c.ron", &undefined).expect_err("undefined");
    assert_eq!(e.pos, scenario::Pos { line: 7, col: 30 }, "{e}");
}

/// Omitted fields of `Assert(Marking(…))` and of `PacketPriority(…)` data are "don't care":
/// the new user's `Assert(Marking(flow: "v", dscp: 8))` holds on a flow that also gets an
/// 802.1p tag, and a field that is given is still checked.
#[test]
fn omitted_assertion_fields_mean_dont_care() {
    let text = |checks: &str| {
        format!(
            r#"Scenario(version: 1, name: "m", steps: [
    CreateHandle(handle: "h"),
    Socket(socket: "s", family: V4, protocol: Udp),
    AddSocketToFlow(handle: "h", socket: "s", dest: "192.168.1.20:5004", traffic_type: Background, flow: New("v")),
    Advance("2s"),
    SetFlow(handle: "h", flow: "v", op: OutgoingRate(bandwidth_bps: 64000)),
    {checks}
])"#
        )
    };
    let run_text = |checks: &str| {
        let loaded = scenario::parse("m.ron", &text(checks)).expect("parses");
        run(&loaded.scenario, &RunOptions::default())
    };
    let loose = run_text(
        r#"Assert(Marking(flow: "v", dscp: 8)),
    Assert(Marking(flow: "v", l2: 2)),
    Assert(Marking(flow: "v")),
    QueryFlow(handle: "h", flow: "v", op: PacketPriority, data: PacketPriority(conformant_dscp: 8)),
    QueryFlow(handle: "h", flow: "v", op: PacketPriority, data: PacketPriority(conformant_dscp: 8, conformant_l2: 2)),"#,
    );
    assert!(loose.passed(), "{}", describe(&loose.failures));
    let strict = run_text(
        r#"Assert(Marking(flow: "v", dscp: 8, l2: 0)),
    QueryFlow(handle: "h", flow: "v", op: PacketPriority, data: PacketPriority(conformant_dscp: 8, conformant_l2: 0)),"#,
    );
    assert_eq!(strict.failures.len(), 2, "{}", describe(&strict.failures));
    assert_eq!(strict.failures[0].expected, "dscp 8 l2 0");
    assert_eq!(strict.failures[0].actual, "dscp 8 l2 2");
}

/// `qwave-sim schema` describes what the loader reads: every step of every library file, as
/// JSON, is one of the schema's step variants and uses only fields that variant lists.
#[cfg(feature = "schema")]
#[test]
fn the_json_schema_covers_every_step_of_the_library() {
    let schema: serde_json::Value =
        serde_json::from_str(&scenario::json_schema_text()).expect("the schema is JSON");
    let variants = schema["$defs"]["Step"]["oneOf"]
        .as_array()
        .expect("Step is a oneOf");
    let top: BTreeSet<String> = schema["properties"]
        .as_object()
        .expect("Scenario has properties")
        .keys()
        .cloned()
        .collect();
    let mut seen = BTreeSet::new();
    for path in library() {
        let loaded = load(&path);
        let json = serde_json::to_value(&loaded.scenario).expect("a scenario serializes");
        for key in json.as_object().expect("an object").keys() {
            assert!(
                top.contains(key),
                "{}: `{key}` is not in the schema",
                path.display()
            );
        }
        for step in json["steps"].as_array().expect("steps") {
            let (kw, body) = match step {
                serde_json::Value::Object(o) => o
                    .iter()
                    .next()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .expect("one key"),
                other => panic!("{}: a step is an object: {other}", path.display()),
            };
            let variant = variants
                .iter()
                .find(|v| v["required"][0] == kw.as_str())
                .unwrap_or_else(|| panic!("{}: step `{kw}` is not in the schema", path.display()));
            if let (Some(fields), Some(props)) = (
                body.as_object(),
                variant["properties"][&kw]["properties"].as_object(),
            ) {
                for f in fields.keys() {
                    assert!(
                        props.contains_key(f),
                        "{}: `{kw}.{f}` is not in the schema",
                        path.display()
                    );
                }
            }
            seen.insert(kw);
        }
    }
    assert!(seen.len() >= 15, "the library uses many step kinds: {seen:?}");
}

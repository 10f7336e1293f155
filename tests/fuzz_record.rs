//! A failing property over `qwave_sim::fuzz::fault_plan()` leaves, after proptest shrinks it,
//! a scenario file of the shrunk case that the scenario runner and `qwave-sim check` replay
//! with every expectation met. The property here is wrong on purpose: its "app" creates one
//! flow and never recovers, so any plan with a device reset, sleep or interface loss fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::test_runner::{Config, RngSeed, TestError, TestRunner};
use qwave_sim::call::{AddSocketToFlow, Call, CreateHandle, QueryFlow, QueryOp, TrafficArg};
use qwave_sim::fuzz::{fault_plan, FaultPlan};
use qwave_sim::model::event::CallOutput;
use qwave_sim::model::SockAddrIn;
use qwave_sim::Sim;

/// The naive app: one handle, one flow, then asks every 100 ms whether the flow still works.
fn naive_app_keeps_its_flow(plan: &FaultPlan, dir: &Path) {
    let sim = Sim::builder().seed(3).build();
    let _rec = sim.record_on_failure("app_survives").in_dir(dir);
    plan.apply_to_sim(&sim);
    let (h, flow) = sim.with_model(|m| {
        let s = m.socket(2, 2, 0).expect("UDP socket");
        let create = CreateHandle {
            handle: (),
            version: Some((1, 0)),
            out: true,
        };
        let h = match m.apply(Call::CreateHandle(create)) {
            Ok(CallOutput::Handle(h)) => h,
            other => panic!("the app could not create a handle: {other:?}"),
        };
        let dest = SockAddrIn::from("192.168.1.20:5004".parse::<std::net::SocketAddr>().expect("addr"));
        let add = AddSocketToFlow {
            handle: h,
            socket: s,
            dest: Some(dest),
            traffic_type: TrafficArg::Voice,
            non_adaptive: true,
            flags: 0,
            flow: Some(0),
        };
        match m.apply(Call::AddSocketToFlow(add)) {
            Ok(CallOutput::Flow(f)) => (h, f),
            other => panic!("the app could not add its flow: {other:?}"),
        }
    });
    while sim.with_model(|m| m.now().as_us()) <= plan.end_us() {
        sim.advance(std::time::Duration::from_millis(100));
        let query = QueryFlow {
            handle: h,
            flow,
            op: QueryOp::PacketPriority,
            size: Some(16),
            buffer: true,
            fresh: false,
            flags: 0,
            overlapped: None,
        };
        let r = sim.with_model(|m| m.apply(Call::QueryFlow(query)));
        // A panic (not `prop_assert!`) is what makes the recording guard save the run.
        assert!(r.is_ok(), "the app lost its flow: {:?}", r.unwrap_err().code);
    }
}

#[test]
fn shrunk_failure_is_saved_as_a_replayable_scenario() {
    let dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz_record");
    let _ = std::fs::remove_dir_all(&dir);
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(11),
        ..Config::default()
    });
    let result = runner.run(&fault_plan(), |plan| {
        naive_app_keeps_its_flow(&plan, &dir);
        Ok(())
    });
    let shrunk = match result {
        Err(TestError::Fail(why, plan)) => {
            assert!(why.message().contains("the app"), "{why}");
            plan
        }
        other => panic!("the naive app should fail a random fault plan: {other:?}"),
    };
    // Shrinking leaves a minimal plan: one fault does it.
    assert_eq!(shrunk.faults.len(), 1, "shrunk plan:\n{shrunk}");

    let file = dir.join("app_survives.ron");
    let src = std::fs::read_to_string(&file).expect("the failing run was recorded");
    let loaded = qwave_sim::scenario::parse(&file.display().to_string(), &src).expect("it parses");
    // The file is the shrunk case: rerunning the shrunk plan records the very same file.
    let again = dir.join("again");
    let rerun = std::panic::catch_unwind(|| naive_app_keeps_its_flow(&shrunk, &again));
    assert!(rerun.is_err(), "the shrunk plan must fail again");
    let src_again = std::fs::read_to_string(again.join("app_survives.ron")).expect("rerun recorded");
    assert_eq!(src, src_again, "the recording is not the shrunk case");
    let out = qwave_sim::scenario::run(&loaded.scenario, &Default::default());
    assert!(out.passed(), "replay failed: {:?}\n{src}", out.failures);
    assert!(
        out.steps_run >= 3,
        "the recording replays only {} steps",
        out.steps_run
    );

    let status = Command::new(env!("CARGO_BIN_EXE_qwave-sim"))
        .arg("check")
        .arg(&file)
        .output()
        .expect("run qwave-sim");
    assert!(
        status.status.success(),
        "qwave-sim check {} failed:\n{}",
        file.display(),
        String::from_utf8_lossy(&status.stderr)
    );
}

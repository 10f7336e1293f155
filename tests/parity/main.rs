//! Parity: `app.rs` is one source written against windows-rs 0.62.2. Here it runs on Linux
//! against the sim, and the same file is `cargo check`ed against the real `windows` crate for
//! `x86_64-pc-windows-gnu`.
//!
//! That check needs the target's std. `.ci/run` installs it and sets
//! `QWAVE_SIM_REQUIRE_WINDOWS_TARGET=1`: a missing target is then a failure. Without the
//! variable (a developer machine) a missing target prints one `NOT RUN: ...` line saying how to
//! install it, and the test passes.

use std::path::Path;
use std::process::Command;

use qwave_sim::model::{Event, Func, TrafficType};
use qwave_sim::Sim;

#[allow(dead_code)]
mod app {
    use qwave_sim::windows;
    include!("app.rs");
}

/// The same checks for the windows-sys surface.
mod sys;

/// The probe of the Wine checks (`probe.rs`, also built for Windows), here against the sim.
#[allow(dead_code)]
mod probe {
    use qwave_sim::windows;
    include!("probe.rs");
}

/// The probes under Wine with qwave.dll, compared with `probe` here.
mod wine;

/// The target the real crates are checked for.
const WINDOWS_TARGET: &str = "x86_64-pc-windows-gnu";

/// Set to `1` by `.ci/run` once it has installed [`WINDOWS_TARGET`].
const REQUIRE_WINDOWS_TARGET: &str = "QWAVE_SIM_REQUIRE_WINDOWS_TARGET";

/// Whether a missing [`WINDOWS_TARGET`] must fail the parity checks instead of being reported
/// as not run.
fn windows_target_required() -> bool {
    std::env::var(REQUIRE_WINDOWS_TARGET).is_ok_and(|v| v == "1")
}

/// A parity check that cannot run here: a failure under [`REQUIRE_WINDOWS_TARGET`], otherwise
/// one loud `NOT RUN` line.
fn not_run(check: &str, reason: &str) {
    assert!(
        !windows_target_required(),
        "{REQUIRE_WINDOWS_TARGET}=1 but the {check} cannot run: {reason}"
    );
    println!("NOT RUN: {check}: {reason}");
}
/// The manifest of a throwaway crate `name`, outside any workspace, that depends on the real
/// windows 0.62.2 with the features the parity sources use.
fn windows_crate_manifest(name: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
windows = {{ version = "=0.62.2", features = ["Win32_NetworkManagement_QoS", "Win32_Foundation", "Win32_Networking_WinSock", "Win32_System_IO", "Win32_System_Threading", "Win32_Security"] }}
"#
    )
}

fn calls(sim: &Sim) -> Vec<Func> {
    sim.events()
        .iter()
        .filter_map(|e| match &e.event {
            Event::Call { call, .. } => Some(call.func()),
            _ => None,
        })
        .collect()
}

#[test]
fn parity_app_non_adaptive_voice_flow_runs_against_the_sim() {
    let sim = Sim::new();
    let _g = sim.enter();
    let r = app::run("192.168.1.30:5000".parse().unwrap(), false).unwrap();
    assert_eq!(r.flow_id, 1);
    assert_eq!(
        r.priority.ConformantDSCPValue,
        u32::from(TrafficType::Voice.dscp())
    );
    assert!(r.rate_admitted);
    assert_eq!(r.rate_bps, 64_000);
    assert_eq!(
        r.notify,
        app::Notify::NotSupported,
        "NOT-9: a non-adaptive flow cannot be watched"
    );
    assert!(sim.flows().is_empty());
    assert_eq!(
        calls(&sim),
        [
            Func::CreateHandle,
            Func::AddSocketToFlow,
            Func::QueryFlow,
            Func::SetFlow,
            Func::QueryFlow,
            Func::NotifyFlow,
            Func::RemoveSocketFromFlow,
            Func::CloseHandle
        ]
    );
    sim.check_invariants().unwrap();
}

#[test]
fn parity_app_adaptive_flow_notification_is_pending_then_cancelled() {
    let sim = Sim::new();
    let _g = sim.enter();
    let r = app::run("192.168.1.20:5000".parse().unwrap(), true).unwrap();
    assert_eq!(r.notify, app::Notify::Cancelled);
    assert!(!r.rate_admitted, "SET-6f: no rate before the path is measured");
    assert_eq!(r.rate_bps, 0, "AMB-18: no rate set yet");
    assert!(calls(&sim).contains(&Func::Cancel));
    assert_eq!(sim.deadlocks(), 0);
    sim.check_invariants().unwrap();
}

#[test]
fn parity_app_reports_the_win32_error_for_an_unreachable_destination() {
    let sim = Sim::new();
    let _g = sim.enter();
    let e = app::run("198.51.100.7:5000".parse().unwrap(), false).unwrap_err();
    // connect() to an unroutable address fails first, with WSAEHOSTUNREACH.
    assert_eq!(e.code(), qwave_sim::windows::core::HRESULT::from_win32(10065));
}

/// The probe's answers in process: what the Wine runs are compared with. Checked here so that
/// the comparison is never between two wrong answers.
#[test]
fn parity_probe_answers_in_process() {
    let sim = Sim::new();
    let _g = sim.enter();
    let lines = probe::run("calls");
    for expected in [
        "create version=NULL: FALSE 87",
        "close garbage: FALSE 6",
        "add not a socket: FALSE 87",
        "add LLTD peer adaptive: TRUE flow=1",
        "add no-LLTD peer adaptive: FALSE 50",
        "add no-LLTD peer non-adaptive: TRUE flow=2",
        "add unreachable non-adaptive: FALSE 1232",
        "add refusing peer adaptive: FALSE 1225",
        "query priority: TRUE size=16 dscp=56 nc_dscp=0 l2=0",
        "query priority Size=8: FALSE 122 size=16",
        "set rate adaptive unmeasured: FALSE 54",
        "wait event: 0",
        "GetOverlappedResult no wait: FALSE 996",
        "GetOverlappedResult wait: FALSE 995",
        "GetOverlappedResult wait: TRUE bytes=16 dscp=56",
        "GetQueuedCompletionStatus: TRUE bytes=8 key=42 ov=same bps=64000",
        "GetQueuedCompletionStatus: FALSE 54 bytes=0 key=42 ov=same",
        "close again: FALSE 6",
        "notify uncongested blocking: TRUE",
    ] {
        assert!(
            lines.iter().any(|l| l == expected),
            "{expected:?} missing:\n{}",
            lines.join("\n")
        );
    }
    assert_eq!(sim.deadlocks(), 0);
    sim.check_invariants().unwrap();
}

/// `cargo check --target x86_64-pc-windows-gnu` of `app.rs` against windows 0.62.2 (checked,
/// not linked or run: there is no Windows here). Needs that target's std; see the module docs.
#[test]
fn parity_app_compiles_against_windows_0_62_2_when_the_windows_target_is_installed() {
    const TARGET: &str = WINDOWS_TARGET;
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == TARGET)
        })
        .unwrap_or(false);
    if !installed {
        not_run(
            "parity check against windows 0.62.2",
            &format!("target {TARGET} not installed (rustup target add {TARGET})"),
        );
        return;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("parity-windows");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parity/app.rs");
    std::fs::write(dir.join("Cargo.toml"), windows_crate_manifest("qwave-parity")).unwrap();
    std::fs::write(
        dir.join("src/lib.rs"),
        format!(
            "#[allow(dead_code)]\nmod app {{\n    include!({:?});\n}}\n",
            app.display().to_string()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO"))
        .args(["check", "--quiet", "--target", TARGET])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "app.rs does not compile against windows 0.62.2:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lock = std::fs::read_to_string(dir.join("Cargo.lock")).expect("cargo check wrote Cargo.lock");
    assert!(
        lock.contains("name = \"windows\"\nversion = \"0.62.2\"\n"),
        "the parity crate did not resolve windows 0.62.2:\n{lock}"
    );
    println!("parity: app.rs compiles against windows 0.62.2 for {TARGET} (cargo check)");
}

//! Parity: `app.rs` is one source written against windows-rs 0.62.2. Here it runs on Linux
//! against the sim; when the `x86_64-pc-windows-gnu` target is installed, the same file is
//! also `cargo check`ed against the real `windows` crate.

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

/// `cargo check --target x86_64-pc-windows-gnu` of `app.rs` against windows 0.62.2, when that
/// target's std is installed (it cannot link or run here: no mingw, no Windows).
#[test]
fn parity_app_compiles_against_windows_0_62_2_when_the_windows_target_is_installed() {
    const TARGET: &str = "x86_64-pc-windows-gnu";
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
        println!("skipped: `{TARGET}` is not installed (rustup target add {TARGET} to enable this check)");
        return;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("parity-windows");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parity/app.rs");
    std::fs::write(
        dir.join("Cargo.toml"),
        r#"[package]
name = "qwave-parity"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
windows = { version = "=0.62.2", features = ["Win32_NetworkManagement_QoS", "Win32_Foundation", "Win32_Networking_WinSock", "Win32_System_IO", "Win32_System_Threading", "Win32_Security"] }
"#,
    )
    .unwrap();
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
}

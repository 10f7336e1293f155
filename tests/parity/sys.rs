//! Parity for the windows-sys surface: `app_sys.rs` is one source written against windows-sys
//! 0.61.2. Here it runs on Linux against the sim, and the same file (with `signatures_sys.rs`,
//! the signature pins `tests/surface_sys/signatures.rs` runs) is `cargo check`ed against
//! the real windows-sys 0.61.2 (section 4c of the surface spec: windows-sys compiles on Linux;
//! calls only fail to link): for the host, and for `x86_64-pc-windows-gnu`.
//!
//! The real crate comes from cargo's local cache (`--offline`); when it is not cached there
//! the check prints a `NOT RUN: ...` line saying why. `QWAVE_SIM_PARITY=1` (set by `.ci/run`)
//! lets cargo fetch it from crates.io and makes a failure to do so an error. A missing Windows
//! target is handled as in `main.rs`: a failure under `QWAVE_SIM_REQUIRE_WINDOWS_TARGET=1`,
//! otherwise a `NOT RUN` line.

use std::path::{Path, PathBuf};
use std::process::Command;

use qwave_sim::model::{Event, Func, TrafficType, Win32Error, World};

use super::calls;
use qwave_sim::Sim;

#[allow(dead_code)]
mod app {
    use qwave_sim::windows_sys;
    include!("app_sys.rs");
}

/// The default world, run as an administrator (QOSEnumerateFlows needs it, ENU-2).
fn admin_sim() -> Sim {
    let mut world = World::default();
    world.policy.admin = true;
    Sim::builder().world(world).build()
}

#[test]
fn parity_sys_app_non_adaptive_flows_run_against_the_sim() {
    let sim = admin_sim();
    let _g = sim.enter();
    let r = app::run("192.168.1.30:5000".parse().unwrap(), false).unwrap();
    assert_eq!(r.flow_ids, [1, 2]);
    assert_eq!(r.dscp, u32::from(TrafficType::Voice.dscp()));
    assert!(r.rate_admitted);
    assert_eq!(
        (r.rate_bps, r.rate_bytes),
        (64_000, 8),
        "the overlapped query saw the rate"
    );
    assert_eq!(r.port_key, 7, "the completion was queued with the handle's key");
    assert_eq!(r.enum_needed, 8, "two flows need 8 bytes");
    assert_eq!(r.enumerated, [1, 2]);
    assert_eq!(r.notify, app::Notify::NotSupported, "NOT-9");
    assert!(sim.flows().is_empty());
    assert_eq!(sim.all_handles().len(), 1, "one handle, closed");
    assert!(sim.handles().is_empty(), "and none left open");
    use Func::*;
    assert_eq!(
        calls(&sim),
        [
            CreateHandle,
            AddSocketToFlow,
            AddSocketToFlow,
            QueryFlow,
            SetFlow,
            QueryFlow,
            EnumerateFlows,
            EnumerateFlows,
            NotifyFlow,
            RemoveSocketFromFlow,
            RemoveSocketFromFlow,
            CloseHandle
        ]
    );
    assert_eq!(sim.deadlocks(), 0);
    sim.check_invariants().unwrap();
}

#[test]
fn parity_sys_app_adaptive_flows_complete_through_the_port_and_the_notification_is_cancelled() {
    let sim = admin_sim();
    let _g = sim.enter();
    let r = app::run("192.168.1.20:5000".parse().unwrap(), true).unwrap();
    assert_eq!(r.notify, app::Notify::Cancelled);
    assert!(!r.rate_admitted, "SET-6f: no rate before the path is measured");
    assert_eq!(
        (r.rate_bps, r.rate_bytes, r.port_key),
        (0, 8, 7),
        "AMB-18: no rate yet, but the overlapped query completes, also on the port"
    );
    assert_eq!((r.enum_needed, r.enumerated.as_slice()), (8, &[1, 2][..]));
    let completions: Vec<(Func, Win32Error)> = sim
        .events()
        .iter()
        .filter_map(|e| match &e.event {
            Event::Completion(c) => Some((c.func, c.status)),
            _ => None,
        })
        .collect();
    assert_eq!(
        completions,
        [
            (Func::QueryFlow, Win32Error::ERROR_SUCCESS),
            (Func::NotifyFlow, Win32Error::ERROR_OPERATION_ABORTED)
        ]
    );
    assert_eq!(sim.deadlocks(), 0);
    sim.check_invariants().unwrap();
}

#[test]
fn parity_sys_app_reports_the_wsa_error_for_an_unreachable_destination() {
    let sim = admin_sim();
    let _g = sim.enter();
    let e = app::run("198.51.100.7:5000".parse().unwrap(), false).unwrap_err();
    assert_eq!(e, 10065, "connect() fails first, with WSAEHOSTUNREACH");
    sim.check_invariants().unwrap();
}

/// Writes a crate that includes `app_sys.rs` against the real windows-sys 0.61.2.
fn parity_crate(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parity");
    let (app, sigs) = (here.join("app_sys.rs"), here.join("signatures_sys.rs"));
    std::fs::write(
        dir.join("Cargo.toml"),
        r#"[package]
name = "qwave-parity-sys"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
windows-sys = { version = "=0.61.2", features = ["Win32_NetworkManagement_QoS", "Win32_Foundation", "Win32_Networking_WinSock", "Win32_System_IO", "Win32_System_Threading", "Win32_Security"] }
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("src/lib.rs"),
        format!(
            "#![deny(warnings)]\n#[allow(dead_code)]\nmod app {{\n    include!({:?});\n}}\n\
             #[allow(dead_code)]\nmod signatures {{\n    include!({:?});\n}}\n",
            app.display().to_string(),
            sigs.display().to_string()
        ),
    )
    .unwrap();
    dir
}

/// `cargo check` of the parity crate (`target` = `None`: the host). `Err` = skipped, why.
fn check(target: Option<&str>) -> Result<(), String> {
    let online = std::env::var("QWAVE_SIM_PARITY").is_ok_and(|v| v == "1");
    let dir = parity_crate("parity-windows-sys");
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["check", "--quiet"]).current_dir(&dir);
    if let Some(t) = target {
        cmd.args(["--target", t]);
    }
    if !online {
        cmd.arg("--offline");
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && !online && stderr.contains("offline") {
        return Err(format!(
            "windows-sys 0.61.2 is not in cargo's local cache (QWAVE_SIM_PARITY=1 fetches it):\n{stderr}"
        ));
    }
    if !out.status.success() && stderr.contains("target may not be installed") {
        let t = target.unwrap_or("host");
        return Err(format!(
            "the `{t}` target is not installed (rustup target add {t})"
        ));
    }
    assert!(
        out.status.success(),
        "app_sys.rs does not compile against windows-sys 0.61.2 ({}):\n{stderr}",
        target.unwrap_or("host")
    );
    Ok(())
}

#[test]
fn parity_sys_app_compiles_against_windows_sys_0_61_2() {
    if let Err(why) = check(None) {
        super::not_run("parity check against windows-sys 0.61.2", &why);
        return;
    }
    // The Windows target (cargo says so when its std is not installed).
    const TARGET: &str = super::WINDOWS_TARGET;
    match check(Some(TARGET)) {
        Ok(()) => {
            println!("parity: app_sys.rs compiles against windows-sys 0.61.2 for the host and {TARGET}")
        }
        Err(why) => super::not_run(
            &format!("parity check against windows-sys 0.61.2 for {TARGET} (the host check passed)"),
            &why,
        ),
    }
}

//! Fault coverage: `Sim::coverage()` and the `QWAVE_SIM_COVERAGE` report that every sim of a
//! test binary adds to, from many threads and many processes at once.

use std::process::Command;
use std::time::Duration;

use qwave_sim::coverage::{Coverage, COVERAGE_ENV, SUCCESS};
use qwave_sim::model::Fault;
use qwave_sim::windows::Win32::Foundation::HANDLE;
use qwave_sim::windows::Win32::NetworkManagement::QoS::*;
use qwave_sim::Sim;

/// A small app run: a handle, a query on a flow that does not exist, a device reset, and a
/// call on the stale handle.
fn app_run(sim: &Sim) {
    let _g = sim.enter();
    let mut h = HANDLE::default();
    unsafe {
        QOSCreateHandle(
            &QOS_VERSION {
                MajorVersion: 1,
                MinorVersion: 0,
            },
            &mut h,
        )
    }
    .unwrap();
    let mut size = 16u32;
    let mut buf = [0u8; 16];
    let r = unsafe {
        QOSQueryFlow(
            h,
            7,
            QOSQueryPacketPriority,
            &mut size,
            buf.as_mut_ptr().cast(),
            None,
            None,
        )
    };
    assert!(!r.as_bool());
    sim.inject(Fault::DeviceReset);
    let mut size = 16u32;
    let r = unsafe {
        QOSQueryFlow(
            h,
            7,
            QOSQueryPacketPriority,
            &mut size,
            buf.as_mut_ptr().cast(),
            None,
            None,
        )
    };
    assert!(!r.as_bool());
    sim.advance(Duration::from_millis(10));
}

#[test]
fn sim_coverage_lists_codes_faults_rules_and_what_was_never_met() {
    let sim = Sim::builder().seed(1).build();
    app_run(&sim);
    let cov = sim.coverage();
    assert_eq!(cov.runs, 1);
    assert_eq!(cov.returned("QOSCreateHandle", SUCCESS), 1);
    assert_eq!(cov.returned("QOSQueryFlow", "ERROR_NOT_FOUND"), 1);
    assert_eq!(
        cov.returned("QOSQueryFlow", "ERROR_DEVICE_REINITIALIZATION_NEEDED"),
        1
    );
    assert_eq!(cov.faults.get("DeviceReset"), Some(&1));
    let rules = cov.rules();
    for id in ["CRE-4", "QRY-2", "GEN-8", "QRY-14"] {
        assert!(rules.contains(&id), "{id} in {rules:?}");
    }
    let missed: Vec<String> = cov.missed().iter().map(|m| m.to_string()).collect();
    assert!(missed.contains(&"QOSQueryFlow never returned ERROR_NO_DATA (232; QRY-9, AMB-36)".to_string()));
    assert!(
        !missed
            .iter()
            .any(|m| m.starts_with("QOSQueryFlow never returned ERROR_DEVICE_REINITIALIZATION_NEEDED")),
        "met, so not missed"
    );
    let text = cov.to_text();
    assert!(
        text.contains("QOSQueryFlow never returned ERROR_NO_DATA"),
        "{text}"
    );
    assert!(text.contains("faults fired: DeviceReset ×1"), "{text}");
    assert_eq!(Coverage::from_json(&cov.to_json()).unwrap(), cov);
}

/// Run by `reports_from_threads_and_processes_merge_into_one_file` in child processes: eight
/// threads, each with its own sim, dropped at once.
#[test]
#[ignore = "a child of reports_from_threads_and_processes_merge_into_one_file"]
fn coverage_child_eight_parallel_sims() {
    let threads: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                let sim = Sim::builder().seed(i).build();
                app_run(&sim);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn reports_from_threads_and_processes_merge_into_one_file() {
    let dir = std::env::temp_dir().join(format!("qwave-sim-coverage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("coverage.json");
    let _ = std::fs::remove_file(&path);
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..3)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "coverage_child_eight_parallel_sims",
                    "--ignored",
                    "--test-threads=1",
                ])
                .env(COVERAGE_ENV, &path)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let cov = Coverage::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(cov.runs, 24, "3 processes × 8 sims, none lost");
    assert_eq!(cov.returned("QOSCreateHandle", SUCCESS), 24);
    assert_eq!(cov.returned("QOSQueryFlow", "ERROR_NOT_FOUND"), 24);
    assert_eq!(cov.faults.get("DeviceReset"), Some(&24));
    let _ = std::fs::remove_dir_all(&dir);
}

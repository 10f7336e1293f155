//! The thread-local last error, and calls without an entered sim.

use super::common::*;

#[test]
fn last_error_slot_is_shared_with_the_windows_surface_and_works_without_a_sim() {
    unsafe {
        SetLastError(ERROR_NOT_FOUND);
        assert_eq!(
            qwave_sim::windows::Win32::Foundation::GetLastError().0,
            ERROR_NOT_FOUND
        );
        WSASetLastError(WSAENOTSOCK);
        assert_eq!(GetLastError(), WSAENOTSOCK as u32, "GEN-1: one slot");
        assert_eq!(WSAGetLastError(), WSAENOTSOCK);
    }
}

/// Without an entered sim a call panics saying how to enter one; the functions are
/// `extern "system"`, so the panic cannot unwind and the process aborts after printing it.
/// Checked in a child process (this test binary, re-run on this one test).
#[test]
fn call_without_a_sim_aborts_with_a_message_saying_how_to_enter_one() {
    const NAME: &str = "runtime::call_without_a_sim_aborts_with_a_message_saying_how_to_enter_one";
    if std::env::var_os("QWAVE_SIM_SYS_CHILD").is_some() {
        let r = unsafe { QOSCloseHandle(null_mut()) };
        println!("not reached: {r}");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
        .env("QWAVE_SIM_SYS_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the child must not pass: {stderr}");
    assert!(
        stderr.contains("`QOSCloseHandle` was called on a thread that has no simulator entered"),
        "{stderr}"
    );
    assert!(stderr.contains("let _guard = sim.enter();"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("not reached"));
}

#[cfg(unix)]
#[test]
fn failed_calls_set_errno_to_the_last_error_and_successful_ones_leave_it() {
    let errno = || std::io::Error::last_os_error().raw_os_error();
    let sim = Sim::new();
    let _g = sim.enter();
    unsafe {
        let mut h: HANDLE = null_mut();
        assert_eq!(QOSCreateHandle(null(), &mut h), 0);
        assert_eq!(errno(), Some(ERROR_INVALID_PARAMETER as i32));
        assert_eq!(errno(), Some(GetLastError() as i32));
        assert_eq!(socket(AF_INET as i32, 99, 0), INVALID_SOCKET);
        assert_eq!(errno(), Some(WSAGetLastError()));
        assert_eq!(CloseHandle(GARBAGE), 0);
        assert_eq!(errno(), Some(ERROR_INVALID_HANDLE as i32));

        assert!(std::fs::File::open("/qwave-sim/no/such/file").is_err());
        assert_eq!(errno(), Some(2));
        assert_ne!(QOSCreateHandle(&V1, &mut h), 0);
        assert_ne!(QOSCloseHandle(h), 0);
        assert_eq!(errno(), Some(2), "success leaves errno alone (GEN-2)");
    }
}

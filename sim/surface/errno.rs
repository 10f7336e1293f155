//! The C `errno` of the calling thread, on Unix.
//!
//! On Windows `std::io::Error::last_os_error()` reads `GetLastError()`; on Unix it reads
//! `errno`. So that apps which report a failed windows-shaped call with
//! `io::Error::last_os_error()` see the Win32 code under the simulator too, every write of the
//! simulated last error also writes `errno` (see [`super::set_last_error`]). Calls the sim makes
//! to the OS itself (reading a real socket's addresses) keep the caller's `errno` with
//! [`Preserved`], and every windows-shaped call settles `errno` once it has released the sim
//! ([`CallErrno`]): waiting for the sim's lock or in a blocking call goes through the OS, which
//! may write `errno` even when the call then succeeds.

/// The address of this thread's `errno`, where the platform has one we know.
#[cfg(any(
    target_os = "linux",
    target_os = "emscripten",
    target_os = "redox",
    target_os = "hurd"
))]
fn location() -> Option<*mut libc::c_int> {
    // SAFETY: returns this thread's errno slot; always valid.
    Some(unsafe { libc::__errno_location() })
}

#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "tvos",
    target_os = "watchos",
    target_os = "freebsd"
))]
fn location() -> Option<*mut libc::c_int> {
    // SAFETY: returns this thread's errno slot; always valid.
    Some(unsafe { libc::__error() })
}

#[cfg(any(target_os = "android", target_os = "netbsd", target_os = "openbsd"))]
fn location() -> Option<*mut libc::c_int> {
    // SAFETY: returns this thread's errno slot; always valid.
    Some(unsafe { libc::__errno() })
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "emscripten",
    target_os = "redox",
    target_os = "hurd",
    target_os = "macos",
    target_os = "ios",
    target_os = "tvos",
    target_os = "watchos",
    target_os = "freebsd",
    target_os = "android",
    target_os = "netbsd",
    target_os = "openbsd"
)))]
fn location() -> Option<*mut libc::c_int> {
    None
}

/// Sets this thread's `errno` (no-op where the platform's errno is unknown).
pub(crate) fn set(code: i32) {
    if let Some(p) = location() {
        // SAFETY: this thread's errno slot.
        unsafe { *p = code };
    }
}

/// This thread's `errno` (0 where unknown).
pub(crate) fn get() -> i32 {
    // SAFETY: this thread's errno slot.
    location().map_or(0, |p| unsafe { *p })
}

/// Restores `errno` when dropped: wraps the sim's own OS calls, whose failures must not leak
/// into the app's `errno` (a successful windows-shaped call leaves it alone, GEN-2).
pub(crate) struct Preserved(i32);

impl Preserved {
    /// Remembers the current `errno`.
    pub(crate) fn new() -> Preserved {
        Preserved(get())
    }
}

impl Drop for Preserved {
    fn drop(&mut self) {
        set(self.0);
    }
}

/// `errno` around one windows-shaped call: after it, `errno` is the call's last error if the
/// call failed (wrote the last error), and what it was before the call otherwise (GEN-2),
/// whatever the lock and the waits did to it in between.
pub(crate) struct CallErrno {
    saved: i32,
    writes: u64,
}

impl CallErrno {
    /// Before the call (before taking the sim's lock).
    pub(crate) fn begin() -> CallErrno {
        CallErrno {
            saved: get(),
            writes: super::last_error_writes(),
        }
    }

    /// After the call, with the sim's lock released.
    pub(crate) fn end(self) {
        if super::last_error_writes() != self.writes {
            set(super::last_error() as i32);
        } else {
            set(self.saved);
        }
    }
}

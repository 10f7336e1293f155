//! `qwave.dll`: the qwave-sim model behind the 11 functions of `qos2.h`, so that an unmodified
//! Windows program (C, C++, or Rust on the real `windows` crate) gets simulated qWAVE when it
//! runs under Wine (`qwave-sim wine -- PROGRAM.exe`).
//!
//! Build it with `cargo build -p qwave-dll --target x86_64-pc-windows-gnu`; the output is
//! `qwave.dll`. On any other target this crate exports nothing: it holds only the
//! platform-independent [`engine`], so the Linux workspace builds and tests it.
//!
//! Each export is a thin adapter over the same model as the in-process surfaces: the caller's
//! pointers are decoded by the library's own decoding (`qwave_sim::ffi`), the resulting
//! `Call` goes to `Model::apply`, and the outputs are written back the same way. What differs
//! is the boundary, which is Windows' own (through the kernel32, ws2_32 and ntdll of Wine):
//!
//! - the last error is set with `SetLastError`, and left as it was after a success (GEN-2);
//! - a `SOCKET` is read from the app's real socket (`getsockopt(SO_PROTOCOL_INFOW)`,
//!   `getsockname`, `getpeername`) on every use;
//! - a QoS handle is a real kernel object (a UDP socket bound to 127.0.0.1), so the app can
//!   bind it to its own I/O completion port, and every OVERLAPPED is completed by Wine's
//!   kernel side as a driver completes an IRP: see [`engine::Os`] and the Windows module.
//!
//! Configuration (`QWAVE_SIM_*`, see `qwave_sim::ffi::config`) is read once, at the first
//! call. A bad value is reported on stderr, and `QOSCreateHandle` then fails with
//! `ERROR_SERVICE_DEPENDENCY_FAIL` (1068, "the qWAVE service cannot start", CRE-6); the other
//! functions give `ERROR_INVALID_HANDLE` (6), as no handle exists.
#![warn(missing_docs)]

pub mod engine;

#[cfg(windows)]
mod win;

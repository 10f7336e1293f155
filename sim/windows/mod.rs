//! The `windows` 0.62.2 surface: the same module paths, names, signatures, types and
//! constants as the real crate, for the parts a qWAVE app uses. Swap one line:
//!
//! ```
//! use qwave_sim::windows as windows; // instead of the real `windows` crate
//! use windows::Win32::Foundation::{GetLastError, HANDLE, ERROR_INVALID_HANDLE};
//! use windows::Win32::NetworkManagement::QoS::QOSCloseHandle;
//!
//! let sim = qwave_sim::Sim::new();
//! let _g = sim.enter();
//! let r = unsafe { QOSCloseHandle(HANDLE::default()) };
//! assert!(!r.as_bool());
//! assert_eq!(unsafe { GetLastError() }, ERROR_INVALID_HANDLE);
//! ```
//!
//! Every function acts on the simulator entered on the calling thread ([`crate::Sim::enter`])
//! and panics, saying how to enter one, if there is none. Only the thread-local last error
//! (`GetLastError`, `SetLastError`, `WSAGetLastError`, `WSASetLastError`, `BOOL::ok`) works
//! without a sim.

#[allow(
    non_snake_case,
    non_camel_case_types,
    non_upper_case_globals,
    clippy::upper_case_acronyms
)]
pub mod Win32;
pub mod core;

//! voice-app: the QoS side of a small voice chat app, written for Windows (qWAVE, through the
//! `windows` crate) and tested on any OS through qwave-sim.
//!
//! - [`qos`]: the calls, exactly as against `windows` 0.62; only the `use` lines differ.
//! - [`session`]: the app around them: a call that marks its socket, declares its bit rate
//!   once qWAVE has measured the path, halves it on congestion (a thread blocked in
//!   `QOSNotifyFlow`, ended at shutdown by closing the handle), and a keeper that recovers
//!   from device resets and sleep.
//!
//! Off Windows the modules exist only for tests: unit tests (`cfg(test)`) and integration tests
//! (the `qwave-sim` feature, which `tests/` get through the dev-dependency on this crate).

#[cfg(any(windows, test, feature = "qwave-sim"))]
pub mod qos;
#[cfg(any(windows, test, feature = "qwave-sim"))]
pub mod session;

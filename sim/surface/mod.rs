//! The machinery shared by the windows-shaped surfaces (`crate::windows`, and later
//! `windows_sys`): the thread's current simulator, the simulated thread last error, pointer
//! decoding, overlapped-completion writing, kernel objects (events, completion ports) and
//! virtual-time waits.
//!
//! Each surface is a thin adapter that turns its own types (`HANDLE(..)` or `*mut c_void`,
//! `SOCKET(..)` or `usize`, `BOOL` or `i32`) into the raw values these functions take.
//!
//! **Invariant:** no result depends on the wall clock: every wait runs the model's timeline on
//! the virtual clock (`wait`); the wall clock is read only to say on stderr that a wait or an
//! `enter_process` has been blocked for a long time. **Invariant:** the last error is written
//! only on failure (GEN-2), and with it, on Unix, `errno` (module `errno`).

pub(crate) mod addr;
pub(crate) mod current;
pub(crate) mod decode;
#[cfg(unix)]
pub(crate) mod errno;
pub(crate) mod external;
pub(crate) mod io;
pub(crate) mod kernel;
pub(crate) mod qos;
pub(crate) mod wait;
pub(crate) mod winsock;

use std::cell::Cell;

use crate::model::Model;

pub(crate) use current::with_state;

/// Everything one simulator holds: the model and the surface's own state.
#[derive(Debug)]
pub(crate) struct State {
    /// The pure qWAVE model.
    pub model: Model,
    /// Pending overlapped I/O, events and completion ports.
    pub io: io::Io,
    /// Real OS sockets the app passed (when the sim takes them).
    pub os: external::OsSockets,
    /// The threads on the sim: who entered it, who waits (`wait`).
    pub sync: wait::Sync,
}

impl State {
    pub(crate) fn new(mut model: Model) -> State {
        // Blocking notifications are waited for by the surface, with the sim unlocked.
        model.set_defer_blocking(true);
        State {
            model,
            io: io::Io::default(),
            os: external::OsSockets::default(),
            sync: wait::Sync::default(),
        }
    }

    /// Writes every completion the model delivered into the callers' OVERLAPPEDs, buffers,
    /// events and completion ports. Called after every model call and every time step.
    #[inline]
    pub(crate) fn drain(&mut self) {
        if !self.model.has_completions() {
            return;
        }
        for c in self.model.take_completions() {
            // SAFETY: the pointers were handed to us with the request, and the qos2.h contract
            // (QRY-15) says they stay valid until the request completes.
            unsafe { self.io.complete(&c) };
        }
    }

    /// Runs every event due now, then drains.
    pub(crate) fn settle(&mut self) {
        self.model.settle();
        self.drain();
    }
}

thread_local! {
    static LAST_ERROR: Cell<u32> = const { Cell::new(0) };
    /// How many times this thread's last error was written (tells a call whether it failed).
    static LAST_ERROR_WRITES: Cell<u64> = const { Cell::new(0) };
}

/// How many times this thread's last error was written so far (read by `errno`, Unix only).
#[cfg(unix)]
pub(crate) fn last_error_writes() -> u64 {
    LAST_ERROR_WRITES.with(Cell::get)
}

/// The simulated thread last error (`GetLastError`, `WSAGetLastError`: one slot, GEN-1).
pub(crate) fn last_error() -> u32 {
    LAST_ERROR.with(Cell::get)
}

/// Sets the simulated thread last error, and on Unix `errno` to the same code, so
/// `std::io::Error::last_os_error()` reports it as it does on Windows.
pub(crate) fn set_last_error(code: u32) {
    LAST_ERROR.with(|c| c.set(code));
    LAST_ERROR_WRITES.with(|c| c.set(c.get().wrapping_add(1)));
    #[cfg(unix)]
    errno::set(code as i32);
}

/// Records a failure: sets the last error and returns `false` (GEN-1).
pub(crate) fn fail(code: u32) -> bool {
    set_last_error(code);
    false
}

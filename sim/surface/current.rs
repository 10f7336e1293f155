//! The thread's current simulator: a stack of entered sims (guards nest).

use std::cell::RefCell;
use std::sync::{Arc, Mutex, MutexGuard};

use super::State;

/// A shared simulator state.
pub(crate) type Shared = Arc<Mutex<State>>;

thread_local! {
    /// Entered sims, innermost last, each with the token of the guard that entered it.
    static STACK: RefCell<(u64, Vec<(u64, Shared)>)> = const { RefCell::new((0, Vec::new())) };
}

/// Makes `s` the current sim of this thread until [`exit`] with the returned token.
pub(crate) fn enter(s: Shared) -> u64 {
    STACK.with(|st| {
        let mut st = st.borrow_mut();
        st.0 += 1;
        let token = st.0;
        st.1.push((token, s));
        token
    })
}

/// Leaves the entry of `token` (guards dropped out of order leave the right one).
pub(crate) fn exit(token: u64) {
    STACK.with(|st| st.borrow_mut().1.retain(|(t, _)| *t != token));
}

/// The current sim of this thread, if any.
pub(crate) fn current() -> Option<Shared> {
    STACK.with(|st| st.borrow().1.last().map(|(_, s)| s.clone()))
}

/// Locks a sim's state, even if a panicking thread poisoned the lock (the state is only ever
/// mutated through complete model calls, so it stays consistent).
pub(crate) fn lock(s: &Shared) -> MutexGuard<'_, State> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f` on the current sim's state. Panics, saying how to enter a sim, when this thread
/// has none: a windows-shaped call outside a simulation is a test bug, and failing loudly
/// beats silently talking to nothing.
pub(crate) fn with_state<R>(func: &str, f: impl FnOnce(&mut State) -> R) -> R {
    let Some(s) = current() else {
        panic!(
            "qwave-sim: `{func}` was called on a thread that has no simulator entered.\n\
             Enter one before making windows-shaped calls:\n    \
             let sim = qwave_sim::Sim::new();\n    \
             let _guard = sim.enter();\n\
             `sim.enter()` covers this thread only. If the app starts threads of its own \
             (std::thread::spawn, a tokio multi-thread runtime, #[tokio::test(flavor = \
             \"multi_thread\")], spawn_blocking, rayon), enter the simulator process-wide \
             instead, so every thread without a sim of its own uses it:\n    \
             let _guard = sim.enter_process();\n\
             or start threads with `sim.spawn(..)` / `qwave_sim::thread::spawn(..)` so they \
             enter the same simulator."
        )
    };
    let mut st = lock(&s);
    f(&mut st)
}

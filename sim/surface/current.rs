//! The thread's current simulator: a stack of entered sims (guards nest).

use std::cell::RefCell;
use std::sync::{Arc, Mutex, MutexGuard};

use super::State;

/// A shared simulator state.
pub(crate) type Shared = Arc<Mutex<State>>;

thread_local! {
    static STACK: RefCell<Vec<Shared>> = const { RefCell::new(Vec::new()) };
}

/// Makes `s` the current sim of this thread until [`exit`].
pub(crate) fn enter(s: Shared) {
    STACK.with(|st| st.borrow_mut().push(s));
}

/// Restores the sim that was current before the matching [`enter`].
pub(crate) fn exit() {
    STACK.with(|st| {
        st.borrow_mut().pop();
    });
}

/// The current sim of this thread, if any.
pub(crate) fn current() -> Option<Shared> {
    STACK.with(|st| st.borrow().last().cloned())
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
             and start threads with `sim.spawn(..)` or `qwave_sim::thread::spawn(..)` so they \
             enter the same simulator."
        )
    };
    let mut st = lock(&s);
    f(&mut st)
}

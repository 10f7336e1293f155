//! Waiting on the virtual clock (GEN-4, AMB-31).
//!
//! A wait never sleeps. It runs the model's timeline one scheduled event at a time, writing
//! completions as they arrive, until its condition holds:
//! - with a finite timeout, the clock moves forward at most that far, then the wait reports
//!   a timeout;
//! - with `INFINITE` (or `GetOverlappedResult(.., bWait = TRUE)`) it runs events until the
//!   condition holds; if nothing scheduled within the world's `deadlock_after_ms` makes it
//!   hold, that is a deadlock (AMB-31): it is recorded (`Event::Deadlock`, counted by
//!   `Sim::deadlocks`), the clock stands at the limit, and the wait fails instead of hanging.
//!
//! A wait holds its simulator while it runs: a `SetEvent` or `PostQueuedCompletionStatus`
//! that another thread would make *during* the wait is not seen by it. Only the timeline
//! (completions, faults, scheduled path changes) ends a wait. This keeps every run
//! deterministic; apps with a dedicated completion thread should wait with finite timeouts
//! in a loop, or drive completions from the thread that issued the requests.

use super::State;
use crate::model::Func;

/// `INFINITE`.
pub(crate) const INFINITE: u32 = u32::MAX;

/// How a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Waited {
    /// The condition holds.
    Done,
    /// A finite timeout elapsed.
    TimedOut,
    /// An infinite wait that nothing could end (AMB-31).
    Deadlock,
}

/// Waits until `ready` holds, at most `timeout_ms` of virtual time (`INFINITE`: see module
/// docs). `concerns` is the qWAVE function whose request the wait is for, if known.
pub(crate) fn wait(
    st: &mut State,
    timeout_ms: u32,
    concerns: Option<Func>,
    ready: impl Fn(&State) -> bool,
) -> Waited {
    st.settle();
    if ready(st) {
        return Waited::Done;
    }
    if timeout_ms == 0 {
        return Waited::TimedOut;
    }
    let infinite = timeout_ms == INFINITE;
    let span_ms = if infinite {
        st.model.world_settings().deadlock_after_ms
    } else {
        u64::from(timeout_ms)
    };
    let start = st.model.now();
    let limit = start.plus_us(span_ms.saturating_mul(1000));
    while st.model.step_before(limit) {
        st.drain();
        if ready(st) {
            // Log how far the wait moved the clock, as `Sim::advance` does, so traces show
            // the time passing and recordings replay it.
            let now = st.model.now();
            if now > start {
                st.model.advance_to(now);
            }
            return Waited::Done;
        }
    }
    st.model.advance_to(limit);
    st.drain();
    if ready(st) {
        return Waited::Done;
    }
    if !infinite {
        return Waited::TimedOut;
    }
    match concerns {
        Some(f) => st.model.note_deadlock(f),
        None => st.io.orphan_deadlocks += 1,
    }
    Waited::Deadlock
}

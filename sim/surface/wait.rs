//! Waiting on the virtual clock (GEN-4, NOT-12, AMB-31), with the simulator unlocked.
//!
//! A wait never sleeps on the wall clock to let virtual time pass. It registers what would end
//! it (a *claim*: an event signaled, a packet queued, an OVERLAPPED completed, a blocked
//! notification's outcome) and its *limit* (the timeout, or the world's `deadlock_after_ms` for
//! an infinite wait), then releases the sim's lock, so other threads' calls proceed:
//! - any call or `Sim` method that changes the state checks every waiting claim before it
//!   returns: a `SetEvent`, a `QOSCloseHandle` or `QOSCancel` (CLO-5, NOT-14, CAN-3: 995), a
//!   flow removal (REM-9), an injected fault or an advance ends the waits it satisfies, at the
//!   moment it satisfies them (an advance stops at each scheduled event and each limit to check);
//! - **virtual time moves on its own only when the sim is quiescent**: every *participant*
//!   (a thread that entered the sim, see `current`) is waiting, and no wait is ending. One of the
//!   waiting threads then runs the timeline, one scheduled event at a time, checking the claims
//!   after each, like tokio's paused clock advancing when the runtime is idle; with nothing
//!   scheduled before the earliest limit, the clock jumps to it: a finite wait times out, an
//!   infinite one is a deadlock (AMB-31: recorded as `Event::Deadlock`, counted by
//!   `Sim::deadlocks`, and the call fails instead of hanging).
//!
//! A thread alone on its sim is quiescent whenever it waits: it runs the timeline itself, under
//! the lock, exactly as a single-threaded program always did (same results, same events).
//!
//! The only wall-clock reads are diagnostics: a wait that has not ended after a few seconds
//! says on stderr which participants keep virtual time from moving.

use std::collections::BTreeMap;
use std::thread::Thread;
use std::time::Instant;

use super::current::{Cx, LONG_WAIT};
use super::io::Packet;
use super::State;
use crate::model::{CallResult, Func, VirtualTime};

/// `INFINITE`.
pub(crate) const INFINITE: u32 = u32::MAX;

/// How a wait ended without its condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Waited {
    /// A finite timeout elapsed.
    TimedOut,
    /// An infinite wait that nothing could end (AMB-31).
    Deadlock,
}

/// What ended a wait, decided under the lock at the moment it happened (so a condition that
/// holds only for a moment is not missed by a thread that wakes later).
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The condition held (the claim did what the wait does when it succeeds, e.g. reset an
    /// auto-reset event).
    Ready,
    /// The object at this index of a multiple-object wait.
    Index(usize),
    /// A packet dequeued from a completion port.
    Packet(Packet),
    /// The object waited on was closed by another thread during the wait.
    Abandoned,
    /// A blocked notification's result.
    Call(CallResult),
    /// The limit came with nothing ending the wait.
    Expired,
}

/// Checks whether a wait is over, doing what ending it does (consume the event, dequeue the
/// packet). Runs under the lock, on whichever thread changed the state.
pub(crate) type Claim = Box<dyn FnMut(&mut State) -> Option<Outcome> + Send>;

struct Waiter {
    id: u64,
    limit: VirtualTime,
    claim: Claim,
    outcome: Option<Outcome>,
}

/// The threads on one sim: participants (threads that entered it) and waits in progress.
#[derive(Default)]
pub(crate) struct Sync {
    /// Participants not waiting, by id, with their thread for diagnostics (`None`: started by
    /// `Sim::spawn`, not running yet).
    active: BTreeMap<u64, Option<Thread>>,
    /// Participants waiting (in a wait, `Sim::idle`, or joining a `Sim::spawn` thread).
    idle: BTreeMap<u64, Option<Thread>>,
    next_id: u64,
    /// Waits in progress, oldest first (claims are checked in this order).
    waiters: Vec<Waiter>,
}

impl std::fmt::Debug for Sync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sync")
            .field("active", &self.active)
            .field("idle", &self.idle)
            .field("waiters", &self.waiters.len())
            .finish()
    }
}

impl Sync {
    /// A new participant, active.
    pub(crate) fn join(&mut self, thread: Option<Thread>) -> u64 {
        self.next_id += 1;
        self.active.insert(self.next_id, thread);
        self.next_id
    }

    /// A participant leaves.
    pub(crate) fn leave(&mut self, id: u64) {
        if self.active.remove(&id).is_none() {
            self.idle.remove(&id);
        }
    }

    /// Names a participant's thread (the thread that took over a reservation).
    pub(crate) fn rename(&mut self, id: u64, thread: Thread) {
        if let Some(t) = self.active.get_mut(&id).or_else(|| self.idle.get_mut(&id)) {
            *t = Some(thread);
        }
    }

    /// A participant starts (`true`) or stops waiting.
    pub(crate) fn set_idle(&mut self, id: u64, idle: bool) {
        let (from, to) = if idle {
            (&mut self.active, &mut self.idle)
        } else {
            (&mut self.idle, &mut self.active)
        };
        if let Some(n) = from.remove(&id) {
            to.insert(id, n);
        }
    }

    /// Whether any wait is in progress.
    pub(crate) fn has_waiters(&self) -> bool {
        !self.waiters.is_empty()
    }

    /// Waits in progress that nothing has ended yet.
    pub(crate) fn blocked(&self) -> usize {
        self.waiters.iter().filter(|w| w.outcome.is_none()).count()
    }

    /// Every participant waits and no wait is ending: virtual time may move.
    pub(crate) fn quiescent(&self) -> bool {
        self.active.is_empty() && self.waiters.iter().all(|w| w.outcome.is_none())
    }

    /// The earliest limit of the waits nothing has ended yet.
    pub(crate) fn earliest_limit(&self) -> Option<VirtualTime> {
        self.waiters
            .iter()
            .filter(|w| w.outcome.is_none())
            .map(|w| w.limit)
            .min()
    }

    /// Who keeps virtual time from moving, for the long-wait message.
    fn holders(&self) -> String {
        let names: Vec<String> = self
            .active
            .values()
            .map(|t| match t {
                Some(t) => format!("thread {}", super::current::name_of(t)),
                None => "a thread started by Sim::spawn, not running yet".into(),
            })
            .collect();
        if names.is_empty() {
            "none (a wait is ending)".into()
        } else {
            names.join(", ")
        }
    }
}

impl State {
    /// Checks every wait nothing has ended yet, in the order they began: a claim that holds
    /// ends its wait now; a wait whose limit has come (nothing left to run before it) expires.
    /// Returns whether any wait ended.
    pub(crate) fn poll_waiters(&mut self) -> bool {
        if self.sync.waiters.is_empty() {
            return false;
        }
        let mut ws = std::mem::take(&mut self.sync.waiters);
        let mut any = false;
        for w in ws.iter_mut().filter(|w| w.outcome.is_none()) {
            if let Some(o) = (w.claim)(self) {
                w.outcome = Some(o);
                any = true;
            } else if self.expired(w.limit) {
                w.outcome = Some(Outcome::Expired);
                any = true;
            }
        }
        self.sync.waiters = ws;
        any
    }

    /// The limit has come: the clock is there and nothing scheduled at or before it is left.
    fn expired(&self, limit: VirtualTime) -> bool {
        self.model.now() >= limit && self.model.next_event_time().is_none_or(|t| t > limit)
    }

    /// Runs the timeline to `to` while waits are in progress: one scheduled event or wait limit
    /// at a time, checking the waits after each (`Sim::advance`).
    pub(crate) fn run_with_waiters(&mut self, to: VirtualTime) {
        loop {
            let stop = self.sync.earliest_limit().map_or(to, |l| l.min(to));
            if self.model.step_before(stop) {
                self.drain();
                self.poll_waiters();
                continue;
            }
            if stop < to && self.model.now() < stop {
                self.model.run_until(stop);
                self.poll_waiters();
                continue;
            }
            return;
        }
    }
}

/// Blocks the calling thread until its wait ends, letting other threads' calls in meanwhile
/// and running the timeline when the sim is quiescent (module docs). Returns the outcome and
/// the claim (for a last look after expiry).
pub(crate) fn block(cx: &mut Cx<'_>, limit: VirtualTime, claim: Claim) -> (Outcome, Claim) {
    let id = {
        let s = &mut cx.sync;
        s.next_id += 1;
        let id = s.next_id;
        s.waiters.push(Waiter {
            id,
            limit,
            claim,
            outcome: None,
        });
        id
    };
    if let Some(p) = cx.participant {
        cx.sync.set_idle(p, true);
    }
    cx.sim.cv.notify_all(); // the sim may be quiescent now
    let started = Instant::now();
    let mut told = false;
    let outcome = loop {
        cx.drain();
        if cx.poll_waiters() {
            cx.sim.cv.notify_all();
        }
        let mine = cx.sync.waiters.iter_mut().find(|w| w.id == id);
        if let Some(o) = mine.and_then(|w| w.outcome.take()) {
            break o;
        }
        if cx.sync.quiescent() {
            let target = cx.sync.earliest_limit().unwrap_or(limit);
            if !cx.model.step_before(target) {
                cx.model.run_until(target);
            }
            continue;
        }
        cx.sleep(LONG_WAIT);
        if !told && started.elapsed() >= LONG_WAIT {
            told = true;
            eprintln!(
                "qwave-sim: a thread has waited {} s (wall clock) in {} for virtual time to move. \
                 Virtual time moves on its own only when every thread that entered the sim \
                 (`sim.enter()`, `sim.spawn`) is waiting in it; not waiting now: {}. A thread \
                 that entered the sim and then blocks outside it (a join, a channel receive, an \
                 .await) holds the clock: run that inside `sim.idle(|| ..)`, or drop its guard \
                 first.",
                started.elapsed().as_secs(),
                cx.func,
                cx.sync.holders()
            );
        }
    };
    let pos = cx.sync.waiters.iter().position(|w| w.id == id).expect("own wait");
    let w = cx.sync.waiters.remove(pos);
    if let Some(p) = cx.participant {
        cx.sync.set_idle(p, false);
    }
    (outcome, w.claim)
}

/// Waits until `claim` holds, at most `timeout_ms` of virtual time (`INFINITE`: see module
/// docs). `concerns` is the qWAVE function whose request the wait is for, if known.
pub(crate) fn wait(
    cx: &mut Cx<'_>,
    timeout_ms: u32,
    concerns: Option<Func>,
    mut claim: impl FnMut(&mut State) -> Option<Outcome> + Send + 'static,
) -> Result<Outcome, Waited> {
    cx.settle();
    if let Some(o) = claim(cx) {
        return Ok(o);
    }
    if timeout_ms == 0 {
        return Err(Waited::TimedOut);
    }
    let infinite = timeout_ms == INFINITE;
    let span_ms = if infinite {
        cx.model.world_settings().deadlock_after_ms
    } else {
        u64::from(timeout_ms)
    };
    let start = cx.model.now();
    let limit = start.plus_us(span_ms.saturating_mul(1000));
    let (outcome, mut claim) = block(cx, limit, Box::new(claim));
    if !matches!(outcome, Outcome::Expired) {
        // Log how far the wait moved the clock, as `Sim::advance` does, so traces show the
        // time passing and recordings replay it.
        let now = cx.model.now();
        if now > start {
            cx.model.advance_to(now);
        }
        return Ok(outcome);
    }
    if cx.model.now() <= limit {
        cx.model.advance_to(limit);
    }
    cx.drain();
    if let Some(o) = claim(cx) {
        return Ok(o);
    }
    if !infinite {
        return Err(Waited::TimedOut);
    }
    match concerns {
        Some(f) => cx.model.note_deadlock(f),
        None => cx.io.orphan_deadlocks += 1,
    }
    Err(Waited::Deadlock)
}

/// Ends a synchronous `QOSNotifyFlow` the model handed back instead of blocking
/// (`model::blocking`): waits with the sim unlocked until its outcome (NOT-12; CLO-5, REM-9,
/// NOT-14: 995 when its handle closes or its flow goes), or the deadlock at its limit (AMB-31).
/// Any other result passes through.
pub(crate) fn unless_blocked(cx: &mut Cx<'_>, r: CallResult) -> CallResult {
    let Some(mut b) = cx.model.take_blocked() else {
        return r;
    };
    cx.model.locate_blocked_event(&mut b);
    let claim: Claim = Box::new(move |st: &mut State| st.model.blocked_outcome(&b).map(Outcome::Call));
    let (outcome, _) = block(cx, b.limit, claim);
    let result = match outcome {
        Outcome::Call(r) => r,
        _ => cx.model.blocked_deadlock(&b),
    };
    cx.model.end_blocked(&b, &result);
    result
}

//! Which simulator a thread's windows-shaped calls act on, and which threads count as using it.
//!
//! A thread's own entered sims form a stack (guards nest; the innermost wins). A thread with
//! none falls back to the **process-wide** sim, if one is entered (`Sim::enter_process`): that
//! is how threads the app starts itself (std threads, tokio workers and `spawn_blocking`,
//! rayon) reach the sim. There is one process-wide sim at a time; a second `enter_process`
//! waits for the first guard to drop, so tests that use it serialize.
//!
//! **Who holds virtual time** (see [`super::wait`]): a thread that has *entered* a sim (an
//! `EnterGuard`, or the body of a thread started by `Sim::spawn`) is a *participant* of that
//! sim until its last guard for it drops. Virtual time moves on its own only while every
//! participant is waiting (in a virtual-clock wait, in `Sim::idle`, or joining a `Sim::spawn`
//! thread). Threads that reach a sim only through process-wide mode are not participants: they
//! count only while inside a call, which they make atomically under the sim's lock.

use std::cell::RefCell;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use super::State;

/// One simulator as its handles share it: the state, and the condition variable that waits on
/// the virtual clock sleep on while they let other threads' calls in.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) state: Mutex<State>,
    pub(crate) cv: Condvar,
}

/// A shared simulator.
pub(crate) type Shared = Arc<Inner>;

/// A new shared simulator around `state`.
pub(crate) fn share(state: State) -> Shared {
    Arc::new(Inner {
        state: Mutex::new(state),
        cv: Condvar::new(),
    })
}

/// One entry of a thread's stack: the guard's token, the sim, and the participant id if this
/// entry is the one that counts the thread as a participant of that sim.
struct Entry {
    token: u64,
    sim: Shared,
    participant: Option<u64>,
}

/// A thread's entered sims, innermost last, and the last token issued.
struct Stack(u64, Vec<Entry>);

impl Drop for Stack {
    /// A thread that ends with guards still alive (leaked) stops being a participant, so it
    /// cannot keep other threads' waits from running the clock.
    fn drop(&mut self) {
        for e in self.1.drain(..) {
            if let Some(id) = e.participant {
                leave(&e.sim, id);
            }
        }
    }
}

thread_local! {
    static STACK: RefCell<Stack> = const { RefCell::new(Stack(0, Vec::new())) };
}

/// A participant registration made by one thread for another (`Sim::spawn` registers the new
/// thread before it starts, so no time passes in between). Dropped unused, it unregisters.
pub(crate) struct Reservation {
    sim: Shared,
    id: Option<u64>,
}

impl Reservation {
    /// Registers a participant of `s` now, to be taken over by the thread that enters with it.
    pub(crate) fn new(s: &Shared) -> Reservation {
        let id = lock(s).sync.join(None);
        Reservation {
            sim: s.clone(),
            id: Some(id),
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            leave(&self.sim, id);
        }
    }
}

/// How diagnostics name a thread.
pub(crate) fn name_of(t: &std::thread::Thread) -> String {
    match t.name() {
        Some(n) => format!("'{n}'"),
        None => format!("{:?}", t.id()),
    }
}

fn thread_name() -> String {
    name_of(&std::thread::current())
}

fn leave(s: &Shared, id: u64) {
    let mut st = lock(s);
    st.sync.leave(id);
    let waiting = st.sync.has_waiters();
    drop(st);
    if waiting {
        s.cv.notify_all(); // the sim may be quiescent now
    }
}

/// Makes `s` the current sim of this thread until [`exit`] with the returned token; the first
/// entry of a sim on this thread makes the thread a participant of it (or takes over `reserved`).
pub(crate) fn enter(s: Shared, reserved: Option<Reservation>) -> u64 {
    let already = STACK.with(|st| st.borrow().1.iter().any(|e| Arc::ptr_eq(&e.sim, &s)));
    let participant = match reserved {
        Some(mut r) if !already => {
            let id = r.id.take();
            if let Some(id) = id {
                lock(&s).sync.rename(id, std::thread::current());
            }
            id
        }
        _ if already => None, // a dropped reservation unregisters itself
        _ => Some(lock(&s).sync.join(Some(std::thread::current()))),
    };
    STACK.with(|st| {
        let mut st = st.borrow_mut();
        st.0 += 1;
        let token = st.0;
        st.1.push(Entry {
            token,
            sim: s,
            participant,
        });
        token
    })
}

/// Leaves the entry of `token` (guards dropped out of order leave the right one). The thread
/// stops being a participant of that sim with its last entry of it.
pub(crate) fn exit(token: u64) {
    let left = STACK
        .try_with(|st| {
            let mut st = st.borrow_mut();
            let i = st.1.iter().position(|e| e.token == token)?;
            let e = st.1.remove(i);
            let id = e.participant?;
            // Another entry of the same sim keeps the thread a participant.
            match st.1.iter_mut().find(|o| Arc::ptr_eq(&o.sim, &e.sim)) {
                Some(o) => {
                    o.participant = Some(id);
                    None
                }
                None => Some((e.sim, id)),
            }
        })
        .ok()
        .flatten();
    if let Some((s, id)) = left {
        leave(&s, id);
    }
}

/// The current sim of this thread, if any, and the thread's participant id in it (`None` when
/// the sim is reached through process-wide mode).
pub(crate) fn current_entry() -> Option<(Shared, Option<u64>)> {
    let own = STACK.with(|st| {
        let st = st.borrow();
        let top = st.1.last()?;
        let id =
            st.1.iter()
                .find(|e| Arc::ptr_eq(&e.sim, &top.sim))
                .and_then(|e| e.participant);
        Some((top.sim.clone(), id))
    });
    own.or_else(|| process_sim().map(|s| (s, None)))
}

/// The current sim of this thread, if any: its own innermost entered sim, else the process-wide
/// sim.
pub(crate) fn current() -> Option<Shared> {
    current_entry().map(|(s, _)| s)
}

/// This thread's participant id in `s`, if it entered `s`.
pub(crate) fn participant_in(s: &Shared) -> Option<u64> {
    STACK.with(|st| {
        st.borrow()
            .1
            .iter()
            .find(|e| Arc::ptr_eq(&e.sim, s))
            .and_then(|e| e.participant)
    })
}

/// Locks a sim's state, even if a panicking thread poisoned the lock (the state is only ever
/// mutated through complete model calls, so it stays consistent).
pub(crate) fn lock(s: &Shared) -> MutexGuard<'_, State> {
    s.state.lock().unwrap_or_else(|e| e.into_inner())
}

// ----- process-wide mode -----

/// The process-wide sim: who holds it, and a queue of one for the next.
struct ProcessSlot {
    sim: Option<Shared>,
    token: u64,
    owner: Option<ThreadId>,
    owner_name: String,
}

static PROCESS: Mutex<ProcessSlot> = Mutex::new(ProcessSlot {
    sim: None,
    token: 0,
    owner: None,
    owner_name: String::new(),
});
static PROCESS_FREED: Condvar = Condvar::new();

/// How long `enter_process` waits in silence before saying why it waits.
pub(crate) const LONG_WAIT: Duration = Duration::from_secs(5);

fn process_slot() -> MutexGuard<'static, ProcessSlot> {
    PROCESS.lock().unwrap_or_else(|e| e.into_inner())
}

fn process_sim() -> Option<Shared> {
    process_slot().sim.clone()
}

/// Makes `s` the process-wide sim, waiting while another is (a message on stderr says so after
/// [`LONG_WAIT`]). Panics if this very thread holds the process-wide sim: it would wait for
/// itself forever.
pub(crate) fn enter_process(s: Shared) -> u64 {
    let me = std::thread::current().id();
    let started = Instant::now();
    let mut told = false;
    let mut slot = process_slot();
    while slot.sim.is_some() {
        if slot.owner == Some(me) {
            let owner = slot.owner_name.clone();
            drop(slot);
            panic!(
                "qwave-sim: enter_process() on thread {owner}, which already holds the \
                 process-wide simulator: it would wait for itself forever. Drop the first \
                 guard before entering another sim process-wide (one at a time)."
            );
        }
        let (g, _) = PROCESS_FREED
            .wait_timeout(slot, LONG_WAIT)
            .unwrap_or_else(|e| e.into_inner());
        slot = g;
        if slot.sim.is_some() && !told && started.elapsed() >= LONG_WAIT {
            told = true;
            eprintln!(
                "qwave-sim: enter_process() on thread {} has waited {} s for the process-wide \
                 simulator entered by thread {} to be released. There is one process-wide sim \
                 at a time: tests that use enter_process() run one after another (this one \
                 goes on as soon as that guard drops).",
                thread_name(),
                started.elapsed().as_secs(),
                slot.owner_name
            );
        }
    }
    slot.token += 1;
    slot.sim = Some(s);
    slot.owner = Some(me);
    slot.owner_name = thread_name();
    slot.token
}

/// Releases the process-wide sim entered with `token`, letting the next `enter_process` in.
pub(crate) fn exit_process(token: u64) {
    let mut slot = process_slot();
    if slot.token == token && slot.sim.is_some() {
        slot.sim = None;
        slot.owner = None;
        slot.owner_name.clear();
        drop(slot);
        PROCESS_FREED.notify_all();
    }
}

// ----- calls -----

/// A call in progress on a sim: the locked state (reached through `Deref`), and what a wait
/// needs to let other threads in meanwhile.
pub(crate) struct Cx<'a> {
    pub(crate) sim: &'a Inner,
    guard: Option<MutexGuard<'a, State>>,
    /// This thread's participant id, if it entered the sim.
    pub(crate) participant: Option<u64>,
    /// The call's name, for diagnostics.
    pub(crate) func: &'a str,
}

impl<'a> Cx<'a> {
    /// A call on `sim`, locking it.
    pub(crate) fn new(sim: &'a Inner, participant: Option<u64>, func: &'a str) -> Cx<'a> {
        Cx {
            sim,
            guard: Some(sim.state.lock().unwrap_or_else(|e| e.into_inner())),
            participant,
            func,
        }
    }

    /// Releases the lock until the sim's condition variable is notified (or `timeout` passes).
    pub(crate) fn sleep(&mut self, timeout: Duration) {
        let g = self.guard.take().expect("locked");
        let (g, _) = self
            .sim
            .cv
            .wait_timeout(g, timeout)
            .unwrap_or_else(|e| e.into_inner());
        self.guard = Some(g);
    }
}

impl std::ops::Deref for Cx<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        self.guard.as_ref().expect("locked")
    }
}

impl std::ops::DerefMut for Cx<'_> {
    fn deref_mut(&mut self) -> &mut State {
        self.guard.as_mut().expect("locked")
    }
}

impl Drop for Cx<'_> {
    /// A call that changed anything may have ended or claimed another thread's wait: those
    /// are checked now, and sleeping waits woken to see it.
    fn drop(&mut self) {
        if let Some(mut g) = self.guard.take() {
            if g.sync.has_waiters() {
                g.drain();
                g.poll_waiters();
                drop(g);
                self.sim.cv.notify_all();
            }
        }
    }
}

/// Runs `f` on the current sim's state. Panics, saying how to enter a sim, when this thread
/// has none: a windows-shaped call outside a simulation is a test bug, and failing loudly
/// beats silently talking to nothing.
pub(crate) fn with_state<R>(func: &str, f: impl FnOnce(&mut Cx<'_>) -> R) -> R {
    // The thread's own sim is used where it lies in the thread's stack: entering and leaving
    // happen between calls, never during one, so the stack stays as it is and the sim's
    // reference count need not move.
    let mut f = Some(f);
    let own = STACK.with(|st| {
        let st = st.borrow();
        let top = st.1.last()?;
        let participant =
            st.1.iter()
                .find(|e| Arc::ptr_eq(&e.sim, &top.sim))
                .and_then(|e| e.participant);
        let f = f.take().expect("called once");
        Some(call_on(&top.sim, participant, func, f))
    });
    if let Some(r) = own {
        return r;
    }
    let Some(s) = process_sim() else {
        panic!(
            "qwave-sim: `{func}` was called on a thread that has no simulator entered.\n\
             Enter one before making windows-shaped calls:\n    \
             let sim = qwave_sim::Sim::new();\n    \
             let _guard = sim.enter();          // this thread\n\
             Threads your app starts itself (std::thread::spawn, a tokio multi-thread runtime \
             or tokio::task::spawn_blocking, rayon) have no sim of their own: enter it \
             process-wide instead, for every thread that has none:\n    \
             let _guard = sim.enter_process();  // one at a time; others wait\n\
             or start threads with `sim.spawn(..)` or `qwave_sim::thread::spawn(..)` so they \
             enter the same simulator."
        )
    };
    call_on(&s, None, func, f.take().expect("called once"))
}

/// Runs `f` on `sim`'s state, locked, as a call of this thread (a participant if
/// `participant`); settles `errno` once the sim is released.
fn call_on<R>(sim: &Inner, participant: Option<u64>, func: &str, f: impl FnOnce(&mut Cx<'_>) -> R) -> R {
    #[cfg(unix)]
    let errno = super::errno::CallErrno::begin();
    let mut cx = Cx::new(sim, participant, func);
    let r = f(&mut cx);
    drop(cx);
    #[cfg(unix)]
    errno.end();
    r
}

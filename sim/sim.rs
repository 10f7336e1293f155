//! The runtime: [`Sim`], a cheap cloneable handle to one simulated machine (a [`Model`] plus
//! the windows surface's state), and the thread binding that makes windows-shaped calls act
//! on it.
//!
//! ```
//! use qwave_sim::Sim;
//! use qwave_sim::windows::Win32::Foundation::HANDLE;
//! use qwave_sim::windows::Win32::NetworkManagement::QoS::{QOSCreateHandle, QOS_VERSION};
//!
//! let sim = Sim::builder().seed(7).build();
//! let _guard = sim.enter(); // windows-shaped calls on this thread now act on `sim`
//! let mut h = HANDLE::default();
//! unsafe { QOSCreateHandle(&QOS_VERSION { MajorVersion: 1, MinorVersion: 0 }, &mut h) }.unwrap();
//! assert_eq!(sim.handles().len(), 1);
//! sim.check_invariants().unwrap();
//! ```

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::model::invariants::Violation;
use crate::model::time::duration_us;
use crate::model::{Fault, FlowSnapshot, Handle, HandleState, Marking, Model, Stamped, VirtualTime, World};
use crate::surface::current::{self, Cx, Reservation, Shared, LONG_WAIT};
use crate::surface::State;

/// One simulated machine. Cloning is cheap (an `Arc`); clones share the state. `Send + Sync`:
/// threads reach it with [`Sim::enter`], [`Sim::spawn`], or, for threads the app starts itself
/// (std threads, tokio workers, `spawn_blocking`, rayon), [`Sim::enter_process`].
///
/// Threads that entered a sim are its *participants*: virtual time moves on its own only while
/// every participant waits (see [`Sim::enter`]).
///
/// **Invariant:** a `Sim` shares nothing with other `Sim`s; tests that each build their own
/// run in parallel without seeing each other.
#[derive(Clone)]
pub struct Sim {
    shared: Shared,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = current::lock(&self.shared);
        f.debug_struct("Sim")
            .field("seed", &st.model.seed())
            .field("now", &st.model.now())
            .finish_non_exhaustive()
    }
}

/// How many events a [`Sim`] keeps by default: the last 16,384 (the log then takes at most
/// about 4 MB; see [`SimBuilder::history`]).
pub const DEFAULT_HISTORY: usize = 16_384;

/// Builds a [`Sim`]: seed, world, event recording.
///
/// ```
/// use qwave_sim::{Sim, World};
/// let sim = Sim::builder().seed(42).world(World::default()).record(false).build();
/// assert!(sim.events().is_empty());
/// ```
#[derive(Clone, Debug)]
pub struct SimBuilder {
    seed: u64,
    world: World,
    record: bool,
    history: usize,
    real_sockets: bool,
}

impl Default for SimBuilder {
    fn default() -> Self {
        SimBuilder {
            seed: 0,
            world: World::default(),
            record: true,
            history: DEFAULT_HISTORY,
            real_sockets: false,
        }
    }
}

impl SimBuilder {
    /// The seed of every random draw (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The world to simulate (default: [`World::default`]).
    pub fn world(mut self, world: World) -> Self {
        self.world = world;
        self
    }

    /// Whether to record the event log at all (default on; off behaves the same but keeps no
    /// trace, and [`Sim::to_scenario`] has nothing to work from).
    pub fn record(mut self, on: bool) -> Self {
        self.record = on;
        self
    }

    /// How many events to keep: the last `n` (default [`DEFAULT_HISTORY`], 16,384;
    /// `usize::MAX` keeps every event).
    ///
    /// Memory and speed: an event takes about 130 bytes, and the log is trimmed in bulk, so it
    /// never holds more than `2 * n` events (about 4 MB by default): a soak test of millions
    /// of calls runs in constant memory, and a call costs about 1.15x what it costs with
    /// recording off (`BENCHMARKS.md`), at any run length. A larger history costs more per
    /// call once the log outgrows the CPU caches.
    ///
    /// Recordings: [`Sim::to_scenario`] and [`Sim::record_on_failure`] need the whole run, from
    /// the first event. A run shorter than `n` events (most tests) has it. A longer one no
    /// longer does, and they say so instead of writing a scenario that would not replay;
    /// [`Sim::record_on_failure`] therefore lifts the limit for the rest of the run (its cost:
    /// those 130 bytes per event, kept until the sim is dropped), and `history(usize::MAX)`
    /// keeps everything from the start.
    ///
    /// ```
    /// use qwave_sim::{Fault, Sim};
    /// let sim = Sim::builder().history(2).build();
    /// for _ in 0..3 {
    ///     sim.inject(Fault::DeviceReset);
    /// }
    /// assert_eq!(sim.events().len(), 2, "the last two");
    /// assert_eq!(sim.events_dropped(), 1);
    /// assert!(sim.try_to_scenario("too long").is_err());
    /// ```
    pub fn history(mut self, n: usize) -> Self {
        self.history = n;
        self
    }

    /// Whether windows-shaped calls take real OS sockets (Unix: a std or tokio socket's
    /// `as_raw_fd()` passed as `SOCKET`); default off.
    ///
    /// Off, every `SOCKET` value the sim did not create is unknown: `QOSAddSocketToFlow` gives
    /// 87 (SIM-1), socket calls `WSAENOTSOCK`, whatever fds the process has open, so a test
    /// that passes `SOCKET(7)` gets the same answers whichever other test opened fd 7. (If the
    /// value does happen to be an open socket, the sim prints a hint naming this switch, once.)
    ///
    /// On, a value that is an open UDP or TCP socket fd is taken as that socket: its addresses
    /// are read from the OS at every call (a later `connect` is seen). Traces and recordings
    /// name it `os-socket-1`, `os-socket-2`… by order of first use, with its addresses, and a
    /// recording replays it as a scenario socket with the same addresses and connection (the
    /// sim learns of it through the `socket`, `bind` and `connect` calls such a scenario
    /// makes). Sim sockets can never be mistaken for fds (their
    /// values carry a tag far above any fd), but a made-up small value that happens to be an
    /// open socket fd of this process is taken as that socket: with real sockets on, use
    /// values above `i32::MAX` for deliberately bogus sockets.
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// use std::os::fd::AsRawFd;
    /// use qwave_sim::windows::Win32::Networking::WinSock::{getsockname, SOCKADDR, SOCKADDR_IN, SOCKET};
    /// let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let s = SOCKET(udp.as_raw_fd() as usize);
    /// let (mut name, mut len) = (SOCKADDR_IN::default(), 16);
    /// let mut get = || unsafe { getsockname(s, &mut name as *mut SOCKADDR_IN as *mut SOCKADDR, &mut len) };
    ///
    /// let sim = qwave_sim::Sim::new();
    /// let _g = sim.enter();
    /// assert_ne!(get(), 0, "not taken by default");
    ///
    /// let sim = qwave_sim::Sim::builder().real_sockets(true).build();
    /// let _g = sim.enter();
    /// assert_eq!(get(), 0, "the OS socket's own address");
    /// # }
    /// ```
    pub fn real_sockets(mut self, on: bool) -> Self {
        self.real_sockets = on;
        self
    }

    /// The simulator.
    pub fn build(self) -> Sim {
        let mut model = Model::new(self.world, self.seed);
        model.set_history(if self.record { self.history } else { 0 });
        let mut state = State::new(model);
        state.os.enabled = self.real_sockets;
        Sim {
            shared: current::share(state),
        }
    }
}

/// Keeps a [`Sim`] current on this thread, and the thread a participant of it; dropping it
/// restores the previously entered sim. Not `Send`: it belongs to the thread that entered.
#[must_use = "the sim stays entered only while the guard lives"]
#[derive(Debug)]
pub struct EnterGuard {
    token: u64,
    _not_send: PhantomData<*const ()>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        current::exit(self.token);
    }
}

/// Keeps a [`Sim`] the process-wide sim (see [`Sim::enter_process`]); dropping it lets the next
/// `enter_process` in. Not `Send`: it belongs to the thread that entered, so a second
/// `enter_process` on that thread can tell it would wait for itself.
#[must_use = "the sim stays process-wide only while the guard lives"]
#[derive(Debug)]
pub struct ProcessGuard {
    token: u64,
    _not_send: PhantomData<*const ()>,
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        current::exit_process(self.token);
    }
}

impl Default for Sim {
    fn default() -> Self {
        Sim::new()
    }
}

impl Sim {
    /// A builder (seed 0, default world, recording on with the last [`DEFAULT_HISTORY`] events
    /// kept).
    pub fn builder() -> SimBuilder {
        SimBuilder::default()
    }

    /// The default world with seed 0.
    pub fn new() -> Sim {
        Sim::builder().build()
    }

    /// The sim current on this thread, if one is entered: the thread's own innermost, else the
    /// process-wide sim.
    pub fn current() -> Option<Sim> {
        current::current().map(|shared| Sim { shared })
    }

    /// Makes windows-shaped calls on this thread act on this sim until the guard drops.
    /// Guards nest: the innermost entered sim is current, and it wins over a process-wide sim.
    ///
    /// The thread also becomes a **participant** of the sim until its last guard for it drops:
    /// virtual time moves on its own (a waiting call running the timeline) only while every
    /// participant is waiting in a call, in [`Sim::idle`], or joining a [`Sim::spawn`] thread.
    /// So a thread that entered can act (close a handle, `SetEvent`, `advance`, `inject`) while
    /// other threads wait, and those waits see its actions before any time passes. A thread
    /// alone on its sim is always quiescent when it waits: single-threaded programs run exactly
    /// as without threads in mind.
    ///
    /// ```
    /// use qwave_sim::Sim;
    /// let (a, b) = (Sim::new(), Sim::new());
    /// let _ga = a.enter();
    /// {
    ///     let _gb = b.enter();
    ///     assert!(Sim::current().unwrap().same_as(&b));
    /// }
    /// assert!(Sim::current().unwrap().same_as(&a));
    /// ```
    pub fn enter(&self) -> EnterGuard {
        EnterGuard {
            token: current::enter(self.shared.clone(), None),
            _not_send: PhantomData,
        }
    }

    /// Makes this the **process-wide** sim until the guard drops: every thread that has no sim
    /// of its own entered acts on it, so threads the app starts itself reach it unchanged
    /// (`std::thread::spawn`, tokio multi-thread workers and `spawn_blocking`, rayon). A thread's
    /// own [`Sim::enter`] still wins on that thread.
    ///
    /// There is one process-wide sim at a time: a second `enter_process` (another test running
    /// in parallel) waits until this guard drops, so such tests run one after another instead of
    /// sharing state; after a few seconds of waiting it says so on stderr. Calling it again on
    /// the thread that holds the guard panics (it would wait for itself).
    ///
    /// Threads that reach the sim this way are not participants (see [`Sim::enter`]): they
    /// count only while inside a call. A thread that waits while no participant is active runs
    /// virtual time forward at once; to act on the sim while app threads wait (close their
    /// handle at shutdown, inject a fault), hold [`Sim::enter`] on the acting thread too.
    ///
    /// ```
    /// use qwave_sim::Sim;
    /// let sim = Sim::new();
    /// let _g = sim.enter_process();
    /// let on_a_plain_thread = std::thread::spawn(|| Sim::current().is_some()).join().unwrap();
    /// assert!(on_a_plain_thread);
    /// ```
    pub fn enter_process(&self) -> ProcessGuard {
        ProcessGuard {
            token: current::enter_process(self.shared.clone()),
            _not_send: PhantomData,
        }
    }

    /// Whether `other` is a clone of this sim.
    pub fn same_as(&self, other: &Sim) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Runs `f` on a new thread that has entered this sim. The thread is a participant from
    /// this call on (before it starts running), and joining it through the returned handle
    /// counts as waiting (see [`Sim::enter`]).
    ///
    /// ```
    /// use qwave_sim::Sim;
    /// let sim = Sim::new();
    /// let t = sim.spawn(|| Sim::current().is_some());
    /// assert!(t.join().unwrap());
    /// ```
    pub fn spawn<F, T>(&self, f: F) -> crate::thread::JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let sim = self.clone();
        let reserved = Reservation::new(&self.shared);
        let inner = std::thread::spawn(move || {
            let _g = EnterGuard {
                token: current::enter(sim.shared.clone(), Some(reserved)),
                _not_send: PhantomData,
            };
            f()
        });
        crate::thread::JoinHandle::new(inner, self.clone())
    }

    /// Runs `f` with this thread counted as waiting, so virtual time can move while `f` blocks
    /// outside the sim: a join, a channel receive, a runtime's `block_on`. Without it, a
    /// participant (see [`Sim::enter`]) blocked outside the sim keeps the other threads' waits
    /// from ever running the clock. On a thread that did not enter this sim, just runs `f`.
    ///
    /// ```
    /// use qwave_sim::Sim;
    /// use qwave_sim::windows::Win32::System::Threading::{CreateEventW, WaitForSingleObject};
    /// use qwave_sim::windows::Win32::Foundation::WAIT_TIMEOUT;
    /// use std::time::Duration;
    /// let sim = Sim::new();
    /// let _g = sim.enter();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// std::thread::spawn({
    ///     let sim = sim.clone();
    ///     move || {
    ///         let _g = sim.enter();
    ///         let ev = unsafe { CreateEventW(None, true, false, None) }.unwrap();
    ///         // Ends once the main thread lets time move: 1.5 s of virtual time pass.
    ///         tx.send(unsafe { WaitForSingleObject(ev, 1500) }).unwrap();
    ///     }
    /// });
    /// assert_eq!(sim.idle(|| rx.recv().unwrap()), WAIT_TIMEOUT);
    /// assert_eq!(sim.now(), Duration::from_millis(1500));
    /// ```
    pub fn idle<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Back<'a>(&'a Shared, u64);
        impl Drop for Back<'_> {
            fn drop(&mut self) {
                current::lock(self.0).sync.set_idle(self.1, false);
            }
        }
        let Some(p) = current::participant_in(&self.shared) else {
            return f();
        };
        let mut st = current::lock(&self.shared);
        st.sync.set_idle(p, true);
        let waiting = st.sync.has_waiters();
        drop(st);
        if waiting {
            self.shared.cv.notify_all(); // the sim may be quiescent now
        }
        let _back = Back(&self.shared, p);
        f()
    }

    /// How many threads are blocked in a virtual-clock wait on this sim right now (a wait that
    /// something already ended, and whose thread has not resumed yet, does not count).
    pub fn blocked(&self) -> usize {
        self.lock().sync.blocked()
    }

    /// Blocks this thread until at least `n` threads are blocked in virtual-clock waits on this
    /// sim: the way a test knows an app thread has reached its wait before acting on it. Call
    /// it from a participant (a thread that entered the sim), or the waits may run the clock
    /// and end before it sees them. Says on stderr why it waits after a few seconds, and
    /// panics after 60 s of wall time (a watchdog: a test that would hang fails instead).
    ///
    /// ```
    /// use qwave_sim::Sim;
    /// use qwave_sim::windows::Win32::System::Threading::{CreateEventW, SetEvent, WaitForSingleObject, INFINITE};
    /// use qwave_sim::windows::Win32::Foundation::{HANDLE, WAIT_OBJECT_0};
    /// let sim = Sim::new();
    /// let _g = sim.enter();
    /// let ev = unsafe { CreateEventW(None, false, false, None) }.unwrap();
    /// let raw = ev.0 as usize;
    /// let waiter = sim.spawn(move || unsafe { WaitForSingleObject(HANDLE(raw as *mut _), INFINITE) });
    /// sim.wait_until_blocked(1);
    /// unsafe { SetEvent(ev) }.unwrap(); // from this thread: ends the other thread's wait
    /// assert_eq!(waiter.join().unwrap(), WAIT_OBJECT_0);
    /// assert_eq!(sim.now(), std::time::Duration::ZERO, "no virtual time passed");
    /// ```
    pub fn wait_until_blocked(&self, n: usize) {
        let started = Instant::now();
        let mut told = false;
        let mut st = self.lock();
        while st.sync.blocked() < n {
            let (g, _) = self
                .shared
                .cv
                .wait_timeout(st, LONG_WAIT)
                .unwrap_or_else(|e| e.into_inner());
            st = g;
            let waited = started.elapsed();
            if !told && waited >= LONG_WAIT && st.sync.blocked() < n {
                told = true;
                eprintln!(
                    "qwave-sim: wait_until_blocked({n}) has waited {} s (wall clock); {} thread(s)                      are blocked in a wait on this sim.",
                    waited.as_secs(),
                    st.sync.blocked()
                );
            }
            if waited >= Duration::from_secs(60) && st.sync.blocked() < n {
                let b = st.sync.blocked();
                drop(st);
                panic!("qwave-sim: wait_until_blocked({n}) gave up after 60 s: {b} thread(s) blocked");
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        current::lock(&self.shared)
    }

    /// The state locked for a change: when it is released, waits the change ended are told.
    fn cx(&self, func: &'static str) -> Cx<'_> {
        Cx::new(&self.shared, current::participant_in(&self.shared), func)
    }

    /// Advances virtual time by `d`, running scheduled events and writing the completions
    /// they produce into the apps' OVERLAPPEDs, events and completion ports.
    ///
    /// ```
    /// use std::time::Duration;
    /// let sim = qwave_sim::Sim::new();
    /// sim.advance(Duration::from_millis(1500));
    /// assert_eq!(sim.now(), Duration::from_millis(1500));
    /// ```
    pub fn advance(&self, d: Duration) {
        let mut st = self.cx("Sim::advance");
        st.settle();
        let to = st.model.now().plus_us(duration_us(d));
        // Other threads' waits end at the event or limit that ends them, not at `to`.
        st.run_with_waiters(to);
        st.model.advance_to(to);
        st.drain();
    }

    /// Virtual time since the start.
    pub fn now(&self) -> Duration {
        self.lock().model.now().as_duration()
    }

    /// Applies a fault now.
    ///
    /// ```
    /// use qwave_sim::{Sim, model::Fault};
    /// let sim = Sim::new();
    /// sim.inject(Fault::DeviceReset);
    /// assert!(matches!(sim.events().last().unwrap().event, qwave_sim::model::Event::Fault(_)));
    /// ```
    pub fn inject(&self, fault: Fault) {
        let mut st = self.cx("Sim::inject");
        st.model.inject(fault);
        st.drain();
    }

    /// Schedules a fault at virtual time `at` (now, if already past).
    ///
    /// ```
    /// use std::time::Duration;
    /// use qwave_sim::{Sim, model::{Event, Fault}};
    /// let sim = Sim::new();
    /// sim.inject_at(Duration::from_secs(1), Fault::DeviceReset);
    /// sim.advance(Duration::from_secs(2));
    /// assert!(sim.events().iter().any(|e| e.event == Event::Fault(Fault::DeviceReset)));
    /// ```
    pub fn inject_at(&self, at: Duration, fault: Fault) {
        self.lock().model.inject_at(VirtualTime(duration_us(at)), fault);
    }

    /// Checks the model's invariants and the surface's own.
    ///
    /// ```
    /// let sim = qwave_sim::Sim::new();
    /// assert_eq!(sim.check_invariants(), Ok(()));
    /// ```
    pub fn check_invariants(&self) -> Result<(), Violation> {
        let st = self.lock();
        st.model.check_invariants()?;
        st.io.check().map_err(Violation)
    }

    /// Every live flow (other processes' included), sorted by id.
    ///
    /// ```
    /// let sim = qwave_sim::Sim::new();
    /// assert!(sim.flows().is_empty());
    /// ```
    pub fn flows(&self) -> Vec<FlowSnapshot> {
        self.lock().model.flows()
    }

    /// The QoS handles still to be closed, in creation order: open ones, and stale ones (after a
    /// device reset every call on them but `QOSCloseHandle` fails, so the app still has to close
    /// them, GEN-8). Closed handles and those a sleep killed (GEN-9) are left out, so a test can
    /// assert that nothing leaked; [`Sim::all_handles`] lists every handle ever created.
    ///
    /// ```
    /// use qwave_sim::windows::Win32::{Foundation::HANDLE, NetworkManagement::QoS::*};
    /// let sim = qwave_sim::Sim::new();
    /// let _g = sim.enter();
    /// let mut h = HANDLE::default();
    /// unsafe { QOSCreateHandle(&QOS_VERSION { MajorVersion: 1, MinorVersion: 0 }, &mut h) }.unwrap();
    /// assert_eq!(sim.handles()[0].value, h.0 as u64);
    /// assert_eq!(sim.marking(1), None, "no flow 1 yet");
    /// unsafe { QOSCloseHandle(h) }.unwrap();
    /// assert!(sim.handles().is_empty(), "nothing leaked");
    /// assert_eq!(sim.all_handles().len(), 1);
    /// ```
    pub fn handles(&self) -> Vec<Handle> {
        self.lock()
            .model
            .handles()
            .iter()
            .filter(|h| h.state != HandleState::Dead)
            .cloned()
            .collect()
    }

    /// Every QoS handle ever created, in creation order, closed and dead ones included (their
    /// [`Handle::state`] says which).
    pub fn all_handles(&self) -> Vec<Handle> {
        self.lock().model.handles().to_vec()
    }

    /// The markings a flow's packets get now (`None` for no such flow).
    pub fn marking(&self, flow_id: u32) -> Option<Marking> {
        self.lock().model.marking(flow_id)
    }

    /// A copy of the event log: every event so far, or the last [`SimBuilder::history`] ones in
    /// a longer run ([`Sim::events_dropped`] says how many are gone).
    pub fn events(&self) -> Vec<Stamped> {
        self.lock().model.events().to_vec()
    }

    /// How many events the log no longer holds (0: it is the whole run). See
    /// [`SimBuilder::history`].
    pub fn events_dropped(&self) -> u64 {
        self.lock().model.events_dropped()
    }

    /// Blocking waits that could never finish (AMB-31): the model's count plus waits on
    /// events or ports no qWAVE request could signal.
    ///
    /// ```
    /// use qwave_sim::windows::Win32::System::Threading::{CreateEventW, WaitForSingleObject, INFINITE};
    /// use qwave_sim::windows::Win32::Foundation::WAIT_TIMEOUT;
    /// let sim = qwave_sim::Sim::new();
    /// let _g = sim.enter();
    /// let ev = unsafe { CreateEventW(None, true, false, None) }.unwrap();
    /// assert_eq!(unsafe { WaitForSingleObject(ev, INFINITE) }, WAIT_TIMEOUT); // nobody signals it
    /// assert_eq!(sim.deadlocks(), 1);
    /// ```
    pub fn deadlocks(&self) -> u32 {
        let st = self.lock();
        st.model.deadlocks() + st.io.orphan_deadlocks
    }

    /// Fault coverage of the run so far: per function the codes returned, the faults that
    /// fired, the rule ids exercised and the documented failures never met (see
    /// [`crate::coverage`]). Built from the event log, so a sim built with `record(false)`
    /// reports nothing.
    pub fn coverage(&self) -> crate::coverage::Coverage {
        crate::coverage::Coverage::from_events(self.lock().model.events())
    }

    /// The seed of the run.
    pub fn seed(&self) -> u64 {
        self.lock().model.seed()
    }

    /// Runs `f` on the model (completions it causes are written afterwards). Do not make
    /// windows-shaped calls inside `f`: the sim is locked (a blocking model call made in `f`
    /// runs the timeline itself, without letting other threads in).
    ///
    /// ```
    /// let sim = qwave_sim::Sim::new();
    /// let n = sim.with_model(|m| m.flow_count());
    /// assert_eq!(n, 0);
    /// ```
    pub fn with_model<R>(&self, f: impl FnOnce(&mut Model) -> R) -> R {
        let mut st = self.cx("Sim::with_model");
        // A blocking call made here runs the timeline itself, under the lock.
        st.model.set_defer_blocking(false);
        let r = f(&mut st.model);
        st.model.set_defer_blocking(true);
        st.drain();
        r
    }
}

//! `std::thread` for simulated code: threads that enter the spawning thread's sim.
//!
//! Threads the app starts with plain `std::thread::spawn` (or a tokio or rayon pool) reach a
//! sim only through process-wide mode ([`crate::Sim::enter_process`]).

/// Spawns a thread that enters the sim current on this thread (see [`crate::Sim::spawn`]).
///
/// Panics if this thread has no sim current (enter one with [`crate::Sim::enter`] or
/// [`crate::Sim::enter_process`]).
///
/// ```
/// let sim = qwave_sim::Sim::new();
/// let _g = sim.enter();
/// let t = qwave_sim::thread::spawn(|| qwave_sim::Sim::current().is_some());
/// assert!(t.join().unwrap());
/// ```
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match crate::Sim::current() {
        Some(sim) => sim.spawn(f),
        None => panic!(
            "qwave_sim::thread::spawn needs a simulator current on the calling thread: \
             `let _guard = sim.enter();` (or `sim.enter_process()`) first, or call `sim.spawn(..)`"
        ),
    }
}

/// An owned permission to join a thread started by [`crate::Sim::spawn`] or [`spawn`]: like
/// `std::thread::JoinHandle`, except that joining counts as waiting on the sim
/// ([`crate::Sim::idle`]), so virtual time can move while the joined thread waits.
#[derive(Debug)]
pub struct JoinHandle<T> {
    inner: std::thread::JoinHandle<T>,
    sim: crate::Sim,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(inner: std::thread::JoinHandle<T>, sim: crate::Sim) -> JoinHandle<T> {
        JoinHandle { inner, sim }
    }

    /// Waits for the thread to finish (counted as waiting on the sim), as
    /// `std::thread::JoinHandle::join`.
    pub fn join(self) -> std::thread::Result<T> {
        let JoinHandle { inner, sim } = self;
        sim.idle(move || inner.join())
    }

    /// The thread's handle.
    pub fn thread(&self) -> &std::thread::Thread {
        self.inner.thread()
    }

    /// Whether the thread has finished running its closure.
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    /// The plain std handle (its `join` does not count as waiting on the sim).
    pub fn into_std(self) -> std::thread::JoinHandle<T> {
        self.inner
    }
}

//! `std::thread` for simulated code: threads that enter the spawning thread's sim.

/// Spawns a thread that enters the sim current on this thread.
///
/// Panics if this thread has no sim entered (enter one with [`crate::Sim::enter`]).
///
/// ```
/// let sim = qwave_sim::Sim::new();
/// let _g = sim.enter();
/// let t = qwave_sim::thread::spawn(|| qwave_sim::Sim::current().is_some());
/// assert!(t.join().unwrap());
/// ```
pub fn spawn<F, T>(f: F) -> std::thread::JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match crate::Sim::current() {
        Some(sim) => sim.spawn(f),
        None => panic!(
            "qwave_sim::thread::spawn needs a simulator entered on the calling thread: \
             `let _guard = sim.enter();` first, or call `sim.spawn(..)`"
        ),
    }
}

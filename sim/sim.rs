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
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::model::invariants::Violation;
use crate::model::time::duration_us;
use crate::model::{
    Fault, Handle, Marking, Model, Owner, RateContract, Stamped, TrafficType, VirtualTime, World,
};
use crate::surface::current::{self, Shared};
use crate::surface::State;

/// One simulated machine. Cloning is cheap (an `Arc`); clones share the state. `Send + Sync`:
/// threads reach it with [`Sim::enter`] or [`Sim::spawn`].
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

/// Builds a [`Sim`]: seed, world, event recording.
///
/// ```
/// use qwave_sim::{Sim, model::World};
/// let sim = Sim::builder().seed(42).world(World::default()).record(false).build();
/// assert!(sim.events().is_empty());
/// ```
#[derive(Clone, Debug)]
pub struct SimBuilder {
    seed: u64,
    world: World,
    record: bool,
}

impl Default for SimBuilder {
    fn default() -> Self {
        SimBuilder {
            seed: 0,
            world: World::default(),
            record: true,
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

    /// Whether to record the event log (default on; off behaves the same but keeps no trace).
    pub fn record(mut self, on: bool) -> Self {
        self.record = on;
        self
    }

    /// The simulator.
    pub fn build(self) -> Sim {
        let mut model = Model::new(self.world, self.seed);
        model.set_recording(self.record);
        Sim {
            shared: Arc::new(Mutex::new(State::new(model))),
        }
    }
}

/// Keeps a [`Sim`] current on this thread; dropping it restores the previously entered sim.
/// Not `Send`: it belongs to the thread that entered.
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

/// A flow as seen from outside, for assertions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowSnapshot {
    /// The flow id (`*FlowId`).
    pub id: u32,
    /// The QoS handle value that owns it; `None` for another process's flow.
    pub handle: Option<u64>,
    /// Added without `QOS_NON_ADAPTIVE_FLOW`.
    pub adaptive: bool,
    /// Current traffic type.
    pub traffic_type: TrafficType,
    /// Member socket values.
    pub sockets: Vec<u64>,
    /// Destination.
    pub destination: SocketAddr,
    /// The rate contract, if one was set.
    pub rate: Option<RateContract>,
    /// The markings its packets get now.
    pub marking: Marking,
}

impl Default for Sim {
    fn default() -> Self {
        Sim::new()
    }
}

impl Sim {
    /// A builder (seed 0, default world, recording on).
    pub fn builder() -> SimBuilder {
        SimBuilder::default()
    }

    /// The default world with seed 0.
    pub fn new() -> Sim {
        Sim::builder().build()
    }

    /// The sim current on this thread, if one is entered.
    pub fn current() -> Option<Sim> {
        current::current().map(|shared| Sim { shared })
    }

    /// Makes windows-shaped calls on this thread act on this sim until the guard drops.
    /// Guards nest: the innermost entered sim is current.
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
            token: current::enter(self.shared.clone()),
            _not_send: PhantomData,
        }
    }

    /// Whether `other` is a clone of this sim.
    pub fn same_as(&self, other: &Sim) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Runs `f` on a new thread that has entered this sim.
    ///
    /// ```
    /// use qwave_sim::Sim;
    /// let sim = Sim::new();
    /// let t = sim.spawn(|| Sim::current().is_some());
    /// assert!(t.join().unwrap());
    /// ```
    pub fn spawn<F, T>(&self, f: F) -> std::thread::JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let sim = self.clone();
        std::thread::spawn(move || {
            let _g = sim.enter();
            f()
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        current::lock(&self.shared)
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
        let mut st = self.lock();
        st.settle();
        st.model.advance_us(duration_us(d));
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
        let mut st = self.lock();
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
        let st = self.lock();
        let m = &st.model;
        m.flow_ids()
            .into_iter()
            .filter_map(|id| {
                let f = m.flow(id)?;
                Some(FlowSnapshot {
                    id,
                    handle: match f.owner {
                        Owner::Handle(i) => m.handles().get(i as usize).map(|h| h.value),
                        Owner::Foreign => None,
                    },
                    adaptive: f.adaptive,
                    traffic_type: f.traffic_type,
                    sockets: f.sockets.as_slice().to_vec(),
                    destination: f.dest,
                    rate: f.rate,
                    marking: m.marking(id).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Every QoS handle ever created, in creation order (closed ones included).
    ///
    /// ```
    /// use qwave_sim::windows::Win32::{Foundation::HANDLE, NetworkManagement::QoS::*};
    /// let sim = qwave_sim::Sim::new();
    /// let _g = sim.enter();
    /// let mut h = HANDLE::default();
    /// unsafe { QOSCreateHandle(&QOS_VERSION { MajorVersion: 1, MinorVersion: 0 }, &mut h) }.unwrap();
    /// assert_eq!(sim.handles()[0].value, h.0 as u64);
    /// assert_eq!(sim.marking(1), None, "no flow 1 yet");
    /// ```
    pub fn handles(&self) -> Vec<Handle> {
        self.lock().model.handles().to_vec()
    }

    /// The markings a flow's packets get now (`None` for no such flow).
    pub fn marking(&self, flow_id: u32) -> Option<Marking> {
        self.lock().model.marking(flow_id)
    }

    /// A copy of the event log.
    pub fn events(&self) -> Vec<Stamped> {
        self.lock().model.events().to_vec()
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
    /// windows-shaped calls inside `f`: the sim is locked.
    ///
    /// ```
    /// let sim = qwave_sim::Sim::new();
    /// let n = sim.with_model(|m| m.flow_count());
    /// assert_eq!(n, 0);
    /// ```
    pub fn with_model<R>(&self, f: impl FnOnce(&mut Model) -> R) -> R {
        let mut st = self.lock();
        let r = f(&mut st.model);
        st.drain();
        r
    }
}

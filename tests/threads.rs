//! Apps call qWAVE from several threads. Many threads hammering one sim must never deadlock,
//! panic or break invariants; with the calls serialised in one order, the trace is
//! deterministic. Blocking calls release the sim while they wait (`blocking`); threads the app
//! starts itself reach a process-wide sim (`process`, `tokio_rt`).

#[path = "threads/blocking.rs"]
mod blocking;
#[path = "threads/process.rs"]
mod process;
#[path = "threads/readme.rs"]
mod readme;
#[path = "threads/tokio_rt.rs"]
mod tokio_rt;

use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use qwave_sim::model::{Fault, PathRef};
use qwave_sim::windows::Win32::Foundation::*;
use qwave_sim::windows::Win32::NetworkManagement::QoS::*;
use qwave_sim::windows::Win32::Networking::WinSock::*;
use qwave_sim::windows::Win32::System::IO::*;
use qwave_sim::Sim;

pub(crate) const V1: QOS_VERSION = QOS_VERSION {
    MajorVersion: 1,
    MinorVersion: 0,
};

/// OVERLAPPEDs must outlive their requests (the sim writes completions into them), so threads
/// hand theirs back to the test, which frees them once every completion was delivered.
#[allow(clippy::vec_box)] // each OVERLAPPED needs a stable address while the Vec grows
struct Parked(Vec<Box<OVERLAPPED>>);
// SAFETY: the OVERLAPPEDs are plain memory; only the sim writes them, under its lock.
unsafe impl Send for Parked {}

/// A tiny deterministic generator per thread (the interleaving is the only free variable).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// One app thread: a handle, a few sockets, and a mix of valid and invalid calls of all kinds.
fn app_thread(id: u64, steps: usize, mut turn: impl FnMut()) -> Parked {
    let mut rng = Lcg(id.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut parked = Vec::new();
    let mut h = HANDLE::default();
    turn();
    let _ = unsafe { QOSCreateHandle(&V1, &mut h) };
    let peers = [
        "192.168.1.20:5000",
        "192.168.1.30:5000",
        "203.0.113.5:5000",
        "198.51.100.1:5000",
    ];
    let mut flows: Vec<(SOCKET, u32)> = Vec::new();
    for _ in 0..steps {
        turn();
        match rng.next() % 9 {
            0 | 1 => {
                let Ok(s) = (unsafe { socket(AF_INET.0 as i32, SOCK_DGRAM, IPPROTO_UDP.0) }) else {
                    continue;
                };
                let dest: SOCKADDR_IN = peers[(rng.next() % 4) as usize]
                    .parse::<std::net::SocketAddrV4>()
                    .unwrap()
                    .into();
                let flags = if rng.next() % 2 == 0 {
                    Some(QOS_NON_ADAPTIVE_FLOW)
                } else {
                    None
                };
                let mut flow = 0u32;
                let ok = unsafe {
                    QOSAddSocketToFlow(
                        h,
                        s,
                        Some(&dest as *const SOCKADDR_IN as *const SOCKADDR),
                        QOS_TRAFFIC_TYPE((rng.next() % 7) as i32),
                        flags,
                        &mut flow,
                    )
                };
                if ok.as_bool() {
                    flows.push((s, flow));
                }
            }
            2 if !flows.is_empty() => {
                let (s, f) = flows.swap_remove((rng.next() as usize) % flows.len());
                let sock = if rng.next() % 2 == 0 { Some(s) } else { None };
                let _ = unsafe { QOSRemoveSocketFromFlow(h, sock, f, None) };
            }
            3 if !flows.is_empty() => {
                let (_, f) = flows[(rng.next() as usize) % flows.len()];
                let mut prio = QOS_PACKET_PRIORITY::default();
                let mut size = std::mem::size_of::<QOS_PACKET_PRIORITY>() as u32;
                let _ = unsafe {
                    QOSQueryFlow(
                        h,
                        f,
                        QOSQueryPacketPriority,
                        &mut size,
                        &mut prio as *mut _ as *mut _,
                        None,
                        None,
                    )
                };
            }
            4 if !flows.is_empty() => {
                let (_, f) = flows[(rng.next() as usize) % flows.len()];
                let rate = QOS_FLOWRATE_OUTGOING {
                    Bandwidth: 1_000_000 + rng.next() % 10_000_000,
                    ShapingBehavior: QOSShapeAndMark,
                    Reason: QOSFlowRateNotApplicable,
                };
                let _ = unsafe {
                    QOSSetFlow(
                        h,
                        f,
                        QOSSetOutgoingRate,
                        16,
                        &rate as *const _ as *const _,
                        None,
                        None,
                    )
                };
            }
            5 if !flows.is_empty() => {
                let (_, f) = flows[(rng.next() as usize) % flows.len()];
                let mut ov = Box::new(OVERLAPPED::default());
                let op = QOS_NOTIFY_FLOW((rng.next() % 2) as i32);
                let r = unsafe { QOSNotifyFlow(h, f, op, None, None, None, Some(&mut *ov)) };
                if !r.as_bool() && unsafe { GetLastError() } == ERROR_IO_PENDING && rng.next() % 3 == 0 {
                    turn();
                    let _ = unsafe { QOSCancel(h, &*ov) };
                }
                parked.push(ov);
            }
            6 => {
                // Garbage: a handle nobody issued, a NULL FlowId pointer.
                let _ = unsafe { QOSCloseHandle(HANDLE(0xdead_beef_usize as *mut _)) };
                let _ = unsafe {
                    QOSAddSocketToFlow(
                        h,
                        SOCKET(7),
                        None,
                        QOSTrafficTypeVoice,
                        None,
                        std::ptr::null_mut(),
                    )
                };
            }
            7 => {
                let mut size = 0u32;
                let _ = unsafe { QOSEnumerateFlows(h, &mut size, std::ptr::null_mut()) };
            }
            _ => {
                // Reopen: close the handle (aborting what is pending) and start again.
                let _ = unsafe { QOSCloseHandle(h) };
                flows.clear();
                let _ = unsafe { QOSCreateHandle(&V1, &mut h) };
            }
        }
    }
    turn();
    let _ = unsafe { QOSCloseHandle(h) };
    Parked(parked)
}

/// Runs `f` on another thread and fails (instead of hanging CI) if it takes over a minute.
pub(crate) fn within_a_minute<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("watchdog: the test body did not finish within 60 s (a hang)")
}

#[test]
fn many_threads_hammering_one_sim_keep_it_consistent() {
    let sim = Sim::builder().seed(11).build();
    let out = within_a_minute({
        let sim = sim.clone();
        move || {
            let apps: Vec<_> = (0..8u64)
                .map(|i| sim.spawn(move || app_thread(i, 1_500, || {})))
                .collect();
            // Meanwhile the network changes and time runs, from the test's own thread.
            for round in 0..200u64 {
                let congested = round % 2 == 0;
                sim.inject(Fault::Congestion {
                    path: PathRef::Peer("192.168.1.20".parse().unwrap()),
                    congested,
                });
                sim.advance(Duration::from_millis(50));
                sim.check_invariants().expect("invariants while threads run");
            }
            let parked: Vec<Parked> = apps
                .into_iter()
                .map(|a| a.join().expect("app thread panicked"))
                .collect();
            sim.advance(Duration::from_secs(1));
            sim.check_invariants().expect("invariants after the threads");
            (parked, sim.with_model(|m| (m.pending_count(), m.flow_count())))
        }
    });
    let (parked, (pending, flows)) = out;
    assert_eq!(pending, 0, "every request ended with its handle");
    assert_eq!(flows, 0, "every flow ended with its handle");
    assert!(
        parked.iter().map(|p| p.0.len()).sum::<usize>() > 0,
        "the threads issued overlapped requests"
    );
    for p in &parked {
        for ov in &p.0 {
            assert_ne!(ov.Internal, 0x103, "a request was left pending (STATUS_PENDING)");
        }
    }
}

/// A baton passed round-robin among threads that are not finished yet.
struct Baton {
    state: Mutex<(usize, Vec<bool>)>,
    cv: Condvar,
}

impl Baton {
    fn pass_from(st: &mut (usize, Vec<bool>), i: usize) {
        let n = st.1.len();
        if let Some(j) = (1..=n).map(|k| (i + k) % n).find(|j| !st.1[*j]) {
            st.0 = j;
        }
    }

    /// Hands the baton on (if `i` held it) and waits until it comes back to `i`.
    fn turn(&self, i: usize, held: bool) {
        let mut st = self.state.lock().unwrap();
        if held {
            Self::pass_from(&mut st, i);
            self.cv.notify_all();
        }
        while st.0 != i {
            st = self.cv.wait(st).unwrap();
        }
    }

    /// Thread `i` is done: it leaves the rotation and hands the baton on.
    fn finish(&self, i: usize) {
        let mut st = self.state.lock().unwrap();
        st.1[i] = true;
        Self::pass_from(&mut st, i);
        self.cv.notify_all();
    }
}

/// Threads that take turns in a fixed order, so their calls reach the sim in one order.
fn serialised_run(seed: u64) -> String {
    let sim = Sim::builder().seed(seed).build();
    let threads = 4usize;
    let baton = Arc::new(Baton {
        state: Mutex::new((0, vec![false; threads])),
        cv: Condvar::new(),
    });
    let apps: Vec<_> = (0..threads)
        .map(|i| {
            let baton = baton.clone();
            sim.spawn(move || {
                let mut held = false;
                let out = app_thread(i as u64, 300, || {
                    baton.turn(i, held);
                    held = true;
                });
                baton.finish(i);
                out
            })
        })
        .collect();
    let parked: Vec<Parked> = apps.into_iter().map(|a| a.join().unwrap()).collect();
    sim.advance(Duration::from_secs(1));
    sim.check_invariants().unwrap();
    drop(parked);
    format!("{:?}", sim.events())
}

#[test]
fn threads_serialised_in_one_order_give_the_same_trace() {
    let (a, b) = within_a_minute(|| (serialised_run(5), serialised_run(5)));
    assert!(
        a.len() > 10_000,
        "the run did real work ({} bytes of events)",
        a.len()
    );
    let first_diff = a.bytes().zip(b.bytes()).position(|(x, y)| x != y);
    assert!(
        a == b,
        "same order, different traces: first difference at byte {first_diff:?}: {:?} vs {:?}",
        first_diff.map(|i| &a[i.saturating_sub(80)..(i + 80).min(a.len())]),
        first_diff.map(|i| &b[i.saturating_sub(80)..(i + 80).min(b.len())]),
    );
}

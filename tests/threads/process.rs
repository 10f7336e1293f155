//! Process-wide mode: threads the app starts itself (plain `std::thread::spawn`) reach the sim
//! entered with `Sim::enter_process`, one process-wide sim at a time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use qwave_sim::windows::Win32::Foundation::*;
use qwave_sim::windows::Win32::NetworkManagement::QoS::*;
use qwave_sim::Sim;

use super::{within_a_minute, V1};

fn create_handle() -> usize {
    let mut h = HANDLE::default();
    unsafe { QOSCreateHandle(&V1, &mut h) }.unwrap();
    h.0 as usize
}

#[test]
fn app_spawned_std_threads_reach_the_process_wide_sim() {
    let (handles, from_threads) = within_a_minute(|| {
        let sim = Sim::new();
        let _g = sim.enter_process();
        // The "app": plain std threads, no qwave-sim API in sight.
        let workers: Vec<_> = (0..4).map(|_| std::thread::spawn(create_handle)).collect();
        let mut from_threads: Vec<u64> = workers.into_iter().map(|t| t.join().unwrap() as u64).collect();
        from_threads.sort_unstable();
        let handles: Vec<u64> = sim.handles().iter().map(|h| h.value).collect();
        (handles, from_threads)
    });
    assert_eq!(handles.len(), 4);
    let mut sorted = handles.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted, from_threads,
        "every thread's handle is in the process-wide sim"
    );
}

#[test]
fn a_threads_own_enter_wins_over_the_process_wide_sim() {
    let (process_count, own_count) = within_a_minute(|| {
        let (process, own) = (Sim::new(), Sim::new());
        let _g = process.enter_process();
        let own2 = own.clone();
        std::thread::spawn(move || {
            let _mine = own2.enter();
            create_handle();
        })
        .join()
        .unwrap();
        std::thread::spawn(create_handle).join().unwrap();
        (process.handles().len(), own.handles().len())
    });
    assert_eq!((process_count, own_count), (1, 1));
}

/// A lone wait on an app thread in process-wide mode runs the clock itself: the thread is
/// not a participant, and nobody else is.
#[test]
fn a_lone_wait_on_an_app_thread_runs_the_clock_in_process_wide_mode() {
    let (r, now) = within_a_minute(|| {
        let sim = Sim::new();
        let _g = sim.enter_process();
        let r = std::thread::spawn(|| {
            let ev = unsafe {
                qwave_sim::windows::Win32::System::Threading::CreateEventW(None, true, false, None)
            }
            .unwrap();
            unsafe { qwave_sim::windows::Win32::System::Threading::WaitForSingleObject(ev, 2500) }
        })
        .join()
        .unwrap();
        (r, sim.now())
    });
    assert_eq!(r, WAIT_TIMEOUT);
    assert_eq!(now, Duration::from_millis(2500));
}

#[test]
fn a_second_enter_process_waits_until_the_first_guard_drops() {
    let (dropped_at, entered_at) = within_a_minute(|| {
        let (tx, rx) = mpsc::channel();
        let first = std::thread::spawn(move || {
            let sim = Sim::new();
            let g = sim.enter_process();
            tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(300));
            let dropped_at = Instant::now();
            drop(g);
            dropped_at
        });
        rx.recv().unwrap();
        let second = std::thread::spawn(|| {
            let sim = Sim::new();
            let _g = sim.enter_process();
            Instant::now()
        });
        (first.join().unwrap(), second.join().unwrap())
    });
    assert!(
        entered_at >= dropped_at,
        "the second guard came only after the first dropped"
    );
}

/// Two tests that each hold the process-wide sim for a while: run in parallel by the test
/// harness, they take turns (never two inside at once), and each sees only its own state.
static INSIDE: AtomicUsize = AtomicUsize::new(0);

fn hold_process_wide_and_count(n: usize) -> (usize, usize) {
    within_a_minute(move || {
        let sim = Sim::new();
        let _g = sim.enter_process();
        let inside = INSIDE.fetch_add(1, Ordering::SeqCst) + 1;
        for _ in 0..n {
            std::thread::spawn(create_handle).join().unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        let handles = sim.handles().len();
        INSIDE.fetch_sub(1, Ordering::SeqCst);
        (inside, handles)
    })
}

#[test]
fn two_process_wide_tests_serialize_a() {
    assert_eq!(hold_process_wide_and_count(10), (1, 10));
}

#[test]
fn two_process_wide_tests_serialize_b() {
    assert_eq!(hold_process_wide_and_count(7), (1, 7));
}

#[test]
fn enter_process_twice_on_one_thread_panics_instead_of_waiting_for_itself() {
    let msg = within_a_minute(|| {
        std::thread::spawn(|| {
            let sim = Sim::new();
            let _g = sim.enter_process();
            let _again = Sim::new().enter_process();
        })
        .join()
        .map(|_| String::new())
        .unwrap_or_else(|p| p.downcast_ref::<String>().cloned().unwrap_or_default())
    });
    assert!(msg.contains("wait for itself"), "{msg}");
}

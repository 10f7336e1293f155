//! Blocking calls release the simulator while they wait (GEN-4, NOT-12, AMB-31): other threads'
//! calls end them, and virtual time moves on its own only when every participant waits.
//! Every test runs under a watchdog: a bug fails it instead of hanging.

use std::time::Duration;

use qwave_sim::call::Call;
use qwave_sim::model::{Event, Fault, PathRef};
use qwave_sim::windows::Win32::Foundation::*;
use qwave_sim::windows::Win32::NetworkManagement::QoS::*;
use qwave_sim::windows::Win32::Networking::WinSock::*;
use qwave_sim::windows::Win32::System::Threading::*;
use qwave_sim::windows::Win32::System::IO::*;
use qwave_sim::Sim;

use super::{within_a_minute, V1};

/// The default world's LLTD peer: notifications can be asked for at once.
const PEER: &str = "192.168.1.20:5000";

fn peer_path() -> PathRef {
    PathRef::Peer("192.168.1.20".parse().unwrap())
}

fn congestion(on: bool) -> Fault {
    Fault::Congestion {
        path: peer_path(),
        congested: on,
    }
}

/// A handle and an adaptive voice flow toward [`PEER`], as raw values another thread can use.
fn handle_and_flow() -> (usize, u32, SOCKET) {
    let mut h = HANDLE::default();
    unsafe { QOSCreateHandle(&V1, &mut h) }.unwrap();
    let s = unsafe { socket(AF_INET.0 as i32, SOCK_DGRAM, IPPROTO_UDP.0) }.unwrap();
    let dest: SOCKADDR_IN = PEER.parse::<std::net::SocketAddrV4>().unwrap().into();
    let mut flow = 0u32;
    unsafe {
        QOSAddSocketToFlow(
            h,
            s,
            Some(&dest as *const SOCKADDR_IN as *const SOCKADDR),
            QOSTrafficTypeVoice,
            None,
            &mut flow,
        )
    }
    .unwrap();
    (h.0 as usize, flow, s)
}

fn handle(raw: usize) -> HANDLE {
    HANDLE(raw as *mut _)
}

/// A synchronous `QOSNotifyFlow(QOSNotifyCongested)`: its BOOL and last error.
fn notify_congested(h: usize, flow: u32) -> (bool, WIN32_ERROR) {
    let r = unsafe { QOSNotifyFlow(handle(h), flow, QOSNotifyCongested, None, None, None, None) };
    (
        r.as_bool(),
        if r.as_bool() {
            ERROR_SUCCESS
        } else {
            unsafe { GetLastError() }
        },
    )
}

/// The result the event log holds for the (only) synchronous notify call.
fn logged_notify_result(sim: &Sim) -> String {
    sim.events()
        .iter()
        .filter_map(|e| match &e.event {
            Event::Call {
                call: Call::NotifyFlow(_),
                result,
            } => Some(format!("{result:?}")),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn blocking_notify_ended_by_qosclosehandle_from_another_thread_gives_995_clo5_not14() {
    let (r, now, deadlocks, logged) = within_a_minute(|| {
        let sim = Sim::builder().seed(1).build();
        let _g = sim.enter(); // a participant: time stands still while this thread acts
        let (h, flow, _s) = handle_and_flow();
        let waiter = sim.spawn(move || notify_congested(h, flow));
        sim.wait_until_blocked(1);
        unsafe { QOSCloseHandle(handle(h)) }.unwrap();
        let r = waiter.join().unwrap();
        (r, sim.now(), sim.deadlocks(), logged_notify_result(&sim))
    });
    assert_eq!(r, (false, ERROR_OPERATION_ABORTED));
    assert_eq!(
        now,
        Duration::ZERO,
        "no virtual time passed: the close ended the wait"
    );
    assert_eq!(deadlocks, 0);
    assert!(
        logged.contains("995") || logged.contains("OPERATION_ABORTED"),
        "{logged}"
    );
}

#[test]
fn blocking_notify_ended_by_flow_removal_from_another_thread_gives_995_rem9_not14() {
    let r = within_a_minute(|| {
        let sim = Sim::new();
        let _g = sim.enter();
        let (h, flow, _s) = handle_and_flow();
        let waiter = sim.spawn(move || notify_congested(h, flow));
        sim.wait_until_blocked(1);
        unsafe { QOSRemoveSocketFromFlow(handle(h), None, flow, None) }.unwrap();
        let r = waiter.join().unwrap();
        sim.check_invariants().unwrap();
        r
    });
    assert_eq!(r, (false, ERROR_OPERATION_ABORTED));
}

/// A synchronous notify has no OVERLAPPED for QOSCancel to name; the blocking form QOSCancel
/// ends is a wait on an overlapped notify: `GetOverlappedResult(.., bWait = TRUE)`.
#[test]
fn blocking_wait_on_a_notify_ended_by_qoscancel_from_another_thread_gives_995_can3_not14() {
    let (ok, err, now) = within_a_minute(|| {
        let sim = Sim::new();
        let _g = sim.enter();
        let (h, flow, _s) = handle_and_flow();
        let ov: &'static mut OVERLAPPED = Box::leak(Box::default());
        let r = unsafe { QOSNotifyFlow(handle(h), flow, QOSNotifyCongested, None, None, None, Some(ov)) };
        assert!(!r.as_bool());
        assert_eq!(unsafe { GetLastError() }, ERROR_IO_PENDING);
        let ov_addr = ov as *mut OVERLAPPED as usize;
        let waiter = sim.spawn(move || {
            let mut n = 0u32;
            let r = unsafe { GetOverlappedResult(handle(h), ov_addr as *const OVERLAPPED, &mut n, true) };
            (r.is_ok(), unsafe { GetLastError() })
        });
        sim.wait_until_blocked(1);
        unsafe { QOSCancel(handle(h), ov_addr as *const OVERLAPPED) }.unwrap();
        let (ok, err) = waiter.join().unwrap();
        (ok, err, sim.now())
    });
    assert!(!ok);
    assert_eq!(err, ERROR_OPERATION_ABORTED);
    assert_eq!(now, Duration::ZERO);
}

#[test]
fn blocking_notify_ended_by_injected_congestion_returns_true_not4() {
    let (r, now, logged) = within_a_minute(|| {
        let sim = Sim::new();
        let _g = sim.enter();
        let (h, flow, _s) = handle_and_flow();
        sim.advance(Duration::from_secs(2)); // the path's estimate completes first (NOT-5)
        let waiter = sim.spawn(move || notify_congested(h, flow));
        sim.wait_until_blocked(1);
        sim.inject(congestion(true));
        let r = waiter.join().unwrap();
        (r, sim.now(), logged_notify_result(&sim))
    });
    assert_eq!(r, (true, ERROR_SUCCESS));
    assert_eq!(now, Duration::from_secs(2), "no time passed in the wait");
    assert!(
        logged.starts_with("Ok"),
        "the call is logged with its final result: {logged}"
    );
}

/// An advance from another thread stops at each scheduled event: a congestion that lasts one
/// second inside a five-second advance still ends the wait.
#[test]
fn advance_from_another_thread_ends_a_blocked_notify_at_the_event_that_satisfies_it() {
    let (r, now) = within_a_minute(|| {
        let sim = Sim::new();
        let _g = sim.enter();
        let (h, flow, _s) = handle_and_flow();
        sim.inject_at(Duration::from_secs(1), congestion(true));
        sim.inject_at(Duration::from_secs(2), congestion(false));
        let waiter = sim.spawn(move || notify_congested(h, flow));
        sim.wait_until_blocked(1);
        sim.advance(Duration::from_secs(5));
        (waiter.join().unwrap(), sim.now())
    });
    assert_eq!(r, (true, ERROR_SUCCESS));
    assert_eq!(now, Duration::from_secs(5));
}

#[test]
fn event_wait_ended_by_setevent_from_another_thread() {
    let (r, now, deadlocks) = within_a_minute(|| {
        let sim = Sim::new();
        let _g = sim.enter();
        let ev = unsafe { CreateEventW(None, false, false, None) }.unwrap();
        let raw = ev.0 as usize;
        let waiter = sim.spawn(move || unsafe { WaitForSingleObject(handle(raw), INFINITE) });
        sim.wait_until_blocked(1);
        unsafe { SetEvent(ev) }.unwrap();
        let r = waiter.join().unwrap();
        // The wait consumed the auto-reset event.
        assert_eq!(unsafe { WaitForSingleObject(ev, 0) }, WAIT_TIMEOUT);
        (r, sim.now(), sim.deadlocks())
    });
    assert_eq!(r, WAIT_OBJECT_0);
    assert_eq!(now, Duration::ZERO);
    assert_eq!(deadlocks, 0);
}

/// The usual way to stop a notification thread: wait for the notification or a shutdown event.
#[test]
fn wait_for_multiple_objects_ended_by_a_shutdown_event_from_another_thread() {
    let (r, now) = within_a_minute(|| {
        let sim = Sim::new();
        let _g = sim.enter();
        let (h, flow, _s) = handle_and_flow();
        let stop = unsafe { CreateEventW(None, true, false, None) }.unwrap();
        let (stop_raw, h_raw) = (stop.0 as usize, h);
        let waiter = sim.spawn(move || {
            let mut ov = OVERLAPPED {
                hEvent: unsafe { CreateEventW(None, true, false, None) }.unwrap(),
                ..Default::default()
            };
            let r = unsafe {
                QOSNotifyFlow(
                    handle(h_raw),
                    flow,
                    QOSNotifyCongested,
                    None,
                    None,
                    None,
                    Some(&mut ov),
                )
            };
            assert!(!r.as_bool());
            let w = unsafe { WaitForMultipleObjects(&[ov.hEvent, handle(stop_raw)], false, INFINITE) };
            // Shutdown: close the handle (the notify completes with 995), then wait for it.
            unsafe { QOSCloseHandle(handle(h_raw)) }.unwrap();
            let mut n = 0;
            let done = unsafe { GetOverlappedResult(handle(h_raw), &ov, &mut n, true) };
            assert_eq!(done.unwrap_err().code(), ERROR_OPERATION_ABORTED.to_hresult());
            w
        });
        sim.wait_until_blocked(1);
        unsafe { SetEvent(stop) }.unwrap();
        (waiter.join().unwrap(), sim.now())
    });
    assert_eq!(r, WAIT_EVENT(WAIT_OBJECT_0.0 + 1), "index 1: the shutdown event");
    assert_eq!(now, Duration::ZERO);
}

#[test]
fn wait_for_multiple_objects_reports_the_lowest_signaled_index_or_all() {
    let sim = Sim::new();
    let _g = sim.enter();
    let ev = |manual, on| unsafe { CreateEventW(None, manual, on, None) }.unwrap();
    let (a, b, c) = (ev(true, false), ev(false, true), ev(true, true));
    unsafe {
        assert_eq!(WaitForMultipleObjects(&[a, b, c], false, 0), WAIT_EVENT(1));
        assert_eq!(
            WaitForMultipleObjects(&[a, b, c], false, 0),
            WAIT_EVENT(2),
            "b auto-reset"
        );
        assert_eq!(WaitForMultipleObjects(&[a, c], true, 10), WAIT_TIMEOUT);
        assert_eq!(sim.now(), Duration::from_millis(10));
        SetEvent(a).unwrap();
        assert_eq!(WaitForMultipleObjects(&[a, c], true, 0), WAIT_OBJECT_0);
        assert_eq!(WaitForMultipleObjects(&[], false, 0), WAIT_FAILED);
        assert_eq!(GetLastError(), ERROR_INVALID_PARAMETER);
        assert_eq!(WaitForMultipleObjects(&[a, a], true, 0), WAIT_FAILED);
        assert_eq!(GetLastError(), ERROR_INVALID_PARAMETER);
        assert_eq!(
            WaitForMultipleObjects(&[a, HANDLE::default()], false, 0),
            WAIT_FAILED
        );
        assert_eq!(GetLastError(), ERROR_INVALID_HANDLE);
        // Nothing scheduled can signal `b`: an infinite wait is a deadlock (AMB-31).
        assert_eq!(WaitForMultipleObjects(&[b], false, INFINITE), WAIT_TIMEOUT);
    }
    assert_eq!(sim.deadlocks(), 1);
}

/// While a participant is active, time stands still; once every participant waits (here the
/// main thread joining), the waiting thread runs the clock to the next scheduled event.
#[test]
fn quiescence_advances_time_to_the_next_event_only_when_every_participant_waits() {
    let (held, r, now) = within_a_minute(|| {
        let sim = Sim::new();
        let _g = sim.enter();
        let (h, flow, _s) = handle_and_flow();
        sim.inject_at(Duration::from_secs(4), congestion(true));
        let waiter = sim.spawn(move || notify_congested(h, flow));
        sim.wait_until_blocked(1);
        std::thread::sleep(Duration::from_millis(50)); // wall time passes; virtual time must not
        let held = sim.now();
        let r = waiter.join().unwrap(); // joining counts as waiting: the sim is quiescent
        (held, r, sim.now())
    });
    assert_eq!(held, Duration::ZERO, "the main thread was active: no time passed");
    assert_eq!(r, (true, ERROR_SUCCESS));
    assert_eq!(
        now,
        Duration::from_secs(4),
        "time jumped to the congestion, not further"
    );
}

/// Two threads waiting at once: the clock runs event by event, each wait ends at its own
/// moment (a congestion at 4 s, a 10 s timeout), and the run is the same every time. The main
/// thread stays entered while it starts both, so neither wait runs the clock before the other
/// thread has begun; joining lets time move.
#[test]
fn quiescent_waits_on_two_threads_each_end_at_their_own_moment() {
    fn run() -> ((bool, WIN32_ERROR), WAIT_EVENT, Duration, usize) {
        let sim = Sim::new();
        let _g = sim.enter();
        let (h, flow, _s) = handle_and_flow();
        sim.inject_at(Duration::from_secs(4), congestion(true));
        let a = sim.spawn(move || notify_congested(h, flow));
        let b = sim.spawn(|| {
            let ev = unsafe { CreateEventW(None, true, false, None) }.unwrap();
            unsafe { WaitForSingleObject(ev, 10_000) }
        });
        let (ra, rb) = (a.join().unwrap(), b.join().unwrap());
        let deadlocks = sim.deadlocks() as usize;
        (ra, rb, sim.now(), deadlocks)
    }
    let (first, second) = within_a_minute(|| (run(), run()));
    assert_eq!(first.0, (true, ERROR_SUCCESS));
    assert_eq!(first.1, WAIT_TIMEOUT);
    assert_eq!(first.2, Duration::from_secs(10));
    assert_eq!(first.3, 0);
    assert_eq!(first, second);
}

/// A lone waiting thread is trivially quiescent: nothing can end its wait, so the deadlock
/// detector does (AMB-31), after `deadlock_after_ms` of virtual time, without hanging.
#[test]
fn lone_blocking_notify_on_another_thread_still_ends_with_1460_amb31() {
    let (r, now, deadlocks, logged) = within_a_minute(|| {
        let sim = Sim::new();
        let (h, flow) = {
            let _g = sim.enter();
            let (h, flow, _s) = handle_and_flow();
            (h, flow)
        };
        // The main thread never entered: the spawned thread is the only participant.
        let r = sim.spawn(move || notify_congested(h, flow)).join().unwrap();
        (r, sim.now(), sim.deadlocks(), logged_notify_result(&sim))
    });
    assert_eq!(r, (false, ERROR_TIMEOUT));
    assert_eq!(now, Duration::from_secs(3600), "the default deadlock_after_ms");
    assert_eq!(deadlocks, 1);
    assert!(logged.contains("1460") || logged.contains("TIMEOUT"), "{logged}");
}

/// A completion-port thread, the other common shape: it blocks in GetQueuedCompletionStatus
/// and is stopped by a packet another thread posts.
#[test]
fn getqueuedcompletionstatus_ended_by_a_packet_posted_from_another_thread() {
    let (got, now) = within_a_minute(|| {
        let sim = Sim::new();
        let _g = sim.enter();
        let port = unsafe { CreateIoCompletionPort(INVALID_HANDLE_VALUE, None, 0, 1) }.unwrap();
        let raw = port.0 as usize;
        let waiter = sim.spawn(move || {
            let (mut n, mut key, mut ov) = (0u32, 0usize, std::ptr::null_mut());
            let r = unsafe { GetQueuedCompletionStatus(handle(raw), &mut n, &mut key, &mut ov, INFINITE) };
            (r.is_ok(), n, key)
        });
        sim.wait_until_blocked(1);
        unsafe { PostQueuedCompletionStatus(port, 7, 0x5709, None) }.unwrap();
        (waiter.join().unwrap(), sim.now())
    });
    assert_eq!(got, (true, 7, 0x5709));
    assert_eq!(now, Duration::ZERO);
}

/// Threads that wait in every blocking call while others close, cancel, signal, inject and
/// advance: whatever the interleaving, nothing hangs, every wait ends with one of its
/// documented results, and the model's invariants hold.
#[test]
fn many_threads_blocking_and_acting_on_one_sim_never_hang() {
    within_a_minute(|| {
        let sim = Sim::builder().seed(3).build();
        let workers: Vec<_> = (0..6u32)
            .map(|i| {
                sim.spawn(move || {
                    let ev = unsafe { CreateEventW(None, false, false, None) }.unwrap();
                    for round in 0..40u32 {
                        let (h, flow, _s) = handle_and_flow();
                        match (i + round) % 4 {
                            0 => {
                                // Ended by a congestion flip, a close below, or the deadlock.
                                let (ok, err) = notify_congested(h, flow);
                                assert!(
                                    ok || [ERROR_OPERATION_ABORTED, ERROR_TIMEOUT].contains(&err),
                                    "notify: {err:?}"
                                );
                            }
                            1 => {
                                let w = unsafe { WaitForSingleObject(ev, 1 + round % 7) };
                                assert!(w == WAIT_OBJECT_0 || w == WAIT_TIMEOUT);
                            }
                            2 => {
                                let mut ov = OVERLAPPED::default();
                                let r = unsafe {
                                    QOSNotifyFlow(
                                        handle(h),
                                        flow,
                                        QOSNotifyUncongested,
                                        None,
                                        None,
                                        None,
                                        Some(&mut ov),
                                    )
                                };
                                if !r.as_bool() && unsafe { GetLastError() } == ERROR_IO_PENDING {
                                    if round % 2 == 0 {
                                        let _ = unsafe { QOSCancel(handle(h), &ov) };
                                    }
                                    let mut n = 0;
                                    // Completed, cancelled, or (all waiting, nothing scheduled)
                                    // a deadlock: ERROR_IO_INCOMPLETE, still pending (AMB-31).
                                    match unsafe { GetOverlappedResult(handle(h), &ov, &mut n, true) } {
                                        Ok(()) => assert_eq!(ov.Internal, 0),
                                        Err(e) => assert!(
                                            [ERROR_OPERATION_ABORTED, ERROR_IO_INCOMPLETE]
                                                .iter()
                                                .any(|c| c.to_hresult() == e.code()),
                                            "GetOverlappedResult: {e:?}"
                                        ),
                                    }
                                }
                            }
                            _ => {
                                unsafe { SetEvent(ev) }.unwrap();
                            }
                        }
                        let _ = unsafe { QOSCloseHandle(handle(h)) };
                    }
                })
            })
            .collect();
        for round in 0..100u32 {
            sim.inject(congestion(round % 2 == 0));
            sim.advance(Duration::from_millis(3));
            sim.check_invariants().expect("invariants while threads wait");
        }
        for w in workers {
            w.join().expect("worker");
        }
        sim.check_invariants().expect("invariants after the threads");
        assert_eq!(sim.blocked(), 0);
    });
}

/// A lone thread's blocking notify, waited for by the surface with the sim unlocked, leaves
/// exactly the event log of the model running the same call itself (as scenarios do): the call
/// stamped when it started, then what happened while it blocked (a query's completion, the
/// congestion at 4 s).
#[test]
fn a_lone_blocking_notify_logs_what_the_model_blocking_itself_logs_not12() {
    fn run(through_model: bool) -> Vec<qwave_sim::model::Stamped> {
        let sim = Sim::builder().seed(5).build();
        let _g = sim.enter();
        let (h, flow, _s) = handle_and_flow();
        let mut prio = QOS_PACKET_PRIORITY::default();
        let mut size = 16u32;
        let mut ov = OVERLAPPED::default();
        let r = unsafe {
            QOSQueryFlow(
                handle(h),
                flow,
                QOSQueryPacketPriority,
                &mut size,
                &mut prio as *mut _ as *mut _,
                None,
                Some(&mut ov),
            )
        };
        assert!(
            !r.as_bool(),
            "pending: completes 1 ms later, while the notify blocks"
        );
        sim.inject_at(Duration::from_secs(4), congestion(true));
        if through_model {
            let call = qwave_sim::call::NotifyFlow {
                handle: h as u64,
                flow,
                op: qwave_sim::call::NotifyOp::Congested,
                size: None,
                buffer: qwave_sim::call::NotifyBuffer::Null,
                flags: 0,
                overlapped: None,
            };
            assert!(sim.with_model(|m| m.apply(Call::NotifyFlow(call))).is_ok());
        } else {
            assert_eq!(notify_congested(h, flow), (true, ERROR_SUCCESS));
        }
        assert_eq!(ov.Internal, 0, "the query completed");
        sim.events()
    }
    let (surface, model) = within_a_minute(|| (run(false), run(true)));
    assert!(surface.len() > 5, "{surface:?}");
    assert_eq!(surface, model);
}

/// A thread that ends without dropping its guard (leaked) stops being a participant when it
/// exits, so it cannot hold the clock forever.
#[test]
fn a_thread_that_ends_with_a_leaked_guard_no_longer_holds_the_clock() {
    let (r, now) = within_a_minute(|| {
        let sim = Sim::new();
        let s2 = sim.clone();
        std::thread::spawn(move || std::mem::forget(s2.enter()))
            .join()
            .unwrap();
        let _g = sim.enter();
        let ev = unsafe { CreateEventW(None, true, false, None) }.unwrap();
        (unsafe { WaitForSingleObject(ev, 700) }, sim.now())
    });
    assert_eq!(r, WAIT_TIMEOUT);
    assert_eq!(now, Duration::from_millis(700));
}

/// Closing the port stops a completion thread: its wait fails with ERROR_ABANDONED_WAIT_0 (735)
/// and a NULL OVERLAPPED, as on Windows.
#[test]
fn getqueuedcompletionstatus_ended_by_closing_the_port_from_another_thread_gives_735() {
    let (r, err, ov_null) = within_a_minute(|| {
        let sim = Sim::new();
        let _g = sim.enter();
        let port = unsafe { CreateIoCompletionPort(INVALID_HANDLE_VALUE, None, 0, 1) }.unwrap();
        let raw = port.0 as usize;
        let waiter = sim.spawn(move || {
            let (mut n, mut key) = (0u32, 0usize);
            let mut ov = std::ptr::dangling_mut::<OVERLAPPED>(); // non-NULL: the call must clear it
            let r = unsafe { GetQueuedCompletionStatus(handle(raw), &mut n, &mut key, &mut ov, INFINITE) };
            (r.is_ok(), unsafe { GetLastError() }.0, ov.is_null())
        });
        sim.wait_until_blocked(1);
        unsafe { CloseHandle(port) }.unwrap();
        waiter.join().unwrap()
    });
    assert_eq!((r, err, ov_null), (false, 735, true));
}

/// errno after a blocking call (GEN-1, GEN-2): the wait goes through the OS (a condition
/// variable), which may write errno, yet a wait that ends with TRUE leaves the app's errno as
/// it was, and one that fails leaves the Win32 code there, for `io::Error::last_os_error()`.
#[cfg(unix)]
#[test]
fn blocking_notify_leaves_errno_alone_on_success_and_sets_it_on_failure() {
    let (ok, aborted) = within_a_minute(|| {
        let sim = Sim::new();
        let _g = sim.enter();
        let (h, flow, _s) = handle_and_flow();
        let errno_after = move || {
            assert!(std::fs::File::open("/qwave-sim/no/such/file").is_err()); // errno = ENOENT
            let r = notify_congested(h, flow);
            (r, std::io::Error::last_os_error().raw_os_error())
        };
        let waiter = sim.spawn(errno_after);
        sim.wait_until_blocked(1);
        sim.inject(congestion(true));
        let ok = waiter.join().unwrap();
        sim.inject(congestion(false));
        let waiter = sim.spawn(errno_after);
        sim.wait_until_blocked(1);
        unsafe { QOSCloseHandle(handle(h)) }.unwrap();
        (ok, waiter.join().unwrap())
    });
    assert_eq!(ok, ((true, ERROR_SUCCESS), Some(2)), "TRUE: errno still ENOENT");
    assert_eq!(aborted, ((false, ERROR_OPERATION_ABORTED), Some(995)));
}

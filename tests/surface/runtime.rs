//! The runtime around the surface: threads, isolation of parallel tests, determinism, real
//! sockets, and the loud failure when no sim is entered.

use std::time::Duration;

use qwave_sim::model::{Fault, PathRef, World};

use super::common::*;

#[test]
fn spawned_threads_reach_the_same_sim_with_their_own_last_error() {
    let sim = Sim::new();
    let _g = sim.enter();
    unsafe { SetLastError(WIN32_ERROR(1)) };
    let t = sim.spawn(|| {
        let h = create_handle();
        let r = unsafe { QOSCloseHandle(HANDLE::default()) };
        assert!(!r.as_bool());
        (h.0 as usize, unsafe { GetLastError() })
    });
    let (h, err) = t.join().unwrap();
    assert_eq!(err, ERROR_INVALID_HANDLE);
    assert_eq!(
        unsafe { GetLastError() },
        WIN32_ERROR(1),
        "last error is per thread"
    );
    let t2 = qwave_sim::thread::spawn(|| create_handle().0 as usize);
    let h2 = HANDLE(t2.join().unwrap() as *mut c_void);
    let values: Vec<u64> = sim.handles().iter().map(|x| x.value).collect();
    assert_eq!(values, vec![h as u64, h2.0 as usize as u64]);
    sim.check_invariants().unwrap();
}

#[test]
fn two_threads_add_flows_concurrently_to_one_handle() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let raw = h.0 as usize;
    let threads: Vec<_> = (0..2)
        .map(|_| {
            sim.spawn(move || {
                let h = HANDLE(raw as *mut c_void);
                (0..10)
                    .map(|_| add_flow(h, PEER, QOSTrafficTypeVoice, None).1)
                    .collect::<Vec<u32>>()
            })
        })
        .collect();
    let mut ids: Vec<u32> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 20);
    assert_eq!(sim.flows().len(), 20);
    sim.check_invariants().unwrap();
}

#[test]
fn nested_guards_restore_the_outer_sim() {
    let (a, b) = (Sim::new(), Sim::new());
    let _ga = a.enter();
    {
        let _gb = b.enter();
        create_handle();
    }
    assert_eq!((a.handles().len(), b.handles().len()), (0, 1));
    create_handle();
    create_handle();
    assert_eq!((a.handles().len(), b.handles().len()), (2, 1));
}

fn isolated_run(n: usize) {
    let sim = Sim::new();
    let _g = sim.enter();
    for _ in 0..n {
        let h = create_handle();
        add_flow(h, PEER, QOSTrafficTypeVoice, None);
        std::thread::yield_now();
    }
    assert_eq!(sim.handles().len(), n);
    assert_eq!(
        sim.flows().iter().map(|f| f.id).collect::<Vec<_>>(),
        (1..=n as u32).collect::<Vec<_>>()
    );
}

#[test]
fn parallel_test_a_sees_only_its_own_sim() {
    isolated_run(50);
}

#[test]
fn parallel_test_b_sees_only_its_own_sim() {
    isolated_run(70);
}

fn scripted_run(seed: u64) -> Vec<qwave_sim::model::Stamped> {
    let mut world = World::default();
    world.settings.estimate_jitter_pct = 20;
    let sim = Sim::builder().seed(seed).world(world).build();
    let _g = sim.enter();
    let h = create_handle();
    let (_s, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, None);
    sim.advance(Duration::from_secs(3));
    let mut f = QOS_FLOW_FUNDAMENTALS::default();
    let mut size = 40u32;
    let mut ov = overlapped_with_event();
    for _ in 0..5 {
        let r = unsafe {
            QOSQueryFlow(
                h,
                flow,
                QOSQueryFlowFundamentals,
                &mut size,
                &mut f as *mut _ as *mut c_void,
                None,
                Some(&mut ov),
            )
        };
        assert_eq!(r, false);
        assert_eq!(unsafe { WaitForSingleObject(ov.hEvent, INFINITE) }, WAIT_OBJECT_0);
        unsafe { ResetEvent(ov.hEvent) }.unwrap();
    }
    let path = PathRef::Peer("192.168.1.20".parse().unwrap());
    sim.inject_at(
        Duration::from_secs(4),
        Fault::Congestion {
            path,
            congested: true,
        },
    );
    let r = unsafe { QOSNotifyFlow(h, flow, QOSNotifyCongested, None, None, None, None) };
    assert!(
        r.as_bool(),
        "a synchronous notify blocks until the congestion at 4 s"
    );
    sim.events()
}

#[test]
fn same_seed_twice_gives_identical_event_logs() {
    let a = scripted_run(9);
    assert_eq!(a, scripted_run(9));
    assert_ne!(a, scripted_run(10), "the seed drives the estimate jitter");
}

#[cfg(unix)]
#[test]
fn real_std_udp_socket_is_accepted_and_a_later_connect_is_seen() {
    use std::os::fd::AsRawFd;
    let sim = Sim::builder().real_sockets(true).build();
    let _g = sim.enter();
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let s = SOCKET(udp.as_raw_fd() as usize);
    let mut name = SOCKADDR_IN::default();
    let mut len = 16i32;
    assert_eq!(
        unsafe { getpeername(s, &mut name as *mut SOCKADDR_IN as *mut SOCKADDR, &mut len) },
        SOCKET_ERROR
    );
    assert_eq!(unsafe { WSAGetLastError() }, WSAENOTCONN);
    udp.connect("127.0.0.1:9").unwrap();
    assert_eq!(
        unsafe { getpeername(s, &mut name as *mut SOCKADDR_IN as *mut SOCKADDR, &mut len) },
        0
    );
    assert_eq!(u16::from_be(name.sin_port), 9);
    let h = create_handle();
    let mut flow = 0u32;
    let r = unsafe {
        QOSAddSocketToFlow(
            h,
            s,
            None,
            QOSTrafficTypeVoice,
            Some(QOS_NON_ADAPTIVE_FLOW),
            &mut flow,
        )
    };
    assert!(
        r.as_bool(),
        "connected real socket without DestAddr: {:?}",
        unsafe { GetLastError() }
    );
    let flows = sim.flows();
    assert_eq!(flows[0].sockets, vec![s.0 as u64]);
    assert_eq!(flows[0].destination, "127.0.0.1:9".parse().unwrap());
    unsafe { QOSRemoveSocketFromFlow(h, Some(s), flow, None) }.unwrap();
    sim.check_invariants().unwrap();
}

#[test]
fn windows_call_without_a_sim_panics_saying_how_to_enter_one_or_enter_process() {
    let r = std::thread::spawn(|| unsafe { QOSCloseHandle(HANDLE::default()) }).join();
    let msg = match r {
        Err(p) => p.downcast_ref::<String>().cloned().unwrap_or_default(),
        Ok(_) => panic!("expected a panic"),
    };
    assert!(msg.contains("QOSCloseHandle"), "{msg}");
    assert!(msg.contains("sim.enter()"), "{msg}");
    // Threads the app starts itself: the message points to process-wide mode, naming tokio.
    assert!(msg.contains("sim.enter_process()"), "{msg}");
    assert!(msg.contains("tokio"), "{msg}");
    // The last error alone needs no sim.
    assert_eq!(
        std::thread::spawn(|| unsafe { GetLastError() }).join().unwrap(),
        ERROR_SUCCESS
    );
}

#[test]
fn guards_dropped_out_of_order_leave_the_right_sim() {
    let (a, b) = (Sim::new(), Sim::new());
    let ga = a.enter();
    let gb = b.enter();
    drop(ga);
    assert!(Sim::current().unwrap().same_as(&b));
    drop(gb);
    assert!(Sim::current().is_none());
}

#[test]
fn ipv6_and_dual_stack_destinations_decode_from_sockaddr_in6() {
    let sim = Sim::new();
    let _g = sim.enter();
    let h = create_handle();
    let s = unsafe { socket(AF_INET6.0 as i32, SOCK_DGRAM, IPPROTO_UDP.0) }.unwrap();
    let dest: std::net::SocketAddrV6 = "[fd00::20]:5004".parse().unwrap();
    let sa = SOCKADDR_IN6::from(dest);
    let mut flow = 0u32;
    let r = unsafe {
        QOSAddSocketToFlow(
            h,
            s,
            Some(&sa as *const SOCKADDR_IN6 as *const SOCKADDR),
            QOSTrafficTypeVoice,
            None,
            &mut flow,
        )
    };
    assert_ok(&sim, r);
    assert_eq!(sim.flows()[0].destination, std::net::SocketAddr::V6(dest));
    // RW-4, AMB-4: a v4-mapped DestAddr on a dual-stack socket fails with 87; the working
    // pattern is connect() to the mapped address, then DestAddr = NULL.
    let d = unsafe { socket(AF_INET6.0 as i32, SOCK_DGRAM, IPPROTO_UDP.0) }.unwrap();
    assert_eq!(
        unsafe { setsockopt(d, IPPROTO_IPV6.0, IPV6_V6ONLY, Some(&0i32.to_ne_bytes())) },
        0
    );
    let mapped: std::net::SocketAddrV6 = "[::ffff:192.168.1.30]:5004".parse().unwrap();
    let sa = SOCKADDR_IN6::from(mapped);
    let sap = &sa as *const SOCKADDR_IN6 as *const SOCKADDR;
    let mut flow2 = 0u32;
    let r = unsafe {
        QOSAddSocketToFlow(
            h,
            d,
            Some(sap),
            QOSTrafficTypeVoice,
            Some(QOS_NON_ADAPTIVE_FLOW),
            &mut flow2,
        )
    };
    assert_fails(&sim, r, ERROR_INVALID_PARAMETER);
    assert_eq!(unsafe { connect(d, sap, 28) }, 0);
    let r = unsafe {
        QOSAddSocketToFlow(
            h,
            d,
            None,
            QOSTrafficTypeVoice,
            Some(QOS_NON_ADAPTIVE_FLOW),
            &mut flow2,
        )
    };
    assert_ok(&sim, r);
    assert_ne!(flow, flow2);
}

/// Regression: request keys were OVERLAPPED addresses, so the event log of the same program
/// differed from run to run with where the allocator put its OVERLAPPEDs.
#[test]
fn overlapped_keys_do_not_depend_on_memory_addresses() {
    fn run(padding: usize) -> Vec<qwave_sim::model::Stamped> {
        let sim = Sim::builder().seed(3).build();
        let _g = sim.enter();
        let _pad = vec![0u8; padding]; // moves later allocations
        let h = create_handle();
        let (_s, flow) = add_flow(h, PEER, QOSTrafficTypeVoice, None);
        let mut ovs: Vec<Box<OVERLAPPED>> = (0..3).map(|_| Box::new(overlapped_with_event())).collect();
        for (op, ov) in [QOSNotifyCongested, QOSNotifyUncongested]
            .into_iter()
            .zip(ovs.iter_mut())
        {
            let r = unsafe { QOSNotifyFlow(h, flow, op, None, None, None, Some(&mut **ov)) };
            assert!(!r.as_bool());
        }
        assert_ok(&sim, unsafe { QOSCancel(h, &*ovs[0]) });
        assert_fails(&sim, unsafe { QOSCancel(h, &*ovs[2]) }, ERROR_NOT_FOUND);
        sim.advance(std::time::Duration::from_secs(1));
        assert_ok(&sim, unsafe { QOSCloseHandle(h) });
        sim.advance(std::time::Duration::from_secs(1));
        sim.check_invariants().unwrap();
        drop(ovs);
        sim.events()
    }
    assert_eq!(run(1), run(4096 * 7 + 3));
}

#[test]
fn handles_lists_what_is_still_to_close_and_all_handles_everything() {
    // The root re-exports and the old paths name the same types.
    let world: qwave_sim::World = qwave_sim::model::World::default();
    let sim = Sim::builder().world(world).build();
    let _g = sim.enter();
    let (a, b, c) = (create_handle(), create_handle(), create_handle());
    unsafe { QOSCloseHandle(a) }.unwrap();
    let fault: qwave_sim::Fault = qwave_sim::model::Fault::DeviceReset;
    sim.inject(fault);
    // b and c are stale now (GEN-8): still to close.
    let live: Vec<u64> = sim.handles().iter().map(|h| h.value).collect();
    assert_eq!(live, vec![b.0 as u64, c.0 as u64]);
    unsafe { QOSCloseHandle(b) }.unwrap();
    unsafe { QOSCloseHandle(c) }.unwrap();
    assert!(sim.handles().is_empty(), "no leak: {:?}", sim.handles());
    assert_eq!(sim.all_handles().len(), 3);
    assert!(sim
        .all_handles()
        .iter()
        .all(|h| h.state == qwave_sim::model::HandleState::Dead));
}

/// Every socket-taking call on `SOCKET(v)` for small `v`, as (return value, last error) pairs,
/// plus the run's trace: what a test that passes made-up socket values observes.
#[cfg(unix)]
fn answers_for_small_values(sim: &Sim) -> (Vec<(i64, u32)>, String) {
    let _g = sim.enter();
    let h = create_handle();
    let dest = sockaddr(PEER);
    let mut out = Vec::new();
    let mut note = |r: i64| out.push((r, unsafe { GetLastError() }.0));
    for v in 0..=64usize {
        let s = SOCKET(v);
        unsafe {
            SetLastError(WIN32_ERROR(0));
            let mut flow = 0u32;
            let r = QOSAddSocketToFlow(
                h,
                s,
                Some(&dest as *const SOCKADDR_IN as *const SOCKADDR),
                QOSTrafficTypeVoice,
                Some(QOS_NON_ADAPTIVE_FLOW),
                &mut flow,
            );
            note(r.0 as i64);
            note(QOSRemoveSocketFromFlow(h, Some(s), 1, None).0 as i64);
            let (mut name, mut len) = (SOCKADDR_IN::default(), 16i32);
            note(getsockname(s, &mut name as *mut SOCKADDR_IN as *mut SOCKADDR, &mut len) as i64);
            note(getpeername(s, &mut name as *mut SOCKADDR_IN as *mut SOCKADDR, &mut len) as i64);
            let any = sockaddr("0.0.0.0:0");
            note(bind(s, &any as *const SOCKADDR_IN as *const SOCKADDR, 16) as i64);
            note(connect(s, &dest as *const SOCKADDR_IN as *const SOCKADDR, 16) as i64);
            note(closesocket(s) as i64);
        }
    }
    unsafe { QOSCloseHandle(h) }.unwrap();
    let events = sim.events();
    let names = qwave_sim::scenario::record_names(&events);
    (
        out,
        qwave_sim::trace::render(&events, &names, qwave_sim::trace::Format::Text),
    )
}

#[cfg(unix)]
#[test]
fn small_socket_values_give_the_same_answers_whichever_fds_are_open() {
    use std::os::fd::AsRawFd;
    let quiet = answers_for_small_values(&Sim::builder().seed(4).build());
    assert!(
        quiet.0.iter().all(|&(r, _)| r == 0 || r == -1),
        "unknown values fail: {:?}",
        quiet.0
    );

    // Now fill small fd numbers with real sockets (and a file), as other tests in the same
    // binary do.
    let udp: Vec<std::net::UdpSocket> = (0..16)
        .map(|_| std::net::UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    let connected = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    connected.connect("127.0.0.1:9").unwrap();
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let file = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
    let fds: Vec<i32> = udp
        .iter()
        .map(|u| u.as_raw_fd())
        .chain([connected.as_raw_fd(), tcp.as_raw_fd(), file.as_raw_fd()])
        .collect();
    assert!(
        fds.iter().any(|&fd| fd <= 64),
        "some sockets at small fds: {fds:?}"
    );
    let busy = answers_for_small_values(&Sim::builder().seed(4).build());
    assert_eq!(quiet, busy, "the answers do not depend on which fds are open");

    // The same values on a sim that takes real sockets do reach them.
    let real = answers_for_small_values(&Sim::builder().seed(4).real_sockets(true).build());
    assert_ne!(real.0, quiet.0);
    assert!(real.1.contains("os-socket-1"), "{}", real.1);
    drop((udp, connected, tcp, file));
}

#[cfg(unix)]
#[test]
fn a_successful_call_on_a_real_socket_leaves_errno_alone() {
    use std::os::fd::AsRawFd;
    let sim = Sim::builder().real_sockets(true).build();
    let _g = sim.enter();
    let udp = std::net::UdpSocket::bind("0.0.0.0:0").unwrap(); // unconnected: getpeername fails inside
    let s = SOCKET(udp.as_raw_fd() as usize);
    let h = create_handle();
    assert!(std::fs::File::open("/qwave-sim/no/such/file").is_err());
    let dest = sockaddr(PEER);
    let mut flow = 0;
    unsafe {
        QOSAddSocketToFlow(
            h,
            s,
            Some(&dest as *const SOCKADDR_IN as *const SOCKADDR),
            QOSTrafficTypeVoice,
            Some(QOS_NON_ADAPTIVE_FLOW),
            &mut flow,
        )
    }
    .unwrap();
    assert_eq!(
        std::io::Error::last_os_error().raw_os_error(),
        Some(2),
        "still ENOENT"
    );
    unsafe { QOSCloseHandle(h) }.unwrap();
}

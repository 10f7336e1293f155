//! Seeded random call sequences, good and bad arguments mixed, through `windows` in one sim
//! and `windows_sys` in a twin: after every call both return the same value, leave the same
//! last error (or none, GEN-2), write the same outputs and OVERLAPPEDs, and keep their
//! invariants; at the end the event logs are identical (OVERLAPPED addresses mapped to slots).

use qwave_sim::call::Call as QosCall;
use qwave_sim::model::OverlappedKey;
use qwave_sim::windows as w;

use super::calls::{contents, destinations, gen_call, Call, Rng, SETUP};
use super::common::*;

/// The memory one sim's calls point into (boxed: addresses stay put while requests pend).
struct Mem {
    /// Two OVERLAPPED slots.
    ov: [[usize; 4]; 2],
    /// `*Size` per slot; index 2 for calls without an OVERLAPPED.
    size: [u32; 3],
    /// Buffers, likewise.
    buf: [[u8; 64]; 3],
    flow: u32,
    handle: usize,
}

impl Mem {
    fn boxed() -> Box<Mem> {
        Box::new(Mem {
            ov: [[0; 4]; 2],
            size: [0; 3],
            buf: [[0; 64]; 3],
            flow: 0,
            handle: 0,
        })
    }
}

/// The raw pointers one call passes, set up in one sim's memory (NULL where the call passes
/// NULL); each surface casts them to its own types.
struct Ptrs {
    ov: *mut c_void,
    size: *mut u32,
    buf: *mut c_void,
    flow: *mut u32,
    handle: *mut usize,
    dest: *const u8,
    version: Option<u16>,
}

impl Mem {
    /// Sets up `*Size`, the buffer, `*FlowId` for `c` and returns the pointers it passes.
    fn ptrs(&mut self, c: &Call, dests: &[[u8; 28]], contents: &[[u8; 16]]) -> Ptrs {
        let mut p = Ptrs {
            ov: null_mut(),
            size: null_mut(),
            buf: null_mut(),
            flow: null_mut(),
            handle: null_mut(),
            dest: null(),
            version: None,
        };
        let (ov, size, buf, content) = match *c {
            Call::Create { version, out } => {
                p.version = version;
                if out {
                    p.handle = &mut self.handle;
                }
                (None, None, false, None)
            }
            Call::Add { dest, flow, .. } => {
                p.dest = dest.map_or(null(), |i| dests[i].as_ptr());
                self.flow = flow.unwrap_or(0);
                if flow.is_some() {
                    p.flow = &mut self.flow;
                }
                (None, None, false, None)
            }
            Call::Track { dest, .. } => {
                p.dest = dest.map_or(null(), |i| dests[i].as_ptr());
                (None, None, false, None)
            }
            Call::Set { content, ov, .. } => (ov, None, content.is_some(), content),
            Call::Query { size, buf, ov, .. } | Call::Notify { size, buf, ov, .. } => (ov, size, buf, None),
            Call::Enumerate { size, buf, .. } => (None, size, buf, None),
            Call::Cancel { ov, .. } | Call::Result { ov, .. } => (ov, None, false, None),
            Call::Close { .. } | Call::Remove { .. } | Call::Advance { .. } => (None, None, false, None),
        };
        // Slots 0 and 1 go with the OVERLAPPEDs (their pointers must outlive the request,
        // QRY-15); slot 2 is for calls without one.
        let i = ov.unwrap_or(2);
        if let Some(o) = ov {
            p.ov = self.ov[o].as_mut_ptr().cast();
        }
        self.size[i] = size.unwrap_or(0);
        self.buf[i] = [0xCC; 64];
        if let Some(k) = content {
            self.buf[i][..16].copy_from_slice(&contents[k]);
        }
        if size.is_some() {
            p.size = &mut self.size[i];
        }
        if buf {
            p.buf = self.buf[i].as_mut_ptr().cast();
        }
        p
    }
}

/// `Some(p)` unless NULL: the `windows` crate's `Option<*mut T>` parameters.
fn opt<T>(p: *mut T) -> Option<*mut T> {
    (!p.is_null()).then_some(p)
}

/// `Some(flags)` unless 0: `windows`' `Option<u32>` flags (`None` passes 0).
fn opt_flags(flags: u32) -> Option<u32> {
    (flags != 0).then_some(flags)
}

/// Runs a call through the `windows` surface: (returned BOOL, last error).
unsafe fn via_windows(sim: &Sim, c: Call, p: &Ptrs) -> (i32, u32) {
    use w::Win32::Foundation::{GetLastError, SetLastError, HANDLE, WIN32_ERROR};
    use w::Win32::NetworkManagement::QoS as q;
    use w::Win32::Networking::WinSock::{SOCKADDR, SOCKET};
    use w::Win32::System::IO::OVERLAPPED;
    let hd = |h: u64| HANDLE(h as usize as *mut c_void);
    let (ov, dest) = (p.ov.cast::<OVERLAPPED>(), p.dest.cast::<SOCKADDR>());
    unsafe { SetLastError(WIN32_ERROR(SENTINEL)) };
    let r = unsafe {
        match c {
            Call::Create { .. } => {
                let v = p.version.map(|v| q::QOS_VERSION {
                    MajorVersion: v,
                    MinorVersion: 0,
                });
                let vp = v.as_ref().map_or(null(), |v| v as *const q::QOS_VERSION);
                q::QOSCreateHandle(vp, p.handle.cast()).0
            }
            Call::Close { h } => q::QOSCloseHandle(hd(h)).0,
            Call::Add { h, s, tt, flags, .. } => {
                let (s, tt, d) = (
                    SOCKET(s as usize),
                    q::QOS_TRAFFIC_TYPE(tt),
                    (!dest.is_null()).then_some(dest),
                );
                q::QOSAddSocketToFlow(hd(h), s, d, tt, opt_flags(flags), p.flow).0
            }
            Call::Remove { h, s, flow, flags } => {
                let s = (s != 0).then_some(SOCKET(s as usize));
                q::QOSRemoveSocketFromFlow(hd(h), s, flow, opt_flags(flags)).0
            }
            Call::Set {
                h,
                flow,
                op,
                size,
                flags,
                ..
            } => {
                let op = q::QOS_SET_FLOW(op);
                q::QOSSetFlow(hd(h), flow, op, size, p.buf, opt_flags(flags), opt(ov)).0
            }
            Call::Query {
                h, flow, op, flags, ..
            } => {
                let op = q::QOS_QUERY_FLOW(op);
                q::QOSQueryFlow(hd(h), flow, op, p.size, p.buf, opt_flags(flags), opt(ov)).0
            }
            Call::Notify {
                h, flow, op, flags, ..
            } => {
                let (op, size, buf) = (q::QOS_NOTIFY_FLOW(op), opt(p.size), opt(p.buf));
                q::QOSNotifyFlow(hd(h), flow, op, size, buf, opt_flags(flags), opt(ov)).0
            }
            Call::Cancel { h, .. } => q::QOSCancel(hd(h), ov).0,
            Call::Enumerate { h, .. } => q::QOSEnumerateFlows(hd(h), p.size, p.buf).0,
            Call::Track {
                start: true,
                h,
                flags,
                ..
            } => q::QOSStartTrackingClient(hd(h), dest, opt_flags(flags)).0,
            Call::Track { h, flags, .. } => q::QOSStopTrackingClient(hd(h), dest, opt_flags(flags)).0,
            Call::Result { h, wait, .. } => {
                let mut n = 0u32;
                i32::from(w::Win32::System::IO::GetOverlappedResult(hd(h), ov, &mut n, wait).is_ok())
            }
            Call::Advance { ms } => {
                sim.advance(Duration::from_millis(ms));
                1
            }
        }
    };
    (r, unsafe { GetLastError() }.0)
}

/// Runs a call through the `windows_sys` surface: (returned BOOL, last error).
unsafe fn via_windows_sys(sim: &Sim, c: Call, p: &Ptrs) -> (i32, u32) {
    let hd = |h: u64| h as usize as HANDLE;
    let (ov, dest) = (p.ov.cast::<OVERLAPPED>(), p.dest.cast::<SOCKADDR>());
    unsafe { SetLastError(SENTINEL) };
    let r = unsafe {
        match c {
            Call::Create { .. } => {
                let v = p.version.map(|v| QOS_VERSION {
                    MajorVersion: v,
                    MinorVersion: 0,
                });
                let vp = v.as_ref().map_or(null(), |v| v as *const QOS_VERSION);
                QOSCreateHandle(vp, p.handle.cast())
            }
            Call::Close { h } => QOSCloseHandle(hd(h)),
            Call::Add { h, s, tt, flags, .. } => {
                QOSAddSocketToFlow(hd(h), s as SOCKET, dest, tt, flags, p.flow)
            }
            Call::Remove { h, s, flow, flags } => QOSRemoveSocketFromFlow(hd(h), s as SOCKET, flow, flags),
            Call::Set {
                h,
                flow,
                op,
                size,
                flags,
                ..
            } => QOSSetFlow(hd(h), flow, op, size, p.buf, flags, ov),
            Call::Query {
                h, flow, op, flags, ..
            } => QOSQueryFlow(hd(h), flow, op, p.size, p.buf, flags, ov),
            Call::Notify {
                h, flow, op, flags, ..
            } => QOSNotifyFlow(hd(h), flow, op, p.size, p.buf, flags, ov),
            Call::Cancel { h, .. } => QOSCancel(hd(h), ov),
            Call::Enumerate { h, .. } => QOSEnumerateFlows(hd(h), p.size, p.buf),
            Call::Track {
                start: true,
                h,
                flags,
                ..
            } => QOSStartTrackingClient(hd(h), dest, flags),
            Call::Track { h, flags, .. } => QOSStopTrackingClient(hd(h), dest, flags),
            Call::Result { h, wait, .. } => {
                let mut n = 0u32;
                GetOverlappedResult(hd(h), ov, &mut n, BOOL::from(wait))
            }
            Call::Advance { ms } => {
                sim.advance(Duration::from_millis(ms));
                1
            }
        }
    };
    (r, unsafe { GetLastError() })
}

/// The event log with each OVERLAPPED address replaced by its slot number.
fn normalized(events: Vec<Stamped>, m: &Mem) -> Vec<Stamped> {
    let norm = |k: OverlappedKey| {
        let i = m.ov.iter().position(|o| o.as_ptr() as OverlappedKey == k);
        i.map_or(k, |i| i as OverlappedKey + 1)
    };
    events
        .into_iter()
        .map(|mut e| {
            match &mut e.event {
                Event::Call { call, .. } => {
                    let overlapped = match call {
                        QosCall::SetFlow(c) => &mut c.overlapped,
                        QosCall::QueryFlow(c) => &mut c.overlapped,
                        QosCall::NotifyFlow(c) => &mut c.overlapped,
                        QosCall::Cancel(c) => &mut c.overlapped,
                        _ => return e,
                    };
                    *overlapped = overlapped.map(norm);
                }
                Event::Completion(c) => c.key = norm(c.key),
                _ => {}
            }
            e
        })
        .collect()
}

/// What a run did, for the caller's check that the mix exercises the surfaces.
pub struct Stats {
    pub failures: usize,
    pub completions: usize,
    pub codes: std::collections::BTreeSet<u32>,
}

/// Runs `script`, then `steps` random calls, through `windows` in one sim and `windows_sys`
/// in its twin (same seed and world), checking after every call that both surfaces did the
/// same, and at the end that the event logs are identical. Returns what sim `windows` did.
pub fn twin_run(seed: u64, world: World, script: &[Call], steps: usize) -> (Stats, Vec<Stamped>) {
    let (a, b) = (
        Sim::builder().seed(seed).world(world.clone()).build(),
        Sim::builder().seed(seed).world(world).build(),
    );
    let (mut ma, mut mb) = (Mem::boxed(), Mem::boxed());
    let (dests, contents) = (destinations(), contents());
    // The same sockets in both sims: a connected v4 one, an unconnected v4 one, a v6 one.
    let sockets: Vec<Vec<u64>> = [&a, &b]
        .into_iter()
        .map(|sim| {
            let _g = sim.enter();
            let peer = sockaddr_in("192.168.1.20:5000");
            let s1 = udp(AF_INET);
            assert_eq!(unsafe { connect(s1, as_sockaddr(&peer), 16) }, 0);
            vec![s1 as u64, udp(AF_INET) as u64, udp(AF_INET6) as u64]
        })
        .collect();
    assert_eq!(sockets[0], sockets[1]);
    let sockets = &sockets[0];
    let mut rng = Rng(seed);
    let (mut live, mut closed): (Vec<u64>, Vec<u64>) = (Vec::new(), Vec::new());
    let mut failures = 0;
    for step in 0..script.len() + steps {
        let c = match script.get(step) {
            Some(c) => c.resolve(live.last().copied(), sockets),
            None => gen_call(&mut rng, &live, &closed, sockets),
        };
        let ra = {
            let _g = a.enter();
            let p = ma.ptrs(&c, &dests, &contents);
            unsafe { via_windows(&a, c, &p) }
        };
        let rb = {
            let _g = b.enter();
            let p = mb.ptrs(&c, &dests, &contents);
            unsafe { via_windows_sys(&b, c, &p) }
        };
        let at = format!("seed {seed} step {step}: {c:?}");
        assert_eq!(ra, rb, "{at}: (BOOL, last error)");
        assert!(
            ra.0 == 0 || ra.1 == SENTINEL,
            "{at}: GEN-2, a success wrote the last error"
        );
        assert_ne!(
            (ra.0, ra.1),
            (0, SENTINEL),
            "{at}: GEN-1, a failure without a last error"
        );
        failures += usize::from(ra.0 == 0);
        assert_eq!(
            (ma.size, ma.buf, ma.flow),
            (mb.size, mb.buf, mb.flow),
            "{at}: outputs"
        );
        assert_eq!(ma.ov, mb.ov, "{at}: OVERLAPPEDs");
        assert_eq!(ma.handle, mb.handle, "{at}: *QOSHandle");
        match c {
            Call::Create { out: true, .. } if ra.0 != 0 => live.push(ma.handle as u64),
            Call::Close { h } if ra.0 != 0 => {
                live.retain(|&x| x != h);
                closed.push(h);
            }
            _ => {}
        }
        a.check_invariants().unwrap_or_else(|v| panic!("{at}: {v:?}"));
        b.check_invariants().unwrap_or_else(|v| panic!("{at}: {v:?}"));
    }
    assert_eq!(
        normalized(a.events(), &ma),
        normalized(b.events(), &mb),
        "seed {seed}: event logs"
    );
    let events = a.events();
    let completions = events
        .iter()
        .filter(|e| matches!(e.event, Event::Completion(_)))
        .count();
    let codes = events.iter().filter_map(|e| match &e.event {
        Event::Call { result: Err(x), .. } => Some(x.code.0),
        _ => None,
    });
    let stats = Stats {
        failures,
        completions,
        codes: codes.collect(),
    };
    (stats, events)
}

#[test]
fn random_calls_behave_identically_through_windows_and_windows_sys() {
    const SEEDS: u64 = 24;
    const STEPS: usize = 80;
    let script = SETUP;
    let (mut failures, mut completions, mut codes) = (0, 0, std::collections::BTreeSet::new());
    for seed in 0..SEEDS {
        let mut world = World::default();
        world.policy.admin = seed % 2 == 0;
        let (st, _) = twin_run(seed, world, &script, STEPS);
        failures += st.failures;
        completions += st.completions;
        codes.extend(st.codes);
    }
    // The mix exercises both outcomes, overlapped completions and many distinct errors.
    let calls = SEEDS as usize * (STEPS + script.len());
    assert!(
        failures > calls / 5 && failures < calls * 4 / 5,
        "{failures} of {calls} calls failed"
    );
    assert!(completions >= 10, "{completions} completions");
    for code in [
        ERROR_INVALID_HANDLE,
        ERROR_INVALID_PARAMETER,
        ERROR_NOT_FOUND,
        ERROR_IO_PENDING,
    ] {
        assert!(codes.contains(&code), "no {code} in {codes:?}");
    }
}

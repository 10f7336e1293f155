//! Seeded random call sequences through every function of the surface, with valid and
//! invalid arguments mixed. After every call: the sim's invariants hold; TRUE leaves a
//! pre-seeded last error untouched (GEN-2); FALSE sets exactly the error the model recorded
//! for the call (GEN-1); an accepted overlapped request shows `STATUS_PENDING`. At the end,
//! every accepted request has completed into its OVERLAPPED (GEN-3).

use std::net::SocketAddr;
use std::ptr::{null, null_mut};
use std::time::Duration;

use qwave_sim::model::{Event, Fault, PathRef, World};

use super::common::*;

const SENTINEL: WIN32_ERROR = WIN32_ERROR(0x5EED);
const SLOTS: usize = 4;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len())]
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
}

/// Memory that outlives every request: OVERLAPPEDs, sizes and buffers (QRY-15).
struct Slot {
    ov: OVERLAPPED,
    size: u32,
    buf: [u64; 8],
}

fn last_model_error(sim: &Sim) -> Option<u32> {
    sim.with_model(|m| {
        m.events().iter().rev().find_map(|e| match &e.event {
            Event::Call { result, .. } => Some(result.as_ref().err().map_or(0, |e| e.code.0)),
            _ => None,
        })
    })
}

fn run(seed: u64, steps: usize) {
    let mut world = World::default();
    world.policy.admin = seed % 2 == 0;
    let sim = Sim::builder().seed(seed).world(world).build();
    let _g = sim.enter();
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut slots: Box<[Slot]> = (0..SLOTS)
        .map(|_| Slot {
            ov: OVERLAPPED {
                hEvent: unsafe { CreateEventW(None, true, false, None) }.unwrap(),
                ..Default::default()
            },
            size: 0,
            buf: [0; 8],
        })
        .collect();
    let mut handles = vec![HANDLE::default(), HANDLE(0x1234 as *mut c_void)];
    let mut sockets = vec![SOCKET(0), SOCKET(7_777_777)];
    let mut flows = vec![0u32, 1, 999];
    let mut pairs: Vec<(HANDLE, u32)> = Vec::new();
    let dests: [SocketAddr; 6] = [
        "192.168.1.20:5000".parse().unwrap(),
        "192.168.1.30:5000".parse().unwrap(),
        "10.1.2.3:80".parse().unwrap(),
        "198.51.100.9:1".parse().unwrap(),
        "[fd00::20]:5000".parse().unwrap(),
        "127.0.0.1:9".parse().unwrap(),
    ];
    let peer = PathRef::Peer("192.168.1.20".parse().unwrap());
    for step in 0..steps {
        // Mostly the newest handle, flow and socket (valid), sometimes any (stale or garbage).
        let (h, flow) = if rng.chance(75) && !pairs.is_empty() {
            pairs[pairs.len() - 1 - rng.below(pairs.len().min(4))]
        } else if rng.chance(70) {
            (*handles.last().unwrap(), rng.pick(&flows))
        } else {
            (rng.pick(&handles), rng.pick(&flows))
        };
        let op = rng.pick(&[-1, 0, 0, 1, 1, 2, 2, 3]);
        let flags = rng.pick(&[0u32, 0, 0, 0, 0, 1, 2, 0x80]);
        let si = rng.below(SLOTS);
        let free = slots[si].ov.Internal != STATUS_PENDING.0 as usize;
        let use_ov = free && rng.chance(50);
        let slot = &mut slots[si];
        slot.size = if rng.chance(60) {
            64
        } else {
            rng.pick(&[0u32, 4, 8, 16, 40])
        };
        slot.buf = [rng.next(); 8];
        let ovp: Option<*mut OVERLAPPED> = use_ov.then_some(&mut slot.ov as *mut OVERLAPPED);
        let bufp = if rng.chance(90) {
            slot.buf.as_mut_ptr() as *mut c_void
        } else {
            null_mut()
        };
        let sizep: *mut u32 = if rng.chance(90) {
            &mut slot.size
        } else {
            null_mut()
        };
        let dest = if rng.chance(50) {
            dests[0]
        } else {
            rng.pick(&dests)
        };
        let (v4, v6): (SOCKADDR_IN, SOCKADDR_IN6) = match dest {
            SocketAddr::V4(a) => (a.into(), SOCKADDR_IN6::default()),
            SocketAddr::V6(a) => (SOCKADDR_IN::default(), a.into()),
        };
        let destp: *const SOCKADDR = match (rng.below(10), dest) {
            (0, _) => null(),
            (_, SocketAddr::V4(_)) => &v4 as *const SOCKADDR_IN as *const SOCKADDR,
            (_, SocketAddr::V6(_)) => &v6 as *const SOCKADDR_IN6 as *const SOCKADDR,
        };
        unsafe { SetLastError(SENTINEL) };
        let kind = rng.below(16);
        let r: Option<BOOL> = unsafe {
            match kind {
                0 if rng.chance(20) => {
                    let mut out = HANDLE::default();
                    let v = QOS_VERSION {
                        MajorVersion: rng.pick(&[1, 1, 1, 2]),
                        MinorVersion: 0,
                    };
                    let r = QOSCreateHandle(&v, &mut out);
                    if r.as_bool() {
                        handles.push(out);
                    }
                    Some(r)
                }
                0 => {
                    let s = *sockets.last().unwrap();
                    let mut f = 0;
                    let h = *handles.last().unwrap();
                    let r = QOSAddSocketToFlow(h, s, Some(destp), QOSTrafficTypeVoice, None, &mut f);
                    if r.as_bool() {
                        flows.push(f);
                        pairs.push((h, f));
                    }
                    Some(r)
                }
                1 if rng.chance(10) => Some(QOSCloseHandle(h)),
                1 => {
                    let mut out = HANDLE::default();
                    QOSCreateHandle(
                        &QOS_VERSION {
                            MajorVersion: 1,
                            MinorVersion: 0,
                        },
                        &mut out,
                    )
                    .unwrap();
                    handles.push(out);
                    None
                }
                2 => {
                    let s = if rng.chance(70) {
                        *sockets.last().unwrap()
                    } else {
                        rng.pick(&sockets)
                    };
                    let mut f = if rng.chance(30) { flow } else { 0 };
                    let d = if rng.chance(80) { Some(destp) } else { None };
                    let tt = QOS_TRAFFIC_TYPE(rng.pick(&[0, 3, 4, 5, 9]));
                    let fl = rng.pick(&[None, None, None, Some(QOS_NON_ADAPTIVE_FLOW), Some(flags)]);
                    let r = QOSAddSocketToFlow(h, s, d, tt, fl, &mut f);
                    if r.as_bool() {
                        flows.push(f);
                        pairs.push((h, f));
                    }
                    Some(r)
                }
                3 => {
                    let s = if rng.chance(30) {
                        None
                    } else {
                        Some(rng.pick(&sockets))
                    };
                    Some(QOSRemoveSocketFromFlow(
                        h,
                        s,
                        flow,
                        Some(flags).filter(|_| rng.chance(30)),
                    ))
                }
                4 => {
                    let size = match (rng.chance(70), op) {
                        (true, 1) => 16,
                        (true, _) => 4,
                        (false, _) => rng.pick(&[0u32, 2, 4, 16, 20]),
                    };
                    slot.buf[0] = rng.pick(&[0u64, 4, 50_000, 1_000_000]);
                    slot.buf[1] = rng.pick(&[0u64, 1, 7]);
                    let b = &slot.buf as *const [u64; 8] as *const c_void;
                    Some(QOSSetFlow(h, flow, QOS_SET_FLOW(op), size, b, None, ovp))
                }
                5 => Some(QOSQueryFlow(
                    h,
                    flow,
                    QOS_QUERY_FLOW(op),
                    sizep,
                    bufp,
                    Some(flags & 1),
                    ovp,
                )),
                6 if use_ov => Some(QOSNotifyFlow(
                    h,
                    flow,
                    QOS_NOTIFY_FLOW(op),
                    (op == 2).then_some(sizep),
                    (op == 2).then_some(bufp),
                    None,
                    ovp,
                )),
                7 => Some(QOSCancel(h, &slots[rng.below(SLOTS)].ov)),
                8 => Some(QOSEnumerateFlows(h, sizep, bufp)),
                9 => Some(QOSStartTrackingClient(h, destp, None)),
                10 => Some(QOSStopTrackingClient(h, destp, None)),
                11 => {
                    let af = rng.pick(&[AF_INET.0 as i32, AF_INET.0 as i32, AF_INET6.0 as i32, 5]);
                    if let Ok(s) = socket(af, rng.pick(&[SOCK_DGRAM, SOCK_STREAM]), 0) {
                        if rng.chance(50) {
                            let len = if af == 2 { 16 } else { 28 };
                            connect(s, destp, len);
                        }
                        sockets.push(s);
                    }
                    None
                }
                12 => {
                    sim.advance(Duration::from_millis(rng.pick(&[1, 10, 500, 1500])));
                    None
                }
                13 => {
                    let congested = rng.chance(50);
                    sim.inject(Fault::Congestion {
                        path: peer,
                        congested,
                    });
                    None
                }
                14 => {
                    let ms = rng.pick(&[0, 5, 50]);
                    let w = WaitForSingleObject(slot.ov.hEvent, ms);
                    assert!(w == WAIT_OBJECT_0 || w == WAIT_TIMEOUT, "{w:?}");
                    ResetEvent(slot.ov.hEvent).unwrap();
                    None
                }
                _ => {
                    let mut n = 0u32;
                    let _ = GetOverlappedResult(h, &slot.ov, &mut n, false);
                    None
                }
            }
        };
        sim.check_invariants()
            .unwrap_or_else(|v| panic!("seed {seed} step {step} kind {kind}: {v}"));
        let Some(r) = r else { continue };
        let model = last_model_error(&sim).expect("the call was recorded");
        let err = unsafe { GetLastError() };
        if r.as_bool() {
            assert_eq!(err, SENTINEL, "GEN-2, seed {seed} step {step} kind {kind}");
            assert_eq!(model, 0, "TRUE iff the model succeeded, seed {seed} step {step}");
        } else {
            assert_eq!(err.0, model, "GEN-1, seed {seed} step {step} kind {kind}");
            assert_ne!(model, 0);
            if model == ERROR_IO_PENDING.0 {
                assert_eq!(
                    slots[si].ov.Internal, STATUS_PENDING.0 as usize,
                    "GEN-3, seed {seed} step {step}"
                );
            }
        }
    }
    for h in handles {
        let _ = unsafe { QOSCloseHandle(h) };
    }
    sim.advance(Duration::from_secs(1));
    for (i, s) in slots.iter().enumerate() {
        assert_ne!(
            s.ov.Internal, STATUS_PENDING.0 as usize,
            "seed {seed}: slot {i} never completed"
        );
    }
    sim.check_invariants().unwrap();
}

#[test]
fn random_call_sequences_keep_gen_1_2_3_and_the_invariants() {
    for seed in 1..=20 {
        run(seed, 500);
    }
}

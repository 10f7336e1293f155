//! Random calls for the differential test: a seeded generator, the call shapes, and the
//! destination and `QOSSetFlow` buffers they point at.

use super::common::*;

/// splitmix64: a small seeded generator (no wall clock, no global state).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Placeholder handle in a scripted call: the newest open handle.
pub const LIVE: u64 = 0x4C49_5645;
/// Placeholder sockets in a scripted call: the run's connected v4, unconnected v4 and v6
/// sockets.
pub const SOCK: [u64; 3] = [0x534F_0000, 0x534F_0001, 0x534F_0002];

/// A handle and two flows: adaptive Voice from the connected socket to .20 (flow 1),
/// non-adaptive BestEffort from the unconnected one to .30 (flow 2).
pub const SETUP: [Call; 3] = [
    Call::Create {
        version: Some(1),
        out: true,
    },
    Call::Add {
        h: LIVE,
        s: SOCK[0],
        dest: None,
        tt: QOSTrafficTypeVoice,
        flags: 0,
        flow: Some(0),
    },
    Call::Add {
        h: LIVE,
        s: SOCK[1],
        dest: Some(1),
        tt: QOSTrafficTypeBestEffort,
        flags: QOS_NON_ADAPTIVE_FLOW,
        flow: Some(0),
    },
];

/// One call; pointer arguments are slot choices (`None` = NULL), filled in per sim.
#[derive(Clone, Copy, Debug)]
pub enum Call {
    Create {
        version: Option<u16>,
        out: bool,
    },
    Close {
        h: u64,
    },
    Add {
        h: u64,
        s: u64,
        dest: Option<usize>,
        tt: i32,
        flags: u32,
        flow: Option<u32>,
    },
    Remove {
        h: u64,
        s: u64,
        flow: u32,
        flags: u32,
    },
    Set {
        h: u64,
        flow: u32,
        op: i32,
        size: u32,
        content: Option<usize>,
        flags: u32,
        ov: Option<usize>,
    },
    Query {
        h: u64,
        flow: u32,
        op: i32,
        size: Option<u32>,
        buf: bool,
        flags: u32,
        ov: Option<usize>,
    },
    Notify {
        h: u64,
        flow: u32,
        op: i32,
        size: Option<u32>,
        buf: bool,
        flags: u32,
        ov: Option<usize>,
    },
    Cancel {
        h: u64,
        ov: Option<usize>,
    },
    Enumerate {
        h: u64,
        size: Option<u32>,
        buf: bool,
    },
    Track {
        start: bool,
        h: u64,
        dest: Option<usize>,
        flags: u32,
    },
    Result {
        h: u64,
        ov: Option<usize>,
        wait: bool,
    },
    Advance {
        ms: u64,
    },
}

/// Destination `SOCKADDR`s: peer .20 (LLTD), .30 (no LLTD), IPv6, an unknown family (10,
/// Linux's AF_INET6), a v4-mapped IPv6 address.
pub fn destinations() -> Vec<[u8; 28]> {
    fn bytes<T>(v: &T) -> [u8; 28] {
        let mut b = [0u8; 28];
        // SAFETY: T is a plain C SOCKADDR_* of at most 28 bytes.
        unsafe { std::ptr::copy_nonoverlapping(v as *const T as *const u8, b.as_mut_ptr(), size_of::<T>()) };
        b
    }
    let odd = SOCKADDR {
        sa_family: 10,
        ..Default::default()
    };
    vec![
        bytes(&sockaddr_in("192.168.1.20:5000")),
        bytes(&sockaddr_in("192.168.1.30:5000")),
        bytes(&sockaddr_in6("[fd00::20]:5004")),
        bytes(&odd),
        bytes(&sockaddr_in6("[::ffff:192.168.1.20]:5000")),
    ]
}

/// `QOSSetFlow` buffers: a traffic type, a bad one, a rate contract, a DSCP value.
pub fn contents() -> Vec<[u8; 16]> {
    let mut rate = [0u8; 16];
    rate[..8].copy_from_slice(&64_000u64.to_ne_bytes());
    rate[8..12].copy_from_slice(&1i32.to_ne_bytes());
    let word = |v: i32| {
        let mut b = [0u8; 16];
        b[..4].copy_from_slice(&v.to_ne_bytes());
        b
    };
    vec![word(QOSTrafficTypeVoice), word(42), rate, word(46)]
}

/// A random call: mostly well-formed (an open handle, a live flow, the size the operation
/// needs), each argument sometimes wrong.
pub fn gen_call(r: &mut Rng, live: &[u64], closed: &[u64], sockets: &[u64]) -> Call {
    // A third of the calls get one argument wrong: `bad` says which.
    let bad = if r.chance(35) { r.below(6) } else { u64::MAX };
    // `live`: open handles, newest last; `closed`: handles closed since.
    let h = match (bad, r.below(5)) {
        (0, 0) => 0,
        (0, 1) => 0xdead_beef,
        (0, 2) => u64::MAX,
        (0, _) => closed.last().copied().unwrap_or(0),
        (_, 0) => live.first().copied().unwrap_or(0),
        _ => live.last().copied().unwrap_or(0),
    };
    let s = match (bad, r.below(3)) {
        (5, 0) => 0,
        (5, _) => 0xdead_beef,
        (_, i) => sockets[i as usize],
    };
    let flow = if bad == 1 {
        r.pick(&[0u32, 3, 9])
    } else {
        1 + r.below(2) as u32
    };
    let ov = r.chance(50).then(|| r.below(2) as usize);
    let op = if bad == 2 {
        r.pick(&[-1i32, 3, 99])
    } else {
        r.below(3) as i32
    };
    let flags = if bad == 3 { r.pick(&[1u32, 2, 0x80]) } else { 0 };
    let dest = if bad == 5 {
        r.pick(&[None, Some(3), Some(4)])
    } else {
        Some(r.below(3) as usize)
    };
    let good = bad != 4;
    match r.below(18) {
        _ if live.is_empty() && r.chance(50) => Call::Create {
            version: Some(1),
            out: true,
        },
        0 => Call::Create {
            version: r.chance(90).then(|| r.pick(&[1u16, 1, 2])),
            out: r.chance(90),
        },
        1 if live.is_empty() || r.chance(30) => Call::Close { h },
        1 => Call::Advance { ms: 1 },
        2 | 3 => Call::Add {
            h,
            s,
            dest,
            tt: if bad == 2 {
                r.pick(&[-1i32, 6, 99])
            } else {
                r.below(6) as i32
            },
            flags: if bad == 3 {
                r.pick(&[1u32, 0x80])
            } else {
                r.pick(&[0u32, 2])
            },
            flow: if bad == 1 {
                r.pick(&[None, Some(9)])
            } else {
                Some(if r.chance(70) { 0 } else { flow })
            },
        },
        4 => Call::Remove { h, s, flow, flags },
        5 | 6 => Call::Set {
            h,
            flow,
            op,
            // QOSSetTrafficType / QOSSetOutgoingDSCPValue take 4 bytes, QOSSetOutgoingRate 16.
            size: if good {
                [4u32, 16, 4][op.clamp(0, 2) as usize]
            } else {
                r.pick(&[0u32, 2, 8])
            },
            content: r.chance(95).then(|| {
                if good {
                    [0usize, 2, 3][op.clamp(0, 2) as usize]
                } else {
                    1
                }
            }),
            flags,
            ov,
        },
        7 | 8 => Call::Query {
            h,
            flow,
            op,
            size: r.chance(95).then(|| {
                if good {
                    [40u32, 16, 8][op.clamp(0, 2) as usize]
                } else {
                    r.pick(&[0u32, 4, 64])
                }
            }),
            buf: r.chance(90),
            flags,
            ov,
        },
        9 | 10 => Call::Notify {
            h,
            flow,
            op,
            // QOSNotifyAvailable reads a UINT64 from the buffer; the others take none.
            size: if good {
                (op == 2).then_some(8)
            } else {
                r.chance(50).then(|| r.pick(&[0u32, 4, 8]))
            },
            buf: if good { op == 2 } else { r.chance(50) },
            flags,
            ov,
        },
        11 => Call::Cancel { h, ov },
        12 => Call::Enumerate {
            h,
            size: r.chance(90).then(|| r.pick(&[0u32, 4, 64])),
            buf: r.chance(80),
        },
        13 => Call::Track {
            start: r.chance(60),
            h,
            dest,
            flags,
        },
        14 | 15 => Call::Result {
            h,
            ov: (bad != 5).then(|| r.below(2) as usize),
            wait: r.chance(50),
        },
        _ => Call::Advance {
            ms: r.pick(&[1u64, 10, 500, 3000]),
        },
    }
}

impl Call {
    /// The call with its placeholder handle ([`LIVE`]) and sockets ([`SOCK`]) filled in.
    pub fn resolve(self, live: Option<u64>, sockets: &[u64]) -> Call {
        let h = |h: u64| if h == LIVE { live.unwrap_or(0) } else { h };
        let s = |s: u64| SOCK.iter().position(|&x| x == s).map_or(s, |i| sockets[i]);
        let mut c = self;
        match &mut c {
            Call::Add { h: hh, s: ss, .. } | Call::Remove { h: hh, s: ss, .. } => {
                *hh = h(*hh);
                *ss = s(*ss);
            }
            Call::Close { h: hh }
            | Call::Set { h: hh, .. }
            | Call::Query { h: hh, .. }
            | Call::Notify { h: hh, .. }
            | Call::Cancel { h: hh, .. }
            | Call::Enumerate { h: hh, .. }
            | Call::Track { h: hh, .. }
            | Call::Result { h: hh, .. } => *hh = h(*hh),
            Call::Create { .. } | Call::Advance { .. } => {}
        }
        c
    }
}

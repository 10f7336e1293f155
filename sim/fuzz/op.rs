//! One step of a generated run: a call of the 11 functions (valid or not), a WinSock call, a
//! fault, or a time advance. Arguments name things symbolically (the n-th handle issued, the
//! n-th flow seen) so a sequence stays meaningful after shrinking; the [`Driver`](super::Driver)
//! resolves them to concrete values.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use arbitrary::Arbitrary;

use crate::model::{Fault, SockAddrIn};

/// The handle argument of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Arbitrary)]
pub enum HandleArg {
    /// The n-th handle `QOSCreateHandle` returned (modulo how many there are).
    Issued(u8),
    /// NULL.
    Null,
    /// A raw value (garbage, or a guess at a handle value).
    Raw(u64),
}

/// The socket argument of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Arbitrary)]
pub enum SocketArg {
    /// The n-th socket `socket()` returned (modulo how many there are).
    Created(u8),
    /// 0 (for `QOSRemoveSocketFromFlow`: the whole flow).
    Zero,
    /// A raw value.
    Raw(u64),
}

/// A flow id argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Arbitrary)]
pub enum FlowArg {
    /// The n-th flow id seen so far (returned by an add or listed by an enumerate).
    Seen(u8),
    /// 0.
    Zero,
    /// A raw id.
    Raw(u32),
}

/// Addresses worth aiming at in the default world: one of each kind of destination.
pub const KNOWN_ADDRESSES: [&str; 14] = [
    "192.168.1.20:5004",          // on-link peer with an LLTD responder
    "[fd00::20]:5004",            // the same, IPv6
    "192.168.1.30:5004",          // on-link peer without LLTD
    "[fd00::30]:5004",            // the same, IPv6
    "192.168.1.40:5004",          // on-link peer that refuses qWAVE
    "192.168.1.77:5004",          // on-link, not a listed peer
    "203.0.113.7:5004",           // off-link
    "[2001:db8::7]:5004",         // off-link, IPv6
    "198.51.100.9:5004",          // unreachable
    "127.0.0.1:5004",             // loopback
    "[::ffff:192.168.1.20]:5004", // IPv4-mapped IPv6
    "192.168.1.20:0",             // no port
    "0.0.0.0:0",                  // all zero (the RW-4 "disconnect")
    "[::]:0",                     // all zero, IPv6
];

/// A `SOCKADDR` argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Arbitrary)]
pub enum AddrArg {
    /// NULL.
    Null,
    /// One of [`KNOWN_ADDRESSES`] (modulo its length).
    Known(u8),
    /// An arbitrary IPv4 address and port.
    V4([u8; 4], u16),
    /// An arbitrary IPv6 address and port.
    V6([u8; 16], u16),
    /// A `sa_family` that is neither `AF_INET` nor `AF_INET6`.
    BadFamily(u16),
}

impl AddrArg {
    /// The decoded `SOCKADDR` (`None` = NULL).
    pub fn resolve(self) -> Option<SockAddrIn> {
        match self {
            AddrArg::Null => None,
            AddrArg::Known(i) => {
                let s = KNOWN_ADDRESSES[i as usize % KNOWN_ADDRESSES.len()];
                Some(SockAddrIn::from(
                    s.parse::<SocketAddr>().expect("built-in address"),
                ))
            }
            AddrArg::V4(a, p) => Some(SockAddrIn::V4(SocketAddrV4::new(Ipv4Addr::from(a), p))),
            AddrArg::V6(a, p) => Some(SockAddrIn::V6(SocketAddrV6::new(Ipv6Addr::from(a), p, 0, 0))),
            AddrArg::BadFamily(f) => Some(SockAddrIn::BadFamily(f)),
        }
    }
}

/// What `QOSSetFlow`'s buffer holds. The driver lays it out in C form and passes it only when
/// `Size` fits the operation (as a surface does), cut or zero-padded to `Size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Arbitrary)]
pub enum SetBuf {
    /// NULL.
    Null,
    /// A `QOS_TRAFFIC_TYPE`.
    TrafficType(i32),
    /// A `QOS_FLOWRATE_OUTGOING`.
    Rate {
        /// `Bandwidth`.
        bps: u64,
        /// `ShapingBehavior`.
        shaping: i32,
        /// `Reason`.
        reason: i32,
    },
    /// A DSCP `DWORD`.
    Dscp(u32),
}

impl SetBuf {
    /// The buffer bytes, `None` for NULL.
    pub fn bytes(self) -> Option<Vec<u8>> {
        match self {
            SetBuf::Null => None,
            SetBuf::TrafficType(v) => Some(v.to_le_bytes().to_vec()),
            SetBuf::Dscp(v) => Some(v.to_le_bytes().to_vec()),
            SetBuf::Rate { bps, shaping, reason } => {
                let mut v = bps.to_le_bytes().to_vec();
                v.extend_from_slice(&shaping.to_le_bytes());
                v.extend_from_slice(&reason.to_le_bytes());
                Some(v)
            }
        }
    }
}

/// One step of a run. Its `Arbitrary` impl (in `arb.rs`) favours valid-looking values and
/// mixes in invalid and extreme ones.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `QOSCreateHandle(Version, QOSHandle)`.
    Create {
        /// `*Version` (`None` = NULL).
        version: Option<(u16, u16)>,
        /// Out-pointer non-NULL.
        out: bool,
    },
    /// `QOSCloseHandle`.
    Close {
        /// Handle.
        h: HandleArg,
    },
    /// `QOSAddSocketToFlow`.
    Add {
        /// Handle.
        h: HandleArg,
        /// Socket.
        s: SocketArg,
        /// DestAddr.
        dest: AddrArg,
        /// Raw traffic type.
        traffic_type: i32,
        /// Flags.
        flags: u32,
        /// `*FlowId` (`None` = NULL pointer).
        flow: Option<FlowArg>,
    },
    /// `QOSRemoveSocketFromFlow`.
    Remove {
        /// Handle.
        h: HandleArg,
        /// Socket (`Zero` = whole flow).
        s: SocketArg,
        /// Flow id.
        flow: FlowArg,
        /// Flags.
        flags: u32,
    },
    /// `QOSSetFlow`.
    Set {
        /// Handle.
        h: HandleArg,
        /// Flow id.
        flow: FlowArg,
        /// Raw operation.
        op: i32,
        /// `Size`.
        size: u32,
        /// Buffer.
        buf: SetBuf,
        /// Flags.
        flags: u32,
        /// OVERLAPPED key.
        ov: Option<u8>,
    },
    /// `QOSQueryFlow`.
    Query {
        /// Handle.
        h: HandleArg,
        /// Flow id.
        flow: FlowArg,
        /// Raw operation.
        op: i32,
        /// `*Size` (`None` = NULL).
        size: Option<u32>,
        /// Buffer non-NULL.
        buffer: bool,
        /// Flags.
        flags: u32,
        /// OVERLAPPED key.
        ov: Option<u8>,
    },
    /// `QOSNotifyFlow`.
    Notify {
        /// Handle.
        h: HandleArg,
        /// Flow id.
        flow: FlowArg,
        /// Raw operation.
        op: i32,
        /// `*Size` (`None` = NULL).
        size: Option<u32>,
        /// Target bandwidth in Buffer (`None` = NULL).
        target: Option<u64>,
        /// Flags.
        flags: u32,
        /// OVERLAPPED key.
        ov: Option<u8>,
    },
    /// `QOSCancel`.
    Cancel {
        /// Handle.
        h: HandleArg,
        /// OVERLAPPED key (`None` = NULL).
        ov: Option<u8>,
    },
    /// `QOSEnumerateFlows`.
    Enumerate {
        /// Handle.
        h: HandleArg,
        /// `*Size` (`None` = NULL).
        size: Option<u32>,
        /// Buffer non-NULL.
        buffer: bool,
    },
    /// `QOSStartTrackingClient`.
    StartTracking {
        /// Handle.
        h: HandleArg,
        /// DestAddr.
        dest: AddrArg,
        /// Flags.
        flags: u32,
    },
    /// `QOSStopTrackingClient`.
    StopTracking {
        /// Handle.
        h: HandleArg,
        /// DestAddr.
        dest: AddrArg,
        /// Flags.
        flags: u32,
    },
    /// `socket(af, type, protocol)`.
    Socket {
        /// Address family (2, 23, or anything).
        af: i32,
        /// Type (1 stream, 2 datagram, or anything).
        kind: i32,
        /// Protocol.
        proto: i32,
    },
    /// `bind(s, addr)`.
    Bind {
        /// Socket.
        s: SocketArg,
        /// Address.
        addr: AddrArg,
    },
    /// `connect(s, addr)`.
    Connect {
        /// Socket.
        s: SocketArg,
        /// Address.
        addr: AddrArg,
    },
    /// `closesocket(s)`.
    CloseSocket {
        /// Socket.
        s: SocketArg,
    },
    /// `setsockopt(IPV6_V6ONLY)`.
    V6Only {
        /// Socket.
        s: SocketArg,
        /// New value.
        on: bool,
    },
    /// Advance virtual time by this many microseconds.
    Advance {
        /// Microseconds.
        us: u64,
    },
    /// Advance virtual time to this instant (ignored when in the past).
    AdvanceTo {
        /// Microseconds since the start.
        us: u64,
    },
    /// Apply a fault now.
    Inject(Fault),
    /// Schedule a fault this many microseconds from now.
    InjectIn {
        /// Delay in microseconds.
        delay_us: u64,
        /// The fault.
        fault: Fault,
    },
    /// Drain delivered completions.
    TakeCompletions,
}

fn key(ov: &Option<u8>) -> String {
    ov.map_or("NULL".into(), |k| format!("&ov{k}"))
}

fn opt<T: fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map_or("NULL".into(), |v| format!("&{v}"))
}

impl fmt::Display for HandleArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandleArg::Issued(i) => write!(f, "h{i}"),
            HandleArg::Null => f.write_str("NULL"),
            HandleArg::Raw(v) => write!(f, "{v:#x}"),
        }
    }
}

impl fmt::Display for SocketArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocketArg::Created(i) => write!(f, "s{i}"),
            SocketArg::Zero => f.write_str("0"),
            SocketArg::Raw(v) => write!(f, "{v:#x}"),
        }
    }
}

impl fmt::Display for FlowArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowArg::Seen(i) => write!(f, "flow{i}"),
            FlowArg::Zero => f.write_str("0"),
            FlowArg::Raw(v) => write!(f, "{v}"),
        }
    }
}

impl fmt::Display for AddrArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.resolve() {
            None => f.write_str("NULL"),
            Some(SockAddrIn::BadFamily(af)) => write!(f, "sockaddr(family {af})"),
            Some(a) => match a.socket_addr() {
                Some(sa) => write!(f, "{sa}"),
                None => f.write_str("?"),
            },
        }
    }
}

/// One line per step, close to the C call, for failure reports and scenario authors.
impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Create { version, out } => write!(
                f,
                "QOSCreateHandle({}, {})",
                version.map_or("NULL".into(), |(a, b)| format!("&{{{a}, {b}}}")),
                if *out { "&h" } else { "NULL" }
            ),
            Op::Close { h } => write!(f, "QOSCloseHandle({h})"),
            Op::Add {
                h,
                s,
                dest,
                traffic_type,
                flags,
                flow,
            } => write!(
                f,
                "QOSAddSocketToFlow({h}, {s}, {dest}, {traffic_type}, {flags:#x}, {})",
                opt(flow)
            ),
            Op::Remove { h, s, flow, flags } => {
                write!(f, "QOSRemoveSocketFromFlow({h}, {s}, {flow}, {flags:#x})")
            }
            Op::Set {
                h,
                flow,
                op,
                size,
                buf,
                flags,
                ov,
            } => write!(
                f,
                "QOSSetFlow({h}, {flow}, {op}, {size}, {buf:?}, {flags:#x}, {})",
                key(ov)
            ),
            Op::Query {
                h,
                flow,
                op,
                size,
                buffer,
                flags,
                ov,
            } => write!(
                f,
                "QOSQueryFlow({h}, {flow}, {op}, {}, {}, {flags:#x}, {})",
                opt(size),
                if *buffer { "&buf" } else { "NULL" },
                key(ov)
            ),
            Op::Notify {
                h,
                flow,
                op,
                size,
                target,
                flags,
                ov,
            } => write!(
                f,
                "QOSNotifyFlow({h}, {flow}, {op}, {}, {}, {flags:#x}, {})",
                opt(size),
                opt(target),
                key(ov)
            ),
            Op::Cancel { h, ov } => write!(f, "QOSCancel({h}, {})", key(ov)),
            Op::Enumerate { h, size, buffer } => write!(
                f,
                "QOSEnumerateFlows({h}, {}, {})",
                opt(size),
                if *buffer { "&buf" } else { "NULL" }
            ),
            Op::StartTracking { h, dest, flags } => {
                write!(f, "QOSStartTrackingClient({h}, {dest}, {flags:#x})")
            }
            Op::StopTracking { h, dest, flags } => {
                write!(f, "QOSStopTrackingClient({h}, {dest}, {flags:#x})")
            }
            Op::Socket { af, kind, proto } => write!(f, "socket({af}, {kind}, {proto})"),
            Op::Bind { s, addr } => write!(f, "bind({s}, {addr})"),
            Op::Connect { s, addr } => write!(f, "connect({s}, {addr})"),
            Op::CloseSocket { s } => write!(f, "closesocket({s})"),
            Op::V6Only { s, on } => write!(f, "setsockopt({s}, IPV6_V6ONLY, {on})"),
            Op::Advance { us } => write!(f, "advance {us}us"),
            Op::AdvanceTo { us } => write!(f, "advance to {us}us"),
            Op::Inject(fault) => write!(f, "fault {fault:?}"),
            Op::InjectIn { delay_us, fault } => write!(f, "fault in {delay_us}us: {fault:?}"),
            Op::TakeCompletions => f.write_str("take completions"),
        }
    }
}

//! One step of a generated run: a [`Call`] of the 11 functions (valid or not) named
//! symbolically ([`Sym`]: the n-th handle issued, the n-th flow seen) so a sequence stays
//! meaningful after shrinking, a WinSock call, a fault, or a time advance. [`Issued`] resolves
//! the symbols against what a run has handed out.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::call::{CArg, Call, Names, Resolve, SetOp};
use crate::model::socket::SOCKET_TAG;
use crate::model::{Fault, OverlappedKey, SockAddrIn, VirtualTime, HANDLE_TAG};

/// The handle argument of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HandleArg {
    /// The n-th handle `QOSCreateHandle` returned (modulo how many there are).
    Issued(u8),
    /// NULL.
    Null,
    /// A raw value (garbage, or a guess at a handle value).
    Raw(u64),
}

/// The socket argument of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketArg {
    /// The n-th socket `socket()` returned (modulo how many there are).
    Created(u8),
    /// 0 (for `QOSRemoveSocketFromFlow`: the whole flow).
    Zero,
    /// A raw value.
    Raw(u64),
}

/// A flow id argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AddrArg {
    /// NULL.
    #[default]
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

/// The fuzzer's naming of a [`Call`]'s arguments: symbols resolved when the step runs
/// ([`Issued`]), so a shrunk sequence still names live objects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Sym;

impl Names for Sym {
    type Handle = HandleArg;
    type Socket = SocketArg;
    type Flow = FlowArg;
    /// `None` = NULL `FlowId`; `Some(FlowArg::Zero)` asks for a new flow.
    type FlowIn = Option<FlowArg>;
    type NewHandle = ();
    /// Which of a run's OVERLAPPEDs (the same number, the same OVERLAPPED).
    type Overlapped = u8;
    /// `None` = NULL `Size`.
    type Size = Option<u32>;
    type Addr = AddrArg;

    fn null_socket() -> SocketArg {
        SocketArg::Zero
    }
}

/// Most flow ids [`Issued`] remembers for [`FlowArg::Seen`].
pub const MAX_SEEN_FLOWS: usize = 64;

/// What a run has handed out so far, in order (handle and socket values, flow ids): the tables
/// [`Sym`] arguments index into. `Resolve<Sym, Raw>` turns a symbolic call into the raw one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Issued {
    /// Handle values, in the order they were returned (closed ones stay: stale values).
    pub handles: Vec<u64>,
    /// Socket values, in the order they were created.
    pub sockets: Vec<u64>,
    /// Flow ids seen (added or enumerated), at most [`MAX_SEEN_FLOWS`].
    pub flows: Vec<u32>,
}

/// The OVERLAPPED key of [`Sym`] OVERLAPPED `k`.
pub fn overlapped_key(k: u8) -> OverlappedKey {
    0x0A00 + u64::from(k)
}

fn nth<T: Copy>(v: &[T], i: u8) -> Option<T> {
    (!v.is_empty()).then(|| v[i as usize % v.len()])
}

impl Issued {
    /// Remembers a flow id (once; at most [`MAX_SEEN_FLOWS`]).
    pub fn saw_flow(&mut self, id: u32) {
        if !self.flows.contains(&id) && self.flows.len() < MAX_SEEN_FLOWS {
            self.flows.push(id);
        }
    }
}

/// Before anything was handed out, `Issued(i)` / `Created(i)` / `Seen(i)` guess the value the
/// i-th one would have.
impl Resolve<Sym, crate::call::Raw> for Issued {
    fn handle(&mut self, h: &HandleArg) -> u64 {
        match *h {
            HandleArg::Issued(i) => nth(&self.handles, i).unwrap_or(HANDLE_TAG | (u64::from(i) + 1)),
            HandleArg::Null => 0,
            HandleArg::Raw(v) => v,
        }
    }

    fn socket(&mut self, s: &SocketArg) -> u64 {
        match *s {
            SocketArg::Created(i) => nth(&self.sockets, i).unwrap_or(SOCKET_TAG | (u64::from(i) + 1)),
            SocketArg::Zero => 0,
            SocketArg::Raw(v) => v,
        }
    }

    fn flow(&mut self, f: &FlowArg) -> u32 {
        match *f {
            FlowArg::Seen(i) => nth(&self.flows, i).unwrap_or(u32::from(i) + 1),
            FlowArg::Zero => 0,
            FlowArg::Raw(v) => v,
        }
    }

    fn flow_in(&mut self, f: &Option<FlowArg>) -> Option<u32> {
        f.as_ref().map(|f| self.flow(f))
    }

    fn new_handle(&mut self, _: &()) {}

    fn overlapped(&mut self, k: &u8) -> OverlappedKey {
        overlapped_key(*k)
    }

    fn size(&mut self, s: &Option<u32>, _careful: Option<u32>) -> Option<u32> {
        *s
    }

    fn addr(&mut self, a: &AddrArg) -> Option<SockAddrIn> {
        a.resolve()
    }
}

/// One step of a run. Its `Arbitrary` impl (in `arb.rs`) favours valid-looking values and
/// mixes in invalid and extreme ones.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// One of the 11 functions.
    Call(Call<Sym>),
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
    /// Apply a fault now (a scenario's `Fault` step).
    Fault(Fault),
    /// Schedule a fault at a virtual instant; one in the past happens at the next step (a
    /// scenario's `FaultAt` step).
    FaultAt {
        /// Microseconds since the start.
        at_us: u64,
        /// The fault.
        fault: Fault,
    },
    /// Drain delivered completions.
    TakeCompletions,
}

impl From<Call<Sym>> for Op {
    fn from(c: Call<Sym>) -> Op {
        Op::Call(c)
    }
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

/// `&value`, or `NULL`.
fn ptr<T: fmt::Display>(v: Option<T>) -> String {
    v.map_or("NULL".into(), |v| format!("&{v}"))
}

fn ov(k: Option<u8>) -> String {
    k.map_or("NULL".into(), |k| format!("&ov{k}"))
}

fn buf(non_null: bool) -> &'static str {
    if non_null {
        "&buf"
    } else {
        "NULL"
    }
}

/// `QOSSetFlow`'s Buffer: the typed value, or the raw bytes in hex.
fn set_buffer(op: &SetOp) -> String {
    match (op, op.bytes()) {
        (_, None) => "NULL".into(),
        (SetOp::Raw { .. }, Some(b)) => {
            format!("&[{}]", b.iter().map(|x| format!("{x:02x}")).collect::<String>())
        }
        (typed, Some(_)) => format!("&{typed:?}"),
    }
}

/// A call in C form, its symbols as they are (`QOSQueryFlow(h0, flow1, 0, &40, &buf, 0x0,
/// &ov2)`): the one rendering of a call in failure reports and in the `windows_sys_ops` log.
pub fn c_form(call: &Call<Sym>) -> String {
    let args: Vec<String> = call.c_args().iter().map(|(_, a)| c_arg(a)).collect();
    format!("{}({})", call.func().win32_name(), args.join(", "))
}

/// One argument in C form: symbols, codes and flag bits as numbers, pointers as `&value`.
fn c_arg(a: &CArg<'_, Sym>) -> String {
    match a {
        CArg::Handle(h) => h.to_string(),
        CArg::Socket(s) => s.to_string(),
        CArg::Flow(id) => id.to_string(),
        CArg::FlowIn(id) => ptr(**id),
        CArg::Addr(a) => a.to_string(),
        CArg::Size(s) => ptr(**s),
        CArg::Ulong(v) => v.to_string(),
        CArg::Overlapped(k) => ov(k.copied()),
        CArg::Version(v) => ptr(v.map(|(a, b)| format!("{{{a}, {b}}}"))),
        CArg::OutPtr(out) => if *out { "&h" } else { "NULL" }.into(),
        CArg::Traffic(raw) => raw.to_string(),
        CArg::Flags { bits, .. } => format!("{bits:#x}"),
        CArg::Op { code, .. } => code.to_string(),
        CArg::SetBuffer(op) => set_buffer(op),
        CArg::Target(t) => ptr(*t),
        CArg::Buffer(b) => buf(*b).into(),
    }
}

/// One line per step, close to the C call, for failure reports and scenario authors.
impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Call(c) => f.write_str(&c_form(c)),
            Op::Socket { af, kind, proto } => write!(f, "socket({af}, {kind}, {proto})"),
            Op::Bind { s, addr } => write!(f, "bind({s}, {addr})"),
            Op::Connect { s, addr } => write!(f, "connect({s}, {addr})"),
            Op::CloseSocket { s } => write!(f, "closesocket({s})"),
            Op::V6Only { s, on } => write!(f, "setsockopt({s}, IPV6_V6ONLY, {on})"),
            Op::Advance { us } => write!(f, "advance {us}us"),
            Op::AdvanceTo { us } => write!(f, "advance to {us}us"),
            Op::Fault(fault) => write!(f, "fault {fault:?}"),
            Op::FaultAt { at_us, fault } => write!(f, "fault at {}: {fault:?}", VirtualTime(*at_us)),
            Op::TakeCompletions => f.write_str("take completions"),
        }
    }
}

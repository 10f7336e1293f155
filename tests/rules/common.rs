//! The test bench every rule test uses: a model of the default world plus short helpers.
//! Every helper that runs a call checks the model's invariants afterwards.
#![allow(dead_code)]

use std::net::SocketAddr;

use qwave_sim::call::{self, Call, NotifyBuffer, NotifyOp, QueryOp, TrafficArg};
pub use qwave_sim::call::{QOS_NON_ADAPTIVE_FLOW, QOS_QUERYFLOW_FRESH};
pub use qwave_sim::model::event::{CallError, CallOutput, CallResult, Event, QueryData};
pub use qwave_sim::model::world::*;
pub use qwave_sim::model::{
    Fault, Func, Marking, Model, PathRef, PathSnapshot, RateContract, Shaping, SockAddrIn, TrafficType,
    VirtualTime, Win32Error,
};

pub const AF_INET: i32 = 2;
pub const AF_INET6: i32 = 23;
pub const SOCK_STREAM: i32 = 1;
pub const SOCK_DGRAM: i32 = 2;

/// Default-world peers.
pub const LLTD_PEER: &str = "192.168.1.20:5004";
pub const LLTD_PEER6: &str = "[fd00::20]:5004";
pub const PLAIN_PEER: &str = "192.168.1.30:5004";
pub const PLAIN_PEER6: &str = "[fd00::30]:5004";
pub const REFUSING_PEER: &str = "192.168.1.40:5004";
pub const OFFLINK: &str = "203.0.113.7:5004";
pub const OFFLINK6: &str = "[2001:db8::7]:5004";
pub const UNREACHABLE: &str = "198.51.100.9:5004";
pub const LOOPBACK: &str = "127.0.0.1:5004";

pub use Win32Error as E;

/// A well-formed `QOSSetFlow` request, with the model's own types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOp {
    /// `QOSSetTrafficType`.
    TrafficType(TrafficType),
    /// `QOSSetOutgoingRate`.
    OutgoingRate(RateContract),
    /// `QOSSetOutgoingDSCPValue`.
    OutgoingDscp(u8),
}

/// `(Operation, Buffer bytes)` of a [`SetOp`], as a C caller lays them out.
pub fn encode(op: SetOp) -> (i32, Vec<u8>) {
    let op = match op {
        SetOp::TrafficType(t) => qwave_sim::call::SetOp::TrafficType(t.into()),
        SetOp::OutgoingRate(c) => qwave_sim::call::SetOp::OutgoingRate {
            bandwidth_bps: c.bandwidth_bps,
            shaping: c.shaping,
            reason: c.reason,
        },
        SetOp::OutgoingDscp(d) => qwave_sim::call::SetOp::OutgoingDscp(u32::from(d)),
    };
    (op.code(), op.bytes().unwrap_or_default())
}

/// Parses `"1.2.3.4:5"` / `"[::1]:5"` into a decoded SOCKADDR.
pub fn sa(s: &str) -> Option<SockAddrIn> {
    Some(SockAddrIn::from(s.parse::<SocketAddr>().expect("test address")))
}

/// The error code of a failed call (panics on success, naming the output).
pub fn code(r: &CallResult) -> Win32Error {
    match r {
        Err(e) => e.code,
        Ok(out) => panic!("expected a failure, got TRUE with {out:?}"),
    }
}

// ----- the 11 calls with their C arguments, as `Call`s for `T::call` -----
//
// `None` is NULL; `Some(key)` an OVERLAPPED. Rule tests read like the C they describe:
// `t.call(set_flow(h, f, 0, 4, Some(&bytes), 0, None))` is
// `QOSSetFlow(h, f, QOSSetTrafficType, 4, bytes, 0, NULL)`.

/// `QOSCreateHandle(Version, QOSHandle)`; `out` = whether `QOSHandle` is non-NULL.
pub fn create_handle(version: Option<(u16, u16)>, out: bool) -> Call {
    Call::CreateHandle(call::CreateHandle {
        handle: (),
        version,
        out,
    })
}

/// `QOSCloseHandle(QOSHandle)`.
pub fn close_handle(handle: u64) -> Call {
    Call::CloseHandle(call::CloseHandle { handle })
}

/// `QOSAddSocketToFlow(QOSHandle, Socket, DestAddr, TrafficType, Flags, FlowId)`; `flow` is
/// `*FlowId` on input.
pub fn add_socket_to_flow(
    handle: u64,
    socket: u64,
    dest: Option<SockAddrIn>,
    traffic_type: i32,
    flags: u32,
    flow: Option<u32>,
) -> Call {
    Call::AddSocketToFlow(call::AddSocketToFlow {
        handle,
        socket,
        dest,
        traffic_type: TrafficArg::from_raw(traffic_type),
        non_adaptive: flags & QOS_NON_ADAPTIVE_FLOW != 0,
        flags: flags & !QOS_NON_ADAPTIVE_FLOW,
        flow,
    })
}

/// `QOSRemoveSocketFromFlow(QOSHandle, Socket, FlowId, Flags)`.
pub fn remove_socket_from_flow(handle: u64, socket: u64, flow: u32, flags: u32) -> Call {
    Call::RemoveSocketFromFlow(call::RemoveSocketFromFlow {
        handle,
        socket,
        flow,
        flags,
    })
}

/// `QOSSetFlow(QOSHandle, FlowId, Operation, Size, Buffer, Flags, Overlapped)`.
pub fn set_flow(
    handle: u64,
    flow: u32,
    op: i32,
    size: u32,
    buffer: Option<&[u8]>,
    flags: u32,
    overlapped: Option<Key>,
) -> Call {
    Call::SetFlow(call::SetFlow {
        handle,
        flow,
        op: call::SetOp::Raw {
            op,
            size,
            bytes: buffer.map(<[u8]>::to_vec),
        },
        flags,
        overlapped,
    })
}

/// `QOSQueryFlow(QOSHandle, FlowId, Operation, Size, Buffer, Flags, Overlapped)`; `size` is
/// `*Size` on input, `buffer` whether `Buffer` is non-NULL.
pub fn query_flow(
    handle: u64,
    flow: u32,
    op: i32,
    size: Option<u32>,
    buffer: bool,
    flags: u32,
    overlapped: Option<Key>,
) -> Call {
    Call::QueryFlow(call::QueryFlow {
        handle,
        flow,
        op: QueryOp::from_code(op),
        size,
        buffer,
        fresh: flags & QOS_QUERYFLOW_FRESH != 0,
        flags: flags & !QOS_QUERYFLOW_FRESH,
        overlapped,
    })
}

/// `QOSNotifyFlow(QOSHandle, FlowId, Operation, Size, Buffer, Flags, Overlapped)`; `target`
/// is the `UINT64` in `Buffer` (`None` = NULL).
pub fn notify_flow(
    handle: u64,
    flow: u32,
    op: i32,
    size: Option<u32>,
    target: Option<u64>,
    flags: u32,
    overlapped: Option<Key>,
) -> Call {
    let op = match op {
        0 => NotifyOp::Congested,
        1 => NotifyOp::Uncongested,
        2 => NotifyOp::Available(target.unwrap_or(0)),
        v => NotifyOp::Raw(v),
    };
    Call::NotifyFlow(call::NotifyFlow {
        handle,
        flow,
        op,
        size,
        buffer: target.map_or(NotifyBuffer::Null, NotifyBuffer::Value),
        flags,
        overlapped,
    })
}

/// `QOSCancel(QOSHandle, Overlapped)`.
pub fn cancel(handle: u64, overlapped: Option<Key>) -> Call {
    Call::Cancel(call::Cancel { handle, overlapped })
}

/// `QOSEnumerateFlows(QOSHandle, Size, Buffer)`.
pub fn enumerate_flows(handle: u64, size: Option<u32>, buffer: bool) -> Call {
    Call::EnumerateFlows(call::EnumerateFlows { handle, size, buffer })
}

/// `QOSStartTrackingClient(QOSHandle, DestAddr, Flags)`.
pub fn start_tracking_client(handle: u64, dest: Option<SockAddrIn>, flags: u32) -> Call {
    Call::StartTrackingClient(call::Tracking {
        handle,
        client: dest,
        flags,
    })
}

/// `QOSStopTrackingClient(QOSHandle, DestAddr, Flags)`.
pub fn stop_tracking_client(handle: u64, dest: Option<SockAddrIn>, flags: u32) -> Call {
    Call::StopTrackingClient(call::Tracking {
        handle,
        client: dest,
        flags,
    })
}

/// A model plus helpers. `Drop` checks the invariants one last time.
pub struct T {
    pub m: Model,
}

impl Default for T {
    fn default() -> Self {
        T::new()
    }
}

impl T {
    /// The default world, seed 1.
    pub fn new() -> T {
        T::with(World::default())
    }

    /// A custom world.
    pub fn with(world: World) -> T {
        T {
            m: Model::new(world, 1),
        }
    }

    /// The default world changed by `f`.
    pub fn world(f: impl FnOnce(&mut World)) -> T {
        let mut w = World::default();
        f(&mut w);
        T::with(w)
    }

    /// Asserts the model's invariants, checked both fully and incrementally (the two must
    /// agree, and the incremental check's kept state must match a rebuild).
    pub fn check(&mut self) {
        if let Err(v) = self.m.check_invariants_both() {
            panic!("{v}");
        }
    }

    /// Runs `f` on the model, then checks invariants.
    pub fn run<R>(&mut self, f: impl FnOnce(&mut Model) -> R) -> R {
        let r = f(&mut self.m);
        self.check();
        r
    }

    /// Applies one call, then checks invariants.
    pub fn call(&mut self, call: Call) -> CallResult {
        self.run(|m| m.apply(call))
    }

    /// A new handle (must succeed).
    pub fn handle(&mut self) -> u64 {
        match self.call(create_handle(Some((1, 0)), true)) {
            Ok(CallOutput::Handle(h)) => h,
            other => panic!("QOSCreateHandle failed: {other:?}"),
        }
    }

    /// A new unconnected UDP socket of `af` (2 or 23).
    pub fn udp(&mut self, af: i32) -> u64 {
        self.run(|m| m.socket(af, SOCK_DGRAM, 0)).expect("socket")
    }

    /// A new TCP socket of `af`.
    pub fn tcp(&mut self, af: i32) -> u64 {
        self.run(|m| m.socket(af, SOCK_STREAM, 0)).expect("socket")
    }

    /// A UDP socket of the destination's family, connected to it.
    pub fn connected_udp(&mut self, to: &str) -> u64 {
        let af = if to.starts_with('[') { AF_INET6 } else { AF_INET };
        let s = self.udp(af);
        self.run(|m| m.connect(s, sa(to))).expect("connect");
        s
    }

    /// A dual-stack (IPV6_V6ONLY off) UDP socket.
    pub fn dual_stack_udp(&mut self) -> u64 {
        let s = self.udp(AF_INET6);
        self.run(|m| m.set_v6only(s, false)).expect("v6only");
        s
    }

    /// `QOSAddSocketToFlow` creating a flow (`*FlowId == 0`).
    pub fn add(&mut self, h: u64, s: u64, dest: &str, tt: TrafficType, flags: u32) -> CallResult {
        let d = sa(dest);
        self.call(add_socket_to_flow(h, s, d, tt.raw(), flags, Some(0)))
    }

    /// Creates a flow that must succeed; returns its id.
    pub fn flow(&mut self, h: u64, s: u64, dest: &str, tt: TrafficType, flags: u32) -> u32 {
        match self.add(h, s, dest, tt, flags) {
            Ok(CallOutput::Flow(id)) => id,
            other => panic!("QOSAddSocketToFlow failed: {other:?}"),
        }
    }

    /// Handle + UDP socket + adaptive flow to `dest`; returns (handle, socket, flow).
    pub fn adaptive(&mut self, dest: &str, tt: TrafficType) -> (u64, u64, u32) {
        let h = self.handle();
        let af = if dest.starts_with('[') { AF_INET6 } else { AF_INET };
        let s = self.udp(af);
        let f = self.flow(h, s, dest, tt, 0);
        (h, s, f)
    }

    /// Handle + UDP socket + non-adaptive flow to `dest`; returns (handle, socket, flow).
    pub fn non_adaptive(&mut self, dest: &str, tt: TrafficType) -> (u64, u64, u32) {
        let h = self.handle();
        let af = if dest.starts_with('[') { AF_INET6 } else { AF_INET };
        let s = self.udp(af);
        let f = self.flow(h, s, dest, tt, QOS_NON_ADAPTIVE_FLOW);
        (h, s, f)
    }

    /// `QOSSetFlow` synchronously with a decoded operation.
    pub fn set(&mut self, h: u64, flow: u32, op: SetOp) -> CallResult {
        let (raw, bytes) = encode(op);
        self.call(set_flow(h, flow, raw, bytes.len() as u32, Some(&bytes), 0, None))
    }

    /// `QOSSetOutgoingRate` with `QOSShapeAndMark`.
    pub fn set_rate(&mut self, h: u64, flow: u32, bps: u64) -> CallResult {
        self.set(
            h,
            flow,
            SetOp::OutgoingRate(RateContract {
                bandwidth_bps: bps,
                shaping: Shaping::ShapeAndMark,
                reason: 0,
            }),
        )
    }

    /// `QOSQueryFlow` synchronously with a large enough buffer.
    pub fn query(&mut self, h: u64, flow: u32, op: i32, flags: u32) -> CallResult {
        self.call(query_flow(h, flow, op, Some(64), true, flags, None))
    }

    /// The markings of a flow via `QOSQueryPacketPriority`.
    pub fn priority(&mut self, h: u64, flow: u32) -> Marking {
        match self.query(h, flow, 1, 0) {
            Ok(CallOutput::Data(QueryData::PacketPriority(m), 16)) => m,
            other => panic!("QOSQueryPacketPriority failed: {other:?}"),
        }
    }

    /// Advances virtual time by `ms` milliseconds.
    pub fn advance_ms(&mut self, ms: u64) {
        self.run(|m| m.advance_us(ms * 1000));
    }

    /// Applies a fault now.
    pub fn inject(&mut self, f: Fault) {
        self.run(|m| m.inject(f));
    }

    /// Completions delivered since the last call.
    pub fn completions(&mut self) -> Vec<qwave_sim::model::Completion> {
        self.m.settle();
        self.m.take_completions()
    }
}

impl Drop for T {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.check();
        }
    }
}

// ----- helpers added with the GEN, CRE, CLO, ADD, REM, TT, RW and AMB-1..21 tests -----

/// Shorthand for an overlapped key in tests.
pub type Key = u64;

impl T {
    /// `(key, status)` of the completions delivered since the last call, in delivery order.
    pub fn statuses(&mut self) -> Vec<(Key, Win32Error)> {
        self.completions().iter().map(|c| (c.key, c.status)).collect()
    }

    /// Every function that takes a handle, called with `h` and otherwise valid-looking
    /// arguments (`flow`, `sock`, `dest`): `(name, result)`.
    pub fn every_handle_call(
        &mut self,
        h: u64,
        flow: u32,
        sock: u64,
        dest: &str,
    ) -> Vec<(&'static str, CallResult)> {
        let d = sa(dest);
        let (raw, bytes) = encode(SetOp::TrafficType(TrafficType::Voice));
        vec![
            (
                "QOSAddSocketToFlow",
                self.call(add_socket_to_flow(h, sock, d, 4, QOS_NON_ADAPTIVE_FLOW, Some(0))),
            ),
            (
                "QOSRemoveSocketFromFlow",
                self.call(remove_socket_from_flow(h, 0, flow, 0)),
            ),
            (
                "QOSSetFlow",
                self.call(set_flow(h, flow, raw, bytes.len() as u32, Some(&bytes), 0, None)),
            ),
            (
                "QOSQueryFlow",
                self.call(query_flow(h, flow, 1, Some(16), true, 0, None)),
            ),
            (
                "QOSNotifyFlow",
                self.call(notify_flow(h, flow, 0, None, None, 0, Some(99))),
            ),
            ("QOSCancel", self.call(cancel(h, Some(99)))),
            ("QOSEnumerateFlows", self.call(enumerate_flows(h, Some(64), true))),
            (
                "QOSStartTrackingClient",
                self.call(start_tracking_client(h, d, 0)),
            ),
            ("QOSStopTrackingClient", self.call(stop_tracking_client(h, d, 0))),
            ("QOSCloseHandle", self.call(close_handle(h))),
        ]
    }
}

/// Asserts that every result in `calls` failed with `want`, naming the first that did not.
pub fn all_fail_with(calls: &[(&'static str, CallResult)], want: Win32Error) {
    for (name, r) in calls {
        match r {
            Err(e) => assert_eq!(e.code, want, "{name}"),
            Ok(out) => panic!("{name} succeeded with {out:?}, expected {want:?}"),
        }
    }
}

/// A peer entry for a custom world.
pub fn peer(addr: &str, f: impl FnOnce(&mut Peer)) -> Peer {
    let mut p = Peer {
        address: addr.parse().expect("test address"),
        lltd_qos: true,
        ..Peer::default()
    };
    f(&mut p);
    p
}

pub use qwave_sim::model::HandleState;

// ----- helpers for the SET / QRY / NOT / CAN / ENU / STA / STO / AMB-22.. tests -----

/// The default world with the caller in Administrators.
pub fn admin_world() -> World {
    let mut w = World::default();
    w.policy.admin = true;
    w
}

/// A Win32 code for every resource-class failure GEN-11 lists.
pub const RESOURCE_CODES: [Win32Error; 5] = [
    E::ERROR_NOT_ENOUGH_MEMORY,
    E::ERROR_NO_SYSTEM_RESOURCES,
    E::ERROR_IO_DEVICE,
    E::ERROR_DEVICE_REINITIALIZATION_NEEDED,
    E::ERROR_ADAP_HDW_ERR,
];

/// A rate contract.
pub fn rate(bps: u64, shaping: Shaping) -> SetOp {
    SetOp::OutgoingRate(RateContract {
        bandwidth_bps: bps,
        shaping,
        reason: 0,
    })
}

impl T {
    /// `QOSSetFlow` with an OVERLAPPED (`key`).
    pub fn set_ov(&mut self, h: u64, flow: u32, op: SetOp, key: u64) -> CallResult {
        let (raw, bytes) = encode(op);
        self.call(set_flow(
            h,
            flow,
            raw,
            bytes.len() as u32,
            Some(&bytes),
            0,
            Some(key),
        ))
    }

    /// `QOSQueryFlow` with an OVERLAPPED (`key`) and a large enough buffer.
    pub fn query_ov(&mut self, h: u64, flow: u32, op: i32, flags: u32, key: u64) -> CallResult {
        self.call(query_flow(h, flow, op, Some(64), true, flags, Some(key)))
    }

    /// `QOSNotifyFlow` with well-formed buffers: NULL/NULL for 0 and 1, `*Size = 8` and the
    /// target for 2 (`target` ignored otherwise).
    pub fn notify(&mut self, h: u64, flow: u32, op: i32, target: u64, key: Option<u64>) -> CallResult {
        let (size, target) = if op == 2 {
            (Some(8), Some(target))
        } else {
            (None, None)
        };
        self.call(notify_flow(h, flow, op, size, target, 0, key))
    }

    /// `QOSCancel`.
    pub fn cancel(&mut self, h: u64, key: Option<u64>) -> CallResult {
        self.call(cancel(h, key))
    }

    /// `QOSEnumerateFlows`.
    pub fn enumerate(&mut self, h: u64, size: Option<u32>, buffer: bool) -> CallResult {
        self.call(enumerate_flows(h, size, buffer))
    }

    /// `QOSStartTrackingClient` with flags 0.
    pub fn start(&mut self, h: u64, client: &str) -> CallResult {
        let d = sa(client);
        self.call(start_tracking_client(h, d, 0))
    }

    /// `QOSStopTrackingClient` with flags 0.
    pub fn stop(&mut self, h: u64, client: &str) -> CallResult {
        let d = sa(client);
        self.call(stop_tracking_client(h, d, 0))
    }

    /// `QOSRemoveSocketFromFlow`.
    pub fn remove(&mut self, h: u64, s: u64, flow: u32) -> CallResult {
        self.call(remove_socket_from_flow(h, s, flow, 0))
    }

    /// `QOSCloseHandle`.
    pub fn close(&mut self, h: u64) -> CallResult {
        self.call(close_handle(h))
    }

    /// Arms `Fault::FailCalls` for the next `count` calls of `func`.
    pub fn fail_next(&mut self, func: Func, code: Win32Error, count: u32) {
        self.inject(Fault::FailCalls {
            func: Some(func),
            code,
            count,
        });
    }

    /// Waits until the default warm-up and partial phases are over (estimates complete).
    pub fn warm(&mut self) {
        let s = &self.m.world().settings;
        let ms = s.warmup_ms + s.partial_ms;
        self.advance_ms(ms);
    }

    /// An adaptive flow to `dest` whose path estimate is complete; returns (handle, socket, flow).
    pub fn warm_adaptive(&mut self, dest: &str, tt: TrafficType) -> (u64, u64, u32) {
        let r = self.adaptive(dest, tt);
        self.warm();
        r
    }

    /// `QOSQueryFlowFundamentals` data (panics on failure).
    pub fn fundamentals(&mut self, h: u64, flow: u32) -> (Option<u64>, Option<u64>, Option<u32>) {
        match self.query(h, flow, 0, 0) {
            Ok(CallOutput::Data(
                QueryData::Fundamentals {
                    bottleneck_bps,
                    available_bps,
                    rtt_us,
                },
                40,
            )) => (bottleneck_bps, available_bps, rtt_us),
            other => panic!("QOSQueryFlowFundamentals failed: {other:?}"),
        }
    }

    /// `QOSQueryOutgoingRate` (panics on failure).
    pub fn outgoing_rate(&mut self, h: u64, flow: u32) -> u64 {
        match self.query(h, flow, 2, 0) {
            Ok(CallOutput::Data(QueryData::OutgoingRate(v), 8)) => v,
            other => panic!("QOSQueryOutgoingRate failed: {other:?}"),
        }
    }

    /// The live state of the path toward a listed peer (`"192.168.1.20:5004"`) or off-link.
    pub fn path_of(&self, dest: &str) -> PathSnapshot {
        let ip = dest.parse::<SocketAddr>().expect("test address").ip();
        let paths = self.m.paths();
        let find = |id| paths.iter().find(|p| p.id == id).cloned();
        find(PathRef::Peer(ip))
            .or_else(|| find(PathRef::OffLink))
            .expect("path")
    }
}

/// The markings of a flow with the given conformant DSCP and 802.1p, nothing beyond the rate.
pub fn marked(dscp: u32, l2: u32) -> Marking {
    Marking {
        conformant_dscp: dscp,
        non_conformant_dscp: 0,
        conformant_l2: l2,
        non_conformant_l2: 0,
    }
}

pub use qwave_sim::model::{Family, Prefix};

/// SET-6a vs QRY-10: what an IPv4/UDP flow's IP-layer rate takes from a path's available
/// bandwidth (QOS_SUBTRACT_OVERHEAD with the default world's 1400-byte payloads).
pub fn payload(bps: u64) -> u64 {
    subtract_overhead(true, false, 1_400, bps)
}

/// `QOS_SUBTRACT_OVERHEAD(af, proto, packetSize, rate)` as qos2.h writes it (f64 arithmetic, the
/// result truncated): `rate` less the IP (20 bytes for IPv4, 40 for IPv6) and transport (TCP 20,
/// UDP 8) headers of `packet_bytes`-byte payloads. Written out here, not borrowed from the model.
pub fn subtract_overhead(ipv4: bool, tcp: bool, packet_bytes: u32, rate: u64) -> u64 {
    if packet_bytes == 0 {
        return rate;
    }
    let overhead = f64::from(if ipv4 { 20u8 } else { 40 } + if tcp { 20 } else { 8 }) * 8.0;
    let d = overhead / (f64::from(packet_bytes) * 8.0 + overhead) * rate as f64;
    rate.saturating_sub(d as u64)
}

/// Runs `f` on its own thread and fails the test if it has not finished within `secs` seconds
/// of wall time (a model loop that never ends fails instead of hanging the suite).
pub fn within<R: Send + 'static>(secs: u64, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(secs)) {
        Ok(r) => r,
        Err(e) => panic!("did not finish within {secs} s: {e}"),
    }
}

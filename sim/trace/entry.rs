//! Events → structured trace entries (the common form of every output format).

use serde::Serialize;

use super::{Field, Names};
use crate::call::{CArg, Call, Raw, SetOp};
use crate::model::event::SocketOp;
use crate::model::{CallOutput, Event, Family, Protocol, QueryData, SockAddrIn, Stamped, TrafficType};

/// One trace line, before formatting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Virtual time in microseconds.
    pub at_us: u64,
    /// `call`, `socket`, `complete`, `fault`, `path`, `advance`, `deadlock` or `marking`.
    pub kind: &'static str,
    /// The function, socket call or fault name.
    pub what: String,
    /// Arguments, in C order.
    pub args: Vec<Field>,
    /// `TRUE` / `FALSE` for calls, the status for completions, empty otherwise.
    pub result: String,
    /// Outputs: last error, out-parameters, buffer contents.
    pub out: Vec<Field>,
}

fn f(name: &'static str, value: impl Into<String>) -> Field {
    Field {
        name,
        value: value.into(),
    }
}

/// The entries of `events`, in order.
pub fn entries(events: &[Stamped], names: &Names) -> Vec<Entry> {
    events.iter().map(|s| entry(s, names)).collect()
}

fn entry(s: &Stamped, n: &Names) -> Entry {
    let mut e = Entry {
        at_us: s.at.0,
        kind: "",
        what: String::new(),
        args: Vec::new(),
        result: String::new(),
        out: Vec::new(),
    };
    match &s.event {
        Event::Call { call, result } => {
            e.kind = "call";
            e.what = call.func().win32_name().to_string();
            e.args = call_args(call, n);
            match result {
                Ok(o) => {
                    e.result = "TRUE".into();
                    e.out = call_output(o, n);
                }
                Err(err) => {
                    e.result = "FALSE".into();
                    e.out.push(f("GetLastError", err.code.to_string()));
                    if let Some(size) = err.size {
                        e.out.push(f("Size", size.to_string()));
                    }
                }
            }
        }
        Event::Socket {
            op,
            socket,
            wsa_error,
        } => {
            e.kind = "socket";
            let sock = f("s", n.socket(*socket));
            let (what, args) = match op {
                SocketOp::Create { family, protocol } => (
                    "socket",
                    vec![f("af", family_name(*family)), f("type", proto_name(*protocol))],
                ),
                SocketOp::Bind(a) => ("bind", vec![sock.clone(), f("addr", addr(a))]),
                SocketOp::Connect(a) => ("connect", vec![sock.clone(), f("addr", addr(a))]),
                SocketOp::Close => ("closesocket", vec![sock.clone()]),
                SocketOp::V6Only(on) => ("setsockopt", vec![sock.clone(), f("IPV6_V6ONLY", on.to_string())]),
            };
            e.what = what.into();
            e.args = args;
            if *wsa_error == 0 {
                e.result = "0".into();
                if matches!(op, SocketOp::Create { .. }) {
                    e.out.push(sock);
                }
            } else {
                e.result = "SOCKET_ERROR".into();
                e.out.push(f(
                    "WSAGetLastError",
                    super::wsa_name(*wsa_error).map_or_else(|| wsa_error.to_string(), str::to_string),
                ));
            }
        }
        Event::Completion(c) => {
            e.kind = "complete";
            e.what = c.func.win32_name().into();
            e.args = vec![
                f("Overlapped", n.overlapped(c.key)),
                f("QOSHandle", n.handle(c.handle)),
                f("FlowId", n.flow(c.flow)),
            ];
            e.result = c.status.to_string();
            e.out.push(f("bytes", c.bytes.to_string()));
            if let Some(d) = &c.data {
                e.out.push(f("Buffer", data(d)));
            }
        }
        Event::Fault(fault) => {
            e.kind = "fault";
            // Written as in scenario files (`implicit_some`), so a line can be pasted into a `Fault(…)` step.
            e.what = ron::Options::default()
                .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
                .to_string(fault)
                .unwrap_or_else(|_| fault.kind().into());
        }
        Event::Path {
            path,
            congested,
            available_bps,
        } => {
            e.kind = "path";
            e.what = match path {
                crate::model::PathRef::Peer(ip) => ip.to_string(),
                crate::model::PathRef::OffLink => "off-link".into(),
            };
            e.args = vec![
                f("congested", congested.to_string()),
                f("available_bps", available_bps.to_string()),
            ];
        }
        Event::Advance(t) => {
            e.kind = "advance";
            e.what = format!("to {t}");
        }
        Event::Deadlock(func) => {
            e.kind = "deadlock";
            e.what = func.win32_name().into();
        }
        Event::ShapeOnlyMarking { flow, applied, other } => {
            e.kind = "marking";
            e.what = "QOSShapeOnly".into(); // AMB-25: both readings of its marking
            e.args = vec![f("FlowId", n.flow(*flow))];
            e.out = vec![
                f("applied", data(&QueryData::PacketPriority(*applied))),
                f("other", data(&QueryData::PacketPriority(*other))),
            ];
        }
    }
    e
}

fn family_name(fam: Family) -> &'static str {
    match fam {
        Family::V4 => "AF_INET",
        Family::V6 => "AF_INET6",
    }
}

fn proto_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Udp => "SOCK_DGRAM",
        Protocol::Tcp => "SOCK_STREAM",
    }
}

fn addr(a: &Option<SockAddrIn>) -> String {
    match a {
        None => "NULL".into(),
        Some(SockAddrIn::V4(a)) => a.to_string(),
        Some(SockAddrIn::V6(a)) => a.to_string(),
        Some(SockAddrIn::BadFamily(af)) => format!("{{sa_family={af}}}"),
    }
}

fn opt_u32(v: Option<u32>) -> String {
    v.map_or_else(|| "NULL".into(), |v| v.to_string())
}

fn traffic(raw: i32) -> String {
    TrafficType::from_raw(raw).map_or_else(|| raw.to_string(), |t| t.win32_name().to_string())
}

fn ov(k: Option<u64>, n: &Names) -> String {
    k.map_or_else(|| "NULL".into(), |k| n.overlapped(k))
}

fn set_buffer(op: i32, b: &[u8]) -> String {
    let i32_at = |o: usize| {
        b.get(o..o + 4)
            .map(|s| i32::from_le_bytes(s.try_into().expect("4 bytes")))
    };
    match (op, b.len()) {
        (0, 4) => traffic(i32_at(0).unwrap_or(0)),
        (2, 4) => i32_at(0).unwrap_or(0).to_string(),
        (1, 16) => {
            let bw = u64::from_le_bytes(b[0..8].try_into().expect("8 bytes"));
            format!(
                "{{Bandwidth={bw}, ShapingBehavior={}, Reason={}}}",
                i32_at(8).unwrap_or(0),
                i32_at(12).unwrap_or(0)
            )
        }
        (_, 0) => "-".into(),
        _ => b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(""),
    }
}

fn set_buffer_text(op: &SetOp) -> String {
    set_buffer(op.code(), op.bytes().as_deref().unwrap_or_default())
}

/// A call's arguments in C order, as the C caller passed them.
fn call_args(call: &Call, n: &Names) -> Vec<Field> {
    call.c_args()
        .into_iter()
        .map(|(name, a)| f(name, c_arg(&a, n)))
        .collect()
}

/// One argument, `Name=value` style: names for handles, sockets, flows and OVERLAPPEDs, Win32
/// names for operations, traffic types and flags.
fn c_arg(a: &CArg<'_, Raw>, n: &Names) -> String {
    match a {
        CArg::Handle(h) => n.handle(**h),
        CArg::Socket(s) => n.socket(**s),
        CArg::Flow(id) => n.flow(**id),
        CArg::FlowIn(id) => match id {
            None => "NULL".into(),
            Some(0) => "0".into(),
            Some(id) => n.flow(*id),
        },
        CArg::Addr(a) => addr(a),
        CArg::Size(s) => opt_u32(**s),
        CArg::Ulong(v) => v.to_string(),
        CArg::Overlapped(k) => ov(k.copied(), n),
        CArg::Version(v) => v.map_or_else(|| "NULL".into(), |(ma, mi)| format!("{ma}.{mi}")),
        CArg::OutPtr(out) => if *out { "&out" } else { "NULL" }.into(),
        CArg::Traffic(raw) => traffic(*raw),
        CArg::Flags { bits, known_name } => known_name.map_or_else(|| format!("{bits:#x}"), str::to_string),
        CArg::Op { code, name } => name.map_or_else(|| code.to_string(), str::to_string),
        CArg::SetBuffer(op) => set_buffer_text(op),
        CArg::Target(t) => t.map_or_else(|| "NULL".into(), |t| t.to_string()),
        CArg::Buffer(b) => if *b { "&buf" } else { "NULL" }.into(),
    }
}

fn call_output(o: &CallOutput, n: &Names) -> Vec<Field> {
    match o {
        CallOutput::None => Vec::new(),
        CallOutput::Handle(h) => vec![f("QOSHandle", n.handle(*h))],
        CallOutput::Flow(id) => vec![f("FlowId", n.flow(*id))],
        CallOutput::Data(d, size) => vec![f("Size", size.to_string()), f("Buffer", data(d))],
        CallOutput::Flows(ids) => vec![
            f("Size", (ids.len() * 4).to_string()),
            f(
                "Buffer",
                format!(
                    "[{}]",
                    ids.iter().map(|i| n.flow(*i)).collect::<Vec<_>>().join(", ")
                ),
            ),
        ],
    }
}

fn set_or(v: Option<impl ToString>) -> String {
    v.map_or_else(|| "unset".into(), |v| v.to_string())
}

/// Renders query or notification data.
pub(crate) fn data(d: &QueryData) -> String {
    match d {
        QueryData::Fundamentals {
            bottleneck_bps,
            available_bps,
            rtt_us,
        } => format!(
            "{{BottleneckBandwidth={}, AvailableBandwidth={}, RTT={}}}",
            set_or(*bottleneck_bps),
            set_or(*available_bps),
            set_or(*rtt_us)
        ),
        QueryData::PacketPriority(m) => format!(
            "{{ConformantDSCP={}, NonConformantDSCP={}, ConformantL2={}, NonConformantL2={}}}",
            m.conformant_dscp, m.non_conformant_dscp, m.conformant_l2, m.non_conformant_l2
        ),
        QueryData::OutgoingRate(v) => format!("{v} bps"),
        QueryData::Available(v) => format!("{v} bps available"),
    }
}

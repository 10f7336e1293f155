//! The scenario file format (version 1): the serializable boundary between a RON file and the
//! model. Nothing here is kept in model state. A call step is a [`Call`] named the scenario's
//! way ([`Named`]) plus an [`Expectation`]; the runner resolves the names and hands the call to
//! the model.
//!
//! Every struct and struct-like variant rejects unknown fields; every optional field has a
//! default that is written next to it. See `docs/SCENARIOS.md` for an annotated example of
//! each feature.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::call::{self, Call};
use crate::model::{Family, Fault, Func, Protocol, SockAddrIn, TrafficType, VirtualTime, Win32Error, World};
use crate::trace::WSA_NAMES;

/// The only format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// A scenario: a world, a seed and a timeline of steps with their expected results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Format version; must be [`FORMAT_VERSION`].
    pub version: u32,
    /// Short name (shown in traces and failure reports).
    pub name: String,
    /// What the scenario shows.
    #[serde(default)]
    pub description: String,
    /// Seed of the model's RNG and of the fault plan (`--seed` overrides it).
    #[serde(default)]
    pub seed: u64,
    /// The world; omitted fields take the documented defaults.
    #[serde(default, skip_serializing_if = "is_default_world")]
    pub world: World,
    /// Faults drawn at random before each step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault_plan: Option<RandomFaults>,
    /// The timeline.
    pub steps: Vec<Step>,
}

/// A reference to a handle, socket or flow: a name bound by an earlier step (`"h1"`), `"NULL"`
/// (the value 0), or a raw number (`"0xdeadbeef"`, `"7"`).
pub type Ref = String;

pub(crate) fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn is_default_world(w: &World) -> bool {
    *w == World::default()
}

fn yes() -> bool {
    true
}

/// How scenarios name a call's arguments: handles, sockets and flows by [`Ref`], new handles
/// and flows by the name to bind, OVERLAPPEDs by name, `*Size` as a [`Size`] (`Auto`: what a
/// careful caller passes) and addresses as [`Addr`] text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Named;

impl call::Names for Named {
    type Handle = Ref;
    type Socket = Ref;
    type Flow = Ref;
    type FlowIn = FlowIn;
    /// The name to bind on success (`None`: not bound).
    type NewHandle = Option<String>;
    type Overlapped = String;
    type Size = Size;
    /// `None` = NULL.
    type Addr = Option<Addr>;

    fn null_socket() -> Ref {
        "NULL".into()
    }
}

impl call::SerdeNames for Named {}

#[cfg(feature = "schema")]
impl call::SchemaNames for Named {}

/// One step of the timeline. A call step is written as its function with the call's fields and
/// then its expectation's: `QueryFlow(handle: "qos", flow: "voice", op: Fundamentals, expect:
/// Err(ERROR_NO_DATA))`.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// One of the 11 qWAVE calls and what it should return.
    Call(CallStep),
    /// `socket()`; on success the socket is bound to `socket`.
    Socket {
        /// Name to bind.
        socket: String,
        /// Address family.
        family: Family,
        /// UDP or TCP.
        protocol: Protocol,
        /// Expected outcome (default `Ok`).
        expect: SockExpect,
    },
    /// `bind()`.
    Bind {
        /// The socket.
        socket: Ref,
        /// Local address; `None` = NULL.
        addr: Option<Addr>,
        /// Expected outcome (default `Ok`).
        expect: SockExpect,
    },
    /// `connect()` (to `"[::]:0"` / `"0.0.0.0:0"` dissolves a UDP association, RW-4).
    Connect {
        /// The socket.
        socket: Ref,
        /// Peer; `None` = NULL.
        addr: Option<Addr>,
        /// Expected outcome (default `Ok`).
        expect: SockExpect,
    },
    /// `closesocket()`.
    CloseSocket {
        /// The socket.
        socket: Ref,
        /// Expected outcome (default `Ok`).
        expect: SockExpect,
    },
    /// `setsockopt(IPV6_V6ONLY)`.
    V6Only {
        /// The socket.
        socket: Ref,
        /// The option value (`false` = dual-stack).
        on: bool,
        /// Expected outcome (default `Ok`).
        expect: SockExpect,
    },
    /// Advance virtual time by a duration (`"250ms"`).
    Advance(Dur),
    /// Advance virtual time to an instant (`"1.5s"`); no-op if already past it.
    AdvanceTo(Dur),
    /// Apply a fault now.
    Fault(Fault),
    /// Schedule a fault at a virtual time.
    FaultAt {
        /// When.
        at: Dur,
        /// What.
        fault: Fault,
    },
    /// Wait (advancing time if needed) for the next completion of an OVERLAPPED and check it.
    Wait {
        /// OVERLAPPED name.
        overlapped: String,
        /// Expected completion status (default `ERROR_SUCCESS`).
        status: Win32Error,
        /// Expected data written to the buffer.
        data: Option<Data>,
        /// Longest virtual time to wait (default: the world's `deadlock_after_ms`).
        within: Option<Dur>,
    },
    /// Check model state.
    Assert(Check),
}

impl Step {
    /// The step's keyword as written in files (`AddSocketToFlow`, `Advance`, …).
    pub fn keyword(&self) -> &'static str {
        match self {
            Step::Call(c) => call_keyword(c.call.func()),
            Step::Socket { .. } => "Socket",
            Step::Bind { .. } => "Bind",
            Step::Connect { .. } => "Connect",
            Step::CloseSocket { .. } => "CloseSocket",
            Step::V6Only { .. } => "V6Only",
            Step::Advance(_) => "Advance",
            Step::AdvanceTo(_) => "AdvanceTo",
            Step::Fault(_) => "Fault",
            Step::FaultAt { .. } => "FaultAt",
            Step::Wait { .. } => "Wait",
            Step::Assert(_) => "Assert",
        }
    }
}

/// A call step's keyword: the function's name without `QOS` (`AddSocketToFlow`).
pub(crate) fn call_keyword(f: Func) -> &'static str {
    let name = f.win32_name();
    name.strip_prefix("QOS").unwrap_or(name)
}

/// A qWAVE call step: the call, its names resolved when the step runs, and what it should
/// return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallStep {
    /// The call. `CreateHandle`'s `handle` and `AddSocketToFlow`'s `New(name)` are bound to
    /// the new handle and flow when the call succeeds.
    pub call: Call<Named>,
    /// What it should return.
    pub expected: Expectation,
}

/// What a call step expects. Each call's step has only some of these fields: every call has
/// `expect`; `AddSocketToFlow` has `id`;
/// `QueryFlow` and `NotifyFlow` have `data` and `out_size`; `EnumerateFlows` has `flows` and
/// `out_size`. A field left out is not checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectation {
    /// Expected outcome (default `Ok`).
    pub expect: Expect,
    /// The numeric flow id written to `*FlowId`.
    pub id: Option<u32>,
    /// The buffer contents (a synchronous success).
    pub data: Option<Data>,
    /// The flow ids written, in order (names or numbers).
    pub flows: Option<Vec<Ref>>,
    /// The `*Size` written back.
    pub out_size: Option<u32>,
}

/// A field of an [`Expectation`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExpectField {
    Expect,
    Id,
    Data,
    Flows,
    OutSize,
}

impl ExpectField {
    /// As written in files.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ExpectField::Expect => "expect",
            ExpectField::Id => "id",
            ExpectField::Data => "data",
            ExpectField::Flows => "flows",
            ExpectField::OutSize => "out_size",
        }
    }
}

impl Expectation {
    /// The expectation fields the step of `func` has, in file order (after the call's).
    pub(crate) fn fields(func: Func) -> &'static [ExpectField] {
        use ExpectField as E;
        match func {
            Func::AddSocketToFlow => &[E::Expect, E::Id],
            Func::QueryFlow | Func::NotifyFlow => &[E::Expect, E::Data, E::OutSize],
            Func::EnumerateFlows => &[E::Expect, E::Flows, E::OutSize],
            _ => &[E::Expect],
        }
    }

    /// Whether `field` is written out: it differs from its default.
    pub(crate) fn is_written(&self, field: ExpectField) -> bool {
        match field {
            ExpectField::Expect => self.expect != Expect::Ok,
            ExpectField::Id => self.id.is_some(),
            ExpectField::Data => self.data.is_some(),
            ExpectField::Flows => self.flows.is_some(),
            ExpectField::OutSize => self.out_size.is_some(),
        }
    }

    /// The fields of the step of `func` that are written out.
    pub(crate) fn written(&self, func: Func) -> impl Iterator<Item = ExpectField> + '_ {
        let fields = Expectation::fields(func).iter().copied();
        fields.filter(|f| self.is_written(*f))
    }

    /// The same expectation with only the fields the step of `func` has.
    pub(crate) fn only_for(self, func: Func) -> Expectation {
        let has = |f| Expectation::fields(func).contains(&f);
        Expectation {
            expect: self.expect,
            id: self.id.filter(|_| has(ExpectField::Id)),
            data: self.data.filter(|_| has(ExpectField::Data)),
            flows: self.flows.filter(|_| has(ExpectField::Flows)),
            out_size: self.out_size.filter(|_| has(ExpectField::OutSize)),
        }
    }
}

/// Expected outcome of a qWAVE call: `Ok` (TRUE) or `Err(ERROR_…)` (FALSE + last error).
/// `Err(ERROR_IO_PENDING)` is an accepted overlapped request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Expect {
    /// TRUE.
    #[default]
    Ok,
    /// FALSE with this last error.
    Err(Win32Error),
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Ok => f.write_str("Ok"),
            Expect::Err(e) => write!(f, "Err({e})"),
        }
    }
}

/// Expected outcome of a socket call: `Ok` or `Err(WSAE…)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum SockExpect {
    /// Success.
    #[default]
    Ok,
    /// Failure with this WSA error.
    Err(WsaError),
}

impl fmt::Display for SockExpect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SockExpect::Ok => f.write_str("Ok"),
            SockExpect::Err(e) => write!(f, "Err({e})"),
        }
    }
}

/// A WinSock error, written by name (`WSAEINVAL`) or number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WsaError(pub i32);

impl WsaError {
    /// Its name, if known.
    pub fn name(self) -> Option<&'static str> {
        crate::trace::wsa_name(self.0)
    }
}

impl fmt::Display for WsaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}

const WSA_VARIANTS: &[&str] = &[
    "WSAEFAULT",
    "WSAEINVAL",
    "WSAENOTSOCK",
    "WSAEPROTOTYPE",
    "WSAESOCKTNOSUPPORT",
    "WSAEAFNOSUPPORT",
    "WSAEADDRINUSE",
    "WSAEADDRNOTAVAIL",
    "WSAENETUNREACH",
    "WSAEISCONN",
    "WSAENOTCONN",
    "WSAEHOSTUNREACH",
    "WSAENOBUFS",
    "WSA_ERROR",
];

/// Written as a bare name (`WSAEINVAL`), or `WSA_ERROR(n)` for a code without one.
impl Serialize for WsaError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match WSA_NAMES.iter().position(|(_, v)| *v == self.0) {
            Some(i) => s.serialize_unit_variant("WsaError", i as u32, WSA_NAMES[i].0),
            None => s.serialize_newtype_variant("WsaError", WSA_NAMES.len() as u32, "WSA_ERROR", &self.0),
        }
    }
}

struct Ident(String);

impl<'de> Deserialize<'de> for Ident {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Ident;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a WinSock error name")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Ident, E> {
                Ok(Ident(v.to_string()))
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de> Deserialize<'de> for WsaError {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{EnumAccess, VariantAccess};
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = WsaError;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a WinSock error name such as WSAEINVAL, or WSA_ERROR(number)")
            }
            fn visit_enum<A: EnumAccess<'de>>(self, a: A) -> Result<WsaError, A::Error> {
                let (Ident(name), rest): (Ident, A::Variant) = a.variant()?;
                if name == "WSA_ERROR" {
                    return rest.newtype_variant::<i32>().map(WsaError);
                }
                let code = WSA_NAMES
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, c)| WsaError(*c))
                    .ok_or_else(|| {
                        <A::Error as serde::de::Error>::custom(format!("unknown WinSock error name `{name}`"))
                    })?;
                rest.unit_variant()?;
                Ok(code)
            }
        }
        d.deserialize_enum("WsaError", WSA_VARIANTS, V)
    }
}

/// `*FlowId` of `QOSAddSocketToFlow`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum FlowIn {
    /// `*FlowId = 0`: create a flow and bind its id to this name.
    New(String),
    /// `*FlowId = id of this flow`: join it (non-adaptive flows only).
    Join(Ref),
    /// `FlowId == NULL`.
    Null,
}

pub use crate::call::{NotifyBuffer, NotifyOp, QueryOp, SetOp, TrafficArg};

/// A `*Size` argument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Size {
    /// What a correct caller passes for this operation.
    #[default]
    Auto,
    /// `Size == NULL`.
    Null,
    /// `*Size` = this many bytes.
    Bytes(u32),
}

/// Expected buffer contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub enum Data {
    /// `QOS_FLOW_FUNDAMENTALS`; `None` = its `*Set` flag is FALSE.
    Fundamentals {
        /// `BottleneckBandwidth`.
        bottleneck_bps: Option<u64>,
        /// `AvailableBandwidth`.
        available_bps: Option<u64>,
        /// `RTT` (µs).
        rtt_us: Option<u32>,
    },
    /// `QOS_PACKET_PRIORITY`. The fields other than `conformant_dscp` are checked only when
    /// given: an omitted one means "don't care".
    PacketPriority {
        /// `ConformantDSCPValue`.
        conformant_dscp: u32,
        /// `NonConformantDSCPValue`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        non_conformant_dscp: Option<u32>,
        /// `ConformantL2Value`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conformant_l2: Option<u32>,
        /// `NonConformantL2Value`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        non_conformant_l2: Option<u32>,
    },
    /// `UINT64` outgoing rate.
    OutgoingRate(u64),
    /// `UINT64` available bandwidth delivered by `QOSNotifyAvailable`.
    Available(u64),
}

impl Data {
    /// Whether `actual` (data a call or completion wrote, every field given) is what this
    /// expectation describes: fields it leaves out are not compared.
    pub fn matches(&self, actual: &Data) -> bool {
        let given = |want: Option<u32>, got: Option<u32>| want.is_none() || want == got;
        match (self, actual) {
            (
                Data::PacketPriority {
                    conformant_dscp: a,
                    non_conformant_dscp: b,
                    conformant_l2: c,
                    non_conformant_l2: d,
                },
                Data::PacketPriority {
                    conformant_dscp: a2,
                    non_conformant_dscp: b2,
                    conformant_l2: c2,
                    non_conformant_l2: d2,
                },
            ) => a == a2 && given(*b, *b2) && given(*c, *c2) && given(*d, *d2),
            _ => self == actual,
        }
    }
}

impl From<crate::model::QueryData> for Data {
    fn from(d: crate::model::QueryData) -> Self {
        use crate::model::QueryData as Q;
        match d {
            Q::Fundamentals {
                bottleneck_bps,
                available_bps,
                rtt_us,
            } => Data::Fundamentals {
                bottleneck_bps,
                available_bps,
                rtt_us,
            },
            Q::PacketPriority(m) => Data::PacketPriority {
                conformant_dscp: m.conformant_dscp,
                non_conformant_dscp: Some(m.non_conformant_dscp),
                conformant_l2: Some(m.conformant_l2),
                non_conformant_l2: Some(m.non_conformant_l2),
            },
            Q::OutgoingRate(v) => Data::OutgoingRate(v),
            Q::Available(v) => Data::Available(v),
        }
    }
}

/// An assertion on model state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub enum Check {
    /// Number of live flows in the system (foreign flows included).
    FlowCount(usize),
    /// A flow's state; only the given fields are checked.
    Flow {
        /// The flow.
        flow: Ref,
        /// Whether it is alive.
        #[serde(default = "yes")]
        exists: bool,
        /// Its traffic type.
        #[serde(default)]
        traffic_type: Option<TrafficType>,
        /// Whether it is adaptive.
        #[serde(default)]
        adaptive: Option<bool>,
        /// Its sockets, in order.
        #[serde(default)]
        sockets: Option<Vec<Ref>>,
        /// Its declared rate (0 = none).
        #[serde(default)]
        rate_bps: Option<u64>,
    },
    /// The markings a flow's packets get now (QRY-11); only the given fields are checked
    /// (`Marking(flow: "v", dscp: 8)` does not look at the 802.1p tag).
    Marking {
        /// The flow.
        flow: Ref,
        /// Conformant DSCP.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dscp: Option<u32>,
        /// Conformant 802.1p (0 = no tag).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        l2: Option<u32>,
    },
    /// A handle's state and, optionally, its flows and tracked clients.
    Handle {
        /// The handle.
        handle: Ref,
        /// Its state.
        state: HandleStateArg,
        /// Its flows (sorted by id).
        #[serde(default)]
        flows: Option<Vec<Ref>>,
        /// Clients it tracks (sorted).
        #[serde(default)]
        tracked: Option<Vec<IpAddr>>,
    },
    /// Number of pending overlapped requests.
    PendingCount(usize),
    /// Whether a request issued with this OVERLAPPED on this handle is pending.
    Pending {
        /// The handle.
        handle: Ref,
        /// OVERLAPPED name.
        overlapped: String,
        /// Expected.
        pending: bool,
    },
    /// The thread's last-error slot (GEN-2: success leaves it untouched).
    LastError(Win32Error),
    /// Number of blocking calls that deadlocked (AMB-31).
    Deadlocks(u32),
    /// The model's invariants hold (they are also checked after every step).
    Invariants,
}

/// `HandleState` as written in files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum HandleStateArg {
    /// Usable.
    Open,
    /// Device reset: every call but close gives 1164.
    Stale,
    /// Closed or invalidated by sleep.
    Dead,
}

/// Faults drawn at random before each step (the file's `fault_plan`): each candidate fires with
/// its probability, from a stream derived from the seed, so one file explores many runs.
/// (Named `FaultPlan` in the file, in messages and as an optional struct name.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename = "FaultPlan", deny_unknown_fields)]
pub struct RandomFaults {
    /// The candidate faults.
    pub faults: Vec<RandomFault>,
}

/// One candidate of [`RandomFaults`] (`PlannedFault` in the file).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename = "PlannedFault", deny_unknown_fields)]
pub struct RandomFault {
    /// Probability per step, 0.0..=1.0.
    pub probability: f64,
    /// The fault.
    pub fault: Fault,
    /// Most times it fires in one run.
    #[serde(default = "one")]
    pub max: u32,
}

fn one() -> u32 {
    1
}

/// A virtual duration or instant, written `"1.5s"`, `"250ms"` or `"40us"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dur {
    /// Microseconds.
    pub us: u64,
}

impl Dur {
    /// From microseconds.
    pub fn from_us(us: u64) -> Dur {
        Dur { us }
    }

    /// As a virtual instant.
    pub fn instant(self) -> VirtualTime {
        VirtualTime(self.us)
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.us;
        if us % 1_000_000 == 0 {
            write!(f, "{}s", us / 1_000_000)
        } else if us % 1_000 == 0 {
            write!(f, "{}ms", us / 1_000)
        } else {
            write!(f, "{us}us")
        }
    }
}

impl FromStr for Dur {
    type Err = String;
    fn from_str(s: &str) -> Result<Dur, String> {
        let bad = || format!("`{s}` is not a duration like \"1.5s\", \"250ms\" or \"40us\"");
        let (num, scale) = if let Some(n) = s.strip_suffix("us") {
            (n, 1u64)
        } else if let Some(n) = s.strip_suffix("ms") {
            (n, 1_000)
        } else if let Some(n) = s.strip_suffix('s') {
            (n, 1_000_000)
        } else {
            return Err(bad());
        };
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let digits = scale.ilog10() as usize;
        if frac.len() > digits {
            return Err(format!("`{s}` is finer than a microsecond"));
        }
        let int: u64 = int.parse().map_err(|_| bad())?;
        let frac_us: u64 = if frac.is_empty() {
            0
        } else {
            let f: u64 = frac.parse().map_err(|_| bad())?;
            f * 10u64.pow((digits - frac.len()) as u32)
        };
        int.checked_mul(scale)
            .and_then(|v| v.checked_add(frac_us))
            .map(Dur::from_us)
            .ok_or_else(|| format!("`{s}` is too long"))
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Dur, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A `SOCKADDR` argument: `"192.168.1.20:5004"`, `"[fd00::20]:5004"`, or `"af:7"` (a sockaddr
/// whose family is neither `AF_INET` nor `AF_INET6`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Addr(pub SockAddrIn);

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            SockAddrIn::V4(a) => write!(f, "{a}"),
            SockAddrIn::V6(a) => write!(f, "{a}"),
            SockAddrIn::BadFamily(af) => write!(f, "af:{af}"),
        }
    }
}

impl FromStr for Addr {
    type Err = String;
    fn from_str(s: &str) -> Result<Addr, String> {
        if let Some(af) = s.strip_prefix("af:") {
            return af
                .parse::<u16>()
                .map(|af| Addr(SockAddrIn::BadFamily(af)))
                .map_err(|_| format!("`{s}`: the family after `af:` must be a number"));
        }
        s.parse::<SocketAddr>().map(|a| Addr(a.into())).map_err(|_| {
            format!("`{s}` is not a socket address like \"192.168.1.20:5004\" or \"[fd00::20]:5004\"")
        })
    }
}

impl Serialize for Addr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Addr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Addr, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print() {
        assert_eq!("1.5s".parse::<Dur>().unwrap().us, 1_500_000);
        assert_eq!("250ms".parse::<Dur>().unwrap().us, 250_000);
        assert_eq!("40us".parse::<Dur>().unwrap().us, 40);
        assert_eq!("0.000001s".parse::<Dur>().unwrap().us, 1);
        assert!("1.5".parse::<Dur>().is_err());
        assert!("1.0000001s".parse::<Dur>().is_err());
        assert!("-1s".parse::<Dur>().is_err());
        assert!("99999999999999999999s".parse::<Dur>().is_err());
        for us in [0, 1, 1_000, 1_500, 2_000_000, 2_500_000] {
            let d = Dur::from_us(us);
            assert_eq!(d.to_string().parse::<Dur>().unwrap(), d);
        }
    }

    #[test]
    fn addresses_parse_and_print() {
        for s in [
            "192.168.1.20:5004",
            "[fd00::20]:5004",
            "af:7",
            "[::ffff:192.168.1.20]:9",
        ] {
            assert_eq!(s.parse::<Addr>().unwrap().to_string(), s);
        }
        assert!("192.168.1.20".parse::<Addr>().is_err());
        assert!("af:x".parse::<Addr>().is_err());
    }
}

//! One call of the 11 qos2.h functions, as a value: the spine every layer shares.
//!
//! A [`Call`] is defined once and named three ways, through [`Names`]:
//! - [`Raw`]: the values the model sees (handle and socket values, flow ids, OVERLAPPED keys,
//!   `*Size` as `Option<u32>` with `None` = NULL). [`Model::apply`](crate::model::Model::apply)
//!   takes a `Call<Raw>`; the surfaces build one from the caller's pointers; traces render one.
//! - the scenario's names (`"qos"`, `"voice"`), with sizes that default to what a careful
//!   caller passes ([`crate::scenario`]);
//! - the fuzzer's symbols (the n-th handle issued) (`crate::fuzz`, feature `fuzz`).
//!
//! [`Call::map`] turns one naming into another through a [`Resolve`]r, so a new parameter is
//! added to one struct here and flows through every layer.
//!
//! ```
//! use qwave_sim::call::{Call, QueryFlow, QueryOp};
//! use qwave_sim::model::{Model, World};
//!
//! let mut model = Model::new(World::default(), 1);
//! let call = Call::QueryFlow(QueryFlow {
//!     handle: 0, // NULL
//!     flow: 1,
//!     op: QueryOp::Fundamentals,
//!     size: Some(40),
//!     buffer: true,
//!     fresh: false,
//!     flags: 0,
//!     overlapped: None,
//! });
//! let err = model.apply(call).unwrap_err();
//! assert_eq!(err.code.0, 6); // ERROR_INVALID_HANDLE
//! ```

mod op;

use std::fmt::Debug;
use std::hash::Hash;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use op::{
    NotifyBuffer, NotifyOp, QueryOp, SetOp, TrafficArg, QOS_NON_ADAPTIVE_FLOW, QOS_QUERYFLOW_FRESH,
};

use crate::model::{Func, OverlappedKey, SockAddrIn};

/// What a [`Names`] type may use for an argument.
pub trait Arg: Clone + Debug + PartialEq + Eq + Hash {}
impl<T: Clone + Debug + PartialEq + Eq + Hash> Arg for T {}

/// How a call names the things it refers to.
pub trait Names: Clone + Debug + PartialEq + Eq + Hash {
    /// A handle argument (`QOSHandle`).
    type Handle: Arg;
    /// A socket argument (`Socket`); 0 / NULL where the C API allows it.
    type Socket: Arg;
    /// A flow id argument (`FlowId`).
    type Flow: Arg;
    /// `*FlowId` of `QOSAddSocketToFlow` on input, and what to call the flow it returns.
    type FlowIn: Arg;
    /// What to call the handle `QOSCreateHandle` returns.
    type NewHandle: Arg + Default;
    /// An OVERLAPPED (only its identity matters).
    type Overlapped: Arg;
    /// A `*Size` in/out argument.
    type Size: Arg + Default;
    /// A `SOCKADDR*` argument.
    type Addr: Arg + Default;

    /// The socket argument that means "none" (`QOSRemoveSocketFromFlow`'s whole-flow form).
    fn null_socket() -> Self::Socket;
}

/// A [`Names`] whose arguments are serializable (scenarios, recordings).
pub trait SerdeNames:
    Names<
    Handle: Serialize + DeserializeOwned,
    Socket: Serialize + DeserializeOwned,
    Flow: Serialize + DeserializeOwned,
    FlowIn: Serialize + DeserializeOwned,
    NewHandle: Serialize + DeserializeOwned,
    Overlapped: Serialize + DeserializeOwned,
    Size: Serialize + DeserializeOwned,
    Addr: Serialize + DeserializeOwned,
>
{
}

/// A [`SerdeNames`] whose arguments have JSON Schemas (feature `schema`): the scenario
/// format's.
#[cfg(feature = "schema")]
pub trait SchemaNames:
    SerdeNames<
        Handle: schemars::JsonSchema,
        Socket: schemars::JsonSchema,
        Flow: schemars::JsonSchema,
        FlowIn: schemars::JsonSchema,
        NewHandle: schemars::JsonSchema,
        Overlapped: schemars::JsonSchema,
        Size: schemars::JsonSchema,
        Addr: schemars::JsonSchema,
    > + schemars::JsonSchema
{
}

/// The values the model sees: pointers decoded, names resolved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Raw;

impl Names for Raw {
    type Handle = u64;
    type Socket = u64;
    type Flow = u32;
    /// `None` = NULL `FlowId`; `Some(0)` asks for a new flow.
    type FlowIn = Option<u32>;
    /// Nothing: the value is the output.
    type NewHandle = ();
    type Overlapped = OverlappedKey;
    /// `None` = NULL `Size`.
    type Size = Option<u32>;
    /// `None` = NULL `DestAddr`.
    type Addr = Option<SockAddrIn>;

    fn null_socket() -> u64 {
        0
    }
}

fn yes() -> bool {
    true
}

fn is_true(v: &bool) -> bool {
    *v
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn v1_0() -> Option<(u16, u16)> {
    Some((1, 0))
}

fn is_v1_0(v: &Option<(u16, u16)>) -> bool {
    *v == Some((1, 0))
}

fn is_null_socket<N: Names>(s: &N::Socket) -> bool {
    *s == N::null_socket()
}

/// `QOSCreateHandle(Version, QOSHandle)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(bound = "N: crate::call::SchemaNames")
)]
#[serde(
    deny_unknown_fields,
    bound(serialize = "N: SerdeNames", deserialize = "N: SerdeNames")
)]
pub struct CreateHandle<N: Names = Raw> {
    /// What to call the new handle.
    #[serde(default, skip_serializing_if = "is_default")]
    pub handle: N::NewHandle,
    /// `*Version` (`None` = NULL).
    #[serde(default = "v1_0", skip_serializing_if = "is_v1_0")]
    pub version: Option<(u16, u16)>,
    /// Whether the out-pointer `QOSHandle` is non-NULL.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub out: bool,
}

/// `QOSCloseHandle(QOSHandle)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(bound = "N: crate::call::SchemaNames")
)]
#[serde(
    deny_unknown_fields,
    bound(serialize = "N: SerdeNames", deserialize = "N: SerdeNames")
)]
pub struct CloseHandle<N: Names = Raw> {
    /// `QOSHandle`.
    pub handle: N::Handle,
}

/// `QOSAddSocketToFlow(QOSHandle, Socket, DestAddr, TrafficType, Flags, FlowId)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(bound = "N: crate::call::SchemaNames")
)]
#[serde(
    deny_unknown_fields,
    bound(serialize = "N: SerdeNames", deserialize = "N: SerdeNames")
)]
pub struct AddSocketToFlow<N: Names = Raw> {
    /// `QOSHandle`.
    pub handle: N::Handle,
    /// `Socket`.
    pub socket: N::Socket,
    /// `DestAddr`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub dest: N::Addr,
    /// `TrafficType`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub traffic_type: TrafficArg,
    /// `QOS_NON_ADAPTIVE_FLOW` in `Flags`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub non_adaptive: bool,
    /// The other bits of `Flags` (none is valid).
    #[serde(default, skip_serializing_if = "is_default")]
    pub flags: u32,
    /// `*FlowId` on input.
    pub flow: N::FlowIn,
}

impl<N: Names> AddSocketToFlow<N> {
    /// `Flags` as passed.
    pub fn flag_bits(&self) -> u32 {
        self.flags
            | if self.non_adaptive {
                QOS_NON_ADAPTIVE_FLOW
            } else {
                0
            }
    }
}

/// `QOSRemoveSocketFromFlow(QOSHandle, Socket, FlowId, Flags)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(bound = "N: crate::call::SchemaNames")
)]
#[serde(
    deny_unknown_fields,
    bound(serialize = "N: SerdeNames", deserialize = "N: SerdeNames")
)]
pub struct RemoveSocketFromFlow<N: Names = Raw> {
    /// `QOSHandle`.
    pub handle: N::Handle,
    /// `Socket`; the null socket removes the whole flow.
    #[serde(default = "N::null_socket", skip_serializing_if = "is_null_socket::<N>")]
    pub socket: N::Socket,
    /// `FlowId`.
    pub flow: N::Flow,
    /// `Flags`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub flags: u32,
}

/// `QOSSetFlow(QOSHandle, FlowId, Operation, Size, Buffer, Flags, Overlapped)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(bound = "N: crate::call::SchemaNames")
)]
#[serde(
    deny_unknown_fields,
    bound(serialize = "N: SerdeNames", deserialize = "N: SerdeNames")
)]
pub struct SetFlow<N: Names = Raw> {
    /// `QOSHandle`.
    pub handle: N::Handle,
    /// `FlowId`.
    pub flow: N::Flow,
    /// `Operation`, `Size` and `Buffer`.
    pub op: SetOp,
    /// `Flags`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub flags: u32,
    /// `Overlapped` (`None` = NULL: synchronous).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlapped: Option<N::Overlapped>,
}

/// `QOSQueryFlow(QOSHandle, FlowId, Operation, Size, Buffer, Flags, Overlapped)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(bound = "N: crate::call::SchemaNames")
)]
#[serde(
    deny_unknown_fields,
    bound(serialize = "N: SerdeNames", deserialize = "N: SerdeNames")
)]
pub struct QueryFlow<N: Names = Raw> {
    /// `QOSHandle`.
    pub handle: N::Handle,
    /// `FlowId`.
    pub flow: N::Flow,
    /// `Operation`.
    pub op: QueryOp,
    /// `*Size` on input.
    #[serde(default, skip_serializing_if = "is_default")]
    pub size: N::Size,
    /// Whether `Buffer` is non-NULL.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub buffer: bool,
    /// `QOS_QUERYFLOW_FRESH` in `Flags`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub fresh: bool,
    /// The other bits of `Flags` (none is valid).
    #[serde(default, skip_serializing_if = "is_default")]
    pub flags: u32,
    /// `Overlapped` (`None` = NULL: synchronous).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlapped: Option<N::Overlapped>,
}

impl<N: Names> QueryFlow<N> {
    /// `Flags` as passed.
    pub fn flag_bits(&self) -> u32 {
        self.flags | if self.fresh { QOS_QUERYFLOW_FRESH } else { 0 }
    }
}

/// `QOSNotifyFlow(QOSHandle, FlowId, Operation, Size, Buffer, Flags, Overlapped)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(bound = "N: crate::call::SchemaNames")
)]
#[serde(
    deny_unknown_fields,
    bound(serialize = "N: SerdeNames", deserialize = "N: SerdeNames")
)]
pub struct NotifyFlow<N: Names = Raw> {
    /// `QOSHandle`.
    pub handle: N::Handle,
    /// `FlowId`.
    pub flow: N::Flow,
    /// `Operation`.
    pub op: NotifyOp,
    /// `*Size` on input.
    #[serde(default, skip_serializing_if = "is_default")]
    pub size: N::Size,
    /// `Buffer`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub buffer: NotifyBuffer,
    /// `Flags`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub flags: u32,
    /// `Overlapped` (`None` = NULL: the call blocks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlapped: Option<N::Overlapped>,
}

impl<N: Names> NotifyFlow<N> {
    /// The `UINT64` in `Buffer` (`None` = NULL).
    pub fn target(&self) -> Option<u64> {
        self.buffer.value(self.op)
    }
}

/// `QOSCancel(QOSHandle, Overlapped)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(bound = "N: crate::call::SchemaNames")
)]
#[serde(
    deny_unknown_fields,
    bound(serialize = "N: SerdeNames", deserialize = "N: SerdeNames")
)]
pub struct Cancel<N: Names = Raw> {
    /// `QOSHandle`.
    pub handle: N::Handle,
    /// `Overlapped` (`None` = NULL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlapped: Option<N::Overlapped>,
}

/// `QOSEnumerateFlows(QOSHandle, Size, Buffer)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(bound = "N: crate::call::SchemaNames")
)]
#[serde(
    deny_unknown_fields,
    bound(serialize = "N: SerdeNames", deserialize = "N: SerdeNames")
)]
pub struct EnumerateFlows<N: Names = Raw> {
    /// `QOSHandle`.
    pub handle: N::Handle,
    /// `*Size` on input.
    #[serde(default, skip_serializing_if = "is_default")]
    pub size: N::Size,
    /// Whether `Buffer` is non-NULL.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub buffer: bool,
}

impl EnumerateFlows {
    /// The `*Size` a careful caller passes: room for 1,024 flow ids.
    pub const SIZE: u32 = 4096;
}

/// `QOSStartTrackingClient` / `QOSStopTrackingClient(QOSHandle, DestAddr, Flags)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(bound = "N: crate::call::SchemaNames")
)]
#[serde(
    deny_unknown_fields,
    bound(serialize = "N: SerdeNames", deserialize = "N: SerdeNames")
)]
pub struct Tracking<N: Names = Raw> {
    /// `QOSHandle`.
    pub handle: N::Handle,
    /// `DestAddr`: the client.
    #[serde(default, skip_serializing_if = "is_default")]
    pub client: N::Addr,
    /// `Flags`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub flags: u32,
}

/// One call of the 11 qos2.h functions.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(bound(serialize = "N: SerdeNames", deserialize = "N: SerdeNames"))]
pub enum Call<N: Names = Raw> {
    /// `QOSCreateHandle`.
    CreateHandle(CreateHandle<N>),
    /// `QOSCloseHandle`.
    CloseHandle(CloseHandle<N>),
    /// `QOSAddSocketToFlow`.
    AddSocketToFlow(AddSocketToFlow<N>),
    /// `QOSRemoveSocketFromFlow`.
    RemoveSocketFromFlow(RemoveSocketFromFlow<N>),
    /// `QOSSetFlow`.
    SetFlow(SetFlow<N>),
    /// `QOSQueryFlow`.
    QueryFlow(QueryFlow<N>),
    /// `QOSNotifyFlow`.
    NotifyFlow(NotifyFlow<N>),
    /// `QOSCancel`.
    Cancel(Cancel<N>),
    /// `QOSEnumerateFlows`.
    EnumerateFlows(EnumerateFlows<N>),
    /// `QOSStartTrackingClient`.
    StartTrackingClient(Tracking<N>),
    /// `QOSStopTrackingClient`.
    StopTrackingClient(Tracking<N>),
}

impl<N: Names> Call<N> {
    /// Which function this is.
    pub fn func(&self) -> Func {
        match self {
            Call::CreateHandle(_) => Func::CreateHandle,
            Call::CloseHandle(_) => Func::CloseHandle,
            Call::AddSocketToFlow(_) => Func::AddSocketToFlow,
            Call::RemoveSocketFromFlow(_) => Func::RemoveSocketFromFlow,
            Call::SetFlow(_) => Func::SetFlow,
            Call::QueryFlow(_) => Func::QueryFlow,
            Call::NotifyFlow(_) => Func::NotifyFlow,
            Call::Cancel(_) => Func::Cancel,
            Call::EnumerateFlows(_) => Func::EnumerateFlows,
            Call::StartTrackingClient(_) => Func::StartTrackingClient,
            Call::StopTrackingClient(_) => Func::StopTrackingClient,
        }
    }

    /// The `QOSHandle` argument (every call but `QOSCreateHandle` has one).
    pub fn handle(&self) -> Option<&N::Handle> {
        match self {
            Call::CreateHandle(_) => None,
            Call::CloseHandle(c) => Some(&c.handle),
            Call::AddSocketToFlow(c) => Some(&c.handle),
            Call::RemoveSocketFromFlow(c) => Some(&c.handle),
            Call::SetFlow(c) => Some(&c.handle),
            Call::QueryFlow(c) => Some(&c.handle),
            Call::NotifyFlow(c) => Some(&c.handle),
            Call::Cancel(c) => Some(&c.handle),
            Call::EnumerateFlows(c) => Some(&c.handle),
            Call::StartTrackingClient(c) | Call::StopTrackingClient(c) => Some(&c.handle),
        }
    }

    /// The OVERLAPPED of a call that can complete later (Set, Query, Notify), if one is passed.
    /// `QOSCancel`'s OVERLAPPED names a request; it is not returned here.
    pub fn overlapped(&self) -> Option<&N::Overlapped> {
        match self {
            Call::SetFlow(c) => c.overlapped.as_ref(),
            Call::QueryFlow(c) => c.overlapped.as_ref(),
            Call::NotifyFlow(c) => c.overlapped.as_ref(),
            _ => None,
        }
    }

    /// The same call under another naming.
    pub fn map<M: Names>(&self, r: &mut impl Resolve<N, M>) -> Call<M> {
        match self {
            Call::CreateHandle(c) => Call::CreateHandle(CreateHandle {
                handle: r.new_handle(&c.handle),
                version: c.version,
                out: c.out,
            }),
            Call::CloseHandle(c) => Call::CloseHandle(CloseHandle {
                handle: r.handle(&c.handle),
            }),
            Call::AddSocketToFlow(c) => Call::AddSocketToFlow(AddSocketToFlow {
                handle: r.handle(&c.handle),
                socket: r.socket(&c.socket),
                dest: r.addr(&c.dest),
                traffic_type: c.traffic_type,
                non_adaptive: c.non_adaptive,
                flags: c.flags,
                flow: r.flow_in(&c.flow),
            }),
            Call::RemoveSocketFromFlow(c) => Call::RemoveSocketFromFlow(RemoveSocketFromFlow {
                handle: r.handle(&c.handle),
                socket: r.socket(&c.socket),
                flow: r.flow(&c.flow),
                flags: c.flags,
            }),
            Call::SetFlow(c) => Call::SetFlow(SetFlow {
                handle: r.handle(&c.handle),
                flow: r.flow(&c.flow),
                op: c.op.clone(),
                flags: c.flags,
                overlapped: c.overlapped.as_ref().map(|o| r.overlapped(o)),
            }),
            Call::QueryFlow(c) => Call::QueryFlow(QueryFlow {
                handle: r.handle(&c.handle),
                flow: r.flow(&c.flow),
                op: c.op,
                size: r.size(&c.size, Some(c.op.size())),
                buffer: c.buffer,
                fresh: c.fresh,
                flags: c.flags,
                overlapped: c.overlapped.as_ref().map(|o| r.overlapped(o)),
            }),
            Call::NotifyFlow(c) => Call::NotifyFlow(NotifyFlow {
                handle: r.handle(&c.handle),
                flow: r.flow(&c.flow),
                op: c.op,
                size: r.size(&c.size, c.op.size()),
                buffer: c.buffer,
                flags: c.flags,
                overlapped: c.overlapped.as_ref().map(|o| r.overlapped(o)),
            }),
            Call::Cancel(c) => Call::Cancel(Cancel {
                handle: r.handle(&c.handle),
                overlapped: c.overlapped.as_ref().map(|o| r.overlapped(o)),
            }),
            Call::EnumerateFlows(c) => Call::EnumerateFlows(EnumerateFlows {
                handle: r.handle(&c.handle),
                size: r.size(&c.size, Some(EnumerateFlows::SIZE)),
                buffer: c.buffer,
            }),
            Call::StartTrackingClient(c) => Call::StartTrackingClient(c.map(r)),
            Call::StopTrackingClient(c) => Call::StopTrackingClient(c.map(r)),
        }
    }
}

impl<N: Names> Tracking<N> {
    fn map<M: Names>(&self, r: &mut impl Resolve<N, M>) -> Tracking<M> {
        Tracking {
            handle: r.handle(&self.handle),
            client: r.addr(&self.client),
            flags: self.flags,
        }
    }
}

/// Turns arguments named by `A` into arguments named by `B` (see [`Call::map`]).
pub trait Resolve<A: Names, B: Names> {
    /// A handle.
    fn handle(&mut self, h: &A::Handle) -> B::Handle;
    /// A socket.
    fn socket(&mut self, s: &A::Socket) -> B::Socket;
    /// A flow id.
    fn flow(&mut self, f: &A::Flow) -> B::Flow;
    /// `*FlowId` of `QOSAddSocketToFlow`.
    fn flow_in(&mut self, f: &A::FlowIn) -> B::FlowIn;
    /// The name for a new handle.
    fn new_handle(&mut self, h: &A::NewHandle) -> B::NewHandle;
    /// An OVERLAPPED.
    fn overlapped(&mut self, o: &A::Overlapped) -> B::Overlapped;
    /// A `*Size`; `careful` is what a careful caller passes for this operation (`None` = NULL).
    fn size(&mut self, s: &A::Size, careful: Option<u32>) -> B::Size;
    /// A `SOCKADDR*`.
    fn addr(&mut self, a: &A::Addr) -> B::Addr;
}

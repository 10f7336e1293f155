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
//! Each call has its own file here, mirroring `model/api/`: the struct, its `map` (one naming
//! into another through a [`Resolve`]r, dispatched by [`Call::map`]), its C arguments in order
//! (what traces and the fuzzer's C form render) and, with feature `fuzz`, its `Arbitrary` impl.
//! A new parameter is added there, applied in the model's api file and built in the surface.
//!
//! ```
//! use qwave_sim::call::{Call, CloseHandle};
//! use qwave_sim::model::{Model, World};
//!
//! let mut model = Model::new(World::default(), 1);
//! let err = model.apply(Call::CloseHandle(CloseHandle { handle: 0 })).unwrap_err(); // NULL
//! assert_eq!(err.code.0, 6); // ERROR_INVALID_HANDLE
//! ```

mod add_socket_to_flow;
mod c_arg;
mod cancel;
mod close_handle;
mod create_handle;
mod enumerate_flows;
mod notify_flow;
mod op;
mod query_flow;
mod remove_socket_from_flow;
mod set_flow;
mod tracking;

use std::fmt::Debug;
use std::hash::Hash;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use add_socket_to_flow::AddSocketToFlow;
pub(crate) use c_arg::{CArg, CArgs};
pub use cancel::Cancel;
pub use close_handle::CloseHandle;
pub use create_handle::CreateHandle;
pub use enumerate_flows::EnumerateFlows;
pub use notify_flow::NotifyFlow;
pub use query_flow::QueryFlow;
pub use remove_socket_from_flow::RemoveSocketFromFlow;
pub use set_flow::SetFlow;
pub use tracking::Tracking;

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

/// One call of the 11 qos2.h functions.
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(bound = "N: crate::call::SchemaNames")
)]
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

    /// The arguments in C order, each with its C parameter name: what traces and the fuzzer's
    /// C form render.
    pub(crate) fn c_args(&self) -> CArgs<'_, N> {
        match self {
            Call::CreateHandle(c) => c.c_args(),
            Call::CloseHandle(c) => c.c_args(),
            Call::AddSocketToFlow(c) => c.c_args(),
            Call::RemoveSocketFromFlow(c) => c.c_args(),
            Call::SetFlow(c) => c.c_args(),
            Call::QueryFlow(c) => c.c_args(),
            Call::NotifyFlow(c) => c.c_args(),
            Call::Cancel(c) => c.c_args(),
            Call::EnumerateFlows(c) => c.c_args(),
            Call::StartTrackingClient(c) | Call::StopTrackingClient(c) => c.c_args(),
        }
    }

    /// The same call under another naming.
    pub fn map<M: Names>(&self, r: &mut impl Resolve<N, M>) -> Call<M> {
        match self {
            Call::CreateHandle(c) => Call::CreateHandle(c.map(r)),
            Call::CloseHandle(c) => Call::CloseHandle(c.map(r)),
            Call::AddSocketToFlow(c) => Call::AddSocketToFlow(c.map(r)),
            Call::RemoveSocketFromFlow(c) => Call::RemoveSocketFromFlow(c.map(r)),
            Call::SetFlow(c) => Call::SetFlow(c.map(r)),
            Call::QueryFlow(c) => Call::QueryFlow(c.map(r)),
            Call::NotifyFlow(c) => Call::NotifyFlow(c.map(r)),
            Call::Cancel(c) => Call::Cancel(c.map(r)),
            Call::EnumerateFlows(c) => Call::EnumerateFlows(c.map(r)),
            Call::StartTrackingClient(c) => Call::StartTrackingClient(c.map(r)),
            Call::StopTrackingClient(c) => Call::StopTrackingClient(c.map(r)),
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

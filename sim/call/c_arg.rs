//! A call's arguments in C order, as typed values: what the two C-form renderers format (the
//! trace's `Name=value` in `crate::trace`, the fuzzer's `c_form`). Each call lists its own in
//! its file; a renderer formats each kind of argument once.

use super::{Names, SetOp};

/// One argument as the C caller passes it.
#[derive(Debug)]
pub(crate) enum CArg<'a, N: Names> {
    /// `HANDLE QOSHandle`.
    Handle(&'a N::Handle),
    /// `SOCKET Socket`.
    Socket(&'a N::Socket),
    /// `QOS_FLOWID FlowId`.
    Flow(&'a N::Flow),
    /// `PQOS_FLOWID FlowId` (in/out).
    FlowIn(&'a N::FlowIn),
    /// `PSOCKADDR`.
    Addr(&'a N::Addr),
    /// `PULONG Size` (in/out).
    Size(&'a N::Size),
    /// `ULONG Size` (by value).
    Ulong(u32),
    /// `LPOVERLAPPED` (`None` = NULL).
    Overlapped(Option<&'a N::Overlapped>),
    /// `PQOS_VERSION` (`None` = NULL).
    Version(Option<(u16, u16)>),
    /// An out-pointer: whether it is non-NULL.
    OutPtr(bool),
    /// `QOS_TRAFFIC_TYPE`.
    Traffic(i32),
    /// `DWORD Flags`, with the flag's name when the bits are exactly one known flag.
    Flags {
        /// The bits.
        bits: u32,
        /// `QOS_NON_ADAPTIVE_FLOW`, `QOS_QUERYFLOW_FRESH`, when `bits` is that flag.
        known_name: Option<&'static str>,
    },
    /// An operation code, with its name when known.
    Op {
        /// The value.
        code: i32,
        /// `QOSQueryFlowFundamentals`, …
        name: Option<&'static str>,
    },
    /// `QOSSetFlow`'s `Buffer`.
    SetBuffer(&'a SetOp),
    /// `QOSNotifyFlow`'s `Buffer`: the `UINT64` it holds (`None` = NULL).
    Target(Option<u64>),
    /// A buffer pointer: whether it is non-NULL.
    Buffer(bool),
}

/// A call's arguments in C order, each with its C parameter name.
pub(crate) type CArgs<'a, N> = Vec<(&'static str, CArg<'a, N>)>;

impl<N: Names> CArg<'_, N> {
    /// `Flags` whose only named value is `name` = `flag`.
    pub(crate) fn flags(bits: u32, flag: Option<(u32, &'static str)>) -> Self {
        CArg::Flags {
            bits,
            known_name: flag.filter(|(f, _)| *f == bits).map(|(_, name)| name),
        }
    }
}

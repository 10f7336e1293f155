//! `QOSNotifyFlow`.

use serde::{Deserialize, Serialize};

use super::{is_default, CArg, CArgs, Names, NotifyBuffer, NotifyOp, Raw, Resolve, SerdeNames};

/// `QOSNotifyFlow(QOSHandle, FlowId, Operation, Size, Buffer, Flags, Overlapped)`.
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(bound = "N: crate::call::SchemaNames")
)]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

    pub(super) fn map<M: Names>(&self, r: &mut impl Resolve<N, M>) -> NotifyFlow<M> {
        NotifyFlow {
            handle: r.handle(&self.handle),
            flow: r.flow(&self.flow),
            op: self.op,
            size: r.size(&self.size, self.op.size()),
            buffer: self.buffer,
            flags: self.flags,
            overlapped: self.overlapped.as_ref().map(|o| r.overlapped(o)),
        }
    }

    /// The arguments in C order.
    pub(super) fn c_args(&self) -> CArgs<'_, N> {
        let code = self.op.code();
        vec![
            ("QOSHandle", CArg::Handle(&self.handle)),
            ("FlowId", CArg::Flow(&self.flow)),
            (
                "Operation",
                CArg::Op {
                    code,
                    name: NotifyOp::name_of(code),
                },
            ),
            ("Size", CArg::Size(&self.size)),
            ("Buffer", CArg::Target(self.target())),
            ("Flags", CArg::flags(self.flags, None)),
            ("Overlapped", CArg::Overlapped(self.overlapped.as_ref())),
        ]
    }
}

#[cfg(feature = "fuzz")]
mod arb {
    use arbitrary::{Arbitrary, Result, Unstructured};

    use super::{NotifyBuffer, NotifyFlow, NotifyOp};
    use crate::fuzz::draw::{bps, flags, size_u32};
    use crate::fuzz::Sym;

    /// What a careful caller passes for the operation 7 times in 8 (Size 8 and the target for
    /// `QOSNotifyAvailable`, NULL and NULL otherwise), else the opposite.
    impl<'a> Arbitrary<'a> for NotifyFlow<Sym> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let (handle, flow, op) = u.arbitrary()?;
            let avail = matches!(op, NotifyOp::Available(_));
            let size = if avail != u.ratio(1u8, 8u8)? {
                Some(size_u32(u, &[8, 16, 4, 0])?)
            } else {
                None
            };
            let buffer = match (avail, u.ratio(1u8, 8u8)?) {
                (_, false) => NotifyBuffer::Auto,
                (true, true) => NotifyBuffer::Null,
                (false, true) => NotifyBuffer::Value(bps(u)?),
            };
            Ok(NotifyFlow {
                handle,
                flow,
                op,
                size,
                buffer,
                flags: flags(u, &[0])?,
                overlapped: if u.ratio(1u8, 6u8)? {
                    None
                } else {
                    Some(u.int_in_range(0..=3)?)
                },
            })
        }
    }
}

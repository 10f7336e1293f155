//! `QOSSetFlow`.

use serde::{Deserialize, Serialize};

use super::{is_default, CArg, CArgs, Names, Raw, Resolve, SerdeNames, SetOp};

/// `QOSSetFlow(QOSHandle, FlowId, Operation, Size, Buffer, Flags, Overlapped)`.
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

impl<N: Names> SetFlow<N> {
    pub(super) fn map<M: Names>(&self, r: &mut impl Resolve<N, M>) -> SetFlow<M> {
        SetFlow {
            handle: r.handle(&self.handle),
            flow: r.flow(&self.flow),
            op: self.op.clone(),
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
                    name: SetOp::name_of(code),
                },
            ),
            ("Size", CArg::Ulong(self.op.size())),
            ("Buffer", CArg::SetBuffer(&self.op)),
            ("Flags", CArg::flags(self.flags, None)),
            ("Overlapped", CArg::Overlapped(self.overlapped.as_ref())),
        ]
    }
}

#[cfg(feature = "fuzz")]
mod arb {
    use arbitrary::{Arbitrary, Result, Unstructured};

    use super::SetFlow;
    use crate::fuzz::draw::{flags, ov};
    use crate::fuzz::Sym;

    impl<'a> Arbitrary<'a> for SetFlow<Sym> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(SetFlow {
                handle: u.arbitrary()?,
                flow: u.arbitrary()?,
                op: u.arbitrary()?,
                flags: flags(u, &[0])?,
                overlapped: ov(u)?,
            })
        }
    }
}

//! `QOSSetFlow`.

use serde::{Deserialize, Serialize};

use super::{is_default, Names, Raw, Resolve, SerdeNames, SetOp};

/// `QOSSetFlow(QOSHandle, FlowId, Operation, Size, Buffer, Flags, Overlapped)`.
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

//! `QOSRemoveSocketFromFlow`.

use serde::{Deserialize, Serialize};

use super::{is_default, is_null_socket, CArg, CArgs, Names, Raw, Resolve, SerdeNames};

/// `QOSRemoveSocketFromFlow(QOSHandle, Socket, FlowId, Flags)`.
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

impl<N: Names> RemoveSocketFromFlow<N> {
    pub(super) fn map<M: Names>(&self, r: &mut impl Resolve<N, M>) -> RemoveSocketFromFlow<M> {
        RemoveSocketFromFlow {
            handle: r.handle(&self.handle),
            socket: r.socket(&self.socket),
            flow: r.flow(&self.flow),
            flags: self.flags,
        }
    }

    /// The arguments in C order.
    pub(super) fn c_args(&self) -> CArgs<'_, N> {
        vec![
            ("QOSHandle", CArg::Handle(&self.handle)),
            ("Socket", CArg::Socket(&self.socket)),
            ("FlowId", CArg::Flow(&self.flow)),
            ("Flags", CArg::flags(self.flags, None)),
        ]
    }
}

#[cfg(feature = "fuzz")]
mod arb {
    use arbitrary::{Arbitrary, Result, Unstructured};

    use super::RemoveSocketFromFlow;
    use crate::fuzz::draw::flags;
    use crate::fuzz::{SocketArg, Sym};

    impl<'a> Arbitrary<'a> for RemoveSocketFromFlow<Sym> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(RemoveSocketFromFlow {
                handle: u.arbitrary()?,
                socket: if bool::arbitrary(u)? {
                    SocketArg::Zero
                } else {
                    u.arbitrary()?
                },
                flow: u.arbitrary()?,
                flags: flags(u, &[0])?,
            })
        }
    }
}

//! `QOSStartTrackingClient` and `QOSStopTrackingClient`.

use serde::{Deserialize, Serialize};

use super::{is_default, CArg, CArgs, Names, Raw, Resolve, SerdeNames};

/// `QOSStartTrackingClient` / `QOSStopTrackingClient(QOSHandle, DestAddr, Flags)`.
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

impl<N: Names> Tracking<N> {
    pub(super) fn map<M: Names>(&self, r: &mut impl Resolve<N, M>) -> Tracking<M> {
        Tracking {
            handle: r.handle(&self.handle),
            client: r.addr(&self.client),
            flags: self.flags,
        }
    }

    /// The arguments in C order.
    pub(super) fn c_args(&self) -> CArgs<'_, N> {
        vec![
            ("QOSHandle", CArg::Handle(&self.handle)),
            ("DestAddr", CArg::Addr(&self.client)),
            ("Flags", CArg::flags(self.flags, None)),
        ]
    }
}

#[cfg(feature = "fuzz")]
mod arb {
    use arbitrary::{Arbitrary, Result, Unstructured};

    use super::Tracking;
    use crate::fuzz::draw::flags;
    use crate::fuzz::Sym;

    impl<'a> Arbitrary<'a> for Tracking<Sym> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Tracking {
                handle: u.arbitrary()?,
                client: u.arbitrary()?,
                flags: flags(u, &[0])?,
            })
        }
    }
}

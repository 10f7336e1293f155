//! `QOSCloseHandle`.

use serde::{Deserialize, Serialize};

use super::{CArg, CArgs, Names, Raw, Resolve, SerdeNames};

/// `QOSCloseHandle(QOSHandle)`.
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
pub struct CloseHandle<N: Names = Raw> {
    /// `QOSHandle`.
    pub handle: N::Handle,
}

impl<N: Names> CloseHandle<N> {
    pub(super) fn map<M: Names>(&self, r: &mut impl Resolve<N, M>) -> CloseHandle<M> {
        CloseHandle {
            handle: r.handle(&self.handle),
        }
    }

    /// The arguments in C order.
    pub(super) fn c_args(&self) -> CArgs<'_, N> {
        vec![("QOSHandle", CArg::Handle(&self.handle))]
    }
}

#[cfg(feature = "fuzz")]
mod arb {
    use arbitrary::{Arbitrary, Result, Unstructured};

    use super::CloseHandle;
    use crate::fuzz::Sym;

    impl<'a> Arbitrary<'a> for CloseHandle<Sym> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(CloseHandle {
                handle: u.arbitrary()?,
            })
        }
    }
}
